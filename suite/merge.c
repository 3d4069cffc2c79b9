/* merge: the shards of one load run added up (see merge.h). First every
 * file is checked against the first (kind, schedule, scenarios, N, run
 * id); then each shard index gets its file; then the histograms and
 * counters add (load_stats_add_result) and the other figures combine by
 * rule into a load_outcome, which load_outcome_to_result writes exactly
 * as a single run's. */
#include "suite/merge.h"
#include "suite/cli_deliver.h"
#include "harness/deliver.h"
#include "harness/buf.h"
#include "harness/load_stats.h"
#include "harness/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One input, as far as merging is concerned. */
struct input {
    const char *name;
    const struct result_run *run;
    unsigned index, count;
};

/* The timelines a load result carries, in load_outcome's order. */
static const char *const TIMELINES[] = {
    "timeline.started",  "timeline.ended",    "timeline.errors",
    "timeline.messages", "timeline.inflight", "timeline.p99_session_us",
};
#define NTIMELINES (sizeof TIMELINES / sizeof TIMELINES[0])

/* Counters the outcome writes (load_outcome_to_result), combined here. */
static const char *const OUTCOME_COUNTERS[] = {
    "elapsed_us",          "cpu.user_us",          "cpu.sys_us",
    "memory.maxrss_kb",    "rate.requested_milli", "rate.achieved_milli",
    "rate.messages_milli", "start.shift_us",
};

static const char *prop(const struct result_run *run, const char *name)
{
    for (size_t i = 0; i < run->nproperties; i++)
        if (run->properties[i].name &&
            strcmp(run->properties[i].name, name) == 0)
            return run->properties[i].value ? run->properties[i].value : "";
    return NULL;
}

static uint64_t counter(const struct result_run *run, const char *name,
                        bool *found)
{
    for (size_t i = 0; i < run->ncounters; i++)
        if (run->counters[i].name && strcmp(run->counters[i].name, name) == 0) {
            if (found)
                *found = true;
            return run->counters[i].value;
        }
    return 0;
}

/* ---- checking the inputs
 * ------------------------------------------------------- */

/* kind, shard "I/N" and the identity properties of one input. */
static int read_input(struct input *in, char *err, size_t errlen)
{
    const struct result_run *r = in->run;
    if (!r->kind || strcmp(r->kind, "load") != 0)
        return snprintf(err, errlen,
                        "%s: a result of 'smtpsuite %s', not of a load run "
                        "or shard",
                        in->name, r->kind ? r->kind : "?"),
               MERGE_BAD_FILE;
    in->index = 0;
    in->count = 1;
    int used = 0;
    if (r->shard &&
        (sscanf(r->shard, "%u/%u%n", &in->index, &in->count, &used) != 2 ||
         r->shard[used] || in->count == 0 || in->index >= in->count))
        return snprintf(err, errlen, "%s: shard '%s' is not I/N", in->name,
                        r->shard),
               MERGE_BAD_FILE;
    if (!prop(r, "load.schedule") || !prop(r, "load.scenario_hash"))
        return snprintf(err, errlen,
                        "%s: no load.schedule or load.scenario_hash: a load "
                        "result smtpsuite merge cannot tell the run of "
                        "(written by an older smtpsuite?)",
                        in->name),
               MERGE_BAD_FILE;
    return 0;
}

/* in must be a shard of ref's run: same schedule, scenarios, N, id. */
static int same_run(const struct input *ref, const struct input *in, char *err,
                    size_t errlen)
{
    static const char *const PROPS[][2] = {
        {"load.schedule", "schedule (load.schedule)"},
        {"load.scenario_hash", "scenarios (load.scenario_hash)"},
    };
    for (size_t i = 0; i < 2; i++) {
        const char *a = prop(ref->run, PROPS[i][0]);
        const char *b = prop(in->run, PROPS[i][0]);
        if (strcmp(a, b) != 0)
            return snprintf(err, errlen,
                            "%s is not a shard of the run in %s: its %s is "
                            "'%s', not '%s'",
                            in->name, ref->name, PROPS[i][1], b, a),
                   MERGE_NOT_ONE_RUN;
    }
    if (in->count != ref->count)
        return snprintf(err, errlen,
                        "%s is not a shard of the run in %s: it is one of %u "
                        "shards, not of %u",
                        in->name, ref->name, in->count, ref->count),
               MERGE_NOT_ONE_RUN;
    const char *a = ref->run->run_id ? ref->run->run_id : "";
    const char *b = in->run->run_id ? in->run->run_id : "";
    if (strcmp(a, b) != 0)
        return snprintf(err, errlen,
                        "%s is not a shard of the run in %s: its run id is "
                        "'%s', not '%s' (shards of one run share --run-id)",
                        in->name, ref->name, b, a),
               MERGE_NOT_ONE_RUN;
    return 0;
}

/* ---- which file is which shard
 * ------------------------------------------------- */

/* Starts one more problem in pb. */
static void sep(struct buf *pb)
{
    if (pb->len)
        buf_adds(pb, "; ");
}

#define SLOT_MISSING -1 /* no file is this shard */
#define SLOT_FAILED  -2 /* its file says it failed: named, not merged */

/* Names the shard indexes no file had ("shards 2, 5 and 9 missing"); a
 * shard that failed is named as such, not again as missing. */
static void missing(struct buf *pb, const int *slot, unsigned n)
{
    unsigned count = 0;
    for (unsigned i = 0; i < n; i++)
        count += slot[i] == SLOT_MISSING;
    if (!count)
        return;
    sep(pb);
    buf_adds(pb, count == 1 ? "shard " : "shards ");
    unsigned named = 0;
    for (unsigned i = 0; i < n && named < MERGE_NAMED_MAX; i++)
        if (slot[i] == SLOT_MISSING)
            buf_addf(pb, "%s%u", named++ ? ", " : "", i);
    if (count > named)
        buf_addf(pb, " and %u more", count - named);
    buf_addf(pb, " of %u missing", n);
}

/* slot[I]: the input that is shard I, SLOT_MISSING or SLOT_FAILED;
 * problems named in pb. */
static void assign(const struct input *in, size_t n, int *slot, unsigned count,
                   struct buf *pb)
{
    for (unsigned i = 0; i < count; i++)
        slot[i] = SLOT_MISSING;
    for (size_t k = 0; k < n; k++) {
        const struct result_run *r = in[k].run;
        unsigned i = in[k].index;
        const char *status = prop(r, "shard.status");
        if (slot[i] >= 0) {
            sep(pb);
            buf_addf(pb, "shard %u given twice (%s, and %s left out)", i,
                     in[slot[i]].name, in[k].name);
        } else if (status && strcmp(status, "failed") == 0) {
            const char *why = prop(r, "shard.error");
            sep(pb);
            buf_addf(pb, "shard %u failed (%s): %s", i, in[k].name,
                     why ? why : "no reason recorded");
            slot[i] = SLOT_FAILED;
        } else {
            if (r->incomplete) {
                sep(pb);
                buf_addf(pb,
                         "shard %u was interrupted (%s): its figures "
                         "are partial",
                         i, in[k].name);
            }
            slot[i] = (int)k;
        }
    }
    missing(pb, slot, count);
}

/* ---- combining what is not a count
 * --------------------------------------------- */

/* Splits a timeline property into out (n values at most); its length. */
static size_t series(const char *s, uint64_t *out, size_t max)
{
    size_t n = 0;
    while (s && *s && n < max) {
        char *end;
        out[n++] = strtoull(s, &end, 10);
        s = *end == ',' ? end + 1 : NULL;
    }
    return n;
}

/* Adds one shard's timeline v[0..len) at second off into tl (p99: the
 * larger value, an upper bound of the whole's p99). */
static void tl_add(uint64_t *tl, const uint64_t *v, size_t len, size_t off,
                   bool largest)
{
    for (size_t s = 0; s < len; s++)
        if (!largest)
            tl[off + s] += v[s];
        else if (v[s] > tl[off + s])
            tl[off + s] = v[s];
}

/* The second of the merged timeline where shard r's begins. */
static size_t tl_offset(const struct load_outcome *o,
                        const struct result_run *r)
{
    int64_t off = (r->started_us - o->started_wall_us + 500000) / 1000000;
    return off < 0                      ? 0
           : off > LOAD_RUN_MAX_SECONDS ? LOAD_RUN_MAX_SECONDS
                                        : (size_t)off;
}

/* The timelines, second by second from the earliest start: counts add,
 * p99 takes the largest shard's. */
static void timelines(struct load_outcome *o, const struct input *in,
                      const int *slot, unsigned count)
{
    uint64_t *v = xcalloc(LOAD_RUN_MAX_SECONDS, sizeof *v), *tl[NTIMELINES];
    size_t n = 0;
    for (unsigned i = 0; i < count; i++)
        for (size_t t = 0; slot[i] >= 0 && t < NTIMELINES; t++) {
            const struct result_run *r = in[slot[i]].run;
            size_t off = tl_offset(o, r);
            size_t len =
                series(prop(r, TIMELINES[t]), v, LOAD_RUN_MAX_SECONDS - off);
            n = off + len > n ? off + len : n;
        }
    for (size_t t = 0; t < NTIMELINES; t++)
        tl[t] = xcalloc(n ? n : 1, sizeof *tl[t]);
    for (unsigned i = 0; i < count; i++)
        for (size_t t = 0; slot[i] >= 0 && t < NTIMELINES; t++) {
            const struct result_run *r = in[slot[i]].run;
            size_t off = tl_offset(o, r);
            size_t len =
                series(prop(r, TIMELINES[t]), v, LOAD_RUN_MAX_SECONDS - off);
            tl_add(tl[t], v, len, off, t == NTIMELINES - 1);
        }
    free(v);
    o->nseconds = n;
    o->tl_started = tl[0], o->tl_ended = tl[1], o->tl_errors = tl[2];
    o->tl_messages = tl[3], o->tl_inflight = tl[4];
    o->tl_p99_us = (int64_t *)tl[5];
}

/* Start, end and elapsed time: the earliest start to the latest end. */
static void times(struct load_outcome *o, struct result_run *out,
                  const struct input *in, const int *slot, unsigned count)
{
    int64_t first = INT64_MAX, last_end = INT64_MIN, ended = 0;
    for (unsigned i = 0; i < count; i++) {
        if (slot[i] < 0)
            continue;
        const struct result_run *r = in[slot[i]].run;
        int64_t e = (int64_t)counter(r, "elapsed_us", NULL);
        if (r->started_us < first)
            first = r->started_us;
        if (r->started_us + e > last_end)
            last_end = r->started_us + e;
        if (r->ended_us > ended)
            ended = r->ended_us;
    }
    o->started_wall_us = first == INT64_MAX ? 0 : first;
    o->elapsed_us = first == INT64_MAX ? 0 : last_end - first;
    out->started_us = o->started_wall_us;
    out->ended_us = ended;
}

/* CPU adds, peak memory is the largest, rates and shifts by rule, the
 * generator warnings are named by shard. */
static void figures(struct load_outcome *o, const struct input *in,
                    const int *slot, unsigned count)
{
    uint64_t requested = 0;
    struct buf w;
    buf_init(&w, sizeof o->warning - 1);
    for (unsigned i = 0; i < count; i++) {
        if (slot[i] < 0)
            continue;
        const struct result_run *r = in[slot[i]].run;
        bool shifted = false;
        o->cpu_user_us += (int64_t)counter(r, "cpu.user_us", NULL);
        o->cpu_sys_us += (int64_t)counter(r, "cpu.sys_us", NULL);
        int64_t rss = (int64_t)counter(r, "memory.maxrss_kb", NULL);
        o->maxrss_kb = rss > o->maxrss_kb ? rss : o->maxrss_kb;
        requested += counter(r, "rate.requested_milli", NULL);
        int64_t shift = (int64_t)counter(r, "start.shift_us", &shifted);
        o->start_at |= shifted;
        o->start_shift_us =
            shift > o->start_shift_us ? shift : o->start_shift_us;
        o->interrupted |= r->incomplete;
        const char *warn = prop(r, "warning.generator");
        if (warn)
            buf_addf(&w, "%sshard %u: %s", w.len ? "; " : "", i, warn);
    }
    o->requested_rate = (double)requested / 1000;
    snprintf(o->warning, sizeof o->warning, "%s", buf_str(&w));
    buf_free(&w);
}

/* ---- the merged result
 * --------------------------------------------------------- */

static void put_prop(struct result_run *run, const char *name, const char *v)
{
    struct result_kv *kv = result_property_add(run);
    kv->name = xstrdup(name);
    kv->value = xstrdup(v);
}

/* Adds s to the distinct list (*v, *n) unless it is there. */
static void add_distinct(char ***v, size_t *n, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i], s) == 0)
            return;
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = xstrdup(s);
}

/* The steps (load.steps) and recorded thresholds of one shard. */
static void vocabulary(struct merge_outcome *m, const struct result_run *r)
{
    const char *steps = prop(r, "load.steps");
    char *copy = xstrdup(steps ? steps : ""), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t;
         t = strtok_r(NULL, ",", &save))
        add_distinct(&m->steps, &m->nsteps, t);
    free(copy);
    char name[64];
    for (unsigned i = 0;; i++) {
        snprintf(name, sizeof name, "threshold.%u.expr", i);
        const char *e = prop(r, name);
        if (!e)
            break;
        add_distinct(&m->thresholds, &m->nthresholds, e);
    }
}

/* The run facts of the merged result: the first shard's description,
 * threads added up, and which file was which shard. */
static void facts(struct merge_outcome *m, const struct input *in,
                  const int *slot, const struct input *ref, bool with_delivery)
{
    static const char *const COPY[] = {"load.model", "load.scenarios",
                                       "load.schedule", "load.scenario_hash",
                                       "load.start_at"};
    struct result_run *run = m->run;
    for (size_t i = 0; i < sizeof COPY / sizeof COPY[0]; i++)
        if (prop(ref->run, COPY[i]))
            put_prop(run, COPY[i], prop(ref->run, COPY[i]));
    unsigned long threads = 0;
    char v[64], name[64];
    for (unsigned i = 0; i < m->nshards; i++)
        if (slot[i] >= 0) {
            const char *t = prop(in[slot[i]].run, "load.threads");
            threads += t ? strtoul(t, NULL, 10) : 0;
            vocabulary(m, in[slot[i]].run);
            const char *host = prop(in[slot[i]].run, "shard.host");
            snprintf(name, sizeof name, "shard.%u.file", i);
            put_prop(run, name, in[slot[i]].name);
            snprintf(name, sizeof name, "shard.%u.host", i);
            put_prop(run, name, host ? host : "");
        }
    if (with_delivery)
        add_distinct(&m->steps, &m->nsteps, "delivery");
    snprintf(v, sizeof v, "%lu", threads);
    put_prop(run, "load.threads", v);
    struct buf b;
    buf_init(&b, (size_t)1 << 20);
    for (size_t i = 0; i < m->nsteps; i++)
        buf_addf(&b, "%s%s", i ? "," : "", m->steps[i]);
    put_prop(run, "load.steps", buf_str(&b));
    buf_free(&b);
    snprintf(v, sizeof v, "%u", m->nshards);
    put_prop(run, "merge.shards", v);
    snprintf(v, sizeof v, "%zu", m->merged);
    put_prop(run, "merge.merged", v);
    if (m->problems)
        put_prop(run, "merge.problems", m->problems);
}

static bool outcome_counter(const char *name)
{
    for (size_t i = 0; i < sizeof OUTCOME_COUNTERS / sizeof *OUTCOME_COUNTERS;
         i++)
        if (strcmp(name, OUTCOME_COUNTERS[i]) == 0)
            return true;
    return false;
}

/* Counters neither load_stats nor the outcome know (a newer shard's):
 * added up, so nothing a shard counted is lost. */
static void other_counters(struct result_run *run, const struct input *in,
                           const int *slot, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        if (slot[i] < 0)
            continue;
        const struct result_run *r = in[slot[i]].run;
        for (size_t k = 0; k < r->ncounters; k++) {
            const struct result_counter *c = &r->counters[k];
            if (!c->name || load_stats_counter_known(c->name) ||
                outcome_counter(c->name))
                continue;
            struct result_counter *d = result_counter_find(run, c->name);
            if (!d) {
                d = result_counter_add(run);
                d->name = xstrdup(c->name);
            }
            d->value += c->value;
        }
    }
}

static void copy_targets(struct result_run *run, const struct result_run *src)
{
    for (size_t i = 0; i < src->ntargets; i++) {
        struct result_target *t = result_target_add(run);
        t->name = xstrdup(src->targets[i].name);
        t->address = xstrdup(src->targets[i].address);
        t->banner = xstrdup(src->targets[i].banner);
    }
}

/* The join's findings into the stats (the "delivery" step: latencies,
 * attempts, error lines), before the stats are written. */
static void delivery_stats(struct merge_outcome *m,
                           const struct merge_delivery *dl)
{
    deliver_book_report(dl->book, dl->late_us, dl->report, cli_deliver_latency,
                        m->o.stats);
    cli_deliver_stats(m->o.stats, dl->report);
}

/* The merged result and figures, from the inputs in slot. */
static int build(struct merge_outcome *m, const struct input *in,
                 const int *slot, const struct merge_delivery *dl, char *err,
                 size_t errlen)
{
    m->o.stats = load_stats_new();
    for (unsigned i = 0; i < m->nshards; i++) {
        if (slot[i] < 0)
            continue;
        char why[512];
        if (load_stats_add_result(m->o.stats, in[slot[i]].run, why,
                                  sizeof why) != 0)
            return snprintf(err, errlen, "%s: %s", in[slot[i]].name, why),
                   MERGE_NOT_ONE_RUN;
        m->merged++;
    }
    if (dl)
        delivery_stats(m, dl);
    m->run = result_run_new("merge");
    free(m->run->run_id);
    m->run->run_id = xstrdup(in[0].run->run_id);
    copy_targets(m->run, in[0].run);
    times(&m->o, m->run, in, slot, m->nshards);
    figures(&m->o, in, slot, m->nshards);
    timelines(&m->o, in, slot, m->nshards);
    m->run->incomplete = m->o.interrupted || m->problems != NULL;
    facts(m, in, slot, &in[0], dl != NULL);
    load_outcome_to_result(&m->o, m->run);
    other_counters(m->run, in, slot, m->nshards);
    if (dl) /* the counters and properties, after the load's */
        cli_deliver_to_result(dl->report, dl->to, dl->late_us,
                              "none (joined from logs)", m->run);
    return 0;
}

int merge_shards(struct result_run *const *runs, const char *const *names,
                 size_t n, struct merge_outcome *out, char *err, size_t errlen)
{
    return merge_shards_join(runs, names, n, NULL, out, err, errlen);
}

int merge_shards_join(struct result_run *const *runs, const char *const *names,
                      size_t n, const struct merge_delivery *dl,
                      struct merge_outcome *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (n == 0)
        return snprintf(err, errlen, "no result file given"), MERGE_BAD_FILE;
    struct input *in = xcalloc(n, sizeof *in);
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < n; k++) {
        in[k] = (struct input){names[k], runs[k], 0, 1};
        rc = read_input(&in[k], err, errlen);
        if (rc == 0 && k > 0)
            rc = same_run(&in[0], &in[k], err, errlen);
    }
    int *slot = NULL;
    if (rc == 0) {
        out->nshards = in[0].count;
        slot = xcalloc(out->nshards, sizeof *slot);
        struct buf pb;
        buf_init(&pb, (size_t)1 << 20);
        assign(in, n, slot, out->nshards, &pb);
        out->problems = pb.len ? buf_detach(&pb) : NULL;
        buf_free(&pb);
        rc = build(out, in, slot, dl, err, errlen);
    }
    free(slot);
    free(in);
    if (rc != 0)
        merge_outcome_free(out);
    return rc;
}

void merge_outcome_free(struct merge_outcome *m)
{
    result_run_free(m->run);
    load_outcome_free(&m->o);
    free(m->problems);
    for (size_t i = 0; i < m->nsteps; i++)
        free(m->steps[i]);
    free(m->steps);
    for (size_t i = 0; i < m->nthresholds; i++)
        free(m->thresholds[i]);
    free(m->thresholds);
    memset(m, 0, sizeof *m);
}
