/* digest: hashes and random identifiers (OpenSSL stays inside harness/). */
#ifndef SMTPSUITE_DIGEST_H
#define SMTPSUITE_DIGEST_H

#include <stddef.h>

#define DIGEST_SHA256_HEX 65 /* 64 hex digits and a NUL */

/* Writes the lower-case hex SHA-256 of p[0..n) to out. */
void digest_sha256_hex(const void *p, size_t n, char out[DIGEST_SHA256_HEX]);
/* An incremental SHA-256 (caller frees with digest_sha256_free). */
struct digest_sha256;
struct digest_sha256 *digest_sha256_new(void);
void digest_sha256_add(struct digest_sha256 *d, const void *p, size_t n);
/* Writes the hex digest (as digest_sha256_hex) and starts over. */
void digest_sha256_end(struct digest_sha256 *d, char out[DIGEST_SHA256_HEX]);
void digest_sha256_free(struct digest_sha256 *d); /* NULL is a no-op */
/* Fills p with n cryptographically random bytes (fatal if unavailable). */
void digest_random(void *p, size_t n);
/* Writes a new run id: 16 random bytes as 32 hex digits. */
void digest_run_id(char out[33]);

#endif
