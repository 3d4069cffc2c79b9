/* sasl_server_mech: what harness/sasl_server.c shares with the files of the
 * server's SCRAM and OAuth mechanisms (sasl_server_scram.c,
 * sasl_server_oauth.c). Internal to the SASL server. A
 * mechanism sees decoded octets; sasl_server.c does base64, "=", "*",
 * line limits and states. */
#ifndef SMTPSUITE_SASL_SERVER_MECH_H
#define SMTPSUITE_SASL_SERVER_MECH_H

#include "harness/sasl_server.h"

#include <stdbool.h>

#define SASL_SERVER_STATE_LIST(X)                                              \
    X(START) /* nothing received */                                            \
    X(WAIT)  /* a challenge was sent */                                        \
    X(DONE)  /* an outcome other than CHALLENGE was given */

enum sasl_server_state {
#define X(e) SASL_SS_##e,
    SASL_SERVER_STATE_LIST(X)
#undef X
};

struct sasl_server {
    const struct sasl_server_ops *ops;
    enum sasl_server_state state;
    const struct sasl_users *users;
    unsigned round; /* client messages handled by ops->step */
    char *nonce;    /* injected, or NULL */
    char *hostname;
    char *user; /* the authenticated user, on success */
    char reason[256];
    void *priv; /* the mechanism's own state, freed by ops->free */
};

struct sasl_server_ops {
    enum sasl_mech mech;
    bool ir_ok; /* an initial response is allowed */
    /* Optional: the first challenge when there is no initial response
     * (default: an empty one). */
    enum sasl_outcome (*challenge)(struct sasl_server *s, struct buf *msg);
    /* Takes client message number s->round, in[0..n). */
    enum sasl_outcome (*step)(struct sasl_server *s, const unsigned char *in,
                              size_t n, struct buf *msg);
    void (*free)(struct sasl_server *s); /* optional */
};

/* Records why the exchange ends with o; returns o. Client bytes in the
 * message must be escaped (sasl_server_quote) and never be secrets. */
enum sasl_outcome sasl_server_fail(struct sasl_server *s, enum sasl_outcome o,
                                   const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Records the authenticated user; returns SASL_OUT_SUCCESS. */
enum sasl_outcome sasl_server_succeed(struct sasl_server *s, const char *user);
/* An escaped, shortened copy of p[0..n) in out (for reasons). */
const char *sasl_server_quote(const void *p, size_t n, char *out,
                              size_t outlen);
/* Checks a clear password for user (PLAIN, LOGIN): against the clear
 * password after SASLprep, or by deriving the SCRAM keys of a verifier.
 * The entry on success, else NULL. */
const struct sasl_user_entry *
sasl_server_check_password(const struct sasl_server *s, const char *user,
                           const char *pass);
/* A nonce: the injected one, or n random printable characters; the
 * caller frees. */
char *sasl_server_make_nonce(const struct sasl_server *s, size_t n);

extern const struct sasl_server_ops sasl_server_scram_sha1_ops;
extern const struct sasl_server_ops sasl_server_scram_sha256_ops;
extern const struct sasl_server_ops sasl_server_xoauth2_ops;
extern const struct sasl_server_ops sasl_server_oauthbearer_ops;

#endif
