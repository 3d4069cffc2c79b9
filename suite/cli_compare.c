/* cli_compare: the 'compare' verb. Two result files: what newly fails,
 * newly errors, newly passes, still fails, what is present in only one,
 * whose case file changed; exit 1 on a new failure. One file with
 * several targets, or more than two files: the case x target matrix. */
#include "suite/verbs.h"
#include "harness/verdict.h"
#include "reports/console.h"
#include "reports/diff.h"
#include "reports/json.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

struct compare_opts {
    bool strict;
    bool matrix;
    bool no_color;
};

#define O(f) offsetof(struct compare_opts, f)

static const struct cli_opt OPTS[] = {
    {"strict", 0, CLI_FLAG, O(strict), NULL, "WARN and XPASS count as failing", 0, 0, NULL},
    {"matrix", 'm', CLI_FLAG, O(matrix), NULL, "print the case x target matrix, even for two files", 0, 0, NULL},
    {"no-color", 0, CLI_FLAG, O(no_color), NULL, "no colour (also: NO_COLOR set)", 0, 0, NULL},
};

static int compare_main(int argc, char **argv);

const struct cli_verb cli_verb_compare = {
    .name = "compare",
    .summary = "compare two result files, or several targets, side by side",
    .usage = "[options] A.json B.json [MORE.json...]",
    .description =
        "With two files, A the baseline and B the new run: cases newly failing,\n"
        "newly erroring, newly passing, still failing, present in one file only,\n"
        "and cases whose case file changed (content hash). Cases are matched by\n"
        "target and id. With one file holding several targets, or more than two\n"
        "files, prints the case x target matrix.\n",
    .epilog = "exit codes:\n"
              "  0  no new failure (or a matrix was printed)\n"
              "  1  a case fails in B that did not fail in A\n"
              "  2  usage error, or a file that is not a result file\n",
    .opts = OPTS,
    .nopts = sizeof OPTS / sizeof OPTS[0],
    .main = compare_main,
};

static int compare_main(int argc, char **argv)
{
    struct compare_opts o = {0};
    struct cli_list pos = {0};
    struct result_run **runs = NULL;
    int code = EXIT_USAGE;
    enum cli_status st = cli_parse(&cli_verb_compare, argc, argv, &o, &pos);
    if (st != CLI_OK) {
        code = st == CLI_HELP ? EXIT_OK : EXIT_USAGE;
        goto out;
    }
    if (pos.n == 0) {
        cli_error(&cli_verb_compare, "give two result files (or one with several targets)");
        goto out;
    }
    runs = calloc(pos.n, sizeof *runs);
    for (size_t i = 0; i < pos.n; i++) {
        char err[512];
        runs[i] = report_json_read(pos.v[i], err, sizeof err);
        if (!runs[i]) {
            cli_error(&cli_verb_compare, "%s", err);
            goto out;
        }
    }
    bool color = console_want_color(stdout, o.no_color);
    if (pos.n == 2 && !o.matrix) {
        struct diff d;
        diff_runs(runs[0], runs[1], o.strict, &d);
        diff_print(&d, stdout, color);
        code = d.count[DIFF_NEW_FAIL] ? EXIT_FAILED : EXIT_OK;
        diff_free(&d);
    } else if (pos.n == 1 && runs[0]->ntargets < 2 && !o.matrix) {
        cli_error(&cli_verb_compare, "%s holds one target: give a second file to "
                                     "compare with", pos.v[0]);
    } else {
        diff_matrix_print((const struct result_run *const *)runs, pos.n, stdout, color);
        code = EXIT_OK;
    }
out:
    for (size_t i = 0; runs && i < pos.n; i++)
        result_run_free(runs[i]);
    free(runs);
    cli_list_free(&pos);
    return code;
}
