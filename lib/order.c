/*
 * order.c - Alembic's walk over a set of revisions (order.h).
 *
 * The state is Alembic's: the list of current heads, the position of the
 * head being walked, and for every head the set of its ancestors (here a
 * bit set of n bits), which says whether another head still needs the
 * revision a head stands on.  A head moving down a plain line (one parent,
 * no dependency) keeps its set less the revision it leaves, as Alembic
 * does; any other move computes the sets anew.  Time: the walk's steps
 * times the number of heads, plus one ancestor walk per merge, branch
 * point or dependency passed; linear on a line of revisions.
 */
#include "order.h"
#include "util.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct walk {
    const order_graph *g;
    unsigned char *todo;   /* the set, less what is written out */
    unsigned char *queued; /* is a current head */
    size_t *heads;         /* current heads */
    uint64_t **anc;        /* anc[k]: ancestors of heads[k], the head included */
    size_t n_heads;
    size_t words;        /* per bit set */
    size_t *stack;       /* for ancestor walks */
    size_t *down;        /* the normalized down revisions of one revision */
    unsigned char *mark; /* scratch for normalize() */
} walk;

static bool bit(const uint64_t *set, size_t i)
{
    return (set[i / 64] >> (i % 64)) & 1;
}

static void bit_set(uint64_t *set, size_t i)
{
    set[i / 64] |= (uint64_t)1 << (i % 64);
}

static void bit_clear(uint64_t *set, size_t i)
{
    set[i / 64] &= ~((uint64_t)1 << (i % 64));
}

static size_t rank_of(const order_graph *g, size_t i)
{
    return g->file_rank ? g->file_rank[i] : i;
}

/* @v and everything it needs, parents and dependencies (Alembic's
 * _get_ancestor_nodes: the normalized edges reach the same revisions). */
static void ancestors(walk *w, size_t v, uint64_t *set)
{
    const order_graph *g = w->g;
    size_t top = 0;
    memset(set, 0, w->words * sizeof(*set));
    bit_set(set, v);
    w->stack[top++] = v;
    while (top) {
        size_t u = w->stack[--top];
        for (size_t k = g->off[u]; k < g->off[u + 1]; k++)
            if (!bit(set, g->idx[k])) {
                bit_set(set, g->idx[k]);
                w->stack[top++] = g->idx[k];
            }
    }
}

/* Marks (w->mark = 1) the ancestors of @v by parent edges, @v left out. */
static void mark_parent_line(walk *w, size_t v)
{
    const order_graph *g = w->g;
    size_t top = 0;
    w->stack[top++] = v;
    while (top) {
        size_t u = w->stack[--top];
        for (size_t k = g->off[u]; k < g->off[u] + g->nfirst[u]; k++)
            if (!w->mark[g->idx[k]]) {
                w->mark[g->idx[k]] = 1;
                w->stack[top++] = g->idx[k];
            }
    }
}

/*
 * Alembic's _normalized_down_revisions of @v into w->down: its parents,
 * then those of its dependencies that none of its ancestors by parent
 * edges depends on too.  Returns their number; *n_deps the dependencies
 * kept.
 */
static size_t normalize(walk *w, size_t v, size_t *n_deps)
{
    const order_graph *g = w->g;
    size_t n = 0, first = g->off[v] + g->nfirst[v];
    for (size_t k = g->off[v]; k < first; k++)
        w->down[n++] = g->idx[k];
    *n_deps = 0;
    if (first == g->off[v + 1])
        return n;
    mark_parent_line(w, v);
    /* mark 2: a dependency of a marked ancestor */
    for (size_t a = 0; a < g->n; a++)
        for (size_t k = g->off[a] + g->nfirst[a]; w->mark[a] == 1 && k < g->off[a + 1]; k++)
            w->mark[g->idx[k]] |= 2;
    for (size_t k = first; k < g->off[v + 1]; k++)
        if (!(w->mark[g->idx[k]] & 2)) {
            w->down[n++] = g->idx[k];
            ++*n_deps;
        }
    memset(w->mark, 0, g->n);
    return n;
}

/* Appends @v to the current heads, with its ancestors. */
static int push_head(walk *w, size_t v)
{
    uint64_t *set = malloc(w->words * sizeof(*set));
    if (!set)
        return UM_ENOMEM;
    ancestors(w, v, set);
    w->anc[w->n_heads] = set;
    w->heads[w->n_heads++] = v;
    w->queued[v] = 1;
    return UM_OK;
}

static void drop_head(walk *w, size_t k)
{
    w->queued[w->heads[k]] = 0;
    free(w->anc[k]);
    memmove(w->heads + k, w->heads + k + 1, (w->n_heads - k - 1) * sizeof(*w->heads));
    memmove(w->anc + k, w->anc + k + 1, (w->n_heads - k - 1) * sizeof(*w->anc));
    w->n_heads--;
}

/* The first other head that still needs @v, or @at when none does. */
static size_t head_needing(const walk *w, size_t at, size_t v)
{
    for (size_t k = 0; k < w->n_heads; k++)
        if (k != at && bit(w->anc[k], v))
            return k;
    return at;
}

/*
 * Head @at has been written out: it moves to the first of its down
 * revisions still to do and not a head already, and the others become
 * heads; with none it leaves the list.  Returns the next position.
 */
static int step_down(walk *w, size_t at, size_t *next)
{
    size_t v = w->heads[at], n_deps, n_add = 0;
    size_t n = normalize(w, v, &n_deps);
    for (size_t k = 0; k < n; k++)
        if (w->todo[w->down[k]] && !w->queued[w->down[k]])
            w->down[n_add++] = w->down[k];
    if (!n_add) {
        drop_head(w, at);
        *next = at ? at - 1 : 0;
        return UM_OK;
    }
    *next = at;
    w->queued[v] = 0;
    w->heads[at] = w->down[0];
    w->queued[w->down[0]] = 1;
    if (!n_deps && w->g->nfirst[v] == 1) {
        bit_clear(w->anc[at], v);
        return UM_OK;
    }
    ancestors(w, w->down[0], w->anc[at]);
    for (size_t k = 1; k < n_add; k++)
        if (push_head(w, w->down[k]))
            return UM_ENOMEM;
    return UM_OK;
}

typedef struct ranked {
    size_t rank, index;
} ranked;

static int by_rank(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

int order_by_file(const order_graph *og, size_t *v, size_t n)
{
    ranked *r = util_calloc(n, sizeof(*r));
    if (!r)
        return UM_ENOMEM;
    for (size_t k = 0; k < n; k++)
        r[k] = (ranked){ rank_of(og, v[k]), v[k] };
    qsort(r, n, sizeof(*r), by_rank);
    for (size_t k = 0; k < n; k++)
        v[k] = r[k].index;
    free(r);
    return UM_OK;
}

/* The heads of the set, in file order, each with its ancestors. */
static int start(walk *w, const size_t *heads, size_t n_heads)
{
    size_t *first = util_calloc(n_heads, sizeof(*first)), n = 0;
    int rc = first ? UM_OK : UM_ENOMEM;
    for (size_t k = 0; !rc && k < n_heads; k++)
        if (heads[k] < w->g->n && w->todo[heads[k]] && !w->queued[heads[k]]) {
            w->queued[heads[k]] = 1;
            first[n++] = heads[k];
        }
    for (size_t k = 0; k < n; k++)
        w->queued[first[k]] = 0;
    if (!rc)
        rc = order_by_file(w->g, first, n);
    for (size_t k = 0; !rc && k < n; k++)
        rc = push_head(w, first[k]);
    free(first);
    return rc;
}

static void walk_free(walk *w)
{
    for (size_t k = 0; k < w->n_heads; k++)
        free(w->anc[k]);
    free(w->todo);
    free(w->queued);
    free(w->heads);
    free(w->anc);
    free(w->stack);
    free(w->down);
    free(w->mark);
}

static int walk_init(walk *w, const order_graph *g, const unsigned char *set)
{
    size_t n = g->n;
    *w = (walk){ .g = g, .words = n / 64 + 1 };
    w->todo = util_calloc(n, 1);
    w->queued = util_calloc(n, 1);
    w->mark = util_calloc(n, 1);
    w->heads = util_calloc(n, sizeof(*w->heads));
    w->anc = util_calloc(n, sizeof(*w->anc));
    w->stack = util_calloc(n, sizeof(*w->stack));
    w->down = util_calloc(n, sizeof(*w->down));
    if (!w->todo || !w->queued || !w->mark || !w->heads || !w->anc || !w->stack || !w->down)
        return UM_ENOMEM;
    for (size_t i = 0; i < n; i++)
        w->todo[i] = set[i] != 0;
    return UM_OK;
}

int order_walk(const order_graph *og, const unsigned char *set, const size_t *heads, size_t n_heads,
               size_t *out, size_t *n_out, err_buf *err)
{
    walk w;
    size_t at = 0, n = 0;
    int rc = walk_init(&w, og, set);
    if (!rc)
        rc = start(&w, heads, n_heads);
    while (!rc && w.n_heads) {
        size_t v = w.heads[at], other = head_needing(&w, at, v);
        if (other != at) {
            /* another head stands on it: that one goes first */
            at = other;
            continue;
        }
        if (w.todo[v]) {
            out[n++] = v;
            w.todo[v] = 0;
        }
        rc = step_down(&w, at, &at);
    }
    for (size_t i = og->n; !rc && i-- > 0;)
        if (w.todo[i])
            out[n++] = i;
    walk_free(&w);
    *n_out = n;
    return rc ? err_nomem(err) : UM_OK;
}
