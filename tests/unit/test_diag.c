/* Tests of suite/diag.c: the message layout (first line greppable, the
 * source, the caret under the right character with tabs and UTF-8),
 * long lines shown as a window, hidden source lines, control bytes
 * sanitised, and the error count. */
#define TEST_NAME "diag"
#include "suite/diag.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static char *out; /* open_memstream's buffer (static: it outlives calls) */
static size_t outlen;

static char *report(const struct diag_loc *loc, const char *msg, size_t *count)
{
    out = NULL;
    FILE *fp = open_memstream(&out, &outlen);
    struct diag d;
    diag_init(&d, fp);
    diag_error(&d, loc, "%s", msg);
    *count = d.nerrors;
    fclose(fp);
    return out;
}

START_TEST(test_layout)
{
    static const struct {
        const char *src;
        int line, col;
        const char *want;
    } V[] = {
        {"foo bar", 12, 5, "f.smtp:12:5: m\n   12 | foo bar\n      |     ^\n"},
        {"\tx", 3, 2, "f.smtp:3:2: m\n    3 | \tx\n      | \t^\n"},
        {"\xc3\xa9t\xc3\xa9", 1, 3,
         "f.smtp:1:3: m\n    1 | \xc3\xa9t\xc3\xa9\n      |   ^\n"},
        {"a\x01"
         "b",
         1, 3, "f.smtp:1:3: m\n    1 | a?b\n      |   ^\n"},
        {"end", 1, 4, "f.smtp:1:4: m\n    1 | end\n      |    ^\n"},
        {"", 100000, 1, "f.smtp:100000:1: m\n100000 | \n       | ^\n"},
    };
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        struct diag_loc loc = {"f.smtp", V[i].line,        V[i].col,
                               V[i].src, strlen(V[i].src), false};
        size_t count;
        char *got = report(&loc, "m", &count);
        ck_assert_msg(strcmp(got, V[i].want) == 0,
                      "vec %zu:\ngot:\n%swant:\n%s", i, got, V[i].want);
        ck_assert_uint_eq(count, 1);
        free(got);
    }
}
END_TEST

START_TEST(test_hidden_and_plain)
{
    struct diag_loc loc = {"t.target", 4,   15, "secret pass = hunter2",
                           21,         true};
    size_t count;
    char *got = report(&loc, "bad value", &count);
    ck_assert_str_eq(got, "t.target:4:15: bad value\n");
    ck_assert_ptr_null(strstr(got, "hunter2"));
    free(got);
    out = NULL;
    FILE *fp = open_memstream(&out, &outlen);
    struct diag d;
    diag_init(&d, fp);
    diag_plain(&d, "x.smtp", "cannot read: %s", "gone");
    diag_plain(&d, NULL, "--tags: %s", "bad\x1b[31m");
    diag_note(&d, "included from %s:%d", "a.smtp", 3);
    fclose(fp);
    ck_assert_str_eq(out, "x.smtp: cannot read: gone\n--tags: bad?[31m\n"
                          "      = included from a.smtp:3\n");
    ck_assert_uint_eq(d.nerrors, 2);
    free(out);
}
END_TEST

/* A long line is shown as a window around the caret. */
START_TEST(test_window)
{
    char src[2000];
    memset(src, 'a', sizeof src);
    src[1500] = 'X';
    struct diag_loc loc = {"f", 1, 1501, src, sizeof src, false};
    size_t count;
    char *got = report(&loc, "m", &count);
    char *l2 = strchr(got, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
    ck_assert_msg(strncmp(l2, "    1 | ...", 11) == 0, "%s", got);
    ck_assert(strlen(l2) - strlen(l3) < DIAG_MAX_SRC + 20);
    /* the caret sits under the X */
    size_t caret = strchr(l3, '^') - l3;
    ck_assert_int_eq(l2[caret], 'X');
    free(got);
}
END_TEST

START_TEST(test_count_only)
{
    struct diag d;
    diag_init(&d, NULL);
    struct diag_loc loc = {"f", 1, 1, "x", 1, false};
    diag_error(&d, &loc, "a");
    diag_plain(&d, "f", "b");
    ck_assert_uint_eq(d.nerrors, 2);
    ck_assert_int_eq(diag_col("\xc3\xa9xy", 3), 3);
    ck_assert_int_eq(diag_col("abc", 0), 1);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_layout);
    tcase_add_test(tc, test_hidden_and_plain);
    tcase_add_test(tc, test_window);
    tcase_add_test(tc, test_count_only);
}

#include "check_main.h"
