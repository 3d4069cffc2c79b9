/* Tests of harness/sink_proxy.c: PROXY headers from HAProxy's
 * proxy-protocol.txt (2.1, 2.2) written out by hand and built by the
 * client side (harness/proxy.c, the oracle), each fed whole and split at
 * every octet; malformed and missing headers; XCLIENT/XFORWARD
 * attribute lists. */
#include "harness/proxy.h"
#include "harness/sink_proxy.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#define TEST_NAME "sink_proxy"

#define B(s) s, sizeof(s) - 1
#define SIG  "\r\n\r\n\0\r\nQUIT\n"

struct vec {
    const char *name;
    enum sink_proxy_mode mode;
    const char *in;
    size_t len;
    enum sink_proxy_status want;
    const char *source; /* DONE: the claim, "" for local */
    size_t used;        /* DONE: header octets (in may carry more) */
    const char *why;    /* ERROR: the reason */
};

static const struct vec VECS[] = {
    {"v1-ipv4", SINK_PROXY_V1,
     B("PROXY TCP4 192.0.2.10 127.0.0.1 4000 25\r\nEHLO"), SINK_PROXY_DONE,
     "192.0.2.10:4000", 41, NULL},
    {"v1-ipv6", SINK_PROXY_ANY, B("PROXY TCP6 2001:db8::5 ::1 65535 0\r\n"),
     SINK_PROXY_DONE, "[2001:db8::5]:65535", 36, NULL},
    {"v1-unknown", SINK_PROXY_V1, B("PROXY UNKNOWN\r\n"), SINK_PROXY_DONE, "",
     15, NULL},
    {"v1-unknown-rest", SINK_PROXY_V1, B("PROXY UNKNOWN ffff::1 ::1 1 2\r\n"),
     SINK_PROXY_DONE, "", 31, NULL},
    {"v1-octet-300", SINK_PROXY_ANY,
     B("PROXY TCP4 192.0.2.300 127.0.0.1 4000 25\r\n"), SINK_PROXY_ERROR, NULL,
     0, "v1: bad source address"},
    {"v1-family-mismatch", SINK_PROXY_V1, B("PROXY TCP4 ::1 ::1 1 2\r\n"),
     SINK_PROXY_ERROR, NULL, 0, "v1: bad source address"},
    {"v1-port-range", SINK_PROXY_V1,
     B("PROXY TCP4 192.0.2.1 127.0.0.1 65536 25\r\n"), SINK_PROXY_ERROR, NULL,
     0, "v1: bad port"},
    {"v1-port-leading-zero", SINK_PROXY_V1,
     B("PROXY TCP4 192.0.2.1 127.0.0.1 025 25\r\n"), SINK_PROXY_ERROR, NULL, 0,
     "v1: bad port"},
    {"v1-double-space", SINK_PROXY_V1,
     B("PROXY TCP4  192.0.2.1 127.0.0.1 1 25\r\n"), SINK_PROXY_ERROR, NULL, 0,
     "v1: not PROXY TCP4|TCP6 SRC DST SPORT DPORT"},
    {"v1-bare-lf", SINK_PROXY_V1, B("PROXY TCP4 192.0.2.1 127.0.0.1 1 25\n"),
     SINK_PROXY_ERROR, NULL, 0, "v1: a line end other than CRLF"},
    {"v1-udp", SINK_PROXY_V1, B("PROXY UDP4 192.0.2.1 127.0.0.1 1 25\r\n"),
     SINK_PROXY_ERROR, NULL, 0, "v1: unknown protocol (TCP4, TCP6 or UNKNOWN)"},
    {"v1-too-long", SINK_PROXY_V1,
     B("PROXY UNKNOWN xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
     SINK_PROXY_ERROR, NULL, 0, "v1: no CRLF within 107 octets"},
    /* 107 octets with its CRLF is the longest v1 line (2.1); 108 is not */
    {"v1-107", SINK_PROXY_V1,
     B("PROXY UNKNOWN xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n"),
     SINK_PROXY_DONE, "", 107, NULL},
    {"v1-108", SINK_PROXY_V1,
     B("PROXY UNKNOWN xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n"),
     SINK_PROXY_ERROR, NULL, 0, "v1: no CRLF within 107 octets"},
    {"v1-in-v2-mode", SINK_PROXY_V2, B("PROXY UNKNOWN\r\n"), SINK_PROXY_ERROR,
     NULL, 0, "missing PROXY v2 header"},
    {"missing", SINK_PROXY_ANY, B("EHLO client.test\r\n"), SINK_PROXY_ERROR,
     NULL, 0, "missing PROXY header"},
    {"lowercase", SINK_PROXY_ANY, B("proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n"),
     SINK_PROXY_ERROR, NULL, 0, "missing PROXY header"},
    {"v2-ipv4", SINK_PROXY_V2,
     B(SIG "\x21\x11\x00\x0c\xc0\x00\x02\x0a\x7f\x00\x00\x01\x0f\xa0\x00\x19"
           "EHLO"),
     SINK_PROXY_DONE, "192.0.2.10:4000", 28, NULL},
    {"v2-ipv6", SINK_PROXY_ANY,
     B(SIG "\x21\x21\x00\x24"
           "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x05"
           "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01"
           "\x01\x02\x00\x19"),
     SINK_PROXY_DONE, "[2001:db8::5]:258", 52, NULL},
    {"v2-local", SINK_PROXY_V2, B(SIG "\x20\x00\x00\x00"), SINK_PROXY_DONE, "",
     16, NULL},
    {"v2-tlv", SINK_PROXY_V2,
     B(SIG "\x21\x11\x00\x10\xc0\x00\x02\x0a\x7f\x00\x00\x01\x0f\xa0\x00\x19"
           "\x04\x00\x01\x00"),
     SINK_PROXY_DONE, "192.0.2.10:4000", 32, NULL},
    {"v2-version-3", SINK_PROXY_ANY,
     B(SIG "\x31\x11\x00\x0c\xc0\x00\x02\x0a\x7f\x00\x00\x01\x0f\xa0\x00\x19"),
     SINK_PROXY_ERROR, NULL, 0, "v2: unrecognized protocol version"},
    {"v2-command-2", SINK_PROXY_V2, B(SIG "\x22\x11\x00\x00"), SINK_PROXY_ERROR,
     NULL, 0, "v2: unknown command (LOCAL or PROXY)"},
    {"v2-short-block", SINK_PROXY_V2, B(SIG "\x21\x11\x00\x04\x01\x02\x03\x04"),
     SINK_PROXY_ERROR, NULL, 0,
     "v2: address block shorter than its family needs"},
    {"v2-family-4", SINK_PROXY_V2, B(SIG "\x21\x41\x00\x00"), SINK_PROXY_ERROR,
     NULL, 0, "v2: unknown address family or transport"},
    {"v2-too-long", SINK_PROXY_V2, B(SIG "\x21\x11\xff\xff"), SINK_PROXY_ERROR,
     NULL, 0, "v2: header longer than the sink takes"},
    {"v2-in-v1-mode", SINK_PROXY_V1, B(SIG "\x20\x00\x00\x00"),
     SINK_PROXY_ERROR, NULL, 0, "missing PROXY v1 header"},
    {"bad-signature", SINK_PROXY_V2, B("\r\n\r\n\0\r\nQUIX\n\x21\x11\x00\x00"),
     SINK_PROXY_ERROR, NULL, 0, "missing PROXY v2 header"},
};

static void check_result(const struct vec *v, size_t cut,
                         enum sink_proxy_status got,
                         const struct sink_proxy_result *r)
{
    ck_assert_msg(got == v->want, "%s cut %zu: got status %d, want %d (%s)",
                  v->name, cut, got, v->want, r->error);
    if (got == SINK_PROXY_DONE) {
        ck_assert_msg(r->used == v->used, "%s: used %zu, want %zu", v->name,
                      r->used, v->used);
        ck_assert_msg(strcmp(r->local ? "" : r->source, v->source) == 0,
                      "%s: source '%s', want '%s'", v->name, r->source,
                      v->source);
    } else if (got == SINK_PROXY_ERROR) {
        ck_assert_msg(strcmp(r->error, v->why) == 0,
                      "%s: reason '%s', want '%s'", v->name, r->error, v->why);
    }
}

/* Every prefix is need-more or the same error; the whole is the answer. */
START_TEST(test_vectors_split)
{
    const struct vec *v = &VECS[_i];
    struct sink_proxy_result whole, r;
    check_result(v, v->len, sink_proxy_parse(v->mode, v->in, v->len, &whole),
                 &whole);
    size_t end = v->want == SINK_PROXY_DONE ? v->used : v->len;
    for (size_t cut = 0; cut < end; cut++) {
        enum sink_proxy_status s = sink_proxy_parse(v->mode, v->in, cut, &r);
        ck_assert_msg(s == SINK_PROXY_NEED_MORE ||
                          (s == SINK_PROXY_ERROR &&
                           v->want == SINK_PROXY_ERROR &&
                           strcmp(r.error, whole.error) == 0),
                      "%s cut %zu: got status %d (%s), want need-more or %s",
                      v->name, cut, s, r.error, whole.error);
    }
}
END_TEST

/* The oracle: headers the client side builds are read back. */
START_TEST(test_client_headers)
{
    static const struct {
        enum proxy_version v;
        const char *src, *dst;
    } T[] = {{PROXY_V1, "192.0.2.10:4000", "198.51.100.1:25"},
             {PROXY_V2, "192.0.2.11:4001", "198.51.100.1:25"},
             {PROXY_V1, "[2001:db8::7]:1", "[::1]:2525"},
             {PROXY_V2, "[2001:db8::7]:65535", "[::1]:2525"}};
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        struct proxy_addr s, d;
        char err[128];
        ck_assert(proxy_parse_addr(T[i].src, &s, err, sizeof err) == 0);
        ck_assert(proxy_parse_addr(T[i].dst, &d, err, sizeof err) == 0);
        uint8_t h[PROXY_MAX_HEADER];
        size_t n = proxy_header(T[i].v, &s, &d, h);
        struct sink_proxy_result r;
        enum sink_proxy_status st = sink_proxy_parse(SINK_PROXY_ANY, h, n, &r);
        ck_assert_msg(st == SINK_PROXY_DONE, "%s: got %d (%s)", T[i].src, st,
                      r.error);
        ck_assert_msg(r.used == n, "%s: used %zu of %zu", T[i].src, r.used, n);
        ck_assert_msg(strcmp(r.source, T[i].src) == 0 &&
                          strcmp(r.dest, T[i].dst) == 0,
                      "got %s -> %s, want %s -> %s", r.source, r.dest, T[i].src,
                      T[i].dst);
    }
}
END_TEST

START_TEST(test_modes)
{
    for (int m = 0; m < SINK_PROXY_MODE_COUNT; m++)
        ck_assert_int_eq(
            sink_proxy_mode_find(sink_proxy_mode_name((enum sink_proxy_mode)m)),
            m);
    ck_assert_int_eq(sink_proxy_mode_find("v3"), -1);
}
END_TEST

static const struct {
    const char *which, *args;
    bool ok;
} ATTRS[] = {
    {"XCLIENT", "NAME=xclient.test ADDR=192.0.2.30", true},
    {"XCLIENT", "addr=192.0.2.30 port=4000 proto=ESMTP helo=a.test", true},
    {"XCLIENT", "LOGIN=[UNAVAILABLE] DESTADDR=127.0.0.1 DESTPORT=25", true},
    {"XCLIENT", "NAME=a+20b", true},
    {"XCLIENT", "BOGUS=1", false},
    {"XCLIENT", "IDENT=x", false},
    {"XCLIENT", "", false},
    {"XCLIENT", "NAME", false},
    {"XCLIENT", "=x", false},
    {"XCLIENT", "NAME=a+2", false},
    {"XCLIENT", "NAME=a+zz", false},
    {"XFORWARD", "NAME=xforward.test ADDR=192.0.2.32 PROTO=ESMTP HELO=o.test",
     true},
    {"XFORWARD", "IDENT=123 SOURCE=REMOTE", true},
    {"XFORWARD", "LOGIN=x", false},
    {"XFORWARD", "BOGUS=1", false},
};

START_TEST(test_attrs)
{
    char err[128] = "";
    bool got = sink_proxy_attrs_valid(ATTRS[_i].which, ATTRS[_i].args, err,
                                      sizeof err);
    ck_assert_msg(got == ATTRS[_i].ok, "%s %s: got %d, want %d (%s)",
                  ATTRS[_i].which, ATTRS[_i].args, got, ATTRS[_i].ok, err);
    ck_assert_msg(got || err[0], "%s: refused without a reason",
                  ATTRS[_i].args);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_loop_test(tc, test_vectors_split, 0,
                        (int)(sizeof VECS / sizeof VECS[0]));
    tcase_add_test(tc, test_client_headers);
    tcase_add_test(tc, test_modes);
    tcase_add_loop_test(tc, test_attrs, 0,
                        (int)(sizeof ATTRS / sizeof ATTRS[0]));
}

#include "check_main.h"
