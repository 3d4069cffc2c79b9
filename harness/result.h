/* result: the result model. What a run found, in memory, filled by the
 * engine (run, load), by merge, or by the JSON reader; read by every
 * report writer and by merge and compare. Writers read this model, never
 * each other's output (reports/json.c owns the file format).
 *
 * Everything here is owned by the run: result_run_free() frees it all.
 * Strings that hold wire bytes are in the escaped form of bytes.h, so
 * they are pure ASCII. Arrays grow with the *_add functions, which
 * return a pointer to a new zeroed element; the pointer is valid until
 * the next add to the same array. */
#ifndef SMTPSUITE_RESULT_H
#define SMTPSUITE_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/verdict.h"

#define RESULT_SCHEMA "smtpsuite-result/1"
#define RESULT_EVENTS_MAX 4000    /* transcript lines kept per case */
#define RESULT_EVENT_MAX 4096     /* escaped bytes kept per line */

struct result_kv {
    char *name;
    char *value;
};

struct result_cert {
    char *subject;
    char *issuer;
    char *san;       /* "DNS:a.example, IP:127.0.0.1" */
    char *not_after; /* RFC 3339 */
    char *pem;
};

/* TLS facts of one connection (filled where TLS is used). */
struct result_tls {
    char *protocol; /* "TLSv1.3" */
    char *cipher;
    char *group;
    char *sni;
    int verified; /* 1 verified, 0 failed, -1 not checked */
    char *verify_error;
    struct result_cert *chain;
    size_t nchain, capchain;
};

struct result_conn {
    char *name;   /* "main" or the case's name for it */
    char *local;  /* source "addr:port" */
    char *remote; /* peer "addr:port" or "unix:/path" */
    char *banner; /* escaped greeting text */
    char *ehlo;     /* escaped EHLO keyword lines before TLS, "\n"-joined */
    char *ehlo_tls; /* the same after TLS */
    struct result_tls *tls; /* NULL when the connection had no TLS */
};

struct result_step {
    char *name;   /* step name of DESIGN.md: ehlo, mail, rcpt, data_cmd ... */
    char *conn;
    int line;     /* case-file line; 0 for the target's prologue */
    char *sent;   /* escaped; secrets redacted */
    char *expect; /* the expectation as written */
    int code;     /* reply code; 0 when none came */
    char *esc;    /* enhanced status code */
    char *reply;  /* escaped reply, all lines */
    char *alt;    /* the alternative that matched */
    enum verdict grade;
    bool key;     /* the case's key assertion */
    int64_t t_us; /* start, from the case start */
    int64_t latency_us; /* command sent -> reply complete; -1 if none */
    char *note;
};

struct result_event {
    int64_t t_us; /* from the case start */
    char dir;     /* '>' client sent, '<' server sent, '*' harness note */
    char *conn;
    char *data;   /* escaped */
};

struct result_case {
    char *id;
    char *title;
    char *rfc;
    char *severity; /* must | should | may | sec */
    char *file;
    int line;
    char *hash; /* SHA-256 of the case file */
    char **tags;
    size_t ntags, captags;
    char *target; /* target name */

    enum verdict verdict;
    enum errcat category;
    char *reason;     /* one line: what failed, why skipped ... */
    char *alt;        /* alternative recorded at the deciding step */
    int decisive;     /* index into steps of the deciding step, -1 */
    int64_t started_us; /* wall clock */
    int64_t duration_us;
    unsigned retries;

    struct result_conn *conns;
    size_t nconns, capconns;
    struct result_step *steps;
    size_t nsteps, capsteps;
    struct result_event *events;
    size_t nevents, capevents;
    uint64_t events_dropped;
    struct result_kv *captures;
    size_t ncaptures, capcaptures;
};

struct result_target {
    char *name;
    char *address;
    char *banner;
};

struct result_counter {
    char *name;
    uint64_t value;
};

/* A latency histogram as stored: its parameters and the non-zero
 * buckets (index, count). harness/hist.c converts to and from it. */
struct result_bucket {
    uint32_t index;
    uint64_t count;
};

struct result_hist {
    char *name;       /* step name, "session", "loop_lag" ... */
    char *basis;      /* "intended" | "sent" */
    int64_t lowest_us;
    int64_t highest_us;
    int sigfig;
    uint64_t total;    /* values counted, overflow included */
    uint64_t overflow; /* of them, above highest_us (counted as highest_us) */
    int64_t min_us;    /* exact smallest and largest value counted; */
    int64_t max_us;    /* 0 when total is 0 */
    struct result_bucket *buckets;
    size_t nbuckets, capbuckets;
};

struct result_run {
    char *run_id;
    char *tool_version;
    char *kind;     /* "run" | "load" | "merge" */
    char *command;  /* the command line, secrets never included */
    char *shard;    /* "I/N" or NULL */
    int64_t started_us;
    int64_t ended_us;
    bool incomplete;

    struct result_target *targets;
    size_t ntargets, captargets;
    struct result_case *cases;
    size_t ncases, capcases;
    struct result_counter *counters;
    size_t ncounters, capcounters;
    struct result_hist *hists;
    size_t nhists, caphists;
    struct result_kv *properties;
    size_t nproperties, capproperties;
};

/* A new empty run with a fresh run id and this tool's version. */
struct result_run *result_run_new(const char *kind);
void result_run_free(struct result_run *run); /* NULL is a no-op */

struct result_target *result_target_add(struct result_run *run);
struct result_case *result_case_add(struct result_run *run);
struct result_counter *result_counter_add(struct result_run *run);
struct result_hist *result_hist_add(struct result_run *run);
struct result_kv *result_property_add(struct result_run *run);

void result_case_clear(struct result_case *c); /* frees members, zeroes */
void result_step_clear(struct result_step *s); /* frees members, zeroes */
void result_case_add_tag(struct result_case *c, const char *tag);
struct result_conn *result_conn_add(struct result_case *c);
struct result_step *result_step_add(struct result_case *c);
struct result_kv *result_capture_add(struct result_case *c);
struct result_cert *result_cert_add(struct result_tls *t);
struct result_bucket *result_bucket_add(struct result_hist *h);

/* Appends a transcript line of raw bytes p[0..n) (escaped here, cut at
 * RESULT_EVENT_MAX); past RESULT_EVENTS_MAX lines only counts them. */
void result_event_add(struct result_case *c, int64_t t_us, char dir,
                      const char *conn, const void *p, size_t n);
/* The same for a line already escaped (notes, JSON reader). */
void result_event_add_escaped(struct result_case *c, int64_t t_us, char dir,
                              const char *conn, const char *escaped);

/* Counts the verdicts of every case. */
void result_counts(const struct result_run *run, struct verdict_counts *out);
/* Finds a counter by name, or NULL. */
struct result_counter *result_counter_find(struct result_run *run,
                                           const char *name);

/* Moves the contents of *src into *dst (dst must be empty), zeroing src. */
void result_case_move(struct result_case *dst, struct result_case *src);

#endif
