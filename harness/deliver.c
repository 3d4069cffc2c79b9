/* deliver: the book of submissions and arrivals, and the in-process
 * next hop (see deliver.h). */
#include "harness/deliver.h"
#include "harness/buf.h"
#include "harness/clock.h"
#include "harness/deliver_log.h"
#include "harness/result.h"
#include "harness/sink.h"
#include "harness/xalloc.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NONE INT64_MIN /* a time not seen */

/* ---- the book ----------------------------------------------------------- */

struct entry {
    char *token;
    int64_t accepted_us; /* NONE: arrived, never seen accepted */
    int64_t first_us;    /* NONE: not arrived */
    bool carries;
    bool exempt; /* judged by its case (deliver_exempt): not counted */
    enum arrival_class cls;
    char **rcpts; /* recipients delivered so far */
    size_t nrcpt;
    uint64_t dups;
};

struct deliver_book {
    char *run_id;
    size_t run_len;
    struct entry *slots; /* open addressing; token NULL: free */
    size_t cap, n;
    uint64_t submitted, arrived, foreign;
};

struct deliver_book *deliver_book_new(const char *run_id)
{
    struct deliver_book *b = xcalloc(1, sizeof *b);
    b->run_id = xstrdup(run_id ? run_id : "");
    b->run_len = strlen(b->run_id);
    b->cap = 1024;
    b->slots = xcalloc(b->cap, sizeof *b->slots);
    return b;
}

void deliver_book_free(struct deliver_book *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->cap; i++) {
        struct entry *e = &b->slots[i];
        for (size_t k = 0; k < e->nrcpt; k++)
            free(e->rcpts[k]);
        free(e->rcpts);
        free(e->token);
    }
    free(b->slots);
    free(b->run_id);
    free(b);
}

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static struct entry *slot(struct entry *slots, size_t cap, const char *token)
{
    size_t i = hash(token) & (cap - 1);
    while (slots[i].token && strcmp(slots[i].token, token) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static void grow(struct deliver_book *b)
{
    size_t cap = b->cap * 2;
    struct entry *slots = xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i < b->cap; i++)
        if (b->slots[i].token)
            *slot(slots, cap, b->slots[i].token) = b->slots[i];
    free(b->slots);
    b->slots = slots;
    b->cap = cap;
}

/* The entry of token, made when new. */
static struct entry *entry_of(struct deliver_book *b, const char *token)
{
    if (2 * (b->n + 1) > b->cap)
        grow(b);
    struct entry *e = slot(b->slots, b->cap, token);
    if (!e->token) {
        e->token = xstrdup(token);
        e->accepted_us = e->first_us = NONE;
        b->n++;
    }
    return e;
}

void deliver_book_exempt(struct deliver_book *b, const char *token)
{
    entry_of(b, token)->exempt = true;
}

void deliver_book_submit(struct deliver_book *b, const char *token,
                         int64_t accepted_us)
{
    struct entry *e = entry_of(b, token);
    if (e->accepted_us == NONE) {
        e->accepted_us = accepted_us;
        b->submitted++;
        if (e->first_us != NONE)
            b->arrived++;
    }
}

/* Whether token is one of this run's: "RUN." first. */
static bool ours(const struct deliver_book *b, const char *token)
{
    return token && strncmp(token, b->run_id, b->run_len) == 0 &&
           token[b->run_len] == '.';
}

void deliver_book_arrive(struct deliver_book *b, const char *token,
                         const char *rcpt, int64_t at_us, bool carries,
                         enum arrival_class c)
{
    if (!ours(b, token)) {
        b->foreign++;
        return;
    }
    struct entry *e = entry_of(b, token);
    if (e->first_us == NONE) {
        e->first_us = at_us;
        e->carries = carries;
        e->cls = c;
        if (e->accepted_us != NONE)
            b->arrived++;
    }
    for (size_t k = 0; k < e->nrcpt; k++) {
        if (strcmp(e->rcpts[k], rcpt) == 0) {
            e->dups++;
            return;
        }
    }
    if (e->nrcpt < DELIVER_MAX_RCPT) {
        e->rcpts = xrealloc(e->rcpts, (e->nrcpt + 1) * sizeof *e->rcpts);
        e->rcpts[e->nrcpt++] = xstrdup(rcpt);
    }
}

uint64_t deliver_book_missing(const struct deliver_book *b)
{
    return b->submitted - b->arrived;
}

/* Appends token to a ' '-separated list of at most DELIVER_EXAMPLES. */
static void example(char *list, size_t size, uint64_t count, const char *token)
{
    if (count > DELIVER_EXAMPLES)
        return;
    size_t n = strlen(list);
    snprintf(list + n, size - n, "%s%s", n ? " " : "", token);
}

/* One message's findings. */
static void report_entry(const struct entry *e, int64_t late_us,
                         struct deliver_report *r,
                         void (*latency)(void *arg, int64_t us), void *arg)
{
    if (e->exempt)
        return;
    if (e->accepted_us == NONE) {
        r->unexpected += 1 + e->dups;
        return;
    }
    if (e->first_us == NONE) {
        r->lost++;
        example(r->lost_tokens, sizeof r->lost_tokens, r->lost, e->token);
        return;
    }
    r->arrived++;
    int64_t us = e->first_us - e->accepted_us;
    if (us < 0)
        us = 0; /* an arrival before the 250 reached the client */
    if (latency)
        latency(arg, us);
    r->late += us > late_us;
    if (e->dups) {
        r->duplicated += e->dups;
        example(r->duplicated_tokens, sizeof r->duplicated_tokens,
                r->duplicated, e->token);
    }
    if (!e->carries) {
        r->unsigned_++;
        return;
    }
    r->classes[e->cls]++;
    if (e->cls > ARRIVAL_TRACE_ONLY) {
        uint64_t changed = 0;
        for (int c = ARRIVAL_TRACE_ONLY + 1; c < ARRIVAL_CLASS_COUNT; c++)
            changed += r->classes[c];
        char t[ARRIVAL_TOKEN_MAX + 32];
        snprintf(t, sizeof t, "%s(%s)", e->token, arrival_class_name(e->cls));
        example(r->changed_tokens, sizeof r->changed_tokens, changed, t);
    }
    r->corrupt += arrival_class_corrupt(e->cls);
}

void deliver_book_report(const struct deliver_book *b, int64_t late_us,
                         struct deliver_report *r,
                         void (*latency)(void *arg, int64_t us), void *arg)
{
    memset(r, 0, sizeof *r);
    r->submitted = b->submitted;
    r->foreign = b->foreign;
    for (size_t i = 0; i < b->cap; i++)
        if (b->slots[i].token)
            report_entry(&b->slots[i], late_us, r, latency, arg);
}

static void counter(struct result_run *run, const char *name, uint64_t v)
{
    struct result_counter *c = result_counter_add(run);
    c->name = xstrdup(name);
    c->value = v;
}

static void property(struct result_run *run, const char *name,
                     const char *value)
{
    struct result_kv *kv = result_property_add(run);
    kv->name = xstrdup(name);
    kv->value = xstrdup(value);
}

void deliver_report_to_result(const struct deliver_report *r,
                              struct result_run *run)
{
    static const char *const NAMES[] = {"submitted", "arrived",    "lost",
                                        "late",      "duplicated", "unexpected",
                                        "foreign",   "unsigned",   "corrupt"};
    const uint64_t v[] = {r->submitted, r->arrived,    r->lost,
                          r->late,      r->duplicated, r->unexpected,
                          r->foreign,   r->unsigned_,  r->corrupt};
    char name[64];
    for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++) {
        snprintf(name, sizeof name, "delivery.%s", NAMES[i]);
        counter(run, name, v[i]);
    }
    for (int c = 0; c < ARRIVAL_CLASS_COUNT; c++) {
        snprintf(name, sizeof name, "delivery.class.%s", arrival_class_name(c));
        counter(run, name, r->classes[c]);
    }
    property(run, "delivery.lost_tokens", r->lost_tokens);
    property(run, "delivery.duplicated_tokens", r->duplicated_tokens);
    property(run, "delivery.changed_tokens", r->changed_tokens);
}

/* ---- the in-process next hop ------------------------------------------- */

#define TICK_US 50000 /* the sink thread looks at its stop flag this often */

struct deliver {
    struct event_base *base;
    struct sink *sink;
    struct event *tick;
    pthread_t thread;
    bool started;
    bool quiet;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct deliver_book *book; /* under mu */
    bool stopping;             /* under mu */
    struct deliver_log *log;   /* or NULL; not owned */
    bool keep;
    struct deliver_seen *kept; /* under mu, in arrival order */
    size_t nkept, capkept, kept_bytes;
};

/* Keeps a copy of m for deliver_seek (under mu). */
static void keep(struct deliver *d, const struct sink_message *m,
                 const char *token, bool carries, enum arrival_class c)
{
    if (d->nkept == d->capkept) {
        d->capkept = d->capkept ? 2 * d->capkept : 16;
        d->kept = xrealloc(d->kept, d->capkept * sizeof *d->kept);
    }
    struct deliver_seen *k = &d->kept[d->nkept++];
    memset(k, 0, sizeof *k);
    k->token = xstrdup(token ? token : "");
    k->from = xstrdup(m->mail && m->mail->addr ? m->mail->addr : "");
    struct buf r;
    buf_init(&r, SIZE_MAX);
    for (size_t i = 0; i < m->nrcpt; i++)
        buf_addf(&r, "%s%s", i ? " " : "", m->rcpts[i].addr);
    k->rcpt = xstrdup(buf_str(&r));
    buf_free(&r);
    k->cls = carries ? arrival_class_name(c) : "unsigned";
    k->len = m->len;
    if (d->kept_bytes + m->len <= DELIVER_KEEP_MAX) {
        k->data = xmalloc(m->len + 1);
        memcpy(k->data, m->data, m->len);
        k->data[m->len] = '\0';
        d->kept_bytes += m->len;
    }
}

static void on_arrival(void *arg, const struct sink_message *m)
{
    struct deliver *d = arg;
    char token[ARRIVAL_TOKEN_MAX];
    size_t body = arrival_body_offset(m->data, m->len);
    bool has = arrival_header(m->data, body, ARRIVAL_TOKEN_HEADER, token,
                              sizeof token);
    enum arrival_class c = ARRIVAL_INTACT;
    bool carries = has && arrival_classify(m->data, m->len, &c);
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < m->nrcpt; i++)
        deliver_book_arrive(d->book, has ? token : NULL, m->rcpts[i].addr,
                            m->time_us, carries, c);
    if (d->keep)
        keep(d, m, has ? token : NULL, carries, c);
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

static void on_log(void *arg, const char *line)
{
    struct deliver *d = arg;
    if (!d->quiet)
        fprintf(stderr, "smtpsuite: deliver-to sink: %s\n", line);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct deliver *d = arg;
    pthread_mutex_lock(&d->mu);
    bool stop = d->stopping;
    pthread_mutex_unlock(&d->mu);
    if (stop)
        event_base_loopbreak(d->base);
}

static void *thread_main(void *arg)
{
    struct deliver *d = arg;
    event_base_dispatch(d->base); /* until on_tick sees stopping */
    sink_stop(d->sink);
    int64_t deadline = clock_mono_us() + SINK_DRAIN_US;
    while (sink_open_sessions(d->sink) > 0 && clock_mono_us() < deadline)
        event_base_loop(d->base, EVLOOP_ONCE); /* the tick wakes it */
    return NULL;
}

struct deliver *deliver_new(const struct deliver_params *p, bool *usage,
                            char *err, size_t errlen)
{
    struct deliver *d = xcalloc(1, sizeof *d);
    d->quiet = p->quiet;
    d->keep = p->keep;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    d->book = deliver_book_new(p->run_id);
    d->log = p->log;
    if (!p->listen)
        return d; /* the submission log only: no next hop, no thread */
    struct event_config *ec = event_config_new();
    event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
    d->base = event_base_new_with_config(ec);
    event_config_free(ec);
    if (!d->base)
        fatal("deliver: no event base");
    struct sink_params sp = {
        .listen = p->listen,
        .faults = p->faults,
        .nfaults = p->nfaults,
        .record = p->record,
        .on_arrival = on_arrival,
        .on_log = on_log,
        .arg = d,
        .verbosity = 0,
    };
    d->sink = sink_new(d->base, &sp, usage, err, errlen);
    if (!d->sink) {
        deliver_free(d);
        return NULL;
    }
    d->tick = event_new(d->base, -1, EV_PERSIST, on_tick, d);
    struct timeval tv = {0, TICK_US};
    event_add(d->tick, &tv);
    sink_start(d->sink);
    if (pthread_create(&d->thread, NULL, thread_main, d) != 0)
        fatal("deliver: cannot start the sink thread");
    d->started = true;
    return d;
}

void deliver_set_run(struct deliver *d, const char *run_id)
{
    pthread_mutex_lock(&d->mu);
    deliver_book_free(d->book);
    d->book = deliver_book_new(run_id);
    pthread_mutex_unlock(&d->mu);
}

bool deliver_listening(const struct deliver *d)
{
    return d->sink != NULL;
}

int deliver_port(const struct deliver *d)
{
    return sink_port(d->sink);
}

void deliver_submit(struct deliver *d, const char *token, int64_t accepted_us)
{
    if (d->log)
        deliver_log_submit(d->log, token, accepted_us);
    if (!d->sink)
        return; /* nothing arrives here: book nothing */
    pthread_mutex_lock(&d->mu);
    deliver_book_submit(d->book, token, accepted_us);
    pthread_mutex_unlock(&d->mu);
}

void deliver_exempt(struct deliver *d, const char *token)
{
    if (!d->sink)
        return;
    pthread_mutex_lock(&d->mu);
    deliver_book_exempt(d->book, token);
    pthread_mutex_unlock(&d->mu);
}

/* Waits on the condition until the monotonic time until_us at most. */
static void wait_until(struct deliver *d, int64_t until_us)
{
    int64_t wall = clock_wall_us() + (until_us - clock_mono_us());
    int64_t step = clock_wall_us() + 200000; /* look at *stop this often */
    if (wall > step)
        wall = step;
    struct timespec ts = {wall / 1000000, (wall % 1000000) * 1000};
    pthread_cond_timedwait(&d->cv, &d->mu, &ts);
}

uint64_t deliver_wait(struct deliver *d, int64_t deadline_us, int64_t settle_us,
                      volatile sig_atomic_t *stop)
{
    pthread_mutex_lock(&d->mu);
    while (deliver_book_missing(d->book) > 0 && clock_mono_us() < deadline_us &&
           !(stop && *stop))
        wait_until(d, deadline_us);
    int64_t settle = clock_mono_us() + settle_us;
    while (clock_mono_us() < settle && !(stop && *stop))
        wait_until(d, settle);
    uint64_t missing = deliver_book_missing(d->book);
    pthread_mutex_unlock(&d->mu);
    return missing;
}

void deliver_finish(struct deliver *d, int64_t late_us,
                    struct deliver_report *r,
                    void (*latency)(void *arg, int64_t us), void *arg)
{
    if (d->started) {
        pthread_mutex_lock(&d->mu);
        d->stopping = true;
        pthread_mutex_unlock(&d->mu);
        pthread_join(d->thread, NULL);
        d->started = false;
    }
    deliver_book_report(d->book, late_us, r, latency, arg);
}

static void seen_clear(struct deliver_seen *k)
{
    free(k->token);
    free(k->from);
    free(k->rcpt);
    free(k->data);
}

void deliver_seen_free(struct deliver_seen *s)
{
    if (!s)
        return;
    seen_clear(s);
    free(s);
}

/* Whether kept arrival k is what deliver_seek looks for. */
static bool seek_match(const struct deliver_seen *k, const char *key,
                       enum deliver_seek_by by)
{
    if (by == DELIVER_SEEK_TOKEN)
        return strcmp(k->token, key) == 0;
    if (by == DELIVER_SEEK_SENDER)
        return strcasecmp(k->from, key) == 0;
    if (k->from[0] || !k->data || !key[0])
        return false;
    return strstr(k->data, key) != NULL; /* in the returned headers */
}

struct deliver_seen *deliver_seek(struct deliver *d, const char *key,
                                  enum deliver_seek_by by)
{
    struct deliver_seen *out = NULL;
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < d->nkept; i++) {
        const struct deliver_seen *k = &d->kept[i];
        if (!seek_match(k, key, by))
            continue;
        if (out) {
            out->count++;
            continue;
        }
        out = xcalloc(1, sizeof *out);
        *out = *k;
        out->token = xstrdup(k->token);
        out->from = xstrdup(k->from);
        out->rcpt = xstrdup(k->rcpt);
        if (k->data) {
            out->data = xmalloc(k->len + 1);
            memcpy(out->data, k->data, k->len + 1);
        }
        out->count = 1;
    }
    pthread_mutex_unlock(&d->mu);
    return out;
}

void deliver_free(struct deliver *d)
{
    if (!d)
        return;
    if (d->started) {
        struct deliver_report r;
        deliver_finish(d, 0, &r, NULL, NULL);
    }
    if (d->tick)
        event_free(d->tick);
    sink_free(d->sink);
    if (d->base)
        event_base_free(d->base);
    deliver_book_free(d->book);
    for (size_t i = 0; i < d->nkept; i++)
        seen_clear(&d->kept[i]);
    free(d->kept);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    free(d);
}
