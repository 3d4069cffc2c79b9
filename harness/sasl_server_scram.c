/* sasl_server_scram: the server side of SCRAM-SHA-1 and SCRAM-SHA-256
 * (RFC 5802, RFC 7677) without channel binding. Keys come from the user
 * table (derived once, or a stored verifier); an unknown user gets fake
 * keys, so the exchange fails only at the proof (RFC 5802 section 9).
 * After a valid proof the server signature goes out as a challenge and
 * the client's empty answer ends the exchange (RFC 4954 section 4). */
#include "harness/b64.h"
#include "harness/sasl_crypto.h"
#include "harness/sasl_server_mech.h"
#include "harness/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SSCRAM_NONCE_LEN  24
#define SSCRAM_MAX_FIELDS 32

struct sscram {
    enum sasl_users_hash hash;
    enum sasl_crypto_md md;
    size_t hlen;
    struct sasl_scram_keys keys;
    bool known;       /* the user exists with keys of this hash */
    char *user;       /* as received, unescaped */
    char *authzid;    /* from the GS2 header, or NULL */
    struct buf gs2;   /* the GS2 header as received */
    struct buf nonce; /* client nonce + server nonce */
    struct buf auth;  /* AuthMessage */
};

/* One "x=value" field. */
struct field {
    char key;
    const char *val;
    size_t len;
};

/* Splits p[0..n) at ',' into fields; the count, or -1 if one is not a
 * letter, '=' and a value. */
static int fields(const char *p, size_t n, struct field *f, int max)
{
    int k = 0;
    for (size_t i = 0; i <= n && k < max;) {
        const char *comma = memchr(p + i, ',', n - i);
        size_t end = comma ? (size_t)(comma - p) : n;
        bool alpha = end - i >= 2 && ((p[i] >= 'a' && p[i] <= 'z') ||
                                      (p[i] >= 'A' && p[i] <= 'Z'));
        if (!alpha || p[i + 1] != '=')
            return -1;
        f[k++] = (struct field){p[i], p + i + 2, end - i - 2};
        if (!comma)
            return k;
        i = end + 1;
    }
    return -1;
}

static bool printable(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x21 || p[i] > 0x7e || p[i] == ',')
            return false;
    return n > 0;
}

/* Decodes a saslname; NULL if an '=' is not "=2C" or "=3D", or a NUL. */
static char *unescape(const char *p, size_t n)
{
    char *out = xmalloc(n + 1), *o = out;
    size_t i = 0;
    while (i < n) {
        if (p[i] == '\0')
            break;
        if (p[i] != '=') {
            *o++ = p[i++];
            continue;
        }
        bool comma = n - i >= 3 && p[i + 1] == '2' && p[i + 2] == 'C';
        bool equals = n - i >= 3 && p[i + 1] == '3' && p[i + 2] == 'D';
        if (!comma && !equals)
            break;
        *o++ = p[i + 1] == '2' ? ',' : '=';
        i += 3;
    }
    *o = '\0';
    if (i < n || o == out) {
        free(out);
        return NULL;
    }
    return out;
}

static void sscram_free(struct sasl_server *s)
{
    struct sscram *x = s->priv;
    if (!x)
        return;
    free(x->user);
    free(x->authzid);
    buf_free(&x->gs2);
    buf_free(&x->nonce);
    buf_free(&x->auth);
    sasl_crypto_wipe(x, sizeof *x);
    free(x);
    s->priv = NULL;
}

static struct sscram *sscram_new(struct sasl_server *s)
{
    struct sscram *x = xcalloc(1, sizeof *x);
    bool sha1 = s->ops->mech == SASL_MECH_SCRAM_SHA_1;
    x->hash = sha1 ? SASL_USERS_SHA1 : SASL_USERS_SHA256;
    x->md = sha1 ? SASL_CRYPTO_SHA1 : SASL_CRYPTO_SHA256;
    x->hlen = sasl_crypto_md_len(x->md);
    buf_init(&x->gs2, SASL_MAX_MSG);
    buf_init(&x->nonce, 2 * SASL_SCRAM_MAX_NONCE);
    buf_init(&x->auth, 3 * SASL_MAX_MSG);
    s->priv = x;
    return x;
}

/* gs2-header = gs2-cbind-flag "," [authzid] ","; returns its length, 0 if
 * malformed, or -1 for "p=" (channel binding, which a non-PLUS mechanism
 * cannot do: RFC 5802 section 6). */
static long gs2(struct sscram *x, const char *p, size_t n)
{
    if (n >= 1 && p[0] == 'p')
        return -1;
    if (n < 3 || (p[0] != 'n' && p[0] != 'y') || p[1] != ',')
        return 0;
    const char *end = memchr(p + 2, ',', n - 2);
    if (!end)
        return 0;
    size_t alen = (size_t)(end - p) - 2;
    if (alen > 0) {
        if (alen < 3 || p[2] != 'a' || p[3] != '=' ||
            !(x->authzid = unescape(p + 4, alen - 2)))
            return 0;
    }
    size_t len = (size_t)(end - p) + 1;
    (void)buf_add(&x->gs2, p, len);
    return (long)len;
}

/* Looks the user up and writes server-first into msg and the AuthMessage. */
static enum sasl_outcome server_first(struct sasl_server *s, struct sscram *x,
                                      const char *bare, size_t blen,
                                      const struct field *r, struct buf *msg)
{
    const struct sasl_user_entry *e = sasl_users_find(s->users, x->user);
    x->known = e && e->scram[x->hash].set;
    if (x->known)
        x->keys = e->scram[x->hash];
    else
        sasl_users_fake_keys(s->users, x->user, &x->keys);
    char *snonce = sasl_server_make_nonce(s, SSCRAM_NONCE_LEN);
    enum buf_status st = buf_add(&x->nonce, r->val, r->len);
    st |= buf_adds(&x->nonce, snonce);
    free(snonce);
    st |= buf_addf(msg, "r=%s,s=", buf_str(&x->nonce));
    st |= b64_encode(msg, x->keys.salt, x->keys.salt_len);
    st |= buf_addf(msg, ",i=%u", x->keys.iter);
    st |= buf_add(&x->auth, bare, blen);
    st |= buf_addc(&x->auth, ',');
    st |= buf_add(&x->auth, msg->data, msg->len);
    if (st != BUF_OK)
        return sasl_server_fail(s, SASL_OUT_MALFORMED, "SCRAM nonce too long");
    return SASL_OUT_CHALLENGE;
}

/* client-first-message = gs2-header [reserved-mext ","] username ","
 *                        nonce ["," extensions] */
static enum sasl_outcome client_first(struct sasl_server *s,
                                      const unsigned char *in, size_t n,
                                      struct buf *msg)
{
    struct sscram *x = sscram_new(s);
    const char *p = (const char *)in;
    long h = gs2(x, p, n);
    if (h < 0)
        return sasl_server_fail(s, SASL_OUT_BAD_CREDS,
                                "SCRAM: channel binding requested (p=) "
                                "with a non-PLUS mechanism");
    struct field f[SSCRAM_MAX_FIELDS];
    int k = h ? fields(p + h, n - (size_t)h, f, SSCRAM_MAX_FIELDS) : -1;
    if (k >= 1 && f[0].key == 'm')
        return sasl_server_fail(s, SASL_OUT_MALFORMED,
                                "SCRAM: unsupported mandatory extension "
                                "(m=)");
    if (k < 2 || f[0].key != 'n' || f[1].key != 'r' ||
        !printable(f[1].val, f[1].len) || f[1].len > SASL_SCRAM_MAX_NONCE ||
        !(x->user = unescape(f[0].val, f[0].len)))
        return sasl_server_fail(s, SASL_OUT_MALFORMED,
                                "SCRAM client-first is not "
                                "gs2-header n=user,r=nonce");
    return server_first(s, x, p + h, n - (size_t)h, &f[1], msg);
}

/* ClientKey = proof XOR HMAC(StoredKey, AuthMessage); H(ClientKey) must
 * be StoredKey (RFC 5802 section 3). */
static bool proof_ok(const struct sscram *x, const unsigned char *proof)
{
    unsigned char sig[SASL_CRYPTO_MAX_MD], key[SASL_CRYPTO_MAX_MD],
        h[SASL_CRYPTO_MAX_MD];
    sasl_crypto_hmac(x->md, x->keys.stored, x->hlen, x->auth.data, x->auth.len,
                     sig);
    for (size_t i = 0; i < x->hlen; i++)
        key[i] = proof[i] ^ sig[i];
    sasl_crypto_hash(x->md, key, x->hlen, h);
    bool ok = sasl_crypto_equal(h, x->keys.stored, x->hlen) && x->known;
    sasl_crypto_wipe(key, sizeof key);
    return ok;
}

/* Checks c= and r= of client-final. */
static bool final_binding_ok(const struct sscram *x, const struct field *f)
{
    struct buf want;
    buf_init(&want, SASL_MAX_LINE);
    (void)b64_encode(&want, x->gs2.data, x->gs2.len);
    bool ok = f[0].key == 'c' && f[0].len == want.len &&
              memcmp(f[0].val, want.data, want.len) == 0 && f[1].key == 'r' &&
              f[1].len == x->nonce.len &&
              memcmp(f[1].val, x->nonce.data, x->nonce.len) == 0;
    buf_free(&want);
    return ok;
}

/* Decodes the proof field into out (hlen octets); -1 if bad. */
static int decode_proof(const struct sscram *x, const struct field *p,
                        unsigned char *out)
{
    struct buf b;
    buf_init(&b, SASL_CRYPTO_MAX_MD);
    int ok = p->key == 'p' && b64_decode(&b, p->val, p->len, NULL) == B64_OK &&
             b.len == x->hlen;
    if (ok)
        memcpy(out, b.data, x->hlen);
    buf_free(&b);
    return ok ? 0 : -1;
}

/* client-final-message = channel-binding "," nonce ["," extensions] ","
 *                        proof */
static enum sasl_outcome client_final(struct sasl_server *s,
                                      const unsigned char *in, size_t n,
                                      struct buf *msg)
{
    struct sscram *x = s->priv;
    const char *p = (const char *)in;
    struct field f[SSCRAM_MAX_FIELDS];
    unsigned char proof[SASL_CRYPTO_MAX_MD];
    int k = fields(p, n, f, SSCRAM_MAX_FIELDS);
    if (k < 3 || decode_proof(x, &f[k - 1], proof) != 0)
        return sasl_server_fail(s, SASL_OUT_MALFORMED,
                                "SCRAM client-final is not c=...,r=...,p=...");
    if (!final_binding_ok(x, f))
        return sasl_server_fail(s, SASL_OUT_BAD_CREDS,
                                "SCRAM: channel binding or nonce mismatch");
    /* client-final-message-without-proof ends before ",p=". */
    size_t without = (size_t)(f[k - 1].val - p) - 3;
    (void)buf_addc(&x->auth, ',');
    (void)buf_add(&x->auth, p, without);
    char q[160];
    if (!proof_ok(x, proof))
        return sasl_server_fail(
            s, SASL_OUT_BAD_CREDS, "SCRAM: bad user or password (user \"%s\")",
            sasl_server_quote(x->user, strlen(x->user), q, sizeof q));
    if (x->authzid && strcmp(x->authzid, x->user) != 0)
        return sasl_server_fail(
            s, SASL_OUT_AUTHZ, "SCRAM: user \"%s\" may not act as another",
            sasl_server_quote(x->user, strlen(x->user), q, sizeof q));
    unsigned char v[SASL_CRYPTO_MAX_MD];
    sasl_crypto_hmac(x->md, x->keys.server, x->hlen, x->auth.data, x->auth.len,
                     v);
    (void)buf_adds(msg, "v=");
    (void)b64_encode(msg, v, x->hlen);
    return SASL_OUT_CHALLENGE;
}

static enum sasl_outcome sscram_step(struct sasl_server *s,
                                     const unsigned char *in, size_t n,
                                     struct buf *msg)
{
    struct sscram *x = s->priv;
    if (s->round == 0)
        return client_first(s, in, n, msg);
    if (s->round == 1)
        return client_final(s, in, n, msg);
    /* The answer to the server-final challenge must be empty. */
    if (n != 0)
        return sasl_server_fail(s, SASL_OUT_MALFORMED,
                                "SCRAM: non-empty answer to server-final");
    const struct sasl_user_entry *e = sasl_users_find(s->users, x->user);
    return sasl_server_succeed(s, e ? e->name : x->user);
}

const struct sasl_server_ops sasl_server_scram_sha1_ops = {
    .mech = SASL_MECH_SCRAM_SHA_1,
    .ir_ok = true,
    .step = sscram_step,
    .free = sscram_free,
};

const struct sasl_server_ops sasl_server_scram_sha256_ops = {
    .mech = SASL_MECH_SCRAM_SHA_256,
    .ir_ok = true,
    .step = sscram_step,
    .free = sscram_free,
};
