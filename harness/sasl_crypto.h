/* sasl_crypto: the primitives the SASL client and server share, and
 * nothing of either mechanism logic: hashes, HMAC and PBKDF2 through
 * OpenSSL, SASLprep (RFC 4013) through libidn's stringprep, constant-time
 * comparison, wiping. OpenSSL failures are broken invariants (fatal). */
#ifndef SMTPSUITE_SASL_CRYPTO_H
#define SMTPSUITE_SASL_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#define SASL_CRYPTO_MAX_MD 32 /* SHA-256, the longest digest used */

enum sasl_crypto_md {
    SASL_CRYPTO_MD5,
    SASL_CRYPTO_SHA1,
    SASL_CRYPTO_SHA256,
};

/* Digest length in octets of md. */
size_t sasl_crypto_md_len(enum sasl_crypto_md md);
/* out = H(p[0..n)). */
void sasl_crypto_hash(enum sasl_crypto_md md, const void *p, size_t n,
                      unsigned char *out);
/* out = HMAC(key, data) (RFC 2104). */
void sasl_crypto_hmac(enum sasl_crypto_md md, const void *key, size_t klen,
                      const void *data, size_t dlen, unsigned char *out);
/* out = Hi(pass, salt, iter) of RFC 5802 section 2.2, i.e. PBKDF2 with
 * HMAC-md and a digest-sized output. iter >= 1. */
void sasl_crypto_pbkdf2(enum sasl_crypto_md md, const char *pass, size_t plen,
                        const unsigned char *salt, size_t slen, unsigned iter,
                        unsigned char *out);
/* Applies SASLprep to the NUL-terminated UTF-8 string in. stored: treat
 * it as a stored string (unassigned code points prohibited, RFC 4013
 * section 2.5), else as a query. Returns a new string (caller frees), or
 * NULL if in is prohibited, fails the bidi rule or is not UTF-8. */
char *sasl_crypto_saslprep(const char *in, bool stored);
/* Nonzero if a[0..n) == b[0..n), in time independent of the contents. */
int sasl_crypto_equal(const void *a, const void *b, size_t n);
/* Nonzero if the strings are equal, in time independent of where they
 * differ (both are hashed first, so lengths may differ). */
int sasl_crypto_streq(const char *a, const char *b);
/* Overwrites p[0..n) with zeros in a way the compiler keeps. */
void sasl_crypto_wipe(void *p, size_t n);
/* Frees a NUL-terminated secret after wiping it; NULL is a no-op. */
void sasl_crypto_free_secret(char *s);
/* Writes n random printable nonce characters (base64 alphabet, no ',')
 * and a NUL to out, which holds n + 1. */
void sasl_crypto_nonce(char *out, size_t n);

#endif
