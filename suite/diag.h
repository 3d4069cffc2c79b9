/* diag: error messages about input files, as gcc and Hurl print them:
 *
 *   cases/x.smtp:12:5: unknown statement 'foo'
 *      12 | foo bar
 *         |     ^
 *
 * The first line is greppable (file:line:col: message). Every error is
 * counted; the caller decides the exit code from the count. Columns are
 * 1-based and count characters (UTF-8 sequences), not bytes. */
#ifndef SMTPSUITE_DIAG_H
#define SMTPSUITE_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define DIAG_MAX_MSG 512 /* a message is cut here */
#define DIAG_MAX_SRC 240 /* source characters shown around the caret */

struct diag {
    FILE *fp;       /* where messages go; NULL: count only */
    size_t nerrors; /* errors reported so far */
};

/* Where an error is. src/srclen: the whole source line (without its
 * terminator), or NULL; hide_src: print no source line (it may hold a
 * secret). */
struct diag_loc {
    const char *file;
    int line, col;
    const char *src;
    size_t srclen;
    bool hide_src;
};

void diag_init(struct diag *d, FILE *fp);
/* Reports an error at loc (file:line:col: message, source, caret). */
void diag_error(struct diag *d, const struct diag_loc *loc, const char *fmt,
                ...) __attribute__((format(printf, 3, 4)));
/* Reports an error without a position ("file: message" or "message"). */
void diag_plain(struct diag *d, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds an indented note line under the last error; not counted. */
void diag_note(struct diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The 1-based character column of byte offset off in line. */
int diag_col(const char *line, size_t off);

#endif
