/* sasl_client: the SASL client's frame (mechanism table, base64, states,
 * limits, secrets) and the three simplest mechanisms: PLAIN (RFC 4616),
 * LOGIN (draft-murchison-sasl-login) and CRAM-MD5 (RFC 2195). SCRAM is in
 * sasl_scram.c, XOAUTH2 and OAUTHBEARER in sasl_oauth.c. */
#include "harness/sasl.h"
#include "harness/b64.h"
#include "harness/bytes.h"
#include "harness/sasl_client_mech.h"
#include "harness/sasl_crypto.h"
#include "harness/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const MECH_NAMES[] = {
#define X(e, name) name,
    SASL_MECH_LIST(X)
#undef X
};

static const char *const ERROR_TEXT[] = {
#define X(e, blame, text) text,
    SASL_ERROR_LIST(X)
#undef X
};

static const enum sasl_blame ERROR_BLAME[] = {
#define X(e, blame, text) SASL_BLAME_##blame,
    SASL_ERROR_LIST(X)
#undef X
};

static const char *const STEP_NAMES[] = {
#define X(e, text) #e,
    SASL_STEP_LIST(X)
#undef X
};

const char *sasl_mech_name(enum sasl_mech m)
{
    return (unsigned)m < SASL_MECH_COUNT ? MECH_NAMES[m] : "?";
}

int sasl_mech_parse(const char *name, enum sasl_mech *m)
{
    for (int i = 0; i < SASL_MECH_COUNT; i++) {
        if (strcasecmp(name, MECH_NAMES[i]) == 0) {
            *m = (enum sasl_mech)i;
            return 0;
        }
    }
    return -1;
}

const char *sasl_error_text(enum sasl_error e)
{
    return (unsigned)e < SASL_ERR_COUNT ? ERROR_TEXT[e] : "?";
}

enum sasl_blame sasl_error_blame(enum sasl_error e)
{
    return (unsigned)e < SASL_ERR_COUNT ? ERROR_BLAME[e] : SASL_BLAME_LOCAL;
}

const char *sasl_warn_text(enum sasl_warn w)
{
#define X(e, bit, text)                                                        \
    if (w == SASL_WARN_##e)                                                    \
        return text;
    SASL_WARN_LIST(X)
#undef X
    return "?";
}

const char *sasl_step_name(enum sasl_step s)
{
    return (unsigned)s <= SASL_STEP_FAIL ? STEP_NAMES[s] : "?";
}

void sasl_response_init(struct sasl_response *r)
{
    buf_init(&r->line, SASL_MAX_LINE);
    r->secret = false;
    r->cancel = false;
}

/* Empties r, wiping what it held. */
static void response_clear(struct sasl_response *r)
{
    sasl_crypto_wipe(r->line.data, r->line.len);
    buf_reset(&r->line);
    r->secret = true;
    r->cancel = false;
}

void sasl_response_free(struct sasl_response *r)
{
    sasl_crypto_wipe(r->line.data, r->line.cap);
    buf_free(&r->line);
}

/* Wipes and frees a buffer that held secrets. */
static void buf_wipe_free(struct buf *b)
{
    sasl_crypto_wipe(b->data, b->cap);
    buf_free(b);
}

/* ---- helpers for the mechanism files ---------------------------------- */

enum sasl_rc sasl_client_fail(struct sasl_client *c, enum sasl_error e,
                              const char *fmt, ...)
{
    c->error = e;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof c->detail, fmt, ap);
    va_end(ap);
    return SASL_RC_FAIL;
}

const char *sasl_client_quote(const void *p, size_t n, char *out, size_t outlen)
{
    enum { SHOWN = 48 };
    struct buf b;
    buf_init(&b, outlen > 4 ? outlen - 4 : 0);
    (void)bytes_escape(&b, p, n < SHOWN ? n : SHOWN);
    snprintf(out, outlen, "%s%s", buf_str(&b), n > SHOWN ? "..." : "");
    buf_free(&b);
    return out;
}

enum buf_status sasl_client_saslname(struct buf *b, const char *s)
{
    enum buf_status st = BUF_OK;
    for (; *s && st == BUF_OK; s++) {
        if (*s == ',')
            st = buf_adds(b, "=2C");
        else if (*s == '=')
            st = buf_adds(b, "=3D");
        else
            st = buf_addc(b, *s);
    }
    return st;
}

/* ---- PLAIN (RFC 4616 section 2) --------------------------------------- */

/* message = [authzid] UTF8NUL authcid UTF8NUL passwd */
static enum sasl_rc plain_initial(struct sasl_client *c, struct buf *msg)
{
    const char *z = c->authzid ? c->authzid : "";
    if (buf_add(msg, z, strlen(z)) || buf_addc(msg, '\0') ||
        buf_adds(msg, c->user) || buf_addc(msg, '\0') || buf_adds(msg, c->pass))
        return sasl_client_fail(c, SASL_ERR_CREDS,
                                "PLAIN message longer than %d octets",
                                SASL_MAX_MSG);
    return SASL_RC_LAST;
}

enum sasl_rc sasl_client_unexpected(struct sasl_client *c,
                                    const unsigned char *in, size_t n)
{
    char q[160];
    return sasl_client_fail(
        c, SASL_ERR_UNEXPECTED, "%s: challenge \"%s\" after the last response",
        sasl_mech_name(c->ops->mech), sasl_client_quote(in, n, q, sizeof q));
}

static enum sasl_rc plain_step(struct sasl_client *c, const unsigned char *in,
                               size_t n, struct buf *msg)
{
    return sasl_client_unexpected(c, in, n);
}

static const struct sasl_client_ops PLAIN_OPS = {
    .mech = SASL_MECH_PLAIN,
    .needs = SASL_NEED_USER | SASL_NEED_PASS,
    .client_first = true,
    .initial = plain_initial,
    .step = plain_step,
};

/* ---- LOGIN (draft-murchison-sasl-login-00 section 2) ------------------ */

/* The server prompts twice ("Username:", "Password:"); the prompts' text
 * is not interpreted, as deployed clients do not. */
static enum sasl_rc login_step(struct sasl_client *c, const unsigned char *in,
                               size_t n, struct buf *msg)
{
    if (c->round == 0)
        return buf_adds(msg, c->user)
                   ? sasl_client_fail(c, SASL_ERR_CREDS, "user too long")
                   : SASL_RC_MORE;
    if (c->round == 1)
        return buf_adds(msg, c->pass)
                   ? sasl_client_fail(c, SASL_ERR_CREDS, "password too long")
                   : SASL_RC_LAST;
    return sasl_client_unexpected(c, in, n);
}

static const struct sasl_client_ops LOGIN_OPS = {
    .mech = SASL_MECH_LOGIN,
    .needs = SASL_NEED_USER | SASL_NEED_PASS,
    .step = login_step,
};

/* ---- CRAM-MD5 (RFC 2195 section 2) ------------------------------------ */

/* response = user SP lower-case hex of HMAC-MD5(password, challenge) */
static enum sasl_rc cram_step(struct sasl_client *c, const unsigned char *in,
                              size_t n, struct buf *msg)
{
    static const char HEX[] = "0123456789abcdef";
    if (c->round > 0)
        return sasl_client_unexpected(c, in, n);
    if (n == 0)
        return sasl_client_fail(c, SASL_ERR_SYNTAX,
                                "CRAM-MD5: empty challenge");
    unsigned char mac[SASL_CRYPTO_MAX_MD];
    sasl_crypto_hmac(SASL_CRYPTO_MD5, c->pass, strlen(c->pass), in, n, mac);
    char hex[33];
    for (int i = 0; i < 16; i++) {
        hex[2 * i] = HEX[mac[i] >> 4];
        hex[2 * i + 1] = HEX[mac[i] & 15];
    }
    hex[32] = '\0';
    sasl_crypto_wipe(mac, sizeof mac);
    if (buf_adds(msg, c->user) || buf_addc(msg, ' ') || buf_adds(msg, hex))
        return sasl_client_fail(c, SASL_ERR_CREDS, "user too long");
    return SASL_RC_LAST;
}

static const struct sasl_client_ops CRAM_OPS = {
    .mech = SASL_MECH_CRAM_MD5,
    .needs = SASL_NEED_USER | SASL_NEED_PASS,
    .step = cram_step,
};

/* ---- the table and the frame ------------------------------------------ */

static const struct sasl_client_ops *const MECHS[SASL_MECH_COUNT] = {
    [SASL_MECH_PLAIN] = &PLAIN_OPS,
    [SASL_MECH_LOGIN] = &LOGIN_OPS,
    [SASL_MECH_CRAM_MD5] = &CRAM_OPS,
    [SASL_MECH_SCRAM_SHA_1] = &sasl_scram_sha1_ops,
    [SASL_MECH_SCRAM_SHA_256] = &sasl_scram_sha256_ops,
    [SASL_MECH_XOAUTH2] = &sasl_xoauth2_ops,
    [SASL_MECH_OAUTHBEARER] = &sasl_oauthbearer_ops,
};

/* The one place the client's state changes. */
static void set_state(struct sasl_client *c, enum sasl_client_state st)
{
    c->state = st;
}

/* Copies a credential; -1 if too long. NULL and "" become NULL. */
static int take(char **dst, const char *src)
{
    *dst = NULL;
    if (!src || !*src)
        return 0;
    if (strlen(src) > SASL_MAX_CRED)
        return -1;
    *dst = xstrdup(src);
    return 0;
}

/* Checks that p has what the mechanism needs. */
static int check_needs(const struct sasl_client *c, char *err, size_t errlen)
{
    static const struct {
        unsigned bit;
        const char *what;
    } NEEDS[] = {{SASL_NEED_USER, "a user"},
                 {SASL_NEED_PASS, "a password"},
                 {SASL_NEED_TOKEN, "a token"}};
    const char *have[] = {c->user, c->pass, c->token};
    for (size_t i = 0; i < sizeof NEEDS / sizeof NEEDS[0]; i++) {
        if ((c->ops->needs & NEEDS[i].bit) && !have[i]) {
            snprintf(err, errlen, "%s needs %s", sasl_mech_name(c->ops->mech),
                     NEEDS[i].what);
            return -1;
        }
    }
    return 0;
}

static int copy_params(struct sasl_client *c,
                       const struct sasl_client_params *p, char *err,
                       size_t errlen)
{
    const struct sasl_creds *k = &p->creds;
    if (take(&c->user, k->user) || take(&c->pass, k->pass) ||
        take(&c->token, k->token) || take(&c->authzid, k->authzid) ||
        take(&c->host, p->host)) {
        snprintf(err, errlen, "a credential is longer than %d octets",
                 SASL_MAX_CRED);
        return -1;
    }
    c->port = p->port;
    c->max_iter = p->scram_max_iter ? p->scram_max_iter : SASL_SCRAM_MAX_ITER;
    if (p->nonce)
        c->nonce = xstrdup(p->nonce);
    return check_needs(c, err, errlen);
}

struct sasl_client *sasl_client_new(const struct sasl_client_params *p,
                                    char *err, size_t errlen)
{
    enum sasl_mech m;
    if (!p->mech || sasl_mech_parse(p->mech, &m) != 0) {
        snprintf(err, errlen, "unknown SASL mechanism '%s'",
                 p->mech ? p->mech : "");
        return NULL;
    }
    struct sasl_client *c = xcalloc(1, sizeof *c);
    c->ops = MECHS[m];
    set_state(c, SASL_CS_START);
    if (copy_params(c, p, err, errlen) != 0 ||
        (c->ops->init && c->ops->init(c, err, errlen) != 0)) {
        sasl_client_free(c);
        return NULL;
    }
    return c;
}

void sasl_client_free(struct sasl_client *c)
{
    if (!c)
        return;
    if (c->ops->free)
        c->ops->free(c);
    sasl_crypto_free_secret(c->user);
    sasl_crypto_free_secret(c->pass);
    sasl_crypto_free_secret(c->token);
    sasl_crypto_free_secret(c->authzid);
    free(c->host);
    free(c->nonce);
    sasl_crypto_wipe(c, sizeof *c);
    free(c);
}

/* Turns a mechanism's answer into the public status and the line. */
static enum sasl_step finish(struct sasl_client *c, enum sasl_rc rc,
                             struct buf *msg, bool initial,
                             struct sasl_response *out)
{
    if (rc == SASL_RC_FAIL) {
        set_state(c, SASL_CS_FAILED);
        return SASL_STEP_FAIL;
    }
    if (rc == SASL_RC_WORK) {
        set_state(c, SASL_CS_WORK);
        return SASL_STEP_WORK;
    }
    /* RFC 4954 section 4: a zero-length initial response is "=". */
    if (initial && msg->len == 0)
        (void)buf_addc(&out->line, '=');
    else if (b64_encode(&out->line, msg->data, msg->len) != BUF_OK)
        fatal("sasl: response does not fit SASL_MAX_LINE");
    set_state(c, rc == SASL_RC_LAST ? SASL_CS_COMPLETE : SASL_CS_WAIT);
    return SASL_STEP_SEND;
}

enum sasl_step sasl_client_start(struct sasl_client *c, bool use_ir,
                                 struct sasl_response *out)
{
    if (c->state != SASL_CS_START)
        fatal("sasl_client_start called twice");
    response_clear(out);
    if (!use_ir || !c->ops->client_first) {
        set_state(c, SASL_CS_WAIT);
        return SASL_STEP_NONE;
    }
    struct buf msg;
    buf_init(&msg, SASL_MAX_MSG);
    c->sent_initial = true;
    enum sasl_step st = finish(c, c->ops->initial(c, &msg), &msg, true, out);
    buf_wipe_free(&msg);
    return st;
}

/* Decodes a challenge into msg; SASL_RC_FAIL with the reason if bad. */
static enum sasl_rc decode_challenge(struct sasl_client *c, const char *text,
                                     size_t len, struct buf *msg)
{
    char q[160];
    size_t pos = 0;
    enum b64_status bs = b64_decode(msg, text, len, &pos);
    if (bs == B64_TOO_BIG || len > SASL_MAX_LINE)
        return sasl_client_fail(c, SASL_ERR_TOO_LONG,
                                "challenge of %zu base64 characters", len);
    if (bs != B64_OK)
        return sasl_client_fail(c, SASL_ERR_BASE64,
                                "challenge \"%s\": %s at offset %zu",
                                sasl_client_quote(text, len, q, sizeof q),
                                b64_status_text(bs), pos);
    return SASL_RC_MORE;
}

/* Answers a decoded challenge; c is waiting or complete. */
static enum sasl_rc answer(struct sasl_client *c, const struct buf *in,
                           struct buf *msg)
{
    const unsigned char *p = (const unsigned char *)buf_str(in);
    if (c->ops->client_first && !c->sent_initial) {
        /* RFC 4422 section 5: the initial response answers the empty
         * challenge of a server the client did not send it to. */
        c->sent_initial = true;
        if (in->len)
            c->warnings |= SASL_WARN_FIRST_CHALLENGE;
        return c->ops->initial(c, msg);
    }
    enum sasl_rc rc = c->ops->step(c, p, in->len, msg);
    c->round++;
    return rc;
}

enum sasl_step sasl_client_step(struct sasl_client *c, const char *text,
                                size_t len, struct sasl_response *out)
{
    response_clear(out);
    if (c->state == SASL_CS_FAILED || c->state == SASL_CS_CANCELLED)
        return SASL_STEP_FAIL;
    if (c->state != SASL_CS_WAIT && c->state != SASL_CS_COMPLETE)
        fatal("sasl_client_step in the wrong state (%d)", (int)c->state);
    struct buf in, msg;
    buf_init(&in, SASL_MAX_MSG);
    buf_init(&msg, SASL_MAX_MSG);
    enum sasl_rc rc = decode_challenge(c, text, len, &in);
    if (rc != SASL_RC_FAIL)
        rc = answer(c, &in, &msg);
    enum sasl_step st = finish(c, rc, &msg, false, out);
    buf_wipe_free(&in);
    buf_wipe_free(&msg);
    return st;
}

bool sasl_client_needs_work(const struct sasl_client *c)
{
    return c->state == SASL_CS_WORK;
}

void sasl_client_work(struct sasl_client *c)
{
    if (c->state != SASL_CS_WORK || !c->ops->work)
        fatal("sasl_client_work without pending work");
    c->ops->work(c);
    set_state(c, SASL_CS_READY);
}

enum sasl_step sasl_client_resume(struct sasl_client *c,
                                  struct sasl_response *out)
{
    if (c->state != SASL_CS_READY)
        fatal("sasl_client_resume before sasl_client_work");
    response_clear(out);
    struct buf msg;
    buf_init(&msg, SASL_MAX_MSG);
    enum sasl_step st = finish(c, c->ops->resume(c, &msg), &msg, false, out);
    buf_wipe_free(&msg);
    return st;
}

enum sasl_step sasl_client_cancel(struct sasl_client *c,
                                  struct sasl_response *out)
{
    response_clear(out);
    (void)buf_addc(&out->line, '*');
    out->cancel = true;
    if (c->state != SASL_CS_FAILED)
        set_state(c, SASL_CS_CANCELLED);
    return SASL_STEP_SEND;
}

bool sasl_client_complete(const struct sasl_client *c)
{
    return c->state == SASL_CS_COMPLETE;
}

enum sasl_error sasl_client_error(const struct sasl_client *c)
{
    return c->state == SASL_CS_FAILED ? c->error : SASL_ERR_NONE;
}

const char *sasl_client_error_text(const struct sasl_client *c)
{
    return c->state == SASL_CS_FAILED ? c->detail : "";
}

unsigned sasl_client_warnings(const struct sasl_client *c)
{
    return c->warnings;
}

enum sasl_mech sasl_client_mech(const struct sasl_client *c)
{
    return c->ops->mech;
}
