/* msggen: generated messages and identifiers for DATA and BDAT: a
 * minimal RFC 5322 message padded to a size, the Date and Message-ID
 * values, and the per-message token of delivery checks. */
#ifndef SMTPSUITE_MSGGEN_H
#define SMTPSUITE_MSGGEN_H

#include <stddef.h>

#include "harness/buf.h"

#define MSGGEN_LINE 76 /* body line length before CRLF */

struct msggen_params {
    const char *from;    /* envelope-ish From, or NULL */
    const char *to;      /* or NULL */
    size_t size;         /* whole message octets; 0: minimal */
    const char *run_id;
    const char *case_id;
};

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
/* Writes a fresh message token "RUNID.CASE.N"; returns out. */
const char *msggen_token(char *out, size_t outlen, const char *run_id,
                         const char *case_id);

#endif
