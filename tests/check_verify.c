/*
 * check_verify.c - um_verify(), the refusal of transaction control before
 * a run, checksums that ignore line endings, the stairway test and the
 * verify and check commands, against a real PostgreSQL.
 *
 * Each test gets its own database and project directory (pgtest.h's
 * project fixture); revision files are written by the test itself.
 */
#define PGTEST_SHORT_NAMES
#include "pgtest.h"

#include "script.h"

#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_CANCELLED = 8, EXIT_STATE = 9, EXIT_PENDING = 10, EXIT_UNREACHABLE = 14 };

#define run_cli(...) pgtest_run_cli(proj_dir, db_url, (const char *const[]){ __VA_ARGS__, NULL })

/* ---- helpers ------------------------------------------------------------- */

static um_verify_result *verify_with(um_ctx *ctx, int offline, int allow_heads, const char *url)
{
    um_verify_options o;
    um_verify_result *r = NULL;
    ck_assert_int_eq(um_verify_options_init(&o, UM_VERIFY_OPTIONS_VERSION), UM_OK);
    o.offline = offline;
    o.allow_multiple_heads = allow_heads;
    o.roundtrip_url = url;
    PGTEST_CHECK_OK(ctx, um_verify(&r, ctx, &o));
    ck_assert_ptr_nonnull(r);
    return r;
}

/* The findings as "code:revision:line,..." in order, for one assertion. */
static const char *findings(const um_verify_result *r)
{
    char *s = pgtest_asprintf("%s", "");
    const um_verify_finding *f;
    for (size_t i = 0; (f = um_verify_at(r, i)); i++) {
        char *more = pgtest_asprintf("%s%s%s:%s:%d", s, i ? "," : "", f->code,
                                     f->revision ? f->revision : "-", f->line);
        free(s);
        s = more;
    }
    return pgtest_keep(s);
}

/* The finding with @code for @rev, which must exist. */
static const um_verify_finding *finding(const um_verify_result *r, const char *code,
                                        const char *rev)
{
    const um_verify_finding *f;
    for (size_t i = 0; (f = um_verify_at(r, i)); i++)
        if (strcmp(f->code, code) == 0 && (!rev || (f->revision && !strcmp(f->revision, rev))))
            return f;
    ck_abort_msg("no %s finding for %s in %s", code, rev ? rev : "-", findings(r));
    return NULL;
}

static void rewrite(const char *id, const char *text)
{
    FILE *f = fopen(rev_path(id), "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* ---- offline ------------------------------------------------------------- */

/*
 * Every statement a transaction block cannot hold is named with its line;
 * the same words inside a string, a DO block or a comment are not; a
 * "Transactional: no" revision may hold them; a syntax error is one
 * finding; a missing down section a warning.  Nothing connects.
 */
START_TEST(offline_findings)
{
    write_table_rev("r1", NULL, "t1");
    write_rev("r2", "r1",
              "CREATE TABLE t2 (id int);\n"
              "-- COMMIT; in a comment\n"
              "INSERT INTO t2 SELECT length('ROLLBACK;');\n"
              "DO $$ BEGIN PERFORM 1; END $$;\n"
              "SAVEPOINT s; RELEASE SAVEPOINT s;\n"
              "ROLLBACK;\n"
              "abort;\n"
              "COMMIT;\n"
              "END;\n"
              "BEGIN;\n"
              "START TRANSACTION;\n"
              "PREPARE TRANSACTION 'x';\n"
              "CREATE INDEX CONCURRENTLY i2 ON t2 (id);\n"
              "DROP INDEX CONCURRENTLY i2;\n"
              "VACUUM t2;\n"
              "ANALYZE t2;\n"
              "ALTER SYSTEM SET work_mem = '8MB';\n"
              "CREATE DATABASE x;\n"
              "DROP DATABASE x;\n"
              "REINDEX TABLE CONCURRENTLY t2;\n"
              "REINDEX TABLE t2;",
              "DROP TABLE t2;");
    write_rev_full("r3", "r2", 0, "CREATE INDEX CONCURRENTLY i3 ON t2 (id);\nVACUUM t2;",
                   "DROP INDEX CONCURRENTLY i3;");
    write_rev("r4", "r3", "CREATE TABLE t4 (id int);", "DROP TABLE t4;\nDROP TABEL nope;");
    write_rev("r5", "r4", "CREATE TABLE t5 (id int);", NULL);
    um_ctx *ctx = open_engine();
    um_verify_result *r = verify_with(ctx, 1, 0, NULL);
    int l = line_of("r2", "ROLLBACK;\n");
    const char *want =
        pgtest_fmt("transaction-control:r2:%d,transaction-control:r2:%d,transaction-control:r2:%d,"
                   "transaction-control:r2:%d,transaction-control:r2:%d,transaction-control:r2:%d,"
                   "transaction-control:r2:%d,not-in-transaction-block:r2:%d,"
                   "not-in-transaction-block:r2:%d,not-in-transaction-block:r2:%d,"
                   "not-in-transaction-block:r2:%d,not-in-transaction-block:r2:%d,"
                   "not-in-transaction-block:r2:%d,not-in-transaction-block:r2:%d,"
                   "syntax-error:r4:%d,missing-down:r5:%d",
                   l, l + 1, l + 2, l + 3, l + 4, l + 5, l + 6, l + 7, l + 8, l + 9, l + 11, l + 12,
                   l + 13, l + 14, line_of("r4", "TABEL"), line_of("r5", "-- migrate:up"));
    ck_assert_str_eq(findings(r), want);
    ck_assert_uint_eq(um_verify_error_count(r), 15);
    ck_assert_int_eq(um_verify_online_state(r), UM_VERIFY_ONLINE_OFF);
    ck_assert_ptr_null(um_verify_status(r));

    const um_verify_finding *f = finding(r, "transaction-control", "r2");
    ck_assert_str_eq(f->file, rev_path("r2"));
    ck_assert_int_eq(f->severity, UM_VERIFY_ERROR);
    ck_assert_msg(strstr(f->message, "ROLLBACK"), "%s", f->message);
    ck_assert_int_eq(finding(r, "missing-down", "r5")->severity, UM_VERIFY_WARNING);
    ck_assert_msg(strstr(finding(r, "syntax-error", "r4")->message, "down section"), "%s",
                  finding(r, "syntax-error", "r4")->message);
    um_verify_free(r);
    um_close(ctx);
    ck_assert_msg(!table_exists("ultramigrate_version"), "an offline verify wrote");
}
END_TEST

START_TEST(multiple_heads)
{
    write_table_rev("r1", NULL, "t1");
    write_table_rev("a2", "r1", "ta");
    write_table_rev("b2", "r1", "tb");
    um_ctx *ctx = open_engine();
    um_verify_result *r = verify_with(ctx, 1, 0, NULL);
    ck_assert_str_eq(findings(r), "multiple-heads:-:0");
    const um_verify_finding *f = finding(r, "multiple-heads", NULL);
    ck_assert_msg(strstr(f->message, "a2") && strstr(f->message, "b2"), "%s", f->message);
    um_verify_free(r);
    r = verify_with(ctx, 1, 1, NULL);
    ck_assert_uint_eq(um_verify_count(r), 0);
    um_verify_free(r);
    um_close(ctx);
}
END_TEST

START_TEST(bad_arguments)
{
    write_linear(1);
    um_ctx *ctx = open_engine();
    um_verify_result *r = NULL;
    um_verify_options o = UM_VERIFY_OPTIONS_INIT;
    PGTEST_CHECK_RC(ctx, um_verify(NULL, ctx, NULL), UM_EINVAL);
    ck_assert_int_eq(um_verify(&r, NULL, NULL), UM_EINVAL);
    o.version = 99;
    PGTEST_CHECK_RC(ctx, um_verify(&r, ctx, &o), UM_EVERSION);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(um_verify_options_init(NULL, UM_VERIFY_OPTIONS_VERSION), UM_EINVAL);
    ck_assert_int_eq(um_verify_options_init(&o, 99), UM_EINVAL);
    /* NULL results read as empty */
    ck_assert_uint_eq(um_verify_count(NULL), 0);
    ck_assert_ptr_null(um_verify_at(NULL, 0));
    ck_assert_ptr_null(um_verify_to_json(NULL));
    ck_assert_ptr_null(um_verify_status(NULL));
    ck_assert_ptr_null(um_verify_online_reason(NULL));
    um_verify_free(NULL);
    um_close(ctx);
}
END_TEST

/* ---- online -------------------------------------------------------------- */

START_TEST(online_clean_and_pending)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r2", NULL));
    um_verify_result *r = verify_with(ctx, 0, 0, NULL);
    ck_assert_uint_eq(um_verify_count(r), 0);
    ck_assert_int_eq(um_verify_online_state(r), UM_VERIFY_ONLINE_DONE);
    const um_status_info *st = um_verify_status(r);
    ck_assert_ptr_nonnull(st);
    ck_assert_uint_eq(um_status_pending_count(st), 1);
    ck_assert_str_eq(um_status_pending_at(st, 0)->id, "r3");
    ck_assert_str_eq(um_status_current_head_at(st, 0), "r2");

    char *text = um_verify_to_json(r);
    json_t *j = pgtest_json_parse(text);
    um_free(text);
    ck_assert_str_eq(jstr(j, "online"), "done");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "current_heads"), 0)),
                     "r2");
    json_t *p = json_array_get(json_object_get(j, "pending"), 0);
    ck_assert_str_eq(jstr(p, "id"), "r3");
    ck_assert_str_eq(jstr(p, "file"), rev_path("r3"));
    ck_assert_str_eq(jstr(p, "message"), "Create r3");
    json_decref(j);
    um_verify_free(r);
    um_close(ctx);
}
END_TEST

/* An edited applied revision is named with both checksums; upgrade refuses
 * it before anything runs and names repair --checksums. */
START_TEST(edited_applied_revision)
{
    write_linear(2);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_close(ctx);
    const char *stored = qv("SELECT checksum FROM ultramigrate_version_applied"
                            " WHERE revision = 'r2'");
    write_rev("r2", "r1", "CREATE TABLE t2 (id bigint);", "DROP TABLE t2;");
    write_table_rev("r3", "r2", "t3");
    ctx = open_engine();
    um_verify_result *r = verify_with(ctx, 0, 0, NULL);
    ck_assert_str_eq(findings(r),
                     pgtest_fmt("checksum-mismatch:r2:%d", line_of("r2", "-- migrate:up")));
    const um_verify_finding *f = finding(r, "checksum-mismatch", "r2");
    const um_revision *rev = NULL;
    PGTEST_CHECK_OK(ctx, um_revision_lookup(&rev, ctx, "r2"));
    ck_assert_msg(strstr(f->message, stored) && strstr(f->message, rev->checksum), "%s",
                  f->message);
    ck_assert_str_eq(f->file, rev_path("r2"));
    um_verify_free(r);

    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ECHECKSUM);
    ck_assert_msg(strstr(um_errmsg(ctx), "ultramigrate repair --checksums"), "%s", um_errmsg(ctx));
    ck_assert_msg(strstr(um_errmsg(ctx), stored), "%s", um_errmsg(ctx));
    ASSERT_NO_TABLE("t3");
    um_close(ctx);

    pgtest_cli_result c = run_cli("upgrade");
    pgtest_assert_status(c, EXIT_STATE, "upgrade over an edited revision");
    ck_assert_msg(strstr(c.err, "repair --checksums"), "%s", c.err);
    pgtest_cli_result_free(&c);
}
END_TEST

/* A checkout with CRLF line endings and no final newline is not an edit,
 * for verify, upgrade, status and health alike. */
START_TEST(line_endings_are_not_drift)
{
    write_rev("r1", NULL, "CREATE TABLE t1 (id int);\nCREATE INDEX i1 ON t1 (id);",
              "DROP TABLE t1;");
    write_table_rev("r2", "r1", "t2");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r1", NULL));
    um_close(ctx);
    rewrite("r1", "-- Create r1\r\n--\r\n-- Revision ID: r1\r\n-- Revises:\r\n"
                  "-- Transactional: yes\r\n\r\n-- migrate:up\r\nCREATE TABLE t1 (id int);\r\n"
                  "CREATE INDEX i1 ON t1 (id);\r\n\r\n-- migrate:down\r\nDROP TABLE t1;");
    ctx = open_engine();
    um_verify_result *r = verify_with(ctx, 0, 0, NULL);
    ck_assert_str_eq(findings(r), "");
    um_verify_free(r);
    ASSERT_STATUS(snap(ctx), UM_HEALTH_PENDING);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_TABLE("t2");
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_int_eq(um_status_applied_at(st, 0)->checksum_ok, 1);
    um_status_free(st);
    um_close(ctx);
}
END_TEST

/* A database applied by a release that stored the raw checksum still
 * matches its files. */
START_TEST(raw_checksum_accepted)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r2", NULL));
    um_close(ctx);
    script_file *s = NULL;
    err_buf err = { 0 };
    ck_assert_int_eq(script_parse_file(rev_path("r2"), &s, &err), UM_OK);
    ck_assert_str_ne(s->checksum, s->checksum_raw);
    sql("UPDATE ultramigrate_version_applied SET checksum = '%s' WHERE revision = 'r2'",
        s->checksum_raw);
    script_free(s);

    ctx = open_engine();
    um_verify_result *r = verify_with(ctx, 0, 0, NULL);
    ck_assert_str_eq(findings(r), "");
    um_verify_free(r);
    ASSERT_STATUS(snap(ctx), UM_HEALTH_PENDING);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_TABLE("t3");
    um_close(ctx);
}
END_TEST

/* Failed, in progress, applied without a file, ahead of the files. */
START_TEST(state_findings)
{
    write_linear(2);
    write_rev_full("r3", "r2", 0, "CREATE TABLE t3a (id int);\nSELECT 1/0;", "DROP TABLE t3a;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    um_verify_result *r = verify_with(ctx, 0, 0, NULL);
    ck_assert_str_eq(findings(r), "revision-failed:r3:0");
    ck_assert_str_eq(finding(r, "revision-failed", "r3")->file, rev_path("r3"));
    um_verify_free(r);

    sql("UPDATE ultramigrate_version_applied SET state = 'in_progress' WHERE revision = 'r3'");
    sql("INSERT INTO ultramigrate_version_applied (revision, checksum, tool_version, state)"
        " VALUES ('gone1', 'x', 'test', 'applied')");
    r = verify_with(ctx, 0, 0, NULL);
    ck_assert_str_eq(findings(r), "revision-in-progress:r3:0,missing-file:gone1:0");
    ck_assert_ptr_null(finding(r, "missing-file", "gone1")->file);
    um_verify_free(r);
    um_close(ctx);

    /* the database is at r2, whose file goes: ahead of the files */
    sql("DELETE FROM ultramigrate_version_applied WHERE revision IN ('r3', 'gone1')");
    unlink(rev_path("r3"));
    unlink(rev_path("r2"));
    ctx = open_engine();
    r = verify_with(ctx, 0, 0, NULL);
    ck_assert_str_eq(findings(r), "database-ahead:r2:0");
    ck_assert_ptr_null(um_status_pending_at(um_verify_status(r), 0));
    um_verify_free(r);
    um_close(ctx);
}
END_TEST

START_TEST(unreachable_is_skipped)
{
    write_linear(1);
    um_ctx *ctx = open_with(dead_url(), NULL, NULL, NULL);
    um_verify_result *r = verify_with(ctx, 0, 0, NULL);
    ck_assert_int_eq(um_verify_online_state(r), UM_VERIFY_ONLINE_SKIPPED);
    ck_assert_ptr_nonnull(um_verify_online_reason(r));
    ck_assert_msg(strstr(um_verify_online_reason(r), "connect"), "%s", um_verify_online_reason(r));
    ck_assert_ptr_null(um_verify_status(r));
    ck_assert_str_eq(um_errmsg(ctx), "");
    char *text = um_verify_to_json(r);
    json_t *j = pgtest_json_parse(text);
    um_free(text);
    ck_assert_str_eq(jstr(j, "online"), "skipped");
    ck_assert(json_is_null(json_object_get(j, "pending")));
    ck_assert(json_is_null(json_object_get(j, "current_heads")));
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "file_heads"), 0)), "r1");
    json_decref(j);
    um_verify_free(r);
    um_close(ctx);
}
END_TEST

/* ---- before a run ---------------------------------------------------------- */

/* Each form is refused before anything runs, naming file and line; the
 * revisions before it in the plan do not run either. */
START_TEST(upgrade_refuses_transaction_control)
{
    static const char *const bodies[] = {
        "ROLLBACK;",
        "ABORT;",
        "COMMIT;",
        "END;",
        "BEGIN;\nCOMMIT;",
        "START TRANSACTION;",
        "CREATE INDEX CONCURRENTLY i3 ON t1 (id);",
        "VACUUM t1;",
        "ALTER SYSTEM SET work_mem = '8MB';",
        "CREATE DATABASE nope;",
        "REINDEX TABLE CONCURRENTLY t1;",
    };
    write_linear(1);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_close(ctx);
    write_table_rev("r2", "r1", "t2");
    for (size_t i = 0; i < sizeof(bodies) / sizeof(*bodies); i++) {
        const char *up =
            pgtest_fmt("CREATE TABLE t3 (id int);\n%s\nCREATE TABLE t3b (id int);", bodies[i]);
        write_rev("r3", "r2", up, "DROP TABLE t3;");
        ctx = open_engine();
        PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_EPARSE);
        const um_error_info *d = um_error_detail(ctx);
        ck_assert_str_eq(d->revision, "r3");
        ck_assert_str_eq(d->file, rev_path("r3"));
        char first[32];
        snprintf(first, sizeof(first), "%.*s", (int)strcspn(bodies[i], "\n"), bodies[i]);
        ck_assert_int_eq(d->line, line_of("r3", first));
        ck_assert_msg(strstr(d->message, "nothing was run"), "%s", d->message);
        um_close(ctx);
        ck_assert_str_eq(versions(), "r1");
        ASSERT_NO_TABLE("t2");
        ASSERT_NO_TABLE("t3");
    }
}
END_TEST

START_TEST(downgrade_refuses_transaction_control)
{
    write_linear(2);
    write_rev("r3", "r2", "CREATE TABLE t3 (id int);", "DROP TABLE t3;\nCOMMIT;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    PGTEST_CHECK_RC(ctx, um_rollback(ctx, "r1", NULL), UM_EPARSE);
    ck_assert_int_eq(um_error_detail(ctx)->line, line_of("r3", "COMMIT;"));
    ck_assert_str_eq(versions(), "r3");
    ASSERT_TABLE("t3");
    ASSERT_TABLE("t2");
    /* a transactional: no revision runs its statements one by one */
    um_close(ctx);
}
END_TEST

START_TEST(non_transactional_may_hold_them)
{
    write_linear(1);
    write_rev_full("r2", "r1", 0, "CREATE INDEX CONCURRENTLY i2 ON t1 (id);\nVACUUM t1;",
                   "DROP INDEX CONCURRENTLY i2;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "r1", NULL));
    um_verify_result *r = verify_with(ctx, 0, 0, NULL);
    ck_assert_str_eq(findings(r), "");
    um_verify_free(r);
    um_close(ctx);
}
END_TEST

/* DISCARD, DEALLOCATE and pg_advisory_unlock_all() drop the engine's lock
 * or its prepared statements: refused before anything runs, transactional
 * or not, with file and line; verify names them too. */
START_TEST(session_reset_refused)
{
    static const struct {
        const char *sql, *what;
    } cases[] = {
        { "discard all;", "DISCARD ALL" },
        { "DISCARD PLANS;", "DISCARD PLANS" },
        { "discard temp;", "DISCARD TEMP" },
        { "DEALLOCATE ALL;", "DEALLOCATE ALL" },
        { "deallocate prepare p;", "DEALLOCATE" },
        { "SELECT pg_advisory_unlock_all ();", "pg_advisory_unlock_all()" },
        { "DO $$ BEGIN PERFORM PG_ADVISORY_UNLOCK_ALL(); END $$;", "pg_advisory_unlock_all()" },
    };
    write_linear(1);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_close(ctx);
    write_table_rev("r2", "r1", "t2");
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        for (int transactional = 0; transactional <= 1; transactional++) {
            const char *up = pgtest_fmt("CREATE TABLE nd1 (i int);\n%s\nCREATE TABLE nd2 (i int);",
                                        cases[i].sql);
            write_rev_full("r3", "r2", transactional, up, "DROP TABLE nd2;\nDROP TABLE nd1;");
            ctx = open_engine();
            PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_EPARSE);
            const um_error_info *d = um_error_detail(ctx);
            ck_assert_str_eq(d->file, rev_path("r3"));
            ck_assert_int_eq(d->line, line_of("r3", cases[i].sql));
            ck_assert_msg(strstr(d->message, cases[i].what) &&
                              strstr(d->message, "nothing was run") &&
                              strstr(d->message, "advisory lock"),
                          "%s", d->message);
            um_verify_result *r = verify_with(ctx, 1, 0, NULL);
            ck_assert_str_eq(findings(r),
                             pgtest_fmt("session-reset:r3:%d", line_of("r3", cases[i].sql)));
            um_verify_free(r);
            um_close(ctx);
            ck_assert_str_eq(versions(), "r1");
            ASSERT_NO_TABLE("t2");
            ASSERT_NO_TABLE("nd1");
        }
    }
}
END_TEST

/* An unterminated comment in a later revision, transactional or not:
 * refused before the first revision runs (exit 4), not once the earlier
 * ones are committed. */
START_TEST(unterminated_refused_before_anything_runs)
{
    write_linear(1);
    for (int transactional = 0; transactional <= 1; transactional++) {
        write_rev_full("r2", "r1", transactional, "CREATE TABLE t2 (id int);\n/* open\nSELECT 1;\n",
                       "DROP TABLE t2;");
        um_ctx *ctx = open_engine();
        PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_EPARSE);
        const um_error_info *d = um_error_detail(ctx);
        ck_assert_str_eq(d->revision, "r2");
        ck_assert_int_eq(d->line, line_of("r2", "/* open"));
        ck_assert_msg(strstr(d->message, "unterminated /* comment") &&
                          strstr(d->message, "nothing was run"),
                      "%s", d->message);
        um_close(ctx);
        ASSERT_NO_TABLE("t1");
        pgtest_cli_result c = run_cli("upgrade");
        pgtest_assert_status(c, 4, "upgrade with an unterminated comment");
        ck_assert_msg(strstr(c.err, pgtest_fmt("%s:%d", rev_path("r2"), line_of("r2", "/* open"))),
                      "%s", c.err);
        pgtest_cli_result_free(&c);
        ASSERT_NO_TABLE("t1");
    }
}
END_TEST

/* ---- the stairway test ---------------------------------------------------- */

START_TEST(roundtrip_clean)
{
    char *scratch = pgtest_create_database();
    write_rev("r1", NULL,
              "CREATE TYPE mood AS ENUM ('a', 'b');\n"
              "CREATE TABLE t1 (id bigint PRIMARY KEY, m mood NOT NULL DEFAULT 'a', c text);\n"
              "CREATE FUNCTION f1(int) RETURNS int LANGUAGE sql AS 'SELECT $1';\n"
              "CREATE VIEW v1 AS SELECT id FROM t1;",
              "DROP VIEW v1;\nDROP FUNCTION f1(int);\nDROP TABLE t1;\nDROP TYPE mood;");
    write_rev("r2", "r1",
              "ALTER TABLE t1 ALTER COLUMN c TYPE varchar(20);\n"
              "CREATE INDEX i_c ON t1 (c);\nCREATE SEQUENCE s1;",
              "DROP SEQUENCE s1;\nDROP INDEX i_c;\nALTER TABLE t1 ALTER COLUMN c TYPE text;");
    write_table_rev("a3", "r2", "ta");
    write_table_rev("b3", "r2", "tb");
    write_rev("m4", "a3, b3", "CREATE TABLE tm (id int);", "DROP TABLE tm;");
    write_rev("r5", "m4", "INSERT INTO tm VALUES (1);", NULL);
    um_ctx *ctx = open_engine();
    um_verify_result *r = verify_with(ctx, 1, 0, scratch);
    ck_assert_str_eq(findings(r), pgtest_fmt("missing-down:r5:%d", line_of("r5", "migrate:up")));
    um_verify_free(r);
    um_close(ctx);
    ck_assert_str_eq(pgtest_versions(scratch), "r5");
    ck_assert_int_eq(pgtest_query_long(scratch, "SELECT count(*) FROM tm"), 1);
    ck_assert_msg(!table_exists("ultramigrate_version"), "the project's database was written");
    pgtest_drop_database(scratch);
    free(scratch);
}
END_TEST

START_TEST(roundtrip_catches_forgotten_index)
{
    char *scratch = pgtest_create_database();
    write_linear(1);
    write_rev("r2", "r1", "ALTER TABLE t1 ADD COLUMN x int;\nCREATE INDEX i_x ON t1 (id);",
              "ALTER TABLE t1 DROP COLUMN x;");
    write_table_rev("r3", "r2", "t3");
    um_ctx *ctx = open_engine();
    um_verify_result *r = verify_with(ctx, 1, 0, scratch);
    int down = line_of("r2", "-- migrate:down");
    ck_assert_str_eq(findings(r), pgtest_fmt("roundtrip-mismatch:r2:%d", down));
    const um_verify_finding *f = finding(r, "roundtrip-mismatch", "r2");
    ck_assert_msg(strstr(f->message, "index public.i_x still exists"), "%s", f->message);
    ck_assert_str_eq(f->file, rev_path("r2"));
    um_verify_free(r);

    /* the scratch database is left as it stopped, so it is no longer empty */
    um_verify_options o = UM_VERIFY_OPTIONS_INIT;
    o.offline = 1;
    o.roundtrip_url = scratch;
    PGTEST_CHECK_RC(ctx, um_verify(&r, ctx, &o), UM_ESTATE);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(um_errmsg(ctx), "not empty"), "%s", um_errmsg(ctx));
    um_close(ctx);
    pgtest_drop_database(scratch);
    free(scratch);
}
END_TEST

/*
 * With the bookkeeping tables in a schema of their own, which the engine
 * creates, r1 passes; what a down section leaves behind is named attribute
 * by attribute (a comment, with its old and new value) or as an object of
 * its kind (a materialized view), one finding per object.
 */
START_TEST(roundtrip_names_attributes_and_leaves_bookkeeping_out)
{
    char *scratch = pgtest_create_database();
    write_ini("version_table_schema = um_books\n");
    write_rev("r1", NULL, "CREATE TABLE t1 (id int);", "DROP TABLE t1;");
    write_rev("r2", "r1",
              "COMMENT ON TABLE t1 IS 'kept';\nCREATE MATERIALIZED VIEW mv AS SELECT 1 AS a;",
              "SELECT 1;");
    um_ctx *ctx = open_engine();
    um_verify_result *r = verify_with(ctx, 1, 0, scratch);
    int down = line_of("r2", "-- migrate:down");
    ck_assert_str_eq(findings(r),
                     pgtest_fmt("roundtrip-mismatch:r2:%d,roundtrip-mismatch:r2:%d", down, down));
    ck_assert_str_eq(um_verify_at(r, 0)->message,
                     "the down section does not undo the up section: table public.t1 changed:"
                     " comment not set before the up section, 'kept' after the down section");
    ck_assert_str_eq(um_verify_at(r, 1)->message,
                     "the down section does not undo the up section: materialized view public.mv"
                     " still exists after the down section");
    um_verify_free(r);
    pgtest_drop_database(scratch);
    free(scratch);

    /* bookkeeping tables alone (a stamped database) are not an empty one */
    scratch = pgtest_create_database();
    pgtest_execf(scratch, "CREATE SCHEMA um_books; CREATE TABLE um_books.ultramigrate_version"
                          " (version_num text)");
    um_verify_options o = UM_VERIFY_OPTIONS_INIT;
    o.offline = 1;
    o.roundtrip_url = scratch;
    PGTEST_CHECK_RC(ctx, um_verify(&r, ctx, &o), UM_ESTATE);
    ck_assert_msg(strstr(um_errmsg(ctx), "it holds schema um_books and more"), "%s",
                  um_errmsg(ctx));
    um_close(ctx);
    pgtest_drop_database(scratch);
    free(scratch);
}
END_TEST

START_TEST(roundtrip_catches_changed_column_and_failure)
{
    char *scratch = pgtest_create_database();
    write_linear(1);
    write_rev("r2", "r1", "ALTER TABLE t1 ALTER COLUMN id TYPE bigint;", "SELECT 1;");
    um_ctx *ctx = open_engine();
    um_verify_result *r = verify_with(ctx, 1, 0, scratch);
    const um_verify_finding *f = finding(r, "roundtrip-mismatch", "r2");
    ck_assert_msg(strstr(f->message, "column public.t1.id changed: type 'integer' before the"
                                     " up section, 'bigint' after the down section"),
                  "%s", f->message);
    um_verify_free(r);
    um_close(ctx);
    pgtest_drop_database(scratch);
    free(scratch);

    /* a down section that fails stops the test with its line */
    scratch = pgtest_create_database();
    write_rev("r2", "r1", "CREATE TABLE t2 (id int);", "DROP TABLE t2;\nDROP TABLE nope;");
    ctx = open_engine();
    r = verify_with(ctx, 1, 0, scratch);
    ck_assert_str_eq(findings(r), pgtest_fmt("roundtrip-error:r2:%d", line_of("r2", "nope")));
    um_verify_free(r);
    um_close(ctx);
    pgtest_drop_database(scratch);
    free(scratch);
}
END_TEST

/* ---- the commands ---------------------------------------------------------- */

static json_t *cli_json(pgtest_cli_result *c, int status, const char *what)
{
    pgtest_assert_status(*c, status, what);
    json_t *j = pgtest_json_parse(c->out);
    pgtest_cli_result_free(c);
    return j;
}

START_TEST(check_exit_codes_and_json)
{
    write_linear(2);
    pgtest_cli_result c = run_cli("check", "--json");
    json_t *j = cli_json(&c, EXIT_OK, "check with pending, no flag");
    ck_assert_uint_eq(json_array_size(json_object_get(j, "pending")), 2);
    ck_assert_uint_eq(json_array_size(json_object_get(j, "current_heads")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "errors")), 0);
    json_decref(j);

    c = run_cli("check", "--fail-on-pending");
    pgtest_assert_status(c, EXIT_PENDING, "check --fail-on-pending");
    ck_assert_msg(strstr(c.out, "r1") && strstr(c.out, "Pending:"), "%s", c.out);
    pgtest_cli_result_free(&c);

    c = run_cli("upgrade");
    pgtest_assert_status(c, EXIT_OK, "upgrade");
    pgtest_cli_result_free(&c);
    c = run_cli("check", "--fail-on-pending", "--json");
    j = cli_json(&c, EXIT_OK, "check at heads");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "current_heads"), 0)),
                     "r2");
    ck_assert_uint_eq(json_array_size(json_object_get(j, "findings")), 0);
    json_decref(j);

    write_rev("r2", "r1", "CREATE TABLE t2 (id bigint);", "DROP TABLE t2;");
    c = run_cli("check", "--json");
    j = cli_json(&c, EXIT_STATE, "check with an edited revision");
    ck_assert_str_eq(jstr(json_array_get(json_object_get(j, "findings"), 0), "code"),
                     "checksum-mismatch");
    json_decref(j);
    c = run_cli("verify");
    pgtest_assert_status(c, EXIT_STATE, "verify with an edited revision");
    ck_assert_msg(strstr(c.out, "[checksum-mismatch]"), "%s", c.out);
    pgtest_cli_result_free(&c);
    c = run_cli("verify", "--offline");
    pgtest_assert_status(c, EXIT_OK, "verify --offline");
    pgtest_cli_result_free(&c);

    /* no database: the offline part runs, the JSON and the exit say so */
    c = pgtest_run_cli(proj_dir, dead_url(), (const char *const[]){ "check", "--json", NULL });
    j = cli_json(&c, EXIT_UNREACHABLE, "check without a database");
    ck_assert_str_eq(jstr(j, "online"), "skipped");
    ck_assert(json_is_string(json_object_get(j, "online_error")));
    json_decref(j);
    write_rev("r3", "r2", "CREATE TABLE t3 (id int);\nCOMMIT;", "DROP TABLE t3;");
    c = pgtest_run_cli(proj_dir, dead_url(), (const char *const[]){ "check", NULL });
    pgtest_assert_status(c, EXIT_STATE, "errors win over an unreachable database");
    ck_assert_msg(strstr(c.out, "[transaction-control]"), "%s", c.out);
    pgtest_cli_result_free(&c);
}
END_TEST

START_TEST(roundtrip_url_masked)
{
    char *scratch = pgtest_create_database();
    write_linear(2);
    char *url = pgtest_url_set(scratch, "password", "s3cret-pw");
    pgtest_cli_result c = run_cli("verify", "--offline", "--roundtrip", url);
    pgtest_assert_status(c, EXIT_OK, "verify --roundtrip");
    ck_assert_msg(!strstr(c.out, "s3cret-pw") && !strstr(c.err, "s3cret-pw"), "%s%s", c.out, c.err);
    pgtest_cli_result_free(&c);
    ck_assert_str_eq(pgtest_versions(scratch), "r2");
    free(url);
    pgtest_drop_database(scratch);
    free(scratch);
}
END_TEST

/* ---- cancelling ----------------------------------------------------------- */

static void nap_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* um_cancel() over and over until the call returns: whenever it lands, the
 * call must stop. */
typedef struct repeat_cancel {
    um_ctx *ctx;
    atomic_bool done;
    double first_ms;      /* when the first um_cancel() was made */
    const char *wait_for; /* a statement to see running first, or NULL */
    const char *url;
} repeat_cancel;

static bool running(const char *url, const char *what)
{
    return pgtest_query_long(url,
                             "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                             " AND pid <> pg_backend_pid() AND query LIKE '%%%s%%'",
                             what) > 0;
}

static void *cancel_repeatedly(void *arg)
{
    repeat_cancel *c = arg;
    for (int i = 0; c->wait_for && i < 1000 && !running(c->url, c->wait_for); i++)
        nap_ms(10);
    c->first_ms = pgtest_now_ms();
    while (!atomic_load(&c->done)) {
        um_cancel(c->ctx);
        nap_ms(5);
    }
    return NULL;
}

static int verify_cancelled_by(repeat_cancel *c, const um_verify_options *o, double *after_ms)
{
    um_verify_result *r = NULL;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, cancel_repeatedly, c), 0);
    int rc = um_verify(&r, c->ctx, o);
    double end = pgtest_now_ms();
    atomic_store(&c->done, true);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    *after_ms = end - c->first_ms;
    ck_assert_ptr_null(r);
    um_verify_free(r);
    return rc;
}

/* Cancelled while it scans: the scan of a section looks between
 * statements, verify between revisions; nothing is reported as clean. */
START_TEST(cancel_stops_the_scan)
{
    char *up = malloc(40 * 25000 + 64);
    ck_assert_ptr_nonnull(up);
    size_t len = (size_t)sprintf(up, "CREATE TABLE seed (i int, t text);\n");
    for (int i = 0; i < 25000; i++)
        len += (size_t)sprintf(up + len, "insert into seed values (%d, 'ni');\n", i);
    for (int i = 1; i <= 40; i++)
        write_rev(pgtest_fmt("r%d", i), i > 1 ? pgtest_fmt("r%d", i - 1) : NULL, up,
                  "DROP TABLE seed;");
    free(up);
    um_ctx *ctx = open_engine();
    um_verify_options o = UM_VERIFY_OPTIONS_INIT;
    o.offline = 1;
    repeat_cancel c = { .ctx = ctx };
    double after;
    PGTEST_CHECK_RC(ctx, verify_cancelled_by(&c, &o, &after), UM_ECANCELLED);
    ck_assert_msg(strstr(um_errmsg(ctx), "cancelled"), "%s", um_errmsg(ctx));
    /* and a cancel before the call is forgotten */
    um_verify_result *r = verify_with(ctx, 1, 0, NULL);
    ck_assert_uint_eq(um_verify_error_count(r), 0);
    um_verify_free(r);
    um_close(ctx);
}
END_TEST

/* Cancelled during the stairway test: the statement running on the
 * scratch database is cancelled, and verify returns at once. */
START_TEST(cancel_stops_the_roundtrip)
{
    char *scratch = pgtest_create_database();
    write_linear(1);
    write_rev("r2", "r1", "SELECT pg_sleep(4.25);", "SELECT 1;");
    um_ctx *ctx = open_engine();
    um_verify_options o = UM_VERIFY_OPTIONS_INIT;
    o.offline = 1;
    o.roundtrip_url = scratch;
    repeat_cancel c = { .ctx = ctx, .wait_for = "pg_sleep(4.25)", .url = db_url };
    double after;
    PGTEST_CHECK_RC(ctx, verify_cancelled_by(&c, &o, &after), UM_ECANCELLED);
    ck_assert_msg(after < 3000, "um_verify returned %.0f ms after um_cancel", after);
    um_close(ctx);

    /* the command: a signal exits with the cancelled status, not "0 errors" */
    pgtest_drop_database(scratch);
    free(scratch);
    scratch = pgtest_create_database();
    pid_t pid = pgtest_spawn_cli(
        proj_dir, db_url,
        (const char *const[]){ "verify", "--offline", "--roundtrip", scratch, NULL });
    for (int i = 0; i < 1000 && !running(db_url, "pg_sleep(4.25)"); i++)
        nap_ms(10);
    double sent = pgtest_now_ms();
    kill(pid, SIGTERM);
    int status = pgtest_wait_child(pid);
    ck_assert_msg(status == EXIT_CANCELLED, "verify --roundtrip after SIGTERM: exit %d", status);
    ck_assert_msg(pgtest_now_ms() - sent < 3000, "verify ran on after SIGTERM");
    pgtest_drop_database(scratch);
    free(scratch);
}
END_TEST

static Suite *verify_suite(void)
{
    Suite *s = suite_create("verify");

    PGTEST_ADD_TESTS(tcase(s, "offline"), offline_findings, multiple_heads, bad_arguments);
    PGTEST_ADD_TESTS(tcase(s, "online"), online_clean_and_pending, edited_applied_revision,
                     line_endings_are_not_drift, raw_checksum_accepted, state_findings,
                     unreachable_is_skipped);
    PGTEST_ADD_TESTS(tcase(s, "before_run"), upgrade_refuses_transaction_control,
                     downgrade_refuses_transaction_control, non_transactional_may_hold_them,
                     session_reset_refused, unterminated_refused_before_anything_runs);
    PGTEST_ADD_TESTS(tcase(s, "roundtrip"), roundtrip_clean, roundtrip_catches_forgotten_index,
                     roundtrip_catches_changed_column_and_failure,
                     roundtrip_names_attributes_and_leaves_bookkeeping_out);
    PGTEST_ADD_TESTS(tcase(s, "commands"), check_exit_codes_and_json, roundtrip_url_masked);
    PGTEST_ADD_TESTS(tcase(s, "cancel"), cancel_stops_the_scan, cancel_stops_the_roundtrip);
    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(verify_suite());
}
