/* session: executes one compiled case against one target on one event
 * loop, on one or more connections, and fills one result_case: verdict,
 * steps with latencies, transcript. The engine (engine.c) runs many at
 * once; load runs reuse it.
 *
 * Lifetime: session_new, session_start, then the done callback fires
 * once (from the event loop, never from inside session_start); the owner
 * frees the session with session_free after the callback returned. */
#ifndef SMTPSUITE_SESSION_H
#define SMTPSUITE_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "harness/msggen.h"
#include "harness/prog.h"
#include "harness/result.h"
#include "harness/target.h"

struct body_stream;
struct event_base;
struct session;
struct ssl_session_st;
struct tls_client;

/* Per-step timeouts (microseconds). Two profiles: TIMEOUTS_CI, short,
 * for gates against known servers; TIMEOUTS_RFC, RFC 5321 4.5.3.2's
 * client timeouts, for servers that greylist or tarpit. */
struct timeouts {
    int64_t connect;
    int64_t banner;     /* 4.5.3.2.1 initial 220: 5 min */
    int64_t command;    /* MAIL, RCPT and other commands: 5 min */
    int64_t data_init;  /* DATA -> 354: 2 min */
    int64_t eod;        /* end of data -> 250: 10 min */
    int64_t tls;        /* a TLS handshake */
    int64_t quit;       /* the closing QUIT of a case */
    int64_t case_total; /* the whole case */
};

extern const struct timeouts TIMEOUTS_CI;
extern const struct timeouts TIMEOUTS_RFC;

/* Asks the owner for permission to open a connection (politeness limits);
 * the owner calls session_connect_granted(s) when allowed, possibly at
 * once. NULL: always allowed. */
typedef void session_gate_fn(void *arg, struct session *s);
/* Tells the owner a granted connection closed. */
typedef void session_ungate_fn(void *arg);
typedef void session_done_fn(struct session *s, void *arg);
/* A judged step: its name, when its command went out and when its reply
 * (or close, or timeout) came, both monotonic (clock_mono_us), and what
 * came: the reply code; for "connect" and "tls", 0 (a TLS handshake that
 * resumed a session: 1); -1 when nothing did (a timeout, a close, a
 * failed handshake). For load runs. */
typedef void session_step_fn(void *arg, const char *name, int64_t sent_us,
                             int64_t done_us, int code);
/* The content of a generated DATA step (`data msg`): mp holds what the
 * case asked for (size 0: minimal). Returns a stream the session then
 * owns and frees, or NULL for the generated message itself. */
typedef struct body_stream *session_body_fn(void *arg,
                                            const struct msggen_params *mp);
/* A fixture's value, asked before the target's: NULL when the owner has
 * none. The value stays valid until the next call for the same name. */
typedef const char *session_fixture_fn(void *arg, const char *name,
                                       size_t *len);

struct deliver;

struct session_params {
    struct event_base *base;
    const struct prog_case *pc;
    const struct prog_case *prologue; /* session_prologue_new(target, 1) */
    const struct prog_case *prologue_noauth; /* ... (target, 0); or NULL */
    const struct target *target;
    const struct sockaddr *addr; /* resolved target address (NULL: exec) */
    socklen_t addrlen;
    const struct sockaddr *bind; /* source address or NULL */
    socklen_t bindlen;
    const struct timeouts *tmo;
    const struct tls_client *tls; /* for STARTTLS and implicit TLS */
    const char *run_id;
    bool trace_states; /* log state changes to stderr (debugging) */
    session_gate_fn *gate;
    session_ungate_fn *ungate;
    void *gate_arg;
    session_done_fn *done;
    void *done_arg;
    bool lean;                /* keep no transcript, keep only the steps
                                 judging needs, skip TLS facts (load runs) */
    session_step_fn *on_step; /* or NULL */
    void *step_arg;
    /* Delivery checks (harness/deliver.h): each generated message the
     * server accepts (2xx to its end of data) is booked here, or NULL. */
    struct deliver *deliver;
    session_body_fn *body;    /* or NULL: generated content */
    void *body_arg;
    session_fixture_fn *fixture; /* or NULL: the target's fixtures */
    void *fixture_arg;
    /* TLS session resumption (load runs): the session a handshake
     * offers, replaced by the last resumable session a connection had.
     * The slot's owner frees what it holds (SSL_SESSION_free). NULL: no
     * resumption. */
    struct ssl_session_st **tls_resume;
};

/* out must be an empty result_case; the session fills it. */
struct session *session_new(const struct session_params *p,
                            struct result_case *out);
void session_start(struct session *s);
/* Ends the session early (interrupt): open connections are closed, the
 * case is marked NOTRUN with reason; done fires from the loop. */
void session_abort(struct session *s, const char *reason);
void session_free(struct session *s); /* NULL is a no-op */
void session_connect_granted(struct session *s);

/* Frees the buffers this thread's sessions keep between commands; a
 * thread that ran sessions calls it before it ends. */
void session_thread_free(void);

/* Builds the prologue program of a target: connect (implicit TLS when
 * the target says so), banner, EHLO/LHLO/HELO, STARTTLS + EHLO, AUTH.
 * The caller frees it with prog_case_free. */
struct prog_case *session_prologue_new(const struct target *t, bool auth);

/* The step name (DESIGN.md) of a command line: "MAIL FROM:..." -> "mail",
 * "DATA" -> "data_cmd", an unknown verb -> its lower-case name. */
void session_step_name(const char *line, size_t len, bool tls, char *out,
                       size_t outlen);

#endif
