/* session_int: the inside of a session, shared by session.c (the state
 * machine and the steps) and session_judge.c (judging replies, the
 * REPLY invariants, the case verdict). Not for use outside them. */
#ifndef SMTPSUITE_SESSION_INT_H
#define SMTPSUITE_SESSION_INT_H

#include "harness/buf.h"
#include "harness/conn.h"
#include "harness/deliver.h"
#include "harness/reply.h"
#include "harness/session.h"
#include "harness/verdict.h"

#include <event2/event.h>
#include <pthread.h>

#define SESSION_STATE_LIST(X)                                                  \
    X(READY, "ready")           /* run the next step */                       \
    X(GATED, "gated")           /* waiting for permission to connect */       \
    X(CONNECTING, "connecting") /* waiting for the transport */               \
    X(HANDSHAKE, "handshake")   /* waiting for TLS */                         \
    X(WAIT_REPLY, "wait-reply")                                                \
    X(AUTH, "auth")             /* a SASL exchange: 334s until the end */     \
    X(AUTH_WORK, "auth-work")   /* SCRAM key derivation off the loop */       \
    X(WAIT_CLOSE, "wait-close")                                                \
    X(WAIT_SILENCE, "wait-silence")                                            \
    X(SLEEPING, "sleeping")                                                    \
    X(WAIT_ARRIVAL, "wait-arrival") /* polling the next hop (deliver.h) */     \
    X(SENDING, "sending")       /* streaming DATA content as output drains */ \
    X(FINISHING, "finishing")   /* closing QUITs */                           \
    X(DONE, "done")

enum session_state {
#define X(e, s) SESSION_##e,
    SESSION_STATE_LIST(X)
#undef X
};

#define SESSION_MAX_FRAMES 4
#define SESSION_MAX_LOOPS 16
#define SESSION_MAX_VARS 64
#define SESSION_EHLO_MAX 8192   /* EHLO reply bytes kept per connection */
#define SESSION_LAST_MAX 8192   /* last reply text kept for captures */
#define SESSION_LOG_LINES 20    /* client lines logged per write */

/* A command sent and not yet answered. */
struct session_pending {
    char name[24]; /* step name: banner, ehlo, mail, eod ... */
    char *sent;    /* escaped text for the result (NULL: none) */
    int64_t t_sent;
    int line;
};

struct session;
struct sasl_client;

struct session_conn {
    struct session *s;
    struct conn *c;
    int index;          /* in prog_case.conns */
    int result_idx;     /* in out->conns, -1 before the first open */
    bool open;          /* transport up and not closed */
    bool peer_closed;
    bool gated;         /* holds a gate slot */
    bool raw_sent;      /* a raw send: the reply count is unknown */
    int64_t raw_t;      /* when the last raw send went out */
    bool desync;        /* the dialogue left the script: no closing QUIT */
    bool quit_sent;     /* the case sent QUIT itself */
    bool lmtp;          /* LHLO was sent: one reply per recipient after
                           the end of data (RFC 2033 4.2) */
    unsigned rcpt_ok;   /* recipients accepted in this transaction */
    bool prdr;          /* its MAIL asked for PRDR: the end of data gets
                           353, a reply per recipient, then the message's
                           (draft-hall-prdr-00 4) */
    bool tls;
    bool esc;           /* ENHANCEDSTATUSCODES advertised */
    bool smtputf8;
    bool helo_reply;    /* the reply being judged answers HELO/EHLO */
    size_t logged;      /* input bytes already in the transcript */
    struct session_pending *pend;
    size_t npend, cappend, headpend;
    struct buf ehlo;    /* keyword lines of the last EHLO, "\n"-joined */
    struct buf ehlo_raw; /* the whole last EHLO reply */
    struct buf last;    /* text of the last reply, "\n"-joined */
    int last_code;
};

struct session_frame {
    const struct prog_case *prog;
    size_t pc;
    bool prologue;
    int loop_base; /* loops below this index belong to outer frames */
};

struct session_loop {
    size_t begin; /* index of REPEAT_BEGIN */
    int64_t count, i;
    const char *var;
};

struct session_var {
    char *name;
    struct buf value;
};

struct session {
    struct session_params p;
    struct result_case *out;
    enum session_state state;
    int64_t t0; /* monotonic start */
    int64_t t_connect; /* when the pending connect started */

    struct session_conn conns[PROG_MAX_CONNS];
    int cur; /* current connection index */
    int wait_conn;

    struct session_frame frames[SESSION_MAX_FRAMES];
    int nframes;
    struct session_loop loops[SESSION_MAX_LOOPS];
    int nloops;
    struct session_var vars[SESSION_MAX_VARS];
    int nvars;

    int pipe_phase;    /* 0 none, 1 collecting sends, 2 judging */
    size_t pipe_begin;
    struct buf pipebuf;
    size_t pipe_first_pend; /* pending entries added in phase 1 */

    const struct prog_step *waiting; /* the step being waited on */
    struct event *step_timer;
    struct event *case_timer;
    struct event *kick; /* runs the machine from the loop */

    enum verdict verdict;  /* PASS, WARN or FAIL so far */
    bool errored, skipped, ended, aborted, interrupted;
    enum errcat category;
    char reason[512];
    int decisive; /* result step index */
    bool requires_checked;
    bool finished_cb;
    bool implicit_tls;  /* the pending connect goes on with a handshake */
    struct sasl_client *sasl; /* the AUTH exchange under way */
    struct event *auth_ev;    /* fired when the SASL work is done */
    pthread_t auth_thread;
    bool auth_thread_live;
    int64_t t_tls;      /* when the pending handshake started */
    struct body_stream *body; /* the DATA content being streamed */
    uint64_t body_unlogged;   /* its octets not in the transcript */
    char token[MSGGEN_TOKEN_MAX]; /* the generated message being sent */
    char *body_sent;          /* its start, escaped, for the eod step */
    bool watches; /* the case has expect arrival or expect dsn steps */
    char last_token[MSGGEN_TOKEN_MAX]; /* the last tracked message sent */
    char seek_token[MSGGEN_TOKEN_MAX]; /* what expect arrival waits for */
    int64_t seek_until;                /* ... until then (monotonic) */
    struct deliver_seen *arrival;      /* what it found (owned) */
};

/* Transcript lines, none in lean sessions. */
static inline void session_event(struct session *s, int64_t t, char dir,
                                 const char *conn, const void *p, size_t n)
{
    if (!s->p.lean)
        result_event_add(s->out, t, dir, conn, p, n);
}

static inline void session_event_escaped(struct session *s, int64_t t,
                                         char dir, const char *conn,
                                         const char *text)
{
    if (!s->p.lean)
        result_event_add_escaped(s->out, t, dir, conn, text);
}

/* session.c */
void session_set_state(struct session *s, enum session_state st);
int64_t session_now(const struct session *s); /* us since the case start */
void session_note(struct session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const struct prog_step *session_step(const struct session *s);
struct session_pending *session_pend_head(struct session_conn *sc);
void session_pend_pop(struct session_conn *sc);
void session_end(struct session *s); /* stop running steps; finish */
/* A new result step. In lean sessions the last step is reused when
 * nothing refers to it any more (graded PASS, not key, not decisive), so
 * a long session keeps a bounded number of steps. */
struct result_step *session_step_add(struct session *s);

#define SESSION_ARRIVAL_WAIT_US 30000000 /* expect arrival without within */

/* session_judge.c */
/* The outcome of expect arrival / expect dsn: found, or not by its
 * deadline (graded at the case's severity). */
void judge_arrival(struct session *s, const struct prog_step *st, bool found,
                   const char *token);
/* Records an outcome of the case: grade (PASS/WARN/FAIL) of a step at
 * result step index idx, with reason. */
void judge_grade(struct session *s, enum verdict v, int idx, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));
void judge_error(struct session *s, enum errcat cat, int idx, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));
void judge_skip(struct session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Judges the outcome of an expectation-like step: a complete reply r
 * (parsed from buf) or a timeout / close. Returns the prog_then action. */
enum prog_then judge_expect(struct session *s, struct session_conn *sc,
                            const struct prog_step *st,
                            const struct prog_expect *e,
                            enum prog_match_kind what, const struct reply *r,
                            const char *buf);
/* Judges a reply the parser refused (REPLY-02/05). */
void judge_bad_reply(struct session *s, struct session_conn *sc,
                     const struct prog_step *st, const struct reply *r);
/* The server did not close when the step (expect close, or "-> close")
 * said it must; graded by the case's severity. */
void judge_no_close(struct session *s, struct session_conn *sc,
                    const struct prog_step *st);
/* ASSERT: records the step; grades it when ok is false. */
void judge_assert(struct session *s, const struct prog_step *st, bool ok);
/* EHLO_CHECK. */
void judge_ehlo_check(struct session *s, struct session_conn *sc,
                      const struct prog_step *st);
/* Checks the target's requirements against sc's EHLO; SKIPs if unmet.
 * Returns 0 when satisfied. */
int judge_requires(struct session *s, struct session_conn *sc);
/* Records a TLS handshake that finished (facts) or failed, against
 * what st (a `handshake` step, or NULL: success wanted, a failure is
 * ERROR tls) expected. Returns whether the case can go on. */
bool judge_tls(struct session *s, struct session_conn *sc, bool ok,
               int64_t started, const struct prog_step *st);
/* Fills out->verdict, category, reason, decisive (and XFAIL/XPASS). */
void judge_finish(struct session *s);

#endif
