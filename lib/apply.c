/*
 * apply.c - running a plan under the migration lock.
 *
 * One round trip per revision: the revision's SQL and its bookkeeping go to
 * the server in one simple-query message, which PostgreSQL runs as one
 * implicit transaction (transaction_per_migration = true), or inside the
 * plan's explicit transaction (false).  A revision marked
 * "Transactional: no" is split into statements that run one by one, with
 * the revision recorded as in progress until the last succeeds.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

#include "apply.h"
#include "backup.h"
#include "dryrun.h"
#include "internal.h"
#include "lint.h"
#include "lock.h"
#include "pg.h"
#include "plan.h"
#include "stamp.h"
#include "store.h"
#include "strbuf.h"
#include "txblock.h"
#include "util.h"
#include "verify.h"

#define RETRY_FIRST_BACKOFF_MS 100
#define RETRY_MAX_BACKOFF_MS   5000

/* "CREATE INDEX CONCURRENTLY cannot run inside a transaction block" */
#define SQLSTATE_ACTIVE_SQL_TRANSACTION "25001"

typedef struct run {
    um_ctx *ctx;
    const um_plan *plan;
    um_apply_options opts;
    unsigned char *applied; /* graph_count bytes, updated per step */
    bool single_tx;
    checked_sections sections; /* as verify_plan_sections checked them */
    bool step_checked;         /* this step runs a text it checked */
    pg_rows *settings_before;  /* one row: the values of sections.all_settings at the start */
    err_buf not_put_back;      /* why a step's settings were not put back; code 0: they were */
} run;

/* ---- mapping a server error back to a line of the file ---------------- */

static int count_lines(const char *s, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '\n';
    return n;
}

/* Byte offset of the 1-based character @pos of UTF-8 @s (len if beyond);
 * libpg_query's positions count UTF-8 characters. */
static size_t utf8_offset(const char *s, size_t len, int pos)
{
    int chars = 0;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && ++chars == pos)
            return i;
    }
    return len;
}

/* Skips whitespace and comments, so a statement's line is its first token's. */
static size_t skip_blank(const char *s, size_t i, size_t len)
{
    while (i < len) {
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
            i++;
        } else if (s[i] == '-' && i + 1 < len && s[i + 1] == '-') {
            while (i < len && s[i] != '\n')
                i++;
        } else if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
            const char *end = strstr(s + i + 2, "*/");
            i = end ? (size_t)(end - s) + 2 : len;
        } else {
            break;
        }
    }
    return i;
}

/* Byte offset in @body of its @k-th statement, as the server splits it. */
static bool statement_offset(const char *body, int k, size_t *off)
{
    PgQuerySplitResult split = pg_query_split_with_parser(body);
    bool found = !split.error && k >= 0 && k < split.n_stmts;
    if (found)
        *off = skip_blank(body, (size_t)split.stmts[k]->stmt_location, strlen(body));
    pg_query_free_split_result(split);
    return found;
}

/*
 * With a position the server points at the character; without one, the
 * count of statements that succeeded names the failing statement.
 */
int apply_failure_line(const um_ctx *ctx, const char *msg, size_t body_off, const char *body,
                       int first_line, int prefix_statements, const pg_failure *f)
{
    size_t body_len = strlen(body);
    if (f->position > 0) {
        size_t at = pg_char_offset(ctx, msg, strlen(msg), f->position);
        if (at >= body_off && at <= body_off + body_len)
            return first_line + count_lines(body, at - body_off);
        return 0;
    }
    size_t off;
    if (statement_offset(body, f->statements_done - prefix_statements, &off))
        return first_line + count_lines(body, off);
    return 0;
}

/* ---- one step --------------------------------------------------------- */

static const script_file *step_script(const run *r, size_t k)
{
    return graph_script(r->ctx->graph, r->plan->graph_index[k]);
}

/* Whether @v has an applied child other than @idx. */
static bool has_other_applied_child(const um_ctx *ctx, const unsigned char *applied, size_t v,
                                    size_t idx)
{
    size_t n_ch = 0;
    const size_t *ch = graph_children(ctx->graph, v, &n_ch);
    for (size_t c = 0; c < n_ch; c++)
        if (ch[c] != idx && applied[ch[c]])
            return true;
    return false;
}

/*
 * Parents and dependencies of @idx that are heads once it is gone: those
 * with no other applied child.  A dependency's row may be missing
 * (Alembic drops a head's row when a revision depending on it is applied,
 * and puts it back when that revision goes): it comes back, as in
 * Alembic; where it is there, inserting it changes nothing.  Fills @out
 * (room for its parents and dependencies).
 */
static size_t heads_after_down(const um_ctx *ctx, const unsigned char *applied, size_t idx,
                               const char **out)
{
    size_t n_par = 0, n_dep = 0, n = 0;
    const size_t *par = graph_parents(ctx->graph, idx, &n_par);
    const size_t *dep = graph_depends(ctx->graph, idx, &n_dep);
    for (size_t i = 0; i < n_par + n_dep; i++) {
        size_t v = i < n_par ? par[i] : dep[i - n_par];
        if (!has_other_applied_child(ctx, applied, v, idx))
            out[n++] = graph_script(ctx->graph, v)->id;
    }
    return n;
}

int apply_append_timeouts(const um_ctx *ctx, strbuf *sb, bool local)
{
    const char *scope = local ? "true" : "false";
    int n = 0;
    if (ctx->cfg.lock_timeout_ms > 0) {
        sb_printf(sb, "SELECT set_config('lock_timeout', '%dms', %s);\n", ctx->cfg.lock_timeout_ms,
                  scope);
        n++;
    }
    if (ctx->cfg.statement_timeout_ms > 0) {
        sb_printf(sb, "SELECT set_config('statement_timeout', '%dms', %s);\n",
                  ctx->cfg.statement_timeout_ms, scope);
        n++;
    }
    return n;
}

int apply_append_revision(const um_ctx *ctx, strbuf *sb, const char *body, bool local,
                          size_t *body_off)
{
    int prefix = apply_append_timeouts(ctx, sb, local);
    if (body_off)
        *body_off = sb->len;
    sb_puts(sb, body);
    sb_puts(sb, "\n;\n");
    return prefix;
}

bool apply_append_record(um_ctx *ctx, strbuf *sb, const unsigned char *applied, um_direction dir,
                         size_t idx, double duration_ms)
{
    const script_file *s = graph_script(ctx->graph, idx);
    size_t n_dep = 0;
    graph_depends(ctx->graph, idx, &n_dep);
    const char **heads = util_calloc(s->n_parents + n_dep, sizeof(*heads));
    if (!heads)
        return false;
    size_t n = s->n_parents;
    if (dir == UM_DOWN)
        n = heads_after_down(ctx, applied, idx, heads);
    else if (n)
        memcpy(heads, s->parents, n * sizeof(*heads));
    bool ok = store_append_step_record(ctx, sb, s, dir, heads, n, duration_ms);
    free(heads);
    return ok;
}

static bool append_record(const run *r, strbuf *sb, size_t k, double duration_ms)
{
    return apply_append_record(r->ctx, sb, r->applied, r->plan->direction, r->plan->graph_index[k],
                               duration_ms);
}

static int step_failed(run *r, const script_file *s, int line, const pg_failure *f)
{
    const char *what = r->plan->direction == UM_UP ? "upgrade failed" : "downgrade failed";
    return pg_failure_to_error(r->ctx, f, s->path, line, s->id, what);
}

/* The syntax error libpg_query found in @body: the server's error (it
 * parses as the server would), at the revision's line. */
int apply_syntax_error(um_ctx *ctx, const script_file *s, um_direction dir, const char *body,
                       int first_line, const PgQueryError *e)
{
    size_t at = e->cursorpos > 0 ? utf8_offset(body, strlen(body), e->cursorpos) : 0;
    int rc = ctx_error(ctx, UM_ESQL, s->path, first_line + count_lines(body, at), s->id,
                       "%s failed: %s (SQLSTATE " SQLSTATE_SYNTAX_ERROR ")",
                       dir == UM_UP ? "upgrade" : "downgrade", e->message);
    err_set_server(&ctx->err, SQLSTATE_SYNTAX_ERROR, NULL, NULL);
    return rc;
}

static int syntax_error(run *r, const script_file *s, const char *body, int first_line,
                        const PgQueryError *e)
{
    return apply_syntax_error(r->ctx, s, r->plan->direction, body, first_line, e);
}

/*
 * The bookkeeping statements go in the same message as the body: an
 * unterminated comment, string or quoted identifier would swallow them
 * (and the server's error would quote them), so the body must lex to its
 * end before it is sent.
 */
int apply_check_terminated(um_ctx *ctx, const script_file *s, um_direction dir, const char *body,
                           int first_line)
{
    PgQueryScanResult scan = pg_query_scan(body);
    int rc = scan.error ? apply_syntax_error(ctx, s, dir, body, first_line, scan.error) : UM_OK;
    pg_query_free_scan_result(scan);
    return rc;
}

/* A text read at its step (not kept from the check before the run) is
 * scanned here: an unterminated token would swallow the bookkeeping. */
static int check_terminated(run *r, size_t k, const char *body, int first_line)
{
    if (r->step_checked)
        return UM_OK;
    return apply_check_terminated(r->ctx, step_script(r, k), r->plan->direction, body, first_line);
}

/* ---- session settings a revision changes ------------------------------- */

/*
 * A SET (not LOCAL) or RESET in a revision would outlive it, and reach the
 * revisions after it in the same run but not in another: a SET search_path,
 * SET ROLE or SET client_encoding would change where and how the next
 * revision works, by whether it ran in the same run.  The values the
 * settings some revision changes (txblock.h: TXBLOCK_SETTING) have at the
 * start of the run are read once, and put back after each such revision,
 * so that every revision starts from the same session.
 */
/* The name at @p of a "name\n" list, NUL-terminated in @out; its length. */
static size_t setting_at(const char *p, char out[NAMEDATALEN_MAX])
{
    size_t len = strcspn(p, "\n"), n = len < NAMEDATALEN_MAX ? len : NAMEDATALEN_MAX - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return len;
}

static int read_settings_before(run *r)
{
    const char *names = sb_str(&r->sections.all_settings);
    if (!names || !*names)
        return UM_OK;
    strbuf sql = STRBUF_INIT;
    sb_puts(&sql, "SELECT ");
    char name[NAMEDATALEN_MAX];
    for (const char *p = names; *p;) {
        size_t len = setting_at(p, name);
        sb_puts(&sql, p == names ? "current_setting(" : ", current_setting(");
        pg_append_literal(r->ctx, &sql, name);
        sb_puts(&sql, ", true)");
        p += len + 1;
    }
    int rc = sb_failed(&sql) || r->ctx->err.d.code
                 ? err_code_or_nomem(&r->ctx->err)
                 : pg_query(r->ctx, sb_str(&sql), 0, NULL, &r->settings_before, NULL);
    sb_free(&sql);
    return rc;
}

/* The value setting @name had when the run started; NULL: unknown then. */
static const char *setting_before(const run *r, const char *name)
{
    int col = checked_sections_setting_index(sb_str(&r->sections.all_settings), name, strlen(name));
    return col >= 0 && r->settings_before ? pg_rows_value(r->settings_before, 0, col) : NULL;
}

/* txblock_value_fn: the value a setting had when the run started. */
static const char *value_before(size_t i, const char *name, void *arg)
{
    (void)i;
    return setting_before(arg, name);
}

/* Appends the statement that puts back the settings step @k changes
 * (set_config with NULL: RESET, for a setting unknown at the start), the
 * session's identity first; nothing for a step that changes none.  false:
 * out of memory (error set). */
static bool append_settings_back(run *r, strbuf *sb, size_t k)
{
    if (!r->settings_before)
        return true;
    bool ok = txblock_append_settings_back(r->ctx, sb, checked_sections_settings(&r->sections, k),
                                           value_before, r);
    if (!ok)
        err_code_or_nomem(&r->ctx->err);
    return ok;
}

/* Outside a transaction: the settings back in a message of their own,
 * whether the revision failed or not, keeping its error.  Their own
 * failure goes to r->not_put_back: the revision is done, and is recorded
 * so, but the next one must not run in the session it changed. */
static void put_settings_back(run *r, size_t k)
{
    strbuf msg = STRBUF_INIT;
    err_buf kept = err_stash(&r->ctx->err);
    if (append_settings_back(r, &msg, k) && msg.len)
        pg_exec(r->ctx, sb_str(&msg), NULL);
    err_clear(&r->not_put_back);
    r->not_put_back = err_stash(&r->ctx->err);
    err_unstash(&r->ctx->err, &kept);
    sb_free(&msg);
}

static int run_in_transaction(run *r, size_t k, const char *body, int first_line)
{
    strbuf msg = STRBUF_INIT;
    pg_failure f = { 0 };
    int rc = check_terminated(r, k, body, first_line);
    if (rc)
        return rc;
    size_t body_off;
    int prefix = apply_append_revision(r->ctx, &msg, body, true, &body_off);
    if (!append_settings_back(r, &msg, k) || !append_record(r, &msg, k, STORE_SERVER_DURATION) ||
        sb_failed(&msg)) {
        rc = err_code_or_nomem(&r->ctx->err);
        goto done;
    }
    rc = pg_exec(r->ctx, sb_str(&msg), &f);
    if (rc)
        rc = step_failed(
            r, step_script(r, k),
            apply_failure_line(r->ctx, sb_str(&msg), body_off, body, first_line, prefix, &f), &f);
done:
    pg_failure_clear(&f);
    sb_free(&msg);
    return rc;
}

/* @hint (taken) before the error's own hint (the server's, if any); out
 * of memory leaves the error as it was. */
static void put_hint_first(err_buf *e, strbuf *hint)
{
    if (e->d.hint)
        sb_printf(hint, "; %s", e->d.hint);
    char *text = sb_detach(hint);
    if (!text)
        return;
    free((char *)e->d.hint);
    e->d.hint = text;
}

/*
 * A "Transactional: no" revision that failed at a statement keeps what the
 * ones before it did and blocks every later run until an operator records
 * what it is: the first message says so, not only the one that refuses the
 * next run.  Appended to the server's hint; out of memory leaves the error
 * as it was.
 */
static void hint_part_way(um_ctx *ctx, const script_file *s, int done)
{
    err_buf *e = &ctx->err;
    strbuf hint = STRBUF_INIT;
    /* with the session gone, its row stays in progress: nothing can record more */
    sb_printf(&hint,
              "revision %s is 'Transactional: no': %d statement%s before this one succeeded and"
              " stay%s done, and the revision is %s, so every upgrade and"
              " downgrade is refused until it is repaired: finish or undo its statements by"
              " hand, then run 'ultramigrate repair %s --applied' or 'ultramigrate repair %s"
              " --rolled-back' (docs/migration_troubleshooting.md, \"a half-done revision\")",
              s->id, done, done == 1 ? "" : "s", done == 1 ? "s" : "",
              pg_connected(ctx) ? "recorded as failed" : "left in progress (the session was lost)",
              s->id, s->id);
    put_hint_first(e, &hint);
}

/* Runs each statement of @body on its own, outside any transaction. */
/*
 * Records that @done statements of 'Transactional: no' step @k succeeded,
 * in the revision's session.  After a SET ROLE the revision's role may
 * have no right to the applied table: the row is then written as the role
 * the run started with, and the revision's role taken up again.
 */
static int record_progress(run *r, size_t k, int done)
{
    const script_file *s = step_script(r, k);
    const char *mine = checked_sections_settings(&r->sections, k);
    if (checked_sections_setting_index(mine, "role", 4) < 0)
        return store_set_statements_done(r->ctx, s, done);
    pg_rows *role = NULL;
    int rc = pg_query(r->ctx, "SELECT current_setting('role')", 0, NULL, &role, NULL);
    if (rc)
        return rc;
    const char *before = setting_before(r, "role");
    strbuf msg = STRBUF_INIT;
    sb_puts(&msg, "SELECT set_config('role', ");
    pg_append_literal(r->ctx, &msg, before ? before : "none");
    sb_puts(&msg, ", false);\n");
    store_append_statements_done(r->ctx, &msg, s, done);
    sb_puts(&msg, "SELECT set_config('role', ");
    pg_append_literal(r->ctx, &msg, pg_rows_value(role, 0, 0));
    sb_puts(&msg, ", false);\n");
    rc = sb_failed(&msg) || r->ctx->err.d.code ? err_code_or_nomem(&r->ctx->err)
                                               : pg_exec(r->ctx, sb_str(&msg), NULL);
    sb_free(&msg);
    pg_rows_free(role);
    return rc;
}

static int run_statements(run *r, size_t k, const char *body, int first_line)
{
    const script_file *s = step_script(r, k);
    PgQuerySplitResult split = pg_query_split_with_parser(body);
    int rc = UM_OK;
    if (split.error)
        rc = syntax_error(r, s, body, first_line, split.error);
    for (int i = 0; !rc && i < split.n_stmts; i++) {
        size_t off = (size_t)split.stmts[i]->stmt_location;
        char *stmt = strndup(body + off, (size_t)split.stmts[i]->stmt_len);
        if (!stmt) {
            rc = err_nomem(&r->ctx->err);
            break;
        }
        pg_failure f = { 0 };
        rc = pg_exec(r->ctx, stmt, &f);
        /* what stays done is on record before the next statement runs */
        if (!rc)
            rc = record_progress(r, k, i + 1);
        else {
            size_t at = f.position > 0
                            ? off + pg_char_offset(r->ctx, stmt, strlen(stmt), f.position)
                            : skip_blank(body, off, strlen(body));
            step_failed(r, s, first_line + count_lines(body, at), &f);
            hint_part_way(r->ctx, s, i);
        }
        pg_failure_clear(&f);
        free(stmt);
    }
    pg_query_free_split_result(split);
    return rc;
}

/*
 * Outside a transaction set_config(..., true) would end with each
 * statement, so the timeouts are set for the session, and the values they
 * had are put back after (the connection may be the host's).
 */
typedef struct saved_timeouts {
    pg_saved_setting lock_timeout;
    pg_saved_setting statement_timeout;
} saved_timeouts;

static int set_timeout(run *r, const char *name, int ms, pg_saved_setting *old)
{
    char value[32];
    if (ms <= 0)
        return UM_OK;
    snprintf(value, sizeof(value), "%dms", ms);
    return pg_swap_setting(r->ctx, name, value, old);
}

static int set_session_timeouts(run *r, saved_timeouts *saved)
{
    const config_settings *cfg = &r->ctx->cfg;
    /* through a transaction pooler a session setting would stay on a
     * server session other clients get next, and a statement of the
     * revision may run on another one */
    if (cfg->lock_mode == CONFIG_LOCK_TABLE) {
        if (cfg->lock_timeout_ms > 0 || cfg->statement_timeout_ms > 0)
            log_printf(&r->ctx->log, UM_LOG_INFO,
                       "lock_mode = table: the statements of a 'Transactional: no' revision run"
                       " without lock_timeout and statement_timeout (a session setting would"
                       " outlive them on a pooled connection)");
        return UM_OK;
    }
    int rc = set_timeout(r, "lock_timeout", r->ctx->cfg.lock_timeout_ms, &saved->lock_timeout);
    if (!rc)
        rc = set_timeout(r, "statement_timeout", r->ctx->cfg.statement_timeout_ms,
                         &saved->statement_timeout);
    return rc;
}

/* Puts the saved values back, keeping the step's error on the handle. */
static void restore_session_timeouts(run *r, saved_timeouts *saved)
{
    err_buf kept = err_stash(&r->ctx->err);
    pg_restore_setting(r->ctx, "lock_timeout", &saved->lock_timeout);
    pg_restore_setting(r->ctx, "statement_timeout", &saved->statement_timeout);
    err_unstash(&r->ctx->err, &kept);
}

/* Records step @k as done, in a message of its own. */
static int record_done(run *r, size_t k, double duration_ms)
{
    strbuf msg = STRBUF_INIT;
    int rc = append_record(r, &msg, k, duration_ms) && !sb_failed(&msg)
                 ? pg_exec(r->ctx, sb_str(&msg), NULL)
                 : err_code_or_nomem(&r->ctx->err);
    sb_free(&msg);
    return rc;
}

static int run_outside_transaction(run *r, size_t k, const char *body, int first_line)
{
    const script_file *s = step_script(r, k);
    double t0 = util_now_ms();
    saved_timeouts saved = { { false, NULL }, { false, NULL } };
    int rc = store_mark_in_progress(r->ctx, s, r->plan->direction);
    if (!rc)
        rc = set_session_timeouts(r, &saved);
    if (!rc)
        rc = run_statements(r, k, body, first_line);
    put_settings_back(r, k);
    restore_session_timeouts(r, &saved);
    return rc ? rc : record_done(r, k, util_now_ms() - t0);
}

static bool cancel_requested(const run *r)
{
    return pg_cancel_requested(r->ctx);
}

/* A statement cancelled by um_cancel() fails like any other; say why. */
static int step_cancelled(run *r, size_t k)
{
    const script_file *s = step_script(r, k);
    return ctx_error(r->ctx, UM_ECANCELLED, s->path, 0, s->id, "%s",
                     s->transactional ? "cancelled by the host while this revision ran; it was"
                                        " rolled back"
                                      : "cancelled by the host while this revision ran"
                                        " (Transactional: no): the statement running was"
                                        " cancelled, the statements before it stay done");
}

static bool lock_timed_out(const um_ctx *ctx)
{
    return ctx->err.d.code == UM_ESQL && ctx->err.d.sqlstate &&
           strcmp(ctx->err.d.sqlstate, SQLSTATE_LOCK_NOT_AVAILABLE) == 0;
}

/*
 * A revision that gave up waiting for a lock (lock_timeout) rolled back
 * whole, so it is safe to run again: rather than queue behind a long
 * transaction and block the traffic behind it, it retries with backoff.
 * Only a transactional revision: the other kind may have done part of
 * its work.  Each failed attempt is in the history.
 */
static int run_with_retries(run *r, size_t k, const char *body, int first_line)
{
    long backoff = RETRY_FIRST_BACKOFF_MS;
    for (int attempt = 0;; attempt++) {
        double t0 = util_now_ms();
        int rc = run_in_transaction(r, k, body, first_line);
        if (rc == UM_OK || !lock_timed_out(r->ctx) || attempt >= r->ctx->cfg.lock_retries ||
            r->single_tx || cancel_requested(r))
            return rc;
        log_printf(&r->ctx->log, UM_LOG_WARNING, "%s (attempt %d of %d; retrying in %ld ms)",
                   um_errmsg(r->ctx), attempt + 1, r->ctx->cfg.lock_retries + 1, backoff);
        store_record_stop(r->ctx, step_script(r, k), r->plan->direction, util_now_ms() - t0,
                          um_errmsg(r->ctx), STORE_FAILED);
        err_clear(&r->ctx->err);
        if (pg_sleep_unless_cancelled(r->ctx, backoff))
            return step_cancelled(r, k);
        backoff = backoff * 2 > RETRY_MAX_BACKOFF_MS ? RETRY_MAX_BACKOFF_MS : backoff * 2;
    }
}

/*
 * A failure around the revision's own SQL (its bookkeeping, a setting)
 * still names the revision and its file, in the message and the history.
 */
static int name_the_revision(run *r, size_t k, int rc)
{
    err_buf *e = &r->ctx->err;
    if (e->d.revision || !e->d.message)
        return rc;
    const script_file *s = step_script(r, k);
    err_buf plain = err_stash(e);
    err_set(e, rc, s->path, 0, s->id, "%s", plain.d.message);
    err_set_server(e, plain.d.sqlstate, plain.d.detail, plain.d.hint);
    err_clear(&plain);
    return rc;
}

/*
 * A statement PostgreSQL refuses inside a transaction (block, function,
 * pipeline) that the checks before the run did not see, hidden in a
 * DO block or one they do not know: the server's message says what, the
 * hint says what to change in which file.  Out of memory leaves the error
 * as it was.
 */
static void hint_transaction_block(run *r, size_t k)
{
    err_buf *e = &r->ctx->err;
    if (!e->d.sqlstate || strcmp(e->d.sqlstate, SQLSTATE_ACTIVE_SQL_TRANSACTION) != 0)
        return;
    const script_file *s = step_script(r, k);
    strbuf hint = STRBUF_INIT;
    if (s->transactional)
        sb_printf(&hint,
                  "this statement cannot run inside a transaction: put it in a revision of its"
                  " own with '-- Transactional: no' in its header (revision %s, %s)%s",
                  s->id, s->path, r->single_tx ? ", and set transaction_per_migration = true" : "");
    else
        sb_printf(&hint,
                  "revision %s already runs outside a transaction: write the statement"
                  " at the top level of the section, not inside a DO block, a function"
                  " or a procedure",
                  s->id);
    put_hint_first(e, &hint);
}

static int run_step(run *r, size_t k)
{
    const script_file *s = step_script(r, k);
    char *body = NULL;
    int first_line = 0;
    int rc = UM_OK;
    r->step_checked = checked_sections_take(&r->sections, k, &body, &first_line);
    if (!r->step_checked)
        rc = script_read_section(s, r->plan->direction == UM_UP, &body, &first_line, &r->ctx->err);
    if (rc)
        return rc;
    if (s->transactional)
        rc = run_with_retries(r, k, body, first_line);
    else
        rc = run_outside_transaction(r, k, body, first_line);
    free(body);
    if (!rc)
        return rc;
    hint_transaction_block(r, k);
    return name_the_revision(r, k, rc);
}

/* ---- the run ---------------------------------------------------------- */

static int report(run *r, size_t k, um_step_phase phase, double elapsed)
{
    if (!r->opts.progress_cb)
        return 0;
    const um_step *st = &r->plan->steps[k];
    um_step_info info = { st->direction,
                          phase,
                          st->revision,
                          st->message,
                          k,
                          r->plan->n_steps,
                          elapsed,
                          phase == UM_STEP_DONE && !r->single_tx };
    err_buf kept;
    host_guard_enter(&r->ctx->guard, &kept);
    int stop = r->opts.progress_cb(&info, r->opts.progress_payload);
    host_guard_leave(&r->ctx->guard, &kept);
    return stop;
}

/*
 * How step @k ended, for the history: a cancel is clean when what ran of
 * the revision rolled back (or nothing ran); a "Transactional: no"
 * revision stopped part-way is a failure whatever stopped it.
 */
static store_stop how_it_stopped(const run *r, size_t k, bool started)
{
    if (started && !step_script(r, k)->transactional)
        return STORE_FAILED_UNFINISHED;
    if (r->ctx->err.d.code == UM_ECANCELLED)
        return STORE_CANCELLED;
    return STORE_FAILED;
}

/* Rolls back what is open and records how step @k ended, keeping its
 * error on the handle. */
static void record_stop(run *r, size_t k, double elapsed, bool started)
{
    um_ctx *ctx = r->ctx;
    store_stop how = how_it_stopped(r, k, started);
    err_buf saved = err_stash(&ctx->err);
    /* a lost connection is not made again here: the lock went with it */
    if (pg_connected(ctx) && (r->single_tx || pg_in_transaction(ctx)))
        pg_exec(ctx, "ROLLBACK", NULL);
    if (pg_connected(ctx))
        store_record_stop(ctx, step_script(r, k), r->plan->direction, elapsed, saved.d.message,
                          how);
    err_unstash(&ctx->err, &saved);
}

static int check_single_tx(run *r)
{
    for (size_t k = 0; k < r->plan->n_steps; k++) {
        const script_file *s = step_script(r, k);
        /* the configuration and the files disagree: UM_ECONFIG (exit 3),
         * naming both, rather than an invalid argument of the caller's */
        if (!s->transactional)
            return ctx_error(r->ctx, UM_ECONFIG, s->path, 0, s->id,
                             "'Transactional: no' revisions cannot run inside the single"
                             " transaction of transaction_per_migration = false; nothing was"
                             " run (set transaction_per_migration = true for this run)");
    }
    return pg_exec(r->ctx, "BEGIN", NULL);
}

/* Stops before step @k; in a single transaction nothing stays done. */
static int cancel(run *r, size_t k)
{
    ctx_error(r->ctx, UM_ECANCELLED, NULL, 0, r->plan->steps[k].revision,
              "cancelled by the host before this revision%s",
              r->single_tx ? "; the whole run was rolled back" : "");
    record_stop(r, k, 0, false);
    return UM_ECANCELLED;
}

/* Stops before step @k: the settings step @k - 1 changed are still
 * changed, and step @k would run in the session as it left it. */
static int settings_not_put_back(run *r, size_t k)
{
    err_unstash(&r->ctx->err, &r->not_put_back);
    err_prefix(&r->ctx->err, r->ctx->err.d.code,
               "revision %s was applied, but the session settings it changed could not be put"
               " back, so the run stopped before revision %s",
               r->plan->steps[k - 1].revision, r->plan->steps[k].revision);
    record_stop(r, k, 0, false);
    return r->ctx->err.d.code;
}

/*
 * A body with BEGIN and no COMMIT (or one that failed after its own
 * BEGIN) leaves the session in a transaction: nothing of it would commit,
 * and the next statement would fail.  It is rolled back and reported.
 */
static int left_open(run *r, size_t k)
{
    const script_file *s = step_script(r, k);
    pg_exec(r->ctx, "ROLLBACK", NULL);
    return ctx_error(r->ctx, UM_ESQL, s->path, 0, s->id,
                     "the revision left a transaction open (BEGIN without COMMIT);"
                     " it was rolled back: the engine wraps each revision in a"
                     " transaction, so remove its BEGIN/COMMIT");
}

/* One INFO line per revision a run applied or reverted. */
static void log_step(const run *r, size_t k, double elapsed_ms)
{
    const um_step *st = &r->plan->steps[k];
    bool titled = st->message && *st->message;
    log_printf(&r->ctx->log, UM_LOG_INFO, "%s %s%s%s%s in %.1f ms",
               st->direction == UM_UP ? "applied" : "reverted", st->revision, titled ? " (" : "",
               titled ? st->message : "", titled ? ")" : "", elapsed_ms);
}

static int execute(run *r)
{
    int rc = r->single_tx ? check_single_tx(r) : UM_OK;
    for (size_t k = 0; !rc && k < r->plan->n_steps; k++) {
        if (r->not_put_back.d.code) {
            rc = settings_not_put_back(r, k);
            break;
        }
        if (cancel_requested(r) || report(r, k, UM_STEP_START, 0)) {
            rc = cancel(r, k);
            break;
        }
        double t0 = util_now_ms();
        rc = run_step(r, k);
        if (!rc && !r->single_tx && pg_in_transaction(r->ctx))
            rc = left_open(r, k);
        if (rc && cancel_requested(r))
            rc = step_cancelled(r, k);
        if (rc) {
            record_stop(r, k, util_now_ms() - t0, true);
            break;
        }
        r->applied[r->plan->graph_index[k]] = r->plan->direction == UM_UP;
        log_step(r, k, util_now_ms() - t0);
        if (report(r, k, UM_STEP_DONE, util_now_ms() - t0) && k + 1 < r->plan->n_steps) {
            rc = cancel(r, k + 1);
            break;
        }
    }
    if (!rc && r->not_put_back.d.code)
        log_printf(&r->ctx->log, UM_LOG_WARNING,
                   "the session settings the last revision changed could not be put back: %s",
                   r->not_put_back.d.message);
    if (!rc && r->single_tx) {
        pg_failure f = { 0 };
        rc = pg_exec(r->ctx, "COMMIT", &f);
        if (rc)
            pg_failure_to_error(r->ctx, &f, NULL, 0, NULL, "commit failed; nothing was applied");
        pg_failure_clear(&f);
    }
    return rc;
}

/* The plan made under the lock may only be what remains of the approved
 * one: steps another run did are gone, nothing new appeared. */
static int check_still_valid(um_ctx *ctx, const um_plan *fresh, const um_plan *approved)
{
    size_t j = 0;
    for (size_t i = 0; i < fresh->n_steps; i++) {
        while (j < approved->n_steps && approved->graph_index[j] != fresh->graph_index[i])
            j++;
        if (j == approved->n_steps)
            return ctx_error(ctx, UM_ESTALE, NULL, 0, fresh->steps[i].revision,
                             "the database changed since the plan was made; plan again");
    }
    if (fresh->n_steps < approved->n_steps)
        log_printf(&ctx->log, UM_LOG_INFO, "%zu of %zu steps were already done by another run",
                   approved->n_steps - fresh->n_steps, approved->n_steps);
    return UM_OK;
}

/*
 * A version table with rows and no applied table: a database another tool
 * (Alembic) managed.  It is adopted where it stands: its heads and all
 * their ancestors are recorded as applied, with the files' checksums and a
 * history row each saying so, and nothing runs; the state is then read
 * again.  The version table keeps its rows: they are Alembic's, which may
 * leave out a head that an applied revision depends on, and the steps that
 * follow update them as Alembic's would.
 */
static int adopt(um_ctx *ctx, store_state *st, const unsigned char *applied)
{
    size_t n = 0, count = graph_count(ctx->graph);
    const script_file **as = util_calloc(count, sizeof(*as));
    if (!as)
        return err_nomem(&ctx->err);
    for (size_t i = 0; i < count; i++) /* apply order: ancestors first */
        if (applied[i])
            as[n++] = graph_script(ctx->graph, i);
    log_printf(&ctx->log, UM_LOG_INFO,
               "adopting the database another tool managed, at %s%s: %zu revision%s recorded as"
               " applied, none run",
               st->heads[0], st->n_heads > 1 ? " and more heads" : "", n, n == 1 ? "" : "s");
    int rc = store_adopt(ctx, as, n);
    free(as);
    if (rc == UM_OK) {
        store_state_free(st);
        rc = store_read_state(ctx, st);
    }
    return rc;
}

/*
 * The bookkeeping tables of @st (read under the lock) created or brought
 * up to date when they need it.  A version table of another tool's is
 * adopted, unless one of its rows names a revision no file defines: then
 * nothing is written at all (the applied set is computed before the
 * tables are created).  With @purge (stamp --purge) its rows are about to
 * go: neither checked nor adopted.
 */
static int prepare_tables(um_ctx *ctx, store_state *st, bool purge)
{
    int rc = UM_OK;
    /* with a table missing, store_ensure_tables makes it and upgrades them */
    if (st->needs_upgrade && st->tables_exist) {
        rc = store_upgrade_tables(ctx);
        st->needs_upgrade = rc != UM_OK;
    }
    if (!rc && st->tables_exist)
        rc = store_check_tables(ctx);
    if (rc || st->tables_exist)
        return rc;
    bool foreign = st->n_heads > 0, adopting = foreign && !purge;
    unsigned char *applied = NULL;
    size_t *heads = NULL, n_heads = 0;
    if (adopting)
        rc = plan_applied_set(ctx, st->heads, st->n_heads, &applied, &heads, &n_heads);
    if (rc == UM_OK)
        rc = store_ensure_tables(ctx, foreign);
    if (rc == UM_OK && adopting)
        rc = adopt(ctx, st, applied);
    free(applied);
    free(heads);
    return rc;
}

/* The state under the lock, the bookkeeping tables made ready. */
static int prepare_locked(um_ctx *ctx, store_state *st, bool purge)
{
    int rc = store_read_state(ctx, st);
    return rc ? rc : prepare_tables(ctx, st, purge);
}

/*
 * Starts a call that changes the database: any old cancel request
 * forgotten, the handle marked busy (um_cancel acts only then), the
 * migration lock taken and the session reading UTF-8, the encoding of the
 * revision files (*encoding: what to put back, -1 for nothing).
 */
static void end_locked(um_ctx *ctx, bool wrote, int encoding);

static int begin_locked(um_ctx *ctx, int *encoding)
{
    *encoding = -1;
    int rc = pg_call_begin(ctx);
    if (rc)
        return rc;
    rc = lock_acquire(ctx);
    if (!rc)
        rc = pg_use_utf8(ctx, encoding);
    if (rc)
        end_locked(ctx, false, *encoding);
    return rc;
}

/*
 * Ends it, whatever happened, keeping its error: a transaction a revision
 * left open rolled back, statistics refreshed after a run that wrote, the
 * step statements dropped from a borrowed connection, the lock released,
 * the encoding put back.
 */
static void end_locked(um_ctx *ctx, bool wrote, int encoding)
{
    err_buf saved = err_stash(&ctx->err);
    if (pg_in_transaction(ctx))
        pg_exec(ctx, "ROLLBACK", NULL);
    /* a host that cancelled wants out: ANALYZE may wait on a lock */
    if (wrote && !pg_cancel_requested(ctx))
        store_analyze(ctx);
    store_unprepare(ctx);
    lock_release(ctx);
    pg_restore_encoding(ctx, encoding);
    err_unstash(&ctx->err, &saved);
    pg_call_end(ctx);
}

/*
 * lint_on_upgrade: the revisions an upgrade is about to apply are linted
 * first and the findings logged; with "error", an error finding refuses
 * the run before anything is written (or backed up).
 */
static int lint_before_upgrade(um_ctx *ctx, um_direction dir, const um_plan *plan)
{
    return dir == UM_UP ? lint_gate(ctx, plan->graph_index, plan->n_steps) : UM_OK;
}

/*
 * The size of um_apply_options as a host built against @version has it
 * (0: unknown): version 1 ends before dry_run.  Only what the host's
 * struct holds is read or written.
 */
static size_t apply_options_size(unsigned int version)
{
    if (version == 1)
        return offsetof(um_apply_options, dry_run);
    return version == UM_APPLY_OPTIONS_VERSION ? sizeof(um_apply_options) : 0;
}

/* @opts (NULL: the defaults) as this version's struct, the fields an
 * older host lacks at their defaults. */
static void apply_options_copy(const um_apply_options *opts, um_apply_options *out)
{
    static const um_apply_options init = UM_APPLY_OPTIONS_INIT;
    *out = init;
    if (opts)
        memcpy(out, opts, apply_options_size(opts->version));
}

/*
 * Backs up as asked, then makes the bookkeeping tables ready and runs @r's
 * plan (made from @st): in that order, so that a database whose backup
 * fails is left exactly as it was, even one never migrated.
 */
static int run_plan(run *r, store_state *st)
{
    size_t *heads = NULL, n_heads = 0;
    int rc = backup_before_upgrade(r->ctx, r->plan->direction, r->plan->n_steps, &r->opts);
    if (!rc)
        rc = prepare_tables(r->ctx, st, false);
    if (!rc)
        rc = plan_applied_set(r->ctx, st->heads, st->n_heads, &r->applied, &heads, &n_heads);
    if (!rc && r->plan->n_steps)
        rc = store_prepare(r->ctx);
    if (!rc)
        rc = read_settings_before(r);
    if (!rc)
        rc = execute(r);
    free(heads);
    return rc;
}

static int locked_run(um_ctx *ctx, um_direction dir, const char *target, const um_plan *approved,
                      const um_apply_options *opts)
{
    store_state st = { 0 };
    um_plan *fresh = NULL;
    run r = { .ctx = ctx,
              .opts = UM_APPLY_OPTIONS_INIT,
              .single_tx = !ctx->cfg.transaction_per_migration };
    int encoding;
    apply_options_copy(opts, &r.opts);
    if (r.opts.dry_run && r.opts.dry_run_out)
        *r.opts.dry_run_out = NULL;

    int rc = begin_locked(ctx, &encoding);
    if (rc)
        return rc;
    /* nothing is written before the plan runs (a dry run: not at all) */
    rc = store_read_state(ctx, &st);
    if (!rc)
        rc = plan_verify_checksums(ctx, &st);
    if (!rc)
        rc = plan_build(ctx, &st, dir, target, &fresh);
    if (rc == UM_ETARGET && approved) /* valid when approved: the state moved */
        rc = ctx_error(ctx, UM_ESTALE, NULL, 0, NULL,
                       "the database changed since the plan was made (%s); plan again",
                       um_errmsg(ctx));
    if (!rc && approved)
        rc = check_still_valid(ctx, fresh, approved);
    if (!rc)
        rc = verify_plan_sections(ctx, fresh, &r.sections);
    if (!rc)
        rc = lint_before_upgrade(ctx, dir, fresh);
    r.plan = fresh;
    if (!rc)
        rc = r.opts.dry_run ? dryrun_execute(ctx, fresh, &r.opts) : run_plan(&r, &st);
    end_locked(ctx, !r.opts.dry_run && fresh && fresh->n_steps > 0, encoding);
    free(r.applied);
    pg_rows_free(r.settings_before);
    err_clear(&r.not_put_back);
    checked_sections_free(&r.sections);
    plan_free(fresh);
    store_state_free(&st);
    return rc;
}

static int check_apply_options(um_ctx *ctx, const um_apply_options *opts)
{
    if (!opts || apply_options_size(opts->version))
        return UM_OK;
    return err_check_version(&ctx->err, "um_apply_options", opts->version,
                             UM_APPLY_OPTIONS_VERSION);
}

int um_apply_options_init(um_apply_options *opts, unsigned int version)
{
    static const um_apply_options init = UM_APPLY_OPTIONS_INIT;
    return util_options_init_sized(opts, &init, apply_options_size(version), version);
}

int um_apply(um_ctx *ctx, const um_plan *plan, const um_apply_options *opts)
{
    CTX_ENTER(ctx);
    if (!plan || plan->ctx != ctx)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                         "um_apply: the plan must come from um_plan_create on this handle");
    int rc = check_apply_options(ctx, opts);
    return rc ? rc : locked_run(ctx, plan->direction, plan->target, plan, opts);
}

int um_upgrade(um_ctx *ctx, const char *target, const um_apply_options *opts)
{
    CTX_ENTER(ctx);
    int rc = check_apply_options(ctx, opts);
    return rc ? rc : locked_run(ctx, UM_UP, target ? target : "heads", NULL, opts);
}

int um_rollback(um_ctx *ctx, const char *target, const um_apply_options *opts)
{
    CTX_ENTER(ctx);
    if (!target)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                         "a downgrade needs a target (a revision, -N or base)");
    int rc = check_apply_options(ctx, opts);
    return rc ? rc : locked_run(ctx, UM_DOWN, target, NULL, opts);
}

/* ---- stamp and schema ------------------------------------------------- */

/* Records @set (graph_count bytes) as the state: its heads in the version
 * table, its revisions applied; no revision SQL runs. */
static int stamp_set(um_ctx *ctx, const store_state *st, const unsigned char *set)
{
    size_t n = graph_count(ctx->graph), *heads = NULL, n_heads = 0, n_as = 0;
    const script_file **hs = NULL, **as = util_calloc(n, sizeof(*as));
    int rc = as ? graph_heads_of(ctx->graph, set, &heads, &n_heads) : UM_ENOMEM;
    if (rc == UM_OK && !(hs = util_calloc(n_heads, sizeof(*hs))))
        rc = UM_ENOMEM;
    if (rc != UM_OK) {
        rc = err_nomem(&ctx->err);
        goto done;
    }
    for (size_t i = 0; i < n_heads; i++)
        hs[i] = graph_script(ctx->graph, heads[i]);
    for (size_t i = 0; i < n; i++)
        if (set[i])
            as[n_as++] = graph_script(ctx->graph, i);
    rc = store_stamp(ctx, st, hs, n_heads, as, n_as);
done:
    free(hs);
    free(as);
    free(heads);
    return rc;
}

/* A stamp is how an operator who finished (or undid) a revision left
 * part-way by hand may settle it, as repair does for it alone; it
 * replaced that record without a word. */
static int warn_unfinished(um_ctx *ctx, const store_state *st)
{
    plan_counts c;
    int rc = plan_classify(ctx, st, &c, NULL);
    if (rc || !c.unfinished)
        return rc;
    const um_applied *a = c.unfinished;
    log_printf(&ctx->log, UM_LOG_WARNING,
               "revision %s was left %s part-way (%d statement%s succeeded)%s; the stamp replaces"
               " that record: the database must be as the stamp now says",
               a->revision, strcmp(a->state, "failed") == 0 ? "failed" : "in progress",
               a->statements_done, a->statements_done == 1 ? "" : "s",
               c.failed + c.in_progress > 1 ? ", with others (see status)" : "");
    return UM_OK;
}

static int stamp_target(um_ctx *ctx, const store_state *st, const void *opts)
{
    int rc = warn_unfinished(ctx, st);
    if (rc)
        return rc;
    unsigned char *set = util_calloc(graph_count(ctx->graph), 1);
    rc = set ? stamp_applied_set(ctx, st, opts, set) : err_nomem(&ctx->err);
    if (rc == UM_OK)
        rc = stamp_set(ctx, st, set);
    free(set);
    return rc;
}

/* Runs @action (NULL: none) under the lock on the state read there (@purge:
 * see prepare_locked). */

static int run_locked(um_ctx *ctx, locked_action action, const void *arg, bool purge)
{
    store_state st = { 0 };
    int encoding;
    int rc = begin_locked(ctx, &encoding);
    if (rc)
        return rc;
    rc = prepare_locked(ctx, &st, purge);
    if (!rc && action)
        rc = action(ctx, &st, arg);
    end_locked(ctx, action && rc == UM_OK, encoding);
    store_state_free(&st);
    return rc;
}

int apply_locked(um_ctx *ctx, locked_action action, const void *arg)
{
    return run_locked(ctx, action, arg, false);
}

/*
 * A target that is a plain name (no relative step, no '@') must name a
 * revision or a label before anything is locked or created: an unknown
 * one made the bookkeeping tables (or adopted another tool's database)
 * and then failed.  The others are resolved under the lock, on the state.
 */
static int check_stamp_targets(um_ctx *ctx, const um_stamp_options *o)
{
    for (size_t i = 0; i < o->n_revisions; i++) {
        const char *t = o->revisions[i];
        size_t idx;
        int rc = stamp_check_target(ctx, t);
        if (rc)
            return rc;
        if (strcmp(t, "base") == 0 || strcmp(t, "heads") == 0 || strcmp(t, "head") == 0 ||
            t[strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")])
            continue;
        rc = graph_lookup(ctx->graph, t, &idx, &ctx->err);
        if (rc)
            return rc;
    }
    return UM_OK;
}

int um_stamp(um_ctx *ctx, const char *target)
{
    um_stamp_options o = UM_STAMP_OPTIONS_INIT;
    o.revisions = &target;
    o.n_revisions = 1;
    CTX_ENTER(ctx);
    if (!target)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "stamp needs a target");
    int rc = check_stamp_targets(ctx, &o);
    return rc ? rc : run_locked(ctx, stamp_target, &o, false);
}

int um_stamp_v2(um_ctx *ctx, const um_stamp_options *opts)
{
    CTX_ENTER(ctx);
    if (!opts || !opts->n_revisions)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "stamp needs a revision (base: none)");
    int rc =
        err_check_version(&ctx->err, "um_stamp_options", opts->version, UM_STAMP_OPTIONS_VERSION);
    if (rc)
        return rc;
    for (size_t i = 0; i < opts->n_revisions; i++)
        if (!opts->revisions || !opts->revisions[i])
            return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "stamp: revision %zu is NULL", i);
    rc = check_stamp_targets(ctx, opts);
    return rc ? rc : run_locked(ctx, stamp_target, opts, opts->purge != 0);
}

int um_ensure_schema(um_ctx *ctx)
{
    CTX_ENTER(ctx);
    return run_locked(ctx, NULL, NULL, false);
}
