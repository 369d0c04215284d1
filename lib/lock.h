/*
 * lock.h - the migration lock that serialises the runs on one version
 * table, in one of two forms (lock_mode):
 *
 * advisory (the default): a session-level advisory lock.  It needs the
 * same server session for the whole run, which a pooler that hands each
 * transaction to any server session (PgBouncer in transaction mode) does
 * not give: such a connection is refused (UM_EPOOLER).
 *
 * table: a lease row in <version_table>_lock, taken when absent or when
 * its lease expired, renewed in each revision's own transaction; every
 * statement is a transaction of its own and nothing stays on the server
 * session, so it works through any pooler.
 *
 * lock.c is the single home of the lock's SQL, the lock table's included.
 */
#ifndef LIB_LOCK_H
#define LIB_LOCK_H

#include <stdbool.h>

#include "internal.h"
#include "strbuf.h"

/* Takes the migration lock, waiting up to lock_wait; UM_ELOCKED names the
 * holder, UM_EPOOLER refuses an advisory lock through a pooler. */
int lock_acquire(um_ctx *ctx);

/* Lets it go (nothing when not held). */
void lock_release(um_ctx *ctx);

/* The lock is held by this handle (an advisory lock: on the current
 * server session, which a lost connection took with it). */
bool lock_held(const um_ctx *ctx);

/*
 * lock_mode = table, lock held: appends to @sb the statement that renews
 * the lease and fails the transaction it runs in when another run took
 * the lock over; sent in the same message as a revision's SQL or its
 * bookkeeping, so that they commit only while the lock is this run's.
 * Appends nothing otherwise.  false when out of memory (error set).
 */
bool lock_append_fence(um_ctx *ctx, strbuf *sb);

/*
 * lock_mode = table, lock held: puts this run's row back after a restore
 * replaced the database under the lock (a backup that holds the lock
 * table brings back the row of the run that took it).  Only while this
 * run's lease, counted from when it took the row, has not run out: no
 * other run can have taken the lock before then, so a row that is not
 * ours came with the backup.  UM_OK and nothing done otherwise; the fence
 * of the next write (lock_append_fence) then says whether it is ours.
 */
int lock_reclaim(um_ctx *ctx);

/*
 * Whether another session holds the migration lock right now, without
 * taking it (the health snapshot, to tell a run migrating from a killed
 * one): advisory, its key granted to another backend in pg_locks; table,
 * a lock row of another run whose lease has not expired (a killed run's
 * row counts until then).  Only a holder that had the lock at @since (a
 * server timestamp; NULL: any) counts: a session that took it later (a
 * backup after a run was killed) is not the run that was on then.  One
 * query; no pooler check.
 */
int lock_probe(um_ctx *ctx, const char *since, bool *held);

/*
 * lock_probe() since the revision left in progress was marked (the newest
 * such mark): whether the run that marked it is still applying it, for
 * health's "migrating" and status alike.  Two queries.
 */
int lock_probe_run(um_ctx *ctx, bool *held);

/* At um_close: frees what the lock kept (struct lock_session). */
void lock_session_free(um_ctx *ctx);

#endif
