/* sink_profile: the sink's profiles, one row each: which protocol it
 * speaks (SMTP or LMTP, RFC 2033), which EHLO keywords it advertises,
 * how it greets, and what it needs (TLS). The extension list is the one
 * place a new capability (STARTTLS, AUTH, REQUIRETLS ...) is named. */
#ifndef SMTPSUITE_SINK_PROFILE_H
#define SMTPSUITE_SINK_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

/* EHLO keywords the sink knows, in advertisement order. STARTTLS and
 * AUTH are listed now so the TLS and AUTH work adds rows, not code
 * paths; no profile advertises them yet. */
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
    X(BINARYMIME, "BINARYMIME") /* RFC 3030 3; no profile: `add BINARYMIME` */

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
    bool needs_tls; /* implicit TLS or STARTTLS required: not built yet */
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
