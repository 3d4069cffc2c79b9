/* Tests of the SASL server (harness/sasl_server.h, harness/sasl_users.h):
 * the RFC 2195, 5802, 7677 and 7628 exchanges replayed from the server's
 * side, SCRAM verifiers printed by GNU SASL's gsasl --mkpasswd (an
 * independent derivation), every outcome the sink maps to a reply, and
 * our client against our server for every mechanism with right and wrong
 * credentials. */
#define TEST_NAME "sasl_server"
#include "harness/b64.h"
#include "harness/sasl.h"
#include "harness/sasl_server.h"
#include "harness/sasl_users.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

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

static const char *dec(const struct buf *line)
{
    static char out[SASL_MAX_MSG + 1];
    struct buf b;
    buf_init(&b, SASL_MAX_MSG);
    ck_assert_msg(b64_decode(&b, buf_str(line), line->len, NULL) == B64_OK,
                  "challenge '%s' is not base64", buf_str(line));
    memcpy(out, buf_str(&b), b.len + 1);
    buf_free(&b);
    return out;
}

/* A table with one user; salt is base64 (NULL: random). */
static struct sasl_users *users1(const char *name, const char *pass,
                                 const char *token, const char *salt64)
{
    struct buf salt;
    buf_init(&salt, 64);
    if (salt64)
        ck_assert_int_eq(b64_decode(&salt, salt64, strlen(salt64), NULL),
                         B64_OK);
    struct sasl_users_params p = {4096, (const unsigned char *)salt.data,
                                  salt.len};
    struct sasl_users *u = sasl_users_new(&p);
    buf_free(&salt);
    char err[256];
    struct sasl_user e = {name, pass, token};
    ck_assert_msg(sasl_users_add(u, &e, err, sizeof err) == 0, "%s", err);
    return u;
}

static struct sasl_server *srv(const char *mech, const struct sasl_users *u,
                               const char *nonce, const char *host)
{
    char err[256];
    struct sasl_server_params p = {mech, u, nonce, host};
    struct sasl_server *s = sasl_server_new(&p, err, sizeof err);
    ck_assert_msg(s, "%s: %s", mech, err);
    return s;
}

/* Feeds the raw client message m (base64-encoding it). */
static enum sasl_outcome feed(struct sasl_server *s, const char *m, size_t n,
                              struct buf *ch)
{
    const char *line = enc(m, n);
    return sasl_server_step(s, line, strlen(line), ch);
}

#define FEED(s, lit, ch) feed(s, lit, sizeof(lit) - 1, ch)

static void want(enum sasl_outcome got, enum sasl_outcome w, const char *what,
                 const struct sasl_server *s)
{
    ck_assert_msg(got == w, "%s: got %s want %s (reason: %s)", what,
                  sasl_outcome_name(got), sasl_outcome_name(w),
                  sasl_server_reason(s));
}

/* ---- outcomes ------------------------------------------------------------ */

START_TEST(test_outcome_table)
{
    static const struct {
        enum sasl_outcome o;
        int code;
        const char *esc;
    } T[] = {
        {SASL_OUT_CHALLENGE, 334, ""},      {SASL_OUT_SUCCESS, 235, "2.7.0"},
        {SASL_OUT_BAD_CREDS, 535, "5.7.8"}, {SASL_OUT_AUTHZ, 535, "5.7.8"},
        {SASL_OUT_MALFORMED, 501, "5.5.2"}, {SASL_OUT_CANCELLED, 501, "5.7.0"},
        {SASL_OUT_TOO_LONG, 500, "5.5.6"},
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        ck_assert_int_eq(sasl_outcome_code(T[i].o), T[i].code);
        ck_assert_str_eq(sasl_outcome_esc(T[i].o), T[i].esc);
    }
    ck_assert_str_eq(sasl_outcome_name(SASL_OUT_BAD_CREDS), "BAD_CREDS");
}
END_TEST

/* ---- PLAIN -----------------------------------------------------------------
 */

struct plain_vec {
    const char *name;
    const char *ir;   /* base64 line; NULL: no initial response */
    const char *line; /* the answer to the empty challenge, if no ir */
    enum sasl_outcome want;
};

static const struct plain_vec PLAIN[] = {
    {"right", "AHVzZXIAcGVuY2ls", NULL, SASL_OUT_SUCCESS},
    {"right-no-ir", NULL, "AHVzZXIAcGVuY2ls", SASL_OUT_SUCCESS},
    {"authzid-self", "dXNlcgB1c2VyAHBlbmNpbA==", NULL, SASL_OUT_SUCCESS},
    {"authzid-other", "b3RoZXIAdXNlcgBwZW5jaWw=", NULL, SASL_OUT_AUTHZ},
    {"wrong-password", "AHVzZXIAcGVuY2lsMQ==", NULL, SASL_OUT_BAD_CREDS},
    {"unknown-user", "AGJvYgBwZW5jaWw=", NULL, SASL_OUT_BAD_CREDS},
    {"one-nul", "dXNlcgBwZW5jaWw=", NULL, SASL_OUT_MALFORMED},
    {"three-nuls", "AHVzZXIAcGVuAGNpbA==", NULL, SASL_OUT_MALFORMED},
    {"empty-password", "AHVzZXIA", NULL, SASL_OUT_MALFORMED},
    {"empty-ir", "=", NULL, SASL_OUT_MALFORMED},
    {"bad-base64", "!!!notbase64!!!", NULL, SASL_OUT_MALFORMED},
    {"bad-base64-answer", NULL, "AHVzZXIAcGVuY2ls ", SASL_OUT_MALFORMED},
    {"cancel-ir", "*", NULL, SASL_OUT_CANCELLED},
    {"cancel-answer", NULL, "*", SASL_OUT_CANCELLED},
    {"empty-answer", NULL, "", SASL_OUT_MALFORMED},
};

START_TEST(test_plain)
{
    const struct plain_vec *t = &PLAIN[_i];
    struct sasl_users *u = users1("user", "pencil", NULL, NULL);
    struct sasl_server *s = srv("PLAIN", u, NULL, NULL);
    struct buf ch;
    buf_init(&ch, SASL_MAX_LINE);
    enum sasl_outcome o =
        sasl_server_start(s, t->ir, t->ir ? strlen(t->ir) : 0, &ch);
    if (!t->ir) {
        want(o, SASL_OUT_CHALLENGE, t->name, s);
        ck_assert_str_eq(buf_str(&ch), "");
        o = sasl_server_step(s, t->line, strlen(t->line), &ch);
    }
    want(o, t->want, t->name, s);
    if (o == SASL_OUT_SUCCESS)
        ck_assert_str_eq(sasl_server_user(s), "user");
    else
        ck_assert_ptr_null(sasl_server_user(s));
    ck_assert_ptr_null(strstr(sasl_server_reason(s), "pencil"));
    buf_free(&ch);
    sasl_server_free(s);
    sasl_users_free(u);
}
END_TEST

START_TEST(test_too_long)
{
    struct sasl_users *u = users1("user", "pencil", NULL, NULL);
    struct sasl_server *s = srv("PLAIN", u, NULL, NULL);
    struct buf ch;
    buf_init(&ch, SASL_MAX_LINE);
    char *big = malloc(SASL_MAX_LINE + 4);
    memset(big, 'A', SASL_MAX_LINE + 4);
    want(sasl_server_start(s, big, SASL_MAX_LINE + 4, &ch), SASL_OUT_TOO_LONG,
         "too long", s);
    sasl_server_free(s);
    /* RFC 4954 AUTH-12: a 4000-octet password is an ordinary 535. */
    s = srv("PLAIN", u, NULL, NULL);
    char *msg = malloc(4100);
    memcpy(msg, "\0user\0", 6);
    memset(msg + 6, 'p', 4000);
    const char *line = enc(msg, 4006);
    want(sasl_server_start(s, line, strlen(line), &ch), SASL_OUT_BAD_CREDS,
         "4000-octet password", s);
    free(msg);
    free(big);
    buf_free(&ch);
    sasl_server_free(s);
    sasl_users_free(u);
}
END_TEST

/* ---- LOGIN -----------------------------------------------------------------
 */

START_TEST(test_login)
{
    struct sasl_users *u = users1("user", "pencil", NULL, NULL);
    struct buf ch;
    buf_init(&ch, SASL_MAX_LINE);
    struct sasl_server *s = srv("LOGIN", u, NULL, NULL);
    want(sasl_server_start(s, NULL, 0, &ch), SASL_OUT_CHALLENGE, "start", s);
    ck_assert_str_eq(buf_str(&ch), "VXNlcm5hbWU6"); /* "Username:" */
    want(FEED(s, "user", &ch), SASL_OUT_CHALLENGE, "user", s);
    ck_assert_str_eq(buf_str(&ch), "UGFzc3dvcmQ6"); /* "Password:" */
    want(FEED(s, "pencil", &ch), SASL_OUT_SUCCESS, "password", s);
    sasl_server_free(s);

    /* The user as initial response (OpenSMTPD, Exim accept it). */
    s = srv("LOGIN", u, NULL, NULL);
    want(sasl_server_start(s, "dXNlcg==", 8, &ch), SASL_OUT_CHALLENGE, "ir", s);
    ck_assert_str_eq(buf_str(&ch), "UGFzc3dvcmQ6");
    want(FEED(s, "wrong", &ch), SASL_OUT_BAD_CREDS, "wrong password", s);
    sasl_server_free(s);

    s = srv("LOGIN", u, NULL, NULL);
    want(sasl_server_start(s, NULL, 0, &ch), SASL_OUT_CHALLENGE, "start", s);
    want(sasl_server_step(s, "*", 1, &ch), SASL_OUT_CANCELLED, "cancel", s);
    sasl_server_free(s);
    buf_free(&ch);
    sasl_users_free(u);
}
END_TEST

/* ---- CRAM-MD5 (RFC 2195 section 2) ------------------------------------ */

START_TEST(test_cram_md5_rfc2195)
{
    struct sasl_users *u = users1("tim", "tanstaaftanstaaf", NULL, NULL);
    struct buf ch;
    buf_init(&ch, SASL_MAX_LINE);
    static const struct {
        const char *resp;
        enum sasl_outcome want;
    } T[] = {
        {"tim b913a602c7eda7a495b4e6e7334d3890", SASL_OUT_SUCCESS},
        {"tim B913A602C7EDA7A495B4E6E7334D3890", SASL_OUT_SUCCESS},
        {"tim b913a602c7eda7a495b4e6e7334d3891", SASL_OUT_BAD_CREDS},
        {"tom b913a602c7eda7a495b4e6e7334d3890", SASL_OUT_BAD_CREDS},
        {"tim b913a602c7eda7a495b4e6e7334d389", SASL_OUT_MALFORMED},
        {"timb913a602c7eda7a495b4e6e7334d3890", SASL_OUT_MALFORMED},
        {"tim b913a602c7eda7a495b4e6e7334d389g", SASL_OUT_MALFORMED},
        {" b913a602c7eda7a495b4e6e7334d3890", SASL_OUT_MALFORMED},
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        struct sasl_server *s =
            srv("CRAM-MD5", u, "1896.697170952", "postoffice.reston.mci.net");
        want(sasl_server_start(s, NULL, 0, &ch), SASL_OUT_CHALLENGE, "start",
             s);
        /* The RFC's base64 challenge, character for character. */
        ck_assert_str_eq(buf_str(&ch), "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2Uu"
                                       "cmVzdG9uLm1jaS5uZXQ+");
        want(feed(s, T[i].resp, strlen(T[i].resp), &ch), T[i].want, T[i].resp,
             s);
        sasl_server_free(s);
    }
    /* CRAM-MD5 has no initial response. */
    struct sasl_server *s = srv("CRAM-MD5", u, NULL, NULL);
    want(sasl_server_start(s, "dGlt", 4, &ch), SASL_OUT_MALFORMED, "ir", s);
    sasl_server_free(s);
    /* A random challenge is a msg-id. */
    s = srv("CRAM-MD5", u, NULL, "mx.example");
    want(sasl_server_start(s, NULL, 0, &ch), SASL_OUT_CHALLENGE, "random", s);
    const char *c = dec(&ch);
    ck_assert_msg(c[0] == '<' && strstr(c, "@mx.example>"), "challenge '%s'",
                  c);
    sasl_server_free(s);
    buf_free(&ch);
    sasl_users_free(u);
}
END_TEST

/* ---- SCRAM (RFC 5802 section 5, RFC 7677 section 3) -------------------- */

struct scram_vec {
    const char *mech, *salt, *snonce, *first, *server_first, *final,
        *server_final, *verifier;
};

static const struct scram_vec SCRAM[] = {
    {"SCRAM-SHA-1", "QSXCR+Q6sek8bf92", "3rfcNHYJY1ZVvWVs7j",
     "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
     "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
     "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
     "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
     "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
     /* gsasl --mkpasswd --mechanism=SCRAM-SHA-1 --password=pencil
      *   --salt=QSXCR+Q6sek8bf92 --iteration-count=4096 */
     "{SCRAM-SHA-1}4096,QSXCR+Q6sek8bf92,6dlGYMOdZcOPutkcNY8U2g7vK9Y=,"
     "D+CSWLOshSulAsxiupA+qs2/fTE="},
    {"SCRAM-SHA-256", "W22ZaJ0SNY7soEsUEjb6gQ==",
     "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
     "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
     "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
     "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
     "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
     "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
     "{SCRAM-SHA-256}4096,W22ZaJ0SNY7soEsUEjb6gQ==,"
     "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,"
     "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="},
};

/* Replays a vector from the server's side; verifier: use the gsasl
 * verifier instead of the clear password. */
static void scram_replay(const struct scram_vec *v, bool verifier)
{
    struct sasl_users *u = verifier ? users1("user", v->verifier, NULL, NULL)
                                    : users1("user", "pencil", NULL, v->salt);
    struct sasl_server *s = srv(v->mech, u, v->snonce, NULL);
    struct buf ch;
    buf_init(&ch, SASL_MAX_LINE);
    const char *ir = enc(v->first, strlen(v->first));
    want(sasl_server_start(s, ir, strlen(ir), &ch), SASL_OUT_CHALLENGE,
         "client-first", s);
    ck_assert_str_eq(dec(&ch), v->server_first);
    want(feed(s, v->final, strlen(v->final), &ch), SASL_OUT_CHALLENGE,
         "client-final", s);
    ck_assert_str_eq(dec(&ch), v->server_final);
    want(sasl_server_step(s, "", 0, &ch), SASL_OUT_SUCCESS, "empty answer", s);
    ck_assert_str_eq(sasl_server_user(s), "user");
    buf_free(&ch);
    sasl_server_free(s);
    sasl_users_free(u);
}

START_TEST(test_scram_vectors)
{
    scram_replay(&SCRAM[_i], false);
}
END_TEST

START_TEST(test_scram_gsasl_verifier)
{
    scram_replay(&SCRAM[_i], true);
    /* PLAIN against a verifier derives its keys from the password. */
    struct sasl_users *u = users1("user", SCRAM[_i].verifier, NULL, NULL);
    static const struct {
        const char *ir;
        enum sasl_outcome want;
    } T[] = {{"AHVzZXIAcGVuY2ls", SASL_OUT_SUCCESS},
             {"AHVzZXIAcGVuY2lsMQ==", SASL_OUT_BAD_CREDS}};
    struct buf ch;
    buf_init(&ch, SASL_MAX_LINE);
    for (size_t i = 0; i < 2; i++) {
        struct sasl_server *s = srv("PLAIN", u, NULL, NULL);
        want(sasl_server_start(s, T[i].ir, strlen(T[i].ir), &ch), T[i].want,
             "PLAIN against a verifier", s);
        sasl_server_free(s);
    }
    /* CRAM-MD5 needs the clear password, which a verifier lacks. */
    struct sasl_server *s = srv("CRAM-MD5", u, "1", "h");
    want(sasl_server_start(s, NULL, 0, &ch), SASL_OUT_CHALLENGE, "cram", s);
    want(FEED(s, "user 0123456789abcdef0123456789abcdef", &ch),
         SASL_OUT_BAD_CREDS, "cram against a verifier", s);
    ck_assert_ptr_nonnull(strstr(sasl_server_reason(s), "no clear password"));
    sasl_server_free(s);
    buf_free(&ch);
    sasl_users_free(u);
}
END_TEST

START_TEST(test_derived_keys_match_gsasl)
{
    /* The keys derived from a clear password equal gsasl's. */
    const struct scram_vec *v = &SCRAM[_i];
    struct sasl_users *mine = users1("user", "pencil", NULL, v->salt);
    struct sasl_users *theirs = users1("user", v->verifier, NULL, NULL);
    enum sasl_users_hash h = _i == 0 ? SASL_USERS_SHA1 : SASL_USERS_SHA256;
    const struct sasl_scram_keys *a = &sasl_users_find(mine, "user")->scram[h];
    const struct sasl_scram_keys *b =
        &sasl_users_find(theirs, "user")->scram[h];
    ck_assert(a->set && b->set);
    ck_assert_uint_eq(a->iter, b->iter);
    ck_assert_uint_eq(a->salt_len, b->salt_len);
    ck_assert(memcmp(a->stored, b->stored, _i == 0 ? 20 : 32) == 0);
    ck_assert(memcmp(a->server, b->server, _i == 0 ? 20 : 32) == 0);
    sasl_users_free(mine);
    sasl_users_free(theirs);
}
END_TEST

struct scram_bad {
    const char *name;
    const char *first; /* NULL: the vector's */
    const char *final; /* NULL: stop after client-first */
    enum sasl_outcome want;
};

static const struct scram_bad SCRAM_BAD[] = {
    {"proof", NULL,
     "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
     "p=w0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
     SASL_OUT_BAD_CREDS},
    {"proof-short", NULL,
     "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0C",
     SASL_OUT_MALFORMED},
    {"no-proof", NULL, "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j",
     SASL_OUT_MALFORMED},
    {"nonce", NULL,
     "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7X,"
     "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
     SASL_OUT_BAD_CREDS},
    {"binding", NULL,
     "c=eSws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
     "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
     SASL_OUT_BAD_CREDS},
    {"unknown-user", "n,,n=bob,r=fyko+d2lbbFgONRv9qkxdawL",
     "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
     "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
     SASL_OUT_BAD_CREDS},
    {"channel-binding", "p=tls-unique,,n=user,r=fyko", NULL,
     SASL_OUT_BAD_CREDS},
    {"mandatory-ext", "n,,m=x,n=user,r=fyko", NULL, SASL_OUT_MALFORMED},
    {"bad-escape", "n,,n=us=2Xer,r=fyko", NULL, SASL_OUT_MALFORMED},
    {"no-nonce", "n,,n=user", NULL, SASL_OUT_MALFORMED},
    {"bad-gs2", "x,,n=user,r=fyko", NULL, SASL_OUT_MALFORMED},
    {"nonce-space", "n,,n=user,r=fy ko", NULL, SASL_OUT_MALFORMED},
    {"empty", "", NULL, SASL_OUT_MALFORMED},
};

START_TEST(test_scram_refusals)
{
    const struct scram_bad *t = &SCRAM_BAD[_i];
    const struct scram_vec *v = &SCRAM[0];
    struct sasl_users *u = users1("user", "pencil", NULL, v->salt);
    struct sasl_server *s = srv(v->mech, u, v->snonce, NULL);
    struct buf ch;
    buf_init(&ch, SASL_MAX_LINE);
    const char *first = t->first ? t->first : v->first;
    const char *ir = enc(first, strlen(first));
    enum sasl_outcome o = sasl_server_start(s, ir, strlen(ir), &ch);
    if (t->final) {
        want(o, SASL_OUT_CHALLENGE, t->name, s);
        /* An unknown user still gets a salt and a count. */
        ck_assert_ptr_nonnull(strstr(dec(&ch), ",s="));
        o = feed(s, t->final, strlen(t->final), &ch);
    }
    want(o, t->want, t->name, s);
    ck_assert_ptr_null(sasl_server_user(s));
    ck_assert_msg(*sasl_server_reason(s), "%s: no reason", t->name);
    buf_free(&ch);
    sasl_server_free(s);
    sasl_users_free(u);
}
END_TEST

START_TEST(test_scram_unknown_user_is_stable)
{
    /* The fake salt for an unknown user is the same each time, so two
     * attempts do not reveal that the user does not exist. */
    struct sasl_users *u = users1("user", "pencil", NULL, NULL);
    char first[2][256];
    for (int i = 0; i < 2; i++) {
        struct sasl_server *s = srv("SCRAM-SHA-256", u, "S", NULL);
        struct buf ch;
        buf_init(&ch, SASL_MAX_LINE);
        const char *ir = enc("n,,n=bob,r=C", 12);
        want(sasl_server_start(s, ir, strlen(ir), &ch), SASL_OUT_CHALLENGE,
             "unknown", s);
        snprintf(first[i], sizeof first[i], "%s", dec(&ch));
        buf_free(&ch);
        sasl_server_free(s);
    }
    ck_assert_str_eq(first[0], first[1]);
    ck_assert_ptr_nonnull(strstr(first[0], ",i=4096"));
    sasl_users_free(u);
}
END_TEST

START_TEST(test_scram_authzid_and_final_answer)
{
    const struct scram_vec *v = &SCRAM[0];
    struct sasl_users *u = users1("user", "pencil", NULL, v->salt);
    struct buf ch;
    buf_init(&ch, SASL_MAX_LINE);
    /* Our client with an authzid of another user: refused after a valid
     * proof. */
    char err[256];
    struct sasl_client_params cp = {.mech = v->mech,
                                    .creds = {"user", "pencil", NULL, "admin"}};
    struct sasl_client *c = sasl_client_new(&cp, err, sizeof err);
    struct sasl_response r;
    sasl_response_init(&r);
    ck_assert_int_eq(sasl_client_start(c, true, &r), SASL_STEP_SEND);
    struct sasl_server *s = srv(v->mech, u, NULL, NULL);
    want(sasl_server_start(s, buf_str(&r.line), r.line.len, &ch),
         SASL_OUT_CHALLENGE, "first", s);
    ck_assert_int_eq(sasl_client_step(c, buf_str(&ch), ch.len, &r),
                     SASL_STEP_WORK);
    sasl_client_work(c);
    ck_assert_int_eq(sasl_client_resume(c, &r), SASL_STEP_SEND);
    want(sasl_server_step(s, buf_str(&r.line), r.line.len, &ch), SASL_OUT_AUTHZ,
         "authzid", s);
    sasl_server_free(s);
    sasl_client_free(c);

    /* A non-empty answer to the server signature. */
    s = srv(v->mech, u, v->snonce, NULL);
    const char *ir = enc(v->first, strlen(v->first));
    want(sasl_server_start(s, ir, strlen(ir), &ch), SASL_OUT_CHALLENGE, "1", s);
    want(feed(s, v->final, strlen(v->final), &ch), SASL_OUT_CHALLENGE, "2", s);
    want(FEED(s, "x", &ch), SASL_OUT_MALFORMED, "3", s);
    sasl_server_free(s);
    sasl_response_free(&r);
    buf_free(&ch);
    sasl_users_free(u);
}
END_TEST

/* ---- XOAUTH2 and OAUTHBEARER (RFC 7628 section 4) --------------------- */

#define RFC7628_TOKEN "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="

START_TEST(test_oauthbearer)
{
    struct sasl_users *u =
        users1("user@example.com", NULL, RFC7628_TOKEN, NULL);
    struct buf ch;
    buf_init(&ch, SASL_MAX_LINE);
    /* RFC 7628 section 4.1, verbatim. */
    const char *ir = "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUu"
                     "Y29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNS"
                     "bGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB";
    struct sasl_server *s = srv("OAUTHBEARER", u, NULL, NULL);
    want(sasl_server_start(s, ir, strlen(ir), &ch), SASL_OUT_SUCCESS, "4.1", s);
    ck_assert_str_eq(sasl_server_user(s), "user@example.com");
    sasl_server_free(s);

    /* No a=: the token names the user. */
    s = srv("OAUTHBEARER", u, NULL, NULL);
    want(sasl_server_start(s, NULL, 0, &ch), SASL_OUT_CHALLENGE, "no ir", s);
    ck_assert_str_eq(buf_str(&ch), "");
    want(FEED(s, "n,,\001auth=Bearer " RFC7628_TOKEN "\001\001", &ch),
         SASL_OUT_SUCCESS, "no a=", s);
    sasl_server_free(s);

    /* Section 4.3's failure: the JSON error, then %x01, then 535. */
    s = srv("OAUTHBEARER", u, NULL, NULL);
    want(sasl_server_start(s, NULL, 0, &ch), SASL_OUT_CHALLENGE, "no ir", s);
    want(FEED(s,
              "n,a=user@example.com,\001host=server.example.com\001"
              "port=143\001auth=Bearer wrong\001\001",
              &ch),
         SASL_OUT_CHALLENGE, "bad token", s);
    ck_assert_ptr_nonnull(strstr(dec(&ch), "\"status\":\"invalid_token\""));
    want(sasl_server_step(s, "AQ==", 4, &ch), SASL_OUT_BAD_CREDS, "ack", s);
    ck_assert_ptr_null(strstr(sasl_server_reason(s), "wrong"));
    sasl_server_free(s);

    static const struct {
        const char *msg;
        enum sasl_outcome want;
    } BAD[] = {
        {"n,,\001auth=Bearer x\001", SASL_OUT_MALFORMED},
        {"n,,auth=Bearer x\001\001", SASL_OUT_MALFORMED},
        {"p=tls-unique,,\001auth=Bearer x\001\001", SASL_OUT_MALFORMED},
        {"n,,\001auth=Basic x\001\001", SASL_OUT_MALFORMED},
        {"n,,\001host=x\001\001", SASL_OUT_MALFORMED},
        {"n,a=us=2Xer,\001auth=Bearer x\001\001", SASL_OUT_MALFORMED},
        {"n,,\001auth=Bearer x\001\001trailing", SASL_OUT_MALFORMED},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        s = srv("OAUTHBEARER", u, NULL, NULL);
        const char *line = enc(BAD[i].msg, strlen(BAD[i].msg));
        want(sasl_server_start(s, line, strlen(line), &ch), BAD[i].want,
             "malformed", s);
        sasl_server_free(s);
    }
    buf_free(&ch);
    sasl_users_free(u);
}
END_TEST

START_TEST(test_xoauth2)
{
    struct sasl_users *u =
        users1("someuser@example.com", NULL,
               "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", NULL);
    struct buf ch;
    buf_init(&ch, SASL_MAX_LINE);
    /* Google's documented initial response. */
    const char *ir = "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5"
                     "LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cB"
                     "AQ==";
    struct sasl_server *s = srv("XOAUTH2", u, NULL, NULL);
    want(sasl_server_start(s, ir, strlen(ir), &ch), SASL_OUT_SUCCESS, "google",
         s);
    sasl_server_free(s);

    s = srv("XOAUTH2", u, NULL, NULL);
    const char *raw = "user=someuser@example.com\001auth=Bearer nope\001\001";
    const char *bad = enc(raw, strlen(raw));
    want(sasl_server_start(s, bad, strlen(bad), &ch), SASL_OUT_CHALLENGE,
         "bad token", s);
    ck_assert_ptr_nonnull(strstr(dec(&ch), "\"status\""));
    want(sasl_server_step(s, "", 0, &ch), SASL_OUT_BAD_CREDS, "ack", s);
    sasl_server_free(s);

    s = srv("XOAUTH2", u, NULL, NULL);
    want(sasl_server_start(s, NULL, 0, &ch), SASL_OUT_CHALLENGE, "no ir", s);
    want(FEED(s, "", &ch), SASL_OUT_MALFORMED, "empty message", s);
    sasl_server_free(s);
    buf_free(&ch);
    sasl_users_free(u);
}
END_TEST

/* ---- users ------------------------------------------------------------------
 */

START_TEST(test_users)
{
    char err[256];
    struct sasl_users *u = sasl_users_new(NULL);
    struct sasl_user a = {"\xe2\x85\xa8", "pw", NULL}; /* U+2168 -> "IX" */
    ck_assert_int_eq(sasl_users_add(u, &a, err, sizeof err), 0);
    ck_assert_ptr_nonnull(sasl_users_find(u, "IX"));
    ck_assert_ptr_nonnull(sasl_users_find(u, "I\xc2\xadX"));
    ck_assert_ptr_null(sasl_users_find(u, "ix"));
    struct sasl_user dup = {"IX", "other", NULL};
    ck_assert_int_eq(sasl_users_add(u, &dup, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "twice"));
    static const char *const BAD_PASS[] = {
        "{SCRAM-SHA-256}4096,W22ZaJ0SNY7soEsUEjb6gQ==,WG5d8o",
        "{SCRAM-SHA-256}0,W22ZaJ0SNY7soEsUEjb6gQ==,"
        "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,"
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
        "{SCRAM-SHA-1}4096,W22ZaJ0SNY7soEsUEjb6gQ==,"
        "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,"
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
        "{SCRAM-SHA-256}4096,,a,b,c",
        "a\x07",
    };
    for (size_t i = 0; i < sizeof BAD_PASS / sizeof BAD_PASS[0]; i++) {
        struct sasl_user b = {"b", BAD_PASS[i], NULL};
        ck_assert_msg(sasl_users_add(u, &b, err, sizeof err) == -1,
                      "bad password %zu accepted", i);
        ck_assert_ptr_null(strstr(err, BAD_PASS[i]));
    }
    struct sasl_user lit = {"c", "{PLAIN}{SCRAM-SHA-1}x", "tok"};
    ck_assert_int_eq(sasl_users_add(u, &lit, err, sizeof err), 0);
    ck_assert_str_eq(sasl_users_find(u, "c")->pass, "{SCRAM-SHA-1}x");
    ck_assert_ptr_eq(sasl_users_find_token(u, "tok"), sasl_users_find(u, "c"));
    ck_assert_ptr_null(sasl_users_find_token(u, "to"));
    struct sasl_user noname = {"", "pw", NULL};
    ck_assert_int_eq(sasl_users_add(u, &noname, err, sizeof err), -1);
    sasl_users_free(u);
}
END_TEST

/* ---- our client against our server ---------------------------------- */

struct pair_vec {
    const char *mech;
    const char *user, *pass, *token, *authzid; /* the client's */
    bool ir;
    enum sasl_outcome want;
    bool want_complete; /* the client finished its part */
};

/* The server knows user/pencil, token "tok-123", and "IX" / "IX". */
static const struct pair_vec PAIRS[] = {
    {"PLAIN", "user", "pencil", NULL, NULL, true, SASL_OUT_SUCCESS, true},
    {"PLAIN", "user", "pencil", NULL, NULL, false, SASL_OUT_SUCCESS, true},
    {"PLAIN", "user", "wrong", NULL, NULL, true, SASL_OUT_BAD_CREDS, true},
    {"PLAIN", "user", "pencil", NULL, "other", true, SASL_OUT_AUTHZ, true},
    {"PLAIN", "I\xc2\xadX", "\xe2\x85\xa8", NULL, NULL, true, SASL_OUT_SUCCESS,
     true},
    {"LOGIN", "user", "pencil", NULL, NULL, true, SASL_OUT_SUCCESS, true},
    {"LOGIN", "nobody", "pencil", NULL, NULL, true, SASL_OUT_BAD_CREDS, true},
    {"CRAM-MD5", "user", "pencil", NULL, NULL, true, SASL_OUT_SUCCESS, true},
    {"CRAM-MD5", "user", "pencil2", NULL, NULL, true, SASL_OUT_BAD_CREDS, true},
    {"SCRAM-SHA-1", "user", "pencil", NULL, NULL, true, SASL_OUT_SUCCESS, true},
    {"SCRAM-SHA-1", "user", "pencil", NULL, NULL, false, SASL_OUT_SUCCESS,
     true},
    {"SCRAM-SHA-1", "user", "Pencil", NULL, NULL, true, SASL_OUT_BAD_CREDS,
     false},
    {"SCRAM-SHA-256", "user", "pencil", NULL, NULL, true, SASL_OUT_SUCCESS,
     true},
    {"SCRAM-SHA-256", "nobody", "pencil", NULL, NULL, true, SASL_OUT_BAD_CREDS,
     false},
    {"SCRAM-SHA-256", "user", "pencil", NULL, "user", true, SASL_OUT_SUCCESS,
     true},
    {"SCRAM-SHA-256", "I\xc2\xadX", "\xe2\x85\xa8", NULL, NULL, true,
     SASL_OUT_SUCCESS, true},
    {"XOAUTH2", "user", NULL, "tok-123", NULL, true, SASL_OUT_SUCCESS, true},
    {"XOAUTH2", "user", NULL, "tok-124", NULL, true, SASL_OUT_BAD_CREDS, true},
    {"XOAUTH2", "IX", NULL, "tok-123", NULL, false, SASL_OUT_BAD_CREDS, true},
    {"OAUTHBEARER", "user", NULL, "tok-123", NULL, true, SASL_OUT_SUCCESS,
     true},
    {"OAUTHBEARER", NULL, NULL, "tok-123", NULL, false, SASL_OUT_SUCCESS, true},
    {"OAUTHBEARER", "user", NULL, "tok-999", NULL, true, SASL_OUT_BAD_CREDS,
     true},
};

/* Runs the SMTP flow between a client and a server; returns the outcome. */
static enum sasl_outcome converse(struct sasl_client *c, struct sasl_server *s,
                                  bool ir)
{
    struct sasl_response r;
    struct buf ch;
    sasl_response_init(&r);
    buf_init(&ch, SASL_MAX_LINE);
    enum sasl_step st = sasl_client_start(c, ir, &r);
    enum sasl_outcome o =
        st == SASL_STEP_SEND
            ? sasl_server_start(s, buf_str(&r.line), r.line.len, &ch)
            : sasl_server_start(s, NULL, 0, &ch);
    for (int round = 0; o == SASL_OUT_CHALLENGE && round < 8; round++) {
        st = sasl_client_step(c, buf_str(&ch), ch.len, &r);
        if (st == SASL_STEP_WORK) {
            sasl_client_work(c);
            st = sasl_client_resume(c, &r);
        }
        if (st == SASL_STEP_FAIL)
            sasl_client_cancel(c, &r);
        ck_assert(r.secret);
        o = sasl_server_step(s, buf_str(&r.line), r.line.len, &ch);
    }
    sasl_response_free(&r);
    buf_free(&ch);
    return o;
}

START_TEST(test_client_vs_server)
{
    const struct pair_vec *t = &PAIRS[_i];
    char err[256];
    struct sasl_users *u = sasl_users_new(NULL);
    struct sasl_user a = {"user", "pencil", "tok-123"};
    struct sasl_user b = {"IX", "IX", NULL};
    ck_assert_int_eq(sasl_users_add(u, &a, err, sizeof err), 0);
    ck_assert_int_eq(sasl_users_add(u, &b, err, sizeof err), 0);
    struct sasl_client_params cp = {
        .mech = t->mech, .creds = {t->user, t->pass, t->token, t->authzid}};
    struct sasl_client *c = sasl_client_new(&cp, err, sizeof err);
    ck_assert_msg(c, "case %d: %s", _i, err);
    struct sasl_server *s = srv(t->mech, u, NULL, NULL);
    enum sasl_outcome o = converse(c, s, t->ir);
    char what[64];
    snprintf(what, sizeof what, "case %d %s", _i, t->mech);
    want(o, t->want, what, s);
    ck_assert_msg(sasl_client_complete(c) == t->want_complete,
                  "%s: client complete got %d want %d", what,
                  sasl_client_complete(c), t->want_complete);
    ck_assert_ptr_null(strstr(sasl_server_reason(s), "pencil"));
    ck_assert_ptr_null(strstr(sasl_server_reason(s), "tok-"));
    sasl_server_free(s);
    sasl_client_free(c);
    sasl_users_free(u);
}
END_TEST

START_TEST(test_new_refusals)
{
    char err[256];
    struct sasl_users *u = sasl_users_new(NULL);
    struct sasl_server_params p = {"DIGEST-MD5", u, NULL, NULL};
    ck_assert_ptr_null(sasl_server_new(&p, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "unknown"));
    p.mech = "SCRAM-SHA-1";
    p.nonce = "a,b";
    ck_assert_ptr_null(sasl_server_new(&p, err, sizeof err));
    p.nonce = "";
    ck_assert_ptr_null(sasl_server_new(&p, err, sizeof err));
    sasl_users_free(u);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_outcome_table);
    tcase_add_loop_test(tc, test_plain, 0, sizeof PLAIN / sizeof PLAIN[0]);
    tcase_add_test(tc, test_too_long);
    tcase_add_test(tc, test_login);
    tcase_add_test(tc, test_cram_md5_rfc2195);
    tcase_add_loop_test(tc, test_scram_vectors, 0, 2);
    tcase_add_loop_test(tc, test_scram_gsasl_verifier, 0, 2);
    tcase_add_loop_test(tc, test_derived_keys_match_gsasl, 0, 2);
    tcase_add_loop_test(tc, test_scram_refusals, 0,
                        sizeof SCRAM_BAD / sizeof SCRAM_BAD[0]);
    tcase_add_test(tc, test_scram_unknown_user_is_stable);
    tcase_add_test(tc, test_scram_authzid_and_final_answer);
    tcase_add_test(tc, test_oauthbearer);
    tcase_add_test(tc, test_xoauth2);
    tcase_add_test(tc, test_users);
    tcase_add_loop_test(tc, test_client_vs_server, 0,
                        sizeof PAIRS / sizeof PAIRS[0]);
    tcase_add_test(tc, test_new_refusals);
}

#include "check_main.h"
