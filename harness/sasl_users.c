/* sasl_users: the SASL server's user table (clear passwords, SCRAM
 * verifiers, bearer tokens). See sasl_users.h for the formats. */
#include "harness/sasl_users.h"
#include "harness/b64.h"
#include "harness/digest.h"
#include "harness/sasl.h"
#include "harness/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sasl_users {
    struct sasl_user_entry *v;
    size_t n, cap;
    unsigned iter;
    unsigned char salt[SASL_USERS_MAX_SALT];
    size_t salt_len;          /* 0: a random salt per user */
    unsigned char secret[32]; /* for fake salts of unknown users */
};

static const struct {
    const char *scheme;
    enum sasl_users_hash hash;
} SCHEMES[] = {
    {"{SCRAM-SHA-1}", SASL_USERS_SHA1},
    {"{SCRAM-SHA-256}", SASL_USERS_SHA256},
};

static enum sasl_crypto_md md_of(enum sasl_users_hash h)
{
    return h == SASL_USERS_SHA1 ? SASL_CRYPTO_SHA1 : SASL_CRYPTO_SHA256;
}

struct sasl_users *sasl_users_new(const struct sasl_users_params *p)
{
    struct sasl_users *u = xcalloc(1, sizeof *u);
    u->iter = p && p->scram_iter ? p->scram_iter : SASL_SCRAM_MIN_ITER;
    if (p && p->salt && p->salt_len) {
        u->salt_len =
            p->salt_len < sizeof u->salt ? p->salt_len : sizeof u->salt;
        memcpy(u->salt, p->salt, u->salt_len);
    }
    digest_random(u->secret, sizeof u->secret);
    return u;
}

static void entry_free(struct sasl_user_entry *e)
{
    free(e->name);
    sasl_crypto_free_secret(e->pass);
    sasl_crypto_free_secret(e->pass_raw);
    sasl_crypto_free_secret(e->token);
    sasl_crypto_wipe(e, sizeof *e);
}

void sasl_users_free(struct sasl_users *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->n; i++)
        entry_free(&u->v[i]);
    free(u->v);
    sasl_crypto_wipe(u, sizeof *u);
    free(u);
}

void sasl_users_derive(enum sasl_users_hash h, const char *pass,
                       const unsigned char *salt, size_t salt_len,
                       unsigned iter, struct sasl_scram_keys *k)
{
    enum sasl_crypto_md md = md_of(h);
    size_t hl = sasl_crypto_md_len(md);
    unsigned char salted[SASL_CRYPTO_MAX_MD], ckey[SASL_CRYPTO_MAX_MD];
    sasl_crypto_pbkdf2(md, pass, strlen(pass), salt, salt_len, iter, salted);
    sasl_crypto_hmac(md, salted, hl, "Client Key", 10, ckey);
    sasl_crypto_hash(md, ckey, hl, k->stored);
    sasl_crypto_hmac(md, salted, hl, "Server Key", 10, k->server);
    sasl_crypto_wipe(salted, sizeof salted);
    sasl_crypto_wipe(ckey, sizeof ckey);
    k->set = true;
    k->iter = iter;
    k->salt_len = salt_len < sizeof k->salt ? salt_len : sizeof k->salt;
    memcpy(k->salt, salt, k->salt_len);
}

/* Decodes one base64 field of exactly want octets (0: 1..max). */
static int field(const char *s, size_t n, unsigned char *out, size_t want,
                 size_t max, size_t *got)
{
    struct buf b;
    buf_init(&b, max);
    int ok = b64_decode(&b, s, n, NULL) == B64_OK && b.len > 0 &&
             (want == 0 || b.len == want);
    if (ok) {
        memcpy(out, b.data, b.len);
        *got = b.len;
    }
    buf_free(&b);
    return ok ? 0 : -1;
}

/* Parses "ITER,SALT,STOREDKEY,SERVERKEY" into k. */
static int parse_verifier(enum sasl_users_hash h, const char *s,
                          struct sasl_scram_keys *k)
{
    size_t hl = sasl_crypto_md_len(md_of(h)), got = 0;
    const char *f[4];
    size_t len[4];
    for (int i = 0; i < 4; i++) {
        const char *comma = strchr(s, ',');
        f[i] = s;
        len[i] = comma ? (size_t)(comma - s) : strlen(s);
        if ((i < 3) != (comma != NULL))
            return -1;
        s = comma ? comma + 1 : s;
    }
    unsigned long long it = 0;
    char num[16];
    if (len[0] == 0 || len[0] >= sizeof num)
        return -1;
    memcpy(num, f[0], len[0]);
    num[len[0]] = '\0';
    char *end = NULL;
    it = strtoull(num, &end, 10);
    if (*end || num[0] < '1' || num[0] > '9' || it > SASL_SCRAM_MAX_ITER)
        return -1;
    k->iter = (unsigned)it;
    if (field(f[1], len[1], k->salt, 0, sizeof k->salt, &k->salt_len) ||
        field(f[2], len[2], k->stored, hl, hl, &got) ||
        field(f[3], len[3], k->server, hl, hl, &got))
        return -1;
    k->set = true;
    return 0;
}

/* Fills the password side of e from pass (see sasl_users.h). */
static int set_pass(struct sasl_users *u, struct sasl_user_entry *e,
                    const char *pass, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof SCHEMES / sizeof SCHEMES[0]; i++) {
        size_t n = strlen(SCHEMES[i].scheme);
        if (strncmp(pass, SCHEMES[i].scheme, n) != 0)
            continue;
        if (parse_verifier(SCHEMES[i].hash, pass + n,
                           &e->scram[SCHEMES[i].hash]) == 0)
            return 0;
        snprintf(err, errlen,
                 "user '%s': malformed %s verifier "
                 "(want ITER,SALT,STOREDKEY,SERVERKEY in base64)",
                 e->name, SCHEMES[i].scheme);
        return -1;
    }
    if (strncmp(pass, "{PLAIN}", 7) == 0)
        pass += 7;
    e->pass = sasl_crypto_saslprep(pass, true);
    if (!e->pass) {
        snprintf(err, errlen, "user '%s': password prohibited by SASLprep",
                 e->name);
        return -1;
    }
    e->pass_raw = xstrdup(pass);
    unsigned char salt[SASL_USERS_SALT_LEN];
    const unsigned char *sp = u->salt_len ? u->salt : salt;
    size_t sl = u->salt_len ? u->salt_len : sizeof salt;
    for (int h = SASL_USERS_SHA1; h <= SASL_USERS_SHA256; h++) {
        digest_random(salt, sizeof salt);
        sasl_users_derive((enum sasl_users_hash)h, e->pass, sp, sl, u->iter,
                          &e->scram[h]);
    }
    return 0;
}

int sasl_users_add(struct sasl_users *u, const struct sasl_user *in, char *err,
                   size_t errlen)
{
    struct sasl_user_entry e = {0};
    if (!in->name || !*in->name || strlen(in->name) > SASL_MAX_CRED) {
        snprintf(err, errlen, "a user needs a name of 1-%d octets",
                 SASL_MAX_CRED);
        return -1;
    }
    e.name = sasl_crypto_saslprep(in->name, true);
    if (!e.name) {
        snprintf(err, errlen, "user name prohibited by SASLprep");
        return -1;
    }
    if (sasl_users_find(u, e.name)) {
        snprintf(err, errlen, "user '%s' given twice", e.name);
        entry_free(&e);
        return -1;
    }
    if ((in->pass && set_pass(u, &e, in->pass, err, errlen) != 0)) {
        entry_free(&e);
        return -1;
    }
    e.token = in->token && *in->token ? xstrdup(in->token) : NULL;
    xgrow(&u->v, &u->cap, u->n + 1, sizeof *u->v);
    u->v[u->n++] = e;
    return 0;
}

size_t sasl_users_count(const struct sasl_users *u)
{
    return u ? u->n : 0;
}

const struct sasl_user_entry *sasl_users_find(const struct sasl_users *u,
                                              const char *name)
{
    char *prep = sasl_crypto_saslprep(name, false);
    const struct sasl_user_entry *hit = NULL;
    for (size_t i = 0; prep && i < u->n && !hit; i++)
        if (strcmp(u->v[i].name, prep) == 0)
            hit = &u->v[i];
    free(prep);
    return hit;
}

const struct sasl_user_entry *sasl_users_find_token(const struct sasl_users *u,
                                                    const char *token)
{
    const struct sasl_user_entry *hit = NULL;
    /* Every entry is compared, so the time does not say which matched. */
    for (size_t i = 0; i < u->n; i++)
        if (u->v[i].token && sasl_crypto_streq(u->v[i].token, token) && !hit)
            hit = &u->v[i];
    return hit;
}

void sasl_users_fake_keys(const struct sasl_users *u, const char *name,
                          struct sasl_scram_keys *k)
{
    unsigned char mac[SASL_CRYPTO_MAX_MD];
    sasl_crypto_hmac(SASL_CRYPTO_SHA256, u->secret, sizeof u->secret, name,
                     strlen(name), mac);
    k->set = true;
    k->iter = u->iter;
    k->salt_len = SASL_USERS_SALT_LEN;
    memcpy(k->salt, mac, SASL_USERS_SALT_LEN);
    digest_random(k->stored, sizeof k->stored);
    digest_random(k->server, sizeof k->server);
}
