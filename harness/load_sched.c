/* load_sched: arrival times, shares and admission (see load_sched.h).
 *
 * Between two points the rate is linear, r(t) = r0 + a (t - t0), so the
 * arrivals counted since t0 are N = r0 tau + a tau^2 / 2 (tau = t - t0),
 * and arrival k is at the tau solving that for m = k - cum: written as
 * tau = 2m / (r0 + sqrt(r0^2 + 2am)), which stays exact for a = 0 and
 * loses no precision when a < 0. Times are microseconds, rates per
 * second. */
#include "harness/load_sched.h"
#include "harness/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US  1e6
#define EPS 1e-9 /* sessions: rounding slack of the integral */

static int fail(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return -1;
}

/* Copies the points, adding 0:0 in front of a ramp that starts later. */
static int copy_points(struct load_sched *s, const struct load_sched_point *pts,
                       size_t n, char *err, size_t errlen)
{
    if (n == 0)
        return fail(err, errlen, "no rate given");
    if (n > LOAD_SCHED_MAX_POINTS)
        return fail(err, errlen, "too many ramp points (at most 64)");
    s->npts = 0;
    if (pts[0].t_us > 0)
        s->pts[s->npts++] = (struct load_sched_point){0, 0.0};
    for (size_t i = 0; i < n; i++) {
        if (pts[i].t_us < 0 || (i > 0 && pts[i].t_us <= pts[i - 1].t_us))
            return fail(err, errlen, "ramp times must increase");
        if (!(pts[i].rate >= 0) || pts[i].rate > LOAD_SCHED_MAX_RATE)
            return fail(err, errlen,
                        "a rate must be from 0 to 10000000 sessions/s");
        s->pts[s->npts++] = pts[i];
    }
    return 0;
}

/* Arrivals from the start to t_us. */
static double integral(const struct load_sched *s, int64_t t_us)
{
    size_t i = 0;
    while (i + 1 < s->npts && s->pts[i + 1].t_us <= t_us)
        i++;
    double tau = (double)(t_us - s->pts[i].t_us);
    double r0 = s->pts[i].rate, r1 = r0;
    if (i + 1 < s->npts)
        r1 = r0 + (s->pts[i + 1].rate - r0) * tau /
                      (double)(s->pts[i + 1].t_us - s->pts[i].t_us);
    return s->cum[i] + (r0 + r1) / 2 * tau / US;
}

int load_sched_init(struct load_sched *s, const struct load_sched_point *pts,
                    size_t n, int64_t duration_us, uint64_t max_sessions,
                    char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (copy_points(s, pts, n, err, errlen) != 0)
        return -1;
    s->cum[0] = 0;
    for (size_t i = 1; i < s->npts; i++) {
        double dt = (double)(s->pts[i].t_us - s->pts[i - 1].t_us);
        s->cum[i] =
            s->cum[i - 1] + (s->pts[i - 1].rate + s->pts[i].rate) / 2 * dt / US;
    }
    s->end_us = duration_us > 0 ? duration_us : s->pts[s->npts - 1].t_us;
    if (s->end_us <= 0 && max_sessions == 0)
        return fail(
            err, errlen,
            "the schedule has no end: give a duration or a session count");
    if (s->end_us <= 0)
        s->end_us = INT64_MAX;
    double nd = s->end_us == INT64_MAX ? INFINITY : integral(s, s->end_us);
    double total = ceil(nd - EPS);
    if (max_sessions && (isinf(total) || total > (double)max_sessions))
        total = (double)max_sessions;
    if (isinf(total) || total > 1e15)
        return fail(err, errlen, "the schedule is too long");
    s->total = (uint64_t)(total > 0 ? total : 0);
    if (s->total == 0)
        return fail(err, errlen, "the schedule has no arrivals");
    return 0;
}

uint64_t load_sched_total(const struct load_sched *s)
{
    return s->total;
}

bool load_sched_arrival(const struct load_sched *s, uint64_t k, int64_t *t_us)
{
    if (k >= s->total)
        return false;
    double kd = (double)k;
    size_t i = 0;
    while (i + 1 < s->npts && s->cum[i + 1] <= kd)
        i++;
    double r0 = s->pts[i].rate, m = (kd - s->cum[i]) * US, tau;
    if (m <= 0) {
        tau = 0;
    } else if (i + 1 < s->npts) {
        double a = (s->pts[i + 1].rate - r0) /
                   (double)(s->pts[i + 1].t_us - s->pts[i].t_us);
        double d = r0 * r0 + 2 * a * m;
        tau = 2 * m / (r0 + sqrt(d > 0 ? d : 0));
    } else {
        if (r0 <= 0)
            return false; /* the rate ended at 0 */
        tau = m / r0;
    }
    *t_us = s->pts[i].t_us + llround(tau);
    return true;
}

double load_sched_rate_at(const struct load_sched *s, int64_t t_us)
{
    size_t i = 0;
    while (i + 1 < s->npts && s->pts[i + 1].t_us <= t_us)
        i++;
    if (i + 1 == s->npts || t_us < s->pts[0].t_us)
        return s->pts[i].rate;
    double f = (double)(t_us - s->pts[i].t_us) /
               (double)(s->pts[i + 1].t_us - s->pts[i].t_us);
    return s->pts[i].rate + (s->pts[i + 1].rate - s->pts[i].rate) * f;
}

uint64_t load_sched_share(uint64_t total, unsigned n, unsigned w)
{
    return total / n + (w < total % n ? 1 : 0);
}

uint64_t load_sched_dealt(uint64_t j, unsigned n, unsigned w)
{
    return j * n + w;
}

/* ---- admission ------------------------------------------------------------
 */

void load_admit_init(struct load_admit *a, uint64_t cap, size_t qmax)
{
    memset(a, 0, sizeof *a);
    a->cap = cap ? cap : 1;
    a->qmax = qmax;
    a->q = qmax ? xcalloc(qmax, sizeof *a->q) : NULL;
}

void load_admit_free(struct load_admit *a)
{
    free(a->q);
    a->q = NULL;
}

enum load_admit_result load_admit_arrive(struct load_admit *a, int64_t intended)
{
    if (a->inflight < a->cap && a->qlen == 0) {
        a->inflight++;
        return LOAD_ADMIT_START;
    }
    if (a->qlen == a->qmax) {
        a->dropped++;
        return LOAD_ADMIT_DROPPED;
    }
    a->q[(a->qhead + a->qlen) % a->qmax] = intended;
    a->qlen++;
    a->queued++;
    if (a->qlen > a->qpeak)
        a->qpeak = a->qlen;
    return LOAD_ADMIT_QUEUED;
}

bool load_admit_done(struct load_admit *a, int64_t *intended)
{
    if (a->inflight > 0)
        a->inflight--;
    if (a->qlen == 0 || a->inflight >= a->cap)
        return false;
    *intended = a->q[a->qhead];
    a->qhead = (a->qhead + 1) % a->qmax;
    a->qlen--;
    a->inflight++;
    return true;
}

size_t load_admit_flush(struct load_admit *a)
{
    size_t n = a->qlen;
    a->qlen = 0;
    a->qhead = 0;
    return n;
}
