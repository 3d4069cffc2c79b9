/* Tests of harness/bytes.c and harness/buf.c. */
#define TEST_NAME "bytes"
#include "harness/bytes.h"
#include "harness/buf.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *raw;
    size_t len;
    const char *esc;
} VECS[] = {
    {"MAIL FROM:<a@b>\r\n", 17, "MAIL FROM:<a@b>\\r\\n"},
    {"a\\b", 3, "a\\\\b"},
    {"\t\x1b[31m", 6, "\\t\\x1b[31m"},
    {"\0\xff\x7f", 3, "\\x00\\xff\\x7f"},
    {"caf\xc3\xa9", 5, "caf\\xc3\\xa9"},
    {"", 0, ""},
};

START_TEST(test_escape_roundtrip)
{
    for (size_t i = 0; i < sizeof VECS / sizeof VECS[0]; i++) {
        char *e = bytes_escape_dup(VECS[i].raw, VECS[i].len);
        ck_assert_msg(strcmp(e, VECS[i].esc) == 0, "vec %zu: got '%s' want '%s'",
                      i, e, VECS[i].esc);
        ck_assert(bytes_is_escaped(e));
        struct buf b;
        buf_init(&b, 1024);
        ck_assert_int_eq(bytes_unescape(&b, e), 0);
        ck_assert_uint_eq(b.len, VECS[i].len);
        ck_assert(memcmp(buf_str(&b), VECS[i].raw, b.len) == 0);
        buf_free(&b);
        free(e);
    }
}
END_TEST

START_TEST(test_all_bytes)
{
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    char *e = bytes_escape_dup(all, sizeof all);
    for (char *p = e; *p; p++)
        ck_assert_msg((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f,
                      "escaped form holds byte %#x", (unsigned char)*p);
    struct buf b;
    buf_init(&b, 4096);
    ck_assert_int_eq(bytes_unescape(&b, e), 0);
    ck_assert_uint_eq(b.len, 256);
    ck_assert(memcmp(b.data, all, 256) == 0);
    buf_free(&b);
    free(e);
}
END_TEST

START_TEST(test_unescape_bad)
{
    static const char *BAD[] = {"\\", "\\q", "\\x", "\\x4", "\\xg0"};
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        struct buf b;
        buf_init(&b, 64);
        ck_assert_msg(bytes_unescape(&b, BAD[i]) == -1, "'%s' accepted", BAD[i]);
        ck_assert(!bytes_is_escaped(BAD[i]));
        buf_free(&b);
    }
}
END_TEST

START_TEST(test_buf_bound)
{
    struct buf b;
    buf_init(&b, 10);
    ck_assert_int_eq(buf_adds(&b, "0123456789"), BUF_OK);
    ck_assert_int_eq(buf_addc(&b, 'x'), BUF_TOOBIG);
    ck_assert_uint_eq(b.len, 10);
    ck_assert_str_eq(buf_str(&b), "0123456789");
    buf_reset(&b);
    ck_assert_int_eq(buf_addf(&b, "%d-%s", 42, "ab"), BUF_OK);
    ck_assert_str_eq(buf_str(&b), "42-ab");
    ck_assert_int_eq(buf_addf(&b, "%s", "toolongtext"), BUF_TOOBIG);
    char *s = buf_detach(&b);
    ck_assert_str_eq(s, "42-ab");
    free(s);
    ck_assert_str_eq(buf_str(&b), "");
    /* A bounded escape keeps what fitted. */
    buf_init(&b, 5);
    ck_assert_int_eq(bytes_escape(&b, "ab\r\ncd", 6), BUF_TOOBIG);
    ck_assert_str_eq(buf_str(&b), "ab\\r");
    buf_free(&b);
}
END_TEST

/* bytes_find against a brute-force search: every needle of lengths 0
 * to 4 cut from a haystack with NULs and repeats, and some absent. */
START_TEST(test_find)
{
    static const char H[] = "abab\0aabx\0\0ab";
    const size_t n = sizeof H - 1;
    static const struct {
        const char *s;
        size_t k;
    } ABSENT[] = {{"abb", 3}, {"\0\0\0", 3}, {"xa", 2}, {"ba\0a", 4}};
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; i + k <= n && k <= 4; k++) {
            long want = -1;
            for (size_t j = 0; j + k <= n && want < 0; j++)
                if (memcmp(H + j, H + i, k) == 0)
                    want = (long)j;
            long got = bytes_find(H, n, H + i, k);
            ck_assert_msg(got == want, "needle at %zu len %zu: got %ld want %ld",
                          i, k, got, want);
        }
    }
    for (size_t i = 0; i < sizeof ABSENT / sizeof *ABSENT; i++)
        ck_assert_int_eq(bytes_find(H, n, ABSENT[i].s, ABSENT[i].k), -1);
    ck_assert_int_eq(bytes_find("", 0, "a", 1), -1);
    ck_assert_int_eq(bytes_find("ab", 2, "abc", 3), -1);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_find);
    tcase_add_test(tc, test_escape_roundtrip);
    tcase_add_test(tc, test_all_bytes);
    tcase_add_test(tc, test_unescape_bad);
    tcase_add_test(tc, test_buf_bound);
}

#include "check_main.h"
