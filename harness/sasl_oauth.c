/* sasl_oauth: the client side of XOAUTH2 (Google's and Microsoft's
 * documented format) and OAUTHBEARER (RFC 7628). Both send the bearer
 * token in the initial response; a server that refuses it answers with a
 * JSON error challenge, which the client acknowledges (XOAUTH2: an empty
 * response; OAUTHBEARER: %x01, RFC 7628 section 3.2.3) so the server can
 * end the exchange with 535. */
#include "harness/sasl_client_mech.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* Nonzero if s has no control characters (which would break the ^A
 * framing) and, for a token, no spaces. */
static bool clean(const char *s, bool token)
{
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f || (token && ch == ' '))
            return false;
    }
    return true;
}

static int oauth_init(struct sasl_client *c, char *err, size_t errlen)
{
    if (!clean(c->token, true) || !clean(c->user, false) ||
        !clean(c->authzid, false) || !clean(c->host, false)) {
        snprintf(err, errlen,
                 "%s: control characters or spaces in a "
                 "credential",
                 sasl_mech_name(c->ops->mech));
        return -1;
    }
    return 0;
}

/* XOAUTH2: "user=" user ^A "auth=Bearer " token ^A ^A */
static enum sasl_rc xoauth2_initial(struct sasl_client *c, struct buf *msg)
{
    if (buf_addf(msg, "user=%s\001auth=Bearer %s\001\001", c->user, c->token) !=
        BUF_OK)
        return sasl_client_fail(c, SASL_ERR_CREDS,
                                "XOAUTH2 message longer than %d octets",
                                SASL_MAX_MSG);
    return SASL_RC_LAST; /* a later challenge can only be an error */
}

/* RFC 7628 section 3.1:
 *   gs2-header kvsep *(kvpair) kvsep, kvsep = %x01
 *   gs2-header = "n," ["a=" saslname] ","
 * The authzid defaults to the user, as in the RFC's examples. */
static enum sasl_rc oauthbearer_initial(struct sasl_client *c, struct buf *msg)
{
    const char *who = c->authzid ? c->authzid : c->user;
    enum buf_status st = buf_adds(msg, "n,");
    if (who) {
        st |= buf_adds(msg, "a=");
        st |= sasl_client_saslname(msg, who);
    }
    st |= buf_adds(msg, ",\001");
    if (c->host)
        st |= buf_addf(msg, "host=%s\001", c->host);
    if (c->port)
        st |= buf_addf(msg, "port=%u\001", c->port);
    st |= buf_addf(msg, "auth=Bearer %s\001\001", c->token);
    if (st != BUF_OK)
        return sasl_client_fail(c, SASL_ERR_CREDS,
                                "OAUTHBEARER message longer than %d octets",
                                SASL_MAX_MSG);
    return SASL_RC_LAST; /* a later challenge can only be an error */
}

/* Notes whether the error challenge is the JSON object with a "status"
 * member that RFC 7628 section 3.2.2 (and Google for XOAUTH2) describe. */
static void check_error_json(struct sasl_client *c, const unsigned char *in,
                             size_t n)
{
    c->warnings |= SASL_WARN_OAUTH_ERROR;
    json_error_t jerr;
    json_t *j = json_loadb((const char *)in, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(j) || !json_is_string(json_object_get(j, "status")))
        c->warnings |= SASL_WARN_OAUTH_JSON;
    json_decref(j);
}

static enum sasl_rc oauth_step(struct sasl_client *c, const unsigned char *in,
                               size_t n, struct buf *msg)
{
    if (c->round > 0)
        return sasl_client_unexpected(c, in, n);
    check_error_json(c, in, n);
    if (c->ops->mech == SASL_MECH_OAUTHBEARER)
        (void)buf_addc(msg, '\001');
    return SASL_RC_LAST;
}

const struct sasl_client_ops sasl_xoauth2_ops = {
    .mech = SASL_MECH_XOAUTH2,
    .needs = SASL_NEED_USER | SASL_NEED_TOKEN,
    .client_first = true,
    .init = oauth_init,
    .initial = xoauth2_initial,
    .step = oauth_step,
};

const struct sasl_client_ops sasl_oauthbearer_ops = {
    .mech = SASL_MECH_OAUTHBEARER,
    .needs = SASL_NEED_TOKEN,
    .client_first = true,
    .init = oauth_init,
    .initial = oauthbearer_initial,
    .step = oauth_step,
};
