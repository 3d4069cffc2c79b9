/* cli_merge: the 'merge' verb. Reads the JSON results of the shards of
 * one load run, adds them up (suite/merge.c), judges the thresholds on
 * the whole (those the shards recorded, and --threshold), prints the
 * summary a single run prints and writes the same reports. Exit codes
 * (DESIGN.md): 0 no threshold breached, 2 usage (an unreadable file, a
 * file that is not a load result, a threshold naming an unknown metric
 * or step), 3 a shard missing, duplicated, failed or of another run
 * (schedule, scenarios, shard count, run id, histogram parameters:
 * nothing is merged then), or nothing measured, 99 a threshold
 * breached.
 *
 * With --deliver-log and --arrivals it also joins the submission logs
 * of the run with the arrival logs of standalone sinks
 * (suite/deliver_join.c) and adds the delivery figures as a load with
 * --deliver-to does (docs/delivery.md "Across machines"): a log that
 * cannot be read or has a malformed line is a usage error (2), a
 * submission log of another run, or a shard's missing or given twice,
 * is 3. */
#include "suite/verbs.h"
#include "suite/cli_deliver.h"
#include "suite/deliver_join.h"
#include "suite/load_judge.h"
#include "suite/load_print.h"
#include "suite/merge.h"
#include "suite/shard.h"
#include "suite/threshold.h"
#include "harness/buf.h"
#include "harness/deliver.h"
#include "harness/hist.h"
#include "harness/verdict.h"
#include "harness/xalloc.h"
#include "reports/json.h"
#include "reports/report.h"

#include <glob.h>
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
    struct cli_list deliver_logs; /* --deliver-log, paths or globs */
    struct cli_list arrivals;     /* --arrivals, paths or globs */
    int64_t deliver_late;
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
    CLI_SECTION("delivery join (docs/delivery.md, across machines)"),
    {"deliver-log", 0, CLI_LIST, O(deliver_logs), "FILE", "a submission log of the run (load --deliver-log),\none a shard; repeatable, a quoted glob\n('out/d-*.jsonl') or the path with {shard}", 0, 0, NULL},
    {"arrivals", 0, CLI_LIST, O(arrivals), "FILE", "an arrival log of the next hop (smtpsuite sink\n--record); repeatable, or a quoted glob\n(or with {shard}: one a shard)", 0, 0, NULL},
    {"deliver-late", 0, CLI_DURATION, O(deliver_late), "D", "a message that took longer than D from its 250 to\nits arrival is late (default 10s)", 0, 0, NULL},
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
        "are refused; missing, duplicated and failed shards are named.\n"
        "With --deliver-log and --arrivals it matches the messages the run's\n"
        "server accepted with those that reached a standalone sink\n"
        "(smtpsuite sink --record), and adds the delivery figures: lost,\n"
        "late, duplicated, corrupt, and the 'delivery' latency histogram;\n"
        "one result of 'smtpsuite run --deliver-log' is joined alone (exit 1\n"
        "when a message was lost, duplicated or corrupted).\n",
    .epilog =
        "exit codes:\n"
        "  0    no threshold breached (and some session succeeded)\n"
        "  1    (a run result joined) a message lost, duplicated or corrupted\n"
        "  2    usage error, a file that cannot be read or is not a\n"
        "       load result, a threshold naming an unknown metric or step;\n"
        "       a --deliver-log or --arrivals file that cannot be read or\n"
        "       has a malformed line (named FILE:LINE)\n"
        "  3    a shard missing, given twice or failed (the reports are\n"
        "       still written, marked incomplete); a file of another run\n"
        "       (schedule, scenarios, shard count, run id) or with\n"
        "       histograms of other parameters (nothing is merged);\n"
        "       nothing measured, or a threshold not measured; a\n"
        "       submission log of another run, or a shard's missing or\n"
        "       given twice\n"
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
                    const struct load_print_threshold *pt, size_t nth,
                    const struct merge_delivery *dl)
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
        dl ? dl->report : NULL,
        dl ? dl->to : NULL,
        dl ? dl->late_us : 0,
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

/* ---- the delivery join ------------------------------------------------- */

static void add_path(char ***v, size_t *n, char *path)
{
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = path;
}

/* Adds the paths of one value: with {shard}, one a shard of nshards
 * (as the load's own option was given); else the files a glob matches
 * (it must match one), or the path itself. 0, or -1 after the error. */
static int add_value(const char *opt, const char *v, unsigned nshards,
                     char ***out, size_t *n)
{
    if (shard_path_has(v)) {
        for (unsigned i = 0; i < nshards; i++)
            add_path(out, n, shard_path(v, i));
        return 0;
    }
    glob_t g;
    int r = glob(v, 0, NULL, &g);
    /* a plain path that is not there is read (and named) by the join */
    bool ok = r == 0 || (r == GLOB_NOMATCH && !strpbrk(v, "*?["));
    if (r == 0)
        for (size_t k = 0; k < g.gl_pathc; k++)
            add_path(out, n, xstrdup(g.gl_pathv[k]));
    else if (ok)
        add_path(out, n, xstrdup(v));
    globfree(&g);
    if (!ok)
        return cli_error(&cli_verb_merge, "--%s '%s': no file matches", opt, v),
               -1;
    return 0;
}

static void free_paths(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Paths from --deliver-log or --arrivals values (owned strings, *n of
 * them); NULL and *n 0 after the error. */
static char **expand(const char *opt, const struct cli_list *in,
                     unsigned nshards, size_t *n)
{
    char **out = NULL;
    *n = 0;
    for (size_t i = 0; i < in->n; i++) {
        if (add_value(opt, in->v[i], nshards, &out, n) != 0) {
            free_paths(out, *n);
            *n = 0; /* the caller frees what it got: nothing */
            return NULL;
        }
    }
    return out;
}

/* N of the results' run: their shard "I/N", 1 when not sharded. */
static unsigned shard_count(const struct result_run *run)
{
    unsigned i, n;
    if (run->shard && sscanf(run->shard, "%u/%u", &i, &n) == 2 && n > 0)
        return n;
    return 1;
}

/* A join status as an exit code, after saying why. */
static int join_error(int st, const char *err)
{
    if (st == DELIVER_JOIN_BAD_FILE)
        return cli_error(&cli_verb_merge, "%s", err);
    fprintf(stderr, "smtpsuite merge: %s\n", err);
    return EXIT_INCONCLUSIVE;
}

/* "the arrival log FILE" or "the arrival logs FILE, FILE, ..." */
static char *arrivals_words(char **paths, size_t n)
{
    struct buf b;
    buf_init(&b, 4096);
    buf_adds(&b, n == 1 ? "the arrival log " : "the arrival logs ");
    for (size_t i = 0; i < n && i < 3; i++)
        buf_addf(&b, "%s%s", i ? ", " : "", paths[i]);
    if (n > 3)
        buf_addf(&b, " and %zu more", n - 3);
    return buf_detach(&b);
}

/* Whether a result already has delivery figures (--deliver-to). */
static bool has_delivery(const struct result_run *run)
{
    for (size_t i = 0; i < run->ncounters; i++)
        if (run->counters[i].name &&
            strcmp(run->counters[i].name, "delivery.submitted") == 0)
            return true;
    return false;
}

/* Reads every log into *join (for the run of runs[0]); 0, or the exit
 * code after the error. */
static int join_logs(const struct merge_opts *o, const struct cli_list *pos,
                     struct result_run *const *runs, struct deliver_join **join,
                     char **to)
{
    const struct result_run *run = runs[0];
    for (size_t i = 0; i < pos->n; i++)
        if (has_delivery(runs[i]))
            return cli_error(&cli_verb_merge,
                             "%s already has delivery figures (it ran with "
                             "--deliver-to): nothing to join",
                             pos->v[i]);
    bool one_run = run->kind && strcmp(run->kind, "run") == 0;
    if (one_run && pos->n > 1)
        return cli_error(&cli_verb_merge,
                         "%s is the result of 'smtpsuite run': it joins its "
                         "logs alone, not with other files",
                         pos->v[0]);
    size_t ns = 0, na = 0;
    unsigned nshards = shard_count(run);
    char **subs = expand("deliver-log", &o->deliver_logs, nshards, &ns);
    char **arrs = subs ? expand("arrivals", &o->arrivals, nshards, &na) : NULL;
    if (!subs || !arrs) {
        free_paths(subs, ns);
        return EXIT_USAGE;
    }
    char err[2048];
    struct deliver_join *j =
        deliver_join_new(run->run_id ? run->run_id : "", nshards);
    int st = DELIVER_JOIN_OK;
    for (size_t i = 0; st == DELIVER_JOIN_OK && i < ns; i++)
        st = deliver_join_submissions(j, subs[i], err, sizeof err);
    for (size_t i = 0; st == DELIVER_JOIN_OK && i < na; i++)
        st = deliver_join_arrivals(j, arrs[i], err, sizeof err);
    if (st == DELIVER_JOIN_OK)
        st = deliver_join_finish(j, err, sizeof err);
    *to = arrivals_words(arrs, na);
    free_paths(subs, ns);
    free_paths(arrs, na);
    if (st != DELIVER_JOIN_OK) {
        deliver_join_free(j);
        return join_error(st, err);
    }
    *join = j;
    return 0;
}

/* The result of 'smtpsuite run --deliver-log' and its logs: the delivery
 * figures added as 'run --deliver-to' adds them, the reports written;
 * exit 1 when a message was lost, duplicated or corrupted (the verdict
 * rule of docs/delivery.md), else 0. */
static int join_run(const struct merge_opts *o, struct result_run *run,
                    const struct deliver_join *j, const char *to)
{
    if (o->thresholds.n)
        return cli_error(&cli_verb_merge,
                         "--threshold judges load results; the result of "
                         "'smtpsuite run' is judged by the delivery rule "
                         "(nothing lost, duplicated or corrupted)");
    char err[256];
    struct hist *h = hist_new(&HIST_PARAMS_DEFAULT, err, sizeof err);
    if (!h)
        fatal("merge: %s", err);
    struct deliver_report r;
    deliver_book_report(deliver_join_book(j), o->deliver_late, &r,
                        cli_deliver_hist_latency, h);
    hist_to_result(h, "delivery", "sent", result_hist_add(run));
    hist_free(h);
    cli_deliver_to_result(&r, to, o->deliver_late, NULL, run);
    load_print_delivery(stdout, &r, to, o->deliver_late);
    int code = cli_deliver_exit(&r);
    if (write_reports(o, run) != EXIT_OK && code == EXIT_OK)
        code = EXIT_INCONCLUSIVE;
    return code;
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
                           const struct cli_list *pos, struct result_run **runs,
                           const struct merge_delivery *dl)
{
    char err[2048];
    struct merge_outcome m;
    int st = merge_shards_join(runs, (const char *const *)pos->v, pos->n, dl,
                               &m, err, sizeof err);
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
        load_judge(j->th, j->nth, m.o.stats, dl ? dl->report : NULL, false,
                   m.run, pt, obs, &tally);
        summary(&m, pt, j->nth, dl);
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
    struct deliver_join *join = NULL;
    char *to = NULL;
    o.deliver_late = DELIVER_LATE_US;
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
    if (!o.deliver_logs.n != !o.arrivals.n) {
        code = cli_error(&cli_verb_merge,
                         "--deliver-log and --arrivals go together: the "
                         "submission logs and the next hop's arrival logs");
        goto out;
    }
    runs = xcalloc(pos.n, sizeof *runs);
    code = read_all(&pos, runs);
    if (code == 0 && (o.deliver_logs.n || o.arrivals.n))
        code = join_logs(&o, &pos, runs, &join, &to);
    if (code == 0 && join && runs[0]->kind &&
        strcmp(runs[0]->kind, "run") == 0) {
        code = join_run(&o, runs[0], join, to);
    } else if (code == 0) {
        struct deliver_report report;
        struct merge_delivery dl = {join ? deliver_join_book(join) : NULL,
                                    o.deliver_late, to, &report};
        code = merge_and_judge(&o, &pos, runs, join ? &dl : NULL);
    }
out:
    deliver_join_free(join);
    free(to);
    cli_list_free(&o.deliver_logs);
    cli_list_free(&o.arrivals);
    for (size_t i = 0; runs && i < pos.n; i++)
        result_run_free(runs[i]);
    free(runs);
    cli_list_free(&pos);
    cli_list_free(&o.thresholds);
    return code;
}
