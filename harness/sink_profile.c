/* sink_profile: the profile table of the sink (see sink_profile.h). */
#include "harness/sink_profile.h"

#include <string.h>
#include <strings.h>

#define CAPS_ESMTP                                                             \
    (SINK_EXT_BIT(PIPELINING) | SINK_EXT_BIT(SIZE) | SINK_EXT_BIT(VRFY) |      \
     SINK_EXT_BIT(ENHANCEDSTATUSCODES) | SINK_EXT_BIT(8BITMIME) |              \
     SINK_EXT_BIT(DSN) | SINK_EXT_BIT(SMTPUTF8) | SINK_EXT_BIT(CHUNKING))

/* RFC 2033 section 4: an LMTP server MUST support PIPELINING and
 * ENHANCEDSTATUSCODES. */
#define CAPS_LMTP CAPS_ESMTP

static const struct sink_profile PROFILES[] = {
    {.name = "mx",
     .summary = "a conformant MX on port 25 with STARTTLS (the default)",
     .protocol = SINK_PROTOCOL_SMTP,
     .caps = CAPS_ESMTP | SINK_EXT_BIT(STARTTLS)},
    {.name = "submission",
     .summary = "a message submission agent (RFC 6409): STARTTLS, AUTH; "
                "MAIL needs AUTH, passwords need TLS",
     .protocol = SINK_PROTOCOL_SMTP,
     .caps = CAPS_ESMTP | SINK_EXT_BIT(STARTTLS) | SINK_EXT_BIT(AUTH),
     .relay_needs_auth = true,
     .auth_required = true,
     .auth_needs_tls = true},
    {.name = "lmtp",
     .summary = "LMTP (RFC 2033): LHLO, one reply per recipient after data",
     .protocol = SINK_PROTOCOL_LMTP,
     .caps = CAPS_LMTP},
    {.name = "554-greeting",
     .summary = "RFC 5321 3.1: greets with 554, answers 503 to all but QUIT",
     .protocol = SINK_PROTOCOL_SMTP,
     .caps = CAPS_ESMTP,
     .refuse = true},
    {.name = "implicit-tls",
     .summary = "TLS from the first byte (RFC 8314 3.3), AUTH offered; "
                "relaying needs AUTH",
     .protocol = SINK_PROTOCOL_SMTP,
     .caps = CAPS_ESMTP | SINK_EXT_BIT(AUTH),
     .relay_needs_auth = true,
     .implicit_tls = true},
    {.name = "tls-required",
     .summary = "STARTTLS before mail: MAIL without TLS gets 530 5.7.0 "
                "(RFC 3207 4)",
     .protocol = SINK_PROTOCOL_SMTP,
     .caps = CAPS_ESMTP | SINK_EXT_BIT(STARTTLS),
     .tls_required = true},
};

static const char *const EXT_NAMES[] = {
#define X(e, s) s,
    SINK_EXT_LIST(X)
#undef X
};

const struct sink_profile *sink_profile_find(const char *name)
{
    for (size_t i = 0; i < sizeof PROFILES / sizeof PROFILES[0]; i++)
        if (strcmp(PROFILES[i].name, name) == 0)
            return &PROFILES[i];
    return NULL;
}

const struct sink_profile *sink_profile_all(size_t *n)
{
    *n = sizeof PROFILES / sizeof PROFILES[0];
    return PROFILES;
}

const char *sink_ext_name(enum sink_ext e)
{
    return (unsigned)e < SINK_EXT_COUNT ? EXT_NAMES[e] : "?";
}

int sink_ext_find(const char *keyword, size_t len)
{
    for (int i = 0; i < SINK_EXT_COUNT; i++)
        if (strlen(EXT_NAMES[i]) == len &&
            strncasecmp(EXT_NAMES[i], keyword, len) == 0)
            return i;
    return -1;
}
