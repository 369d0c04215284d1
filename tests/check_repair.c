/*
 * check_repair.c - half-done revisions and their repair, against a real
 * PostgreSQL: a "Transactional: no" revision stopped part-way records how
 * many statements succeeded and blocks every run until um_repair() says
 * what it is; repair of checksums; bookkeeping tables of an earlier
 * version upgraded in place; the counts status and health share; applied
 * revisions whose file is gone; and the same through the CLI (exit codes,
 * messages, JSON).
 *
 * Each test gets its own database and project directory (pgtest.h's
 * project fixture); revision files are written by the test itself.
 */
#define PGTEST_SHORT_NAMES
#include "pgtest.h"

#include <ultramigrate/ultramigrate.h>

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define run_cli(...) pgtest_run_cli(proj_dir, db_url, (const char *const[]){ __VA_ARGS__, NULL })

#define ASSERT_HAS(haystack, needle)                                                               \
    ck_assert_msg(strstr((haystack), (needle)) != NULL, "'%s' lacks '%s'", (haystack), (needle))

/* r1 (table t1), r2 "Transactional: no": two indexes, then a statement
 * that fails on the way up; r3 (table t3) after it. */
static void write_half_done_project(void)
{
    write_table_rev("r1", NULL, "t1");
    write_rev_full("r2", "r1", 0,
                   "CREATE INDEX CONCURRENTLY i_a ON t1 (id);\n"
                   "CREATE INDEX CONCURRENTLY i_b ON t1 (id);\n"
                   "CREATE INDEX CONCURRENTLY i_c ON nope (id);",
                   "DROP INDEX CONCURRENTLY IF EXISTS i_c;\n"
                   "DROP INDEX CONCURRENTLY IF EXISTS i_b;\n"
                   "DROP INDEX CONCURRENTLY IF EXISTS i_a;");
    write_table_rev("r3", "r2", "t3");
}

/* The project above, run: r1 applied, r2 failed after 2 statements. */
static um_ctx *half_done(void)
{
    write_half_done_project();
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:failed");
    return ctx;
}

static int repair(um_ctx *ctx, um_repair_action action, const char *rev, um_repair_list **out)
{
    um_repair_options o = UM_REPAIR_OPTIONS_INIT;
    um_repair_list *list = NULL;
    o.action = action;
    o.revision = rev;
    int rc = um_repair(out ? out : &list, ctx, &o);
    um_repair_free(list);
    return rc;
}

/* The refusal plan_refuse_unfinished gives, as the handle holds it. */
static void assert_blocked(um_ctx *ctx, const char *rev, int done, const char *direction)
{
    const um_error_info *d = um_error_detail(ctx);
    const char *msg = um_errmsg(ctx);
    ck_assert_int_eq(d->code, UM_ESTATE);
    ck_assert_str_eq(d->revision, rev);
    ck_assert_str_eq(d->file, rev_path(rev));
    ASSERT_HAS(msg, rev_path(rev));
    ASSERT_HAS(msg, pgtest_fmt("after %d statement%s succeeded", done, done == 1 ? "" : "s"));
    ASSERT_HAS(msg, pgtest_fmt("its %s stopped", direction));
    ASSERT_HAS(msg, pgtest_fmt("'ultramigrate repair %s --applied'", rev));
    ASSERT_HAS(msg, pgtest_fmt("'ultramigrate repair %s --rolled-back'", rev));
}

/* ------------------------------------------------------------------ */
/* 1. Half-done revisions block                                         */
/* ------------------------------------------------------------------ */

START_TEST(statements_done_recorded)
{
    um_ctx *ctx = half_done();
    ck_assert_int_eq(qi("SELECT statements_done FROM ultramigrate_version_applied"
                        " WHERE revision = 'r2'"),
                     2);
    ASSERT_TABLE("i_a");
    ASSERT_TABLE("i_b");
    ck_assert_str_eq(versions(), "r1");
    um_close(ctx);
}
END_TEST

START_TEST(failed_revision_blocks_every_run)
{
    um_ctx *ctx = half_done();
    char *before = pgtest_schema_fingerprint(db_url);

    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESTATE);
    assert_blocked(ctx, "r2", 2, "upgrade");
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "r1", NULL), UM_ESTATE); /* nothing to do, still */
    PGTEST_CHECK_RC(ctx, um_rollback(ctx, "base", NULL), UM_ESTATE);
    assert_blocked(ctx, "r2", 2, "upgrade");
    um_plan *plan = NULL;
    PGTEST_CHECK_RC(ctx, um_plan_create(&plan, ctx, UM_UP, "heads"), UM_ESTATE);
    ck_assert_ptr_null(plan);

    char *after = pgtest_schema_fingerprint(db_url);
    ck_assert_str_eq(before, after); /* nothing ran, nothing recorded */
    free(before);
    free(after);
    um_close(ctx);
}
END_TEST

/* A stamp settles a half-done revision, as the operator says, but it
 * replaced the record without a word: it warns, naming it. */
static void keep_warnings(um_log_level level, const char *msg, void *payload)
{
    if (level == UM_LOG_WARNING)
        strncat(payload, msg, 511 - strlen(payload));
}

START_TEST(stamp_warns_while_half_done)
{
    um_ctx *ctx = half_done();
    um_close(ctx);
    char warnings[512] = "";
    ctx = pgtest_project_open(&proj, keep_warnings, warnings);
    PGTEST_CHECK_OK(ctx, um_stamp(ctx, "heads"));
    ASSERT_HAS(warnings, "revision r2 was left failed part-way (2 statements succeeded)");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:applied,r3:applied");
    um_close(ctx);
}
END_TEST

/* A killed run leaves the row in progress: the same refusal. */
START_TEST(in_progress_revision_blocks)
{
    um_ctx *ctx = half_done();
    sql("UPDATE ultramigrate_version_applied SET state = 'in_progress', statements_done = 1"
        " WHERE revision = 'r2'");
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESTATE);
    assert_blocked(ctx, "r2", 1, "upgrade");
    ASSERT_HAS(um_errmsg(ctx), "left in progress");
    um_close(ctx);
}
END_TEST

/* A transactional revision that fails leaves no trace: the next run
 * simply tries it again. */
START_TEST(failed_transactional_blocks_nothing)
{
    write_table_rev("r1", NULL, "t1");
    write_rev("r2", "r1", "CREATE TABLE t2 (id int);\nINSERT INTO nope VALUES (1);",
              "DROP TABLE t2;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_str_eq(applied_rows(), "r1:applied");
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_str_eq(um_error_detail(ctx)->sqlstate, "42P01");
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_count(st, UM_STATUS_FAILED), 0);
    ck_assert_uint_eq(um_status_pending_count(st), 1);
    um_status_free(st);
    um_close(ctx);
}
END_TEST

/* The down section stops part-way: the revision is still a version row,
 * its row failed, and the message says it was a downgrade. */
START_TEST(failed_downgrade_blocks)
{
    write_table_rev("r1", NULL, "t1");
    write_rev_full("r2", "r1", 0, "CREATE INDEX CONCURRENTLY i_a ON t1 (id);",
                   "DROP INDEX CONCURRENTLY i_a;\nDROP INDEX CONCURRENTLY nope;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    PGTEST_CHECK_RC(ctx, um_rollback(ctx, "r1", NULL), UM_ESQL);
    ck_assert_str_eq(versions(), "r2");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:failed");
    PGTEST_CHECK_RC(ctx, um_rollback(ctx, "r1", NULL), UM_ESTATE);
    assert_blocked(ctx, "r2", 1, "downgrade");

    /* the index is gone: the downgrade is as good as done */
    PGTEST_CHECK_OK(ctx, repair(ctx, UM_REPAIR_ROLLED_BACK, "r2", NULL));
    ck_assert_str_eq(versions(), "r1");
    ck_assert_str_eq(applied_rows(), "r1:applied");
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "base", NULL));
    ck_assert_str_eq(versions(), "");
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 2. Repair                                                            */
/* ------------------------------------------------------------------ */

START_TEST(repair_applied)
{
    um_ctx *ctx = half_done();
    /* the operator finishes the revision by hand, with the right table */
    sql("CREATE INDEX i_c ON t1 (id)");
    um_repair_list *list = NULL;
    PGTEST_CHECK_OK(ctx, repair(ctx, UM_REPAIR_APPLIED, "r2", &list));
    ck_assert_uint_eq(um_repair_count(list), 1);
    const um_repair_entry *e = um_repair_at(list, 0);
    ck_assert_str_eq(e->revision, "r2");
    ck_assert_str_eq(e->path, rev_path("r2"));
    ck_assert_str_eq(e->before, "failed");
    ck_assert_str_eq(e->after, "applied");
    ck_assert_int_eq(e->statements_done, 2);
    ck_assert_ptr_nonnull(e->new_checksum);
    ck_assert_ptr_null(um_repair_at(list, 1));
    char *json = um_repair_to_json(list);
    json_t *doc = pgtest_json_parse(json);
    json_t *first = json_array_get(json_object_get(doc, "repaired"), 0);
    ck_assert_str_eq(jstr(first, "after"), "applied");
    json_decref(doc);
    um_free(json);
    um_repair_free(list);

    ck_assert_str_eq(versions(), "r2");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:applied");
    ck_assert_int_eq(qi("SELECT statements_done FROM ultramigrate_version_applied"
                        " WHERE revision = 'r2'"),
                     0);
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:failed,r2:repair:ok");
    ASSERT_HAS(qv("SELECT error FROM ultramigrate_version_history WHERE direction = 'repair'"),
               "recorded applied");

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_str_eq(versions(), "r3");
    ASSERT_TABLE("t3");
    um_close(ctx);
}
END_TEST

START_TEST(repair_rolled_back)
{
    um_ctx *ctx = half_done();
    sql("DROP INDEX i_a; DROP INDEX i_b");
    PGTEST_CHECK_RC(ctx, repair(ctx, UM_REPAIR_ROLLED_BACK, "r", NULL), UM_ETARGET);
    ASSERT_HAS(um_errmsg(ctx), "more than one revision"); /* r1 and r2 */
    PGTEST_CHECK_OK(ctx, repair(ctx, UM_REPAIR_ROLLED_BACK, "r2", NULL));
    ck_assert_str_eq(versions(), "r1");
    ck_assert_str_eq(applied_rows(), "r1:applied");
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:failed,r2:repair:ok");
    /* once is enough: nothing is left to repair */
    PGTEST_CHECK_RC(ctx, repair(ctx, UM_REPAIR_ROLLED_BACK, "r2", NULL), UM_ETARGET);

    /* fixed, it runs from the top */
    write_rev_full("r2", "r1", 0,
                   "CREATE INDEX CONCURRENTLY i_a ON t1 (id);\n"
                   "CREATE INDEX CONCURRENTLY i_b ON t1 (id);",
                   "DROP INDEX CONCURRENTLY i_b;\nDROP INDEX CONCURRENTLY i_a;");
    um_close(ctx);
    ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_str_eq(versions(), "r3");
    um_close(ctx);
}
END_TEST

START_TEST(repair_refusals)
{
    um_ctx *ctx = half_done();
    char *before = pgtest_schema_fingerprint(db_url);
    um_repair_list *list = (um_repair_list *)1;

    PGTEST_CHECK_RC(ctx, repair(ctx, UM_REPAIR_APPLIED, "r1", NULL), UM_ETARGET);
    ASSERT_HAS(um_errmsg(ctx), "not failed or in progress");
    PGTEST_CHECK_RC(ctx, repair(ctx, UM_REPAIR_APPLIED, "r3", NULL), UM_ETARGET);
    PGTEST_CHECK_RC(ctx, repair(ctx, UM_REPAIR_APPLIED, "zz", NULL), UM_ETARGET);
    PGTEST_CHECK_RC(ctx, repair(ctx, UM_REPAIR_APPLIED, NULL, NULL), UM_EINVAL);
    PGTEST_CHECK_RC(ctx, repair(ctx, (um_repair_action)9, "r2", NULL), UM_EINVAL);
    PGTEST_CHECK_RC(ctx, um_repair(&list, ctx, NULL), UM_EINVAL);
    ck_assert_ptr_null(list);
    PGTEST_CHECK_RC(ctx, um_repair(NULL, ctx, NULL), UM_EINVAL);
    um_repair_options o = UM_REPAIR_OPTIONS_INIT;
    o.version = 99;
    o.action = UM_REPAIR_CHECKSUMS;
    PGTEST_CHECK_RC(ctx, um_repair(&list, ctx, &o), UM_EVERSION);
    ck_assert_int_eq(um_repair_options_init(&o, UM_REPAIR_OPTIONS_VERSION), UM_OK);
    ck_assert_int_eq(um_repair_options_init(&o, 99), UM_EINVAL);
    ck_assert_uint_eq(um_repair_count(NULL), 0);
    ck_assert_ptr_null(um_repair_at(NULL, 0));
    ck_assert_ptr_null(um_repair_to_json(NULL));
    um_repair_free(NULL);

    /* a revision whose file is gone cannot be declared applied */
    remove(rev_path("r3"));
    remove(rev_path("r2"));
    um_close(ctx);
    ctx = open_engine();
    PGTEST_CHECK_RC(ctx, repair(ctx, UM_REPAIR_APPLIED, "r2", NULL), UM_ESTATE);

    char *after = pgtest_schema_fingerprint(db_url);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
    /* ... but rolled back, yes */
    PGTEST_CHECK_OK(ctx, repair(ctx, UM_REPAIR_ROLLED_BACK, "r2", NULL));
    ck_assert_str_eq(applied_rows(), "r1:applied");
    um_close(ctx);
}
END_TEST

START_TEST(repair_checksums)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_repair_list *list = NULL;
    PGTEST_CHECK_OK(ctx, repair(ctx, UM_REPAIR_CHECKSUMS, NULL, &list));
    ck_assert_uint_eq(um_repair_count(list), 0); /* nothing changed, nothing written */
    um_repair_free(list);
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:ok,r3:up:ok");
    const char *old = qv("SELECT checksum FROM ultramigrate_version_applied WHERE revision = 'r2'");
    um_close(ctx);

    /* an intentional edit of r2 */
    write_rev("r2", "r1", "CREATE TABLE t2 (id int); -- and a comment", "DROP TABLE t2;");
    ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ECHECKSUM);
    PGTEST_CHECK_OK(ctx, repair(ctx, UM_REPAIR_CHECKSUMS, NULL, &list));
    ck_assert_uint_eq(um_repair_count(list), 1);
    const um_repair_entry *e = um_repair_at(list, 0);
    ck_assert_str_eq(e->revision, "r2");
    ck_assert_str_eq(e->old_checksum, old);
    ck_assert_str_ne(e->new_checksum, old);
    ck_assert_str_eq(qv("SELECT checksum FROM ultramigrate_version_applied WHERE revision = 'r2'"),
                     e->new_checksum);
    um_repair_free(list);
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:ok,r3:up:ok,r2:repair:ok");
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_close(ctx);
}
END_TEST

/* Tables an earlier version made: no statements_done, a history check
 * without "repair" (nor "restore"). */
START_TEST(old_tables_upgraded_in_place)
{
    um_ctx *ctx = half_done();
    sql("ALTER TABLE ultramigrate_version_applied DROP COLUMN statements_done;"
        "ALTER TABLE ultramigrate_version_history DROP CONSTRAINT"
        " ultramigrate_version_history_direction_check,"
        " ADD CONSTRAINT old_direction CHECK (direction IN ('up', 'down', 'stamp'))");
    um_close(ctx);
    ctx = open_engine();
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx)); /* read as they are */
    ck_assert_uint_eq(um_status_count(st, UM_STATUS_FAILED), 1);
    ck_assert_int_eq(um_status_applied_at(st, 1)->statements_done, 0);
    um_status_free(st);
    /* a refused run changes nothing, the tables' layout included */
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESTATE);
    ck_assert_int_eq(qi("SELECT count(*) FROM pg_attribute WHERE attname = 'statements_done'"
                        " AND attrelid = 'ultramigrate_version_applied'::regclass"),
                     0);
    PGTEST_CHECK_OK(ctx, repair(ctx, UM_REPAIR_ROLLED_BACK, "r2", NULL));
    ck_assert_int_eq(qi("SELECT count(*) FROM pg_attribute WHERE attname = 'statements_done'"
                        " AND attrelid = 'ultramigrate_version_applied'::regclass"),
                     1);
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:failed,r2:repair:ok");
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 3. One count for status and health                                   */
/* ------------------------------------------------------------------ */

static void assert_counts(um_ctx *ctx, size_t applied, size_t pending, size_t failed,
                          size_t in_progress, size_t missing)
{
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_count(st, UM_STATUS_APPLIED), applied);
    ck_assert_uint_eq(um_status_count(st, UM_STATUS_PENDING), pending);
    ck_assert_uint_eq(um_status_pending_count(st), pending);
    ck_assert_uint_eq(um_status_count(st, UM_STATUS_FAILED), failed);
    ck_assert_uint_eq(um_status_count(st, UM_STATUS_IN_PROGRESS), in_progress);
    ck_assert_uint_eq(um_status_count(st, UM_STATUS_MISSING), missing);
    ck_assert_uint_eq(um_status_count(st, (um_status_kind)42), 0);
    um_status_free(st);
    um_health h = snap(ctx);
    ck_assert_uint_eq(h.pending, pending);
}

START_TEST(counts_in_progress)
{
    um_ctx *ctx = half_done();
    sql("UPDATE ultramigrate_version_applied SET state = 'in_progress' WHERE revision = 'r2'");
    assert_counts(ctx, 1, 1, 0, 1, 0); /* r1 applied, r3 pending, r2 in progress */
    ASSERT_STATUS(snap(ctx), UM_HEALTH_FAILED);
    um_close(ctx);
}
END_TEST

/* r2 deleted and r3 made to revise r1, after r1..r3 were applied; r4 new. */
START_TEST(counts_deleted_middle_revision)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_close(ctx);
    remove(rev_path("r2"));
    write_table_rev("r3", "r1", "t3");
    write_table_rev("r4", "r3", "t4");
    ctx = open_engine();
    assert_counts(ctx, 2, 1, 0, 0, 1);
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_AHEAD);
    ASSERT_MESSAGE_HAS(h, "r2");

    /* and no run goes past it or through it */
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESTATE);
    ck_assert_str_eq(um_error_detail(ctx)->revision, "r2");
    ASSERT_HAS(um_errmsg(ctx), "no file");
    PGTEST_CHECK_RC(ctx, um_rollback(ctx, "base", NULL), UM_ESTATE);
    ck_assert_str_eq(um_error_detail(ctx)->revision, "r2");
    PGTEST_CHECK_RC(ctx, um_rollback(ctx, "r1", NULL), UM_ESTATE);
    ASSERT_NO_TABLE("t4");
    ASSERT_TABLE("t2");
    ASSERT_TABLE("t3");
    ck_assert_str_eq(versions(), "r3");
    um_close(ctx);
}
END_TEST

/* The database is at a revision no file defines, and a revision of the
 * files is not applied: it still counts as pending. */
START_TEST(counts_database_ahead)
{
    write_linear(2);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_close(ctx);
    sql("UPDATE ultramigrate_version SET version_num = 'zz';"
        "INSERT INTO ultramigrate_version_applied (revision, checksum, tool_version, state)"
        " VALUES ('zz', 'x', 'other', 'applied')");
    write_table_rev("b1", "r1", "tb1"); /* a branch the database lacks */
    ctx = open_engine();
    assert_counts(ctx, 2, 1, 0, 0, 1);
    ASSERT_STATUS(snap(ctx), UM_HEALTH_AHEAD);
    um_close(ctx);
}
END_TEST

/* Nothing unusual: applied + pending = the files. */
START_TEST(counts_plain)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    assert_counts(ctx, 0, 3, 0, 0, 0);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r2", NULL));
    assert_counts(ctx, 2, 1, 0, 0, 0);
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 4. The command                                                       */
/* ------------------------------------------------------------------ */

START_TEST(cli_blocked_and_repaired)
{
    write_half_done_project();
    pgtest_cli_result r = run_cli("upgrade");
    pgtest_assert_status(r, 8, "upgrade");
    ASSERT_HAS(r.err, "1 revision applied before the run stopped");
    pgtest_cli_result_free(&r);

    r = run_cli("upgrade");
    pgtest_assert_status(r, 9, "upgrade, blocked");
    ASSERT_HAS(r.err, rev_path("r2"));
    ASSERT_HAS(r.err, "after 2 statements succeeded");
    ASSERT_HAS(r.err, "'ultramigrate repair r2 --applied'");
    pgtest_cli_result_free(&r);

    r = run_cli("downgrade", "base");
    pgtest_assert_status(r, 9, "downgrade, blocked");
    pgtest_cli_result_free(&r);

    r = run_cli("status");
    pgtest_assert_status(r, 11, "status");
    ASSERT_HAS(r.out, "Applied:       1 revision\n");
    ASSERT_HAS(r.out, "Pending:       1 revision\n");
    ASSERT_HAS(r.out, "Failed:        1 revision\n");
    ASSERT_HAS(r.out, "r2  2 statements succeeded");
    pgtest_cli_result_free(&r);

    r = run_cli("status", "--json");
    pgtest_assert_status(r, 11, "status --json");
    json_t *doc = pgtest_json_parse(r.out);
    json_t *counts = json_object_get(doc, "counts");
    ck_assert_int_eq(json_integer_value(json_object_get(counts, "applied")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(counts, "pending")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(counts, "failed")), 1);
    ck_assert(json_is_false(json_object_get(doc, "up_to_date")));
    json_t *row = json_array_get(json_object_get(doc, "applied"), 1);
    ck_assert_str_eq(jstr(row, "state"), "failed");
    ck_assert_int_eq(json_integer_value(json_object_get(row, "statements_done")), 2);
    json_decref(doc);
    pgtest_cli_result_free(&r);

    r = run_cli("current");
    pgtest_assert_status(r, 11, "current");
    ASSERT_HAS(r.out, "r2 (failed: 2 statements succeeded");
    pgtest_cli_result_free(&r);

    r = run_cli("current", "--json");
    pgtest_assert_status(r, 11, "current --json");
    doc = pgtest_json_parse(r.out);
    row = json_array_get(json_object_get(doc, "unfinished"), 0);
    ck_assert_str_eq(jstr(row, "revision"), "r2");
    json_decref(doc);
    pgtest_cli_result_free(&r);

    r = run_cli("health");
    pgtest_assert_status(r, 11, "health");
    pgtest_cli_result_free(&r);

    r = run_cli("repair", "r1", "--applied");
    pgtest_assert_status(r, 5, "repair of an applied revision");
    ASSERT_HAS(r.err, "not failed or in progress");
    pgtest_cli_result_free(&r);

    r = run_cli("repair", "r2", "--rolled-back");
    pgtest_assert_status(r, 0, "repair --rolled-back");
    ASSERT_HAS(r.out, "r2  failed -> rolled_back");
    pgtest_cli_result_free(&r);

    r = run_cli("status");
    pgtest_assert_status(r, 0, "status after the repair");
    pgtest_cli_result_free(&r);

    r = run_cli("history");
    pgtest_assert_status(r, 0, "history");
    ASSERT_HAS(r.out, "repair ");
    ASSERT_HAS(r.out, "note: repair: recorded rolled back");
    pgtest_cli_result_free(&r);
}
END_TEST

START_TEST(cli_usage)
{
    write_linear(1);
    const char *const bad[][4] = { { "repair", NULL, NULL },
                                   { "repair", "r1", NULL },
                                   { "repair", "--applied", NULL },
                                   { "repair", "r1", "--checksums" },
                                   { "repair", "--applied", "--rolled-back" } };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pgtest_cli_result r = pgtest_run_cli(proj_dir, db_url, (const char *const *)bad[i]);
        pgtest_assert_status(r, 2, pgtest_fmt("repair usage %zu", i));
        pgtest_cli_result_free(&r);
    }
    pgtest_cli_result r = run_cli("repair", "--help");
    pgtest_assert_status(r, 0, "repair --help");
    ASSERT_HAS(r.out, "--rolled-back");
    pgtest_cli_result_free(&r);
}
END_TEST

START_TEST(cli_checksums)
{
    write_linear(2);
    pgtest_cli_result r = run_cli("upgrade");
    pgtest_assert_status(r, 0, "upgrade");
    pgtest_cli_result_free(&r);
    write_rev("r1", NULL, "CREATE TABLE t1 (id int); -- edited", "DROP TABLE t1;");

    r = run_cli("upgrade");
    pgtest_assert_status(r, 9, "upgrade over an edited file");
    pgtest_cli_result_free(&r);

    r = run_cli("repair", "--checksums");
    pgtest_assert_status(r, 0, "repair --checksums");
    ASSERT_HAS(r.out, "r1  checksum ");
    ASSERT_HAS(r.err, "1 checksum rewritten");
    pgtest_cli_result_free(&r);

    r = run_cli("repair", "--checksums", "--json");
    pgtest_assert_status(r, 0, "repair --checksums --json");
    json_t *doc = pgtest_json_parse(r.out);
    ck_assert_uint_eq(json_array_size(json_object_get(doc, "repaired")), 0);
    json_decref(doc);
    pgtest_cli_result_free(&r);

    r = run_cli("upgrade");
    pgtest_assert_status(r, 0, "upgrade after the repair");
    pgtest_cli_result_free(&r);
}
END_TEST

/* The command killed while a "Transactional: no" revision runs: its row
 * stays in progress with the statements that succeeded, and the next run
 * refuses. */
START_TEST(cli_killed_mid_revision)
{
    write_table_rev("r1", NULL, "t1");
    write_rev_full("r2", "r1", 0,
                   "CREATE INDEX CONCURRENTLY i_a ON t1 (id);\n"
                   "SELECT pg_sleep(60);\n"
                   "CREATE INDEX CONCURRENTLY i_b ON t1 (id);",
                   "DROP INDEX CONCURRENTLY i_a;");
    pid_t pid = pgtest_spawn_cli(proj_dir, db_url, (const char *const[]){ "upgrade", NULL });
    long done = 0;
    for (int i = 0; i < 200 && done < 1; i++) {
        usleep(50 * 1000);
        const char *v = qv("SELECT statements_done FROM ultramigrate_version_applied"
                           " WHERE revision = 'r2'");
        done = strcmp(v, "<null>") ? atol(v) : 0;
    }
    ck_assert_int_eq(done, 1);
    kill(pid, SIGKILL);
    pgtest_wait_child(pid);
    /* the server notices the client only after the sleep: end it, and
     * with it the session's migration lock */
    qv("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
       " WHERE query LIKE '%%pg_sleep(60)%%' AND pid <> pg_backend_pid()");
    for (int i = 0; i < 200 && qi("SELECT count(*) FROM pg_stat_activity"
                                  " WHERE query LIKE '%%pg_sleep(60)%%'"
                                  " AND pid <> pg_backend_pid()") > 0;
         i++)
        usleep(50 * 1000);
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:in_progress");

    pgtest_cli_result r = run_cli("upgrade");
    pgtest_assert_status(r, 9, "upgrade after the kill");
    ASSERT_HAS(r.err, "left in progress");
    ASSERT_HAS(r.err, "after 1 statement succeeded");
    pgtest_cli_result_free(&r);
    r = run_cli("health");
    pgtest_assert_status(r, 11, "health after the kill");
    pgtest_cli_result_free(&r);
    r = run_cli("repair", "r2", "--rolled-back");
    pgtest_assert_status(r, 0, "repair");
    ASSERT_HAS(r.out, "r2  in_progress -> rolled_back");
    pgtest_cli_result_free(&r);
}
END_TEST

/* One transaction for the whole run: a failure leaves nothing applied,
 * and the command says so. */
START_TEST(cli_single_transaction_says_nothing_applied)
{
    write_ini("transaction_per_migration = false\n");
    write_linear(2);
    write_rev("r3", "r2", "INSERT INTO nope VALUES (1);", "SELECT 1;");
    pgtest_cli_result r = run_cli("upgrade");
    pgtest_assert_status(r, 8, "upgrade");
    ASSERT_HAS(r.err, "Nothing was applied");
    ck_assert_msg(strstr(r.err, "applied before the run stopped") == NULL, "%s", r.err);
    ck_assert_str_eq(versions(), "");
    pgtest_cli_result_free(&r);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *repair_suite(void)
{
    Suite *s = suite_create("repair");

    PGTEST_ADD_TESTS(tcase(s, "blocked"), statements_done_recorded,
                     failed_revision_blocks_every_run, stamp_warns_while_half_done,
                     in_progress_revision_blocks, failed_transactional_blocks_nothing,
                     failed_downgrade_blocks);
    PGTEST_ADD_TESTS(tcase(s, "repair"), repair_applied, repair_rolled_back, repair_refusals,
                     repair_checksums, old_tables_upgraded_in_place);
    PGTEST_ADD_TESTS(tcase(s, "counts"), counts_in_progress, counts_deleted_middle_revision,
                     counts_database_ahead, counts_plain);
    PGTEST_ADD_TESTS(tcase(s, "cli"), cli_blocked_and_repaired, cli_usage, cli_checksums,
                     cli_killed_mid_revision, cli_single_transaction_says_nothing_applied);
    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(repair_suite());
}
