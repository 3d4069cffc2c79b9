/* Tests of harness/arrival.c: a generated message, changed the ways
 * relays change messages, gets the class the table says. The oracle of
 * the generator's precomputed body digest is arrival_hash_body over the
 * body msggen_fill really makes (sizes around every line boundary). */
#include "harness/arrival.h"
#include "harness/msggen.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_NAME "arrival"

/* Replaces the first `from` in b with `to`; fails when absent. */
static void replace(struct buf *b, const char *from, const char *to)
{
    char *at = strstr(b->data, from);
    ck_assert_msg(at != NULL, "'%s' not in the message", from);
    struct buf n;
    buf_init(&n, b->len * 2 + strlen(to) + 1);
    buf_add(&n, b->data, (size_t)(at - b->data));
    buf_adds(&n, to);
    buf_adds(&n, at + strlen(from));
    buf_free(b);
    *b = n;
}

static void prepend(struct buf *b, const char *s)
{
    struct buf n;
    buf_init(&n, b->len * 2 + strlen(s) + 1);
    buf_adds(&n, s);
    buf_add(&n, b->data, b->len);
    buf_free(b);
    *b = n;
}

/* The body after the empty line, re-encoded by fn, with a CTE field. */
static void reencode(struct buf *b, const char *cte,
                     void (*fn)(const char *, size_t, struct buf *))
{
    size_t body = arrival_body_offset(b->data, b->len);
    struct buf n;
    buf_init(&n, b->len * 3 + 64);
    buf_addf(&n, "Content-Transfer-Encoding: %s\r\n", cte);
    buf_add(&n, b->data, body);
    fn(b->data + body, b->len - body, &n);
    buf_free(b);
    *b = n;
}

/* Quoted-printable: every 'a' as =61, and a soft break every 40. */
static void qp(const char *s, size_t n, struct buf *out)
{
    for (size_t i = 0, col = 0; i < n; i++) {
        if (s[i] == '\r' || s[i] == '\n') {
            buf_addc(out, s[i]);
            col = 0;
            continue;
        }
        if (col >= 40) {
            buf_adds(out, "=\r\n");
            col = 0;
        }
        buf_adds(out, s[i] == 'a' ? "=61" : (char[]){s[i], 0});
        col++;
    }
}

static void base64(const char *s, size_t n, struct buf *out)
{
    static const char A[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)s[i + 2];
        char q[4] = {A[v >> 18], A[(v >> 12) & 63],
                     i + 1 < n ? A[(v >> 6) & 63] : '=',
                     i + 2 < n ? A[v & 63] : '='};
        buf_add(out, q, 4);
        if ((i / 3) % 19 == 18)
            buf_adds(out, "\r\n");
    }
    buf_adds(out, "\r\n");
}

enum op {
    NONE,
    TRACE,
    ADD,
    FOLD_HDR,
    FOLD_BODY,
    QP,
    B64,
    BODY,
    HDR,
    EMPTY_LINES,
    STRIP_DIGEST
};

struct vec {
    const char *name;
    enum op op;
    bool carries; /* a digest is found */
    enum arrival_class want;
};

static const struct vec VECS[] = {
    {"as sent", NONE, true, ARRIVAL_INTACT},
    {"received and return-path", TRACE, true, ARRIVAL_TRACE_ONLY},
    {"a new field", ADD, true, ARRIVAL_HEADERS_ADDED},
    {"subject folded", FOLD_HDR, true, ARRIVAL_FOLDED},
    {"body line broken", FOLD_BODY, true, ARRIVAL_FOLDED},
    {"quoted-printable", QP, true, ARRIVAL_ENCODING},
    {"base64", B64, true, ARRIVAL_ENCODING},
    {"body text changed", BODY, true, ARRIVAL_BODY_CHANGED},
    {"subject changed", HDR, true, ARRIVAL_HEADERS_CHANGED},
    {"empty lines at the end", EMPTY_LINES, true, ARRIVAL_INTACT},
    {"digest removed", STRIP_DIGEST, false, ARRIVAL_INTACT},
};

static void apply(struct buf *b, enum op op)
{
    switch (op) {
    case NONE:
        break;
    case TRACE:
        prepend(b, "Return-Path: <a@b.test>\r\nReceived: from x (x [127.0.0.1])"
                   "\r\n\tby y (Postfix) with ESMTP id 1; Sun, 1 Nov 2026\r\n");
        break;
    case ADD:
        prepend(b, "Received: from x\r\nX-Spam-Score: 0\r\n");
        break;
    case FOLD_HDR:
        replace(b, "Subject: smtpsuite test", "Subject: smtpsuite\r\n test");
        break;
    case FOLD_BODY:
        replace(b, "0123456789abcd\r\n", "0123456\r\n789abcd\r\n");
        break;
    case QP:
        reencode(b, "quoted-printable", qp);
        break;
    case B64:
        reencode(b, "base64", base64);
        break;
    case BODY:
        replace(b, "test message from", "test massage from");
        break;
    case HDR:
        replace(b, "Subject: smtpsuite", "Subject: [ext] smtpsuite");
        break;
    case EMPTY_LINES:
        buf_adds(b, "\r\n\r\n");
        break;
    case STRIP_DIGEST:
        replace(b, "X-Smtpsuite-Digest:", "X-Smtpsuite-Gone:");
        break;
    }
}

START_TEST(test_classes)
{
    const struct vec *v = &VECS[_i];
    struct msggen_params mp = {.from = "a@b.test",
                               .to = "c@d.test",
                               .size = 1000,
                               .run_id = "r",
                               .case_id = "c"};
    struct buf b;
    buf_init(&b, 1 << 20);
    msggen_message(&mp, &b);
    apply(&b, v->op);
    enum arrival_class c = ARRIVAL_CLASS_COUNT;
    bool carries = arrival_classify(b.data, b.len, &c);
    ck_assert_msg(carries == v->carries, "%s: got carries %d want %d", v->name,
                  carries, v->carries);
    if (carries)
        ck_assert_msg(c == v->want, "%s: got %s want %s", v->name,
                      arrival_class_name(c), arrival_class_name(v->want));
    buf_free(&b);
}
END_TEST

/* The generator's body digest (computed without the body) against the
 * digest of the body it makes, for every size around line ends. */
START_TEST(test_generated_sizes_intact)
{
    for (size_t size = 0; size < 800; size++) {
        struct msggen_params mp = {.size = size, .run_id = "r"};
        struct buf b;
        buf_init(&b, 1 << 20);
        msggen_message(&mp, &b);
        enum arrival_class c = ARRIVAL_CLASS_COUNT;
        ck_assert_msg(arrival_classify(b.data, b.len, &c), "size %zu", size);
        ck_assert_msg(c == ARRIVAL_INTACT, "size %zu: got %s want intact", size,
                      arrival_class_name(c));
        if (size > 700)
            ck_assert_uint_eq(b.len, size);
        buf_free(&b);
    }
}
END_TEST

START_TEST(test_token_and_header)
{
    struct msggen_params mp = {.run_id = "run",
                               .case_id = "data.dot",
                               .numbered = true,
                               .shard = 2,
                               .session = 7,
                               .msgno = 3};
    struct buf b;
    buf_init(&b, 1 << 16);
    msggen_message(&mp, &b);
    char v[ARRIVAL_VALUE_MAX];
    ck_assert(arrival_header(b.data, b.len, "x-smtpsuite-id", v, sizeof v));
    ck_assert_str_eq(v, "run.2.7.3.data.dot");
    ck_assert(!arrival_header(b.data, b.len, "X-None", v, sizeof v));
    /* unfolded, blanks squeezed */
    const char *m = "A: one\r\n  two\t three \r\nB: x\r\n\r\nbody\r\n";
    ck_assert(arrival_header(m, strlen(m), "a", v, sizeof v));
    ck_assert_str_eq(v, "one two three");
    ck_assert_uint_eq(arrival_body_offset(m, strlen(m)), strlen(m) - 6);
    buf_free(&b);
}
END_TEST

START_TEST(test_digest_parse)
{
    static const char *const BAD[] = {
        "",
        "v=2; h=a; hs=00000000000000000000000000000000; "
        "hr=00000000000000000000000000000000; "
        "bh=00000000000000000000000000000000; "
        "bf=00000000000000000000000000000000",
        "v=1; h=a; hs=0; hr=0; bh=0; bf=0",
        "v=1; h=a; hs=0000000000000000000000000000000g; "
        "hr=00000000000000000000000000000000; "
        "bh=00000000000000000000000000000000; "
        "bf=00000000000000000000000000000000",
    };
    struct arrival_digest d;
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++)
        ck_assert_msg(!arrival_digest_parse(BAD[i], &d), "bad %zu parsed", i);
    struct arrival_digest w = {"from:to", "", "", "", ""};
    arrival_hash_headers("From: a\r\n", 9, "from:to", &w);
    arrival_hash_body("x\r\n", 3, &w);
    struct buf b;
    buf_init(&b, 4096);
    arrival_digest_format(&w, &b);
    ck_assert_uint_eq(b.len, ARRIVAL_DIGEST_LINE_LEN(strlen("from:to")));
    char v[ARRIVAL_VALUE_MAX];
    ck_assert(
        arrival_header(b.data, b.len, ARRIVAL_DIGEST_HEADER, v, sizeof v));
    ck_assert(arrival_digest_parse(v, &d));
    ck_assert_str_eq(d.h, "from:to");
    ck_assert_str_eq(d.bh, w.bh);
    ck_assert_str_eq(d.hr, w.hr);
    ck_assert(arrival_class_corrupt(ARRIVAL_BODY_CHANGED));
    ck_assert(!arrival_class_corrupt(ARRIVAL_TRACE_ONLY));
    buf_free(&b);
}
END_TEST

START_TEST(test_field_names)
{
    static const struct {
        const char *hdr, *want;
        size_t outlen;
    } V[] = {
        {"From: a\r\nTo: b\r\nSubject: c\r\n", "from:to:subject", 400},
        {"Received: 1\r\n\tfolded\r\nreceived: 2\r\nX-A: 3\r\n",
         "x-a", 400},
        {"X-Smtpsuite-Digest: v=1\r\nFROM: a\r\n", "from", 400},
        {"From: a\r\nSubject: b\r\n", "from", 12}, /* "subject" does not fit */
        {"no colon here\r\nFrom: a\r\n", "", 400},
    };
    for (size_t i = 0; i < sizeof V / sizeof *V; i++) {
        char out[400];
        arrival_field_names(V[i].hdr, strlen(V[i].hdr), out, V[i].outlen);
        ck_assert_msg(strcmp(out, V[i].want) == 0, "%zu: got '%s' want '%s'",
                      i, out, V[i].want);
    }
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_field_names);
    tcase_add_loop_test(tc, test_classes, 0, sizeof VECS / sizeof VECS[0]);
    tcase_add_test(tc, test_generated_sizes_intact);
    tcase_add_test(tc, test_token_and_header);
    tcase_add_test(tc, test_digest_parse);
}

#include "check_main.h"
