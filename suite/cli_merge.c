/* cli_merge: the 'merge' verb. Reads the JSON results of the shards of
 * one load run, adds them up (suite/merge.c), judges the thresholds on
 * the whole (those the shards recorded, and --threshold), prints the
 * summary a single run prints and writes the same reports. Exit codes
 * (DESIGN.md): 0 no threshold breached, 2 usage (an unreadable file, a
 * file that is not a load result, a threshold naming an unknown metric
 * or step), 3 a shard missing, duplicated, failed or of another run
 * (schedule, scenarios, shard count, run id, histogram parameters:
 * nothing is merged then), or nothing measured, 99 a threshold
 * breached. */
#include "suite/verbs.h"
#include "suite/load_judge.h"
#include "suite/load_print.h"
#include "suite/merge.h"
#include "suite/threshold.h"
#include "harness/verdict.h"
#include "harness/xalloc.h"
#include "reports/json.h"
#include "reports/report.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THRESHOLDS 64
#define MAX_FILES      100000

struct merge_opts {
    struct cli_list thresholds;
    bool no_shard_thresholds;
    const char *json;
    const char *junit;
    const char *html;
};

#define O(f) offsetof(struct merge_opts, f)

/* clang-format off */
static const struct cli_opt OPTS[] = {
    CLI_SECTION("judging and output"),
    {"threshold", 0, CLI_LIST, O(thresholds), "EXPR", "a requirement on the whole run, e.g. 'p99(eod) < 250ms'\n(repeatable; added to those the shards recorded)", 0, 0, NULL},
    {"no-shard-thresholds", 0, CLI_FLAG, O(no_shard_thresholds), NULL, "judge only --threshold, not the thresholds the\nshards recorded", 0, 0, NULL},
    {"json", 0, CLI_STR, O(json), "FILE", "write the merged JSON result file", 0, 0, NULL},
    {"junit", 0, CLI_STR, O(junit), "FILE", "write a JUnit XML report: a testcase a threshold", 0, 0, NULL},
    {"html", 0, CLI_STR, O(html), "FILE", "write a self-contained HTML report with charts", 0, 0, NULL},
};
/* clang-format on */

static int merge_main(int argc, char **argv);

const struct cli_verb cli_verb_merge = {
    .name = "merge",
    .summary = "add up result files of several load shards",
    .usage = "[options] FILE...",
    .description =
        "Adds up the JSON results of the shards of one load run (smtpsuite\n"
        "load --shard, or under mpirun, srun or an Indexed Job): histograms\n"
        "and counters exactly, then judges the thresholds on the whole and\n"
        "writes the reports a single run writes (docs/distributed.md).\n"
        "Files of another run (schedule, scenarios, shard count, run id)\n"
        "are refused; missing, duplicated and failed shards are named.\n",
    .epilog =
        "exit codes:\n"
        "  0    no threshold breached (and some session succeeded)\n"
        "  2    usage error, a file that cannot be read or is not a\n"
        "       load result, a threshold naming an unknown metric or step\n"
        "  3    a shard missing, given twice or failed (the reports are\n"
        "       still written, marked incomplete); a file of another run\n"
        "       (schedule, scenarios, shard count, run id) or with\n"
        "       histograms of other parameters (nothing is merged);\n"
        "       nothing measured, or a threshold not measured\n"
        "  99   a threshold breached\n",
    .opts = OPTS,
    .nopts = sizeof OPTS / sizeof OPTS[0],
    .main = merge_main,
};

/* The thresholds: the shards' (unless told not to), then --threshold;
 * one threshold written two ways is judged once. */
struct judging {
    struct threshold th[MAX_THRESHOLDS];
    size_t nth;
};

static int add_threshold(struct judging *j, const char *text,
                         const struct threshold_vocab *v)
{
    char err[512], a[THRESHOLD_MAX_TEXT + 1], b[THRESHOLD_MAX_TEXT + 1];
    struct threshold t;
    if (threshold_parse(text, v, &t, err, sizeof err) != 0)
        return cli_error(&cli_verb_merge, "%s", err);
    threshold_format(&t, a, sizeof a);
    for (size_t i = 0; i < j->nth; i++) {
        threshold_format(&j->th[i], b, sizeof b);
        if (strcmp(a, b) == 0)
            return 0;
    }
    if (j->nth == MAX_THRESHOLDS)
        return cli_error(&cli_verb_merge, "more than %d thresholds",
                         MAX_THRESHOLDS);
    j->th[j->nth++] = t;
    return 0;
}

static int parse_thresholds(const struct merge_opts *o,
                            const struct merge_outcome *m, struct judging *j)
{
    struct threshold_vocab v = {THRESHOLD_LOAD_METRICS, THRESHOLD_LOAD_NMETRICS,
                                (const char *const *)m->steps, m->nsteps};
    int rc = 0;
    for (size_t i = 0; !o->no_shard_thresholds && i < m->nthresholds; i++)
        if (add_threshold(j, m->thresholds[i], &v) != 0)
            rc = EXIT_USAGE;
    for (size_t i = 0; i < o->thresholds.n; i++)
        if (add_threshold(j, o->thresholds.v[i], &v) != 0)
            rc = EXIT_USAGE;
    return rc;
}

/* Reads every file; 0, or 2 after naming the one that could not be. */
static int read_all(const struct cli_list *pos, struct result_run **runs)
{
    for (size_t i = 0; i < pos->n; i++) {
        char err[1024];
        runs[i] = report_json_read(pos->v[i], err, sizeof err);
        if (!runs[i])
            return cli_error(&cli_verb_merge, "%s", err);
    }
    return 0;
}

static const char *property(const struct result_run *run, const char *name)
{
    for (size_t i = 0; i < run->nproperties; i++)
        if (strcmp(run->properties[i].name, name) == 0)
            return run->properties[i].value;
    return NULL;
}

static void summary(const struct merge_outcome *m,
                    const struct load_print_threshold *pt, size_t nth)
{
    const struct result_run *run = m->run;
    const char *threads = property(run, "load.threads");
    char *shards = xasprintf("%zu of %u merged, run %s%s%s", m->merged,
                             m->nshards, run->run_id, m->problems ? ": " : "",
                             m->problems ? m->problems : "");
    const char *model = property(run, "load.model");
    const char *sc = property(run, "load.scenarios");
    struct load_print_summary ps = {
        model ? model : "?",
        run->ntargets && run->targets[0].address ? run->targets[0].address
                                                 : "?",
        sc ? sc : "?",
        threads ? (unsigned)strtoul(threads, NULL, 10) : 0,
        &m->o,
        pt,
        nth,
        "smtpsuite merge",
        shards,
        NULL,
        NULL,
        0,
    };
    load_print_summary(stdout, &ps);
    free(shards);
}

static int write_reports(const struct merge_opts *o,
                         const struct result_run *run)
{
    struct report_output outs[3];
    size_t n = 0;
    if (o->json)
        outs[n++] = (struct report_output){"json", o->json};
    if (o->junit)
        outs[n++] = (struct report_output){"junit", o->junit};
    if (o->html)
        outs[n++] = (struct report_output){"html", o->html};
    struct report_options ro = {false, NULL};
    char err[2048];
    if (n == 0 || report_write_all(run, outs, n, &ro, err, sizeof err) == 0)
        return EXIT_OK;
    fprintf(stderr, "smtpsuite merge: %s\n", err);
    return EXIT_INCONCLUSIVE;
}

/* 3 for an incomplete set of shards (whatever the thresholds say: the
 * figures are not the whole run's), 99 a breach, 3 nothing succeeded or
 * a threshold not measured, else 0. */
static int exit_code(const struct merge_outcome *m,
                     const struct load_judge_tally *t)
{
    if (m->problems)
        return EXIT_INCONCLUSIVE;
    if (t->breaches)
        return EXIT_THRESHOLD;
    if (load_stats_counts_const(m->o.stats)->ok == 0 || t->unmeasured)
        return EXIT_INCONCLUSIVE;
    return EXIT_OK;
}

/* Merges, judges, tells; the exit code. */
static int merge_and_judge(const struct merge_opts *o,
                           const struct cli_list *pos, struct result_run **runs)
{
    char err[2048];
    struct merge_outcome m;
    int st = merge_shards(runs, (const char *const *)pos->v, pos->n, &m, err,
                          sizeof err);
    if (st == MERGE_BAD_FILE)
        return cli_error(&cli_verb_merge, "%s", err);
    if (st != MERGE_OK) { /* the set of shards is wrong, not the command */
        fprintf(stderr, "smtpsuite merge: %s\n", err);
        return EXIT_INCONCLUSIVE;
    }
    struct judging *j = xcalloc(1, sizeof *j);
    int code = parse_thresholds(o, &m, j);
    if (code == 0) {
        struct load_print_threshold pt[MAX_THRESHOLDS];
        char obs[MAX_THRESHOLDS][THRESHOLD_MAX_OBSERVED];
        struct load_judge_tally tally = {0, 0};
        load_judge(j->th, j->nth, m.o.stats, NULL, false, m.run, pt, obs,
                   &tally);
        summary(&m, pt, j->nth);
        if (m.problems)
            fprintf(stderr, "smtpsuite merge: %s\n", m.problems);
        code = exit_code(&m, &tally);
        if (write_reports(o, m.run) != EXIT_OK && code == EXIT_OK)
            code = EXIT_INCONCLUSIVE;
    }
    free(j);
    merge_outcome_free(&m);
    return code;
}

static int merge_main(int argc, char **argv)
{
    struct merge_opts o = {0};
    struct cli_list pos = {0};
    struct result_run **runs = NULL;
    int code = EXIT_USAGE;
    enum cli_status st = cli_parse(&cli_verb_merge, argc, argv, &o, &pos);
    if (st != CLI_OK) {
        code = st == CLI_HELP ? EXIT_OK : EXIT_USAGE;
        goto out;
    }
    if (pos.n == 0 || pos.n > MAX_FILES) {
        code = cli_error(&cli_verb_merge,
                         "give the shards' result files (1 to %d), e.g. "
                         "out/r-*.json",
                         MAX_FILES);
        goto out;
    }
    runs = xcalloc(pos.n, sizeof *runs);
    code = read_all(&pos, runs);
    if (code == 0)
        code = merge_and_judge(&o, &pos, runs);
out:
    for (size_t i = 0; runs && i < pos.n; i++)
        result_run_free(runs[i]);
    free(runs);
    cli_list_free(&pos);
    cli_list_free(&o.thresholds);
    return code;
}
