/* Tests of suite/load_opts.c: sizes and size specifications, rates,
 * ramps and PATH[:WEIGHT], table-driven, with the exact messages. */
#define TEST_NAME "load_opts"
#include "suite/load_opts.h"
#include "harness/xalloc.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(test_sizes)
{
    static const struct {
        const char *in;
        uint64_t want;
        const char *err;
    } ROWS[] = {
        {"1024", 1024, NULL},
        {"1KiB", 1024, NULL},
        {"64KiB", 65536, NULL},
        {"1MiB", 1048576, NULL},
        {"1KB", 1000, NULL},
        {"2k", 2000, NULL},
        {"3M", 3000000, NULL},
        {"1GiB", 1073741824, NULL},
        {"0", 0, NULL},
        {"12B", 12, NULL},
        {"", 0,
         "'' is not a size: write a whole number of octets with an optional "
         "unit (1024, 1KiB, 64KiB, 1MiB)"},
        {"1.5KiB", 0,
         "'1.5KiB': unknown unit '.5KiB' (B, KB, KiB, MB, MiB, GB, GiB)"},
        {"KiB", 0,
         "'KiB' is not a size: write a whole number of octets with an "
         "optional unit (1024, 1KiB, 64KiB, 1MiB)"},
        {"10kib", 0,
         "'10kib': unknown unit 'kib' (B, KB, KiB, MB, MiB, GB, GiB)"},
        {"99999999999999999999", 0, "'99999999999999999999': too large"},
    };
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        uint64_t v = 0;
        char err[256] = "";
        int rc = load_opts_size(ROWS[i].in, &v, err, sizeof err);
        if (!ROWS[i].err) {
            ck_assert_msg(rc == 0, "'%s': got error '%s'", ROWS[i].in, err);
            ck_assert_msg(v == ROWS[i].want, "'%s': got %llu want %llu",
                          ROWS[i].in, (unsigned long long)v,
                          (unsigned long long)ROWS[i].want);
        } else {
            ck_assert_msg(rc == -1 && strcmp(err, ROWS[i].err) == 0,
                          "'%s': got '%s' want '%s'", ROWS[i].in, err,
                          ROWS[i].err);
        }
    }
}
END_TEST

START_TEST(test_size_specs)
{
    struct body_sizes s;
    char err[256];
    ck_assert_int_eq(load_opts_sizes("1KiB", &s, err, sizeof err), 0);
    ck_assert_int_eq(s.kind, BODY_SIZES_FIXED);
    ck_assert_uint_eq(s.min, 1024);
    ck_assert_int_eq(load_opts_sizes("1KiB-64KiB", &s, err, sizeof err), 0);
    ck_assert_int_eq(s.kind, BODY_SIZES_RANGE);
    ck_assert_uint_eq(s.min, 1024);
    ck_assert_uint_eq(s.max, 65536);
    ck_assert_int_eq(load_opts_sizes("64KiB-1KiB", &s, err, sizeof err), -1);
    ck_assert_str_eq(err, "'64KiB-1KiB': the smaller size comes first");
    ck_assert_int_eq(load_opts_sizes("2GiB", &s, err, sizeof err), -1);
    ck_assert_str_eq(err, "'2GiB': larger than the largest message (1GiB)");
    char path[] = "/tmp/smtpsuite-dist-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *fp = fdopen(fd, "w");
    fputs("# sizes of a day's mail\n1KiB 70\n\n64KiB 25   # attachments\n1MiB "
          "5\n",
          fp);
    fclose(fp);
    char *spec = xasprintf("dist:%s", path);
    ck_assert_msg(load_opts_sizes(spec, &s, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(s.kind, BODY_SIZES_TABLE);
    ck_assert_uint_eq(s.n, 3);
    ck_assert_uint_eq(s.size[2], 1048576);
    ck_assert_uint_eq(s.weight[1], 25);
    ck_assert_uint_eq(s.total_weight, 100);
    fp = fopen(path, "w");
    fputs("1KiB 70\n64KiB\n", fp);
    fclose(fp);
    ck_assert_int_eq(load_opts_sizes(spec, &s, err, sizeof err), -1);
    char *want = xasprintf("%s:2: want SIZE WEIGHT, e.g. '64KiB 25'", path);
    ck_assert_str_eq(err, want);
    free(want);
    fp = fopen(path, "w");
    fputs("1KiB 0\n", fp);
    fclose(fp);
    ck_assert_int_eq(load_opts_sizes(spec, &s, err, sizeof err), -1);
    want = xasprintf("%s:1: '0': a weight is a whole number from 1 to 1000000",
                     path);
    ck_assert_str_eq(err, want);
    free(want);
    fp = fopen(path, "w");
    fputs("# nothing\n", fp);
    fclose(fp);
    ck_assert_int_eq(load_opts_sizes(spec, &s, err, sizeof err), -1);
    want = xasprintf("%s: no 'SIZE WEIGHT' line", path);
    ck_assert_str_eq(err, want);
    free(want);
    unlink(path);
    ck_assert_int_eq(load_opts_sizes(spec, &s, err, sizeof err), -1);
    want = xasprintf("dist:%s: No such file or directory", path);
    ck_assert_str_eq(err, want);
    free(want);
    free(spec);
}
END_TEST

START_TEST(test_rates_and_ramps)
{
    double r;
    char err[256];
    ck_assert_int_eq(load_opts_rate("200", 0, &r, err, sizeof err), 0);
    ck_assert(r == 200);
    ck_assert_int_eq(load_opts_rate("2.5", 0, &r, err, sizeof err), 0);
    ck_assert(r == 2.5);
    ck_assert_int_eq(load_opts_rate("0", 0, &r, err, sizeof err), -1);
    ck_assert_str_eq(err,
                     "'0': a rate must be more than 0 and at most 10000000");
    ck_assert_int_eq(load_opts_rate("0", 1, &r, err, sizeof err), 0);
    static const char *const BAD[] = {"",   "1e3",  "-5", "2.",
                                      ".5", "10/s", "1,5"};
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        ck_assert_msg(load_opts_rate(BAD[i], 1, &r, err, sizeof err) == -1,
                      "'%s' accepted", BAD[i]);
        char *want =
            xasprintf("'%s' is not a rate: write sessions per second as a "
                      "number, e.g. 200 or 2.5",
                      BAD[i]);
        ck_assert_str_eq(err, want);
        free(want);
    }
    struct load_sched_point p[8];
    size_t n;
    ck_assert_int_eq(
        load_opts_ramp("0s:10,30s:200,1m:200", p, &n, 8, err, sizeof err), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(p[1].t_us, 30000000);
    ck_assert(p[1].rate == 200);
    ck_assert_int_eq(p[2].t_us, 60000000);
    static const struct {
        const char *in, *err;
    } RBAD[] = {
        {"", "--ramp: no TIME:RATE point"},
        {"10", "--ramp: '10' is not TIME:RATE (e.g. 30s:100)"},
        {"10:5", "--ramp: '10' has no unit (want us, ms, s, m or h)"},
        {"5s:1,5s:2", "--ramp: '5s' does not come after the point before it"},
        {"0s:x",
         "--ramp: 'x' is not a rate: write sessions per second as a number, "
         "e.g. 200 or 2.5"},
    };
    for (size_t i = 0; i < sizeof RBAD / sizeof RBAD[0]; i++) {
        ck_assert_int_eq(load_opts_ramp(RBAD[i].in, p, &n, 8, err, sizeof err),
                         -1);
        ck_assert_msg(strcmp(err, RBAD[i].err) == 0, "'%s': got '%s' want '%s'",
                      RBAD[i].in, err, RBAD[i].err);
    }
    ck_assert_int_eq(
        load_opts_ramp("0s:1,1s:1,2s:1", p, &n, 2, err, sizeof err), -1);
    ck_assert_str_eq(err, "--ramp: more than 2 points");
}
END_TEST

START_TEST(test_weighted)
{
    static const struct {
        const char *in, *path;
        unsigned w;
        const char *err;
    } ROWS[] = {
        {"cases/load/a.smtp", "cases/load/a.smtp", 1, NULL},
        {"cases/load/a.smtp:3", "cases/load/a.smtp", 3, NULL},
        {"smoke:10", "smoke", 10, NULL},
        {"dir/with:colon", "dir/with:colon", 1, NULL},
        {"a.smtp:", "a.smtp:", 1, NULL},
        {"a.smtp:0", NULL, 0,
         "'a.smtp:0': a weight is a whole number from 1 to 1000000"},
        {"a.smtp:10000000", NULL, 0,
         "'a.smtp:10000000': a weight is a whole number from 1 to 1000000"},
    };
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        char *path = NULL, err[256] = "";
        unsigned w = 0;
        int rc = load_opts_weighted(ROWS[i].in, &path, &w, err, sizeof err);
        if (ROWS[i].err) {
            ck_assert_msg(rc == -1 && strcmp(err, ROWS[i].err) == 0,
                          "'%s': got '%s' want '%s'", ROWS[i].in, err,
                          ROWS[i].err);
            continue;
        }
        ck_assert_int_eq(rc, 0);
        ck_assert_str_eq(path, ROWS[i].path);
        ck_assert_uint_eq(w, ROWS[i].w);
        free(path);
    }
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_sizes);
    tcase_add_test(tc, test_size_specs);
    tcase_add_test(tc, test_rates_and_ramps);
    tcase_add_test(tc, test_weighted);
}

#include "check_main.h"
