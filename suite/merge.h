/* merge: adds up the result files of the shards of one load run
 * (docs/distributed.md "Merging"). The shards' histograms and counters
 * add exactly (harness/load_stats.c reads each file back as one more
 * worker's figures; histograms of other parameters are refused); the
 * figures that are not counts are combined by rule: the elapsed time
 * spans the earliest start to the latest end, CPU adds, peak memory is
 * the largest shard's, rates are recomputed from the sums, timelines
 * add second by second (p99 takes the largest shard's, an upper bound).
 *
 * Files that are not shards of one run are refused: another kind of
 * result, another schedule (load.schedule), other scenarios
 * (load.scenario_hash), another number of shards or another run id.
 * A set that is incomplete is merged but named: shards missing, given
 * twice (the first file counts), failed (they recorded shard.status
 * "failed") or interrupted (merged; their figures are partial). */
#ifndef SMTPSUITE_MERGE_H
#define SMTPSUITE_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/load_run.h"
#include "harness/result.h"

#define MERGE_NAMED_MAX 10 /* shards named one by one in a problem line */

/* What merging found. */
struct merge_outcome {
    struct result_run *run; /* kind "merge", the shards' run id (owned) */
    struct load_outcome o;  /* the figures for the summary (o.stats owned) */
    unsigned nshards;       /* N of the run */
    size_t merged;          /* shards added up */
    char *problems;         /* NULL, or "shard 2 missing; ..." (owned) */
    char **steps;           /* load.steps of every shard, distinct */
    size_t nsteps;
    char **thresholds; /* the expressions the shards recorded, distinct */
    size_t nthresholds;
};

/* Why shards could not be added up. */
enum merge_status {
    MERGE_OK = 0,
    MERGE_BAD_FILE = -1,   /* not a load result merge can read */
    MERGE_NOT_ONE_RUN = -2 /* shards of other runs, histograms that differ */
};

/* Merges runs[0..n) (read from names[0..n), for messages; neither is
 * taken over) into out (free with merge_outcome_free). MERGE_OK,
 * possibly with problems; else the status, with err (one line naming
 * the file), and out empty. */
int merge_shards(struct result_run *const *runs, const char *const *names,
                 size_t n, struct merge_outcome *out, char *err, size_t errlen);

struct deliver_book;
struct deliver_report;

/* A delivery join to add (docs/delivery.md "Across machines"). */
struct merge_delivery {
    const struct deliver_book *book; /* submissions and arrivals */
    int64_t late_us;                 /* --deliver-late */
    const char *to;                  /* where they arrived, in words */
    struct deliver_report *report;   /* out: the book's findings */
};

/* merge_shards, then the book's findings added as a load with
 * --deliver-to adds them: the "delivery" step (histogram, attempts,
 * error lines), the delivery.* counters and properties. */
int merge_shards_join(struct result_run *const *runs, const char *const *names,
                      size_t n, const struct merge_delivery *dl,
                      struct merge_outcome *out, char *err, size_t errlen);
void merge_outcome_free(struct merge_outcome *m);

#endif
