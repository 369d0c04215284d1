/*
 * autogen_objects.c - the objects and settings beyond tables, columns and
 * types: collations, aggregates, event triggers, typed tables, a table's
 * storage parameters and replica identity, a column's storage,
 * compression, statistics target and identity options.
 *
 * Apart from the run because each is a small phase of its own with its
 * own place in the order (autogen_diff.c's write_phases says where), and
 * none decides anything the other phases ask about but whether a typed
 * table's columns follow its type.
 */
#include <stdlib.h>
#include <string.h>

#include "autogen_diff_internal.h"

/* Which objects of a model a phase writes a statement for. */
typedef bool (*object_chosen)(const diff_run *r, const sm_object *o);

/* For each object of @kind in @m that @chosen picks: what it is about,
 * then @fmt with the object's key (the phases that write one statement
 * per object, each naming only that object). */
static void stmt_for_chosen(diff_run *r, const sm_model *m, sm_kind kind, object_chosen chosen,
                            const char *fmt) __attribute__((format(printf, 5, 0)));

static void stmt_for_chosen(diff_run *r, const sm_model *m, sm_kind kind, object_chosen chosen,
                            const char *fmt)
{
    for (size_t i = 0; i < sm_count(m, kind); i++) {
        const sm_object *o = sm_at(m, kind, i);
        if (!chosen(r, o))
            continue;
        diff_about(r, o);
        diff_stmt(r, fmt, o->key);
    }
}

/* ---- collations ---------------------------------------------------------- */

/* New collations, and changed ones made again (the server refuses the
 * drop while a column uses one: a collation cannot be altered). */
void diff_collations(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_COLLATION); i++) {
        const sm_object *t = sm_at(r->to, SM_COLLATION, i), *f = diff_twin(r->from, t);
        if (f && !diff_fresh(r, t))
            continue;
        diff_about(r, t);
        if (f)
            diff_stmt(r, "DROP COLLATION %s", f->key);
        diff_stmt(r, "CREATE COLLATION %s (%s)", t->key, sm_attr(t, SM_COLLATION_DEF));
    }
}

/* ---- aggregates ---------------------------------------------------------- */

static bool aggregate(const sm_object *o)
{
    return strcmp(sm_attr(o, SM_FUNC_KIND), "a") == 0;
}

/* New and changed aggregates, after the functions they call: CREATE OR
 * REPLACE AGGREGATE keeps the views over one; a new result type drops it
 * first. */
void diff_aggregates(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_FUNCTION); i++) {
        const sm_object *t = sm_at(r->to, SM_FUNCTION, i), *f = diff_twin(r->from, t);
        if (!aggregate(t) || (f && diff_same_definition(f, t)))
            continue;
        diff_about(r, t);
        if (f && diff_fresh(r, t))
            diff_stmt(r, "DROP %s %s", aggregate(f) ? "AGGREGATE" : "FUNCTION", f->key);
        diff_stmt(r, "%s", sm_attr(t, SM_FUNC_DEF));
    }
}

static bool aggregate_gone(const diff_run *r, const sm_object *f)
{
    return aggregate(f) && !diff_twin(r->to, f);
}

/* Aggregates that go, before the functions they call. */
void diff_drop_aggregates(diff_run *r)
{
    stmt_for_chosen(r, r->from, SM_FUNCTION, aggregate_gone, "DROP AGGREGATE %s");
}

/* ---- event triggers ------------------------------------------------------ */

static const char *enable_word(const char *enabled)
{
    return *enabled == 'D' ? "DISABLE" : *enabled == 'R' ? "ENABLE REPLICA" : "ENABLE ALWAYS";
}

static bool event_trigger_gone_or_changed(const diff_run *r, const sm_object *f)
{
    const sm_object *t = diff_twin(r->to, f);
    return !t || !diff_attr_eq(f, t, SM_EVTRIG_DEF);
}

/* Event triggers that go or change, before their functions can go. */
void diff_drop_event_triggers(diff_run *r)
{
    stmt_for_chosen(r, r->from, SM_EVENT_TRIGGER, event_trigger_gone_or_changed,
                    "DROP EVENT TRIGGER %s");
}

/* New and changed event triggers, after every function. */
void diff_create_event_triggers(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_EVENT_TRIGGER); i++) {
        const sm_object *t = sm_at(r->to, SM_EVENT_TRIGGER, i), *f = diff_twin(r->from, t);
        const char *enabled = sm_attr(t, SM_EVTRIG_ENABLED);
        bool made = !f || diff_fresh(r, t);
        if (!made && diff_attr_eq(f, t, SM_EVTRIG_ENABLED))
            continue;
        diff_about(r, t);
        if (made)
            diff_stmt(r, "%s", sm_attr(t, SM_EVTRIG_DEF));
        if (made ? *enabled != 'O' : !diff_attr_eq(f, t, SM_EVTRIG_ENABLED))
            diff_stmt(r, "ALTER EVENT TRIGGER %s %s", t->key,
                      *enabled == 'O' ? "ENABLE" : enable_word(enabled));
    }
}

/* ---- typed tables -------------------------------------------------------- */

static bool composite_swapped(const diff_run *r, const char *key)
{
    const sm_object *c = key ? sm_find(r->from, SM_COMPOSITE, key) : NULL;
    return c && r->composite_swapped[diff_index_of(r->from, c)];
}

/* The kept from-table @f is unlinked from its type for the revision (NOT
 * OF): it leaves its type, takes another, or its type is swapped. */
static bool typed_unlinked(const diff_run *r, const sm_object *f)
{
    const sm_object *t = diff_twin(r->to, f);
    const char *of = sm_attr(f, SM_TABLE_OF);
    return of && diff_table_kept(r, f->key) && t &&
           (!diff_attr_eq(f, t, SM_TABLE_OF) || composite_swapped(r, of));
}

/* The kept table @key stays of the same type, which is altered in place
 * (ALTER TYPE ... CASCADE): its columns follow the type's attributes. */
bool diff_columns_follow_type(const diff_run *r, const char *key)
{
    const sm_object *f = sm_find(r->from, SM_TABLE, key);
    return f && sm_attr(f, SM_TABLE_OF) && diff_table_kept(r, key) && !typed_unlinked(r, f);
}

/* Some kept table is of the composite type @key and follows it. */
bool diff_composite_has_tables(const diff_run *r, const char *key)
{
    for (size_t i = 0; i < sm_count(r->from, SM_TABLE); i++) {
        const sm_object *f = sm_at(r->from, SM_TABLE, i);
        const char *of = sm_attr(f, SM_TABLE_OF);
        if (of && strcmp(of, key) == 0 && diff_columns_follow_type(r, f->key))
            return true;
    }
    return false;
}

/* NOT OF, before the types change: the table's columns are then its own. */
void diff_unlink_typed_tables(diff_run *r)
{
    stmt_for_chosen(r, r->from, SM_TABLE, typed_unlinked, "ALTER TABLE %s NOT OF");
}

/* OF, once a kept table's columns are those of its (new) type. */
void diff_link_typed_tables(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_TABLE); i++) {
        const sm_object *t = sm_at(r->to, SM_TABLE, i), *f = diff_twin(r->from, t);
        const char *of = sm_attr(t, SM_TABLE_OF);
        if (!of || !f || !diff_table_kept(r, t->key) ||
            (diff_attr_eq(f, t, SM_TABLE_OF) && !typed_unlinked(r, f)))
            continue;
        diff_about(r, t);
        diff_stmt(r, "ALTER TABLE %s OF %s", t->key, of);
    }
}

/* ---- storage parameters and replica identity ----------------------------- */

/* The length of the name of the option "a=b" at @p (of @len). */
static size_t option_name_len(const char *p, size_t len)
{
    size_t name = strcspn(p, "=");
    return name < len ? name : len;
}

/* The names of the "a=b, c=d" options of @list that @keep lacks, written
 * to @sb as "a, c"; how many. */
static size_t options_gone(strbuf *sb, const char *list, const char *keep)
{
    size_t n = 0;
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ","), name = option_name_len(p, len);
        bool kept = false;
        for (const char *q = keep; q && *q && !kept;) {
            size_t qlen = strcspn(q, ",");
            kept = option_name_len(q, qlen) == name && strncmp(p, q, name) == 0;
            q += qlen + (q[qlen] == ',');
            q += *q == ' ';
        }
        if (!kept)
            sb_printf(sb, "%s%.*s", n++ ? ", " : "", (int)name, p);
        p += len + (p[len] == ',');
        p += *p == ' ';
    }
    return n;
}

static void table_options(diff_run *r, const sm_object *f, const sm_object *t)
{
    const char *was = f ? sm_attr(f, SM_TABLE_OPTIONS) : NULL, *want = sm_attr(t, SM_TABLE_OPTIONS);
    strbuf gone = STRBUF_INIT;
    if (options_gone(&gone, was, want))
        diff_stmt(r, "ALTER TABLE %s RESET (%s)", t->key, sb_str(&gone) ? sb_str(&gone) : "");
    if (sb_failed(&gone))
        r->out->failed = true;
    sb_free(&gone);
    if (want && (!was || strcmp(was, want) != 0))
        diff_stmt(r, "ALTER TABLE %s SET (%s)", t->key, want);
}

/* The replica identity's index is made by the revision: set again. */
static bool replica_index_fresh(const diff_run *r, const sm_object *t)
{
    const char *ri = sm_attr(t, SM_TABLE_REPLICA);
    if (!ri || strncmp(ri, "USING INDEX ", 12) != 0)
        return false;
    strbuf key = STRBUF_INIT;
    diff_schema_of(&key, t->key, t->name);
    sb_printf(&key, ".%s", ri + 12);
    const sm_object *idx = sm_find(r->to, SM_INDEX, sb_str(&key));
    sb_reset(&key);
    sb_printf(&key, "%s.%s", t->key, ri + 12);
    const sm_object *con = sm_find(r->to, SM_CONSTRAINT, sb_str(&key));
    sb_free(&key);
    return (idx && diff_fresh(r, idx)) || (con && diff_fresh(r, con));
}

/* Storage parameters and replica identity, after the indexes. */
void diff_table_settings(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_TABLE); i++) {
        const sm_object *t = sm_at(r->to, SM_TABLE, i), *f = diff_twin(r->from, t);
        const char *ri = sm_attr(t, SM_TABLE_REPLICA);
        if (f && diff_fresh(r, t))
            f = NULL;
        diff_about(r, t);
        if (!f || !diff_attr_eq(f, t, SM_TABLE_OPTIONS))
            table_options(r, f, t);
        if (f ? !diff_attr_eq(f, t, SM_TABLE_REPLICA) || replica_index_fresh(r, t) : ri != NULL)
            diff_stmt(r, "ALTER TABLE %s REPLICA IDENTITY %s", t->key, ri ? ri : "DEFAULT");
    }
}

/* ---- column settings ----------------------------------------------------- */

/* Storage, compression and statistics target, once the columns are
 * there (CREATE TABLE takes STORAGE only since PostgreSQL 16). */
void diff_column_settings(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_COLUMN); i++) {
        const sm_object *t = sm_at(r->to, SM_COLUMN, i), *f = diff_twin(r->from, t);
        const char *storage = sm_attr(t, SM_COL_STORAGE);
        const char *compression = sm_attr(t, SM_COL_COMPRESSION);
        const char *target = sm_attr(t, SM_COL_STATISTICS);
        if (f && (!diff_table_kept(r, t->table) || diff_fresh(r, t)))
            f = NULL;
        diff_about(r, t);
        if (f ? !diff_attr_eq(f, t, SM_COL_STORAGE) : storage != NULL)
            diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s SET STORAGE %s", t->table, t->name,
                      storage ? storage : sm_attr(t, SM_COL_TYPE_STORAGE));
        if (f ? !diff_attr_eq(f, t, SM_COL_COMPRESSION) : compression != NULL)
            diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s SET COMPRESSION %s", t->table, t->name,
                      compression ? compression : "DEFAULT");
        if (f ? !diff_attr_eq(f, t, SM_COL_STATISTICS) : target != NULL)
            diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s SET STATISTICS %s", t->table, t->name,
                      target ? target : "-1");
    }
}

/* " (START WITH 1 INCREMENT BY 1 ...)": an identity's options. */
void diff_identity_options(strbuf *sb, const sm_object *c)
{
    bool first = true;
    if (!sm_attr(c, SM_COL_IDENTITY_OPTIONS))
        return;
    sb_puts(sb, " (");
    FOR_EACH_ITEM(sm_attr(c, SM_COL_IDENTITY_OPTIONS), item, len)
    {
        sb_printf(sb, "%s%.*s", first ? "" : " ", (int)len, item);
        first = false;
    }
    sb_putc(sb, ')');
}

/* ALTER COLUMN ... SET START WITH 1 SET INCREMENT BY 1 ...: an identity
 * kept, its options changed. */
void diff_identity_alter(diff_run *r, const char *table, const sm_object *f, const sm_object *t)
{
    if (diff_attr_eq(f, t, SM_COL_IDENTITY_OPTIONS) || !sm_attr(t, SM_COL_IDENTITY_OPTIONS))
        return;
    sb_printf(r->out, "ALTER TABLE %s ALTER COLUMN %s", table, t->name);
    FOR_EACH_ITEM(sm_attr(t, SM_COL_IDENTITY_OPTIONS), item, len)
    sb_printf(r->out, " SET %.*s", (int)len, item);
    diff_stmt(r, "%s", "");
}
