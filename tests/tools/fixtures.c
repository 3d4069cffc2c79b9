/* fixtures: deterministic result models for the report tests (see
 * fixtures.h). Wire bytes go in through bytes_escape_dup() and
 * result_event_add(), as the engine records them; other strings go in
 * as given, so hostile fixtures can put raw bytes where the model does
 * not promise escaping. */
#include "tests/tools/fixtures.h"
#include "harness/bytes.h"
#include "harness/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIX_START_US 1795911740000000LL /* 2026-11-29T00:22:20Z */
#define FIX_RUN_ID   "0123456789abcdef0123456789abcdef"
#define FIX_MIB      (1024 * 1024)

static struct result_run *new_run(const char *kind)
{
    struct result_run *run = result_run_new(kind);
    free(run->run_id);
    free(run->tool_version);
    run->run_id = xstrdup(FIX_RUN_ID);
    run->tool_version = xstrdup("0.1.0-test");
    run->command = xstrdup("smtpsuite run cases/ --target local");
    run->started_us = FIX_START_US;
    run->ended_us = FIX_START_US + 2500000;
    return run;
}

static void add_target(struct result_run *run, const char *name,
                       const char *addr, const char *banner)
{
    struct result_target *t = result_target_add(run);
    t->name = xstrdup(name);
    t->address = xstrdup(addr);
    t->banner = bytes_escape_dup(banner, strlen(banner));
}

static struct result_case *add_case(struct result_run *run, const char *id,
                                    const char *title, const char *sev,
                                    enum verdict v)
{
    struct result_case *c = result_case_add(run);
    c->id = xstrdup(id);
    c->title = xstrdup(title);
    c->rfc = xstrdup("RFC 5321 4.1.1");
    c->severity = xstrdup(sev);
    c->file = xasprintf("cases/%.*s/%s.smtp", (int)strcspn(id, "."), id,
                        strchr(id, '.') ? strchr(id, '.') + 1 : id);
    c->line = 1;
    c->hash = xstrdup("5e1f");
    c->target = xstrdup("local");
    c->verdict = v;
    c->started_us = FIX_START_US + 1000 * (int64_t)run->ncases;
    c->duration_us = 12345 + 1000 * (int64_t)run->ncases;
    result_case_add_tag(c, "core");
    return c;
}

/* A step: sent and reply are wire bytes (escaped here). */
static struct result_step *add_step(struct result_case *c, const char *name,
                                    int line, const char *sent,
                                    const char *expect, const char *reply,
                                    enum verdict grade)
{
    struct result_step *s = result_step_add(c);
    s->name = xstrdup(name);
    s->conn = xstrdup("main");
    s->line = line;
    if (sent)
        s->sent = bytes_escape_dup(sent, strlen(sent));
    s->expect = xstrdup(expect);
    if (reply) {
        s->code = atoi(reply);
        s->reply = bytes_escape_dup(reply, strlen(reply));
    }
    s->grade = grade;
    s->t_us = 100 * (int64_t)c->nsteps;
    s->latency_us = reply ? 250 + 10 * (int64_t)c->nsteps : -1;
    return s;
}

static void add_conn(struct result_case *c, bool tls)
{
    struct result_conn *cn = result_conn_add(c);
    cn->name = xstrdup("main");
    cn->local = xstrdup("127.0.0.1:40000");
    cn->remote = xstrdup("127.0.0.1:2525");
    cn->banner = xstrdup("sink.test ESMTP");
    cn->ehlo = xstrdup("PIPELINING\nSIZE 10240000\nSTARTTLS");
    if (!tls)
        return;
    cn->ehlo_tls = xstrdup("PIPELINING\nSIZE 10240000\nAUTH PLAIN");
    cn->tls = xcalloc(1, sizeof *cn->tls);
    cn->tls->protocol = xstrdup("TLSv1.3");
    cn->tls->cipher = xstrdup("TLS_AES_256_GCM_SHA384");
    cn->tls->group = xstrdup("x25519");
    cn->tls->sni = xstrdup("mx.example");
    cn->tls->verified = 0;
    cn->tls->verify_error = xstrdup("self-signed certificate");
    struct result_cert *cert = result_cert_add(cn->tls);
    cert->subject = xstrdup("CN=mx.example");
    cert->issuer = xstrdup("CN=mx.example");
    cert->san = xstrdup("DNS:mx.example");
    cert->not_after = xstrdup("2027-01-01T00:00:00.000Z");
}

/* The prologue and a dialogue: one transcript event per line. */
static void add_dialogue(struct result_case *c, const char *const *lines,
                         size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *l = lines[i];
        result_event_add(c, 100 * (int64_t)i, l[0], "main", l + 1,
                         strlen(l + 1));
    }
}

static const char *const DIALOGUE[] = {
    "<220 sink.test ESMTP\r\n", ">EHLO client.test\r\n",
    "<250-sink.test\r\n",       "<250-PIPELINING\r\n",
    "<250 SIZE 10240000\r\n",   ">MAIL FROM:<a@client.test>\r\n",
    "<250 2.1.0 Ok\r\n",        ">RCPT TO:<nobody@sink.test>\r\n",
    "<250 2.1.5 Ok\r\n",        ">QUIT\r\n",
    "<221 2.0.0 Bye\r\n",
};

#define NDIALOGUE (sizeof DIALOGUE / sizeof DIALOGUE[0])

static void add_prologue(struct result_case *c)
{
    add_step(c, "banner", 0, NULL, "220", "220 sink.test ESMTP\r\n",
             VERDICT_PASS);
    add_step(c, "ehlo", 0, "EHLO client.test\r\n", "250",
             "250-sink.test\r\n250-PIPELINING\r\n250 SIZE 10240000\r\n",
             VERDICT_PASS);
}

/* A case with the prologue, one judged step and the dialogue. */
static struct result_case *judged(struct result_run *run, const char *id,
                                  const char *title, const char *sev,
                                  enum verdict v, const char *expect,
                                  const char *reply, enum verdict grade)
{
    struct result_case *c = add_case(run, id, title, sev, v);
    add_conn(c, false);
    add_prologue(c);
    add_step(c, "mail", 12, "MAIL FROM:<a@client.test>\r\n", "250",
             "250 2.1.0 Ok\r\n", VERDICT_PASS);
    struct result_step *s = add_step(
        c, "rcpt", 14, "RCPT TO:<nobody@sink.test>\r\n", expect, reply, grade);
    s->key = true;
    c->decisive = (int)c->nsteps - 1;
    add_dialogue(c, DIALOGUE, NDIALOGUE);
    return c;
}

struct result_run *fixture_mixed(void)
{
    struct result_run *run = new_run("run");
    add_target(run, "local", "127.0.0.1:2525", "220 sink.test ESMTP\r\n");
    struct result_case *c;
    c = judged(run, "core.rset.clears-envelope",
               "RSET discards the sender and recipients", "must", VERDICT_PASS,
               "503 | warn 5xx | fail 2xx", "503 5.5.1 Error\r\n",
               VERDICT_PASS);
    c = judged(run, "core.rcpt.unknown-user", "An unknown recipient is refused",
               "must", VERDICT_FAIL, "550 | 551 | 553 | fail 2xx",
               "250 2.1.5 Ok\r\n", VERDICT_FAIL);
    c->reason = xstrdup("RCPT to an unknown user was accepted (250)");
    c = judged(run, "core.vrfy.disabled", "VRFY is answered without leaking",
               "should", VERDICT_WARN, "252 | warn 5xx", "502 5.5.1 no\r\n",
               VERDICT_WARN);
    c->reason = xstrdup("VRFY answered 502 where 252 is recommended");
    c->alt = xstrdup("warn 5xx");
    c = add_case(run, "tls.starttls.handshake", "STARTTLS negotiates TLS",
                 "must", VERDICT_ERROR);
    add_conn(c, true);
    add_step(c, "starttls", 8, "STARTTLS\r\n", "220", NULL, VERDICT_ERROR);
    c->category = ERRCAT_TLS;
    c->reason = xstrdup("TLS handshake failed: unexpected EOF");
    c->decisive = 0;
    c = add_case(run, "auth.plain.basic",
                 "AUTH PLAIN accepts good "
                 "credentials",
                 "must", VERDICT_SKIP);
    c->reason = xstrdup("the target has no fixture 'user'");
    c = judged(run, "pipelining.order.replies", "Pipelined replies keep order",
               "must", VERDICT_XFAIL, "250", "451 4.3.0 later\r\n",
               VERDICT_FAIL);
    c->reason = xstrdup("known deviation until 2027-01-01");
    c = judged(run, "smtputf8.mailbox.accept", "SMTPUTF8 mailboxes", "should",
               VERDICT_XPASS, "250", "250 2.1.5 Ok\r\n", VERDICT_PASS);
    c->reason = xstrdup("listed as a deviation but passed");
    c = add_case(run, "data.dot.stuffing", "Dot-stuffing is undone", "must",
                 VERDICT_NOTRUN);
    c = judged(run, "core.helo.basic", "HELO is answered", "may", VERDICT_PASS,
               "250", "250 sink.test\r\n", VERDICT_PASS);
    c = judged(run, "sec.smuggling.bare-lf",
               "Bare LF <script>alert(1)</script> does not end DATA", "sec",
               VERDICT_FAIL, "fail 250", "250 2.0.0 queued \x1b[31m\r\n",
               VERDICT_FAIL);
    c->reason = xstrdup("\"quoted\" & <b>bold</b> reason' --></pre>");
    return run;
}

/* The server reply of the hostile fixture: every byte 0x00-0xff, C0 80,
 * ED A0 80, U+FFFE, then a 1 MiB line. Returns its length. */
static size_t hostile_reply(char **out)
{
    size_t n = 0, cap = 256 + 16 + FIX_MIB + 2;
    char *p = xmalloc(cap);
    memcpy(p, "550 ", 4);
    n = 4;
    for (int b = 0; b < 256; b++)
        p[n++] = (char)b;
    static const char TAIL[] = "\xc0\x80 \xed\xa0\x80 \xef\xbf\xbe\r\n";
    memcpy(p + n, TAIL, sizeof TAIL - 1);
    n += sizeof TAIL - 1;
    memset(p + n, 'x', FIX_MIB);
    n += FIX_MIB;
    p[n++] = '\r';
    p[n++] = '\n';
    *out = p;
    return n;
}

/* The same bytes as a C string (no NUL: raw fields cannot hold one). */
static char *hostile_raw(void)
{
    char *r;
    size_t n = hostile_reply(&r);
    for (size_t i = 0; i < n; i++)
        if (r[i] == '\0')
            r[i] = '\x01';
    r[n - 1] = '\0'; /* drops the last LF */
    return r;
}

struct result_run *fixture_hostile(void)
{
    struct result_run *run = new_run("run");
    char *raw = hostile_raw();
    char *reply;
    size_t nreply = hostile_reply(&reply);
    add_target(run, "hostile\x1b[2J\xff", "127.0.0.1:2525", reply);
    struct result_kv *kv = result_property_add(run);
    kv->name = xstrdup("note\x01\xfe");
    kv->value = xstrdup(raw);
    struct result_case *c =
        add_case(run, "hostile.reply.every-byte", raw, "must", VERDICT_FAIL);
    add_conn(c, true);
    free(c->conns[0].banner);
    c->conns[0].banner = xstrdup(raw); /* raw, as a buggy engine might */
    free(c->conns[0].tls->cipher);
    c->conns[0].tls->cipher = xstrdup("\xed\xa0\x80\xc0\x80");
    struct result_step *s =
        add_step(c, "rcpt", 3, "RCPT TO:<a@b>\r\n", "250", NULL, VERDICT_FAIL);
    s->code = 550;
    s->reply = bytes_escape_dup(reply, nreply);
    s->note = xstrdup(raw);
    c->decisive = 0;
    c->reason = xstrdup(raw);
    result_event_add(c, 5, '<', "main", reply, nreply);
    result_event_add(c, 6, '<', "main\x1b", reply, 300);
    c = add_case(run, "hostile.raw\x1b[31m.\xc0\x80id\xef\xbf\xbe", raw, "sec",
                 VERDICT_ERROR);
    c->category = ERRCAT_PROTOCOL;
    c->reason = xstrdup(raw);
    add_step(c, "data_cmd", 9, "DATA\r\n", raw, NULL, VERDICT_ERROR);
    c->steps[0].reply = xstrdup(raw); /* raw where escaped is promised */
    c->steps[0].code = 550;
    c = add_case(run, "hostile.skip", "skip", "should", VERDICT_SKIP);
    c->reason = xstrdup(raw);
    c = add_case(run, "hostile.xfail", "xfail", "should", VERDICT_XFAIL);
    c->reason = xstrdup(raw);
    c = add_case(run, "hostile.pass", "pass", "may", VERDICT_PASS);
    free(c->target);
    c->target = xstrdup("hostile\x1b[2J\xff");
    for (size_t i = 0; i < run->ncases; i++) {
        free(run->cases[i].target);
        run->cases[i].target = xstrdup("hostile\x1b[2J\xff");
    }
    free(raw);
    free(reply);
    return run;
}

struct result_run *fixture_big(size_t n)
{
    static const char *const AREAS[] = {
        "core", "ehlo",      "tls",      "auth", "pipelining",
        "data", "smuggling", "chunking", "size", "smtputf8"};
    static const char *const SEVS[] = {"must", "must", "should", "may", "sec"};
    struct result_run *run = new_run("run");
    add_target(run, "local", "127.0.0.1:2525", "220 sink.test ESMTP\r\n");
    for (size_t i = 0; i < n; i++) {
        char id[96];
        snprintf(id, sizeof id, "%s.check-%05zu.behaviour",
                 AREAS[i % (sizeof AREAS / sizeof AREAS[0])], i);
        /* 1 in 20 fails, 1 in 25 warns, 1 in 33 is skipped. */
        enum verdict v = i % 20 == 7   ? VERDICT_FAIL
                         : i % 25 == 3 ? VERDICT_WARN
                         : i % 33 == 5 ? VERDICT_SKIP
                                       : VERDICT_PASS;
        struct result_case *c = judged(
            run, id, "The server answers the command as RFC 5321 requires",
            SEVS[i % (sizeof SEVS / sizeof SEVS[0])], v, "550 | 551 | fail 2xx",
            v == VERDICT_FAIL ? "250 2.1.5 Ok\r\n" : "550 5.1.1 unknown\r\n",
            v == VERDICT_SKIP ? VERDICT_PASS : v);
        if (v != VERDICT_PASS)
            c->reason = xstrdup(v == VERDICT_SKIP ? "fixture 'rcpt2' missing"
                                                  : "the reply was 250");
    }
    return run;
}

/* HdrHistogram's counts index of value v for (lowest, sigfig): written
 * here from the published layout, independently of reports/svg.c, which
 * goes the other way (index to value). */
uint32_t fixture_hdr_index(int64_t lowest, int sigfig, int64_t v)
{
    int64_t single = 2;
    for (int i = 0; i < sigfig; i++)
        single *= 10;
    int m = 0;
    while (((int64_t)1 << m) < single)
        m++;
    int half_mag = (m > 1 ? m : 1) - 1;
    int unit_mag = 0;
    while (((int64_t)2 << unit_mag) <= lowest)
        unit_mag++;
    int64_t half = (int64_t)1 << half_mag;
    uint64_t mask = (uint64_t)(2 * half - 1) << unit_mag;
    int pow2ceil = 64 - __builtin_clzll((uint64_t)v | mask);
    int bucket = pow2ceil - unit_mag - (half_mag + 1);
    int64_t sub = v >> (bucket + unit_mag);
    return (uint32_t)(((int64_t)(bucket + 1) << half_mag) + (sub - half));
}

/* Adds count samples of value v to h (buckets kept sorted, merged). */
static void hist_put(struct result_hist *h, int64_t v, uint64_t count)
{
    uint32_t idx = fixture_hdr_index(h->lowest_us, h->sigfig, v);
    for (size_t i = 0; i < h->nbuckets; i++) {
        if (h->buckets[i].index == idx) {
            h->buckets[i].count += count;
            h->total += count;
            return;
        }
    }
    struct result_bucket *b = result_bucket_add(h);
    b->index = idx;
    b->count = count;
    h->total += count;
}

static struct result_hist *add_hist(struct result_run *run, const char *name,
                                    int64_t median)
{
    struct result_hist *h = result_hist_add(run);
    h->name = xstrdup(name);
    h->basis = xstrdup("intended");
    h->lowest_us = 1;
    h->highest_us = 3600000000LL;
    h->sigfig = 3;
    /* A deterministic long-tailed shape: x, 2x, 4x ... fewer each time. */
    uint64_t count = 5000;
    for (int64_t v = median / 4; v < median * 400 && count; v = v * 3 / 2) {
        hist_put(h, v, count);
        count = v < median ? count * 2 : count / 3;
    }
    return h;
}

static void add_counter(struct result_run *run, const char *name, uint64_t v)
{
    struct result_counter *k = result_counter_add(run);
    k->name = xstrdup(name);
    k->value = v;
}

static void add_property(struct result_run *run, const char *name,
                         const char *value)
{
    struct result_kv *kv = result_property_add(run);
    kv->name = xstrdup(name);
    kv->value = xstrdup(value);
}

struct result_run *fixture_load(void)
{
    struct result_run *run = new_run("load");
    free(run->command);
    run->command = xstrdup("smtpsuite load cases/load --rate 200/s");
    add_target(run, "staging", "127.0.0.1:2525", "220 mx.staging ESMTP\r\n");
    add_hist(run, "session", 40000);
    add_hist(run, "rcpt", 900);
    add_hist(run, "eod", 15000);
    add_counter(run, "sessions", 120000);
    add_counter(run, "errors.rcpt.450", 312);
    add_counter(run, "errors.rcpt.550", 41);
    add_counter(run, "errors.eod.451", 12);
    add_counter(run, "errors.connect.timeout", 3);
    add_counter(run, "errors.mail.421", 7);
    add_property(run, "threshold.0.expr", "p99(eod) < 250ms");
    add_property(run, "threshold.0.observed", "212ms");
    add_property(run, "threshold.0.status", "pass");
    add_property(run, "threshold.1.expr", "error_rate < 0.1%");
    add_property(run, "threshold.1.observed", "0.31%");
    add_property(run, "threshold.1.status", "breach");
    return run;
}

struct result_run *fixture_multi(void)
{
    struct result_run *run = new_run("run");
    add_target(run, "postfix", "127.0.0.1:2525", "220 postfix ESMTP\r\n");
    add_target(run, "mx.example", "127.0.0.2:25", "220 mx ESMTP\r\n");
    for (int t = 0; t < 2; t++) {
        const char *name = run->targets[t].name;
        struct result_case *c = judged(
            run, "core.rcpt.unknown-user", "An unknown recipient is refused",
            "must", t ? VERDICT_FAIL : VERDICT_PASS, "550",
            t ? "250 ok\r\n" : "550 no\r\n", t ? VERDICT_FAIL : VERDICT_PASS);
        free(c->target);
        c->target = xstrdup(name);
        c = judged(run, "ehlo.keywords.size", "SIZE is advertised", "should",
                   VERDICT_PASS, "250", "250 ok\r\n", VERDICT_PASS);
        free(c->target);
        c->target = xstrdup(name);
    }
    return run;
}

struct result_run *fixture_one(enum verdict v, enum errcat cat)
{
    struct result_run *run = new_run("run");
    add_target(run, "local", "127.0.0.1:2525", "220 sink.test ESMTP\r\n");
    struct result_case *c =
        judged(run, "core.one.case", "one case", "must", v, "550",
               "250 2.1.5 Ok\r\n", v == VERDICT_XFAIL ? VERDICT_FAIL : v);
    c->category = cat;
    c->reason = xstrdup("the reason");
    return run;
}

struct result_run *fixture_by_name(const char *spec)
{
    if (strcmp(spec, "mixed") == 0)
        return fixture_mixed();
    if (strcmp(spec, "hostile") == 0)
        return fixture_hostile();
    if (strcmp(spec, "load") == 0)
        return fixture_load();
    if (strcmp(spec, "multi") == 0)
        return fixture_multi();
    if (strncmp(spec, "big:", 4) == 0 && spec[4])
        return fixture_big(strtoul(spec + 4, NULL, 10));
    return NULL;
}
