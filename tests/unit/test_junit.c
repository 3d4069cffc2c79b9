#define TEST_NAME "junit"
#include <check.h>
static void add_tests(TCase *tc) { (void)tc; }
#include "check_main.h"
