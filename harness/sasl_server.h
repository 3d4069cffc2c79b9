/* sasl_server: the server side of the SASL mechanisms for the sink, as
 * pure functions: the sink reads AUTH lines, this module says what to
 * answer. Written apart from the client (harness/sasl.h); the two share
 * only base64, the crypto primitives and the mechanism names.
 *
 * Mechanisms: PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login; an
 * initial response is taken as the user name), CRAM-MD5 (RFC 2195),
 * SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677; no channel binding),
 * XOAUTH2 and OAUTHBEARER (RFC 7628, with the JSON error challenge).
 *
 * Use:
 *   s = sasl_server_new(&params, err, sizeof err);   NULL: reply 504
 *   o = sasl_server_start(s, ir, irlen, &challenge);  ir NULL: no initial
 *                                                     response
 *   while (o == SASL_OUT_CHALLENGE) {
 *       reply "334 " + challenge; read a line;
 *       o = sasl_server_step(s, line, len, &challenge);
 *   }
 *   reply with sasl_outcome_code(o) / sasl_outcome_esc(o).
 *
 * Lines are the client's text without CRLF: base64, "=" for an empty
 * initial response (RFC 4954 section 4), "*" to cancel. The lines a client
 * sends carry credentials: the sink redacts them whole. The challenges
 * carry none. sasl_server_reason() says why an exchange failed, for logs;
 * it never holds a password, token or proof. */
#ifndef SMTPSUITE_SASL_SERVER_H
#define SMTPSUITE_SASL_SERVER_H

#include <stddef.h>

#include "harness/buf.h"
#include "harness/sasl.h"
#include "harness/sasl_users.h"

/* Outcomes and the replies RFC 4954 gives them (section 4 and 6). */
#define SASL_OUTCOME_LIST(X)                                                   \
    X(CHALLENGE, 334, "", "challenge")                                         \
    X(SUCCESS, 235, "2.7.0", "Authentication successful")                      \
    X(BAD_CREDS, 535, "5.7.8", "Authentication credentials invalid")           \
    X(AUTHZ, 535, "5.7.8", "Authentication credentials invalid")               \
    X(MALFORMED, 501, "5.5.2", "Cannot decode response")                       \
    X(CANCELLED, 501, "5.7.0", "Authentication cancelled")                     \
    X(TOO_LONG, 500, "5.5.6", "Authentication exchange line is too long")

enum sasl_outcome {
#define X(e, code, esc, text) SASL_OUT_##e,
    SASL_OUTCOME_LIST(X)
#undef X
        SASL_OUT_COUNT
};

/* The reply code, enhanced status code and text for o. */
int sasl_outcome_code(enum sasl_outcome o);
const char *sasl_outcome_esc(enum sasl_outcome o);
const char *sasl_outcome_text(enum sasl_outcome o);
/* The outcome's enum name, e.g. "BAD_CREDS". */
const char *sasl_outcome_name(enum sasl_outcome o);

struct sasl_server_params {
    const char *mech;               /* a name of SASL_MECH_LIST, any case */
    const struct sasl_users *users; /* borrowed; must outlive the server */
    const char *nonce;    /* SCRAM server nonce part, CRAM-MD5 challenge
                             local part (tests); NULL: random */
    const char *hostname; /* CRAM-MD5 challenge domain; NULL: "localhost" */
};

struct sasl_server;

/* A server for one exchange (caller frees with sasl_server_free); NULL
 * with a reason in err if the mechanism is unknown (reply 504 5.5.4) or
 * the injected nonce is not printable. */
struct sasl_server *sasl_server_new(const struct sasl_server_params *p,
                                    char *err, size_t errlen);
void sasl_server_free(struct sasl_server *s);
/* Begins the exchange. ir[0..len) is the initial response of the AUTH
 * command, or ir NULL if it had none. The base64 text of a challenge is
 * written to challenge (reset first; its maximum should allow
 * SASL_MAX_LINE). */
enum sasl_outcome sasl_server_start(struct sasl_server *s, const char *ir,
                                    size_t len, struct buf *challenge);
/* Takes the client's next line. Only after SASL_OUT_CHALLENGE. */
enum sasl_outcome sasl_server_step(struct sasl_server *s, const char *line,
                                   size_t len, struct buf *challenge);
/* The authenticated user after SASL_OUT_SUCCESS (SASLprep'd), else NULL. */
const char *sasl_server_user(const struct sasl_server *s);
/* Why the exchange failed ("" if it did not); never holds secrets. */
const char *sasl_server_reason(const struct sasl_server *s);

#endif
