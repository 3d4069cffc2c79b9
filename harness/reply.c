/* reply: sans-I/O parser of SMTP replies (RFC 5321 4.2, 4.2.1), with the
 * enhanced status codes of RFC 3463 and the EHLO grammar of 4.1.1.1. */
#include "harness/reply.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const ERROR_TEXT[] = {
#define X(e, text) text,
    REPLY_ERROR_LIST(X)
#undef X
};

const char *reply_error_text(enum reply_error e)
{
    return ERROR_TEXT[e];
}

void reply_flags_text(unsigned flags, char *out, size_t outlen)
{
    static const struct {
        unsigned bit;
        const char *text;
    } F[] = {
#define X(e, bit, text) {REPLY_F_##e, text},
        REPLY_FLAG_LIST(X)
#undef X
    };
    size_t used = 0;
    if (outlen)
        out[0] = '\0';
    for (size_t i = 0; i < sizeof F / sizeof F[0]; i++) {
        if (!(flags & F[i].bit) || used >= outlen)
            continue;
        int n = snprintf(out + used, outlen - used, "%s%s", used ? "; " : "",
                         F[i].text);
        if (n > 0)
            used += (size_t)n;
    }
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static enum reply_status fail(struct reply *r, enum reply_error e)
{
    r->error = e;
    return REPLY_ERROR;
}

/* Flags control and 8-bit bytes and bare CRs in one line's text. */
static unsigned text_flags(const char *p, size_t n)
{
    unsigned f = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\r')
            f |= REPLY_F_BARE_CR;
        else if ((c < 0x20 && c != '\t') || c == 0x7f)
            f |= REPLY_F_CTRL;
        else if (c >= 0x80)
            f |= REPLY_F_EIGHTBIT;
    }
    return f;
}

/* A partial line can already be known bad: its first bytes are not
 * digits. Deciding early keeps the answer the same byte by byte. */
static int bad_code_prefix(const char *p, size_t n)
{
    for (size_t i = 0; i < n && i < 3; i++)
        if (!is_digit(p[i]))
            return 1;
    return 0;
}

/* Parses one complete line [p, p+n) (ending stripped) into r; returns 1
 * if it is the final line of the reply, 0 if more follow, -1 on error. */
static int take_line(struct reply *r, const char *buf, size_t start, size_t n)
{
    const char *p = buf + start;
    if (n < 3 || bad_code_prefix(p, 3))
        return fail(r, REPLY_ERR_SYNTAX), -1;
    int code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    if (p[0] < '2' || p[0] > '5' || p[1] > '5')
        r->flags |= REPLY_F_BAD_CODE;
    if (r->nlines > 0 && code != r->code)
        r->flags |= REPLY_F_MIXED_CODES;
    if (r->nlines == REPLY_MAX_LINES)
        return fail(r, REPLY_ERR_TOO_MANY_LINES), -1;
    r->code = code;
    int final = 1;
    size_t text = 4;
    if (n == 3) {
        r->flags |= REPLY_F_NO_SP;
        text = 3;
    } else if (p[3] == '-') {
        final = 0;
    } else if (p[3] != ' ') {
        r->flags |= REPLY_F_BAD_SEP;
        text = 3;
    }
    r->line[r->nlines].off = (uint32_t)(start + text);
    r->line[r->nlines].len = (uint32_t)(n - text);
    r->nlines++;
    r->flags |= text_flags(p + text, n - text);
    if (n + 2 > REPLY_RFC_LINE)
        r->flags |= REPLY_F_LONG_LINE;
    return final;
}

enum reply_status reply_parse(const char *buf, size_t len, struct reply *r)
{
    size_t pos = 0;
    r->code = 0;
    r->flags = 0;
    r->error = REPLY_ERR_NONE;
    r->size = 0;
    r->nlines = 0;
    r->esc[0] = '\0';
    for (;;) {
        const char *lf = memchr(buf + pos, '\n', len - pos);
        size_t avail = lf ? (size_t)(lf - (buf + pos)) + 1 : len - pos;
        if (avail > REPLY_MAX_LINE)
            return fail(r, REPLY_ERR_LINE_TOO_LONG);
        if (!lf) {
            if (bad_code_prefix(buf + pos, avail))
                return fail(r, REPLY_ERR_SYNTAX);
            if (len > REPLY_MAX_SIZE)
                return fail(r, REPLY_ERR_TOO_BIG);
            return REPLY_NEED_MORE;
        }
        size_t n = avail - 1;
        if (n > 0 && buf[pos + n - 1] == '\r')
            n--;
        else
            r->flags |= REPLY_F_BARE_LF;
        int final = take_line(r, buf, pos, n);
        if (final < 0)
            return REPLY_ERROR;
        pos += avail;
        if (pos > REPLY_MAX_SIZE)
            return fail(r, REPLY_ERR_TOO_BIG);
        if (final)
            break;
    }
    r->size = pos;
    reply_find_esc(buf + r->line[0].off, r->line[0].len, r->esc);
    return REPLY_DONE;
}

/* Reads 1-3 digits at p; returns how many, or 0. */
static size_t digits13(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && i < 4 && is_digit(p[i]))
        i++;
    return i >= 1 && i <= 3 ? i : 0;
}

size_t reply_find_esc(const char *text, size_t len, char out[REPLY_ESC_MAX])
{
    out[0] = '\0';
    if (len < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') ||
        text[1] != '.')
        return 0;
    size_t i = 2;
    size_t d = digits13(text + i, len - i);
    if (!d)
        return 0;
    i += d;
    if (i >= len || text[i] != '.')
        return 0;
    i++;
    d = digits13(text + i, len - i);
    if (!d)
        return 0;
    i += d;
    if (i < len && text[i] != ' ')
        return 0;
    memcpy(out, text, i);
    out[i] = '\0';
    return i;
}

int reply_ehlo_find(const struct reply *r, const char *buf, const char *kw,
                    const char **params, size_t *plen)
{
    size_t kl = strlen(kw);
    for (unsigned i = 1; i < r->nlines; i++) {
        const char *t = buf + r->line[i].off;
        size_t n = r->line[i].len;
        if (n < kl || strncasecmp(t, kw, kl) != 0)
            continue;
        if (n > kl && t[kl] != ' ')
            continue;
        size_t skip = n > kl ? kl + 1 : kl;
        *params = t + skip;
        *plen = n - skip;
        return 1;
    }
    return 0;
}

int reply_ehlo_has(const struct reply *r, const char *buf, const char *kw,
                   const char *param)
{
    const char *p;
    size_t n;
    if (!reply_ehlo_find(r, buf, kw, &p, &n))
        return 0;
    if (!param)
        return 1;
    size_t pl = strlen(param);
    size_t i = 0;
    while (i < n) {
        while (i < n && p[i] == ' ')
            i++;
        size_t j = i;
        while (j < n && p[j] != ' ')
            j++;
        if (j - i == pl && strncasecmp(p + i, param, pl) == 0)
            return 1;
        i = j;
    }
    return 0;
}

static int ldh_domain(const char *t, size_t n)
{
    if (n == 0)
        return 0;
    if (t[0] == '[')
        return t[n - 1] == ']';
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (c == '.') {
            if (label == 0 || t[i - 1] == '-')
                return 0;
            label = 0;
        } else if (isalnum((unsigned char)c) || (c == '-' && label > 0)) {
            label++;
        } else {
            return 0;
        }
    }
    return label > 0 || (n > 1 && t[n - 1] == '.');
}

int reply_ehlo_check(const struct reply *r, const char *buf, char *err,
                     size_t errlen)
{
    const char *t = buf + r->line[0].off;
    size_t n = r->line[0].len;
    size_t dl = 0;
    while (dl < n && t[dl] != ' ')
        dl++;
    if (!ldh_domain(t, dl)) {
        snprintf(err, errlen, "line 1: '%.*s' is not a domain or address literal",
                 (int)(dl > 64 ? 64 : dl), t);
        return -1;
    }
    for (unsigned i = 1; i < r->nlines; i++) {
        t = buf + r->line[i].off;
        n = r->line[i].len;
        size_t k = 0;
        while (k < n && (isalnum((unsigned char)t[k]) || (k > 0 && t[k] == '-')))
            k++;
        if (k == 0 || (k < n && t[k] != ' ')) {
            snprintf(err, errlen, "line %u: '%.*s' is not 'keyword *(SP param)'",
                     i + 1, (int)(n > 64 ? 64 : n), t);
            return -1;
        }
        for (size_t j = k; j < n; j++) {
            unsigned char c = (unsigned char)t[j];
            if (c != ' ' && (c < 33 || c > 126)) {
                snprintf(err, errlen, "line %u: parameter byte 0x%02x outside %%d33-126",
                         i + 1, c);
                return -1;
            }
        }
    }
    return 0;
}
