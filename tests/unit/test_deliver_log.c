/* Tests of harness/deliver_log.c: the submission log written from four
 * threads and read back both by the module and by jansson directly (the
 * oracle); a table of submission-log lines and one of arrival records,
 * each good or wrong in one way. */
#include "harness/deliver_log.h"

#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEST_NAME  "deliver_log"
#define PER_THREAD 250
#define THREADS    4

static struct deliver_log *LOG;

static void *writer(void *arg)
{
    long t = (long)arg;
    char token[64];
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(token, sizeof token, "R.0.%ld.%d.case", t, i);
        deliver_log_submit(LOG, token, 1700000000000000LL + t * 1000 + i);
    }
    return NULL;
}

START_TEST(test_write_read)
{
    char path[] = "/tmp/test_deliver_log_XXXXXX", err[256];
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    LOG = deliver_log_open(path, err, sizeof err);
    ck_assert_msg(LOG != NULL, "open: %s", err);
    deliver_log_header(LOG, "R", 2, 4);
    pthread_t th[THREADS];
    for (long t = 0; t < THREADS; t++)
        pthread_create(&th[t], NULL, writer, (void *)t);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    ck_assert_uint_eq(deliver_log_count(LOG), THREADS * PER_THREAD);
    ck_assert_int_eq(deliver_log_close(LOG, err, sizeof err), 0);

    FILE *fp = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, n = 0;
    ssize_t len;
    int seen[THREADS][PER_THREAD] = {{0}};
    while ((len = getline(&line, &cap, fp)) > 0) {
        struct deliver_log_line l;
        ck_assert_msg(
            deliver_log_parse(line, (size_t)len - 1, &l, err, sizeof err) == 0,
            "line %zu: %s", n + 1, err);
        json_t *o = json_loads(line, 0, NULL); /* the oracle */
        ck_assert_ptr_nonnull(o);
        if (n == 0) {
            ck_assert_msg(l.header && strcmp(l.run_id, "R") == 0 &&
                              l.shard == 2 && l.nshards == 4,
                          "header: got %d %s %u/%u", l.header, l.run_id,
                          l.shard, l.nshards);
            ck_assert_int_eq(json_integer_value(json_object_get(o, "shard")),
                             2);
        } else {
            long t;
            int i;
            ck_assert(!l.header);
            ck_assert_int_eq(sscanf(l.token, "R.0.%ld.%d.case", &t, &i), 2);
            ck_assert_str_eq(json_string_value(json_object_get(o, "token")),
                             l.token);
            ck_assert_int_eq(l.accepted_us, 1700000000000000LL + t * 1000 + i);
            ck_assert_int_eq(
                json_integer_value(json_object_get(o, "accepted_us")),
                l.accepted_us);
            char want[40];
            snprintf(want, sizeof want, "2023-11-14T22:13:20.%03ldZ", t);
            ck_assert_str_eq(json_string_value(json_object_get(o, "accepted")),
                             want);
            seen[t][i]++;
        }
        json_decref(o);
        n++;
    }
    free(line);
    fclose(fp);
    unlink(path);
    ck_assert_uint_eq(n, 1 + THREADS * PER_THREAD);
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++)
            ck_assert_msg(seen[t][i] == 1,
                          "R.0.%d.%d.case: got %d lines, "
                          "want 1",
                          t, i, seen[t][i]);
}
END_TEST

START_TEST(test_unwritable)
{
    char err[256];
    ck_assert_ptr_null(
        deliver_log_open("/nonexistent/dir/log.jsonl", err, sizeof err));
    ck_assert_msg(strstr(err, "/nonexistent/dir/log.jsonl"), "err: %s", err);
}
END_TEST

static const struct {
    const char *line;
    const char *err; /* NULL: read; else a part of the error */
    bool header;
    int64_t us;
} SUBS[] = {
    {"{\"token\":\"R.0.1.2.c\",\"accepted_us\":17,\"accepted\":\"x\"}", NULL,
     false, 17},
    {"{\"accepted_us\":5,\"token\":\"R.0.1.2.c\"}", NULL, false, 5},
    {"{\"deliver_log\":1,\"run_id\":\"R\",\"shard\":0,\"shards\":1}", NULL,
     true, 0},
    {"{\"deliver_log\":2,\"run_id\":\"R\",\"shard\":0,\"shards\":1}",
     "another version", true, 0},
    {"{\"deliver_log\":1,\"run_id\":\"R\",\"shard\":1,\"shards\":1}",
     "not I of N", true, 0},
    {"{\"deliver_log\":1,\"shard\":0,\"shards\":1}", "no run_id", true, 0},
    {"{\"token\":\"R.0.1.2.c\"}", "accepted_us", false, 0},
    {"{\"token\":\"R.0.1.2.c\",\"accepted_us\":-1}", "accepted_us", false, 0},
    {"{\"token\":\"R.0.1.2.c\",\"accepted_us\":\"5\"}", "accepted_us", false,
     0},
    {"{\"token\":\"\",\"accepted_us\":5}", "token", false, 0},
    {"{\"token\":7,\"accepted_us\":5}", "token", false, 0},
    {"{\"token\":\"a\",\"token\":\"b\",\"accepted_us\":5}", "not JSON", false,
     0},
    {"[1,2]", "not a JSON object", false, 0},
    {"{\"token\":\"R.0.1", "not JSON", false, 0},
    {"", "not JSON", false, 0},
};

START_TEST(test_parse_submission)
{
    for (size_t i = 0; i < sizeof SUBS / sizeof *SUBS; i++) {
        struct deliver_log_line l;
        char err[256] = "";
        int rc = deliver_log_parse(SUBS[i].line, strlen(SUBS[i].line), &l, err,
                                   sizeof err);
        if (!SUBS[i].err) {
            ck_assert_msg(rc == 0, "%s: got error '%s', want none",
                          SUBS[i].line, err);
            ck_assert_int_eq(l.header, SUBS[i].header);
            ck_assert_int_eq(l.accepted_us, SUBS[i].us);
            /* every good line of the table is of run R, token R.0.1.2.c */
            if (l.header)
                ck_assert_msg(strcmp(l.run_id, "R") == 0 && l.shard == 0 &&
                                  l.nshards == 1,
                              "%s: got %s %u/%u, want R 0/1", SUBS[i].line,
                              l.run_id, l.shard, l.nshards);
            else
                ck_assert_str_eq(l.token, "R.0.1.2.c");
        } else {
            ck_assert_msg(rc != 0 && strstr(err, SUBS[i].err),
                          "%s: got rc %d error '%s', want '%s'", SUBS[i].line,
                          rc, err, SUBS[i].err);
        }
    }
}
END_TEST

static const struct {
    const char *line;
    const char *err;
    bool has_token, carries;
    int cls;
    int64_t us;
    size_t nrcpt;
} ARRS[] = {
    {"{\"time\":\"2023-11-14T22:13:20.123Z\",\"time_us\":1700000000123456,"
     "\"rcpt_to\":[{\"address\":\"a@x\",\"params\":\"\"},{\"address\":"
     "\"b@x\"}],\"token\":\"R.0.0.1.c\",\"change\":\"trace-only\"}",
     NULL, true, true, ARRIVAL_TRACE_ONLY, 1700000000123456LL, 2},
    /* an older sink: milliseconds from "time" */
    {"{\"time\":\"2023-11-14T22:13:20.123Z\",\"rcpt_to\":[{\"address\":"
     "\"a@x\"}],\"token\":\"R.0.0.1.c\",\"change\":\"body-changed\"}",
     NULL, true, true, ARRIVAL_BODY_CHANGED, 1700000000123000LL, 1},
    /* no token, no digest: a foreign message */
    {"{\"time_us\":5,\"rcpt_to\":[{\"address\":\"a@x\"}]}", NULL, false, false,
     0, 5, 1},
    /* a token without a digest: unsigned */
    {"{\"time_us\":5,\"rcpt_to\":[],\"token\":\"R.0.0.1.c\"}", NULL, true,
     false, 0, 5, 0},
    {"{\"rcpt_to\":[{\"address\":\"a@x\"}]}", "time", false, false, 0, 0, 0},
    {"{\"time\":\"yesterday\",\"rcpt_to\":[]}", "time", false, false, 0, 0, 0},
    {"{\"time_us\":5}", "rcpt_to", false, false, 0, 0, 0},
    {"{\"time_us\":5,\"rcpt_to\":[{\"params\":\"\"}]}", "rcpt_to[0]", false,
     false, 0, 0, 0},
    {"{\"time_us\":5,\"rcpt_to\":[],\"change\":\"mangled\"}", "change class",
     false, false, 0, 0, 0},
    {"{\"time_us\":5,\"rcpt_to\":[],\"token\":[1]}", "token", false, false, 0,
     0, 0},
    {"time_us=5", "not JSON", false, false, 0, 0, 0},
};

START_TEST(test_parse_arrival)
{
    for (size_t i = 0; i < sizeof ARRS / sizeof *ARRS; i++) {
        struct deliver_arrival a;
        char err[256] = "";
        int rc = deliver_arrival_parse(ARRS[i].line, strlen(ARRS[i].line), &a,
                                       err, sizeof err);
        if (ARRS[i].err) {
            ck_assert_msg(rc != 0 && strstr(err, ARRS[i].err),
                          "%s: got rc %d error '%s', want '%s'", ARRS[i].line,
                          rc, err, ARRS[i].err);
            ck_assert_ptr_null(a.rcpts);
            continue;
        }
        ck_assert_msg(rc == 0, "%s: got error '%s'", ARRS[i].line, err);
        ck_assert_int_eq(a.has_token, ARRS[i].has_token);
        if (a.has_token) /* every token of the table */
            ck_assert_str_eq(a.token, "R.0.0.1.c");
        ck_assert_int_eq(a.carries, ARRS[i].carries);
        if (a.carries)
            ck_assert_int_eq(a.cls, ARRS[i].cls);
        ck_assert_int_eq(a.at_us, ARRS[i].us);
        ck_assert_uint_eq(a.nrcpt, ARRS[i].nrcpt);
        if (a.nrcpt)
            ck_assert_str_eq(a.rcpts[0], "a@x");
        deliver_arrival_clear(&a);
    }
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_write_read);
    tcase_add_test(tc, test_unwritable);
    tcase_add_test(tc, test_parse_submission);
    tcase_add_test(tc, test_parse_arrival);
}

#include "check_main.h"
