/* text: the sanitizer every report writer uses (see text.h). libxml2 2.9
 * writes control bytes and broken UTF-8 as they come and still returns
 * success, so the check happens here, before the writer, once. */
#include "reports/text.h"
#include "harness/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char HEX[] = "0123456789abcdef";

/* Length of the valid UTF-8 sequence at s (with its code point in *cp),
 * or 0 if the bytes there are not one (RFC 3629 section 4). */
static size_t utf8_seq(const unsigned char *s, uint32_t *cp)
{
    static const struct {
        unsigned char mask, lead;
        size_t len;
        uint32_t min;
    } LEADS[] = {
        {0x80, 0x00, 1, 0},
        {0xe0, 0xc0, 2, 0x80},
        {0xf0, 0xe0, 3, 0x800},
        {0xf8, 0xf0, 4, 0x10000},
    };
    for (size_t k = 0; k < sizeof LEADS / sizeof LEADS[0]; k++) {
        if ((s[0] & LEADS[k].mask) != LEADS[k].lead)
            continue;
        uint32_t c = s[0] & (uint32_t)~LEADS[k].mask & 0x7f;
        for (size_t i = 1; i < LEADS[k].len; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return 0;
            c = (c << 6) | (s[i] & 0x3f);
        }
        if (c < LEADS[k].min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return 0;
        *cp = c;
        return LEADS[k].len;
    }
    return 0;
}

/* Nonzero for a code point a report may carry as itself: XML 1.0's Char
 * production less the controls and noncharacters HTML calls parse
 * errors (HTML Living Standard 13.2.3.5). */
static int char_ok(uint32_t c)
{
    if (c == '\t' || c == '\n')
        return 1;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
        return 0;
    if (c >= 0xfdd0 && c <= 0xfdef)
        return 0;
    return (c & 0xfffe) != 0xfffe;
}

/* The visible form of bytes p[0..n) that may not appear as themselves. */
static size_t escape_bytes(char *dst, const unsigned char *p, size_t n)
{
    if (n == 1 && p[0] == '\r') {
        memcpy(dst, "\\r", 2);
        return 2;
    }
    for (size_t i = 0; i < n; i++) {
        dst[4 * i] = '\\';
        dst[4 * i + 1] = 'x';
        dst[4 * i + 2] = HEX[p[i] >> 4];
        dst[4 * i + 3] = HEX[p[i] & 15];
    }
    return 4 * n;
}

void text_clean(struct buf *out, const char *s, size_t max)
{
    if (!s)
        return;
    const unsigned char *p = (const unsigned char *)s;
    size_t used = 0;
    while (*p) {
        uint32_t cp = 0;
        size_t n = utf8_seq(p, &cp);
        char unit[16];
        size_t k;
        if (n == 0) {
            k = escape_bytes(unit, p, 1);
            n = 1;
        } else if (!char_ok(cp)) {
            k = escape_bytes(unit, p, n);
        } else {
            memcpy(unit, p, n);
            k = n;
        }
        if (used + k > max) {
            buf_addf(out, "...[%zu bytes in all]", strlen(s));
            return;
        }
        buf_add(out, unit, k);
        used += k;
        p += n;
    }
}

char *text_clean_dup(const char *s, size_t max)
{
    struct buf b;
    buf_init(&b, (size_t)-1 / 2);
    text_clean(&b, s, max);
    return buf_detach(&b);
}

void text_html(struct buf *out, const char *s, size_t max)
{
    static const char *const ENT[256] = {
        ['&'] = "&amp;",  ['<'] = "&lt;",   ['>'] = "&gt;",
        ['"'] = "&quot;", ['\''] = "&#39;",
    };
    struct buf tmp;
    buf_init(&tmp, (size_t)-1 / 2);
    text_clean(&tmp, s, max);
    const char *p = buf_str(&tmp);
    while (*p) {
        size_t run = strcspn(p, "&<>\"'");
        buf_add(out, p, run);
        p += run;
        if (*p)
            buf_adds(out, ENT[(unsigned char)*p++]);
    }
    buf_free(&tmp);
}

void text_seconds(int64_t us, char out[TEXT_SECONDS_LEN])
{
    if (us < 0)
        us = 0;
    /* Integer conversions only: %f would follow LC_NUMERIC. */
    snprintf(out, TEXT_SECONDS_LEN, "%" PRId64 ".%06" PRId64, us / 1000000,
             us % 1000000);
}
