/*
 * check_alembic.c - the revision graph behaves as Alembic's does, on a real
 * PostgreSQL: which revisions a downgrade removes when revisions of other
 * branches depend on each other, an upgrade to a revision already applied,
 * and "base+N".
 *
 * The expected sets were computed by Alembic 1.8.1 itself
 * (alembic.script.revision.RevisionMap._collect_downgrade_revisions) on the
 * same graphs; each scenario is one the issue tracker saw differ.
 */
#define PGTEST_SHORT_NAMES
#include "pgtest.h"

#include <check.h>
#include <string.h>

/* One revision: its id, its parent (NULL: a base) and Depends On. */
typedef struct rev {
    const char *id;
    const char *parent;
    const char *depends;
} rev;

/* Downgrading from the heads to @target removes exactly @removed. */
typedef struct expect {
    const char *target;
    const char *removed; /* ids, sorted, comma separated */
} expect;

#define MAX_REVS    16
#define MAX_EXPECTS 16

typedef struct scenario {
    const char *name;
    rev revs[MAX_REVS];
    expect expects[MAX_EXPECTS];
} scenario;

static const scenario scenarios[] = {
    {
        /* b2 (of another branch) depends on a1: it stays when a1 does */
        .name = "dependant_on_another_branch",
        .revs = { { "a1", NULL, NULL },
                  { "a2", "a1", NULL },
                  { "b1", NULL, NULL },
                  { "b2", "b1", "a1" } },
        .expects = { { "a1", "a2" }, { "a2", "" }, { "b1", "b2" }, { "b2", "" } },
    },
    {
        /* dependencies crossing between two branches in both directions */
        .name = "criss_cross",
        .revs = { { "a1", NULL, NULL },
                  { "a2", "a1", "b1" },
                  { "a3", "a2", NULL },
                  { "b1", NULL, NULL },
                  { "b2", "b1", "a1" },
                  { "b3", "b2", "a2" } },
        .expects = { { "a1", "a2,a3,b3" },
                     { "a2", "a3" },
                     { "a3", "" },
                     { "b1", "b2,b3" },
                     { "b2", "b3" },
                     { "b3", "" } },
    },
    {
        /* a base depending on three revisions of other bases */
        .name = "base_with_three_dependencies",
        .revs = { { "p1", NULL, NULL },
                  { "p2", "p1", NULL },
                  { "q1", NULL, NULL },
                  { "q2", "q1", NULL },
                  { "r1", NULL, NULL },
                  { "z1", NULL, "p2, q2, r1" },
                  { "z2", "z1", NULL } },
        .expects = { { "p1", "p2,z1,z2" },
                     { "p2", "" },
                     { "q1", "q2,z1,z2" },
                     { "r1", "" },
                     { "z1", "z2" } },
    },
    {
        /* a second base whose chain depends on the first base */
        .name = "second_base_on_first",
        .revs = { { "f1", NULL, NULL },
                  { "f2", "f1", NULL },
                  { "f3", "f2", NULL },
                  { "f4", "f3", NULL },
                  { "s1", NULL, "f1" },
                  { "s2", "s1", NULL },
                  { "s3", "s2", NULL },
                  { "s4", "s3", NULL },
                  { "s5", "s4", NULL },
                  { "s6", "s5", NULL },
                  { "s7", "s6", NULL } },
        .expects = { { "f1", "f2,f3,f4" },
                     { "f3", "f4" },
                     { "s1", "s2,s3,s4,s5,s6,s7" },
                     { "s6", "s7" } },
    },
};

static void write_scenario(const scenario *sc)
{
    for (const rev *r = sc->revs; r < sc->revs + MAX_REVS && r->id; r++)
        pgtest_write_revision(proj_dir, r->id, r->parent, r->depends, 1,
                              pgtest_fmt("CREATE TABLE t_%s (id int);", r->id),
                              pgtest_fmt("DROP TABLE t_%s;", r->id));
}

static long newest_history_id(void)
{
    return pgtest_query_long(db_url,
                             "SELECT coalesce(max(id), 0) FROM ultramigrate_version_history");
}

/* The revisions taken down since history entry @since, sorted. */
static const char *removed_since(long since)
{
    return pgtest_query_text(db_url,
                             "SELECT coalesce(string_agg(revision, ',' ORDER BY revision), '')"
                             " FROM ultramigrate_version_history"
                             " WHERE id > %ld AND direction = 'down' AND state = 'ok'",
                             since);
}

START_TEST(downgrade_removes_what_alembic_removes)
{
    const scenario *sc = &scenarios[_i];
    write_scenario(sc);
    um_ctx *ctx = open_engine();
    for (const expect *e = sc->expects; e < sc->expects + MAX_EXPECTS && e->target; e++) {
        PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
        long since = newest_history_id();
        PGTEST_CHECK_OK(ctx, um_rollback(ctx, e->target, NULL));
        const char *got = removed_since(since);
        ck_assert_msg(strcmp(got, e->removed) == 0,
                      "%s: downgrade to %s removed [%s], Alembic removes [%s]", sc->name, e->target,
                      got, e->removed);
        ck_assert_int_eq(pgtest_table_exists(db_url, pgtest_fmt("t_%s", e->target)), 1);
    }
    um_close(ctx);
}
END_TEST

/* Collects log lines at INFO and above, "|"-separated. */
static void collect_log(um_log_level level, const char *msg, void *payload)
{
    char *buf = payload;
    if (level <= UM_LOG_INFO && strlen(buf) + strlen(msg) + 2 < 4096) {
        strcat(buf, msg);
        strcat(buf, "|");
    }
}

/* A deploy that pins a revision runs "upgrade REV" again after later
 * revisions landed: nothing to do, as in Alembic, with a notice. */
START_TEST(upgrade_to_applied_ancestor_is_a_no_op)
{
    pgtest_write_linear_revisions(proj_dir, 3);
    char log[4096] = "";
    um_ctx *ctx = pgtest_project_open(&proj, collect_log, log);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    long since = newest_history_id();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r1", NULL));
    ck_assert_int_eq(newest_history_id(), since);
    ck_assert_str_eq(pgtest_query_text(db_url, "SELECT string_agg(version_num, ',')"
                                               " FROM ultramigrate_version"),
                     "r3");
    ck_assert_msg(strstr(log, "revision r1 is already applied") != NULL, "log: %s", log);

    um_plan *plan = NULL;
    PGTEST_CHECK_OK(ctx, um_plan_create(&plan, ctx, UM_UP, "r2"));
    ck_assert_uint_eq(um_plan_step_count(plan), 0);
    um_plan_free(plan);
    um_close(ctx);
}
END_TEST

/* Alembic's "downgrade base+2": keep the first two revisions. */
START_TEST(downgrade_to_base_plus_n)
{
    pgtest_write_linear_revisions(proj_dir, 4);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    long since = newest_history_id();
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "base+2", NULL));
    ck_assert_str_eq(removed_since(since), "r3,r4");
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "base+3", NULL));
    ck_assert_str_eq(pgtest_query_text(db_url, "SELECT string_agg(version_num, ',')"
                                               " FROM ultramigrate_version"),
                     "r3");
    PGTEST_CHECK_RC(ctx, um_rollback(ctx, "base-1", NULL), UM_ETARGET);
    um_close(ctx);
}
END_TEST

static Suite *alembic_suite(void)
{
    Suite *s = suite_create("alembic");
    TCase *tc = tcase(s, "downgrade");
    tcase_add_loop_test(tc, downgrade_removes_what_alembic_removes, 0,
                        (int)(sizeof(scenarios) / sizeof(scenarios[0])));
    PGTEST_ADD_TESTS(tcase(s, "targets"), upgrade_to_applied_ancestor_is_a_no_op,
                     downgrade_to_base_plus_n);
    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(alembic_suite());
}
