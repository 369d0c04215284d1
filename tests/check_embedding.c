/*
 * check_embedding.c - the contract with a host that embeds the engine,
 * against a real PostgreSQL: a borrowed connection (um_open_options.pg_conn)
 * is refused inside a transaction and otherwise left as it was found
 * (settings, prepared statements, notice handling); um_cancel from another
 * thread, recorded as a cancellation; um_wait_for_database; a server
 * restart under an open handle; logging; authentication failures.
 *
 * Each test gets its own database and project directory (pgtest.h's
 * project fixture); a server that stops or starts late is a dedicated
 * cluster (pgtest_dedicated_start).
 */
#define PGTEST_SHORT_NAMES
#include "pgtest.h"

#include <ultramigrate/ultramigrate.h>

#include <check.h>
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ------------------------------------------------------------------ */
/* The host's own connection                                            */
/* ------------------------------------------------------------------ */

static PGconn *host_connect(const char *url)
{
    PGconn *c = PQconnectdb(url);
    ck_assert_ptr_nonnull(c);
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
    PQsetNoticeProcessor(c, pgtest_quiet_notices, NULL);
    return c;
}

/* First value of @sql on @c ("<null>" for NULL); the query must succeed. */
static const char *conn_value(PGconn *c, const char *sql_text)
{
    PGresult *res = PQexec(c, sql_text);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql_text, PQerrorMessage(c));
    const char *v = PQntuples(res) && !PQgetisnull(res, 0, 0) ? PQgetvalue(res, 0, 0) : "<null>";
    char *copy = strdup(v);
    PQclear(res);
    return pgtest_keep(copy);
}

static void conn_exec(PGconn *c, const char *sql_text)
{
    PGresult *res = PQexec(c, sql_text);
    ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", sql_text, PQerrorMessage(c));
    PQclear(res);
}

/* The host's session settings, which the engine must give back. */
static void host_settings(PGconn *c)
{
    conn_exec(c, "SET lock_timeout = '7s'");
    conn_exec(c, "SET statement_timeout = '7s'");
}

/* @c is as the host left it: open, idle, its settings, no lock, no
 * statement of the engine's runs. */
static void assert_as_found(PGconn *c)
{
    ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
    ck_assert_msg(PQtransactionStatus(c) == PQTRANS_IDLE, "transaction status %d",
                  (int)PQtransactionStatus(c));
    ck_assert_str_eq(conn_value(c, "SHOW lock_timeout"), "7s");
    ck_assert_str_eq(conn_value(c, "SHOW statement_timeout"), "7s");
    ck_assert_str_eq(conn_value(c, "SELECT count(*) FROM pg_locks"
                                   " WHERE locktype = 'advisory' AND pid = pg_backend_pid()"),
                     "0");
    ck_assert_str_eq(conn_value(c, "SELECT string_agg(name, ',') FROM pg_prepared_statements"),
                     "<null>");
    ck_assert_str_eq(conn_value(c, "SELECT 41 + 1"), "42");
}

/* ------------------------------------------------------------------ */
/* 1. A borrowed connection                                             */
/* ------------------------------------------------------------------ */

/* Waits until some session of the test database holds an advisory lock. */
static void wait_for_lock_holder(void)
{
    for (int i = 0; i < 500; i++) {
        if (strcmp(qv("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                      " AND granted AND database = (SELECT oid FROM pg_database"
                      " WHERE datname = current_database())"),
                   "0") != 0)
            return;
        sleep_ms(10);
    }
    ck_abort_msg("nobody took the migration lock");
}

/*
 * An upgrade on the host's connection, which first waits for the
 * migration lock another process holds, and runs transactional and
 * "Transactional: no" revisions under configured timeouts: the connection
 * comes back open, idle, with the host's settings and without the lock.
 */
START_TEST(borrowed_upgrade_leaves_session)
{
    write_ini("lock_timeout = 2s\nstatement_timeout = 3s\n");
    write_rev("r1", NULL, "SELECT pg_sleep(1.5);\nCREATE TABLE t1 (id int);", "DROP TABLE t1;");
    write_table_rev("r2", "r1", "t2");
    write_rev_full("r3", "r2", 0,
                   "CREATE TABLE t3 (id int);\nCREATE INDEX CONCURRENTLY"
                   " t3_idx ON t3 (id);",
                   "DROP TABLE t3;");
    write_table_rev("r4", "r3", "t4");

    /* another process applies r1, holding the lock for 1.5 s */
    pid_t holder = fork();
    ck_assert_int_ge(holder, 0);
    if (holder == 0) {
        um_open_options o = UM_OPEN_OPTIONS_INIT;
        o.config_path = ini_path;
        o.database_url = db_url;
        o.application_name = "holder";
        um_ctx *c = NULL;
        int rc = um_open(&c, &o);
        if (rc == UM_OK)
            rc = um_upgrade(c, "r1", NULL);
        um_close(c);
        _exit(rc == UM_OK ? 0 : 1);
    }
    wait_for_lock_holder();

    PGconn *conn = host_connect(db_url);
    host_settings(conn);
    pgtest_log log = { "" };
    um_ctx *ctx = open_with(NULL, conn, pgtest_log_line, &log);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    int ws = 0;
    ck_assert_int_eq(waitpid(holder, &ws, 0), holder);
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "the lock holder failed");
    ck_assert_msg(strstr(log.text, "waiting"), "did not wait for the lock:\n%s", log.text);
    ck_assert_str_eq(versions(), "r4");
    ck_assert_str_eq(qv("SELECT application_name FROM ultramigrate_version_applied"
                        " WHERE revision = 'r1'"),
                     "holder");
    ck_assert(table_exists("t3_idx"));
    assert_as_found(conn);

    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_OK);
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    um_status_free(st);
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "r2", NULL));
    assert_as_found(conn);

    um_close(ctx);
    assert_as_found(conn); /* not closed */
    PQfinish(conn);
}
END_TEST

/* Notices that reach the host's own processor. */
typedef struct host_notices {
    int count;
    char last[256];
} host_notices;

static void count_notices(void *arg, const char *message)
{
    host_notices *n = arg;
    n->count++;
    snprintf(n->last, sizeof(n->last), "%s", message);
}

/* The migration lock's key, computed as docs/embedding.md says: 64-bit
 * FNV-1a of "<version_table_schema>.<version_table>". */
static long long documented_lock_key(const char *qualified_table)
{
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)qualified_table; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (long long)h;
}

/* Settings the session never set are left unset (not set back to the
 * default's value, which would show as set in the session). */
static void assert_settings_default(PGconn *c)
{
    ck_assert_str_eq(conn_value(c, "SELECT string_agg(name || '=' || source, ',' ORDER BY name)"
                                   " FROM pg_settings"
                                   " WHERE name IN ('lock_timeout', 'statement_timeout')"),
                     "lock_timeout=default,statement_timeout=default");
}

/*
 * A host that set nothing on its connection: the timeouts the engine sets
 * (for a "Transactional: no" revision, for the lock wait) are RESET after,
 * nothing stays prepared (the health query included), notices of the
 * engine's statements do not reach the host's processor, which is back
 * with its argument after each call.
 */
START_TEST(borrowed_session_untouched)
{
    pgtest_write_ini(proj_dir, "ultramigrate.ini", "300ms",
                     "lock_timeout = 2s\nstatement_timeout = 3s\n");
    write_table_rev("r1", NULL, "t1");
    write_rev_full("r2", "r1", 0,
                   "CREATE TABLE t2 (id int);\nDO $$ BEGIN RAISE NOTICE 'from r2'; END $$;",
                   "DROP TABLE t2;");
    PGconn *conn = PQconnectdb(db_url);
    ck_assert_int_eq(PQstatus(conn), CONNECTION_OK);
    host_notices seen = { 0, "" };
    PQsetNoticeProcessor(conn, count_notices, &seen);
    um_ctx *ctx = open_with(NULL, conn, NULL, NULL);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_msg(seen.count == 0, "the host's processor saw: %s", seen.last);
    assert_settings_default(conn);
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    ck_assert_str_eq(conn_value(conn, "SELECT string_agg(name, ',') FROM pg_prepared_statements"),
                     "<null>");

    /* another session holds the migration lock: the wait gives up */
    PGconn *holder = host_connect(db_url);
    conn_value(holder, pgtest_fmt("SELECT pg_advisory_lock(%lld)",
                                  documented_lock_key("public.ultramigrate_version")));
    PGTEST_CHECK_RC(ctx, um_rollback(ctx, "r1", NULL), UM_ELOCKED);
    ck_assert_msg(strstr(um_errmsg(ctx), pgtest_fmt("pid %d", PQbackendPID(holder))),
                  "the holder is not named: %s", um_errmsg(ctx));
    assert_settings_default(conn);
    PQfinish(holder);

    conn_exec(conn, "DO $$ BEGIN RAISE NOTICE 'from the host'; END $$");
    ck_assert_int_eq(seen.count, 1);
    ck_assert_msg(strstr(seen.last, "from the host"), "the host saw: %s", seen.last);
    um_close(ctx);
    PQfinish(conn);
}
END_TEST

/* A connection lent inside the host's transaction (open, or failed) is
 * refused before anything is sent: the host's transaction goes on, and
 * nothing is recorded. */
/* Lent inside a transaction (open, failed) or in pipeline mode: refused,
 * nothing sent, the host's work untouched. */
START_TEST(borrowed_in_transaction_refused)
{
    write_linear(1);
    PGconn *conn = host_connect(db_url);
    conn_exec(conn, "CREATE TABLE host_rows (id int)");
    conn_exec(conn, "BEGIN");
    conn_exec(conn, "INSERT INTO host_rows VALUES (1)");
    um_ctx *ctx = open_with(NULL, conn, NULL, NULL);
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_EINVAL);
    ck_assert_msg(strstr(um_errmsg(ctx), "transaction"), "message: %s", um_errmsg(ctx));
    um_status_info *st = NULL;
    PGTEST_CHECK_RC(ctx, um_status(&st, ctx), UM_EINVAL);
    um_health h = UM_HEALTH_INIT;
    PGTEST_CHECK_RC(ctx, um_health_snapshot(&h, ctx), UM_EINVAL);
    ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_INTRANS);
    ck_assert_str_eq(conn_value(conn, "SELECT count(*) FROM host_rows"), "1");
    conn_exec(conn, "COMMIT");
    ck_assert_str_eq(qv("SELECT count(*) FROM host_rows"), "1");
    ck_assert(!table_exists("ultramigrate_version_history"));

    /* a failed transaction too */
    conn_exec(conn, "BEGIN");
    PQclear(PQexec(conn, "SELECT 1 / 0"));
    ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_INERROR);
    PGTEST_CHECK_RC(ctx, um_stamp(ctx, "heads"), UM_EINVAL);
    ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_INERROR);
    conn_exec(conn, "ROLLBACK");

    /* in pipeline mode, the engine's queries would join the host's */
    ck_assert_int_eq(PQenterPipelineMode(conn), 1);
    PGTEST_CHECK_RC(ctx, um_health_snapshot(&h, ctx), UM_EINVAL);
    ck_assert_msg(strstr(um_errmsg(ctx), "pipeline"), "message: %s", um_errmsg(ctx));
    PGTEST_CHECK_RC(ctx, um_status(&st, ctx), UM_EINVAL);
    ck_assert_int_eq(PQsendQueryParams(conn, "SELECT 41 + 1", 0, NULL, NULL, NULL, NULL, 0), 1);
    ck_assert_int_eq(PQpipelineSync(conn), 1);
    PGresult *res = PQgetResult(conn);
    ck_assert_str_eq(PQgetvalue(res, 0, 0), "42");
    PQclear(res);
    while ((res = PQgetResult(conn)) != NULL || PQpipelineStatus(conn) == PQ_PIPELINE_ON) {
        bool sync = res && PQresultStatus(res) == PGRES_PIPELINE_SYNC;
        PQclear(res);
        if (sync)
            break;
    }
    ck_assert_int_eq(PQexitPipelineMode(conn), 1);

    /* once the host is done with its transaction, the handle works */
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_str_eq(versions(), "r1");
    um_close(ctx);
    PQfinish(conn);
}
END_TEST

/* A revision that fails in the engine's message. */
START_TEST(borrowed_failure_transactional)
{
    write_ini("lock_timeout = 2s\nstatement_timeout = 3s\n");
    write_table_rev("r1", NULL, "t1");
    write_rev("r2", "r1", "CREATE TABLE t2 (id int);\nINSERT INTO nope VALUES (1);", NULL);
    PGconn *conn = host_connect(db_url);
    host_settings(conn);
    um_ctx *ctx = open_with(NULL, conn, NULL, NULL);
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_str_eq(versions(), "r1");
    assert_as_found(conn);
    ASSERT_STATUS(snap(ctx), UM_HEALTH_FAILED);
    um_close(ctx);
    assert_as_found(conn);
    PQfinish(conn);
}
END_TEST

/* "Transactional: no": the timeouts are set for the session, then put back,
 * also when a statement fails or times out. */
START_TEST(borrowed_failure_nontransactional)
{
    write_ini("lock_timeout = 2s\nstatement_timeout = 300ms\n");
    write_table_rev("r1", NULL, "t1");
    write_rev_full("r2", "r1", 0, "CREATE TABLE t2 (id int);\nINSERT INTO nope VALUES (1);", NULL);
    PGconn *conn = host_connect(db_url);
    host_settings(conn);
    um_ctx *ctx = open_with(NULL, conn, NULL, NULL);
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:failed");
    assert_as_found(conn);
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_FAILED);
    ASSERT_MESSAGE_HAS(h, "r2");
    um_close(ctx);
    assert_as_found(conn);

    /* killed by statement_timeout */
    sql("DELETE FROM ultramigrate_version_applied WHERE revision = 'r2'; DROP TABLE t2");
    write_rev_full("r2", "r1", 0, "CREATE TABLE t2 (id int);\nSELECT pg_sleep(3);", NULL);
    ctx = open_with(NULL, conn, NULL, NULL);
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_str_eq(um_error_detail(ctx)->sqlstate, "57014");
    assert_as_found(conn);
    um_close(ctx);
    assert_as_found(conn);
    PQfinish(conn);
}
END_TEST

/* transaction_per_migration = false: the plan's BEGIN is rolled back. */
START_TEST(borrowed_failure_single_transaction)
{
    write_ini("lock_timeout = 2s\nstatement_timeout = 3s\ntransaction_per_migration = false\n");
    write_table_rev("r1", NULL, "t1");
    write_rev("r2", "r1", "INSERT INTO nope VALUES (1);", NULL);
    PGconn *conn = host_connect(db_url);
    host_settings(conn);
    um_ctx *ctx = open_with(NULL, conn, NULL, NULL);
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_str_eq(versions(), "");
    ck_assert(!table_exists("t1"));
    assert_as_found(conn);
    um_close(ctx);
    assert_as_found(conn);
    PQfinish(conn);
}
END_TEST

/* One connection, several handles: one after another (a host that opens
 * the engine again), and two projects with their own version tables. */
START_TEST(borrowed_several_handles)
{
    write_linear(2);
    PGconn *conn = host_connect(db_url);
    host_settings(conn);
    um_ctx *ctx = open_with(NULL, conn, NULL, NULL);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    um_close(ctx);
    assert_as_found(conn);

    ctx = open_with(NULL, conn, NULL, NULL);
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    um_close(ctx);

    /* a second project in the same database, its own tables, no revision
     * applied: both handles open, used in turn */
    um_ctx *a = open_with(NULL, conn, NULL, NULL);
    write_ini("version_table = other_version\n");
    um_ctx *b = open_with(NULL, conn, NULL, NULL);
    ASSERT_STATUS(snap(a), UM_HEALTH_OK);
    um_health h = snap(b);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 2);
    ASSERT_STATUS(snap(a), UM_HEALTH_OK);
    um_close(a);
    um_close(b);
    assert_as_found(conn);
    PQfinish(conn);
}
END_TEST

/* The host's connection drops: reported unreachable until the host
 * re-establishes it, and used again then. */
START_TEST(borrowed_connection_dropped)
{
    write_linear(2);
    PGconn *conn = host_connect(db_url);
    host_settings(conn);
    um_ctx *ctx = open_with(NULL, conn, NULL, NULL);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r1", NULL));
    ASSERT_STATUS(snap(ctx), UM_HEALTH_PENDING);

    sql("SELECT pg_terminate_backend(%d)", PQbackendPID(conn));
    for (int i = 0; i < 2; i++)
        ASSERT_STATUS(snap(ctx), UM_HEALTH_UNREACHABLE);
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ECONNECT);

    PQreset(conn);
    ck_assert_int_eq(PQstatus(conn), CONNECTION_OK);
    host_settings(conn);
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 1);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    um_close(ctx);
    assert_as_found(conn);
    PQfinish(conn);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 2. Cancelling                                                        */
/* ------------------------------------------------------------------ */

typedef struct canceller {
    um_ctx *ctx;
    long delay_ms; /* cancel after this long; <0: once pg_sleep(5) runs */
    bool seen;     /* the statement was seen running */
    double at_ms;  /* when um_cancel was called */
} canceller;

/* Polls pg_stat_activity from its own connection, then cancels. */
static void *cancel_thread(void *arg)
{
    canceller *c = arg;
    if (c->delay_ms >= 0) {
        sleep_ms(c->delay_ms);
    } else {
        PGconn *conn = PQconnectdb(db_url);
        for (int i = 0; i < 1000 && PQstatus(conn) == CONNECTION_OK && !c->seen; i++) {
            PGresult *res = PQexec(conn, "SELECT count(*) FROM pg_stat_activity"
                                         " WHERE state = 'active' AND pid <> pg_backend_pid()"
                                         " AND query LIKE '%pg_sleep(5)%'");
            c->seen =
                PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "0") != 0;
            PQclear(res);
            if (!c->seen)
                sleep_ms(10);
        }
        PQfinish(conn);
    }
    c->at_ms = pgtest_now_ms();
    um_cancel(c->ctx);
    return NULL;
}

static void cancel_during_upgrade(um_ctx *ctx, const char *sleeping)
{
    canceller c = { ctx, -1, false, 0 };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, cancel_thread, &c), 0);
    int rc = um_upgrade(ctx, "heads", NULL);
    double done = pgtest_now_ms();
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_msg(c.seen, "the sleeping revision was never seen running");
    ck_assert_msg(rc == UM_ECANCELLED,
                  "um_upgrade -> %d (%s), expected UM_ECANCELLED "
                  "(%.0f ms after um_cancel)",
                  rc, um_errmsg(ctx), done - c.at_ms);
    ck_assert_msg(done - c.at_ms < 4000, "um_upgrade returned %.0f ms after um_cancel",
                  done - c.at_ms);
    ck_assert_str_eq(um_error_detail(ctx)->revision, sleeping);
}

/*
 * A cancel while the run waits on a lock another session holds on the
 * bookkeeping tables, before any revision: UM_ECANCELLED at once (it was
 * UM_ESQL "canceling statement due to user request", and the clean-up's
 * ANALYZE then waited for the lock as long as it was held).
 */
START_TEST(cancel_before_any_revision)
{
    write_table_rev("r1", NULL, "t1");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    write_table_rev("r2", "r1", "t2");
    um_close(ctx);
    ctx = open_engine();
    PGconn *holder = host_connect(db_url);
    conn_exec(holder, "BEGIN");
    conn_exec(holder, "LOCK TABLE ultramigrate_version IN ACCESS EXCLUSIVE MODE");
    canceller c = { ctx, 300, false, 0 };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, cancel_thread, &c), 0);
    int rc = um_upgrade(ctx, "heads", NULL);
    double done = pgtest_now_ms();
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    conn_exec(holder, "ROLLBACK");
    PQfinish(holder);
    ck_assert_msg(rc == UM_ECANCELLED, "um_upgrade -> %d (%s)", rc, um_errmsg(ctx));
    ck_assert_msg(strstr(um_errmsg(ctx), "cancelled by the host"), "%s", um_errmsg(ctx));
    ck_assert_msg(done - c.at_ms < 2000, "returned %.0f ms after um_cancel", done - c.at_ms);
    ck_assert_str_eq(versions(), "r1");
    ck_assert_str_eq(history(), "r1:up:ok"); /* nothing started, nothing recorded */
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_str_eq(versions(), "r2");
    um_close(ctx);
}
END_TEST

START_TEST(cancel_from_thread)
{
    write_table_rev("r1", NULL, "t1");
    write_table_rev("r2", "r1", "t2");
    write_rev("r3", "r2", "CREATE TABLE t3 (id int);\nSELECT pg_sleep(5);", "DROP TABLE t3;");
    write_table_rev("r4", "r3", "t4");
    um_ctx *ctx = open_engine();
    cancel_during_upgrade(ctx, "r3");
    ck_assert_str_eq(versions(), "r2");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:applied");
    ck_assert(!table_exists("t3"));
    ck_assert(!table_exists("t4"));
    /* a clean cancel is no failure: recorded and reported as cancelled */
    ck_assert_str_eq(qv("SELECT revision || ':' || state FROM ultramigrate_version_history"
                        " ORDER BY id DESC LIMIT 1"),
                     "r3:cancelled");
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_CANCELLED);
    ASSERT_MESSAGE_HAS(h, "r3");
    ck_assert_uint_eq(h.pending, 2);
    ck_assert_str_eq(um_health_status_name(h.status), "cancelled");
    um_history_list *hist = NULL;
    PGTEST_CHECK_OK(ctx, um_history(&hist, ctx, 0));
    const um_history_entry *last = um_history_at(hist, um_history_count(hist) - 1);
    ck_assert_ptr_nonnull(last);
    ck_assert_str_eq(last->state, "cancelled");
    ck_assert_ptr_nonnull(strstr(last->error, "cancelled"));
    um_history_free(hist);

    /* the request does not outlive the call: the next run completes */
    write_rev("r3", "r2", "CREATE TABLE t3 (id int);", "DROP TABLE t3;");
    um_close(ctx);
    ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_str_eq(versions(), "r4");
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    um_close(ctx);
}
END_TEST

/* Cancelled between revisions (the progress callback, or um_cancel after
 * a revision's statement): recorded against the revision that did not
 * start; in one transaction (transaction_per_migration = false) the whole
 * run rolls back. */
static int cancel_before_second(const um_step_info *step, void *payload)
{
    (void)payload;
    return step->phase == UM_STEP_START && step->index == 1;
}

START_TEST(cancel_between_revisions)
{
    write_linear(3);
    um_apply_options ao = UM_APPLY_OPTIONS_INIT;
    ao.progress_cb = cancel_before_second;
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", &ao), UM_ECANCELLED);
    ck_assert_str_eq(versions(), "r1");
    ck_assert_str_eq(qv("SELECT string_agg(revision || ':' || state, ',' ORDER BY id)"
                        " FROM ultramigrate_version_history"),
                     "r1:ok,r2:cancelled");
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_CANCELLED);
    ck_assert_uint_eq(h.pending, 2);
    um_close(ctx);

    write_ini("transaction_per_migration = false\n");
    ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", &ao), UM_ECANCELLED);
    ck_assert_str_eq(versions(), "r1");
    ck_assert_str_eq(qv("SELECT revision || ':' || state FROM ultramigrate_version_history"
                        " ORDER BY id DESC LIMIT 1"),
                     "r3:cancelled");
    ASSERT_STATUS(snap(ctx), UM_HEALTH_CANCELLED);
    um_close(ctx);
}
END_TEST

/* A "Transactional: no" revision cancelled half-way is no clean cancel:
 * what ran stays, and it is a failure a human must look at. */
START_TEST(cancel_nontransactional_is_failure)
{
    write_table_rev("r1", NULL, "t1");
    write_rev_full("r2", "r1", 0, "CREATE TABLE t2 (id int);\nSELECT pg_sleep(5);",
                   "DROP TABLE t2;");
    um_ctx *ctx = open_engine();
    cancel_during_upgrade(ctx, "r2");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:failed");
    ck_assert(table_exists("t2"));
    /* the message does not say rolled back: the CREATE TABLE stays */
    ck_assert_msg(strstr(um_errmsg(ctx), "the statements before it stay done") &&
                      !strstr(um_errmsg(ctx), "rolled back"),
                  "%s", um_errmsg(ctx));
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_FAILED);
    ASSERT_MESSAGE_HAS(h, "r2");
    um_close(ctx);
}
END_TEST

/* After the host re-establishes its connection (PQreset: a new backend,
 * a new cancel key), um_cancel must still reach the running statement. */
START_TEST(cancel_borrowed_after_reset)
{
    write_table_rev("r1", NULL, "t1");
    write_rev("r2", "r1", "CREATE TABLE t2 (id int);\nSELECT pg_sleep(5);", "DROP TABLE t2;");
    PGconn *conn = host_connect(db_url);
    host_settings(conn);
    um_ctx *ctx = open_with(NULL, conn, NULL, NULL);
    PQreset(conn);
    ck_assert_int_eq(PQstatus(conn), CONNECTION_OK);
    host_settings(conn);
    cancel_during_upgrade(ctx, "r2");
    ck_assert_str_eq(versions(), "r1");
    assert_as_found(conn);
    um_close(ctx);
    PQfinish(conn);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 4. A server restart under open handles                              */
/* ------------------------------------------------------------------ */

/* An administrator restarts the server (fast: sessions are terminated):
 * the next call on each handle, and the next snapshot, work on a new
 * connection, as the first statement of a call changed nothing yet. */
START_TEST(restart_owned_reconnects)
{
    write_linear(3);
    const char *url = pgtest_dedicated_start();
    um_ctx *ctx = open_with(url, NULL, NULL, NULL);
    um_ctx *health = open_with(url, NULL, NULL, NULL);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r1", NULL));
    ASSERT_STATUS(snap(health), UM_HEALTH_PENDING);

    ck_assert_int_eq(pgtest_dedicated_ctl("restart"), 0);
    um_health h = snap(health);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 2);
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    um_status_free(st);

    ck_assert_int_eq(pgtest_dedicated_ctl("restart"), 0);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r2", NULL));
    ck_assert_int_eq(pgtest_dedicated_ctl("restart"), 0);
    um_history_list *hist = NULL;
    PGTEST_CHECK_OK(ctx, um_history(&hist, ctx, 0));
    um_history_free(hist);
    ck_assert_int_eq(pgtest_dedicated_ctl("restart"), 0);
    um_plan *plan = NULL;
    PGTEST_CHECK_OK(ctx, um_plan_create(&plan, ctx, UM_UP, "heads"));
    PGTEST_CHECK_OK(ctx, um_apply(ctx, plan, NULL));
    um_plan_free(plan);
    ASSERT_STATUS(snap(health), UM_HEALTH_OK);
    um_close(ctx);
    um_close(health);
}
END_TEST

/* A borrowed connection is the host's to re-establish: the library
 * reports it, and uses it again once the host did. */
START_TEST(restart_borrowed_reported)
{
    write_linear(1);
    const char *url = pgtest_dedicated_start();
    PGconn *conn = host_connect(url);
    um_ctx *ctx = open_with(NULL, conn, NULL, NULL);
    ASSERT_STATUS(snap(ctx), UM_HEALTH_PENDING);
    ck_assert_int_eq(pgtest_dedicated_ctl("restart"), 0);
    ASSERT_STATUS(snap(ctx), UM_HEALTH_UNREACHABLE);
    um_status_info *st = NULL;
    PGTEST_CHECK_RC(ctx, um_status(&st, ctx), UM_ECONNECT);
    PQreset(conn);
    ck_assert_int_eq(PQstatus(conn), CONNECTION_OK);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    um_close(ctx);
    PQfinish(conn);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 5. What the host's log callback receives                            */
/* ------------------------------------------------------------------ */

typedef struct level_log {
    char text[16384]; /* "LEVEL|message\n" per call */
    int multiline;    /* messages with a newline or a tab */
} level_log;

static void capture_levels(um_log_level level, const char *msg, void *payload)
{
    level_log *l = payload;
    size_t len = strlen(l->text);
    l->multiline += strpbrk(msg, "\n\t") != NULL;
    snprintf(l->text + len, sizeof(l->text) - len, "%d|%s\n", (int)level, msg);
}

#define ASSERT_LOGGED(l, needle)                                                                   \
    ck_assert_msg(strstr((l).text, (needle)), "the log lacks '%s':\n%s", (needle), (l).text)

/* Options that open the fixture's project with every message into @log. */
static um_open_options logged_options(level_log *log)
{
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    o.config_path = ini_path;
    o.database_url = db_url;
    o.log_cb = capture_levels;
    o.log_payload = log;
    o.log_level = UM_LOG_DEBUG;
    return o;
}

/* Server warnings at UM_LOG_WARNING (notices stay at debug), one INFO line
 * per revision applied or reverted, every message one line, um_errmsg
 * too. */
START_TEST(log_levels_and_lines)
{
    write_table_rev("r1", NULL, "t1");
    write_rev(
        "r2", "r1",
        "CREATE TABLE t2 (id int);\n"
        "DO $$ BEGIN RAISE WARNING 'careful with %', 't2'; RAISE NOTICE 'just saying'; END $$;",
        "DROP TABLE t2;");
    level_log log = { "", 0 };
    um_open_options o = logged_options(&log);
    um_ctx *ctx = NULL;
    PGTEST_CHECK_OK(ctx, um_open(&ctx, &o));
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "r1", NULL));
    um_close(ctx);
    ASSERT_LOGGED(log, "1|server: WARNING: careful with t2");
    ASSERT_LOGGED(log, "3|server: NOTICE: just saying");
    ASSERT_LOGGED(log, "2|applied r1 (Create r1) in ");
    ASSERT_LOGGED(log, "2|applied r2 (Create r2) in ");
    ASSERT_LOGGED(log, "2|reverted r2 (Create r2) in ");
    ck_assert_msg(log.multiline == 0, "%d messages span lines:\n%s", log.multiline, log.text);

    /* libpq words a refused connection on two lines ("\n\tIs the server
     * running..."): the handle's message is one */
    memset(&log, 0, sizeof(log));
    o.database_url = dead_url();
    PGTEST_CHECK_OK(ctx, um_open(&ctx, &o));
    PGTEST_CHECK_RC(ctx, um_wait_for_database(ctx, 300), UM_ECONNECT);
    ck_assert_msg(!strpbrk(um_errmsg(ctx), "\n\t"), "not one line: '%s'", um_errmsg(ctx));
    ck_assert_msg(log.multiline == 0, "%d messages span lines:\n%s", log.multiline, log.text);
    um_close(ctx);
}
END_TEST

/* A summary status (um_status_options.summary) says what a whole one
 * says but who applied each revision, where and how long it took; the
 * state asked for while the files are read (UM_CONNECT_EARLY_SUMMARY) is
 * what it reads, and a whole status after it asks again. */
START_TEST(status_summary)
{
    write_table_rev("r1", NULL, "t1");
    write_table_rev("r2", "r1", "t2");
    level_log log = { "", 0 };
    um_open_options o = logged_options(&log);
    um_ctx *ctx = NULL;
    PGTEST_CHECK_OK(ctx, um_open(&ctx, &o));
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r1", NULL));
    um_close(ctx);

    memset(&log, 0, sizeof(log));
    o.connect_early = UM_CONNECT_EARLY_SUMMARY;
    PGTEST_CHECK_OK(ctx, um_open(&ctx, &o));
    um_status_options so;
    ck_assert_int_eq(um_status_options_init(NULL, UM_STATUS_OPTIONS_VERSION), UM_EINVAL);
    ck_assert_int_eq(um_status_options_init(&so, UM_STATUS_OPTIONS_VERSION + 1), UM_EINVAL);
    ck_assert_int_eq(um_status_options_init(&so, UM_STATUS_OPTIONS_VERSION), UM_OK);
    ck_assert_int_eq(so.summary, 0);
    so.summary = 1;
    um_status_info *sum = NULL, *whole = NULL;
    PGTEST_CHECK_OK(ctx, um_status_v2(&sum, ctx, &so));
    ASSERT_LOGGED(log, "reading the migration state asked for while connecting");
    PGTEST_CHECK_OK(ctx, um_status_v2(&whole, ctx, NULL));

    ck_assert_uint_eq(um_status_count(sum, UM_STATUS_APPLIED), 1);
    ck_assert_uint_eq(um_status_pending_count(sum), 1);
    ck_assert_str_eq(um_status_current_head_at(sum, 0), "r1");
    const um_applied *a = um_status_applied_at(sum, 0), *w = um_status_applied_at(whole, 0);
    ck_assert_str_eq(a->revision, "r1");
    ck_assert_str_eq(a->state, "applied");
    ck_assert_str_eq(a->checksum, w->checksum);
    ck_assert_str_eq(a->applied_at, w->applied_at);
    ck_assert_int_eq(a->checksum_ok, 1);
    ck_assert_ptr_null(a->applied_by);
    ck_assert_ptr_null(a->host);
    ck_assert_ptr_null(a->application_name);
    ck_assert_ptr_null(a->tool_version);
    ck_assert_ptr_nonnull(w->applied_by);
    ck_assert_ptr_nonnull(w->tool_version);
    char *doc = um_status_to_json(sum);
    ck_assert_ptr_nonnull(doc);
    ck_assert_msg(strstr(doc, "\"duration_ms\": null") && strstr(doc, "\"applied_by\": null"),
                  "summary document: %s", doc);
    um_free(doc);
    doc = um_status_to_json(whole);
    ck_assert_msg(!strstr(doc, "\"applied_by\": null"), "whole document: %s", doc);
    um_free(doc);
    um_status_free(sum);
    um_status_free(whole);

    so.version = UM_STATUS_OPTIONS_VERSION + 1;
    PGTEST_CHECK_RC(ctx, um_status_v2(&sum, ctx, &so), UM_EVERSION);
    ck_assert_ptr_null(sum);
    um_close(ctx);
}
END_TEST

/* What the callbacks below did with the handle, and saw. */
typedef struct reentry {
    um_ctx *ctx;
    int calls;        /* callbacks that called in */
    int refused;      /* calls the handle refused with UM_EINVAL */
    int lookups_ok;   /* lookups of a known id that worked */
    int lookups_gone; /* lookups of an unknown id that failed */
} reentry;

/* Calls what a callback may (lookups, one of them failing) and what it
 * may not (um_status, um_close) on the running handle. */
static void call_back_in(reentry *re)
{
    const um_revision *rev = NULL;
    um_status_info *st = NULL;
    re->calls++;
    re->lookups_ok += um_revision_lookup(&rev, re->ctx, "r1") == UM_OK && rev;
    re->lookups_gone += um_revision_lookup(&rev, re->ctx, "nope") == UM_ETARGET;
    re->refused += um_status(&st, re->ctx) == UM_EINVAL && !st;
    re->refused += um_upgrade(re->ctx, "heads", NULL) == UM_EINVAL;
    um_close(re->ctx); /* ignored: the running call holds the handle */
}

static void log_calls_back(um_log_level level, const char *msg, void *payload)
{
    (void)msg;
    if (level <= UM_LOG_WARNING)
        call_back_in(payload);
}

static int progress_calls_back(const um_step_info *step, void *payload)
{
    (void)step;
    call_back_in(payload);
    return 0;
}

/*
 * A callback may look revisions up on the running handle and nothing
 * else: other calls fail with UM_EINVAL, um_close() is ignored, and a
 * lookup that fails (an unknown id) fails neither the run nor its record.
 * Before, such a lookup made the upgrade fail and record a failure, and
 * um_status() from the log callback recursed until the stack ran out.
 */
START_TEST(callbacks_calling_back_in)
{
    write_table_rev("r1", NULL, "t1");
    write_rev("r2", "r1", "CREATE TABLE t2 (id int);\nDO $$ BEGIN RAISE WARNING 'w'; END $$;",
              "DROP TABLE t2;");
    reentry re = { 0 };
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    o.config_path = ini_path;
    o.database_url = db_url;
    o.log_cb = log_calls_back;
    o.log_payload = &re;
    PGTEST_CHECK_OK(re.ctx, um_open(&re.ctx, &o));
    um_apply_options ao = UM_APPLY_OPTIONS_INIT;
    ao.progress_cb = progress_calls_back;
    ao.progress_payload = &re;
    PGTEST_CHECK_OK(re.ctx, um_upgrade(re.ctx, "heads", &ao));
    ck_assert_int_ge(re.calls, 5); /* 4 progress calls, 1 warning */
    ck_assert_int_eq(re.lookups_ok, re.calls);
    ck_assert_int_eq(re.lookups_gone, re.calls);
    ck_assert_int_eq(re.refused, 2 * re.calls);
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:ok");
    /* after the run, the handle is the host's again */
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(re.ctx, um_status(&st, re.ctx));
    um_status_free(st);
    um_close(re.ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 3. Waiting for the database                                          */
/* ------------------------------------------------------------------ */

START_TEST(wait_dead_port)
{
    um_ctx *ctx = open_with(dead_url(), NULL, NULL, NULL);
    double t0 = pgtest_now_ms();
    PGTEST_CHECK_RC(ctx, um_wait_for_database(ctx, 500), UM_ECONNECT);
    double took = pgtest_now_ms() - t0;
    ck_assert_msg(took >= 400, "gave up after %.0f ms of 500", took);
    ck_assert_msg(took < 5000, "took %.0f ms for a 500 ms timeout", took);
    ck_assert_msg(strstr(um_errmsg(ctx), "within 500 ms"), "message: %s", um_errmsg(ctx));
    ck_assert_int_eq(um_wait_for_database(NULL, 10), UM_EINVAL);
    um_close(ctx);
}
END_TEST

/* What a call on a handle opened with @url returned. */
typedef struct refusal {
    int rc;
    char sqlstate[8]; /* "" when none */
    const char *message;
    double took_ms;
} refusal;

static refusal wait_on(const char *url)
{
    um_ctx *ctx = open_with(url, NULL, NULL, NULL);
    double t0 = pgtest_now_ms();
    refusal r = { um_wait_for_database(ctx, 10000), "", NULL, 0 };
    r.took_ms = pgtest_now_ms() - t0;
    const char *sqlstate = um_error_detail(ctx)->sqlstate;
    snprintf(r.sqlstate, sizeof(r.sqlstate), "%s", sqlstate ? sqlstate : "");
    r.message = pgtest_keep(strdup(um_errmsg(ctx)));
    um_close(ctx);
    return r;
}

#define ASSERT_REFUSED(r, code, state)                                                             \
    do {                                                                                           \
        ck_assert_msg((r).rc == (code), "rc %d, expected %d: %s", (r).rc, (code), (r).message);    \
        ck_assert_msg(strcmp((r).sqlstate, (state)) == 0, "SQLSTATE '%s', expected '%s': %s",      \
                      (r).sqlstate, (state), (r).message);                                         \
        ck_assert_msg((code) != UM_EAUTH || (r).took_ms < 5000,                                    \
                      "a permanent refusal was retried for %.0f ms", (r).took_ms);                 \
    } while (0)

/*
 * The server refusing the role or the database is UM_EAUTH, told apart
 * from an unreachable server (UM_ECONNECT) by the SQLSTATE the server sent
 * (or libpq's "a password is needed"), not by the words of the message,
 * which are translated: it is not waited for, and the SQLSTATE is in the
 * error detail.  The CLI exits as for any connection failure.
 */
START_TEST(wait_refused_by_server)
{
    const char *role = pgtest_fmt("um_embed_pw_%ld", (long)getpid());
    ck_assert_msg(pgtest_exec(pgtest_server_url(),
                              pgtest_fmt("CREATE ROLE %s LOGIN PASSWORD 'right'", role)) == 0,
                  "%s", pgtest_last_error());
    /* TCP (the socket is trusted): same port, scram-sha-256 */
    const char *tcp = pgtest_keep(pgtest_url_set(db_url, "host", "127.0.0.1"));
    const char *user = pgtest_keep(pgtest_url_set(tcp, "user", role));
    refusal good = wait_on(pgtest_keep(pgtest_url_set(user, "password", "right")));
    const char *bad_url = pgtest_keep(pgtest_url_set(user, "password", "wrong"));
    refusal bad = wait_on(bad_url);
    refusal none = wait_on(user);
    refusal no_db = wait_on(pgtest_keep(pgtest_url_set(db_url, "dbname", "um_no_such_db")));
    refusal no_role = wait_on(pgtest_keep(pgtest_url_set(db_url, "user", "um_no_such_role")));

    um_ctx *ctx = open_with(bad_url, NULL, NULL, NULL);
    int upgrade_rc = um_upgrade(ctx, "heads", NULL);
    um_health h = snap(ctx);
    um_close(ctx);
    const char *const argv[] = { "-d", bad_url, "status", NULL };
    pgtest_cli_result cli = pgtest_run_cli(proj_dir, NULL, argv);
    pgtest_keep(cli.out);
    pgtest_keep(cli.err);
    pgtest_exec(pgtest_server_url(), pgtest_fmt("DROP ROLE %s", role));

    ASSERT_REFUSED(good, UM_OK, "");
    ASSERT_REFUSED(bad, UM_EAUTH, "28P01");
    ck_assert_msg(!strstr(bad.message, "wrong"), "the password leaked: %s", bad.message);
    ASSERT_REFUSED(none, UM_EAUTH, "");
    ASSERT_REFUSED(no_db, UM_EAUTH, "3D000");
    ASSERT_REFUSED(no_role, UM_EAUTH, "28000");
    ck_assert_int_eq(upgrade_rc, UM_EAUTH);
    ASSERT_STATUS(h, UM_HEALTH_UNREACHABLE);
    pgtest_assert_status(cli, 6, "status with a wrong password");
    ck_assert_msg(!strstr(cli.err, "wrong"), "the CLI showed the password: %s", cli.err);
    ck_assert_str_eq(um_strerror(UM_EAUTH), "authentication or authorization failed");

    /* refused by no server: worth waiting for, no SQLSTATE */
    um_ctx *dead = open_with(dead_url(), NULL, NULL, NULL);
    PGTEST_CHECK_RC(dead, um_wait_for_database(dead, 300), UM_ECONNECT);
    ck_assert_ptr_null(um_error_detail(dead)->sqlstate);
    um_close(dead);
}
END_TEST

/*
 * Several hosts, the first of which hangs: after connect_timeout the
 * attempt goes on with the next host, and a refusal there keeps its
 * SQLSTATE (UM_EAUTH, not a retry until the wait ends).
 */
START_TEST(wait_next_host_after_timeout)
{
    int port;
    int fd = pgtest_silent_listener(&port);
    const char *server_port = pgtest_keep(pgtest_query_value(db_url, "SHOW port"));
    const char *db = pgtest_keep(pgtest_query_value(db_url, "SELECT current_database()"));
    const char *user = pgtest_keep(pgtest_query_value(db_url, "SELECT current_user"));
    /* the second host by its socket, which trusts every role */
    const char *socket_dir =
        pgtest_keep(pgtest_query_value(db_url, "SELECT split_part(current_setting("
                                               "'unix_socket_directories'), ',', 1)"));
    const char *hosts = pgtest_fmt("host=127.0.0.1,%s port=%d,%s connect_timeout=2 dbname=%s",
                                   socket_dir, port, server_port, db);
    refusal good = wait_on(pgtest_fmt("%s user=%s", hosts, user));
    refusal no_role = wait_on(pgtest_fmt("%s user=um_no_such_role", hosts));
    refusal both_hang = wait_on(
        pgtest_fmt("host=127.0.0.1,127.0.0.1 port=%d,%d connect_timeout=2 dbname=%s user=%s", port,
                   port, db, user));
    close(fd);
    ASSERT_REFUSED(good, UM_OK, "");
    ck_assert_msg(good.took_ms >= 1500, "the hanging host was not waited for: %.0f ms",
                  good.took_ms);
    ASSERT_REFUSED(no_role, UM_EAUTH, "28000");
    ck_assert_msg(both_hang.rc == UM_ECONNECT && strstr(both_hang.message, "timeout expired"),
                  "%d: %s", both_hang.rc, both_hang.message);
}
END_TEST

/* The server starts a second after the wait began. */
START_TEST(wait_server_starts)
{
    write_linear(1);
    const char *cluster_url = pgtest_dedicated_start();
    ck_assert_int_eq(pgtest_dedicated_ctl("stop"), 0);
    um_ctx *ctx = open_with(cluster_url, NULL, NULL, NULL);
    ASSERT_STATUS(snap(ctx), UM_HEALTH_UNREACHABLE);

    pid_t starter = fork();
    ck_assert_int_ge(starter, 0);
    if (starter == 0) {
        sleep_ms(1000);
        _exit(pgtest_dedicated_ctl("start"));
    }
    double t0 = pgtest_now_ms();
    int rc = um_wait_for_database(ctx, 30000);
    double took = pgtest_now_ms() - t0;
    int ws = 0;
    ck_assert_int_eq(waitpid(starter, &ws, 0), starter);
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "pg_ctl start failed");
    ck_assert_msg(rc == UM_OK, "rc %d after %.0f ms: %s", rc, took, um_errmsg(ctx));
    ck_assert_msg(took >= 900, "connected after %.0f ms, before the server started", took);
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 1);
    um_close(ctx);
}
END_TEST

/* A cancel ends the wait at once, also in the middle of a backoff sleep
 * (the sleeps grow to 2 s; the one from 1.5 s to 3.1 s is cut short). */
START_TEST(wait_cancelled)
{
    um_ctx *ctx = open_with(dead_url(), NULL, NULL, NULL);
    canceller c = { ctx, 1800, false, 0 };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, cancel_thread, &c), 0);
    int rc = um_wait_for_database(ctx, 20000);
    double done = pgtest_now_ms();
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_msg(rc == UM_ECANCELLED, "rc %d: %s", rc, um_errmsg(ctx));
    ck_assert_msg(done - c.at_ms < 500, "returned %.0f ms after um_cancel", done - c.at_ms);
    /* the request held for that call only */
    PGTEST_CHECK_RC(ctx, um_wait_for_database(ctx, 200), UM_ECONNECT);
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *embedding_suite(void)
{
    Suite *s = suite_create("embedding");

    PGTEST_ADD_TESTS(tcase(s, "borrowed"), borrowed_upgrade_leaves_session,
                     borrowed_in_transaction_refused, borrowed_session_untouched,
                     borrowed_failure_transactional, borrowed_failure_nontransactional,
                     borrowed_failure_single_transaction, borrowed_several_handles,
                     borrowed_connection_dropped);

    PGTEST_ADD_TESTS(tcase(s, "cancel"), cancel_from_thread, cancel_before_any_revision,
                     cancel_between_revisions, cancel_nontransactional_is_failure,
                     cancel_borrowed_after_reset);

    PGTEST_ADD_TESTS(tcase(s, "restart"), restart_owned_reconnects, restart_borrowed_reported);

    PGTEST_ADD_TESTS(tcase(s, "log"), log_levels_and_lines, callbacks_calling_back_in,
                     status_summary);

    PGTEST_ADD_TESTS(tcase(s, "wait"), wait_dead_port, wait_refused_by_server,
                     wait_next_host_after_timeout, wait_server_starts, wait_cancelled);

    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(embedding_suite());
}
