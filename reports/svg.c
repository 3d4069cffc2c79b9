/* svg: chart primitives of the HTML report (see svg.h). Pure: plain data
 * in, markup appended to a buffer, nothing else read or written, so the
 * golden files under tests/golden/ pin every byte. Presentation goes in
 * SVG attributes (fill, stroke), never in style attributes, which the
 * report's Content-Security-Policy would block. */
#include "reports/svg.h"
#include "reports/text.h"
#include "harness/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SVG_W         640
#define SVG_H         240
#define SVG_LEFT      64
#define SVG_RIGHT     32
#define SVG_TOP       28
#define SVG_BOTTOM    40
#define SVG_TICKS     4
#define SVG_NINES_MAX 6  /* percentile curve: up to 99.9999% */
#define SVG_CELL_W    56 /* matrix cell */
#define SVG_CELL_H    24
#define SVG_ROW_LABEL 96 /* matrix row label column */

/* ---- numbers ---------------------------------------------------------- */

/* Appends v rounded to `dec` decimals, trailing zeros dropped; integer
 * arithmetic only, so no locale reaches the digits. */
static void num_fmt(struct buf *out, double v, int dec)
{
    if (!isfinite(v))
        v = 0;
    long long scale = 1;
    for (int i = 0; i < dec; i++)
        scale *= 10;
    double a = fabs(v) * (double)scale + 0.5;
    if (a > 9e18)
        a = 9e18;
    long long r = (long long)a;
    if (v < 0 && r != 0)
        buf_addc(out, '-');
    buf_addf(out, "%lld", r / scale);
    long long frac = r % scale;
    if (frac == 0)
        return;
    char digits[24];
    snprintf(digits, sizeof digits, "%0*lld", dec, frac);
    size_t n = strlen(digits);
    while (n > 0 && digits[n - 1] == '0')
        n--;
    buf_addc(out, '.');
    buf_add(out, digits, n);
}

void svg_num(struct buf *out, double v)
{
    num_fmt(out, v, 2);
}

/* Three significant digits: 1.25, 12.5, 125. */
static void num_sig3(struct buf *out, double v)
{
    num_fmt(out, v, v < 10 ? 2 : v < 100 ? 1 : 0);
}

void svg_duration(struct buf *out, int64_t us)
{
    if (us < 0)
        us = 0;
    if (us < 1000) {
        buf_addf(out, "%lld \xc2\xb5s", (long long)us);
    } else if (us < 999500) {
        num_sig3(out, (double)us / 1e3);
        buf_adds(out, " ms");
    } else {
        num_sig3(out, (double)us / 1e6);
        buf_adds(out, " s");
    }
}

/* The smallest 1, 2 or 5 x 10^k not below v (v > 0). */
static double nice_ceil(double v)
{
    if (!(v > 0) || !isfinite(v))
        return 1;
    double p = pow(10, floor(log10(v)));
    static const double STEPS[] = {1, 2, 5, 10};
    for (size_t i = 0; i < sizeof STEPS / sizeof STEPS[0]; i++)
        if (STEPS[i] * p >= v * (1 - 1e-12))
            return STEPS[i] * p;
    return 10 * p;
}

/* ---- HdrHistogram buckets ---------------------------------------------- */

/* The layout HdrHistogram derives from (lowest, sigfig): sub-buckets of
 * 2^half_mag values at unit 2^unit_mag, each bucket twice the last. */
struct hdr_layout {
    int unit_mag, half_mag;
};

static int hdr_layout(const struct result_hist *h, struct hdr_layout *l)
{
    if (h->lowest_us < 1 || h->sigfig < 1 || h->sigfig > 5)
        return 0;
    int64_t single = 2;
    for (int i = 0; i < h->sigfig; i++)
        single *= 10;
    int m = 0;
    while (((int64_t)1 << m) < single)
        m++;
    l->half_mag = (m > 1 ? m : 1) - 1;
    l->unit_mag = 0;
    while (((int64_t)2 << l->unit_mag) <= h->lowest_us)
        l->unit_mag++;
    return 1;
}

int svg_hdr_bucket_range(const struct result_hist *h, uint32_t index,
                         int64_t *lo, int64_t *hi)
{
    struct hdr_layout l;
    if (!hdr_layout(h, &l))
        return 0;
    int64_t half = (int64_t)1 << l.half_mag;
    int64_t bucket = ((int64_t)index >> l.half_mag) - 1;
    int64_t sub = ((int64_t)index & (half - 1)) + half;
    if (bucket < 0) {
        sub -= half;
        bucket = 0;
    }
    int shift = (int)bucket + l.unit_mag;
    if (shift + l.half_mag + 1 >= 62)
        return 0;
    *lo = sub << shift;
    *hi = *lo + ((int64_t)1 << shift) - 1;
    return 1;
}

static int cmp_bucket(const void *a, const void *b)
{
    uint32_t x = ((const struct result_bucket *)a)->index;
    uint32_t y = ((const struct result_bucket *)b)->index;
    return x < y ? -1 : x > y;
}

size_t svg_hist_percentiles(const struct result_hist *h, const double *pcts,
                            size_t n, struct svg_pct *out)
{
    struct result_bucket *b = xcalloc(h->nbuckets ? h->nbuckets : 1, sizeof *b);
    if (h->nbuckets)
        memcpy(b, h->buckets, h->nbuckets * sizeof *b);
    qsort(b, h->nbuckets, sizeof *b, cmp_bucket);
    uint64_t total = 0;
    for (size_t i = 0; i < h->nbuckets; i++)
        total += b[i].count;
    size_t filled = 0, at = 0;
    uint64_t seen = 0;
    for (size_t k = 0; total > 0 && k < n; k++) {
        double want = ceil(pcts[k] / 100.0 * (double)total - 1e-9);
        uint64_t rank = want < 1                ? 1
                        : want >= (double)total ? total
                                                : (uint64_t)want;
        while (at < h->nbuckets && seen + b[at].count < rank)
            seen += b[at++].count;
        int64_t lo, hi;
        if (at >= h->nbuckets ||
            !svg_hdr_bucket_range(h, b[at].index, &lo, &hi))
            break;
        out[filled].pct = pcts[k];
        out[filled++].value_us = hi;
    }
    free(b);
    return filled;
}

/* ---- frame ------------------------------------------------------------ */

struct frame {
    int w, h;      /* whole picture */
    double x0, y0; /* plot area, top left */
    double pw, ph; /* plot area size */
};

static void frame_open(struct buf *out, const struct svg_chart *c,
                       struct frame *f)
{
    f->w = c->width > 0 ? c->width : SVG_W;
    f->h = c->height > 0 ? c->height : SVG_H;
    f->x0 = SVG_LEFT;
    f->y0 = SVG_TOP;
    f->pw = f->w - SVG_LEFT - SVG_RIGHT;
    f->ph = f->h - SVG_TOP - SVG_BOTTOM;
    buf_addf(out,
             "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" "
             "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
             "aria-label=\"",
             f->w, f->h, f->w, f->h);
    text_html(out, c->title ? c->title : "chart", TEXT_ID_MAX);
    buf_adds(out, "\"><title>");
    text_html(out, c->title ? c->title : "chart", TEXT_ID_MAX);
    buf_addf(out, "</title><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>",
             f->w, f->h);
    buf_adds(out, "<text x=\"8\" y=\"16\" font-size=\"12\" "
                  "font-weight=\"bold\" fill=\"#222\">");
    text_html(out, c->title ? c->title : "", TEXT_ID_MAX);
    buf_adds(out, "</text>");
}

/* A text element at (x, y); anchor "start", "middle" or "end". */
static void label(struct buf *out, double x, double y, const char *anchor,
                  const char *text)
{
    buf_adds(out, "<text x=\"");
    svg_num(out, x);
    buf_adds(out, "\" y=\"");
    svg_num(out, y);
    buf_addf(out, "\" font-size=\"10\" fill=\"#444\" text-anchor=\"%s\">",
             anchor);
    text_html(out, text, TEXT_ID_MAX);
    buf_adds(out, "</text>");
}

static void line(struct buf *out, double x1, double y1, double x2, double y2,
                 const char *stroke)
{
    buf_adds(out, "<line x1=\"");
    svg_num(out, x1);
    buf_adds(out, "\" y1=\"");
    svg_num(out, y1);
    buf_adds(out, "\" x2=\"");
    svg_num(out, x2);
    buf_adds(out, "\" y2=\"");
    svg_num(out, y2);
    buf_addf(out, "\" stroke=\"%s\"/>", stroke);
}

/* Axes, axis titles and SVG_TICKS+1 horizontal grid lines from 0 to ymax,
 * labelled by fmt (svg_num or a duration). */
static void frame_axes(struct buf *out, const struct svg_chart *c,
                       const struct frame *f, double ymin, double ymax,
                       bool durations)
{
    for (int i = 0; i <= SVG_TICKS; i++) {
        double v = ymin + (ymax - ymin) * i / SVG_TICKS;
        double y = f->y0 + f->ph - f->ph * i / SVG_TICKS;
        line(out, f->x0, y, f->x0 + f->pw, y, i ? "#e4e4e4" : "#888");
        struct buf t;
        buf_init(&t, 64);
        if (durations)
            svg_duration(&t, (int64_t)v);
        else
            svg_num(&t, v);
        label(out, f->x0 - 4, y + 3, "end", buf_str(&t));
        buf_free(&t);
    }
    line(out, f->x0, f->y0, f->x0, f->y0 + f->ph, "#888");
    if (c->xlabel)
        label(out, f->x0 + f->pw / 2, f->h - 4, "middle", c->xlabel);
    if (c->ylabel) { /* along the y axis, turned a quarter */
        double cy = f->y0 + f->ph / 2;
        buf_adds(out, "<g transform=\"rotate(-90 12 ");
        svg_num(out, cy);
        buf_adds(out, ")\">");
        label(out, 12, cy, "middle", c->ylabel);
        buf_adds(out, "</g>");
    }
}

static double scale_y(const struct frame *f, double v, double ymin, double ymax)
{
    double span = ymax > ymin ? ymax - ymin : 1;
    return f->y0 + f->ph - f->ph * (v - ymin) / span;
}

static void points_attr(struct buf *out, const double *xs, const double *ys,
                        size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_addc(out, ' ');
        svg_num(out, xs[i]);
        buf_addc(out, ',');
        svg_num(out, ys[i]);
    }
}

static void polyline(struct buf *out, const double *xs, const double *ys,
                     size_t n, const char *stroke)
{
    buf_adds(out, "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"");
    buf_adds(out, stroke);
    buf_adds(out, "\" points=\"");
    points_attr(out, xs, ys, n);
    buf_adds(out, "\"/>");
}

static void empty_note(struct buf *out, const struct frame *f)
{
    label(out, f->x0 + f->pw / 2, f->y0 + f->ph / 2, "middle", "no data");
}

/* ---- percentiles ------------------------------------------------------ */

void svg_percentile_table(struct buf *out, const struct svg_pct *p, size_t n)
{
    buf_adds(out, "<table class=\"pct\"><thead><tr><th>percentile</th>"
                  "<th>value</th></tr></thead><tbody>");
    for (size_t i = 0; i < n; i++) {
        buf_adds(out, "<tr><td>");
        num_fmt(out, p[i].pct, 4);
        buf_adds(out, "</td><td>");
        svg_duration(out, p[i].value_us);
        buf_adds(out, "</td></tr>");
    }
    buf_adds(out, "</tbody></table>");
}

/* Position of percentile p on the "nines" axis: -log10(1 - p/100). */
static double nines(double pct)
{
    double rest = 1 - pct / 100;
    if (rest <= 0)
        return SVG_NINES_MAX;
    double v = -log10(rest);
    return v > SVG_NINES_MAX ? SVG_NINES_MAX : v < 0 ? 0 : v;
}

static void nines_ticks(struct buf *out, const struct frame *f, int maxn)
{
    static const char *const NAMES[] = {"0%",     "90%",     "99%",     "99.9%",
                                        "99.99%", "99.999%", "99.9999%"};
    for (int k = 0; k <= maxn; k++) {
        double x = f->x0 + f->pw * k / maxn;
        line(out, x, f->y0 + f->ph, x, f->y0 + f->ph + 4, "#888");
        label(out, x, f->y0 + f->ph + 14, "middle", NAMES[k]);
    }
}

void svg_percentile_curve(struct buf *out, const struct svg_chart *c,
                          const struct svg_pct *p, size_t n)
{
    struct frame f;
    frame_open(out, c, &f);
    double ymax = 0, xmax = 1;
    for (size_t i = 0; i < n; i++) {
        ymax = p[i].value_us > ymax ? (double)p[i].value_us : ymax;
        xmax = nines(p[i].pct) > xmax ? nines(p[i].pct) : xmax;
    }
    int maxn = (int)ceil(xmax - 1e-9);
    ymax = nice_ceil(ymax);
    frame_axes(out, c, &f, 0, ymax, true);
    nines_ticks(out, &f, maxn);
    if (n == 0) {
        empty_note(out, &f);
        buf_adds(out, "</svg>");
        return;
    }
    double *xs = xcalloc(n, sizeof *xs), *ys = xcalloc(n, sizeof *ys);
    for (size_t i = 0; i < n; i++) {
        xs[i] = f.x0 + f.pw * nines(p[i].pct) / maxn;
        ys[i] = scale_y(&f, (double)p[i].value_us, 0, ymax);
    }
    polyline(out, xs, ys, n, "#2c6fbb");
    for (size_t i = 0; i < n; i++) {
        buf_adds(out, "<circle r=\"3\" fill=\"#2c6fbb\" cx=\"");
        svg_num(out, xs[i]);
        buf_adds(out, "\" cy=\"");
        svg_num(out, ys[i]);
        buf_adds(out, "\"><title>");
        num_fmt(out, p[i].pct, 4);
        buf_adds(out, "%: ");
        svg_duration(out, p[i].value_us);
        buf_adds(out, "</title></circle>");
    }
    free(xs);
    free(ys);
    buf_adds(out, "</svg>");
}

/* ---- bars and series -------------------------------------------------- */

void svg_bars(struct buf *out, const struct svg_chart *c,
              const struct svg_bar *b, size_t n)
{
    struct frame f;
    frame_open(out, c, &f);
    if (n > SVG_BARS_MAX)
        n = SVG_BARS_MAX;
    double ymax = 0;
    for (size_t i = 0; i < n; i++)
        ymax = b[i].value > ymax ? b[i].value : ymax;
    ymax = nice_ceil(ymax);
    frame_axes(out, c, &f, 0, ymax, false);
    if (n == 0)
        empty_note(out, &f);
    double slot = n ? f.pw / (double)n : 0;
    size_t every = n / 8 + 1; /* label at most ~8 bars */
    for (size_t i = 0; i < n; i++) {
        double v = b[i].value > 0 ? b[i].value : 0;
        double y = scale_y(&f, v, 0, ymax);
        buf_adds(out, "<rect fill=\"#2c6fbb\" x=\"");
        svg_num(out, f.x0 + slot * (double)i + slot * 0.1);
        buf_adds(out, "\" y=\"");
        svg_num(out, y);
        buf_adds(out, "\" width=\"");
        svg_num(out, slot * 0.8);
        buf_adds(out, "\" height=\"");
        svg_num(out, f.y0 + f.ph - y);
        buf_adds(out, "\"><title>");
        text_html(out, b[i].label ? b[i].label : "", TEXT_ID_MAX);
        buf_adds(out, ": ");
        svg_num(out, b[i].value);
        buf_adds(out, "</title></rect>");
        if (i % every == 0)
            label(out, f.x0 + slot * ((double)i + 0.5), f.y0 + f.ph + 14,
                  "middle", b[i].label ? b[i].label : "");
    }
    buf_adds(out, "</svg>");
}

/* Thins p to at most SVG_POINTS_MAX points, keeping the last. */
static size_t thin(const struct svg_point *p, size_t n, double *xs, double *ys)
{
    size_t step = n / SVG_POINTS_MAX + 1, m = 0;
    for (size_t i = 0; i < n; i += step) {
        xs[m] = p[i].x;
        ys[m++] = p[i].y;
    }
    if (n && (n - 1) % step != 0) {
        xs[m] = p[n - 1].x;
        ys[m++] = p[n - 1].y;
    }
    return m;
}

static void series_x_ticks(struct buf *out, const struct frame *f, double x0,
                           double x1)
{
    for (int i = 0; i <= SVG_TICKS; i++) {
        double x = f->x0 + f->pw * i / SVG_TICKS;
        struct buf t;
        buf_init(&t, 64);
        svg_num(&t, x0 + (x1 - x0) * i / SVG_TICKS);
        line(out, x, f->y0 + f->ph, x, f->y0 + f->ph + 4, "#888");
        label(out, x, f->y0 + f->ph + 14, "middle", buf_str(&t));
        buf_free(&t);
    }
}

void svg_series(struct buf *out, const struct svg_chart *c,
                const struct svg_point *p, size_t n)
{
    struct frame f;
    frame_open(out, c, &f);
    double *xs = xcalloc(n + 1, sizeof *xs), *ys = xcalloc(n + 1, sizeof *ys);
    size_t m = thin(p, n, xs, ys);
    double xmin = m ? xs[0] : 0, xmax = m ? xs[m - 1] : 1;
    double ymin = 0, ymax = 0;
    for (size_t i = 0; i < m; i++) {
        ymin = ys[i] < ymin ? ys[i] : ymin;
        ymax = ys[i] > ymax ? ys[i] : ymax;
    }
    ymax = nice_ceil(ymax);
    ymin = ymin < 0 ? -nice_ceil(-ymin) : 0;
    frame_axes(out, c, &f, ymin, ymax, false);
    series_x_ticks(out, &f, xmin, xmax);
    for (size_t i = 0; i < m; i++) {
        double span = xmax > xmin ? xmax - xmin : 1;
        xs[i] = f.x0 + f.pw * (xs[i] - xmin) / span;
        ys[i] = scale_y(&f, ys[i], ymin, ymax);
    }
    if (m)
        polyline(out, xs, ys, m, "#2c6fbb");
    else
        empty_note(out, &f);
    free(xs);
    free(ys);
    buf_adds(out, "</svg>");
}

/* ---- step x reply-code matrix ----------------------------------------- */

/* Rows follow DESIGN.md's step order; unknown steps come after. */
static const char *const STEP_ORDER[] = {
    "connect", "tls",  "banner",  "ehlo",     "starttls", "ehlo_tls",
    "auth",    "mail", "rcpt",    "data_cmd", "eod",      "bdat",
    "rset",    "quit", "session", "delivery",
};

struct axis {
    char *names[SVG_MATRIX_MAX];
    size_t n;
};

/* Index of name[0..len) on the axis, added if new; -1 when full. */
static int axis_find(struct axis *a, const char *name, size_t len, bool add)
{
    for (size_t i = 0; i < a->n; i++)
        if (strlen(a->names[i]) == len && memcmp(a->names[i], name, len) == 0)
            return (int)i;
    if (!add || a->n >= SVG_MATRIX_MAX)
        return -1;
    a->names[a->n] = xstrndup(name, len);
    return (int)a->n++;
}

static int step_rank(const char *s)
{
    for (size_t i = 0; i < sizeof STEP_ORDER / sizeof STEP_ORDER[0]; i++)
        if (strcmp(s, STEP_ORDER[i]) == 0)
            return (int)i;
    return (int)(sizeof STEP_ORDER / sizeof STEP_ORDER[0]);
}

static int cmp_step(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int d = step_rank(x) - step_rank(y);
    return d ? d : strcmp(x, y);
}

/* Reply codes in numeric order, other words (timeout ...) after. */
static int cmp_code(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    bool nx = x[strspn(x, "0123456789")] == '\0';
    bool ny = y[strspn(y, "0123456789")] == '\0';
    if (nx != ny)
        return nx ? -1 : 1;
    if (nx && strlen(x) != strlen(y))
        return strlen(x) < strlen(y) ? -1 : 1;
    return strcmp(x, y);
}

/* Splits "errors.STEP.CODE" into step and code; 0 if not of that form. */
static int split_counter(const char *name, const char **step, size_t *slen,
                         const char **code)
{
    if (!name || strncmp(name, "errors.", 7) != 0)
        return 0;
    const char *dot = strrchr(name + 7, '.');
    if (!dot || dot == name + 7 || dot[1] == '\0')
        return 0;
    *step = name + 7;
    *slen = (size_t)(dot - *step);
    *code = dot + 1;
    return 1;
}

static void matrix_cell(struct buf *out, double x, double y, uint64_t v,
                        uint64_t vmax, const char *row, const char *col)
{
    buf_adds(out, "<rect x=\"");
    svg_num(out, x);
    buf_adds(out, "\" y=\"");
    svg_num(out, y);
    buf_addf(out, "\" width=\"%d\" height=\"%d\" ", SVG_CELL_W - 2,
             SVG_CELL_H - 2);
    if (v == 0) {
        buf_adds(out, "fill=\"#f4f4f4\">");
    } else {
        buf_adds(out, "fill=\"#c0392b\" fill-opacity=\"");
        svg_num(out, 0.15 + 0.85 * log1p((double)v) / log1p((double)vmax));
        buf_adds(out, "\">");
    }
    buf_adds(out, "<title>");
    text_html(out, row, TEXT_ID_MAX);
    buf_adds(out, " ");
    text_html(out, col, TEXT_ID_MAX);
    buf_addf(out, ": %llu</title></rect>", (unsigned long long)v);
    if (v) {
        char s[24];
        snprintf(s, sizeof s, "%llu", (unsigned long long)v);
        label(out, x + (SVG_CELL_W - 2) / 2.0, y + SVG_CELL_H / 2.0 + 2,
              "middle", s);
    }
}

static void matrix_draw(struct buf *out, const struct svg_chart *c,
                        struct axis *rows, struct axis *cols,
                        const uint64_t *cell, uint64_t vmax)
{
    int w = SVG_ROW_LABEL + (int)cols->n * SVG_CELL_W + SVG_RIGHT;
    int h = SVG_TOP + 20 + (int)rows->n * SVG_CELL_H + 8;
    struct svg_chart sized = *c;
    sized.width = w;
    sized.height = h;
    struct frame f;
    frame_open(out, &sized, &f);
    for (size_t j = 0; j < cols->n; j++)
        label(out, SVG_ROW_LABEL + SVG_CELL_W * (j + 0.5), SVG_TOP + 12,
              "middle", cols->names[j]);
    for (size_t i = 0; i < rows->n; i++) {
        double y = SVG_TOP + 20 + SVG_CELL_H * (double)i;
        label(out, SVG_ROW_LABEL - 6, y + SVG_CELL_H / 2.0 + 2, "end",
              rows->names[i]);
        for (size_t j = 0; j < cols->n; j++)
            matrix_cell(out, SVG_ROW_LABEL + SVG_CELL_W * (double)j, y,
                        cell[i * SVG_MATRIX_MAX + j], vmax, rows->names[i],
                        cols->names[j]);
    }
    buf_adds(out, "</svg>");
}

void svg_matrix(struct buf *out, const struct svg_chart *c,
                const struct result_counter *k, size_t n)
{
    struct axis rows = {.n = 0}, cols = {.n = 0};
    const char *step, *code;
    size_t slen;
    for (size_t i = 0; i < n; i++) {
        if (split_counter(k[i].name, &step, &slen, &code)) {
            axis_find(&rows, step, slen, true);
            axis_find(&cols, code, strlen(code), true);
        }
    }
    qsort(rows.names, rows.n, sizeof rows.names[0], cmp_step);
    qsort(cols.names, cols.n, sizeof cols.names[0], cmp_code);
    uint64_t *cell = xcalloc(SVG_MATRIX_MAX * SVG_MATRIX_MAX, sizeof *cell);
    uint64_t vmax = 0;
    for (size_t i = 0; i < n; i++) {
        if (!split_counter(k[i].name, &step, &slen, &code))
            continue;
        int r = axis_find(&rows, step, slen, false);
        int q = axis_find(&cols, code, strlen(code), false);
        if (r < 0 || q < 0)
            continue;
        uint64_t *v = &cell[r * SVG_MATRIX_MAX + q];
        *v += k[i].value;
        vmax = *v > vmax ? *v : vmax;
    }
    if (rows.n)
        matrix_draw(out, c, &rows, &cols, cell, vmax);
    for (size_t i = 0; i < rows.n; i++)
        free(rows.names[i]);
    for (size_t i = 0; i < cols.n; i++)
        free(cols.names[i]);
    free(cell);
}
