/*
 * check_graph.c - the revision graph: order, heads and bases, ancestry,
 * lookup, target resolution, branch labels and the errors of a bad graph.
 *
 * Scripts are made by hand (mkscript) so that these tests do not depend on
 * the revision file parser.
 */
#include "pgtest.h"

#include "branch.h"
#include "graph.h"
#include "internal.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One revision: id, "Revises" and "Depends On" as comma-separated ids. */
typedef struct def {
    const char *id, *parents, *depends;
} def;

#define NDEFS(a) (sizeof(a) / sizeof((a)[0]))

static graph_dag *g;
static err_buf err;
static char buf[4096];

/* ---- building ----------------------------------------------------------- */

static char **split_csv(const char *csv, size_t *n)
{
    char **out = calloc(8, sizeof(*out));
    const char *p = csv ? csv : "";
    *n = 0;
    ck_assert_ptr_nonnull(out);
    while (*p) {
        size_t len = strcspn(p, ",");
        ck_assert_uint_lt(*n, 8);
        out[(*n)++] = strndup(p, len);
        p += len + (p[len] == ',');
    }
    return out;
}

static void free_csv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* A header as the parser makes it (script_pack); @path NULL: versions/ID.sql. */
static script_file *mkscript_at(const char *path, const char *id, const char *parents,
                                const char *depends, const char *labels)
{
    char message[] = "";
    script_file f = { .id = (char *)id, .message = message, .transactional = true };
    snprintf(buf, sizeof(buf), "versions/%s.sql", id);
    f.path = path ? (char *)path : buf;
    f.parents = split_csv(parents, &f.n_parents);
    f.depends_on = split_csv(depends, &f.n_depends_on);
    f.branch_labels = split_csv(labels, &f.n_branch_labels);
    script_file *s = script_pack(&f);
    ck_assert_ptr_nonnull(s);
    free_csv(f.parents, f.n_parents);
    free_csv(f.depends_on, f.n_depends_on);
    free_csv(f.branch_labels, f.n_branch_labels);
    return s;
}

static script_file *mkscript(const char *id, const char *parents, const char *depends)
{
    return mkscript_at(NULL, id, parents, depends, NULL);
}

/* A revision with branch labels: def's fields and "Branch Labels". */
typedef struct ldef {
    const char *id, *parents, *depends, *labels;
} ldef;

static script_file **mklabeled(const ldef *d, size_t n)
{
    script_file **s = calloc(n ? n : 1, sizeof(*s));
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < n; i++) {
        s[i] = mkscript_at(NULL, d[i].id, d[i].parents, d[i].depends, d[i].labels);
        s[i]->has_down = true;
    }
    return s;
}

/* The scripts of @d taken in the order @perm gives (NULL: as listed). */
static script_file **mkscripts(const def *d, size_t n, const size_t *perm)
{
    script_file **s = calloc(n ? n : 1, sizeof(*s));
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < n; i++) {
        const def *x = &d[perm ? perm[i] : i];
        s[i] = mkscript(x->id, x->parents, x->depends);
    }
    return s;
}

static graph_dag *build_ok_labeled(const ldef *d, size_t n)
{
    graph_dag *out = NULL;
    int rc = graph_build(&out, mklabeled(d, n), n, &err);
    ck_assert_msg(rc == 0, "graph_build: %s", err.d.message);
    return out;
}

static graph_dag *build_ok(const def *d, size_t n)
{
    graph_dag *out = NULL;
    int rc = graph_build(&out, mkscripts(d, n, NULL), n, &err);
    ck_assert_msg(rc == 0, "graph_build: %s", err.d.message);
    ck_assert_ptr_nonnull(out);
    return out;
}

/* Builds a graph that must fail; returns the code, the error in `err`. */
static int build_fail(const def *d, size_t n)
{
    graph_dag *out = (graph_dag *)&err; /* must be reset to NULL */
    int rc = graph_build(&out, mkscripts(d, n, NULL), n, &err);
    ck_assert_ptr_null(out);
    ck_assert_ptr_nonnull(err.d.message);
    return rc;
}

static void teardown(void)
{
    graph_free(g);
    g = NULL;
    err_clear(&err);
}

/* ---- rendering results as strings -------------------------------------- */

static size_t idx(const char *id)
{
    long i = graph_find(g, id);
    ck_assert_msg(i >= 0, "no revision %s", id);
    return (size_t)i;
}

static const char *ids(const size_t *v, size_t n)
{
    buf[0] = '\0';
    for (size_t k = 0; k < n; k++) {
        if (k)
            strcat(buf, ",");
        strcat(buf, graph_script(g, v[k])->id);
    }
    return buf;
}

static int by_file_rank(const void *a, const void *b)
{
    size_t x = graph_file_rank(g, *(const size_t *)a), y = graph_file_rank(g, *(const size_t *)b);
    return (x > y) - (x < y);
}

/* ids() of a set of revisions, in file-name order (the index order is
 * Alembic's walk, order.h; sets are compared apart from it). */
static const char *sorted_ids(size_t *v, size_t n)
{
    qsort(v, n, sizeof(*v), by_file_rank);
    return ids(v, n);
}

static const char *order(void)
{
    size_t n = graph_count(g);
    size_t *all = malloc((n ? n : 1) * sizeof(*all));
    for (size_t i = 0; i < n; i++)
        all[i] = i;
    ids(all, n);
    free(all);
    return buf;
}

/* A list the graph gives, in file-name order. */
static const char *list_ids(const size_t *v, size_t n)
{
    size_t *copy = malloc((n ? n : 1) * sizeof(*copy));
    memcpy(copy, v, n * sizeof(*v));
    sorted_ids(copy, n);
    free(copy);
    return buf;
}

#define LIST(fn)                                                                                   \
    static const char *fn##_of(const char *id)                                                     \
    {                                                                                              \
        size_t n;                                                                                  \
        const size_t *v = graph_##fn(g, idx(id), &n);                                              \
        return ids(v, n);                                                                          \
    }
LIST(parents)
LIST(depends)

/* Children come in index order: compared in file-name order. */
static const char *children_of(const char *id)
{
    size_t n;
    const size_t *v = graph_children(g, idx(id), &n);
    return list_ids(v, n);
}

static const char *heads(void)
{
    size_t n;
    const size_t *v = graph_heads(g, &n);
    return list_ids(v, n);
}

static const char *bases(void)
{
    size_t n;
    const size_t *v = graph_bases(g, &n);
    return list_ids(v, n);
}

/* The ids set in a byte set, in file-name order. */
static const char *set_ids(const unsigned char *set)
{
    size_t n = 0, *v = malloc((graph_count(g) + 1) * sizeof(*v));
    for (size_t i = 0; i < graph_count(g); i++) {
        ck_assert_uint_le(set[i], 1);
        if (set[i])
            v[n++] = i;
    }
    sorted_ids(v, n);
    free(v);
    return buf;
}

static const char *marked(void (*mark)(const graph_dag *, size_t, unsigned char *), const char *id)
{
    unsigned char *set = calloc(graph_count(g) + 1, 1);
    mark(g, idx(id), set);
    set_ids(set);
    free(set);
    return buf;
}

/* Heads of the applied set named by @csv. */
static const char *heads_of(const char *csv)
{
    size_t n_applied, n, *out = NULL;
    char **applied = split_csv(csv, &n_applied);
    unsigned char *set = calloc(graph_count(g) + 1, 1);
    for (size_t k = 0; k < n_applied; k++) {
        set[idx(applied[k])] = 1;
        free(applied[k]);
    }
    free(applied);
    ck_assert_int_eq(graph_heads_of(g, set, &out, &n), 0);
    ck_assert_ptr_nonnull(out);
    sorted_ids(out, n);
    free(out);
    free(set);
    return buf;
}

/*
 * Resolves @target for @dir with current heads @current_csv: "base", the
 * ids, or "error: MESSAGE" (the code must then be UM_ETARGET).
 */
static const char *resolve(const char *target, int dir, const char *current_csv)
{
    size_t n_cur, cur[8];
    char **current = split_csv(current_csv, &n_cur);
    graph_target t = GRAPH_TARGET_INIT;
    for (size_t k = 0; k < n_cur; k++) {
        cur[k] = idx(current[k]);
        free(current[k]);
    }
    free(current);
    int rc = graph_resolve_target(g, target, dir, cur, n_cur, &t, &err);
    if (rc) {
        ck_assert_int_eq(rc, UM_ETARGET);
        ck_assert_ptr_null(t.revs);
        snprintf(buf, sizeof(buf), "error: %s", err.d.message);
        err_clear(&err);
        return buf;
    }
    if (t.n == 0)
        strcpy(buf, "base");
    else
        sorted_ids(t.revs, t.n);
    graph_target_free(&t);
    return buf;
}

#define UP(t, cur)   resolve((t), UM_UP, (cur))
#define DOWN(t, cur) resolve((t), UM_DOWN, (cur))
#define ck_contains(s, part)                                                                       \
    ck_assert_msg(strstr((s), (part)) != NULL, "'%s' lacks '%s'", (s), (part))

/* ---- the shapes --------------------------------------------------------- */

/* a <- b <- c */
static const def linear[] = { { "a", "", "" }, { "b", "a", "" }, { "c", "b", "" } };
/* a <- b <- {c, x <- y}: b is a branch point, c and y the heads */
static const def branched[] = {
    { "y", "x", "" }, { "x", "b", "" }, { "c", "b", "" }, { "b", "a", "" }, { "a", "", "" },
};
/* a <- {b, c} <- d: d merges b and c */
static const def merged[] = {
    { "d", "b,c", "" },
    { "c", "a", "" },
    { "b", "a", "" },
    { "a", "", "" },
};
/* Two branches, a <- b and p <- q; b depends on q, which moves q before b
 * although "b" sorts first, but leaves both b and q heads. */
static const def depends[] = {
    { "a", "", "" },
    { "b", "a", "q" },
    { "p", "", "" },
    { "q", "p", "" },
};

static void setup_linear(void)
{
    g = build_ok(linear, NDEFS(linear));
}
static void setup_branched(void)
{
    g = build_ok(branched, NDEFS(branched));
}
static void setup_merged(void)
{
    g = build_ok(merged, NDEFS(merged));
}
static void setup_depends(void)
{
    g = build_ok(depends, NDEFS(depends));
}

/* ---- linear ------------------------------------------------------------- */

START_TEST(linear_order)
{
    ck_assert_uint_eq(graph_count(g), 3);
    ck_assert_str_eq(order(), "a,b,c");
    ck_assert_str_eq(graph_script(g, 1)->path, "versions/b.sql");
    ck_assert_ptr_null(graph_script(g, 3));
    ck_assert_int_eq(graph_find(g, "c"), 2);
    ck_assert_int_eq(graph_find(g, "z"), -1);
}
END_TEST

START_TEST(linear_ends)
{
    ck_assert_str_eq(heads(), "c");
    ck_assert_str_eq(bases(), "a");
}
END_TEST

START_TEST(linear_edges)
{
    ck_assert_str_eq(parents_of("b"), "a");
    ck_assert_str_eq(parents_of("a"), "");
    ck_assert_str_eq(children_of("a"), "b");
    ck_assert_str_eq(children_of("c"), "");
    ck_assert_str_eq(depends_of("b"), "");
}
END_TEST

START_TEST(linear_ancestry)
{
    ck_assert_str_eq(marked(graph_mark_ancestors, "b"), "a,b");
    ck_assert_str_eq(marked(graph_mark_ancestors, "a"), "a");
    ck_assert_str_eq(marked(graph_mark_descendants, "b"), "b,c");
    ck_assert_str_eq(marked(graph_mark_descendants, "c"), "c");
}
END_TEST

/* ---- branched ----------------------------------------------------------- */

/* The orders below are Alembic 1.8.1's "upgrade heads" from an empty
 * database (tests/alembic/alembic_steps.py on the same graph). */
START_TEST(branched_shape)
{
    ck_assert_str_eq(order(), "a,b,x,y,c");
    ck_assert_str_eq(heads(), "c,y");
    ck_assert_str_eq(bases(), "a");
    ck_assert_str_eq(children_of("b"), "c,x");
    ck_assert_str_eq(parents_of("y"), "x");
}
END_TEST

START_TEST(branched_ancestry)
{
    ck_assert_str_eq(marked(graph_mark_descendants, "b"), "b,c,x,y");
    ck_assert_str_eq(marked(graph_mark_descendants, "x"), "x,y");
    ck_assert_str_eq(marked(graph_mark_ancestors, "y"), "a,b,x,y");
    ck_assert_str_eq(marked(graph_mark_ancestors, "c"), "a,b,c");
}
END_TEST

/* The set is the visited set: what the caller already marked stays and is
 * not walked again. */
START_TEST(mark_accumulates)
{
    unsigned char set[5] = { 0 };
    graph_mark_ancestors(g, idx("c"), set);
    graph_mark_ancestors(g, idx("y"), set);
    ck_assert_str_eq(set_ids(set), "a,b,c,x,y");
}
END_TEST

/* ---- merged ------------------------------------------------------------- */

START_TEST(merged_shape)
{
    ck_assert_str_eq(order(), "a,c,b,d");
    ck_assert_str_eq(heads(), "d");
    ck_assert_str_eq(bases(), "a");
    ck_assert_str_eq(parents_of("d"), "b,c");
    ck_assert_str_eq(children_of("a"), "b,c");
    ck_assert_str_eq(children_of("c"), "d");
}
END_TEST

START_TEST(merged_ancestry)
{
    ck_assert_str_eq(marked(graph_mark_ancestors, "d"), "a,b,c,d");
    ck_assert_str_eq(marked(graph_mark_ancestors, "c"), "a,c");
    ck_assert_str_eq(marked(graph_mark_descendants, "a"), "a,b,c,d");
    ck_assert_str_eq(marked(graph_mark_descendants, "b"), "b,d");
}
END_TEST

/* ---- depends-on --------------------------------------------------------- */

START_TEST(depends_shape)
{
    ck_assert_str_eq(order(), "p,q,a,b");
    ck_assert_str_eq(heads(), "b,q");
    ck_assert_str_eq(bases(), "a,p");
    ck_assert_str_eq(parents_of("b"), "a");
    ck_assert_str_eq(depends_of("b"), "q");
    ck_assert_str_eq(children_of("q"), "");
}
END_TEST

START_TEST(depends_ancestry)
{
    ck_assert_str_eq(marked(graph_mark_ancestors, "b"), "a,b,p,q");
    ck_assert_str_eq(marked(graph_mark_ancestors, "q"), "p,q");
    ck_assert_str_eq(marked(graph_mark_descendants, "p"), "b,p,q");
    ck_assert_str_eq(marked(graph_mark_descendants, "a"), "a,b");
}
END_TEST

/* ---- graph_heads_of ----------------------------------------------------- */

START_TEST(heads_of_linear)
{
    g = build_ok(linear, NDEFS(linear));
    ck_assert_str_eq(heads_of(""), "");
    ck_assert_str_eq(heads_of("a"), "a");
    ck_assert_str_eq(heads_of("a,b"), "b");
    ck_assert_str_eq(heads_of("a,b,c"), "c");
}
END_TEST

START_TEST(heads_of_branched)
{
    g = build_ok(branched, NDEFS(branched));
    ck_assert_str_eq(heads_of("a,b,c"), "c");
    ck_assert_str_eq(heads_of("a,b,x"), "x");
    ck_assert_str_eq(heads_of("a,b,c,x"), "c,x");
    ck_assert_str_eq(heads_of("a,b,c,x,y"), "c,y");
}
END_TEST

START_TEST(heads_of_merged)
{
    g = build_ok(merged, NDEFS(merged));
    ck_assert_str_eq(heads_of("a,b,c"), "b,c");
    ck_assert_str_eq(heads_of("a,b,c,d"), "d");
}
END_TEST

/* A dependency is not a parent edge: b applied does not hide q. */
START_TEST(heads_of_depends)
{
    g = build_ok(depends, NDEFS(depends));
    ck_assert_str_eq(heads_of("a,p,q,b"), "b,q");
}
END_TEST

/* ---- stable order ------------------------------------------------------- */

START_TEST(stable_under_permutation)
{
    static const def d[] = {
        { "m", "", "" }, { "k", "m", "" },   { "z", "m", "" },
        { "b", "", "" }, { "e", "b,k", "" }, { "c", "z", "b" },
    };
    static const size_t perms[][6] = {
        { 0, 1, 2, 3, 4, 5 },
        { 5, 4, 3, 2, 1, 0 },
        { 3, 0, 5, 1, 4, 2 },
        { 2, 5, 1, 0, 3, 4 },
    };
    for (size_t p = 0; p < NDEFS(perms); p++) {
        int rc = graph_build(&g, mkscripts(d, NDEFS(d), perms[p]), NDEFS(d), &err);
        ck_assert_int_eq(rc, 0);
        ck_assert_str_eq(order(), "b,m,k,e,z,c");
        graph_free(g);
        g = NULL;
    }
}
END_TEST

/* Ties go by file name (the basename), not by id or directory: Alembic
 * walks its heads in file order and applies what it walked last first. */
START_TEST(ties_by_file_name)
{
    script_file **s = malloc(3 * sizeof(*s));
    const char *paths[] = { "z/versions/002_aa.sql", "a/versions/003_mm.sql",
                            "versions/001_zz.sql" };
    s[0] = mkscript_at(paths[0], "aa", "", "", NULL);
    s[1] = mkscript_at(paths[1], "mm", "", "", NULL);
    s[2] = mkscript_at(paths[2], "zz", "", "", NULL);
    ck_assert_int_eq(graph_build(&g, s, 3, &err), 0);
    ck_assert_str_eq(order(), "mm,aa,zz");
    ck_assert_str_eq(graph_script(g, 0)->path, "a/versions/003_mm.sql");
    ck_assert_uint_eq(graph_file_rank(g, 0), 2);
}
END_TEST

/* Many revisions ready at once (one root, 40 children given scrambled):
 * they still come in Alembic's order, the last in file-name order first. */
START_TEST(wide_ready_set)
{
    enum { W = 40 };
    script_file **s = malloc((W + 1) * sizeof(*s));
    char id[16], want[W * 4 + 8] = "root";
    for (size_t i = 0; i < W; i++) {
        snprintf(id, sizeof(id), "c%02zu", (i * 17) % W);
        s[i] = mkscript(id, "root", "");
    }
    s[W] = mkscript("root", "", "");
    for (size_t i = 0; i < W; i++)
        snprintf(want + strlen(want), sizeof(want) - strlen(want), ",c%02zu", W - 1 - i);
    ck_assert_int_eq(graph_build(&g, s, W + 1, &err), 0);
    ck_assert_str_eq(order(), want);
    ck_assert_uint_eq(strlen(children_of("root")), W * 4 - 1);
}
END_TEST

/* A revision named twice in Revises is one edge. */
START_TEST(repeated_parent_tolerated)
{
    static const def d[] = { { "a", "", "" }, { "b", "a,a", "a" } };
    g = build_ok(d, NDEFS(d));
    ck_assert_str_eq(order(), "a,b");
    ck_assert_str_eq(parents_of("b"), "a");
    ck_assert_str_eq(depends_of("b"), "");
    ck_assert_str_eq(children_of("a"), "b");
}
END_TEST

START_TEST(empty_graph)
{
    ck_assert_int_eq(graph_build(&g, NULL, 0, &err), 0);
    ck_assert_uint_eq(graph_count(g), 0);
    ck_assert_str_eq(heads(), "");
    ck_assert_str_eq(UP("heads", ""), "base");
    ck_assert_str_eq(UP("head", ""), "base");
    ck_assert_str_eq(DOWN("base", ""), "base");
    ck_contains(UP("+1", ""), "no revisions");
    ck_contains(UP("x", ""), "no revision 'x'");
    graph_free(NULL);
}
END_TEST

/* ---- lookup ------------------------------------------------------------- */

static const def hexish[] = {
    { "ab12", "", "" },
    { "ab34", "ab12", "" },
    { "cd56", "ab34", "" },
    { "ab3", "cd56", "" },
};

static void setup_hexish(void)
{
    g = build_ok(hexish, NDEFS(hexish));
}

static const char *lookup(const char *ref)
{
    size_t i;
    int rc = graph_lookup(g, ref, &i, &err);
    if (rc) {
        ck_assert_int_eq(rc, UM_ETARGET);
        snprintf(buf, sizeof(buf), "error: %s", err.d.message);
        err_clear(&err);
        return buf;
    }
    return graph_script(g, i)->id;
}

START_TEST(lookup_exact_and_prefix)
{
    ck_assert_str_eq(lookup("cd56"), "cd56");
    ck_assert_str_eq(lookup("c"), "cd56");
    ck_assert_str_eq(lookup("ab1"), "ab12");
    /* an exact id wins over the longer ids it prefixes */
    ck_assert_str_eq(lookup("ab3"), "ab3");
}
END_TEST

START_TEST(lookup_ambiguous_lists_candidates)
{
    /* as in Alembic, ab3 (three characters) is matched whole only */
    ck_assert_str_eq(lookup("ab"), "error: revision prefix 'ab' is ambiguous: ab12, ab34");
}
END_TEST

START_TEST(lookup_unknown_and_empty)
{
    ck_assert_str_eq(lookup("zz"), "error: no revision 'zz' (a partial revision id needs at"
                                   " least four characters)");
    ck_assert_str_eq(lookup("ab3x"), "error: no revision 'ab3x'");
    ck_assert_str_eq(lookup("cd567"), "error: no revision 'cd567'");
    ck_contains(lookup(""), "error: ");
}
END_TEST

/* ---- targets ------------------------------------------------------------ */

START_TEST(target_keywords)
{
    ck_assert_str_eq(UP("head", ""), "c");
    ck_assert_str_eq(UP("heads", "a"), "c");
    ck_assert_str_eq(DOWN("head", "c"), "c");
    ck_assert_str_eq(DOWN("base", "c"), "base");
    ck_contains(UP("base", ""), "nothing to upgrade to");
    ck_contains(DOWN("heads", "c"), "'heads'");
    ck_contains(UP("", ""), "error: ");
}
END_TEST

START_TEST(target_revisions)
{
    ck_assert_str_eq(UP("b", ""), "b");
    ck_assert_str_eq(DOWN("b", "c"), "b");
    ck_assert_str_eq(UP("nope", ""), "error: no revision 'nope'");
}
END_TEST

START_TEST(target_prefixes)
{
    ck_assert_str_eq(UP("cd", ""), "cd56");
    ck_assert_str_eq(DOWN("ab1", "cd56"), "ab12");
    ck_assert_str_eq(UP("ab", ""), "error: revision prefix 'ab' is ambiguous: ab12, ab34");
}
END_TEST

START_TEST(target_plus_n)
{
    ck_assert_str_eq(UP("+1", ""), "a");
    ck_assert_str_eq(UP("+2", ""), "b");
    ck_assert_str_eq(UP("+1", "a"), "b");
    ck_assert_str_eq(UP("+2", "a"), "c");
    ck_assert_str_eq(UP("+1", "c"), "error: revision c is a head: nothing above it");
    ck_contains(UP("+0", ""), "at least 1");
    ck_contains(DOWN("+1", "a"), "not a downgrade target");
}
END_TEST

START_TEST(target_minus_n)
{
    ck_assert_str_eq(DOWN("-1", "c"), "b");
    ck_assert_str_eq(DOWN("-2", "c"), "a");
    ck_assert_str_eq(DOWN("-3", "c"), "base");
    ck_contains(DOWN("-4", "c"), "-4 goes below the base: only 3 revisions");
    ck_contains(DOWN("-9", "c"), "goes below the base");
    ck_contains(DOWN("-1", ""), "-1 goes below the base: only 0 revisions");
    ck_contains(DOWN("-0", "c"), "at least 1");
    ck_contains(UP("-1", "c"), "not an upgrade target");
}
END_TEST

START_TEST(target_rev_relative)
{
    ck_assert_str_eq(UP("a+1", ""), "b");
    ck_assert_str_eq(UP("a+2", "c"), "c");
    ck_assert_str_eq(DOWN("c-1", "c"), "b");
    ck_assert_str_eq(DOWN("b-1", "c"), "a");
    ck_assert_str_eq(DOWN("a-1", "c"), "base");
    ck_assert_str_eq(UP("c-1", ""), "b");    /* names a revision: fine for up */
    ck_assert_str_eq(DOWN("a+1", "c"), "b"); /* and for down */
    ck_assert_str_eq(UP("b+0", ""), "b");
    ck_assert_str_eq(DOWN("head-1", "c"), "b");
    ck_assert_str_eq(DOWN("head-2", "c"), "a");
    ck_assert_str_eq(UP("heads+0", ""), "c");
    ck_assert_str_eq(DOWN("heads-1", "c"), "b");
    ck_contains(UP("b+2", ""), "revision c is a head");
}
END_TEST

/* Alembic's "base+N": N revisions up from the empty state. */
START_TEST(target_base_relative)
{
    ck_assert_str_eq(DOWN("base+1", "c"), "a");
    ck_assert_str_eq(DOWN("base+2", "c"), "b");
    ck_assert_str_eq(UP("base+3", ""), "c");
    ck_assert_str_eq(DOWN("base+0", "c"), "base");
    ck_contains(UP("base+4", ""), "revision c is a head");
    ck_contains(DOWN("base-1", "c"), "goes below the base");
}
END_TEST

START_TEST(target_malformed)
{
    ck_contains(UP("+", ""), "error: ");
    ck_contains(UP("+x", ""), "error: ");
    ck_contains(UP("b+", ""), "error: ");
    ck_contains(DOWN("-", "c"), "error: ");
    ck_contains(DOWN("b--", "c"), "error: ");
    ck_contains(UP("+99999999999999999999999999", ""), "out of range");
    ck_contains(UP("z+1", ""), "no revision 'z'");
}
END_TEST

START_TEST(target_branch_point_plus_one)
{
    ck_assert_str_eq(UP("+1", "b"),
                     "error: revision b has several children (c, x): name one, or use 'heads'");
    ck_assert_str_eq(UP("b+1", ""),
                     "error: revision b has several children (c, x): name one, or use 'heads'");
    ck_assert_str_eq(UP("x+1", ""), "y");
    ck_assert_str_eq(DOWN("y-2", "c,y"), "b");
}
END_TEST

START_TEST(target_several_current_heads)
{
    const char *r = DOWN("-1", "c,y");
    ck_assert_str_eq(r, "error: several current heads (c, y): "
                        "name the revision to start from, as REV+N or REV-N");
    ck_contains(UP("+1", "c,y"), "several current heads (c, y)");
}
END_TEST

START_TEST(target_several_heads)
{
    ck_assert_str_eq(UP("head", ""), "error: several heads (c, y): name one, or use 'heads'");
    ck_assert_str_eq(UP("heads", ""), "c,y");
    ck_contains(DOWN("head-1", "c,y"), "several heads (c, y)");
    ck_contains(DOWN("heads-1", "c,y"), "several heads (c, y)");
}
END_TEST

START_TEST(target_merge_and_bases)
{
    g = build_ok(merged, NDEFS(merged));
    /* "-1" from a merge leaves both of its parents; Alembic stops with
     * "Ambiguous walk" (a deliberate difference, docs/cli.md) */
    ck_assert_str_eq(DOWN("-1", "d"), "b,c");
    ck_assert_str_eq(DOWN("d-1", "d"), "b,c");
    ck_assert_str_eq(DOWN("-2", "d"), "error: revision d has several parents (b, c): name one");
    ck_assert_str_eq(DOWN("b-1", "d"), "a");
    ck_assert_str_eq(UP("+1", "b"), "d");
    graph_free(g);
    g = build_ok(depends, NDEFS(depends));
    ck_assert_str_eq(UP("+1", ""), "error: several bases (a, p): name one");
    /* Alembic's real heads: q comes as what b depends on */
    ck_assert_str_eq(UP("heads", ""), "b");
}
END_TEST

/* Ids may contain '-': a string that names a revision is not relative. */
START_TEST(target_dash_in_id)
{
    static const def d[] = { { "ab", "", "" }, { "ab-12", "ab", "" }, { "cd", "ab-12", "" } };
    g = build_ok(d, NDEFS(d));
    ck_assert_str_eq(UP("ab-12", ""), "ab-12");
    ck_assert_str_eq(DOWN("ab-12", "cd"), "ab-12");
    ck_assert_str_eq(UP("ab-1", ""), "ab-12");     /* a prefix, not ab minus 1 */
    ck_assert_str_eq(DOWN("ab-12-1", "cd"), "ab"); /* the last sign splits */
    ck_assert_str_eq(DOWN("cd-2", "cd"), "ab");
    ck_assert_str_eq(UP("ab-12+1", ""), "cd");
    ck_assert_str_eq(DOWN("-1", "cd"), "ab-12");
}
END_TEST

START_TEST(target_bad_current)
{
    size_t bogus = 99;
    graph_target t;
    ck_assert_int_eq(graph_resolve_target(g, "-1", UM_DOWN, &bogus, 1, &t, &err), UM_EINVAL);
    ck_assert_int_eq(graph_resolve_target(g, "head", 0, NULL, 0, &t, &err), UM_EINVAL);
    ck_assert_ptr_null(t.revs);
}
END_TEST

/* ---- errors ------------------------------------------------------------- */

START_TEST(error_duplicate)
{
    static const def d[] = { { "b", "a", "" }, { "a", "", "" }, { "b", "", "" } };
    script_file **s = mkscripts(d, NDEFS(d), NULL);
    script_free(s[2]);
    s[2] = mkscript_at("versions/zz_b.sql", "b", "", "", NULL);
    g = (graph_dag *)&err;
    ck_assert_int_eq(graph_build(&g, s, NDEFS(d), &err), UM_EGRAPH);
    ck_assert_ptr_null(g);
    ck_assert_str_eq(err.d.file, "versions/zz_b.sql");
    ck_assert_str_eq(err.d.revision, "b");
    ck_contains(err.d.message, "revision b is defined twice: versions/b.sql and "
                               "versions/zz_b.sql");
}
END_TEST

START_TEST(error_missing_parent)
{
    static const def d[] = { { "a", "", "" }, { "b", "a", "" }, { "c", "b,nope", "" } };
    ck_assert_int_eq(build_fail(d, NDEFS(d)), UM_EGRAPH);
    ck_assert_str_eq(err.d.file, "versions/c.sql");
    ck_assert_str_eq(err.d.revision, "c");
    ck_contains(err.d.message, "revision c: revises nope, which no file defines");
}
END_TEST

START_TEST(error_missing_dependency)
{
    static const def d[] = { { "a", "", "" }, { "b", "a", "ghost" } };
    ck_assert_int_eq(build_fail(d, NDEFS(d)), UM_EGRAPH);
    ck_assert_str_eq(err.d.file, "versions/b.sql");
    ck_assert_str_eq(err.d.revision, "b");
    ck_contains(err.d.message, "revision b: depends on ghost, which no file defines");
}
END_TEST

START_TEST(error_cycle_two)
{
    static const def d[] = { { "base", "", "" }, { "a", "b", "" }, { "b", "a", "" } };
    ck_assert_int_eq(build_fail(d, NDEFS(d)), UM_EGRAPH);
    ck_contains(err.d.message, "cycle in the revision graph: a -> b -> a");
    ck_assert_str_eq(err.d.revision, "a");
    ck_assert_str_eq(err.d.file, "versions/a.sql");
}
END_TEST

/* The cycle is found among the unordered nodes, not reported as the tail
 * hanging off it (d). */
START_TEST(error_cycle_three)
{
    static const def d[] = {
        { "a", "c", "" }, { "b", "a", "" }, { "c", "b", "" }, { "d", "c", "" }, { "e", "", "" },
    };
    ck_assert_int_eq(build_fail(d, NDEFS(d)), UM_EGRAPH);
    ck_contains(err.d.message, "cycle in the revision graph: a -> b -> c -> a");
    ck_assert_ptr_nonnull(strstr("abc", err.d.revision));
}
END_TEST

START_TEST(error_cycle_through_dependency)
{
    static const def d[] = { { "a", "", "b" }, { "b", "a", "" } };
    ck_assert_int_eq(build_fail(d, NDEFS(d)), UM_EGRAPH);
    ck_contains(err.d.message, "cycle in the revision graph: a -> b -> a");
}
END_TEST

START_TEST(error_self_cycle)
{
    static const def d[] = { { "a", "a", "" } };
    ck_assert_int_eq(build_fail(d, NDEFS(d)), UM_EGRAPH);
    ck_contains(err.d.message, "a -> a");
}
END_TEST

/*
 * Graph errors point at the header line to fix, in files on disk: @pad
 * empty comment lines after the message, so that the line is not always
 * the same.
 */
static char *write_rev(const char *dir, const char *name, int pad, const char *id,
                       const char *parents, const char *depends)
{
    char text[1024], *path;
    int n = snprintf(text, sizeof(text), "-- message\n");
    for (int k = 0; k < pad; k++)
        n += snprintf(text + n, sizeof(text) - (size_t)n, "--\n");
    snprintf(text + n, sizeof(text) - (size_t)n,
             "-- Revision ID: %s\n-- Revises: %s\n-- Depends On: %s\n\n-- migrate:up\n"
             "SELECT 1;\n",
             id, parents, depends);
    pgtest_write_file(dir, name, text);
    ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
    return path;
}

/* Builds the graph of the files of @d (the i-th padded by i lines)
 * written in a new directory: the error it fails with. */
static int build_files_fail(const def *d, size_t n, char ***paths, char **dir)
{
    script_file **s = calloc(n, sizeof(*s));
    *paths = calloc(n, sizeof(**paths));
    *dir = pgtest_tmpdir();
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < n; i++) {
        snprintf(buf, sizeof(buf), "%zu_%s.sql", i, d[i].id);
        (*paths)[i] = write_rev(*dir, buf, (int)i, d[i].id, d[i].parents, d[i].depends);
        s[i] = mkscript_at((*paths)[i], d[i].id, d[i].parents, d[i].depends, NULL);
    }
    graph_dag *out = NULL;
    int rc = graph_build(&out, s, n, &err);
    ck_assert_ptr_null(out);
    return rc;
}

static void free_files(char **paths, size_t n, char *dir)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    pgtest_rmtree(dir);
    free(dir);
}

START_TEST(error_line_missing_parent)
{
    static const def d[] = { { "a", "", "" }, { "b", "a", "" }, { "c", "b,nope", "" } };
    char **paths, *dir;
    ck_assert_int_eq(build_files_fail(d, NDEFS(d), &paths, &dir), UM_EGRAPH);
    ck_assert_str_eq(err.d.file, paths[2]);
    ck_assert_int_eq(err.d.line, 5); /* message, 2 pads, Revision ID, Revises */
    snprintf(buf, sizeof(buf), "%s:5: revision c: revises nope", paths[2]);
    ck_contains(err.d.message, buf);
    free_files(paths, NDEFS(d), dir);
}
END_TEST

START_TEST(error_line_missing_dependency)
{
    static const def d[] = { { "a", "", "" }, { "b", "a", "ghost" } };
    char **paths, *dir;
    ck_assert_int_eq(build_files_fail(d, NDEFS(d), &paths, &dir), UM_EGRAPH);
    ck_assert_int_eq(err.d.line, 5); /* message, 1 pad, Revision ID, Revises, Depends On */
    snprintf(buf, sizeof(buf), "%s:5: revision b: depends on ghost", paths[1]);
    ck_contains(err.d.message, buf);
    free_files(paths, NDEFS(d), dir);
}
END_TEST

/* Both copies, each at its own "Revision ID:" line. */
START_TEST(error_line_duplicate)
{
    static const def d[] = { { "a", "", "" }, { "b", "a", "" }, { "a", "b", "" } };
    char **paths, *dir;
    ck_assert_int_eq(build_files_fail(d, NDEFS(d), &paths, &dir), UM_EGRAPH);
    ck_assert_str_eq(err.d.file, paths[2]);
    ck_assert_int_eq(err.d.line, 4);
    snprintf(buf, sizeof(buf), "revision a is defined twice: %s:2 and %s:4", paths[0], paths[2]);
    ck_contains(err.d.message, buf);
    free_files(paths, NDEFS(d), dir);
}
END_TEST

/* The line making the reported revision's edge of the cycle: "Revises:"
 * or, when that edge is a dependency, "Depends On:". */
START_TEST(error_line_cycle)
{
    static const def parents[] = { { "a", "b", "" }, { "b", "a", "" } };
    static const def depends[] = { { "a", "", "b" }, { "b", "a", "" } };
    char **paths, *dir;
    ck_assert_int_eq(build_files_fail(parents, NDEFS(parents), &paths, &dir), UM_EGRAPH);
    ck_assert_str_eq(err.d.revision, "a");
    ck_assert_int_eq(err.d.line, 3); /* a's "Revises: b" */
    free_files(paths, NDEFS(parents), dir);

    ck_assert_int_eq(build_files_fail(depends, NDEFS(depends), &paths, &dir), UM_EGRAPH);
    ck_assert_str_eq(err.d.revision, "a");
    ck_assert_int_eq(err.d.line, 4); /* a's "Depends On: b" */
    free_files(paths, NDEFS(depends), dir);
}
END_TEST

/* A file that cannot be read again names no line, and still the file. */
START_TEST(error_line_unknown)
{
    static const def d[] = { { "a", "", "" }, { "b", "nope", "" } };
    ck_assert_int_eq(build_fail(d, NDEFS(d)), UM_EGRAPH);
    ck_assert_int_eq(err.d.line, 0);
    ck_contains(err.d.message, "versions/b.sql: revision b: revises nope");
}
END_TEST

/* ---- scale -------------------------------------------------------------- */

#define SCALE 10000

/* A 10,000-revision chain whose file names sort in reverse, so the order
 * must come from the edges; given to graph_build in a scrambled order. */
START_TEST(scale_linear)
{
    script_file **s = malloc(SCALE * sizeof(*s));
    char id[32], parent[32];
    for (size_t i = 0; i < SCALE; i++) {
        size_t k = (i * 7919) % SCALE; /* 7919 is prime: a permutation */
        snprintf(id, sizeof(id), "r%05zu", k);
        snprintf(parent, sizeof(parent), "r%05zu", k - 1);
        char path[64];
        snprintf(path, sizeof(path), "versions/%05zu_%s.sql", SCALE - k, id);
        s[i] = mkscript_at(path, id, k ? parent : "", "", NULL);
    }
    ck_assert_int_eq(graph_build(&g, s, SCALE, &err), 0);
    ck_assert_uint_eq(graph_count(g), SCALE);
    for (size_t i = 0; i < SCALE; i++) {
        snprintf(id, sizeof(id), "r%05zu", i);
        ck_assert_str_eq(graph_script(g, i)->id, id);
        ck_assert_int_eq(graph_find(g, id), (long)i);
    }
    ck_assert_str_eq(heads(), "r09999");
    ck_assert_str_eq(bases(), "r00000");
    ck_assert_str_eq(UP("heads", ""), "r09999");
    ck_assert_str_eq(DOWN("-9999", "r09999"), "r00000");
    ck_assert_str_eq(DOWN("-10000", "r09999"), "base");

    unsigned char *set = calloc(SCALE, 1);
    graph_mark_ancestors(g, SCALE - 1, set);
    for (size_t i = 0; i < SCALE; i++)
        ck_assert_uint_eq(set[i], 1);
    memset(set, 0, SCALE);
    graph_mark_descendants(g, SCALE / 2, set);
    for (size_t i = 0; i < SCALE; i++)
        ck_assert_uint_eq(set[i], i >= SCALE / 2);
    free(set);
}
END_TEST

/* ---- branch labels -------------------------------------------------------- */

/*
 * The graphs below were given to Alembic 1.8.1
 * (alembic.script.revision.RevisionMap, with Revision(..., branch_labels=))
 * and every expectation is what it answered: the labels each revision
 * carries (Revision.branch_labels, as "heads" and "history" print them) and
 * what iterate_revisions() applies or removes for a target.
 */

/* Labels reach up the descendants and down to the first branch point
 * (children or dependents) or merge, when the descendants are one line. */
static const ldef reach[] = {
    { "r1", "", "", "" },      { "r2", "r1", "", "" },  { "r3", "r2", "", "x" },
    { "r4", "r3", "", "" },    { "s1", "", "", "" },    { "s2", "s1", "", "y" },
    { "s3", "s2", "", "" },    { "s4", "s2", "", "" },  { "u1", "", "", "" },
    { "u2", "u1", "", "z" },   { "v1", "", "", "" },    { "u3", "u2,v1", "", "" },
    { "w1", "", "", "" },      { "w2", "w1", "", "q" }, { "k1", "", "w2", "" },
    { "p1", "", "", "" },      { "p2", "p1", "", "" },  { "p3", "p2", "", "m" },
    { "k2", "", "p1", "" },    { "e1", "", "", "" },    { "e2", "e1", "", "" },
    { "e3", "e2", "", "f,g" }, { "e4", "e3", "", "h" },
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "id=label,label" for every revision, sorted by id, as the oracle prints. */
static const char *members(void)
{
    size_t n = graph_count(g);
    const branch_table *t = graph_labels(g);
    char **lines = calloc(n + 1, sizeof(*lines));
    unsigned char *set = calloc(n + 1, 1);
    for (size_t i = 0; i < n; i++) {
        char line[256];
        snprintf(line, sizeof(line), "%s=", graph_script(g, i)->id);
        for (size_t k = 0, shown = 0; k < branch_count(t); k++) {
            memset(set, 0, n);
            branch_mark_members(g, k, set);
            if (set[i] && shown++)
                strcat(line, ",");
            if (set[i])
                strcat(line, branch_name(t, k));
        }
        if (line[strlen(line) - 1] == '=')
            strcat(line, "-");
        lines[i] = strdup(line);
    }
    qsort(lines, n, sizeof(*lines), cmp_str);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strcat(buf, i ? " " : "");
        strcat(buf, lines[i]);
        free(lines[i]);
    }
    free(lines);
    free(set);
    return buf;
}

START_TEST(label_members_as_alembic)
{
    graph_free(g);
    g = NULL;
    ck_assert_int_eq(graph_build(&g, mklabeled(reach, NDEFS(reach)), NDEFS(reach), &err), 0);
    ck_assert_str_eq(members(), "e1=f,g,h e2=f,g,h e3=f,g,h e4=f,g,h k1=- k2=- p1=- p2=m p3=m"
                                " r1=x r2=x r3=x r4=x s1=- s2=y s3=y s4=y u1=- u2=z u3=z v1=-"
                                " w1=q w2=q");
}
END_TEST

/* t1 <- t2 <- {a1 (audit) <- a2 <- a3, b1 (billing) <- b2}; a second base
 * c1 (cart) <- c2 <- c3, c2 depending on a1. */
static const ldef shop[] = {
    { "t1", "", "", "" },   { "t2", "t1", "", "" },   { "a1", "t2", "", "audit" },
    { "a2", "a1", "", "" }, { "a3", "a2", "", "" },   { "b1", "t2", "", "billing" },
    { "b2", "b1", "", "" }, { "c1", "", "", "cart" }, { "c2", "c1", "a1", "" },
    { "c3", "c2", "", "" },
};

static void setup_shop(void)
{
    ck_assert_int_eq(graph_build(&g, mklabeled(shop, NDEFS(shop)), NDEFS(shop), &err), 0);
}

/*
 * What a plan for @target from the heads @current_csv does, as plan.c
 * builds it on this graph: the revisions applied or removed, sorted, or
 * "error: MESSAGE".  No database: the state is the version rows alone.
 */
static const char *planned(int dir, const char *current_csv, const char *target)
{
    um_ctx ctx = { .graph = g, .versions_dir = "versions" };
    store_state st = { 0 };
    um_plan *plan = NULL;
    char **heads = split_csv(current_csv, &st.n_heads);
    st.heads = (const char **)heads;
    if (plan_build(&ctx, &st, dir, target, &plan)) {
        snprintf(buf, sizeof(buf), "error: %s", ctx.err.d.message);
    } else {
        const char *v[64];
        for (size_t i = 0; i < plan->n_steps; i++)
            v[i] = plan->steps[i].revision;
        qsort(v, plan->n_steps, sizeof(*v), cmp_str);
        buf[0] = '\0';
        for (size_t i = 0; i < plan->n_steps; i++) {
            strcat(buf, i ? "," : "");
            strcat(buf, v[i]);
        }
    }
    plan_free(plan);
    for (size_t i = 0; i < st.n_heads; i++)
        free(heads[i]);
    free(heads);
    err_clear(&ctx.err);
    return buf;
}

typedef struct plan_case {
    int dir;
    const char *current, *target;
    const char *expect; /* Alembic's answer; "error: " a part of ours */
} plan_case;

#define ALL "a3,b2,c3"

static const plan_case shop_cases[] = {
    { UM_UP, "", "audit", "a1,t1,t2" },
    { UM_UP, "", "audit@head", "a1,a2,a3,t1,t2" },
    { UM_UP, "", "billing@heads", "b1,b2,t1,t2" },
    { UM_UP, "", "t2@heads", "a1,a2,a3,b1,b2,t1,t2" },
    { UM_UP, "", "cart@head", "a1,c1,c2,c3,t1,t2" },
    { UM_UP, "", "audit@+1", "t1" },
    { UM_UP, "", "audit@+2", "t1,t2" },
    { UM_UP, "", "cart@+2", "a1,c1,c2,t1,t2" },
    { UM_UP, "a1", "audit@+1", "a2" },
    { UM_UP, "a2,b1", "billing@+1", "b2" },
    { UM_UP, "a2,b1", "audit@+1", "a3" },
    { UM_UP, "b2", "audit@+3", "a1,a2,a3" },
    { UM_UP, "a3", "billing@+1", "b1" },
    { UM_UP, "", "audit@a2", "a1,a2,t1,t2" },
    { UM_UP, "", "audit@b1", "error: revision b1 is not a member of branch 'audit'" },
    { UM_UP, "", "audit@a1+1", "a1,a2,t1,t2" },
    { UM_UP, "", "billing@t1+2", "b1,t1,t2" },
    { UM_UP, "", "audit@a3-2", "a1,t1,t2" },
    { UM_UP, "", "audit@b2-1", "error: revision b2 is not a member of branch 'audit'" },
    { UM_UP, "", "audit-1", "t1,t2" },
    { UM_UP, "", "audit+1", "a1,a2,t1,t2" },
    { UM_UP, "", "audit@-1", "error: 'audit@-1': not an upgrade target" },
    { UM_UP, "", "audit@nosuch", "error: no revision 'nosuch' on branch 'audit'" },
    { UM_DOWN, ALL, "audit@base", "a1,a2,a3,b1,b2,c2,c3,t1,t2" },
    { UM_DOWN, ALL, "cart@base", "c1,c2,c3" },
    { UM_DOWN, ALL, "audit@t2", "a1,a2,a3,c2,c3" },
    { UM_DOWN, ALL, "billing@t2", "b1,b2" },
    { UM_DOWN, ALL, "cart@t2", "error: revision t2 has several children (a1, b1) and none" },
    { UM_DOWN, ALL, "audit@-1", "a3" },
    { UM_DOWN, ALL, "billing@-1", "b2" },
    { UM_DOWN, ALL, "cart@-2", "c2,c3" },
    { UM_DOWN, ALL, "audit@-3", "a1,a2,a3,c2,c3" },
    { UM_DOWN, "a3,c3", "billing@-1", "error: no revision of branch 'billing' is applied" },
    { UM_DOWN, ALL, "audit@a1", "a2,a3" },
    { UM_DOWN, ALL, "audit@a3-1", "a3" },
    { UM_DOWN, ALL, "audit@a1+1", "a3" },
    { UM_DOWN, ALL, "billing@t1", "a1,a2,a3,b1,b2,c2,c3,t2" },
    { UM_DOWN, ALL, "audit", "a2,a3" },
    { UM_DOWN, "a2,b2", "billing@a1", "a2" },
    /* Alembic scopes a bare -N to the head it starts from: the other base's
     * revisions that c3 depends on stay */
    { UM_DOWN, "c3", "-3", "c1,c2,c3" },
    { UM_DOWN, ALL, "nosuch@head", "error: no branch label or revision 'nosuch'" },
};

START_TEST(label_plans_as_alembic)
{
    const plan_case *c = &shop_cases[_i];
    const char *got = planned(c->dir, c->current, c->target);
    bool error = strncmp(c->expect, "error: ", 7) == 0;
    bool ok = error ? strncmp(got, "error: ", 7) == 0 && strstr(got, c->expect + 7)
                    : strcmp(got, c->expect) == 0;
    ck_assert_msg(ok, "%s from [%s] to %s: got [%s], Alembic [%s]", c->dir == UM_UP ? "up" : "down",
                  c->current, c->target, got, c->expect);
}
END_TEST

/* Deliberate differences, docs/alembic.md: Alembic ignores the branch of
 * "BRANCH@head" when downgrading, and fails on "upgrade BRANCH@base". */
START_TEST(label_differences)
{
    ck_assert_str_eq(planned(UM_DOWN, ALL, "audit@head"), "");
    ck_assert_str_eq(planned(UM_DOWN, ALL, "audit@heads"), "");
    ck_contains(planned(UM_UP, "", "cart@base"), "not an upgrade target");
    ck_contains(planned(UM_UP, "", "t2@head"), "several heads on branch 't2' (a3, b2)");
}
END_TEST

START_TEST(label_lookup)
{
    size_t i;
    ck_assert_int_eq(graph_lookup(g, "billing", &i, &err), 0);
    ck_assert_str_eq(graph_script(g, i)->id, "b1");
    ck_assert_str_eq(UP("cart", ""), "c1");
    ck_assert_str_eq(UP("audit@heads", ""), "a3");
    ck_assert_str_eq(DOWN("audit@base", ALL), "base");
    /* "Depends On: audit" is a dependency on a1 */
    ck_assert_str_eq(depends_of("c2"), "a1");
}
END_TEST

/* A label in "Depends On" is its revision; a label is matched whole
 * before an id prefix. */
START_TEST(label_in_depends_on)
{
    static const ldef d[] = {
        { "ab1", "", "", "" },
        { "x1", "", "", "ab" },
        { "x2", "x1", "", "" },
        { "y1", "", "ab", "" },
    };
    g = build_ok_labeled(d, NDEFS(d));
    ck_assert_str_eq(depends_of("y1"), "x1");
    ck_assert_str_eq(UP("ab", ""), "x1");
    ck_assert_str_eq(UP("ab1", ""), "ab1");
    ck_assert_str_eq(UP("ab+1", ""), "x2");
}
END_TEST

START_TEST(label_errors)
{
    static const ldef twice[] = { { "a", "", "", "l" }, { "b", "a", "", "l" } };
    static const ldef as_id[] = { { "a", "", "", "" }, { "b", "a", "", "a" } };
    static const ldef revises[] = { { "a", "", "", "l" }, { "b", "l", "", "" } };
    graph_dag *out = NULL;

    ck_assert_int_eq(graph_build(&out, mklabeled(twice, 2), 2, &err), UM_EGRAPH);
    ck_contains(err.d.message, "branch label l is declared twice: by revision a"
                               " (versions/a.sql) and by revision b (versions/b.sql)");
    ck_assert_int_eq(graph_build(&out, mklabeled(as_id, 2), 2, &err), UM_EGRAPH);
    ck_contains(err.d.message, "versions/b.sql: revision b: branch label a is the id of"
                               " revision a (versions/a.sql)");
    /* Alembic would lose the edge: a label is no parent */
    ck_assert_int_eq(graph_build(&out, mklabeled(revises, 2), 2, &err), UM_EGRAPH);
    ck_contains(err.d.message, "revises l, which no file defines");
    ck_assert_ptr_null(out);
}
END_TEST

/* ---- the suite ---------------------------------------------------------- */

static TCase *tcase(Suite *s, const char *name, void (*setup)(void))
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    suite_add_tcase(s, tc);
    return tc;
}

static void nothing(void)
{
}

static Suite *graph_suite(void)
{
    Suite *s = suite_create("graph");
    TCase *tc;

    tc = tcase(s, "linear", setup_linear);
    tcase_add_test(tc, linear_order);
    tcase_add_test(tc, linear_ends);
    tcase_add_test(tc, linear_edges);
    tcase_add_test(tc, linear_ancestry);

    tc = tcase(s, "branched", setup_branched);
    tcase_add_test(tc, branched_shape);
    tcase_add_test(tc, branched_ancestry);
    tcase_add_test(tc, mark_accumulates);

    tc = tcase(s, "merged", setup_merged);
    tcase_add_test(tc, merged_shape);
    tcase_add_test(tc, merged_ancestry);

    tc = tcase(s, "depends", setup_depends);
    tcase_add_test(tc, depends_shape);
    tcase_add_test(tc, depends_ancestry);

    tc = tcase(s, "heads_of", nothing);
    tcase_add_test(tc, heads_of_linear);
    tcase_add_test(tc, heads_of_branched);
    tcase_add_test(tc, heads_of_merged);
    tcase_add_test(tc, heads_of_depends);

    tc = tcase(s, "order", nothing);
    tcase_add_test(tc, stable_under_permutation);
    tcase_add_test(tc, ties_by_file_name);
    tcase_add_test(tc, wide_ready_set);
    tcase_add_test(tc, repeated_parent_tolerated);
    tcase_add_test(tc, empty_graph);

    tc = tcase(s, "lookup", setup_hexish);
    tcase_add_test(tc, lookup_exact_and_prefix);
    tcase_add_test(tc, lookup_ambiguous_lists_candidates);
    tcase_add_test(tc, lookup_unknown_and_empty);
    tcase_add_test(tc, target_prefixes);

    tc = tcase(s, "target_linear", setup_linear);
    tcase_add_test(tc, target_keywords);
    tcase_add_test(tc, target_revisions);
    tcase_add_test(tc, target_plus_n);
    tcase_add_test(tc, target_minus_n);
    tcase_add_test(tc, target_rev_relative);
    tcase_add_test(tc, target_base_relative);
    tcase_add_test(tc, target_malformed);
    tcase_add_test(tc, target_bad_current);

    tc = tcase(s, "target_branched", setup_branched);
    tcase_add_test(tc, target_branch_point_plus_one);
    tcase_add_test(tc, target_several_current_heads);
    tcase_add_test(tc, target_several_heads);

    tc = tcase(s, "target_other", nothing);
    tcase_add_test(tc, target_merge_and_bases);
    tcase_add_test(tc, target_dash_in_id);

    tc = tcase(s, "labels", setup_shop);
    tcase_add_test(tc, label_members_as_alembic);
    tcase_add_loop_test(tc, label_plans_as_alembic, 0, (int)NDEFS(shop_cases));
    tcase_add_test(tc, label_differences);
    tcase_add_test(tc, label_lookup);

    tc = tcase(s, "label_graphs", nothing);
    tcase_add_test(tc, label_in_depends_on);
    tcase_add_test(tc, label_errors);

    tc = tcase(s, "errors", nothing);
    tcase_add_test(tc, error_duplicate);
    tcase_add_test(tc, error_missing_parent);
    tcase_add_test(tc, error_missing_dependency);
    tcase_add_test(tc, error_cycle_two);
    tcase_add_test(tc, error_cycle_three);
    tcase_add_test(tc, error_cycle_through_dependency);
    tcase_add_test(tc, error_self_cycle);
    tcase_add_test(tc, error_line_missing_parent);
    tcase_add_test(tc, error_line_missing_dependency);
    tcase_add_test(tc, error_line_duplicate);
    tcase_add_test(tc, error_line_cycle);
    tcase_add_test(tc, error_line_unknown);

    tc = tcase(s, "scale", nothing);
    tcase_add_test(tc, scale_linear);
    tcase_set_timeout(tc, 60);
    return s;
}

int main(void)
{
    return pgtest_run_suite(graph_suite());
}
