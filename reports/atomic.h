/* atomic: report files appear whole or not at all. A writer opens a
 * temporary file beside the target, writes, and commits (flush, fsync,
 * rename); abort removes the temporary file. "-" means standard output,
 * written directly. */
#ifndef SMTPSUITE_ATOMIC_H
#define SMTPSUITE_ATOMIC_H

#include <stdio.h>

struct atomic_file {
    FILE *fp;
    char *path; /* final path, or NULL for stdout */
    char *tmp;  /* temporary path */
};

/* Opens; returns 0, or -1 with the reason in err. */
int atomic_open(struct atomic_file *af, const char *path, char *err,
                size_t errlen);
/* Flushes, syncs and renames into place; returns 0 or -1 with err. */
int atomic_commit(struct atomic_file *af, char *err, size_t errlen);
/* Discards the temporary file. Safe after a failed commit. */
void atomic_abort(struct atomic_file *af);

#endif
