/* Tests of suite/target_file.c: every setting lands in struct target,
 * fixtures from literals, quotes, env: and file:, secrets never echoed
 * in messages, xfail dates, and the first error line of bad files. */
#define TEST_NAME "target_file"
#include "suite/target_file.h"
#include "harness/xalloc.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int io_read(void *arg, const char *path, char **buf, size_t *len,
                   char *err, size_t errlen)
{
    static const struct {
        const char *path, *text;
    } F[] = {{"dir/pass.txt", "s3cret\r\n"}, {"dir/motd", "two\nlines"}};
    for (size_t i = 0; i < 2; i++)
        if (strcmp(path, F[i].path) == 0) {
            *buf = xstrdup(F[i].text);
            *len = strlen(F[i].text);
            return 0;
        }
    snprintf(err, errlen, "%s: No such file or directory", path);
    return -1;
}

static const char *io_getenv(void *arg, const char *name)
{
    return strcmp(name, "T_USER") == 0 ? "alice" : NULL;
}

static int io_check(void *arg, const char *path, char *err, size_t errlen)
{
    if (strcmp(path, "dir/ca.pem") == 0 || strcmp(path, "dir/c.pem") == 0 ||
        strcmp(path, "dir/k.pem") == 0)
        return 0;
    snprintf(err, errlen, "%s: No such file or directory", path);
    return -1;
}

static const struct target_file_io IO = {io_read, io_getenv, io_check, NULL};

static struct target *parse(const char *src, char **msgs)
{
    size_t n;
    FILE *fp = open_memstream(msgs, &n);
    struct diag d;
    diag_init(&d, fp);
    struct target *t =
        target_file_parse("dir/x.target", src, strlen(src), &IO, &d);
    fclose(fp);
    return t;
}

START_TEST(test_full)
{
    const char *src =
        "# a target\r\nname: mx1\r\naddress: [::1]:587\ntls: starttls\n"
        "protocol: lmtp\nhello: helo\nhelo: me.test # comment\nauth: PLAIN\n"
        "bind: 127.0.0.2\ntls-verify: system\ntls-ca-file: ca.pem\n"
        "tls-servername: mx.test\ntls-check-name: yes\ntls-sni: no\n"
        "tls-cert: c.pem\ntls-key: k.pem\ntls-min: TLSv1.2\ntls-max: TLSv1.3\n"
        "tls-ciphers: HIGH:!aNULL\ntls-suites: TLS_AES_128_GCM_SHA256\n"
        "proxy: v2\nproxy-source: [2001:db8::1]:4000\n"
        "proxy-dest: 192.0.2.1:25\nxclient: ADDR=192.0.2.9 NAME=c.test\n"
        "xclient-tls: before\nxforward: PROTO=ESMTP\n"
        "fixture sender = a@b.test\nfixture note = \"x # y\\t\"\n"
        "secret user = env:T_USER\nsecret pass = file:pass.txt\n"
        "fixture motd = file:motd\nfixture gone = env:T_NONE\n"
        "xfail: syn.* \"known\" until:2024-02-29\nxfail: core.x \"r\"\n";
    char *msgs = NULL;
    struct target *t = parse(src, &msgs);
    ck_assert_msg(t != NULL, "%s", msgs);
    ck_assert_str_eq(t->name, "mx1");
    ck_assert_str_eq(t->file, "dir/x.target");
    ck_assert_int_eq(t->transport, TARGET_TCP);
    ck_assert_str_eq(t->host, "::1");
    ck_assert_str_eq(t->port, "587");
    ck_assert_int_eq(t->tls, TARGET_TLS_STARTTLS);
    ck_assert_int_eq(t->protocol, TARGET_LMTP);
    ck_assert_int_eq(t->hello, TARGET_HELLO_HELO);
    ck_assert_str_eq(t->helo_name, "me.test");
    ck_assert_str_eq(t->auth_mech, "PLAIN");
    ck_assert_str_eq(t->bind, "127.0.0.2");
    ck_assert_int_eq(t->proxy, PROXY_V2);
    ck_assert_str_eq(t->proxy_source, "[2001:db8::1]:4000");
    ck_assert_str_eq(t->proxy_dest, "192.0.2.1:25");
    ck_assert_str_eq(t->xclient, "ADDR=192.0.2.9 NAME=c.test");
    ck_assert(t->xclient_before_tls);
    ck_assert_str_eq(t->xforward, "PROTO=ESMTP");
    const struct target_tls_opts *o = &t->tls_opts;
    ck_assert_int_eq(o->verify, TARGET_VERIFY_SYSTEM);
    ck_assert_str_eq(o->ca_file, "dir/ca.pem");
    ck_assert_str_eq(o->servername, "mx.test");
    ck_assert(o->check_name);
    ck_assert(o->no_sni);
    ck_assert_str_eq(o->cert_file, "dir/c.pem");
    ck_assert_str_eq(o->key_file, "dir/k.pem");
    ck_assert_str_eq(o->min_proto, "TLSv1.2");
    ck_assert_str_eq(o->max_proto, "TLSv1.3");
    ck_assert_str_eq(o->ciphers, "HIGH:!aNULL");
    ck_assert_str_eq(o->suites, "TLS_AES_128_GCM_SHA256");
    static const struct {
        const char *name, *value;
        bool secret;
    } F[] = {{"sender", "a@b.test", false},
             {"note", "x # y\t", false},
             {"user", "alice", true},
             {"pass", "s3cret", true},
             {"motd", "two\nlines", true}};
    for (size_t i = 0; i < 5; i++) {
        const struct target_fixture *f = target_fixture(t, F[i].name);
        ck_assert_msg(f != NULL, "fixture %s", F[i].name);
        ck_assert_str_eq(f->value, F[i].value);
        ck_assert_int_eq(f->secret, F[i].secret);
    }
    ck_assert_ptr_null(target_fixture(t, "gone"));
    ck_assert_uint_eq(t->nxfails, 2);
    ck_assert_str_eq(t->xfails[0].pattern, "syn.*");
    ck_assert_str_eq(t->xfails[0].reason, "known");
    /* through 2024-02-29 UTC: until the start of March 1st */
    struct tm tm = {.tm_year = 124, .tm_mon = 2, .tm_mday = 1};
    ck_assert_int_eq(t->xfails[0].until_us, (int64_t)timegm(&tm) * 1000000);
    ck_assert_int_eq(t->xfails[1].until_us, 0);
    ck_assert_ptr_nonnull(target_xfail_for(t, "syn.dataargs.rejected"));
    target_free(t);
    free(msgs);
}
END_TEST

START_TEST(test_defaults)
{
    char *msgs = NULL;
    struct target *t = parse("address: unix:/run/s.sock\n"
                             "tls-ca-file: ca.pem\n",
                             &msgs);
    ck_assert_msg(t != NULL, "%s", msgs);
    ck_assert_str_eq(t->name, "x");
    ck_assert_int_eq(t->transport, TARGET_UNIX);
    ck_assert_str_eq(t->path, "/run/s.sock");
    ck_assert_int_eq(t->tls, TARGET_TLS_NONE);
    ck_assert_str_eq(t->helo_name, "client.test");
    ck_assert_int_eq(t->tls_opts.verify, TARGET_VERIFY_CAFILE);
    ck_assert_int_eq(t->proxy, PROXY_NONE);
    ck_assert_ptr_null(t->xclient);
    ck_assert(!t->xclient_before_tls);
    target_free(t);
    free(msgs);
}
END_TEST

static const struct {
    const char *src, *want;
} INVALID[] = {
    {"", "dir/x.target:1:1: missing 'address' (HOST:PORT, [IPV6]:PORT or "
         "unix:/PATH)"},
    {"address: localhost\n", "dir/x.target:1:10: 'localhost': want HOST:PORT, "
                             "[IPV6]:PORT or unix:/PATH"},
    {"address: h:99999\n", "dir/x.target:1:10: 'h:99999': '99999' is not a "
                           "port (1-65535)"},
    {"address: h:1\naddress: h:2\n", "dir/x.target:2:1: 'address' given twice"},
    {"adress: h:1\n", "dir/x.target:1:1: unknown key 'adress' (see "
                      "docs/target-format.md)"},
    {"tls: yes\n", "dir/x.target:1:6: unknown tls mode 'yes' (want none, "
                   "starttls, implicit)"},
    {"tls-min: TLSv1.4\n", "dir/x.target:1:10: unknown TLS version 'TLSv1.4' "
                           "(want TLSv1, TLSv1.1, TLSv1.2, TLSv1.3)"},
    {"tls-sni: maybe\n", "dir/x.target:1:10: unknown tls-sni 'maybe' (want "
                         "no, yes)"},
    {"helo:\n", "dir/x.target:1:6: 'helo' needs a value"},
    {"tls-cert: nope.pem\n", "dir/x.target:1:11: dir/nope.pem: No such file "
                             "or directory"},
    {"address: h:1\ntls-cert: c.pem\n", "dir/x.target:1:1: tls-cert and "
                                        "tls-key come together"},
    {"address: h:1\ntls-verify: ca-file\n", "dir/x.target:1:1: tls-verify: "
                                            "ca-file needs tls-ca-file"},
    {"address: h:1\nauth: PLAIN\n", "dir/x.target:1:1: auth: PLAIN needs the "
                                    "fixtures user and pass (or token)"},
    {"fixture = x\n", "dir/x.target:1:9: want a fixture name (letters, "
                      "digits, _)"},
    {"fixture a x\n", "dir/x.target:1:11: want '=' after the name"},
    {"fixture a =\n", "dir/x.target:1:12: want a value after '='"},
    {"fixture a = \"x\\q\"\n", "dir/x.target:1:15: bad escape (want \\r \\n "
                               "\\t \\0 \\\\ \\\" or \\xNN)"},
    {"fixture a = file:none\n", "dir/x.target:1:13: dir/none: No such file or "
                                "directory"},
    {"secret pass = hunter2\n", "dir/x.target:1:15: a secret comes from "
                                "env:VAR or file:PATH, not from this file"},
    {"secret pass = \"hunter2\"\n", "dir/x.target:1:15: a secret comes from "
                                    "env:VAR or file:PATH, not from this "
                                    "file"},
    {"xfail: a\n", "dir/x.target:1:9: want a \"reason\" after the id"},
    {"xfail: a \"r\" until:2023-02-29\n", "dir/x.target:1:20: 2023-02-29 is "
                                          "not a date"},
    {"xfail: a \"r\" until:23-1-1\n", "dir/x.target:1:20: want "
                                      "until:YYYY-MM-DD"},
    {"xfail: a \"r\" when:x\n", "dir/x.target:1:14: want until:YYYY-MM-DD or "
                                "the end of the line"},
    {"hello there\n", "dir/x.target:1:1: want 'key: value', 'fixture NAME = "
                      "VALUE' or 'secret NAME = env:VAR'"},
    {"name: a\x01\n", "dir/x.target:1:8: a control character"},
    {"proxy: v3\n", "dir/x.target:1:8: unknown proxy version 'v3' (want "
                    "none, v1, v2)"},
    {"proxy-source: 192.0.2.1\n", "dir/x.target:1:15: '192.0.2.1' is not "
                                  "ADDR:PORT"},
    {"proxy-dest: mx.test:25\n", "dir/x.target:1:13: 'mx.test' is not a "
                                 "numeric IPv4 (or [IPv6]) address"},
    {"xclient: ADDR\n", "dir/x.target:1:10: 'ADDR' is not NAME=VALUE"},
    {"xforward: A=1  B=2\n", "dir/x.target:1:11: '' is not NAME=VALUE"},
    {"xclient-tls: during\n", "dir/x.target:1:14: unknown xclient-tls "
                              "'during' (want after, before)"},
};

START_TEST(test_invalid)
{
    char *msgs = NULL;
    struct target *t = parse(INVALID[_i].src, &msgs);
    ck_assert_msg(t == NULL, "vec %d parsed", _i);
    size_t n = strcspn(msgs, "\n");
    ck_assert_msg(strlen(INVALID[_i].want) == n &&
                      strncmp(msgs, INVALID[_i].want, n) == 0,
                  "vec %d:\ngot:  %.*s\nwant: %s", _i, (int)n, msgs,
                  INVALID[_i].want);
    free(msgs);
}
END_TEST

/* No secret ever reaches a message, whatever is wrong on its line. */
START_TEST(test_secret_lines_hidden)
{
    static const char *const SRC[] = {
        "secret pass = hunter2\n",       "fixture pass = \"hunter2\\q\"\n",
        "fixture token = hunter2 \"x\n", "secret hunter2\n",
        "fixture user hunter2\n",        "fixture pass = hunter2\x01\n",
    };
    for (size_t i = 0; i < sizeof SRC / sizeof SRC[0]; i++) {
        char *msgs = NULL;
        char *src = xasprintf("address: h:1\n%s", SRC[i]);
        struct target *t = parse(src, &msgs);
        ck_assert_msg(strstr(msgs, "hunter2") == NULL, "vec %zu leaked:\n%s", i,
                      msgs);
        target_free(t);
        free(src);
        free(msgs);
    }
}
END_TEST

START_TEST(test_value_resolve)
{
    char *v = NULL, err[128];
    size_t len;
    bool via;
    ck_assert_int_eq(target_value_resolve("env:T_USER", 10, NULL, &IO, &v, &len,
                                          &via, err, sizeof err),
                     1);
    ck_assert_str_eq(v, "alice");
    ck_assert(via);
    free(v);
    ck_assert_int_eq(target_value_resolve("env:T_NONE", 10, NULL, &IO, &v, &len,
                                          &via, err, sizeof err),
                     0);
    ck_assert_int_eq(target_value_resolve("plain:x", 7, NULL, &IO, &v, &len,
                                          &via, err, sizeof err),
                     1);
    ck_assert_str_eq(v, "plain:x");
    ck_assert(!via);
    free(v);
    ck_assert(target_always_secret("pass"));
    ck_assert(!target_always_secret("rcpt"));
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_full);
    tcase_add_test(tc, test_defaults);
    tcase_add_loop_test(tc, test_invalid, 0,
                        sizeof INVALID / sizeof INVALID[0]);
    tcase_add_test(tc, test_secret_lines_hidden);
    tcase_add_test(tc, test_value_resolve);
}

#include "check_main.h"
