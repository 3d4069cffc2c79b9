/* Tests of reports/svg.c: number and duration formatting (also under a
 * comma locale), HdrHistogram bucket ranges against an independent
 * value-to-index function (tests/tools/fixtures.c), percentiles against
 * the exact nearest-rank percentile of the raw samples, and every chart
 * primitive on fixture data against golden files; each SVG must parse as
 * XML and escape its labels. */
#define TEST_NAME "svg"
#include "reports/svg.h"
#include "tests/tools/fixtures.h"
#include "harness/xalloc.h"
#include "comma_locale.h"
#include "golden.h"

#include <check.h>
#include <libxml/parser.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    double v;
    const char *want;
} NUMS[] = {
    {0, "0"},     {1.5, "1.5"},  {12.3456, "12.35"}, {-3.25, "-3.25"},
    {0.004, "0"}, {-0.004, "0"}, {100, "100"},       {0.1, "0.1"},
    {NAN, "0"},   {2.999, "3"},
};

static const struct {
    int64_t us;
    const char *want;
} DURS[] = {
    {0, "0 \xc2\xb5s"},       {999, "999 \xc2\xb5s"}, {1000, "1 ms"},
    {1250, "1.25 ms"},        {12345, "12.3 ms"},     {131072, "131 ms"},
    {999499, "999 ms"},       {999500, "1 s"},        {2500000, "2.5 s"},
    {3600000000LL, "3600 s"}, {-4, "0 \xc2\xb5s"},
};

static void check_numbers(void)
{
    for (size_t i = 0; i < sizeof NUMS / sizeof NUMS[0]; i++) {
        struct buf b;
        buf_init(&b, 64);
        svg_num(&b, NUMS[i].v);
        ck_assert_msg(strcmp(buf_str(&b), NUMS[i].want) == 0,
                      "svg_num(%g): got '%s' want '%s'", NUMS[i].v, buf_str(&b),
                      NUMS[i].want);
        buf_free(&b);
    }
    for (size_t i = 0; i < sizeof DURS / sizeof DURS[0]; i++) {
        struct buf b;
        buf_init(&b, 64);
        svg_duration(&b, DURS[i].us);
        ck_assert_msg(strcmp(buf_str(&b), DURS[i].want) == 0,
                      "svg_duration(%lld): got '%s' want '%s'",
                      (long long)DURS[i].us, buf_str(&b), DURS[i].want);
        buf_free(&b);
    }
}

START_TEST(test_numbers)
{
    check_numbers();
}
END_TEST

/* Every value lies in the range of the bucket the independent function
 * puts it in, and the range is as narrow as 3 significant figures. */
START_TEST(test_bucket_range)
{
    static const int64_t LOWEST[] = {1, 1000};
    for (size_t l = 0; l < 2; l++) {
        struct result_hist h = {.lowest_us = LOWEST[l], .sigfig = 3};
        for (int64_t v = LOWEST[l]; v < 4000000000LL; v += v / 7 + 1) {
            uint32_t idx = fixture_hdr_index(h.lowest_us, h.sigfig, v);
            int64_t lo, hi;
            ck_assert(svg_hdr_bucket_range(&h, idx, &lo, &hi));
            ck_assert_msg(lo <= v && v <= hi, "v=%lld in [%lld, %lld]?",
                          (long long)v, (long long)lo, (long long)hi);
            ck_assert_msg(
                (hi - lo + 1) * 1000 <= lo || hi - lo + 1 <= h.lowest_us * 2,
                "bucket [%lld, %lld] too wide", (long long)lo, (long long)hi);
        }
    }
    struct result_hist bad = {.lowest_us = 0, .sigfig = 3};
    int64_t lo, hi;
    ck_assert(!svg_hdr_bucket_range(&bad, 5, &lo, &hi));
}
END_TEST

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Percentiles read from buckets against the exact nearest-rank
 * percentile of the samples: never below it, above by at most the
 * bucket precision (0.1 %). */
START_TEST(test_percentiles)
{
    enum { N = 20000 };
    int64_t *v = xcalloc(N, sizeof *v);
    struct result_hist h = {
        .lowest_us = 1, .highest_us = 3600000000LL, .sigfig = 3};
    uint32_t x = 7;
    for (int i = 0; i < N; i++) {
        x = x * 1664525u + 1013904223u;
        v[i] = (int64_t)(100 * pow(10, (x >> 8) / (double)(1u << 24) * 5));
        uint32_t idx = fixture_hdr_index(1, 3, v[i]);
        size_t k = 0;
        while (k < h.nbuckets && h.buckets[k].index != idx)
            k++;
        if (k == h.nbuckets)
            result_bucket_add(&h)->index = idx;
        h.buckets[k].count++;
    }
    /* Buckets in reverse order: the reader must sort. */
    for (size_t i = 0; i < h.nbuckets / 2; i++) {
        struct result_bucket t = h.buckets[i];
        h.buckets[i] = h.buckets[h.nbuckets - 1 - i];
        h.buckets[h.nbuckets - 1 - i] = t;
    }
    qsort(v, N, sizeof *v, cmp_i64);
    static const double P[] = {0, 1, 25, 50, 90, 99, 99.9, 99.99, 100};
    struct svg_pct got[9];
    ck_assert_uint_eq(svg_hist_percentiles(&h, P, 9, got), 9);
    for (size_t i = 0; i < 9; i++) {
        size_t rank = (size_t)ceil(P[i] / 100 * N - 1e-9);
        int64_t exact = v[rank ? rank - 1 : 0];
        ck_assert_msg(got[i].value_us >= exact &&
                          got[i].value_us - exact <= exact / 1000 + 1,
                      "p%g: got %lld exact %lld", P[i],
                      (long long)got[i].value_us, (long long)exact);
    }
    free(h.buckets);
    free(v);
    struct result_hist empty = {.lowest_us = 1, .sigfig = 3};
    ck_assert_uint_eq(svg_hist_percentiles(&empty, P, 9, got), 0);
}
END_TEST

/* ---- charts on fixture data ------------------------------------------- */

static int xml_ok(const char *s, size_t n)
{
    xmlDocPtr d = xmlReadMemory(s, (int)n, "c.svg", "UTF-8",
                                XML_PARSE_NONET | XML_PARSE_NOERROR);
    if (d)
        xmlFreeDoc(d);
    return d != NULL;
}

static const struct svg_pct PCTS[] = {
    {0, 180},    {50, 1250},     {75, 2100},      {90, 4800},     {95, 9100},
    {99, 31000}, {99.9, 120000}, {99.99, 410000}, {100, 1900000},
};

static const struct svg_bar BARS[] = {
    {"\xe2\x89\xa5"
     "128 \xc2\xb5s",
     12},
    {"\xe2\x89\xa5"
     "256 \xc2\xb5s",
     340},
    {"\xe2\x89\xa5"
     "512 \xc2\xb5s",
     2200},
    {"\xe2\x89\xa5"
     "1.02 ms",
     5100},
    {"\xe2\x89\xa5"
     "2.05 ms",
     1800},
    {"<b>&\"x\"</b>", 90},
};

static const struct svg_point SERIES[] = {
    {0, 198}, {1, 201}, {2, 199.5}, {3, 240}, {4, 120},
    {5, 0},   {6, 205}, {7, 200},   {8, 201}, {9, 199},
};

static struct result_counter COUNTERS[] = {
    {"errors.rcpt.450", 312},   {"errors.rcpt.550", 41},
    {"errors.eod.451", 12},     {"errors.connect.timeout", 3},
    {"errors.mail.421", 7},     {"sessions", 120000},
    {"errors.<script>.550", 1}, {"errors..x", 5},
};

/* Renders every primitive; returns a new string (caller frees). */
static char *render(const char *which, size_t *len)
{
    struct buf b;
    buf_init(&b, (size_t)1 << 26);
    struct svg_chart c = {"fixture <chart> & \"title\"", "x axis", "y axis", 0,
                          0};
    if (strcmp(which, "pct_table") == 0)
        svg_percentile_table(&b, PCTS, sizeof PCTS / sizeof PCTS[0]);
    else if (strcmp(which, "pct_curve") == 0)
        svg_percentile_curve(&b, &c, PCTS, sizeof PCTS / sizeof PCTS[0]);
    else if (strcmp(which, "bars") == 0)
        svg_bars(&b, &c, BARS, sizeof BARS / sizeof BARS[0]);
    else if (strcmp(which, "series") == 0)
        svg_series(&b, &c, SERIES, sizeof SERIES / sizeof SERIES[0]);
    else if (strcmp(which, "matrix") == 0)
        svg_matrix(&b, &c, COUNTERS, sizeof COUNTERS / sizeof COUNTERS[0]);
    else if (strcmp(which, "empty") == 0) {
        svg_percentile_curve(&b, &c, PCTS, 0);
        svg_bars(&b, &c, BARS, 0);
        svg_series(&b, &c, SERIES, 0);
    }
    *len = b.len;
    return buf_detach(&b);
}

static const char *const CHARTS[][2] = {
    {"pct_table", "svg_pct_table.html"},
    {"pct_curve", "svg_pct_curve.svg"},
    {"bars", "svg_bars.svg"},
    {"series", "svg_series.svg"},
    {"matrix", "svg_matrix.svg"},
    {"empty", "svg_empty.html"},
};

static void check_goldens(void)
{
    for (size_t i = 0; i < sizeof CHARTS / sizeof CHARTS[0]; i++) {
        size_t len;
        char *s = render(CHARTS[i][0], &len);
        golden_check(CHARTS[i][1], s, len);
        if (strstr(CHARTS[i][1], ".svg"))
            ck_assert_msg(xml_ok(s, len), "%s does not parse", CHARTS[i][0]);
        ck_assert_msg(!strstr(s, "<script") && !strstr(s, "<b>") &&
                          !strstr(s, "<chart>"),
                      "%s: a label reached the markup unescaped", CHARTS[i][0]);
        free(s);
    }
}

START_TEST(test_goldens)
{
    check_goldens();
}
END_TEST

/* The same bytes when LC_NUMERIC writes commas. */
START_TEST(test_goldens_comma_locale)
{
    if (comma_locale_use())
        ck_assert(comma_locale_active());
    check_numbers();
    check_goldens();
}
END_TEST

START_TEST(test_matrix_shape)
{
    size_t len;
    char *s = render("matrix", &len);
    /* Rows in step order (connect, mail, rcpt, eod, then unknown), codes
     * in numeric order then words. */
    const char *order[] = {">connect<", ">mail<", ">rcpt<", ">eod<",
                           ">&lt;script&gt;<"};
    const char *at = s;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *p = strstr(at, order[i]);
        ck_assert_msg(p != NULL, "row %s missing or out of order", order[i]);
        at = p;
    }
    ck_assert_ptr_nonnull(strstr(s, ">421<"));
    ck_assert(strstr(s, ">421<") < strstr(s, ">450<"));
    ck_assert(strstr(s, ">551<") == NULL);
    ck_assert(strstr(s, ">550<") < strstr(s, ">timeout<"));
    ck_assert_ptr_null(strstr(s, "sessions")); /* not errors.STEP.CODE */
    free(s);
    struct buf b;
    buf_init(&b, 1024);
    svg_matrix(&b, &(struct svg_chart){"m", NULL, NULL, 0, 0}, COUNTERS + 5, 1);
    ck_assert_uint_eq(b.len, 0); /* no matrix counters: nothing */
    buf_free(&b);
}
END_TEST

START_TEST(test_series_thinned)
{
    enum { N = 50000 };
    struct svg_point *p = xcalloc(N, sizeof *p);
    for (int i = 0; i < N; i++)
        p[i] = (struct svg_point){i, i % 100};
    struct buf b;
    buf_init(&b, (size_t)1 << 26);
    struct svg_chart c = {"many", NULL, NULL, 0, 0};
    svg_series(&b, &c, p, N);
    const char *pts = strstr(buf_str(&b), "points=\"");
    ck_assert_ptr_nonnull(pts);
    size_t n = 1;
    for (const char *q = pts + 8; *q != '"'; q++)
        n += *q == ' ';
    ck_assert_msg(n <= SVG_POINTS_MAX + 1, "%zu points drawn", n);
    ck_assert_msg(xml_ok(b.data, b.len), "does not parse");
    buf_free(&b);
    free(p);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_numbers);
    tcase_add_test(tc, test_bucket_range);
    tcase_add_test(tc, test_percentiles);
    tcase_add_test(tc, test_goldens);
    tcase_add_test(tc, test_goldens_comma_locale);
    tcase_add_test(tc, test_matrix_shape);
    tcase_add_test(tc, test_series_thinned);
}

#include "check_main.h"
