/*
 * check_cli.c - the ultramigrate command as an operator uses it: the binary
 * named by UM_CLI, run in a project directory of its own against a database
 * of its own, its stdout, stderr and exit status checked.
 */
#include "pgtest.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

/* Exit codes, as 'ultramigrate --help' lists them. */
enum {
    EXIT_OK = 0,
    EXIT_ERROR = 1,
    EXIT_USAGE = 2,
    EXIT_CONFIG = 3,
    EXIT_REVISIONS = 4,
    EXIT_TARGET = 5,
    EXIT_CONNECT = 6,
    EXIT_LOCKED = 7,
    EXIT_MIGRATION = 8,
    EXIT_STATE = 9,
    EXIT_FAILED = 11,
    EXIT_LINT_WARNINGS = 16,
    EXIT_LINT_ERRORS = 17,
    EXIT_MIGRATING = 23,
};

/* ------------------------------------------------------------------ */
/* Running the binary                                                   */
/* ------------------------------------------------------------------ */

/* Runs the CLI in @dir, DATABASE_URL @env_url (NULL: none); collects everything. */
#define run_cli(dir, env_url, ...)                                                                 \
    pgtest_run_cli((dir), (env_url), (const char *const[]){ __VA_ARGS__, NULL })

/* Starts the CLI in the background, output to files in @dir. */
#define spawn_cli(dir, env_url, ...)                                                               \
    pgtest_spawn_cli((dir), (env_url), (const char *const[]){ __VA_ARGS__, NULL })

typedef struct growbuf {
    char *s;
    size_t len, cap;
} growbuf;

static void gb_add(growbuf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        ck_assert_ptr_nonnull(b->s);
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* ------------------------------------------------------------------ */
/* Per-test project and database                                        */
/* ------------------------------------------------------------------ */

/* pgtest.h's project fixture, bare: 'init' or the test writes the files. */
static pgtest_project project;
#define proj (project.dir)    /* project directory (cwd of every run) */
#define db   (project.db_url) /* the test's database */
static pid_t bg_pid;          /* a background CLI to reap, 0: none */

static void setup(void)
{
    pgtest_project_setup_bare(&project);
    bg_pid = 0;
}

static void teardown(void)
{
    if (bg_pid > 0) {
        kill(bg_pid, SIGTERM);
        waitpid(bg_pid, NULL, 0);
        bg_pid = 0;
    }
    pgtest_project_teardown(&project);
}

static char *path_join(const char *a, const char *b)
{
    return pgtest_asprintf("%s/%s", a, b);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int contains(const char *hay, const char *needle)
{
    return hay && strstr(hay, needle) != NULL;
}

/* Runs 'init' in the project: ultramigrate.ini, migrations/, tables. */
static void init_project(void)
{
    pgtest_cli_result r = run_cli(proj, db, "init");
    pgtest_assert_status(r, EXIT_OK, "init");
    pgtest_cli_result_free(&r);
}

/* Replaces ultramigrate.ini with a minimal one plus @extra lines. */
static void write_ini(const char *extra)
{
    pgtest_write_ini(proj, "ultramigrate.ini", NULL, extra);
}

/* ---- revision files ---------------------------------------------------- */

/* The names of the *.sql files in migrations/versions, sorted, joined by '\n'. */
static char *list_versions(void)
{
    char *dir = path_join(proj, "migrations/versions");
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    growbuf b = { 0 };
    gb_add(&b, "", 0);
    ck_assert_msg(n >= 0, "scandir %s: %s", dir, strerror(errno));
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]->d_name);
        if (len > 4 && strcmp(names[i]->d_name + len - 4, ".sql") == 0) {
            gb_add(&b, names[i]->d_name, len);
            gb_add(&b, "\n", 1);
        }
        free(names[i]);
    }
    free(names);
    free(dir);
    return b.s;
}

/* The value of header key @key ("Revision ID") in @text (free()), or NULL. */
static char *header_value(const char *text, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "-- %s:", key);
    const char *p = strstr(text, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    const char *e = strchr(p, '\n');
    if (!e)
        e = p + strlen(p);
    while (e > p && isspace((unsigned char)e[-1]))
        e--;
    return strndup(p, (size_t)(e - p));
}

typedef struct gen_result {
    char *path;    /* the new file */
    char *id;      /* its Revision ID */
    char *revises; /* its Revises: value */
} gen_result;

static void gen_result_free(gen_result *g)
{
    free(g->path);
    free(g->id);
    free(g->revises);
}

/* Runs a command that must write exactly one new revision file. */
static gen_result new_revision_v(const char *const argv[])
{
    char *before = list_versions();
    pgtest_cli_result r = pgtest_run_cli(proj, db, argv);
    pgtest_assert_status(r, EXIT_OK, argv[0]);
    char *after = list_versions();

    /* The one line of @after that @before lacks. */
    char *name = NULL;
    for (char *line = after; *line;) {
        char *nl = strchr(line, '\n');
        *nl = '\0';
        char probe[512];
        snprintf(probe, sizeof(probe), "%s\n", line);
        if (!strstr(before, probe)) {
            ck_assert_msg(name == NULL, "%s wrote more than one file", argv[0]);
            name = strdup(line);
        }
        line = nl + 1;
    }
    ck_assert_msg(name != NULL, "%s wrote no file:\n%s", argv[0], r.err);

    gen_result g = { 0 };
    char *rel = path_join("migrations/versions", name);
    g.path = path_join(proj, rel);
    char *text = pgtest_read_file(g.path, NULL);
    ck_assert_ptr_nonnull(text);
    g.id = header_value(text, "Revision ID");
    g.revises = header_value(text, "Revises");
    ck_assert_msg(g.id != NULL, "no Revision ID in %s:\n%s", name, text);
    ck_assert_msg(g.revises != NULL, "no Revises in %s:\n%s", name, text);
    free(text);
    free(rel);
    free(name);
    free(before);
    free(after);
    pgtest_cli_result_free(&r);
    return g;
}

#define new_revision(...) new_revision_v((const char *const[]){ __VA_ARGS__, NULL })

/* Puts @up after "-- migrate:up" and @down after "-- migrate:down". */
static void fill_revision(const char *path, const char *up, const char *down)
{
    char *text = pgtest_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    const char *um = strstr(text, "-- migrate:up\n");
    const char *dm = strstr(text, "-- migrate:down\n");
    ck_assert_msg(um && dm && um < dm, "unexpected template output:\n%s", text);
    growbuf b = { 0 };
    um += strlen("-- migrate:up\n");
    dm += strlen("-- migrate:down\n");
    gb_add(&b, text, (size_t)(um - text));
    gb_add(&b, up, strlen(up));
    gb_add(&b, "\n-- migrate:down\n", strlen("\n-- migrate:down\n"));
    gb_add(&b, down, strlen(down));
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(b.s, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
    free(b.s);
    free(text);
}

static int is_hex12(const char *s)
{
    if (!s || strlen(s) != 12)
        return 0;
    for (const char *p = s; *p; p++)
        if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
            return 0;
    return 1;
}

/* Number of lines of @text that are not empty. */
static int count_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        n += len > 0;
        p += len + (e ? 1 : 0);
    }
    return n;
}

static int table_exists(const char *name)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT to_regclass('public.%s') IS NOT NULL", name);
    char *v = pgtest_query_value(db, sql);
    ck_assert_msg(v != NULL, "%s", pgtest_last_error());
    int yes = strcmp(v, "t") == 0;
    free(v);
    return yes;
}

/* Parses all of @text as JSON (trailing text is an error); json_decref(). */
static json_t *parse_json(const char *text, const char *what)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    ck_assert_msg(j != NULL, "%s: stdout is not (only) JSON: %s at line %d col %d:\n%s", what,
                  e.text, e.line, e.column, text);
    return j;
}

/* ------------------------------------------------------------------ */
/* Help and usage                                                       */
/* ------------------------------------------------------------------ */

static const char *const commands[] = {
    "init",     "status", "current", "history",   "heads", "branches", "show",
    "generate", "merge",  "upgrade", "downgrade", "stamp", "lint",     "help",
};
#define N_COMMANDS ((int)(sizeof(commands) / sizeof(commands[0])))

START_TEST(help_global)
{
    pgtest_cli_result r = run_cli(proj, NULL, "--help");
    pgtest_assert_status(r, EXIT_OK, "--help");
    ck_assert_msg(contains(r.out, "Usage: ultramigrate"), "%s", r.out);
    for (int i = 0; i < N_COMMANDS; i++)
        ck_assert_msg(contains(r.out, commands[i]), "--help lacks %s", commands[i]);
    ck_assert_msg(contains(r.out, "Exit status"), "%s", r.out);
    /* a long synopsis whole, and auto's exit code as the table says */
    ck_assert_msg(contains(r.out, "verify [--offline] [--allow-multiple-heads] [--roundtrip URL]"
                                  " [--drift]\n"),
                  "%s", r.out);
    ck_assert_msg(contains(r.out, "difference; 22: none.") && contains(r.out, " 22 no difference"),
                  "%s", r.out);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, NULL, "help");
    pgtest_assert_status(r, EXIT_OK, "help");
    ck_assert_msg(contains(r.out, "Usage: ultramigrate"), "%s", r.out);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, NULL, "--version");
    pgtest_assert_status(r, EXIT_OK, "--version");
    ck_assert_msg(isdigit((unsigned char)r.out[0]) || contains(r.out, "ultramigrate"),
                  "--version: %s", r.out);
    pgtest_cli_result_free(&r);
}
END_TEST

START_TEST(help_command)
{
    const char *cmd = commands[_i];
    char usage[128];
    snprintf(usage, sizeof(usage), "ultramigrate [GLOBAL OPTIONS] %s", cmd);

    pgtest_cli_result r = run_cli(proj, NULL, cmd, "--help");
    pgtest_assert_status(r, EXIT_OK, cmd);
    ck_assert_msg(contains(r.out, usage), "%s --help:\n%s", cmd, r.out);
    ck_assert_str_eq(r.err, "");
    pgtest_cli_result_free(&r);

    r = run_cli(proj, NULL, "help", cmd);
    pgtest_assert_status(r, EXIT_OK, cmd);
    ck_assert_msg(contains(r.out, usage), "help %s:\n%s", cmd, r.out);
    pgtest_cli_result_free(&r);
}
END_TEST

START_TEST(usage_errors)
{
    pgtest_cli_result r = run_cli(proj, NULL, "frobnicate");
    pgtest_assert_status(r, EXIT_USAGE, "unknown command");
    ck_assert_msg(contains(r.err, "frobnicate"), "%s", r.err);
    ck_assert_str_eq(r.out, "");
    pgtest_cli_result_free(&r);

    r = run_cli(proj, NULL, "--frobnicate", "status");
    pgtest_assert_status(r, EXIT_USAGE, "unknown global option");
    ck_assert_msg(contains(r.err, "frobnicate"), "%s", r.err);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, NULL, "upgrade", "--frobnicate");
    pgtest_assert_status(r, EXIT_USAGE, "unknown command option");
    ck_assert_msg(contains(r.err, "frobnicate"), "%s", r.err);
    /* a command's option error points at that command's help */
    ck_assert_msg(contains(r.err, "Try 'ultramigrate upgrade --help'."), "%s", r.err);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, NULL, "status", "--wait", "soon");
    pgtest_assert_status(r, EXIT_USAGE, "a bad number");
    ck_assert_msg(contains(r.err, "Try 'ultramigrate status --help'."), "%s", r.err);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, NULL, "--frobnicate", "status");
    pgtest_assert_status(r, EXIT_USAGE, "unknown global option");
    ck_assert_msg(contains(r.err, "Try 'ultramigrate --help'."), "%s", r.err);
    pgtest_cli_result_free(&r);

    r = pgtest_run_cli(proj, NULL, (const char *const[]){ NULL });
    pgtest_assert_status(r, EXIT_USAGE, "no command");
    pgtest_cli_result_free(&r);

    r = run_cli(proj, NULL, "downgrade");
    pgtest_assert_status(r, EXIT_USAGE, "downgrade without a target");
    pgtest_cli_result_free(&r);

    r = run_cli(proj, NULL, "help", "frobnicate");
    pgtest_assert_status(r, EXIT_USAGE, "help of an unknown command");
    ck_assert_msg(contains(r.err, "Try 'ultramigrate --help'."), "%s", r.err);
    pgtest_cli_result_free(&r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* init and generate                                                    */
/* ------------------------------------------------------------------ */

static const char *const init_files[] = {
    "ultramigrate.ini",
    "migrations/script.sql.tmpl",
};

/* --version: the library's and libpq's; the server's in a project whose
 * database answers, nothing of it elsewhere. */
START_TEST(version_names_libpq_and_server)
{
    pgtest_cli_result r = run_cli(proj, db, "--version");
    pgtest_assert_status(r, EXIT_OK, "--version outside a project");
    ck_assert_msg(contains(r.out, "ultramigrate ") && contains(r.out, "\nlibpq 1"), "%s", r.out);
    ck_assert_msg(!contains(r.out, "server "), "%s", r.out);
    ck_assert_str_eq(r.err, "");
    pgtest_cli_result_free(&r);

    init_project();
    char *want = pgtest_query_value(db, "SELECT 'server ' || current_setting('server_version')");
    ck_assert_ptr_nonnull(want);
    r = run_cli(proj, db, "--version");
    pgtest_assert_status(r, EXIT_OK, "--version in a project");
    ck_assert_msg(contains(r.out, "\nlibpq ") && contains(r.out, want), "%s", r.out);
    pgtest_cli_result_free(&r);
    free(want);

    /* -d after --version counts; a database that is not there is left out */
    r = run_cli(proj, db, "--version", "-d", "postgresql://nobody@/none?host=/nonexistent");
    pgtest_assert_status(r, EXIT_OK, "--version, no server");
    ck_assert_msg(contains(r.out, "\nlibpq ") && !contains(r.out, "server "), "%s", r.out);
    ck_assert_str_eq(r.err, "");
    pgtest_cli_result_free(&r);
}
END_TEST

/* The file name's slug writes accented Latin letters as ASCII. */
START_TEST(generate_slug_transliterates)
{
    init_project();
    gen_result g = new_revision("generate", "Ajout caf\xC3\xA9 / na\xC3\xAFve");
    ck_assert_msg(contains(g.path, "_ajout_cafe_naive.sql"), "%s", g.path);
    gen_result_free(&g);
}
END_TEST

/* init without DIR completes the project an existing ini points at,
 * creating missing parent directories, rather than ./migrations. */
START_TEST(init_follows_existing_config)
{
    pgtest_write_file(proj, "ultramigrate.ini",
                      "[ultramigrate]\nscript_location = %(here)s/db/schema\n");
    pgtest_cli_result r = run_cli(proj, db, "init");
    pgtest_assert_status(r, EXIT_OK, "init");
    pgtest_cli_result_free(&r);
    char *versions = path_join(proj, "db/schema/versions");
    char *tmpl = path_join(proj, "db/schema/script.sql.tmpl");
    char *stray = path_join(proj, "migrations");
    ck_assert_msg(is_dir(versions), "no %s", versions);
    ck_assert_msg(is_file(tmpl), "no %s", tmpl);
    ck_assert_msg(!is_dir(stray), "init created ./migrations");
    free(versions);
    free(tmpl);
    free(stray);
}
END_TEST

START_TEST(init_creates_and_is_idempotent)
{
    pgtest_cli_result r = run_cli(proj, db, "init");
    pgtest_assert_status(r, EXIT_OK, "init");
    pgtest_cli_result_free(&r);

    char *versions = path_join(proj, "migrations/versions");
    ck_assert_msg(is_dir(versions), "no %s", versions);
    free(versions);
    /* versions/README.md explains the directory and is not a revision. */
    char *readme_path = path_join(proj, "migrations/versions/README.md");
    char *readme = pgtest_read_file(readme_path, NULL);
    ck_assert_msg(readme && contains(readme, "Revision ID") && contains(readme, "migrate:down") &&
                      contains(readme, "Transactional: no") &&
                      contains(readme, "ultramigrate repair") &&
                      contains(readme, "migration_troubleshooting.md"),
                  "versions/README.md: %s", readme ? readme : "(missing)");
    free(readme);
    free(readme_path);
    /* The header cache is kept out of version control. */
    char *ignore_path = path_join(proj, "migrations/versions/.gitignore");
    char *ignore = pgtest_read_file(ignore_path, NULL);
    ck_assert_msg(ignore && contains(ignore, ".ultramigrate-cache"), "versions/.gitignore: %s",
                  ignore ? ignore : "(missing)");
    free(ignore);
    free(ignore_path);
    r = run_cli(proj, db, "heads");
    pgtest_assert_status(r, EXIT_OK, "heads after init");
    ck_assert_str_eq(r.out, "");
    pgtest_cli_result_free(&r);
    char *saved[2];
    size_t saved_len[2];
    for (int i = 0; i < 2; i++) {
        char *p = path_join(proj, init_files[i]);
        ck_assert_msg(is_file(p), "init did not create %s", init_files[i]);
        saved[i] = pgtest_read_file(p, &saved_len[i]);
        ck_assert_uint_gt(saved_len[i], 0);
        free(p);
    }
    ck_assert_msg(contains(saved[0], "script_location"), "%s", saved[0]);
    ck_assert_msg(contains(saved[1], "migrate:up"), "%s", saved[1]);
    ck_assert_msg(table_exists("ultramigrate_version"), "init made no version table");

    /* An operator's edit must survive a second init. */
    char *tmpl = path_join(proj, init_files[1]);
    FILE *f = fopen(tmpl, "a");
    ck_assert_ptr_nonnull(f);
    fputs("-- local edit\n", f);
    fclose(f);
    free(saved[1]);
    saved[1] = pgtest_read_file(tmpl, &saved_len[1]);
    free(tmpl);

    r = run_cli(proj, db, "init");
    pgtest_assert_status(r, EXIT_OK, "second init");
    pgtest_cli_result_free(&r);
    for (int i = 0; i < 2; i++) {
        char *p = path_join(proj, init_files[i]);
        size_t len = 0;
        char *now = pgtest_read_file(p, &len);
        ck_assert_msg(now && len == saved_len[i] && memcmp(now, saved[i], len) == 0,
                      "second init changed %s", init_files[i]);
        free(now);
        free(p);
        free(saved[i]);
    }
    char *list = list_versions();
    ck_assert_str_eq(list, "");
    free(list);
}
END_TEST

START_TEST(generate_writes_header)
{
    init_project();
    gen_result a = new_revision("generate", "first revision");
    ck_assert_msg(is_hex12(a.id), "Revision ID '%s' is not 12 hex digits", a.id);
    ck_assert_msg(strcmp(a.revises, "") == 0 || strcmp(a.revises, "None") == 0,
                  "a base revision revises '%s'", a.revises);
    char *text = pgtest_read_file(a.path, NULL);
    ck_assert_msg(contains(text, "-- first revision\n"), "%s", text);
    free(text);

    gen_result b = new_revision("generate", "-m", "second");
    ck_assert_msg(is_hex12(b.id), "Revision ID '%s'", b.id);
    ck_assert_str_ne(a.id, b.id);
    ck_assert_str_eq(b.revises, a.id);

    /* Alembic's spelling works too. */
    gen_result c = new_revision("revision", "-m", "third");
    ck_assert_str_eq(c.revises, b.id);

    pgtest_cli_result r = run_cli(proj, db, "heads");
    pgtest_assert_status(r, EXIT_OK, "heads");
    ck_assert_msg(contains(r.out, c.id) && !contains(r.out, b.id), "heads:\n%s", r.out);
    ck_assert_int_eq(count_lines(r.out), 1);
    pgtest_cli_result_free(&r);

    gen_result d = new_revision("generate", "--rev-id", "my_own_id", "fourth");
    ck_assert_str_eq(d.id, "my_own_id");
    ck_assert_str_eq(d.revises, c.id);

    gen_result_free(&a);
    gen_result_free(&b);
    gen_result_free(&c);
    gen_result_free(&d);
}
END_TEST

/* -n SECTION reads another section of the file (Alembic's -n), before or
 * after the command; history's own -n stays its limit. */
START_TEST(name_selects_a_section)
{
    write_ini("[staging]\nscript_location = %(here)s/staging\n");
    pgtest_write_revision(proj, "main1", NULL, NULL, 1, "SELECT 1;", NULL);
    pgtest_write_file(proj, "staging/versions/st1.sql",
                      "-- Revision ID: st1\n-- migrate:up\nSELECT 1;\n");
    pgtest_cli_result r = run_cli(proj, db, "-n", "staging", "heads");
    pgtest_assert_status(r, EXIT_OK, "-n staging heads");
    ck_assert_str_eq(r.out, "st1 (head)\n");
    pgtest_cli_result_free(&r);
    r = run_cli(proj, db, "heads", "--name", "staging");
    ck_assert_str_eq(r.out, "st1 (head)\n");
    pgtest_cli_result_free(&r);
    r = run_cli(proj, db, "heads");
    ck_assert_str_eq(r.out, "main1 (head)\n");
    pgtest_cli_result_free(&r);
    r = run_cli(proj, db, "--name=staging", "history", "-n", "1", "--revisions");
    pgtest_assert_status(r, EXIT_OK, "history -n 1 under --name");
    ck_assert_str_eq(r.out, "<base> -> st1 (head), \n");
    pgtest_cli_result_free(&r);
    r = run_cli(proj, db, "-n", "prod", "heads");
    pgtest_assert_status(r, 3, "-n prod");
    ck_assert_msg(contains(r.err, "no [prod] section"), "%s", r.err);
    pgtest_cli_result_free(&r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A branched graph, as Alembic would handle it                         */
/* ------------------------------------------------------------------ */

typedef struct branched {
    gen_result a, b, c;
} branched;

/* A, then B on A, then C on A (--head A --splice): two heads, B and C. */
static branched make_branches(void)
{
    branched g;
    init_project();
    g.a = new_revision("generate", "A");
    fill_revision(g.a.path, "CREATE TABLE ta (id int);\n", "DROP TABLE ta;\n");
    g.b = new_revision("generate", "B");
    fill_revision(g.b.path, "CREATE TABLE tb (id int);\n", "DROP TABLE tb;\n");
    ck_assert_str_eq(g.b.revises, g.a.id);
    g.c = new_revision("generate", "C", "--head", g.a.id, "--splice");
    fill_revision(g.c.path, "CREATE TABLE tc (id int);\n", "DROP TABLE tc;\n");
    ck_assert_str_eq(g.c.revises, g.a.id);
    return g;
}

static void branched_free(branched *g)
{
    gen_result_free(&g->a);
    gen_result_free(&g->b);
    gen_result_free(&g->c);
}

/* Asserts that the non-empty lines of `current` name exactly @ids. */
static void assert_current(const char *const *ids, int n, const char *when)
{
    pgtest_cli_result r = run_cli(proj, db, "current");
    pgtest_assert_status(r, EXIT_OK, when);
    ck_assert_msg(count_lines(r.out) == n, "%s: current:\n%s", when, r.out);
    for (int i = 0; i < n; i++)
        ck_assert_msg(contains(r.out, ids[i]), "%s: current lacks %s:\n%s", when, ids[i], r.out);
    pgtest_cli_result_free(&r);
}

START_TEST(branch_and_merge)
{
    branched g = make_branches();

    pgtest_cli_result r = run_cli(proj, db, "heads");
    pgtest_assert_status(r, EXIT_OK, "heads");
    ck_assert_int_eq(count_lines(r.out), 2);
    ck_assert_msg(contains(r.out, g.b.id) && contains(r.out, g.c.id), "heads:\n%s", r.out);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "upgrade", "head");
    pgtest_assert_status(r, EXIT_TARGET, "upgrade head with two heads");
    ck_assert_msg(contains(r.err, g.b.id) && contains(r.err, g.c.id),
                  "upgrade head must name both heads:\n%s", r.err);
    pgtest_cli_result_free(&r);
    ck_assert(!table_exists("ta"));

    r = run_cli(proj, db, "upgrade", "heads");
    pgtest_assert_status(r, EXIT_OK, "upgrade heads");
    pgtest_cli_result_free(&r);
    ck_assert(table_exists("ta") && table_exists("tb") && table_exists("tc"));
    assert_current((const char *[]){ g.b.id, g.c.id }, 2, "after upgrade heads");

    /* -1 from two heads: refused, naming both (Alembic takes the first
     * version row its SELECT returns: docs/cli.md says why not) */
    r = run_cli(proj, db, "downgrade", "-1");
    pgtest_assert_status(r, EXIT_TARGET, "downgrade -1 with two heads");
    ck_assert_msg(contains(r.err, "several current heads") && contains(r.err, g.b.id) &&
                      contains(r.err, g.c.id),
                  "downgrade -1 must name both heads:\n%s", r.err);
    pgtest_cli_result_free(&r);
    assert_current((const char *[]){ g.b.id, g.c.id }, 2, "after downgrade -1 refused");
    ck_assert(table_exists("tb") && table_exists("tc"));

    gen_result m = new_revision("merge", "-m", "merge");
    ck_assert_msg(contains(m.revises, g.b.id) && contains(m.revises, g.c.id), "merge Revises: %s",
                  m.revises);
    ck_assert_msg(contains(m.revises, ","), "merge Revises: %s", m.revises);

    r = run_cli(proj, db, "heads");
    pgtest_assert_status(r, EXIT_OK, "heads after merge");
    ck_assert_int_eq(count_lines(r.out), 1);
    ck_assert_msg(contains(r.out, m.id), "heads:\n%s", r.out);
    pgtest_cli_result_free(&r);

    /* merge writes an empty up section, as Alembic does: that is what a
     * merge is, so neither verify nor upgrade flags it */
    r = run_cli(proj, db, "verify", "--offline");
    pgtest_assert_status(r, EXIT_OK, "verify of a fresh merge");
    ck_assert_msg(!contains(r.out, "empty-up"), "%s", r.out);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "upgrade");
    pgtest_assert_status(r, EXIT_OK, "upgrade to the merge");
    ck_assert_msg(!contains(r.err, "is empty"), "%s", r.err);
    pgtest_cli_result_free(&r);
    assert_current((const char *[]){ m.id }, 1, "after the merge");

    r = run_cli(proj, db, "history", "--revisions");
    pgtest_assert_status(r, EXIT_OK, "history --revisions");
    ck_assert_msg(contains(r.out, "mergepoint"), "no mergepoint marker:\n%s", r.out);
    ck_assert_msg(contains(r.out, "branchpoint"), "no branchpoint marker:\n%s", r.out);
    const char *const all[] = { g.a.id, g.b.id, g.c.id, m.id };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        ck_assert_msg(contains(r.out, all[i]), "history --revisions lacks %s:\n%s", all[i], r.out);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "downgrade", "-1");
    pgtest_assert_status(r, EXIT_OK, "downgrade -1 from the merge");
    pgtest_cli_result_free(&r);
    assert_current((const char *[]){ g.b.id, g.c.id }, 2, "after downgrade -1");
    ck_assert(table_exists("tb") && table_exists("tc"));

    r = run_cli(proj, db, "downgrade", "base");
    pgtest_assert_status(r, EXIT_OK, "downgrade base");
    pgtest_cli_result_free(&r);
    assert_current(NULL, 0, "after downgrade base");
    ck_assert(!table_exists("ta") && !table_exists("tb") && !table_exists("tc"));

    r = run_cli(proj, db, "stamp", "heads");
    pgtest_assert_status(r, EXIT_OK, "stamp heads");
    pgtest_cli_result_free(&r);
    assert_current((const char *[]){ m.id }, 1, "after stamp heads");
    ck_assert_msg(!table_exists("ta"), "stamp ran revision SQL");

    gen_result_free(&m);
    branched_free(&g);
}
END_TEST

/* Alembic's base+N, both ways: N revisions up from the empty state. */
START_TEST(base_plus_n_targets)
{
    write_ini(NULL);
    pgtest_write_linear_revisions(proj, 4);
    pgtest_cli_result r = run_cli(proj, db, "upgrade", "base+2");
    pgtest_assert_status(r, EXIT_OK, "upgrade base+2");
    pgtest_cli_result_free(&r);
    assert_current((const char *[]){ "r2" }, 1, "after upgrade base+2");
    ck_assert(table_exists("t2") && !table_exists("t3"));

    r = run_cli(proj, db, "upgrade");
    pgtest_assert_status(r, EXIT_OK, "upgrade");
    pgtest_cli_result_free(&r);
    r = run_cli(proj, db, "downgrade", "base+2");
    pgtest_assert_status(r, EXIT_OK, "downgrade base+2");
    ck_assert_msg(contains(r.err, "reverted r4") && contains(r.err, "reverted r3"), "%s", r.err);
    pgtest_cli_result_free(&r);
    assert_current((const char *[]){ "r2" }, 1, "after downgrade base+2");
    ck_assert(table_exists("t2") && !table_exists("t3") && !table_exists("t4"));

    r = run_cli(proj, db, "upgrade", "base+5");
    pgtest_assert_status(r, EXIT_TARGET, "upgrade base+5 with 4 revisions");
    pgtest_cli_result_free(&r);
    assert_current((const char *[]){ "r2" }, 1, "after upgrade base+5 refused");
}
END_TEST

/*
 * A versions directory of Alembic .py revisions and no .sql file: status
 * and health fail as a configuration error pointing at import-alembic;
 * health --json prints nothing then (a configuration error is not a
 * state of the database), as every --json on failure.
 */
START_TEST(alembic_versions_directory)
{
    write_ini(NULL);
    pgtest_write_file(proj, "migrations/versions/1975ea83b712_create_account.py",
                      "revision = '1975ea83b712'\ndown_revision = None\n");
    static const char *const cmds[][2] = {
        { "status", NULL }, { "health", NULL }, { "--json", "health" }, { "current", NULL }
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        const char *what = pgtest_fmt("%s %s", cmds[i][0], cmds[i][1] ? cmds[i][1] : "");
        pgtest_cli_result r =
            pgtest_run_cli(proj, db, (const char *const[]){ cmds[i][0], cmds[i][1], NULL });
        pgtest_assert_status(r, EXIT_CONFIG, what);
        ck_assert_msg(contains(r.err, "1975ea83b712_create_account.py") &&
                          contains(r.err, "ultramigrate import-alembic"),
                      "%s:\n%s", what, r.err);
        ck_assert_msg(r.out[0] == '\0', "%s printed on stdout:\n%s", what, r.out);
        pgtest_cli_result_free(&r);
    }
}
END_TEST

/* Alembic's merge message is optional; --rev-id names the merge as it
 * names a generated revision. */
START_TEST(merge_default_message_and_rev_id)
{
    branched g = make_branches();
    gen_result m = new_revision("merge", "heads", "--rev-id", "m0001");
    ck_assert_str_eq(m.id, "m0001");
    ck_assert_msg(contains(m.revises, g.b.id) && contains(m.revises, g.c.id), "merge Revises: %s",
                  m.revises);
    char *text = pgtest_read_file(m.path, NULL);
    ck_assert_ptr_nonnull(text);
    char *want = pgtest_asprintf("-- merge %s, %s\n", g.b.id, g.c.id);
    char *want_swapped = pgtest_asprintf("-- merge %s, %s\n", g.c.id, g.b.id);
    ck_assert_msg(strncmp(text, want, strlen(want)) == 0 ||
                      strncmp(text, want_swapped, strlen(want_swapped)) == 0,
                  "merge message:\n%s", text);
    free(want);
    free(want_swapped);
    free(text);

    pgtest_cli_result r = run_cli(proj, db, "merge", "--rev-id", "m0001");
    pgtest_assert_status(r, EXIT_TARGET, "merge with one head");
    pgtest_cli_result_free(&r);

    gen_result_free(&m);
    branched_free(&g);
}
END_TEST

/* As Alembic's: a merge joins heads, each once (a full id and its prefix
 * are one revision); nothing is written otherwise. */
START_TEST(merge_refuses_non_heads_and_twice)
{
    branched g = make_branches();
    char prefix[8];
    snprintf(prefix, sizeof(prefix), "%.6s", g.b.id);
    const struct {
        const char *a, *b, *says;
    } cases[] = {
        { g.b.id, prefix, "named twice" },
        { g.a.id, g.c.id, "not a head" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        pgtest_cli_result r = run_cli(proj, db, "merge", cases[i].a, cases[i].b);
        pgtest_assert_status(r, EXIT_TARGET, cases[i].says);
        ck_assert_msg(strstr(r.err, cases[i].says), "case %zu: %s", i, r.err);
        pgtest_cli_result_free(&r);
    }
    pgtest_cli_result r = run_cli(proj, db, "heads");
    pgtest_assert_status(r, EXIT_OK, "heads after refused merges");
    ck_assert_int_eq(count_lines(r.out), 2);
    pgtest_cli_result_free(&r);
    branched_free(&g);
}
END_TEST

/* ------------------------------------------------------------------ */
/* JSON on stdout                                                       */
/* ------------------------------------------------------------------ */

static json_t *run_json(const char *what, const char *const argv[])
{
    pgtest_cli_result r = pgtest_run_cli(proj, db, argv);
    pgtest_assert_status(r, EXIT_OK, what);
    json_t *j = parse_json(r.out, what);
    pgtest_cli_result_free(&r);
    return j;
}

#define RUN_JSON(what, ...) run_json((what), (const char *const[]){ __VA_ARGS__, NULL })

static int json_array_has_string(const json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i,
                       v) if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) return 1;
    return 0;
}

START_TEST(json_outputs)
{
    branched g = make_branches();
    pgtest_cli_result r = run_cli(proj, db, "upgrade", g.b.id);
    pgtest_assert_status(r, EXIT_OK, "upgrade B");
    pgtest_cli_result_free(&r);

    json_t *j = RUN_JSON("status --json", "status", "--json");
    ck_assert(json_is_object(j));
    ck_assert(json_is_array(json_object_get(j, "current_heads")));
    ck_assert(json_array_has_string(json_object_get(j, "current_heads"), g.b.id));
    ck_assert(json_is_array(json_object_get(j, "file_heads")));
    ck_assert_uint_eq(json_array_size(json_object_get(j, "file_heads")), 2);
    ck_assert_uint_eq(json_array_size(json_object_get(j, "applied")), 2);
    json_t *pending = json_object_get(j, "pending");
    ck_assert_uint_eq(json_array_size(pending), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(pending, 0), "revision")),
                     g.c.id);
    json_decref(j);

    j = RUN_JSON("--json status", "--json", "status");
    ck_assert(json_is_object(j));
    json_decref(j);

    j = RUN_JSON("heads --json", "heads", "--json");
    ck_assert(json_is_array(j));
    ck_assert_uint_eq(json_array_size(j), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *h = json_array_get(j, i);
        const char *id = json_string_value(json_object_get(h, "revision"));
        ck_assert_ptr_nonnull(id);
        ck_assert(strcmp(id, g.b.id) == 0 || strcmp(id, g.c.id) == 0);
        ck_assert(json_is_true(json_object_get(h, "is_head")));
    }
    json_decref(j);

    j = RUN_JSON("history --json", "history", "--json");
    ck_assert(json_is_object(j));
    json_t *hist = json_object_get(j, "history");
    ck_assert(json_is_array(hist));
    ck_assert_uint_eq(json_array_size(hist), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(hist, 0), "revision")),
                     g.a.id);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(hist, 0), "direction")),
                     "up");
    json_decref(j);

    j = RUN_JSON("show --json", "show", g.a.id, "--json");
    ck_assert(json_is_object(j));
    ck_assert_str_eq(json_string_value(json_object_get(j, "revision")), g.a.id);
    ck_assert_str_eq(json_string_value(json_object_get(j, "message")), "A");
    ck_assert(json_is_array(json_object_get(j, "parents")));
    ck_assert(json_is_true(json_object_get(j, "is_branch_point")));
    json_decref(j);

    j = RUN_JSON("current --json", "current", "--json");
    ck_assert(json_is_object(j) || json_is_array(j));
    json_decref(j);

    j = RUN_JSON("history --revisions --json", "history", "--revisions", "--json");
    ck_assert(json_is_object(j) || json_is_array(j));
    json_decref(j);

    /* Commands that change things print JSON too, and only JSON. */
    j = RUN_JSON("upgrade --json", "upgrade", "--json");
    ck_assert(json_is_object(j) || json_is_array(j));
    json_decref(j);

    branched_free(&g);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Exit codes of failures                                               */
/* ------------------------------------------------------------------ */

START_TEST(exit_connect)
{
    init_project();
    char url[128];
    snprintf(url, sizeof(url), "postgresql://postgres@127.0.0.1:%d/postgres", pgtest_dead_port());

    static const char *const cmds[][2] = {
        { "current", NULL },
        { "status", NULL },
        { "upgrade", NULL },
        { "downgrade", "base" },
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        pgtest_cli_result r = cmds[i][1] ? run_cli(proj, NULL, "-d", url, cmds[i][0], cmds[i][1])
                                         : run_cli(proj, NULL, "-d", url, cmds[i][0]);
        pgtest_assert_status(r, EXIT_CONNECT, cmds[i][0]);
        ck_assert_msg(r.err[0] != '\0', "%s: nothing on stderr", cmds[i][0]);
        pgtest_cli_result_free(&r);
    }

    /* The environment variable reaches the same place. */
    pgtest_cli_result r = run_cli(proj, url, "current");
    pgtest_assert_status(r, EXIT_CONNECT, "current with DATABASE_URL");
    pgtest_cli_result_free(&r);

    /* With --json a failure leaves stdout empty or JSON, never prose. */
    r = run_cli(proj, url, "status", "--json");
    pgtest_assert_status(r, EXIT_CONNECT, "status --json");
    if (r.out[0] != '\0')
        json_decref(parse_json(r.out, "failed status --json"));
    ck_assert_msg(r.err[0] != '\0', "the error is not on stderr");
    pgtest_cli_result_free(&r);
}
END_TEST

START_TEST(exit_sql_failure)
{
    init_project();
    gen_result a = new_revision("generate", "good");
    fill_revision(a.path, "CREATE TABLE good (id int);\n", "DROP TABLE good;\n");
    gen_result b = new_revision("generate", "bad");
    /* The failing statement is the second line after "-- migrate:up". */
    fill_revision(b.path, "CREATE TABLE bad1 (id int);\nSELECT nonsense FROM nowhere;\n",
                  "DROP TABLE bad1;\n");
    char *text = pgtest_read_file(b.path, NULL);
    int up_line = 1;
    for (const char *p = text; p < strstr(text, "-- migrate:up"); p++)
        up_line += *p == '\n';
    free(text);

    pgtest_cli_result r = run_cli(proj, db, "upgrade");
    pgtest_assert_status(r, EXIT_MIGRATION, "upgrade with a failing revision");
    char where[512];
    const char *base = strrchr(b.path, '/') + 1;
    snprintf(where, sizeof(where), "%s:%d:", base, up_line + 2);
    ck_assert_msg(contains(r.err, where), "stderr lacks '%s':\n%s", where, r.err);
    ck_assert_msg(contains(r.err, b.id), "stderr lacks the revision:\n%s", r.err);
    pgtest_cli_result_free(&r);

    /* Per-migration transactions: the good one stays, the bad one is gone. */
    ck_assert(table_exists("good"));
    ck_assert(!table_exists("bad1"));
    /* the database is at a, and the failed run is what health calls failed */
    r = run_cli(proj, db, "current");
    pgtest_assert_status(r, EXIT_FAILED, "current after the failure");
    ck_assert_msg(count_lines(r.out) == 1 && contains(r.out, a.id), "current:\n%s", r.out);
    ck_assert_msg(contains(r.err, "The last run failed at revision") && contains(r.err, b.id), "%s",
                  r.err);
    pgtest_cli_result_free(&r);

    gen_result_free(&a);
    gen_result_free(&b);
}
END_TEST

START_TEST(exit_lock_held)
{
    init_project();
    write_ini("lock_wait = 100ms\n");
    gen_result a = new_revision("generate", "slow");
    fill_revision(a.path, "SELECT pg_sleep(3);\nCREATE TABLE slow (id int);\n",
                  "DROP TABLE slow;\n");

    bg_pid = spawn_cli(proj, db, "upgrade");

    /* Wait until the background run holds the advisory lock. */
    int held = 0;
    for (int i = 0; i < 200 && !held; i++) {
        char *v = pgtest_query_value(
            db, "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                " WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()");
        held = v && atoi(v) > 0;
        free(v);
        if (!held) {
            struct timespec ts = { 0, 10 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
    }
    ck_assert_msg(held, "the background upgrade never took the lock");

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pgtest_cli_result r = run_cli(proj, db, "upgrade");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pgtest_assert_status(r, EXIT_LOCKED, "upgrade while another holds the lock");
    ck_assert_msg(r.err[0] != '\0', "nothing on stderr");
    pgtest_cli_result_free(&r);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(waited < 2.5, "waited %.1fs for a lock_wait of 100ms", waited);

    int ws = 0;
    ck_assert_int_eq(waitpid(bg_pid, &ws, 0), bg_pid);
    bg_pid = 0;
    ck_assert_msg(pgtest_decode_status(ws) == EXIT_OK, "background upgrade exited %d",
                  pgtest_decode_status(ws));
    ck_assert(table_exists("slow"));
    gen_result_free(&a);
}
END_TEST

START_TEST(exit_config_and_revisions)
{
    init_project();
    pgtest_cli_result r = run_cli(proj, db, "-c", "no-such.ini", "status");
    pgtest_assert_status(r, EXIT_CONFIG, "missing config file");
    ck_assert_msg(contains(r.err, "no-such.ini"), "%s", r.err);
    pgtest_cli_result_free(&r);

    write_ini("lock_wait = abc\n");
    r = run_cli(proj, db, "status");
    pgtest_assert_status(r, EXIT_CONFIG, "bad config value");
    ck_assert_msg(contains(r.err, "ultramigrate.ini:3:"), "%s", r.err);
    pgtest_cli_result_free(&r);
    write_ini(NULL);

    pgtest_write_file(proj, "migrations/versions/bad.sql", "-- no id\n-- migrate:up\nSELECT 1;\n");
    r = run_cli(proj, db, "heads");
    pgtest_assert_status(r, EXIT_REVISIONS, "malformed revision file");
    ck_assert_msg(contains(r.err, "bad.sql"), "%s", r.err);
    pgtest_cli_result_free(&r);
}
END_TEST

/* A statement refused inside a transaction at run time (25001) gets a
 * hint naming the header line to add, or the way out of a DO block. */
START_TEST(hint_transaction_block)
{
    init_project();
    pgtest_write_revision(proj, "r1aaaaaaaaaa", NULL, NULL, 1,
                          "CREATE SUBSCRIPTION um_sub CONNECTION 'dbname=none' PUBLICATION p;",
                          NULL);
    pgtest_cli_result r = run_cli(proj, db, "upgrade", "--no-backup");
    pgtest_assert_status(r, EXIT_MIGRATION, "a refused statement in a transactional revision");
    ck_assert_msg(contains(r.err, "cannot run inside a transaction block") &&
                      contains(r.err, "HINT: ") && contains(r.err, "'-- Transactional: no'") &&
                      contains(r.err, "r1aaaaaaaaaa.sql") && contains(r.err, "SQLSTATE: 25001"),
                  "%s", r.err);
    pgtest_cli_result_free(&r);

    pgtest_write_revision(proj, "r1aaaaaaaaaa", NULL, NULL, 0,
                          "CREATE TABLE t (a int);\n"
                          "DO $$ BEGIN EXECUTE 'CREATE INDEX CONCURRENTLY t_a ON t (a)'; END $$;",
                          NULL);
    r = run_cli(proj, db, "upgrade", "--no-backup");
    pgtest_assert_status(r, EXIT_MIGRATION, "a refused statement in a DO block");
    ck_assert_msg(contains(r.err, "HINT: ") && contains(r.err, "not inside a DO block") &&
                      contains(r.err, "SQLSTATE: 25001"),
                  "%s", r.err);
    pgtest_cli_result_free(&r);
}
END_TEST

/* A "Transactional: no" revision that fails at its second statement: the
 * first message already says what stays done and how to get out (repair),
 * status and the next upgrade refuse with the way out, and the repair that
 * docs/migration_troubleshooting.md describes lets the fixed revision run. */
START_TEST(part_way_failure_and_repair)
{
    init_project();
    pgtest_write_revision(proj, "r1aaaaaaaaaa", NULL, NULL, 0,
                          "CREATE TABLE t (a int);\nCREATE TABLE t (a int);", "DROP TABLE t;");
    pgtest_cli_result r = run_cli(proj, db, "upgrade", "--no-backup");
    pgtest_assert_status(r, EXIT_MIGRATION, "a Transactional: no revision failing part-way");
    ck_assert_msg(contains(r.err, "r1aaaaaaaaaa.sql:9: revision r1aaaaaaaaaa: upgrade failed") &&
                      contains(r.err, "HINT: revision r1aaaaaaaaaa is 'Transactional: no': 1 "
                                      "statement before this one succeeded and stays done") &&
                      contains(r.err, "'ultramigrate repair r1aaaaaaaaaa --applied'") &&
                      contains(r.err, "'ultramigrate repair r1aaaaaaaaaa --rolled-back'"),
                  "%s", r.err);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "status");
    pgtest_assert_status(r, EXIT_FAILED, "status of a half-done revision");
    ck_assert_msg(contains(r.out, "ultramigrate repair r1aaaaaaaaaa --applied"), "%s", r.out);
    pgtest_cli_result_free(&r);
    r = run_cli(proj, db, "upgrade", "--no-backup");
    pgtest_assert_status(r, EXIT_STATE, "upgrade past a half-done revision");
    ck_assert_msg(contains(r.err, "failed part-way") && contains(r.err, "nothing was run") &&
                      contains(r.err, "'ultramigrate repair r1aaaaaaaaaa --rolled-back'"),
                  "%s", r.err);
    pgtest_cli_result_free(&r);

    pgtest_exec(db, "DROP TABLE t");
    r = run_cli(proj, db, "repair", "r1aaaaaaaaaa", "--rolled-back");
    pgtest_assert_status(r, EXIT_OK, "repair --rolled-back");
    pgtest_cli_result_free(&r);
    pgtest_write_revision(proj, "r1aaaaaaaaaa", NULL, NULL, 0,
                          "CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);", "DROP TABLE t;");
    r = run_cli(proj, db, "upgrade", "--no-backup");
    pgtest_assert_status(r, EXIT_OK, "upgrade once repaired and fixed");
    pgtest_cli_result_free(&r);
}
END_TEST

/* health while a "Transactional: no" revision runs (its row in_progress,
 * the run holding the lock): 23, migrating; once the run's backend is
 * killed, the revision left in progress is a failure: 11. */
START_TEST(exit_health_migrating)
{
    init_project();
    pgtest_write_revision(proj, "r1aaaaaaaaaa", NULL, NULL, 0, "SELECT pg_sleep(61);", NULL);
    bg_pid = spawn_cli(proj, db, "upgrade", "--no-backup");
    const char *backend = "0";
    for (double end = pgtest_now_ms() + 20000; strcmp(backend, "0") == 0 && pgtest_now_ms() < end;
         usleep(20000))
        backend =
            pgtest_query_text(db, "SELECT coalesce(max(pid), 0) FROM pg_stat_activity"
                                  " WHERE datname = current_database()"
                                  " AND state = 'active' AND application_name = 'ultramigrate'"
                                  " AND query LIKE '%%pg_sleep(61)%%'"
                                  " AND pid <> pg_backend_pid()");
    ck_assert_msg(strcmp(backend, "0") != 0, "the upgrade never started r1aaaaaaaaaa");

    pgtest_cli_result r = run_cli(proj, db, "health");
    pgtest_assert_status(r, EXIT_MIGRATING, "health while a revision runs");
    ck_assert_msg(contains(r.out, "Status:         migrating\n") &&
                      contains(r.out, "r1aaaaaaaaaa is being applied"),
                  "%s", r.out);
    pgtest_cli_result_free(&r);
    /* status and current agree with health: no repair advised */
    r = run_cli(proj, db, "status");
    pgtest_assert_status(r, EXIT_MIGRATING, "status while a revision runs");
    ck_assert_msg(contains(r.out, "r1aaaaaaaaaa  being applied by a run that holds the migration"
                                  " lock (0 statements done so far)") &&
                      !contains(r.out, "repair"),
                  "%s", r.out);
    pgtest_cli_result_free(&r);
    r = run_cli(proj, db, "current");
    pgtest_assert_status(r, EXIT_MIGRATING, "current while a revision runs");
    ck_assert_msg(contains(r.out, "r1aaaaaaaaaa (being applied: 0 statements done so far)"), "%s",
                  r.out);
    pgtest_cli_result_free(&r);
    r = run_cli(proj, db, "status", "--json");
    pgtest_assert_status(r, EXIT_MIGRATING, "status --json while a revision runs");
    ck_assert_msg(contains(r.out, "\"run_in_progress\": true"), "%s", r.out);
    pgtest_cli_result_free(&r);

    pgtest_execf(db, "SELECT pg_terminate_backend(%s)", backend);
    ck_assert_int_ne(pgtest_wait_child(bg_pid), 0);
    bg_pid = 0;
    r = run_cli(proj, db, "health");
    pgtest_assert_status(r, EXIT_FAILED, "health once the run was killed");
    ck_assert_msg(contains(r.out, "no longer holds the migration lock"), "%s", r.out);
    pgtest_cli_result_free(&r);
    r = run_cli(proj, db, "status");
    pgtest_assert_status(r, EXIT_FAILED, "status once the run was killed");
    ck_assert_msg(contains(r.out, "ultramigrate repair r1aaaaaaaaaa --applied"), "%s", r.out);
    pgtest_cli_result_free(&r);
    r = run_cli(proj, db, "status", "--json");
    pgtest_assert_status(r, EXIT_FAILED, "status --json once the run was killed");
    ck_assert_msg(contains(r.out, "\"run_in_progress\": false"), "%s", r.out);
    pgtest_cli_result_free(&r);
}
END_TEST

/* generate's template, still empty: verify flags it, upgrade warns (and
 * applies it); once filled, neither says anything. */
START_TEST(empty_up_section)
{
    init_project();
    gen_result g = new_revision("generate", "not yet written");
    pgtest_cli_result r = run_cli(proj, db, "verify");
    pgtest_assert_status(r, EXIT_OK, "verify of an empty template");
    ck_assert_msg(contains(r.out, g.id) && contains(r.out, "[empty-up]") &&
                      contains(r.out, "the up section is empty"),
                  "%s", r.out);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "upgrade", "--no-backup");
    pgtest_assert_status(r, EXIT_OK, "upgrade of an empty revision");
    ck_assert_msg(contains(r.err, "warning: ") && contains(r.err, "the up section is empty") &&
                      contains(r.err, g.id) && contains(r.err, "not_yet_written.sql"),
                  "%s", r.err);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "downgrade", "base");
    pgtest_assert_status(r, EXIT_OK, "downgrade base");
    pgtest_cli_result_free(&r);
    fill_revision(g.path, "/* a table */ CREATE TABLE filled (a int);", "DROP TABLE filled;");
    r = run_cli(proj, db, "verify");
    pgtest_assert_status(r, EXIT_OK, "verify once filled");
    ck_assert_msg(!contains(r.out, "empty-up"), "%s", r.out);
    pgtest_cli_result_free(&r);
    r = run_cli(proj, db, "upgrade", "--no-backup");
    pgtest_assert_status(r, EXIT_OK, "upgrade once filled");
    ck_assert_msg(!contains(r.err, "is empty"), "%s", r.err);
    pgtest_cli_result_free(&r);
    gen_result_free(&g);
}
END_TEST

/* `ultramigrate CMD ARG` in the project exits @status, saying @says on stderr. */
static void assert_cli_says(const char *cmd, const char *arg, int status, const char *says)
{
    pgtest_cli_result r = run_cli(proj, db, cmd, arg);
    pgtest_assert_status(r, status, cmd);
    ck_assert_msg(contains(r.err, says), "%s %s: %s", cmd, arg, r.err);
    pgtest_cli_result_free(&r);
}

/* The summaries name the revisions reached, not the words typed. */
START_TEST(summaries_name_revisions)
{
    init_project();
    pgtest_write_revision(proj, "r1aaaaaaaaaa", NULL, NULL, 1, "SELECT 1;", "SELECT 1;");
    pgtest_write_revision(proj, "r2bbbbbbbbbb", "r1aaaaaaaaaa", NULL, 1, "SELECT 1;", "SELECT 1;");
    pgtest_cli_result r = run_cli(proj, db, "upgrade", "--no-backup");
    pgtest_assert_status(r, EXIT_OK, "upgrade");
    ck_assert_msg(contains(r.err, "Upgraded to r2bbbbbbbbbb (2 revisions applied, "), "%s", r.err);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "downgrade", "-1");
    pgtest_assert_status(r, EXIT_OK, "downgrade -1");
    ck_assert_msg(contains(r.err, "Downgraded to r1aaaaaaaaaa (target -1; 1 revision reverted, "),
                  "%s", r.err);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "downgrade", "base");
    pgtest_assert_status(r, EXIT_OK, "downgrade base");
    ck_assert_msg(contains(r.err, "Downgraded to base (1 revision reverted, "), "%s", r.err);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "stamp", "heads");
    pgtest_assert_status(r, EXIT_OK, "stamp heads");
    ck_assert_msg(contains(r.err, "Stamped the database at r2bbbbbbbbbb (no revision was run)"),
                  "%s", r.err);
    ck_assert_msg(!contains(r.err, "to heads"), "%s", r.err);
    pgtest_cli_result_free(&r);

    assert_cli_says("stamp", "r1a", EXIT_OK, "Stamped the database at r1aaaaaaaaaa (target r1a; ");
}
END_TEST

/* Each relative step is refused (exit 5), the database left as it was. */
static void assert_relative_stamps_refused(void)
{
    static const char *const steps[] = { "-1", "+1", "r1-1+1", "head-1", "heads+0" };
    char *before = pgtest_schema_fingerprint(db);

    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        pgtest_cli_result r = run_cli(proj, db, "stamp", steps[i]);
        pgtest_assert_status(r, EXIT_TARGET, steps[i]);
        ck_assert_msg(contains(r.err, "not a relative step") && contains(r.err, steps[i]), "%s",
                      r.err);
        pgtest_cli_result_free(&r);
        char *after = pgtest_schema_fingerprint(db);
        ck_assert_str_eq(after, before);
        free(after);
    }
    free(before);
}

/* stamp takes revisions, not relative steps: Alembic's stamp cannot locate
 * "-1" once the database has a revision (and never "+1" or "REV+1"), so
 * each is refused (exit 5) with the state untouched; an id with "-1" in it
 * is a revision, not a step. */
START_TEST(stamp_refuses_relative_steps)
{
    init_project();
    pgtest_write_revision(proj, "r1-1", NULL, NULL, 1, "SELECT 1;", "SELECT 1;");
    pgtest_write_revision(proj, "r2bbbbbbbbbb", "r1-1", NULL, 1, "SELECT 1;", "SELECT 1;");
    /* a database never migrated (init made the tables): none made for it */
    pgtest_execf(db, "DROP TABLE ultramigrate_version, ultramigrate_version_applied,"
                     " ultramigrate_version_history");
    assert_relative_stamps_refused();
    ck_assert_msg(!pgtest_table_exists(db, "ultramigrate_version"),
                  "a refused stamp made the bookkeeping tables");
    assert_cli_says("upgrade", "--no-backup", EXIT_OK, "Upgraded to r2bbbbbbbbbb");
    assert_relative_stamps_refused();
    assert_cli_says("stamp", "r1-1", EXIT_OK, "Stamped the database at r1-1 (no revision was run)");
}
END_TEST

/* current marks a revision as Alembic's current does: "(head)" for a head
 * no revision depends on, "(effective head)" for one that another branch's
 * revision depends on (it is no head of an upgrade to heads). */
START_TEST(current_marks_effective_heads)
{
    init_project();
    pgtest_write_revision(proj, "aaaa", NULL, NULL, 1, "SELECT 1;", "SELECT 1;");
    pgtest_write_revision(proj, "bbbb", NULL, NULL, 1, "SELECT 1;", "SELECT 1;");
    pgtest_write_revision(proj, "cccc", "aaaa", "bbbb", 1, "SELECT 1;", "SELECT 1;");
    pgtest_cli_result r = run_cli(proj, db, "upgrade", "--no-backup", "bbbb");
    pgtest_assert_status(r, EXIT_OK, "upgrade bbbb");
    pgtest_cli_result_free(&r);
    r = run_cli(proj, db, "current");
    pgtest_assert_status(r, EXIT_OK, "current at bbbb");
    ck_assert_str_eq(r.out, "bbbb (effective head)\n");
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "upgrade", "--no-backup", "heads");
    pgtest_assert_status(r, EXIT_OK, "upgrade heads");
    pgtest_cli_result_free(&r);
    r = run_cli(proj, db, "current");
    pgtest_assert_status(r, EXIT_OK, "current at heads");
    ck_assert_msg(contains(r.out, "bbbb (effective head)\n") && contains(r.out, "cccc (head)\n") &&
                      !contains(r.out, "aaaa"),
                  "%s", r.out);
    pgtest_cli_result_free(&r);
}
END_TEST

/* The column (from the line's start) of @needle in the line of @text that
 * holds @key; -1 when there is no such line. */
static long column_in_line(const char *text, const char *key, const char *needle)
{
    const char *at = strstr(text, key);
    if (!at)
        return -1;
    if (*key == '\n') /* a key that starts a line */
        at++;
    const char *line = at;
    while (line > text && line[-1] != '\n')
        line--;
    const char *end = strchr(at, '\n');
    const char *hit = strstr(line, needle);
    return hit && (!end || hit < end) ? hit - line : -1;
}

/* Ids of different lengths (--rev-id, imported projects) still give
 * columns: status's pending list, history's rows, heads' marks. */
START_TEST(human_output_aligned)
{
    init_project();
    pgtest_write_revision(proj, "a1", NULL, NULL, 1, "SELECT 1;", "SELECT 1;");
    pgtest_write_revision(proj, "b2_a_much_longer_id", "a1", NULL, 1, "SELECT 1;", "SELECT 1;");
    pgtest_write_revision(proj, "c3", "a1", NULL, 1, "SELECT 1;", "SELECT 1;");
    pgtest_cli_result r = run_cli(proj, db, "status");
    pgtest_assert_status(r, EXIT_OK, "status");
    long col = column_in_line(r.out, "\n  a1 ", "Create a1");
    ck_assert_msg(col > 4, "%s", r.out);
    ck_assert_msg(column_in_line(r.out, "\n  b2_a_much_longer_id", "Create b2") == col &&
                      column_in_line(r.out, "\n  c3 ", "Create c3") == col,
                  "pending messages not in one column:\n%s", r.out);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "heads");
    pgtest_assert_status(r, EXIT_OK, "heads");
    col = column_in_line(r.out, "b2_a_much_longer_id", "(head)");
    ck_assert_msg(col > 0 && column_in_line(r.out, "c3 ", "(head)") == col, "%s", r.out);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "upgrade", "--no-backup");
    pgtest_assert_status(r, EXIT_OK, "upgrade");
    pgtest_cli_result_free(&r);
    r = run_cli(proj, db, "history");
    pgtest_assert_status(r, EXIT_OK, "history");
    col = column_in_line(r.out, " a1 ", " ok ");
    ck_assert_msg(col > 0 && column_in_line(r.out, " b2_a_much_longer_id ", " ok ") == col &&
                      column_in_line(r.out, " c3 ", " ok ") == col,
                  "history states not in one column:\n%s", r.out);
    ck_assert_msg(!contains(r.out, " \n") && !contains(r.out, "\033["), "%s", r.out);
    pgtest_cli_result_free(&r);
}
END_TEST

/* Colour on a terminal only, never with NO_COLOR; nothing but text in a
 * pipe. */
START_TEST(colour_on_a_terminal_only)
{
    init_project();
    pgtest_write_revision(proj, "a1", NULL, NULL, 1, "SELECT 1;", "SELECT 1;");
    pgtest_cli_result r = run_cli(proj, db, "upgrade", "--no-backup");
    pgtest_assert_status(r, EXIT_OK, "upgrade");
    pgtest_cli_result_free(&r);

    r = pgtest_run_cli_tty(proj, db, NULL, (const char *const[]){ "history", NULL });
    pgtest_assert_status(r, EXIT_OK, "history on a terminal");
    ck_assert_msg(contains(r.out, "\033[32mok\033[0m"), "no colour on a terminal:\n%s", r.out);
    pgtest_cli_result_free(&r);

    r = pgtest_run_cli_tty(proj, db, (const char *const[]){ "NO_COLOR=1", NULL },
                           (const char *const[]){ "history", NULL });
    pgtest_assert_status(r, EXIT_OK, "history with NO_COLOR");
    ck_assert_msg(contains(r.out, " ok ") && !contains(r.out, "\033["), "%s", r.out);
    pgtest_cli_result_free(&r);

    r = pgtest_run_cli_tty(proj, db, NULL, (const char *const[]){ "upgrade", "nosuch", NULL });
    pgtest_assert_status(r, EXIT_TARGET, "an error on a terminal");
    ck_assert_msg(contains(r.out, "\033[1;31multramigrate: \033[0m"), "%s", r.out);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "upgrade", "nosuch");
    ck_assert_msg(!contains(r.err, "\033["), "%s", r.err);
    pgtest_cli_result_free(&r);
}
END_TEST

/* A run that lasts more than a second shows "[i/n] REVISION  s" on a
 * terminal, wiped before anything else is printed; never with -q, never
 * in a pipe. */
START_TEST(progress_line_on_a_terminal)
{
    init_project();
    pgtest_write_revision(proj, "slow1", NULL, NULL, 1, "SELECT pg_sleep(1.6);", "SELECT 1;");
    pgtest_write_revision(proj, "fast2", "slow1", NULL, 1, "SELECT 1;", "SELECT 1;");
    pgtest_cli_result r =
        pgtest_run_cli_tty(proj, db, NULL, (const char *const[]){ "upgrade", "--no-backup", NULL });
    pgtest_assert_status(r, EXIT_OK, "upgrade on a terminal");
    const char *line = strstr(r.out, "[1/2] slow1  1.");
    ck_assert_msg(line != NULL, "no progress line:\n%s", r.out);
    /* wiped before the next line of text */
    ck_assert_msg(strstr(line, "\r\033[Kapplied slow1") != NULL, "%s", r.out);
    ck_assert_msg(contains(r.out, "Upgraded to fast2"), "%s", r.out);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "downgrade", "base");
    pgtest_assert_status(r, EXIT_OK, "downgrade");
    pgtest_cli_result_free(&r);
    r = pgtest_run_cli_tty(proj, db, NULL,
                           (const char *const[]){ "-q", "upgrade", "--no-backup", NULL });
    pgtest_assert_status(r, EXIT_OK, "upgrade -q on a terminal");
    ck_assert_msg(!contains(r.out, "[1/2]"), "%s", r.out);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "downgrade", "base");
    pgtest_cli_result_free(&r);
    r = run_cli(proj, db, "upgrade", "--no-backup");
    pgtest_assert_status(r, EXIT_OK, "upgrade in a pipe");
    ck_assert_msg(!contains(r.err, "[1/2]") && !contains(r.err, "\033["), "%s", r.err);
    pgtest_cli_result_free(&r);
}
END_TEST

/* Whether @what in @out starts a line of its own: after a newline, or
 * after the sequence that wiped a progress line. */
static int starts_a_line(const char *out, const char *what)
{
    const char *at = strstr(out, what);
    return at &&
           (at == out || at[-1] == '\n' || (at - out >= 3 && strncmp(at - 3, "\033[K", 3) == 0));
}

/* backup's progress line goes through progress_line.c: wiped before the
 * next text (it used to run into it: "dumping 0.0 MB 0.0 sbackup
 * written..."), never with TERM=dumb. */
START_TEST(backup_progress_on_a_terminal)
{
    init_project();
    pgtest_write_table_revision(proj, "r1", NULL, "t1");
    pgtest_cli_result r = run_cli(proj, db, "upgrade", "--no-backup");
    pgtest_assert_status(r, EXIT_OK, "upgrade");
    pgtest_cli_result_free(&r);

    r = pgtest_run_cli_tty(proj, db, NULL, (const char *const[]){ "backup", NULL });
    pgtest_assert_status(r, EXIT_OK, "backup on a terminal");
    ck_assert_msg(contains(r.out, "dumping ") && starts_a_line(r.out, "backup written: "), "%s",
                  r.out);
    pgtest_cli_result_free(&r);

    r = pgtest_run_cli_tty(proj, db, (const char *const[]){ "TERM=dumb", NULL },
                           (const char *const[]){ "backup", NULL });
    pgtest_assert_status(r, EXIT_OK, "backup, TERM=dumb");
    ck_assert_msg(!contains(r.out, "dumping ") && !contains(r.out, "\033[") &&
                      starts_a_line(r.out, "backup written: "),
                  "%s", r.out);
    pgtest_cli_result_free(&r);
}
END_TEST

/* Outside a project every command that reads the revisions says so, with
 * the way out, and exits 3 (health too: a probe of no project). */
START_TEST(exit_no_project)
{
    static const char *const cmds[] = { "status", "heads", "upgrade", "health" };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        pgtest_cli_result r = run_cli(proj, db, cmds[i]);
        pgtest_assert_status(r, EXIT_CONFIG, cmds[i]);
        ck_assert_msg(contains(r.err, "no project found in the current directory") &&
                          contains(r.err, "no configuration file was read") &&
                          contains(r.err, "ultramigrate init") && contains(r.err, "-c FILE"),
                      "%s: %s", cmds[i], r.err);
        ck_assert_msg(!contains(r.err, "cannot open directory"), "%s", r.err);
        pgtest_cli_result_free(&r);
    }
    pgtest_cli_result r = run_cli(proj, db, "generate", "first");
    pgtest_assert_status(r, EXIT_CONFIG, "generate outside a project");
    pgtest_cli_result_free(&r);

    /* a configuration file read, pointing nowhere: named */
    pgtest_write_file(proj, "other.ini", "[ultramigrate]\nscript_location = %(here)s/db\n");
    r = run_cli(proj, db, "-c", "other.ini", "status");
    pgtest_assert_status(r, EXIT_CONFIG, "script_location missing");
    ck_assert_msg(contains(r.err, "db/versions does not exist") && contains(r.err, "other.ini") &&
                      contains(r.err, "ultramigrate init"),
                  "%s", r.err);
    pgtest_cli_result_free(&r);
}
END_TEST

START_TEST(exit_target_and_state)
{
    init_project();
    gen_result a = new_revision("generate", "only");
    pgtest_cli_result r = run_cli(proj, db, "upgrade", "nosuchrev");
    pgtest_assert_status(r, EXIT_TARGET, "unknown target");
    ck_assert_msg(contains(r.err, "nosuchrev"), "%s", r.err);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "upgrade");
    pgtest_assert_status(r, EXIT_OK, "upgrade");
    pgtest_cli_result_free(&r);

    /* The database is ahead of the files. */
    ck_assert_int_eq(unlink(a.path), 0);
    r = run_cli(proj, db, "upgrade");
    pgtest_assert_status(r, EXIT_STATE, "database ahead of the files");
    ck_assert_msg(contains(r.err, a.id), "%s", r.err);
    pgtest_cli_result_free(&r);
    gen_result_free(&a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Passwords                                                            */
/* ------------------------------------------------------------------ */

static void assert_no_password(const char *url, const char *secret, const char *cmd)
{
    pgtest_cli_result r = run_cli(proj, NULL, "-d", url, cmd);
    ck_assert_msg(r.status != EXIT_OK, "%s succeeded against %s", cmd, url);
    ck_assert_msg(!contains(r.out, secret), "%s: stdout shows the password:\n%s", cmd, r.out);
    ck_assert_msg(!contains(r.err, secret), "%s: stderr shows the password:\n%s", cmd, r.err);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, NULL, "-v", "--json", "-d", url, cmd);
    ck_assert_msg(!contains(r.out, secret), "%s -v --json: stdout shows the password:\n%s", cmd,
                  r.out);
    ck_assert_msg(!contains(r.err, secret), "%s -v --json: stderr shows the password:\n%s", cmd,
                  r.err);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, url, cmd);
    ck_assert_msg(!contains(r.out, secret) && !contains(r.err, secret),
                  "%s with DATABASE_URL shows the password:\n%s\n%s", cmd, r.out, r.err);
    pgtest_cli_result_free(&r);
}

START_TEST(no_password_in_output)
{
    init_project();
    static const char *const cmds[] = { "current", "status", "upgrade", "history" };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        assert_no_password("postgresql://u:S3cretPW@127.0.0.1:1/db", "S3cretPW", cmds[i]);

    pgtest_cli_result r =
        run_cli(proj, NULL, "-d", "postgresql://u:S3cretPW@127.0.0.1:1/db", "current");
    pgtest_assert_status(r, EXIT_CONNECT, "current on port 1");
    pgtest_cli_result_free(&r);
}
END_TEST

START_TEST(no_password_in_output_bad_urls)
{
    init_project();
    assert_no_password("mysql://u:MyS3cretPW@127.0.0.1/db", "MyS3cretPW", "current");
    assert_no_password("postgresql://u:Br0kenPW@[bad", "Br0kenPW", "current");
}
END_TEST

/* ------------------------------------------------------------------ */
/* lint                                                                 */
/* ------------------------------------------------------------------ */

/* A project whose configuration sets lock_timeout (so that
 * missing-lock-timeout stays out) with revision @id: its up section
 * starts on line 8 of migrations/versions/@id.sql. */
static void lint_project(const char *id, const char *parents, const char *up)
{
    init_project();
    write_ini("lock_timeout = 5s\n");
    pgtest_write_revision(proj, id, parents, NULL, 1, up, "SELECT 1;");
}

/* Runs "lint [@file]": its exit status and whole stdout must be @status
 * and @out, its stderr the count line @summary. */
static void assert_lint(const char *file, int status, const char *out, const char *summary)
{
    const char *what = file ? file : "(pending)";
    pgtest_cli_result r = file ? run_cli(proj, db, "lint", file) : run_cli(proj, db, "lint");
    pgtest_assert_status(r, status, what);
    ck_assert_msg(strcmp(r.out, out) == 0, "lint %s:\n%s\nexpected:\n%s", what, r.out, out);
    ck_assert_str_eq(r.err, summary);
    pgtest_cli_result_free(&r);
}

/* lint_on_upgrade: "error" refuses an upgrade whose revisions lint finds
 * errors in, before anything runs; "warn" (the default) applies and logs. */
START_TEST(lint_on_upgrade_error_and_warn)
{
    lint_project("r1", NULL, "CREATE TABLE kept (id bigint);\nDROP TABLE IF EXISTS users;");
    write_ini("lock_timeout = 5s\nlint_on_upgrade = error\n");
    pgtest_cli_result r = run_cli(proj, db, "upgrade");
    pgtest_assert_status(r, EXIT_LINT_ERRORS, "upgrade, lint_on_upgrade = error");
    /* the severity once, as the CLI prefixes a logged error */
    ck_assert_msg(strstr(r.err, "error: ") && strstr(r.err, "r1.sql:9:1: DROP TABLE") &&
                      !strstr(r.err, "r1.sql:9:1: error: ") && strstr(r.err, "[drop-table]") &&
                      strstr(r.err, "lint found 1 error in the revisions to apply"),
                  "stderr:\n%s", r.err);
    pgtest_cli_result_free(&r);
    ck_assert(!pgtest_table_exists(db, "ultramigrate_version_applied") ||
              pgtest_query_long(db, "SELECT count(*) FROM ultramigrate_version_applied") == 0);

    write_ini("lock_timeout = 5s\n");
    r = run_cli(proj, db, "upgrade");
    pgtest_assert_status(r, EXIT_OK, "upgrade, lint_on_upgrade = warn");
    ck_assert_msg(strstr(r.err, "[drop-table]") != NULL, "stderr:\n%s", r.err);
    pgtest_cli_result_free(&r);
}
END_TEST

START_TEST(lint_error_in_a_file)
{
    lint_project("r1", NULL, "CREATE TABLE kept (id bigint);\n  DROP TABLE users;");
    assert_lint("migrations/versions/r1.sql", EXIT_LINT_ERRORS,
                "migrations/versions/r1.sql:9:3: error: DROP TABLE users deletes the "
                "table and every row in it, and breaks running code that still uses "
                "it; remove its use from the code first, back it up, then drop it in "
                "a later revision [drop-table]\n",
                "1 error, 0 warnings\n");

    pgtest_cli_result r = run_cli(proj, db, "-q", "lint", "migrations/versions/r1.sql");
    pgtest_assert_status(r, EXIT_LINT_ERRORS, "lint -q");
    ck_assert_int_eq(count_lines(r.out), 1);
    ck_assert_str_eq(r.err, "");
    pgtest_cli_result_free(&r);
}
END_TEST

START_TEST(lint_warnings_only_and_clean)
{
    lint_project("r1", NULL, "CREATE INDEX accounts_email ON accounts (email);");
    pgtest_write_file(proj, "clean.sql",
                      "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY);\n"
                      "CREATE INDEX t_id ON t (id);\n");
    assert_lint("migrations/versions/r1.sql", EXIT_LINT_WARNINGS,
                "migrations/versions/r1.sql:8:1: warning: CREATE INDEX on accounts "
                "blocks writes to it until the index is built; use CREATE INDEX "
                "CONCURRENTLY in a revision with 'Transactional: no' "
                "[create-index-not-concurrently]\n",
                "0 errors, 1 warning\n");
    assert_lint("clean.sql", EXIT_OK, "", "0 errors, 0 warnings\n");
}
END_TEST

START_TEST(lint_json)
{
    lint_project("r1", NULL, "DROP TABLE users;\nCREATE INDEX i ON accounts (email);");
    pgtest_cli_result r = run_cli(proj, db, "lint", "--json", "migrations/versions/r1.sql");
    pgtest_assert_status(r, EXIT_LINT_ERRORS, "lint --json");
    json_t *doc = parse_json(r.out, "lint --json");
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "errors")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "warnings")), 1);
    json_t *findings = json_object_get(doc, "findings");
    ck_assert_int_eq(json_array_size(findings), 2);
    json_t *f = json_array_get(findings, 0);
    ck_assert_str_eq(json_string_value(json_object_get(f, "rule")), "drop-table");
    ck_assert_str_eq(json_string_value(json_object_get(f, "severity")), "error");
    ck_assert_str_eq(json_string_value(json_object_get(f, "file")), "migrations/versions/r1.sql");
    ck_assert_str_eq(json_string_value(json_object_get(f, "revision")), "r1");
    ck_assert_int_eq(json_integer_value(json_object_get(f, "line")), 8);
    ck_assert_int_eq(json_integer_value(json_object_get(f, "column")), 1);
    f = json_array_get(findings, 1);
    ck_assert_str_eq(json_string_value(json_object_get(f, "rule")),
                     "create-index-not-concurrently");
    ck_assert_int_eq(json_integer_value(json_object_get(f, "line")), 9);
    json_decref(doc);
    pgtest_cli_result_free(&r);
}
END_TEST

START_TEST(lint_pending_revisions_only)
{
    lint_project("r1", NULL, "CREATE INDEX accounts_email ON accounts (email);");
    pgtest_write_revision(proj, "r2", "r1", NULL, 1, "DROP TABLE old_stuff;", "SELECT 1;");
    pgtest_execf(db, "CREATE TABLE accounts (email text); CREATE TABLE old_stuff (id int)");
    pgtest_cli_result r = run_cli(proj, db, "lint");
    pgtest_assert_status(r, EXIT_LINT_ERRORS, "lint of two pending revisions");
    ck_assert_int_eq(count_lines(r.out), 2);
    ck_assert_msg(contains(r.out, "r1.sql:8:1: warning: ") &&
                      contains(r.out, "r2.sql:8:1: error: "),
                  "%s", r.out);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "upgrade", "r1");
    pgtest_assert_status(r, EXIT_OK, "upgrade r1");
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "lint");
    pgtest_assert_status(r, EXIT_LINT_ERRORS, "lint once r1 is applied");
    ck_assert_int_eq(count_lines(r.out), 1);
    ck_assert_msg(contains(r.out, "/migrations/versions/r2.sql:8:1: error: DROP TABLE old_stuff "),
                  "%s", r.out);
    ck_assert_msg(!contains(r.out, "r1.sql"), "%s", r.out);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "lint", "--all");
    pgtest_assert_status(r, EXIT_LINT_ERRORS, "lint --all");
    ck_assert_int_eq(count_lines(r.out), 2);
    ck_assert_msg(contains(r.out, "r1.sql:8:1: warning: "), "%s", r.out);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "upgrade");
    pgtest_assert_status(r, EXIT_OK, "upgrade");
    pgtest_cli_result_free(&r);
    assert_lint(NULL, EXIT_OK, "", "0 errors, 0 warnings\n");
}
END_TEST

START_TEST(lint_missing_file_and_usage)
{
    lint_project("r1", NULL, "SELECT 1;");
    pgtest_cli_result r = run_cli(proj, db, "lint", "migrations/versions/r1.sql", "no-such.sql");
    pgtest_assert_status(r, EXIT_ERROR, "lint of a missing file");
    ck_assert_str_eq(r.out, "");
    ck_assert_msg(contains(r.err, "no-such.sql: cannot read: No such file or directory"), "%s",
                  r.err);
    pgtest_cli_result_free(&r);

    r = run_cli(proj, db, "lint", "--all", "migrations/versions/r1.sql");
    pgtest_assert_status(r, EXIT_USAGE, "lint --all FILE");
    ck_assert_msg(contains(r.err, "--all"), "%s", r.err);
    pgtest_cli_result_free(&r);
}
END_TEST

/* generate lints what it writes (lint_on_upgrade): warn prints the
 * findings on stderr; error also exits 17, with the file written; off is
 * silent; --json carries the lint document. */
START_TEST(generate_lints_what_it_writes)
{
    init_project();
    pgtest_write_file(proj, "migrations/script.sql.tmpl",
                      "-- ${message}\n-- Revision ID: ${rev_id}\n-- Revises: ${parents}\n\n"
                      "-- migrate:up\nTRUNCATE audit;\n\n-- migrate:down\nSELECT 1;\n");
    write_ini("lock_timeout = 5s\n");
    pgtest_cli_result r = run_cli(proj, db, "generate", "first");
    pgtest_assert_status(r, EXIT_OK, "generate, lint_on_upgrade = warn");
    ck_assert_msg(contains(r.out, "Generating ") && contains(r.err, "_first.sql:6:1: error: ") &&
                      contains(r.err, "[truncate]\n"),
                  "out:\n%s\nerr:\n%s", r.out, r.err);
    pgtest_cli_result_free(&r);

    write_ini("lock_timeout = 5s\nlint_on_upgrade = error\n");
    r = run_cli(proj, db, "generate", "second");
    pgtest_assert_status(r, EXIT_LINT_ERRORS, "generate, lint_on_upgrade = error");
    ck_assert_msg(contains(r.err, "_second.sql:6:1: error: ") &&
                      contains(r.err, "lint found 1 error in the new revision"),
                  "err:\n%s", r.err);
    pgtest_cli_result_free(&r);
    char *files = list_versions();
    ck_assert_msg(contains(files, "_second.sql"), "the file is written:\n%s", files);
    free(files);

    r = run_cli(proj, db, "--json", "generate", "third");
    pgtest_assert_status(r, EXIT_LINT_ERRORS, "generate --json, lint_on_upgrade = error");
    json_t *doc = parse_json(r.out, "generate --json");
    json_t *lint = json_object_get(doc, "lint");
    ck_assert_int_eq(json_integer_value(json_object_get(lint, "errors")), 1);
    json_t *f = json_array_get(json_object_get(lint, "findings"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(f, "rule")), "truncate");
    ck_assert_int_eq(json_integer_value(json_object_get(f, "line")), 6);
    json_decref(doc);
    pgtest_cli_result_free(&r);

    write_ini("lock_timeout = 5s\nlint_on_upgrade = off\n");
    r = run_cli(proj, db, "generate", "fourth");
    pgtest_assert_status(r, EXIT_OK, "generate, lint_on_upgrade = off");
    ck_assert_str_eq(r.err, "");
    pgtest_cli_result_free(&r);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");

    TCase *help = pgtest_add_tcase(s, "help", setup, teardown, 0);
    tcase_add_test(help, help_global);
    tcase_add_loop_test(help, help_command, 0, N_COMMANDS);
    tcase_add_test(help, usage_errors);

    PGTEST_ADD_TESTS(pgtest_add_tcase(s, "files", setup, teardown, 0),
                     init_creates_and_is_idempotent, init_follows_existing_config,
                     generate_writes_header, name_selects_a_section, generate_slug_transliterates,
                     version_names_libpq_and_server);

    PGTEST_ADD_TESTS(pgtest_add_tcase(s, "graph", setup, teardown, 30), branch_and_merge,
                     merge_default_message_and_rev_id, merge_refuses_non_heads_and_twice,
                     json_outputs, base_plus_n_targets, alembic_versions_directory);

    PGTEST_ADD_TESTS(pgtest_add_tcase(s, "exit_codes", setup, teardown, 30), exit_connect,
                     exit_sql_failure, exit_lock_held, exit_config_and_revisions,
                     exit_target_and_state, exit_no_project, summaries_name_revisions,
                     stamp_refuses_relative_steps, current_marks_effective_heads,
                     hint_transaction_block, empty_up_section, part_way_failure_and_repair,
                     exit_health_migrating);

    PGTEST_ADD_TESTS(pgtest_add_tcase(s, "terminal", setup, teardown, 60), human_output_aligned,
                     colour_on_a_terminal_only, progress_line_on_a_terminal,
                     backup_progress_on_a_terminal);

    PGTEST_ADD_TESTS(pgtest_add_tcase(s, "lint", setup, teardown, 30), lint_error_in_a_file,
                     lint_warnings_only_and_clean, lint_json, lint_pending_revisions_only,
                     lint_missing_file_and_usage, lint_on_upgrade_error_and_warn,
                     generate_lints_what_it_writes);

    PGTEST_ADD_TESTS(pgtest_add_tcase(s, "passwords", setup, teardown, 60), no_password_in_output,
                     no_password_in_output_bad_urls);
    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(cli_suite());
}
