/* msggen: generated messages and identifiers for DATA and BDAT: a
 * minimal RFC 5322 message padded to a size, the Date and Message-ID
 * values, and the per-message token and digest of delivery checks
 * (harness/arrival.h): every generated message carries
 * X-Smtpsuite-Id: RUN.SHARD.SESSION.MESSAGE.CASE and
 * X-Smtpsuite-Digest over its other header fields and its body. */
#ifndef SMTPSUITE_MSGGEN_H
#define SMTPSUITE_MSGGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/buf.h"

#define MSGGEN_LINE 76 /* body line length before CRLF */

struct msggen_params {
    const char *from;    /* envelope-ish From, or NULL */
    const char *to;      /* or NULL */
    size_t size;         /* whole message octets; 0: minimal */
    const char *run_id;
    const char *case_id;
    /* The token's numbers: with numbered false, session is 0 and the
     * message number is a process-wide counter. */
    bool numbered;
    unsigned shard;
    uint64_t session, msgno;
};

/* The header fields a generated message declares in its digest. */
#define MSGGEN_HLIST                                                           \
    "from:to:subject:date:message-id:x-smtpsuite-id:mime-version:"             \
    "content-type"
#define MSGGEN_TOKEN_MAX 256 /* a token, with NUL */

/* Appends a message (headers, blank line, body; CRLF line ends, no line
 * starting with '.') of exactly p->size octets when p->size is larger
 * than the minimal message, else the minimal message. */
void msggen_message(const struct msggen_params *p, struct buf *out);
/* Appends n octets of filler text in CRLF-terminated lines (the last
 * line may be cut short). */
void msggen_fill(struct buf *out, size_t n);
/* Writes the current time as an RFC 5322 date-time; returns out. */
const char *msggen_date(char *out, size_t outlen);
/* Writes a fresh unique Message-ID (no angle brackets): 16 characters
 * of the run id, what follows a '.' in it (a shard's ".sI"), a counter;
 * returns out. */
const char *msggen_msgid(char *out, size_t outlen, const char *run_id);
/* Writes a fresh message token "RUNID.0.0.N.CASE"; returns out. */
const char *msggen_token(char *out, size_t outlen, const char *run_id,
                         const char *case_id);
/* Writes the token of p ("RUN.SHARD.SESSION.MESSAGE.CASE"); returns out. */
const char *msggen_token_of(const struct msggen_params *p, char *out,
                            size_t outlen);
/* Appends the head of the message of p: the header fields (the digest
 * last), the empty line and the first body line; *fill receives the
 * filler octets (msggen_fill) that follow it to make p->size, and the
 * digest covers them. The token used goes to token (MSGGEN_TOKEN_MAX). */
void msggen_head(const struct msggen_params *p, struct buf *out,
                 uint64_t *fill, char *token);

#endif
