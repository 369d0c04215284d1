/*
 * pgtest.h - the test harness shared by every Check suite.
 *
 * Integration suites run against a real PostgreSQL server: the one named by
 * UM_TEST_DATABASE_URL, or else a throwaway cluster started once per test
 * process by scripts/pg-cluster.sh (initdb + pg_ctl in a temporary
 * directory, as the postgres user when run as root, on a unix socket) and
 * stopped when the process ends.  Each test works in a database of its own.
 */
#ifndef PGTEST_H
#define PGTEST_H

#include <check.h>
#include <jansson.h>
#include <ultramigrate/ultramigrate.h>

#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>

/*
 * Runs @s (CK_NORMAL output, or as CK_VERBOSITY says), appends
 * "PASSED FAILED\n" to the file named by UM_TEST_COUNTS_FILE when set, and
 * returns the process exit status.  Suites that need PostgreSQL use
 * pgtest_run_pg_suite() instead.
 */
int pgtest_run_suite(Suite *s);

/* URL of the server's "postgres" database; starts a cluster if needed. */
const char *pgtest_server_url(void);

/*
 * A dedicated throwaway cluster, for a test whose server stops, restarts
 * or comes up late (the shared one must stay up).  pgtest_dedicated_start()
 * starts it (once) and returns its URL; pgtest_dedicated_ctl() runs pg_ctl
 * @action on it: "stop" (immediate, as a crash), "start", or "restart"
 * (fast: sessions are terminated "due to administrator command"), and
 * returns its exit status; pgtest_dedicated_remove() stops and deletes it
 * (a fixture's teardown calls it).  A watcher process removes it too when
 * the test process dies without teardown.
 */
const char *pgtest_dedicated_start(void);
/* The server binaries, as pg-cluster.sh finds them (PGBIN, else 15). */
const char *pgtest_pg_bindir(void);
int pgtest_dedicated_ctl(const char *action);
void pgtest_dedicated_remove(void);

/*
 * A PgBouncer in transaction mode on 127.0.0.1 in front of the test server
 * (scripts/pgbouncer.sh), started once per process, by the process that
 * runs the suite (an unchecked fixture) so that every test shares it, and
 * stopped by pgtest_pooler_stop() or at exit.  pgtest_pooler_start()
 * returns false, having printed why, only when the pgbouncer binary is
 * missing (the caller skips); any other failure fails the test.
 * pgtest_pooler_url() is the database of @db_url through it (free()).
 */
int pgtest_pooler_start(void);
char *pgtest_pooler_url(const char *db_url);
void pgtest_pooler_stop(void);

/* Creates a fresh, empty database; returns its URL (free()). */
char *pgtest_create_database(void);

/* Drops the database of @url (terminating its connections). */
void pgtest_drop_database(const char *url);

/* A new empty temporary directory (free()); removed by pgtest_rmtree. */
char *pgtest_tmpdir(void);
void pgtest_rmtree(const char *dir);

/* Writes @content to @dir/@name, creating missing parent directories. */
void pgtest_write_file(const char *dir, const char *name, const char *content);

/* Runs @sql on @url; returns 0 on success, -1 on failure. */
int pgtest_exec(const char *url, const char *sql);

/* First column of the first row of @sql (free()), NULL on error/no row. */
char *pgtest_query_value(const char *url, const char *sql);

/* A fingerprint of the database's schema (tables, columns, indexes, rows
 * of the bookkeeping tables): equal strings mean unchanged. free(). */
char *pgtest_schema_fingerprint(const char *url);

/*
 * As pgtest_run_suite(), for suites that need PostgreSQL: makes sure a
 * server exists BEFORE Check forks its per-test children (starting a
 * throwaway cluster unless UM_TEST_DATABASE_URL is set), exports its URL as
 * UM_TEST_DATABASE_URL for the children and any CLI they run, runs @s, then
 * stops a cluster it started.  If the server cannot be reached, reports one
 * failure and returns EXIT_FAILURE.
 */
int pgtest_run_pg_suite(Suite *s);

/*
 * A copy of the connection string @url (URL or key=value form) with @key
 * set to @value, or removed when @value is NULL; the result is in
 * key=value form, which libpq accepts wherever it accepts a URL.  free().
 * E.g. pgtest_url_set(url, "password", "wrong").
 */
char *pgtest_url_set(const char *url, const char *key, const char *value);

/* libpq's message for the last failure of pgtest_exec() or
 * pgtest_query_value() in this process ("" after a success).  Static. */
const char *pgtest_last_error(void);

/* ------------------------------------------------------------------ */
/* Helpers shared by the integration suites                             */
/* ------------------------------------------------------------------ */

/* The value of environment variable @name, which must be set and not
 * empty (the test fails otherwise: run the suites through meson test). */
const char *pgtest_env(const char *name);

/* A libpq notice processor that drops the notices (PQsetNoticeProcessor). */
void pgtest_quiet_notices(void *arg, const char *message);

/* What a log callback received: pgtest_log_line, a um_log_cb, appends each
 * message and a newline to the pgtest_log its payload points to (cut when
 * full).  Start it empty: pgtest_log log = { "" }. */
typedef struct pgtest_log {
    char text[16384];
} pgtest_log;
void pgtest_log_line(um_log_level level, const char *msg, void *payload);

/* Monotonic clock, in milliseconds. */
double pgtest_now_ms(void);

/* A printf-formatted string (free()); the test fails when out of memory. */
char *pgtest_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *pgtest_vasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/*
 * The string pool: pgtest_keep() takes ownership of @s (the test fails if
 * it is NULL) and returns it; pooled strings are freed round robin (the
 * 128 most recent stay valid) and by pgtest_pool_free(), which a fixture's
 * teardown calls, so tests use them without bookkeeping and stay leak-free.
 * pgtest_fmt() is pgtest_asprintf() into the pool.
 */
const char *pgtest_keep(char *s);
const char *pgtest_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pgtest_pool_free(void);

/* The first value of the printf-formatted query on @url, pooled; "<null>"
 * for NULL, no row or an error. */
const char *pgtest_query_text(const char *url, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The first value of the printf-formatted query on @url as a number; the
 * test fails when the query fails or yields NULL or no row. */
long pgtest_query_long(const char *url, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runs the printf-formatted SQL on @url; the test fails if it does. */
void pgtest_execf(const char *url, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whether to_regclass(@name) finds a relation on @url (false on error). */
int pgtest_table_exists(const char *url, const char *name);

/*
 * Writes @dir/@name: "[ultramigrate]", script_location = %(here)s/migrations,
 * "lock_wait = @lock_wait" unless @lock_wait is NULL, then the @extra
 * lines (NULL: none).
 */
void pgtest_write_ini(const char *dir, const char *name, const char *lock_wait, const char *extra);

/*
 * Writes @dir/migrations/versions/@id.sql: a header ("-- Create @id",
 * Revision ID, Revises: @parents (NULL: none), Depends On: @depends when
 * not NULL, Transactional: yes/no), "-- migrate:up" with @up, and
 * "-- migrate:down" with @down unless @down is NULL.
 */
void pgtest_write_revision(const char *dir, const char *id, const char *parents,
                           const char *depends, int transactional, const char *up,
                           const char *down);

/* The pooled path of revision @id's file: @dir/migrations/versions/@id.sql. */
const char *pgtest_revision_path(const char *dir, const char *id);

/* The 1-based line of the first occurrence of @needle in the file @path;
 * the test fails when the file cannot be read or @needle is not in it. */
int pgtest_line_of(const char *path, const char *needle);

/* A transactional revision @id creating table @table, dropped on the way down. */
void pgtest_write_table_revision(const char *dir, const char *id, const char *parents,
                                 const char *table);

/* Revisions r1..r<n>, linear, r<i> creating table t<i>. */
void pgtest_write_linear_revisions(const char *dir, int n);

/* The whole file (free(); NUL-terminated, its size in *@len when @len is
 * not NULL), or NULL when it cannot be opened. */
char *pgtest_read_file(const char *path, size_t *len);

/* All of @text as JSON (json_decref()); the test fails when it is NULL or
 * not JSON. */
json_t *pgtest_json_parse(const char *text);

/* The string value of @key in object @o; the test fails when it is not one. */
const char *pgtest_json_str(json_t *o, const char *key);

/* A TCP port on 127.0.0.1 where nothing listens (bound, then released). */
int pgtest_dead_port(void);

/* Asserts an um_* call returns @want, naming the call and um_errmsg(@ctx).
 * For suites that include <ultramigrate/ultramigrate.h>. */
#define PGTEST_CHECK_RC(ctx, call, want)                                                           \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        ck_assert_msg(rc_ == (want), "%s -> %d (%s), expected %d", #call, rc_, um_errmsg(ctx),     \
                      (want));                                                                     \
    } while (0)
#define PGTEST_CHECK_OK(ctx, call) PGTEST_CHECK_RC(ctx, call, UM_OK)

/* Adds the tests of @tc's group, START_TEST names, in order:
 * PGTEST_ADD_TESTS(tc, test_a, test_b, ...). */
void pgtest_add_tests(TCase *tc, const TTest *const tests[]);
#define PGTEST_ADD_TESTS(tc, ...)                                                                  \
    pgtest_add_tests((tc), (const TTest *const[]){ __VA_ARGS__, NULL })

/*
 * The slice [*@start, *@end) of a loop test's iterations [0, @n) this
 * process runs: all of them, or with UM_TEST_SHARD=K/N the K-th (from 1)
 * of N slices as equal as can be, for a long loop that meson runs as N
 * tests side by side (tests/meson.build).  Called while the suite is
 * built; a malformed UM_TEST_SHARD ends the process with a message.
 */
void pgtest_shard(int n, int *start, int *end);

/* Adds a test case @name to @s with @setup and @teardown as its checked
 * fixture and a timeout of @timeout seconds per test (0: Check's default,
 * CK_DEFAULT_TIMEOUT or 4 s); returns it. */
TCase *pgtest_add_tcase(Suite *s, const char *name, SFun setup, SFun teardown, double timeout);

/* ------------------------------------------------------------------ */
/* Around the project fixture (below): the embedding suites' helpers    */
/* ------------------------------------------------------------------ */

typedef struct pgtest_project pgtest_project;

/* um_open() on @p's configuration with @url (NULL: none), a borrowed @conn
 * (NULL: none) and a log callback; the test fails unless it succeeds. */
um_ctx *pgtest_project_open_with(const pgtest_project *p, const char *url, void *conn,
                                 um_log_cb log_cb, void *log_payload);

/* As pgtest_project_open(), with application_name @app (NULL: the default). */
um_ctx *pgtest_project_open_app(const pgtest_project *p, const char *app);

/*
 * Asserts the last call on @ctx failed with UM_ESQL in revision @rev of the
 * project in @dir, at the line of @needle in its file, with SQLSTATE
 * @sqlstate, and that the message names the file.
 */
void pgtest_assert_failed_at(um_ctx *ctx, const char *dir, const char *rev, const char *needle,
                             const char *sqlstate);

/* A health snapshot that must succeed and leave no error on the handle. */
um_health pgtest_snapshot(um_ctx *ctx);

#define PGTEST_ASSERT_STATUS(h, want)                                                              \
    ck_assert_msg((h).status == (want), "status %s, expected %s (message: %s)",                    \
                  um_health_status_name((h).status), um_health_status_name(want), (h).message)

/* Asserts the message of health snapshot @h contains @needle. */
#define PGTEST_ASSERT_MESSAGE_HAS(h, needle)                                                       \
    ck_assert_msg(strstr((h).message, (needle)) != NULL, "message '%s' lacks '%s'", (h).message,   \
                  (needle))

/* A URL where nothing listens (pgtest_dead_port), connect_timeout 5. */
const char *pgtest_dead_url(void);

/* The version rows "a,b" and applied rows "rev:state,..." (default table
 * names) of the database of @url, by revision; pooled. */
const char *pgtest_versions(const char *url);
const char *pgtest_applied_rows(const char *url);

/* The history "rev:direction:state,..." (default table name), oldest
 * first; pooled. */
const char *pgtest_history(const char *url);

/* As pgtest_versions() and pgtest_history(), of the version table and the
 * history table named @table (as SQL: quoted, qualified as needed). */
const char *pgtest_versions_in(const char *url, const char *table);
const char *pgtest_history_in(const char *url, const char *table);

/*
 * The autogenerate corpus: the names of tests/autogen's pair directories,
 * sorted, in @out (at most @max, strdup'ed: the caller frees them); with
 * UM_AUTOGEN_PAIR=text only those whose name has it (to work on one pair).
 * Returns how many.  Read before the tests fork.
 */
int pgtest_autogen_pairs(char **out, int max);

/* A loopback TCP port that completes the handshake and never answers (a
 * host that hangs): its listening socket (close it) and *port. */
int pgtest_silent_listener(int *port);

/* ------------------------------------------------------------------ */
/* Child processes                                                      */
/* ------------------------------------------------------------------ */

/* What a program did: exit status (128+N when killed by signal N) and all
 * of its stdout and stderr ("" when nothing). */
typedef struct pgtest_cli_result {
    int status;
    char *out;
    char *err;
} pgtest_cli_result;

/* Frees @r's output (and NULLs it). */
void pgtest_cli_result_free(pgtest_cli_result *r);

/* Asserts @r (any struct with status, out and err) exited @expected,
 * showing what it printed. */
#define pgtest_assert_status(r, expected, what)                                                    \
    ck_assert_msg((r).status == (expected),                                                        \
                  "%s: exit %d, expected %d\n--- stdout\n%s\n--- stderr\n%s", (what), (r).status,  \
                  (expected), (r).out, (r).err)

/* A waitpid() status as an exit status: 128+N when killed by signal N. */
int pgtest_decode_status(int wait_status);

/* Waits for @pid (retrying on EINTR); its pgtest_decode_status(). */
int pgtest_wait_child(pid_t pid);

/* Fails the test when @err holds a sanitizer report: under -Db_sanitize a
 * report does not always change the exit status. */
void pgtest_assert_no_sanitizer_report(const char *what, const char *err);

/* For a forked child: changes to @dir (NULL: stays; _exit(126) on failure),
 * puts @env_url in DATABASE_URL (NULL: unsets it), unsets
 * ULTRAMIGRATE_DATABASE_URL: the child sees no other URL of the caller's. */
void pgtest_child_env(const char *dir, const char *env_url);

/*
 * Runs the CLI (UM_CLI) with @argv (NULL-terminated, without the program
 * name) in @dir (NULL: the current directory), with @env_url as
 * DATABASE_URL (NULL: none) and no ULTRAMIGRATE_DATABASE_URL; collects its
 * output and fails on a sanitizer report.  pgtest_cli_result_free().
 */
pgtest_cli_result pgtest_run_cli(const char *dir, const char *env_url, const char *const argv[]);

/* As pgtest_run_cli(), with a terminal as stdin, stdout and stderr (TERM
 * "xterm", NO_COLOR unset, then the "KEY=VALUE" strings of @env, may be
 * NULL): everything it printed is in out, in the order it was written. */
pgtest_cli_result pgtest_run_cli_tty(const char *dir, const char *env_url, const char *const env[],
                                     const char *const argv[]);

/* As pgtest_run_cli(), in the background: stdout and stderr go to
 * background.out and background.err in @dir.  Returns the pid. */
pid_t pgtest_spawn_cli(const char *dir, const char *env_url, const char *const argv[]);

/* ------------------------------------------------------------------ */
/* A project fixture                                                    */
/* ------------------------------------------------------------------ */

/* A test's own database and project directory: migrations/versions/ and
 * ultramigrate.ini (lock_wait 10s) in a fresh temporary directory. */
typedef struct pgtest_project {
    char *db_url;
    char *dir;
    char *ini; /* dir/ultramigrate.ini */
} pgtest_project;

/* Creates them (the test fails when it cannot); for a checked fixture. */
void pgtest_project_setup(pgtest_project *p);

/* As pgtest_project_setup(), without writing anything in the directory:
 * for a test that lays out the project itself (or has `init` do it). */
void pgtest_project_setup_bare(pgtest_project *p);

/* Drops the database, removes the directory, empties the string pool. */
void pgtest_project_teardown(pgtest_project *p);

/* Opens an engine on @p's configuration and database; fails the test when
 * um_open does.  @log_cb may be NULL. */
um_ctx *pgtest_project_open(const pgtest_project *p, um_log_cb log_cb, void *log_payload);

/*
 * Short names bound to a project fixture of the suite's own, for a suite
 * that defines PGTEST_SHORT_NAMES before including this header: the
 * fixture (setup, or setup_bare for an empty directory; teardown, which
 * also removes a dedicated cluster), its database and directory, and the
 * helpers above bound to them.
 */
#ifdef PGTEST_SHORT_NAMES
static pgtest_project proj;
static inline void setup(void)
{
    pgtest_project_setup(&proj);
}
static inline void setup_bare(void)
{
    pgtest_project_setup_bare(&proj);
}
static inline void teardown(void)
{
    pgtest_dedicated_remove();
    pgtest_project_teardown(&proj);
}
#define db_url                (proj.db_url)
#define proj_dir              (proj.dir)
#define ini_path              (proj.ini)
#define qv(...)               pgtest_query_text(db_url, __VA_ARGS__)
#define qi(...)               pgtest_query_long(db_url, __VA_ARGS__)
#define sql(...)              pgtest_execf(db_url, __VA_ARGS__)
#define table_exists(name)    pgtest_table_exists(db_url, (name))
#define ASSERT_TABLE(name)    ck_assert_msg(table_exists(name), "table %s should exist", name)
#define ASSERT_NO_TABLE(name) ck_assert_msg(!table_exists(name), "table %s should not exist", name)
#define versions()            pgtest_versions(db_url)
#define versions_in(table)    pgtest_versions_in(db_url, (table))
#define applied_rows()        pgtest_applied_rows(db_url)
#define history()             pgtest_history(db_url)
#define history_in(table)     pgtest_history_in(db_url, (table))
/* ultramigrate.ini: the project's migrations, lock_wait 10s (or
 * @lock_wait), then the @extra lines (NULL: none). */
#define write_ini(extra) pgtest_write_ini(proj_dir, "ultramigrate.ini", "10s", (extra))
#define write_ini_lock(lock_wait, extra)                                                           \
    pgtest_write_ini(proj_dir, "ultramigrate.ini", (lock_wait), (extra))
#define write_rev_full(id, parents, transactional, up, down)                                       \
    pgtest_write_revision(proj_dir, (id), (parents), NULL, (transactional), (up), (down))
#define write_rev(id, parents, up, down) write_rev_full((id), (parents), 1, (up), (down))
#define write_rev_depends(id, parents, depends, up, down)                                          \
    pgtest_write_revision(proj_dir, (id), (parents), (depends), 1, (up), (down))
#define write_table_rev(id, parents, table)                                                        \
    pgtest_write_table_revision(proj_dir, (id), (parents), (table))
#define write_linear(n)     pgtest_write_linear_revisions(proj_dir, (n))
#define rev_path(id)        pgtest_revision_path(proj_dir, (id))
#define line_of(id, needle) pgtest_line_of(rev_path(id), (needle))
#define assert_failed_at(ctx, rev, needle, sqlstate)                                               \
    pgtest_assert_failed_at((ctx), proj_dir, (rev), (needle), (sqlstate))
#define open_with(url, conn, log_cb, log_payload)                                                  \
    pgtest_project_open_with(&proj, (url), (conn), (log_cb), (log_payload))
#define open_engine()                 pgtest_project_open(&proj, NULL, NULL)
#define open_engine_app(app)          pgtest_project_open_app(&proj, (app))
#define jstr(o, key)                  pgtest_json_str((o), (key))
#define snap                          pgtest_snapshot
#define ASSERT_STATUS                 PGTEST_ASSERT_STATUS
#define ASSERT_MESSAGE_HAS(h, needle) PGTEST_ASSERT_MESSAGE_HAS(h, needle)
#define dead_url                      pgtest_dead_url
/* A test case with the project fixture, 60 s per test. */
#define tcase(s, name) pgtest_add_tcase((s), (name), setup, teardown, 60)
#endif

#endif
