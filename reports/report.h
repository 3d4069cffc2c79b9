/* report: the report formats behind one ops table (STYLE.md rule 7).
 * Every writer reads a finished result model and writes one file; the
 * verbs name the formats they were asked for and report_write_all()
 * writes each atomically (reports/atomic.h), collecting the errors. */
#ifndef SMTPSUITE_REPORT_H
#define SMTPSUITE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "harness/result.h"

struct report_options {
    bool strict;       /* --strict: WARN and XPASS count as failures */
    const char *title; /* HTML title, JUnit testsuites name; NULL: default */
};

/* Writes run to path atomically ("-": standard output); 0, or -1 with
 * the reason in err. */
typedef int report_write_fn(const struct result_run *run, const char *path,
                            const struct report_options *opts, char *err,
                            size_t errlen);
/* Writes run to an open stream; 0, or -1 with err. */
typedef int report_dump_fn(const struct result_run *run, FILE *fp,
                           const struct report_options *opts, char *err,
                           size_t errlen);

struct report_format {
    const char *name; /* "json", "junit", "html" */
    const char *ext;  /* usual file name suffix */
    report_write_fn *write;
};

/* One requested output: a format name and the path to write. */
struct report_output {
    const char *format;
    const char *path;
};

/* The format table, in order; *n receives its length. */
const struct report_format *report_formats(size_t *n);
/* The format called name, or NULL. */
const struct report_format *report_format_find(const char *name);
/* Writes dump's output to path through a temporary file and a rename;
 * nothing is left behind on failure. 0, or -1 with err. */
int report_write_atomic(const struct result_run *run, const char *path,
                        report_dump_fn *dump, const struct report_options *opts,
                        char *err, size_t errlen);
/* Writes every output, even after one failed; 0 if all were written,
 * else -1 with one "format: reason" line per failure in err. Unknown
 * formats and two outputs to one path fail before anything is written. */
int report_write_all(const struct result_run *run,
                     const struct report_output *outs, size_t n,
                     const struct report_options *opts, char *err,
                     size_t errlen);

/* Helpers the writers share, so JUnit and HTML agree. */

/* The area of a case id: up to its first '.' ("core" for
 * core.rset.clears-envelope), "unnamed" for an empty one; caller frees. */
char *report_area(const char *id);
/* True when the run has several targets: writers then name the target
 * beside every case. */
bool report_several_targets(const struct result_run *run);
/* The step that decided the case: the recorded one, else the last step
 * that did not pass, else the last step; NULL without steps. */
const struct result_step *report_deciding_step(const struct result_case *c);

#endif
