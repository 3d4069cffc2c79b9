/* cli_deliver: the delivery-check options of the verbs that submit mail
 * (run, load; docs/delivery.md): the fields a verb embeds in its options
 * struct, the rows of its option table (CLI_DELIVER_ROWS), the in-process
 * next hop and the submission log they make, and the delivery figures of
 * a load's stats (shared with merge's join). */
#ifndef SMTPSUITE_CLI_DELIVER_H
#define SMTPSUITE_CLI_DELIVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/deliver.h"
#include "suite/cli.h"

struct cli_deliver_opts {
    const char *to; /* --deliver-to */
    int64_t drain, late, settle;
    const char *record;
    struct cli_list faults;
    const char *log; /* --deliver-log, as given ({shard} unexpanded) */
};

/* clang-format off */
#define CLI_DELIVER_ROWS(T, m)                                                 \
    CLI_SECTION("delivery checks (docs/delivery.md)"),                        \
    {"deliver-to", 0, CLI_STR, offsetof(T, m.to), "ADDR:PORT", "run a sink here as the relay's next hop and match\nwhat arrives with what was accepted", 0, 0, NULL}, \
    {"deliver-drain", 0, CLI_DURATION, offsetof(T, m.drain), "D", "wait at most D after the run for messages to\narrive; later ones are lost (default 30s)", 0, 0, NULL}, \
    {"deliver-late", 0, CLI_DURATION, offsetof(T, m.late), "D", "a message that took longer than D from its 250 to\nits arrival is late (default 10s)", 0, 0, NULL}, \
    {"deliver-settle", 0, CLI_DURATION, offsetof(T, m.settle), "D", "after every message arrived, listen D more for\nduplicates (default 1s)", 0, 0, NULL}, \
    {"deliver-record", 0, CLI_STR, offsetof(T, m.record), "FILE", "write the next hop's arrival log (JSON lines)", 0, 0, NULL}, \
    {"deliver-fault", 0, CLI_LIST, offsetof(T, m.faults), "RULE", "a sink fault rule or preset for the next hop\n(docs/sink.md; repeatable)", 0, 0, NULL}, \
    {"deliver-log", 0, CLI_STR, offsetof(T, m.log), "FILE", "write the submission log: a JSON line a message\nthe server accepted (its token and time), for\n'smtpsuite merge --deliver-log' to join with a sink's\n--record file; {shard} as in the result paths", 0, 0, NULL}
/* clang-format on */

/* The defaults of --deliver-drain, --deliver-late, --deliver-settle. */
void cli_deliver_defaults(struct cli_deliver_opts *o);
void cli_deliver_opts_free(struct cli_deliver_opts *o);

/* What the options made. */
struct cli_deliver {
    const struct cli_deliver_opts *o;
    struct deliver *hop;     /* --deliver-to or --deliver-log, or NULL */
    struct deliver_log *log; /* --deliver-log, or NULL */
    char *log_path;          /* its path, {shard} expanded */
};

/* Checks the options, binds the next hop (--deliver-to) and creates the
 * submission log (log_path: --deliver-log expanded, or NULL) before
 * anything connects. 0, or the exit code after printing the error as
 * verb's. corpus: the verb replays messages without tokens; keep: its
 * cases look at what arrives (expect arrival), so the next hop keeps
 * each message's content. */
int cli_deliver_start(const struct cli_verb *verb,
                      const struct cli_deliver_opts *o, const char *log_path,
                      bool corpus, bool keep, bool quiet,
                      struct cli_deliver *d);
/* The run's id (before any message is submitted) and, for the log's
 * header, which shard of how many this process is. */
void cli_deliver_set_run(struct cli_deliver *d, const char *run_id,
                         unsigned shard, unsigned nshards);
struct result_run;

/* With --deliver-to: waits for the arrivals (until --deliver-drain or
 * *stop, then --deliver-settle), stops the next hop, fills *r and calls
 * latency(arg, us) for each arrived message; adds the delivery counters
 * and properties to run. */
void cli_deliver_finish(struct cli_deliver *d, volatile sig_atomic_t *stop,
                        struct deliver_report *r,
                        void (*latency)(void *arg, int64_t us), void *arg,
                        struct result_run *run);
/* The delivery counters of r and the properties delivery.to (to, in
 * words), delivery.late_after (late_us) and, unless drain is NULL,
 * delivery.drain: what run and load with --deliver-to and merge's join
 * add to their result. */
void cli_deliver_to_result(const struct deliver_report *r, const char *to,
                           int64_t late_us, const char *drain,
                           struct result_run *run);
/* latency for a run's "delivery" histogram: records us in the struct
 * hist arg (run --deliver-to, and merge joining a run result). */
void cli_deliver_hist_latency(void *arg, int64_t us);
/* A run's delivery verdict (docs/delivery.md): EXIT_FAILED when a message
 * was lost, duplicated or corrupted, else EXIT_OK. */
int cli_deliver_exit(const struct deliver_report *r);
/* Closes the submission log and says what it holds (unless quiet).
 * EXIT_OK, or EXIT_INCONCLUSIVE after printing a write error. */
int cli_deliver_close_log(const struct cli_verb *verb, struct cli_deliver *d,
                          bool quiet);
void cli_deliver_free(struct cli_deliver *d); /* what start made */

struct load_stats;

/* latency for cli_deliver_finish and deliver_book_report: records us in
 * the "delivery" step of the load stats arg. */
void cli_deliver_latency(void *arg, int64_t us);
/* The delivery step's attempts (a message accepted) and error lines
 * (lost, late, duplicated, and each class the verdict counts). */
void cli_deliver_stats(struct load_stats *st, const struct deliver_report *r);

#endif
