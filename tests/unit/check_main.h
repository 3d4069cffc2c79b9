/* check_main: the shared main() of the unit tests. A test file defines
 * its TCase-filling function and includes this last. */
#ifndef SMTPSUITE_CHECK_MAIN_H
#define SMTPSUITE_CHECK_MAIN_H

#include <check.h>

static void add_tests(TCase *tc);

int main(void)
{
    Suite *s = suite_create(TEST_NAME);
    TCase *tc = tcase_create("core");
    add_tests(tc);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif
