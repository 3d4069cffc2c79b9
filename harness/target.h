/* target: where and how to talk to a server under test. Parsed from a
 * target file (docs/target-format.md) or built from --target by suite/;
 * read by the engine. The target owns the session prologue (how `open`
 * opens a session) and the fixture values cases draw on. */
#ifndef SMTPSUITE_TARGET_H
#define SMTPSUITE_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/proxy.h"

enum target_transport {
    TARGET_TCP,  /* host (name, IPv4 or IPv6) and port */
    TARGET_UNIX, /* a UNIX-domain socket path */
    TARGET_EXEC, /* a command whose stdin and stdout speak SMTP
                    (sendmail -bs, exim -bs) */
};

enum target_tls {
    TARGET_TLS_NONE,
    TARGET_TLS_STARTTLS, /* the prologue does STARTTLS after EHLO */
    TARGET_TLS_IMPLICIT, /* TLS from the first byte (RFC 8314) */
};

enum target_protocol {
    TARGET_SMTP,
    TARGET_LMTP,
};

enum target_hello {
    TARGET_HELLO_EHLO, /* default (LHLO when protocol is lmtp) */
    TARGET_HELLO_HELO,
    TARGET_HELLO_NONE, /* banner only */
};

enum target_verify {
    TARGET_VERIFY_NONE,   /* no certificate check (default) */
    TARGET_VERIFY_SYSTEM, /* the system trust store */
    TARGET_VERIFY_CAFILE, /* ca_file */
};

struct target_tls_opts {
    enum target_verify verify;
    char *ca_file;
    bool check_name;    /* the certificate must name servername/host */
    char *servername;   /* name to check and send as SNI; default host */
    bool no_sni;
    char *cert_file, *key_file; /* client certificate */
    char *min_proto, *max_proto; /* "TLSv1.2", "TLSv1.3" */
    char *ciphers;      /* TLS 1.2 cipher list */
    char *suites;       /* TLS 1.3 cipher suites */
};

struct target_fixture {
    char *name;
    char *value;  /* resolved (env:/file: read at load time) */
    size_t len;
    bool secret;  /* from env:/file:, or declared secret: redact */
};

struct target_xfail {
    char *pattern; /* case id glob */
    char *reason;
    int64_t until_us; /* wall clock; 0 = no date */
};

struct target {
    char *name;
    char *file; /* the target file, or NULL from --target */
    enum target_transport transport;
    char *host; /* TCP; may be "[::1]" style unbracketed ("::1") */
    char *port;
    char *path; /* UNIX */
    char *command; /* EXEC: run with /bin/sh -c */
    char *bind; /* source address, or NULL */
    enum target_tls tls;
    struct target_tls_opts tls_opts;
    enum target_protocol protocol;
    enum target_hello hello;
    char *helo_name; /* default "client.test" */
    char *auth_mech; /* prologue AUTH mechanism, or NULL */
    /* PROXY protocol header sent on connect, before the greeting (and
     * before implicit TLS), claiming proxy_source -> proxy_dest
     * ("ADDR:PORT"; NULL: the connection's own addresses). */
    enum proxy_version proxy;
    char *proxy_source, *proxy_dest;
    /* Postfix XCLIENT attributes ("ADDR=192.0.2.1 NAME=x.test") the
     * prologue sends after the hello: after STARTTLS's hello unless
     * xclient_before_tls; each XCLIENT is answered by a new 220 greeting
     * and followed by the hello again. NULL: none. */
    char *xclient;
    bool xclient_before_tls;
    char *xforward; /* XFORWARD attributes, after the last hello; or NULL */

    struct target_fixture *fixtures;
    size_t nfixtures, capfixtures;
    struct target_xfail *xfails;
    size_t nxfails, capxfails;
};

struct target *target_new(void); /* defaults filled in */
void target_free(struct target *t); /* NULL is a no-op */
/* Sets (or replaces) a fixture; copies name and value. */
void target_set_fixture(struct target *t, const char *name,
                        const char *value, size_t len, bool secret);
const struct target_fixture *target_fixture(const struct target *t,
                                            const char *name);
/* "127.0.0.1:2525", "[::1]:25", "unix:/path" or "exec:CMD" (caller
 * frees). */
char *target_address(const struct target *t);
/* Parses --target ADDR: HOST:PORT, [IPV6]:PORT, unix:/PATH, exec:CMD. Returns 0
 * or -1 with the reason in err. */
int target_parse_address(struct target *t, const char *addr, char *err,
                         size_t errlen);
/* Checks XCLIENT/XFORWARD attributes: NAME=VALUE words separated by
 * single spaces, NAME letters or '_', VALUE visible ASCII (xtext, RFC
 * 3461 4), at most TARGET_MAX_ATTRS octets. 0, or -1 with err. */
#define TARGET_MAX_ATTRS 512
int target_check_attrs(const char *s, char *err, size_t errlen);
/* The xfail entry whose pattern matches id, or NULL. */
const struct target_xfail *target_xfail_for(const struct target *t,
                                            const char *id);

#endif
