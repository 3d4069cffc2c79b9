/* load_judge: the load thresholds' figures and their record (see
 * load_judge.h). */
#include "suite/load_judge.h"
#include "harness/hist.h"
#include "harness/xalloc.h"

#include <stdio.h>
#include <string.h>

bool load_judge_lookup(void *arg, const struct threshold *t,
                       struct threshold_obs *obs)
{
    const struct load_stats *st = arg;
    const struct load_counts *c = load_stats_counts_const(st);
    const char *m = t->metric->name;
    obs->total = 0;
    if (strcmp(m, "rate") == 0) {
        obs->value = c->ended;
        obs->total = c->scheduled;
        return true;
    }
    if (strcmp(m, "lost") == 0) {
        obs->value = c->dropped;
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
                const struct load_stats *st, bool record_only,
                struct result_run *run, struct load_print_threshold *pt,
                char (*obs)[THRESHOLD_MAX_OBSERVED],
                struct load_judge_tally *tally)
{
    for (size_t i = 0; i < n; i++) {
        enum threshold_outcome oc =
            threshold_eval(&th[i], load_judge_lookup, (void *)st, obs[i],
                           THRESHOLD_MAX_OBSERVED);
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
