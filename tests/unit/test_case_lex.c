/* Tests of suite/case_lex.c: line splitting (LF, CRLF, a final line
 * without a terminator), the byte checks (control characters, UTF-8 per
 * RFC 3629), tokens, comments, strings and regex decoding. */
#define TEST_NAME "case_lex"
#include "suite/case_lex.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_lines)
{
    static const char IN[] = "a\r\nb\n\nc\r\r\nd";
    static const struct {
        const char *text;
        bool crlf;
    } W[] = {
        {"a", true}, {"b", false}, {"", false}, {"c\r", true}, {"d", false}};
    struct lex_src s;
    struct lex_line l;
    lex_src_init(&s, IN, sizeof IN - 1);
    for (size_t i = 0; i < 5; i++) {
        ck_assert_int_eq(lex_next_line(&s, &l), 1);
        ck_assert_msg(l.len == strlen(W[i].text) &&
                          memcmp(l.p, W[i].text, l.len) == 0,
                      "line %zu: got '%.*s'", i, (int)l.len, l.p);
        ck_assert_int_eq(l.crlf, W[i].crlf);
        ck_assert_int_eq(l.lineno, (int)i + 1);
    }
    ck_assert_int_eq(lex_next_line(&s, &l), 0);
    lex_src_init(&s, "", 0);
    ck_assert_int_eq(lex_next_line(&s, &l), 0);
}
END_TEST

START_TEST(test_check_line)
{
    static const struct {
        const char *in;
        long want;
    } V[] = {
        {"plain\ttext", -1},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", -1},
        {"a\x01", 1},
        {"a\x7f", 1},
        {"ab\r", 2},
        {"\xc3", 0},             /* truncated */
        {"\xc0\xaf", 0},         /* overlong */
        {"\xe0\x80\xaf", 0},     /* overlong */
        {"\xed\xa0\x80", 0},     /* surrogate */
        {"\xf4\x90\x80\x80", 0}, /* above U+10FFFF */
        {"x\xff", 1},
        {"\xe2\x82", 0},
    };
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        const char *why = NULL;
        long got = lex_check_line(V[i].in, strlen(V[i].in), &why);
        ck_assert_msg(got == V[i].want, "vec %zu: got %ld want %ld", i, got,
                      V[i].want);
    }
    char *big = malloc(LEX_MAX_LINE + 1);
    memset(big, 'x', LEX_MAX_LINE + 1);
    const char *why;
    ck_assert_int_eq(lex_check_line(big, LEX_MAX_LINE, &why), -1);
    ck_assert_int_eq(lex_check_line(big, LEX_MAX_LINE + 1, &why), LEX_MAX_LINE);
    free(big);
}
END_TEST

/* Tokens of a line as "KIND:text" joined by spaces. */
static void tokens(const char *line, char *out, size_t outlen)
{
    static const char K[] = "EWSRPHXB";
    struct lex x;
    struct lex_tok t;
    lex_init(&x, line, strlen(line), 0);
    out[0] = '\0';
    do {
        lex_next(&x, &t);
        size_t n = strlen(out);
        snprintf(out + n, outlen - n, "%s%c:%.*s", n ? " " : "", K[t.kind],
                 (int)t.len, line + t.off);
    } while (t.kind != LEX_END);
}

START_TEST(test_tokens)
{
    static const struct {
        const char *in, *want;
    } V[] = {
        {"S: 503 | warn 5xx -> close", "W:S: W:503 P:| W:warn W:5xx P:-> "
                                       "W:close E:"},
        {"send \"a\\\"b\" ${x}", "W:send S:\"a\\\"b\" X:${ W:x P:} E:"},
        {"S: 250 /a\\/b/i|x", "W:S: W:250 R:/a\\/b/i P:| W:x E:"},
        {"data <<EOF # c", "W:data H:<<EOF E:"},
        {"open#x", "W:open B:# W:x E:"},
        {"# all comment", "E:"},
        {"a,b=(c)!", "W:a P:, W:b P:= P:( W:c P:) P:! E:"},
        {"x 5.7.x cat:SYN-05 \xc3\xa9",
         "W:x W:5.7.x W:cat:SYN-05 W:\xc3\xa9 E:"},
        {"\"unterminated", "S:\"unterminated E:"},
        {"  ", "E:"},
    };
    char got[512];
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        tokens(V[i].in, got, sizeof got);
        ck_assert_msg(strcmp(got, V[i].want) == 0, "'%s': got '%s' want '%s'",
                      V[i].in, got, V[i].want);
    }
}
END_TEST

START_TEST(test_at_end)
{
    struct lex x;
    struct lex_tok t;
    lex_init(&x, "open  # c", 9, 0);
    lex_next(&x, &t);
    ck_assert(lex_at_end(&x));
    ck_assert_uint_eq(x.end, 4);
    lex_init(&x, "open x", 6, 0);
    lex_next(&x, &t);
    ck_assert(!lex_at_end(&x));
}
END_TEST

START_TEST(test_string)
{
    static const struct {
        const char *in, *want;
        size_t wantlen, end;
        int rc;
    } V[] = {
        {"\"ab\"", "ab", 2, 4, 0},
        {"\"\\r\\n\\t\\0\\\\\\\"\"x", "\r\n\t\0\\\"", 6, 14, 0},
        {"\"\\x41\\xfF\"", "A\xff", 2, 10, 0},
        {"\"a\\q\"", NULL, 0, 2, -1},
        {"\"\\x4g\"", NULL, 0, 1, -1},
        {"\"\\x4", NULL, 0, 1, -1},
        {"\"abc", NULL, 0, 0, -1},
        {"\"${x}\"", "${x}", 4, 6, 0},
    };
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        struct buf b;
        buf_init(&b, 64);
        size_t end = 0, erroff = 0;
        const char *why = NULL;
        int rc = lex_string(V[i].in, strlen(V[i].in), &b, &end, &erroff, &why);
        ck_assert_msg(rc == V[i].rc, "vec %zu: rc %d", i, rc);
        if (rc == 0) {
            ck_assert_uint_eq(b.len, V[i].wantlen);
            ck_assert(memcmp(b.data, V[i].want, b.len) == 0);
            ck_assert_uint_eq(end, V[i].end);
        } else {
            ck_assert_msg(erroff == V[i].end, "vec %zu: erroff %zu", i, erroff);
        }
        buf_free(&b);
    }
}
END_TEST

START_TEST(test_regex)
{
    static const struct {
        const char *in, *want;
        bool icase;
        int rc;
    } V[] = {
        {"/a\\/b/", "a/b", false, 0},     {"/^[^\\n]*$/i", "^[^\n]*$", true, 0},
        {"/\\d\\./", "\\d\\.", false, 0}, {"/x/ix", NULL, false, -1},
        {"/x", NULL, false, -1},
    };
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        struct buf b;
        buf_init(&b, 64);
        size_t end, erroff;
        bool icase = false;
        const char *why;
        int rc = lex_regex(V[i].in, strlen(V[i].in), &b, &icase, &end, &erroff,
                           &why);
        ck_assert_msg(rc == V[i].rc, "vec %zu: rc %d", i, rc);
        if (rc == 0) {
            ck_assert_str_eq(buf_str(&b), V[i].want);
            ck_assert_int_eq(icase, V[i].icase);
            ck_assert_uint_eq(end, strlen(V[i].in));
        }
        buf_free(&b);
    }
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_lines);
    tcase_add_test(tc, test_check_line);
    tcase_add_test(tc, test_tokens);
    tcase_add_test(tc, test_at_end);
    tcase_add_test(tc, test_string);
    tcase_add_test(tc, test_regex);
}

#include "check_main.h"
