/* libFuzzer target for harness/reply.c: any bytes, parsed as a stream of
 * replies; the EHLO helpers run on every complete reply. Invariants are
 * asserted so a wrong answer is a crash, not only a memory error. */
#include "harness/reply.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct reply R;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t off = 0;
    while (off < size) {
        enum reply_status st = reply_parse(buf + off, size - off, &R);
        if (st != REPLY_DONE)
            break;
        assert(R.size > 0 && R.size <= size - off);
        assert(R.nlines >= 1 && R.nlines <= REPLY_MAX_LINES);
        assert(R.code >= 0 && R.code <= 999);
        for (unsigned i = 0; i < R.nlines; i++)
            assert(R.line[i].off + R.line[i].len <= R.size);
#ifdef SMTPSUITE_FUZZ_CANARY
        /* Planted bug: proves the fuzzer reaches the multi-line, enhanced
         * code and EHLO paths. */
        if (R.nlines > 2 && R.esc[0] == '5' && R.flags & REPLY_F_BARE_CR)
            abort();
#endif
        char err[128];
        const char *p;
        size_t n;
        (void)reply_ehlo_check(&R, buf + off, err, sizeof err);
        (void)reply_ehlo_find(&R, buf + off, "SIZE", &p, &n);
        (void)reply_ehlo_has(&R, buf + off, "AUTH", "PLAIN");
        off += R.size;
    }
    return 0;
}
