/* threshold: parsing and judging the thresholds of load runs.
 *
 * A threshold is one comparison: a metric (with a percentile and a step
 * where it takes them), an operator and a value with its unit. The
 * parser walks the text once, left to right, and stops at the first
 * problem with its column; the metric's unit decides which values it
 * may be compared with, so "p99(eod) < 250" (no unit) or "rate >= 0.95"
 * (a fraction where a percentage is meant) are errors, not guesses.
 *
 * Comparisons are exact: every figure is an integer or a ratio of
 * integers and every value written is a decimal, so "errors <= 0.1%"
 * with 1 error in 1000 sessions is at the edge, and passes. */
#include "suite/threshold.h"
#include "harness/bytes.h"
#include "harness/duration.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct threshold_metric THRESHOLD_LOAD_METRICS[] = {
    {"p", true, THRESHOLD_ARG_STEP, THRESHOLD_DURATION},
    {"max", false, THRESHOLD_ARG_STEP, THRESHOLD_DURATION},
    {"min", false, THRESHOLD_ARG_STEP, THRESHOLD_DURATION},
    {"count", false, THRESHOLD_ARG_STEP, THRESHOLD_COUNT},
    {"errors", false, THRESHOLD_ARG_OPTIONAL, THRESHOLD_COUNT_OR_SHARE},
    {"rate", false, THRESHOLD_ARG_NONE, THRESHOLD_SHARE},
    {"lost", false, THRESHOLD_ARG_NONE, THRESHOLD_COUNT},
    /* delivery checks (--deliver-to), of the messages accepted */
    {"late", false, THRESHOLD_ARG_NONE, THRESHOLD_COUNT_OR_SHARE},
    {"duplicated", false, THRESHOLD_ARG_NONE, THRESHOLD_COUNT_OR_SHARE},
    {"changed", false, THRESHOLD_ARG_NONE, THRESHOLD_COUNT_OR_SHARE},
    {"corrupt", false, THRESHOLD_ARG_NONE, THRESHOLD_COUNT_OR_SHARE},
};
const size_t THRESHOLD_LOAD_NMETRICS =
    sizeof THRESHOLD_LOAD_METRICS / sizeof THRESHOLD_LOAD_METRICS[0];

static const char *const OP_NAMES[] = {
#define X(e, s) s,
    THRESHOLD_OP_LIST(X)
#undef X
};

static const char *const OUTCOME_NAMES[] = {
#define X(e, s) s,
    THRESHOLD_OUTCOME_LIST(X)
#undef X
};

/* Operators in the order they are tried: longest first. */
static const enum threshold_op OP_SCAN[] = {
    THRESHOLD_LE, THRESHOLD_GE, THRESHOLD_EQ,
    THRESHOLD_NE, THRESHOLD_LT, THRESHOLD_GT,
};

static const uint64_t POW10[] = {1, 10, 100, 1000, 10000, 100000};

#define MAX_DIGITS 18 /* digits of a number, so that it fits 64 bits */

const char *threshold_op_name(enum threshold_op op)
{
    return OP_NAMES[op];
}

const char *threshold_outcome_name(enum threshold_outcome o)
{
    return OUTCOME_NAMES[o];
}

/* ---- parsing ---------------------------------------------------------- */

struct parser {
    const char *s; /* the text */
    size_t i;      /* where we are */
    const struct threshold_vocab *v;
    struct threshold *t;
    char *err;
    size_t errlen;
};

static int fail(struct parser *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes "threshold 'TEXT': column N: message"; returns -1. */
static int fail(struct parser *p, size_t at, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t n = strlen(p->s);
    char *text =
        bytes_escape_dup(p->s, n > THRESHOLD_MAX_TEXT ? THRESHOLD_MAX_TEXT : n);
    snprintf(p->err, p->errlen, "threshold '%s%s': column %zu: %s", text,
             n > THRESHOLD_MAX_TEXT ? "..." : "", at + 1, msg);
    free(text);
    return -1;
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_word(char c)
{
    return is_alpha(c) || is_digit(c) || c == '_';
}

static void skip_ws(struct parser *p)
{
    while (p->s[p->i] == ' ' || p->s[p->i] == '\t')
        p->i++;
}

static size_t word_len(const char *s)
{
    size_t n = 0;
    while (is_word(s[n]))
        n++;
    return n;
}

static void dec_format(const struct threshold_dec *d, char *out, size_t len)
{
    if (d->scale == 0)
        snprintf(out, len, "%" PRIu64, d->mant);
    else
        snprintf(out, len, "%" PRIu64 ".%0*" PRIu64, d->mant / POW10[d->scale],
                 (int)d->scale, d->mant % POW10[d->scale]);
}

/* Reads a decimal "12" or "99.95" at p->i into *d, trailing zeros of
 * the fraction dropped. -1 (message written) when malformed. */
static int lex_dec(struct parser *p, struct threshold_dec *d, const char *what)
{
    size_t start = p->i;
    int digits = 0;
    d->mant = 0;
    d->scale = 0;
    if (!is_digit(p->s[p->i]))
        return fail(p, start, "expected %s", what);
    for (bool frac = false;; p->i++) {
        char c = p->s[p->i];
        if (c == '.' && !frac && is_digit(p->s[p->i + 1])) {
            frac = true;
            continue;
        }
        if (!is_digit(c))
            break;
        if (++digits > MAX_DIGITS)
            return fail(p, start, "number longer than %d digits", MAX_DIGITS);
        if (frac && ++d->scale > THRESHOLD_MAX_DECIMALS)
            return fail(p, start, "more than %d decimals",
                        THRESHOLD_MAX_DECIMALS);
        d->mant = d->mant * 10 + (uint64_t)(c - '0');
    }
    if (p->s[p->i] == '.') {
        size_t end = p->i;
        while (p->s[end] == '.' || is_digit(p->s[end]))
            end++;
        return fail(p, start, "'%.*s' is not a number", (int)(end - start),
                    p->s + start);
    }
    while (d->scale > 0 && d->mant % 10 == 0) {
        d->mant /= 10;
        d->scale--;
    }
    return 0;
}

/* "p99.9(eod)", "errors(rcpt)", "rate": the metric as written again. */
static void metric_text(const struct threshold *t, char *out, size_t len)
{
    char pct[32] = "";
    if (t->metric->percentile)
        dec_format(&t->pct, pct, sizeof pct);
    if (t->step[0])
        snprintf(out, len, "%s%s(%s)", t->metric->name, pct, t->step);
    else
        snprintf(out, len, "%s%s", t->metric->name, pct);
}

/* The metric names of the vocabulary, for messages. */
static void known_metrics(const struct threshold_vocab *v, char *out,
                          size_t len)
{
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; i < v->nmetrics && off < len; i++)
        off += (size_t)snprintf(out + off, len - off, "%s%s%s", i ? ", " : "",
                                v->metrics[i].name,
                                v->metrics[i].percentile ? "N" : "");
}

static const struct threshold_metric *
find_metric(const struct threshold_vocab *v, const char *name, size_t n,
            bool pct)
{
    for (size_t i = 0; i < v->nmetrics; i++) {
        const struct threshold_metric *m = &v->metrics[i];
        if (m->percentile == pct && strlen(m->name) == n &&
            strncmp(m->name, name, n) == 0)
            return m;
    }
    return NULL;
}

/* The percentile after a family's letter: 0 < N <= 100. */
static int parse_percentile(struct parser *p)
{
    size_t at = p->i;
    struct threshold *t = p->t;
    if (lex_dec(p, &t->pct, "a percentile") != 0)
        return -1;
    if (t->pct.mant == 0 || t->pct.mant > 100 * POW10[t->pct.scale]) {
        char n[32];
        dec_format(&t->pct, n, sizeof n);
        return fail(p, at,
                    "percentile %s is out of range (want above 0, "
                    "up to 100)",
                    n);
    }
    t->percentile = (double)t->pct.mant / (double)POW10[t->pct.scale];
    return 0;
}

static int parse_metric(struct parser *p)
{
    size_t at = p->i;
    const char *w = p->s + at;
    if (!is_alpha(*w) && *w != '_')
        return fail(p, at, "expected a metric (e.g. p99(eod), errors, rate)");
    size_t letters = 0;
    while (is_alpha(w[letters]))
        letters++;
    const struct threshold_metric *fam = find_metric(p->v, w, letters, true);
    if (fam && is_digit(w[letters])) {
        p->t->metric = fam;
        p->i += letters;
        return parse_percentile(p);
    }
    size_t n = word_len(w);
    if (fam && n == letters)
        return fail(p, at + n, "%s needs a percentile, e.g. %s99", fam->name,
                    fam->name);
    p->t->metric = find_metric(p->v, w, n, false);
    if (!p->t->metric) {
        char known[200];
        known_metrics(p->v, known, sizeof known);
        return fail(p, at, "unknown metric '%.*s' (known: %s)", (int)n, w,
                    known);
    }
    p->i += n;
    return 0;
}

static bool step_known(const struct threshold_vocab *v, const char *w, size_t n)
{
    for (size_t i = 0; i < v->nsteps; i++)
        if (strlen(v->steps[i]) == n && strncmp(v->steps[i], w, n) == 0)
            return true;
    return false;
}

static int unknown_step(struct parser *p, size_t at, size_t n)
{
    char known[200] = "none";
    size_t off = 0;
    for (size_t i = 0; i < p->v->nsteps && off < sizeof known; i++)
        off += (size_t)snprintf(known + off, sizeof known - off, "%s%s",
                                i ? ", " : "", p->v->steps[i]);
    return fail(p, at, "unknown step '%.*s' (known: %s)", (int)n, p->s + at,
                known);
}

/* "(step)" after the metric, where the metric takes one. */
static int parse_step(struct parser *p)
{
    const struct threshold_metric *m = p->t->metric;
    size_t after = p->i;
    skip_ws(p);
    if (p->s[p->i] != '(') {
        if (m->arg != THRESHOLD_ARG_STEP)
            return 0;
        char mt[64];
        metric_text(p->t, mt, sizeof mt);
        return fail(p, after, "%s needs a step, e.g. %s(eod)", mt, mt);
    }
    if (m->arg == THRESHOLD_ARG_NONE)
        return fail(p, p->i, "%s takes no step", m->name);
    p->i++;
    skip_ws(p);
    size_t at = p->i, n = word_len(p->s + at);
    if (n == 0)
        return fail(p, at, "expected a step name");
    if (!step_known(p->v, p->s + at, n))
        return unknown_step(p, at, n);
    if (n > THRESHOLD_MAX_NAME)
        return fail(p, at, "step name longer than %d characters",
                    THRESHOLD_MAX_NAME);
    memcpy(p->t->step, p->s + at, n);
    p->t->step[n] = '\0';
    p->i += n;
    skip_ws(p);
    if (p->s[p->i] != ')')
        return fail(p, p->i, "expected ')'");
    p->i++;
    return 0;
}

static int parse_op(struct parser *p)
{
    skip_ws(p);
    const char *s = p->s + p->i;
    for (size_t k = 0; k < sizeof OP_SCAN / sizeof OP_SCAN[0]; k++) {
        const char *name = OP_NAMES[OP_SCAN[k]];
        if (strncmp(s, name, strlen(name)) == 0) {
            p->t->op = OP_SCAN[k];
            p->i += strlen(name);
            return 0;
        }
    }
    if (*s == '=')
        return fail(p, p->i, "'=' is not a comparison; write '=='");
    return fail(p, p->i, "expected a comparison (<, <=, >, >=, ==, !=)");
}

/* The unit after a number: none, "%", or a duration unit checked by the
 * shared duration parser. */
static int parse_unit(struct parser *p, size_t num_at)
{
    struct threshold *t = p->t;
    size_t at = p->i;
    if (p->s[at] == '%') {
        t->kind = THRESHOLD_V_PERCENT;
        p->i++;
        return 0;
    }
    size_t n = 0;
    while (is_alpha(p->s[at + n]))
        n++;
    if (n == 0) {
        t->kind = THRESHOLD_V_NUMBER;
        return 0;
    }
    char text[64], why[128];
    snprintf(text, sizeof text, "%.*s", (int)(at + n - num_at), p->s + num_at);
    if (duration_parse(text, &t->duration_us, why, sizeof why) != 0)
        return fail(p, at, "unknown unit '%.*s' (want us, ms, s, m, h or %%)",
                    (int)n, p->s + at);
    t->kind = THRESHOLD_V_DURATION;
    p->i += n;
    return 0;
}

static int parse_value(struct parser *p)
{
    skip_ws(p);
    size_t at = p->i;
    if (lex_dec(p, &p->t->num, "a value (e.g. 250ms, 0.1%, 1000)") != 0 ||
        parse_unit(p, at) != 0)
        return -1;
    skip_ws(p);
    if (p->s[p->i] != '\0')
        return fail(p, p->i, "unexpected '%s' after the value", p->s + p->i);
    return 0;
}

/* Whether the value's kind suits the metric's unit; the message says
 * what to write instead. */
static int check_kind(struct parser *p, size_t at)
{
    const struct threshold *t = p->t;
    enum threshold_unit u = t->metric->unit;
    enum threshold_kind k = t->kind;
    char mt[64];
    metric_text(t, mt, sizeof mt);
    if (u == THRESHOLD_DURATION && k == THRESHOLD_V_NUMBER)
        return fail(p, at, "%s is a duration: give a unit, e.g. 250ms", mt);
    if (u == THRESHOLD_DURATION && k == THRESHOLD_V_PERCENT)
        return fail(p, at, "%s is a duration, not a percentage", mt);
    if (u == THRESHOLD_SHARE && k == THRESHOLD_V_NUMBER)
        return fail(p, at, "%s is a share: write it as a percentage, e.g. 95%%",
                    mt);
    if (u == THRESHOLD_COUNT && k == THRESHOLD_V_PERCENT)
        return fail(p, at, "%s is a count, not a percentage", mt);
    if (u != THRESHOLD_DURATION && k == THRESHOLD_V_DURATION)
        return fail(p, at, "%s is %s, not a duration", mt,
                    u == THRESHOLD_COUNT   ? "a count"
                    : u == THRESHOLD_SHARE ? "a share"
                                           : "a count or a share");
    if (k == THRESHOLD_V_NUMBER && t->num.scale > 0)
        return fail(p, at, "%s is a count: want a whole number%s", mt,
                    u == THRESHOLD_COUNT ? "" : " or a percentage");
    if (k == THRESHOLD_V_PERCENT && t->num.mant > 100 * POW10[t->num.scale])
        return fail(p, at, "a share is at most 100%%");
    return 0;
}

int threshold_parse(const char *text, const struct threshold_vocab *v,
                    struct threshold *out, char *err, size_t errlen)
{
    struct parser p = {text, 0, v, out, err, errlen};
    memset(out, 0, sizeof *out);
    size_t n = strlen(text);
    for (size_t i = 0; i < n && i < THRESHOLD_MAX_TEXT; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c < 0x20 && c != '\t') || c >= 0x7f)
            return fail(&p, i, "character %s in the threshold",
                        c >= 0x80 ? "outside ASCII" : "not printable");
    }
    if (n > THRESHOLD_MAX_TEXT)
        return fail(&p, THRESHOLD_MAX_TEXT, "longer than %d characters",
                    THRESHOLD_MAX_TEXT);
    memcpy(out->text, text, n + 1);
    skip_ws(&p);
    if (text[p.i] == '\0')
        return fail(&p, p.i, "empty threshold (want e.g. p99(eod) < 250ms)");
    if (parse_metric(&p) != 0 || parse_step(&p) != 0 || parse_op(&p) != 0)
        return -1;
    skip_ws(&p);
    size_t value_at = p.i;
    if (parse_value(&p) != 0 || check_kind(&p, value_at) != 0)
        return -1;
    return 0;
}

void threshold_format(const struct threshold *t, char *out, size_t outlen)
{
    char mt[64], val[48];
    metric_text(t, mt, sizeof mt);
    if (t->kind == THRESHOLD_V_DURATION) {
        duration_format(t->duration_us, val, sizeof val);
    } else {
        dec_format(&t->num, val, sizeof val);
        if (t->kind == THRESHOLD_V_PERCENT)
            strcat(val, "%");
    }
    snprintf(out, outlen, "%s %s %s", mt, OP_NAMES[t->op], val);
}

/* ---- judging ---------------------------------------------------------- */

/* Compares a/b with c/d (b, d > 0) exactly: -1, 0 or 1. */
static int cmp_ratio(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    __extension__ typedef unsigned __int128 u128;
    u128 l = (u128)a * d, r = (u128)c * b;
    return (l > r) - (l < r);
}

static bool holds(enum threshold_op op, int cmp)
{
    switch (op) {
    case THRESHOLD_LT:
        return cmp < 0;
    case THRESHOLD_LE:
        return cmp <= 0;
    case THRESHOLD_GT:
        return cmp > 0;
    case THRESHOLD_GE:
        return cmp >= 0;
    case THRESHOLD_EQ:
        return cmp == 0;
    case THRESHOLD_NE:
        return cmp != 0;
    }
    return false;
}

/* us exactly, in the largest of us, ms, s that keeps it readable:
 * "850us", "212.5ms", "1.000447s". */
static void format_us(uint64_t us, char *out, size_t len)
{
    if (us < 1000) {
        snprintf(out, len, "%" PRIu64 "us", us);
        return;
    }
    uint64_t div = us < 1000000 ? 1000 : 1000000;
    int places = div == 1000 ? 3 : 6;
    char frac[8];
    snprintf(frac, sizeof frac, "%0*" PRIu64, places, us % div);
    for (int i = places - 1; i >= 0 && frac[i] == '0'; i--)
        frac[i] = '\0';
    snprintf(out, len, "%" PRIu64 "%s%s%s", us / div, frac[0] ? "." : "", frac,
             div == 1000 ? "ms" : "s");
}

enum threshold_outcome threshold_eval(const struct threshold *t,
                                      threshold_lookup_fn lookup, void *arg,
                                      char *observed, size_t obslen)
{
    struct threshold_obs o = {0, 0};
    if (!lookup(arg, t, &o)) {
        snprintf(observed, obslen, "not measured");
        return THRESHOLD_UNMEASURED;
    }
    int cmp;
    switch (t->kind) {
    case THRESHOLD_V_DURATION:
        format_us(o.value, observed, obslen);
        cmp = cmp_ratio(o.value, 1, (uint64_t)t->duration_us, 1);
        break;
    case THRESHOLD_V_NUMBER:
        snprintf(observed, obslen, "%" PRIu64, o.value);
        cmp = cmp_ratio(o.value, 1, t->num.mant, POW10[t->num.scale]);
        break;
    case THRESHOLD_V_PERCENT:
    default:
        if (o.total == 0) {
            snprintf(observed, obslen, "0 of 0");
            return THRESHOLD_UNMEASURED;
        }
        snprintf(observed, obslen, "%.4g%% (%" PRIu64 " of %" PRIu64 ")",
                 100.0 * (double)o.value / (double)o.total, o.value, o.total);
        cmp =
            cmp_ratio(o.value, o.total, t->num.mant, 100 * POW10[t->num.scale]);
        break;
    }
    return holds(t->op, cmp) ? THRESHOLD_PASS : THRESHOLD_BREACH;
}
