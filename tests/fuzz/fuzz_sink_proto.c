/* libFuzzer target for harness/sink_proto.c: the first byte picks a
 * configuration (profile, bare-LF/CR handling, small limits, a delay
 * fault), the rest is a client's byte stream fed in chunks whose sizes
 * come from the input too. STARTTLS is offered (a handshake "happens" at
 * once) and AUTH has a user, so the TLS reset and the SASL exchanges are
 * reached. Invariants are asserted so a wrong answer is a crash: every
 * output line is a well-formed reply line, feeding always makes progress,
 * and accepted messages stay within the size limit. */
#include "harness/sasl_users.h"
#include "harness/sink_fault.h"
#include "harness/sink_proto.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_output(struct buf *o)
{
    const char *s = o->data ? o->data : "";
    size_t n = o->len, i = 0;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        assert(nl && nl > s + i + 4 && nl[-1] == '\r');
        assert(s[i] >= '2' && s[i] <= '5');
        assert(s[i + 1] >= '0' && s[i + 1] <= '9');
        assert(s[i + 2] >= '0' && s[i + 2] <= '9');
        assert(s[i + 3] == ' ' || s[i + 3] == '-');
        for (const char *c = s + i; c < nl - 1; c++)
            assert(*c != '\r' && *c != '\n');
        i = (size_t)(nl - s) + 1;
    }
    buf_reset(o);
}

static void configure(uint8_t sel, struct sink_proto_config *c,
                      struct sink_fault_table *ft)
{
    static const char *const PROFILES[] = {"mx", "lmtp", "554-greeting",
                                           "submission"};
    char err[256];
    sink_proto_config_init(c);
    c->profile = sink_profile_find(PROFILES[sel & 3]);
    c->bare_lf = (enum sink_bare)((sel >> 2) & 3);
    c->bare_cr = (enum sink_bare)((sel >> 4) & 3);
    if (sel & 0x40) {
        c->size_limit = 64;
        c->rcpt_limit = 2;
        c->line_max = 40;
    }
    if (sel & 0x80) {
        sink_fault_add(ft, "NOOP -> delay 1ms; extra 250 2.0.0 x", "fuzz", err,
                       sizeof err);
        sink_fault_add(ft, "RSET -> keep-state", "fuzz", err, sizeof err);
        sink_fault_add(ft, "EOD -> accept", "fuzz", err, sizeof err);
        c->unstuff = false;
    }
    c->faults = ft;
    static struct sasl_users *users;
    if (!users) { /* once: alice, password fuzz-secret, token fuzz-token */
        static const unsigned char SALT[] = "0123456789abcdef";
        struct sasl_users_params up = {.salt = SALT, .salt_len = 16};
        users = sasl_users_new(&up);
        struct sasl_user u = {"alice", "fuzz-secret", "fuzz-token"};
        sasl_users_add(users, &u, err, sizeof err);
    }
    c->tls = true;
    c->users = users;
    c->log_input = true;
}

static bool handle(struct sink_proto *p, unsigned ev,
                   const struct sink_proto_config *c)
{
    for (;;) {
        check_output(sink_proto_out(p));
        if (ev & SINK_PROTO_EV_MESSAGE) {
            const struct sink_message *m = sink_proto_message(p);
            assert(m->len <= c->size_limit);
            assert(m->mail && m->mail->addr);
#ifdef SMTPSUITE_FUZZ_CANARY
            /* Planted bug: proves the fuzzer gets an LMTP message with
             * several recipients through CHUNKING to delivery. The seeds
             * lmtp-bdat-short* (three configurations) end on "BDAT 1
             * LAST" with no octet after it: one integer mutation (to 0)
             * or one appended octet away, and nothing at their end for
             * input reduction to wear away. */
            if (strcmp(m->protocol, "LMTP") == 0 && m->nrcpt >= 2 &&
                strcmp(m->transfer, "BDAT") == 0)
                abort();
#endif
        }
        if (ev & SINK_PROTO_EV_STARTTLS) {
            struct sink_tls_info info = {"TLSv1.3", "TLS_AES_128_GCM_SHA256",
                                         "", ""};
            sink_proto_tls_started(p, &info);
        }
        buf_reset(sink_proto_inlog(p));
        if (!(ev & SINK_PROTO_EV_DELAY))
            return !(ev & SINK_PROTO_EV_CLOSE);
        ev = sink_proto_resume(p);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct sink_proto_config c;
    struct sink_fault_table *ft = sink_fault_new();
    configure(data[0], &c, ft);
    uint8_t step = data[1] ? data[1] : 1;
    struct sink_proto *p = sink_proto_new(&c, "f", "fuzz");
    bool open = handle(p, sink_proto_start(p), &c);
    size_t off = 2;
    while (open && off < size) {
        size_t n = size - off < step ? size - off : step, used = 0;
        unsigned ev = sink_proto_feed(p, data + off, n, &used);
        assert(used <= n);
        assert(used > 0 || ev || sink_proto_state(p) == SINK_STATE_CLOSED);
        off += used;
        open = handle(p, ev, &c);
    }
    if (open)
        handle(p, sink_proto_timeout(p), &c);
    sink_proto_free(p);
    sink_fault_free(ft);
    return 0;
}
