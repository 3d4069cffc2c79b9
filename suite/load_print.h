/* load_print: what the load verb shows people: a live line once a
 * second on a terminal, the --live file's JSON lines (one a second, for
 * dashboards), and the summary at the end (counts, rates, per-step
 * percentiles on both bases, errors by step and outcome, thresholds,
 * the generator's health). Reads the load outcome; never judges. */
#ifndef SMTPSUITE_LOAD_PRINT_H
#define SMTPSUITE_LOAD_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include "harness/deliver.h"
#include "harness/load_run.h"

/* A threshold as judged, for the summary. */
struct load_print_threshold {
    const char *text;
    const char *status; /* pass | breach | unmeasured | unjudged */
    const char *observed;
};

struct load_print_summary {
    const char *model;     /* "open model, 200 sessions/s for 60s" */
    const char *target;    /* "127.0.0.1:2525" */
    const char *scenarios; /* "load.helo (cases/load/helo.smtp)" */
    unsigned threads;
    const struct load_outcome *o;
    const struct load_print_threshold *thresholds;
    size_t nthresholds;
    const char *title; /* "smtpsuite load" when NULL */
    const char *shard; /* a line about the shards, or NULL */
    const struct deliver_report *delivery; /* --deliver-to, or NULL */
    const char *deliver_to;
    int64_t late_us;
};

/* The live line of one second: l now, prev a second ago. On a terminal
 * it overwrites the line before (call load_print_live_end last). */
void load_print_live(FILE *fp, const struct load_live *l,
                     const struct load_live *prev, bool tty);
void load_print_live_end(FILE *fp, bool tty);
/* One JSON object on one line, flushed. */
void load_print_live_json(FILE *fp, const struct load_live *l,
                          const struct load_live *prev);
void load_print_summary(FILE *fp, const struct load_print_summary *s);
/* The delivery block of a run with --deliver-to (load and run). */
void load_print_delivery(FILE *fp, const struct deliver_report *r,
                         const char *to, int64_t late_us);
/* "850us", "12.3ms", "1.23s": three significant digits. */
void load_print_us(int64_t us, char *out, size_t outlen);

#endif
