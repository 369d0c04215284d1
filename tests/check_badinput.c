/* placeholder until the suite lands */
#include "pgtest.h"
#include <stdlib.h>
START_TEST(placeholder) { ck_assert_int_eq(1, 1); }
END_TEST
int main(void) { Suite *s = suite_create("badinput"); TCase *tc = tcase_create("placeholder"); tcase_add_test(tc, placeholder); suite_add_tcase(s, tc); return pgtest_run_suite(s); }
