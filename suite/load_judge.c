/* load_judge: the load thresholds' figures and their record (see
 * load_judge.h). */
#include "suite/load_judge.h"
#include "harness/arrival.h"
#include "harness/deliver.h"
#include "harness/hist.h"
#include "harness/xalloc.h"

#include <stdio.h>
#include <string.h>

/* The delivery metrics: late, duplicated, changed, corrupt (of the
 * messages accepted). */
static bool lookup_delivery(const struct deliver_report *r, const char *m,
                            struct threshold_obs *obs)
{
    uint64_t changed = 0;
    for (int c = ARRIVAL_TRACE_ONLY + 1; c < ARRIVAL_CLASS_COUNT; c++)
        changed += r->classes[c];
    obs->total = r->submitted;
    obs->value = strcmp(m, "late") == 0         ? r->late
                 : strcmp(m, "duplicated") == 0 ? r->duplicated
                 : strcmp(m, "changed") == 0    ? changed
                                                : r->corrupt;
    return true;
}

bool load_judge_lookup(void *arg, const struct threshold *t,
                       struct threshold_obs *obs)
{
    const struct load_judge_input *in = arg;
    const struct load_stats *st = in->st;
    const struct load_counts *c = load_stats_counts_const(st);
    const char *m = t->metric->name;
    obs->total = 0;
    if (strcmp(m, "late") == 0 || strcmp(m, "duplicated") == 0 ||
        strcmp(m, "changed") == 0 || strcmp(m, "corrupt") == 0)
        return in->dr && lookup_delivery(in->dr, m, obs);
    if (strcmp(m, "rate") == 0) {
        obs->value = c->ended;
        obs->total = c->scheduled;
        return true;
    }
    if (strcmp(m, "lost") == 0) { /* dropped arrivals, messages lost */
        obs->value = c->dropped + (in->dr ? in->dr->lost : 0);
        return true;
    }
    if (strcmp(m, "errors") == 0) {
        if (!t->step[0]) {
            obs->value = c->errors;
            obs->total = c->ended;
            return true;
        }
        uint64_t att = 0, errs = 0;
        load_stats_step_counts(st, t->step, &att, &errs);
        obs->value = errs;
        obs->total = att;
        return true;
    }
    if (strcmp(m, "count") == 0) {
        const struct hist *h = load_stats_hist(st, t->step, LOAD_SENT);
        obs->value = h ? hist_count(h) : 0;
        return true;
    }
    const struct hist *h = load_stats_hist(st, t->step, LOAD_INTENDED);
    if (!h || hist_count(h) == 0)
        return false;
    int64_t v = strcmp(m, "max") == 0   ? hist_max(h)
                : strcmp(m, "min") == 0 ? hist_min(h)
                                        : hist_value_at(h, t->percentile);
    obs->value = (uint64_t)v;
    return true;
}

static const char *status_word(enum threshold_outcome oc)
{
    return oc == THRESHOLD_PASS     ? "pass"
           : oc == THRESHOLD_BREACH ? "breach"
                                    : "unmeasured";
}

void load_judge_property(struct result_run *run, const char *name,
                         const char *value)
{
    struct result_kv *kv = result_property_add(run);
    kv->name = xstrdup(name);
    kv->value = xstrdup(value);
}

void load_judge(const struct threshold *th, size_t n,
                const struct load_stats *st, const struct deliver_report *dr,
                bool record_only, struct result_run *run, struct load_print_threshold *pt,
                char (*obs)[THRESHOLD_MAX_OBSERVED],
                struct load_judge_tally *tally)
{
    struct load_judge_input in = {st, dr};
    for (size_t i = 0; i < n; i++) {
        enum threshold_outcome oc = threshold_eval(
            &th[i], load_judge_lookup, &in, obs[i], THRESHOLD_MAX_OBSERVED);
        if (oc == THRESHOLD_UNMEASURED)
            snprintf(obs[i], THRESHOLD_MAX_OBSERVED, "not measured");
        const char *status =
            record_only ? LOAD_JUDGE_UNJUDGED : status_word(oc);
        if (!record_only) {
            tally->breaches += oc == THRESHOLD_BREACH;
            tally->unmeasured += oc == THRESHOLD_UNMEASURED;
        }
        pt[i] = (struct load_print_threshold){th[i].text, status, obs[i]};
        char name[64]; /* N from 0 (docs/result-format.md) */
        snprintf(name, sizeof name, "threshold.%zu.expr", i);
        load_judge_property(run, name, th[i].text);
        snprintf(name, sizeof name, "threshold.%zu.observed", i);
        load_judge_property(run, name, obs[i]);
        snprintf(name, sizeof name, "threshold.%zu.status", i);
        load_judge_property(run, name, status);
    }
}
