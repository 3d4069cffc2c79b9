/* Tests of harness/proxy.c: headers compared octet by octet with ones
 * written out by hand from HAProxy's proxy-protocol.txt (2.1, 2.2), and
 * the address parser's table of good and bad inputs. */
#include "harness/proxy.h"

#include <check.h>
#include <string.h>
#include <sys/socket.h>

#define TEST_NAME "proxy"

struct hdr_vec {
    const char *name;
    enum proxy_version v;
    const char *src, *dst; /* NULL: unknown */
    const char *want;
    size_t want_len;
};

#define B(s) s, sizeof(s) - 1
#define SIG  "\r\n\r\n\0\r\nQUIT\n"

static const struct hdr_vec HDRS[] = {
    {"v1-ipv4", PROXY_V1, "192.0.2.10:4000", "127.0.0.1:25",
     B("PROXY TCP4 192.0.2.10 127.0.0.1 4000 25\r\n")},
    {"v1-ipv6", PROXY_V1, "[2001:db8::5]:65535", "[::1]:0",
     B("PROXY TCP6 2001:db8::5 ::1 65535 0\r\n")},
    {"v1-unknown", PROXY_V1, NULL, "127.0.0.1:25", B("PROXY UNKNOWN\r\n")},
    {"v1-mixed", PROXY_V1, "192.0.2.1:1", "[::1]:2", B("PROXY UNKNOWN\r\n")},
    {"v2-ipv4", PROXY_V2, "192.0.2.10:4000", "127.0.0.1:25",
     B(SIG "\x21\x11\x00\x0c"
           "\xc0\x00\x02\x0a"
           "\x7f\x00\x00\x01"
           "\x0f\xa0\x00\x19")},
    {"v2-ipv6", PROXY_V2, "[2001:db8::5]:258", "[::1]:25",
     B(SIG "\x21\x21\x00\x24"
           "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x05"
           "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01"
           "\x01\x02\x00\x19")},
    {"v2-local", PROXY_V2, NULL, NULL, B(SIG "\x20\x00\x00\x00")},
    {"none", PROXY_NONE, "192.0.2.10:4000", "127.0.0.1:25", B("")},
};

START_TEST(test_headers)
{
    const struct hdr_vec *v = &HDRS[_i];
    struct proxy_addr src, dst;
    char err[128];
    if (v->src)
        ck_assert_int_eq(proxy_parse_addr(v->src, &src, err, sizeof err), 0);
    if (v->dst)
        ck_assert_int_eq(proxy_parse_addr(v->dst, &dst, err, sizeof err), 0);
    uint8_t out[PROXY_MAX_HEADER];
    size_t n =
        proxy_header(v->v, v->src ? &src : NULL, v->dst ? &dst : NULL, out);
    ck_assert_msg(n == v->want_len, "%s: got %zu octets, want %zu", v->name, n,
                  v->want_len);
    ck_assert_msg(memcmp(out, v->want, n) == 0, "%s: octets differ", v->name);
}
END_TEST

struct addr_vec {
    const char *in;
    int ok;
    int family;
    unsigned port;
    const char *err; /* a substring of the error */
};

static const struct addr_vec ADDRS[] = {
    {"192.0.2.1:25", 1, AF_INET, 25, NULL},
    {"[::1]:587", 1, AF_INET6, 587, NULL},
    {"0.0.0.0:0", 1, AF_INET, 0, NULL},
    {"192.0.2.1", 0, 0, 0, "not ADDR:PORT"},
    {"192.0.2.1:65536", 0, 0, 0, "not a port"},
    {"192.0.2.1:-1", 0, 0, 0, "not a port"},
    {"192.0.2.1:", 0, 0, 0, "not a port"},
    {"host.example:25", 0, 0, 0, "not a numeric"},
    {"::1:25", 0, 0, 0, "not a numeric"},
    {"[192.0.2.1]:25", 0, 0, 0, "not a numeric IPv6"},
    {"nocolon", 0, 0, 0, "not ADDR:PORT"},
    {"", 0, 0, 0, "not ADDR:PORT"},
};

START_TEST(test_addrs)
{
    const struct addr_vec *v = &ADDRS[_i];
    struct proxy_addr a;
    char err[128] = "";
    int rc = proxy_parse_addr(v->in, &a, err, sizeof err);
    ck_assert_msg((rc == 0) == v->ok, "'%s': got rc %d (%s), want ok=%d", v->in,
                  rc, err, v->ok);
    if (v->ok) {
        ck_assert_int_eq(a.family, v->family);
        ck_assert_uint_eq(a.port, v->port);
    } else {
        ck_assert_msg(strstr(err, v->err), "'%s': got error '%s', want '%s'",
                      v->in, err, v->err);
    }
}
END_TEST

START_TEST(test_versions)
{
    ck_assert_int_eq(proxy_version_parse("none"), PROXY_NONE);
    ck_assert_int_eq(proxy_version_parse("v1"), PROXY_V1);
    ck_assert_int_eq(proxy_version_parse("v2"), PROXY_V2);
    ck_assert_int_eq(proxy_version_parse("V1"), -1);
    ck_assert_int_eq(proxy_version_parse("2"), -1);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_loop_test(tc, test_headers, 0, sizeof HDRS / sizeof HDRS[0]);
    tcase_add_loop_test(tc, test_addrs, 0, sizeof ADDRS / sizeof ADDRS[0]);
    tcase_add_test(tc, test_versions);
}

#include "check_main.h"
