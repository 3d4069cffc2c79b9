/* Tests of suite/deliver_join.c: a table of runs, each a set of
 * submission logs and arrival logs written as files, joined, and the
 * book's findings compared with an oracle that counts them from the
 * same table by brute force (no book, no hash, no log reader); and a
 * table of bad inputs, each with its status and the file:line named. */
#include "suite/deliver_join.h"
#include "harness/arrival.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEST_NAME "deliver_join"
#define MAXN      16
#define NONE      -1 /* no digest */

struct sub {
    const char *token;
    int64_t us;
    int shard;
};

struct arr {
    const char *token; /* NULL: none */
    const char *rcpt;
    int64_t us;
    int cls; /* NONE: no digest */
    int file;
};

struct scenario {
    const char *name;
    unsigned nshards;
    struct sub subs[MAXN];
    struct arr arrs[MAXN];
    int64_t late_us;
};

#define S(t, us, sh)                                                           \
    {                                                                          \
        t, us, sh                                                              \
    }
#define A(t, r, us, c, f)                                                      \
    {                                                                          \
        t, r, us, c, f                                                         \
    }

static const struct scenario RUNS[] = {
    {"all intact",
     1,
     {S("R.0.0.1.c", 1000, 0), S("R.0.0.2.c", 2000, 0)},
     {A("R.0.0.1.c", "u1@x", 1500, ARRIVAL_INTACT, 0),
      A("R.0.0.2.c", "u2@x", 2100, ARRIVAL_TRACE_ONLY, 0)},
     10000},
    {"every finding",
     1,
     {S("R.0.0.1.c", 1000, 0), S("R.0.0.2.c", 1000, 0), S("R.0.0.3.c", 1000, 0),
      S("R.0.0.4.c", 1000, 0), S("R.0.0.5.c", 1000, 0), S("R.0.0.6.c", 1000, 0),
      S("R.0.0.7.c", 5000, 0)},
     {/* 1 on time; 2 late; 3 lost; 4 twice to one recipient, once to
         another; 5 body changed; 6 no digest; 7 before its 250 */
      A("R.0.0.1.c", "a@x", 1200, ARRIVAL_INTACT, 0),
      A("R.0.0.2.c", "a@x", 20000, ARRIVAL_INTACT, 0),
      A("R.0.0.4.c", "a@x", 1300, ARRIVAL_TRACE_ONLY, 0),
      A("R.0.0.4.c", "a@x", 1400, ARRIVAL_TRACE_ONLY, 0),
      A("R.0.0.4.c", "b@x", 1300, ARRIVAL_TRACE_ONLY, 0),
      A("R.0.0.5.c", "a@x", 1300, ARRIVAL_BODY_CHANGED, 0),
      A("R.0.0.6.c", "a@x", 1300, NONE, 0),
      A("R.0.0.7.c", "a@x", 4000, ARRIVAL_INTACT, 0),
      /* unexpected: this run's, never accepted, twice to one recipient */
      A("R.0.0.9.c", "a@x", 1300, ARRIVAL_INTACT, 0),
      A("R.0.0.9.c", "a@x", 1300, ARRIVAL_INTACT, 0),
      /* foreign: another run's, and none */
      A("Q.0.0.1.c", "a@x", 1300, ARRIVAL_INTACT, 0),
      A(NULL, "a@x", 1300, NONE, 0)},
     5000},
    {"two shards, two sinks, the earlier arrival in the later log",
     2,
     {S("R.s0.0.0.1.c", 1000, 0), S("R.s1.1.0.1.c", 1000, 1),
      S("R.s1.1.0.2.c", 1000, 1)},
     {A("R.s0.0.0.1.c", "a@x", 9000, ARRIVAL_INTACT, 0),
      A("R.s1.1.0.1.c", "a@x", 9000, ARRIVAL_BODY_CHANGED, 0),
      A("R.s0.0.0.1.c", "a@x", 3000, ARRIVAL_HEADERS_ADDED, 1),
      A("R.s1.1.0.1.c", "a@x", 2000, ARRIVAL_TRACE_ONLY, 1)},
     4000},
};

/* ---- the oracle ---------------------------------------------------------- */

struct expect {
    uint64_t submitted, arrived, lost, late, duplicated, unexpected, foreign,
        unsigned_, corrupt, classes[ARRIVAL_CLASS_COUNT];
    int64_t latency_sum;
};

static size_t count_subs(const struct scenario *s)
{
    size_t n = 0;
    while (n < MAXN && s->subs[n].token)
        n++;
    return n;
}

static size_t count_arrs(const struct scenario *s)
{
    size_t n = 0;
    while (n < MAXN && s->arrs[n].rcpt)
        n++;
    return n;
}

static bool submitted(const struct scenario *s, const char *token)
{
    for (size_t i = 0; i < count_subs(s); i++)
        if (strcmp(s->subs[i].token, token) == 0)
            return true;
    return false;
}

/* Arrivals of token; *dups: those to a recipient that had it before. */
static size_t arrivals_of(const struct scenario *s, const char *token,
                          size_t *dups, const struct arr **earliest)
{
    size_t n = count_arrs(s), k = 0;
    *dups = 0;
    *earliest = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct arr *a = &s->arrs[i];
        if (!a->token || strcmp(a->token, token) != 0)
            continue;
        k++;
        if (!*earliest || a->us < (*earliest)->us)
            *earliest = a;
        for (size_t j = 0; j < i; j++)
            if (s->arrs[j].token && strcmp(s->arrs[j].token, token) == 0 &&
                strcmp(s->arrs[j].rcpt, a->rcpt) == 0) {
                (*dups)++;
                break;
            }
    }
    return k;
}

static void oracle(const struct scenario *s, struct expect *e)
{
    memset(e, 0, sizeof *e);
    size_t dups;
    const struct arr *first;
    for (size_t i = 0; i < count_subs(s); i++) {
        e->submitted++;
        if (!arrivals_of(s, s->subs[i].token, &dups, &first)) {
            e->lost++;
            continue;
        }
        e->arrived++;
        int64_t us = first->us - s->subs[i].us;
        us = us < 0 ? 0 : us;
        e->latency_sum += us;
        e->late += us > s->late_us;
        e->duplicated += dups;
        if (first->cls == NONE) {
            e->unsigned_++;
            continue;
        }
        e->classes[first->cls]++;
        e->corrupt += first->cls == ARRIVAL_HEADERS_CHANGED ||
                      first->cls == ARRIVAL_BODY_CHANGED;
    }
    for (size_t i = 0; i < count_arrs(s); i++) {
        const struct arr *a = &s->arrs[i];
        if (!a->token || strncmp(a->token, "R.", 2) != 0) {
            e->foreign++;
            continue;
        }
        bool again = false; /* a token counted at its first arrival */
        for (size_t j = 0; j < i; j++)
            again |=
                s->arrs[j].token && strcmp(s->arrs[j].token, a->token) == 0;
        if (!submitted(s, a->token) && !again) {
            arrivals_of(s, a->token, &dups, &first);
            e->unexpected += 1 + dups;
        }
    }
}

/* ---- files --------------------------------------------------------------- */

static char *temp_file(const char *text)
{
    char *path = strdup("/tmp/test_deliver_join_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *fp = fdopen(fd, "w");
    fputs(text, fp);
    fclose(fp);
    return path;
}

/* The submission log of one shard, as the writer's format says. */
static char *sub_file(const struct scenario *s, unsigned shard)
{
    char text[8192];
    int n = snprintf(text, sizeof text,
                     "{\"deliver_log\":1,\"run_id\":\"R\",\"shard\":%u,"
                     "\"shards\":%u}\n",
                     shard, s->nshards);
    for (size_t i = 0; i < count_subs(s); i++)
        if (s->subs[i].shard == (int)shard)
            n += snprintf(text + n, sizeof text - n,
                          "{\"token\":\"%s\",\"accepted_us\":%lld}\n",
                          s->subs[i].token, (long long)s->subs[i].us);
    return temp_file(text);
}

/* Arrival log number f, as the sink writes it (one recipient a record). */
static char *arr_file(const struct scenario *s, int f)
{
    char text[8192] = "";
    int n = 0;
    for (size_t i = 0; i < count_arrs(s); i++) {
        const struct arr *a = &s->arrs[i];
        if (a->file != f)
            continue;
        n += snprintf(text + n, sizeof text - n,
                      "{\"time\":\"x\",\"time_us\":%lld,\"rcpt_to\":[{"
                      "\"address\":\"%s\",\"params\":\"\"}]",
                      (long long)a->us, a->rcpt);
        if (a->token)
            n += snprintf(text + n, sizeof text - n, ",\"token\":\"%s\"",
                          a->token);
        if (a->cls != NONE)
            n += snprintf(text + n, sizeof text - n, ",\"change\":\"%s\"",
                          arrival_class_name(a->cls));
        n += snprintf(text + n, sizeof text - n, "}\n");
    }
    return temp_file(text);
}

static int64_t LAT_SUM;

static void lat(void *arg, int64_t us)
{
    (void)arg;
    LAT_SUM += us;
}

#define EQ(f)                                                                  \
    ck_assert_msg(r.f == e.f, "%s: " #f ": got %llu, want %llu", s->name,      \
                  (unsigned long long)r.f, (unsigned long long)e.f)

START_TEST(test_join)
{
    const struct scenario *s = &RUNS[_i];
    struct deliver_join *j = deliver_join_new("R", s->nshards);
    char err[512], *paths[8];
    size_t np = 0;
    for (unsigned sh = 0; sh < s->nshards; sh++) {
        paths[np] = sub_file(s, sh);
        ck_assert_int_eq(
            deliver_join_submissions(j, paths[np++], err, sizeof err),
            DELIVER_JOIN_OK);
    }
    for (int f = 0; f < 2; f++) {
        paths[np] = arr_file(s, f);
        ck_assert_msg(deliver_join_arrivals(j, paths[np++], err, sizeof err) ==
                          DELIVER_JOIN_OK,
                      "%s: %s", s->name, err);
    }
    ck_assert_msg(deliver_join_finish(j, err, sizeof err) == DELIVER_JOIN_OK,
                  "%s: %s", s->name, err);
    ck_assert_uint_eq(deliver_join_records(j), count_arrs(s));
    struct deliver_report r;
    struct expect e;
    LAT_SUM = 0;
    deliver_book_report(deliver_join_book(j), s->late_us, &r, lat, NULL);
    oracle(s, &e);
    EQ(submitted);
    EQ(arrived);
    EQ(lost);
    EQ(late);
    EQ(duplicated);
    EQ(unexpected);
    EQ(foreign);
    EQ(unsigned_);
    EQ(corrupt);
    for (int c = 0; c < ARRIVAL_CLASS_COUNT; c++)
        ck_assert_msg(r.classes[c] == e.classes[c],
                      "%s: class %s: got %llu, "
                      "want %llu",
                      s->name, arrival_class_name(c),
                      (unsigned long long)r.classes[c],
                      (unsigned long long)e.classes[c]);
    ck_assert_msg(LAT_SUM == e.latency_sum,
                  "%s: latency sum: got %lld, want "
                  "%lld",
                  s->name, (long long)LAT_SUM, (long long)e.latency_sum);
    deliver_join_free(j);
    for (size_t i = 0; i < np; i++) {
        unlink(paths[i]);
        free(paths[i]);
    }
}
END_TEST

/* The oracle itself, on the table's second run, counted by hand. */
START_TEST(test_oracle_by_hand)
{
    struct expect e;
    oracle(&RUNS[1], &e);
    ck_assert_uint_eq(e.submitted, 7);
    ck_assert_uint_eq(e.arrived, 6);
    ck_assert_uint_eq(e.lost, 1);
    ck_assert_uint_eq(e.late, 1);
    ck_assert_uint_eq(e.duplicated, 1);
    ck_assert_uint_eq(e.unexpected, 2);
    ck_assert_uint_eq(e.foreign, 2);
    ck_assert_uint_eq(e.unsigned_, 1);
    ck_assert_uint_eq(e.corrupt, 1);
    /* first arrivals: 1, 2, 7 intact, 4 trace-only, 5 body-changed */
    ck_assert_uint_eq(e.classes[ARRIVAL_INTACT], 3);
    ck_assert_uint_eq(e.classes[ARRIVAL_TRACE_ONLY], 1);
    ck_assert_uint_eq(e.classes[ARRIVAL_BODY_CHANGED], 1);
    /* 200 + 19000 + 300 (4) + 300 (5) + 300 (6) + 0 (7, before its 250) */
    ck_assert_int_eq(e.latency_sum, 20100);
}
END_TEST

/* ---- bad input ----------------------------------------------------------- */

#define HDR "{\"deliver_log\":1,\"run_id\":\"R\",\"shard\":0,\"shards\":1}\n"
#define HDR2(i)                                                                \
    "{\"deliver_log\":1,\"run_id\":\"R\",\"shard\":" #i ",\"shards\":2}\n"
#define SUB "{\"token\":\"R.0.0.1.c\",\"accepted_us\":5}\n"
#define ARR "{\"time_us\":9,\"rcpt_to\":[{\"address\":\"a@x\"}]}\n"

static const struct {
    const char *name;
    unsigned nshards;
    const char *subs[3]; /* texts; "-" : a path that does not exist */
    const char *arrs[2];
    int status;
    const char *err; /* a part of it; FILE0 stands for the first file */
    int line;        /* the line the error names, 0 for none */
} BAD[] = {
    {"no header", 1, {SUB}, {ARR}, DELIVER_JOIN_BAD_FILE, "no header line", 1},
    {"empty log", 1, {""}, {ARR}, DELIVER_JOIN_BAD_FILE, "empty", 0},
    {"a malformed line",
     1,
     {HDR SUB "{\"token\":\n"},
     {ARR},
     DELIVER_JOIN_BAD_FILE,
     "not JSON",
     3},
    {"a second header",
     1,
     {HDR SUB HDR},
     {ARR},
     DELIVER_JOIN_BAD_FILE,
     "second header",
     3},
    {"another run's log",
     1,
     {"{\"deliver_log\":1,\"run_id\":\"Q\",\"shard\":0,\"shards\":1}\n"},
     {ARR},
     DELIVER_JOIN_NOT_RUN,
     "of run 'Q', not of the results' run 'R'",
     0},
    {"another run's token",
     1,
     {HDR "{\"token\":\"Q.0.0.1.c\",\"accepted_us\":5}\n"},
     {ARR},
     DELIVER_JOIN_NOT_RUN,
     "token 'Q.0.0.1.c' is not of the run 'R'",
     2},
    {"a run id that only starts the same",
     1,
     {HDR "{\"token\":\"RR.0.0.1.c\",\"accepted_us\":5}\n"},
     {ARR},
     DELIVER_JOIN_NOT_RUN,
     "not of the run",
     2},
    {"other shard count",
     1,
     {HDR2(0)},
     {ARR},
     DELIVER_JOIN_NOT_RUN,
     "results are of 1 shard",
     0},
    {"a shard missing",
     2,
     {HDR2(1)},
     {ARR},
     DELIVER_JOIN_NOT_RUN,
     "no submission log of shard 0 of 2",
     0},
    {"a shard twice",
     2,
     {HDR2(0), HDR2(0)},
     {ARR},
     DELIVER_JOIN_NOT_RUN,
     "given twice",
     0},
    {"no submission log",
     1,
     {NULL},
     {ARR},
     DELIVER_JOIN_NOT_RUN,
     "no submission log of run 'R'",
     0},
    {"unreadable log",
     1,
     {"-"},
     {ARR},
     DELIVER_JOIN_BAD_FILE,
     "No such file",
     0},
    {"a malformed arrival",
     1,
     {HDR SUB},
     {ARR "{\"time_us\":9}\n"},
     DELIVER_JOIN_BAD_FILE,
     "rcpt_to",
     2},
    {"unreadable arrivals",
     1,
     {HDR SUB},
     {"-"},
     DELIVER_JOIN_BAD_FILE,
     "No such file",
     0},
};

START_TEST(test_bad)
{
    struct deliver_join *j = deliver_join_new("R", BAD[_i].nshards);
    char err[512] = "", *paths[3 + 2], *culprit = NULL; /* subs, arrs */
    size_t np = 0;
    int st = DELIVER_JOIN_OK;
    for (int i = 0; i < 3 && BAD[_i].subs[i] && st == DELIVER_JOIN_OK; i++) {
        bool gone = strcmp(BAD[_i].subs[i], "-") == 0;
        char *p = gone ? strdup("/nonexistent/sub.jsonl")
                       : temp_file(BAD[_i].subs[i]);
        paths[np++] = p;
        st = deliver_join_submissions(j, p, err, sizeof err);
        culprit = p;
    }
    for (int i = 0; i < 2 && BAD[_i].arrs[i] && st == DELIVER_JOIN_OK; i++) {
        bool gone = strcmp(BAD[_i].arrs[i], "-") == 0;
        char *p = gone ? strdup("/nonexistent/arr.jsonl")
                       : temp_file(BAD[_i].arrs[i]);
        paths[np++] = p;
        st = deliver_join_arrivals(j, p, err, sizeof err);
        culprit = p;
    }
    if (st == DELIVER_JOIN_OK) {
        st = deliver_join_finish(j, err, sizeof err);
        culprit = NULL;
    }
    ck_assert_msg(st == BAD[_i].status && strstr(err, BAD[_i].err),
                  "%s: got %d '%s', want %d '%s'", BAD[_i].name, st, err,
                  BAD[_i].status, BAD[_i].err);
    if (culprit) { /* the file named, and its line */
        char want[256];
        if (BAD[_i].line)
            snprintf(want, sizeof want, "%s:%d: ", culprit, BAD[_i].line);
        else
            snprintf(want, sizeof want, "%s: ", culprit);
        ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
                      "%s: got '%s', want it to start '%s'", BAD[_i].name, err,
                      want);
    }
    deliver_join_free(j);
    for (size_t i = 0; i < np; i++) {
        unlink(paths[i]);
        free(paths[i]);
    }
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_loop_test(tc, test_join, 0, sizeof RUNS / sizeof *RUNS);
    tcase_add_test(tc, test_oracle_by_hand);
    tcase_add_loop_test(tc, test_bad, 0, sizeof BAD / sizeof *BAD);
}

#include "check_main.h"
