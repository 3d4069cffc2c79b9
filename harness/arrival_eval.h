/* arrival_eval: what a case can ask about a message that arrived at the
 * next hop, sans I/O. The case statements `expect arrival` and `expect
 * dsn` (docs/case-format.md) find a message in what the in-process next
 * hop kept (harness/deliver.c); the arrival_*() and dsn_*() functions of
 * expressions read it through this module. A DSN is read as RFC 3464
 * lays it out: the fields of its message/delivery-status part. */
#ifndef SMTPSUITE_ARRIVAL_EVAL_H
#define SMTPSUITE_ARRIVAL_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/buf.h"

#define ARRIVAL_EVAL_FIELD_MAX 1000 /* a header or DSN field value read */

/* The message found (borrowed; it outlives the call). */
struct arrival_view {
    const char *data; /* the content as stored: dot-unstuffed */
    size_t len;
    const char *from; /* the envelope sender, "" for <> */
    const char *rcpt; /* the accepted recipients, ' '-joined */
    const char *cls;  /* its change class, "unsigned" without a digest */
    int64_t count;    /* deliveries of its token so far */
};

/* The functions (name, arguments), for the case parser's table:
 *   arrival_class()      the change class (harness/arrival.h names)
 *   arrival_count()      deliveries of the token so far (2: a duplicate)
 *   arrival_size()       octets of the content
 *   arrival_from()       the envelope sender ("" for <>)
 *   arrival_rcpt()       the envelope recipients, ' '-joined
 *   arrival_header(n)    the unfolded value of field n, "" when absent
 *   arrival_field(i)     the i-th header field (from 1), "Name: value"
 *                        unfolded, "" when there are fewer
 *   arrival_body()       the body: what follows the header section
 *   arrival_has(s)       1 if the content holds the octets s, else 0
 *   arrival_bare_lf()    LF octets not preceded by CR in the content
 *   arrival_bare_cr()    CR octets not followed by LF in the content
 *   dsn_status()         the Status of the first recipient of a DSN
 *   dsn_action()         its Action (failed, delayed, delivered ...)
 *   dsn_rcpt()           its Final-Recipient address (type; stripped) */
#define ARRIVAL_EVAL_LIST(X)                                                   \
    X("arrival_class", 0)                                                      \
    X("arrival_count", 0)                                                      \
    X("arrival_size", 0)                                                       \
    X("arrival_from", 0)                                                       \
    X("arrival_rcpt", 0)                                                       \
    X("arrival_header", 1)                                                     \
    X("arrival_field", 1)                                                      \
    X("arrival_body", 0)                                                       \
    X("arrival_has", 1)                                                        \
    X("arrival_bare_lf", 0)                                                    \
    X("arrival_bare_cr", 0)                                                    \
    X("dsn_status", 0)                                                         \
    X("dsn_action", 0)                                                         \
    X("dsn_rcpt", 0)

/* Nonzero if name is one of the functions above. */
int arrival_eval_known(const char *name);

/* Evaluates function name with its argument arg[0..arglen) (ignored
 * when it takes none) on v: text appended to out, or an integer in *iv
 * with *is_int set. Returns 0, or -1 when out is full or name unknown. */
int arrival_eval_call(const struct arrival_view *v, const char *name,
                      const char *arg, size_t arglen, struct buf *out,
                      int64_t *iv, bool *is_int);

/* The value of the first field called name (case-insensitive; folded
 * lines joined) in the message/delivery-status part of the DSN
 * msg[0..len) (RFC 3464 2.1-2.3), blanks trimmed, in out. False when
 * msg has no such part or the part no such field. */
bool arrival_eval_dsn_field(const char *msg, size_t len, const char *name,
                            char *out, size_t outlen);

#endif
