/*
 * check_api.c - the public API's promises that need no database: accessors
 * out of range, NULL arguments, options structs and versions.
 */
#include "pgtest.h"

#include <ultramigrate/ultramigrate.h>

#include <stddef.h>
#include <stdint.h>

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

static Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("accessors");
    tcase_add_test(tc, status_accessors_accept_null);
    tcase_add_test(tc, history_accessors_accept_null);
    suite_add_tcase(s, tc);

    tc = tcase_create("outputs");
    tcase_add_test(tc, outputs_left_null_on_failure);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return pgtest_run_suite(api_suite());
}
