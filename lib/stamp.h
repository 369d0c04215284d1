/*
 * stamp.h - what a stamp sets the database to, as Alembic's stamp does:
 * each revision named replaces the current heads of its line of descent
 * (dependencies count), and leaves the heads of other branches alone.
 */
#ifndef LIB_STAMP_H
#define LIB_STAMP_H

#include "internal.h"
#include "store.h"

/*
 * UM_ETARGET (recorded on @ctx) when @target is a relative step (-1, +1,
 * REV+N, LABEL@-N): Alembic's stamp cannot locate such a revision once the
 * database has one, and a stamp relative to the database's own state is
 * too easy to get wrong to take on trust.  UM_OK otherwise.
 */
int stamp_check_target(um_ctx *ctx, const char *target);

/*
 * Sets set[i] = 1 (graph_count() bytes, zeroed) for every revision the
 * database holds after stamping @o's revisions over the state @st (with
 * purge, over nothing).  "base" among them drops every current head,
 * "LABEL@base" the current heads on the line of LABEL's revision.
 * UM_ETARGET for a revision that does not resolve or a relative step, UM_ESTATE for a
 * version row no file defines (unless purge), UM_ENOMEM.
 */
int stamp_applied_set(um_ctx *ctx, const store_state *st, const um_stamp_options *o,
                      unsigned char *set);

#endif
