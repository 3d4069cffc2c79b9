/* engine: the conformance scheduler. Runs cases against one target on
 * one event loop, up to `jobs` sessions at once, within politeness limits
 * (connections at once, a delay between connects), retrying temporary
 * failures when asked, and hands results back in input order whatever
 * finished first. */
#ifndef SMTPSUITE_ENGINE_H
#define SMTPSUITE_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/prog.h"
#include "harness/result.h"
#include "harness/session.h"
#include "harness/target.h"

struct tls_client;

/* Called once per case, in input order, when it and every case before it
 * have finished. */
typedef void engine_result_fn(void *arg, size_t index,
                              const struct result_case *rc);
/* Called when a case starts and ends (progress lines); may be NULL. */
typedef void engine_progress_fn(void *arg, size_t done, size_t total,
                                size_t running);

struct deliver;

struct engine_params {
    long jobs;                 /* sessions at once (>= 1) */
    long max_connections;      /* connections at once; 0: no limit */
    int64_t connect_delay_us;  /* at least this between connects */
    long retry_tempfail;       /* re-runs of a case that ended ERROR
                                  tempfail */
    int64_t retry_wait_us;
    const struct timeouts *tmo;
    const struct tls_client *tls; /* harness/tls.h; NULL: no TLS */
    const char *run_id;
    struct deliver *deliver; /* delivery checks (deliver.h), or NULL */
    bool trace_states;
    /* Set to nonzero (from a signal handler) to stop: no new case starts,
     * running ones get grace_us to end, then are cut off as NOTRUN. */
    volatile sig_atomic_t *stop;
    int64_t grace_us;
    engine_result_fn *on_result;
    engine_progress_fn *on_progress;
    void *arg;
};

/* Runs cases[0..n) against t; fills out[0..n) (empty result_cases, which
 * the caller owns). Returns 0, or -1 with err when the target cannot be
 * used at all (unresolvable name): every case is then ERROR connect with
 * that reason, and results are still delivered. *interrupted tells
 * whether stop cut the run short. */
int engine_run(struct prog_case *const *cases, size_t n, const struct target *t,
               const struct engine_params *p, struct result_case *out,
               bool *interrupted, char *err, size_t errlen);

/* Resolves the target's address (first usable result). Returns 0 or -1
 * with err. */
int engine_resolve(const struct target *t, struct sockaddr_storage *ss,
                   socklen_t *len, char *err, size_t errlen);

#endif
