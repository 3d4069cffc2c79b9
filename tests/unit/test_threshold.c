/* Tests of suite/threshold.c: valid thresholds with their parse trees
 * and canonical form (which must parse back to the same tree), invalid
 * ones with their exact one-line messages, and judgement against fixed
 * figures, at the edges (== at the limit, a share against a percentage,
 * a count against a number, a total of 0). */
#define TEST_NAME "threshold"
#include "suite/threshold.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* DESIGN.md's step names and two verbs of other commands. */
static const char *const STEPS[] = {
    "connect", "tls",  "banner",  "ehlo",     "starttls", "ehlo_tls",
    "auth",    "mail", "rcpt",    "data_cmd", "eod",      "bdat",
    "rset",    "quit", "session", "delivery", "helo",     "noop",
};
#define KNOWN_STEPS                                                            \
    "connect, tls, banner, ehlo, starttls, ehlo_tls, auth, mail, rcpt, "       \
    "data_cmd, eod, bdat, rset, quit, session, delivery, helo, noop"
#define KNOWN_METRICS \
    "pN, max, min, count, errors, rate, lost, late, duplicated, changed, corrupt"

static struct threshold_vocab vocab(void)
{
    struct threshold_vocab v = {THRESHOLD_LOAD_METRICS, THRESHOLD_LOAD_NMETRICS,
                                STEPS, sizeof STEPS / sizeof STEPS[0]};
    return v;
}

#define D THRESHOLD_V_DURATION
#define N THRESHOLD_V_NUMBER
#define P THRESHOLD_V_PERCENT

static const struct {
    const char *text;
    const char *canon;
    const char *metric;
    double pct;
    const char *step;
    enum threshold_op op;
    enum threshold_kind kind;
    int64_t us;    /* kind D */
    uint64_t mant; /* kind N, P */
    unsigned scale;
} VALID[] = {
    {"p99(eod) < 250ms", "p99(eod) < 250ms", "p", 99, "eod", THRESHOLD_LT, D,
     250000, 0, 0},
    {"p99.9(session) < 2s", "p99.9(session) < 2s", "p", 99.9, "session",
     THRESHOLD_LT, D, 2000000, 0, 0},
    {"p50(rcpt) <= 20ms", "p50(rcpt) <= 20ms", "p", 50, "rcpt", THRESHOLD_LE, D,
     20000, 0, 0},
    {"max(connect) < 1s", "max(connect) < 1s", "max", 0, "connect",
     THRESHOLD_LT, D, 1000000, 0, 0},
    {"errors < 0.1%", "errors < 0.1%", "errors", 0, "", THRESHOLD_LT, P, 0, 1,
     1},
    {"errors(rcpt) == 0", "errors(rcpt) == 0", "errors", 0, "rcpt",
     THRESHOLD_EQ, N, 0, 0, 0},
    {"rate >= 95%", "rate >= 95%", "rate", 0, "", THRESHOLD_GE, P, 0, 95, 0},
    {"lost == 0", "lost == 0", "lost", 0, "", THRESHOLD_EQ, N, 0, 0, 0},
    {"count(eod) >= 1000", "count(eod) >= 1000", "count", 0, "eod",
     THRESHOLD_GE, N, 0, 1000, 0},
    {"  p99.99( ehlo_tls )<1.5s\t", "p99.99(ehlo_tls) < 1500ms", "p", 99.99,
     "ehlo_tls", THRESHOLD_LT, D, 1500000, 0, 0},
    {"p90(noop)!=0us", "p90(noop) != 0us", "p", 90, "noop", THRESHOLD_NE, D, 0,
     0, 0},
    {"p100(quit) > 5m", "p100(quit) > 5m", "p", 100, "quit", THRESHOLD_GT, D,
     300000000, 0, 0},
    {"p0.01(data_cmd) < 1h", "p0.01(data_cmd) < 1h", "p", 0.01, "data_cmd",
     THRESHOLD_LT, D, 3600000000LL, 0, 0},
    {"min(banner) >= 1us", "min(banner) >= 1us", "min", 0, "banner",
     THRESHOLD_GE, D, 1, 0, 0},
    {"rate > 99.500%", "rate > 99.5%", "rate", 0, "", THRESHOLD_GT, P, 0, 995,
     1},
    {"errors >= 100%", "errors >= 100%", "errors", 0, "", THRESHOLD_GE, P, 0,
     100, 0},
    {"errors(delivery) <= 5", "errors(delivery) <= 5", "errors", 0, "delivery",
     THRESHOLD_LE, N, 0, 5, 0},
    {"p99.90(eod)<0.5ms", "p99.9(eod) < 500us", "p", 99.9, "eod", THRESHOLD_LT,
     D, 500, 0, 0},
};

static void check_tree(const struct threshold *t, size_t i, const char *how)
{
    const char *w = VALID[i].text;
    ck_assert_msg(strcmp(t->metric->name, VALID[i].metric) == 0,
                  "%s/%s: metric got %s want %s", w, how, t->metric->name,
                  VALID[i].metric);
    ck_assert_msg(t->percentile == VALID[i].pct,
                  "%s/%s: percentile got %g "
                  "want %g",
                  w, how, t->percentile, VALID[i].pct);
    ck_assert_msg(strcmp(t->step, VALID[i].step) == 0,
                  "%s/%s: step got '%s' want '%s'", w, how, t->step,
                  VALID[i].step);
    ck_assert_msg(t->op == VALID[i].op, "%s/%s: op got %s want %s", w, how,
                  threshold_op_name(t->op), threshold_op_name(VALID[i].op));
    ck_assert_msg(t->kind == VALID[i].kind, "%s/%s: kind got %d want %d", w,
                  how, t->kind, VALID[i].kind);
    if (t->kind == D)
        ck_assert_msg(t->duration_us == VALID[i].us,
                      "%s/%s: us got %" PRId64 " want %" PRId64, w, how,
                      t->duration_us, VALID[i].us);
    else
        ck_assert_msg(
            t->num.mant == VALID[i].mant && t->num.scale == VALID[i].scale,
            "%s/%s: value got %" PRIu64 "e-%u want %" PRIu64 "e-%u", w, how,
            t->num.mant, t->num.scale, VALID[i].mant, VALID[i].scale);
}

START_TEST(test_valid)
{
    struct threshold_vocab v = vocab();
    struct threshold t, back;
    char err[512] = "", canon[THRESHOLD_MAX_TEXT + 1];
    ck_assert_msg(threshold_parse(VALID[_i].text, &v, &t, err, sizeof err) == 0,
                  "%s: %s", VALID[_i].text, err);
    ck_assert_str_eq(t.text, VALID[_i].text);
    check_tree(&t, (size_t)_i, "parsed");
    threshold_format(&t, canon, sizeof canon);
    ck_assert_msg(strcmp(canon, VALID[_i].canon) == 0,
                  "%s: canonical got '%s' want '%s'", VALID[_i].text, canon,
                  VALID[_i].canon);
    ck_assert_msg(threshold_parse(canon, &v, &back, err, sizeof err) == 0,
                  "%s: %s", canon, err);
    check_tree(&back, (size_t)_i, "canonical");
}
END_TEST

#define Q(text, col, msg)                                                      \
    {                                                                          \
        text, "threshold '" text "': column " col ": " msg                     \
    }

static const struct {
    const char *text;
    const char *want;
} INVALID[] = {
    Q("", "1", "empty threshold (want e.g. p99(eod) < 250ms)"),
    Q("   ", "4", "empty threshold (want e.g. p99(eod) < 250ms)"),
    Q("p99(eodd) < 250ms", "5", "unknown step 'eodd' (known: " KNOWN_STEPS ")"),
    Q("p99(EOD) < 1s", "5", "unknown step 'EOD' (known: " KNOWN_STEPS ")"),
    Q("max(vrfy) < 1s", "5", "unknown step 'vrfy' (known: " KNOWN_STEPS ")"),
    Q("latency(eod) < 1s", "1",
      "unknown metric 'latency' (known: " KNOWN_METRICS ")"),
    Q("P99(eod) < 1s", "1", "unknown metric 'P99' (known: " KNOWN_METRICS ")"),
    Q("_x < 1", "1", "unknown metric '_x' (known: " KNOWN_METRICS ")"),
    Q("1 < 2", "1", "expected a metric (e.g. p99(eod), errors, rate)"),
    Q("p(eod) < 1s", "2", "p needs a percentile, e.g. p99"),
    Q("p0(eod) < 1s", "2",
      "percentile 0 is out of range (want above 0, up to 100)"),
    Q("p100.1(eod) < 1s", "2",
      "percentile 100.1 is out of range (want above 0, up to 100)"),
    Q("p99.(eod) < 1s", "2", "'99.' is not a number"),
    Q("p99.123456(eod) < 1s", "2", "more than 5 decimals"),
    Q("p99 < 250ms", "4", "p99 needs a step, e.g. p99(eod)"),
    Q("count >= 1", "6", "count needs a step, e.g. count(eod)"),
    Q("rate(eod) >= 95%", "5", "rate takes no step"),
    Q("p99() < 1s", "5", "expected a step name"),
    Q("p99(eod < 1s", "9", "expected ')'"),
    Q("p99(eod) 250ms", "10", "expected a comparison (<, <=, >, >=, ==, !=)"),
    Q("p99(eod)", "9", "expected a comparison (<, <=, >, >=, ==, !=)"),
    Q("lost = 0", "6", "'=' is not a comparison; write '=='"),
    Q("p99(eod) <", "11", "expected a value (e.g. 250ms, 0.1%, 1000)"),
    Q("p99(eod) < -1ms", "12", "expected a value (e.g. 250ms, 0.1%, 1000)"),
    Q("p99(eod) < 250", "12",
      "p99(eod) is a duration: give a unit, e.g. 250ms"),
    Q("p99(eod) < 25%", "12", "p99(eod) is a duration, not a percentage"),
    Q("p99(eod) < 250xs", "15",
      "unknown unit 'xs' (want us, ms, s, m, h or %)"),
    Q("p99(eod) < 250ms and more", "18",
      "unexpected 'and more' after the value"),
    Q("p99(eod) < 99999999999999999999ms", "12",
      "number longer than 18 digits"),
    Q("rate >= 0.95", "9",
      "rate is a share: write it as a percentage, e.g. 95%"),
    Q("rate >= 95", "9", "rate is a share: write it as a percentage, e.g. 95%"),
    Q("lost == 1%", "9", "lost is a count, not a percentage"),
    Q("lost < 1s", "8", "lost is a count, not a duration"),
    Q("errors < 2s", "10", "errors is a count or a share, not a duration"),
    Q("count(eod) >= 10.5", "15", "count(eod) is a count: want a whole number"),
    Q("errors < 0.5", "10",
      "errors is a count: want a whole number or a percentage"),
    Q("errors < 101%", "10", "a share is at most 100%"),
    Q("errors < 1.2.3%", "10", "'1.2.3' is not a number"),
    /* The text is echoed in the escaped form of bytes.h: one line. */
    {"p99(eod)\x01 < 1s", "threshold 'p99(eod)\\x01 < 1s': column 9: "
                          "character not printable in the threshold"},
    {"p99(eod) < 1s \xc2\xb5", "threshold 'p99(eod) < 1s \\xc2\\xb5': "
                               "column 15: character outside ASCII in the "
                               "threshold"},
};

START_TEST(test_invalid)
{
    struct threshold_vocab v = vocab();
    struct threshold t;
    char err[512] = "";
    ck_assert_msg(threshold_parse(INVALID[_i].text, &v, &t, err, sizeof err) ==
                      -1,
                  "'%s' accepted", INVALID[_i].text);
    ck_assert_msg(strcmp(err, INVALID[_i].want) == 0, "got  '%s'\nwant '%s'",
                  err, INVALID[_i].want);
    ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

START_TEST(test_too_long)
{
    struct threshold_vocab v = vocab();
    struct threshold t;
    char text[THRESHOLD_MAX_TEXT + 2], want[512], err[512];
    memset(text, 'a', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    snprintf(want, sizeof want,
             "threshold '%.*s...': column 201: longer than 200 characters",
             THRESHOLD_MAX_TEXT, text);
    ck_assert_int_eq(threshold_parse(text, &v, &t, err, sizeof err), -1);
    ck_assert_msg(strcmp(err, want) == 0, "got '%s'", err);
    /* exactly the maximum is fine as far as length goes */
    text[THRESHOLD_MAX_TEXT] = '\0';
    memcpy(text, "lost == 0", 9);
    memset(text + 9, ' ', THRESHOLD_MAX_TEXT - 9);
    ck_assert_msg(threshold_parse(text, &v, &t, err, sizeof err) == 0, "%s",
                  err);
}
END_TEST

START_TEST(test_caller_vocab)
{
    /* The caller decides what exists: no steps, and no "rate". */
    static const struct threshold_metric ONLY[] = {
        {"p", true, THRESHOLD_ARG_STEP, THRESHOLD_DURATION},
        {"lost", false, THRESHOLD_ARG_NONE, THRESHOLD_COUNT},
    };
    struct threshold_vocab v = {ONLY, 2, NULL, 0};
    struct threshold t;
    char err[512];
    ck_assert_int_eq(threshold_parse("p99(eod) < 1s", &v, &t, err, sizeof err),
                     -1);
    ck_assert_str_eq(err, "threshold 'p99(eod) < 1s': column 5: unknown step "
                          "'eod' (known: none)");
    ck_assert_int_eq(threshold_parse("rate >= 95%", &v, &t, err, sizeof err),
                     -1);
    ck_assert_str_eq(err, "threshold 'rate >= 95%': column 1: unknown metric "
                          "'rate' (known: pN, lost)");
    ck_assert_int_eq(threshold_parse("lost == 0", &v, &t, err, sizeof err), 0);
}
END_TEST

/* ---- judging ---------------------------------------------------------- */

static const struct {
    const char *metric;
    double pct;
    const char *step;
    bool measured;
    uint64_t value, total;
} FIGURES[] = {
    {"p", 99, "eod", true, 250000, 0},
    {"p", 99.9, "session", true, 1999999, 0},
    {"p", 50, "rcpt", true, 20000, 0},
    {"p", 99, "ehlo", true, 850, 0},
    {"max", 0, "connect", true, 1000447, 0},
    {"errors", 0, "", true, 1, 1000},
    {"errors", 0, "rcpt", true, 0, 5000},
    {"errors", 0, "data_cmd", true, 0, 0},
    {"errors", 0, "bdat", true, UINT64_MAX - 1, UINT64_MAX},
    {"rate", 0, "", true, 95, 100},
    {"lost", 0, "", true, 0, 0},
    {"count", 0, "eod", true, 1000, 0},
    {"p", 99, "tls", false, 0, 0},
};

static bool lookup(void *arg, const struct threshold *t,
                   struct threshold_obs *obs)
{
    int *calls = arg;
    (*calls)++;
    for (size_t i = 0; i < sizeof FIGURES / sizeof FIGURES[0]; i++) {
        if (strcmp(FIGURES[i].metric, t->metric->name) != 0 ||
            FIGURES[i].pct != t->percentile ||
            strcmp(FIGURES[i].step, t->step) != 0)
            continue;
        obs->value = FIGURES[i].value;
        obs->total = FIGURES[i].total;
        return FIGURES[i].measured;
    }
    return false;
}

#define PASS       THRESHOLD_PASS
#define BREACH     THRESHOLD_BREACH
#define UNMEASURED THRESHOLD_UNMEASURED

static const struct {
    const char *text;
    enum threshold_outcome want;
    const char *observed;
} EVALS[] = {
    {"p99(eod) < 250ms", BREACH, "250ms"},
    {"p99(eod) <= 250ms", PASS, "250ms"},
    {"p99(eod) == 0.25s", PASS, "250ms"},
    {"p99(eod) < 250.001ms", PASS, "250ms"},
    {"p99(eod) > 249.999ms", PASS, "250ms"},
    {"p99.9(session) < 2s", PASS, "1.999999s"},
    {"p99.9(session) >= 2s", BREACH, "1.999999s"},
    {"p50(rcpt) <= 20ms", PASS, "20ms"},
    {"p99(ehlo) < 1ms", PASS, "850us"},
    {"max(connect) < 1s", BREACH, "1.000447s"},
    {"errors < 0.1%", BREACH, "0.1% (1 of 1000)"},
    {"errors <= 0.1%", PASS, "0.1% (1 of 1000)"},
    {"errors == 0.1%", PASS, "0.1% (1 of 1000)"},
    {"errors < 0.10001%", PASS, "0.1% (1 of 1000)"},
    {"errors > 0.09999%", PASS, "0.1% (1 of 1000)"},
    {"errors == 1", PASS, "1"},
    {"errors < 1", BREACH, "1"},
    {"errors(rcpt) == 0", PASS, "0"},
    {"errors(rcpt) == 0%", PASS, "0% (0 of 5000)"},
    {"errors(data_cmd) < 1%", UNMEASURED, "0 of 0"},
    {"errors(data_cmd) == 0", PASS, "0"},
    {"errors(bdat) < 100%", PASS,
     "100% (18446744073709551614 of 18446744073709551615)"},
    {"rate >= 95%", PASS, "95% (95 of 100)"},
    {"rate > 95%", BREACH, "95% (95 of 100)"},
    {"rate != 95%", BREACH, "95% (95 of 100)"},
    {"lost == 0", PASS, "0"},
    {"lost != 0", BREACH, "0"},
    {"count(eod) >= 1000", PASS, "1000"},
    {"count(eod) > 1000", BREACH, "1000"},
    {"p99(tls) < 1s", UNMEASURED, "not measured"},
    {"p90(eod) < 1s", UNMEASURED, "not measured"},
};

START_TEST(test_eval)
{
    struct threshold_vocab v = vocab();
    struct threshold t;
    char err[512], obs[THRESHOLD_MAX_OBSERVED];
    ck_assert_msg(threshold_parse(EVALS[_i].text, &v, &t, err, sizeof err) == 0,
                  "%s", err);
    int calls = 0;
    enum threshold_outcome got =
        threshold_eval(&t, lookup, &calls, obs, sizeof obs);
    ck_assert_int_eq(calls, 1);
    ck_assert_msg(got == EVALS[_i].want, "%s: got %s want %s", EVALS[_i].text,
                  threshold_outcome_name(got),
                  threshold_outcome_name(EVALS[_i].want));
    ck_assert_msg(strcmp(obs, EVALS[_i].observed) == 0,
                  "%s: observed got '%s' want '%s'", EVALS[_i].text, obs,
                  EVALS[_i].observed);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_loop_test(tc, test_valid, 0,
                        (int)(sizeof VALID / sizeof VALID[0]));
    tcase_add_loop_test(tc, test_invalid, 0,
                        (int)(sizeof INVALID / sizeof INVALID[0]));
    tcase_add_test(tc, test_too_long);
    tcase_add_test(tc, test_caller_vocab);
    tcase_add_loop_test(tc, test_eval, 0,
                        (int)(sizeof EVALS / sizeof EVALS[0]));
}

#include "check_main.h"
