/*
 * repair.c - um_repair(): the operator's word on what a run left half
 * done, and on files edited after they were applied.
 *
 * A "Transactional: no" revision runs statement by statement; when its run
 * stops part-way, what ran stays, and only someone who looked at the
 * database can say whether the revision is now done or undone.  Until then
 * its applied row says "failed" or "in_progress" and every run refuses
 * (plan_refuse_unfinished).  A repair writes that decision, under the
 * migration lock, in one transaction with a history row; no revision SQL
 * runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "plan.h"
#include "store.h"
#include "util.h"

struct um_repair_list {
    um_repair_entry *entries;
    size_t count;
};

/* A repair under the lock: what was asked, and where the result goes. */
typedef struct repair_job {
    const um_repair_options *opts;
    um_repair_list *out;
} repair_job;

void um_repair_free(um_repair_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        um_repair_entry *e = &list->entries[i];
        free((char *)e->revision);
        free((char *)e->path);
        free((char *)e->old_checksum);
        free((char *)e->new_checksum);
    }
    free(list->entries);
    free(list);
}

UTIL_LIST_ACCESSORS(um_repair_count, um_repair_at, um_repair_list, const um_repair_entry *, count,
                    entries, &)

int um_repair_options_init(um_repair_options *opts, unsigned int version)
{
    static const um_repair_options init = UM_REPAIR_OPTIONS_INIT;
    return util_options_init(opts, &init, sizeof(init), version);
}

/* The states an entry names are static text, its strings copies: the
 * list outlives the state they were read from. */
static const char *static_state(const char *state)
{
    return strcmp(state, "failed") == 0        ? "failed"
           : strcmp(state, "in_progress") == 0 ? "in_progress"
                                               : "applied";
}

static int add_entry(um_ctx *ctx, um_repair_list *list, const um_applied *row, const script_file *s,
                     const char *after, const char *new_checksum)
{
    um_repair_entry *e = &list->entries[list->count];
    memset(e, 0, sizeof(*e));
    e->revision = strdup(row->revision);
    e->path = util_strdup_null(s ? s->path : NULL);
    e->old_checksum = util_strdup_null(row->checksum);
    e->new_checksum = util_strdup_null(new_checksum);
    e->before = static_state(row->state);
    e->after = after;
    e->statements_done = store_row_unfinished(row) ? row->statements_done : 0;
    list->count++;
    if (!e->revision || (s && !e->path) || (row->checksum && !e->old_checksum) ||
        (new_checksum && !e->new_checksum))
        return err_nomem(&ctx->err);
    return UM_OK;
}

/* ---- --applied, --rolled-back ----------------------------------------- */

/*
 * The applied row @ref names: its full id or a unique prefix of it.  The
 * revision's file may be gone, so the rows are searched, not the graph.
 */
static int find_row(um_ctx *ctx, const store_state *st, const char *ref, const um_applied **out)
{
    size_t len = strlen(ref), matches = 0;
    *out = NULL;
    for (size_t i = 0; i < st->n_applied; i++) {
        const um_applied *a = &st->applied[i];
        if (strcmp(a->revision, ref) == 0) {
            *out = a;
            return UM_OK;
        }
        if (strncmp(a->revision, ref, len) == 0 && matches++ == 0)
            *out = a;
    }
    if (matches == 1)
        return UM_OK;
    *out = NULL;
    if (matches > 1)
        return ctx_error(ctx, UM_ETARGET, NULL, 0, NULL,
                         "'%s' names more than one revision of the database; give more of its id",
                         ref);
    return ctx_error(ctx, UM_ETARGET, NULL, 0, ref,
                     "nothing to repair: no run left this revision half done (it is not in the"
                     " applied table); see status");
}

/*
 * The version rows once @row's revision (graph index @idx, -1: no file)
 * is applied or rolled back: the heads of the applied set with it added
 * or taken out.  A version row that is the revision itself, without a
 * file, simply goes (rolled back).
 */
static int heads_after(um_ctx *ctx, const store_state *st, const um_applied *row, long idx,
                       bool applied, const char ***out, size_t *n_out)
{
    const char **ids = util_calloc(st->n_heads, sizeof(*ids));
    unsigned char *set = NULL, *again = NULL;
    size_t *cur = NULL, n_cur = 0, *heads = NULL, n_heads = 0, n_ids = 0;
    int rc = ids ? UM_OK : err_nomem(&ctx->err);
    for (size_t i = 0; !rc && i < st->n_heads; i++)
        if (idx >= 0 || strcmp(st->heads[i], row->revision) != 0)
            ids[n_ids++] = st->heads[i];
    if (!rc)
        rc = plan_applied_set(ctx, ids, n_ids, &set, &cur, &n_cur);
    if (!rc && idx >= 0) {
        if (applied)
            graph_mark_ancestors(ctx->graph, (size_t)idx, set);
        else
            set[idx] = 0;
    }
    if (!rc && graph_heads_of(ctx->graph, set, &heads, &n_heads) != UM_OK)
        rc = err_nomem(&ctx->err);
    /* what stays applied must not need what goes */
    if (!rc && !applied && idx >= 0 && !(again = util_calloc(graph_count(ctx->graph), 1)))
        rc = err_nomem(&ctx->err);
    for (size_t i = 0; !rc && again && i < n_heads; i++)
        graph_mark_ancestors(ctx->graph, heads[i], again);
    if (!rc && again && again[idx])
        rc = ctx_error(ctx, UM_ESTATE, NULL, 0, row->revision,
                       "cannot record it rolled back: applied revisions depend on it;"
                       " downgrade them first");
    free(ids);
    ids = NULL;
    if (!rc && !(ids = util_calloc(n_heads, sizeof(*ids))))
        rc = err_nomem(&ctx->err);
    for (size_t i = 0; !rc && i < n_heads; i++)
        ids[i] = graph_script(ctx->graph, heads[i])->id;
    *out = rc ? NULL : ids;
    *n_out = rc ? 0 : n_heads;
    if (rc)
        free(ids);
    free(set);
    free(again);
    free(cur);
    free(heads);
    return rc;
}

static int repair_unfinished(um_ctx *ctx, const store_state *st, const repair_job *job)
{
    bool applied = job->opts->action == UM_REPAIR_APPLIED;
    const um_applied *row = NULL;
    int rc = find_row(ctx, st, job->opts->revision, &row);
    if (rc)
        return rc;
    if (!store_row_unfinished(row))
        return ctx_error(ctx, UM_ETARGET, NULL, 0, row->revision,
                         "nothing to repair: this revision is %s, not failed or in progress",
                         row->state);
    long idx = graph_find(ctx->graph, row->revision);
    const script_file *s = idx >= 0 ? graph_script(ctx->graph, (size_t)idx) : NULL;
    if (applied && !s)
        return ctx_error(ctx, UM_ESTATE, NULL, 0, row->revision,
                         "cannot record it applied: no file in %s defines it (restore its file,"
                         " or record it rolled back)",
                         ctx->versions_dir);

    const char **heads = NULL;
    size_t n_heads = 0;
    char note[200];
    rc = heads_after(ctx, st, row, idx, applied, &heads, &n_heads);
    if (rc)
        return rc;
    snprintf(note, sizeof(note),
             "repair: recorded %s by the operator (was %s after %d statement%s)",
             applied ? "applied" : "rolled back", row->state, row->statements_done,
             row->statements_done == 1 ? "" : "s");
    rc = store_repair(ctx, heads, n_heads, row->revision, applied ? s->checksum : NULL, note);
    if (!rc)
        rc = add_entry(ctx, job->out, row, s, applied ? "applied" : "rolled_back",
                       applied ? s->checksum : NULL);
    if (!rc)
        log_printf(&ctx->log, UM_LOG_INFO, "revision %s recorded %s (it was %s)", row->revision,
                   applied ? "applied" : "rolled back", row->state);
    free(heads);
    return rc;
}

/* ---- --checksums ------------------------------------------------------- */

/* The applied revisions whose file's checksum is not the one stored. */
static int repair_checksums(um_ctx *ctx, const store_state *st, const repair_job *job)
{
    const script_file **changed = util_calloc(st->n_applied, sizeof(*changed));
    char **notes = util_calloc(st->n_applied, sizeof(*notes));
    size_t n = 0;
    int rc = changed && notes ? UM_OK : err_nomem(&ctx->err);
    for (size_t i = 0; !rc && i < st->n_applied; i++) {
        const um_applied *a = &st->applied[i];
        long idx = graph_find(ctx->graph, a->revision);
        const script_file *s = idx >= 0 ? graph_script(ctx->graph, (size_t)idx) : NULL;
        if (!s || store_row_unfinished(a) || script_checksum_matches(s, a->checksum))
            continue;
        if (asprintf(&notes[n], "repair: checksum %.12s replaced by the file's %.12s",
                     a->checksum ? a->checksum : "(none)", s->checksum) < 0) {
            notes[n] = NULL;
            rc = err_nomem(&ctx->err);
            break;
        }
        changed[n++] = s;
        rc = add_entry(ctx, job->out, a, s, "applied", s->checksum);
    }
    if (!rc)
        rc = store_repair_checksums(ctx, changed, (const char *const *)notes, n);
    if (!rc && n == 0)
        log_printf(&ctx->log, UM_LOG_INFO, "every applied revision's file has its stored checksum");
    util_free_strings(notes, n);
    free(changed);
    return rc;
}

/* ---- the call ----------------------------------------------------------- */

static int run_repair(um_ctx *ctx, const store_state *st, const void *arg)
{
    const repair_job *job = arg;
    job->out->entries = util_calloc(st->n_applied, sizeof(*job->out->entries));
    if (!job->out->entries)
        return err_nomem(&ctx->err);
    if (job->opts->action == UM_REPAIR_CHECKSUMS)
        return repair_checksums(ctx, st, job);
    return repair_unfinished(ctx, st, job);
}

static int check_options(um_ctx *ctx, const um_repair_options *o)
{
    if (!o)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_repair: options are required");
    int rc =
        err_check_version(&ctx->err, "um_repair_options", o->version, UM_REPAIR_OPTIONS_VERSION);
    if (rc)
        return rc;
    switch (o->action) {
    case UM_REPAIR_APPLIED:
    case UM_REPAIR_ROLLED_BACK:
        if (!o->revision || !*o->revision)
            return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                             "um_repair: recording a revision applied or rolled back needs it");
        return UM_OK;
    case UM_REPAIR_CHECKSUMS:
        return UM_OK;
    }
    return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_repair: unknown action %d", (int)o->action);
}

int um_repair(um_repair_list **out, um_ctx *ctx, const um_repair_options *opts)
{
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!out)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_repair: out is NULL");
    int rc = check_options(ctx, opts);
    if (rc)
        return rc;
    um_repair_list *list = calloc(1, sizeof(*list));
    if (!list)
        return err_nomem(&ctx->err);
    repair_job job = { opts, list };
    rc = apply_locked(ctx, run_repair, &job);
    if (rc)
        um_repair_free(list);
    else
        *out = list;
    return rc;
}
