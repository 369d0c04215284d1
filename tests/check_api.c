/*
 * check_api.c - the public API's promises that need no database: accessors
 * out of range, NULL arguments, options structs and versions.
 */
#include "pgtest.h"

#include <ultramigrate/ultramigrate.h>

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

static Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("accessors");
    tcase_add_test(tc, status_accessors_accept_null);
    tcase_add_test(tc, history_accessors_accept_null);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return pgtest_run_suite(api_suite());
}
