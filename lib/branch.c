/*
 * branch.c - branch labels: the table of names, which revisions carry
 * them, and the targets scoped to a branch.
 *
 * The resolution follows Alembic 1.8.1's RevisionMap
 * (_parse_upgrade_target, _parse_downgrade_target, _walk,
 * _collect_downgrade_revisions): "in a branch" there means sharing a line
 * of descent with the branch's revision (its ancestors and descendants by
 * parent edges, _shares_lineage), not carrying its label.
 */
#include "branch.h"
#include "strbuf.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct label_entry {
    const char *name; /* points into the declaring script */
    size_t rev;
} label_entry;

struct branch_table {
    label_entry *labels; /* sorted by name */
    size_t n;
    /* Per revision, filled by branch_table_finish: */
    size_t *low;          /* the lowest ancestor a label's walk down from it reaches */
    unsigned char *clear; /* Alembic's walk from the top of its descendants passes it */
};

/* ---- the table -------------------------------------------------------- */

static int cmp_entries(const void *pa, const void *pb)
{
    const label_entry *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    return c ? c : (a->rev > b->rev) - (a->rev < b->rev);
}

/* Sorted by name, a label declared twice sits beside its first declaration. */
static int check_labels(const branch_table *t, script_file *const *s, branch_find_fn find_id,
                        const void *arg, err_buf *err)
{
    for (size_t k = 0; k < t->n; k++) {
        const label_entry *e = &t->labels[k];
        const script_file *by = s[e->rev];
        long other = find_id(arg, e->name);
        if (other >= 0)
            return err_set(err, UM_EGRAPH, by->path, 0, by->id,
                           "branch label %s is the id of revision %s (%s)", e->name, s[other]->id,
                           s[other]->path);
        if (k && strcmp(t->labels[k - 1].name, e->name) == 0) {
            const script_file *first = s[t->labels[k - 1].rev];
            return err_set(err, UM_EGRAPH, by->path, 0, by->id,
                           "branch label %s is declared twice: by revision %s (%s) and by"
                           " revision %s (%s)",
                           e->name, first->id, first->path, by->id, by->path);
        }
    }
    return UM_OK;
}

int branch_table_build(branch_table **out, script_file *const *s, size_t n, branch_find_fn find_id,
                       const void *arg, err_buf *err)
{
    size_t count = 0;
    *out = NULL;
    for (size_t i = 0; i < n; i++)
        count += s[i]->n_branch_labels;
    if (!count)
        return UM_OK;
    branch_table *t = calloc(1, sizeof(*t));
    if (!t || !(t->labels = util_calloc(count, sizeof(*t->labels)))) {
        free(t);
        return err_nomem(err);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < s[i]->n_branch_labels; j++)
            t->labels[t->n++] = (label_entry){ s[i]->branch_labels[j], i };
    qsort(t->labels, t->n, sizeof(*t->labels), cmp_entries);
    int rc = check_labels(t, s, find_id, arg, err);
    if (rc) {
        branch_table_free(t);
        return rc;
    }
    *out = t;
    return UM_OK;
}

void branch_table_renumber(branch_table *t, const size_t *rank)
{
    for (size_t k = 0; t && k < t->n; k++)
        t->labels[k].rev = rank[t->labels[k].rev];
}

/* Alembic's walk stops at a real branch point (children and dependents
 * count) and at a merge point. */
static bool stops_walk(const graph_dag *g, size_t v)
{
    size_t n_children, n_dependents, n_parents;
    graph_children(g, v, &n_children);
    graph_dependents(g, v, &n_dependents);
    graph_parents(g, v, &n_parents);
    return n_children + n_dependents > 1 || n_parents > 1;
}

/*
 * Alembic labels the declaring revision's descendants, then walks down
 * from the last of them while no revision stops it.  That walk passes
 * the declaring revision only when its descendants are one clear line
 * (clear[]), and then goes on down to low[] of it.  Children have higher
 * indices than their parents, so one pass each way fills both.
 */
int branch_table_finish(branch_table *t, const graph_dag *g, err_buf *err)
{
    size_t n = graph_count(g);
    if (!t)
        return UM_OK;
    t->low = util_calloc(n, sizeof(*t->low));
    t->clear = util_calloc(n, 1);
    if (!t->low || !t->clear)
        return err_nomem(err);
    for (size_t v = n; v-- > 0;) {
        size_t nk;
        const size_t *kids = graph_children(g, v, &nk);
        t->clear[v] = !stops_walk(g, v) && (nk == 0 || t->clear[kids[0]]);
    }
    for (size_t v = 0; v < n; v++) {
        size_t np;
        const size_t *parents = graph_parents(g, v, &np);
        t->low[v] = np == 1 && !stops_walk(g, parents[0]) ? t->low[parents[0]] : v;
    }
    return UM_OK;
}

void branch_table_free(branch_table *t)
{
    if (!t)
        return;
    free(t->labels);
    free(t->low);
    free(t->clear);
    free(t);
}

long branch_table_find(const branch_table *t, const char *label)
{
    size_t lo = 0, hi = t && label ? t->n : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(label, t->labels[mid].name);
        if (c == 0)
            return (long)t->labels[mid].rev;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

size_t branch_count(const branch_table *t)
{
    return t ? t->n : 0;
}

const char *branch_name(const branch_table *t, size_t k)
{
    return k < branch_count(t) ? t->labels[k].name : NULL;
}

size_t branch_revision(const branch_table *t, size_t k)
{
    return k < branch_count(t) ? t->labels[k].rev : 0;
}

void branch_mark_members(const graph_dag *g, size_t k, unsigned char *set)
{
    const branch_table *t = graph_labels(g);
    if (k >= branch_count(t))
        return;
    size_t r = t->labels[k].rev;
    graph_mark_parent_line(g, r, 1, set);
    if (!t->clear[r])
        return;
    for (size_t v = r; v != t->low[r];) {
        size_t np;
        v = graph_parents(g, v, &np)[0];
        set[v] = 1;
    }
}

static long label_index(const branch_table *t, const char *label)
{
    for (size_t k = 0; k < branch_count(t); k++)
        if (strcmp(t->labels[k].name, label) == 0)
            return (long)k;
    return -1;
}

/* The one label revision @rev carries, or -1 (*count: how many). */
static long only_label_of(const graph_dag *g, size_t rev, unsigned char *set, size_t *count)
{
    const branch_table *t = graph_labels(g);
    long found = -1;
    *count = 0;
    for (size_t k = 0; k < branch_count(t); k++) {
        memset(set, 0, graph_count(g));
        branch_mark_members(g, k, set);
        if (set[rev] && (*count)++ == 0)
            found = (long)k;
    }
    memset(set, 0, graph_count(g));
    return *count == 1 ? found : -1;
}

int branch_mark_label(const graph_dag *g, const char *name, size_t len, unsigned char *set,
                      err_buf *err)
{
    char *label = strndup(name, len);
    size_t rev, count = 0;
    bool is_rev = false;
    if (!label)
        return err_nomem(err);
    long k = label_index(graph_labels(g), label);
    if (k < 0 && (is_rev = graph_lookup(g, label, &rev, err) == UM_OK))
        k = only_label_of(g, rev, set, &count);
    int rc = UM_OK;
    if (k < 0 && is_rev)
        rc = err_set(err, UM_ETARGET, NULL, 0, NULL,
                     "revision %s carries %zu branch labels: name one label", label, count);
    else if (k < 0)
        rc = err_set(err, UM_ETARGET, NULL, 0, NULL, "no branch label '%s'", label);
    else
        branch_mark_members(g, (size_t)k, set);
    free(label);
    return rc;
}

/* One pass over the labels: counts into off[i + 1] (@names NULL), or
 * fills @names at off[i] onwards, advancing off[i]. */
static void members_pass(const graph_dag *g, unsigned char *set, size_t *off, const char **names)
{
    const branch_table *t = graph_labels(g);
    size_t n = graph_count(g);
    for (size_t k = 0; k < branch_count(t); k++) {
        memset(set, 0, n);
        branch_mark_members(g, k, set);
        for (size_t i = 0; i < n; i++) {
            if (set[i] && names)
                names[off[i]++] = t->labels[k].name;
            else if (set[i])
                off[i + 1]++;
        }
    }
}

int branch_members_build(const graph_dag *g, branch_members **out, err_buf *err)
{
    size_t n = graph_count(g);
    branch_members *m = calloc(1, sizeof(*m));
    unsigned char *set = util_calloc(n, 1);
    int rc = UM_ENOMEM;
    *out = NULL;
    if (!m || !set || !(m->off = util_calloc(n + 1, sizeof(*m->off))))
        goto done;
    members_pass(g, set, m->off, NULL);
    for (size_t i = 0; i < n; i++)
        m->off[i + 1] += m->off[i];
    if (!(m->names = util_calloc(m->off[n], sizeof(*m->names))))
        goto done;
    members_pass(g, set, m->off, m->names);
    /* the fill advanced each start to the next one's: shift back */
    memmove(m->off + 1, m->off, n * sizeof(*m->off));
    m->off[0] = 0;
    *out = m;
    m = NULL;
    rc = UM_OK;
done:
    if (rc)
        err_nomem(err);
    branch_members_free(m);
    free(set);
    return rc;
}

void branch_members_free(branch_members *m)
{
    if (!m)
        return;
    free(m->off);
    free(m->names);
    free(m);
}

/* ---- targets ------------------------------------------------------------ */

/* A target scoped to a branch: "BRANCH@SYMBOL". */
typedef struct scope {
    const graph_dag *g;
    const char *target;  /* the whole target, for messages */
    char *branch;        /* the part before "@" */
    size_t anchor;       /* the revision the branch part names */
    unsigned char *up;   /* the anchor and its descendants by parent edges */
    unsigned char *down; /* the anchor and its ancestors by parent edges */
    err_buf *err;
} scope;

static bool in_line(const scope *sc, size_t i)
{
    return sc->up[i] || sc->down[i];
}

static int target_error(const scope *sc, const char *why)
{
    return err_set(sc->err, UM_ETARGET, NULL, 0, NULL, "'%s': %s", sc->target, why);
}

/* A revision id, a branch label or a unique prefix of an id (the
 * candidates limited to @sc's branch when @sc is given). */
static int lookup(const graph_dag *g, const scope *sc, const char *ref, size_t *out, size_t *count)
{
    size_t len = strlen(ref);
    long exact = graph_find(g, ref);
    if (exact < 0)
        exact = branch_table_find(graph_labels(g), ref);
    *count = exact >= 0;
    if (exact >= 0) {
        *out = (size_t)exact;
        return UM_OK;
    }
    for (size_t i = 0; i < graph_count(g); i++)
        if (strncmp(graph_script(g, i)->id, ref, len) == 0 && (!sc || in_line(sc, i)) &&
            (*count)++ == 0)
            *out = i;
    return *count == 1 ? UM_OK : UM_ETARGET;
}

/* "no WHAT 'REF'[ on branch 'B']", or an ambiguous prefix. */
static int lookup_error(const scope *sc, const char *ref, size_t count, const char *what,
                        bool on_branch)
{
    if (count == 0)
        return err_set(sc->err, UM_ETARGET, NULL, 0, NULL, "'%s': no %s '%s'%s%s%s", sc->target,
                       what, ref, on_branch ? " on branch '" : "", on_branch ? sc->branch : "",
                       on_branch ? "'" : "");
    return err_set(sc->err, UM_ETARGET, NULL, 0, NULL,
                   "'%s': the prefix '%s' names %zu revisions: give more of the id", sc->target,
                   ref, count);
}

/* The target at @at, a revision or GRAPH_AT_BASE. */
static int target_at(const scope *sc, long at, graph_target *out)
{
    size_t i = (size_t)at;
    return graph_target_set(out, &i, at == GRAPH_AT_BASE ? 0 : 1, sc->err);
}

static int scope_open(scope *sc, size_t branch_len)
{
    size_t n = graph_count(sc->g), count;
    if (!(sc->branch = strndup(sc->target, branch_len)))
        return err_nomem(sc->err);
    if (!*sc->branch)
        return target_error(sc, "no branch before '@'");
    if (lookup(sc->g, NULL, sc->branch, &sc->anchor, &count))
        return lookup_error(sc, sc->branch, count, "branch label or revision", false);
    sc->up = util_calloc(n, 1);
    sc->down = util_calloc(n, 1);
    if (!sc->up || !sc->down)
        return err_nomem(sc->err);
    graph_mark_parent_line(sc->g, sc->anchor, 1, sc->up);
    graph_mark_parent_line(sc->g, sc->anchor, -1, sc->down);
    return UM_OK;
}

static void scope_close(scope *sc)
{
    free(sc->branch);
    free(sc->up);
    free(sc->down);
}

/* Alembic's _revision_for_ident with a branch: REV must share a line of
 * descent with the branch. */
static int member(const scope *sc, const char *ref, size_t *out)
{
    size_t count;
    if (lookup(sc->g, sc, ref, out, &count))
        return lookup_error(sc, ref, count, "revision", true);
    if (!in_line(sc, *out))
        return err_set(sc->err, UM_ETARGET, NULL, 0, NULL,
                       "'%s': revision %s is not a member of branch '%s'", sc->target,
                       graph_script(sc->g, *out)->id, sc->branch);
    return UM_OK;
}

/* The revisions of @v (@n of them) on the branch, in place; their count. */
static size_t keep_in_line(const scope *sc, size_t *v, size_t n)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (in_line(sc, v[i]))
            v[kept++] = v[i];
    return kept;
}

/* A list of revisions to filter: a malloc'd copy of @v. */
static size_t *copy_list(const scope *sc, const size_t *v, size_t n)
{
    size_t *c = util_calloc(n, sizeof(*c));
    if (!c)
        err_nomem(sc->err);
    else if (n)
        memcpy(c, v, n * sizeof(*c));
    return c;
}

/* "[revision ID has ]WHAT on branch 'B' (a, b): AFTER" */
static int err_branch_naming(const scope *sc, const char *id, const char *what, const size_t *v,
                             size_t n, const char *after)
{
    char text[128];
    snprintf(text, sizeof(text), "%s on branch '%s'", what, sc->branch);
    return graph_err_naming(sc->err, sc->g, id, text, v, n, after);
}

/* BRANCH@head, BRANCH@heads: the heads that share the branch's line. */
static int branch_heads(const scope *sc, bool all, graph_target *out)
{
    size_t n;
    const size_t *heads = graph_heads(sc->g, &n);
    size_t *v = copy_list(sc, heads, n);
    int rc;
    if (!v)
        return UM_ENOMEM;
    n = keep_in_line(sc, v, n);
    if (all || n == 1)
        rc = graph_target_set(out, v, n, sc->err);
    else
        rc = err_branch_naming(sc, NULL, "several heads", v, n, ": name one");
    free(v);
    return rc;
}

/*
 * Downgrading to the base of a branch (BRANCH@base, or a step down that
 * reaches it): Alembic removes what stands on the bases, and with several
 * bases only on those below the branch's revision.
 */
static int narrow_base(const scope *sc, graph_target *out)
{
    size_t n;
    const size_t *bases = graph_bases(sc->g, &n);
    if (n < 2)
        return UM_OK;
    if (!(out->roots = copy_list(sc, bases, n)))
        return UM_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (sc->down[bases[i]])
            out->roots[out->n_roots++] = bases[i];
    return UM_OK;
}

/* One step up from @at (GRAPH_AT_BASE: the bases) along the branch. */
static int step_up(const scope *sc, long *at)
{
    size_t n;
    const size_t *next =
        *at == GRAPH_AT_BASE ? graph_bases(sc->g, &n) : graph_children(sc->g, (size_t)*at, &n);
    const char *id = *at == GRAPH_AT_BASE ? NULL : graph_script(sc->g, (size_t)*at)->id;
    size_t *v = copy_list(sc, next, n);
    int rc = UM_OK;
    if (!v)
        return UM_ENOMEM;
    n = keep_in_line(sc, v, n);
    if (n == 1)
        *at = (long)v[0];
    else if (n > 1)
        rc = err_branch_naming(sc, id, id ? "several children" : "several bases", v, n,
                               ": name one");
    else if (id)
        rc = err_set(sc->err, UM_ETARGET, NULL, 0, NULL,
                     "'%s': revision %s is a head of branch '%s': nothing above it", sc->target, id,
                     sc->branch);
    else
        rc = target_error(sc, "no revisions to upgrade to");
    free(v);
    return rc;
}

/* Whether revision @v has a successor (child, or dependent when @deps)
 * in @set. */
static bool has_next_in(const graph_dag *g, size_t v, bool deps, const unsigned char *set)
{
    size_t n;
    const size_t *next = graph_children(g, v, &n);
    for (size_t i = 0; i < n; i++)
        if (set[next[i]])
            return true;
    next = deps ? graph_dependents(g, v, &n) : NULL;
    for (size_t i = 0; next && i < n; i++)
        if (set[next[i]])
            return true;
    return false;
}

/*
 * The tips of the applied revisions on the branch.  Upgrading (@up),
 * Alembic takes the applied revisions on the branch and keeps those no
 * other of them revises or depends on; downgrading, it keeps the applied
 * revisions no applied revision revises (its "branch heads"), then those
 * on the branch.
 */
static int applied_tips(const scope *sc, const size_t *current, size_t n_current, bool up,
                        size_t *v, size_t *n)
{
    size_t count = graph_count(sc->g);
    unsigned char *applied = util_calloc(count, 1);
    if (!applied)
        return err_nomem(sc->err);
    for (size_t i = 0; i < n_current; i++)
        graph_mark_ancestors(sc->g, current[i], applied);
    for (size_t i = 0; up && i < count; i++)
        applied[i] &= in_line(sc, i);
    for (size_t i = 0; i < count; i++)
        if (applied[i] && in_line(sc, i) && !has_next_in(sc->g, i, up, applied))
            v[(*n)++] = i;
    free(applied);
    return UM_OK;
}

/*
 * Where a step relative to the database starts on the branch: the current
 * heads on it, or else the tips of what is applied on it.  *v (malloc'd,
 * room for every revision) and *n.
 */
static int applied_on_branch(const scope *sc, const size_t *current, size_t n_current, bool up,
                             size_t **v, size_t *n)
{
    size_t count = graph_count(sc->g);
    *n = 0;
    if (!(*v = util_calloc(count > n_current ? count : n_current, sizeof(**v))))
        return err_nomem(sc->err);
    if (n_current)
        memcpy(*v, current, n_current * sizeof(**v));
    if ((*n = keep_in_line(sc, *v, n_current)))
        return UM_OK;
    return applied_tips(sc, current, n_current, up, *v, n);
}

/* BRANCH@+N: N steps up the branch from where the database is on it. */
static int up_from_current(const scope *sc, const size_t *current, size_t n_current, size_t steps,
                           graph_target *out)
{
    size_t *v = NULL, n = 0;
    long at = GRAPH_AT_BASE;
    int rc = applied_on_branch(sc, current, n_current, true, &v, &n);
    if (!rc && n > 1)
        rc = err_branch_naming(sc, NULL, "several current revisions", v, n,
                               ": name the one to start from, as BRANCH@REV+N");
    if (!rc && n == 1)
        at = (long)v[0];
    for (size_t k = 0; !rc && k < steps; k++)
        rc = step_up(sc, &at);
    if (!rc)
        rc = target_at(sc, at, out);
    free(v);
    return rc;
}

/* BRANCH@-N: N steps down from the database's one head on the branch. */
static int down_from_current(const scope *sc, const size_t *current, size_t n_current, size_t steps,
                             graph_target *out)
{
    size_t *v = NULL, n = 0;
    int rc = applied_on_branch(sc, current, n_current, false, &v, &n);
    if (!rc && n == 0)
        rc = err_set(sc->err, UM_ETARGET, NULL, 0, NULL,
                     "'%s': no revision of branch '%s' is applied", sc->target, sc->branch);
    else if (!rc && n > 1)
        rc = err_branch_naming(sc, NULL, "several current heads", v, n,
                               ": name the one to start from, as BRANCH@REV-N");
    if (!rc)
        rc = graph_walk_down(sc->g, (long)v[0], steps, out, sc->err);
    free(v);
    return rc;
}

/* BRANCH@REV+N walks up the branch from REV, wherever REV is; BRANCH@REV-N
 * walks down from REV, which must be on the branch. */
static int from_revision(const scope *sc, const char *ref, int sign, size_t steps,
                         graph_target *out)
{
    size_t i, count;
    long at = GRAPH_AT_BASE;
    int rc = UM_OK;
    if (sign < 0) {
        rc = member(sc, ref, &i);
        return rc ? rc : graph_walk_down(sc->g, (long)i, steps, out, sc->err);
    }
    if (strcmp(ref, "base") != 0) {
        if (lookup(sc->g, NULL, ref, &i, &count))
            return lookup_error(sc, ref, count, "revision", false);
        at = (long)i;
    }
    for (size_t k = 0; !rc && k < steps; k++)
        rc = step_up(sc, &at);
    return rc ? rc : target_at(sc, at, out);
}

static int relative(const scope *sc, const char *sym, size_t rev_len, int sign, size_t steps,
                    int dir, const size_t *current, size_t n_current, graph_target *out)
{
    if (rev_len) {
        char *ref = strndup(sym, rev_len);
        int rc = ref ? from_revision(sc, ref, sign, steps, out) : err_nomem(sc->err);
        free(ref);
        return rc;
    }
    if (sign != dir)
        return target_error(sc, dir == UM_UP ? "not an upgrade target" : "not a downgrade target");
    if (steps == 0)
        return target_error(sc, "the step count must be at least 1");
    return sign > 0 ? up_from_current(sc, current, n_current, steps, out)
                    : down_from_current(sc, current, n_current, steps, out);
}

/* Whether @sym names a revision (so that an id with "-1" in it is not a
 * relative step). */
static bool names_revision(const graph_dag *g, const char *sym)
{
    size_t i, count;
    return lookup(g, NULL, sym, &i, &count) == UM_OK || count > 1;
}

static int resolve_symbol(const scope *sc, const char *sym, int dir, const size_t *current,
                          size_t n_current, graph_target *out)
{
    size_t rev_len = 0, steps = 0, i;
    int sign = 0, form;
    if (!*sym)
        return target_error(sc, "no revision after '@'");
    if (strcmp(sym, "head") == 0 || strcmp(sym, "heads") == 0)
        return branch_heads(sc, dir == UM_UP && strcmp(sym, "heads") == 0, out);
    if (strcmp(sym, "base") == 0)
        return dir == UM_UP ? target_error(sc, "not an upgrade target: nothing to upgrade to")
                            : UM_OK;
    form = names_revision(sc->g, sym) ? 0 : graph_parse_relative(sym, &rev_len, &sign, &steps);
    if (form < 0)
        return target_error(sc, "step count out of range");
    if (form > 0)
        return relative(sc, sym, rev_len, sign, steps, dir, current, n_current, out);
    /* Alembic checks the branch going up only (_parse_downgrade_target
     * looks REV up alone) */
    int rc = dir == UM_UP ? member(sc, sym, &i) : UM_OK;
    size_t count;
    if (!rc && dir == UM_DOWN && lookup(sc->g, NULL, sym, &i, &count))
        rc = lookup_error(sc, sym, count, "revision", false);
    return rc ? rc : graph_target_set(out, &i, 1, sc->err);
}

/*
 * Downgrading to a branch point of the branch removes only the child on
 * the way to the branch's revision (Alembic filters the roots of the
 * removal by the branch's ancestors); none on the way is an error.
 */
static int narrow_to_branch(const scope *sc, graph_target *out)
{
    size_t n;
    if (out->n == 0)
        return narrow_base(sc, out);
    if (out->n != 1)
        return UM_OK;
    const size_t *kids = graph_children(sc->g, out->revs[0], &n);
    if (n < 2)
        return UM_OK;
    if (!(out->roots = copy_list(sc, kids, n)))
        return UM_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (sc->down[kids[i]])
            out->roots[out->n_roots++] = kids[i];
    if (out->n_roots)
        return UM_OK;
    return graph_err_naming(sc->err, sc->g, graph_script(sc->g, out->revs[0])->id,
                            "several children", kids, n,
                            " and none of them leads to the branch's revision: not a downgrade"
                            " target on this branch");
}

int branch_narrow_down(const graph_dag *g, size_t anchor, graph_target *out, err_buf *err)
{
    scope sc = { .g = g, .target = "", .anchor = anchor, .err = err };
    int rc = UM_OK;
    if (!(sc.down = util_calloc(graph_count(g), 1)))
        rc = err_nomem(err);
    if (!rc) {
        graph_mark_parent_line(g, anchor, -1, sc.down);
        rc = narrow_to_branch(&sc, out);
    }
    free(sc.down);
    return rc;
}

int branch_resolve_target(const graph_dag *g, const char *target, int dir, const size_t *current,
                          size_t n_current, graph_target *out, err_buf *err)
{
    const char *at = strchr(target, '@');
    scope sc = { .g = g, .target = target, .err = err };
    int rc = UM_OK;

    for (size_t k = 0; k < n_current; k++)
        if (current[k] >= graph_count(g))
            return err_set(err, UM_EINVAL, NULL, 0, NULL, "current head %zu is not in the graph",
                           current[k]);
    rc = scope_open(&sc, (size_t)(at - target));
    if (!rc)
        rc = resolve_symbol(&sc, at + 1, dir, current, n_current, out);
    if (!rc && dir == UM_DOWN)
        rc = narrow_to_branch(&sc, out);
    scope_close(&sc);
    if (rc)
        graph_target_free(out);
    return rc;
}
