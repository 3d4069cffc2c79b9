/* proxy: builds PROXY protocol headers (v1 text, v2 binary) from claimed
 * addresses; see proxy.h. The layouts follow HAProxy's
 * proxy-protocol.txt sections 2.1 (v1) and 2.2 (v2). */
#include "harness/proxy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* 2.2: the twelve octets every v2 header starts with. */
static const uint8_t V2_SIG[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                   0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

int proxy_version_parse(const char *s)
{
    static const char *const NAMES[] = {"none", "v1", "v2"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, NAMES[i]) == 0)
            return i;
    return -1;
}

static int parse_port(const char *p, uint16_t *out)
{
    if (*p < '0' || *p > '9')
        return -1;
    char *end;
    unsigned long v = strtoul(p, &end, 10);
    if (*end || v > 65535 || end - p > 5)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

int proxy_parse_addr(const char *s, struct proxy_addr *out, char *err,
                     size_t errlen)
{
    char host[PROXY_MAX_ADDR_TEXT];
    const char *colon = strrchr(s, ':');
    memset(out, 0, sizeof *out);
    if (!colon || strlen(s) >= sizeof host) {
        snprintf(err, errlen, "'%s' is not ADDR:PORT", s);
        return -1;
    }
    size_t hl = (size_t)(colon - s);
    memcpy(host, s, hl);
    host[hl] = 0;
    char *h = host;
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = 0;
        h = host + 1;
        out->family = AF_INET6;
    } else {
        out->family = AF_INET;
    }
    if (inet_pton(out->family, h, out->ip) != 1) {
        snprintf(err, errlen, "'%s' is not a numeric %s address", h,
                 out->family == AF_INET ? "IPv4 (or [IPv6])" : "IPv6");
        return -1;
    }
    if (parse_port(colon + 1, &out->port) != 0) {
        snprintf(err, errlen, "'%s' is not a port (0-65535)", colon + 1);
        return -1;
    }
    return 0;
}

/* Both addresses known and of one family. */
static int known(const struct proxy_addr *src, const struct proxy_addr *dst)
{
    return src && dst && src->family && src->family == dst->family;
}

/* 2.1: "PROXY TCP4 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN\r\n". */
static size_t header_v1(const struct proxy_addr *src,
                        const struct proxy_addr *dst, uint8_t *out)
{
    if (!known(src, dst))
        return (size_t)snprintf((char *)out, PROXY_MAX_HEADER,
                                "PROXY UNKNOWN\r\n");
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    inet_ntop(src->family, src->ip, a, sizeof a);
    inet_ntop(dst->family, dst->ip, b, sizeof b);
    return (size_t)snprintf(
        (char *)out, PROXY_MAX_HEADER, "PROXY %s %s %s %u %u\r\n",
        src->family == AF_INET ? "TCP4" : "TCP6", a, b, src->port, dst->port);
}

/* 2.2: signature, version and command, family and transport, length,
 * then the addresses and ports in network order. */
static size_t header_v2(const struct proxy_addr *src,
                        const struct proxy_addr *dst, uint8_t *out)
{
    memcpy(out, V2_SIG, sizeof V2_SIG);
    size_t n = sizeof V2_SIG;
    if (!known(src, dst)) {
        out[n++] = 0x20; /* version 2, LOCAL */
        out[n++] = 0x00; /* AF_UNSPEC, UNSPEC */
        out[n++] = 0;
        out[n++] = 0;
        return n;
    }
    size_t alen = src->family == AF_INET ? 4 : 16;
    out[n++] = 0x21;                                 /* version 2, PROXY */
    out[n++] = src->family == AF_INET ? 0x11 : 0x21; /* TCP over IPv4/6 */
    size_t len = 2 * alen + 4;
    out[n++] = (uint8_t)(len >> 8);
    out[n++] = (uint8_t)len;
    memcpy(out + n, src->ip, alen);
    n += alen;
    memcpy(out + n, dst->ip, alen);
    n += alen;
    out[n++] = (uint8_t)(src->port >> 8);
    out[n++] = (uint8_t)src->port;
    out[n++] = (uint8_t)(dst->port >> 8);
    out[n++] = (uint8_t)dst->port;
    return n;
}

size_t proxy_header(enum proxy_version v, const struct proxy_addr *src,
                    const struct proxy_addr *dst, uint8_t *out)
{
    switch (v) {
    case PROXY_V1:
        return header_v1(src, dst, out);
    case PROXY_V2:
        return header_v2(src, dst, out);
    case PROXY_NONE:
        break;
    }
    return 0;
}
