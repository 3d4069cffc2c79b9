/* b64: strict base64 for AUTH lines (RFC 4648). Hand-written rather than
 * EVP_DecodeBlock because OpenSSL's decoder skips whitespace and does not
 * report non-canonical pad bits, both of which are findings here. */
#include "harness/b64.h"

#include <stdint.h>

static const char ALPHABET[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const char *const STATUS_TEXT[] = {
#define X(e, text) text,
    B64_STATUS_LIST(X)
#undef X
};

const char *b64_status_text(enum b64_status st)
{
    return (unsigned)st < B64_STATUS_COUNT ? STATUS_TEXT[st] : "?";
}

enum buf_status b64_encode(struct buf *out, const void *p, size_t n)
{
    const unsigned char *in = p;
    size_t need = B64_ENCODED_LEN(n);
    if (n > (SIZE_MAX / 4) * 3 - 2 || need > out->max - out->len ||
        out->len > out->max)
        return BUF_TOOBIG;
    size_t start = out->len;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        char q[4] = {ALPHABET[v >> 18], ALPHABET[(v >> 12) & 63],
                     i + 1 < n ? ALPHABET[(v >> 6) & 63] : '=',
                     i + 2 < n ? ALPHABET[v & 63] : '='};
        (void)buf_add(out, q, 4);
    }
    return out->len - start == need ? BUF_OK : BUF_TOOBIG;
}

/* The 6-bit value of c, or -1 if c is not in the alphabet. */
static int sextet(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Checks the shape of s[0..n) (alphabet, length, padding) and returns the
 * number of pad characters through *npad. */
static enum b64_status check(const char *s, size_t n, size_t *npad,
                             size_t *errpos)
{
    size_t pad = 0;
    while (pad < 2 && pad < n && s[n - 1 - pad] == '=')
        pad++;
    for (size_t i = 0; i < n - pad; i++) {
        if (sextet((unsigned char)s[i]) < 0) {
            *errpos = i;
            return s[i] == '=' ? B64_BAD_PAD : B64_BAD_CHAR;
        }
    }
    if (n % 4 != 0) {
        *errpos = n;
        return B64_BAD_LENGTH;
    }
    *npad = pad;
    return B64_OK;
}

enum b64_status b64_decode(struct buf *out, const char *s, size_t n,
                           size_t *errpos)
{
    size_t npad = 0, pos = 0;
    enum b64_status st = check(s, n, &npad, &pos);
    if (st != B64_OK) {
        if (errpos)
            *errpos = pos;
        return st;
    }
    size_t olen = B64_DECODED_MAX(n) - npad;
    /* "A==" style: the last quantum's unused bits must be zero. */
    if (npad) {
        int last = sextet((unsigned char)s[n - npad - 1]);
        if ((npad == 1 && (last & 3)) || (npad == 2 && (last & 15))) {
            if (errpos)
                *errpos = n - npad - 1;
            return B64_PAD_BITS;
        }
    }
    if (olen > out->max - out->len || out->len > out->max)
        return B64_TOO_BIG;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t v = 0;
        for (int k = 0; k < 4; k++)
            v = v << 6 |
                (s[i + k] == '=' ? 0u
                                 : (uint32_t)sextet((unsigned char)s[i + k]));
        unsigned char o[3] = {(unsigned char)(v >> 16), (unsigned char)(v >> 8),
                              (unsigned char)v};
        size_t take = i + 4 < n ? 3 : 3 - npad;
        (void)buf_add(out, o, take);
    }
    return B64_OK;
}
