/*
 * check_preview.c - seeing a run before it happens: the offline SQL of
 * upgrade/downgrade --sql (applied with the real psql, it must leave what
 * the run leaves) and dry runs that execute and roll back (the catalog and
 * the bookkeeping tables byte for byte as they were, the locks named, the
 * failure placed).
 */
#define PGTEST_SHORT_NAMES
#include "pgtest.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "pg.h"
#include "strbuf.h"
#include "util.h"

#define PSQL "/usr/lib/postgresql/15/bin/psql"

enum {
    EXIT_OK = 0,
    EXIT_ERROR = 1,
    EXIT_USAGE = 2,
    EXIT_REVISIONS = 4,
    EXIT_TARGET = 5,
    EXIT_MIGRATION = 8
};

#define run_cli(dir, env_url, ...)                                                                 \
    pgtest_run_cli((dir), (env_url), (const char *const[]){ __VA_ARGS__, NULL })

/* ---- helpers ---------------------------------------------------------- */

/* Runs psql -v ON_ERROR_STOP=1 -f @file on @url; its exit status (its
 * stderr in @dir/psql.err). */
static int run_psql(const char *url, const char *file)
{
    const char *err = pgtest_fmt("%s/psql.err", proj_dir);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        int efd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (null < 0 || efd < 0)
            _exit(126);
        dup2(null, STDOUT_FILENO);
        dup2(efd, STDERR_FILENO);
        execl(PSQL, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", file,
              (char *)NULL);
        _exit(127);
    }
    return pgtest_wait_child(pid);
}

static const char *psql_err(void)
{
    char *text = pgtest_read_file(pgtest_fmt("%s/psql.err", proj_dir), NULL);
    return text ? pgtest_keep(text) : "";
}

/* The catalog: the fingerprint without the rows of the bookkeeping
 * tables, whose times and hosts differ from one database to another (they
 * come last, over several lines each). */
static const char *catalog(const char *url)
{
    char *fp = pgtest_schema_fingerprint(url);
    char *rows = strstr(fp, "\nrows ");
    if (rows)
        rows[1] = '\0';
    return pgtest_keep(fp);
}

/* What the bookkeeping records of a run, without times and hosts. */
static const char *bookkeeping(const char *url)
{
    return pgtest_fmt(
        "versions %s\napplied %s\nhistory %s\n", pgtest_versions(url),
        pgtest_query_text(url, "SELECT string_agg(revision || ':' || checksum || ':' || state,"
                               " ',' ORDER BY revision) FROM ultramigrate_version_applied"),
        pgtest_history(url));
}

/* The bookkeeping tables whole, every column, byte for byte. */
static const char *tables_dump(const char *url)
{
    const char *tables[] = { "ultramigrate_version", "ultramigrate_version_applied",
                             "ultramigrate_version_history" };
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < 3; i++)
        sb_printf(&sb, "%s:\n%s\n", tables[i],
                  pgtest_query_text(url,
                                    "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text"
                                    " COLLATE \"C\"), '') FROM %s t",
                                    tables[i]));
    return pgtest_keep(sb_detach(&sb));
}

/* Writes the script of @argv (a CLI run that must succeed) to @name. */
static const char *render_to(const char *name, const char *url, const char *const argv[])
{
    pgtest_cli_result r = pgtest_run_cli(proj_dir, url, argv);
    pgtest_assert_status(r, EXIT_OK, "render");
    pgtest_write_file(proj_dir, name, r.out);
    pgtest_cli_result_free(&r);
    return pgtest_fmt("%s/%s", proj_dir, name);
}

/* r1: a table (quotes and a backslash in its data); r2: Transactional: no,
 * two indexes built concurrently; r3: a column and a row. */
static void write_project(void)
{
    write_ini("lock_timeout = 5s\nstatement_timeout = 60s\nlint_on_upgrade = off\n");
    write_rev("r1", NULL,
              "CREATE TABLE t1 (id bigint PRIMARY KEY, v text);\n"
              "INSERT INTO t1 VALUES (1, 'it''s a\\b');",
              "DROP TABLE t1;");
    write_rev_full("r2", "r1", 0,
                   "CREATE INDEX CONCURRENTLY i_a ON t1 (v);\n"
                   "CREATE INDEX CONCURRENTLY i_b ON t1 (v, id);",
                   "DROP INDEX CONCURRENTLY i_b;\nDROP INDEX CONCURRENTLY i_a;");
    write_rev("r3", "r2", "ALTER TABLE t1 ADD COLUMN w int;\nCREATE TABLE t3 (id bigint);",
              "DROP TABLE t3;\nALTER TABLE t1 DROP COLUMN w;");
}

/* A second fresh database, dropped by the caller. */
static char *other_db(void)
{
    return pgtest_create_database();
}

static void cli_ok(const char *url, const char *const argv[])
{
    pgtest_cli_result r = pgtest_run_cli(proj_dir, url, argv);
    pgtest_assert_status(r, EXIT_OK, argv[0]);
    pgtest_cli_result_free(&r);
}

#define CLI_OK(url, ...) cli_ok((url), (const char *const[]){ __VA_ARGS__, NULL })

/* Asserts texts @a and @b are equal, showing the first line that differs
 * (a whole catalog is too long for Check's message). */
static void assert_same_text(const char *what, const char *a, const char *b)
{
    size_t i = 0, line = 0;
    while (a[i] && a[i] == b[i])
        i++;
    if (!a[i] && !b[i])
        return;
    while (i > 0 && a[i - 1] != '\n')
        i--;
    for (size_t k = 0; k < i; k++)
        line += a[k] == '\n';
    ck_abort_msg("%s differ at line %zu:\n  %.300s\nvs\n  %.300s", what, line + 1, a + i, b + i);
}

/* Asserts @url and @other_url hold the same catalog and bookkeeping. */
static void assert_same(const char *url, const char *other_url)
{
    assert_same_text("catalogs", catalog(url), catalog(other_url));
    assert_same_text("bookkeeping", bookkeeping(url), bookkeeping(other_url));
}

/* ---- offline SQL ------------------------------------------------------ */

/* --from base renders without any database (no URL anywhere), and psql
 * applying it leaves what upgrade leaves. */
START_TEST(sql_from_base_reproduces_upgrade)
{
    write_project();
    const char *file = render_to(
        "up.sql", NULL, (const char *const[]){ "upgrade", "--sql", "--from", "base", NULL });
    const char *script = pgtest_keep(pgtest_read_file(file, NULL));
    ck_assert_ptr_nonnull(strstr(script, "SELECT set_config('lock_timeout', '5000ms', true);"));
    ck_assert_ptr_nonnull(strstr(script, "SELECT set_config('lock_timeout', '5000ms', false);"));
    ck_assert_ptr_nonnull(strstr(script, "EXECUTE ultramigrate_book_progress ('r2'"));
    ck_assert_int_eq(run_psql(db_url, file), 0);
    /* a database that does not answer is not even tried */
    pgtest_cli_result dead =
        run_cli(proj_dir, NULL, "-d", dead_url(), "upgrade", "--sql", "--from", "base");
    pgtest_assert_status(dead, EXIT_OK, "--from with a dead URL");
    ck_assert_str_eq(dead.out, script);
    pgtest_cli_result_free(&dead);
    char *other = other_db();
    CLI_OK(other, "upgrade");
    assert_same(db_url, other);
    ck_assert_str_eq(qv("SELECT v FROM t1"), "it's a\\b");
    ck_assert_str_eq(pgtest_history(db_url), "r1:up:ok,r2:up:ok,r3:up:ok");
    pgtest_drop_database(other);
    free(other);
}
END_TEST

/* Online: the state read from the database; --sql changes nothing there,
 * takes no lock (it runs while another session holds it), and its script
 * continues from where the database is. */
START_TEST(sql_online_changes_nothing)
{
    write_project();
    char *other = other_db();
    CLI_OK(db_url, "upgrade", "r1");
    CLI_OK(other, "upgrade", "r1");
    const char *cat = catalog(db_url), *dump = tables_dump(db_url);
    const char *key = "public.ultramigrate_version";
    long long lock = (long long)util_fnv1a(UTIL_FNV1A_INIT, key, strlen(key));
    PGconn *holder = PQconnectdb(db_url);
    ck_assert_int_eq(PQstatus(holder), CONNECTION_OK);
    PQclear(PQexec(holder, pgtest_fmt("SELECT pg_advisory_lock(%lld)", lock)));

    const char *file =
        render_to("up.sql", db_url, (const char *const[]){ "upgrade", "--sql", NULL });
    assert_same_text("catalogs", catalog(db_url), cat);
    assert_same_text("bookkeeping tables", tables_dump(db_url), dump);
    const char *script = pgtest_keep(pgtest_read_file(file, NULL));
    ck_assert_ptr_null(strstr(script, "CREATE TABLE IF NOT EXISTS")); /* the tables are there */
    ck_assert_ptr_null(strstr(script, "step_up ('r1'"));              /* applied already */
    PQfinish(holder);

    ck_assert_int_eq(run_psql(db_url, file), 0);
    CLI_OK(other, "upgrade");
    assert_same(db_url, other);
    pgtest_drop_database(other);
    free(other);
}
END_TEST

/* downgrade --sql, online and from a stated state, against downgrade. */
START_TEST(sql_downgrade_reproduces_downgrade)
{
    write_project();
    char *other = other_db();
    CLI_OK(db_url, "upgrade");
    CLI_OK(other, "upgrade");
    const char *file =
        render_to("down.sql", db_url, (const char *const[]){ "downgrade", "r1", "--sql", NULL });
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:ok,r3:up:ok");
    ck_assert_int_eq(run_psql(db_url, file), 0);
    CLI_OK(other, "downgrade", "r1");
    assert_same(db_url, other);
    ck_assert_str_eq(versions(), "r1");

    /* the rest of the way down, rendered with no database at all */
    file = render_to("base.sql", NULL,
                     (const char *const[]){ "downgrade", "base", "--sql", "--from", "r1", NULL });
    ck_assert_int_eq(run_psql(db_url, file), 0);
    CLI_OK(other, "downgrade", "base");
    assert_same(db_url, other);
    ASSERT_NO_TABLE("t1");
    pgtest_drop_database(other);
    free(other);
}
END_TEST

/* transaction_per_migration = false: one transaction around the whole
 * script; a "Transactional: no" revision is refused as a run refuses it. */
START_TEST(sql_single_transaction)
{
    write_ini("transaction_per_migration = false\nlint_on_upgrade = off\n");
    write_table_rev("a1", NULL, "ta");
    write_table_rev("a2", "a1", "tb");
    const char *file = render_to(
        "up.sql", NULL, (const char *const[]){ "upgrade", "--sql", "--from", "base", NULL });
    const char *script = pgtest_keep(pgtest_read_file(file, NULL));
    const char *begin = strstr(script, "BEGIN;");
    ck_assert_ptr_nonnull(begin);
    ck_assert_ptr_null(strstr(begin + 1, "BEGIN;"));
    ck_assert_int_eq(run_psql(db_url, file), 0);
    char *other = other_db();
    CLI_OK(other, "upgrade");
    assert_same(db_url, other);
    pgtest_drop_database(other);
    free(other);

    write_rev_full("a3", "a2", 0, "CREATE INDEX CONCURRENTLY i ON ta (id);", NULL);
    pgtest_cli_result r = run_cli(proj_dir, NULL, "upgrade", "--sql", "--from", "a2");
    pgtest_assert_status(r, EXIT_ERROR, "non-transactional in one transaction");
    ck_assert_ptr_nonnull(strstr(r.err, "a3.sql"));
    ck_assert_str_eq(r.out, "");
    pgtest_cli_result_free(&r);
}
END_TEST

/* A script that fails half-way stops there (ON_ERROR_STOP) with the
 * revision that failed rolled back and unrecorded, as a run leaves it. */
START_TEST(sql_failure_stops_like_a_run)
{
    write_ini("lint_on_upgrade = off\n");
    write_table_rev("b1", NULL, "tb1");
    write_rev("b2", "b1", "CREATE TABLE tb2 (id int);\nINSERT INTO missing VALUES (1);", NULL);
    const char *file = render_to(
        "up.sql", NULL, (const char *const[]){ "upgrade", "--sql", "--from", "base", NULL });
    ck_assert_int_ne(run_psql(db_url, file), 0);
    ck_assert_ptr_nonnull(strstr(psql_err(), "missing"));
    ck_assert_str_eq(versions(), "b1");
    ck_assert_str_eq(history(), "b1:up:ok");
    ASSERT_NO_TABLE("tb2");
}
END_TEST

/* A script stopped inside a "Transactional: no" revision leaves what a run
 * leaves: the revision in progress with the statements that succeeded
 * counted, and every later run refused until it is repaired. */
START_TEST(sql_half_done_nontransactional_blocks)
{
    write_ini("lint_on_upgrade = off\n");
    write_table_rev("h1", NULL, "th1");
    write_rev_full("h2", "h1", 0,
                   "CREATE INDEX CONCURRENTLY i_h ON th1 (id);\nINSERT INTO missing VALUES (1);",
                   "DROP INDEX CONCURRENTLY IF EXISTS i_h;");
    const char *file = render_to(
        "up.sql", NULL, (const char *const[]){ "upgrade", "--sql", "--from", "base", NULL });
    ck_assert_int_ne(run_psql(db_url, file), 0);
    ck_assert_str_eq(applied_rows(), "h1:applied,h2:in_progress");
    ck_assert_str_eq(qv("SELECT statements_done FROM ultramigrate_version_applied"
                        " WHERE revision = 'h2'"),
                     "1");
    pgtest_cli_result r = run_cli(proj_dir, db_url, "upgrade");
    pgtest_assert_status(r, 9, "upgrade after a half-done script");
    ck_assert_ptr_nonnull(strstr(r.err, "ultramigrate repair h2"));
    pgtest_cli_result_free(&r);
}
END_TEST

/* A line break in a file name stays inside the comment that names it. */
START_TEST(sql_comment_holds_a_file_name)
{
    write_ini("lint_on_upgrade = off\n");
    pgtest_write_file(proj_dir, "migrations/versions/f1\nSELECT 1 FROM nowhere;.sql",
                      "-- f1\n--\n-- Revision ID: f1\n-- Revises:\n\n-- migrate:up\n"
                      "CREATE TABLE tf (id int);\n");
    const char *file = render_to(
        "up.sql", NULL, (const char *const[]){ "upgrade", "--sql", "--from", "base", NULL });
    ck_assert_msg(run_psql(db_url, file) == 0, "%s", psql_err());
    ASSERT_TABLE("tf");
}
END_TEST

/* An unterminated string would swallow the rest of the script: refused,
 * at its line, as a run refuses it. */
START_TEST(sql_refuses_an_unterminated_string)
{
    write_ini("lint_on_upgrade = off\n");
    write_table_rev("g1", NULL, "tg1");
    write_rev("g2", "g1", "SELECT 1;\nSELECT 'never closed;", NULL);
    pgtest_cli_result r = run_cli(proj_dir, NULL, "upgrade", "--sql", "--from", "base");
    pgtest_assert_status(r, EXIT_REVISIONS, "unterminated");
    ck_assert_ptr_nonnull(
        strstr(r.err, pgtest_fmt("%s:%d", rev_path("g2"), line_of("g2", "'never"))));
    ck_assert_str_eq(r.out, "");
    pgtest_cli_result_free(&r);
}
END_TEST

/* Offline SQL refuses what a run refuses (the same check), with file and
 * line: transaction control in a transactional revision, DISCARD. */
START_TEST(sql_refuses_what_a_run_refuses)
{
    static const char *const bodies[] = { "rollback;", "COMMIT;",      "abort;",
                                          "BEGIN;",    "discard all;", "DEALLOCATE ALL;" };
    write_ini("lint_on_upgrade = off\n");
    for (size_t i = 0; i < sizeof(bodies) / sizeof(*bodies); i++) {
        write_rev("h1", NULL, pgtest_fmt("create table sq1(i int);\n%s", bodies[i]),
                  pgtest_fmt("drop table sq1;\n%s", bodies[i]));
        pgtest_cli_result r = run_cli(proj_dir, NULL, "upgrade", "--sql", "--from", "base");
        pgtest_assert_status(r, EXIT_REVISIONS, bodies[i]);
        ck_assert_msg(strstr(r.err, pgtest_fmt("%s:%d", rev_path("h1"), line_of("h1", bodies[i]))),
                      "%s", r.err);
        ck_assert_msg(strstr(r.err, "nothing was run"), "%s", r.err);
        ck_assert_str_eq(r.out, "");
        pgtest_cli_result_free(&r);
        r = run_cli(proj_dir, NULL, "downgrade", "base", "--sql", "--from", "h1");
        pgtest_assert_status(r, EXIT_REVISIONS, bodies[i]);
        ck_assert_str_eq(r.out, "");
        pgtest_cli_result_free(&r);
    }
}
END_TEST

START_TEST(sql_bad_command_lines)
{
    write_project();
    struct {
        const char *const argv[6];
        int status;
        const char *says;
    } cases[] = {
        { { "upgrade", "--from", "base" }, EXIT_USAGE, "--from goes with --sql" },
        { { "upgrade", "--sql", "--dry-run" }, EXIT_USAGE, "exclude each other" },
        { { "downgrade", "r1", "--sql", "--dry-run" }, EXIT_USAGE, "exclude each other" },
        { { "upgrade", "--sql", "--json" }, EXIT_USAGE, "leave out --json" },
        { { "upgrade", "--sql", "--from", "nosuch" }, EXIT_TARGET, "nosuch" },
        { { "downgrade", "r2", "--sql", "--from", "r1" }, EXIT_TARGET, "not applied" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pgtest_cli_result r = pgtest_run_cli(proj_dir, NULL, cases[i].argv);
        pgtest_assert_status(r, cases[i].status, cases[i].says);
        ck_assert_msg(strstr(r.err, cases[i].says), "case %zu: %s", i, r.err);
        pgtest_cli_result_free(&r);
    }
}
END_TEST

/* A script that does not reach its file (a full disk: /dev/full) is a
 * failure that says why, not a success with half a script; so is any
 * other output that cannot be written. */
START_TEST(sql_output_to_a_full_disk)
{
    write_project();
    const char *cmds[] = { "upgrade --sql --from base", "--json heads",
                           pgtest_fmt("-d '%s' status", db_url) };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        const char *cmd = pgtest_fmt("cd '%s' && '%s' %s > /dev/full 2> full.err", proj_dir,
                                     pgtest_env("UM_CLI"), cmds[i]);
        int status = system(cmd);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == EXIT_ERROR, "%s: status %d",
                      cmds[i], status);
        const char *err = pgtest_keep(pgtest_read_file(pgtest_fmt("%s/full.err", proj_dir), NULL));
        ck_assert_msg(strstr(err, "cannot write to standard output: No space left on device"),
                      "%s: %s", cmds[i], err);
        ck_assert_msg(!strstr(err, "Rendered"), "%s: %s", cmds[i], err);
    }
}
END_TEST

/* Quoting without a connection is libpq's with one. */
START_TEST(sql_offline_quoting_matches_libpq)
{
    write_project();
    um_ctx *offline = NULL;
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    o.config_path = ini_path;
    ck_assert_int_eq(um_open(&offline, &o), UM_OK);
    um_ctx *online = open_engine();
    um_plan *plan = NULL;
    PGTEST_CHECK_OK(online, um_plan_create(&plan, online, UM_UP, "heads")); /* connects */
    const char *samples[] = { "plain", "it's", "back\\slash", "both '\\", "\xc3\xa9t\xc3\xa9",
                              "\"q\"" };
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        strbuf a = STRBUF_INIT, b = STRBUF_INIT;
        ck_assert(pg_append_literal(offline, &a, samples[i]));
        ck_assert(pg_append_literal(online, &b, samples[i]));
        ck_assert_str_eq(sb_str(&a), sb_str(&b));
        sb_reset(&a);
        sb_reset(&b);
        ck_assert(pg_append_ident(offline, &a, samples[i]));
        ck_assert(pg_append_ident(online, &b, samples[i]));
        ck_assert_str_eq(sb_str(&a), sb_str(&b));
        sb_free(&a);
        sb_free(&b);
    }
    strbuf bad = STRBUF_INIT;
    ck_assert(!pg_append_literal(offline, &bad, "\xc3("));
    ck_assert_ptr_nonnull(strstr(um_errmsg(offline), "UTF-8"));
    sb_free(&bad);
    um_plan_free(plan);
    um_close(online);
    um_close(offline);
}
END_TEST

START_TEST(sql_api_arguments)
{
    write_project();
    um_ctx *ctx = open_engine(), *other = open_engine();
    um_plan *plan = NULL, *foreign = NULL;
    char *text = (char *)"untouched";
    const char *from[] = { "r1" };
    PGTEST_CHECK_OK(ctx, um_plan_create_from(&plan, ctx, UM_UP, "heads", from, 1));
    ck_assert_uint_eq(um_plan_step_count(plan), 2);
    PGTEST_CHECK_OK(other, um_plan_create_from(&foreign, other, UM_UP, "heads", NULL, 0));
    PGTEST_CHECK_RC(ctx, um_plan_render_sql(&text, ctx, foreign, NULL), UM_EINVAL);
    ck_assert_ptr_null(text);
    PGTEST_CHECK_RC(ctx, um_plan_render_sql(NULL, ctx, plan, NULL), UM_EINVAL);
    um_plan_render_sql_options bad = { 99, 1 };
    PGTEST_CHECK_RC(ctx, um_plan_render_sql(&text, ctx, plan, &bad), UM_EVERSION);
    ck_assert_int_eq(um_plan_render_sql_options_init(&bad, 99), UM_EINVAL);
    um_plan_free(foreign);
    PGTEST_CHECK_RC(ctx, um_plan_create_from(&foreign, ctx, UM_UP, "heads", NULL, 1), UM_EINVAL);
    ck_assert_ptr_null(foreign);

    um_plan_render_sql_options plain;
    ck_assert_int_eq(um_plan_render_sql_options_init(&plain, UM_PLAN_RENDER_SQL_OPTIONS_VERSION),
                     UM_OK);
    plain.comments = 0;
    PGTEST_CHECK_OK(ctx, um_plan_render_sql(&text, ctx, plan, &plain));
    ck_assert_ptr_null(strstr(text, "--"));
    ck_assert_ptr_nonnull(strstr(text, "EXECUTE ultramigrate_book_step_up ('r3', ARRAY['r2']"));
    ck_assert_ptr_null(strstr(text, "step_up ('r1'"));
    um_free(text);
    um_plan_free(plan);
    um_close(ctx);
    um_close(other);
}
END_TEST

/* A version table another tool (Alembic) left: a run would adopt it
 * first, which a script cannot show; --from still renders. */
START_TEST(sql_refuses_a_database_to_adopt)
{
    write_project();
    sql("CREATE TABLE ultramigrate_version (version_num varchar(32) PRIMARY KEY);"
        "INSERT INTO ultramigrate_version VALUES ('r1')");
    const char *cat = catalog(db_url);
    pgtest_cli_result r = run_cli(proj_dir, db_url, "upgrade", "--sql");
    pgtest_assert_status(r, EXIT_ERROR, "adoption");
    ck_assert_ptr_nonnull(strstr(r.err, "another tool"));
    ck_assert_str_eq(r.out, "");
    pgtest_cli_result_free(&r);
    assert_same_text("catalogs", catalog(db_url), cat);
    ck_assert_str_eq(versions(), "r1");
    r = run_cli(proj_dir, NULL, "upgrade", "--sql", "--from", "r1");
    pgtest_assert_status(r, EXIT_OK, "adoption, --from");
    pgtest_cli_result_free(&r);
}
END_TEST

/* The schema of table @name in @url ("" when there is none). */
static const char *schema_of(const char *url, const char *name)
{
    return pgtest_query_text(url,
                             "SELECT coalesce(string_agg(schemaname, ','), '') FROM pg_tables"
                             " WHERE tablename = '%s'",
                             name);
}

/* A run puts back a setting a revision SETs (not LOCAL), or sets with
 * set_config(..., false), once the revision is done: the script does so
 * too, in a transactional revision's transaction and after a
 * "Transactional: no" one, so that the next revision's tables land where
 * the run puts them. */
START_TEST(sql_puts_settings_back)
{
    write_ini("lint_on_upgrade = off\n");
    write_rev("s1", NULL,
              "CREATE SCHEMA audit;\nSET search_path = audit;\nCREATE TABLE a1 (id int);", NULL);
    write_rev("s2", "s1", "CREATE TABLE t2 (id int);", NULL);
    write_rev_full("s3", "s2", 0, "SET search_path = audit;\nCREATE TABLE a3 (id int);", NULL);
    write_rev("s4", "s3", "CREATE TABLE t4 (id int);", NULL);
    write_rev("s5", "s4",
              "SELECT set_config('search_path', 'audit', false);\nCREATE TABLE a5 (id int);", NULL);
    write_rev("s6", "s5", "CREATE TABLE t6 (id int);", NULL);
    const char *file = render_to(
        "up.sql", NULL, (const char *const[]){ "upgrade", "--sql", "--from", "base", NULL });
    const char *script = pgtest_keep(pgtest_read_file(file, NULL));
    ck_assert_ptr_nonnull(strstr(script, "SELECT set_config('search_path', NULL, false);\n"
                                         "EXECUTE ultramigrate_book_step_up ('s1'"));
    ck_assert_int_eq(run_psql(db_url, file), 0);
    char *other = other_db();
    CLI_OK(other, "upgrade");
    assert_same(db_url, other);
    const char *const tables[] = { "a1", "t2", "a3", "t4", "a5", "t6" };
    for (size_t i = 0; i < 6; i++) {
        ck_assert_str_eq(schema_of(db_url, tables[i]), tables[i][0] == 'a' ? "audit" : "public");
        ck_assert_str_eq(schema_of(other, tables[i]), tables[i][0] == 'a' ? "audit" : "public");
    }
    pgtest_drop_database(other);
    free(other);
}
END_TEST

/* A 'Transactional: no' revision that becomes a role with no right to the
 * bookkeeping tables: the script records its progress as the script's
 * role, as a run does (psql stopped at the first record, permission
 * denied, the revision left in progress). */
START_TEST(sql_progress_after_set_role)
{
    sql("DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'um_test_low')"
        " THEN CREATE ROLE um_test_low; END IF; END$$");
    write_ini("lint_on_upgrade = off\n");
    write_rev_full("w1", NULL, 0, "SET ROLE um_test_low;\nSELECT 1;\nSELECT 2;", NULL);
    write_rev("w2", "w1", "CREATE TABLE t2 AS SELECT current_user AS who;", NULL);
    const char *file = render_to(
        "up.sql", NULL, (const char *const[]){ "upgrade", "--sql", "--from", "base", NULL });
    ck_assert_int_eq(run_psql(db_url, file), 0);
    ck_assert_str_eq(qv("SELECT string_agg(revision || ':' || state || ':' || statements_done,"
                        " ',' ORDER BY revision) FROM ultramigrate_version_applied"),
                     "w1:applied:0,w2:applied:0");
    ck_assert_str_eq(qv("SELECT who FROM t2"), qv("SELECT current_user"));
}
END_TEST

/* ---- dry runs --------------------------------------------------------- */

/* r4 alters t1, drops t1's neighbour and creates t4; r5 is not transactional. */
static void write_dry_project(void)
{
    write_project();
    write_rev("r4", "r3",
              "ALTER TABLE t1 ADD COLUMN x int;\nDROP TABLE t3;\nCREATE TABLE t4 (id bigint);",
              "DROP TABLE t4;\nCREATE TABLE t3 (id bigint);\nALTER TABLE t1 DROP COLUMN x;");
    write_rev_full("r5", "r4", 0, "CREATE INDEX CONCURRENTLY i_x ON t1 (x);", "DROP INDEX i_x;");
}

static json_t *revision_of(json_t *doc, size_t i)
{
    json_t *o = json_array_get(json_object_get(doc, "revisions"), i);
    ck_assert_ptr_nonnull(o);
    return o;
}

static const char *locks_of(json_t *o)
{
    json_t *a = json_object_get(o, "locks");
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < json_array_size(a); i++)
        sb_printf(&sb, "%s%s", i ? "," : "", json_string_value(json_array_get(a, i)));
    sb_puts(&sb, "");
    return pgtest_keep(sb_detach(&sb));
}

/* The revisions run and roll back: the catalog and the bookkeeping
 * tables are byte for byte as they were; each revision's locks named. */
START_TEST(dry_run_changes_nothing_and_names_locks)
{
    write_dry_project();
    CLI_OK(db_url, "upgrade", "r3");
    const char *fp = pgtest_keep(pgtest_schema_fingerprint(db_url)), *dump = tables_dump(db_url);

    pgtest_cli_result r = run_cli(proj_dir, db_url, "upgrade", "--dry-run", "--json");
    pgtest_assert_status(r, EXIT_OK, "dry run");
    json_t *doc = pgtest_json_parse(r.out);
    ck_assert(json_is_true(json_object_get(doc, "ok")));
    ck_assert_uint_eq(json_array_size(json_object_get(doc, "revisions")), 2);
    json_t *r4 = revision_of(doc, 0), *r5 = revision_of(doc, 1);
    ck_assert_str_eq(jstr(r4, "revision"), "r4");
    ck_assert_str_eq(jstr(r4, "result"), "ok");
    ck_assert_str_eq(locks_of(r4), "public.t1,public.t3,public.t4");
    ck_assert_str_eq(jstr(r5, "result"), "not_tried");
    ck_assert_ptr_nonnull(strstr(jstr(r5, "reason"), "Transactional: no"));
    json_decref(doc);
    pgtest_cli_result_free(&r);

    assert_same_text("fingerprints", pgtest_keep(pgtest_schema_fingerprint(db_url)), fp);
    assert_same_text("bookkeeping tables", tables_dump(db_url), dump);
    ck_assert_str_eq(history(), "r1:up:ok,r2:up:ok,r3:up:ok");

    /* as text: one line a revision */
    r = run_cli(proj_dir, db_url, "upgrade", "--dry-run");
    pgtest_assert_status(r, EXIT_OK, "dry run, text");
    ck_assert_ptr_nonnull(strstr(r.out, "ok         r4"));
    ck_assert_ptr_nonnull(strstr(r.out, "AccessExclusiveLock: public.t1, public.t3, public.t4"));
    ck_assert_ptr_nonnull(strstr(r.out, "not tried  r5"));
    pgtest_cli_result_free(&r);
    assert_same_text("bookkeeping tables", tables_dump(db_url), dump);
}
END_TEST

/* A fresh database stays empty: not even the bookkeeping tables. */
START_TEST(dry_run_on_a_fresh_database)
{
    write_project();
    const char *fp = pgtest_keep(pgtest_schema_fingerprint(db_url));
    pgtest_cli_result r = run_cli(proj_dir, db_url, "upgrade", "--dry-run");
    pgtest_assert_status(r, EXIT_OK, "dry run");
    ck_assert_ptr_nonnull(strstr(r.out, "ok         r1"));
    ck_assert_ptr_nonnull(strstr(r.out, "AccessExclusiveLock: public.t1, public.t1_pkey"));
    /* r3 alters t1 although r2 was not tried: it still runs */
    ck_assert_ptr_nonnull(strstr(r.out, "ok         r3"));
    pgtest_cli_result_free(&r);
    assert_same_text("fingerprints", pgtest_keep(pgtest_schema_fingerprint(db_url)), fp);
    ASSERT_NO_TABLE("ultramigrate_version");
    ASSERT_NO_TABLE("t1");
}
END_TEST

/* A revision that fails: its file, line and SQLSTATE; the ones after it
 * not tried; exit 8; nothing changed, no history row. */
START_TEST(dry_run_failure_reported)
{
    write_ini("lint_on_upgrade = off\n");
    write_table_rev("c1", NULL, "tc1");
    write_rev("c2", "c1", "CREATE TABLE tc2 (id int);\nINSERT INTO nowhere VALUES (1);", NULL);
    write_table_rev("c3", "c2", "tc3");
    CLI_OK(db_url, "upgrade", "c1");
    const char *fp = pgtest_keep(pgtest_schema_fingerprint(db_url)), *dump = tables_dump(db_url);

    pgtest_cli_result r = run_cli(proj_dir, db_url, "upgrade", "--dry-run", "--json");
    pgtest_assert_status(r, EXIT_MIGRATION, "failing dry run");
    int line = line_of("c2", "INSERT INTO nowhere");
    ck_assert_ptr_nonnull(strstr(r.err, pgtest_fmt("%s:%d", rev_path("c2"), line)));
    ck_assert_ptr_nonnull(strstr(r.err, "42P01"));
    json_t *doc = pgtest_json_parse(r.out);
    ck_assert(json_is_false(json_object_get(doc, "ok")));
    json_t *c2 = revision_of(doc, 0), *err = json_object_get(c2, "error");
    ck_assert_str_eq(jstr(c2, "result"), "failed");
    ck_assert_str_eq(jstr(c2, "file"), rev_path("c2"));
    ck_assert_int_eq(json_integer_value(json_object_get(err, "line")), line);
    ck_assert_str_eq(jstr(err, "sqlstate"), "42P01");
    ck_assert_ptr_nonnull(strstr(jstr(err, "message"), "nowhere"));
    ck_assert_str_eq(jstr(revision_of(doc, 1), "result"), "not_tried");
    json_decref(doc);
    pgtest_cli_result_free(&r);
    assert_same_text("fingerprints", pgtest_keep(pgtest_schema_fingerprint(db_url)), fp);
    assert_same_text("bookkeeping tables", tables_dump(db_url), dump);
}
END_TEST

/* Its own COMMIT would make the dry run's work stay: a transactional
 * revision with transaction control is refused before anything runs,
 * naming the file and line, as upgrade refuses it. */
START_TEST(dry_run_skips_transaction_control)
{
    write_ini("lint_on_upgrade = off\n");
    write_table_rev("d1", NULL, "td1");
    write_rev("d2", "d1", "COMMIT;\nCREATE TABLE td2 (id int);", NULL);
    pgtest_cli_result r = run_cli(proj_dir, db_url, "upgrade", "--dry-run");
    pgtest_assert_status(r, EXIT_REVISIONS, "dry run");
    ck_assert_ptr_nonnull(
        strstr(r.err, pgtest_fmt("%s:%d", rev_path("d2"), line_of("d2", "COMMIT;"))));
    ck_assert_ptr_nonnull(strstr(r.err, "nothing was run"));
    pgtest_cli_result_free(&r);
    ASSERT_NO_TABLE("td1");
    ASSERT_NO_TABLE("td2");
}
END_TEST

/* In the dry run's one transaction, a revision's SET would reach the
 * revisions after it: it is put back after the revision, as a run does. */
START_TEST(dry_run_puts_settings_back)
{
    write_ini("lint_on_upgrade = off\n");
    write_rev("p1", NULL,
              "CREATE SCHEMA audit;\nSET search_path = audit;\nCREATE TABLE a1 (id int);", NULL);
    write_rev("p2", "p1", "CREATE TABLE t2 (id int);", NULL);
    pgtest_cli_result r = run_cli(proj_dir, db_url, "upgrade", "--dry-run", "--json");
    pgtest_assert_status(r, EXIT_OK, "dry run");
    json_t *doc = pgtest_json_parse(r.out);
    ck_assert_str_eq(locks_of(revision_of(doc, 0)), "audit.a1");
    ck_assert_str_eq(locks_of(revision_of(doc, 1)), "public.t2");
    json_decref(doc);
    pgtest_cli_result_free(&r);
    ASSERT_NO_TABLE("a1");
}
END_TEST

START_TEST(dry_run_downgrade)
{
    write_dry_project();
    CLI_OK(db_url, "upgrade", "r4");
    const char *fp = pgtest_keep(pgtest_schema_fingerprint(db_url)), *dump = tables_dump(db_url);
    pgtest_cli_result r = run_cli(proj_dir, db_url, "downgrade", "r1", "--dry-run");
    pgtest_assert_status(r, EXIT_OK, "dry run down");
    ck_assert_ptr_nonnull(strstr(r.out, "downgrade to r1"));
    ck_assert_ptr_nonnull(strstr(r.out, "ok         r4"));
    ck_assert_ptr_nonnull(strstr(r.out, "ok         r3  "));
    ck_assert_ptr_nonnull(strstr(r.out, "public.t3"));
    ck_assert_ptr_nonnull(strstr(r.out, "not tried  r2"));
    pgtest_cli_result_free(&r);
    assert_same_text("fingerprints", pgtest_keep(pgtest_schema_fingerprint(db_url)), fp);
    assert_same_text("bookkeeping tables", tables_dump(db_url), dump);
}
END_TEST

/* The API: the result through its accessors; a host built against
 * version 1 of um_apply_options still upgrades for real. */
START_TEST(dry_run_api)
{
    write_dry_project();
    um_ctx *ctx = open_engine();
    um_dry_run_info *info = (um_dry_run_info *)1;
    um_apply_options o = UM_APPLY_OPTIONS_INIT;
    o.dry_run = 1;
    o.dry_run_out = &info;
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r4", &o));
    ck_assert_uint_eq(um_dry_run_step_count(info), 4);
    ck_assert_uint_eq(um_dry_run_failed_count(info), 0);
    const um_dry_run_step *st = um_dry_run_step_at(info, 0);
    ck_assert_str_eq(st->revision, "r1");
    ck_assert_int_eq(st->result, UM_DRY_RUN_OK);
    ck_assert_uint_eq(st->n_locks, 2);
    ck_assert_str_eq(st->locks[0], "public.t1");
    ck_assert_int_eq(um_dry_run_step_at(info, 1)->result, UM_DRY_RUN_NOT_TRIED);
    ck_assert_ptr_null(um_dry_run_step_at(info, 4));
    ck_assert_uint_eq(um_dry_run_step_count(NULL), 0);
    char *json = um_dry_run_info_to_json(info);
    ck_assert_ptr_nonnull(json);
    um_free(json);
    um_dry_run_info_free(info);
    ASSERT_NO_TABLE("t1");

    um_apply_options v1;
    ck_assert_int_eq(um_apply_options_init(&v1, 1), UM_OK);
    ck_assert_int_eq(um_apply_options_init(&v1, 3), UM_EINVAL);
    v1.version = 1;
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r1", &v1));
    ASSERT_TABLE("t1");
    um_apply_options bad = UM_APPLY_OPTIONS_INIT;
    bad.version = 3;
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", &bad), UM_EVERSION);
    um_close(ctx);
}
END_TEST

static void *cancel_soon(void *ctx)
{
    usleep(300 * 1000);
    um_cancel(ctx);
    return NULL;
}

/* um_cancel() while a revision of the dry run runs: UM_ECANCELLED at
 * once, nothing changed. */
START_TEST(dry_run_cancelled)
{
    write_ini("lint_on_upgrade = off\n");
    write_table_rev("e1", NULL, "te1");
    write_rev("e2", "e1", "SELECT pg_sleep(20);", NULL);
    um_ctx *ctx = open_engine();
    um_dry_run_info *info = NULL;
    um_apply_options o = UM_APPLY_OPTIONS_INIT;
    o.dry_run = 1;
    o.dry_run_out = &info;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, cancel_soon, ctx), 0);
    double t0 = pgtest_now_ms();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, NULL, &o), UM_ECANCELLED);
    pthread_join(t, NULL);
    ck_assert_double_lt(pgtest_now_ms() - t0, 10000);
    ck_assert_ptr_null(info);
    ck_assert_str_eq(um_error_detail(ctx)->revision, "e2");
    um_close(ctx);
    ASSERT_NO_TABLE("te1");
    ASSERT_NO_TABLE("ultramigrate_version");
}
END_TEST

/* A file edited after the handle read it: the dry run stops with the
 * run's error, and nothing stays. */
START_TEST(dry_run_file_changed)
{
    write_project();
    um_ctx *ctx = open_engine();
    write_rev("r3", "r2", "CREATE TABLE edited (id int);", NULL);
    um_dry_run_info *info = NULL;
    um_apply_options o = UM_APPLY_OPTIONS_INIT;
    o.dry_run = 1;
    o.dry_run_out = &info;
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, NULL, &o), UM_ECHECKSUM);
    ck_assert_ptr_null(info);
    um_close(ctx);
    ASSERT_NO_TABLE("t1");
    ASSERT_NO_TABLE("edited");
}
END_TEST

static Suite *preview_suite(void)
{
    Suite *s = suite_create("preview");
    PGTEST_ADD_TESTS(
        tcase(s, "sql"), sql_from_base_reproduces_upgrade, sql_online_changes_nothing,
        sql_downgrade_reproduces_downgrade, sql_single_transaction, sql_failure_stops_like_a_run,
        sql_bad_command_lines, sql_output_to_a_full_disk, sql_offline_quoting_matches_libpq,
        sql_api_arguments, sql_refuses_a_database_to_adopt, sql_comment_holds_a_file_name,
        sql_refuses_an_unterminated_string, sql_refuses_what_a_run_refuses,
        sql_half_done_nontransactional_blocks, sql_puts_settings_back, sql_progress_after_set_role);
    PGTEST_ADD_TESTS(tcase(s, "dry_run"), dry_run_changes_nothing_and_names_locks,
                     dry_run_on_a_fresh_database, dry_run_failure_reported,
                     dry_run_skips_transaction_control, dry_run_downgrade, dry_run_api,
                     dry_run_cancelled, dry_run_file_changed, dry_run_puts_settings_back);
    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(preview_suite());
}
