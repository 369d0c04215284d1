/*
 * fuzz_graph.c - the revision graph built from an input-shaped history.
 *
 * Input layout (every read past the end gives 0):
 *   byte      number of revisions, 0..MAX_REVS
 *   per revision: flags (bits 0-1 parents, 2-3 dependencies, 4-5 id
 *             form), a file-name byte, two id bytes
 *   per edge: a byte choosing the revision named: 0xFF a missing one,
 *             bit 7 any revision (cycles, self references), else an
 *             earlier one
 *   then      how the current heads are chosen, and a raw target string.
 * Scripts are made by hand, as check_graph.c does, so the graph is tested
 * apart from the parser, including on edges the parser would refuse
 * (duplicates).  On success every accessor is checked against the edges
 * given; target resolution must either fail with an error or name
 * revisions of the graph, and the simple forms must give what they mean.
 */
#include "fuzz.h"

#include "graph.h"

#include <stdbool.h>
#include <string.h>

#define MAX_REVS  32
#define MAX_EDGES 3
#define MISSING   (-1)

typedef struct input {
    const uint8_t *p;
    size_t n;
} input;

static uint8_t next(input *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

typedef struct rev {
    char id[24];
    char path[48];
    int parents[MAX_EDGES], deps[MAX_EDGES];
    size_t n_parents, n_deps;
} rev;

typedef struct history {
    rev r[MAX_REVS];
    size_t n;
} history;

/* Ids from a small alphabet, so that prefixes, '-' inside ids ("a-1",
 * which also reads as "a" minus one) and duplicates all happen. */
static void make_id(rev *r, size_t i, unsigned form, uint8_t b1, uint8_t b2)
{
    static const char alpha[] = "ab1-";
    char c1 = alpha[b1 & 3], c2 = alpha[(b1 >> 2) & 3];
    switch (form) {
    case 0:
        snprintf(r->id, sizeof(r->id), "r%zu", i);
        break;
    case 1:
        snprintf(r->id, sizeof(r->id), "%c%c%zu", c1 == '-' ? 'a' : c1, c2, i);
        break;
    case 2:
        snprintf(r->id, sizeof(r->id), "%c%.*s", c1 == '-' ? 'b' : c1, (int)(b2 & 1), &c2);
        break;
    default:
        snprintf(r->id, sizeof(r->id), "r%zu-%u", i, (unsigned)(b2 % 3));
        break;
    }
}

static int pick(input *in, size_t i, size_t n)
{
    uint8_t b = next(in);
    if (b == 0xFF)
        return MISSING;
    if (b & 0x80)
        return (int)((b & 0x7F) % n);
    return i ? (int)(b % i) : MISSING;
}

static void read_history(input *in, history *h)
{
    uint8_t flags[MAX_REVS];
    h->n = next(in) % (MAX_REVS + 1);
    for (size_t i = 0; i < h->n; i++) {
        rev *r = &h->r[i];
        flags[i] = next(in);
        uint8_t file = next(in), b1 = next(in), b2 = next(in);
        make_id(r, i, (flags[i] >> 4) & 3, b1, b2);
        /* File names decide ties in the order; equal ones happen too. */
        snprintf(r->path, sizeof(r->path), "versions/%02x_%s.sql", (unsigned)(file & 0x1F), r->id);
    }
    for (size_t i = 0; i < h->n; i++) {
        rev *r = &h->r[i];
        r->n_parents = flags[i] & 3;
        r->n_deps = ((flags[i] >> 2) & 3) % MAX_EDGES;
        for (size_t k = 0; k < r->n_parents; k++)
            r->parents[k] = pick(in, i, h->n);
        for (size_t k = 0; k < r->n_deps; k++)
            r->deps[k] = pick(in, i, h->n);
    }
}

static char **id_list(const history *h, const int *idx, size_t n)
{
    char **v = calloc(MAX_EDGES, sizeof(*v));
    FUZZ_CHECK(v != NULL, "out of memory");
    for (size_t k = 0; k < n; k++) {
        v[k] = strdup(idx[k] == MISSING ? "missing" : h->r[idx[k]].id);
        FUZZ_CHECK(v[k] != NULL, "out of memory");
    }
    return v;
}

static void free_ids(char **v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        free(v[k]);
    free(v);
}

static script_file **make_scripts(const history *h)
{
    script_file **s = calloc(h->n ? h->n : 1, sizeof(*s));
    FUZZ_CHECK(s != NULL, "out of memory");
    for (size_t i = 0; i < h->n; i++) {
        const rev *r = &h->r[i];
        char message[] = "";
        script_file f = { .path = (char *)r->path,
                          .id = (char *)r->id,
                          .message = message,
                          .parents = id_list(h, r->parents, r->n_parents),
                          .n_parents = r->n_parents,
                          .depends_on = id_list(h, r->deps, r->n_deps),
                          .n_depends_on = r->n_deps,
                          .transactional = true };
        s[i] = script_pack(&f); /* as the parser makes a header */
        FUZZ_CHECK(s[i] != NULL, "out of memory");
        free_ids(f.parents, f.n_parents);
        free_ids(f.depends_on, f.n_depends_on);
    }
    return s;
}

/* ---- invariants of a built graph ---------------------------------------- */

static bool in_list(char **ids, size_t n, const char *id)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(ids[k], id) == 0)
            return true;
    return false;
}

static size_t distinct(char **ids, size_t n, char **except, size_t n_except)
{
    size_t count = 0;
    for (size_t k = 0; k < n; k++)
        count += !in_list(ids, k, ids[k]) && !in_list(except, n_except, ids[k]);
    return count;
}

static bool has(const size_t *v, size_t n, size_t x)
{
    for (size_t k = 0; k < n; k++)
        if (v[k] == x)
            return true;
    return false;
}

static void check_edges(const graph_dag *g, size_t i)
{
    const script_file *s = graph_script(g, i);
    size_t np, nd, nc;
    const size_t *p = graph_parents(g, i, &np), *d = graph_depends(g, i, &nd);
    const size_t *c = graph_children(g, i, &nc);

    FUZZ_CHECK(s && graph_find(g, s->id) == (long)i, "graph_find(%s) != %zu", s->id, i);
    FUZZ_CHECK(np == distinct(s->parents, s->n_parents, NULL, 0), "%s: parent count", s->id);
    FUZZ_CHECK(nd == distinct(s->depends_on, s->n_depends_on, s->parents, s->n_parents),
               "%s: dependency count", s->id);
    for (size_t k = 0; k < np; k++) {
        FUZZ_CHECK(p[k] < i, "%s: parent %zu not before it", s->id, p[k]);
        FUZZ_CHECK(in_list(s->parents, s->n_parents, graph_script(g, p[k])->id),
                   "%s: parent %zu not in Revises", s->id, p[k]);
        size_t npc;
        const size_t *pc = graph_children(g, p[k], &npc);
        FUZZ_CHECK(has(pc, npc, i), "%s: not a child of its parent", s->id);
    }
    for (size_t k = 0; k < nd; k++) {
        FUZZ_CHECK(d[k] < i, "%s: dependency %zu not before it", s->id, d[k]);
        FUZZ_CHECK(in_list(s->depends_on, s->n_depends_on, graph_script(g, d[k])->id),
                   "%s: dependency %zu not in Depends On", s->id, d[k]);
    }
    for (size_t k = 0; k < nc; k++) {
        size_t ncp;
        const size_t *cp = graph_parents(g, c[k], &ncp);
        FUZZ_CHECK(c[k] > i && has(cp, ncp, i), "%s: child %zu without it as parent", s->id, c[k]);
        FUZZ_CHECK(k == 0 || c[k - 1] < c[k], "%s: children not ascending", s->id);
    }
}

/* Heads and bases come in file-name order (Alembic's revision map). */
static void check_ends(const graph_dag *g)
{
    size_t n = graph_count(g), nh, nb, nr, nho, want_h = 0, want_b = 0, want_r = 0, *ho;
    const size_t *heads = graph_heads(g, &nh), *bases = graph_bases(g, &nb),
                 *real = graph_real_heads(g, &nr);
    unsigned char *all = malloc(n ? n : 1);
    size_t *by_file = malloc((n ? n : 1) * sizeof(*by_file));
    FUZZ_CHECK(all != NULL && by_file != NULL, "out of memory");

    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(graph_file_rank(g, i) < n, "file rank of %zu out of range", i);
        by_file[graph_file_rank(g, i)] = i;
    }
    for (size_t r = 0; r < n; r++) {
        size_t i = by_file[r], nc, np, nd;
        graph_children(g, i, &nc);
        graph_parents(g, i, &np);
        graph_dependents(g, i, &nd);
        if (!nc)
            FUZZ_CHECK(want_h < nh && heads[want_h++] == i, "head %zu missing", i);
        if (!np)
            FUZZ_CHECK(want_b < nb && bases[want_b++] == i, "base %zu missing", i);
        if (!nc && !nd)
            FUZZ_CHECK(want_r < nr && real[want_r++] == i, "real head %zu missing", i);
    }
    FUZZ_CHECK(want_h == nh && want_b == nb && want_r == nr, "extra heads or bases");

    memset(all, 1, n);
    FUZZ_CHECK(graph_heads_of(g, all, &ho, &nho) == 0, "graph_heads_of failed");
    FUZZ_CHECK(nho == nh, "graph_heads_of(all) != graph_heads");
    for (size_t k = 0; k < nho; k++)
        FUZZ_CHECK(has(heads, nh, ho[k]), "graph_heads_of(all): %zu is no head", ho[k]);
    free(ho);
    memset(all, 0, n);
    FUZZ_CHECK(graph_heads_of(g, all, &ho, &nho) == 0 && nho == 0,
               "graph_heads_of(none) not empty");
    free(ho);
    free(all);
    free(by_file);
}

/*
 * Alembic's walk: over the whole graph from the real heads it is the index
 * order reversed; over what an upgrade from @applied to "heads" needs it
 * gives each revision of the set once, every revision after all of the
 * set that stand on it (newest first).
 */
static void check_order(const graph_dag *g, size_t from)
{
    size_t n = graph_count(g), nr, n_out = 0;
    const size_t *real = graph_real_heads(g, &nr);
    unsigned char *set = malloc(n ? n : 1), *seen = calloc(n ? n : 1, 1);
    size_t *out = malloc((n ? n : 1) * sizeof(*out));
    err_buf err = { 0 };
    FUZZ_CHECK(set && seen && out, "out of memory");

    memset(set, 1, n);
    FUZZ_CHECK(graph_order(g, set, real, nr, out, &n_out, &err) == 0 && n_out == n,
               "graph_order(all)");
    for (size_t k = 0; k < n; k++)
        FUZZ_CHECK(out[k] == n - 1 - k, "graph_order(all): %zu at %zu", out[k], k);
    if (n) {
        memset(set, 0, n);
        graph_mark_ancestors(g, from % n, set);
        for (size_t i = 0; i < n; i++)
            set[i] = !set[i];
        FUZZ_CHECK(graph_order(g, set, real, nr, out, &n_out, &err) == 0, "graph_order");
        for (size_t k = 0; k < n_out; k++) {
            size_t np, nd;
            const size_t *p = graph_parents(g, out[k], &np), *d = graph_depends(g, out[k], &nd);
            FUZZ_CHECK(set[out[k]] && !seen[out[k]], "graph_order: %zu not in the set", out[k]);
            seen[out[k]] = 1;
            for (size_t j = 0; j < np; j++)
                FUZZ_CHECK(!seen[p[j]], "graph_order: %zu before its child", p[j]);
            for (size_t j = 0; j < nd; j++)
                FUZZ_CHECK(!seen[d[j]], "graph_order: %zu before its dependent", d[j]);
        }
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(seen[i] == set[i], "graph_order: %zu missing", i);
    }
    free(set);
    free(seen);
    free(out);
}

/* True when j needs p directly (parent or dependency). */
static bool needs(const graph_dag *g, size_t j, size_t p)
{
    size_t np, nd;
    const size_t *pp = graph_parents(g, j, &np), *dd = graph_depends(g, j, &nd);
    return has(pp, np, p) || has(dd, nd, p);
}

/* Ancestor and descendant marks against a plain sweep in index order. */
static void check_marks(const graph_dag *g, size_t i)
{
    size_t n = graph_count(g);
    unsigned char *got = calloc(n, 1), *want = calloc(n, 1);
    FUZZ_CHECK(got && want, "out of memory");

    graph_mark_ancestors(g, i, got);
    want[i] = 1;
    for (size_t j = i + 1; j-- > 0;)
        for (size_t p = 0; want[j] && p < j; p++)
            if (needs(g, j, p))
                want[p] = 1;
    FUZZ_CHECK(memcmp(got, want, n) == 0, "ancestors of %zu", i);

    memset(got, 0, n);
    memset(want, 0, n);
    graph_mark_descendants(g, i, got);
    want[i] = 1;
    for (size_t j = i + 1; j < n; j++)
        for (size_t p = i; !want[j] && p < j; p++)
            if (want[p] && needs(g, j, p))
                want[j] = 1;
    FUZZ_CHECK(memcmp(got, want, n) == 0, "descendants of %zu", i);
    free(got);
    free(want);
}

/* ---- targets ------------------------------------------------------------ */

typedef struct expect {
    bool known; /* the result below is what it must be */
    bool ok;
    size_t revs[MAX_REVS];
    size_t n;
} expect;

static void resolve(const graph_dag *g, const char *target, int dir, const size_t *cur,
                    size_t n_cur, const expect *e)
{
    graph_target t = { (size_t *)&t, 99, NULL, 0 };
    err_buf err = { 0 };
    size_t n = graph_count(g);
    int rc = graph_resolve_target(g, target, dir, cur, n_cur, &t, &err);

    if (rc) {
        FUZZ_CHECK(rc < 0 && err.d.code == rc && err.d.message, "'%s': error not recorded", target);
        FUZZ_CHECK(t.revs == NULL && t.n == 0, "'%s': target set on failure", target);
        FUZZ_CHECK(!e || !e->known || !e->ok, "'%s' (dir %d) failed: %s", target, dir,
                   err.d.message);
    } else {
        FUZZ_CHECK(t.n <= n && (t.n == 0) == (t.revs == NULL), "'%s': bad size", target);
        for (size_t k = 0; k < t.n; k++) {
            FUZZ_CHECK(t.revs[k] < n, "'%s': revision %zu out of range", target, t.revs[k]);
            for (size_t j = 0; j < k; j++)
                FUZZ_CHECK(t.revs[j] != t.revs[k], "'%s': revision twice", target);
        }
        FUZZ_CHECK(!e || !e->known || e->ok, "'%s' (dir %d) should have failed", target, dir);
        if (e && e->known)
            FUZZ_CHECK(t.n == e->n && (!t.n || memcmp(t.revs, e->revs, t.n * sizeof(size_t)) == 0),
                       "'%s' (dir %d): wrong revisions", target, dir);
    }
    graph_target_free(&t);
    err_clear(&err);
}

static void both_ways(const graph_dag *g, const char *target, const size_t *cur, size_t n_cur)
{
    resolve(g, target, UM_UP, cur, n_cur, NULL);
    resolve(g, target, UM_DOWN, cur, n_cur, NULL);
}

static bool id_has_prefix(const graph_dag *g, const char *prefix)
{
    for (size_t i = 0; i < graph_count(g); i++)
        if (strncmp(graph_script(g, i)->id, prefix, strlen(prefix)) == 0)
            return true;
    return false;
}

/* REV, REV-1 and REV+1 of revision @i, whose results are known. */
static void rev_targets(const graph_dag *g, size_t i, const size_t *cur, size_t n_cur)
{
    const char *id = graph_script(g, i)->id;
    char t[48];
    expect e = { .known = true, .ok = true, .revs = { i }, .n = 1 };
    size_t np, nc;
    const size_t *p = graph_parents(g, i, &np), *c = graph_children(g, i, &nc);

    if (strcmp(id, "head") && strcmp(id, "heads") && strcmp(id, "base")) {
        resolve(g, id, UM_UP, cur, n_cur, &e);
        resolve(g, id, UM_DOWN, cur, n_cur, &e);
    }
    snprintf(t, sizeof(t), "%s-1", id);
    if (!id_has_prefix(g, t)) {
        /* One step down: the only parent, all parents of a merge, or base. */
        e.n = np;
        memcpy(e.revs, p, np * sizeof(*p));
        resolve(g, t, UM_DOWN, cur, n_cur, &e);
    }
    snprintf(t, sizeof(t), "%s+1", id);
    if (!id_has_prefix(g, t)) {
        e.ok = nc == 1;
        e.n = 1;
        e.revs[0] = nc == 1 ? c[0] : 0;
        resolve(g, t, UM_UP, cur, n_cur, &e);
    }
    /* A unique or ambiguous prefix. */
    snprintf(t, sizeof(t), "%.*s", (int)(strlen(id) + 1) / 2, id);
    both_ways(g, t, cur, n_cur);
}

/* The database's heads: none, the heads of an ancestor-closed set, or
 * raw indices (possibly several, possibly out of range). */
static size_t current_heads(const graph_dag *g, input *in, size_t *cur)
{
    size_t n = graph_count(g), n_cur = 0;
    uint8_t mode = next(in);

    if (!n || mode % 3 == 0)
        return 0;
    if (mode % 3 == 1) {
        unsigned char *applied = calloc(n, 1);
        size_t *heads;
        FUZZ_CHECK(applied != NULL, "out of memory");
        for (unsigned k = 0; k < 1u + (mode >> 6); k++)
            graph_mark_ancestors(g, next(in) % n, applied);
        FUZZ_CHECK(graph_heads_of(g, applied, &heads, &n_cur) == 0, "graph_heads_of");
        FUZZ_CHECK(n_cur >= 1 && n_cur <= n, "no heads of a non-empty set");
        memcpy(cur, heads, n_cur * sizeof(*cur));
        free(heads);
        free(applied);
        return n_cur;
    }
    n_cur = 1 + (mode >> 6) % 3;
    for (size_t k = 0; k < n_cur; k++)
        cur[k] = next(in) % (n + 2);
    return n_cur;
}

static void check_targets(const graph_dag *g, input *in)
{
    static const char *const fixed[] = {
        "head",    "-1",      "+1",     "+2", "-2", "head-1",
        "heads+0", "heads-1", "base+1", "-0", "+0", "head+99999999999999999999999",
    };
    size_t cur[MAX_REVS], n_cur = current_heads(g, in, cur), n = graph_count(g), nh;
    const size_t *heads = graph_real_heads(g, &nh);
    expect e = { .known = true, .ok = true, .n = nh };

    memcpy(e.revs, heads, nh * sizeof(*heads));
    resolve(g, "heads", UM_UP, cur, n_cur, &e);
    e.n = 0;
    resolve(g, "base", UM_DOWN, cur, n_cur, &e);
    e.ok = false;
    resolve(g, "heads", UM_DOWN, cur, n_cur, &e);
    resolve(g, "base", UM_UP, cur, n_cur, &e);
    for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
        both_ways(g, fixed[k], cur, n_cur);
    for (size_t k = 0; n && k < 3; k++)
        rev_targets(g, next(in) % n, cur, n_cur);

    char raw[24];
    size_t len = 0;
    while (len < sizeof(raw) - 1 && in->n)
        raw[len++] = (char)next(in);
    raw[len] = '\0';
    both_ways(g, raw, cur, n_cur);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input in = { data, size };
    history h;
    graph_dag *g = NULL;
    err_buf err = { 0 };

    read_history(&in, &h);
    int rc = graph_build(&g, make_scripts(&h), h.n, &err);
    if (rc) {
        FUZZ_CHECK(g == NULL, "*out not NULL on failure");
        FUZZ_CHECK(rc == UM_EGRAPH || rc == UM_ENOMEM, "unexpected code %d", rc);
        FUZZ_CHECK(err.d.code == rc && err.d.message, "error not recorded");
    } else {
        FUZZ_CHECK(g != NULL && graph_count(g) == h.n, "graph size");
        for (size_t i = 0; i < h.n; i++)
            check_edges(g, i);
        check_ends(g);
        check_order(g, in.n ? in.p[0] : 0);
        for (size_t i = 0; i < h.n; i++)
            check_marks(g, i);
        check_targets(g, &in);
        graph_free(g);
    }
    err_clear(&err);
    return 0;
}
