/* sasl: the client side of the SASL mechanisms (RFC 4422) used by SMTP
 * AUTH (RFC 4954), as pure functions: no sockets, no event loop, no
 * printing. The engine feeds the text of each 334 challenge and sends the
 * line the client returns.
 *
 * Mechanisms: PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login),
 * CRAM-MD5 (RFC 2195), SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC
 * 7677; no channel binding, GS2 header "n,,"), XOAUTH2 (Google's
 * documented format) and OAUTHBEARER (RFC 7628).
 *
 * Use:
 *   c = sasl_client_new(&params, err, sizeof err);
 *   st = sasl_client_start(c, use_initial_response, &resp);
 *       SASL_STEP_SEND: "AUTH MECH <resp.line>"; SASL_STEP_NONE: "AUTH MECH"
 *   for each "334 TEXT": st = sasl_client_step(c, TEXT, len, &resp);
 *       SASL_STEP_WORK: see "Heavy work" below, then SEND
 *       SASL_STEP_SEND: send resp.line
 *       SASL_STEP_FAIL: sasl_client_error(c) says why; send the line of
 *                       sasl_client_cancel() ("*") to end the exchange
 *   on 235: sasl_client_complete(c) says whether the mechanism finished
 *       its side (for SCRAM: the server signature was verified).
 *
 * Heavy work (SCRAM's PBKDF2, up to SASL_SCRAM_MAX_ITER iterations): the
 * step that receives the server-first message only parses and checks it,
 * then returns SASL_STEP_WORK. The caller then runs sasl_client_work(c),
 * on any thread (it touches nothing but c and OpenSSL's thread-safe
 * digests; no other call may use c meanwhile), and afterwards calls
 * sasl_client_resume(c, &resp) to get the client-final line.
 *
 * Secrets: every response line the client produces is marked secret
 * (struct sasl_response.secret) and must be redacted whole in
 * transcripts, logs and reports. Error texts never contain credentials;
 * bytes the server sent appear in them only in escaped form (bytes.h). */
#ifndef SMTPSUITE_SASL_H
#define SMTPSUITE_SASL_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/buf.h"

/* RFC 4954 section 4: "very few mechanisms generate data that is longer
 * than 12288 octets"; a decoded challenge or response beyond this is an
 * error, never buffered. */
#define SASL_MAX_MSG 12288
/* Its base64 form: the longest AUTH payload line (no CRLF). */
#define SASL_MAX_LINE 16384
/* Longest credential (user, password, token, authzid) accepted. */
#define SASL_MAX_CRED 4096
/* RFC 5802 section 5.1 and RFC 7677 section 4: servers SHOULD announce at
 * least 4096 iterations. Fewer is accepted with SASL_WARN_LOW_ITER. */
#define SASL_SCRAM_MIN_ITER 4096
/* The client refuses more iterations than this (SASL_ERR_ITER_LIMIT): a
 * hostile server must not be able to buy unbounded CPU. About half a
 * second of one core for SCRAM-SHA-256. */
#define SASL_SCRAM_MAX_ITER 1000000
/* Client nonce characters generated when none is injected. */
#define SASL_SCRAM_NONCE_LEN 24
/* Longest injected or received nonce part. */
#define SASL_SCRAM_MAX_NONCE 256

#define SASL_MECH_LIST(X)                                                      \
    X(PLAIN, "PLAIN")                                                          \
    X(LOGIN, "LOGIN")                                                          \
    X(CRAM_MD5, "CRAM-MD5")                                                    \
    X(SCRAM_SHA_1, "SCRAM-SHA-1")                                              \
    X(SCRAM_SHA_256, "SCRAM-SHA-256")                                          \
    X(XOAUTH2, "XOAUTH2")                                                      \
    X(OAUTHBEARER, "OAUTHBEARER")

enum sasl_mech {
#define X(e, name) SASL_MECH_##e,
    SASL_MECH_LIST(X)
#undef X
        SASL_MECH_COUNT
};

/* The IANA name of m ("?" if out of range). */
const char *sasl_mech_name(enum sasl_mech m);
/* Case-insensitive lookup of a mechanism name; 0, or -1 if unknown. */
int sasl_mech_parse(const char *name, enum sasl_mech *m);

/* Credentials; NULL or "" means absent. Copied by sasl_client_new. */
struct sasl_creds {
    const char *user;    /* authentication identity */
    const char *pass;    /* password (PLAIN, LOGIN, CRAM-MD5, SCRAM) */
    const char *token;   /* OAuth 2.0 bearer token (XOAUTH2, OAUTHBEARER) */
    const char *authzid; /* authorization identity (PLAIN, SCRAM,
                            OAUTHBEARER a=; default there: user) */
};

struct sasl_client_params {
    const char *mech; /* a name of SASL_MECH_LIST, any case */
    struct sasl_creds creds;
    const char *host;        /* OAUTHBEARER host= (optional) */
    unsigned port;           /* OAUTHBEARER port= (0: omitted) */
    const char *nonce;       /* SCRAM client nonce, for tests; NULL: random */
    unsigned scram_max_iter; /* 0: SASL_SCRAM_MAX_ITER */
};

/* What one call produced. */
#define SASL_STEP_LIST(X)                                                      \
    X(SEND, "send the response line")                                          \
    X(NONE, "no initial response: send the AUTH command alone")                \
    X(WORK, "run sasl_client_work, then sasl_client_resume")                   \
    X(FAIL, "the exchange failed: send the cancel line")

enum sasl_step {
#define X(e, text) SASL_STEP_##e,
    SASL_STEP_LIST(X)
#undef X
};

/* Why the client stopped. blame: PEER, the server broke the mechanism's
 * rules (a finding); REJECT, the server refused us inside the mechanism;
 * LOCAL, we could not go on (our credentials, our limits). */
#define SASL_ERROR_LIST(X)                                                     \
    X(NONE, LOCAL, "no error")                                                 \
    X(BASE64, PEER, "challenge is not valid base64")                           \
    X(TOO_LONG, PEER, "challenge longer than 12288 octets")                    \
    X(UNEXPECTED, PEER, "challenge after the mechanism had finished")          \
    X(SYNTAX, PEER, "malformed server message")                                \
    X(NONCE, PEER, "server nonce does not extend the client nonce")            \
    X(SIGNATURE, PEER, "server signature (v=) does not match")                 \
    X(SERVER_ERROR, REJECT, "server sent a SCRAM error (e=)")                  \
    X(ITER_LIMIT, LOCAL, "SCRAM iteration count above the client's limit")     \
    X(CREDS, LOCAL, "credential missing, too long or malformed")               \
    X(SASLPREP, LOCAL, "credential prohibited by SASLprep (RFC 4013)")

enum sasl_error {
#define X(e, blame, text) SASL_ERR_##e,
    SASL_ERROR_LIST(X)
#undef X
        SASL_ERR_COUNT
};

enum sasl_blame { SASL_BLAME_LOCAL, SASL_BLAME_PEER, SASL_BLAME_REJECT };

/* Things the server did that are allowed but worth a WARN (bits). */
#define SASL_WARN_LIST(X)                                                      \
    X(LOW_ITER, 0, "SCRAM iteration count below 4096 (RFC 5802 5.1 SHOULD)")   \
    X(FIRST_CHALLENGE, 1,                                                      \
      "non-empty first challenge for a client-first mechanism")                \
    X(OAUTH_ERROR, 2, "server answered with an OAuth error challenge")         \
    X(OAUTH_JSON, 3, "OAuth error challenge is not a JSON object with status")

enum sasl_warn {
#define X(e, bit, text) SASL_WARN_##e = 1u << (bit),
    SASL_WARN_LIST(X)
#undef X
};

/* One line for the server. Owned by the caller: sasl_response_init before
 * first use, sasl_response_free after the last. */
struct sasl_response {
    struct buf line; /* base64 payload, "=" (empty initial response), ""
                        (empty response) or "*" (cancel); no CRLF */
    bool secret;     /* redact the whole line; always true from the client */
    bool cancel;     /* the line is the "*" cancellation */
};

void sasl_response_init(struct sasl_response *r);
void sasl_response_free(struct sasl_response *r);

struct sasl_client;

/* Creates a client (caller frees with sasl_client_free); copies
 * everything in p. NULL with a one-line reason in err if the mechanism is
 * unknown, a credential it needs is missing or fails SASLprep, or the
 * injected nonce is not printable. */
struct sasl_client *sasl_client_new(const struct sasl_client_params *p,
                                    char *err, size_t errlen);
/* Wipes the secrets and frees c; NULL is a no-op. */
void sasl_client_free(struct sasl_client *c);
/* First call. use_ir: send an initial response with AUTH when the
 * mechanism has one (SEND); otherwise NONE and the first challenge gets
 * it. LOGIN and CRAM-MD5 always give NONE. */
enum sasl_step sasl_client_start(struct sasl_client *c, bool use_ir,
                                 struct sasl_response *out);
/* Answers one challenge: text is what followed "334 " (base64, maybe
 * empty). See the top of this file for the statuses. */
enum sasl_step sasl_client_step(struct sasl_client *c, const char *text,
                                size_t len, struct sasl_response *out);
/* Nonzero while a step has returned SASL_STEP_WORK and the work is not
 * done. */
bool sasl_client_needs_work(const struct sasl_client *c);
/* Does the pending heavy work (thread-safe, touches only c). */
void sasl_client_work(struct sasl_client *c);
/* After sasl_client_work: the response the work was for. */
enum sasl_step sasl_client_resume(struct sasl_client *c,
                                  struct sasl_response *out);
/* The "*" line that cancels the exchange (RFC 4954 section 4); the client
 * is finished afterwards. */
enum sasl_step sasl_client_cancel(struct sasl_client *c,
                                  struct sasl_response *out);
/* Nonzero once the mechanism has done its whole part (for SCRAM: the
 * server signature verified). A 235 before that is worth a WARN. */
bool sasl_client_complete(const struct sasl_client *c);
/* Why the last call returned SASL_STEP_FAIL (SASL_ERR_NONE otherwise). */
enum sasl_error sasl_client_error(const struct sasl_client *c);
/* One line saying why, with details (never secrets); "" if no error. */
const char *sasl_client_error_text(const struct sasl_client *c);
/* SASL_WARN_* bits collected so far. */
unsigned sasl_client_warnings(const struct sasl_client *c);
/* The mechanism in use. */
enum sasl_mech sasl_client_mech(const struct sasl_client *c);

/* Texts and blame of the enums above (static strings). */
const char *sasl_error_text(enum sasl_error e);
enum sasl_blame sasl_error_blame(enum sasl_error e);
const char *sasl_warn_text(enum sasl_warn w);
const char *sasl_step_name(enum sasl_step s);

#endif
