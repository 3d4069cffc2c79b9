/* Tests of reports/junit.c, read back with libxml2's parser and XPath:
 * structure, DESIGN.md's verdict table (one row per verdict, with and
 * without --strict), the failure body, uniqueness, several targets,
 * thresholds, incompleteness, times under a comma locale, and a golden
 * file. The independent oracles (xmllint --schema, junitparser) run in
 * tests/e2e/junit_hostile.sh. */
#define TEST_NAME "junit"
#include "reports/junit.h"
#include "tests/tools/fixtures.h"
#include "harness/xalloc.h"
#include "comma_locale.h"
#include "golden.h"

#include <check.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

struct out {
    char *text;
    size_t len;
    xmlDocPtr doc;
    xmlXPathContextPtr xp;
};

static int render(struct result_run *run, bool strict, struct out *o, char *err,
                  size_t errlen)
{
    FILE *fp = open_memstream(&o->text, &o->len);
    struct report_options opts = {strict, NULL};
    int rc = report_junit_dump(run, fp, &opts, err, errlen);
    fclose(fp);
    o->doc = NULL;
    o->xp = NULL;
    if (rc == 0) {
        o->doc = xmlReadMemory(o->text, (int)o->len, "j.xml", NULL,
                               XML_PARSE_NONET | XML_PARSE_HUGE);
        ck_assert_msg(o->doc != NULL, "output does not parse");
        o->xp = xmlXPathNewContext(o->doc);
    }
    return rc;
}

static struct out must_render(struct result_run *run, bool strict)
{
    struct out o;
    char err[512];
    ck_assert_msg(render(run, strict, &o, err, sizeof err) == 0, "%s", err);
    return o;
}

static void out_free(struct out *o)
{
    if (o->xp)
        xmlXPathFreeContext(o->xp);
    if (o->doc)
        xmlFreeDoc(o->doc);
    free(o->text);
}

/* The string value of an XPath expression ("" when nothing matches). */
static char *xs(struct out *o, const char *expr)
{
    xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST expr, o->xp);
    ck_assert_msg(r != NULL, "bad XPath %s", expr);
    xmlChar *s = xmlXPathCastToString(r);
    char *copy = xstrdup((const char *)s);
    xmlFree(s);
    xmlXPathFreeObject(r);
    return copy;
}

static void want_str(struct out *o, const char *expr, const char *want)
{
    char *got = xs(o, expr);
    ck_assert_msg(strcmp(got, want) == 0, "%s: got '%s' want '%s'", expr, got,
                  want);
    free(got);
}

static double xn(struct out *o, const char *expr)
{
    xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST expr, o->xp);
    ck_assert_msg(r != NULL, "bad XPath %s", expr);
    double v = xmlXPathCastToNumber(r);
    xmlXPathFreeObject(r);
    return v;
}

static void want_num(struct out *o, const char *expr, double want)
{
    double got = xn(o, expr);
    ck_assert_msg(got == want, "%s: got %g want %g", expr, got, want);
}

START_TEST(test_structure)
{
    struct result_run *run = fixture_mixed();
    struct out o = must_render(run, false);
    want_str(&o, "/testsuites/@tests", "10");
    want_str(&o, "/testsuites/@failures", "2");
    want_str(&o, "/testsuites/@errors", "1");
    want_str(&o, "/testsuites/@skipped", "3");
    want_str(&o, "/testsuites/@time", "2.500000");
    static const char *const SUITES[] = {
        "core", "tls", "auth", "pipelining", "smtputf8", "data", "sec"};
    want_num(&o, "count(/testsuites/testsuite)", 7);
    for (size_t i = 0; i < sizeof SUITES / sizeof SUITES[0]; i++) {
        char e[128];
        snprintf(e, sizeof e, "/testsuites/testsuite[%zu]/@name", i + 1);
        want_str(&o, e, SUITES[i]);
    }
    /* classname is the suite's area, never empty; names are case ids. */
    want_num(&o, "count(//testcase[@classname != ../@name])", 0);
    want_num(&o, "count(//testcase[string-length(@classname) = 0])", 0);
    for (size_t i = 0; i < run->ncases; i++) {
        char e[256];
        snprintf(e, sizeof e, "count(//testcase[@name='%s'])",
                 run->cases[i].id);
        want_num(&o, e, 1);
    }
    /* Suite counts add up to the root's. */
    want_num(&o, "sum(/testsuites/testsuite/@tests)", 10);
    want_num(&o, "sum(/testsuites/testsuite/@skipped)", 3);
    want_str(&o, "/testsuites/testsuite[@name='core']/@failures", "1");
    /* Properties: target, banner, tool version, run id; TLS where used. */
    const char *P = "/testsuites/testsuite[@name='core']/properties/property";
    char e[256];
    snprintf(e, sizeof e, "%s[@name='target']/@value", P);
    want_str(&o, e, "local");
    snprintf(e, sizeof e, "%s[@name='banner']/@value", P);
    want_str(&o, e, "220 sink.test ESMTP\\r\\n");
    snprintf(e, sizeof e, "%s[@name='tool_version']/@value", P);
    want_str(&o, e, "0.1.0-test");
    snprintf(e, sizeof e, "%s[@name='run_id']/@value", P);
    want_str(&o, e, "0123456789abcdef0123456789abcdef");
    want_num(&o, "count(//property[@name='tls.protocol'])", 1);
    want_str(&o,
             "/testsuites/testsuite[@name='tls']/properties/"
             "property[@name='tls.protocol']/@value",
             "TLSv1.3");
    want_str(&o,
             "/testsuites/testsuite[@name='tls']/properties/"
             "property[@name='tls.verified']/@value",
             "no");
    want_num(&o, "count(//property[@name='incomplete'])", 0);
    out_free(&o);
    result_run_free(run);
}
END_TEST

/* DESIGN.md's table, one row per verdict and mode. */
static const struct {
    enum verdict v;
    bool strict;
    const char *elem; /* "" for a passed testcase */
    const char *type;
    const char *message;
    const char *property; /* smtpsuite.verdict value, "" for none */
} MAPPING[] = {
    {VERDICT_PASS, false, "", "", "", ""},
    {VERDICT_PASS, true, "", "", "", ""},
    {VERDICT_WARN, false, "", "", "", "WARN"},
    {VERDICT_WARN, true, "failure", "warn", "the reason", "WARN"},
    {VERDICT_FAIL, false, "failure", "fail", "the reason", "FAIL"},
    {VERDICT_FAIL, true, "failure", "fail", "the reason", "FAIL"},
    {VERDICT_ERROR, false, "error", "timeout", "the reason", "ERROR"},
    {VERDICT_ERROR, true, "error", "timeout", "the reason", "ERROR"},
    {VERDICT_SKIP, false, "skipped", "", "the reason", "SKIP"},
    {VERDICT_SKIP, true, "skipped", "", "the reason", "SKIP"},
    {VERDICT_XFAIL, false, "skipped", "", "xfail: the reason", "XFAIL"},
    {VERDICT_XFAIL, true, "skipped", "", "xfail: the reason", "XFAIL"},
    {VERDICT_XPASS, false, "", "", "", "XPASS"},
    {VERDICT_XPASS, true, "failure", "xpass", "the reason", "XPASS"},
    {VERDICT_NOTRUN, false, "skipped", "", "not run: interrupted", "NOTRUN"},
    {VERDICT_NOTRUN, true, "skipped", "", "not run: interrupted", "NOTRUN"},
};

START_TEST(test_mapping)
{
    size_t i = (size_t)_i;
    struct result_run *run =
        fixture_one(MAPPING[i].v, MAPPING[i].v == VERDICT_ERROR ? ERRCAT_TIMEOUT
                                                                : ERRCAT_NONE);
    struct out o = must_render(run, MAPPING[i].strict);
    const char *name = verdict_name(MAPPING[i].v);
    bool passed = !*MAPPING[i].elem;
    double outcomes = xn(&o, "count(//testcase/failure | //testcase/error | "
                             "//testcase/skipped)");
    ck_assert_msg(outcomes == (passed ? 0 : 1), "%s strict=%d: %g outcomes",
                  name, MAPPING[i].strict, outcomes);
    char e[256];
    if (!passed) {
        snprintf(e, sizeof e, "//testcase/%s/@type", MAPPING[i].elem);
        want_str(&o, e, MAPPING[i].type);
        snprintf(e, sizeof e, "//testcase/%s/@message", MAPPING[i].elem);
        want_str(&o, e, MAPPING[i].message);
    }
    want_str(&o,
             "//testcase/properties/property[@name='smtpsuite.verdict']"
             "/@value",
             MAPPING[i].property);
    /* The root counts say the same as the element. */
    want_str(&o, "/testsuites/@failures",
             strcmp(MAPPING[i].elem, "failure") == 0 ? "1" : "0");
    want_str(&o, "/testsuites/@errors",
             strcmp(MAPPING[i].elem, "error") == 0 ? "1" : "0");
    want_str(&o, "/testsuites/@skipped",
             strcmp(MAPPING[i].elem, "skipped") == 0 ? "1" : "0");
    out_free(&o);
    result_run_free(run);
}
END_TEST

START_TEST(test_failure_body)
{
    struct result_run *run = fixture_one(VERDICT_FAIL, ERRCAT_NONE);
    struct out o = must_render(run, false);
    char *body = xs(&o, "//testcase/failure");
    static const char *const WANT[] = {
        "step: rcpt\n",
        "case file: cases/core/one.case.smtp:14\n",
        "expected: 550\n",
        "actual: 250 2.1.5 Ok\\r\\n\n",
        "sent: RCPT TO:<nobody@sink.test>\\r\\n\n",
        "rfc: RFC 5321 4.1.1\n",
    };
    for (size_t i = 0; i < sizeof WANT / sizeof WANT[0]; i++)
        ck_assert_msg(strstr(body, WANT[i]), "body lacks '%s':\n%s", WANT[i],
                      body);
    free(body);
    /* The transcript: one line per event, time, connection, direction. */
    char *tx = xs(&o, "//testcase/system-out");
    ck_assert_msg(strstr(tx, "0.000100 main > EHLO client.test\\r\\n\n"),
                  "got:\n%s", tx);
    size_t lines = 0;
    for (const char *p = tx; *p; p++)
        lines += *p == '\n';
    ck_assert_uint_eq(lines, run->cases[0].nevents);
    free(tx);
    out_free(&o);
    result_run_free(run);
}
END_TEST

START_TEST(test_unique)
{
    struct result_run *run = fixture_mixed();
    free(run->cases[2].id);
    run->cases[2].id = xstrdup(run->cases[0].id);
    struct out o;
    char err[512] = "";
    ck_assert_int_eq(render(run, false, &o, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "internal error: duplicate JUnit test case "
                              "'core.rset.clears-envelope'"),
                  "got '%s'", err);
    ck_assert_uint_eq(o.len, 0); /* nothing written */
    free(o.text);
    result_run_free(run);
    /* Two ids that clean to the same name are duplicates too. */
    run = fixture_mixed();
    free(run->cases[2].id);
    run->cases[2].id = xstrdup("core.x\x1b");
    free(run->cases[0].id);
    run->cases[0].id = xstrdup("core.x\\x1b");
    ck_assert_int_eq(render(run, false, &o, err, sizeof err), -1);
    free(o.text);
    result_run_free(run);
}
END_TEST

START_TEST(test_several_targets)
{
    struct result_run *run = fixture_multi();
    struct out o = must_render(run, false);
    want_num(&o, "count(/testsuites/testsuite)", 4);
    want_num(&o, "count(//testcase)", 4);
    want_num(&o, "count(//testcase[@classname='postfix.core'])", 1);
    want_num(&o, "count(//testcase[@classname='mx.example.core'])", 1);
    want_num(&o, "count(//testcase[@classname='mx.example.ehlo'])", 1);
    want_str(&o,
             "//testsuite[@name='mx.example.core']/properties/"
             "property[@name='target.address']/@value",
             "127.0.0.2:25");
    want_str(&o, "//testsuite[@name='mx.example.core']/@failures", "1");
    out_free(&o);
    result_run_free(run);
}
END_TEST

START_TEST(test_thresholds)
{
    struct result_run *run = fixture_load();
    struct result_kv *kv = result_property_add(run);
    kv->name = xstrdup("threshold.2.expr");
    kv->value = xstrdup("p50(rcpt) < 5ms");
    kv = result_property_add(run); /* the same expression twice */
    kv->name = xstrdup("threshold.3.expr");
    kv->value = xstrdup("p99(eod) < 250ms");
    kv = result_property_add(run);
    kv->name = xstrdup("threshold.3.status");
    kv->value = xstrdup("pass");
    struct out o = must_render(run, false);
    want_num(&o, "count(/testsuites/testsuite)", 1);
    want_num(&o, "count(//testcase[@name='p99(eod) < 250ms #3'])", 1);
    want_str(&o, "/testsuites/testsuite/@name", "thresholds");
    want_num(&o, "count(//testcase[@classname='thresholds'])", 4);
    want_num(&o,
             "count(//testcase[@name='p99(eod) < 250ms']/*[self::failure"
             " or self::error])",
             0);
    want_str(&o, "//testcase[@name='error_rate < 0.1%']/failure/@type",
             "threshold");
    want_str(&o, "//testcase[@name='error_rate < 0.1%']/failure/@message",
             "threshold breached: error_rate < 0.1% (observed 0.31%)");
    want_str(&o, "//testcase[@name='p50(rcpt) < 5ms']/error/@type", "internal");
    want_str(&o, "/testsuites/@tests", "4");
    want_str(&o, "/testsuites/@failures", "1");
    want_str(&o, "/testsuites/@errors", "1");
    out_free(&o);
    result_run_free(run);
}
END_TEST

/* A shard records its thresholds unjudged: skipped, not an error. */
START_TEST(test_thresholds_unjudged)
{
    struct result_run *run = fixture_load();
    for (size_t i = 0; i < run->nproperties; i++)
        if (strcmp(run->properties[i].name, "threshold.0.status") == 0) {
            free(run->properties[i].value);
            run->properties[i].value = xstrdup("unjudged");
        }
    struct out o = must_render(run, false);
    want_num(&o, "count(//testcase[@classname='thresholds']/skipped)", 1);
    want_str(&o,
             "//testcase[@classname='thresholds'][skipped]/skipped/@message",
             "unjudged: a shard's threshold, judged by smtpsuite merge on the "
             "whole run (this shard observed 212ms)");
    want_num(&o,
             "count(//testcase[@classname='thresholds'][skipped]/*[self::"
             "failure or self::error])",
             0);
    want_str(&o, "/testsuites/@skipped", "1");
    out_free(&o);
    result_run_free(run);
}
END_TEST

/* Delivery checks: three testcases, failing on what was found. */
START_TEST(test_delivery)
{
    struct result_run *run = fixture_load();
    static const char *const C[] = {"delivery.submitted", "delivery.lost",
                                    "delivery.duplicated", "delivery.corrupt"};
    static const uint64_t V[] = {10, 0, 2, 0};
    for (size_t i = 0; i < 4; i++) {
        struct result_counter *c = result_counter_add(run);
        c->name = xstrdup(C[i]);
        c->value = V[i];
    }
    struct result_kv *kv = result_property_add(run);
    kv->name = xstrdup("delivery.duplicated_tokens");
    kv->value = xstrdup("R.0.1.1.c R.0.2.2.c");
    struct out o = must_render(run, false);
    want_num(&o, "count(//testcase[@classname='delivery-checks'])", 3);
    want_num(&o, "count(//testcase[@classname='delivery-checks']/failure)", 1);
    want_str(&o,
             "//testcase[@name='no message arrived twice']/failure/@message",
             "2 duplicated: R.0.1.1.c R.0.2.2.c");
    want_str(&o, "//testsuite[@name='delivery-checks']/@tests", "3");
    want_str(&o, "//testsuite[@name='delivery-checks']/@failures", "1");
    out_free(&o);
    result_run_free(run);
}
END_TEST

START_TEST(test_incomplete)
{
    struct result_run *run = fixture_mixed();
    run->incomplete = true;
    struct out o = must_render(run, false);
    want_num(&o,
             "count(/testsuites/testsuite/properties/"
             "property[@name='incomplete' and @value='true'])",
             7);
    want_str(&o, "//testcase[@name='data.dot.stuffing']/skipped/@message",
             "not run: interrupted");
    out_free(&o);
    result_run_free(run);
}
END_TEST

/* Every time attribute is seconds with a dot, even when LC_NUMERIC
 * writes 1,5 for printf("%.1f", 1.5). */
START_TEST(test_time_comma_locale)
{
    int active = comma_locale_use();
    struct result_run *run = fixture_mixed();
    struct out o = must_render(run, false);
    regex_t re;
    ck_assert_int_eq(regcomp(&re, "^[0-9]+\\.[0-9]{6}$", REG_EXTENDED), 0);
    xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST "//@time", o.xp);
    ck_assert_int_gt(r->nodesetval->nodeNr, 10);
    for (int i = 0; i < r->nodesetval->nodeNr; i++) {
        xmlChar *v = xmlNodeGetContent(r->nodesetval->nodeTab[i]);
        ck_assert_msg(regexec(&re, (const char *)v, 0, NULL, 0) == 0,
                      "time '%s' (comma locale active: %d)", v, active);
        xmlFree(v);
    }
    want_str(&o, "//testcase[@name='core.rset.clears-envelope']/@time",
             "0.013345");
    xmlXPathFreeObject(r);
    regfree(&re);
    out_free(&o);
    result_run_free(run);
}
END_TEST

START_TEST(test_golden)
{
    struct result_run *run = fixture_mixed();
    struct out o = must_render(run, false);
    golden_check("junit_mixed.xml", o.text, o.len);
    out_free(&o);
    result_run_free(run);
    run = fixture_load();
    o = must_render(run, true);
    golden_check("junit_load_strict.xml", o.text, o.len);
    out_free(&o);
    result_run_free(run);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_structure);
    tcase_add_loop_test(tc, test_mapping, 0,
                        (int)(sizeof MAPPING / sizeof MAPPING[0]));
    tcase_add_test(tc, test_failure_body);
    tcase_add_test(tc, test_unique);
    tcase_add_test(tc, test_several_targets);
    tcase_add_test(tc, test_thresholds);
    tcase_add_test(tc, test_thresholds_unjudged);
    tcase_add_test(tc, test_delivery);
    tcase_add_test(tc, test_incomplete);
    tcase_add_test(tc, test_time_comma_locale);
    tcase_add_test(tc, test_golden);
}

#include "check_main.h"
