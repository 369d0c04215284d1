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

/* What each revision of the files is, for plan_classify. */
enum plan_class {
    PLAN_PENDING = 0, /* not applied: an upgrade would apply it */
    PLAN_APPLIED,     /* applied, in state applied */
    PLAN_UNFINISHED   /* its applied row is in_progress or failed */
};

/*
 * The counts status and health show, from one state.  Together applied,
 * pending, failed and in_progress count every revision of the files once
 * (failed and in_progress also count rows no file defines); missing
 * counts what the database records as applied (a version row or an
 * applied row in state applied) that no file defines.
 */
typedef struct plan_counts {
    size_t applied, pending, failed, in_progress, missing;
    const char *first_missing;    /* the first missing id, or NULL (points into the state) */
    const um_applied *unfinished; /* the oldest in_progress or failed row, or NULL */
} plan_counts;

/*
 * The one computation of those counts (status, health, and the refusals
 * of plan_build).  A revision is applied when an applied row in state
 * applied names it or it is an ancestor of a version row, unless its own
 * row says a run did not finish it: so a version row no file defines
 * still leaves the rest countable.  With @classes, *classes receives
 * graph_count bytes of enum plan_class (malloc'd).
 */
int plan_classify(um_ctx *ctx, const store_state *st, plan_counts *out, unsigned char **classes);

/*
 * UM_ESTATE when a run left a revision half done (an applied row in
 * state in_progress or failed: only a "Transactional: no" revision leaves
 * one): the message names it, its file, how many statements succeeded,
 * and the repair command.  Every upgrade and downgrade refuses then.
 */
int plan_refuse_unfinished(um_ctx *ctx, const store_state *st);

#endif
