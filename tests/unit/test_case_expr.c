/* Tests of suite/case_expr.c: the parse tree of expressions (checked by
 * evaluating them with harness/prog.c, which shares no code with the
 * parser), where parsing stops, and error offsets. */
#define TEST_NAME "case_expr"
#include "suite/case_expr.h"
#include "harness/arrival_eval.h"
#include "harness/xalloc.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *lookup(void *arg, const char *name, size_t *len,
                          bool *secret)
{
    if (strcmp(name, "size") == 0) {
        *len = 8;
        return "10240000";
    }
    if (strcmp(name, "s") == 0) {
        *len = 3;
        return "abc";
    }
    return NULL;
}

static const char *ehlo(void *arg)
{
    return "SIZE 10240000\nAUTH PLAIN";
}

static int last_code(void *arg)
{
    return 250;
}

/* A DSN as Postfix writes one (RFC 3464), with a bare LF in its text. */
static const char DSN[] =
    "From: MAILER-DAEMON\r\n"
    "Subject: Undelivered Mail\r\n"
    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
    "\tboundary=\"B\"\r\n"
    "\r\n"
    "--B\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "Status: 2.0.0 is not this one\nbare\r\n"
    "--B\r\n"
    "Content-Type: message/delivery-status\r\n"
    "\r\n"
    "Reporting-MTA: dns; relay.test\r\n"
    "\r\n"
    "Final-Recipient: rfc822; refuse@sink.test\r\n"
    "Action: failed\r\n"
    "Status: 5.1.1\r\n"
    "--B--\r\n";

static const struct arrival_view VIEW = {DSN, sizeof DSN - 1, "",
                                         "a@sink.test", "unsigned", 2};

static bool arrival(void *arg, struct arrival_view *out)
{
    *out = VIEW;
    return true;
}

static const struct prog_env ENV = {lookup, ehlo, last_code, NULL, NULL,
                                    arrival};

/* Parses and evaluates src as a template value. */
static void eval(const char *src, char *out, size_t outlen, size_t *stop)
{
    struct case_expr_err err;
    size_t pos = 0;
    struct prog_expr *e = case_expr_parse(src, strlen(src), &pos, 1, &err);
    if (!e) {
        snprintf(out, outlen, "error at %zu: %s", err.off, err.msg);
        return;
    }
    *stop = pos;
    struct prog_tmpl t = {0};
    prog_tmpl_add_expr(&t, e);
    struct buf b;
    buf_init(&b, 1 << 16);
    char msg[256];
    if (prog_eval_template(&t, &ENV, false, &b, NULL, msg, sizeof msg) == 0)
        snprintf(out, outlen, "%s", buf_str(&b));
    else
        snprintf(out, outlen, "eval: %s", msg);
    buf_free(&b);
    prog_expr_free(e);
    free(t.segs);
}

START_TEST(test_values)
{
    static const struct {
        const char *src, *want;
        size_t stop;
    } V[] = {
        {"1 + 2 * 3", "7", 9},
        {"(1 + 2) * 3", "9", 11},
        {"10 - 2 - 3", "5", 10},
        {"100 / 10 / 5", "2", 12},
        {"7 % 4 * 2", "6", 9},
        {"- 2 * 3", "-6", 7},
        {"--2", "2", 3},
        {"!0 + 1", "2", 6},
        {"1 < 2 == 1", "1", 10},
        {"1 == 1 && 2 == 3 || 4 >= 4", "1", 26},
        {"0 || 0 && 1", "0", 11},
        {"size + 1", "10240001", 8},
        {"size > 1000 && has(\"AUTH\", \"PLAIN\")", "1", 35},
        {"param(\"SIZE\") == size", "1", 21},
        {"s == \"abc\" && s != \"abd\"", "1", 24},
        {"len(cat(s, \"\\x00\", fill(3)))", "7", 28},
        {"upper(s)", "ABC", 8},
        {"code ( ) + 1", "251", 12},
        {"1 { rest", "1", 1},
        {"n as i {", "eval: 1:1: variable 'n' is not defined", 1},
        {"2 last", "2", 1},
        {"3 -> close", "3", 1},
        {"4 << 5", "4", 1},
        {"9223372036854775807", "9223372036854775807", 19},
        {"dsn_status()", "5.1.1", 12},
        {"contains(\"abc\", \"bc\") + contains(\"abc\", \"cb\")", "1", 45},
        {"ends(\"abc\", \"bc\") * 2 + ends(\"abc\", \"ab\") + ends(\"b\", \"abc\")", "2", 60},
        {"starts(\"abc\", \"ab\") * 2 + starts(\"abc\", \"bc\") + starts(\"\", \"\")",
         "3", 62},
        {"arrival_field(2)", "Subject: Undelivered Mail", 16},
        {"arrival_field(3)", "Content-Type: multipart/report; "
                             "report-type=delivery-status;\tboundary=\"B\"", 16},
        {"len(arrival_field(4))", "0", 21},
        {"starts(arrival_body(), \"--B\\r\\n\")", "1", 33},
        {"dsn_action() == \"failed\"", "1", 24},
        {"dsn_rcpt()", "refuse@sink.test", 10},
        {"arrival_header(\"SUBJECT\")", "Undelivered Mail", 25},
        {"arrival_header(\"x-none\") == \"\"", "1", 30},
        {"arrival_has(\"Reporting-MTA\") + arrival_has(\"nope\")", "1", 50},
        {"arrival_bare_lf()", "1", 17},
        {"cat(arrival_from(), \"|\", arrival_rcpt(), \"|\", arrival_class())",
         "|a@sink.test|unsigned", 62},
        {"arrival_count() * 10 + (arrival_size() > 300)", "21", 45},
    };
    char got[256];
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        size_t stop = 0;
        eval(V[i].src, got, sizeof got, &stop);
        ck_assert_msg(strcmp(got, V[i].want) == 0, "'%s': got '%s' want '%s'",
                      V[i].src, got, V[i].want);
        ck_assert_msg(stop == V[i].stop, "'%s': stopped at %zu, want %zu",
                      V[i].src, stop, V[i].stop);
    }
}
END_TEST

START_TEST(test_errors)
{
    static const struct {
        const char *src, *want;
    } V[] = {
        {"", "error at 0: an expression is missing"},
        {"1 +", "error at 3: an expression is missing"},
        {"* 2", "error at 0: want a value (a number, a \"string\", a name or "
                "'(')"},
        {"(1 + 2", "error at 6: want ')'"},
        {"9223372036854775808", "error at 0: number too large"},
        {"12ab", "error at 2: a number runs into a name"},
        {"f(1)", "error at 0: unknown function 'f'"},
        {"arrival_class(1)", "error at 0: arrival_class() takes 0 arguments, not 1"},
        {"dsn_status(", "error at 11: an expression is missing"},
        {"fill()", "error at 0: fill() takes 1 to 2 arguments, not 0"},
        {"b64(1, 2)", "error at 0: b64() takes 1 argument, not 2"},
        {"cat(1 2)", "error at 6: want ',' or ')' in the arguments of cat()"},
        {"\"a\\z\"",
         "error at 2: bad escape (want \\r \\n \\t \\0 \\\\ \\\" or "
         "\\xNN)"},
        {"x + \"ab", "error at 4: unterminated string (want a closing '\"')"},
    };
    char got[256];
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        size_t stop;
        eval(V[i].src, got, sizeof got, &stop);
        ck_assert_msg(strcmp(got, V[i].want) == 0, "'%s': got '%s' want '%s'",
                      V[i].src, got, V[i].want);
    }
}
END_TEST

/* Nesting is bounded: deep input is an error, not a stack overflow. */
START_TEST(test_depth)
{
    char src[4096];
    size_t n = 0;
    for (int i = 0; i < 1000; i++)
        src[n++] = '(';
    src[n++] = '1';
    for (int i = 0; i < 1000; i++)
        src[n++] = ')';
    src[n] = '\0';
    char got[256];
    size_t stop;
    eval(src, got, sizeof got, &stop);
    ck_assert_msg(strstr(got, "nested too deeply") != NULL, "%s", got);
    memset(src, '-', 2000);
    strcpy(src + 2000, "1");
    eval(src, got, sizeof got, &stop);
    ck_assert_msg(strstr(got, "nested too deeply") != NULL, "%s", got);
    /* 60 levels are fine */
    n = 0;
    for (int i = 0; i < 60; i++)
        src[n++] = '(';
    src[n++] = '1';
    for (int i = 0; i < 60; i++)
        src[n++] = ')';
    src[n] = '\0';
    eval(src, got, sizeof got, &stop);
    ck_assert_str_eq(got, "1");
}
END_TEST

/* Nodes record line and character column. */
START_TEST(test_positions)
{
    const char *src = "\xc3\xa9 zz + 1";
    struct case_expr_err err;
    size_t pos = 3;
    struct prog_expr *e = case_expr_parse(src, strlen(src), &pos, 7, &err);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->kind, PROG_EXPR_ADD);
    ck_assert_int_eq(e->line, 7);
    ck_assert_int_eq(e->col, 6);
    ck_assert_int_eq(e->a->col, 3);
    prog_expr_free(e);
    pos = 4;
    e = case_expr_parse(src, strlen(src), &pos, 7, &err);
    ck_assert_int_eq(e->a->col, 4);
    prog_expr_free(e);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_values);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_depth);
    tcase_add_test(tc, test_positions);
}

#include "check_main.h"
