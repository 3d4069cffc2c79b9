/* sasl_scram: the client side of SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802,
 * RFC 7677) without channel binding: GS2 header "n,," (or "n,a=AUTHZID,"),
 * SASLprep of user and password, the server nonce checked against ours,
 * the iteration count bounded, and the server signature verified.
 *
 * The PBKDF2 of the salted password is the heavy part: the server-first
 * step only parses and checks, then asks for work (sasl.h). */
#include "harness/b64.h"
#include "harness/sasl_client_mech.h"
#include "harness/sasl_crypto.h"
#include "harness/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRAM_MAX_ATTRS 32

struct scram {
    enum sasl_crypto_md md;
    size_t hlen;
    char *user; /* SASLprep'd (query) */
    char *pass; /* SASLprep'd (stored); secret */
    char cnonce[SASL_SCRAM_MAX_NONCE + 1];
    struct buf gs2;        /* GS2 header, e.g. "n,," */
    struct buf auth;       /* AuthMessage (RFC 5802 section 3) */
    struct buf final_bare; /* client-final-message-without-proof */
    struct buf salt;       /* decoded */
    unsigned iter;
    unsigned char client_key[SASL_CRYPTO_MAX_MD];
    unsigned char server_key[SASL_CRYPTO_MAX_MD];
    unsigned char stored_key[SASL_CRYPTO_MAX_MD];
};

/* One "x=value" attribute of a SCRAM message (RFC 5802 section 7). */
struct attr {
    char key;
    const char *val;
    size_t len;
};

/* printable = %x21-2B / %x2D-7E (RFC 5802 section 7). */
static bool printable(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch < 0x21 || ch > 0x7e || ch == ',')
            return false;
    }
    return n > 0;
}

static int scram_init(struct sasl_client *c, char *err, size_t errlen)
{
    struct scram *s = xcalloc(1, sizeof *s);
    c->priv = s;
    s->md = c->ops->mech == SASL_MECH_SCRAM_SHA_1 ? SASL_CRYPTO_SHA1
                                                  : SASL_CRYPTO_SHA256;
    s->hlen = sasl_crypto_md_len(s->md);
    buf_init(&s->gs2, SASL_MAX_MSG);
    buf_init(&s->auth, 3 * SASL_MAX_MSG);
    buf_init(&s->final_bare, SASL_MAX_MSG);
    buf_init(&s->salt, SASL_MAX_MSG);
    /* RFC 5802 section 5.1: the user is prepared as a query string, the
     * password as a stored string (Normalize, section 2.2). */
    s->user = sasl_crypto_saslprep(c->user, false);
    s->pass = sasl_crypto_saslprep(c->pass, true);
    if (!s->user || !s->pass) {
        snprintf(err, errlen, "%s: the %s is prohibited by SASLprep",
                 sasl_mech_name(c->ops->mech), s->user ? "password" : "user");
        return -1;
    }
    if (!c->nonce) {
        sasl_crypto_nonce(s->cnonce, SASL_SCRAM_NONCE_LEN);
        return 0;
    }
    size_t n = strlen(c->nonce);
    if (n > SASL_SCRAM_MAX_NONCE || !printable(c->nonce, n)) {
        snprintf(err, errlen,
                 "SCRAM nonce must be 1-%d printable "
                 "characters without ','",
                 SASL_SCRAM_MAX_NONCE);
        return -1;
    }
    memcpy(s->cnonce, c->nonce, n + 1);
    return 0;
}

static void scram_free(struct sasl_client *c)
{
    struct scram *s = c->priv;
    if (!s)
        return;
    free(s->user);
    sasl_crypto_free_secret(s->pass);
    sasl_crypto_wipe(s->auth.data, s->auth.cap);
    buf_free(&s->gs2);
    buf_free(&s->auth);
    buf_free(&s->final_bare);
    buf_free(&s->salt);
    sasl_crypto_wipe(s, sizeof *s);
    free(s);
    c->priv = NULL;
}

/* client-first-message = gs2-header client-first-message-bare */
static enum sasl_rc scram_initial(struct sasl_client *c, struct buf *msg)
{
    struct scram *s = c->priv;
    buf_reset(&s->gs2);
    buf_reset(&s->auth);
    enum buf_status st = buf_adds(&s->gs2, "n,");
    if (c->authzid) {
        st |= buf_adds(&s->gs2, "a=");
        st |= sasl_client_saslname(&s->gs2, c->authzid);
    }
    st |= buf_addc(&s->gs2, ',');
    /* The bare part starts the AuthMessage. */
    st |= buf_adds(&s->auth, "n=");
    st |= sasl_client_saslname(&s->auth, s->user);
    st |= buf_addf(&s->auth, ",r=%s", s->cnonce);
    st |= buf_add(msg, s->gs2.data, s->gs2.len);
    st |= buf_add(msg, s->auth.data, s->auth.len);
    if (st != BUF_OK)
        return sasl_client_fail(c, SASL_ERR_CREDS,
                                "SCRAM client-first longer than %d octets",
                                SASL_MAX_MSG);
    return SASL_RC_MORE;
}

/* Splits p[0..n) at ',' into attributes "x=value"; the count, or -1 if an
 * attribute is not a letter and '='. */
static int split_attrs(const char *p, size_t n, struct attr *a, int max)
{
    int k = 0;
    size_t i = 0;
    while (k < max) {
        size_t j = i;
        while (j < n && p[j] != ',')
            j++;
        if (j - i < 2 || p[i + 1] != '=' || (p[i] | 0x20) < 'a' ||
            (p[i] | 0x20) > 'z')
            return -1;
        a[k++] = (struct attr){p[i], p + i + 2, j - i - 2};
        if (j == n)
            return k;
        i = j + 1;
    }
    return -1;
}

/* iteration-count = posit-number: "i=" %x31-39 *DIGIT */
static int parse_iter(const struct attr *a, unsigned long *out)
{
    if (a->len == 0 || a->len > 10 || a->val[0] < '1' || a->val[0] > '9')
        return -1;
    unsigned long v = 0;
    for (size_t i = 0; i < a->len; i++) {
        if (a->val[i] < '0' || a->val[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(a->val[i] - '0');
    }
    *out = v;
    return 0;
}

/* An "e=" or "m=" where the grammar allows neither, else 0. */
static enum sasl_rc refuse_special(struct sasl_client *c, const struct attr *a)
{
    char q[160];
    if (a->key == 'e')
        return sasl_client_fail(c, SASL_ERR_SERVER_ERROR,
                                "SCRAM server error \"%s\"",
                                sasl_client_quote(a->val, a->len, q, sizeof q));
    /* RFC 5802 section 5.1: "m" MUST cause authentication failure. */
    return sasl_client_fail(c, SASL_ERR_SYNTAX,
                            "SCRAM server-first carries a mandatory "
                            "extension (m=)");
}

/* Checks r=, s=, i= of server-first (RFC 5802 section 5.1). */
static enum sasl_rc check_first(struct sasl_client *c, const struct attr *a)
{
    struct scram *s = c->priv;
    char q[160];
    size_t cn = strlen(s->cnonce);
    if (!printable(a[0].val, a[0].len))
        return sasl_client_fail(c, SASL_ERR_SYNTAX,
                                "SCRAM server nonce is not printable");
    if (a[0].len <= cn || memcmp(a[0].val, s->cnonce, cn) != 0)
        return sasl_client_fail(
            c, SASL_ERR_NONCE, "server nonce \"%s\" does not extend \"%s\"",
            sasl_client_quote(a[0].val, a[0].len, q, sizeof q), s->cnonce);
    buf_reset(&s->salt);
    if (a[1].len == 0 ||
        b64_decode(&s->salt, a[1].val, a[1].len, NULL) != B64_OK)
        return sasl_client_fail(
            c, SASL_ERR_SYNTAX, "SCRAM salt \"%s\" is not base64",
            sasl_client_quote(a[1].val, a[1].len, q, sizeof q));
    unsigned long it = 0;
    if (parse_iter(&a[2], &it) != 0)
        return sasl_client_fail(
            c, SASL_ERR_SYNTAX,
            "SCRAM iteration count \"%s\" is not a "
            "positive number",
            sasl_client_quote(a[2].val, a[2].len, q, sizeof q));
    if (it > c->max_iter)
        return sasl_client_fail(c, SASL_ERR_ITER_LIMIT,
                                "SCRAM iteration count %lu above the limit "
                                "%u",
                                it, c->max_iter);
    if (it < SASL_SCRAM_MIN_ITER)
        c->warnings |= SASL_WARN_LOW_ITER;
    s->iter = (unsigned)it;
    return SASL_RC_MORE;
}

/* Builds client-final-without-proof and the AuthMessage. */
static enum sasl_rc build_final(struct sasl_client *c, const char *first,
                                size_t n, const struct attr *r)
{
    struct scram *s = c->priv;
    buf_reset(&s->final_bare);
    enum buf_status st = buf_adds(&s->final_bare, "c=");
    st |= b64_encode(&s->final_bare, s->gs2.data, s->gs2.len);
    st |= buf_adds(&s->final_bare, ",r=");
    st |= buf_add(&s->final_bare, r->val, r->len);
    st |= buf_addc(&s->auth, ',');
    st |= buf_add(&s->auth, first, n);
    st |= buf_addc(&s->auth, ',');
    st |= buf_add(&s->auth, s->final_bare.data, s->final_bare.len);
    if (st != BUF_OK)
        return sasl_client_fail(c, SASL_ERR_TOO_LONG,
                                "SCRAM messages too long");
    return SASL_RC_WORK;
}

/* server-first-message =
 *     [reserved-mext ","] nonce "," salt "," iteration-count
 *     ["," extensions] */
static enum sasl_rc server_first(struct sasl_client *c, const unsigned char *in,
                                 size_t n)
{
    struct attr a[SCRAM_MAX_ATTRS];
    char q[160];
    const char *p = (const char *)in;
    int k = split_attrs(p, n, a, SCRAM_MAX_ATTRS);
    if (k >= 1 && (a[0].key == 'e' || a[0].key == 'm'))
        return refuse_special(c, &a[0]);
    if (k < 3 || a[0].key != 'r' || a[1].key != 's' || a[2].key != 'i')
        return sasl_client_fail(c, SASL_ERR_SYNTAX,
                                "SCRAM server-first \"%s\" is not "
                                "r=...,s=...,i=...",
                                sasl_client_quote(in, n, q, sizeof q));
    enum sasl_rc rc = check_first(c, a);
    return rc == SASL_RC_FAIL ? rc : build_final(c, p, n, &a[0]);
}

/* server-final-message = (server-error / verifier) ["," extensions] */
static enum sasl_rc server_final(struct sasl_client *c, const unsigned char *in,
                                 size_t n)
{
    struct scram *s = c->priv;
    struct attr a[SCRAM_MAX_ATTRS];
    char q[160];
    int k = split_attrs((const char *)in, n, a, SCRAM_MAX_ATTRS);
    if (k >= 1 && a[0].key == 'e')
        return refuse_special(c, &a[0]);
    if (k < 1 || a[0].key != 'v')
        return sasl_client_fail(c, SASL_ERR_SYNTAX,
                                "SCRAM server-final \"%s\" has no v=",
                                sasl_client_quote(in, n, q, sizeof q));
    unsigned char want[SASL_CRYPTO_MAX_MD];
    sasl_crypto_hmac(s->md, s->server_key, s->hlen, s->auth.data, s->auth.len,
                     want);
    struct buf got;
    buf_init(&got, SASL_CRYPTO_MAX_MD);
    bool ok = b64_decode(&got, a[0].val, a[0].len, NULL) == B64_OK &&
              got.len == s->hlen && sasl_crypto_equal(got.data, want, s->hlen);
    buf_free(&got);
    if (!ok)
        return sasl_client_fail(
            c, SASL_ERR_SIGNATURE,
            "SCRAM server signature \"%s\" does not "
            "match",
            sasl_client_quote(a[0].val, a[0].len, q, sizeof q));
    return SASL_RC_LAST; /* answered with an empty response */
}

static enum sasl_rc scram_step(struct sasl_client *c, const unsigned char *in,
                               size_t n, struct buf *msg)
{
    if (c->round == 0)
        return server_first(c, in, n);
    if (c->round == 1)
        return server_final(c, in, n);
    return sasl_client_unexpected(c, in, n);
}

/* SaltedPassword, ClientKey, StoredKey, ServerKey (RFC 5802 section 3). */
static void scram_work(struct sasl_client *c)
{
    struct scram *s = c->priv;
    unsigned char salted[SASL_CRYPTO_MAX_MD];
    sasl_crypto_pbkdf2(s->md, s->pass, strlen(s->pass),
                       (const unsigned char *)s->salt.data, s->salt.len,
                       s->iter, salted);
    sasl_crypto_hmac(s->md, salted, s->hlen, "Client Key", 10, s->client_key);
    sasl_crypto_hmac(s->md, salted, s->hlen, "Server Key", 10, s->server_key);
    sasl_crypto_hash(s->md, s->client_key, s->hlen, s->stored_key);
    sasl_crypto_wipe(salted, sizeof salted);
}

/* client-final-message = client-final-message-without-proof "," proof */
static enum sasl_rc scram_resume(struct sasl_client *c, struct buf *msg)
{
    struct scram *s = c->priv;
    unsigned char sig[SASL_CRYPTO_MAX_MD], proof[SASL_CRYPTO_MAX_MD];
    sasl_crypto_hmac(s->md, s->stored_key, s->hlen, s->auth.data, s->auth.len,
                     sig);
    for (size_t i = 0; i < s->hlen; i++)
        proof[i] = s->client_key[i] ^ sig[i];
    enum buf_status st = buf_add(msg, s->final_bare.data, s->final_bare.len);
    st |= buf_adds(msg, ",p=");
    st |= b64_encode(msg, proof, s->hlen);
    sasl_crypto_wipe(proof, sizeof proof);
    if (st != BUF_OK)
        return sasl_client_fail(c, SASL_ERR_TOO_LONG,
                                "SCRAM client-final too long");
    return SASL_RC_MORE;
}

const struct sasl_client_ops sasl_scram_sha1_ops = {
    .mech = SASL_MECH_SCRAM_SHA_1,
    .needs = SASL_NEED_USER | SASL_NEED_PASS,
    .client_first = true,
    .init = scram_init,
    .initial = scram_initial,
    .step = scram_step,
    .work = scram_work,
    .resume = scram_resume,
    .free = scram_free,
};

const struct sasl_client_ops sasl_scram_sha256_ops = {
    .mech = SASL_MECH_SCRAM_SHA_256,
    .needs = SASL_NEED_USER | SASL_NEED_PASS,
    .client_first = true,
    .init = scram_init,
    .initial = scram_initial,
    .step = scram_step,
    .work = scram_work,
    .resume = scram_resume,
    .free = scram_free,
};
