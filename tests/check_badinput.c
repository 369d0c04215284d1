/*
 * check_badinput.c - every bad input an operator can hand the library, one
 * row of a table each: the files (and configuration, and URL) written, the
 * API call that must fail, its exact UM_E* code, what the message must name
 * (file, "file:LINE:", revision), and that the database is left as it was.
 */
#define PGTEST_SHORT_NAMES
#include "pgtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ultramigrate/ultramigrate.h>

/* ------------------------------------------------------------------ */
/* Revision file texts                                                  */
/* ------------------------------------------------------------------ */

/*
 * A revision file with a fixed layout, so that line numbers are known:
 *   1 -- MSG   2 --   3 -- Revision ID   4 -- Revises   5 (blank)
 *   6 -- migrate:up   7... BODY
 */
#define REV(msg, id, revises, body)                                                                \
    "-- " msg "\n--\n-- Revision ID: " id "\n-- Revises: " revises "\n\n"                          \
    "-- migrate:up\n" body

/* As REV, with a down section after the up body. */
#define REV_DOWN(msg, id, revises, up, down) REV(msg, id, revises, up) "\n-- migrate:down\n" down

#define ID_A "aaaa00000001"
#define ID_B "bbbb00000002"
#define ID_C "cccc00000003"

#define VERSIONS "migrations/versions/"

/* Three bytes of NUL and control characters after valid text: line 5. */
static const char binary_rev[] = "-- Binary\n-- Revision ID: " ID_A "\n-- migrate:up\nSELECT 1;\n"
                                 "\0\0\x01\x02garbage\n";

/* ------------------------------------------------------------------ */
/* The table                                                            */
/* ------------------------------------------------------------------ */

typedef struct file_spec {
    const char *name;    /* relative to the project directory */
    const char *content; /* NULL (in post): remove the file */
    size_t len;          /* 0: strlen(content) */
} file_spec;

enum url_kind {
    URL_DB = 0,         /* the test's own fresh database, as database_url */
    URL_LITERAL,        /* case->url as database_url */
    URL_ENV,            /* case->url in DATABASE_URL, database_url NULL */
    URL_DEAD_PORT,      /* a TCP port nothing listens on, with a password */
    URL_WRONG_PASSWORD, /* the real server over TCP, with a wrong password */
};

enum prep_kind {
    PREP_NONE = 0, /* fresh, empty database */
    PREP_SCHEMA,   /* bookkeeping tables created (um_ensure_schema) */
    PREP_UPGRADE,  /* um_upgrade(prep_target) with the initial files */
};

enum call_kind {
    CALL_OPEN = 0, /* um_open itself fails */
    CALL_UPGRADE,  /* um_upgrade(target) */
    CALL_ROLLBACK, /* um_rollback(target) */
};

#define MAX_FILES 4
#define MAX_HAS   4

typedef struct bad_case {
    const char *name;
    file_spec files[MAX_FILES];  /* written before everything */
    const char *ini;             /* ultramigrate.ini content, NULL: none */
    const char *config_name;     /* config_path relative to the project
                                       (NULL: "ultramigrate.ini" when ini) */
    const char *script_location; /* relative; NULL: "migrations" when
                                       there is no ini */
    enum url_kind url_kind;
    const char *url;
    enum prep_kind prep;
    const char *prep_target;
    file_spec post[MAX_FILES]; /* written (or removed) after prep */
    enum call_kind call;
    const char *target;
    /* Expectations. */
    int code;
    const char *has[MAX_HAS]; /* substrings of um_errmsg() */
    const char *file;         /* detail->file ends with it */
    int line;                 /* detail->line (and "file:LINE:"); 0: none */
    const char *revision;     /* detail->revision */
    const char *sqlstate;     /* detail->sqlstate */
    const char *secret;       /* must appear in no message or log */
    int before_connect;       /* no bookkeeping table may appear */
} bad_case;

#define INI_HEAD "[ultramigrate]\nscript_location = %(here)s/migrations\n"

static const bad_case cases[] = {
    /* ---- the revision graph ---------------------------------------- */
    {
        .name = "cycle",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, ID_B, "SELECT 1;\n"), 0 },
                   { VERSIONS "b.sql", REV("B", ID_B, ID_A, "SELECT 1;\n"), 0 } },
        .call = CALL_OPEN,
        .code = UM_EGRAPH,
        .has = { "cycle", ID_A, ID_B },
        .before_connect = 1,
    },
    {
        .name = "duplicate_revision_id",
        .files = { { VERSIONS "one.sql", REV("One", ID_A, "", "SELECT 1;\n"), 0 },
                   { VERSIONS "two.sql", REV("Two", ID_A, "", "SELECT 2;\n"), 0 } },
        .call = CALL_OPEN,
        .code = UM_EGRAPH,
        .has = { "one.sql", "two.sql", "twice" },
        .revision = ID_A,
        .before_connect = 1,
    },
    {
        .name = "missing_parent",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "SELECT 1;\n"), 0 },
                   { VERSIONS "b.sql", REV("B", ID_B, "dddd99999999", "SELECT 1;\n"), 0 } },
        .call = CALL_OPEN,
        .code = UM_EGRAPH,
        .has = { "dddd99999999" },
        .file = "b.sql",
        .revision = ID_B,
        .before_connect = 1,
    },
    {
        .name = "missing_dependency",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "SELECT 1;\n"), 0 },
                   { VERSIONS "b.sql",
                     "-- B\n--\n-- Revision ID: " ID_B "\n-- Revises: " ID_A
                     "\n-- Depends On: eeee99999999\n\n-- migrate:up\nSELECT 1;\n",
                     0 } },
        .call = CALL_OPEN,
        .code = UM_EGRAPH,
        .has = { "eeee99999999", "depends on" },
        .file = "b.sql",
        .revision = ID_B,
        .before_connect = 1,
    },

    {
        .name = "cycle_of_three",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, ID_C, "SELECT 1;\n"), 0 },
                   { VERSIONS "b.sql", REV("B", ID_B, ID_A, "SELECT 1;\n"), 0 },
                   { VERSIONS "c.sql", REV("C", ID_C, ID_B, "SELECT 1;\n"), 0 } },
        .call = CALL_OPEN,
        .code = UM_EGRAPH,
        .has = { "cycle", ID_A, ID_B, ID_C },
        .before_connect = 1,
    },
    {
        .name = "cycle_through_dependency",
        .files = { { VERSIONS "a.sql",
                     "-- A\n--\n-- Revision ID: " ID_A "\n-- Revises:\n"
                     "-- Depends On: " ID_B "\n\n-- migrate:up\nSELECT 1;\n",
                     0 },
                   { VERSIONS "b.sql", REV("B", ID_B, ID_A, "SELECT 1;\n"), 0 } },
        .call = CALL_OPEN,
        .code = UM_EGRAPH,
        .has = { "cycle", ID_A, ID_B },
        .before_connect = 1,
    },
    {
        .name = "revises_itself",
        .files = { { VERSIONS "self.sql", REV("Self", ID_A, ID_A, "SELECT 1;\n"), 0 } },
        .call = CALL_OPEN,
        .code = UM_EPARSE,
        .has = { "itself" },
        .file = "self.sql",
        .line = 4,
        .revision = ID_A,
        .before_connect = 1,
    },
    {
        .name = "merge_with_missing_parent",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "SELECT 1;\n"), 0 },
                   { VERSIONS "m.sql", REV("M", ID_B, ID_A ", dddd99999999", "SELECT 1;\n"), 0 } },
        .call = CALL_OPEN,
        .code = UM_EGRAPH,
        .has = { "dddd99999999" },
        .file = "m.sql",
        .revision = ID_B,
        .before_connect = 1,
    },

    /* ---- targets ------------------------------------------------------ */
    {
        .name = "ambiguous_prefix",
        .files = { { VERSIONS "a.sql", REV("A", "abc1000000aa", "", "CREATE TABLE ta (id int);\n"),
                     0 },
                   { VERSIONS "b.sql",
                     REV("B", "abc2000000bb", "abc1000000aa", "CREATE TABLE tb (id int);\n"), 0 } },
        .prep = PREP_SCHEMA,
        .call = CALL_UPGRADE,
        .target = "abc",
        .code = UM_ETARGET,
        .has = { "abc1000000aa", "abc2000000bb" },
    },
    {
        .name = "unknown_target",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "CREATE TABLE ta (id int);\n"), 0 } },
        .prep = PREP_SCHEMA,
        .call = CALL_UPGRADE,
        .target = "ffff12345678",
        .code = UM_ETARGET,
        .has = { "ffff12345678" },
    },
    {
        .name = "several_heads_for_head",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "CREATE TABLE ta (id int);\n"), 0 },
                   { VERSIONS "b.sql", REV("B", ID_B, ID_A, "CREATE TABLE tb (id int);\n"), 0 },
                   { VERSIONS "c.sql", REV("C", ID_C, ID_A, "CREATE TABLE tc (id int);\n"), 0 } },
        .prep = PREP_SCHEMA,
        .call = CALL_UPGRADE,
        .target = "head",
        .code = UM_ETARGET,
        .has = { ID_B, ID_C },
    },
    {
        .name = "downgrade_plus_one",
        .files = { { VERSIONS "a.sql",
                     REV_DOWN("A", ID_A, "", "CREATE TABLE ta (id int);\n", "DROP TABLE ta;\n"),
                     0 },
                   { VERSIONS "b.sql",
                     REV_DOWN("B", ID_B, ID_A, "CREATE TABLE tb (id int);\n", "DROP TABLE tb;\n"),
                     0 } },
        .prep = PREP_UPGRADE,
        .prep_target = ID_A,
        .call = CALL_ROLLBACK,
        .target = "+1",
        .code = UM_ETARGET,
        .has = { "+1" },
    },
    {
        .name = "upgrade_minus_one",
        .files = { { VERSIONS "a.sql",
                     REV_DOWN("A", ID_A, "", "CREATE TABLE ta (id int);\n", "DROP TABLE ta;\n"),
                     0 },
                   { VERSIONS "b.sql",
                     REV_DOWN("B", ID_B, ID_A, "CREATE TABLE tb (id int);\n", "DROP TABLE tb;\n"),
                     0 } },
        .prep = PREP_UPGRADE,
        .prep_target = "heads",
        .call = CALL_UPGRADE,
        .target = "-1",
        .code = UM_ETARGET,
        .has = { "-1" },
    },

    {
        /* Alembic: "Destination ... is not a valid downgrade target from
         * current head(s)": B is above the database, not below it. */
        .name = "downgrade_to_unapplied_revision",
        .files = { { VERSIONS "a.sql",
                     REV_DOWN("A", ID_A, "", "CREATE TABLE ta (id int);\n", "DROP TABLE ta;\n"),
                     0 },
                   { VERSIONS "b.sql",
                     REV_DOWN("B", ID_B, ID_A, "CREATE TABLE tb (id int);\n", "DROP TABLE tb;\n"),
                     0 } },
        .prep = PREP_UPGRADE,
        .prep_target = ID_A,
        .call = CALL_ROLLBACK,
        .target = ID_B,
        .code = UM_ETARGET,
        .has = { ID_B },
    },

    /* ---- malformed files ------------------------------------------------ */
    {
        .name = "duplicate_header_key",
        .files = { { VERSIONS "dup.sql",
                     "-- Dup\n--\n-- Revision ID: " ID_A "\n-- Revision ID: " ID_B
                     "\n-- Revises:\n\n-- migrate:up\nSELECT 1;\n",
                     0 } },
        .call = CALL_OPEN,
        .code = UM_EPARSE,
        .has = { "Revision ID", "duplicate" },
        .file = "dup.sql",
        .line = 4,
        .revision = ID_A,
        .before_connect = 1,
    },
    {
        .name = "invalid_revision_id",
        .files = { { VERSIONS "badid.sql",
                     "-- Bad id\n--\n-- Revision ID: abc$def!\n-- Revises:\n\n"
                     "-- migrate:up\nSELECT 1;\n",
                     0 } },
        .call = CALL_OPEN,
        .code = UM_EPARSE,
        .has = { "abc$def!" },
        .file = "badid.sql",
        .line = 3,
        .before_connect = 1,
    },
    {
        .name = "no_up_marker",
        .files = { { VERSIONS "noup.sql", "-- No up\n--\n-- Revision ID: " ID_A "\n-- Revises:\n",
                     0 } },
        .call = CALL_OPEN,
        .code = UM_EPARSE,
        .has = { "migrate:up" },
        .file = "noup.sql",
        .revision = ID_A,
        .before_connect = 1,
    },
    {
        .name = "sql_before_up_marker",
        .files = { { VERSIONS "early.sql",
                     "-- Early\n-- Revision ID: " ID_A "\nCREATE TABLE t (id int);\n"
                     "-- migrate:up\nSELECT 1;\n",
                     0 } },
        .call = CALL_OPEN,
        .code = UM_EPARSE,
        .has = { "migrate:up" },
        .file = "early.sql",
        .line = 3,
        .revision = ID_A,
        .before_connect = 1,
    },
    {
        .name = "empty_file",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "SELECT 1;\n"), 0 },
                   { VERSIONS "empty.sql", "", 0 } },
        .call = CALL_OPEN,
        .code = UM_EPARSE,
        .has = { "empty" },
        .file = "empty.sql",
        .before_connect = 1,
    },
    {
        .name = "binary_file",
        .files = { { VERSIONS "bin.sql", binary_rev, sizeof(binary_rev) - 1 } },
        .call = CALL_OPEN,
        .code = UM_EPARSE,
        .has = { "binary" },
        .file = "bin.sql",
        .line = 5,
        .before_connect = 1,
    },
    {
        .name = "not_a_revision",
        .files = { { VERSIONS "notes.sql",
                     "-- Some notes\n-- about the schema\n\n-- migrate:up\nSELECT 1;\n", 0 } },
        .call = CALL_OPEN,
        .code = UM_EPARSE,
        .has = { "Revision ID" },
        .file = "notes.sql",
        .before_connect = 1,
    },
    {
        .name = "stray_sql_dump",
        .files = { { VERSIONS "dump.sql", "-- pg_dump output\nCREATE TABLE t (id int);\n", 0 } },
        .call = CALL_OPEN,
        .code = UM_EPARSE,
        .has = { "Revision ID" },
        .file = "dump.sql",
        .line = 2,
        .before_connect = 1,
    },
    {
        .name = "bad_transactional_value",
        .files = { { VERSIONS "tx.sql",
                     "-- Tx\n-- Revision ID: " ID_A "\n-- Transactional: maybe\n"
                     "-- migrate:up\nSELECT 1;\n",
                     0 } },
        .call = CALL_OPEN,
        .code = UM_EPARSE,
        .has = { "maybe", "Transactional" },
        .file = "tx.sql",
        .line = 3,
        .revision = ID_A,
        .before_connect = 1,
    },

    {
        .name = "revision_id_too_long",
        .files = { { VERSIONS "long.sql",
                     "-- Long\n-- Revision ID: abcdefghijabcdefghijabcdefghijabc\n"
                     "-- migrate:up\nSELECT 1;\n",
                     0 } },
        .call = CALL_OPEN,
        .code = UM_EPARSE,
        .has = { "Revision ID" },
        .file = "long.sql",
        .line = 2,
        .before_connect = 1,
    },
    {
        .name = "down_marker_before_up",
        .files = { { VERSIONS "order.sql",
                     "-- Order\n-- Revision ID: " ID_A "\n-- migrate:down\nDROP TABLE t;\n"
                     "-- migrate:up\nCREATE TABLE t (id int);\n",
                     0 } },
        .call = CALL_OPEN,
        .code = UM_EPARSE,
        .has = { "migrate:down" },
        .file = "order.sql",
        .line = 3,
        .revision = ID_A,
        .before_connect = 1,
    },
    {
        .name = "second_up_marker",
        .files = { { VERSIONS "twice.sql",
                     "-- Twice\n-- Revision ID: " ID_A "\n-- migrate:up\nSELECT 1;\n"
                     "-- migrate:up\nSELECT 2;\n",
                     0 } },
        .call = CALL_OPEN,
        .code = UM_EPARSE,
        .has = { "migrate:up" },
        .file = "twice.sql",
        .line = 5,
        .revision = ID_A,
        .before_connect = 1,
    },
    {
        .name = "invalid_utf8",
        .files = { { VERSIONS "latin1.sql",
                     "-- Latin-1\n-- Revision ID: " ID_A "\n-- migrate:up\n"
                     "INSERT INTO t VALUES ('caf\xe9');\n",
                     0 } },
        .call = CALL_OPEN,
        .code = UM_EPARSE,
        .has = { "latin1.sql" },
        .file = "latin1.sql",
        .line = 4,
        .before_connect = 1,
    },

    /* ---- the versions directory ------------------------------------------ */
    {
        .name = "missing_script_location",
        .script_location = "nowhere",
        .call = CALL_OPEN,
        .code = UM_ECONFIG,
        .has = { "no project found", "nowhere/versions does not exist", "ultramigrate init" },
        .before_connect = 1,
    },
    {
        .name = "versions_is_a_file",
        .files = { { "migrations/versions", "this is not a directory\n", 0 } },
        .call = CALL_OPEN,
        .code = UM_EIO,
        .has = { "migrations/versions" },
        .file = "migrations/versions",
        .before_connect = 1,
    },

    /* ---- configuration and URLs ------------------------------------------ */
    {
        .name = "config_wrong_type",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "SELECT 1;\n"), 0 } },
        .ini = INI_HEAD "lock_wait = abc\n",
        .call = CALL_OPEN,
        .code = UM_ECONFIG,
        .has = { "lock_wait", "abc" },
        .file = "ultramigrate.ini",
        .line = 3,
        .before_connect = 1,
    },
    {
        .name = "config_syntax_error",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "SELECT 1;\n"), 0 } },
        .ini = INI_HEAD "this line is neither a key nor a section\n",
        .call = CALL_OPEN,
        .code = UM_ECONFIG,
        .file = "ultramigrate.ini",
        .line = 3,
        .before_connect = 1,
    },
    {
        .name = "config_bad_boolean",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "SELECT 1;\n"), 0 } },
        .ini = INI_HEAD "# comment\ntransaction_per_migration = perhaps\n",
        .call = CALL_OPEN,
        .code = UM_ECONFIG,
        .has = { "transaction_per_migration", "perhaps" },
        .file = "ultramigrate.ini",
        .line = 4,
        .before_connect = 1,
    },
    {
        .name = "config_unknown_interpolation",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "SELECT 1;\n"), 0 } },
        .ini = "[ultramigrate]\nscript_location = %(nosuchkey)s/migrations\n",
        .call = CALL_OPEN,
        .code = UM_ECONFIG,
        .has = { "nosuchkey" },
        .file = "ultramigrate.ini",
        .line = 2,
        .before_connect = 1,
    },
    {
        .name = "config_database_url_bad_scheme",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "SELECT 1;\n"), 0 } },
        .ini = INI_HEAD "database_url = sqlite://admin:IniSecret9@/tmp/x.db\n",
        .url_kind = URL_ENV,
        .url = "",
        .call = CALL_OPEN,
        .code = UM_ECONFIG,
        .has = { "sqlite", "database_url" },
        .file = "ultramigrate.ini",
        .line = 3,
        .secret = "IniSecret9",
        .before_connect = 1,
    },
    {
        .name = "config_file_missing",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "SELECT 1;\n"), 0 } },
        .config_name = "no-such-config.ini",
        .call = CALL_OPEN,
        .code = UM_ECONFIG,
        .has = { "no-such-config.ini" },
        .file = "no-such-config.ini",
        .before_connect = 1,
    },
    {
        .name = "url_bad_scheme",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "SELECT 1;\n"), 0 } },
        .url_kind = URL_ENV,
        .url = "mysql://admin:MySq1Secret@localhost/app",
        .call = CALL_OPEN,
        .code = UM_ECONFIG,
        .has = { "mysql", "DATABASE_URL" },
        .secret = "MySq1Secret",
        .before_connect = 1,
    },
    {
        /* libpq rejects the URI; the library must report UM_ECONNECT
         * (what it does) without crashing or echoing the password. */
        .name = "url_malformed",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "SELECT 1;\n"), 0 } },
        .url_kind = URL_LITERAL,
        .url = "postgresql://admin:Br0kenSecret@[bad",
        .call = CALL_UPGRADE,
        .target = "heads",
        .code = UM_ECONNECT,
        .has = { "cannot connect" },
        .secret = "Br0kenSecret",
        .before_connect = 1,
    },
    {
        .name = "url_malformed_query_password",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "SELECT 1;\n"), 0 } },
        .url_kind = URL_LITERAL,
        .url = "postgresql://admin@[bad?password=QuerySecret7",
        .call = CALL_UPGRADE,
        .target = "heads",
        .code = UM_ECONNECT,
        .secret = "QuerySecret7",
        .before_connect = 1,
    },
    {
        .name = "url_bad_percent_encoding",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "SELECT 1;\n"), 0 } },
        .url_kind = URL_LITERAL,
        .url = "postgresql://admin:Pct%zzSecret8@localhost/db",
        .call = CALL_UPGRADE,
        .target = "heads",
        .code = UM_ECONNECT,
        .secret = "zzSecret8",
        .before_connect = 1,
    },
    {
        .name = "server_down",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "SELECT 1;\n"), 0 } },
        .url_kind = URL_DEAD_PORT,
        .call = CALL_UPGRADE,
        .target = "heads",
        .code = UM_ECONNECT,
        .has = { "127.0.0.1" },
        .secret = "D34dP0rtSecret",
        .before_connect = 1,
    },
    {
        .name = "wrong_password",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "SELECT 1;\n"), 0 } },
        .url_kind = URL_WRONG_PASSWORD,
        .call = CALL_UPGRADE,
        .target = "heads",
        .code = UM_EAUTH, /* the server refused: not worth waiting for */
        .has = { "password" },
        .secret = "Wr0ngPassw0rd",
        .before_connect = 1,
    },

    /* ---- running revisions -------------------------------------------- */
    {
        .name = "sql_error",
        .files = { { VERSIONS "a.sql",
                     REV("A", ID_A, "",
                         "CREATE TABLE t1 (id int);\nSELECT * FROM no_such_table;\n"),
                     0 } },
        .prep = PREP_SCHEMA,
        .call = CALL_UPGRADE,
        .target = "heads",
        .code = UM_ESQL,
        .has = { "no_such_table", "42P01" },
        .file = "a.sql",
        .line = 8,
        .revision = ID_A,
        .sqlstate = "42P01",
    },
    {
        .name = "irreversible_downgrade",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "CREATE TABLE ta (id int);\n"), 0 },
                   { VERSIONS "b.sql",
                     REV_DOWN("B", ID_B, ID_A, "CREATE TABLE tb (id int);\n", "DROP TABLE tb;\n"),
                     0 } },
        .prep = PREP_UPGRADE,
        .prep_target = "heads",
        .call = CALL_ROLLBACK,
        .target = "base",
        .code = UM_EIRREVERSIBLE,
        .has = { "a.sql", "migrate:down" },
        .file = "a.sql",
        .revision = ID_A,
    },
    {
        .name = "checksum_changed",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "CREATE TABLE ta (id int);\n"), 0 } },
        .prep = PREP_UPGRADE,
        .prep_target = "heads",
        .post = { { VERSIONS "a.sql", REV("A", ID_A, "", "CREATE TABLE ta (id bigint);\n"), 0 },
                  { VERSIONS "b.sql", REV("B", ID_B, ID_A, "CREATE TABLE tb (id int);\n"), 0 } },
        .call = CALL_UPGRADE,
        .target = "heads",
        .code = UM_ECHECKSUM,
        .has = { "changed" },
        .file = "a.sql",
        .line = 6,
        .revision = ID_A,
    },
    {
        .name = "database_ahead_of_files",
        .files = { { VERSIONS "a.sql", REV("A", ID_A, "", "CREATE TABLE ta (id int);\n"), 0 },
                   { VERSIONS "b.sql", REV("B", ID_B, ID_A, "CREATE TABLE tb (id int);\n"), 0 } },
        .prep = PREP_UPGRADE,
        .prep_target = "heads",
        .post = { { VERSIONS "b.sql", NULL, 0 } },
        .call = CALL_UPGRADE,
        .target = "heads",
        .code = UM_ESTATE,
        .has = { ID_B },
        .revision = ID_B,
    },
};

#define N_CASES ((int)(sizeof(cases) / sizeof(cases[0])))

/* ------------------------------------------------------------------ */
/* Per-test state, cleaned by the checked teardown                      */
/* ------------------------------------------------------------------ */

/* What the case's handles logged, to check that no password slips out
 * through the logger. */
static pgtest_log case_log;

/* A database and an empty directory (pgtest.h's project fixture): each
 * case writes its own files. */
static void setup_case(void)
{
    setup_bare();
    case_log.text[0] = '\0';
}

static char *path_in(const char *name)
{
    return pgtest_asprintf("%s/%s", proj_dir, name);
}

static void write_spec(const file_spec *f)
{
    char *path = path_in(f->name);
    if (!f->content) {
        ck_assert_msg(unlink(path) == 0, "cannot remove %s", path);
    } else if (f->len == 0) {
        pgtest_write_file(proj_dir, f->name, f->content);
    } else {
        /* pgtest_write_file stops at the first NUL: make the parents
         * with it, then write the bytes ourselves. */
        pgtest_write_file(proj_dir, f->name, "");
        FILE *fp = fopen(path, "wb");
        ck_assert_ptr_nonnull(fp);
        ck_assert_uint_eq(fwrite(f->content, 1, f->len, fp), f->len);
        ck_assert_int_eq(fclose(fp), 0);
    }
    free(path);
}

static void write_specs(const file_spec *files)
{
    for (int i = 0; i < MAX_FILES && files[i].name; i++)
        write_spec(&files[i]);
}

/* The test database over TCP as a role whose password is 'right',
 * presenting @password instead. */
static char *wrong_password_url(const char *password)
{
    const char *role = "um_badinput_login";
    pgtest_exec(pgtest_server_url(),
                "DO $$BEGIN CREATE ROLE um_badinput_login LOGIN PASSWORD 'right';"
                " EXCEPTION WHEN duplicate_object THEN NULL; END$$");
    char *port = pgtest_query_value(db_url, "SELECT current_setting('port')");
    ck_assert_ptr_nonnull(port);
    char *u1 = pgtest_url_set(db_url, "host", "127.0.0.1");
    char *u2 = pgtest_url_set(u1, "port", port);
    char *u3 = pgtest_url_set(u2, "user", role);
    char *u4 = pgtest_url_set(u3, "password", password);
    free(port);
    free(u1);
    free(u2);
    free(u3);
    return u4;
}

static char *case_url(const bad_case *c)
{
    char buf[256];
    switch (c->url_kind) {
    case URL_DB:
        return strdup(db_url);
    case URL_LITERAL:
        return strdup(c->url);
    case URL_ENV:
        return NULL;
    case URL_DEAD_PORT:
        snprintf(buf, sizeof(buf), "postgresql://um:%s@127.0.0.1:%d/um", c->secret,
                 pgtest_dead_port());
        return strdup(buf);
    case URL_WRONG_PASSWORD:
        return wrong_password_url(c->secret);
    }
    return NULL;
}

static int open_case(const bad_case *c, const char *url, um_ctx **ctx)
{
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    char *config = NULL, *loc = NULL;

    if (c->config_name)
        config = path_in(c->config_name);
    else if (c->ini)
        config = path_in("ultramigrate.ini");
    if (c->script_location || !c->ini)
        loc = path_in(c->script_location ? c->script_location : "migrations");
    o.config_path = config;
    o.script_location = loc;
    o.database_url = url;
    o.log_cb = pgtest_log_line;
    o.log_payload = &case_log;
    o.log_level = UM_LOG_DEBUG;
    int rc = um_open(ctx, &o);
    free(config);
    free(loc);
    return rc;
}

static int count_bookkeeping(void)
{
    char *n = pgtest_query_value(
        db_url, "SELECT count(*) FROM pg_class WHERE relname LIKE 'ultramigrate%'");
    ck_assert_msg(n != NULL, "count of bookkeeping tables: %s", pgtest_last_error());
    int v = atoi(n);
    free(n);
    return v;
}

static void prepare(const bad_case *c)
{
    um_ctx *ctx = NULL;
    int rc = open_case(c, db_url, &ctx);
    ck_assert_msg(rc == UM_OK, "%s: prep um_open: %s", c->name, um_errmsg(ctx));
    if (c->prep == PREP_SCHEMA)
        rc = um_ensure_schema(ctx);
    else
        rc = um_upgrade(ctx, c->prep_target, NULL);
    ck_assert_msg(rc == UM_OK, "%s: prep: %s", c->name, um_errmsg(ctx));
    um_close(ctx);
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void assert_no_secret(const char *what, const char *text, const char *secret)
{
    if (text)
        ck_assert_msg(strstr(text, secret) == NULL, "%s leaks the password: %s", what, text);
}

static void check_error(const bad_case *c, um_ctx *ctx, int rc)
{
    const char *msg = um_errmsg(ctx);
    const um_error_info *d = um_error_detail(ctx);

    /* BADINPUT_SHOW=1 prints what an operator would read, case by case. */
    if (getenv("BADINPUT_SHOW"))
        fprintf(stderr, "%-26s %3d %s\n", c->name, rc, msg);
    ck_assert_msg(rc == c->code, "%s: expected %d (%s), got %d (%s): %s", c->name, c->code,
                  um_strerror(c->code), rc, um_strerror(rc), msg);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(d->code, c->code);
    ck_assert_ptr_nonnull(d->message);
    ck_assert_str_eq(d->message, msg);

    for (int i = 0; i < MAX_HAS && c->has[i]; i++)
        ck_assert_msg(strstr(msg, c->has[i]) != NULL, "%s: message lacks '%s': %s", c->name,
                      c->has[i], msg);

    if (c->file) {
        ck_assert_msg(d->file && ends_with(d->file, c->file),
                      "%s: detail file '%s', expected ...%s", c->name, d->file ? d->file : "(null)",
                      c->file);
        ck_assert_msg(strstr(msg, c->file) != NULL, "%s: message lacks the file: %s", c->name, msg);
    }
    if (c->line) {
        char where[256];
        ck_assert_int_eq(d->line, c->line);
        snprintf(where, sizeof(where), "%s:%d:", base_name(c->file), c->line);
        ck_assert_msg(strstr(msg, where) != NULL, "%s: message lacks '%s': %s", c->name, where,
                      msg);
    }
    if (c->revision) {
        ck_assert_msg(d->revision && strcmp(d->revision, c->revision) == 0,
                      "%s: detail revision '%s', expected %s", c->name,
                      d->revision ? d->revision : "(null)", c->revision);
        ck_assert_msg(strstr(msg, c->revision) != NULL, "%s: message lacks the revision: %s",
                      c->name, msg);
    }
    if (c->sqlstate) {
        ck_assert_msg(d->sqlstate && strcmp(d->sqlstate, c->sqlstate) == 0,
                      "%s: detail sqlstate '%s', expected %s", c->name,
                      d->sqlstate ? d->sqlstate : "(null)", c->sqlstate);
    }

    /* Whatever the detail names, the message names too. */
    if (d->file)
        ck_assert_msg(strstr(msg, d->file) != NULL, "%s: detail file %s not in: %s", c->name,
                      d->file, msg);
    if (d->revision)
        ck_assert_msg(strstr(msg, d->revision) != NULL, "%s: detail revision %s not in: %s",
                      c->name, d->revision, msg);

    if (c->secret) {
        assert_no_secret("um_errmsg", msg, c->secret);
        assert_no_secret("detail->file", d->file, c->secret);
        assert_no_secret("detail->detail", d->detail, c->secret);
        assert_no_secret("detail->hint", d->hint, c->secret);
        assert_no_secret("the log", case_log.text, c->secret);
    }
}

START_TEST(bad_input)
{
    const bad_case *c = &cases[_i];
    um_ctx *ctx = NULL;

    write_specs(c->files);
    if (c->ini)
        pgtest_write_file(proj_dir, "ultramigrate.ini", c->ini);
    if (c->prep != PREP_NONE)
        prepare(c);
    write_specs(c->post);
    case_log.text[0] = '\0';

    char *before = pgtest_schema_fingerprint(db_url);
    int tables_before = count_bookkeeping();
    char *url = case_url(c);

    unsetenv("ULTRAMIGRATE_DATABASE_URL");
    if (c->url_kind == URL_ENV)
        setenv("DATABASE_URL", c->url, 1);
    else
        unsetenv("DATABASE_URL");

    int rc = open_case(c, url, &ctx);
    if (c->call == CALL_OPEN) {
        ck_assert_ptr_nonnull(ctx);
        check_error(c, ctx, rc);
    } else {
        ck_assert_msg(rc == UM_OK, "%s: um_open: %s", c->name, um_errmsg(ctx));
        if (c->call == CALL_UPGRADE)
            rc = um_upgrade(ctx, c->target, NULL);
        else
            rc = um_rollback(ctx, c->target, NULL);
        check_error(c, ctx, rc);
    }
    um_close(ctx);
    unsetenv("DATABASE_URL");

    char *after = pgtest_schema_fingerprint(db_url);
    ck_assert_msg(strcmp(before, after) == 0,
                  "%s: the database changed:\n--- before\n%s\n--- after\n%s", c->name, before,
                  after);
    if (c->before_connect) {
        ck_assert_int_eq(tables_before, 0);
        ck_assert_int_eq(count_bookkeeping(), 0);
    }
    free(before);
    free(after);
    free(url);
}
END_TEST

/* The table itself: at least one case per code the brief asks for. */
START_TEST(table_is_complete)
{
    ck_assert_int_ge(N_CASES, 22);
    for (int i = 0; i < N_CASES; i++) {
        ck_assert_ptr_nonnull(cases[i].name);
        ck_assert_int_lt(cases[i].code, 0);
        if (cases[i].line)
            ck_assert_ptr_nonnull(cases[i].file);
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(cases[i].name, cases[j].name);
    }
}
END_TEST

static Suite *badinput_suite(void)
{
    Suite *s = suite_create("badinput");
    TCase *tc = pgtest_add_tcase(s, "table", setup_case, teardown, 30);
    tcase_add_loop_test(tc, bad_input, 0, N_CASES);

    TCase *meta = tcase_create("meta");
    tcase_add_test(meta, table_is_complete);
    suite_add_tcase(s, meta);
    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(badinput_suite());
}
