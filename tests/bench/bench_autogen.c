/*
 * bench_autogen.c - um_autogenerate() on a schema of 200 tables (each with
 * a primary key, a foreign key to the one before, a unique constraint, a
 * check, an index; a view over every tenth), issue 19's figure (target:
 * under 2 s per run, scratch databases included):
 *
 *   1. against empty revisions: everything is new;
 *   2. against a revision that creates the same 200 tables, with 20
 *      changes in the schema file (5 columns retyped, 6 added, 4 indexes,
 *      4 views changed, a table dropped).
 *
 * Each is run 3 times (dry_run: the SQL is computed, no file written);
 * the median wall-clock time and the process's peak RSS are printed.  The
 * server's own memory is not counted.
 *
 * Public API only.  The server is UM_TEST_DATABASE_URL, or a throwaway
 * cluster started with $UM_SOURCE_DIR/scripts/pg-cluster.sh.  Exits 0
 * whatever the timings; non-zero only when something fails to run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ultramigrate/ultramigrate.h>

#define TABLES 200
#define RUNS   3

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_autogen: %s\n", what);
    exit(1);
}

/* The 200 tables; @changed: with the 20 changes. */
static void write_schema(FILE *f, int changed)
{
    for (int i = 0; i < TABLES; i++) {
        if (changed && i == TABLES - 1)
            break; /* change 20: the last table goes */
        fprintf(f,
                "CREATE TABLE t%03d (\n  id bigint PRIMARY KEY,\n  prev_id bigint,\n"
                "  code %s NOT NULL,\n  qty integer CHECK (qty >= 0),\n  created timestamptz"
                " NOT NULL DEFAULT now(),\n  note text%s,\n  UNIQUE (code));\n",
                i, changed && i < 5 ? "varchar(64)" : "varchar(32)",
                changed && i >= 6 && i < 12 ? ",\n  extra jsonb" : "");
        if (i)
            fprintf(f,
                    "ALTER TABLE t%03d ADD CONSTRAINT t%03d_prev FOREIGN KEY (prev_id)"
                    " REFERENCES t%03d (id);\n",
                    i, i, i - 1);
        fprintf(f, "CREATE INDEX t%03d_created ON t%03d (created);\n", i, i);
        if (changed && i >= 12 && i < 16)
            fprintf(f, "CREATE INDEX t%03d_note ON t%03d (lower(note));\n", i, i);
        if (i % 10 == 0)
            fprintf(f, "CREATE VIEW v%03d AS SELECT id, code%s FROM t%03d;\n", i,
                    changed && i >= 160 && i < 200 ? ", qty" : "", i);
    }
}

static char *write_file(const char *dir, const char *name, int changed, int as_revision)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        die("out of memory");
    FILE *f = fopen(path, "w");
    if (!f)
        die(path);
    if (as_revision)
        fputs("-- the 200 tables\n--\n-- Revision ID: base200\n-- Revises:\n\n-- migrate:up\n", f);
    write_schema(f, changed);
    fclose(f);
    return path;
}

static double median(double *v, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (v[j] < v[i]) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
            }
    return v[n / 2];
}

/* Median ms of RUNS um_autogenerate() runs; *@n_up: the up section's size. */
static double run(const char *dir, const char *url, const char *schema, size_t *n_up)
{
    char *ini = NULL, *loc = NULL;
    if (asprintf(&ini, "%s/ultramigrate.ini", dir) < 0 || asprintf(&loc, "%s/migrations", dir) < 0)
        die("out of memory");
    double times[RUNS];
    for (int r = 0; r < RUNS; r++) {
        um_open_options o = UM_OPEN_OPTIONS_INIT;
        o.config_path = ini;
        o.database_url = url;
        o.script_location = loc;
        o.log_level = UM_LOG_ERROR;
        um_ctx *ctx = NULL;
        double start = now_ms();
        if (um_open(&ctx, &o) != UM_OK)
            die(um_errmsg(ctx));
        um_autogen_options a = UM_AUTOGEN_OPTIONS_INIT;
        a.message = "bench";
        a.schema_file = schema;
        a.dry_run = 1;
        um_autogen_result *res = NULL;
        if (um_autogenerate(&res, ctx, &a) != UM_OK)
            die(um_errmsg(ctx));
        times[r] = now_ms() - start;
        *n_up = strlen(um_autogen_result_up(res));
        um_autogen_result_free(res);
        um_close(ctx);
    }
    free(ini);
    free(loc);
    return median(times, RUNS);
}

int main(void)
{
    const char *url = getenv("UM_TEST_DATABASE_URL");
    if (!url || !*url)
        die("set UM_TEST_DATABASE_URL to a server's URL (CREATEDB needed)");
    char tmpl[] = "/tmp/bench_autogen_XXXXXX";
    char *dir = mkdtemp(tmpl);
    if (!dir)
        die("mkdtemp");
    char *versions = NULL, *ini = NULL;
    if (asprintf(&versions, "%s/migrations", dir) < 0 || mkdir(versions, 0755) != 0)
        die("mkdir migrations");
    free(versions);
    if (asprintf(&versions, "%s/migrations/versions", dir) < 0 || mkdir(versions, 0755) != 0)
        die("mkdir versions");
    if (asprintf(&ini, "%s/ultramigrate.ini", dir) < 0)
        die("out of memory");
    FILE *f = fopen(ini, "w");
    if (!f)
        die(ini);
    fputs("[ultramigrate]\nscript_location = %(here)s/migrations\n", f);
    fclose(f);

    char *same = write_file(dir, "schema.sql", 0, 0);
    char *changed = write_file(dir, "schema_changed.sql", 1, 0);
    size_t up1 = 0, up2 = 0;
    double empty_ms = run(dir, url, same, &up1);
    char *rev = write_file(versions, "base200.sql", 0, 1);
    double changes_ms = run(dir, url, changed, &up2);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%-48s %10s %10s\n", "autogenerate, 200 tables", "median", "target");
    printf("%-48s %8.0f ms %7s\n", "against empty revisions", empty_ms, "2000 ms");
    printf("%-48s %8.0f ms %7s\n", "against the same tables, 20 changes", changes_ms, "2000 ms");
    printf("%-48s %8ld KB\n", "peak RSS of the process", ru.ru_maxrss);
    printf("(up sections: %zu and %zu bytes)\n", up1, up2);

    unlink(same);
    unlink(changed);
    unlink(rev);
    unlink(ini);
    rmdir(versions);
    free(versions);
    if (asprintf(&versions, "%s/migrations", dir) >= 0)
        rmdir(versions);
    rmdir(dir);
    free(versions);
    free(same);
    free(changed);
    free(rev);
    free(ini);
    return 0;
}
