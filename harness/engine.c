/* engine: runs many sessions on one event loop (see engine.h). Sessions
 * are freed by the engine's own reaper event, never inside their done
 * callbacks. */
#include "harness/engine.h"
#include "harness/clock.h"
#include "harness/xalloc.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

struct job {
    struct engine *e;
    size_t idx;
    struct session *s;
    unsigned retries;
    bool finished; /* the session called done; reap it */
    struct event *retry;
};

struct engine {
    const struct engine_params *p;
    const struct target *t;
    struct prog_case *const *cases;
    size_t n;
    struct result_case *out;
    struct event_base *base;
    struct sockaddr_storage addr, bind;
    socklen_t addrlen, bindlen;
    struct prog_case *prologue, *prologue_noauth;

    size_t next;      /* next case to start */
    size_t running;   /* jobs alive (sessions or waiting retries) */
    size_t delivered; /* results handed out in order */
    bool *done;
    struct job **jobs; /* by case index while alive */

    long open_conns;
    int64_t last_connect;
    struct session **gateq; /* sessions waiting to connect */
    size_t ngateq, capgateq;
    struct event *gate_timer;
    struct event *reaper;
    struct event *stop_poll;
    bool stopping;
    int64_t stop_deadline;
};

int engine_resolve(const struct target *t, struct sockaddr_storage *ss,
                   socklen_t *len, char *err, size_t errlen)
{
    memset(ss, 0, sizeof *ss);
    if (t->transport == TARGET_EXEC) {
        *len = 0; /* no address: conn_new runs the command */
        return 0;
    }
    if (t->transport == TARGET_UNIX) {
        struct sockaddr_un *un = (struct sockaddr_un *)ss;
        if (strlen(t->path) >= sizeof un->sun_path) {
            snprintf(err, errlen, "unix:%s: path too long", t->path);
            return -1;
        }
        un->sun_family = AF_UNIX;
        strcpy(un->sun_path, t->path);
        *len = sizeof *un;
        return 0;
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_UNSPEC;
    int rc = getaddrinfo(t->host, t->port, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "cannot resolve '%s': %s", t->host, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static int resolve_bind(const char *host, struct sockaddr_storage *ss,
                        socklen_t *len, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
    int rc = getaddrinfo(host, "0", &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "bad source address '%s': %s", host, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* ---- the connection gate (politeness) --------------------------------- */

static void gate_pump(struct engine *e);

static void gate_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    gate_pump(arg);
}

/* Grants waiting sessions while the limits allow; re-arms otherwise. */
static void gate_pump(struct engine *e)
{
    while (e->ngateq > 0) {
        if (e->p->max_connections > 0 && e->open_conns >= e->p->max_connections)
            return; /* an ungate pumps again */
        int64_t now = clock_mono_us();
        int64_t ready = e->last_connect + e->p->connect_delay_us;
        if (e->last_connect && now < ready) {
            int64_t w = ready - now;
            struct timeval tv = {(time_t)(w / 1000000), (suseconds_t)(w % 1000000)};
            evtimer_add(e->gate_timer, &tv);
            return;
        }
        struct session *s = e->gateq[0];
        memmove(e->gateq, e->gateq + 1, --e->ngateq * sizeof *e->gateq);
        e->open_conns++;
        e->last_connect = now;
        session_connect_granted(s);
    }
}

static void gate(void *arg, struct session *s)
{
    struct engine *e = arg;
    xgrow(&e->gateq, &e->capgateq, e->ngateq + 1, sizeof *e->gateq);
    e->gateq[e->ngateq++] = s;
    gate_pump(e);
}

static void ungate(void *arg)
{
    struct engine *e = arg;
    e->open_conns--;
    gate_pump(e);
}

static void gate_forget(struct engine *e, struct session *s)
{
    for (size_t i = 0; i < e->ngateq; i++) {
        if (e->gateq[i] == s) {
            memmove(e->gateq + i, e->gateq + i + 1,
                    (e->ngateq - i - 1) * sizeof *e->gateq);
            e->ngateq--;
            return;
        }
    }
}

/* ---- cases ---------------------------------------------------------------- */

static void fill_case_header(struct engine *e, size_t idx)
{
    const struct prog_case *pc = e->cases[idx];
    struct result_case *rc = &e->out[idx];
    rc->id = xstrdup(pc->id);
    rc->title = xstrdup(pc->title);
    rc->rfc = xstrdup(pc->rfc);
    rc->severity = xstrdup(prog_severity_name(pc->severity));
    rc->file = xstrdup(pc->file);
    rc->line = pc->line;
    rc->hash = xstrdup(pc->hash);
    for (size_t i = 0; i < pc->ntags; i++)
        result_case_add_tag(rc, pc->tags[i]);
    rc->target = xstrdup(e->t->name);
    rc->decisive = -1;
}

static void deliver(struct engine *e)
{
    while (e->delivered < e->n && e->done[e->delivered]) {
        if (e->p->on_result)
            e->p->on_result(e->p->arg, e->delivered, &e->out[e->delivered]);
        e->delivered++;
    }
}

static void progress(struct engine *e)
{
    if (!e->p->on_progress)
        return;
    size_t done = 0;
    for (size_t i = 0; i < e->n; i++)
        done += e->done[i];
    e->p->on_progress(e->p->arg, done, e->n, e->running);
}

static void session_done(struct session *s, void *arg);

static void start_session(struct job *j)
{
    struct engine *e = j->e;
    struct session_params sp = {
        .base = e->base,
        .pc = e->cases[j->idx],
        .prologue = e->prologue,
        .prologue_noauth = e->prologue_noauth,
        .target = e->t,
        .addr = (struct sockaddr *)&e->addr,
        .addrlen = e->addrlen,
        .bind = e->bindlen ? (struct sockaddr *)&e->bind : NULL,
        .bindlen = e->bindlen,
        .tmo = e->p->tmo,
        .tls = e->p->tls,
        .run_id = e->p->run_id,
        .deliver = e->p->deliver,
        .trace_states = e->p->trace_states,
        .gate = gate,
        .ungate = ungate,
        .gate_arg = e,
        .done = session_done,
        .done_arg = j,
    };
    j->finished = false;
    j->s = session_new(&sp, &e->out[j->idx]);
    session_start(j->s);
}

static void start_next(struct engine *e)
{
    while (!e->stopping && e->next < e->n && (long)e->running < e->p->jobs) {
        struct job *j = xcalloc(1, sizeof *j);
        j->e = e;
        j->idx = e->next++;
        e->jobs[j->idx] = j;
        e->running++;
        fill_case_header(e, j->idx);
        start_session(j);
    }
    progress(e);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
    struct job *j = arg;
    fill_case_header(j->e, j->idx);
    start_session(j);
}

static void job_end(struct engine *e, struct job *j)
{
    e->done[j->idx] = true;
    e->jobs[j->idx] = NULL;
    e->running--;
    if (j->retry)
        event_free(j->retry);
    free(j);
}

/* Frees finished sessions; retries tempfails; starts more cases. */
static void reap(evutil_socket_t fd, short what, void *arg)
{
    struct engine *e = arg;
    for (size_t i = 0; i < e->n; i++) {
        struct job *j = e->jobs[i];
        if (!j || !j->finished)
            continue;
        gate_forget(e, j->s);
        session_free(j->s);
        j->s = NULL;
        j->finished = false;
        struct result_case *rc = &e->out[i];
        if (rc->verdict == VERDICT_ERROR && rc->category == ERRCAT_TEMPFAIL &&
            j->retries < (unsigned long)e->p->retry_tempfail && !e->stopping) {
            j->retries++;
            result_case_clear(rc);
            rc->retries = j->retries;
            if (!j->retry)
                j->retry = evtimer_new(e->base, retry_cb, j);
            int64_t w = e->p->retry_wait_us;
            struct timeval tv = {(time_t)(w / 1000000), (suseconds_t)(w % 1000000)};
            evtimer_add(j->retry, &tv);
            continue;
        }
        rc->retries = j->retries;
        job_end(e, j);
    }
    deliver(e);
    start_next(e);
    if (e->running == 0 && (e->next == e->n || e->stopping))
        event_base_loopexit(e->base, NULL);
}

static void session_done(struct session *s, void *arg)
{
    struct job *j = arg;
    j->finished = true;
    struct timeval now = {0, 0};
    evtimer_add(j->e->reaper, &now);
}

/* ---- stopping ------------------------------------------------------------- */

static void stop_poll(evutil_socket_t fd, short what, void *arg)
{
    struct engine *e = arg;
    if (!e->p->stop || !*e->p->stop)
        return;
    int64_t now = clock_mono_us();
    if (!e->stopping) {
        e->stopping = true;
        e->stop_deadline = now + e->p->grace_us;
    }
    for (size_t i = 0; i < e->n; i++) {
        struct job *j = e->jobs[i];
        if (!j)
            continue;
        if (j->retry && !j->s) { /* waiting to retry: give up */
            evtimer_del(j->retry);
            e->out[i].verdict = VERDICT_NOTRUN;
            e->out[i].reason = xstrdup("not run: interrupted while waiting to retry");
            job_end(e, j);
            continue;
        }
        if (now >= e->stop_deadline && j->s && !j->finished)
            session_abort(j->s, "interrupted: cut off after the grace period");
    }
    struct timeval tv = {0, 0};
    evtimer_add(e->reaper, &tv);
}

static void mark_not_run(struct engine *e, const char *reason)
{
    for (size_t i = e->next; i < e->n; i++) {
        fill_case_header(e, i);
        e->out[i].verdict = VERDICT_NOTRUN;
        e->out[i].reason = xstrdup(reason);
        e->done[i] = true;
    }
    e->next = e->n;
}

int engine_run(struct prog_case *const *cases, size_t n, const struct target *t,
               const struct engine_params *p, struct result_case *out,
               bool *interrupted, char *err, size_t errlen)
{
    struct engine e = {0};
    e.p = p;
    e.t = t;
    e.cases = cases;
    e.n = n;
    e.out = out;
    e.done = xcalloc(n + 1, sizeof *e.done);
    e.jobs = xcalloc(n + 1, sizeof *e.jobs);
    *interrupted = false;
    int rc = 0;
    if (engine_resolve(t, &e.addr, &e.addrlen, err, errlen) != 0 ||
        (t->bind && resolve_bind(t->bind, &e.bind, &e.bindlen, err, errlen) != 0)) {
        for (size_t i = 0; i < n; i++) {
            fill_case_header(&e, i);
            out[i].verdict = VERDICT_ERROR;
            out[i].category = ERRCAT_CONNECT;
            out[i].reason = xstrdup(err);
            e.done[i] = true;
        }
        deliver(&e);
        free(e.done);
        free(e.jobs);
        return -1;
    }
    evthread_use_pthreads(); /* the SASL worker wakes the loop */
    e.base = event_base_new();
    if (!e.base)
        fatal("cannot create an event base");
    e.prologue = session_prologue_new(t, true);
    e.prologue_noauth = session_prologue_new(t, false);
    e.gate_timer = evtimer_new(e.base, gate_timer_cb, &e);
    e.reaper = evtimer_new(e.base, reap, &e);
    e.stop_poll = event_new(e.base, -1, EV_PERSIST, stop_poll, &e);
    struct timeval tick = {0, 50000};
    event_add(e.stop_poll, &tick);
    if (p->stop && *p->stop)
        e.stopping = true; /* interrupted before anything ran */
    start_next(&e);
    if (e.running > 0)
        event_base_dispatch(e.base);
    if (e.stopping) {
        *interrupted = true;
        mark_not_run(&e, "not run: interrupted");
    }
    deliver(&e);
    event_free(e.gate_timer);
    event_free(e.reaper);
    event_free(e.stop_poll);
    prog_case_free(e.prologue);
    prog_case_free(e.prologue_noauth);
    event_base_free(e.base);
    free(e.gateq);
    free(e.done);
    free(e.jobs);
    return rc;
}
