/* Tests of harness/deliver.c: the book's findings for a table of
 * submissions and arrivals, each counted by hand (the oracle); and the
 * in-process next hop, fed by a raw client over loopback. */
#include "harness/deliver.h"
#include "harness/clock.h"
#include "harness/msggen.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TEST_NAME "deliver"

static int64_t SUM_US;
static int NLAT;

static void lat(void *arg, int64_t us)
{
    (void)arg;
    SUM_US += us;
    NLAT++;
}

START_TEST(test_book)
{
    struct deliver_book *b = deliver_book_new("R");
    /* m1 on time, m2 late, m3 lost, m4 twice to x (a duplicate) and
     * once to y, m5 changed, m6 arrives before its 250 is seen */
    deliver_book_submit(b, "R.0.1.0.c", 1000);
    deliver_book_submit(b, "R.0.2.0.c", 1000);
    deliver_book_submit(b, "R.0.3.0.c", 1000);
    deliver_book_submit(b, "R.0.4.0.c", 1000);
    deliver_book_submit(b, "R.0.5.0.c", 1000);
    ck_assert_uint_eq(deliver_book_missing(b), 5);
    deliver_book_arrive(b, "R.0.1.0.c", "x", 1500, true, ARRIVAL_TRACE_ONLY);
    deliver_book_arrive(b, "R.0.2.0.c", "x", 9001000, true, ARRIVAL_TRACE_ONLY);
    deliver_book_arrive(b, "R.0.4.0.c", "x", 2000, true, ARRIVAL_TRACE_ONLY);
    deliver_book_arrive(b, "R.0.4.0.c", "y", 2000, true, ARRIVAL_TRACE_ONLY);
    deliver_book_arrive(b, "R.0.4.0.c", "x", 3000, true, ARRIVAL_TRACE_ONLY);
    deliver_book_arrive(b, "R.0.5.0.c", "x", 2000, true, ARRIVAL_BODY_CHANGED);
    deliver_book_arrive(b, "R.0.6.0.c", "x", 500, true, ARRIVAL_INTACT);
    deliver_book_arrive(b, "S.0.1.0.c", "x", 500, true, ARRIVAL_INTACT);
    deliver_book_arrive(b, NULL, "x", 500, false, ARRIVAL_INTACT);
    deliver_book_arrive(b, "R", "x", 500, false, ARRIVAL_INTACT);
    ck_assert_uint_eq(deliver_book_missing(b), 1);
    deliver_book_submit(b, "R.0.6.0.c", 1000);
    deliver_book_submit(b, "R.0.6.0.c", 1000); /* counted once */
    ck_assert_uint_eq(deliver_book_missing(b), 1);
    struct deliver_report r;
    SUM_US = NLAT = 0;
    deliver_book_report(b, 5000000, &r, lat, NULL);
    ck_assert_uint_eq(r.submitted, 6);
    ck_assert_uint_eq(r.arrived, 5);
    ck_assert_uint_eq(r.lost, 1);
    ck_assert_str_eq(r.lost_tokens, "R.0.3.0.c");
    ck_assert_uint_eq(r.late, 1);
    ck_assert_uint_eq(r.duplicated, 1);
    ck_assert_str_eq(r.duplicated_tokens, "R.0.4.0.c");
    ck_assert_uint_eq(r.unexpected, 0);
    ck_assert_uint_eq(r.foreign, 3);
    ck_assert_uint_eq(r.classes[ARRIVAL_TRACE_ONLY], 3);
    ck_assert_uint_eq(r.classes[ARRIVAL_BODY_CHANGED], 1);
    ck_assert_uint_eq(r.classes[ARRIVAL_INTACT], 1);
    ck_assert_uint_eq(r.corrupt, 1);
    ck_assert_str_eq(r.changed_tokens, "R.0.5.0.c(body-changed)");
    ck_assert_int_eq(NLAT, 5);
    /* 500 + 9000000 + 1000 + 1000 + 0 (before the 250: clamped) */
    ck_assert_int_eq(SUM_US, 500 + 9000000 + 1000 + 1000);
    deliver_book_free(b);
}
END_TEST

/* Messages their cases judge (expect arrival, expect dsn) count in no
 * finding, whether they arrive changed, twice, before being exempted,
 * or never. */
START_TEST(test_book_exempt)
{
    struct deliver_book *b = deliver_book_new("R");
    deliver_book_submit(b, "R.0.1.0.c", 1000);
    deliver_book_exempt(b, "R.0.2.0.c");
    deliver_book_exempt(b, "R.0.3.0.c"); /* refused downstream: never */
    deliver_book_arrive(b, "R.0.4.0.c", "x", 900, true, ARRIVAL_BODY_CHANGED);
    deliver_book_exempt(b, "R.0.4.0.c"); /* its 250 after its arrival */
    deliver_book_arrive(b, "R.0.1.0.c", "x", 1500, true, ARRIVAL_TRACE_ONLY);
    deliver_book_arrive(b, "R.0.2.0.c", "x", 1500, true, ARRIVAL_BODY_CHANGED);
    deliver_book_arrive(b, "R.0.2.0.c", "x", 1600, true, ARRIVAL_BODY_CHANGED);
    ck_assert_uint_eq(deliver_book_missing(b), 0);
    struct deliver_report r;
    SUM_US = NLAT = 0;
    deliver_book_report(b, 5000000, &r, lat, NULL);
    ck_assert_uint_eq(r.submitted, 1);
    ck_assert_uint_eq(r.arrived, 1);
    ck_assert_uint_eq(r.lost + r.duplicated + r.unexpected + r.corrupt, 0);
    ck_assert_uint_eq(r.classes[ARRIVAL_TRACE_ONLY], 1);
    ck_assert_uint_eq(r.classes[ARRIVAL_BODY_CHANGED], 0);
    ck_assert_int_eq(NLAT, 1);
    deliver_book_free(b);
}
END_TEST

/* Many tokens: the table grows and finds every one again. */
START_TEST(test_book_many)
{
    struct deliver_book *b = deliver_book_new("R");
    char t[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(t, sizeof t, "R.0.%d.0.c", i);
        deliver_book_submit(b, t, 0);
    }
    for (int i = 0; i < 5000; i += 2) {
        snprintf(t, sizeof t, "R.0.%d.0.c", i);
        deliver_book_arrive(b, t, "x", 10, true, ARRIVAL_INTACT);
    }
    ck_assert_uint_eq(deliver_book_missing(b), 2500);
    struct deliver_report r;
    deliver_book_report(b, 5, &r, NULL, NULL);
    ck_assert_uint_eq(r.lost, 2500);
    ck_assert_uint_eq(r.late, 2500);
    ck_assert_uint_eq(strlen(r.lost_tokens) > 0, 1);
    deliver_book_free(b);
}
END_TEST

static void say(int fd, const char *s)
{
    ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* The next hop: a message sent by hand arrives in the book. */
START_TEST(test_next_hop)
{
    char err[256];
    bool usage = false;
    struct deliver_params p = {
        .listen = "127.0.0.1:0", .run_id = "R", .quiet = true};
    struct deliver *d = deliver_new(&p, &usage, err, sizeof err);
    ck_assert_msg(d != NULL, "deliver_new: %s", err);
    struct deliver_params bad = {.listen = "no-such-address:x", .quiet = true};
    ck_assert(deliver_new(&bad, &usage, err, sizeof err) == NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)deliver_port(d))};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct msggen_params mp = {.run_id = "R", .case_id = "c", .size = 3000};
    struct buf m;
    buf_init(&m, 1 << 16);
    char token[MSGGEN_TOKEN_MAX];
    uint64_t fill;
    msggen_head(&mp, &m, &fill, token);
    msggen_fill(&m, fill);
    say(fd, "EHLO t.test\r\nMAIL FROM:<a@t.test>\r\n"
            "RCPT TO:<b@t.test>\r\nDATA\r\n");
    usleep(200000);
    say(fd, buf_str(&m));
    say(fd, ".\r\nQUIT\r\n");
    char in[4096];
    while (read(fd, in, sizeof in) > 0)
        ;
    close(fd);
    deliver_submit(d, token, clock_wall_us());
    deliver_submit(d, "R.0.0.999999.lost", clock_wall_us());
    int64_t t0 = clock_mono_us();
    ck_assert_uint_eq(deliver_wait(d, t0 + 1000000, 0, NULL), 1);
    ck_assert_int_ge(clock_mono_us() - t0, 900000);
    struct deliver_report r;
    deliver_finish(d, DELIVER_LATE_US, &r, NULL, NULL);
    ck_assert_uint_eq(r.submitted, 2);
    ck_assert_uint_eq(r.arrived, 1);
    ck_assert_uint_eq(r.lost, 1);
    ck_assert_uint_eq(r.classes[ARRIVAL_INTACT], 1);
    ck_assert_uint_eq(r.foreign, 0);
    buf_free(&m);
    deliver_free(d);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_book);
    tcase_add_test(tc, test_book_many);
    tcase_add_test(tc, test_book_exempt);
    tcase_add_test(tc, test_next_hop);
}

#include "check_main.h"
