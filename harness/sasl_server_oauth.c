/* sasl_server_oauth: the server side of XOAUTH2 and OAUTHBEARER (RFC
 * 7628). The bearer token is compared with the user table's; a refused
 * token gets the JSON error challenge, and the client's acknowledgement
 * (XOAUTH2: an empty line; OAUTHBEARER: %x01, RFC 7628 section 3.2.3)
 * ends the exchange with 535. */
#include "harness/sasl_crypto.h"
#include "harness/sasl_server_mech.h"
#include "harness/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* RFC 7628 section 3.2.2; Google's XOAUTH2 error has the same shape. */
#define OAUTHBEARER_ERROR "{\"status\":\"invalid_token\",\"scope\":\"smtp\"}"
#define XOAUTH2_ERROR                                                          \
    "{\"status\":\"401\",\"schemes\":\"Bearer\",\"scope\":\"smtp\"}"
#define OAUTH_MAX_PAIRS 16

/* One key=value pair between ^A separators. */
struct kv {
    const char *key, *val;
    size_t klen, vlen;
};

/* Splits p[0..n) = *(kvpair %x01) %x01 into pairs; the count, or -1 if
 * the framing is wrong (no final empty pair, a pair without '='). */
static int split_pairs(const char *p, size_t n, struct kv *kv, int max)
{
    int k = 0;
    size_t i = 0;
    for (;;) {
        const char *end = memchr(p + i, '\001', n - i);
        if (!end)
            return -1;
        size_t j = (size_t)(end - p);
        if (j == i) /* the empty pair: must be the very end */
            return j + 1 == n ? k : -1;
        const char *eq = memchr(p + i, '=', j - i);
        if (!eq || eq == p + i || k == max)
            return -1;
        kv[k++] = (struct kv){p + i, eq + 1, (size_t)(eq - (p + i)),
                              (size_t)(p + j - eq - 1)};
        i = j + 1;
    }
}

/* The value of key, or NULL. */
static const struct kv *pair(const struct kv *kv, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (kv[i].klen == strlen(key) &&
            memcmp(kv[i].key, key, kv[i].klen) == 0)
            return &kv[i];
    return NULL;
}

/* The token of "auth=Bearer TOKEN" (scheme case-insensitive, RFC 6750
 * section 2.1) as a new string, or NULL. */
static char *bearer(const struct kv *auth)
{
    if (!auth || auth->vlen <= 7 || strncasecmp(auth->val, "Bearer ", 7) != 0 ||
        memchr(auth->val, '\0', auth->vlen))
        return NULL;
    return xstrndup(auth->val + 7, auth->vlen - 7);
}

/* Checks user (or, if NULL, any user) against token. */
static const struct sasl_user_entry *
token_user(const struct sasl_server *s, const char *user, const char *token)
{
    if (!user)
        return sasl_users_find_token(s->users, token);
    const struct sasl_user_entry *e = sasl_users_find(s->users, user);
    bool ok = e && e->token && sasl_crypto_streq(e->token, token);
    return ok ? e : NULL;
}

/* Ends a refused attempt: the error challenge now, 535 after the ack. */
static enum sasl_outcome refuse(struct sasl_server *s, struct buf *msg,
                                const char *json, const char *why)
{
    sasl_server_fail(s, SASL_OUT_BAD_CREDS, "%s: %s",
                     sasl_mech_name(s->ops->mech), why);
    (void)buf_adds(msg, json);
    return SASL_OUT_CHALLENGE;
}

/* The client's answer to the error challenge. */
static enum sasl_outcome after_error(struct sasl_server *s,
                                     const unsigned char *in, size_t n)
{
    bool want_ctrl_a = s->ops->mech == SASL_MECH_OAUTHBEARER;
    bool ok = want_ctrl_a ? n == 1 && in[0] == 1 : n == 0;
    if (!ok) {
        size_t len = strlen(s->reason);
        snprintf(s->reason + len, sizeof s->reason - len,
                 "; the client did not acknowledge with %s",
                 want_ctrl_a ? "%x01" : "an empty line");
    }
    return SASL_OUT_BAD_CREDS;
}

/* XOAUTH2: "user=" user ^A "auth=Bearer " token ^A ^A */
static enum sasl_outcome xoauth2_step(struct sasl_server *s,
                                      const unsigned char *in, size_t n,
                                      struct buf *msg)
{
    if (s->round > 0)
        return after_error(s, in, n);
    struct kv kv[OAUTH_MAX_PAIRS];
    int k = split_pairs((const char *)in, n, kv, OAUTH_MAX_PAIRS);
    const struct kv *u = k > 0 ? pair(kv, k, "user") : NULL;
    char *token = k > 0 ? bearer(pair(kv, k, "auth")) : NULL;
    if (!u || !token || memchr(u->val, '\0', u->vlen)) {
        free(token);
        return sasl_server_fail(s, SASL_OUT_MALFORMED,
                                "XOAUTH2 message is not "
                                "user=...^Aauth=Bearer ...^A^A");
    }
    char *user = xstrndup(u->val, u->vlen);
    const struct sasl_user_entry *e = token_user(s, user, token);
    free(user);
    sasl_crypto_free_secret(token);
    if (!e)
        return refuse(s, msg, XOAUTH2_ERROR, "bad user or token");
    return sasl_server_succeed(s, e->name);
}

/* Decodes a GS2 saslname ("=2C" ",", "=3D" "="); NULL if malformed. */
static char *saslname(const char *p, size_t n)
{
    char *out = xmalloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\0' || p[i] == ',')
            break;
        if (p[i] != '=') {
            *o++ = p[i];
        } else if (i + 2 < n && p[i + 1] == '2' && p[i + 2] == 'C') {
            *o++ = ',', i += 2;
        } else if (i + 2 < n && p[i + 1] == '3' && p[i + 2] == 'D') {
            *o++ = '=', i += 2;
        } else {
            break;
        }
        if (i + 1 == n) {
            *o = '\0';
            return out;
        }
    }
    free(out);
    return NULL;
}

/* gs2-header = ("n" / "y") "," ["a=" saslname] ","  (RFC 7628 3.1; "p"
 * is refused: OAUTHBEARER has no channel binding). The length of the
 * header, or 0 if malformed; *authz gets the authzid or NULL. */
static size_t gs2_header(const char *p, size_t n, char **authz)
{
    *authz = NULL;
    if (n < 3 || (p[0] != 'n' && p[0] != 'y') || p[1] != ',')
        return 0;
    const char *end = memchr(p + 2, ',', n - 2);
    if (!end)
        return 0;
    size_t alen = (size_t)(end - (p + 2));
    if (alen == 0)
        return 3;
    if (alen < 3 || p[2] != 'a' || p[3] != '=' ||
        !(*authz = saslname(p + 4, alen - 2)))
        return 0;
    return (size_t)(end - p) + 1;
}

static enum sasl_outcome oauthbearer_step(struct sasl_server *s,
                                          const unsigned char *in, size_t n,
                                          struct buf *msg)
{
    if (s->round > 0)
        return after_error(s, in, n);
    const char *p = (const char *)in;
    char *authz = NULL;
    size_t h = gs2_header(p, n, &authz);
    struct kv kv[OAUTH_MAX_PAIRS];
    int k = -1;
    if (h && h < n && p[h] == '\001')
        k = split_pairs(p + h + 1, n - h - 1, kv, OAUTH_MAX_PAIRS);
    char *token = k > 0 ? bearer(pair(kv, k, "auth")) : NULL;
    if (!token) {
        free(authz);
        return sasl_server_fail(s, SASL_OUT_MALFORMED,
                                "OAUTHBEARER message is not gs2-header ^A "
                                "...auth=Bearer ...^A ^A");
    }
    const struct sasl_user_entry *e = token_user(s, authz, token);
    free(authz);
    sasl_crypto_free_secret(token);
    if (!e)
        return refuse(s, msg, OAUTHBEARER_ERROR, "bad user or token");
    return sasl_server_succeed(s, e->name);
}

const struct sasl_server_ops sasl_server_xoauth2_ops = {
    .mech = SASL_MECH_XOAUTH2,
    .ir_ok = true,
    .step = xoauth2_step,
};

const struct sasl_server_ops sasl_server_oauthbearer_ops = {
    .mech = SASL_MECH_OAUTHBEARER,
    .ir_ok = true,
    .step = oauthbearer_step,
};
