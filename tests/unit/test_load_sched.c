/* Tests of harness/load_sched.c: open-model arrival times against
 * closed forms computed here (constant rates, linear ramps up and down,
 * a late start), exact arrival counts for a rate and a duration, the
 * shares of threads, and admission: the cap, the bounded queue in
 * front of it (FIFO), drops and the flush at the end. */
#define TEST_NAME "load_sched"
#include "harness/load_sched.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static struct load_sched S;

static void init_ok(const struct load_sched_point *p, size_t n, int64_t dur,
                    uint64_t max)
{
    char err[256] = "";
    int rc = load_sched_init(&S, p, n, dur, max, err, sizeof err);
    ck_assert_msg(rc == 0, "init: got error '%s'", err);
}

START_TEST(test_constant_exact)
{
    static const struct {
        double rate;
        int64_t dur_us;
        uint64_t max;
        uint64_t want_total;
    } ROWS[] = {
        {100, 10000000, 0, 1000}, /* 100/s for 10 s */
        {3, 1000000, 0, 3},       /* 0, 1/3, 2/3 s */
        {0.3, 10000000, 0, 3},    /* 0.3 * 10 = 3.0000000000000004 */
        {1000, 1500000, 0, 1500},
        {7, 1000001, 0, 8},      /* the 8th is due at 1 s, before the end */
        {100, 10000000, 50, 50}, /* --sessions caps it */
        {10, 0, 25, 25},         /* no duration: the count ends it */
    };
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        struct load_sched_point p = {0, ROWS[i].rate};
        init_ok(&p, 1, ROWS[i].dur_us, ROWS[i].max);
        ck_assert_msg(load_sched_total(&S) == ROWS[i].want_total,
                      "row %zu: total got %llu want %llu", i,
                      (unsigned long long)load_sched_total(&S),
                      (unsigned long long)ROWS[i].want_total);
        for (uint64_t k = 0; k < ROWS[i].want_total; k++) {
            int64_t t;
            ck_assert(load_sched_arrival(&S, k, &t));
            int64_t want = llround((double)k * 1e6 / ROWS[i].rate);
            ck_assert_msg(t == want, "row %zu arrival %llu: got %lld want %lld",
                          i, (unsigned long long)k, (long long)t,
                          (long long)want);
        }
        int64_t t;
        ck_assert_msg(!load_sched_arrival(&S, ROWS[i].want_total, &t),
                      "row %zu: an arrival past the schedule", i);
    }
}
END_TEST

/* Oracle: rate r(t) = r0 + a t from 0; arrival k at the t solving
 * r0 t + a t^2 / 2 = k, written the textbook way. */
static double ramp_time(double r0, double a, double k)
{
    if (a == 0)
        return k / r0;
    return (-r0 + sqrt(r0 * r0 + 2 * a * k)) / a;
}

START_TEST(test_ramp_up_down)
{
    /* 0 -> 100/s over 10 s: N(10) = 500 */
    struct load_sched_point up[] = {{0, 0}, {10000000, 100}};
    init_ok(up, 2, 0, 0);
    ck_assert_uint_eq(load_sched_total(&S), 500);
    for (uint64_t k = 0; k < 500; k++) {
        int64_t t;
        ck_assert(load_sched_arrival(&S, k, &t));
        double want = ramp_time(0, 10, (double)k) * 1e6;
        ck_assert_msg(fabs((double)t - want) <= 1.0,
                      "up %llu: got %lld want %.1f", (unsigned long long)k,
                      (long long)t, want);
    }
    /* 100 -> 0/s over 10 s: also 500, ever sparser */
    struct load_sched_point down[] = {{0, 100}, {10000000, 0}};
    init_ok(down, 2, 0, 0);
    ck_assert_uint_eq(load_sched_total(&S), 500);
    for (uint64_t k = 0; k < 500; k++) {
        int64_t t;
        ck_assert(load_sched_arrival(&S, k, &t));
        double want = ramp_time(100, -10, (double)k) * 1e6;
        ck_assert_msg(fabs((double)t - want) <= 1.0,
                      "down %llu: got %lld want %.1f", (unsigned long long)k,
                      (long long)t, want);
    }
    /* times only increase */
    int64_t prev = -1, t;
    for (uint64_t k = 0; load_sched_arrival(&S, k, &t); k++) {
        ck_assert_int_gt(t, prev);
        prev = t;
    }
}
END_TEST

START_TEST(test_ramp_segments)
{
    /* 0:10, 10s:10, 20s:30, then 30/s held to 30 s:
     * 100 + (10+30)/2*10 = 300 by 20 s, + 300 by 30 s = 600 */
    struct load_sched_point p[] = {{0, 10}, {10000000, 10}, {20000000, 30}};
    init_ok(p, 3, 30000000, 0);
    ck_assert_uint_eq(load_sched_total(&S), 600);
    int64_t t;
    ck_assert(load_sched_arrival(&S, 99, &t));
    ck_assert_int_eq(t, 9900000);
    ck_assert(load_sched_arrival(&S, 100, &t));
    ck_assert_int_eq(t, 10000000);
    /* k = 300 is the first of the held part, at 20 s */
    ck_assert(load_sched_arrival(&S, 300, &t));
    ck_assert_int_eq(t, 20000000);
    ck_assert(load_sched_arrival(&S, 330, &t));
    ck_assert_int_eq(t, 21000000);
    /* in the middle segment: 100 + 10 tau + tau^2 = k (tau in s) */
    for (uint64_t k = 100; k < 300; k++) {
        ck_assert(load_sched_arrival(&S, k, &t));
        double want = 10e6 + ramp_time(10, 2, (double)(k - 100)) * 1e6;
        ck_assert_msg(fabs((double)t - want) <= 1.0,
                      "mid %llu: got %lld want %.1f", (unsigned long long)k,
                      (long long)t, want);
    }
    /* the rates asked, interpolated */
    ck_assert(fabs(load_sched_rate_at(&S, 5000000) - 10) < 1e-9);
    ck_assert(fabs(load_sched_rate_at(&S, 15000000) - 20) < 1e-9);
    ck_assert(fabs(load_sched_rate_at(&S, 25000000) - 30) < 1e-9);
}
END_TEST

START_TEST(test_ramp_late_start)
{
    /* a first point at 5 s starts from 0/s at 0: 250 by 5 s, then
     * 100/s to 10 s: 750 */
    struct load_sched_point p[] = {{5000000, 100}};
    init_ok(p, 1, 10000000, 0);
    ck_assert_uint_eq(load_sched_total(&S), 750);
    int64_t t;
    ck_assert(load_sched_arrival(&S, 250, &t));
    ck_assert_int_eq(t, 5000000);
    ck_assert(load_sched_arrival(&S, 10, &t));
    ck_assert(fabs((double)t - ramp_time(0, 20, 10) * 1e6) <= 1.0);
}
END_TEST

START_TEST(test_errors)
{
    static const struct {
        struct load_sched_point p[2];
        size_t n;
        int64_t dur;
        uint64_t max;
        const char *want;
    } ROWS[] = {
        {{{0, 10}}, 0, 1000000, 0, "no rate given"},
        {{{0, 10}, {0, 20}}, 2, 0, 0, "ramp times must increase"},
        {{{0, -1}},
         1,
         1000000,
         0,
         "a rate must be from 0 to 10000000 sessions/s"},
        {{{0, 2e7}},
         1,
         1000000,
         0,
         "a rate must be from 0 to 10000000 sessions/s"},
        {{{0, 10}},
         1,
         0,
         0,
         "the schedule has no end: give a duration or a session count"},
        {{{0, 0}}, 1, 1000000, 0, "the schedule has no arrivals"},
    };
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        char err[256] = "";
        ck_assert_int_eq(load_sched_init(&S, ROWS[i].p, ROWS[i].n, ROWS[i].dur,
                                         ROWS[i].max, err, sizeof err),
                         -1);
        ck_assert_msg(strcmp(err, ROWS[i].want) == 0,
                      "row %zu: got '%s' want '%s'", i, err, ROWS[i].want);
    }
}
END_TEST

START_TEST(test_shares)
{
    ck_assert_uint_eq(load_sched_share(10, 3, 0), 4);
    ck_assert_uint_eq(load_sched_share(10, 3, 1), 3);
    ck_assert_uint_eq(load_sched_share(10, 3, 2), 3);
    ck_assert_uint_eq(load_sched_share(1, 4, 3), 0);
    for (uint64_t total = 0; total < 50; total++)
        for (unsigned n = 1; n < 9; n++) {
            uint64_t sum = 0, lo = UINT64_MAX, hi = 0;
            for (unsigned w = 0; w < n; w++) {
                uint64_t s = load_sched_share(total, n, w);
                sum += s;
                lo = s < lo ? s : lo;
                hi = s > hi ? s : hi;
            }
            ck_assert_uint_eq(sum, total);
            ck_assert_uint_le(hi - lo, 1);
        }
    /* arrival k goes to thread k mod T: each thread's count is its share */
    struct load_sched_point p = {0, 100};
    init_ok(&p, 1, 1000000, 0);
    for (unsigned w = 0; w < 3; w++) {
        uint64_t n = 0;
        int64_t t;
        for (uint64_t j = 0; load_sched_arrival(&S, j * 3 + w, &t); j++)
            n++;
        ck_assert_uint_eq(n, load_sched_share(100, 3, w));
    }
}
END_TEST

/* Shards, then threads: dealing arrival indexes twice covers the whole
 * schedule exactly once, at the single run's times, with each shard's
 * count its share (the oracle: a plain array of flags). */
START_TEST(test_shard_deal)
{
    ck_assert_uint_eq(load_sched_dealt(0, 4, 3), 3);
    ck_assert_uint_eq(load_sched_dealt(5, 4, 1), 21);
    struct load_sched_point p = {0, 333};
    init_ok(&p, 1, 1000000, 0); /* 333 arrivals */
    static const unsigned SHAPES[][2] = {{1, 1}, {4, 1}, {4, 2},
                                         {3, 5}, {7, 3}, {400, 2}};
    for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++) {
        unsigned n = SHAPES[s][0], t = SHAPES[s][1];
        bool seen[333] = {false};
        for (unsigned i = 0; i < n; i++) {
            uint64_t count = 0;
            for (unsigned w = 0; w < t; w++) {
                int64_t at, want;
                for (uint64_t j = 0;; j++) {
                    uint64_t k =
                        load_sched_dealt(load_sched_dealt(j, t, w), n, i);
                    if (!load_sched_arrival(&S, k, &at))
                        break;
                    ck_assert_msg(!seen[k], "shape %zu: arrival %llu twice", s,
                                  (unsigned long long)k);
                    seen[k] = true;
                    want = (int64_t)(k * 1000000 + 166) / 333;
                    ck_assert_msg(at >= want - 1 && at <= want + 1,
                                  "arrival %llu at %lld, want %lld",
                                  (unsigned long long)k, (long long)at,
                                  (long long)want);
                    count++;
                }
            }
            ck_assert_msg(count == load_sched_share(333, n, i),
                          "shape %zu shard %u: got %llu want %llu", s, i,
                          (unsigned long long)count,
                          (unsigned long long)load_sched_share(333, n, i));
        }
        for (size_t k = 0; k < 333; k++)
            ck_assert_msg(seen[k], "shape %zu: arrival %zu missing", s, k);
    }
}
END_TEST

START_TEST(test_admission)
{
    struct load_admit a;
    load_admit_init(&a, 2, 2);
    static const enum load_admit_result WANT[] = {
        LOAD_ADMIT_START,  LOAD_ADMIT_START,   LOAD_ADMIT_QUEUED,
        LOAD_ADMIT_QUEUED, LOAD_ADMIT_DROPPED, LOAD_ADMIT_DROPPED,
    };
    for (int i = 0; i < 6; i++) {
        enum load_admit_result r = load_admit_arrive(&a, 100 + i);
        ck_assert_msg(r == WANT[i], "arrival %d: got %d want %d", i, r,
                      WANT[i]);
    }
    ck_assert_uint_eq(a.inflight, 2);
    ck_assert_uint_eq(a.queued, 2);
    ck_assert_uint_eq(a.dropped, 2);
    ck_assert_uint_eq(a.qpeak, 2);
    int64_t t;
    /* a session ends: the oldest waiting arrival takes its place */
    ck_assert(load_admit_done(&a, &t));
    ck_assert_int_eq(t, 102);
    ck_assert_uint_eq(a.inflight, 2);
    /* with room in the queue again, an arrival waits behind 103 */
    ck_assert_int_eq(load_admit_arrive(&a, 200), LOAD_ADMIT_QUEUED);
    ck_assert(load_admit_done(&a, &t));
    ck_assert_int_eq(t, 103);
    ck_assert(load_admit_done(&a, &t));
    ck_assert_int_eq(t, 200);
    ck_assert(!load_admit_done(&a, &t));
    ck_assert_uint_eq(a.inflight, 1);
    /* under the cap with nobody waiting: start at once */
    ck_assert_int_eq(load_admit_arrive(&a, 300), LOAD_ADMIT_START);
    ck_assert_int_eq(load_admit_arrive(&a, 301), LOAD_ADMIT_QUEUED);
    ck_assert_uint_eq(load_admit_flush(&a), 1);
    ck_assert(!load_admit_done(&a, &t));
    load_admit_free(&a);
    /* no queue: past the cap everything is dropped */
    load_admit_init(&a, 1, 0);
    ck_assert_int_eq(load_admit_arrive(&a, 1), LOAD_ADMIT_START);
    ck_assert_int_eq(load_admit_arrive(&a, 2), LOAD_ADMIT_DROPPED);
    ck_assert(!load_admit_done(&a, &t));
    ck_assert_int_eq(load_admit_arrive(&a, 3), LOAD_ADMIT_START);
    load_admit_free(&a);
    /* the ring wraps around many times, FIFO throughout */
    load_admit_init(&a, 1, 3);
    ck_assert_int_eq(load_admit_arrive(&a, 0), LOAD_ADMIT_START);
    int64_t next_in = 1, next_out = 1;
    for (int round = 0; round < 100; round++) {
        while (a.qlen < 3)
            ck_assert_int_eq(load_admit_arrive(&a, next_in++),
                             LOAD_ADMIT_QUEUED);
        ck_assert(load_admit_done(&a, &t));
        ck_assert_int_eq(t, next_out++);
    }
    load_admit_free(&a);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_constant_exact);
    tcase_add_test(tc, test_ramp_up_down);
    tcase_add_test(tc, test_ramp_segments);
    tcase_add_test(tc, test_ramp_late_start);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_shares);
    tcase_add_test(tc, test_shard_deal);
    tcase_add_test(tc, test_admission);
}

#include "check_main.h"
