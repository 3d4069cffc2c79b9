/* load_sched: the schedule of a load run as pure arithmetic, with no
 * clock and no I/O (docs/load.md "Models"):
 * - when the k-th session of an open model arrives: a constant rate, or
 *   rates interpolated linearly between time:rate points;
 * - how arrivals (open) and sessions (closed) are shared among shards
 *   and worker threads: arrival k goes to share k mod T, and a total
 *   splits into shares that differ by at most one;
 * - admission (DESIGN.md "Load model"): an arrival that finds the
 *   in-flight cap full waits in a bounded queue; past the bound it is
 *   dropped and counted. */
#ifndef SMTPSUITE_LOAD_SCHED_H
#define SMTPSUITE_LOAD_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOAD_SCHED_MAX_POINTS 64  /* points of a ramp */
#define LOAD_SCHED_MAX_RATE   1e7 /* sessions per second */

/* From t_us on, the rate moves linearly to the next point's rate. */
struct load_sched_point {
    int64_t t_us;
    double rate; /* sessions per second, >= 0 */
};

/* An open-model schedule (a plain value; nothing to free). */
struct load_sched {
    struct load_sched_point pts[LOAD_SCHED_MAX_POINTS + 1];
    double cum[LOAD_SCHED_MAX_POINTS + 1]; /* arrivals before pts[i] */
    size_t npts;
    int64_t end_us; /* arrivals only before this */
    uint64_t total; /* arrivals in the whole schedule */
};

/* Sets up s from points with increasing times (a first point after 0
 * starts a ramp from rate 0 at 0; the last rate holds after the last
 * point). Arrivals stop at duration_us, or at the last point when it is
 * 0, and after max_sessions (0: no limit). Returns 0, or -1 with a
 * reason in err (no points, times not increasing, a negative or too
 * large rate, a schedule without end or without arrivals). */
int load_sched_init(struct load_sched *s, const struct load_sched_point *pts,
                    size_t n, int64_t duration_us, uint64_t max_sessions,
                    char *err, size_t errlen);
/* Arrivals in the whole schedule: min(max_sessions, ceil(N(end))) where
 * N(t) is the integral of the rate, to within 1e-9 of a session. */
uint64_t load_sched_total(const struct load_sched *s);
/* When arrival k (0-based) is due, in microseconds from the start: the
 * time t with N(t) = k, rounded to the microsecond. False when k is past
 * the schedule. */
bool load_sched_arrival(const struct load_sched *s, uint64_t k, int64_t *t_us);
/* The rate the schedule asks for at t_us (sessions per second). */
double load_sched_rate_at(const struct load_sched *s, int64_t t_us);

/* Thread w's share of total among n threads: total/n, plus one for the
 * first total%n threads. */
uint64_t load_sched_share(uint64_t total, unsigned n, unsigned w);
/* The index, in the whole, of the j-th item (from 0) of share w among n:
 * items are dealt round-robin, item k to share k mod n, so this is
 * j * n + w. Shards deal the run's arrivals (and closed slots and
 * session numbers) among themselves this way, then each shard among its
 * threads. */
uint64_t load_sched_dealt(uint64_t j, unsigned n, unsigned w);

/* ---- admission ---------------------------------------------------------- */

enum load_admit_result {
    LOAD_ADMIT_START,   /* under the cap: start it now */
    LOAD_ADMIT_QUEUED,  /* the cap is full: it waits */
    LOAD_ADMIT_DROPPED, /* the queue is full too: lost */
};

/* The in-flight cap and the queue in front of it, for one thread. */
struct load_admit {
    uint64_t cap; /* sessions in flight at most, >= 1 */
    size_t qmax;  /* arrivals waiting at most (0: none wait) */
    uint64_t inflight;
    int64_t *q; /* ring of the waiting arrivals' intended starts */
    size_t qhead, qlen;
    uint64_t queued;  /* arrivals that ever waited */
    uint64_t dropped; /* arrivals lost */
    size_t qpeak;     /* longest the queue was */
};

/* Sets up a (caller frees with load_admit_free). */
void load_admit_init(struct load_admit *a, uint64_t cap, size_t qmax);
void load_admit_free(struct load_admit *a);
/* An arrival due at intended: started, queued or dropped. */
enum load_admit_result load_admit_arrive(struct load_admit *a,
                                         int64_t intended);
/* A session ended. True when a waiting arrival takes its place: start
 * it now; its intended start is in *intended. */
bool load_admit_done(struct load_admit *a, int64_t *intended);
/* Empties the queue (the run is over); returns how many waited. */
size_t load_admit_flush(struct load_admit *a);

#endif
