/*
 * check_stress.c - the engine under races, kills and server faults, through
 * the CLI as operators run it, against a real PostgreSQL:
 *
 *   - 16 processes racing `upgrade heads` on an empty database, round after
 *     round; racers mixing upgrade, downgrade and upgrade REV;
 *   - SIGKILL at random moments of an upgrade of 200 revisions, with a
 *     transaction per revision and with one transaction for the run, and
 *     in a chain where every tenth revision is `Transactional: no` (its
 *     statements committed one by one): a kill inside one leaves it
 *     half-done, the next run refuses, and `repair` records it finished;
 *   - pg_terminate_backend() and a server restart in the middle of a run.
 *
 * After every fault the database must be consistent: a revision is in the
 * applied table exactly when its table exists, the version table holds the
 * newest applied revision, no revision ran twice, `status` and `health`
 * agree, and a rerun completes.
 *
 * The random moments come from a seed printed on failure; set
 * UM_STRESS_SEED to replay one.  UM_STRESS_ROUNDS scales the rounds (for a
 * longer run by hand); the defaults keep the suite within a minute.
 */
#define PGTEST_SHORT_NAMES
#include "pgtest.h"

#include <ultramigrate/ultramigrate.h>

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned int seed;

/* The database the test works on: the fixture's, or a dedicated cluster's
 * (server_restart). */
static const char *target;
#define TARGET (target ? target : db_url)

static int rounds(int dflt)
{
    const char *s = getenv("UM_STRESS_ROUNDS");
    int n = s ? atoi(s) : 0;
    return n > 0 ? n : dflt;
}

/* A number in [0, n) from the suite's seeded generator. */
static int pick(int n)
{
    return (int)(rand_r(&seed) % (unsigned)n);
}

/* ------------------------------------------------------------------ */
/* Running the CLI in the background                                    */
/* ------------------------------------------------------------------ */

/*
 * Starts the CLI with @argv in the project directory against the test
 * database, its output in @dir/<@tag>.out and .err.  Returns the pid.
 */
static pid_t spawn(const char *tag, const char *const argv[])
{
    const char *cli = pgtest_env("UM_CLI");
    const char *out = pgtest_fmt("%s/%s.out", proj_dir, tag);
    const char *err = pgtest_fmt("%s/%s.err", proj_dir, tag);
    size_t n = 0;
    while (argv[n])
        n++;
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        pgtest_child_env(proj_dir, TARGET);
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || fe < 0)
            _exit(126);
        dup2(fo, STDOUT_FILENO);
        dup2(fe, STDERR_FILENO);
        char **args = calloc(n + 2, sizeof(*args));
        if (!args)
            _exit(126);
        args[0] = (char *)cli;
        for (size_t i = 0; i < n; i++)
            args[i + 1] = (char *)argv[i];
        execv(cli, args);
        _exit(127);
    }
    return pid;
}

/* What racer @tag wrote on stderr, pooled. */
static const char *stderr_of(const char *tag)
{
    char *text = pgtest_read_file(pgtest_fmt("%s/%s.err", proj_dir, tag), NULL);
    return text ? pgtest_keep(text) : "";
}

/* Sleeps @ms milliseconds. */
static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* ------------------------------------------------------------------ */
/* Consistency                                                          */
/* ------------------------------------------------------------------ */

/*
 * The revisions r1..r@n (r<i> creates t<i>) whose applied row and table
 * disagree: "r3(row,no table)", comma separated; "" when none.
 */
static const char *row_table_mismatches(int n)
{
    /* Killed before it created the bookkeeping tables: nothing may exist. */
    if (!pgtest_table_exists(TARGET, "ultramigrate_version_applied"))
        return pgtest_query_text(TARGET,
                                 "SELECT coalesce(string_agg('t' || i || '(table,no bookkeeping)',"
                                 " ','), '') FROM generate_series(1, %d) i"
                                 " WHERE to_regclass('t' || i) IS NOT NULL",
                                 n);
    return pgtest_query_text(
        TARGET,
        "SELECT coalesce(string_agg('r' || i || CASE WHEN a.revision IS NULL"
        " THEN '(table,no row)' ELSE '(row,no table)' END, ',' ORDER BY i), '')"
        " FROM generate_series(1, %d) i"
        " LEFT JOIN ultramigrate_version_applied a"
        "   ON a.revision = 'r' || i AND a.state = 'applied'"
        " WHERE (a.revision IS NULL) <> (to_regclass('t' || i) IS NULL)",
        n);
}

/* The newest applied revision of the linear chain ("" when none). */
static const char *newest_applied(void)
{
    return pgtest_query_text(TARGET, "SELECT coalesce(max(substr(revision, 2)::int)::text, '')"
                                     " FROM ultramigrate_version_applied WHERE state = 'applied'");
}

/*
 * Whether some revision ran twice in a row without a down between, or went
 * down without being up: the history of each revision must alternate
 * up, down, up... ("" when it does).
 */
static const char *history_breaks(void)
{
    return pgtest_query_text(
        TARGET, "SELECT coalesce(string_agg(DISTINCT revision, ','), '') FROM ("
                "  SELECT revision, direction,"
                "         lag(direction) OVER (PARTITION BY revision ORDER BY id) AS before"
                "  FROM (SELECT id, revision, state,"
                /* the tests repair only with --applied: the revision is then up */
                "        CASE direction WHEN 'repair' THEN 'up' ELSE direction END AS direction"
                "        FROM ultramigrate_version_history) e WHERE state = 'ok'"
                "    AND direction IN ('up', 'down')) h"
                " WHERE direction = before OR (before IS NULL AND direction = 'down')");
}

/* Status and health of the database through the API: their pending counts
 * and heads must agree with each other and with the tables. */
static void assert_status_health_agree(void)
{
    um_ctx *ctx = pgtest_project_open_with(&proj, TARGET, NULL, NULL, NULL);
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    um_health h = pgtest_snapshot(ctx);
    ck_assert_msg(h.pending == um_status_pending_count(st),
                  "health says %zu pending, status %zu (seed %u)", h.pending,
                  um_status_pending_count(st), seed);
    size_t heads = um_status_current_head_count(st);
    ck_assert_uint_eq(h.n_current_heads, heads);
    if (heads)
        ck_assert_str_eq(h.current_heads[0], um_status_current_head_at(st, 0));
    um_status_free(st);
    um_close(ctx);
}

/* Every invariant of a linear chain of @n revisions after a fault. */
static void assert_consistent(int n, const char *after)
{
    /* a fault before the bookkeeping tables were made: nothing ran */
    if (!strcmp(pgtest_query_text(TARGET, "SELECT to_regclass('ultramigrate_version_applied')"
                                          " IS NULL"),
                "t")) {
        ck_assert_msg(!pgtest_table_exists(TARGET, "t1"), "after %s: t1 without bookkeeping",
                      after);
        assert_status_health_agree();
        return;
    }
    const char *bad = row_table_mismatches(n);
    ck_assert_msg(!*bad, "after %s (seed %u): applied rows and tables disagree: %s", after, seed,
                  bad);
    /* The bookkeeping tables are created in one transaction: neither, or
     * all three. */
    if (!pgtest_table_exists(TARGET, "ultramigrate_version_applied")) {
        ck_assert_msg(!pgtest_table_exists(TARGET, "ultramigrate_version"),
                      "after %s (seed %u): a version table without an applied table", after, seed);
        return;
    }
    const char *newest = newest_applied();
    const char *version = pgtest_versions(TARGET);
    if (*newest)
        ck_assert_str_eq(version, pgtest_fmt("r%s", newest));
    else
        ck_assert_msg(!*version || !strcmp(version, "<null>"), "at base, version rows '%s'",
                      version);
    const char *twice = history_breaks();
    ck_assert_msg(!*twice, "after %s (seed %u): ran twice or down without up: %s", after, seed,
                  twice);
    /* this database's: other suites' runs may hold theirs meanwhile */
    ck_assert_str_eq(pgtest_query_text(TARGET, "SELECT count(*) FROM pg_locks l JOIN pg_database d"
                                               " ON d.oid = l.database WHERE l.locktype ="
                                               " 'advisory' AND d.datname = current_database()"),
                     "0");
    assert_status_health_agree();
}

/* Runs `upgrade heads` to completion and checks it applied everything. */
static void rerun_completes(int n, const char *after)
{
    const char *argv[] = { "upgrade", "heads", NULL };
    pgtest_cli_result r = pgtest_run_cli(proj_dir, TARGET, argv);
    ck_assert_msg(r.status == 0, "rerun after %s (seed %u): exit %d\n%s", after, seed, r.status,
                  r.err);
    pgtest_cli_result_free(&r);
    ck_assert_str_eq(newest_applied(), pgtest_fmt("%d", n));
    assert_consistent(n, after);
}

/* ------------------------------------------------------------------ */
/* 1. Racers                                                            */
/* ------------------------------------------------------------------ */

#define RACERS 16
#define CHAIN  12

/* Starts the racers with the commands @commands[i % n], waits for them
 * all; asserts each exited 0. */
static void race(const char *const *const commands[], size_t n_commands, int round)
{
    pid_t pids[RACERS];
    for (int i = 0; i < RACERS; i++)
        pids[i] = spawn(pgtest_fmt("racer%d", i), commands[(size_t)i % n_commands]);
    for (int i = 0; i < RACERS; i++) {
        int status = pgtest_wait_child(pids[i]);
        const char *tag = pgtest_fmt("racer%d", i);
        ck_assert_msg(status == 0, "round %d: racer %d (%s) exit %d:\n%s", round, i,
                      commands[(size_t)i % n_commands][0], status, stderr_of(tag));
    }
}

START_TEST(racing_upgrades)
{
    write_ini_lock("60s", NULL);
    pgtest_write_linear_revisions(proj_dir, CHAIN);
    static const char *const up[] = { "upgrade", "heads", NULL };
    static const char *const down[] = { "downgrade", "base", NULL };
    const char *const *const commands[] = { up };
    int n_rounds = rounds(20);
    for (int round = 0; round < n_rounds; round++) {
        race(commands, 1, round);
        assert_consistent(CHAIN, "racing upgrades");
        ck_assert_str_eq(newest_applied(), pgtest_fmt("%d", CHAIN));
        pgtest_cli_result r = pgtest_run_cli(proj_dir, TARGET, down);
        pgtest_assert_status(r, 0, "downgrade base");
        pgtest_cli_result_free(&r);
    }
    /* Each revision went up once a round, and came down once. */
    ck_assert_str_eq(pgtest_query_text(TARGET, "SELECT count(*) FROM ultramigrate_version_history"
                                               " WHERE direction = 'up' AND state = 'ok'"),
                     pgtest_fmt("%d", CHAIN * n_rounds));
}
END_TEST

START_TEST(racing_mixed)
{
    write_ini_lock("60s", NULL);
    pgtest_write_linear_revisions(proj_dir, CHAIN);
    static const char *const up[] = { "upgrade", "heads", NULL };
    static const char *const down[] = { "downgrade", "base", NULL };
    static const char *const to_mid[] = { "upgrade", "r6", NULL };
    static const char *const step_back[] = { "downgrade", "-1", NULL };
    static const char *const to_nine[] = { "upgrade", "r9", NULL };
    const char *const *const commands[] = { up, down, to_mid, up, to_nine };
    int n_rounds = rounds(20);
    for (int round = 0; round < n_rounds; round++) {
        race(commands, sizeof(commands) / sizeof(commands[0]), round);
        assert_consistent(CHAIN, "mixed racers");
    }
    /* step_back fails at base by design: it is checked on its own. */
    pgtest_cli_result r = pgtest_run_cli(proj_dir, TARGET, up);
    pgtest_assert_status(r, 0, "upgrade heads");
    pgtest_cli_result_free(&r);
    r = pgtest_run_cli(proj_dir, TARGET, step_back);
    pgtest_assert_status(r, 0, "downgrade -1");
    pgtest_cli_result_free(&r);
    assert_consistent(CHAIN, "downgrade -1");
    ck_assert_str_eq(newest_applied(), pgtest_fmt("%d", CHAIN - 1));
}
END_TEST

/* ------------------------------------------------------------------ */
/* 2. Kills                                                             */
/* ------------------------------------------------------------------ */

#define LONG_CHAIN 200

/* ---- Transactional: no revisions ------------------------------------ */

#define NONTX_EVERY 10

/* r1..r@n, r<i> creating t<i>; every NONTX_EVERY-th one Transactional: no,
 * in five statements each committed on its own: the table, a pause, a
 * row, a pause, an index (the pauses make a kill inside it likely). */
static void write_mixed_chain(int n)
{
    for (int i = 1; i <= n; i++) {
        const char *id = pgtest_fmt("r%d", i);
        const char *parent = i > 1 ? pgtest_fmt("r%d", i - 1) : NULL;
        if (i % NONTX_EVERY)
            pgtest_write_table_revision(proj_dir, id, parent, pgtest_fmt("t%d", i));
        else
            pgtest_write_revision(proj_dir, id, parent, NULL, 0,
                                  pgtest_fmt("CREATE TABLE t%d (id int);\n"
                                             "SELECT pg_sleep(0.02);\n"
                                             "INSERT INTO t%d VALUES (1);\n"
                                             "SELECT pg_sleep(0.02);\n"
                                             "CREATE INDEX t%d_i ON t%d (id);\n",
                                             i, i, i, i),
                                  pgtest_fmt("DROP TABLE t%d;\n", i));
    }
}

/* The last of revision @i's statements whose effect shows (0, 1: the
 * table, 3: its row, 5: the index). */
static int last_seen(int i)
{
    if (!pgtest_query_long(TARGET, "SELECT (to_regclass('t%d') IS NOT NULL)::int", i))
        return 0;
    if (pgtest_query_long(TARGET, "SELECT (to_regclass('t%d_i') IS NOT NULL)::int", i))
        return 5;
    return pgtest_query_long(TARGET, "SELECT count(*) FROM t%d", i) ? 3 : 1;
}

static int half_done_kills; /* how many kills left one: said at the end */

/*
 * The revision a kill left half-done (0: none).  At most one, and one of
 * the Transactional: no: its statements_done is at most one behind the
 * last statement whose effect shows (a statement can end before its
 * record is written), and never past the next one that would show.
 */
static int half_done(const char *after)
{
    if (!pgtest_table_exists(TARGET, "ultramigrate_version_applied"))
        return 0;
    const char *rows = pgtest_query_text(TARGET, "SELECT coalesce(string_agg(revision || ':' ||"
                                                 " statements_done, ','), '')"
                                                 " FROM ultramigrate_version_applied"
                                                 " WHERE state <> 'applied'");
    int i = 0, done = 0;
    if (!*rows)
        return 0;
    ck_assert_msg(sscanf(rows, "r%d:%d", &i, &done) == 2 && !strchr(rows, ','),
                  "after %s (seed %u): unfinished rows %s", after, seed, rows);
    ck_assert_msg(i % NONTX_EVERY == 0, "after %s (seed %u): transactional r%d left unfinished",
                  after, seed, i);
    int seen = last_seen(i), next = seen == 5 ? 5 : seen + (seen ? 2 : 1);
    ck_assert_msg(done >= seen - 1 && done <= next - (seen < 5),
                  "after %s (seed %u): r%d records %d statements done, statement %d shows", after,
                  seed, i, done, seen);
    half_done_kills++;
    return i;
}

/* What an operator does: the next run refuses, the rest is finished by
 * hand, `repair REV --applied` records it. */
static void repair_by_hand(int i, const char *after)
{
    static const char *const up[] = { "upgrade", "heads", NULL };
    pgtest_cli_result r = pgtest_run_cli(proj_dir, TARGET, up);
    ck_assert_msg(r.status == 9 && strstr(r.err, "repair"),
                  "after %s (seed %u): upgrade over half-done r%d: exit %d\n%s", after, seed, i,
                  r.status, r.err);
    pgtest_cli_result_free(&r);
    pgtest_execf(TARGET, "CREATE TABLE IF NOT EXISTS t%d (id int)", i);
    pgtest_execf(TARGET, "INSERT INTO t%d SELECT 1 WHERE NOT EXISTS (SELECT FROM t%d)", i, i);
    pgtest_execf(TARGET, "CREATE INDEX IF NOT EXISTS t%d_i ON t%d (id)", i, i);
    const char *argv[] = { "repair", pgtest_fmt("r%d", i), "--applied", NULL };
    r = pgtest_run_cli(proj_dir, TARGET, argv);
    ck_assert_msg(r.status == 0, "after %s (seed %u): repair r%d: exit %d\n%s", after, seed, i,
                  r.status, r.err);
    pgtest_cli_result_free(&r);
}

/*
 * @kills times: starts `upgrade heads` of a 200-revision chain from base,
 * kills it with SIGKILL after a random moment within the run's usual
 * length, checks the database and that a rerun completes, then goes back
 * to base for the next round.  With @mixed, every tenth revision is
 * Transactional: no (write_mixed_chain), and one a kill left half-done is
 * repaired as an operator would before the checks.
 */
static void kill_rounds(int kills, bool mixed)
{
    static const char *const up[] = { "upgrade", "heads", NULL };
    static const char *const down[] = { "downgrade", "base", NULL };
    if (mixed)
        write_mixed_chain(LONG_CHAIN);
    else
        pgtest_write_linear_revisions(proj_dir, LONG_CHAIN);

    /* How long a whole run takes here: the kills fall within it. */
    double t0 = pgtest_now_ms();
    pgtest_cli_result r = pgtest_run_cli(proj_dir, TARGET, up);
    pgtest_assert_status(r, 0, "first upgrade");
    pgtest_cli_result_free(&r);
    int run_ms = (int)(pgtest_now_ms() - t0) + 1;
    r = pgtest_run_cli(proj_dir, TARGET, down);
    pgtest_assert_status(r, 0, "downgrade base");
    pgtest_cli_result_free(&r);

    for (int k = 0; k < kills; k++) {
        pid_t pid = spawn("victim", up);
        sleep_ms(pick(run_ms));
        kill(pid, SIGKILL);
        int status = pgtest_wait_child(pid);
        const char *after = pgtest_fmt("kill %d (exit %d)", k, status);
        /* The server ends the killed client's backend when it notices the
         * closed socket; wait for that before looking. */
        for (int i = 0;
             i < 200 && strcmp(pgtest_query_text(TARGET, "SELECT count(*) FROM pg_stat_activity"
                                                         " WHERE application_name = 'ultramigrate'"
                                                         " AND datname = current_database()"),
                               "0") != 0;
             i++)
            sleep_ms(10);
        int half = mixed ? half_done(after) : 0;
        if (half)
            repair_by_hand(half, after);
        assert_consistent(LONG_CHAIN, after);
        rerun_completes(LONG_CHAIN, after);
        r = pgtest_run_cli(proj_dir, TARGET, down);
        pgtest_assert_status(r, 0, "downgrade base");
        pgtest_cli_result_free(&r);
    }
}

START_TEST(kills_transaction_per_revision)
{
    write_ini_lock("30s", NULL);
    kill_rounds(rounds(15), false);
}
END_TEST

START_TEST(kills_one_transaction)
{
    write_ini_lock("30s", "transaction_per_migration = false\n");
    kill_rounds(rounds(15), false);
}
END_TEST

START_TEST(kills_nontransactional)
{
    write_ini_lock("30s", NULL);
    int kills = rounds(15);
    kill_rounds(kills, true);
    fprintf(stderr, "stress: %d of %d kills left a Transactional: no revision half-done\n",
            half_done_kills, kills);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 3. Server faults                                                     */
/* ------------------------------------------------------------------ */

/* Waits until the victim's backend runs, then terminates it after a
 * random moment; returns the victim's exit status. */
static int terminate_mid_run(pid_t pid, int run_ms)
{
    sleep_ms(pick(run_ms));
    pgtest_query_text(TARGET,
                      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                      " WHERE application_name = 'ultramigrate' AND datname = current_database()"
                      " AND pid <> pg_backend_pid()");
    return pgtest_wait_child(pid);
}

START_TEST(terminated_backend)
{
    static const char *const up[] = { "upgrade", "heads", NULL };
    static const char *const down[] = { "downgrade", "base", NULL };
    write_ini_lock("30s", NULL);
    pgtest_write_linear_revisions(proj_dir, LONG_CHAIN);
    double t0 = pgtest_now_ms();
    pgtest_cli_result r = pgtest_run_cli(proj_dir, TARGET, up);
    pgtest_assert_status(r, 0, "first upgrade");
    pgtest_cli_result_free(&r);
    int run_ms = (int)(pgtest_now_ms() - t0) + 1;
    for (int k = 0; k < rounds(5); k++) {
        r = pgtest_run_cli(proj_dir, TARGET, down);
        pgtest_assert_status(r, 0, "downgrade base");
        pgtest_cli_result_free(&r);
        int status = terminate_mid_run(spawn("victim", up), run_ms);
        const char *after = pgtest_fmt("pg_terminate_backend %d (exit %d)", k, status);
        ck_assert_msg(status == 0 || strstr(stderr_of("victim"), "ultramigrate") != NULL,
                      "%s: the victim said nothing", after);
        assert_consistent(LONG_CHAIN, after);
        rerun_completes(LONG_CHAIN, after);
    }
}
END_TEST

START_TEST(server_restart)
{
    static const char *const up[] = { "upgrade", "heads", NULL };
    const char *url = pgtest_dedicated_start();
    ck_assert_ptr_nonnull(url);
    /* The fixture's database lives on the shared cluster, which must stay
     * up: this test works on the dedicated one's. */
    target = url;
    write_ini_lock("30s", NULL);
    pgtest_write_linear_revisions(proj_dir, LONG_CHAIN);
    pid_t pid = spawn("victim", up);
    sleep_ms(100 + pick(200));
    ck_assert_int_eq(pgtest_dedicated_ctl("restart"), 0);
    int status = pgtest_wait_child(pid);
    const char *after = pgtest_fmt("server restart (exit %d)", status);
    assert_consistent(LONG_CHAIN, after);
    rerun_completes(LONG_CHAIN, after);
    target = NULL;
}
END_TEST

static Suite *stress_suite(void)
{
    Suite *s = suite_create("stress");
    const char *env = getenv("UM_STRESS_SEED");
    seed = env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
    fprintf(stderr, "stress: seed %u (UM_STRESS_SEED replays it)\n", seed);
    /* tagged: meson runs these groups beside the rest */
    TCase *tc = pgtest_add_tcase(s, "racers", setup, teardown, 300);
    tcase_set_tags(tc, "racers");
    PGTEST_ADD_TESTS(tc, racing_upgrades, racing_mixed);
    tc = pgtest_add_tcase(s, "kills", setup, teardown, 300);
    tcase_set_tags(tc, "kills");
    PGTEST_ADD_TESTS(tc, kills_transaction_per_revision, kills_one_transaction);
    tc = pgtest_add_tcase(s, "kills non-transactional", setup, teardown, 300);
    tcase_set_tags(tc, "kills_nontransactional");
    PGTEST_ADD_TESTS(tc, kills_nontransactional);
    PGTEST_ADD_TESTS(pgtest_add_tcase(s, "faults", setup, teardown, 300), terminated_backend,
                     server_restart);
    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(stress_suite());
}
