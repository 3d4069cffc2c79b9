/* arrival: tokens, digests and the change classifier of delivery
 * checks (see arrival.h). Messages are whole in memory here: the sink
 * holds each one it accepted. */
#include "harness/arrival.h"
#include "harness/b64.h"
#include "harness/digest.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const CLASS_NAMES[] = {
#define X(e, s, c) s,
    ARRIVAL_CLASS_LIST(X)
#undef X
};

static const bool CLASS_CORRUPT[] = {
#define X(e, s, c) c,
    ARRIVAL_CLASS_LIST(X)
#undef X
};

/* Fields a relay adds on its way (RFC 5321 4.4 trace fields, and the
 * results and seals of RFC 8601, RFC 8617, RFC 6376): adding them is
 * not a change of the message. */
static const char *const TRACE_FIELDS[] = {
    "received",       "return-path",           "delivered-to",
    "x-original-to",  "received-spf",          "authentication-results",
    "arc-seal",       "arc-message-signature", "arc-authentication-results",
    "dkim-signature",
};

const char *arrival_class_name(enum arrival_class c)
{
    return c < ARRIVAL_CLASS_COUNT ? CLASS_NAMES[c] : "?";
}

bool arrival_class_corrupt(enum arrival_class c)
{
    return c < ARRIVAL_CLASS_COUNT && CLASS_CORRUPT[c];
}

/* ---- the header section ------------------------------------------------ */

struct field {
    const char *name, *raw; /* raw: the whole field, continuation lines
                               and the last CRLF included */
    size_t nlen, rawlen;
};

/* The length of the line at p (its LF included), at most n. */
static size_t line_len(const char *p, size_t n)
{
    const char *nl = memchr(p, '\n', n);
    return nl ? (size_t)(nl - p) + 1 : n;
}

/* The next field at *off of hdr[0..n) (RFC 5322 2.2); false at the end
 * of the header section or at a line that is no field. */
static bool next_field(const char *hdr, size_t n, size_t *off, struct field *f)
{
    if (*off >= n)
        return false;
    const char *p = hdr + *off;
    size_t ll = line_len(p, n - *off);
    const char *colon = memchr(p, ':', ll);
    if (!colon || colon == p)
        return false;
    for (const char *q = p; q < colon; q++)
        if ((unsigned char)*q <= 32 || (unsigned char)*q >= 127)
            return false;
    f->name = p;
    f->nlen = (size_t)(colon - p);
    f->raw = p;
    size_t end = *off + ll;
    while (end < n && (hdr[end] == ' ' || hdr[end] == '\t'))
        end += line_len(hdr + end, n - end);
    f->rawlen = end - *off;
    *off = end;
    return true;
}

void arrival_field_names(const char *hdr, size_t n, char *out, size_t outlen)
{
    size_t off = 0, used = 0;
    struct field f;
    out[0] = '\0';
    while (next_field(hdr, n, &off, &f)) {
        char name[ARRIVAL_HLIST_MAX];
        if (f.nlen >= sizeof name)
            continue;
        for (size_t i = 0; i < f.nlen; i++)
            name[i] = (char)tolower((unsigned char)f.name[i]);
        name[f.nlen] = '\0';
        bool seen = false;
        for (const char *p = out; *p && !seen; p += strcspn(p, ":"), p += *p == ':')
            seen = strcspn(p, ":") == f.nlen && memcmp(p, name, f.nlen) == 0;
        for (size_t i = 0; i < sizeof TRACE_FIELDS / sizeof *TRACE_FIELDS; i++)
            seen |= strcmp(name, TRACE_FIELDS[i]) == 0; /* relays add them */
        if (seen || strcmp(name, "x-smtpsuite-digest") == 0 ||
            used + f.nlen + 2 > outlen)
            continue;
        used += (size_t)snprintf(out + used, outlen - used, "%s%s",
                                 used ? ":" : "", name);
    }
}

size_t arrival_body_offset(const char *msg, size_t len)
{
    size_t off = 0;
    struct field f;
    while (next_field(msg, len, &off, &f))
        ;
    if (off < len) { /* the empty line, when it is one */
        size_t ll = line_len(msg + off, len - off);
        if (ll <= 2 && (msg[off] == '\n' || (ll == 2 && msg[off] == '\r')))
            off += ll;
    }
    return off;
}

/* The relaxed form of a field (RFC 6376 3.4.2) appended to out. */
static void relax(const struct field *f, struct buf *out)
{
    for (size_t i = 0; i < f->nlen; i++)
        buf_addc(out, (char)tolower((unsigned char)f->name[i]));
    buf_addc(out, ':');
    bool space = false, any = false;
    for (size_t i = f->nlen + 1; i < f->rawlen; i++) {
        char c = f->raw[i];
        if (c == '\r' || c == '\n')
            continue;
        if (c == ' ' || c == '\t') {
            space = any;
            continue;
        }
        if (space)
            buf_addc(out, ' ');
        space = false;
        any = true;
        buf_addc(out, c);
    }
    buf_add(out, "\r\n", 2);
}

static bool name_is(const struct field *f, const char *name, size_t n)
{
    return f->nlen == n && strncasecmp(f->name, name, n) == 0;
}

/* The first field called name[0..n), or false. */
static bool find_field(const char *hdr, size_t len, const char *name, size_t n,
                       struct field *f)
{
    size_t off = 0;
    while (next_field(hdr, len, &off, f))
        if (name_is(f, name, n))
            return true;
    return false;
}

bool arrival_header(const char *msg, size_t len, const char *name, char *out,
                    size_t outlen)
{
    struct field f;
    if (!find_field(msg, len, name, strlen(name), &f))
        return false;
    struct buf b;
    buf_init(&b, f.rawlen * 2 + 8);
    relax(&f, &b);
    const char *v = buf_str(&b) + f.nlen + 1;
    size_t vn = b.len - f.nlen - 3; /* without the CRLF */
    snprintf(out, outlen, "%.*s", (int)vn, v);
    buf_free(&b);
    return true;
}

static void hex128(struct digest_sha256 *d, char out[ARRIVAL_HASH_HEX])
{
    char full[DIGEST_SHA256_HEX];
    digest_sha256_end(d, full);
    memcpy(out, full, ARRIVAL_HASH_HEX - 1);
    out[ARRIVAL_HASH_HEX - 1] = '\0';
}

void arrival_hash_headers(const char *hdr, size_t n, const char *hlist,
                          struct arrival_digest *d)
{
    snprintf(d->h, sizeof d->h, "%s", hlist);
    struct digest_sha256 *s = digest_sha256_new(), *r = digest_sha256_new();
    struct buf b;
    buf_init(&b, n * 2 + 64);
    for (const char *p = hlist; *p;) {
        size_t w = strcspn(p, ":");
        struct field f;
        if (w && find_field(hdr, n, p, w, &f)) {
            digest_sha256_add(s, f.raw, f.rawlen);
            buf_reset(&b);
            relax(&f, &b);
            digest_sha256_add(r, b.data, b.len);
        }
        digest_sha256_add(s, "\n", 1); /* a missing field still counts */
        digest_sha256_add(r, "\n", 1);
        p += w + (p[w] == ':');
    }
    hex128(s, d->hs);
    hex128(r, d->hr);
    buf_free(&b);
    digest_sha256_free(s);
    digest_sha256_free(r);
}

void arrival_hash_body(const char *body, size_t n, struct arrival_digest *d)
{
    /* RFC 6376 3.4.3: empty lines at the end are dropped; a body that
     * does not end in CRLF gets one; an empty body is one CRLF. */
    size_t end = n;
    while (end >= 2 && body[end - 2] == '\r' && body[end - 1] == '\n' &&
           (end == 2 ||
            (end >= 4 && body[end - 4] == '\r' && body[end - 3] == '\n')))
        end -= 2;
    struct digest_sha256 *s = digest_sha256_new(), *f = digest_sha256_new();
    digest_sha256_add(s, body, end);
    if (end < 2 || body[end - 2] != '\r' || body[end - 1] != '\n')
        digest_sha256_add(s, "\r\n", 2);
    for (size_t i = 0, run = 0; i <= end; i++) {
        if (i == end || body[i] == '\r' || body[i] == '\n') {
            digest_sha256_add(f, body + run, i - run);
            run = i + 1;
        }
    }
    hex128(s, d->bh);
    hex128(f, d->bf);
    digest_sha256_free(s);
    digest_sha256_free(f);
}

void arrival_digest_format(const struct arrival_digest *d, struct buf *out)
{
    buf_addf(out, "%s: v=1; h=%s; hs=%s; hr=%s; bh=%s; bf=%s\r\n",
             ARRIVAL_DIGEST_HEADER, d->h, d->hs, d->hr, d->bh, d->bf);
}

/* Copies the value of "; key=" from v into out; false when absent. */
static bool tag(const char *v, const char *key, char *out, size_t outlen)
{
    size_t kl = strlen(key);
    for (const char *p = v; *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        size_t w = strcspn(p, ";");
        if (w > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
            size_t vl = w - kl - 1;
            while (vl && p[kl + vl] == ' ')
                vl--;
            if (vl >= outlen)
                return false;
            memcpy(out, p + kl + 1, vl);
            out[vl] = '\0';
            return true;
        }
        p += w;
    }
    return false;
}

static bool is_hex128(const char *s)
{
    size_t n = strspn(s, "0123456789abcdef");
    return n == ARRIVAL_HASH_HEX - 1 && !s[n];
}

bool arrival_digest_parse(const char *value, struct arrival_digest *d)
{
    char v[8];
    if (!tag(value, "v", v, sizeof v) || strcmp(v, "1") != 0 ||
        !tag(value, "h", d->h, sizeof d->h) ||
        !tag(value, "hs", d->hs, sizeof d->hs) ||
        !tag(value, "hr", d->hr, sizeof d->hr) ||
        !tag(value, "bh", d->bh, sizeof d->bh) ||
        !tag(value, "bf", d->bf, sizeof d->bf))
        return false;
    return is_hex128(d->hs) && is_hex128(d->hr) && is_hex128(d->bh) &&
           is_hex128(d->bf);
}

/* ---- classifying -------------------------------------------------------- */

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                  : -1;
}

/* Quoted-printable (RFC 2045 6.7) decoded into out. */
static void qp_decode(const char *s, size_t n, struct buf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '=') {
            buf_addc(out, s[i]);
        } else if (i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n') {
            i += 2; /* a soft line break */
        } else if (i + 2 < n && hexval(s[i + 1]) >= 0 &&
                   hexval(s[i + 2]) >= 0) {
            buf_addc(out, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
            i += 2;
        } else {
            buf_addc(out, s[i]);
        }
    }
}

/* Whether the body, decoded by its Content-Transfer-Encoding, hashes
 * to what was sent (RFC 6152 3: a relay may downgrade 8bit content). */
static bool decodes_to(const char *msg, size_t len, size_t body,
                       const struct arrival_digest *sent)
{
    char cte[64];
    if (!arrival_header(msg, body, "Content-Transfer-Encoding", cte,
                        sizeof cte))
        return false;
    struct buf dec, clean;
    buf_init(&dec, len + 16);
    buf_init(&clean, len + 16);
    bool ok = false;
    if (strcasecmp(cte, "quoted-printable") == 0) {
        qp_decode(msg + body, len - body, &dec);
        ok = true;
    } else if (strcasecmp(cte, "base64") == 0) {
        for (size_t i = body; i < len; i++)
            if (!isspace((unsigned char)msg[i]))
                buf_addc(&clean, msg[i]);
        size_t at;
        ok = b64_decode(&dec, clean.data ? clean.data : "", clean.len, &at) ==
             B64_OK;
    }
    struct arrival_digest got;
    if (ok) {
        arrival_hash_body(dec.data ? dec.data : "", dec.len, &got);
        ok = strcmp(got.bh, sent->bh) == 0 || strcmp(got.bf, sent->bf) == 0;
    }
    buf_free(&dec);
    buf_free(&clean);
    return ok;
}

static void worse(enum arrival_class *c, enum arrival_class now)
{
    if (now > *c)
        *c = now;
}

/* Whether name[0..n) is in the ':'-list hlist. */
static bool listed(const char *hlist, const char *name, size_t n)
{
    for (const char *p = hlist; *p;) {
        size_t w = strcspn(p, ":");
        if (w == n && strncasecmp(p, name, n) == 0)
            return true;
        p += w + (p[w] == ':');
    }
    return false;
}

/* The fields present that the digest does not declare. */
static enum arrival_class added_fields(const char *msg, size_t body,
                                       const char *hlist, bool reencoded)
{
    enum arrival_class c = ARRIVAL_INTACT;
    size_t off = 0;
    struct field f;
    while (next_field(msg, body, &off, &f)) {
        if (listed(hlist, f.name, f.nlen) ||
            name_is(&f, ARRIVAL_DIGEST_HEADER, strlen(ARRIVAL_DIGEST_HEADER)))
            continue;
        if (reencoded && name_is(&f, "content-transfer-encoding", 25))
            continue;
        bool trace = false;
        for (size_t i = 0; i < sizeof TRACE_FIELDS / sizeof *TRACE_FIELDS; i++)
            trace |= name_is(&f, TRACE_FIELDS[i], strlen(TRACE_FIELDS[i]));
        worse(&c, trace ? ARRIVAL_TRACE_ONLY : ARRIVAL_HEADERS_ADDED);
    }
    return c;
}

bool arrival_classify(const char *msg, size_t len, enum arrival_class *c)
{
    char value[ARRIVAL_VALUE_MAX];
    struct arrival_digest sent, got;
    size_t body = arrival_body_offset(msg, len);
    if (!arrival_header(msg, body, ARRIVAL_DIGEST_HEADER, value,
                        sizeof value) ||
        !arrival_digest_parse(value, &sent))
        return false;
    arrival_hash_headers(msg, body, sent.h, &got);
    arrival_hash_body(msg + body, len - body, &got);
    enum arrival_class k = ARRIVAL_INTACT;
    bool reencoded = false;
    if (strcmp(got.bh, sent.bh) != 0) {
        if (strcmp(got.bf, sent.bf) == 0)
            k = ARRIVAL_FOLDED;
        else if ((reencoded = decodes_to(msg, len, body, &sent)))
            k = ARRIVAL_ENCODING;
        else
            k = ARRIVAL_BODY_CHANGED;
    }
    if (strcmp(got.hs, sent.hs) != 0)
        worse(&k, strcmp(got.hr, sent.hr) == 0 ? ARRIVAL_FOLDED
                                               : ARRIVAL_HEADERS_CHANGED);
    worse(&k, added_fields(msg, body, sent.h, reencoded));
    *c = k;
    return true;
}
