/*
 * check_examples.c - the programs in examples/ as a deployment runs them:
 * the health server probed with curl, several copies of the embed example
 * started at once on one database, and start-migrate.sh in front of an
 * application.  The programs are found through UM_BUILD_DIR, UM_SOURCE_DIR
 * and UM_CLI (meson's test environment); HTTP requests are made by the curl
 * binary, as a probe would make them.
 */
#include "pgtest.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

/* Revisions: R1 <- R2 <- R3. */
#define R1             "a1a1a1a1a101"
#define R2             "b2b2b2b2b202"
#define R3             "c3c3c3c3c303"
#define EXIT_MIGRATION 8 /* the CLI's status when a revision fails */

/* pgtest.h's project fixture, bare: each test writes its files. */
static pgtest_project project;
#define proj (project.dir)    /* project directory, cwd of every program */
#define db   (project.db_url) /* the test's database */
static pid_t server_pid;      /* a running health_server, 0: none */
static int server_out = -1;   /* its stdout */

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

/* A program of the build, which must exist. */
static char *built(const char *rel)
{
    char *p = pgtest_asprintf("%s/%s", pgtest_env("UM_BUILD_DIR"), rel);
    ck_assert_msg(access(p, X_OK) == 0, "%s: %s (build the examples first)", p, strerror(errno));
    return p;
}

/* The whole file (free()); "" when it cannot be read. */
static char *slurp(const char *path)
{
    char *s = pgtest_read_file(path, NULL);
    return s ? s : pgtest_asprintf("%s", "");
}

#define now_s() (pgtest_now_ms() / 1000.0)

static char *query(const char *sql)
{
    char *v = pgtest_query_value(db, sql);
    ck_assert_msg(v != NULL, "%s: %s", sql, pgtest_last_error());
    return v;
}

static void assert_query(const char *sql, const char *expected)
{
    char *v = query(sql);
    ck_assert_msg(strcmp(v, expected) == 0, "%s: got '%s', expected '%s'", sql, v, expected);
    free(v);
}

/* ------------------------------------------------------------------ */
/* The project                                                          */
/* ------------------------------------------------------------------ */

/* @name in the project: the migrations directory, lock_wait, @extra lines. */
static char *write_ini(const char *name, const char *extra)
{
    pgtest_write_ini(proj, name, "60s", extra);
    return pgtest_asprintf("%s/%s", proj, name);
}

static void write_revision_tx(const char *id, const char *parent, const char *up, const char *down,
                              int transactional)
{
    pgtest_write_revision(proj, id, parent, NULL, transactional, up, down);
}

static void write_revision(const char *id, const char *parent, const char *up, const char *down)
{
    write_revision_tx(id, parent, up, down, 1);
}

static void remove_revision(const char *id)
{
    const char *path = pgtest_revision_path(proj, id);
    ck_assert_msg(unlink(path) == 0, "unlink %s: %s", path, strerror(errno));
}

/* R1 and R2, each creating a table; R2 @transactional or not. */
static char *two_revisions_tx(int transactional)
{
    write_revision(R1, NULL, "CREATE TABLE t1 (id int);", "DROP TABLE t1;");
    write_revision_tx(R2, R1, "CREATE TABLE t2 (id int);", "DROP TABLE t2;", transactional);
    return write_ini("ultramigrate.ini", NULL);
}

static char *two_revisions(void)
{
    return two_revisions_tx(1);
}

/* ------------------------------------------------------------------ */
/* Running programs                                                     */
/* ------------------------------------------------------------------ */

typedef pgtest_cli_result proc;

/* In the child: dies with the test, runs in the project, sees the database
 * in DATABASE_URL only (NULL: no URL from the environment). */
static void child_setup(const char *env_url)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    pgtest_child_env(proj, env_url);
    setenv("ULTRAMIGRATE", getenv("UM_CLI") ? getenv("UM_CLI") : "ultramigrate", 1);
}

static void redirect(int fd, const char *path)
{
    int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (f < 0 || dup2(f, fd) < 0)
        _exit(126);
    close(f);
}

/* Starts @argv (PATH searched), stdout and stderr to @tag.out, @tag.err. */
static pid_t spawn_v(const char *env_url, const char *tag, const char *const argv[])
{
    char *out = pgtest_asprintf("%s/%s.out", proj, tag);
    char *err = pgtest_asprintf("%s/%s.err", proj, tag);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        child_setup(env_url);
        redirect(STDOUT_FILENO, out);
        redirect(STDERR_FILENO, err);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    free(out);
    free(err);
    return pid;
}

/* Waits up to @timeout_s for @pid (then kills it and fails). */
static int wait_exit(pid_t pid, double timeout_s, const char *what)
{
    double end = now_s() + timeout_s;
    int ws = 0;
    for (;;) {
        pid_t r = waitpid(pid, &ws, WNOHANG);
        if (r == pid)
            return pgtest_decode_status(ws);
        ck_assert_msg(r == 0 || errno == EINTR, "waitpid: %s", strerror(errno));
        if (now_s() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            ck_abort_msg("%s did not exit within %.0f s", what, timeout_s);
        }
        nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
    }
}

static proc finish(pid_t pid, const char *tag, double timeout_s)
{
    proc p = { wait_exit(pid, timeout_s, tag), NULL, NULL };
    char *out = pgtest_asprintf("%s/%s.out", proj, tag);
    char *err = pgtest_asprintf("%s/%s.err", proj, tag);
    p.out = slurp(out);
    p.err = slurp(err);
    free(out);
    free(err);
    ck_assert_msg(p.status != 127, "%s: cannot run the program\n%s", tag, p.err);
    pgtest_assert_no_sanitizer_report(tag, p.err);
    return p;
}

#define run(env_url, tag, ...)                                                                     \
    finish(spawn_v((env_url), (tag), (const char *const[]){ __VA_ARGS__, NULL }), (tag), 60)

/* Runs the CLI in the project; asserts its exit status. */
static void cli(const char *ini, const char *command, const char *arg, int expected)
{
    proc p = arg ? run(db, "cli", pgtest_env("UM_CLI"), "-c", ini, command, arg)
                 : run(db, "cli", pgtest_env("UM_CLI"), "-c", ini, command);
    pgtest_assert_status(p, expected, command);
    pgtest_cli_result_free(&p);
}

/* ------------------------------------------------------------------ */
/* The health server                                                    */
/* ------------------------------------------------------------------ */

/* Starts health_server on a free port with @ini; returns the port. */
static int start_server(const char *ini, const char *env_url)
{
    char *exe = built("examples/health_server");
    char *err = pgtest_asprintf("%s/server.err", proj);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    server_pid = fork();
    ck_assert_int_ge(server_pid, 0);
    if (server_pid == 0) {
        child_setup(env_url);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        redirect(STDERR_FILENO, err);
        execl(exe, "health_server", "0", ini, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    server_out = fds[0];

    /* Its first line, "listening on 127.0.0.1:PORT". */
    char line[128];
    size_t len = 0;
    double end = now_s() + 20;
    while (len < sizeof(line) - 1 && !memchr(line, '\n', len)) {
        struct pollfd pfd = { server_out, POLLIN, 0 };
        int left_ms = (int)((end - now_s()) * 1000);
        ck_assert_msg(left_ms > 0, "health_server printed no port within 20 s");
        if (poll(&pfd, 1, left_ms) <= 0)
            continue;
        ssize_t n = read(server_out, line + len, sizeof(line) - 1 - len);
        if (n == 0) {
            char *msg = slurp(err);
            ck_abort_msg("health_server exited before listening:\n%s", msg);
        }
        if (n > 0)
            len += (size_t)n;
    }
    line[len] = '\0';
    int port = 0;
    ck_assert_msg(sscanf(line, "listening on 127.0.0.1:%d\n", &port) == 1 && port > 0,
                  "unexpected first line: %s", line);
    free(err);
    free(exe);
    return port;
}

/* SIGTERM: the server must stop cleanly (status 0). */
static void stop_server(void)
{
    ck_assert_int_eq(kill(server_pid, SIGTERM), 0);
    int status = wait_exit(server_pid, 20, "health_server after SIGTERM");
    server_pid = 0;
    close(server_out);
    server_out = -1;
    char *path = pgtest_asprintf("%s/server.err", proj);
    char *err = slurp(path);
    pgtest_assert_no_sanitizer_report("health_server", err);
    ck_assert_msg(status == 0, "health_server exit %d after SIGTERM\n%s", status, err);
    free(err);
    free(path);
}

typedef struct http {
    int code;
    char *body;
} http;

/* @method @path on the server, with curl. */
static http request(int port, const char *method, const char *path)
{
    char *url = pgtest_asprintf("http://127.0.0.1:%d%s", port, path);
    char *body = pgtest_asprintf("%s/body", proj);
    proc p = strcmp(method, "HEAD") == 0 ? run(NULL, "curl", "curl", "-sS", "--max-time", "20",
                                               "--head", "-o", body, "-w", "%{http_code}", url)
                                         : run(NULL, "curl", "curl", "-sS", "--max-time", "20",
                                               "-X", method, "-o", body, "-w", "%{http_code}", url);
    ck_assert_msg(p.status != 127, "curl not found: the tests need the curl binary");
    pgtest_assert_status(p, 0, "curl");
    http h = { atoi(p.out), slurp(body) };
    pgtest_cli_result_free(&p);
    free(body);
    free(url);
    return h;
}

/* GET /health answers @code with JSON whose "status" is @status. */
static void assert_health(int port, int code, const char *status)
{
    http h = request(port, "GET", "/health");
    ck_assert_msg(h.code == code, "GET /health: %d, expected %d (status %s)\n%s", h.code, code,
                  status, h.body);
    json_error_t e;
    json_t *j = json_loads(h.body, 0, &e);
    ck_assert_msg(j != NULL, "GET /health: not JSON (%s):\n%s", e.text, h.body);
    const char *got = json_string_value(json_object_get(j, "status"));
    ck_assert_msg(got && strcmp(got, status) == 0, "GET /health: status %s, expected %s\n%s",
                  got ? got : "(none)", status, h.body);
    json_decref(j);
    free(h.body);
}

static void assert_code(int port, const char *method, const char *path, int code)
{
    http h = request(port, method, path);
    ck_assert_msg(h.code == code, "%s %s: %d, expected %d\n%s", method, path, h.code, code, h.body);
    free(h.body);
}

/* ------------------------------------------------------------------ */
/* Fixture                                                              */
/* ------------------------------------------------------------------ */

static void setup(void)
{
    pgtest_project_setup_bare(&project);
    server_pid = 0;
    server_out = -1;
}

static void teardown(void)
{
    if (server_pid > 0) {
        kill(server_pid, SIGKILL);
        waitpid(server_pid, NULL, 0);
        server_pid = 0;
    }
    if (server_out >= 0)
        close(server_out);
    server_out = -1;
    pgtest_project_teardown(&project);
}

/* ------------------------------------------------------------------ */
/* health_server                                                        */
/* ------------------------------------------------------------------ */

/*
 * One server process follows the database through a deploy: pending, ok,
 * then R2 (@transactional or not) fails.  The server read the files once,
 * at start; every answer comes from the database.
 */
static void follow_deploy(int transactional)
{
    char *ini = two_revisions_tx(transactional);
    int port = start_server(ini, db);

    assert_health(port, 200, "pending");
    assert_code(port, "GET", "/", 404);
    assert_code(port, "GET", "/healthz", 404);
    assert_code(port, "POST", "/health", 405);
    assert_code(port, "DELETE", "/health", 405);
    assert_code(port, "HEAD", "/health", 200);

    cli(ini, "upgrade", NULL, 0);
    assert_health(port, 200, "ok");

    /* R2 again, onto a table in its way: it fails. */
    cli(ini, "downgrade", "-1", 0);
    ck_assert_int_eq(pgtest_exec(db, "CREATE TABLE t2 (in_the_way int)"), 0);
    cli(ini, "upgrade", NULL, EXIT_MIGRATION);
    assert_health(port, 503, "failed");

    stop_server();
    free(ini);
}

START_TEST(health_follows_a_deploy)
{
    follow_deploy(0);
}
END_TEST

/* The common case: a transactional revision fails and rolls back.  The
 * failure is only in the history, and a probe must still see it. */
START_TEST(health_follows_a_deploy_transactional)
{
    follow_deploy(1);
}
END_TEST

START_TEST(health_unreachable)
{
    free(two_revisions());
    /* The URL in the file only, and nothing listens there. */
    char *extra =
        pgtest_asprintf("database_url = postgresql://127.0.0.1:%d/none\n", pgtest_dead_port());
    char *ini = write_ini("dead.ini", extra);
    int port = start_server(ini, NULL);
    assert_health(port, 503, "unreachable");
    stop_server();
    free(ini);
    free(extra);
}
END_TEST

/* A replica with the previous release's files, after a newer one upgraded. */
START_TEST(health_ahead)
{
    char *ini = two_revisions();
    cli(ini, "upgrade", NULL, 0);
    remove_revision(R2);
    int port = start_server(ini, db);
    assert_health(port, 200, "ahead");
    stop_server();
    free(ini);
}
END_TEST

/* An applied revision's file edited afterwards. */
START_TEST(health_diverged)
{
    char *ini = two_revisions();
    cli(ini, "upgrade", NULL, 0);
    write_revision(R2, R1, "CREATE TABLE t2 (id bigint);", "DROP TABLE t2;");
    int port = start_server(ini, db);
    assert_health(port, 503, "diverged");
    stop_server();
    free(ini);
}
END_TEST

/* A replica upgrading right now: R2, "Transactional: no", sleeps while
 * the run holds the migration lock.  Not a page (200), until the run's
 * backend is killed and the revision is left in progress (503). */
START_TEST(health_migrating)
{
    write_revision(R1, NULL, "CREATE TABLE t1 (id int);", "DROP TABLE t1;");
    write_revision_tx(R2, R1, "SELECT pg_sleep(61);", NULL, 0);
    char *ini = write_ini("ultramigrate.ini", NULL);
    int port = start_server(ini, db);
    pid_t run = spawn_v(
        db, "upgrade",
        (const char *const[]){ pgtest_env("UM_CLI"), "-c", ini, "upgrade", "--no-backup", NULL });
    const char *sleeping = "SELECT coalesce(max(pid), 0) FROM pg_stat_activity"
                           " WHERE datname = current_database()"
                           " AND state = 'active' AND application_name = 'ultramigrate'"
                           " AND query LIKE '%pg_sleep(61)%'"
                           " AND pid <> pg_backend_pid()";
    char *backend = query(sleeping);
    for (double end = now_s() + 20; strcmp(backend, "0") == 0 && now_s() < end;) {
        nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
        free(backend);
        backend = query(sleeping);
    }
    ck_assert_msg(strcmp(backend, "0") != 0, "the upgrade never reached %s", R2);
    assert_health(port, 200, "migrating");

    char *kill_sql = pgtest_asprintf("SELECT pg_terminate_backend(%s)", backend);
    assert_query(kill_sql, "t");
    ck_assert_int_ne(wait_exit(run, 20, "upgrade"), 0);
    assert_health(port, 503, "failed");
    stop_server();
    free(kill_sql);
    free(backend);
    free(ini);
}
END_TEST

/* ------------------------------------------------------------------ */
/* embed                                                                */
/* ------------------------------------------------------------------ */

#define N_EMBED 4

/* Replicas starting together: all come up, each revision runs once. */
START_TEST(embed_concurrent_start)
{
    /* Slow revisions, so the copies really contend for the lock. */
    write_revision(R1, NULL, "SELECT pg_sleep(0.3); CREATE TABLE t1 (id int);", "DROP TABLE t1;");
    write_revision(R2, R1, "SELECT pg_sleep(0.3); CREATE TABLE t2 (id int);", "DROP TABLE t2;");
    write_revision(R3, R2, "SELECT pg_sleep(0.3); CREATE TABLE t3 (id int);", "DROP TABLE t3;");
    char *ini = write_ini("ultramigrate.ini", NULL);
    char *exe = built("examples/embed");

    pid_t pids[N_EMBED];
    char tags[N_EMBED][16];
    for (int i = 0; i < N_EMBED; i++) {
        snprintf(tags[i], sizeof(tags[i]), "embed%d", i);
        pids[i] = spawn_v(db, tags[i], (const char *const[]){ exe, ini, NULL });
    }
    for (int i = 0; i < N_EMBED; i++) {
        proc p = finish(pids[i], tags[i], 120);
        pgtest_assert_status(p, 0, tags[i]);
        ck_assert_msg(strstr(p.out, "database at: " R3 "\napplied: 3, pending: 0\n"),
                      "%s: unexpected status:\n%s", tags[i], p.out);
        pgtest_cli_result_free(&p);
    }

    assert_query("SELECT count(*) FROM ultramigrate_version_history", "3");
    assert_query("SELECT count(DISTINCT revision) FROM ultramigrate_version_history"
                 " WHERE direction = 'up' AND state = 'ok'",
                 "3");
    assert_query("SELECT string_agg(version_num, ',') FROM ultramigrate_version", R3);
    free(exe);
    free(ini);
}
END_TEST

/* A database that never comes: embed gives up at EMBED_WAIT_SECONDS. */
START_TEST(embed_wait_deadline)
{
    free(two_revisions());
    char *extra =
        pgtest_asprintf("database_url = postgresql://127.0.0.1:%d/none\n", pgtest_dead_port());
    char *ini = write_ini("dead.ini", extra);
    char *exe = built("examples/embed");
    setenv("EMBED_WAIT_SECONDS", "2", 1);
    double t0 = now_s();
    proc p = run(NULL, "embed", exe, ini);
    double elapsed = now_s() - t0;
    unsetenv("EMBED_WAIT_SECONDS");
    pgtest_assert_status(p, 1, "embed against a dead port");
    ck_assert_msg(elapsed >= 1.5 && elapsed < 15, "gave up after %.1f s, expected about 2 s",
                  elapsed);
    pgtest_cli_result_free(&p);
    free(exe);
    free(ini);
    free(extra);
}
END_TEST

/* ------------------------------------------------------------------ */
/* start-migrate.sh                                                     */
/* ------------------------------------------------------------------ */

/* Runs the script in front of an app printing "started" and its PID. */
static proc start_script(const char *ini)
{
    char *script = pgtest_asprintf("%s/examples/start-migrate.sh", pgtest_env("UM_SOURCE_DIR"));
    pid_t pid = spawn_v(db, "start",
                        (const char *const[]){ "sh", script, "-c", ini, "--wait", "5", "--", "sh",
                                               "-c", "echo started $$", NULL });
    proc p = finish(pid, "start", 60);
    /* exec keeps the PID: the app must be the script's own process */
    if (p.status == 0) {
        char *expected = pgtest_asprintf("started %ld\n", (long)pid);
        ck_assert_msg(strcmp(p.out, expected) == 0, "app output '%s', expected '%s'\n%s", p.out,
                      expected, p.err);
        free(expected);
    }
    free(script);
    return p;
}

START_TEST(start_script_execs_app)
{
    char *ini = two_revisions();
    proc p = start_script(ini);
    pgtest_assert_status(p, 0, "start-migrate.sh");
    pgtest_cli_result_free(&p);
    assert_query("SELECT string_agg(version_num, ',') FROM ultramigrate_version", R2);
    free(ini);
}
END_TEST

START_TEST(start_script_stops_on_failure)
{
    write_revision(R1, NULL, "CREATE TABLE t1 (id int);", "DROP TABLE t1;");
    write_revision(R2, R1, "SELECT 1/0;", "SELECT 1;");
    char *ini = write_ini("ultramigrate.ini", NULL);
    proc p = start_script(ini);
    ck_assert_msg(p.status != 0, "start-migrate.sh exited 0 after a failed upgrade\n%s", p.err);
    ck_assert_msg(!strstr(p.out, "started"), "the app started after a failed upgrade:\n%s", p.out);
    ck_assert_msg(strstr(p.err, "upgrade failed"), "no message on stderr:\n%s", p.err);
    pgtest_cli_result_free(&p);
    free(ini);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *examples_suite(void)
{
    Suite *s = suite_create("examples");

    PGTEST_ADD_TESTS(pgtest_add_tcase(s, "health_server", setup, teardown, 120),
                     health_follows_a_deploy, health_follows_a_deploy_transactional,
                     health_unreachable, health_ahead, health_diverged, health_migrating);

    PGTEST_ADD_TESTS(pgtest_add_tcase(s, "embed", setup, teardown, 180), embed_concurrent_start,
                     embed_wait_deadline);

    PGTEST_ADD_TESTS(pgtest_add_tcase(s, "start_migrate", setup, teardown, 120),
                     start_script_execs_app, start_script_stops_on_failure);
    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(examples_suite());
}
