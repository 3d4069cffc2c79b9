/* svg: chart primitives for the HTML report, as pure functions that
 * append inline SVG (or an HTML table) to a buffer. They take plain
 * arrays so the load and merge verbs only wire their data in; every
 * label goes through text_html(), every number through svg_num() (no
 * printf %f: LC_NUMERIC would turn the dot into a comma). */
#ifndef SMTPSUITE_SVG_H
#define SMTPSUITE_SVG_H

#include <stddef.h>
#include <stdint.h>

#include "harness/buf.h"
#include "harness/result.h"

#define SVG_POINTS_MAX 4096 /* points drawn per series; more are thinned */
#define SVG_BARS_MAX   200  /* bars drawn per distribution */
#define SVG_MATRIX_MAX 64   /* rows or columns of a step x code matrix */

/* Size and labels of one chart; 0 width/height mean 640 x 240. */
struct svg_chart {
    const char *title; /* also the accessible name */
    const char *xlabel;
    const char *ylabel;
    int width, height;
};

struct svg_point {
    double x, y;
};

struct svg_bar {
    const char *label;
    double value;
};

/* One row of a percentile table: percentile (0..100) and value. */
struct svg_pct {
    double pct;
    int64_t value_us;
};

/* Appends v with at most two decimals and a dot ("12", "0.5", "-3.25"). */
void svg_num(struct buf *out, double v);
/* Appends a duration for people: "850 µs", "1.25 ms", "2.5 s". */
void svg_duration(struct buf *out, int64_t us);

/* The lowest and highest value (µs) counted in bucket `index` of h, in
 * HdrHistogram's layout (lowest_us, highest_us, sigfig). A stand-in for
 * the histogram module's own conversion; 0 if h's parameters are bad. */
int svg_hdr_bucket_range(const struct result_hist *h, uint32_t index,
                         int64_t *lo, int64_t *hi);
/* Reads the value at each of pcts[0..n) (0..100, ascending) from h's
 * buckets into out (the highest value of the bucket holding that rank,
 * as HdrHistogram reports it); returns how many were filled (0 if h is
 * empty). */
size_t svg_hist_percentiles(const struct result_hist *h, const double *pcts,
                            size_t n, struct svg_pct *out);

/* A table of percentiles and values (HTML). */
void svg_percentile_table(struct buf *out, const struct svg_pct *p, size_t n);
/* A percentile curve: x on a "nines" scale (50, 90, 99, 99.9 ...), y the
 * value; p ascending. */
void svg_percentile_curve(struct buf *out, const struct svg_chart *c,
                          const struct svg_pct *p, size_t n);
/* A bar chart of labelled values (a distribution). */
void svg_bars(struct buf *out, const struct svg_chart *c,
              const struct svg_bar *b, size_t n);
/* A line chart of (t, value) points, t ascending. */
void svg_series(struct buf *out, const struct svg_chart *c,
                const struct svg_point *p, size_t n);
/* A step x reply-code heat map from the counters named errors.STEP.CODE
 * (others are ignored); appends nothing if there are none. */
void svg_matrix(struct buf *out, const struct svg_chart *c,
                const struct result_counter *k, size_t n);

#endif
