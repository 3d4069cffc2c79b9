/* diff: what changed between two runs (compare, run --baseline), and the
 * case x target matrix of one or more runs (audit). Pure functions over
 * the result model. Cases are matched by target name and id. */
#ifndef SMTPSUITE_DIFF_H
#define SMTPSUITE_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "harness/result.h"

#define DIFF_CLASS_LIST(X)                                                     \
    X(NEW_FAIL, "newly failing")                                               \
    X(NEW_ERROR, "newly erroring")                                             \
    X(NEW_PASS, "newly passing")                                               \
    X(STILL_FAIL, "still failing")                                             \
    X(CHANGED, "verdict changed")                                              \
    X(ONLY_A, "only in the first")                                             \
    X(ONLY_B, "only in the second")                                            \
    X(HASH, "case file changed")                                               \
    X(SAME, "unchanged")

enum diff_class {
#define X(e, s) DIFF_##e,
    DIFF_CLASS_LIST(X)
#undef X
        DIFF_COUNT
};

struct diff_entry {
    enum diff_class cls;
    const struct result_case *a, *b; /* either may be NULL */
    bool hash_changed;
};

struct diff {
    struct diff_entry *e;
    size_t n, cap;
    size_t count[DIFF_COUNT];
    bool by_target; /* cases were matched by target and id */
};

/* strict: WARN and XPASS count as failing. Entries point into a and b,
 * which must outlive d. */
void diff_runs(const struct result_run *a, const struct result_run *b,
               bool strict, struct diff *d);
void diff_free(struct diff *d);
const char *diff_class_name(enum diff_class c);
/* Prints the entries that are not SAME, grouped by class, then counts. */
void diff_print(const struct diff *d, FILE *fp, bool color);

/* The matrix of cases (rows) x columns; a column is one target of one
 * run. Prints verdict cells, one row per case id. */
void diff_matrix_print(const struct result_run *const *runs, size_t nruns,
                       FILE *fp, bool color);

#endif
