/* hist: the latency histogram of load runs, after HdrHistogram.
 *
 * The value range is cut into buckets by powers of two; each bucket is
 * cut into sub_count linear sub-buckets, sub_count being the power of two
 * that gives `sigfig` decimal digits (2048 for 3). Bucket 0 covers
 * [0, sub_count) in steps of one unit (2^unit_mag); bucket b > 0 covers
 * [half << b, sub_count << b) units in steps of 2^b, so a bucket's width
 * is never more than 1/half of the values it holds. Only the upper half
 * of buckets b > 0 is stored (the lower half is bucket b-1), so the
 * counts array is (nbuckets + 1) * half slots long.
 *
 * A value's bucket comes from its leading-zero count, its sub-bucket
 * from a shift: recording is a handful of integer instructions. */
#include "harness/hist.h"
#include "harness/xalloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hist {
    struct hist_params p;
    int unit_mag;      /* log2 of the unit: floor(log2(lowest_us)) */
    int half_mag;      /* log2 of half */
    int64_t sub_count; /* sub-buckets per bucket */
    int64_t half;      /* sub_count / 2 */
    int64_t sub_mask;  /* (sub_count - 1) << unit_mag */
    int nbuckets;
    uint32_t nslots; /* length of counts */
    uint64_t total;
    uint64_t overflow;
    int64_t min; /* INT64_MAX when empty */
    int64_t max; /* -1 when empty */
    uint64_t counts[];
};

/* Percentiles are used as fixed point: PCT_SCALE units per percent. */
#define PCT_SCALE 10000000.0
#define PCT_UNITS 1000000000ULL /* 100% */

/* ---- bucket arithmetic (HdrHistogram's index functions) --------------- */

static int floor_log2(uint64_t v)
{
    return 63 - __builtin_clzll(v);
}

static int bucket_of(const struct hist *h, int64_t v)
{
    int pow2ceil = 64 - __builtin_clzll((uint64_t)(v | h->sub_mask));
    return pow2ceil - h->unit_mag - (h->half_mag + 1);
}

static int64_t sub_of(const struct hist *h, int64_t v, int b)
{
    return v >> (b + h->unit_mag);
}

static uint32_t slot_of(const struct hist *h, int64_t v)
{
    int b = bucket_of(h, v);
    int64_t s = sub_of(h, v, b);
    return (uint32_t)(((int64_t)(b + 1) << h->half_mag) + (s - h->half));
}

/* The lowest value counted in slot i. */
static int64_t slot_value(const struct hist *h, uint32_t i)
{
    int b = (int)(i >> h->half_mag) - 1;
    int64_t s = (int64_t)(i & (uint32_t)(h->half - 1)) + h->half;
    if (b < 0) {
        s -= h->half;
        b = 0;
    }
    return s << (b + h->unit_mag);
}

int64_t hist_lowest_equivalent(const struct hist *h, int64_t v)
{
    int b = bucket_of(h, v);
    return sub_of(h, v, b) << (b + h->unit_mag);
}

int64_t hist_highest_equivalent(const struct hist *h, int64_t v)
{
    int b = bucket_of(h, v);
    int64_t s = sub_of(h, v, b);
    int width_mag = h->unit_mag + (s >= h->sub_count ? b + 1 : b);
    return hist_lowest_equivalent(h, v) + ((int64_t)1 << width_mag) - 1;
}

/* ---- life cycle ------------------------------------------------------- */

static int check_params(const struct hist_params *p, char *err, size_t errlen)
{
    if (p->lowest_us < 1)
        snprintf(err, errlen, "histogram: lowest value %" PRId64 " is below 1",
                 p->lowest_us);
    else if (p->highest_us < 2 * p->lowest_us || p->highest_us > INT64_MAX / 4)
        snprintf(err, errlen,
                 "histogram: highest value %" PRId64
                 " is out of range (want 2 x lowest to 2^61)",
                 p->highest_us);
    else if (p->sigfig < 1 || p->sigfig > HIST_SIGFIG_MAX)
        snprintf(err, errlen, "histogram: %d significant digits (want 1..%d)",
                 p->sigfig, HIST_SIGFIG_MAX);
    else
        return 0;
    return -1;
}

/* Fills the derived sizes of a histogram with parameters p. */
static void layout(struct hist *h, const struct hist_params *p)
{
    int64_t single = 2;
    for (int i = 0; i < p->sigfig; i++)
        single *= 10; /* largest value with single-unit resolution */
    int sub_mag = floor_log2((uint64_t)single);
    if (((int64_t)1 << sub_mag) < single)
        sub_mag++; /* ceil(log2(single)) */
    h->p = *p;
    h->half_mag = (sub_mag > 1 ? sub_mag : 1) - 1;
    h->unit_mag = floor_log2((uint64_t)p->lowest_us);
    h->sub_count = (int64_t)1 << (h->half_mag + 1);
    h->half = h->sub_count / 2;
    h->sub_mask = (h->sub_count - 1) << h->unit_mag;
    int64_t trackable = h->sub_mask;
    h->nbuckets = 1;
    while (trackable < p->highest_us) {
        trackable <<= 1;
        h->nbuckets++;
    }
    h->nslots = (uint32_t)((h->nbuckets + 1) * h->half);
}

struct hist *hist_new(const struct hist_params *p, char *err, size_t errlen)
{
    if (check_params(p, err, errlen) != 0)
        return NULL;
    struct hist shape;
    layout(&shape, p);
    struct hist *h =
        xcalloc(1, sizeof *h + (size_t)shape.nslots * sizeof h->counts[0]);
    *h = shape;
    hist_reset(h);
    return h;
}

void hist_free(struct hist *h)
{
    free(h);
}

struct hist_params hist_params(const struct hist *h)
{
    return h->p;
}

size_t hist_memory(const struct hist *h)
{
    return sizeof *h + (size_t)h->nslots * sizeof h->counts[0];
}

void hist_reset(struct hist *h)
{
    memset(h->counts, 0, (size_t)h->nslots * sizeof h->counts[0]);
    h->total = 0;
    h->overflow = 0;
    h->min = INT64_MAX;
    h->max = -1;
}

/* ---- recording -------------------------------------------------------- */

void hist_record_n(struct hist *h, int64_t value_us, uint64_t n)
{
    if (n == 0)
        return;
    int64_t v = value_us < 0 ? 0 : value_us;
    if (v > h->p.highest_us) {
        v = h->p.highest_us;
        h->overflow += n;
    }
    h->counts[slot_of(h, v)] += n;
    h->total += n;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void hist_record(struct hist *h, int64_t value_us)
{
    hist_record_n(h, value_us, 1);
}

static bool same_params(const struct hist_params *a,
                        const struct hist_params *b)
{
    return a->lowest_us == b->lowest_us && a->highest_us == b->highest_us &&
           a->sigfig == b->sigfig;
}

enum hist_status hist_merge(struct hist *dst, const struct hist *src, char *err,
                            size_t errlen)
{
    if (!same_params(&dst->p, &src->p)) {
        snprintf(err, errlen,
                 "histograms differ: %" PRId64 "..%" PRId64 " us at %d "
                 "digits cannot take %" PRId64 "..%" PRId64 " us at %d digits",
                 dst->p.lowest_us, dst->p.highest_us, dst->p.sigfig,
                 src->p.lowest_us, src->p.highest_us, src->p.sigfig);
        return HIST_EPARAMS;
    }
    for (uint32_t i = 0; i < src->nslots; i++)
        dst->counts[i] += src->counts[i];
    dst->total += src->total;
    dst->overflow += src->overflow;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    return HIST_OK;
}

/* ---- reading ---------------------------------------------------------- */

uint64_t hist_count(const struct hist *h)
{
    return h->total;
}

uint64_t hist_overflow(const struct hist *h)
{
    return h->overflow;
}

int64_t hist_min(const struct hist *h)
{
    return h->total ? h->min : 0;
}

int64_t hist_max(const struct hist *h)
{
    return h->total ? h->max : 0;
}

/* ceil(n * units / PCT_UNITS), at least 1, without overflow: n is split
 * so that no product exceeds 10^18. */
static uint64_t rank_of(uint64_t n, uint64_t units)
{
    uint64_t q = n / PCT_UNITS, r = n % PCT_UNITS;
    uint64_t rank = q * units + (r * units + PCT_UNITS - 1) / PCT_UNITS;
    return rank ? rank : 1;
}

int64_t hist_value_at(const struct hist *h, double p)
{
    if (h->total == 0)
        return 0;
    if (!(p > 0)) /* also NaN */
        p = 0;
    if (p > 100)
        p = 100;
    uint64_t rank = rank_of(h->total, (uint64_t)llround(p * PCT_SCALE));
    if (rank == 1)
        return h->min; /* the first sample is known exactly */
    uint64_t seen = 0;
    uint32_t i = 0;
    for (; i < h->nslots; i++) {
        seen += h->counts[i];
        if (seen >= rank)
            break;
    }
    int64_t v = hist_highest_equivalent(h, slot_value(h, i));
    if (v > h->max)
        v = h->max;
    if (v < h->min)
        v = h->min;
    return v;
}

bool hist_next_bucket(const struct hist *h, size_t *pos,
                      struct hist_bucket *out)
{
    for (size_t i = *pos; i < h->nslots; i++) {
        if (h->counts[i] == 0)
            continue;
        out->index = (uint32_t)i;
        out->count = h->counts[i];
        out->lowest_us = slot_value(h, (uint32_t)i);
        out->highest_us = hist_highest_equivalent(h, out->lowest_us);
        *pos = i + 1;
        return true;
    }
    *pos = h->nslots;
    return false;
}

/* ---- the result model ------------------------------------------------- */

void hist_to_result(const struct hist *h, const char *name, const char *basis,
                    struct result_hist *out)
{
    out->name = xstrdup(name);
    out->basis = xstrdup(basis);
    out->lowest_us = h->p.lowest_us;
    out->highest_us = h->p.highest_us;
    out->sigfig = h->p.sigfig;
    out->total = h->total;
    out->overflow = h->overflow;
    out->min_us = hist_min(h);
    out->max_us = hist_max(h);
    size_t pos = 0;
    struct hist_bucket b;
    while (hist_next_bucket(h, &pos, &b)) {
        struct result_bucket *rb = result_bucket_add(out);
        rb->index = b.index;
        rb->count = b.count;
    }
}

/* Loads rh's buckets into h (empty); -1 with err when they do not fit. */
static int load_buckets(struct hist *h, const struct result_hist *rh, char *err,
                        size_t errlen)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < rh->nbuckets; i++) {
        const struct result_bucket *b = &rh->buckets[i];
        if (b->index >= h->nslots) {
            snprintf(err, errlen,
                     "bucket %zu: index %" PRIu32
                     " is out of range (want < %" PRIu32 ")",
                     i, b->index, h->nslots);
            return -1;
        }
        if (i > 0 && b->index <= rh->buckets[i - 1].index) {
            snprintf(err, errlen,
                     "bucket %zu: index %" PRIu32 " is out of order", i,
                     b->index);
            return -1;
        }
        if (b->count > UINT64_MAX - sum) {
            snprintf(err, errlen, "bucket %zu: counts overflow", i);
            return -1;
        }
        h->counts[b->index] = b->count;
        sum += b->count;
    }
    if (sum != rh->total) {
        snprintf(err, errlen,
                 "buckets add up to %" PRIu64 ", total says %" PRIu64, sum,
                 rh->total);
        return -1;
    }
    h->total = sum;
    return 0;
}

/* Checks that the stored min, max and overflow agree with the buckets
 * (h loaded); sets them in h. */
static int load_extremes(struct hist *h, const struct result_hist *rh,
                         char *err, size_t errlen)
{
    if (h->total == 0) {
        if (rh->min_us != 0 || rh->max_us != 0 || rh->overflow != 0) {
            snprintf(err, errlen,
                     "an empty histogram with min, max or "
                     "overflow");
            return -1;
        }
        return 0;
    }
    size_t first = 0, last = rh->nbuckets - 1;
    while (rh->buckets[first].count == 0)
        first++;
    while (rh->buckets[last].count == 0)
        last--;
    int64_t lo_v = slot_value(h, rh->buckets[first].index);
    int64_t hi_v = slot_value(h, rh->buckets[last].index);
    if (rh->min_us < lo_v || rh->min_us > hist_highest_equivalent(h, lo_v) ||
        rh->max_us < hi_v || rh->max_us > hist_highest_equivalent(h, hi_v) ||
        rh->max_us > h->p.highest_us) {
        snprintf(err, errlen,
                 "min %" PRId64 " or max %" PRId64
                 " us lies outside the lowest or highest bucket",
                 rh->min_us, rh->max_us);
        return -1;
    }
    uint64_t top = h->counts[slot_of(h, h->p.highest_us)];
    if (rh->overflow > top ||
        (rh->overflow > 0 && rh->max_us != h->p.highest_us)) {
        snprintf(err, errlen,
                 "overflow %" PRIu64 " does not fit the %" PRIu64
                 " values in the highest bucket and max %" PRId64 " us",
                 rh->overflow, top, rh->max_us);
        return -1;
    }
    h->min = rh->min_us;
    h->max = rh->max_us;
    h->overflow = rh->overflow;
    return 0;
}

struct hist *hist_from_result(const struct result_hist *rh, char *err,
                              size_t errlen)
{
    struct hist_params p = {rh->lowest_us, rh->highest_us, rh->sigfig};
    char why[200];
    struct hist *h = hist_new(&p, why, sizeof why);
    if (h && (load_buckets(h, rh, why, sizeof why) != 0 ||
              load_extremes(h, rh, why, sizeof why) != 0)) {
        hist_free(h);
        h = NULL;
    }
    if (!h)
        snprintf(err, errlen, "histogram %s/%s: %s", rh->name ? rh->name : "?",
                 rh->basis ? rh->basis : "?", why);
    return h;
}
