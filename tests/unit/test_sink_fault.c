/* Tests of harness/sink_fault.c: rules and settings parse, bad rules
 * give one line naming the rule (and file:line), every preset parses,
 * and matching collects the effects of the rows that apply. */
#include "harness/sink_fault.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEST_NAME "sink_fault"

struct bad {
    const char *rule;
    const char *msg; /* expected substring of the error */
};

static const struct bad BAD[] = {
    {"RCPT", "expected 'COMMAND[@state][~pattern] -> action'"},
    {"FROB -> accept", "unknown command 'FROB'"},
    {"RCPT@nowhere -> accept", "unknown state 'nowhere'"},
    {"RCPT~( -> accept", "bad pattern '('"},
    {"RCPT -> explode", "unknown action 'explode'"},
    {"RCPT -> reply 99 no", "a reply needs a code from 200 to 599"},
    {"RCPT -> reply 650 no", "a reply needs a code from 200 to 599"},
    {"RCPT -> delay 5", "5"},
    {"RCPT -> accept now", "accept takes no argument"},
    {"EHLO -> drop", "drop needs one EHLO keyword"},
    {"RCPT ->", "no action after '->'"},
    {"bare-lf=maybe", "bare-lf wants keep, reject, line-end or eod"},
    {"line-limit=3", "line-limit wants 16..65536 octets"},
    {"rcpt-limit=0", "rcpt-limit wants 1..100000"},
    {"size-limit=x", "size-limit wants"},
    {"unstuff=perhaps", "unstuff wants on or off"},
    {"colour=blue", "unknown setting 'colour'"},
    {"tls-cert=stale", "tls-cert wants normal, expired, wrong-name or "
                       "self-signed"},
    {"tls-max=SSLv3", "tls-max wants TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3"},
    {"tls-tail=run", "tls-tail wants discard or execute"},
    {"auth-check=sometimes", "auth-check wants on or off"},
    {"scram-signature=ugly", "scram-signature wants good or bad"},
    {"STARTTLS -> tls-fail now", "tls-fail takes no argument"},
    {"no-such-preset", "expected"},
    {"LINE -> accept", "LINE needs a pattern"},
    {"NOOP -> raw", "raw needs bytes"},
    {"NOOP -> raw 250 \\q", "raw needs bytes"},
    {"NOOP -> reset now", "reset takes no argument"},
    {"serial=maybe", "serial wants on or off"},
    {"EOD -> delay 10ms,,20ms", "delay"},
    {"EOD -> delay 10ms,soon", "soon"},
    {"EOD -> delay 1ms,2ms,3ms,4ms,5ms,6ms,7ms,8ms,9ms,10ms,11ms,12ms,13ms,"
     "14ms,15ms,16ms,17ms",
     "at most 16 durations"},
};

START_TEST(test_bad_rules)
{
    const struct bad *b = &BAD[_i];
    struct sink_fault_table *t = sink_fault_new();
    char err[512] = "";
    ck_assert_int_eq(sink_fault_add(t, b->rule, "--fault", err, sizeof err),
                     -1);
    char want_head[256];
    snprintf(want_head, sizeof want_head, "--fault: fault '%s': ", b->rule);
    ck_assert_msg(strncmp(err, want_head, strlen(want_head)) == 0,
                  "%s: got '%s', want it to start '%s'", b->rule, err,
                  want_head);
    ck_assert_msg(strstr(err, b->msg), "%s: got '%s', want '%s' in it", b->rule,
                  err, b->msg);
    ck_assert_msg(!strchr(err, '\n'), "%s: error is not one line", b->rule);
    ck_assert_uint_eq(sink_fault_count(t), 0);
    sink_fault_free(t);
}
END_TEST

START_TEST(test_presets_parse)
{
    size_t n;
    const struct sink_fault_preset *p = sink_fault_presets(&n);
    ck_assert_uint_gt(n, 30);
    for (size_t i = 0; i < n; i++) {
        struct sink_fault_table *t = sink_fault_new();
        char err[512] = "";
        ck_assert_msg(
            sink_fault_add(t, p[i].name, "--fault", err, sizeof err) == 0,
            "preset %s: %s", p[i].name, err);
        for (size_t k = 0; k < i; k++)
            ck_assert_str_ne(p[k].name, p[i].name);
        sink_fault_free(t);
    }
}
END_TEST

START_TEST(test_settings)
{
    struct sink_fault_table *t = sink_fault_new();
    char err[512];
    const struct sink_fault_settings *s = sink_fault_settings(t);
    ck_assert_int_eq(s->bare_lf, -1);
    ck_assert_int_eq(s->rcpt_limit, -1);
    const char *rules[] = {
        "bare-lf=eod",       " bare-cr = reject ", "line-limit=512",
        "rcpt-limit=7",      "size-limit=1000",    "unstuff=off",
        "enhanced-codes=on", "error-limit=20",     "strip-nul=on",
        "dot-dot-eod=off",   "serial=on"};
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        ck_assert_msg(sink_fault_add(t, rules[i], "x", err, sizeof err) == 0,
                      "%s: %s", rules[i], err);
    ck_assert_int_eq(s->bare_lf, SINK_BARE_EOD);
    ck_assert_int_eq(s->bare_cr, SINK_BARE_REJECT);
    ck_assert_int_eq(s->line_limit, 512);
    ck_assert_int_eq(s->rcpt_limit, 7);
    ck_assert_int_eq(s->size_limit, 1000);
    ck_assert_int_eq(s->error_limit, 20);
    ck_assert_int_eq(s->unstuff, 0);
    ck_assert_int_eq(s->esc, 1);
    ck_assert_int_eq(s->strip_nul, 1);
    ck_assert_int_eq(s->dotdot_eod, 0);
    ck_assert_int_eq(s->serial, 1);
    ck_assert_uint_eq(sink_fault_count(t), 0); /* settings are no rows */
    sink_fault_free(t);
}
END_TEST

/* The TLS and AUTH settings start unset (-1) and take their words. */
START_TEST(test_tls_auth_settings)
{
    struct sink_fault_table *t = sink_fault_new();
    char err[512];
    const struct sink_fault_settings *s = sink_fault_settings(t);
    const int *unset[] = {&s->tls_cert,           &s->tls_max,
                          &s->tls_tail,           &s->tls_reset,
                          &s->auth_check,         &s->auth_needs_tls,
                          &s->starttls_after_tls, &s->scram_signature};
    for (size_t i = 0; i < sizeof unset / sizeof unset[0]; i++)
        ck_assert_int_eq(*unset[i], -1);
    const char *rules[] = {"tls-cert=wrong-name",   "tls-max=TLSv1.1",
                           "tls-tail=execute",      "tls-reset=off",
                           "auth-check=off",        "auth-needs-tls=off",
                           "starttls-after-tls=on", "scram-signature=bad"};
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        ck_assert_msg(sink_fault_add(t, rules[i], "x", err, sizeof err) == 0,
                      "%s: %s", rules[i], err);
    ck_assert_int_eq(s->tls_cert, 2); /* normal, expired, wrong-name */
    ck_assert_str_eq(SINK_FAULT_TLS_VERSIONS[s->tls_max], "TLSv1.1");
    ck_assert_int_eq(s->tls_tail, 1);
    ck_assert_int_eq(s->tls_reset, 0);
    ck_assert_int_eq(s->auth_check, 0);
    ck_assert_int_eq(s->auth_needs_tls, 0);
    ck_assert_int_eq(s->starttls_after_tls, 1);
    ck_assert_int_eq(s->scram_signature, 1);
    /* tls-fail is an action; SASL is the pseudo-command of AUTH lines */
    ck_assert_int_eq(
        sink_fault_add(t, "STARTTLS -> tls-fail", "x", err, sizeof err), 0);
    ck_assert_int_eq(
        sink_fault_add(t, "SASL -> delay 1s", "x", err, sizeof err), 0);
    struct sink_fault_effect e;
    sink_fault_match(t, SINK_STATE_READY, "STARTTLS", "", &e);
    ck_assert(e.tls_fail);
    sink_fault_match(t, SINK_STATE_READY, "SASL", "", &e);
    ck_assert(!e.tls_fail);
    ck_assert_int_eq(e.delay_us, 1000000);
    sink_fault_free(t);
}
END_TEST

START_TEST(test_match)
{
    struct sink_fault_table *t = sink_fault_new();
    char err[512];
    const char *rules[] = {
        "RCPT@mail~^TO:<b@ -> reply 451 4.3.0 try\\nlater; delay 250ms",
        "rcpt -> extra 250 2.0.0 one; extra 251 two",
        "* -> keep-state",
        "EHLO -> drop CHUNKING; add X-FOO bar",
        "CONNECT -> close-before",
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        ck_assert_msg(sink_fault_add(t, rules[i], "x", err, sizeof err) == 0,
                      "%s: %s", rules[i], err);
    struct sink_fault_effect e;
    sink_fault_match(t, SINK_STATE_MAIL, "RCPT", "TO:<b@y.test>", &e);
    ck_assert_ptr_nonnull(e.reply);
    ck_assert_int_eq(e.reply->code, 451);
    ck_assert_str_eq(e.reply->esc, "4.3.0");
    ck_assert_str_eq(e.reply->text, "try\nlater");
    ck_assert_int_eq(e.delay_us, 250000);
    ck_assert_uint_eq(e.nextra, 2);
    ck_assert_int_eq(e.extra[1]->code, 251);
    ck_assert_str_eq(e.extra[1]->esc, "");
    ck_assert_str_eq(e.extra[1]->text, "two");
    ck_assert(e.keep_state);
    ck_assert(!e.close_before);
    /* other state, other argument: only the unconditional rows */
    sink_fault_match(t, SINK_STATE_RCPT, "RCPT", "TO:<b@y.test>", &e);
    ck_assert_ptr_null(e.reply);
    ck_assert_uint_eq(e.nextra, 2);
    sink_fault_match(t, SINK_STATE_MAIL, "RCPT", "TO:<c@y.test>", &e);
    ck_assert_ptr_null(e.reply);
    /* "*" is every client command, not the server's own events */
    sink_fault_match(t, SINK_STATE_INIT, "CONNECT", "", &e);
    ck_assert(e.close_before);
    ck_assert(!e.keep_state);
    sink_fault_match(t, SINK_STATE_READY, "EHLO", "x", &e);
    ck_assert_uint_eq(e.nkw, 2);
    ck_assert_int_eq(e.kw[0]->kind, SINK_FAULT_DROP);
    ck_assert_str_eq(e.kw[1]->text, "X-FOO bar");
    sink_fault_free(t);
}
END_TEST

/* "delay A,B,C" cycles by the session's number; a single delay, or a
 * session of unknown number (0), gets the first. The oracle is the
 * table written out by hand. */
START_TEST(test_delay_cycle)
{
    struct sink_fault_table *t = sink_fault_new();
    char err[512];
    ck_assert_int_eq(sink_fault_add(t, "EOD -> delay 10ms, 20ms,50ms", "x",
                                    err, sizeof err),
                     0);
    ck_assert_int_eq(
        sink_fault_add(t, "RSET -> delay 7ms", "x", err, sizeof err), 0);
    static const int64_t want[] = {10000, 10000, 20000, 50000, 10000,
                                   20000, 50000, 10000};
    struct sink_fault_effect e;
    sink_fault_match(t, SINK_STATE_DATA, "EOD", "", &e);
    for (uint64_t k = 0; k < sizeof want / sizeof want[0]; k++)
        ck_assert_msg(sink_fault_delay_us(&e, k) == want[k],
                      "session %llu: got %lld us, want %lld",
                      (unsigned long long)k,
                      (long long)sink_fault_delay_us(&e, k),
                      (long long)want[k]);
    ck_assert_int_eq(e.delay_us, 10000);
    sink_fault_match(t, SINK_STATE_READY, "RSET", "", &e);
    ck_assert_int_eq(sink_fault_delay_us(&e, 2), 7000);
    sink_fault_match(t, SINK_STATE_READY, "NOOP", "", &e);
    ck_assert_int_eq(sink_fault_delay_us(&e, 2), 0);
    sink_fault_free(t);
}
END_TEST

/* LINE rows: the whole line, case-sensitively, added to other effects;
 * raw, reset and flush. */
START_TEST(test_match_line)
{
    struct sink_fault_table *t = sink_fault_new();
    char err[512];
    const char *rules[] = {
        "LINE~^rset +$ -> raw 250 a\\x00b\\r\\n",
        "LINE@mail~^RSET -> reset; flush",
        "RSET -> delay 1s",
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        ck_assert_msg(sink_fault_add(t, rules[i], "x", err, sizeof err) == 0,
                      "%s: %s", rules[i], err);
    struct sink_fault_effect e;
    sink_fault_match(t, SINK_STATE_READY, "RSET", "", &e);
    ck_assert_int_eq(e.delay_us, 1000000);
    ck_assert_ptr_null(e.raw); /* LINE rows never match here */
    sink_fault_match_line(t, SINK_STATE_READY, "rset  xyz", 6, &e);
    ck_assert_ptr_nonnull(e.raw);
    ck_assert_uint_eq(e.raw->len, 9);
    ck_assert(memcmp(e.raw->text, "250 a\0b\r\n", 9) == 0);
    ck_assert_int_eq(e.delay_us, 1000000); /* kept: effects add up */
    ck_assert(!e.reset);
    sink_fault_match(t, SINK_STATE_MAIL, "RSET", "", &e);
    sink_fault_match_line(t, SINK_STATE_MAIL, "RSET", 4, &e);
    ck_assert_ptr_null(e.raw);
    ck_assert(e.reset && e.flush);
    sink_fault_match(t, SINK_STATE_MAIL, "RSET", "", &e);
    sink_fault_match_line(t, SINK_STATE_MAIL, "rset", 4, &e);
    ck_assert(!e.reset);
    sink_fault_free(t);
}
END_TEST

START_TEST(test_file)
{
    char path[] = "/tmp/test_sink_fault_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *fp = fdopen(fd, "w");
    fputs("# faults for a test\n\nRSET -> keep-state\n  rcpt-limit=5\n"
          "NOOP -> frob\n",
          fp);
    fclose(fp);
    struct sink_fault_table *t = sink_fault_new();
    char err[512] = "";
    ck_assert_int_eq(sink_fault_load(t, path, err, sizeof err), -1);
    char want[600];
    snprintf(want, sizeof want,
             "%s:5: fault 'NOOP -> frob': unknown action 'frob'", path);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got '%s' want '%s'",
                  err, want);
    ck_assert_uint_eq(sink_fault_count(t), 1);
    ck_assert_int_eq(sink_fault_settings(t)->rcpt_limit, 5);
    ck_assert_int_eq(sink_fault_load(t, "/nonexistent/faults", err, sizeof err),
                     -1);
    ck_assert_str_eq(err, "/nonexistent/faults: No such file or directory");
    sink_fault_free(t);
    unlink(path);
}
END_TEST

/* "once": the row matches the first time only; other rows go on. */
START_TEST(test_once)
{
    struct sink_fault_table *t = sink_fault_new();
    char err[512];
    ck_assert_int_eq(sink_fault_add(t, "EOD~x1 -> accept; close-before; once",
                                    "x", err, sizeof err),
                     0);
    ck_assert_int_eq(
        sink_fault_add(t, "NOOP -> reply 250 y", "x", err, sizeof err), 0);
    struct sink_fault_effect fx;
    sink_fault_match(t, SINK_STATE_DATA, "EOD", "a x2 b", &fx);
    ck_assert_msg(!fx.close_before, "got a match for x2, want none");
    sink_fault_match(t, SINK_STATE_DATA, "EOD", "a x1 b", &fx);
    ck_assert_msg(fx.close_before && fx.accept, "got no match, want one");
    sink_fault_match(t, SINK_STATE_DATA, "EOD", "a x1 b", &fx);
    ck_assert_msg(!fx.close_before, "got a second match, want none");
    for (int i = 0; i < 2; i++) {
        sink_fault_match(t, SINK_STATE_READY, "NOOP", "", &fx);
        ck_assert_ptr_nonnull(fx.reply);
    }
    sink_fault_free(t);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_once);
    tcase_add_loop_test(tc, test_bad_rules, 0, sizeof BAD / sizeof BAD[0]);
    tcase_add_test(tc, test_presets_parse);
    tcase_add_test(tc, test_settings);
    tcase_add_test(tc, test_tls_auth_settings);
    tcase_add_test(tc, test_match);
    tcase_add_test(tc, test_match_line);
    tcase_add_test(tc, test_delay_cycle);
    tcase_add_test(tc, test_file);
}

#include "check_main.h"
