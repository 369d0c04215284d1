/*
 * dryrun.c - dry runs that execute.
 *
 * The plan's revisions run as a run would send them (apply.c's timeouts,
 * local to the transaction, then the revision's SQL) but all inside one
 * transaction opened here and rolled back at the end, without their
 * bookkeeping.  After each revision, pg_locks says which relations the
 * backend now holds an AccessExclusiveLock on that it did not before: the
 * tables that revision would block readers of.  A relation dropped by the
 * revision has left pg_class by then, so the names of the relations that
 * existed before the run are read first.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pg_query.h>

#include "apply.h"
#include "dryrun.h"
#include "lint_tree.h"
#include "pg.h"
#include "script.h"
#include "strbuf.h"
#include "txblock.h"
#include "util.h"

struct um_dry_run_info {
    um_dry_run_step *steps;
    size_t n_steps;
    size_t n_failed;
    char **owned; /* every string the steps own (errors, lock names, lock arrays) */
    size_t n_owned, cap_owned;
};

/* A relation's oid and its name "schema.name"; toast tables are left out
 * of what is reported (their table is what a reader sees locked). */
typedef struct relation_names {
    pg_rows *before;     /* oid, name, is_toast: the relations before the run */
    unsigned long *seen; /* oids already reported (locks of earlier revisions), sorted */
    size_t n_seen, cap_seen;
} relation_names;

#define RELATIONS_BEFORE                                                                           \
    "SELECT c.oid::text, format('%I.%I', n.nspname, c.relname), n.nspname = 'pg_toast'"            \
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"                               \
    " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"

/* The locks alone, then the names of the new ones by oid: joining
 * pg_locks to pg_class made a plan of 1,000 revisions 3 times slower. */
#define LOCKED_OIDS                                                                                \
    "SELECT l.relation::text FROM pg_locks l"                                                      \
    " WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation'"                                  \
    " AND l.mode = 'AccessExclusiveLock' AND l.granted"

#define NAMES_OF                                                                                   \
    "SELECT c.oid::text, format('%I.%I', n.nspname, c.relname), n.nspname = 'pg_toast'"            \
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"                               \
    " WHERE c.oid = ANY ($1::oid[])"

/* ---- the result ------------------------------------------------------- */

/* Takes @s (may be NULL) into the result's strings; false when out of memory. */
static bool own(um_dry_run_info *info, void *s)
{
    char **grown = util_grow(info->owned, info->n_owned, &info->cap_owned, sizeof(*grown));
    if (!grown) {
        free(s);
        return false;
    }
    info->owned = grown;
    info->owned[info->n_owned++] = s;
    return true;
}

void um_dry_run_info_free(um_dry_run_info *info)
{
    if (!info)
        return;
    util_free_strings(info->owned, info->n_owned);
    free(info->steps);
    free(info);
}

static um_dry_run_info *info_new(const um_plan *plan)
{
    um_dry_run_info *info = calloc(1, sizeof(*info));
    if (!info || !(info->steps = util_calloc(plan->n_steps, sizeof(*info->steps)))) {
        free(info);
        return NULL;
    }
    info->n_steps = plan->n_steps;
    for (size_t k = 0; k < plan->n_steps; k++) {
        um_dry_run_step *st = &info->steps[k];
        st->direction = plan->steps[k].direction;
        st->revision = plan->steps[k].revision;
        st->message = plan->steps[k].message;
        st->path = plan->steps[k].path;
        st->result = UM_DRY_RUN_NOT_TRIED;
        st->reason = "an earlier revision failed in the dry run";
    }
    return info;
}

UTIL_LIST_ACCESSORS(um_dry_run_step_count, um_dry_run_step_at, um_dry_run_info,
                    const um_dry_run_step *, n_steps, steps, &)

UTIL_GETTER(um_dry_run_failed_count, um_dry_run_info, size_t, n_failed, 0)

/* ---- what is not tried ------------------------------------------------ */

/* Whether statement @stmt (NUL-terminated) is transaction control: BEGIN,
 * COMMIT, ROLLBACK, SAVEPOINT... (a TransactionStmt). */
static int is_transaction_control(lint_tree *tree, const char *stmt, bool *yes)
{
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(stmt);
    const PgQuery__Node *node = NULL;
    int rc = r.error ? UM_OK : lint_tree_unpack(tree, r.parse_tree.data, r.parse_tree.len, &node);
    *yes = node && node->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT;
    lint_tree_clear(tree);
    pg_query_free_protobuf_parse_result(r);
    return rc;
}

/*
 * Whether @body holds transaction control of its own: its COMMIT would
 * commit what the dry run has run so far, so such a revision is not tried.
 * A body that does not parse is tried: the server reports its error.
 */
static int has_transaction_control(um_ctx *ctx, const char *body, bool *yes)
{
    PgQuerySplitResult split = pg_query_split_with_parser(body);
    lint_tree *tree = lint_tree_new();
    int rc = tree ? UM_OK : UM_ENOMEM;
    *yes = false;
    for (int i = 0; !rc && !split.error && !*yes && i < split.n_stmts; i++) {
        char *stmt =
            strndup(body + split.stmts[i]->stmt_location, (size_t)split.stmts[i]->stmt_len);
        rc = stmt ? is_transaction_control(tree, stmt, yes) : UM_ENOMEM;
        free(stmt);
    }
    lint_tree_free(tree);
    pg_query_free_split_result(split);
    return rc == UM_ENOMEM ? err_nomem(&ctx->err) : rc;
}

/* ---- locks ------------------------------------------------------------ */

static void names_free(relation_names *rn)
{
    pg_rows_free(rn->before);
    free(rn->seen);
}

/* Records @oid as seen; false when it was already (or out of memory). */
static bool first_sight(relation_names *rn, unsigned long oid, bool *nomem)
{
    size_t lo = 0, hi = rn->n_seen;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rn->seen[mid] == oid)
            return false;
        if (rn->seen[mid] < oid)
            lo = mid + 1;
        else
            hi = mid;
    }
    unsigned long *grown = util_grow(rn->seen, rn->n_seen, &rn->cap_seen, sizeof(*grown));
    if (!grown) {
        *nomem = true;
        return false;
    }
    rn->seen = grown;
    memmove(&grown[lo + 1], &grown[lo], (rn->n_seen - lo) * sizeof(*grown));
    grown[lo] = oid;
    rn->n_seen++;
    return true;
}

/* The name of @oid in @rows (oid, name, is_toast), or NULL. */
static const char *name_in(const pg_rows *rows, const char *oid, bool *toast)
{
    for (size_t i = 0; i < pg_rows_count(rows); i++) {
        if (strcmp(pg_rows_value(rows, i, 0), oid) == 0) {
            *toast = strcmp(pg_rows_value(rows, i, 2), "t") == 0;
            return pg_rows_value(rows, i, 1);
        }
    }
    return NULL;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The name to show for @oid in *@out: from @now (pg_class now), else from
 * before the run (a relation the revision dropped); NULL for a toast
 * table.  UM_ENOMEM.
 */
static int shown_name(const relation_names *rn, const pg_rows *now, const char *oid, char **out)
{
    bool toast = false;
    const char *name = name_in(now, oid, &toast);
    if (!name)
        name = name_in(rn->before, oid, &toast);
    *out = NULL;
    if (toast)
        return UM_OK;
    strbuf sb = STRBUF_INIT;
    if (name)
        sb_puts(&sb, name);
    else
        sb_printf(&sb, "relation %s (created and dropped in the run)", oid);
    *out = sb_detach(&sb);
    return *out ? UM_OK : UM_ENOMEM;
}

/* The oids of @locks not seen before, as "{1,2}" in @list, and pointers
 * to them in @fresh (room for all). */
static int new_oids(relation_names *rn, const pg_rows *locks, strbuf *list, const char **fresh,
                    size_t *n_fresh)
{
    bool nomem = false;
    *n_fresh = 0;
    sb_putc(list, '{');
    for (size_t i = 0; i < pg_rows_count(locks); i++) {
        const char *oid = pg_rows_value(locks, i, 0);
        if (!first_sight(rn, strtoul(oid, NULL, 10), &nomem))
            continue;
        sb_printf(list, "%s%s", *n_fresh ? "," : "", oid);
        fresh[(*n_fresh)++] = oid;
    }
    sb_putc(list, '}');
    return nomem || sb_failed(list) ? UM_ENOMEM : UM_OK;
}

/* Shows the @n_fresh relations @fresh in @names, owned by @info. */
static int name_locks(um_ctx *ctx, um_dry_run_info *info, const relation_names *rn,
                      const char *list, const char *const *fresh, size_t n_fresh, char **names,
                      size_t *n)
{
    pg_rows *now = NULL;
    int rc = n_fresh ? pg_query(ctx, NAMES_OF, 1, &list, &now, NULL) : UM_OK;
    if (rc)
        return rc;
    for (size_t i = 0; !rc && i < n_fresh; i++) {
        char *shown = NULL;
        rc = shown_name(rn, now, fresh[i], &shown);
        if (!rc && shown && !own(info, shown)) /* own() frees it */
            rc = UM_ENOMEM;
        if (!rc && shown)
            names[(*n)++] = shown;
    }
    pg_rows_free(now);
    return rc ? err_nomem(&ctx->err) : UM_OK;
}

/* The AccessExclusiveLocks step @st took: those not seen after earlier steps. */
static int read_locks(um_ctx *ctx, um_dry_run_info *info, relation_names *rn, um_dry_run_step *st)
{
    pg_rows *locks = NULL;
    strbuf list = STRBUF_INIT;
    const char **fresh = NULL;
    char **names = NULL;
    size_t n_fresh = 0, n = 0;
    int rc = pg_query(ctx, LOCKED_OIDS, 0, NULL, &locks, NULL);
    if (rc)
        return rc;
    names = util_calloc(pg_rows_count(locks), sizeof(*names));
    if (!names || !own(info, names)) /* own() frees it */
        names = NULL;
    fresh = util_calloc(pg_rows_count(locks), sizeof(*fresh));
    if (!names || !fresh)
        rc = err_nomem(&ctx->err);
    if (!rc && new_oids(rn, locks, &list, fresh, &n_fresh))
        rc = err_nomem(&ctx->err);
    if (!rc)
        rc = name_locks(ctx, info, rn, sb_str(&list), fresh, n_fresh, names, &n);
    if (!rc) {
        qsort(names, n, sizeof(*names), by_name);
        st->locks = (const char *const *)names;
        st->n_locks = n;
    }
    free(fresh);
    sb_free(&list);
    pg_rows_free(locks);
    return rc;
}

/* ---- one revision ----------------------------------------------------- */

/* Records the failure @f of step @st at @line, on the step and the handle. */
static int step_failed(um_ctx *ctx, um_dry_run_info *info, um_dry_run_step *st, int line,
                       const pg_failure *f)
{
    st->result = UM_DRY_RUN_FAILED;
    st->line = line;
    st->reason = NULL;
    info->n_failed++;
    char *error = util_strdup_null(f->message), *sqlstate = util_strdup_null(f->sqlstate);
    bool kept = (error || !f->message) && (sqlstate || !f->sqlstate);
    st->error = own(info, error) ? error : NULL;
    st->sqlstate = own(info, sqlstate) ? sqlstate : NULL;
    kept = kept && (st->error || !error) && (st->sqlstate || !sqlstate);
    int rc = pg_failure_to_error(ctx, f, st->path, line, st->revision,
                                 st->direction == UM_UP ? "dry run: upgrade failed"
                                                        : "dry run: downgrade failed");
    return kept ? rc : err_nomem(&ctx->err);
}

/* ---- session settings ------------------------------------------------- */

/*
 * A run puts back, after a revision, the session settings it SETs or
 * RESETs (not LOCAL: apply.c), so that the next revision starts from the
 * same session; in the dry run's one transaction they would otherwise
 * reach the revisions after it.  Their values before the revision are the
 * dry run's start values, since each revision before it put its own back.
 */
#define VALUES_OF_SETTINGS                                                                         \
    "SELECT current_setting(n, true)"                                                              \
    " FROM regexp_split_to_table(rtrim($1, E'\\n'), E'\\n') WITH ORDINALITY AS s(n, i) ORDER BY i"

static const char *value_before(size_t i, const char *name, void *arg)
{
    (void)name;
    return pg_rows_value(arg, i, 0);
}

/* The settings @body changes, in @names, and their values now, *before. */
static int settings_before(um_ctx *ctx, const char *body, int first_line, strbuf *names,
                           pg_rows **before)
{
    int rc = txblock_settings(body, first_line, names, ctx, &ctx->err);
    if (rc || !names->len)
        return rc;
    const char *param = sb_str(names);
    return pg_query(ctx, VALUES_OF_SETTINGS, 1, &param, before, NULL);
}

/* Runs the SQL @body of step @st, as a run's message would hold it: the
 * settings it changes put back after it. */
static int try_step(um_ctx *ctx, um_dry_run_info *info, relation_names *rn, um_dry_run_step *st,
                    const char *body, int first_line)
{
    strbuf msg = STRBUF_INIT, names = STRBUF_INIT;
    pg_rows *before = NULL;
    pg_failure f = { 0 };
    size_t body_off;
    int rc = settings_before(ctx, body, first_line, &names, &before);
    if (rc) {
        sb_free(&names);
        return rc;
    }
    int prefix = apply_append_revision(ctx, &msg, body, true, &body_off);
    if (!txblock_append_settings_back(ctx, &msg, before ? sb_str(&names) : NULL, value_before,
                                      before) ||
        sb_failed(&msg)) {
        rc = err_code_or_nomem(&ctx->err);
        goto done;
    }
    double t0 = util_now_ms();
    rc = pg_exec(ctx, sb_str(&msg), &f);
    st->duration_ms = util_now_ms() - t0;
    if (rc == UM_ESQL && !f.connection_lost && !pg_cancel_requested(ctx)) {
        rc = step_failed(
            ctx, info, st,
            apply_failure_line(ctx, sb_str(&msg), body_off, body, first_line, prefix, &f), &f);
    } else if (rc && pg_cancel_requested(ctx)) {
        rc = ctx_error(ctx, UM_ECANCELLED, st->path, 0, st->revision,
                       "dry run cancelled by the host while this revision ran; it was rolled"
                       " back");
    } else if (rc) {
        pg_failure_to_error(ctx, &f, st->path, 0, st->revision, "dry run stopped");
    } else {
        st->result = UM_DRY_RUN_OK;
        st->reason = NULL;
        rc = read_locks(ctx, info, rn, st);
    }
done:
    pg_failure_clear(&f);
    pg_rows_free(before);
    sb_free(&names);
    sb_free(&msg);
    return rc;
}

/* Step @k: tried, or why not. */
static int dry_step(um_ctx *ctx, const um_plan *plan, size_t k, um_dry_run_info *info,
                    relation_names *rn)
{
    const script_file *s = graph_script(ctx->graph, plan->graph_index[k]);
    um_dry_run_step *st = &info->steps[k];
    if (!s->transactional) {
        st->reason = "Transactional: no (its statements cannot run inside the dry run's"
                     " transaction)";
        return UM_OK;
    }
    char *body = NULL;
    int first_line = 0;
    bool control = false;
    int rc = script_read_section(s, plan->direction == UM_UP, &body, &first_line, &ctx->err);
    if (!rc)
        rc = has_transaction_control(ctx, body, &control);
    if (!rc && control)
        st->reason = "its SQL has transaction control of its own (BEGIN, COMMIT...), which would"
                     " end the dry run's transaction";
    else if (!rc)
        rc = try_step(ctx, info, rn, st, body, first_line);
    free(body);
    return rc;
}

/* ---- the run ---------------------------------------------------------- */

static int run_steps(um_ctx *ctx, const um_plan *plan, um_dry_run_info *info)
{
    relation_names rn = { NULL, NULL, 0, 0 };
    int rc = pg_query(ctx, RELATIONS_BEFORE, 0, NULL, &rn.before, NULL);
    for (size_t k = 0; !rc && k < plan->n_steps; k++) {
        if (pg_cancel_requested(ctx))
            rc = ctx_error(ctx, UM_ECANCELLED, NULL, 0, plan->steps[k].revision,
                           "dry run cancelled by the host before this revision; it was rolled"
                           " back");
        else
            rc = dry_step(ctx, plan, k, info, &rn);
        /* a revision must not end the transaction: what ran would stay */
        if (!rc && !pg_in_transaction(ctx))
            rc = ctx_error(ctx, UM_ESQL, plan->steps[k].path, 0, plan->steps[k].revision,
                           "the revision ended the dry run's transaction");
    }
    names_free(&rn);
    return rc;
}

int dryrun_execute(um_ctx *ctx, const um_plan *plan, const um_apply_options *opts)
{
    um_dry_run_info *info = info_new(plan);
    if (!info)
        return err_nomem(&ctx->err);
    int rc = pg_exec(ctx, "BEGIN", NULL);
    if (!rc)
        rc = run_steps(ctx, plan, info);
    err_buf kept = err_stash(&ctx->err);
    if (pg_connected(ctx) && pg_in_transaction(ctx))
        pg_exec(ctx, "ROLLBACK", NULL);
    err_unstash(&ctx->err, &kept);
    log_printf(&ctx->log, UM_LOG_INFO, "dry run rolled back: %zu revision%s, %zu failed",
               plan->n_steps, plan->n_steps == 1 ? "" : "s", info->n_failed);
    bool complete = rc == UM_OK || info->n_failed;
    if (complete && opts->dry_run_out)
        *opts->dry_run_out = info;
    else
        um_dry_run_info_free(info);
    return rc;
}

/* ---- JSON ------------------------------------------------------------- */

static const char *result_name(um_dry_run_result r)
{
    return r == UM_DRY_RUN_OK ? "ok" : r == UM_DRY_RUN_FAILED ? "failed" : "not_tried";
}

static json_t *locks_array(const um_dry_run_step *st)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < st->n_locks; i++)
        if (json_array_append_new(a, json_string(st->locks[i]))) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

static json_t *step_object(const um_dry_run_step *st)
{
    json_t *error = st->result == UM_DRY_RUN_FAILED
                        ? json_pack("{s:s?, s:i, s:s?}", "message", st->error, "line", st->line,
                                    "sqlstate", st->sqlstate)
                        : json_null();
    return json_pack("{s:s, s:s, s:s?, s:s?, s:s, s:f, s:o, s:o, s:s?}", "revision", st->revision,
                     "direction", st->direction == UM_UP ? "up" : "down", "message", st->message,
                     "file", st->path, "result", result_name(st->result), "duration_ms",
                     round(st->duration_ms * 1000.0) / 1000.0, "locks", locks_array(st), "error",
                     error, "reason", st->reason);
}

char *um_dry_run_info_to_json(const um_dry_run_info *info)
{
    if (!info)
        return NULL;
    json_t *steps = json_array();
    for (size_t i = 0; steps && i < info->n_steps; i++)
        if (json_array_append_new(steps, step_object(&info->steps[i]))) {
            json_decref(steps);
            steps = NULL;
        }
    json_t *root = json_pack("{s:i, s:b, s:b, s:o}", "format_version", 1, "dry_run", 1, "ok",
                             info->n_failed == 0, "revisions", steps);
    char *text =
        root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))
             : NULL;
    json_decref(root);
    return text;
}
