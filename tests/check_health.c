/*
 * check_health.c - the health snapshot against a real PostgreSQL: every
 * status (ok, pending, failed, ahead, diverged, unreachable, cancelled,
 * migrating) through the API, the JSON and the CLI; a snapshot reads no
 * file after um_open.
 * What a host relies on around it (borrowed connections, cancelling,
 * waiting for the database) is in check_embedding.c.
 *
 * Each test gets its own database and project directory (pgtest.h's
 * project fixture); a server that goes away is a dedicated cluster
 * (pgtest_dedicated_start).
 */
#define PGTEST_SHORT_NAMES
#include "pgtest.h"

#include <ultramigrate/ultramigrate.h>

#include <check.h>
#include <libpq-fe.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Snapshots, JSON, the CLI                                             */
/* ------------------------------------------------------------------ */

/* "YYYY-MM-DDTHH:MM:SS...Z" */
static void assert_iso_utc(const char *s)
{
    ck_assert_msg(strlen(s) >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
                      s[strlen(s) - 1] == 'Z',
                  "not an ISO 8601 UTC time: '%s'", s);
}

/* The fields a health aggregator reads, and that they agree with @status. */
static void assert_health_document(json_t *j, const char *status)
{
    ck_assert_str_eq(jstr(j, "name"), "database_migrations");
    ck_assert_str_eq(jstr(j, "service_type"), "database");
    ck_assert(json_is_false(json_object_get(j, "critical")));
    ck_assert_str_eq(jstr(j, "status"), status);
    ck_assert(json_is_boolean(json_object_get(j, "healthy")));
    ck_assert_int_eq(json_is_true(json_object_get(j, "healthy")), strcmp(status, "ok") == 0);
    ck_assert_str_ne(jstr(j, "message"), "");
    ck_assert(json_is_array(json_object_get(j, "current_heads")));
    ck_assert(json_is_array(json_object_get(j, "expected_heads")));
    ck_assert(json_is_integer(json_object_get(j, "pending")));
    ck_assert(json_is_number(json_object_get(j, "round_trip_ms")));
    assert_iso_utc(jstr(j, "taken_at"));
}

/* um_health_to_json(@h): the document, and the snapshot's own fields. */
static void assert_json(const um_health *h)
{
    char *text = um_health_to_json(h);
    json_t *j = pgtest_json_parse(text);
    um_free(text);
    assert_health_document(j, um_health_status_name(h->status));
    ck_assert_str_eq(jstr(j, "message"), h->message);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "pending")), (json_int_t)h->pending);
    json_t *cur = json_object_get(j, "current_heads");
    size_t kept =
        h->n_current_heads < UM_HEALTH_MAX_HEADS ? h->n_current_heads : UM_HEALTH_MAX_HEADS;
    ck_assert_uint_eq(json_array_size(cur), kept);
    for (size_t i = 0; i < kept; i++)
        ck_assert_str_eq(json_string_value(json_array_get(cur, i)), h->current_heads[i]);
    kept = h->n_expected_heads < UM_HEALTH_MAX_HEADS ? h->n_expected_heads : UM_HEALTH_MAX_HEADS;
    ck_assert_uint_eq(json_array_size(json_object_get(j, "expected_heads")), kept);
    json_t *last = json_object_get(j, "last_applied");
    if (h->last_applied[0])
        ck_assert_str_eq(jstr(last, "revision"), h->last_applied);
    else
        ck_assert(json_is_null(last));
    json_decref(j);
}

/* Runs `UM_CLI -c INI -d @url health [--json]` in the project, collecting
 * stdout and stderr (pooled). */
static pgtest_cli_result run_health_cli(const char *url, bool json)
{
    const char *const argv[] = {
        "-c", ini_path, "-d", url, "health", json ? "--json" : NULL, NULL
    };
    pgtest_cli_result r = pgtest_run_cli(proj_dir, NULL, argv);
    pgtest_keep(r.out);
    pgtest_keep(r.err);
    return r;
}

/* `health` and `health --json` both exit @code and report @status. */
static void assert_cli(const char *url, int code, const char *status)
{
    pgtest_cli_result r = run_health_cli(url, false);
    ck_assert_msg(r.status == code, "health: exit %d, expected %d\n--- stdout\n%s\n--- stderr\n%s",
                  r.status, code, r.out, r.err);
    ck_assert_msg(strstr(r.out, pgtest_fmt("Status:         %s\n", status)) != NULL,
                  "health printed:\n%s", r.out);
    r = run_health_cli(url, true);
    ck_assert_msg(r.status == code,
                  "health --json: exit %d, expected %d\n--- stdout\n%s\n"
                  "--- stderr\n%s",
                  r.status, code, r.out, r.err);
    json_t *j = pgtest_json_parse(r.out);
    assert_health_document(j, status);
    json_decref(j);
}

/* ------------------------------------------------------------------ */
/* 1. Every status                                                      */
/* ------------------------------------------------------------------ */

START_TEST(status_ok)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_OK);
    ck_assert_uint_eq(h.version, UM_HEALTH_VERSION);
    ck_assert_uint_eq(h.n_current_heads, 1);
    ck_assert_str_eq(h.current_heads[0], "r3");
    ck_assert_uint_eq(h.n_expected_heads, 1);
    ck_assert_str_eq(h.expected_heads[0], "r3");
    ck_assert_uint_eq(h.pending, 0);
    ck_assert_str_eq(h.last_applied, "r3");
    assert_iso_utc(h.last_applied_at);
    assert_iso_utc(h.taken_at);
    ck_assert(h.round_trip_ms > 0);
    ck_assert_str_ne(h.message, "");
    assert_json(&h);

    /* again, from what the first snapshot learnt */
    um_health h2 = snap(ctx);
    ASSERT_STATUS(h2, UM_HEALTH_OK);
    ck_assert_str_eq(h2.last_applied, "r3");
    ck_assert_str_eq(h2.last_applied_at, h.last_applied_at);
    um_close(ctx);
}
END_TEST

START_TEST(status_pending)
{
    write_linear(4);
    um_ctx *ctx = open_engine();

    /* never migrated: no bookkeeping tables yet */
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 4);
    ck_assert_uint_eq(h.n_current_heads, 0);
    ck_assert_str_eq(h.last_applied, "");
    ck_assert_str_eq(h.last_applied_at, "");
    ASSERT_MESSAGE_HAS(h, "4");
    assert_json(&h);

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r2", NULL));
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 2);
    ck_assert_uint_eq(h.n_current_heads, 1);
    ck_assert_str_eq(h.current_heads[0], "r2");
    ck_assert_str_eq(h.expected_heads[0], "r4");
    ck_assert_str_eq(h.last_applied, "r2");
    assert_json(&h);

    /* another process moves the database on: the same handle sees it */
    um_ctx *other = open_engine();
    PGTEST_CHECK_OK(other, um_upgrade(other, "r3", NULL));
    um_close(other);
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 1);
    ck_assert_str_eq(h.last_applied, "r3");

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_OK);
    ck_assert_uint_eq(h.pending, 0);

    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "r1", NULL));
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 3);
    ck_assert_str_eq(h.last_applied, "r1");
    um_close(ctx);
}
END_TEST

START_TEST(status_empty_project)
{
    um_ctx *ctx = open_engine();
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_OK);
    ck_assert_uint_eq(h.pending, 0);
    ck_assert_uint_eq(h.n_expected_heads, 0);
    assert_json(&h);
    um_close(ctx);
}
END_TEST

/* More heads than the snapshot keeps (UM_HEALTH_MAX_HEADS), with ids of
 * the longest length (32). */
START_TEST(status_many_heads)
{
    for (int i = 0; i < 10; i++)
        write_table_rev(pgtest_fmt("h%031d", i), NULL, pgtest_fmt("t%d", i));
    um_ctx *ctx = open_engine();
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.n_expected_heads, 10);
    ck_assert_uint_eq(h.pending, 10);
    for (size_t i = 0; i < UM_HEALTH_MAX_HEADS; i++)
        ck_assert_uint_eq(strlen(h.expected_heads[i]), 32);
    assert_json(&h);

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_OK);
    ck_assert_uint_eq(h.n_current_heads, 10);
    for (size_t i = 0; i < UM_HEALTH_MAX_HEADS; i++)
        ck_assert_str_eq(h.current_heads[i], pgtest_fmt("h%031zu", i));
    ck_assert_uint_eq(strlen(h.last_applied), 32);
    assert_json(&h);
    um_close(ctx);

    pgtest_cli_result r = run_health_cli(db_url, false);
    ck_assert_msg(r.status == 0 && strstr(r.out, "(and 2 more)"), "exit %d:\n%s", r.status, r.out);
}
END_TEST

/* A "Transactional: no" revision whose second statement fails. */
START_TEST(status_failed)
{
    write_table_rev("r1", NULL, "t1");
    write_rev_full("r2", "r1", 0, "CREATE TABLE t2 (id int);\n\nINSERT INTO nope VALUES (1);",
                   "DROP TABLE t2;");
    write_table_rev("r3", "r2", "t3");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:failed");

    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_FAILED); /* worse than the 2 pending */
    ASSERT_MESSAGE_HAS(h, "r2");
    ck_assert_str_eq(h.current_heads[0], "r1");
    ck_assert_str_eq(h.last_applied, "r1");
    assert_json(&h);

    /* a new handle (a new process) says the same */
    um_ctx *fresh = open_engine();
    h = snap(fresh);
    ASSERT_STATUS(h, UM_HEALTH_FAILED);
    ASSERT_MESSAGE_HAS(h, "r2");
    um_close(fresh);
    /* nothing was rolled back: t2 stays, and status and current say so */
    const char *const status_argv[] = { "status", NULL }, *const current_argv[] = { "current",
                                                                                    NULL };
    pgtest_cli_result r = pgtest_run_cli(proj.dir, db_url, status_argv);
    pgtest_assert_status(r, 11, "status after a part-way failure");
    ck_assert_msg(strstr(r.out, "Last run:      failed at revision r2 (part-way: what ran stays"
                                " done") &&
                      !strstr(r.out, "rolled back"),
                  "%s", r.out);
    pgtest_cli_result_free(&r);
    r = pgtest_run_cli(proj.dir, db_url, current_argv);
    pgtest_assert_status(r, 11, "current after a part-way failure");
    ck_assert_msg(strstr(r.err, "failed at revision r2 (part-way") && !strstr(r.err, "rolled back"),
                  "%s", r.err);
    pgtest_cli_result_free(&r);

    /* interrupted rather than failed: in progress */
    sql("UPDATE ultramigrate_version_applied SET state = 'in_progress' WHERE revision = 'r2'");
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_FAILED);
    ASSERT_MESSAGE_HAS(h, "r2");
    ASSERT_MESSAGE_HAS(h, "in progress");
    um_close(ctx);
}
END_TEST

/* A transactional revision that fails leaves no applied row: the newest
 * history entry tells of the failed run, until a run succeeds. */
START_TEST(status_failed_transactional)
{
    write_linear(1);
    write_rev("r2", "r1", "CREATE TABLE t2 (id int);\nINSERT INTO nope VALUES (1);",
              "DROP TABLE t2;");
    write_table_rev("r3", "r2", "t3");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r1", NULL));
    ASSERT_STATUS(snap(ctx), UM_HEALTH_PENDING);
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_str_eq(applied_rows(), "r1:applied");

    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_FAILED);
    ASSERT_MESSAGE_HAS(h, "r2");
    ck_assert_str_eq(h.current_heads[0], "r1");
    ck_assert_uint_eq(h.pending, 2);
    assert_json(&h);
    /* status says what health says: the last run failed, at r2 */
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_str_eq(um_status_last_failed(st), "r2");
    ck_assert_uint_eq(um_status_count(st, UM_STATUS_PENDING), 2);
    um_status_free(st);
    pgtest_cli_result r = pgtest_run_cli(proj.dir, db_url, (const char *const[]){ "status", NULL });
    pgtest_assert_status(r, 11, "status after a failed run");
    ck_assert_msg(strstr(r.out, "Last run:      failed at revision r2 (rolled back;"), "%s", r.out);
    pgtest_cli_result_free(&r);
    r = pgtest_run_cli(proj.dir, db_url, (const char *const[]){ "--json", "status", NULL });
    pgtest_assert_status(r, 11, "status --json after a failed run");
    ck_assert_msg(strstr(r.out, "\"last_failed\": \"r2\""), "%s", r.out);
    pgtest_cli_result_free(&r);
    um_close(ctx);

    /* fixed: the next run succeeds, and so do the snapshot and status */
    write_table_rev("r2", "r1", "t2");
    ctx = open_engine();
    ASSERT_STATUS(snap(ctx), UM_HEALTH_FAILED);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_ptr_null(um_status_last_failed(st));
    um_status_free(st);
    ck_assert_ptr_null(um_status_last_failed(NULL));
    ck_assert_int_eq(um_status_run_in_progress(NULL), 0);
    um_close(ctx);
}
END_TEST

/* An operator who finished a failed "Transactional: no" revision by hand
 * stamps it: the failure is over, and the rows already applied keep when
 * they were applied. */
START_TEST(status_failed_then_stamped)
{
    write_table_rev("r1", NULL, "t1");
    write_rev_full("r2", "r1", 0, "CREATE TABLE t2 (id int);\nINSERT INTO nope VALUES (1);",
                   "DROP TABLE t2;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ASSERT_STATUS(snap(ctx), UM_HEALTH_FAILED);
    const char *r1_at = qv("SELECT applied_at::text FROM ultramigrate_version_applied"
                           " WHERE revision = 'r1'");

    PGTEST_CHECK_OK(ctx, um_stamp(ctx, "heads"));
    ck_assert_str_eq(versions(), "r2");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:applied");
    ck_assert_str_eq(qv("SELECT applied_at::text FROM ultramigrate_version_applied"
                        " WHERE revision = 'r1'"),
                     r1_at);
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    um_close(ctx);
}
END_TEST

/* Applied with a project, then seen by one that lacks the last file. */
START_TEST(status_ahead_of_files)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_close(ctx);
    ck_assert_int_eq(unlink(rev_path("r3")), 0);

    ctx = open_engine();
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_AHEAD);
    ASSERT_MESSAGE_HAS(h, "r3");
    ck_assert_str_eq(h.current_heads[0], "r3");
    ck_assert_str_eq(h.expected_heads[0], "r2");
    assert_json(&h);

    /* um_status has nothing pending here (an upgrade cannot be planned),
     * and r1, r2 are applied: pending must not count them. */
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    size_t n_status = um_status_pending_count(st);
    um_status_free(st);
    ck_assert_uint_eq(n_status, 0);
    ck_assert_msg(h.pending == n_status,
                  "ahead: pending %zu, but r1 and r2 are applied (um_status: %zu pending)",
                  h.pending, n_status);
    um_close(ctx);
}
END_TEST

/* Rows inserted by hand: an applied row, then a version row, no file has. */
START_TEST(status_ahead_by_hand)
{
    write_linear(2);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);

    /* the history moved: the same handle reads the applied rows again */
    sql("INSERT INTO ultramigrate_version_applied (revision, checksum, tool_version, state)"
        " VALUES ('zz9', 'x', 'test', 'applied');"
        " INSERT INTO ultramigrate_version_history (revision, direction, state, tool_version)"
        " VALUES ('zz9', 'up', 'ok', 'test')");
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_AHEAD);
    ASSERT_MESSAGE_HAS(h, "zz9");
    sql("DELETE FROM ultramigrate_version_applied WHERE revision = 'zz9';"
        " INSERT INTO ultramigrate_version_history (revision, direction, state, tool_version)"
        " VALUES ('zz9', 'down', 'ok', 'test')");
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);

    /* a version row alone: seen without any history change */
    sql("INSERT INTO ultramigrate_version VALUES ('zz8')");
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_AHEAD);
    ASSERT_MESSAGE_HAS(h, "zz8");
    ck_assert_uint_eq(h.n_current_heads, 2);
    assert_json(&h);
    sql("DELETE FROM ultramigrate_version WHERE version_num = 'zz8'");
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    um_close(ctx);
}
END_TEST

/* An applied revision's up section changed on disk: a new handle sees it;
 * one opened before keeps the files it read. */
START_TEST(status_diverged_file)
{
    write_linear(3);
    um_ctx *before = open_engine();
    PGTEST_CHECK_OK(before, um_upgrade(before, "heads", NULL));
    write_rev("r2", "r1", "CREATE TABLE t2 (id bigint);", "DROP TABLE t2;");

    um_ctx *ctx = open_engine();
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_DIVERGED);
    ASSERT_MESSAGE_HAS(h, "r2");
    ck_assert_uint_eq(h.pending, 0);
    assert_json(&h);
    um_close(ctx);

    ASSERT_STATUS(snap(before), UM_HEALTH_OK);
    um_close(before);

    /* the down section is not part of the checksum */
    write_rev("r2", "r1", "CREATE TABLE t2 (id int);", "DROP TABLE IF EXISTS t2;");
    ctx = open_engine();
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    um_close(ctx);
}
END_TEST

/* Another process applied r2 with another checksum (simulated): the open
 * handle sees it at the next snapshot, since the history moved. */
START_TEST(status_diverged_database)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    const char *sum = qv("SELECT checksum FROM ultramigrate_version_applied"
                         " WHERE revision = 'r2'");

    sql("UPDATE ultramigrate_version_applied SET checksum = repeat('0', 64)"
        " WHERE revision = 'r2';"
        " INSERT INTO ultramigrate_version_history (revision, direction, state, tool_version)"
        " VALUES ('r2', 'up', 'ok', 'other')");
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_DIVERGED);
    ASSERT_MESSAGE_HAS(h, "r2");
    ASSERT_MESSAGE_HAS(h, "1 revision");
    assert_json(&h);

    sql("UPDATE ultramigrate_version_applied SET checksum = repeat('1', 64)"
        " WHERE revision IN ('r1', 'r3');"
        " INSERT INTO ultramigrate_version_history (revision, direction, state, tool_version)"
        " VALUES ('r3', 'up', 'ok', 'other')");
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_DIVERGED);
    ASSERT_MESSAGE_HAS(h, "3 revisions");

    sql("UPDATE ultramigrate_version_applied a SET checksum = '%s' WHERE revision = 'r2';"
        " INSERT INTO ultramigrate_version_history (revision, direction, state, tool_version)"
        " VALUES ('r2', 'up', 'ok', 'other')",
        sum);
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_DIVERGED);
    ASSERT_MESSAGE_HAS(h, "2 revisions");
    um_close(ctx);
}
END_TEST

/* The bookkeeping tables vanish (the database was recreated, or restored
 * from before the first migration): what the handle learnt from them
 * earlier no longer holds. */
START_TEST(status_tables_dropped)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    sql("UPDATE ultramigrate_version_applied SET checksum = repeat('0', 64)"
        " WHERE revision = 'r2';"
        " INSERT INTO ultramigrate_version_history (revision, direction, state, tool_version)"
        " VALUES ('r2', 'up', 'ok', 'other')");
    ASSERT_STATUS(snap(ctx), UM_HEALTH_DIVERGED);

    sql("DROP TABLE ultramigrate_version, ultramigrate_version_applied,"
        " ultramigrate_version_history, t1, t2, t3");
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 3);
    ck_assert_uint_eq(h.n_current_heads, 0);
    ck_assert_str_eq(h.last_applied, "");
    ck_assert_str_eq(h.last_applied_at, "");
    assert_json(&h);

    /* a new handle agrees */
    um_ctx *fresh = open_engine();
    um_health f = snap(fresh);
    ASSERT_STATUS(f, UM_HEALTH_PENDING);
    ck_assert_str_eq(f.last_applied, "");
    um_close(fresh);
    um_close(ctx);
}
END_TEST

START_TEST(status_unreachable_dead_port)
{
    write_linear(2);
    um_ctx *ctx = open_with(dead_url(), NULL, NULL, NULL);
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_UNREACHABLE);
    ck_assert_str_ne(h.message, "");
    ck_assert_msg(!strpbrk(h.message, "\n\t"), "not one line: '%s'", h.message);
    ck_assert_uint_eq(h.pending, 0); /* unknown */
    ck_assert_uint_eq(h.n_current_heads, 0);
    ck_assert_str_eq(h.last_applied, "");
    ck_assert_uint_eq(h.n_expected_heads, 1);
    ck_assert_str_eq(h.expected_heads[0], "r2");
    assert_iso_utc(h.taken_at);
    assert_json(&h);
    /* the handle has no error: the snapshot holds the reason */
    ck_assert_int_eq(um_error_detail(ctx)->code, 0);
    um_close(ctx);
}
END_TEST

/* The message keeps to its 255 bytes without splitting a character, so
 * that the JSON still renders (Jansson takes UTF-8 only). */
START_TEST(status_message_cut_at_a_character)
{
    write_linear(1);
    for (int pad = 0; pad < 2; pad++) {
        const char *url =
            pgtest_fmt("%s application_name=%.*s%s", dead_url(), pad, "x",
                       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
        um_ctx *ctx = open_with(url, NULL, NULL, NULL);
        um_health h = snap(ctx);
        ASSERT_STATUS(h, UM_HEALTH_UNREACHABLE);
        ck_assert_uint_ge(strlen(h.message), 250);
        char *json = um_health_to_json(&h);
        ck_assert_msg(json != NULL, "no JSON for a message cut at %zu bytes", strlen(h.message));
        um_free(json);
        um_close(ctx);
    }
}
END_TEST

/* A server that goes away and comes back: the next snapshots report it
 * unreachable, then reconnect by themselves. */
START_TEST(status_unreachable_server_restart)
{
    write_linear(2);
    const char *cluster_url = pgtest_dedicated_start();
    um_ctx *ctx = open_with(cluster_url, NULL, NULL, NULL);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r1", NULL));
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 1);

    /* synchronous_commit is off there: what an immediate stop would lose */
    ck_assert_int_eq(pgtest_exec(cluster_url, "CHECKPOINT"), 0);
    ck_assert_int_eq(pgtest_dedicated_ctl("stop"), 0);
    for (int i = 0; i < 2; i++) {
        h = snap(ctx);
        ASSERT_STATUS(h, UM_HEALTH_UNREACHABLE);
        ck_assert_str_ne(h.message, "");
        ck_assert_uint_eq(h.pending, 0);
        assert_json(&h);
    }
    assert_cli(cluster_url, 14, "unreachable");

    ck_assert_int_eq(pgtest_dedicated_ctl("start"), 0);
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 1);
    ck_assert_str_eq(h.current_heads[0], "r1");
    ck_assert_str_eq(h.last_applied, "r1");
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    um_close(ctx);
}
END_TEST

/* The backend of the run sleeping in revision r2 ("0" while there is none). */
static const char *sleeping_backend(void)
{
    return qv("SELECT coalesce(max(pid), 0) FROM pg_stat_activity"
              " WHERE datname = current_database() AND state = 'active'"
              " AND application_name = 'ultramigrate' AND query LIKE '%%pg_sleep(61)%%'"
              " AND pid <> pg_backend_pid()");
}

/* A session that takes the advisory lock (@key) after a run marked its
 * revision and was killed (a backup) is not that run: still failed. */
static void assert_later_holder_not_the_run(um_ctx *ctx, const char *key)
{
    PGconn *other = PQconnectdb(db_url);
    ck_assert_int_eq(PQstatus(other), CONNECTION_OK);
    PGresult *res = PQexec(other, pgtest_fmt("SELECT pg_advisory_lock(%s)", key));
    ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
    PQclear(res);
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_FAILED);
    ASSERT_MESSAGE_HAS(h, "no longer holds the migration lock");
    PQfinish(other);
}

/*
 * An upgrade in the background (the CLI, configured with @ini_extra) is
 * migrating: r2, "Transactional: no", sleeps with its applied row
 * in_progress while the run holds the migration lock.  Snapshots, the JSON
 * and the CLI say "migrating", not "failed"; once the run's backend is
 * terminated nobody holds the lock (lock_mode = table: once the lease
 * expired) and the row left in progress is a failure.
 */
static void assert_migrating_then_failed(const char *ini_extra)
{
    write_ini(ini_extra);
    write_table_rev("r1", NULL, "t1");
    write_rev_full("r2", "r1", 0, "SELECT pg_sleep(61);", NULL);
    write_table_rev("r3", "r2", "t3");
    const char *const argv[] = { "-c", ini_path, "upgrade", "--no-backup", NULL };
    pid_t run = pgtest_spawn_cli(proj_dir, db_url, argv);
    double deadline = pgtest_now_ms() + 20000;
    while (strcmp(sleeping_backend(), "0") == 0 && pgtest_now_ms() < deadline)
        usleep(20000);
    const char *backend = sleeping_backend();
    ck_assert_msg(strcmp(backend, "0") != 0, "the run never reached r2: %s", applied_rows());
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:in_progress");

    /* the advisory key, as pg_locks shows the run holding it */
    const char *key = qv("SELECT coalesce(max((classid::bigint << 32) | objid::bigint), 0)"
                         " FROM pg_locks WHERE locktype = 'advisory' AND pid = %s",
                         backend);
    um_ctx *ctx = open_engine();
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_MIGRATING);
    ASSERT_MESSAGE_HAS(h, "r2");
    ck_assert_uint_eq(h.pending, 1);
    ck_assert_str_eq(h.current_heads[0], "r1");
    assert_json(&h); /* healthy false: not at the heads yet */
    assert_cli(db_url, 23, "migrating");

    sql("SELECT pg_terminate_backend(%s)", backend);
    ck_assert_int_ne(pgtest_wait_child(run), 0);
    /* lock_mode = table: the killed run's row holds the lock until its lease expired */
    deadline = pgtest_now_ms() + 20000;
    for (h = snap(ctx); h.status == UM_HEALTH_MIGRATING && pgtest_now_ms() < deadline;
         h = snap(ctx))
        usleep(100000);
    ASSERT_STATUS(h, UM_HEALTH_FAILED);
    ASSERT_MESSAGE_HAS(h, "r2");
    ASSERT_MESSAGE_HAS(h, "migration lock");
    assert_cli(db_url, 11, "failed");
    if (!ini_extra)
        assert_later_holder_not_the_run(ctx, key);
    um_close(ctx);
}

/* um_status_run_in_progress() of a fresh status (the status itself must
 * succeed, whatever the lock look found). */
static int status_run_in_progress(um_ctx *ctx)
{
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    int running = um_status_run_in_progress(st);
    um_status_free(st);
    return running;
}

/* lock_mode = table, by hand: a revision in progress is migrating while a
 * lock row's lease runs, failed once it expired or with no row; a lock
 * table that cannot be read leaves it failed, saying so. */
START_TEST(status_in_progress_lock_row)
{
    write_ini("lock_mode = table\n");
    write_linear(2);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert(table_exists("ultramigrate_version_lock"));
    sql("UPDATE ultramigrate_version_applied SET state = 'in_progress' WHERE revision = 'r2'");
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_FAILED);
    ASSERT_MESSAGE_HAS(h, "revision r2 is in progress, but the run that began it no longer holds");

    /* a run that took the lock before it marked r2 */
    sql("INSERT INTO ultramigrate_version_lock (token, host, pid, acquired_at, lease_until)"
        " VALUES ('other', 'elsewhere', 1, now() - interval '1 hour', now() + interval '1 hour')");
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_MIGRATING);
    ASSERT_MESSAGE_HAS(h, "revision r2 is being applied");
    assert_json(&h);
    ck_assert_int_eq(status_run_in_progress(ctx), 1); /* status agrees */

    /* one that took it after (a backup once the run that marked r2 was
     * killed) is not that run */
    sql("UPDATE ultramigrate_version_lock SET acquired_at = clock_timestamp()");
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_FAILED);
    ASSERT_MESSAGE_HAS(h, "no longer holds the migration lock");
    ck_assert_int_eq(status_run_in_progress(ctx), 0);
    sql("UPDATE ultramigrate_version_lock SET acquired_at = now() - interval '1 hour'");

    sql("UPDATE ultramigrate_version_lock SET lease_until = now() - interval '1 second'");
    ASSERT_STATUS(snap(ctx), UM_HEALTH_FAILED);

    /* a failed row is a failure, whoever holds the lock */
    sql("UPDATE ultramigrate_version_lock SET lease_until = now() + interval '1 hour'");
    sql("UPDATE ultramigrate_version_applied SET state = 'failed' WHERE revision = 'r2'");
    ASSERT_STATUS(snap(ctx), UM_HEALTH_FAILED);

    sql("UPDATE ultramigrate_version_applied SET state = 'in_progress' WHERE revision = 'r2'");
    sql("ALTER TABLE ultramigrate_version_lock RENAME COLUMN lease_until TO lease_end");
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_FAILED);
    ASSERT_MESSAGE_HAS(h, "whether a run holds the migration lock is not known");
    ck_assert_str_eq(um_errmsg(ctx), "");
    ck_assert_int_eq(status_run_in_progress(ctx), 0); /* unknown: reported unfinished */
    ck_assert_str_eq(um_errmsg(ctx), "");
    um_close(ctx);
}
END_TEST

START_TEST(status_migrating_advisory)
{
    assert_migrating_then_failed(NULL);
}
END_TEST

START_TEST(status_migrating_table_lock)
{
    assert_migrating_then_failed("lock_mode = table\nlock_lease = 3s\n");
}
END_TEST

/* The CLI's exit status in every state, and its JSON. */
START_TEST(cli_exit_codes)
{
    write_linear(2);
    assert_cli(db_url, 10, "pending");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_close(ctx);
    assert_cli(db_url, 0, "ok");

    sql("UPDATE ultramigrate_version_applied SET state = 'failed' WHERE revision = 'r2'");
    assert_cli(db_url, 11, "failed");
    sql("UPDATE ultramigrate_version_applied SET state = 'applied' WHERE revision = 'r2'");

    sql("INSERT INTO ultramigrate_version VALUES ('zz9')");
    assert_cli(db_url, 12, "ahead");
    sql("DELETE FROM ultramigrate_version WHERE version_num = 'zz9'");

    const char *sum = qv("SELECT checksum FROM ultramigrate_version_applied"
                         " WHERE revision = 'r1'");
    sql("UPDATE ultramigrate_version_applied SET checksum = repeat('0', 64)"
        " WHERE revision = 'r1'");
    assert_cli(db_url, 13, "diverged");
    sql("UPDATE ultramigrate_version_applied SET checksum = '%s' WHERE revision = 'r1'", sum);

    assert_cli(dead_url(), 14, "unreachable");
    assert_cli(db_url, 0, "ok");

    /* the last run was cancelled with work left: not a failure */
    ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "r1", NULL));
    um_close(ctx);
    sql("INSERT INTO ultramigrate_version_history (revision, direction, state, tool_version)"
        " VALUES ('r2', 'up', 'cancelled', 'test')");
    assert_cli(db_url, 15, "cancelled");
}
END_TEST

/* ------------------------------------------------------------------ */
/* 2. What a snapshot costs                                             */
/* ------------------------------------------------------------------ */

/* The files are read at um_open only: a snapshot works without them. */
START_TEST(snapshot_reads_no_files)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r2", NULL));
    const char *dir = pgtest_fmt("%s/migrations/versions", proj_dir);
    const char *gone = pgtest_fmt("%s/migrations/versions.gone", proj_dir);
    ck_assert_int_eq(rename(dir, gone), 0);

    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 1);
    ck_assert_str_eq(h.current_heads[0], "r2");
    ck_assert_str_eq(h.expected_heads[0], "r3");
    ck_assert_str_eq(h.last_applied, "r2");

    /* a refresh (the history moved) compares checksums from memory too */
    sql("UPDATE ultramigrate_version_applied SET checksum = repeat('0', 64)"
        " WHERE revision = 'r1';"
        " INSERT INTO ultramigrate_version_history (revision, direction, state, tool_version)"
        " VALUES ('r1', 'up', 'ok', 'other')");
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_DIVERGED);
    ASSERT_MESSAGE_HAS(h, "r1");
    ck_assert_int_eq(rename(gone, dir), 0);
    um_close(ctx);
}
END_TEST

START_TEST(snapshot_arguments)
{
    write_linear(1);
    um_ctx *ctx = open_engine();
    um_health h = UM_HEALTH_INIT;
    ck_assert_int_eq(um_health_snapshot(&h, NULL), UM_EINVAL);
    PGTEST_CHECK_RC(ctx, um_health_snapshot(NULL, ctx), UM_EINVAL);
    h.version = UM_HEALTH_VERSION + 1;
    PGTEST_CHECK_RC(ctx, um_health_snapshot(&h, ctx), UM_EVERSION);
    ck_assert_str_ne(um_errmsg(ctx), "");

    ck_assert_int_eq(um_health_init(NULL, UM_HEALTH_VERSION), UM_EINVAL);
    ck_assert_int_eq(um_health_init(&h, UM_HEALTH_VERSION + 1), UM_EINVAL);
    memset(&h, 0x5a, sizeof(h));
    ck_assert_int_eq(um_health_init(&h, UM_HEALTH_VERSION), UM_OK);
    ck_assert_uint_eq(h.version, UM_HEALTH_VERSION);
    ck_assert_uint_eq(h.pending, 0);
    PGTEST_CHECK_OK(ctx, um_health_snapshot(&h, ctx));
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_str_eq(um_errmsg(ctx), "");

    static const char *const names[] = { "ok",       "pending",     "failed",    "ahead",
                                         "diverged", "unreachable", "cancelled", "migrating" };
    for (int s = UM_HEALTH_OK; s <= UM_HEALTH_MIGRATING; s++)
        ck_assert_str_eq(um_health_status_name((um_health_status)s), names[s]);
    ck_assert_str_eq(um_health_status_name((um_health_status)42), "unknown");
    ck_assert_ptr_null(um_health_to_json(NULL));
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *health_suite(void)
{
    Suite *s = suite_create("health");

    PGTEST_ADD_TESTS(tcase(s, "status"), status_ok, status_pending, status_empty_project,
                     status_many_heads, status_failed, status_failed_transactional,
                     status_failed_then_stamped, status_ahead_of_files, status_ahead_by_hand,
                     status_diverged_file, status_diverged_database, status_tables_dropped,
                     status_unreachable_dead_port, status_message_cut_at_a_character,
                     status_unreachable_server_restart, status_in_progress_lock_row);

    /* a run in the background, killed, waited for: minutes on a loaded CI machine */
    PGTEST_ADD_TESTS(pgtest_add_tcase(s, "migrating", setup, teardown, 240),
                     status_migrating_advisory, status_migrating_table_lock);

    PGTEST_ADD_TESTS(tcase(s, "cli"), cli_exit_codes);

    PGTEST_ADD_TESTS(tcase(s, "snapshot"), snapshot_reads_no_files, snapshot_arguments);

    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(health_suite());
}
