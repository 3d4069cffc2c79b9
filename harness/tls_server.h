/* tls_server: the server side of TLS for the sink, with OpenSSL 3: one
 * server context (a certificate from PEM files, or one generated at
 * start), optional client certificates, a protocol range, the faulty
 * certificates the fault table asks for (expired, wrong name,
 * self-signed, all generated with the OpenSSL API), a handshake that
 * fails on purpose, and the facts of a finished handshake for the log.
 * OpenSSL stays in harness/. */
#ifndef SMTPSUITE_TLS_SERVER_H
#define SMTPSUITE_TLS_SERVER_H

#include <stdbool.h>
#include <stddef.h>

struct ssl_st;
struct tls_server;

/* The certificate served: the configured (or generated) one, or one of
 * the faults. */
#define TLS_SERVER_CERT_LIST(X)                                                \
    X(NORMAL, "normal")           /* --tls-cert, else generated */             \
    X(EXPIRED, "expired")         /* generated, expired a day ago */           \
    X(WRONG_NAME, "wrong-name")   /* generated for wrong.invalid only */       \
    X(SELF_SIGNED, "self-signed") /* generated, even with --tls-cert */

enum tls_server_cert {
#define X(e, s) TLS_SERVER_CERT_##e,
    TLS_SERVER_CERT_LIST(X)
#undef X
        TLS_SERVER_CERT_COUNT
};

/* Whether the server asks for a client certificate. */
#define TLS_SERVER_PEER_LIST(X)                                                \
    X(NONE, "none")       /* no CertificateRequest (the default) */            \
    X(REQUEST, "request") /* asked for, recorded, never required */            \
    X(REQUIRE, "require") /* the handshake fails without one */

enum tls_server_peer {
#define X(e, s) TLS_SERVER_PEER_##e,
    TLS_SERVER_PEER_LIST(X)
#undef X
        TLS_SERVER_PEER_COUNT
};

/* Names of the two enums ("expired", "require"); -1 when unknown. */
const char *tls_server_cert_name(enum tls_server_cert c);
int tls_server_cert_find(const char *name);
int tls_server_peer_find(const char *name);

/* Validity of a generated certificate. */
#define TLS_SERVER_CERT_DAYS  30
#define TLS_SERVER_WRONG_NAME "wrong.invalid"

struct tls_server_params {
    const char *cert_file; /* PEM chain; NULL: generate one */
    const char *key_file;  /* PEM key; NULL: in cert_file */
    const char *hostname;  /* names of a generated certificate (with
                              localhost, 127.0.0.1 and ::1) */
    enum tls_server_cert cert;
    const char *min_proto, *max_proto; /* "TLSv1" .. "TLSv1.3", or NULL;
                                          below TLS 1.2 lowers OpenSSL's
                                          security level to 0 */
    enum tls_server_peer peer;
    const char *client_ca; /* PEM: client certificates must chain to it
                              (require) or are checked (request); NULL:
                              any is accepted and recorded */
};

/* Builds the server context. Returns NULL with a one-line reason naming
 * the option in err. */
struct tls_server *tls_server_new(const struct tls_server_params *p, char *err,
                                  size_t errlen);
void tls_server_free(struct tls_server *t);

/* One line for the log saying which certificate is served, e.g.
 * "generated self-signed P-256 certificate CN=localhost, valid until
 * 2026-12-29T00:00:00Z". */
const char *tls_server_describe(const struct tls_server *t);
/* The served certificate in PEM (for clients that want to trust it). */
const char *tls_server_cert_pem(const struct tls_server *t);

/* A new SSL for one connection, owned by the caller until it is handed
 * to a bufferevent. fail: the handshake is aborted on purpose when the
 * ClientHello comes (a handshake_failure alert). NULL on failure. */
struct ssl_st *tls_server_ssl(const struct tls_server *t, bool fail);
/* Marks ssl (not yet past its ClientHello) to fail as above. */
void tls_server_fail(struct ssl_st *ssl);

/* What a finished handshake looked like (for the session log and the
 * arrival log). */
#define TLS_SERVER_FACT_MAX 256
struct tls_server_facts {
    char protocol[32];                     /* "TLSv1.3" */
    char cipher[64];                       /* "TLS_AES_256_GCM_SHA384" */
    char sni[TLS_SERVER_FACT_MAX];         /* "" when none was sent */
    char client_cert[TLS_SERVER_FACT_MAX]; /* subject, "" when none */
    bool client_verified; /* the client certificate chained to client_ca */
};

void tls_server_facts(struct ssl_st *ssl, struct tls_server_facts *out);

/* Why a handshake failed: the first OpenSSL error of e (from the
 * connection's error queue, e.g. libevent's), or the queue. */
void tls_server_error(unsigned long e, char *out, size_t outlen);

#endif
