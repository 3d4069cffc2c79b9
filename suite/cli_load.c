/* cli_load: the 'load' verb. Loads scenarios (cases, with weights),
 * checks every option and threshold before anything connects, runs the
 * load driver (harness/load_run.c), prints a live line a second and the
 * summary, writes the JSON result and exits with DESIGN.md's code:
 * 0 no threshold breached, 2 usage (an unknown metric or step too),
 * 3 nothing measured, 99 a threshold breached, 130 interrupted.
 *
 * Reports go through reports/report.h: the JSON result, JUnit (one
 * testcase per threshold, from the threshold.N.* run properties) and
 * HTML (percentile tables and charts of every histogram).
 *
 * A shard (--shard, or a launcher's environment: suite/shard.h) runs its
 * share of the schedule, records its thresholds unjudged and exits 0
 * unless the harness failed; `smtpsuite merge` judges the whole
 * (docs/distributed.md). Every load result records what identifies its
 * run (load.schedule, load.scenario_hash), so merge can refuse shards of
 * different runs. */
#include "suite/verbs.h"
#include "suite/cli_deliver.h"
#include "suite/cli_target.h"
#include "suite/load.h"
#include "suite/load_judge.h"
#include "suite/load_opts.h"
#include "suite/load_print.h"
#include "suite/shard.h"
#include "suite/threshold.h"
#include "harness/clock.h"
#include "harness/digest.h"
#include "harness/deliver.h"
#include "harness/duration.h"
#include "harness/load_run.h"
#include "harness/tls.h"
#include "harness/verdict.h"
#include "harness/xalloc.h"
#include "reports/report.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SCENARIOS   256
#define MAX_THRESHOLDS  64
#define MAX_STEPS       LOAD_STATS_MAX_STEPS
#define DEFAULT_CAP     10000
#define START_AT_MAX_US (24LL * 3600 * 1000000) /* --start-at ahead at most */
#define WAIT_NOTE_US    1000000 /* a wait for --start-at worth a line */

struct load_opts {
    struct cli_target_opts tgt;
    struct cli_list scenarios;
    struct cli_list ids;
    const char *tags;
    const char *cases_dir;
    bool allow_intrusive;
    const char *rate;
    const char *ramp;
    long concurrency;
    int64_t duration;
    long sessions;
    int64_t spread;
    long threads;
    long max_inflight;
    long queue;
    int64_t drain;
    const struct timeouts *tmo;
    long messages;
    bool rset;
    const char *size;
    const char *corpus;
    const char *sender;
    const char *rcpt;
    bool tls_resume;
    const char *sources;
    struct cli_list thresholds;
    const char *json;
    const char *junit;
    const char *html;
    const char *live;
    bool quiet;
    const char *shard;
    const char *start_at;
    const char *run_id;
    struct cli_deliver_opts dlv; /* --deliver-* */
};

static int set_timeouts(void *opts, const char *arg, char *err, size_t errlen)
{
    struct load_opts *o = opts;
    if (strcmp(arg, "ci") == 0)
        o->tmo = &TIMEOUTS_CI;
    else if (strcmp(arg, "rfc") == 0)
        o->tmo = &TIMEOUTS_RFC;
    else
        return snprintf(err, errlen,
                        "'%s' is not a timeout profile (want ci or rfc)", arg),
               -1;
    return 0;
}

#define O(f) offsetof(struct load_opts, f)

/* clang-format off */
static const struct cli_opt OPTS[] = {
    CLI_SECTION("scenarios (PATH[:WEIGHT]: a case file, folder or suite)"),
    {"scenario", 's', CLI_LIST, O(scenarios), "PATH[:W]", "a scenario and its weight in the mix (repeatable;\nthe same as a PATH argument)", 0, 0, NULL},
    {"id", 0, CLI_LIST, O(ids), "GLOB", "only cases whose id matches (repeatable)", 0, 0, NULL},
    {"tags", 0, CLI_STR, O(tags), "EXPR", "only cases whose tags match", 0, 0, NULL},
    {"cases-dir", 0, CLI_STR, O(cases_dir), "DIR", "where suite names and the default scenario are\nlooked up (default $SMTPSUITE_CASES_DIR, else ./cases)", 0, 0, NULL},
    {"allow-intrusive", 0, CLI_FLAG, O(allow_intrusive), NULL, "also run cases tagged 'intrusive'", 0, 0, NULL},
    CLI_TARGET_ROWS(struct load_opts, tgt),
    {"tls-resume", 0, CLI_FLAG, O(tls_resume), NULL, "resume TLS sessions (each thread offers the last\nsession it got)", 0, 0, NULL},
    {"source-addrs", 0, CLI_STR, O(sources), "LIST", "a pool of source addresses, one a session in turn:\ncommas, and A.B.C.D-E ranges (e.g. 127.0.0.2-9)", 0, 0, NULL},
    CLI_SECTION("model (docs/load.md)"),
    {"rate", 'r', CLI_STR, O(rate), "R", "open model: R sessions arrive a second", 0, 0, NULL},
    {"ramp", 0, CLI_STR, O(ramp), "POINTS", "open model: rates TIME:RATE,... interpolated linearly,\ne.g. 0s:10,30s:200,60s:200", 0, 0, NULL},
    {"concurrency", 'c', CLI_INT, O(concurrency), "C", "closed model: C sessions at once, each starting\nwhen the one before it ended", 1, 1000000, NULL},
    {"duration", 'd', CLI_DURATION, O(duration), "D", "arrivals (or new sessions) stop after D", 0, 0, NULL},
    {"sessions", 'n', CLI_INT, O(sessions), "N", "N sessions in all", 1, 2000000000, NULL},
    {"spread", 0, CLI_DURATION, O(spread), "D", "closed model: start the C sessions evenly over D", 0, 0, NULL},
    {"threads", 0, CLI_INT, O(threads), "T", "worker threads, one event loop each (default: cores)", 1, LOAD_RUN_MAX_THREADS, NULL},
    {"max-inflight", 0, CLI_INT, O(max_inflight), "N", "open model: sessions at once at most (default 10000);\nlater arrivals wait in the queue", 1, 1000000, NULL},
    {"queue", 0, CLI_INT, O(queue), "N", "open model: arrivals waiting at most (default: the\ncap); past it they are dropped and counted", 0, 10000000, NULL},
    {"drain", 0, CLI_DURATION, O(drain), "D", "after the schedule, sessions get D to end before\nthey are cut off (default 10s)", 0, 0, NULL},
    {"timeouts", 0, CLI_FN, 0, "PROFILE", "ci (short, default) or rfc (RFC 5321 4.5.3.2)", 0, 0, set_timeouts},
    CLI_SECTION("messages"),
    {"messages-per-session", 'm', CLI_INT, O(messages), "M", "M messages a session (the fixture 'messages')", 1, 1000000, NULL},
    {"rset", 0, CLI_FLAG, O(rset), NULL, "RSET between messages (the fixture 'rset')", 0, 0, NULL},
    {"size", 0, CLI_STR, O(size), "SPEC", "message size: 1KiB, a range 1KiB-64KiB, or\ndist:FILE of 'SIZE WEIGHT' lines", 0, 0, NULL},
    {"corpus", 0, CLI_STR, O(corpus), "PATH", "replay messages from a Maildir folder or an mbox file", 0, 0, NULL},
    {"sender", 0, CLI_STR, O(sender), "PATTERN", "the fixture 'sender', e.g. 'u{n}@client.test':\n{n} the message's number, {s} the session's", 0, 0, NULL},
    {"rcpt", 0, CLI_STR, O(rcpt), "PATTERN", "the fixture 'rcpt', the same way", 0, 0, NULL},
    CLI_DELIVER_ROWS(struct load_opts, dlv),
    CLI_SECTION("judging and output"),
    {"threshold", 0, CLI_LIST, O(thresholds), "EXPR", "a requirement, e.g. 'p99(eod) < 250ms' (repeatable)", 0, 0, NULL},
    {"json", 0, CLI_STR, O(json), "FILE", "write the JSON result file", 0, 0, NULL},
    {"junit", 0, CLI_STR, O(junit), "FILE", "write a JUnit XML report: a testcase a threshold", 0, 0, NULL},
    {"html", 0, CLI_STR, O(html), "FILE", "write a self-contained HTML report with charts", 0, 0, NULL},
    {"live", 0, CLI_STR, O(live), "FILE", "write a JSON line a second (for dashboards)", 0, 0, NULL},
    {"quiet", 'q', CLI_FLAG, O(quiet), NULL, "no live line", 0, 0, NULL},
    CLI_SECTION("beyond one machine (docs/distributed.md)"),
    {"shard", 0, CLI_STR, O(shard), "I/N", "run shard I (from 0) of N of the schedule; auto/N or\nauto: I and N from Open MPI, Slurm or an Indexed Job", 0, 0, NULL},
    {"start-at", 0, CLI_STR, O(start_at), "TIME", "start the schedule at an RFC 3339 time, e.g.\n2026-05-01T12:00:00Z (a late start shifts it)", 0, 0, NULL},
    {"run-id", 0, CLI_STR, O(run_id), "ID", "the run's id (shards of one run share it; default:\nderived from the command and the launcher's job)", 0, 0, NULL},
};
/* clang-format on */

static int load_main(int argc, char **argv);

const struct cli_verb cli_verb_load = {
    .name = "load",
    .summary = "replay cases as a load scenario with per-step latency",
    .usage = "[options] [PATH[:WEIGHT]...]",
    .description =
        "Runs cases as load scenarios against one target: an open model\n"
        "(--rate, --ramp) or a closed one (--concurrency), for --duration or\n"
        "--sessions. Without PATH the scenario is\n"
        "CASES_DIR/load/prologue-messages.smtp. Every step is measured from\n"
        "the intended start and from the actual send (docs/load.md).\n"
        "A shard (--shard, or under mpirun, srun or an Indexed Job) runs\n"
        "its share of the schedule and leaves judging to 'smtpsuite merge';\n"
        "result paths then need {shard}: --json out/r-{shard}.json.\n",
    .epilog =
        "exit codes (a shard exits 0 unless the harness failed, or 130):\n"
        "  0    no threshold breached (and some session succeeded)\n"
        "  2    usage error, a bad scenario, a threshold naming an unknown\n"
        "       metric or step\n"
        "  3    nothing could be measured (no session succeeded), or a\n"
        "       threshold could not be measured\n"
        "  99   a threshold breached\n"
        "  130  interrupted; the reports are still written, marked "
        "incomplete\n",
    .opts = OPTS,
    .nopts = sizeof OPTS / sizeof OPTS[0],
    .main = load_main,
};

static volatile sig_atomic_t STOP;

static void on_signal(int sig)
{
    (void)sig;
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

/* Everything the run needs, built before anything connects. */
struct plan {
    struct load_result lr[MAX_SCENARIOS];
    size_t nlr;
    struct load_scenario sc[MAX_SCENARIOS];
    size_t nsc;
    struct target *t;
    struct tls_client *tls;
    char steps[MAX_STEPS][LOAD_STATS_NAME];
    size_t nsteps;
    const char *step_ptrs[MAX_STEPS];
    struct threshold th[MAX_THRESHOLDS];
    size_t nth;
    struct body_sizes sizes;
    struct body_corpus *corpus;
    struct load_sched sched;
    struct load_run_params rp;
    char model[256];
    FILE *live;
    bool tty;
    struct load_live prev; /* the last second's figures */
    /* shards and what identifies the run (docs/distributed.md) */
    struct shard shard;
    char *json, *junit, *html, *live_path; /* {shard} expanded */
    char *deliver_log;                     /* --deliver-log, expanded */
    int64_t start_wall_us;                 /* --start-at, or 0 */
    char run_id[SHARD_RUN_ID_MAX + 1];     /* "" : a random one */
    char sess_id[SHARD_RUN_ID_MAX + 16];   /* tokens: RUNID[.sI] */
    char schedule[1024];
    char scenario_hash[DIGEST_SHA256_HEX];
    char share[160];
    struct cli_deliver dlv; /* --deliver-to, --deliver-log */
};

static void plan_free(struct plan *pl)
{
    free(pl->json);
    free(pl->junit);
    free(pl->html);
    free(pl->live_path);
    free(pl->deliver_log);
    for (size_t i = 0; i < pl->nlr; i++)
        load_result_free(&pl->lr[i]);
    target_free(pl->t);
    tls_client_free(pl->tls);
    body_corpus_free(pl->corpus);
    cli_deliver_free(&pl->dlv);
    if (pl->live)
        fclose(pl->live);
}

static bool has_tag(const struct prog_case *c, const char *tag)
{
    for (size_t i = 0; i < c->ntags; i++)
        if (strcmp(c->tags[i], tag) == 0)
            return true;
    return false;
}

/* Loads one PATH[:WEIGHT]; its cases join the mix with that weight. */
static int add_scenarios(const struct load_opts *o, struct plan *pl,
                         const char *arg)
{
    char err[512], *path;
    unsigned w;
    if (load_opts_weighted(arg, &path, &w, err, sizeof err) != 0)
        return cli_error(&cli_verb_load, "%s", err);
    if (pl->nlr == MAX_SCENARIOS) {
        free(path);
        return cli_error(&cli_verb_load, "more than %d scenario paths",
                         MAX_SCENARIOS);
    }
    char *paths[1] = {path};
    struct load_params lp = {paths,    1,       o->ids.v,
                             o->ids.n, o->tags, o->cases_dir};
    struct load_result *lr = &pl->lr[pl->nlr++];
    int rc = load_cases(&lp, lr, stderr);
    free(path);
    if (rc != 0)
        return EXIT_USAGE;
    for (size_t i = 0; i < lr->ncases; i++) {
        if (!o->allow_intrusive && has_tag(lr->cases[i], "intrusive"))
            return cli_error(&cli_verb_load,
                             "%s is tagged intrusive: run it only "
                             "on servers you own, with --allow-intrusive",
                             lr->cases[i]->id);
        if (pl->nsc == MAX_SCENARIOS)
            return cli_error(&cli_verb_load, "more than %d scenarios",
                             MAX_SCENARIOS);
        pl->sc[pl->nsc++] = (struct load_scenario){lr->cases[i], w};
    }
    return 0;
}

static bool declares(const struct prog_case *pc, const char *fixture)
{
    for (size_t i = 0; i < pc->nfixtures; i++)
        if (strcmp(pc->fixtures[i], fixture) == 0)
            return true;
    return false;
}

static int load_scenarios(const struct load_opts *o, struct plan *pl,
                          const struct cli_list *pos)
{
    for (size_t i = 0; i < o->scenarios.n; i++)
        if (add_scenarios(o, pl, o->scenarios.v[i]) != 0)
            return EXIT_USAGE;
    for (size_t i = 0; i < pos->n; i++)
        if (add_scenarios(o, pl, pos->v[i]) != 0)
            return EXIT_USAGE;
    if (o->scenarios.n + pos->n == 0) {
        const char *dir =
            o->cases_dir ? o->cases_dir : getenv("SMTPSUITE_CASES_DIR");
        char *def = xasprintf("%s/load/prologue-messages.smtp",
                              dir && *dir ? dir : "cases");
        int rc = add_scenarios(o, pl, def);
        free(def);
        if (rc != 0)
            return EXIT_USAGE;
    }
    if (pl->nsc == 0)
        return cli_error(&cli_verb_load, "no scenario selected");
    for (size_t i = 0; i < pl->nsc; i++) {
        const struct prog_case *pc = pl->sc[i].pc;
        if ((o->messages > 1 && !declares(pc, "messages")) ||
            (o->rset && !declares(pc, "rset")))
            return cli_error(
                &cli_verb_load,
                "%s does not take %s: it declares no fixture '%s' "
                "(see cases/load/prologue-messages.smtp)",
                pc->id, o->rset ? "--rset" : "--messages-per-session",
                o->rset && !declares(pc, "rset") ? "rset" : "messages");
    }
    return 0;
}

static bool delivery_metric(const struct threshold_metric *m)
{
    static const char *const NAMES[] = {"late", "duplicated", "changed",
                                        "corrupt"};
    for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++)
        if (strcmp(m->name, NAMES[i]) == 0)
            return true;
    return false;
}

static int parse_thresholds(const struct load_opts *o, struct plan *pl)
{
    for (size_t i = 0; i < pl->nsc; i++)
        load_run_steps(pl->sc[i].pc, pl->t, pl->steps, &pl->nsteps, MAX_STEPS);
    if (o->dlv.to && pl->nsteps < MAX_STEPS)
        snprintf(pl->steps[pl->nsteps++], LOAD_STATS_NAME, "delivery");
    for (size_t i = 0; i < pl->nsteps; i++)
        pl->step_ptrs[i] = pl->steps[i];
    struct threshold_vocab v = {THRESHOLD_LOAD_METRICS, THRESHOLD_LOAD_NMETRICS,
                                pl->step_ptrs, pl->nsteps};
    if (o->thresholds.n > MAX_THRESHOLDS)
        return cli_error(&cli_verb_load, "more than %d thresholds",
                         MAX_THRESHOLDS);
    int rc = 0;
    for (size_t i = 0; i < o->thresholds.n; i++) {
        char err[512];
        if (threshold_parse(o->thresholds.v[i], &v, &pl->th[pl->nth], err,
                            sizeof err) != 0)
            rc = cli_error(&cli_verb_load, "%s", err);
        else if (!o->dlv.to && delivery_metric(pl->th[pl->nth].metric))
            rc = cli_error(&cli_verb_load,
                           "threshold '%s': %s is measured only with "
                           "--deliver-to%s",
                           o->thresholds.v[i], pl->th[pl->nth].metric->name,
                           o->dlv.log ? " (with --deliver-log, give it to "
                                        "smtpsuite merge --deliver-log)"
                                      : "");
        else
            pl->nth++;
    }
    return rc;
}

/* --size, --corpus, --sender, --rcpt. */
static int content_opts(const struct load_opts *o, struct plan *pl)
{
    char err[512], tmp[LOAD_RUN_FIXTURE_MAX];
    if (o->size && o->corpus)
        return cli_error(&cli_verb_load,
                         "--size and --corpus exclude each other");
    if (o->size && load_opts_sizes(o->size, &pl->sizes, err, sizeof err) != 0)
        return cli_error(&cli_verb_load, "--size: %s", err);
    if (o->corpus &&
        !(pl->corpus = body_corpus_open(o->corpus, err, sizeof err)))
        return cli_error(&cli_verb_load, "--corpus: %s", err);
    if (o->sender &&
        load_run_expand(o->sender, 0, 0, tmp, sizeof tmp, err, sizeof err) != 0)
        return cli_error(&cli_verb_load, "--sender: %s", err);
    if (o->rcpt &&
        load_run_expand(o->rcpt, 0, 0, tmp, sizeof tmp, err, sizeof err) != 0)
        return cli_error(&cli_verb_load, "--rcpt: %s", err);
    return 0;
}

/* The run's schedule in one canonical line (load.schedule): the same
 * schedule however it was spelled, compared by merge. */
static void schedule_text(struct plan *pl, const struct load_opts *o,
                          const struct load_sched_point *pts, size_t n)
{
    struct buf b;
    buf_init(&b, sizeof pl->schedule - 1);
    char d[32];
    if (pts) {
        buf_adds(&b, "open points=");
        for (size_t i = 0; i < n; i++) {
            duration_format(pts[i].t_us, d, sizeof d);
            buf_addf(&b, "%s%s:%.9g", i ? "," : "", d, pts[i].rate);
        }
    } else {
        buf_addf(&b, "closed concurrency=%ld", o->concurrency);
    }
    duration_format(o->duration, d, sizeof d);
    buf_addf(&b, " duration=%s sessions=%ld", d, o->sessions);
    duration_format(o->spread, d, sizeof d);
    if (pts)
        buf_addf(&b, " cap=%ld queue=%ld", o->max_inflight, o->queue);
    else
        buf_addf(&b, " spread=%s", d);
    snprintf(pl->schedule, sizeof pl->schedule, "%s", buf_str(&b));
    buf_free(&b);
}

static int open_model(const struct load_opts *o, struct plan *pl)
{
    char err[512], d[32];
    struct load_sched_point pts[LOAD_SCHED_MAX_POINTS];
    size_t n = 1;
    if (o->rate) {
        pts[0].t_us = 0;
        if (load_opts_rate(o->rate, 0, &pts[0].rate, err, sizeof err) != 0)
            return cli_error(&cli_verb_load, "--rate: %s", err);
    } else if (load_opts_ramp(o->ramp, pts, &n, LOAD_SCHED_MAX_POINTS, err,
                              sizeof err) != 0) {
        return cli_error(&cli_verb_load, "%s", err);
    }
    if (!o->ramp && !o->duration && !o->sessions)
        return cli_error(&cli_verb_load, "give --duration D or --sessions N");
    if (load_sched_init(&pl->sched, pts, n, o->duration, (uint64_t)o->sessions,
                        err, sizeof err) != 0)
        return cli_error(&cli_verb_load, "%s", err);
    schedule_text(pl, o, pts, n);
    duration_format(pl->sched.end_us == INT64_MAX ? 0 : pl->sched.end_us, d,
                    sizeof d);
    snprintf(pl->model, sizeof pl->model,
             "open model, %s%s%s, %llu arrivals over %s, cap %ld, queue %ld",
             o->rate ? "" : "ramp ", o->rate ? o->rate : o->ramp,
             o->rate ? " sessions/s" : "",
             (unsigned long long)load_sched_total(&pl->sched),
             pl->sched.end_us == INT64_MAX ? "no time limit" : d,
             o->max_inflight, o->queue);
    pl->rp.model = LOAD_OPEN;
    pl->rp.sched = &pl->sched;
    return 0;
}

static int model_opts(const struct load_opts *o, struct plan *pl)
{
    int open = (o->rate != NULL) + (o->ramp != NULL);
    if (open + (o->concurrency > 0) != 1)
        return cli_error(&cli_verb_load,
                         "give one model: --rate R or --ramp POINTS "
                         "(open), or --concurrency C (closed)");
    if (open)
        return open_model(o, pl);
    if (!o->duration && !o->sessions)
        return cli_error(&cli_verb_load, "give --duration D or --sessions N");
    char d[32] = "no time limit";
    if (o->duration)
        duration_format(o->duration, d, sizeof d);
    snprintf(pl->model, sizeof pl->model,
             "closed model, %ld sessions at once, %s%s", o->concurrency,
             o->duration ? "for " : "", d);
    schedule_text(pl, o, NULL, 0);
    if (o->sessions)
        snprintf(pl->model + strlen(pl->model),
                 sizeof pl->model - strlen(pl->model), ", %ld sessions",
                 o->sessions);
    pl->rp.model = LOAD_CLOSED;
    return 0;
}

static void live_tick(void *arg, const struct load_live *l)
{
    struct plan *pl = arg;
    if (pl->tty)
        load_print_live(stdout, l, &pl->prev, true);
    if (pl->live)
        load_print_live_json(pl->live, l, &pl->prev);
    pl->prev = *l;
}

/* The run's parameters from the options and the plan. */
static void fill_params(const struct load_opts *o, struct plan *pl)
{
    struct load_run_params *rp = &pl->rp;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t at_once = rp->model == LOAD_CLOSED ? (uint64_t)o->concurrency
                                                : (uint64_t)o->max_inflight;
    at_once = load_sched_share(at_once, pl->shard.count, pl->shard.index);
    unsigned t = o->threads  ? (unsigned)o->threads
                 : cores > 0 ? (unsigned)cores
                             : 1;
    if (t > at_once)
        t = at_once ? (unsigned)at_once : 1;
    rp->scenarios = pl->sc;
    rp->nscenarios = pl->nsc;
    rp->target = pl->t;
    rp->tls = pl->tls;
    rp->tmo = o->tmo;
    rp->concurrency = (uint64_t)o->concurrency;
    rp->sessions = (uint64_t)o->sessions;
    rp->duration_us = o->duration;
    rp->spread_us = o->spread;
    rp->threads = t;
    rp->max_inflight = (uint64_t)o->max_inflight;
    rp->queue = (uint64_t)o->queue;
    rp->drain_us = o->drain;
    rp->sizes = o->size ? &pl->sizes : NULL;
    rp->corpus = pl->corpus;
    rp->sender_pattern = o->sender;
    rp->rcpt_pattern = o->rcpt;
    rp->messages = (uint64_t)o->messages;
    rp->rset = o->rset;
    rp->tls_resume = o->tls_resume;
    rp->shard = pl->shard.index;
    rp->nshards = pl->shard.count;
    rp->start_wall_us = pl->start_wall_us;
    rp->sources = o->sources;
    rp->stop = &STOP;
    rp->on_tick = live_tick;
    rp->arg = pl;
}

/* load.scenario_hash: the scenarios (id, file hash, weight) and the
 * options that shape their messages, hashed; shards of a run share it. */
static void scenario_hash(const struct load_opts *o, struct plan *pl)
{
    struct buf b;
    buf_init(&b, (size_t)1 << 24);
    for (size_t i = 0; i < pl->nsc; i++)
        buf_addf(&b, "%s %s %u\n", pl->sc[i].pc->id,
                 pl->sc[i].pc->hash ? pl->sc[i].pc->hash : "",
                 pl->sc[i].weight);
    buf_addf(&b,
             "messages=%ld rset=%d size=%s corpus=%s sender=%s rcpt=%s "
             "timeouts=%s tls-resume=%d\n",
             o->messages, o->rset, o->size ? o->size : "",
             o->corpus ? o->corpus : "", o->sender ? o->sender : "",
             o->rcpt ? o->rcpt : "", o->tmo == &TIMEOUTS_RFC ? "rfc" : "ci",
             o->tls_resume);
    digest_sha256_hex(buf_str(&b), b.len, pl->scenario_hash);
    buf_free(&b);
}

/* One result path: {shard} expanded; with shards it must have one. */
static int shard_out(const struct plan *pl, const char *opt, const char *path,
                     char **out)
{
    if (!path)
        return 0;
    if (pl->shard.count > 1 && !shard_path_has(path))
        return cli_error(&cli_verb_load,
                         "--%s %s: shard %u of %u needs {shard} in the path "
                         "(e.g. out/r-{shard}.json), or the shards overwrite "
                         "each other's files",
                         opt, path, pl->shard.index, pl->shard.count);
    *out = shard_path(path, pl->shard.index);
    return 0;
}

/* --start-at: an RFC 3339 time, at most a day ahead. */
static int start_at(const struct load_opts *o, struct plan *pl)
{
    if (!o->start_at)
        return 0;
    if (clock_parse_rfc3339(o->start_at, &pl->start_wall_us) != 0)
        return cli_error(&cli_verb_load,
                         "--start-at: '%s' is not an RFC 3339 time (e.g. "
                         "2026-05-01T12:00:00Z or 2026-05-01T14:00:00+02:00)",
                         o->start_at);
    if (pl->start_wall_us - clock_wall_us() > START_AT_MAX_US)
        return cli_error(&cli_verb_load,
                         "--start-at %s is more than 24 h away: is the time "
                         "zone right?",
                         o->start_at);
    if (pl->start_wall_us == 0)
        pl->start_wall_us = 1; /* 0 means "now" to the driver */
    return 0;
}

/* This shard's share, in words, for the summary and shard.share. */
static void share_text(const struct load_opts *o, struct plan *pl)
{
    unsigned n = pl->shard.count, i = pl->shard.index;
    if (pl->rp.model == LOAD_OPEN)
        snprintf(pl->share, sizeof pl->share, "%llu of the %llu arrivals",
                 (unsigned long long)load_sched_share(
                     load_sched_total(&pl->sched), n, i),
                 (unsigned long long)load_sched_total(&pl->sched));
    else
        snprintf(pl->share, sizeof pl->share,
                 "%llu of the %ld sessions at once",
                 (unsigned long long)load_sched_share((uint64_t)o->concurrency,
                                                      n, i),
                 o->concurrency);
}

/* The run id: --run-id; for shards, else derived from what they share
 * (docs/distributed.md "Run ids"); else "" (a random one). */
static void run_id(const struct load_opts *o, struct plan *pl)
{
    if (o->run_id) {
        snprintf(pl->run_id, sizeof pl->run_id, "%s", o->run_id);
    } else if (pl->shard.count > 1) {
        char *identity = xasprintf(
            "%s\n%s\nshards %u\nstart %lld", pl->schedule, pl->scenario_hash,
            pl->shard.count, (long long)pl->start_wall_us);
        shard_run_id_derive(identity, pl->shard.job, pl->run_id);
        free(identity);
    }
}

/* --shard, --start-at, --run-id and the result paths. */
static int distributed_opts(const struct load_opts *o, struct plan *pl)
{
    char err[512];
    if (shard_resolve(o->shard, shard_getenv, NULL, &pl->shard, err,
                      sizeof err) != 0)
        return cli_error(&cli_verb_load, "%s", err);
    if (o->run_id && shard_run_id_check(o->run_id, err, sizeof err) != 0)
        return cli_error(&cli_verb_load, "%s", err);
    if (pl->shard.count > 1 && !o->json)
        return cli_error(&cli_verb_load,
                         "shard %u of %u (%s) judges nothing itself: give "
                         "--json PATH-{shard}.json for smtpsuite merge",
                         pl->shard.index, pl->shard.count, pl->shard.source);
    if (pl->shard.count > 1 && pl->rp.model == LOAD_CLOSED &&
        (uint64_t)o->concurrency < pl->shard.count)
        return cli_error(&cli_verb_load,
                         "--concurrency %ld cannot be split among %u shards: "
                         "each needs a session at once",
                         o->concurrency, pl->shard.count);
    if (shard_out(pl, "json", o->json, &pl->json) != 0 ||
        shard_out(pl, "junit", o->junit, &pl->junit) != 0 ||
        shard_out(pl, "html", o->html, &pl->html) != 0 ||
        shard_out(pl, "live", o->live, &pl->live_path) != 0 ||
        shard_out(pl, "deliver-log", o->dlv.log, &pl->deliver_log) != 0 ||
        start_at(o, pl) != 0)
        return EXIT_USAGE;
    scenario_hash(o, pl);
    share_text(o, pl);
    run_id(o, pl);
    return 0;
}

/* --source-addrs: 0, or -1 after the error. */
static int check_sources(const char *spec)
{
    char err[256];
    struct sockaddr_storage *ss = xcalloc(LOAD_RUN_MAX_SOURCES, sizeof *ss);
    socklen_t *lens = xcalloc(LOAD_RUN_MAX_SOURCES, sizeof *lens);
    int n =
        load_run_sources(spec, ss, lens, LOAD_RUN_MAX_SOURCES, err, sizeof err);
    free(ss);
    free(lens);
    if (n < 0)
        return cli_error(&cli_verb_load, "--source-addrs: %s", err), -1;
    return 0;
}

/* Everything checked and built; 0 or the exit code. */
static int make_plan(const struct load_opts *o, struct plan *pl,
                     const struct cli_list *pos)
{
    char err[512];
    if (!o->tgt.target && !o->tgt.target_file)
        return cli_error(&cli_verb_load, "no target: give --target ADDR or "
                                         "--target-file FILE");
    if (model_opts(o, pl) != 0 || load_scenarios(o, pl, pos) != 0)
        return EXIT_USAGE;
    if (!(pl->t = cli_target_make(&cli_verb_load, &o->tgt)))
        return EXIT_USAGE;
    if (o->sources && check_sources(o->sources) != 0)
        return EXIT_USAGE;
    if (parse_thresholds(o, pl) != 0 || content_opts(o, pl) != 0 ||
        distributed_opts(o, pl) != 0)
        return EXIT_USAGE;
    int dc = cli_deliver_start(&cli_verb_load, &o->dlv, pl->deliver_log,
                               o->corpus != NULL, false, o->quiet, &pl->dlv);
    if (dc != 0)
        return dc;
    pl->tls = tls_client_new(&pl->t->tls_opts, pl->t->host, o->tgt.tls_keylog,
                             err, sizeof err);
    if (!pl->tls)
        return cli_error(&cli_verb_load, "TLS: %s", err);
    fill_params(o, pl);
    size_t conns = 1;
    for (size_t i = 0; i < pl->nsc; i++)
        if (pl->sc[i].pc->nconns > conns)
            conns = pl->sc[i].pc->nconns;
    uint64_t at_once =
        pl->rp.model == LOAD_CLOSED ? pl->rp.concurrency : pl->rp.max_inflight;
    if (load_run_fds(at_once, conns, err, sizeof err) != 0)
        return cli_error(&cli_verb_load, "%s", err);
    if (pl->live_path && !(pl->live = fopen(pl->live_path, "w")))
        return cli_error(&cli_verb_load, "--live: cannot write %s",
                         pl->live_path);
    pl->tty = !o->quiet && isatty(STDOUT_FILENO);
    return 0;
}

/* ---- the run
 * -------------------------------------------------------------------- */

static char *command_line(int argc, char **argv)
{
    struct buf b;
    buf_init(&b, 16384);
    buf_adds(&b, "smtpsuite");
    for (int i = 0; i < argc; i++)
        buf_addf(&b, " %s", argv[i]);
    return buf_detach(&b);
}

static char *scenario_list(const struct plan *pl)
{
    struct buf b;
    buf_init(&b, 4096);
    for (size_t i = 0; i < pl->nsc && i < 8; i++)
        buf_addf(&b, "%s%s (%s, weight %u)", i ? "; " : "", pl->sc[i].pc->id,
                 pl->sc[i].pc->file, pl->sc[i].weight);
    if (pl->nsc > 8)
        buf_addf(&b, "; and %zu more", pl->nsc - 8);
    return buf_detach(&b);
}

#define property load_judge_property

/* The shard's facts: which it is, where it ran, its share. */
static void shard_facts(struct plan *pl, struct result_run *run)
{
    char host[256] = "";
    run->shard = xasprintf("%u/%u", pl->shard.index, pl->shard.count);
    property(run, "shard.launcher", pl->shard.source);
    if (gethostname(host, sizeof host - 1) == 0 && host[0])
        property(run, "shard.host", host);
    property(run, "shard.share", pl->share);
}

static struct result_run *new_result(struct plan *pl, int argc, char **argv)
{
    struct result_run *run = result_run_new("load");
    run->command = command_line(argc, argv);
    if (pl->run_id[0]) {
        free(run->run_id);
        run->run_id = xstrdup(pl->run_id);
    }
    snprintf(pl->sess_id, sizeof pl->sess_id, "%s", run->run_id);
    if (pl->shard.count > 1) {
        size_t len = strlen(pl->sess_id);
        snprintf(pl->sess_id + len, sizeof pl->sess_id - len, ".s%u",
                 pl->shard.index);
    }
    struct result_target *rt = result_target_add(run);
    rt->name = xstrdup(pl->t->name);
    rt->address = target_address(pl->t);
    property(run, "load.model", pl->model);
    char *sc = scenario_list(pl);
    property(run, "load.scenarios", sc);
    free(sc);
    char n[32];
    snprintf(n, sizeof n, "%u", pl->rp.threads);
    property(run, "load.threads", n);
    property(run, "load.schedule", pl->schedule);
    property(run, "load.scenario_hash", pl->scenario_hash);
    struct buf b;
    buf_init(&b, (size_t)1 << 20);
    for (size_t i = 0; i < pl->nsteps; i++)
        buf_addf(&b, "%s%s", i ? "," : "", pl->steps[i]);
    property(run, "load.steps", buf_str(&b));
    buf_free(&b);
    if (pl->start_wall_us) {
        char ts[CLOCK_RFC3339_LEN];
        clock_rfc3339(pl->start_wall_us, ts);
        property(run, "load.start_at", ts);
    }
    if (pl->shard.count > 1)
        shard_facts(pl, run);
    return run;
}

/* Exit code: 130 interrupted, 99 a breach, 3 nothing succeeded or a
 * threshold not measured, else 0; a shard judges nothing: 0. */
static int exit_code(const struct plan *pl, const struct load_outcome *out,
                     const struct load_judge_tally *t)
{
    if (out->interrupted)
        return EXIT_INTERRUPTED;
    if (pl->shard.count > 1)
        return EXIT_OK;
    if (t->breaches)
        return EXIT_THRESHOLD;
    if (load_stats_counts_const(out->stats)->ok == 0 || t->unmeasured)
        return EXIT_INCONCLUSIVE;
    return EXIT_OK;
}

/* Writes every report asked for; 0, or EXIT_INCONCLUSIVE after saying
 * why one could not be written. */
static int write_reports(const struct plan *pl, const struct result_run *run)
{
    struct report_output outs[3];
    size_t n = 0;
    if (pl->json)
        outs[n++] = (struct report_output){"json", pl->json};
    if (pl->junit)
        outs[n++] = (struct report_output){"junit", pl->junit};
    if (pl->html)
        outs[n++] = (struct report_output){"html", pl->html};
    struct report_options ro = {false, NULL};
    char err[2048];
    if (n == 0 || report_write_all(run, outs, n, &ro, err, sizeof err) == 0)
        return EXIT_OK;
    fprintf(stderr, "smtpsuite load: %s\n", err);
    return EXIT_INCONCLUSIVE;
}

/* A shard whose harness failed still leaves a result, so merge names
 * it as failed (with why) rather than missing. */
static void write_failed(struct plan *pl, struct result_run *run,
                         const char *why)
{
    if (pl->shard.count <= 1 || !pl->json)
        return;
    run->started_us = run->ended_us = clock_wall_us();
    run->incomplete = true;
    property(run, "shard.status", "failed");
    property(run, "shard.error", why);
    write_reports(pl, run);
}

/* Waiting for --start-at is worth a line on stderr. */
static void say_wait(const struct plan *pl, const struct load_opts *o)
{
    int64_t wait = pl->start_wall_us - clock_wall_us();
    if (o->quiet || wait < WAIT_NOTE_US)
        return;
    if (pl->shard.count > 1)
        fprintf(stderr,
                "smtpsuite load: shard %u of %u waits %.1fs for --start-at "
                "%s\n",
                pl->shard.index, pl->shard.count, (double)wait / 1e6,
                o->start_at);
    else
        fprintf(stderr, "smtpsuite load: waiting %.1fs for --start-at %s\n",
                (double)wait / 1e6, o->start_at);
}

/* The summary's shard line, or NULL for a whole run. */
static char *shard_line(const struct plan *pl, const char *run_id,
                        const struct load_outcome *out)
{
    if (pl->shard.count <= 1 && !pl->start_wall_us)
        return NULL;
    char shift[32] = "";
    if (pl->start_wall_us)
        load_print_us(out->start_shift_us, shift, sizeof shift);
    if (pl->shard.count <= 1)
        return xasprintf("started %s after --start-at", shift);
    return xasprintf("%u of %u (%s), run %s: %s%s%s; smtpsuite merge judges "
                     "the thresholds",
                     pl->shard.index, pl->shard.count, pl->shard.source, run_id,
                     pl->share, pl->start_wall_us ? ", started late by " : "",
                     shift);
}

/* Waits for the arrivals, then puts the findings into the stats (the
 * "delivery" step) and run (counters delivery.*, properties). */
static void delivery_result(struct plan *pl, struct load_outcome *out,
                            struct result_run *run, struct deliver_report *r)
{
    cli_deliver_finish(&pl->dlv, &STOP, r, cli_deliver_latency, out->stats,
                       run);
    cli_deliver_stats(out->stats, r);
}

static int execute(struct plan *pl, int argc, char **argv,
                   const struct load_opts *o)
{
    char err[512];
    struct load_outcome out;
    catch_signals();
    struct result_run *run = new_result(pl, argc, argv);
    pl->rp.run_id = pl->sess_id;
    say_wait(pl, o);
    /* the run id is a prefix of sess_id, the tokens' */
    cli_deliver_set_run(&pl->dlv, run->run_id, pl->shard.index,
                        pl->shard.count);
    pl->rp.deliver = pl->dlv.hop;
    if (load_run(&pl->rp, &out, err, sizeof err) != 0) {
        write_failed(pl, run, err);
        result_run_free(run);
        return cli_error(&cli_verb_load, "%s", err);
    }
    if (pl->tty)
        load_print_live_end(stdout, true);
    run->started_us = out.started_wall_us;
    run->ended_us = clock_wall_us();
    run->incomplete = out.interrupted;
    struct deliver_report *dr = NULL;
    if (o->dlv.to) {
        dr = xcalloc(1, sizeof *dr);
        delivery_result(pl, &out, run, dr);
        run->ended_us = clock_wall_us();
    }
    load_outcome_to_result(&out, run);
    struct load_print_threshold pt[MAX_THRESHOLDS];
    char obs[MAX_THRESHOLDS][THRESHOLD_MAX_OBSERVED];
    struct load_judge_tally tally = {0, 0};
    load_judge(pl->th, pl->nth, out.stats, dr, pl->shard.count > 1, run, pt,
               obs, &tally);
    char *target = target_address(pl->t), *sc = scenario_list(pl);
    char *shard = shard_line(pl, run->run_id, &out);
    struct load_print_summary ps = {pl->model, target, sc, pl->rp.threads,
                                    &out,      pt,     pl->nth, NULL, shard,
                                    dr,        o->dlv.to, o->dlv.late};
    load_print_summary(stdout, &ps);
    free(target);
    free(sc);
    free(shard);
    int code = exit_code(pl, &out, &tally);
    if (cli_deliver_close_log(&cli_verb_load, &pl->dlv, o->quiet) != EXIT_OK &&
        code == EXIT_OK)
        code = EXIT_INCONCLUSIVE;
    if (write_reports(pl, run) != EXIT_OK && code == EXIT_OK)
        code = EXIT_INCONCLUSIVE;
    load_outcome_free(&out);
    result_run_free(run);
    free(dr);
    return code;
}

static int load_main(int argc, char **argv)
{
    struct load_opts o = {0};
    o.tmo = &TIMEOUTS_CI;
    o.max_inflight = DEFAULT_CAP;
    o.queue = -1;
    o.drain = 10000000;
    o.messages = 1;
    cli_deliver_defaults(&o.dlv);
    struct cli_list pos = {0};
    struct plan *pl = xcalloc(1, sizeof *pl);
    int code = EXIT_USAGE;
    enum cli_status st = cli_parse(&cli_verb_load, argc, argv, &o, &pos);
    if (st != CLI_OK) {
        code = st == CLI_HELP ? EXIT_OK : EXIT_USAGE;
        goto out;
    }
    if (o.queue < 0)
        o.queue = o.max_inflight;
    code = make_plan(&o, pl, &pos);
    if (code == 0)
        code = execute(pl, argc, argv, &o);
out:
    plan_free(pl);
    free(pl);
    cli_list_free(&pos);
    cli_target_opts_free(&o.tgt);
    cli_list_free(&o.scenarios);
    cli_list_free(&o.ids);
    cli_list_free(&o.thresholds);
    cli_deliver_opts_free(&o.dlv);
    return code;
}
