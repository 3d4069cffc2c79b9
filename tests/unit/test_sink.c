/* Tests of harness/sink.c in-process: a sink on the test's own event
 * base, driven by a child process with a plain blocking socket (no code
 * of the module), over TCP and a UNIX socket; the arrival callback and
 * the session log see what happened; bad parameters fail with a message. */
#include "harness/sink.h"

#include <check.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST_NAME "sink"

#define DIALOGUE                                                               \
    "EHLO client.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n"       \
    "RCPT TO:<nouser@y.test>\r\nDATA\r\nSubject: t\r\n\r\n..dot\r\n.\r\n"      \
    "QUIT\r\n"

struct seen {
    int messages;
    char rcpt[64];
    char data[256];
    int log_lines;
    bool closed_logged;
};

static void on_arrival(void *arg, const struct sink_message *m)
{
    struct seen *s = arg;
    s->messages++;
    snprintf(s->rcpt, sizeof s->rcpt, "%s", m->rcpts[0].addr);
    snprintf(s->data, sizeof s->data, "%.*s", (int)m->len, m->data);
}

static void on_log(void *arg, const char *line)
{
    struct seen *s = arg;
    s->log_lines++;
    if (strstr(line, " close"))
        s->closed_logged = true;
}

/* The client: the whole dialogue in one write (pipelining), then read
 * to EOF; exit 0 if every reply came in order. */
static void client(const struct sockaddr *sa, socklen_t len)
{
    int fd = socket(sa->sa_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, sa, len) != 0)
        _exit(2);
    char buf[8192];
    size_t n = 0;
    ssize_t r;
    if (write(fd, DIALOGUE, strlen(DIALOGUE)) < 0)
        _exit(3);
    while (n < sizeof buf - 1 &&
           (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    const char *want[] = {
        "220 ",      "250-", "250 CHUNKING",         "250 2.1.0", "250 2.1.5",
        "550 5.1.1", "354 ", "250 2.0.0 Ok: queued", "221 2.0.0"};
    const char *p = buf;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        p = strstr(p, want[i]);
        if (!p)
            _exit(10 + (int)i);
    }
    _exit(0);
}

struct run {
    struct event_base *base;
    pid_t child;
    int status;
};

static void poll_child(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    if (waitpid(r->child, &r->status, WNOHANG) == r->child)
        event_base_loopbreak(r->base);
}

static void drive(const char *listen)
{
    struct seen seen = {0};
    struct run r = {event_base_new(), 0, -1};
    struct sink_params p = {.listen = listen,
                            .on_arrival = on_arrival,
                            .on_log = on_log,
                            .arg = &seen,
                            .verbosity = 2};
    char err[512];
    bool usage;
    struct sink *s = sink_new(r.base, &p, &usage, err, sizeof err);
    ck_assert_msg(s != NULL, "sink_new: %s", err);
    sink_start(s);
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    if (strncmp(listen, "unix:", 5) == 0) {
        struct sockaddr_un *un = (void *)&ss;
        un->sun_family = AF_UNIX;
        snprintf(un->sun_path, sizeof un->sun_path, "%s", listen + 5);
        len = sizeof *un;
        ck_assert_int_eq(sink_port(s), 0);
        ck_assert_str_eq(sink_address(s), listen);
    } else {
        struct sockaddr_in *in = (void *)&ss;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        in->sin_port = htons((uint16_t)sink_port(s));
        len = sizeof *in;
        ck_assert_int_gt(sink_port(s), 0);
    }
    r.child = fork();
    ck_assert_int_ge(r.child, 0);
    if (r.child == 0)
        client((struct sockaddr *)&ss, len);
    struct event *tick = event_new(r.base, -1, EV_PERSIST, poll_child, &r);
    struct timeval tv = {0, 20000};
    event_add(tick, &tv);
    event_base_dispatch(r.base);
    event_free(tick);
    ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0,
                  "client status %d", r.status);
    /* let the session finish its close, then stop */
    for (int i = 0; i < 100 && sink_open_sessions(s) > 0; i++)
        event_base_loop(r.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    sink_stop(s);
    event_base_dispatch(r.base);
    ck_assert_int_eq(seen.messages, 1);
    ck_assert_str_eq(seen.rcpt, "b@y.test");
    ck_assert_str_eq(seen.data, "Subject: t\r\n\r\n.dot\r\n");
    ck_assert_uint_eq(sink_message_count(s), 1);
    ck_assert_uint_eq(sink_session_count(s), 1);
    ck_assert_uint_eq(sink_open_sessions(s), 0);
    ck_assert(seen.closed_logged);
    ck_assert_int_gt(seen.log_lines, 10); /* verbosity 2: the bytes too */
    sink_free(s);
    event_base_free(r.base);
}

START_TEST(test_tcp)
{
    drive("127.0.0.1:0");
}
END_TEST

START_TEST(test_unix)
{
    char path[64];
    snprintf(path, sizeof path, "unix:/tmp/test_sink_%d.sock", (int)getpid());
    drive(path);
    ck_assert_int_ne(access(path + 5, F_OK), 0); /* removed by sink_free */
}
END_TEST

START_TEST(test_bad_params)
{
    struct event_base *base = event_base_new();
    const struct {
        struct sink_params p;
        bool usage;
        const char *err;
    } cases[] = {
        {{.listen = "nonsense"}, true, "--listen nonsense: want"},
        {{.listen = ":0", .profile = "nope"}, true, "unknown profile 'nope'"},
        {{.listen = ":0", .tls_client_cert = "maybe"},
         true,
         "--tls-client-cert: 'maybe' is not none, request or require"},
        {{.listen = ":0", .tls_cert = "/nonexistent/cert.pem"},
         false,
         "/nonexistent/cert.pem: No such file or directory"},
        {{.listen = ":0", .tls_key = "/nonexistent/key.pem"},
         true,
         "--tls-key needs --tls-cert"},
        {{.listen = ":0", .users = (const char *const[]){"alice"}, .nusers = 1},
         true,
         "--user: want NAME:PASSWORD[:TOKEN]"},
        {{.listen = ":0",
          .users = (const char *const[]){"alice:s3cret:", "alice:other"},
          .nusers = 2},
         true,
         "--user: user 'alice': "},
        {{.listen = ":0",
          .faults = (const char *const[]){"X -> y"},
          .nfaults = 1},
         true,
         "--fault: fault 'X -> y': unknown command 'X'"},
        {{.listen = ":0", .hostname = "a\r\nb"}, true, "--hostname"},
        {{.listen = ":0", .record = "/nonexistent/x"},
         false,
         "/nonexistent/x: No such file or directory"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        bool usage = !cases[i].usage;
        struct sink *s = sink_new(base, &cases[i].p, &usage, err, sizeof err);
        ck_assert_ptr_null(s);
        ck_assert_msg(strstr(err, cases[i].err), "case %zu: got '%s' want '%s'",
                      i, err, cases[i].err);
        ck_assert_msg(!strstr(err, "s3cret") && !strstr(err, "other"),
                      "case %zu: a password in the error: %s", i, err);
        ck_assert_int_eq(usage, cases[i].usage);
    }
    event_base_free(base);
}
END_TEST

static void add_tests(TCase *tc)
{
    signal(SIGPIPE, SIG_IGN);
    tcase_add_test(tc, test_tcp);
    tcase_add_test(tc, test_unix);
    tcase_add_test(tc, test_bad_params);
}

#include "check_main.h"
