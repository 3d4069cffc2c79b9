/* msggen: generated message content (see msggen.h). */
#include "harness/msggen.h"

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
    snprintf(out, outlen, "%s.%s.%lu", run_id ? run_id : "x",
             case_id ? case_id : "x", n);
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

void msggen_message(const struct msggen_params *p, struct buf *out)
{
    char date[64], id[128], token[256];
    size_t start = out->len;
    buf_addf(out,
             "From: <%s>\r\nTo: <%s>\r\nSubject: smtpsuite test message\r\n"
             "Date: %s\r\nMessage-ID: <%s>\r\nX-Smtpsuite-Id: %s\r\n"
             "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n"
             "\r\nThis is a test message from smtpsuite.\r\n",
             p->from ? p->from : "smtpsuite@client.test",
             p->to ? p->to : "postmaster@server.test", msggen_date(date, sizeof date),
             msggen_msgid(id, sizeof id, p->run_id),
             msggen_token(token, sizeof token, p->run_id, p->case_id));
    size_t have = out->len - start;
    if (p->size > have)
        msggen_fill(out, p->size - have);
}
