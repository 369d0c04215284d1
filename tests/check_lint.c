/*
 * check_lint.c - the lint module: the corpus in tests/lint/, suppressions,
 * severities from the configuration, positions, and the public API.
 *
 * The corpus: one revision file per case (or a directory of them, linted
 * together in name order as one run).  A case states what it expects in
 * comment lines, "-- expect: RULE LINE:COL", and nothing else may be
 * found; "-- lint-config: no-lock-timeout" lints it without the engine's
 * lock_timeout (every other case has one, so that missing-lock-timeout
 * only shows where it is tested).  Every rule has a case named after it
 * that triggers it and a near miss named RULE-ok*.
 */
#include "pgtest.h"

#include "config.h"
#include "internal.h"
#include "lint.h"
#include "lint_rules.h"
#include "strbuf.h"

#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <pg_query.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_CASES 256
#define MAX_LINES 64

static char *cases[MAX_CASES]; /* corpus entries: file or directory names */
static int n_cases;

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

static char corpus[PATH_MAX];

/* Set in main(), outside any test: Check's asserts only work inside one. */
static const char *corpus_dir(void)
{
    return corpus;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted "*.sql" names (and directories, @with_dirs) in @dir; returns
 * the count, -1 when @dir cannot be read.  No Check asserts: main() uses it. */
static int list_sql(const char *dir, char **out, int max, bool with_dirs)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    if (!d)
        return -1;
    while ((de = readdir(d)) && n < max) {
        size_t len = strlen(de->d_name);
        char path[PATH_MAX];
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        bool is_dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
        if ((is_dir && with_dirs) || (len > 4 && strcmp(de->d_name + len - 4, ".sql") == 0))
            out[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(out, (size_t)n, sizeof(*out), cmp_str);
    return n;
}

static void free_strings(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
}

/* "path|rule L:C" for each finding, sorted (free_strings). */
static int finding_keys(const um_lint_result *r, char **out, int max)
{
    int n = 0;
    for (size_t i = 0; i < um_lint_count(r) && n < max; i++) {
        const um_lint_finding *f = um_lint_at(r, i);
        out[n++] = pgtest_asprintf("%s|%s %d:%d", f->file, f->rule, f->line, f->column);
    }
    qsort(out, (size_t)n, sizeof(*out), cmp_str);
    return n;
}

/* The expectations of file @path, as finding_keys() writes them. */
static int expected_keys(const char *path, char **out, int max, bool *no_lock_timeout)
{
    char *text = pgtest_read_file(path, NULL);
    int n = 0;
    ck_assert_msg(text != NULL, "cannot read %s", path);
    for (char *line = strtok(text, "\n"); line && n < max; line = strtok(NULL, "\n")) {
        if (strncmp(line, "-- expect: ", 11) == 0)
            out[n++] = pgtest_asprintf("%s|%s", path, line + 11);
        if (strcmp(line, "-- lint-config: no-lock-timeout") == 0)
            *no_lock_timeout = true;
    }
    free(text);
    return n;
}

static char *join(char **v, int n)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(v[i]) + 3;
    char *s = calloc(1, len);
    for (int i = 0; i < n; i++) {
        strcat(s, "  ");
        strcat(s, v[i]);
        strcat(s, "\n");
    }
    return s;
}

/* Lints @paths as one run with @cfg; the test fails on an error. */
static um_lint_result *lint_paths(const config_settings *cfg, char **paths, int n)
{
    err_buf err = { 0 };
    lint_run *run = NULL;
    um_lint_result *r = NULL;
    ck_assert_int_eq(lint_run_new(&run, cfg, &err), UM_OK);
    for (int i = 0; i < n; i++)
        ck_assert_msg(lint_file(run, paths[i], &err) == UM_OK, "%s", err.d.message);
    ck_assert_int_eq(lint_run_result(run, &r, &err), UM_OK);
    lint_run_free(run);
    err_clear(&err);
    return r;
}

static config_settings with_lock_timeout(void)
{
    config_settings cfg = { 0 };
    cfg.lock_timeout_ms = 5000;
    return cfg;
}

/* Lints @text (a revision file's content) alone, with @cfg (NULL: the
 * defaults and a lock_timeout, so that missing-lock-timeout stays out). */
static um_lint_result *lint_string(const config_settings *cfg, const char *text)
{
    config_settings defaults = with_lock_timeout();
    err_buf err = { 0 };
    lint_run *run = NULL;
    um_lint_result *r = NULL;
    ck_assert_int_eq(lint_run_new(&run, cfg ? cfg : &defaults, &err), UM_OK);
    ck_assert_msg(lint_text(run, "test.sql", text, strlen(text), &err) == UM_OK, "%s",
                  err.d.message);
    ck_assert_int_eq(lint_run_result(run, &r, &err), UM_OK);
    lint_run_free(run);
    err_clear(&err);
    return r;
}

/* A revision file around @up (transactional, with a down section): the
 * SQL starts on line 6. */
static const char *revision(const char *up)
{
    return pgtest_fmt("-- test\n-- Revision ID: t1\n-- Revises:\n\n-- migrate:up\n%s\n"
                      "-- migrate:down\nSELECT 1;\n",
                      up);
}

/* The findings of @r as "rule L:C" lines, in order (pooled). */
static const char *summary(const um_lint_result *r)
{
    char *s = strdup("");
    for (size_t i = 0; i < um_lint_count(r); i++) {
        const um_lint_finding *f = um_lint_at(r, i);
        char *next = pgtest_asprintf("%s%s %d:%d %s\n", s, f->rule, f->line, f->column,
                                     f->severity == UM_LINT_ERROR ? "error" : "warning");
        free(s);
        s = next;
    }
    return pgtest_keep(s);
}

#define ASSERT_FINDINGS(r, want)                                                                   \
    do {                                                                                           \
        const char *got_ = summary(r);                                                             \
        ck_assert_msg(strcmp(got_, (want)) == 0, "findings:\n%s\nexpected:\n%s", got_, (want));    \
    } while (0)

static void teardown(void)
{
    pgtest_pool_free();
}

/* ------------------------------------------------------------------ */
/* The corpus                                                           */
/* ------------------------------------------------------------------ */

START_TEST(test_corpus_case)
{
    const char *path = pgtest_fmt("%s/%s", corpus_dir(), cases[_i]);
    char *files[16], *want[MAX_LINES], *got[MAX_LINES];
    int n_files = 1, n_want = 0;
    bool no_lock_timeout = false;
    struct stat st;

    ck_assert_int_eq(stat(path, &st), 0);
    if (S_ISDIR(st.st_mode)) {
        n_files = list_sql(path, files, 16, false);
        ck_assert_int_gt(n_files, 0);
        for (int i = 0; i < n_files; i++) {
            char *full = pgtest_asprintf("%s/%s", path, files[i]);
            free(files[i]);
            files[i] = full;
        }
    } else {
        files[0] = strdup(path);
    }
    for (int i = 0; i < n_files; i++)
        n_want += expected_keys(files[i], want + n_want, MAX_LINES - n_want, &no_lock_timeout);
    qsort(want, (size_t)n_want, sizeof(*want), cmp_str);

    config_settings cfg = with_lock_timeout();
    if (no_lock_timeout)
        cfg.lock_timeout_ms = 0;
    um_lint_result *r = lint_paths(&cfg, files, n_files);
    int n_got = finding_keys(r, got, MAX_LINES);
    bool same = n_got == n_want;
    for (int i = 0; same && i < n_got; i++)
        same = strcmp(got[i], want[i]) == 0;
    char *g = join(got, n_got), *w = join(want, n_want);
    ck_assert_msg(same, "%s: found\n%sexpected\n%s", cases[_i], g, w);
    free(g);
    free(w);
    free_strings(got, n_got);
    free_strings(want, n_want);
    free_strings(files, n_files);
    um_lint_free(r);
}
END_TEST

/* The corpus entry names starting with @rule, in *trigger or *near_miss. */
static void rule_cases(const char *rule, bool *trigger, bool *near_miss)
{
    size_t n = strlen(rule);
    *trigger = *near_miss = false;
    for (int i = 0; i < n_cases; i++) {
        const char *c = cases[i];
        if (strncmp(c, rule, n) != 0 || (c[n] != '.' && c[n] != '-'))
            continue;
        if (strncmp(c + n, "-ok", 3) == 0)
            *near_miss = true;
        else
            *trigger = true;
    }
}

START_TEST(test_corpus_covers_every_rule)
{
    for (int r = 0; r < LINT_N_RULES; r++) {
        bool trigger, near_miss;
        rule_cases(lint_rule_id((lint_rule)r), &trigger, &near_miss);
        ck_assert_msg(trigger, "no corpus case named %s[-*].sql", lint_rule_id((lint_rule)r));
        ck_assert_msg(near_miss, "no near miss named %s-ok*", lint_rule_id((lint_rule)r));
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Positions                                                            */
/* ------------------------------------------------------------------ */

START_TEST(test_position_after_multiline_dollar_body)
{
    um_lint_result *r =
        lint_string(NULL, revision("CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $fn$\n"
                                   "BEGIN\n"
                                   "  -- DROP TABLE inside; a comment\n"
                                   "  RETURN 1; /* ; */\n"
                                   "END $fn$;\n"
                                   "/* a\n   comment */ -- another\n"
                                   "   TRUNCATE audit;"));
    ASSERT_FINDINGS(r, "truncate 13:4 error\n");
    um_lint_free(r);
}
END_TEST

START_TEST(test_column_counts_characters)
{
    /* "é" is two bytes, "€" three, "𝄞" four: the column counts each once. */
    um_lint_result *r = lint_string(NULL, revision("SELECT 'é€𝄞' AS x; DELETE FROM sessions;"));
    ASSERT_FINDINGS(r, "delete-without-where 6:20 error\n");
    um_lint_free(r);
}
END_TEST

START_TEST(test_syntax_error_is_a_finding)
{
    um_lint_result *r = lint_string(NULL, revision("SELECT 'ü';\nALTER TABLE t ADD COLUM x int;\n"
                                                   "UPDATE t SET x = 1;"));
    /* "ADD COLUM x" reads as a column COLUM of type x: "int" is wrong. */
    ASSERT_FINDINGS(r, "syntax-error 7:27 error\nupdate-without-where 8:1 error\n");
    ck_assert_ptr_nonnull(strstr(um_lint_at(r, 0)->message, "\"int\""));
    um_lint_free(r);
}
END_TEST

START_TEST(test_syntax_error_after_non_ascii)
{
    /* libpg_query counts the error position in characters. */
    um_lint_result *r = lint_string(NULL, revision("SELECT 'ééé' FROM FROM;"));
    ASSERT_FINDINGS(r, "syntax-error 6:19 error\n");
    um_lint_free(r);
}
END_TEST

START_TEST(test_unterminated_dollar_quote)
{
    um_lint_result *r = lint_string(NULL, revision("DROP TABLE a;\nSELECT $x$ never closed;"));
    ASSERT_FINDINGS(r, "drop-table 6:1 error\nsyntax-error 7:8 error\n");
    um_lint_free(r);
}
END_TEST

/* An unterminated comment after the last statement: a syntax error at its
 * line, not nothing (the section's tail was taken for comments only). */
START_TEST(test_unterminated_comment)
{
    um_lint_result *r = lint_string(NULL, revision("SELECT 1;\n/* open\n"));
    ASSERT_FINDINGS(r, "syntax-error 7:1 error\n");
    ck_assert_ptr_nonnull(strstr(um_lint_at(r, 0)->message, "unterminated /* comment"));
    um_lint_free(r);
    r = lint_string(NULL, revision("SELECT 1;\n  /* one /* nested */\nSELECT 2;\n"));
    ASSERT_FINDINGS(r, "syntax-error 7:3 error\n");
    um_lint_free(r);
}
END_TEST

START_TEST(test_crlf_and_bom)
{
    const char *text = "\xEF\xBB\xBF-- crlf\r\n-- Revision ID: t1\r\n\r\n-- migrate:up\r\n"
                       "SELECT 1;\r\n  TRUNCATE t;\r\n-- migrate:down\r\nSELECT 1;\r\n";
    um_lint_result *r = lint_string(NULL, text);
    ASSERT_FINDINGS(r, "truncate 6:3 error\n");
    um_lint_free(r);
}
END_TEST

START_TEST(test_findings_in_position_order)
{
    config_settings no_timeout = { 0 };
    um_lint_result *r = lint_string(
        &no_timeout, revision("ALTER TABLE users ADD COLUMN plan text NOT NULL, ADD COLUMN "
                              "at timestamp;\nTRUNCATE t;"));
    ASSERT_FINDINGS(r, "missing-lock-timeout 6:1 warning\nadd-column-not-null 6:30 warning\n"
                       "timestamp-without-time-zone 6:64 warning\ntruncate 7:1 error\n");
    um_lint_free(r);
}
END_TEST

START_TEST(test_plain_sql_file)
{
    um_lint_result *r = lint_string(NULL, "-- not a revision\nDROP TABLE t;\n");
    ASSERT_FINDINGS(r, "drop-table 2:1 error\n");
    ck_assert_ptr_null(um_lint_at(r, 0)->revision);
    um_lint_free(r);
}
END_TEST

START_TEST(test_malformed_revision_is_an_error)
{
    err_buf err = { 0 };
    lint_run *run = NULL;
    const char *text = "-- x\n-- Revision ID: bad id!\n-- migrate:up\nSELECT 1;\n";
    ck_assert_int_eq(lint_run_new(&run, NULL, &err), UM_OK);
    ck_assert_int_eq(lint_text(run, "bad.sql", text, strlen(text), &err), UM_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.d.message, "bad.sql:2"));
    lint_run_free(run);
    err_clear(&err);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Suppressions                                                         */
/* ------------------------------------------------------------------ */

START_TEST(test_ignore_applies_to_the_next_statement_only)
{
    um_lint_result *r = lint_string(NULL, revision("-- ultramigrate:lint-ignore truncate emptied "
                                                   "nightly anyway\n"
                                                   "TRUNCATE cache;\n"
                                                   "TRUNCATE audit;"));
    ASSERT_FINDINGS(r, "truncate 8:1 error\n");
    um_lint_free(r);
}
END_TEST

START_TEST(test_ignore_in_header_covers_the_file)
{
    um_lint_result *r = lint_string(
        NULL, "-- x\n-- Revision ID: t1\n-- ultramigrate:lint-ignore truncate,missing-down "
              "one-off cleanup\n-- migrate:up\nTRUNCATE a;\nTRUNCATE b;\n");
    ASSERT_FINDINGS(r, "");
    um_lint_free(r);
}
END_TEST

START_TEST(test_ignore_missing_down_below_the_marker)
{
    um_lint_result *r = lint_string(
        NULL, "-- x\n-- Revision ID: t1\n\n-- migrate:up\n-- ultramigrate:lint-ignore "
              "missing-down the data it deletes cannot come back\nDELETE FROM t WHERE old;\n");
    ASSERT_FINDINGS(r, "");
    um_lint_free(r);
    r = lint_string(NULL, "-- x\n-- Revision ID: t1\n\n-- migrate:up\nSELECT 1;\n-- "
                          "ultramigrate:lint-ignore missing-down too late\nSELECT 2;\n");
    ASSERT_FINDINGS(r, "missing-down 4:1 warning\n");
    um_lint_free(r);
}
END_TEST

START_TEST(test_ignore_without_reason_still_suppresses)
{
    um_lint_result *r = lint_string(
        NULL, revision("CREATE TABLE x (id bigint);\n"
                       "  --   ultramigrate:lint-ignore   drop-table   \nDROP TABLE y;"));
    ASSERT_FINDINGS(r, "lint-ignore-without-reason 7:3 warning\n");
    um_lint_free(r);
}
END_TEST

START_TEST(test_ignore_without_rule)
{
    um_lint_result *r = lint_string(NULL, revision("-- ultramigrate:lint-ignore\nTRUNCATE t;"));
    ASSERT_FINDINGS(r, "lint-ignore-without-reason 6:1 warning\ntruncate 7:1 error\n");
    um_lint_free(r);
}
END_TEST

START_TEST(test_other_comments_are_not_directives)
{
    um_lint_result *r = lint_string(
        NULL, revision("-- ultramigrate:lint-ignored truncate x\n/* ultramigrate:lint-ignore "
                       "truncate y */ TRUNCATE t;"));
    ASSERT_FINDINGS(r, "truncate 7:43 error\n");
    um_lint_free(r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Configuration                                                        */
/* ------------------------------------------------------------------ */

typedef struct ini_fixture {
    char *dir;
    config_settings cfg;
    err_buf err;
} ini_fixture;

static ini_fixture ini;

static void ini_setup(void)
{
    unsetenv("DATABASE_URL");
    unsetenv("ULTRAMIGRATE_DATABASE_URL");
    ini.dir = pgtest_tmpdir();
    memset(&ini.cfg, 0, sizeof(ini.cfg));
    memset(&ini.err, 0, sizeof(ini.err));
}

static void ini_teardown(void)
{
    config_free(&ini.cfg);
    err_clear(&ini.err);
    pgtest_rmtree(ini.dir);
    free(ini.dir);
    pgtest_pool_free();
}

static int load_ini(const char *content)
{
    pgtest_write_file(ini.dir, "ultramigrate.ini", content);
    return config_load(&ini.cfg, pgtest_fmt("%s/ultramigrate.ini", ini.dir), NULL, NULL, &ini.err);
}

START_TEST(test_severity_from_ini)
{
    ck_assert_int_eq(load_ini("[ultramigrate]\nlock_timeout = 5s\n"
                              "lint.drop-table = warning\nlint.missing-down = off\n"
                              "lint.rename-table = error\nLint.Truncate = Off\n"),
                     UM_OK);
    um_lint_result *r =
        lint_string(&ini.cfg, "-- x\n-- Revision ID: t1\n-- migrate:up\nDROP TABLE a;\n"
                              "ALTER TABLE b RENAME TO c;\nTRUNCATE d;\n");
    ASSERT_FINDINGS(r, "drop-table 4:1 warning\nrename-table 5:1 error\n");
    ck_assert_int_eq(um_lint_error_count(r), 1);
    ck_assert_int_eq(um_lint_warning_count(r), 1);
    um_lint_free(r);
}
END_TEST

START_TEST(test_ultramigrate_section_wins_over_alembic)
{
    ck_assert_int_eq(load_ini("[alembic]\nlint.truncate = off\n[ultramigrate]\n"
                              "lint.truncate = warning\nlock_timeout = 1s\n"),
                     UM_OK);
    um_lint_result *r = lint_string(&ini.cfg, revision("TRUNCATE t;"));
    ASSERT_FINDINGS(r, "truncate 6:1 warning\n");
    um_lint_free(r);
}
END_TEST

START_TEST(test_unknown_rule_in_ini)
{
    ck_assert_int_eq(load_ini("[ultramigrate]\nscript_location = m\n\nlint.drop-tables = off\n"),
                     UM_ECONFIG);
    ck_assert_ptr_nonnull(strstr(ini.err.d.message, "ultramigrate.ini:4:"));
    ck_assert_ptr_nonnull(strstr(ini.err.d.message, "no lint rule 'drop-tables'"));
    ck_assert_int_eq(ini.err.d.line, 4);
}
END_TEST

START_TEST(test_bad_severity_in_ini)
{
    ck_assert_int_eq(load_ini("[ultramigrate]\nlint.truncate = loud\n"), UM_ECONFIG);
    ck_assert_ptr_nonnull(strstr(ini.err.d.message, ":2:"));
    ck_assert_ptr_nonnull(strstr(ini.err.d.message, "'loud' is not error, warning or off"));
}
END_TEST

START_TEST(test_lint_on_upgrade)
{
    ck_assert_int_eq(load_ini("[ultramigrate]\n"), UM_OK);
    ck_assert_int_eq(ini.cfg.lint_on_upgrade, CONFIG_LINT_WARN);
    config_free(&ini.cfg);
    ck_assert_int_eq(load_ini("[ultramigrate]\nlint_on_upgrade = error\n"), UM_OK);
    ck_assert_int_eq(ini.cfg.lint_on_upgrade, CONFIG_LINT_ERROR);
    config_free(&ini.cfg);
    ck_assert_int_eq(load_ini("[ultramigrate]\nlint_on_upgrade = off\n"), UM_OK);
    ck_assert_int_eq(ini.cfg.lint_on_upgrade, CONFIG_LINT_OFF);
    config_free(&ini.cfg);
    ck_assert_int_eq(load_ini("[ultramigrate]\n\nlint_on_upgrade = maybe\n"), UM_ECONFIG);
    ck_assert_ptr_nonnull(strstr(ini.err.d.message, ":3:"));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Runs and the public API                                              */
/* ------------------------------------------------------------------ */

typedef struct api_fixture {
    char *dir;
    um_ctx *ctx;
} api_fixture;

static api_fixture api;

static void api_setup(void)
{
    unsetenv("DATABASE_URL");
    unsetenv("ULTRAMIGRATE_DATABASE_URL");
    api.dir = pgtest_tmpdir();
    pgtest_write_ini(api.dir, "ultramigrate.ini", NULL,
                     pgtest_fmt("database_url = postgresql://127.0.0.1:%d/none?connect_timeout=2\n",
                                pgtest_dead_port()));
    pgtest_write_revision(api.dir, "a1", NULL, NULL, 1,
                          "CREATE TABLE events (id bigint PRIMARY KEY, kind text);", NULL);
    pgtest_write_revision(api.dir, "b2", "a1", NULL, 1,
                          "CREATE INDEX events_kind ON events (kind);\nDROP TABLE users;",
                          "SELECT 1;");
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    o.config_path = pgtest_fmt("%s/ultramigrate.ini", api.dir);
    PGTEST_CHECK_OK(NULL, um_open(&api.ctx, &o));
}

static void api_teardown(void)
{
    um_close(api.ctx);
    pgtest_rmtree(api.dir);
    free(api.dir);
    pgtest_pool_free();
}

START_TEST(test_um_lint_all)
{
    um_lint_options o;
    um_lint_result *r = NULL;
    ck_assert_int_eq(um_lint_options_init(&o, UM_LINT_OPTIONS_VERSION), UM_OK);
    o.all = 1;
    PGTEST_CHECK_OK(api.ctx, um_lint(&r, api.ctx, &o));
    /* a1 creates events, so b2's plain CREATE INDEX on it is fine. */
    ASSERT_FINDINGS(r, "missing-down 7:1 warning\ndrop-table 9:1 error\nmissing-lock-timeout 9:1 "
                       "warning\n");
    const um_lint_finding *f = um_lint_at(r, 1);
    ck_assert_str_eq(f->revision, "b2");
    ck_assert_ptr_nonnull(strstr(f->file, "b2.sql"));
    ck_assert_ptr_nonnull(strstr(f->message, "users"));
    ck_assert_ptr_null(um_lint_at(r, 3));
    um_lint_free(r);
}
END_TEST

START_TEST(test_um_lint_paths_are_one_run)
{
    const char *paths[] = { pgtest_fmt("%s/migrations/versions/b2.sql", api.dir) };
    um_lint_options o = UM_LINT_OPTIONS_INIT;
    um_lint_result *r = NULL;
    o.paths = paths;
    o.n_paths = 1;
    PGTEST_CHECK_OK(api.ctx, um_lint(&r, api.ctx, &o));
    /* Alone, b2 does not know events is new. */
    ck_assert_ptr_nonnull(strstr(summary(r), "create-index-not-concurrently 8:1"));
    um_lint_free(r);
}
END_TEST

START_TEST(test_um_lint_pending_needs_the_database)
{
    um_lint_result *r = (um_lint_result *)&r;
    ck_assert_int_eq(um_lint(&r, api.ctx, NULL), UM_ECONNECT);
    ck_assert_ptr_null(r);
}
END_TEST

START_TEST(test_um_lint_arguments)
{
    um_lint_options o = UM_LINT_OPTIONS_INIT;
    um_lint_result *r = NULL;
    const char *none[] = { NULL };
    ck_assert_int_eq(um_lint(NULL, api.ctx, &o), UM_EINVAL);
    ck_assert_int_eq(um_lint(&r, NULL, &o), UM_EINVAL);
    o.version = 99;
    ck_assert_int_eq(um_lint(&r, api.ctx, &o), UM_EVERSION);
    ck_assert_ptr_nonnull(strstr(um_errmsg(api.ctx), "version 99"));
    o.version = UM_LINT_OPTIONS_VERSION;
    o.n_paths = 1;
    ck_assert_int_eq(um_lint(&r, api.ctx, &o), UM_EINVAL);
    o.paths = none;
    ck_assert_int_eq(um_lint(&r, api.ctx, &o), UM_EINVAL);
    const char *missing[] = { pgtest_fmt("%s/nope.sql", api.dir) };
    o.paths = missing;
    ck_assert_int_eq(um_lint(&r, api.ctx, &o), UM_EIO);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(um_lint_options_init(NULL, UM_LINT_OPTIONS_VERSION), UM_EINVAL);
    ck_assert_int_eq(um_lint_options_init(&o, 2), UM_EINVAL);
    ck_assert_int_eq(um_lint_count(NULL), 0);
    ck_assert_ptr_null(um_lint_at(NULL, 0));
    ck_assert_int_eq(um_lint_error_count(NULL), 0);
    ck_assert_int_eq(um_lint_warning_count(NULL), 0);
    ck_assert_ptr_null(um_lint_to_json(NULL));
    um_lint_free(NULL);
}
END_TEST

START_TEST(test_um_lint_to_json)
{
    um_lint_options o = UM_LINT_OPTIONS_INIT;
    um_lint_result *r = NULL;
    o.all = 1;
    PGTEST_CHECK_OK(api.ctx, um_lint(&r, api.ctx, &o));
    char *text = um_lint_to_json(r);
    ck_assert_ptr_nonnull(text);
    json_t *root = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(root);
    ck_assert_int_eq(json_integer_value(json_object_get(root, "format_version")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(root, "files")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(root, "statements")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(root, "errors")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(root, "warnings")), 2);
    json_t *first = json_array_get(json_object_get(root, "findings"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(first, "rule")), "missing-down");
    ck_assert_str_eq(json_string_value(json_object_get(first, "severity")), "warning");
    ck_assert_int_eq(json_integer_value(json_object_get(first, "line")), 7);
    ck_assert_int_eq(json_integer_value(json_object_get(first, "column")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(first, "revision")), "a1");
    json_decref(root);
    um_free(text);
    um_lint_free(r);
}
END_TEST

START_TEST(test_to_json_is_whole_or_nothing)
{
    /* A plain SQL file is not checked for UTF-8; the name reaches the message. */
    um_lint_result *r = lint_string(NULL, "DROP TABLE t\xff;\n");
    ck_assert_int_eq(um_lint_count(r), 1);
    ck_assert_ptr_null(um_lint_to_json(r));
    um_lint_free(r);
    r = lint_string(NULL, "SELECT 1;\n");
    char *text = um_lint_to_json(r);
    ck_assert_ptr_nonnull(strstr(text, "\"findings\": []"));
    um_free(text);
    um_lint_free(r);
}
END_TEST

static char logged[2048];

static void capture(um_log_level level, const char *msg, void *payload)
{
    (void)payload;
    size_t used = strlen(logged);
    snprintf(logged + used, sizeof(logged) - used, "%d %s\n", (int)level, msg);
}

START_TEST(test_lint_revisions_for_upgrade)
{
    size_t order[] = { 1 }; /* b2 alone, as a plan whose a1 is applied */
    um_lint_result *r = NULL;
    log_sink log = { capture, NULL, UM_LOG_DEBUG, NULL };
    ck_assert_int_eq(lint_revisions(api.ctx, order, 1, &r), UM_OK);
    logged[0] = '\0';
    lint_log_findings(&log, r);
    /* the level says the severity; the text does not repeat it */
    ck_assert_msg(strstr(logged, "1 ") && strstr(logged, "b2.sql:8:1: CREATE INDEX on events blocks"
                                                         " writes"),
                  "%s", logged);
    ck_assert_ptr_nonnull(strstr(logged, "[create-index-not-concurrently]\n"));
    ck_assert_msg(strstr(logged, "0 ") && strstr(logged, "b2.sql:9:1: DROP TABLE users"), "%s",
                  logged);
    ck_assert_msg(!strstr(logged, "warning:") && !strstr(logged, "error:"), "%s", logged);
    um_lint_free(r);
}
END_TEST

START_TEST(test_lint_gate)
{
    size_t order[] = { 0, 1 };
    ck_assert_int_eq(lint_gate(api.ctx, order, 2), UM_OK); /* warn: logged only */
    api.ctx->cfg.lint_on_upgrade = CONFIG_LINT_ERROR;
    ck_assert_int_eq(lint_gate(api.ctx, order, 2), UM_ELINT); /* b2's DROP TABLE users */
    ck_assert_pstr_eq(strstr(um_errmsg(api.ctx), "lint found 1 error in the revisions to apply"),
                      um_errmsg(api.ctx));
    ck_assert_ptr_nonnull(strstr(um_errmsg(api.ctx), "nothing was run"));
    api.ctx->cfg.lint_on_upgrade = CONFIG_LINT_OFF;
    ck_assert_int_eq(lint_gate(api.ctx, order, 2), UM_OK);
}
END_TEST

/* What generate and auto call on the file they wrote. */
START_TEST(test_um_lint_generated)
{
    const char *b2 = pgtest_fmt("%s/migrations/versions/b2.sql", api.dir);
    um_lint_result *r = (um_lint_result *)&r;
    /* lint_on_upgrade = warn: the findings, the file alone (events counts
     * as an existing table), UM_OK */
    PGTEST_CHECK_OK(api.ctx, um_lint_generated(&r, api.ctx, b2));
    ASSERT_FINDINGS(r, "create-index-not-concurrently 8:1 warning\nmissing-lock-timeout 8:1 "
                       "warning\ndrop-table 9:1 error\n");
    um_lint_free(r);

    api.ctx->cfg.lint_on_upgrade = CONFIG_LINT_ERROR;
    ck_assert_int_eq(um_lint_generated(&r, api.ctx, b2), UM_ELINT);
    ck_assert_int_eq(um_lint_error_count(r), 1);
    ck_assert_ptr_nonnull(strstr(um_errmsg(api.ctx), "lint found 1 error in the new revision"));
    ck_assert_ptr_nonnull(strstr(um_error_detail(api.ctx)->file, "b2.sql"));
    um_lint_free(r);

    api.ctx->cfg.lint_on_upgrade = CONFIG_LINT_OFF;
    r = (um_lint_result *)&r;
    ck_assert_int_eq(um_lint_generated(&r, api.ctx, b2), UM_OK);
    ck_assert_ptr_null(r);

    ck_assert_int_eq(um_lint_generated(NULL, api.ctx, b2), UM_EINVAL);
    ck_assert_int_eq(um_lint_generated(&r, api.ctx, NULL), UM_EINVAL);
    ck_assert_int_eq(um_lint_generated(&r, NULL, b2), UM_EINVAL);
    api.ctx->cfg.lint_on_upgrade = CONFIG_LINT_WARN;
    ck_assert_int_eq(um_lint_generated(&r, api.ctx, pgtest_fmt("%s/nope.sql", api.dir)), UM_EIO);
    ck_assert_ptr_null(r);
}
END_TEST

START_TEST(test_rule_table)
{
    for (int r = 0; r < LINT_N_RULES; r++) {
        const char *id = lint_rule_id((lint_rule)r);
        ck_assert_int_eq(lint_rule_find(id), r);
        for (const char *p = id; *p; p++)
            ck_assert_msg((*p >= 'a' && *p <= 'z') || *p == '-', "rule id %s is not kebab-case",
                          id);
    }
    ck_assert_int_eq(lint_rule_find("no-such-rule"), -1);
    ck_assert_int_eq(lint_rule_default(LINT_DROP_TABLE), UM_LINT_ERROR);
    ck_assert_int_eq(lint_rule_default(LINT_CREATE_INDEX), UM_LINT_WARNING);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The parse tree reader                                                */
/* ------------------------------------------------------------------ */

/* Counts RangeVars, and ColumnRefs without going into them. */
typedef struct tally {
    int relations, columns, messages, stop_after;
} tally;

static lint_walk count_nodes(const ProtobufCMessage *m, void *payload)
{
    tally *t = payload;
    if (++t->messages == t->stop_after)
        return LINT_WALK_STOP;
    if (m->descriptor == &pg_query__range_var__descriptor)
        t->relations++;
    if (m->descriptor != &pg_query__column_ref__descriptor)
        return LINT_WALK_INTO;
    t->columns++;
    return LINT_WALK_OVER;
}

/* The statement node of @sql, unpacked into @tree. */
static const PgQuery__Node *parse_into(lint_tree *tree, const char *sql)
{
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql);
    const PgQuery__Node *stmt = NULL;
    ck_assert_ptr_null(r.error);
    ck_assert_int_eq(lint_tree_unpack(tree, r.parse_tree.data, r.parse_tree.len, &stmt), UM_OK);
    pg_query_free_protobuf_parse_result(r);
    return stmt;
}

START_TEST(test_tree_walk)
{
    lint_tree *tree = lint_tree_new();
    ck_assert_ptr_nonnull(tree);
    /* Relations in FROM, in a join, in a subquery and in a CTE; columns in
     * the target list, the join condition, WHERE and a function's
     * arguments (each Node's oneof is followed to the one member set). */
    const PgQuery__Node *stmt =
        parse_into(tree, "WITH c AS (SELECT id FROM s.one) SELECT a.x, lower(b.y) FROM two a "
                         "JOIN three b ON a.id = b.id WHERE a.z IN (SELECT id FROM four)");
    ck_assert_ptr_nonnull(stmt);
    ck_assert_int_eq(stmt->node_case, PG_QUERY__NODE__NODE_SELECT_STMT);
    tally t = { 0 };
    ck_assert(lint_tree_walk(&stmt->base, count_nodes, &t));
    ck_assert_int_eq(t.relations, 4);
    ck_assert_int_eq(t.columns, 7);

    tally stopped = { .stop_after = 3 };
    ck_assert(!lint_tree_walk(&stmt->base, count_nodes, &stopped));
    ck_assert_int_eq(stopped.messages, 3);
    ck_assert(lint_tree_walk(NULL, count_nodes, &stopped));
    lint_tree_clear(tree);

    /* Not a parse result: no statement, and no error. */
    static const unsigned char junk[] = { 0x12, 0x05, 0x0a, 0xff, 0xff };
    ck_assert_int_eq(lint_tree_unpack(tree, junk, sizeof(junk), &stmt), UM_OK);
    ck_assert_ptr_null(stmt);
    lint_tree_free(tree);
}
END_TEST

/* "UPDATE t SET a = 1+1+...+1" with @terms terms, then a DELETE. */
static char *long_sum(int terms)
{
    strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "UPDATE t SET a = 1");
    for (int i = 1; i < terms; i++)
        sb_printf(&sb, "+1");
    sb_printf(&sb, ";\nDELETE FROM u;");
    return sb_detach(&sb);
}

START_TEST(test_deep_tree_is_not_linted)
{
    /* protobuf-c unpacks recursively, about 1 kB of stack a level: 5,000
     * terms overflowed an 8 MB stack before the arena refused to go on. */
    char *sql = long_sum(5000);
    um_lint_result *r = lint_string(NULL, revision(sql));
    ASSERT_FINDINGS(r, "delete-without-where 7:1 error\n");
    um_lint_free(r);
    free(sql);
    /* A long expression within the budget is linted. */
    sql = long_sum(200);
    r = lint_string(NULL, revision(sql));
    ASSERT_FINDINGS(r, "update-without-where 6:1 error\ndelete-without-where 7:1 error\n");
    um_lint_free(r);
    free(sql);
}
END_TEST

START_TEST(test_statements_no_rule_reads)
{
    static const char *const unread[] = {
        "INSERT INTO t VALUES (1)",
        "insert\n  into t select 1",
        "COMMENT ON TABLE t IS 'x'",
        "CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql",
        "create or replace\tfunction f() returns int as 'select 1' language sql",
        "CREATE OR REPLACE PROCEDURE p() AS 'select 1' LANGUAGE sql",
        "CREATE EXTENSION pgcrypto",
        "SELECT 1",
    };
    static const char *const read[] = {
        "CREATE TABLE t (a int)",
        "CREATE OR REPLACE VIEW v AS SELECT 1",
        "CREATE UNIQUE INDEX i ON t (a)",
        "WITH d AS (DELETE FROM t RETURNING *) INSERT INTO u SELECT * FROM d",
        "(SELECT 1)",
        "PREPARE TRANSACTION 'x'",
        "CREATE /* a comment */ FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql",
        "INSERTS",
        "CREATE AVERYLONGWORDINDEED",
        "DO $$ BEGIN END $$", /* its statements run now */
        "",
    };
    for (size_t i = 0; i < sizeof(unread) / sizeof(unread[0]); i++)
        ck_assert_msg(!lint_statement_matters(unread[i], strlen(unread[i])), "reads %s", unread[i]);
    for (size_t i = 0; i < sizeof(read) / sizeof(read[0]); i++)
        ck_assert_msg(lint_statement_matters(read[i], strlen(read[i])), "skips %s", read[i]);
    /* only the statement's own bytes count */
    const char *two = "SELECT 1; SELECT set_config('lock_timeout', '1s', false)";
    ck_assert(!lint_statement_matters(two, strlen("SELECT 1")));
    ck_assert(lint_statement_matters(two + 10, strlen(two + 10)));
}
END_TEST

START_TEST(test_syntax_error_in_a_statement_no_rule_reads)
{
    /* The section does not parse as a whole, so each statement is parsed,
     * those no rule reads included. */
    um_lint_result *r =
        lint_string(NULL, revision("INSERT INTO t VALUES (1,);\nCOMMENT ON TABLE t IS 'x';"));
    ASSERT_FINDINGS(r, "syntax-error 6:25 error\n");
    um_lint_free(r);
}
END_TEST

START_TEST(test_quoted_identifiers_in_messages)
{
    um_lint_result *r = lint_string(NULL, revision("DROP TABLE \"naïve \"\"quoted\"\" table\";"));
    ASSERT_FINDINGS(r, "drop-table 6:1 error\n");
    ck_assert_ptr_nonnull(strstr(um_lint_at(r, 0)->message, "DROP TABLE naïve \"quoted\" table "));
    um_lint_free(r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Suite                                                                */
/* ------------------------------------------------------------------ */

static Suite *lint_suite(void)
{
    Suite *s = suite_create("lint");
    TCase *tc = pgtest_add_tcase(s, "corpus", NULL, teardown, 30);
    tcase_add_loop_test(tc, test_corpus_case, 0, n_cases);
    tcase_add_test(tc, test_corpus_covers_every_rule);
    tcase_add_test(tc, test_rule_table);

    tc = pgtest_add_tcase(s, "positions", NULL, teardown, 30);
    tcase_add_test(tc, test_position_after_multiline_dollar_body);
    tcase_add_test(tc, test_column_counts_characters);
    tcase_add_test(tc, test_syntax_error_is_a_finding);
    tcase_add_test(tc, test_syntax_error_after_non_ascii);
    tcase_add_test(tc, test_unterminated_dollar_quote);
    tcase_add_test(tc, test_unterminated_comment);
    tcase_add_test(tc, test_crlf_and_bom);
    tcase_add_test(tc, test_findings_in_position_order);
    tcase_add_test(tc, test_plain_sql_file);
    tcase_add_test(tc, test_malformed_revision_is_an_error);

    tc = pgtest_add_tcase(s, "tree", NULL, teardown, 30);
    tcase_add_test(tc, test_tree_walk);
    tcase_add_test(tc, test_deep_tree_is_not_linted);
    tcase_add_test(tc, test_statements_no_rule_reads);
    tcase_add_test(tc, test_syntax_error_in_a_statement_no_rule_reads);
    tcase_add_test(tc, test_quoted_identifiers_in_messages);

    tc = pgtest_add_tcase(s, "suppressions", NULL, teardown, 30);
    tcase_add_test(tc, test_ignore_applies_to_the_next_statement_only);
    tcase_add_test(tc, test_ignore_in_header_covers_the_file);
    tcase_add_test(tc, test_ignore_missing_down_below_the_marker);
    tcase_add_test(tc, test_ignore_without_reason_still_suppresses);
    tcase_add_test(tc, test_ignore_without_rule);
    tcase_add_test(tc, test_other_comments_are_not_directives);

    tc = pgtest_add_tcase(s, "configuration", ini_setup, ini_teardown, 30);
    tcase_add_test(tc, test_severity_from_ini);
    tcase_add_test(tc, test_ultramigrate_section_wins_over_alembic);
    tcase_add_test(tc, test_unknown_rule_in_ini);
    tcase_add_test(tc, test_bad_severity_in_ini);
    tcase_add_test(tc, test_lint_on_upgrade);

    tc = pgtest_add_tcase(s, "api", api_setup, api_teardown, 30);
    tcase_add_test(tc, test_um_lint_all);
    tcase_add_test(tc, test_um_lint_paths_are_one_run);
    tcase_add_test(tc, test_um_lint_pending_needs_the_database);
    tcase_add_test(tc, test_um_lint_arguments);
    tcase_add_test(tc, test_um_lint_to_json);
    tcase_add_test(tc, test_to_json_is_whole_or_nothing);
    tcase_add_test(tc, test_lint_revisions_for_upgrade);
    tcase_add_test(tc, test_lint_gate);
    tcase_add_test(tc, test_um_lint_generated);
    return s;
}

int main(void)
{
    const char *src = getenv("UM_SOURCE_DIR");
    snprintf(corpus, sizeof(corpus), "%s/tests/lint", src ? src : ".");
    n_cases = list_sql(corpus, cases, MAX_CASES, true);
    if (n_cases <= 0) {
        fprintf(stderr, "check_lint: no corpus in %s (set UM_SOURCE_DIR)\n", corpus);
        return EXIT_FAILURE;
    }
    int rc = pgtest_run_suite(lint_suite());
    free_strings(cases, n_cases);
    pgtest_pool_free();
    return rc;
}
