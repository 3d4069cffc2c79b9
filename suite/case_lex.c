/* case_lex: lines and tokens of case, suite and target files (see
 * case_lex.h). Pure functions over buffers: no allocation except into
 * the caller's buf, no I/O. */
#include "suite/case_lex.h"

#include <string.h>

void lex_src_init(struct lex_src *s, const char *buf, size_t len)
{
    s->buf = buf;
    s->len = len;
    s->pos = 0;
    s->lineno = 0;
}

int lex_next_line(struct lex_src *s, struct lex_line *l)
{
    if (s->pos >= s->len)
        return 0;
    const char *p = s->buf + s->pos;
    size_t left = s->len - s->pos;
    const char *nl = memchr(p, '\n', left);
    size_t n = nl ? (size_t)(nl - p) : left;
    l->p = p;
    l->crlf = nl && n > 0 && p[n - 1] == '\r';
    l->len = l->crlf ? n - 1 : n;
    l->lineno = ++s->lineno;
    s->pos += nl ? n + 1 : n;
    return 1;
}

/* Length of the UTF-8 sequence at p (1-4), or 0 if it is malformed
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    unsigned cp = c & (0x3F >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

long lex_check_line(const char *p, size_t n, const char **why)
{
    const unsigned char *u = (const unsigned char *)p;
    for (size_t i = 0; i < n;) {
        if (i >= LEX_MAX_LINE) {
            *why = "line too long (the limit is 16384 bytes)";
            return (long)i;
        }
        if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f) {
            *why = u[i] == '\r' ? "a carriage return inside a line"
                                : "a control character";
            return (long)i;
        }
        size_t k = utf8_len(u + i, n - i);
        if (k == 0) {
            *why = "invalid UTF-8";
            return (long)i;
        }
        i += k;
    }
    return -1;
}

void lex_init(struct lex *x, const char *p, size_t n, size_t pos)
{
    x->p = p;
    x->n = n;
    x->pos = pos;
    x->end = pos;
}

void lex_seek(struct lex *x, size_t pos)
{
    x->pos = pos;
    x->end = pos;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c & 0x80) ||
           (c && strchr("_.:-@*?[]+~", c));
}

/* Skips whitespace; returns true when a comment or the end follows. */
static bool skip_ws(const struct lex *x, size_t *pos)
{
    size_t i = *pos;
    while (i < x->n && is_space(x->p[i]))
        i++;
    bool spaced = i > *pos || i == 0;
    *pos = i;
    return i >= x->n || (spaced && x->p[i] == '#');
}

bool lex_at_end(const struct lex *x)
{
    size_t pos = x->pos;
    return skip_ws(x, &pos);
}

/* Offset just past a delimited token starting at p[i] (a quote or a
 * slash), skipping backslash pairs; n when it is not closed. */
static size_t delimited(const char *p, size_t n, size_t i, char close)
{
    for (i++; i < n; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == close)
            return i + 1;
    }
    return n;
}

static size_t scan(const struct lex *x, size_t i, enum lex_kind *kind)
{
    const char *p = x->p;
    size_t n = x->n;
    char c = p[i];
    if (c == '"') {
        *kind = LEX_STRING;
        return delimited(p, n, i, '"');
    }
    if (c == '/') {
        *kind = LEX_REGEX;
        size_t j = delimited(p, n, i, '/');
        while (j < n && p[j] >= 'a' && p[j] <= 'z')
            j++;
        return j;
    }
    if (c == '$' && i + 1 < n && p[i + 1] == '{') {
        *kind = LEX_EXPR;
        return i + 2;
    }
    if (c == '<' && i + 1 < n && p[i + 1] == '<') {
        *kind = LEX_HEREDOC;
        size_t j = i + 2;
        while (j < n &&
               ((p[j] >= 'A' && p[j] <= 'Z') || (p[j] >= 'a' && p[j] <= 'z') ||
                (p[j] >= '0' && p[j] <= '9') || p[j] == '_'))
            j++;
        return j;
    }
    if (c == '-' && i + 1 < n && p[i + 1] == '>') {
        *kind = LEX_PUNCT;
        return i + 2;
    }
    if (strchr("|{}=,()!", c)) {
        *kind = LEX_PUNCT;
        return i + 1;
    }
    if (is_word(c)) {
        *kind = LEX_WORD;
        size_t j = i;
        while (j < n && is_word(p[j]) &&
               !(p[j] == '-' && j + 1 < n && p[j + 1] == '>'))
            j++;
        return j;
    }
    *kind = LEX_BAD;
    return i + 1;
}

void lex_peek(const struct lex *x, struct lex_tok *t)
{
    size_t i = x->pos;
    if (skip_ws(x, &i)) {
        t->kind = LEX_END;
        t->off = i;
        t->len = 0;
        return;
    }
    size_t end = scan(x, i, &t->kind);
    t->off = i;
    t->len = end - i;
}

void lex_next(struct lex *x, struct lex_tok *t)
{
    lex_peek(x, t);
    x->pos = t->kind == LEX_END ? x->n : t->off + t->len;
    if (t->kind != LEX_END)
        x->end = x->pos;
}

bool lex_is(const struct lex *x, const struct lex_tok *t, const char *w)
{
    return t->kind == LEX_WORD && strlen(w) == t->len &&
           memcmp(x->p + t->off, w, t->len) == 0;
}

bool lex_punct(const struct lex *x, const struct lex_tok *t, const char *p)
{
    return t->kind == LEX_PUNCT && strlen(p) == t->len &&
           memcmp(x->p + t->off, p, t->len) == 0;
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

/* Decodes the escape at p[i] ('\\'); returns its length or 0. */
static size_t unescape(const char *p, size_t n, size_t i, char *out)
{
    static const char FROM[] = "rnt0\\\"", TO[] = "\r\n\t\0\\\"";
    if (i + 1 >= n)
        return 0;
    const char *k = memchr(FROM, p[i + 1], sizeof FROM - 1);
    if (k) {
        *out = TO[k - FROM];
        return 2;
    }
    if (p[i + 1] == 'x' && i + 3 < n && hexval(p[i + 2]) >= 0 &&
        hexval(p[i + 3]) >= 0) {
        *out = (char)(hexval(p[i + 2]) * 16 + hexval(p[i + 3]));
        return 4;
    }
    return 0;
}

int lex_string(const char *p, size_t n, struct buf *out, size_t *end,
               size_t *erroff, const char **why)
{
    for (size_t i = 1; i < n; i++) {
        if (p[i] == '"') {
            *end = i + 1;
            return 0;
        }
        char c = p[i];
        if (c == '\\') {
            size_t k = unescape(p, n, i, &c);
            if (k == 0) {
                *erroff = i;
                *why = "bad escape (want \\r \\n \\t \\0 \\\\ \\\" or \\xNN)";
                return -1;
            }
            i += k - 1;
        }
        if (buf_addc(out, c) != BUF_OK) {
            *erroff = i;
            *why = "string too long";
            return -1;
        }
    }
    *erroff = 0;
    *why = "unterminated string (want a closing '\"')";
    return -1;
}

int lex_regex(const char *p, size_t n, struct buf *out, bool *icase,
              size_t *end, size_t *erroff, const char **why)
{
    size_t i = 1;
    for (; i < n && p[i] != '/'; i++) {
        if (p[i] == '\\' && i + 1 < n && (p[i + 1] == '/' || p[i + 1] == 'n')) {
            buf_addc(out, p[i + 1] == 'n' ? '\n' : '/');
            i++;
        } else if (p[i] == '\\' && i + 1 < n) {
            buf_add(out, p + i, 2);
            i++;
        } else {
            buf_addc(out, p[i]);
        }
    }
    if (i >= n) {
        *erroff = 0;
        *why = "unterminated regular expression (want a closing '/')";
        return -1;
    }
    *icase = false;
    for (i++; i < n && p[i] >= 'a' && p[i] <= 'z'; i++) {
        if (p[i] != 'i') {
            *erroff = i;
            *why = "unknown regular expression flag (only 'i' is known)";
            return -1;
        }
        *icase = true;
    }
    *end = i;
    return 0;
}
