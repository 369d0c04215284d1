/*
 * plan.h - from the database's state and a target to an ordered list of
 * steps.  Sets of revisions are byte arrays indexed by graph index, so every
 * computation is a linear walk (see graph.h).
 */
#ifndef LIB_PLAN_H
#define LIB_PLAN_H

#include "internal.h"
#include "store.h"

/*
 * The applied set: every ancestor of the version rows @ids (the one place
 * it is computed; status, plan, apply, stamp and health use it).  *applied
 * (graph_count bytes) and *heads (graph indices of @ids) are malloc'd.
 * UM_ESTATE, with the id as the error's revision, when a row names a
 * revision no file defines.
 */
int plan_applied_set(um_ctx *ctx, const char *const *ids, size_t n_ids, unsigned char **applied,
                     size_t **heads, size_t *n_heads);

/*
 * UM_ECHECKSUM when an applied revision's file no longer has the checksum
 * recorded when it was applied.
 */
int plan_verify_checksums(um_ctx *ctx, const store_state *st);

#endif
