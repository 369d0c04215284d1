/* check_script.c - revision file parsing, sections, checksums, directories. */
#include "pgtest.h"
#include "script.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Local file helpers: the shared harness's may not exist yet. */
static char *tdir;

static void tmp_setup(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof(tmpl), "%s/um-script-XXXXXX", base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    tdir = strdup(tmpl);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void tmp_teardown(void)
{
    nftw(tdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(tdir);
    tdir = NULL;
}

/* Writes @len bytes to tdir/@name; returns the path (free()). */
static char *write_n(const char *name, const char *content, size_t len)
{
    char *path;
    ck_assert_int_ge(asprintf(&path, "%s/%s", tdir, name), 0);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(content, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

static char *write_file(const char *name, const char *content)
{
    return write_n(name, content, strlen(content));
}

static script_file *parse_ok(const char *text)
{
    err_buf err = { 0 };
    script_file *s = NULL;
    int rc = script_parse_buffer("mem.sql", text, strlen(text), &s, &err);
    ck_assert_msg(rc == 0, "parse failed: %s", err.d.message);
    ck_assert_ptr_nonnull(s);
    err_clear(&err);
    return s;
}

/* Asserts the parse fails with @code at @line and a message naming @what. */
static void expect_err(const char *text, size_t len, int code, int line, const char *what)
{
    err_buf err = { 0 };
    script_file *s = (script_file *)&err;
    int rc = script_parse_buffer("v/bad.sql", text, len, &s, &err);
    ck_assert_int_eq(rc, code);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(err.d.code, code);
    ck_assert_str_eq(err.d.file, "v/bad.sql");
    ck_assert_int_eq(err.d.line, line);
    ck_assert_msg(strstr(err.d.message, what), "'%s' does not mention '%s'", err.d.message, what);
    ck_assert_msg(strstr(err.d.message, "v/bad.sql"), "%s", err.d.message);
    err_clear(&err);
}

#define EXPECT_ERR(text, line, what) expect_err(text, sizeof(text) - 1, UM_EPARSE, line, what)

/* Asserts the parse fails at @line and the error names the revision. */
static void expect_err_revision(const char *text, int line, const char *revision)
{
    err_buf err = { 0 };
    script_file *s = NULL;
    ck_assert_int_eq(script_parse_buffer("f.sql", text, strlen(text), &s, &err), UM_EPARSE);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(err.d.revision, revision);
    ck_assert_int_eq(err.d.line, line);
    err_clear(&err);
}

#define BASE                                                                                       \
    "-- Add users\n"                                                                               \
    "--\n"                                                                                         \
    "-- Revision ID: aaa111\n"                                                                     \
    "-- Revises:\n"                                                                                \
    "-- Create Date: 2025-05-01 12:00:00+00\n"                                                     \
    "-- Transactional: yes\n"                                                                      \
    "\n"                                                                                           \
    "-- migrate:up\n"                                                                              \
    "CREATE TABLE users (id int);\n"                                                               \
    "\n"                                                                                           \
    "-- migrate:down\n"                                                                            \
    "DROP TABLE users;\n"

/* ---- valid files ----------------------------------------------------- */

START_TEST(valid_base)
{
    script_file *s = parse_ok(BASE);
    ck_assert_str_eq(s->path, "mem.sql");
    ck_assert_str_eq(s->id, "aaa111");
    ck_assert_str_eq(s->message, "Add users");
    ck_assert_uint_eq(s->n_parents, 0);
    ck_assert_uint_eq(s->n_depends_on, 0);
    ck_assert_str_eq(s->create_date, "2025-05-01 12:00:00+00");
    ck_assert(s->transactional);
    ck_assert(s->has_down);
    ck_assert_int_eq(s->up_line, 8);
    ck_assert_int_eq(s->down_line, 11);
    ck_assert_uint_eq(strlen(s->checksum), 64);
    script_free(s);
}
END_TEST

START_TEST(valid_one_parent)
{
    script_file *s = parse_ok("-- Revision ID: b2\n-- Revises: a1\n"
                              "-- migrate:up\nSELECT 1;\n");
    ck_assert_uint_eq(s->n_parents, 1);
    ck_assert_str_eq(s->parents[0], "a1");
    ck_assert_ptr_null(s->create_date);
    ck_assert_str_eq(s->message, "");
    script_free(s);
}
END_TEST

START_TEST(valid_merge)
{
    script_file *s = parse_ok("-- Merge\n-- Revision ID: m3\n"
                              "-- Revises:  a1 ,b-2_x  \n-- migrate:up\n");
    ck_assert_uint_eq(s->n_parents, 2);
    ck_assert_str_eq(s->parents[0], "a1");
    ck_assert_str_eq(s->parents[1], "b-2_x");
    script_free(s);
}
END_TEST

START_TEST(valid_depends_on)
{
    script_file *s = parse_ok("-- Revision ID: c3\n-- Revises: b2\n"
                              "-- Depends On: x1, y2\n-- migrate:up\n");
    ck_assert_uint_eq(s->n_depends_on, 2);
    ck_assert_str_eq(s->depends_on[0], "x1");
    ck_assert_str_eq(s->depends_on[1], "y2");
    ck_assert_uint_eq(s->n_parents, 1);
    script_free(s);
}
END_TEST

/* Alembic's import writes "Branch Labels: a, b"; "None" is none. */
START_TEST(valid_branch_labels)
{
    script_file *s = parse_ok("-- Revision ID: c3\n-- Branch Labels: audit, billing_2\n"
                              "-- migrate:up\n");
    ck_assert_uint_eq(s->n_branch_labels, 2);
    ck_assert_str_eq(s->branch_labels[0], "audit");
    ck_assert_str_eq(s->branch_labels[1], "billing_2");
    script_free(s);
    s = parse_ok("-- Revision ID: c3\n-- branch labels: None\n-- migrate:up\n");
    ck_assert_uint_eq(s->n_branch_labels, 0);
    script_free(s);
}
END_TEST

START_TEST(valid_transactional)
{
    script_file *s = parse_ok("-- Revision ID: c3\n-- Transactional: no\n"
                              "-- migrate:up\n");
    ck_assert(!s->transactional);
    script_free(s);
    s = parse_ok("-- Revision ID: c3\n-- transactional: FALSE\n-- migrate:up\n");
    ck_assert(!s->transactional);
    script_free(s);
    s = parse_ok("-- Revision ID: c3\n-- Transactional: True\n-- migrate:up\n");
    ck_assert(s->transactional);
    script_free(s);
}
END_TEST

START_TEST(valid_no_down)
{
    script_file *s = parse_ok("-- Revision ID: c3\n-- migrate:up\nSELECT 1;\n");
    ck_assert(!s->has_down);
    ck_assert_int_eq(s->down_line, 0);
    ck_assert_int_eq(s->up_line, 2);
    script_free(s);
}
END_TEST

START_TEST(valid_crlf)
{
    script_file *s = parse_ok("-- Add users\r\n--\r\n-- Revision ID: aaa111\r\n"
                              "-- Revises: p1\r\n-- Transactional: no\r\n\r\n"
                              "-- migrate:up\r\nSELECT 1;\r\n"
                              "-- migrate:down\r\nSELECT 2;\r\n");
    ck_assert_str_eq(s->id, "aaa111");
    ck_assert_str_eq(s->message, "Add users");
    ck_assert_str_eq(s->parents[0], "p1");
    ck_assert(!s->transactional);
    ck_assert_int_eq(s->up_line, 7);
    ck_assert_int_eq(s->down_line, 9);
    script_free(s);
}
END_TEST

START_TEST(valid_revises_none)
{
    script_file *s = parse_ok("-- Revision ID: a1\n-- Revises: None\n"
                              "-- Depends On: none\n-- migrate:up\n");
    ck_assert_uint_eq(s->n_parents, 0);
    ck_assert_uint_eq(s->n_depends_on, 0);
    script_free(s);
}
END_TEST

START_TEST(valid_message_rules)
{
    /* Keys are case-insensitive; the first other comment is the message. */
    script_file *s = parse_ok("\n-- revision id: a1\n-- REVISES:\n--\n"
                              "-- Ticket: 42 fix\n-- more words\n-- migrate:up\n");
    ck_assert_str_eq(s->id, "a1");
    ck_assert_str_eq(s->message, "Ticket: 42 fix");
    script_free(s);
}
END_TEST

START_TEST(valid_marker_spacing)
{
    script_file *s = parse_ok("-- Revision ID: a1\n  --\tmigrate:up  \nX\n"
                              "--migrate:down\nY\n");
    ck_assert_int_eq(s->up_line, 2);
    ck_assert_int_eq(s->down_line, 4);
    script_free(s);
}
END_TEST

START_TEST(valid_utf8_and_bom)
{
    script_file *s = parse_ok("\xEF\xBB\xBF-- Caf\xC3\xA9 \xE2\x98\x95 "
                              "\xF0\x9F\x9A\x80\n-- Revision ID: a1\n"
                              "-- migrate:up\n");
    ck_assert_str_eq(s->message, "Caf\xC3\xA9 \xE2\x98\x95 \xF0\x9F\x9A\x80");
    script_free(s);
}
END_TEST

START_TEST(valid_ids)
{
    char long_id[SCRIPT_ID_MAX + 2];
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[SCRIPT_ID_MAX + 1] = '\0';
    ck_assert(script_valid_id("3f1c9a2b7d10"));
    ck_assert(script_valid_id("A-b_9"));
    ck_assert(!script_valid_id(""));
    ck_assert(!script_valid_id("a b"));
    ck_assert(!script_valid_id("a/b"));
    ck_assert(!script_valid_id(long_id));
    long_id[SCRIPT_ID_MAX] = '\0';
    ck_assert(script_valid_id(long_id));
    script_free(NULL);
}
END_TEST

/* ---- checksums ------------------------------------------------------- */

START_TEST(sum_known)
{
    char hex[65];
    script_sha256_hex("abc", 3, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
                          "b00361a396177a9cb410ff61f20015ad");
    script_sha256_hex("", 0, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb924"
                          "27ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(sum_of_up_section)
{
    /* Normalised: "abc" whatever line breaks end it; the raw checksum is
     * of the bytes as they are ("abc\n\n" before the down marker). */
    script_file *s = parse_ok("-- Revision ID: a1\n-- migrate:up\nabc\n"
                              "-- migrate:down\nxyz\n");
    ck_assert_str_eq(s->checksum, "ba7816bf8f01cfea414140de5dae2223"
                                  "b00361a396177a9cb410ff61f20015ad");
    ck_assert_str_eq(s->checksum_raw, "edeaaff3f1774ad2888673770c6d6409"
                                      "7e391bc362d7d6fb34982ddf0efd18cb");
    script_free(s);
    s = parse_ok("-- Revision ID: a1\n-- migrate:up\nabc");
    ck_assert_str_eq(s->checksum, "ba7816bf8f01cfea414140de5dae2223"
                                  "b00361a396177a9cb410ff61f20015ad");
    ck_assert_str_eq(s->checksum_raw, s->checksum);
    script_free(s);
    /* A CRLF file: "\r" dropped from the normalised one, kept in the raw. */
    s = parse_ok("-- Revision ID: a1\r\n-- migrate:up\r\nabc\r\n");
    ck_assert_str_eq(s->checksum, "ba7816bf8f01cfea414140de5dae2223"
                                  "b00361a396177a9cb410ff61f20015ad");
    ck_assert_str_eq(s->checksum_raw, "552bab6864c7a7b69a502ed1854b9245"
                                      "c0e1a30f008aaa0b281da62585fdb025");
    script_free(s);
}
END_TEST

/* A checkout with CRLF line endings, or without the final newline, is the
 * same revision; a changed byte, a lone CR or trailing spaces are not. */
START_TEST(sum_ignores_line_endings)
{
    static const char lf[] = "-- Revision ID: a1\n-- migrate:up\nCREATE TABLE t (a int);\n"
                             "CREATE INDEX i ON t (a);\n\n-- migrate:down\nDROP TABLE t;\n";
    static const char crlf[] = "-- Revision ID: a1\r\n-- migrate:up\r\nCREATE TABLE t (a int);"
                               "\r\nCREATE INDEX i ON t (a);\r\n\r\n-- migrate:down\r\n"
                               "DROP TABLE t;\r\n";
    static const char no_final[] = "-- Revision ID: a1\n-- migrate:up\nCREATE TABLE t (a int);\n"
                                   "CREATE INDEX i ON t (a);";
    static const char *const edited[] = {
        "-- Revision ID: a1\n-- migrate:up\nCREATE TABLE t (a int);\n"
        "CREATE INDEX j ON t (a);\n",
        "-- Revision ID: a1\n-- migrate:up\nCREATE TABLE t (a int);\r"
        "CREATE INDEX i ON t (a);\n",
        "-- Revision ID: a1\n-- migrate:up\nCREATE TABLE t (a int);\n"
        "CREATE INDEX i ON t (a);  \n",
        "-- Revision ID: a1\n-- migrate:up\nCREATE TABLE t (a int);\n\n"
        "CREATE INDEX i ON t (a);\n",
    };
    script_file *a = parse_ok(lf), *b = parse_ok(crlf), *c = parse_ok(no_final);
    ck_assert_str_eq(a->checksum, b->checksum);
    ck_assert_str_eq(a->checksum, c->checksum);
    ck_assert_str_ne(a->checksum_raw, b->checksum_raw);
    /* what each stored: the new form, or the old raw form of this file */
    ck_assert(script_checksum_matches(b, a->checksum));
    ck_assert(script_checksum_matches(a, a->checksum_raw));
    ck_assert(!script_checksum_matches(b, a->checksum_raw));
    ck_assert(!script_checksum_matches(a, NULL));
    for (size_t i = 0; i < sizeof(edited) / sizeof(*edited); i++) {
        script_file *e = parse_ok(edited[i]);
        ck_assert_msg(!script_checksum_matches(e, a->checksum), "edit %zu not seen", i);
        ck_assert(!script_checksum_matches(e, a->checksum_raw));
        script_free(e);
    }
    script_free(a);
    script_free(b);
    script_free(c);
}
END_TEST

START_TEST(sum_changes_with_up_only)
{
    script_file *a = parse_ok(BASE);
    script_file *up = parse_ok("-- Add users\n--\n-- Revision ID: aaa111\n"
                               "-- migrate:up\nCREATE TABLE users (id bigint);\n"
                               "\n-- migrate:down\nDROP TABLE users;\n");
    script_file *down = parse_ok("-- Other message\n-- Revision ID: bbb222\n"
                                 "-- Revises: x1\n-- migrate:up\n"
                                 "CREATE TABLE users (id int);\n\n"
                                 "-- migrate:down\nDROP TABLE IF EXISTS users;\n");
    ck_assert_str_ne(a->checksum, up->checksum);
    ck_assert_str_eq(a->checksum, down->checksum);
    script_free(a);
    script_free(up);
    script_free(down);
}
END_TEST

/* ---- errors ---------------------------------------------------------- */

START_TEST(err_empty)
{
    expect_err("", 0, UM_EPARSE, 0, "empty file, not a revision");
    EXPECT_ERR(" \n\t\r\n\n", 0, "empty file");
}
END_TEST

START_TEST(err_binary)
{
    EXPECT_ERR("-- Revision ID: a1\n\0\n-- migrate:up\n", 2,
               "not a text file (binary content at byte 19)");
    EXPECT_ERR("-- x\n-- y\nab\xFF\n", 3, "binary content at byte 12");
    EXPECT_ERR("\xC0\xAF", 1, "binary content at byte 0");          /* overlong */
    EXPECT_ERR("-- \xED\xA0\x80\n", 1, "binary content at byte 3"); /* surrogate */
    EXPECT_ERR("-- x\xE2\x98", 1, "binary content at byte 4");      /* truncated */
}
END_TEST

START_TEST(err_sql_before_up)
{
    EXPECT_ERR("-- Revision ID: a1\n\nCREATE TABLE x ();\n-- migrate:up\n", 3,
               "SQL before the '-- migrate:up' marker");
    /* A plain SQL file: the message says what a revision file looks like. */
    EXPECT_ERR("CREATE TABLE x ();\n", 1, "Revision ID");
    EXPECT_ERR("/* comment */\n-- Revision ID: a1\n-- migrate:up\n", 1, "SQL before");
}
END_TEST

START_TEST(err_no_up)
{
    EXPECT_ERR("-- Revision ID: a1\n-- migrate:UP\n", 0, "no '-- migrate:up' marker");
    /* Without a marker, SQL is still SQL before it. */
    EXPECT_ERR("-- Revision ID: a1\n-- migrate: up\nSELECT 1;\n", 3, "SQL before");
    expect_err_revision("-- Revision ID: a1\n", 0, "a1");
}
END_TEST

START_TEST(err_markers)
{
    EXPECT_ERR("-- Revision ID: a1\n-- migrate:up\nX\n-- migrate:up\n", 4,
               "second '-- migrate:up' marker (first at line 2)");
    EXPECT_ERR("-- Revision ID: a1\n-- migrate:up\n-- migrate:down\n"
               "-- migrate:down\n",
               4, "second '-- migrate:down'");
    EXPECT_ERR("-- Revision ID: a1\n-- migrate:up\n-- migrate:down\n"
               "-- migrate:up\n",
               4, "second '-- migrate:up'");
    EXPECT_ERR("-- Revision ID: a1\n-- migrate:down\nX\n-- migrate:up\n", 2,
               "'-- migrate:down' marker before the '-- migrate:up'");
}
END_TEST

START_TEST(err_no_revision_id)
{
    EXPECT_ERR("-- Just some notes\n-- migrate:up\nSELECT 1;\n", 0,
               "not a revision file: no 'Revision ID:' header");
    EXPECT_ERR("-- Just some notes\n", 0, "not a revision file");
}
END_TEST

START_TEST(err_invalid_id)
{
    EXPECT_ERR("-- x\n-- Revision ID: bad id!\n-- migrate:up\n", 2,
               "invalid revision id 'bad id!'");
    EXPECT_ERR("-- Revision ID: 0123456789abcdef0123456789abcdef0\n", 1,
               "'0123456789abcdef0123456789abcdef0'");
    EXPECT_ERR("-- Revision ID:\n-- migrate:up\n", 1, "empty revision id");
}
END_TEST

START_TEST(err_duplicate_key)
{
    EXPECT_ERR("-- Revision ID: a1\n-- Revises: b1\n--\n-- revises: c1\n"
               "-- migrate:up\n",
               4, "duplicate 'Revises:' header (first at line 2)");
    expect_err_revision("-- Revision ID: a1\n-- Revision ID: a1\n", 2, "a1");
}
END_TEST

START_TEST(err_id_lists)
{
    EXPECT_ERR("-- Revision ID: a1\n-- Revises: b1, c@d\n", 2,
               "invalid revision id 'c@d' in 'Revises:'");
    EXPECT_ERR("-- Revision ID: a1\n-- Revises: b1,,c1\n", 2, "empty revision id in 'Revises:'");
    EXPECT_ERR("-- Revision ID: a1\n-- Revises: b1,\n", 2, "empty revision id");
    EXPECT_ERR("-- Revision ID: a1\n-- Revises: b1, c1 ,b1\n", 2,
               "'b1' listed twice in 'Revises:'");
    EXPECT_ERR("-- Revision ID: a1\n\n-- Depends On: x y\n", 3,
               "invalid revision id 'x y' in 'Depends On:'");
    EXPECT_ERR("-- Revision ID: a1\n-- Depends On: x1, x1\n", 2, "listed twice in 'Depends On:'");
    EXPECT_ERR("-- Revision ID: a1\n-- Branch Labels: a@b\n", 2,
               "invalid branch label 'a@b' in 'Branch Labels:'");
    EXPECT_ERR("-- Revision ID: a1\n-- Branch Labels: x, x\n", 2,
               "branch label 'x' listed twice in 'Branch Labels:'");
    EXPECT_ERR("-- Revision ID: a1\n-- Branch Labels: x,\n", 2,
               "empty branch label in 'Branch Labels:'");
    EXPECT_ERR("-- Revision ID: a1\n-- Branch Labels: heads\n", 2,
               "branch label 'heads' is reserved");
    EXPECT_ERR("-- Revision ID: a1\n-- Branch Labels: -2\n", 2, "branch label '-2' is reserved");
}
END_TEST

/* An id that is a target of its own (downgrade base, upgrade head,
 * downgrade -1) made a project that loaded and could never be upgraded. */
START_TEST(err_reserved_ids)
{
    static const char *const ids[] = { "base", "head", "heads", "current", "-1", "-x" };
    for (size_t i = 0; i < sizeof(ids) / sizeof(*ids); i++) {
        char text[128], want[64];
        snprintf(text, sizeof(text), "-- m\n-- Revision ID: %s\n-- migrate:up\n", ids[i]);
        snprintf(want, sizeof(want), "revision id '%s' is reserved", ids[i]);
        expect_err(text, strlen(text), UM_EPARSE, 2, want);
    }
}
END_TEST

START_TEST(err_transactional)
{
    EXPECT_ERR("-- Revision ID: a1\n-- Transactional: maybe\n-- migrate:up\n", 2,
               "'Transactional:' must be yes, no, true or false, not 'maybe'");
}
END_TEST

START_TEST(err_revises_itself)
{
    /* The id comes after Revises: the check waits for the whole header. */
    EXPECT_ERR("-- Revises: b1, a1\n-- Revision ID: a1\n-- migrate:up\n", 1,
               "'Revises:' names the revision itself");
    EXPECT_ERR("-- Revision ID: a1\n-- Depends On: a1\n-- migrate:up\n", 2,
               "'Depends On:' names the revision itself");
    EXPECT_ERR("-- Revision ID: a1\n-- Branch Labels: a1\n-- migrate:up\n", 2,
               "'Branch Labels:' names the revision itself");
}
END_TEST

/* A known key misspelt would be a comment, its value lost without a word
 * ("-- Revise: a1" made a new base); other comments with a colon stay
 * comments. */
START_TEST(err_misspelt_key)
{
    EXPECT_ERR("-- m\n-- Revision ID: b1\n-- Revise: a1\n-- migrate:up\n", 3,
               "'Revise:' is no header key: did you mean 'Revises:'?");
    EXPECT_ERR("-- m\n-- Revision ID: b1\n-- branch label: x\n", 3,
               "did you mean 'Branch Labels:'?");
    EXPECT_ERR("-- m\n-- Revision ID: b1\n-- Depend On: a1\n", 3, "did you mean 'Depends On:'?");
    EXPECT_ERR("-- m\n-- Revison ID: b1\n", 2, "did you mean 'Revision ID:'?");
    EXPECT_ERR("-- m\n-- Revision ID: b1\n-- Transactionl: no\n", 3,
               "did you mean 'Transactional:'?");
    /* comment lines that only look like keys are the message, or ignored */
    script_file *s = parse_ok("-- Note: this drops data\n-- Revision ID: b1\n-- Depends: on a1\n"
                              "-- Revision history: see the wiki\n-- 12:30 run it at night\n"
                              "-- migrate:up\nSELECT 1;\n");
    ck_assert_str_eq(s->message, "Note: this drops data");
    script_free(s);
}
END_TEST

START_TEST(err_file_paths)
{
    err_buf err = { 0 };
    script_file *s = (script_file *)&err;
    char *path = write_file("bad.sql", "-- Revision ID: a1\nSELECT 1;\n");
    ck_assert_int_eq(script_parse_file(path, &s, &err), UM_EPARSE);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(err.d.file, path);
    ck_assert_int_eq(err.d.line, 2);
    free(path);

    ck_assert_int_ge(asprintf(&path, "%s/missing.sql", tdir), 0);
    ck_assert_int_eq(script_parse_file(path, &s, &err), UM_EIO);
    ck_assert_str_eq(err.d.file, path);
    ck_assert_ptr_nonnull(strstr(err.d.message, strerror(ENOENT)));
    free(path);
    err_clear(&err);
}
END_TEST

/* ---- sections -------------------------------------------------------- */

static script_file *parse_file_ok(const char *path)
{
    err_buf err = { 0 };
    script_file *s = NULL;
    ck_assert_msg(script_parse_file(path, &s, &err) == 0, "%s", err.d.message);
    return s;
}

START_TEST(section_both)
{
    char *path = write_file("a.sql", BASE);
    script_file *s = parse_file_ok(path);
    err_buf err = { 0 };
    char *sql = NULL;
    int first = 0;

    ck_assert_int_eq(script_read_section(s, true, &sql, &first, &err), 0);
    ck_assert_str_eq(sql, "CREATE TABLE users (id int);\n\n");
    ck_assert_int_eq(first, 9);
    free(sql);
    ck_assert_int_eq(script_read_section(s, false, &sql, &first, &err), 0);
    ck_assert_str_eq(sql, "DROP TABLE users;\n");
    ck_assert_int_eq(first, 12);
    free(sql);
    script_free(s);
    free(path);
}
END_TEST

START_TEST(section_edges)
{
    /* No down: up runs to the end; a final marker without newline: "". */
    char *path = write_file("a.sql", "-- Revision ID: a1\n-- migrate:up\r\n"
                                     "SELECT 1;\r\n-- migrate:down");
    script_file *s = parse_file_ok(path);
    err_buf err = { 0 };
    char *sql;
    int first;

    ck_assert_int_eq(script_read_section(s, true, &sql, &first, &err), 0);
    ck_assert_str_eq(sql, "SELECT 1;\r\n");
    ck_assert_int_eq(first, 3);
    free(sql);
    ck_assert_int_eq(script_read_section(s, false, &sql, &first, &err), 0);
    ck_assert_str_eq(sql, "");
    ck_assert_int_eq(first, 5);
    free(sql);
    script_free(s);
    free(path);
}
END_TEST

START_TEST(section_changed)
{
    char *path = write_file("a.sql", BASE);
    script_file *s = parse_file_ok(path);
    err_buf err = { 0 };
    char *sql = (char *)&err;
    int first = 0;

    /* A new down section is fine: the up checksum still matches. */
    free(write_file("a.sql", "-- Revision ID: aaa111\n-- migrate:up\n"
                             "CREATE TABLE users (id int);\n\n-- migrate:down\nSELECT 2;\n"));
    ck_assert_int_eq(script_read_section(s, false, &sql, &first, &err), 0);
    ck_assert_str_eq(sql, "SELECT 2;\n");
    ck_assert_int_eq(first, 6);
    free(sql);

    free(write_file("a.sql", "-- Revision ID: aaa111\n-- migrate:up\n"
                             "CREATE TABLE users (id bigint);\n"));
    ck_assert_int_eq(script_read_section(s, true, &sql, &first, &err), UM_ECHECKSUM);
    ck_assert_ptr_null(sql);
    ck_assert_str_eq(err.d.file, path);
    ck_assert_str_eq(err.d.revision, "aaa111");
    ck_assert_ptr_nonnull(strstr(err.d.message, "file changed since it was read"));
    ck_assert_ptr_nonnull(strstr(err.d.message, s->checksum));

    free(write_file("a.sql", "-- Revision ID: other\n-- migrate:up\n"
                             "CREATE TABLE users (id int);\n\n"));
    ck_assert_int_eq(script_read_section(s, true, &sql, &first, &err), UM_ECHECKSUM);
    ck_assert_ptr_nonnull(strstr(err.d.message, "other"));

    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(script_read_section(s, true, &sql, &first, &err), UM_EIO);
    err_clear(&err);
    script_free(s);
    free(path);
}
END_TEST

START_TEST(section_irreversible)
{
    char *path = write_file("a.sql", "-- Revision ID: a1\n-- migrate:up\nX\n");
    script_file *s = parse_file_ok(path);
    err_buf err = { 0 };
    char *sql = (char *)&err;
    int first;

    ck_assert_int_eq(script_read_section(s, false, &sql, &first, &err), UM_EIRREVERSIBLE);
    ck_assert_ptr_null(sql);
    ck_assert_str_eq(err.d.file, path);
    ck_assert_str_eq(err.d.revision, "a1");
    ck_assert_ptr_nonnull(strstr(err.d.message, "has no '-- migrate:down' section"));
    err_clear(&err);
    script_free(s);
    free(path);
}
END_TEST

/* ---- directories ----------------------------------------------------- */

static void free_all(script_file **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        script_free(v[i]);
    free(v);
}

static char *rev_text(const char *id)
{
    char *t;
    ck_assert_int_ge(asprintf(&t,
                              "-- Revision ID: %s\n-- migrate:up\n"
                              "SELECT 1;\n",
                              id),
                     0);
    return t;
}

static void write_rev(const char *name, const char *id)
{
    char *t = rev_text(id);
    free(write_file(name, t));
    free(t);
}

START_TEST(dir_sorted_and_filtered)
{
    err_buf err = { 0 };
    script_file **v;
    size_t n;
    char *sub, *want;

    write_rev("c.sql", "c3");
    write_rev("a.sql", "a1");
    write_rev("B.sql", "b2");
    free(write_file("notes.txt", "not sql"));
    free(write_file(".hidden.sql", "junk"));
    free(write_file("x.sql.bak", "junk"));
    free(write_file(".sql", "junk"));
    ck_assert_int_ge(asprintf(&sub, "%s/sub", tdir), 0);
    ck_assert_int_eq(mkdir(sub, 0700), 0);

    ck_assert_int_eq(script_read_dir(tdir, true, &v, &n, &err), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(v[0]->id, "b2"); /* strcmp order: "B" < "a" */
    ck_assert_str_eq(v[1]->id, "a1");
    ck_assert_str_eq(v[2]->id, "c3");
    ck_assert_int_ge(asprintf(&want, "%s/a.sql", tdir), 0);
    ck_assert_str_eq(v[1]->path, want);
    free_all(v, n);
    free(want);
    free(sub);
}
END_TEST

START_TEST(dir_empty)
{
    err_buf err = { 0 };
    script_file **v = NULL;
    size_t n = 9;
    ck_assert_int_eq(script_read_dir(tdir, true, &v, &n, &err), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_nonnull(v);
    free(v);
}
END_TEST

/* Alembic's .py revisions and no .sql file: an Alembic project not yet
 * imported, not an empty one; beside .sql files they are ignored. */
START_TEST(dir_alembic_only)
{
    err_buf err = { 0 };
    script_file **v = NULL;
    size_t n = 9;
    pgtest_write_file(tdir, "__init__.py", "");
    ck_assert_int_eq(script_read_dir(tdir, true, &v, &n, &err), 0);
    free(v);
    pgtest_write_file(tdir, "1975ea83b712_create_account.py", "revision = '1975ea83b712'\n");
    ck_assert_int_eq(script_read_dir(tdir, true, &v, &n, &err), UM_ECONFIG);
    ck_assert_ptr_null(v);
    ck_assert_str_eq(err.d.file, tdir);
    ck_assert_ptr_nonnull(strstr(err.d.message, "1975ea83b712_create_account.py"));
    ck_assert_ptr_nonnull(strstr(err.d.message, "import-alembic"));
    err_clear(&err);
    pgtest_write_file(tdir, "r1.sql",
                      "-- m\n-- Revision ID: r1\n-- Revises:\n\n-- migrate:up\nSELECT 1;\n");
    ck_assert_int_eq(script_read_dir(tdir, true, &v, &n, &err), 0);
    ck_assert_uint_eq(n, 1);
    script_free_array(v, n);
}
END_TEST

START_TEST(dir_unreadable)
{
    err_buf err = { 0 };
    script_file **v = (script_file **)&err;
    size_t n = 9;
    char *missing, *file;

    ck_assert_int_ge(asprintf(&missing, "%s/nope", tdir), 0);
    ck_assert_int_eq(script_read_dir(missing, true, &v, &n, &err), UM_EIO);
    ck_assert_ptr_null(v);
    ck_assert_uint_eq(n, 0);
    ck_assert_str_eq(err.d.file, missing);
    ck_assert_ptr_nonnull(strstr(err.d.message, strerror(ENOENT)));

    file = write_file("plain", "x");
    ck_assert_int_eq(script_read_dir(file, true, &v, &n, &err), UM_EIO);
    ck_assert_ptr_nonnull(strstr(err.d.message, strerror(ENOTDIR)));

    if (geteuid() != 0) { /* root reads any directory */
        ck_assert_int_eq(chmod(tdir, 0), 0);
        ck_assert_int_eq(script_read_dir(tdir, true, &v, &n, &err), UM_EIO);
        ck_assert_ptr_nonnull(strstr(err.d.message, strerror(EACCES)));
        ck_assert_int_eq(chmod(tdir, 0700), 0);
    }
    err_clear(&err);
    free(missing);
    free(file);
}
END_TEST

START_TEST(dir_bad_file)
{
    err_buf err = { 0 };
    script_file **v = (script_file **)&err;
    size_t n = 9;
    char *bad;

    write_rev("a.sql", "a1");
    write_rev("c.sql", "c3");
    bad = write_file("b.sql", "-- Revision ID: b2\n-- Revises: b2\n"
                              "-- migrate:up\n");
    ck_assert_int_eq(script_read_dir(tdir, true, &v, &n, &err), UM_EPARSE);
    ck_assert_ptr_null(v);
    ck_assert_uint_eq(n, 0);
    ck_assert_str_eq(err.d.file, bad);
    ck_assert_int_eq(err.d.line, 2);
    free(bad);

    /* A file that cannot be read: here a directory named like one. */
    ck_assert_int_eq(unlink(err.d.file), 0);
    ck_assert_int_ge(asprintf(&bad, "%s/b.sql", tdir), 0);
    ck_assert_int_eq(mkdir(bad, 0700), 0);
    ck_assert_int_eq(script_read_dir(tdir, true, &v, &n, &err), UM_EIO);
    ck_assert_str_eq(err.d.file, bad);
    ck_assert_ptr_nonnull(strstr(err.d.message, strerror(EISDIR)));
    err_clear(&err);
    free(bad);
}
END_TEST

/* Bytes this process has read so far (/proc/self/io's rchar). */
static long long bytes_read(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    long long n = -1;
    char key[32];
    long long v;
    ck_assert_ptr_nonnull(f);
    while (fscanf(f, "%31[^:]: %lld\n", key, &v) == 2)
        if (strcmp(key, "rchar") == 0)
            n = v;
    fclose(f);
    ck_assert_int_ge(n, 0);
    return n;
}

/* A big file binary from its start is refused from its first block: it
 * is not read whole first. */
START_TEST(dir_binary_found_in_the_first_block)
{
    err_buf err = { 0 };
    script_file **v;
    size_t n;
    char *path = write_file("a.sql", "-- Revision ID: a\n");
    ck_assert_int_eq(truncate(path, (off_t)48 << 20), 0); /* NULs to 48 MB */
    long long before = bytes_read();
    ck_assert_int_eq(script_read_dir(tdir, true, &v, &n, &err), UM_EPARSE);
    long long read = bytes_read() - before;
    ck_assert_msg(read < (1 << 20), "read %lld bytes of a 48 MB binary file", read);
    ck_assert_str_eq(err.d.file, path);
    ck_assert_int_eq(err.d.line, 2);
    ck_assert_ptr_nonnull(strstr(err.d.message, "not a text file (binary content at byte 18)"));
    err_clear(&err);
    free(path);
}
END_TEST

START_TEST(dir_many_files)
{
    enum { N = 10000 };
    err_buf err = { 0 };
    script_file **v;
    size_t n;
    char name[32], id[32];

    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "%05d_rev.sql", i);
        snprintf(id, sizeof(id), "r%05d", i);
        write_rev(name, id);
    }
    ck_assert_int_eq(script_read_dir(tdir, true, &v, &n, &err), 0);
    ck_assert_uint_eq(n, N);
    ck_assert_str_eq(v[N - 1]->id, "r09999");
    free_all(v, n);
    /* How fast: tests/bench (meson benchmark), not a timed assertion. */
}
END_TEST

/* script_unpack: the header cache's strings made a script_file in one
 * copy, and anything but exactly those strings refused. */
static script_file *unpack(const char *strings, size_t len, size_t n_parents, bool date)
{
    script_file fixed = { .n_parents = n_parents, .create_date = date ? (char *)"" : NULL };
    return script_unpack(&fixed, strings, len, "/p/x.sql");
}

START_TEST(unpack_strings)
{
    static const char good[] = "r2\0msg\0"
                               "2025-01-01\0"
                               "r1\0r0";
    script_file *s = unpack(good, sizeof(good), 2, true);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s->id, "r2");
    ck_assert_str_eq(s->message, "msg");
    ck_assert_str_eq(s->create_date, "2025-01-01");
    ck_assert_uint_eq(s->n_parents, 2);
    ck_assert_str_eq(s->parents[0], "r1");
    ck_assert_str_eq(s->parents[1], "r0");
    ck_assert_ptr_null(s->depends_on);
    ck_assert_str_eq(s->path, "/p/x.sql");
    script_free(s);

    /* no date: the third string is a parent */
    s = unpack(good, sizeof(good), 3, false);
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_null(s->create_date);
    ck_assert_str_eq(s->parents[0], "2025-01-01");
    script_free(s);

    ck_assert_ptr_null(unpack(good, sizeof(good), 3, true));     /* a parent missing */
    ck_assert_ptr_null(unpack(good, sizeof(good), 1, true));     /* one left over */
    ck_assert_ptr_null(unpack(good, sizeof(good) - 1, 2, true)); /* not NUL-terminated */
    ck_assert_ptr_null(unpack("r2\0msg\0r 1", 11, 1, false));    /* not an id */
    ck_assert_ptr_null(unpack("\0msg", 5, 0, false));            /* an empty id */
    ck_assert_ptr_null(unpack("r2", 3, 0, false));               /* no message */
    ck_assert_ptr_null(unpack("", 0, 0, false));
}
END_TEST

/* ---- suite ----------------------------------------------------------- */

static TCase *tcase(const char *name, bool files)
{
    TCase *tc = tcase_create(name);
    if (files)
        tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    return tc;
}

Suite *script_suite(void)
{
    Suite *s = suite_create("script");
    TCase *tc = tcase("valid", false);
    tcase_add_test(tc, valid_base);
    tcase_add_test(tc, unpack_strings);
    tcase_add_test(tc, valid_one_parent);
    tcase_add_test(tc, valid_merge);
    tcase_add_test(tc, valid_depends_on);
    tcase_add_test(tc, valid_branch_labels);
    tcase_add_test(tc, valid_transactional);
    tcase_add_test(tc, valid_no_down);
    tcase_add_test(tc, valid_crlf);
    tcase_add_test(tc, valid_revises_none);
    tcase_add_test(tc, valid_message_rules);
    tcase_add_test(tc, valid_marker_spacing);
    tcase_add_test(tc, valid_utf8_and_bom);
    tcase_add_test(tc, valid_ids);
    suite_add_tcase(s, tc);

    tc = tcase("checksum", false);
    tcase_add_test(tc, sum_known);
    tcase_add_test(tc, sum_of_up_section);
    tcase_add_test(tc, sum_ignores_line_endings);
    tcase_add_test(tc, sum_changes_with_up_only);
    suite_add_tcase(s, tc);

    tc = tcase("errors", true);
    tcase_add_test(tc, err_empty);
    tcase_add_test(tc, err_binary);
    tcase_add_test(tc, err_sql_before_up);
    tcase_add_test(tc, err_no_up);
    tcase_add_test(tc, err_markers);
    tcase_add_test(tc, err_no_revision_id);
    tcase_add_test(tc, err_invalid_id);
    tcase_add_test(tc, err_duplicate_key);
    tcase_add_test(tc, err_id_lists);
    tcase_add_test(tc, err_reserved_ids);
    tcase_add_test(tc, err_transactional);
    tcase_add_test(tc, err_revises_itself);
    tcase_add_test(tc, err_misspelt_key);
    tcase_add_test(tc, err_file_paths);
    suite_add_tcase(s, tc);

    tc = tcase("read_section", true);
    tcase_add_test(tc, section_both);
    tcase_add_test(tc, section_edges);
    tcase_add_test(tc, section_changed);
    tcase_add_test(tc, section_irreversible);
    suite_add_tcase(s, tc);

    tc = tcase("read_dir", true);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, dir_sorted_and_filtered);
    tcase_add_test(tc, dir_empty);
    tcase_add_test(tc, dir_alembic_only);
    tcase_add_test(tc, dir_unreadable);
    tcase_add_test(tc, dir_bad_file);
    tcase_add_test(tc, dir_binary_found_in_the_first_block);
    tcase_add_test(tc, dir_many_files);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return pgtest_run_suite(script_suite());
}
