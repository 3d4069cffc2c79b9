/* body: streamed message content for DATA (see body.h).
 *
 * A stream produces wire bytes in pieces: the content goes through a
 * streaming dot-stuffer whose output equals prog_dot_stuff's for the
 * same content, however the content is cut. Each read takes at most
 * (max - SLACK) / 2 content octets: stuffing and line-end repair at
 * most double them, octets held back at a line start (an mbox ">From")
 * come out later, and the terminator adds 5. */
#include "harness/body.h"
#include "harness/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RAW_READ 4096 /* corpus octets read from the file at once */
#define HOLD_MAX 64   /* '>'s held back at a line start before giving up */
#define SLACK    (5 + HOLD_MAX + 5) /* terminator, held '>'s, "From " */

/* ---- the dot-stuffer ------------------------------------------------------
 */

void body_stuff_init(struct body_stuffer *st)
{
    memset(st, 0, sizeof *st);
}

void body_stuff_add(struct body_stuffer *st, const char *p, size_t n,
                    struct buf *out)
{
    if (n == 0)
        return;
    /* A line starts at the content's start and after each CRLF; only
     * there may a '.' need doubling (RFC 5321 4.5.2), so jump from LF to
     * LF. The CRLF before p[0] may have come in the piece before. */
    size_t start = 0, i = 0;
    bool bol0 = st->n == 0 || (st->prev[0] == '\r' && st->prev[1] == '\n');
    if (bol0 && p[0] == '.')
        buf_addc(out, '.');
    while (i < n) {
        const char *lf = memchr(p + i, '\n', n - i);
        if (!lf)
            break;
        size_t j = (size_t)(lf - p);
        i = j + 1;
        if (i >= n)
            break;
        bool cr = j >= 1 ? p[j - 1] == '\r' : st->prev[1] == '\r';
        if (cr && p[i] == '.') {
            buf_add(out, p + start, i - start);
            buf_addc(out, '.');
            start = i;
        }
    }
    buf_add(out, p + start, n - start);
    st->prev[0] = n >= 2 ? (uint8_t)p[n - 2] : st->prev[1];
    st->prev[1] = (uint8_t)p[n - 1];
    st->n += n;
}

void body_stuff_finish(struct body_stuffer *st, struct buf *out)
{
    if (st->n > 0 && !(st->prev[0] == '\r' && st->prev[1] == '\n'))
        buf_add(out, "\r\n", 2);
    buf_add(out, ".\r\n", 3);
}

/* ---- corpora ---------------------------------------------------------------
 */

struct corpus_msg {
    size_t file; /* index into paths */
    uint64_t off, len;
};

struct body_corpus {
    bool mbox;
    char **paths;
    size_t npaths, cappaths;
    struct corpus_msg *msgs;
    size_t nmsgs, capmsgs;
};

static int add_msg(struct body_corpus *c, size_t file, uint64_t off,
                   uint64_t len, char *err, size_t errlen)
{
    if (c->nmsgs == BODY_CORPUS_MAX) {
        snprintf(err, errlen, "more than %d messages", BODY_CORPUS_MAX);
        return -1;
    }
    xgrow(&c->msgs, &c->capmsgs, c->nmsgs + 1, sizeof *c->msgs);
    c->msgs[c->nmsgs++] = (struct corpus_msg){file, off, len};
    return 0;
}

static size_t add_path(struct body_corpus *c, char *path)
{
    xgrow(&c->paths, &c->cappaths, c->npaths + 1, sizeof *c->paths);
    c->paths[c->npaths] = path;
    return c->npaths++;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular, non-hidden file of dir, sorted, as messages. */
static int index_folder(struct body_corpus *c, const char *dir, char *err,
                        size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *p = xasprintf("%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            free(p);
            continue;
        }
        xgrow(&names, &cap, n + 1, sizeof *names);
        names[n++] = p;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_str);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (rc == 0 && stat(names[i], &sb) == 0) {
            size_t f = add_path(c, names[i]);
            rc = add_msg(c, f, 0, (uint64_t)sb.st_size, err, errlen);
        } else {
            free(names[i]);
        }
    }
    free(names);
    return rc;
}

/* Splits an mbox at its "From " lines; the blank line before each
 * separator belongs to the separator, not to the message. */
static int index_mbox(struct body_corpus *c, const char *path, char *err,
                      size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t file = add_path(c, xstrdup(path));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    uint64_t off = 0, start = 0, blank = 0; /* blank: octets of a trailing
                                               empty line */
    bool in_msg = false;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, fp)) > 0) {
        bool sep = n >= 5 && memcmp(line, "From ", 5) == 0;
        if (sep) {
            if (in_msg)
                rc = add_msg(c, file, start, off - blank - start, err, errlen);
            in_msg = true;
            start = off + (uint64_t)n;
        } else if (!in_msg) {
            snprintf(err, errlen,
                     "%s: not an mbox file (its first line is not "
                     "a 'From ' line)",
                     path);
            rc = -1;
        }
        blank = (n == 1 && line[0] == '\n')                      ? 1
                : (n == 2 && line[0] == '\r' && line[1] == '\n') ? 2
                                                                 : 0;
        off += (uint64_t)n;
    }
    if (rc == 0 && in_msg)
        rc = add_msg(c, file, start, off - blank - start, err, errlen);
    free(line);
    fclose(fp);
    return rc;
}

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

struct body_corpus *body_corpus_open(const char *path, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct body_corpus *c = xcalloc(1, sizeof *c);
    int rc = 0;
    if (S_ISDIR(sb.st_mode)) {
        char *cur = xasprintf("%s/cur", path), *nw = xasprintf("%s/new", path);
        bool maildir = is_dir(cur) || is_dir(nw);
        if (maildir && is_dir(cur))
            rc = index_folder(c, cur, err, errlen);
        if (rc == 0 && maildir && is_dir(nw))
            rc = index_folder(c, nw, err, errlen);
        if (!maildir)
            rc = index_folder(c, path, err, errlen);
        free(cur);
        free(nw);
    } else {
        c->mbox = true;
        rc = index_mbox(c, path, err, errlen);
    }
    if (rc == 0 && c->nmsgs == 0) {
        snprintf(err, errlen, "%s: no messages", path);
        rc = -1;
    }
    if (rc != 0) {
        body_corpus_free(c);
        return NULL;
    }
    return c;
}

void body_corpus_free(struct body_corpus *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->npaths; i++)
        free(c->paths[i]);
    free(c->paths);
    free(c->msgs);
    free(c);
}

size_t body_corpus_count(const struct body_corpus *c)
{
    return c->nmsgs;
}

const char *body_corpus_kind(const struct body_corpus *c)
{
    return c->mbox ? "mbox" : "maildir";
}

/* ---- streams ---------------------------------------------------------------
 */

enum stream_kind { STREAM_GEN, STREAM_FILE };

struct body_stream {
    enum stream_kind kind;
    struct body_stuffer st;
    bool done;
    uint64_t octets;
    /* generated: the minimal message, then filler */
    struct buf head;
    size_t head_off;
    uint64_t fill_left;
    char token[MSGGEN_TOKEN_MAX]; /* "" for a corpus message */
    /* corpus: a slice of a file, normalised as it is read */
    int fd;
    uint64_t off, left;
    bool mbox;
    bool bol, prev_cr;
    unsigned gts, fm; /* pending '>'s and "From " octets at a line start */
};

/* The line msggen_fill repeats: 76 characters and CRLF. */
static const char *fill_line(void)
{
    static const char LINE[] = "abcdefghijklmnopqrstuvwxyz0123456789"
                               "abcdefghijklmnopqrstuvwxyz0123456789"
                               "abcd\r\n";
    _Static_assert(sizeof LINE - 1 == MSGGEN_LINE + 2, "fill line length");
    return LINE;
}

struct body_stream *body_stream_gen(const struct msggen_params *p)
{
    struct body_stream *bs = xcalloc(1, sizeof *bs);
    bs->kind = STREAM_GEN;
    bs->fd = -1;
    body_stuff_init(&bs->st);
    buf_init(&bs->head, BODY_MAX_SIZE);
    struct msggen_params mp = *p;
    if (mp.size > BODY_MAX_SIZE)
        mp.size = BODY_MAX_SIZE;
    msggen_head(&mp, &bs->head, &bs->fill_left, bs->token);
    return bs;
}

struct body_stream *body_stream_corpus(const struct body_corpus *c, size_t i,
                                       char *err, size_t errlen)
{
    const struct corpus_msg *m = &c->msgs[i % c->nmsgs];
    int fd = open(c->paths[m->file], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", c->paths[m->file], strerror(errno));
        return NULL;
    }
    struct body_stream *bs = xcalloc(1, sizeof *bs);
    bs->kind = STREAM_FILE;
    bs->fd = fd;
    bs->off = m->off;
    bs->left = m->len;
    bs->mbox = c->mbox;
    bs->bol = true;
    body_stuff_init(&bs->st);
    buf_init(&bs->head, 0);
    return bs;
}

void body_stream_free(struct body_stream *bs)
{
    if (!bs)
        return;
    if (bs->fd >= 0)
        close(bs->fd);
    buf_free(&bs->head);
    free(bs);
}

const char *body_stream_token(const struct body_stream *bs)
{
    return bs->token;
}

uint64_t body_stream_octets(const struct body_stream *bs)
{
    return bs->octets;
}

/* Generated content: up to budget octets of the head, then of filler
 * cut exactly as msggen_fill cuts it. */
static void gen_content(struct body_stream *bs, size_t budget, struct buf *out)
{
    size_t hl = bs->head.len - bs->head_off;
    if (hl) {
        size_t n = hl < budget ? hl : budget;
        body_stuff_add(&bs->st, buf_str(&bs->head) + bs->head_off, n, out);
        bs->head_off += n;
        budget -= n;
        if (bs->head_off < bs->head.len)
            return;
    }
    const size_t L = MSGGEN_LINE + 2;
    while (bs->fill_left >= L && budget >= L) {
        body_stuff_add(&bs->st, fill_line(), L, out);
        bs->fill_left -= L;
        budget -= L;
    }
    if (bs->fill_left > 0 && bs->fill_left < L && budget >= bs->fill_left) {
        if (bs->fill_left >= 2) {
            body_stuff_add(&bs->st, fill_line(), bs->fill_left - 2, out);
            body_stuff_add(&bs->st, "\r\n", 2, out);
        } else {
            body_stuff_add(&bs->st, "x", 1, out);
        }
        bs->fill_left = 0;
    }
}

/* Emits what an undecided line start held back. */
static void flush_pending(struct body_stream *bs, char *t, size_t *k)
{
    for (unsigned i = 0; i < bs->gts; i++)
        t[(*k)++] = '>';
    memcpy(t + *k, "From ", bs->fm);
    *k += bs->fm;
    bs->gts = bs->fm = 0;
}

/* Normalises one corpus octet into t: bare LF to CRLF; in an mbox,
 * ">From " at a line start loses one '>' (mboxrd). */
static void norm_octet(struct body_stream *bs, char c, char *t, size_t *k)
{
    if (bs->mbox && bs->bol) {
        if (bs->fm == 0 && c == '>' && bs->gts < HOLD_MAX) {
            bs->gts++;
            return;
        }
        if (bs->gts > 0 && c == "From "[bs->fm]) {
            if (++bs->fm == 5) {
                bs->gts--;
                flush_pending(bs, t, k);
                bs->bol = false;
            }
            return;
        }
        flush_pending(bs, t, k);
        bs->bol = false;
    }
    if (c == '\n' && !bs->prev_cr)
        t[(*k)++] = '\r';
    t[(*k)++] = c;
    bs->prev_cr = c == '\r';
    if (c == '\n')
        bs->bol = true;
    else if (!bs->mbox)
        bs->bol = false;
}

static int file_content(struct body_stream *bs, size_t budget, struct buf *out,
                        char *err, size_t errlen)
{
    char raw[RAW_READ], t[2 * RAW_READ + SLACK];
    while (budget > 0 && bs->left > 0) {
        size_t want = budget < sizeof raw ? budget : sizeof raw;
        if (want > bs->left)
            want = (size_t)bs->left;
        ssize_t n = pread(bs->fd, raw, want, (off_t)bs->off);
        if (n <= 0) {
            snprintf(err, errlen, "corpus read: %s",
                     n < 0 ? strerror(errno) : "the file got shorter");
            return -1;
        }
        size_t k = 0;
        for (ssize_t i = 0; i < n; i++)
            norm_octet(bs, raw[i], t, &k);
        bs->off += (uint64_t)n;
        bs->left -= (uint64_t)n;
        if (bs->left == 0)
            flush_pending(bs, t, &k);
        body_stuff_add(&bs->st, t, k, out);
        budget -= (size_t)n;
    }
    return 0;
}

int body_stream_read(struct body_stream *bs, struct buf *out, size_t max,
                     char *err, size_t errlen)
{
    if (bs->done)
        return 1;
    size_t before = out->len;
    size_t budget = max > 2 * SLACK ? (max - SLACK) / 2 : SLACK / 2;
    bool left;
    if (bs->kind == STREAM_GEN) {
        gen_content(bs, budget, out);
        left = bs->head_off < bs->head.len || bs->fill_left > 0;
    } else {
        if (file_content(bs, budget, out, err, errlen) != 0)
            return -1;
        left = bs->left > 0;
    }
    if (!left && out->len - before + 5 <= max) {
        body_stuff_finish(&bs->st, out);
        bs->done = true;
    }
    bs->octets += out->len - before;
    return bs->done ? 1 : 0;
}

/* ---- sizes --------------------------------------------------------------- */

uint64_t body_rand(uint64_t *rng)
{
    uint64_t x = *rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

uint64_t body_sizes_pick(const struct body_sizes *s, uint64_t *rng)
{
    switch (s->kind) {
    case BODY_SIZES_NONE:
        return 0;
    case BODY_SIZES_FIXED:
        return s->min;
    case BODY_SIZES_RANGE:
        return s->min + body_rand(rng) % (s->max - s->min + 1);
    case BODY_SIZES_TABLE: {
        uint64_t r = body_rand(rng) % s->total_weight;
        for (size_t i = 0; i < s->n; i++) {
            if (r < s->weight[i])
                return s->size[i];
            r -= s->weight[i];
        }
        return s->size[s->n - 1];
    }
    }
    return 0;
}
