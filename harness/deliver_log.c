/* deliver_log: the submission log of delivery joins, and the reading of
 * its lines and of the sink's arrival records (see deliver_log.h). */
#include "harness/deliver_log.h"
#include "harness/clock.h"
#include "harness/xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing ------------------------------------------------------------ */

struct deliver_log {
    pthread_mutex_t mu;
    FILE *fp;
    char *path;
    uint64_t count; /* under mu */
    int err;        /* the first errno of a failed write, under mu */
};

struct deliver_log *deliver_log_open(const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "w");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct deliver_log *l = xcalloc(1, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
    l->fp = fp;
    l->path = xstrdup(path);
    return l;
}

/* Writes one JSON object as a line and flushes it (so a line is whole
 * when a test or a tail reads it); under l->mu. */
static void put_line(struct deliver_log *l, json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!s)
        fatal("deliver_log: out of memory");
    if ((fprintf(l->fp, "%s\n", s) < 0 || fflush(l->fp) != 0) && !l->err)
        l->err = errno ? errno : EIO;
    free(s);
}

void deliver_log_header(struct deliver_log *l, const char *run_id,
                        unsigned shard, unsigned nshards)
{
    char when[CLOCK_RFC3339_LEN];
    clock_rfc3339(clock_wall_us(), when);
    json_t *o = json_pack("{s:i, s:s, s:i, s:i, s:s}", "deliver_log",
                          DELIVER_LOG_VERSION, "run_id", run_id ? run_id : "",
                          "shard", (int)shard, "shards",
                          (int)(nshards ? nshards : 1), "written", when);
    if (!o)
        fatal("deliver_log: cannot build the header");
    pthread_mutex_lock(&l->mu);
    put_line(l, o);
    pthread_mutex_unlock(&l->mu);
}

void deliver_log_submit(struct deliver_log *l, const char *token,
                        int64_t accepted_us)
{
    char when[CLOCK_RFC3339_LEN];
    clock_rfc3339(accepted_us, when);
    json_t *o = json_pack("{s:s, s:I, s:s}", "token", token, "accepted_us",
                          (json_int_t)accepted_us, "accepted", when);
    if (!o) /* a token that is not UTF-8: never one of ours */
        return;
    pthread_mutex_lock(&l->mu);
    put_line(l, o);
    l->count++;
    pthread_mutex_unlock(&l->mu);
}

uint64_t deliver_log_count(struct deliver_log *l)
{
    pthread_mutex_lock(&l->mu);
    uint64_t n = l->count;
    pthread_mutex_unlock(&l->mu);
    return n;
}

int deliver_log_close(struct deliver_log *l, char *err, size_t errlen)
{
    if (!l)
        return 0;
    int e = l->err;
    if (fclose(l->fp) != 0 && !e)
        e = errno ? errno : EIO;
    if (e)
        snprintf(err, errlen, "%s: %s", l->path, strerror(e));
    pthread_mutex_destroy(&l->mu);
    free(l->path);
    free(l);
    return e ? -1 : 0;
}

/* ---- reading ------------------------------------------------------------ */

/* Formats err; -1. */
static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* The object of one line; NULL with err. */
static json_t *object_of(const char *line, size_t len, char *err, size_t errlen)
{
    json_error_t je;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!o) {
        fail(err, errlen, "not JSON: %s", je.text);
        return NULL;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        fail(err, errlen, "not a JSON object");
        return NULL;
    }
    return o;
}

/* A string member copied into out[size]; false when absent or too long. */
static bool string_of(json_t *o, const char *name, char *out, size_t size)
{
    json_t *v = json_object_get(o, name);
    if (!json_is_string(v) || json_string_length(v) >= size)
        return false;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return true;
}

/* A non-negative integer member; false when absent or not one. */
static bool int_of(json_t *o, const char *name, int64_t *out)
{
    json_t *v = json_object_get(o, name);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = (int64_t)json_integer_value(v);
    return true;
}

static int parse_header(json_t *o, struct deliver_log_line *out, char *err,
                        size_t errlen)
{
    int64_t v, shard, shards;
    out->header = true;
    if (!int_of(o, "deliver_log", &v) || v != DELIVER_LOG_VERSION)
        return fail(err, errlen,
                    "\"deliver_log\" is not %d: a submission log of another "
                    "version",
                    DELIVER_LOG_VERSION);
    if (!string_of(o, "run_id", out->run_id, sizeof out->run_id))
        return fail(err, errlen, "the header has no run_id");
    if (!int_of(o, "shard", &shard) || !int_of(o, "shards", &shards) ||
        shards < 1 || shard >= shards || shards > UINT32_MAX)
        return fail(err, errlen,
                    "the header's shard and shards are not I of N");
    out->shard = (unsigned)shard;
    out->nshards = (unsigned)shards;
    return 0;
}

int deliver_log_parse(const char *line, size_t len,
                      struct deliver_log_line *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_t *o = object_of(line, len, err, errlen);
    if (!o)
        return -1;
    int rc = 0;
    if (json_object_get(o, "deliver_log"))
        rc = parse_header(o, out, err, errlen);
    else if (!string_of(o, "token", out->token, sizeof out->token) ||
             !out->token[0])
        rc = fail(err, errlen,
                  "no \"token\" (a string of at most %d "
                  "characters)",
                  ARRIVAL_TOKEN_MAX - 1);
    else if (!int_of(o, "accepted_us", &out->accepted_us))
        rc = fail(err, errlen, "no \"accepted_us\" (wall-clock microseconds)");
    json_decref(o);
    return rc;
}

/* The class named s; false when none is. */
static bool class_named(const char *s, enum arrival_class *c)
{
    for (int i = 0; i < ARRIVAL_CLASS_COUNT; i++)
        if (strcmp(arrival_class_name(i), s) == 0) {
            *c = i;
            return true;
        }
    return false;
}

/* "time_us", else "time" (RFC 3339): the arrival time. */
static int arrival_time(json_t *o, int64_t *at_us, char *err, size_t errlen)
{
    if (int_of(o, "time_us", at_us))
        return 0;
    json_t *t = json_object_get(o, "time");
    if (json_is_string(t) &&
        clock_parse_rfc3339(json_string_value(t), at_us) == 0)
        return 0;
    return fail(err, errlen, "no \"time_us\" or RFC 3339 \"time\"");
}

static int arrival_rcpts(json_t *o, struct deliver_arrival *out, char *err,
                         size_t errlen)
{
    json_t *arr = json_object_get(o, "rcpt_to"), *r;
    size_t i;
    if (!json_is_array(arr))
        return fail(err, errlen, "no \"rcpt_to\" array");
    out->rcpts = xcalloc(json_array_size(arr) + 1, sizeof *out->rcpts);
    json_array_foreach(arr, i, r)
    {
        json_t *a = json_object_get(r, "address");
        if (!json_is_string(a))
            return fail(err, errlen, "rcpt_to[%zu] has no \"address\"", i);
        out->rcpts[out->nrcpt++] = xstrdup(json_string_value(a));
    }
    return 0;
}

int deliver_arrival_parse(const char *line, size_t len,
                          struct deliver_arrival *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_t *o = object_of(line, len, err, errlen);
    if (!o)
        return -1;
    int rc = arrival_time(o, &out->at_us, err, errlen);
    if (rc == 0)
        rc = arrival_rcpts(o, out, err, errlen);
    json_t *tok = json_object_get(o, "token"),
           *ch = json_object_get(o, "change");
    if (rc == 0 && tok) {
        out->has_token = string_of(o, "token", out->token, sizeof out->token);
        if (!out->has_token)
            rc = fail(err, errlen,
                      "\"token\" is not a string of at most "
                      "%d characters",
                      ARRIVAL_TOKEN_MAX - 1);
    }
    if (rc == 0 && ch) {
        out->carries =
            json_is_string(ch) && class_named(json_string_value(ch), &out->cls);
        if (!out->carries)
            rc = fail(err, errlen,
                      "\"change\" is not a change class (docs/delivery.md)");
    }
    json_decref(o);
    if (rc != 0)
        deliver_arrival_clear(out);
    return rc;
}

void deliver_arrival_clear(struct deliver_arrival *a)
{
    for (size_t i = 0; i < a->nrcpt; i++)
        free(a->rcpts[i]);
    free(a->rcpts);
    a->rcpts = NULL;
    a->nrcpt = 0;
}
