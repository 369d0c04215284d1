/*
 * bench_lint.c - throughput of um_lint() on a 10,000-statement migration
 * set that the benchmark writes itself (issue 18's figure: above 50,000
 * statements per second), and the process's peak memory.
 *
 * Two layouts of the same 10,000 statements:
 *   1. 1,000 revision files of 10 statements each, linted with all = 1
 *      (what "lint --all" does on a large project);
 *   2. one revision file holding all 10,000 (a squashed baseline).
 * The statements are what migrations are made of: CREATE TABLE with
 * several columns, CREATE INDEX, ALTER TABLE ADD COLUMN / ADD CONSTRAINT,
 * an UPDATE backfill, INSERTs, a plpgsql function with a dollar-quoted
 * body, a view, COMMENT, and a DROP COLUMN now and then that gives a
 * finding.
 *
 * Public API only; no database (um_lint with all = 1 reads files only).
 * Each layout runs in a process of its own: um_open once (reads the files,
 * not timed), one warm-up um_lint, then the median of 7 timed um_lint
 * calls; the peak RSS is the process's ru_maxrss (getrusage), shown with
 * its value before the first um_lint.  Prints a table on stdout; exits 0
 * whatever the timings, 1 when something fails to run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ultramigrate/ultramigrate.h>

#define STATEMENTS   10000
#define PER_REVISION 10
#define RUNS         7
#define TARGET_PER_S 50000.0

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_lint: %s\n", what);
    exit(1);
}

/* Statement @i of the set (one or more lines, ending in ";\n"). */
static void statement(FILE *f, int i)
{
    int t = i / 10;
    switch (i % 10) {
    case 0:
        fprintf(f,
                "CREATE TABLE t%d (\n"
                "    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
                "    owner_id bigint NOT NULL,\n"
                "    name text NOT NULL,\n"
                "    email text,\n"
                "    created_at timestamptz NOT NULL DEFAULT now()\n"
                ");\n",
                t);
        break;
    case 1:
        fprintf(f, "CREATE INDEX t%d_owner_idx ON t%d (owner_id);\n", t, t);
        break;
    case 2:
        fprintf(f, "ALTER TABLE t%d ADD COLUMN score bigint NOT NULL DEFAULT 0;\n", t);
        break;
    case 3:
        fprintf(f, "-- backfill in one batch\nUPDATE t%d SET score = 1 WHERE id < 1000;\n", t);
        break;
    case 4:
        fprintf(
            f, "INSERT INTO t%d (owner_id, name, email) VALUES (1, 'a', 'a@x'), (2, 'b', 'b@x');\n",
            t);
        break;
    case 5:
        fprintf(f,
                "CREATE FUNCTION t%d_touch() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                "BEGIN\n"
                "    NEW.created_at := now(); -- keep it fresh; always\n"
                "    RETURN NEW;\n"
                "END $$;\n",
                t);
        break;
    case 6:
        fprintf(f, "ALTER TABLE t%d ADD CONSTRAINT t%d_score_check CHECK (score >= 0);\n", t, t);
        break;
    case 7:
        fprintf(f, "CREATE VIEW t%d_named AS SELECT id, name FROM t%d WHERE score > 0;\n", t, t);
        break;
    case 8:
        fprintf(f, "COMMENT ON TABLE t%d IS 'table number %d';\n", t, t);
        break;
    default:
        /* An existing table: one finding per ten statements. */
        fprintf(f, "ALTER TABLE legacy_%d DROP COLUMN IF EXISTS unused;\n", t);
        break;
    }
}

static void write_revision(const char *dir, int rev, int first, int count)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/migrations/versions/%06d_r.sql", dir, rev);
    FILE *f = fopen(path, "w");
    if (!f)
        die("cannot write a revision file");
    fprintf(f, "-- revision %d\n-- Revision ID: r%06d\n-- Revises:", rev, rev);
    if (rev > 0)
        fprintf(f, " r%06d", rev - 1);
    fprintf(f, "\n\n-- migrate:up\n");
    for (int i = first; i < first + count; i++)
        statement(f, i);
    fprintf(f, "\n-- migrate:down\nSELECT 1;\n");
    if (fclose(f) != 0)
        die("cannot write a revision file");
}

/* A project in a new directory under $TMPDIR with @per_revision
 * statements per revision file. */
static char *write_project(int per_revision)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char *dir = malloc(strlen(tmp) + 32);
    char path[4096];
    if (!dir)
        die("out of memory");
    sprintf(dir, "%s/bench_lint-XXXXXX", tmp);
    if (!mkdtemp(dir))
        die("cannot create a temporary directory");
    snprintf(path, sizeof(path), "%s/migrations", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/migrations/versions", dir);
    if (mkdir(path, 0755) != 0)
        die("cannot create migrations/versions");
    snprintf(path, sizeof(path), "%s/ultramigrate.ini", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        die("cannot write ultramigrate.ini");
    fprintf(f, "[ultramigrate]\nscript_location = %%(here)s/migrations\nlock_timeout = 5s\n");
    fclose(f);
    for (int rev = 0; rev * per_revision < STATEMENTS; rev++)
        write_revision(dir, rev, rev * per_revision, per_revision);
    return dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static long peak_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* One timed um_lint(all); checks what it found. */
static double lint_once(um_ctx *ctx)
{
    um_lint_options o = UM_LINT_OPTIONS_INIT;
    um_lint_result *r = NULL;
    o.all = 1;
    double t0 = now_ms();
    int rc = um_lint(&r, ctx, &o);
    double ms = now_ms() - t0;
    if (rc != UM_OK) {
        fprintf(stderr, "bench_lint: um_lint: %s\n", um_errmsg(ctx));
        exit(1);
    }
    if (um_lint_count(r) != STATEMENTS / 10)
        die("unexpected number of findings");
    um_lint_free(r);
    return ms;
}

static void bench(const char *name, int per_revision)
{
    char *dir = write_project(per_revision);
    char ini[4096];
    snprintf(ini, sizeof(ini), "%s/ultramigrate.ini", dir);
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    um_ctx *ctx = NULL;
    o.config_path = ini;
    if (um_open(&ctx, &o) != UM_OK) {
        fprintf(stderr, "bench_lint: um_open: %s\n", um_errmsg(ctx));
        exit(1);
    }
    long before = peak_kb();
    double ms[RUNS];
    lint_once(ctx);
    for (int i = 0; i < RUNS; i++) {
        ms[i] = lint_once(ctx);
        fprintf(stderr, "  %s: run %d: %.1f ms\n", name, i + 1, ms[i]);
    }
    qsort(ms, RUNS, sizeof(ms[0]), cmp_double);
    double median = ms[RUNS / 2], rate = STATEMENTS / (median / 1000.0);
    printf("%-34s %10.0f stmt/s  (median %.1f ms of %d)  target > %.0f  %s\n", name, rate, median,
           RUNS, TARGET_PER_S, rate > TARGET_PER_S ? "ok" : "BELOW TARGET");
    printf("%-34s %10.1f MB peak RSS (%.1f MB before linting)\n", "", peak_kb() / 1024.0,
           before / 1024.0);
    fflush(stdout);
    um_close(ctx);
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

/* Each layout in a process of its own, so that ru_maxrss is its own peak. */
static void bench_in_child(const char *name, int per_revision)
{
    pid_t pid = fork();
    int status = 0;
    if (pid < 0)
        die("cannot fork");
    if (pid == 0) {
        bench(name, per_revision);
        exit(0);
    }
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        exit(1);
}

int main(void)
{
    printf("um_lint on %d statements (%s)\n", STATEMENTS, um_version());
    fflush(stdout);
    bench_in_child("1,000 revisions x 10 statements", PER_REVISION);
    bench_in_child("1 revision x 10,000 statements", STATEMENTS);
    return 0;
}
