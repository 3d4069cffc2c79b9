/* Tests of harness/hist.c. The oracle is a sorted array of the same
 * samples: the exact percentile is the sample of rank ceil(p * n), found
 * with integer arithmetic only, so it shares nothing with the histogram.
 * Every percentile the histogram gives must be at or above the exact one
 * and within 0.1% of it (3 significant digits). Merging, the result
 * model and the JSON file must keep every figure exactly. */
#define TEST_NAME "hist"
#include "harness/hist.h"
#include "harness/result.h"
#include "reports/json.h"

#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR HIST_HIGHEST_US

/* ---- samples ---------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void) /* splitmix64: deterministic, seeded per test */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double unit(void) /* (0, 1] */
{
    return (double)((rng() >> 11) + 1) / 9007199254740992.0;
}

static int64_t gen_uniform(size_t i)
{
    return 1 + (int64_t)(rng() % 1000000);
}

static int64_t gen_exponential(size_t i) /* mean 5 ms */
{
    return 1 + (int64_t)(-log(unit()) * 5000.0);
}

static int64_t gen_bimodal(size_t i) /* 90% near 1 ms, 10% near 2 s */
{
    if (rng() % 10 != 0)
        return 800 + (int64_t)(rng() % 400);
    return 1900000 + (int64_t)(rng() % 200000);
}

static int64_t gen_constant_ms(size_t i)
{
    return 1000;
}

static int64_t gen_constant_s(size_t i)
{
    return 1000000;
}

static int64_t gen_log_uniform(size_t i) /* every bucket, 1 us .. 1 h */
{
    return (int64_t)exp(unit() * log((double)HOUR));
}

static int64_t gen_extremes(size_t i)
{
    return i % 2 ? 1 : HOUR;
}

static int64_t gen_above_max(size_t i) /* 1 in 50 above one hour */
{
    if (i % 50 == 7)
        return HOUR + 1 + (int64_t)(rng() % (4 * HOUR));
    return 1 + (int64_t)(rng() % 100000);
}

struct dist {
    const char *name;
    int64_t (*gen)(size_t i);
    size_t n;
};

static const struct dist DISTS[] = {
    {"uniform", gen_uniform, 200000},
    {"exponential", gen_exponential, 200000},
    {"bimodal", gen_bimodal, 100000},
    {"constant-1ms", gen_constant_ms, 1000},
    {"constant-1s", gen_constant_s, 1000},
    {"log-uniform", gen_log_uniform, 200000},
    {"extremes-1us-1h", gen_extremes, 1000},
    {"above-max", gen_above_max, 10000},
    {"one-sample", gen_exponential, 1},
    {"seven-samples", gen_uniform, 7},
};
#define NDISTS (sizeof DISTS / sizeof DISTS[0])

/* Percentiles as exact fractions num/den, for the oracle's ranks. */
static const struct {
    const char *name;
    uint64_t num, den;
} PCTS[] = {
    {"p0", 0, 1},     {"p50", 1, 2},        {"p90", 9, 10},
    {"p99", 99, 100}, {"p99.9", 999, 1000}, {"p99.99", 9999, 10000},
    {"max", 1, 1},
};
#define NPCTS (sizeof PCTS / sizeof PCTS[0])

static double pct_of(size_t k)
{
    return 100.0 * (double)PCTS[k].num / (double)PCTS[k].den;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The samples of d, in the order drawn (caller frees). */
static int64_t *draw(const struct dist *d, uint64_t seed)
{
    rng_state = seed;
    int64_t *v = malloc(d->n * sizeof *v);
    for (size_t i = 0; i < d->n; i++)
        v[i] = d->gen(i);
    return v;
}

/* The oracle: the exact percentile of sorted samples s[0..n), values
 * above one hour being counted as one hour (the documented clamping). */
static int64_t oracle(const int64_t *s, size_t n, size_t k)
{
    uint64_t rank = (n * PCTS[k].num + PCTS[k].den - 1) / PCTS[k].den;
    int64_t v = s[rank ? rank - 1 : 0];
    return v > HOUR ? HOUR : v;
}

static struct hist *new_default(void)
{
    char err[256];
    struct hist_params p = HIST_PARAMS_DEFAULT;
    struct hist *h = hist_new(&p, err, sizeof err);
    ck_assert_msg(h != NULL, "hist_new: %s", err);
    return h;
}

static struct hist *hist_of(const int64_t *v, size_t n)
{
    struct hist *h = new_default();
    for (size_t i = 0; i < n; i++)
        hist_record(h, v[i]);
    return h;
}

/* ---- tests ------------------------------------------------------------ */

START_TEST(test_geometry)
{
    struct hist *h = new_default();
    /* 22 buckets of 1024 slots plus the lower half of bucket 0. */
    size_t counts = 23552 * sizeof(uint64_t);
    ck_assert_msg(hist_memory(h) >= counts && hist_memory(h) < counts + 100,
                  "memory got %zu want %zu + header", hist_memory(h), counts);
    /* Every value lies in its bucket, and the bucket is at most 1/1024 of
     * the value wide (one unit below 2048). */
    for (int64_t v = 0; v <= HOUR; v = v < 5000 ? v + 1 : v + v / 997) {
        int64_t lo = hist_lowest_equivalent(h, v);
        int64_t hi = hist_highest_equivalent(h, v);
        int64_t width = hi - lo + 1;
        ck_assert_msg(lo <= v && v <= hi,
                      "%" PRId64 ": bucket %" PRId64 "..%" PRId64, v, lo, hi);
        ck_assert_msg(v < 2048 ? width == 1 : width * 1024 <= v,
                      "%" PRId64 ": width got %" PRId64, v, width);
        ck_assert_msg(hist_lowest_equivalent(h, hi) == lo &&
                          hist_lowest_equivalent(h, hi + 1) == hi + 1,
                      "%" PRId64 ": buckets not contiguous", v);
    }
    hist_free(h);
}
END_TEST

START_TEST(test_percentiles_vs_oracle)
{
    const struct dist *d = &DISTS[_i];
    int64_t *v = draw(d, 1000 + (uint64_t)_i);
    struct hist *h = hist_of(v, d->n);
    qsort(v, d->n, sizeof *v, cmp_i64);
    size_t above = 0;
    for (size_t i = 0; i < d->n; i++)
        above += v[i] > HOUR;
    ck_assert_msg(hist_count(h) == d->n, "%s: count got %" PRIu64 " want %zu",
                  d->name, hist_count(h), d->n);
    ck_assert_msg(hist_overflow(h) == above,
                  "%s: overflow got %" PRIu64 " want %zu", d->name,
                  hist_overflow(h), above);
    ck_assert_msg(hist_min(h) == oracle(v, d->n, 0), "%s: min got %" PRId64,
                  d->name, hist_min(h));
    ck_assert_msg(hist_max(h) == oracle(v, d->n, NPCTS - 1),
                  "%s: max got %" PRId64, d->name, hist_max(h));
    for (size_t k = 0; k < NPCTS; k++) {
        int64_t want = oracle(v, d->n, k);
        int64_t got = hist_value_at(h, pct_of(k));
        ck_assert_msg(got >= want && (got - want) * 1000 <= want,
                      "%s %s: got %" PRId64 " want %" PRId64 " (+0.1%%)",
                      d->name, PCTS[k].name, got, want);
        /* Kept within [min, max]: the top and the bottom are exact, and
         * so is every percentile of a constant. */
        bool exact = PCTS[k].num == 0 || PCTS[k].num == PCTS[k].den ||
                     v[0] == v[d->n - 1];
        ck_assert_msg(!exact || got == want,
                      "%s %s: got %" PRId64 " want exactly %" PRId64, d->name,
                      PCTS[k].name, got, want);
    }
    hist_free(h);
    free(v);
}
END_TEST

/* Two histograms hold the same counts, bucket for bucket, and figures. */
static void assert_same(const struct hist *a, const struct hist *b,
                        const char *what)
{
    ck_assert_msg(hist_count(a) == hist_count(b),
                  "%s: count got %" PRIu64 " want %" PRIu64, what,
                  hist_count(a), hist_count(b));
    ck_assert_msg(hist_overflow(a) == hist_overflow(b), "%s: overflow", what);
    ck_assert_msg(hist_min(a) == hist_min(b) && hist_max(a) == hist_max(b),
                  "%s: min/max got %" PRId64 "/%" PRId64 " want %" PRId64
                  "/%" PRId64,
                  what, hist_min(a), hist_max(a), hist_min(b), hist_max(b));
    size_t pa = 0, pb = 0;
    struct hist_bucket ba, bb;
    bool ma, mb;
    while ((ma = hist_next_bucket(a, &pa, &ba)) |
           (mb = hist_next_bucket(b, &pb, &bb))) {
        ck_assert_msg(ma && mb, "%s: bucket lists differ in length", what);
        ck_assert_msg(ba.index == bb.index && ba.count == bb.count,
                      "%s: bucket got [%" PRIu32 ", %" PRIu64 "] want [%" PRIu32
                      ", %" PRIu64 "]",
                      what, ba.index, ba.count, bb.index, bb.count);
    }
    for (size_t k = 0; k < NPCTS; k++)
        ck_assert_msg(
            hist_value_at(a, pct_of(k)) == hist_value_at(b, pct_of(k)),
            "%s: %s got %" PRId64 " want %" PRId64, what, PCTS[k].name,
            hist_value_at(a, pct_of(k)), hist_value_at(b, pct_of(k)));
}

START_TEST(test_merge_equals_union)
{
    /* Every distribution's samples, split over 4 "worker" histograms. */
    enum { NWORKERS = 4 };
    struct hist *all = new_default(), *w[NWORKERS], *merged = new_default();
    for (int i = 0; i < NWORKERS; i++)
        w[i] = new_default();
    for (size_t d = 0; d < NDISTS; d++) {
        int64_t *v = draw(&DISTS[d], 7 + d);
        for (size_t i = 0; i < DISTS[d].n; i++) {
            hist_record(all, v[i]);
            hist_record(w[(i * 7 + d) % NWORKERS], v[i]);
        }
        free(v);
    }
    struct hist *empty = new_default();
    char err[256];
    ck_assert_int_eq(hist_merge(merged, empty, err, sizeof err), HIST_OK);
    for (int i = 0; i < NWORKERS; i++)
        ck_assert_int_eq(hist_merge(merged, w[i], err, sizeof err), HIST_OK);
    ck_assert_int_eq(hist_merge(merged, empty, err, sizeof err), HIST_OK);
    assert_same(merged, all, "merge");
    for (int i = 0; i < NWORKERS; i++)
        hist_free(w[i]);
    hist_free(empty);
    hist_free(merged);
    hist_free(all);
}
END_TEST

START_TEST(test_merge_refuses_other_params)
{
    static const struct {
        struct hist_params p;
        const char *want;
    } V[] = {
        {{1, HOUR, 2},
         "histograms differ: 1..3600000000 us at 3 digits "
         "cannot take 1..3600000000 us at 2 digits"},
        {{1, 60000000, 3},
         "histograms differ: 1..3600000000 us at 3 digits "
         "cannot take 1..60000000 us at 3 digits"},
        {{1000, HOUR, 3},
         "histograms differ: 1..3600000000 us at 3 digits "
         "cannot take 1000..3600000000 us at 3 digits"},
    };
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        char err[256] = "";
        struct hist *dst = new_default();
        hist_record(dst, 42);
        struct hist *src = hist_new(&V[i].p, err, sizeof err);
        ck_assert_msg(src != NULL, "%s", err);
        hist_record(src, 42);
        ck_assert_int_eq(hist_merge(dst, src, err, sizeof err), HIST_EPARAMS);
        ck_assert_msg(strcmp(err, V[i].want) == 0, "got '%s' want '%s'", err,
                      V[i].want);
        ck_assert_msg(hist_count(dst) == 1, "dst changed by a refused merge");
        hist_free(src);
        hist_free(dst);
    }
}
END_TEST

START_TEST(test_bad_params)
{
    static const struct {
        struct hist_params p;
        const char *want;
    } V[] = {
        {{0, HOUR, 3}, "histogram: lowest value 0 is below 1"},
        {{10, 19, 3},
         "histogram: highest value 19 is out of range "
         "(want 2 x lowest to 2^61)"},
        {{1, INT64_MAX, 3},
         "histogram: highest value 9223372036854775807 "
         "is out of range (want 2 x lowest to 2^61)"},
        {{1, HOUR, 0}, "histogram: 0 significant digits (want 1..5)"},
        {{1, HOUR, 6}, "histogram: 6 significant digits (want 1..5)"},
    };
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        char err[256] = "";
        ck_assert_ptr_null(hist_new(&V[i].p, err, sizeof err));
        ck_assert_msg(strcmp(err, V[i].want) == 0, "got '%s' want '%s'", err,
                      V[i].want);
    }
}
END_TEST

/* Writes h as histogram "eod"/"intended" of a run, as JSON, reads it back
 * and converts it again (caller frees). */
static struct hist *through_json(const struct hist *h)
{
    struct result_run *run = result_run_new("load");
    hist_to_result(h, "eod", "intended", result_hist_add(run));
    char *text = NULL, err[512];
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    ck_assert_msg(report_json_dump(run, fp, err, sizeof err) == 0, "%s", err);
    fclose(fp);
    struct result_run *back =
        report_json_parse(text, len, "mem", err, sizeof err);
    ck_assert_msg(back != NULL, "%s", err);
    ck_assert_int_eq(back->nhists, 1);
    ck_assert_str_eq(back->hists[0].name, "eod");
    ck_assert_str_eq(back->hists[0].basis, "intended");
    struct hist *h2 = hist_from_result(&back->hists[0], err, sizeof err);
    ck_assert_msg(h2 != NULL, "%s", err);
    result_run_free(back);
    result_run_free(run);
    free(text);
    return h2;
}

START_TEST(test_json_roundtrip)
{
    const struct dist *d = &DISTS[_i];
    int64_t *v = draw(d, 99 + (uint64_t)_i);
    struct hist *h = hist_of(v, d->n);
    struct hist *back = through_json(h);
    assert_same(back, h, d->name);
    hist_free(back);
    hist_free(h);
    free(v);
}
END_TEST

START_TEST(test_empty)
{
    struct hist *h = new_default();
    ck_assert_int_eq(hist_value_at(h, 99), 0);
    ck_assert_int_eq(hist_min(h), 0);
    ck_assert_int_eq(hist_max(h), 0);
    struct hist *back = through_json(h);
    assert_same(back, h, "empty");
    hist_free(back);
    /* reset empties a used histogram */
    hist_record_n(h, 5, 3);
    hist_record(h, 2 * HOUR);
    hist_reset(h);
    ck_assert_uint_eq(hist_count(h), 0);
    ck_assert_uint_eq(hist_overflow(h), 0);
    ck_assert_int_eq(hist_value_at(h, 50), 0);
    size_t pos = 0;
    struct hist_bucket b;
    ck_assert(!hist_next_bucket(h, &pos, &b));
    hist_free(h);
}
END_TEST

START_TEST(test_edges)
{
    struct hist *h = new_default();
    hist_record(h, -5);     /* counted as 0 */
    hist_record_n(h, 7, 0); /* records nothing */
    hist_record(h, 3);
    ck_assert_uint_eq(hist_count(h), 2);
    ck_assert_int_eq(hist_min(h), 0);
    ck_assert_int_eq(hist_max(h), 3);
    ck_assert_int_eq(hist_value_at(h, 0), 0);
    ck_assert_int_eq(hist_value_at(h, 50), 0);
    ck_assert_int_eq(hist_value_at(h, 50.0001), 3);
    ck_assert_int_eq(hist_value_at(h, 250), 3); /* clamped to 100 */
    ck_assert_int_eq(hist_value_at(h, -1), 0);
    ck_assert_int_eq(hist_value_at(h, NAN), 0);
    hist_free(h);
}
END_TEST

START_TEST(test_counts_above_2_32)
{
    struct hist *h = new_default();
    hist_record_n(h, 1000, 5000000000ULL);
    hist_record_n(h, 2000000, 3000000000ULL);
    ck_assert_uint_eq(hist_count(h), 8000000000ULL);
    /* rank ceil(0.625 * 8e9) = 5e9 is the last 1000 us sample */
    ck_assert_int_eq(hist_value_at(h, 62.5), 1000);
    ck_assert_int_eq(hist_value_at(h, 62.5000001), 2000000);
    ck_assert_int_eq(hist_value_at(h, 100), 2000000);
    char err[256];
    ck_assert_int_eq(hist_merge(h, h, err, sizeof err), HIST_OK);
    ck_assert_uint_eq(hist_count(h), 16000000000ULL);
    size_t pos = 0;
    struct hist_bucket b;
    ck_assert(hist_next_bucket(h, &pos, &b));
    ck_assert_uint_eq(b.count, 10000000000ULL);
    ck_assert_int_eq(b.lowest_us, 1000);
    struct hist *back = through_json(h);
    assert_same(back, h, "2^32");
    hist_free(back);
    hist_free(h);
}
END_TEST

START_TEST(test_from_result_errors)
{
    static const struct {
        const char *name;
        int what; /* which field to spoil */
        const char *want;
    } V[] = {
        {"index", 0,
         "histogram eod/sent: bucket 1: index 23552 is out of "
         "range (want < 23552)"},
        {"order", 1,
         "histogram eod/sent: bucket 1: index 1000 is out of "
         "order"},
        {"total", 2, "histogram eod/sent: buckets add up to 3, total says 4"},
        {"sigfig", 3,
         "histogram eod/sent: histogram: 9 significant digits "
         "(want 1..5)"},
        {"min", 4,
         "histogram eod/sent: min 999 or max 3600000000 us lies "
         "outside the lowest or highest bucket"},
        {"max", 5,
         "histogram eod/sent: min 1000 or max 3600000001 us lies "
         "outside the lowest or highest bucket"},
        {"overflow", 6,
         "histogram eod/sent: overflow 2 does not fit the 1 "
         "values in the highest bucket and max 3600000000 us"},
    };
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        struct hist *h = new_default();
        hist_record_n(h, 1000, 2);
        hist_record(h, 2 * HOUR);
        struct result_hist rh = {0};
        hist_to_result(h, "eod", "sent", &rh);
        ck_assert_int_eq(rh.nbuckets, 2);
        switch (V[i].what) {
        case 0:
            rh.buckets[1].index = 23552;
            break;
        case 1:
            rh.buckets[1].index = rh.buckets[0].index;
            break;
        case 2:
            rh.total = 4;
            break;
        case 3:
            rh.sigfig = 9;
            break;
        case 4:
            rh.min_us = 999;
            break;
        case 5:
            rh.max_us = HOUR + 1;
            break;
        case 6:
            rh.overflow = 2;
            break;
        }
        char err[256] = "";
        struct hist *back = hist_from_result(&rh, err, sizeof err);
        ck_assert_msg(back == NULL, "%s: accepted", V[i].name);
        ck_assert_msg(strcmp(err, V[i].want) == 0, "%s: got '%s' want '%s'",
                      V[i].name, err, V[i].want);
        free(rh.name);
        free(rh.basis);
        free(rh.buckets);
        hist_free(h);
    }
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_geometry);
    tcase_add_loop_test(tc, test_percentiles_vs_oracle, 0, (int)NDISTS);
    tcase_add_test(tc, test_merge_equals_union);
    tcase_add_test(tc, test_merge_refuses_other_params);
    tcase_add_test(tc, test_bad_params);
    tcase_add_loop_test(tc, test_json_roundtrip, 0, (int)NDISTS);
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_edges);
    tcase_add_test(tc, test_counts_above_2_32);
    tcase_add_test(tc, test_from_result_errors);
}

#include "check_main.h"
