/* Tests of suite/case_regex.c: ordinary patterns pass the guard and
 * compile; patterns that make regcomp(3) blow up are refused, among them
 * the one the case fuzzer found (a run of '+'). The oracle for "ordinary"
 * is regcomp itself. */
#define TEST_NAME "case_regex"
#include "suite/case_regex.h"

#include <check.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

START_TEST(test_ordinary)
{
    static const char *const OK[] = {
        "queued as ([A-Z0-9]+)",
        "^[^\n]*$",
        "^2\\.[0-9]\\.[0-9]+ ",
        "(a|b)+c*d?",
        "x{3}",
        "x{2,5}y{0,}",
        "[]a]+[^]b]*[[:alpha:]]+",
        "too (many|much)",
        "\\{1,99999\\}",
        "a{",
        "((a+)+)+",
        "(ab){255}",
        "",
    };
    for (size_t i = 0; i < sizeof OK / sizeof OK[0]; i++) {
        size_t off = 99;
        const char *why = NULL;
        ck_assert_msg(case_regex_check(OK[i], &off, &why) == 0, "'%s': %s",
                      OK[i], why);
        regex_t re;
        if (strcmp(OK[i], "a{") != 0) {
            ck_assert_msg(regcomp(&re, OK[i], REG_EXTENDED) == 0,
                          "'%s' does not compile", OK[i]);
            regfree(&re);
        }
    }
}
END_TEST

START_TEST(test_refused)
{
    static const struct {
        const char *re;
        size_t off;
        const char *why;
    } BAD[] = {
        {"ok++", 3, "stacked"},
        {"ok+++++++++++++++++++++++++++++++++++++++++++++++++++++++++++", 3,
         "stacked"},
        {"a*{2}", 2, "stacked"},
        {"a?*", 2, "stacked"},
        {"x{256}", 1, "over 255"},
        {"x{1,1000}", 1, "over 255"},
        {"((a{1,200}){1,200}){1,200}", 11, "too complex"},
        {"(((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+", 38, "too complex"},
        {"((((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))"
         ")",
         32, "nested"},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        size_t off = 0;
        const char *why = "";
        ck_assert_msg(case_regex_check(BAD[i].re, &off, &why) == -1,
                      "'%s' passed", BAD[i].re);
        ck_assert_msg(strstr(why, BAD[i].why) != NULL, "'%s': %s", BAD[i].re,
                      why);
        ck_assert_msg(off == BAD[i].off, "'%s': offset %zu want %zu", BAD[i].re,
                      off, BAD[i].off);
    }
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_ordinary);
    tcase_add_test(tc, test_refused);
}

#include "check_main.h"
