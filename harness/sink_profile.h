/* sink_profile: the sink's profiles, one row each: which protocol it
 * speaks (SMTP or LMTP, RFC 2033), which EHLO keywords it advertises,
 * how it greets, and what it needs (TLS). The extension list is the one
 * place a new capability (STARTTLS, AUTH, REQUIRETLS ...) is named. */
#ifndef SMTPSUITE_SINK_PROFILE_H
#define SMTPSUITE_SINK_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

/* EHLO keywords the sink knows, in advertisement order. STARTTLS is
 * advertised only before TLS and only by a sink with a TLS context;
 * AUTH carries the mechanisms (RFC 4954 3), fewer before TLS where the
 * profile keeps plaintext mechanisms for TLS. */
#define SINK_EXT_LIST(X)                                                       \
    X(PIPELINING, "PIPELINING")                                                \
    X(SIZE, "SIZE")                                                            \
    X(VRFY, "VRFY")                                                            \
    X(STARTTLS, "STARTTLS")                                                    \
    X(AUTH, "AUTH")                                                            \
    X(ENHANCEDSTATUSCODES, "ENHANCEDSTATUSCODES")                              \
    X(8BITMIME, "8BITMIME")                                                    \
    X(DSN, "DSN")                                                              \
    X(SMTPUTF8, "SMTPUTF8")                                                    \
    X(CHUNKING, "CHUNKING")                                                    \
    X(BINARYMIME, "BINARYMIME") /* RFC 3030 3; no profile: `add BINARYMIME` */ \
    X(PRDR, "PRDR") /* draft-hall-prdr-00; no profile: `EHLO -> add PRDR` */   \
    X(XCLIENT, "XCLIENT")   /* Postfix XCLIENT_README: xclient=on */           \
    X(XFORWARD, "XFORWARD") /* Postfix XFORWARD_README: xforward=on */

enum sink_ext {
#define X(e, s) SINK_EXT_##e,
    SINK_EXT_LIST(X)
#undef X
        SINK_EXT_COUNT
};

#define SINK_EXT_BIT(e) (1u << SINK_EXT_##e)

enum sink_protocol { SINK_PROTOCOL_SMTP, SINK_PROTOCOL_LMTP };

struct sink_profile {
    const char *name;
    const char *summary; /* one line for --help and docs */
    enum sink_protocol protocol;
    unsigned caps;         /* SINK_EXT_BIT() set advertised after EHLO/LHLO */
    bool refuse;           /* RFC 5321 3.1: 554 greeting, 503 to all but QUIT */
    bool relay_needs_auth; /* relaying refused with 530 (RFC 4954 6) */
    bool implicit_tls;     /* TLS from the first byte (RFC 8314 3.3) */
    bool tls_required;     /* MAIL before STARTTLS: 530 5.7.0 (RFC 3207 4) */
    bool auth_required;    /* MAIL before AUTH: 530 5.7.0 (RFC 4954 6) */
    bool auth_needs_tls;   /* plaintext mechanisms only over TLS: not
                              advertised before, 538 5.7.11 (RFC 4954 4) */
};

/* Returns the profile called name, or NULL. */
const struct sink_profile *sink_profile_find(const char *name);
/* Returns the table; *n receives its length. */
const struct sink_profile *sink_profile_all(size_t *n);
/* Returns the keyword of an extension ("CHUNKING"). */
const char *sink_ext_name(enum sink_ext e);
/* Finds an extension by keyword, case-insensitively; -1 if unknown. */
int sink_ext_find(const char *keyword, size_t len);

#endif
