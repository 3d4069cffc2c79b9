/* tls: the client side of TLS with OpenSSL 3: one context per target
 * (verification, SNI, client certificate, protocol range, ciphers,
 * an opt-in key log), one SSL per connection, and the TLS facts of a
 * finished handshake for the result model. OpenSSL stays in harness/. */
#ifndef SMTPSUITE_TLS_H
#define SMTPSUITE_TLS_H

#include <stddef.h>

#include "harness/result.h"
#include "harness/target.h"

struct tls_client;
struct ssl_st;

/* What conn_start_tls needs (conn.h declares it opaque). */
struct conn_tls_params {
    const struct tls_client *client;
    struct ssl_session_st *session; /* to resume, or NULL */
};

/* Builds a client context from the target's options; host is the name
 * used for SNI and the name check unless tls_opts.servername is set.
 * keylog: a file to append SSLKEYLOGFILE lines to, or NULL. Returns NULL
 * with a reason naming the bad option in err. */
struct tls_client *tls_client_new(const struct target_tls_opts *o,
                                  const char *host, const char *keylog,
                                  char *err, size_t errlen);
void tls_client_free(struct tls_client *t);

/* A new SSL for one connection (SNI and name check set); caller owns it
 * until it is handed to a bufferevent. NULL on failure. */
struct ssl_st *tls_client_ssl(const struct tls_client *t);

/* Fills out (an empty result_tls) from a connection's SSL after the
 * handshake: protocol, cipher, group, SNI, verification, peer chain. */
void tls_facts(struct ssl_st *ssl, const struct tls_client *t,
               struct result_tls *out);

/* Why a handshake failed: the verification result, else the OpenSSL
 * error e (libevent takes the errors off the thread's queue and keeps
 * them: bufferevent_get_openssl_error), else the queue; e.g.
 * "certificate verify failed: self-signed certificate (host
 * mail.example)" or "sslv3 alert handshake failure". Clears the queue. */
void tls_error_text(struct ssl_st *ssl, const struct tls_client *t,
                    unsigned long e, char *out, size_t outlen);

/* Starts recording the first bytes the server sends during the
 * handshake (after libevent set the SSL's BIOs). */
void tls_watch(struct ssl_st *ssl);
/* After a failed handshake: 1 when what the server sent was plaintext,
 * not a TLS record (RFC 3207 4.2 / RFC 8314), with those bytes escaped
 * in out; else 0. */
int tls_plaintext_seen(struct ssl_st *ssl, char *out, size_t outlen);

/* An OpenSSL protocol version from its name ("TLSv1", "TLSv1.0" ..
 * "TLSv1.3"); 0, or -1 when unknown. Shared with tls_server.c. */
int tls_proto_parse(const char *s, int *out);

/* The name checked and sent as SNI ("" if none). */
const char *tls_client_name(const struct tls_client *t);

#endif
