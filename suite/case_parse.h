/* case_parse: case files (docs/case-format.md) into compiled cases
 * (harness/prog.h). Sans I/O: the case file is a buffer; included files
 * come from a reader callback. Every error goes to a diag (file:line:col,
 * the source line, a caret); parsing goes on after an error, line by
 * line, so one pass reports them all. */
#ifndef SMTPSUITE_CASE_PARSE_H
#define SMTPSUITE_CASE_PARSE_H

#include <stddef.h>

#include "harness/prog.h"
#include "suite/diag.h"

#define CASE_MAX_FILE (1u << 20) /* bytes of one case or include file */
#define CASE_MAX_TOTAL                                                         \
    (16u << 20)                   /* bytes read for one case, includes         \
                                     counted each time */
#define CASE_MAX_INCLUDE_DEPTH 16 /* includes within includes */
#define CASE_MAX_NESTING       32 /* open blocks */
#define CASE_MAX_STEPS         65536
#define CASE_MAX_HEREDOC       (256u << 10) /* bytes of one data block */
#define CASE_MAX_REGEX         1024 /* bytes of one regular expression */
#define CASE_MAX_ERRORS        50   /* per case file, then it gives up */
#define CASE_MAX_ID            128

/* Reads an included file. Returns 0 with *buf (malloc'ed, the caller
 * frees it) and *len, or -1 with a one-line reason in err. */
typedef int (*case_read_fn)(void *arg, const char *path, char **buf,
                            size_t *len, char *err, size_t errlen);

struct case_parse_params {
    const char *file; /* the name in messages and in prog_case.file */
    const char *buf;  /* the case file's bytes */
    size_t len;
    case_read_fn read; /* NULL: an include is an error */
    void *arg;
};

/* Parses one case file. Returns the case (caller frees with
 * prog_case_free), or NULL after reporting every error to d. */
struct prog_case *case_parse(const struct case_parse_params *p, struct diag *d);

/* Joins an include path to the directory of the including file and
 * removes "." and "dir/.." parts (without touching the file system).
 * Returns a new string. */
char *case_path_join(const char *including, const char *rel);

#endif
