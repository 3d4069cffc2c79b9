/* deliver_log: the two logs a delivery join reads (docs/delivery.md
 * "Across machines"). The submission log is written here: one JSON line
 * a message the relay accepted (its token and the time of the 250), after
 * a header line naming the run and the shard; the arrival log is the
 * sink's --record file (harness/sink_log.c). This module owns the
 * submission log's format and reads one line of either log into plain
 * values (sans I/O: a line in, values or an error out). */
#ifndef SMTPSUITE_DELIVER_LOG_H
#define SMTPSUITE_DELIVER_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/arrival.h"

#define DELIVER_LOG_VERSION  1
#define DELIVER_LOG_LINE_MAX (1024 * 1024) /* a line of either log, at most */
#define DELIVER_LOG_ID_MAX   128           /* a run id, with NUL */

/* ---- writing the submission log ---------------------------------------- */

struct deliver_log;

/* Creates (truncates) path. NULL with a one-line err. */
struct deliver_log *deliver_log_open(const char *path, char *err,
                                     size_t errlen);
/* The header line: the run and which shard of how many wrote the log. */
void deliver_log_header(struct deliver_log *l, const char *run_id,
                        unsigned shard, unsigned nshards);
/* Thread-safe: a message accepted at accepted_us (wall clock). */
void deliver_log_submit(struct deliver_log *l, const char *token,
                        int64_t accepted_us);
/* Messages written so far. Thread-safe. */
uint64_t deliver_log_count(struct deliver_log *l);
/* Closes the file; 0, or -1 with err naming the first write error. NULL
 * is a no-op. */
int deliver_log_close(struct deliver_log *l, char *err, size_t errlen);

/* ---- reading ------------------------------------------------------------- */

/* One line of the submission log. */
struct deliver_log_line {
    bool header; /* a header line: run_id, shard, nshards */
    char run_id[DELIVER_LOG_ID_MAX];
    unsigned shard, nshards;
    char token[ARRIVAL_TOKEN_MAX]; /* otherwise: a message */
    int64_t accepted_us;
};

/* Reads one submission-log line (without its newline). 0, or -1 with
 * err saying what is wrong with it. */
int deliver_log_parse(const char *line, size_t len,
                      struct deliver_log_line *out, char *err, size_t errlen);

/* One record of the sink's arrival log, as far as delivery cares. */
struct deliver_arrival {
    bool has_token; /* the message carried a token (field "token") */
    char token[ARRIVAL_TOKEN_MAX];
    bool carries;           /* it carried a digest (field "change") ... */
    enum arrival_class cls; /* ... and this is its class */
    int64_t at_us;          /* "time_us", else "time" (milliseconds) */
    char **rcpts;           /* "rcpt_to" addresses (owned) */
    size_t nrcpt;
};

/* Reads one arrival-log line into out (cleared first; free its
 * recipients with deliver_arrival_clear). 0, or -1 with err. */
int deliver_arrival_parse(const char *line, size_t len,
                          struct deliver_arrival *out, char *err,
                          size_t errlen);
void deliver_arrival_clear(struct deliver_arrival *a);

#endif
