/*
 * check_secrets.c - the CLI never shows a password: not in its arguments
 * while it runs (ps), not when it quotes an option or a target it refuses.
 * No server is needed: the connection attempts go to a dead port.
 */
#include "pgtest.h"

#include "cli.h"
#include "config.h"
#include "redact.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECRET "S3cr3tPw"

/* The masked copy of @arg, pooled. */
static const char *scrubbed(const char *arg)
{
    char *copy = strdup(arg);
    ck_assert_ptr_nonnull(copy);
    cli_scrub_password(copy);
    return pgtest_keep(copy);
}

START_TEST(scrub_every_form)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "postgresql://u:" SECRET "@h:5432/db", "postgresql://u:xxxxxxxx@h:5432/db" },
        { "postgres://u:" SECRET "@h/db?sslmode=require",
          "postgres://u:xxxxxxxx@h/db?sslmode=require" },
        /* an '@' in the password: the userinfo ends at the last '@' */
        { "postgresql://u:p@ss@h/db", "postgresql://u:xxxx@h/db" },
        /* no host: libpq reads a "port", the user meant a password */
        { "postgresql://u:" SECRET, "postgresql://u:xxxxxxxx" },
        { "postgresql://h:5432/db", "postgresql://h:5432/db" },
        { "postgresql://u@h/db", "postgresql://u@h/db" },
        { "postgresql://h/db?user=u&password=" SECRET "&sslmode=disable",
          "postgresql://h/db?user=u&password=xxxxxxxx&sslmode=disable" },
        { "host=h password=" SECRET " dbname=db", "host=h password=xxxxxxxx dbname=db" },
        { "host=h password = '" SECRET " x' dbname=db",
          "host=h password = 'xxxxxxxxxx' dbname=db" },
        { "host=h PASSWORD=" SECRET, "host=h PASSWORD=xxxxxxxx" },
        /* a key=value string whose dbname is itself a URL */
        { "dbname=postgresql://u:" SECRET "@h/db connect_timeout=5",
          "dbname=postgresql://u:xxxxxxxx@h/db connect_timeout=5" },
        { "host=h dbname=db", "host=h dbname=db" },
        /* a query's dbname, percent-decoded by libpq, holding more options */
        { "postgresql://u@/x?host=/n&dbname=postgresql%3A%2F%2Fu%3A" SECRET "%40h%2Fdb",
          "postgresql://u@/x?host=/n&dbname=postgresql%3A%2F%2Fu%3Axxxxxxxx%40h%2Fdb" },
        { "postgresql://u@/x?dbname=host%3D%2Fn%20password%3D" SECRET "&sslmode=disable",
          "postgresql://u@/x?dbname=host%3D%2Fn%20password%3Dxxxxxxxx&sslmode=disable" },
        { "postgresql://u@/x?dbname=host%3Dh%20password%3DS3%63r3tPw",
          "postgresql://u@/x?dbname=host%3Dh%20password%3Dxxxxxxxxxx" },
        /* two levels: the nested URL's own dbname is encoded again */
        { "postgresql://u@/x?dbname=postgresql%3A%2F%2Fu%40%2Fy%3Fdbname%3Dpassword%253D" SECRET,
          "postgresql://u@/x?dbname=postgresql%3A%2F%2Fu%40%2Fy%3Fdbname%3Dpassword%253Dxxxxxxxx" },
        { "postgresql://u@/x?dbname=my%20db", "postgresql://u@/x?dbname=my%20db" },
        /* a quoted dbname URL ends at its quote, a blank may be in it */
        { "host=h dbname='postgresql://u:S3cr 3tPw@h/db' port=5",
          "host=h dbname='postgresql://u:xxxxxxxxx@h/db' port=5" },
        /* a host-less URL inside a message ends at a blank: the rest stays */
        { "cannot connect to postgresql://u:**** (from command line): invalid integer value",
          "cannot connect to postgresql://u:xxxx (from command line): invalid integer value" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_str_eq(scrubbed(cases[i].in), cases[i].out);
}
END_TEST

START_TEST(looks_secret)
{
    ck_assert(cli_looks_secret("postgresql://h/db"));
    ck_assert(cli_looks_secret("host=h Password=x"));
    ck_assert(!cli_looks_secret("--databse-url"));
    ck_assert(!cli_looks_secret("3f1c9a2b7d10"));
    ck_assert(!cli_looks_secret(NULL));
}
END_TEST

/* The text libpq or the server might send back, masked with the
 * passwords of @conninfo (pooled). */
static const char *masked(const char *conninfo, const char *text)
{
    redact_set r = { 0 };
    ck_assert(redact_add_conninfo(&r, conninfo));
    char *out = redact_apply(&r, text);
    redact_free(&r);
    ck_assert_ptr_nonnull(out);
    return pgtest_keep(out);
}

/* Every form a password takes in libpq's and the server's messages. */
START_TEST(redact_every_form)
{
    static const struct {
        const char *conninfo, *text, *out;
    } cases[] = {
        { "postgresql://u:" SECRET "@h/db", "x " SECRET " y", "x **** y" },
        /* no host: libpq's "port" is the password */
        { "postgresql://u:" SECRET, "invalid integer value \"" SECRET "\" for connection option",
          "invalid integer value \"****\" for connection option" },
        /* percent-encoded: libpq decodes it, a server quotes it raw */
        { "postgresql://u:S3%63r3tPw@h/db", "S3cr3tPw and S3%63r3tPw", "**** and ****" },
        { "postgresql://u:S3%63r3tPw", "\"S3cr3tPw\"", "\"****\"" },
        /* a key=value string whose dbname is a URL */
        { "dbname=postgresql://u:" SECRET "@h/db host=h",
          "database \"postgresql://u:" SECRET "@h/db\" does not exist",
          "database \"postgresql://u:****@h/db\" does not exist" },
        { "host=h password='S3cr\\'3t Pw'", "S3cr'3t Pw", "****" },
        { "postgresql://h/db?password=" SECRET "&sslmode=disable", SECRET "&", "****&" },
        /* an '@' or '/' in the password: libpq quotes a piece */
        { "postgresql://u:Pa55@word@h/db", "host name \"word@h\"", "host name \"****@h\"" },
        /* a port is not a password */
        { "postgresql://h:5432/db", "port 5432", "port 5432" },
        { "postgresql://h1:5432,h2:5433/db", "port 5433", "port 5433" },
        { "postgresql://[::1]:5432/db", "port 5432", "port 5432" },
        { "host=h dbname=db", "host=h dbname=db", "host=h dbname=db" },
        /* a long password is masked inside a word too */
        { "postgresql://u:" SECRET "@h/db", "x" SECRET "y", "x****y" },
        /* a short one only where it stands alone: libpq's words stay */
        { "postgresql://app:e@h/app",
          "cannot connect to postgresql://app:e@h/app (from command line): connection to "
          "server failed for user \"app\"",
          "cannot connect to postgresql://app:****@h/app (from command line): connection to "
          "server failed for user \"app\"" },
        { "postgresql://app:e", "invalid integer value \"e\" for connection option \"port\"",
          "invalid integer value \"****\" for connection option \"port\"" },
        /* so is a piece of a password */
        { "postgresql://u:Pa55@word@h/db", "password authentication failed",
          "password authentication failed" },
        /* a query's password ends at '&': the parameters after it are not
         * pieces of it */
        { "postgresql:///d1?user=app&password=wrong&host=127.0.0.1&port=5432",
          "postgresql:///d1?user=app&password=wrong&host=127.0.0.1&port=5432: connection to "
          "server at \"127.0.0.1\", port 5432 failed",
          "postgresql:///d1?user=app&password=****&host=127.0.0.1&port=5432: connection to "
          "server at \"127.0.0.1\", port 5432 failed" },
        /* in a key=value string, '&' is part of the password */
        { "host=h password=a&bcdefgh", "a&bcdefgh", "****" },
        /* a query's dbname, percent-decoded, holding a URL or key=value
         * string with a password */
        { "postgresql://u@/x?host=/n&dbname=postgresql%3A%2F%2Fu%3A" SECRET "%40h%2Fdb",
          "x " SECRET " y", "x **** y" },
        { "postgresql://u@/x?dbname=host%3D%2Fn%20password%3D" SECRET, "\"" SECRET "\"",
          "\"****\"" },
        { "postgresql://u@/x?dbname=host%3Dh%20password%3Dpw", "\"pw\"", "\"****\"" },
        { "postgresql://u@/x?dbname=postgresql%3A%2F%2Fu%40%2Fy%3Fdbname%3Dpassword%253Dpw", "(pw)",
          "(****)" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_str_eq(masked(cases[i].conninfo, cases[i].text), cases[i].out);
}
END_TEST

/* The URL a message shows is masked by its structure, whatever the
 * password's length. */
START_TEST(redact_url_structure)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "postgresql://u:e@h/db", "postgresql://u:****@h/db" },
        { "postgresql://u:" SECRET, "postgresql://u:****" },
        { "postgresql://h:5432/db", "postgresql://h:5432/db" },
        { "postgresql://u@/x?host=/n&dbname=postgresql%3A%2F%2Fu%3Ae%40h%2Fdb",
          "postgresql://u@/x?host=/n&dbname=postgresql%3A%2F%2Fu%3A****%40h%2Fdb" },
        { "postgresql://u@/x?host=/n&dbname=host%3D%2Fn%20password%3De",
          "postgresql://u@/x?host=/n&dbname=host%3D%2Fn%20password%3D****" },
        { "postgresql://u@/x?dbname=my%20db", "postgresql://u@/x?dbname=my%20db" },
        { "dbname=postgresql://u:e@h/db host=h", "dbname=postgresql://u:****@h/db host=h" },
        { "host=h password=e dbname=db", "host=h password=**** dbname=db" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = config_redact_url(cases[i].in);
        ck_assert_ptr_nonnull(out);
        ck_assert_str_eq(out, cases[i].out);
        free(out);
    }
}
END_TEST

/* Runs the CLI with @argv and asserts it exits @status without the
 * secret anywhere in its output. */
static void assert_refused_quietly(const char *const argv[], int status)
{
    pgtest_cli_result r = pgtest_run_cli(NULL, NULL, argv);
    pgtest_assert_status(r, status, argv[0]);
    ck_assert_msg(!strstr(r.out, SECRET) && !strstr(r.err, SECRET), "password shown:\n%s%s", r.out,
                  r.err);
    pgtest_cli_result_free(&r);
}

START_TEST(option_errors_do_not_quote_secrets)
{
    const char *url = "--databse-url=postgresql://u:" SECRET "@h/db";
    assert_refused_quietly((const char *const[]){ url, "status", NULL }, 2);
    assert_refused_quietly((const char *const[]){ "status", url, NULL }, 2);
    assert_refused_quietly((const char *const[]){ "postgresql://u:" SECRET "@h/db", NULL }, 2);
    assert_refused_quietly((const char *const[]){ "--password=" SECRET, "status", NULL }, 2);
}
END_TEST

START_TEST(targets_do_not_quote_secrets)
{
    char *dir = pgtest_tmpdir();
    pgtest_write_ini(dir, "ultramigrate.ini", NULL, NULL);
    pgtest_write_linear_revisions(dir, 1);
    const char *ini = pgtest_fmt("%s/ultramigrate.ini", dir);
    const char *url = "postgresql://u:" SECRET "@h/db";
    assert_refused_quietly((const char *const[]){ "-c", ini, "show", url, NULL }, 5);
    assert_refused_quietly((const char *const[]){ "-c", ini, "show", "password=" SECRET, NULL }, 5);
    pgtest_rmtree(dir);
    free(dir);
}
END_TEST

/* A URL typed where a path, a section, a number or a command belongs was
 * quoted back whole by the message about it (issue 16, outside check). */
START_TEST(misplaced_urls_not_quoted)
{
    char *dir = pgtest_tmpdir();
    pgtest_write_ini(dir, "ultramigrate.ini", NULL, NULL);
    pgtest_write_linear_revisions(dir, 1);
    const char *ini = pgtest_fmt("%s/ultramigrate.ini", dir);
    const char *kv = "host=h password=" SECRET;
    pgtest_write_file(dir, "blocker", "a file, not a directory\n");
    const char *forms[] = { "postgresql://u:" SECRET "@h/db", "postgresql://u:" SECRET, kv };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        const char *url = forms[i];
        assert_refused_quietly((const char *const[]){ "-c", url, "status", NULL }, 3);
        assert_refused_quietly((const char *const[]){ "-c", ini, "-n", url, "status", NULL }, 3);
        assert_refused_quietly((const char *const[]){ "-c", ini, "upgrade", "--wait", url, NULL },
                               2);
        assert_refused_quietly((const char *const[]){ "-c", ini, "backup", "--format", url, NULL },
                               2);
        assert_refused_quietly((const char *const[]){ "help", url, NULL }, 2);
        assert_refused_quietly((const char *const[]){ "-c", ini, "lint", url, NULL }, 1);
        assert_refused_quietly(
            (const char *const[]){ "-c", ini, "verify", "--offline", "-c", url, NULL }, 3);
        assert_refused_quietly((const char *const[]){ "-c", pgtest_fmt("%s/new.ini", dir), "init",
                                                      pgtest_fmt("%s/blocker/%s", dir, url), NULL },
                               2);
    }
    pgtest_rmtree(dir);
    free(dir);
}
END_TEST

/* Runs the CLI in @dir with @argv; asserts it exits @status, shows no
 * SECRET and prints @want on stderr (@json: on stdout). */
static void assert_message(const char *dir, const char *const argv[], int status, const char *want,
                           int json)
{
    pgtest_cli_result r = pgtest_run_cli(dir, NULL, argv);
    pgtest_assert_status(r, status, argv[0]);
    ck_assert_msg(!strstr(r.out, SECRET) && !strstr(r.err, SECRET), "password shown:\n%s%s", r.out,
                  r.err);
    ck_assert_msg(strstr(json ? r.out : r.err, want), "no \"%s\" in:\n%s%s", want, r.out, r.err);
    pgtest_cli_result_free(&r);
}

/* Connection errors keep libpq's words: only the password is masked
 * (defects: "conn****ct" for the password "e", a query's later parameters
 * masked as pieces of its password, a host-less URL's message x'ed out). */
START_TEST(connect_errors_stay_readable)
{
    char *dir = pgtest_tmpdir();
    pgtest_write_ini(dir, "ultramigrate.ini", NULL, NULL);
    pgtest_write_linear_revisions(dir, 1);
    int port = pgtest_dead_port();
    const char *at = pgtest_fmt("connection to server at \"127.0.0.1\", port %d failed", port);
    assert_message(
        dir,
        (const char *const[]){ "-d", pgtest_fmt("postgresql://app:e@127.0.0.1:%d/app", port),
                               "status", NULL },
        6, pgtest_fmt("cannot connect to postgresql://app:xxxx@127.0.0.1:%d/app", port), 0);
    assert_message(dir,
                   (const char *const[]){ "-d",
                                          pgtest_fmt("postgresql://app:e@127.0.0.1:%d/app", port),
                                          "status", NULL },
                   6, at, 0);
    assert_message(dir,
                   (const char *const[]){ "-d",
                                          pgtest_fmt("postgresql:///d1?user=app&password=" SECRET
                                                     "&host=127.0.0.1&port=%d",
                                                     port),
                                          "status", NULL },
                   6, at, 0);
    assert_message(dir, (const char *const[]){ "-d", "postgresql://app:" SECRET, "status", NULL },
                   6, "(from command line): invalid integer value \"****\" for connection option",
                   0);
    pgtest_rmtree(dir);
    free(dir);
}
END_TEST

/* A URL percent-encoded in the query's dbname: libpq decodes it and reads
 * its password (issue: shown in clear on stderr, in health, in ps). */
#define NESTED_URL                                                                                 \
    "postgresql://u@/x?host=/nonexist&dbname=postgresql%3A%2F%2Fu%3A" SECRET "%40h%2Fdb"
#define NESTED_KV "postgresql://u@/x?host=/nonexist&dbname=host%3D%2Fnonexist%20password%3D" SECRET

START_TEST(nested_dbname_not_shown)
{
    char *dir = pgtest_tmpdir();
    pgtest_write_ini(dir, "ultramigrate.ini", NULL, NULL);
    pgtest_write_linear_revisions(dir, 1);
    assert_message(dir, (const char *const[]){ "-d", NESTED_URL, "status", NULL }, 6,
                   "dbname=postgresql%3A%2F%2Fu%3Axxxx%40h%2Fdb (from command line)", 0);
    assert_message(dir, (const char *const[]){ "-d", NESTED_KV, "status", NULL }, 6,
                   "password%3Dxxxx (from command line)", 0);
    assert_message(dir, (const char *const[]){ "--json", "-d", NESTED_URL, "health", NULL }, 14,
                   "dbname=postgresql%3A%2F%2Fu%3A****%40h%2Fdb", 1);
    assert_message(dir, (const char *const[]){ "--json", "-d", NESTED_KV, "health", NULL }, 14,
                   "password%3D****", 1);
    pgtest_rmtree(dir);
    free(dir);
}
END_TEST

/* "init URL" wrote the URL into the config file and made it a directory. */
START_TEST(init_refuses_a_url)
{
    const char *forms[] = { "postgresql://u:" SECRET "@127.0.0.1/d3", "host=h password=" SECRET };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        char *dir = pgtest_tmpdir();
        assert_message(dir, (const char *const[]){ "init", forms[i], NULL }, 2,
                       "use -d URL or DATABASE_URL", 0);
        ck_assert_msg(access(pgtest_fmt("%s/ultramigrate.ini", dir), F_OK) != 0, "ini written");
        ck_assert_msg(access(pgtest_fmt("%s/postgresql:", dir), F_OK) != 0, "directory made");
        pgtest_rmtree(dir);
        free(dir);
    }
    /* a directory that only mentions passwords is one (the files are made,
     * then the database named cannot be reached) */
    char *dir = pgtest_tmpdir();
    pgtest_cli_result r = pgtest_run_cli(dir, pgtest_dead_url(),
                                         (const char *const[]){ "init", "password-store", NULL });
    pgtest_assert_status(r, 6, "init");
    pgtest_cli_result_free(&r);
    ck_assert(access(pgtest_fmt("%s/password-store/versions", dir), F_OK) == 0);
    pgtest_rmtree(dir);
    free(dir);
}
END_TEST

/* A scratch database's connection error said "(from command line)" for
 * the config file's shadow_database_url. */
START_TEST(scratch_url_source_named)
{
    char *dir = pgtest_tmpdir();
    int port = pgtest_dead_port();
    pgtest_write_ini(dir, "ultramigrate.ini", NULL,
                     pgtest_fmt("shadow_database_url = postgresql://u:" SECRET
                                "@127.0.0.1:%d/postgres\nschema_file = schema.sql\n",
                                port));
    pgtest_write_linear_revisions(dir, 1);
    pgtest_write_file(dir, "schema.sql", "CREATE TABLE t (id int);\n");
    assert_message(
        dir,
        (const char *const[]){ "-d", pgtest_fmt("postgresql://u:" SECRET "@127.0.0.1:%d/db", port),
                               "auto", "--dry-run", "m", NULL },
        6,
        pgtest_fmt("scratch database: cannot connect to postgresql://u:xxxx@127.0.0.1:%d/postgres "
                   "(from config file key shadow_database_url)",
                   port),
        0);
    pgtest_rmtree(dir);
    free(dir);
}
END_TEST

/* The arguments of a running process, NULs turned into spaces (pooled). */
static const char *cmdline_of(pid_t pid)
{
    size_t len = 0;
    char *text = pgtest_read_file(pgtest_fmt("/proc/%d/cmdline", (int)pid), &len);
    ck_assert_ptr_nonnull(text);
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\0')
            text[i] = ' ';
    return pgtest_keep(text);
}

/* While the CLI waits for a server, ps shows its -d argument as @masked. */
static void assert_ps_masked(const char *url, const char *masked)
{
    char *dir = pgtest_tmpdir();
    pgtest_write_ini(dir, "ultramigrate.ini", NULL, NULL);
    pgtest_write_linear_revisions(dir, 1);
    const char *argv[] = { "-d", url, "upgrade", "--wait", "20", NULL };
    pid_t pid = pgtest_spawn_cli(dir, NULL, argv);

    /* until the arguments are parsed (seconds on a loaded machine): the
     * process then waits for the server for 20 s */
    const char *seen = "";
    for (int i = 0; i < 1000 && !strstr(seen, masked); i++) {
        usleep(10 * 1000);
        seen = cmdline_of(pid);
    }
    kill(pid, SIGKILL);
    pgtest_wait_child(pid);
    ck_assert_msg(strstr(seen, "upgrade") != NULL, "cmdline: %s", seen);
    ck_assert_msg(strstr(seen, SECRET) == NULL, "ps shows the password: %s", seen);
    ck_assert_msg(strstr(seen, masked) != NULL, "cmdline: %s", seen);
    pgtest_rmtree(dir);
    free(dir);
}

START_TEST(ps_does_not_show_the_password)
{
    assert_ps_masked(pgtest_fmt("postgresql://u:" SECRET "@127.0.0.1:%d/db", pgtest_dead_port()),
                     "postgresql://u:xxxxxxxx@127.0.0.1");
    assert_ps_masked(NESTED_URL, "dbname=postgresql%3A%2F%2Fu%3Axxxxxxxx%40h%2Fdb upgrade");
    assert_ps_masked(NESTED_KV, "password%3Dxxxxxxxx upgrade");
}
END_TEST

static Suite *secrets_suite(void)
{
    Suite *s = suite_create("secrets");
    TCase *tc = tcase_create("scrub");
    tcase_add_test(tc, scrub_every_form);
    tcase_add_test(tc, looks_secret);
    tcase_add_test(tc, redact_every_form);
    tcase_add_test(tc, redact_url_structure);
    suite_add_tcase(s, tc);
    tc = tcase_create("cli");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, option_errors_do_not_quote_secrets);
    tcase_add_test(tc, targets_do_not_quote_secrets);
    tcase_add_test(tc, misplaced_urls_not_quoted);
    tcase_add_test(tc, ps_does_not_show_the_password);
    tcase_add_test(tc, connect_errors_stay_readable);
    tcase_add_test(tc, nested_dbname_not_shown);
    tcase_add_test(tc, init_refuses_a_url);
    tcase_add_test(tc, scratch_url_source_named);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return pgtest_run_suite(secrets_suite());
}
