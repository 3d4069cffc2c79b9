/* Tests of suite/merge.c: shards built in memory as a load run writes
 * them, added up. The oracle of the exact merge is one histogram that
 * recorded every shard's values itself; the refusals and the problems
 * (missing, given twice, failed, interrupted) are tables of one-line
 * messages. */
#define TEST_NAME "merge"
#include "suite/merge.h"
#include "harness/hist.h"
#include "harness/load_stats.h"
#include "harness/result.h"
#include "harness/xalloc.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXSHARDS 16

static const struct hist_params PARAMS = {1, 3600000000LL, 3};

static void prop(struct result_run *r, const char *name, const char *value)
{
    struct result_kv *kv = result_property_add(r);
    kv->name = xstrdup(name);
    kv->value = xstrdup(value);
}

static void counter(struct result_run *r, const char *name, uint64_t v)
{
    struct result_counter *c = result_counter_add(r);
    c->name = xstrdup(name);
    c->value = v;
}

/* Shard i of n of run "run1": values i*1000+1 .. i*1000+count us of eod
 * (sent), one a session. */
static struct result_run *shard(unsigned i, unsigned n, unsigned count)
{
    struct result_run *r = result_run_new("load");
    free(r->run_id);
    r->run_id = xstrdup("run1");
    r->shard = xasprintf("%u/%u", i, n);
    r->started_us = 1000000 + i;
    r->ended_us = 2000000 + i;
    prop(r, "load.schedule", "open 100/s, 400 arrivals");
    prop(r, "load.scenario_hash", "abc");
    prop(r, "load.steps", "eod");
    counter(r, "sessions.scheduled", count);
    counter(r, "sessions.started", count);
    counter(r, "sessions.ended", count);
    counter(r, "sessions.ok", count);
    counter(r, "messages.sent", count);
    char err[256];
    struct hist *h = hist_new(&PARAMS, err, sizeof err);
    ck_assert_msg(h, "hist_new: %s", err);
    for (unsigned k = 1; k <= count; k++)
        hist_record(h, (int64_t)i * 1000 + k);
    hist_to_result(h, "eod", "sent", result_hist_add(r));
    hist_free(h);
    return r;
}

static uint64_t counter_of(const struct result_run *r, const char *name)
{
    for (size_t i = 0; i < r->ncounters; i++)
        if (strcmp(r->counters[i].name, name) == 0)
            return r->counters[i].value;
    return UINT64_MAX;
}

static const char *prop_of(const struct result_run *r, const char *name)
{
    for (size_t i = 0; i < r->nproperties; i++)
        if (strcmp(r->properties[i].name, name) == 0)
            return r->properties[i].value;
    return NULL;
}

/* Four shards add up to the histogram of all their values, bucket for
 * bucket, and to the sums of their counters. */
START_TEST(test_exact)
{
    struct result_run *runs[4];
    const char *names[4] = {"r-2.json", "r-0.json", "r-3.json", "r-1.json"};
    const unsigned order[4] = {2, 0, 3, 1}; /* any order */
    char err[512];
    struct hist *all = hist_new(&PARAMS, err, sizeof err);
    for (unsigned k = 0; k < 4; k++) {
        runs[k] = shard(order[k], 4, 50 + order[k]);
        for (unsigned v = 1; v <= 50 + order[k]; v++)
            hist_record(all, (int64_t)order[k] * 1000 + v);
    }
    struct merge_outcome m;
    ck_assert_int_eq(merge_shards(runs, names, 4, &m, err, sizeof err),
                     MERGE_OK);
    ck_assert_msg(m.problems == NULL, "problems: got '%s', want none",
                  m.problems);
    ck_assert_uint_eq(m.nshards, 4);
    ck_assert_uint_eq(m.merged, 4);
    const struct hist *got = load_stats_hist(m.o.stats, "eod", LOAD_SENT);
    ck_assert_ptr_nonnull(got);
    struct result_run *a = result_run_new("x"), *b = result_run_new("x");
    hist_to_result(got, "eod", "sent", result_hist_add(a));
    hist_to_result(all, "eod", "sent", result_hist_add(b));
    ck_assert_uint_eq(a->hists[0].total, 206);
    ck_assert_uint_eq(a->hists[0].nbuckets, b->hists[0].nbuckets);
    for (size_t i = 0; i < b->hists[0].nbuckets; i++) {
        ck_assert_uint_eq(a->hists[0].buckets[i].index,
                          b->hists[0].buckets[i].index);
        ck_assert_uint_eq(a->hists[0].buckets[i].count,
                          b->hists[0].buckets[i].count);
    }
    ck_assert_int_eq(a->hists[0].max_us, 3053);
    ck_assert_uint_eq(counter_of(m.run, "sessions.ended"), 206);
    ck_assert_uint_eq(counter_of(m.run, "messages.sent"), 206);
    ck_assert_str_eq(m.run->kind, "merge");
    ck_assert_str_eq(m.run->run_id, "run1");
    ck_assert(!m.run->incomplete);
    ck_assert_str_eq(prop_of(m.run, "merge.merged"), "4");
    result_run_free(a);
    result_run_free(b);
    hist_free(all);
    merge_outcome_free(&m);
    for (unsigned k = 0; k < 4; k++)
        result_run_free(runs[k]);
}
END_TEST

/* Changes to shard 1 of 3 that make the set refuse, with the status and
 * a piece of the one-line message. */
static void set_prop(struct result_run *r, const char *name, const char *v)
{
    for (size_t i = 0; i < r->nproperties; i++)
        if (strcmp(r->properties[i].name, name) == 0) {
            free(r->properties[i].value);
            r->properties[i].value = v ? xstrdup(v) : NULL;
            if (!v) {
                free(r->properties[i].name);
                r->properties[i].name = xstrdup("unrelated");
                r->properties[i].value = xstrdup("");
            }
        }
}

static void other_schedule(struct result_run *r)
{
    set_prop(r, "load.schedule", "open 200/s, 400 arrivals");
}
static void other_scenarios(struct result_run *r)
{
    set_prop(r, "load.scenario_hash", "abd");
}
static void other_count(struct result_run *r)
{
    free(r->shard);
    r->shard = xstrdup("1/4");
}
static void other_run_id(struct result_run *r)
{
    free(r->run_id);
    r->run_id = xstrdup("run2");
}
static void other_sigfig(struct result_run *r)
{
    r->hists[0].sigfig = 2;
}
static void not_load(struct result_run *r)
{
    free(r->kind);
    r->kind = xstrdup("run");
}
static void bad_shard(struct result_run *r)
{
    free(r->shard);
    r->shard = xstrdup("3/3");
}
static void no_schedule(struct result_run *r)
{
    set_prop(r, "load.schedule", NULL);
}

START_TEST(test_refusals)
{
    static const struct {
        void (*change)(struct result_run *);
        int status;
        const char *want;
    } ROWS[] = {
        {other_schedule, MERGE_NOT_ONE_RUN,
         "b.json is not a shard of the run in a.json: its schedule "
         "(load.schedule) is 'open 200/s, 400 arrivals', not 'open 100/s, 400 "
         "arrivals'"},
        {other_scenarios, MERGE_NOT_ONE_RUN,
         "b.json is not a shard of the run in a.json: its scenarios "
         "(load.scenario_hash) is 'abd', not 'abc'"},
        {other_count, MERGE_NOT_ONE_RUN,
         "b.json is not a shard of the run in a.json: it is one of 4 shards, "
         "not of 3"},
        {other_run_id, MERGE_NOT_ONE_RUN, "its run id is 'run2', not 'run1'"},
        {other_sigfig, MERGE_NOT_ONE_RUN, "b.json: "},
        {not_load, MERGE_BAD_FILE,
         "b.json: a result of 'smtpsuite run', not of a load run or shard"},
        {bad_shard, MERGE_BAD_FILE, "b.json: shard '3/3' is not I/N"},
        {no_schedule, MERGE_BAD_FILE,
         "b.json: no load.schedule or load.scenario_hash"},
    };
    const char *names[3] = {"a.json", "b.json", "c.json"};
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        struct result_run *runs[3] = {shard(0, 3, 5), shard(1, 3, 5),
                                      shard(2, 3, 5)};
        ROWS[i].change(runs[1]);
        char err[512] = "";
        struct merge_outcome m;
        int st = merge_shards(runs, names, 3, &m, err, sizeof err);
        ck_assert_msg(st == ROWS[i].status && strstr(err, ROWS[i].want),
                      "row %zu: got %d '%s', want %d with '%s'", i, st, err,
                      ROWS[i].status, ROWS[i].want);
        ck_assert_ptr_null(m.run);
        ck_assert_ptr_null(strchr(err, '\n'));
        for (int k = 0; k < 3; k++)
            result_run_free(runs[k]);
    }
}
END_TEST

/* Sets of shards of 4 (or 13) that merge with problems named. */
START_TEST(test_problems)
{
    static const struct {
        unsigned n;
        int have[MAXSHARDS]; /* shard indexes given, -1 ends; 100+i failed,
                                200+i interrupted */
        size_t merged;
        const char *want;
    } ROWS[] = {
        {4, {0, 1, 3, -1}, 3, "shard 2 of 4 missing"},
        {4, {3, -1}, 1, "shards 0, 1, 2 of 4 missing"},
        {4,
         {0, 1, 1, 2, 3, -1},
         4,
         "shard 1 given twice (s1.json, and s1.json left out)"},
        {4,
         {0, 1, 2, 103, -1},
         3,
         "shard 3 failed (s3.json): connect: refused"},
        {4,
         {0, 201, 2, 3, -1},
         4,
         "shard 1 was interrupted (s1.json): its figures are partial"},
        {4,
         {0, 103, -1},
         1,
         "shard 3 failed (s3.json): connect: refused; shards 1, 2 of 4 "
         "missing"},
        {13,
         {0, 12, -1},
         2,
         "shards 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 1 more of 13 missing"},
    };
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        struct result_run *runs[MAXSHARDS];
        char *names[MAXSHARDS];
        size_t n = 0;
        for (; ROWS[i].have[n] >= 0; n++) {
            int h = ROWS[i].have[n];
            unsigned idx = (unsigned)(h % 100);
            runs[n] = shard(idx, ROWS[i].n, 10);
            names[n] = xasprintf("s%u.json", idx);
            if (h >= 200) {
                runs[n]->incomplete = true;
            } else if (h >= 100) {
                prop(runs[n], "shard.status", "failed");
                prop(runs[n], "shard.error", "connect: refused");
            }
        }
        char err[512] = "";
        struct merge_outcome m;
        int st = merge_shards(runs, (const char *const *)names, n, &m, err,
                              sizeof err);
        ck_assert_msg(st == MERGE_OK, "row %zu: got %d '%s'", i, st, err);
        ck_assert_msg(m.problems && strcmp(m.problems, ROWS[i].want) == 0,
                      "row %zu: got '%s', want '%s'", i,
                      m.problems ? m.problems : "(none)", ROWS[i].want);
        ck_assert_uint_eq(m.merged, ROWS[i].merged);
        ck_assert_uint_eq(counter_of(m.run, "sessions.ended"),
                          10 * ROWS[i].merged);
        ck_assert(m.run->incomplete);
        ck_assert_str_eq(prop_of(m.run, "merge.problems"), ROWS[i].want);
        merge_outcome_free(&m);
        for (size_t k = 0; k < n; k++) {
            result_run_free(runs[k]);
            free(names[k]);
        }
    }
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_exact);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_problems);
}

#include "check_main.h"
