/*
 * autogen_privileges.c - the GRANT and REVOKE statements that take each
 * grantee from what it holds to what it is to hold.
 *
 * Apart from the run because privileges are compared only on request
 * (compare_privileges) and only read the decisions: an object made by the
 * run starts from its default privileges, one dropped needs no REVOKE.
 */
#include <string.h>

#include "autogen_diff_internal.h"

/* ---- phase: privileges -------------------------------------------------- */

/* What a grantee holds: nothing, the privilege, or it with grant option. */
typedef enum { HELD_NONE, HELD_PLAIN, HELD_GRANTABLE } held;

/* What @g says is held; @g NULL: the default, which @dflt says holds it
 * (never with grant option). */
static held held_by(const sm_object *g, bool dflt)
{
    const char *state = sm_attr(g, SM_GRANT_STATE);
    if (!g)
        return dflt ? HELD_PLAIN : HELD_NONE;
    return strcmp(state, "grantable") == 0 ? HELD_GRANTABLE
           : strcmp(state, "granted") == 0 ? HELD_PLAIN
                                           : HELD_NONE;
}

/* The object a grant @g is on, in @m (NULL: not there). */
static const sm_object *grant_target(const sm_model *m, const sm_object *g)
{
    static const sm_kind types[] = { SM_ENUM, SM_DOMAIN, SM_COMPOSITE, SM_RANGE };
    const char *on = sm_attr(g, SM_GRANT_ON), *key = sm_attr(g, SM_GRANT_OBJECT);
    const sm_object *o = NULL;
    if (strcmp(on, "table") == 0) {
        o = sm_find(m, SM_TABLE, key);
        return o ? o : sm_find(m, SM_VIEW, key);
    }
    if (strcmp(on, "column") == 0) {
        for (size_t i = 0; !o && i < sm_count(m, SM_COLUMN); i++) {
            const sm_object *c = sm_at(m, SM_COLUMN, i);
            if (strcmp(c->table, key) == 0 && strcmp(c->name, sm_attr(g, SM_GRANT_COLUMN)) == 0)
                o = c;
        }
        return o;
    }
    if (strcmp(on, "sequence") == 0)
        return sm_find(m, SM_SEQUENCE, key);
    if (strcmp(on, "schema") == 0)
        return sm_find(m, SM_SCHEMA, key);
    if (strcmp(on, "function") == 0)
        return sm_find(m, SM_FUNCTION, key);
    for (size_t i = 0; !o && i < 4; i++)
        o = sm_find(m, types[i], key);
    return o;
}

/* "SELECT (col) ON TABLE t", "EXECUTE ON ROUTINE f(int)", ... */
static void grant_clause(diff_run *r, const sm_object *g)
{
    const char *on = sm_attr(g, SM_GRANT_ON);
    sb_puts(r->out, sm_attr(g, SM_GRANT_PRIVILEGE));
    if (strcmp(on, "column") == 0)
        sb_printf(r->out, " (%s)", sm_attr(g, SM_GRANT_COLUMN));
    sb_printf(r->out, " ON %s %s",
              strcmp(on, "column") == 0     ? "TABLE"
              : strcmp(on, "function") == 0 ? "ROUTINE"
              : strcmp(on, "table") == 0    ? "TABLE"
              : strcmp(on, "sequence") == 0 ? "SEQUENCE"
              : strcmp(on, "schema") == 0   ? "SCHEMA"
                                            : "TYPE",
              sm_attr(g, SM_GRANT_OBJECT));
}

/* The statement that takes the grantee of @g from @was to @want. */
static void grant_change(diff_run *r, const sm_object *g, held was, held want)
{
    if (was == want)
        return;
    diff_about(r, g);
    if (want == HELD_NONE || (want == HELD_PLAIN && was == HELD_GRANTABLE)) {
        sb_puts(r->out, want == HELD_NONE ? "REVOKE " : "REVOKE GRANT OPTION FOR ");
        grant_clause(r, g);
        diff_stmt(r, " FROM %s", sm_attr(g, SM_GRANT_GRANTEE));
    } else {
        sb_puts(r->out, "GRANT ");
        grant_clause(r, g);
        diff_stmt(r, " TO %s%s", sm_attr(g, SM_GRANT_GRANTEE),
                  want == HELD_GRANTABLE ? " WITH GRANT OPTION" : "");
    }
}

/* Privileges that differ from what the object has: an object this run
 * makes starts from its default ones; one it drops needs no REVOKE. */
void diff_privileges(diff_run *r)
{
    if (!r->opts->compare_privileges)
        return;
    for (size_t i = 0; i < sm_count(r->from, SM_GRANT); i++) {
        const sm_object *f = sm_at(r->from, SM_GRANT, i), *target = grant_target(r->to, f);
        if (diff_twin(r->to, f) || !target || diff_fresh(r, target))
            continue;
        grant_change(r, f, held_by(f, false),
                     held_by(NULL, diff_is_true(sm_attr(f, SM_GRANT_DEFAULT))));
    }
    for (size_t i = 0; i < sm_count(r->to, SM_GRANT); i++) {
        const sm_object *t = sm_at(r->to, SM_GRANT, i), *target = grant_target(r->to, t);
        bool dflt = diff_is_true(sm_attr(t, SM_GRANT_DEFAULT));
        if (!target)
            continue;
        grant_change(r, t,
                     diff_fresh(r, target) ? held_by(NULL, dflt)
                                           : held_by(diff_twin(r->from, t), dflt),
                     held_by(t, dflt));
    }
}
