/* Tests of reports/text.c: sanitizer vectors (every class of bad byte
 * and rejected character), cuts at a character, HTML escaping, seconds
 * formatting under a comma locale. Oracles that do not use the module:
 * libxml2's parser accepts every output inside an element, and
 * bytes_unescape() gives the input back. */
#define TEST_NAME "text"
#include "reports/text.h"
#include "harness/bytes.h"
#include "comma_locale.h"

#include <check.h>
#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name, *in, *want;
} VECS[] = {
    {"plain", "250 OK", "250 OK"},
    {"escaped-form-unchanged", "a\\r\\n\\x1b\\\\", "a\\r\\n\\x1b\\\\"},
    {"escape", "\x1b[31m", "\\x1b[31m"},
    {"tab-lf-kept", "a\tb\nc", "a\tb\nc"},
    {"cr", "a\rb", "a\\rb"},
    {"c0", "\x01\x02\x1f", "\\x01\\x02\\x1f"},
    {"del", "\x7f", "\\x7f"},
    {"latin1-valid", "caf\xc3\xa9", "caf\xc3\xa9"},
    {"c1-nel", "\xc2\x85", "\\xc2\\x85"},
    {"overlong-nul", "\xc0\x80", "\\xc0\\x80"},
    {"overlong-slash", "\xe0\x80\xaf", "\\xe0\\x80\\xaf"},
    {"lone-surrogate", "\xed\xa0\x80", "\\xed\\xa0\\x80"},
    {"low-surrogate", "\xed\xbf\xbf", "\\xed\\xbf\\xbf"},
    {"u+fffe", "\xef\xbf\xbe", "\\xef\\xbf\\xbe"},
    {"u+ffff", "\xef\xbf\xbf", "\\xef\\xbf\\xbf"},
    {"u+fdd0", "\xef\xb7\x90", "\\xef\\xb7\\x90"},
    {"u+fffd-kept", "\xef\xbf\xbd", "\xef\xbf\xbd"},
    {"u+e000-kept", "\xee\x80\x80", "\xee\x80\x80"},
    {"emoji-kept", "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
    {"u+1fffe", "\xf0\x9f\xbf\xbe", "\\xf0\\x9f\\xbf\\xbe"},
    {"past-10ffff", "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"},
    {"truncated", "\xe2\x82", "\\xe2\\x82"},
    {"truncated-then-ascii",
     "\xe2\x82"
     "A",
     "\\xe2\\x82A"},
    {"stray-continuation",
     "\x80"
     "abc",
     "\\x80abc"},
    {"ff", "\xff\xfe", "\\xff\\xfe"},
    {"f8-lead", "\xf8\x88\x80\x80\x80", "\\xf8\\x88\\x80\\x80\\x80"},
    {"empty", "", ""},
};

/* Oracle: libxml2's parser takes s as the content of an element. */
static int xml_ok(const char *s)
{
    size_t n = strlen(s);
    char *doc = malloc(n + 16);
    memcpy(doc, "<a>", 3);
    size_t k = 3;
    for (size_t i = 0; i < n; i++) { /* markup characters are not ours */
        if (s[i] == '<' || s[i] == '&')
            doc[k++] = '_';
        else
            doc[k++] = s[i];
    }
    memcpy(doc + k, "</a>", 5);
    xmlDocPtr d = xmlReadMemory(doc, (int)(k + 4), "t.xml", "UTF-8",
                                XML_PARSE_NONET | XML_PARSE_NOERROR |
                                    XML_PARSE_NOWARNING);
    free(doc);
    if (d)
        xmlFreeDoc(d);
    return d != NULL;
}

START_TEST(test_vectors)
{
    for (size_t i = 0; i < sizeof VECS / sizeof VECS[0]; i++) {
        char *got = text_clean_dup(VECS[i].in, TEXT_FIELD_MAX);
        ck_assert_msg(strcmp(got, VECS[i].want) == 0, "%s: got '%s' want '%s'",
                      VECS[i].name, got, VECS[i].want);
        ck_assert_msg(xml_ok(got), "%s: libxml2 rejects '%s'", VECS[i].name,
                      got);
        free(got);
    }
}
END_TEST

/* Every byte string of a deterministic pseudo-random sample: the output
 * parses as XML, and unescaping gives the input back. */
START_TEST(test_random_roundtrip)
{
    uint32_t x = 12345;
    for (int round = 0; round < 2000; round++) {
        char in[64];
        size_t n = 1 + round % 60;
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            in[i] = (char)(((x >> 16) % 255) + 1); /* no NUL */
            if (in[i] == '\\')
                in[i] = 'b';
        }
        in[n] = '\0';
        char *got = text_clean_dup(in, TEXT_FIELD_MAX);
        ck_assert_msg(xml_ok(got), "round %d: libxml2 rejects '%s'", round,
                      got);
        struct buf b;
        buf_init(&b, 1024);
        ck_assert_int_eq(bytes_unescape(&b, got), 0);
        ck_assert_msg(b.len == n && memcmp(b.data, in, n) == 0,
                      "round %d: unescape differs from the input", round);
        buf_free(&b);
        free(got);
    }
}
END_TEST

START_TEST(test_cut)
{
    char *got = text_clean_dup("abcdefghijklmnop", 10);
    ck_assert_str_eq(got, "abcdefghij...[16 bytes in all]");
    free(got);
    /* Never inside a character: 2 of 5 two-byte characters fit in 5. */
    got = text_clean_dup("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 5);
    ck_assert_str_eq(got, "\xc3\xa9\xc3\xa9...[10 bytes in all]");
    free(got);
    /* Nor inside an escape. */
    got = text_clean_dup("ab\x1b", 5);
    ck_assert_str_eq(got, "ab...[3 bytes in all]");
    free(got);
    got = text_clean_dup("exact", 5);
    ck_assert_str_eq(got, "exact");
    free(got);
    struct buf b;
    buf_init(&b, 64);
    text_clean(&b, NULL, 10);
    ck_assert_uint_eq(b.len, 0);
    buf_free(&b);
}
END_TEST

START_TEST(test_html)
{
    struct buf b;
    buf_init(&b, 1024);
    text_html(&b, "<a href=\"x\">&'</a>\x1b", TEXT_FIELD_MAX);
    ck_assert_str_eq(buf_str(&b),
                     "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;\\x1b");
    buf_free(&b);
}
END_TEST

static const struct {
    int64_t us;
    const char *want;
} SECONDS[] = {
    {0, "0.000000"},
    {1, "0.000001"},
    {999999, "0.999999"},
    {1000000, "1.000000"},
    {12345678, "12.345678"},
    {-5, "0.000000"},
    {INT64_MAX, "9223372036854.775807"},
};

static void check_seconds(void)
{
    for (size_t i = 0; i < sizeof SECONDS / sizeof SECONDS[0]; i++) {
        char got[TEXT_SECONDS_LEN];
        text_seconds(SECONDS[i].us, got);
        ck_assert_msg(strcmp(got, SECONDS[i].want) == 0,
                      "%lld us: got '%s' want '%s'", (long long)SECONDS[i].us,
                      got, SECONDS[i].want);
    }
}

START_TEST(test_seconds)
{
    check_seconds();
}
END_TEST

START_TEST(test_seconds_comma_locale)
{
    if (comma_locale_use())
        ck_assert(comma_locale_active());
    check_seconds();
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_vectors);
    tcase_add_test(tc, test_random_roundtrip);
    tcase_add_test(tc, test_cut);
    tcase_add_test(tc, test_html);
    tcase_add_test(tc, test_seconds);
    tcase_add_test(tc, test_seconds_comma_locale);
}

#include "check_main.h"
