/* check_template.c - slugs, file names, revision ids, rendering. */
#include "pgtest.h"
#include "script.h"
#include "template.h"

#include <stdlib.h>
#include <string.h>

#define T0 ((time_t)1746100800) /* 2025-05-01 12:00:00 UTC */
#define ALEMBIC_TMPL                                                                               \
    "%(year)d%(month).2d%(day).2d_%(hour).2d%(minute).2d%(second).2d"                              \
    "_%(rev)s_%(slug)s"

/* ---- slug ------------------------------------------------------------ */

static void slug_is(const char *message, int truncate, const char *want)
{
    char *slug = template_slug(message, truncate);
    ck_assert_ptr_nonnull(slug);
    ck_assert_str_eq(slug, want);
    free(slug);
}

START_TEST(slug_punctuation)
{
    slug_is("Add user preferences!", 0, "add_user_preferences");
    slug_is("  --Hello,   World--  ", 0, "hello_world");
    slug_is("snake_case and-dash v2.1", 0, "snake_case_and_dash_v2_1");
    slug_is("!!!", 0, "");
    slug_is("", 40, "");
    slug_is(NULL, 40, "");
}
END_TEST

START_TEST(slug_unicode)
{
    /* Latin letters with diacritics become ASCII letters. */
    slug_is("Caf\xC3\xA9 cr\xC3\xA8me", 0, "cafe_creme");
    slug_is("Ajout caf\xC3\xA9 / na\xC3\xAFve", 0, "ajout_cafe_naive");
    slug_is("Stra\xC3\x9F"
            "e \xC3\x86sir \xC3\x98re \xC3\x85s",
            0, "strasse_aesir_ore_as");
    slug_is("Espa\xC3\xB1"
            "a \xC3\x9C"
            "ber \xC3\xA7"
            "a",
            0, "espana_uber_ca");
    slug_is("\xC5\x81\xC3\xB3"
            "d\xC5\xBA \xC5\x92uvre \xC4\xB3s",
            0, "lodz_oeuvre_ijs");
    /* Other non-ASCII characters separate words, as punctuation does:
     * U+00D7, Greek, an emoji, a truncated sequence. */
    slug_is("2\xC3\x97"
            "3",
            0, "2_3");
    slug_is("\xCE\xB1 beta", 0, "beta");
    slug_is("\xE2\x98\x95 coffee \xF0\x9F\x9A\x80", 0, "coffee");
    slug_is("end\xC3", 0, "end");
}
END_TEST

START_TEST(slug_truncate)
{
    slug_is("add user preferences table", 12, "add_user");
    slug_is("add user preferences table", 8, "add_user"); /* ends on a word */
    slug_is("add user preferences table", 9, "add_user");
    slug_is("add user preferences table", 26, "add_user_preferences_table");
    slug_is("add user preferences table", 40, "add_user_preferences_table");
    slug_is("add user preferences table", 0, "add_user_preferences_table");
}
END_TEST

START_TEST(slug_long_first_word)
{
    slug_is("Supercalifragilistic stuff", 5, "super");
    slug_is("abcdefgh", 8, "abcdefgh");
    slug_is("abcdefghi", 8, "abcdefgh");
}
END_TEST

/* ---- file names ------------------------------------------------------ */

static void name_is(const char *tmpl, const char *message, time_t t, const char *want)
{
    err_buf err = { 0 };
    char *name = NULL;
    int rc = template_file_name(tmpl, "3f1c9a2b7d10", message, 40, t, &name, &err);
    ck_assert_msg(rc == 0, "%s: %s", tmpl, err.d.message);
    ck_assert_str_eq(name, want);
    free(name);
}

static void name_fails(const char *tmpl, const char *what)
{
    err_buf err = { 0 };
    char *name = (char *)&err;
    int rc = template_file_name(tmpl, "3f1c9a2b7d10", "Add users", 40, T0, &name, &err);
    ck_assert_int_eq(rc, UM_ECONFIG);
    ck_assert_ptr_null(name);
    ck_assert_int_eq(err.d.code, UM_ECONFIG);
    ck_assert_msg(strstr(err.d.message, what), "'%s' does not mention '%s'", err.d.message, what);
    ck_assert_msg(strstr(err.d.message, "file_template"), "%s", err.d.message);
    err_clear(&err);
}

START_TEST(name_default)
{
    name_is("%(rev)s_%(slug)s", "Add users", T0, "3f1c9a2b7d10_add_users.sql");
    /* An empty slug leaves no dangling separator. */
    name_is("%(rev)s_%(slug)s", "", T0, "3f1c9a2b7d10.sql");
    name_is("%(rev)s-%(slug)s", "?!", T0, "3f1c9a2b7d10.sql");
}
END_TEST

START_TEST(name_alembic_full)
{
    name_is(ALEMBIC_TMPL, "Add user preferences", T0,
            "20250501_120000_3f1c9a2b7d10_add_user_preferences.sql");
    /* 2025-01-02 03:04:05 UTC: every field needs its zero. */
    name_is(ALEMBIC_TMPL, "x", (time_t)1735787045, "20250102_030405_3f1c9a2b7d10_x.sql");
}
END_TEST

START_TEST(name_epoch_and_percent)
{
    name_is("%(epoch)s_%(rev)s", "m", T0, "1746100800_3f1c9a2b7d10.sql");
    name_is("%(epoch)d", "m", T0, "1746100800.sql");
    name_is("100%%_%(rev).4s", "m", T0, "100%_3f1c.sql");
    name_is("%(month)s", "m", T0, "5.sql");
}
END_TEST

START_TEST(name_errors)
{
    name_fails("%(rev)s_%(author)s", "%(author)");
    name_fails("%(rev", "%(rev");
    name_fails("%(rev)s_%s", "%s");
    name_fails("%(rev)x", "%(rev)x");
    name_fails("%(rev)d", "%(rev)d");
    name_fails("%(year)d/%(rev)s", "'/'");
}
END_TEST

START_TEST(name_empty_slug_rejected)
{
    err_buf err = { 0 };
    char *name = NULL;
    ck_assert_int_eq(template_file_name("%(slug)s", "abc", "", 40, T0, &name, &err), UM_ECONFIG);
    ck_assert_ptr_null(name);
    err_clear(&err);
}
END_TEST

/* ---- revision ids ---------------------------------------------------- */

START_TEST(rev_id_format)
{
    err_buf err = { 0 };
    char a[13], b[13];
    ck_assert_int_eq(template_new_rev_id(a, &err), 0);
    ck_assert_int_eq(template_new_rev_id(b, &err), 0);
    ck_assert_uint_eq(strlen(a), 12);
    ck_assert_uint_eq(strspn(a, "0123456789abcdef"), 12);
    ck_assert_uint_eq(strspn(b, "0123456789abcdef"), 12);
    ck_assert_str_ne(a, b);
    ck_assert(script_valid_id(a));
}
END_TEST

/* ---- render ---------------------------------------------------------- */

static const template_vars VARS = {
    .message = "Add users",
    .rev_id = "3f1c9a2b7d10",
    .parents = "9b0e4d55c2aa, 77aa00bb11cc",
    .depends_on = "0011aabbccdd",
    .create_date = "2025-05-01 12:00:00+00",
};

static char *render_ok(const char *tmpl, const template_vars *vars)
{
    err_buf err = { 0 };
    char *out = NULL;
    ck_assert_msg(template_render(tmpl, "t.tmpl", vars, &out, &err) == 0, "%s", err.d.message);
    return out;
}

START_TEST(render_all)
{
    char *out = render_ok("${message}|${rev_id}|${parents}|${depends_on}|"
                          "${create_date}\n",
                          &VARS);
    ck_assert_str_eq(out, "Add users|3f1c9a2b7d10|9b0e4d55c2aa, 77aa00bb11cc|"
                          "0011aabbccdd|2025-05-01 12:00:00+00\n");
    free(out);
    template_vars v = VARS;
    v.branch_labels = "audit";
    out = render_ok("[${branch_labels}]\n", &v);
    ck_assert_str_eq(out, "[audit]\n");
    free(out);
}
END_TEST

START_TEST(render_dollars)
{
    char *out = render_ok("$$1 costs $5 and $ ${rev_id}$$ $$$", &VARS);
    ck_assert_str_eq(out, "$1 costs $5 and $ 3f1c9a2b7d10$ $$");
    free(out);
}
END_TEST

/* "-- ${message}" with @message renders as @want. */
static void assert_message_line(const char *message, const char *want)
{
    template_vars v = VARS;
    v.message = message;
    char *out = render_ok("-- ${message}\n", &v);
    ck_assert_str_eq(out, want);
    free(out);
}

START_TEST(render_message_one_line)
{
    assert_message_line("Add users\nand more\r\nlines", "-- Add users and more lines\n");
}
END_TEST

/* A message that would read back as a header line (a label, a parent, a
 * dependency the revision does not have, or a file every command refuses)
 * is refused; one that only starts like a key is a message. */
START_TEST(render_message_not_a_header)
{
    static const char *const refused[] = { "Branch Labels: audit", "depends on: a1",
                                           " Revises:the users table", "Transactional: no" };
    err_buf err = { 0 };
    for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
        template_vars v = VARS;
        v.message = refused[i];
        char *out = (char *)&err;
        ck_assert_int_eq(template_render(template_default_script, "t", &v, &out, &err), UM_EINVAL);
        ck_assert_ptr_null(out);
        ck_assert_msg(strstr(err.d.message, "header line"), "%s", err.d.message);
        err_clear(&err);
    }
    assert_message_line("Revise the users table: add email",
                        "-- Revise the users table: add email\n");
}
END_TEST

START_TEST(render_errors)
{
    err_buf err = { 0 };
    char *out = (char *)&err;
    ck_assert_int_eq(
        template_render("-- a\n-- b\n-- ${author} x\n", "dir/script.sql.tmpl", &VARS, &out, &err),
        UM_EPARSE);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(err.d.file, "dir/script.sql.tmpl");
    ck_assert_int_eq(err.d.line, 3);
    ck_assert_ptr_nonnull(strstr(err.d.message, "${author}"));

    ck_assert_int_eq(template_render("ok\n${message\n", "t", &VARS, &out, &err), UM_EPARSE);
    ck_assert_int_eq(err.d.line, 2);
    ck_assert_ptr_nonnull(strstr(err.d.message, "unterminated"));
    err_clear(&err);
}
END_TEST

START_TEST(render_default_parses)
{
    /* What init writes must give a revision file the parser accepts. */
    template_vars v = VARS;
    v.message = "Add users\nsecond line";
    char *out = render_ok(template_default_script, &v);
    err_buf err = { 0 };
    script_file *s = NULL;
    ck_assert_msg(script_parse_buffer("new.sql", out, strlen(out), &s, &err) == 0, "%s",
                  err.d.message);
    ck_assert_str_eq(s->id, "3f1c9a2b7d10");
    ck_assert_str_eq(s->message, "Add users second line");
    ck_assert_uint_eq(s->n_parents, 2);
    ck_assert_str_eq(s->parents[1], "77aa00bb11cc");
    ck_assert_uint_eq(s->n_depends_on, 1);
    ck_assert_str_eq(s->create_date, "2025-05-01 12:00:00+00");
    ck_assert(s->transactional);
    ck_assert(s->has_down);
    script_free(s);
    free(out);

    v.parents = "";
    v.depends_on = "";
    v.message = "";
    out = render_ok(template_default_script, &v);
    ck_assert_int_eq(script_parse_buffer("new.sql", out, strlen(out), &s, &err), 0);
    ck_assert_uint_eq(s->n_parents, 0);
    ck_assert_str_eq(s->message, "");
    script_free(s);
    free(out);
}
END_TEST

/* The default template writes "Branch Labels:" only for a revision with
 * labels; an older template without ${branch_labels} still gets them. */
START_TEST(render_branch_labels)
{
    template_vars v = VARS;
    char *out = render_ok(template_default_script, &v);
    ck_assert_ptr_null(strstr(out, "Branch Labels"));
    free(out);

    v.branch_labels = "audit, billing";
    out = render_ok(template_default_script, &v);
    ck_assert_ptr_nonnull(strstr(out, "-- Depends On: 0011aabbccdd\n"
                                      "-- Branch Labels: audit, billing\n"));
    err_buf err = { 0 };
    script_file *sf = NULL;
    ck_assert_int_eq(script_parse_buffer("new.sql", out, strlen(out), &sf, &err), 0);
    ck_assert_uint_eq(sf->n_branch_labels, 2);
    ck_assert_str_eq(sf->branch_labels[1], "billing");
    script_free(sf);
    free(out);

    out = render_ok("-- ${message}\n-- revision id: ${rev_id}\n-- migrate:up\n", &v);
    ck_assert_str_eq(out, "-- Add users\n-- revision id: 3f1c9a2b7d10\n"
                          "-- Branch Labels: audit, billing\n-- migrate:up\n");
    free(out);
    out = render_ok("-- migrate:up\n", &v);
    ck_assert_str_eq(out, "-- Branch Labels: audit, billing\n-- migrate:up\n");
    free(out);
}
END_TEST

Suite *template_suite(void)
{
    Suite *s = suite_create("template");
    TCase *tc = tcase_create("slug");
    tcase_add_test(tc, slug_punctuation);
    tcase_add_test(tc, slug_unicode);
    tcase_add_test(tc, slug_truncate);
    tcase_add_test(tc, slug_long_first_word);
    suite_add_tcase(s, tc);

    tc = tcase_create("file_name");
    tcase_add_test(tc, name_default);
    tcase_add_test(tc, name_alembic_full);
    tcase_add_test(tc, name_epoch_and_percent);
    tcase_add_test(tc, name_errors);
    tcase_add_test(tc, name_empty_slug_rejected);
    suite_add_tcase(s, tc);

    tc = tcase_create("rev_id");
    tcase_add_test(tc, rev_id_format);
    suite_add_tcase(s, tc);

    tc = tcase_create("render");
    tcase_add_test(tc, render_all);
    tcase_add_test(tc, render_dollars);
    tcase_add_test(tc, render_message_one_line);
    tcase_add_test(tc, render_message_not_a_header);
    tcase_add_test(tc, render_errors);
    tcase_add_test(tc, render_default_parses);
    tcase_add_test(tc, render_branch_labels);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return pgtest_run_suite(template_suite());
}
