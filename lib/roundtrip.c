/*
 * roundtrip.c - the stairway test of um_verify (roundtrip_url): on a
 * scratch database, each revision in apply order goes up, down and up
 * again, and the schema after its down section must be the schema before
 * its up section: the two models (schema_model.c) are compared object by
 * object, attribute by attribute, as drift compares a database with a
 * schema file.
 *
 * The scratch database gets a handle of its own (a sibling: the same
 * configuration and revision files, another URL), so that the runs are
 * real upgrades and downgrades, bookkeeping included; backups and lint are
 * off on it.  Before revision R's up section the database is brought to
 * R's parents with nothing else on them (a downgrade to the first parent,
 * or to base), so that the down section, a downgrade to the same target,
 * must give back exactly that schema.
 */
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "schema_model.h"
#include "strbuf.h"
#include "verify.h"

#define VALUE_SHOWN 120 /* bytes of an attribute's value quoted in a finding */

typedef struct stairway {
    um_ctx *ctx;     /* the caller's handle: its errors, its log */
    um_ctx *scratch; /* the sibling on the scratch database */
    um_verify_result *r;
    bool stop; /* a finding ended the test */
} stairway;

/* ---- the scratch handle --------------------------------------------------- */

static int open_sibling(um_ctx *ctx, const char *url, um_ctx **out)
{
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    o.config_path = ctx->cfg.path;
    o.config_section = ctx->config_section;
    o.database_url = url;
    o.script_location = ctx->cfg.script_location;
    o.log_cb = ctx->log.cb;
    o.log_payload = ctx->log.payload;
    /* one line per step of every revision would drown what the test says */
    o.log_level = ctx->log.level < UM_LOG_WARNING ? ctx->log.level : UM_LOG_WARNING;
    o.application_name = "ultramigrate verify --roundtrip";
    int rc = um_open(out, &o);
    if (rc == UM_ENOMEM && !*out)
        return err_nomem(&ctx->err);
    if (rc)
        return ctx_error(ctx, rc, NULL, 0, NULL, "roundtrip database: %s", um_errmsg(*out));
    (*out)->cfg.backup_before_upgrade = false;
    (*out)->cfg.lint_on_upgrade = CONFIG_LINT_OFF;
    return UM_OK;
}

/* The model of the scratch database, the bookkeeping tables left out
 * unless @everything.  Their schema is not: the engine made it before the
 * first model is read (going down to base), so that both models hold it. */
static int snapshot(stairway *sw, bool everything, sm_model **out)
{
    um_ctx *s = sw->scratch;
    int rc = pg_call_begin(s);
    if (!rc)
        rc = pg_ensure_connected(s);
    if (!rc)
        rc = sm_model_read_scope(s, everything ? SM_SCOPE_EVERYTHING : SM_SCOPE_SCHEMA, out);
    rc = pg_call_finish(s, rc);
    if (rc == UM_ENOMEM)
        return err_nomem(&sw->ctx->err);
    if (rc && pg_cancel_requested(sw->ctx))
        return verify_cancelled(sw->ctx);
    if (rc)
        rc = ctx_error(sw->ctx, rc, NULL, 0, NULL, "roundtrip database: %s", um_errmsg(s));
    return rc;
}

/* What a new database holds: the schema public and PL/pgSQL, with their
 * privileges (PUBLIC may use public). */
static bool pristine(const sm_object *o)
{
    return o->kind == SM_GRANT || (o->kind == SM_SCHEMA && strcmp(o->key, "public") == 0) ||
           (o->kind == SM_EXTENSION && strcmp(o->key, "plpgsql") == 0);
}

/* The test creates and drops whatever the revisions do: only a database
 * holding nothing of its own may be used. */
static int check_empty(stairway *sw)
{
    sm_model *m = NULL;
    int rc = snapshot(sw, true, &m);
    const sm_object *first = NULL;
    size_t n = 0;
    /* name a table or a type rather than one of its columns */
    for (int kind = 0; !rc && kind < SM_N_KINDS; kind++) {
        const sm_object *o;
        for (size_t i = 0; (o = sm_at(m, (sm_kind)kind, i)); i++) {
            if (pristine(o))
                continue;
            if (n++ == 0 || (first->table && !o->table))
                first = o;
        }
    }
    if (!rc && n)
        rc = ctx_error(sw->ctx, UM_ESTATE, NULL, 0, NULL,
                       "the roundtrip database is not empty: it holds %s %s%s; the stairway"
                       " test creates and drops what the revisions do, so give it a new, empty"
                       " database",
                       sm_kind_name(first->kind), first->key, n > 1 ? " and more" : "");
    sm_model_free(m);
    return rc;
}

/* ---- the steps ----------------------------------------------------------- */

/* A step that failed on the scratch database ends the test with a finding
 * (its file and line when the engine knew them); out of memory ends the call. */
static int step_failed(stairway *sw, const script_file *s, const char *doing, int rc)
{
    if (rc == UM_ENOMEM)
        return err_nomem(&sw->ctx->err);
    if (pg_cancel_requested(sw->ctx))
        return verify_cancelled(sw->ctx);
    const um_error_info *d = um_error_detail(sw->scratch);
    verify_add(sw->r, UM_VERIFY_ERROR, "roundtrip-error", d->revision ? d->revision : s->id,
               d->file ? d->file : s->path, d->line, "stairway test stopped while %s %s: %s", doing,
               s->id, um_errmsg(sw->scratch));
    sw->stop = true;
    return UM_OK;
}

static int up(stairway *sw, const script_file *s, const char *target, const char *doing)
{
    if (pg_cancel_requested(sw->ctx))
        return verify_cancelled(sw->ctx);
    um_apply_options o = UM_APPLY_OPTIONS_INIT;
    o.backup = UM_BACKUP_SKIP;
    int rc = um_upgrade(sw->scratch, target, &o);
    return rc ? step_failed(sw, s, doing, rc) : UM_OK;
}

static int down(stairway *sw, const script_file *s, const char *doing)
{
    if (pg_cancel_requested(sw->ctx))
        return verify_cancelled(sw->ctx);
    um_apply_options o = UM_APPLY_OPTIONS_INIT;
    o.backup = UM_BACKUP_SKIP;
    int rc = um_rollback(sw->scratch, s->n_parents ? s->parents[0] : "base", &o);
    return rc ? step_failed(sw, s, doing, rc) : UM_OK;
}

/* Brings the database to @s's parents (every one applied, nothing on the
 * first), where its up section starts and its down section must return. */
static int reach_parents(stairway *sw, const script_file *s)
{
    int rc = UM_OK;
    for (size_t i = 0; !rc && !sw->stop && i < s->n_parents; i++)
        rc = up(sw, s, s->parents[i], "applying the parents of");
    if (!rc && !sw->stop)
        rc = down(sw, s, "going down to the parents of");
    for (size_t i = 1; !rc && !sw->stop && i < s->n_parents; i++)
        rc = up(sw, s, s->parents[i], "applying the parents of");
    return rc;
}

/* A value in a message: quoted (unless it is a literal already, as
 * comments and enum labels are) and shortened, a list's items (each ended
 * by a newline) joined by ", ", the catalogs' codes in words. */
static void quote_value(strbuf *sb, const sm_object *o, size_t attr)
{
    const char *v = sm_attr_words(o->kind, attr, sm_attr(o, attr));
    if (!v) {
        sb_puts(sb, "not set");
        return;
    }
    const char *quote = *v == '\'' ? "" : "'";
    size_t n = strlen(v);
    while (n && v[n - 1] == '\n')
        n--;
    sb_puts(sb, quote);
    for (size_t i = 0; i < n && i < VALUE_SHOWN; i++) {
        if (v[i] == '\n')
            sb_puts(sb, ", ");
        else
            sb_putc(sb, v[i]);
    }
    sb_printf(sb, "%s%s", n > VALUE_SHOWN ? "..." : "", quote);
}

static bool same_value(const sm_object *a, const sm_object *b, size_t attr)
{
    const char *x = sm_attr(a, attr), *y = sm_attr(b, attr);
    return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

/* Positions and the like aside, @before and @after are the same. */
static bool same_object(const sm_object *before, const sm_object *after)
{
    for (size_t i = 0; i < before->n_attrs; i++)
        if (!sm_attr_ordinal(before->kind, i) && !same_value(before, after, i))
            return false;
    return true;
}

/* "type 'integer' before the up section, 'bigint' after the down section",
 * for each attribute that differs, joined by "; ". */
static void describe_changes(strbuf *sb, const sm_object *before, const sm_object *after)
{
    bool any = false;
    for (size_t i = 0; i < before->n_attrs; i++) {
        if (sm_attr_ordinal(before->kind, i) || same_value(before, after, i))
            continue;
        sb_printf(sb, "%s%s ", any ? "; " : "", sm_attr_name(before->kind, i));
        quote_value(sb, before, i);
        sb_puts(sb, " before the up section, ");
        quote_value(sb, after, i);
        sb_puts(sb, " after the down section");
        any = true;
    }
}

/* A view is named by its kind: "materialized view public.m". */
static const char *kind_words(const sm_object *o)
{
    return o->kind == SM_VIEW ? sm_attr_words(SM_VIEW, SM_VIEW_KIND, sm_attr(o, SM_VIEW_KIND))
                              : sm_kind_name(o->kind);
}

/* One finding for @before (NULL: added) against @after (NULL: removed). */
static void report_difference(stairway *sw, const script_file *s, const sm_object *before,
                              const sm_object *after)
{
    const sm_object *o = after ? after : before;
    strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "%s %s ", kind_words(o), o->key);
    if (!before) {
        sb_puts(&sb, "still exists after the down section");
    } else if (!after) {
        sb_puts(&sb, "is gone after the down section (it was there before the up section)");
    } else {
        sb_puts(&sb, "changed: ");
        describe_changes(&sb, before, after);
    }
    if (sb_failed(&sb))
        sw->r->failed = true;
    else
        verify_add(sw->r, UM_VERIFY_ERROR, "roundtrip-mismatch", s->id, s->path, s->down_line,
                   "the down section does not undo the up section: %s", sb_str(&sb));
    sw->stop = true;
    sb_free(&sb);
}

/* One kind of both models, merged by key (both are sorted bytewise). */
static void compare_kind(stairway *sw, const script_file *s, const sm_model *before,
                         const sm_model *after, sm_kind kind)
{
    size_t i = 0, j = 0;
    while (i < sm_count(before, kind) || j < sm_count(after, kind)) {
        const sm_object *b = sm_at(before, kind, i), *a = sm_at(after, kind, j);
        int cmp = !b ? 1 : !a ? -1 : strcmp(b->key, a->key);
        if (cmp != 0 || !same_object(b, a))
            report_difference(sw, s, cmp <= 0 ? b : NULL, cmp >= 0 ? a : NULL);
        i += cmp <= 0;
        j += cmp >= 0;
    }
}

static void compare(stairway *sw, const script_file *s, const sm_model *before,
                    const sm_model *after)
{
    for (int kind = 0; kind < SM_N_KINDS; kind++)
        compare_kind(sw, s, before, after, (sm_kind)kind);
}

/* Up, down (compared), up again. */
static int climb(stairway *sw, const script_file *s)
{
    sm_model *before = NULL, *after = NULL;
    int rc = reach_parents(sw, s);
    if (!rc && !sw->stop)
        rc = snapshot(sw, false, &before);
    if (!rc && !sw->stop)
        rc = up(sw, s, s->id, "applying");
    if (!rc && !sw->stop)
        rc = down(sw, s, "downgrading");
    if (!rc && !sw->stop)
        rc = snapshot(sw, false, &after);
    if (!rc && !sw->stop)
        compare(sw, s, before, after);
    if (!rc && !sw->stop)
        rc = up(sw, s, s->id, "applying again, after its down section,");
    sm_model_free(before);
    sm_model_free(after);
    return rc;
}

int roundtrip_run(um_ctx *ctx, const char *url, um_verify_result *r)
{
    stairway sw = { ctx, NULL, r, false };
    int rc = open_sibling(ctx, url, &sw.scratch);
    if (!rc)
        rc = check_empty(&sw);
    size_t n = rc ? 0 : graph_count(sw.scratch->graph);
    /* um_cancel() on the caller's handle cancels the statement running on
     * the scratch database too; the test stops before the next step */
    bool forwarded = !rc;
    if (forwarded)
        pg_cancel_forward(ctx, sw.scratch);
    for (size_t i = 0; !rc && !sw.stop && i < n; i++) {
        const script_file *s = graph_script(sw.scratch->graph, i);
        /* irreversible: applied, not tested (verify says "missing-down") */
        rc = s->has_down ? climb(&sw, s) : up(&sw, s, s->id, "applying");
    }
    if (forwarded)
        pg_cancel_forward(ctx, NULL);
    um_close(sw.scratch);
    return rc;
}
