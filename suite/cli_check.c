/* cli_check: the 'check' verb: parses and validates case files, suites
 * and target files without connecting anywhere, reports every error of
 * every file, and exits 0 when all is clean, 2 otherwise. */
#include "suite/load.h"
#include "suite/verbs.h"
#include "harness/target.h"
#include "harness/verdict.h"
#include "harness/xalloc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct check_opts {
    struct cli_list ids;
    const char *tags;
    const char *cases_dir;
    struct cli_list targets;
    bool quiet;
};

static const struct cli_opt OPTS[] = {
    CLI_SECTION("selection"),
    {"id", 0, CLI_LIST, offsetof(struct check_opts, ids), "GLOB",
     "only cases whose id matches GLOB (repeatable; any matches)", 0, 0, NULL},
    {"tags", 0, CLI_STR, offsetof(struct check_opts, tags), "EXPR",
     "only cases whose tags satisfy EXPR: tag names or globs with\n"
     "and, or, not, parentheses; ',' means or (e.g. 'core,pipelining')",
     0, 0, NULL},
    {"cases-dir", 0, CLI_STR, offsetof(struct check_opts, cases_dir), "DIR",
     "where suite names and case ids are looked up (default:\n"
     "$SMTPSUITE_CASES_DIR, else ./cases, else the installed library)",
     0, 0, NULL},
    CLI_SECTION("targets"),
    {"target-file", 0, CLI_LIST, offsetof(struct check_opts, targets), "FILE",
     "also check this target file (repeatable)", 0, 0, NULL},
    CLI_SECTION("output"),
    {"quiet", 'q', CLI_FLAG, offsetof(struct check_opts, quiet), NULL,
     "print errors only, no summary line", 0, 0, NULL},
};

static int check_main(int argc, char **argv);

const struct cli_verb cli_verb_check = {
    .name = "check",
    .summary = "lint case files, suites and target files without connecting",
    .usage = "[options] PATH...",
    .description =
        "Parses and validates case files (.smtp), suite manifests (.suite)\n"
        "and target files (.target) without connecting to any server, and\n"
        "reports every error of every file as FILE:LINE:COL: MESSAGE with\n"
        "the source line and a caret.\n\n"
        "Each PATH is a case file, a folder (every .smtp, .suite and\n"
        ".target file in it, recursively), a .suite manifest, a .target\n"
        "file, or a suite name looked up as CASES_DIR/suites/NAME.suite.\n"
        "The language is described in docs/case-format.md, targets in\n"
        "docs/target-format.md.\n",
    .epilog =
        "exit status:\n"
        "  0  everything parsed and at least one case was selected\n"
        "  2  a usage, case-file, suite or target error, or no case\n"
        "     selected\n\n"
        "examples:\n"
        "  smtpsuite check cases\n"
        "  smtpsuite check --target-file cases/targets/sink.target smoke\n"
        "  smtpsuite check --tags 'cat:SYN-* and not slow' cases/syn\n",
    .opts = OPTS,
    .nopts = sizeof OPTS / sizeof OPTS[0],
    .main = check_main,
};

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Adds the files under dir ending in suffix to l (strings owned by own). */
static void add_found(const char *dir, const char *suffix, struct cli_list *l,
                      struct cli_list *own)
{
    size_t n;
    char **v = load_find(dir, suffix, &n, stderr);
    for (size_t i = 0; i < n; i++) {
        cli_list_add(l, v[i]);
        cli_list_add(own, v[i]);
    }
    free(v);
}

/* Sorts positional arguments into case paths and target files. */
static void split_paths(const struct cli_list *pos, struct cli_list *paths,
                        struct cli_list *targets, struct cli_list *own)
{
    for (size_t i = 0; i < pos->n; i++) {
        const char *p = pos->v[i];
        if (has_suffix(p, ".target")) {
            cli_list_add(targets, (char *)p);
            continue;
        }
        cli_list_add(paths, (char *)p);
        if (is_dir(p)) {
            add_found(p, ".suite", paths, own);
            add_found(p, ".target", targets, own);
        }
    }
}

/* Checks every target file; returns how many had errors. */
static size_t check_targets(const struct cli_list *targets)
{
    size_t bad = 0;
    for (size_t i = 0; i < targets->n; i++) {
        struct target *t = load_target_file(targets->v[i], stderr);
        bad += t == NULL;
        target_free(t);
    }
    return bad;
}

static void summary(const struct check_opts *o, const struct load_result *r,
                    size_t ntargets, size_t npaths)
{
    if (o->quiet)
        return;
    if (npaths && r->ncases != r->nparsed)
        printf("smtpsuite check: %zu of %zu cases selected, %zu files",
               r->ncases, r->nparsed, r->nfiles);
    else if (npaths)
        printf("smtpsuite check: %zu case%s, %zu file%s", r->ncases,
               r->ncases == 1 ? "" : "s", r->nfiles, r->nfiles == 1 ? "" : "s");
    else
        printf("smtpsuite check:");
    if (ntargets)
        printf("%s%zu target%s", npaths ? ", " : " ", ntargets,
               ntargets == 1 ? "" : "s");
    printf(": OK\n");
}

static int check_main(int argc, char **argv)
{
    struct check_opts o = {0};
    struct cli_list pos = {0}, paths = {0}, targets = {0}, own = {0};
    enum cli_status st = cli_parse(&cli_verb_check, argc, argv, &o, &pos);
    int rc = st == CLI_HELP ? EXIT_OK : EXIT_USAGE;
    if (st != CLI_OK)
        goto done;
    if (pos.n == 0 && o.targets.n == 0) {
        rc = cli_error(&cli_verb_check, "no PATH given (try --help)");
        goto done;
    }
    for (size_t i = 0; i < o.targets.n; i++)
        cli_list_add(&targets, o.targets.v[i]);
    split_paths(&pos, &paths, &targets, &own);
    struct load_params lp = {paths.v, paths.n, o.ids.v,
                             o.ids.n, o.tags,  o.cases_dir};
    struct load_result res = {0};
    if (paths.n)
        load_cases(&lp, &res, stderr);
    size_t bad = check_targets(&targets);
    if (res.nerrors || bad) {
        fprintf(stderr,
                "smtpsuite check: %zu error%s in case files and "
                "suites, %zu target file%s with errors\n",
                res.nerrors, res.nerrors == 1 ? "" : "s", bad,
                bad == 1 ? "" : "s");
    } else if (paths.n && res.ncases == 0) {
        fprintf(stderr, "smtpsuite check: no case selected (%zu parsed)\n",
                res.nparsed);
    } else {
        summary(&o, &res, targets.n, paths.n);
        rc = EXIT_OK;
    }
    load_result_free(&res);
done:
    for (size_t i = 0; i < own.n; i++)
        free(own.v[i]);
    cli_list_free(&own);
    cli_list_free(&paths);
    cli_list_free(&targets);
    cli_list_free(&pos);
    cli_list_free(&o.ids);
    cli_list_free(&o.targets);
    return rc;
}
