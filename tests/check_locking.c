/*
 * check_locking.c - a run among others, against a real PostgreSQL:
 * lock_timeout, lock_retries and statement_timeout for each revision;
 * concurrent upgrades under the migration lock; lock_wait when another run
 * holds it; the progress callback, cancelling through it, and the lock
 * given back however a run ends.
 *
 * Each test gets its own database and project directory (pgtest.h's
 * project fixture); revision files are written by the test itself.
 */
#define PGTEST_SHORT_NAMES
#include "pgtest.h"

#include <ultramigrate/ultramigrate.h>

#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* 1. Lock and statement timeouts                                     */
/* ------------------------------------------------------------------ */

START_TEST(statement_timeout_applies)
{
    write_ini("statement_timeout = 300ms\n");
    write_rev("r1", NULL, "SELECT pg_sleep(3);\nCREATE TABLE t1 (id int);", "DROP TABLE t1;");
    um_ctx *ctx = open_engine();
    double t0 = pgtest_now_ms();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_msg(pgtest_now_ms() - t0 < 2500, "statement_timeout was not applied");
    assert_failed_at(ctx, "r1", "SELECT pg_sleep(3)", "57014");
    ASSERT_NO_TABLE("t1");
    um_close(ctx);
}
END_TEST

/* lock_timeout / statement_timeout: "for each revision", so for a
 * "Transactional: no" one too */
START_TEST(statement_timeout_applies_nontx)
{
    write_ini("statement_timeout = 300ms\n");
    write_table_rev("r1", NULL, "t1");
    write_rev_full("r2", "r1", 0,
                   "SELECT pg_sleep(3);\nCREATE INDEX CONCURRENTLY t1_idx ON t1 (id);",
                   "DROP INDEX t1_idx;");
    um_ctx *ctx = open_engine();
    double t0 = pgtest_now_ms();
    int rc = um_upgrade(ctx, "heads", NULL);
    double took = pgtest_now_ms() - t0;
    ck_assert_msg(rc == UM_ESQL && took < 2500,
                  "statement_timeout = 300ms ignored: rc %d after %.0f ms", rc, took);
    assert_failed_at(ctx, "r2", "SELECT pg_sleep(3)", "57014");
    ASSERT_NO_TABLE("t1_idx");
    um_close(ctx);
}
END_TEST

/* Holds an ACCESS EXCLUSIVE lock on @table for @ms in a child process;
 * returns once the lock is held. */
static pid_t hold_table_lock(const char *table, int ms)
{
    int ready[2];
    ck_assert_int_eq(pipe(ready), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(ready[0]);
        PGconn *c = PQconnectdb(db_url);
        int ok = PQstatus(c) == CONNECTION_OK;
        PGresult *r = ok ? PQexec(c, "BEGIN") : NULL;
        PQclear(r);
        char sql[256];
        snprintf(sql, sizeof(sql), "LOCK TABLE %s IN ACCESS EXCLUSIVE MODE", table);
        r = ok ? PQexec(c, sql) : NULL;
        ok = ok && PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (write(ready[1], ok ? "y" : "n", 1) != 1)
            ok = 0;
        close(ready[1]);
        usleep((useconds_t)ms * 1000);
        PQclear(PQexec(c, "COMMIT"));
        PQfinish(c);
        _exit(ok ? 0 : 1);
    }
    close(ready[1]);
    char c = 'n';
    ck_assert_int_eq(read(ready[0], &c, 1), 1);
    close(ready[0]);
    ck_assert_msg(c == 'y', "could not lock %s", table);
    return pid;
}

static void wait_child_ok(pid_t pid)
{
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}

START_TEST(lock_timeout_fails_revision)
{
    write_ini("lock_timeout = 200ms\n");
    write_table_rev("r1", NULL, "t1");
    write_rev("r2", "r1", "ALTER TABLE t1 ADD COLUMN x int;", "ALTER TABLE t1 DROP COLUMN x;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r1", NULL));
    pid_t pid = hold_table_lock("t1", 1500);
    double t0 = pgtest_now_ms();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert(pgtest_now_ms() - t0 < 1400);
    assert_failed_at(ctx, "r2", "ALTER TABLE t1", "55P03");
    ck_assert_str_eq(versions(), "r1");
    wait_child_ok(pid);
    um_close(ctx);
}
END_TEST

/* lock_retries: "How many times a revision that failed on a lock timeout is
 * retried, with backoff." */
START_TEST(lock_retries_retry_revision)
{
    write_ini("lock_timeout = 200ms\nlock_retries = 5\n");
    write_table_rev("r1", NULL, "t1");
    write_rev("r2", "r1", "ALTER TABLE t1 ADD COLUMN x int;", "ALTER TABLE t1 DROP COLUMN x;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r1", NULL));
    pid_t pid = hold_table_lock("t1", 500);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_str_eq(versions(), "r2");
    ck_assert_str_eq(qv("SELECT count(*) FROM information_schema.columns"
                        " WHERE table_name = 't1' AND column_name = 'x'"),
                     "1");
    wait_child_ok(pid);
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 2. Concurrency                                                     */
/* ------------------------------------------------------------------ */

static void run_concurrent(int n_procs)
{
    write_ini_lock("30s", NULL);
    write_table_rev("r1", NULL, "t1");
    write_rev("r2", "r1", "SELECT pg_sleep(0.3);\nCREATE TABLE t2 (id int);", "DROP TABLE t2;");
    write_table_rev("r3", "r2", "t3");
    write_rev("r4", "r3", "SELECT pg_sleep(0.2);\nCREATE TABLE t4 (id int);", "DROP TABLE t4;");

    int go[2];
    ck_assert_int_eq(pipe(go), 0);
    pid_t pids[8];
    for (int i = 0; i < n_procs; i++) {
        pids[i] = fork();
        ck_assert_int_ge(pids[i], 0);
        if (pids[i] == 0) {
            close(go[1]);
            char c;
            /* wait for the start signal: the parent closes the pipe */
            while (read(go[0], &c, 1) > 0)
                ;
            um_open_options o = UM_OPEN_OPTIONS_INIT;
            o.config_path = ini_path;
            o.database_url = db_url;
            o.application_name = "engine-concurrent";
            um_ctx *ctx = NULL;
            int rc = um_open(&ctx, &o);
            if (rc == UM_OK)
                rc = um_upgrade(ctx, "heads", NULL);
            if (rc)
                fprintf(stderr, "child %d: %d %s\n", i, rc, um_errmsg(ctx));
            um_close(ctx);
            _exit(rc == UM_OK ? 0 : 10 - rc);
        }
    }
    close(go[0]);
    close(go[1]);
    for (int i = 0; i < n_procs; i++) {
        int status = 0;
        ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed: status %d",
                      i, status);
    }
    ck_assert_str_eq(versions(), "r4");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:applied,r3:applied,r4:applied");
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:ok,r3:up:ok,r4:up:ok");
    ASSERT_TABLE("t4");
}

START_TEST(concurrent_two)
{
    run_concurrent(2);
}
END_TEST

START_TEST(concurrent_four)
{
    run_concurrent(4);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 3. Lock wait timeout                                               */
/* ------------------------------------------------------------------ */

/*
 * A process (application_name @app) upgrading to r1, whose
 * @seconds of pg_sleep it is in when this returns; *holder_pid: its
 * backend pid.
 */
static pid_t start_holder(const char *seconds, const char *app, const char **holder_pid)
{
    write_rev("r1", NULL, pgtest_fmt("SELECT pg_sleep(%s);\nCREATE TABLE t1 (id int);", seconds),
              "DROP TABLE t1;");
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        um_open_options o = UM_OPEN_OPTIONS_INIT;
        o.config_path = ini_path;
        o.database_url = db_url;
        o.application_name = app;
        um_ctx *ctx = NULL;
        int rc = um_open(&ctx, &o);
        if (rc == UM_OK)
            rc = um_upgrade(ctx, "heads", NULL);
        um_close(ctx);
        _exit(rc == UM_OK ? 0 : 10 - rc);
    }

    const char *holder = "<null>";
    for (int i = 0; i < 500 && strcmp(holder, "<null>") == 0; i++) {
        holder = qv("SELECT pid FROM pg_stat_activity WHERE application_name = '%s'"
                    " AND datname = current_database() AND state = 'active'"
                    " AND query LIKE '%%pg_sleep%%'",
                    app);
        if (strcmp(holder, "<null>") == 0)
            usleep(10000);
    }
    ck_assert_msg(strcmp(holder, "<null>") != 0, "the holder never started its revision");
    *holder_pid = holder;
    return pid;
}

START_TEST(lock_wait_timeout)
{
    write_ini_lock("200ms", NULL);
    const char *holder;
    pid_t pid = start_holder("3", "engine-holder", &holder);

    um_ctx *ctx = open_engine_app("engine-waiter");
    double t0 = pgtest_now_ms();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ELOCKED);
    double waited = pgtest_now_ms() - t0;
    ck_assert_int_eq(um_error_detail(ctx)->code, UM_ELOCKED);
    ck_assert_msg(strstr(um_errmsg(ctx), holder) != NULL, "message should name pid %s: %s", holder,
                  um_errmsg(ctx));
    ck_assert_msg(strstr(um_errmsg(ctx), "engine-holder") != NULL,
                  "message should name the application: %s", um_errmsg(ctx));
    ck_assert_msg(waited >= 150 && waited < 2500, "waited %.0f ms for a 200ms lock_wait", waited);
    um_close(ctx);

    wait_child_ok(pid);
    ck_assert_str_eq(history(), "r1:up:ok");
    ck_assert_int_eq(qi("SELECT count(*) FROM ultramigrate_version_history"
                        " WHERE application_name = 'engine-waiter'"),
                     0);
    ck_assert_str_eq(qv("SELECT application_name FROM ultramigrate_version_applied"
                        " WHERE revision = 'r1'"),
                     "engine-holder");
}
END_TEST

/* A holder whose application_name holds a password the waiter knows (its
 * URL's): the message naming the holder masks it, as a server's. */
START_TEST(lock_holder_named_without_secrets)
{
    write_ini_lock("0", NULL);
    const char *holder;
    pid_t pid = start_holder("1.5", "holder-Sekr1t-Pw", &holder);
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    o.config_path = ini_path;
    o.database_url = pgtest_url_set(db_url, "password", "Sekr1t-Pw"); /* trust: ignored */
    um_ctx *ctx = NULL;
    PGTEST_CHECK_OK(ctx, um_open(&ctx, &o));
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ELOCKED);
    ck_assert_msg(strstr(um_errmsg(ctx), holder) && !strstr(um_errmsg(ctx), "Sekr1t-Pw"), "%s",
                  um_errmsg(ctx));
    um_close(ctx);
    free((char *)o.database_url);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
}
END_TEST

/* Only lock_wait bounds the wait for the lock: a statement_timeout the
 * database (or role) sets does not cut it short. */
START_TEST(lock_wait_outlasts_statement_timeout)
{
    write_ini_lock("20s", NULL);
    const char *holder;
    pid_t pid = start_holder("1.5", "engine-holder", &holder);
    /* for the sessions that start from now on: the waiter's */
    sql("DO $$ BEGIN EXECUTE format('ALTER DATABASE %%I SET statement_timeout = ''300ms''',"
        " current_database()); END $$");

    um_ctx *ctx = open_engine_app("engine-waiter");
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_close(ctx);
    wait_child_ok(pid);
    ck_assert_str_eq(history(), "r1:up:ok");
}
END_TEST

/*
 * A holder's CREATE INDEX CONCURRENTLY ("Transactional: no") waits for
 * every older snapshot: a waiter for the lock must hold none, or the
 * server finds the two waiting on each other and kills one (the waiter
 * failed with "deadlock detected", or the index build, leaving r2 failed
 * part-way).  Both runs succeed, the index valid.
 */
START_TEST(lock_waiter_lets_concurrent_index_finish)
{
    write_ini_lock("30s", NULL);
    const char *holder;
    write_rev_full("r2", "r1", 0,
                   "SELECT pg_sleep(1.5);\nCREATE INDEX CONCURRENTLY t1_i ON t1 (id);",
                   "DROP INDEX CONCURRENTLY t1_i;");
    pid_t pid = start_holder("0.1", "engine-holder", &holder);
    /* the holder is in r1 or r2's sleep: the waiter waits across the index build */
    um_ctx *ctx = open_engine_app("engine-waiter");
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_close(ctx);
    wait_child_ok(pid);
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:applied");
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:ok");
    ck_assert_int_eq(qi("SELECT count(*) FROM pg_index WHERE indexrelid = 't1_i'::regclass"
                        " AND indisvalid"),
                     1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 4. Progress callback                                               */
/* ------------------------------------------------------------------ */

typedef struct progress_event {
    um_direction direction;
    um_step_phase phase;
    char revision[16];
    size_t index, total;
    double elapsed_ms;
} progress_event;

typedef struct progress_log {
    progress_event ev[32];
    size_t n;
    int cancel; /* cancel at (cancel_phase, cancel_index) */
    um_step_phase cancel_phase;
    size_t cancel_index;
} progress_log;

static int on_progress(const um_step_info *s, void *payload)
{
    progress_log *log = payload;
    if (log->n < 32) {
        progress_event *e = &log->ev[log->n++];
        e->direction = s->direction;
        e->phase = s->phase;
        snprintf(e->revision, sizeof(e->revision), "%s", s->revision ? s->revision : "");
        e->index = s->index;
        e->total = s->total;
        e->elapsed_ms = s->elapsed_ms;
    }
    return log->cancel && s->phase == log->cancel_phase && s->index == log->cancel_index;
}

/* Rewrites r1's file once r2's down step starts: the run is past the check
 * of every section it will run. */
static int rewrite_r1(const um_step_info *s, void *payload)
{
    (void)payload;
    if (s->phase == UM_STEP_START && strcmp(s->revision, "r2") == 0)
        write_rev("r1", NULL, "CREATE TABLE t1 (id int);", "CREATE TABLE sneaked_in (id int);");
    return 0;
}

/* A step runs the text checked before the run (verify_plan_sections),
 * not its file as it is by then: what was never checked never runs. */
START_TEST(step_runs_the_checked_text)
{
    write_linear(2);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_apply_options ao;
    ck_assert_int_eq(um_apply_options_init(&ao, UM_APPLY_OPTIONS_VERSION), UM_OK);
    ao.progress_cb = rewrite_r1;
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "base", &ao));
    ASSERT_NO_TABLE("t1");
    ASSERT_NO_TABLE("sneaked_in");
    um_close(ctx);
}
END_TEST

START_TEST(progress_reports_each_step)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    progress_log log = { .n = 0 };
    um_apply_options ao;
    ck_assert_int_eq(um_apply_options_init(&ao, UM_APPLY_OPTIONS_VERSION), UM_OK);
    ao.progress_cb = on_progress;
    ao.progress_payload = &log;
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", &ao));

    ck_assert_uint_eq(log.n, 6);
    for (size_t k = 0; k < 3; k++) {
        progress_event *s = &log.ev[2 * k], *d = &log.ev[2 * k + 1];
        ck_assert_int_eq(s->phase, UM_STEP_START);
        ck_assert_int_eq(d->phase, UM_STEP_DONE);
        ck_assert_str_eq(s->revision, pgtest_fmt("r%zu", k + 1));
        ck_assert_str_eq(d->revision, pgtest_fmt("r%zu", k + 1));
        ck_assert_uint_eq(s->index, k);
        ck_assert_uint_eq(d->index, k);
        ck_assert_uint_eq(s->total, 3);
        ck_assert_uint_eq(d->total, 3);
        ck_assert_int_eq(s->direction, UM_UP);
        ck_assert(s->elapsed_ms == 0);
        ck_assert(d->elapsed_ms >= 0);
    }

    log.n = 0;
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "r1", &ao));
    ck_assert_uint_eq(log.n, 4);
    ck_assert_str_eq(log.ev[0].revision, "r3");
    ck_assert_int_eq(log.ev[0].direction, UM_DOWN);
    ck_assert_uint_eq(log.ev[0].total, 2);
    ck_assert_str_eq(log.ev[2].revision, "r2");
    ck_assert_uint_eq(log.ev[3].index, 1);

    ao.version = 99;
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", &ao), UM_EVERSION);
    ck_assert_str_eq(versions(), "r1");
    um_close(ctx);
}
END_TEST

START_TEST(progress_cancel_at_start)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    progress_log log = { .cancel = 1, .cancel_phase = UM_STEP_START, .cancel_index = 1 };
    um_apply_options ao = UM_APPLY_OPTIONS_INIT;
    ao.progress_cb = on_progress;
    ao.progress_payload = &log;
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", &ao), UM_ECANCELLED);
    ck_assert_str_eq(versions(), "r1");
    ck_assert_str_eq(applied_rows(), "r1:applied");
    ASSERT_TABLE("t1");
    ASSERT_NO_TABLE("t2");
    ck_assert_int_eq(qi("SELECT count(*) FROM ultramigrate_version_history"
                        " WHERE direction = 'up' AND state = 'ok'"),
                     1);
    um_close(ctx);
}
END_TEST

/* The header: "Called before and after every step.  Returning non-zero
 * cancels the run before the next step" - after a step too. */
START_TEST(progress_cancel_at_done)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    progress_log log = { .cancel = 1, .cancel_phase = UM_STEP_DONE, .cancel_index = 0 };
    um_apply_options ao = UM_APPLY_OPTIONS_INIT;
    ao.progress_cb = on_progress;
    ao.progress_payload = &log;
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", &ao), UM_ECANCELLED);
    ck_assert_str_eq(versions(), "r1");
    ASSERT_TABLE("t1");
    ASSERT_NO_TABLE("t2");
    um_close(ctx);
}
END_TEST

/* Every way a run can end gives the lock back. */
START_TEST(lock_released_after_errors)
{
    write_ini_lock("200ms", NULL);
    write_linear(3);
    write_rev("r3", "r2", "INSERT INTO nope VALUES (1);", NULL);
    um_ctx *a = open_engine();
    um_ctx *b = open_engine();

    PGTEST_CHECK_RC(a, um_upgrade(a, "heads", NULL), UM_ESQL);
    PGTEST_CHECK_OK(b, um_ensure_schema(b));
    PGTEST_CHECK_RC(a, um_upgrade(a, "nosuch", NULL), UM_ETARGET);
    PGTEST_CHECK_OK(b, um_ensure_schema(b));
    PGTEST_CHECK_RC(a, um_rollback(a, "base", NULL), UM_OK);
    progress_log log = { .cancel = 1, .cancel_phase = UM_STEP_START, .cancel_index = 1 };
    um_apply_options ao = UM_APPLY_OPTIONS_INIT;
    ao.progress_cb = on_progress;
    ao.progress_payload = &log;
    PGTEST_CHECK_RC(a, um_upgrade(a, "heads", &ao), UM_ECANCELLED);
    PGTEST_CHECK_OK(b, um_ensure_schema(b));
    PGTEST_CHECK_RC(a, um_stamp(a, "nosuch"), UM_ETARGET);
    PGTEST_CHECK_OK(b, um_upgrade(b, "r2", NULL));
    ck_assert_str_eq(versions(), "r2");
    PGTEST_CHECK_RC(a, um_rollback(a, "base", NULL), UM_OK);
    PGTEST_CHECK_OK(b, um_ensure_schema(b));
    ck_assert_str_eq(versions(), "");
    um_close(a);
    um_close(b);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *locking_suite(void)
{
    Suite *s = suite_create("locking");

    PGTEST_ADD_TESTS(tcase(s, "timeouts"), statement_timeout_applies,
                     statement_timeout_applies_nontx, lock_timeout_fails_revision,
                     lock_retries_retry_revision);

    PGTEST_ADD_TESTS(tcase(s, "concurrency"), concurrent_two, concurrent_four);

    PGTEST_ADD_TESTS(tcase(s, "lock"), lock_wait_timeout, lock_wait_outlasts_statement_timeout,
                     lock_waiter_lets_concurrent_index_finish, lock_holder_named_without_secrets);

    PGTEST_ADD_TESTS(tcase(s, "progress"), step_runs_the_checked_text, progress_reports_each_step,
                     progress_cancel_at_start, progress_cancel_at_done, lock_released_after_errors);

    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(locking_suite());
}
