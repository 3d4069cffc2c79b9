/* smtp_delay: a small SMTP server for the accuracy proofs and the TLS
 * benchmark of bench/: it answers like Postfix's smtp-sink (everything
 * accepted), but can hold the reply to one step for an exact time, and
 * stall every reply during a window, with precise timers (a thread a
 * connection, clock_nanosleep on absolute times), so the figures the
 * load generator reports can be compared with what the server did. It
 * shares no code with smtpsuite's client.
 *
 *   smtp_delay [--listen ADDR:PORT] [--port-file FILE] [--delay STEP=US]...
 *              [--stall AT_US:DUR_US] [--tls CERT KEY] [--counts FILE]
 *
 * STEP is banner, helo, ehlo, mail, rcpt, data_cmd, eod, rset or quit.
 * The stall window starts AT_US after the first connection: a reply due
 * inside it goes out when it ends. --tls advertises STARTTLS. On SIGTERM
 * or SIGINT it writes its counts (sessions, messages, commands) to FILE
 * (or stderr) and exits 0, with, for each delayed step, how long its
 * replies were actually held ("hold STEP p50 p99 p99.9 max", in us: from
 * the command's arrival to the reply's write), so a late server can be
 * told from a late measurement. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_ 4096
#define BUF_SIZE  (1 << 16)

enum step {
    S_BANNER,
    S_HELO,
    S_EHLO,
    S_MAIL,
    S_RCPT,
    S_DATA,
    S_EOD,
    S_RSET,
    S_QUIT,
    S_OTHER,
    S_COUNT
};
static const char *const STEP_NAMES[S_COUNT] = {
    "banner",   "helo", "ehlo", "mail", "rcpt",
    "data_cmd", "eod",  "rset", "quit", "other"};

static int64_t DELAY_NS[S_COUNT];
static int64_t STALL_AT_NS = -1, STALL_NS;
static _Atomic int64_t FIRST_NS; /* monotonic time of the first connection */
static SSL_CTX *TLS;
static _Atomic uint64_t COUNT[S_COUNT], SESSIONS, TLS_SESSIONS;

/* Hold times of the delayed steps' replies, us. */
#define HOLD_MAX 4000000
static pthread_mutex_t HOLD_MU = PTHREAD_MUTEX_INITIALIZER;
static int32_t *HOLD[S_COUNT];
static size_t NHOLD[S_COUNT];

static void note_hold(enum step st, int64_t ns)
{
    pthread_mutex_lock(&HOLD_MU);
    if (!HOLD[st])
        HOLD[st] = malloc(HOLD_MAX * sizeof *HOLD[st]);
    if (HOLD[st] && NHOLD[st] < HOLD_MAX)
        HOLD[st][NHOLD[st]++] = (int32_t)(ns / 1000);
    pthread_mutex_unlock(&HOLD_MU);
}
static volatile sig_atomic_t STOP;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until_ns(int64_t t)
{
    struct timespec ts = {(time_t)(t / 1000000000), (long)(t % 1000000000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

struct conn {
    int fd;
    SSL *ssl;
    char buf[BUF_SIZE];
    size_t have;
};

/* Sends a reply to step st, received at t_in: after the step's delay,
 * and never inside the stall window. */
static void reply(struct conn *c, enum step st, int64_t t_in, const char *text)
{
    int64_t due = t_in + DELAY_NS[st];
    int64_t first = atomic_load(&FIRST_NS);
    if (STALL_AT_NS >= 0 && first) {
        int64_t a = first + STALL_AT_NS, b = a + STALL_NS;
        int64_t t = due > now_ns() ? due : now_ns();
        if (t >= a && t < b)
            due = b;
    }
    if (due > now_ns())
        sleep_until_ns(due);
    size_t n = strlen(text);
    if (c->ssl)
        SSL_write(c->ssl, text, (int)n);
    else
        (void)!write(c->fd, text, n);
    if (DELAY_NS[st])
        note_hold(st, now_ns() - t_in);
    atomic_fetch_add(&COUNT[st], 1);
}

static ssize_t rd(struct conn *c)
{
    if (c->have == sizeof c->buf)
        return -1;
    return c->ssl ? SSL_read(c->ssl, c->buf + c->have,
                             (int)(sizeof c->buf - c->have))
                  : read(c->fd, c->buf + c->have, sizeof c->buf - c->have);
}

/* A line into out (CRLF removed); false at the end of the connection.
 * *t is when its last octets arrived. */
static bool get_line(struct conn *c, char *out, int64_t *t)
{
    for (;;) {
        char *lf = memchr(c->buf, '\n', c->have);
        if (lf) {
            size_t n = (size_t)(lf - c->buf) + 1, k = n - 1;
            if (k && c->buf[k - 1] == '\r')
                k--;
            if (k >= LINE_MAX_)
                k = LINE_MAX_ - 1;
            memcpy(out, c->buf, k);
            out[k] = '\0';
            memmove(c->buf, c->buf + n, c->have - n);
            c->have -= n;
            return true;
        }
        ssize_t r = rd(c);
        if (r <= 0)
            return false;
        c->have += (size_t)r;
        *t = now_ns();
    }
}

/* Reads message content to the "." line; false when the connection
 * ended first. *t is when the terminator arrived. */
static bool get_data(struct conn *c, int64_t *t)
{
    char line[LINE_MAX_];
    while (get_line(c, line, t))
        if (strcmp(line, ".") == 0)
            return true;
    return false;
}

static const struct {
    const char *verb;
    enum step st;
    const char *text;
} VERBS[] = {
    {"HELO", S_HELO, "250 smtp-delay\r\n"},
    {"MAIL", S_MAIL, "250 2.1.0 Ok\r\n"},
    {"RCPT", S_RCPT, "250 2.1.5 Ok\r\n"},
    {"RSET", S_RSET, "250 2.0.0 Ok\r\n"},
    {"NOOP", S_OTHER, "250 2.0.0 Ok\r\n"},
    {"QUIT", S_QUIT, "221 2.0.0 Bye\r\n"},
};

/* One command; false to close. */
static bool command(struct conn *c, const char *line, int64_t t)
{
    if (strncasecmp(line, "EHLO", 4) == 0) {
        reply(c, S_EHLO, t,
              TLS && !c->ssl
                  ? "250-smtp-delay\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
                    "250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n"
                  : "250-smtp-delay\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
                    "250 ENHANCEDSTATUSCODES\r\n");
        return true;
    }
    if (strncasecmp(line, "DATA", 4) == 0) {
        reply(c, S_DATA, t, "354 End data with <CR><LF>.<CR><LF>\r\n");
        if (!get_data(c, &t))
            return false;
        reply(c, S_EOD, t, "250 2.0.0 Ok: queued\r\n");
        return true;
    }
    if (strncasecmp(line, "STARTTLS", 8) == 0 && TLS && !c->ssl) {
        reply(c, S_OTHER, t, "220 2.0.0 Ready to start TLS\r\n");
        c->have = 0;
        c->ssl = SSL_new(TLS);
        SSL_set_fd(c->ssl, c->fd);
        if (SSL_accept(c->ssl) != 1)
            return false;
        atomic_fetch_add(&TLS_SESSIONS, 1);
        return true;
    }
    for (size_t i = 0; i < sizeof VERBS / sizeof VERBS[0]; i++)
        if (strncasecmp(line, VERBS[i].verb, 4) == 0) {
            reply(c, VERBS[i].st, t, VERBS[i].text);
            return VERBS[i].st != S_QUIT;
        }
    reply(c, S_OTHER, t, "502 5.5.2 Error: command not recognized\r\n");
    return true;
}

static void *serve(void *arg)
{
    struct conn *c = arg;
    int64_t t = now_ns();
    int64_t zero = 0;
    atomic_compare_exchange_strong(&FIRST_NS, &zero, t);
    atomic_fetch_add(&SESSIONS, 1);
    reply(c, S_BANNER, t, "220 smtp-delay ESMTP\r\n");
    char line[LINE_MAX_];
    while (get_line(c, line, &t) && command(c, line, t))
        ;
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    close(c->fd);
    free(c);
    return NULL;
}

static int parse_step(const char *s, size_t n)
{
    for (int i = 0; i < S_COUNT; i++)
        if (strlen(STEP_NAMES[i]) == n && strncmp(STEP_NAMES[i], s, n) == 0)
            return i;
    return -1;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: smtp_delay [--listen ADDR:PORT] [--port-file FILE] "
            "[--delay STEP=US]... [--stall AT_US:DUR_US] [--tls CERT KEY] "
            "[--counts FILE]\n");
    exit(2);
}

static void on_signal(int sig)
{
    (void)sig;
    STOP = 1;
}

static int listen_on(const char *addr, const char *port_file)
{
    char host[64] = "127.0.0.1";
    int port = 0;
    if (addr && sscanf(addr, "%63[^:]:%d", host, &port) != 2)
        usage();
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(fd, 4096) != 0) {
        perror("smtp_delay: listen");
        exit(1);
    }
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    if (port_file) {
        FILE *fp = fopen(port_file, "w");
        if (!fp) {
            perror(port_file);
            exit(1);
        }
        fprintf(fp, "%d\n", ntohs(a.sin_port));
        fclose(fp);
    }
    return fd;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

/* The nearest rank of per_mille among n sorted values, 0-based. */
static size_t rank(size_t n, size_t per_mille)
{
    size_t r = (n * per_mille + 999) / 1000;
    return r ? r - 1 : 0;
}

static void write_counts(const char *path)
{
    FILE *fp = path ? fopen(path, "w") : stderr;
    if (!fp)
        fp = stderr;
    fprintf(fp, "sessions %llu\ntls %llu\n",
            (unsigned long long)atomic_load(&SESSIONS),
            (unsigned long long)atomic_load(&TLS_SESSIONS));
    for (int i = 0; i < S_COUNT; i++)
        fprintf(fp, "%s %llu\n", STEP_NAMES[i],
                (unsigned long long)atomic_load(&COUNT[i]));
    pthread_mutex_lock(&HOLD_MU);
    for (int i = 0; i < S_COUNT; i++) {
        size_t n = NHOLD[i];
        if (n == 0)
            continue;
        qsort(HOLD[i], n, sizeof *HOLD[i], cmp_i32);
        fprintf(fp, "hold %s %d %d %d %d\n", STEP_NAMES[i],
                HOLD[i][rank(n, 500)], HOLD[i][rank(n, 990)],
                HOLD[i][rank(n, 999)], HOLD[i][n - 1]);
    }
    pthread_mutex_unlock(&HOLD_MU);
    if (fp != stderr)
        fclose(fp);
}

static void options(int argc, char **argv, const char **addr, const char **pf,
                    const char **counts)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--listen") == 0 && i + 1 < argc) {
            *addr = argv[++i];
        } else if (strcmp(a, "--port-file") == 0 && i + 1 < argc) {
            *pf = argv[++i];
        } else if (strcmp(a, "--counts") == 0 && i + 1 < argc) {
            *counts = argv[++i];
        } else if (strcmp(a, "--delay") == 0 && i + 1 < argc) {
            const char *v = argv[++i], *eq = strchr(v, '=');
            int st = eq ? parse_step(v, (size_t)(eq - v)) : -1;
            if (st < 0)
                usage();
            DELAY_NS[st] = atoll(eq + 1) * 1000;
        } else if (strcmp(a, "--stall") == 0 && i + 1 < argc) {
            long long at, dur;
            if (sscanf(argv[++i], "%lld:%lld", &at, &dur) != 2)
                usage();
            STALL_AT_NS = at * 1000;
            STALL_NS = dur * 1000;
        } else if (strcmp(a, "--tls") == 0 && i + 2 < argc) {
            TLS = SSL_CTX_new(TLS_server_method());
            if (!TLS ||
                SSL_CTX_use_certificate_chain_file(TLS, argv[i + 1]) != 1 ||
                SSL_CTX_use_PrivateKey_file(TLS, argv[i + 2],
                                            SSL_FILETYPE_PEM) != 1) {
                ERR_print_errors_fp(stderr);
                exit(1);
            }
            i += 2;
        } else {
            usage();
        }
    }
}

int main(int argc, char **argv)
{
    const char *addr = NULL, *pf = NULL, *counts = NULL;
    options(argc, argv, &addr, &pf, &counts);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int lfd = listen_on(addr, pf);
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 256 * 1024);
    while (!STOP) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue; /* EINTR from the signal: STOP is set */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = calloc(1, sizeof *c);
        if (!c)
            abort();
        c->fd = fd;
        pthread_t th;
        if (pthread_create(&th, &at, serve, c) != 0) {
            close(fd);
            free(c);
        }
    }
    write_counts(counts);
    return 0;
}
