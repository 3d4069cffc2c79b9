/* Tests of harness/load_run.c (and the streaming DATA of session.c)
 * against a fake SMTP server in this process: plain blocking sockets, a
 * thread a connection, no code of the driver. It counts what arrives
 * (connections, messages and their sizes, senders, the most connections
 * at once) and can delay its greeting, refuse recipients, stay silent
 * or do STARTTLS. The tests check counts and the wiring of the figures,
 * with bounds that follow from the server's own delays, never from the
 * speed of the machine. */
#define TEST_NAME "load_run"
#include "harness/load_run.h"
#include "harness/tls.h"
#include "harness/xalloc.h"
#include "suite/load.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SENDERS 4096

struct fake {
    int lfd, port;
    pthread_t th;
    pthread_mutex_t mu;
    /* behaviour */
    int banner_delay_ms;
    bool no_banner;
    const char *rcpt_reply; /* NULL: 250 */
    SSL_CTX *tls;
    /* what came */
    int conns, open, max_open, threads;
    int messages, mails, rcpts, quits, resumed, handshakes;
    size_t max_msg, min_msg;
    char *senders[MAX_SENDERS];
    int nsenders;
};

static struct fake F;

struct conn_io {
    int fd;
    bool closed; /* no longer counted open: QUIT came */
    SSL *ssl;
    char buf[1 << 17];
    size_t have;
};

static ssize_t io_read(struct conn_io *c, char *p, size_t n)
{
    return c->ssl ? SSL_read(c->ssl, p, (int)n) : read(c->fd, p, n);
}

static void io_write(struct conn_io *c, const char *s)
{
    if (c->ssl)
        SSL_write(c->ssl, s, (int)strlen(s));
    else
        (void)!write(c->fd, s, strlen(s));
}

/* The next line (without CRLF) into line; 0 at the end. */
static int read_line(struct conn_io *c, char *line, size_t max)
{
    for (;;) {
        char *lf = memchr(c->buf, '\n', c->have);
        if (lf) {
            size_t n = (size_t)(lf - c->buf) + 1;
            size_t k = n >= 2 && lf[-1] == '\r' ? n - 2 : n - 1;
            if (k >= max)
                k = max - 1;
            memcpy(line, c->buf, k);
            line[k] = '\0';
            memmove(c->buf, c->buf + n, c->have - n);
            c->have -= n;
            return 1;
        }
        if (c->have == sizeof c->buf)
            return 0;
        ssize_t r = io_read(c, c->buf + c->have, sizeof c->buf - c->have);
        if (r <= 0)
            return 0;
        c->have += (size_t)r;
    }
}

/* Message content up to CRLF.CRLF; its octets (terminator included). */
static size_t read_data(struct conn_io *c)
{
    size_t total = 0;
    char line[1 << 16];
    for (;;) {
        size_t before = c->have;
        if (!read_line(c, line, sizeof line))
            return 0;
        (void)before;
        total += strlen(line) + 2;
        if (strcmp(line, ".") == 0)
            return total;
    }
}

static void note_message(size_t n)
{
    pthread_mutex_lock(&F.mu);
    F.messages++;
    if (n > F.max_msg)
        F.max_msg = n;
    if (F.min_msg == 0 || n < F.min_msg)
        F.min_msg = n;
    pthread_mutex_unlock(&F.mu);
}

static int start_tls(struct conn_io *c)
{
    c->ssl = SSL_new(F.tls);
    SSL_set_fd(c->ssl, c->fd);
    if (SSL_accept(c->ssl) != 1)
        return -1;
    pthread_mutex_lock(&F.mu);
    F.handshakes++;
    F.resumed += SSL_session_reused(c->ssl);
    pthread_mutex_unlock(&F.mu);
    return 0;
}

/* One command; 0 to go on, -1 to close. */
static int command(struct conn_io *c, const char *line)
{
    if (strncasecmp(line, "EHLO", 4) == 0) {
        io_write(c, F.tls && !c->ssl
                        ? "250-fake.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"
                        : "250-fake.test\r\n250 PIPELINING\r\n");
    } else if (strncasecmp(line, "HELO", 4) == 0 ||
               strncasecmp(line, "RSET", 4) == 0 ||
               strncasecmp(line, "NOOP", 4) == 0) {
        io_write(c, "250 ok\r\n");
    } else if (strncasecmp(line, "MAIL", 4) == 0) {
        pthread_mutex_lock(&F.mu);
        F.mails++;
        if (F.nsenders < MAX_SENDERS)
            F.senders[F.nsenders++] = xstrdup(line);
        pthread_mutex_unlock(&F.mu);
        io_write(c, "250 ok\r\n");
    } else if (strncasecmp(line, "RCPT", 4) == 0) {
        pthread_mutex_lock(&F.mu);
        F.rcpts++;
        pthread_mutex_unlock(&F.mu);
        io_write(c, F.rcpt_reply ? F.rcpt_reply : "250 ok\r\n");
    } else if (strncasecmp(line, "DATA", 4) == 0) {
        io_write(c, "354 go\r\n");
        size_t n = read_data(c);
        if (n == 0)
            return -1;
        note_message(n);
        io_write(c, "250 queued\r\n");
    } else if (strncasecmp(line, "STARTTLS", 8) == 0 && F.tls && !c->ssl) {
        io_write(c, "220 go\r\n");
        c->have = 0;
        return start_tls(c);
    } else if (strncasecmp(line, "QUIT", 4) == 0) {
        /* counted closed before the 221 goes out: the client can start
         * the next session only after it has read it */
        pthread_mutex_lock(&F.mu);
        F.quits++;
        F.open--;
        c->closed = true;
        pthread_mutex_unlock(&F.mu);
        io_write(c, "221 bye\r\n");
        return -1;
    } else {
        io_write(c, "500 what\r\n");
    }
    return 0;
}

static void *serve(void *arg)
{
    struct conn_io *c = arg;
    if (F.banner_delay_ms) {
        struct timespec ts = {F.banner_delay_ms / 1000,
                              (long)(F.banner_delay_ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
    if (!F.no_banner)
        io_write(c, "220 fake.test ESMTP\r\n");
    char line[4096];
    while (read_line(c, line, sizeof line) && command(c, line) == 0)
        ;
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    close(c->fd);
    pthread_mutex_lock(&F.mu);
    if (!c->closed)
        F.open--;
    F.threads--;
    pthread_mutex_unlock(&F.mu);
    free(c);
    return NULL;
}

static void *accept_main(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(F.lfd, NULL, NULL);
        if (fd < 0)
            break;
        struct conn_io *c = xcalloc(1, sizeof *c);
        c->fd = fd;
        pthread_mutex_lock(&F.mu);
        F.conns++;
        F.threads++;
        if (++F.open > F.max_open)
            F.max_open = F.open;
        pthread_mutex_unlock(&F.mu);
        pthread_t th;
        pthread_create(&th, NULL, serve, c);
        pthread_detach(th);
    }
    return NULL;
}

static SSL_CTX *server_ctx(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               (const unsigned char *)"fake.test", -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_sign(x, key, EVP_sha256());
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx, x);
    SSL_CTX_use_PrivateKey(ctx, key);
    X509_free(x);
    EVP_PKEY_free(key);
    return ctx;
}

static void fake_start(void)
{
    F.lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(F.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(F.lfd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(F.lfd, 512), 0);
    socklen_t len = sizeof a;
    getsockname(F.lfd, (struct sockaddr *)&a, &len);
    F.port = ntohs(a.sin_port);
    pthread_create(&F.th, NULL, accept_main, NULL);
}

static void setup(void)
{
    memset(&F, 0, sizeof F);
    pthread_mutex_init(&F.mu, NULL);
    fake_start();
}

static void teardown(void)
{
    shutdown(F.lfd, SHUT_RDWR);
    close(F.lfd);
    pthread_join(F.th, NULL);
    for (int i = 0; i < 500; i++) { /* connection threads end */
        pthread_mutex_lock(&F.mu);
        int n = F.threads;
        pthread_mutex_unlock(&F.mu);
        if (n == 0)
            break;
        usleep(10000);
    }
    for (int i = 0; i < F.nsenders; i++)
        free(F.senders[i]);
    if (F.tls)
        SSL_CTX_free(F.tls);
}

/* ---- the run
 * ------------------------------------------------------------------ */

struct fixture {
    struct load_result lr;
    struct target *t;
    struct tls_client *tls;
    struct load_scenario sc;
    struct load_run_params p;
    struct load_outcome out;
    struct load_sched sched;
    volatile sig_atomic_t stop;
};

static void prepare(struct fixture *x, const char *scenario)
{
    memset(x, 0, sizeof *x);
    const char *src = getenv("SMTPSUITE_SOURCE_DIR");
    char *path = xasprintf("%s/cases/load/%s", src ? src : ".", scenario);
    char *paths[] = {path};
    struct load_params lp = {paths, 1, NULL, 0, NULL, NULL};
    ck_assert_int_eq(load_cases(&lp, &x->lr, stderr), 0);
    free(path);
    x->sc.pc = x->lr.cases[0];
    x->sc.weight = 1;
    x->t = target_new();
    char addr[64], err[256];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", F.port);
    ck_assert_int_eq(target_parse_address(x->t, addr, err, sizeof err), 0);
    target_set_fixture(x->t, "sender", "s@client.test", 13, false);
    target_set_fixture(x->t, "rcpt", "r@fake.test", 11, false);
    x->tls = tls_client_new(&x->t->tls_opts, x->t->host, NULL, err, sizeof err);
    ck_assert_msg(x->tls != NULL, "%s", err);
    x->p.scenarios = &x->sc;
    x->p.nscenarios = 1;
    x->p.target = x->t;
    x->p.tls = x->tls;
    x->p.tmo = &TIMEOUTS_CI;
    x->p.run_id = "test";
    x->p.threads = 1;
    x->p.drain_us = 20000000;
    x->p.messages = 1;
    x->p.stop = &x->stop;
}

static void open_rate(struct fixture *x, double rate, int64_t dur_us,
                      uint64_t cap, uint64_t queue)
{
    char err[256];
    struct load_sched_point pt = {0, rate};
    ck_assert_int_eq(
        load_sched_init(&x->sched, &pt, 1, dur_us, 0, err, sizeof err), 0);
    x->p.model = LOAD_OPEN;
    x->p.sched = &x->sched;
    x->p.max_inflight = cap;
    x->p.queue = queue;
}

static void run(struct fixture *x)
{
    char err[256];
    ck_assert_msg(load_run(&x->p, &x->out, err, sizeof err) == 0, "%s", err);
}

static void finish(struct fixture *x)
{
    load_outcome_free(&x->out);
    tls_client_free(x->tls);
    target_free(x->t);
    load_result_free(&x->lr);
}

static const struct load_counts *counts(struct fixture *x)
{
    return load_stats_counts_const(x->out.stats);
}

static uint64_t count_of(struct fixture *x, const char *step, enum load_basis b)
{
    const struct hist *h = load_stats_hist(x->out.stats, step, b);
    return h ? hist_count(h) : 0;
}

/* ---- tests
 * ---------------------------------------------------------------------- */

START_TEST(test_closed_counts)
{
    struct fixture x;
    prepare(&x, "helo-messages.smtp");
    x.p.model = LOAD_CLOSED;
    x.p.concurrency = 5;
    x.p.sessions = 40;
    x.p.messages = 3;
    x.p.threads = 2;
    x.p.sender_pattern = "u{n}.s{s}@client.test";
    run(&x);
    const struct load_counts *c = counts(&x);
    ck_assert_uint_eq(c->started, 40);
    ck_assert_uint_eq(c->ended, 40);
    ck_assert_uint_eq(c->ok, 40);
    ck_assert_uint_eq(c->errors, 0);
    ck_assert_uint_eq(c->messages, 120);
    ck_assert_uint_eq(c->accepted, 120);
    /* what the server saw */
    ck_assert_int_eq(F.conns, 40);
    ck_assert_int_eq(F.messages, 120);
    ck_assert_int_eq(F.mails, 120);
    ck_assert_int_eq(F.rcpts, 120);
    ck_assert_int_eq(F.quits, 40);
    ck_assert_int_le(F.max_open, 5);
    /* every step of the dialogue measured, on both bases */
    static const struct {
        const char *step;
        uint64_t n;
    } STEPS[] = {{"connect", 40}, {"banner", 40}, {"helo", 40},
                 {"mail", 120},   {"rcpt", 120},  {"data_cmd", 120},
                 {"eod", 120},    {"quit", 40},   {"session", 40}};
    for (size_t i = 0; i < sizeof STEPS / sizeof STEPS[0]; i++) {
        ck_assert_msg(
            count_of(&x, STEPS[i].step, LOAD_SENT) == STEPS[i].n,
            "%s: got %llu want %llu", STEPS[i].step,
            (unsigned long long)count_of(&x, STEPS[i].step, LOAD_SENT),
            (unsigned long long)STEPS[i].n);
        ck_assert_uint_ge(count_of(&x, STEPS[i].step, LOAD_INTENDED),
                          STEPS[i].n);
    }
    ck_assert_ptr_null(load_stats_hist(x.out.stats, "rset", LOAD_SENT));
    /* unique senders: one number a message, the same in MAIL and headers */
    ck_assert_int_eq(F.nsenders, 120);
    for (int i = 0; i < F.nsenders; i++)
        for (int j = i + 1; j < F.nsenders; j++)
            ck_assert_msg(strcmp(F.senders[i], F.senders[j]) != 0, "%s twice",
                          F.senders[i]);
    finish(&x);
}
END_TEST

START_TEST(test_rset_between_messages)
{
    struct fixture x;
    prepare(&x, "prologue-messages.smtp");
    x.p.model = LOAD_CLOSED;
    x.p.concurrency = 2;
    x.p.sessions = 4;
    x.p.messages = 5;
    x.p.rset = true;
    run(&x);
    ck_assert_uint_eq(counts(&x)->ok, 4);
    ck_assert_int_eq(F.messages, 20);
    ck_assert_uint_eq(count_of(&x, "rset", LOAD_SENT), 16); /* 4 x (5 - 1) */
    ck_assert_uint_eq(count_of(&x, "ehlo", LOAD_SENT), 4);
    finish(&x);
}
END_TEST

START_TEST(test_open_exact_arrivals)
{
    struct fixture x;
    prepare(&x, "helo-messages.smtp");
    open_rate(&x, 200, 500000, 100, 100); /* 100 arrivals */
    x.p.threads = 2;
    run(&x);
    const struct load_counts *c = counts(&x);
    ck_assert_uint_eq(c->scheduled, 100);
    ck_assert_uint_eq(c->started + c->dropped, 100);
    ck_assert_uint_eq(c->dropped, 0);
    ck_assert_uint_eq(c->ended, 100);
    ck_assert_uint_eq(c->ok, 100);
    ck_assert_int_eq(F.conns, 100);
    ck_assert_int_eq(F.messages, 100);
    ck_assert(x.out.requested_rate > 199.99 && x.out.requested_rate < 200.01);
    finish(&x);
}
END_TEST

/* Cap 1, a queue, a greeting 300 ms late: arrival k (every 10 ms) can
 * start only when k sessions of at least 300 ms each ended, so its wait,
 * and its intended figure, are at least 290k ms more than its sent one. */
START_TEST(test_queue_counts_in_intended)
{
    struct fixture x;
    prepare(&x, "helo-messages.smtp");
    F.banner_delay_ms = 300;
    open_rate(&x, 100, 100000, 1, 100); /* 10 arrivals, 0..90 ms */
    run(&x);
    const struct load_counts *c = counts(&x);
    ck_assert_uint_eq(c->scheduled, 10);
    ck_assert_uint_eq(c->queued, 9);
    ck_assert_uint_eq(c->dropped, 0);
    ck_assert_uint_eq(c->ok, 10);
    ck_assert_int_eq(F.max_open, 1);
    const struct hist *in =
        load_stats_hist(x.out.stats, "session", LOAD_INTENDED);
    const struct hist *se = load_stats_hist(x.out.stats, "session", LOAD_SENT);
    ck_assert_uint_eq(hist_count(in), 10);
    ck_assert_uint_eq(hist_count(se), 10);
    ck_assert_int_ge(hist_min(se), 300000);
    /* the last: started after 9 x 300 ms, due at 90 ms */
    ck_assert_int_ge(hist_max(in), 300000 + 9 * 300000 - 90000);
    ck_assert_int_gt(hist_max(in), hist_max(se));
    /* the banner step carries the same lag: its intended figure too */
    const struct hist *bi =
        load_stats_hist(x.out.stats, "banner", LOAD_INTENDED);
    ck_assert_int_ge(hist_max(bi), 9 * 300000 - 90000);
    finish(&x);
}
END_TEST

START_TEST(test_drops_without_queue)
{
    struct fixture x;
    prepare(&x, "helo-messages.smtp");
    F.banner_delay_ms = 1500;
    open_rate(&x, 100, 100000, 1, 0); /* 10 arrivals while the first waits */
    run(&x);
    const struct load_counts *c = counts(&x);
    ck_assert_uint_eq(c->scheduled, 10);
    ck_assert_uint_eq(c->started, 1);
    ck_assert_uint_eq(c->dropped, 9);
    ck_assert_uint_eq(c->ok, 1);
    ck_assert_int_eq(F.conns, 1);
    finish(&x);
}
END_TEST

START_TEST(test_drain_cutoff)
{
    /* closed model: the deadline is the duration plus the drain time */
    struct fixture x;
    prepare(&x, "helo-messages.smtp");
    F.banner_delay_ms = 4000;
    x.p.model = LOAD_CLOSED;
    x.p.concurrency = 2;
    x.p.duration_us = 100000;
    x.p.drain_us = 200000;
    run(&x);
    const struct load_counts *c = counts(&x);
    ck_assert_uint_eq(c->started, 2);
    ck_assert_uint_eq(c->cutoff, 2);
    ck_assert_uint_eq(c->ended, 0);
    ck_assert_uint_eq(c->ok, 0);
    ck_assert_uint_eq(c->errors, 0); /* cut off is counted apart */
    finish(&x);
    /* open model: the drain time after the last arrival; the arrival
     * still waiting for the cap is cut off too */
    prepare(&x, "helo-messages.smtp");
    open_rate(&x, 20, 150000, 2, 10); /* 3 arrivals, cap 2 */
    x.p.drain_us = 200000;
    run(&x);
    c = counts(&x);
    ck_assert_uint_eq(c->scheduled, 3);
    ck_assert_uint_eq(c->cutoff, 2);
    ck_assert_uint_eq(c->cutoff_queued, 1);
    ck_assert_uint_eq(c->ended, 0);
    finish(&x);
}
END_TEST

/* A closed model bounded by its session count alone has no deadline:
 * sessions longer than the drain time still end normally. */
START_TEST(test_sessions_only_no_deadline)
{
    struct fixture x;
    prepare(&x, "helo-messages.smtp");
    F.banner_delay_ms = 700;
    x.p.model = LOAD_CLOSED;
    x.p.concurrency = 2;
    x.p.sessions = 4;
    x.p.drain_us = 100000;
    run(&x);
    ck_assert_uint_eq(counts(&x)->ok, 4);
    ck_assert_uint_eq(counts(&x)->cutoff, 0);
    finish(&x);
}
END_TEST

static const struct load_error_line *
find_error(struct fixture *x, const char *step, const char *what)
{
    for (size_t i = 0; i < load_stats_nerrors(x->out.stats); i++) {
        const struct load_error_line *e =
            load_stats_error_line(x->out.stats, i);
        if (strcmp(e->step, step) == 0 && strcmp(e->what, what) == 0)
            return e;
    }
    return NULL;
}

START_TEST(test_errors_by_step_and_code)
{
    struct fixture x;
    prepare(&x, "helo-messages.smtp");
    F.rcpt_reply = "421 4.3.2 closing\r\n";
    x.p.model = LOAD_CLOSED;
    x.p.concurrency = 3;
    x.p.sessions = 9;
    run(&x);
    ck_assert_uint_eq(counts(&x)->errors, 9);
    const struct load_error_line *e = find_error(&x, "rcpt", "421");
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->count, 9);
    uint64_t att, errs;
    ck_assert(load_stats_step_counts(x.out.stats, "rcpt", &att, &errs));
    ck_assert_uint_eq(att, 9);
    ck_assert_uint_eq(errs, 9);
    /* a reply is a latency even when it is an error */
    ck_assert_uint_eq(count_of(&x, "rcpt", LOAD_SENT), 9);
    finish(&x);
}
END_TEST

START_TEST(test_banner_timeout)
{
    struct fixture x;
    prepare(&x, "helo-messages.smtp");
    F.no_banner = true;
    struct timeouts tmo = TIMEOUTS_CI;
    tmo.banner = 200000;
    x.p.tmo = &tmo;
    x.p.model = LOAD_CLOSED;
    x.p.concurrency = 2;
    x.p.sessions = 2;
    run(&x);
    const struct load_error_line *e = find_error(&x, "banner", "timeout");
    ck_assert_msg(e != NULL, "no 'banner timeout' line");
    ck_assert_uint_eq(e->count, 2);
    ck_assert_uint_eq(count_of(&x, "banner", LOAD_SENT),
                      0); /* no reply, no latency */
    ck_assert_uint_eq(counts(&x)->ok, 0);
    finish(&x);
}
END_TEST

START_TEST(test_nothing_listening)
{
    struct fixture x;
    prepare(&x, "helo-messages.smtp");
    char err[256];
    /* a port nobody listens on: the fake's, closed */
    shutdown(F.lfd, SHUT_RDWR);
    close(F.lfd);
    pthread_join(F.th, NULL);
    F.lfd = -1;
    ck_assert_int_eq(target_parse_address(x.t, "127.0.0.1:1", err, sizeof err),
                     0);
    x.p.model = LOAD_CLOSED;
    x.p.concurrency = 2;
    x.p.sessions = 4;
    run(&x);
    ck_assert_uint_eq(counts(&x)->ended, 4);
    ck_assert_uint_eq(counts(&x)->ok, 0);
    const struct load_error_line *e = find_error(&x, "connect", "failed");
    ck_assert_msg(e != NULL, "no 'connect failed' line");
    ck_assert_uint_eq(e->count, 4);
    finish(&x);
    fake_start(); /* for teardown */
}
END_TEST

START_TEST(test_streamed_sizes)
{
    struct fixture x;
    prepare(&x, "helo-messages.smtp");
    struct body_sizes s = {
        .kind = BODY_SIZES_RANGE, .min = 200000, .max = 300000};
    x.p.sizes = &s;
    x.p.model = LOAD_CLOSED;
    x.p.concurrency = 4;
    x.p.sessions = 8;
    x.p.messages = 2;
    run(&x);
    ck_assert_uint_eq(counts(&x)->ok, 8);
    ck_assert_int_eq(F.messages, 16);
    /* content plus at most a CRLF and the terminator */
    ck_assert_uint_ge(F.min_msg, 200000 + 3);
    ck_assert_uint_le(F.max_msg, 300000 + 5);
    finish(&x);
}
END_TEST

START_TEST(test_tls_resumption)
{
    F.tls = server_ctx();
    struct fixture x;
    prepare(&x, "prologue-messages.smtp");
    x.t->tls = TARGET_TLS_STARTTLS;
    x.p.model = LOAD_CLOSED;
    x.p.concurrency = 1;
    x.p.sessions = 6;
    x.p.tls_resume = true;
    run(&x);
    const struct load_counts *c = counts(&x);
    ck_assert_uint_eq(c->ok, 6);
    ck_assert_uint_eq(c->tls_full + c->tls_resumed, 6);
    ck_assert_int_eq(F.handshakes, 6);
    /* the first is full; the server agrees on every resumption counted */
    ck_assert_uint_ge(c->tls_full, 1);
    ck_assert_uint_ge(c->tls_resumed, 4);
    ck_assert_int_eq(F.resumed, (int)c->tls_resumed);
    ck_assert_uint_eq(count_of(&x, "ehlo_tls", LOAD_SENT), 6);
    ck_assert_uint_eq(count_of(&x, "tls", LOAD_SENT), 6);
    finish(&x);
    /* without the option, every handshake is full */
    prepare(&x, "prologue-messages.smtp");
    x.t->tls = TARGET_TLS_STARTTLS;
    x.p.model = LOAD_CLOSED;
    x.p.concurrency = 1;
    x.p.sessions = 3;
    run(&x);
    ck_assert_uint_eq(counts(&x)->tls_resumed, 0);
    ck_assert_uint_eq(counts(&x)->tls_full, 3);
    finish(&x);
}
END_TEST

START_TEST(test_result_model)
{
    struct fixture x;
    prepare(&x, "helo-messages.smtp");
    x.p.model = LOAD_CLOSED;
    x.p.concurrency = 2;
    x.p.sessions = 6;
    run(&x);
    struct result_run *run = result_run_new("load");
    load_outcome_to_result(&x.out, run);
    ck_assert_uint_eq(result_counter_find(run, "sessions.ok")->value, 6);
    ck_assert_uint_eq(result_counter_find(run, "messages.sent")->value, 6);
    ck_assert_ptr_nonnull(result_counter_find(run, "cpu.user_us"));
    bool session_hist = false, timeline = false;
    for (size_t i = 0; i < run->nhists; i++)
        session_hist |= strcmp(run->hists[i].name, "session") == 0 &&
                        run->hists[i].total == 6;
    for (size_t i = 0; i < run->nproperties; i++)
        timeline |= strcmp(run->properties[i].name, "timeline.ended") == 0;
    ck_assert(session_hist);
    ck_assert(timeline);
    result_run_free(run);
    finish(&x);
}
END_TEST

START_TEST(test_steps_of_programs)
{
    struct fixture x;
    prepare(&x, "pipeline-messages.smtp");
    char names[LOAD_STATS_MAX_STEPS][LOAD_STATS_NAME];
    size_t n = 0;
    load_run_steps(x.sc.pc, x.t, names, &n, LOAD_STATS_MAX_STEPS);
    const char *want[] = {"connect", "banner",   "ehlo", "rset",   "mail",
                          "rcpt",    "data_cmd", "eod",  "session"};
    ck_assert_uint_eq(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(names[i], want[i]);
    finish(&x);
    prepare(&x, "prologue-messages.smtp");
    x.t->tls = TARGET_TLS_STARTTLS;
    x.t->auth_mech = xstrdup("PLAIN");
    n = 0;
    load_run_steps(x.sc.pc, x.t, names, &n, LOAD_STATS_MAX_STEPS);
    const char *want2[] = {"connect",  "banner", "ehlo",   "starttls", "tls",
                           "ehlo_tls", "auth",   "rset",   "mail",     "rcpt",
                           "data_cmd", "eod",    "session"};
    ck_assert_uint_eq(n, sizeof want2 / sizeof want2[0]);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(names[i], want2[i]);
    finish(&x);
}
END_TEST

START_TEST(test_expand)
{
    char out[64], err[256];
    ck_assert_int_eq(load_run_expand("u{n}.s{s}@x.test", 7, 3, out, sizeof out,
                                     err, sizeof err),
                     0);
    ck_assert_str_eq(out, "u7.s3@x.test");
    ck_assert_int_eq(
        load_run_expand("{{n}}", 7, 3, out, sizeof out, err, sizeof err), 0);
    ck_assert_str_eq(out, "{n}");
    ck_assert_int_eq(
        load_run_expand("u{x}@a", 1, 1, out, sizeof out, err, sizeof err), -1);
    ck_assert_str_eq(err, "'u{x}@a': a brace is {n} (the message), {s} (the "
                          "session), {{ or }}");
    ck_assert_int_eq(
        load_run_expand("abcdef{n}", 123456, 0, out, 8, err, sizeof err), -1);
    ck_assert_str_eq(err, "'abcdef{n}' expands to more than 7 octets");
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_closed_counts);
    tcase_add_test(tc, test_rset_between_messages);
    tcase_add_test(tc, test_open_exact_arrivals);
    tcase_add_test(tc, test_queue_counts_in_intended);
    tcase_add_test(tc, test_drops_without_queue);
    tcase_add_test(tc, test_drain_cutoff);
    tcase_add_test(tc, test_sessions_only_no_deadline);
    tcase_add_test(tc, test_errors_by_step_and_code);
    tcase_add_test(tc, test_banner_timeout);
    tcase_add_test(tc, test_nothing_listening);
    tcase_add_test(tc, test_streamed_sizes);
    tcase_add_test(tc, test_tls_resumption);
    tcase_add_test(tc, test_result_model);
    tcase_add_test(tc, test_steps_of_programs);
    tcase_add_test(tc, test_expand);
}

#include "check_main.h"
