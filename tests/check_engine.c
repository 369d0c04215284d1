/*
 * check_engine.c - the engine's public API against a real PostgreSQL:
 * upgrades, downgrades, plans, branches and merges, dependencies, failures
 * and where they are reported, irreversible and non-transactional
 * revisions, stamp, checksums, the migration lock under concurrency, the
 * progress callback, status/history contents and custom version tables.
 *
 * Each test gets its own database and project directory (pgtest.h's
 * project fixture); revision files are written by the test itself.
 */
#define PGTEST_SHORT_NAMES
#include "pgtest.h"

#include <ultramigrate/ultramigrate.h>

#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* 1. Linear round trips                                                */
/* ------------------------------------------------------------------ */

START_TEST(linear_upgrade_heads)
{
    write_linear(5);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));

    for (int i = 1; i <= 5; i++)
        ASSERT_TABLE(pgtest_fmt("t%d", i));
    ck_assert_str_eq(versions(), "r5");
    ck_assert_int_eq(qi("SELECT count(*) FROM ultramigrate_version_applied"), 5);
    ck_assert_int_eq(qi("SELECT count(*) FROM ultramigrate_version_applied"
                        " WHERE checksum ~ '^[0-9a-f]{64}$' AND state = 'applied'"),
                     5);
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:ok,r3:up:ok,r4:up:ok,r5:up:ok");

    for (int i = 1; i <= 5; i++) {
        const um_revision *rev = NULL;
        PGTEST_CHECK_OK(ctx, um_revision_lookup(&rev, ctx, pgtest_fmt("r%d", i)));
        ck_assert_str_eq(qv("SELECT checksum FROM ultramigrate_version_applied"
                            " WHERE revision = 'r%d'",
                            i),
                         rev->checksum);
    }

    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_pending_count(st), 0);
    ck_assert_uint_eq(um_status_current_head_count(st), 1);
    ck_assert_str_eq(um_status_current_head_at(st, 0), "r5");
    ck_assert_uint_eq(um_status_file_head_count(st), 1);
    ck_assert_str_eq(um_status_file_head_at(st, 0), "r5");
    ck_assert_uint_eq(um_status_applied_count(st), 5);
    for (size_t i = 0; i < 5; i++) {
        ck_assert_str_eq(um_status_applied_at(st, i)->revision, pgtest_fmt("r%zu", i + 1));
        ck_assert_str_eq(um_status_applied_at(st, i)->state, "applied");
        ck_assert_int_eq(um_status_applied_at(st, i)->checksum_ok, 1);
    }
    um_status_free(st);
    um_close(ctx);
}
END_TEST

START_TEST(linear_relative_and_base)
{
    write_linear(5);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, NULL, NULL));
    ck_assert_str_eq(versions(), "r5");

    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "-2", NULL));
    ck_assert_str_eq(versions(), "r3");
    ASSERT_TABLE("t3");
    ASSERT_NO_TABLE("t4");
    ASSERT_NO_TABLE("t5");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:applied,r3:applied");
    ck_assert_str_eq(qv("SELECT string_agg(revision || ':' || direction, ',' ORDER BY id)"
                        " FROM ultramigrate_version_history WHERE id > 5"),
                     "r5:down,r4:down");

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "+1", NULL));
    ck_assert_str_eq(versions(), "r4");
    ASSERT_TABLE("t4");
    ASSERT_NO_TABLE("t5");

    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "r1", NULL));
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r1+2", NULL));
    ck_assert_str_eq(versions(), "r3");
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "+1", NULL));
    ck_assert_str_eq(versions(), "r4");

    /* "+1" is not a downgrade target, "-1" not an upgrade target */
    PGTEST_CHECK_RC(ctx, um_rollback(ctx, "+1", NULL), UM_ETARGET);
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "-1", NULL), UM_ETARGET);
    ck_assert_str_eq(versions(), "r4");

    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "base", NULL));
    for (int i = 1; i <= 5; i++)
        ASSERT_NO_TABLE(pgtest_fmt("t%d", i));
    ck_assert_str_eq(versions(), "");
    ck_assert_str_eq(applied_rows(), "");
    ck_assert_str_eq(qv("SELECT string_agg(revision, ',' ORDER BY id)"
                        " FROM ultramigrate_version_history WHERE direction = 'down'"),
                     "r5,r4,r4,r3,r2,r4,r3,r2,r1");
    um_close(ctx);
}
END_TEST

START_TEST(linear_unique_prefix)
{
    /* ids with a shared first letter, unique from the second */
    write_table_rev("x1aa", NULL, "t1");
    write_table_rev("x2bb", "x1aa", "t2");
    write_table_rev("x3cc", "x2bb", "t3");
    write_table_rev("x4dd", "x3cc", "t4");
    um_ctx *ctx = open_engine();

    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "x", NULL), UM_ETARGET);
    ck_assert_msg(strstr(um_errmsg(ctx), "x1aa") && strstr(um_errmsg(ctx), "x4dd"),
                  "ambiguous prefix should list candidates: %s", um_errmsg(ctx));
    ASSERT_NO_TABLE("t1");

    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "nosuch", NULL), UM_ETARGET);

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "x3", NULL));
    ck_assert_str_eq(versions(), "x3cc");
    ASSERT_TABLE("t3");
    ASSERT_NO_TABLE("t4");

    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_pending_count(st), 1);
    ck_assert_str_eq(um_status_pending_at(st, 0)->id, "x4dd");
    um_status_free(st);
    um_close(ctx);
}
END_TEST

START_TEST(linear_plan_then_apply)
{
    write_linear(5);
    um_ctx *ctx = open_engine();
    char *fp0 = pgtest_schema_fingerprint(db_url);

    um_plan *plan = NULL;
    PGTEST_CHECK_OK(ctx, um_plan_create(&plan, ctx, UM_UP, "heads"));
    ck_assert_uint_eq(um_plan_step_count(plan), 5);
    for (size_t i = 0; i < 5; i++) {
        const um_step *s = um_plan_step(plan, i);
        ck_assert_ptr_nonnull(s);
        ck_assert_int_eq(s->direction, UM_UP);
        ck_assert_str_eq(s->revision, pgtest_fmt("r%zu", i + 1));
        ck_assert_str_eq(s->path, rev_path(pgtest_fmt("r%zu", i + 1)));
        ck_assert_int_eq(s->transactional, 1);
    }
    ck_assert_ptr_null(um_plan_step(plan, 5));

    /* planning reads, never writes */
    char *fp1 = pgtest_schema_fingerprint(db_url);
    ck_assert_str_eq(fp0, fp1);
    free(fp0);
    free(fp1);

    PGTEST_CHECK_OK(ctx, um_apply(ctx, plan, NULL));
    um_plan_free(plan);
    ck_assert_str_eq(versions(), "r5");
    ASSERT_TABLE("t5");

    PGTEST_CHECK_OK(ctx, um_plan_create(&plan, ctx, UM_DOWN, "r2"));
    ck_assert_uint_eq(um_plan_step_count(plan), 3);
    ck_assert_str_eq(um_plan_step(plan, 0)->revision, "r5");
    ck_assert_str_eq(um_plan_step(plan, 1)->revision, "r4");
    ck_assert_str_eq(um_plan_step(plan, 2)->revision, "r3");
    ck_assert_int_eq(um_plan_step(plan, 0)->direction, UM_DOWN);
    PGTEST_CHECK_OK(ctx, um_apply(ctx, plan, NULL));
    um_plan_free(plan);
    ck_assert_str_eq(versions(), "r2");
    ASSERT_NO_TABLE("t3");
    ASSERT_TABLE("t2");

    /* already at the target: an empty plan, and applying it changes nothing */
    long hist = qi("SELECT count(*) FROM ultramigrate_version_history");
    PGTEST_CHECK_OK(ctx, um_plan_create(&plan, ctx, UM_UP, "r2"));
    ck_assert_uint_eq(um_plan_step_count(plan), 0);
    ck_assert_ptr_null(um_plan_step(plan, 0));
    PGTEST_CHECK_OK(ctx, um_apply(ctx, plan, NULL));
    um_plan_free(plan);
    ck_assert_int_eq(qi("SELECT count(*) FROM ultramigrate_version_history"), hist);
    ck_assert_str_eq(versions(), "r2");

    um_close(ctx);
}
END_TEST

START_TEST(linear_plan_overtaken)
{
    write_linear(5);
    um_ctx *a = open_engine();
    um_ctx *b = open_engine();
    PGTEST_CHECK_OK(a, um_upgrade(a, "r2", NULL));

    /* b does part of a's plan first: a skips those steps */
    um_plan *plan = NULL;
    PGTEST_CHECK_OK(a, um_plan_create(&plan, a, UM_UP, "heads"));
    ck_assert_uint_eq(um_plan_step_count(plan), 3);
    PGTEST_CHECK_OK(b, um_upgrade(b, "r3", NULL));
    PGTEST_CHECK_OK(a, um_apply(a, plan, NULL));
    um_plan_free(plan);
    ck_assert_str_eq(versions(), "r5");
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:ok,r3:up:ok,r4:up:ok,r5:up:ok");

    /* b changes the database so that a's plan would grow: UM_ESTALE */
    PGTEST_CHECK_OK(a, um_rollback(a, "r2", NULL));
    PGTEST_CHECK_OK(a, um_plan_create(&plan, a, UM_DOWN, "r1"));
    ck_assert_uint_eq(um_plan_step_count(plan), 1);
    PGTEST_CHECK_OK(b, um_upgrade(b, "r4", NULL));
    PGTEST_CHECK_RC(a, um_apply(a, plan, NULL), UM_ESTALE);
    um_plan_free(plan);
    ck_assert_str_eq(versions(), "r4");
    ASSERT_TABLE("t4");
    ASSERT_TABLE("t2");

    um_close(a);
    um_close(b);
}
END_TEST

START_TEST(linear_read_only_calls)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    char *fp0 = pgtest_schema_fingerprint(db_url);

    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_pending_count(st), 3);
    ck_assert_str_eq(um_status_pending_at(st, 0)->id, "r1");
    ck_assert_str_eq(um_status_pending_at(st, 2)->id, "r3");
    ck_assert_uint_eq(um_status_applied_count(st), 0);
    ck_assert_uint_eq(um_status_current_head_count(st), 0);
    um_status_free(st);

    um_history_list *h = NULL;
    PGTEST_CHECK_OK(ctx, um_history(&h, ctx, 0));
    ck_assert_uint_eq(um_history_count(h), 0);
    um_history_free(h);

    char *fp1 = pgtest_schema_fingerprint(db_url);
    ck_assert_str_eq(fp0, fp1);
    free(fp0);
    free(fp1);
    ASSERT_NO_TABLE("ultramigrate_version");
    um_close(ctx);
}
END_TEST

START_TEST(unknown_head_in_database)
{
    write_linear(2);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r1", NULL));
    ck_assert_int_eq(pgtest_exec(db_url, "INSERT INTO ultramigrate_version VALUES ('zz9')"), 0);

    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESTATE);
    ck_assert_msg(strstr(um_errmsg(ctx), "zz9") != NULL, "%s", um_errmsg(ctx));
    ASSERT_NO_TABLE("t2");

    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_current_head_count(st), 2);
    um_status_free(st);
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 2. Branches and merges                                               */
/* ------------------------------------------------------------------ */

/* aa; bb, cc revise aa; mm merges bb and cc; dd revises mm. */
static void write_diamond(void)
{
    write_table_rev("aa", NULL, "ta");
    write_table_rev("bb", "aa", "tb");
    write_table_rev("cc", "aa", "tc");
    write_table_rev("mm", "bb, cc", "tm");
    write_table_rev("dd", "mm", "td");
}

START_TEST(branch_partial_then_heads)
{
    write_diamond();
    um_ctx *ctx = open_engine();

    const um_revision *m = NULL;
    PGTEST_CHECK_OK(ctx, um_revision_lookup(&m, ctx, "mm"));
    ck_assert_int_eq(m->is_merge, 1);
    ck_assert_uint_eq(m->n_parents, 2);

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "bb", NULL));
    ck_assert_str_eq(history(), "aa:up:ok,bb:up:ok");
    ck_assert_str_eq(versions(), "bb");
    ASSERT_TABLE("ta");
    ASSERT_TABLE("tb");
    ASSERT_NO_TABLE("tc");

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_str_eq(history(), "aa:up:ok,bb:up:ok,cc:up:ok,mm:up:ok,dd:up:ok");
    ck_assert_str_eq(versions(), "dd");
    ck_assert_str_eq(applied_rows(), "aa:applied,bb:applied,cc:applied,dd:applied,mm:applied");
    const char *tables[] = { "ta", "tb", "tc", "tm", "td" };
    for (size_t i = 0; i < 5; i++)
        ASSERT_TABLE(tables[i]);
    um_close(ctx);
}
END_TEST

START_TEST(branch_downgrade_to_branch_point)
{
    write_diamond();
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "bb", NULL));
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));

    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "aa", NULL));
    /* newest first: the reverse of the order they were applied */
    ck_assert_str_eq(qv("SELECT string_agg(revision, ',' ORDER BY id)"
                        " FROM ultramigrate_version_history WHERE direction = 'down'"),
                     "dd,mm,cc,bb");
    ck_assert_str_eq(versions(), "aa");
    ck_assert_str_eq(applied_rows(), "aa:applied");
    ASSERT_TABLE("ta");
    ASSERT_NO_TABLE("tb");
    ASSERT_NO_TABLE("tc");
    ASSERT_NO_TABLE("tm");
    ASSERT_NO_TABLE("td");
    um_close(ctx);
}
END_TEST

/* cc applied before bb: "newest first" must remove bb before cc. */
START_TEST(branch_downgrade_newest_first)
{
    write_diamond();
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "cc", NULL));
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_str_eq(history(), "aa:up:ok,cc:up:ok,bb:up:ok,mm:up:ok,dd:up:ok");

    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "aa", NULL));
    ck_assert_str_eq(versions(), "aa");
    ck_assert_str_eq(qv("SELECT string_agg(revision, ',' ORDER BY id)"
                        " FROM ultramigrate_version_history WHERE direction = 'down'"),
                     "dd,mm,bb,cc");
    um_close(ctx);
}
END_TEST

START_TEST(branch_minus_from_merge)
{
    write_diamond();
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    /* -2 from dd: dd, then the merge; its parents become the heads */
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "-2", NULL));
    ck_assert_str_eq(versions(), "bb,cc");
    ASSERT_TABLE("tb");
    ASSERT_TABLE("tc");
    ASSERT_NO_TABLE("tm");
    ASSERT_NO_TABLE("td");
    /* and back up through the merge */
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_str_eq(versions(), "dd");
    um_close(ctx);
}
END_TEST

START_TEST(branch_two_heads)
{
    write_table_rev("aa", NULL, "ta");
    write_table_rev("bb", "aa", "tb");
    write_table_rev("cc", "aa", "tc");
    um_ctx *ctx = open_engine();

    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "head", NULL), UM_ETARGET);
    ck_assert_msg(strstr(um_errmsg(ctx), "bb") && strstr(um_errmsg(ctx), "cc"),
                  "error should name both heads: %s", um_errmsg(ctx));
    ASSERT_NO_TABLE("ta");

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_str_eq(versions(), "bb,cc");
    ASSERT_TABLE("tb");
    ASSERT_TABLE("tc");

    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "head", NULL), UM_ETARGET);
    ck_assert_msg(strstr(um_errmsg(ctx), "bb") && strstr(um_errmsg(ctx), "cc"),
                  "error should name both heads: %s", um_errmsg(ctx));
    /* "-1" needs one current head */
    PGTEST_CHECK_RC(ctx, um_rollback(ctx, "-1", NULL), UM_ETARGET);
    ck_assert_str_eq(versions(), "bb,cc");

    const um_revision *r = NULL;
    PGTEST_CHECK_OK(ctx, um_revision_lookup(&r, ctx, "bb-1"));
    ck_assert_str_eq(r->id, "aa");

    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "aa", NULL));
    ck_assert_str_eq(versions(), "aa");
    ck_assert_str_eq(applied_rows(), "aa:applied");
    ASSERT_TABLE("ta");
    ASSERT_NO_TABLE("tb");
    ASSERT_NO_TABLE("tc");
    ck_assert_int_eq(qi("SELECT count(*) FROM ultramigrate_version_history"
                        " WHERE direction = 'down'"),
                     2);
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 3. Depends On                                                        */
/* ------------------------------------------------------------------ */

static void write_depends(void)
{
    write_table_rev("aa", NULL, "ta");
    write_table_rev("bb", "aa", "tb");
    write_table_rev("xx", NULL, "tx");
    write_rev_depends("yy", "xx", "bb", "CREATE TABLE ty (b int);", "DROP TABLE ty;");
}

START_TEST(depends_pulls_in_dependency)
{
    write_depends();
    um_ctx *ctx = open_engine();
    const um_revision *y = NULL;
    PGTEST_CHECK_OK(ctx, um_revision_lookup(&y, ctx, "yy"));
    ck_assert_uint_eq(y->n_depends_on, 1);
    ck_assert_str_eq(y->depends_on[0], "bb");
    ck_assert_uint_eq(y->n_parents, 1);

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "yy", NULL));
    ck_assert_str_eq(history(), "aa:up:ok,bb:up:ok,xx:up:ok,yy:up:ok");
    /* a dependency does not merge branches */
    ck_assert_str_eq(versions(), "bb,yy");
    ASSERT_TABLE("ta");
    ASSERT_TABLE("tb");
    ASSERT_TABLE("tx");
    ASSERT_TABLE("ty");

    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_pending_count(st), 0);
    ck_assert_uint_eq(um_status_current_head_count(st), 2);
    um_status_free(st);
    um_close(ctx);
}
END_TEST

START_TEST(depends_only_when_needed)
{
    write_depends();
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "xx", NULL));
    ck_assert_str_eq(history(), "xx:up:ok");
    ck_assert_str_eq(versions(), "xx");
    ASSERT_NO_TABLE("ta");

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "yy", NULL));
    ck_assert_str_eq(history(), "xx:up:ok,aa:up:ok,bb:up:ok,yy:up:ok");
    ck_assert_str_eq(versions(), "bb,yy");

    /* down to xx removes yy only; bb stays (it is not above xx) */
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "xx", NULL));
    ck_assert_str_eq(versions(), "bb,xx");
    ASSERT_NO_TABLE("ty");
    ASSERT_TABLE("tb");
    um_close(ctx);
}
END_TEST

/* Alembic: downgrading a revision also downgrades what depends on it. */
START_TEST(depends_downgrade_takes_dependents)
{
    write_depends();
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "yy", NULL));
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "aa", NULL));
    ck_assert_str_eq(qv("SELECT string_agg(revision, ',' ORDER BY id)"
                        " FROM ultramigrate_version_history WHERE direction = 'down'"),
                     "yy,bb");
    ck_assert_str_eq(versions(), "aa,xx");
    ASSERT_NO_TABLE("ty");
    ASSERT_NO_TABLE("tb");
    ASSERT_TABLE("tx");
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 4. Failures                                                          */
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

/* A body with its own BEGIN and no COMMIT: nothing may stay open (the
 * lock, the transaction), and the run must not claim success. */
START_TEST(fail_transaction_left_open)
{
    write_table_rev("r1", NULL, "t1");
    write_rev("r2", "r1", "BEGIN;\nCREATE TABLE t2 (id int);", "DROP TABLE t2;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_msg(strstr(um_errmsg(ctx), "transaction open") != NULL, "%s", um_errmsg(ctx));
    ck_assert_str_eq(um_error_detail(ctx)->revision, "r2");
    ck_assert_str_eq(versions(), "r1");
    ASSERT_NO_TABLE("t2");
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:failed");
    /* the handle still works, and the lock is free for others */
    ck_assert_int_eq(qi("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), 0);
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    um_status_free(st);
    um_close(ctx);
}
END_TEST

/* Its own BEGIN, then a failure: the aborted transaction is rolled back,
 * the failure recorded, the lock released. */
START_TEST(fail_inside_own_transaction)
{
    write_table_rev("r1", NULL, "t1");
    write_rev("r2", "r1", "BEGIN;\nCREATE TABLE t2 (id int);\nSELECT 1/0;\nCOMMIT;",
              "DROP TABLE t2;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_str_eq(um_error_detail(ctx)->sqlstate, "22012");
    ck_assert_str_eq(versions(), "r1");
    ASSERT_NO_TABLE("t2");
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:failed");
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
/* 5. Irreversible revisions                                            */
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
/* 6. Non-transactional revisions                                       */
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
    ck_assert_uint_eq(um_status_applied_count(st), 2);
    ck_assert_str_eq(um_status_applied_at(st, 1)->revision, "r2");
    ck_assert_str_eq(um_status_applied_at(st, 1)->state, "failed");
    ck_assert_uint_eq(um_status_pending_count(st), 1);
    um_status_free(st);
    um_close(ctx);

    /* fixed file: a new run applies it */
    write_rev_full("r2", "r1", 0, "CREATE INDEX CONCURRENTLY IF NOT EXISTS t1_idx ON t1 (id);",
                   "DROP INDEX t1_idx;");
    ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_str_eq(versions(), "r2");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:applied");
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:failed,r2:up:ok");
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
    int rc = um_upgrade(ctx, "heads", NULL);
    ck_assert_int_ne(rc, UM_OK);
    ASSERT_NO_TABLE("t1");
    ck_assert_str_eq(versions(), "");
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 7. Stamp                                                             */
/* ------------------------------------------------------------------ */

START_TEST(stamp_heads_and_base)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_stamp(ctx, "heads"));
    ck_assert_str_eq(versions(), "r3");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:applied,r3:applied");
    ASSERT_NO_TABLE("t1");
    ASSERT_NO_TABLE("t3");
    ck_assert_int_eq(qi("SELECT count(*) FROM ultramigrate_version_history"
                        " WHERE direction = 'stamp'"),
                     1);
    ck_assert_int_eq(qi("SELECT count(*) FROM ultramigrate_version_history"
                        " WHERE direction = 'up'"),
                     0);

    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_pending_count(st), 0);
    um_status_free(st);

    PGTEST_CHECK_OK(ctx, um_stamp(ctx, "base"));
    ck_assert_str_eq(versions(), "");
    ck_assert_str_eq(applied_rows(), "");
    um_close(ctx);
}
END_TEST

START_TEST(stamp_middle_then_upgrade)
{
    write_linear(4);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_stamp(ctx, "r2"));
    ck_assert_str_eq(versions(), "r2");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:applied");

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_NO_TABLE("t1");
    ASSERT_NO_TABLE("t2");
    ASSERT_TABLE("t3");
    ASSERT_TABLE("t4");
    ck_assert_str_eq(versions(), "r4");
    ck_assert_str_eq(qv("SELECT string_agg(revision, ',' ORDER BY id)"
                        " FROM ultramigrate_version_history WHERE direction = 'up'"),
                     "r3,r4");

    /* stamping down to r3 from r4 forgets r4 without running its down */
    PGTEST_CHECK_OK(ctx, um_stamp(ctx, "r3"));
    ck_assert_str_eq(versions(), "r3");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:applied,r3:applied");
    ASSERT_TABLE("t4");
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 8. Checksums                                                         */
/* ------------------------------------------------------------------ */

START_TEST(checksum_changed_file)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_close(ctx);

    write_rev("r2", "r1", "CREATE TABLE t2 (id bigint);", "DROP TABLE t2;");
    write_table_rev("r4", "r3", "t4");
    ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ECHECKSUM);
    const um_error_info *d = um_error_detail(ctx);
    ck_assert_ptr_nonnull(d->file);
    ck_assert_str_eq(d->file, rev_path("r2"));
    ck_assert_ptr_nonnull(d->revision);
    ck_assert_str_eq(d->revision, "r2");
    ck_assert_msg(strstr(um_errmsg(ctx), "r2") != NULL, "%s", um_errmsg(ctx));
    ASSERT_NO_TABLE("t4");
    ck_assert_str_eq(versions(), "r3");

    um_plan *plan = NULL;
    PGTEST_CHECK_RC(ctx, um_plan_create(&plan, ctx, UM_UP, "heads"), UM_ECHECKSUM);
    ck_assert_ptr_null(plan);

    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_applied_count(st), 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq(um_status_applied_at(st, i)->checksum_ok,
                         strcmp(um_status_applied_at(st, i)->revision, "r2") != 0);
    um_status_free(st);
    um_close(ctx);
}
END_TEST

START_TEST(checksum_ignores_down_section)
{
    write_linear(2);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_close(ctx);

    write_rev("r1", NULL, "CREATE TABLE t1 (id int);", "DROP TABLE IF EXISTS t1;");
    write_table_rev("r3", "r2", "t3");
    ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_TABLE("t3");
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 9. Concurrency                                                       */
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
/* 10. Lock wait timeout                                                */
/* ------------------------------------------------------------------ */

START_TEST(lock_wait_timeout)
{
    write_ini_lock("200ms", NULL);
    write_rev("r1", NULL, "SELECT pg_sleep(3);\nCREATE TABLE t1 (id int);", "DROP TABLE t1;");

    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        um_open_options o = UM_OPEN_OPTIONS_INIT;
        o.config_path = ini_path;
        o.database_url = db_url;
        o.application_name = "engine-holder";
        um_ctx *ctx = NULL;
        int rc = um_open(&ctx, &o);
        if (rc == UM_OK)
            rc = um_upgrade(ctx, "heads", NULL);
        um_close(ctx);
        _exit(rc == UM_OK ? 0 : 10 - rc);
    }

    const char *holder = "<null>";
    for (int i = 0; i < 500 && strcmp(holder, "<null>") == 0; i++) {
        holder = qv("SELECT pid FROM pg_stat_activity WHERE application_name = 'engine-holder'"
                    " AND datname = current_database() AND state = 'active'"
                    " AND query LIKE '%%pg_sleep%%'");
        if (strcmp(holder, "<null>") == 0)
            usleep(10000);
    }
    ck_assert_msg(strcmp(holder, "<null>") != 0, "the holder never started its revision");

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

    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "holder failed: %d", status);
    ck_assert_str_eq(history(), "r1:up:ok");
    ck_assert_int_eq(qi("SELECT count(*) FROM ultramigrate_version_history"
                        " WHERE application_name = 'engine-waiter'"),
                     0);
    ck_assert_str_eq(qv("SELECT application_name FROM ultramigrate_version_applied"
                        " WHERE revision = 'r1'"),
                     "engine-holder");
}
END_TEST

/* ------------------------------------------------------------------ */
/* 11. Progress callback                                                */
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
/* 12. History and status contents                                      */
/* ------------------------------------------------------------------ */

/* The JSON rendering @text, which this frees (um_free). */
static json_t *parse_json(char *text)
{
    json_t *j = pgtest_json_parse(text);
    um_free(text);
    return j;
}

START_TEST(history_and_status_contents)
{
    write_rev("r1", NULL, "SELECT pg_sleep(0.05);\nCREATE TABLE t1 (id int);", "DROP TABLE t1;");
    write_table_rev("r2", "r1", "t2");
    write_table_rev("r3", "r2", "t3");
    um_ctx *ctx = open_engine_app("engine-history");
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r2", NULL));

    char role[256], host[256] = "";
    snprintf(role, sizeof(role), "%s", qv("SELECT current_user"));
    gethostname(host, sizeof(host) - 1);

    um_history_list *h = NULL;
    PGTEST_CHECK_OK(ctx, um_history(&h, ctx, 0));
    ck_assert_uint_eq(um_history_count(h), 2);
    for (size_t i = 0; i < 2; i++) {
        const um_history_entry *e = um_history_at(h, i);
        ck_assert_str_eq(e->revision, pgtest_fmt("r%zu", i + 1));
        ck_assert_str_eq(e->direction, "up");
        ck_assert_str_eq(e->state, "ok");
        ck_assert_str_eq(e->applied_by, role);
        ck_assert_ptr_nonnull(e->host);
        ck_assert_str_ne(e->host, "");
        ck_assert_str_eq(e->host, host);
        ck_assert_str_eq(e->application_name, "engine-history");
        ck_assert_str_eq(e->tool_version, um_version());
        ck_assert(e->duration_ms >= 0);
        ck_assert_ptr_null(e->error);
        ck_assert_uint_ge(strlen(e->started_at), 20);
        ck_assert_int_eq(e->started_at[4], '-');
        ck_assert_int_eq(e->started_at[10], 'T');
    }
    ck_assert(um_history_at(h, 0)->id < um_history_at(h, 1)->id);
    ck_assert_ptr_null(um_history_at(h, 2));
    ck_assert_ptr_null(um_history_at(h, SIZE_MAX));
    ck_assert_msg(um_history_at(h, 0)->duration_ms >= 45, "r1 slept 50ms but took %.3f ms",
                  um_history_at(h, 0)->duration_ms);

    json_t *j = parse_json(um_history_to_json(h));
    json_t *arr = json_object_get(j, "history");
    ck_assert(json_is_array(arr));
    ck_assert_uint_eq(json_array_size(arr), 2);
    json_t *e0 = json_array_get(arr, 0);
    ck_assert_str_eq(jstr(e0, "revision"), "r1");
    ck_assert_str_eq(jstr(e0, "direction"), "up");
    ck_assert_str_eq(jstr(e0, "state"), "ok");
    ck_assert_str_eq(jstr(e0, "applied_by"), role);
    ck_assert_str_eq(jstr(e0, "tool_version"), um_version());
    ck_assert(json_is_number(json_object_get(e0, "duration_ms")));
    ck_assert(json_is_null(json_object_get(e0, "error")));
    json_decref(j);
    um_history_free(h);

    PGTEST_CHECK_OK(ctx, um_history(&h, ctx, 1));
    ck_assert_uint_eq(um_history_count(h), 1);
    ck_assert_str_eq(um_history_at(h, 0)->revision, "r2");
    um_history_free(h);

    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_applied_count(st), 2);
    ck_assert_uint_eq(um_status_pending_count(st), 1);
    ck_assert_str_eq(um_status_pending_at(st, 0)->id, "r3");
    ck_assert_uint_eq(um_status_current_head_count(st), 1);
    ck_assert_str_eq(um_status_current_head_at(st, 0), "r2");
    /* out of range: NULL, never a read past the end */
    ck_assert_ptr_null(um_status_current_head_at(st, 1));
    ck_assert_ptr_null(um_status_file_head_at(st, 1));
    ck_assert_ptr_null(um_status_applied_at(st, 2));
    ck_assert_ptr_null(um_status_pending_at(st, 1));
    ck_assert_ptr_null(um_status_pending_at(st, SIZE_MAX));
    for (size_t i = 0; i < 2; i++) {
        const um_applied *a = um_status_applied_at(st, i);
        const um_revision *rev = NULL;
        PGTEST_CHECK_OK(ctx, um_revision_lookup(&rev, ctx, pgtest_fmt("r%zu", i + 1)));
        ck_assert_str_eq(a->revision, rev->id);
        ck_assert_ptr_nonnull(a->message);
        ck_assert_str_eq(a->message, pgtest_fmt("Create r%zu", i + 1));
        ck_assert_str_eq(a->checksum, rev->checksum);
        ck_assert_str_eq(a->applied_by, role);
        ck_assert_str_eq(a->host, host);
        ck_assert_str_eq(a->application_name, "engine-history");
        ck_assert_str_eq(a->tool_version, um_version());
        ck_assert_str_eq(a->state, "applied");
        ck_assert_int_eq(a->known, 1);
        ck_assert_int_eq(a->checksum_ok, 1);
        ck_assert(a->duration_ms >= 0);
        ck_assert_uint_ge(strlen(a->applied_at), 20);
    }
    ck_assert_msg(um_status_applied_at(st, 0)->duration_ms >= 45, "r1 took %.3f ms",
                  um_status_applied_at(st, 0)->duration_ms);

    j = parse_json(um_status_to_json(st));
    ck_assert(json_is_false(json_object_get(j, "up_to_date")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "pending_count")), 1);
    json_t *heads = json_object_get(j, "current_heads");
    ck_assert_uint_eq(json_array_size(heads), 1);
    ck_assert_str_eq(json_string_value(json_array_get(heads, 0)), "r2");
    arr = json_object_get(j, "applied");
    ck_assert_uint_eq(json_array_size(arr), 2);
    json_t *a0 = json_array_get(arr, 0);
    ck_assert_str_eq(jstr(a0, "revision"), "r1");
    ck_assert_str_eq(jstr(a0, "state"), "applied");
    ck_assert_str_eq(jstr(a0, "applied_by"), role);
    ck_assert(json_is_true(json_object_get(a0, "checksum_ok")));
    ck_assert_uint_eq(strlen(jstr(a0, "checksum")), 64);
    arr = json_object_get(j, "pending");
    ck_assert_uint_eq(json_array_size(arr), 1);
    ck_assert_str_eq(jstr(json_array_get(arr, 0), "revision"), "r3");
    json_decref(j);
    um_status_free(st);

    const um_revision *r2 = NULL;
    PGTEST_CHECK_OK(ctx, um_revision_lookup(&r2, ctx, "r2"));
    j = parse_json(um_revision_to_json(r2));
    ck_assert_str_eq(jstr(j, "revision"), "r2");
    ck_assert_str_eq(jstr(j, "path"), rev_path("r2"));
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "parents"), 0)), "r1");
    json_decref(j);

    um_close(ctx);
}
END_TEST

/*
 * A rendering is whole or nothing: a revision whose file name is not UTF-8
 * cannot be put in JSON, so a status that lists it renders as NULL, not as
 * a document that silently leaves it out.
 */
START_TEST(json_whole_or_nothing)
{
    write_table_rev("r1", NULL, "t1");
    write_table_rev("r2", "r1", "t2");
    const char *bad = pgtest_fmt("%s/migrations/versions/r2_\xff.sql", proj_dir);
    ck_assert_int_eq(rename(rev_path("r2"), bad), 0);
    um_ctx *ctx = open_engine();

    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_pending_count(st), 2);
    ck_assert_str_eq(um_status_pending_at(st, 1)->path, bad);
    ck_assert_ptr_null(um_status_to_json(st));
    ck_assert_ptr_null(um_revision_to_json(um_status_pending_at(st, 1)));
    json_decref(parse_json(um_revision_to_json(um_status_pending_at(st, 0))));
    um_status_free(st);
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 13. Custom version table                                             */
/* ------------------------------------------------------------------ */

START_TEST(custom_version_table)
{
    write_ini("version_table = Ver\nversion_table_schema = migr ation\n");
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));

    ASSERT_TABLE("\"migr ation\".\"Ver\"");
    ASSERT_TABLE("\"migr ation\".\"Ver_applied\"");
    ASSERT_TABLE("\"migr ation\".\"Ver_history\"");
    ASSERT_NO_TABLE("\"migr ation\".ver");
    ASSERT_NO_TABLE("public.ultramigrate_version");
    ASSERT_NO_TABLE("public.\"Ver\"");
    ck_assert_str_eq(versions_in("\"migr ation\".\"Ver\""), "r3");
    ck_assert_str_eq(history_in("\"migr ation\".\"Ver_history\""), "r1:up:ok,r2:up:ok,r3:up:ok");
    ck_assert_int_eq(qi("SELECT count(*) FROM \"migr ation\".\"Ver_applied\""), 3);
    ASSERT_TABLE("t3");

    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_applied_count(st), 3);
    ck_assert_uint_eq(um_status_pending_count(st), 0);
    um_status_free(st);

    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "r1", NULL));
    ck_assert_str_eq(versions_in("\"migr ation\".\"Ver\""), "r1");
    ASSERT_NO_TABLE("t2");
    um_close(ctx);

    /* a second project with the default table in the same database is independent */
    write_ini(NULL);
    ctx = open_engine();
    um_status_info *st2 = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st2, ctx));
    ck_assert_uint_eq(um_status_applied_count(st2), 0);
    ck_assert_uint_eq(um_status_current_head_count(st2), 0);
    um_status_free(st2);
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc;

    tc = tcase(s, "linear");
    tcase_add_test(tc, linear_upgrade_heads);
    tcase_add_test(tc, linear_relative_and_base);
    tcase_add_test(tc, linear_unique_prefix);
    tcase_add_test(tc, linear_plan_then_apply);
    tcase_add_test(tc, linear_plan_overtaken);
    tcase_add_test(tc, linear_read_only_calls);
    tcase_add_test(tc, unknown_head_in_database);

    tc = tcase(s, "branches");
    tcase_add_test(tc, branch_partial_then_heads);
    tcase_add_test(tc, branch_downgrade_to_branch_point);
    tcase_add_test(tc, branch_downgrade_newest_first);
    tcase_add_test(tc, branch_minus_from_merge);
    tcase_add_test(tc, branch_two_heads);

    tc = tcase(s, "depends");
    tcase_add_test(tc, depends_pulls_in_dependency);
    tcase_add_test(tc, depends_only_when_needed);
    tcase_add_test(tc, depends_downgrade_takes_dependents);

    tc = tcase(s, "failure");
    tcase_add_test(tc, fail_midway_per_migration);
    tcase_add_test(tc, fail_without_position);
    tcase_add_test(tc, fail_without_position_with_timeouts);
    tcase_add_test(tc, fail_position_after_multibyte);
    tcase_add_test(tc, fail_single_transaction);
    tcase_add_test(tc, single_transaction_success);
    tcase_add_test(tc, fail_in_down_section);
    tcase_add_test(tc, fail_syntax_error);
    tcase_add_test(tc, fail_transaction_left_open);
    tcase_add_test(tc, fail_inside_own_transaction);
    tcase_add_test(tc, failed_open_handle_explains);
    tcase_add_test(tc, utf8_whatever_the_client_encoding);
    tcase_add_test(tc, password_pieces_never_shown);

    tc = tcase(s, "timeouts");
    tcase_add_test(tc, statement_timeout_applies);
    tcase_add_test(tc, statement_timeout_applies_nontx);
    tcase_add_test(tc, lock_timeout_fails_revision);
    tcase_add_test(tc, lock_retries_retry_revision);

    tc = tcase(s, "irreversible");
    tcase_add_test(tc, irreversible_stops_before_running);

    tc = tcase(s, "nontransactional");
    tcase_add_test(tc, nontx_concurrent_index);
    tcase_add_test(tc, nontx_failure);
    tcase_add_test(tc, nontx_syntax_error);
    tcase_add_test(tc, nontx_rejected_in_single_transaction);

    tc = tcase(s, "stamp");
    tcase_add_test(tc, stamp_heads_and_base);
    tcase_add_test(tc, stamp_middle_then_upgrade);

    tc = tcase(s, "checksum");
    tcase_add_test(tc, checksum_changed_file);
    tcase_add_test(tc, checksum_ignores_down_section);

    tc = tcase(s, "concurrency");
    tcase_add_test(tc, concurrent_two);
    tcase_add_test(tc, concurrent_four);

    tc = tcase(s, "lock");
    tcase_add_test(tc, lock_wait_timeout);

    tc = tcase(s, "progress");
    tcase_add_test(tc, progress_reports_each_step);
    tcase_add_test(tc, progress_cancel_at_start);
    tcase_add_test(tc, progress_cancel_at_done);
    tcase_add_test(tc, lock_released_after_errors);

    tc = tcase(s, "history");
    tcase_add_test(tc, history_and_status_contents);
    tcase_add_test(tc, json_whole_or_nothing);

    tc = tcase(s, "version_table");
    tcase_add_test(tc, custom_version_table);

    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(engine_suite());
}
