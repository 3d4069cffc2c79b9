/* target_file: target files (docs/target-format.md) into struct target
 * (harness/target.h). Sans I/O: the file is a buffer; env:/file: values
 * and referenced files go through callbacks. Every error goes to a diag
 * with file:line:col; a line that may hold a secret is never echoed. */
#ifndef SMTPSUITE_TARGET_FILE_H
#define SMTPSUITE_TARGET_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/target.h"
#include "suite/diag.h"

#define TARGET_FILE_MAX  (256u << 10) /* bytes of a target file */
#define TARGET_VALUE_MAX (64u << 10)  /* bytes of a value read from file: */

struct target_file_io {
    /* Reads a file (0 with a malloc'ed *buf, or -1 with err). */
    int (*read)(void *arg, const char *path, char **buf, size_t *len, char *err,
                size_t errlen);
    /* The value of an environment variable, or NULL. */
    const char *(*getenv)(void *arg, const char *name);
    /* 0 if path names a readable file, else -1 with err (may be NULL:
     * not checked). */
    int (*check_file)(void *arg, const char *path, char *err, size_t errlen);
    void *arg;
};

/* Parses a target file. Returns a new target (t->file = file), or NULL
 * after reporting every error to d. */
struct target *target_file_parse(const char *file, const char *buf, size_t len,
                                 const struct target_file_io *io,
                                 struct diag *d);

/* Resolves a value: "env:VAR", "file:PATH" (relative to the directory of
 * relto, or the current directory when relto is NULL) or a literal.
 * Returns 1 with *out (malloc'ed) and *len, 0 when env:VAR is not set,
 * -1 with err. *from_env_file: the value came through env: or file:. */
int target_value_resolve(const char *spec, size_t n, const char *relto,
                         const struct target_file_io *io, char **out,
                         size_t *len, bool *from_env_file, char *err,
                         size_t errlen);

/* True for the fixtures that are always secret: user, pass, token. */
bool target_always_secret(const char *name);

#endif
