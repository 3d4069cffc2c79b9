/* conn: client connections on libevent bufferevents, behind a transport
 * ops table (see conn.h). The only file of the client that names
 * libevent's bufferevent types. Callbacks are deferred to the loop, so
 * no call the owner makes (a drain, a write) runs a callback inside it. */
#include "harness/conn.h"
#include "harness/buf.h"
#include "harness/tls.h"
#include "harness/xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define ADDR_TEXT 128

/* A transport: how the socket is prepared before connecting. TLS is a
 * layer started later on top of either (conn_start_tls). */
struct transport_ops {
    const char *name;
    int family;
    void (*prepare)(evutil_socket_t fd);
};

static void tcp_prepare(evutil_socket_t fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void unix_prepare(evutil_socket_t fd)
{
    (void)fd;
}

static const struct transport_ops TRANSPORTS[] = {
    {"tcp4", AF_INET, tcp_prepare},
    {"tcp6", AF_INET6, tcp_prepare},
    {"unix", AF_UNIX, unix_prepare},
};

struct conn {
    struct bufferevent *bev;
    const struct transport_ops *ops;
    conn_cb *cb;
    void *arg;
    int in_cb;  /* depth of callbacks running on this conn */
    bool dead;  /* conn_free called inside a callback */
    bool tls;
    bool handshaking;
    bool plaintext; /* the failed handshake met plaintext */
    bool up;        /* connected: writes may go straight to the socket */
    const struct tls_client *tlsc;
    struct buf pretls; /* plaintext that came after STARTTLS's 220 */
    struct event *soon; /* reports a connect that failed (or, for exec,
                           succeeded) at once */
    pid_t child;        /* exec transport: the server process */
    char error[256];
    char local[ADDR_TEXT];
    char remote[ADDR_TEXT];
};

static const char *const EVENT_NAMES[] = {
#define X(e, s) s,
    CONN_EVENT_LIST(X)
#undef X
};

const char *conn_event_name(enum conn_event ev)
{
    return EVENT_NAMES[ev];
}

static void release(struct conn *c)
{
    buf_free(&c->pretls);
    if (c->soon)
        event_free(c->soon);
    if (c->bev)
        bufferevent_free(c->bev);
    if (c->child > 0) {
        /* Its stdin is closed now; a server that does not exit on EOF is
         * told to. */
        int st;
        if (waitpid(c->child, &st, WNOHANG) == 0) {
            kill(c->child, SIGTERM);
            waitpid(c->child, &st, 0);
        }
    }
    free(c);
}

/* Calls the owner; frees the conn afterwards if the owner asked to. */
static void dispatch(struct conn *c, enum conn_event ev)
{
    c->in_cb++;
    if (!c->dead) /* nested events after conn_free reach nobody */
        c->cb(c, ev, c->arg);
    c->in_cb--;
    if (c->dead && c->in_cb == 0)
        release(c);
}

static void addr_text(const struct sockaddr *sa, char out[ADDR_TEXT])
{
    char host[INET6_ADDRSTRLEN] = "?";
    switch (sa->sa_family) {
    case AF_INET: {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        snprintf(out, ADDR_TEXT, "%s:%u", host, ntohs(in->sin_port));
        return;
    }
    case AF_INET6: {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        snprintf(out, ADDR_TEXT, "[%s]:%u", host, ntohs(in6->sin6_port));
        return;
    }
    case AF_UNIX: {
        const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
        snprintf(out, ADDR_TEXT, "unix:%s", un->sun_path[0] ? un->sun_path : "-");
        return;
    }
    }
    snprintf(out, ADDR_TEXT, "?");
}

static void note_addresses(struct conn *c)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    memset(&ss, 0, sizeof ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        addr_text((struct sockaddr *)&ss, c->local);
    len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
        addr_text((struct sockaddr *)&ss, c->remote);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    dispatch(arg, CONN_EV_DATA);
}

static void on_write(struct bufferevent *bev, void *arg)
{
    dispatch(arg, CONN_EV_DRAINED);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        if (c->handshaking) {
            c->handshaking = false;
            c->tls = true;
            dispatch(c, CONN_EV_TLS_DONE);
            return;
        }
        note_addresses(c);
        c->up = true;
        dispatch(c, CONN_EV_CONNECTED);
        return;
    }
    if (c->handshaking && (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF))) {
        c->handshaking = false;
        SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
        char seen[160];
        c->plaintext = tls_plaintext_seen(ssl, seen, sizeof seen);
        if (c->plaintext) {
            snprintf(c->error, sizeof c->error,
                     "the server sent plaintext instead of a TLS handshake: '%s'",
                     seen);
            ERR_clear_error();
        } else {
            tls_error_text(ssl, c->tlsc, bufferevent_get_openssl_error(c->bev),
                           c->error, sizeof c->error);
        }
        dispatch(c, CONN_EV_TLS_FAILED);
        return;
    }
    if (what & BEV_EVENT_EOF) {
        /* Anything still readable was delivered by on_read first. */
        dispatch(c, CONN_EV_EOF);
        return;
    }
    if (what & BEV_EVENT_ERROR) {
        unsigned long e = c->tls ? bufferevent_get_openssl_error(c->bev) : 0;
        if (e)
            ERR_error_string_n(e, c->error, sizeof c->error);
        else
            snprintf(c->error, sizeof c->error, "%s",
                     evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        dispatch(c, CONN_EV_ERROR);
    }
}

static void fail_soon(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    dispatch(c, c->child > 0 ? CONN_EV_CONNECTED : CONN_EV_ERROR);
}

/* The exec transport: a socket pair whose other end is the command's
 * stdin and stdout (swaks --pipe, sendmail -bs). Its stderr goes to
 * /dev/null so nothing of the server reaches our terminal raw. */
static struct conn *exec_new(const struct conn_params *p, char *err,
                             size_t errlen)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        return NULL;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return NULL;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(sv[1], 0);
        dup2(sv[1], 1);
        if (null >= 0)
            dup2(null, 2);
        signal(SIGPIPE, SIG_DFL);
        execl("/bin/sh", "sh", "-c", p->exec, (char *)NULL);
        _exit(127);
    }
    close(sv[1]);
    evutil_make_socket_nonblocking(sv[0]);
    struct conn *c = xcalloc(1, sizeof *c);
    c->ops = &TRANSPORTS[2];
    c->cb = p->cb;
    c->arg = p->arg;
    c->child = pid;
    c->bev = bufferevent_socket_new(p->base, sv[0],
                                    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    bufferevent_setwatermark(c->bev, EV_READ, 0, CONN_INPUT_MAX);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    snprintf(c->local, sizeof c->local, "pid:%ld", (long)getpid());
    snprintf(c->remote, sizeof c->remote, "exec:%.100s (pid %ld)", p->exec, (long)pid);
    struct timeval now = {0, 0};
    c->soon = evtimer_new(p->base, fail_soon, c);
    evtimer_add(c->soon, &now);
    return c;
}

static const struct transport_ops *ops_for(int family)
{
    for (size_t i = 0; i < sizeof TRANSPORTS / sizeof TRANSPORTS[0]; i++)
        if (TRANSPORTS[i].family == family)
            return &TRANSPORTS[i];
    return NULL;
}

struct conn *conn_new(const struct conn_params *p, char *err, size_t errlen)
{
    if (p->exec)
        return exec_new(p, err, errlen);
    const struct transport_ops *ops = ops_for(p->addr->sa_family);
    if (!ops) {
        snprintf(err, errlen, "address family %d not supported", p->addr->sa_family);
        return NULL;
    }
    evutil_socket_t fd =
        socket(p->addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return NULL;
    }
    if (p->bind && bind(fd, p->bind, p->bindlen) != 0) {
        snprintf(err, errlen, "bind to source address: %s", strerror(errno));
        close(fd);
        return NULL;
    }
    ops->prepare(fd);
    struct conn *c = xcalloc(1, sizeof *c);
    c->ops = ops;
    c->cb = p->cb;
    c->arg = p->arg;
    c->bev = bufferevent_socket_new(p->base, fd,
                                    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (!c->bev) {
        close(fd);
        free(c);
        snprintf(err, errlen, "cannot create a bufferevent");
        return NULL;
    }
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    bufferevent_setwatermark(c->bev, EV_READ, 0, CONN_INPUT_MAX);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    /* A connect error detected at once is still reported by an event. */
    if (bufferevent_socket_connect(c->bev, (struct sockaddr *)p->addr,
                                   (int)p->addrlen) != 0) {
        snprintf(c->error, sizeof c->error, "connect: %s", strerror(errno));
        struct timeval now = {0, 0};
        c->soon = evtimer_new(p->base, fail_soon, c);
        evtimer_add(c->soon, &now);
    }
    return c;
}

void conn_free(struct conn *c)
{
    if (!c)
        return;
    if (c->in_cb) {
        c->dead = true;
        bufferevent_disable(c->bev, EV_READ | EV_WRITE);
        return;
    }
    release(c);
}

void conn_write(struct conn *c, const void *p, size_t n)
{
    /* Plain TCP with nothing queued: the bytes go to the kernel at once,
     * and only what it does not take is queued. A command then costs one
     * send, not a write event armed, polled and disarmed. Errors are left
     * to the queued write, which reports them as events. */
    if (!c->tls && !c->handshaking && c->up &&
        evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
        ssize_t w = send(bufferevent_getfd(c->bev), p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            p = (const char *)p + w;
            n -= (size_t)w;
        }
    }
    if (n)
        bufferevent_write(c->bev, p, n);
}

size_t conn_output_len(const struct conn *c)
{
    return evbuffer_get_length(bufferevent_get_output(c->bev));
}

const char *conn_input(struct conn *c, size_t *len)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    *len = evbuffer_get_length(in);
    if (*len == 0)
        return "";
    return (const char *)evbuffer_pullup(in, -1);
}

void conn_input_drain(struct conn *c, size_t n)
{
    evbuffer_drain(bufferevent_get_input(c->bev), n);
}

void conn_shutdown(struct conn *c)
{
    bufferevent_disable(c->bev, EV_READ | EV_WRITE);
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    if (fd >= 0)
        shutdown(fd, SHUT_RDWR);
}

const char *conn_error(const struct conn *c)
{
    return c->error[0] ? c->error : "unknown error";
}

const char *conn_local(const struct conn *c)
{
    return c->local;
}

const char *conn_remote(const struct conn *c)
{
    return c->remote;
}

bool conn_is_tls(const struct conn *c)
{
    return c->tls;
}

int conn_start_tls(struct conn *c, const struct conn_tls_params *tp, char *err,
                   size_t errlen)
{
    if (!tp || !tp->client) {
        snprintf(err, errlen, "no TLS context for this target");
        return -1;
    }
    /* Bytes the server sent after its 220 and before the handshake are
     * plaintext it should not have sent (RFC 3207 4.2): keep them for
     * the owner and never let OpenSSL read them as a handshake. */
    struct evbuffer *in = bufferevent_get_input(c->bev);
    size_t n = evbuffer_get_length(in);
    buf_init(&c->pretls, CONN_INPUT_MAX);
    if (n) {
        buf_add(&c->pretls, evbuffer_pullup(in, -1), n);
        evbuffer_drain(in, n);
    }
    SSL *ssl = tls_client_ssl(tp->client);
    if (!ssl) {
        snprintf(err, errlen, "cannot create a TLS connection object");
        return -1;
    }
    if (tp->session)
        SSL_set_session(ssl, tp->session); /* offered; the server decides */
    struct bufferevent *tls = bufferevent_openssl_filter_new(
        bufferevent_get_base(c->bev), c->bev, ssl, BUFFEREVENT_SSL_CONNECTING,
        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (!tls) {
        SSL_free(ssl);
        snprintf(err, errlen, "cannot start TLS on the connection");
        return -1;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(tls, 1);
    tls_watch(ssl);
    c->bev = tls;
    c->tlsc = tp->client;
    c->handshaking = true;
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    bufferevent_setwatermark(c->bev, EV_READ, 0, CONN_INPUT_MAX);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    return 0;
}

const char *conn_pretls(const struct conn *c, size_t *len)
{
    *len = c->pretls.len;
    return buf_str(&c->pretls);
}

bool conn_tls_plaintext(const struct conn *c)
{
    return c->plaintext;
}

struct ssl_st *conn_ssl(const struct conn *c)
{
    return c->tls ? bufferevent_openssl_get_ssl(c->bev) : NULL;
}
