/* sink_proxy: the sans-I/O reader of the PROXY protocol header (HAProxy's
 * proxy-protocol.txt, versions 1 and 2) the sink takes before its
 * greeting when it stands behind a load balancer, and the checker of
 * Postfix's XCLIENT and XFORWARD attribute lists (XCLIENT_README,
 * XFORWARD_README). Bytes in; done, need-more or error out. */
#ifndef SMTPSUITE_SINK_PROXY_H
#define SMTPSUITE_SINK_PROXY_H

#include <stdbool.h>
#include <stddef.h>

/* Which headers the sink takes (none: it greets at once). */
#define SINK_PROXY_MODE_LIST(X)                                                \
    X(NONE, "none")                                                            \
    X(V1, "v1") /* the text line, proxy-protocol.txt 2.1 */                    \
    X(V2, "v2") /* the binary header, proxy-protocol.txt 2.2 */                \
    X(ANY, "any")

enum sink_proxy_mode {
#define X(e, s) SINK_PROXY_##e,
    SINK_PROXY_MODE_LIST(X)
#undef X
        SINK_PROXY_MODE_COUNT
};

const char *sink_proxy_mode_name(enum sink_proxy_mode m);
/* Finds a mode by name; -1 if unknown. */
int sink_proxy_mode_find(const char *name);

#define SINK_PROXY_V1_MAX    107 /* octets of a v1 line with CRLF (2.1) */
#define SINK_PROXY_V2_SIG    12  /* octets of the v2 signature */
#define SINK_PROXY_V2_HEAD   16  /* signature, version, family, length */
#define SINK_PROXY_V2_MAX    (SINK_PROXY_V2_HEAD + 4096) /* with TLVs */
#define SINK_PROXY_ADDR_MAX  64                          /* "[IPV6]:PORT" */
#define SINK_PROXY_ERROR_MAX 128

enum sink_proxy_status {
    SINK_PROXY_NEED_MORE, /* a prefix of a valid header: read more */
    SINK_PROXY_DONE,      /* a whole header of r->used octets */
    SINK_PROXY_ERROR      /* not a (valid) header: r->error says why */
};

struct sink_proxy_result {
    int version; /* 1 or 2 (0 before the signature is known) */
    /* v1 UNKNOWN, v2 LOCAL or an unspecified family: no claim, the
     * connection's own addresses stand (2.1, 2.2). */
    bool local;
    /* DONE, not local: "192.0.2.1:4000", "[2001:db8::1]:4000" */
    char source[SINK_PROXY_ADDR_MAX];
    char dest[SINK_PROXY_ADDR_MAX];
    size_t used; /* DONE: octets of the header */
    char error[SINK_PROXY_ERROR_MAX];
};

/* Reads a header at the start of in[0..len) (everything the client sent
 * so far) as mode allows. Deterministic: the same bytes give the same
 * answer whatever their split; a wrong first octet is an error at once
 * (the receiver must not guess, 2). */
enum sink_proxy_status sink_proxy_parse(enum sink_proxy_mode mode,
                                        const void *in, size_t len,
                                        struct sink_proxy_result *r);

/* The attributes each command takes, as its EHLO line lists them. */
#define SINK_PROXY_XCLIENT_ATTRS                                               \
    "NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT"
#define SINK_PROXY_XFORWARD_ATTRS "NAME ADDR PORT PROTO HELO IDENT SOURCE"

/* XCLIENT or XFORWARD (which: the upper-case verb) attributes: one or
 * more NAME=VALUE words, names from the command's list (any case), values
 * xtext (RFC 3461 4) without spaces. Returns true, or false with a
 * one-line reason in err. */
bool sink_proxy_attrs_valid(const char *which, const char *args, char *err,
                            size_t errlen);

#endif
