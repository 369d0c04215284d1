/*
 * status.c - the database's state compared with the revision files.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lock.h"
#include "pg.h"
#include "plan.h"
#include "store.h"
#include "util.h"

struct um_status_info {
    store_state state;       /* current heads (version rows) and applied rows */
    const char **file_heads; /* heads of the revision graph */
    size_t n_file_heads;
    const um_revision **pending; /* in the order an upgrade to heads would apply them */
    size_t n_pending;
    plan_counts counts;   /* points into state */
    bool run_in_progress; /* a run holding the lock applies what is in progress */
};

void um_status_free(um_status_info *s)
{
    if (!s)
        return;
    store_state_free(&s->state);
    free(s->file_heads);
    free(s->pending);
    free(s);
}

/* What the files say of each applied revision. */
static void compare_applied(um_ctx *ctx, store_state *st)
{
    for (size_t i = 0; i < st->n_applied; i++) {
        um_applied *a = &st->applied[i];
        long idx = graph_find(ctx->graph, a->revision);
        const script_file *f = idx >= 0 ? graph_script(ctx->graph, (size_t)idx) : NULL;
        a->message = f ? f->message : NULL;
        a->known = f != NULL;
        a->checksum_ok = f && script_checksum_matches(f, a->checksum);
    }
}

static int fill_file_heads(um_ctx *ctx, um_status_info *s)
{
    size_t n_heads = 0;
    const size_t *heads = graph_heads(ctx->graph, &n_heads);
    s->file_heads = util_calloc(n_heads, sizeof(*s->file_heads));
    if (!s->file_heads)
        return err_nomem(&ctx->err);
    for (size_t i = 0; i < n_heads; i++)
        s->file_heads[s->n_file_heads++] = graph_script(ctx->graph, heads[i])->id;
    return UM_OK;
}

/* Pending: what an upgrade to every head would apply, in that order; and
 * the counts, as health computes them (plan_classify). */
static int fill_pending(um_ctx *ctx, um_status_info *s)
{
    size_t n = graph_count(ctx->graph);
    unsigned char *classes = NULL;
    s->pending = util_calloc(n, sizeof(*s->pending));
    if (!s->pending)
        return err_nomem(&ctx->err);
    int rc = plan_classify(ctx, &s->state, &s->counts, &classes);
    for (size_t i = 0; !rc && i < n; i++)
        if (classes[i] == PLAN_PENDING)
            s->pending[s->n_pending++] = &ctx->revisions[i];
    free(classes);
    return rc;
}

/*
 * Every revision left unfinished is in progress, and the run that marked
 * them still holds the migration lock (health's "migrating"): looked at
 * only then.  A look that fails leaves the status as it was read, with
 * the revisions reported as unfinished: it is not a failure of the
 * status itself.
 */
static int probe_run(um_ctx *ctx, um_status_info *s)
{
    if (!s->counts.in_progress || s->counts.failed)
        return UM_OK;
    bool held = false;
    int rc = pg_call_begin(ctx);
    if (!rc)
        rc = pg_call_finish(ctx, lock_probe_run(ctx, &held));
    if (rc == UM_ENOMEM)
        return rc;
    s->run_in_progress = !rc && held;
    err_clear(&ctx->err);
    return UM_OK;
}

int um_status_options_init(um_status_options *opts, unsigned int version)
{
    static const um_status_options init = UM_STATUS_OPTIONS_INIT;
    return util_options_init(opts, &init, sizeof(init), version);
}

int um_status(um_status_info **out, um_ctx *ctx)
{
    return um_status_v2(out, ctx, NULL);
}

int um_status_v2(um_status_info **out, um_ctx *ctx, const um_status_options *opts)
{
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!out)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_status: out is NULL");
    um_status_options defaults = UM_STATUS_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    int rc =
        err_check_version(&ctx->err, "um_status_options", opts->version, UM_STATUS_OPTIONS_VERSION);
    if (rc)
        return rc;
    um_status_info *s = calloc(1, sizeof(*s));
    if (!s)
        return err_nomem(&ctx->err);
    rc = store_read_state_call_as(ctx, opts->summary ? STORE_SUMMARY : STORE_DETAILED, &s->state);
    if (!rc)
        rc = fill_pending(ctx, s);
    if (!rc)
        rc = fill_file_heads(ctx, s);
    if (!rc)
        rc = probe_run(ctx, s);
    if (rc) {
        um_status_free(s);
        return rc;
    }
    compare_applied(ctx, &s->state);
    *out = s;
    return UM_OK;
}

int um_history(um_history_list **out, um_ctx *ctx, size_t limit)
{
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!out)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_history: out is NULL");
    int rc = pg_call_begin(ctx);
    return rc ? rc : pg_call_finish(ctx, store_read_history(ctx, limit, out));
}

/* ---- accessors --------------------------------------------------------- */

UTIL_LIST_ACCESSORS(um_status_current_head_count, um_status_current_head_at, um_status_info,
                    const char *, state.n_heads, state.heads, )
UTIL_LIST_ACCESSORS(um_status_file_head_count, um_status_file_head_at, um_status_info, const char *,
                    n_file_heads, file_heads, )
UTIL_LIST_ACCESSORS(um_status_applied_count, um_status_applied_at, um_status_info,
                    const um_applied *, state.n_applied, state.applied, &)
UTIL_LIST_ACCESSORS(um_status_pending_count, um_status_pending_at, um_status_info,
                    const um_revision *, n_pending, pending, )
UTIL_LIST_ACCESSORS(um_history_count, um_history_at, um_history_list, const um_history_entry *,
                    count, entries, &)

const char *um_status_last_failed(const um_status_info *st)
{
    if (!st || !st->state.last_state || strcmp(st->state.last_state, "failed") != 0)
        return NULL;
    return st->state.last_revision;
}

int um_status_run_in_progress(const um_status_info *st)
{
    return st && st->run_in_progress;
}

size_t um_status_count(const um_status_info *st, um_status_kind kind)
{
    if (!st)
        return 0;
    switch (kind) {
    case UM_STATUS_APPLIED:
        return st->counts.applied;
    case UM_STATUS_PENDING:
        return st->counts.pending;
    case UM_STATUS_FAILED:
        return st->counts.failed;
    case UM_STATUS_IN_PROGRESS:
        return st->counts.in_progress;
    case UM_STATUS_MISSING:
        return st->counts.missing;
    }
    return 0;
}
