/* load: from command-line paths to compiled cases, and target files.
 * Reads case files, folders (recursively, sorted by path) and .suite
 * manifests; parses every file, reports every error of every file
 * (file:line:col: message, the source line, a caret) before returning;
 * selects cases by id glob and tag expression; refuses duplicate ids.
 * Nothing here connects anywhere. */
#ifndef SMTPSUITE_LOAD_H
#define SMTPSUITE_LOAD_H

#include <stddef.h>
#include <stdio.h>

#include "harness/prog.h"
#include "harness/target.h"

struct load_params {
    char *const *paths; /* files, folders, .suite manifests */
    size_t npaths;
    char *const *id_globs; /* --id GLOB (any matches); none: all */
    size_t nid_globs;
    const char *tags_expr; /* --tags EXPR, or NULL */
    const char *cases_dir; /* where names without a path are looked up
                              (e.g. "smoke" -> CASES_DIR/suites/smoke.suite);
                              NULL: load_cases_dir(NULL) */
};

struct load_result {
    struct prog_case **cases; /* selected cases, in input order */
    size_t ncases;
    size_t nparsed; /* cases parsed before selection */
    size_t nerrors; /* errors printed */
    size_t nfiles;  /* distinct files read: cases, includes, manifests */
};

/* The cases folder (CASES_DIR), the first of: opt (--cases-dir) when set
 * and not empty; $SMTPSUITE_CASES_DIR when set and not empty; "cases" when
 * ./cases is a folder (a checkout); the installed library (the install prefix's
 * share/smtpsuite/cases). Points into opt, the environment or a constant. */
const char *load_cases_dir(const char *opt);

/* Loads and selects. Every error goes to errfp; returns 0 when there was
 * none, else -1 (the caller exits 2). The caller frees res with
 * load_result_free even on error. */
int load_cases(const struct load_params *p, struct load_result *res,
               FILE *errfp);
void load_result_free(struct load_result *res);

/* Every file under dir whose name ends in suffix (".target"), sorted by
 * path; hidden entries skipped. The caller frees each string and the
 * array. Unreadable folders are reported to errfp. */
char **load_find(const char *dir, const char *suffix, size_t *n, FILE *errfp);

/* Parses a target file into a new target; NULL after printing every
 * error to errfp. Secrets (env:, file:) are resolved here. */
struct target *load_target_file(const char *path, FILE *errfp);

/* Applies --var NAME=VALUE and --secret NAME=env:VAR|file:PATH to t.
 * Returns 0, or -1 with a one-line reason naming the argument in err. */
int load_apply_var(struct target *t, const char *arg, char *err, size_t errlen);
int load_apply_secret(struct target *t, const char *arg, char *err,
                      size_t errlen);

#endif
