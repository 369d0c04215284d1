/*
 * check_api.c - the public API's promises that need no database: accessors
 * out of range, NULL arguments, options structs and versions.
 */
#include "pgtest.h"

#include <ultramigrate/ultramigrate.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- version and errors ----------------------------------------------- */

START_TEST(version_number_matches_headers)
{
    ck_assert_uint_eq(um_version_number(), UM_VERSION_NUMBER);
    ck_assert_str_eq(um_version(), UM_VERSION_STRING);
    ck_assert_uint_eq(um_version_number() >> 16, UM_VERSION_MAJOR);
    ck_assert_uint_eq((um_version_number() >> 8) & 0xff, UM_VERSION_MINOR);
    ck_assert_uint_eq(um_version_number() & 0xff, UM_VERSION_PATCH);
    /* libpq 10 and later: MAJOR * 10000 + MINOR */
    ck_assert_int_ge(um_libpq_version(), 100000);
    const char *v = "unset";
    ck_assert_int_eq(um_server_version(&v, NULL), UM_EINVAL);
    ck_assert_ptr_null(v);
}
END_TEST

START_TEST(errors_without_handle)
{
    ck_assert_str_eq(um_errmsg(NULL), "NULL handle");
    ck_assert_ptr_null(um_error_detail(NULL));
    ck_assert_str_eq(um_strerror(UM_ENOMEM), "out of memory");
    ck_assert_str_eq(um_strerror(-1000), "unknown error");
    ck_assert_str_eq(um_strerror(1), "unknown error");
}
END_TEST

/* ---- accessors ------------------------------------------------------- */

START_TEST(status_accessors_accept_null)
{
    ck_assert_uint_eq(um_status_current_head_count(NULL), 0);
    ck_assert_ptr_null(um_status_current_head_at(NULL, 0));
    ck_assert_uint_eq(um_status_file_head_count(NULL), 0);
    ck_assert_ptr_null(um_status_file_head_at(NULL, 0));
    ck_assert_uint_eq(um_status_applied_count(NULL), 0);
    ck_assert_ptr_null(um_status_applied_at(NULL, 0));
    ck_assert_uint_eq(um_status_pending_count(NULL), 0);
    ck_assert_ptr_null(um_status_pending_at(NULL, SIZE_MAX));
    um_status_free(NULL);
}
END_TEST

START_TEST(history_accessors_accept_null)
{
    ck_assert_uint_eq(um_history_count(NULL), 0);
    ck_assert_ptr_null(um_history_at(NULL, 0));
    um_history_free(NULL);
}
END_TEST

START_TEST(revision_list_accessors_accept_null)
{
    ck_assert_uint_eq(um_revision_list_count(NULL), 0);
    ck_assert_ptr_null(um_revision_list_at(NULL, 0));
    um_revision_list_free(NULL);
    ck_assert_int_eq(um_revision_range(NULL, NULL, NULL, NULL), UM_EINVAL);
}
END_TEST

/* ---- outputs first ---------------------------------------------------- */

/* A non-NULL value an output must not keep after a failure (aligned for
 * any type, so the casts below are valid). */
static max_align_t stale;

START_TEST(outputs_left_null_on_failure)
{
    const um_revision *rev = (const um_revision *)&stale;
    um_status_info *st = (um_status_info *)&stale;
    um_history_list *h = (um_history_list *)&stale;
    char *path = (char *)&stale;

    ck_assert_int_eq(um_revision_lookup(&rev, NULL, "head"), UM_EINVAL);
    ck_assert_ptr_null(rev);
    ck_assert_int_eq(um_status(&st, NULL), UM_EINVAL);
    ck_assert_ptr_null(st);
    ck_assert_int_eq(um_history(&h, NULL, 0), UM_EINVAL);
    ck_assert_ptr_null(h);
    ck_assert_int_eq(um_generate(&path, NULL, NULL), UM_EINVAL);
    ck_assert_ptr_null(path);
}
END_TEST

/* ---- new files: merge and init options ------------------------------- */

/* A project with two bases, so two heads to merge; opened without a
 * database (nothing here connects). */
static um_ctx *open_two_heads(const char *dir)
{
    pgtest_write_revision(dir, "a", NULL, NULL, 1, "SELECT 1;", "SELECT 1;");
    pgtest_write_revision(dir, "b", NULL, NULL, 1, "SELECT 2;", "SELECT 2;");
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    o.script_location = pgtest_fmt("%s/migrations", dir);
    um_ctx *ctx = NULL;
    PGTEST_CHECK_OK(ctx, um_open(&ctx, &o));
    return ctx;
}

/* Checked before anything connects: no database needed. */
START_TEST(stamp_options)
{
    char *dir = pgtest_tmpdir();
    um_ctx *ctx = open_two_heads(dir);
    um_stamp_options o;
    const char *const none[] = { NULL };

    ck_assert_int_eq(um_stamp_options_init(NULL, UM_STAMP_OPTIONS_VERSION), UM_EINVAL);
    ck_assert_int_eq(um_stamp_options_init(&o, UM_STAMP_OPTIONS_VERSION + 1), UM_EINVAL);
    ck_assert_int_eq(um_stamp_options_init(&o, UM_STAMP_OPTIONS_VERSION), UM_OK);
    PGTEST_CHECK_RC(ctx, um_stamp_v2(ctx, &o), UM_EINVAL);
    PGTEST_CHECK_RC(ctx, um_stamp_v2(ctx, NULL), UM_EINVAL);
    o.revisions = none;
    o.n_revisions = 1;
    PGTEST_CHECK_RC(ctx, um_stamp_v2(ctx, &o), UM_EINVAL);
    o.version = UM_STAMP_OPTIONS_VERSION + 1;
    PGTEST_CHECK_RC(ctx, um_stamp_v2(ctx, &o), UM_EVERSION);
    um_close(ctx);
    pgtest_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(merge_options)
{
    char *dir = pgtest_tmpdir();
    um_ctx *ctx = open_two_heads(dir);
    um_merge_options m;
    char *path = (char *)&stale;

    ck_assert_int_eq(um_merge_options_init(NULL, UM_MERGE_OPTIONS_VERSION), UM_EINVAL);
    ck_assert_int_eq(um_merge_options_init(&m, UM_MERGE_OPTIONS_VERSION + 1), UM_EINVAL);
    ck_assert_int_eq(um_merge_options_init(&m, UM_MERGE_OPTIONS_VERSION), UM_OK);
    m.version = UM_MERGE_OPTIONS_VERSION + 1;
    PGTEST_CHECK_RC(ctx, um_merge(&path, ctx, &m), UM_EVERSION);
    ck_assert_ptr_null(path);

    const char *const one[] = { "a" };
    m.version = UM_MERGE_OPTIONS_VERSION;
    m.revs = one;
    m.n_revs = 1;
    PGTEST_CHECK_RC(ctx, um_merge(&path, ctx, &m), UM_ETARGET);

    /* no revs: every head; no message: "merge ID, ID"; rev_id as generate's */
    m.revs = NULL;
    m.n_revs = 0;
    m.rev_id = "m0001";
    PGTEST_CHECK_OK(ctx, um_merge(&path, ctx, &m));
    char *text = pgtest_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strncmp(text, "-- merge a, b\n", 14) == 0, "%s", text);
    ck_assert_msg(strstr(text, "Revision ID: m0001\n") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "Revises: a, b\n") != NULL, "%s", text);
    free(text);
    um_free(path);

    m.rev_id = "a";
    PGTEST_CHECK_RC(ctx, um_merge(NULL, ctx, &m), UM_EINVAL); /* a revision's id */
    PGTEST_CHECK_OK(ctx, um_merge(NULL, ctx, NULL));
    um_close(ctx);
    pgtest_rmtree(dir);
    free(dir);
    pgtest_pool_free();
}
END_TEST

START_TEST(project_init_options)
{
    char *dir = pgtest_tmpdir(), *err = NULL;
    um_project_init_options o;

    ck_assert_int_eq(um_project_init_options_init(&o, UM_PROJECT_INIT_OPTIONS_VERSION + 1),
                     UM_EINVAL);
    ck_assert_int_eq(um_project_init_options_init(&o, UM_PROJECT_INIT_OPTIONS_VERSION), UM_OK);
    o.version = 0;
    ck_assert_int_eq(um_project_init(&err, &o), UM_EVERSION);
    ck_assert_ptr_nonnull(err);
    um_free(err);

    o.version = UM_PROJECT_INIT_OPTIONS_VERSION;
    o.config_path = pgtest_fmt("%s/ultramigrate.ini", dir);
    o.script_location = pgtest_fmt("%s/db", dir);
    ck_assert_int_eq(um_project_init(&err, &o), UM_OK);
    ck_assert_ptr_null(err);
    ck_assert_int_eq(access(pgtest_fmt("%s/db/versions", dir), F_OK), 0);
    ck_assert_int_eq(access(pgtest_fmt("%s/db/script.sql.tmpl", dir), F_OK), 0);
    ck_assert_int_eq(access(o.config_path, F_OK), 0);

    o.script_location = "";
    ck_assert_int_eq(um_project_init(&err, &o), UM_EINVAL);
    ck_assert_ptr_nonnull(err);
    um_free(err);

    /* NULL options: ./migrations and no configuration file */
    char cwd[4096];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
    ck_assert_int_eq(chdir(dir), 0);
    ck_assert_int_eq(um_project_init(NULL, NULL), UM_OK);
    ck_assert_int_eq(access("migrations/versions", F_OK), 0);
    ck_assert_int_eq(chdir(cwd), 0);
    pgtest_rmtree(dir);
    free(dir);
    pgtest_pool_free();
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("version_and_errors");
    tcase_add_test(tc, version_number_matches_headers);
    tcase_add_test(tc, errors_without_handle);
    suite_add_tcase(s, tc);

    tc = tcase_create("accessors");
    tcase_add_test(tc, status_accessors_accept_null);
    tcase_add_test(tc, history_accessors_accept_null);
    tcase_add_test(tc, revision_list_accessors_accept_null);
    suite_add_tcase(s, tc);

    tc = tcase_create("outputs");
    tcase_add_test(tc, outputs_left_null_on_failure);
    suite_add_tcase(s, tc);

    tc = tcase_create("new_files");
    tcase_add_test(tc, merge_options);
    tcase_add_test(tc, stamp_options);
    tcase_add_test(tc, project_init_options);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return pgtest_run_suite(api_suite());
}
