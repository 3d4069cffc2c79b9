/* load_run: the load driver (see load_run.h), a sibling of the
 * conformance engine. Each worker thread owns an event base, its
 * sessions, its admission state and its load_stats; the calling thread
 * only starts them, samples live figures once a second (atomics and a
 * mutex-guarded interval histogram per worker) and merges the stats
 * when they stopped. Sessions are freed by the worker's reaper event,
 * never inside their own done callback.
 *
 * What the figures mean (docs/load.md "Intended and sent"): a session's
 * start lag is its actual start minus its intended start (open model:
 * the arrival's scheduled time, so queue waits count; closed model: the
 * end of the session before it on its slot). A step's "sent" figure is
 * reply minus send; its "intended" figure adds the start lag, and in the
 * closed model also the values the coordinated-omission correction adds
 * with the slot's expected interval (the running mean session length
 * when it started). */
#include "harness/load_run.h"
#include "harness/deliver.h"
#include "harness/clock.h"
#include "harness/engine.h"
#include "harness/xalloc.h"

#include <errno.h>
#include <malloc.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define TICK_US        20000 /* how often workers look at stop, deadlines */
#define START_DELAY_US 10000 /* threads start the schedule together */
#define EWMA_WEIGHT    16    /* the expected interval's running mean */
#define LAG_WARN_US    5000  /* loop lag p99 that makes the warning */
#define BUSY_WARN      0.85  /* share of thread time that makes it too */

struct worker;

/* One session of the run. */
struct lsess {
    struct worker *w;
    struct session *s;
    struct result_case rc;
    int64_t intended, started, ended; /* monotonic */
    int64_t expected;                 /* closed: E when it started */
    uint64_t number, msgno;
    bool msg_open, finished;
    struct lsess *prev, *next; /* running */
    struct lsess *reap_next;
    char sender[LOAD_RUN_FIXTURE_MAX];
    char rcpt[LOAD_RUN_FIXTURE_MAX];
    char token[MSGGEN_TOKEN_MAX]; /* the message being sent ("": none) */
};

struct runner;

struct worker {
    struct runner *r;
    unsigned idx;
    pthread_t th;
    struct event_base *base;
    struct load_stats *stats;
    struct event *arrive, *reaper, *tick;
    struct load_admit admit;
    uint64_t next_k; /* this worker's next arrival (open) or slot (closed) */
    uint64_t nslots, quota, begun;
    struct lsess *live;
    uint64_t nlive;
    struct lsess *reap;
    bool arrivals_over, cut, stopped;
    int64_t deadline, last_end;
    double ewma;
    uint64_t rng, nmsg, nsess;
    SSL_SESSION *tls_slot;
    char messages[24];
    /* read by the calling thread */
    _Atomic uint64_t a_sched, a_started, a_ended, a_ok, a_errors, a_dropped,
        a_cutoff, a_messages, a_inflight, a_waiting;
    pthread_mutex_t mu;
    struct hist *live_hist; /* sessions ended since the last snapshot */
};

struct runner {
    const struct load_run_params *p;
    struct sockaddr_storage addr, bind;
    socklen_t addrlen, bindlen;
    struct sockaddr_storage *src; /* the source pool (p->sources), or NULL */
    socklen_t *srclen;
    size_t nsrc;
    struct prog_case *prologue, *prologue_noauth;
    uint64_t total_weight;
    int64_t t0; /* monotonic time 0 of the schedule */
    struct worker *w;
    unsigned n;
    unsigned shard, nshards; /* this process's share of the run */
    pthread_mutex_t mu;      /* guards nfinished; cv: a worker finished */
    pthread_cond_t cv;
    unsigned nfinished;
};

/* The index in the whole run of worker w's j-th item (arrival, slot,
 * session or message): dealt among the threads, then among the shards. */
static uint64_t global_index(const struct worker *w, uint64_t j)
{
    const struct runner *r = w->r;
    return load_sched_dealt(load_sched_dealt(j, r->n, w->idx), r->nshards,
                            r->shard);
}

/* This process's share of a count of the whole run (cap, queue, C,
 * sessions), then worker i's share of that. */
static uint64_t thread_share(const struct runner *r, uint64_t total, unsigned i)
{
    return load_sched_share(load_sched_share(total, r->nshards, r->shard), r->n,
                            i);
}

#define ADD(w, field, v)                                                       \
    atomic_fetch_add_explicit(&(w)->field, (v), memory_order_relaxed)
#define GET(w, field) atomic_load_explicit(&(w)->field, memory_order_relaxed)

static void arm(struct event *ev, int64_t us)
{
    if (us < 0)
        us = 0;
    struct timeval tv = {(time_t)(us / 1000000), (suseconds_t)(us % 1000000)};
    evtimer_add(ev, &tv);
}

/* ---- fixtures and bodies ----------------------------------------------------
 */

int load_run_expand(const char *pattern, uint64_t n, uint64_t s, char *out,
                    size_t outlen, char *err, size_t errlen)
{
    size_t k = 0;
    for (const char *p = pattern; *p; p++) {
        char num[24] = "";
        const char *add = NULL;
        size_t alen = 1;
        if (p[0] == '{' && p[1] == '{') {
            add = "{", p++;
        } else if (p[0] == '}' && p[1] == '}') {
            add = "}", p++;
        } else if (p[0] == '{' && (p[1] == 'n' || p[1] == 's') && p[2] == '}') {
            snprintf(num, sizeof num, "%llu",
                     (unsigned long long)(p[1] == 'n' ? n : s));
            add = num;
            alen = strlen(num);
            p += 2;
        } else if (*p == '{' || *p == '}') {
            snprintf(err, errlen,
                     "'%s': a brace is {n} (the message), {s} "
                     "(the session), {{ or }}",
                     pattern);
            return -1;
        } else {
            add = p;
        }
        if (k + alen >= outlen) {
            snprintf(err, errlen, "'%s' expands to more than %zu octets",
                     pattern, outlen - 1);
            return -1;
        }
        memcpy(out + k, add, alen);
        k += alen;
    }
    out[k] = '\0';
    return 0;
}

/* The message number: fresh at the first lookup of a transaction, kept
 * until its end of data or RSET (so MAIL, RCPT and the headers agree). */
static uint64_t msg_number(struct lsess *ls)
{
    struct worker *w = ls->w;
    if (!ls->msg_open) {
        ls->msgno = global_index(w, w->nmsg++);
        ls->msg_open = true;
    }
    return ls->msgno;
}

static const char *fixture(void *arg, const char *name, size_t *len)
{
    struct lsess *ls = arg;
    const struct load_run_params *p = ls->w->r->p;
    char err[160];
    const char *v = NULL;
    if (strcmp(name, "sender") == 0 && p->sender_pattern) {
        if (load_run_expand(p->sender_pattern, msg_number(ls), ls->number,
                            ls->sender, sizeof ls->sender, err,
                            sizeof err) == 0)
            v = ls->sender;
    } else if (strcmp(name, "rcpt") == 0 && p->rcpt_pattern) {
        if (load_run_expand(p->rcpt_pattern, msg_number(ls), ls->number,
                            ls->rcpt, sizeof ls->rcpt, err, sizeof err) == 0)
            v = ls->rcpt;
    } else if (strcmp(name, "messages") == 0) {
        v = ls->w->messages;
    } else if (strcmp(name, "rset") == 0) {
        v = p->rset ? "1" : "0";
    }
    if (v)
        *len = strlen(v);
    return v;
}

static struct body_stream *body(void *arg, const struct msggen_params *mp)
{
    struct lsess *ls = arg;
    struct worker *w = ls->w;
    const struct load_run_params *p = w->r->p;
    if (p->corpus) {
        char err[256];
        size_t i = (size_t)(body_rand(&w->rng) % body_corpus_count(p->corpus));
        struct body_stream *bs =
            body_stream_corpus(p->corpus, i, err, sizeof err);
        if (!bs)
            load_stats_error(w->stats, "eod", "corpus", err);
        return bs;
    }
    struct msggen_params m = *mp;
    if (p->sizes && p->sizes->kind != BODY_SIZES_NONE)
        m.size = (size_t)body_sizes_pick(p->sizes, &w->rng);
    /* the delivery token: RUN.SHARD.SESSION.MESSAGE.CASE, where MESSAGE
     * is the {n} of --sender and --rcpt */
    m.numbered = true;
    m.shard = p->shard;
    m.session = ls->number;
    m.msgno = msg_number(ls);
    struct body_stream *bs = body_stream_gen(&m);
    snprintf(ls->token, sizeof ls->token, "%s", body_stream_token(bs));
    return bs;
}

/* ---- measuring
 * ------------------------------------------------------------------ */

static void on_step(void *arg, const char *name, int64_t sent, int64_t done,
                    int code)
{
    struct lsess *ls = arg;
    struct worker *w = ls->w;
    struct load_counts *c = load_stats_counts(w->stats);
    int i = load_stats_step(w->stats, name);
    load_stats_attempt(w->stats, i);
    if (strcmp(name, "tls") == 0 && code >= 0) {
        if (code == 1)
            c->tls_resumed++;
        else
            c->tls_full++;
    }
    bool eod = strcmp(name, "eod") == 0;
    if (eod || strcmp(name, "rset") == 0)
        ls->msg_open = false;
    if (code < 0)
        return;
    if (eod) {
        c->messages++;
        ADD(w, a_messages, 1);
        if (code / 100 == 2)
            c->accepted++;
        if (code / 100 == 2 && ls->token[0] && w->r->p->deliver)
            deliver_submit(w->r->p->deliver, ls->token, clock_wall_us());
        ls->token[0] = '\0';
    }
    load_stats_record(w->stats, i, done - sent, ls->started - ls->intended,
                      ls->expected);
}

static bool ok_verdict(enum verdict v)
{
    return v == VERDICT_PASS || v == VERDICT_WARN || v == VERDICT_XPASS;
}

/* The error line of a session that did not pass: the deciding step and
 * its reply code, or what came instead. */
static void error_of(const struct result_case *rc, char *step, char *what)
{
    const struct result_step *d =
        rc->decisive >= 0 && (size_t)rc->decisive < rc->nsteps
            ? &rc->steps[rc->decisive]
            : NULL;
    const char *sn = d && d->name                     ? d->name
                     : rc->category == ERRCAT_CONNECT ? "connect"
                     : rc->category == ERRCAT_TLS     ? "tls"
                                                      : "session";
    snprintf(step, LOAD_STATS_NAME, "%s", sn);
    if (d && d->code > 0)
        snprintf(what, LOAD_STATS_NAME, "%d", d->code);
    else if (rc->verdict == VERDICT_SKIP)
        snprintf(what, LOAD_STATS_NAME, "skip");
    else if (rc->category == ERRCAT_TIMEOUT)
        snprintf(what, LOAD_STATS_NAME, "timeout");
    else if (rc->category == ERRCAT_CONNECT || rc->category == ERRCAT_TLS)
        snprintf(what, LOAD_STATS_NAME, "failed");
    else if (rc->reason && strstr(rc->reason, "closed"))
        snprintf(what, LOAD_STATS_NAME, "close");
    else
        snprintf(what, LOAD_STATS_NAME, "%s",
                 rc->category ? errcat_name(rc->category) : "fail");
}

static void account(struct worker *w, struct lsess *ls)
{
    struct load_counts *c = load_stats_counts(w->stats);
    const struct result_case *rc = &ls->rc;
    if (rc->verdict == VERDICT_NOTRUN) {
        c->cutoff++;
        ADD(w, a_cutoff, 1);
        return;
    }
    c->ended++;
    ADD(w, a_ended, 1);
    int64_t sent = ls->ended - ls->started, lag = ls->started - ls->intended;
    int i = load_stats_step(w->stats, "session");
    load_stats_attempt(w->stats, i);
    load_stats_record(w->stats, i, sent, lag, ls->expected);
    if (ok_verdict(rc->verdict)) {
        c->ok++;
        ADD(w, a_ok, 1);
    } else {
        char step[LOAD_STATS_NAME], what[LOAD_STATS_NAME];
        error_of(rc, step, what);
        load_stats_error(w->stats, step, what, rc->reason);
        c->errors++;
        ADD(w, a_errors, 1);
    }
    if (w->r->p->model == LOAD_CLOSED)
        w->ewma = w->ewma == 0
                      ? (double)sent
                      : w->ewma + ((double)sent - w->ewma) / EWMA_WEIGHT;
    pthread_mutex_lock(&w->mu);
    hist_record(w->live_hist, sent + (lag > 0 ? lag : 0));
    pthread_mutex_unlock(&w->mu);
}

/* ---- sessions
 * ----------------------------------------------------------------- */

static void on_done(struct session *s, void *arg)
{
    struct lsess *ls = arg;
    struct worker *w = ls->w;
    ls->ended = clock_mono_us();
    ls->finished = true;
    if (ls->ended > w->last_end)
        w->last_end = ls->ended;
    account(w, ls);
    if (ls->prev)
        ls->prev->next = ls->next;
    else
        w->live = ls->next;
    if (ls->next)
        ls->next->prev = ls->prev;
    w->nlive--;
    ADD(w, a_inflight, (uint64_t)-1);
    ls->reap_next = w->reap;
    w->reap = ls;
    arm(w->reaper, 0);
}

static const struct load_scenario *pick(struct worker *w)
{
    const struct load_run_params *p = w->r->p;
    if (p->nscenarios == 1)
        return &p->scenarios[0];
    uint64_t x = body_rand(&w->rng) % w->r->total_weight;
    for (size_t i = 0; i < p->nscenarios; i++) {
        if (x < p->scenarios[i].weight)
            return &p->scenarios[i];
        x -= p->scenarios[i].weight;
    }
    return &p->scenarios[p->nscenarios - 1];
}

static void start_session(struct worker *w, int64_t intended)
{
    struct runner *r = w->r;
    const struct load_run_params *p = r->p;
    const struct load_scenario *sc = pick(w);
    struct lsess *ls = xcalloc(1, sizeof *ls);
    ls->w = w;
    ls->intended = intended;
    ls->started = clock_mono_us();
    ls->expected = p->model == LOAD_CLOSED ? (int64_t)w->ewma : 0;
    ls->number = global_index(w, w->nsess++);
    ls->rc.id = xstrdup(sc->pc->id);
    ls->rc.decisive = -1;
    struct session_params sp = {
        .base = w->base,
        .pc = sc->pc,
        .prologue = r->prologue,
        .prologue_noauth = r->prologue_noauth,
        .target = p->target,
        .addr = (struct sockaddr *)&r->addr,
        .addrlen = r->addrlen,
        .bind = r->bindlen ? (struct sockaddr *)&r->bind : NULL,
        .bindlen = r->bindlen,
        .tmo = p->tmo,
        .tls = p->tls,
        .run_id = p->run_id,
        .done = on_done,
        .done_arg = ls,
        .lean = true,
        .on_step = on_step,
        .step_arg = ls,
        .body = body,
        .body_arg = ls,
        .fixture = fixture,
        .fixture_arg = ls,
        .tls_resume = p->tls_resume ? &w->tls_slot : NULL,
    };
    if (r->nsrc) { /* the pool in turn, by the session's run-wide number */
        size_t i = (size_t)(ls->number % r->nsrc);
        sp.bind = (struct sockaddr *)&r->src[i];
        sp.bindlen = r->srclen[i];
    }
    ls->next = w->live;
    if (w->live)
        w->live->prev = ls;
    w->live = ls;
    w->nlive++;
    w->begun++;
    load_stats_counts(w->stats)->started++;
    ADD(w, a_started, 1);
    ADD(w, a_inflight, 1);
    ls->s = session_new(&sp, &ls->rc);
    session_start(ls->s);
}

/* ---- the schedule
 * ------------------------------------------------------------- */

/* Closed model: may another session begin now? */
static bool may_begin(struct worker *w, int64_t now)
{
    const struct load_run_params *p = w->r->p;
    if (w->arrivals_over || (p->stop && *p->stop))
        return false;
    if (w->quota && w->begun >= w->quota)
        return false;
    return p->duration_us == 0 || now < w->r->t0 + p->duration_us;
}

/* When this worker's next arrival (open) or first slot start (closed)
 * is due; false when there is none. */
static bool next_due(struct worker *w, int64_t *t)
{
    struct runner *r = w->r;
    uint64_t g = global_index(w, w->next_k);
    if (r->p->model == LOAD_OPEN) {
        int64_t rel;
        if (!load_sched_arrival(r->p->sched, g, &rel))
            return false;
        *t = r->t0 + rel;
        return true;
    }
    if (w->next_k >= w->nslots)
        return false;
    *t = r->t0 + (int64_t)((double)r->p->spread_us * (double)g /
                           (double)r->p->concurrency);
    return true;
}

/* No more sessions begin. The drain deadline: the drain time after the
 * open model's last arrival, after the closed model's duration, or after
 * a stop; a closed model bounded by its session count alone has none
 * (each session ends by its own timeouts). */
static void arrivals_end(struct worker *w, int64_t now)
{
    if (w->arrivals_over)
        return;
    const struct load_run_params *p = w->r->p;
    w->arrivals_over = true;
    evtimer_del(w->arrive);
    if (p->model == LOAD_CLOSED && p->duration_us == 0)
        w->deadline = INT64_MAX;
    else if (p->model == LOAD_CLOSED)
        w->deadline = w->r->t0 + p->duration_us + p->drain_us;
    else
        w->deadline = now + p->drain_us;
}

static void maybe_end(struct worker *w)
{
    if (w->arrivals_over && w->nlive == 0 && w->admit.qlen == 0 && !w->reap)
        event_base_loopexit(w->base, NULL);
}

static void admit_one(struct worker *w, int64_t t, int64_t now)
{
    struct load_counts *c = load_stats_counts(w->stats);
    load_stats_lag(w->stats, now - t);
    if (w->r->p->model == LOAD_CLOSED) {
        if (!may_begin(w, now))
            return;
        c->scheduled++;
        ADD(w, a_sched, 1);
        start_session(w, t);
        return;
    }
    c->scheduled++;
    ADD(w, a_sched, 1);
    switch (load_admit_arrive(&w->admit, t)) {
    case LOAD_ADMIT_START:
        start_session(w, t);
        break;
    case LOAD_ADMIT_QUEUED:
        c->queued++;
        ADD(w, a_waiting, 1);
        break;
    case LOAD_ADMIT_DROPPED:
        c->dropped++;
        ADD(w, a_dropped, 1);
        break;
    }
}

static void arrive_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    int64_t t;
    while (!w->arrivals_over && next_due(w, &t)) {
        int64_t now = clock_mono_us();
        if (t > now) {
            arm(w->arrive, t - now);
            return;
        }
        w->next_k++;
        admit_one(w, t, now);
    }
    if (w->r->p->model == LOAD_OPEN)
        arrivals_end(w, clock_mono_us());
    maybe_end(w);
}

/* Frees finished sessions; a queued arrival or the slot's next session
 * takes each one's place. */
static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    const struct load_run_params *p = w->r->p;
    while (w->reap) {
        struct lsess *ls = w->reap;
        w->reap = ls->reap_next;
        int64_t now = clock_mono_us(), qt;
        if (p->model == LOAD_OPEN) {
            if (load_admit_done(&w->admit, &qt)) {
                ADD(w, a_waiting, (uint64_t)-1);
                start_session(w, qt);
            }
        } else if (may_begin(w, now)) {
            load_stats_counts(w->stats)->scheduled++;
            ADD(w, a_sched, 1);
            load_stats_lag(w->stats, now - ls->ended);
            start_session(w, ls->ended);
        } else if (!w->arrivals_over && w->next_k >= w->nslots) {
            arrivals_end(w, now);
        }
        session_free(ls->s);
        result_case_clear(&ls->rc);
        free(ls);
    }
    maybe_end(w);
}

/* The drain deadline passed: waiting arrivals and running sessions are
 * cut off (counted apart from errors). */
static void cut_off(struct worker *w)
{
    w->cut = true;
    size_t n = load_admit_flush(&w->admit);
    load_stats_counts(w->stats)->cutoff_queued += n;
    ADD(w, a_waiting, (uint64_t) - (int64_t)n);
    for (struct lsess *ls = w->live; ls; ls = ls->next)
        if (!ls->finished)
            session_abort(ls->s, "cut off at the drain deadline");
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    const struct load_run_params *p = w->r->p;
    int64_t now = clock_mono_us();
    if (p->stop && *p->stop && !w->stopped) {
        w->stopped = true;
        arrivals_end(w, now);
        if (w->deadline > now + p->drain_us)
            w->deadline = now + p->drain_us;
    }
    if (p->model == LOAD_CLOSED && !w->arrivals_over && !may_begin(w, now) &&
        w->next_k >= w->nslots)
        arrivals_end(w, now);
    if (w->arrivals_over && !w->cut && now >= w->deadline)
        cut_off(w);
    maybe_end(w);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct event_config *cfg = event_config_new();
    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    w->base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (!w->base)
        fatal("cannot create an event base");
    w->arrive = evtimer_new(w->base, arrive_cb, w);
    w->reaper = evtimer_new(w->base, reap_cb, w);
    w->tick = event_new(w->base, -1, EV_PERSIST, tick_cb, w);
    struct timeval tv = {0, TICK_US};
    event_add(w->tick, &tv);
    int64_t t;
    if (next_due(w, &t))
        arm(w->arrive, t - clock_mono_us());
    else
        arrivals_end(w, clock_mono_us());
    event_base_dispatch(w->base);
    event_free(w->arrive);
    event_free(w->reaper);
    event_free(w->tick);
    event_base_free(w->base);
    w->base = NULL;
    session_thread_free();
    pthread_mutex_lock(&w->r->mu);
    w->r->nfinished++;
    pthread_cond_signal(&w->r->cv);
    pthread_mutex_unlock(&w->r->mu);
    return NULL;
}

/* ---- the calling thread
 * ---------------------------------------------------------- */

static int resolve_bind(const char *host, struct sockaddr_storage *ss,
                        socklen_t *len, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
    int rc = getaddrinfo(host, "0", &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "bad source address '%s': %s", host,
                 gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* "A.B.C.D-E": the last octet's range; 0 with *lo..*hi, or -1. */
static int octet_range(const char *item, char *base, size_t baselen,
                       unsigned *lo, unsigned *hi)
{
    const char *dash = strchr(item, '-');
    const char *dot = strrchr(item, '.');
    if (!dash || !dot || dot > dash || (size_t)(dash - item) >= baselen)
        return -1;
    char *end;
    unsigned long a = strtoul(dot + 1, &end, 10);
    unsigned long b = end == dash ? strtoul(dash + 1, &end, 10) : 256;
    if (*end || end == dash + 1 || a > b || b > 255)
        return -1;
    memcpy(base, item, (size_t)(dot - item));
    base[dot - item] = 0;
    *lo = (unsigned)a;
    *hi = (unsigned)b;
    return 0;
}

static int add_source(const char *addr, struct sockaddr_storage *out,
                      socklen_t *lens, size_t max, size_t *n, char *err,
                      size_t errlen)
{
    if (*n == max) {
        snprintf(err, errlen, "more than %zu source addresses", max);
        return -1;
    }
    if (resolve_bind(addr, &out[*n], &lens[*n], err, errlen) != 0)
        return -1;
    (*n)++;
    return 0;
}

int load_run_sources(const char *spec, struct sockaddr_storage *out,
                     socklen_t *lens, size_t max, char *err, size_t errlen)
{
    char *copy = xstrdup(spec), *save = NULL, base[64], one[80];
    size_t n = 0;
    int rc = 0;
    for (char *item = strtok_r(copy, ",", &save); item && rc == 0;
         item = strtok_r(NULL, ",", &save)) {
        unsigned lo, hi;
        if (!strchr(item, '-')) {
            rc = add_source(item, out, lens, max, &n, err, errlen);
            continue;
        }
        if (octet_range(item, base, sizeof base, &lo, &hi) != 0) {
            snprintf(err, errlen, "'%s' is not a range A.B.C.D-E", item);
            rc = -1;
        }
        for (unsigned i = lo; rc == 0 && i <= hi; i++) {
            snprintf(one, sizeof one, "%s.%u", base, i);
            rc = add_source(one, out, lens, max, &n, err, errlen);
        }
    }
    free(copy);
    if (rc == 0 && n == 0) {
        snprintf(err, errlen, "no source address in '%s'", spec);
        rc = -1;
    }
    return rc == 0 ? (int)n : -1;
}

static struct hist *hist_make(void)
{
    char err[128];
    struct hist *h = hist_new(&HIST_PARAMS_DEFAULT, err, sizeof err);
    if (!h)
        fatal("histogram: %s", err);
    return h;
}

static void worker_init(struct runner *r, struct worker *w, unsigned i)
{
    const struct load_run_params *p = r->p;
    w->r = r;
    w->idx = i;
    w->stats = load_stats_new();
    w->live_hist = hist_make();
    pthread_mutex_init(&w->mu, NULL);
    w->rng = ((uint64_t)clock_wall_us() ^ 0x9E3779B97F4A7C15ULL) * (i + 1) | 1;
    snprintf(w->messages, sizeof w->messages, "%llu",
             (unsigned long long)(p->messages ? p->messages : 1));
    if (p->model == LOAD_OPEN) {
        uint64_t cap = thread_share(r, p->max_inflight, i);
        uint64_t q = thread_share(r, p->queue, i);
        load_admit_init(&w->admit, cap ? cap : 1, (size_t)q);
    } else {
        w->nslots = thread_share(r, p->concurrency, i);
        w->quota = p->sessions ? thread_share(r, p->sessions, i) : 0;
        if (p->sessions && w->quota == 0)
            w->nslots = 0;
        load_admit_init(&w->admit, 1, 0);
    }
}

static void worker_fini(struct worker *w)
{
    load_admit_free(&w->admit);
    hist_free(w->live_hist);
    pthread_mutex_destroy(&w->mu);
    SSL_SESSION_free(w->tls_slot);
}

/* Sums the live figures and the interval histogram of every worker. */
static void snapshot(struct runner *r, struct hist *agg, struct load_live *l)
{
    memset(l, 0, sizeof *l);
    l->elapsed_us = clock_mono_us() - r->t0;
    for (unsigned i = 0; i < r->n; i++) {
        struct worker *w = &r->w[i];
        l->scheduled += GET(w, a_sched);
        l->started += GET(w, a_started);
        l->ended += GET(w, a_ended);
        l->ok += GET(w, a_ok);
        l->errors += GET(w, a_errors);
        l->dropped += GET(w, a_dropped);
        l->cutoff += GET(w, a_cutoff);
        l->messages += GET(w, a_messages);
        l->inflight += GET(w, a_inflight);
        l->waiting += GET(w, a_waiting);
        char err[160];
        pthread_mutex_lock(&w->mu);
        hist_merge(agg, w->live_hist, err, sizeof err); /* same parameters */
        hist_reset(w->live_hist);
        pthread_mutex_unlock(&w->mu);
    }
    l->interval_sessions = hist_count(agg);
    l->interval_p50_us = hist_value_at(agg, 50);
    l->interval_p99_us = hist_value_at(agg, 99);
    l->interval_max_us = hist_max(agg);
    hist_reset(agg);
}

static void timeline_add(struct load_outcome *o, size_t *cap,
                         const struct load_live *l,
                         const struct load_live *prev)
{
    if (o->nseconds >= LOAD_RUN_MAX_SECONDS)
        return;
    size_t n = o->nseconds, c = *cap;
    xgrow(&o->tl_started, &c, n + 1, sizeof *o->tl_started);
    c = *cap;
    xgrow(&o->tl_ended, &c, n + 1, sizeof *o->tl_ended);
    c = *cap;
    xgrow(&o->tl_errors, &c, n + 1, sizeof *o->tl_errors);
    c = *cap;
    xgrow(&o->tl_messages, &c, n + 1, sizeof *o->tl_messages);
    c = *cap;
    xgrow(&o->tl_inflight, &c, n + 1, sizeof *o->tl_inflight);
    c = *cap;
    xgrow(&o->tl_p99_us, &c, n + 1, sizeof *o->tl_p99_us);
    *cap = c;
    o->tl_started[n] = l->started - prev->started;
    o->tl_ended[n] = l->ended - prev->ended;
    o->tl_errors[n] = l->errors - prev->errors;
    o->tl_messages[n] = l->messages - prev->messages;
    o->tl_inflight[n] = l->inflight;
    o->tl_p99_us[n] = l->interval_p99_us;
    o->nseconds = n + 1;
}

/* Samples once a second until every worker stopped. */
static void watch(struct runner *r, struct load_outcome *o)
{
    struct hist *agg = hist_make();
    struct load_live prev = {0}, l;
    size_t cap = 0;
    int64_t next_tick = r->t0 + 1000000;
    pthread_mutex_lock(&r->mu);
    while (r->nfinished < r->n) {
        struct timespec ts = {(time_t)(next_tick / 1000000),
                              (long)(next_tick % 1000000) * 1000};
        if (pthread_cond_timedwait(&r->cv, &r->mu, &ts) != ETIMEDOUT)
            continue; /* a worker finished, or a spurious wake-up */
        pthread_mutex_unlock(&r->mu);
        next_tick += 1000000;
        snapshot(r, agg, &l);
        timeline_add(o, &cap, &l, &prev);
        if (r->p->on_tick)
            r->p->on_tick(r->p->arg, &l);
        prev = l;
        pthread_mutex_lock(&r->mu);
    }
    pthread_mutex_unlock(&r->mu);
    /* the last, partial second, so the timeline adds up to the totals */
    snapshot(r, agg, &l);
    if (l.started != prev.started || l.ended != prev.ended ||
        l.errors != prev.errors || l.messages != prev.messages)
        timeline_add(o, &cap, &l, &prev);
    hist_free(agg);
}

static int merge_all(struct runner *r, struct load_outcome *o, char *err,
                     size_t errlen)
{
    o->stats = load_stats_new();
    int rc = 0;
    for (unsigned i = 0; i < r->n; i++) {
        if (rc == 0 &&
            load_stats_merge(o->stats, r->w[i].stats, err, errlen) != 0)
            rc = -1;
        if (r->w[i].last_end > r->t0 &&
            r->w[i].last_end - r->t0 > o->elapsed_us)
            o->elapsed_us = r->w[i].last_end - r->t0;
        load_stats_free(r->w[i].stats);
    }
    return rc;
}

/* Why the generator, not the server, may have set the pace. */
static void check_generator(struct runner *r, struct load_outcome *o)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned usable = cpus > 0 && (unsigned)cpus < r->n ? (unsigned)cpus : r->n;
    double busy = o->elapsed_us > 0 ? (double)(o->cpu_user_us + o->cpu_sys_us) /
                                          ((double)o->elapsed_us * usable)
                                    : 0;
    int64_t lag99 = hist_value_at(load_stats_lag_hist(o->stats), 99);
    if (busy < BUSY_WARN && lag99 < LAG_WARN_US)
        return;
    snprintf(o->warning, sizeof o->warning,
             "the generator, not the server, may have set the pace: its %u "
             "worker thread%s busy %.0f%% of the time and its event loop "
             "started sessions %.1f ms late at p99; add --threads, lower the "
             "load, or spread it over machines",
             usable, usable == 1 ? " was" : "s were", busy * 100,
             (double)lag99 / 1000);
}

static void usage_figures(struct load_outcome *o)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    o->cpu_user_us =
        (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
    o->cpu_sys_us = (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
    o->maxrss_kb = ru.ru_maxrss;
}

/* Whether a session may derive SCRAM keys on a thread of its own, which
 * then wakes the loop from outside: only then do the event bases need
 * locks (they cost a mutex on every event change). */
static bool needs_locks(const struct load_run_params *p)
{
    const char *m = p->target->auth_mech;
    if (m && strncasecmp(m, "SCRAM-", 6) == 0)
        return true;
    for (size_t i = 0; i < p->nscenarios; i++) {
        const struct prog_case *pc = p->scenarios[i].pc;
        for (size_t k = 0; k < pc->nsteps; k++)
            if (pc->steps[k].kind == PROG_STEP_AUTH && pc->steps[k].name &&
                strncasecmp(pc->steps[k].name, "SCRAM-", 6) == 0)
                return true;
    }
    return false;
}

static int setup(struct runner *r, const struct load_run_params *p, char *err,
                 size_t errlen)
{
    r->p = p;
    if (p->nscenarios == 0 || p->threads == 0 ||
        p->threads > LOAD_RUN_MAX_THREADS) {
        snprintf(err, errlen, "no scenario, or a thread count out of range");
        return -1;
    }
    if (engine_resolve(p->target, &r->addr, &r->addrlen, err, errlen) != 0)
        return -1;
    if (p->target->bind &&
        resolve_bind(p->target->bind, &r->bind, &r->bindlen, err, errlen) != 0)
        return -1;
    if (p->nshards > 1 && p->shard >= p->nshards) {
        snprintf(err, errlen, "shard %u of %u does not exist", p->shard,
                 p->nshards);
        return -1;
    }
    if (p->sources) {
        r->src = xcalloc(LOAD_RUN_MAX_SOURCES, sizeof *r->src);
        r->srclen = xcalloc(LOAD_RUN_MAX_SOURCES, sizeof *r->srclen);
        int n = load_run_sources(p->sources, r->src, r->srclen,
                                 LOAD_RUN_MAX_SOURCES, err, errlen);
        if (n < 0)
            return -1;
        r->nsrc = (size_t)n;
    }
    for (size_t i = 0; i < p->nscenarios; i++)
        r->total_weight += p->scenarios[i].weight ? p->scenarios[i].weight : 1;
    r->n = p->threads;
    r->nshards = p->nshards > 1 ? p->nshards : 1;
    r->shard = p->nshards > 1 ? p->shard : 0;
    return 0;
}

/* The shared state the workers need, and the workers. */
static void runner_init(struct runner *r, const struct load_run_params *p)
{
    if (needs_locks(p))
        evthread_use_pthreads(); /* SCRAM's worker thread wakes a loop */
    /* Heaps grow in large steps: otherwise a worker's arena grows and
     * shrinks (an mprotect each way) a session at a time. */
    mallopt(M_TOP_PAD, 16 << 20);
    r->prologue = session_prologue_new(p->target, true);
    r->prologue_noauth = session_prologue_new(p->target, false);
    r->w = xcalloc(r->n, sizeof *r->w);
    for (unsigned i = 0; i < r->n; i++)
        worker_init(r, &r->w[i], i);
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* ticks on t0's clock */
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
}

static void runner_fini(struct runner *r)
{
    for (unsigned i = 0; i < r->n; i++)
        worker_fini(&r->w[i]);
    free(r->w);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    prog_case_free(r->prologue);
    prog_case_free(r->prologue_noauth);
    free(r->src);
    free(r->srclen);
}

/* The schedule's length and the rate it asks for. */
static void schedule_figures(const struct load_run_params *p,
                             struct load_outcome *out)
{
    if (p->model != LOAD_OPEN) {
        out->schedule_us = p->duration_us;
        return;
    }
    int64_t end = p->sched->end_us;
    out->schedule_us = end;
    unsigned n = p->nshards > 1 ? p->nshards : 1;
    uint64_t mine =
        load_sched_share(load_sched_total(p->sched), n, n > 1 ? p->shard : 0);
    if (end > 0 && end != INT64_MAX)
        out->requested_rate = (double)mine * 1e6 / (double)end;
}

/* Time 0 of the schedule: START_DELAY_US from now (the threads start it
 * together), or the start time asked for when that is later. A start
 * time already past shifts the schedule to now, and the shift is kept:
 * the lateness is this process's, not the server's. */
static void start_times(const struct load_run_params *p, struct runner *r,
                        struct load_outcome *out)
{
    int64_t mono = clock_mono_us(), wall = clock_wall_us();
    int64_t start = wall + START_DELAY_US;
    if (p->start_wall_us > start)
        start = p->start_wall_us;
    r->t0 = mono + (start - wall);
    out->started_wall_us = start;
    out->start_at = p->start_wall_us != 0;
    out->start_shift_us = out->start_at ? start - p->start_wall_us : 0;
}

int load_run(const struct load_run_params *p, struct load_outcome *out,
             char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    struct runner r = {0};
    if (setup(&r, p, err, errlen) != 0) {
        free(r.src);
        free(r.srclen);
        return -1;
    }
    runner_init(&r, p);
    start_times(p, &r, out);
    schedule_figures(p, out);
    for (unsigned i = 0; i < r.n; i++)
        if (pthread_create(&r.w[i].th, NULL, worker_main, &r.w[i]) != 0)
            fatal("cannot start a worker thread");
    watch(&r, out);
    for (unsigned i = 0; i < r.n; i++)
        pthread_join(r.w[i].th, NULL);
    out->interrupted = p->stop && *p->stop;
    usage_figures(out);
    int rc = merge_all(&r, out, err, errlen);
    check_generator(&r, out);
    runner_fini(&r);
    return rc;
}

void load_outcome_free(struct load_outcome *o)
{
    load_stats_free(o->stats);
    free(o->tl_started);
    free(o->tl_ended);
    free(o->tl_errors);
    free(o->tl_messages);
    free(o->tl_inflight);
    free(o->tl_p99_us);
    memset(o, 0, sizeof *o);
}

/* ---- the result model
 * -------------------------------------------------------- */

static void counter(struct result_run *run, const char *name, uint64_t v)
{
    struct result_counter *c = result_counter_add(run);
    c->name = xstrdup(name);
    c->value = v;
}

static void series_u(struct result_run *run, const char *name,
                     const uint64_t *v, size_t n)
{
    struct buf b;
    buf_init(&b, (size_t)n * 24 + 16);
    for (size_t i = 0; i < n; i++)
        buf_addf(&b, "%s%llu", i ? "," : "", (unsigned long long)v[i]);
    struct result_kv *kv = result_property_add(run);
    kv->name = xstrdup(name);
    kv->value = buf_detach(&b);
}

void load_outcome_to_result(const struct load_outcome *o,
                            struct result_run *run)
{
    load_stats_to_result(o->stats, run);
    const struct load_counts *c = load_stats_counts_const(o->stats);
    counter(run, "elapsed_us", (uint64_t)o->elapsed_us);
    counter(run, "cpu.user_us", (uint64_t)o->cpu_user_us);
    counter(run, "cpu.sys_us", (uint64_t)o->cpu_sys_us);
    counter(run, "memory.maxrss_kb", (uint64_t)o->maxrss_kb);
    counter(run, "rate.requested_milli",
            (uint64_t)(o->requested_rate * 1000 + 0.5));
    double secs = (double)o->elapsed_us / 1e6;
    counter(run, "rate.achieved_milli",
            secs > 0 ? (uint64_t)((double)c->ended * 1000 / secs + 0.5) : 0);
    counter(run, "rate.messages_milli",
            secs > 0 ? (uint64_t)((double)c->messages * 1000 / secs + 0.5) : 0);
    if (o->start_at)
        counter(run, "start.shift_us", (uint64_t)o->start_shift_us);
    series_u(run, "timeline.started", o->tl_started, o->nseconds);
    series_u(run, "timeline.ended", o->tl_ended, o->nseconds);
    series_u(run, "timeline.errors", o->tl_errors, o->nseconds);
    series_u(run, "timeline.messages", o->tl_messages, o->nseconds);
    series_u(run, "timeline.inflight", o->tl_inflight, o->nseconds);
    series_u(run, "timeline.p99_session_us", (const uint64_t *)o->tl_p99_us,
             o->nseconds);
    if (o->warning[0]) {
        struct result_kv *kv = result_property_add(run);
        kv->name = xstrdup("warning.generator");
        kv->value = xstrdup(o->warning);
    }
}

/* ---- preflight
 * ------------------------------------------------------------------ */

int load_run_fds(uint64_t sessions, size_t conns, char *err, size_t errlen)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    uint64_t need = sessions * (conns ? conns : 1) + LOAD_RUN_FD_SPARE;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
        snprintf(err, errlen,
                 "%llu sessions at once need about %llu open files, but the "
                 "limit is %llu (hard %llu): raise it (ulimit -n, or "
                 "LimitNOFILE in a service) or ask for fewer sessions at once",
                 (unsigned long long)sessions, (unsigned long long)need,
                 (unsigned long long)rl.rlim_cur,
                 (unsigned long long)rl.rlim_max);
        return -1;
    }
    rl.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        snprintf(err, errlen, "cannot raise the open-file limit to %llu: %s",
                 (unsigned long long)need, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- step names
 * ------------------------------------------------------------------ */

static void add_name(char names[][LOAD_STATS_NAME], size_t *n, size_t max,
                     const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(names[i], name) == 0)
            return;
    if (*n < max)
        snprintf(names[(*n)++], LOAD_STATS_NAME, "%s", name);
}

/* The steps of the target's prologue (session_prologue_new). */
static void prologue_steps(const struct target *t, bool auth,
                           char names[][LOAD_STATS_NAME], size_t *n, size_t max)
{
    add_name(names, n, max, "connect");
    if (t->tls == TARGET_TLS_IMPLICIT)
        add_name(names, n, max, "tls");
    add_name(names, n, max, "banner");
    const char *hello = t->hello == TARGET_HELLO_HELO ? "helo"
                        : t->protocol == TARGET_LMTP  ? "lhlo"
                                                      : "ehlo";
    if (t->hello != TARGET_HELLO_NONE)
        add_name(names, n, max, hello);
    if (t->tls == TARGET_TLS_STARTTLS) {
        add_name(names, n, max, "starttls");
        add_name(names, n, max, "tls");
        if (t->hello != TARGET_HELLO_NONE)
            add_name(names, n, max,
                     strcmp(hello, "ehlo") == 0 ? "ehlo_tls" : hello);
    }
    if (t->xclient)
        add_name(names, n, max, "xclient");
    if (t->xforward)
        add_name(names, n, max, "xforward");
    if (t->auth_mech && auth)
        add_name(names, n, max, "auth");
}

void load_run_steps(const struct prog_case *pc, const struct target *t,
                    char names[][LOAD_STATS_NAME], size_t *n, size_t max)
{
    bool tls = false;
    for (size_t i = 0; i < pc->nsteps; i++) {
        const struct prog_step *st = &pc->steps[i];
        char name[LOAD_STATS_NAME];
        switch (st->kind) {
        case PROG_STEP_OPEN:
        case PROG_STEP_RECONNECT:
            prologue_steps(t, !st->no_auth, names, n, max);
            tls = t->tls != TARGET_TLS_NONE;
            break;
        case PROG_STEP_CONNECT:
            add_name(names, n, max, "connect");
            tls = st->tls_mode == 1 ||
                  (st->tls_mode == -1 && t->tls == TARGET_TLS_IMPLICIT);
            if (tls)
                add_name(names, n, max, "tls");
            add_name(names, n, max, "banner");
            break;
        case PROG_STEP_SEND:
            if (st->tmpl.nsegs && !st->tmpl.segs[0].expr) {
                session_step_name(st->tmpl.segs[0].lit, st->tmpl.segs[0].len,
                                  tls, name, sizeof name);
                add_name(names, n, max, name);
            }
            break;
        case PROG_STEP_DATA:
            add_name(names, n, max, "eod");
            break;
        case PROG_STEP_BDAT:
            add_name(names, n, max, "bdat");
            break;
        case PROG_STEP_STARTTLS:
            add_name(names, n, max, "starttls");
            add_name(names, n, max, "tls");
            tls = true;
            break;
        case PROG_STEP_HANDSHAKE:
            add_name(names, n, max, "tls");
            tls = true;
            break;
        case PROG_STEP_AUTH:
            add_name(names, n, max, "auth");
            break;
        default:
            break;
        }
    }
    add_name(names, n, max, "session");
}
