/* digest: SHA-256 and randomness through OpenSSL. */
#include "harness/digest.h"
#include "harness/xalloc.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>

static const char HEX[] = "0123456789abcdef";

void digest_sha256_hex(const void *p, size_t n, char out[DIGEST_SHA256_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL))
        fatal("SHA-256 unavailable");
    for (unsigned i = 0; i < mdlen; i++) {
        out[2 * i] = HEX[md[i] >> 4];
        out[2 * i + 1] = HEX[md[i] & 15];
    }
    out[2 * mdlen] = '\0';
}

struct digest_sha256 {
    EVP_MD_CTX *ctx;
};

struct digest_sha256 *digest_sha256_new(void)
{
    struct digest_sha256 *d = xcalloc(1, sizeof *d);
    d->ctx = EVP_MD_CTX_new();
    if (!d->ctx || !EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL))
        fatal("SHA-256 unavailable");
    return d;
}

void digest_sha256_add(struct digest_sha256 *d, const void *p, size_t n)
{
    if (n && !EVP_DigestUpdate(d->ctx, p, n))
        fatal("SHA-256 unavailable");
}

void digest_sha256_end(struct digest_sha256 *d, char out[DIGEST_SHA256_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_DigestFinal_ex(d->ctx, md, &mdlen) ||
        !EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL))
        fatal("SHA-256 unavailable");
    for (unsigned i = 0; i < mdlen; i++) {
        out[2 * i] = HEX[md[i] >> 4];
        out[2 * i + 1] = HEX[md[i] & 15];
    }
    out[2 * mdlen] = '\0';
}

void digest_sha256_free(struct digest_sha256 *d)
{
    if (!d)
        return;
    EVP_MD_CTX_free(d->ctx);
    free(d);
}

void digest_random(void *p, size_t n)
{
    if (RAND_bytes(p, (int)n) != 1)
        fatal("no random bytes available");
}

void digest_run_id(char out[33])
{
    unsigned char b[16];
    digest_random(b, sizeof b);
    for (int i = 0; i < 16; i++) {
        out[2 * i] = HEX[b[i] >> 4];
        out[2 * i + 1] = HEX[b[i] & 15];
    }
    out[32] = '\0';
}
