/*
 * graph.c - the revision graph.
 *
 * graph_build works on the scripts sorted by file name: an open-addressing
 * map from id to position (which also finds duplicates), the edge lists
 * resolved to positions, then Kahn's algorithm with a min-heap on the
 * position, so that ties break by file name and the order does not depend
 * on the order of the input.  Everything is then renumbered into that
 * topological order, which lets callers read "i < j" as "i may be applied
 * before j" and walk the index range as an apply order.
 */
#include "graph.h"
#include "branch.h"
#include "order.h"
#include "strbuf.h"
#include "textfile.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Adjacency lists in CSR form, one allocation: node i's neighbours are
 * idx[off[i] .. off[i + 1]), the first nfirst[i] of them over parent edges
 * and the rest over dependency edges.
 */
typedef struct adj {
    size_t *off;    /* n + 1 entries; also the start of the block */
    size_t *nfirst; /* n entries */
    size_t *idx;
} adj;

struct graph_dag {
    size_t n;
    script_file **scripts; /* topological order */
    size_t *slots;         /* id map: index + 1, 0 = empty */
    size_t mask;           /* slot count - 1 (a power of two) */
    adj pred;              /* parents, then dependencies */
    adj succ;              /* children, then dependents */
    size_t *heads;         /* heads, bases, then real heads: one block */
    size_t *bases;
    size_t *real_heads;
    size_t n_heads, n_bases, n_real_heads;
    size_t *file_rank;    /* place in file-name order */
    branch_table *labels; /* Branch Labels: (branch.c) */
};

/* State of graph_build, numbered by position in file-name order. */
typedef struct build {
    script_file **s; /* owned until handed to the graph */
    size_t n;
    size_t *slots, mask;
    adj pred, succ;
    size_t *order; /* order[k]: position of the k-th to apply */
    size_t *rank;  /* inverse of order; SIZE_MAX: not ordered */
    branch_table *labels;
} build;

/* ---- small helpers ------------------------------------------------------ */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* "a, b, c" from the ids of @n revisions, in file-name order (Alembic's
 * order for heads and candidates); as given without memory to sort. */
static void sb_put_ids(strbuf *sb, const graph_dag *g, const size_t *idx, size_t n)
{
    size_t *by_file = util_calloc(g->n, sizeof(*by_file)), shown = 0;
    if (!by_file) {
        for (size_t k = 0; k < n; k++)
            sb_printf(sb, "%s%s", k ? ", " : "", g->scripts[idx[k]]->id);
        return;
    }
    for (size_t k = 0; k < n; k++)
        by_file[g->file_rank[idx[k]]] = idx[k] + 1;
    for (size_t r = 0; r < g->n; r++)
        if (by_file[r])
            sb_printf(sb, "%s%s", shown++ ? ", " : "", g->scripts[by_file[r] - 1]->id);
    free(by_file);
}

/*
 * The 1-based line of @s's header line "-- @key: ...", 0 when it cannot
 * be told.  The parser keeps no header line but the markers', so a graph
 * error reads the file again to point at the line to fix: only on the way
 * to an error, never while a good graph is built.
 */
static int header_line_of(const script_file *s, const char *key)
{
    char *text = NULL;
    size_t len = 0;
    err_buf ignored = { 0 };
    int found = 0, no = 0;

    if (textfile_read(&text, &len, s->path, &textfile_revision, false, &ignored)) {
        err_clear(&ignored);
        return 0;
    }
    for (char *p = text, *nl; !found && p < text + len && (!s->up_line || no < s->up_line);
         p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(text + len - p));
        if (!nl)
            nl = text + len;
        *nl = '\0';
        no++;
        p += strspn(p, " \t");
        const char *k = p[0] == '-' && p[1] == '-' ? script_header_key(p + 2) : NULL;
        if (k && strcmp(k, key) == 0)
            found = no;
    }
    free(text);
    return found;
}

static int adj_alloc(adj *a, size_t n, size_t edges)
{
    a->off = util_calloc(2 * n + 1 + edges, sizeof(size_t));
    if (!a->off)
        return UM_ENOMEM;
    a->nfirst = a->off + n + 1;
    a->idx = a->nfirst + n;
    return UM_OK;
}

static const size_t *adj_list(const adj *a, size_t i, bool first, size_t *n)
{
    size_t start = a->off[i] + (first ? 0 : a->nfirst[i]);
    *n = first ? a->nfirst[i] : a->off[i + 1] - start;
    return a->idx + start;
}

/*
 * Builds the reverse of @pred: j goes among p's "first" entries when p is
 * j's parent, among the rest when j depends on p.  Visiting j in ascending
 * order keeps every reversed list ascending.
 */
static int adj_invert(const adj *pred, size_t n, adj *succ)
{
    size_t *ndeps = util_calloc(n, sizeof(*ndeps));
    int rc = ndeps ? adj_alloc(succ, n, pred->off[n]) : UM_ENOMEM;
    if (rc)
        goto done;
    for (size_t k = 0; k < pred->off[n]; k++)
        succ->off[pred->idx[k] + 1]++;
    for (size_t i = 0; i < n; i++)
        succ->off[i + 1] += succ->off[i];
    for (size_t j = 0; j < n; j++)
        for (size_t k = pred->off[j]; k < pred->off[j] + pred->nfirst[j]; k++) {
            size_t p = pred->idx[k];
            succ->idx[succ->off[p] + succ->nfirst[p]++] = j;
        }
    for (size_t j = 0; j < n; j++)
        for (size_t k = pred->off[j] + pred->nfirst[j]; k < pred->off[j + 1]; k++) {
            size_t p = pred->idx[k];
            succ->idx[succ->off[p] + succ->nfirst[p] + ndeps[p]++] = j;
        }
done:
    free(ndeps);
    return rc;
}

/* ---- the id map --------------------------------------------------------- */

/* The slot holding @id, or the empty slot where it would go. */
static size_t map_probe(const size_t *slots, size_t mask, script_file *const *s, const char *id)
{
    size_t i = (size_t)util_hash(id, strlen(id)) & mask;
    while (slots[i] && strcmp(s[slots[i] - 1]->id, id) != 0)
        i = (i + 1) & mask;
    return i;
}

static long map_find(const size_t *slots, size_t mask, script_file *const *s, const char *id)
{
    size_t slot = map_probe(slots, mask, s, id);
    return slots[slot] ? (long)(slots[slot] - 1) : -1;
}

/* "FILE:LINE" of @s's header line @key, or "FILE" when the line is unknown. */
static void sb_put_place(strbuf *sb, const script_file *s, const char *key, int *line)
{
    *line = header_line_of(s, key);
    sb_puts(sb, s->path);
    if (*line)
        sb_printf(sb, ":%d", *line);
}

/* Both files, each at its "Revision ID:" line: either may be the copy. */
static int report_duplicate(const script_file *first, const script_file *second, err_buf *err)
{
    strbuf sb = STRBUF_INIT;
    int line, rc;

    sb_put_place(&sb, first, "Revision ID", &line);
    sb_puts(&sb, " and ");
    sb_put_place(&sb, second, "Revision ID", &line);
    rc = sb_failed(&sb) ? err_nomem(err)
                        : err_set(err, UM_EGRAPH, second->path, line, second->id,
                                  "revision %s is defined twice: %s", second->id, sb_str(&sb));
    sb_free(&sb);
    return rc;
}

/* A load factor of at most 1/2 keeps probe sequences short. */
static int map_build(build *b, err_buf *err)
{
    size_t cap = 16;
    while (cap < 2 * b->n)
        cap *= 2;
    b->mask = cap - 1;
    b->slots = util_calloc(cap, sizeof(size_t));
    if (!b->slots)
        return err_nomem(err);
    for (size_t i = 0; i < b->n; i++) {
        size_t slot = map_probe(b->slots, b->mask, b->s, b->s[i]->id);
        if (b->slots[slot]) {
            return report_duplicate(b->s[b->slots[slot] - 1], b->s[i], err);
        }
        b->slots[slot] = i + 1;
    }
    return UM_OK;
}

/* ---- graph_build -------------------------------------------------------- */

static int cmp_by_file(const void *pa, const void *pb)
{
    const script_file *a = *(script_file *const *)pa, *b = *(script_file *const *)pb;
    int c = strcmp(base_name(a->path), base_name(b->path));
    if (!c)
        c = strcmp(a->path, b->path);
    return c ? c : strcmp(a->id, b->id);
}

/* A directory's files come sorted by name: one pass instead of a sort. */
static bool sorted_by_file(script_file *const *s, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (cmp_by_file(&s[i - 1], &s[i]) > 0)
            return false;
    return true;
}

/* The two kinds of edges: a dependency may name a branch label, as in
 * Alembic; a parent may not (Alembic's map would then lose the edge). */
typedef struct edge_kind {
    const char *verb;
    const char *key; /* the header line that makes the edge */
    bool labels;
} edge_kind;

static const edge_kind edge_parent = { "revises", "Revises", false };
static const edge_kind edge_depends = { "depends on", "Depends On", true };

/*
 * Appends the positions of @ids to node i's list.  @stamp drops a revision
 * named twice (the parser's business, harmless here) so that edge counts
 * stay consistent for Kahn's in-degrees.
 */
static int add_edges(build *b, size_t i, char *const *ids, size_t n_ids, const edge_kind *kind,
                     size_t *stamp, size_t *fill, err_buf *err)
{
    const script_file *s = b->s[i];
    for (size_t k = 0; k < n_ids; k++) {
        long p = map_find(b->slots, b->mask, b->s, ids[k]);
        if (p < 0 && kind->labels)
            p = branch_table_find(b->labels, ids[k]);
        if (p < 0)
            return err_set(err, UM_EGRAPH, s->path, header_line_of(s, kind->key), s->id,
                           "%s %s, which no file defines", kind->verb, ids[k]);
        if (stamp[p] == i + 1)
            continue;
        stamp[p] = i + 1;
        b->pred.idx[(*fill)++] = (size_t)p;
    }
    return UM_OK;
}

static int resolve_edges(build *b, err_buf *err)
{
    size_t edges = 0, fill = 0;
    for (size_t i = 0; i < b->n; i++)
        edges += b->s[i]->n_parents + b->s[i]->n_depends_on;
    size_t *stamp = util_calloc(b->n, sizeof(*stamp));
    int rc = stamp ? adj_alloc(&b->pred, b->n, edges) : UM_ENOMEM;
    if (rc) {
        rc = err_nomem(err);
        goto done;
    }
    for (size_t i = 0; i < b->n && !rc; i++) {
        const script_file *s = b->s[i];
        b->pred.off[i] = fill;
        rc = add_edges(b, i, s->parents, s->n_parents, &edge_parent, stamp, &fill, err);
        b->pred.nfirst[i] = fill - b->pred.off[i];
        if (!rc)
            rc = add_edges(b, i, s->depends_on, s->n_depends_on, &edge_depends, stamp, &fill, err);
    }
    b->pred.off[b->n] = fill;
done:
    free(stamp);
    return rc;
}

static long find_position(const void *arg, const char *id)
{
    const build *b = arg;
    return map_find(b->slots, b->mask, b->s, id);
}

/* A binary min-heap of positions: the ready revision first in file order. */
static void heap_push(size_t *h, size_t *len, size_t v)
{
    size_t i = (*len)++;
    while (i && h[(i - 1) / 2] > v) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = v;
}

static size_t heap_pop(size_t *h, size_t *len)
{
    size_t top = h[0], v = h[--*len], i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *len)
            break;
        if (c + 1 < *len && h[c + 1] < h[c])
            c++;
        if (v <= h[c])
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = v;
    return top;
}

/* The first of @v's edges to a revision Kahn's algorithm left unordered. */
static size_t unordered_edge(const build *b, size_t v)
{
    size_t k = b->pred.off[v];
    while (b->rank[b->pred.idx[k]] != SIZE_MAX)
        k++;
    return k;
}

/*
 * Every revision Kahn's algorithm left unordered still waits for an
 * unordered predecessor, so following such predecessors from any of them
 * must come back to a revision already seen: that loop is the cycle.
 */
static int report_cycle(const build *b, err_buf *err)
{
    size_t *walk = util_calloc(b->n, sizeof(*walk)), *seen = util_calloc(b->n, sizeof(*seen));
    strbuf sb = STRBUF_INIT;
    size_t len = 0, v = 0;
    int rc = UM_ENOMEM;

    if (!walk || !seen)
        goto done;
    while (b->rank[v] != SIZE_MAX)
        v++;
    while (!seen[v]) {
        seen[v] = ++len;
        walk[len - 1] = v;
        v = b->pred.idx[unordered_edge(b, v)];
    }
    /* The line to fix is the one making v's edge on the cycle. */
    size_t edge = unordered_edge(b, v);
    const char *key = edge - b->pred.off[v] < b->pred.nfirst[v] ? "Revises" : "Depends On";
    /* The walk runs against the edges; print it in application order. */
    sb_puts(&sb, b->s[v]->id);
    for (size_t k = len; k-- > seen[v] - 1;) {
        sb_puts(&sb, " -> ");
        sb_puts(&sb, b->s[walk[k]]->id);
    }
    if (sb_failed(&sb))
        goto done;
    rc = err_set(err, UM_EGRAPH, b->s[v]->path, header_line_of(b->s[v], key), b->s[v]->id,
                 "cycle in the revision graph: %s", sb_str(&sb));
done:
    if (rc == UM_ENOMEM)
        err_nomem(err);
    sb_free(&sb);
    free(walk);
    free(seen);
    return rc;
}

static int topo_sort(build *b, err_buf *err)
{
    size_t n = b->n, len = 0, done = 0;
    size_t *indeg = util_calloc(n, sizeof(*indeg)), *heap = util_calloc(n, sizeof(*heap));
    b->order = util_calloc(n, sizeof(size_t));
    b->rank = util_calloc(n, sizeof(size_t));
    int rc = UM_ENOMEM;

    if (!indeg || !heap || !b->order || !b->rank || adj_invert(&b->pred, n, &b->succ)) {
        err_nomem(err);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        b->rank[i] = SIZE_MAX;
        indeg[i] = b->pred.off[i + 1] - b->pred.off[i];
        if (!indeg[i])
            heap_push(heap, &len, i);
    }
    while (len) {
        size_t v = heap_pop(heap, &len);
        b->rank[v] = done;
        b->order[done++] = v;
        for (size_t k = b->succ.off[v]; k < b->succ.off[v + 1]; k++)
            if (--indeg[b->succ.idx[k]] == 0)
                heap_push(heap, &len, b->succ.idx[k]);
    }
    rc = done == n ? UM_OK : report_cycle(b, err);
done:
    free(indeg);
    free(heap);
    return rc;
}

/*
 * Numbers the revisions as Alembic upgrades an empty database to "heads":
 * its walk (order.h) down from the real heads, reversed.  Kahn's order
 * (topo_sort) only proves there is no cycle, which the walk needs.
 */
static int alembic_order(build *b, err_buf *err)
{
    size_t n = b->n, n_heads = 0, n_out = 0;
    unsigned char *all = malloc(n ? n : 1);
    size_t *heads = util_calloc(n, sizeof(*heads)), *out = util_calloc(n, sizeof(*out));
    order_graph og = { n, b->pred.off, b->pred.nfirst, b->pred.idx, NULL };
    int rc = all && heads && out ? UM_OK : err_nomem(err);
    if (!rc) {
        memset(all, 1, n);
        for (size_t i = 0; i < n; i++)
            if (b->succ.off[i] == b->succ.off[i + 1])
                heads[n_heads++] = i;
        rc = order_walk(&og, all, heads, n_heads, out, &n_out, err);
    }
    for (size_t k = 0; !rc && k < n; k++) {
        b->order[k] = out[n - 1 - k];
        b->rank[b->order[k]] = k;
    }
    free(all);
    free(heads);
    free(out);
    return rc;
}

/* Renumbers the build's edges into topological order. */
static int renumber_pred(const build *b, adj *pred)
{
    size_t fill = 0;
    if (adj_alloc(pred, b->n, b->pred.off[b->n]))
        return UM_ENOMEM;
    for (size_t k = 0; k < b->n; k++) {
        size_t i = b->order[k];
        pred->off[k] = fill;
        pred->nfirst[k] = b->pred.nfirst[i];
        for (size_t e = b->pred.off[i]; e < b->pred.off[i + 1]; e++)
            pred->idx[fill++] = b->rank[b->pred.idx[e]];
    }
    pred->off[b->n] = fill;
    return UM_OK;
}

/*
 * Heads have no children, bases no parents: dependencies do not count.
 * Real heads have no dependents either (Alembic's _real_heads).  Each list
 * is in file-name order, the order of Alembic's revision map, in which it
 * lists heads and names them in a merge.  @by_file: file order to index.
 */
static int find_ends(graph_dag *g, const size_t *by_file)
{
    g->heads = util_calloc(3 * g->n, sizeof(size_t));
    if (!g->heads)
        return UM_ENOMEM;
    for (size_t r = 0; r < g->n; r++)
        if (!g->succ.nfirst[by_file[r]])
            g->heads[g->n_heads++] = by_file[r];
    g->bases = g->heads + g->n_heads;
    for (size_t r = 0; r < g->n; r++)
        if (!g->pred.nfirst[by_file[r]])
            g->bases[g->n_bases++] = by_file[r];
    g->real_heads = g->bases + g->n_bases;
    for (size_t r = 0; r < g->n; r++)
        if (g->succ.off[by_file[r]] == g->succ.off[by_file[r] + 1])
            g->real_heads[g->n_real_heads++] = by_file[r];
    return UM_OK;
}

/*
 * Moves the build's scripts and map into @g, renumbered.  The scripts
 * change hands last, so that on failure the build still owns them all.
 */
static int assemble(build *b, graph_dag *g, err_buf *err)
{
    script_file **scripts = util_calloc(b->n, sizeof(*scripts));
    g->n = b->n;
    g->file_rank = util_calloc(b->n, sizeof(*g->file_rank));
    if (!scripts || !g->file_rank || renumber_pred(b, &g->pred) ||
        adj_invert(&g->pred, g->n, &g->succ) || find_ends(g, b->rank)) {
        free(scripts);
        return err_nomem(err);
    }
    for (size_t k = 0; k < b->n; k++) {
        scripts[k] = b->s[b->order[k]];
        g->file_rank[k] = b->order[k];
    }
    for (size_t slot = 0; slot <= b->mask; slot++)
        if (b->slots[slot])
            b->slots[slot] = b->rank[b->slots[slot] - 1] + 1;
    branch_table_renumber(b->labels, b->rank);
    g->labels = b->labels;
    b->labels = NULL;
    g->scripts = scripts;
    g->slots = b->slots;
    g->mask = b->mask;
    b->slots = NULL;
    free(b->s);
    b->s = NULL;
    return UM_OK;
}

static void build_free(build *b)
{
    script_free_array(b->s, b->n);
    free(b->slots);
    free(b->pred.off);
    free(b->succ.off);
    free(b->order);
    free(b->rank);
    branch_table_free(b->labels);
}

int graph_build(graph_dag **out, script_file **scripts, size_t n, err_buf *err)
{
    build b = { .s = scripts, .n = n };
    graph_dag *g = calloc(1, sizeof(*g));
    int rc;

    *out = NULL;
    if (!g) {
        rc = err_nomem(err);
        goto done;
    }
    if (!sorted_by_file(scripts, n))
        qsort(scripts, n, sizeof(*scripts), cmp_by_file);
    rc = map_build(&b, err);
    if (!rc)
        rc = branch_table_build(&b.labels, b.s, b.n, find_position, &b, err);
    if (!rc)
        rc = resolve_edges(&b, err);
    if (!rc)
        rc = topo_sort(&b, err);
    if (!rc)
        rc = alembic_order(&b, err);
    if (!rc)
        rc = assemble(&b, g, err);
    if (!rc)
        rc = branch_table_finish(g->labels, g, err);
done:
    build_free(&b);
    if (rc) {
        graph_free(g);
        return rc;
    }
    *out = g;
    return UM_OK;
}

void graph_free(graph_dag *g)
{
    if (!g)
        return;
    script_free_array(g->scripts, g->n);
    free(g->slots);
    free(g->pred.off);
    free(g->succ.off);
    free(g->heads);
    free(g->file_rank);
    branch_table_free(g->labels);
    free(g);
}

/* ---- accessors ---------------------------------------------------------- */

size_t graph_count(const graph_dag *g)
{
    return g ? g->n : 0;
}

const script_file *graph_script(const graph_dag *g, size_t i)
{
    return i < graph_count(g) ? g->scripts[i] : NULL;
}

long graph_find(const graph_dag *g, const char *id)
{
    if (!g || !id)
        return -1;
    return map_find(g->slots, g->mask, g->scripts, id);
}

static const size_t *node_list(const graph_dag *g, const adj *a, size_t i, bool first, size_t *n)
{
    *n = 0;
    return i < g->n ? adj_list(a, i, first, n) : NULL;
}

const size_t *graph_parents(const graph_dag *g, size_t i, size_t *n)
{
    return node_list(g, &g->pred, i, true, n);
}

const size_t *graph_depends(const graph_dag *g, size_t i, size_t *n)
{
    return node_list(g, &g->pred, i, false, n);
}

const size_t *graph_children(const graph_dag *g, size_t i, size_t *n)
{
    return node_list(g, &g->succ, i, true, n);
}

const size_t *graph_dependents(const graph_dag *g, size_t i, size_t *n)
{
    return node_list(g, &g->succ, i, false, n);
}

const branch_table *graph_labels(const graph_dag *g)
{
    return g ? g->labels : NULL;
}

const size_t *graph_heads(const graph_dag *g, size_t *n)
{
    *n = g->n_heads;
    return g->heads;
}

const size_t *graph_bases(const graph_dag *g, size_t *n)
{
    *n = g->n_bases;
    return g->bases;
}

const size_t *graph_real_heads(const graph_dag *g, size_t *n)
{
    *n = g->n_real_heads;
    return g->real_heads;
}

size_t graph_file_rank(const graph_dag *g, size_t i)
{
    return g->file_rank[i];
}

int graph_sort_by_file(const graph_dag *g, size_t *v, size_t n)
{
    order_graph og = { g->n, g->pred.off, g->pred.nfirst, g->pred.idx, g->file_rank };
    return order_by_file(&og, v, n);
}

int graph_order(const graph_dag *g, const unsigned char *set, const size_t *heads, size_t n_heads,
                size_t *out, size_t *n_out, err_buf *err)
{
    order_graph og = { g->n, g->pred.off, g->pred.nfirst, g->pred.idx, g->file_rank };
    return order_walk(&og, set, heads, n_heads, out, n_out, err);
}

/* ---- walks -------------------------------------------------------------- */

/*
 * Without memory for a stack, a sweep in topological order still finds
 * every node reachable from @i, since all of them lie on one side of it.
 * Nodes reached in this walk are tagged 2 until the end so that nodes the
 * caller had already set are not expanded, as in the stack walk.
 */
static size_t edges_end(const adj *a, size_t v, bool first_only)
{
    return first_only ? a->off[v] + a->nfirst[v] : a->off[v + 1];
}

static void mark_sweep(const adj *a, size_t n, size_t i, int dir, bool first_only,
                       unsigned char *set)
{
    size_t end = dir > 0 ? n : (size_t)-1;
    set[i] = 2;
    for (size_t v = i; v != end; v += (size_t)dir)
        for (size_t k = a->off[v]; set[v] == 2 && k < edges_end(a, v, first_only); k++)
            if (!set[a->idx[k]])
                set[a->idx[k]] = 2;
    for (size_t v = i; v != end; v += (size_t)dir)
        if (set[v] == 2)
            set[v] = 1;
}

/*
 * Marks @i and everything reachable from it along @a.  @set is the visited
 * set: a node is pushed once, when it is first marked, so the stack never
 * holds more than n entries.  @dir: the side of @i the nodes lie on.
 */
static void mark_reachable(const graph_dag *g, const adj *a, size_t i, int dir, bool first_only,
                           unsigned char *set)
{
    if (i >= g->n)
        return;
    size_t *stack = malloc(g->n * sizeof(*stack)), top = 0;
    if (!stack) {
        mark_sweep(a, g->n, i, dir, first_only, set);
        return;
    }
    set[i] = 1;
    stack[top++] = i;
    while (top) {
        size_t v = stack[--top];
        for (size_t k = a->off[v]; k < edges_end(a, v, first_only); k++)
            if (!set[a->idx[k]]) {
                set[a->idx[k]] = 1;
                stack[top++] = a->idx[k];
            }
    }
    free(stack);
}

void graph_mark_ancestors(const graph_dag *g, size_t i, unsigned char *set)
{
    mark_reachable(g, &g->pred, i, -1, false, set);
}

void graph_mark_descendants(const graph_dag *g, size_t i, unsigned char *set)
{
    mark_reachable(g, &g->succ, i, 1, false, set);
}

void graph_mark_parent_line(const graph_dag *g, size_t i, int dir, unsigned char *set)
{
    mark_reachable(g, dir > 0 ? &g->succ : &g->pred, i, dir > 0 ? 1 : -1, true, set);
}

static bool is_applied_head(const graph_dag *g, const unsigned char *applied, size_t i)
{
    size_t n;
    const size_t *kids = adj_list(&g->succ, i, true, &n);
    if (!applied[i])
        return false;
    for (size_t k = 0; k < n; k++)
        if (applied[kids[k]])
            return false;
    return true;
}

int graph_heads_of(const graph_dag *g, const unsigned char *applied, size_t **out, size_t *n)
{
    size_t count = 0;
    for (size_t i = 0; i < g->n; i++)
        count += is_applied_head(g, applied, i);
    *n = 0;
    *out = util_calloc(count, sizeof(**out));
    if (!*out)
        return UM_ENOMEM;
    for (size_t i = 0; i < g->n; i++)
        if (is_applied_head(g, applied, i))
            (*out)[(*n)++] = i;
    return UM_OK;
}

/* None of @list (@n of them) is in @set. */
static bool none_in(const size_t *list, size_t n, const unsigned char *set)
{
    for (size_t k = 0; k < n; k++)
        if (set[list[k]])
            return false;
    return true;
}

int graph_real_heads_of(const graph_dag *g, const unsigned char *applied, size_t **out, size_t *n)
{
    *n = 0;
    *out = util_calloc(g->n, sizeof(**out));
    if (!*out)
        return UM_ENOMEM;
    /* children and dependents are one list */
    for (size_t i = 0; i < g->n; i++)
        if (applied[i] &&
            none_in(g->succ.idx + g->succ.off[i], g->succ.off[i + 1] - g->succ.off[i], applied))
            (*out)[(*n)++] = i;
    return UM_OK;
}

/* ---- lookup ------------------------------------------------------------- */

/* Whether @ref (@len bytes) is a partial id of @id.  As in Alembic, ids
 * of three characters or fewer are matched whole only. */
static bool is_prefix_of(const char *id, const char *ref, size_t len)
{
    return strlen(id) > 3 && strncmp(id, ref, len) == 0;
}

static size_t prefix_matches(const graph_dag *g, const char *ref, size_t *first)
{
    size_t len = strlen(ref), count = 0;
    for (size_t i = 0; i < g->n; i++)
        if (is_prefix_of(g->scripts[i]->id, ref, len) && count++ == 0)
            *first = i;
    return count;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int report_ambiguous(const graph_dag *g, const char *ref, size_t count, err_buf *err)
{
    const char **ids = util_calloc(count, sizeof(*ids));
    strbuf sb = STRBUF_INIT;
    size_t len = strlen(ref), n = 0;
    int rc;

    if (!ids)
        return err_nomem(err);
    for (size_t i = 0; i < g->n; i++)
        if (is_prefix_of(g->scripts[i]->id, ref, len))
            ids[n++] = g->scripts[i]->id;
    qsort(ids, n, sizeof(*ids), cmp_str);
    for (size_t k = 0; k < n; k++)
        sb_printf(&sb, "%s%s", k ? ", " : "", ids[k]);
    rc = sb_failed(&sb) ? err_nomem(err)
                        : err_set(err, UM_ETARGET, NULL, 0, NULL,
                                  "revision prefix '%s' is ambiguous: %s", ref, sb_str(&sb));
    sb_free(&sb);
    free(ids);
    return rc;
}

int graph_lookup(const graph_dag *g, const char *ref, size_t *out, err_buf *err)
{
    size_t first = 0, count;
    long exact;

    if (!ref || !*ref)
        return err_set(err, UM_ETARGET, NULL, 0, NULL, "empty revision reference");
    exact = graph_find(g, ref);
    if (exact < 0)
        exact = branch_table_find(g->labels, ref);
    if (exact >= 0) {
        *out = (size_t)exact;
        return UM_OK;
    }
    count = prefix_matches(g, ref, &first);
    if (count == 1) {
        *out = first;
        return UM_OK;
    }
    if (count == 0)
        return err_set(err, UM_ETARGET, NULL, 0, NULL, "no revision '%s'%s", ref,
                       strlen(ref) < 4 ? " (a partial revision id needs at least four characters)"
                                       : "");
    return report_ambiguous(g, ref, count, err);
}

/* ---- targets ------------------------------------------------------------ */

/* A target position: a revision index, or -1 for the empty state (base). */
#define AT_BASE GRAPH_AT_BASE

void graph_target_free(graph_target *t)
{
    if (!t)
        return;
    free(t->revs);
    free(t->roots);
    *t = (graph_target){ NULL, 0, NULL, 0 };
}

int graph_target_set(graph_target *t, const size_t *revs, size_t n, err_buf *err)
{
    t->n = 0;
    t->revs = NULL;
    if (!n)
        return UM_OK;
    t->revs = malloc(n * sizeof(*t->revs));
    if (!t->revs)
        return err_nomem(err);
    memcpy(t->revs, revs, n * sizeof(*revs));
    t->n = n;
    return UM_OK;
}

static int target_at(graph_target *t, long at, err_buf *err)
{
    size_t i = (size_t)at;
    return graph_target_set(t, &i, at == AT_BASE ? 0 : 1, err);
}

int graph_err_naming(err_buf *err, const graph_dag *g, const char *id, const char *what,
                     const size_t *idx, size_t n, const char *after)
{
    strbuf sb = STRBUF_INIT;
    if (id)
        sb_printf(&sb, "revision %s has ", id);
    sb_printf(&sb, "%s (", what);
    sb_put_ids(&sb, g, idx, n);
    sb_printf(&sb, ")%s", after);
    int rc = sb_failed(&sb) ? err_nomem(err)
                            : err_set(err, UM_ETARGET, NULL, 0, NULL, "%s", sb_str(&sb));
    sb_free(&sb);
    return rc;
}

/* "head", "heads" (when there is one), "base" (before the first revision,
 * for "base+N") or an id or prefix. */
static int resolve_ref(const graph_dag *g, const char *ref, long *at, err_buf *err)
{
    bool head = strcmp(ref, "head") == 0;
    size_t i;
    int rc;

    if (strcmp(ref, "base") == 0) {
        *at = AT_BASE;
        return UM_OK;
    }
    if (head || strcmp(ref, "heads") == 0) {
        if (g->n_heads > 1)
            return graph_err_naming(err, g, NULL, "several heads", g->heads, g->n_heads,
                                    head ? ": name one, or use 'heads'" : ": name one");
        *at = g->n_heads ? (long)g->heads[0] : AT_BASE;
        return UM_OK;
    }
    rc = graph_lookup(g, ref, &i, err);
    if (!rc)
        *at = (long)i;
    return rc;
}

/* The one revision "+N" / "-N" start from: the database's only head. */
static int only_current(const graph_dag *g, const size_t *current, size_t n, long *at, err_buf *err)
{
    for (size_t k = 0; k < n; k++)
        if (current[k] >= g->n)
            return err_set(err, UM_EINVAL, NULL, 0, NULL, "current head %zu is not in the graph",
                           current[k]);
    if (n > 1)
        return graph_err_naming(err, g, NULL, "several current heads", current, n,
                                ": name the revision to start from, as REV+N or REV-N");
    *at = n ? (long)current[0] : AT_BASE;
    return UM_OK;
}

static int step_error(const graph_dag *g, long at, int sign, const size_t *next, size_t n,
                      err_buf *err)
{
    const char *id = at == AT_BASE ? NULL : g->scripts[at]->id;

    if (n == 0 && !id)
        return err_set(err, UM_ETARGET, NULL, 0, NULL, "no revisions to upgrade to");
    if (n == 0)
        return err_set(err, UM_ETARGET, NULL, 0, NULL, "revision %s is a head: nothing above it",
                       id);
    if (!id)
        return graph_err_naming(err, g, NULL, "several bases", next, n, ": name one");
    if (sign < 0)
        return graph_err_naming(err, g, id, "several parents", next, n, ": name one");
    return graph_err_naming(err, g, id, "several children", next, n, ": name one, or use 'heads'");
}

/*
 * "+N": moves @steps times from *at along the only child (from the only
 * base when nothing is applied).  Parent edges only, as for heads.
 */
static int walk_up(const graph_dag *g, long *at, size_t steps, err_buf *err)
{
    for (size_t k = 0; k < steps; k++) {
        size_t n;
        const size_t *next =
            *at == AT_BASE ? graph_bases(g, &n) : adj_list(&g->succ, (size_t)*at, true, &n);
        if (n != 1)
            return step_error(g, *at, 1, next, n, err);
        *at = (long)next[0];
    }
    return UM_OK;
}

/*
 * "-N": moves @steps times along the only parent; one step below a base is
 * the empty state, further is an error (Alembic: "didn't produce N
 * migrations").  The last step may leave a merge revision: the target is
 * then all of its parents, so "-1" from a merge removes just the merge.
 * Alembic stops there with "Ambiguous walk"; stepping back over the merge
 * is what an operator means (a deliberate difference, docs/cli.md).
 */
int graph_walk_down(const graph_dag *g, long at, size_t steps, graph_target *out, err_buf *err)
{
    for (size_t k = 0; k < steps; k++) {
        if (at == AT_BASE)
            return err_set(err, UM_ETARGET, NULL, 0, NULL,
                           "-%zu goes below the base: only %zu revision%s to step"
                           " down through",
                           steps, k, k == 1 ? "" : "s");
        size_t n;
        const size_t *parents = adj_list(&g->pred, (size_t)at, true, &n);
        if (n == 0)
            at = AT_BASE;
        else if (n == 1)
            at = (long)parents[0];
        else if (k + 1 == steps)
            return graph_target_set(out, parents, n, err);
        else
            return step_error(g, at, -1, parents, n, err);
    }
    return target_at(out, at, err);
}

/* A relative target: REV (possibly empty), a sign and a step count. */
typedef struct relative {
    size_t rev_len;
    int sign;
    size_t steps;
} relative;

int graph_parse_relative(const char *t, size_t *rev_len, int *sign, size_t *steps)
{
    size_t len = strlen(t), d = len;
    while (d > 0 && t[d - 1] >= '0' && t[d - 1] <= '9')
        d--;
    if (d == len || d == 0 || (t[d - 1] != '+' && t[d - 1] != '-'))
        return 0;
    *rev_len = d - 1;
    *sign = t[d - 1] == '+' ? 1 : -1;
    *steps = 0;
    for (; d < len; d++) {
        size_t digit = (size_t)(t[d] - '0');
        if (*steps > (SIZE_MAX - digit) / 10)
            return -1;
        *steps = *steps * 10 + digit;
    }
    return 1;
}

static int resolve_relative(const graph_dag *g, const char *t, const relative *rel, int dir,
                            const size_t *current, size_t n_current, graph_target *out,
                            err_buf *err)
{
    long at = AT_BASE;
    int rc;

    if (rel->rev_len == 0) {
        /* a bare "+N" / "-N" moves the database, so it must go @dir's way */
        if (rel->sign != dir)
            return err_set(err, UM_ETARGET, NULL, 0, NULL, "'%s' is not %s target", t,
                           dir == UM_UP ? "an upgrade" : "a downgrade");
        if (rel->steps == 0)
            return err_set(err, UM_ETARGET, NULL, 0, NULL,
                           "'%s': the step count must be at least 1", t);
        rc = only_current(g, current, n_current, &at, err);
    } else {
        char *ref = strndup(t, rel->rev_len);
        if (!ref)
            return err_nomem(err);
        rc = resolve_ref(g, ref, &at, err);
        free(ref);
    }
    if (!rc && rel->sign < 0)
        rc = graph_walk_down(g, at, rel->steps, out, err);
    /* Alembic scopes a bare "-N" to the branch of the head it starts from */
    if (!rc && rel->sign < 0 && rel->rev_len == 0 && at != AT_BASE)
        rc = branch_narrow_down(g, (size_t)at, out, err);
    if (rel->sign < 0)
        return rc;
    if (!rc)
        rc = walk_up(g, &at, rel->steps, err);
    return rc ? rc : target_at(out, at, err);
}

/* graph_parse_relative() of @target, unless it names revisions: ids and
 * labels may contain '-', and one that names revisions is not relative. */
static int relative_form(const graph_dag *g, const char *target, relative *rel)
{
    size_t first;
    if (graph_find(g, target) >= 0 || prefix_matches(g, target, &first) ||
        branch_table_find(g->labels, target) >= 0)
        return 0;
    return graph_parse_relative(target, &rel->rev_len, &rel->sign, &rel->steps);
}

bool graph_target_relative(const graph_dag *g, const char *target)
{
    const char *at = strchr(target, '@');
    relative rel;
    return relative_form(g, at ? at + 1 : target, &rel) != 0;
}

int graph_resolve_target(const graph_dag *g, const char *target, int dir, const size_t *current,
                         size_t n_current, graph_target *out, err_buf *err)
{
    relative rel;
    long at;
    int form, rc;

    *out = (graph_target){ NULL, 0, NULL, 0 };
    if (dir != UM_UP && dir != UM_DOWN)
        return err_set(err, UM_EINVAL, NULL, 0, NULL, "bad direction %d", dir);
    if (!target || !*target)
        return err_set(err, UM_ETARGET, NULL, 0, NULL, "empty target");
    /* a URL typed where a target goes must not be quoted back, password and all */
    if (strstr(target, "://") || strcasestr(target, "password"))
        return err_set(err, UM_ETARGET, NULL, 0, NULL,
                       "the target looks like a connection string (not shown); a target is a"
                       " revision, head, heads, base or a relative step");
    if (strchr(target, '@'))
        return branch_resolve_target(g, target, dir, current, n_current, out, err);
    /* Alembic's "heads" are its real heads: an effective head that another
     * revision depends on comes with it (and is not where its walk starts) */
    if (strcmp(target, "heads") == 0)
        return dir == UM_UP
                   ? graph_target_set(out, g->real_heads, g->n_real_heads, err)
                   : err_set(err, UM_ETARGET, NULL, 0, NULL, "'heads' is not a downgrade target");
    if (strcmp(target, "base") == 0)
        return dir == UM_DOWN ? UM_OK
                              : err_set(err, UM_ETARGET, NULL, 0, NULL,
                                        "'base' is not an upgrade target: nothing to upgrade to");
    form = relative_form(g, target, &rel);
    if (form < 0)
        return err_set(err, UM_ETARGET, NULL, 0, NULL, "step count out of range in '%s'", target);
    if (form > 0)
        return resolve_relative(g, target, &rel, dir, current, n_current, out, err);
    rc = resolve_ref(g, target, &at, err);
    return rc ? rc : target_at(out, at, err);
}
