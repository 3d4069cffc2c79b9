/* load_judge: thresholds judged on a load run's figures (docs/load.md
 * "Thresholds"): the lookup that gives threshold_eval the observed
 * values from merged load_stats, and the record of every threshold in
 * the result's properties threshold.N.expr|observed|status
 * (docs/result-format.md). Used by `load` (a whole run judges; a shard
 * only records, with status "unjudged") and by `merge`, which judges
 * the shards' figures added up. */
#ifndef SMTPSUITE_LOAD_JUDGE_H
#define SMTPSUITE_LOAD_JUDGE_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/load_stats.h"
#include "harness/result.h"
#include "suite/load_print.h"
#include "suite/threshold.h"

#define LOAD_JUDGE_UNJUDGED "unjudged" /* a shard's status: merge judges */

struct deliver_report;

/* What thresholds are judged on: the figures, and the delivery checks'
 * findings (NULL without --deliver-to). */
struct load_judge_input {
    const struct load_stats *st;
    const struct deliver_report *dr;
};

/* threshold_lookup_fn on a const struct load_judge_input *: pN, max and
 * min of the step's intended histogram, count of its sent one, errors,
 * rate and lost (dropped arrivals, and messages lost) from the counts;
 * late, duplicated, changed and corrupt from the delivery checks. */
bool load_judge_lookup(void *arg, const struct threshold *t,
                       struct threshold_obs *obs);

/* What judging found, for the exit code. */
struct load_judge_tally {
    size_t breaches;
    size_t unmeasured;
};

/* Judges th[0..n) on st and dr (NULL: no delivery checks) (or, with record_only, observes them without a
 * verdict: status "unjudged") into run's properties and into pt[i] for
 * the summary; obs[i] holds the observed text pt[i] points to. */
void load_judge(const struct threshold *th, size_t n,
                const struct load_stats *st, const struct deliver_report *dr,
                bool record_only,
                struct result_run *run, struct load_print_threshold *pt,
                char (*obs)[THRESHOLD_MAX_OBSERVED],
                struct load_judge_tally *tally);

/* Adds a run property (both strings copied). */
void load_judge_property(struct result_run *run, const char *name,
                         const char *value);

#endif
