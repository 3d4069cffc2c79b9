/* sasl_users: the user table of the SASL server, which the sink fills from
 * its options. Each user has a name and any of: a password, SCRAM keys,
 * an OAuth bearer token. Read-only once filled, so several threads may
 * share it.
 *
 * A password is given in clear, or as a stored SCRAM verifier in the form
 * gsasl --mkpasswd and Dovecot print:
 *     {SCRAM-SHA-256}ITER,SALT,STOREDKEY,SERVERKEY   (base64 fields)
 *     {SCRAM-SHA-1}ITER,SALT,STOREDKEY,SERVERKEY
 * "{PLAIN}secret" is the clear password "secret" (for passwords that start
 * with '{'). For a clear password, SCRAM keys of both hashes are derived
 * once, when the user is added (PBKDF2 with the table's iteration count
 * and salt), so a SCRAM exchange costs the sink no PBKDF2. A user with
 * only a verifier can use that SCRAM mechanism, PLAIN and LOGIN (checked
 * by deriving the keys), not CRAM-MD5, which needs the clear password. */
#ifndef SMTPSUITE_SASL_USERS_H
#define SMTPSUITE_SASL_USERS_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/sasl_crypto.h"

#define SASL_USERS_MAX_SALT 64 /* octets of a decoded salt */
#define SASL_USERS_SALT_LEN 16 /* octets of a generated salt */

struct sasl_users_params {
    unsigned scram_iter;       /* 0: SASL_SCRAM_MIN_ITER (4096) */
    const unsigned char *salt; /* derived keys' salt (tests); NULL: random */
    size_t salt_len;
};

/* One user to add; strings are copied. */
struct sasl_user {
    const char *name;
    const char *pass;  /* clear, "{PLAIN}...", "{SCRAM-SHA-*}..."; or NULL */
    const char *token; /* OAuth bearer token, or NULL */
};

/* SCRAM keys of one hash (RFC 5802 section 3). */
struct sasl_scram_keys {
    bool set;
    unsigned iter;
    size_t salt_len;
    unsigned char salt[SASL_USERS_MAX_SALT];
    unsigned char stored[SASL_CRYPTO_MAX_MD];
    unsigned char server[SASL_CRYPTO_MAX_MD];
};

enum sasl_users_hash { SASL_USERS_SHA1, SASL_USERS_SHA256 };

struct sasl_user_entry {
    char *name;     /* SASLprep'd (stored string) */
    char *pass;     /* SASLprep'd clear password, or NULL */
    char *pass_raw; /* clear password as given (CRAM-MD5), or NULL */
    char *token;    /* or NULL */
    struct sasl_scram_keys scram[2]; /* by enum sasl_users_hash */
};

struct sasl_users;

/* A new empty table (caller frees with sasl_users_free); p may be NULL. */
struct sasl_users *sasl_users_new(const struct sasl_users_params *p);
void sasl_users_free(struct sasl_users *u);
/* Adds a user; 0, or -1 with a one-line reason in err (no name, a
 * duplicate, a malformed verifier, a name or password SASLprep refuses). */
int sasl_users_add(struct sasl_users *u, const struct sasl_user *e, char *err,
                   size_t errlen);
/* How many users the table holds. */
size_t sasl_users_count(const struct sasl_users *u);
/* The user called name (compared after SASLprep), or NULL. */
const struct sasl_user_entry *sasl_users_find(const struct sasl_users *u,
                                              const char *name);
/* The first user whose token is token, or NULL. */
const struct sasl_user_entry *sasl_users_find_token(const struct sasl_users *u,
                                                    const char *token);
/* Keys for a user who does not exist: a salt derived from the name and a
 * table secret, and the table's iteration count, so a SCRAM server can
 * answer as for a real user and fail only at the proof (RFC 5802
 * section 9: no user enumeration). stored/server are random. */
void sasl_users_fake_keys(const struct sasl_users *u, const char *name,
                          struct sasl_scram_keys *k);
/* Derives keys from a prepared password (PBKDF2, the heavy part). */
void sasl_users_derive(enum sasl_users_hash h, const char *pass,
                       const unsigned char *salt, size_t salt_len,
                       unsigned iter, struct sasl_scram_keys *k);

#endif
