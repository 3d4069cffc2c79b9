/* sink_proto: the sink's SMTP/LMTP server engine, sans I/O.
 *
 * Input is read in one of three modes: command lines (only CRLF ends a
 * line by default, RFC 5321 2.3.8), message content after 354 (only
 * CRLF.CRLF ends it, 4.1.1.4; dot-unstuffing 4.5.2), and BDAT chunks
 * (exact octet counting, RFC 3030). Every command goes through the same
 * three steps:
 *   1. a handler from the command table checks sequence (4.1.4),
 *      syntax and policy, and fills a decision: the reply, plus a commit
 *      function holding the state change; a refusal has no commit, so a
 *      rejected command leaves the state as it was by construction;
 *   2. select_reply() asks the fault table what to do to that reply (the
 *      one place faults hook);
 *   3. the reply is written and the commit runs (or not, as the fault
 *      says).
 * Replies for every complete command in the input are produced in one
 * feed (RFC 2920 3.2); the caller sends them when its input is drained.
 */
#include "harness/sink_proto.h"
#include "harness/b64.h"
#include "harness/clock.h"
#include "harness/sasl_server.h"
#include "harness/sink_fault.h"
#include "harness/sink_proxy.h"
#include "harness/xalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SINK_PROTO_TEXT_MAX    8192  /* text of one decision (EHLO list) */
#define SINK_PROTO_OUT_SOFT    65536 /* stop feeding: let the caller send */
#define SINK_PROTO_OUT_MAX     (16 * 1024 * 1024)
#define SINK_PROTO_SIZE_DIGITS 20  /* SIZE=, RFC 1870 (1*20DIGIT) */
#define SINK_PROTO_BDAT_DIGITS 19  /* chunk sizes that fit 64 bits */
#define SINK_PROTO_ENVID_MAX   100 /* RFC 3461 4.4 */
#define SINK_PROTO_ORCPT_MAX   500 /* RFC 3461 4.2 */
#define SINK_PROTO_LABEL_MAX   63
#define SINK_PROTO_DOMAIN_MAX  255
#define SINK_PROTO_AUTH_LINE   (SASL_MAX_LINE + 2) /* an AUTH response, CRLF */
#define SINK_PROTO_TAIL_MAX    65536 /* plaintext kept after STARTTLS (fault) */
#define SINK_PROTO_ENDLESS_MAX 65536 /* octets "endless" adds at a time */
#define SINK_PROTO_INLOG_MAX   (SINK_PROTO_OUT_MAX + SINK_PROTO_AUTH_LINE)
#define SINK_PROTO_FACT_MAX    256

static const char *const STATE_NAMES[] = {
#define X(e, s) s,
    SINK_STATE_LIST(X)
#undef X
};

static const char *const BARE_NAMES[] = {
#define X(e, s) s,
    SINK_BARE_LIST(X)
#undef X
};

const char *sink_state_name(enum sink_state s)
{
    return (unsigned)s < SINK_STATE_COUNT ? STATE_NAMES[s] : "?";
}

int sink_state_find(const char *name)
{
    for (int i = 0; i < SINK_STATE_COUNT; i++)
        if (strcmp(STATE_NAMES[i], name) == 0)
            return i;
    return -1;
}

const char *sink_bare_name(enum sink_bare b)
{
    return (unsigned)b < SINK_BARE_COUNT ? BARE_NAMES[b] : "?";
}

int sink_bare_find(const char *name)
{
    for (int i = 0; i < SINK_BARE_COUNT; i++)
        if (strcmp(BARE_NAMES[i], name) == 0)
            return i;
    return -1;
}

void sink_proto_config_init(struct sink_proto_config *c)
{
    memset(c, 0, sizeof *c);
    c->profile = sink_profile_find("mx");
    c->hostname = "localhost";
    c->line_max = SINK_PROTO_LINE_MAX;
    c->rcpt_limit = SINK_PROTO_RCPT_LIMIT;
    c->size_limit = SINK_PROTO_SIZE_LIMIT;
    c->bare_lf = SINK_BARE_KEEP;
    c->bare_cr = SINK_BARE_KEEP;
    c->unstuff = true;
    c->esc = true;
    c->tls_reset = true;
    c->auth_check = true;
    c->auth_tls = true;
}

enum input_mode { MODE_LINE, MODE_DATA, MODE_CHUNK };
/* Where the content scanner is within a line. */
enum dstate { D_BOL, D_DOT, D_DOT_CR, D_MID, D_CR };
/* How a line ended. */
enum line_end { LEND_CRLF, LEND_LF, LEND_CR };

struct txn {
    bool open;
    struct sink_address mail;
    struct sink_address *rcpts;
    size_t nrcpt, cap;
    bool smtputf8;
    struct buf store; /* content, at most size_limit octets */
    size_t octets;    /* counted past the store too */
    bool too_big;
    bool bare_reject; /* a bare LF/CR came under "reject" */
    bool bdat;
    bool binarymime; /* BODY=BINARYMIME: only BDAT may carry it */
    bool prdr;       /* MAIL ... PRDR: per-recipient replies after the data */
};

/* What an accepted command will change when committed. */
struct pending {
    char *addr, *params, *helo;
    bool smtputf8, esmtp, binarymime, prdr;
    unsigned caps;
    struct sasl_server *sasl; /* AUTH: the exchange it starts */
    char *user;               /* AUTH: who authenticated */
};

struct decision {
    int code; /* 0: deferred (a BDAT chunk follows) */
    const char *esc;
    struct buf text;
    void (*commit)(struct sink_proto *p);
    bool each_rcpt; /* LMTP: one reply per recipient (RFC 2033 4.2) */
    bool prdr;      /* PRDR: 353, a reply per recipient, then d itself */
};

struct cmd;
typedef void cmd_fn(struct sink_proto *p, struct cmd *c, struct decision *d);

struct cmd_def {
    const char *name;
    cmd_fn *fn;
};

struct cmd {
    const char *name; /* for the fault table */
    cmd_fn *fn;       /* NULL for events without a handler */
    char *arg;        /* NUL-terminated; trailing blanks stripped */
    size_t arglen;
    bool has_arg, force;
    struct sink_fault_effect fx;
};

struct sink_proto {
    const struct sink_proto_config *cfg;
    char *session, *client;
    enum sink_state state;
    enum input_mode mode;
    enum dstate dstate;
    enum line_end last_lend; /* content: how the previous line ended */
    enum line_end line_lend; /* commands: how the last line ended */
    struct buf line;
    bool discarding; /* the command line went past line_max */
    bool disc_cr;
    struct buf out, held;
    bool holding;
    /* Hostile-server faults (docs/hardening.md) */
    int64_t trickle_us;                      /* held output, an octet each */
    const struct sink_fault_action *endless; /* streamed by sink_proto_more */
    bool no_read, rst;
    bool line_secret; /* the line being read is (part of) an AUTH secret */
    int64_t delay_us;
    uint64_t number; /* the session's number in the sink (from 1), or 0 */
    unsigned events, held_events;
    char *helo;
    bool esmtp;
    unsigned caps; /* extensions advertised in the last EHLO/LHLO */
    struct txn txn, done;
    struct pending pend;
    /* BDAT chunk being read */
    uint64_t chunk_left;
    uint64_t chunk_size;
    bool chunk_last;
    bool chunk_replied; /* answered before it was read: only discard */
    size_t chunk_start, chunk_octets;
    struct cmd chunk_cmd;
    struct decision chunk_refusal;
    unsigned nmsg;
    bool flush;    /* a fault asked to discard the input read so far */
    size_t errors; /* command errors so far (error_limit) */
    char queue_id[96];
    struct sink_message msg;
    /* TLS (RFC 3207, RFC 8314) */
    bool tls;         /* the session runs over TLS */
    bool tls_pending; /* STARTTLS answered 220; the handshake is next */
    bool tls_fail;    /* the fault table aborts that handshake */
    struct buf tail;  /* plaintext sent with STARTTLS (tls-tail fault) */
    struct sink_tls_info tlsinfo;
    char tls_fact[4][SINK_PROTO_FACT_MAX]; /* tlsinfo's strings */
    /* AUTH (RFC 4954) */
    struct sasl_server *auth; /* the exchange under way, or NULL */
    enum sasl_mech auth_mech;
    char *authed;     /* the authenticated user, or NULL */
    struct buf inlog; /* with cfg->log_input */
};

/* ---- small helpers ------------------------------------------------ */

static void addr_free(struct sink_address *a)
{
    free(a->addr);
    free(a->params);
    a->addr = a->params = NULL;
}

static void txn_free(struct txn *t)
{
    addr_free(&t->mail);
    for (size_t i = 0; i < t->nrcpt; i++)
        addr_free(&t->rcpts[i]);
    free(t->rcpts);
    buf_free(&t->store);
    memset(t, 0, sizeof *t);
}

static void pending_clear(struct pending *pe)
{
    free(pe->addr);
    free(pe->params);
    free(pe->helo);
    sasl_server_free(pe->sasl);
    free(pe->user);
    memset(pe, 0, sizeof *pe);
}

static void set_state(struct sink_proto *p, enum sink_state s)
{
    if (p->state == s)
        return;
    if (p->cfg->trace) {
        char what[64];
        snprintf(what, sizeof what, "%s -> %s", STATE_NAMES[p->state],
                 STATE_NAMES[s]);
        p->cfg->trace(p->cfg->trace_arg, p->session, what);
    }
    p->state = s;
}

static void txn_reset(struct sink_proto *p)
{
    txn_free(&p->txn);
    buf_init(&p->txn.store, p->cfg->size_limit);
}

static void decision_init(struct decision *d)
{
    memset(d, 0, sizeof *d);
    buf_init(&d->text, SINK_PROTO_TEXT_MAX);
}

static void decision_clear(struct decision *d)
{
    d->code = 0;
    d->esc = NULL;
    d->commit = NULL;
    d->each_rcpt = false;
    buf_reset(&d->text);
}

static void dset(struct decision *d, int code, const char *esc, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));

static void dset(struct decision *d, int code, const char *esc, const char *fmt,
                 ...)
{
    char tmp[SINK_PROTO_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    d->code = code;
    d->esc = esc;
    d->commit = NULL;
    buf_reset(&d->text);
    buf_adds(&d->text, tmp);
}

/* A refusal: fills d and returns true unless the command is forced
 * through by the fault table, when the handler carries on. */
static bool refuse(struct cmd *c, struct decision *d, int code, const char *esc,
                   const char *text)
{
    if (c->force)
        return false;
    dset(d, code, esc, "%s", text);
    return true;
}

static bool is_ctl(unsigned char b)
{
    return b < 0x20 || b == 0x7f;
}

/* Nonzero if s[0..n) is well-formed UTF-8 (no overlongs, no
 * surrogates, at most U+10FFFF). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t k;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            k = 1, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3, cp = c & 0x07;
        } else {
            return false;
        }
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (s[i + j] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        i += k + 1;
    }
    return true;
}

static bool has_8bit(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return true;
    return false;
}

/* ---- output ------------------------------------------------------- */

static struct buf *outbuf(struct sink_proto *p)
{
    return p->holding ? &p->held : &p->out;
}

static void add_events(struct sink_proto *p, unsigned ev)
{
    if (p->holding)
        p->held_events |= ev;
    else
        p->events |= ev;
}

/* Writes one reply; '\n' in text separates the lines of a multi-line
 * reply (RFC 5321 4.2.1), each carrying the same code and ESC. */
static void put_reply(struct sink_proto *p, int code, const char *esc,
                      const char *text)
{
    struct buf *o = outbuf(p);
    const char *s = text;
    while (s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        char head[32];
        int h = snprintf(head, sizeof head, "%03d%c%s%s", code, nl ? '-' : ' ',
                         esc && *esc ? esc : "", esc && *esc && n ? " " : "");
        if (buf_add(o, head, (size_t)h) != BUF_OK || buf_add(o, s, n) ||
            buf_add(o, "\r\n", 2))
            fatal("sink: reply output past %d octets", SINK_PROTO_OUT_MAX);
        s = nl ? nl + 1 : NULL;
    }
}

/* ---- addresses and parameters ------------------------------------ */

static bool is_atext(unsigned char c)
{
    return isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c) || c >= 0x80;
}

static bool is_letdig(unsigned char c, bool utf8)
{
    return isalnum(c) || (utf8 && c >= 0x80);
}

/* Domain = sub-domain *("." sub-domain), LDH labels (RFC 5321 4.1.2);
 * U-labels (8-bit) only when utf8. */
static bool valid_domain(const char *s, size_t n, bool utf8)
{
    if (n == 0 || n > SINK_PROTO_DOMAIN_MAX)
        return false;
    size_t lab = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (lab == 0 || s[i - 1] == '-')
                return false;
            lab = 0;
            continue;
        }
        if (c == '-') {
            if (lab == 0)
                return false;
        } else if (!is_letdig(c, utf8)) {
            return false;
        }
        if (++lab > SINK_PROTO_LABEL_MAX)
            return false;
    }
    return lab > 0 && s[n - 1] != '-';
}

/* address-literal = "[" ( IPv4 / "IPv6:" IPv6 / tag ":" dcontent ) "]" */
static bool valid_literal(const char *s, size_t n)
{
    char tmp[128];
    if (n < 3 || s[0] != '[' || s[n - 1] != ']' || n - 2 >= sizeof tmp)
        return false;
    memcpy(tmp, s + 1, n - 2);
    tmp[n - 2] = '\0';
    unsigned char a[16];
    if (inet_pton(AF_INET, tmp, a) == 1)
        return true;
    if (strncasecmp(tmp, "IPv6:", 5) == 0)
        return inet_pton(AF_INET6, tmp + 5, a) == 1;
    const char *colon = strchr(tmp, ':');
    if (!colon || colon == tmp || !valid_domain(tmp, (size_t)(colon - tmp), 0))
        return false;
    if (!colon[1])
        return false;
    for (const char *q = colon + 1; *q; q++)
        if (*q < 33 || *q > 126 || *q == '[' || *q == '\\' || *q == ']')
            return false;
    return true;
}

/* Local-part = Dot-string / Quoted-string (RFC 5321 4.1.2). */
static bool valid_local(const char *s, size_t n)
{
    if (n == 0)
        return false;
    if (s[0] == '"') {
        if (n < 2 || s[n - 1] != '"')
            return false;
        for (size_t i = 1; i < n - 1; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '\\') {
                if (++i >= n - 1 || s[i] < 32 || s[i] > 126)
                    return false;
            } else if (c == '"' || (c < 32) || c == 127) {
                return false;
            }
        }
        return true;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (i == 0 || i == n - 1 || s[i - 1] == '.')
                return false;
        } else if (!is_atext(c)) {
            return false;
        }
    }
    return true;
}

/* Mailbox = Local-part "@" ( Domain / address-literal ). */
static bool valid_mailbox(const char *s, size_t n)
{
    /* the last '@' outside quotes separates the domain */
    size_t at = n;
    bool q = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && q)
            i++;
        else if (s[i] == '"')
            q = !q;
        else if (s[i] == '@' && !q)
            at = i;
    }
    if (at == n || at == 0)
        return false;
    const char *d = s + at + 1;
    size_t dn = n - at - 1;
    bool dom =
        dn && d[0] == '[' ? valid_literal(d, dn) : valid_domain(d, dn, 1);
    return dom && valid_local(s, at);
}

/* Source route "@a,@b:" before the mailbox: accepted and stripped
 * (RFC 5321 4.1.1.3, 4.1.2 A-d-l). Returns the mailbox start. */
static const char *skip_route(const char *s, const char *end)
{
    if (s >= end || *s != '@')
        return s;
    const char *colon = memchr(s, ':', (size_t)(end - s));
    if (!colon)
        return NULL;
    for (const char *q = s; q < colon;) {
        if (*q != '@')
            return NULL;
        const char *e = q + 1;
        while (e < colon && *e != ',')
            e++;
        if (!valid_domain(q + 1, (size_t)(e - q - 1), 1) &&
            !valid_literal(q + 1, (size_t)(e - q - 1)))
            return NULL;
        q = e < colon ? e + 1 : e;
    }
    return colon + 1;
}

/* Parses "<path>" at s. On success sets *addr (caller frees) and
 * *rest (what follows the '>'), returns true. */
static bool parse_path(const char *s, bool rcpt, char **addr, const char **rest)
{
    if (*s != '<')
        return false;
    const char *e = s + 1;
    bool q = false;
    for (; *e && (q || *e != '>'); e++) {
        if (*e == '\\' && q && e[1])
            e++;
        else if (*e == '"')
            q = !q;
    }
    if (*e != '>' || (e[1] && e[1] != ' '))
        return false;
    const char *m = skip_route(s + 1, e);
    if (!m)
        return false;
    size_t n = (size_t)(e - m);
    bool ok;
    if (n == 0)
        ok = !rcpt && m == s + 1; /* "<>" (RFC 5321 4.1.2 Reverse-path) */
    else if (rcpt && n == 10 && strncasecmp(m, "postmaster", 10) == 0)
        ok = true; /* 4.1.1.3: <Postmaster> without a domain */
    else
        ok = valid_mailbox(m, n);
    if (!ok)
        return false;
    *addr = xstrndup(m, n);
    *rest = e + 1;
    return true;
}

/* xtext (RFC 3461 4): xchar (33..126 but '+' and '=') or "+" HEXHEX;
 * 8-bit UTF-8 allowed with SMTPUTF8 (RFC 6533). */
static bool valid_xtext(const char *s, size_t n, bool utf8)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '+') {
            if (i + 2 >= n)
                return false;
            for (int k = 1; k <= 2; k++)
                if (!isdigit((unsigned char)s[i + k]) &&
                    (s[i + k] < 'A' || s[i + k] > 'F'))
                    return false;
            i += 2;
        } else if (c == '=' || c < 33 || c == 127 || (c > 127 && !utf8)) {
            return false;
        }
    }
    return true;
}

/* NOTIFY = "NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" ) */
static bool valid_notify(const char *v)
{
    static const char *const W[] = {"SUCCESS", "FAILURE", "DELAY"};
    if (strcasecmp(v, "NEVER") == 0)
        return true;
    unsigned seen = 0;
    while (*v) {
        size_t n = strcspn(v, ",");
        int k = -1;
        for (int i = 0; i < 3; i++)
            if (strlen(W[i]) == n && strncasecmp(W[i], v, n) == 0)
                k = i;
        if (k < 0 || (seen & (1u << k)))
            return false;
        seen |= 1u << k;
        v += n;
        if (*v == ',' && !*++v)
            return false;
    }
    return seen != 0;
}

/* ORCPT = addr-type ";" xtext; addr-type is an atom (RFC 3461 4.2). */
static bool valid_orcpt(const char *v, bool utf8)
{
    const char *semi = strchr(v, ';');
    if (!semi || semi == v || strlen(v) > SINK_PROTO_ORCPT_MAX)
        return false;
    for (const char *q = v; q < semi; q++)
        if (!is_atext((unsigned char)*q) || (unsigned char)*q >= 0x80)
            return false;
    return valid_xtext(semi + 1, strlen(semi + 1), utf8);
}

enum param_kw {
    P_SIZE,
    P_BODY,
    P_SMTPUTF8,
    P_RET,
    P_ENVID,
    P_NOTIFY,
    P_ORCPT,
    P_AUTH,
    P_PRDR
};

struct param_def {
    const char *name;
    enum sink_ext ext; /* the EHLO keyword that offers it */
    bool mail;         /* a MAIL parameter (else RCPT) */
};

static const struct param_def PARAMS[] = {
    [P_SIZE] = {"SIZE", SINK_EXT_SIZE, true},
    [P_BODY] = {"BODY", SINK_EXT_8BITMIME, true},
    [P_SMTPUTF8] = {"SMTPUTF8", SINK_EXT_SMTPUTF8, true},
    [P_RET] = {"RET", SINK_EXT_DSN, true},
    [P_ENVID] = {"ENVID", SINK_EXT_DSN, true},
    [P_NOTIFY] = {"NOTIFY", SINK_EXT_DSN, false},
    [P_ORCPT] = {"ORCPT", SINK_EXT_DSN, false},
    [P_AUTH] = {"AUTH", SINK_EXT_AUTH, true},
    [P_PRDR] = {"PRDR", SINK_EXT_PRDR, true},
};

/* Checks one parameter's value; returns NULL or the refusal text. */
static const char *param_value(struct sink_proto *p, enum param_kw k,
                               const char *v, bool utf8, struct decision *d)
{
    switch (k) {
    case P_SIZE: {
        size_t n = strlen(v);
        if (n == 0 || n > SINK_PROTO_SIZE_DIGITS ||
            strspn(v, "0123456789") != n)
            return "Bad SIZE parameter syntax";
        if (n > 12 || strtoull(v, NULL, 10) > p->cfg->size_limit) {
            dset(d, 552, "5.3.4", "Message size exceeds fixed limit");
            return "";
        }
        return NULL;
    }
    case P_BODY:
        if (strcasecmp(v, "BINARYMIME") == 0 &&
            (p->caps & SINK_EXT_BIT(BINARYMIME))) {
            p->pend.binarymime = true; /* RFC 3030 3 */
            return NULL;
        }
        return strcasecmp(v, "7BIT") == 0 || strcasecmp(v, "8BITMIME") == 0
                   ? NULL
                   : "Bad BODY parameter value (7BIT or 8BITMIME)";
    case P_SMTPUTF8:
        return NULL;
    case P_RET:
        return strcasecmp(v, "FULL") == 0 || strcasecmp(v, "HDRS") == 0
                   ? NULL
                   : "Bad RET parameter syntax";
    case P_ENVID:
        return strlen(v) <= SINK_PROTO_ENVID_MAX &&
                       valid_xtext(v, strlen(v), utf8)
                   ? NULL
                   : "Bad ENVID parameter syntax";
    case P_NOTIFY:
        return valid_notify(v) ? NULL : "Bad NOTIFY parameter syntax";
    case P_ORCPT:
        return valid_orcpt(v, utf8) ? NULL : "Bad ORCPT parameter syntax";
    case P_PRDR: /* draft-hall-prdr-00 3: no value */
        p->pend.prdr = true;
        return NULL;
    case P_AUTH: /* RFC 4954 5: "<>" or an xtext mailbox */
        return strcmp(v, "<>") == 0 || valid_xtext(v, strlen(v), utf8)
                   ? NULL
                   : "Bad AUTH parameter syntax";
    }
    return NULL;
}

static bool valid_keyword(const char *s, size_t n)
{
    if (n == 0 || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return false;
    return true;
}

/* Finds the parameter keyword s[0..kn) of MAIL (mail) or RCPT; -1. */
static int find_param(const char *s, size_t kn, bool mail)
{
    for (size_t i = 0; i < sizeof PARAMS / sizeof PARAMS[0]; i++)
        if (PARAMS[i].mail == mail && strlen(PARAMS[i].name) == kn &&
            strncasecmp(PARAMS[i].name, s, kn) == 0)
            return (int)i;
    return -1;
}

/* One "keyword[=value]" token s[0..n); on a refusal fills d and
 * returns false. */
static bool parse_param(struct sink_proto *p, const char *s, size_t n,
                        bool mail, unsigned *seen, bool utf8,
                        struct decision *d)
{
    const char *eq = memchr(s, '=', n);
    size_t kn = eq ? (size_t)(eq - s) : n;
    size_t vn = eq ? n - kn - 1 : 0;
    char val[SINK_PROTO_LINE_LIMIT_MAX];
    memcpy(val, eq ? eq + 1 : "", vn);
    val[vn] = '\0';
    if (!valid_keyword(s, kn) || (eq && vn == 0) || memchr(val, '=', vn)) {
        dset(d, 501, "5.5.4", "Bad parameter syntax: %.*s", (int)n, s);
        return false;
    }
    int k = find_param(s, kn, mail);
    /* RFC 5321 4.1.1.11: 555 for what was not offered; a HELO session
     * was offered nothing. */
    if (k < 0 || !p->esmtp || !(p->caps & (1u << PARAMS[k].ext))) {
        dset(d, 555, "5.5.4", "Unsupported option: %.*s", (int)kn, s);
        return false;
    }
    if (*seen & (1u << k)) {
        dset(d, 501, "5.5.4", "Duplicate %s parameter", PARAMS[k].name);
        return false;
    }
    *seen |= 1u << k;
    bool bare = k == P_SMTPUTF8 || k == P_PRDR;
    if (bare != !eq) {
        dset(d, 501, "5.5.4", "%s %s", PARAMS[k].name,
             bare ? "takes no value" : "needs a value");
        return false;
    }
    const char *why = param_value(p, (enum param_kw)k, val, utf8, d);
    if (why && *why)
        dset(d, 501, "5.5.4", "%s", why);
    return why == NULL;
}

/* Parses the parameters of MAIL (mail) or RCPT. On a refusal fills d
 * and returns false. Sets *utf8 when SMTPUTF8 was given. */
static bool parse_params(struct sink_proto *p, const char *s, bool mail,
                         bool *utf8, struct decision *d)
{
    unsigned seen = 0;
    *utf8 = mail ? false : p->txn.smtputf8;
    /* SMTPUTF8 first: it changes what other values may hold. */
    for (const char *q = s; *q;) {
        while (*q == ' ')
            q++;
        size_t n = strcspn(q, " ");
        if (mail && n == 8 && strncasecmp(q, "SMTPUTF8", 8) == 0)
            *utf8 = true;
        q += n;
    }
    while (*s) {
        while (*s == ' ')
            s++;
        size_t n = strcspn(s, " ");
        if (n && !parse_param(p, s, n, mail, &seen, *utf8, d))
            return false;
        s += n;
    }
    return true;
}

/* ---- commits: the state changes of accepted commands --------------- */

static void commit_helo(struct sink_proto *p)
{
    free(p->helo);
    p->helo = p->pend.helo;
    p->pend.helo = NULL;
    p->esmtp = p->pend.esmtp;
    p->caps = p->pend.caps;
    txn_reset(p); /* 4.1.4: as if RSET had been issued */
    set_state(p, SINK_STATE_READY);
}

static void commit_mail(struct sink_proto *p)
{
    txn_reset(p);
    p->txn.open = true;
    p->txn.mail.addr = p->pend.addr;
    p->txn.mail.params = p->pend.params;
    p->txn.smtputf8 = p->pend.smtputf8;
    p->txn.binarymime = p->pend.binarymime;
    p->txn.prdr = p->pend.prdr;
    p->pend.addr = p->pend.params = NULL;
    set_state(p, SINK_STATE_MAIL);
}

/* A forced command (fault "accept") may need a transaction nobody
 * opened; it gets the null sender. The content stored so far stays. */
static void txn_open_forced(struct sink_proto *p)
{
    p->txn.open = true;
    if (!p->txn.mail.addr) {
        p->txn.mail.addr = xstrdup("");
        p->txn.mail.params = xstrdup("");
    }
}

static void commit_rcpt(struct sink_proto *p)
{
    txn_open_forced(p);
    struct txn *t = &p->txn;
    xgrow(&t->rcpts, &t->cap, t->nrcpt + 1, sizeof *t->rcpts);
    t->rcpts[t->nrcpt].addr = p->pend.addr;
    t->rcpts[t->nrcpt].params = p->pend.params;
    t->nrcpt++;
    p->pend.addr = p->pend.params = NULL;
    if (p->state != SINK_STATE_BDAT)
        set_state(p, SINK_STATE_RCPT);
}

static void commit_data(struct sink_proto *p)
{
    txn_open_forced(p);
    p->mode = MODE_DATA;
    p->dstate = D_BOL;
    p->last_lend = p->line_lend;
    set_state(p, SINK_STATE_DATA);
}

static void commit_rset(struct sink_proto *p)
{
    txn_reset(p);
    set_state(p,
              p->state == SINK_STATE_INIT ? SINK_STATE_INIT : SINK_STATE_READY);
}

static void commit_close(struct sink_proto *p)
{
    txn_reset(p);
    set_state(p, SINK_STATE_CLOSED);
    add_events(p, SINK_PROTO_EV_CLOSE);
}

static void commit_refuse(struct sink_proto *p)
{
    set_state(p, SINK_STATE_REFUSED);
}

static void commit_chunk(struct sink_proto *p)
{
    txn_open_forced(p);
    p->txn.bdat = true;
    set_state(p, SINK_STATE_BDAT);
}

/* With-protocol names (RFC 3848 2, RFC 6531 3.7.3): S for TLS, A for
 * AUTH; a HELO session is plain SMTP. */
static const char *protocol_name(const struct sink_proto *p)
{
    static const char *const NAMES[3][4] = {
        {"LMTP", "LMTPA", "LMTPS", "LMTPSA"},
        {"ESMTP", "ESMTPA", "ESMTPS", "ESMTPSA"},
        {"UTF8SMTP", "UTF8SMTPA", "UTF8SMTPS", "UTF8SMTPSA"},
    };
    int row;
    if (p->cfg->profile->protocol == SINK_PROTOCOL_LMTP)
        row = 0;
    else if (!p->esmtp)
        return "SMTP";
    else
        row = p->done.smtputf8 ? 2 : 1;
    return NAMES[row][(p->tls ? 2 : 0) + (p->authed ? 1 : 0)];
}

/* The message is accepted: it becomes p->msg until the next call. */
static void commit_accept(struct sink_proto *p)
{
    txn_open_forced(p);
    txn_free(&p->done);
    p->done = p->txn;
    memset(&p->txn, 0, sizeof p->txn);
    buf_init(&p->txn.store, p->cfg->size_limit);
    struct sink_message *m = &p->msg;
    m->session = p->session;
    m->client = p->client;
    m->helo = p->helo ? p->helo : "";
    m->protocol = protocol_name(p);
    m->queue_id = p->queue_id;
    m->transfer = p->done.bdat ? "BDAT" : "DATA";
    m->time_us = clock_wall_us();
    m->mail = &p->done.mail;
    m->rcpts = p->done.rcpts;
    m->nrcpt = p->done.nrcpt;
    m->data = buf_str(&p->done.store);
    m->len = p->done.store.len;
    m->tls = p->tls && p->tlsinfo.protocol ? &p->tlsinfo : NULL;
    m->auth = p->authed;
    add_events(p, SINK_PROTO_EV_MESSAGE);
}

/* ---- reply selection: the one place faults hook -------------------- */

/* Runs the handler; a refusal the fault table overrules (accept, or a
 * 2xx/3xx replacement) runs it again in forced mode. */
static bool overrules(const struct sink_fault_effect *fx)
{
    return fx->accept || (fx->reply && fx->reply->code < 400);
}

static void decide(struct sink_proto *p, struct cmd *c, struct decision *d)
{
    if (!c->fn)
        return;
    c->fn(p, c, d);
    if (d->code >= 400 && overrules(&c->fx) && !c->force) {
        c->force = true;
        pending_clear(&p->pend);
        decision_clear(d);
        c->fn(p, c, d);
    }
}

static void emit(struct sink_proto *p, const struct decision *d,
                 const struct sink_fault_action *r, const char *prefix)
{
    char text[SINK_PROTO_TEXT_MAX + 600];
    const char *t = r ? r->text : buf_str(&d->text);
    const char *esc = r ? r->esc : (p->cfg->esc ? d->esc : NULL);
    if (prefix) {
        snprintf(text, sizeof text, "<%s> %s", prefix, t);
        t = text;
    }
    put_reply(p, r ? r->code : d->code, esc, t);
}

/* An error budget (RFC 5321 7.8): after error_limit command errors
 * (unknown, syntax, sequence, unsupported) the session gets 421 and is
 * closed, as Postfix does at smtpd_hard_error_limit. */
static void count_error(struct sink_proto *p, int code)
{
    bool error = (code >= 500 && code <= 504) || code == 555;
    if (!error || !p->cfg->error_limit || p->state == SINK_STATE_CLOSED ||
        ++p->errors < p->cfg->error_limit)
        return;
    char text[SINK_PROTO_HOSTNAME_MAX + 32];
    snprintf(text, sizeof text, "%s Error: too many errors", p->cfg->hostname);
    put_reply(p, 421, p->cfg->esc ? "4.7.0" : NULL, text);
    set_state(p, SINK_STATE_CLOSED);
    add_events(p, SINK_PROTO_EV_CLOSE);
}

/* The fault "reset": the transaction is dropped after the reply, as if
 * RSET had come (a server that aborts on a refusal). */
static void fault_reset(struct sink_proto *p)
{
    enum sink_state s = p->state;
    if (s != SINK_STATE_MAIL && s != SINK_STATE_RCPT && s != SINK_STATE_BDAT)
        return;
    txn_reset(p);
    set_state(p, SINK_STATE_READY);
}

/* PRDR (draft-hall-prdr-00 4): 353, then 250 for each recipient in
 * RCPT order, then the message's reply. */
static void prdr_replies(struct sink_proto *p, const struct decision *d)
{
    bool esc = p->cfg->esc;
    put_reply(p, 353, NULL, "content analysis has started");
    for (size_t i = 0; i < p->txn.nrcpt; i++) {
        char text[SINK_PROTO_TEXT_MAX];
        snprintf(text, sizeof text, "<%.*s> Ok: recipient accepted",
                 SINK_PROTO_TEXT_MAX - 40, p->txn.rcpts[i].addr);
        put_reply(p, 250, esc ? "2.1.5" : NULL, text);
    }
    emit(p, d, NULL, NULL);
}

/* The faults "pad" (the reply's last line grows by N octets of 'x'),
 * "endless", "no-read" and "rst" of the hostile-server matrix. */
static void hostile_effects(struct sink_proto *p,
                            const struct sink_fault_effect *fx)
{
    struct buf *o = outbuf(p);
    if (fx->pad) {
        bool crlf = o->len >= 2 && memcmp(o->data + o->len - 2, "\r\n", 2) == 0;
        if (crlf)
            o->len -= 2;
        for (size_t i = 0; i < fx->pad; i++)
            if (buf_addc(o, 'x') != BUF_OK)
                fatal("sink: reply output past %d octets", SINK_PROTO_OUT_MAX);
        if (crlf)
            buf_add(o, "\r\n", 2);
    }
    if (fx->endless)
        p->endless = fx->endless;
    if (fx->no_read)
        p->no_read = true;
    if (fx->rst) {
        p->rst = true;
        set_state(p, SINK_STATE_CLOSED);
        add_events(p, SINK_PROTO_EV_CLOSE);
    }
}

/* Writes the reply the fault table selects and runs the commit if
 * the client was told yes; returns whether it ran. */
static bool select_reply(struct sink_proto *p, struct cmd *c,
                         struct decision *d)
{
    const struct sink_fault_effect *fx = &c->fx;
    int64_t delay_us = sink_fault_delay_us(fx, p->number);
    if (delay_us > 0 && !p->holding) {
        p->holding = true;
        p->delay_us = delay_us;
        p->events |= SINK_PROTO_EV_DELAY;
    }
    if (fx->close_before) { /* after the delay, if there is one */
        bool store = fx->accept && d->commit && p->state == SINK_STATE_DATA;
        if (store) /* "accept; close-before" at EOD: kept, never confirmed */
            d->commit(p);
        set_state(p, SINK_STATE_CLOSED);
        add_events(p, SINK_PROTO_EV_CLOSE);
        return false;
    }
    if (fx->trickle_us > 0) { /* the reply goes out an octet at a time */
        p->trickle_us = fx->trickle_us;
        if (!p->holding) {
            p->holding = true;
            p->delay_us = fx->trickle_us;
            p->events |= SINK_PROTO_EV_DELAY;
        }
    }
    bool commit = d->commit != NULL && !fx->keep_state;
    if (fx->reply && fx->reply->code >= 400)
        commit = false;
    p->tls_fail = fx->tls_fail;
    if (fx->raw) {
        if (buf_add(outbuf(p), fx->raw->text, fx->raw->len) != BUF_OK)
            fatal("sink: reply output past %d octets", SINK_PROTO_OUT_MAX);
    } else if (d->each_rcpt && p->txn.nrcpt) {
        for (size_t i = 0; i < p->txn.nrcpt; i++)
            emit(p, d, fx->reply, p->txn.rcpts[i].addr);
    } else if (d->prdr && !fx->reply && p->txn.nrcpt) {
        prdr_replies(p, d);
    } else {
        emit(p, d, fx->reply, NULL);
    }
    hostile_effects(p, fx);
    if (commit)
        d->commit(p);
    if (fx->reset)
        fault_reset(p);
    if (fx->flush) {
        p->flush = true;
        add_events(p, SINK_PROTO_EV_FLUSH);
    }
    for (size_t i = 0; i < fx->nextra; i++)
        put_reply(p, fx->extra[i]->code, fx->extra[i]->esc, fx->extra[i]->text);
    if (fx->close_after && p->state != SINK_STATE_CLOSED) {
        set_state(p, SINK_STATE_CLOSED);
        add_events(p, SINK_PROTO_EV_CLOSE);
    }
    count_error(p, fx->reply ? fx->reply->code : d->code);
    return commit;
}

/* ---- command handlers ---------------------------------------------- */

static bool valid_helo_name(const char *s, size_t n)
{
    return n && (s[0] == '[' ? valid_literal(s, n) : valid_domain(s, n, 0));
}

/* HELO/EHLO/LHLO: RFC 5321 4.1.1.1; replies carry no enhanced code
 * (RFC 2034 3). */
static bool check_helo(struct sink_proto *p, struct cmd *c, struct decision *d,
                       const char *verb)
{
    bool lmtp = p->cfg->profile->protocol == SINK_PROTOCOL_LMTP;
    if (!lmtp && strcmp(verb, "LHLO") == 0) {
        dset(d, 500, "5.5.2", "Error: command not recognized");
        return false;
    }
    /* RFC 2033 4.1: LHLO replaces HELO and EHLO. */
    if (lmtp && strcmp(verb, "LHLO") != 0 && !c->force) {
        dset(d, 500, NULL, "Error: this is LMTP, say LHLO");
        return false;
    }
    if (!c->has_arg && !c->force) {
        dset(d, 501, NULL, "Syntax: %s hostname", verb);
        return false;
    }
    if (!valid_helo_name(c->arg, c->arglen) && !c->force) {
        dset(d, 501, NULL, "Error: invalid %s name", verb);
        return false;
    }
    pending_clear(&p->pend);
    p->pend.helo = xstrdup(c->arg);
    return true;
}

static void cmd_helo(struct sink_proto *p, struct cmd *c, struct decision *d)
{
    if (!check_helo(p, c, d, "HELO"))
        return;
    p->pend.esmtp = false;
    p->pend.caps = 0;
    dset(d, 250, NULL, "%s", p->cfg->hostname);
    d->commit = commit_helo;
}

/* Applies the fault table's keyword edits to the advertised set. */
static bool kw_dropped(const struct cmd *c, const char *kw)
{
    for (size_t i = 0; i < c->fx.nkw; i++)
        if (c->fx.kw[i]->kind == SINK_FAULT_DROP &&
            strcasecmp(c->fx.kw[i]->text, kw) == 0)
            return true;
    return false;
}

/* Mechanisms that send a reusable secret in the clear (RFC 4954 4:
 * "plaintext password mechanisms"; a bearer token is one too, RFC 7628
 * 3.2.1 wants TLS). */
static bool mech_plaintext(enum sasl_mech m)
{
    return m == SASL_MECH_PLAIN || m == SASL_MECH_LOGIN ||
           m == SASL_MECH_XOAUTH2 || m == SASL_MECH_OAUTHBEARER;
}

/* Whether mechanism m may be used now: a profile that keeps plaintext
 * mechanisms for TLS neither offers nor accepts them before TLS. */
static bool mech_usable(const struct sink_proto *p, enum sasl_mech m)
{
    bool needs_tls = p->cfg->profile->auth_needs_tls && p->cfg->auth_tls;
    return !(mech_plaintext(m) && needs_tls && !p->tls);
}

/* Whether extension e goes into the EHLO reply now. */
static bool ext_offered(const struct sink_proto *p, enum sink_ext e)
{
    if (e == SINK_EXT_XCLIENT)
        return p->cfg->xclient;
    if (e == SINK_EXT_XFORWARD)
        return p->cfg->xforward;
    if (!(p->cfg->profile->caps & (1u << e)))
        return false;
    if (e == SINK_EXT_STARTTLS) /* RFC 3207 4.2: not after TLS */
        return p->cfg->tls && (!p->tls || p->cfg->starttls_after_tls);
    if (e == SINK_EXT_AUTH)
        return p->cfg->users != NULL;
    return true;
}

static void ehlo_list(struct sink_proto *p, struct cmd *c, struct decision *d)
{
    unsigned caps = 0;
    dset(d, 250, NULL, "%s", p->cfg->hostname);
    for (int e = 0; e < SINK_EXT_COUNT; e++) {
        if (!ext_offered(p, (enum sink_ext)e) ||
            kw_dropped(c, sink_ext_name((enum sink_ext)e)))
            continue;
        caps |= 1u << e;
        buf_addf(&d->text, "\n%s", sink_ext_name((enum sink_ext)e));
        if (e == SINK_EXT_SIZE)
            buf_addf(&d->text, " %zu", p->cfg->size_limit);
        if (e == SINK_EXT_XCLIENT)
            buf_addf(&d->text, " %s", SINK_PROXY_XCLIENT_ATTRS);
        if (e == SINK_EXT_XFORWARD)
            buf_addf(&d->text, " %s", SINK_PROXY_XFORWARD_ATTRS);
        for (int m = 0; e == SINK_EXT_AUTH && m < SASL_MECH_COUNT; m++)
            if (mech_usable(p, (enum sasl_mech)m))
                buf_addf(&d->text, " %s", sasl_mech_name((enum sasl_mech)m));
    }
    for (size_t i = 0; i < c->fx.nkw; i++) {
        const char *t = c->fx.kw[i]->text;
        if (c->fx.kw[i]->kind != SINK_FAULT_ADD)
            continue;
        buf_addf(&d->text, "\n%s", t);
        int e = sink_ext_find(t, strcspn(t, " "));
        if (e >= 0) /* a keyword the sink knows is then implemented too */
            caps |= 1u << e;
    }
    p->pend.esmtp = true;
    p->pend.caps = caps;
    d->commit = commit_helo;
}

static void cmd_ehlo(struct sink_proto *p, struct cmd *c, struct decision *d)
{
    if (check_helo(p, c, d, "EHLO"))
        ehlo_list(p, c, d);
}

static void cmd_lhlo(struct sink_proto *p, struct cmd *c, struct decision *d)
{
    if (check_helo(p, c, d, "LHLO"))
        ehlo_list(p, c, d);
}

/* Splits "FROM:<path> params": returns false if the keyword is absent. */
static bool path_arg(const struct cmd *c, const char *kw, const char **rest)
{
    size_t n = strlen(kw);
    if (c->arglen < n || strncasecmp(c->arg, kw, n) != 0)
        return false;
    *rest = c->arg + n;
    return true;
}

/* What MAIL and RCPT differ in when their argument is read. */
struct env_kind {
    const char *keyword; /* "FROM:" or "TO:" */
    bool rcpt;
    const char *syntax;            /* the 501 5.5.4 text */
    const char *bad_esc, *bad_txt; /* the reply to a bad address */
};

static const struct env_kind ENV_MAIL = {"FROM:", false,
                                         "Syntax: MAIL FROM:<address>", "5.1.7",
                                         "Bad sender address syntax"};
static const struct env_kind ENV_RCPT = {"TO:", true,
                                         "Syntax: RCPT TO:<address>", "5.1.3",
                                         "Bad recipient address syntax"};

/* Reads MAIL's or RCPT's path and parameters into p->pend.addr, *params
 * and *utf8 (SMTPUTF8 given); false when a refusal was decided. A forced
 * command (fault "accept") takes what cannot be parsed as it is. */
static bool envelope_arg(struct sink_proto *p, struct cmd *c,
                         struct decision *d, const struct env_kind *k,
                         const char **params, bool *utf8)
{
    pending_clear(&p->pend);
    const char *path;
    char *addr = NULL;
    *params = "";
    *utf8 = false;
    if (!path_arg(c, k->keyword, &path)) {
        if (refuse(c, d, 501, "5.5.4", k->syntax))
            return false;
        path = c->arg;
    }
    if (!parse_path(path, k->rcpt, &addr, params)) {
        if (refuse(c, d, 501, k->bad_esc, k->bad_txt))
            return false;
        addr = xstrdup(path);
        *params = "";
    }
    p->pend.addr = addr;
    while (**params == ' ')
        (*params)++;
    if (!parse_params(p, *params, !k->rcpt, utf8, d) && !c->force)
        return false;
    /* RFC 6531 3.2: a UTF-8 address only with the SMTPUTF8 parameter. */
    return !(has_8bit(addr) && !*utf8 &&
             refuse(c, d, 553, "5.6.7",
                    "Must declare SMTPUTF8 to send unicode address"));
}

static void cmd_mail(struct sink_proto *p, struct cmd *c, struct decision *d)
{
    enum sink_state s = p->state;
    if (s == SINK_STATE_INIT &&
        refuse(c, d, 503, "5.5.1", "Error: send HELO/EHLO first"))
        return;
    if ((s == SINK_STATE_MAIL || s == SINK_STATE_RCPT ||
         s == SINK_STATE_BDAT) &&
        refuse(c, d, 503, "5.5.1", "Error: nested MAIL command"))
        return;
    /* RFC 3207 4 and RFC 4954 6: policy says TLS, or AUTH, first. */
    if (p->cfg->profile->tls_required && !p->tls &&
        refuse(c, d, 530, "5.7.0", "Must issue a STARTTLS command first"))
        return;
    if (p->cfg->profile->auth_required && !p->authed &&
        refuse(c, d, 530, "5.7.0", "Authentication required"))
        return;
    const char *params;
    bool utf8;
    if (!envelope_arg(p, c, d, &ENV_MAIL, &params, &utf8))
        return;
    p->pend.params = xstrdup(params);
    p->pend.smtputf8 = utf8;
    dset(d, 250, "2.1.0", "Ok");
    d->commit = commit_mail;
}

/* The sink's fixture vocabulary: local parts starting with "nouser"
 * are unknown users, everything else is delivered. */
static bool unknown_user(const char *addr)
{
    return strncasecmp(addr, "nouser", 6) == 0;
}

/* With local domains configured, a recipient elsewhere is relaying
 * (RFC 5321 3.6, 7.9); bare <postmaster> is always local (4.5.1). */
static bool is_relay(const struct sink_proto *p, const char *addr)
{
    const char *at = strrchr(addr, '@');
    if (p->cfg->nlocal == 0 || !at)
        return false;
    for (size_t i = 0; i < p->cfg->nlocal; i++)
        if (strcasecmp(at + 1, p->cfg->local_domains[i]) == 0)
            return false;
    return true;
}

static bool rcpt_sequence(struct sink_proto *p, struct cmd *c,
                          struct decision *d)
{
    enum sink_state s = p->state;
    if (s == SINK_STATE_BDAT)
        return !refuse(c, d, 503, "5.5.1", "Error: RCPT after BDAT");
    if (s != SINK_STATE_MAIL && s != SINK_STATE_RCPT)
        return !refuse(c, d, 503, "5.5.1", "Error: need MAIL command");
    return true;
}

static void cmd_rcpt(struct sink_proto *p, struct cmd *c, struct decision *d)
{
    if (!rcpt_sequence(p, c, d))
        return;
    const char *params;
    bool utf8;
    if (!envelope_arg(p, c, d, &ENV_RCPT, &params, &utf8))
        return;
    const char *addr = p->pend.addr;
    /* RFC 5321 4.5.3.1.10: too many recipients is 452. */
    if (p->txn.nrcpt >= p->cfg->rcpt_limit &&
        refuse(c, d, 452, "4.5.3", "Error: too many recipients"))
        return;
    if (is_relay(p, addr) && !p->authed && !c->force) {
        if (p->cfg->profile->relay_needs_auth)
            dset(d, 530, "5.7.0", "Authentication required");
        else
            dset(d, 550, "5.7.1", "<%s>: Relay access denied", addr);
        return;
    }
    if (unknown_user(addr) && !c->force) {
        dset(d, 550, "5.1.1",
             "<%s>: Recipient address rejected: "
             "User unknown",
             addr);
        return;
    }
    p->pend.params = xstrdup(params);
    dset(d, 250, "2.1.5", "Ok");
    d->commit = commit_rcpt;
}

static void cmd_data(struct sink_proto *p, struct cmd *c, struct decision *d)
{
    enum sink_state s = p->state;
    if (c->has_arg && refuse(c, d, 501, "5.5.4", "Syntax: DATA"))
        return;
    if (s == SINK_STATE_BDAT &&
        refuse(c, d, 503, "5.5.1", "Error: DATA after BDAT"))
        return;
    /* RFC 3030 3: BINARYMIME content only goes with BDAT. */
    if (p->txn.binarymime && (s == SINK_STATE_MAIL || s == SINK_STATE_RCPT) &&
        refuse(c, d, 503, "5.5.1", "Error: BODY=BINARYMIME needs BDAT"))
        return;
    /* RFC 5321 3.3 and RFC 2033 4.2: no recipient, 503. */
    if (s == SINK_STATE_MAIL &&
        refuse(c, d, 503, "5.5.1", "Error: need RCPT command"))
        return;
    if (s != SINK_STATE_RCPT && s != SINK_STATE_MAIL && s != SINK_STATE_BDAT &&
        refuse(c, d, 503, "5.5.1", "Error: need MAIL command"))
        return;
    dset(d, 354, NULL, "End data with <CR><LF>.<CR><LF>");
    d->commit = commit_data;
}

/* BDAT chunk-size [SP "LAST"] (RFC 3030 2). A chunk whose size parses
 * is always read before the reply, whatever the reply, so the session
 * stays in step. Fills d->code 0 ("deferred") when the chunk is to be
 * stored, or the refusal given after the chunk. */
static void cmd_bdat(struct sink_proto *p, struct cmd *c, struct decision *d)
{
    const char *a = c->arg;
    size_t n = strspn(a, "0123456789");
    if (n == 0 || n > SINK_PROTO_BDAT_DIGITS || (a[n] && a[n] != ' ')) {
        dset(d, 501, "5.5.4", "Syntax: BDAT count [LAST]");
        return; /* no size: nothing to read */
    }
    p->chunk_size = strtoull(a, NULL, 10);
    const char *t = a + n;
    while (*t == ' ')
        t++;
    p->chunk_last = strcasecmp(t, "LAST") == 0;
    enum sink_state s = p->state;
    if (*t && !p->chunk_last &&
        refuse(c, d, 501, "5.5.4", "Syntax: BDAT count [LAST]"))
        return;
    if (!(p->caps & SINK_EXT_BIT(CHUNKING)) &&
        refuse(c, d, 502, "5.5.1", "Error: command not implemented"))
        return;
    if (p->chunk_size == 0 && !p->chunk_last &&
        refuse(c, d, 501, "5.5.4", "Error: zero-size BDAT needs LAST"))
        return;
    if (s == SINK_STATE_MAIL &&
        refuse(c, d, 503, "5.5.1", "Error: need RCPT command"))
        return;
    if (s != SINK_STATE_RCPT && s != SINK_STATE_BDAT && s != SINK_STATE_MAIL &&
        refuse(c, d, 503, "5.5.1", "Error: need MAIL command"))
        return;
    d->code = 0;
}

static void cmd_rset(struct sink_proto *p, struct cmd *c, struct decision *d)
{
    if (c->has_arg && refuse(c, d, 501, "5.5.4", "Syntax: RSET"))
        return;
    dset(d, 250, "2.0.0", "Ok");
    d->commit = commit_rset;
}

static void cmd_noop(struct sink_proto *p, struct cmd *c, struct decision *d)
{
    dset(d, 250, "2.0.0", "Ok"); /* 4.1.1.9: parameters are ignored */
}

static void cmd_quit(struct sink_proto *p, struct cmd *c, struct decision *d)
{
    if (c->has_arg && refuse(c, d, 501, "5.5.4", "Syntax: QUIT"))
        return;
    dset(d, 221, "2.0.0", "Bye");
    d->commit = commit_close;
}

static void cmd_vrfy(struct sink_proto *p, struct cmd *c, struct decision *d)
{
    if (!c->has_arg && refuse(c, d, 501, "5.5.4", "Syntax: VRFY address"))
        return;
    /* RFC 5321 7.3: 252 when the site will not verify. */
    dset(d, 252, "2.5.2",
         "Cannot VRFY user, but will accept message and attempt delivery");
}

static void cmd_expn(struct sink_proto *p, struct cmd *c, struct decision *d)
{
    /* Not advertised, so 502 (RFC 5321 3.5.2, 4.2.4). */
    dset(d, 502, "5.5.1", "Error: command not implemented");
}

static void cmd_help(struct sink_proto *p, struct cmd *c, struct decision *d)
{
    bool lmtp = p->cfg->profile->protocol == SINK_PROTOCOL_LMTP;
    dset(d, 214, "2.0.0",
         "Commands: %s MAIL RCPT DATA BDAT RSET NOOP QUIT "
         "VRFY HELP",
         lmtp ? "LHLO" : "HELO EHLO");
}

/* ---- STARTTLS (RFC 3207) ---------------------------------------------- */

static void commit_starttls(struct sink_proto *p)
{
    p->tls_pending = true;
    add_events(p, SINK_PROTO_EV_STARTTLS);
}

/* STARTTLS: 220, then the handshake. Inside TLS it is refused (RFC 3207
 * 4.2; Postfix's text); without an EHLO that offered it, 503 or 502
 * (RFC 5321 4.2.4). Inside a transaction it is allowed, and the
 * handshake resets the session (as Postfix does). */
static void cmd_starttls(struct sink_proto *p, struct cmd *c,
                         struct decision *d)
{
    bool offered =
        p->cfg->tls && (p->cfg->profile->caps & SINK_EXT_BIT(STARTTLS));
    if (p->tls) { /* never forced: TLS inside TLS is not a thing */
        dset(d, 554, "5.5.1", "Error: TLS already active");
        return;
    }
    if (!offered &&
        refuse(c, d, 502, "5.5.1", "Error: command not implemented"))
        return;
    if (!p->cfg->tls) {
        dset(d, 454, "4.7.0", "TLS not available due to local problem");
        return;
    }
    if (c->has_arg && refuse(c, d, 501, "5.5.4", "Syntax: STARTTLS"))
        return;
    if (p->state == SINK_STATE_INIT &&
        refuse(c, d, 503, "5.5.1", "Error: send HELO/EHLO first"))
        return;
    if (!(p->caps & SINK_EXT_BIT(STARTTLS)) &&
        refuse(c, d, 502, "5.5.1", "Error: command not implemented"))
        return;
    dset(d, 220, "2.0.0", "Ready to start TLS");
    d->commit = commit_starttls;
}

/* RFC 3207 4.2: "The server MUST discard any knowledge obtained from the
 * client, such as the argument to the EHLO command, which was not
 * obtained from the TLS negotiation itself." */
static void tls_reset(struct sink_proto *p)
{
    free(p->helo);
    p->helo = NULL;
    p->esmtp = false;
    p->caps = 0;
    free(p->authed);
    p->authed = NULL;
    txn_reset(p);
    set_state(p, SINK_STATE_INIT);
}

/* ---- XCLIENT and XFORWARD (Postfix) ------------------------------------ */

static void note(struct sink_proto *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note(struct sink_proto *p, const char *fmt, ...)
{
    if (!p->cfg->note)
        return;
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    p->cfg->note(p->cfg->trace_arg, p->session, what);
}

/* XCLIENT: the session starts over as the claimed client's, greeted
 * anew; TLS stays (XCLIENT_README: "the server responds with a 220
 * greeting", and the client must send EHLO again). */
static void commit_xclient(struct sink_proto *p)
{
    tls_reset(p);
}

/* Whether XCLIENT or XFORWARD (extension e) is on: by setting, or added
 * to the last EHLO by a fault row. */
static bool x_enabled(const struct sink_proto *p, enum sink_ext e)
{
    return (e == SINK_EXT_XCLIENT ? p->cfg->xclient : p->cfg->xforward) ||
           (p->caps & (1u << e));
}

/* What XCLIENT and XFORWARD share: offered, no transaction open, valid
 * attributes; returns false after setting a refusal. */
static bool x_check(struct sink_proto *p, struct cmd *c, struct decision *d,
                    enum sink_ext e, const char *verb)
{
    char why[SINK_FAULT_TEXT_MAX];
    if (!x_enabled(p, e) &&
        refuse(c, d, 500, "5.5.2", "Error: command not recognized"))
        return false;
    if (p->state != SINK_STATE_INIT && p->state != SINK_STATE_READY &&
        refuse(c, d, 503, "5.5.1", "Error: MAIL transaction in progress"))
        return false;
    if (!sink_proxy_attrs_valid(verb, c->arg, why, sizeof why) &&
        refuse(c, d, 501, "5.5.4", why))
        return false;
    return true;
}

static void cmd_xclient(struct sink_proto *p, struct cmd *c, struct decision *d)
{
    if (!x_check(p, c, d, SINK_EXT_XCLIENT, "XCLIENT"))
        return;
    note(p, "XCLIENT %.512s", c->arg);
    dset(d, 220, NULL, "%s ESMTP smtpsuite sink", p->cfg->hostname);
    d->commit = commit_xclient;
}

static void cmd_xforward(struct sink_proto *p, struct cmd *c,
                         struct decision *d)
{
    if (!x_check(p, c, d, SINK_EXT_XFORWARD, "XFORWARD"))
        return;
    note(p, "XFORWARD %.512s", c->arg);
    dset(d, 250, "2.0.0", "Ok");
}

/* ---- AUTH (RFC 4954) ---------------------------------------------------- */

static void auth_end(struct sink_proto *p)
{
    sasl_server_free(p->auth);
    p->auth = NULL;
}

/* The 334 that starts an exchange: it now owns the SASL server. */
static void commit_auth_wait(struct sink_proto *p)
{
    auth_end(p);
    p->auth = p->pend.sasl;
    p->pend.sasl = NULL;
}

static void commit_auth_ok(struct sink_proto *p)
{
    free(p->authed);
    p->authed = p->pend.user;
    p->pend.user = NULL;
    note(p, "auth %s ok: user %s", sasl_mech_name(p->auth_mech), p->authed);
}

/* The fault scram-signature=bad: the v= of server-final is changed, so
 * a client that checks it must refuse the server (RFC 5802 5.1). */
static void spoil_signature(struct buf *challenge)
{
    struct buf dec;
    buf_init(&dec, SASL_MAX_MSG);
    size_t pos;
    if (b64_decode(&dec, buf_str(challenge), challenge->len, &pos) == B64_OK &&
        dec.len > 2 && strncmp(buf_str(&dec), "v=", 2) == 0) {
        dec.data[2] = dec.data[2] == 'A' ? 'B' : 'A';
        buf_reset(challenge);
        b64_encode(challenge, dec.data, dec.len);
    }
    buf_free(&dec);
}

/* Turns the outcome of one SASL step into the decision: 334 and the
 * challenge (commit: wait for the next line), 235 (commit: the user is
 * authenticated), or the refusal RFC 4954 gives the outcome. */
static void auth_decide(struct sink_proto *p, struct sasl_server *s,
                        enum sasl_outcome o, struct buf *challenge,
                        struct decision *d,
                        void (*on_challenge)(struct sink_proto *))
{
    const char *user = sasl_server_user(s);
    if (!p->cfg->auth_check &&
        (o == SASL_OUT_BAD_CREDS || o == SASL_OUT_AUTHZ)) {
        o = SASL_OUT_SUCCESS; /* the fault: nothing is checked */
        user = "(unchecked)";
    }
    if (o == SASL_OUT_CHALLENGE) {
        if (p->cfg->scram_bad_sig)
            spoil_signature(challenge);
        dset(d, 334, NULL, "%s", buf_str(challenge));
        d->commit = on_challenge;
        return;
    }
    if (o == SASL_OUT_SUCCESS) {
        free(p->pend.user);
        p->pend.user = xstrdup(user ? user : "");
    } else {
        note(p, "auth %s failed: %s", sasl_mech_name(p->auth_mech),
             sasl_server_reason(s));
    }
    dset(d, sasl_outcome_code(o), sasl_outcome_esc(o), "%s",
         sasl_outcome_text(o));
    d->commit = o == SASL_OUT_SUCCESS ? commit_auth_ok : NULL;
}

/* Whether AUTH is offered in this session: by the profile (with users)
 * and, after an EHLO, by the EHLO's own list. */
static bool auth_offered(const struct sink_proto *p)
{
    return ext_offered(p, SINK_EXT_AUTH) &&
           (p->state == SINK_STATE_INIT || (p->caps & SINK_EXT_BIT(AUTH)));
}

/* Sequence checks of RFC 4954 4; false when d holds the refusal. */
static bool auth_sequence(struct sink_proto *p, struct cmd *c,
                          struct decision *d)
{
    enum sink_state s = p->state;
    if (!auth_offered(p) &&
        refuse(c, d, 503, "5.5.1", "Error: authentication not enabled"))
        return false;
    if (s == SINK_STATE_INIT &&
        refuse(c, d, 503, "5.5.1", "Error: send HELO/EHLO first"))
        return false;
    if (p->authed && refuse(c, d, 503, "5.5.1", "Error: already authenticated"))
        return false;
    if ((s == SINK_STATE_MAIL || s == SINK_STATE_RCPT ||
         s == SINK_STATE_BDAT) &&
        refuse(c, d, 503, "5.5.1", "Error: MAIL transaction in progress"))
        return false;
    return !(!c->has_arg &&
             refuse(c, d, 501, "5.5.4", "Syntax: AUTH mechanism"));
}

/* AUTH mechanism [initial-response] (RFC 4954 4). */
static void cmd_auth(struct sink_proto *p, struct cmd *c, struct decision *d)
{
    if (!auth_sequence(p, c, d))
        return;
    size_t mn = strcspn(c->arg, " ");
    const char *ir = c->arg + mn;
    while (*ir == ' ')
        ir++;
    char mech[32];
    snprintf(mech, sizeof mech, "%.*s", (int)(mn < 31 ? mn : 31), c->arg);
    enum sasl_mech m;
    if (mn > 31 || sasl_mech_parse(mech, &m) != 0 || !p->cfg->users) {
        dset(d, 504, "5.5.4", "Unrecognized authentication type");
        return;
    }
    if (strchr(ir, ' ') &&
        refuse(c, d, 501, "5.5.4", "Syntax: AUTH mechanism [initial-response]"))
        return;
    if (!mech_usable(p, m) &&
        refuse(c, d, 538, "5.7.11",
               "Encryption required for requested authentication mechanism"))
        return;
    struct sasl_server_params sp = {.mech = sasl_mech_name(m),
                                    .users = p->cfg->users,
                                    .nonce = p->cfg->sasl_nonce,
                                    .hostname = p->cfg->hostname};
    char err[256];
    pending_clear(&p->pend);
    p->pend.sasl = sasl_server_new(&sp, err, sizeof err);
    if (!p->pend.sasl)
        fatal("sink: AUTH %s: %s", mech, err);
    p->auth_mech = m;
    struct buf ch;
    buf_init(&ch, SASL_MAX_LINE + 1);
    enum sasl_outcome o =
        sasl_server_start(p->pend.sasl, *ir ? ir : NULL, strlen(ir), &ch);
    auth_decide(p, p->pend.sasl, o, &ch, d, commit_auth_wait);
    buf_free(&ch);
}

/* A line of the client inside an exchange: never a command (RFC 4954
 * 4). The fault table sees it as the pseudo-command SASL; whatever is
 * answered other than 334 ends the exchange. */
static void auth_response(struct sink_proto *p, const char *line, size_t n)
{
    struct cmd c = {.name = "SASL", .arg = ""};
    struct decision d;
    decision_init(&d);
    sink_fault_match(p->cfg->faults, p->state, c.name, c.arg, &c.fx);
    struct buf ch;
    buf_init(&ch, SASL_MAX_LINE + 1);
    enum sasl_outcome o = sasl_server_step(p->auth, line, n, &ch);
    auth_decide(p, p->auth, o, &ch, &d, NULL);
    int code = c.fx.reply ? c.fx.reply->code : d.code;
    select_reply(p, &c, &d);
    if (code != 334 || c.fx.close_before)
        auth_end(p);
    pending_clear(&p->pend);
    buf_free(&ch);
    buf_free(&d.text);
}

static const struct cmd_def COMMANDS[] = {
    {"HELO", cmd_helo},       {"EHLO", cmd_ehlo},         {"LHLO", cmd_lhlo},
    {"MAIL", cmd_mail},       {"RCPT", cmd_rcpt},         {"DATA", cmd_data},
    {"BDAT", cmd_bdat},       {"RSET", cmd_rset},         {"NOOP", cmd_noop},
    {"QUIT", cmd_quit},       {"VRFY", cmd_vrfy},         {"EXPN", cmd_expn},
    {"HELP", cmd_help},       {"STARTTLS", cmd_starttls}, {"AUTH", cmd_auth},
    {"XCLIENT", cmd_xclient}, {"XFORWARD", cmd_xforward},
};

static const struct cmd_def *find_command(const char *verb, size_t n)
{
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (strlen(COMMANDS[i].name) == n &&
            strncasecmp(COMMANDS[i].name, verb, n) == 0)
            return &COMMANDS[i];
    return NULL;
}

/* ---- end of data and BDAT chunks ---------------------------------- */

static void accept_decision(struct sink_proto *p, struct decision *d)
{
    p->nmsg++;
    snprintf(p->queue_id, sizeof p->queue_id, "%s.%u", p->session, p->nmsg);
    if (p->cfg->profile->protocol == SINK_PROTOCOL_LMTP)
        dset(d, 250, "2.1.5", "Ok: delivered as %s", p->queue_id);
    else
        dset(d, 250, "2.0.0", "Ok: queued as %s", p->queue_id);
    d->commit = commit_accept;
}

/* The decision at the end of a message (DATA's EOD or BDAT LAST). */
static void final_decision(struct sink_proto *p, const struct cmd *c,
                           struct decision *d)
{
    bool force = overrules(&c->fx);
    if (p->txn.too_big && !force)
        dset(d, 552, "5.3.4", "Error: message file too big");
    else if (p->txn.bare_reject && !force)
        dset(d, 550, "5.5.2", "Error: bare <CR> or <LF> received");
    else
        accept_decision(p, d);
    /* RFC 2033 4.2: one reply per accepted recipient, in order. */
    d->each_rcpt = p->cfg->profile->protocol == SINK_PROTOCOL_LMTP;
    /* draft-hall-prdr-00 4: an accepted message is answered 353, a reply
     * per recipient, then the message's own reply; a refused one (too
     * big, bare line ends) gets only that reply. */
    d->prdr = p->txn.prdr && d->code == 250 && !d->each_rcpt;
}

static void end_txn(struct sink_proto *p)
{
    p->mode = MODE_LINE;
    if (p->state == SINK_STATE_CLOSED)
        return;
    txn_reset(p);
    set_state(p, SINK_STATE_READY);
}

static void end_of_data(struct sink_proto *p)
{
    /* EOD rows see the content as stored (up to a NUL) */
    struct cmd c = {.name = "EOD", .arg = (char *)buf_str(&p->txn.store)};
    struct decision d;
    decision_init(&d);
    sink_fault_match(p->cfg->faults, p->state, c.name, c.arg, &c.fx);
    final_decision(p, &c, &d);
    p->mode = MODE_LINE;
    select_reply(p, &c, &d);
    end_txn(p);
    buf_free(&d.text);
}

static void store(struct sink_proto *p, const void *data, size_t n)
{
    p->txn.octets += n;
    if (!p->txn.too_big && buf_add(&p->txn.store, data, n) != BUF_OK)
        p->txn.too_big = true;
}

static void finish_chunk(struct sink_proto *p)
{
    struct decision *d = &p->chunk_refusal;
    struct cmd *c = &p->chunk_cmd;
    bool final = false;
    p->mode = MODE_LINE;
    if (p->chunk_replied) {
        p->chunk_replied = false;
        free(c->arg);
        c->arg = NULL;
        buf_free(&d->text);
        return;
    }
    if (d->code == 0) {
        if (p->chunk_last || (p->txn.too_big && !overrules(&c->fx))) {
            p->txn.bdat = true; /* a lone BDAT LAST is a BDAT transfer */
            final_decision(p, c, d);
            final = true;
        } else {
            dset(d, 250, "2.0.0", "Ok: %llu octets received",
                 (unsigned long long)p->chunk_size);
            d->commit = commit_chunk;
        }
    }
    bool committed = select_reply(p, c, d);
    if (final) {
        end_txn(p);
    } else if (d->commit == commit_chunk && !committed) {
        /* the client was told no: the chunk is not part of the message */
        p->txn.store.len = p->chunk_start;
        p->txn.octets = p->chunk_octets;
        p->txn.too_big = p->txn.octets > p->cfg->size_limit;
    }
    free(c->arg);
    c->arg = NULL;
    buf_free(&d->text);
}

static size_t chunk_bytes(struct sink_proto *p, const unsigned char *in,
                          size_t n)
{
    size_t k = n < p->chunk_left ? n : (size_t)p->chunk_left;
    if (p->chunk_refusal.code == 0)
        store(p, in, k);
    p->chunk_left -= k;
    if (p->chunk_left == 0)
        finish_chunk(p);
    return k;
}

/* Enters chunk mode after a BDAT whose size parsed; d is the decision
 * (code 0: store the chunk) and is taken over. */
static void start_chunk(struct sink_proto *p, struct cmd *c, struct decision *d)
{
    p->chunk_cmd = *c;
    p->chunk_cmd.arg = xstrdup(c->arg);
    p->chunk_refusal = *d;
    p->chunk_left = p->chunk_size;
    p->chunk_start = p->txn.store.len;
    p->chunk_octets = p->txn.octets;
    p->mode = MODE_CHUNK;
    if (p->chunk_left == 0)
        finish_chunk(p);
}

/* ---- command lines -------------------------------------------------- */

static bool has_ctl(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_ctl((unsigned char)s[i]))
            return true;
    return false;
}

static bool is_helo_verb(const struct cmd_def *def)
{
    return def &&
           (def->fn == cmd_helo || def->fn == cmd_ehlo || def->fn == cmd_lhlo);
}

/* Line-level checks that come before any handler. Returns true when
 * they decided the reply. */
static bool precheck(struct sink_proto *p, const struct cmd_def *def,
                     const char *line, size_t len, const struct cmd *c,
                     struct decision *d)
{
    const char *esc5 = is_helo_verb(def) ? NULL : "5.5.2";
    if (!utf8_valid((const unsigned char *)line, len))
        dset(d, 500, esc5, "Error: invalid UTF-8 in command");
    else if (p->state == SINK_STATE_REFUSED && !(def && def->fn == cmd_quit))
        dset(d, 503, is_helo_verb(def) ? NULL : "5.5.1",
             "Error: access denied"); /* RFC 5321 3.1 */
    else if (!def)
        dset(d, 500, "5.5.2", "Error: command not recognized");
    else if (has_ctl(c->arg, c->arglen))
        dset(d, 501, esc5, "Syntax error: control character in argument");
    else
        return false;
    return true;
}

static void dispatch(struct sink_proto *p, char *line, size_t len)
{
    struct cmd c = {0};
    struct decision d;
    decision_init(&d);
    size_t vn = 0;
    while (vn < len && line[vn] != ' ')
        vn++;
    const struct cmd_def *def = find_command(line, vn);
    c.name = def ? def->name : "UNKNOWN";
    c.fn = def ? def->fn : NULL;
    size_t a = vn, e = len;
    while (a < len && line[a] == ' ')
        a++;
    while (e > a && (line[e - 1] == ' ' || line[e - 1] == '\t'))
        e--; /* RFC 5321 4.1.1: tolerate trailing white space */
    char saved = line[e];
    line[e] = '\0';
    c.arg = line + a;
    c.arglen = e - a;
    c.has_arg = c.arglen > 0;
    sink_fault_match(p->cfg->faults, p->state, c.name, c.arg, &c.fx);
    line[e] = saved;
    sink_fault_match_line(p->cfg->faults, p->state, line, len, &c.fx);
    line[e] = '\0';
    p->chunk_size = UINT64_MAX;
    if (!precheck(p, def, line, len, &c, &d))
        decide(p, &c, &d);
    line[e] = saved;
    if (p->chunk_size != UINT64_MAX && d.code == 0 &&
        p->chunk_size > p->cfg->size_limit && !overrules(&c.fx)) {
        /* A chunk bigger than any message: say so now instead of after
         * reading it (RFC 1870 552), and discard its octets as they come
         * so the session stays in step; the transaction is over. */
        dset(&d, 552, "5.3.4", "Message size exceeds fixed limit");
        select_reply(p, &c, &d);
        end_txn(p);
        p->chunk_replied = true;
        d.code = 501; /* not 0: the octets are not stored */
    }
    if (p->chunk_size != UINT64_MAX && p->state != SINK_STATE_CLOSED) {
        start_chunk(p, &c, &d); /* takes d over */
        pending_clear(&p->pend);
        return;
    }
    select_reply(p, &c, &d);
    pending_clear(&p->pend);
    buf_free(&d.text);
}

/* Answers a line that went past line_max (RFC 5321 4.2.2, 4.5.3.1.9:
 * "500 Line too long"); an AUTH line, or a line of an exchange past
 * SASL_MAX_LINE, gets RFC 4954 4's 500 5.5.6 and ends the exchange. */
static void too_long(struct sink_proto *p)
{
    struct cmd c = {.arg = ""};
    struct decision d;
    decision_init(&d);
    const char *l = buf_str(&p->line);
    size_t vn = strcspn(l, " ");
    const struct cmd_def *def = p->auth ? NULL : find_command(l, vn);
    c.name = p->auth ? "SASL" : def ? def->name : "UNKNOWN";
    /* rows see what came of the argument before the limit (never a
     * secret: inside AUTH the argument stays empty) */
    if (!p->auth)
        c.arg = (char *)l + vn + strspn(l + vn, " ");
    sink_fault_match(p->cfg->faults, p->state, c.name, c.arg, &c.fx);
    if (p->auth || (def && def->fn == cmd_auth)) {
        enum sasl_outcome o = SASL_OUT_TOO_LONG;
        dset(&d, sasl_outcome_code(o), sasl_outcome_esc(o), "%s",
             sasl_outcome_text(o));
        p->line_secret = true;
        auth_end(p);
    } else {
        sink_fault_match_line(p->cfg->faults, p->state, l, p->line.len, &c.fx);
        dset(&d, 500, is_helo_verb(def) ? NULL : "5.5.2",
             "Error: line too long");
    }
    select_reply(p, &c, &d);
    buf_free(&d.text);
}

/* A bare CR or LF under "reject": 550 5.5.2, then close. */
static void bare_refused(struct sink_proto *p, const char *what)
{
    struct cmd c = {.name = "UNKNOWN", .arg = ""};
    struct decision d;
    decision_init(&d);
    sink_fault_match(p->cfg->faults, p->state, c.name, c.arg, &c.fx);
    dset(&d, 550, "5.5.2", "Error: bare <%s> received", what);
    d.commit = commit_close;
    select_reply(p, &c, &d);
    buf_free(&d.text);
    buf_reset(&p->line);
}

/* The length of "AUTH MECH" when line is an AUTH command with an
 * initial response (which is then a secret), else 0. */
static size_t auth_ir_at(const char *line, size_t n)
{
    if (n < 5 || strncasecmp(line, "AUTH ", 5) != 0)
        return 0;
    size_t i = 5;
    while (i < n && line[i] == ' ')
        i++;
    while (i < n && line[i] != ' ' && line[i] != '\r')
        i++;
    size_t mech_end = i;
    while (i < n && (line[i] == ' ' || line[i] == '\r'))
        i++;
    return i < n ? mech_end : 0;
}

/* Appends the completed line to the input log; the lines of an AUTH
 * exchange and initial responses are secrets (RFC 4954 4 carries
 * passwords in them, base64 hides them at any alignment), so they are
 * replaced whole. */
static void inlog_line(struct sink_proto *p, enum line_end kind)
{
    if (!p->cfg->log_input)
        return;
    struct buf *l = &p->line, *o = &p->inlog;
    const char *end = kind == LEND_CR ? "" : "\n";
    size_t mech = auth_ir_at(l->data ? l->data : "", l->len);
    if (p->auth || p->line_secret)
        buf_addf(o, "<AUTH response redacted: %zu octets>\r%s", l->len, end);
    else if (mech)
        buf_addf(o, "%.*s <initial response redacted>\r%s", (int)mech, l->data,
                 end);
    else {
        buf_add(o, l->data ? l->data : "", l->len);
        buf_adds(o, p->discarding ? "<line too long: the rest dropped>" : "");
        buf_adds(o, end);
    }
}

static void end_line(struct sink_proto *p, enum line_end kind)
{
    struct buf *l = &p->line;
    p->line_lend = kind;
    inlog_line(p, kind);
    if (p->discarding) {
        p->discarding = false; /* answered when it went past the limit */
    } else {
        if (!l->data)
            buf_add(l, "", 0);
        size_t n = l->len - (kind == LEND_LF ? 0 : 1); /* drop the CR */
        if (p->auth)
            auth_response(p, l->data, n);
        else
            dispatch(p, l->data, n);
    }
    p->line_secret = false;
    buf_reset(l);
}

static void line_append(struct sink_proto *p, unsigned char b)
{
    struct buf *l = &p->line;
    if (p->discarding) {
        p->disc_cr = b == '\r';
        return;
    }
    buf_addc(l, (char)b);
    size_t content = l->len - (b == '\r' ? 1 : 0);
    size_t max = p->auth ? SINK_PROTO_AUTH_LINE : p->cfg->line_max;
    if (content + 2 > max) {
        /* Answer now, so a client that never ends the line is not left
         * waiting; the rest of the line is read and dropped up to its
         * end, which keeps the session in step. */
        p->discarding = true;
        p->disc_cr = b == '\r';
        too_long(p);
    }
}

/* One byte of a command line; returns false if b must be looked at
 * again (a bare CR ended the line before it). */
static bool line_byte(struct sink_proto *p, unsigned char b)
{
    struct buf *l = &p->line;
    bool prev_cr =
        p->discarding ? p->disc_cr : (l->len && l->data[l->len - 1] == '\r');
    enum sink_bare lf = p->cfg->bare_lf, cr = p->cfg->bare_cr;
    if (b == '\n') {
        if (prev_cr) {
            end_line(p, LEND_CRLF);
            return true;
        }
        if (lf == SINK_BARE_REJECT) {
            bare_refused(p, "LF");
            return true;
        }
        if (lf == SINK_BARE_LINE_END || lf == SINK_BARE_EOD) {
            end_line(p, LEND_LF);
            return true;
        }
    } else if (prev_cr && (cr == SINK_BARE_LINE_END || cr == SINK_BARE_EOD)) {
        end_line(p, LEND_CR);
        return false;
    } else if (prev_cr && cr == SINK_BARE_REJECT) {
        bare_refused(p, "CR");
        return true;
    }
    line_append(p, b);
    return true;
}

/* ---- message content ------------------------------------------------ */

static bool ends_data(const struct sink_proto *p, enum line_end e)
{
    return e == LEND_CRLF ||
           (e == LEND_LF && p->cfg->bare_lf == SINK_BARE_EOD) ||
           (e == LEND_CR && p->cfg->bare_cr == SINK_BARE_EOD);
}

/* A line holding only ".", ended by e: the end of the data if both line
 * ends qualify (only CRLF by default, RFC 5321 4.1.1.4), else kept. */
static void dot_line(struct sink_proto *p, enum line_end e)
{
    if (ends_data(p, p->last_lend) && ends_data(p, e)) {
        end_of_data(p);
        return;
    }
    store(p, ".\r\n", 3);
    p->last_lend = e;
    p->dstate = D_BOL;
}

static bool lf_ends_line(const struct sink_proto *p)
{
    return p->cfg->bare_lf == SINK_BARE_LINE_END ||
           p->cfg->bare_lf == SINK_BARE_EOD;
}

static bool cr_ends_line(const struct sink_proto *p)
{
    return p->cfg->bare_cr == SINK_BARE_LINE_END ||
           p->cfg->bare_cr == SINK_BARE_EOD;
}

/* A bare LF inside content. */
static void data_bare_lf(struct sink_proto *p)
{
    if (lf_ends_line(p)) {
        store(p, "\r\n", 2);
        p->last_lend = LEND_LF;
        p->dstate = D_BOL;
        return;
    }
    if (p->cfg->bare_lf == SINK_BARE_REJECT)
        p->txn.bare_reject = true;
    store(p, "\n", 1);
    p->dstate = D_MID;
}

/* The content scanner, one handler per position in the line; each
 * returns false if b must be looked at again (a bare CR ended a line
 * before it, or ended the data). */
static bool data_bol(struct sink_proto *p, unsigned char b)
{
    if (b == '.') {
        p->dstate = D_DOT;
        return true;
    }
    p->dstate = D_MID;
    return false;
}

static bool data_mid(struct sink_proto *p, unsigned char b)
{
    if (b == '\r')
        p->dstate = D_CR;
    else if (b == '\n')
        data_bare_lf(p);
    else
        store(p, &b, 1);
    return true;
}

static bool data_cr(struct sink_proto *p, unsigned char b)
{
    if (b == '\n') {
        store(p, "\r\n", 2);
        p->last_lend = LEND_CRLF;
        p->dstate = D_BOL;
        return true;
    }
    if (cr_ends_line(p)) { /* a bare CR as a line end */
        store(p, "\r\n", 2);
        p->last_lend = LEND_CR;
        p->dstate = D_BOL;
        return false;
    }
    if (p->cfg->bare_cr == SINK_BARE_REJECT)
        p->txn.bare_reject = true;
    store(p, "\r", 1);
    p->dstate = D_MID;
    return false;
}

static bool data_dot(struct sink_proto *p, unsigned char b)
{
    if (b == '\r') {
        p->dstate = D_DOT_CR;
        return true;
    }
    if (b == '.' && p->cfg->dotdot_eod)
        return true; /* the fault: ".." unstuffed first, then taken as "." */
    if (b == '\n' && lf_ends_line(p)) {
        dot_line(p, LEND_LF);
        return true;
    }
    if (!p->cfg->unstuff) /* 4.5.2: the leading dot goes */
        store(p, ".", 1);
    p->dstate = D_MID;
    return false;
}

static bool data_dot_cr(struct sink_proto *p, unsigned char b)
{
    if (b == '\n') {
        dot_line(p, LEND_CRLF);
        return true;
    }
    if (cr_ends_line(p)) {
        dot_line(p, LEND_CR);
        return false;
    }
    if (!p->cfg->unstuff)
        store(p, ".", 1);
    p->dstate = D_CR;
    return false;
}

static bool data_byte(struct sink_proto *p, unsigned char b)
{
    static bool (*const HANDLERS[])(struct sink_proto *, unsigned char) = {
        [D_BOL] = data_bol, [D_DOT] = data_dot, [D_DOT_CR] = data_dot_cr,
        [D_MID] = data_mid, [D_CR] = data_cr,
    };
    return HANDLERS[p->dstate](p, b);
}

/* Plaintext that arrived between STARTTLS and its handshake: RFC 3207
 * 4.2 and the CVE-2011-0411 fix say it is not acted on (Postfix purges
 * it the same way); the tls-tail fault keeps it to run inside TLS. */
static void keep_tail(struct sink_proto *p, const void *in, size_t len)
{
    if (!p->cfg->tls_tail) {
        note(p,
             "discarded %zu octets of plaintext sent with STARTTLS "
             "(RFC 3207 4.2)",
             len);
        return;
    }
    size_t room = p->tail.max - p->tail.len;
    buf_add(&p->tail, in, len < room ? len : room);
    note(p,
         "kept %zu octets of plaintext sent with STARTTLS, to run over "
         "TLS (fault tls-tail=execute)",
         len < room ? len : room);
}

/* ---- the public calls ----------------------------------------------- */

struct sink_proto *sink_proto_new(const struct sink_proto_config *cfg,
                                  const char *session, const char *client)
{
    struct sink_proto *p = xcalloc(1, sizeof *p);
    p->cfg = cfg;
    p->session = xstrdup(session);
    p->client = xstrdup(client);
    p->state = SINK_STATE_INIT;
    p->mode = MODE_LINE;
    size_t lmax = cfg->line_max > SINK_PROTO_AUTH_LINE ? cfg->line_max
                                                       : SINK_PROTO_AUTH_LINE;
    buf_init(&p->line, lmax + 1);
    buf_init(&p->out, SINK_PROTO_OUT_MAX);
    buf_init(&p->held, SINK_PROTO_OUT_MAX);
    buf_init(&p->txn.store, cfg->size_limit);
    buf_init(&p->tail, SINK_PROTO_TAIL_MAX);
    buf_init(&p->inlog, SINK_PROTO_INLOG_MAX);
    p->chunk_size = UINT64_MAX;
    p->tls = cfg->profile->implicit_tls; /* RFC 8314 3.3 */
    return p;
}

void sink_proto_set_client(struct sink_proto *p, const char *client)
{
    free(p->client);
    p->client = xstrdup(client);
}

void sink_proto_free(struct sink_proto *p)
{
    if (!p)
        return;
    txn_free(&p->txn);
    txn_free(&p->done);
    pending_clear(&p->pend);
    free(p->chunk_cmd.arg);
    buf_free(&p->chunk_refusal.text);
    buf_free(&p->line);
    buf_free(&p->out);
    buf_free(&p->held);
    buf_free(&p->tail);
    buf_free(&p->inlog);
    auth_end(p);
    free(p->authed);
    free(p->helo);
    free(p->session);
    free(p->client);
    free(p);
}

unsigned sink_proto_start(struct sink_proto *p)
{
    struct cmd c = {.name = "CONNECT", .arg = ""};
    struct decision d;
    decision_init(&d);
    p->events = 0;
    sink_fault_match(p->cfg->faults, p->state, c.name, c.arg, &c.fx);
    bool lmtp = p->cfg->profile->protocol == SINK_PROTOCOL_LMTP;
    if (p->cfg->profile->refuse) {
        dset(&d, 554, NULL, "%s ESMTP not accepting connections",
             p->cfg->hostname);
        d.commit = commit_refuse;
    } else {
        dset(&d, 220, NULL, "%s %s smtpsuite sink", p->cfg->hostname,
             lmtp ? "LMTP" : "ESMTP");
    }
    select_reply(p, &c, &d);
    buf_free(&d.text);
    return p->events;
}

unsigned sink_proto_feed(struct sink_proto *p, const void *in, size_t len,
                         size_t *used)
{
    const unsigned char *s = in;
    size_t i = 0;
    p->events = 0;
    if (p->holding || p->no_read) { /* no-read: the input stays unread */
        *used = 0;
        return 0;
    }
    if (p->tls_pending) { /* plaintext that came with STARTTLS */
        keep_tail(p, in, len);
        *used = len;
        return 0;
    }
    while (i < len && !p->events && p->out.len < SINK_PROTO_OUT_SOFT) {
        if (p->state == SINK_STATE_CLOSED) {
            i = len; /* after QUIT or 421 nothing more is read */
            break;
        }
        if (s[i] == 0 && p->cfg->strip_nul && p->mode != MODE_CHUNK) {
            i++; /* the fault: NUL bytes vanish */
            continue;
        }
        switch (p->mode) {
        case MODE_LINE:
            i += line_byte(p, s[i]);
            break;
        case MODE_DATA:
            if (data_byte(p, s[i])) {
                if (p->cfg->log_input)
                    buf_addc(&p->inlog, (char)s[i]);
                i++;
            }
            break;
        case MODE_CHUNK: {
            size_t k = chunk_bytes(p, s + i, len - i);
            if (p->cfg->log_input)
                buf_add(&p->inlog, s + i, k);
            i += k;
            break;
        }
        }
        if (p->flush) { /* the fault: what was read after it is lost */
            p->flush = false;
            i = len;
        }
    }
    *used = i;
    return p->events;
}

unsigned sink_proto_resume(struct sink_proto *p)
{
    if (!p->holding)
        return 0;
    if (p->trickle_us && p->held.len > 1) { /* one octet, then wait again */
        buf_add(&p->out, p->held.data, 1);
        p->held.len--;
        memmove(p->held.data, p->held.data + 1, p->held.len + 1); /* NUL */
        p->delay_us = p->trickle_us;
        return SINK_PROTO_EV_DELAY;
    }
    p->trickle_us = 0;
    p->holding = false;
    buf_add(&p->out, p->held.data ? p->held.data : "", p->held.len);
    buf_reset(&p->held);
    unsigned ev = p->held_events;
    p->held_events = 0;
    p->delay_us = 0;
    return ev;
}

/* A 421 the server decides on its own. */
static unsigned server_421(struct sink_proto *p, const char *cmd,
                           const char *esc, const char *what)
{
    struct cmd c = {.name = cmd, .arg = ""};
    struct decision d;
    decision_init(&d);
    /* what was held goes first, with its events (a message accepted) */
    p->events = p->holding ? sink_proto_resume(p) & ~SINK_PROTO_EV_CLOSE : 0;
    if (cmd)
        sink_fault_match(p->cfg->faults, p->state, c.name, c.arg, &c.fx);
    dset(&d, 421, esc, "%s %s", p->cfg->hostname, what);
    d.commit = commit_close;
    select_reply(p, &c, &d);
    buf_free(&d.text);
    return p->events;
}

unsigned sink_proto_timeout(struct sink_proto *p)
{
    return server_421(p, "TIMEOUT", "4.4.2", "Error: timeout exceeded");
}

unsigned sink_proto_shutdown(struct sink_proto *p)
{
    return server_421(p, NULL, "4.3.2", "Service shutting down");
}

unsigned sink_proto_busy(struct sink_proto *p)
{
    return server_421(p, NULL, "4.7.0", "Error: too many connections");
}

struct buf *sink_proto_out(struct sink_proto *p)
{
    return &p->out;
}

void sink_proto_tls_started(struct sink_proto *p,
                            const struct sink_tls_info *info)
{
    const char *src[4] = {info->protocol, info->cipher, info->sni,
                          info->client_cert};
    for (int i = 0; i < 4; i++)
        snprintf(p->tls_fact[i], sizeof p->tls_fact[i], "%s",
                 src[i] ? src[i] : "");
    p->tlsinfo = (struct sink_tls_info){p->tls_fact[0], p->tls_fact[1],
                                        p->tls_fact[2], p->tls_fact[3]};
    p->tls = true;
    if (!p->tls_pending)
        return; /* implicit TLS: nothing was said before */
    p->tls_pending = false;
    if (p->cfg->tls_reset)
        tls_reset(p);
}

bool sink_proto_tls_fail(const struct sink_proto *p)
{
    return p->tls_fail;
}

struct buf *sink_proto_tail(struct sink_proto *p)
{
    return &p->tail;
}

struct buf *sink_proto_inlog(struct sink_proto *p)
{
    return &p->inlog;
}

void sink_proto_set_number(struct sink_proto *p, uint64_t number)
{
    p->number = number;
}

bool sink_proto_more(struct sink_proto *p)
{
    if (!p->endless || p->holding || p->out.len)
        return false;
    while (p->out.len < SINK_PROTO_ENDLESS_MAX)
        buf_add(&p->out, p->endless->text, p->endless->len);
    return true;
}

bool sink_proto_rst(const struct sink_proto *p)
{
    return p->rst;
}

int64_t sink_proto_delay_us(const struct sink_proto *p)
{
    return p->delay_us;
}

const struct sink_message *sink_proto_message(const struct sink_proto *p)
{
    return &p->msg;
}

enum sink_state sink_proto_state(const struct sink_proto *p)
{
    return p->state;
}
