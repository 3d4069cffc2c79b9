/* msggen: generated message content (see msggen.h). */
#include "harness/msggen.h"
#include "harness/arrival.h"
#include "harness/digest.h"

#include <inttypes.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static atomic_ulong COUNTER;

const char *msggen_date(char *out, size_t outlen)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, outlen, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return out;
}

const char *msggen_msgid(char *out, size_t outlen, const char *run_id)
{
    unsigned long n = atomic_fetch_add(&COUNTER, 1);
    const char *id = run_id ? run_id : "x", *dot = strchr(id, '.');
    /* 16 characters of the run id, and a shard's ".sI" whole: the
     * counter is per process, so shards of one run differ only there */
    int len = dot && dot - id < 16 ? (int)(dot - id) : 16;
    snprintf(out, outlen, "%.*s%s.%lu@smtpsuite.test", len, id, dot ? dot : "",
             n);
    return out;
}

const char *msggen_token(char *out, size_t outlen, const char *run_id,
                         const char *case_id)
{
    unsigned long n = atomic_fetch_add(&COUNTER, 1);
    snprintf(out, outlen, "%s.0.0.%lu.%s", run_id ? run_id : "x", n,
             case_id ? case_id : "x");
    return out;
}

const char *msggen_token_of(const struct msggen_params *p, char *out,
                            size_t outlen)
{
    if (!p->numbered)
        return msggen_token(out, outlen, p->run_id, p->case_id);
    snprintf(out, outlen, "%s.%u.%" PRIu64 ".%" PRIu64 ".%s",
             p->run_id ? p->run_id : "x", p->shard, p->session, p->msgno,
             p->case_id ? p->case_id : "x");
    return out;
}

void msggen_fill(struct buf *out, size_t n)
{
    static const char ALPHA[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    char line[MSGGEN_LINE + 2];
    for (size_t i = 0; i < MSGGEN_LINE; i++)
        line[i] = ALPHA[i % (sizeof ALPHA - 1)];
    line[MSGGEN_LINE] = '\r';
    line[MSGGEN_LINE + 1] = '\n';
    while (n >= sizeof line) {
        buf_add(out, line, sizeof line);
        n -= sizeof line;
    }
    /* The tail: text, and a CRLF when there is room for one. */
    if (n >= 2) {
        buf_add(out, line, n - 2);
        buf_add(out, "\r\n", 2);
    } else if (n == 1) {
        buf_addc(out, 'x');
    }
}

/* The Date value, formatted again only when the second changed. */
static const char *date_now(void)
{
    static __thread time_t when = (time_t)-1;
    static __thread char text[64];
    time_t now = time(NULL);
    if (now != when) {
        msggen_date(text, sizeof text);
        when = now;
    }
    return text;
}

static const char INTRO[] = "This is a test message from smtpsuite.\r\n";

/* The body hashes of INTRO and n octets of msggen_fill, as
 * arrival_hash_body computes them, without making the body: the filler
 * is whole lines of one text, and a tail (RFC 6376 3.4.3: a last empty
 * line is dropped, a last line without CRLF gets one). Remembered for
 * the last n, since a load run mostly repeats its sizes. */
static void fill_digest(uint64_t n, struct arrival_digest *d)
{
    static __thread uint64_t last_n = UINT64_MAX;
    static __thread char bh[ARRIVAL_HASH_HEX], bf[ARRIVAL_HASH_HEX];
    if (n != last_n) {
        struct buf line;
        buf_init(&line, MSGGEN_LINE + 2);
        msggen_fill(&line, MSGGEN_LINE + 2);
        struct digest_sha256 *s = digest_sha256_new(), *f = digest_sha256_new();
        digest_sha256_add(s, INTRO, sizeof INTRO - 1);
        digest_sha256_add(f, INTRO, sizeof INTRO - 3);
        uint64_t k = n / line.len, rem = n % line.len;
        for (uint64_t i = 0; i < k; i++) {
            digest_sha256_add(s, line.data, line.len);
            digest_sha256_add(f, line.data, MSGGEN_LINE);
        }
        if (rem == 1) {
            digest_sha256_add(s, "x\r\n", 3);
            digest_sha256_add(f, "x", 1);
        } else if (rem > 2) {
            digest_sha256_add(s, line.data, rem - 2);
            digest_sha256_add(s, "\r\n", 2);
            digest_sha256_add(f, line.data, rem - 2);
        }
        char full[DIGEST_SHA256_HEX];
        digest_sha256_end(s, full);
        snprintf(bh, sizeof bh, "%.32s", full);
        digest_sha256_end(f, full);
        snprintf(bf, sizeof bf, "%.32s", full);
        digest_sha256_free(s);
        digest_sha256_free(f);
        buf_free(&line);
        last_n = n;
    }
    memcpy(d->bh, bh, sizeof bh);
    memcpy(d->bf, bf, sizeof bf);
}

void msggen_head(const struct msggen_params *p, struct buf *out, uint64_t *fill,
                 char *token)
{
    char id[128];
    size_t start = out->len;
    buf_adds(out, "From: <");
    buf_adds(out, p->from ? p->from : "smtpsuite@client.test");
    buf_adds(out, ">\r\nTo: <");
    buf_adds(out, p->to ? p->to : "postmaster@server.test");
    buf_adds(out, ">\r\nSubject: smtpsuite test message\r\nDate: ");
    buf_adds(out, date_now());
    buf_adds(out, "\r\nMessage-ID: <");
    buf_adds(out, msggen_msgid(id, sizeof id, p->run_id));
    buf_adds(out, ">\r\nX-Smtpsuite-Id: ");
    buf_adds(out, msggen_token_of(p, token, MSGGEN_TOKEN_MAX));
    buf_adds(out, "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; "
                  "charset=us-ascii\r\n");
    size_t fields = out->len - start;
    size_t head = fields + ARRIVAL_DIGEST_LINE_LEN(sizeof MSGGEN_HLIST - 1) +
                  2 + sizeof INTRO - 1;
    *fill = p->size > head ? p->size - head : 0;
    struct arrival_digest d;
    arrival_hash_headers(buf_str(out) + start, fields, MSGGEN_HLIST, &d);
    fill_digest(*fill, &d);
    arrival_digest_format(&d, out);
    buf_adds(out, "\r\n");
    buf_adds(out, INTRO);
}

void msggen_message(const struct msggen_params *p, struct buf *out)
{
    char token[MSGGEN_TOKEN_MAX];
    uint64_t fill;
    msggen_head(p, out, &fill, token);
    msggen_fill(out, (size_t)fill);
}
