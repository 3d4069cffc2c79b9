/* hist: a log-linear latency histogram, written here after Gil Tene's
 * published HdrHistogram algorithm (docs/load.md "Latency histograms").
 *
 * Values are microseconds. With the default parameters (1 us to 1 h,
 * 3 significant digits) every value v is counted in a bucket whose width
 * is at most v/1024, so any percentile read back is within 0.1% of the
 * exact one, and never below it. The counts take 23,552 slots of 8
 * bytes: 188,416 bytes, plus a 96-byte header (188,512 bytes on a 64-bit
 * machine), allocated once by hist_new; recording is O(1) and never
 * allocates.
 *
 * Values above the highest trackable value are recorded as that value
 * and counted apart (hist_overflow); negative values (a clock that went
 * backwards, a broken invariant) are recorded as 0. min and max are the
 * exact values recorded after that clamping. There is no mean: report
 * percentiles and max, and merge histograms before reading them; never
 * average percentiles.
 *
 * Not thread-safe: keep one histogram per worker thread and merge them
 * once (hist_merge) when the workers have stopped. */
#ifndef SMTPSUITE_HIST_H
#define SMTPSUITE_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/result.h"

#define HIST_LOWEST_US  1
#define HIST_HIGHEST_US 3600000000LL /* one hour */
#define HIST_SIGFIG     3
#define HIST_SIGFIG_MAX 5

struct hist;

struct hist_params {
    int64_t lowest_us;  /* smallest value told apart from 0, >= 1 */
    int64_t highest_us; /* largest trackable value, >= 2 * lowest_us */
    int sigfig;         /* significant decimal digits kept, 1..5 */
};

/* The load engine's histogram: 1 us to 1 h, 3 significant digits. */
#define HIST_PARAMS_DEFAULT                                                    \
    ((struct hist_params){HIST_LOWEST_US, HIST_HIGHEST_US, HIST_SIGFIG})

enum hist_status {
    HIST_OK = 0,
    HIST_EPARAMS, /* parameters invalid, or differing in a merge */
    HIST_EDATA,   /* a stored histogram that does not add up */
};

/* One non-empty bucket: its slot, its count and the values it holds. */
struct hist_bucket {
    uint32_t index;
    uint64_t count;
    int64_t lowest_us;  /* lowest value counted here */
    int64_t highest_us; /* highest value counted here */
};

/* A new empty histogram (caller frees with hist_free), or NULL with a
 * message in err when the parameters are invalid. */
struct hist *hist_new(const struct hist_params *p, char *err, size_t errlen);
void hist_free(struct hist *h); /* NULL is a no-op */

/* The parameters h was made with. */
struct hist_params hist_params(const struct hist *h);
/* Bytes allocated for h (header and counts). */
size_t hist_memory(const struct hist *h);

/* Counts one value; O(1), no allocation. */
void hist_record(struct hist *h, int64_t value_us);
/* Counts value_us n times (n = 0 records nothing). */
void hist_record_n(struct hist *h, int64_t value_us, uint64_t n);

/* Adds src into dst. HIST_EPARAMS (dst unchanged, message in err) when
 * their parameters differ. */
enum hist_status hist_merge(struct hist *dst, const struct hist *src, char *err,
                            size_t errlen);

/* The value at percentile p (0..100; clamped): the highest value of the
 * bucket holding the sample of rank ceil(p/100 * count), kept within
 * [min, max]; rank 1 (p0) is min, rank count (p100) is max. p is used
 * to 7 decimals. 0 when empty. */
int64_t hist_value_at(const struct hist *h, double p);
uint64_t hist_count(const struct hist *h);    /* values recorded */
uint64_t hist_overflow(const struct hist *h); /* of them, above highest */
int64_t hist_min(const struct hist *h);       /* 0 when empty */
int64_t hist_max(const struct hist *h);       /* 0 when empty */
/* Empties h, keeping its memory and parameters. */
void hist_reset(struct hist *h);

/* The lowest and highest value counted in the same bucket as v. */
int64_t hist_lowest_equivalent(const struct hist *h, int64_t v);
int64_t hist_highest_equivalent(const struct hist *h, int64_t v);

/* Iterates the non-empty buckets in order of value: start with *pos = 0;
 * each call fills *out and returns true, false at the end. */
bool hist_next_bucket(const struct hist *h, size_t *pos,
                      struct hist_bucket *out);

/* Fills out (zeroed, e.g. fresh from result_hist_add) with h's
 * parameters, figures and non-empty buckets; name and basis are copied. */
void hist_to_result(const struct hist *h, const char *name, const char *basis,
                    struct result_hist *out);
/* A new histogram equal to the stored one (caller frees), or NULL with
 * a message in err when its parameters are invalid or its figures do not
 * add up (an index out of range or out of order, a wrong total ...). */
struct hist *hist_from_result(const struct result_hist *rh, char *err,
                              size_t errlen);

#endif
