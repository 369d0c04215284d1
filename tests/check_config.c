/*
 * check_config.c - ultramigrate.ini, the environment and the defaults.
 *
 * Every test starts from a fresh temporary directory and with both URL
 * variables unset (Check forks per test, but CK_FORK=no must work too).
 */
#include "pgtest.h"

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Fixture                                                              */
/* ------------------------------------------------------------------ */

#define MAX_FILES 16

static char tmpdir[PATH_MAX];
static char *files[MAX_FILES];
static int n_files;

static config_settings cfg;
static err_buf err;

static char log_text[4096]; /* every message logged, one per line */
static int log_count;

static void capture_log(um_log_level level, const char *msg, void *payload)
{
    (void)payload;
    ck_assert_int_eq(level, UM_LOG_WARNING);
    size_t used = strlen(log_text);
    snprintf(log_text + used, sizeof(log_text) - used, "%s\n", msg);
    log_count++;
}

static const log_sink logger = { capture_log, NULL, UM_LOG_DEBUG, NULL };

static void setup(void)
{
    unsetenv("ULTRAMIGRATE_DATABASE_URL");
    unsetenv("DATABASE_URL");
    snprintf(tmpdir, sizeof(tmpdir), "%s/check_config-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    n_files = 0;
    memset(&cfg, 0, sizeof(cfg));
    memset(&err, 0, sizeof(err));
    log_text[0] = '\0';
    log_count = 0;
}

static void teardown(void)
{
    config_free(&cfg);
    err_clear(&err);
    for (int i = 0; i < n_files; i++) {
        unlink(files[i]);
        free(files[i]);
    }
    rmdir(tmpdir);
}

/* Writes @content to a new file in the test's directory; returns its path
 * (freed by teardown). */
static const char *write_ini(const char *content)
{
    ck_assert_int_lt(n_files, MAX_FILES);
    char *path = malloc(strlen(tmpdir) + 32);
    ck_assert_ptr_nonnull(path);
    sprintf(path, "%s/ultramigrate-XXXXXX", tmpdir);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *fp = fdopen(fd, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(content, fp);
    ck_assert_int_eq(fclose(fp), 0);
    files[n_files++] = path;
    return path;
}

static int load(const char *content)
{
    return config_load(&cfg, write_ini(content), NULL, &logger, &err);
}

static void load_ok(const char *content)
{
    int rc = load(content);
    ck_assert_msg(rc == 0, "config_load: %d %s", rc, err.d.message ? err.d.message : "");
}

/* Asserts that loading @content fails with UM_ECONFIG on @line, with a
 * message containing @text, and leaves nothing behind. */
static void load_fails(const char *content, int line, const char *text)
{
    const char *path = write_ini(content);
    int rc = config_load(&cfg, path, NULL, &logger, &err);
    ck_assert_int_eq(rc, UM_ECONFIG);
    ck_assert_int_eq(err.d.code, UM_ECONFIG);
    ck_assert_str_eq(err.d.file, path);
    ck_assert_int_eq(err.d.line, line);
    ck_assert_msg(strstr(err.d.message, text), "'%s' lacks '%s'", err.d.message, text);
    ck_assert_ptr_null(cfg.script_location);
    ck_assert_ptr_null(cfg.here);
}

/* ------------------------------------------------------------------ */
/* Defaults                                                             */
/* ------------------------------------------------------------------ */

static void assert_defaults(void)
{
    ck_assert_ptr_null(cfg.path);
    ck_assert_str_eq(cfg.here, ".");
    ck_assert_str_eq(cfg.script_location, "migrations");
    ck_assert_ptr_null(cfg.database_url);
    ck_assert_str_eq(cfg.url_source, "libpq environment");
    ck_assert_str_eq(cfg.file_template, "%(rev)s_%(slug)s");
    ck_assert_int_eq(cfg.truncate_slug_length, 40);
    ck_assert_ptr_null(cfg.timezone);
    ck_assert(cfg.transaction_per_migration);
    ck_assert_str_eq(cfg.version_table, "ultramigrate_version");
    ck_assert_str_eq(cfg.version_table_schema, "public");
    ck_assert_int_eq(cfg.lock_wait_ms, 60000);
    ck_assert_int_eq(cfg.lock_timeout_ms, 0);
    ck_assert_int_eq(cfg.statement_timeout_ms, 0);
    ck_assert_int_eq(cfg.lock_retries, 0);
    ck_assert(cfg.compare_type);
    ck_assert(cfg.compare_server_default);
    ck_assert_ptr_null(cfg.schema_file);
    ck_assert_ptr_null(cfg.backup_dir);
}

START_TEST(defaults_init)
{
    ck_assert_int_eq(config_init_defaults(&cfg, &err), 0);
    assert_defaults();
}
END_TEST

START_TEST(defaults_null_path)
{
    ck_assert_int_eq(config_load(&cfg, NULL, NULL, &logger, &err), 0);
    assert_defaults();
    ck_assert_int_eq(log_count, 0);
}
END_TEST

START_TEST(defaults_free_twice)
{
    ck_assert_int_eq(config_init_defaults(&cfg, &err), 0);
    config_free(&cfg);
    ck_assert_ptr_null(cfg.script_location);
    config_free(&cfg); /* zeroed: harmless */
    config_free(NULL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A full file                                                          */
/* ------------------------------------------------------------------ */

START_TEST(full_every_key)
{
    load_ok("; every key\n"
            "[ultramigrate]\n"
            "script_location = db/migrations\n"
            "database_url = postgresql://app@localhost/app\n"
            "file_template = %%(year)d_%%(rev)s_%%(slug)s\n"
            "truncate_slug_length = 20\n"
            "timezone = Europe/Paris\n"
            "transaction_per_migration = false\n"
            "version_table = schema_version\n"
            "version_table_schema = meta\n"
            "lock_wait = 5s\n"
            "lock_timeout = 2min\n"
            "statement_timeout = 1h\n"
            "lock_retries = 3\n"
            "compare_type = no\n"
            "compare_server_default = off\n"
            "schema_file = schema.sql\n"
            "backup_dir = backups\n");
    ck_assert_str_eq(cfg.script_location, "db/migrations");
    ck_assert_str_eq(cfg.database_url, "postgresql://app@localhost/app");
    ck_assert_str_eq(cfg.url_source, "config file");
    ck_assert_str_eq(cfg.file_template, "%(year)d_%(rev)s_%(slug)s");
    ck_assert_int_eq(cfg.truncate_slug_length, 20);
    ck_assert_str_eq(cfg.timezone, "Europe/Paris");
    ck_assert(!cfg.transaction_per_migration);
    ck_assert_str_eq(cfg.version_table, "schema_version");
    ck_assert_str_eq(cfg.version_table_schema, "meta");
    ck_assert_int_eq(cfg.lock_wait_ms, 5000);
    ck_assert_int_eq(cfg.lock_timeout_ms, 120000);
    ck_assert_int_eq(cfg.statement_timeout_ms, 3600000);
    ck_assert_int_eq(cfg.lock_retries, 3);
    ck_assert(!cfg.compare_type);
    ck_assert(!cfg.compare_server_default);
    /* relative paths are kept as written (relative to the cwd) */
    ck_assert_str_eq(cfg.schema_file, "schema.sql");
    ck_assert_str_eq(cfg.backup_dir, "backups");
    ck_assert_str_eq(cfg.path, files[0]);
    ck_assert_int_eq(log_count, 0);
}
END_TEST

START_TEST(full_durations)
{
    static const struct {
        const char *text;
        int ms;
    } cases[] = {
        { "500ms", 500 },
        { "250", 250 },
        { "0", 0 },
        { "5s", 5000 },
        { "5 s", 5000 },
        { "2min", 120000 },
        { "1h", 3600000 },
        { "2147483647", 2147483647 },
        { "2147483647ms", 2147483647 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char ini[128];
        snprintf(ini, sizeof(ini), "[ultramigrate]\nlock_timeout = %s\n", cases[i].text);
        load_ok(ini);
        ck_assert_int_eq(cfg.lock_timeout_ms, cases[i].ms);
        config_free(&cfg);
    }
}
END_TEST

START_TEST(full_booleans)
{
    static const char *const yes[] = { "true", "TRUE", "Yes", "on", "1" };
    static const char *const no[] = { "false", "False", "NO", "Off", "0" };
    for (size_t i = 0; i < 5; i++) {
        char ini[128];
        snprintf(ini, sizeof(ini),
                 "[ultramigrate]\ncompare_type = %s\n"
                 "compare_server_default = %s\n",
                 no[i], yes[i]);
        load_ok(ini);
        ck_assert(!cfg.compare_type);
        ck_assert(cfg.compare_server_default);
        config_free(&cfg);
    }
}
END_TEST

START_TEST(full_syntax_details)
{
    /* key names fold to lower case as configparser's do; ':' separates
     * too; ';' after whitespace starts a comment; empty optional values
     * mean "not set" */
    load_ok("# comment\n"
            "[ultramigrate]\n"
            "Script_Location: here/there ; a comment\n"
            "version_table = a;b\n"
            "schema_file =\n"
            "timezone =\n");
    ck_assert_str_eq(cfg.script_location, "here/there");
    ck_assert_str_eq(cfg.version_table, "a;b");
    ck_assert_ptr_null(cfg.schema_file);
    ck_assert_ptr_null(cfg.timezone);
    config_free(&cfg);
    /* a UTF-8 byte-order mark and CRLF line ends */
    load_ok("\xEF\xBB\xBF[ultramigrate]\r\nlock_retries = 4\r\n");
    ck_assert_int_eq(cfg.lock_retries, 4);
}
END_TEST

START_TEST(full_continuation_lines)
{
    /* a continuation joins with "\n"; later lines keep their numbers */
    load_ok("[ultramigrate]\n"
            "timezone = first\n"
            "   second\n"
            "\n"
            "   third\n"
            "script_location = m\n");
    ck_assert_str_eq(cfg.timezone, "first\nsecond\nthird");
    config_free(&cfg);
    load_fails("[ultramigrate]\n"
               "lock_retries = 1\n"
               "  2\n"
               "lock_wait = x\n",
               4, "key 'lock_wait'");
    err_clear(&err);
    /* an error in a continued value names the key's line */
    load_fails("[ultramigrate]\n"
               "compare_type = yes\n"
               "  no\n",
               2, "is not a boolean");
}
END_TEST

START_TEST(full_continuation_after_ignored_section)
{
    /* continuations of a key in a section we ignore stay there; an
     * indented key right after a [section] line is a key */
    load_ok("[loggers]\n"
            "keys = root\n"
            "  sqlalchemy\n"
            "[ultramigrate]\n"
            "  script_location = m\n"
            "timezone = UTC\n");
    ck_assert_str_eq(cfg.script_location, "m");
    ck_assert_str_eq(cfg.timezone, "UTC");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Sections                                                             */
/* ------------------------------------------------------------------ */

START_TEST(sections_alembic)
{
    load_ok("[alembic]\n"
            "script_location = alembic\n"
            "prepend_sys_path = .\n"
            "version_path_separator = os\n"
            "sqlalchemy.url = postgresql+psycopg2://scott@db/app\n"
            "\n"
            "[post_write_hooks]\n"
            "hooks = black\n"
            "black.type = console_scripts\n"
            "\n"
            "[loggers]\n"
            "keys = root,sqlalchemy,alembic\n"
            "[handler_console]\n"
            "class = StreamHandler\n"
            "args = (sys.stderr,)\n"
            "format = %(levelname)-5.5s [%(name)s] %(message)s\n");
    ck_assert_str_eq(cfg.script_location, "alembic");
    ck_assert_str_eq(cfg.database_url, "postgresql://scott@db/app");
    ck_assert_str_eq(cfg.url_source, "config file");
    /* Alembic's own table: a database it manages is read where it is */
    ck_assert_str_eq(cfg.version_table, "alembic_version");
    ck_assert_int_eq(log_count, 0); /* other sections: no warning */
}
END_TEST

START_TEST(sections_ultramigrate_wins)
{
    load_ok("[ultramigrate]\n"
            "script_location = ours\n"
            "sqlalchemy.url = postgresql://ours/db\n"
            "[alembic]\n"
            "script_location = theirs\n"
            "database_url = postgresql://theirs/db\n"
            "lock_retries = 7\n");
    ck_assert_str_eq(cfg.script_location, "ours");
    ck_assert_str_eq(cfg.database_url, "postgresql://ours/db");
    ck_assert_int_eq(cfg.lock_retries, 7);                  /* only in [alembic] */
    ck_assert_str_eq(cfg.version_table, "alembic_version"); /* the file is Alembic's too */
    config_free(&cfg);
    load_ok("[ultramigrate]\nversion_table = mine\n[alembic]\nscript_location = theirs\n");
    ck_assert_str_eq(cfg.version_table, "mine");
}
END_TEST

START_TEST(sections_database_url_wins)
{
    load_ok("[alembic]\n"
            "sqlalchemy.url = postgresql://alembic/db\n"
            "database_url = postgresql://ours/db\n");
    ck_assert_str_eq(cfg.database_url, "postgresql://ours/db");
}
END_TEST

START_TEST(sections_default_fallback)
{
    /* as configparser's get(): [DEFAULT] supplies missing keys */
    load_ok("[DEFAULT]\nlock_retries = 2\nscript_location = d\n"
            "[alembic]\nscript_location = a\n");
    ck_assert_int_eq(cfg.lock_retries, 2);
    ck_assert_str_eq(cfg.script_location, "a");
}
END_TEST

START_TEST(sections_duplicate_key)
{
    load_fails("[ultramigrate]\nlock_retries = 1\n\nLock_Retries = 2\n", 4,
               "key 'lock_retries' is already set in [ultramigrate] on line 2");
}
END_TEST

/* Alembic's -n: one file, a section per database. */
START_TEST(sections_named)
{
    static const char ini[] = "[DEFAULT]\nlock_retries = 7\n"
                              "[ultramigrate]\nscript_location = main\n"
                              "[alembic]\nversion_table = av\n"
                              "[staging]\nscript_location = %(here)s/st\nlock_timeout = 2s\n"
                              "version_table = %(lock_retries)s_v\n"
                              "[empty]\n";
    const char *path = write_ini(ini);
    ck_assert_int_eq(config_load_section(&cfg, path, "staging", NULL, &logger, &err), 0);
    ck_assert_ptr_nonnull(strstr(cfg.script_location, "/st"));
    ck_assert_int_eq(cfg.lock_timeout_ms, 2000);
    ck_assert_int_eq(cfg.lock_retries, 7);
    ck_assert_str_eq(cfg.version_table, "7_v"); /* not [alembic]'s */
    config_free(&cfg);

    ck_assert_int_eq(config_load_section(&cfg, path, "empty", NULL, &logger, &err), UM_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err.d.message, "no [empty] section"));
    ck_assert_int_eq(config_load_section(&cfg, path, "prod", NULL, &logger, &err), UM_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err.d.message, "no [prod] section"));
    ck_assert_int_eq(
        config_load_section(&cfg, write_ini("[prod]\na = 1\nA = 2\n"), "prod", NULL, &logger, &err),
        UM_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err.d.message, "already set in [prod] on line 2"));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Interpolation                                                        */
/* ------------------------------------------------------------------ */

START_TEST(interp_here)
{
    char real[PATH_MAX], expect[PATH_MAX + 32];
    ck_assert_ptr_nonnull(realpath(tmpdir, real));
    load_ok("[ultramigrate]\n"
            "script_location = %(here)s/migrations\n"
            "schema_file = %(HERE)s/schema.sql\n");
    ck_assert_str_eq(cfg.here, real);
    snprintf(expect, sizeof(expect), "%s/migrations", real);
    ck_assert_str_eq(cfg.script_location, expect);
    snprintf(expect, sizeof(expect), "%s/schema.sql", real);
    ck_assert_str_eq(cfg.schema_file, expect);
}
END_TEST

START_TEST(interp_here_relative_path)
{
    char real[PATH_MAX], cwd[PATH_MAX];
    ck_assert_ptr_nonnull(realpath(tmpdir, real));
    const char *path = write_ini("[ultramigrate]\nbackup_dir = %(here)s/b\n");
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
    ck_assert_int_eq(chdir(tmpdir), 0);
    int rc = config_load(&cfg, strrchr(path, '/') + 1, NULL, &logger, &err);
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(cfg.here, real);
    ck_assert_ptr_nonnull(strstr(cfg.backup_dir, real));
}
END_TEST

START_TEST(interp_percent_and_references)
{
    load_ok("[DEFAULT]\n"
            "root = /srv/%(app)s\n"
            "[ultramigrate]\n"
            "app = shop\n"
            "file_template = %%(rev)s_%%(slug)s\n"
            "script_location = %(root)s/migrations\n"
            "backup_dir = %(dir)s\n"
            "dir = %(root)s/100%%\n");
    ck_assert_str_eq(cfg.file_template, "%(rev)s_%(slug)s");
    ck_assert_str_eq(cfg.script_location, "/srv/shop/migrations");
    ck_assert_str_eq(cfg.backup_dir, "/srv/shop/100%");
}
END_TEST

START_TEST(interp_is_lazy)
{
    /* values we never read are never interpolated (configparser too) */
    load_ok("[alembic]\n"
            "hooks = %(nowhere)s\n"
            "[loggers]\n"
            "keys = %broken\n");
    ck_assert_int_eq(log_count, 0);
}
END_TEST

START_TEST(interp_here_in_file_wins)
{
    load_ok("[DEFAULT]\nhere = /elsewhere\n[ultramigrate]\nbackup_dir = %(here)s/b\n");
    ck_assert_str_eq(cfg.backup_dir, "/elsewhere/b");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Interpolation errors                                                 */
/* ------------------------------------------------------------------ */

START_TEST(interp_error_unknown_name)
{
    load_fails("[ultramigrate]\n\nscript_location = %(nope)s/m\n", 3,
               "key 'script_location': '%(nope)s' names no key");
}
END_TEST

START_TEST(interp_error_loop)
{
    load_fails("[ultramigrate]\na = %(b)s\nb = %(a)s\ntimezone = %(a)s\n", 4,
               "key 'timezone': interpolation is deeper than 10 levels");
}
END_TEST

START_TEST(interp_error_multiplying)
{
    /* found by fuzzing: every level holds its key 16 times, 16^9 bytes */
    char ini[2048] = "[ultramigrate]\na0 = xxxxxxxxxxxxxxxx\n";
    for (int n = 1; n <= 9; n++) {
        char line[256];
        int len = snprintf(line, sizeof(line), "a%d = ", n);
        for (int k = 0; k < 16; k++)
            len += snprintf(line + len, sizeof(line) - (size_t)len, "%%(a%d)s", n - 1);
        snprintf(line + len, sizeof(line) - (size_t)len, "\n");
        strcat(ini, line);
    }
    strcat(ini, "timezone = %(a9)s\n");
    load_fails(ini, 12, "longer than 64 KiB");
}
END_TEST

START_TEST(interp_depth_ten_is_enough)
{
    /* configparser's count: only values holding a '%' are levels */
    static const char *const chain =
        "[ultramigrate]\n"
        "v1 = %(v2)s\nv2 = %(v3)s\nv3 = %(v4)s\nv4 = %(v5)s\nv5 = %(v6)s\n"
        "v6 = %(v7)s\nv7 = %(v8)s\nv8 = %(v9)s\nv9 = %(v10)s\n"
        "timezone = %(v1)s\n";
    char ini[512];
    snprintf(ini, sizeof(ini), "%sv10 = end\n", chain);
    load_ok(ini);
    ck_assert_str_eq(cfg.timezone, "end");
    config_free(&cfg);
    snprintf(ini, sizeof(ini), "%sv10 = %%%%end\n", chain);
    load_fails(ini, 11, "key 'timezone': interpolation is deeper than 10 levels");
}
END_TEST

START_TEST(interp_error_lone_percent)
{
    load_fails("[ultramigrate]\ntimezone = 100%\n", 2, "'%' must be followed by '%' or '('");
    err_clear(&err);
    load_fails("[ultramigrate]\ntimezone = 5%s\n", 2, "must be followed by");
}
END_TEST

START_TEST(interp_error_bad_reference)
{
    load_fails("[ultramigrate]\ntimezone = %(tz\n", 2, "expected %(name)s");
    err_clear(&err);
    load_fails("[ultramigrate]\ntimezone = %(tz)d\n", 2, "expected %(name)s");
    err_clear(&err);
    load_fails("[ultramigrate]\ntimezone = %()s\n", 2, "expected %(name)s");
}
END_TEST

START_TEST(interp_error_hides_password)
{
    /* URL-encoded passwords need "%%" in the ini; the error must not
     * repeat the value */
    load_fails("[alembic]\nsqlalchemy.url = postgresql://u:p%40ss@h/db\n", 2,
               "key 'sqlalchemy.url'");
    ck_assert_ptr_null(strstr(err.d.message, "p%40ss"));
    ck_assert_ptr_null(strstr(err.d.message, "40ss"));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Type errors                                                          */
/* ------------------------------------------------------------------ */

START_TEST(type_bool)
{
    load_fails("[ultramigrate]\n\ntransaction_per_migration = maybe\n", 3,
               "key 'transaction_per_migration': 'maybe' is not a boolean");
}
END_TEST

START_TEST(type_int)
{
    static const char *const bad[] = { "-1", "ten", "1.5", "2147483648", "99999999999999999999",
                                       "+3", "" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char ini[128], text[64];
        snprintf(ini, sizeof(ini), "[alembic]\ntruncate_slug_length = %s\n", bad[i]);
        snprintf(text, sizeof(text), "'%s' is not a whole number", bad[i]);
        load_fails(ini, 2, text);
        err_clear(&err);
    }
}
END_TEST

START_TEST(type_duration)
{
    static const char *const bad[] = { "abc", "-5s", "5 sec", "5S", "1.5s", "s", "" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char ini[128], text[96];
        snprintf(ini, sizeof(ini), "[ultramigrate]\nscript_location = m\nlock_wait = %s\n", bad[i]);
        snprintf(text, sizeof(text),
                 "key 'lock_wait': '%s' is not a duration (e.g. 500ms, 5s, 2min)", bad[i]);
        load_fails(ini, 3, text);
        err_clear(&err);
    }
}
END_TEST

START_TEST(type_duration_overflow)
{
    static const char *const bad[] = { "2147483648", "2147484s", "35792min", "597h",
                                       "99999999999999999999999h" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char ini[128];
        snprintf(ini, sizeof(ini), "[ultramigrate]\nstatement_timeout = %s\n", bad[i]);
        load_fails(ini, 2, "is too long a duration");
        err_clear(&err);
    }
}
END_TEST

/* "[ultramigrate]\nKEY = vvv...\n" with a name of @len bytes (pooled);
 * the name in *@name. */
static const char *ini_with_name(const char *key, size_t len, const char **name)
{
    char v[80];
    memset(v, 'v', len);
    v[len] = '\0';
    *name = pgtest_fmt("%s", v);
    return pgtest_fmt("[ultramigrate]\n%s = %s\n", key, v);
}

START_TEST(type_identifier_length)
{
    const char *name;
    load_ok(ini_with_name("version_table_schema", 63, &name));
    ck_assert_str_eq(cfg.version_table_schema, name);
    config_free(&cfg);
    load_fails(ini_with_name("version_table_schema", 64, &name), 2, "is longer than 63 bytes");
}
END_TEST

/* The names made from version_table ("..._applied_unfinished", 19 bytes
 * more) must fit in 63 bytes: the server would cut them into collisions. */
START_TEST(version_table_leaves_room_for_derived_names)
{
    const char *name;
    load_ok(ini_with_name("version_table", 44, &name));
    ck_assert_str_eq(cfg.version_table, name);
    config_free(&cfg);

    for (size_t len = 45; len <= 63; len += 9) {
        const char *ini = ini_with_name("version_table", len, &name);
        load_fails(ini, 2,
                   pgtest_fmt("key 'version_table': '%s' is %zu bytes: the names made from it (as"
                              " '..._applied_unfinished') would pass PostgreSQL's 63-byte limit;"
                              " use at most 44 bytes",
                              name, len));
        err_clear(&err);
    }
}
END_TEST

START_TEST(type_empty_required)
{
    load_fails("[ultramigrate]\nversion_table =\n", 2, "key 'version_table': '' is empty");
    err_clear(&err);
    load_fails("[alembic]\nscript_location =\n", 2, "key 'script_location': '' is empty");
    err_clear(&err);
    load_fails("[alembic]\nfile_template = \n", 2, "key 'file_template'");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Warnings                                                             */
/* ------------------------------------------------------------------ */

START_TEST(warn_unknown_key)
{
    char expect[PATH_MAX + 64];
    load_ok("[ultramigrate]\n"
            "script_location = m\n"
            "lock_wiat = 5s\n"
            "here = /elsewhere\n" /* read by %(here)s: not called ignored */
            "[alembic]\n"
            "sourceless = false\n"
            "output_encoding = utf-8\n"
            "revision_environment = false\n"
            "version_locations = a b\n"
            "recursive_version_locations = false\n"
            "path_separator = os\n"
            "Colour = blue\n");
    ck_assert_int_eq(log_count, 2);
    snprintf(expect, sizeof(expect), "%s:3: unknown key 'lock_wiat' ignored\n", files[0]);
    ck_assert_ptr_nonnull(strstr(log_text, expect));
    snprintf(expect, sizeof(expect), "%s:12: unknown key 'colour' ignored\n", files[0]);
    ck_assert_ptr_nonnull(strstr(log_text, expect));
}
END_TEST

START_TEST(warn_no_section)
{
    load_ok("[loggers]\nkeys = root\n");
    ck_assert_int_eq(log_count, 1);
    ck_assert_ptr_nonnull(strstr(log_text, "no key in [ultramigrate] or [alembic]"));
    ck_assert_str_eq(cfg.script_location, "migrations");
}
END_TEST

START_TEST(warn_null_logger)
{
    ck_assert_int_eq(config_load(&cfg, write_ini("[alembic]\nx = 1\n"), NULL, NULL, &err), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* URL precedence                                                       */
/* ------------------------------------------------------------------ */

static const char *url_ini = "[ultramigrate]\ndatabase_url = postgresql://file/db\n";

static void load_url(const char *override)
{
    int rc = config_load(&cfg, write_ini(url_ini), override, &logger, &err);
    ck_assert_msg(rc == 0, "%s", err.d.message ? err.d.message : "");
}

START_TEST(url_command_line)
{
    setenv("ULTRAMIGRATE_DATABASE_URL", "postgresql://um/db", 1);
    setenv("DATABASE_URL", "postgresql://env/db", 1);
    load_url("postgresql://cli/db");
    ck_assert_str_eq(cfg.database_url, "postgresql://cli/db");
    ck_assert_str_eq(cfg.url_source, "command line");
}
END_TEST

START_TEST(url_ultramigrate_env)
{
    setenv("ULTRAMIGRATE_DATABASE_URL", "postgresql://um/db", 1);
    setenv("DATABASE_URL", "postgresql://env/db", 1);
    load_url(NULL);
    ck_assert_str_eq(cfg.database_url, "postgresql://um/db");
    ck_assert_str_eq(cfg.url_source, "ULTRAMIGRATE_DATABASE_URL");
}
END_TEST

START_TEST(url_database_url_env)
{
    setenv("ULTRAMIGRATE_DATABASE_URL", "", 1); /* empty: unset */
    setenv("DATABASE_URL", "postgresql://env/db", 1);
    load_url(""); /* empty: unset */
    ck_assert_str_eq(cfg.database_url, "postgresql://env/db");
    ck_assert_str_eq(cfg.url_source, "DATABASE_URL");
}
END_TEST

START_TEST(url_config_file)
{
    setenv("DATABASE_URL", "", 1);
    load_url(NULL);
    ck_assert_str_eq(cfg.database_url, "postgresql://file/db");
    ck_assert_str_eq(cfg.url_source, "config file");
}
END_TEST

START_TEST(url_libpq_environment)
{
    load_ok("[ultramigrate]\nscript_location = m\n");
    ck_assert_ptr_null(cfg.database_url);
    ck_assert_str_eq(cfg.url_source, "libpq environment");
    config_free(&cfg);
    /* an empty key in the file is "not set" too */
    load_ok("[ultramigrate]\ndatabase_url =\n");
    ck_assert_ptr_null(cfg.database_url);
    ck_assert_str_eq(cfg.url_source, "libpq environment");
}
END_TEST

START_TEST(url_env_without_file)
{
    setenv("DATABASE_URL", "postgres://env/db", 1);
    ck_assert_int_eq(config_init_defaults(&cfg, &err), 0);
    ck_assert_str_eq(cfg.database_url, "postgresql://env/db");
    ck_assert_str_eq(cfg.url_source, "DATABASE_URL");
}
END_TEST

/* ------------------------------------------------------------------ */
/* URL schemes                                                          */
/* ------------------------------------------------------------------ */

START_TEST(scheme_normalised)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "postgresql+psycopg2://u@h/db", "postgresql://u@h/db" },
        { "postgresql+psycopg://u@h/db", "postgresql://u@h/db" },
        { "postgresql+asyncpg://h", "postgresql://h" },
        { "postgres://u:pw@h:5433/db?sslmode=require",
          "postgresql://u:pw@h:5433/db?sslmode=require" },
        { "PostgreSQL://h/db", "postgresql://h/db" },
        { "postgresql://h/db", "postgresql://h/db" },
        { "host=h dbname=db", "host=h dbname=db" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_int_eq(config_load(&cfg, NULL, cases[i].in, &logger, &err), 0);
        ck_assert_str_eq(cfg.database_url, cases[i].out);
        config_free(&cfg);
    }
}
END_TEST

START_TEST(scheme_rejected_from_env)
{
    setenv("DATABASE_URL", "mysql://root:hunter2@h/db", 1);
    ck_assert_int_eq(config_load(&cfg, NULL, NULL, &logger, &err), UM_ECONFIG);
    ck_assert_str_eq(err.d.message,
                     "DATABASE_URL: unsupported scheme 'mysql'; ultramigrate needs postgresql://");
    ck_assert_ptr_null(err.d.file);
    ck_assert_ptr_null(cfg.here);
    err_clear(&err);

    ck_assert_int_eq(config_load(&cfg, NULL, "sqlite:///x.db", &logger, &err), UM_ECONFIG);
    ck_assert_str_eq(err.d.message,
                     "command line: unsupported scheme 'sqlite'; ultramigrate needs postgresql://");
}
END_TEST

START_TEST(scheme_rejected_from_file)
{
    load_fails("[alembic]\nscript_location = a\n"
               "sqlalchemy.url = mysql+pymysql://root:hunter2@h/db\n",
               3, "key 'sqlalchemy.url': unsupported scheme 'mysql+pymysql'");
    ck_assert_ptr_null(strstr(err.d.message, "hunter2"));
}
END_TEST

START_TEST(scheme_unused_file_url_not_checked)
{
    /* Alembic's template placeholder is harmless when the URL comes from
     * elsewhere */
    setenv("DATABASE_URL", "postgresql://env/db", 1);
    load_ok("[alembic]\nsqlalchemy.url = driver://user:pass@localhost/dbname\n");
    ck_assert_str_eq(cfg.database_url, "postgresql://env/db");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Redaction                                                            */
/* ------------------------------------------------------------------ */

START_TEST(redact_cases)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "postgresql://user:secret@host/db", "postgresql://user:****@host/db" },
        { "postgresql://user@host/db", "postgresql://user@host/db" },
        { "postgresql://host:5432/db", "postgresql://host:5432/db" },
        { "postgresql://u:p@ss/w@rd@host/db", "postgresql://u:****@host/db" },
        { "postgresql://u:@host/db", "postgresql://u:****@host/db" },
        /* found by fuzzing: a '?' in the password, a bad word in conninfo */
        { "postgresql://u:se?cret@h/db", "postgresql://u:****@h/db" },
        { "postgresql://alice:topsecret/x@h:1/db", "postgresql://alice:****@h:1/db" },
        { "x password=secret", "x password=****" },
        { "postgresql://host/db?user=u&password=x&sslmode=require",
          "postgresql://host/db?user=u&password=****&sslmode=require" },
        { "postgresql://u:s@h/db?password=x", "postgresql://u:****@h/db?password=****" },
        { "host=x password=secret", "host=x password=****" },
        { "password=secret host=x", "password=**** host=x" },
        { "host=x password='a b' dbname=d", "host=x password=**** dbname=d" },
        { "host=x password = 'it\\'s' user=u", "host=x password = **** user=u" },
        { "host=x passwordx=y", "host=x passwordx=y" },
        { "host=x dbname=d", "host=x dbname=d" },
        { "", "" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *r = config_redact_url(cases[i].in);
        ck_assert_ptr_nonnull(r);
        ck_assert_str_eq(r, cases[i].out);
        free(r);
    }
    ck_assert_ptr_null(config_redact_url(NULL));
}
END_TEST

/* ------------------------------------------------------------------ */
/* File errors                                                          */
/* ------------------------------------------------------------------ */

START_TEST(file_missing)
{
    char path[PATH_MAX + 16], expect[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/absent.ini", tmpdir);
    ck_assert_int_eq(config_load(&cfg, path, NULL, &logger, &err), UM_ECONFIG);
    snprintf(expect, sizeof(expect), "%s: cannot read configuration: %s", path, strerror(ENOENT));
    ck_assert_str_eq(err.d.message, expect);
    ck_assert_str_eq(err.d.file, path);
    ck_assert_int_eq(err.d.line, 0);
    ck_assert_ptr_null(cfg.here);
    ck_assert_ptr_null(cfg.script_location);
}
END_TEST

START_TEST(file_is_directory)
{
    ck_assert_int_eq(config_load(&cfg, tmpdir, NULL, &logger, &err), UM_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err.d.message, "cannot read configuration: "));
}
END_TEST

static char *line_of(size_t n)
{
    char *s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    memset(s, 'x', n);
    s[n] = '\0';
    memcpy(s, "timezone = ", 11);
    return s;
}

START_TEST(file_long_line)
{
    char ini[512];
    char *fits = line_of(199), *too_long = line_of(200);

    snprintf(ini, sizeof(ini), "[ultramigrate]\n%s\nlock_retries = 1\n", fits);
    load_ok(ini);
    ck_assert_uint_eq(strlen(cfg.timezone), 199 - strlen("timezone = "));
    ck_assert_int_eq(cfg.lock_retries, 1);
    config_free(&cfg);

    snprintf(ini, sizeof(ini), "[ultramigrate]\n%s", fits); /* no newline at EOF */
    load_ok(ini);
    config_free(&cfg);

    snprintf(ini, sizeof(ini), "[ultramigrate]\n\n%s\nlock_retries = 1\n", too_long);
    load_fails(ini, 3, "line 3 is longer than 199 characters");
    free(fits);
    free(too_long);
}
END_TEST

START_TEST(file_syntax_error)
{
    load_fails("[ultramigrate]\nscript_location = m\n[unterminated\nlock_retries = 1\n", 3,
               "syntax error");
    err_clear(&err);
    load_fails("[ultramigrate]\nno separator here\n", 2, "syntax error");
    err_clear(&err);
    /* the first error in the file wins */
    load_fails("[ultramigrate]\n[bad\nlock_retries = 1\nlock_retries = 2\n", 2, "syntax error");
}
END_TEST

/* ------------------------------------------------------------------ */

static TCase *tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    suite_add_tcase(s, tc);
    return tc;
}

Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc;

    tc = tcase(s, "defaults");
    tcase_add_test(tc, defaults_init);
    tcase_add_test(tc, defaults_null_path);
    tcase_add_test(tc, defaults_free_twice);

    tc = tcase(s, "full_file");
    tcase_add_test(tc, full_every_key);
    tcase_add_test(tc, full_durations);
    tcase_add_test(tc, full_booleans);
    tcase_add_test(tc, full_syntax_details);
    tcase_add_test(tc, full_continuation_lines);
    tcase_add_test(tc, full_continuation_after_ignored_section);

    tc = tcase(s, "sections");
    tcase_add_test(tc, sections_alembic);
    tcase_add_test(tc, sections_ultramigrate_wins);
    tcase_add_test(tc, sections_database_url_wins);
    tcase_add_test(tc, sections_default_fallback);
    tcase_add_test(tc, sections_duplicate_key);
    tcase_add_test(tc, sections_named);

    tc = tcase(s, "interpolation");
    tcase_add_test(tc, interp_here);
    tcase_add_test(tc, interp_here_relative_path);
    tcase_add_test(tc, interp_percent_and_references);
    tcase_add_test(tc, interp_is_lazy);
    tcase_add_test(tc, interp_here_in_file_wins);
    tcase_add_test(tc, interp_depth_ten_is_enough);

    tc = tcase(s, "interpolation_errors");
    tcase_add_test(tc, interp_error_unknown_name);
    tcase_add_test(tc, interp_error_loop);
    tcase_add_test(tc, interp_error_multiplying);
    tcase_add_test(tc, interp_error_lone_percent);
    tcase_add_test(tc, interp_error_bad_reference);
    tcase_add_test(tc, interp_error_hides_password);

    tc = tcase(s, "type_errors");
    tcase_add_test(tc, type_bool);
    tcase_add_test(tc, type_int);
    tcase_add_test(tc, type_duration);
    tcase_add_test(tc, type_duration_overflow);
    tcase_add_test(tc, type_identifier_length);
    tcase_add_test(tc, version_table_leaves_room_for_derived_names);
    tcase_add_test(tc, type_empty_required);

    tc = tcase(s, "warnings");
    tcase_add_test(tc, warn_unknown_key);
    tcase_add_test(tc, warn_no_section);
    tcase_add_test(tc, warn_null_logger);

    tc = tcase(s, "url_precedence");
    tcase_add_test(tc, url_command_line);
    tcase_add_test(tc, url_ultramigrate_env);
    tcase_add_test(tc, url_database_url_env);
    tcase_add_test(tc, url_config_file);
    tcase_add_test(tc, url_libpq_environment);
    tcase_add_test(tc, url_env_without_file);

    tc = tcase(s, "url_scheme");
    tcase_add_test(tc, scheme_normalised);
    tcase_add_test(tc, scheme_rejected_from_env);
    tcase_add_test(tc, scheme_rejected_from_file);
    tcase_add_test(tc, scheme_unused_file_url_not_checked);

    tc = tcase(s, "redaction");
    tcase_add_test(tc, redact_cases);

    tc = tcase(s, "file_errors");
    tcase_add_test(tc, file_missing);
    tcase_add_test(tc, file_is_directory);
    tcase_add_test(tc, file_long_line);
    tcase_add_test(tc, file_syntax_error);

    return s;
}

int main(void)
{
    return pgtest_run_suite(config_suite());
}
