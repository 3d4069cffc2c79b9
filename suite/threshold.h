/* threshold: the threshold language of load runs ("p99(eod) < 250ms",
 * "errors < 0.1%", "rate >= 95%", "lost == 0"; grammar in docs/load.md).
 *
 * The caller says which metrics and which step names exist (a load run
 * knows the steps of its scenario); a threshold naming anything else is
 * a parse error with the threshold's text and the column, never a
 * silent pass. Evaluation asks the caller for the observed figures
 * through a lookup callback and compares exactly, in integers. */
#ifndef SMTPSUITE_THRESHOLD_H
#define SMTPSUITE_THRESHOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define THRESHOLD_MAX_TEXT     200 /* characters in one threshold */
#define THRESHOLD_MAX_NAME     32  /* characters in a step name */
#define THRESHOLD_MAX_OBSERVED 80  /* an observed value, formatted */
#define THRESHOLD_MAX_DECIMALS 5   /* after the point of any number */

/* What a metric measures, and so what it may be compared with. */
enum threshold_unit {
    THRESHOLD_DURATION,       /* microseconds; compared with 250ms, 2s */
    THRESHOLD_COUNT,          /* compared with a whole number */
    THRESHOLD_SHARE,          /* value of total; compared with 95% */
    THRESHOLD_COUNT_OR_SHARE, /* a whole number: the count; N%: the share */
};

enum threshold_arg {
    THRESHOLD_ARG_NONE,     /* "rate" */
    THRESHOLD_ARG_STEP,     /* "p99(eod)" */
    THRESHOLD_ARG_OPTIONAL, /* "errors" or "errors(rcpt)" */
};

struct threshold_metric {
    const char *name; /* with percentile: the letter before the number */
    bool percentile;  /* "p" names p50, p99.9 ...: any 0 < N <= 100 */
    enum threshold_arg arg;
    enum threshold_unit unit;
};

/* The metrics of a load run: pN, max, min, count (per step), errors
 * (per run or per step), rate and lost (per run); docs/load.md. */
extern const struct threshold_metric THRESHOLD_LOAD_METRICS[];
extern const size_t THRESHOLD_LOAD_NMETRICS;

/* What a threshold may name. Both arrays are the caller's and must
 * outlive the thresholds parsed with them. */
struct threshold_vocab {
    const struct threshold_metric *metrics;
    size_t nmetrics;
    const char *const *steps; /* step names that can be measured */
    size_t nsteps;
};

#define THRESHOLD_OP_LIST(X)                                                   \
    X(LT, "<")                                                                 \
    X(LE, "<=")                                                                \
    X(GT, ">")                                                                 \
    X(GE, ">=")                                                                \
    X(EQ, "==")                                                                \
    X(NE, "!=")

enum threshold_op {
#define X(e, s) THRESHOLD_##e,
    THRESHOLD_OP_LIST(X)
#undef X
};

/* The kind of the value on the right. */
enum threshold_kind {
    THRESHOLD_V_DURATION, /* duration_us */
    THRESHOLD_V_NUMBER,   /* num */
    THRESHOLD_V_PERCENT,  /* num percent */
};

/* A decimal number: mant / 10^scale, exactly as written. */
struct threshold_dec {
    uint64_t mant;
    unsigned scale;
};

/* A parsed threshold (a plain value; nothing to free). */
struct threshold {
    char text[THRESHOLD_MAX_TEXT + 1];     /* as given */
    const struct threshold_metric *metric; /* an entry of the vocab */
    struct threshold_dec pct;              /* percentile metrics: 99.9 */
    double percentile; /* the same as a double, for hist_value_at */
    char step[THRESHOLD_MAX_NAME + 1]; /* "" when none */
    enum threshold_op op;
    enum threshold_kind kind;
    int64_t duration_us;      /* kind DURATION */
    struct threshold_dec num; /* kind NUMBER or PERCENT */
};

/* What was observed for a threshold's metric: a duration in
 * microseconds or a count in value; for a share, value of total. */
struct threshold_obs {
    uint64_t value;
    uint64_t total;
};

/* Fills *obs for t's metric, step and percentile; returns false when
 * the run did not measure it. */
typedef bool (*threshold_lookup_fn)(void *arg, const struct threshold *t,
                                    struct threshold_obs *obs);

#define THRESHOLD_OUTCOME_LIST(X)                                              \
    X(PASS, "pass")                                                            \
    X(BREACH, "breach")                                                        \
    X(UNMEASURED, "not measured")

enum threshold_outcome {
#define X(e, s) THRESHOLD_##e,
    THRESHOLD_OUTCOME_LIST(X)
#undef X
};

/* Parses text into *out; 0, or -1 with a one-line message in err:
 * "threshold 'TEXT': column N: what is wrong". */
int threshold_parse(const char *text, const struct threshold_vocab *v,
                    struct threshold *out, char *err, size_t errlen);
/* Writes t in canonical form ("p99.9(session) < 2s"); it parses back to
 * the same threshold. */
void threshold_format(const struct threshold *t, char *out, size_t outlen);
/* Judges t against the figures lookup gives; the observed value is
 * written to observed for reports ("212.5ms", "0.1% (1 of 1000)"). A
 * share of a total of 0 is not measured. */
enum threshold_outcome threshold_eval(const struct threshold *t,
                                      threshold_lookup_fn lookup, void *arg,
                                      char *observed, size_t obslen);

const char *threshold_op_name(enum threshold_op op);
const char *threshold_outcome_name(enum threshold_outcome o);

#endif
