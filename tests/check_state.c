/*
 * check_state.c - what the engine records and reports, against a real
 * PostgreSQL: the checksums of applied revisions, the contents of history
 * and status and their JSON, and a custom version table.
 *
 * Each test gets its own database and project directory (pgtest.h's
 * project fixture); revision files are written by the test itself.
 */
#define PGTEST_SHORT_NAMES
#include "pgtest.h"

#include <ultramigrate/ultramigrate.h>

#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* 1. Checksums                                                       */
/* ------------------------------------------------------------------ */

START_TEST(checksum_changed_file)
{
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_close(ctx);

    write_rev("r2", "r1", "CREATE TABLE t2 (id bigint);", "DROP TABLE t2;");
    write_table_rev("r4", "r3", "t4");
    ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_ECHECKSUM);
    const um_error_info *d = um_error_detail(ctx);
    ck_assert_ptr_nonnull(d->file);
    ck_assert_str_eq(d->file, rev_path("r2"));
    ck_assert_ptr_nonnull(d->revision);
    ck_assert_str_eq(d->revision, "r2");
    ck_assert_msg(strstr(um_errmsg(ctx), "r2") != NULL, "%s", um_errmsg(ctx));
    ASSERT_NO_TABLE("t4");
    ck_assert_str_eq(versions(), "r3");

    um_plan *plan = NULL;
    PGTEST_CHECK_RC(ctx, um_plan_create(&plan, ctx, UM_UP, "heads"), UM_ECHECKSUM);
    ck_assert_ptr_null(plan);

    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_applied_count(st), 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq(um_status_applied_at(st, i)->checksum_ok,
                         strcmp(um_status_applied_at(st, i)->revision, "r2") != 0);
    um_status_free(st);
    um_close(ctx);
}
END_TEST

START_TEST(checksum_ignores_down_section)
{
    write_linear(2);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    um_close(ctx);

    write_rev("r1", NULL, "CREATE TABLE t1 (id int);", "DROP TABLE IF EXISTS t1;");
    write_table_rev("r3", "r2", "t3");
    ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    ASSERT_TABLE("t3");
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 2. History and status contents                                     */
/* ------------------------------------------------------------------ */

/* The JSON rendering @text, which this frees (um_free). */
static json_t *parse_json(char *text)
{
    json_t *j = pgtest_json_parse(text);
    um_free(text);
    return j;
}

START_TEST(history_and_status_contents)
{
    write_rev("r1", NULL, "SELECT pg_sleep(0.05);\nCREATE TABLE t1 (id int);", "DROP TABLE t1;");
    write_table_rev("r2", "r1", "t2");
    write_table_rev("r3", "r2", "t3");
    um_ctx *ctx = open_engine_app("engine-history");
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r2", NULL));

    char role[256], host[256] = "";
    snprintf(role, sizeof(role), "%s", qv("SELECT current_user"));
    gethostname(host, sizeof(host) - 1);

    um_history_list *h = NULL;
    PGTEST_CHECK_OK(ctx, um_history(&h, ctx, 0));
    ck_assert_uint_eq(um_history_count(h), 2);
    for (size_t i = 0; i < 2; i++) {
        const um_history_entry *e = um_history_at(h, i);
        ck_assert_str_eq(e->revision, pgtest_fmt("r%zu", i + 1));
        ck_assert_str_eq(e->direction, "up");
        ck_assert_str_eq(e->state, "ok");
        ck_assert_str_eq(e->applied_by, role);
        ck_assert_ptr_nonnull(e->host);
        ck_assert_str_ne(e->host, "");
        ck_assert_str_eq(e->host, host);
        ck_assert_str_eq(e->application_name, "engine-history");
        ck_assert_str_eq(e->tool_version, um_version());
        ck_assert(e->duration_ms >= 0);
        ck_assert_ptr_null(e->error);
        ck_assert_uint_ge(strlen(e->started_at), 20);
        ck_assert_int_eq(e->started_at[4], '-');
        ck_assert_int_eq(e->started_at[10], 'T');
    }
    ck_assert(um_history_at(h, 0)->id < um_history_at(h, 1)->id);
    ck_assert_ptr_null(um_history_at(h, 2));
    ck_assert_ptr_null(um_history_at(h, SIZE_MAX));
    ck_assert_msg(um_history_at(h, 0)->duration_ms >= 45, "r1 slept 50ms but took %.3f ms",
                  um_history_at(h, 0)->duration_ms);

    json_t *j = parse_json(um_history_to_json(h));
    json_t *arr = json_object_get(j, "history");
    ck_assert(json_is_array(arr));
    ck_assert_uint_eq(json_array_size(arr), 2);
    json_t *e0 = json_array_get(arr, 0);
    ck_assert_str_eq(jstr(e0, "revision"), "r1");
    ck_assert_str_eq(jstr(e0, "direction"), "up");
    ck_assert_str_eq(jstr(e0, "state"), "ok");
    ck_assert_str_eq(jstr(e0, "applied_by"), role);
    ck_assert_str_eq(jstr(e0, "tool_version"), um_version());
    ck_assert(json_is_number(json_object_get(e0, "duration_ms")));
    ck_assert(json_is_null(json_object_get(e0, "error")));
    json_decref(j);
    um_history_free(h);

    PGTEST_CHECK_OK(ctx, um_history(&h, ctx, 1));
    ck_assert_uint_eq(um_history_count(h), 1);
    ck_assert_str_eq(um_history_at(h, 0)->revision, "r2");
    um_history_free(h);
    /* a limit past any count (SIZE_MAX: "all") is no limit, not a bigint
     * out of range */
    PGTEST_CHECK_OK(ctx, um_history(&h, ctx, SIZE_MAX));
    ck_assert_uint_eq(um_history_count(h), 2);
    um_history_free(h);

    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_applied_count(st), 2);
    ck_assert_uint_eq(um_status_pending_count(st), 1);
    ck_assert_str_eq(um_status_pending_at(st, 0)->id, "r3");
    ck_assert_uint_eq(um_status_current_head_count(st), 1);
    ck_assert_str_eq(um_status_current_head_at(st, 0), "r2");
    /* out of range: NULL, never a read past the end */
    ck_assert_ptr_null(um_status_current_head_at(st, 1));
    ck_assert_ptr_null(um_status_file_head_at(st, 1));
    ck_assert_ptr_null(um_status_applied_at(st, 2));
    ck_assert_ptr_null(um_status_pending_at(st, 1));
    ck_assert_ptr_null(um_status_pending_at(st, SIZE_MAX));
    for (size_t i = 0; i < 2; i++) {
        const um_applied *a = um_status_applied_at(st, i);
        const um_revision *rev = NULL;
        PGTEST_CHECK_OK(ctx, um_revision_lookup(&rev, ctx, pgtest_fmt("r%zu", i + 1)));
        ck_assert_str_eq(a->revision, rev->id);
        ck_assert_ptr_nonnull(a->message);
        ck_assert_str_eq(a->message, pgtest_fmt("Create r%zu", i + 1));
        ck_assert_str_eq(a->checksum, rev->checksum);
        ck_assert_str_eq(a->applied_by, role);
        ck_assert_str_eq(a->host, host);
        ck_assert_str_eq(a->application_name, "engine-history");
        ck_assert_str_eq(a->tool_version, um_version());
        ck_assert_str_eq(a->state, "applied");
        ck_assert_int_eq(a->known, 1);
        ck_assert_int_eq(a->checksum_ok, 1);
        ck_assert(a->duration_ms >= 0);
        ck_assert_uint_ge(strlen(a->applied_at), 20);
    }
    ck_assert_msg(um_status_applied_at(st, 0)->duration_ms >= 45, "r1 took %.3f ms",
                  um_status_applied_at(st, 0)->duration_ms);

    j = parse_json(um_status_to_json(st));
    ck_assert(json_is_false(json_object_get(j, "up_to_date")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "pending_count")), 1);
    json_t *heads = json_object_get(j, "current_heads");
    ck_assert_uint_eq(json_array_size(heads), 1);
    ck_assert_str_eq(json_string_value(json_array_get(heads, 0)), "r2");
    arr = json_object_get(j, "applied");
    ck_assert_uint_eq(json_array_size(arr), 2);
    json_t *a0 = json_array_get(arr, 0);
    ck_assert_str_eq(jstr(a0, "revision"), "r1");
    ck_assert_str_eq(jstr(a0, "state"), "applied");
    ck_assert_str_eq(jstr(a0, "applied_by"), role);
    ck_assert(json_is_true(json_object_get(a0, "checksum_ok")));
    ck_assert_uint_eq(strlen(jstr(a0, "checksum")), 64);
    arr = json_object_get(j, "pending");
    ck_assert_uint_eq(json_array_size(arr), 1);
    ck_assert_str_eq(jstr(json_array_get(arr, 0), "revision"), "r3");
    json_decref(j);
    um_status_free(st);

    const um_revision *r2 = NULL;
    PGTEST_CHECK_OK(ctx, um_revision_lookup(&r2, ctx, "r2"));
    j = parse_json(um_revision_to_json(r2));
    ck_assert_str_eq(jstr(j, "revision"), "r2");
    ck_assert_str_eq(jstr(j, "path"), rev_path("r2"));
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "parents"), 0)), "r1");
    json_decref(j);

    um_close(ctx);
}
END_TEST

/*
 * A revision whose file name is not UTF-8 could not be put in JSON (every
 * --json command failed with "out of memory"): such a name is refused
 * when the files are read, by every caller alike, the name escaped in a
 * message that is itself UTF-8.
 */
START_TEST(name_not_utf8_refused_at_load)
{
    write_table_rev("r1", NULL, "t1");
    write_table_rev("r2", "r1", "t2");
    const char *bad = pgtest_fmt("%s/migrations/versions/r2_\xff.sql", proj_dir);
    ck_assert_int_eq(rename(rev_path("r2"), bad), 0);
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    o.config_path = ini_path;
    o.database_url = db_url;
    um_ctx *ctx = NULL;
    ck_assert_int_eq(um_open(&ctx, &o), UM_EPARSE);
    const char *escaped = pgtest_fmt("%s/migrations/versions/r2_\\xff.sql", proj_dir);
    ck_assert_str_eq(um_error_detail(ctx)->file, escaped);
    ck_assert_msg(strstr(um_errmsg(ctx), "file name is not UTF-8 (byte 0xff at offset 3") != NULL,
                  "%s", um_errmsg(ctx));
    json_t *j = json_string(um_errmsg(ctx)); /* Jansson takes UTF-8 only */
    ck_assert_ptr_nonnull(j);
    json_decref(j);
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 3. Custom version table                                            */
/* ------------------------------------------------------------------ */

START_TEST(custom_version_table)
{
    write_ini("version_table = Ver\nversion_table_schema = migr ation\n");
    write_linear(3);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));

    ASSERT_TABLE("\"migr ation\".\"Ver\"");
    ASSERT_TABLE("\"migr ation\".\"Ver_applied\"");
    ASSERT_TABLE("\"migr ation\".\"Ver_history\"");
    ASSERT_NO_TABLE("\"migr ation\".ver");
    ASSERT_NO_TABLE("public.ultramigrate_version");
    ASSERT_NO_TABLE("public.\"Ver\"");
    ck_assert_str_eq(versions_in("\"migr ation\".\"Ver\""), "r3");
    ck_assert_str_eq(history_in("\"migr ation\".\"Ver_history\""), "r1:up:ok,r2:up:ok,r3:up:ok");
    ck_assert_int_eq(qi("SELECT count(*) FROM \"migr ation\".\"Ver_applied\""), 3);
    ASSERT_TABLE("t3");

    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_applied_count(st), 3);
    ck_assert_uint_eq(um_status_pending_count(st), 0);
    um_status_free(st);

    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "r1", NULL));
    ck_assert_str_eq(versions_in("\"migr ation\".\"Ver\""), "r1");
    ASSERT_NO_TABLE("t2");
    um_close(ctx);

    /* a second project with the default table in the same database is independent */
    write_ini(NULL);
    ctx = open_engine();
    um_status_info *st2 = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st2, ctx));
    ck_assert_uint_eq(um_status_applied_count(st2), 0);
    ck_assert_uint_eq(um_status_current_head_count(st2), 0);
    um_status_free(st2);
    um_close(ctx);
}
END_TEST

/*
 * The applied revisions are listed oldest first, then by id, whatever the
 * order of the table's rows on disk (the engine sorts them, not the
 * server): an update moves a row to the end of the heap.
 */
START_TEST(applied_oldest_first)
{
    write_linear(4);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    sql("UPDATE ultramigrate_version_applied SET applied_at = applied_at - interval '1 day'"
        " WHERE revision = 'r3'");
    sql("UPDATE ultramigrate_version_applied SET applied_at = (SELECT applied_at FROM"
        " ultramigrate_version_applied WHERE revision = 'r1') WHERE revision = 'r4'");
    sql("UPDATE ultramigrate_version_applied SET host = host WHERE revision = 'r1'");
    ck_assert_str_eq(qv("SELECT string_agg(revision, ',') FROM ultramigrate_version_applied"),
                     "r2,r3,r4,r1");

    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    const char *want[] = { "r3", "r1", "r4", "r2" };
    ck_assert_uint_eq(um_status_applied_count(st), 4);
    for (size_t i = 0; i < 4; i++)
        ck_assert_str_eq(um_status_applied_at(st, i)->revision, want[i]);
    um_status_free(st);
    um_close(ctx);
}
END_TEST

/*
 * applied_at is the server's time written as ISO 8601 in UTC by the
 * engine itself (store.c, from the binary timestamp): the same text the
 * server formats, over leap days, centuries and the ends of the range.
 */
START_TEST(applied_at_as_the_server_says)
{
    static const char *const times[] = {
        "2000-02-29 23:59:59.999999+00", "1999-12-31 00:00:00+00",        "1970-01-01 00:00:00+00",
        "1969-12-31 23:59:59.5+00",      "2100-03-01 12:34:56.000001+00", "1900-02-28 01:02:03+00",
        "2024-02-29 13:00:00+05:30",     "9999-12-31 23:59:59.999999+00",
    };
    const size_t n = sizeof(times) / sizeof(times[0]);
    write_linear((int)n);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", NULL));
    for (size_t i = 0; i < n; i++)
        sql("UPDATE ultramigrate_version_applied SET applied_at = '%s' WHERE revision = 'r%zu'",
            times[i], i + 1);

    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_applied_count(st), n);
    for (size_t i = 0; i < n; i++) {
        const um_applied *a = um_status_applied_at(st, i);
        const char *want =
            qv("SELECT to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
               " FROM ultramigrate_version_applied WHERE revision = '%s'",
               a->revision);
        ck_assert_str_eq(a->applied_at, want);
    }
    um_status_free(st);
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *state_suite(void)
{
    Suite *s = suite_create("state");

    PGTEST_ADD_TESTS(tcase(s, "checksum"), checksum_changed_file, checksum_ignores_down_section);

    PGTEST_ADD_TESTS(tcase(s, "history"), history_and_status_contents,
                     name_not_utf8_refused_at_load, applied_oldest_first,
                     applied_at_as_the_server_says);

    PGTEST_ADD_TESTS(tcase(s, "version_table"), custom_version_table);

    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(state_suite());
}
