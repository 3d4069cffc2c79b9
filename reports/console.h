/* console: the human-readable stream of a run on a terminal or a log:
 * one line per case as results arrive in order, details for each case
 * that did not pass, transcripts with --verbose, a progress line on a
 * TTY, a summary at the end. Colour only on a TTY and never with
 * NO_COLOR. Nothing from a server reaches the terminal unescaped. */
#ifndef SMTPSUITE_CONSOLE_H
#define SMTPSUITE_CONSOLE_H

#include <stdbool.h>
#include <stdio.h>

#include "harness/result.h"

struct console_params {
    FILE *fp;       /* results (stdout) */
    FILE *progress; /* progress line (stderr), or NULL */
    bool color;
    bool quiet;     /* only non-passing cases and the summary */
    bool verbose;   /* transcripts of every case */
};

struct console;

struct console *console_new(const struct console_params *p);
void console_free(struct console *c);
/* Decides colour for fp: a TTY, NO_COLOR unset, not disabled. */
bool console_want_color(FILE *fp, bool disabled);
/* Prints one finished case. */
void console_case(struct console *c, const struct result_case *rc);
/* Redraws the progress line (TTY only). */
void console_progress(struct console *c, size_t done, size_t total,
                      size_t running);
/* Prints the counts and the run's duration. */
void console_summary(struct console *c, const struct result_run *run);
/* Writes s with control bytes escaped (UTF-8 text passes). */
void console_safe(FILE *fp, const char *s);

#endif
