/* Tests of harness/verdict.c: names and the exit-code table of DESIGN.md. */
#define TEST_NAME "verdict"
#include "harness/verdict.h"

#include <check.h>
#include <string.h>

START_TEST(test_names)
{
    for (int v = 0; v < VERDICT_COUNT; v++) {
        enum verdict back;
        ck_assert_int_eq(verdict_parse(verdict_name((enum verdict)v), &back), 0);
        ck_assert_int_eq(back, v);
    }
    enum verdict v;
    ck_assert_int_eq(verdict_parse("warn", &v), 0);
    ck_assert_int_eq(v, VERDICT_WARN);
    ck_assert_int_eq(verdict_parse("nope", &v), -1);
    enum errcat c;
    ck_assert_int_eq(errcat_parse("tempfail", &c), 0);
    ck_assert_int_eq(c, ERRCAT_TEMPFAIL);
    ck_assert_str_eq(errcat_name(ERRCAT_TLS), "tls");
    ck_assert_int_eq(verdict_worse(VERDICT_WARN, VERDICT_PASS), VERDICT_WARN);
    ck_assert_int_eq(verdict_worse(VERDICT_WARN, VERDICT_FAIL), VERDICT_FAIL);
}
END_TEST

/* counts: PASS WARN FAIL ERROR SKIP XFAIL XPASS NOTRUN */
static const struct {
    const char *name;
    uint64_t n[VERDICT_COUNT];
    unsigned fail_on;
    int interrupted;
    enum exit_code want;
} EXITS[] = {
    {"all pass", {5}, 0, 0, EXIT_OK},
    {"nothing", {0}, 0, 0, EXIT_USAGE},
    {"a fail", {5, 0, 1}, 0, 0, EXIT_FAILED},
    {"fail beats error", {5, 0, 1, 1}, 0, 0, EXIT_FAILED},
    {"an error", {5, 0, 0, 1}, 0, 0, EXIT_INCONCLUSIVE},
    {"warn allowed", {5, 2}, 0, 0, EXIT_OK},
    {"warn strict", {5, 2}, VERDICT_STRICT_MASK, 0, EXIT_FAILED},
    {"xpass strict", {5, 0, 0, 0, 0, 0, 1}, VERDICT_STRICT_MASK, 0, EXIT_FAILED},
    {"skip allowed", {5, 0, 0, 0, 3}, 0, 0, EXIT_OK},
    {"skip fail-on", {5, 0, 0, 0, 3}, VERDICT_BIT(VERDICT_SKIP), 0, EXIT_FAILED},
    {"all skipped", {0, 0, 0, 0, 3}, 0, 0, EXIT_INCONCLUSIVE},
    {"xfail allowed", {5, 0, 0, 0, 0, 2}, 0, 0, EXIT_OK},
    {"interrupted", {5, 0, 1}, 0, 1, EXIT_INTERRUPTED},
};

START_TEST(test_exit)
{
    struct verdict_counts c;
    memcpy(c.n, EXITS[_i].n, sizeof c.n);
    struct verdict_policy p = {EXITS[_i].fail_on};
    enum exit_code got = verdict_run_exit(&c, &p, EXITS[_i].interrupted);
    ck_assert_msg(got == EXITS[_i].want, "%s: got %d want %d", EXITS[_i].name,
                  got, EXITS[_i].want);
}
END_TEST

START_TEST(test_mask)
{
    unsigned m;
    char err[128];
    ck_assert_int_eq(verdict_parse_mask("warn,skip", &m, err, sizeof err), 0);
    ck_assert_uint_eq(m, VERDICT_BIT(VERDICT_WARN) | VERDICT_BIT(VERDICT_SKIP));
    ck_assert_int_eq(verdict_parse_mask("warn,bogus", &m, err, sizeof err), -1);
    ck_assert(strstr(err, "bogus"));
    ck_assert_int_eq(verdict_parse_mask("warn,,skip", &m, err, sizeof err), -1);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_names);
    tcase_add_loop_test(tc, test_exit, 0, sizeof EXITS / sizeof EXITS[0]);
    tcase_add_test(tc, test_mask);
}

#include "check_main.h"
