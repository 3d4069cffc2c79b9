/* b64: strict base64 (RFC 4648 section 4, the standard alphabet with
 * padding), the encoding of every AUTH payload line (RFC 4954 section 4).
 *
 * The decoder accepts only canonical input: characters of the alphabet,
 * a length that is a multiple of four, '=' only as one or two final pad
 * characters, and zero pad bits (RFC 4648 section 3.5). Whitespace, line
 * breaks and the URL-safe alphabet are errors: an AUTH line carries one
 * unbroken encoding. The empty string decodes to zero octets. Output goes
 * to a struct buf, whose maximum bounds it. */
#ifndef SMTPSUITE_B64_H
#define SMTPSUITE_B64_H

#include <stddef.h>

#include "harness/buf.h"

/* Characters needed to encode n octets (no NUL). */
#define B64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)
/* Octets that n characters can decode to, at most. */
#define B64_DECODED_MAX(n) (((n) / 4) * 3)

#define B64_STATUS_LIST(X)                                                     \
    X(OK, "valid base64")                                                      \
    X(BAD_CHAR, "character outside the base64 alphabet")                       \
    X(BAD_LENGTH, "length is not a multiple of four")                          \
    X(BAD_PAD, "misplaced '=' padding")                                        \
    X(PAD_BITS, "non-zero pad bits (non-canonical encoding)")                  \
    X(TOO_BIG, "decoded data exceeds the output maximum")

enum b64_status {
#define X(e, text) B64_##e,
    B64_STATUS_LIST(X)
#undef X
        B64_STATUS_COUNT
};

/* A one-line description of st (static string). */
const char *b64_status_text(enum b64_status st);
/* Appends the encoding of p[0..n) to out; BUF_TOOBIG (nothing appended)
 * if it does not fit under out's maximum. */
enum buf_status b64_encode(struct buf *out, const void *p, size_t n);
/* Decodes s[0..n) and appends the octets to out. On any error out is left
 * as it was; *errpos (if not NULL) is then the offset of the first bad
 * character (n for a bad length). */
enum b64_status b64_decode(struct buf *out, const char *s, size_t n,
                           size_t *errpos);

#endif
