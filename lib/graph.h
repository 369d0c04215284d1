/*
 * graph.h - the revision graph: a DAG over revision files.
 *
 * Edges: a revision's parents ("Revises") and its dependencies ("Depends
 * On").  Both order application (a revision applies after all of them);
 * only parent edges define heads and branches, as in Alembic, so a
 * dependency on another branch does not merge the branches.
 *
 * Revisions are numbered 0..n-1 in the order Alembic upgrades an empty
 * database to "heads" (order.h, with file-name order for Alembic's
 * revision map), so "i < j" implies i may be applied before j, walking the
 * index range is a valid apply order, and walking it backwards lists the
 * revisions as "alembic history" does.  Lookup by id is a hash map; every
 * walk but graph_order() is linear in the size of the graph.
 */
#ifndef LIB_GRAPH_H
#define LIB_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "script.h"

typedef struct graph_dag graph_dag;
struct branch_table;

/*
 * Builds the graph from @scripts, taking ownership of the array and every
 * script in it (also on failure).  Errors (UM_EGRAPH, naming file and
 * revision): duplicate revision id (both files), a branch label declared
 * twice or equal to a revision id (both files), a parent or dependency
 * that no file defines (a dependency may name a branch label, as in
 * Alembic), a revision that revises itself, a cycle (naming the revisions
 * on it).  An empty directory is a valid, empty graph.
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
/* Revisions whose "Depends On" names revision @i. */
const size_t *graph_dependents(const graph_dag *g, size_t i, size_t *n);

/* The branch labels of the graph (branch.h). */
const struct branch_table *graph_labels(const graph_dag *g);

/* Heads (no children) and bases (no parents), in file-name order. */
const size_t *graph_heads(const graph_dag *g, size_t *n);
const size_t *graph_bases(const graph_dag *g, size_t *n);
/* Real heads: neither children nor dependents (Alembic's _real_heads). */
const size_t *graph_real_heads(const graph_dag *g, size_t *n);

/* Revision @i's place in file-name order: Alembic's revision map order. */
size_t graph_file_rank(const graph_dag *g, size_t i);

/* Sorts the revisions @v (@n of them) into file-name order.  UM_ENOMEM. */
int graph_sort_by_file(const graph_dag *g, size_t *v, size_t n);

/*
 * Alembic's walk over @set (graph_count bytes) from @heads (order.h):
 * the revisions of the set, newest first, into @out (room for all of
 * them), *n_out of them.  A downgrade runs them in this order, an upgrade
 * in reverse.  UM_ENOMEM.
 */
int graph_order(const graph_dag *g, const unsigned char *set, const size_t *heads, size_t n_heads,
                size_t *out, size_t *n_out, err_buf *err);

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
 * Sets set[j] = 1 for @i and every revision reached from it along parent
 * edges only: its descendants (@dir > 0) or its ancestors (@dir < 0), the
 * walks Alembic uses for branches (dependencies are not followed).
 */
void graph_mark_parent_line(const graph_dag *g, size_t i, int dir, unsigned char *set);

/*
 * Heads of an applied set: revisions in @applied none of whose children
 * (parent edges only) are in @applied.  *out is malloc'd, ascending.
 */
int graph_heads_of(const graph_dag *g, const unsigned char *applied, size_t **out, size_t *n);

/*
 * The heads of an applied set as Alembic's version table holds them:
 * revisions in @applied that no revision in @applied revises or depends
 * on (Alembic drops a head from its table once a revision depending on it
 * is applied).  *out is malloc'd, ascending.
 */
int graph_real_heads_of(const graph_dag *g, const unsigned char *applied, size_t **out, size_t *n);

/*
 * Resolves a revision reference: full id, a branch label (its declaring
 * revision), or unique prefix of an id.  UM_ETARGET when none matches
 * ("no revision 'x'") or several do (the message lists the candidates).
 */
int graph_lookup(const graph_dag *g, const char *ref, size_t *out, err_buf *err);

/*
 * A resolved target: a set of revisions, or the empty state ("base").
 * A downgrade to a branch's revision may narrow what is removed to the
 * branch (Alembic's label@REV, label@base): @roots are then the revisions
 * removed with everything that stands on them, instead of the children of
 * @revs (or, for base, every applied revision).
 */
typedef struct graph_target {
    size_t *revs; /* malloc'd; n == 0 means base */
    size_t n;
    size_t *roots; /* malloc'd, or NULL: not narrowed */
    size_t n_roots;
} graph_target;

#define GRAPH_TARGET_INIT                                                                          \
    {                                                                                              \
        NULL, 0, NULL, 0                                                                           \
    }

void graph_target_free(graph_target *t);

/* Sets @t to a copy of @revs (0 of them: base).  UM_ENOMEM. */
int graph_target_set(graph_target *t, const size_t *revs, size_t n, err_buf *err);

/*
 * Resolves an Alembic target for @dir (UM_UP / UM_DOWN) given the current
 * heads of the database (@current, @n_current: indices; may be empty):
 *   "heads"   every real head: no revision revises or depends on it
 *             (up only; the heads they depend on come with them)
 *   "head"    the only head; UM_ETARGET naming the heads when several
 *   "base"    the empty state                 (down only)
 *   REV       graph_lookup()
 *   "+N"      N steps up from the only current head (from the base when
 *             nothing is applied), following the only child each time
 *   "-N"      N steps down from the only current head, following the only
 *             parent; reaching past a base gives "base"
 *   REV+N / REV-N   as +N / -N from REV, also "head-1", "heads+0" etc.
 *   LABEL     the revision declaring the branch label
 *   LABEL@... a branch's head, heads, base, +N, -N, REV, REV+N, REV-N
 *             (branch.h)
 *   An ambiguous step (several children or parents, several current heads)
 *   is UM_ETARGET naming the candidates.
 * UM_ETARGET also for a target invalid in this direction or malformed.
 */
int graph_resolve_target(const graph_dag *g, const char *target, int dir, const size_t *current,
                         size_t n_current, graph_target *out, err_buf *err);

/*
 * Whether @target (graph_resolve_target's) is a relative step: +N, -N,
 * REV+N, REV-N, LABEL@+N and so on; a revision id or label with "-1" in
 * it is not one.  An out-of-range step count is one too.
 */
bool graph_target_relative(const graph_dag *g, const char *target);

/* Position for graph_walk_down(): a revision index, or GRAPH_AT_BASE. */
#define GRAPH_AT_BASE (-1L)

/*
 * "-N" from @at: @steps times along the only parent; one step below a base
 * is the empty state, further is an error.  The last step may leave a
 * merge revision: the target is then all of its parents.
 */
int graph_walk_down(const graph_dag *g, long at, size_t steps, graph_target *out, err_buf *err);

/*
 * Splits "REV+N" / "REV-N" (REV possibly empty) at the last sign followed
 * only by digits.  Returns 1 when @t has that form (*rev_len, *sign, *steps
 * set), 0 when not, and -1 when it has but N overflows.
 */
int graph_parse_relative(const char *t, size_t *rev_len, int *sign, size_t *steps);

/* UM_ETARGET: "[revision ID has ]WHAT (a, b)AFTER", naming revisions @idx. */
int graph_err_naming(err_buf *err, const graph_dag *g, const char *id, const char *what,
                     const size_t *idx, size_t n, const char *after);

#endif
