/* Tests of harness/b64.c: the RFC 4648 section 10 vectors, every kind of
 * bad input, the output bound, and OpenSSL's EVP_EncodeBlock as an
 * independent oracle on pseudo-random data. */
#define TEST_NAME "b64"
#include "harness/b64.h"

#include <check.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct good {
    const char *raw, *enc;
};

/* RFC 4648 section 10. */
static const struct good GOOD[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

START_TEST(test_rfc4648_vectors)
{
    const struct good *g = &GOOD[_i];
    struct buf b;
    buf_init(&b, 64);
    ck_assert_int_eq(b64_encode(&b, g->raw, strlen(g->raw)), BUF_OK);
    ck_assert_msg(strcmp(buf_str(&b), g->enc) == 0,
                  "encode '%s': got '%s' want '%s'", g->raw, buf_str(&b),
                  g->enc);
    buf_reset(&b);
    enum b64_status st = b64_decode(&b, g->enc, strlen(g->enc), NULL);
    ck_assert_msg(st == B64_OK && b.len == strlen(g->raw) &&
                      memcmp(buf_str(&b), g->raw, b.len) == 0,
                  "decode '%s': got status %d '%s' want '%s'", g->enc, st,
                  buf_str(&b), g->raw);
    buf_free(&b);
}
END_TEST

struct bad {
    const char *in;
    enum b64_status st;
    size_t pos;
};

static const struct bad BAD[] = {
    {"Zg=", B64_BAD_LENGTH, 3},    {"Zg", B64_BAD_LENGTH, 2},
    {"Zm9vY", B64_BAD_LENGTH, 5},  {"Z===", B64_BAD_PAD, 1},
    {"=Zm9", B64_BAD_PAD, 0},      {"Zg==Zg==", B64_BAD_PAD, 2},
    {"ab=c", B64_BAD_PAD, 2},      {"Zm9v\n", B64_BAD_CHAR, 4},
    {"Zm 9v", B64_BAD_CHAR, 2},    {" Zm9v", B64_BAD_CHAR, 0},
    {"Zm9v\r\n", B64_BAD_CHAR, 4}, {"Zm9-", B64_BAD_CHAR, 3},
    {"Zm9_", B64_BAD_CHAR, 3},     {"Zm9v*", B64_BAD_CHAR, 4},
    {"*", B64_BAD_CHAR, 0},        {"Zh==", B64_PAD_BITS, 1},
    {"Zm9=", B64_PAD_BITS, 2},     {"Zm\xc3\xa9", B64_BAD_CHAR, 2},
    {"====", B64_BAD_PAD, 0},      {"=", B64_BAD_LENGTH, 1},
};

START_TEST(test_bad_input)
{
    const struct bad *t = &BAD[_i];
    struct buf b;
    buf_init(&b, 64);
    (void)buf_adds(&b, "keep");
    size_t pos = 999;
    enum b64_status st = b64_decode(&b, t->in, strlen(t->in), &pos);
    ck_assert_msg(st == t->st, "'%s': got %s want %s", t->in,
                  b64_status_text(st), b64_status_text(t->st));
    ck_assert_msg(pos == t->pos, "'%s': error offset got %zu want %zu", t->in,
                  pos, t->pos);
    ck_assert_msg(strcmp(buf_str(&b), "keep") == 0,
                  "'%s': output changed on error: '%s'", t->in, buf_str(&b));
    buf_free(&b);
}
END_TEST

START_TEST(test_bounds)
{
    struct buf b;
    buf_init(&b, 5);
    /* "foobar" decodes to 6 octets: one more than the maximum. */
    ck_assert_int_eq(b64_decode(&b, "Zm9vYmFy", 8, NULL), B64_TOO_BIG);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(b64_decode(&b, "Zm9vYmE=", 8, NULL), B64_OK);
    ck_assert_uint_eq(b.len, 5);
    buf_free(&b);
    buf_init(&b, 7);
    /* 6 octets need 8 characters. */
    ck_assert_int_eq(b64_encode(&b, "foobar", 6), BUF_TOOBIG);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(b64_encode(&b, "fooba", 5), BUF_TOOBIG);
    ck_assert_int_eq(b64_encode(&b, "foo", 3), BUF_OK);
    buf_free(&b);
    ck_assert_uint_eq(B64_ENCODED_LEN(12288), 16384);
    ck_assert_uint_eq(B64_DECODED_MAX(16384), 12288);
}
END_TEST

START_TEST(test_oracle_openssl)
{
    unsigned seed = 12345;
    unsigned char raw[300];
    unsigned char want[B64_ENCODED_LEN(sizeof raw) + 1];
    for (size_t n = 0; n <= sizeof raw; n++) {
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            raw[i] = (unsigned char)(seed >> 16);
        }
        int wl = EVP_EncodeBlock(want, raw, (int)n);
        struct buf b;
        buf_init(&b, 1024);
        ck_assert_int_eq(b64_encode(&b, raw, n), BUF_OK);
        ck_assert_msg(b.len == (size_t)wl &&
                          memcmp(b.data ? b.data : "", want, (size_t)wl) == 0,
                      "n=%zu: got '%s' want '%s'", n, buf_str(&b), want);
        buf_reset(&b);
        ck_assert_int_eq(b64_decode(&b, (const char *)want, (size_t)wl, NULL),
                         B64_OK);
        ck_assert_msg(b.len == n && memcmp(b.data ? b.data : "", raw, n) == 0,
                      "n=%zu: round trip differs", n);
        buf_free(&b);
    }
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_loop_test(tc, test_rfc4648_vectors, 0,
                        sizeof GOOD / sizeof GOOD[0]);
    tcase_add_loop_test(tc, test_bad_input, 0, sizeof BAD / sizeof BAD[0]);
    tcase_add_test(tc, test_bounds);
    tcase_add_test(tc, test_oracle_openssl);
}

#include "check_main.h"
