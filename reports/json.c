/* json: writer and reader of the JSON result file (schema
 * "smtpsuite-result/1", docs/result-format.md), with jansson.
 *
 * Each record type is described once by a field table; the writer and
 * the reader walk the same table, so what is written is what is read.
 * Absent strings are omitted; numbers are always written; times are
 * RFC 3339 with milliseconds. */
#include "reports/json.h"
#include "reports/atomic.h"
#include "harness/bytes.h"
#include "harness/clock.h"
#include "harness/xalloc.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum field_kind {
    F_STR,
    F_INT,
    F_UINT,
    F_I64,
    F_U64,
    F_BOOL,
    F_VERDICT,
    F_ERRCAT,
    F_TIME,
    F_DIR,
};

struct field {
    const char *key;
    enum field_kind kind;
    size_t off;
};

#define FS(type, key, kind, member) {key, kind, offsetof(type, member)}

static const struct field RUN_FIELDS[] = {
    FS(struct result_run, "run_id", F_STR, run_id),
    FS(struct result_run, "tool_version", F_STR, tool_version),
    FS(struct result_run, "kind", F_STR, kind),
    FS(struct result_run, "command", F_STR, command),
    FS(struct result_run, "shard", F_STR, shard),
    FS(struct result_run, "started", F_TIME, started_us),
    FS(struct result_run, "ended", F_TIME, ended_us),
    FS(struct result_run, "incomplete", F_BOOL, incomplete),
};

static const struct field TARGET_FIELDS[] = {
    FS(struct result_target, "name", F_STR, name),
    FS(struct result_target, "address", F_STR, address),
    FS(struct result_target, "banner", F_STR, banner),
};

static const struct field CASE_FIELDS[] = {
    FS(struct result_case, "id", F_STR, id),
    FS(struct result_case, "title", F_STR, title),
    FS(struct result_case, "rfc", F_STR, rfc),
    FS(struct result_case, "severity", F_STR, severity),
    FS(struct result_case, "file", F_STR, file),
    FS(struct result_case, "line", F_INT, line),
    FS(struct result_case, "hash", F_STR, hash),
    FS(struct result_case, "target", F_STR, target),
    FS(struct result_case, "verdict", F_VERDICT, verdict),
    FS(struct result_case, "category", F_ERRCAT, category),
    FS(struct result_case, "reason", F_STR, reason),
    FS(struct result_case, "alt", F_STR, alt),
    FS(struct result_case, "decisive_step", F_INT, decisive),
    FS(struct result_case, "started", F_TIME, started_us),
    FS(struct result_case, "duration_us", F_I64, duration_us),
    FS(struct result_case, "retries", F_UINT, retries),
    FS(struct result_case, "transcript_dropped", F_U64, events_dropped),
};

static const struct field CONN_FIELDS[] = {
    FS(struct result_conn, "name", F_STR, name),
    FS(struct result_conn, "local", F_STR, local),
    FS(struct result_conn, "remote", F_STR, remote),
    FS(struct result_conn, "banner", F_STR, banner),
    FS(struct result_conn, "ehlo", F_STR, ehlo),
    FS(struct result_conn, "ehlo_tls", F_STR, ehlo_tls),
};

static const struct field TLS_FIELDS[] = {
    FS(struct result_tls, "protocol", F_STR, protocol),
    FS(struct result_tls, "cipher", F_STR, cipher),
    FS(struct result_tls, "group", F_STR, group),
    FS(struct result_tls, "sni", F_STR, sni),
    FS(struct result_tls, "verified", F_INT, verified),
    FS(struct result_tls, "verify_error", F_STR, verify_error),
};

static const struct field CERT_FIELDS[] = {
    FS(struct result_cert, "subject", F_STR, subject),
    FS(struct result_cert, "issuer", F_STR, issuer),
    FS(struct result_cert, "san", F_STR, san),
    FS(struct result_cert, "not_after", F_STR, not_after),
    FS(struct result_cert, "pem", F_STR, pem),
};

static const struct field STEP_FIELDS[] = {
    FS(struct result_step, "name", F_STR, name),
    FS(struct result_step, "conn", F_STR, conn),
    FS(struct result_step, "line", F_INT, line),
    FS(struct result_step, "sent", F_STR, sent),
    FS(struct result_step, "expect", F_STR, expect),
    FS(struct result_step, "code", F_INT, code),
    FS(struct result_step, "esc", F_STR, esc),
    FS(struct result_step, "reply", F_STR, reply),
    FS(struct result_step, "alt", F_STR, alt),
    FS(struct result_step, "grade", F_VERDICT, grade),
    FS(struct result_step, "key", F_BOOL, key),
    FS(struct result_step, "t_us", F_I64, t_us),
    FS(struct result_step, "latency_us", F_I64, latency_us),
    FS(struct result_step, "note", F_STR, note),
};

static const struct field EVENT_FIELDS[] = {
    FS(struct result_event, "t_us", F_I64, t_us),
    FS(struct result_event, "conn", F_STR, conn),
    FS(struct result_event, "dir", F_DIR, dir),
    FS(struct result_event, "data", F_STR, data),
};

static const struct field KV_FIELDS[] = {
    FS(struct result_kv, "name", F_STR, name),
    FS(struct result_kv, "value", F_STR, value),
};

static const struct field COUNTER_FIELDS[] = {
    FS(struct result_counter, "name", F_STR, name),
    FS(struct result_counter, "value", F_U64, value),
};

static const struct field HIST_FIELDS[] = {
    FS(struct result_hist, "name", F_STR, name),
    FS(struct result_hist, "basis", F_STR, basis),
    FS(struct result_hist, "lowest_us", F_I64, lowest_us),
    FS(struct result_hist, "highest_us", F_I64, highest_us),
    FS(struct result_hist, "sigfig", F_INT, sigfig),
    FS(struct result_hist, "total", F_U64, total),
    FS(struct result_hist, "overflow", F_U64, overflow),
    FS(struct result_hist, "min_us", F_I64, min_us),
    FS(struct result_hist, "max_us", F_I64, max_us),
};

#define NF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- writing ---------------------------------------------------------- */

/* Nonzero if s is valid UTF-8 without overlongs or surrogates. */
static int utf8_valid(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s;
        int n;
        unsigned min;
        if (c < 0x80) {
            s++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1, min = 0x80, c &= 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, min = 0x800, c &= 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, min = 0x10000, c &= 0x07;
        } else {
            return 0;
        }
        for (int i = 1; i <= n; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return 0;
            c = (c << 6) | (s[i] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return 0;
        s += n + 1;
    }
    return 1;
}

/* A JSON string for s; text that is not valid UTF-8 is written in the
 * escaped form of bytes.h so the file always parses. */
static json_t *jstr(const char *s)
{
    if (utf8_valid((const unsigned char *)s))
        return json_string(s);
    char *e = bytes_escape_dup(s, strlen(s));
    json_t *j = json_string(e);
    free(e);
    return j;
}

static void put_fields(json_t *o, const void *rec, const struct field *f,
                       size_t n)
{
    const char *base = rec;
    for (size_t i = 0; i < n; i++) {
        const void *p = base + f[i].off;
        json_t *v = NULL;
        char t[CLOCK_RFC3339_LEN];
        switch (f[i].kind) {
        case F_STR:
            if (*(char *const *)p)
                v = jstr(*(char *const *)p);
            break;
        case F_INT: v = json_integer(*(const int *)p); break;
        case F_UINT: v = json_integer(*(const unsigned *)p); break;
        case F_I64: v = json_integer(*(const int64_t *)p); break;
        case F_U64: v = json_integer((json_int_t) * (const uint64_t *)p); break;
        case F_BOOL: v = json_boolean(*(const bool *)p); break;
        case F_VERDICT: v = json_string(verdict_name(*(const enum verdict *)p)); break;
        case F_ERRCAT: v = json_string(errcat_name(*(const enum errcat *)p)); break;
        case F_TIME:
            clock_rfc3339(*(const int64_t *)p, t);
            v = json_string(t);
            break;
        case F_DIR: {
            char d[2] = {*(const char *)p, 0};
            v = json_string(d);
            break;
        }
        }
        if (v)
            json_object_set_new(o, f[i].key, v);
    }
}

/* An array of records of size `size` each, written with one table. */
static json_t *put_array(const void *arr, size_t n, size_t size,
                         const struct field *f, size_t nf)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        put_fields(o, (const char *)arr + i * size, f, nf);
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *put_tls(const struct result_tls *t)
{
    json_t *o = json_object();
    put_fields(o, t, TLS_FIELDS, NF(TLS_FIELDS));
    json_object_set_new(o, "chain", put_array(t->chain, t->nchain, sizeof *t->chain,
                                              CERT_FIELDS, NF(CERT_FIELDS)));
    return o;
}

static json_t *put_case(const struct result_case *c)
{
    json_t *o = json_object();
    put_fields(o, c, CASE_FIELDS, NF(CASE_FIELDS));
    json_t *tags = json_array();
    for (size_t i = 0; i < c->ntags; i++)
        json_array_append_new(tags, jstr(c->tags[i]));
    json_object_set_new(o, "tags", tags);
    json_t *conns = json_array();
    for (size_t i = 0; i < c->nconns; i++) {
        json_t *co = json_object();
        put_fields(co, &c->conns[i], CONN_FIELDS, NF(CONN_FIELDS));
        if (c->conns[i].tls)
            json_object_set_new(co, "tls", put_tls(c->conns[i].tls));
        json_array_append_new(conns, co);
    }
    json_object_set_new(o, "connections", conns);
    json_object_set_new(o, "steps", put_array(c->steps, c->nsteps, sizeof *c->steps,
                                              STEP_FIELDS, NF(STEP_FIELDS)));
    json_object_set_new(o, "transcript",
                        put_array(c->events, c->nevents, sizeof *c->events,
                                  EVENT_FIELDS, NF(EVENT_FIELDS)));
    json_object_set_new(o, "captures",
                        put_array(c->captures, c->ncaptures, sizeof *c->captures,
                                  KV_FIELDS, NF(KV_FIELDS)));
    return o;
}

static json_t *put_hist(const struct result_hist *h)
{
    json_t *o = json_object();
    put_fields(o, h, HIST_FIELDS, NF(HIST_FIELDS));
    json_t *b = json_array();
    for (size_t i = 0; i < h->nbuckets; i++) {
        json_t *pair = json_array();
        json_array_append_new(pair, json_integer(h->buckets[i].index));
        json_array_append_new(pair, json_integer((json_int_t)h->buckets[i].count));
        json_array_append_new(b, pair);
    }
    json_object_set_new(o, "buckets", b);
    return o;
}

static json_t *put_run(const struct result_run *run)
{
    json_t *o = json_object();
    json_object_set_new(o, "schema", json_string(RESULT_SCHEMA));
    put_fields(o, run, RUN_FIELDS, NF(RUN_FIELDS));
    struct verdict_counts vc;
    result_counts(run, &vc);
    json_t *sum = json_object();
    for (int v = 0; v < VERDICT_COUNT; v++)
        json_object_set_new(sum, verdict_name((enum verdict)v),
                            json_integer((json_int_t)vc.n[v]));
    json_object_set_new(o, "summary", sum);
    json_object_set_new(o, "targets",
                        put_array(run->targets, run->ntargets, sizeof *run->targets,
                                  TARGET_FIELDS, NF(TARGET_FIELDS)));
    json_object_set_new(o, "properties",
                        put_array(run->properties, run->nproperties,
                                  sizeof *run->properties, KV_FIELDS, NF(KV_FIELDS)));
    json_object_set_new(o, "counters",
                        put_array(run->counters, run->ncounters, sizeof *run->counters,
                                  COUNTER_FIELDS, NF(COUNTER_FIELDS)));
    json_t *hists = json_array();
    for (size_t i = 0; i < run->nhists; i++)
        json_array_append_new(hists, put_hist(&run->hists[i]));
    json_object_set_new(o, "histograms", hists);
    json_t *cases = json_array();
    for (size_t i = 0; i < run->ncases; i++)
        json_array_append_new(cases, put_case(&run->cases[i]));
    json_object_set_new(o, "cases", cases);
    return o;
}

int report_json_dump(const struct result_run *run, FILE *fp, char *err,
                     size_t errlen)
{
    json_t *root = put_run(run);
    int rc = json_dumpf(root, fp, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (rc != 0 || fputc('\n', fp) == EOF) {
        snprintf(err, errlen, "cannot write JSON");
        return -1;
    }
    return 0;
}

int report_json_write(const struct result_run *run, const char *path,
                      char *err, size_t errlen)
{
    struct atomic_file af;
    if (atomic_open(&af, path, err, errlen) != 0)
        return -1;
    if (report_json_dump(run, af.fp, err, errlen) != 0) {
        atomic_abort(&af);
        return -1;
    }
    return atomic_commit(&af, err, errlen);
}

/* ---- reading ---------------------------------------------------------- */

struct rd {
    const char *name; /* file name for messages */
    char *err;
    size_t errlen;
    int failed;
};

static void rd_fail(struct rd *r, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void rd_fail(struct rd *r, const char *where, const char *fmt, ...)
{
    if (r->failed)
        return;
    r->failed = 1;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(r->err, r->errlen, "%s: %s: %s", r->name, where, msg);
}

static void get_field(struct rd *r, json_t *v, const struct field *f, void *p,
                      const char *where)
{
    char w[160];
    snprintf(w, sizeof w, "%s.%s", where, f->key);
    int isint = json_is_integer(v);
    switch (f->kind) {
    case F_STR:
        if (!json_is_string(v))
            return rd_fail(r, w, "expected a string");
        *(char **)p = xstrdup(json_string_value(v));
        return;
    case F_INT:
    case F_UINT:
    case F_I64:
    case F_U64:
        if (!isint)
            return rd_fail(r, w, "expected an integer");
        json_int_t x = json_integer_value(v);
        if (f->kind == F_INT)
            *(int *)p = (int)x;
        else if (f->kind == F_UINT)
            *(unsigned *)p = (unsigned)x;
        else if (f->kind == F_I64)
            *(int64_t *)p = x;
        else
            *(uint64_t *)p = (uint64_t)x;
        return;
    case F_BOOL:
        if (!json_is_boolean(v))
            return rd_fail(r, w, "expected true or false");
        *(bool *)p = json_is_true(v);
        return;
    case F_VERDICT:
        if (!json_is_string(v) || verdict_parse(json_string_value(v), p) != 0)
            return rd_fail(r, w, "expected a verdict name");
        return;
    case F_ERRCAT:
        if (!json_is_string(v) || errcat_parse(json_string_value(v), p) != 0)
            return rd_fail(r, w, "expected an error category");
        return;
    case F_TIME:
        if (!json_is_string(v) || clock_parse_rfc3339(json_string_value(v), p) != 0)
            return rd_fail(r, w, "expected an RFC 3339 time");
        return;
    case F_DIR:
        if (!json_is_string(v) || strlen(json_string_value(v)) != 1 ||
            !strchr("><*", json_string_value(v)[0]))
            return rd_fail(r, w, "expected one of \">\", \"<\", \"*\"");
        *(char *)p = json_string_value(v)[0];
        return;
    }
}

static void get_fields(struct rd *r, json_t *o, void *rec,
                       const struct field *f, size_t n, const char *where)
{
    if (!json_is_object(o))
        return rd_fail(r, where, "expected an object");
    for (size_t i = 0; i < n && !r->failed; i++) {
        json_t *v = json_object_get(o, f[i].key);
        if (v)
            get_field(r, v, &f[i], (char *)rec + f[i].off, where);
    }
}

static json_t *get_array(struct rd *r, json_t *o, const char *key,
                         const char *where)
{
    json_t *a = json_object_get(o, key);
    if (!a)
        return NULL;
    if (!json_is_array(a)) {
        char w[160];
        snprintf(w, sizeof w, "%s.%s", where, key);
        rd_fail(r, w, "expected an array");
        return NULL;
    }
    return a;
}

static void get_tls(struct rd *r, json_t *o, struct result_tls *t,
                    const char *where)
{
    get_fields(r, o, t, TLS_FIELDS, NF(TLS_FIELDS), where);
    json_t *a = get_array(r, o, "chain", where);
    for (size_t i = 0; a && i < json_array_size(a) && !r->failed; i++) {
        char w[160];
        snprintf(w, sizeof w, "%s.chain[%zu]", where, i);
        get_fields(r, json_array_get(a, i), result_cert_add(t), CERT_FIELDS,
                   NF(CERT_FIELDS), w);
    }
}

static void get_case(struct rd *r, json_t *o, struct result_case *c,
                     const char *where)
{
    char w[160];
    get_fields(r, o, c, CASE_FIELDS, NF(CASE_FIELDS), where);
    json_t *a = get_array(r, o, "tags", where);
    for (size_t i = 0; a && i < json_array_size(a) && !r->failed; i++) {
        json_t *t = json_array_get(a, i);
        if (!json_is_string(t)) {
            snprintf(w, sizeof w, "%s.tags[%zu]", where, i);
            return rd_fail(r, w, "expected a string");
        }
        result_case_add_tag(c, json_string_value(t));
    }
    a = get_array(r, o, "connections", where);
    for (size_t i = 0; a && i < json_array_size(a) && !r->failed; i++) {
        snprintf(w, sizeof w, "%s.connections[%zu]", where, i);
        json_t *co = json_array_get(a, i);
        struct result_conn *conn = result_conn_add(c);
        get_fields(r, co, conn, CONN_FIELDS, NF(CONN_FIELDS), w);
        json_t *tls = json_is_object(co) ? json_object_get(co, "tls") : NULL;
        if (tls && !r->failed) {
            conn->tls = xcalloc(1, sizeof *conn->tls);
            get_tls(r, tls, conn->tls, w);
        }
    }
    a = get_array(r, o, "steps", where);
    for (size_t i = 0; a && i < json_array_size(a) && !r->failed; i++) {
        snprintf(w, sizeof w, "%s.steps[%zu]", where, i);
        get_fields(r, json_array_get(a, i), result_step_add(c), STEP_FIELDS,
                   NF(STEP_FIELDS), w);
    }
    a = get_array(r, o, "transcript", where);
    for (size_t i = 0; a && i < json_array_size(a) && !r->failed; i++) {
        snprintf(w, sizeof w, "%s.transcript[%zu]", where, i);
        struct result_event ev = {0};
        get_fields(r, json_array_get(a, i), &ev, EVENT_FIELDS, NF(EVENT_FIELDS), w);
        if (!r->failed && !ev.dir) /* the writer could not write it back */
            rd_fail(r, w, "expected a \"dir\"");
        result_event_add_escaped(c, ev.t_us, ev.dir, ev.conn ? ev.conn : "",
                                 ev.data ? ev.data : "");
        free(ev.conn);
        free(ev.data);
    }
    a = get_array(r, o, "captures", where);
    for (size_t i = 0; a && i < json_array_size(a) && !r->failed; i++) {
        snprintf(w, sizeof w, "%s.captures[%zu]", where, i);
        get_fields(r, json_array_get(a, i), result_capture_add(c), KV_FIELDS,
                   NF(KV_FIELDS), w);
    }
}

static void get_hist(struct rd *r, json_t *o, struct result_hist *h,
                     const char *where)
{
    get_fields(r, o, h, HIST_FIELDS, NF(HIST_FIELDS), where);
    json_t *a = get_array(r, o, "buckets", where);
    for (size_t i = 0; a && i < json_array_size(a) && !r->failed; i++) {
        json_t *pair = json_array_get(a, i);
        if (!json_is_array(pair) || json_array_size(pair) != 2 ||
            !json_is_integer(json_array_get(pair, 0)) ||
            !json_is_integer(json_array_get(pair, 1))) {
            char w[160];
            snprintf(w, sizeof w, "%s.buckets[%zu]", where, i);
            return rd_fail(r, w, "expected [index, count]");
        }
        struct result_bucket *b = result_bucket_add(h);
        b->index = (uint32_t)json_integer_value(json_array_get(pair, 0));
        b->count = (uint64_t)json_integer_value(json_array_get(pair, 1));
    }
}

static void get_run(struct rd *r, json_t *o, struct result_run *run)
{
    char w[64];
    json_t *schema = json_object_get(o, "schema");
    if (!json_is_string(schema) ||
        strcmp(json_string_value(schema), RESULT_SCHEMA) != 0)
        return rd_fail(r, "schema", "not a smtpsuite result file (want \"%s\")",
                       RESULT_SCHEMA);
    get_fields(r, o, run, RUN_FIELDS, NF(RUN_FIELDS), "run");
    json_t *a = get_array(r, o, "targets", "run");
    for (size_t i = 0; a && i < json_array_size(a) && !r->failed; i++) {
        snprintf(w, sizeof w, "targets[%zu]", i);
        get_fields(r, json_array_get(a, i), result_target_add(run), TARGET_FIELDS,
                   NF(TARGET_FIELDS), w);
    }
    a = get_array(r, o, "properties", "run");
    for (size_t i = 0; a && i < json_array_size(a) && !r->failed; i++) {
        snprintf(w, sizeof w, "properties[%zu]", i);
        get_fields(r, json_array_get(a, i), result_property_add(run), KV_FIELDS,
                   NF(KV_FIELDS), w);
    }
    a = get_array(r, o, "counters", "run");
    for (size_t i = 0; a && i < json_array_size(a) && !r->failed; i++) {
        snprintf(w, sizeof w, "counters[%zu]", i);
        get_fields(r, json_array_get(a, i), result_counter_add(run),
                   COUNTER_FIELDS, NF(COUNTER_FIELDS), w);
    }
    a = get_array(r, o, "histograms", "run");
    for (size_t i = 0; a && i < json_array_size(a) && !r->failed; i++) {
        snprintf(w, sizeof w, "histograms[%zu]", i);
        get_hist(r, json_array_get(a, i), result_hist_add(run), w);
    }
    a = get_array(r, o, "cases", "run");
    for (size_t i = 0; a && i < json_array_size(a) && !r->failed; i++) {
        snprintf(w, sizeof w, "cases[%zu]", i);
        get_case(r, json_array_get(a, i), result_case_add(run), w);
    }
}

struct result_run *report_json_parse(const char *text, size_t len,
                                     const char *name, char *err,
                                     size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "%s:%d:%d: %s", name, je.line, je.column, je.text);
        return NULL;
    }
    struct rd r = {name, err, errlen, 0};
    struct result_run *run = xcalloc(1, sizeof *run);
    if (!json_is_object(root))
        rd_fail(&r, "top level", "expected an object");
    else
        get_run(&r, root, run);
    json_decref(root);
    if (r.failed) {
        result_run_free(run);
        return NULL;
    }
    return run;
}

struct result_run *report_json_read(const char *path, char *err,
                                    size_t errlen)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "%s: cannot read: %m", path);
        return NULL;
    }
    struct buf b;
    buf_init(&b, (size_t)1 << 34);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        buf_add(&b, chunk, n);
    int bad = ferror(fp);
    if (fp != stdin)
        fclose(fp);
    if (bad) {
        snprintf(err, errlen, "%s: read error", path);
        buf_free(&b);
        return NULL;
    }
    struct result_run *run = report_json_parse(buf_str(&b), b.len, path, err, errlen);
    buf_free(&b);
    return run;
}
