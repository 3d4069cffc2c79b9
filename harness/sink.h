/* sink: the reference SMTP server on a libevent event base the caller
 * owns, so it runs as `smtpsuite sink` or in-process beside the client
 * engine. It listens on one address (IPv4, [IPv6] or unix:/path),
 * speaks the protocol of harness/sink_proto.c on every connection, and
 * hands each accepted message to the arrival log and the caller. */
#ifndef SMTPSUITE_SINK_H
#define SMTPSUITE_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/sink_proto.h"

struct event_base;
struct sink;

#define SINK_LISTEN_DEFAULT  "127.0.0.1:2525"
#define SINK_BACKLOG         4096              /* listen(2) backlog */
#define SINK_IDLE_TIMEOUT_US (300LL * 1000000) /* RFC 5321 4.5.3.2.7 */
#define SINK_MAX_CONNECTIONS 10000
#define SINK_CONN_IN_MAX     (64 * 1024)     /* unread input per connection */
#define SINK_CONN_OUT_MAX    (1024 * 1024)   /* unsent replies per connection */
#define SINK_DRAIN_US        (5 * 1000000LL) /* sink_serve: shutdown deadline */

/* Called for every accepted message; m is valid during the call. */
typedef void sink_arrival_fn(void *arg, const struct sink_message *m);
/* Receives one line of the session log (no newline). */
typedef void sink_log_fn(void *arg, const char *line);

struct sink_params {
    const char *listen;   /* "ADDR:PORT", "[ADDR]:PORT", ":PORT", "unix:/p" */
    const char *profile;  /* "mx" if NULL */
    const char *hostname; /* "localhost" if NULL */
    const char *const *faults; /* rules or preset names */
    size_t nfaults;
    const char *const *fault_files;
    size_t nfault_files;
    const char *const *local_domains; /* none: every domain is local */
    size_t nlocal;
    long size_limit, rcpt_limit, line_limit; /* 0: the defaults */
    long error_limit;                        /* 0: no error budget */
    int64_t idle_timeout_us;                 /* 0: SINK_IDLE_TIMEOUT_US */
    long max_connections;                    /* 0: SINK_MAX_CONNECTIONS */
    /* TLS (STARTTLS, implicit TLS): a PEM certificate chain and key, or
     * NULL for a certificate generated at start. */
    const char *tls_cert, *tls_key;
    const char *tls_client_cert; /* "none" (NULL), "request", "require" */
    const char *tls_client_ca;   /* PEM CAs for client certificates */
    /* AUTH users: "NAME:PASSWORD[:TOKEN]" (a password holding ':' needs
     * the third field, maybe empty), and files of such lines. */
    const char *const *users;
    size_t nusers;
    const char *const *user_files;
    size_t nuser_files;
    /* PROXY protocol header before the greeting (HAProxy's
     * proxy-protocol.txt): "none" (NULL), "v1", "v2" or "any". */
    const char *proxy;
    const char *record; /* arrival log path, or NULL */
    bool record_data;   /* add the content to each log line */
    sink_arrival_fn *on_arrival;
    sink_log_fn *on_log;
    void *arg;     /* for on_arrival and on_log */
    int verbosity; /* 0 quiet, 1 sessions and messages, 2 plus every byte */
};

/* Parses the profile and faults, opens the arrival log and binds the
 * listener (so the port is known at once). Returns NULL with a one-line
 * message in err; *usage is set when the parameters were at fault (not
 * the system). Caller frees with sink_free. */
struct sink *sink_new(struct event_base *base, const struct sink_params *p,
                      bool *usage, char *err, size_t errlen);
/* Starts accepting connections. */
void sink_start(struct sink *s);
/* Stops accepting; every session gets 421 4.3.2 and is closed once its
 * replies are sent. The event loop then runs out of sink events. */
void sink_stop(struct sink *s);
void sink_free(struct sink *s);

/* Runs a sink on an event base of its own until SIGTERM or SIGINT, then
 * stops it cleanly (sessions get 421; at most SINK_DRAIN_US to finish).
 * ready(arg, s) is called once it listens (to write a port file; a
 * nonzero return stops at once with exit status -1). Returns 0 with the
 * signal in *signo, or -1 with err (*usage as for sink_new). */
int sink_serve(const struct sink_params *p,
               int (*ready)(void *arg, const struct sink *s), void *arg,
               int *signo, bool *usage, char *err, size_t errlen);

/* The bound TCP port (0 for a UNIX socket). */
int sink_port(const struct sink *s);
/* "127.0.0.1:PORT", "[::1]:PORT" or "unix:/path". */
const char *sink_address(const struct sink *s);
/* The certificate the sink serves, in PEM (a client may trust it). */
const char *sink_tls_cert_pem(const struct sink *s);
/* Sessions open now, sessions and messages so far. */
size_t sink_open_sessions(const struct sink *s);
uint64_t sink_session_count(const struct sink *s);
uint64_t sink_message_count(const struct sink *s);

#endif
