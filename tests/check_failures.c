/*
 * check_failures.c - runs that fail, against a real PostgreSQL: a revision
 * whose SQL fails (per migration or in one transaction, on the way up or
 * down, with or without a server position) and where that is reported
 * (revision, file, line, SQLSTATE, history); a body that leaves its own
 * transaction open; a handle whose um_open failed; what a URL must neither
 * change nor show; irreversible revisions; non-transactional revisions.
 *
 * Each test gets its own database and project directory (pgtest.h's
 * project fixture); revision files are written by the test itself.
 */
#define PGTEST_SHORT_NAMES
#include "pgtest.h"

#include <ultramigrate/ultramigrate.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* 1. Failures                                                        */
/* ------------------------------------------------------------------ */

static void write_five_with_failing_r3(const char *r3_up)
{
    write_linear(5);
    write_rev("r3", "r2", r3_up, "DROP TABLE t3;");
}

START_TEST(fail_midway_per_migration)
{
    write_five_with_failing_r3("CREATE TABLE t3 (id int);\nINSERT INTO nope VALUES (1);");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    assert_failed_at(ctx, "r3", "INSERT INTO nope", "42P01");

    ASSERT_TABLE("t1");
    ASSERT_TABLE("t2");
    ASSERT_NO_TABLE("t3");
    ASSERT_NO_TABLE("t4");
    ck_assert_str_eq(versions(), "r2");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:applied");
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:ok,r3:up:failed");
    const char *err = qv("SELECT error FROM ultramigrate_version_history"
                         " WHERE revision = 'r3'");
    ck_assert_msg(strstr(err, "nope") != NULL, "history error: %s", err);

    /* a second attempt fails the same way and changes nothing but history */
    char *fp0 = pgtest_schema_fingerprint(db_url);
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    assert_failed_at(ctx, "r3", "INSERT INTO nope", "42P01");
    char *fp1 = pgtest_schema_fingerprint(db_url);
    ck_assert_str_eq(fp0, fp1);
    free(fp0);
    free(fp1);
    ck_assert_int_eq(qi("SELECT count(*) FROM ultramigrate_version_history"
                        " WHERE revision = 'r3' AND state = 'failed'"),
                     2);
    um_close(ctx);
}
END_TEST

static const char unique_violation_up[] = "CREATE TABLE t3 (id int PRIMARY KEY);\n"
                                          "INSERT INTO t3 VALUES (1);\n"
                                          "INSERT INTO t3\n"
                                          "  VALUES (2);\n"
                                          "-- a comment between statements\n"
                                          "INSERT INTO t3 VALUES (2 - 1);\n"
                                          "INSERT INTO t3 VALUES (3);";

START_TEST(fail_without_position)
{
    write_five_with_failing_r3(unique_violation_up);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    assert_failed_at(ctx, "r3", "INSERT INTO t3 VALUES (2 - 1)", "23505");
    ck_assert_ptr_nonnull(um_error_detail(ctx)->detail);
    ASSERT_NO_TABLE("t3");
    ck_assert_str_eq(versions(), "r2");
    um_close(ctx);
}
END_TEST

/* lock_timeout / statement_timeout add statements before the body */
START_TEST(fail_without_position_with_timeouts)
{
    write_ini("lock_timeout = 5s\nstatement_timeout = 30s\n");
    write_five_with_failing_r3(unique_violation_up);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    assert_failed_at(ctx, "r3", "INSERT INTO t3 VALUES (2 - 1)", "23505");
    ck_assert_str_eq(versions(), "r2");
    um_close(ctx);
}
END_TEST

START_TEST(fail_position_after_multibyte)
{
    write_five_with_failing_r3(
        "-- \xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93"
        "\xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93\n"
        "CREATE TABLE t3 (note text DEFAULT '\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9');\n"
        "-- \xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93\n"
        "SELECT 1;\n"
        "INSERT INTO nope VALUES (1);");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    assert_failed_at(ctx, "r3", "INSERT INTO nope", "42P01");
    um_close(ctx);
}
END_TEST

START_TEST(fail_single_transaction)
{
    write_ini("transaction_per_migration = false\n");
    write_five_with_failing_r3("CREATE TABLE t3 (id int);\nINSERT INTO nope VALUES (1);");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_ensure_schema(ctx));
    char *fp0 = pgtest_schema_fingerprint(db_url);

    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    assert_failed_at(ctx, "r3", "INSERT INTO nope", "42P01");

    char *fp1 = pgtest_schema_fingerprint(db_url);
    ck_assert_str_eq(fp0, fp1);
    free(fp0);
    free(fp1);
    ASSERT_NO_TABLE("t1");
    ASSERT_NO_TABLE("t2");
    ASSERT_NO_TABLE("t3");
    ck_assert_str_eq(versions(), "");
    ck_assert_str_eq(applied_rows(), "");
    ck_assert_str_eq(history(), "r3:up:failed");

    /* the connection is usable afterwards */
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_pending_count(st), 5);
    um_status_free(st);
    um_close(ctx);
}
END_TEST

START_TEST(single_transaction_success)
{
    write_ini("transaction_per_migration = false\n");
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_str_eq(versions(), "r3");
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:ok,r3:up:ok");
    ASSERT_TABLE("t3");
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "base", NULL));
    ck_assert_str_eq(versions(), "");
    ASSERT_NO_TABLE("t1");
    um_close(ctx);
}
END_TEST

START_TEST(fail_in_down_section)
{
    write_linear(3);
    write_rev("r2", "r1", "CREATE TABLE t2 (id int);", "DROP TABLE t2;\nDROP TABLE nope;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));

    PGTEST_CHECK_RC(ctx, um_rollback(ctx, "base", NULL), UM_ESQL);
    assert_failed_at(ctx, "r2", "DROP TABLE nope", "42P01");
    ck_assert_str_eq(versions(), "r2");
    ASSERT_NO_TABLE("t3");
    ASSERT_TABLE("t2");
    ASSERT_TABLE("t1");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:applied");
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:ok,r3:up:ok,r3:down:ok,r2:down:failed");
    um_close(ctx);
}
END_TEST

START_TEST(fail_syntax_error)
{
    write_five_with_failing_r3("CREATE TABLE t3 (id int);\nCREAT TABLE oops (id int);");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    assert_failed_at(ctx, "r3", "CREAT TABLE oops", "42601");
    ASSERT_NO_TABLE("t3");
    um_close(ctx);
}
END_TEST

/* A body with its own BEGIN and no COMMIT, or with BEGIN ... COMMIT, is
 * refused before anything runs (lib/txblock.c): nothing stays open (the
 * lock, a transaction), nothing is recorded, and the handle still works. */
START_TEST(fail_transaction_left_open)
{
    write_table_rev("r1", NULL, "t1");
    write_rev("r2", "r1", "BEGIN;\nCREATE TABLE t2 (id int);", "DROP TABLE t2;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_EPARSE);
    ck_assert_msg(strstr(um_errmsg(ctx), "transaction control") != NULL, "%s", um_errmsg(ctx));
    ck_assert_str_eq(um_error_detail(ctx)->revision, "r2");
    ck_assert_int_eq(um_error_detail(ctx)->line, line_of("r2", "BEGIN;"));
    /* r1, before it, did not run either: nothing was written, not even
     * the bookkeeping tables of this new database */
    ASSERT_NO_TABLE("ultramigrate_version");
    ASSERT_NO_TABLE("ultramigrate_version_history");
    ASSERT_NO_TABLE("t1");
    ASSERT_NO_TABLE("t2");
    /* the handle still works, and the lock is free for others */
    ck_assert_int_eq(qi("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), 0);
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    um_status_free(st);
    um_close(ctx);
}
END_TEST

START_TEST(fail_inside_own_transaction)
{
    write_table_rev("r1", NULL, "t1");
    write_rev("r2", "r1", "BEGIN;\nCREATE TABLE t2 (id int);\nSELECT 1/0;\nCOMMIT;",
              "DROP TABLE t2;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_EPARSE);
    ck_assert_int_eq(um_error_detail(ctx)->line, line_of("r2", "BEGIN;"));
    /* r1, before it, did not run either: nothing was written, not even
     * the bookkeeping tables of this new database */
    ASSERT_NO_TABLE("ultramigrate_version");
    ASSERT_NO_TABLE("ultramigrate_version_history");
    ASSERT_NO_TABLE("t1");
    ASSERT_NO_TABLE("t2");
    ck_assert_int_eq(qi("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), 0);
    um_close(ctx);
}
END_TEST

/* A handle whose um_open failed only explains why, whatever is called. */
START_TEST(failed_open_handle_explains)
{
    write_rev("r1", "nope", "SELECT 1;", "SELECT 1;");
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    o.config_path = ini_path;
    o.database_url = db_url;
    um_ctx *ctx = NULL;
    ck_assert_int_eq(um_open(&ctx, &o), UM_EGRAPH);
    const char *msg = pgtest_fmt("%s", um_errmsg(ctx));
    um_health h = UM_HEALTH_INIT;
    um_status_info *st = NULL;
    um_plan *plan = NULL;
    ck_assert_int_eq(um_upgrade(ctx, "heads", NULL), UM_EGRAPH);
    ck_assert_int_eq(um_rollback(ctx, "base", NULL), UM_EGRAPH);
    ck_assert_int_eq(um_stamp(ctx, "heads"), UM_EGRAPH);
    ck_assert_int_eq(um_status(&st, ctx), UM_EGRAPH);
    ck_assert_int_eq(um_plan_create(&plan, ctx, UM_UP, "heads"), UM_EGRAPH);
    ck_assert_int_eq(um_health_snapshot(&h, ctx), UM_EGRAPH);
    ck_assert_ptr_null(st);
    ck_assert_ptr_null(plan);
    ck_assert_str_eq(um_errmsg(ctx), msg);
    ck_assert_int_eq(qi("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'ultramigrate%%'"), 0);
    um_close(ctx);
}
END_TEST

/* The files are UTF-8: a URL asking for another client encoding must not
 * make the server read them as something else. */
START_TEST(utf8_whatever_the_client_encoding)
{
    write_rev("r1", NULL, "CREATE TABLE t1 (id int);\nCOMMENT ON TABLE t1 IS 'caf\xc3\xa9';",
              "DROP TABLE t1;");
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    o.config_path = ini_path;
    o.database_url = pgtest_fmt("%s client_encoding=LATIN1", db_url);
    um_ctx *ctx = NULL;
    PGTEST_CHECK_OK(ctx, um_open(&ctx, &o));
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_str_eq(qv("SELECT length(obj_description('t1'::regclass))::text"), "4");
    um_close(ctx);
}
END_TEST

/* libpq reads '@' or '/' in a password as URL syntax and quotes a piece
 * back: no piece of the password may reach a message. */
START_TEST(password_pieces_never_shown)
{
    static const char *const urls[] = {
        "postgresql://alice:p@ssw0rd@127.0.0.1:1/db",
        "postgresql://alice:topsecret/x@127.0.0.1:1/db",
        "postgresql://alice:Hunter2Secret@[bad",
    };
    static const char *const pieces[] = { "ssw0rd", "topsecret", "Hunter2Secret" };
    write_table_rev("r1", NULL, "t1");
    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        um_open_options o = UM_OPEN_OPTIONS_INIT;
        o.config_path = ini_path;
        o.database_url = urls[i];
        um_ctx *ctx = NULL;
        um_status_info *st = NULL;
        um_health h = UM_HEALTH_INIT;
        int rc = um_open(&ctx, &o);
        if (rc == UM_OK)
            rc = um_status(&st, ctx);
        ck_assert_int_ne(rc, UM_OK);
        ck_assert_msg(strstr(um_errmsg(ctx), pieces[i]) == NULL, "leak: %s", um_errmsg(ctx));
        if (um_health_snapshot(&h, ctx) == UM_OK)
            ck_assert_msg(strstr(h.message, pieces[i]) == NULL, "leak: %s", h.message);
        um_close(ctx);
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* 2. Irreversible revisions                                          */
/* ------------------------------------------------------------------ */

START_TEST(irreversible_stops_before_running)
{
    write_linear(5);
    write_rev("r2", "r1", "CREATE TABLE t2 (id int);", NULL);
    um_ctx *ctx = open_engine();
    const um_revision *r2 = NULL;
    PGTEST_CHECK_OK(ctx, um_revision_lookup(&r2, ctx, "r2"));
    ck_assert_int_eq(r2->has_down, 0);

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    char *fp0 = pgtest_schema_fingerprint(db_url);
    long hist = qi("SELECT count(*) FROM ultramigrate_version_history");

    PGTEST_CHECK_RC(ctx, um_rollback(ctx, "r1", NULL), UM_EIRREVERSIBLE);
    const um_error_info *d = um_error_detail(ctx);
    ck_assert_int_eq(d->code, UM_EIRREVERSIBLE);
    ck_assert_ptr_nonnull(d->file);
    ck_assert_str_eq(d->file, rev_path("r2"));
    ck_assert_str_eq(d->revision, "r2");
    ck_assert_msg(strstr(um_errmsg(ctx), rev_path("r2")) != NULL, "%s", um_errmsg(ctx));

    PGTEST_CHECK_RC(ctx, um_rollback(ctx, "base", NULL), UM_EIRREVERSIBLE);
    um_plan *plan = (um_plan *)&plan;
    PGTEST_CHECK_RC(ctx, um_plan_create(&plan, ctx, UM_DOWN, "base"), UM_EIRREVERSIBLE);
    ck_assert_ptr_null(plan);

    char *fp1 = pgtest_schema_fingerprint(db_url);
    ck_assert_str_eq(fp0, fp1);
    free(fp0);
    free(fp1);
    ck_assert_int_eq(qi("SELECT count(*) FROM ultramigrate_version_history"), hist);
    ck_assert_str_eq(versions(), "r5");
    ASSERT_TABLE("t5");

    /* down to r2 itself does not cross it */
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "r2", NULL));
    ck_assert_str_eq(versions(), "r2");
    ASSERT_NO_TABLE("t3");
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 3. Non-transactional revisions                                     */
/* ------------------------------------------------------------------ */

START_TEST(nontx_concurrent_index)
{
    write_table_rev("r1", NULL, "t1");
    write_rev_full("r2", "r1", 0,
                   "CREATE INDEX CONCURRENTLY t1_idx ON t1 (id);\n"
                   "CREATE INDEX CONCURRENTLY t1_idx2 ON t1 (id);",
                   "DROP INDEX CONCURRENTLY t1_idx2;\nDROP INDEX CONCURRENTLY t1_idx;");
    um_ctx *ctx = open_engine();
    const um_revision *r2 = NULL;
    PGTEST_CHECK_OK(ctx, um_revision_lookup(&r2, ctx, "r2"));
    ck_assert_int_eq(r2->transactional, 0);

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_TABLE("t1_idx");
    ASSERT_TABLE("t1_idx2");
    ck_assert_str_eq(versions(), "r2");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:applied");
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:ok");

    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "r1", NULL));
    ASSERT_NO_TABLE("t1_idx");
    ck_assert_str_eq(versions(), "r1");
    um_close(ctx);
}
END_TEST

START_TEST(nontx_failure)
{
    write_table_rev("r1", NULL, "t1");
    write_rev_full("r2", "r1", 0,
                   "CREATE INDEX CONCURRENTLY t1_idx ON t1 (id);\n"
                   "\n"
                   "CREATE INDEX CONCURRENTLY bad_idx\n"
                   "  ON nope (id);",
                   "DROP INDEX t1_idx;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    /* no server position here: the line where the failing statement starts */
    assert_failed_at(ctx, "r2", "CREATE INDEX CONCURRENTLY bad_idx", "42P01");

    ASSERT_TABLE("t1_idx"); /* ran outside a transaction: stays */
    ck_assert_str_eq(versions(), "r1");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:failed");
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:failed");

    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_applied_count(st), 2); /* rows, whatever their state */
    ck_assert_str_eq(um_status_applied_at(st, 1)->revision, "r2");
    ck_assert_str_eq(um_status_applied_at(st, 1)->state, "failed");
    ck_assert_int_eq(um_status_applied_at(st, 1)->statements_done, 1);
    ck_assert_uint_eq(um_status_count(st, UM_STATUS_APPLIED), 1);
    ck_assert_uint_eq(um_status_count(st, UM_STATUS_FAILED), 1);
    ck_assert_uint_eq(um_status_pending_count(st), 0); /* failed, not pending */
    um_status_free(st);
    um_close(ctx);

    /* fixed file: the half-done revision blocks until the operator says
     * what it is; then a new run applies it */
    write_rev_full("r2", "r1", 0, "CREATE INDEX CONCURRENTLY IF NOT EXISTS t1_idx ON t1 (id);",
                   "DROP INDEX t1_idx;");
    ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESTATE);
    um_repair_options o = UM_REPAIR_OPTIONS_INIT;
    um_repair_list *list = NULL;
    o.action = UM_REPAIR_ROLLED_BACK;
    o.revision = "r2";
    PGTEST_CHECK_OK(ctx, um_repair(&list, ctx, &o));
    um_repair_free(list);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_str_eq(versions(), "r2");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:applied");
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:failed,r2:repair:ok,r2:up:ok");
    um_close(ctx);
}
END_TEST

/* split locally before anything runs: the same detail as a server error */
START_TEST(nontx_syntax_error)
{
    write_table_rev("r1", NULL, "t1");
    write_rev_full("r2", "r1", 0,
                   "CREATE INDEX CONCURRENTLY t1_idx ON t1 (id);\n"
                   "CREAT INDEX oops;",
                   "DROP INDEX t1_idx;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    const um_error_info *d = um_error_detail(ctx);
    ck_assert_str_eq(d->revision, "r2");
    ck_assert_str_eq(d->file, rev_path("r2"));
    ck_assert_int_eq(d->line, line_of("r2", "CREAT INDEX oops"));
    ASSERT_NO_TABLE("t1_idx");
    ck_assert_str_eq(versions(), "r1");
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:failed");
    ck_assert_msg(d->sqlstate && strcmp(d->sqlstate, "42601") == 0,
                  "syntax error without SQLSTATE 42601: %s", d->sqlstate ? d->sqlstate : "NULL");
    um_close(ctx);
}
END_TEST

START_TEST(nontx_rejected_in_single_transaction)
{
    write_ini("transaction_per_migration = false\n");
    write_table_rev("r1", NULL, "t1");
    write_rev_full("r2", "r1", 0, "CREATE INDEX CONCURRENTLY t1_idx ON t1 (id);",
                   "DROP INDEX t1_idx;");
    um_ctx *ctx = open_engine();
    /* exit 3, configuration: it exited 1, "other error" */
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ECONFIG);
    ck_assert_msg(strstr(um_errmsg(ctx), "transaction_per_migration") &&
                      strstr(um_errmsg(ctx), "r2.sql"),
                  "%s", um_errmsg(ctx));
    ASSERT_NO_TABLE("t1");
    ck_assert_str_eq(versions(), "");
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */

/*
 * A table of the user's by a bookkeeping table's name is not taken for
 * one: an upgrade refuses with UM_EBOOKKEEPING naming it, makes none of
 * the others and leaves it as it was (it made the others beside a history
 * table and failed at its first record, exit 8); a status that cannot
 * read such a version table says why.
 */
START_TEST(foreign_table_by_a_bookkeeping_name)
{
    static const char *const names[] = { "ultramigrate_version_history",
                                         "ultramigrate_version_applied", "ultramigrate_version" };
    write_linear(2);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        sql("CREATE TABLE %s (id serial PRIMARY KEY, note text)", names[i]);
        sql("INSERT INTO %s (note) VALUES ('mine')", names[i]);
        um_ctx *ctx = open_engine();
        PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_EBOOKKEEPING);
        ck_assert_msg(strstr(um_errmsg(ctx), names[i]) &&
                          strstr(um_errmsg(ctx), "is not ultramigrate's bookkeeping table"),
                      "%s", um_errmsg(ctx));
        ck_assert_str_eq(qv("SELECT string_agg(tablename, ',') FROM pg_tables"
                            " WHERE tablename LIKE 'ultramigrate%%'"),
                         names[i]);
        ck_assert_str_eq(qv("SELECT string_agg(note, ',') FROM %s", names[i]), "mine");
        ck_assert(!table_exists("t1"));
        if (i == 2) {
            um_status_info *st = NULL;
            PGTEST_CHECK_RC(ctx, um_status(&st, ctx), UM_EBOOKKEEPING);
            ck_assert_ptr_null(st);
        }
        um_close(ctx);
        sql("DROP TABLE %s", names[i]);
    }
    /* a view with the version table's column is no version table either */
    sql("CREATE VIEW ultramigrate_version AS SELECT 'r1'::varchar(32) AS version_num");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_EBOOKKEEPING);
    ck_assert_msg(strstr(um_errmsg(ctx), "it is not a table"), "%s", um_errmsg(ctx));
    ck_assert_str_eq(qv("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'ultramigrate%%'"),
                     "0");
    um_close(ctx);
}
END_TEST

/* Shapes the engine could not use under the version table's name: each
 * refused before anything is written (they ended in exit 8 with the
 * revision blamed, or made the other tables first). */
START_TEST(foreign_table_shapes)
{
    static const struct {
        const char *create, *says;
    } cases[] = {
        { "CREATE TABLE ultramigrate_version (version_num int)",
          "no column version_num of the kind of type" },
        { "CREATE TABLE ultramigrate_version (version_num varchar(32) PRIMARY KEY,"
          " note text NOT NULL)",
          "its column note is NOT NULL without a default" },
        { "CREATE TABLE ultramigrate_version (version_num varchar(32) NOT NULL)",
          "no primary key or unique index on version_num" },
        { "CREATE SEQUENCE ultramigrate_version", "it is not a table" },
    };
    write_linear(1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sql("%s", cases[i].create);
        um_ctx *ctx = open_engine();
        PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_EBOOKKEEPING);
        ck_assert_msg(strstr(um_errmsg(ctx), cases[i].says), "%s: %s", cases[i].create,
                      um_errmsg(ctx));
        ck_assert_str_eq(qv("SELECT count(*) FROM pg_tables WHERE tablename LIKE"
                            " 'ultramigrate_version_%%'"),
                         "0");
        ck_assert(!table_exists("t1"));
        um_close(ctx);
        sql("DROP %s ultramigrate_version",
            strstr(cases[i].create, "SEQUENCE") ? "SEQUENCE" : "TABLE");
    }
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *failures_suite(void)
{
    Suite *s = suite_create("failures");

    PGTEST_ADD_TESTS(tcase(s, "failure"), fail_midway_per_migration, fail_without_position,
                     fail_without_position_with_timeouts, fail_position_after_multibyte,
                     fail_single_transaction, single_transaction_success, fail_in_down_section,
                     fail_syntax_error, fail_transaction_left_open, fail_inside_own_transaction,
                     failed_open_handle_explains, utf8_whatever_the_client_encoding,
                     password_pieces_never_shown);

    PGTEST_ADD_TESTS(tcase(s, "irreversible"), irreversible_stops_before_running,
                     foreign_table_by_a_bookkeeping_name, foreign_table_shapes);

    PGTEST_ADD_TESTS(tcase(s, "nontransactional"), nontx_concurrent_index, nontx_failure,
                     nontx_syntax_error, nontx_rejected_in_single_transaction);

    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(failures_suite());
}
