/* conn: one client connection to a server under test, over a transport
 * from one ops table (TCP over IPv4/IPv6, UNIX socket; TLS swaps in).
 * libevent stays inside this file: the owner sees a small set of
 * connection events and byte-level verbs. A conn does no timing and no
 * judging; the session does.
 *
 * Lifetime: conn_new, then conn_free. conn_free may be called from the
 * conn's own event callback: the memory is released after the callback
 * returns (never inside it). */
#ifndef SMTPSUITE_CONN_H
#define SMTPSUITE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct conn;
struct conn_tls_params;

#define CONN_EVENT_LIST(X)                                                     \
    X(CONNECTED, "connected")   /* transport up (TCP connect done) */         \
    X(DATA, "data")             /* new bytes in the input */                  \
    X(EOF, "eof")               /* the peer closed */                         \
    X(ERROR, "error")           /* connect or I/O error: conn_error() */      \
    X(DRAINED, "drained")       /* everything written left the buffer */      \
    X(TLS_DONE, "tls done")     /* handshake complete */                      \
    X(TLS_FAILED, "tls failed") /* handshake failed: conn_error() */

enum conn_event {
#define X(e, s) CONN_EV_##e,
    CONN_EVENT_LIST(X)
#undef X
};

const char *conn_event_name(enum conn_event ev);

typedef void conn_cb(struct conn *c, enum conn_event ev, void *arg);

#define CONN_INPUT_MAX (256u * 1024) /* unread input kept before reading stops */

struct conn_params {
    struct event_base *base;
    const struct sockaddr *addr; /* where to connect */
    socklen_t addrlen;
    const struct sockaddr *bind; /* source address, or NULL */
    socklen_t bindlen;
    const char *exec; /* instead of addr: run this command (/bin/sh -c)
                         and talk to its stdin and stdout */
    conn_cb *cb;
    void *arg;
};

/* Creates the socket and starts connecting; events come later through
 * cb (CONNECTED or ERROR), never from inside conn_new. Returns NULL with
 * a message in err when the socket cannot even be created. */
struct conn *conn_new(const struct conn_params *p, char *err, size_t errlen);
void conn_free(struct conn *c); /* NULL is a no-op; closes the socket */

/* Sends bytes: on a plain connection with nothing queued, straight to
 * the kernel; what it does not take (and everything over TLS) is queued.
 * DRAINED comes only after bytes were queued: when conn_output_len is
 * 0 after the call, everything left already. */
void conn_write(struct conn *c, const void *p, size_t n);
/* Bytes queued and not yet handed to the kernel. */
size_t conn_output_len(const struct conn *c);
/* The unread input as one contiguous block (*len bytes); stays valid
 * until the next conn call. */
const char *conn_input(struct conn *c, size_t *len);
void conn_input_drain(struct conn *c, size_t n);
/* Half-closes nothing: shuts the socket down and stops events; the
 * owner still calls conn_free. */
void conn_shutdown(struct conn *c);

/* The last error text (connect refused, reset, TLS alert ...). */
const char *conn_error(const struct conn *c);
/* "addr:port" of each end ("unix:/path" for UNIX sockets); "" before
 * the connection is up. */
const char *conn_local(const struct conn *c);
const char *conn_remote(const struct conn *c);
bool conn_is_tls(const struct conn *c);

/* Starts a TLS handshake on the connection (STARTTLS or implicit);
 * bytes already in the input are left for the owner to inspect and are
 * not fed to the TLS engine. Events: TLS_DONE or TLS_FAILED. Returns -1
 * with err when TLS is not available in this build. */
int conn_start_tls(struct conn *c, const struct conn_tls_params *tp, char *err,
                   size_t errlen);

/* Plaintext the server sent between STARTTLS's 220 and the handshake
 * (kept out of the TLS engine); *len is 0 when there was none. */
const char *conn_pretls(const struct conn *c, size_t *len);
/* After TLS_FAILED: the server answered the handshake with plaintext. */
bool conn_tls_plaintext(const struct conn *c);
/* The OpenSSL connection object after a handshake, else NULL. */
struct ssl_st *conn_ssl(const struct conn *c);

#endif
