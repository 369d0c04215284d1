/*
 * branch.h - branch labels, as Alembic 1.8 has them.
 *
 * A revision names its branch with "Branch Labels: audit" (labels are
 * identifiers as revision ids are, and no label is also a revision id or
 * declared twice).  The label then stands for that revision in targets and
 * in "Depends On", and with "@" it scopes a target to the revisions that
 * share a line of descent with it: audit@head, audit@heads, audit@base,
 * audit@+N, audit@-N, audit@REV, audit@REV+N, audit@REV-N.  The part before
 * "@" may also be a revision id, as in Alembic.
 *
 * Which revisions carry a label (what "heads" and "history" show beside
 * them) is Alembic's _add_branches: the declaring revision's descendants by
 * parent edges, and, when those form one line that nothing else joins or
 * leaves, its ancestors down to the first branch point (children or
 * dependents) or merge.  Graph building stays linear: the table maps names
 * to revisions, and two arrays filled in one pass each say how far a
 * label reaches below any revision; the members of a label are marked when
 * asked for.
 *
 * A NULL table (a graph without labels) is valid everywhere: it has no
 * labels and costs nothing.
 */
#ifndef LIB_BRANCH_H
#define LIB_BRANCH_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "graph.h"
#include "script.h"

typedef struct branch_table branch_table;

/* How branch_table_build() finds a revision id: its position, or -1. */
typedef long (*branch_find_fn)(const void *arg, const char *id);

/*
 * Collects the labels of @s (in file-name order, as graph_build has them),
 * with @s's positions as their revisions.  UM_EGRAPH naming both files for
 * a label declared twice or equal to a revision id.  *out is NULL when no
 * revision declares a label.
 */
int branch_table_build(branch_table **out, script_file *const *s, size_t n, branch_find_fn find_id,
                       const void *arg, err_buf *err);

/* Renumbers the revisions from positions to graph indices (@rank). */
void branch_table_renumber(branch_table *t, const size_t *rank);

/* Computes, on the built graph, how far each label reaches downwards. */
int branch_table_finish(branch_table *t, const graph_dag *g, err_buf *err);

void branch_table_free(branch_table *t);

/* The revision declaring @label, or -1. */
long branch_table_find(const branch_table *t, const char *label);

/* Number of labels; the @k-th label's name (sorted by name) and revision. */
size_t branch_count(const branch_table *t);
const char *branch_name(const branch_table *t, size_t k);
size_t branch_revision(const branch_table *t, size_t k);

/* Sets set[j] = 1 for every revision that carries label @k. */
void branch_mark_members(const graph_dag *g, size_t k, unsigned char *set);

/*
 * Marks the revisions that carry the label named by the first @len bytes
 * of @name; a revision id there stands for the one label its revision
 * carries (Alembic's "history -r REV@base:").  UM_ETARGET when it is no
 * label, or a revision carrying none or several.
 */
int branch_mark_label(const graph_dag *g, const char *name, size_t len, unsigned char *set,
                      err_buf *err);

/* The labels every revision carries, sorted by name: revision i's are
 * names[off[i]] .. names[off[i + 1] - 1]. */
typedef struct branch_members {
    size_t *off;        /* graph_count() + 1 entries */
    const char **names; /* into the scripts */
} branch_members;

/* Time: revisions x labels; nothing to mark without labels. */
int branch_members_build(const graph_dag *g, branch_members **out, err_buf *err);
void branch_members_free(branch_members *m);

/*
 * Narrows a downgrade to @out (resolved, no roots yet) to the line of
 * @anchor, as Alembic does for BRANCH@... targets and for a bare "-N",
 * which it scopes to the database's head: of several children of the
 * target only those below @anchor go, and of several bases only those
 * below it.
 */
int branch_narrow_down(const graph_dag *g, size_t anchor, graph_target *out, err_buf *err);

/* graph_resolve_target() for a target with "@" (see above). */
int branch_resolve_target(const graph_dag *g, const char *target, int dir, const size_t *current,
                          size_t n_current, graph_target *out, err_buf *err);

#endif
