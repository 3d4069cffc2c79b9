/* arrival: the message side of delivery checks, sans I/O. A message
 * smtpsuite generates carries a token (X-Smtpsuite-Id) and a digest
 * (X-Smtpsuite-Digest: a declared header list hashed as the octets sent
 * and relaxed, RFC 6376 3.4.1-3.4.2, and the body hashed with the
 * "simple" canonicalisation of RFC 6376 3.4.3 and with its line breaks
 * removed). When the message arrives at the next hop, the digest it
 * carries is compared with the message as it arrived, and the
 * difference is classified: what the relay added or changed. */
#ifndef SMTPSUITE_ARRIVAL_H
#define SMTPSUITE_ARRIVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/buf.h"

#define ARRIVAL_TOKEN_HEADER  "X-Smtpsuite-Id"
#define ARRIVAL_DIGEST_HEADER "X-Smtpsuite-Digest"
#define ARRIVAL_TOKEN_MAX     256  /* a token, with NUL */
#define ARRIVAL_HLIST_MAX     400  /* a declared header list, with NUL */
#define ARRIVAL_HASH_HEX      33   /* 128 bits of SHA-256 in hex, with NUL */
#define ARRIVAL_VALUE_MAX     1000 /* a header value read, with NUL */

/* The classes of change, least severe first: a message gets the most
 * severe that applies. corrupt: the verdict rule counts it against the
 * relay (docs/delivery.md). */
#define ARRIVAL_CLASS_LIST(X)                                                  \
    X(INTACT, "intact", false)                  /* byte for byte */            \
    X(TRACE_ONLY, "trace-only", false)          /* Received: and kin added */  \
    X(HEADERS_ADDED, "headers-added", false)    /* other fields added */       \
    X(FOLDED, "lines-folded", false)            /* only line breaks moved */   \
    X(ENCODING, "transfer-encoding", false)     /* 8bit -> QP or base64 */     \
    X(HEADERS_CHANGED, "headers-changed", true) /* a declared field */         \
    X(BODY_CHANGED, "body-changed", true)       /* the body's text */

enum arrival_class {
#define X(e, s, c) ARRIVAL_##e,
    ARRIVAL_CLASS_LIST(X)
#undef X
        ARRIVAL_CLASS_COUNT
};

const char *arrival_class_name(enum arrival_class c);
/* Whether the verdict rule counts class c as corruption. */
bool arrival_class_corrupt(enum arrival_class c);

/* What a digest header declares (or what a message hashes to). */
struct arrival_digest {
    char h[ARRIVAL_HLIST_MAX]; /* "from:to:subject", lower case */
    char hs[ARRIVAL_HASH_HEX]; /* the declared fields as sent */
    char hr[ARRIVAL_HASH_HEX]; /* ... relaxed */
    char bh[ARRIVAL_HASH_HEX]; /* the body, simple */
    char bf[ARRIVAL_HASH_HEX]; /* the body without CR and LF */
};

/* The unfolded value of the first field called name (case-insensitive)
 * in the header section of msg, leading and trailing blanks dropped, in
 * out (cut to outlen - 1). Returns false when there is none. */
bool arrival_header(const char *msg, size_t len, const char *name, char *out,
                    size_t outlen);
/* The names of the header fields in hdr[0..n), lower case, each once,
 * in order, ':'-joined, without the digest field and the trace fields
 * relays add (Received: and kin): the h= list of a digest that covers
 * every other field. Names that do not fit in outlen are
 * left out. */
void arrival_field_names(const char *hdr, size_t n, char *out, size_t outlen);
/* The offset where the body starts (after the empty line), or len. */
size_t arrival_body_offset(const char *msg, size_t len);

/* Hashes the fields named in hlist (lower case, ':'-separated; the
 * first field of each name) of the header section hdr[0..n) into hs and
 * hr of d, and copies hlist into d->h. */
void arrival_hash_headers(const char *hdr, size_t n, const char *hlist,
                          struct arrival_digest *d);
/* Hashes a body into bh and bf of d. */
void arrival_hash_body(const char *body, size_t n, struct arrival_digest *d);

/* Appends the digest header line (with CRLF) for d. Its length does not
 * depend on the hashes: ARRIVAL_DIGEST_LINE_LEN(strlen(d->h)). */
void arrival_digest_format(const struct arrival_digest *d, struct buf *out);
#define ARRIVAL_DIGEST_LINE_LEN(hlen)                                          \
    (sizeof ARRIVAL_DIGEST_HEADER - 1 + sizeof ": v=1; h=" - 1 + (hlen) +      \
     4 * (sizeof "; xx=" - 1 + ARRIVAL_HASH_HEX - 1) + 2)
/* Parses a digest header value; false when it is not one. */
bool arrival_digest_parse(const char *value, struct arrival_digest *d);

/* Classifies msg[0..len) (as it arrived, CRLF line ends) against the
 * digest it carries. Returns false when it carries none (*c untouched). */
bool arrival_classify(const char *msg, size_t len, enum arrival_class *c);

#endif
