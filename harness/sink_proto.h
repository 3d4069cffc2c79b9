/* sink_proto: the sans-I/O SMTP/LMTP server engine of the sink, one
 * session per handle. Bytes from the client go in (sink_proto_feed);
 * reply bytes come out (sink_proto_out) together with events the caller
 * acts on: a message was accepted, a delay was asked for, the session
 * must close. It never touches a socket or a clock other than to stamp
 * accepted messages, so it is tested byte by byte. It shares no code
 * with the client side's reply judging (harness/reply.c). */
#ifndef SMTPSUITE_SINK_PROTO_H
#define SMTPSUITE_SINK_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/buf.h"
#include "harness/sink_profile.h"

struct sink_fault_table;
struct sasl_users;

/* Session states; one function changes them (set_state in the .c). */
#define SINK_STATE_LIST(X)                                                     \
    X(INIT, "init")       /* greeted by us, no HELO/EHLO/LHLO yet */           \
    X(READY, "ready")     /* HELO/EHLO seen, no transaction */                 \
    X(MAIL, "mail")       /* MAIL accepted, no recipient yet */                \
    X(RCPT, "rcpt")       /* at least one recipient accepted */                \
    X(BDAT, "bdat")       /* inside a BDAT transaction (RFC 3030) */           \
    X(DATA, "data")       /* after 354, reading the content */                 \
    X(REFUSED, "refused") /* 554 greeting: 503 to all but QUIT */              \
    X(CLOSED, "closed")   /* QUIT or 421 answered: input is ignored */

enum sink_state {
#define X(e, s) SINK_STATE_##e,
    SINK_STATE_LIST(X)
#undef X
        SINK_STATE_COUNT
};

const char *sink_state_name(enum sink_state s);
/* Finds a state by its lower-case name; -1 if unknown. */
int sink_state_find(const char *name);

/* How a bare LF (or bare CR) is handled, RFC 5321 2.3.8 and 4.1.1.4. */
#define SINK_BARE_LIST(X)                                                      \
    X(KEEP, "keep")         /* an ordinary byte (the conformant default) */    \
    X(REJECT, "reject")     /* 550 5.5.2: close in commands, refuse data */    \
    X(LINE_END, "line-end") /* a line end; only CRLF.CRLF ends data */         \
    X(EOD, "eod")           /* a line end, and "\n.\n"-style ends data */

enum sink_bare {
#define X(e, s) SINK_BARE_##e,
    SINK_BARE_LIST(X)
#undef X
        SINK_BARE_COUNT
};

const char *sink_bare_name(enum sink_bare b);
int sink_bare_find(const char *name);

/* Named maxima. A command line counts its CRLF (RFC 5321 4.5.3.1.4
 * requires 512; we take 2048 like Postfix so DSN parameters fit). */
#define SINK_PROTO_LINE_MAX        2048
#define SINK_PROTO_LINE_LIMIT_MAX  65536
#define SINK_PROTO_RCPT_LIMIT      100 /* RFC 5321 4.5.3.1.8 minimum */
#define SINK_PROTO_RCPT_LIMIT_MAX  100000
#define SINK_PROTO_SIZE_LIMIT      (10 * 1024 * 1024)
#define SINK_PROTO_SIZE_LIMIT_MAX  (1024L * 1024 * 1024)
#define SINK_PROTO_ERROR_LIMIT_MAX 100000
#define SINK_PROTO_HOSTNAME_MAX    255

/* What sessions share; read-only while they run. */
struct sink_proto_config {
    const struct sink_profile *profile;
    const char *hostname;
    size_t line_max;    /* command line, CRLF included */
    size_t rcpt_limit;  /* accepted recipients per transaction */
    size_t error_limit; /* 421 after this many command errors; 0: never */
    size_t size_limit;  /* message octets (SIZE, RFC 1870) */
    enum sink_bare bare_lf, bare_cr;
    bool unstuff; /* undo dot-stuffing (RFC 5321 4.5.2); off only as fault */
    bool esc;     /* enhanced status codes (RFC 2034) in replies */
    /* Faults only: NUL bytes are dropped from command lines and content
     * (a server that treats input as C strings); a ".." line ends the
     * data (a server that unstuffs before it looks for the end). */
    bool strip_nul, dotdot_eod;
    /* Domains delivered here; a recipient elsewhere is relaying and is
     * refused. None: every domain is local. (Not owned.) */
    const char *const *local_domains;
    size_t nlocal;
    const struct sink_fault_table *faults; /* NULL: none (not owned) */
    /* TLS: the caller can run a handshake, so STARTTLS is offered where
     * the profile lists it. The rest are faults (see sink_fault.h). */
    bool tls;
    bool tls_tail;           /* run plaintext sent with STARTTLS */
    bool tls_reset;          /* RFC 3207 4.2 reset (off only as a fault) */
    bool starttls_after_tls; /* advertise STARTTLS inside TLS */
    /* AUTH (RFC 4954): offered where the profile lists it and users is
     * set (not owned; may be empty). */
    const struct sasl_users *users;
    bool auth_check;        /* off only as a fault: any credentials pass */
    bool auth_tls;          /* honour the profile's auth_needs_tls */
    bool scram_bad_sig;     /* a fault: the SCRAM server signature is wrong */
    const char *sasl_nonce; /* tests: fixed SASL nonces; NULL: random */
    /* Postfix XCLIENT and XFORWARD (XCLIENT_README, XFORWARD_README):
     * advertised and accepted from every client. */
    bool xclient, xforward;
    /* Keep a copy of the input for a verbose log (sink_proto_inlog). */
    bool log_input;
    /* Optional trace of state changes ("mail -> rcpt"). */
    void (*trace)(void *arg, const char *session, const char *what);
    /* Optional notes worth a session log line (AUTH results, plaintext
     * discarded after STARTTLS); never secrets. */
    void (*note)(void *arg, const char *session, const char *what);
    void *trace_arg; /* for trace and note */
};

/* Fills c with the defaults of the mx profile (hostname "localhost"). */
void sink_proto_config_init(struct sink_proto_config *c);

/* One envelope address with its parameters, as received. */
struct sink_address {
    char *addr;   /* without the angle brackets; "" for <> */
    char *params; /* the parameter text after the path, "" if none */
};

/* What the TLS handshake of a session looked like ("" when absent). */
struct sink_tls_info {
    const char *protocol; /* "TLSv1.3" */
    const char *cipher;
    const char *sni;         /* the name the client sent */
    const char *client_cert; /* the client certificate's subject */
};

/* An accepted message; valid until the next call on the session. */
struct sink_message {
    const char *session;  /* session id */
    const char *client;   /* "addr:port" or "unix" */
    const char *helo;     /* the HELO/EHLO/LHLO argument */
    const char *protocol; /* RFC 3848 name: SMTP, ESMTP, UTF8SMTP, LMTP */
    const char *queue_id;
    const char *transfer; /* "DATA" or "BDAT" */
    int64_t time_us;      /* wall clock at acceptance */
    const struct sink_address *mail;
    const struct sink_address *rcpts;
    size_t nrcpt;
    const char *data; /* content, dot-unstuffed; CRLF line ends */
    size_t len;
    const struct sink_tls_info *tls; /* NULL: the session had no TLS */
    const char *auth;                /* the AUTH user, or NULL */
};

/* Event bits returned by the calls below. */
#define SINK_PROTO_EV_MESSAGE 1u /* read sink_proto_message() now */
#define SINK_PROTO_EV_DELAY   2u /* send out, wait delay_us, then resume */
#define SINK_PROTO_EV_CLOSE   4u /* send out (after any delay), then close */
#define SINK_PROTO_EV_STARTTLS                                                 \
    16u /* send out, then run the TLS handshake                                \
           (sink_proto_tls_fail: abort it) */
#define SINK_PROTO_EV_FLUSH   8u /* discard the client's input buffered so far \
                                  */

struct sink_proto;

/* A new session (caller frees with sink_proto_free). cfg must outlive
 * it; session and client are copied. */
struct sink_proto *sink_proto_new(const struct sink_proto_config *cfg,
                                  const char *session, const char *client);
void sink_proto_free(struct sink_proto *p);
/* The client a PROXY header claims replaces the connection's peer (in
 * messages and notes from now on); copied. */
void sink_proto_set_client(struct sink_proto *p, const char *client);

/* Produces the greeting. Returns event bits. */
unsigned sink_proto_start(struct sink_proto *p);
/* Consumes input up to the first event (or all of it); *used receives
 * the bytes consumed. Returns event bits. While a delay is pending it
 * consumes nothing. */
unsigned sink_proto_feed(struct sink_proto *p, const void *in, size_t len,
                         size_t *used);
/* The delay has passed: the held replies move to the output. */
unsigned sink_proto_resume(struct sink_proto *p);
/* The client was idle too long: 421 4.4.2, then close. */
unsigned sink_proto_timeout(struct sink_proto *p);
/* The server shuts down: 421 4.3.2, then close. */
unsigned sink_proto_shutdown(struct sink_proto *p);
/* The connection limit was reached: 421 4.7.0, then close. */
unsigned sink_proto_busy(struct sink_proto *p);

/* TLS is up: the handshake after STARTTLS's 220, or the one on connect
 * for implicit TLS, finished; info is copied. After STARTTLS the session
 * starts over (RFC 3207 4.2: EHLO, transaction and AUTH are forgotten).
 * Input fed between the 220 and this call was plaintext sent with the
 * STARTTLS: it is discarded (the CVE-2011-0411 fix), or kept under the
 * tls-tail fault, when sink_proto_tail() gives it back to be fed now. */
void sink_proto_tls_started(struct sink_proto *p,
                            const struct sink_tls_info *info);
/* Whether the fault table asked to abort the handshake that follows the
 * reply just produced (STARTTLS's 220, or the implicit-TLS greeting). */
bool sink_proto_tls_fail(const struct sink_proto *p);
/* Plaintext kept from the STARTTLS packet under the tls-tail fault, to
 * be fed after sink_proto_tls_started (the caller resets it). */
struct buf *sink_proto_tail(struct sink_proto *p);
/* With cfg->log_input: the input consumed so far as a log should show
 * it: command lines once complete, with AUTH payloads and initial
 * responses redacted whole; content as it comes. The caller logs it and
 * buf_reset()s it. */
struct buf *sink_proto_inlog(struct sink_proto *p);

/* Reply bytes ready to send; the caller sends them and buf_reset()s. */
struct buf *sink_proto_out(struct sink_proto *p);
int64_t sink_proto_delay_us(const struct sink_proto *p);
/* Tells the engine its session's number in the sink (from 1), which a
 * fault "delay A,B,..." cycles by. */
void sink_proto_set_number(struct sink_proto *p, uint64_t number);
/* The output went out: under the fault "endless" the next chunk of the
 * stream is produced in sink_proto_out (true), else false. */
bool sink_proto_more(struct sink_proto *p);
/* Whether the close asked for must be a TCP reset (the fault "rst"). */
bool sink_proto_rst(const struct sink_proto *p);
/* The message of the last SINK_PROTO_EV_MESSAGE. */
const struct sink_message *sink_proto_message(const struct sink_proto *p);
enum sink_state sink_proto_state(const struct sink_proto *p);

#endif
