/* Tests of the SASL client (harness/sasl.h): the published vectors (RFC
 * 2195, RFC 4616, RFC 5802, RFC 7677, RFC 7628, Google's XOAUTH2
 * example), SASLprep cases of RFC 4013 section 3, every error a server
 * can cause, limits, secrets, and the heavy-work contract run on another
 * thread. The vectors come from the RFC texts, not from this code; the
 * server side is tested against the client in test_sasl_server.c and
 * against GNU SASL in tests/e2e/sasl_gsasl.sh. */
#define TEST_NAME "sasl"
#include "harness/b64.h"
#include "harness/sasl.h"
#include "harness/sasl_crypto.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

static struct sasl_client *mk(const char *mech, const char *user,
                              const char *pass, const char *nonce)
{
    char err[256];
    struct sasl_client_params p = {
        .mech = mech, .creds = {user, pass, NULL, NULL}, .nonce = nonce};
    struct sasl_client *c = sasl_client_new(&p, err, sizeof err);
    ck_assert_msg(c != NULL, "%s: sasl_client_new: %s", mech, err);
    return c;
}

/* Base64 of raw[0..n) in a static buffer. */
static const char *enc(const void *raw, size_t n)
{
    static char out[SASL_MAX_LINE + 1];
    struct buf b;
    buf_init(&b, SASL_MAX_LINE);
    ck_assert_int_eq(b64_encode(&b, raw, n), BUF_OK);
    snprintf(out, sizeof out, "%s", buf_str(&b));
    buf_free(&b);
    return out;
}

/* The decoded response line in a static buffer; *n its length. */
static const char *dec(const struct sasl_response *r, size_t *n)
{
    static char out[SASL_MAX_MSG + 1];
    struct buf b;
    buf_init(&b, SASL_MAX_MSG);
    const char *line = buf_str(&r->line);
    ck_assert_msg(b64_decode(&b, line, r->line.len, NULL) == B64_OK,
                  "response '%s' is not base64", line);
    memcpy(out, buf_str(&b), b.len + 1);
    if (n)
        *n = b.len;
    buf_free(&b);
    return out;
}

/* Steps with the raw challenge s, doing any heavy work inline. */
static enum sasl_step step(struct sasl_client *c, const char *s,
                           struct sasl_response *r)
{
    const char *line = enc(s, strlen(s));
    enum sasl_step st = sasl_client_step(c, line, strlen(line), r);
    if (st == SASL_STEP_WORK) {
        ck_assert(sasl_client_needs_work(c));
        sasl_client_work(c);
        ck_assert(!sasl_client_needs_work(c));
        st = sasl_client_resume(c, r);
    }
    return st;
}

static void want_send(enum sasl_step st, const struct sasl_response *r,
                      const char *raw, size_t rawlen, const char *what)
{
    ck_assert_msg(st == SASL_STEP_SEND, "%s: status got %s want SEND", what,
                  sasl_step_name(st));
    ck_assert_msg(r->secret, "%s: response not marked secret", what);
    size_t n = 0;
    const char *got = dec(r, &n);
    ck_assert_msg(n == rawlen && memcmp(got, raw, n) == 0,
                  "%s: got '%s' want '%s'", what, got, raw);
}

#define WANT_SEND(st, r, lit, what) want_send(st, r, lit, sizeof(lit) - 1, what)

/* ---- RFC 2195 section 2 ---------------------------------------------- */

START_TEST(test_cram_md5_rfc2195)
{
    struct sasl_client *c = mk("CRAM-MD5", "tim", "tanstaaftanstaaf", NULL);
    struct sasl_response r;
    sasl_response_init(&r);
    ck_assert_int_eq(sasl_client_start(c, true, &r), SASL_STEP_NONE);
    ck_assert_uint_eq(r.line.len, 0);
    enum sasl_step st =
        step(c, "<1896.697170952@postoffice.reston.mci.net>", &r);
    WANT_SEND(st, &r, "tim b913a602c7eda7a495b4e6e7334d3890", "CRAM-MD5");
    ck_assert(sasl_client_complete(c));
    /* The RFC's base64 form of the same response. */
    ck_assert_str_eq(buf_str(&r.line),
                     "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
    ck_assert_int_eq(step(c, "again", &r), SASL_STEP_FAIL);
    ck_assert_int_eq(sasl_client_error(c), SASL_ERR_UNEXPECTED);
    sasl_response_free(&r);
    sasl_client_free(c);
}
END_TEST

/* ---- RFC 5802 section 5 and RFC 7677 section 3 ------------------------- */

struct scram_vec {
    const char *mech, *nonce, *first, *server_first, *final, *server_final;
};

static const struct scram_vec SCRAM[] = {
    {"SCRAM-SHA-1", "fyko+d2lbbFgONRv9qkxdawL",
     "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
     "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
     "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
     "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
     "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="},
    {"SCRAM-SHA-256", "rOprNGfwEbeRWgbNEkqO",
     "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
     "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
     "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
     "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
     "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
     "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="},
};

/* Runs a vector up to the client-final message. */
static struct sasl_client *scram_to_final(const struct scram_vec *v,
                                          struct sasl_response *r)
{
    struct sasl_client *c = mk(v->mech, "user", "pencil", v->nonce);
    enum sasl_step st = sasl_client_start(c, true, r);
    want_send(st, r, v->first, strlen(v->first), "client-first");
    st = sasl_client_step(c, enc(v->server_first, strlen(v->server_first)),
                          strlen(enc(v->server_first, strlen(v->server_first))),
                          r);
    ck_assert_msg(st == SASL_STEP_WORK, "%s: got %s want WORK", v->mech,
                  sasl_step_name(st));
    ck_assert_uint_eq(r->line.len, 0);
    sasl_client_work(c);
    st = sasl_client_resume(c, r);
    want_send(st, r, v->final, strlen(v->final), "client-final");
    ck_assert(!sasl_client_complete(c));
    return c;
}

START_TEST(test_scram_vectors)
{
    const struct scram_vec *v = &SCRAM[_i];
    struct sasl_response r;
    sasl_response_init(&r);
    struct sasl_client *c = scram_to_final(v, &r);
    enum sasl_step st = step(c, v->server_final, &r);
    WANT_SEND(st, &r, "", "answer to server-final");
    ck_assert_str_eq(buf_str(&r.line), "");
    ck_assert(sasl_client_complete(c));
    ck_assert_uint_eq(sasl_client_warnings(c), 0);
    sasl_client_free(c);
    sasl_response_free(&r);
}
END_TEST

START_TEST(test_scram_tampered_signature)
{
    const struct scram_vec *v = &SCRAM[_i];
    struct sasl_response r;
    sasl_response_init(&r);
    struct sasl_client *c = scram_to_final(v, &r);
    char bad[128];
    snprintf(bad, sizeof bad, "%s", v->server_final);
    bad[3] = bad[3] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(step(c, bad, &r), SASL_STEP_FAIL);
    ck_assert_int_eq(sasl_client_error(c), SASL_ERR_SIGNATURE);
    ck_assert_int_eq(sasl_error_blame(SASL_ERR_SIGNATURE), SASL_BLAME_PEER);
    ck_assert(!sasl_client_complete(c));
    ck_assert_ptr_null(strstr(sasl_client_error_text(c), "pencil"));
    /* After a failure the engine cancels. */
    ck_assert_int_eq(sasl_client_cancel(c, &r), SASL_STEP_SEND);
    ck_assert_str_eq(buf_str(&r.line), "*");
    ck_assert(r.cancel && r.secret);
    sasl_client_free(c);
    sasl_response_free(&r);
}
END_TEST

/* Server-first and server-final messages a client must refuse. */
struct scram_bad {
    const char *name;
    const char *server_first; /* NULL: use the vector's */
    const char *server_final; /* used when server_first is NULL */
    enum sasl_error err;
    unsigned max_iter;
};

#define SF_NONCE "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j"
static const struct scram_bad SCRAM_BAD[] = {
    {"foreign-nonce",
     "r=XXXX+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096", NULL,
     SASL_ERR_NONCE, 0},
    {"nonce-not-extended",
     "r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096", NULL,
     SASL_ERR_NONCE, 0},
    {"nonce-comma-free-but-space",
     "r=fyko+d2lbbFgONRv9qkxdawL a,s=QSXCR+Q6sek8bf92,i=4096", NULL,
     SASL_ERR_SYNTAX, 0},
    {"iter-over-cap", SF_NONCE ",s=QSXCR+Q6sek8bf92,i=1000001", NULL,
     SASL_ERR_ITER_LIMIT, 0},
    {"iter-over-custom-cap", SF_NONCE ",s=QSXCR+Q6sek8bf92,i=4097", NULL,
     SASL_ERR_ITER_LIMIT, 4096},
    {"iter-huge", SF_NONCE ",s=QSXCR+Q6sek8bf92,i=99999999999", NULL,
     SASL_ERR_SYNTAX, 0},
    {"iter-zero", SF_NONCE ",s=QSXCR+Q6sek8bf92,i=0", NULL, SASL_ERR_SYNTAX, 0},
    {"iter-leading-zero", SF_NONCE ",s=QSXCR+Q6sek8bf92,i=04096", NULL,
     SASL_ERR_SYNTAX, 0},
    {"iter-negative", SF_NONCE ",s=QSXCR+Q6sek8bf92,i=-1", NULL,
     SASL_ERR_SYNTAX, 0},
    {"salt-not-base64", SF_NONCE ",s=QSXCR+Q6sek8bf9,i=4096", NULL,
     SASL_ERR_SYNTAX, 0},
    {"salt-empty", SF_NONCE ",s=,i=4096", NULL, SASL_ERR_SYNTAX, 0},
    {"order", "s=QSXCR+Q6sek8bf92," SF_NONCE ",i=4096", NULL, SASL_ERR_SYNTAX,
     0},
    {"missing-iter", SF_NONCE ",s=QSXCR+Q6sek8bf92", NULL, SASL_ERR_SYNTAX, 0},
    {"trailing-comma", SF_NONCE ",s=QSXCR+Q6sek8bf92,i=4096,", NULL,
     SASL_ERR_SYNTAX, 0},
    {"mandatory-ext", "m=x," SF_NONCE ",s=QSXCR+Q6sek8bf92,i=4096", NULL,
     SASL_ERR_SYNTAX, 0},
    {"error-first", "e=other-error", NULL, SASL_ERR_SERVER_ERROR, 0},
    {"empty", "", NULL, SASL_ERR_SYNTAX, 0},
    {"final-error", NULL, "e=invalid-proof", SASL_ERR_SERVER_ERROR, 0},
    {"final-no-v", NULL, "x=rmF9pqV8S7suAoZWja4dJRkFsKQ=", SASL_ERR_SYNTAX, 0},
    {"final-short-v", NULL, "v=rmF9pqV8S7suAoZWja4dJRkF", SASL_ERR_SIGNATURE,
     0},
    {"final-v-not-base64", NULL, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ",
     SASL_ERR_SIGNATURE, 0},
    {"final-empty", NULL, "", SASL_ERR_SYNTAX, 0},
};

START_TEST(test_scram_refusals)
{
    const struct scram_bad *t = &SCRAM_BAD[_i];
    const struct scram_vec *v = &SCRAM[0];
    char err[256];
    struct sasl_client_params p = {.mech = v->mech,
                                   .creds = {"user", "pencil", NULL, NULL},
                                   .nonce = v->nonce,
                                   .scram_max_iter = t->max_iter};
    struct sasl_client *c = sasl_client_new(&p, err, sizeof err);
    struct sasl_response r;
    sasl_response_init(&r);
    ck_assert_int_eq(sasl_client_start(c, true, &r), SASL_STEP_SEND);
    const char *sf = t->server_first ? t->server_first : v->server_first;
    enum sasl_step st = step(c, sf, &r);
    if (!t->server_first)
        st = step(c, t->server_final, &r);
    ck_assert_msg(st == SASL_STEP_FAIL, "%s: got %s want FAIL", t->name,
                  sasl_step_name(st));
    ck_assert_msg(
        sasl_client_error(c) == t->err, "%s: error got '%s' want '%s'", t->name,
        sasl_error_text(sasl_client_error(c)), sasl_error_text(t->err));
    ck_assert_msg(*sasl_client_error_text(c), "%s: no error text", t->name);
    ck_assert_uint_eq(r.line.len, 0);
    /* A failed client stays failed. */
    ck_assert_int_eq(step(c, "anything", &r), SASL_STEP_FAIL);
    sasl_client_free(c);
    sasl_response_free(&r);
}
END_TEST

START_TEST(test_scram_low_iter_warns)
{
    /* i=1 is allowed with a warning; extensions after i= are ignored. */
    struct sasl_client *c = mk("SCRAM-SHA-1", "user", "pencil", "abc");
    struct sasl_response r;
    sasl_response_init(&r);
    ck_assert_int_eq(sasl_client_start(c, true, &r), SASL_STEP_SEND);
    ck_assert_int_eq(step(c, "r=abcdef,s=QSXCR+Q6sek8bf92,i=1,x=ext", &r),
                     SASL_STEP_SEND);
    ck_assert_uint_eq(sasl_client_warnings(c), SASL_WARN_LOW_ITER);
    ck_assert_ptr_nonnull(strstr(dec(&r, NULL), ",r=abcdef,p="));
    sasl_client_free(c);
    sasl_response_free(&r);
}
END_TEST

/* ---- usernames: escaping and SASLprep -------------------------------- */

struct first_vec {
    const char *user, *authzid, *want;
};

static const struct first_vec FIRST[] = {
    {"u,s=er", NULL, "n,,n=u=2Cs=3Der,r=N"},
    {"==", NULL, "n,,n==3D=3D,r=N"},
    {"user", "a,b=c", "n,a=a=2Cb=3Dc,n=user,r=N"},
    /* RFC 4013 section 3: SOFT HYPHEN mapped to nothing, U+2168 to "IX",
     * U+00AA to "a". */
    {"I\xc2\xadX", NULL, "n,,n=IX,r=N"},
    {"\xe2\x85\xa8", NULL, "n,,n=IX,r=N"},
    {"\xc2\xaa", NULL, "n,,n=a,r=N"},
    {"USER", NULL, "n,,n=USER,r=N"},
};

START_TEST(test_scram_client_first)
{
    const struct first_vec *t = &FIRST[_i];
    char err[256];
    struct sasl_client_params p = {.mech = "scram-sha-256",
                                   .creds = {t->user, "pw", NULL, t->authzid},
                                   .nonce = "N"};
    struct sasl_client *c = sasl_client_new(&p, err, sizeof err);
    ck_assert_msg(c, "%s", err);
    struct sasl_response r;
    sasl_response_init(&r);
    enum sasl_step st = sasl_client_start(c, true, &r);
    want_send(st, &r, t->want, strlen(t->want), t->user);
    sasl_client_free(c);
    sasl_response_free(&r);
}
END_TEST

struct prep_vec {
    const char *in;
    bool stored;
    const char *want; /* NULL: refused */
};

/* RFC 4013 section 3, and what a stored string refuses on top. */
static const struct prep_vec PREP[] = {
    {"I\xc2\xadX", true, "IX"},
    {"user", true, "user"},
    {"USER", true, "USER"},
    {"\xc2\xaa", true, "a"},
    {"\xe2\x85\xa8", true, "IX"},
    {"\x07", true, NULL},
    {"\xd8\xa7"
     "1",
     true, NULL},
    {"a\xc2\xa0"
     "b",
     true, "a b"},
    {"\xf3\xa0\x80\x81", false, NULL}, /* U+E0001 language tag: prohibited */
    {"\xc8\xb7", false, "\xc8\xb7"},   /* U+0237: unassigned in 3.2 */
    {"\xc8\xb7", true, NULL},
    {"\xff", true, NULL}, /* not UTF-8 */
};

START_TEST(test_saslprep)
{
    const struct prep_vec *t = &PREP[_i];
    char *got = sasl_crypto_saslprep(t->in, t->stored);
    if (!t->want) {
        ck_assert_msg(got == NULL, "case %d: got '%s' want refusal", _i, got);
    } else {
        ck_assert_msg(got && strcmp(got, t->want) == 0,
                      "case %d: got '%s' want '%s'", _i, got ? got : "(null)",
                      t->want);
    }
    free(got);
}
END_TEST

START_TEST(test_saslprep_refused_credentials)
{
    char err[256];
    /* A prohibited password (U+0007) or user (bidi violation). */
    struct sasl_client_params p = {.mech = "SCRAM-SHA-1",
                                   .creds = {"user", "a\x07", NULL, NULL}};
    ck_assert_ptr_null(sasl_client_new(&p, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "password"));
    ck_assert_ptr_null(strstr(err, "a\x07"));
    p.creds.user = "\xd8\xa7"
                   "1";
    p.creds.pass = "pencil";
    ck_assert_ptr_null(sasl_client_new(&p, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "user"));
    /* An unassigned code point is fine in a user (query), not in a
     * password (stored string), RFC 5802 section 5.1. */
    p.creds.user = "\xc8\xb7";
    struct sasl_client *c = sasl_client_new(&p, err, sizeof err);
    ck_assert_msg(c, "%s", err);
    sasl_client_free(c);
    p.creds.pass = "\xc8\xb7";
    ck_assert_ptr_null(sasl_client_new(&p, err, sizeof err));
}
END_TEST

/* ---- PLAIN (RFC 4616), LOGIN ----------------------------------------- */

START_TEST(test_plain)
{
    struct sasl_response r;
    sasl_response_init(&r);
    /* RFC 4616 section 4, first example. */
    struct sasl_client *c = mk("PLAIN", "tim", "tanstaaftanstaaf", NULL);
    ck_assert_int_eq(sasl_client_start(c, true, &r), SASL_STEP_SEND);
    ck_assert_str_eq(buf_str(&r.line), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
    ck_assert(r.secret);
    ck_assert(sasl_client_complete(c));
    ck_assert_int_eq(step(c, "more?", &r), SASL_STEP_FAIL);
    ck_assert_int_eq(sasl_client_error(c), SASL_ERR_UNEXPECTED);
    sasl_client_free(c);

    /* Second example: authzid "Ursel", authcid "Kurt". */
    char err[256];
    struct sasl_client_params p = {
        .mech = "PLAIN", .creds = {"Kurt", "xipj3plmq", NULL, "Ursel"}};
    c = sasl_client_new(&p, err, sizeof err);
    ck_assert_int_eq(sasl_client_start(c, true, &r), SASL_STEP_SEND);
    ck_assert_str_eq(buf_str(&r.line), "VXJzZWwAS3VydAB4aXBqM3BsbXE=");
    sasl_client_free(c);

    /* Without an initial response: the empty 334 gets the message. */
    c = mk("PLAIN", "user", "pencil", NULL);
    ck_assert_int_eq(sasl_client_start(c, false, &r), SASL_STEP_NONE);
    ck_assert_int_eq(sasl_client_step(c, "", 0, &r), SASL_STEP_SEND);
    ck_assert_str_eq(buf_str(&r.line), "AHVzZXIAcGVuY2ls");
    ck_assert_uint_eq(sasl_client_warnings(c), 0);
    ck_assert(sasl_client_complete(c));
    sasl_client_free(c);

    /* A non-empty first challenge is answered, with a warning. */
    c = mk("PLAIN", "user", "pencil", NULL);
    ck_assert_int_eq(sasl_client_start(c, false, &r), SASL_STEP_NONE);
    ck_assert_int_eq(step(c, "hello", &r), SASL_STEP_SEND);
    ck_assert_str_eq(buf_str(&r.line), "AHVzZXIAcGVuY2ls");
    ck_assert_uint_eq(sasl_client_warnings(c), SASL_WARN_FIRST_CHALLENGE);
    sasl_client_free(c);
    sasl_response_free(&r);
}
END_TEST

START_TEST(test_login)
{
    struct sasl_response r;
    sasl_response_init(&r);
    struct sasl_client *c = mk("login", "user", "pencil", NULL);
    ck_assert_int_eq(sasl_client_start(c, true, &r), SASL_STEP_NONE);
    ck_assert_int_eq(sasl_client_step(c, "VXNlcm5hbWU6", 12, &r),
                     SASL_STEP_SEND);
    ck_assert_str_eq(buf_str(&r.line), "dXNlcg==");
    ck_assert(!sasl_client_complete(c));
    ck_assert_int_eq(sasl_client_step(c, "UGFzc3dvcmQ6", 12, &r),
                     SASL_STEP_SEND);
    ck_assert_str_eq(buf_str(&r.line), "cGVuY2ls");
    ck_assert(r.secret);
    ck_assert(sasl_client_complete(c));
    ck_assert_int_eq(step(c, "Extra:", &r), SASL_STEP_FAIL);
    ck_assert_int_eq(sasl_client_error(c), SASL_ERR_UNEXPECTED);
    sasl_client_free(c);
    sasl_response_free(&r);
}
END_TEST

/* ---- XOAUTH2 and OAUTHBEARER ------------------------------------------ */

START_TEST(test_xoauth2)
{
    char err[256];
    struct sasl_response r;
    sasl_response_init(&r);
    /* Google's documented example. */
    struct sasl_client_params p = {
        .mech = "XOAUTH2",
        .creds = {"someuser@example.com", NULL,
                  "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", NULL}};
    struct sasl_client *c = sasl_client_new(&p, err, sizeof err);
    ck_assert_msg(c, "%s", err);
    ck_assert_int_eq(sasl_client_start(c, true, &r), SASL_STEP_SEND);
    ck_assert_str_eq(buf_str(&r.line),
                     "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5"
                     "LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cB"
                     "AQ==");
    ck_assert(sasl_client_complete(c));
    /* The error flow: a JSON challenge gets an empty line. */
    ck_assert_int_eq(step(c,
                          "{\"status\":\"401\",\"schemes\":\"Bearer\","
                          "\"scope\":\"https://mail.google.com/\"}",
                          &r),
                     SASL_STEP_SEND);
    ck_assert_str_eq(buf_str(&r.line), "");
    ck_assert_uint_eq(sasl_client_warnings(c), SASL_WARN_OAUTH_ERROR);
    ck_assert_int_eq(step(c, "{}", &r), SASL_STEP_FAIL);
    sasl_client_free(c);

    c = sasl_client_new(&p, err, sizeof err);
    ck_assert_int_eq(sasl_client_start(c, true, &r), SASL_STEP_SEND);
    ck_assert_int_eq(step(c, "not json", &r), SASL_STEP_SEND);
    ck_assert_uint_eq(sasl_client_warnings(c),
                      SASL_WARN_OAUTH_ERROR | SASL_WARN_OAUTH_JSON);
    sasl_client_free(c);

    /* A token that would break the ^A framing is refused up front. */
    p.creds.token = "abc\001def";
    ck_assert_ptr_null(sasl_client_new(&p, err, sizeof err));
    p.creds.token = NULL;
    ck_assert_ptr_null(sasl_client_new(&p, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "token"));
    sasl_response_free(&r);
}
END_TEST

START_TEST(test_oauthbearer_rfc7628)
{
    char err[256];
    struct sasl_response r;
    sasl_response_init(&r);
    /* RFC 7628 section 4.1 (IMAP, port 143), and 4.3's error flow. */
    struct sasl_client_params p = {
        .mech = "OAUTHBEARER",
        .creds = {"user@example.com", NULL,
                  "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", NULL},
        .host = "server.example.com",
        .port = 143};
    struct sasl_client *c = sasl_client_new(&p, err, sizeof err);
    ck_assert_msg(c, "%s", err);
    ck_assert_int_eq(sasl_client_start(c, true, &r), SASL_STEP_SEND);
    ck_assert_str_eq(buf_str(&r.line),
                     "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUu"
                     "Y29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNS"
                     "bGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB");
    const char *json = "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcG"
                       "xlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczov"
                       "L2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cm"
                       "F0aW9uIn0=";
    ck_assert_int_eq(sasl_client_step(c, json, strlen(json), &r),
                     SASL_STEP_SEND);
    ck_assert_str_eq(buf_str(&r.line), "AQ==");
    ck_assert_uint_eq(sasl_client_warnings(c), SASL_WARN_OAUTH_ERROR);
    sasl_client_free(c);

    /* No host or port; the authzid, escaped, goes in a=. */
    p.host = NULL;
    p.port = 0;
    p.creds.authzid = "a,b";
    c = sasl_client_new(&p, err, sizeof err);
    ck_assert_int_eq(sasl_client_start(c, false, &r), SASL_STEP_NONE);
    enum sasl_step st = sasl_client_step(c, "", 0, &r);
    WANT_SEND(st, &r,
              "n,a=a=2Cb,\001auth=Bearer "
              "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\001\001",
              "OAUTHBEARER without host");
    sasl_client_free(c);
    sasl_response_free(&r);
}
END_TEST

/* ---- the frame -------------------------------------------------------- */

START_TEST(test_bad_challenges)
{
    struct sasl_response r;
    sasl_response_init(&r);
    struct sasl_client *c = mk("LOGIN", "user", "pencil", NULL);
    ck_assert_int_eq(sasl_client_start(c, true, &r), SASL_STEP_NONE);
    ck_assert_int_eq(sasl_client_step(c, "VXNlcm5hbWU6 ", 13, &r),
                     SASL_STEP_FAIL);
    ck_assert_int_eq(sasl_client_error(c), SASL_ERR_BASE64);
    ck_assert_int_eq(sasl_error_blame(sasl_client_error(c)), SASL_BLAME_PEER);
    ck_assert_ptr_nonnull(strstr(sasl_client_error_text(c), "offset 12"));
    sasl_client_free(c);

    /* Longer than SASL_MAX_MSG once decoded. */
    c = mk("CRAM-MD5", "user", "pencil", NULL);
    ck_assert_int_eq(sasl_client_start(c, true, &r), SASL_STEP_NONE);
    char *big = malloc(SASL_MAX_LINE + 5);
    memset(big, 'A', SASL_MAX_LINE + 4);
    ck_assert_int_eq(sasl_client_step(c, big, SASL_MAX_LINE + 4, &r),
                     SASL_STEP_FAIL);
    ck_assert_int_eq(sasl_client_error(c), SASL_ERR_TOO_LONG);
    sasl_client_free(c);
    /* Exactly SASL_MAX_MSG is fine. */
    c = mk("CRAM-MD5", "user", "pencil", NULL);
    ck_assert_int_eq(sasl_client_start(c, true, &r), SASL_STEP_NONE);
    ck_assert_int_eq(sasl_client_step(c, big, SASL_MAX_LINE, &r),
                     SASL_STEP_SEND);
    free(big);
    sasl_client_free(c);

    /* An empty CRAM-MD5 challenge has nothing to sign. */
    c = mk("CRAM-MD5", "user", "pencil", NULL);
    ck_assert_int_eq(sasl_client_start(c, true, &r), SASL_STEP_NONE);
    ck_assert_int_eq(sasl_client_step(c, "", 0, &r), SASL_STEP_FAIL);
    ck_assert_int_eq(sasl_client_error(c), SASL_ERR_SYNTAX);
    sasl_client_free(c);
    sasl_response_free(&r);
}
END_TEST

struct new_vec {
    const char *mech, *user, *pass, *token, *nonce, *want_in_err;
};

static const struct new_vec NEW_BAD[] = {
    {"DIGEST-MD5", "u", "p", NULL, NULL, "unknown"},
    {NULL, "u", "p", NULL, NULL, "unknown"},
    {"PLAIN", NULL, "p", NULL, NULL, "user"},
    {"LOGIN", "u", "", NULL, NULL, "password"},
    {"CRAM-MD5", "u", NULL, NULL, NULL, "password"},
    {"SCRAM-SHA-1", "u", "p", NULL, "a,b", "nonce"},
    {"SCRAM-SHA-1", "u", "p", NULL, "", "nonce"},
    {"SCRAM-SHA-256", "u", "p", NULL, "sp ace", "nonce"},
    {"XOAUTH2", "u", NULL, NULL, NULL, "token"},
    {"XOAUTH2", NULL, NULL, "t", NULL, "user"},
    {"OAUTHBEARER", "u", "p", NULL, NULL, "token"},
};

START_TEST(test_new_refusals)
{
    const struct new_vec *t = &NEW_BAD[_i];
    char err[256] = "";
    struct sasl_client_params p = {.mech = t->mech,
                                   .creds = {t->user, t->pass, t->token, NULL},
                                   .nonce = t->nonce};
    ck_assert_ptr_null(sasl_client_new(&p, err, sizeof err));
    ck_assert_msg(strstr(err, t->want_in_err), "case %d: '%s' lacks '%s'", _i,
                  err, t->want_in_err);
}
END_TEST

START_TEST(test_limits)
{
    char err[256];
    char *longpw = malloc(SASL_MAX_CRED + 2);
    memset(longpw, 'p', SASL_MAX_CRED + 1);
    longpw[SASL_MAX_CRED + 1] = '\0';
    struct sasl_client_params p = {.mech = "PLAIN",
                                   .creds = {"u", longpw, NULL, NULL}};
    ck_assert_ptr_null(sasl_client_new(&p, err, sizeof err));
    longpw[SASL_MAX_CRED] = '\0';
    struct sasl_client *c = sasl_client_new(&p, err, sizeof err);
    ck_assert_msg(c, "%s", err);
    struct sasl_response r;
    sasl_response_init(&r);
    ck_assert_int_eq(sasl_client_start(c, true, &r), SASL_STEP_SEND);
    ck_assert_uint_eq(r.line.len, B64_ENCODED_LEN(SASL_MAX_CRED + 3));
    sasl_client_free(c);
    /* Three maximal credentials do not fit one PLAIN message. */
    p.creds.user = longpw;
    p.creds.authzid = longpw;
    c = sasl_client_new(&p, err, sizeof err);
    ck_assert_int_eq(sasl_client_start(c, true, &r), SASL_STEP_FAIL);
    ck_assert_int_eq(sasl_client_error(c), SASL_ERR_CREDS);
    ck_assert_ptr_null(strstr(sasl_client_error_text(c), "ppp"));
    sasl_client_free(c);
    free(longpw);
    sasl_response_free(&r);
}
END_TEST

START_TEST(test_names)
{
    for (int m = 0; m < SASL_MECH_COUNT; m++) {
        enum sasl_mech back;
        ck_assert_int_eq(
            sasl_mech_parse(sasl_mech_name((enum sasl_mech)m), &back), 0);
        ck_assert_int_eq(back, m);
    }
    ck_assert_str_eq(sasl_mech_name(SASL_MECH_SCRAM_SHA_256), "SCRAM-SHA-256");
    ck_assert_str_eq(sasl_error_text(SASL_ERR_NONCE),
                     "server nonce does not extend the client nonce");
    ck_assert_int_eq(sasl_error_blame(SASL_ERR_ITER_LIMIT), SASL_BLAME_LOCAL);
    ck_assert_int_eq(sasl_error_blame(SASL_ERR_SERVER_ERROR),
                     SASL_BLAME_REJECT);
    ck_assert_ptr_nonnull(strstr(sasl_warn_text(SASL_WARN_LOW_ITER), "4096"));
}
END_TEST

/* ---- the heavy work on another thread -------------------------------- */

static void *work_thread(void *arg)
{
    sasl_client_work(arg);
    return NULL;
}

START_TEST(test_work_on_thread)
{
    /* Several clients' PBKDF2 at once on their own threads, as the engine
     * will run them; each must give the RFC's proof. */
    enum { N = 4 };
    struct sasl_client *c[N];
    pthread_t t[N];
    struct sasl_response r;
    sasl_response_init(&r);
    const struct scram_vec *v = &SCRAM[1];
    const char *sf = enc(v->server_first, strlen(v->server_first));
    char sfline[256];
    snprintf(sfline, sizeof sfline, "%s", sf);
    for (int i = 0; i < N; i++) {
        c[i] = mk(v->mech, "user", "pencil", v->nonce);
        ck_assert_int_eq(sasl_client_start(c[i], true, &r), SASL_STEP_SEND);
        ck_assert_int_eq(sasl_client_step(c[i], sfline, strlen(sfline), &r),
                         SASL_STEP_WORK);
        ck_assert_int_eq(pthread_create(&t[i], NULL, work_thread, c[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
        enum sasl_step st = sasl_client_resume(c[i], &r);
        want_send(st, &r, v->final, strlen(v->final), "threaded");
        sasl_client_free(c[i]);
    }
    sasl_response_free(&r);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_cram_md5_rfc2195);
    tcase_add_loop_test(tc, test_scram_vectors, 0, 2);
    tcase_add_loop_test(tc, test_scram_tampered_signature, 0, 2);
    tcase_add_loop_test(tc, test_scram_refusals, 0,
                        sizeof SCRAM_BAD / sizeof SCRAM_BAD[0]);
    tcase_add_test(tc, test_scram_low_iter_warns);
    tcase_add_loop_test(tc, test_scram_client_first, 0,
                        sizeof FIRST / sizeof FIRST[0]);
    tcase_add_loop_test(tc, test_saslprep, 0, sizeof PREP / sizeof PREP[0]);
    tcase_add_test(tc, test_saslprep_refused_credentials);
    tcase_add_test(tc, test_plain);
    tcase_add_test(tc, test_login);
    tcase_add_test(tc, test_xoauth2);
    tcase_add_test(tc, test_oauthbearer_rfc7628);
    tcase_add_test(tc, test_bad_challenges);
    tcase_add_loop_test(tc, test_new_refusals, 0,
                        sizeof NEW_BAD / sizeof NEW_BAD[0]);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_work_on_thread);
}

#include "check_main.h"
