/*
 * pgtest.c - the test harness: a throwaway cluster, a database per test,
 * schema fingerprints and the suite runner.  See pgtest.h.
 *
 * Check forks a child per test, so the cluster must exist before the fork
 * (pgtest_run_pg_suite) and only the process that started it may stop it:
 * the atexit handler compares pids.  A watcher process, out of the test's
 * process group, stops the cluster too if the test process dies without
 * running its atexit handlers (a timeout's SIGKILL, a crash).
 */
#include "pgtest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pty.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ENV_URL "UM_TEST_DATABASE_URL"

/* A cluster this process started. */
typedef struct cluster_t {
    char *url;
    char *dir;
    char *script;
    pid_t owner;   /* only this pid stops the cluster */
    int watch_fd;  /* write end of the watcher's pipe */
    bool exported; /* we put url into the environment */
} cluster_t;

/* The server the suite shares, when none is named; and a test's own,
 * which it may stop and start (pgtest_dedicated_*). */
static cluster_t cluster = { .watch_fd = -1 };
static cluster_t dedicated = { .watch_fd = -1 };

static char errbuf[1024];
static char last_error[1024];

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

static void oom(void)
{
    fputs("pgtest: out of memory\n", stderr);
    abort();
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        oom();
    return d;
}

static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom();
    return s;
}

/* A growable string. */
typedef struct {
    char *s;
    size_t len, cap;
} buf;

static void buf_add(buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p)
            oom();
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void buf_adds(buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* libpq messages end with a newline; messages in Check's output should not. */
static void set_error(char *dst, size_t size, const char *what, const char *msg)
{
    snprintf(dst, size, "%s%s%s", what, *what ? ": " : "", msg ? msg : "");
    size_t n = strlen(dst);
    while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == ' '))
        dst[--n] = '\0';
}

static uint32_t random32(void)
{
    uint32_t r = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, &r, sizeof r);
        close(fd);
        if (n == (ssize_t)sizeof r)
            return r;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint32_t)ts.tv_nsec ^ ((uint32_t)getpid() << 16);
}

/* Notices (IF EXISTS, FORCE) would clutter the test output. */
void pgtest_quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Connects to @url; NULL with @err filled on failure. */
static PGconn *connect_url(const char *url, char *err, size_t errsize)
{
    const char *const keys[] = { "dbname", "fallback_application_name", NULL };
    const char *const values[] = { url, "pgtest", NULL };
    PGconn *conn = PQconnectdbParams(keys, values, 1);

    if (!conn) {
        set_error(err, errsize, "cannot connect", "out of memory");
        return NULL;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        set_error(err, errsize, "cannot connect", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    PQsetNoticeProcessor(conn, pgtest_quiet_notices, NULL);
    return conn;
}

/* ------------------------------------------------------------------ */
/* Connection strings                                                   */
/* ------------------------------------------------------------------ */

static void add_keyword(buf *b, const char *key, const char *value)
{
    if (b->len)
        buf_adds(b, " ");
    buf_adds(b, key);
    buf_adds(b, "='");
    for (const char *p = value; *p; p++) {
        if (*p == '\'' || *p == '\\')
            buf_add(b, "\\", 1);
        buf_add(b, p, 1);
    }
    buf_adds(b, "'");
}

/* @url with @key set to @value (NULL: removed), in key=value form; NULL
 * with @err filled when libpq cannot parse @url. */
static char *conninfo_set(const char *url, const char *key, const char *value, char *err,
                          size_t errsize)
{
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &perr);

    if (!opts) {
        set_error(err, errsize, "bad connection string", perr ? perr : "out of memory");
        PQfreemem(perr);
        return NULL;
    }
    buf b = { 0 };
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (o->val && strcmp(o->keyword, key) != 0)
            add_keyword(&b, o->keyword, o->val);
    }
    if (value)
        add_keyword(&b, key, value);
    PQconninfoFree(opts);
    return b.s ? b.s : xstrdup("");
}

/* The value of @key in @url (free()), NULL when unset or unparsable. */
static char *conninfo_get(const char *url, const char *key)
{
    char *value = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, NULL);

    if (!opts)
        return NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (o->val && strcmp(o->keyword, key) == 0)
            value = xstrdup(o->val);
    }
    PQconninfoFree(opts);
    return value;
}

char *pgtest_url_set(const char *url, const char *key, const char *value)
{
    char err[512];
    char *s = conninfo_set(url, key, value, err, sizeof err);

    if (!s)
        ck_abort_msg("pgtest_url_set: %s", err);
    return s;
}

/* ------------------------------------------------------------------ */
/* The cluster                                                          */
/* ------------------------------------------------------------------ */

/* Runs @argv; its stdout goes to *@out when @out is not NULL, else to
 * /dev/null.  Returns the exit status (128+N on signal N), or -1 when it
 * could not run. */
static int run_argv(char *const argv[], char **out)
{
    int fds[2] = { -1, -1 };

    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(out ? fds[1] : devnull, STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        _exit(127);
    }

    buf b = { 0 };
    char chunk[512];
    ssize_t n;
    close(fds[1]);
    while ((n = read(fds[0], chunk, sizeof chunk)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        buf_add(&b, chunk, (size_t)n);
    }
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            free(b.s);
            return -1;
        }
    }
    if (out)
        *out = b.s ? b.s : xstrdup("");
    else
        free(b.s);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Runs "bash @script @cmd @dir" (see run_argv). */
static int run_script(const char *script, const char *cmd, const char *dir, char **out)
{
    char *const argv[] = { "bash", (char *)script, (char *)cmd, (char *)dir, NULL };
    return run_argv(argv, out);
}

/*
 * Forks a watcher that stops @c once every copy of the pipe's write end is
 * closed, i.e. when this process and its Check children are gone however
 * they ended.  It leaves our process group so that a kill of the test's
 * group spares it.  Best effort: without it, only the atexit handler (or
 * the teardown) stops the cluster.
 */
static void start_watcher(cluster_t *c)
{
    int fds[2];

    if (pipe(fds) != 0)
        return;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return;
    }
    if (pid == 0) {
        setsid();
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            dup2(devnull, STDOUT_FILENO);
            dup2(devnull, STDERR_FILENO);
        }
        long max = sysconf(_SC_OPEN_MAX);
        for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 1024); fd++) {
            if (fd != fds[0])
                close((int)fd);
        }
        char ch;
        while (read(fds[0], &ch, 1) != 0 && errno == EINTR)
            ;
        execlp("bash", "bash", c->script, "stop", c->dir, (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    c->watch_fd = fds[1];
}

static void stop_one(cluster_t *c)
{
    if (!c->dir || getpid() != c->owner)
        return;
    if (run_script(c->script, "stop", c->dir, NULL) != 0)
        fprintf(stderr, "pgtest: could not stop the cluster in %s\n", c->dir);
    if (c->watch_fd >= 0)
        close(c->watch_fd); /* the watcher's stop finds nothing left */
    if (c->exported)
        unsetenv(ENV_URL);
    free(c->url);
    free(c->dir);
    free(c->script);
    c->url = c->dir = c->script = NULL;
    c->watch_fd = -1;
    c->exported = false;
}

static void stop_cluster(void)
{
    stop_one(&cluster);
}

static void stop_clusters_at_exit(void)
{
    stop_one(&dedicated);
    stop_one(&cluster);
}

/* initdb + start in a new temporary directory (scripts/pg-cluster.sh);
 * false with errbuf filled on failure. */
static bool start_one(cluster_t *c)
{
    const char *src = getenv("UM_SOURCE_DIR");
    if (!src || !*src) {
        snprintf(errbuf, sizeof errbuf,
                 "neither %s nor UM_SOURCE_DIR is set: "
                 "run the tests with meson test, or name a server",
                 ENV_URL);
        return false;
    }
    const char *tmp = getenv("TMPDIR");
    char *dir = xasprintf("%s/um-pg-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        snprintf(errbuf, sizeof errbuf, "mkdtemp %s: %s", dir, strerror(errno));
        free(dir);
        return false;
    }
    char *script = xasprintf("%s/scripts/pg-cluster.sh", src);
    char *out = NULL;
    int rc = run_script(script, "start", dir, &out);
    char *nl = out ? strrchr(out, '\n') : NULL;
    if (nl && nl[1] == '\0')
        *nl = '\0';
    if (rc != 0 || !out || !*out || strchr(out, '\n')) {
        snprintf(errbuf, sizeof errbuf, "%s start %s failed (status %d); its messages are above",
                 script, dir, rc);
        run_script(script, "stop", dir, NULL);
        free(out);
        free(script);
        free(dir);
        return false;
    }

    static bool registered;
    c->url = out;
    c->dir = dir;
    c->script = script;
    c->owner = getpid();
    if (!registered && atexit(stop_clusters_at_exit) == 0)
        registered = true;
    start_watcher(c);
    return true;
}

/* The server's URL, starting a cluster when none is named; NULL with
 * errbuf filled on failure. */
static const char *ensure_server(void)
{
    const char *env = getenv(ENV_URL);
    if (env && *env)
        return env;
    if (cluster.url)
        return cluster.url;

    return start_one(&cluster) ? cluster.url : NULL;
}

const char *pgtest_server_url(void)
{
    const char *url = ensure_server();
    if (!url)
        ck_abort_msg("pgtest: %s", errbuf);
    return url;
}

/* ------------------------------------------------------------------ */
/* A pooler                                                             */
/* ------------------------------------------------------------------ */

/* scripts/pgbouncer.sh's exit status when the binary is missing. */
#define POOLER_MISSING 3

static struct {
    char *dir;
    char *url; /* its "postgres" database */
    pid_t owner;
} pooler;

void pgtest_pooler_stop(void)
{
    if (!pooler.dir || getpid() != pooler.owner)
        return;
    char *script = xasprintf("%s/scripts/pgbouncer.sh", pgtest_env("UM_SOURCE_DIR"));
    char *const argv[] = { "bash", script, "stop", pooler.dir, NULL };
    if (run_argv(argv, NULL) != 0)
        fprintf(stderr, "pgtest: could not stop the pooler in %s\n", pooler.dir);
    free(script);
    free(pooler.dir);
    free(pooler.url);
    pooler.dir = pooler.url = NULL;
}

/* @key of the server's URL, or @fallback (free()). */
static char *server_param(const char *key, const char *fallback)
{
    char *v = conninfo_get(pgtest_server_url(), key);
    return v ? v : xstrdup(fallback);
}

int pgtest_pooler_start(void)
{
    if (pooler.url)
        return 1;
    char *script = xasprintf("%s/scripts/pgbouncer.sh", pgtest_env("UM_SOURCE_DIR"));
    const char *tmp = getenv("TMPDIR");
    char *dir = xasprintf("%s/um-pgb-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s: %s", dir, strerror(errno));
    char *host = server_param("host", "/var/run/postgresql");
    char *port = server_param("port", "5432");
    char *user = server_param("user", "postgres");
    char *password = conninfo_get(pgtest_server_url(), "password");
    if (password)
        setenv("PGPASSWORD", password, 1);
    char *const argv[] = { "bash", script, "start", dir, host, port, user, NULL };
    char *out = NULL;
    int rc = run_argv(argv, &out);
    if (password)
        unsetenv("PGPASSWORD");
    free(password);
    free(host);
    free(port);
    free(user);
    free(script);
    if (rc == POOLER_MISSING) {
        fprintf(stderr, "pgtest: pgbouncer is not installed (scripts/install-deps.sh installs"
                        " it): the tests through a pooler are skipped\n");
        rmdir(dir);
        free(dir);
        free(out);
        return 0;
    }
    ck_assert_msg(rc == 0 && out && *out, "scripts/pgbouncer.sh start %s failed (status %d)", dir,
                  rc);
    out[strcspn(out, "\n")] = '\0';
    pooler.dir = dir;
    pooler.url = out;
    pooler.owner = getpid();
    static bool registered;
    if (!registered && atexit(pgtest_pooler_stop) == 0)
        registered = true;
    return 1;
}

char *pgtest_pooler_url(const char *db_url)
{
    ck_assert_ptr_nonnull(pooler.url);
    char *name = conninfo_get(db_url, "dbname");
    ck_assert_ptr_nonnull(name);
    char *url = pgtest_url_set(pooler.url, "dbname", name);
    free(name);
    return url;
}

/* ------------------------------------------------------------------ */
/* A dedicated cluster                                                  */
/* ------------------------------------------------------------------ */

const char *pgtest_pg_bindir(void)
{
    static char found[1024];
    const char *env = getenv("PGBIN");
    if (env && *env)
        return env;
    if (access("/usr/lib/postgresql/15/bin/pg_ctl", X_OK) == 0)
        return "/usr/lib/postgresql/15/bin";
    char *out = NULL;
    char *const argv[] = { "pg_config", "--bindir", NULL };
    ck_assert_msg(run_argv(argv, &out) == 0, "cannot find pg_ctl (set PGBIN)");
    snprintf(found, sizeof found, "%.*s", (int)strcspn(out, "\n"), out);
    free(out);
    return found;
}

const char *pgtest_dedicated_start(void)
{
    if (!dedicated.url && !start_one(&dedicated))
        ck_abort_msg("pgtest: %s", errbuf);
    return dedicated.url;
}

void pgtest_dedicated_remove(void)
{
    stop_one(&dedicated);
}

int pgtest_dedicated_ctl(const char *action)
{
    ck_assert_ptr_nonnull(dedicated.dir);
    char *pg_ctl = xasprintf("%s/pg_ctl", pgtest_pg_bindir());
    char *data = xasprintf("%s/data", dedicated.dir);
    char *log = xasprintf("%s/log", dedicated.dir);
    char *port_file = xasprintf("%s/port", dedicated.dir);
    char port[16] = "";
    FILE *f = fopen(port_file, "r");
    ck_assert_msg(f && fgets(port, sizeof port, f), "cannot read %s", port_file);
    fclose(f);
    port[strcspn(port, "\n")] = '\0';
    /* pg_ctl start does not reuse the port pg-cluster.sh gave with -o */
    char *opts = xasprintf("-p %s", port);
    bool stop = strcmp(action, "stop") == 0;
    /* stop: at once, as a crash would; restart: as an administrator does */
    char *const argv[] = { "runuser",
                           "-u",
                           "postgres",
                           "--",
                           pg_ctl,
                           "-D",
                           data,
                           "-l",
                           log,
                           "-w",
                           "-t",
                           "60",
                           "-o",
                           opts,
                           "-m",
                           stop ? "immediate" : "fast",
                           (char *)action,
                           NULL };
    /* pg-cluster.sh runs the server as postgres only when we are root */
    int rc = run_argv(geteuid() == 0 ? argv : argv + 4, NULL);
    free(pg_ctl);
    free(data);
    free(log);
    free(port_file);
    free(opts);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Databases                                                            */
/* ------------------------------------------------------------------ */

/* Runs one utility statement on @url; aborts the test on failure. */
static void admin_exec(const char *url, const char *sql)
{
    char err[1024];
    PGconn *conn = connect_url(url, err, sizeof err);

    if (!conn)
        ck_abort_msg("pgtest: %s", err);
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        set_error(err, sizeof err, sql, PQerrorMessage(conn));
        PQclear(res);
        PQfinish(conn);
        ck_abort_msg("pgtest: %s", err);
    }
    PQclear(res);
    PQfinish(conn);
}

char *pgtest_create_database(void)
{
    static unsigned counter;
    const char *server = pgtest_server_url();
    char name[64];
    char sql[128];

    snprintf(name, sizeof name, "um_t_%ld_%u_%08x", (long)getpid(), ++counter,
             (unsigned)random32());
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE template0", name);
    admin_exec(server, sql);
    return pgtest_url_set(server, "dbname", name);
}

void pgtest_drop_database(const char *url)
{
    if (!url)
        return;
    char *name = conninfo_get(url, "dbname");
    if (!name)
        ck_abort_msg("pgtest_drop_database: no database name in the URL");

    /* Connect to the server URL's database, with @url's other settings. */
    const char *server = getenv(ENV_URL);
    if (!server || !*server)
        server = cluster.url;
    char *maint = server ? conninfo_get(server, "dbname") : NULL;
    if (!maint)
        maint = xstrdup("postgres");
    if (strcmp(maint, name) == 0) {
        free(maint);
        free(name);
        ck_abort_msg("pgtest_drop_database: refusing to drop the server's own database");
    }

    char *admin_url = pgtest_url_set(url, "dbname", maint);
    PGconn *conn = connect_url(admin_url, errbuf, sizeof errbuf);
    if (!conn) {
        free(admin_url);
        free(maint);
        free(name);
        ck_abort_msg("pgtest: %s", errbuf);
    }
    char *ident = PQescapeIdentifier(conn, name, strlen(name));
    PQfinish(conn);
    if (!ident)
        oom();
    char *sql = xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", ident);
    PQfreemem(ident);
    free(maint);
    free(name);
    admin_exec(admin_url, sql);
    free(sql);
    free(admin_url);
}

/* ------------------------------------------------------------------ */
/* Queries                                                              */
/* ------------------------------------------------------------------ */

const char *pgtest_last_error(void)
{
    return last_error;
}

int pgtest_exec(const char *url, const char *sql)
{
    PGconn *conn = connect_url(url, last_error, sizeof last_error);
    if (!conn)
        return -1;

    int rc = 0;
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        last_error[0] = '\0';
    } else {
        set_error(last_error, sizeof last_error, "", PQerrorMessage(conn));
        rc = -1;
    }
    PQclear(res);
    PQfinish(conn);
    return rc;
}

char *pgtest_query_value(const char *url, const char *sql)
{
    PGconn *conn = connect_url(url, last_error, sizeof last_error);
    if (!conn)
        return NULL;

    char *value = NULL;
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        last_error[0] = '\0';
        if (PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0))
            value = xstrdup(PQgetvalue(res, 0, 0));
    } else {
        set_error(last_error, sizeof last_error, "", PQerrorMessage(conn));
    }
    PQclear(res);
    PQfinish(conn);
    return value;
}

/*
 * Everything a migration can change in the user's schemas, one line per
 * object, in a fixed order: schemas, relations (with view definitions and
 * ACLs), columns in column order, types, sequences' parameters (not their
 * values: nextval is not transactional), indexes, constraints, triggers,
 * functions, extensions, and the rows of the bookkeeping tables except the
 * append-only history.  The selects are joined with UNION ALL at run time:
 * one literal would pass the 4095 characters ISO C promises to support.
 */
static const char fingerprint_head[] =
    "WITH nsp AS ("
    "  SELECT oid, nspname FROM pg_namespace"
    "  WHERE nspname NOT IN ('pg_catalog', 'information_schema')"
    "    AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%'),"
    " rel AS ("
    "  SELECT c.oid, n.nspname, c.relname, c.relkind, c.relacl, c.relrowsecurity"
    "  FROM pg_class c JOIN nsp n ON n.oid = c.relnamespace"
    "  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')),"
    " lines (k, obj, ord, line) AS (";

static const char *const fingerprint_selects[] = {
    "  SELECT 1, nspname, 0, format('schema %I', nspname) FROM nsp",
    "  SELECT 2, format('%I.%I', nspname, relname), 0,"
    "    format('relation %I.%I kind=%s acl=%s rls=%s%s', nspname, relname, relkind,"
    "      coalesce(relacl::text, '-'), relrowsecurity,"
    "      CASE WHEN relkind IN ('v', 'm') THEN ' as ' || pg_get_viewdef(oid) ELSE '' END)"
    "  FROM rel",
    "  SELECT 3, format('%I.%I', r.nspname, r.relname), a.attnum,"
    "    format('column %I.%I.%I %s notnull=%s default=%s identity=%s generated=%s collation=%s',"
    "      r.nspname, r.relname, a.attname, format_type(a.atttypid, a.atttypmod),"
    "      a.attnotnull, coalesce(pg_get_expr(d.adbin, d.adrelid), '-'),"
    "      a.attidentity, a.attgenerated, coalesce(co.collname, '-'))"
    "  FROM rel r"
    "  JOIN pg_attribute a ON a.attrelid = r.oid AND r.relkind <> 'S'"
    "    AND a.attnum > 0 AND NOT a.attisdropped"
    "  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    "  LEFT JOIN pg_collation co ON co.oid = a.attcollation",
    "  SELECT 4, format('%I.%I', n.nspname, t.typname), 0,"
    "    format('type %I.%I %s %s', n.nspname, t.typname, t.typtype,"
    "      CASE t.typtype"
    "        WHEN 'e' THEN (SELECT string_agg(quote_literal(e.enumlabel), ','"
    "                         ORDER BY e.enumsortorder)"
    "                       FROM pg_enum e WHERE e.enumtypid = t.oid)"
    "        WHEN 'd' THEN format('%s notnull=%s default=%s',"
    "          format_type(t.typbasetype, t.typtypmod), t.typnotnull,"
    "          coalesce(t.typdefault, '-'))"
    "        ELSE '' END)"
    "  FROM pg_type t JOIN nsp n ON n.oid = t.typnamespace"
    "  WHERE t.typrelid = 0"
    "    AND NOT EXISTS (SELECT 1 FROM pg_type el WHERE el.typarray = t.oid)",
    "  SELECT 5, format('%I.%I', r.nspname, r.relname), 0,"
    "    format('sequence %I.%I %s start=%s inc=%s min=%s max=%s cache=%s cycle=%s',"
    "      r.nspname, r.relname, format_type(s.seqtypid, NULL), s.seqstart,"
    "      s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)"
    "  FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid",
    "  SELECT 6, format('%I.%I', r.nspname, ci.relname), 0,"
    "    format('index %I.%I valid=%s %s', r.nspname, ci.relname, i.indisvalid,"
    "      pg_get_indexdef(i.indexrelid))"
    "  FROM pg_index i JOIN rel r ON r.oid = i.indrelid"
    "  JOIN pg_class ci ON ci.oid = i.indexrelid",
    "  SELECT 7, format('%I.%I', n.nspname, c.conname), 0,"
    "    format('constraint %I.%I on %s %s validated=%s deferrable=%s/%s: %s',"
    "      n.nspname, c.conname,"
    "      CASE WHEN c.conrelid <> 0 THEN c.conrelid::regclass::text"
    "           ELSE c.contypid::regtype::text END,"
    "      c.contype, c.convalidated, c.condeferrable, c.condeferred,"
    "      pg_get_constraintdef(c.oid))"
    "  FROM pg_constraint c JOIN nsp n ON n.oid = c.connamespace",
    "  SELECT 8, format('%I.%I', r.nspname, tg.tgname), 0,"
    "    format('trigger %s enabled=%s', pg_get_triggerdef(tg.oid), tg.tgenabled)"
    "  FROM pg_trigger tg JOIN rel r ON r.oid = tg.tgrelid WHERE NOT tg.tgisinternal",
    "  SELECT 9, format('%I.%I(%s)', n.nspname, p.proname,"
    "      pg_get_function_identity_arguments(p.oid)), 0,"
    "    format('function %I.%I(%s) %s returns %s lang=%s src=%s', n.nspname, p.proname,"
    "      pg_get_function_identity_arguments(p.oid), p.prokind,"
    "      coalesce(pg_get_function_result(p.oid), '-'), l.lanname, md5(p.prosrc))"
    "  FROM pg_proc p JOIN nsp n ON n.oid = p.pronamespace"
    "  JOIN pg_language l ON l.oid = p.prolang",
    "  SELECT 10, x.extname, 0, format('extension %I %s in %s', x.extname,"
    "      x.extversion, x.extnamespace::regnamespace::text)"
    "  FROM pg_extension x WHERE x.extname <> 'plpgsql'",
    "  SELECT 11, format('%I.%I', r.nspname, r.relname), 0,"
    "    format('rows %I.%I %s', r.nspname, r.relname,"
    "      query_to_xml(format('SELECT t::text AS r FROM %I.%I t ORDER BY t::text COLLATE \"C\"',"
    "        r.nspname, r.relname), false, true, '')::text)"
    "  FROM rel r WHERE r.relkind IN ('r', 'p') AND r.relname LIKE '%version%'"
    "    AND r.relname NOT LIKE '%\\_history'",
};

static const char fingerprint_tail[] =
    ")"
    " SELECT coalesce(string_agg(line, E'\\n'"
    "   ORDER BY k, obj COLLATE \"C\", ord, line COLLATE \"C\"), '')"
    " FROM lines";

char *pgtest_schema_fingerprint(const char *url)
{
    char err[1024];
    PGconn *conn = connect_url(url, err, sizeof err);
    if (!conn)
        ck_abort_msg("pgtest_schema_fingerprint: %s", err);

    buf sql = { 0 };
    buf_adds(&sql, fingerprint_head);
    for (size_t i = 0; i < sizeof fingerprint_selects / sizeof *fingerprint_selects; i++) {
        if (i > 0)
            buf_adds(&sql, " UNION ALL ");
        buf_adds(&sql, fingerprint_selects[i]);
    }
    buf_adds(&sql, fingerprint_tail);
    PGresult *res = PQexec(conn, sql.s);
    free(sql.s);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        set_error(err, sizeof err, "pgtest_schema_fingerprint", PQerrorMessage(conn));
        PQclear(res);
        PQfinish(conn);
        ck_abort_msg("%s", err);
    }
    char *fp = xstrdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(conn);
    return fp;
}

/* ------------------------------------------------------------------ */
/* Files                                                                */
/* ------------------------------------------------------------------ */

char *pgtest_tmpdir(void)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = xasprintf("%s/um-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");

    if (!mkdtemp(dir)) {
        int e = errno;
        free(dir);
        ck_abort_msg("pgtest_tmpdir: mkdtemp: %s", strerror(e));
    }
    return dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0 && errno != ENOENT)
        fprintf(stderr, "pgtest_rmtree: %s: %s\n", path, strerror(errno));
    return 0;
}

void pgtest_rmtree(const char *dir)
{
    if (!dir || !*dir)
        return;
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void pgtest_write_file(const char *dir, const char *name, const char *content)
{
    char *path = xasprintf("%s/%s", dir, name);

    for (char *p = path + strlen(dir) + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            snprintf(errbuf, sizeof errbuf, "mkdir %s: %s", path, strerror(e));
            free(path);
            ck_abort_msg("pgtest_write_file: %s", errbuf);
        }
        *p = '/';
    }

    FILE *f = fopen(path, "w");
    size_t len = content ? strlen(content) : 0;
    bool ok = f && fwrite(content ? content : "", 1, len, f) == len;
    int e = errno;
    if (f && fclose(f) != 0) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        snprintf(errbuf, sizeof errbuf, "%s: %s", path, strerror(e));
        free(path);
        ck_abort_msg("pgtest_write_file: %s", errbuf);
    }
    free(path);
}

/* ------------------------------------------------------------------ */
/* Helpers shared by the integration suites                             */
/* ------------------------------------------------------------------ */

const char *pgtest_env(const char *name)
{
    const char *v = getenv(name);
    ck_assert_msg(v && *v, "%s is not set (run through meson test)", name);
    return v;
}

void pgtest_log_line(um_log_level level, const char *msg, void *payload)
{
    pgtest_log *log = payload;
    size_t used = strlen(log->text);
    (void)level;
    snprintf(log->text + used, sizeof(log->text) - used, "%s\n", msg);
}

double pgtest_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

char *pgtest_vasprintf(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        ck_abort_msg("out of memory");
    return s;
}

char *pgtest_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = pgtest_vasprintf(fmt, ap);
    va_end(ap);
    return s;
}

#define POOL_SIZE 128
static char *pool[POOL_SIZE];
static size_t pool_next;

const char *pgtest_keep(char *s)
{
    if (!s)
        ck_abort_msg("out of memory");
    free(pool[pool_next]);
    pool[pool_next] = s;
    pool_next = (pool_next + 1) % POOL_SIZE;
    return s;
}

const char *pgtest_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = pgtest_vasprintf(fmt, ap);
    va_end(ap);
    return pgtest_keep(s);
}

void pgtest_pool_free(void)
{
    for (size_t i = 0; i < POOL_SIZE; i++) {
        free(pool[i]);
        pool[i] = NULL;
    }
}

const char *pgtest_query_text(const char *url, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = pgtest_vasprintf(fmt, ap);
    va_end(ap);
    char *v = pgtest_query_value(url, sql);
    free(sql);
    return pgtest_keep(v ? v : strdup("<null>"));
}

long pgtest_query_long(const char *url, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = pgtest_vasprintf(fmt, ap);
    va_end(ap);
    char *v = pgtest_query_value(url, sql);
    ck_assert_msg(v != NULL, "query failed or NULL: %s (%s)", sql, pgtest_last_error());
    long n = strtol(v, NULL, 10);
    free(v);
    free(sql);
    return n;
}

void pgtest_execf(const char *url, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = pgtest_vasprintf(fmt, ap);
    va_end(ap);
    int rc = pgtest_exec(url, sql);
    ck_assert_msg(rc == 0, "%s: %s", sql, pgtest_last_error());
    free(sql);
}

int pgtest_table_exists(const char *url, const char *name)
{
    return strcmp(pgtest_query_text(url, "SELECT to_regclass('%s') IS NOT NULL", name), "t") == 0;
}

void pgtest_write_ini(const char *dir, const char *name, const char *lock_wait, const char *extra)
{
    char *text = pgtest_asprintf("[ultramigrate]\n"
                                 "script_location = %%(here)s/migrations\n"
                                 "%s%s%s"
                                 "%s",
                                 lock_wait ? "lock_wait = " : "", lock_wait ? lock_wait : "",
                                 lock_wait ? "\n" : "", extra ? extra : "");
    pgtest_write_file(dir, name, text);
    free(text);
}

void pgtest_write_revision(const char *dir, const char *id, const char *parents,
                           const char *depends, int transactional, const char *up, const char *down)
{
    char *name = pgtest_asprintf("migrations/versions/%s.sql", id);
    char *text = pgtest_asprintf(
        "-- Create %s\n"
        "--\n"
        "-- Revision ID: %s\n"
        "-- Revises:%s%s\n"
        "%s%s%s"
        "-- Transactional: %s\n"
        "\n"
        "-- migrate:up\n"
        "%s\n"
        "%s%s%s",
        id, id, parents ? " " : "", parents ? parents : "", depends ? "-- Depends On: " : "",
        depends ? depends : "", depends ? "\n" : "", transactional ? "yes" : "no", up,
        down ? "\n-- migrate:down\n" : "", down ? down : "", down ? "\n" : "");
    pgtest_write_file(dir, name, text);
    free(text);
    free(name);
}

void pgtest_write_table_revision(const char *dir, const char *id, const char *parents,
                                 const char *table)
{
    pgtest_write_revision(dir, id, parents, NULL, 1, pgtest_fmt("CREATE TABLE %s (id int);", table),
                          pgtest_fmt("DROP TABLE %s;", table));
}

void pgtest_write_linear_revisions(const char *dir, int n)
{
    for (int i = 1; i <= n; i++)
        pgtest_write_table_revision(dir, pgtest_fmt("r%d", i),
                                    i > 1 ? pgtest_fmt("r%d", i - 1) : NULL, pgtest_fmt("t%d", i));
}

const char *pgtest_revision_path(const char *dir, const char *id)
{
    return pgtest_fmt("%s/migrations/versions/%s.sql", dir, id);
}

int pgtest_line_of(const char *path, const char *needle)
{
    char *text = pgtest_read_file(path, NULL);
    ck_assert_msg(text != NULL, "cannot open %s", path);
    const char *at = strstr(text, needle);
    ck_assert_msg(at != NULL, "'%s' not in %s", needle, path);
    int line = 1;
    for (const char *p = text; p < at; p++)
        line += *p == '\n';
    free(text);
    return line;
}

char *pgtest_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    buf b = { 0 };
    buf_add(&b, "", 0);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(&b, chunk, n);
    fclose(f);
    if (len)
        *len = b.len;
    return b.s;
}

json_t *pgtest_json_parse(const char *text)
{
    ck_assert_ptr_nonnull(text);
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    ck_assert_msg(j != NULL, "bad JSON (%s): %s", jerr.text, text);
    return j;
}

const char *pgtest_json_str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_string(v), "key %s is not a string", key);
    return json_string_value(v);
}

/* A socket bound to a free loopback port, listening or not; *port. */
static int loopback_socket(int *port, bool listening)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { 0 };
    socklen_t len = sizeof(sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    if (listening)
        ck_assert_int_eq(listen(fd, 8), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

int pgtest_dead_port(void)
{
    int port;
    close(loopback_socket(&port, false));
    return port;
}

int pgtest_silent_listener(int *port)
{
    return loopback_socket(port, true);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int pgtest_autogen_pairs(char **out, int max)
{
    /* getenv: pgtest_env's check may not run before the tests */
    char *dir = pgtest_asprintf("%s/tests/autogen", getenv("UM_SOURCE_DIR"));
    const char *only = getenv("UM_AUTOGEN_PAIR");
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e = d ? readdir(d) : NULL; e && n < max; e = readdir(d))
        if (e->d_name[0] != '.' && (!only || strstr(e->d_name, only)))
            out[n++] = strdup(e->d_name);
    if (d)
        closedir(d);
    qsort(out, (size_t)n, sizeof(char *), cmp_str);
    free(dir);
    return n;
}

void pgtest_add_tests(TCase *tc, const TTest *const tests[])
{
    for (size_t i = 0; tests[i]; i++)
        tcase_add_test(tc, tests[i]);
}

void pgtest_shard(int n, int *start, int *end)
{
    /* outside a test: no ck_assert */
    const char *env = getenv("UM_TEST_SHARD");
    int k = 1, of = 1, used = 0;
    if (env && *env &&
        (sscanf(env, "%d/%d%n", &k, &of, &used) != 2 || env[used] || of < 1 || k < 1 || k > of)) {
        fprintf(stderr, "pgtest: UM_TEST_SHARD=%s is not K/N with 1 <= K <= N\n", env);
        exit(EXIT_FAILURE);
    }
    *start = (int)((long)n * (k - 1) / of);
    *end = (int)((long)n * k / of);
}

TCase *pgtest_add_tcase(Suite *s, const char *name, SFun setup, SFun teardown, double timeout)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    if (timeout > 0)
        tcase_set_timeout(tc, timeout);
    suite_add_tcase(s, tc);
    return tc;
}

/* ------------------------------------------------------------------ */
/* Around the project fixture                                           */
/* ------------------------------------------------------------------ */

/* um_open() with @o on @p's configuration; the test fails unless it succeeds. */
static um_ctx *project_open(const pgtest_project *p, um_open_options *o)
{
    o->config_path = p->ini;
    um_ctx *ctx = NULL;
    int rc = um_open(&ctx, o);
    ck_assert_msg(rc == UM_OK, "um_open: %d %s", rc, um_errmsg(ctx));
    return ctx;
}

um_ctx *pgtest_project_open_with(const pgtest_project *p, const char *url, void *conn,
                                 um_log_cb log_cb, void *log_payload)
{
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    o.database_url = url;
    o.pg_conn = conn;
    o.log_cb = log_cb;
    o.log_payload = log_payload;
    return project_open(p, &o);
}

um_ctx *pgtest_project_open_app(const pgtest_project *p, const char *app)
{
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    o.database_url = p->db_url;
    o.application_name = app;
    return project_open(p, &o);
}

void pgtest_assert_failed_at(um_ctx *ctx, const char *dir, const char *rev, const char *needle,
                             const char *sqlstate)
{
    const char *path = pgtest_revision_path(dir, rev);
    const um_error_info *d = um_error_detail(ctx);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(d->code, UM_ESQL);
    ck_assert_ptr_nonnull(d->revision);
    ck_assert_str_eq(d->revision, rev);
    ck_assert_ptr_nonnull(d->file);
    ck_assert_str_eq(d->file, path);
    ck_assert_int_eq(d->line, pgtest_line_of(path, needle));
    ck_assert_ptr_nonnull(d->sqlstate);
    ck_assert_str_eq(d->sqlstate, sqlstate);
    ck_assert_ptr_nonnull(d->message);
    ck_assert_str_eq(d->message, um_errmsg(ctx));
    ck_assert_msg(strstr(um_errmsg(ctx), path) != NULL, "message should name the file: %s",
                  um_errmsg(ctx));
}

um_health pgtest_snapshot(um_ctx *ctx)
{
    um_health h = UM_HEALTH_INIT;
    PGTEST_CHECK_OK(ctx, um_health_snapshot(&h, ctx));
    ck_assert_str_eq(um_errmsg(ctx), "");
    return h;
}

const char *pgtest_dead_url(void)
{
    return pgtest_fmt("host=127.0.0.1 port=%d dbname=postgres user=postgres connect_timeout=5",
                      pgtest_dead_port());
}

/* The values of @expr in @table, by @order, comma separated ("" when
 * there are none); pooled. */
static const char *joined_values(const char *url, const char *expr, const char *order,
                                 const char *table)
{
    return pgtest_query_text(url, "SELECT coalesce(string_agg(%s, ',' ORDER BY %s), '') FROM %s",
                             expr, order, table);
}

const char *pgtest_versions_in(const char *url, const char *table)
{
    return joined_values(url, "version_num", "version_num", table);
}

const char *pgtest_versions(const char *url)
{
    return pgtest_versions_in(url, "ultramigrate_version");
}

const char *pgtest_history_in(const char *url, const char *table)
{
    return joined_values(url, "revision || ':' || direction || ':' || state", "id", table);
}

const char *pgtest_history(const char *url)
{
    return pgtest_history_in(url, "ultramigrate_version_history");
}

const char *pgtest_applied_rows(const char *url)
{
    return joined_values(url, "revision || ':' || state", "revision",
                         "ultramigrate_version_applied");
}

/* ------------------------------------------------------------------ */
/* Child processes                                                      */
/* ------------------------------------------------------------------ */

void pgtest_cli_result_free(pgtest_cli_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

int pgtest_decode_status(int wait_status)
{
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    return WIFSIGNALED(wait_status) ? 128 + WTERMSIG(wait_status) : -1;
}

int pgtest_wait_child(pid_t pid)
{
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    return pgtest_decode_status(ws);
}

void pgtest_assert_no_sanitizer_report(const char *what, const char *err)
{
    ck_assert_msg(!strstr(err, "runtime error:") && !strstr(err, "Sanitizer"),
                  "%s: sanitizer report:\n%s", what, err);
}

void pgtest_child_env(const char *dir, const char *env_url)
{
    if (dir && chdir(dir) != 0)
        _exit(126);
    unsetenv("ULTRAMIGRATE_DATABASE_URL");
    if (env_url)
        setenv("DATABASE_URL", env_url, 1);
    else
        unsetenv("DATABASE_URL");
}

/* In the child: execs @cli as "ultramigrate" with @argv. */
static void exec_cli(const char *cli, const char *const argv[])
{
    size_t n = 0;
    while (argv[n])
        n++;
    char **av = calloc(n + 2, sizeof(*av));
    if (!av)
        _exit(127);
    av[0] = (char *)"ultramigrate";
    for (size_t i = 0; i < n; i++)
        av[i + 1] = (char *)argv[i];
    execv(cli, av);
    _exit(127);
}

pgtest_cli_result pgtest_run_cli(const char *dir, const char *env_url, const char *const argv[])
{
    const char *cli = pgtest_env("UM_CLI");
    int po[2], pe[2];
    ck_assert_int_eq(pipe(po), 0);
    ck_assert_int_eq(pipe(pe), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(po[1], STDOUT_FILENO);
        dup2(pe[1], STDERR_FILENO);
        close(po[0]);
        close(po[1]);
        close(pe[0]);
        close(pe[1]);
        pgtest_child_env(dir, env_url);
        exec_cli(cli, argv);
    }
    close(po[1]);
    close(pe[1]);

    buf out = { 0 }, err = { 0 };
    buf_add(&out, "", 0);
    buf_add(&err, "", 0);
    struct pollfd fds[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0) {
            ck_assert_int_eq(errno, EINTR);
            continue;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char chunk[4096];
            ssize_t n = read(fds[i].fd, chunk, sizeof(chunk));
            if (n > 0) {
                buf_add(i == 0 ? &out : &err, chunk, (size_t)n);
            } else if (n == 0 || errno != EINTR) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    int status = pgtest_wait_child(pid);
    pgtest_assert_no_sanitizer_report(argv[0] ? argv[0] : "(no args)", err.s);
    return (pgtest_cli_result){ status, out.s, err.s };
}

pgtest_cli_result pgtest_run_cli_tty(const char *dir, const char *env_url, const char *const env[],
                                     const char *const argv[])
{
    const char *cli = pgtest_env("UM_CLI");
    int master = -1, slave = -1;
    ck_assert_int_eq(openpty(&master, &slave, NULL, NULL, NULL), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setsid();
        close(master);
        dup2(slave, STDIN_FILENO);
        dup2(slave, STDOUT_FILENO);
        dup2(slave, STDERR_FILENO);
        close(slave);
        pgtest_child_env(dir, env_url);
        setenv("TERM", "xterm", 1);
        unsetenv("NO_COLOR");
        for (size_t i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        exec_cli(cli, argv);
    }
    close(slave);
    buf out = { 0 };
    buf_add(&out, "", 0);
    for (;;) {
        char chunk[4096];
        ssize_t n = read(master, chunk, sizeof(chunk));
        if (n > 0)
            buf_add(&out, chunk, (size_t)n);
        else if (n == 0 || errno != EINTR)
            break; /* EIO: the child and its descendants closed the terminal */
    }
    close(master);
    int status = pgtest_wait_child(pid);
    pgtest_assert_no_sanitizer_report(argv[0] ? argv[0] : "(no args)", out.s);
    return (pgtest_cli_result){ status, out.s, strdup("") };
}

pid_t pgtest_spawn_cli(const char *dir, const char *env_url, const char *const argv[])
{
    const char *cli = pgtest_env("UM_CLI");
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        pgtest_child_env(dir, env_url);
        int fo = open("background.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open("background.err", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || fe < 0)
            _exit(126);
        dup2(fo, STDOUT_FILENO);
        dup2(fe, STDERR_FILENO);
        exec_cli(cli, argv);
    }
    return pid;
}

/* ------------------------------------------------------------------ */
/* Running suites                                                       */
/* ------------------------------------------------------------------ */

static void write_counts(int passed, int failed)
{
    const char *path = getenv("UM_TEST_COUNTS_FILE");
    if (!path || !*path)
        return;

    char line[64];
    int n = snprintf(line, sizeof line, "%d %d\n", passed, failed);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, line, (size_t)n) != n)
        fprintf(stderr, "pgtest: cannot append to %s: %s\n", path, strerror(errno));
    if (fd >= 0)
        close(fd);
}

int pgtest_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int run = srunner_ntests_run(sr);
    int failed = srunner_ntests_failed(sr);
    int passed = run - failed;
    srunner_free(sr);
    /* a part of a suite (tests/meson.build) whose tag no test case has */
    const char *tags = getenv("CK_INCLUDE_TAGS");
    if (run == 0 && tags && *tags) {
        fprintf(stderr, "pgtest: no test ran with CK_INCLUDE_TAGS=%s\n", tags);
        failed = 1;
    }
    write_counts(passed, failed);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

int pgtest_run_pg_suite(Suite *s)
{
    const char *url = ensure_server();
    bool up = url && PQping(url) == PQPING_OK;
    if (url && !up)
        snprintf(errbuf, sizeof errbuf, "the server does not answer (%s)",
                 url == cluster.url ? "the cluster just started" : ENV_URL);
    if (!up) {
        fprintf(stderr, "pgtest: %s\n", errbuf);
        srunner_free(srunner_create(s));
        stop_cluster();
        write_counts(0, 1);
        return EXIT_FAILURE;
    }
    if (url == cluster.url) {
        if (setenv(ENV_URL, url, 1) != 0)
            oom();
        cluster.exported = true;
    }
    int rc = pgtest_run_suite(s);
    stop_cluster();
    return rc;
}

/* ------------------------------------------------------------------ */
/* A project fixture                                                    */
/* ------------------------------------------------------------------ */

void pgtest_project_setup_bare(pgtest_project *p)
{
    p->db_url = pgtest_create_database();
    p->dir = pgtest_tmpdir();
    ck_assert_ptr_nonnull(p->db_url);
    ck_assert_ptr_nonnull(p->dir);
    p->ini = pgtest_asprintf("%s/ultramigrate.ini", p->dir);
}

void pgtest_project_setup(pgtest_project *p)
{
    pgtest_project_setup_bare(p);
    const char *subdirs[] = { "migrations", "migrations/versions" };
    for (size_t i = 0; i < 2; i++) {
        char *d = pgtest_asprintf("%s/%s", p->dir, subdirs[i]);
        ck_assert_msg(mkdir(d, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", d, strerror(errno));
        free(d);
    }
    pgtest_write_ini(p->dir, "ultramigrate.ini", "10s", NULL);
}

void pgtest_project_teardown(pgtest_project *p)
{
    if (p->db_url)
        pgtest_drop_database(p->db_url);
    if (p->dir)
        pgtest_rmtree(p->dir);
    free(p->db_url);
    free(p->dir);
    free(p->ini);
    memset(p, 0, sizeof(*p));
    pgtest_pool_free();
}

um_ctx *pgtest_project_open(const pgtest_project *p, um_log_cb log_cb, void *log_payload)
{
    return pgtest_project_open_with(p, p->db_url, NULL, log_cb, log_payload);
}
