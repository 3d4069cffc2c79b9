/* load_stats: what a load run measures, per worker thread, merged once
 * when the workers stopped (docs/load.md "What is measured"):
 * - two latency histograms per step name (connect, banner, ehlo, mail,
 *   rcpt, data_cmd, eod ..., and "session" for the whole session): one
 *   measured from the intended start, one from the actual send. A
 *   step's histograms are created when it is first measured, so a run
 *   holds only those its scenarios use (188 KB each);
 * - the coordinated-omission correction of the intended figure in the
 *   closed model (HdrHistogram's recording with an expected interval);
 * - errors by step and outcome ("rcpt 421", "banner timeout"), with the
 *   first reason seen for each;
 * - the session counts (scheduled, started, ended, ok, dropped, cut
 *   off), messages, TLS handshakes, and the event-loop lag histogram.
 * Not thread-safe: one per worker; load_stats_merge adds them up. */
#ifndef SMTPSUITE_LOAD_STATS_H
#define SMTPSUITE_LOAD_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/hist.h"
#include "harness/result.h"

#define LOAD_STATS_MAX_STEPS  48      /* step names in one run */
#define LOAD_STATS_MAX_ERRORS 256     /* distinct step x outcome lines */
#define LOAD_STATS_NAME       24      /* a step name or an outcome, with NUL */
#define LOAD_STATS_REASON     200     /* the example reason of an error line */
#define LOAD_STATS_MAX_SYNTH  1000000 /* corrected values added per value */

enum load_basis {
    LOAD_INTENDED, /* from the intended start */
    LOAD_SENT,     /* from the actual send */
};

/* Session and message counts; all add up when merged. */
struct load_counts {
    uint64_t scheduled;     /* arrivals due (open); sessions begun (closed) */
    uint64_t started;       /* sessions that began */
    uint64_t ended;         /* sessions that ran to their end, any verdict */
    uint64_t ok;            /* of them, PASS or WARN */
    uint64_t errors;        /* of them, anything else */
    uint64_t queued;        /* arrivals that waited for the cap */
    uint64_t dropped;       /* arrivals lost: the queue was full */
    uint64_t cutoff;        /* sessions cut off at the drain deadline */
    uint64_t cutoff_queued; /* arrivals still waiting at the deadline */
    uint64_t messages;      /* end-of-data (and BDAT LAST) replies */
    uint64_t accepted;      /* of them, 2xx */
    uint64_t tls_full;      /* TLS handshakes, full */
    uint64_t tls_resumed;   /* TLS handshakes that resumed a session */
    uint64_t synthetic;     /* values the correction added */
};

struct load_error_line {
    char step[LOAD_STATS_NAME];
    char what[LOAD_STATS_NAME]; /* a reply code, or timeout, close ... */
    uint64_t count;
    char reason[LOAD_STATS_REASON]; /* the first one seen */
};

struct load_stats;

/* A new empty set (caller frees with load_stats_free). */
struct load_stats *load_stats_new(void);
void load_stats_free(struct load_stats *st); /* NULL is a no-op */

/* The index of a step name, added when new; -1 when the table is full
 * (the step is then not measured). */
int load_stats_step(struct load_stats *st, const char *name);
/* Counts one attempt at a step (measured or not). */
void load_stats_attempt(struct load_stats *st, int step);
/* Records a step's latency: sent_us into its "sent" histogram, and
 * sent_us + lag_us into its "intended" one; with expected_us > 0, also
 * the values v - E, v - 2E ... >= E of that intended value v (the
 * coordinated-omission correction; at most LOAD_STATS_MAX_SYNTH). */
void load_stats_record(struct load_stats *st, int step, int64_t sent_us,
                       int64_t lag_us, int64_t expected_us);
/* Counts an error at a step (an outcome per line; reason kept once). */
void load_stats_error(struct load_stats *st, const char *step, const char *what,
                      const char *reason);
/* Records one event-loop lag (a start later than scheduled). */
void load_stats_lag(struct load_stats *st, int64_t lag_us);
/* The counts, to add to. */
struct load_counts *load_stats_counts(struct load_stats *st);

/* Adds src into dst. 0, or -1 with err when a histogram would not merge
 * (broken invariant) or dst's tables are full. */
int load_stats_merge(struct load_stats *dst, const struct load_stats *src,
                     char *err, size_t errlen);

/* ---- reading ------------------------------------------------------------- */

size_t load_stats_nsteps(const struct load_stats *st);
const char *load_stats_step_name(const struct load_stats *st, size_t i);
/* A step's histogram, or NULL when the step was never measured. */
const struct hist *load_stats_hist(const struct load_stats *st,
                                   const char *step, enum load_basis b);
/* A step's attempts and errors; false when the step is unknown. */
bool load_stats_step_counts(const struct load_stats *st, const char *step,
                            uint64_t *attempts, uint64_t *errors);
/* The step indexes in report order (DESIGN.md's names first, in
 * dialogue order, then the others as they came) into idx; their count. */
size_t load_stats_report_order(const struct load_stats *st, size_t *idx);
const struct hist *load_stats_lag_hist(const struct load_stats *st);
const struct load_counts *load_stats_counts_const(const struct load_stats *st);
size_t load_stats_nerrors(const struct load_stats *st);
const struct load_error_line *load_stats_error_line(const struct load_stats *st,
                                                    size_t i);

/* Appends the histograms (name: the step, "loop_lag"; basis:
 * "intended", "sent", "actual") and the counters (sessions.*,
 * messages.*, tls.*, step.NAME.attempts|errors, errors.STEP.WHAT) to
 * run, and each error line's reason as a property error.STEP.WHAT. Steps
 * come in DESIGN.md's order, then the others as they came. */
void load_stats_to_result(const struct load_stats *st, struct result_run *run);

/* Adds what a result recorded with load_stats_to_result (histograms,
 * counters, the error lines' first reasons) into st, as a merge of one
 * more worker: so the result files of shards add up exactly. 0, or -1
 * with err when a stored histogram does not read back (hist_from_result)
 * or its parameters differ from st's (HIST_PARAMS_DEFAULT), or a step
 * table is full. Counters of other names are left out. */
int load_stats_add_result(struct load_stats *st, const struct result_run *run,
                          char *err, size_t errlen);
/* Whether load_stats_to_result writes (and load_stats_add_result reads)
 * a counter of this name. */
bool load_stats_counter_known(const char *name);

#endif
