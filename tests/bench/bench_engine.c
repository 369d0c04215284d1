/*
 * bench_engine.c - wall-clock benchmarks of libultramigrate against the
 * targets of DESIGN.md ("Performance by design"):
 *
 *   1. um_open + um_plan_create(UM_UP, "heads") over 10,000 linear
 *      revisions on an empty database: median ms of 5, peak RSS increase;
 *   2. upgrade and downgrade of 1,000 revisions (a table and an index each)
 *      against one psql session running the same SQL: medians of 3,
 *      alternating which goes first;
 *   3. a cold CLI `status` against `psql -c 'select 1'`: medians of 30,
 *      interleaved;
 *   4. um_health_snapshot on a database with 1,000 applied revisions
 *      against a `SELECT 1` round trip on a libpq connection of its own
 *      (PQexec, and PQexecPrepared as the snapshot's query is prepared):
 *      2,000 of each, interleaved, after 50 warm-up ones; median and p99.
 *
 * UM_BENCH_ONLY (a comma-separated list of graph, apply, status, health)
 * runs only those parts; unset: all.
 *
 * Public API only; libpq is used for creating and dropping the databases.
 * The server is UM_TEST_DATABASE_URL, or a throwaway cluster started with
 * $UM_SOURCE_DIR/scripts/pg-cluster.sh.  The CLI is $UM_CLI; psql is
 * $UM_BENCH_PSQL, default /usr/lib/postgresql/15/bin/psql (not the Debian
 * wrapper /usr/bin/psql, a Perl script that adds ~30 ms per start).
 *
 * Prints a table (name, value, target, ratio) on stdout and progress on
 * stderr.  Exits 0 whatever the timings; non-zero only when something
 * fails to run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <ultramigrate/ultramigrate.h>

extern char **environ;

#define GRAPH_REVS        10000
#define GRAPH_RUNS        5
#define APPLY_REVS        1000
#define APPLY_RUNS        3
#define STATUS_SMALL_REVS 10
#define STATUS_HUGE_REVS  10000
#define STATUS_RUNS       30
#define HEALTH_WARMUP     50
#define HEALTH_RUNS       2000

#define TARGET_GRAPH_MS     50.0
#define TARGET_GRAPH_MB     16.0
#define TARGET_APPLY_RATIO  1.05
#define TARGET_STATUS_RATIO 2.0

#define DEFAULT_PSQL "/usr/lib/postgresql/15/bin/psql"

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

static struct {
    char *cluster_dir; /* set when we started the server */
    char *cluster_script;
    char *work_dir; /* our temporary files */
    char *server_url;
    PGconn *admin;
    char *dbs[16]; /* databases to drop at exit */
    size_t n_dbs;
} g;

static void cleanup(void);

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_engine: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p)
        die("out of memory");
    return p;
}

static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        die("out of memory");
    return s;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, size_t n)
{
    double *s = xmalloc(n * sizeof(*s));
    memcpy(s, v, n * sizeof(*s));
    qsort(s, n, sizeof(*s), cmp_double);
    double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
    free(s);
    return m;
}

/* The nearest-rank @pct percentile of @v. */
static double percentile(const double *v, size_t n, double pct)
{
    double *s = xmalloc(n * sizeof(*s));
    memcpy(s, v, n * sizeof(*s));
    qsort(s, n, sizeof(*s), cmp_double);
    size_t rank = (size_t)(pct / 100.0 * (double)n + 0.999999);
    double p = s[rank > 0 ? rank - 1 : 0];
    free(s);
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        die("cannot create %s: %s", path, strerror(errno));
    size_t len = strlen(text);
    if (fwrite(text, 1, len, f) != len || fclose(f) != 0)
        die("cannot write %s: %s", path, strerror(errno));
}

static void make_dir(const char *path)
{
    if (mkdir(path, 0755) != 0)
        die("cannot create %s: %s", path, strerror(errno));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A growable string. */
typedef struct buf {
    char *s;
    size_t len, cap;
} buf;

static void buf_add(buf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p)
            die("out of memory");
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

/* ------------------------------------------------------------------ */
/* Memory: /proc/self/status                                            */
/* ------------------------------------------------------------------ */

/* The value in kB of @key ("VmRSS", "VmHWM"), -1 when unknown. */
static long proc_status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            kb = strtol(line + klen + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* Resets VmHWM to the current RSS (Linux >= 4.0); false when refused. */
static bool reset_peak_rss(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = write(fd, "5", 1) == 1;
    close(fd);
    return ok;
}

/* ------------------------------------------------------------------ */
/* Child processes                                                      */
/* ------------------------------------------------------------------ */

enum out_mode { OUT_NULL, OUT_INHERIT, OUT_CAPTURE };

/*
 * Runs @argv (posix_spawn: no page tables of this process are copied, so
 * its size does not bias the timings) and waits.  Stdout goes to
 * /dev/null, to ours, or to *@captured.  *@ms receives the wall-clock time
 * from spawn to reaped exit.  Returns the exit status (128+N on signal N).
 */
static int run(char *const argv[], enum out_mode mode, char **captured, double *ms)
{
    posix_spawn_file_actions_t fa;
    int fds[2] = { -1, -1 };
    posix_spawn_file_actions_init(&fa);
    if (mode == OUT_NULL) {
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    } else if (mode == OUT_CAPTURE) {
        if (pipe2(fds, O_CLOEXEC) != 0)
            die("pipe: %s", strerror(errno));
        posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    }
    double t0 = now_ms();
    pid_t pid;
    int err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err)
        die("cannot run %s: %s", argv[0], strerror(err));
    if (mode == OUT_CAPTURE) {
        buf b = { 0 };
        char chunk[1024];
        ssize_t n;
        close(fds[1]);
        buf_add(&b, "");
        while ((n = read(fds[0], chunk, sizeof chunk - 1)) != 0) {
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                break;
            chunk[n] = '\0';
            buf_add(&b, chunk);
        }
        close(fds[0]);
        *captured = b.s;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            die("waitpid: %s", strerror(errno));
    }
    if (ms)
        *ms = now_ms() - t0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ------------------------------------------------------------------ */
/* Server and databases                                                 */
/* ------------------------------------------------------------------ */

/* @url with dbname set to @db, as a key=value string that libpq, the
 * engine and psql all accept. */
static char *url_with_db(const char *url, const char *db)
{
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &perr);
    if (!opts)
        die("bad server URL: %s", perr ? perr : "out of memory");
    buf b = { 0 };
    buf_add(&b, "");
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        const char *v = strcmp(o->keyword, "dbname") == 0 ? db : o->val;
        if (!v)
            continue;
        if (b.len)
            buf_add(&b, " ");
        buf_add(&b, o->keyword);
        buf_add(&b, "='");
        for (const char *p = v; *p; p++) {
            char c[3] = { 0 };
            if (*p == '\'' || *p == '\\')
                c[0] = '\\', c[1] = *p;
            else
                c[0] = *p;
            buf_add(&b, c);
        }
        buf_add(&b, "'");
    }
    PQconninfoFree(opts);
    return b.s;
}

static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void admin_exec(const char *sql)
{
    PGresult *res = PQexec(g.admin, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        die("%s: %s", sql, PQerrorMessage(g.admin));
    PQclear(res);
}

static void start_server(void)
{
    const char *env = getenv("UM_TEST_DATABASE_URL");
    if (env && *env) {
        g.server_url = xstrdup(env);
    } else {
        const char *src = getenv("UM_SOURCE_DIR");
        if (!src || !*src)
            die("set UM_TEST_DATABASE_URL, or UM_SOURCE_DIR to start a throwaway cluster"
                " (meson benchmark sets it)");
        const char *tmp = getenv("TMPDIR");
        g.cluster_dir = xasprintf("%s/um-bench-pg-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(g.cluster_dir))
            die("mkdtemp %s: %s", g.cluster_dir, strerror(errno));
        char *script = xasprintf("%s/scripts/pg-cluster.sh", src);
        char *argv[] = { "bash", script, "start", g.cluster_dir, NULL };
        char *out = NULL;
        fprintf(stderr, "bench: starting a throwaway cluster in %s\n", g.cluster_dir);
        int rc = run(argv, OUT_CAPTURE, &out, NULL);
        g.cluster_script = script;
        size_t n = strlen(out);
        while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
            out[--n] = '\0';
        if (rc != 0 || n == 0 || strchr(out, '\n'))
            die("%s start %s failed (status %d)", script, g.cluster_dir, rc);
        g.server_url = out;
    }
    g.admin = PQconnectdb(g.server_url);
    if (!g.admin || PQstatus(g.admin) != CONNECTION_OK)
        die("cannot connect to the server: %s",
            g.admin ? PQerrorMessage(g.admin) : "out of memory");
    PQsetNoticeProcessor(g.admin, quiet_notices, NULL);
}

/* A fresh database; returns its URL. */
static char *create_db(const char *tag)
{
    static unsigned counter;
    char name[64];
    snprintf(name, sizeof name, "um_bench_%ld_%s_%u", (long)getpid(), tag, ++counter);
    char *sql = xasprintf("CREATE DATABASE %s TEMPLATE template0", name);
    admin_exec(sql);
    free(sql);
    if (g.n_dbs < sizeof g.dbs / sizeof g.dbs[0])
        g.dbs[g.n_dbs++] = xstrdup(name);
    return url_with_db(g.server_url, name);
}

static void drop_db(const char *url)
{
    PQconninfoOption *opts = PQconninfoParse(url, NULL);
    char *name = NULL;
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, "dbname") == 0 && o->val)
            name = xstrdup(o->val);
    PQconninfoFree(opts);
    if (!name)
        return;
    char *sql = xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    admin_exec(sql);
    free(sql);
    for (size_t i = 0; i < g.n_dbs; i++) {
        if (g.dbs[i] && strcmp(g.dbs[i], name) == 0) {
            free(g.dbs[i]);
            g.dbs[i] = NULL;
        }
    }
    free(name);
}

static void cleanup(void)
{
    if (g.admin) {
        for (size_t i = 0; i < g.n_dbs; i++) {
            if (!g.dbs[i])
                continue;
            char *sql = xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", g.dbs[i]);
            PQclear(PQexec(g.admin, sql));
            free(sql);
        }
        PQfinish(g.admin);
        g.admin = NULL;
    }
    if (g.cluster_dir && g.cluster_script) {
        char *argv[] = { "bash", g.cluster_script, "stop", g.cluster_dir, NULL };
        run(argv, OUT_INHERIT, NULL, NULL);
    }
    if (g.work_dir)
        remove_tree(g.work_dir);
}

/* ------------------------------------------------------------------ */
/* Projects                                                             */
/* ------------------------------------------------------------------ */

enum sql_kind { SQL_TABLE, SQL_TABLE_INDEX };

typedef struct project {
    char *dir;
    char *config;
    char *psql_up;   /* psql script of the up sections, or NULL */
    char *psql_down; /* psql script of the down sections, or NULL */
} project;

static void sql_up(char *out, size_t size, enum sql_kind kind, int n)
{
    if (kind == SQL_TABLE)
        snprintf(out, size, "CREATE TABLE t_%d (id int);\n", n);
    else
        snprintf(out, size,
                 "CREATE TABLE t_%d (id int, v text);\nCREATE INDEX t_%d_v ON t_%d (v);\n", n, n,
                 n);
}

static void sql_down(char *out, size_t size, int n)
{
    snprintf(out, size, "DROP TABLE t_%d;\n", n);
}

/*
 * Writes a project of @n linear revisions r00001..rNNNNN under the work
 * directory; with @psql also the equivalent psql scripts (each section in
 * BEGIN/COMMIT; the down script newest first).
 */
static project make_project(const char *name, int n, enum sql_kind kind, bool psql)
{
    project p = { 0 };
    p.dir = xasprintf("%s/%s", g.work_dir, name);
    make_dir(p.dir);
    char *mig = xasprintf("%s/migrations", p.dir);
    make_dir(mig);
    char *versions = xasprintf("%s/versions", mig);
    make_dir(versions);
    p.config = xasprintf("%s/ultramigrate.ini", p.dir);
    write_file(p.config, "[ultramigrate]\nscript_location = %(here)s/migrations\n");

    buf up = { 0 };
    char **downs = psql ? xmalloc((size_t)n * sizeof(*downs)) : NULL;
    for (int i = 1; i <= n; i++) {
        char id[16], prev[16], upsql[160], downsql[64], path[4096], text[512];
        snprintf(id, sizeof id, "r%05d", i);
        snprintf(prev, sizeof prev, "r%05d", i - 1);
        sql_up(upsql, sizeof upsql, kind, i);
        sql_down(downsql, sizeof downsql, i);
        snprintf(text, sizeof text,
                 "-- t %d\n--\n-- Revision ID: %s\n-- Revises: %s\n-- Transactional: yes\n\n"
                 "-- migrate:up\n%s\n-- migrate:down\n%s",
                 i, id, i > 1 ? prev : "", upsql, downsql);
        snprintf(path, sizeof path, "%s/%s.sql", versions, id);
        write_file(path, text);
        if (psql) {
            buf_add(&up, "BEGIN;\n");
            buf_add(&up, upsql);
            buf_add(&up, "COMMIT;\n");
            downs[i - 1] = xasprintf("BEGIN;\n%sCOMMIT;\n", downsql);
        }
    }
    if (psql) {
        buf down = { 0 };
        for (int i = n; i >= 1; i--) {
            buf_add(&down, downs[i - 1]);
            free(downs[i - 1]);
        }
        free(downs);
        p.psql_up = xasprintf("%s/up.sql", p.dir);
        p.psql_down = xasprintf("%s/down.sql", p.dir);
        write_file(p.psql_up, up.s);
        write_file(p.psql_down, down.s);
        free(up.s);
        free(down.s);
    }
    free(versions);
    free(mig);
    return p;
}

static um_ctx *open_engine(const project *p, const char *url)
{
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    o.config_path = p->config;
    o.database_url = url;
    um_ctx *ctx = NULL;
    int rc = um_open(&ctx, &o);
    if (rc)
        die("um_open(%s): %s", p->config, um_errmsg(ctx));
    return ctx;
}

/* ------------------------------------------------------------------ */
/* The table                                                            */
/* ------------------------------------------------------------------ */

typedef struct row {
    char name[48];
    char value[24];
    char target[24];
    char ratio[16];
} row;

static row rows[32];
static size_t n_rows;

static void add_row(const char *name, double value, const char *target, double ratio)
{
    if (n_rows == sizeof rows / sizeof rows[0])
        return;
    row *r = &rows[n_rows++];
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->value, sizeof r->value, "%.1f", value);
    snprintf(r->target, sizeof r->target, "%s", target);
    if (ratio > 0)
        snprintf(r->ratio, sizeof r->ratio, "%.2f", ratio);
    else
        snprintf(r->ratio, sizeof r->ratio, "-");
}

/* The first three fields of /proc/loadavg, or "?". */
static void load_average(char *out, size_t size)
{
    snprintf(out, size, "?");
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f)
        return;
    double a, b, c;
    if (fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3)
        snprintf(out, size, "%.2f %.2f %.2f", a, b, c);
    fclose(f);
}

static void print_table(const char *load_start)
{
    char load_end[64];
    load_average(load_end, sizeof load_end);
    printf("\n%-40s %10s %12s %6s\n", "name", "value", "target", "ratio");
    for (size_t i = 0; i < n_rows; i++)
        printf("%-40s %10s %12s %6s\n", rows[i].name, rows[i].value, rows[i].target, rows[i].ratio);
    printf("\nratio: value/target for absolute targets, ultramigrate/psql for"
           " comparisons (\"x psql\");\nmet when <= 1.00 (absolute) or <= the factor"
           " (comparisons).  Wall-clock figures; load average %s at the start,"
           " %s at the end.\n",
           load_start, load_end);
    fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* 1. Graph build + plan                                                */
/* ------------------------------------------------------------------ */

/*
 * um_open + um_plan_create(UM_UP, "heads") of @p, GRAPH_RUNS times after a
 * warm-up; rows named after @what.  With @mem, the warm-up (the first run
 * in the process, so no freed heap from an earlier run hides its growth)
 * also measures the peak RSS.
 */
static void time_graph(const project *p, const char *url, const char *what, bool mem)
{
    double total[GRAPH_RUNS], open_ms[GRAPH_RUNS], plan_ms[GRAPH_RUNS];
    double peak_mb = -1;
    for (int i = 0; i <= GRAPH_RUNS; i++) {
        bool measure = mem && i == 0 && reset_peak_rss();
        long rss0 = measure ? proc_status_kb("VmRSS") : -1;
        double t0 = now_ms();
        um_ctx *ctx = open_engine(p, url);
        double t1 = now_ms();
        um_plan *plan = NULL;
        if (um_plan_create(&plan, ctx, UM_UP, "heads") != UM_OK)
            die("um_plan_create: %s", um_errmsg(ctx));
        double t2 = now_ms();
        long hwm = measure ? proc_status_kb("VmHWM") : -1;
        if (um_plan_step_count(plan) != GRAPH_REVS)
            die("the plan has %zu steps, expected %d", um_plan_step_count(plan), GRAPH_REVS);
        um_plan_free(plan);
        um_close(ctx);
        if (measure && rss0 >= 0 && hwm >= 0)
            peak_mb = (double)(hwm - rss0) / 1024.0;
        if (i > 0) {
            open_ms[i - 1] = t1 - t0;
            plan_ms[i - 1] = t2 - t1;
            total[i - 1] = t2 - t0;
        }
        fprintf(stderr, "bench: graph (%s) run %d: open %.1f ms, plan %.1f ms%s\n", what, i,
                t1 - t0, t2 - t1, i == 0 ? " (warm-up)" : "");
    }
    char name[48];
    double m = median(total, GRAPH_RUNS);
    snprintf(name, sizeof name, "graph+plan, 10k, %s (ms)", what);
    add_row(name, m, "50 ms", m / TARGET_GRAPH_MS);
    add_row("  of which um_open (ms)", median(open_ms, GRAPH_RUNS), "-", 0);
    add_row("  of which um_plan_create (ms)", median(plan_ms, GRAPH_RUNS), "-", 0);
    if (peak_mb >= 0)
        add_row("graph+plan, 10k: peak RSS increase (MB)", peak_mb, "16 MB",
                peak_mb / TARGET_GRAPH_MB);
    else if (mem)
        fprintf(stderr, "bench: cannot measure peak RSS (/proc/self/clear_refs refused)\n");
}

static void bench_graph(void)
{
    fprintf(stderr, "bench: writing %d revision files\n", GRAPH_REVS);
    project p = make_project("graph", GRAPH_REVS, SQL_TABLE, false);
    char *url = create_db("graph");

    /* Files written a moment ago are not cached (lib/header_cache.c):
     * every run reads and hashes all of them, as the first command on a
     * fresh checkout does. */
    time_graph(&p, url, "files read", true);
    /* Older than two seconds, they are: an open writes the cache, in a
     * directory of its own, which changes the versions directory; another
     * open two seconds on records that, and the names come from the cache
     * from then on, as in a project used for more than a moment. */
    sleep(3);
    um_close(open_engine(&p, url));
    sleep(3);
    time_graph(&p, url, "header cache", false);
    drop_db(url);
    free(url);
}

/* ------------------------------------------------------------------ */
/* 2. Upgrade and downgrade against psql                                */
/* ------------------------------------------------------------------ */

static double run_psql_file(const char *psql, const char *file, const char *url)
{
    char *argv[] = { (char *)psql, "-X",         "-q",        "-v", "ON_ERROR_STOP=1",
                     "-f",         (char *)file, (char *)url, NULL };
    double ms;
    int rc = run(argv, OUT_NULL, NULL, &ms);
    if (rc != 0)
        die("psql -f %s failed (status %d)", file, rc);
    return ms;
}

static double run_engine(const project *p, const char *url, um_direction dir)
{
    double t0 = now_ms();
    um_ctx *ctx = open_engine(p, url);
    int rc = dir == UM_UP ? um_upgrade(ctx, "heads", NULL) : um_rollback(ctx, "base", NULL);
    if (rc)
        die("%s: %s", dir == UM_UP ? "um_upgrade" : "um_rollback", um_errmsg(ctx));
    um_close(ctx);
    return now_ms() - t0;
}

static void bench_apply(const char *psql, project *p)
{
    double pu[APPLY_RUNS], pd[APPLY_RUNS], uu[APPLY_RUNS], ud[APPLY_RUNS];
    for (int i = 0; i < APPLY_RUNS; i++) {
        for (int j = 0; j < 2; j++) {
            bool engine = (i + j) % 2 == 1; /* run 0: psql first, run 1: engine first ... */
            char *url = create_db(engine ? "um" : "psql");
            if (engine) {
                uu[i] = run_engine(p, url, UM_UP);
                ud[i] = run_engine(p, url, UM_DOWN);
                fprintf(stderr, "bench: apply run %d: ultramigrate up %.0f ms, down %.0f ms\n", i,
                        uu[i], ud[i]);
            } else {
                pu[i] = run_psql_file(psql, p->psql_up, url);
                pd[i] = run_psql_file(psql, p->psql_down, url);
                fprintf(stderr, "bench: apply run %d: psql up %.0f ms, down %.0f ms\n", i, pu[i],
                        pd[i]);
            }
            drop_db(url);
            free(url);
        }
    }
    double mpu = median(pu, APPLY_RUNS), mpd = median(pd, APPLY_RUNS);
    double muu = median(uu, APPLY_RUNS), mud = median(ud, APPLY_RUNS);
    add_row("upgrade 1k revisions: psql (ms)", mpu, "-", 0);
    add_row("upgrade 1k revisions: ultramigrate (ms)", muu, "1.05x psql", muu / mpu);
    add_row("downgrade 1k revisions: psql (ms)", mpd, "-", 0);
    add_row("downgrade 1k revisions: ultramigrate (ms)", mud, "1.00x psql", mud / mpd);
}

/* ------------------------------------------------------------------ */
/* 3. Cold CLI status against psql select 1                             */
/* ------------------------------------------------------------------ */

/* Marks every revision of @p applied without running it (um_stamp): a
 * status at 10,000 revisions reads as many rows either way. */
static void stamp_all(const project *p, const char *url)
{
    um_ctx *ctx = open_engine(p, url);
    if (um_stamp(ctx, "heads"))
        die("um_stamp: %s", um_errmsg(ctx));
    um_close(ctx);
}

static void bench_status(const char *psql, const char *cli, const project *big)
{
    project small = make_project("small", STATUS_SMALL_REVS, SQL_TABLE_INDEX, false);
    fprintf(stderr, "bench: writing %d revision files for status\n", STATUS_HUGE_REVS);
    project huge = make_project("huge", STATUS_HUGE_REVS, SQL_TABLE, false);
    char *url_big = create_db("status");
    char *url_small = create_db("status");
    char *url_huge = create_db("status");
    fprintf(stderr, "bench: preparing the status databases\n");
    run_engine(big, url_big, UM_UP);
    run_engine(&small, url_small, UM_UP);
    stamp_all(&huge, url_huge);

    char *cli_big[] = { (char *)cli, "-d", url_big, "-c", big->config, "status", NULL };
    char *cli_small[] = { (char *)cli, "-d", url_small, "-c", small.config, "status", NULL };
    char *cli_huge[] = { (char *)cli, "-d", url_huge, "-c", huge.config, "status", NULL };
    char *sel[] = { (char *)psql, "-X", "-At", "-c", "select 1", url_big, NULL };
    char *const *cmds[] = { sel, cli_big, cli_small, cli_huge };
    enum { N_CMDS = sizeof(cmds) / sizeof(cmds[0]) };
    double t[N_CMDS][STATUS_RUNS];

    /* The files were written a moment ago: the header cache keeps only
     * files older than two seconds (lib/header_cache.c), and a status run
     * after that writes it, as on any project but a brand new one. */
    sleep(3);
    /* One untimed run each pages the binaries and libraries in and writes
     * the cache; one more after two seconds records the directory's stat
     * in it (see bench_graph). */
    for (int warm = 0; warm < 2; warm++) {
        if (warm)
            sleep(3);
        for (int c = 0; c < N_CMDS; c++) {
            int rc = run(cmds[c], OUT_NULL, NULL, NULL);
            if (rc != 0)
                die("%s ... failed (status %d)", cmds[c][0], rc);
        }
    }
    for (int i = 0; i < STATUS_RUNS; i++) {
        for (int c = 0; c < N_CMDS; c++) {
            int rc = run(cmds[c], OUT_NULL, NULL, &t[c][i]);
            if (rc != 0)
                die("%s ... failed (status %d)", cmds[c][0], rc);
        }
    }
    double ms = median(t[0], STATUS_RUNS);
    double mb = median(t[1], STATUS_RUNS);
    double mss = median(t[2], STATUS_RUNS);
    double mh = median(t[3], STATUS_RUNS);
    add_row("cold psql -c 'select 1' (ms)", ms, "-", 0);
    add_row("cold CLI status, 10 revisions (ms)", mss, "1.5x psql", mss / ms);
    add_row("cold CLI status, 1k revisions (ms)", mb, "1.5x psql", mb / ms);
    add_row("cold CLI status, 10k revisions (ms)", mh, "3x psql", mh / ms);
    drop_db(url_big);
    drop_db(url_small);
    drop_db(url_huge);
    free(url_big);
    free(url_small);
    free(url_huge);
}

/* ------------------------------------------------------------------ */
/* 4. Health snapshot against SELECT 1                                  */
/* ------------------------------------------------------------------ */

static void select_one(PGconn *conn, bool prepared)
{
    PGresult *res =
        prepared ? PQexecPrepared(conn, "one", 0, NULL, NULL, NULL, 0) : PQexec(conn, "SELECT 1");
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        die("SELECT 1: %s", PQerrorMessage(conn));
    PQclear(res);
}

static void snapshot(um_ctx *ctx, um_health *h)
{
    if (um_health_init(h, UM_HEALTH_VERSION) != UM_OK || um_health_snapshot(h, ctx) != UM_OK)
        die("um_health_snapshot: %s", um_errmsg(ctx));
    if (h->status != UM_HEALTH_OK)
        die("health status %s: %s", um_health_status_name(h->status), h->message);
}

/* Each of the three, in turn, @n times; times in microseconds when @t. */
static void health_round(um_ctx *ctx, PGconn *conn, int n, double *t[3], double *rt)
{
    for (int i = 0; i < n; i++) {
        um_health h;
        double t0 = now_ms();
        snapshot(ctx, &h);
        double t1 = now_ms();
        select_one(conn, false);
        double t2 = now_ms();
        select_one(conn, true);
        double t3 = now_ms();
        if (t) {
            t[0][i] = (t1 - t0) * 1e3;
            t[1][i] = (t2 - t1) * 1e3;
            t[2][i] = (t3 - t2) * 1e3;
            rt[i] = h.round_trip_ms * 1e3;
        }
    }
}

/*
 * Times HEALTH_RUNS rounds (after HEALTH_WARMUP) of a snapshot on @ctx and
 * SELECT 1 on @conn, the connection @ctx borrows; adds rows named
 * "health, @label ...", with the SELECT 1 rows when @select_rows.
 */
static void measure_health(um_ctx *ctx, PGconn *conn, const char *label, bool select_rows)
{
    double *t[3], *rt = xmalloc(HEALTH_RUNS * sizeof(*rt));
    for (int k = 0; k < 3; k++)
        t[k] = xmalloc(HEALTH_RUNS * sizeof(*t[k]));
    health_round(ctx, conn, HEALTH_WARMUP, NULL, NULL);
    health_round(ctx, conn, HEALTH_RUNS, t, rt);

    double mh = median(t[0], HEALTH_RUNS), me = median(t[1], HEALTH_RUNS);
    double mp = median(t[2], HEALTH_RUNS);
    char name[48];
    fprintf(stderr,
            "bench: health (%s) %.1f us, SELECT 1 %.1f us, prepared %.1f us"
            " (medians)\n",
            label, mh, me, mp);
    if (select_rows) {
        add_row("SELECT 1, PQexec: median (us)", me, "-", 0);
        add_row("SELECT 1, PQexec: p99 (us)", percentile(t[1], HEALTH_RUNS, 99), "-", 0);
        add_row("SELECT 1, prepared: median (us)", mp, "-", 0);
        add_row("SELECT 1, prepared: p99 (us)", percentile(t[2], HEALTH_RUNS, 99), "-", 0);
    }
    snprintf(name, sizeof name, "health, %s: median (us)", label);
    add_row(name, mh, "1.5x prep", mh / mp);
    add_row(name, mh, "1.5x PQexec", mh / me);
    snprintf(name, sizeof name, "health, %s: p99 (us)", label);
    add_row(name, percentile(t[0], HEALTH_RUNS, 99), "-", 0);
    snprintf(name, sizeof name, "  of which the query (us)");
    add_row(name, median(rt, HEALTH_RUNS), "-", 0);
    for (int k = 0; k < 3; k++)
        free(t[k]);
    free(rt);
}

/*
 * Twice: right after the upgrade (the bookkeeping tables not analyzed yet,
 * as a host sees them until autovacuum comes by), then after VACUUM
 * ANALYZE of them (the steady state).
 */
static void bench_health(const project *p)
{
    char *url = create_db("health");
    fprintf(stderr, "bench: applying %d revisions for the health snapshot\n", APPLY_REVS);
    run_engine(p, url, UM_UP);

    PGconn *conn = PQconnectdb(url);
    if (!conn || PQstatus(conn) != CONNECTION_OK)
        die("cannot connect: %s", conn ? PQerrorMessage(conn) : "out of memory");
    PGresult *res = PQprepare(conn, "one", "SELECT 1", 0, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        die("PREPARE: %s", PQerrorMessage(conn));
    PQclear(res);

    /* The engine borrows @conn: the snapshot and SELECT 1 then go to the
     * same backend.  On separate connections of a VM, a backend's wake-up
     * latency (which differs with how busy each one is) swamps the
     * difference between the queries. */
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    o.config_path = p->config;
    o.pg_conn = conn;
    um_ctx *ctx = NULL;
    if (um_open(&ctx, &o) != UM_OK)
        die("um_open(%s): %s", p->config, um_errmsg(ctx));

    measure_health(ctx, conn, "1k, fresh", true);
    res = PQexec(conn, "VACUUM ANALYZE ultramigrate_version, ultramigrate_version_applied,"
                       " ultramigrate_version_history");
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        die("VACUUM ANALYZE: %s", PQerrorMessage(conn));
    PQclear(res);
    /* ANALYZE invalidates the prepared snapshot query's plan: replanned */
    measure_health(ctx, conn, "1k, analyzed", false);

    um_close(ctx);
    PQfinish(conn);
    drop_db(url);
    free(url);
}

/* ------------------------------------------------------------------ */

/* Whether UM_BENCH_ONLY (unset: everything) names @part. */
static bool selected(const char *part)
{
    const char *only = getenv("UM_BENCH_ONLY");
    if (!only || !*only)
        return true;
    size_t len = strlen(part);
    for (const char *p = only; *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && strncmp(p, part, n) == 0)
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

int main(void)
{
    const char *psql = getenv("UM_BENCH_PSQL");
    if (!psql || !*psql)
        psql = DEFAULT_PSQL;
    if (access(psql, X_OK) != 0)
        die("%s: %s (set UM_BENCH_PSQL to a psql binary, not a wrapper script)", psql,
            strerror(errno));
    const char *cli = getenv("UM_CLI");
    if (!cli || !*cli)
        die("UM_CLI is not set (meson benchmark sets it to the built ultramigrate)");
    if (access(cli, X_OK) != 0)
        die("%s: %s", cli, strerror(errno));

    const char *tmp = getenv("TMPDIR");
    g.work_dir = xasprintf("%s/um-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g.work_dir))
        die("mkdtemp %s: %s", g.work_dir, strerror(errno));
    atexit(cleanup);

    char load_start[64];
    load_average(load_start, sizeof load_start);
    double t0 = now_ms();
    start_server();
    fprintf(stderr, "bench: libultramigrate %s, psql %s\n", um_version(), psql);

    if (selected("graph"))
        bench_graph();

    if (selected("apply") || selected("status") || selected("health")) {
        fprintf(stderr, "bench: writing %d revision files (table + index)\n", APPLY_REVS);
        project apply = make_project("apply", APPLY_REVS, SQL_TABLE_INDEX, true);
        if (selected("apply"))
            bench_apply(psql, &apply);
        if (selected("status"))
            bench_status(psql, cli, &apply);
        if (selected("health"))
            bench_health(&apply);
    }

    print_table(load_start);
    fprintf(stderr, "bench: total %.1f s\n", (now_ms() - t0) / 1e3);
    return 0;
}
