/*
 * check_hostile.c - what a hostile user or a failing environment does to
 * the engine, against a real PostgreSQL: passwords in every form that
 * libpq and the server quote back, files that are not files, huge or
 * binary, names that are not UTF-8, a health probe behind a lock, names
 * too long for the server, a connection lost mid-run.  Each test fails on
 * the engine that had the defect.
 */
#define PGTEST_SHORT_NAMES
#include "pgtest.h"

#include <ultramigrate/ultramigrate.h>

#include <check.h>
#include <jansson.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET "S3cr3tPw"
/* SECRET with its 'c' percent-encoded, as a URL may carry it */
#define SECRET_ENCODED "S3%63r3tPw"

/* ------------------------------------------------------------------ */
/* Passwords                                                            */
/* ------------------------------------------------------------------ */

/* The value of libpq keyword @key in @url (pooled; "" when unset). */
static const char *url_param(const char *url, const char *key)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &err);
    ck_assert_msg(opts != NULL, "%s", err ? err : "out of memory");
    const char *found = "";
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, key) == 0 && o->val)
            found = pgtest_fmt("%s", o->val);
    PQconninfoFree(opts);
    return found;
}

/* A key=value string for the test's server and role whose dbname is
 * @dbname (the server quotes it back: "database ... does not exist"). */
static const char *keyvalue_url(const char *dbname)
{
    return pgtest_fmt("host='%s' port='%s' user='%s' dbname='%s' connect_timeout=5",
                      url_param(db_url, "host"), url_param(db_url, "port"),
                      url_param(db_url, "user"), dbname);
}

static void assert_no_secret(const char *what, const char *text)
{
    ck_assert_msg(!strstr(text, SECRET) && !strstr(text, SECRET_ENCODED),
                  "%s shows the password:\n%s", what, text);
}

/* Runs the CLI with @argv and asserts it exits @status, the password
 * nowhere in what it printed. */
static void cli_quiet(const char *env_url, const char *const argv[], int status)
{
    pgtest_cli_result r = pgtest_run_cli(proj_dir, env_url, argv);
    pgtest_assert_status(r, status, pgtest_fmt("%s %s", argv[1], argv[2]));
    assert_no_secret("stdout", r.out);
    assert_no_secret("stderr", r.err);
    pgtest_cli_result_free(&r);
}

/* Every log line, for the password test. */
static void collect_log(um_log_level level, const char *msg, void *payload)
{
    (void)level;
    strncat(payload, msg, 16383 - strlen(payload));
    strncat(payload, "\n", 16383 - strlen(payload));
}

/* Through the API: an upgrade with @url fails with @code (UM_ERROR: any
 * failure to connect); neither the
 * message, the error's fields nor any log line shows the password. */
static void api_quiet(const char *url, int code)
{
    static char log[16384];
    log[0] = '\0';
    um_ctx *ctx = open_with(url, NULL, collect_log, log);
    um_apply_options o = UM_APPLY_OPTIONS_INIT;
    int rc = um_upgrade(ctx, "head", &o);
    ck_assert_msg(code == UM_ERROR ? rc == UM_ECONNECT || rc == UM_EAUTH : rc == code,
                  "upgrade -> %d, expected %d", rc, code);
    const um_error_info *d = um_error_detail(ctx);
    assert_no_secret("um_errmsg", um_errmsg(ctx));
    assert_no_secret("detail", d->detail ? d->detail : "");
    assert_no_secret("hint", d->hint ? d->hint : "");
    assert_no_secret("the log", log);
    um_health h = UM_HEALTH_INIT;
    um_health_snapshot(&h, ctx);
    assert_no_secret("health", h.message);
    um_close(ctx);
}

/* The forms of a URL whose password libpq or the server quotes back. */
START_TEST(password_never_shown_when_connecting)
{
    write_linear(1);
    const char *forms[] = {
        /* no host: libpq reads the password as a port and quotes it */
        "postgresql://u:" SECRET,
        "postgresql://u:" SECRET_ENCODED,
        /* a key=value string whose dbname is a URL: quoted as a name */
        keyvalue_url("postgresql://u:" SECRET "@h/db"),
        keyvalue_url("postgresql://u:" SECRET_ENCODED "@h/db"),
        keyvalue_url("postgresql://h/db?password=" SECRET),
        /* an '@' in the password: libpq quotes a piece as a host name */
        "postgresql://u:" SECRET "@" SECRET "@nohost.invalid/db?connect_timeout=5",
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        cli_quiet(NULL, (const char *const[]){ "-d", forms[i], "upgrade", NULL }, 6);
        cli_quiet(NULL, (const char *const[]){ "-d", forms[i], "status", "--json", NULL }, 6);
        /* 14: unreachable, as a probe says it */
        cli_quiet(forms[i], (const char *const[]){ "-c", ini_path, "health", "--json", NULL }, 14);
        api_quiet(forms[i], UM_ERROR);
    }
}
END_TEST

/* A revision that sends the password back in a warning and in its error
 * (message, detail and hint), built so that its text does not hold it. */
static void write_echoing_revision(void)
{
    write_rev("a1", NULL,
              "DO $$ BEGIN RAISE WARNING 'echo %', 'S3cr' || '3tPw'; END $$;\n"
              "DO $$ BEGIN RAISE EXCEPTION 'is %', 'S3cr' || '3tPw' USING DETAIL = 'S3cr' || "
              "'3tPw', HINT = 'S3cr' || '3tPw'; END $$;\n",
              NULL);
}

/* The server's messages are masked with every password the engine knows
 * of: the URL's (as typed, percent-decoded, as a key), PGPASSWORD's, and
 * a passfile's. */
START_TEST(password_never_shown_in_server_messages)
{
    write_echoing_revision();
    const char *with_password[] = {
        pgtest_keep(pgtest_url_set(db_url, "password", SECRET)),
        pgtest_fmt("%s password=" SECRET, keyvalue_url(url_param(db_url, "dbname"))),
        pgtest_fmt("postgresql://%s:%s@/%s?host=%s&port=%s", url_param(db_url, "user"),
                   SECRET_ENCODED, url_param(db_url, "dbname"), url_param(db_url, "host"),
                   url_param(db_url, "port")),
    };
    for (size_t i = 0; i < sizeof(with_password) / sizeof(with_password[0]); i++) {
        cli_quiet(NULL, (const char *const[]){ "-d", with_password[i], "upgrade", NULL }, 8);
        cli_quiet(NULL, (const char *const[]){ "-d", with_password[i], "upgrade", "--json", NULL },
                  8);
        api_quiet(with_password[i], UM_ESQL);
    }

    setenv("PGPASSWORD", SECRET, 1);
    cli_quiet(db_url, (const char *const[]){ "-c", ini_path, "upgrade", "--json", NULL }, 8);
    api_quiet(db_url, UM_ESQL);
    unsetenv("PGPASSWORD");

    const char *passfile = pgtest_fmt("%s/pgpass", proj_dir);
    pgtest_write_file(proj_dir, "pgpass", "*:*:*:*:" SECRET "\n");
    ck_assert_int_eq(chmod(passfile, 0600), 0);
    setenv("PGPASSFILE", passfile, 1);
    cli_quiet(db_url, (const char *const[]){ "-c", ini_path, "upgrade", NULL }, 8);
    api_quiet(db_url, UM_ESQL);
    unsetenv("PGPASSFILE");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Files that are not files, too big, binary, badly named               */
/* ------------------------------------------------------------------ */

/* Runs the CLI in the project; it must exit @status within @max_ms with
 * @needle in its error output. */
static void cli_refuses(const char *const argv[], int status, double max_ms, const char *needle)
{
    double t0 = pgtest_now_ms();
    pgtest_cli_result r = pgtest_run_cli(proj_dir, NULL, argv);
    double ms = pgtest_now_ms() - t0;
    pgtest_assert_status(r, status, argv[0]);
    ck_assert_msg(strstr(r.err, needle) != NULL, "stderr lacks '%s':\n%s", needle, r.err);
    ck_assert_msg(ms < max_ms, "%s took %.0f ms", argv[0], ms);
    pgtest_cli_result_free(&r);
}

static const char *versions_path(const char *name)
{
    return pgtest_fmt("%s/migrations/versions/%s", proj_dir, name);
}

/* A FIFO blocked open() forever; a link to /dev/zero was read until
 * memory ran out: neither is a regular file. */
START_TEST(revision_not_a_regular_file)
{
    write_linear(2);
    ck_assert_int_eq(mkfifo(versions_path("fifo.sql"), 0600), 0);
    const char *const heads[] = { "-c", ini_path, "heads", NULL };
    cli_refuses(heads, 4, 5000, "fifo.sql: cannot read: it is a FIFO, not a regular file");
    cli_refuses((const char *const[]){ "-c", ini_path, "-d", db_url, "upgrade", NULL }, 4, 5000,
                "fifo.sql: cannot read: it is a FIFO");
    unlink(versions_path("fifo.sql"));

    ck_assert_int_eq(symlink("/dev/zero", versions_path("zero.sql")), 0);
    cli_refuses(heads, 4, 5000, "zero.sql: cannot read: it is a character device");
    unlink(versions_path("zero.sql"));
    ck_assert_int_eq(symlink("/dev/zero", pgtest_fmt("%s/zero.ini", proj_dir)), 0);
    cli_refuses((const char *const[]){ "-c", pgtest_fmt("%s/zero.ini", proj_dir), "heads", NULL },
                3, 5000, "zero.ini: cannot read configuration: it is a character device");
    cli_refuses((const char *const[]){ "-c", "/dev/zero", "heads", NULL }, 3, 5000,
                "/dev/zero: cannot read configuration: it is a character device");
    ck_assert_int_eq(mkfifo(pgtest_fmt("%s/fifo.ini", proj_dir), 0600), 0);
    cli_refuses((const char *const[]){ "-c", pgtest_fmt("%s/fifo.ini", proj_dir), "heads", NULL },
                3, 5000, "fifo.ini: cannot read configuration: it is a FIFO");
}
END_TEST

/* Creates @path of @size bytes (sparse: zeros) with @head at its start. */
static void write_sized(const char *path, const char *head, off_t size)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(head, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(truncate(path, size), 0);
}

/* Over the cap (64 MB a revision, 1 MB the configuration): refused from
 * its size, before a byte is read; binary content is found in the first
 * block, not after reading the whole file. */
START_TEST(huge_and_binary_files)
{
    write_linear(1);
    const char *const heads[] = { "-c", ini_path, "heads", NULL };
    write_sized(versions_path("huge.sql"), "-- Revision ID: huge\n", ((off_t)64 << 20) + 1);
    cli_refuses(heads, 4, 2000, "huge.sql: is 67108865 bytes, more than the 64 MB");
    /* 60 MB, binary from byte 21: refused before it is all read */
    write_sized(versions_path("huge.sql"), "-- Revision ID: huge\n", (off_t)60 << 20);
    cli_refuses(heads, 4, 2000, "huge.sql:2: not a text file (binary content at byte 21)");
    unlink(versions_path("huge.sql"));

    const char *big_ini = pgtest_fmt("%s/big.ini", proj_dir);
    write_sized(big_ini, "[ultramigrate]\n", ((off_t)1 << 20) + 1);
    cli_refuses((const char *const[]){ "-c", big_ini, "heads", NULL }, 3, 2000,
                "big.ini: is 1048577 bytes, more than the 1 MB");
}
END_TEST

/* A line of binary bytes in the configuration was accepted silently. */
START_TEST(config_line_of_binary_bytes)
{
    write_linear(1);
    pgtest_write_file(proj_dir, "bin.ini",
                      "[ultramigrate]\nscript_location = migrations\n\x01\xff\xfe = \x80\n");
    cli_refuses((const char *const[]){ "-c", pgtest_fmt("%s/bin.ini", proj_dir), "heads", NULL }, 3,
                5000, "bin.ini:3: not a text file (binary content at byte 45)");
}
END_TEST

/* A file name that is not UTF-8 made every --json command fail with "out
 * of memory" (Jansson refuses it): it is refused at load, by every
 * command, the name escaped. */
START_TEST(revision_name_not_utf8)
{
    write_linear(1);
    pgtest_write_file(pgtest_fmt("%s/migrations/versions", proj_dir), "r\xff\xfe.sql",
                      "-- Revision ID: odd\n-- Revises: r1\n-- migrate:up\nSELECT 1;\n");
    const char *needle = "r\\xff\\xfe.sql: file name is not UTF-8 (byte 0xff at offset 1";
    const char *cmds[][6] = {
        { "-c", ini_path, "heads", "--json", NULL },
        { "-c", ini_path, "history", "--json", NULL },
        { "-c", ini_path, "-d", db_url, "status", "--json" },
        { "-c", ini_path, "-d", db_url, "upgrade", NULL },
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        const char *argv[7] = { 0 };
        memcpy(argv, cmds[i], sizeof(cmds[i]));
        cli_refuses(argv, 4, 5000, needle);
    }
    ck_assert(!table_exists("ultramigrate_version")); /* nothing ran */
}
END_TEST

/* ------------------------------------------------------------------ */
/* A health probe behind a lock                                         */
/* ------------------------------------------------------------------ */

/* Another session holding an ACCESS EXCLUSIVE lock on the applied table,
 * in a transaction left open. */
static PGconn *lock_applied_table(void)
{
    PGconn *c = PQconnectdb(db_url);
    ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
    PGresult *r =
        PQexec(c, "BEGIN; LOCK TABLE ultramigrate_version_applied IN ACCESS EXCLUSIVE MODE");
    ck_assert_int_eq(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    return c;
}

/* A snapshot on @ctx: how long it took, and its status. */
static um_health timed_snapshot(um_ctx *ctx, double *ms)
{
    um_health h = UM_HEALTH_INIT;
    double t0 = pgtest_now_ms();
    PGTEST_CHECK_OK(ctx, um_health_snapshot(&h, ctx));
    *ms = pgtest_now_ms() - t0;
    return h;
}

/* It waited 29 s behind the lock; now each of its queries has
 * health_timeout (default 2 s) and the snapshot says why it gave up. */
START_TEST(health_answers_behind_a_lock)
{
    write_linear(2);
    um_ctx *ctx = open_engine();
    um_apply_options o = UM_APPLY_OPTIONS_INIT;
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "head", &o));
    um_close(ctx);

    PGconn *holder = lock_applied_table();
    double ms;
    ctx = open_engine();
    um_health h = timed_snapshot(ctx, &ms);
    ASSERT_STATUS(h, UM_HEALTH_UNREACHABLE);
    ASSERT_MESSAGE_HAS(h, "no answer within 2000 ms (health_timeout)");
    ck_assert_msg(ms >= 1900 && ms < 6000, "the default snapshot took %.0f ms", ms);
    um_close(ctx);

    write_ini("health_timeout = 300ms\n");
    ctx = open_engine();
    h = timed_snapshot(ctx, &ms);
    ASSERT_STATUS(h, UM_HEALTH_UNREACHABLE);
    ASSERT_MESSAGE_HAS(h, "no answer within 300 ms (health_timeout)");
    ck_assert_msg(ms < 3000, "the snapshot took %.0f ms", ms);

    double t0 = pgtest_now_ms();
    pgtest_cli_result r = pgtest_run_cli(
        proj_dir, NULL,
        (const char *const[]){ "-c", ini_path, "-d", db_url, "health", "--json", NULL });
    pgtest_assert_status(r, 14, "health --json behind a lock");
    ck_assert_msg(strstr(r.out, "health_timeout") != NULL, "%s", r.out);
    ck_assert_msg(pgtest_now_ms() - t0 < 5000, "health took %.0f ms", pgtest_now_ms() - t0);
    pgtest_cli_result_free(&r);

    /* the lock gone, the same handle answers again */
    PQfinish(holder);
    h = timed_snapshot(ctx, &ms);
    ASSERT_STATUS(h, UM_HEALTH_OK);
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Messages that tell the truth                                         */
/* ------------------------------------------------------------------ */

/* What the CLI prints on a terminal (a pseudo-terminal), both streams. */
static const char *cli_on_terminal(const char *const argv[])
{
    int master;
    pid_t pid = forkpty(&master, NULL, NULL, NULL);
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        pgtest_child_env(proj_dir, NULL);
        const char *args[16] = { pgtest_env("UM_CLI") };
        for (int i = 0; argv[i] && i < 14; i++)
            args[i + 1] = argv[i];
        execv(args[0], (char *const *)args);
        _exit(127);
    }
    char buf[4096];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof(buf) - 1 && (n = read(master, buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    close(master);
    pgtest_wait_child(pid);
    return pgtest_fmt("%s", buf);
}

/* A revision's message with terminal controls (clear screen, a title,
 * a C1 CSI) was printed raw; on a terminal each is shown as \xHH. */
START_TEST(control_characters_escaped_on_a_terminal)
{
    pgtest_write_file(pgtest_fmt("%s/migrations/versions", proj_dir), "r1_evil.sql",
                      "-- evil\x1b[2J\x1b]0;pwned\x07 \xc2\x9b"
                      "31m\n-- Revision ID: r1\n"
                      "-- Revises:\n-- Message: evil\x1b[2J\x1b]0;pwned\x07 \xc2\x9b"
                      "31m\n"
                      "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n");
    const char *seen =
        cli_on_terminal((const char *const[]){ "-c", ini_path, "history", "--revisions", NULL });
    ck_assert_msg(strstr(seen, "evil\\x1b[2J\\x1b]0;pwned\\x07 \\xc2\\x9b31m") != NULL, "%s", seen);
    ck_assert_msg(strchr(seen, '\x1b') == NULL && strchr(seen, '\x07') == NULL, "%s", seen);
    seen = cli_on_terminal(
        (const char *const[]){ "-c", ini_path, "-d", db_url, "upgrade", "--no-backup", NULL });
    ck_assert_msg(strstr(seen, "-> r1, evil\\x1b[2J") != NULL, "%s", seen);
    ck_assert_msg(strchr(seen, '\x1b') == NULL, "%s", seen);

    /* through a pipe (a log, a script) the message is left as written */
    seen = cli_on_terminal((const char *const[]){ "-c", ini_path, "show", "r1", NULL });
    ck_assert_msg(strstr(seen, "    evil\\x1b[2J") != NULL, "%s", seen);
    ck_assert_msg(strchr(seen, '\x1b') == NULL, "%s", seen);
    pgtest_cli_result r = pgtest_run_cli(
        proj_dir, NULL, (const char *const[]){ "-c", ini_path, "history", "--revisions", NULL });
    ck_assert_msg(strstr(r.out, "evil\x1b[2J") != NULL, "%s", r.out);
    pgtest_cli_result_free(&r);
}
END_TEST

/* Losing the connection mid-run exited 6, "cannot connect": it is
 * UM_ECONNLOST, exit 19, and the message says the connection was lost. */
START_TEST(connection_lost_mid_run)
{
    write_rev("r1", NULL, "CREATE TABLE t1 (id int);", "DROP TABLE t1;");
    write_rev("r2", "r1", "SELECT pg_terminate_backend(pg_backend_pid());", "SELECT 1;");
    pgtest_cli_result r = pgtest_run_cli(
        proj_dir, NULL, (const char *const[]){ "-c", ini_path, "-d", db_url, "upgrade", NULL });
    pgtest_assert_status(r, 19, "upgrade losing its connection");
    ck_assert_msg(strstr(r.err, "the connection to the database was lost") != NULL, "%s", r.err);
    pgtest_cli_result_free(&r);
    ck_assert_str_eq(versions(), "r1");

    um_ctx *ctx = open_engine();
    um_apply_options o = UM_APPLY_OPTIONS_INIT;
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "head", &o), UM_ECONNLOST);
    ck_assert_str_eq(um_strerror(UM_ECONNLOST), "the connection to the database was lost");
    um_close(ctx);
}
END_TEST

/* Whether a backend of the test database runs pg_sleep. */
static bool sleeping_backend(void)
{
    return strcmp(pgtest_query_text(db_url,
                                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                                    "'%%pg_sleep(30)%%' AND state = 'active' "
                                    "AND datname = current_database() AND pid <> pg_backend_pid()"),
                  "0") != 0;
}

/* A hangup (terminal closed, ssh dropped) killed the CLI while its
 * backend went on with the revision, holding the migration lock: it
 * cancels the run as SIGTERM does. */
START_TEST(hangup_cancels_the_run)
{
    write_rev("r1", NULL, "SELECT pg_sleep(30);", "SELECT 1;");
    pid_t pid = pgtest_spawn_cli(
        proj_dir, NULL, (const char *const[]){ "-c", ini_path, "-d", db_url, "upgrade", NULL });
    for (int i = 0; i < 500 && !sleeping_backend(); i++)
        usleep(10 * 1000);
    ck_assert_msg(sleeping_backend(), "the revision never started");
    kill(pid, SIGHUP);
    ck_assert_int_eq(pgtest_wait_child(pid), 8);
    for (int i = 0; i < 100 && sleeping_backend(); i++)
        usleep(10 * 1000);
    ck_assert_msg(!sleeping_backend(), "the revision still runs after the hangup");
    ck_assert_str_eq(versions(), "");
}
END_TEST

/* status --wait, interrupted while the database does not answer, died
 * of the signal without a word (status 143): it cancels the wait and
 * says so, exit 8, as upgrade --wait does. */
START_TEST(interrupted_status_wait_says_so)
{
    write_linear(1);
    pid_t pid = pgtest_spawn_cli(proj_dir, NULL,
                                 (const char *const[]){ "-c", ini_path, "-d", pgtest_dead_url(),
                                                        "status", "--wait", "30", NULL });
    usleep(300 * 1000); /* into the wait */
    kill(pid, SIGTERM);
    ck_assert_int_eq(pgtest_wait_child(pid), 8);
    char *err = pgtest_read_file(pgtest_fmt("%s/background.err", proj_dir), NULL);
    ck_assert_msg(err && strstr(err, "cancelled"), "%s", err ? err : "(no stderr)");
    free(err);
}
END_TEST

/* version_table_schema = pg_catalog exited 8, "a revision failed": the
 * bookkeeping cannot be kept there, and the message names the schema. */
START_TEST(bookkeeping_schema_refused)
{
    write_linear(1);
    write_ini("version_table_schema = pg_catalog\n");
    pgtest_cli_result r = pgtest_run_cli(
        proj_dir, NULL, (const char *const[]){ "-c", ini_path, "-d", db_url, "upgrade", NULL });
    pgtest_assert_status(r, 20, "upgrade with version_table_schema = pg_catalog");
    ck_assert_msg(strstr(r.err, "schema \"pg_catalog\" (version_table_schema)") != NULL, "%s",
                  r.err);
    pgtest_cli_result_free(&r);

    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "head", NULL), UM_EBOOKKEEPING);
    ck_assert_str_eq(um_error_detail(ctx)->sqlstate, "42501");
    um_close(ctx);
    ck_assert(!table_exists("r1_table"));
}
END_TEST

/* An unterminated comment, string or quoted identifier swallowed the
 * engine's bookkeeping statement, which the error then quoted: the error
 * is the revision's, at its line, quoting its SQL, found before anything
 * runs. */
START_TEST(unterminated_token_quotes_the_revision)
{
    static const struct {
        const char *sql, *needle;
    } cases[] = {
        { "CREATE TABLE t1 (id int);\n/* no end\nSELECT 1;\n", "unterminated /* comment" },
        { "CREATE TABLE t1 (id int);\nSELECT 'no end;\n", "unterminated quoted string" },
        { "CREATE TABLE t1 (id int);\nSELECT $$no end;\n", "unterminated dollar-quoted string" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_rev("r1", NULL, cases[i].sql, "DROP TABLE t1;");
        um_ctx *ctx = open_engine();
        PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "head", NULL), UM_EPARSE);
        const um_error_info *d = um_error_detail(ctx);
        ck_assert_msg(strstr(d->message, cases[i].needle) != NULL, "%s", d->message);
        ck_assert_msg(strstr(d->message, "nothing was run") != NULL, "%s", d->message);
        ck_assert_msg(strstr(d->message, "EXECUTE") == NULL &&
                          strstr(d->message, "ultramigrate_") == NULL,
                      "%s", d->message);
        ck_assert_int_eq(d->line, line_of("r1", "no end"));
        ck_assert_str_eq(d->sqlstate, "42601");
        um_close(ctx);
        ASSERT_NO_TABLE("t1");
    }
}
END_TEST

/* init --json said "script_location": null after creating it. */
START_TEST(init_json_names_the_location)
{
    pgtest_cli_result r =
        pgtest_run_cli(proj_dir, NULL, (const char *const[]){ "init", "--json", NULL });
    pgtest_assert_status(r, 0, "init --json");
    json_t *j = pgtest_json_parse(r.out);
    char *real = realpath(proj_dir, NULL);
    ck_assert_str_eq(jstr(j, "script_location"), pgtest_fmt("%s/migrations", real));
    free(real);
    json_decref(j);
    pgtest_cli_result_free(&r);

    r = pgtest_run_cli(proj_dir, NULL,
                       (const char *const[]){ "-c", "other.ini", "init", "db", "--json", NULL });
    pgtest_assert_status(r, 0, "init db --json");
    j = pgtest_json_parse(r.out);
    ck_assert_str_eq(jstr(j, "script_location"), "db");
    json_decref(j);
    pgtest_cli_result_free(&r);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *hostile_suite(void)
{
    Suite *s = suite_create("hostile");

    PGTEST_ADD_TESTS(tcase(s, "passwords"), password_never_shown_when_connecting,
                     password_never_shown_in_server_messages);

    PGTEST_ADD_TESTS(tcase(s, "files"), revision_not_a_regular_file, huge_and_binary_files,
                     config_line_of_binary_bytes, revision_name_not_utf8);

    PGTEST_ADD_TESTS(tcase(s, "health"), health_answers_behind_a_lock);

    PGTEST_ADD_TESTS(tcase(s, "messages"), control_characters_escaped_on_a_terminal,
                     connection_lost_mid_run, bookkeeping_schema_refused,
                     unterminated_token_quotes_the_revision, hangup_cancels_the_run,
                     interrupted_status_wait_says_so);

    PGTEST_ADD_TESTS(pgtest_add_tcase(s, "init", setup_bare, teardown, 60),
                     init_json_names_the_location);

    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(hostile_suite());
}
