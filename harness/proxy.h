/* proxy: the PROXY protocol header (HAProxy's proxy-protocol.txt, v1 text
 * and v2 binary) a client sends before the greeting when it talks to a
 * server behind a load balancer, claiming the original client and
 * server addresses. Pure: addresses in, bytes out; no sockets. */
#ifndef SMTPSUITE_PROXY_H
#define SMTPSUITE_PROXY_H

#include <stddef.h>
#include <stdint.h>

/* v1's longest line is 107 octets (2.1); v2 with IPv6 is 16 + 36. */
#define PROXY_MAX_HEADER    112
#define PROXY_MAX_ADDR_TEXT 64 /* "[IPV6]:PORT" */

enum proxy_version {
    PROXY_NONE,
    PROXY_V1,
    PROXY_V2,
};

struct proxy_addr {
    int family; /* AF_INET or AF_INET6; 0: unknown */
    uint8_t ip[16];
    uint16_t port;
};

/* Parses "A.B.C.D:PORT" or "[IPV6]:PORT" (a numeric address, a port of
 * 0-65535). Returns 0, or -1 with the reason in err. */
int proxy_parse_addr(const char *s, struct proxy_addr *out, char *err,
                     size_t errlen);
/* "none", "v1", "v2" -> the version; -1 for anything else. */
int proxy_version_parse(const char *s);
/* Writes the header of version v (V1 or V2) claiming a connection from
 * src to dst into out (PROXY_MAX_HEADER octets) and returns its length.
 * src or dst unknown (family 0), or of different families: v1 sends
 * "PROXY UNKNOWN", v2 the LOCAL command (2.1, 2.2). */
size_t proxy_header(enum proxy_version v, const struct proxy_addr *src,
                    const struct proxy_addr *dst, uint8_t *out);

#endif
