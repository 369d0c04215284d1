/*
 * ctx.c - opening and closing the engine, errors on the handle, and the
 * revision files as the public API shows them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "branch.h"
#include "health.h"
#include "lock.h"
#include "pg.h"
#include "store.h"
#include "strbuf.h"
#include "util.h"

const char *um_version(void)
{
    return UM_VERSION_STRING;
}

unsigned int um_version_number(void)
{
    return UM_VERSION_NUMBER;
}

int um_libpq_version(void)
{
    return pg_libpq_version();
}

int um_server_version(const char **out, um_ctx *ctx)
{
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!out)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_server_version: out is required");
    int rc = pg_call_begin(ctx);
    if (rc)
        return rc;
    rc = pg_call_finish(ctx, pg_ensure_connected(ctx));
    if (!rc)
        pg_server_version(ctx, out);
    return rc;
}

void um_free(void *ptr)
{
    free(ptr);
}

const char *um_errmsg(const um_ctx *ctx)
{
    if (!ctx)
        return "NULL handle";
    return ctx->err.d.message ? ctx->err.d.message : "";
}

const um_error_info *um_error_detail(const um_ctx *ctx)
{
    return ctx ? &ctx->err.d : NULL;
}

int um_open_options_init(um_open_options *opts, unsigned int version)
{
    static const um_open_options init = UM_OPEN_OPTIONS_INIT;
    return util_options_init(opts, &init, sizeof(init), version);
}

/* The public view of each revision, pointing into the graph's scripts. */
static int build_revision_views(um_ctx *ctx)
{
    size_t n = graph_count(ctx->graph);
    ctx->revisions = util_calloc(n, sizeof(*ctx->revisions));
    if (!ctx->revisions)
        return err_nomem(&ctx->err);
    for (size_t i = 0; i < n; i++) {
        const script_file *s = graph_script(ctx->graph, i);
        um_revision *r = &ctx->revisions[i];
        size_t n_children = 0, n_dependents = 0;
        graph_children(ctx->graph, i, &n_children);
        graph_dependents(ctx->graph, i, &n_dependents);
        r->id = s->id;
        r->message = s->message;
        r->path = s->path;
        r->create_date = s->create_date;
        r->parents = (const char *const *)s->parents;
        r->n_parents = s->n_parents;
        r->depends_on = (const char *const *)s->depends_on;
        r->n_depends_on = s->n_depends_on;
        r->checksum = s->checksum;
        r->transactional = s->transactional;
        r->has_down = s->has_down;
        r->is_head = n_children == 0;
        r->is_base = s->n_parents == 0;
        r->is_merge = s->n_parents > 1;
        r->is_branch_point = n_children > 1;
        r->branch_labels = (const char *const *)s->branch_labels;
        r->n_branch_labels = s->n_branch_labels;
        r->has_dependents = n_dependents > 0;
    }
    return UM_OK;
}

/* While the files are read, the early connection moves on (and sends
 * the state's query once it is up: UM_CONNECT_EARLY_STATE). */
static void poll_early(void *ctx)
{
    pg_poll_early(ctx, false);
}

/*
 * A missing versions directory is almost always a command run outside its
 * project (or with the wrong -c): say so, and how to get out, rather than
 * report the directory the reader never named.  Other failures to open it
 * (permissions) are left to the reader of the directory.
 */
static int check_project(um_ctx *ctx)
{
    struct stat st;
    if (stat(ctx->versions_dir, &st) == 0 || (errno != ENOENT && errno != ENOTDIR))
        return UM_OK;
    if (!ctx->cfg.path)
        return ctx_error(ctx, UM_ECONFIG, NULL, 0, NULL,
                         "no project found in the current directory: no configuration file was"
                         " read (no ultramigrate.ini here) and %s does not exist; run"
                         " 'ultramigrate init' to create a project, or pass -c FILE",
                         ctx->versions_dir);
    return ctx_error(ctx, UM_ECONFIG, NULL, 0, NULL,
                     "no project found: %s does not exist (script_location from %s); run"
                     " 'ultramigrate init' to create it, fix script_location, or pass -c FILE",
                     ctx->versions_dir, ctx->cfg.path);
}

static int load_revisions(um_ctx *ctx)
{
    strbuf dir = STRBUF_INIT;
    sb_printf(&dir, "%s/versions", ctx->cfg.script_location);
    ctx->versions_dir = sb_detach(&dir);
    if (!ctx->versions_dir)
        return err_nomem(&ctx->err);
    int rc = check_project(ctx);
    if (rc)
        return rc;

    script_file **scripts = NULL;
    size_t n = 0;
    rc = script_read_dir_ticking(ctx->versions_dir, ctx->cfg.header_cache, poll_early, ctx,
                                 &scripts, &n, &ctx->err);
    if (rc)
        return rc;
    rc = graph_build(&ctx->graph, scripts, n, &ctx->err);
    if (rc)
        return rc;
    /* the caller's next call reads the state: it would wait as long */
    pg_poll_early(ctx, true);
    return build_revision_views(ctx);
}

static int apply_open_options(um_ctx *ctx, const um_open_options *o)
{
    ctx->log.cb = o->log_cb;
    ctx->log.payload = o->log_payload;
    ctx->log.level = o->log_level;
    int rc = config_load_section(&ctx->cfg, o->config_path, o->config_section, o->database_url,
                                 &ctx->log, &ctx->err);
    if (rc)
        return rc;
    if (o->config_section && !(ctx->config_section = strdup(o->config_section)))
        return err_nomem(&ctx->err);
    if (o->script_location) {
        char *loc = strdup(o->script_location);
        if (!loc)
            return err_nomem(&ctx->err);
        free(ctx->cfg.script_location);
        ctx->cfg.script_location = loc;
    }
    return UM_OK;
}

int um_open(um_ctx **out, const um_open_options *opts)
{
    um_open_options defaults = UM_OPEN_OPTIONS_INIT;
    if (!out)
        return UM_EINVAL;
    *out = calloc(1, sizeof(**out));
    if (!*out)
        return UM_ENOMEM;
    um_ctx *ctx = *out;
    ctx->guard.err = &ctx->err;
    ctx->log.guard = &ctx->guard;
    if (!opts)
        opts = &defaults;
    int rc =
        err_check_version(&ctx->err, "um_open_options", opts->version, UM_OPEN_OPTIONS_VERSION);
    if (rc)
        return ctx->open_rc = rc;
    rc = pg_session_create(ctx, opts->application_name);
    if (!rc && opts->pg_conn)
        pg_adopt(ctx, opts->pg_conn);
    if (!rc)
        rc = apply_open_options(ctx, opts);
    if (!rc && opts->connect_early && !opts->pg_conn) {
        pg_connect_early(ctx);
        if (opts->connect_early == UM_CONNECT_EARLY_STATE)
            rc = store_prefetch_state(ctx, STORE_DETAILED);
        else if (opts->connect_early == UM_CONNECT_EARLY_SUMMARY)
            rc = store_prefetch_state(ctx, STORE_SUMMARY);
    }
    if (!rc)
        rc = load_revisions(ctx);
    ctx->open_rc = rc;
    return rc;
}

void um_close(um_ctx *ctx)
{
    /* from a callback, the call running on the handle still uses it */
    if (!ctx || ctx->guard.depth)
        return;
    /* each module lets go of what it holds on the session, then pg closes */
    health_cache_free(ctx);
    lock_session_free(ctx);
    store_session_free(ctx);
    pg_session_free(ctx);
    branch_members_free(ctx->branch_members);
    graph_free(ctx->graph);
    free(ctx->revisions);
    free(ctx->versions_dir);
    free(ctx->config_section);
    config_free(&ctx->cfg);
    err_clear(&ctx->err);
    free(ctx);
}

int um_wait_for_database(um_ctx *ctx, int timeout_ms)
{
    CTX_ENTER(ctx);
    int rc = pg_call_begin(ctx);
    return rc ? rc : pg_call_finish(ctx, pg_wait_connected(ctx, timeout_ms));
}

void um_cancel(um_ctx *ctx)
{
    if (!ctx)
        return;
    pg_cancel(ctx);
}

UTIL_GETTER(um_versions_dir, um_ctx, const char *, versions_dir, NULL)

size_t um_revision_count(const um_ctx *ctx)
{
    return ctx && ctx->graph ? graph_count(ctx->graph) : 0;
}

const um_revision *um_revision_at(const um_ctx *ctx, size_t i)
{
    if (!ctx || !ctx->revisions || i >= graph_count(ctx->graph))
        return NULL;
    return &ctx->revisions[i];
}

int um_revision_lookup(const um_revision **out, um_ctx *ctx, const char *rev)
{
    if (out)
        *out = NULL;
    CTX_ENTER_IN_CALLBACK(ctx);
    if (!rev || !out || !ctx->graph)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                         "um_revision_lookup: a revision and out are required");
    graph_target t = GRAPH_TARGET_INIT;
    int rc = graph_resolve_target(ctx->graph, rev, UM_UP, NULL, 0, &t, &ctx->err);
    if (rc)
        return rc;
    if (t.n != 1)
        rc = ctx_error(ctx, UM_ETARGET, NULL, 0, NULL, "'%s' names %zu revisions, not one", rev,
                       t.n);
    else
        *out = &ctx->revisions[t.revs[0]];
    graph_target_free(&t);
    return rc;
}

/* The index of @rev among the handle's revisions, or -1 if it is not one. */
static long revision_index(const um_ctx *ctx, const um_revision *rev)
{
    uintptr_t p = (uintptr_t)rev, first = (uintptr_t)ctx->revisions;
    size_t n = graph_count(ctx->graph);
    if (!rev || !ctx->revisions || p < first || p >= first + n * sizeof(*rev) ||
        (p - first) % sizeof(*rev))
        return -1;
    return (long)((p - first) / sizeof(*rev));
}

int um_revision_branch_labels(const char *const **out, size_t *n, um_ctx *ctx,
                              const um_revision *rev)
{
    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    CTX_ENTER(ctx);
    long i = revision_index(ctx, rev);
    if (!out || !n || i < 0)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                         "um_revision_branch_labels: out, n and a revision of this handle are"
                         " required");
    int rc = ctx->branch_members
                 ? UM_OK
                 : branch_members_build(ctx->graph, &ctx->branch_members, &ctx->err);
    if (rc)
        return rc;
    const branch_members *m = ctx->branch_members;
    *n = m->off[i + 1] - m->off[i];
    *out = *n ? m->names + m->off[i] : NULL;
    return UM_OK;
}
