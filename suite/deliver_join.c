/* deliver_join: submission and arrival logs read into one delivery book
 * (see deliver_join.h). Each file is read line by line (at most
 * DELIVER_LOG_LINE_MAX octets a line); harness/deliver_log.c reads the
 * lines. */
#include "suite/deliver_join.h"
#include "harness/deliver_log.h"
#include "harness/xalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One recipient's arrival, kept until every log is read. */
struct arrival {
    int64_t at_us;
    uint64_t seq; /* order of reading: ties keep it */
    char *token;  /* NULL: none */
    char *rcpt;
    bool carries;
    enum arrival_class cls;
};

struct deliver_join {
    char *run_id;
    unsigned nshards;
    char **shard_file; /* nshards: the submission log of each shard */
    struct deliver_book *book;
    uint64_t records;
    struct arrival *arr; /* every recipient's arrival, all logs */
    size_t narr, caparr;
    bool finished;
};

struct deliver_join *deliver_join_new(const char *run_id, unsigned nshards)
{
    struct deliver_join *j = xcalloc(1, sizeof *j);
    j->run_id = xstrdup(run_id);
    j->nshards = nshards ? nshards : 1;
    j->shard_file = xcalloc(j->nshards, sizeof *j->shard_file);
    j->book = deliver_book_new(run_id);
    return j;
}

void deliver_join_free(struct deliver_join *j)
{
    if (!j)
        return;
    for (unsigned i = 0; i < j->nshards; i++)
        free(j->shard_file[i]);
    free(j->shard_file);
    deliver_book_free(j->book);
    for (size_t i = 0; i < j->narr; i++) {
        free(j->arr[i].token);
        free(j->arr[i].rcpt);
    }
    free(j->arr);
    free(j->run_id);
    free(j);
}

/* Formats err; returns status. */
static int fail(int status, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(int status, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return status;
}

/* One line of a file, numbered from 1, without its line end. */
typedef int line_fn(struct deliver_join *j, const char *path, size_t no,
                    const char *line, size_t len, void *state, char *err,
                    size_t errlen);

/* Calls fn for every non-empty line of path; the first status not OK. */
static int each_line(struct deliver_join *j, const char *path, line_fn *fn,
                     void *state, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return fail(DELIVER_JOIN_BAD_FILE, err, errlen, "%s: %s", path,
                    strerror(errno));
    char *line = NULL;
    size_t cap = 0, no = 0;
    ssize_t n;
    int rc = DELIVER_JOIN_OK;
    while (rc == DELIVER_JOIN_OK && (n = getline(&line, &cap, fp)) >= 0) {
        no++;
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len > DELIVER_LOG_LINE_MAX)
            rc = fail(DELIVER_JOIN_BAD_FILE, err, errlen,
                      "%s:%zu: a line longer than %d octets", path, no,
                      DELIVER_LOG_LINE_MAX);
        else if (len)
            rc = fn(j, path, no, line, len, state, err, errlen);
    }
    if (rc == DELIVER_JOIN_OK && ferror(fp))
        rc = fail(DELIVER_JOIN_BAD_FILE, err, errlen, "%s: %s", path,
                  strerror(errno));
    free(line);
    fclose(fp);
    return rc;
}

/* Whether token is one of the run's: "RUN." first. */
static bool of_run(const struct deliver_join *j, const char *token)
{
    size_t n = strlen(j->run_id);
    return strncmp(token, j->run_id, n) == 0 && token[n] == '.';
}

/* The header: this run's, a shard not seen yet. */
static int header(struct deliver_join *j, const char *path,
                  const struct deliver_log_line *l, char *err, size_t errlen)
{
    if (strcmp(l->run_id, j->run_id) != 0)
        return fail(DELIVER_JOIN_NOT_RUN, err, errlen,
                    "%s: a submission log of run '%s', not of the results' "
                    "run '%s'",
                    path, l->run_id, j->run_id);
    if (l->nshards != j->nshards)
        return fail(DELIVER_JOIN_NOT_RUN, err, errlen,
                    "%s: a submission log of shard %u of %u, but the results "
                    "are of %u shard%s",
                    path, l->shard, l->nshards, j->nshards,
                    j->nshards == 1 ? "" : "s");
    if (j->shard_file[l->shard])
        return fail(DELIVER_JOIN_NOT_RUN, err, errlen,
                    "%s: shard %u's submission log was given twice (also "
                    "%s)",
                    path, l->shard, j->shard_file[l->shard]);
    j->shard_file[l->shard] = xstrdup(path);
    return DELIVER_JOIN_OK;
}

static int submission_line(struct deliver_join *j, const char *path, size_t no,
                           const char *line, size_t len, void *state, char *err,
                           size_t errlen)
{
    bool *seen_header = state;
    struct deliver_log_line l;
    char why[512];
    if (deliver_log_parse(line, len, &l, why, sizeof why) != 0)
        return fail(DELIVER_JOIN_BAD_FILE, err, errlen, "%s:%zu: %s", path, no,
                    why);
    if (l.header != !*seen_header)
        return fail(DELIVER_JOIN_BAD_FILE, err, errlen, "%s:%zu: %s", path, no,
                    l.header ? "a second header line"
                             : "no header line first: not a submission log "
                               "(smtpsuite run or load --deliver-log)");
    if (l.header) {
        *seen_header = true;
        return header(j, path, &l, err, errlen);
    }
    if (!of_run(j, l.token))
        return fail(DELIVER_JOIN_NOT_RUN, err, errlen,
                    "%s:%zu: token '%s' is not of the run '%s'", path, no,
                    l.token, j->run_id);
    deliver_book_submit(j->book, l.token, l.accepted_us);
    return DELIVER_JOIN_OK;
}

int deliver_join_submissions(struct deliver_join *j, const char *path,
                             char *err, size_t errlen)
{
    bool seen_header = false;
    int rc = each_line(j, path, submission_line, &seen_header, err, errlen);
    if (rc == DELIVER_JOIN_OK && !seen_header)
        rc = fail(DELIVER_JOIN_BAD_FILE, err, errlen,
                  "%s: empty: not a submission log (smtpsuite run or load "
                  "--deliver-log writes its header line first)",
                  path);
    return rc;
}

static int arrival_line(struct deliver_join *j, const char *path, size_t no,
                        const char *line, size_t len, void *state, char *err,
                        size_t errlen)
{
    (void)state;
    struct deliver_arrival a;
    char why[512];
    if (deliver_arrival_parse(line, len, &a, why, sizeof why) != 0)
        return fail(DELIVER_JOIN_BAD_FILE, err, errlen,
                    "%s:%zu: %s (not a record of smtpsuite sink --record)",
                    path, no, why);
    j->records++;
    for (size_t i = 0; i < a.nrcpt; i++) {
        if (j->narr == j->caparr) {
            j->caparr = j->caparr ? 2 * j->caparr : 1024;
            j->arr = xrealloc(j->arr, j->caparr * sizeof *j->arr);
        }
        j->arr[j->narr] =
            (struct arrival){a.at_us,
                             j->narr,
                             a.has_token ? xstrdup(a.token) : NULL,
                             xstrdup(a.rcpts[i]),
                             a.has_token && a.carries,
                             a.cls};
        j->narr++;
    }
    deliver_arrival_clear(&a);
    return DELIVER_JOIN_OK;
}

int deliver_join_arrivals(struct deliver_join *j, const char *path, char *err,
                          size_t errlen)
{
    return each_line(j, path, arrival_line, NULL, err, errlen);
}

/* Earlier arrivals first; at one time, in the order read. */
static int by_time(const void *x, const void *y)
{
    const struct arrival *a = x, *b = y;
    if (a->at_us != b->at_us)
        return a->at_us < b->at_us ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int deliver_join_finish(struct deliver_join *j, char *err, size_t errlen)
{
    for (unsigned i = 0; i < j->nshards; i++)
        if (!j->shard_file[i])
            return j->nshards == 1
                       ? fail(DELIVER_JOIN_NOT_RUN, err, errlen,
                              "no submission log of run '%s' was given",
                              j->run_id)
                       : fail(DELIVER_JOIN_NOT_RUN, err, errlen,
                              "no submission log of shard %u of %u (give "
                              "every shard's --deliver-log file)",
                              i, j->nshards);
    if (j->finished)
        return DELIVER_JOIN_OK;
    /* In time order, as they reached the next hops: the first arrival of
     * a message is its earliest, whichever log holds it. */
    qsort(j->arr, j->narr, sizeof *j->arr, by_time);
    for (size_t i = 0; i < j->narr; i++)
        deliver_book_arrive(j->book, j->arr[i].token, j->arr[i].rcpt,
                            j->arr[i].at_us, j->arr[i].carries, j->arr[i].cls);
    j->finished = true;
    return DELIVER_JOIN_OK;
}

const struct deliver_book *deliver_join_book(const struct deliver_join *j)
{
    return j->book;
}

uint64_t deliver_join_records(const struct deliver_join *j)
{
    return j->records;
}
