/*
 * lock.c - the migration lock (lock.h), and every statement it sends.
 *
 * Advisory: the key is FNV-1a (64 bit) of the qualified version table
 * name, so that projects sharing a database but not a version table do
 * not block each other.  A waiter polls pg_try_advisory_lock with backoff
 * until lock_wait (advisory_wait says why not pg_advisory_lock); a holder
 * that dies lets go with its session.  Before the first lock on a server session the
 * connection is checked to reach the server directly (check_direct).
 *
 * Table: one row in <version_table>_lock, with the owner (a random token,
 * host, pid, application_name), when it was taken, its heartbeat and the
 * end of its lease.  Taking it is one INSERT ... ON CONFLICT that succeeds
 * only when there is no row or its lease expired; a waiter polls with
 * backoff until lock_wait.  The holder renews the lease in the transaction
 * of each revision and each bookkeeping write (lock_append_fence), which
 * fails when the row is no longer its: a run whose lease expired and was
 * taken over commits nothing more.  Every statement is sent on its own
 * (PQexecParams) or in a revision's message; nothing is prepared and no
 * setting is changed, so each may run on another server session.
 */
#include "lock.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "pg.h"
#include "store.h"
#include "util.h"

/* lock_mode = table: how a waiter polls (ms): from the first to the most. */
#define TABLE_POLL_FIRST_MS 25
#define TABLE_POLL_MAX_MS   500
/* A waiter for the advisory lock tries again this often (doubling): a
 * holder's end is seen within 200 ms. */
#define ADVISORY_POLL_FIRST_MS 10
#define ADVISORY_POLL_MAX_MS   200
/* SQLSTATEs of a lock table or schema not there yet, and of a concurrent
 * CREATE that won the race. */
#define TOKEN_BYTES 16

struct lock_session {
    char *table;                       /* <version_table>_lock, quoted and qualified */
    unsigned long advisory_generation; /* the advisory lock is held on it; 0: no */
    unsigned long direct_generation;   /* the session was found direct; 0: not yet */
    bool table_held;                   /* the lock row is ours */
    double taken_ms;                   /* util_now_ms() before the row was taken */
    char token[2 * TOKEN_BYTES + 1];   /* our row's token, new for each lock taken */
};

void lock_session_free(um_ctx *ctx)
{
    if (!ctx->lock)
        return;
    free(ctx->lock->table);
    free(ctx->lock);
    ctx->lock = NULL;
}

static int ensure_session(um_ctx *ctx)
{
    int rc = store_connect(ctx);
    if (rc || ctx->lock)
        return rc;
    struct lock_session *l = calloc(1, sizeof(*l));
    if (!l)
        return err_nomem(&ctx->err);
    l->table = store_qualified_name(ctx, "_lock");
    if (!l->table) {
        free(l);
        return err_code_or_nomem(&ctx->err);
    }
    ctx->lock = l;
    return UM_OK;
}

static bool table_mode(const um_ctx *ctx)
{
    return ctx->cfg.lock_mode == CONFIG_LOCK_TABLE;
}

bool lock_held(const um_ctx *ctx)
{
    const struct lock_session *l = ctx->lock;
    if (!l)
        return false;
    if (table_mode(ctx))
        return l->table_held;
    return l->advisory_generation == pg_generation(ctx) && pg_connected(ctx);
}

static bool has_sqlstate(const pg_failure *f, const char *sqlstate)
{
    return f->sqlstate && strcmp(f->sqlstate, sqlstate) == 0;
}

/* ---- advisory ------------------------------------------------------- */

/* pg_locks shows a bigint key as classid (high 32 bits) and objid (low). */
static int64_t advisory_key(const um_ctx *ctx)
{
    const char *schema = ctx->cfg.version_table_schema, *table = ctx->cfg.version_table;
    uint64_t h = util_fnv1a(UTIL_FNV1A_INIT, schema, strlen(schema));
    h = util_fnv1a(h, ".", 1);
    return (int64_t)util_fnv1a(h, table, strlen(table));
}

/*
 * An advisory lock belongs to the server session that took it.  Through a
 * pooler that hands each transaction to any server session (PgBouncer in
 * transaction mode) it stays on a session the run no longer uses, after
 * the run too, and excludes nobody.  The check costs one round trip, once
 * per server session: a direct connection runs its statements in the
 * backend that answered its startup.  A pooler answers the startup itself
 * (PgBouncer with a made-up pid), so the pids differ; a second transaction
 * shows whether statements also move between server sessions.  A pooler
 * in session mode cannot be told from one in transaction mode from here
 * (an idle pool gives a lone client the same server session back): both
 * are refused, and lock_mode = table works behind either.
 */
static int check_direct(um_ctx *ctx)
{
    struct lock_session *l = ctx->lock;
    if (l->direct_generation == pg_generation(ctx) && pg_connected(ctx))
        return UM_OK;
    int first, second;
    int rc = pg_server_pid(ctx, &first);
    if (rc)
        return rc;
    int startup = pg_startup_pid(ctx);
    if (first == startup) {
        l->direct_generation = pg_generation(ctx);
        return UM_OK;
    }
    rc = pg_server_pid(ctx, &second);
    if (rc)
        return rc;
    strbuf why = STRBUF_INIT;
    sb_printf(&why, "its statements run in backend %d", first);
    /* PgBouncer makes the startup's process id up, negative as often as not */
    if (startup > 0)
        sb_printf(&why, ", not in process %d, which answered its startup", startup);
    else
        sb_puts(&why, ", while its startup was answered with a made-up process id");
    if (second != first)
        sb_printf(&why, ", and two consecutive transactions ran in backends %d and %d", first,
                  second);
    rc = ctx_error(ctx, UM_EPOOLER, NULL, 0, NULL,
                   "the connection goes through a connection pooler (%s): with"
                   " lock_mode = advisory a session's advisory lock would not keep other runs"
                   " out; nothing was run. Connect to the server directly (not through"
                   " PgBouncer or another pooler), or set lock_mode = table in the"
                   " configuration",
                   sb_str(&why) ? sb_str(&why) : "its statements run in another backend");
    sb_free(&why);
    return rc;
}

/* Whoever else has the advisory lock of the key in $1 and $2 granted: the
 * sessions that hold the migration lock, as pg_locks and pg_stat_activity
 * show them. */
#define ADVISORY_HOLDERS                                                                           \
    " FROM pg_locks l JOIN pg_stat_activity a USING (pid)"                                         \
    " WHERE l.locktype = 'advisory' AND l.granted"                                                 \
    " AND l.classid = $1::oid AND l.objid = $2::oid AND l.objsubid = 1"                            \
    " AND l.pid <> pg_backend_pid()"                                                               \
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"

/* Runs @sql, which reads ADVISORY_HOLDERS, with the migration lock's key
 * and, as $3 when not NULL, @extra. */
static int advisory_holders(um_ctx *ctx, const char *sql, const char *extra, pg_rows **rows)
{
    char classid[16], objid[16];
    uint64_t u = (uint64_t)advisory_key(ctx);
    snprintf(classid, sizeof(classid), "%u", (unsigned)(u >> 32));
    snprintf(objid, sizeof(objid), "%u", (unsigned)(u & 0xffffffffu));
    const char *params[3] = { classid, objid, extra };
    return pg_query(ctx, sql, extra ? 3 : 2, params, rows, NULL);
}

static int advisory_holder_error(um_ctx *ctx)
{
    pg_rows *rows = NULL;
    int rc = advisory_holders(ctx,
                              "SELECT a.pid, coalesce(nullif(a.application_name, ''), '(none)'),"
                              " to_char(coalesce(a.xact_start, a.backend_start) AT TIME ZONE 'UTC',"
                              "         'YYYY-MM-DD HH24:MI:SS\"Z\"'),"
                              " coalesce(a.usename::text, '?'),"
                              " coalesce(a.client_addr::text, 'local')" ADVISORY_HOLDERS,
                              NULL, &rows);
    if (rc)
        return rc;
    if (pg_rows_count(rows) == 0)
        ctx_error(ctx, UM_ELOCKED, NULL, 0, NULL,
                  "the migration lock is held by another session (it could not be identified)");
    else /* the holder names itself: masked as a server's message */
        pg_error(ctx, UM_ELOCKED,
                 "the migration lock is held by backend pid %s (application_name '%s',"
                 " role %s from %s, since %s); gave up after lock_wait = %d ms",
                 pg_rows_value(rows, 0, 0), pg_rows_value(rows, 0, 1), pg_rows_value(rows, 0, 3),
                 pg_rows_value(rows, 0, 4), pg_rows_value(rows, 0, 2), ctx->cfg.lock_wait_ms);
    pg_rows_free(rows);
    return UM_ELOCKED;
}

/* Whether another session holds the advisory lock. */
/* A session holds an advisory lock from when it took it to its end, and
 * took it after it started: one that started after @since did not have it
 * then. */
static int advisory_probe(um_ctx *ctx, const char *since, bool *held)
{
    pg_rows *rows = NULL;
    int rc = advisory_holders(ctx,
                              since ? "SELECT EXISTS (SELECT 1" ADVISORY_HOLDERS
                                      " AND a.backend_start <= $3::timestamptz)"
                                    : "SELECT EXISTS (SELECT 1" ADVISORY_HOLDERS ")",
                              since, &rows);
    if (rc)
        return rc;
    *held = strcmp(pg_rows_value(rows, 0, 0), "t") == 0;
    pg_rows_free(rows);
    return UM_OK;
}

static int advisory_try(um_ctx *ctx, const char *key, bool *got)
{
    pg_rows *rows = NULL;
    int rc = pg_query(ctx, "SELECT pg_try_advisory_lock($1::bigint)", 1, &key, &rows, NULL);
    if (rc)
        return rc;
    *got = strcmp(pg_rows_value(rows, 0, 0), "t") == 0;
    pg_rows_free(rows);
    return UM_OK;
}

static int cancelled_waiting(um_ctx *ctx)
{
    return ctx_error(ctx, UM_ECANCELLED, NULL, 0, NULL,
                     "cancelled by the host while waiting for the migration lock");
}

/*
 * Polls pg_try_advisory_lock with backoff until lock_wait, each try a
 * statement of its own.  Not one pg_advisory_lock waiting on the server:
 * a statement blocked there holds its snapshot for as long as it waits,
 * and a holder's CREATE INDEX CONCURRENTLY (a "Transactional: no"
 * revision) waits for every older snapshot to go: the server found the
 * two waiting on each other and killed one, the waiter (exit 8 instead of
 * a wait) or the index build (the revision left failed part-way).  Between
 * tries the waiter holds nothing; a try is too short for the index build
 * to notice, and statement_timeout cannot cut it.
 */
static int advisory_wait(um_ctx *ctx, const char *key, bool *got)
{
    pg_backoff wait;
    pg_backoff_start(&wait, ctx->cfg.lock_wait_ms, ADVISORY_POLL_FIRST_MS, ADVISORY_POLL_MAX_MS);
    int rc = UM_OK;
    while (!rc && !*got && pg_backoff_sleep(ctx, &wait))
        rc = advisory_try(ctx, key, got);
    if (!rc && !*got && pg_cancel_requested(ctx))
        return cancelled_waiting(ctx);
    return rc;
}

static void advisory_release(um_ctx *ctx)
{
    char key[32];
    snprintf(key, sizeof(key), "%lld", (long long)advisory_key(ctx));
    const char *p = key;
    /* A failure here means the connection is gone, and the server dropped
     * the lock with the session. */
    pg_failure fail = { 0 };
    pg_query(ctx, "SELECT pg_advisory_unlock($1::bigint)", 1, &p, NULL, &fail);
    pg_failure_clear(&fail);
    ctx->lock->advisory_generation = 0;
}

static int advisory_acquire(um_ctx *ctx)
{
    int rc = check_direct(ctx);
    if (rc)
        return rc;
    char key[32];
    snprintf(key, sizeof(key), "%lld", (long long)advisory_key(ctx));

    bool got = false;
    rc = advisory_try(ctx, key, &got);
    if (!rc && !got && ctx->cfg.lock_wait_ms > 0) {
        log_printf(&ctx->log, UM_LOG_INFO, "waiting up to %d ms for the migration lock",
                   ctx->cfg.lock_wait_ms);
        rc = advisory_wait(ctx, key, &got);
    }
    if (rc && got) {
        /* taken, but the session could not be put back as it was: give
         * the lock back rather than keep it for the session's life */
        err_buf kept = err_stash(&ctx->err);
        advisory_release(ctx);
        err_unstash(&ctx->err, &kept);
    }
    if (rc)
        return rc;
    if (!got)
        return advisory_holder_error(ctx);
    ctx->lock->advisory_generation = pg_generation(ctx);
    return UM_OK;
}

/* ---- table ---------------------------------------------------------- */

/* The lock table and, when missing, its schema.  Runs that start together
 * race to create them: the loser's error means they are there (a unique
 * violation, or "relation", "schema" or "type already exists": the
 * table's row type, when the winner committed while the loser created). */
static int table_create(um_ctx *ctx)
{
    strbuf sql = STRBUF_INIT;
    int rc = store_append_create_schema(ctx, &sql);
    if (rc) {
        sb_free(&sql);
        return rc;
    }
    sb_printf(&sql,
              "CREATE TABLE IF NOT EXISTS %s (\n"
              "  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),\n"
              "  token text NOT NULL,\n"
              "  host text,\n"
              "  pid integer,\n"
              "  application_name text,\n"
              "  acquired_at timestamptz NOT NULL DEFAULT clock_timestamp(),\n"
              "  heartbeat_at timestamptz NOT NULL DEFAULT clock_timestamp(),\n"
              "  lease_until timestamptz NOT NULL);\n",
              ctx->lock->table);
    if (sb_failed(&sql))
        return err_nomem(&ctx->err);
    log_printf(&ctx->log, UM_LOG_INFO, "creating the lock table %s (lock_mode = table)",
               ctx->lock->table);
    pg_failure fail = { 0 };
    rc = pg_exec(ctx, sb_str(&sql), &fail);
    sb_free(&sql);
    if (rc == UM_ESQL && (has_sqlstate(&fail, SQLSTATE_UNIQUE_VIOLATION) ||
                          has_sqlstate(&fail, SQLSTATE_DUPLICATE_TABLE) ||
                          has_sqlstate(&fail, SQLSTATE_DUPLICATE_OBJECT) ||
                          has_sqlstate(&fail, SQLSTATE_DUPLICATE_SCHEMA)))
        rc = UM_OK;
    else if (rc)
        pg_failure_to_error(ctx, &fail, NULL, 0, NULL, "cannot create the lock table");
    pg_failure_clear(&fail);
    return rc;
}

/* Whose row a table_try() replaces. */
typedef enum table_take {
    TAKE_EXPIRED, /* only a row whose lease expired */
    TAKE_ANY,     /* any row: lock_reclaim() */
} table_take;

/*
 * One attempt: the row is ours when there was none or, by @take, its
 * lease had expired (a run killed or cut off); *took_over names the run
 * it was taken from.  The statement locks the row, so two attempts are
 * decided one after the other.
 */
static int table_try(um_ctx *ctx, table_take take, bool *got, char **took_over, pg_failure *fail)
{
    struct lock_session *l = ctx->lock;
    char pid[16], lease[16];
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    snprintf(lease, sizeof(lease), "%d", ctx->cfg.lock_lease_ms);
    const char *params[4] = { l->token, store_host(ctx), pid, lease };
    strbuf sql = STRBUF_INIT;
    sb_printf(&sql,
              "WITH before AS (SELECT host || ' pid ' || pid || ' (application_name '''"
              " || coalesce(application_name, '') || ''', lease expired at '"
              " || to_char(lease_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS\"Z\"') || ')'"
              " AS owner FROM %s WHERE token <> $1)"
              " INSERT INTO %s AS l (token, host, pid, application_name, lease_until)"
              " VALUES ($1, $2, $3::integer, current_setting('application_name'),"
              "         clock_timestamp() + $4::bigint * interval '1 millisecond')"
              " ON CONFLICT (singleton) DO UPDATE SET token = EXCLUDED.token,"
              " host = EXCLUDED.host, pid = EXCLUDED.pid,"
              " application_name = EXCLUDED.application_name, acquired_at = clock_timestamp(),"
              " heartbeat_at = clock_timestamp(), lease_until = EXCLUDED.lease_until"
              " WHERE %s RETURNING (SELECT owner FROM before)",
              l->table, l->table, take == TAKE_ANY ? "true" : "l.lease_until < clock_timestamp()");
    if (sb_failed(&sql))
        return err_nomem(&ctx->err);
    pg_rows *rows = NULL;
    l->taken_ms = util_now_ms();
    int rc = pg_query(ctx, sb_str(&sql), 4, params, &rows, fail);
    sb_free(&sql);
    *got = !rc && pg_rows_count(rows) == 1;
    if (*got && pg_rows_value(rows, 0, 0))
        *took_over = strdup(pg_rows_value(rows, 0, 0));
    pg_rows_free(rows);
    return rc;
}

/* table_try, creating the table when it is not there yet. */
static int table_try_creating(um_ctx *ctx, table_take take, bool *got)
{
    pg_failure fail = { 0 };
    char *took_over = NULL;
    int rc = table_try(ctx, take, got, &took_over, &fail);
    if (rc == UM_ESQL && (has_sqlstate(&fail, SQLSTATE_UNDEFINED_TABLE) ||
                          has_sqlstate(&fail, SQLSTATE_UNDEFINED_SCHEMA))) {
        pg_failure_clear(&fail);
        rc = table_create(ctx);
        if (!rc)
            rc = table_try(ctx, take, got, &took_over, &fail);
    }
    if (rc && fail.message)
        pg_failure_to_error(ctx, &fail, NULL, 0, NULL, "cannot take the migration lock");
    pg_failure_clear(&fail);
    if (took_over && take == TAKE_EXPIRED)
        log_printf(&ctx->log, UM_LOG_WARNING,
                   "took the migration lock over from %s: that run was killed or cut off",
                   took_over);
    else if (took_over)
        log_printf(&ctx->log, UM_LOG_WARNING,
                   "the restored database held the migration lock row of %s, saved with the"
                   " backup: this run's row is put back in its place",
                   took_over);
    free(took_over);
    return rc;
}

static int table_holder_error(um_ctx *ctx)
{
    strbuf sql = STRBUF_INIT;
    sb_printf(&sql,
              "SELECT coalesce(host, '?'), coalesce(pid::text, '?'),"
              " coalesce(nullif(application_name, ''), '(none)'),"
              " to_char(acquired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS\"Z\"'),"
              " to_char(heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS\"Z\"'),"
              " to_char(lease_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS\"Z\"')"
              " FROM %s",
              ctx->lock->table);
    if (sb_failed(&sql))
        return err_nomem(&ctx->err);
    pg_rows *rows = NULL;
    int rc = pg_query(ctx, sb_str(&sql), 0, NULL, &rows, NULL);
    sb_free(&sql);
    if (rc)
        return rc;
    if (pg_rows_count(rows) == 0)
        ctx_error(ctx, UM_ELOCKED, NULL, 0, NULL,
                  "the migration lock was released just as lock_wait = %d ms ran out; try again",
                  ctx->cfg.lock_wait_ms);
    else /* the holder names itself: masked as a server's message */
        pg_error(ctx, UM_ELOCKED,
                 "the migration lock (table %s) is held by host %s pid %s (application_name"
                 " '%s', since %s, last heartbeat %s, lease until %s); gave up after"
                 " lock_wait = %d ms",
                 ctx->lock->table, pg_rows_value(rows, 0, 0), pg_rows_value(rows, 0, 1),
                 pg_rows_value(rows, 0, 2), pg_rows_value(rows, 0, 3), pg_rows_value(rows, 0, 4),
                 pg_rows_value(rows, 0, 5), ctx->cfg.lock_wait_ms);
    pg_rows_free(rows);
    return UM_ELOCKED;
}

/* Whether another run's lease on the lock row has not expired; no lock
 * table: nobody ever took the lock this way. */
static int table_probe(um_ctx *ctx, const char *since, bool *held)
{
    strbuf sql = STRBUF_INIT;
    sb_printf(&sql,
              "SELECT EXISTS (SELECT 1 FROM %s WHERE token <> $1"
              " AND lease_until >= clock_timestamp()%s)",
              ctx->lock->table, since ? " AND acquired_at <= $2::timestamptz" : "");
    if (sb_failed(&sql))
        return err_nomem(&ctx->err);
    const char *params[2] = { ctx->lock->token, since };
    pg_rows *rows = NULL;
    pg_failure fail = { 0 };
    int rc = pg_query(ctx, sb_str(&sql), since ? 2 : 1, params, &rows, &fail);
    sb_free(&sql);
    if (rc == UM_ESQL && (has_sqlstate(&fail, SQLSTATE_UNDEFINED_TABLE) ||
                          has_sqlstate(&fail, SQLSTATE_UNDEFINED_SCHEMA)))
        rc = UM_OK;
    else if (rc && fail.message)
        pg_failure_to_error(ctx, &fail, NULL, 0, NULL, "cannot read the lock table");
    else if (!rc)
        *held = strcmp(pg_rows_value(rows, 0, 0), "t") == 0;
    pg_failure_clear(&fail);
    pg_rows_free(rows);
    return rc;
}

static int new_token(um_ctx *ctx)
{
    unsigned char bytes[TOKEN_BYTES];
    if (RAND_bytes(bytes, (int)sizeof(bytes)) != 1)
        return ctx_error(ctx, UM_ERROR, NULL, 0, NULL,
                         "cannot make a random token for the migration lock (OpenSSL RAND_bytes)");
    util_hex(bytes, sizeof(bytes), ctx->lock->token);
    return UM_OK;
}

/* Polls with backoff (pg_backoff, as pg_wait_connected waits for the
 * server) until the row is ours or lock_wait has passed. */
static int table_acquire(um_ctx *ctx)
{
    int rc = new_token(ctx);
    if (rc)
        return rc;
    pg_backoff wait;
    pg_backoff_start(&wait, ctx->cfg.lock_wait_ms, TABLE_POLL_FIRST_MS, TABLE_POLL_MAX_MS);
    bool got = false;
    for (bool waited = false;; waited = true) {
        rc = table_try_creating(ctx, TAKE_EXPIRED, &got);
        if (rc || got)
            break;
        if (!waited && ctx->cfg.lock_wait_ms > 0)
            log_printf(&ctx->log, UM_LOG_INFO, "waiting up to %d ms for the migration lock (%s)",
                       ctx->cfg.lock_wait_ms, ctx->lock->table);
        if (!pg_backoff_sleep(ctx, &wait))
            break;
    }
    if (rc)
        return rc;
    if (got) {
        ctx->lock->table_held = true;
        return UM_OK;
    }
    return pg_cancel_requested(ctx) ? cancelled_waiting(ctx) : table_holder_error(ctx);
}

/* A release that fails leaves the row to its lease (logged): the next run
 * takes it over once the lease expired. */
static void table_release(um_ctx *ctx)
{
    struct lock_session *l = ctx->lock;
    strbuf sql = STRBUF_INIT;
    sb_printf(&sql, "DELETE FROM %s WHERE token = $1", l->table);
    const char *token = l->token;
    pg_failure fail = { 0 };
    l->table_held = false;
    if (sb_failed(&sql)) {
        log_printf(&ctx->log, UM_LOG_WARNING, "cannot release the migration lock: out of memory");
        return;
    }
    err_buf kept = err_stash(&ctx->err);
    if (pg_query(ctx, sb_str(&sql), 1, &token, NULL, &fail) != UM_OK)
        log_printf(&ctx->log, UM_LOG_WARNING,
                   "cannot release the migration lock (%s): it stays until its lease"
                   " (lock_lease = %d ms) expires",
                   fail.message ? fail.message : um_errmsg(ctx), ctx->cfg.lock_lease_ms);
    err_unstash(&ctx->err, &kept);
    pg_failure_clear(&fail);
    sb_free(&sql);
}

/*
 * A DO block, the only way for plain SQL in a message to fail on a
 * condition.  Its dollar-quote tag must not occur in what it quotes (the
 * table name comes from the configuration): a number is added until it
 * does not.
 */
bool lock_append_fence(um_ctx *ctx, strbuf *sb)
{
    if (!table_mode(ctx) || !lock_held(ctx))
        return true;
    strbuf body = STRBUF_INIT;
    sb_printf(&body,
              "BEGIN UPDATE %s SET heartbeat_at = clock_timestamp(),"
              " lease_until = clock_timestamp() + interval '%d milliseconds' WHERE token = ",
              ctx->lock->table, ctx->cfg.lock_lease_ms);
    pg_append_literal(ctx, &body, ctx->lock->token);
    sb_puts(&body, "; IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = '" SQLSTATE_LOCK_LOST
                   "', MESSAGE = 'this run no longer holds the migration lock: its lease"
                   " (lock_lease) expired and another run took the lock over',"
                   " HINT = 'nothing of this transaction was committed; raise lock_lease"
                   " above the longest revision'; END IF; END");
    char tag[32] = "$um_lock$";
    for (int n = 1; sb_str(&body) && strstr(sb_str(&body), tag); n++)
        snprintf(tag, sizeof(tag), "$um_lock%d$", n);
    sb_printf(sb, "DO %s%s%s;\n", tag, sb_str(&body) ? sb_str(&body) : "", tag);
    bool ok = !sb_failed(&body) && !sb_failed(sb) && ctx->err.d.code == UM_OK;
    sb_free(&body);
    if (!ok)
        err_code_or_nomem(&ctx->err);
    return ok;
}

/* ---- either --------------------------------------------------------- */

int lock_reclaim(um_ctx *ctx)
{
    if (!table_mode(ctx) || !lock_held(ctx))
        return UM_OK;
    /* counted from before the row was taken: never later than the server's */
    if (util_now_ms() - ctx->lock->taken_ms >= (double)ctx->cfg.lock_lease_ms)
        return UM_OK;
    bool got = false;
    return table_try_creating(ctx, TAKE_ANY, &got);
}

int lock_probe(um_ctx *ctx, const char *since, bool *held)
{
    *held = false;
    int rc = ensure_session(ctx);
    if (rc)
        return rc;
    return table_mode(ctx) ? table_probe(ctx, since, held) : advisory_probe(ctx, since, held);
}

int lock_probe_run(um_ctx *ctx, bool *held)
{
    pg_rows *marked = NULL;
    int rc = store_read_marked_at(ctx, &marked);
    if (!rc)
        rc = lock_probe(ctx, pg_rows_value(marked, 0, 0), held);
    pg_rows_free(marked);
    return rc;
}

int lock_acquire(um_ctx *ctx)
{
    int rc = ensure_session(ctx);
    if (rc)
        return rc;
    return table_mode(ctx) ? table_acquire(ctx) : advisory_acquire(ctx);
}

void lock_release(um_ctx *ctx)
{
    if (!lock_held(ctx))
        return;
    if (table_mode(ctx))
        table_release(ctx);
    else
        advisory_release(ctx);
}
