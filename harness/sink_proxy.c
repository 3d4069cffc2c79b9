/* sink_proxy: reads the PROXY protocol header a load balancer puts before
 * the SMTP greeting (HAProxy's proxy-protocol.txt 2.1 text, 2.2 binary)
 * and checks Postfix XCLIENT/XFORWARD attribute lists, for the sink.
 * Never touches a socket: the caller hands it what has arrived so far
 * and acts on done / need-more / error. A malformed or missing header is
 * an error, never a guess (proxy-protocol.txt 2). */
#include "harness/sink_proxy.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const MODE_NAMES[] = {
#define X(e, s) s,
    SINK_PROXY_MODE_LIST(X)
#undef X
};

const char *sink_proxy_mode_name(enum sink_proxy_mode m)
{
    return (unsigned)m < SINK_PROXY_MODE_COUNT ? MODE_NAMES[m] : "?";
}

int sink_proxy_mode_find(const char *name)
{
    for (int i = 0; i < SINK_PROXY_MODE_COUNT; i++)
        if (strcmp(MODE_NAMES[i], name) == 0)
            return i;
    return -1;
}

static const char V1_SIG[] = "PROXY ";
static const unsigned char V2_SIG[SINK_PROXY_V2_SIG] = {
    0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

static enum sink_proxy_status fail(struct sink_proxy_result *r, const char *why)
{
    snprintf(r->error, sizeof r->error, "%s", why);
    return SINK_PROXY_ERROR;
}

/* Whether in[0..len) is a prefix of sig[0..n) or starts with it. */
static bool prefix_of(const void *in, size_t len, const void *sig, size_t n)
{
    return memcmp(in, sig, len < n ? len : n) == 0;
}

/* A v1 port: 0..65535 in decimal, no leading zero (2.1). */
static bool v1_port(const char *s, size_t n, unsigned *out)
{
    if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return v <= 65535;
}

static void addr_port(char *out, int family, const char *a, unsigned port)
{
    const char *l = family == AF_INET6 ? "[" : "",
               *rb = family == AF_INET6 ? "]" : "";
    snprintf(out, SINK_PROXY_ADDR_MAX, "%s%s%s:%u", l, a, rb, port);
}

/* "PROXY TCP4 SRC DST SPORT DPORT" without its CRLF (2.1): single
 * spaces, numeric addresses of the family named, ports in range. */
static enum sink_proxy_status v1_line(const char *line, size_t n,
                                      struct sink_proxy_result *r)
{
    char f[SINK_PROXY_V1_MAX + 1];
    memcpy(f, line, n);
    f[n] = '\0';
    if (strcmp(f, "PROXY UNKNOWN") == 0 ||
        strncmp(f, "PROXY UNKNOWN ", 14) == 0) {
        r->local = true;
        return SINK_PROXY_DONE;
    }
    char *w[7];
    size_t nw = 0;
    for (char *p = f; nw < 7;) {
        w[nw++] = p;
        char *sp = strchr(p, ' ');
        if (!sp)
            break;
        *sp = '\0';
        p = sp + 1;
    }
    if (nw != 6)
        return fail(r, "v1: not PROXY TCP4|TCP6 SRC DST SPORT DPORT");
    int family = strcmp(w[1], "TCP4") == 0   ? AF_INET
                 : strcmp(w[1], "TCP6") == 0 ? AF_INET6
                                             : 0;
    if (!family)
        return fail(r, "v1: unknown protocol (TCP4, TCP6 or UNKNOWN)");
    unsigned char bin[16];
    if (inet_pton(family, w[2], bin) != 1)
        return fail(r, "v1: bad source address");
    if (inet_pton(family, w[3], bin) != 1)
        return fail(r, "v1: bad destination address");
    unsigned sp, dp;
    if (!v1_port(w[4], strlen(w[4]), &sp) || !v1_port(w[5], strlen(w[5]), &dp))
        return fail(r, "v1: bad port");
    addr_port(r->source, family, w[2], sp);
    addr_port(r->dest, family, w[3], dp);
    return SINK_PROXY_DONE;
}

static enum sink_proxy_status v1_parse(const unsigned char *in, size_t len,
                                       struct sink_proxy_result *r)
{
    /* the CR can be at most at SINK_PROXY_V1_MAX - 2: CRLF included, the
     * line is SINK_PROXY_V1_MAX octets */
    size_t n = len < SINK_PROXY_V1_MAX - 1 ? len : SINK_PROXY_V1_MAX - 1;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == '\n')
            return fail(r, "v1: a line end other than CRLF");
        if (in[i] != '\r')
            continue;
        if (i + 1 == len)
            return SINK_PROXY_NEED_MORE;
        if (in[i + 1] != '\n')
            return fail(r, "v1: a line end other than CRLF");
        r->used = i + 2;
        return v1_line((const char *)in, i, r);
    }
    if (len >= SINK_PROXY_V1_MAX - 1)
        return fail(r, "v1: no CRLF within 107 octets");
    return SINK_PROXY_NEED_MORE;
}

/* The address block of a v2 PROXY command over INET or INET6 (2.2). */
static enum sink_proxy_status v2_addrs(const unsigned char *b, size_t n,
                                       int family, struct sink_proxy_result *r)
{
    size_t al = family == AF_INET ? 4 : 16;
    if (n < 2 * al + 4)
        return fail(r, "v2: address block shorter than its family needs");
    char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
    inet_ntop(family, b, s, sizeof s);
    inet_ntop(family, b + al, d, sizeof d);
    unsigned sp = (unsigned)b[2 * al] << 8 | b[2 * al + 1];
    unsigned dp = (unsigned)b[2 * al + 2] << 8 | b[2 * al + 3];
    addr_port(r->source, family, s, sp);
    addr_port(r->dest, family, d, dp);
    return SINK_PROXY_DONE;
}

static enum sink_proxy_status v2_parse(const unsigned char *in, size_t len,
                                       struct sink_proxy_result *r)
{
    if (len < SINK_PROXY_V2_HEAD)
        return SINK_PROXY_NEED_MORE;
    if ((in[12] >> 4) != 2) /* "other values are invalid" */
        return fail(r, "v2: unrecognized protocol version");
    unsigned cmd = in[12] & 0x0f, fam = in[13] >> 4, tp = in[13] & 0x0f;
    size_t n = (size_t)in[14] << 8 | in[15];
    if (cmd > 1)
        return fail(r, "v2: unknown command (LOCAL or PROXY)");
    if (fam > 3 || tp > 2)
        return fail(r, "v2: unknown address family or transport");
    if (SINK_PROXY_V2_HEAD + n > SINK_PROXY_V2_MAX)
        return fail(r, "v2: header longer than the sink takes");
    if (len < SINK_PROXY_V2_HEAD + n)
        return SINK_PROXY_NEED_MORE;
    r->used = SINK_PROXY_V2_HEAD + n;
    if (cmd == 0 || fam == 0 || fam == 3) { /* LOCAL, UNSPEC, UNIX */
        r->local = true;
        return SINK_PROXY_DONE;
    }
    if (tp != 1)
        return fail(r, "v2: not a stream connection");
    return v2_addrs(in + SINK_PROXY_V2_HEAD, n, fam == 1 ? AF_INET : AF_INET6,
                    r);
}

enum sink_proxy_status sink_proxy_parse(enum sink_proxy_mode mode,
                                        const void *in, size_t len,
                                        struct sink_proxy_result *r)
{
    memset(r, 0, sizeof *r);
    const unsigned char *b = in;
    if (len == 0)
        return SINK_PROXY_NEED_MORE;
    bool v1 = mode == SINK_PROXY_V1 || mode == SINK_PROXY_ANY;
    bool v2 = mode == SINK_PROXY_V2 || mode == SINK_PROXY_ANY;
    if (v1 && prefix_of(b, len, V1_SIG, sizeof V1_SIG - 1)) {
        r->version = 1;
        return len < sizeof V1_SIG - 1 ? SINK_PROXY_NEED_MORE
                                       : v1_parse(b, len, r);
    }
    if (v2 && prefix_of(b, len, V2_SIG, sizeof V2_SIG)) {
        r->version = 2;
        return v2_parse(b, len, r);
    }
    return fail(r, mode == SINK_PROXY_V1   ? "missing PROXY v1 header"
                   : mode == SINK_PROXY_V2 ? "missing PROXY v2 header"
                                           : "missing PROXY header");
}

/* ---- XCLIENT and XFORWARD ----------------------------------------------- */

/* Whether name[0..n) is a word of the space-separated list. */
static bool attr_known(const char *list, const char *name, size_t n)
{
    for (const char *w = list; *w;) {
        size_t k = strcspn(w, " ");
        if (k == n && strncasecmp(w, name, n) == 0)
            return true;
        w += k;
        w += *w == ' ';
    }
    return false;
}

static bool hex_upper(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* xtext (RFC 3461 4): printable ASCII but '+' and '=', or "+HH". */
static bool xtext_ok(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        if (ch == '+') {
            if (i + 2 >= n || !hex_upper(v[i + 1]) || !hex_upper(v[i + 2]))
                return false;
            i += 2;
        } else if (ch < 33 || ch > 126 || ch == '=') {
            return false;
        }
    }
    return true;
}

bool sink_proxy_attrs_valid(const char *which, const char *args, char *err,
                            size_t errlen)
{
    const char *list = strcmp(which, "XCLIENT") == 0
                           ? SINK_PROXY_XCLIENT_ATTRS
                           : SINK_PROXY_XFORWARD_ATTRS;
    size_t nattr = 0;
    for (const char *p = args; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        size_t w = strcspn(p, " ");
        const char *eq = memchr(p, '=', w);
        if (!eq || eq == p) {
            snprintf(err, errlen, "Bad %s attribute syntax: %.*s", which,
                     (int)(w > 64 ? 64 : w), p);
            return false;
        }
        if (!attr_known(list, p, (size_t)(eq - p))) {
            snprintf(err, errlen, "Bad %s attribute name: %.*s", which,
                     (int)(eq - p > 64 ? 64 : eq - p), p);
            return false;
        }
        if (!xtext_ok(eq + 1, w - (size_t)(eq + 1 - p))) {
            snprintf(err, errlen, "Bad %s attribute value: %.*s", which,
                     (int)(eq - p > 64 ? 64 : eq - p), p);
            return false;
        }
        nattr++;
        p += w;
    }
    if (nattr == 0) {
        snprintf(err, errlen, "Syntax: %s attribute=value...", which);
        return false;
    }
    return true;
}
