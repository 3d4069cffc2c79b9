/* Tests of harness/clock.c (RFC 3339) and harness/duration.c. */
#define TEST_NAME "clock_duration"
#include "harness/clock.h"
#include "harness/duration.h"

#include <check.h>
#include <string.h>

START_TEST(test_rfc3339)
{
    static const struct {
        int64_t us;
        const char *text;
    } V[] = {
        {0, "1970-01-01T00:00:00.000Z"},
        {1795911740123456LL, "2026-11-29T00:22:20.123Z"},
        {951782400000000LL, "2000-02-29T00:00:00.000Z"},
        {-1000, "1969-12-31T23:59:59.999Z"},
    };
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        char t[CLOCK_RFC3339_LEN];
        clock_rfc3339(V[i].us, t);
        ck_assert_msg(strcmp(t, V[i].text) == 0, "got %s want %s", t, V[i].text);
        int64_t back;
        ck_assert_int_eq(clock_parse_rfc3339(t, &back), 0);
        ck_assert_int_eq(back, V[i].us - (((V[i].us % 1000) + 1000) % 1000));
    }
    int64_t us;
    ck_assert_int_eq(clock_parse_rfc3339("2026-11-29T01:22:20+01:00", &us), 0);
    ck_assert_int_eq(us, 1795911740000000LL);
    ck_assert_int_eq(clock_parse_rfc3339("2026-11-29T00:22:20.5Z", &us), 0);
    ck_assert_int_eq(us, 1795911740500000LL);
    static const char *BAD[] = {"", "2026-11-29", "2026-11-29T00:22:20",
                                "2026-13-29T00:22:20Z", "2026-11-29T00:22:20.Z",
                                "2026-11-29T00:22:20Zjunk"};
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++)
        ck_assert_msg(clock_parse_rfc3339(BAD[i], &us) == -1, "'%s' accepted",
                      BAD[i]);
}
END_TEST

START_TEST(test_duration)
{
    static const struct {
        const char *in;
        int64_t us;
        const char *out;
    } V[] = {
        {"250ms", 250000, "250ms"}, {"2s", 2000000, "2s"},
        {"1.5s", 1500000, "1500ms"}, {"5m", 300000000, "5m"},
        {"1h", 3600000000LL, "1h"}, {"10us", 10, "10us"},
        {"0s", 0, "0us"}, {"0.25ms", 250, "250us"},
    };
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        int64_t us = -1;
        char err[128];
        ck_assert_msg(duration_parse(V[i].in, &us, err, sizeof err) == 0,
                      "%s: %s", V[i].in, err);
        ck_assert_msg(us == V[i].us, "%s: got %lld want %lld", V[i].in,
                      (long long)us, (long long)V[i].us);
        char out[32];
        duration_format(us, out, sizeof out);
        ck_assert_str_eq(out, V[i].out);
    }
    static const struct {
        const char *in;
        const char *msg;
    } BAD[] = {
        {"", "not a duration"},  {"5", "has no unit"},
        {"5x", "unknown unit"},  {"ms", "not a duration"},
        {"-1s", "not a duration"}, {"99999999999999999999s", "too long"},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        int64_t us;
        char err[128] = "";
        ck_assert_int_eq(duration_parse(BAD[i].in, &us, err, sizeof err), -1);
        ck_assert_msg(strstr(err, BAD[i].msg), "'%s': got '%s' want '%s'",
                      BAD[i].in, err, BAD[i].msg);
    }
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_rfc3339);
    tcase_add_test(tc, test_duration);
}

#include "check_main.h"
