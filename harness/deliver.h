/* deliver: delivery checks (docs/delivery.md). The book matches the
 * messages a run submitted (token, time of the 250) with the messages
 * that arrived at the next hop (token, recipient, time, change class
 * from harness/arrival.c): delivery latency, lost, late, duplicated,
 * changed. The book is plain data, not thread-safe; struct deliver runs
 * a sink (harness/sink.c) on a thread of its own as the relay's next
 * hop, writes every arrival into a book under a lock, and waits for the
 * submitted messages to arrive. */
#ifndef SMTPSUITE_DELIVER_H
#define SMTPSUITE_DELIVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/arrival.h"

#define DELIVER_DRAIN_US  (30 * 1000000LL) /* wait for arrivals, default */
#define DELIVER_LATE_US   (10 * 1000000LL) /* later than this: late */
#define DELIVER_SETTLE_US (1000000LL)      /* listen for duplicates */
#define DELIVER_EXAMPLES  10               /* tokens named per finding */
#define DELIVER_MAX_RCPT  1000 /* recipients remembered per message */

/* What the book says. */
struct deliver_report {
    uint64_t submitted;  /* messages accepted by the relay (2xx) */
    uint64_t arrived;    /* of them, arrived at least once */
    uint64_t lost;       /* of them, not arrived by the deadline */
    uint64_t late;       /* arrived, later than late_us after acceptance */
    uint64_t duplicated; /* deliveries of a message to a recipient again */
    uint64_t unexpected; /* arrivals with a token of this run nobody saw
                            accepted (a 250 lost on the way back) */
    uint64_t foreign;    /* arrivals without a token of this run */
    uint64_t classes[ARRIVAL_CLASS_COUNT]; /* arrived, by first arrival */
    uint64_t unsigned_; /* arrived without a digest to compare */
    uint64_t corrupt;   /* arrived in a class the verdict counts */
    /* up to DELIVER_EXAMPLES tokens of each finding, ' '-separated */
    char lost_tokens[DELIVER_EXAMPLES * 80];
    char changed_tokens[DELIVER_EXAMPLES * 80];
    char duplicated_tokens[DELIVER_EXAMPLES * 80];
};

/* ---- the book ----------------------------------------------------------- */

struct deliver_book;

/* A book for the tokens of run run_id (copied). */
struct deliver_book *deliver_book_new(const char *run_id);
void deliver_book_free(struct deliver_book *b); /* NULL is a no-op */
/* A message the relay accepted at accepted_us (wall clock). */
void deliver_book_submit(struct deliver_book *b, const char *token,
                         int64_t accepted_us);
/* A message arrived for rcpt at at_us; token NULL or "" when it had
 * none; carries: it had a digest, and c is its class. */
void deliver_book_arrive(struct deliver_book *b, const char *token,
                         const char *rcpt, int64_t at_us, bool carries,
                         enum arrival_class c);
/* A message its case judges itself (expect arrival, expect dsn): it
 * counts in none of the findings, nor do its arrivals. */
void deliver_book_exempt(struct deliver_book *b, const char *token);
/* Submitted messages not arrived yet. */
uint64_t deliver_book_missing(const struct deliver_book *b);
/* The findings into *r; latency(arg, us) once for each message that
 * arrived (its first arrival), in no particular order. */
void deliver_book_report(const struct deliver_book *b, int64_t late_us,
                         struct deliver_report *r,
                         void (*latency)(void *arg, int64_t us), void *arg);

struct result_run;

/* Appends r to run: the counters delivery.* (submitted, arrived, lost,
 * late, duplicated, unexpected, foreign, unsigned, corrupt, and
 * class.NAME for each class) and the properties delivery.lost_tokens,
 * delivery.duplicated_tokens, delivery.changed_tokens. */
void deliver_report_to_result(const struct deliver_report *r,
                              struct result_run *run);

/* ---- the in-process next hop ------------------------------------------- */

struct deliver_log;

struct deliver_params {
    const char *listen; /* "ADDR:PORT" the relay delivers to; NULL: no next
                           hop, only the submission log */
    const char *run_id;
    const char *record;        /* the sink's arrival log, or NULL */
    const char *const *faults; /* sink fault rules (docs/sink.md) */
    size_t nfaults;
    bool quiet; /* no sink log on stderr */
    /* the submission log (harness/deliver_log.h; not owned), or NULL:
     * deliver_submit writes every accepted message there too */
    struct deliver_log *log;
    bool keep;  /* keep what arrives, for deliver_seek (cases) */
};

#define DELIVER_KEEP_MAX (256u << 20) /* octets of content kept in all */

struct deliver;

/* Binds the sink and starts its thread (without p->listen: neither;
 * deliver_submit then only writes p->log). NULL with a one-line err
 * (*usage: the parameters were at fault). Free with deliver_free. */
struct deliver *deliver_new(const struct deliver_params *p, bool *usage,
                            char *err, size_t errlen);
/* Thread-safe: the run whose tokens are this run's (before any message
 * is submitted; the book forgets what it had). */
void deliver_set_run(struct deliver *d, const char *run_id);
/* Whether d runs a next hop (deliver_params.listen), not only a log. */
bool deliver_listening(const struct deliver *d);
/* The bound TCP port (the sink's). */
int deliver_port(const struct deliver *d);
/* Thread-safe: a message the relay accepted. */
void deliver_submit(struct deliver *d, const char *token, int64_t accepted_us);
/* Thread-safe: a message the relay accepted whose case looks at its
 * arrival itself (deliver_book_exempt); neither booked nor logged. */
void deliver_exempt(struct deliver *d, const char *token);
/* Waits until every submitted message arrived, or until deadline_us
 * (monotonic clock) passed, or until *stop is set; then waits settle_us
 * more for duplicates. Returns the messages still missing. */
uint64_t deliver_wait(struct deliver *d, int64_t deadline_us, int64_t settle_us,
                      volatile sig_atomic_t *stop);
/* Stops the sink (its sessions get 421), joins its thread, and reports
 * as deliver_book_report. */
void deliver_finish(struct deliver *d, int64_t late_us,
                    struct deliver_report *r,
                    void (*latency)(void *arg, int64_t us), void *arg);
void deliver_free(struct deliver *d); /* NULL is a no-op */

/* A message the next hop kept (deliver_params.keep): a copy the caller
 * owns (deliver_seen_free). */
struct deliver_seen {
    char *token; /* its X-Smtpsuite-Id, "" without one */
    char *from;  /* envelope sender, "" for <> */
    char *rcpt;  /* accepted recipients, ' '-joined */
    char *data;  /* the content, NULL when over DELIVER_KEEP_MAX */
    size_t len;
    const char *cls; /* change class name, or "unsigned" */
    int64_t count;   /* arrivals that matched the same search */
};

/* What deliver_seek looks for. */
enum deliver_seek_by {
    DELIVER_SEEK_TOKEN,  /* the message carrying the token */
    DELIVER_SEEK_DSN,    /* a DSN for it: a message from <> whose content
                            holds the token, as RFC 3464's returned
                            headers do */
    DELIVER_SEEK_SENDER, /* a message whose envelope sender is the key
                            (case-insensitive) */
};

/* Thread-safe: the first kept arrival that matches key by `by`; NULL
 * when none yet. Its count says how many matched. */
struct deliver_seen *deliver_seek(struct deliver *d, const char *key,
                                  enum deliver_seek_by by);
void deliver_seen_free(struct deliver_seen *s); /* NULL is a no-op */

#endif
