/* Tests of harness/engine.c, session.c and session_judge.c against a
 * scripted fake server in a thread (plain blocking sockets, no code from
 * the engine): verdicts, graded alternatives, timeouts, the REPLY
 * invariants, pipelining, closes, skips, order of results. */
#define TEST_NAME "engine"
#include "harness/engine.h"
#include "harness/xalloc.h"

#include "harness/tls.h"

#include <arpa/inet.h>
#include <check.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the fake server ---------------------------------------------------- */

struct rule {
    const char *prefix; /* command prefix (case-sensitive) */
    const char *reply;  /* bytes sent back; NULL: no reply; "CLOSE": close */
};

struct fake {
    const char *greeting;
    const struct rule *rules;
    SSL_CTX *tls;       /* STARTTLS (and implicit with `implicit`) */
    int implicit;
    const char *after_220; /* plaintext sent right after STARTTLS's 220 */
    int lfd;
    int port;
    pthread_t th;
    int conns; /* served so far */
};

static const char *EHLO_OK = "250-fake.test\r\n250-PIPELINING\r\n250 SIZE 1000\r\n";

static SSL *SSLX; /* the fake's TLS state for the current connection */

static ssize_t xread(int fd, void *p, size_t n)
{
    return SSLX ? SSL_read(SSLX, p, (int)n) : read(fd, p, n);
}

static void xwrite(int fd, const char *p, size_t n)
{
    if (SSLX)
        SSL_write(SSLX, p, (int)n);
    else
        (void)!write(fd, p, n);
}

static int fake_tls(struct fake *f, int fd)
{
    SSLX = SSL_new(f->tls);
    SSL_set_fd(SSLX, fd);
    if (SSL_accept(SSLX) != 1) {
        SSL_free(SSLX);
        SSLX = NULL;
        return -1;
    }
    return 0;
}

static void serve(struct fake *f, int fd)
{
    char buf[65536];
    size_t have = 0;
    int in_data = 0;
    SSLX = NULL;
    if (f->implicit && fake_tls(f, fd) != 0)
        goto out;
    if (f->greeting)
        xwrite(fd, f->greeting, strlen(f->greeting));
    for (;;) {
        ssize_t n = xread(fd, buf + have, sizeof buf - have - 1);
        if (n <= 0)
            break;
        have += (size_t)n;
        buf[have] = '\0';
        for (;;) {
            if (in_data) {
                char *end = strstr(buf, "\r\n.\r\n");
                if (!end)
                    break;
                size_t used = (size_t)(end - buf) + 5;
                memmove(buf, buf + used, have - used + 1);
                have -= used;
                in_data = 0;
                xwrite(fd, "250 2.0.0 queued as X1\r\n", 24);
                continue;
            }
            char *lf = strstr(buf, "\r\n");
            if (!lf)
                break;
            *lf = '\0';
            const char *reply = "500 5.5.2 unknown\r\n";
            for (const struct rule *r = f->rules; r && r->prefix; r++)
                if (strncmp(buf, r->prefix, strlen(r->prefix)) == 0) {
                    reply = r->reply;
                    break;
                }
            int quit = strncmp(buf, "QUIT", 4) == 0;
            if (strncmp(buf, "DATA", 4) == 0 && reply && strncmp(reply, "354", 3) == 0)
                in_data = 1;
            size_t used = (size_t)(lf - buf) + 2;
            memmove(buf, buf + used, have - used + 1);
            have -= used;
            if (reply && strcmp(reply, "CLOSE") == 0)
                goto out;
            if (strncmp(reply ? reply : "", "220", 3) == 0 && f->tls && !SSLX) {
                xwrite(fd, reply, strlen(reply));
                if (f->after_220)
                    xwrite(fd, f->after_220, strlen(f->after_220));
                have = 0;
                if (fake_tls(f, fd) != 0)
                    goto out;
                continue;
            }
            if (reply)
                xwrite(fd, reply, strlen(reply));
            if (quit)
                goto out;
        }
    }
out:
    if (SSLX) {
        SSL_shutdown(SSLX);
        SSL_free(SSLX);
        SSLX = NULL;
    }
    close(fd);
}

static void *fake_main(void *arg)
{
    struct fake *f = arg;
    for (;;) {
        int fd = accept(f->lfd, NULL, NULL);
        if (fd < 0)
            break;
        f->conns++;
        serve(f, fd);
    }
    return NULL;
}

static void fake_start(struct fake *f)
{
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(f->lfd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(f->lfd, 16), 0);
    socklen_t len = sizeof a;
    getsockname(f->lfd, (struct sockaddr *)&a, &len);
    f->port = ntohs(a.sin_port);
    pthread_create(&f->th, NULL, fake_main, f);
}

static void fake_stop(struct fake *f)
{
    shutdown(f->lfd, SHUT_RDWR);
    close(f->lfd);
    pthread_join(f->th, NULL);
}

/* ---- building cases ------------------------------------------------------ */

static struct prog_case *new_case(const char *id, enum prog_severity sev)
{
    struct prog_case *c = prog_case_new();
    c->id = xstrdup(id);
    c->title = xstrdup(id);
    c->rfc = xstrdup("RFC 5321");
    c->severity = sev;
    c->file = xstrdup("test.smtp");
    c->hash = xstrdup("0");
    return c;
}

static void add_open(struct prog_case *c)
{
    prog_step_add(c, PROG_STEP_OPEN)->line = 1;
}

static void add_send(struct prog_case *c, const char *line, int lineno)
{
    struct prog_step *s = prog_step_add(c, PROG_STEP_SEND);
    prog_tmpl_add_lit(&s->tmpl, line, strlen(line));
    s->line = lineno;
}

/* alts: "503", "warn 5xx", "fail 2xx", "close", "timeout", "421>close". */
static struct prog_step *add_expect(struct prog_case *c, int lineno, int nalts, ...)
{
    struct prog_step *s = prog_step_add(c, PROG_STEP_EXPECT);
    s->line = lineno;
    va_list ap;
    va_start(ap, nalts);
    for (int i = 0; i < nalts; i++) {
        const char *a = va_arg(ap, const char *);
        struct prog_match *m = prog_match_add(&s->expect);
        m->text = xstrdup(a);
        if (strncmp(a, "warn ", 5) == 0)
            m->grade = PROG_GRADE_WARN, a += 5;
        else if (strncmp(a, "fail ", 5) == 0)
            m->grade = PROG_GRADE_FAIL, a += 5;
        if (strcmp(a, "close") == 0)
            m->kind = PROG_MATCH_CLOSE;
        else if (strcmp(a, "timeout") == 0)
            m->kind = PROG_MATCH_TIMEOUT;
        else {
            memcpy(m->code, a, 3);
            if (strstr(a, ">close"))
                m->then = PROG_THEN_CLOSE;
        }
    }
    va_end(ap);
    return s;
}

/* connect plain, 220, STARTTLS, 220, then `handshake expect WANT [else
 * warn]` (the key), then `assert tls_version() == version`. */
static struct prog_case *tls_expect_case(const char *id, enum prog_tls_expect want,
                                         bool warn, int version)
{
    struct prog_case *c = new_case(id, PROG_SEV_MUST);
    struct prog_step *s = prog_step_add(c, PROG_STEP_CONNECT);
    s->tls_mode = 0;
    s->line = 1;
    add_expect(c, 2, 1, "220");
    add_send(c, "STARTTLS", 3);
    add_expect(c, 4, 1, "220");
    s = prog_step_add(c, PROG_STEP_HANDSHAKE);
    s->line = 5;
    s->tls_expect = want;
    s->grade_false = warn ? PROG_GRADE_WARN : PROG_GRADE_FAIL;
    s->key = true;
    s->text = xstrdup("handshake expect ...");
    c->key_step = (int)c->nsteps - 1;
    s = prog_step_add(c, PROG_STEP_ASSERT);
    s->line = 6;
    s->expr = prog_expr_new(PROG_EXPR_EQ, 6, 8);
    s->expr->a = prog_expr_new(PROG_EXPR_CALL, 6, 8);
    s->expr->a->sval = xstrdup("tls_version");
    s->expr->b = prog_expr_new(PROG_EXPR_INT, 6, 25);
    s->expr->b->ival = version;
    s->text = xstrdup("assert tls_version() == N");
    return c;
}

static struct target *new_target(int port)
{
    struct target *t = target_new();
    char addr[64], err[128];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    ck_assert_int_eq(target_parse_address(t, addr, err, sizeof err), 0);
    free(t->name);
    t->name = xstrdup("fake");
    target_set_fixture(t, "sender", "a@client.test", 13, false);
    return t;
}

static const struct timeouts FAST = {
    .connect = 2000000, .banner = 2000000, .command = 500000,
    .data_init = 500000, .eod = 500000, .tls = 2000000, .quit = 500000,
    .case_total = 10000000,
};

static size_t order[64];
static size_t norder;

static void on_result(void *arg, size_t idx, const struct result_case *rc)
{
    order[norder++] = idx;
}

static struct result_case *run_cases(struct prog_case **cases, size_t n,
                                     struct target *t, long jobs)
{
    struct result_case *out = xcalloc(n, sizeof *out);
    struct engine_params p = {0};
    p.jobs = jobs;
    p.tmo = &FAST;
    p.run_id = "testrun";
    p.on_result = on_result;
    norder = 0;
    bool interrupted;
    char err[256];
    engine_run(cases, n, t, &p, out, &interrupted, err, sizeof err);
    ck_assert(!interrupted);
    ck_assert_uint_eq(norder, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(order[i], i);
    return out;
}

static void free_all(struct prog_case **cases, struct result_case *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        prog_case_free(cases[i]);
        result_case_clear(&out[i]);
    }
    free(out);
}

/* ---- tests ------------------------------------------------------------------ */

static const struct rule BASIC[] = {
    {"EHLO", NULL}, /* replaced in tests by EHLO_OK */
    {NULL, NULL},
};

START_TEST(test_graded_rcpt)
{
    /* RCPT before MAIL: 503 passes, other 5xx warns, 2xx fails, 4xx is
     * ERROR tempfail; the unexpected 354 (unlisted) fails at "must". */
    static const char *const REPLIES[] = {"503 5.5.1 need MAIL\r\n",
                                          "550 5.5.1 no\r\n", "250 2.1.5 ok\r\n",
                                          "451 4.3.0 later\r\n", "354 go\r\n"};
    static const enum verdict WANT[] = {VERDICT_PASS, VERDICT_WARN, VERDICT_FAIL,
                                        VERDICT_ERROR, VERDICT_FAIL};
    for (size_t i = 0; i < 5; i++) {
        struct rule rules[] = {{"EHLO", EHLO_OK}, {"RCPT", REPLIES[i]},
                               {"QUIT", "221 2.0.0 bye\r\n"}, {NULL, NULL}};
        struct fake f = {.greeting = "220 fake.test ESMTP\r\n", .rules = rules};
        fake_start(&f);
        struct target *t = new_target(f.port);
        struct prog_case *c = new_case("txn.rcpt-before-mail", PROG_SEV_MUST);
        add_open(c);
        add_send(c, "RCPT TO:<x@fake.test>", 3);
        struct prog_step *k = add_expect(c, 4, 3, "503", "warn 5xx", "fail 2xx");
        k->key = true;
        c->key_step = (int)c->nsteps - 1;
        struct prog_case *cases[] = {c};
        struct result_case *out = run_cases(cases, 1, t, 1);
        ck_assert_msg(out[0].verdict == WANT[i], "reply %zu: got %s want %s (%s)", i,
                      verdict_name(out[0].verdict), verdict_name(WANT[i]),
                      out[0].reason ? out[0].reason : "");
        if (WANT[i] == VERDICT_ERROR)
            ck_assert_int_eq(out[0].category, ERRCAT_TEMPFAIL);
        /* steps: connect, banner, ehlo, rcpt */
        ck_assert_uint_ge(out[0].nsteps, 4);
        struct result_step *rs = &out[0].steps[3];
        ck_assert_str_eq(rs->name, "rcpt");
        ck_assert_int_eq(rs->line, 4);
        ck_assert(rs->key);
        ck_assert_int_ge(rs->latency_us, 0);
        ck_assert_ptr_nonnull(rs->sent);
        ck_assert_str_eq(rs->sent, "RCPT TO:<x@fake.test>\\r\\n");
        if (i < 3)
            ck_assert_int_eq(out[0].decisive, i == 0 ? -1 : 3);
        ck_assert_str_eq(out[0].steps[1].name, "banner");
        ck_assert_str_eq(out[0].conns[0].banner, "fake.test ESMTP");
        ck_assert_ptr_nonnull(strstr(out[0].conns[0].ehlo, "PIPELINING"));
        free_all(cases, out, 1);
        target_free(t);
        fake_stop(&f);
    }
}
END_TEST

START_TEST(test_repeated_key_alt)
{
    /* A key expect in a repeat is one key step per pass; a PASS records
     * one alternative, the last key step's (and under the sanitizer
     * build, the copies of the others must not leak). */
    struct rule rules[] = {{"EHLO", EHLO_OK}, {"RCPT", "503 5.5.1 need MAIL\r\n"},
                           {"QUIT", "221 2.0.0 bye\r\n"}, {NULL, NULL}};
    struct fake f = {.greeting = "220 fake.test ESMTP\r\n", .rules = rules};
    fake_start(&f);
    struct target *t = new_target(f.port);
    struct prog_case *c = new_case("txn.rcpt-before-mail", PROG_SEV_MUST);
    add_open(c);
    for (int i = 0; i < 3; i++) {
        add_send(c, "RCPT TO:<x@fake.test>", 3);
        add_expect(c, 4, 2, "503", "fail 2xx")->key = true;
        c->key_step = (int)c->nsteps - 1;
    }
    struct prog_case *cases[] = {c};
    struct result_case *out = run_cases(cases, 1, t, 1);
    ck_assert_msg(out[0].verdict == VERDICT_PASS, "got %s want PASS (%s)",
                  verdict_name(out[0].verdict), out[0].reason ? out[0].reason : "");
    ck_assert_ptr_nonnull(out[0].alt);
    ck_assert_str_eq(out[0].alt, "503");
    free_all(cases, out, 1);
    target_free(t);
    fake_stop(&f);
}
END_TEST

START_TEST(test_timeout_and_close)
{
    struct rule rules[] = {{"EHLO", EHLO_OK},
                           {"NOOP", NULL},
                           {"VRFY", "421 4.3.2 bye\r\nCLOSE"},
                           {"EXPN", "CLOSE"},
                           {"QUIT", "221 bye\r\n"},
                           {NULL, NULL}};
    struct fake f = {.greeting = "220 fake.test\r\n", .rules = rules};
    fake_start(&f);
    struct target *t = new_target(f.port);
    /* NOOP gets no reply: ERROR timeout. */
    struct prog_case *a = new_case("a.timeout", PROG_SEV_MUST);
    add_open(a);
    add_send(a, "NOOP", 3);
    add_expect(a, 4, 1, "250");
    /* A listed timeout grades it instead. */
    struct prog_case *b = new_case("b.timeout-listed", PROG_SEV_MUST);
    add_open(b);
    add_send(b, "NOOP", 3);
    add_expect(b, 4, 2, "250", "warn timeout");
    /* EXPN: the server closes instead of replying: FAIL. */
    struct prog_case *c = new_case("c.close", PROG_SEV_MUST);
    add_open(c);
    add_send(c, "EXPN x", 3);
    add_expect(c, 4, 1, "250");
    struct prog_case *d = new_case("d.close-listed", PROG_SEV_MUST);
    add_open(d);
    add_send(d, "EXPN x", 3);
    add_expect(d, 4, 2, "250", "close");
    struct prog_case *cases[] = {a, b, c, d};
    struct result_case *out = run_cases(cases, 4, t, 2);
    ck_assert_int_eq(out[0].verdict, VERDICT_ERROR);
    ck_assert_int_eq(out[0].category, ERRCAT_TIMEOUT);
    ck_assert_int_eq(out[1].verdict, VERDICT_WARN);
    ck_assert_int_eq(out[2].verdict, VERDICT_FAIL);
    ck_assert_ptr_nonnull(strstr(out[2].reason, "closed the connection"));
    ck_assert_int_eq(out[3].verdict, VERDICT_PASS);
    free_all(cases, out, 4);
    target_free(t);
    fake_stop(&f);
}
END_TEST

START_TEST(test_invariants)
{
    /* ENHANCEDSTATUSCODES advertised, then a 250 without a code: REPLY-04.
     * A reply with mixed codes: CONN-02. An extra reply: REPLY-01. */
    struct rule rules[] = {
        {"EHLO", "250-fake.test\r\n250 ENHANCEDSTATUSCODES\r\n"},
        {"RSET", "250 Ok\r\n"},
        {"NOOP", "250-a\r\n251 2.0.0 b\r\n"},
        {"VRFY", "252 2.0.0 maybe\r\n250 2.0.0 extra\r\n"},
        {"QUIT", "221 2.0.0 bye\r\n"},
        {NULL, NULL}};
    struct fake f = {.greeting = "220 fake.test\r\n", .rules = rules};
    fake_start(&f);
    struct target *t = new_target(f.port);
    struct prog_case *a = new_case("a.esc", PROG_SEV_MAY);
    add_open(a);
    add_send(a, "RSET", 3);
    add_expect(a, 4, 1, "250");
    struct prog_case *b = new_case("b.mixed", PROG_SEV_MAY);
    add_open(b);
    add_send(b, "NOOP", 3);
    add_expect(b, 4, 1, "2xx");
    struct prog_case *c = new_case("c.extra", PROG_SEV_MUST);
    add_open(c);
    add_send(c, "VRFY x", 3);
    add_expect(c, 4, 1, "252");
    struct prog_case *cases[] = {a, b, c};
    struct result_case *out = run_cases(cases, 3, t, 3);
    ck_assert_int_eq(out[0].verdict, VERDICT_FAIL);
    ck_assert_ptr_nonnull(strstr(out[0].reason, "REPLY-04"));
    ck_assert_int_eq(out[1].verdict, VERDICT_FAIL);
    ck_assert_ptr_nonnull(strstr(out[1].reason, "CONN-02"));
    ck_assert_int_eq(out[2].verdict, VERDICT_FAIL);
    ck_assert_msg(strstr(out[2].reason, "REPLY-01"), "got %s", out[2].reason);
    free_all(cases, out, 3);
    target_free(t);
    fake_stop(&f);
}
END_TEST

START_TEST(test_pipeline_and_data)
{
    struct rule rules[] = {{"EHLO", EHLO_OK},
                           {"MAIL", "250 2.1.0 ok\r\n"},
                           {"RCPT TO:<bad", "550 5.1.1 no\r\n"},
                           {"RCPT", "250 2.1.5 ok\r\n"},
                           {"DATA", "354 go\r\n"},
                           {"QUIT", "221 bye\r\n"},
                           {NULL, NULL}};
    struct fake f = {.greeting = "220 fake.test\r\n", .rules = rules};
    fake_start(&f);
    struct target *t = new_target(f.port);
    struct prog_case *c = new_case("pipe.envelope", PROG_SEV_MUST);
    add_open(c);
    prog_step_add(c, PROG_STEP_PIPE_BEGIN);
    size_t begin = c->nsteps - 1;
    add_send(c, "MAIL FROM:<a@client.test>", 3);
    add_expect(c, 4, 1, "250");
    add_send(c, "RCPT TO:<ok@fake.test>", 5);
    add_expect(c, 6, 1, "250");
    add_send(c, "RCPT TO:<bad@fake.test>", 7);
    add_expect(c, 8, 1, "550");
    add_send(c, "DATA", 9);
    add_expect(c, 10, 1, "354");
    prog_step_add(c, PROG_STEP_PIPE_END);
    c->steps[begin].jump = (int)c->nsteps - 1;
    c->steps[c->nsteps - 1].jump = (int)begin;
    struct prog_step *d = prog_step_add(c, PROG_STEP_DATA);
    d->gen = PROG_DATA_MESSAGE;
    d->line = 12;
    add_expect(c, 13, 1, "250");
    struct prog_step *cap = prog_step_add(c, PROG_STEP_CAPTURE);
    cap->name = xstrdup("qid");
    cap->from = PROG_CAPTURE_REGEX;
    cap->re = xmalloc(sizeof *cap->re);
    regcomp(cap->re, "queued as ([A-Z0-9]+)", REG_EXTENDED);
    struct prog_case *cases[] = {c};
    struct result_case *out = run_cases(cases, 1, t, 1);
    ck_assert_msg(out[0].verdict == VERDICT_PASS, "%s", out[0].reason);
    /* connect banner ehlo mail rcpt rcpt data_cmd eod */
    ck_assert_uint_eq(out[0].nsteps, 8);
    ck_assert_str_eq(out[0].steps[5].name, "rcpt");
    ck_assert_int_eq(out[0].steps[5].code, 550);
    ck_assert_str_eq(out[0].steps[6].name, "data_cmd");
    ck_assert_str_eq(out[0].steps[7].name, "eod");
    ck_assert_uint_eq(out[0].ncaptures, 1);
    ck_assert_str_eq(out[0].captures[0].value, "X1");
    free_all(cases, out, 1);
    target_free(t);
    fake_stop(&f);
}
END_TEST

START_TEST(test_skips_and_connect_errors)
{
    struct rule rules[] = {{"EHLO", EHLO_OK}, {"QUIT", "221 bye\r\n"}, {NULL, NULL}};
    struct fake f = {.greeting = "220 fake.test\r\n", .rules = rules};
    fake_start(&f);
    struct target *t = new_target(f.port);
    struct prog_case *a = new_case("a.fixture", PROG_SEV_MUST);
    a->fixtures = xcalloc(1, sizeof *a->fixtures);
    a->fixtures[0] = xstrdup("rcpt2");
    a->nfixtures = 1;
    add_open(a);
    struct prog_case *b = new_case("b.requires", PROG_SEV_MUST);
    b->requires = xcalloc(1, sizeof *b->requires);
    b->requires[0].kw = xstrdup("CHUNKING");
    b->nrequires = 1;
    add_open(b);
    add_send(b, "BDAT 0 LAST", 3);
    add_expect(b, 4, 1, "250");
    struct prog_case *c = new_case("c.requires-met", PROG_SEV_MUST);
    c->requires = xcalloc(1, sizeof *c->requires);
    c->requires[0].kw = xstrdup("SIZE");
    c->nrequires = 1;
    add_open(c);
    struct prog_case *cases[] = {a, b, c};
    struct result_case *out = run_cases(cases, 3, t, 2);
    ck_assert_int_eq(out[0].verdict, VERDICT_SKIP);
    ck_assert_ptr_nonnull(strstr(out[0].reason, "rcpt2"));
    ck_assert_int_eq(out[0].nconns, 0);
    ck_assert_int_eq(out[1].verdict, VERDICT_SKIP);
    ck_assert_ptr_nonnull(strstr(out[1].reason, "CHUNKING"));
    ck_assert_int_eq(out[2].verdict, VERDICT_PASS);
    free_all(cases, out, 3);
    target_free(t);
    fake_stop(&f);
    /* Nobody listens any more: ERROR connect. */
    struct target *gone = new_target(f.port);
    struct prog_case *d = new_case("d.refused", PROG_SEV_MUST);
    add_open(d);
    struct prog_case *cases2[] = {d};
    out = run_cases(cases2, 1, gone, 1);
    ck_assert_int_eq(out[0].verdict, VERDICT_ERROR);
    ck_assert_int_eq(out[0].category, ERRCAT_CONNECT);
    free_all(cases2, out, 1);
    target_free(gone);
}
END_TEST

START_TEST(test_many_in_order)
{
    struct rule rules[] = {{"EHLO", EHLO_OK}, {"NOOP", "250 ok\r\n"},
                           {"QUIT", "221 bye\r\n"}, {NULL, NULL}};
    struct fake f = {.greeting = "220 fake.test\r\n", .rules = rules};
    fake_start(&f);
    struct target *t = new_target(f.port);
    enum { N = 20 };
    struct prog_case *cases[N];
    for (int i = 0; i < N; i++) {
        char id[32];
        snprintf(id, sizeof id, "many.%02d", i);
        cases[i] = new_case(id, PROG_SEV_MUST);
        add_open(cases[i]);
        add_send(cases[i], "NOOP", 2);
        add_expect(cases[i], 3, 1, "250");
    }
    struct result_case *out = run_cases(cases, N, t, 8);
    for (int i = 0; i < N; i++) {
        ck_assert_msg(out[i].verdict == VERDICT_PASS, "%d: %s", i, out[i].reason);
        char id[32];
        snprintf(id, sizeof id, "many.%02d", i);
        ck_assert_str_eq(out[i].id, id);
    }
    free_all(cases, out, N);
    target_free(t);
    fake_stop(&f);
    (void)BASIC;
}
END_TEST

/* A self-signed P-256 certificate for CN=name, in a server context;
 * the PEM goes to pem_path for clients that want to trust it. */
static SSL_CTX *make_server_ctx(const char *name, const char *pem_path)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)name, -1, -1, 0);
    X509_set_issuer_name(x, n);
    char san[128];
    snprintf(san, sizeof san, "DNS:%s", name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    X509_sign(x, key, EVP_sha256());
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx, x);
    SSL_CTX_use_PrivateKey(ctx, key);
    if (pem_path) {
        FILE *fp = fopen(pem_path, "w");
        PEM_write_X509(fp, x);
        fclose(fp);
    }
    X509_free(x);
    EVP_PKEY_free(key);
    return ctx;
}

static struct result_case *run_tls(struct prog_case **cases, size_t n,
                                   struct target *t)
{
    char err[256];
    struct tls_client *tc = tls_client_new(&t->tls_opts, t->host, NULL, err, sizeof err);
    ck_assert_msg(tc != NULL, "%s", err);
    struct result_case *out = xcalloc(n, sizeof *out);
    struct engine_params p = {0};
    p.jobs = 1;
    p.tmo = &FAST;
    p.tls = tc;
    p.run_id = "testrun";
    bool interrupted;
    engine_run(cases, n, t, &p, out, &interrupted, err, sizeof err);
    tls_client_free(tc);
    return out;
}

START_TEST(test_tls)
{
    static const struct rule rules[] = {
        {"EHLO", "250-fake.test\r\n250-STARTTLS\r\n250 PIPELINING\r\n"},
        {"STARTTLS", "220 2.0.0 go ahead\r\n"},
        {"NOOP", "250 2.0.0 ok\r\n"},
        {"QUIT", "221 2.0.0 bye\r\n"},
        {NULL, NULL}};
    char pem[] = "/tmp/smtpsuite-tls-XXXXXX";
    int pfd = mkstemp(pem);
    close(pfd);
    struct fake f = {.greeting = "220 fake.test\r\n", .rules = rules};
    f.tls = make_server_ctx("fake.test", pem);
    fake_start(&f);
    /* STARTTLS in the prologue, then NOOP over TLS. */
    struct target *t = new_target(f.port);
    t->tls = TARGET_TLS_STARTTLS;
    struct prog_case *c = new_case("tls.starttls", PROG_SEV_MUST);
    add_open(c);
    add_send(c, "NOOP", 3);
    add_expect(c, 4, 1, "250");
    struct prog_case *cases[] = {c};
    struct result_case *out = run_tls(cases, 1, t);
    ck_assert_msg(out[0].verdict == VERDICT_PASS, "%s", out[0].reason);
    ck_assert_ptr_nonnull(out[0].conns[0].tls);
    ck_assert_str_eq(out[0].conns[0].tls->protocol, "TLSv1.3");
    ck_assert_int_eq(out[0].conns[0].tls->verified, -1);
    ck_assert_uint_eq(out[0].conns[0].tls->nchain, 1);
    ck_assert_str_eq(out[0].conns[0].tls->chain[0].subject, "CN=fake.test");
    ck_assert_str_eq(out[0].conns[0].tls->chain[0].san, "DNS:fake.test");
    ck_assert_ptr_nonnull(out[0].conns[0].ehlo_tls);
    free_all(cases, out, 1);
    /* Verified against the right CA and name: verified = 1. */
    t->tls_opts.verify = TARGET_VERIFY_CAFILE;
    t->tls_opts.ca_file = xstrdup(pem);
    t->tls_opts.check_name = true;
    t->tls_opts.servername = xstrdup("fake.test");
    c = new_case("tls.verified", PROG_SEV_MUST);
    add_open(c);
    cases[0] = c;
    out = run_tls(cases, 1, t);
    ck_assert_msg(out[0].verdict == VERDICT_PASS, "%s", out[0].reason);
    ck_assert_int_eq(out[0].conns[0].tls->verified, 1);
    free_all(cases, out, 1);
    /* The wrong name: ERROR tls naming the check. */
    free(t->tls_opts.servername);
    t->tls_opts.servername = xstrdup("mail.example");
    c = new_case("tls.wrong-name", PROG_SEV_MUST);
    add_open(c);
    cases[0] = c;
    out = run_tls(cases, 1, t);
    ck_assert_int_eq(out[0].verdict, VERDICT_ERROR);
    ck_assert_int_eq(out[0].category, ERRCAT_TLS);
    ck_assert_msg(strstr(out[0].reason, "certificate verify failed") &&
                      strstr(out[0].reason, "mail.example"),
                  "%s", out[0].reason);
    free_all(cases, out, 1);
    /* `handshake expect fail`: the failure is the PASS, and the case goes
     * on without TLS (tls_version() is 0). */
    cases[0] = tls_expect_case("tls.expect-fail", PROG_TLS_FAIL, false, 0);
    out = run_tls(cases, 1, t);
    ck_assert_msg(out[0].verdict == VERDICT_PASS, "%s", out[0].reason);
    ck_assert_ptr_null(out[0].conns[0].tls);
    ck_assert_str_eq(out[0].steps[out[0].nsteps - 1].name, "assert");
    free_all(cases, out, 1);
    /* `handshake expect ok`: the same failure is a finding (FAIL). */
    cases[0] = tls_expect_case("tls.expect-ok", PROG_TLS_OK, false, 13);
    out = run_tls(cases, 1, t);
    ck_assert_int_eq(out[0].verdict, VERDICT_FAIL);
    ck_assert_msg(strstr(out[0].reason, "the TLS handshake failed: certificate "
                                        "verify failed"),
                  "%s", out[0].reason);
    free_all(cases, out, 1);
    /* With the right name the handshake works: `expect fail` FAILs at the
     * key, `expect fail else warn` WARNs and goes on over TLS 1.3. */
    free(t->tls_opts.servername);
    t->tls_opts.servername = xstrdup("fake.test");
    cases[0] = tls_expect_case("tls.expect-fail-ok", PROG_TLS_FAIL, false, 13);
    out = run_tls(cases, 1, t);
    ck_assert_int_eq(out[0].verdict, VERDICT_FAIL);
    ck_assert_msg(strstr(out[0].reason, "succeeded (TLSv1.3"), "%s", out[0].reason);
    ck_assert_msg(out[0].steps[out[0].decisive].key, "the key step decided");
    free_all(cases, out, 1);
    cases[0] = tls_expect_case("tls.expect-fail-warn", PROG_TLS_FAIL, true, 13);
    out = run_tls(cases, 1, t);
    ck_assert_msg(out[0].verdict == VERDICT_WARN, "%d %s", out[0].verdict,
                  out[0].reason);
    free_all(cases, out, 1);
    target_free(t);
    /* Plaintext after the 220: a finding, not fed to the handshake. */
    f.after_220 = "250 injected\r\n";
    t = new_target(f.port);
    t->tls = TARGET_TLS_STARTTLS;
    c = new_case("tls.pretls", PROG_SEV_MUST);
    add_open(c);
    cases[0] = c;
    out = run_tls(cases, 1, t);
    ck_assert_int_eq(out[0].verdict, VERDICT_FAIL);
    ck_assert_msg(strstr(out[0].reason, "plaintext"), "%s", out[0].reason);
    free_all(cases, out, 1);
    target_free(t);
    fake_stop(&f);
    /* Implicit TLS: the greeting comes over TLS. */
    struct fake g = {.greeting = "220 fake.test\r\n", .rules = rules, .implicit = 1};
    g.tls = f.tls;
    fake_start(&g);
    t = new_target(g.port);
    t->tls = TARGET_TLS_IMPLICIT;
    c = new_case("tls.implicit", PROG_SEV_MUST);
    add_open(c);
    add_send(c, "NOOP", 3);
    add_expect(c, 4, 1, "250");
    cases[0] = c;
    out = run_tls(cases, 1, t);
    ck_assert_msg(out[0].verdict == VERDICT_PASS, "%s", out[0].reason);
    ck_assert_ptr_nonnull(out[0].conns[0].tls);
    ck_assert_str_eq(out[0].conns[0].banner, "fake.test");
    free_all(cases, out, 1);
    target_free(t);
    fake_stop(&g);
    SSL_CTX_free(f.tls);
    unlink(pem);
}
END_TEST

/* Nonzero if the transcript, steps or reason of rc hold needle. */
static int leaks(const struct result_case *rc, const char *needle)
{
    for (size_t i = 0; i < rc->nevents; i++)
        if (strstr(rc->events[i].data, needle))
            return 1;
    for (size_t i = 0; i < rc->nsteps; i++)
        if ((rc->steps[i].sent && strstr(rc->steps[i].sent, needle)) ||
            (rc->steps[i].note && strstr(rc->steps[i].note, needle)))
            return 1;
    return rc->reason && strstr(rc->reason, needle);
}

START_TEST(test_auth)
{
    /* user "tim", pass "s3cretpw": PLAIN IR = AHRpbQBzM2NyZXRwdw==;
     * LOGIN: dGlt then czNjcmV0cHc= */
    static const struct rule rules[] = {
        {"EHLO", "250-fake.test\r\n250 AUTH PLAIN LOGIN\r\n"},
        {"AUTH PLAIN AHRpbQBzM2NyZXRwdw==", "235 2.7.0 ok\r\n"},
        {"AUTH PLAIN", "535 5.7.8 no\r\n"},
        {"AUTH LOGIN", "334 VXNlcm5hbWU6\r\n"},
        {"dGlt", "334 UGFzc3dvcmQ6\r\n"},
        {"czNjcmV0cHc=", "235 2.7.0 ok\r\n"},
        {"NOOP", "250 2.0.0 ok\r\n"},
        {"QUIT", "221 2.0.0 bye\r\n"},
        {NULL, NULL}};
    struct fake f = {.greeting = "220 fake.test\r\n", .rules = rules};
    fake_start(&f);
    struct target *t = new_target(f.port);
    target_set_fixture(t, "user", "tim", 3, true);
    target_set_fixture(t, "pass", "s3cretpw", 8, true);
    const char *mechs[] = {"PLAIN", "LOGIN"};
    struct prog_case *cases[3];
    for (int i = 0; i < 2; i++) {
        cases[i] = new_case(i ? "auth.login" : "auth.plain", PROG_SEV_MUST);
        add_open(cases[i]);
        struct prog_step *a = prog_step_add(cases[i], PROG_STEP_AUTH);
        a->name = xstrdup(mechs[i]);
        a->line = 3;
        struct prog_match *m = prog_match_add(&a->expect);
        strcpy(m->code, "235");
        m->text = xstrdup("235");
        add_send(cases[i], "NOOP", 4);
        add_expect(cases[i], 5, 1, "250");
    }
    /* Wrong password: 535 where 235 was expected fails at "must". */
    cases[2] = new_case("auth.wrong", PROG_SEV_MUST);
    add_open(cases[2]);
    struct prog_step *a = prog_step_add(cases[2], PROG_STEP_AUTH);
    a->name = xstrdup("PLAIN");
    struct prog_match *m = prog_match_add(&a->expect);
    strcpy(m->code, "535");
    m->text = xstrdup("535");
    struct target *t2 = new_target(f.port);
    target_set_fixture(t2, "user", "tim", 3, true);
    target_set_fixture(t2, "pass", "wrong", 5, true);
    struct result_case *out = run_cases(cases, 2, t, 1);
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(out[i].verdict == VERDICT_PASS, "%s: %s", mechs[i], out[i].reason);
        ck_assert_msg(!leaks(&out[i], "s3cretpw") && !leaks(&out[i], "czNjcmV0cHc") &&
                          !leaks(&out[i], "AHRpbQBzM2NyZXRwdw") && !leaks(&out[i], "dGlt"),
                      "%s: a secret reached the result", mechs[i]);
    }
    free_all(cases, out, 2);
    struct prog_case *wrong[] = {cases[2]};
    out = run_cases(wrong, 1, t2, 1);
    ck_assert_msg(out[0].verdict == VERDICT_PASS, "%s", out[0].reason);
    ck_assert_int_eq(out[0].steps[3].code, 535);
    free_all(wrong, out, 1);
    target_free(t);
    target_free(t2);
    fake_stop(&f);
}
END_TEST

/* One case through the target's prologue, then NOOP (250): its verdict. */
static struct result_case *noop_through(struct target *t)
{
    struct prog_case *c = new_case("v.noop", PROG_SEV_MUST);
    add_open(c);
    add_send(c, "NOOP", 2);
    add_expect(c, 3, 1, "250");
    struct prog_case *cases[] = {c};
    struct result_case *out = run_cases(cases, 1, t, 1);
    prog_case_free(c);
    return out;
}

static void result_free(struct result_case *out)
{
    result_case_clear(out);
    free(out);
}

START_TEST(test_variants)
{
    /* The fake reads the PROXY line as a command: the header it expects
     * is swallowed, any other closes. XCLIENT's answer is a greeting
     * without an enhanced code (no REPLY-04 finding); XCLIENT=550 from a
     * server that refuses it ends the prologue as ERROR, which shows the
     * prologue sent it. */
    struct rule rules[] = {
        {"PROXY TCP4 192.0.2.1 198.51.100.2 4000 25", NULL},
        {"PROXY", "CLOSE"},
        {"EHLO", "250-fake.test\r\n250-XCLIENT ADDR NAME\r\n"
                 "250-XFORWARD ADDR\r\n250 ENHANCEDSTATUSCODES\r\n"},
        {"XCLIENT ADDR=192.0.2.7 NAME=x.test", "220 fake.test ESMTP\r\n"},
        {"XCLIENT", "550 5.7.0 not authorized\r\n"},
        {"XFORWARD ADDR=192.0.2.8", "250 2.0.0 Ok\r\n"},
        {"NOOP", "250 2.0.0 Ok\r\n"},
        {"QUIT", "221 2.0.0 bye\r\n"},
        {NULL, NULL}};
    struct fake f = {.greeting = "220 fake.test\r\n", .rules = rules};
    fake_start(&f);
    struct target *t = new_target(f.port);
    struct result_case *out = noop_through(t);
    ck_assert_msg(out->verdict == VERDICT_PASS, "plain: %s", out->reason);
    result_free(out);

    t->xclient = xstrdup("ADDR=192.0.2.7 NAME=x.test");
    t->xforward = xstrdup("ADDR=192.0.2.8");
    out = noop_through(t);
    ck_assert_msg(out->verdict == VERDICT_PASS, "xclient: %s", out->reason);
    result_free(out);
    free(t->xclient);
    t->xclient = xstrdup("ADDR=192.0.2.9");
    out = noop_through(t);
    ck_assert_int_eq(out->verdict, VERDICT_ERROR);
    ck_assert_msg(strstr(out->reason, "550 to xclient"), "got %s", out->reason);
    result_free(out);
    free(t->xclient);
    t->xclient = NULL;

    t->proxy = PROXY_V1;
    t->proxy_source = xstrdup("192.0.2.1:4000");
    t->proxy_dest = xstrdup("198.51.100.2:25");
    out = noop_through(t);
    ck_assert_msg(out->verdict == VERDICT_PASS, "proxy: %s", out->reason);
    result_free(out);
    free(t->proxy_source);
    t->proxy_source = xstrdup("192.0.2.2:4000"); /* another claim: closed */
    out = noop_through(t);
    ck_assert_int_ne(out->verdict, VERDICT_PASS);
    result_free(out);
    target_free(t);
    fake_stop(&f);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_graded_rcpt);
    tcase_add_test(tc, test_repeated_key_alt);
    tcase_add_test(tc, test_timeout_and_close);
    tcase_add_test(tc, test_invariants);
    tcase_add_test(tc, test_pipeline_and_data);
    tcase_add_test(tc, test_skips_and_connect_errors);
    tcase_add_test(tc, test_many_in_order);
    tcase_add_test(tc, test_tls);
    tcase_add_test(tc, test_auth);
    tcase_add_test(tc, test_variants);
}

#include "check_main.h"
