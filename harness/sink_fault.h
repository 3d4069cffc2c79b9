/* sink_fault: the sink's one fault table. Every deviation from the
 * conformant server is a row here, and rows hook one place: the reply
 * selection of the protocol engine (sink_proto.c). A row is a reaction
 * (which command, in which state, with which argument -> what to do to
 * the reply) or a setting (bare-LF handling, limits ...). Named presets
 * expand to rows, so every conformance case can name a fault under
 * which it fails. The grammar is in docs/sink.md. */
#ifndef SMTPSUITE_SINK_FAULT_H
#define SMTPSUITE_SINK_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/sink_proto.h"

#define SINK_FAULT_RULE_MAX   4096 /* octets in one rule */
#define SINK_FAULT_TEXT_MAX   1024 /* octets of reply text */
#define SINK_FAULT_EFFECT_MAX 16   /* extras / keyword edits per reply */
#define SINK_FAULT_CYCLE_MAX  16   /* durations in one "delay A,B,..." */
#define SINK_FAULT_PAD_MAX    (8 * 1024 * 1024) /* octets "pad" adds */

#define SINK_FAULT_KIND_LIST(X)                                                \
    X(REPLY, "reply")               /* replace the reply */                    \
    X(EXTRA, "extra")               /* one more reply after it */              \
    X(DELAY, "delay")               /* wait before the reply */                \
    X(CLOSE_BEFORE, "close-before") /* close instead of replying */            \
    X(CLOSE_AFTER, "close-after")   /* reply, then close */                    \
    X(ACCEPT, "accept")             /* take the accepting path anyway */       \
    X(KEEP_STATE, "keep-state")     /* reply, but change nothing */            \
    X(DROP, "drop")                 /* EHLO: leave a keyword out */            \
    X(ADD, "add")                   /* EHLO: advertise one more line */        \
    X(TLS_FAIL, "tls-fail")         /* STARTTLS, CONNECT: abort the TLS        \
                                       handshake that follows */   \
    X(RAW, "raw")                   /* send these bytes as the reply */        \
    X(RESET, "reset")               /* drop the transaction after it */        \
    X(FLUSH, "flush")               /* discard the input read so far */        \
    X(TRICKLE, "trickle")           /* send the reply one octet per delay */   \
    X(PAD, "pad")                   /* N octets more on the last line */       \
    X(ENDLESS, "endless")           /* after it, these bytes forever */        \
    X(NO_READ, "no-read")           /* after it, read nothing more */          \
    X(RST, "rst")                   /* after it, close with a TCP reset */   \
    X(ONCE, "once")                 /* the row matches one time only */

enum sink_fault_kind {
#define X(e, s) SINK_FAULT_##e,
    SINK_FAULT_KIND_LIST(X)
#undef X
        SINK_FAULT_KIND_COUNT
};

struct sink_fault_action {
    enum sink_fault_kind kind;
    int code;         /* REPLY, EXTRA */
    char esc[16];     /* REPLY, EXTRA: "x.y.z" or "" */
    char *text;       /* REPLY, EXTRA ('\n' separates lines), DROP, ADD, RAW */
    size_t len;       /* RAW, ENDLESS: octets in text; PAD: octets to add */
    int64_t delay_us; /* DELAY: the first duration; TRICKLE */
    /* DELAY A,B,...: session k (from 1) waits cycle[(k - 1) % ncycle] */
    int64_t cycle[SINK_FAULT_CYCLE_MAX];
    size_t ncycle;
};

/* Session-wide settings; -1 means "not set by any rule". */
struct sink_fault_settings {
    int bare_lf, bare_cr; /* enum sink_bare */
    long line_limit, rcpt_limit, size_limit, error_limit;
    int unstuff, esc; /* 0 or 1 */
    /* TLS and AUTH (-1: not set) */
    int tls_cert;           /* enum tls_server_cert */
    int tls_max;            /* index of SINK_FAULT_TLS_VERSIONS */
    int tls_tail;           /* 1: run plaintext sent with STARTTLS */
    int tls_reset;          /* 0: STARTTLS keeps the session (RFC 3207 4.2) */
    int starttls_after_tls; /* 1: STARTTLS still advertised inside TLS */
    int auth_check;         /* 0: any credentials are accepted */
    int auth_needs_tls;     /* 0: plaintext mechanisms allowed before TLS */
    int scram_signature;    /* 1: a wrong SCRAM server signature */
    int strip_nul;  /* 1: NUL bytes are dropped from lines and content */
    int dotdot_eod; /* 1: a ".." line ends the data (unstuffed too early) */
    int serial;     /* 1: one session at a time; the next waits ungreeted */
    int proxy;      /* enum sink_proxy_mode: PROXY header before greeting */
    int proxy_lax;  /* 1: no or a bad PROXY header is greeted anyway */
    int xclient, xforward; /* 1: offer Postfix XCLIENT, XFORWARD */
};

/* The protocol names tls-max= takes, in order. */
extern const char *const SINK_FAULT_TLS_VERSIONS[4];

/* What the matching rows do to one reply. */
struct sink_fault_effect {
    const struct sink_fault_action *reply; /* the last REPLY, or NULL */
    const struct sink_fault_action *raw;   /* the last RAW, or NULL */
    bool reset, flush;
    int64_t delay_us; /* the last DELAY, or 0 */
    const struct sink_fault_action *delay; /* the last DELAY, or NULL */
    bool close_before, close_after, accept, keep_state;
    bool tls_fail; /* abort the TLS handshake after this reply */
    /* Hostile servers (docs/hardening.md) */
    int64_t trickle_us;                      /* the last TRICKLE, or 0 */
    size_t pad;                              /* the last PAD, or 0 */
    const struct sink_fault_action *endless; /* the last ENDLESS, or NULL */
    bool no_read, rst;
    const struct sink_fault_action *extra[SINK_FAULT_EFFECT_MAX];
    size_t nextra;
    const struct sink_fault_action *kw[SINK_FAULT_EFFECT_MAX]; /* DROP/ADD */
    size_t nkw;
};

struct sink_fault_preset {
    const char *name;
    const char *summary; /* what it breaks, with the catalogue's check */
    const char *rules;   /* rows, one per line */
};

struct sink_fault_table;

struct sink_fault_table *sink_fault_new(void); /* caller frees */
void sink_fault_free(struct sink_fault_table *t);

/* Adds a rule, a setting or a preset name. where names the origin for
 * messages ("--fault", "faults.txt:3"). Returns 0, or -1 with a
 * one-line message naming the rule in err. */
int sink_fault_add(struct sink_fault_table *t, const char *rule,
                   const char *where, char *err, size_t errlen);
/* Adds every rule of a file (one per line, '#' comments). */
int sink_fault_load(struct sink_fault_table *t, const char *path, char *err,
                    size_t errlen);
size_t sink_fault_count(const struct sink_fault_table *t);
const struct sink_fault_settings *
sink_fault_settings(const struct sink_fault_table *t);

/* Collects the effect of every row matching command cmd (upper-case
 * verb or CONNECT, EOD, UNKNOWN, TIMEOUT, SASL) with argument arg in
 * state. */
void sink_fault_match(const struct sink_fault_table *t, enum sink_state state,
                      const char *cmd, const char *arg,
                      struct sink_fault_effect *out);

/* The delay e asks for in session number session (from 1, as the
 * sink numbers them): a "delay A,B,C" cycles by session. */
int64_t sink_fault_delay_us(const struct sink_fault_effect *e,
                            uint64_t session);

/* Adds to out the effect of every LINE row whose pattern matches the
 * command line line[0..len) as received (without its CRLF). LINE rows
 * are case-sensitive; they never match in sink_fault_match. */
void sink_fault_match_line(const struct sink_fault_table *t,
                           enum sink_state state, const char *line, size_t len,
                           struct sink_fault_effect *out);

/* The presets; *n receives their number. */
const struct sink_fault_preset *sink_fault_presets(size_t *n);

#endif
