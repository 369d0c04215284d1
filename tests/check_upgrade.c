/*
 * check_upgrade.c - moving a database between revisions with the public
 * API, against a real PostgreSQL: linear upgrades and downgrades (heads,
 * base, relative and prefix targets), plans made and then applied, plans
 * overtaken by another run, branches and merges, Depends On, and stamp.
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
/* 1. Linear round trips                                              */
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

    /* b takes the database below a's target: the plan no longer applies
     * (UM_ESTALE, as any other change, not UM_ETARGET) */
    PGTEST_CHECK_OK(a, um_plan_create(&plan, a, UM_DOWN, "r2"));
    PGTEST_CHECK_OK(b, um_rollback(b, "base", NULL));
    PGTEST_CHECK_RC(a, um_apply(a, plan, NULL), UM_ESTALE);
    ck_assert_msg(strstr(um_errmsg(a), "plan again"), "%s", um_errmsg(a));
    um_plan_free(plan);

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
/* 2. Branches and merges                                             */
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
    /* Alembic's order (tests/alembic/alembic_steps.py): down from dd,
     * then the merge's parents in the order its Revises: names them */
    ck_assert_str_eq(qv("SELECT string_agg(revision, ',' ORDER BY id)"
                        " FROM ultramigrate_version_history WHERE direction = 'down'"),
                     "dd,mm,bb,cc");
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
/* 3. Depends On                                                      */
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
/* 4. Stamp                                                           */
/* ------------------------------------------------------------------ */

START_TEST(stamp_heads_and_base)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    /* an unknown target: refused before anything is made */
    PGTEST_CHECK_RC(ctx, um_stamp(ctx, "zzzz"), UM_ETARGET);
    ck_assert(!table_exists("ultramigrate_version_history"));
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
/* 5. Connecting early, the state asked for at once                    */
/* ------------------------------------------------------------------ */

static pgtest_log early_log;

/* The debug lines of pg.c that say the early state was asked for (at the
 * end of um_open) and taken (by the first statement of the same text). */
#define ASKED "asked for the migration state"
#define TAKEN "reading the migration state asked for while connecting"

static um_ctx *open_early(int mode)
{
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    o.config_path = proj.ini;
    o.database_url = db_url;
    o.connect_early = mode;
    o.log_cb = pgtest_log_line;
    o.log_payload = &early_log;
    o.log_level = UM_LOG_DEBUG;
    early_log.text[0] = '\0';
    um_ctx *ctx = NULL;
    int rc = um_open(&ctx, &o);
    ck_assert_msg(rc == UM_OK, "um_open: %s", um_errmsg(ctx));
    return ctx;
}

static void assert_status(um_ctx *ctx, size_t applied, size_t pending, const char *head)
{
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_applied_count(st), applied);
    ck_assert_uint_eq(um_status_pending_count(st), pending);
    if (head)
        ck_assert_str_eq(um_status_current_head_at(st, 0), head);
    else
        ck_assert_uint_eq(um_status_current_head_count(st), 0);
    for (size_t i = 0; i < applied; i++) {
        const um_applied *a = um_status_applied_at(st, i);
        ck_assert_str_eq(a->revision, pgtest_fmt("r%zu", i + 1));
        ck_assert_int_eq(a->checksum_ok, 1);
        ck_assert_msg(strlen(a->applied_at) == 27 && a->applied_at[26] == 'Z', "applied_at %s",
                      a->applied_at);
        ck_assert_str_eq(a->applied_at, qv("SELECT to_char(applied_at AT TIME ZONE 'UTC',"
                                           " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
                                           " FROM ultramigrate_version_applied"
                                           " WHERE revision = 'r%zu'",
                                           i + 1));
    }
    um_status_free(st);
}

/*
 * A SET (not LOCAL) or RESET in a revision does not reach the revisions
 * after it: each starts from the session the run started with, whether it
 * runs in the same run or in another.  A client_encoding of LATIN1 stored
 * the next revision's UTF-8 text garbled; a search_path put the next
 * revision's tables elsewhere; a Transactional: no revision's too.
 */
START_TEST(session_settings_do_not_outlive_a_revision)
{
    write_rev("r1", NULL,
              "CREATE SCHEMA audit;\nSET search_path = audit, public;\nCREATE TABLE a1 (id int);",
              "DROP TABLE audit.a1;\nDROP SCHEMA audit;");
    write_rev("r2", "r1",
              "SET client_encoding = 'LATIN1';\nSET ROLE NONE;\nRESET work_mem;\n"
              "SET transaction_read_only = off;",
              "");
    write_rev("r3", "r2", "CREATE TABLE t3 (v text);\nINSERT INTO t3 VALUES ('caf\xc3\xa9');",
              "DROP TABLE t3;");
    write_rev_full("r4", "r3", 0, "SET search_path = audit;\nCREATE TABLE a4 (id int);",
                   "DROP TABLE audit.a4;");
    write_rev("r5", "r4", "CREATE TABLE t5 (id int);", "DROP TABLE t5;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_str_eq(
        qv("SELECT string_agg(c.oid::regclass::text, ',' ORDER BY relname) FROM pg_class c"
           " WHERE relname IN ('a1', 't3', 'a4', 't5')"),
        "audit.a1,audit.a4,t3,t5");
    ck_assert_str_eq(qv("SELECT v || length(v) FROM t3"), "caf\xc3\xa9"
                                                          "4");
    /* and down: the revisions' own settings, none left to the next */
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "base", NULL));
    ck_assert_str_eq(qv("SELECT count(*) FROM pg_namespace WHERE nspname = 'audit'"), "0");
    um_close(ctx);
}
END_TEST

/*
 * A 'Transactional: no' revision's settings are put back in a statement
 * of their own, after it; when that fails (here the value the run started
 * with names the text search configuration the revision dropped), the
 * revision is applied but the session is not the one the run started
 * with: the run stops before the next revision instead of running it in
 * the changed session, and says so.
 */
START_TEST(session_settings_not_put_back_stop_the_run)
{
    sql("CREATE TEXT SEARCH CONFIGURATION mine (COPY = english)");
    sql("DO $$BEGIN EXECUTE format('ALTER DATABASE %%I SET default_text_search_config = %%L',"
        " current_database(), 'public.mine'); END$$");
    write_rev_full("r1", NULL, 0,
                   "SET default_text_search_config = 'english';\n"
                   "DROP TEXT SEARCH CONFIGURATION mine;",
                   "CREATE TEXT SEARCH CONFIGURATION mine (COPY = english);");
    write_rev("r2", "r1",
              "CREATE TABLE t2 AS SELECT current_setting('default_text_search_config');",
              "DROP TABLE t2;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_msg(strstr(um_errmsg(ctx), "revision r1 was applied") &&
                      strstr(um_errmsg(ctx), "could not be put back") &&
                      strstr(um_errmsg(ctx), "default_text_search_config"),
                  "%s", um_errmsg(ctx));
    ck_assert_str_eq(versions(), "r1");
    ASSERT_NO_TABLE("t2");
    um_close(ctx);
}
END_TEST

/*
 * A revision that sets a superuser's setting, then becomes a role that
 * may not reset it: the session's identity is put back first, so that
 * the rest can be (reset as the role, log_statement was refused and the
 * revision failed).
 */
START_TEST(session_role_put_back_first)
{
    sql("DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'um_test_low')"
        " THEN CREATE ROLE um_test_low; END IF; END$$");
    write_rev("r1", NULL, "SET log_statement = 'all';\nSET ROLE um_test_low;\nSELECT 1;", "");
    write_rev_full("r2", "r1", 0, "SET log_statement = 'ddl';\nSET ROLE um_test_low;\nSELECT 1;",
                   "");
    write_rev("r3", "r2", "CREATE TABLE t3 AS SELECT current_user AS who;", "DROP TABLE t3;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_str_eq(qv("SELECT who FROM t3"), qv("SELECT current_user"));
    um_close(ctx);
}
END_TEST

/*
 * Version rows naming a revision and its descendant (Alembic's own stamp
 * can leave them): refused before anything runs, as Alembic refuses them
 * ("overlaps"), naming the ancestor; stamp --purge sets the state anew.
 */
START_TEST(overlapping_version_rows_refused)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r1", NULL));
    sql("INSERT INTO ultramigrate_version VALUES ('r2')");
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESTATE);
    ck_assert_str_eq(um_error_detail(ctx)->revision, "r1");
    ck_assert_msg(strstr(um_errmsg(ctx), "overlaps"), "%s", um_errmsg(ctx));
    PGTEST_CHECK_RC(ctx, um_rollback(ctx, "base", NULL), UM_ESTATE);
    ck_assert(!table_exists("t2"));
    const char *const revs[] = { "r2" };
    um_stamp_options so = UM_STAMP_OPTIONS_INIT;
    so.revisions = revs;
    so.n_revisions = 1;
    so.purge = 1;
    PGTEST_CHECK_OK(ctx, um_stamp_v2(ctx, &so));
    ck_assert_str_eq(versions(), "r2");
    um_close(ctx);
}
END_TEST

/* The state's query sent while the files are read: its answer is the
 * status's, on a database never migrated (an error the status reads as
 * "nothing applied") as on one migrated. */
START_TEST(early_state_taken_by_status)
{
    write_linear(3);
    um_ctx *ctx = open_early(UM_CONNECT_EARLY_STATE);
    ck_assert_msg(strstr(early_log.text, ASKED), "log: %s", early_log.text);
    assert_status(ctx, 0, 3, NULL);
    ck_assert_msg(strstr(early_log.text, TAKEN), "log: %s", early_log.text);
    um_close(ctx);

    ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r2", NULL));
    um_close(ctx);
    ctx = open_early(UM_CONNECT_EARLY_STATE);
    assert_status(ctx, 2, 1, "r2");
    assert_status(ctx, 2, 1, "r2"); /* asked again: a query of its own */
    um_close(ctx);
}
END_TEST

/* Another call first: the early answer is read and dropped, and what
 * follows sees the database as that call left it. */
START_TEST(early_state_dropped_by_another_call)
{
    write_linear(3);
    um_ctx *ctx = open_early(UM_CONNECT_EARLY_STATE);
    ck_assert_msg(strstr(early_log.text, ASKED), "log: %s", early_log.text);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_msg(!strstr(early_log.text, TAKEN), "log: %s", early_log.text);
    assert_status(ctx, 3, 0, "r3");
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "r1", NULL));
    assert_status(ctx, 1, 2, "r1");
    um_close(ctx);

    /* opened and closed without a call: nothing left behind */
    um_close(open_early(UM_CONNECT_EARLY_STATE));
    ctx = open_early(UM_CONNECT_EARLY);
    assert_status(ctx, 1, 2, "r1");
    ck_assert_msg(!strstr(early_log.text, ASKED), "log: %s", early_log.text);
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *upgrade_suite(void)
{
    Suite *s = suite_create("upgrade");

    PGTEST_ADD_TESTS(tcase(s, "linear"), linear_upgrade_heads, linear_relative_and_base,
                     linear_unique_prefix, linear_plan_then_apply, linear_plan_overtaken,
                     linear_read_only_calls, unknown_head_in_database);

    PGTEST_ADD_TESTS(tcase(s, "branches"), branch_partial_then_heads,
                     branch_downgrade_to_branch_point, branch_downgrade_newest_first,
                     branch_minus_from_merge, branch_two_heads);

    PGTEST_ADD_TESTS(tcase(s, "depends"), depends_pulls_in_dependency, depends_only_when_needed,
                     depends_downgrade_takes_dependents);

    PGTEST_ADD_TESTS(tcase(s, "stamp"), stamp_heads_and_base, stamp_middle_then_upgrade,
                     overlapping_version_rows_refused);

    PGTEST_ADD_TESTS(tcase(s, "settings"), session_settings_do_not_outlive_a_revision,
                     session_settings_not_put_back_stop_the_run, session_role_put_back_first);

    PGTEST_ADD_TESTS(tcase(s, "early"), early_state_taken_by_status,
                     early_state_dropped_by_another_call);

    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(upgrade_suite());
}
