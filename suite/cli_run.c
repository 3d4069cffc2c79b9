/* cli_run: the 'run' verb. Loads and selects cases, runs them against a
 * target with the engine, streams the console, writes the result files
 * and exits with DESIGN.md's code. */
#include "suite/verbs.h"
#include "suite/cli_deliver.h"
#include "suite/cli_target.h"
#include "suite/load.h"
#include "suite/load_print.h"
#include "harness/clock.h"
#include "harness/deliver.h"
#include "harness/hist.h"
#include "harness/engine.h"
#include "harness/tls.h"
#include "harness/verdict.h"
#include "harness/xalloc.h"
#include "reports/console.h"
#include "reports/diff.h"
#include "reports/json.h"
#include "reports/report.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct run_opts {
    struct cli_list targets;      /* --target, repeatable */
    struct cli_list target_files; /* --target-file, repeatable */
    struct cli_target_opts tgt;   /* --bind, --var, --secret, --tls* */
    const char *baseline;
    struct cli_list ids;
    const char *tags;
    const char *cases_dir;
    bool list;
    bool allow_intrusive;
    long jobs;
    long max_connections;
    int64_t connect_delay;
    long retry_tempfail;
    int64_t retry_wait;
    const struct timeouts *tmo;
    bool strict;
    unsigned fail_on;
    const char *json;
    const char *junit;
    const char *html;
    bool quiet;
    bool verbose;
    bool no_color;
    bool trace_states;
    int64_t grace;
    struct cli_deliver_opts dlv; /* --deliver-* */
};

static int set_timeouts(void *opts, const char *arg, char *err, size_t errlen)
{
    struct run_opts *o = opts;
    if (strcmp(arg, "ci") == 0)
        o->tmo = &TIMEOUTS_CI;
    else if (strcmp(arg, "rfc") == 0)
        o->tmo = &TIMEOUTS_RFC;
    else {
        snprintf(err, errlen, "'%s' is not a timeout profile (want ci or rfc)", arg);
        return -1;
    }
    return 0;
}

static int set_fail_on(void *opts, const char *arg, char *err, size_t errlen)
{
    struct run_opts *o = opts;
    unsigned m;
    if (verdict_parse_mask(arg, &m, err, errlen) != 0)
        return -1;
    o->fail_on |= m;
    return 0;
}

#define O(f) offsetof(struct run_opts, f)

static const struct cli_opt OPTS[] = {
    CLI_SECTION("what to run"),
    {"id", 0, CLI_LIST, O(ids), "GLOB", "run only cases whose id matches (repeatable)", 0, 0, NULL},
    {"tags", 0, CLI_STR, O(tags), "EXPR", "run only cases whose tags match, e.g.\n'core and not slow', 'tls,auth'", 0, 0, NULL},
    {"cases-dir", 0, CLI_STR, O(cases_dir), "DIR", "where suite names are looked up (default\n$SMTPSUITE_CASES_DIR, else ./cases, else the\ninstalled library)", 0, 0, NULL},
    {"allow-intrusive", 0, CLI_FLAG, O(allow_intrusive), NULL, "also run cases tagged 'intrusive' (smuggling,\nfloods, relay probes): only on servers you own", 0, 0, NULL},
    {"list", 'l', CLI_FLAG, O(list), NULL, "print what would run and exit; connects nowhere", 0, 0, NULL},
    CLI_SECTION("where"),
    {"target", 't', CLI_LIST, O(targets), "ADDR", "HOST:PORT, [IPV6]:PORT, unix:/PATH, or\nexec:COMMAND (talk to the command's stdin and\nstdout, e.g. 'exec:sendmail -bs'); repeat it to\naudit several servers side by side", 0, 0, NULL},
    {"target-file", 'T', CLI_LIST, O(target_files), "FILE", "a target profile (docs/target-format.md),\nrepeatable; with one file, one --target\noverrides its address", 0, 0, NULL},
    CLI_TARGET_COMMON_ROWS(struct run_opts, tgt),
    CLI_SECTION("how"),
    {"jobs", 'j', CLI_INT, O(jobs), "N", "cases at once (default 8)", 1, 10000, NULL},
    {"max-connections", 0, CLI_INT, O(max_connections), "N", "connections open at once (default: no limit)", 1, 100000, NULL},
    {"connect-delay", 0, CLI_DURATION, O(connect_delay), "D", "at least D between connects (politeness)", 0, 0, NULL},
    {"retry-tempfail", 0, CLI_INT, O(retry_tempfail), "N", "re-run a case up to N times when it ends in an\nunexpected 4xx (greylisting)", 0, 100, NULL},
    {"retry-wait", 0, CLI_DURATION, O(retry_wait), "D", "wait D before each retry (default 60s)", 0, 0, NULL},
    {"timeouts", 0, CLI_FN, 0, "PROFILE", "ci (short, default) or rfc (RFC 5321 4.5.3.2)", 0, 0, set_timeouts},
    {"grace", 0, CLI_DURATION, O(grace), "D", "on SIGINT/SIGTERM, let running cases end within\nD (default 5s)", 0, 0, NULL},
    CLI_DELIVER_ROWS(struct run_opts, dlv),
    CLI_SECTION("verdicts and reports"),
    {"strict", 0, CLI_FLAG, O(strict), NULL, "WARN and XPASS fail the run (exit 1)", 0, 0, NULL},
    {"baseline", 0, CLI_STR, O(baseline), "FILE", "gate on regressions only: a case FAILs the run\nonly if it did not fail in this earlier result", 0, 0, NULL},
    {"fail-on", 0, CLI_FN, 0, "VERDICTS", "these verdicts fail the run too, e.g. warn,skip", 0, 0, set_fail_on},
    {"json", 0, CLI_STR, O(json), "FILE", "write the JSON result file (docs/result-format.md)", 0, 0, NULL},
    {"junit", 0, CLI_STR, O(junit), "FILE", "write a JUnit XML report (for CI systems)", 0, 0, NULL},
    {"html", 0, CLI_STR, O(html), "FILE", "write a self-contained HTML report", 0, 0, NULL},
    {"quiet", 'q', CLI_FLAG, O(quiet), NULL, "print only cases that did not pass, and the summary", 0, 0, NULL},
    {"verbose", 'v', CLI_FLAG, O(verbose), NULL, "print every case's transcript", 0, 0, NULL},
    {"no-color", 0, CLI_FLAG, O(no_color), NULL, "no colour (also: NO_COLOR set in the environment)", 0, 0, NULL},
    {"trace-states", 0, CLI_FLAG, O(trace_states), NULL, "log session state changes to stderr (debugging)", 0, 0, NULL},
};

static int run_main(int argc, char **argv);

const struct cli_verb cli_verb_run = {
    .name = "run",
    .summary = "replay case files against a server and judge every reply",
    .usage = "[options] PATH...",
    .description =
        "PATH is a case file (.smtp), a folder (searched recursively, sorted)\n"
        "or a suite (a .suite file, or a suite name such as 'smoke').\n",
    .epilog = "exit codes:\n"
              "  0    every case passed (WARN, SKIP, XFAIL allowed unless --strict or\n"
              "       --fail-on say otherwise)\n"
              "  1    a case FAILed (or a verdict named by --strict / --fail-on came)\n"
              "  2    usage, case-file, suite or target error; no case selected\n"
              "  3    no FAIL, but some ERROR, or every case was SKIPped\n"
              "  130  interrupted; the reports are still written, marked incomplete\n",
    .opts = OPTS,
    .nopts = sizeof OPTS / sizeof OPTS[0],
    .main = run_main,
};

static volatile sig_atomic_t STOP;

static void on_signal(int sig)
{
    STOP = 1;
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static bool has_tag(const struct prog_case *c, const char *tag)
{
    for (size_t i = 0; i < c->ntags; i++)
        if (strcmp(c->tags[i], tag) == 0)
            return true;
    return false;
}

/* Leaves out intrusive cases unless allowed; returns how many were. */
static size_t drop_intrusive(struct load_result *lr, bool allow)
{
    size_t kept = 0, dropped = 0;
    for (size_t i = 0; i < lr->ncases; i++) {
        if (!allow && has_tag(lr->cases[i], "intrusive")) {
            prog_case_free(lr->cases[i]);
            dropped++;
        } else {
            lr->cases[kept++] = lr->cases[i];
        }
    }
    lr->ncases = kept;
    return dropped;
}

static void list_cases(const struct load_result *lr)
{
    for (size_t i = 0; i < lr->ncases; i++) {
        const struct prog_case *c = lr->cases[i];
        printf("%s\t%s\t", c->id, prog_severity_name(c->severity));
        for (size_t t = 0; t < c->ntags; t++)
            printf("%s%s", t ? " " : "", c->tags[t]);
        printf("\t");
        for (size_t r = 0; r < c->nrequires; r++)
            printf("%s%s%s%s", r ? ", " : "", c->requires[r].kw,
                   c->requires[r].param ? " " : "",
                   c->requires[r].param ? c->requires[r].param : "");
        printf("\t");
        console_safe(stdout, c->title ? c->title : "");
        printf("\n");
    }
}

/* Applies the options every target shares; 0, or -1 after printing. */
static int finish_target(const struct run_opts *o, struct target *t)
{
    return cli_target_apply(&cli_verb_run, &o->tgt, t);
}

/* A target from an address alone, or a file with its address replaced. */
static struct target *target_from(const char *file, const char *addr)
{
    char err[512];
    struct target *t = file ? load_target_file(file, stderr) : target_new();
    if (!t)
        return NULL;
    if (addr && target_parse_address(t, addr, err, sizeof err) != 0) {
        cli_error(&cli_verb_run, "--target: %s", err);
        target_free(t);
        return NULL;
    }
    if (addr && !file) {
        free(t->name);
        t->name = xstrdup(addr);
    }
    return t;
}

/* The targets of the run: every --target-file (one --target may replace
 * the address of a single file), else every --target. NULL on error. */
static struct target **make_targets(const struct run_opts *o, size_t *n)
{
    size_t nf = o->target_files.n, na = o->targets.n;
    if (nf > 1 && na > 0) {
        cli_error(&cli_verb_run, "--target replaces the address of a single "
                                 "--target-file; with several files, put the "
                                 "address in each");
        return NULL;
    }
    if (nf == 1 && na > 1) {
        cli_error(&cli_verb_run, "one --target-file takes at most one --target");
        return NULL;
    }
    *n = nf ? nf : na;
    struct target **ts = xcalloc(*n, sizeof *ts);
    for (size_t i = 0; i < *n; i++) {
        ts[i] = target_from(nf ? o->target_files.v[i] : NULL,
                            nf ? (na ? o->targets.v[0] : NULL) : o->targets.v[i]);
        if (!ts[i] || finish_target(o, ts[i]) != 0) {
            for (size_t k = 0; k <= i; k++)
                target_free(ts[k]);
            free(ts);
            return NULL;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(ts[k]->name, ts[i]->name) == 0) {
                cli_error(&cli_verb_run, "two targets are named '%s': give each "
                                         "target file its own name:", ts[i]->name);
                for (size_t j = 0; j <= i; j++)
                    target_free(ts[j]);
                free(ts);
                return NULL;
            }
    }
    return ts;
}

struct run_ctx {
    struct console *con;
};

static void on_result(void *arg, size_t idx, const struct result_case *rc)
{
    struct run_ctx *ctx = arg;
    console_case(ctx->con, rc);
}

static void on_progress(void *arg, size_t done, size_t total, size_t running)
{
    struct run_ctx *ctx = arg;
    console_progress(ctx->con, done, total, running);
}

static char *command_line(int argc, char **argv)
{
    struct buf b;
    buf_init(&b, 16384);
    buf_adds(&b, "smtpsuite");
    for (int i = 0; i < argc; i++)
        buf_addf(&b, " %s", argv[i]);
    return buf_detach(&b);
}

/* Writes every report asked for; returns 0, or EXIT_INCONCLUSIVE after
 * printing why one could not be written. */
static int write_reports(const struct run_opts *o, const struct result_run *run)
{
    struct report_output outs[3];
    size_t n = 0;
    if (o->json)
        outs[n++] = (struct report_output){"json", o->json};
    if (o->junit)
        outs[n++] = (struct report_output){"junit", o->junit};
    if (o->html)
        outs[n++] = (struct report_output){"html", o->html};
    struct report_options ro = {o->strict, NULL};
    char err[2048];
    if (n == 0 || report_write_all(run, outs, n, &ro, err, sizeof err) == 0)
        return EXIT_OK;
    fprintf(stderr, "smtpsuite run: %s\n", err);
    return EXIT_INCONCLUSIVE;
}

/* The exit code of one target's cases; with a baseline, a FAIL that
 * also failed there does not fail the gate, nor (under --strict) a WARN
 * or XPASS that failed or warned there. */
static int target_exit(const struct run_opts *o, const struct result_run *run,
                       size_t from, size_t to, const struct result_run *base,
                       bool interrupted)
{
    struct verdict_counts vc = {{0}};
    for (size_t i = from; i < to; i++) {
        enum verdict v = run->cases[i].verdict;
        bool failing = v == VERDICT_FAIL ||
                       (o->strict && (v == VERDICT_WARN || v == VERDICT_XPASS));
        if (base && failing) {
            struct diff d;
            struct result_run one = *run;
            one.cases = &run->cases[i];
            one.ncases = 1;
            diff_runs(base, &one, o->strict, &d);
            if (d.count[DIFF_STILL_FAIL])
                v = VERDICT_XFAIL; /* known before: not a regression */
            diff_free(&d);
        }
        vc.n[v]++;
    }
    struct verdict_policy pol = {o->fail_on | (o->strict ? VERDICT_STRICT_MASK : 0)};
    return verdict_run_exit(&vc, &pol, interrupted);
}

/* DESIGN.md: with several targets, the worst code across them. */
static int worst_exit(int a, int b)
{
    static const int RANK[] = {EXIT_OK, EXIT_INCONCLUSIVE, EXIT_FAILED,
                               EXIT_THRESHOLD, EXIT_USAGE, EXIT_INTERRUPTED};
    int ra = 0, rb = 0;
    for (int i = 0; i < 6; i++) {
        ra = RANK[i] == a ? i : ra;
        rb = RANK[i] == b ? i : rb;
    }
    return rb > ra ? b : a;
}

/* Waits for the arrivals; puts the findings into run and on the
 * console. Returns EXIT_FAILED when a message was lost, duplicated or
 * corrupted (the verdict rule of docs/delivery.md), else EXIT_OK. */
static int deliver_end(const struct run_opts *o, struct cli_deliver *dlv,
                       struct result_run *run)
{
    char err[256];
    struct hist *h = hist_new(&HIST_PARAMS_DEFAULT, err, sizeof err);
    if (!h)
        fatal("run: %s", err);
    struct deliver_report r;
    cli_deliver_finish(dlv, &STOP, &r, cli_deliver_hist_latency, h, run);
    hist_to_result(h, "delivery", "sent", result_hist_add(run));
    hist_free(h);
    load_print_delivery(stdout, &r, o->dlv.to, o->dlv.late);
    return cli_deliver_exit(&r);
}

/* Runs the cases against one target, appending to run. */
static void run_target(const struct run_opts *o, struct load_result *lr,
                       struct target *t, const struct tls_client *tls,
                       struct result_run *run, struct run_ctx *ctx,
                       bool *interrupted, struct deliver *hop)
{
    char err[512];
    struct result_target *rt = result_target_add(run);
    rt->name = xstrdup(t->name);
    rt->address = target_address(t);
    size_t base = run->ncases;
    struct engine_params ep = {
        .jobs = o->jobs,
        .max_connections = o->max_connections,
        .connect_delay_us = o->connect_delay,
        .retry_tempfail = o->retry_tempfail,
        .retry_wait_us = o->retry_wait,
        .tmo = o->tmo,
        .tls = tls,
        .run_id = run->run_id,
        .deliver = hop,
        .trace_states = o->trace_states,
        .stop = &STOP,
        .grace_us = o->grace,
        .on_result = on_result,
        .on_progress = on_progress,
        .arg = ctx,
    };
    if (engine_run(lr->cases, lr->ncases, t, &ep, run->cases + base, interrupted,
                   err, sizeof err) != 0)
        fprintf(stderr, "smtpsuite run: target %s: %s\n", t->name, err);
    run->ncases += lr->ncases;
    rt = &run->targets[run->ntargets - 1];
    for (size_t i = base; i < run->ncases && !rt->banner; i++)
        if (run->cases[i].nconns && run->cases[i].conns[0].banner)
            rt->banner = xstrdup(run->cases[i].conns[0].banner);
}

/* Runs the selected cases against every target, writes the reports;
 * returns the exit code. */
static int execute(const struct run_opts *o, struct load_result *lr,
                   struct target **ts, size_t nt, int argc, char **argv)
{
    struct result_run *base = NULL;
    char err[512];
    if (o->baseline && !(base = report_json_read(o->baseline, err, sizeof err)))
        return cli_error(&cli_verb_run, "--baseline: %s", err);
    /* Every target's TLS settings are checked before anything runs. */
    struct tls_client **tls = xcalloc(nt, sizeof *tls);
    for (size_t i = 0; i < nt; i++) {
        tls[i] = tls_client_new(&ts[i]->tls_opts, ts[i]->host, o->tgt.tls_keylog, err,
                                sizeof err);
        if (!tls[i]) {
            cli_error(&cli_verb_run, "target %s: TLS: %s", ts[i]->name, err);
            for (size_t k = 0; k < i; k++)
                tls_client_free(tls[k]);
            free(tls);
            result_run_free(base);
            return EXIT_USAGE;
        }
    }
    struct cli_deliver dlv;
    /* keep: cases may look at what arrived (expect arrival); a load
     * keeps nothing but the book */
    int dcode = cli_deliver_start(&cli_verb_run, &o->dlv, o->dlv.log, false,
                                  true, o->quiet, &dlv);
    if (dcode != EXIT_OK) {
        cli_deliver_free(&dlv);
        for (size_t k = 0; k < nt; k++)
            tls_client_free(tls[k]);
        free(tls);
        result_run_free(base);
        return dcode;
    }
    struct result_run *run = result_run_new("run");
    run->command = command_line(argc, argv);
    cli_deliver_set_run(&dlv, run->run_id, 0, 1);
    run->cases = xcalloc(lr->ncases * nt, sizeof *run->cases);
    run->capcases = lr->ncases * nt;
    bool color = console_want_color(stdout, o->no_color);
    struct console_params cp = {stdout, stderr, color, o->quiet, o->verbose};
    struct run_ctx ctx = {console_new(&cp)};
    bool interrupted = false;
    int code = EXIT_OK;
    size_t done_targets = 0;
    for (size_t i = 0; i < nt && !interrupted; i++) {
        if (nt > 1)
            printf("%s== target %s\n", i ? "\n" : "", ts[i]->name);
        size_t from = run->ncases;
        run_target(o, lr, ts[i], tls[i], run, &ctx, &interrupted, dlv.hop);
        code = worst_exit(code, target_exit(o, run, from, run->ncases, base, interrupted));
        done_targets++;
    }
    if (o->dlv.to)
        code = worst_exit(code, deliver_end(o, &dlv, run));
    code = worst_exit(code, cli_deliver_close_log(&cli_verb_run, &dlv, o->quiet));
    cli_deliver_free(&dlv);
    run->ended_us = clock_wall_us();
    run->incomplete = interrupted || done_targets < nt;
    console_summary(ctx.con, run);
    console_free(ctx.con);
    if (nt > 1) {
        printf("\n");
        const struct result_run *one[] = {run};
        diff_matrix_print(one, 1, stdout, color);
    }
    if (base) {
        struct diff d;
        diff_runs(base, run, o->strict, &d);
        printf("\nagainst the baseline %s:\n", o->baseline);
        diff_print(&d, stdout, color);
        diff_free(&d);
    }
    code = worst_exit(code, write_reports(o, run));
    result_run_free(run);
    result_run_free(base);
    for (size_t i = 0; i < nt; i++)
        tls_client_free(tls[i]);
    free(tls);
    return code;
}

static int run_main(int argc, char **argv)
{
    struct run_opts o = {0};
    o.jobs = 8;
    o.retry_wait = 60000000;
    o.tmo = &TIMEOUTS_CI;
    o.grace = 5000000;
    cli_deliver_defaults(&o.dlv);
    struct cli_list pos = {0};
    int code = EXIT_USAGE;
    struct load_result lr = {0};
    struct target **ts = NULL;
    /* From the start: a signal during loading still ends in complete
     * reports, every case NOTRUN. */
    catch_signals();
    size_t nt = 0;
    enum cli_status st = cli_parse(&cli_verb_run, argc, argv, &o, &pos);
    if (st != CLI_OK) {
        code = st == CLI_HELP ? EXIT_OK : EXIT_USAGE;
        goto out;
    }
    if (pos.n == 0) {
        cli_error(&cli_verb_run, "no PATH given (case files, folders or suites; "
                                 "see 'smtpsuite run --help')");
        goto out;
    }
    if (!o.list && o.targets.n == 0 && o.target_files.n == 0) {
        cli_error(&cli_verb_run, "no target: give --target ADDR or --target-file FILE");
        goto out;
    }
    struct load_params lp = {pos.v, pos.n, o.ids.v, o.ids.n, o.tags, o.cases_dir};
    if (load_cases(&lp, &lr, stderr) != 0)
        goto out;
    size_t dropped = drop_intrusive(&lr, o.allow_intrusive);
    if (lr.ncases == 0) {
        cli_error(&cli_verb_run, "no case selected (%zu parsed%s)", lr.nparsed,
                  dropped ? "; intrusive cases need --allow-intrusive" : "");
        goto out;
    }
    if (dropped && !o.quiet)
        fprintf(stderr, "smtpsuite run: %zu intrusive case%s left out "
                        "(--allow-intrusive runs them)\n",
                dropped, dropped == 1 ? "" : "s");
    if (o.list) {
        list_cases(&lr);
        code = EXIT_OK;
        goto out;
    }
    ts = make_targets(&o, &nt);
    if (ts)
        code = execute(&o, &lr, ts, nt, argc, argv);
out:
    for (size_t i = 0; ts && i < nt; i++)
        target_free(ts[i]);
    free(ts);
    cli_list_free(&o.targets);
    cli_list_free(&o.target_files);
    load_result_free(&lr);
    cli_list_free(&pos);
    cli_target_opts_free(&o.tgt);
    cli_deliver_opts_free(&o.dlv);
    cli_list_free(&o.ids);
    return code;
}
