/* bytes: escaping and unescaping of wire bytes (see bytes.h). */
#include "harness/bytes.h"

#include <string.h>

static const char HEX[] = "0123456789abcdef";

enum buf_status bytes_escape(struct buf *out, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        char e[4];
        size_t k = 0;
        switch (c) {
        case '\r': e[0] = '\\'; e[1] = 'r'; k = 2; break;
        case '\n': e[0] = '\\'; e[1] = 'n'; k = 2; break;
        case '\t': e[0] = '\\'; e[1] = 't'; k = 2; break;
        case '\\': e[0] = '\\'; e[1] = '\\'; k = 2; break;
        default:
            if (c >= 0x20 && c < 0x7f) {
                e[0] = (char)c;
                k = 1;
            } else {
                e[0] = '\\';
                e[1] = 'x';
                e[2] = HEX[c >> 4];
                e[3] = HEX[c & 15];
                k = 4;
            }
        }
        if (buf_add(out, e, k) != BUF_OK)
            return BUF_TOOBIG;
    }
    return BUF_OK;
}

char *bytes_escape_dup(const void *p, size_t n)
{
    struct buf b;
    buf_init(&b, (size_t)-1 / 2);
    bytes_escape(&b, p, n);
    return buf_detach(&b);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int bytes_unescape(struct buf *out, const char *s)
{
    while (*s) {
        if (*s != '\\') {
            buf_addc(out, *s++);
            continue;
        }
        char c;
        switch (s[1]) {
        case 'r': c = '\r'; s += 2; break;
        case 'n': c = '\n'; s += 2; break;
        case 't': c = '\t'; s += 2; break;
        case '\\': c = '\\'; s += 2; break;
        case 'x': {
            int hi = s[2] ? hexval(s[2]) : -1;
            int lo = hi >= 0 && s[3] ? hexval(s[3]) : -1;
            if (lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            s += 4;
            break;
        }
        default:
            return -1;
        }
        buf_addc(out, c);
    }
    return 0;
}

int bytes_is_escaped(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7f)
            return 0;
        if (c == '\\') {
            if (s[1] == 'r' || s[1] == 'n' || s[1] == 't' || s[1] == '\\')
                s++;
            else if (s[1] == 'x' && s[2] && hexval(s[2]) >= 0 && s[3] &&
                     hexval(s[3]) >= 0)
                s += 3;
            else
                return 0;
        }
    }
    return 1;
}

long bytes_find(const void *p, size_t n, const void *t, size_t k)
{
    const unsigned char *h = p, *s = t;
    if (k == 0)
        return 0;
    for (const unsigned char *q = h; q && (size_t)(q - h) + k <= n;
         q = memchr(q + 1, s[0], n - (size_t)(q - h) - 1))
        if (memcmp(q, s, k) == 0)
            return (long)(q - h);
    return -1;
}
