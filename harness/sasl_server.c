/* sasl_server: the SASL server's frame (mechanism table, base64, "=" and
 * "*", limits, outcomes) and PLAIN (RFC 4616), LOGIN
 * (draft-murchison-sasl-login) and CRAM-MD5 (RFC 2195). SCRAM is in
 * sasl_server_scram.c, XOAUTH2 and OAUTHBEARER in sasl_server_oauth.c. */
#include "harness/sasl_server.h"
#include "harness/b64.h"
#include "harness/bytes.h"
#include "harness/digest.h"
#include "harness/sasl_crypto.h"
#include "harness/sasl_server_mech.h"
#include "harness/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    int code;
    const char *esc, *text, *name;
} OUTCOMES[] = {
#define X(e, code, esc, text) {code, esc, text, #e},
    SASL_OUTCOME_LIST(X)
#undef X
};

int sasl_outcome_code(enum sasl_outcome o)
{
    return (unsigned)o < SASL_OUT_COUNT ? OUTCOMES[o].code : 0;
}

const char *sasl_outcome_esc(enum sasl_outcome o)
{
    return (unsigned)o < SASL_OUT_COUNT ? OUTCOMES[o].esc : "";
}

const char *sasl_outcome_text(enum sasl_outcome o)
{
    return (unsigned)o < SASL_OUT_COUNT ? OUTCOMES[o].text : "?";
}

const char *sasl_outcome_name(enum sasl_outcome o)
{
    return (unsigned)o < SASL_OUT_COUNT ? OUTCOMES[o].name : "?";
}

/* ---- helpers for the mechanisms ---------------------------------------- */

enum sasl_outcome sasl_server_fail(struct sasl_server *s, enum sasl_outcome o,
                                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->reason, sizeof s->reason, fmt, ap);
    va_end(ap);
    return o;
}

enum sasl_outcome sasl_server_succeed(struct sasl_server *s, const char *user)
{
    free(s->user);
    s->user = xstrdup(user);
    return SASL_OUT_SUCCESS;
}

const char *sasl_server_quote(const void *p, size_t n, char *out, size_t outlen)
{
    enum { SHOWN = 48 };
    struct buf b;
    buf_init(&b, outlen > 4 ? outlen - 4 : 0);
    (void)bytes_escape(&b, p, n < SHOWN ? n : SHOWN);
    snprintf(out, outlen, "%s%s", buf_str(&b), n > SHOWN ? "..." : "");
    buf_free(&b);
    return out;
}

char *sasl_server_make_nonce(const struct sasl_server *s, size_t n)
{
    if (s->nonce)
        return xstrdup(s->nonce);
    char *p = xmalloc(n + 1);
    sasl_crypto_nonce(p, n);
    return p;
}

/* Compares against a verifier by deriving its keys from pass. */
static bool check_verifier(const struct sasl_user_entry *e, const char *pass)
{
    for (int h = SASL_USERS_SHA256; h >= SASL_USERS_SHA1; h--) {
        const struct sasl_scram_keys *k = &e->scram[h];
        if (!k->set)
            continue;
        struct sasl_scram_keys d = {0};
        sasl_users_derive((enum sasl_users_hash)h, pass, k->salt, k->salt_len,
                          k->iter, &d);
        size_t hl = sasl_crypto_md_len(
            h == SASL_USERS_SHA1 ? SASL_CRYPTO_SHA1 : SASL_CRYPTO_SHA256);
        bool ok = sasl_crypto_equal(d.stored, k->stored, hl);
        sasl_crypto_wipe(&d, sizeof d);
        return ok;
    }
    return false;
}

const struct sasl_user_entry *
sasl_server_check_password(const struct sasl_server *s, const char *user,
                           const char *pass)
{
    const struct sasl_user_entry *e = sasl_users_find(s->users, user);
    /* RFC 4616 section 2: both sides are prepared with SASLprep. */
    char *prep = sasl_crypto_saslprep(pass, true);
    bool ok = false;
    if (prep && e && e->pass)
        ok = sasl_crypto_streq(prep, e->pass);
    else if (prep && e)
        ok = check_verifier(e, prep);
    else if (prep)
        (void)sasl_crypto_streq(prep, "-"); /* about the same time */
    sasl_crypto_free_secret(prep);
    return ok ? e : NULL;
}

/* Nonzero if p[0..n) holds a NUL (C strings cannot carry it). */
static bool has_nul(const unsigned char *p, size_t n)
{
    return memchr(p, '\0', n) != NULL;
}

/* ---- PLAIN (RFC 4616 section 2) ----------------------------------------- */

/* Finds the two NULs of [authzid] NUL authcid NUL passwd; -1 if the
 * message does not have exactly two or a field is empty. */
static int plain_split(const unsigned char *in, size_t n, size_t *a, size_t *b)
{
    const unsigned char *p1 = memchr(in, '\0', n);
    if (!p1)
        return -1;
    *a = (size_t)(p1 - in);
    const unsigned char *p2 = memchr(p1 + 1, '\0', n - *a - 1);
    if (!p2)
        return -1;
    *b = (size_t)(p2 - in);
    if (*b == *a + 1 || *b + 1 == n || has_nul(p2 + 1, n - *b - 1))
        return -1;
    return 0;
}

/* True if the authorization identity z may be used by user e (only
 * itself: the sink has no proxy rights). */
static bool authz_ok(const struct sasl_user_entry *e, const char *z)
{
    if (!z || !*z)
        return true;
    char *prep = sasl_crypto_saslprep(z, false);
    bool ok = prep && strcmp(prep, e->name) == 0;
    free(prep);
    return ok;
}

static enum sasl_outcome plain_step(struct sasl_server *s,
                                    const unsigned char *in, size_t n,
                                    struct buf *msg)
{
    size_t a = 0, b = 0;
    if (plain_split(in, n, &a, &b) != 0)
        return sasl_server_fail(s, SASL_OUT_MALFORMED,
                                "PLAIN message is not "
                                "[authzid] NUL authcid NUL passwd");
    char *authzid = xstrndup((const char *)in, a);
    char *authcid = xstrndup((const char *)in + a + 1, b - a - 1);
    char *passwd = xstrndup((const char *)in + b + 1, n - b - 1);
    const struct sasl_user_entry *e =
        sasl_server_check_password(s, authcid, passwd);
    char q[160];
    enum sasl_outcome o;
    if (!e)
        o = sasl_server_fail(
            s, SASL_OUT_BAD_CREDS, "PLAIN: bad user or password (user \"%s\")",
            sasl_server_quote(authcid, strlen(authcid), q, sizeof q));
    else if (!authz_ok(e, authzid))
        o = sasl_server_fail(s, SASL_OUT_AUTHZ,
                             "PLAIN: user '%s' may not act as \"%s\"", e->name,
                             sasl_server_quote(authzid, a, q, sizeof q));
    else
        o = sasl_server_succeed(s, e->name);
    free(authzid);
    free(authcid);
    sasl_crypto_free_secret(passwd);
    return o;
}

static const struct sasl_server_ops PLAIN_OPS = {
    .mech = SASL_MECH_PLAIN,
    .ir_ok = true,
    .step = plain_step,
};

/* ---- LOGIN (draft-murchison-sasl-login-00) ---------------------------- */

/* The prompts deployed servers send ("Username:" and "Password:"). */
static enum sasl_outcome login_challenge(struct sasl_server *s, struct buf *msg)
{
    (void)buf_adds(msg, "Username:");
    return SASL_OUT_CHALLENGE;
}

static enum sasl_outcome login_step(struct sasl_server *s,
                                    const unsigned char *in, size_t n,
                                    struct buf *msg)
{
    if (has_nul(in, n))
        return sasl_server_fail(s, SASL_OUT_MALFORMED, "LOGIN: NUL in the %s",
                                s->round == 0 ? "user name" : "password");
    if (s->round == 0) {
        s->priv = xstrndup((const char *)in, n);
        (void)buf_adds(msg, "Password:");
        return SASL_OUT_CHALLENGE;
    }
    char *pass = xstrndup((const char *)in, n);
    const struct sasl_user_entry *e =
        sasl_server_check_password(s, s->priv, pass);
    sasl_crypto_free_secret(pass);
    char q[160];
    if (!e)
        return sasl_server_fail(
            s, SASL_OUT_BAD_CREDS, "LOGIN: bad user or password (user \"%s\")",
            sasl_server_quote(s->priv, strlen(s->priv), q, sizeof q));
    return sasl_server_succeed(s, e->name);
}

static void free_priv(struct sasl_server *s)
{
    free(s->priv);
    s->priv = NULL;
}

static const struct sasl_server_ops LOGIN_OPS = {
    .mech = SASL_MECH_LOGIN,
    .ir_ok = true, /* the user name, as OpenSMTPD and Exim accept */
    .challenge = login_challenge,
    .step = login_step,
    .free = free_priv,
};

/* ---- CRAM-MD5 (RFC 2195 section 2) ------------------------------------- */

/* The challenge is a msg-id: "<" random "." random "@" hostname ">". */
static enum sasl_outcome cram_challenge(struct sasl_server *s, struct buf *msg)
{
    char *local = NULL;
    if (s->nonce) {
        local = xstrdup(s->nonce);
    } else {
        unsigned r[2];
        digest_random(r, sizeof r);
        local = xasprintf("%u.%u", r[0] % 100000u, r[1]);
    }
    s->priv = xasprintf("<%s@%s>", local, s->hostname);
    free(local);
    (void)buf_adds(msg, s->priv);
    return SASL_OUT_CHALLENGE;
}

/* Lower-case hex of HMAC-MD5(key, challenge) compared with the 32 hex
 * digits at hex (either case accepted). */
static bool cram_match(const char *key, const char *challenge,
                       const unsigned char *hex)
{
    static const char HEX[] = "0123456789abcdef";
    unsigned char mac[SASL_CRYPTO_MAX_MD];
    char want[32], got[32];
    sasl_crypto_hmac(SASL_CRYPTO_MD5, key, strlen(key), challenge,
                     strlen(challenge), mac);
    for (int i = 0; i < 16; i++) {
        want[2 * i] = HEX[mac[i] >> 4];
        want[2 * i + 1] = HEX[mac[i] & 15];
    }
    for (int i = 0; i < 32; i++)
        got[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] + 32 : hex[i]);
    bool ok = sasl_crypto_equal(want, got, sizeof want);
    sasl_crypto_wipe(mac, sizeof mac);
    return ok;
}

/* response = user SP digest; the user may hold spaces, so the last one
 * separates. */
static enum sasl_outcome cram_step(struct sasl_server *s,
                                   const unsigned char *in, size_t n,
                                   struct buf *msg)
{
    const unsigned char *sp = n > 33 ? in + n - 33 : NULL;
    bool hex = sp && *sp == ' ';
    for (size_t i = 1; hex && i <= 32; i++)
        hex = strchr("0123456789abcdefABCDEF", sp[i]) && sp[i];
    if (!hex || has_nul(in, n))
        return sasl_server_fail(s, SASL_OUT_MALFORMED,
                                "CRAM-MD5 response is not "
                                "user SP 32-hex-digits");
    char *user = xstrndup((const char *)in, (size_t)(sp - in));
    const struct sasl_user_entry *e = sasl_users_find(s->users, user);
    bool ok = e && e->pass_raw && cram_match(e->pass_raw, s->priv, sp + 1);
    char q[160];
    enum sasl_outcome o =
        ok ? sasl_server_succeed(s, e->name)
           : sasl_server_fail(
                 s, SASL_OUT_BAD_CREDS,
                 "CRAM-MD5: bad user or digest (user \"%s\"%s)",
                 sasl_server_quote(user, strlen(user), q, sizeof q),
                 e && !e->pass_raw ? ", no clear password" : "");
    free(user);
    return o;
}

static const struct sasl_server_ops CRAM_OPS = {
    .mech = SASL_MECH_CRAM_MD5,
    .challenge = cram_challenge,
    .step = cram_step,
    .free = free_priv,
};

/* ---- the table and the frame -------------------------------------------- */

static const struct sasl_server_ops *const MECHS[SASL_MECH_COUNT] = {
    [SASL_MECH_PLAIN] = &PLAIN_OPS,
    [SASL_MECH_LOGIN] = &LOGIN_OPS,
    [SASL_MECH_CRAM_MD5] = &CRAM_OPS,
    [SASL_MECH_SCRAM_SHA_1] = &sasl_server_scram_sha1_ops,
    [SASL_MECH_SCRAM_SHA_256] = &sasl_server_scram_sha256_ops,
    [SASL_MECH_XOAUTH2] = &sasl_server_xoauth2_ops,
    [SASL_MECH_OAUTHBEARER] = &sasl_server_oauthbearer_ops,
};

/* The one place the server's state changes. */
static void set_state(struct sasl_server *s, enum sasl_server_state st)
{
    s->state = st;
}

static bool printable_nonce(const char *p)
{
    if (!*p || strlen(p) > SASL_SCRAM_MAX_NONCE)
        return false;
    for (; *p; p++)
        if (*p < 0x21 || *p > 0x7e || *p == ',')
            return false;
    return true;
}

struct sasl_server *sasl_server_new(const struct sasl_server_params *p,
                                    char *err, size_t errlen)
{
    enum sasl_mech m;
    if (!p->mech || sasl_mech_parse(p->mech, &m) != 0) {
        snprintf(err, errlen, "unknown SASL mechanism '%s'",
                 p->mech ? p->mech : "");
        return NULL;
    }
    if (p->nonce && !printable_nonce(p->nonce)) {
        snprintf(err, errlen,
                 "server nonce must be 1-%d printable "
                 "characters without ','",
                 SASL_SCRAM_MAX_NONCE);
        return NULL;
    }
    if (!p->users)
        fatal("sasl_server_new without a user table");
    struct sasl_server *s = xcalloc(1, sizeof *s);
    s->ops = MECHS[m];
    s->users = p->users;
    s->nonce = p->nonce ? xstrdup(p->nonce) : NULL;
    s->hostname = xstrdup(p->hostname ? p->hostname : "localhost");
    set_state(s, SASL_SS_START);
    return s;
}

void sasl_server_free(struct sasl_server *s)
{
    if (!s)
        return;
    if (s->ops->free)
        s->ops->free(s);
    free(s->nonce);
    free(s->hostname);
    free(s->user);
    free(s);
}

/* Runs a mechanism step on decoded octets and encodes its challenge. */
static enum sasl_outcome run(struct sasl_server *s, const struct buf *in,
                             struct buf *challenge)
{
    struct buf msg;
    buf_init(&msg, SASL_MAX_MSG);
    enum sasl_outcome o =
        s->ops->step(s, (const unsigned char *)buf_str(in), in->len, &msg);
    s->round++;
    if (o == SASL_OUT_CHALLENGE &&
        b64_encode(challenge, msg.data, msg.len) != BUF_OK)
        fatal("sasl_server: challenge does not fit the caller's buffer");
    buf_free(&msg);
    return o;
}

/* Decodes a client line into in; an outcome other than CHALLENGE if the
 * line ends the exchange by itself. */
static enum sasl_outcome decode_line(struct sasl_server *s, const char *line,
                                     size_t len, bool initial, struct buf *in)
{
    char q[160];
    size_t pos = 0;
    if (len > SASL_MAX_LINE)
        return sasl_server_fail(s, SASL_OUT_TOO_LONG, "line of %zu characters",
                                len);
    /* RFC 4954 section 4: "*" cancels; "=" is an empty initial response. */
    if (len == 1 && line[0] == '*')
        return sasl_server_fail(s, SASL_OUT_CANCELLED, "client sent \"*\"");
    if (initial && len == 1 && line[0] == '=')
        return SASL_OUT_CHALLENGE;
    enum b64_status st = b64_decode(in, line, len, &pos);
    if (st != B64_OK)
        return sasl_server_fail(s, SASL_OUT_MALFORMED,
                                "\"%s\" is not base64: %s at offset %zu",
                                sasl_server_quote(line, len, q, sizeof q),
                                b64_status_text(st), pos);
    return SASL_OUT_CHALLENGE;
}

/* Feeds one client line (initial response or answer) to the mechanism. */
static enum sasl_outcome take_line(struct sasl_server *s, const char *line,
                                   size_t len, bool initial,
                                   struct buf *challenge)
{
    struct buf in;
    buf_init(&in, SASL_MAX_MSG);
    enum sasl_outcome o = decode_line(s, line, len, initial, &in);
    if (o == SASL_OUT_CHALLENGE)
        o = run(s, &in, challenge);
    sasl_crypto_wipe(in.data, in.cap);
    buf_free(&in);
    set_state(s, o == SASL_OUT_CHALLENGE ? SASL_SS_WAIT : SASL_SS_DONE);
    return o;
}

enum sasl_outcome sasl_server_start(struct sasl_server *s, const char *ir,
                                    size_t len, struct buf *challenge)
{
    if (s->state != SASL_SS_START)
        fatal("sasl_server_start called twice");
    buf_reset(challenge);
    if (ir && !s->ops->ir_ok) {
        set_state(s, SASL_SS_DONE);
        return sasl_server_fail(s, SASL_OUT_MALFORMED,
                                "%s takes no initial response",
                                sasl_mech_name(s->ops->mech));
    }
    if (ir)
        return take_line(s, ir, len, true, challenge);
    if (s->ops->challenge) {
        struct buf msg;
        buf_init(&msg, SASL_MAX_MSG);
        (void)s->ops->challenge(s, &msg);
        if (b64_encode(challenge, msg.data, msg.len) != BUF_OK)
            fatal("sasl_server: challenge does not fit the caller's buffer");
        buf_free(&msg);
    }
    set_state(s, SASL_SS_WAIT);
    return SASL_OUT_CHALLENGE;
}

enum sasl_outcome sasl_server_step(struct sasl_server *s, const char *line,
                                   size_t len, struct buf *challenge)
{
    if (s->state != SASL_SS_WAIT)
        fatal("sasl_server_step without a pending challenge");
    buf_reset(challenge);
    return take_line(s, line, len, false, challenge);
}

const char *sasl_server_user(const struct sasl_server *s)
{
    return s->state == SASL_SS_DONE ? s->user : NULL;
}

const char *sasl_server_reason(const struct sasl_server *s)
{
    return s->reason;
}
