/* body: message content for DATA, streamed. A session asks a stream for
 * the next chunk of wire bytes when the connection's output drained, so
 * a message is never held whole: a generated message of a given size
 * (byte for byte what msggen_message makes), or one message of a corpus
 * (a Maildir folder or an mbox file) read from disk as it is sent.
 * Content is dot-stuffed on the fly (RFC 5321 4.5.2) and ends with
 * CRLF "." CRLF; corpus lines ending in a bare LF get CRLF.
 *
 * Also here: the message sizes of load runs (fixed, a uniform range, or
 * a weighted table) and the pick from them. */
#ifndef SMTPSUITE_BODY_H
#define SMTPSUITE_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/buf.h"
#include "harness/msggen.h"

#define BODY_CHUNK      (16u * 1024) /* wire bytes a read produces at most */
#define BODY_MAX_SIZE   (1u << 30)   /* largest generated message, octets */
#define BODY_CORPUS_MAX 1000000      /* messages in one corpus */
#define BODY_SIZES_MAX  64           /* rows of a size table */

struct body_stream;
struct body_corpus;

/* ---- streams ------------------------------------------------------------ */

/* A stream of the message msggen_message would make from p (p->size 0:
 * the minimal message). The caller frees it with body_stream_free. */
struct body_stream *body_stream_gen(const struct msggen_params *p);
/* A stream of message i (0-based, < body_corpus_count) of c; c must
 * outlive it. NULL with a reason in err when the file cannot be opened. */
struct body_stream *body_stream_corpus(const struct body_corpus *c, size_t i,
                                       char *err, size_t errlen);
void body_stream_free(struct body_stream *bs); /* NULL is a no-op */

/* Appends the next wire bytes to out: at most max (>= 256) octets, at
 * least one while any are left. Returns 1 when the terminating
 * CRLF "." CRLF has been appended (the stream is done), 0 when more
 * follows, -1 on a read error (message in err). */
int body_stream_read(struct body_stream *bs, struct buf *out, size_t max,
                     char *err, size_t errlen);
/* The delivery token of a generated message ("" for a corpus one). */
const char *body_stream_token(const struct body_stream *bs);
/* Wire octets produced so far. */
uint64_t body_stream_octets(const struct body_stream *bs);

/* ---- the dot-stuffer ------------------------------------------------------
 */

/* The streaming form of prog_dot_stuff: feed content in any pieces,
 * then finish; the bytes out are the same. */
struct body_stuffer {
    uint8_t prev[2]; /* the last two content bytes (0 before any) */
    uint64_t n;      /* content bytes fed */
};

void body_stuff_init(struct body_stuffer *st);
void body_stuff_add(struct body_stuffer *st, const char *p, size_t n,
                    struct buf *out);
/* Appends CRLF when the content did not end with one (and was not
 * empty), then "." CRLF. */
void body_stuff_finish(struct body_stuffer *st, struct buf *out);

/* ---- corpora ----------------------------------------------------------- */

/* Indexes a corpus: a Maildir (a folder with cur/ and/or new/; every
 * regular file in them is a message), a folder of files (each one a
 * message), or an mbox file (mboxrd: messages start at "From " lines;
 * ">From " lines lose one '>'). Files are read again when sent. NULL
 * with a reason in err (unreadable, empty, more than BODY_CORPUS_MAX). */
struct body_corpus *body_corpus_open(const char *path, char *err,
                                     size_t errlen);
void body_corpus_free(struct body_corpus *c); /* NULL is a no-op */
size_t body_corpus_count(const struct body_corpus *c);
/* The corpus as "mbox" or "maildir" (a plain folder counts as one). */
const char *body_corpus_kind(const struct body_corpus *c);

/* ---- sizes --------------------------------------------------------------- */

enum body_sizes_kind {
    BODY_SIZES_NONE,  /* the scenario's own sizes */
    BODY_SIZES_FIXED, /* min */
    BODY_SIZES_RANGE, /* uniform in [min, max] */
    BODY_SIZES_TABLE, /* size[i] with weight[i] */
};

struct body_sizes {
    enum body_sizes_kind kind;
    uint64_t min, max;
    uint64_t size[BODY_SIZES_MAX];
    uint64_t weight[BODY_SIZES_MAX];
    size_t n;
    uint64_t total_weight;
};

/* A size from s; *rng is the caller's generator state (any nonzero
 * seed), advanced. */
uint64_t body_sizes_pick(const struct body_sizes *s, uint64_t *rng);
/* The next number of a xorshift64* generator (*rng nonzero). */
uint64_t body_rand(uint64_t *rng);

#endif
