/* deliver_join: the delivery book of a run made from files (docs/
 * delivery.md "Across machines"): the submission logs the run's
 * processes wrote (run and load --deliver-log; one a shard) and the
 * arrival logs of standalone sinks (smtpsuite sink --record). The book
 * (harness/deliver.h) then matches them exactly as the in-process next
 * hop does: per token and recipient, with no drain deadline (a message
 * is lost when no arrival log holds it).
 *
 * Errors name the file, and the line where one is at fault. */
#ifndef SMTPSUITE_DELIVER_JOIN_H
#define SMTPSUITE_DELIVER_JOIN_H

#include <stddef.h>
#include <stdint.h>

#include "harness/deliver.h"

enum deliver_join_status {
    DELIVER_JOIN_OK = 0,
    DELIVER_JOIN_BAD_FILE = -1, /* unreadable, or a line that is not one of
                                   the log's */
    DELIVER_JOIN_NOT_RUN = -2,  /* a submission log of another run, a shard's
                                   log missing or given twice */
};

struct deliver_join;

/* A join for the run run_id of nshards shards (1: not sharded). */
struct deliver_join *deliver_join_new(const char *run_id, unsigned nshards);
void deliver_join_free(struct deliver_join *j); /* NULL is a no-op */
/* Books every message of one submission log; a status, err on error. */
int deliver_join_submissions(struct deliver_join *j, const char *path,
                             char *err, size_t errlen);
/* Reads every arrival of one arrival log (booked by finish); a status,
 * err on error. */
int deliver_join_arrivals(struct deliver_join *j, const char *path, char *err,
                          size_t errlen);
/* After the logs: every shard's submission log must have been given;
 * then the arrivals are booked in time order (the first arrival of a
 * message is its earliest, whichever log holds it). A status. */
int deliver_join_finish(struct deliver_join *j, char *err, size_t errlen);
/* The book (owned by j; complete after deliver_join_finish). */
const struct deliver_book *deliver_join_book(const struct deliver_join *j);
/* Arrival records read (lines of the arrival logs). */
uint64_t deliver_join_records(const struct deliver_join *j);

#endif
