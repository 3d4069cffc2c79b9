/* Tests of reports/html.c, read back with libxml2's HTML parser: the
 * Content-Security-Policy (hashes recomputed here with OpenSSL, not with
 * the writer's code), nothing that could fetch, one script and one style,
 * counts, every case once, decisive steps marked, hostile strings
 * escaped, load sections, and a golden page (also under a comma locale).
 * The browser tests (tests/browser) load the page in Chromium. */
#define TEST_NAME "html"
#include "reports/html.h"
#include "tests/tools/fixtures.h"
#include "harness/xalloc.h"
#include "comma_locale.h"
#include "golden.h"

#include <check.h>
#include <libxml/HTMLparser.h>
#include <libxml/xmlstring.h>
#include <libxml/xpath.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct page {
    char *text;
    size_t len;
    htmlDocPtr doc;
    xmlXPathContextPtr xp;
};

static struct page render(struct result_run *run, const char *title)
{
    struct page p;
    FILE *fp = open_memstream(&p.text, &p.len);
    struct report_options o = {false, title};
    char err[256];
    ck_assert_msg(report_html_dump(run, fp, &o, err, sizeof err) == 0, "%s",
                  err);
    fclose(fp);
    p.doc = htmlReadMemory(p.text, (int)p.len, "r.html", "UTF-8",
                           HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                               HTML_PARSE_NOWARNING | XML_PARSE_HUGE);
    ck_assert_msg(p.doc != NULL, "the page does not parse");
    p.xp = xmlXPathNewContext(p.doc);
    return p;
}

static void page_free(struct page *p)
{
    xmlXPathFreeContext(p->xp);
    xmlFreeDoc(p->doc);
    free(p->text);
}

static double xn(struct page *p, const char *expr)
{
    xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST expr, p->xp);
    ck_assert_msg(r != NULL, "bad XPath %s", expr);
    double v = xmlXPathCastToNumber(r);
    xmlXPathFreeObject(r);
    return v;
}

static char *xs(struct page *p, const char *expr)
{
    xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST expr, p->xp);
    ck_assert_msg(r != NULL, "bad XPath %s", expr);
    xmlChar *s = xmlXPathCastToString(r);
    char *copy = xstrdup((const char *)s);
    xmlFree(s);
    xmlXPathFreeObject(r);
    return copy;
}

static void want_num(struct page *p, const char *expr, double want)
{
    double got = xn(p, expr);
    ck_assert_msg(got == want, "%s: got %g want %g", expr, got, want);
}

static void want_str(struct page *p, const char *expr, const char *want)
{
    char *got = xs(p, expr);
    ck_assert_msg(strcmp(got, want) == 0, "%s: got '%s' want '%s'", expr, got,
                  want);
    free(got);
}

/* 'sha256-BASE64' of s, computed with OpenSSL. */
static char *sha256_source(const char *s)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    ck_assert(EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL));
    unsigned char b64[64];
    EVP_EncodeBlock(b64, md, (int)n);
    return xasprintf("'sha256-%s'", b64);
}

START_TEST(test_csp_and_self_contained)
{
    struct result_run *run = fixture_mixed();
    struct page p = render(run, NULL);
    char *csp =
        xs(&p, "//meta[@http-equiv='Content-Security-Policy']/@content");
    ck_assert_msg(strncmp(csp, "default-src 'none'; ", 20) == 0, "csp '%s'",
                  csp);
    ck_assert_msg(!strstr(csp, "unsafe"), "csp '%s'", csp);
    want_num(&p, "count(//script)", 1);
    want_num(&p, "count(//style)", 1);
    char *script = xs(&p, "//script"), *style = xs(&p, "//style");
    char *hs = sha256_source(script), *hy = sha256_source(style);
    char want[512];
    snprintf(want, sizeof want, "script-src %s;", hs);
    ck_assert_msg(strstr(csp, want), "csp '%s' lacks '%s'", csp, want);
    snprintf(want, sizeof want, "style-src %s;", hy);
    ck_assert_msg(strstr(csp, want), "csp '%s' lacks '%s'", csp, want);
    /* The CSP comes before anything it governs. */
    ck_assert(strstr(p.text, "Content-Security-Policy") <
              strstr(p.text, "<style>"));
    /* Nothing that fetches: no src/href/action/srcset/poster/data
     * attributes, no link/img/iframe/object/embed, no event handlers or
     * style attributes (the CSP would block them anyway). */
    want_num(&p,
             "count(//@src | //@href | //@action | //@srcset | //@poster"
             " | //@data | //link | //img | //iframe | //object | //embed"
             " | //@style | //@*[starts-with(name(), 'on')])",
             0);
    ck_assert_ptr_null(strstr(p.text, "https:"));
    ck_assert_ptr_null(strstr(p.text, "url("));
    free(csp), free(script), free(style), free(hs), free(hy);
    page_free(&p);
    result_run_free(run);
}
END_TEST

START_TEST(test_counts_and_cases)
{
    struct result_run *run = fixture_mixed();
    struct page p = render(run, "custom <title>");
    /* One target: no audit matrix. */
    want_num(&p, "count(//table[@id='matrix'])", 0);
    struct verdict_counts vc;
    result_counts(run, &vc);
    for (int v = 0; v < VERDICT_COUNT; v++) {
        char e[128];
        snprintf(e, sizeof e, "number(//*[@id='count-%s'])", verdict_name(v));
        want_num(&p, e, (double)vc.n[v]);
    }
    want_num(&p, "number(//*[@id='count-total'])", (double)run->ncases);
    want_num(&p, "count(//div[contains(@class,'case')])", (double)run->ncases);
    for (size_t i = 0; i < run->ncases; i++) {
        char e[256];
        snprintf(e, sizeof e, "count(//div[@data-id='%s'])", run->cases[i].id);
        want_num(&p, e, 1);
    }
    /* Every FAIL case marks its decisive step; PASS cases mark none. */
    want_num(&p,
             "count(//div[@data-verdict='FAIL'][.//tr[contains(@class,"
             "'decisive')]])",
             (double)vc.n[VERDICT_FAIL]);
    want_num(&p,
             "count(//div[@data-verdict='PASS']//tr[contains(@class,"
             "'decisive')])",
             0);
    want_num(&p,
             "count(//tr[contains(@class,'decisive')][contains(@class,"
             "'g-FAIL')])",
             3); /* FAIL twice, XFAIL once */
    /* The case-file line and RFC reference are shown. */
    want_num(&p,
             "count(//div[@data-id='core.rcpt.unknown-user']//span["
             "@class='loc' and .='cases/core/rcpt.unknown-user.smtp:14'])",
             1);
    want_num(&p, "count(//span[@class='rfc'])", (double)run->ncases);
    /* Grouped by area, then severity. */
    want_num(&p, "count(//section[@class='area'])", 7);
    want_num(&p, "count(//section[@data-area='core']/div[@class='sev'])", 3);
    /* TLS facts of the connection. */
    char *conn = xs(&p, "//div[@data-id='tls.starttls.handshake']"
                        "//div[@class='conn']");
    ck_assert_msg(strstr(conn, "TLSv1.3") && strstr(conn, "x25519") &&
                      strstr(conn, "self-signed certificate"),
                  "conn '%s'", conn);
    free(conn);
    char *title = xs(&p, "//title");
    ck_assert_str_eq(title, "custom <title>");
    free(title);
    want_num(&p, "count(//*[@id='incomplete'])", 0);
    page_free(&p);
    result_run_free(run);
}
END_TEST

/* Hostile strings: markup in titles stays text, raw bytes are escaped,
 * the page is valid UTF-8 without control characters. */
START_TEST(test_hostile)
{
    struct result_run *run = fixture_mixed();
    struct page p = render(run, NULL);
    want_num(&p, "count(//script)", 1);
    want_num(&p, "count(//b[.='bold'])", 0); /* from a reason */
    char *t = xs(&p, "//div[@data-id='sec.smuggling.bare-lf']//span[@class="
                     "'title']");
    ck_assert_str_eq(t, "Bare LF <script>alert(1)</script> does not end DATA");
    free(t);
    page_free(&p);
    result_run_free(run);

    run = fixture_hostile();
    p = render(run, "\x1b]0;owned\x07<script>");
    ck_assert_msg(xmlCheckUTF8(BAD_CAST p.text), "the page is not UTF-8");
    for (size_t i = 0; i < p.len; i++) {
        unsigned char c = (unsigned char)p.text[i];
        ck_assert_msg(c >= 0x20 || c == '\n' || c == '\t',
                      "control byte 0x%02x at %zu", c, i);
        ck_assert_msg(c != 0x7f, "DEL at %zu", i);
    }
    ck_assert_ptr_null(strstr(p.text, "\xef\xbf\xbe"));
    ck_assert_ptr_nonnull(strstr(p.text, "\\xef\\xbf\\xbe"));
    ck_assert_ptr_nonnull(strstr(p.text, "\\xed\\xa0\\x80"));
    ck_assert_ptr_nonnull(strstr(p.text, "bytes in all]"));
    want_num(&p, "count(//script)", 1);
    want_num(&p, "count(//div[contains(@class,'case')])", (double)run->ncases);
    page_free(&p);
    result_run_free(run);
}
END_TEST

START_TEST(test_load_sections)
{
    struct result_run *run = fixture_load();
    run->incomplete = true;
    struct page p = render(run, NULL);
    want_num(&p, "count(//section[@id='latency']/div[@class='hist'])", 3);
    want_num(&p, "count(//section[@id='latency']//table[@class='pct'])", 3);
    want_num(&p, "count(//section[@id='latency']//*[local-name()='svg'])", 6);
    want_num(&p, "count(//section[@id='thresholds']//tr[@class='th-breach'])",
             1);
    want_num(&p, "count(//section[@id='counters']//*[local-name()='svg'])", 1);
    want_num(&p, "count(//*[@id='incomplete'])", 1);
    page_free(&p);
    result_run_free(run);
}
END_TEST

START_TEST(test_several_targets)
{
    struct result_run *run = fixture_multi();
    struct page p = render(run, NULL);
    want_num(&p, "count(//div[@data-id='core.rcpt.unknown-user'])", 2);
    want_num(&p, "count(//div[@data-target='mx.example'])", 2);
    /* The audit matrix: a row per id, a column per target; only the case
     * whose verdicts differ (PASS on postfix, FAIL on mx.example) is
     * marked. */
    want_num(&p, "count(//table[@id='matrix']/tbody/tr)", 2);
    want_num(&p, "count(//table[@id='matrix']/thead//th)", 3);
    want_num(&p, "count(//table[@id='matrix']/thead//th[.='mx.example'])", 1);
    want_num(&p, "count(//table[@id='matrix']//tr[@class='differs'])", 1);
    want_num(&p, "//*[@id='matrix-differ']", 1);
    const char *row = "//table[@id='matrix']//tr[@class='differs']";
    char *e = xasprintf("string(%s/th)", row);
    want_str(&p, e, "core.rcpt.unknown-user");
    free(e);
    e = xasprintf("string(%s/td[1])", row);
    want_str(&p, e, "PASS");
    free(e);
    e = xasprintf("string(%s/td[2])", row);
    want_str(&p, e, "FAIL");
    free(e);
    want_num(&p, "count(//table[@id='matrix']//tr[not(@class)]/td[.='PASS'])",
             2);
    page_free(&p);
    result_run_free(run);
}
END_TEST

START_TEST(test_golden)
{
    struct result_run *run = fixture_mixed();
    struct page p = render(run, NULL);
    golden_check("html_mixed.html", p.text, p.len);
    page_free(&p);
    result_run_free(run);
}
END_TEST

START_TEST(test_golden_comma_locale)
{
    if (comma_locale_use())
        ck_assert(comma_locale_active());
    struct result_run *run = fixture_load();
    struct page p = render(run, NULL);
    golden_check("html_load.html", p.text, p.len);
    page_free(&p);
    result_run_free(run);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_csp_and_self_contained);
    tcase_add_test(tc, test_counts_and_cases);
    tcase_add_test(tc, test_hostile);
    tcase_add_test(tc, test_load_sections);
    tcase_add_test(tc, test_several_targets);
    tcase_add_test(tc, test_golden);
    tcase_add_test(tc, test_golden_comma_locale);
}

#include "check_main.h"
