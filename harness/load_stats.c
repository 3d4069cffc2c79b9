/* load_stats: per-thread measurements of a load run (see load_stats.h).
 * Histograms are allocated at a step's first measurement; every one has
 * HIST_PARAMS_DEFAULT, so any two merge. */
#include "harness/load_stats.h"
#include "harness/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct step_stats {
    char name[LOAD_STATS_NAME];
    struct hist *h[2]; /* by enum load_basis; NULL until measured */
    uint64_t attempts;
    uint64_t errors;
};

struct load_stats {
    struct step_stats steps[LOAD_STATS_MAX_STEPS];
    size_t nsteps;
    struct load_error_line errs[LOAD_STATS_MAX_ERRORS];
    size_t nerrs;
    uint64_t errs_lost; /* error lines past the table */
    struct hist *lag;
    struct load_counts counts;
};

static const char *const BASIS_NAMES[] = {"intended", "sent"};

/* DESIGN.md's step names, in dialogue order: the order of reports. */
static const char *const ORDER[] = {
    "connect",  "tls",      "banner", "ehlo", "helo",    "lhlo",
    "starttls", "ehlo_tls", "auth",   "mail", "rcpt",    "data_cmd",
    "eod",      "bdat",     "rset",   "quit", "session",
};

static struct hist *hist_make(void)
{
    char err[128];
    struct hist *h = hist_new(&HIST_PARAMS_DEFAULT, err, sizeof err);
    if (!h)
        fatal("histogram: %s", err);
    return h;
}

struct load_stats *load_stats_new(void)
{
    struct load_stats *st = xcalloc(1, sizeof *st);
    st->lag = hist_make();
    return st;
}

void load_stats_free(struct load_stats *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->nsteps; i++) {
        hist_free(st->steps[i].h[0]);
        hist_free(st->steps[i].h[1]);
    }
    hist_free(st->lag);
    free(st);
}

static int find_step(const struct load_stats *st, const char *name)
{
    for (size_t i = 0; i < st->nsteps; i++)
        if (st->steps[i].name[0] == name[0] &&
            strcmp(st->steps[i].name, name) == 0)
            return (int)i;
    return -1;
}

int load_stats_step(struct load_stats *st, const char *name)
{
    int i = find_step(st, name);
    if (i >= 0)
        return i;
    if (st->nsteps == LOAD_STATS_MAX_STEPS)
        return -1;
    struct step_stats *ss = &st->steps[st->nsteps];
    snprintf(ss->name, sizeof ss->name, "%s", name);
    return (int)st->nsteps++;
}

void load_stats_attempt(struct load_stats *st, int step)
{
    if (step >= 0)
        st->steps[step].attempts++;
}

void load_stats_record(struct load_stats *st, int step, int64_t sent_us,
                       int64_t lag_us, int64_t expected_us)
{
    if (step < 0)
        return;
    struct step_stats *ss = &st->steps[step];
    for (int b = 0; b < 2; b++)
        if (!ss->h[b])
            ss->h[b] = hist_make();
    hist_record(ss->h[LOAD_SENT], sent_us);
    int64_t v = sent_us + (lag_us > 0 ? lag_us : 0);
    hist_record(ss->h[LOAD_INTENDED], v);
    if (expected_us <= 0 || v <= expected_us)
        return;
    /* HdrHistogram's recordValueWithExpectedInterval: the values the
     * sessions a steady loop would have started during this wait saw. */
    uint64_t n = 0;
    for (int64_t m = v - expected_us;
         m >= expected_us && n < LOAD_STATS_MAX_SYNTH; m -= expected_us, n++)
        hist_record(ss->h[LOAD_INTENDED], m);
    st->counts.synthetic += n;
}

static struct load_error_line *error_line(struct load_stats *st,
                                          const char *step, const char *what)
{
    for (size_t i = 0; i < st->nerrs; i++)
        if (strcmp(st->errs[i].step, step) == 0 &&
            strcmp(st->errs[i].what, what) == 0)
            return &st->errs[i];
    if (st->nerrs == LOAD_STATS_MAX_ERRORS)
        return NULL;
    struct load_error_line *e = &st->errs[st->nerrs++];
    memset(e, 0, sizeof *e);
    snprintf(e->step, sizeof e->step, "%s", step);
    snprintf(e->what, sizeof e->what, "%s", what);
    return e;
}

void load_stats_error(struct load_stats *st, const char *step, const char *what,
                      const char *reason)
{
    int i = load_stats_step(st, step);
    if (i >= 0)
        st->steps[i].errors++;
    struct load_error_line *e = error_line(st, step, what);
    if (!e) {
        st->errs_lost++;
        return;
    }
    if (e->count++ == 0 && reason)
        snprintf(e->reason, sizeof e->reason, "%s", reason);
}

void load_stats_lag(struct load_stats *st, int64_t lag_us)
{
    hist_record(st->lag, lag_us > 0 ? lag_us : 0);
}

struct load_counts *load_stats_counts(struct load_stats *st)
{
    return &st->counts;
}

static void add_counts(struct load_counts *d, const struct load_counts *s)
{
    d->scheduled += s->scheduled;
    d->started += s->started;
    d->ended += s->ended;
    d->ok += s->ok;
    d->errors += s->errors;
    d->queued += s->queued;
    d->dropped += s->dropped;
    d->cutoff += s->cutoff;
    d->cutoff_queued += s->cutoff_queued;
    d->messages += s->messages;
    d->accepted += s->accepted;
    d->tls_full += s->tls_full;
    d->tls_resumed += s->tls_resumed;
    d->synthetic += s->synthetic;
}

static int merge_step(struct load_stats *dst, const struct step_stats *s,
                      char *err, size_t errlen)
{
    int i = load_stats_step(dst, s->name);
    if (i < 0) {
        snprintf(err, errlen, "more than %d step names", LOAD_STATS_MAX_STEPS);
        return -1;
    }
    struct step_stats *d = &dst->steps[i];
    d->attempts += s->attempts;
    d->errors += s->errors;
    for (int b = 0; b < 2; b++) {
        if (!s->h[b])
            continue;
        if (!d->h[b])
            d->h[b] = hist_make();
        if (hist_merge(d->h[b], s->h[b], err, errlen) != HIST_OK)
            return -1;
    }
    return 0;
}

int load_stats_merge(struct load_stats *dst, const struct load_stats *src,
                     char *err, size_t errlen)
{
    for (size_t i = 0; i < src->nsteps; i++)
        if (merge_step(dst, &src->steps[i], err, errlen) != 0)
            return -1;
    for (size_t i = 0; i < src->nerrs; i++) {
        const struct load_error_line *s = &src->errs[i];
        struct load_error_line *d = error_line(dst, s->step, s->what);
        if (!d) {
            dst->errs_lost += s->count;
            continue;
        }
        if (d->count == 0)
            memcpy(d->reason, s->reason, sizeof d->reason);
        d->count += s->count;
    }
    dst->errs_lost += src->errs_lost;
    add_counts(&dst->counts, &src->counts);
    if (hist_merge(dst->lag, src->lag, err, errlen) != HIST_OK)
        return -1;
    return 0;
}

/* ---- reading ---------------------------------------------------------------
 */

size_t load_stats_nsteps(const struct load_stats *st)
{
    return st->nsteps;
}

const char *load_stats_step_name(const struct load_stats *st, size_t i)
{
    return st->steps[i].name;
}

const struct hist *load_stats_hist(const struct load_stats *st,
                                   const char *step, enum load_basis b)
{
    int i = find_step(st, step);
    return i < 0 ? NULL : st->steps[i].h[b];
}

bool load_stats_step_counts(const struct load_stats *st, const char *step,
                            uint64_t *attempts, uint64_t *errors)
{
    int i = find_step(st, step);
    if (i < 0)
        return false;
    *attempts = st->steps[i].attempts;
    *errors = st->steps[i].errors;
    return true;
}

const struct hist *load_stats_lag_hist(const struct load_stats *st)
{
    return st->lag;
}

const struct load_counts *load_stats_counts_const(const struct load_stats *st)
{
    return &st->counts;
}

size_t load_stats_nerrors(const struct load_stats *st)
{
    return st->nerrs;
}

const struct load_error_line *load_stats_error_line(const struct load_stats *st,
                                                    size_t i)
{
    return &st->errs[i];
}

/* ---- the result model
 * -------------------------------------------------------- */

static void counter(struct result_run *run, const char *name, uint64_t v)
{
    struct result_counter *c = result_counter_add(run);
    c->name = xstrdup(name);
    c->value = v;
}

static void put_step(const struct step_stats *ss, struct result_run *run)
{
    for (int b = 0; b < 2; b++)
        if (ss->h[b])
            hist_to_result(ss->h[b], ss->name, BASIS_NAMES[b],
                           result_hist_add(run));
    char name[96];
    snprintf(name, sizeof name, "step.%s.attempts", ss->name);
    counter(run, name, ss->attempts);
    snprintf(name, sizeof name, "step.%s.errors", ss->name);
    counter(run, name, ss->errors);
}

size_t load_stats_report_order(const struct load_stats *st, size_t *idx)
{
    size_t n = 0;
    bool used[LOAD_STATS_MAX_STEPS] = {false};
    for (size_t o = 0; o < sizeof ORDER / sizeof ORDER[0]; o++) {
        int i = find_step(st, ORDER[o]);
        if (i >= 0) {
            idx[n++] = (size_t)i;
            used[i] = true;
        }
    }
    for (size_t i = 0; i < st->nsteps; i++)
        if (!used[i])
            idx[n++] = i;
    return n;
}

static void put_counts(const struct load_counts *c, struct result_run *run)
{
    const struct {
        const char *name;
        uint64_t v;
    } ROWS[] = {
        {"sessions.scheduled", c->scheduled},
        {"sessions.started", c->started},
        {"sessions.ended", c->ended},
        {"sessions.ok", c->ok},
        {"sessions.errors", c->errors},
        {"sessions.queued", c->queued},
        {"sessions.dropped", c->dropped},
        {"sessions.cutoff", c->cutoff},
        {"sessions.cutoff_queued", c->cutoff_queued},
        {"messages.sent", c->messages},
        {"messages.accepted", c->accepted},
        {"tls.full", c->tls_full},
        {"tls.resumed", c->tls_resumed},
        {"histograms.corrected_values", c->synthetic},
    };
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++)
        counter(run, ROWS[i].name, ROWS[i].v);
}

void load_stats_to_result(const struct load_stats *st, struct result_run *run)
{
    size_t idx[LOAD_STATS_MAX_STEPS];
    size_t n = load_stats_report_order(st, idx);
    for (size_t i = 0; i < n; i++)
        put_step(&st->steps[idx[i]], run);
    hist_to_result(st->lag, "loop_lag", "actual", result_hist_add(run));
    put_counts(&st->counts, run);
    char name[96];
    for (size_t i = 0; i < st->nerrs; i++) {
        const struct load_error_line *e = &st->errs[i];
        snprintf(name, sizeof name, "errors.%s.%s", e->step, e->what);
        counter(run, name, e->count);
        struct result_kv *kv = result_property_add(run);
        snprintf(name, sizeof name, "error.%s.%s", e->step, e->what);
        kv->name = xstrdup(name);
        kv->value = xstrdup(e->reason);
    }
    if (st->errs_lost)
        counter(run, "errors.other", st->errs_lost);
}
