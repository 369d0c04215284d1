/*
 * order.h - the order in which Alembic 1.8.1 walks a set of revisions:
 * RevisionMap._topological_sort, which every upgrade, downgrade and
 * history listing of Alembic goes through.
 *
 * Alembic does not take the first ready revision in some fixed order, as
 * Kahn's algorithm would: it walks down from the heads of the set, head by
 * head in the order of its revision map, following each head's first
 * "down revision" (its parents as Revises: names them, then the
 * dependencies its ancestors do not already have) as long as no other
 * head still needs the revision it stands on, and switching to that head
 * when one does.  The result is newest first: a downgrade runs it as it
 * is, an upgrade and "history" reversed.
 *
 * Two things Alembic leaves to chance are fixed here: its revision map is
 * in os.listdir() order (filesystem order, which on ext4 is a hash of the
 * file names), for which the file-name order stands; and a revision's
 * dependencies come out of a Python set (an order that changes from run to
 * run unless PYTHONHASHSEED is set), for which the order Depends On: names
 * them stands.  Where neither matters the steps are Alembic's, one for one.
 */
#ifndef LIB_ORDER_H
#define LIB_ORDER_H

#include <stddef.h>

#include "error.h"

/*
 * The graph as the walk sees it: @n revisions; revision i's "down
 * revisions" are idx[off[i] .. off[i + 1]), its parents (the first
 * nfirst[i] of them, in the order Revises: names them) then its
 * dependencies (in the order Depends On: names them, none repeating a
 * parent).  file_rank[i] is its place in file-name order (NULL: i).
 */
typedef struct order_graph {
    size_t n;
    const size_t *off;
    const size_t *nfirst;
    const size_t *idx;
    const size_t *file_rank;
} order_graph;

/*
 * Writes the revisions of @set (n bytes, non-zero: in the set) to @out,
 * newest first, walking down from those of @heads that are in the set;
 * *n_out receives their number.  @out has room for every revision of the
 * set.  A revision of the set that no head reaches (Alembic fails there)
 * follows the others, newest first by index.  UM_ENOMEM.
 */
int order_walk(const order_graph *og, const unsigned char *set, const size_t *heads, size_t n_heads,
               size_t *out, size_t *n_out, err_buf *err);

/* Sorts the revisions @v (@n of them) into file-name order.  UM_ENOMEM. */
int order_by_file(const order_graph *og, size_t *v, size_t n);

#endif
