/* sasl_crypto: OpenSSL and libidn behind a few calls, shared by the SASL
 * client and server (which share no mechanism logic). */
#include "harness/sasl_crypto.h"
#include "harness/digest.h"
#include "harness/xalloc.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <stringprep.h>

static const EVP_MD *evp(enum sasl_crypto_md md)
{
    switch (md) {
    case SASL_CRYPTO_MD5:
        return EVP_md5();
    case SASL_CRYPTO_SHA1:
        return EVP_sha1();
    case SASL_CRYPTO_SHA256:
        return EVP_sha256();
    }
    fatal("sasl_crypto: unknown digest %d", (int)md);
}

size_t sasl_crypto_md_len(enum sasl_crypto_md md)
{
    return (size_t)EVP_MD_get_size(evp(md));
}

void sasl_crypto_hash(enum sasl_crypto_md md, const void *p, size_t n,
                      unsigned char *out)
{
    unsigned int len = 0;
    if (!EVP_Digest(p, n, out, &len, evp(md), NULL))
        fatal("sasl_crypto: digest failed");
}

void sasl_crypto_hmac(enum sasl_crypto_md md, const void *key, size_t klen,
                      const void *data, size_t dlen, unsigned char *out)
{
    unsigned int len = 0;
    if (klen > (size_t)INT32_MAX ||
        !HMAC(evp(md), key, (int)klen, data, dlen, out, &len))
        fatal("sasl_crypto: HMAC failed");
}

void sasl_crypto_pbkdf2(enum sasl_crypto_md md, const char *pass, size_t plen,
                        const unsigned char *salt, size_t slen, unsigned iter,
                        unsigned char *out)
{
    if (iter < 1 || iter > (unsigned)INT32_MAX || plen > (size_t)INT32_MAX ||
        slen > (size_t)INT32_MAX ||
        !PKCS5_PBKDF2_HMAC(pass, (int)plen, salt, (int)slen, (int)iter, evp(md),
                           (int)sasl_crypto_md_len(md), out))
        fatal("sasl_crypto: PBKDF2 failed");
}

char *sasl_crypto_saslprep(const char *in, bool stored)
{
    char *out = NULL;
    Stringprep_profile_flags fl = stored ? STRINGPREP_NO_UNASSIGNED : 0;
    if (stringprep_profile(in, &out, "SASLprep", fl) != STRINGPREP_OK) {
        free(out);
        return NULL;
    }
    /* libidn allocates with malloc; hand back our own copy so callers
     * free with free() whatever the library's allocator. */
    char *copy = xstrdup(out);
    sasl_crypto_wipe(out, strlen(out));
    free(out);
    return copy;
}

int sasl_crypto_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

int sasl_crypto_streq(const char *a, const char *b)
{
    unsigned char ha[SASL_CRYPTO_MAX_MD], hb[SASL_CRYPTO_MAX_MD];
    sasl_crypto_hash(SASL_CRYPTO_SHA256, a, strlen(a), ha);
    sasl_crypto_hash(SASL_CRYPTO_SHA256, b, strlen(b), hb);
    return sasl_crypto_equal(ha, hb, sizeof ha);
}

void sasl_crypto_wipe(void *p, size_t n)
{
    if (p && n)
        OPENSSL_cleanse(p, n);
}

void sasl_crypto_free_secret(char *s)
{
    if (s)
        sasl_crypto_wipe(s, strlen(s));
    free(s);
}

void sasl_crypto_nonce(char *out, size_t n)
{
    static const char CHARS[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char r[64];
    size_t done = 0;
    while (done < n) {
        size_t k = n - done < sizeof r ? n - done : sizeof r;
        digest_random(r, k);
        for (size_t i = 0; i < k; i++)
            out[done + i] = CHARS[r[i] & 63];
        done += k;
    }
    out[n] = '\0';
}
