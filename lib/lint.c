/*
 * lint.c - the public lint API: which revisions a call lints, its result
 * and the JSON rendering of it (docs/json.md, "Lint").
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"
#include "lint.h"
#include "plan.h"
#include "store.h"
#include "util.h"

#define LINT_JSON_FORMAT_VERSION 1

/* ---- the result -------------------------------------------------------- */

int lint_result_add(um_lint_result *r, lint_rule rule, um_lint_severity severity, const char *file,
                    const char *revision, int line, int column, char *message)
{
    um_lint_finding *v = util_grow(r->findings, r->n, &r->cap, sizeof(*v));
    if (!v) {
        free(message);
        return UM_ENOMEM;
    }
    r->findings = v;
    r->findings[r->n++] =
        (um_lint_finding){ lint_rule_id(rule), severity, file, line, column, revision, message };
    if (severity == UM_LINT_ERROR)
        r->n_errors++;
    else
        r->n_warnings++;
    return UM_OK;
}

static bool before(const um_lint_finding *a, const um_lint_finding *b)
{
    return a->line < b->line || (a->line == b->line && a->column < b->column);
}

void lint_result_sort(um_lint_result *r, size_t from)
{
    for (size_t i = from + 1; i < r->n; i++) {
        um_lint_finding f = r->findings[i];
        size_t j = i;
        for (; j > from && before(&f, &r->findings[j - 1]); j--)
            r->findings[j] = r->findings[j - 1];
        r->findings[j] = f;
    }
}

const char *lint_result_keep(um_lint_result *r, const char *s)
{
    char **v = s ? util_grow(r->strings, r->n_strings, &r->cap_strings, sizeof(*v)) : NULL;
    if (!v)
        return NULL;
    r->strings = v;
    char *copy = strdup(s);
    if (copy)
        r->strings[r->n_strings++] = copy;
    return copy;
}

void lint_result_free(um_lint_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free((char *)r->findings[i].message);
    util_free_strings(r->strings, r->n_strings);
    free(r->findings);
    free(r);
}

/* The severity is the log level's, not repeated in the text: a host that
 * prefixes its lines with the level ("warning: ") would print it twice. */
void lint_log_findings(const log_sink *log, const um_lint_result *r)
{
    for (size_t i = 0; r && i < r->n; i++) {
        const um_lint_finding *f = &r->findings[i];
        log_printf(log, f->severity == UM_LINT_ERROR ? UM_LOG_ERROR : UM_LOG_WARNING,
                   "%s:%d:%d: %s [%s]", f->file, f->line, f->column, f->message, f->rule);
    }
}

/* ---- which revisions --------------------------------------------------- */

static int lint_graph_revisions(um_ctx *ctx, lint_run *run, const size_t *idx, size_t n)
{
    int rc = UM_OK;
    for (size_t i = 0; !rc && i < n; i++)
        rc = lint_file(run, graph_script(ctx->graph, idx ? idx[i] : i)->path, &ctx->err);
    return rc;
}

/*
 * The revisions an upgrade to heads would apply, in that order: the hook
 * through which lint reads the database's state (one query), as status
 * does.  This is the only place lint depends on store and plan.
 */
static int lint_pending_revisions(um_ctx *ctx, lint_run *run)
{
    store_state st;
    unsigned char *applied = NULL;
    size_t *heads = NULL, n_heads = 0, *pending = NULL, n = 0;
    int rc = store_read_state_call(ctx, &st);
    if (rc)
        return rc;
    rc = plan_applied_set(ctx, st.heads, st.n_heads, &applied, &heads, &n_heads);
    if (!rc && !(pending = util_calloc(graph_count(ctx->graph), sizeof(*pending))))
        rc = err_nomem(&ctx->err);
    for (size_t i = 0; !rc && i < graph_count(ctx->graph); i++)
        if (!applied[i])
            pending[n++] = i;
    if (!rc)
        rc = lint_graph_revisions(ctx, run, pending, n);
    free(pending);
    free(applied);
    free(heads);
    store_state_free(&st);
    return rc;
}

static int lint_paths(um_ctx *ctx, lint_run *run, const um_lint_options *o)
{
    int rc = UM_OK;
    for (size_t i = 0; !rc && i < o->n_paths; i++)
        rc = lint_file(run, o->paths[i], &ctx->err);
    return rc;
}

int lint_revisions(um_ctx *ctx, const size_t *graph_index, size_t n, um_lint_result **out)
{
    lint_run *run = NULL;
    int rc = lint_run_new(&run, &ctx->cfg, &ctx->err);
    if (!rc)
        rc = lint_graph_revisions(ctx, run, graph_index, n);
    if (!rc)
        rc = lint_run_result(run, out, &ctx->err);
    lint_run_free(run);
    return rc;
}

/* UM_ELINT: lint_on_upgrade = error, and @errors error findings in
 * @what; @outcome says what became of the command's work. */
static int lint_refused(um_ctx *ctx, const char *path, size_t errors, const char *what,
                        const char *outcome)
{
    return ctx_error(ctx, UM_ELINT, path, 0, NULL,
                     "lint found %zu error%s in %s (lint_on_upgrade = error); %s: fix the SQL,"
                     " suppress a finding with '-- ultramigrate:lint-ignore RULE reason', or set"
                     " lint_on_upgrade = warn",
                     errors, errors == 1 ? "" : "s", what, outcome);
}

int lint_gate(um_ctx *ctx, const size_t *graph_index, size_t n)
{
    um_lint_result *r = NULL;
    if (ctx->cfg.lint_on_upgrade == CONFIG_LINT_OFF || n == 0)
        return UM_OK;
    int rc = lint_revisions(ctx, graph_index, n, &r);
    if (rc)
        return rc;
    lint_log_findings(&ctx->log, r);
    size_t errors = r->n_errors;
    lint_result_free(r);
    if (errors && ctx->cfg.lint_on_upgrade == CONFIG_LINT_ERROR)
        return lint_refused(ctx, NULL, errors, "the revisions to apply", "nothing was run");
    return UM_OK;
}

/* ---- public API -------------------------------------------------------- */

int um_lint_options_init(um_lint_options *opts, unsigned int version)
{
    static const um_lint_options init = UM_LINT_OPTIONS_INIT;
    return util_options_init(opts, &init, sizeof(init), version);
}

static int check_options(um_ctx *ctx, const um_lint_options *o)
{
    int rc = err_check_version(&ctx->err, "um_lint_options", o->version, UM_LINT_OPTIONS_VERSION);
    if (rc)
        return rc;
    if (o->n_paths && !o->paths)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_lint: n_paths is %zu but paths is NULL",
                         o->n_paths);
    for (size_t i = 0; i < o->n_paths; i++)
        if (!o->paths[i])
            return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_lint: paths[%zu] is NULL", i);
    return UM_OK;
}

int um_lint(um_lint_result **out, um_ctx *ctx, const um_lint_options *opts)
{
    um_lint_options defaults = UM_LINT_OPTIONS_INIT;
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!out)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_lint: out is NULL");
    if (!opts)
        opts = &defaults;
    int rc = check_options(ctx, opts);
    if (rc)
        return rc;

    lint_run *run = NULL;
    rc = lint_run_new(&run, &ctx->cfg, &ctx->err);
    if (!rc && opts->n_paths)
        rc = lint_paths(ctx, run, opts);
    else if (!rc && opts->all)
        rc = lint_graph_revisions(ctx, run, NULL, graph_count(ctx->graph));
    else if (!rc)
        rc = lint_pending_revisions(ctx, run);
    if (!rc)
        rc = lint_run_result(run, out, &ctx->err);
    lint_run_free(run);
    return rc;
}

/*
 * generate, merge and auto write a file; lint_on_upgrade says whether and
 * how hard it is linted.  The file is linted alone, as "lint FILE" does: the
 * run that will apply it is not known yet, so the tables of earlier
 * revisions count as existing ones (the cautious side).
 */
int um_lint_generated(um_lint_result **out, um_ctx *ctx, const char *path)
{
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!out || !path)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                         "um_lint_generated: out and path are required");
    if (ctx->cfg.lint_on_upgrade == CONFIG_LINT_OFF)
        return UM_OK;

    lint_run *run = NULL;
    int rc = lint_run_new(&run, &ctx->cfg, &ctx->err);
    if (!rc)
        rc = lint_file(run, path, &ctx->err);
    if (!rc)
        rc = lint_run_result(run, out, &ctx->err);
    lint_run_free(run);
    size_t errors = *out ? (*out)->n_errors : 0;
    if (!rc && errors && ctx->cfg.lint_on_upgrade == CONFIG_LINT_ERROR)
        rc = lint_refused(ctx, path, errors, "the new revision", "it is written all the same");
    return rc;
}

UTIL_LIST_ACCESSORS(um_lint_count, um_lint_at, um_lint_result, const um_lint_finding *, n,
                    findings, &)

UTIL_GETTER(um_lint_error_count, um_lint_result, size_t, n_errors, 0)
UTIL_GETTER(um_lint_warning_count, um_lint_result, size_t, n_warnings, 0)

void um_lint_free(um_lint_result *result)
{
    lint_result_free(result);
}

/* ---- JSON -------------------------------------------------------------- */

static json_t *finding_object(const um_lint_finding *f)
{
    return json_pack("{s:s, s:i, s:i, s:s, s:s, s:s?, s:s}", "file", f->file, "line", f->line,
                     "column", f->column, "severity", lint_severity_name(f->severity), "rule",
                     f->rule, "revision", f->revision, "message", f->message);
}

char *um_lint_to_json(const um_lint_result *r)
{
    if (!r)
        return NULL;
    json_t *findings = json_array();
    for (size_t i = 0; findings && i < r->n; i++)
        if (json_array_append_new(findings, finding_object(&r->findings[i])) != 0) {
            json_decref(findings);
            findings = NULL;
        }
    /* json_pack fails on a NULL "o", so a missing part never yields a
     * partial document. */
    json_t *root = json_pack(
        "{s:i, s:I, s:I, s:I, s:I, s:o}", "format_version", LINT_JSON_FORMAT_VERSION, "files",
        (json_int_t)r->n_files, "statements", (json_int_t)r->n_statements, "errors",
        (json_int_t)r->n_errors, "warnings", (json_int_t)r->n_warnings, "findings", findings);
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    return text;
}
