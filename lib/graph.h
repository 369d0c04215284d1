/*
 * graph.h - the revision graph: a DAG over revision files.
 *
 * Edges: a revision's parents ("Revises") and its dependencies ("Depends
 * On").  Both order application (a revision applies after all of them);
 * only parent edges define heads and branches, as in Alembic, so a
 * dependency on another branch does not merge the branches.
 *
 * Revisions are numbered 0..n-1 in a stable topological order (Kahn's
 * algorithm, ties broken by file name), so "i < j" implies i may be applied
 * before j and walking the index range is a valid apply order.  Lookup by
 * id is a hash map; every walk is linear in the size of the graph.
 */
#ifndef LIB_GRAPH_H
#define LIB_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "script.h"

typedef struct graph_dag graph_dag;

/*
 * Builds the graph from @scripts, taking ownership of the array and every
 * script in it (also on failure).  Errors (UM_EGRAPH, naming file and
 * revision): duplicate revision id (both files), a parent or dependency
 * that no file defines, a revision that revises itself, a cycle (naming
 * the revisions on it).  An empty directory is a valid, empty graph.
 */
int graph_build(graph_dag **out, script_file **scripts, size_t n, err_buf *err);
void graph_free(graph_dag *g);

size_t graph_count(const graph_dag *g);
/* Revision @i in topological order. */
const script_file *graph_script(const graph_dag *g, size_t i);
/* Index of the revision with exactly this id, or -1. */
long graph_find(const graph_dag *g, const char *id);

/* Parent, dependency and child (by parent edge) indices of revision @i. */
const size_t *graph_parents(const graph_dag *g, size_t i, size_t *n);
const size_t *graph_depends(const graph_dag *g, size_t i, size_t *n);
const size_t *graph_children(const graph_dag *g, size_t i, size_t *n);

/* Heads (no children) and bases (no parents), ascending index order. */
const size_t *graph_heads(const graph_dag *g, size_t *n);
const size_t *graph_bases(const graph_dag *g, size_t *n);

/*
 * Sets set[j] = 1 for @i and every revision it needs: parents and
 * dependencies, transitively.  @set has graph_count() bytes.
 */
void graph_mark_ancestors(const graph_dag *g, size_t i, unsigned char *set);

/*
 * Sets set[j] = 1 for @i and every revision that needs it (children and
 * revisions depending on it), transitively.
 */
void graph_mark_descendants(const graph_dag *g, size_t i, unsigned char *set);

/*
 * Heads of an applied set: revisions in @applied none of whose children
 * (parent edges only) are in @applied.  *out is malloc'd, ascending.
 */
int graph_heads_of(const graph_dag *g, const unsigned char *applied, size_t **out, size_t *n);

/*
 * Resolves a revision reference: full id, or unique prefix of an id.
 * UM_ETARGET when none matches ("no revision 'x'") or several do (the
 * message lists the candidates).
 */
int graph_lookup(const graph_dag *g, const char *ref, size_t *out, err_buf *err);

/* A resolved target: a set of revisions, or the empty state ("base"). */
typedef struct graph_target {
    size_t *revs; /* malloc'd; n == 0 means base */
    size_t n;
} graph_target;

void graph_target_free(graph_target *t);

/*
 * Resolves an Alembic target for @dir (UM_UP / UM_DOWN) given the current
 * heads of the database (@current, @n_current: indices; may be empty):
 *   "heads"   every head                      (up only)
 *   "head"    the only head; UM_ETARGET naming the heads when several
 *   "base"    the empty state                 (down only)
 *   REV       graph_lookup()
 *   "+N"      N steps up from the only current head (from the base when
 *             nothing is applied), following the only child each time
 *   "-N"      N steps down from the only current head, following the only
 *             parent; reaching past a base gives "base"
 *   REV+N / REV-N   as +N / -N from REV, also "head-1", "heads+0" etc.
 *   An ambiguous step (several children or parents, several current heads)
 *   is UM_ETARGET naming the candidates.
 * UM_ETARGET also for a target invalid in this direction or malformed.
 */
int graph_resolve_target(const graph_dag *g, const char *target, int dir, const size_t *current,
                         size_t n_current, graph_target *out, err_buf *err);

#endif
