/* Tests of harness/arrival_eval.c: DSN fields are read from the
 * message/delivery-status part only (RFC 3464 2.1), whatever the case of
 * names, blanks before the colon, folding and line ends; and the
 * functions give what a hand count of the octets gives. */
#include "harness/arrival_eval.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#define TEST_NAME "arrival_eval"

#define PART(f)                                                                \
    "--b\r\nContent-Type: message/delivery-status\r\n\r\n" f "--b--\r\n"

static const struct {
    const char *msg, *field, *want; /* want NULL: not found */
} DSN[] = {
    {PART("Final-Recipient: rfc822; a@b\r\nStatus: 5.1.1\r\n"), "status",
     "5.1.1"},
    {PART("STATUS : 4.2.2 (full)\r\n"), "status", "4.2.2 (full)"},
    {PART("Action: failed\nStatus: 5.0.0\n"), "status", "5.0.0"},
    {PART("Diagnostic-Code: smtp; 550 no\r\n  such user\r\n"),
     "diagnostic-code", "smtp; 550 no  such user"},
    /* only the delivery-status part counts */
    {"Status: 5.9.9\r\n\r\ntext\r\n" PART("Action: failed\r\n"), "status",
     NULL},
    {"Content-Type: multipart/report; report-type=delivery-status\r\n\r\n"
     "Status: 5.9.9\r\n",
     "status", NULL},
    /* the next part ends the search */
    {PART("Action: delayed\r\n") "--b\r\nStatus: 5.1.1\r\n", "status", NULL},
    {PART("Statuses: 1\r\nStatus:\r\n"), "status", ""},
    {"", "status", NULL},
};

START_TEST(test_dsn_fields)
{
    char out[ARRIVAL_EVAL_FIELD_MAX];
    const char *m = DSN[_i].msg;
    bool found =
        arrival_eval_dsn_field(m, strlen(m), DSN[_i].field, out, sizeof out);
    if (!DSN[_i].want) {
        ck_assert_msg(!found, "%d: found '%s', want nothing", _i, out);
        return;
    }
    ck_assert_msg(found, "%d: not found, want '%s'", _i, DSN[_i].want);
    ck_assert_msg(strcmp(out, DSN[_i].want) == 0, "%d: got '%s' want '%s'", _i,
                  out, DSN[_i].want);
}
END_TEST

static const char MSG[] = "Subject: x\r\nX-A: 1\r\n\r\nab\ncd\r\n.\n\r\n";

START_TEST(test_functions)
{
    static const struct {
        const char *fn, *arg;
        int64_t iv; /* when want is NULL */
        const char *want;
    } V[] = {
        {"arrival_size", NULL, sizeof MSG - 1, NULL},
        {"arrival_bare_lf", NULL, 2, NULL}, /* "ab\n" and ".\n" */
        {"arrival_bare_cr", NULL, 0, NULL},
        {"arrival_body", NULL, 0, "ab\ncd\r\n.\n\r\n"},
        {"arrival_field", "1", 0, "Subject: x"},
        {"arrival_field", "2", 0, "X-A: 1"},
        {"arrival_field", "3", 0, ""},
        {"arrival_field", "0", 0, ""},
        {"arrival_has", "cd\r\n.", 1, NULL},
        {"arrival_has", "X-B", 0, NULL},
        {"arrival_has", "", 1, NULL},
        {"arrival_count", NULL, 3, NULL},
        {"arrival_header", "x-a", 0, "1"},
        {"arrival_header", "Subject", 0, "x"},
        {"arrival_header", "ab", 0, ""},
        {"arrival_class", NULL, 0, "trace-only"},
        {"arrival_from", NULL, 0, "s@x"},
        {"arrival_rcpt", NULL, 0, "a@y b@y"},
        {"dsn_status", NULL, 0, ""}, /* not a DSN */
    };
    struct arrival_view v = {MSG,       sizeof MSG - 1, "s@x",
                             "a@y b@y", "trace-only",   3};
    for (size_t i = 0; i < sizeof V / sizeof *V; i++) {
        struct buf out;
        buf_init(&out, 1024);
        int64_t iv = -1;
        bool is_int = false;
        const char *a = V[i].arg ? V[i].arg : "";
        ck_assert_int_eq(
            arrival_eval_call(&v, V[i].fn, a, strlen(a), &out, &iv, &is_int),
            0);
        if (V[i].want) {
            ck_assert_msg(!is_int && strcmp(buf_str(&out), V[i].want) == 0,
                          "%s(%s): got '%s' want '%s'", V[i].fn, a,
                          buf_str(&out), V[i].want);
        } else {
            ck_assert_msg(is_int && iv == V[i].iv, "%s(%s): got %lld want %lld",
                          V[i].fn, a, (long long)iv, (long long)V[i].iv);
        }
        buf_free(&out);
    }
    ck_assert(arrival_eval_known("dsn_rcpt"));
    ck_assert(!arrival_eval_known("dsn_nope"));
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_loop_test(tc, test_dsn_fields, 0, sizeof DSN / sizeof DSN[0]);
    tcase_add_test(tc, test_functions);
}

#include "check_main.h"
