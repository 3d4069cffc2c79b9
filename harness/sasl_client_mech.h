/* sasl_client_mech: what harness/sasl_client.c shares with the files that
 * hold the client mechanisms (sasl_scram.c, sasl_oauth.c). Internal to
 * the SASL client; other modules include harness/sasl.h only.
 *
 * A mechanism works on decoded octets: sasl_client.c does base64, the
 * empty first challenge of client-first mechanisms, states and limits. */
#ifndef SMTPSUITE_SASL_CLIENT_MECH_H
#define SMTPSUITE_SASL_CLIENT_MECH_H

#include "harness/buf.h"
#include "harness/sasl.h"

#include <stdbool.h>
#include <stddef.h>

/* The client's states; only sasl_client.c changes them. */
#define SASL_CLIENT_STATE_LIST(X)                                              \
    X(START)     /* created, nothing sent */                                   \
    X(WAIT)      /* waiting for a challenge */                                 \
    X(WORK)      /* heavy work pending (sasl_client_work) */                   \
    X(READY)     /* work done, sasl_client_resume pending */                   \
    X(COMPLETE)  /* the mechanism did its whole part */                        \
    X(FAILED)    /* stopped on an error */                                     \
    X(CANCELLED) /* "*" produced */

enum sasl_client_state {
#define X(e) SASL_CS_##e,
    SASL_CLIENT_STATE_LIST(X)
#undef X
};

/* What a mechanism function returns. */
enum sasl_rc {
    SASL_RC_MORE, /* send msg; more challenges expected */
    SASL_RC_LAST, /* send msg; the mechanism's part is complete */
    SASL_RC_WORK, /* heavy work needed before the response */
    SASL_RC_FAIL, /* sasl_client_fail was called */
};

/* Credentials a mechanism needs (bits). */
#define SASL_NEED_USER  1u
#define SASL_NEED_PASS  2u
#define SASL_NEED_TOKEN 4u

struct sasl_client {
    const struct sasl_client_ops *ops;
    enum sasl_client_state state;
    bool sent_initial; /* the initial response went out */
    unsigned round;    /* challenges answered by ops->step */
    char *user, *pass, *token, *authzid, *host; /* owned; NULL if absent */
    unsigned port;
    char *nonce; /* injected SCRAM nonce (owned), or NULL */
    unsigned max_iter;
    unsigned warnings;
    enum sasl_error error;
    char detail[256];
    void *priv; /* the mechanism's own state, freed by ops->free */
};

struct sasl_client_ops {
    enum sasl_mech mech;
    unsigned needs;    /* SASL_NEED_* */
    bool client_first; /* the mechanism has an initial response */
    /* Optional: checks and prepares credentials, sets up c->priv; 0, or
     * -1 with a reason in err. */
    int (*init)(struct sasl_client *c, char *err, size_t errlen);
    /* Writes the initial response (client-first mechanisms). */
    enum sasl_rc (*initial)(struct sasl_client *c, struct buf *msg);
    /* Answers the challenge in[0..n). */
    enum sasl_rc (*step)(struct sasl_client *c, const unsigned char *in,
                         size_t n, struct buf *msg);
    /* Optional: the heavy work, and the response it was for. */
    void (*work)(struct sasl_client *c);
    enum sasl_rc (*resume)(struct sasl_client *c, struct buf *msg);
    /* Optional: wipes and frees c->priv. */
    void (*free)(struct sasl_client *c);
};

/* Records why the exchange fails; returns SASL_RC_FAIL. Server bytes in
 * the message must be escaped by the caller (sasl_client_quote). */
enum sasl_rc sasl_client_fail(struct sasl_client *c, enum sasl_error e,
                              const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Writes an escaped, shortened copy of server bytes p[0..n) to out (for
 * error texts); returns out. */
const char *sasl_client_quote(const void *p, size_t n, char *out,
                              size_t outlen);
/* Fails with SASL_ERR_UNEXPECTED: a challenge in[0..n) came after the
 * mechanism's last response. */
enum sasl_rc sasl_client_unexpected(struct sasl_client *c,
                                    const unsigned char *in, size_t n);
/* Appends the saslname form of s (RFC 5802 section 5.1: ',' as "=2C",
 * '=' as "=3D"); BUF_TOOBIG if it does not fit. */
enum buf_status sasl_client_saslname(struct buf *b, const char *s);

extern const struct sasl_client_ops sasl_scram_sha1_ops;
extern const struct sasl_client_ops sasl_scram_sha256_ops;
extern const struct sasl_client_ops sasl_xoauth2_ops;
extern const struct sasl_client_ops sasl_oauthbearer_ops;

#endif
