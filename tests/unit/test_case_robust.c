/* Robustness of the case parser (property test): every shipped case
 * file truncated at every byte, and 10,000 seeded mutations of them, go
 * through case_parse. The parser must never crash (the sanitizer build
 * runs this too), and whatever it accepts must be a well-formed program:
 * block jumps pair up, the key assertion is a marked step, every step
 * knows its file and text. The seed is fixed so a failure repeats; set
 * SMTPSUITE_SEED to explore others. */
#define TEST_NAME "case_robust"
#include "suite/case_parse.h"
#include "suite/load.h"
#include "harness/xalloc.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MUTATIONS 10000

struct corpus {
    char **path;
    char **buf;
    size_t *len;
    size_t n;
};

static struct corpus C;

static int read_file(void *arg, const char *path, char **buf, size_t *len,
                     char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open");
        return -1;
    }
    *buf = xmalloc(CASE_MAX_FILE + 2);
    *len = fread(*buf, 1, CASE_MAX_FILE + 1, f);
    fclose(f);
    return 0;
}

static void load_corpus(void)
{
    const char *src = getenv("SMTPSUITE_SOURCE_DIR");
    char *dir = xasprintf("%s/cases", src ? src : ".");
    C.path = load_find(dir, ".smtp", &C.n, stderr);
    ck_assert_uint_ge(C.n, 40);
    C.buf = xcalloc(C.n, sizeof *C.buf);
    C.len = xcalloc(C.n, sizeof *C.len);
    char err[64];
    for (size_t i = 0; i < C.n; i++)
        ck_assert_int_eq(
            read_file(NULL, C.path[i], &C.buf[i], &C.len[i], err, sizeof err),
            0);
    free(dir);
}

static void free_corpus(void)
{
    for (size_t i = 0; i < C.n; i++) {
        free(C.path[i]);
        free(C.buf[i]);
    }
    free(C.path);
    free(C.buf);
    free(C.len);
}

static bool is_begin(enum prog_step_kind k)
{
    return k == PROG_STEP_PIPE_BEGIN || k == PROG_STEP_REPEAT_BEGIN ||
           k == PROG_STEP_IF_BEGIN;
}

/* The invariants of an accepted program; returns a reason or NULL. */
static const char *check_program(const struct prog_case *c)
{
    if (!c->id || !c->title || !c->rfc || !c->hash || c->nsteps == 0)
        return "missing metadata";
    if (c->key_step >= (int)c->nsteps ||
        (c->key_step >= 0 && !c->steps[c->key_step].key))
        return "key_step";
    size_t nkeys = 0;
    for (size_t i = 0; i < c->nsteps; i++) {
        const struct prog_step *s = &c->steps[i];
        nkeys += s->key;
        if (!s->file || !s->text || s->line < 1 || s->col < 1)
            return "step position or text";
        if (s->conn >= (int)c->nconns)
            return "connection index";
        if (!is_begin(s->kind) && s->kind != PROG_STEP_ELSE &&
            s->kind != PROG_STEP_PIPE_END && s->kind != PROG_STEP_REPEAT_END &&
            s->kind != PROG_STEP_IF_END) {
            if (s->jump != -1)
                return "jump on a plain step";
            continue;
        }
        if (s->jump < 0 || s->jump >= (int)c->nsteps)
            return "jump out of range";
        const struct prog_step *t = &c->steps[s->jump];
        if (is_begin(s->kind) && s->kind != PROG_STEP_IF_BEGIN &&
            (t->kind != s->kind + 1 || t->jump != (int)i))
            return "BEGIN/END do not pair";
        if (s->kind == PROG_STEP_IF_BEGIN && t->kind != PROG_STEP_ELSE &&
            t->kind != PROG_STEP_IF_END)
            return "IF_BEGIN does not reach ELSE or IF_END";
        if (s->kind == PROG_STEP_ELSE && t->kind != PROG_STEP_IF_END)
            return "ELSE does not reach IF_END";
    }
    if (nkeys != (c->key_step >= 0))
        return "key flags";
    return NULL;
}

static size_t naccepted, nrejected;

static void parse_one(const char *file, const char *buf, size_t len,
                      const char *what)
{
    struct diag d;
    diag_init(&d, NULL);
    struct case_parse_params p = {file, buf, len, read_file, NULL};
    struct prog_case *c = case_parse(&p, &d);
    ck_assert_msg((c != NULL) == (d.nerrors == 0), "%s: case %p, %zu errors",
                  what, (void *)c, d.nerrors);
    naccepted += c != NULL;
    nrejected += c == NULL;
    if (c) {
        const char *why = check_program(c);
        ck_assert_msg(why == NULL, "%s: %s", what, why);
    }
    prog_case_free(c);
}

/* Every shipped case parses; every prefix of it parses or fails cleanly. */
START_TEST(test_truncations)
{
    load_corpus();
    naccepted = nrejected = 0;
    size_t total = 0;
    for (size_t i = 0; i < C.n; i++) {
        total += C.len[i] + 1;
        char what[512];
        snprintf(what, sizeof what, "%s whole", C.path[i]);
        struct diag d;
        diag_init(&d, stderr);
        struct case_parse_params p = {C.path[i], C.buf[i], C.len[i], read_file,
                                      NULL};
        struct prog_case *c = case_parse(&p, &d);
        ck_assert_msg(c != NULL, "%s", what);
        prog_case_free(c);
        char *copy = xmalloc(C.len[i] + 1);
        for (size_t n = 0; n <= C.len[i]; n++) {
            /* a private copy of exactly n bytes, so ASan sees overreads */
            memcpy(copy, C.buf[i], n);
            char *exact = xmalloc(n ? n : 1);
            memcpy(exact, copy, n);
            snprintf(what, sizeof what, "%s cut at %zu", C.path[i], n);
            parse_one(C.path[i], exact, n, what);
            free(exact);
        }
        free(copy);
    }
    ck_assert_uint_eq(naccepted + nrejected, total);
    free_corpus();
}
END_TEST

static uint64_t rng;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Pieces the mutator splices in: the language's sharp edges. */
static const char *const PIECES[] = {
    "${",
    "}",
    "{",
    "\"",
    "\\",
    "|",
    "->",
    "<<EOF\n",
    "\nEOF\n",
    "\n",
    "\r\n",
    "\r",
    "!",
    "$${",
    "/",
    "#",
    " # ",
    "repeat 3 {\n",
    "} else {\n",
    "if 1 {\n",
    "pipeline {\n",
    "include \"x.inc\"\n",
    "C: ",
    "S: 250 | ",
    "x",
    "5.7.x",
    "fill(",
    "(",
    ")",
    ",",
    "9999999999999999999999",
    "\x00",
    "\xff",
    "\xc3",
    "open a\n",
    "use b\n",
    "capture v = /(/\n",
    "data <<E\n",
    "bdat last <<E\n",
    "id: x\n",
    "severity: may\n",
    "! S: 250\n",
    "expect ehlo has ",
    "assert ",
    " within 1s",
    "\t",
};
#define NPIECES (sizeof PIECES / sizeof PIECES[0])

static void mutate(struct buf *b)
{
    int rounds = 1 + (int)(next() % 4);
    for (int r = 0; r < rounds; r++) {
        size_t at = b->len ? next() % (b->len + 1) : 0;
        struct buf out;
        buf_init(&out, CASE_MAX_FILE);
        buf_add(&out, b->data, at);
        switch (next() % 5) {
        case 0: /* replace a byte */
            buf_addc(&out, (char)(next() & 0xff));
            at += at < b->len;
            break;
        case 1: /* splice a piece */
        case 2: {
            const char *p = PIECES[next() % NPIECES];
            buf_add(&out, p, p[0] ? strlen(p) : 1);
            break;
        }
        case 3: /* delete a run */
            at += next() % 16;
            break;
        default: /* repeat a run */
            buf_add(&out, b->data + at - (at > 40 ? 40 : at),
                    at > 40 ? 40 : at);
        }
        if (at < b->len)
            buf_add(&out, b->data + at, b->len - at);
        buf_free(b);
        *b = out;
    }
}

START_TEST(test_mutations)
{
    load_corpus();
    naccepted = nrejected = 0;
    const char *s = getenv("SMTPSUITE_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 0) : 0x5eed5eedULL;
    rng = seed ? seed : 1;
    for (int i = 0; i < MUTATIONS; i++) {
        size_t k = next() % C.n;
        struct buf b;
        buf_init(&b, CASE_MAX_FILE);
        buf_add(&b, C.buf[k], C.len[k]);
        mutate(&b);
        char *exact = xmalloc(b.len ? b.len : 1);
        memcpy(exact, b.data, b.len);
        char what[512];
        snprintf(what, sizeof what, "seed %#" PRIx64 " mutation %d of %s", seed,
                 i, C.path[k]);
        parse_one(C.path[k], exact, b.len, what);
        free(exact);
        buf_free(&b);
    }
    /* the mutations reach both sides of the parser */
    ck_assert_uint_eq(naccepted + nrejected, MUTATIONS);
    ck_assert_msg(naccepted > MUTATIONS / 20 && nrejected > MUTATIONS / 2,
                  "accepted %zu, rejected %zu", naccepted, nrejected);
    free_corpus();
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_truncations);
    tcase_add_test(tc, test_mutations);
}

#include "check_main.h"
