/* Tests of harness/load_stats.c: the histogram wiring of load runs.
 * Percentiles on both bases against an oracle that sorts the samples
 * (never below the exact value, at most 0.1% above it), the
 * coordinated-omission correction against HdrHistogram's published
 * loop written out here, lazy creation, merging (equal to recording
 * everything in one), error lines, and the result model through the
 * JSON file and back. */
#define TEST_NAME "load_stats"
#include "harness/load_stats.h"
#include "harness/xalloc.h"
#include "reports/json.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t RNG = 88172645463325252ULL;

static uint64_t rnd(void)
{
    RNG ^= RNG << 13;
    RNG ^= RNG >> 7;
    RNG ^= RNG << 17;
    return RNG;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The nearest-rank percentile of sorted v[0..n). */
static int64_t oracle(const int64_t *v, size_t n, double p)
{
    size_t rank = (size_t)((p / 100.0) * (double)n + 0.9999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

static void check_close(const struct hist *h, int64_t *v, size_t n,
                        const char *what)
{
    static const double PS[] = {50, 90, 99, 99.9, 99.99, 100};
    qsort(v, n, sizeof *v, cmp_i64);
    ck_assert_uint_eq(hist_count(h), n);
    for (size_t i = 0; i < sizeof PS / sizeof PS[0]; i++) {
        int64_t got = hist_value_at(h, PS[i]), want = oracle(v, n, PS[i]);
        ck_assert_msg(got >= want &&
                          (double)(got - want) <= (double)want * 0.001,
                      "%s p%g: got %" PRId64 " want %" PRId64 " (within 0.1%%)",
                      what, PS[i], got, want);
    }
}

START_TEST(test_both_bases)
{
    enum { N = 20000 };
    struct load_stats *st = load_stats_new();
    int i = load_stats_step(st, "eod");
    ck_assert_int_ge(i, 0);
    int64_t *sent = xcalloc(N, sizeof *sent),
            *intended = xcalloc(N, sizeof *intended);
    for (size_t k = 0; k < N; k++) {
        int64_t v = 200 + (int64_t)(rnd() % 50000),
                lag = (int64_t)(rnd() % 3000);
        if (k % 100 == 0)
            v += 1000000; /* a tail */
        load_stats_record(st, i, v, lag, 0);
        sent[k] = v;
        intended[k] = v + lag;
    }
    check_close(load_stats_hist(st, "eod", LOAD_SENT), sent, N, "sent");
    check_close(load_stats_hist(st, "eod", LOAD_INTENDED), intended, N,
                "intended");
    ck_assert_uint_eq(load_stats_counts(st)->synthetic, 0);
    free(sent);
    free(intended);
    load_stats_free(st);
}
END_TEST

START_TEST(test_correction)
{
    static const struct {
        int64_t v, lag, e;
    } ROWS[] = {
        {1000, 0, 100},  /* 1000, then 900 ... 100 */
        {1050, 0, 100},  /* 1050, then 950 ... 150 */
        {199, 0, 100},   /* 199: 99 < E adds nothing */
        {200, 0, 100},   /* 200: adds 100 */
        {500, 300, 100}, /* intended 800: 700 ... 100 */
        {5000, 0, 0},    /* no expected interval: none */
        {90, 0, 100},    /* shorter than E: none */
    };
    for (size_t r = 0; r < sizeof ROWS / sizeof ROWS[0]; r++) {
        struct load_stats *st = load_stats_new();
        int i = load_stats_step(st, "mail");
        load_stats_record(st, i, ROWS[r].v, ROWS[r].lag, ROWS[r].e);
        /* HdrHistogram's recordValueWithExpectedInterval, written out */
        int64_t want[64];
        size_t n = 0;
        int64_t value = ROWS[r].v + ROWS[r].lag;
        want[n++] = value;
        if (ROWS[r].e > 0 && value > ROWS[r].e)
            for (int64_t m = value - ROWS[r].e; m >= ROWS[r].e; m -= ROWS[r].e)
                want[n++] = m;
        const struct hist *h = load_stats_hist(st, "mail", LOAD_INTENDED);
        ck_assert_msg(hist_count(h) == n,
                      "row %zu: count got %" PRIu64 " want %zu", r,
                      hist_count(h), n);
        ck_assert_uint_eq(load_stats_counts(st)->synthetic, n - 1);
        check_close(h, want, n, "corrected");
        /* the sent figure is the value alone */
        ck_assert_uint_eq(hist_count(load_stats_hist(st, "mail", LOAD_SENT)),
                          1);
        ck_assert_int_eq(hist_max(load_stats_hist(st, "mail", LOAD_SENT)),
                         ROWS[r].v);
        load_stats_free(st);
    }
}
END_TEST

START_TEST(test_lazy_and_order)
{
    struct load_stats *st = load_stats_new();
    int q = load_stats_step(st, "quit");
    int x = load_stats_step(st, "xclient");
    int c = load_stats_step(st, "connect");
    int s = load_stats_step(st, "session");
    ck_assert_int_eq(load_stats_step(st, "quit"), q);
    load_stats_attempt(st, x); /* attempted, never measured */
    load_stats_record(st, q, 10, 0, 0);
    load_stats_record(st, c, 20, 0, 0);
    load_stats_record(st, s, 30, 0, 0);
    ck_assert_ptr_null(load_stats_hist(st, "xclient", LOAD_SENT));
    ck_assert_ptr_null(load_stats_hist(st, "banner", LOAD_SENT));
    size_t idx[LOAD_STATS_MAX_STEPS];
    size_t n = load_stats_report_order(st, idx);
    const char *want[] = {"connect", "quit", "session", "xclient"};
    ck_assert_uint_eq(n, 4);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(load_stats_step_name(st, idx[i]), want[i]);
    struct result_run *run = result_run_new("load");
    load_stats_to_result(st, run);
    /* 3 measured steps x 2 bases + the loop lag; nothing for xclient */
    ck_assert_uint_eq(run->nhists, 7);
    ck_assert_str_eq(run->hists[0].name, "connect");
    ck_assert_str_eq(run->hists[0].basis, "intended");
    ck_assert_str_eq(run->hists[1].basis, "sent");
    ck_assert_str_eq(run->hists[6].name, "loop_lag");
    struct result_counter *a =
        result_counter_find(run, "step.xclient.attempts");
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(a->value, 1);
    result_run_free(run);
    /* the table holds LOAD_STATS_MAX_STEPS names, then refuses */
    for (int k = 0; k < LOAD_STATS_MAX_STEPS; k++) {
        char name[16];
        snprintf(name, sizeof name, "v%d", k);
        load_stats_step(st, name);
    }
    ck_assert_int_eq(load_stats_step(st, "one_too_many"), -1);
    load_stats_record(st, -1, 5, 0, 0); /* ignored, no crash */
    load_stats_free(st);
}
END_TEST

START_TEST(test_merge)
{
    enum { N = 5000 };
    struct load_stats *a = load_stats_new(), *b = load_stats_new(),
                      *all = load_stats_new(), *m = load_stats_new();
    /* different step orders in the two workers */
    const char *steps[] = {"rcpt", "mail", "eod"};
    for (size_t k = 0; k < N; k++) {
        const char *name = steps[k % 3];
        struct load_stats *w = (k / 3) % 2 ? a : b;
        int64_t v = (int64_t)(rnd() % 2000000), lag = (int64_t)(rnd() % 100);
        load_stats_record(w, load_stats_step(w, name), v, lag, 0);
        load_stats_attempt(w, load_stats_step(w, name));
        load_stats_record(all, load_stats_step(all, name), v, lag, 0);
        load_stats_lag(w, lag);
        load_stats_lag(all, lag);
    }
    load_stats_counts(a)->ended = 7;
    load_stats_counts(b)->ended = 5;
    load_stats_error(a, "rcpt", "421", "first reason");
    load_stats_error(b, "rcpt", "421", "second reason");
    load_stats_error(b, "banner", "timeout", "no greeting");
    char err[256];
    ck_assert_int_eq(load_stats_merge(m, a, err, sizeof err), 0);
    ck_assert_int_eq(load_stats_merge(m, b, err, sizeof err), 0);
    for (size_t s = 0; s < 3; s++)
        for (int basis = 0; basis < 2; basis++) {
            const struct hist *x = load_stats_hist(m, steps[s], basis);
            const struct hist *y = load_stats_hist(all, steps[s], basis);
            size_t px = 0, py = 0;
            struct hist_bucket bx, by;
            while (hist_next_bucket(y, &py, &by)) {
                ck_assert(hist_next_bucket(x, &px, &bx));
                ck_assert_uint_eq(bx.index, by.index);
                ck_assert_uint_eq(bx.count, by.count);
            }
            ck_assert(!hist_next_bucket(x, &px, &bx));
            ck_assert_int_eq(hist_min(x), hist_min(y));
            ck_assert_int_eq(hist_max(x), hist_max(y));
        }
    uint64_t att, errs;
    ck_assert(load_stats_step_counts(m, "mail", &att, &errs));
    ck_assert_uint_eq(att, hist_count(load_stats_hist(all, "mail", LOAD_SENT)));
    ck_assert(load_stats_step_counts(m, "rcpt", &att, &errs));
    ck_assert_uint_eq(errs, 2);
    ck_assert_uint_eq(load_stats_counts(m)->ended, 12);
    ck_assert_uint_eq(hist_count(load_stats_lag_hist(m)), N);
    ck_assert_uint_eq(load_stats_nerrors(m), 2);
    const struct load_error_line *e = load_stats_error_line(m, 0);
    ck_assert_str_eq(e->step, "rcpt");
    ck_assert_str_eq(e->what, "421");
    ck_assert_uint_eq(e->count, 2);
    ck_assert_str_eq(e->reason, "first reason");
    load_stats_free(a);
    load_stats_free(b);
    load_stats_free(all);
    load_stats_free(m);
}
END_TEST

START_TEST(test_error_table_full)
{
    struct load_stats *st = load_stats_new();
    for (int k = 0; k < LOAD_STATS_MAX_ERRORS + 5; k++) {
        char what[16];
        snprintf(what, sizeof what, "%d", 400 + k);
        load_stats_error(st, "rcpt", what, NULL);
    }
    ck_assert_uint_eq(load_stats_nerrors(st), LOAD_STATS_MAX_ERRORS);
    struct result_run *run = result_run_new("load");
    load_stats_to_result(st, run);
    struct result_counter *c = result_counter_find(run, "errors.other");
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(c->value, 5);
    result_run_free(run);
    load_stats_free(st);
}
END_TEST

START_TEST(test_json_roundtrip)
{
    struct load_stats *st = load_stats_new();
    int i = load_stats_step(st, "eod");
    for (int k = 0; k < 1000; k++)
        load_stats_record(st, i, 1000 + k * 37, k % 7, 0);
    load_stats_error(st, "eod", "452", "insufficient \"storage\"");
    load_stats_counts(st)->messages = 1000;
    struct result_run *run = result_run_new("load");
    load_stats_to_result(st, run);
    char *text = NULL, err[512];
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    ck_assert_msg(report_json_dump(run, fp, err, sizeof err) == 0, "%s", err);
    fclose(fp);
    struct result_run *back =
        report_json_parse(text, len, "mem", err, sizeof err);
    ck_assert_msg(back != NULL, "%s", err);
    ck_assert_str_eq(back->kind, "load");
    ck_assert_uint_eq(back->nhists, run->nhists);
    for (size_t h = 0; h < back->nhists; h++) {
        struct hist *x = hist_from_result(&back->hists[h], err, sizeof err);
        ck_assert_msg(x != NULL, "%s", err);
        const struct hist *y =
            strcmp(back->hists[h].name, "loop_lag") == 0
                ? load_stats_lag_hist(st)
                : load_stats_hist(st, back->hists[h].name,
                                  strcmp(back->hists[h].basis, "sent") == 0
                                      ? LOAD_SENT
                                      : LOAD_INTENDED);
        ck_assert_ptr_nonnull(y);
        ck_assert_uint_eq(hist_count(x), hist_count(y));
        ck_assert_int_eq(hist_value_at(x, 99.9), hist_value_at(y, 99.9));
        ck_assert_int_eq(hist_max(x), hist_max(y));
        hist_free(x);
    }
    ck_assert_uint_eq(result_counter_find(back, "messages.sent")->value, 1000);
    ck_assert_uint_eq(result_counter_find(back, "errors.eod.452")->value, 1);
    bool reason = false;
    for (size_t k = 0; k < back->nproperties; k++)
        reason |=
            strcmp(back->properties[k].name, "error.eod.452") == 0 &&
            strcmp(back->properties[k].value, "insufficient \"storage\"") == 0;
    ck_assert(reason);
    free(text);
    result_run_free(run);
    result_run_free(back);
    load_stats_free(st);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_both_bases);
    tcase_add_test(tc, test_correction);
    tcase_add_test(tc, test_lazy_and_order);
    tcase_add_test(tc, test_merge);
    tcase_add_test(tc, test_error_table_full);
    tcase_add_test(tc, test_json_roundtrip);
}

#include "check_main.h"
