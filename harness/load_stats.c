/* load_stats: per-thread measurements of a load run (see load_stats.h).
 * Histograms are allocated at a step's first measurement; every one has
 * HIST_PARAMS_DEFAULT, so any two merge. */
#include "harness/load_stats.h"
#include "harness/xalloc.h"

#include <stddef.h>
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
        char why[256];
        if (hist_merge(d->h[b], s->h[b], why, sizeof why) != HIST_OK) {
            snprintf(err, errlen, "histogram %s/%s: %s", s->name,
                     BASIS_NAMES[b], why);
            return -1;
        }
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
    char why[256];
    if (hist_merge(dst->lag, src->lag, why, sizeof why) != HIST_OK) {
        snprintf(err, errlen, "histogram loop_lag/actual: %s", why);
        return -1;
    }
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

/* The session counts as result counters, in the order they are written
 * (load_stats_to_result) and read back (load_stats_add_result). */
static const struct {
    const char *name;
    size_t off;
} COUNT_ROWS[] = {
    {"sessions.scheduled", offsetof(struct load_counts, scheduled)},
    {"sessions.started", offsetof(struct load_counts, started)},
    {"sessions.ended", offsetof(struct load_counts, ended)},
    {"sessions.ok", offsetof(struct load_counts, ok)},
    {"sessions.errors", offsetof(struct load_counts, errors)},
    {"sessions.queued", offsetof(struct load_counts, queued)},
    {"sessions.dropped", offsetof(struct load_counts, dropped)},
    {"sessions.cutoff", offsetof(struct load_counts, cutoff)},
    {"sessions.cutoff_queued", offsetof(struct load_counts, cutoff_queued)},
    {"messages.sent", offsetof(struct load_counts, messages)},
    {"messages.accepted", offsetof(struct load_counts, accepted)},
    {"tls.full", offsetof(struct load_counts, tls_full)},
    {"tls.resumed", offsetof(struct load_counts, tls_resumed)},
    {"histograms.corrected_values", offsetof(struct load_counts, synthetic)},
};

#define NCOUNT_ROWS (sizeof COUNT_ROWS / sizeof COUNT_ROWS[0])

static uint64_t *count_field(struct load_counts *c, size_t row)
{
    return (uint64_t *)((char *)c + COUNT_ROWS[row].off);
}

static void put_counts(const struct load_counts *c, struct result_run *run)
{
    for (size_t i = 0; i < NCOUNT_ROWS; i++)
        counter(run, COUNT_ROWS[i].name,
                *count_field((struct load_counts *)c, i));
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

/* ---- reading a result back
 * ------------------------------------------------------ */

/* A stored histogram into st (src of a merge): a step's, or the loop
 * lag. */
static int get_hist(struct load_stats *st, const struct result_hist *rh,
                    char *err, size_t errlen)
{
    const char *name = rh->name ? rh->name : "",
               *basis = rh->basis ? rh->basis : "";
    struct hist **slot = NULL;
    if (strcmp(name, "loop_lag") == 0 && strcmp(basis, "actual") == 0) {
        slot = &st->lag;
    } else {
        int b = strcmp(basis, BASIS_NAMES[LOAD_INTENDED]) == 0 ? LOAD_INTENDED
                : strcmp(basis, BASIS_NAMES[LOAD_SENT]) == 0   ? LOAD_SENT
                                                               : -1;
        int i = b < 0 || !*name ? -1 : load_stats_step(st, name);
        if (i < 0) {
            snprintf(err, errlen, "histogram %s/%s: %s", name, basis,
                     b < 0 || !*name ? "not a step's intended or sent figure"
                                     : "too many step names");
            return -1;
        }
        slot = &st->steps[i].h[b];
    }
    struct hist *h = hist_from_result(rh, err, errlen);
    if (!h)
        return -1;
    if (*slot && slot != &st->lag) {
        hist_free(h);
        snprintf(err, errlen, "histogram %s/%s comes twice", name, basis);
        return -1;
    }
    hist_free(*slot);
    *slot = h;
    return 0;
}

/* "PREFIX.STEP.REST" -> step and rest; false when it does not match. */
static bool split_name(const char *name, const char *prefix, char *step,
                       const char **rest)
{
    size_t np = strlen(prefix);
    if (strncmp(name, prefix, np) != 0)
        return false;
    const char *s = name + np, *dot = strchr(s, '.');
    if (!dot || dot == s || (size_t)(dot - s) >= LOAD_STATS_NAME || !dot[1] ||
        strlen(dot + 1) >= LOAD_STATS_NAME)
        return false;
    memcpy(step, s, (size_t)(dot - s));
    step[dot - s] = '\0';
    *rest = dot + 1;
    return true;
}

/* One stored counter into st; unknown names are left to the caller. */
static void get_counter(struct load_stats *st, const struct result_counter *c)
{
    char step[LOAD_STATS_NAME];
    const char *rest;
    for (size_t i = 0; i < NCOUNT_ROWS; i++)
        if (strcmp(c->name, COUNT_ROWS[i].name) == 0) {
            *count_field(&st->counts, i) += c->value;
            return;
        }
    if (strcmp(c->name, "errors.other") == 0) {
        st->errs_lost += c->value;
    } else if (split_name(c->name, "step.", step, &rest)) {
        int i = load_stats_step(st, step);
        if (i >= 0 && strcmp(rest, "attempts") == 0)
            st->steps[i].attempts += c->value;
        else if (i >= 0 && strcmp(rest, "errors") == 0)
            st->steps[i].errors += c->value;
    } else if (split_name(c->name, "errors.", step, &rest)) {
        struct load_error_line *e = error_line(st, step, rest);
        if (e)
            e->count += c->value;
        else
            st->errs_lost += c->value;
    }
}

/* The first reason of each error line (properties error.STEP.WHAT). */
static void get_reasons(struct load_stats *st, const struct result_run *run)
{
    char step[LOAD_STATS_NAME];
    const char *what;
    for (size_t i = 0; i < run->nproperties; i++) {
        const struct result_kv *kv = &run->properties[i];
        if (!kv->name || !kv->value ||
            !split_name(kv->name, "error.", step, &what))
            continue;
        for (size_t k = 0; k < st->nerrs; k++)
            if (strcmp(st->errs[k].step, step) == 0 &&
                strcmp(st->errs[k].what, what) == 0)
                snprintf(st->errs[k].reason, sizeof st->errs[k].reason, "%s",
                         kv->value);
    }
}

int load_stats_add_result(struct load_stats *st, const struct result_run *run,
                          char *err, size_t errlen)
{
    struct load_stats *src = load_stats_new();
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < run->nhists; i++)
        rc = get_hist(src, &run->hists[i], err, errlen);
    for (size_t i = 0; rc == 0 && i < run->ncounters; i++)
        if (run->counters[i].name)
            get_counter(src, &run->counters[i]);
    if (rc == 0) {
        get_reasons(src, run);
        rc = load_stats_merge(st, src, err, errlen);
    }
    load_stats_free(src);
    return rc;
}

bool load_stats_counter_known(const char *name)
{
    char step[LOAD_STATS_NAME];
    const char *rest;
    for (size_t i = 0; i < NCOUNT_ROWS; i++)
        if (strcmp(name, COUNT_ROWS[i].name) == 0)
            return true;
    return strcmp(name, "errors.other") == 0 ||
           split_name(name, "step.", step, &rest) ||
           split_name(name, "errors.", step, &rest);
}
