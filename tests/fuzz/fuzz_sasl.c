/* libFuzzer target for the SASL parsers: the server's parsing of client
 * messages (harness/sasl_server.c and its mechanisms) and the client's
 * parsing of server challenges (harness/sasl_client.c and its
 * mechanisms). The first byte picks the mechanism and the side; the rest
 * is split at '\n' into messages, fed raw (base64 lines, "*", "=") or
 * base64-encoded first so the fuzzer reaches the mechanism parsers.
 * Invariants are asserted so a wrong answer is a crash too.
 *
 * Selector byte: bits 0-2 mechanism (mod 7), bit 3 client side, bit 4
 * encode messages, bit 5 server: first message is an initial response. */
#include "harness/b64.h"
#include "harness/sasl.h"
#include "harness/sasl_server.h"
#include "harness/sasl_users.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_ROUNDS = 8 };

static struct sasl_users *users(void)
{
    static struct sasl_users *u;
    if (!u) {
        /* Few iterations: the fuzzer explores parsers, not PBKDF2. */
        struct sasl_users_params p = {2, (const unsigned char *)"salt", 4};
        struct sasl_user e = {"user", "pencil", "tok"};
        char err[128];
        u = sasl_users_new(&p);
        if (sasl_users_add(u, &e, err, sizeof err) != 0)
            abort();
    }
    return u;
}

/* The next message of the input as a line: raw, or base64 of the raw
 * bytes. Returns false when the input is used up. */
static bool next(const uint8_t **p, const uint8_t *end, bool encode,
                 struct buf *line)
{
    if (*p > end)
        return false;
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    const uint8_t *stop = nl ? nl : end;
    buf_reset(line);
    if (encode)
        (void)b64_encode(line, *p, (size_t)(stop - *p));
    else
        (void)buf_add(line, *p, (size_t)(stop - *p));
    *p = stop + 1;
    return true;
}

static bool is_base64(const struct buf *b)
{
    struct buf d;
    buf_init(&d, SASL_MAX_MSG);
    enum b64_status st = b64_decode(&d, buf_str(b), b->len, NULL);
    buf_free(&d);
    return st == B64_OK;
}

static void fuzz_server(enum sasl_mech m, const uint8_t *p, const uint8_t *end,
                        bool encode, bool ir)
{
    char err[128];
    struct sasl_server_params sp = {sasl_mech_name(m), users(), "S", "h"};
    struct sasl_server *s = sasl_server_new(&sp, err, sizeof err);
    assert(s);
    struct buf line, ch;
    buf_init(&line, SASL_MAX_LINE + 64);
    buf_init(&ch, SASL_MAX_LINE);
    enum sasl_outcome o;
    if (ir && next(&p, end, encode, &line))
        o = sasl_server_start(s, buf_str(&line), line.len, &ch);
    else
        o = sasl_server_start(s, NULL, 0, &ch);
    for (int i = 0; o == SASL_OUT_CHALLENGE && i < MAX_ROUNDS; i++) {
        assert(is_base64(&ch));
        if (!next(&p, end, encode, &line))
            break;
        o = sasl_server_step(s, buf_str(&line), line.len, &ch);
    }
    assert((unsigned)o < SASL_OUT_COUNT);
    if (o == SASL_OUT_SUCCESS)
        assert(sasl_server_user(s) && strcmp(sasl_server_user(s), "user") == 0);
    else
        assert(!sasl_server_user(s));
    buf_free(&line);
    buf_free(&ch);
    sasl_server_free(s);
}

/* Checks one client answer. */
static void check_client(const struct sasl_client *c, enum sasl_step st,
                         const struct sasl_response *r)
{
    assert(r->secret);
    if (st == SASL_STEP_FAIL) {
        assert(sasl_client_error(c) != SASL_ERR_NONE);
        assert(*sasl_client_error_text(c));
        assert(!sasl_client_complete(c));
    } else {
        assert(sasl_client_error(c) == SASL_ERR_NONE);
        assert(is_base64(&r->line) || strcmp(buf_str(&r->line), "=") == 0);
    }
}

static void fuzz_client(enum sasl_mech m, const uint8_t *p, const uint8_t *end,
                        bool encode)
{
    char err[128];
    struct sasl_client_params cp = {.mech = sasl_mech_name(m),
                                    .creds = {"user", "pencil", "tok", NULL},
                                    .nonce = "N",
                                    .scram_max_iter = 64};
    struct sasl_client *c = sasl_client_new(&cp, err, sizeof err);
    assert(c);
    struct sasl_response r;
    sasl_response_init(&r);
    struct buf line;
    buf_init(&line, SASL_MAX_LINE + 64);
    enum sasl_step st = sasl_client_start(c, true, &r);
    for (int i = 0; st != SASL_STEP_FAIL && i < MAX_ROUNDS; i++) {
        if (!next(&p, end, encode, &line))
            break;
        st = sasl_client_step(c, buf_str(&line), line.len, &r);
        if (st == SASL_STEP_WORK) {
            assert(sasl_client_needs_work(c));
            sasl_client_work(c);
            st = sasl_client_resume(c, &r);
#ifdef SMTPSUITE_FUZZ_CANARY
            /* Planted bug: proves the fuzzer builds a valid SCRAM
             * server-first (our nonce extended, a base64 salt, a count
             * below 4096) and reaches the client-final. The seed
             * client-scram1-iter65 is one integer away: its count is one
             * above what this client accepts (scram_max_iter 64). */
            if (st == SASL_STEP_SEND && m == SASL_MECH_SCRAM_SHA_1 &&
                (sasl_client_warnings(c) & SASL_WARN_LOW_ITER))
                abort();
#endif
        }
        check_client(c, st, &r);
    }
    sasl_client_cancel(c, &r);
    assert(r.cancel && strcmp(buf_str(&r.line), "*") == 0);
    buf_free(&line);
    sasl_response_free(&r);
    sasl_client_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    enum sasl_mech m = (enum sasl_mech)((sel & 7) % SASL_MECH_COUNT);
    bool encode = sel & 16;
    if (sel & 8)
        fuzz_client(m, data + 1, data + size, encode);
    else
        fuzz_server(m, data + 1, data + size, encode, sel & 32);
    return 0;
}
