/* digest: SHA-256 and randomness through OpenSSL. */
#include "harness/digest.h"
#include "harness/xalloc.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

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
