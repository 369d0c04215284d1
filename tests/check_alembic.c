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
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Two bases whose revisions depend on each other's, both ways. */
#define CRISS_CROSS                                                                                \
    {                                                                                              \
        { "a1", NULL, NULL }, { "a2", "a1", "b1" }, { "a3", "a2", NULL }, { "b1", NULL, NULL },    \
            { "b2", "b1", "a1" }, { "b3", "b2", "a2" },                                            \
    }

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
        .revs = CRISS_CROSS,
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

/* ------------------------------------------------------------------ */
/* import-alembic                                                       */
/* ------------------------------------------------------------------ */

/* Alembic (Debian's python3-alembic, and its alembic command) on this
 * machine; without it the import tests say so and pass. */
static int have_alembic(void)
{
    static int have = -1;
    if (have < 0)
        have = system("command -v alembic >/dev/null 2>&1 &&"
                      " /usr/bin/python3 -c 'import alembic' >/dev/null 2>&1") == 0;
    if (!have)
        fprintf(stderr, "alembic: SKIPPED: Alembic is not installed (scripts/install-deps.sh"
                        " installs python3-alembic)\n");
    return have;
}

/* alembic/versions/@rev_x.py: down_revision, branch_labels and depends_on
 * are Python literals, @up and @down the bodies of upgrade() and
 * downgrade() (indented). */
static void write_alembic_rev(const char *rev, const char *down, const char *labels,
                              const char *depends, const char *up, const char *down_body)
{
    pgtest_write_file(proj_dir, pgtest_fmt("alembic/versions/%s_x.py", rev),
                      pgtest_fmt("\"\"\"revision %s\n\nRevision ID: %s\nRevises: \n"
                                 "Create Date: 2025-05-01 12:00:00.000000\n\n\"\"\"\n"
                                 "from alembic import op\nimport sqlalchemy as sa\n\n"
                                 "revision = '%s'\ndown_revision = %s\n"
                                 "branch_labels = %s\ndepends_on = %s\n\n\n"
                                 "def upgrade():\n%s\n\n\ndef downgrade():\n%s\n",
                                 rev, rev, rev, down, labels, depends, up, down_body));
}

/* The value of @key in libpq's parse of @conninfo, or "" (pooled). */
static const char *conninfo_value(const char *conninfo, const char *key)
{
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    ck_assert_ptr_nonnull(opts);
    const char *value = "";
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (!strcmp(o->keyword, key) && o->val)
            value = pgtest_keep(strdup(o->val));
    PQconninfoFree(opts);
    return value;
}

/* alembic.ini's sqlalchemy.url becomes the test's database (SQLAlchemy
 * takes a URL only; the harness may give key=value). */
static void set_alembic_url(const char *conninfo)
{
    const char *pw = conninfo_value(conninfo, "password");
    const char *url =
        pgtest_fmt("postgresql://%s%s%s@/%s?host=%s&port=%s", conninfo_value(conninfo, "user"),
                   *pw ? ":" : "", pw, conninfo_value(conninfo, "dbname"),
                   conninfo_value(conninfo, "host"), conninfo_value(conninfo, "port"));
    const char *path = pgtest_fmt("%s/alembic.ini", proj_dir);
    char *text = pgtest_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    char *line = strstr(text, "\nsqlalchemy.url = ");
    ck_assert_ptr_nonnull(line);
    char *end = strchr(line + 1, '\n');
    pgtest_write_file(
        proj_dir, "alembic.ini",
        pgtest_fmt("%.*s\nsqlalchemy.url = %s%s", (int)(line - text), text, url, end ? end : ""));
    free(text);
}

/*
 * Python with Alembic imported, forking a child per command
 * (tests/alembic/alembic_server.py): starting Python and importing Alembic
 * for each of the suite's few hundred commands took most of its time.
 * Started by main() before Check forks, so every test's process shares it;
 * its pipes are closed on exec (the CLI and shells started by the tests do
 * not hold them), and it ends when the last of them is closed.
 */
static struct {
    pid_t pid;
    int requests; /* write end */
    int replies;  /* read end */
} runner = { -1, -1, -1 };

static void runner_start(void)
{
    int req[2], rep[2];
    if (pipe2(req, O_CLOEXEC) != 0 || pipe2(rep, O_CLOEXEC) != 0) {
        perror("alembic: pipe2");
        exit(EXIT_FAILURE);
    }
    /* outside a test: no ck_assert (pgtest_env, pgtest_fmt) here */
    const char *src = getenv("UM_SOURCE_DIR");
    char *script = NULL;
    if (!src || asprintf(&script, "%s/tests/alembic/alembic_server.py", src) < 0) {
        fputs("alembic: UM_SOURCE_DIR is not set (run through meson test)\n", stderr);
        exit(EXIT_FAILURE);
    }
    runner.pid = fork();
    if (runner.pid < 0) {
        perror("alembic: fork");
        exit(EXIT_FAILURE);
    }
    if (runner.pid == 0) {
        if (dup2(req[0], STDIN_FILENO) < 0 || dup2(rep[1], STDOUT_FILENO) < 0)
            _exit(126);
        execl("/usr/bin/python3", "python3", script, (char *)NULL);
        _exit(127);
    }
    close(req[0]);
    close(rep[1]);
    runner.requests = req[1];
    runner.replies = rep[0];
    free(script);
}

static void runner_stop(void)
{
    if (runner.pid < 0)
        return;
    close(runner.requests);
    close(runner.replies);
    pgtest_wait_child(runner.pid);
    runner.pid = -1;
}

/*
 * Runs, in the project directory, Alembic's command line with @args (split
 * as the shell splits them; versions/ read in file-name order) or, when
 * @code is not NULL, the Python source @code with sys.argv[1:] = @args;
 * stdout goes to @out, stderr to @err (NULL: the suite's stderr).  Returns
 * the exit status.  A reply left by a test killed while it waited is
 * skipped: each request carries an id of its own.
 */
static int python_run(const char *out, const char *err, const char *code, const char *args)
{
    static unsigned seq;
    ck_assert_msg(runner.pid > 0, "the Alembic runner is not started");
    const char *id = pgtest_fmt("%ld.%u", (long)getpid(), ++seq);
    json_t *req = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s}", "id", id, "dir", proj_dir, "out",
                            out, "err", err, "code", code, "args", args);
    ck_assert_ptr_nonnull(req);
    char *line = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    ck_assert_ptr_nonnull(line);
    const char *msg = pgtest_fmt("%s\n", line);
    free(line);
    for (size_t done = 0, len = strlen(msg); done < len;) {
        ssize_t n = write(runner.requests, msg + done, len - done);
        ck_assert_msg(n > 0 || errno == EINTR, "alembic runner: write: %s", strerror(errno));
        if (n > 0)
            done += (size_t)n;
    }
    for (;;) {
        char reply[128];
        size_t len = 0;
        for (;;) {
            ssize_t n = read(runner.replies, reply + len, 1);
            if (n < 0 && errno == EINTR)
                continue;
            ck_assert_msg(n == 1, "the Alembic runner ended (see its messages above)");
            if (reply[len] == '\n')
                break;
            ck_assert_msg(++len < sizeof reply - 1, "alembic runner: reply too long");
        }
        reply[len] = '\0';
        size_t id_len = strcspn(reply, " ");
        if (id_len == strlen(id) && strncmp(reply, id, id_len) == 0)
            return atoi(reply + id_len);
    }
}

/* Runs Alembic's own command in the project, its output (stdout and
 * stderr) in alembic.out; its exit status. */
static int alembic(const char *args)
{
    return python_run("alembic.out", "alembic.out", NULL, args);
}

/* `alembic init alembic` in the project, alembic.ini's sqlalchemy.url set
 * to the test's database. */
static void alembic_init(void)
{
    ck_assert_int_eq(python_run("/dev/null", "/dev/null", NULL, "init alembic"), 0);
    set_alembic_url(db_url);
}

/*
 * An Alembic project made by `alembic init`, with two bases (one with a
 * branch label), a dependency across them, a merge, an autocommit block
 * and a revision whose Python needs a live connection.
 */
static void make_alembic_project(void)
{
    alembic_init();
    write_alembic_rev("a1", "None", "None", "None",
                      "    op.create_table('accounts', sa.Column('id', sa.Integer,"
                      " primary_key=True), sa.Column('name', sa.String(50)))",
                      "    op.drop_table('accounts')");
    write_alembic_rev("a2", "'a1'", "None", "None",
                      "    op.add_column('accounts', sa.Column('email', sa.Text))",
                      "    op.drop_column('accounts', 'email')");
    write_alembic_rev("b1", "None", "('audit',)", "None",
                      "    op.execute('CREATE TABLE audit (id int)')",
                      "    op.execute('DROP TABLE audit')");
    write_alembic_rev("b2", "'b1'", "None", "('a1',)",
                      "    op.create_table('audit_log', sa.Column('account_id', sa.Integer,"
                      " sa.ForeignKey('accounts.id')))",
                      "    op.drop_table('audit_log')");
    write_alembic_rev("m1", "('a2', 'b2')", "None", "None", "    pass", "    pass");
    write_alembic_rev("c1", "'m1'", "None", "None",
                      "    with op.get_context().autocommit_block():\n"
                      "        op.create_index('accounts_name', 'accounts', ['name'],"
                      " postgresql_concurrently=True)",
                      "    op.drop_index('accounts_name')");
    write_alembic_rev("x1", "'c1'", "None", "None",
                      "    n = op.get_bind().execute(sa.text('SELECT count(*) FROM accounts'))"
                      ".scalar()\n    op.execute('SELECT %d' % n)",
                      "    pass");
    pgtest_write_ini(proj_dir, "ultramigrate.ini", "10s", NULL);
}

static pgtest_cli_result run_in_project(const char *const argv[])
{
    return pgtest_run_cli(proj_dir, db_url, argv);
}

static const char *revision_file(const char *rev)
{
    char *text =
        pgtest_read_file(pgtest_fmt("%s/migrations/versions/%s_x.sql", proj_dir, rev), NULL);
    ck_assert_msg(text != NULL, "%s_x.sql was not written", rev);
    return pgtest_keep(text);
}

#define ASSERT_HAS(text, needle)                                                                   \
    ck_assert_msg(strstr((text), (needle)) != NULL, "'%s' not in:\n%s", (needle), (text))

START_TEST(import_writes_what_alembic_would_run)
{
    if (!have_alembic())
        return;
    make_alembic_project();
    pgtest_cli_result r = run_in_project((const char *const[]){ "import-alembic", NULL });
    pgtest_assert_status(r, 0, "import-alembic");
    ASSERT_HAS(r.out, "imported a1 -> ");
    ASSERT_HAS(r.err, "revision x1: the upgrade section could not be rendered offline");
    pgtest_cli_result_free(&r);

    const char *a1 = revision_file("a1");
    ASSERT_HAS(a1, "-- Revision ID: a1\n-- Revises:\n");
    ASSERT_HAS(a1, "CREATE TABLE accounts (");
    ck_assert_msg(!strstr(a1, "alembic_version"), "bookkeeping left in:\n%s", a1);
    ASSERT_HAS(revision_file("b1"), "-- Branch Labels: audit\n");
    ASSERT_HAS(revision_file("b2"), "-- Depends On: a1\n");
    ASSERT_HAS(revision_file("m1"), "-- Revises: a2, b2\n");
    const char *c1 = revision_file("c1");
    ASSERT_HAS(c1, "-- Transactional: no\n");
    ASSERT_HAS(c1, "CREATE INDEX CONCURRENTLY accounts_name ON accounts (name);");
    ASSERT_HAS(revision_file("x1"), "RAISE EXCEPTION 'revision x1: upgrade section not imported");

    /* the SQL runs: every revision Alembic could render applies */
    r = run_in_project((const char *const[]){ "upgrade", "c1", NULL });
    pgtest_assert_status(r, 0, "upgrade c1");
    pgtest_cli_result_free(&r);
    ck_assert(pgtest_table_exists(db_url, "audit_log"));
    /* and the TODO revision refuses to pass for done */
    r = run_in_project((const char *const[]){ "upgrade", NULL });
    pgtest_assert_status(r, 8, "upgrade x1");
    ASSERT_HAS(r.err, "upgrade section not imported from Alembic");
    pgtest_cli_result_free(&r);
}
END_TEST

/*
 * The SQL imported is the SQL Alembic runs, byte for byte: blank lines
 * and indentation kept, a comment that starts "-- Running" kept (only
 * Alembic's own line of that name goes), a literal % kept with an env.py
 * of an older template (no paramstyle "named"), and the statements on a
 * version table env.py names (Alembic has no ini key for it) left out.
 */
START_TEST(import_keeps_the_sql_whole)
{
    if (!have_alembic())
        return;
    alembic_init();
    char *cmd = pgtest_asprintf("cd '%s' && sed -i"
                                " 's/dialect_opts={\"paramstyle\": \"named\"},/version_table="
                                "\"myver\",/' alembic/env.py && grep -q myver alembic/env.py",
                                proj_dir);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    const char *sql = "create table acct (id int, balance int);\n"
                      "insert into acct values (1, 10);\n\n\n"
                      "-- Running balance: double it\n"
                      "update acct set balance = balance * 2;\n\n"
                      "create function pct() returns text language plpgsql as $f$\n"
                      "BEGIN\n"
                      "    RETURN format('%s%%', 100);\n"
                      "END $f$;";
    write_alembic_rev("s1", "None", "None", "None", pgtest_fmt("    op.execute('''%s''')", sql),
                      "    op.execute('drop function pct(); drop table acct')");
    pgtest_write_ini(proj_dir, "ultramigrate.ini", "10s", "version_table = myver\n");
    pgtest_cli_result r = run_in_project((const char *const[]){ "import-alembic", NULL });
    pgtest_assert_status(r, 0, "import-alembic");
    pgtest_cli_result_free(&r);
    const char *s1 = revision_file("s1");
    ASSERT_HAS(s1, sql);
    ck_assert_msg(!strstr(s1, "myver") && !strstr(s1, "-- Running upgrade"),
                  "bookkeeping left in:\n%s", s1);

    r = run_in_project((const char *const[]){ "upgrade", NULL });
    pgtest_assert_status(r, 0, "upgrade");
    pgtest_cli_result_free(&r);
    ck_assert_str_eq(pgtest_query_text(db_url, "SELECT balance || ' ' || pct() FROM acct"),
                     "20 100%");
    r = run_in_project((const char *const[]){ "downgrade", "base", NULL });
    pgtest_assert_status(r, 0, "downgrade base");
    pgtest_cli_result_free(&r);
    ck_assert(!pgtest_table_exists(db_url, "acct"));
}
END_TEST

/* An Alembic id ultramigrate cannot take ('v1.0') is refused before any
 * file is written, naming it: the import wrote it, and every command then
 * refused the project. */
START_TEST(import_refuses_ids_it_cannot_keep)
{
    if (!have_alembic())
        return;
    alembic_init();
    write_alembic_rev("ok1", "None", "None", "None", "    op.execute('SELECT 1')", "    pass");
    pgtest_write_file(proj_dir, "alembic/versions/v10_x.py",
                      "revision = 'v1.0'\ndown_revision = 'ok1'\nbranch_labels = None\n"
                      "depends_on = None\n\n\ndef upgrade():\n    pass\n\n\n"
                      "def downgrade():\n    pass\n");
    pgtest_write_ini(proj_dir, "ultramigrate.ini", "10s", NULL);
    pgtest_cli_result r = run_in_project((const char *const[]){ "import-alembic", NULL });
    pgtest_assert_status(r, 1, "import-alembic with id v1.0");
    ASSERT_HAS(r.err, "revision id 'v1.0' cannot be an ultramigrate revision id");
    ASSERT_HAS(r.err, "v10_x.py");
    pgtest_cli_result_free(&r);
    ck_assert_msg(access(pgtest_fmt("%s/migrations/versions/ok1_x.sql", proj_dir), F_OK) != 0,
                  "a file was written");
}
END_TEST

START_TEST(import_keeps_existing_files_and_checks_the_graph)
{
    if (!have_alembic())
        return;
    make_alembic_project();
    pgtest_write_revision(proj_dir, "a1", NULL, NULL, 1, "SELECT 'mine';", NULL);
    pgtest_cli_result r = run_in_project((const char *const[]){ "import-alembic", NULL });
    pgtest_assert_status(r, 0, "import-alembic");
    ASSERT_HAS(r.out, "kept a1: a1.sql already exists");
    pgtest_cli_result_free(&r);
    ASSERT_HAS(
        pgtest_keep(pgtest_read_file(pgtest_fmt("%s/migrations/versions/a1.sql", proj_dir), NULL)),
        "SELECT 'mine';");

    r = run_in_project((const char *const[]){ "import-alembic", "--check", NULL });
    pgtest_assert_status(r, 0, "import-alembic --check");
    ASSERT_HAS(r.err, "7 revisions compared, 0 differences");
    pgtest_cli_result_free(&r);

    /* an edited dependency is a difference */
    const char *b2 = pgtest_fmt("%s/migrations/versions/b2_x.sql", proj_dir);
    char *text = pgtest_read_file(b2, NULL);
    ck_assert_ptr_nonnull(text);
    char *dep = strstr(text, "-- Depends On: a1\n");
    ck_assert_ptr_nonnull(dep);
    memcpy(dep, "-- no dependency.\n", 18);
    pgtest_write_file(proj_dir, "migrations/versions/b2_x.sql", text);
    free(text);
    r = run_in_project((const char *const[]){ "import-alembic", "--check", NULL });
    pgtest_assert_status(r, 9, "import-alembic --check after an edit");
    ASSERT_HAS(r.out, "differs b2: its dependencies are not Alembic's");
    pgtest_cli_result_free(&r);

    /* so is a branch label: renamed on b1, added on a2 */
    const char *const edits[][3] = {
        { "b1", "-- Branch Labels: audit\n", "-- Branch Labels: audix\n" },
        { "a2", "-- Revises: a1\n", "-- Revises: a1\n-- Branch Labels: extra\n" },
    };
    for (size_t i = 0; i < 2; i++) {
        const char *name = pgtest_fmt("migrations/versions/%s_x.sql", edits[i][0]);
        char *file = pgtest_read_file(pgtest_fmt("%s/%s", proj_dir, name), NULL);
        ck_assert_ptr_nonnull(file);
        char *at = strstr(file, edits[i][1]);
        ck_assert_msg(at != NULL, "%s lacks '%s'", name, edits[i][1]);
        pgtest_write_file(
            proj_dir, name,
            pgtest_fmt("%.*s%s%s", (int)(at - file), file, edits[i][2], at + strlen(edits[i][1])));
        free(file);
    }
    r = run_in_project((const char *const[]){ "import-alembic", "--check", NULL });
    pgtest_assert_status(r, 9, "import-alembic --check after label edits");
    ASSERT_HAS(r.out, "differs b1: its branch labels are not Alembic's");
    ASSERT_HAS(r.out, "differs a2: its branch labels are not Alembic's");
    ASSERT_HAS(r.err, "7 revisions compared, 3 differences");
    pgtest_cli_result_free(&r);

    r = run_in_project((const char *const[]){ "import-alembic", "missing.ini", NULL });
    pgtest_assert_status(r, 1, "import-alembic missing.ini");
    ASSERT_HAS(r.err, "missing.ini: no such Alembic configuration file");
    pgtest_cli_result_free(&r);
}
END_TEST

/*
 * A database Alembic brought to a2, taken over where it stands: the files
 * imported, version_table = alembic_version, stamp, upgrade.  Nothing runs
 * twice, and Alembic still reads the state afterwards.
 */
START_TEST(alembic_database_taken_over)
{
    if (!have_alembic())
        return;
    make_alembic_project();
    /* x1's Python reads the database: not part of this take-over */
    ck_assert_int_eq(unlink(pgtest_fmt("%s/alembic/versions/x1_x.py", proj_dir)), 0);
    ck_assert_msg(alembic("upgrade a2") == 0, "alembic upgrade a2: %s",
                  pgtest_keep(pgtest_read_file(pgtest_fmt("%s/alembic.out", proj_dir), NULL)));
    pgtest_cli_result r = run_in_project((const char *const[]){ "import-alembic", NULL });
    pgtest_assert_status(r, 0, "import-alembic");
    pgtest_cli_result_free(&r);
    pgtest_write_ini(proj_dir, "ultramigrate.ini", "10s", "version_table = alembic_version\n");

    /* before anything is written, the state shows as Alembic left it */
    r = run_in_project((const char *const[]){ "current", NULL });
    pgtest_assert_status(r, 0, "current");
    ASSERT_HAS(r.out, "a2");
    pgtest_cli_result_free(&r);
    r = run_in_project((const char *const[]){ "status", NULL });
    pgtest_assert_status(r, 0, "status");
    ASSERT_HAS(r.out, "Pending:       4 revisions");
    pgtest_cli_result_free(&r);

    /* the first run that writes adopts it, then applies only the rest */
    r = run_in_project((const char *const[]){ "upgrade", NULL });
    pgtest_assert_status(r, 0, "upgrade");
    ASSERT_HAS(r.err, "adopting the database another tool managed, at a2");
    ASSERT_HAS(r.err, "creating the bookkeeping tables");
    ASSERT_HAS(r.err, "beside \"public\".\"alembic_version\"");
    pgtest_cli_result_free(&r);
    ck_assert_str_eq(qv("SELECT string_agg(revision || ':' || state, ',' ORDER BY revision)"
                        " FROM alembic_version_applied"),
                     "a1:applied,a2:applied,b1:applied,b2:applied,c1:applied,m1:applied");
    ck_assert_str_eq(pgtest_query_text(db_url, "SELECT string_agg(revision, ','"
                                               " ORDER BY id) FROM alembic_version_history"
                                               " WHERE direction = 'up'"),
                     "b1,b2,m1,c1");
    /* the adoption says so: a history row per revision adopted, in apply
     * order, before the steps, with the file's checksum */
    ck_assert_str_eq(
        qv("SELECT string_agg(revision || ':' || direction || ':' || state || ':' || error, ','"
           " ORDER BY id) FROM alembic_version_history WHERE direction <> 'up'"),
        "a1:stamp:ok:adopted from \"public\".\"alembic_version\": recorded as applied, not run,"
        "a2:stamp:ok:adopted from \"public\".\"alembic_version\": recorded as applied, not run");
    ck_assert_str_eq(qv("SELECT count(*) FROM alembic_version_history h"
                        " JOIN alembic_version_applied a USING (revision, checksum)"
                        " WHERE h.direction = 'stamp'"),
                     "2");
    r = run_in_project((const char *const[]){ "history", NULL });
    pgtest_assert_status(r, 0, "history");
    ASSERT_HAS(r.out, "  stamp  a1  ok  ");
    ASSERT_HAS(r.out, "\n    note: adopted from \"public\".\"alembic_version\": recorded as"
                      " applied, not run\n");
    pgtest_cli_result_free(&r);
    ck_assert_int_eq(alembic("current"), 0);
    ASSERT_HAS(pgtest_keep(pgtest_read_file(pgtest_fmt("%s/alembic.out", proj_dir), NULL)),
               "c1 (head)");
}
END_TEST

/* ------------------------------------------------------------------ */
/* branch labels, side by side with Alembic                             */
/* ------------------------------------------------------------------ */

/*
 * t1 <- t2 <- {a1 (audit) <- a2 <- a3, b1 (billing) <- b2}, a second base
 * c1 (cart) <- c2 <- c3 with c2 depending on the label audit, and a base
 * d1 depending on b2 (which makes b2 an "effective head").  Every revision
 * runs a SELECT: both tools can move the same database.
 */
static void make_labeled_project(void)
{
    static const char *const revs[][4] = {
        { "t1", "None", "None", "None" },       { "t2", "'t1'", "None", "None" },
        { "a1", "'t2'", "('audit',)", "None" }, { "a2", "'a1'", "None", "None" },
        { "a3", "'a2'", "None", "None" },       { "b1", "'t2'", "('billing',)", "None" },
        { "b2", "'b1'", "None", "None" },       { "c1", "None", "('cart',)", "None" },
        { "c2", "'c1'", "None", "('audit',)" }, { "c3", "'c2'", "None", "None" },
        { "d1", "None", "None", "('b2',)" },
    };
    alembic_init();
    for (size_t i = 0; i < sizeof(revs) / sizeof(revs[0]); i++)
        write_alembic_rev(revs[i][0], revs[i][1], revs[i][2], revs[i][3],
                          pgtest_fmt("    op.execute('SELECT 1 AS up_%s')", revs[i][0]),
                          pgtest_fmt("    op.execute('SELECT 1 AS down_%s')", revs[i][0]));
    pgtest_write_ini(proj_dir, "ultramigrate.ini", "10s", NULL);
    pgtest_cli_result r = run_in_project((const char *const[]){ "import-alembic", NULL });
    pgtest_assert_status(r, 0, "import-alembic");
    pgtest_cli_result_free(&r);
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* @text's lines holding @keep (NULL: all but Alembic's log), sorted when
 * @sort, one string. */
static const char *lines_of(const char *text, const char *keep, int sort)
{
    char *copy = strdup(text), *save = NULL, *lines[128];
    size_t n = 0;
    for (char *l = strtok_r(copy, "\n", &save); l && n < 128; l = strtok_r(NULL, "\n", &save))
        if ((!keep && strncmp(l, "INFO  [", 7) != 0) || (keep && strstr(l, keep)))
            lines[n++] = l;
    if (sort)
        qsort(lines, n, sizeof(*lines), cmp_lines);
    char *out = pgtest_asprintf("%s", "");
    for (size_t i = 0; i < n; i++) {
        char *next = pgtest_asprintf("%s%s\n", out, lines[i]);
        free(out);
        out = next;
    }
    free(copy);
    return pgtest_keep(out);
}

/* lines_of(), sorted: for what Alembic prints in an order of its own
 * (from a Python set). */
static const char *sorted_lines(const char *text, const char *keep)
{
    return lines_of(text, keep, 1);
}
/* lines_of() as they come: for listings in Alembic's order. */
static const char *in_order(const char *text, const char *keep)
{
    return lines_of(text, keep, 0);
}

/* Alembic's stdout for @args. */
static const char *alembic_out(const char *args)
{
    ck_assert_msg(alembic(args) == 0, "alembic %s: %s", args,
                  pgtest_keep(pgtest_read_file(pgtest_fmt("%s/alembic.out", proj_dir), NULL)));
    return pgtest_keep(pgtest_read_file(pgtest_fmt("%s/alembic.out", proj_dir), NULL));
}

static const char *ultramigrate_out(const char *const argv[])
{
    pgtest_cli_result r = run_in_project(argv);
    pgtest_assert_status(r, 0, argv[0]);
    const char *out = pgtest_keep(strdup(r.out));
    pgtest_cli_result_free(&r);
    return out;
}

/* heads, history and branches print each revision as Alembic does
 * ("c2 (cart)", "(effective head)", "c1 (audit) -> c2"), heads and
 * history in Alembic's order, and show its branch names. */
START_TEST(labels_shown_as_alembic_shows_them)
{
    if (!have_alembic())
        return;
    make_labeled_project();
    ck_assert_str_eq(in_order(ultramigrate_out((const char *const[]){ "heads", NULL }), NULL),
                     in_order(alembic_out("heads"), NULL));
    ck_assert_str_eq(
        in_order(ultramigrate_out((const char *const[]){ "heads", "--resolve-dependencies", NULL }),
                 NULL),
        in_order(alembic_out("heads --resolve-dependencies"), NULL));
    ck_assert_str_eq(
        in_order(ultramigrate_out((const char *const[]){ "history", "--revisions", NULL }), NULL),
        in_order(alembic_out("history"), NULL));
    /* Alembic takes a branch point's children from a frozenset: their
     * order changes from run to run */
    ck_assert_str_eq(
        sorted_lines(ultramigrate_out((const char *const[]){ "branches", NULL }), NULL),
        sorted_lines(alembic_out("branches"), NULL));
    for (size_t i = 0; i < 3; i++) {
        static const char *const revs[] = { "a2", "c2", "b2" };
        const char *ours = ultramigrate_out((const char *const[]){ "show", revs[i], NULL });
        const char *theirs = alembic_out(pgtest_fmt("show %s", revs[i]));
        ck_assert_str_eq(sorted_lines(ours, "Branch names: "),
                         sorted_lines(theirs, "Branch names: "));
        ck_assert_str_eq(sorted_lines(ours, "Rev: "), sorted_lines(theirs, "Rev: "));
        ck_assert_str_eq(sorted_lines(ours, "Also depends on: "),
                         sorted_lines(theirs, "Also depends on: "));
    }
}
END_TEST

/* history -r START:END and -i list what Alembic's history lists (its
 * order across branches aside); show current and friends show what its
 * show shows. */
START_TEST(history_ranges_as_alembic)
{
    static const char *const ranges[] = {
        "base:heads", "t2:a3",     "c1:c3", "audit@base:audit@head",
        "cart@base:", "audit@-1:", ":cart", "t1:billing@head",
        "a1:+1",      "c2:",
    };
    if (!have_alembic())
        return;
    make_labeled_project();
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
        ck_assert_str_eq(
            lines_of(ultramigrate_out((const char *const[]){ "history", "-r", ranges[i], NULL }),
                     NULL, 0),
            lines_of(alembic_out(pgtest_fmt("history -r=%s", ranges[i])), NULL, 0));
    pgtest_cli_result r = run_in_project((const char *const[]){ "history", "-r", "a3:a1", NULL });
    pgtest_assert_status(r, 5, "history -r a3:a1");
    ASSERT_HAS(r.err, "revision a3 is not an ancestor of 'a1'");
    pgtest_cli_result_free(&r);
    r = run_in_project((const char *const[]){ "history", "-r", "a1", NULL });
    pgtest_assert_status(r, 2, "history -r a1");
    pgtest_cli_result_free(&r);
    /* "current" and -i read the database: both tools at audit@head */
    alembic_out("upgrade audit@head");
    ultramigrate_out((const char *const[]){ "upgrade", "audit@head", NULL });
    static const char *const with_db[][2] = {
        { "current:", "history -r=current:" },
        { ":current", "history -r=:current" },
        { "-i", "history -i" },
    };
    for (size_t i = 0; i < sizeof(with_db) / sizeof(with_db[0]); i++) {
        const char *args = with_db[i][0];
        const char *ours =
            args[0] == '-' ? ultramigrate_out((const char *const[]){ "history", args, NULL })
                           : ultramigrate_out((const char *const[]){ "history", "-r", args, NULL });
        ck_assert_str_eq(in_order(ours, NULL), in_order(alembic_out(with_db[i][1]), NULL));
    }
    /* show current|base|LABEL@heads: what Alembic's get_revisions() gives */
    static const char *const shows[] = { "current", "base", "audit@heads", "cart@heads" };
    for (size_t i = 0; i < sizeof(shows) / sizeof(shows[0]); i++)
        ck_assert_str_eq(
            sorted_lines(ultramigrate_out((const char *const[]){ "show", shows[i], NULL }),
                         "Rev: "),
            sorted_lines(alembic_out(pgtest_fmt("show %s", shows[i])), "Rev: "));
}
END_TEST

/* What ultramigrate has applied. */
static const char *ultramigrate_applied(void)
{
    return pgtest_query_text(db_url, "SELECT coalesce(string_agg(revision, ',' ORDER BY revision),"
                                     " '') FROM ultramigrate_version_applied");
}

/* What Alembic has applied: its version rows and everything they need, as
 * its RevisionMap says.  (The rows themselves differ: Alembic drops a head
 * from its table once a revision that depends on it is applied.) */
static const char *alembic_applied(void)
{
    const char *rows = pgtest_query_text(db_url, "SELECT coalesce(string_agg(version_num, ' '),"
                                                 " '') FROM alembic_version");
    const char *py = "import sys\n"
                     "from alembic.config import Config\n"
                     "from alembic.script import ScriptDirectory\n"
                     "m = ScriptDirectory.from_config(Config(\"alembic.ini\")).revision_map\n"
                     "revs = m._get_ancestor_nodes(m.get_revisions(tuple(sys.argv[1:])))\n"
                     "print(\",\".join(sorted(r.revision for r in revs)), end=\"\")\n";
    ck_assert_int_eq(python_run("applied.out", NULL, py, rows), 0);
    return pgtest_keep(pgtest_read_file(pgtest_fmt("%s/applied.out", proj_dir), NULL));
}

/*
 * The revisions Alembic's last command ran, in order: Y of each "Running
 * upgrade X -> Y" line, Y of each "Running downgrade Y -> X" line.
 */
static const char *alembic_steps(void)
{
    char *text = pgtest_read_file(pgtest_fmt("%s/alembic.out", proj_dir), NULL), *save = NULL;
    const char *out = "";
    ck_assert_ptr_nonnull(text);
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *up = strstr(l, "Running upgrade "), *down = strstr(l, "Running downgrade ");
        const char *id = NULL;
        size_t len = 0;
        if (up && (id = strstr(up, "-> ")))
            len = strcspn(id += 3, ",");
        else if (down)
            len = strcspn(id = down + strlen("Running downgrade "), " ,");
        if (id)
            out = pgtest_fmt("%s%s%.*s", out, *out ? "," : "", (int)len, id);
    }
    free(text);
    return out;
}

/* The revisions ultramigrate ran since history entry @since, in order. */
static const char *ultramigrate_steps(long since)
{
    return pgtest_query_text(db_url,
                             "SELECT coalesce(string_agg(revision, ',' ORDER BY id), '')"
                             " FROM ultramigrate_version_history WHERE id > %ld AND state = 'ok'",
                             since);
}

/*
 * The same upgrades and downgrades, by label, with Alembic and with
 * ultramigrate on one database (each keeps its own version table): after
 * every step both have applied the same revisions.
 */
START_TEST(labels_move_the_database_as_alembic_does)
{
    static const char *const steps[][2] = {
        { "upgrade", "audit@head" },
        { "upgrade", "billing@+1" },
        { "upgrade", "cart@+1" },
        { "upgrade", "cart@head" },
        { "upgrade", "billing@head" },
        { "downgrade", "audit@-1" },
        { "upgrade", "d1" },
        { "downgrade", "cart@c1" },
        { "downgrade", "billing@t2" },
        { "upgrade", "heads" },
        { "downgrade", "audit@t2" },
        { "downgrade", "cart@base" },
        { "downgrade", "billing@base" },
        { "upgrade", "audit@a2" },
        { "upgrade", "cart" },
    };
    if (!have_alembic())
        return;
    make_labeled_project();
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        alembic_out(pgtest_fmt("%s %s", steps[i][0], steps[i][1]));
        long since = table_exists("ultramigrate_version_history") ? newest_history_id() : 0;
        ultramigrate_out((const char *const[]){ steps[i][0], steps[i][1], NULL });
        ck_assert_str_eq(ultramigrate_steps(since), alembic_steps());
        const char *ours = ultramigrate_applied(), *theirs = alembic_applied();
        ck_assert_msg(strcmp(ours, theirs) == 0,
                      "after %s %s: ultramigrate applied [%s], Alembic [%s]", steps[i][0],
                      steps[i][1], ours, theirs);
    }
}
END_TEST

/* stamp REV... moves each branch as Alembic's stamp does (the other
 * branches stay); --purge forgets version rows that no file defines. */
START_TEST(stamp_as_alembic)
{
    /* LABEL@base removes the heads on the label's line, dependencies
     * included: audit@base takes c3 (c2 depends on audit) with a3 */
    static const char *const stamps[][3] = {
        { "a2", NULL },        { "b1", NULL },   { "t2", NULL },
        { "a3", "b2" },        { "c3", NULL },   { "billing@base", NULL },
        { "cart@base", NULL }, { "c3", NULL },   { "audit@base", NULL },
        { "a1", NULL },        { "d1", NULL },   { "b2@base", NULL },
        { "d1", NULL },        { "base", NULL },
    };
    if (!have_alembic())
        return;
    make_labeled_project();
    for (size_t i = 0; i < sizeof(stamps) / sizeof(stamps[0]); i++) {
        const char *a = stamps[i][0], *b = stamps[i][1];
        alembic_out(pgtest_fmt("stamp %s %s", a, b ? b : ""));
        ultramigrate_out((const char *const[]){ "stamp", a, b, NULL });
        const char *ours = ultramigrate_applied(), *theirs = alembic_applied();
        ck_assert_msg(strcmp(ours, theirs) == 0,
                      "after stamp %s %s: ultramigrate [%s], Alembic [%s]", a, b ? b : "", ours,
                      theirs);
    }
    /* a version row no file knows: refused, unless purged first */
    pgtest_exec(db_url, "INSERT INTO ultramigrate_version VALUES ('zz9');"
                        " INSERT INTO alembic_version VALUES ('zz9')");
    pgtest_cli_result r = run_in_project((const char *const[]){ "stamp", "heads", NULL });
    pgtest_assert_status(r, 9, "stamp heads over zz9");
    ASSERT_HAS(r.err, "zz9");
    pgtest_cli_result_free(&r);
    ck_assert_int_ne(alembic("stamp heads"), 0);
    alembic_out("stamp --purge a2 b2");
    ultramigrate_out((const char *const[]){ "stamp", "--purge", "a2", "b2", NULL });
    ck_assert_str_eq(ultramigrate_applied(), alembic_applied());
    ck_assert_str_eq(pgtest_query_text(db_url, "SELECT string_agg(version_num, ','"
                                               " ORDER BY version_num) FROM ultramigrate_version"),
                     "a2,b2");
}
END_TEST

/* Writes a revision for Alembic whose upgrade and downgrade only SELECT. */
static void write_select_rev(const char *rev, const char *down, const char *depends)
{
    write_alembic_rev(rev, down, "None", depends,
                      pgtest_fmt("    op.execute('SELECT 1 AS up_%s')", rev),
                      pgtest_fmt("    op.execute('SELECT 1 AS down_%s')", rev));
}

/* alembic_version's rows, sorted, comma separated. */
static const char *alembic_rows(void)
{
    return qv("SELECT coalesce(string_agg(version_num, ',' ORDER BY version_num), '')"
              " FROM alembic_version");
}

/*
 * Adoption leaves alembic_version as Alembic left it, with a head that an
 * applied revision depends on left out (f1 under x1), and the steps after
 * it leave the rows Alembic's own steps leave: x1 (a base depending on f1)
 * going down brings f1's row back.  Alembic's rows after each step are
 * taken first, on the same database.
 */
START_TEST(adoption_keeps_alembic_version_rows)
{
    if (!have_alembic())
        return;
    alembic_init();
    write_select_rev("f1", "None", "None");
    write_select_rev("f2", "'f1'", "None");
    write_select_rev("s1", "None", "None");
    write_select_rev("s2", "'s1'", "None");
    write_select_rev("x1", "None", "('f1',)");
    write_select_rev("x2", "'x1'", "None");
    static const char *const steps[][2] = { { "downgrade", "x1@-1" }, { "upgrade", "heads" } };
    const char *theirs[2];
    alembic_out("upgrade s2");
    alembic_out("upgrade x1");
    const char *adopted = alembic_rows();
    ck_assert_str_eq(adopted, "s2,x1");
    for (size_t i = 0; i < 2; i++) {
        alembic_out(pgtest_fmt("%s %s", steps[i][0], steps[i][1]));
        theirs[i] = alembic_rows();
    }
    alembic_out("downgrade base");
    alembic_out("upgrade s2");
    alembic_out("upgrade x1");
    ck_assert_str_eq(alembic_rows(), adopted);

    pgtest_write_ini(proj_dir, "ultramigrate.ini", "10s", NULL);
    pgtest_cli_result r = run_in_project((const char *const[]){ "import-alembic", NULL });
    pgtest_assert_status(r, 0, "import-alembic");
    pgtest_cli_result_free(&r);
    pgtest_write_ini(proj_dir, "ultramigrate.ini", "10s", "version_table = alembic_version\n");
    /* an upgrade with nothing to do still adopts: the rows stay */
    ultramigrate_out((const char *const[]){ "upgrade", "x1", NULL });
    ck_assert_str_eq(qv("SELECT string_agg(revision, ',' ORDER BY revision)"
                        " FROM alembic_version_applied"),
                     "f1,s1,s2,x1");
    ck_assert_str_eq(alembic_rows(), adopted);
    for (size_t i = 0; i < 2; i++) {
        ultramigrate_out((const char *const[]){ steps[i][0], steps[i][1], NULL });
        ck_assert_msg(strcmp(alembic_rows(), theirs[i]) == 0,
                      "after %s %s: ultramigrate's rows [%s], Alembic's [%s]", steps[i][0],
                      steps[i][1], alembic_rows(), theirs[i]);
    }
    ck_assert_str_eq(qv("SELECT string_agg(revision, ',' ORDER BY revision)"
                        " FROM alembic_version_applied"),
                     "f1,f2,s1,s2,x1,x2");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Step by step as Alembic                                               */
/* ------------------------------------------------------------------ */

/* A graph for both tools ("a, b": a merge) and the commands to replay. */
typedef struct steps_scenario {
    const char *name;
    rev revs[MAX_REVS];
    const char *commands[16]; /* "upgrade heads", "downgrade t2", ... */
} steps_scenario;

static const steps_scenario steps_scenarios[] = {
    {
        /* three branches off t2, two of them merged, then c1 */
        .name = "branches_and_merge",
        .revs = { { "t1", NULL, NULL },
                  { "t2", "t1", NULL },
                  { "a1", "t2", NULL },
                  { "a2", "a1", NULL },
                  { "a3", "a2", NULL },
                  { "b1", "t2", NULL },
                  { "b2", "b1", NULL },
                  { "m1", "a3, b2", NULL },
                  { "c1", "m1", NULL },
                  { "x1", "t2", NULL },
                  { "x2", "x1", NULL } },
        .commands = { "upgrade a1", "upgrade heads", "downgrade t2", "upgrade m1", "upgrade +1",
                      "upgrade heads", "downgrade t1", "upgrade b2", "upgrade c1", "downgrade a2",
                      "downgrade base", "upgrade x2", "upgrade heads", "downgrade base" },
    },
    {
        /* four bases, one of them depending on revisions of two others */
        .name = "several_bases",
        .revs = { { "p1", NULL, NULL },
                  { "p2", "p1", NULL },
                  { "p3", "p2", NULL },
                  { "q1", NULL, NULL },
                  { "q2", "q1", NULL },
                  { "r1", NULL, NULL },
                  { "r2", "r1", NULL },
                  { "r3", "r2", NULL },
                  { "s1", NULL, "r2" },
                  { "s2", "s1", "q2" } },
        .commands = { "upgrade heads", "downgrade base", "upgrade q2", "upgrade s2",
                      "upgrade heads", "downgrade r1", "downgrade q1", "upgrade heads",
                      "downgrade p2", "downgrade base" },
    },
    {
        /* dependencies across branches of one base and of another base */
        .name = "cross_branch_depends_on",
        .revs = { { "a1", NULL, NULL },
                  { "a2", "a1", NULL },
                  { "a3", "a2", NULL },
                  { "b1", "a1", NULL },
                  { "b2", "b1", "a2" },
                  { "b3", "b2", NULL },
                  { "c1", NULL, "b2" },
                  { "c2", "c1", "a3" } },
        .commands = { "upgrade b3", "upgrade heads", "downgrade a2", "upgrade c2", "downgrade b1",
                      "upgrade heads", "downgrade a1", "downgrade base", "upgrade c1",
                      "upgrade heads", "downgrade base" },
    },
    {
        /* dependencies crossing between two bases in both directions */
        .name = "criss_cross",
        .revs = CRISS_CROSS,
        .commands = { "upgrade heads", "downgrade a1", "upgrade b3", "upgrade heads",
                      "downgrade b1", "upgrade a3", "upgrade heads", "downgrade base", "upgrade b2",
                      "upgrade heads", "downgrade a2" },
    },
    {
        /* two bases merged, a branch point above the merge, a dependency
         * that an ancestor already has (Alembic leaves it out of the
         * walk), and a second merge */
        .name = "merged_bases",
        .revs = { { "u1", NULL, NULL },
                  { "v1", NULL, NULL },
                  { "v2", "v1", NULL },
                  { "mv", "u1, v2", NULL },
                  { "k1", "mv", "z1" },
                  { "k2", "mv", NULL },
                  { "k3", "k1", "z1" },
                  { "n1", "k2, k3", NULL },
                  { "w1", NULL, "k2" },
                  { "z1", NULL, NULL } },
        .commands = { "upgrade heads", "downgrade mv", "upgrade k1", "upgrade heads",
                      "downgrade v2", "upgrade n1", "upgrade heads", "downgrade base" },
    },
};

/* A Python literal for Alembic's down_revision / depends_on: "a, b"
 * becomes ('a', 'b'), "a" 'a', NULL None. */
static const char *py_ids(const char *csv)
{
    if (!csv)
        return "None";
    if (!strchr(csv, ','))
        return pgtest_fmt("'%s'", csv);
    char *copy = strdup(csv), *save = NULL;
    const char *out = "(";
    for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
        out = pgtest_fmt("%s'%s', ", out, t);
    free(copy);
    return pgtest_fmt("%s)", out);
}

/* The scenario as an Alembic project, imported: both tools have the same
 * files (a1_x.py, a1_x.sql, ...) and move the same database. */
static void make_steps_project(const steps_scenario *sc)
{
    alembic_init();
    for (const rev *r = sc->revs; r < sc->revs + MAX_REVS && r->id; r++)
        write_alembic_rev(r->id, py_ids(r->parent), "None", py_ids(r->depends),
                          pgtest_fmt("    op.execute('SELECT 1 AS up_%s')", r->id),
                          pgtest_fmt("    op.execute('SELECT 1 AS down_%s')", r->id));
    pgtest_write_ini(proj_dir, "ultramigrate.ini", "10s", NULL);
    pgtest_cli_result r = run_in_project((const char *const[]){ "import-alembic", NULL });
    pgtest_assert_status(r, 0, "import-alembic");
    pgtest_cli_result_free(&r);
}

/*
 * Alembic's traversal scenarios replayed through the CLI: each command
 * runs with Alembic, then with ultramigrate, on one database (each tool
 * keeps its own version table); both must run the same revisions in the
 * same order and leave the same revisions applied.
 */
START_TEST(steps_as_alembic)
{
    const steps_scenario *sc = &steps_scenarios[_i];
    if (!have_alembic())
        return;
    make_steps_project(sc);
    for (size_t i = 0; i < 16 && sc->commands[i]; i++) {
        const char *command = sc->commands[i], *target = strchr(command, ' ') + 1;
        char *verb = strndup(command, (size_t)(target - command - 1));
        alembic_out(command);
        long since = table_exists("ultramigrate_version_history") ? newest_history_id() : 0;
        ultramigrate_out((const char *const[]){ verb, target, NULL });
        const char *ours = ultramigrate_steps(since), *theirs = alembic_steps();
        ck_assert_msg(strcmp(ours, theirs) == 0, "%s, %s: ultramigrate ran [%s], Alembic [%s]",
                      sc->name, command, ours, theirs);
        ours = ultramigrate_applied();
        theirs = alembic_applied();
        ck_assert_msg(strcmp(ours, theirs) == 0, "%s, after %s: applied [%s], Alembic [%s]",
                      sc->name, command, ours, theirs);
        free(verb);
    }
    /* history lists the revisions in the order Alembic's does */
    static const char *const ranges[] = { NULL, "base:heads", "current:", ":current" };
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        const char *ours = ultramigrate_out(
            (const char *const[]){ "history", ranges[i] ? "-r" : "--revisions", ranges[i], NULL });
        const char *args = ranges[i] ? pgtest_fmt("history -r=%s", ranges[i]) : "history";
        ck_assert_str_eq(ours, lines_of(alembic_out(args), NULL, 0));
    }
}
END_TEST

/* A revision file with a "Branch Labels:" line. */
static void write_labeled(const char *id, const char *parent, const char *depends,
                          const char *labels)
{
    pgtest_write_file(proj_dir, pgtest_fmt("migrations/versions/%s.sql", id),
                      pgtest_fmt("-- %s\n-- Revision ID: %s\n-- Revises: %s\n"
                                 "-- Depends On: %s\n-- Branch Labels: %s\n"
                                 "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n",
                                 id, id, parent, depends, labels));
}

static const char *labels_of(um_ctx *ctx, const char *id)
{
    const um_revision *rev = NULL;
    const char *const *labels = (const char *const *)&rev;
    size_t n = 99;
    PGTEST_CHECK_OK(ctx, um_revision_lookup(&rev, ctx, id));
    PGTEST_CHECK_OK(ctx, um_revision_branch_labels(&labels, &n, ctx, rev));
    const char *out = "";
    for (size_t i = 0; i < n; i++)
        out = pgtest_fmt("%s%s%s", out, i ? "," : "", labels[i]);
    ck_assert(n || labels == NULL);
    return out;
}

/* um_revision's declared labels, um_revision_branch_labels() (Alembic's
 * Revision.branch_labels), the JSON rendering and new labels. */
START_TEST(labels_through_the_api)
{
    write_labeled("t1", "", "", "");
    write_labeled("a1", "t1", "", "audit, ledger");
    write_labeled("a2", "a1", "", "");
    write_labeled("b1", "t1", "", "");
    write_labeled("c1", "", "audit", "cart");
    um_ctx *ctx = open_engine();
    const um_revision *a1 = NULL;
    PGTEST_CHECK_OK(ctx, um_revision_lookup(&a1, ctx, "ledger"));
    ck_assert_str_eq(a1->id, "a1");
    ck_assert_uint_eq(a1->n_branch_labels, 2);
    ck_assert_str_eq(a1->branch_labels[1], "ledger");
    ck_assert(a1->has_dependents);
    ck_assert_str_eq(labels_of(ctx, "a2"), "audit,ledger");
    ck_assert_str_eq(labels_of(ctx, "t1"), "");
    ck_assert_str_eq(labels_of(ctx, "c1"), "cart");
    const char *const *labels;
    size_t n;
    um_revision fake = *a1;
    PGTEST_CHECK_RC(ctx, um_revision_branch_labels(&labels, &n, ctx, &fake), UM_EINVAL);

    char *json = um_revision_to_json(a1);
    ck_assert_ptr_nonnull(json);
    ck_assert_msg(strstr(json, "\"branch_labels\": [\n    \"audit\",\n    \"ledger\"\n  ]"), "%s",
                  json);
    ck_assert_msg(strstr(json, "\"has_dependents\": true"), "%s", json);
    um_free(json);

    um_generate_options g = UM_GENERATE_OPTIONS_INIT;
    const char *const taken[] = { "cart" }, *const fresh[] = { "billing" };
    g.message = "bill";
    g.head = "b1";
    g.branch_labels = taken;
    g.n_branch_labels = 1;
    PGTEST_CHECK_RC(ctx, um_generate(NULL, ctx, &g), UM_EINVAL);
    ck_assert_str_eq(um_errmsg(ctx), "branch label 'cart' is already used by revision c1");
    g.branch_labels = fresh;
    g.depends_on = taken;
    g.n_depends_on = 1;
    char *path = NULL;
    PGTEST_CHECK_OK(ctx, um_generate(&path, ctx, &g));
    char *text = pgtest_read_file(path, NULL);
    ck_assert_msg(strstr(text, "-- Depends On: cart\n-- Branch Labels: billing\n"), "%s", text);
    free(text);
    um_free(path);
    um_close(ctx);

    pgtest_cli_result r = run_in_project((const char *const[]){
        "generate", "more", "--head", "billing@head", "--branch-label", "x2", NULL });
    pgtest_assert_status(r, 0, "generate --branch-label");
    pgtest_cli_result_free(&r);
    r = run_in_project((const char *const[]){ "heads", NULL });
    ASSERT_HAS(r.out, " (billing, x2) (head)\n");
    pgtest_cli_result_free(&r);
}
END_TEST

/* A version row that no file defines: every command that writes refuses,
 * naming it and the way out, and the database stays as it was. */
START_TEST(foreign_unknown_head_refused)
{
    pgtest_write_linear_revisions(proj_dir, 2);
    pgtest_write_ini(proj_dir, "ultramigrate.ini", "10s", "version_table = alembic_version\n");
    sql("CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY);"
        " INSERT INTO alembic_version VALUES ('ffff0000');");
    const char *before = pgtest_keep(pgtest_schema_fingerprint(db_url));
    for (int i = 0; i < 2; i++) {
        const char *argv[] = { i ? "stamp" : "upgrade", i ? "heads" : NULL, NULL };
        pgtest_cli_result r = run_in_project(argv);
        pgtest_assert_status(r, 9, argv[0]);
        ASSERT_HAS(r.err, "ffff0000");
        ASSERT_HAS(r.err, "import-alembic");
        ASSERT_HAS(r.err, "stamp --purge REV");
        pgtest_cli_result_free(&r);
    }
    ck_assert_str_eq(pgtest_keep(pgtest_schema_fingerprint(db_url)), before);
    /* the way out without the files: stamp --purge forgets the row */
    pgtest_cli_result r = run_in_project((const char *const[]){ "stamp", "--purge", "r1", NULL });
    pgtest_assert_status(r, 0, "stamp --purge r1");
    pgtest_cli_result_free(&r);
    ck_assert_str_eq(qv("SELECT string_agg(version_num, ',') FROM alembic_version"), "r1");
    ck_assert_str_eq(qv("SELECT string_agg(revision, ',') FROM alembic_version_applied"), "r1");
}
END_TEST

static Suite *alembic_suite(void)
{
    Suite *s = suite_create("alembic");
    TCase *tc = tcase(s, "downgrade");
    tcase_add_loop_test(tc, downgrade_removes_what_alembic_removes, 0,
                        (int)(sizeof(scenarios) / sizeof(scenarios[0])));
    PGTEST_ADD_TESTS(tcase(s, "targets"), upgrade_to_applied_ancestor_is_a_no_op,
                     downgrade_to_base_plus_n, foreign_unknown_head_refused);
    TCase *tc_import = pgtest_add_tcase(s, "import", setup, teardown, 120);
    PGTEST_ADD_TESTS(tc_import, import_writes_what_alembic_would_run,
                     import_keeps_existing_files_and_checks_the_graph, import_keeps_the_sql_whole,
                     import_refuses_ids_it_cannot_keep, alembic_database_taken_over,
                     adoption_keeps_alembic_version_rows);
    /* tagged: meson runs the longest groups beside the rest */
    TCase *tc_labels = pgtest_add_tcase(s, "labels", setup, teardown, 120);
    tcase_set_tags(tc_labels, "labels");
    TCase *tc_steps = pgtest_add_tcase(s, "steps", setup, teardown, 180);
    tcase_set_tags(tc_steps, "steps");
    tcase_add_loop_test(tc_steps, steps_as_alembic, 0,
                        (int)(sizeof(steps_scenarios) / sizeof(steps_scenarios[0])));
    PGTEST_ADD_TESTS(tc_labels, labels_shown_as_alembic_shows_them,
                     labels_move_the_database_as_alembic_does, labels_through_the_api,
                     history_ranges_as_alembic, stamp_as_alembic);
    return s;
}

int main(void)
{
    Suite *s = alembic_suite();
    if (have_alembic())
        runner_start();
    int rc = pgtest_run_pg_suite(s);
    runner_stop();
    return rc;
}
