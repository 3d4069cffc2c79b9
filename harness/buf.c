/* buf: bounded growable buffer. */
#include "harness/buf.h"
#include "harness/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

enum buf_status buf_add(struct buf *b, const void *p, size_t n)
{
    if (n > b->max - b->len || b->len > b->max)
        return BUF_TOOBIG;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 64;
        while (ncap < b->len + n + 1)
            ncap *= 2;
        b->data = xrealloc(b->data, ncap);
        b->cap = ncap;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return BUF_OK;
}

enum buf_status buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

enum buf_status buf_addc(struct buf *b, char c)
{
    return buf_add(b, &c, 1);
}

enum buf_status buf_addf(struct buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return BUF_OK;
    if ((size_t)n < sizeof small)
        return buf_add(b, small, (size_t)n);
    char *big = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    enum buf_status st = buf_add(b, big, (size_t)n);
    free(big);
    return st;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *buf_detach(struct buf *b)
{
    char *p = b->data ? b->data : xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

const char *buf_str(const struct buf *b)
{
    return b->data ? b->data : "";
}
