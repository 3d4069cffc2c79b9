/* sink: listener and connections of the reference server (libevent).
 *
 * One bufferevent per connection. Input is handed to the session's
 * sans-I/O engine (sink_proto) as it arrives; every reply it produces
 * for the input at hand is written in one go, so pipelined replies go
 * out when the input is drained (RFC 2920 3.2). A delay asked for by
 * the fault table pauses reading (the input stays buffered, nothing is
 * lost). Buffers are bounded both ways: reading stops while too much
 * reply output waits for a slow reader. Connections are closed by
 * half-closing after the last reply and reading to EOF, so a client
 * that pipelined past QUIT still reads the 221. Connections are freed
 * from a reaper event, never inside their own callbacks.
 *
 * TLS: implicit-TLS sessions start on an OpenSSL bufferevent. STARTTLS
 * stops reading the plaintext socket once the 220 is produced; what was
 * already read came with the STARTTLS and goes to the engine, which
 * discards it (RFC 3207 4.2) unless a fault keeps it. When the 220 has
 * left, the socket moves (dup'ed) to an OpenSSL bufferevent and the
 * handshake runs; when it is done the engine starts the session over. */
#include "harness/sink.h"
#include "harness/bytes.h"
#include "harness/digest.h"
#include "harness/sasl_crypto.h"
#include "harness/sasl_users.h"
#include "harness/sink_fault.h"
#include "harness/sink_log.h"
#include "harness/sink_proxy.h"
#include "harness/tls_server.h"
#include "harness/xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define SINK_LINGER_US       (2 * 1000000) /* reading to EOF after the last reply */
#define SINK_ACCEPT_PAUSE_US 100000        /* after EMFILE */
#define SINK_ADDR_MAX        128
#define SINK_LOG_LINE_MAX    2048
#define SINK_USER_LINE_MAX   8192 /* a line of a --users file */

struct conn {
    struct sink *sink;
    struct bufferevent *bev;
    struct sink_proto *proto;
    struct event *timer; /* fault delays and the lingering close */
    char id[48];
    char client[SINK_ADDR_MAX];
    bool paused, blocked, closing, half_closed, dead;
    bool eof; /* the client shut its side: answer what came, then close */
    bool tls; /* on an OpenSSL bufferevent */
    bool handshaking; /* its handshake is not done */
    bool tls_pending; /* STARTTLS answered: waiting for the 220 to leave */
    bool waiting;     /* fault "serial": accepted, not yet greeted or read */
    bool proxy_wait;  /* waiting for the PROXY header, not yet greeted */
    struct conn *prev, *next; /* open connections */
    struct conn *reap_next;
};

struct sink {
    struct event_base *base;
    struct sink_params p;
    struct sink_proto_config cfg;
    struct sink_fault_table *faults;
    struct sink_log *log;
    struct tls_server *tls;
    struct sasl_users *users;
    struct evconnlistener *listener;
    struct event *reaper, *accept_pause;
    struct conn *conns, *reap;
    struct bufferevent **old_bevs; /* plaintext ones left by STARTTLS */
    size_t nold, capold;
    char address[SINK_ADDR_MAX + 16];
    char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char prefix[9];
    int port;
    bool stopping;
    bool serial;                /* fault: one session at a time */
    enum sink_proxy_mode proxy; /* header before the greeting */
    bool proxy_lax; /* fault: greet without (or after a bad) header */
    size_t open;
    uint64_t sessions, messages;
};

static void conn_drive(struct conn *c);
static void starttls_begin(struct conn *c);
static void handle(struct conn *c, unsigned ev);
static void serial_next(struct sink *s);

static void slog(struct sink *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void slog(struct sink *s, int level, const char *fmt, ...)
{
    if (!s->p.on_log || s->p.verbosity < level)
        return;
    char line[SINK_LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->p.on_log(s->p.arg, line);
}

/* Logs wire bytes in escaped form, dir '<' from the client, '>' to it. */
static void log_bytes(struct conn *c, char dir, const void *p, size_t n)
{
    if (!c->sink->p.on_log || c->sink->p.verbosity < 2 || n == 0)
        return;
    struct buf b;
    buf_init(&b, SINK_LOG_LINE_MAX - 64);
    bytes_escape(&b, p, n);
    slog(c->sink, 2, "%s %c %s%s", c->id, dir, buf_str(&b),
         b.len >= b.max - 4 ? "..." : "");
    buf_free(&b);
}

/* The engine's record of the input (AUTH secrets redacted). */
static void log_input(struct conn *c)
{
    struct buf *in = sink_proto_inlog(c->proto);
    if (in->len) {
        log_bytes(c, '<', in->data, in->len);
        buf_reset(in);
    }
}

static void trace(void *arg, const char *session, const char *what)
{
    struct sink *s = arg;
    slog(s, 2, "%s state %s", session, what);
}

static void note(void *arg, const char *session, const char *what)
{
    struct sink *s = arg;
    slog(s, 1, "%s %s", session, what);
}

/* ---- connection lifetime ---------------------------------------------- */

static void conn_kill(struct conn *c)
{
    if (c->dead)
        return;
    c->dead = true;
    struct sink *s = c->sink;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->open--;
    bufferevent_disable(c->bev, EV_READ | EV_WRITE);
    event_del(c->timer);
    c->reap_next = s->reap;
    s->reap = c;
    event_active(s->reaper, 0, 0);
    slog(s, 1, "%s close", c->id);
    if (s->serial && !s->stopping)
        serial_next(s);
}

/* Greets a session that may start now; behind --proxy the greeting
 * waits for the PROXY header (proxy_read). */
static void conn_greet(struct conn *c)
{
    if (c->sink->proxy != SINK_PROXY_NONE)
        c->proxy_wait = true;
    else
        handle(c, sink_proto_start(c->proto));
}

/* The fault "serial" (a server that cannot serve two sessions at once,
 * RFC 5321 4.5.4.2): is a session other than self being served? */
static bool serial_busy(const struct sink *s, const struct conn *self)
{
    for (const struct conn *c = s->conns; c; c = c->next)
        if (c != self && !c->waiting && !c->dead)
            return true;
    return false;
}

/* Greets the connection that has waited longest, when none is served. */
static void serial_next(struct sink *s)
{
    struct conn *next = NULL;
    for (struct conn *c = s->conns; c; c = c->next)
        if (c->waiting)
            next = c; /* the list is newest first */
    if (!next || serial_busy(s, next))
        return;
    next->waiting = false;
    bufferevent_enable(next->bev, EV_READ);
    slog(s, 1, "%s greeted after waiting", next->id);
    conn_greet(next);
}

static void reap(evutil_socket_t fd, short what, void *arg)
{
    struct sink *s = arg;
    for (size_t i = 0; i < s->nold; i++)
        bufferevent_free(s->old_bevs[i]);
    s->nold = 0;
    while (s->reap) {
        struct conn *c = s->reap;
        s->reap = c->reap_next;
        bufferevent_free(c->bev);
        event_free(c->timer);
        sink_proto_free(c->proto);
        free(c);
    }
}

/* All replies are out: half-close and read until the client closes. */
static void conn_linger(struct conn *c)
{
    if (c->half_closed)
        return;
    if (sink_proto_rst(c->proto)) { /* the fault "rst": no FIN, a reset */
        struct linger l = {1, 0};
        setsockopt(bufferevent_getfd(c->bev), SOL_SOCKET, SO_LINGER, &l,
                   sizeof l);
        conn_kill(c);
        return;
    }
    if (c->eof) { /* the client is gone already; every reply is sent */
        conn_kill(c);
        return;
    }
    c->half_closed = true;
    if (c->tls && !c->handshaking) /* close_notify (RFC 8446 6.1) first */
        SSL_shutdown(bufferevent_openssl_get_ssl(c->bev));
    shutdown(bufferevent_getfd(c->bev), SHUT_WR);
    evbuffer_drain(bufferevent_get_input(c->bev),
                   evbuffer_get_length(bufferevent_get_input(c->bev)));
    bufferevent_enable(c->bev, EV_READ);
    struct timeval tv = {SINK_LINGER_US / 1000000, 0};
    event_add(c->timer, &tv);
}

static void flush_out(struct conn *c)
{
    struct buf *o = sink_proto_out(c->proto);
    if (o->len) {
        log_bytes(c, '>', o->data, o->len);
        bufferevent_write(c->bev, o->data, o->len);
        buf_reset(o);
    }
}

static void arrival(struct conn *c)
{
    struct sink *s = c->sink;
    const struct sink_message *m = sink_proto_message(c->proto);
    char err[512];
    s->messages++;
    if (s->log && sink_log_write(s->log, m, err, sizeof err) != 0)
        slog(s, 0, "arrival log: %s", err);
    if (s->p.on_arrival)
        s->p.on_arrival(s->p.arg, m);
    slog(s, 1, "%s message %s from=<%s> rcpts=%zu size=%zu", c->id, m->queue_id,
         m->mail->addr, m->nrcpt, m->len);
}

/* Acts on the events of the engine after its output was produced. */
static void handle(struct conn *c, unsigned ev)
{
    flush_out(c);
    if (ev & SINK_PROTO_EV_FLUSH) { /* the fault "flush": input is lost */
        struct evbuffer *in = bufferevent_get_input(c->bev);
        evbuffer_drain(in, evbuffer_get_length(in));
    }
    if (ev & SINK_PROTO_EV_MESSAGE)
        arrival(c);
    if (ev & SINK_PROTO_EV_DELAY) {
        int64_t us = sink_proto_delay_us(c->proto);
        struct timeval tv = {(time_t)(us / 1000000),
                             (suseconds_t)(us % 1000000)};
        c->paused = true;
        bufferevent_disable(c->bev, EV_READ);
        event_add(c->timer, &tv);
    }
    if (ev & SINK_PROTO_EV_CLOSE) {
        c->closing = true;
        if (!c->paused &&
            evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
            conn_linger(c);
    }
    if ((ev & SINK_PROTO_EV_STARTTLS) && !c->closing)
        starttls_begin(c);
}

/* The client shut its side and its input is answered: close once the
 * replies are out (a delay still pending finishes first). */
static void conn_after_eof(struct conn *c)
{
    if (c->paused || c->dead)
        return;
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
        conn_kill(c);
        return;
    }
    c->closing = true; /* on_write lingers, then EOF ends it */
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    if (c->half_closed) { /* the client never closed its side */
        conn_kill(c);
        return;
    }
    c->paused = false;
    unsigned ev = sink_proto_resume(c->proto);
    handle(c, ev);
    if (!c->closing && !c->eof) {
        bufferevent_enable(c->bev, EV_READ);
        conn_drive(c);
    } else if (!c->closing) {
        conn_drive(c);
        conn_after_eof(c);
    } else if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
        conn_linger(c);
    }
}

/* The PROXY header (HAProxy's proxy-protocol.txt) before the greeting:
 * returns true once the session is greeted and may read commands. A
 * missing or malformed header closes the connection ungreeted, as
 * Postfix does with smtpd_upstream_proxy_protocol = haproxy (the
 * receiver must not guess, 2); the fault proxy-lax greets anyway. */
static bool proxy_read(struct conn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    size_t n = evbuffer_get_length(in);
    if (n > SINK_PROXY_V2_MAX)
        n = SINK_PROXY_V2_MAX;
    struct sink_proxy_result r;
    enum sink_proxy_status st = sink_proxy_parse(
        c->sink->proxy, evbuffer_pullup(in, (ev_ssize_t)n), n, &r);
    if (st == SINK_PROXY_NEED_MORE)
        return false;
    c->proxy_wait = false;
    if (st == SINK_PROXY_ERROR && !c->sink->proxy_lax) {
        slog(c->sink, 1, "%s proxy refused: %s", c->id, r.error);
        c->closing = true;
        conn_linger(c);
        return false;
    }
    if (st == SINK_PROXY_ERROR) {
        slog(c->sink, 1, "%s proxy: %s (proxy-lax: greeted anyway)", c->id,
             r.error);
    } else {
        evbuffer_drain(in, r.used);
        if (!r.local) {
            slog(c->sink, 1, "%s proxy v%d client=%s dest=%s (via %s)", c->id,
                 r.version, r.source, r.dest, c->client);
            snprintf(c->client, sizeof c->client, "%s", r.source);
            sink_proto_set_client(c->proto, c->client);
        } else {
            slog(c->sink, 1, "%s proxy v%d local (no claim)", c->id, r.version);
        }
    }
    handle(c, sink_proto_start(c->proto));
    return !c->closing && !c->dead;
}

/* Feeds the buffered input to the engine until it is drained, a delay
 * pauses it, or the session closes. */
static void conn_drive(struct conn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    if (c->proxy_wait && !proxy_read(c))
        return;
    while (!c->paused && !c->closing && !c->blocked && !c->dead &&
           !c->tls_pending) {
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
            break;
        size_t used = 0;
        unsigned ev = sink_proto_feed(c->proto, v.iov_base, v.iov_len, &used);
        log_input(c);
        evbuffer_drain(in, used);
        handle(c, ev);
        if (evbuffer_get_length(bufferevent_get_output(c->bev)) >
            SINK_CONN_OUT_MAX) {
            /* a slow reader: stop reading until the replies are out */
            c->blocked = true;
            bufferevent_disable(c->bev, EV_READ);
        }
        if (used == 0 && ev == 0)
            break;
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    if (c->half_closed || c->closing) {
        struct evbuffer *in = bufferevent_get_input(bev);
        evbuffer_drain(in, evbuffer_get_length(in));
        return;
    }
    conn_drive(c);
}

/* ---- TLS ------------------------------------------------------------------
 */

static void conn_callbacks(struct conn *c);

/* STARTTLS was answered 220: stop reading plaintext (the ClientHello
 * stays in the kernel); what was already read came with the STARTTLS
 * and is the engine's to discard. The handshake starts once the 220 has
 * left (on_write). */
static void starttls_begin(struct conn *c)
{
    c->tls_pending = true;
    bufferevent_disable(c->bev, EV_READ);
    struct evbuffer *in = bufferevent_get_input(c->bev);
    size_t n = evbuffer_get_length(in), used = 0;
    if (n) {
        sink_proto_feed(c->proto, evbuffer_pullup(in, -1), n, &used);
        evbuffer_drain(in, n);
    }
}

/* The 220 is out: the socket moves to an OpenSSL bufferevent. The plain
 * one keeps its own descriptor (a dup) and is freed by the reaper, never
 * inside its callback. */
static void starttls_switch(struct conn *c)
{
    struct sink *s = c->sink;
    struct bufferevent *old = c->bev;
    evutil_socket_t fd = dup(bufferevent_getfd(old));
    if (fd < 0) {
        slog(s, 0, "%s STARTTLS: dup: %s", c->id, strerror(errno));
        conn_kill(c);
        return;
    }
    evutil_make_socket_nonblocking(fd);
    bufferevent_setcb(old, NULL, NULL, NULL, NULL);
    bufferevent_disable(old, EV_READ | EV_WRITE);
    xgrow(&s->old_bevs, &s->capold, s->nold + 1, sizeof *s->old_bevs);
    s->old_bevs[s->nold++] = old;
    event_active(s->reaper, 0, 0);
    SSL *ssl = tls_server_ssl(s->tls, sink_proto_tls_fail(c->proto));
    c->bev = ssl ? bufferevent_openssl_socket_new(s->base, fd, ssl,
                                                  BUFFEREVENT_SSL_ACCEPTING,
                                                  BEV_OPT_CLOSE_ON_FREE)
                 : NULL;
    if (!c->bev)
        fatal("sink: cannot start TLS on a connection");
    c->tls = c->handshaking = true;
    c->tls_pending = false;
    conn_callbacks(c);
}

/* The handshake is done: log its facts, let the engine start over, and
 * feed what a fault kept from the STARTTLS packet. */
static void tls_done(struct conn *c)
{
    struct tls_server_facts f;
    c->handshaking = false;
    tls_server_facts(bufferevent_openssl_get_ssl(c->bev), &f);
    slog(c->sink, 1, "%s tls %s %s sni=%s client-cert=%s%s", c->id, f.protocol,
         f.cipher, f.sni[0] ? f.sni : "-",
         f.client_cert[0] ? f.client_cert : "-",
         f.client_cert[0] && f.client_verified ? " (verified)" : "");
    struct sink_tls_info info = {f.protocol, f.cipher, f.sni, f.client_cert};
    sink_proto_tls_started(c->proto, &info);
    struct buf *tail = sink_proto_tail(c->proto);
    if (tail->len) {
        evbuffer_prepend(bufferevent_get_input(c->bev), tail->data, tail->len);
        buf_reset(tail);
    }
    conn_drive(c);
}

static void tls_failed(struct conn *c, short what)
{
    char why[256];
    tls_server_error(bufferevent_get_openssl_error(c->bev), why, sizeof why);
    if (sink_proto_tls_fail(c->proto))
        snprintf(why, sizeof why, "aborted by the fault tls-fail");
    slog(c->sink, 1, "%s tls handshake failed: %s", c->id,
         (what & BEV_EVENT_ERROR) ? why : "the client closed the connection");
    conn_kill(c);
}

static void on_write(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    if (c->tls_pending) {
        if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
            starttls_switch(c);
        return;
    }
    if (!c->eof && sink_proto_more(c->proto)) { /* the fault "endless" */
        flush_out(c);
        return;
    }
    if (c->closing && !c->paused) {
        conn_linger(c);
        return;
    }
    if (c->blocked) {
        c->blocked = false;
        bufferevent_enable(bev, EV_READ);
        conn_drive(c);
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) { /* a TLS handshake finished */
        tls_done(c);
        return;
    }
    if (c->handshaking && (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF))) {
        tls_failed(c, what);
        return;
    }
    if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) &&
        !c->closing) {
        /* idle: 421 4.4.2 (RFC 5321 3.8, 4.5.3.2.7) */
        handle(c, sink_proto_timeout(c->proto));
        bufferevent_enable(bev, EV_READ);
        return;
    }
    if (what & BEV_EVENT_EOF) {
        c->eof = true;
        bufferevent_disable(bev, EV_READ);
        if (!c->closing) { /* a half-close: answer what came before it */
            conn_drive(c);
            conn_after_eof(c);
            return;
        }
        if (!c->half_closed &&
            evbuffer_get_length(bufferevent_get_output(bev)) > 0)
            return; /* the last replies are still going out */
    }
    /* an error, a write timeout, or EOF while closing: the session is
     * over. A transaction still open is dropped (RFC 5321 4.1.1.10). */
    conn_kill(c);
}

static void client_name(const struct sockaddr *sa, char *out, size_t n)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        snprintf(out, n, "%s:%u", host, ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        snprintf(out, n, "[%s]:%u", host, ntohs(in6->sin6_port));
    } else {
        snprintf(out, n, "unix");
    }
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
                      struct sockaddr *sa, int salen, void *arg)
{
    struct sink *s = arg;
    struct conn *c = xcalloc(1, sizeof *c);
    c->sink = s;
    s->sessions++;
    snprintf(c->id, sizeof c->id, "%s-%06llu", s->prefix,
             (unsigned long long)s->sessions);
    client_name(sa, c->client, sizeof c->client);
    if (sa->sa_family != AF_UNIX) {
        int one = 1; /* replies are small; do not wait for more */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    SSL *ssl = NULL;
    if (s->cfg.profile->implicit_tls) { /* RFC 8314 3.3 */
        ssl = tls_server_ssl(s->tls, false);
        c->bev = ssl ? bufferevent_openssl_socket_new(s->base, fd, ssl,
                                                      BUFFEREVENT_SSL_ACCEPTING,
                                                      BEV_OPT_CLOSE_ON_FREE)
                     : NULL;
        c->tls = c->handshaking = true;
    } else {
        c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
    }
    c->timer = evtimer_new(s->base, on_timer, c);
    if (!c->bev || !c->timer)
        fatal("sink: out of memory for a connection");
    c->proto = sink_proto_new(&s->cfg, c->id, c->client);
    sink_proto_set_number(c->proto, s->sessions);
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->open++;
    conn_callbacks(c);
    slog(s, 1, "%s open %s", c->id, c->client);
    if (s->serial && !s->stopping && serial_busy(s, c)) {
        c->waiting = true; /* its bytes stay in the socket until its turn */
        bufferevent_disable(c->bev, EV_READ);
        slog(s, 1, "%s waits (serial)", c->id);
        return;
    }
    if (s->open > (size_t)s->p.max_connections || s->stopping)
        handle(c, s->stopping ? sink_proto_shutdown(c->proto)
                              : sink_proto_busy(c->proto));
    else
        conn_greet(c);
    if (ssl && sink_proto_tls_fail(c->proto)) /* before any ClientHello */
        tls_server_fail(ssl);
}

/* Callbacks, limits and timeouts of a connection's (new) bufferevent. */
static void conn_callbacks(struct conn *c)
{
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    bufferevent_setwatermark(c->bev, EV_READ, 0, SINK_CONN_IN_MAX);
    int64_t us = c->sink->p.idle_timeout_us;
    struct timeval idle = {(time_t)(us / 1000000), (suseconds_t)(us % 1000000)};
    bufferevent_set_timeouts(c->bev, &idle, &idle);
    if (c->tls) /* a close without close_notify is an EOF, not an error */
        bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
    struct sink *s = arg;
    if (!s->stopping)
        evconnlistener_enable(s->listener);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
    struct sink *s = arg;
    int e = EVUTIL_SOCKET_ERROR();
    slog(s, 0, "accept: %s", evutil_socket_error_to_string(e));
    /* out of descriptors: pause instead of spinning */
    evconnlistener_disable(l);
    struct timeval tv = {0, SINK_ACCEPT_PAUSE_US};
    event_add(s->accept_pause, &tv);
}

/* ---- setup ------------------------------------------------------------ */

static int apply_faults(struct sink *s, bool *usage, char *err, size_t errlen)
{
    s->faults = sink_fault_new();
    for (size_t i = 0; i < s->p.nfault_files; i++)
        if (sink_fault_load(s->faults, s->p.fault_files[i], err, errlen) != 0)
            return -1;
    for (size_t i = 0; i < s->p.nfaults; i++)
        if (sink_fault_add(s->faults, s->p.faults[i], "--fault", err, errlen) !=
            0)
            return -1;
    const struct sink_fault_settings *f = sink_fault_settings(s->faults);
    struct sink_proto_config *c = &s->cfg;
    if (f->line_limit > 0)
        c->line_max = (size_t)f->line_limit;
    if (f->rcpt_limit > 0)
        c->rcpt_limit = (size_t)f->rcpt_limit;
    if (f->size_limit > 0)
        c->size_limit = (size_t)f->size_limit;
    if (f->error_limit >= 0)
        c->error_limit = (size_t)f->error_limit;
    if (f->bare_lf >= 0)
        c->bare_lf = (enum sink_bare)f->bare_lf;
    if (f->bare_cr >= 0)
        c->bare_cr = (enum sink_bare)f->bare_cr;
    if (f->unstuff >= 0)
        c->unstuff = f->unstuff;
    if (f->esc >= 0)
        c->esc = f->esc;
    c->tls_tail = f->tls_tail == 1;
    c->tls_reset = f->tls_reset != 0;
    c->starttls_after_tls = f->starttls_after_tls == 1;
    c->auth_check = f->auth_check != 0;
    c->auth_tls = f->auth_needs_tls != 0;
    c->scram_bad_sig = f->scram_signature == 1;
    c->strip_nul = f->strip_nul > 0;
    c->dotdot_eod = f->dotdot_eod > 0;
    s->serial = f->serial > 0;
    c->xclient = f->xclient > 0;
    c->xforward = f->xforward > 0;
    c->faults = s->faults;
    return 0;
}

/* The PROXY header the sink waits for: --proxy, overridden by the fault
 * "proxy"; never with implicit TLS (the header would precede the
 * handshake). After apply_faults. */
static int setup_proxy(struct sink *s, bool *usage, char *err, size_t errlen)
{
    const struct sink_fault_settings *f = sink_fault_settings(s->faults);
    int m = s->p.proxy ? sink_proxy_mode_find(s->p.proxy) : SINK_PROXY_NONE;
    if (m < 0) {
        snprintf(err, errlen, "--proxy: '%s' is not none, v1, v2 or any",
                 s->p.proxy);
        *usage = true;
        return -1;
    }
    s->proxy = (enum sink_proxy_mode)(f->proxy >= 0 ? f->proxy : m);
    s->proxy_lax = f->proxy_lax > 0;
    if (s->proxy != SINK_PROXY_NONE && s->cfg.profile->implicit_tls) {
        snprintf(err, errlen, "--proxy: not with the implicit-tls profile");
        *usage = true;
        return -1;
    }
    return 0;
}

/* The TLS context: the configured certificate or a generated one, and
 * what the fault table asks of it. */
static int setup_tls(struct sink *s, bool *usage, char *err, size_t errlen)
{
    const struct sink_fault_settings *f = sink_fault_settings(s->faults);
    struct tls_server_params tp = {
        .cert_file = s->p.tls_cert,
        .key_file = s->p.tls_key,
        .hostname = s->cfg.hostname,
        .cert = f->tls_cert >= 0 ? (enum tls_server_cert)f->tls_cert
                                 : TLS_SERVER_CERT_NORMAL,
        .max_proto =
            f->tls_max >= 0 ? SINK_FAULT_TLS_VERSIONS[f->tls_max] : NULL,
        .client_ca = s->p.tls_client_ca,
    };
    int peer = tls_server_peer_find(s->p.tls_client_cert ? s->p.tls_client_cert
                                                         : "none");
    if (peer < 0) {
        snprintf(err, errlen,
                 "--tls-client-cert: '%s' is not none, request "
                 "or require",
                 s->p.tls_client_cert);
        return -1;
    }
    tp.peer = (enum tls_server_peer)peer;
    if (s->p.tls_key && !s->p.tls_cert) {
        snprintf(err, errlen, "--tls-key needs --tls-cert");
        return -1;
    }
    const char *files[] = {s->p.tls_cert, s->p.tls_key, s->p.tls_client_ca};
    for (size_t i = 0; i < 3; i++)
        if (files[i] && access(files[i], R_OK) != 0) {
            *usage = false; /* the system's fault, not the options' */
            snprintf(err, errlen, "%s: %s", files[i], strerror(errno));
            return -1;
        }
    s->tls = tls_server_new(&tp, err, errlen);
    if (!s->tls)
        return -1;
    s->cfg.tls = true;
    return 0;
}

/* One user "NAME:PASSWORD[:TOKEN]"; errors name the user, never the
 * password. */
static int add_user(struct sink *s, const char *spec, const char *where,
                    char *err, size_t errlen)
{
    const char *c1 = strchr(spec, ':');
    if (!c1 || c1 == spec) {
        snprintf(err, errlen, "%s: want NAME:PASSWORD[:TOKEN]", where);
        return -1;
    }
    char *name = xstrndup(spec, (size_t)(c1 - spec));
    const char *c2 = strrchr(c1 + 1, ':');
    char *pass = c2 ? xstrndup(c1 + 1, (size_t)(c2 - c1 - 1)) : xstrdup(c1 + 1);
    char *token = c2 ? xstrdup(c2 + 1) : NULL;
    struct sasl_user u = {name, *pass ? pass : NULL,
                          token && *token ? token : NULL};
    char why[256];
    int rc = sasl_users_add(s->users, &u, why, sizeof why);
    if (rc != 0)
        snprintf(err, errlen, "%s: user '%s': %s", where, name, why);
    free(name);
    sasl_crypto_free_secret(pass);
    if (token)
        sasl_crypto_free_secret(token);
    return rc;
}

static int load_users(struct sink *s, const char *path, bool *usage, char *err,
                      size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        *usage = false;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[SINK_USER_LINE_MAX + 2], where[600];
    int rc = 0;
    for (unsigned no = 1; rc == 0 && fgets(line, sizeof line, fp); no++) {
        size_t n = strlen(line);
        snprintf(where, sizeof where, "%s:%u", path, no);
        if (n && line[n - 1] == '\n')
            line[--n] = '\0';
        else if (!feof(fp)) {
            snprintf(err, errlen, "%s: line longer than %d octets", where,
                     SINK_USER_LINE_MAX);
            rc = -1;
            break;
        }
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        if (n && line[0] != '#')
            rc = add_user(s, line, where, err, errlen);
    }
    sasl_crypto_wipe(line, sizeof line);
    fclose(fp);
    return rc;
}

/* The AUTH user table (empty when no user is given: every exchange then
 * ends 535). */
static int setup_users(struct sink *s, bool *usage, char *err, size_t errlen)
{
    s->users = sasl_users_new(NULL);
    for (size_t i = 0; i < s->p.nusers; i++)
        if (add_user(s, s->p.users[i], "--user", err, errlen) != 0)
            return -1;
    for (size_t i = 0; i < s->p.nuser_files; i++)
        if (load_users(s, s->p.user_files[i], usage, err, errlen) != 0)
            return -1;
    s->cfg.users = s->users;
    return 0;
}

static int configure(struct sink *s, bool *usage, char *err, size_t errlen)
{
    struct sink_proto_config *c = &s->cfg;
    sink_proto_config_init(c);
    const char *name = s->p.profile ? s->p.profile : "mx";
    c->profile = sink_profile_find(name);
    if (!c->profile) {
        snprintf(err, errlen,
                 "unknown profile '%s' (mx, submission, lmtp, "
                 "554-greeting, implicit-tls, tls-required)",
                 name);
        return -1;
    }
    if (s->p.hostname) {
        const char *h = s->p.hostname;
        size_t n = strlen(h);
        bool ok = n > 0 && n <= SINK_PROTO_HOSTNAME_MAX;
        for (size_t i = 0; ok && i < n; i++)
            ok = h[i] > 32 && h[i] < 127; /* it goes into replies */
        if (!ok) {
            snprintf(err, errlen,
                     "--hostname: 1..%d printable octets, no "
                     "spaces",
                     SINK_PROTO_HOSTNAME_MAX);
            return -1;
        }
        c->hostname = h;
    }
    c->local_domains = s->p.local_domains;
    c->nlocal = s->p.nlocal;
    if (s->p.size_limit > 0)
        c->size_limit = (size_t)s->p.size_limit;
    if (s->p.rcpt_limit > 0)
        c->rcpt_limit = (size_t)s->p.rcpt_limit;
    if (s->p.line_limit > 0)
        c->line_max = (size_t)s->p.line_limit;
    if (s->p.error_limit > 0)
        c->error_limit = (size_t)s->p.error_limit;
    c->trace = trace;
    c->note = note;
    c->trace_arg = s;
    c->log_input = s->p.verbosity >= 2;
    if (s->p.idle_timeout_us <= 0)
        s->p.idle_timeout_us = SINK_IDLE_TIMEOUT_US;
    if (s->p.max_connections <= 0)
        s->p.max_connections = SINK_MAX_CONNECTIONS;
    if (apply_faults(s, usage, err, errlen) != 0 ||
        setup_proxy(s, usage, err, errlen) != 0 ||
        setup_users(s, usage, err, errlen) != 0)
        return -1;
    return setup_tls(s, usage, err, errlen);
}

static int cli_port(const char *s, unsigned long long *out)
{
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n > 5 || s[n])
        return -1;
    *out = strtoull(s, NULL, 10);
    return *out <= 65535 ? 0 : -1;
}

/* Parses --listen into a socket address; ":PORT" means loopback. */
static int parse_listen(struct sink *s, const char *spec,
                        struct sockaddr_storage *ss, int *len, char *err,
                        size_t errlen)
{
    if (strncmp(spec, "unix:", 5) == 0) {
        struct sockaddr_un *un = (struct sockaddr_un *)ss;
        const char *path = spec + 5;
        if (!*path || strlen(path) >= sizeof un->sun_path) {
            snprintf(err, errlen,
                     "--listen %s: a UNIX socket path of 1..%zu "
                     "octets",
                     spec, sizeof un->sun_path - 1);
            return -1;
        }
        memset(un, 0, sizeof *un);
        un->sun_family = AF_UNIX;
        strcpy(un->sun_path, path);
        *len = (int)sizeof *un;
        return 0;
    }
    char host[SINK_ADDR_MAX];
    const char *colon = strrchr(spec, ':');
    size_t hl = colon ? (size_t)(colon - spec) : 0;
    unsigned long long port;
    bool v6 = hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']';
    memset(ss, 0, sizeof *ss);
    if (!colon || hl >= sizeof host || cli_port(colon + 1, &port) != 0)
        goto bad;
    if (v6)
        snprintf(host, sizeof host, "%.*s", (int)(hl - 2), spec + 1);
    else if (hl)
        snprintf(host, sizeof host, "%.*s", (int)hl, spec);
    else
        snprintf(host, sizeof host, "127.0.0.1");
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (!v6 && inet_pton(AF_INET, host, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        *len = (int)sizeof *in;
    } else if (v6 && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = (int)sizeof *in6;
    } else {
        goto bad;
    }
    return 0;
bad:
    snprintf(err, errlen,
             "--listen %s: want ADDR:PORT, [IPv6]:PORT, :PORT "
             "or unix:/path (numeric ADDR, PORT 0..65535)",
             spec);
    return -1;
}

static void describe(struct sink *s, const struct sockaddr *sa)
{
    if (sa->sa_family == AF_UNIX) {
        snprintf(s->address, sizeof s->address, "unix:%s", s->unix_path);
        return;
    }
    struct sockaddr_storage b;
    socklen_t bl = sizeof b;
    getsockname(evconnlistener_get_fd(s->listener), (struct sockaddr *)&b, &bl);
    client_name((struct sockaddr *)&b, s->address, sizeof s->address);
    s->port =
        ntohs(b.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&b)->sin6_port
                                      : ((struct sockaddr_in *)&b)->sin_port);
}

static int bind_listener(struct sink *s, char *err, size_t errlen, bool *usage)
{
    struct sockaddr_storage ss;
    int len;
    const char *spec = s->p.listen ? s->p.listen : SINK_LISTEN_DEFAULT;
    if (parse_listen(s, spec, &ss, &len, err, errlen) != 0) {
        *usage = true;
        return -1;
    }
    unsigned flags =
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_DISABLED;
    if (ss.ss_family == AF_UNIX) {
        struct sockaddr_un *un = (struct sockaddr_un *)&ss;
        struct stat st;
        if (lstat(un->sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
            unlink(un->sun_path); /* a stale socket of an earlier run */
        snprintf(s->unix_path, sizeof s->unix_path, "%s", un->sun_path);
    } else {
        flags |= LEV_OPT_REUSEABLE;
        if (ss.ss_family == AF_INET6)
            flags |= LEV_OPT_BIND_IPV6ONLY;
    }
    s->listener =
        evconnlistener_new_bind(s->base, on_accept, s, flags, SINK_BACKLOG,
                                (struct sockaddr *)&ss, len);
    if (!s->listener) {
        s->unix_path[0] = '\0';
        snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(errno));
        return -1;
    }
    evconnlistener_set_error_cb(s->listener, on_accept_error);
    describe(s, (struct sockaddr *)&ss);
    return 0;
}

struct sink *sink_new(struct event_base *base, const struct sink_params *p,
                      bool *usage, char *err, size_t errlen)
{
    struct sink *s = xcalloc(1, sizeof *s);
    s->base = base;
    s->p = *p;
    *usage = true;
    unsigned char r[4];
    digest_random(r, sizeof r);
    snprintf(s->prefix, sizeof s->prefix, "%02x%02x%02x%02x", r[0], r[1], r[2],
             r[3]);
    s->reaper = event_new(base, -1, 0, reap, s);
    s->accept_pause = evtimer_new(base, on_accept_resume, s);
    if (configure(s, usage, err, errlen) != 0)
        goto fail;
    *usage = false;
    if (bind_listener(s, err, errlen, usage) != 0)
        goto fail;
    if (p->record &&
        !(s->log = sink_log_open(p->record, p->record_data, err, errlen)))
        goto fail;
    return s;
fail:
    sink_free(s);
    return NULL;
}

void sink_start(struct sink *s)
{
    evconnlistener_enable(s->listener);
    slog(s, 1, "listening on %s (profile %s)", s->address,
         s->cfg.profile->name);
    slog(s, 1, "TLS: %s", tls_server_describe(s->tls));
    if (s->cfg.profile->caps & SINK_EXT_BIT(AUTH))
        slog(s, 1, "AUTH: %s",
             sasl_users_count(s->users) ? "users from --user/--users"
                                        : "no users (--user): every exchange "
                                          "ends 535");
}

void sink_stop(struct sink *s)
{
    if (s->stopping)
        return;
    s->stopping = true;
    if (s->listener)
        evconnlistener_disable(s->listener);
    event_del(s->accept_pause);
    for (struct conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (c->tls_pending) { /* between 220 and handshake: nothing to say */
            conn_kill(c);
            continue;
        }
        if (c->closing)
            continue;
        event_del(c->timer);
        c->paused = false;
        handle(c, sink_proto_shutdown(c->proto));
    }
    slog(s, 1, "stopping: %zu sessions open, %llu messages", s->open,
         (unsigned long long)s->messages);
}

void sink_free(struct sink *s)
{
    if (!s)
        return;
    while (s->conns)
        conn_kill(s->conns);
    reap(-1, 0, s);
    if (s->listener)
        evconnlistener_free(s->listener);
    if (s->unix_path[0])
        unlink(s->unix_path);
    if (s->reaper)
        event_free(s->reaper);
    if (s->accept_pause)
        event_free(s->accept_pause);
    sink_log_close(s->log);
    sink_fault_free(s->faults);
    tls_server_free(s->tls);
    sasl_users_free(s->users);
    free(s->old_bevs);
    free(s);
}

int sink_port(const struct sink *s)
{
    return s->port;
}

const char *sink_address(const struct sink *s)
{
    return s->address;
}

const char *sink_tls_cert_pem(const struct sink *s)
{
    return tls_server_cert_pem(s->tls);
}

size_t sink_open_sessions(const struct sink *s)
{
    return s->open;
}

uint64_t sink_session_count(const struct sink *s)
{
    return s->sessions;
}

uint64_t sink_message_count(const struct sink *s)
{
    return s->messages;
}

/* ---- a sink with an event base of its own ----------------------------- */

struct serve {
    struct event_base *base;
    struct sink *sink;
    struct event *drain;
    int signo;
    bool deadline;
};

static void on_drain_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct serve *sv = arg;
    sv->deadline = true;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct serve *sv = arg;
    if (sv->signo)
        return;
    sv->signo = (int)sig;
    sink_stop(sv->sink);
    struct timeval tv = {SINK_DRAIN_US / 1000000, 0};
    event_add(sv->drain, &tv);
}

int sink_serve(const struct sink_params *p,
               int (*ready)(void *arg, const struct sink *s), void *arg,
               int *signo, bool *usage, char *err, size_t errlen)
{
    struct serve sv = {0};
    struct event_config *ec = event_config_new();
    event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER); /* delays */
    sv.base = event_base_new_with_config(ec);
    event_config_free(ec);
    if (!sv.base)
        fatal("sink: no event base");
    signal(SIGPIPE, SIG_IGN);
    int rc = -1;
    sv.sink = sink_new(sv.base, p, usage, err, errlen);
    struct event *term = evsignal_new(sv.base, SIGTERM, on_signal, &sv);
    struct event *intr = evsignal_new(sv.base, SIGINT, on_signal, &sv);
    sv.drain = evtimer_new(sv.base, on_drain_deadline, &sv);
    if (sv.sink) {
        event_add(term, NULL);
        event_add(intr, NULL);
        sink_start(sv.sink);
        if (ready && ready(arg, sv.sink) != 0) {
            snprintf(err, errlen, "stopped before serving");
        } else {
            while (!sv.signo)
                event_base_loop(sv.base, EVLOOP_ONCE);
            /* stopping: until every session closed, or the deadline */
            while (sink_open_sessions(sv.sink) > 0 && !sv.deadline)
                event_base_loop(sv.base, EVLOOP_ONCE);
            *signo = sv.signo;
            rc = 0;
        }
    }
    event_free(term);
    event_free(intr);
    event_free(sv.drain);
    sink_free(sv.sink);
    event_base_free(sv.base);
    return rc;
}
