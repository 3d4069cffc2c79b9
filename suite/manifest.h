/* manifest: .suite files. One entry per line, relative to the manifest:
 *
 *   # a comment
 *   ../core/greeting-is-220.smtp   a case file
 *   ../syn/                        a folder (every .smtp in it)
 *   ../smug/lf-?*.smtp             a glob (glob(3): * ? [...])
 *   core.rset.*                    case ids (a glob) from the library
 *   include other.suite            another manifest (also: other.suite)
 *
 * An entry with a '/' or ending in .smtp or .suite is a path; any other
 * is an id glob. Includes are followed here (cycles and depth over 16
 * refused); paths, globs and ids are resolved by the loader. Sans I/O:
 * included manifests come through a reader callback. */
#ifndef SMTPSUITE_MANIFEST_H
#define SMTPSUITE_MANIFEST_H

#include <stddef.h>

#include "suite/case_parse.h"
#include "suite/diag.h"

#define MANIFEST_MAX_DEPTH 16
#define MANIFEST_MAX_FILE  (1u << 20)

enum manifest_kind {
    MANIFEST_PATH, /* a file or folder (value joined with the manifest) */
    MANIFEST_GLOB, /* a path glob (joined) */
    MANIFEST_ID,   /* a case-id glob */
};

struct manifest_entry {
    enum manifest_kind kind;
    char *value;
    const char *file; /* the manifest it came from (owned by the list) */
    int line, col;
    char *src; /* the source line, for messages */
};

struct manifest {
    struct manifest_entry *v;
    size_t n, cap;
    char **files; /* every manifest read, in order */
    size_t nfiles, capfiles;
};

/* Appends the entries of the manifest `file` (bytes in buf) and of the
 * manifests it includes to m. Returns 0, or -1 after reporting errors. */
int manifest_parse(const char *file, const char *buf, size_t len,
                   case_read_fn read, void *arg, struct manifest *m,
                   struct diag *d);
void manifest_free(struct manifest *m);
/* Reports an error at entry e. */
void manifest_error(struct diag *d, const struct manifest_entry *e,
                    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
