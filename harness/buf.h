/* buf: a growable byte buffer with a named maximum (after curl's dynbuf).
 * Going past the maximum is reported, never an unbounded realloc. */
#ifndef SMTPSUITE_BUF_H
#define SMTPSUITE_BUF_H

#include <stddef.h>

struct buf {
    char *data;   /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max;   /* largest len allowed */
};

enum buf_status { BUF_OK = 0, BUF_TOOBIG = 1 };

void buf_init(struct buf *b, size_t max);
/* Appends n bytes; on BUF_TOOBIG nothing is appended. */
enum buf_status buf_add(struct buf *b, const void *p, size_t n);
enum buf_status buf_adds(struct buf *b, const char *s);
enum buf_status buf_addc(struct buf *b, char c);
enum buf_status buf_addf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);            /* len = 0, memory kept */
void buf_free(struct buf *b);             /* frees memory; b reusable */
/* Hands the bytes to the caller (NUL-terminated, never NULL); b is reset. */
char *buf_detach(struct buf *b);
/* Returns the contents as a string (never NULL; valid until next change). */
const char *buf_str(const struct buf *b);

#endif
