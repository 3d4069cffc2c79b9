/* cli_deliver: the --deliver-* options of run and load, and what they
 * make (see cli_deliver.h). */
#include "suite/cli_deliver.h"
#include "harness/clock.h"
#include "harness/deliver_log.h"
#include "harness/duration.h"
#include "harness/hist.h"
#include "harness/load_stats.h"
#include "harness/result.h"
#include "harness/verdict.h"
#include "harness/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_deliver_defaults(struct cli_deliver_opts *o)
{
    o->drain = DELIVER_DRAIN_US;
    o->late = DELIVER_LATE_US;
    o->settle = DELIVER_SETTLE_US;
}

void cli_deliver_opts_free(struct cli_deliver_opts *o)
{
    cli_list_free(&o->faults);
}

/* The options that need --deliver-to, and --corpus; 0 or EXIT_USAGE. */
static int check_opts(const struct cli_verb *verb,
                      const struct cli_deliver_opts *o, bool corpus)
{
    if (!o->to && (o->record || o->faults.n))
        return cli_error(verb, "--deliver-record and --deliver-fault need "
                               "--deliver-to");
    if (corpus && (o->to || o->log))
        return cli_error(verb,
                         "%s: --corpus messages carry no delivery token; use "
                         "generated messages (--size)",
                         o->to ? "--deliver-to" : "--deliver-log");
    return EXIT_OK;
}

/* The next hop's error, said in our option names. */
static void hop_error(const struct cli_verb *verb,
                      const struct cli_deliver_opts *o, const char *err)
{
    if (strncmp(err, "--fault: ", 9) == 0)
        cli_error(verb, "--deliver-fault: %s", err + 9);
    else if (strncmp(err, "--listen ", 9) == 0 && strstr(err, ": "))
        cli_error(verb, "--deliver-to: '%s': %s", o->to, strstr(err, ": ") + 2);
    else
        cli_error(verb, "--deliver-to: %s", err);
}

int cli_deliver_start(const struct cli_verb *verb,
                      const struct cli_deliver_opts *o, const char *log_path,
                      bool corpus, bool keep, bool quiet,
                      struct cli_deliver *d)
{
    memset(d, 0, sizeof *d);
    d->o = o;
    int rc = check_opts(verb, o, corpus);
    if (rc != EXIT_OK || (!o->to && !log_path))
        return rc;
    char err[512];
    if (log_path) {
        d->log_path = xstrdup(log_path);
        if (!(d->log = deliver_log_open(log_path, err, sizeof err)))
            return cli_error(verb, "--deliver-log: cannot write %s", err);
    }
    bool usage = false;
    struct deliver_params dp = {
        .listen = o->to,
        .record = o->record,
        .faults = (const char *const *)o->faults.v,
        .nfaults = o->faults.n,
        .quiet = quiet,
        .log = d->log,
        .keep = keep,
    };
    if (!(d->hop = deliver_new(&dp, &usage, err, sizeof err))) {
        hop_error(verb, o, err);
        return usage ? EXIT_USAGE : EXIT_INCONCLUSIVE;
    }
    return EXIT_OK;
}

void cli_deliver_set_run(struct cli_deliver *d, const char *run_id,
                         unsigned shard, unsigned nshards)
{
    if (d->hop)
        deliver_set_run(d->hop, run_id);
    if (d->log)
        deliver_log_header(d->log, run_id, shard, nshards);
}

static void property(struct result_run *run, const char *name, const char *v)
{
    struct result_kv *kv = result_property_add(run);
    kv->name = xstrdup(name);
    kv->value = xstrdup(v);
}

void cli_deliver_to_result(const struct deliver_report *r, const char *to,
                           int64_t late_us, const char *drain,
                           struct result_run *run)
{
    deliver_report_to_result(r, run);
    char t[32];
    property(run, "delivery.to", to);
    duration_format(late_us, t, sizeof t);
    property(run, "delivery.late_after", t);
    if (drain)
        property(run, "delivery.drain", drain);
}

void cli_deliver_finish(struct cli_deliver *d, volatile sig_atomic_t *stop,
                        struct deliver_report *r,
                        void (*latency)(void *arg, int64_t us), void *arg,
                        struct result_run *run)
{
    const struct cli_deliver_opts *o = d->o;
    if (!*stop)
        deliver_wait(d->hop, clock_mono_us() + o->drain, o->settle, stop);
    deliver_finish(d->hop, o->late, r, latency, arg);
    char drain[32];
    duration_format(o->drain, drain, sizeof drain);
    cli_deliver_to_result(r, o->to, o->late, drain, run);
}

void cli_deliver_hist_latency(void *arg, int64_t us)
{
    hist_record(arg, us);
}

int cli_deliver_exit(const struct deliver_report *r)
{
    return r->lost || r->duplicated || r->corrupt ? EXIT_FAILED : EXIT_OK;
}

int cli_deliver_close_log(const struct cli_verb *verb, struct cli_deliver *d,
                          bool quiet)
{
    if (!d->log)
        return EXIT_OK;
    char err[512];
    uint64_t n = deliver_log_count(d->log);
    int rc = deliver_log_close(d->log, err, sizeof err);
    d->log = NULL;
    if (rc != 0) {
        fprintf(stderr, "smtpsuite %s: --deliver-log: %s\n", verb->name, err);
        return EXIT_INCONCLUSIVE;
    }
    if (!quiet)
        printf("\n  submission log %s: %" PRIu64
               " accepted message%s (smtpsuite "
               "merge --deliver-log joins it with the next hop's --record)\n",
               d->log_path, n, n == 1 ? "" : "s");
    return EXIT_OK;
}

void cli_deliver_free(struct cli_deliver *d)
{
    deliver_free(d->hop); /* before the log it writes to */
    char err[512];
    deliver_log_close(d->log, err, sizeof err);
    free(d->log_path);
    memset(d, 0, sizeof *d);
}

void cli_deliver_latency(void *arg, int64_t us)
{
    struct load_stats *st = arg;
    load_stats_record(st, load_stats_step(st, "delivery"), us, 0, 0);
}

void cli_deliver_stats(struct load_stats *st, const struct deliver_report *r)
{
    static const char *const WHAT[] = {"lost", "late", "duplicated"};
    const uint64_t n[] = {r->lost, r->late, r->duplicated};
    const char *const ex[] = {r->lost_tokens, "", r->duplicated_tokens};
    int step = load_stats_step(st, "delivery");
    for (uint64_t i = 0; i < r->submitted; i++)
        load_stats_attempt(st, step);
    for (size_t i = 0; i < 3; i++)
        for (uint64_t k = 0; k < n[i]; k++)
            load_stats_error(st, "delivery", WHAT[i], ex[i]);
    for (int c = 0; c < ARRIVAL_CLASS_COUNT; c++)
        for (uint64_t k = 0; arrival_class_corrupt(c) && k < r->classes[c]; k++)
            load_stats_error(st, "delivery", arrival_class_name(c),
                             r->changed_tokens);
}
