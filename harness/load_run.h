/* load_run: the load driver. Runs scenarios (compiled cases, picked by
 * weight) as lean sessions against one target on T worker threads, each
 * with its own event base and its share of the schedule:
 * - open model: sessions arrive on a schedule (load_sched); an arrival
 *   that finds the thread's in-flight cap full waits in a bounded queue,
 *   past it it is dropped (DESIGN.md "Load model");
 * - closed model: C sessions loop, each starting when the one before it
 *   on its slot ended.
 * Every judged step goes into per-thread histograms (load_stats) on both
 * bases, merged once the workers stopped. When the schedule is over,
 * sessions still running get the drain time to end; then they are cut
 * off and counted apart. The caller's tick function gets a snapshot
 * once a second (from the calling thread) for live lines. */
#ifndef SMTPSUITE_LOAD_RUN_H
#define SMTPSUITE_LOAD_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/body.h"
#include "harness/load_sched.h"
#include "harness/load_stats.h"
#include "harness/prog.h"
#include "harness/result.h"
#include "harness/session.h"
#include "harness/target.h"

#define LOAD_RUN_MAX_THREADS 256
#define LOAD_RUN_FIXTURE_MAX 256   /* an expanded --sender / --rcpt, octets */
#define LOAD_RUN_MAX_SECONDS 86400 /* seconds a timeline keeps */
#define LOAD_RUN_FD_SPARE    64    /* descriptors besides the sessions' */

enum load_model {
    LOAD_OPEN,
    LOAD_CLOSED,
};

struct deliver;

struct load_scenario {
    const struct prog_case *pc;
    unsigned weight; /* >= 1: its share of the sessions */
};

/* Figures so far (cumulative, all threads), for live lines. */
struct load_live {
    int64_t elapsed_us;
    uint64_t scheduled, started, ended, ok, errors, dropped, cutoff;
    uint64_t messages;
    uint64_t inflight, waiting; /* now */
    /* sessions that ended since the last snapshot, intended basis */
    uint64_t interval_sessions;
    int64_t interval_p50_us, interval_p99_us, interval_max_us;
};

typedef void load_tick_fn(void *arg, const struct load_live *l);

struct load_run_params {
    const struct load_scenario *scenarios;
    size_t nscenarios;
    const struct target *target;
    const struct tls_client *tls; /* NULL: no TLS */
    const struct timeouts *tmo;
    const char *run_id;
    enum load_model model;
    const struct load_sched *sched; /* open model */
    uint64_t concurrency;           /* closed model: C */
    uint64_t sessions;              /* closed: sessions in all (0: no limit) */
    int64_t duration_us;            /* closed: (0: until sessions) */
    int64_t spread_us;              /* closed: first starts spread over this */
    unsigned threads;               /* 1..LOAD_RUN_MAX_THREADS */
    uint64_t max_inflight;          /* open: the in-flight cap, all threads */
    uint64_t queue;                 /* open: arrivals waiting at most */
    int64_t drain_us;               /* after the schedule, before cut-off */
    const struct body_sizes *sizes; /* `data msg` sizes, or NULL */
    const struct body_corpus *corpus; /* `data msg` content, or NULL */
    const char *sender_pattern;       /* fixture sender, or NULL */
    const char *rcpt_pattern;         /* fixture rcpt, or NULL */
    uint64_t messages;                /* fixture messages (>= 1) */
    bool rset;                        /* fixture rset = 1 */
    bool tls_resume;
    /* Shards (docs/distributed.md): this process runs share `shard` of
     * `nshards` (0 or 1: the whole run). Arrivals, closed slots, the
     * session and message numbers are dealt k -> shard k mod nshards;
     * counts (cap, queue, C, sessions) split like load_sched_share. */
    unsigned shard, nshards;
    int64_t start_wall_us;       /* the schedule's start (wall clock); 0: now */
    const char *sources; /* a source-address pool (load_run_sources), one
                            address a session in turn; NULL: target->bind */
    struct deliver *deliver; /* accepted messages go here, or NULL */
    volatile sig_atomic_t *stop; /* nonzero: stop arriving, drain */
    load_tick_fn *on_tick;       /* or NULL */
    void *arg;
};

/* What a run produced. */
struct load_outcome {
    struct load_stats *stats; /* merged */
    int64_t started_wall_us;
    int64_t elapsed_us;  /* first start to the last end */
    int64_t schedule_us; /* the schedule's length */
    bool interrupted;
    int64_t cpu_user_us, cpu_sys_us;
    int64_t maxrss_kb;
    double requested_rate; /* sessions/s asked of this shard (open), or 0 */
    /* with start_wall_us: how much later than it the schedule started
     * (a late start shifts the schedule, so it is never server latency) */
    bool start_at;
    int64_t start_shift_us;
    /* per second, sampled by the calling thread; the last entry is the
     * partial second at the end, so each series adds up to its total */
    size_t nseconds;
    uint64_t *tl_started, *tl_ended, *tl_errors, *tl_messages, *tl_inflight;
    int64_t *tl_p99_us;
    char warning[512]; /* "" or why the generator may have been the limit */
};

#define LOAD_RUN_MAX_SOURCES 256

/* Parses a source-address pool: numeric addresses separated by commas;
 * an IPv4 one may end in a range of its last octet, "127.0.0.2-9". Fills
 * out and lens (max entries each) and returns the count, or -1 with err
 * (a bad address, an empty range, more than max). */
int load_run_sources(const char *spec, struct sockaddr_storage *out,
                     socklen_t *lens, size_t max, char *err, size_t errlen);

/* Runs the load; fills out (free with load_outcome_free). Returns 0, or
 * -1 with err when it could not start (the address does not resolve,
 * no descriptors): nothing connected then. */
int load_run(const struct load_run_params *p, struct load_outcome *out,
             char *err, size_t errlen);
void load_outcome_free(struct load_outcome *o);

/* Appends the outcome to run: the stats (load_stats_to_result), the
 * counters cpu.*, memory.*, rate.*, elapsed_us (and start.shift_us for
 * a run with a start time), and the timelines as properties
 * timeline.NAME (comma-separated, one value a second). */
void load_outcome_to_result(const struct load_outcome *o,
                            struct result_run *run);

/* The descriptors a run needs for `sessions` sessions at once with
 * `conns` connections each; raises RLIMIT_NOFILE's soft limit toward
 * it. 0, or -1 with a message saying what to do when the hard limit is
 * too low. */
int load_run_fds(uint64_t sessions, size_t conns, char *err, size_t errlen);

/* Expands a --sender / --rcpt pattern: {n} is the message's number and
 * {s} the session's (unique in the run), "{{" and "}}" are braces.
 * Returns 0, or -1 (err says why) for another placeholder or a result
 * longer than outlen - 1. */
int load_run_expand(const char *pattern, uint64_t n, uint64_t s, char *out,
                    size_t outlen, char *err, size_t errlen);

/* The step names a scenario measures, as far as its program shows them
 * (a command whose verb comes from an expression is named when it
 * runs), added to names[0..*n) without duplicates; "session" always. */
void load_run_steps(const struct prog_case *pc, const struct target *t,
                    char names[][LOAD_STATS_NAME], size_t *n, size_t max);

#endif
