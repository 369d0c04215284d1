/*
 * roundtrip.c - the stairway test of um_verify (roundtrip_url): on a
 * scratch database, each revision in apply order goes up, down and up
 * again, and the catalog after its down section must be the catalog before
 * its up section.
 *
 * The scratch database gets a handle of its own (a sibling: the same
 * configuration and revision files, another URL), so that the runs are
 * real upgrades and downgrades, bookkeeping included; backups and lint are
 * off on it.  Before revision R's up section the database is brought to
 * R's parents with nothing else on them (a downgrade to the first parent,
 * or to base), so that the down section, a downgrade to the same target,
 * must give back exactly that catalog.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "pg.h"
#include "strbuf.h"
#include "verify.h"

#define DEFINITION_SHOWN 120 /* bytes of a definition quoted in a finding */

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

/* A snapshot of the scratch database, the bookkeeping tables left out. */
static int snapshot(stairway *sw, bool everything, catalog **out)
{
    um_ctx *s = sw->scratch;
    int rc = pg_call_begin(s);
    if (!rc)
        rc = pg_call_finish(s, catalog_snapshot(s, everything ? NULL : s->cfg.version_table_schema,
                                                s->cfg.version_table, out));
    if (rc && rc != UM_ENOMEM)
        rc = ctx_error(sw->ctx, rc, NULL, 0, NULL, "roundtrip database: %s", um_errmsg(s));
    return rc;
}

/* What a new database holds: the schema public and PL/pgSQL. */
static bool pristine(const catalog_object *o)
{
    return (strcmp(o->kind, "schema") == 0 && strcmp(o->name, "public") == 0) ||
           (strcmp(o->kind, "extension") == 0 && strcmp(o->name, "plpgsql") == 0);
}

static bool part_of_table(const catalog_object *o)
{
    static const char *const parts[] = { "column", "constraint", "index", "trigger" };
    for (size_t i = 0; o && i < sizeof(parts) / sizeof(*parts); i++)
        if (strcmp(o->kind, parts[i]) == 0)
            return true;
    return false;
}

/* The test creates and drops whatever the revisions do: only a database
 * holding nothing of its own may be used. */
static int check_empty(stairway *sw)
{
    catalog *c = NULL;
    int rc = snapshot(sw, true, &c);
    const catalog_object *o, *first = NULL;
    size_t n = 0;
    /* name a table or a type rather than one of its columns */
    for (size_t i = 0; !rc && (o = catalog_at(c, i)); i++) {
        if (pristine(o))
            continue;
        if (n++ == 0 || (part_of_table(first) && !part_of_table(o)))
            first = o;
    }
    if (!rc && n)
        rc = ctx_error(sw->ctx, UM_ESTATE, NULL, 0, NULL,
                       "the roundtrip database is not empty: it holds %s %s%s; the stairway"
                       " test creates and drops what the revisions do, so give it a new, empty"
                       " database",
                       first->kind, first->name, n > 1 ? " and more" : "");
    catalog_free(c);
    return rc;
}

/* ---- the steps ----------------------------------------------------------- */

/* A step that failed on the scratch database ends the test with a finding
 * (its file and line when the engine knew them); out of memory ends the call. */
static int step_failed(stairway *sw, const script_file *s, const char *doing, int rc)
{
    if (rc == UM_ENOMEM)
        return err_nomem(&sw->ctx->err);
    const um_error_info *d = um_error_detail(sw->scratch);
    verify_add(sw->r, UM_VERIFY_ERROR, "roundtrip-error", d->revision ? d->revision : s->id,
               d->file ? d->file : s->path, d->line, "stairway test stopped while %s %s: %s",
               doing, s->id, um_errmsg(sw->scratch));
    sw->stop = true;
    return UM_OK;
}

static int up(stairway *sw, const script_file *s, const char *target, const char *doing)
{
    um_apply_options o = UM_APPLY_OPTIONS_INIT;
    o.backup = UM_BACKUP_SKIP;
    int rc = um_upgrade(sw->scratch, target, &o);
    return rc ? step_failed(sw, s, doing, rc) : UM_OK;
}

static int down(stairway *sw, const script_file *s, const char *doing)
{
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

/* A definition in a message, shortened. */
static void quote_definition(strbuf *sb, const char *def)
{
    size_t n = strlen(def);
    sb_printf(sb, "'%.*s%s'", DEFINITION_SHOWN, def, n > DEFINITION_SHOWN ? "..." : "");
}

static void report_difference(stairway *sw, const script_file *s, const catalog_difference *d)
{
    const catalog_object *o = d->after ? d->after : d->before;
    strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "%s %s ", o->kind, o->name);
    if (d->change == CATALOG_ADDED) {
        sb_puts(&sb, "still exists after the down section");
    } else if (d->change == CATALOG_REMOVED) {
        sb_puts(&sb, "is gone after the down section (it was there before the up section)");
    } else {
        sb_puts(&sb, "changed: ");
        quote_definition(&sb, d->before->definition);
        sb_puts(&sb, " before the up section, ");
        quote_definition(&sb, d->after->definition);
        sb_puts(&sb, " after the down section");
    }
    if (sb_failed(&sb))
        sw->r->failed = true;
    else
        verify_add(sw->r, UM_VERIFY_ERROR, "roundtrip-mismatch", s->id, s->path, s->down_line,
                   "the down section does not undo the up section: %s", sb_str(&sb));
    sb_free(&sb);
}

static int compare(stairway *sw, const script_file *s, const catalog *before, const catalog *after)
{
    catalog_difference *d = NULL;
    size_t n = 0;
    if (catalog_diff(before, after, &d, &n))
        return err_nomem(&sw->ctx->err);
    for (size_t i = 0; i < n; i++)
        report_difference(sw, s, &d[i]);
    sw->stop = n > 0;
    free(d);
    return UM_OK;
}

/* Up, down (compared), up again. */
static int climb(stairway *sw, const script_file *s)
{
    catalog *before = NULL, *after = NULL;
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
        rc = compare(sw, s, before, after);
    if (!rc && !sw->stop)
        rc = up(sw, s, s->id, "applying again, after its down section,");
    catalog_free(before);
    catalog_free(after);
    return rc;
}

int roundtrip_run(um_ctx *ctx, const char *url, um_verify_result *r)
{
    stairway sw = { ctx, NULL, r, false };
    int rc = open_sibling(ctx, url, &sw.scratch);
    if (!rc)
        rc = check_empty(&sw);
    size_t n = rc ? 0 : graph_count(sw.scratch->graph);
    for (size_t i = 0; !rc && !sw.stop && i < n; i++) {
        const script_file *s = graph_script(sw.scratch->graph, i);
        /* irreversible: applied, not tested (verify says "missing-down") */
        rc = s->has_down ? climb(&sw, s) : up(&sw, s, s->id, "applying");
    }
    um_close(sw.scratch);
    return rc;
}
