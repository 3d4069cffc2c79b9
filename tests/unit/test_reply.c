/* Tests of harness/reply.c: every vector is fed whole and byte by byte
 * (each prefix in turn, as bytes arrive from a socket); both must agree
 * with the table. */
#include "harness/reply.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vec {
    const char *name;
    const char *in;
    size_t len; /* 0: strlen(in) */
    enum reply_status st;
    int code;
    unsigned nlines;
    unsigned flags;
    const char *esc;
    enum reply_error err;
    size_t size; /* bytes consumed on DONE; 0: the whole input */
    const char *last_text; /* text of the final line */
};

#define L(s) s, sizeof(s) - 1

static const struct vec VECS[] = {
    {"single", "250 OK\r\n", 0, REPLY_DONE, 250, 1, 0, "", 0, 0, "OK"},
    {"greeting", "220 mx.example ESMTP\r\n", 0, REPLY_DONE, 220, 1, 0, "", 0, 0,
     "mx.example ESMTP"},
    {"multiline", "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n", 0,
     REPLY_DONE, 250, 3, 0, "", 0, 0, "SIZE 1000"},
    {"esc", "250 2.1.0 Ok\r\n", 0, REPLY_DONE, 250, 1, 0, "2.1.0", 0, 0,
     "2.1.0 Ok"},
    {"esc3digits", "550 5.123.456 no\r\n", 0, REPLY_DONE, 550, 1, 0,
     "5.123.456", 0, 0, "5.123.456 no"},
    {"esc-bad-class", "250 3.1.0 Ok\r\n", 0, REPLY_DONE, 250, 1, 0, "", 0, 0,
     "3.1.0 Ok"},
    {"esc-4digits", "250 2.1000.0 Ok\r\n", 0, REPLY_DONE, 250, 1, 0, "", 0, 0,
     "2.1000.0 Ok"},
    {"esc-alone", "250 2.0.0\r\n", 0, REPLY_DONE, 250, 1, 0, "2.0.0", 0, 0,
     "2.0.0"},
    {"bare-code", "250\r\n", 0, REPLY_DONE, 250, 1, REPLY_F_NO_SP, "", 0, 0,
     ""},
    {"empty-text", "334 \r\n", 0, REPLY_DONE, 334, 1, 0, "", 0, 0, ""},
    {"two-replies", "250 a\r\n250 b\r\n", 0, REPLY_DONE, 250, 1, 0, "", 0, 7,
     "a"},
    {"need-more", "250-a\r\n250 b", 0, REPLY_NEED_MORE, 0, 0, 0, "", 0, 0, NULL},
    {"need-more-cr", "250 b\r", 0, REPLY_NEED_MORE, 0, 0, 0, "", 0, 0, NULL},
    {"empty", "", 0, REPLY_NEED_MORE, 0, 0, 0, "", 0, 0, NULL},
    {"bare-lf", "250 ok\n", 0, REPLY_DONE, 250, 1, REPLY_F_BARE_LF, "", 0, 0,
     "ok"},
    {"bare-cr", "250 o\rk\r\n", 0, REPLY_DONE, 250, 1, REPLY_F_BARE_CR, "", 0,
     0, "o\rk"},
    {"mixed", "250-a\r\n251 b\r\n", 0, REPLY_DONE, 251, 2, REPLY_F_MIXED_CODES,
     "", 0, 0, "b"},
    {"bad-code-first", "650 x\r\n", 0, REPLY_DONE, 650, 1, REPLY_F_BAD_CODE,
     "", 0, 0, "x"},
    {"bad-code-second", "260 x\r\n", 0, REPLY_DONE, 260, 1, REPLY_F_BAD_CODE,
     "", 0, 0, "x"},
    {"bad-sep", "250ok\r\n", 0, REPLY_DONE, 250, 1, REPLY_F_BAD_SEP, "", 0, 0,
     "ok"},
    {"ctrl", "250 a\x01" "b\r\n", 0, REPLY_DONE, 250, 1, REPLY_F_CTRL, "", 0,
     0, "a\x01" "b"},
    {"nul", L("250 a\0b\r\n"), REPLY_DONE, 250, 1, REPLY_F_CTRL, "", 0, 0,
     NULL},
    {"tab-ok", "250 a\tb\r\n", 0, REPLY_DONE, 250, 1, 0, "", 0, 0, "a\tb"},
    {"8bit", "250 caf\xc3\xa9\r\n", 0, REPLY_DONE, 250, 1, REPLY_F_EIGHTBIT,
     "", 0, 0, "caf\xc3\xa9"},
    {"syntax", "hello\r\n", 0, REPLY_ERROR, 0, 0, 0, "", REPLY_ERR_SYNTAX, 0,
     NULL},
    {"syntax-early", "2x", 0, REPLY_ERROR, 0, 0, 0, "", REPLY_ERR_SYNTAX, 0,
     NULL},
    {"syntax-short", "25\r\n", 0, REPLY_ERROR, 0, 0, 0, "", REPLY_ERR_SYNTAX, 0,
     NULL},
    {"syntax-second-line", "250-a\r\nxyz\r\n", 0, REPLY_ERROR, 0, 0, 0, "",
     REPLY_ERR_SYNTAX, 0, NULL},
    {"empty-line", "\r\n", 0, REPLY_ERROR, 0, 0, 0, "", REPLY_ERR_SYNTAX, 0,
     NULL},
};

static void check_result(const struct vec *v, const char *in, size_t len,
                         enum reply_status st, const struct reply *r,
                         const char *how)
{
    ck_assert_msg(st == v->st, "%s/%s: status got %d want %d", v->name, how,
                  st, v->st);
    if (st == REPLY_ERROR) {
        ck_assert_msg(r->error == v->err, "%s/%s: error got %d want %d",
                      v->name, how, r->error, v->err);
        return;
    }
    if (st != REPLY_DONE)
        return;
    size_t want = v->size ? v->size : len;
    ck_assert_msg(r->size == want, "%s/%s: size got %zu want %zu", v->name,
                  how, r->size, want);
    ck_assert_msg(r->code == v->code, "%s/%s: code got %d want %d", v->name,
                  how, r->code, v->code);
    ck_assert_msg(r->nlines == v->nlines, "%s/%s: lines got %u want %u",
                  v->name, how, r->nlines, v->nlines);
    ck_assert_msg(r->flags == v->flags, "%s/%s: flags got %#x want %#x",
                  v->name, how, r->flags, v->flags);
    ck_assert_msg(strcmp(r->esc, v->esc) == 0, "%s/%s: esc got '%s' want '%s'",
                  v->name, how, r->esc, v->esc);
    if (v->last_text) {
        const struct reply_line *l = &r->line[r->nlines - 1];
        ck_assert_msg(l->len == strlen(v->last_text) &&
                          memcmp(in + l->off, v->last_text, l->len) == 0,
                      "%s/%s: last line text got '%.*s' want '%s'", v->name,
                      how, (int)l->len, in + l->off, v->last_text);
    }
}

START_TEST(test_vectors)
{
    const struct vec *v = &VECS[_i];
    size_t len = v->len ? v->len : strlen(v->in);
    struct reply *r = malloc(sizeof *r);

    enum reply_status st = reply_parse(v->in, len, r);
    check_result(v, v->in, len, st, r, "whole");

    /* Byte by byte: every shorter prefix must say NEED_MORE unless the
     * answer is already decided; the first decided prefix must agree. */
    char *copy = malloc(len + 1);
    memcpy(copy, v->in, len);
    for (size_t n = 0; n <= len; n++) {
        st = reply_parse(copy, n, r);
        if (st == REPLY_NEED_MORE && n < len)
            continue;
        size_t want_len = v->size ? v->size : len;
        if (st == REPLY_DONE)
            ck_assert_msg(n == want_len, "%s/bytewise: done at %zu want %zu",
                          v->name, n, want_len);
        check_result(v, copy, v->size ? v->size : len, st, r, "bytewise");
        break;
    }
    free(copy);
    free(r);
}
END_TEST

static char *repeat(char c, size_t n)
{
    char *p = malloc(n + 1);
    memset(p, c, n);
    p[n] = '\0';
    return p;
}

START_TEST(test_limits_long_line)
{
    struct reply *r = malloc(sizeof *r);
    /* 512 octets with CRLF is within the RFC; 513 is flagged. */
    char *t = repeat('a', 512 - 6);
    char line[1024];
    snprintf(line, sizeof line, "250 %s\r\n", t);
    ck_assert_int_eq(strlen(line), 512);
    ck_assert_int_eq(reply_parse(line, strlen(line), r), REPLY_DONE);
    ck_assert_uint_eq(r->flags & REPLY_F_LONG_LINE, 0);
    snprintf(line, sizeof line, "250 %sa\r\n", t);
    ck_assert_int_eq(reply_parse(line, strlen(line), r), REPLY_DONE);
    ck_assert_uint_ne(r->flags & REPLY_F_LONG_LINE, 0);
    free(t);

    /* Past REPLY_MAX_LINE without a line end: an error at once, not a
     * request for more bytes. */
    char *big = repeat('a', REPLY_MAX_LINE + 1);
    memcpy(big, "250 ", 4);
    ck_assert_int_eq(reply_parse(big, REPLY_MAX_LINE, r), REPLY_NEED_MORE);
    ck_assert_int_eq(reply_parse(big, REPLY_MAX_LINE + 1, r), REPLY_ERROR);
    ck_assert_int_eq(r->error, REPLY_ERR_LINE_TOO_LONG);
    free(big);
    free(r);
}
END_TEST

START_TEST(test_limits_many_lines)
{
    struct reply *r = malloc(sizeof *r);
    size_t n = (REPLY_MAX_LINES + 1) * 9;
    char *in = malloc(n + 1);
    size_t off = 0;
    for (int i = 0; i < REPLY_MAX_LINES + 1; i++)
        off += (size_t)sprintf(in + off, "250-abc\r\n");
    ck_assert_int_eq(reply_parse(in, off, r), REPLY_ERROR);
    ck_assert_int_eq(r->error, REPLY_ERR_TOO_MANY_LINES);
    /* Exactly REPLY_MAX_LINES lines is fine. */
    off = 0;
    for (int i = 0; i < REPLY_MAX_LINES - 1; i++)
        off += (size_t)sprintf(in + off, "250-abc\r\n");
    off += (size_t)sprintf(in + off, "250 abc\r\n");
    ck_assert_int_eq(reply_parse(in, off, r), REPLY_DONE);
    ck_assert_uint_eq(r->nlines, REPLY_MAX_LINES);
    free(in);
    free(r);
}
END_TEST

START_TEST(test_limits_too_big)
{
    struct reply *r = malloc(sizeof *r);
    /* 40 lines of 2000 octets: under the line limits, over the size. */
    size_t n = 40 * 2000;
    char *in = malloc(n + 1);
    size_t off = 0;
    for (int i = 0; i < 40; i++) {
        memcpy(in + off, "250-", 4);
        memset(in + off + 4, 'x', 1994);
        memcpy(in + off + 1998, "\r\n", 2);
        off += 2000;
    }
    ck_assert_int_eq(reply_parse(in, off, r), REPLY_ERROR);
    ck_assert_int_eq(r->error, REPLY_ERR_TOO_BIG);
    free(in);
    free(r);
}
END_TEST

static const char EHLO[] = "250-mx.example Hello\r\n"
                           "250-PIPELINING\r\n"
                           "250-SIZE 10240000\r\n"
                           "250-AUTH PLAIN LOGIN SCRAM-SHA-256\r\n"
                           "250-8bitmime\r\n"
                           "250 STARTTLS\r\n";

START_TEST(test_ehlo)
{
    struct reply *r = malloc(sizeof *r);
    ck_assert_int_eq(reply_parse(EHLO, strlen(EHLO), r), REPLY_DONE);
    const char *p;
    size_t n;
    ck_assert(reply_ehlo_find(r, EHLO, "SIZE", &p, &n));
    ck_assert_int_eq(n, 8);
    ck_assert(memcmp(p, "10240000", 8) == 0);
    ck_assert(reply_ehlo_find(r, EHLO, "pipelining", &p, &n));
    ck_assert_int_eq(n, 0);
    ck_assert(reply_ehlo_has(r, EHLO, "8BITMIME", NULL));
    ck_assert(reply_ehlo_has(r, EHLO, "AUTH", "plain"));
    ck_assert(reply_ehlo_has(r, EHLO, "AUTH", "SCRAM-SHA-256"));
    ck_assert(!reply_ehlo_has(r, EHLO, "AUTH", "SCRAM-SHA-1"));
    ck_assert(!reply_ehlo_has(r, EHLO, "AUTH", "PLAI"));
    ck_assert(!reply_ehlo_has(r, EHLO, "CHUNKING", NULL));
    ck_assert(!reply_ehlo_has(r, EHLO, "mx.example", NULL)); /* line 1 */
    char err[128];
    ck_assert_int_eq(reply_ehlo_check(r, EHLO, err, sizeof err), 0);
    free(r);
}
END_TEST

START_TEST(test_ehlo_bad)
{
    static const struct {
        const char *in;
        const char *want;
    } BAD[] = {
        {"250-bad_host\r\n250 SIZE\r\n", "line 1"},
        {"250-mx.example\r\n250 AUTH=PLAIN\r\n", "line 2"},
        {"250-mx.example\r\n250 -X\r\n", "line 2"},
        {"250-mx.example\r\n250 X \x7f\r\n", "line 2"},
    };
    struct reply *r = malloc(sizeof *r);
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        ck_assert_int_eq(reply_parse(BAD[i].in, strlen(BAD[i].in), r),
                         REPLY_DONE);
        char err[128] = "";
        ck_assert_int_eq(reply_ehlo_check(r, BAD[i].in, err, sizeof err), -1);
        ck_assert_msg(strstr(err, BAD[i].want), "case %zu: got '%s' want '%s'",
                      i, err, BAD[i].want);
    }
    /* Address literals are domains too. */
    const char *ok = "250 [192.0.2.1]\r\n";
    ck_assert_int_eq(reply_parse(ok, strlen(ok), r), REPLY_DONE);
    char err[128];
    ck_assert_int_eq(reply_ehlo_check(r, ok, err, sizeof err), 0);
    free(r);
}
END_TEST

START_TEST(test_flags_text)
{
    char out[256];
    reply_flags_text(REPLY_F_BARE_LF | REPLY_F_CTRL, out, sizeof out);
    ck_assert_str_eq(out, "line ended with a bare LF, not CRLF; "
                          "control character in reply text");
    reply_flags_text(0, out, sizeof out);
    ck_assert_str_eq(out, "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reply");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_vectors, 0, sizeof VECS / sizeof VECS[0]);
    tcase_add_test(tc, test_limits_long_line);
    tcase_add_test(tc, test_limits_many_lines);
    tcase_add_test(tc, test_limits_too_big);
    tcase_add_test(tc, test_ehlo);
    tcase_add_test(tc, test_ehlo_bad);
    tcase_add_test(tc, test_flags_text);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
