/*
 * check_health.c - the health snapshot and what a host embedding the
 * engine relies on around it, against a real PostgreSQL: every status
 * (ok, pending, failed, ahead, diverged, unreachable) through the API, the
 * JSON and the CLI; a snapshot reads no file after um_open; a borrowed
 * connection (um_open_options.pg_conn) is left as it was found;
 * um_wait_for_database; um_cancel from another thread.
 *
 * Each test gets its own database and project directory (checked
 * fixture).  The tests of a server that goes away or comes up late start a
 * dedicated throwaway cluster (scripts/pg-cluster.sh), stopped at teardown
 * or, when a failed assertion ends the test process (Check's _exit skips
 * teardown and atexit), by a watcher process.
 */
#include "pgtest.h"

#include <ultramigrate/ultramigrate.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Fixture and helpers (as check_engine.c)                              */
/* ------------------------------------------------------------------ */

static char *db_url;
static char *proj_dir;
static char ini_path[4096];

/* Helpers of pgtest.h bound to the test's database and project. */
#define qv(...)            pgtest_query_text(db_url, __VA_ARGS__)
#define sql(...)           pgtest_execf(db_url, __VA_ARGS__)
#define table_exists(name) pgtest_table_exists(db_url, (name))

static const char *versions(void)
{
    return qv("SELECT coalesce(string_agg(version_num, ',' ORDER BY version_num), '')"
              " FROM ultramigrate_version");
}

/* Applied rows as "rev:state,...", by revision. */
static const char *applied_rows(void)
{
    return qv("SELECT coalesce(string_agg(revision || ':' || state, ',' ORDER BY revision), '')"
              " FROM ultramigrate_version_applied");
}

/* ultramigrate.ini: the project's migrations, lock_wait 10s, @extra lines. */
static void write_ini(const char *extra)
{
    pgtest_write_ini(proj_dir, "ultramigrate.ini", "10s", extra);
}

/* migrations/versions/<id>.sql; r<i> revisions creating tables t<i>. */
#define write_rev_full(id, parents, transactional, up, down)                                       \
    pgtest_write_revision(proj_dir, (id), (parents), NULL, (transactional), (up), (down))
#define write_rev(id, parents, up, down) write_rev_full((id), (parents), 1, (up), (down))
#define write_table_rev(id, parents, table)                                                        \
    pgtest_write_table_revision(proj_dir, (id), (parents), (table))
#define write_linear(n) pgtest_write_linear_revisions(proj_dir, (n))

static const char *rev_path(const char *id)
{
    return pgtest_fmt("%s/migrations/versions/%s.sql", proj_dir, id);
}

static um_ctx *open_with(const char *url, void *conn, um_log_cb log_cb, void *log_payload)
{
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    o.config_path = ini_path;
    o.database_url = url;
    o.pg_conn = conn;
    o.log_cb = log_cb;
    o.log_payload = log_payload;
    um_ctx *ctx = NULL;
    int rc = um_open(&ctx, &o);
    ck_assert_msg(rc == UM_OK, "um_open: %d %s", rc, um_errmsg(ctx));
    return ctx;
}

static um_ctx *open_engine(void)
{
    return open_with(db_url, NULL, NULL, NULL);
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ------------------------------------------------------------------ */
/* A dedicated cluster, for a server that stops and starts              */
/* ------------------------------------------------------------------ */

static char *cluster_dir; /* set while a dedicated cluster exists */
static char *cluster_url;
static int cluster_watch_fd = -1; /* the watcher's pipe; closing it stops the cluster */

/*
 * Runs @argv; its stdout goes to *@out (free()) when @out is not NULL,
 * else to /dev/null.  Returns the exit status, 128+N on signal N.
 */
static int run_cmd(char *const argv[], char **out)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(out ? fds[1] : devnull, STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0, cap = 256;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    ssize_t n;
    while ((n = read(fds[0], buf + len, cap - len - 1)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        len += (size_t)n;
        if (cap - len < 64) {
            cap *= 2;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
    }
    close(fds[0]);
    buf[len] = '\0';
    int status = pgtest_wait_child(pid);
    if (out)
        *out = buf;
    else
        free(buf);
    return status;
}

static const char *cluster_script(void)
{
    return pgtest_fmt("%s/scripts/pg-cluster.sh", pgtest_env("UM_SOURCE_DIR"));
}

/* The server binaries, as pg-cluster.sh finds them (PGBIN, else 15). */
static const char *pg_bindir(void)
{
    const char *env = getenv("PGBIN");
    if (env && *env)
        return env;
    if (access("/usr/lib/postgresql/15/bin/pg_ctl", X_OK) == 0)
        return "/usr/lib/postgresql/15/bin";
    char *out = NULL;
    char *argv[] = { "pg_config", "--bindir", NULL };
    ck_assert_msg(run_cmd(argv, &out) == 0, "cannot find pg_ctl (set PGBIN)");
    out[strcspn(out, "\n")] = '\0';
    return pgtest_keep(out);
}

static void remove_cluster(void)
{
    if (!cluster_dir)
        return;
    char *argv[] = { "bash", (char *)cluster_script(), "stop", cluster_dir, NULL };
    if (run_cmd(argv, NULL) != 0)
        fprintf(stderr, "check_health: could not stop the cluster in %s\n", cluster_dir);
    if (cluster_watch_fd >= 0)
        close(cluster_watch_fd); /* the watcher's stop finds nothing left */
    free(cluster_dir);
    free(cluster_url);
    cluster_dir = cluster_url = NULL;
    cluster_watch_fd = -1;
}

/*
 * A process out of our process group that runs "pg-cluster.sh stop" on
 * cluster_dir once the pipe's write end, held by this process only
 * (close-on-exec), is closed: when the test process ends, however.
 */
static void start_cluster_watcher(void)
{
    int fds[2];
    const char *script = cluster_script();
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setsid();
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            dup2(devnull, STDOUT_FILENO);
            dup2(devnull, STDERR_FILENO);
        }
        for (int fd = 3; fd < 1024; fd++)
            if (fd != fds[0])
                close(fd);
        char c;
        while (read(fds[0], &c, 1) != 0 && errno == EINTR)
            ;
        execlp("bash", "bash", script, "stop", cluster_dir, (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    cluster_watch_fd = fds[1];
}

/* initdb + start in a new directory; sets cluster_dir and cluster_url. */
static void start_cluster(void)
{
    cluster_dir = pgtest_tmpdir();
    start_cluster_watcher();
    char *out = NULL;
    char *argv[] = { "bash", (char *)cluster_script(), "start", cluster_dir, NULL };
    int rc = run_cmd(argv, &out);
    out[strcspn(out, "\n")] = '\0';
    ck_assert_msg(rc == 0 && *out, "pg-cluster.sh start %s: status %d", cluster_dir, rc);
    cluster_url = out;
}

/* pg_ctl start or stop (@action) on the dedicated cluster, as its owner. */
static int cluster_ctl(const char *action)
{
    const char *pg_ctl = pgtest_fmt("%s/pg_ctl", pg_bindir());
    const char *data = pgtest_fmt("%s/data", cluster_dir);
    const char *log = pgtest_fmt("%s/log", cluster_dir);
    FILE *f = fopen(pgtest_fmt("%s/port", cluster_dir), "r");
    ck_assert_ptr_nonnull(f);
    char port[16] = "";
    ck_assert_ptr_nonnull(fgets(port, sizeof(port), f));
    fclose(f);
    port[strcspn(port, "\n")] = '\0';
    /* pg_ctl start does not reuse the port pg-cluster.sh gave with -o */
    const char *opts = pgtest_fmt("-p %s", port);
    char *start[] = { "runuser",    "-u",         "postgres",  "--", (char *)pg_ctl, "-D",
                      (char *)data, "-l",         (char *)log, "-w", "-t",           "60",
                      "-o",         (char *)opts, "start",     NULL };
    char *stop[] = { "runuser",    "-u", "postgres",  "--", (char *)pg_ctl, "-D",
                     (char *)data, "-m", "immediate", "-w", "stop",         NULL };
    char **argv = strcmp(action, "start") == 0 ? start : stop;
    /* pg-cluster.sh runs the server as postgres only when we are root */
    return run_cmd(geteuid() == 0 ? argv : argv + 4, NULL);
}

/* ------------------------------------------------------------------ */
/* Snapshots, JSON, the CLI                                             */
/* ------------------------------------------------------------------ */

static um_health snap(um_ctx *ctx)
{
    um_health h = UM_HEALTH_INIT;
    PGTEST_CHECK_OK(ctx, um_health_snapshot(ctx, &h));
    ck_assert_str_eq(um_errmsg(ctx), "");
    return h;
}

#define ASSERT_STATUS(h, want)                                                                     \
    ck_assert_msg((h).status == (want), "status %s, expected %s (message: %s)",                    \
                  um_health_status_name((h).status), um_health_status_name(want), (h).message)

#define ASSERT_MESSAGE_HAS(h, needle)                                                              \
    ck_assert_msg(strstr((h).message, (needle)) != NULL, "message '%s' lacks '%s'", (h).message,   \
                  (needle))

/* "YYYY-MM-DDTHH:MM:SS...Z" */
static void assert_iso_utc(const char *s)
{
    ck_assert_msg(strlen(s) >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
                      s[strlen(s) - 1] == 'Z',
                  "not an ISO 8601 UTC time: '%s'", s);
}

static json_t *parse_json(const char *text)
{
    ck_assert_ptr_nonnull(text);
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    ck_assert_msg(j != NULL, "bad JSON (%s): %s", jerr.text, text);
    return j;
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_string(v), "key %s is not a string", key);
    return json_string_value(v);
}

/* The fields a health aggregator reads, and that they agree with @status. */
static void assert_health_document(json_t *j, const char *status)
{
    ck_assert_str_eq(jstr(j, "name"), "database_migrations");
    ck_assert_str_eq(jstr(j, "service_type"), "database");
    ck_assert(json_is_false(json_object_get(j, "critical")));
    ck_assert_str_eq(jstr(j, "status"), status);
    ck_assert(json_is_boolean(json_object_get(j, "healthy")));
    ck_assert_int_eq(json_is_true(json_object_get(j, "healthy")), strcmp(status, "ok") == 0);
    ck_assert_str_ne(jstr(j, "message"), "");
    ck_assert(json_is_array(json_object_get(j, "current_heads")));
    ck_assert(json_is_array(json_object_get(j, "expected_heads")));
    ck_assert(json_is_integer(json_object_get(j, "pending")));
    ck_assert(json_is_number(json_object_get(j, "round_trip_ms")));
    assert_iso_utc(jstr(j, "taken_at"));
}

/* um_health_to_json(@h): the document, and the snapshot's own fields. */
static void assert_json(const um_health *h)
{
    char *text = um_health_to_json(h);
    json_t *j = parse_json(text);
    um_free(text);
    assert_health_document(j, um_health_status_name(h->status));
    ck_assert_str_eq(jstr(j, "message"), h->message);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "pending")), (json_int_t)h->pending);
    json_t *cur = json_object_get(j, "current_heads");
    size_t kept =
        h->n_current_heads < UM_HEALTH_MAX_HEADS ? h->n_current_heads : UM_HEALTH_MAX_HEADS;
    ck_assert_uint_eq(json_array_size(cur), kept);
    for (size_t i = 0; i < kept; i++)
        ck_assert_str_eq(json_string_value(json_array_get(cur, i)), h->current_heads[i]);
    kept = h->n_expected_heads < UM_HEALTH_MAX_HEADS ? h->n_expected_heads : UM_HEALTH_MAX_HEADS;
    ck_assert_uint_eq(json_array_size(json_object_get(j, "expected_heads")), kept);
    json_t *last = json_object_get(j, "last_applied");
    if (h->last_applied[0])
        ck_assert_str_eq(jstr(last, "revision"), h->last_applied);
    else
        ck_assert(json_is_null(last));
    json_decref(j);
}

/* Runs `UM_CLI -c INI -d @url health [--json]` in the project, collecting
 * stdout and stderr (pooled). */
static pgtest_cli_result run_health_cli(const char *url, bool json)
{
    const char *const argv[] = {
        "-c", ini_path, "-d", url, "health", json ? "--json" : NULL, NULL
    };
    pgtest_cli_result r = pgtest_run_cli(proj_dir, NULL, argv);
    pgtest_keep(r.out);
    pgtest_keep(r.err);
    return r;
}

/* `health` and `health --json` both exit @code and report @status. */
static void assert_cli(const char *url, int code, const char *status)
{
    pgtest_cli_result r = run_health_cli(url, false);
    ck_assert_msg(r.status == code, "health: exit %d, expected %d\n--- stdout\n%s\n--- stderr\n%s",
                  r.status, code, r.out, r.err);
    ck_assert_msg(strstr(r.out, pgtest_fmt("Status:         %s\n", status)) != NULL,
                  "health printed:\n%s", r.out);
    r = run_health_cli(url, true);
    ck_assert_msg(r.status == code,
                  "health --json: exit %d, expected %d\n--- stdout\n%s\n"
                  "--- stderr\n%s",
                  r.status, code, r.out, r.err);
    json_t *j = parse_json(r.out);
    assert_health_document(j, status);
    json_decref(j);
}

static const char *dead_url(void)
{
    return pgtest_fmt("host=127.0.0.1 port=%d dbname=postgres user=postgres connect_timeout=5",
                      pgtest_dead_port());
}

/* ------------------------------------------------------------------ */
/* The host's own connection                                            */
/* ------------------------------------------------------------------ */

static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static PGconn *host_connect(const char *url)
{
    PGconn *c = PQconnectdb(url);
    ck_assert_ptr_nonnull(c);
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
    PQsetNoticeProcessor(c, quiet_notices, NULL);
    return c;
}

/* First value of @sql on @c ("<null>" for NULL); the query must succeed. */
static const char *conn_value(PGconn *c, const char *sql_text)
{
    PGresult *res = PQexec(c, sql_text);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql_text, PQerrorMessage(c));
    const char *v = PQntuples(res) && !PQgetisnull(res, 0, 0) ? PQgetvalue(res, 0, 0) : "<null>";
    char *copy = strdup(v);
    PQclear(res);
    return pgtest_keep(copy);
}

static void conn_exec(PGconn *c, const char *sql_text)
{
    PGresult *res = PQexec(c, sql_text);
    ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", sql_text, PQerrorMessage(c));
    PQclear(res);
}

/* The host's session settings, which the engine must give back. */
static void host_settings(PGconn *c)
{
    conn_exec(c, "SET lock_timeout = '7s'");
    conn_exec(c, "SET statement_timeout = '7s'");
}

/* @c is as the host left it: open, idle, its settings, no lock, no
 * statement of the engine's runs. */
static void assert_as_found(PGconn *c)
{
    ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
    ck_assert_msg(PQtransactionStatus(c) == PQTRANS_IDLE, "transaction status %d",
                  (int)PQtransactionStatus(c));
    ck_assert_str_eq(conn_value(c, "SHOW lock_timeout"), "7s");
    ck_assert_str_eq(conn_value(c, "SHOW statement_timeout"), "7s");
    ck_assert_str_eq(conn_value(c, "SELECT count(*) FROM pg_locks"
                                   " WHERE locktype = 'advisory' AND pid = pg_backend_pid()"),
                     "0");
    ck_assert_str_eq(conn_value(c, "SELECT count(*) FROM pg_prepared_statements"
                                   " WHERE name LIKE 'ultramigrate\\_book%'"),
                     "0");
    ck_assert_str_eq(conn_value(c, "SELECT 41 + 1"), "42");
}

/* ------------------------------------------------------------------ */

static void setup(void)
{
    db_url = pgtest_create_database();
    proj_dir = pgtest_tmpdir();
    ck_assert_ptr_nonnull(db_url);
    ck_assert_ptr_nonnull(proj_dir);
    snprintf(ini_path, sizeof(ini_path), "%s/ultramigrate.ini", proj_dir);
    pgtest_write_file(proj_dir, "migrations/versions/.keep", "");
    write_ini(NULL);
}

static void teardown(void)
{
    remove_cluster();
    if (db_url)
        pgtest_drop_database(db_url);
    if (proj_dir)
        pgtest_rmtree(proj_dir);
    free(db_url);
    free(proj_dir);
    db_url = proj_dir = NULL;
    pgtest_pool_free();
}

/* ------------------------------------------------------------------ */
/* 1. Every status                                                      */
/* ------------------------------------------------------------------ */

START_TEST(status_ok)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_OK);
    ck_assert_uint_eq(h.version, UM_HEALTH_VERSION);
    ck_assert_uint_eq(h.n_current_heads, 1);
    ck_assert_str_eq(h.current_heads[0], "r3");
    ck_assert_uint_eq(h.n_expected_heads, 1);
    ck_assert_str_eq(h.expected_heads[0], "r3");
    ck_assert_uint_eq(h.pending, 0);
    ck_assert_str_eq(h.last_applied, "r3");
    assert_iso_utc(h.last_applied_at);
    assert_iso_utc(h.taken_at);
    ck_assert(h.round_trip_ms > 0);
    ck_assert_str_ne(h.message, "");
    assert_json(&h);

    /* again, from what the first snapshot learnt */
    um_health h2 = snap(ctx);
    ASSERT_STATUS(h2, UM_HEALTH_OK);
    ck_assert_str_eq(h2.last_applied, "r3");
    ck_assert_str_eq(h2.last_applied_at, h.last_applied_at);
    um_close(ctx);
}
END_TEST

START_TEST(status_pending)
{
    write_linear(4);
    um_ctx *ctx = open_engine();

    /* never migrated: no bookkeeping tables yet */
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 4);
    ck_assert_uint_eq(h.n_current_heads, 0);
    ck_assert_str_eq(h.last_applied, "");
    ck_assert_str_eq(h.last_applied_at, "");
    ASSERT_MESSAGE_HAS(h, "4");
    assert_json(&h);

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r2", NULL));
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 2);
    ck_assert_uint_eq(h.n_current_heads, 1);
    ck_assert_str_eq(h.current_heads[0], "r2");
    ck_assert_str_eq(h.expected_heads[0], "r4");
    ck_assert_str_eq(h.last_applied, "r2");
    assert_json(&h);

    /* another process moves the database on: the same handle sees it */
    um_ctx *other = open_engine();
    PGTEST_CHECK_OK(other, um_upgrade(other, "r3", NULL));
    um_close(other);
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 1);
    ck_assert_str_eq(h.last_applied, "r3");

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_OK);
    ck_assert_uint_eq(h.pending, 0);

    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "r1", NULL));
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 3);
    ck_assert_str_eq(h.last_applied, "r1");
    um_close(ctx);
}
END_TEST

START_TEST(status_empty_project)
{
    um_ctx *ctx = open_engine();
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_OK);
    ck_assert_uint_eq(h.pending, 0);
    ck_assert_uint_eq(h.n_expected_heads, 0);
    assert_json(&h);
    um_close(ctx);
}
END_TEST

/* More heads than the snapshot keeps (UM_HEALTH_MAX_HEADS), with ids of
 * the longest length (32). */
START_TEST(status_many_heads)
{
    for (int i = 0; i < 10; i++)
        write_table_rev(pgtest_fmt("h%031d", i), NULL, pgtest_fmt("t%d", i));
    um_ctx *ctx = open_engine();
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.n_expected_heads, 10);
    ck_assert_uint_eq(h.pending, 10);
    for (size_t i = 0; i < UM_HEALTH_MAX_HEADS; i++)
        ck_assert_uint_eq(strlen(h.expected_heads[i]), 32);
    assert_json(&h);

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_OK);
    ck_assert_uint_eq(h.n_current_heads, 10);
    for (size_t i = 0; i < UM_HEALTH_MAX_HEADS; i++)
        ck_assert_str_eq(h.current_heads[i], pgtest_fmt("h%031zu", i));
    ck_assert_uint_eq(strlen(h.last_applied), 32);
    assert_json(&h);
    um_close(ctx);

    pgtest_cli_result r = run_health_cli(db_url, false);
    ck_assert_msg(r.status == 0 && strstr(r.out, "(and 2 more)"), "exit %d:\n%s", r.status, r.out);
}
END_TEST

/* A "Transactional: no" revision whose second statement fails. */
START_TEST(status_failed)
{
    write_table_rev("r1", NULL, "t1");
    write_rev_full("r2", "r1", 0, "CREATE TABLE t2 (id int);\n\nINSERT INTO nope VALUES (1);",
                   "DROP TABLE t2;");
    write_table_rev("r3", "r2", "t3");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:failed");

    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_FAILED); /* worse than the 2 pending */
    ASSERT_MESSAGE_HAS(h, "r2");
    ck_assert_str_eq(h.current_heads[0], "r1");
    ck_assert_str_eq(h.last_applied, "r1");
    assert_json(&h);

    /* a new handle (a new process) says the same */
    um_ctx *fresh = open_engine();
    h = snap(fresh);
    ASSERT_STATUS(h, UM_HEALTH_FAILED);
    ASSERT_MESSAGE_HAS(h, "r2");
    um_close(fresh);

    /* interrupted rather than failed: in progress */
    sql("UPDATE ultramigrate_version_applied SET state = 'in_progress' WHERE revision = 'r2'");
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_FAILED);
    ASSERT_MESSAGE_HAS(h, "r2");
    ASSERT_MESSAGE_HAS(h, "in progress");
    um_close(ctx);
}
END_TEST

/* A transactional revision that fails leaves no applied row: the newest
 * history entry tells of the failed run, until a run succeeds. */
START_TEST(status_failed_transactional)
{
    write_linear(1);
    write_rev("r2", "r1", "CREATE TABLE t2 (id int);\nINSERT INTO nope VALUES (1);",
              "DROP TABLE t2;");
    write_table_rev("r3", "r2", "t3");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r1", NULL));
    ASSERT_STATUS(snap(ctx), UM_HEALTH_PENDING);
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_str_eq(applied_rows(), "r1:applied");

    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_FAILED);
    ASSERT_MESSAGE_HAS(h, "r2");
    ck_assert_str_eq(h.current_heads[0], "r1");
    ck_assert_uint_eq(h.pending, 2);
    assert_json(&h);
    um_close(ctx);

    /* fixed: the next run succeeds, and so does the snapshot */
    write_table_rev("r2", "r1", "t2");
    ctx = open_engine();
    ASSERT_STATUS(snap(ctx), UM_HEALTH_FAILED);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    um_close(ctx);
}
END_TEST

/* An operator who finished a failed "Transactional: no" revision by hand
 * stamps it: the failure is over, and the rows already applied keep when
 * they were applied. */
START_TEST(status_failed_then_stamped)
{
    write_table_rev("r1", NULL, "t1");
    write_rev_full("r2", "r1", 0, "CREATE TABLE t2 (id int);\nINSERT INTO nope VALUES (1);",
                   "DROP TABLE t2;");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ASSERT_STATUS(snap(ctx), UM_HEALTH_FAILED);
    const char *r1_at = qv("SELECT applied_at::text FROM ultramigrate_version_applied"
                           " WHERE revision = 'r1'");

    PGTEST_CHECK_OK(ctx, um_stamp(ctx, "heads"));
    ck_assert_str_eq(versions(), "r2");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:applied");
    ck_assert_str_eq(qv("SELECT applied_at::text FROM ultramigrate_version_applied"
                        " WHERE revision = 'r1'"),
                     r1_at);
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    um_close(ctx);
}
END_TEST

/* Applied with a project, then seen by one that lacks the last file. */
START_TEST(status_ahead_of_files)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_close(ctx);
    ck_assert_int_eq(unlink(rev_path("r3")), 0);

    ctx = open_engine();
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_AHEAD);
    ASSERT_MESSAGE_HAS(h, "r3");
    ck_assert_str_eq(h.current_heads[0], "r3");
    ck_assert_str_eq(h.expected_heads[0], "r2");
    assert_json(&h);

    /* um_status has nothing pending here (an upgrade cannot be planned),
     * and r1, r2 are applied: pending must not count them. */
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(ctx, &st));
    size_t n_status = st->n_pending;
    um_status_free(st);
    ck_assert_uint_eq(n_status, 0);
    ck_assert_msg(h.pending == n_status,
                  "ahead: pending %zu, but r1 and r2 are applied (um_status: %zu pending)",
                  h.pending, n_status);
    um_close(ctx);
}
END_TEST

/* Rows inserted by hand: an applied row, then a version row, no file has. */
START_TEST(status_ahead_by_hand)
{
    write_linear(2);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);

    /* the history moved: the same handle reads the applied rows again */
    sql("INSERT INTO ultramigrate_version_applied (revision, checksum, tool_version, state)"
        " VALUES ('zz9', 'x', 'test', 'applied');"
        " INSERT INTO ultramigrate_version_history (revision, direction, state, tool_version)"
        " VALUES ('zz9', 'up', 'ok', 'test')");
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_AHEAD);
    ASSERT_MESSAGE_HAS(h, "zz9");
    sql("DELETE FROM ultramigrate_version_applied WHERE revision = 'zz9';"
        " INSERT INTO ultramigrate_version_history (revision, direction, state, tool_version)"
        " VALUES ('zz9', 'down', 'ok', 'test')");
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);

    /* a version row alone: seen without any history change */
    sql("INSERT INTO ultramigrate_version VALUES ('zz8')");
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_AHEAD);
    ASSERT_MESSAGE_HAS(h, "zz8");
    ck_assert_uint_eq(h.n_current_heads, 2);
    assert_json(&h);
    sql("DELETE FROM ultramigrate_version WHERE version_num = 'zz8'");
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    um_close(ctx);
}
END_TEST

/* An applied revision's up section changed on disk: a new handle sees it;
 * one opened before keeps the files it read. */
START_TEST(status_diverged_file)
{
    write_linear(3);
    um_ctx *before = open_engine();
    PGTEST_CHECK_OK(before, um_upgrade(before, "heads", NULL));
    write_rev("r2", "r1", "CREATE TABLE t2 (id bigint);", "DROP TABLE t2;");

    um_ctx *ctx = open_engine();
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_DIVERGED);
    ASSERT_MESSAGE_HAS(h, "r2");
    ck_assert_uint_eq(h.pending, 0);
    assert_json(&h);
    um_close(ctx);

    ASSERT_STATUS(snap(before), UM_HEALTH_OK);
    um_close(before);

    /* the down section is not part of the checksum */
    write_rev("r2", "r1", "CREATE TABLE t2 (id int);", "DROP TABLE IF EXISTS t2;");
    ctx = open_engine();
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    um_close(ctx);
}
END_TEST

/* Another process applied r2 with another checksum (simulated): the open
 * handle sees it at the next snapshot, since the history moved. */
START_TEST(status_diverged_database)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    const char *sum = qv("SELECT checksum FROM ultramigrate_version_applied"
                         " WHERE revision = 'r2'");

    sql("UPDATE ultramigrate_version_applied SET checksum = repeat('0', 64)"
        " WHERE revision = 'r2';"
        " INSERT INTO ultramigrate_version_history (revision, direction, state, tool_version)"
        " VALUES ('r2', 'up', 'ok', 'other')");
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_DIVERGED);
    ASSERT_MESSAGE_HAS(h, "r2");
    ASSERT_MESSAGE_HAS(h, "1 revision");
    assert_json(&h);

    sql("UPDATE ultramigrate_version_applied SET checksum = repeat('1', 64)"
        " WHERE revision IN ('r1', 'r3');"
        " INSERT INTO ultramigrate_version_history (revision, direction, state, tool_version)"
        " VALUES ('r3', 'up', 'ok', 'other')");
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_DIVERGED);
    ASSERT_MESSAGE_HAS(h, "3 revisions");

    sql("UPDATE ultramigrate_version_applied a SET checksum = '%s' WHERE revision = 'r2';"
        " INSERT INTO ultramigrate_version_history (revision, direction, state, tool_version)"
        " VALUES ('r2', 'up', 'ok', 'other')",
        sum);
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_DIVERGED);
    ASSERT_MESSAGE_HAS(h, "2 revisions");
    um_close(ctx);
}
END_TEST

/* The bookkeeping tables vanish (the database was recreated, or restored
 * from before the first migration): what the handle learnt from them
 * earlier no longer holds. */
START_TEST(status_tables_dropped)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    sql("UPDATE ultramigrate_version_applied SET checksum = repeat('0', 64)"
        " WHERE revision = 'r2';"
        " INSERT INTO ultramigrate_version_history (revision, direction, state, tool_version)"
        " VALUES ('r2', 'up', 'ok', 'other')");
    ASSERT_STATUS(snap(ctx), UM_HEALTH_DIVERGED);

    sql("DROP TABLE ultramigrate_version, ultramigrate_version_applied,"
        " ultramigrate_version_history, t1, t2, t3");
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 3);
    ck_assert_uint_eq(h.n_current_heads, 0);
    ck_assert_str_eq(h.last_applied, "");
    ck_assert_str_eq(h.last_applied_at, "");
    assert_json(&h);

    /* a new handle agrees */
    um_ctx *fresh = open_engine();
    um_health f = snap(fresh);
    ASSERT_STATUS(f, UM_HEALTH_PENDING);
    ck_assert_str_eq(f.last_applied, "");
    um_close(fresh);
    um_close(ctx);
}
END_TEST

START_TEST(status_unreachable_dead_port)
{
    write_linear(2);
    um_ctx *ctx = open_with(dead_url(), NULL, NULL, NULL);
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_UNREACHABLE);
    ck_assert_str_ne(h.message, "");
    ck_assert_msg(!strpbrk(h.message, "\n\t"), "not one line: '%s'", h.message);
    ck_assert_uint_eq(h.pending, 0); /* unknown */
    ck_assert_uint_eq(h.n_current_heads, 0);
    ck_assert_str_eq(h.last_applied, "");
    ck_assert_uint_eq(h.n_expected_heads, 1);
    ck_assert_str_eq(h.expected_heads[0], "r2");
    assert_iso_utc(h.taken_at);
    assert_json(&h);
    /* the handle has no error: the snapshot holds the reason */
    ck_assert_int_eq(um_error_detail(ctx)->code, 0);
    um_close(ctx);
}
END_TEST

/* A server that goes away and comes back: the next snapshots report it
 * unreachable, then reconnect by themselves. */
START_TEST(status_unreachable_server_restart)
{
    write_linear(2);
    start_cluster();
    um_ctx *ctx = open_with(cluster_url, NULL, NULL, NULL);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r1", NULL));
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 1);

    /* synchronous_commit is off there: what an immediate stop would lose */
    ck_assert_int_eq(pgtest_exec(cluster_url, "CHECKPOINT"), 0);
    ck_assert_int_eq(cluster_ctl("stop"), 0);
    for (int i = 0; i < 2; i++) {
        h = snap(ctx);
        ASSERT_STATUS(h, UM_HEALTH_UNREACHABLE);
        ck_assert_str_ne(h.message, "");
        ck_assert_uint_eq(h.pending, 0);
        assert_json(&h);
    }
    assert_cli(cluster_url, 14, "unreachable");

    ck_assert_int_eq(cluster_ctl("start"), 0);
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 1);
    ck_assert_str_eq(h.current_heads[0], "r1");
    ck_assert_str_eq(h.last_applied, "r1");
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    um_close(ctx);
}
END_TEST

/* The CLI's exit status in every state, and its JSON. */
START_TEST(cli_exit_codes)
{
    write_linear(2);
    assert_cli(db_url, 10, "pending");
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_close(ctx);
    assert_cli(db_url, 0, "ok");

    sql("UPDATE ultramigrate_version_applied SET state = 'failed' WHERE revision = 'r2'");
    assert_cli(db_url, 11, "failed");
    sql("UPDATE ultramigrate_version_applied SET state = 'applied' WHERE revision = 'r2'");

    sql("INSERT INTO ultramigrate_version VALUES ('zz9')");
    assert_cli(db_url, 12, "ahead");
    sql("DELETE FROM ultramigrate_version WHERE version_num = 'zz9'");

    const char *sum = qv("SELECT checksum FROM ultramigrate_version_applied"
                         " WHERE revision = 'r1'");
    sql("UPDATE ultramigrate_version_applied SET checksum = repeat('0', 64)"
        " WHERE revision = 'r1'");
    assert_cli(db_url, 13, "diverged");
    sql("UPDATE ultramigrate_version_applied SET checksum = '%s' WHERE revision = 'r1'", sum);

    assert_cli(dead_url(), 14, "unreachable");
    assert_cli(db_url, 0, "ok");
}
END_TEST

/* ------------------------------------------------------------------ */
/* 2. What a snapshot costs                                             */
/* ------------------------------------------------------------------ */

/* The files are read at um_open only: a snapshot works without them. */
START_TEST(snapshot_reads_no_files)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r2", NULL));
    const char *dir = pgtest_fmt("%s/migrations/versions", proj_dir);
    const char *gone = pgtest_fmt("%s/migrations/versions.gone", proj_dir);
    ck_assert_int_eq(rename(dir, gone), 0);

    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 1);
    ck_assert_str_eq(h.current_heads[0], "r2");
    ck_assert_str_eq(h.expected_heads[0], "r3");
    ck_assert_str_eq(h.last_applied, "r2");

    /* a refresh (the history moved) compares checksums from memory too */
    sql("UPDATE ultramigrate_version_applied SET checksum = repeat('0', 64)"
        " WHERE revision = 'r1';"
        " INSERT INTO ultramigrate_version_history (revision, direction, state, tool_version)"
        " VALUES ('r1', 'up', 'ok', 'other')");
    h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_DIVERGED);
    ASSERT_MESSAGE_HAS(h, "r1");
    ck_assert_int_eq(rename(gone, dir), 0);
    um_close(ctx);
}
END_TEST

START_TEST(snapshot_arguments)
{
    write_linear(1);
    um_ctx *ctx = open_engine();
    um_health h = UM_HEALTH_INIT;
    ck_assert_int_eq(um_health_snapshot(NULL, &h), UM_EINVAL);
    PGTEST_CHECK_RC(ctx, um_health_snapshot(ctx, NULL), UM_EINVAL);
    h.version = UM_HEALTH_VERSION + 1;
    PGTEST_CHECK_RC(ctx, um_health_snapshot(ctx, &h), UM_EVERSION);
    ck_assert_str_ne(um_errmsg(ctx), "");

    ck_assert_int_eq(um_health_init(NULL, UM_HEALTH_VERSION), UM_EINVAL);
    ck_assert_int_eq(um_health_init(&h, UM_HEALTH_VERSION + 1), UM_EINVAL);
    memset(&h, 0x5a, sizeof(h));
    ck_assert_int_eq(um_health_init(&h, UM_HEALTH_VERSION), UM_OK);
    ck_assert_uint_eq(h.version, UM_HEALTH_VERSION);
    ck_assert_uint_eq(h.pending, 0);
    PGTEST_CHECK_OK(ctx, um_health_snapshot(ctx, &h));
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_str_eq(um_errmsg(ctx), "");

    static const char *const names[] = { "ok",    "pending",  "failed",
                                         "ahead", "diverged", "unreachable" };
    for (int s = UM_HEALTH_OK; s <= UM_HEALTH_UNREACHABLE; s++)
        ck_assert_str_eq(um_health_status_name((um_health_status)s), names[s]);
    ck_assert_str_eq(um_health_status_name((um_health_status)42), "unknown");
    ck_assert_ptr_null(um_health_to_json(NULL));
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 3. A borrowed connection                                             */
/* ------------------------------------------------------------------ */

typedef struct log_capture {
    char text[8192];
} log_capture;

static void capture_log(um_log_level level, const char *msg, void *payload)
{
    log_capture *c = payload;
    size_t len = strlen(c->text);
    (void)level;
    snprintf(c->text + len, sizeof(c->text) - len, "%s\n", msg);
}

/* Waits until some session of the test database holds an advisory lock. */
static void wait_for_lock_holder(void)
{
    for (int i = 0; i < 500; i++) {
        if (strcmp(qv("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                      " AND granted AND database = (SELECT oid FROM pg_database"
                      " WHERE datname = current_database())"),
                   "0") != 0)
            return;
        sleep_ms(10);
    }
    ck_abort_msg("nobody took the migration lock");
}

/*
 * An upgrade on the host's connection, which first waits for the
 * migration lock another process holds, and runs transactional and
 * "Transactional: no" revisions under configured timeouts: the connection
 * comes back open, idle, with the host's settings and without the lock.
 */
START_TEST(borrowed_upgrade_leaves_session)
{
    write_ini("lock_timeout = 2s\nstatement_timeout = 3s\n");
    write_rev("r1", NULL, "SELECT pg_sleep(1.5);\nCREATE TABLE t1 (id int);", "DROP TABLE t1;");
    write_table_rev("r2", "r1", "t2");
    write_rev_full("r3", "r2", 0,
                   "CREATE TABLE t3 (id int);\nCREATE INDEX CONCURRENTLY"
                   " t3_idx ON t3 (id);",
                   "DROP TABLE t3;");
    write_table_rev("r4", "r3", "t4");

    /* another process applies r1, holding the lock for 1.5 s */
    pid_t holder = fork();
    ck_assert_int_ge(holder, 0);
    if (holder == 0) {
        um_open_options o = UM_OPEN_OPTIONS_INIT;
        o.config_path = ini_path;
        o.database_url = db_url;
        o.application_name = "holder";
        um_ctx *c = NULL;
        int rc = um_open(&c, &o);
        if (rc == UM_OK)
            rc = um_upgrade(c, "r1", NULL);
        um_close(c);
        _exit(rc == UM_OK ? 0 : 1);
    }
    wait_for_lock_holder();

    PGconn *conn = host_connect(db_url);
    host_settings(conn);
    log_capture log = { "" };
    um_ctx *ctx = open_with(NULL, conn, capture_log, &log);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    int ws = 0;
    ck_assert_int_eq(waitpid(holder, &ws, 0), holder);
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "the lock holder failed");
    ck_assert_msg(strstr(log.text, "waiting"), "did not wait for the lock:\n%s", log.text);
    ck_assert_str_eq(versions(), "r4");
    ck_assert_str_eq(qv("SELECT application_name FROM ultramigrate_version_applied"
                        " WHERE revision = 'r1'"),
                     "holder");
    ck_assert(table_exists("t3_idx"));
    assert_as_found(conn);

    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_OK);
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(ctx, &st));
    um_status_free(st);
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "r2", NULL));
    assert_as_found(conn);

    um_close(ctx);
    assert_as_found(conn); /* not closed */
    PQfinish(conn);
}
END_TEST

/* A revision that fails in the engine's message. */
START_TEST(borrowed_failure_transactional)
{
    write_ini("lock_timeout = 2s\nstatement_timeout = 3s\n");
    write_table_rev("r1", NULL, "t1");
    write_rev("r2", "r1", "CREATE TABLE t2 (id int);\nINSERT INTO nope VALUES (1);", NULL);
    PGconn *conn = host_connect(db_url);
    host_settings(conn);
    um_ctx *ctx = open_with(NULL, conn, NULL, NULL);
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_str_eq(versions(), "r1");
    assert_as_found(conn);
    ASSERT_STATUS(snap(ctx), UM_HEALTH_FAILED);
    um_close(ctx);
    assert_as_found(conn);
    PQfinish(conn);
}
END_TEST

/* "Transactional: no": the timeouts are set for the session, then put back,
 * also when a statement fails or times out. */
START_TEST(borrowed_failure_nontransactional)
{
    write_ini("lock_timeout = 2s\nstatement_timeout = 300ms\n");
    write_table_rev("r1", NULL, "t1");
    write_rev_full("r2", "r1", 0, "CREATE TABLE t2 (id int);\nINSERT INTO nope VALUES (1);", NULL);
    PGconn *conn = host_connect(db_url);
    host_settings(conn);
    um_ctx *ctx = open_with(NULL, conn, NULL, NULL);
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:failed");
    assert_as_found(conn);
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_FAILED);
    ASSERT_MESSAGE_HAS(h, "r2");
    um_close(ctx);
    assert_as_found(conn);

    /* killed by statement_timeout */
    sql("DELETE FROM ultramigrate_version_applied WHERE revision = 'r2'; DROP TABLE t2");
    write_rev_full("r2", "r1", 0, "CREATE TABLE t2 (id int);\nSELECT pg_sleep(3);", NULL);
    ctx = open_with(NULL, conn, NULL, NULL);
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_str_eq(um_error_detail(ctx)->sqlstate, "57014");
    assert_as_found(conn);
    um_close(ctx);
    assert_as_found(conn);
    PQfinish(conn);
}
END_TEST

/* transaction_per_migration = false: the plan's BEGIN is rolled back. */
START_TEST(borrowed_failure_single_transaction)
{
    write_ini("lock_timeout = 2s\nstatement_timeout = 3s\ntransaction_per_migration = false\n");
    write_table_rev("r1", NULL, "t1");
    write_rev("r2", "r1", "INSERT INTO nope VALUES (1);", NULL);
    PGconn *conn = host_connect(db_url);
    host_settings(conn);
    um_ctx *ctx = open_with(NULL, conn, NULL, NULL);
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ESQL);
    ck_assert_str_eq(versions(), "");
    ck_assert(!table_exists("t1"));
    assert_as_found(conn);
    um_close(ctx);
    assert_as_found(conn);
    PQfinish(conn);
}
END_TEST

/* One connection, several handles: one after another (a host that opens
 * the engine again), and two projects with their own version tables. */
START_TEST(borrowed_several_handles)
{
    write_linear(2);
    PGconn *conn = host_connect(db_url);
    host_settings(conn);
    um_ctx *ctx = open_with(NULL, conn, NULL, NULL);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    um_close(ctx);
    assert_as_found(conn);

    ctx = open_with(NULL, conn, NULL, NULL);
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    um_close(ctx);

    /* a second project in the same database, its own tables, no revision
     * applied: both handles open, used in turn */
    um_ctx *a = open_with(NULL, conn, NULL, NULL);
    write_ini("version_table = other_version\n");
    um_ctx *b = open_with(NULL, conn, NULL, NULL);
    ASSERT_STATUS(snap(a), UM_HEALTH_OK);
    um_health h = snap(b);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 2);
    ASSERT_STATUS(snap(a), UM_HEALTH_OK);
    um_close(a);
    um_close(b);
    assert_as_found(conn);
    PQfinish(conn);
}
END_TEST

/* The host's connection drops: reported unreachable until the host
 * re-establishes it, and used again then. */
START_TEST(borrowed_connection_dropped)
{
    write_linear(2);
    PGconn *conn = host_connect(db_url);
    host_settings(conn);
    um_ctx *ctx = open_with(NULL, conn, NULL, NULL);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r1", NULL));
    ASSERT_STATUS(snap(ctx), UM_HEALTH_PENDING);

    sql("SELECT pg_terminate_backend(%d)", PQbackendPID(conn));
    for (int i = 0; i < 2; i++)
        ASSERT_STATUS(snap(ctx), UM_HEALTH_UNREACHABLE);
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ECONNECT);

    PQreset(conn);
    ck_assert_int_eq(PQstatus(conn), CONNECTION_OK);
    host_settings(conn);
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 1);
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_STATUS(snap(ctx), UM_HEALTH_OK);
    um_close(ctx);
    assert_as_found(conn);
    PQfinish(conn);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 4. Cancelling                                                        */
/* ------------------------------------------------------------------ */

typedef struct canceller {
    um_ctx *ctx;
    long delay_ms; /* cancel after this long; <0: once pg_sleep(5) runs */
    bool seen;     /* the statement was seen running */
    double at_ms;  /* when um_cancel was called */
} canceller;

/* Polls pg_stat_activity from its own connection, then cancels. */
static void *cancel_thread(void *arg)
{
    canceller *c = arg;
    if (c->delay_ms >= 0) {
        sleep_ms(c->delay_ms);
    } else {
        PGconn *conn = PQconnectdb(db_url);
        for (int i = 0; i < 1000 && PQstatus(conn) == CONNECTION_OK && !c->seen; i++) {
            PGresult *res = PQexec(conn, "SELECT count(*) FROM pg_stat_activity"
                                         " WHERE state = 'active' AND pid <> pg_backend_pid()"
                                         " AND query LIKE '%pg_sleep(5)%'");
            c->seen =
                PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "0") != 0;
            PQclear(res);
            if (!c->seen)
                sleep_ms(10);
        }
        PQfinish(conn);
    }
    c->at_ms = pgtest_now_ms();
    um_cancel(c->ctx);
    return NULL;
}

static void cancel_during_upgrade(um_ctx *ctx, const char *sleeping)
{
    canceller c = { ctx, -1, false, 0 };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, cancel_thread, &c), 0);
    int rc = um_upgrade(ctx, "heads", NULL);
    double done = pgtest_now_ms();
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_msg(c.seen, "the sleeping revision was never seen running");
    ck_assert_msg(rc == UM_ECANCELLED,
                  "um_upgrade -> %d (%s), expected UM_ECANCELLED "
                  "(%.0f ms after um_cancel)",
                  rc, um_errmsg(ctx), done - c.at_ms);
    ck_assert_msg(done - c.at_ms < 4000, "um_upgrade returned %.0f ms after um_cancel",
                  done - c.at_ms);
    ck_assert_str_eq(um_error_detail(ctx)->revision, sleeping);
}

START_TEST(cancel_from_thread)
{
    write_table_rev("r1", NULL, "t1");
    write_table_rev("r2", "r1", "t2");
    write_rev("r3", "r2", "CREATE TABLE t3 (id int);\nSELECT pg_sleep(5);", "DROP TABLE t3;");
    write_table_rev("r4", "r3", "t4");
    um_ctx *ctx = open_engine();
    cancel_during_upgrade(ctx, "r3");
    ck_assert_str_eq(versions(), "r2");
    ck_assert_str_eq(applied_rows(), "r1:applied,r2:applied");
    ck_assert(!table_exists("t3"));
    ck_assert(!table_exists("t4"));
    ck_assert_str_eq(qv("SELECT revision || ':' || state FROM ultramigrate_version_history"
                        " ORDER BY id DESC LIMIT 1"),
                     "r3:failed");
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_FAILED);
    ASSERT_MESSAGE_HAS(h, "r3");

    /* the request does not outlive the call: the next run completes */
    write_rev("r3", "r2", "CREATE TABLE t3 (id int);", "DROP TABLE t3;");
    um_close(ctx);
    ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ck_assert_str_eq(versions(), "r4");
    um_close(ctx);
}
END_TEST

/* After the host re-establishes its connection (PQreset: a new backend,
 * a new cancel key), um_cancel must still reach the running statement. */
START_TEST(cancel_borrowed_after_reset)
{
    write_table_rev("r1", NULL, "t1");
    write_rev("r2", "r1", "CREATE TABLE t2 (id int);\nSELECT pg_sleep(5);", "DROP TABLE t2;");
    PGconn *conn = host_connect(db_url);
    host_settings(conn);
    um_ctx *ctx = open_with(NULL, conn, NULL, NULL);
    PQreset(conn);
    ck_assert_int_eq(PQstatus(conn), CONNECTION_OK);
    host_settings(conn);
    cancel_during_upgrade(ctx, "r2");
    ck_assert_str_eq(versions(), "r1");
    assert_as_found(conn);
    um_close(ctx);
    PQfinish(conn);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 5. Waiting for the database                                          */
/* ------------------------------------------------------------------ */

START_TEST(wait_dead_port)
{
    um_ctx *ctx = open_with(dead_url(), NULL, NULL, NULL);
    double t0 = pgtest_now_ms();
    PGTEST_CHECK_RC(ctx, um_wait_for_database(ctx, 500), UM_ECONNECT);
    double took = pgtest_now_ms() - t0;
    ck_assert_msg(took >= 400, "gave up after %.0f ms of 500", took);
    ck_assert_msg(took < 5000, "took %.0f ms for a 500 ms timeout", took);
    ck_assert_msg(strstr(um_errmsg(ctx), "within 500 ms"), "message: %s", um_errmsg(ctx));
    ck_assert_int_eq(um_wait_for_database(NULL, 10), UM_EINVAL);
    um_close(ctx);
}
END_TEST

/* A wrong password cannot be waited away: it fails at once. */
START_TEST(wait_wrong_password)
{
    const char *role = pgtest_fmt("um_health_pw_%ld", (long)getpid());
    ck_assert_msg(pgtest_exec(pgtest_server_url(),
                              pgtest_fmt("CREATE ROLE %s LOGIN PASSWORD 'right'", role)) == 0,
                  "%s", pgtest_last_error());
    /* TCP (the socket is trusted): same port, scram-sha-256 */
    char *tcp = pgtest_url_set(db_url, "host", "127.0.0.1");
    char *with_user = pgtest_url_set(tcp, "user", role);
    char *good = pgtest_url_set(with_user, "password", "right");
    char *bad = pgtest_url_set(with_user, "password", "wrong");

    um_ctx *ctx = open_with(good, NULL, NULL, NULL);
    PGTEST_CHECK_OK(ctx, um_wait_for_database(ctx, 10000));
    um_close(ctx);

    ctx = open_with(bad, NULL, NULL, NULL);
    double t0 = pgtest_now_ms();
    int rc = um_wait_for_database(ctx, 10000);
    double took = pgtest_now_ms() - t0;
    const char *msg = pgtest_keep(strdup(um_errmsg(ctx)));
    um_close(ctx);
    pgtest_exec(pgtest_server_url(), pgtest_fmt("DROP ROLE %s", role));
    free(tcp);
    free(with_user);
    free(good);
    free(bad);
    ck_assert_msg(rc == UM_ECONNECT, "rc %d: %s", rc, msg);
    ck_assert_msg(took < 5000, "a wrong password was retried for %.0f ms", took);
    ck_assert_msg(strstr(msg, "password authentication failed"), "message: %s", msg);
    ck_assert_msg(!strstr(msg, "wrong"), "the password leaked: %s", msg);
}
END_TEST

/* The server starts a second after the wait began. */
START_TEST(wait_server_starts)
{
    write_linear(1);
    start_cluster();
    ck_assert_int_eq(cluster_ctl("stop"), 0);
    um_ctx *ctx = open_with(cluster_url, NULL, NULL, NULL);
    ASSERT_STATUS(snap(ctx), UM_HEALTH_UNREACHABLE);

    pid_t starter = fork();
    ck_assert_int_ge(starter, 0);
    if (starter == 0) {
        sleep_ms(1000);
        _exit(cluster_ctl("start"));
    }
    double t0 = pgtest_now_ms();
    int rc = um_wait_for_database(ctx, 30000);
    double took = pgtest_now_ms() - t0;
    int ws = 0;
    ck_assert_int_eq(waitpid(starter, &ws, 0), starter);
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "pg_ctl start failed");
    ck_assert_msg(rc == UM_OK, "rc %d after %.0f ms: %s", rc, took, um_errmsg(ctx));
    ck_assert_msg(took >= 900, "connected after %.0f ms, before the server started", took);
    um_health h = snap(ctx);
    ASSERT_STATUS(h, UM_HEALTH_PENDING);
    ck_assert_uint_eq(h.pending, 1);
    um_close(ctx);
}
END_TEST

START_TEST(wait_cancelled)
{
    um_ctx *ctx = open_with(dead_url(), NULL, NULL, NULL);
    canceller c = { ctx, 300, false, 0 };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, cancel_thread, &c), 0);
    int rc = um_wait_for_database(ctx, 20000);
    double done = pgtest_now_ms();
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_msg(rc == UM_ECANCELLED, "rc %d: %s", rc, um_errmsg(ctx));
    ck_assert_msg(done - c.at_ms < 4000, "returned %.0f ms after um_cancel", done - c.at_ms);
    /* the request held for that call only */
    PGTEST_CHECK_RC(ctx, um_wait_for_database(ctx, 200), UM_ECONNECT);
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */

/* A test case of the suite, with the checked fixture, 60 s each. */
#define tcase(s, name) pgtest_add_tcase((s), (name), setup, teardown, 60)

static Suite *health_suite(void)
{
    Suite *s = suite_create("health");
    TCase *tc;

    tc = tcase(s, "status");
    tcase_add_test(tc, status_ok);
    tcase_add_test(tc, status_pending);
    tcase_add_test(tc, status_empty_project);
    tcase_add_test(tc, status_many_heads);
    tcase_add_test(tc, status_failed);
    tcase_add_test(tc, status_failed_transactional);
    tcase_add_test(tc, status_failed_then_stamped);
    tcase_add_test(tc, status_ahead_of_files);
    tcase_add_test(tc, status_ahead_by_hand);
    tcase_add_test(tc, status_diverged_file);
    tcase_add_test(tc, status_diverged_database);
    tcase_add_test(tc, status_tables_dropped);
    tcase_add_test(tc, status_unreachable_dead_port);
    tcase_add_test(tc, status_unreachable_server_restart);

    tc = tcase(s, "cli");
    tcase_add_test(tc, cli_exit_codes);

    tc = tcase(s, "snapshot");
    tcase_add_test(tc, snapshot_reads_no_files);
    tcase_add_test(tc, snapshot_arguments);

    tc = tcase(s, "borrowed");
    tcase_add_test(tc, borrowed_upgrade_leaves_session);
    tcase_add_test(tc, borrowed_failure_transactional);
    tcase_add_test(tc, borrowed_failure_nontransactional);
    tcase_add_test(tc, borrowed_failure_single_transaction);
    tcase_add_test(tc, borrowed_several_handles);
    tcase_add_test(tc, borrowed_connection_dropped);

    tc = tcase(s, "cancel");
    tcase_add_test(tc, cancel_from_thread);
    tcase_add_test(tc, cancel_borrowed_after_reset);

    tc = tcase(s, "wait");
    tcase_add_test(tc, wait_dead_port);
    tcase_add_test(tc, wait_wrong_password);
    tcase_add_test(tc, wait_server_starts);
    tcase_add_test(tc, wait_cancelled);

    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(health_suite());
}
