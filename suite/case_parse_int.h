/* case_parse_int: what the case parser's two halves share: the parser
 * state, error reporting and step helpers. case_parse.c reads files,
 * lines, headers, includes and blocks and runs the whole-case checks;
 * case_stmt.c compiles one statement line into steps. Not for use
 * outside those two files. */
#ifndef SMTPSUITE_CASE_PARSE_INT_H
#define SMTPSUITE_CASE_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/buf.h"
#include "suite/case_expr.h"
#include "suite/case_lex.h"
#include "suite/case_parse.h"

/* One file being read: the case file or an include. */
struct cp_frame {
    const char *name; /* points into the case's files[] */
    char *owned;      /* the bytes, when read through the callback */
    struct lex_src src;
    int include_line; /* line of the include in the parent frame */
    int nblocks;      /* open blocks when the file started */
};

/* An open block. */
struct cp_block {
    enum prog_step_kind kind; /* PIPE_BEGIN REPEAT_BEGIN IF_BEGIN */
    int step;                 /* its BEGIN step */
    int else_step;            /* IF: its ELSE step, or -1 */
    bool has_counter;         /* REPEAT ... as NAME */
};

struct cp {
    struct prog_case *c;
    struct diag *d;
    const struct case_parse_params *params;
    size_t errors0; /* d->nerrors when the case started */

    struct cp_frame frames[CASE_MAX_INCLUDE_DEPTH + 1];
    int nframes;
    size_t total; /* bytes read, includes counted each time */
    struct buf hashbuf;

    struct cp_block blocks[CASE_MAX_NESTING];
    int nblocks;
    int in_pipeline; /* 0 or 1 */
    size_t stmt_off; /* where the statement being parsed starts */

    char **vars; /* capture / set names defined so far */
    size_t nvars, capvars;
    const char *counters[CASE_MAX_NESTING]; /* repeat counters in scope */
    int ncounters;

    bool steps_started;
    unsigned seen_headers; /* bit per header */
    bool opened[PROG_MAX_CONNS];
    int cur_conn; /* statically: the connection later steps talk on */
    int key_line;

    /* the statement being compiled */
    const struct lex_line *line;
    bool stmt_key;
    char **srcs; /* per step: its whole source line, for later messages */
    size_t capsrcs;
    bool gave_up;
};

/* Reports an error at byte offset off of the current line. */
void cp_err(struct cp *ps, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reports an error at step i (whole-case checks). */
void cp_err_step(struct cp *ps, size_t i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The current frame. */
struct cp_frame *cp_top(struct cp *ps);
/* Appends a step of kind k, positioned at the current statement. */
struct prog_step *cp_step(struct cp *ps, enum prog_step_kind k);
/* Checks the variables of e against the scope; 0 or -1 (reported). */
int cp_check_vars(struct cp *ps, const struct prog_expr *e);
/* Parses an expression at x->pos and checks its variables; NULL when
 * reported. */
struct prog_expr *cp_expr(struct cp *ps, struct lex *x);
/* Declares a capture / set name. */
void cp_define(struct cp *ps, const char *name);
/* Compiles one statement (the line after indentation, at off). 0 or -1. */
int cp_statement(struct cp *ps, struct lex *x);
/* Opens / closes blocks ("}" and "} else {" lines). */
int cp_block_open(struct cp *ps, enum prog_step_kind k, int step, bool counter);
int cp_block_close(struct cp *ps, struct lex *x);
/* Handles an include line's path. */
int cp_include(struct cp *ps, const char *path, size_t off);
/* True if name is a valid variable / connection name. */
bool cp_is_name(const char *p, size_t n);

#endif
