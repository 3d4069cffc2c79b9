/* Tests of harness/result.c and reports/json.c: a run with every field
 * filled is written, read and written again, byte for byte the same;
 * counts over 2^32 survive; bad files give errors that say where. */
#define TEST_NAME "result_json"
#include "harness/result.h"
#include "harness/xalloc.h"
#include "reports/json.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct result_run *full_run(void)
{
    struct result_run *run = result_run_new("run");
    run->command = xstrdup("smtpsuite run cases/ --target 127.0.0.1:2525");
    run->shard = xstrdup("2/4");
    run->started_us = 1795911740123000LL;
    run->ended_us = 1795911741456000LL;
    run->incomplete = true;
    struct result_target *t = result_target_add(run);
    t->name = xstrdup("local");
    t->address = xstrdup("127.0.0.1:2525");
    t->banner = xstrdup("220 sink.test ESMTP\\r\\n");
    struct result_kv *p = result_property_add(run);
    p->name = xstrdup("profile");
    p->value = xstrdup("mx");
    struct result_counter *k = result_counter_add(run);
    k->name = xstrdup("sessions");
    k->value = 6000000000ULL; /* over 2^32 */
    struct result_hist *h = result_hist_add(run);
    h->name = xstrdup("eod");
    h->basis = xstrdup("intended");
    h->lowest_us = 1;
    h->highest_us = 3600000000LL;
    h->sigfig = 3;
    h->total = 5000000000ULL;
    struct result_bucket *b = result_bucket_add(h);
    b->index = 7;
    b->count = 4999999999ULL;
    b = result_bucket_add(h);
    b->index = 4000;
    b->count = 1;

    struct result_case *c = result_case_add(run);
    c->id = xstrdup("core.rset.clears-envelope");
    c->title = xstrdup("RSET discards the sender \"and\" recipients \xc3\xa9");
    c->rfc = xstrdup("RFC 5321 4.1.1.5");
    c->severity = xstrdup("must");
    c->file = xstrdup("cases/core/rset.smtp");
    c->line = 1;
    c->hash = xstrdup("ab12");
    result_case_add_tag(c, "core");
    result_case_add_tag(c, "rset");
    c->target = xstrdup("local");
    c->verdict = VERDICT_ERROR;
    c->category = ERRCAT_TEMPFAIL;
    c->reason = xstrdup("unexpected 451 at rcpt");
    c->alt = xstrdup("warn 5xx");
    c->decisive = 0;
    c->started_us = 1795911740200000LL;
    c->duration_us = 12345;
    c->retries = 2;
    struct result_conn *conn = result_conn_add(c);
    conn->name = xstrdup("main");
    conn->local = xstrdup("127.0.0.1:40000");
    conn->remote = xstrdup("127.0.0.1:2525");
    conn->banner = xstrdup("sink.test ESMTP");
    conn->ehlo = xstrdup("PIPELINING\nSIZE 1000");
    conn->ehlo_tls = xstrdup("PIPELINING");
    conn->tls = xcalloc(1, sizeof *conn->tls);
    conn->tls->protocol = xstrdup("TLSv1.3");
    conn->tls->cipher = xstrdup("TLS_AES_256_GCM_SHA384");
    conn->tls->group = xstrdup("x25519");
    conn->tls->sni = xstrdup("mx.example");
    conn->tls->verified = 0;
    conn->tls->verify_error = xstrdup("self-signed certificate");
    struct result_cert *cert = result_cert_add(conn->tls);
    cert->subject = xstrdup("CN=mx.example");
    cert->issuer = xstrdup("CN=mx.example");
    cert->san = xstrdup("DNS:mx.example");
    cert->not_after = xstrdup("2027-01-01T00:00:00.000Z");
    cert->pem = xstrdup("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    struct result_step *s = result_step_add(c);
    s->name = xstrdup("rcpt");
    s->conn = xstrdup("main");
    s->line = 14;
    s->sent = xstrdup("RCPT TO:<a@b>\\r\\n");
    s->expect = xstrdup("503 | warn 5xx");
    s->code = 451;
    s->esc = xstrdup("4.7.1");
    s->reply = xstrdup("451 4.7.1 try later\\r\\n");
    s->grade = VERDICT_ERROR;
    s->key = true;
    s->t_us = 100;
    s->latency_us = 250;
    s->note = xstrdup("greylisted?");
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    result_event_add(c, 0, '<', "main", "220 hi\r\n", 8);
    result_event_add(c, 5, '>', "main", all, sizeof all);
    result_event_add_escaped(c, 9, '*', "main", "note: timeout");
    c->events_dropped = 3;
    struct result_kv *cap = result_capture_add(c);
    cap->name = xstrdup("qid");
    cap->value = xstrdup("4ABCD");
    /* A second, minimal case: absent strings stay absent. */
    c = result_case_add(run);
    c->id = xstrdup("x.minimal");
    c->verdict = VERDICT_NOTRUN;
    return run;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    ck_assert_int_eq(fread(p, 1, (size_t)n, fp), (size_t)n);
    p[n] = '\0';
    fclose(fp);
    *len = (size_t)n;
    return p;
}

START_TEST(test_roundtrip)
{
    char dir[] = "/tmp/smtpsuite-json-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char a[256], b[256], err[512];
    snprintf(a, sizeof a, "%s/a.json", dir);
    snprintf(b, sizeof b, "%s/b.json", dir);
    struct result_run *run = full_run();
    ck_assert_msg(report_json_write(run, a, err, sizeof err) == 0, "%s", err);
    struct result_run *back = report_json_read(a, err, sizeof err);
    ck_assert_msg(back != NULL, "%s", err);
    ck_assert_msg(report_json_write(back, b, err, sizeof err) == 0, "%s", err);
    size_t la, lb;
    char *ta = slurp(a, &la), *tb = slurp(b, &lb);
    ck_assert_msg(la == lb && memcmp(ta, tb, la) == 0, "round trip differs");
    /* Spot checks of the model read back. */
    ck_assert_uint_eq(back->counters[0].value, 6000000000ULL);
    ck_assert_uint_eq(back->hists[0].buckets[0].count, 4999999999ULL);
    ck_assert_uint_eq(back->hists[0].total, 5000000000ULL);
    ck_assert_int_eq(back->ncases, 2);
    ck_assert_int_eq(back->cases[0].verdict, VERDICT_ERROR);
    ck_assert_int_eq(back->cases[0].category, ERRCAT_TEMPFAIL);
    ck_assert_str_eq(back->cases[0].conns[0].tls->protocol, "TLSv1.3");
    ck_assert_int_eq(back->cases[0].nevents, 3);
    ck_assert_ptr_null(back->cases[1].title);
    ck_assert_int_eq(back->cases[1].decisive, -1);
    ck_assert(back->incomplete);
    ck_assert_str_eq(back->run_id, run->run_id);
    /* The summary counts the verdicts. */
    ck_assert_ptr_nonnull(strstr(ta, "\"NOTRUN\": 1"));
    free(ta);
    free(tb);
    result_run_free(run);
    result_run_free(back);
    unlink(a);
    unlink(b);
    rmdir(dir);
}
END_TEST

START_TEST(test_bad_utf8_is_escaped)
{
    struct result_run *run = result_run_new("run");
    struct result_case *c = result_case_add(run);
    c->id = xstrdup("bad\xc0\x80utf8");
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    char err[256];
    ck_assert_int_eq(report_json_dump(run, fp, err, sizeof err), 0);
    fclose(fp);
    ck_assert_ptr_nonnull(strstr(text, "bad\\\\xc0\\\\x80utf8"));
    struct result_run *back = report_json_parse(text, len, "mem", err, sizeof err);
    ck_assert_msg(back != NULL, "%s", err);
    ck_assert_str_eq(back->cases[0].id, "bad\\xc0\\x80utf8");
    result_run_free(back);
    result_run_free(run);
    free(text);
}
END_TEST

START_TEST(test_read_errors)
{
    static const struct {
        const char *text;
        const char *want;
    } BAD[] = {
        {"{", "mem:1:"},
        {"[]", "top level"},
        {"{\"schema\": \"other/9\"}", "schema"},
        {"{\"schema\": \"smtpsuite-result/1\", \"cases\": [{\"verdict\": 3}]}",
         "cases[0].verdict"},
        {"{\"schema\": \"smtpsuite-result/1\", \"cases\": [{\"verdict\": \"MEH\"}]}",
         "cases[0].verdict: expected a verdict"},
        {"{\"schema\": \"smtpsuite-result/1\", \"started\": \"yesterday\"}",
         "run.started"},
        {"{\"schema\": \"smtpsuite-result/1\", \"counters\": {}}", "counters"},
        {"{\"schema\": \"smtpsuite-result/1\", \"histograms\": [{\"buckets\": [[1]]}]}",
         "histograms[0].buckets[0]"},
        {"{\"schema\": \"smtpsuite-result/1\", \"kind\": \"a\", \"kind\": \"b\"}",
         "duplicate"},
        /* found by fuzz_json: a transcript entry without "dir" was
         * accepted, then written as "" that nothing reads back */
        {"{\"schema\": \"smtpsuite-result/1\", \"cases\": [{\"transcript\": [{}]}]}",
         "cases[0].transcript[0]: expected a \"dir\""},
        {"{\"schema\": \"smtpsuite-result/1\", \"cases\": [{\"transcript\": "
         "[{\"dir\": \"x\"}]}]}",
         "cases[0].transcript[0].dir: expected one of"},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        char err[512] = "";
        struct result_run *r =
            report_json_parse(BAD[i].text, strlen(BAD[i].text), "mem", err, sizeof err);
        ck_assert_msg(r == NULL, "case %zu accepted", i);
        ck_assert_msg(strstr(err, BAD[i].want), "case %zu: got '%s' want '%s'", i,
                      err, BAD[i].want);
    }
}
END_TEST

START_TEST(test_event_bounds)
{
    struct result_case c;
    memset(&c, 0, sizeof c);
    char big[RESULT_EVENT_MAX * 2];
    memset(big, 'a', sizeof big);
    result_event_add(&c, 0, '<', "main", big, sizeof big);
    ck_assert(strlen(c.events[0].data) <= RESULT_EVENT_MAX + 64);
    ck_assert_ptr_nonnull(strstr(c.events[0].data, "bytes in all]"));
    for (int i = 1; i < RESULT_EVENTS_MAX + 10; i++)
        result_event_add(&c, i, '<', "main", "x", 1);
    ck_assert_uint_eq(c.nevents, RESULT_EVENTS_MAX);
    ck_assert_uint_eq(c.events_dropped, 10);
    result_case_clear(&c);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_bad_utf8_is_escaped);
    tcase_add_test(tc, test_read_errors);
    tcase_add_test(tc, test_event_bounds);
}

#include "check_main.h"
