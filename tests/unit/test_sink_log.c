/* Tests of harness/sink_log.c: the arrival record of a message, parsed
 * back with jansson; the digests are checked against values computed by
 * sha256sum, not by the module. */
#include "harness/sink_log.h"
#include "harness/msggen.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEST_NAME "sink_log"

static json_t *record(const char *data, size_t len, bool with_data)
{
    struct sink_address mail = {"a@x.test", "SIZE=10"};
    struct sink_address rcpts[2] = {{"b@y.test", ""},
                                    {"c@y.test", "NOTIFY=NEVER"}};
    struct sink_message m = {.session = "abcd-000001",
                             .client = "127.0.0.1:4242",
                             .helo = "client.test",
                             .protocol = "ESMTP",
                             .queue_id = "abcd-000001.1",
                             .transfer = "DATA",
                             .time_us = 1700000000123456LL,
                             .mail = &mail,
                             .rcpts = rcpts,
                             .nrcpt = 2,
                             .data = data,
                             .len = len};
    char *s = sink_log_format(&m, with_data);
    ck_assert_msg(!strchr(s, '\n'), "record is not one line: %s", s);
    json_error_t e;
    json_t *o = json_loads(s, 0, &e);
    ck_assert_msg(o != NULL, "not JSON: %s (%s)", s, e.text);
    free(s);
    return o;
}

static const char *str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    ck_assert_msg(json_is_string(v), "no string '%s'", k);
    return json_string_value(v);
}

START_TEST(test_record)
{
    const char *msg = "Subject: x\r\nX-Folded: a\r\n b\r\n\r\nbody\r\n";
    json_t *o = record(msg, strlen(msg), false);
    ck_assert_str_eq(str(o, "time"), "2023-11-14T22:13:20.123Z");
    json_t *us = json_object_get(o, "time_us"); /* exact, for the join */
    ck_assert_msg(json_is_integer(us) &&
                      json_integer_value(us) == 1700000000123456LL,
                  "time_us: got %lld, want 1700000000123456",
                  (long long)json_integer_value(us));
    ck_assert_str_eq(str(o, "session"), "abcd-000001");
    ck_assert_str_eq(str(o, "queue_id"), "abcd-000001.1");
    ck_assert_str_eq(str(o, "client"), "127.0.0.1:4242");
    ck_assert_str_eq(str(o, "helo"), "client.test");
    ck_assert_str_eq(str(o, "protocol"), "ESMTP");
    ck_assert_str_eq(str(o, "transfer"), "DATA");
    json_t *mf = json_object_get(o, "mail_from");
    ck_assert_str_eq(str(mf, "address"), "a@x.test");
    ck_assert_str_eq(str(mf, "params"), "SIZE=10");
    json_t *rt = json_object_get(o, "rcpt_to");
    ck_assert_uint_eq(json_array_size(rt), 2);
    ck_assert_str_eq(str(json_array_get(rt, 1), "params"), "NOTIFY=NEVER");
    ck_assert_int_eq(json_integer_value(json_object_get(o, "size")), 37);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "body_size")), 6);
    ck_assert_str_eq(str(o, "data_sha256"), "d7ae212bf9bb994b4457ba7edae2f7cf"
                                            "f7b565c4dcc40cd9298abaad66077576");
    ck_assert_str_eq(str(o, "body_sha256"), "0a4e52a11356529491e17d023afed1e6"
                                            "e6f6a544ed97ac73e1d4c5cfefa38b83");
    json_t *h = json_object_get(o, "headers");
    ck_assert_uint_eq(json_array_size(h), 2);
    ck_assert_str_eq(str(json_array_get(h, 0), "name"), "Subject");
    ck_assert_str_eq(str(json_array_get(h, 0), "value"), "x");
    ck_assert_str_eq(str(json_array_get(h, 1), "name"), "X-Folded");
    ck_assert_str_eq(str(json_array_get(h, 1), "value"), "a b");
    ck_assert_ptr_null(json_object_get(o, "data"));
    ck_assert_ptr_null(json_object_get(o, "tls"));
    ck_assert_ptr_null(json_object_get(o, "auth"));
    ck_assert_ptr_null(json_object_get(o, "token"));
    ck_assert_ptr_null(json_object_get(o, "change"));
    json_decref(o);
}
END_TEST

/* A generated message: its delivery token, and its change class after a
 * relay added a trace field. */
START_TEST(test_delivery_fields)
{
    struct msggen_params mp = {.run_id = "R", .case_id = "c", .size = 500};
    struct buf b;
    buf_init(&b, 1 << 16);
    buf_adds(&b, "Received: from x by y; Sun, 1 Nov 2026 00:00:00 +0000\r\n");
    char token[MSGGEN_TOKEN_MAX];
    uint64_t fill;
    msggen_head(&mp, &b, &fill, token);
    msggen_fill(&b, fill);
    json_t *o = record(b.data, b.len, false);
    ck_assert_str_eq(str(o, "token"), token);
    ck_assert_str_eq(str(o, "change"), "trace-only");
    json_decref(o);
    buf_free(&b);
}
END_TEST

/* A message that came over TLS from an authenticated client. */
START_TEST(test_tls_auth)
{
    struct sink_address mail = {"a@x.test", ""};
    struct sink_tls_info tls = {"TLSv1.3", "TLS_AES_256_GCM_SHA384",
                                "mx.sink.test", "/CN=client.test"};
    struct sink_message m = {.session = "s",
                             .client = "c",
                             .helo = "h",
                             .protocol = "ESMTPSA",
                             .queue_id = "q",
                             .transfer = "DATA",
                             .mail = &mail,
                             .data = "",
                             .tls = &tls,
                             .auth = "alice"};
    char *s = sink_log_format(&m, false);
    json_t *o = json_loads(s, 0, NULL);
    ck_assert_msg(o != NULL, "%s", s);
    free(s);
    json_t *t = json_object_get(o, "tls");
    ck_assert_str_eq(str(t, "protocol"), "TLSv1.3");
    ck_assert_str_eq(str(t, "cipher"), "TLS_AES_256_GCM_SHA384");
    ck_assert_str_eq(str(t, "sni"), "mx.sink.test");
    ck_assert_str_eq(str(t, "client_cert"), "/CN=client.test");
    ck_assert_str_eq(str(o, "auth"), "alice");
    ck_assert_str_eq(str(o, "protocol"), "ESMTPSA");
    json_decref(o);
}
END_TEST

START_TEST(test_no_headers_and_8bit)
{
    /* no header section: everything is body */
    json_t *o = record("", 0, true);
    ck_assert_str_eq(str(o, "body_sha256"), "e3b0c44298fc1c149afbf4c8996fb924"
                                            "27ae41e4649b934ca495991b7852b855");
    ck_assert_uint_eq(json_array_size(json_object_get(o, "headers")), 0);
    ck_assert_str_eq(str(o, "data"), "");
    json_decref(o);
    const char *msg = "not a header line\r\n";
    o = record(msg, strlen(msg), false);
    ck_assert_uint_eq(json_array_size(json_object_get(o, "headers")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "body_size")), 19);
    json_decref(o);
    /* a header value that is not UTF-8 comes out escaped */
    const char *bad = "Subject: caf\xe9\r\nX-Ok: caf\xc3\xa9\r\n\r\n\x00\r\n";
    o = record(bad, 33, true);
    json_t *h = json_object_get(o, "headers");
    ck_assert_str_eq(str(json_array_get(h, 0), "value"), "caf\\xe9");
    ck_assert(json_is_true(json_object_get(json_array_get(h, 0), "escaped")));
    ck_assert_str_eq(str(json_array_get(h, 1), "value"), "caf\xc3\xa9");
    ck_assert_ptr_null(json_object_get(json_array_get(h, 1), "escaped"));
    ck_assert_str_eq(str(o, "data"), "Subject: caf\\xe9\\r\\nX-Ok: caf\\xc3"
                                     "\\xa9\\r\\n\\r\\n\\x00\\r\\n");
    json_decref(o);
}
END_TEST

START_TEST(test_file)
{
    char path[] = "/tmp/test_sink_log_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    char err[512];
    struct sink_log *l = sink_log_open(path, false, err, sizeof err);
    ck_assert_ptr_nonnull(l);
    struct sink_address mail = {"", ""};
    struct sink_message m = {.session = "s",
                             .client = "unix",
                             .helo = "h",
                             .protocol = "LMTP",
                             .queue_id = "s.1",
                             .transfer = "BDAT",
                             .mail = &mail,
                             .data = "x",
                             .len = 1};
    ck_assert_int_eq(sink_log_write(l, &m, err, sizeof err), 0);
    ck_assert_int_eq(sink_log_write(l, &m, err, sizeof err), 0);
    /* flushed per message: readable before the log is closed */
    json_error_t e;
    json_t *o = json_load_file(path, JSON_DISABLE_EOF_CHECK, &e);
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(str(o, "transfer"), "BDAT");
    json_decref(o);
    sink_log_close(l);
    FILE *fp = fopen(path, "r");
    int lines = 0;
    for (int ch; (ch = fgetc(fp)) != EOF;)
        lines += ch == '\n';
    fclose(fp);
    ck_assert_int_eq(lines, 2);
    unlink(path);
    ck_assert_ptr_null(
        sink_log_open("/nonexistent/dir/log", false, err, sizeof err));
    ck_assert_str_eq(err, "/nonexistent/dir/log: No such file or directory");
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_record);
    tcase_add_test(tc, test_delivery_fields);
    tcase_add_test(tc, test_tls_auth);
    tcase_add_test(tc, test_no_headers_and_8bit);
    tcase_add_test(tc, test_file);
}

#include "check_main.h"
