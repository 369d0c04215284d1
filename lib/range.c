/*
 * range.c - the revisions between two targets: Alembic's
 * "history -r LOWER:UPPER" (ScriptDirectory.walk_revisions, which is
 * RevisionMap._collect_upgrade_revisions with inclusive=True and
 * implicit_base=False).
 *
 * UPPER's revisions and everything they need, less what LOWER already
 * needs, plus LOWER itself, kept to LOWER's descendants by Revises:.  Only
 * "current" reads the database.
 */
#include <stdlib.h>
#include <string.h>

#include "branch.h"
#include "internal.h"
#include "plan.h"
#include "store.h"
#include "util.h"

struct um_revision_list {
    const um_revision **revs; /* the handle's, in apply order */
    size_t n;
};

/* One end of a range, resolved: a set of revisions (none: base). */
typedef struct range_end {
    size_t *revs;
    size_t n;
} range_end;

/*
 * The database's heads, read once for "current", as Alembic's version
 * table has them (graph_real_heads_of): a head that an applied revision
 * depends on is not one.
 */
static int current_heads(um_ctx *ctx, range_end *out)
{
    store_state st;
    unsigned char *applied = NULL;
    size_t *heads = NULL, n_heads = 0;
    int rc = store_read_state_call(ctx, &st);
    if (rc)
        return rc;
    rc = plan_applied_set(ctx, st.heads, st.n_heads, &applied, &heads, &n_heads);
    if (!rc && graph_real_heads_of(ctx->graph, applied, &out->revs, &out->n))
        rc = err_nomem(&ctx->err);
    free(heads);
    free(applied);
    store_state_free(&st);
    return rc;
}

static bool is_label_step_down(const char *t, size_t *branch_len)
{
    const char *at = strchr(t, '@');
    size_t rev_len, steps;
    int sign;
    *branch_len = at ? (size_t)(at - t) : 0;
    return graph_parse_relative(at ? at + 1 : t, &rev_len, &sign, &steps) == 1 && rev_len == 0 &&
           sign < 0;
}

/*
 * LOWER "-N" (or "LABEL@-N"): Alembic walks N steps down from every head
 * that no revision revises or depends on (of those carrying LABEL).
 */
static int heads_stepped_down(um_ctx *ctx, const char *lower, size_t branch_len, range_end *out)
{
    const graph_dag *g = ctx->graph;
    size_t n = graph_count(g), n_heads, steps, rev_len;
    const size_t *heads = graph_heads(g, &n_heads);
    unsigned char *carries = util_calloc(n, 1), *reached = util_calloc(n, 1);
    int sign, rc = carries && reached ? UM_OK : err_nomem(&ctx->err);
    graph_parse_relative(lower + (branch_len ? branch_len + 1 : 0), &rev_len, &sign, &steps);
    if (!rc && branch_len)
        rc = branch_mark_label(g, lower, branch_len, carries, &ctx->err);
    for (size_t k = 0; !rc && k < n_heads; k++) {
        size_t nd;
        graph_dependents(g, heads[k], &nd);
        if (nd || (branch_len && !carries[heads[k]]))
            continue;
        graph_target t = GRAPH_TARGET_INIT;
        rc = graph_walk_down(g, (long)heads[k], steps, &t, &ctx->err);
        for (size_t i = 0; !rc && i < t.n; i++)
            reached[t.revs[i]] = 1;
        graph_target_free(&t);
    }
    if (!rc && !(out->revs = util_calloc(n, sizeof(*out->revs))))
        rc = err_nomem(&ctx->err);
    for (size_t i = 0; !rc && i < n; i++)
        if (reached[i])
            out->revs[out->n++] = i;
    free(carries);
    free(reached);
    return rc;
}

static int resolve_end(um_ctx *ctx, const char *target, const range_end *from, range_end *out)
{
    graph_target t = GRAPH_TARGET_INIT;
    int rc = graph_resolve_target(ctx->graph, target, UM_UP, from ? from->revs : NULL,
                                  from ? from->n : 0, &t, &ctx->err);
    out->revs = t.revs;
    out->n = t.n;
    t.revs = NULL;
    graph_target_free(&t);
    return rc;
}

/* UPPER "current": the database's heads; none (at base) is "heads", as
 * Alembic has it (its empty tuple of heads falls back to "heads"). */
static int resolve_upper_current(um_ctx *ctx, const range_end *lower, range_end *out)
{
    int rc = current_heads(ctx, out);
    if (!rc && !out->n) {
        free(out->revs);
        out->revs = NULL;
        rc = resolve_end(ctx, "heads", lower, out);
    }
    return rc;
}

static int resolve_lower(um_ctx *ctx, const char *lower, range_end *out)
{
    size_t branch_len;
    const char *at = strchr(lower, '@');
    /* "LABEL@base" is the empty state too; the label narrows UPPER */
    if (!*lower || strcmp(at ? at + 1 : lower, "base") == 0)
        return UM_OK;
    if (strcmp(lower, "current") == 0)
        return current_heads(ctx, out);
    if (is_label_step_down(lower, &branch_len))
        return heads_stepped_down(ctx, lower, branch_len, out);
    return resolve_end(ctx, lower, NULL, out);
}

/*
 * LOWER "LABEL@..." keeps UPPER's revisions that carry LABEL; a revision
 * id before "@" stands for the one label its revision carries.
 */
static int keep_branch(um_ctx *ctx, const char *lower, range_end *upper)
{
    const char *at = strchr(lower, '@');
    size_t n = graph_count(ctx->graph), kept = 0;
    unsigned char *carries = util_calloc(n, 1);
    int rc = carries ? UM_OK : err_nomem(&ctx->err);
    if (!rc)
        rc = branch_mark_label(ctx->graph, lower, (size_t)(at - lower), carries, &ctx->err);
    for (size_t i = 0; !rc && i < upper->n; i++)
        if (carries[upper->revs[i]])
            upper->revs[kept++] = upper->revs[i];
    if (!rc)
        upper->n = kept;
    free(carries);
    return rc;
}

/* (What UPPER needs, less what LOWER needs, and LOWER) within LOWER's
 * descendants.  @set: UPPER's needs on entry, the range on return. */
static int narrow_to_lower(um_ctx *ctx, const range_end *lower, const char *upper_name,
                           unsigned char *set)
{
    const graph_dag *g = ctx->graph;
    size_t n = graph_count(g);
    unsigned char *below = util_calloc(n, 1), *above = util_calloc(n, 1);
    int rc = below && above ? UM_OK : err_nomem(&ctx->err);
    for (size_t i = 0; !rc && i < lower->n; i++) {
        if (!set[lower->revs[i]])
            rc = ctx_error(ctx, UM_ETARGET, NULL, 0, NULL,
                           "revision %s is not an ancestor of '%s': no range between them",
                           graph_script(g, lower->revs[i])->id, upper_name);
        graph_mark_ancestors(g, lower->revs[i], below);
        graph_mark_parent_line(g, lower->revs[i], 1, above);
    }
    for (size_t i = 0; !rc && i < n; i++)
        set[i] = set[i] && !below[i] && above[i];
    for (size_t i = 0; !rc && i < lower->n; i++)
        set[lower->revs[i]] = 1;
    free(below);
    free(above);
    return rc;
}

static int list_alloc(um_ctx *ctx, um_revision_list **out)
{
    um_revision_list *list = calloc(1, sizeof(*list));
    if (!list || !(list->revs = util_calloc(graph_count(ctx->graph), sizeof(*list->revs)))) {
        free(list);
        return err_nomem(&ctx->err);
    }
    *out = list;
    return UM_OK;
}

/* On failure the list goes and *out is NULL. */
static int list_done(um_revision_list **out, int rc)
{
    if (rc) {
        um_revision_list_free(*out);
        *out = NULL;
    }
    return rc;
}

/*
 * The revisions of @set in apply order, as Alembic's history lists them
 * backwards: its walk down from @upper's revisions (graph_order).
 */
static int make_range_list(um_ctx *ctx, const unsigned char *set, const range_end *upper,
                           um_revision_list **out)
{
    size_t n = graph_count(ctx->graph), n_out = 0;
    size_t *order = util_calloc(n, sizeof(*order));
    int rc = order ? list_alloc(ctx, out) : err_nomem(&ctx->err);
    if (!rc)
        rc = graph_order(ctx->graph, set, upper->revs, upper->n, order, &n_out, &ctx->err);
    for (size_t k = n_out; !rc && k-- > 0;)
        (*out)->revs[(*out)->n++] = &ctx->revisions[order[k]];
    free(order);
    return list_done(out, rc);
}

/* The revisions of @set in file-name order: the order of Alembic's
 * revision map, in which its get_revisions() gives "heads" and friends. */
static int make_file_list(um_ctx *ctx, const unsigned char *set, um_revision_list **out)
{
    size_t n = graph_count(ctx->graph), m = 0;
    size_t *v = util_calloc(n, sizeof(*v));
    int rc = v ? list_alloc(ctx, out) : err_nomem(&ctx->err);
    for (size_t i = 0; !rc && i < n; i++)
        if (set[i])
            v[m++] = i;
    if (!rc && graph_sort_by_file(ctx->graph, v, m))
        rc = err_nomem(&ctx->err);
    for (size_t k = 0; !rc && k < m; k++)
        (*out)->revs[(*out)->n++] = &ctx->revisions[v[k]];
    free(v);
    return list_done(out, rc);
}

int um_revision_range(um_revision_list **out, um_ctx *ctx, const char *lower, const char *upper)
{
    range_end lo = { NULL, 0 }, up = { NULL, 0 };
    unsigned char *set = NULL;
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!out)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_revision_range: out is required");
    lower = lower ? lower : "";
    upper = upper && *upper ? upper : "heads";
    int rc = resolve_lower(ctx, lower, &lo);
    if (!rc)
        rc = strcmp(upper, "current") == 0 ? resolve_upper_current(ctx, &lo, &up)
                                           : resolve_end(ctx, upper, &lo, &up);
    if (!rc && strchr(lower, '@'))
        rc = keep_branch(ctx, lower, &up);
    if (!rc && !(set = util_calloc(graph_count(ctx->graph), 1)))
        rc = err_nomem(&ctx->err);
    for (size_t i = 0; !rc && i < up.n; i++)
        graph_mark_ancestors(ctx->graph, up.revs[i], set);
    if (!rc && lo.n)
        rc = narrow_to_lower(ctx, &lo, upper, set);
    if (!rc)
        rc = make_range_list(ctx, set, &up, out);
    free(set);
    free(lo.revs);
    free(up.revs);
    return rc;
}

int um_revision_resolve(um_revision_list **out, um_ctx *ctx, const char *target)
{
    range_end end = { NULL, 0 };
    unsigned char *set = NULL;
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!out || !target)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                         "um_revision_resolve: out and a target are required");
    int rc = strcmp(target, "base") == 0      ? UM_OK
             : strcmp(target, "current") == 0 ? current_heads(ctx, &end)
                                              : resolve_end(ctx, target, NULL, &end);
    if (!rc && !(set = util_calloc(graph_count(ctx->graph), 1)))
        rc = err_nomem(&ctx->err);
    for (size_t i = 0; !rc && i < end.n; i++)
        set[end.revs[i]] = 1;
    if (!rc)
        rc = make_file_list(ctx, set, out);
    free(set);
    free(end.revs);
    return rc;
}

UTIL_LIST_ACCESSORS(um_revision_list_count, um_revision_list_at, um_revision_list,
                    const um_revision *, n, revs, )

void um_revision_list_free(um_revision_list *list)
{
    if (!list)
        return;
    free(list->revs);
    free(list);
}
