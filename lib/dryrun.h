/*
 * dryrun.h - a dry run (um_apply_options.dry_run): the plan's
 * transactional revisions run for real in one transaction that is rolled
 * back, each one's outcome, duration and AccessExclusiveLocks recorded.
 */
#ifndef LIB_DRYRUN_H
#define LIB_DRYRUN_H

#include "internal.h"

/*
 * Runs @plan as a dry run, with the migration lock held and the state
 * read (apply.c's locked_run), and hands the result to
 * opts->dry_run_out (freed when the host does not want it).  Nothing is
 * written: no bookkeeping, no history.  UM_ESQL, with the revision's
 * error on the handle, when a revision failed; UM_ECANCELLED; the errors
 * of reading a revision's SQL (UM_EIO, UM_ECHECKSUM) or of the server.
 */
int dryrun_execute(um_ctx *ctx, const um_plan *plan, const um_apply_options *opts);

#endif
