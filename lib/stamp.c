/*
 * stamp.c - the state a stamp leaves (Alembic's ScriptDirectory._stamp_revs):
 * a current head that shares a line of descent with a revision stamped is
 * replaced by it, whether the stamp goes up or down; a revision of a
 * branch the database has no head on is added; "base" removes every head,
 * "LABEL@base" the heads on LABEL's line.
 */
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "plan.h"
#include "stamp.h"
#include "util.h"

int um_stamp_options_init(um_stamp_options *opts, unsigned int version)
{
    static const um_stamp_options init = UM_STAMP_OPTIONS_INIT;
    return util_options_init(opts, &init, sizeof(init), version);
}

int stamp_check_target(um_ctx *ctx, const char *target)
{
    if (!graph_target_relative(ctx->graph, target))
        return UM_OK;
    return err_set(&ctx->err, UM_ETARGET, NULL, 0, NULL,
                   "stamp takes revisions, not a relative step such as '%s' (nor does Alembic's"
                   " stamp, which cannot locate it): name the revision to stamp",
                   target);
}

/* The revisions @target names, each marked in @dests, its line of descent
 * (both ways, dependencies included) in @line.  "heads" is every real
 * head, as an upgrade's; "LABEL@head" the branch's head. */
static int mark_destination(um_ctx *ctx, const char *target, const size_t *cur, size_t n_cur,
                            unsigned char *dests, unsigned char *line)
{
    graph_target t = GRAPH_TARGET_INIT;
    int rc = stamp_check_target(ctx, target);
    if (!rc)
        rc = graph_resolve_target(ctx->graph, target, UM_UP, cur, n_cur, &t, &ctx->err);
    for (size_t i = 0; !rc && i < t.n; i++) {
        dests[t.revs[i]] = 1;
        graph_mark_ancestors(ctx->graph, t.revs[i], line);
        graph_mark_descendants(ctx->graph, t.revs[i], line);
    }
    graph_target_free(&t);
    return rc;
}

/*
 * "LABEL@base" (LABEL may be a revision id too): Alembic stamps nothing
 * and deletes the current heads that share a line of descent with LABEL's
 * revision, dependencies included (filter_for_lineage on the label, then a
 * "delete branch" step per head).  Returns 1 when @target has that form
 * (its line marked in @line, or an error in *rc), 0 when not.
 */
static int mark_branch_base(um_ctx *ctx, const char *target, unsigned char *line, int *rc)
{
    const char *at = strchr(target, '@');
    size_t i;
    if (!at || at == target || strcmp(at + 1, "base") != 0)
        return 0;
    char *label = strndup(target, (size_t)(at - target));
    *rc = label ? graph_lookup(ctx->graph, label, &i, &ctx->err) : err_nomem(&ctx->err);
    if (!*rc) {
        graph_mark_ancestors(ctx->graph, i, line);
        graph_mark_descendants(ctx->graph, i, line);
    }
    free(label);
    return 1;
}

/* The current heads that stay: those on no line a revision stamped is on. */
static void keep_other_heads(um_ctx *ctx, const size_t *cur, size_t n_cur,
                             const unsigned char *line, unsigned char *set)
{
    for (size_t i = 0; i < n_cur; i++)
        if (!line[cur[i]])
            graph_mark_ancestors(ctx->graph, cur[i], set);
}

int stamp_applied_set(um_ctx *ctx, const store_state *st, const um_stamp_options *o,
                      unsigned char *set)
{
    size_t n = graph_count(ctx->graph), *cur = NULL, n_cur = 0;
    unsigned char *applied = NULL, *dests = util_calloc(n, 1), *line = util_calloc(n, 1);
    bool base = false;
    int rc = dests && line ? UM_OK : err_nomem(&ctx->err);
    if (!rc && !o->purge)
        rc = plan_applied_set(ctx, st->heads, st->n_heads, &applied, &cur, &n_cur);
    for (size_t i = 0; !rc && i < o->n_revisions; i++) {
        if (strcmp(o->revisions[i], "base") == 0)
            base = true;
        else if (!mark_branch_base(ctx, o->revisions[i], line, &rc))
            rc = mark_destination(ctx, o->revisions[i], cur, n_cur, dests, line);
    }
    if (!rc && !base)
        keep_other_heads(ctx, cur, n_cur, line, set);
    for (size_t i = 0; !rc && i < n; i++)
        if (dests[i])
            graph_mark_ancestors(ctx->graph, i, set);
    free(applied);
    free(cur);
    free(dests);
    free(line);
    return rc;
}
