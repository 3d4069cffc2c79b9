/* result: construction and destruction of the result model. */
#include "harness/result.h"
#include "harness/buf.h"
#include "harness/bytes.h"
#include "harness/clock.h"
#include "harness/digest.h"
#include "harness/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* Appends one zeroed element to an array described by (arr, n, cap). */
#define ADD(arr, n, cap)                                                       \
    (xgrow(&(arr), &(cap), (n) + 1, sizeof *(arr)),                            \
     memset(&(arr)[(n)], 0, sizeof *(arr)), &(arr)[(n)++])

struct result_run *result_run_new(const char *kind)
{
    struct result_run *run = xcalloc(1, sizeof *run);
    char id[33];
    digest_run_id(id);
    run->run_id = xstrdup(id);
    run->tool_version = xstrdup(SMTPSUITE_VERSION);
    run->kind = xstrdup(kind);
    run->started_us = clock_wall_us();
    return run;
}

static void kv_free(struct result_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].name);
        free(kv[i].value);
    }
    free(kv);
}

static void tls_free(struct result_tls *t)
{
    if (!t)
        return;
    free(t->protocol);
    free(t->cipher);
    free(t->group);
    free(t->sni);
    free(t->verify_error);
    for (size_t i = 0; i < t->nchain; i++) {
        struct result_cert *c = &t->chain[i];
        free(c->subject);
        free(c->issuer);
        free(c->san);
        free(c->not_after);
        free(c->pem);
    }
    free(t->chain);
    free(t);
}

static void conn_free(struct result_conn *c)
{
    free(c->name);
    free(c->local);
    free(c->remote);
    free(c->banner);
    free(c->ehlo);
    free(c->ehlo_tls);
    tls_free(c->tls);
}

static void step_free(struct result_step *s)
{
    free(s->name);
    free(s->conn);
    free(s->sent);
    free(s->expect);
    free(s->esc);
    free(s->reply);
    free(s->alt);
    free(s->note);
}

void result_step_clear(struct result_step *s)
{
    step_free(s);
    memset(s, 0, sizeof *s);
}

void result_case_clear(struct result_case *c)
{
    free(c->id);
    free(c->title);
    free(c->rfc);
    free(c->severity);
    free(c->file);
    free(c->hash);
    for (size_t i = 0; i < c->ntags; i++)
        free(c->tags[i]);
    free(c->tags);
    free(c->target);
    free(c->reason);
    free(c->alt);
    for (size_t i = 0; i < c->nconns; i++)
        conn_free(&c->conns[i]);
    free(c->conns);
    for (size_t i = 0; i < c->nsteps; i++)
        step_free(&c->steps[i]);
    free(c->steps);
    for (size_t i = 0; i < c->nevents; i++) {
        free(c->events[i].conn);
        free(c->events[i].data);
    }
    free(c->events);
    kv_free(c->captures, c->ncaptures);
    memset(c, 0, sizeof *c);
    c->decisive = -1;
}

void result_run_free(struct result_run *run)
{
    if (!run)
        return;
    free(run->run_id);
    free(run->tool_version);
    free(run->kind);
    free(run->command);
    free(run->shard);
    for (size_t i = 0; i < run->ntargets; i++) {
        free(run->targets[i].name);
        free(run->targets[i].address);
        free(run->targets[i].banner);
    }
    free(run->targets);
    for (size_t i = 0; i < run->ncases; i++)
        result_case_clear(&run->cases[i]);
    free(run->cases);
    for (size_t i = 0; i < run->ncounters; i++)
        free(run->counters[i].name);
    free(run->counters);
    for (size_t i = 0; i < run->nhists; i++) {
        free(run->hists[i].name);
        free(run->hists[i].basis);
        free(run->hists[i].buckets);
    }
    free(run->hists);
    kv_free(run->properties, run->nproperties);
    free(run);
}

struct result_target *result_target_add(struct result_run *run)
{
    return ADD(run->targets, run->ntargets, run->captargets);
}

struct result_case *result_case_add(struct result_run *run)
{
    struct result_case *c = ADD(run->cases, run->ncases, run->capcases);
    c->decisive = -1;
    return c;
}

struct result_counter *result_counter_add(struct result_run *run)
{
    return ADD(run->counters, run->ncounters, run->capcounters);
}

struct result_hist *result_hist_add(struct result_run *run)
{
    return ADD(run->hists, run->nhists, run->caphists);
}

struct result_kv *result_property_add(struct result_run *run)
{
    return ADD(run->properties, run->nproperties, run->capproperties);
}

void result_case_add_tag(struct result_case *c, const char *tag)
{
    char **t = ADD(c->tags, c->ntags, c->captags);
    *t = xstrdup(tag);
}

struct result_conn *result_conn_add(struct result_case *c)
{
    return ADD(c->conns, c->nconns, c->capconns);
}

struct result_step *result_step_add(struct result_case *c)
{
    struct result_step *s = ADD(c->steps, c->nsteps, c->capsteps);
    s->latency_us = -1;
    return s;
}

struct result_kv *result_capture_add(struct result_case *c)
{
    return ADD(c->captures, c->ncaptures, c->capcaptures);
}

struct result_cert *result_cert_add(struct result_tls *t)
{
    return ADD(t->chain, t->nchain, t->capchain);
}

struct result_bucket *result_bucket_add(struct result_hist *h)
{
    return ADD(h->buckets, h->nbuckets, h->capbuckets);
}

void result_event_add_escaped(struct result_case *c, int64_t t_us, char dir,
                              const char *conn, const char *escaped)
{
    if (c->nevents >= RESULT_EVENTS_MAX) {
        c->events_dropped++;
        return;
    }
    struct result_event *e = ADD(c->events, c->nevents, c->capevents);
    e->t_us = t_us;
    e->dir = dir;
    e->conn = xstrdup(conn);
    e->data = xstrdup(escaped);
}

void result_event_add(struct result_case *c, int64_t t_us, char dir,
                      const char *conn, const void *p, size_t n)
{
    if (c->nevents >= RESULT_EVENTS_MAX) {
        c->events_dropped++;
        return;
    }
    struct buf b;
    buf_init(&b, RESULT_EVENT_MAX);
    if (bytes_escape(&b, p, n) != BUF_OK) {
        b.max += 64;
        buf_addf(&b, "...[%zu bytes in all]", n);
    }
    struct result_event *e = ADD(c->events, c->nevents, c->capevents);
    e->t_us = t_us;
    e->dir = dir;
    e->conn = xstrdup(conn);
    e->data = buf_detach(&b);
}

void result_counts(const struct result_run *run, struct verdict_counts *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < run->ncases; i++)
        out->n[run->cases[i].verdict]++;
}

struct result_counter *result_counter_find(struct result_run *run,
                                           const char *name)
{
    for (size_t i = 0; i < run->ncounters; i++)
        if (strcmp(run->counters[i].name, name) == 0)
            return &run->counters[i];
    return NULL;
}

void result_case_move(struct result_case *dst, struct result_case *src)
{
    *dst = *src;
    memset(src, 0, sizeof *src);
    src->decisive = -1;
}
