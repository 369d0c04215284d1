/*
 * render_sql.c - offline SQL (um_plan_render_sql): the script a run of a
 * plan would send, for psql.
 *
 * Nothing here has SQL text of its own beyond transaction boundaries,
 * RESETs and the settings put back after a revision that changes them: the timeouts and the record of each step come from apply.c, the
 * bookkeeping tables and statements from store.c, the same text a run
 * sends, so a script cannot drift from what the engine does.  Values are
 * literals quoted as libpq quotes them (without a connection: as for the
 * UTF-8 client the script asks for).
 */
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "internal.h"
#include "script.h"
#include "store.h"
#include "strbuf.h"
#include "pg.h"
#include "txblock.h"
#include "util.h"
#include "verify.h"

/* What a rendering needs as it goes from step to step. */
typedef struct render {
    um_ctx *ctx;
    const um_plan *plan;
    strbuf sb;
    unsigned char *applied; /* the applied set before the current step */
    bool single_tx;         /* transaction_per_migration = false */
    bool comments;
    checked_sections sections; /* as verify_plan_sections checked them */
} render;

int um_plan_render_sql_options_init(um_plan_render_sql_options *opts, unsigned int version)
{
    static const um_plan_render_sql_options init = UM_PLAN_RENDER_SQL_OPTIONS_INIT;
    return util_options_init(opts, &init, sizeof(init), version);
}

/* What a run would refuse, the rendering refuses too, for the same reason. */
static int check_renderable(um_ctx *ctx, const um_plan *plan, bool single_tx)
{
    if (plan->adopting)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                         "the database's version table is another tool's (Alembic's): a run"
                         " adopts it before anything else, which a script cannot render;"
                         " run 'ultramigrate stamp heads' first, or render with --from");
    for (size_t k = 0; single_tx && k < plan->n_steps; k++) {
        const script_file *s = graph_script(ctx->graph, plan->graph_index[k]);
        if (!s->transactional)
            return ctx_error(ctx, UM_EINVAL, s->path, 0, s->id,
                             "'Transactional: no' revisions cannot run inside the single"
                             " transaction of transaction_per_migration = false");
    }
    return UM_OK;
}

/* @s inside a comment line: a line break in a file name would end the
 * comment and make the rest of the name SQL. */
static void comment_text(strbuf *sb, const char *s)
{
    for (; *s; s++)
        sb_putc(sb, *s == '\n' || *s == '\r' ? ' ' : *s);
}

static void render_header(render *r)
{
    const um_plan *plan = r->plan;
    size_t n_heads = 0;
    sb_printf(&r->sb, "-- ultramigrate %s: %s to ", UM_VERSION_STRING,
              plan->direction == UM_UP ? "upgrade" : "downgrade");
    comment_text(&r->sb, plan->target);
    sb_puts(&r->sb, ", from ");
    for (size_t i = 0; i < graph_count(r->ctx->graph); i++) {
        size_t n_ch = 0;
        const size_t *ch = graph_children(r->ctx->graph, i, &n_ch);
        bool head = r->applied[i];
        for (size_t c = 0; head && c < n_ch; c++)
            head = !r->applied[ch[c]];
        if (head)
            sb_printf(&r->sb, "%s%s", n_heads++ ? ", " : "", graph_script(r->ctx->graph, i)->id);
    }
    sb_printf(&r->sb, "%s (%zu revision%s)\n-- run with: psql -v ON_ERROR_STOP=1 -f FILE\n",
              n_heads ? "" : "base", plan->n_steps, plan->n_steps == 1 ? "" : "s");
}

/* The bookkeeping tables (when the plan found them missing) and the
 * prepared statements that record the steps. */
static void render_bookkeeping(render *r)
{
    const char *schema = r->ctx->cfg.version_table_schema;
    if (!r->plan->tables_exist) {
        /* a run creates a missing schema only; whether it is missing is
         * not known here, and "public" is always there */
        store_append_create_tables(r->ctx, &r->sb, strcmp(schema, "public") != 0);
    }
    if (r->plan->n_steps)
        store_append_prepare(r->ctx, &r->sb);
}

/* The RESETs after a "Transactional: no" revision's session timeouts. */
static void render_resets(render *r)
{
    if (r->ctx->cfg.lock_timeout_ms > 0)
        sb_puts(&r->sb, "RESET lock_timeout;\n");
    if (r->ctx->cfg.statement_timeout_ms > 0)
        sb_puts(&r->sb, "RESET statement_timeout;\n");
}

/* A setting's value at the script's start: its session default (NULL:
 * RESET) but client_encoding, which the script sets first. */
static const char *value_at_start(size_t i, const char *name, void *arg)
{
    (void)i;
    (void)arg;
    return strcmp(name, "client_encoding") == 0 ? "UTF8" : NULL;
}

/* What a run does after a revision that SETs or RESETs a session setting
 * (not LOCAL): it puts back the values of the run's start (apply.c), so
 * that the next revision starts from the same session. */
static bool render_settings_back(render *r, size_t k)
{
    return txblock_append_settings_back(r->ctx, &r->sb, checked_sections_settings(&r->sections, k),
                                        value_at_start, NULL);
}

/*
 * The record of how many statements of step @k succeeded.  After a SET
 * ROLE the revision's role may have no right to the applied table: as a
 * run does (apply.c, record_progress), it is written as the script's role,
 * the revision's kept meanwhile in a setting of the engine's own.
 */
static void render_progress(render *r, size_t k, const script_file *s, int done)
{
    const char *mine = checked_sections_settings(&r->sections, k);
    bool role = checked_sections_setting_index(mine, "role", 4) >= 0;
    if (role)
        sb_puts(&r->sb, "SELECT set_config('ultramigrate.revision_role', current_setting('role'),"
                        " false);\nSELECT set_config('role', NULL, false);\n");
    store_append_statements_done(r->ctx, &r->sb, s, done);
    if (role)
        sb_puts(&r->sb, "SELECT set_config('role', current_setting('ultramigrate.revision_role'),"
                        " false);\n");
}

/* "-- upgrade r1, message: path, line N" before a revision's SQL. */
static void render_step_comment(render *r, const script_file *s, int first_line)
{
    sb_printf(&r->sb, "\n-- %s %s%s", r->plan->direction == UM_UP ? "upgrade" : "downgrade", s->id,
              *s->message ? ", " : "");
    comment_text(&r->sb, s->message);
    sb_puts(&r->sb, ": ");
    comment_text(&r->sb, s->path);
    sb_printf(&r->sb, ", line %d%s\n", first_line,
              s->transactional ? "" : " (Transactional: no: statement by statement)");
}

/*
 * A "Transactional: no" revision as a run sends it: its in-progress
 * record, the session timeouts, each statement on its own followed by the
 * record of how many succeeded (what a script stopped part-way leaves is
 * what a run would: the revision blocks until it is repaired), the RESETs.
 */
static int render_statements(render *r, size_t k, const script_file *s, const char *body,
                             int first_line)
{
    um_direction dir = r->plan->direction;
    PgQuerySplitResult split = pg_query_split_with_parser(body);
    int rc =
        split.error ? apply_syntax_error(r->ctx, s, dir, body, first_line, split.error) : UM_OK;
    if (!rc) {
        store_append_in_progress(r->ctx, &r->sb, s, dir);
        apply_append_timeouts(r->ctx, &r->sb, false);
    }
    for (int i = 0; !rc && i < split.n_stmts; i++) {
        sb_append(&r->sb, body + split.stmts[i]->stmt_location, (size_t)split.stmts[i]->stmt_len);
        sb_puts(&r->sb, "\n;\n");
        render_progress(r, k, s, i + 1);
    }
    pg_query_free_split_result(split);
    if (!rc && !render_settings_back(r, k))
        rc = err_code_or_nomem(&r->ctx->err);
    if (!rc)
        render_resets(r);
    return rc;
}

static int render_step(render *r, size_t k)
{
    size_t idx = r->plan->graph_index[k];
    const script_file *s = graph_script(r->ctx->graph, idx);
    um_direction dir = r->plan->direction;
    char *body = NULL;
    int first_line = 0, rc = UM_OK;
    /* as a run: the text verify_plan_sections checked, else the file again */
    if (!checked_sections_take(&r->sections, k, &body, &first_line)) {
        rc = script_read_section(s, dir == UM_UP, &body, &first_line, &r->ctx->err);
        if (!rc)
            rc = apply_check_terminated(r->ctx, s, dir, body, first_line);
    }
    if (rc) {
        free(body);
        return rc;
    }
    if (r->comments)
        render_step_comment(r, s, first_line);
    if (s->transactional && !r->single_tx)
        sb_puts(&r->sb, "BEGIN;\n");
    if (s->transactional) {
        apply_append_revision(r->ctx, &r->sb, body, true, NULL);
        /* in its transaction, before its record, as a run puts them back */
        if (!render_settings_back(r, k))
            rc = err_code_or_nomem(&r->ctx->err);
    } else {
        rc = render_statements(r, k, s, body, first_line);
    }
    if (!rc && !apply_append_record(r->ctx, &r->sb, r->applied, dir, idx, STORE_SERVER_DURATION))
        rc = err_code_or_nomem(&r->ctx->err);
    if (s->transactional && !r->single_tx)
        sb_puts(&r->sb, "COMMIT;\n");
    r->applied[idx] = dir == UM_UP;
    free(body);
    return rc;
}

static int render_script(render *r)
{
    if (r->comments)
        render_header(r);
    sb_puts(&r->sb, "SET client_encoding = 'UTF8';\n");
    render_bookkeeping(r);
    if (r->single_tx && r->plan->n_steps)
        sb_puts(&r->sb, "BEGIN;\n");
    int rc = UM_OK;
    for (size_t k = 0; !rc && k < r->plan->n_steps; k++)
        rc = render_step(r, k);
    if (rc)
        return rc;
    if (r->single_tx && r->plan->n_steps)
        sb_puts(&r->sb, "COMMIT;\n");
    if (r->plan->n_steps) {
        sb_puts(&r->sb, "\n");
        store_append_unprepare(&r->sb);
        store_append_analyze(r->ctx, &r->sb);
        sb_puts(&r->sb, ";\n");
    }
    /* quoting reports its failures on the handle, the buffer its own */
    return r->ctx->err.d.code ? r->ctx->err.d.code : sb_failed(&r->sb) ? UM_ENOMEM : UM_OK;
}

int um_plan_render_sql(char **out, um_ctx *ctx, const um_plan *plan,
                       const um_plan_render_sql_options *opts)
{
    static const um_plan_render_sql_options defaults = UM_PLAN_RENDER_SQL_OPTIONS_INIT;
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!out || !plan || plan->ctx != ctx)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                         "um_plan_render_sql: out and a plan of this handle are required");
    if (!opts)
        opts = &defaults;
    int rc = err_check_version(&ctx->err, "um_plan_render_sql_options", opts->version,
                               UM_PLAN_RENDER_SQL_OPTIONS_VERSION);
    render r = {
        .ctx = ctx,
        .plan = plan,
        .sb = STRBUF_INIT,
        .single_tx = !ctx->cfg.transaction_per_migration,
        .comments = opts->comments != 0,
    };
    pg_cancel_forget(ctx);
    if (!rc)
        rc = check_renderable(ctx, plan, r.single_tx);
    /* what a run would refuse, the script refuses too */
    if (!rc)
        rc = verify_plan_sections(ctx, plan, &r.sections);
    if (!rc)
        rc = store_names(ctx);
    if (!rc && !(r.applied = util_calloc(graph_count(ctx->graph), 1)))
        rc = err_nomem(&ctx->err);
    if (!rc) {
        memcpy(r.applied, plan->applied, graph_count(ctx->graph));
        rc = render_script(&r);
    }
    if (rc == UM_ENOMEM)
        err_nomem(&ctx->err);
    if (!rc)
        *out = sb_detach(&r.sb);
    sb_free(&r.sb);
    free(r.applied);
    checked_sections_free(&r.sections);
    return rc;
}
