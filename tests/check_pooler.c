/*
 * check_pooler.c - runs through a connection pooler: a real PgBouncer in
 * transaction mode (scripts/pgbouncer.sh, started once for the suite) in
 * front of the test server.  lock_mode = advisory is refused there;
 * lock_mode = table keeps racing runs apart (each revision applied once,
 * no lock row left behind), lets a waiter give up after lock_wait, takes
 * the lock of a killed run over once its lease expired, fails a run whose
 * lock was taken over, and prepares nothing and sets no session setting.
 *
 * Skipped, saying so, only when the pgbouncer binary is missing
 * (scripts/install-deps.sh installs it).
 */
#define PGTEST_SHORT_NAMES
#include "pgtest.h"

#include <ultramigrate/ultramigrate.h>

#include <check.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The CLI's exit status for UM_EPOOLER and UM_ELOCKED (docs/cli.md). */
#define EXIT_POOLER 21
#define EXIT_LOCKED 7

/* The race: processes per round, and rounds (20 rounds of 8 take about
 * 15 s here, well inside the suite's bound). */
#define RACERS 8
#define ROUNDS 20

static int pooler_up;

static void pooler_setup(void)
{
    pooler_up = pgtest_pooler_start();
}

static void pooler_teardown(void)
{
    pgtest_pooler_stop();
}

/* The test's database through the pooler, pooled; NULL (and a message)
 * when pgbouncer is not installed: the test then passes without running. */
static const char *pooled(void)
{
    if (!pooler_up) {
        fprintf(stderr, "skipped: pgbouncer is not installed\n");
        return NULL;
    }
    return pgtest_keep(pgtest_pooler_url(db_url));
}

#define run_cli(url, ...)                                                                          \
    pgtest_run_cli(proj_dir, (url), (const char *const[]){ __VA_ARGS__, NULL })

static const char *const TABLE_MODE = "lock_mode = table\n";

static long lock_rows(void)
{
    return qi("SELECT count(*) FROM ultramigrate_version_lock");
}

/* ------------------------------------------------------------------ */
/* 1. advisory: refused through the pooler                              */
/* ------------------------------------------------------------------ */

START_TEST(advisory_refused_through_pooler)
{
    const char *url = pooled();
    if (!url)
        return;
    write_ini(NULL);
    write_table_rev("r1", NULL, "t1");

    pgtest_cli_result r = run_cli(url, "upgrade");
    pgtest_assert_status(r, EXIT_POOLER, "upgrade through the pooler, lock_mode = advisory");
    ck_assert_msg(strstr(r.err, "pooler") && strstr(r.err, "lock_mode = table") &&
                      strstr(r.err, "directly"),
                  "the message should name the pooler and both ways out:\n%s", r.err);
    /* PgBouncer's made-up process id (negative half the time) is no
     * backend's: not shown as one */
    ck_assert_msg(!strstr(r.err, "backend pid") && !strstr(r.err, "backend -"), "%s", r.err);
    pgtest_cli_result_free(&r);
    ASSERT_NO_TABLE("t1");
    ASSERT_NO_TABLE("ultramigrate_version");

    um_ctx *ctx = open_with(url, NULL, NULL, NULL);
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_EPOOLER);
    PGTEST_CHECK_RC(ctx, um_stamp(ctx, "r1"), UM_EPOOLER);
    ck_assert_str_eq(um_strerror(UM_EPOOLER), "the connection goes through a transaction pooler;"
                                              " lock_mode = advisory cannot work there");
    um_close(ctx);
    ASSERT_NO_TABLE("ultramigrate_version");

    /* the same project on a direct connection is not refused */
    r = run_cli(db_url, "upgrade");
    pgtest_assert_status(r, 0, "upgrade on a direct connection");
    pgtest_cli_result_free(&r);
    ASSERT_TABLE("t1");
}
END_TEST

/* ------------------------------------------------------------------ */
/* 2. table: racing runs                                                */
/* ------------------------------------------------------------------ */

/* Revision r<n> creating table t<n> on top of r<n-1>. */
static void write_rev_n(int n)
{
    char id[16], parent[16], table[16];
    snprintf(id, sizeof(id), "r%d", n);
    snprintf(parent, sizeof(parent), "r%d", n - 1);
    snprintf(table, sizeof(table), "t%d", n);
    write_table_rev(id, n > 1 ? parent : NULL, table);
}

/* Each racer works in a directory of its own (its background.out and
 * .err), on the project's configuration. */
static const char *racer_dir(int i)
{
    const char *dir = pgtest_fmt("%s/racer%d", proj_dir, i);
    mkdir(dir, 0755);
    return dir;
}

static void race_round(const char *url, int round)
{
    pid_t pids[RACERS];
    const char *const argv[] = { "-c", ini_path, "upgrade", NULL };
    for (int i = 0; i < RACERS; i++)
        pids[i] = pgtest_spawn_cli(racer_dir(i), url, argv);
    for (int i = 0; i < RACERS; i++) {
        int status = pgtest_wait_child(pids[i]);
        const char *err =
            pgtest_keep(pgtest_read_file(pgtest_fmt("%s/background.err", racer_dir(i)), NULL));
        pgtest_assert_no_sanitizer_report("racer", err);
        ck_assert_msg(status == 0, "round %d, racer %d: exit %d\n%s", round, i, status, err);
    }
}

START_TEST(table_mode_racing_upgrades)
{
    /* out of the string pool, which the rounds go round many times */
    const char *url = pooled();
    static char url_copy[1024];
    if (!url)
        return;
    snprintf(url_copy, sizeof(url_copy), "%s", url);
    url = url_copy;
    write_ini_lock("30s", TABLE_MODE);
    double t0 = pgtest_now_ms();
    for (int round = 1; round <= ROUNDS; round++) {
        write_rev_n(2 * round - 1);
        write_rev_n(2 * round);
        race_round(url, round);
        ck_assert_str_eq(versions(), pgtest_fmt("r%d", 2 * round));
        ck_assert_int_eq(lock_rows(), 0);
    }
    fprintf(stderr, "%d rounds of %d racers through PgBouncer: %.1f s\n", ROUNDS, RACERS,
            (pgtest_now_ms() - t0) / 1000);
    /* each revision applied once: one 'up' in the history, nothing failed */
    ck_assert_int_eq(qi("SELECT count(*) FROM ultramigrate_version_history"
                        " WHERE direction = 'up' AND state = 'ok'"),
                     2 * ROUNDS);
    ck_assert_int_eq(qi("SELECT count(DISTINCT revision) FROM ultramigrate_version_history"
                        " WHERE direction = 'up'"),
                     2 * ROUNDS);
    ck_assert_int_eq(qi("SELECT count(*) FROM ultramigrate_version_history"
                        " WHERE state <> 'ok'"),
                     0);
    ck_assert_int_eq(qi("SELECT count(*) FROM ultramigrate_version_applied"
                        " WHERE state = 'applied'"),
                     2 * ROUNDS);
    /* the health query, unprepared in this mode, answers through the pooler */
    for (int i = 0; i < 3; i++) {
        pgtest_cli_result r = run_cli(url, "health");
        pgtest_assert_status(r, 0, "health through the pooler");
        pgtest_cli_result_free(&r);
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* 3. table: waiting, takeover, fence                                   */
/* ------------------------------------------------------------------ */

/* Another run's lock row, its lease far from expired. */
static void hold_lock_elsewhere(void)
{
    sql("CREATE TABLE ultramigrate_version_lock (singleton boolean PRIMARY KEY DEFAULT true"
        " CHECK (singleton), token text NOT NULL, host text, pid integer, application_name"
        " text, acquired_at timestamptz NOT NULL DEFAULT clock_timestamp(), heartbeat_at"
        " timestamptz NOT NULL DEFAULT clock_timestamp(), lease_until timestamptz NOT NULL)");
    sql("INSERT INTO ultramigrate_version_lock (token, host, pid, application_name,"
        " lease_until) VALUES ('other', 'elsewhere', 4242, 'other-app',"
        " now() + interval '1 hour')");
}

START_TEST(table_mode_lock_wait)
{
    const char *url = pooled();
    if (!url)
        return;
    write_ini_lock("1s", TABLE_MODE);
    write_table_rev("r1", NULL, "t1");
    hold_lock_elsewhere();
    double t0 = pgtest_now_ms();
    pgtest_cli_result r = run_cli(url, "upgrade");
    double took = pgtest_now_ms() - t0;
    pgtest_assert_status(r, EXIT_LOCKED, "upgrade while another run holds the lock row");
    ck_assert_msg(took >= 900 && took < 5000, "lock_wait = 1s, gave up after %.0f ms", took);
    ck_assert_msg(strstr(r.err, "elsewhere") && strstr(r.err, "4242") &&
                      strstr(r.err, "other-app") && strstr(r.err, "lock_wait = 1000 ms"),
                  "the message should name the holder:\n%s", r.err);
    pgtest_cli_result_free(&r);
    ASSERT_NO_TABLE("t1");
    ck_assert_str_eq(qv("SELECT token FROM ultramigrate_version_lock"), "other");
}
END_TEST

START_TEST(table_mode_takeover_after_kill)
{
    const char *url = pooled();
    if (!url)
        return;
    write_ini_lock("20s", "lock_mode = table\nlock_lease = 2s\n");
    write_rev("r1", NULL, "SELECT pg_sleep(3);\nCREATE TABLE t1 (id int);", "DROP TABLE t1;");
    const char *const argv[] = { "-c", ini_path, "upgrade", NULL };
    pid_t holder = pgtest_spawn_cli(racer_dir(0), url, argv);
    double t0 = pgtest_now_ms();
    while (strcmp(qv("SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                     " AND datname = current_database()"
                     " AND query LIKE '%%pg_sleep(3)%%' AND pid <> pg_backend_pid()"),
                  "1") != 0) {
        ck_assert_msg(pgtest_now_ms() - t0 < 10000, "the holder never ran its revision");
        usleep(20000);
    }
    ck_assert_int_eq(lock_rows(), 1);
    kill(holder, SIGKILL);
    pgtest_wait_child(holder);

    pgtest_cli_result r = run_cli(url, "-c", ini_path, "upgrade");
    pgtest_assert_status(r, 0, "upgrade after the holder was killed");
    ck_assert_msg(strstr(r.err, "took the migration lock over"),
                  "the takeover should be logged:\n%s", r.err);
    pgtest_cli_result_free(&r);
    ASSERT_TABLE("t1");
    ck_assert_str_eq(history(), "r1:up:ok");
    ck_assert_int_eq(lock_rows(), 0);
}
END_TEST

/* The progress callback takes the lock over for another run, as one
 * would once this run's lease expired. */
static int take_over_at_start(const um_step_info *step, void *payload)
{
    if (step->phase == UM_STEP_START)
        pgtest_execf((const char *)payload, "UPDATE ultramigrate_version_lock SET token = 'other',"
                                            " lease_until = now() + interval '1 hour'");
    return 0;
}

START_TEST(table_mode_fence_stops_a_run_taken_over)
{
    const char *url = pooled();
    if (!url)
        return;
    write_ini(TABLE_MODE);
    write_table_rev("r1", NULL, "t1");
    um_ctx *ctx = open_with(url, NULL, NULL, NULL);
    PGTEST_CHECK_OK(ctx, um_ensure_schema(ctx));
    um_apply_options ao = UM_APPLY_OPTIONS_INIT;
    ao.progress_cb = take_over_at_start;
    ao.progress_payload = (void *)db_url;
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", &ao), UM_ESQL);
    ck_assert_msg(strstr(um_errmsg(ctx), "no longer holds the migration lock"), "%s",
                  um_errmsg(ctx));
    um_close(ctx);
    ASSERT_NO_TABLE("t1");
    ck_assert_str_eq(versions(), "");
    /* the other run's row is left alone */
    ck_assert_str_eq(qv("SELECT token FROM ultramigrate_version_lock"), "other");
}
END_TEST

/* ------------------------------------------------------------------ */
/* 4. table: nothing stays on the server session                        */
/* ------------------------------------------------------------------ */

typedef struct session_seen {
    PGconn *conn;
    long prepared;        /* most statements prepared on the session seen */
    const char *tx_st;    /* statement_timeout in a transactional revision */
    const char *nontx_st; /* ... in a "Transactional: no" one */
} session_seen;

static long count_on(PGconn *conn, const char *query)
{
    PGresult *res = PQexec(conn, query);
    ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
    long n = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}

/* Between steps the borrowed connection is idle: what the run left on
 * its session shows. */
static int look_at_session(const um_step_info *step, void *payload)
{
    session_seen *seen = payload;
    if (step->phase != UM_STEP_DONE)
        return 0;
    long p = count_on(seen->conn, "SELECT count(*) FROM pg_prepared_statements");
    seen->prepared = p > seen->prepared ? p : seen->prepared;
    return 0;
}

/* What a run on a borrowed (direct) connection leaves on its session
 * between steps, in @mode. */
static session_seen run_and_look(const char *mode)
{
    write_ini(pgtest_fmt("%sstatement_timeout = 5s\nlock_timeout = 5s\n", mode));
    session_seen seen = { PQconnectdb(db_url), 0, NULL, NULL };
    ck_assert_int_eq(PQstatus(seen.conn), CONNECTION_OK);
    um_ctx *ctx = open_with(NULL, seen.conn, NULL, NULL);
    um_apply_options ao = UM_APPLY_OPTIONS_INIT;
    ao.progress_cb = look_at_session;
    ao.progress_payload = &seen;
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", &ao));
    seen.tx_st = qv("SELECT st FROM t1");
    seen.nontx_st = qv("SELECT st FROM t2");
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "base", &ao));
    um_close(ctx);
    PQfinish(seen.conn);
    return seen;
}

START_TEST(table_mode_leaves_nothing_on_the_session)
{
    write_rev("r1", NULL, "CREATE TABLE t1 AS SELECT current_setting('statement_timeout') AS st;",
              "DROP TABLE t1;");
    write_rev_full("r2", "r1", 0,
                   "CREATE TABLE t2 AS SELECT current_setting('statement_timeout') AS st;\n"
                   "CREATE INDEX CONCURRENTLY t1_idx ON t1 (st);",
                   "DROP INDEX CONCURRENTLY t1_idx;\nDROP TABLE t2;");
    /* advisory: statements prepared, timeouts set for the session around
     * the statements of r2: what the test must see to mean anything */
    session_seen advisory = run_and_look("");
    ck_assert_int_gt(advisory.prepared, 0);
    ck_assert_str_eq(advisory.tx_st, "5s");
    ck_assert_str_eq(advisory.nontx_st, "5s");
    /* table: nothing prepared; SET LOCAL in a revision's transaction, no
     * session setting at all */
    session_seen table = run_and_look(TABLE_MODE);
    ck_assert_int_eq(table.prepared, 0);
    ck_assert_str_eq(table.tx_st, "5s");
    ck_assert_str_eq(table.nontx_st, "0");
    ck_assert_int_eq(lock_rows(), 0);
}
END_TEST

START_TEST(lock_mode_config_errors)
{
    write_ini("lock_mode = session\n");
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    o.config_path = ini_path;
    um_ctx *ctx = NULL;
    ck_assert_int_eq(um_open(&ctx, &o), UM_ECONFIG);
    ck_assert_msg(strstr(um_errmsg(ctx), "lock_mode") &&
                      strstr(um_errmsg(ctx), "advisory or table"),
                  "%s", um_errmsg(ctx));
    um_close(ctx);
    write_ini("lock_lease = 10ms\n");
    ck_assert_int_eq(um_open(&ctx, &o), UM_ECONFIG);
    ck_assert_msg(strstr(um_errmsg(ctx), "lock_lease") && strstr(um_errmsg(ctx), "at least 1s"),
                  "%s", um_errmsg(ctx));
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */

static TCase *pooler_tcase(Suite *s, const char *name, double timeout)
{
    TCase *tc = pgtest_add_tcase(s, name, setup, teardown, timeout);
    tcase_add_unchecked_fixture(tc, pooler_setup, pooler_teardown);
    return tc;
}

static Suite *pooler_suite(void)
{
    Suite *s = suite_create("pooler");

    PGTEST_ADD_TESTS(pooler_tcase(s, "advisory", 60), advisory_refused_through_pooler);
    PGTEST_ADD_TESTS(pooler_tcase(s, "race", 120), table_mode_racing_upgrades);
    PGTEST_ADD_TESTS(pooler_tcase(s, "lease", 60), table_mode_lock_wait,
                     table_mode_takeover_after_kill, table_mode_fence_stops_a_run_taken_over);
    PGTEST_ADD_TESTS(tcase(s, "session"), table_mode_leaves_nothing_on_the_session,
                     lock_mode_config_errors);
    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(pooler_suite());
}
