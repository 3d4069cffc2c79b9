/* session: the state machine that executes one case (see session.h).
 *
 * One function sets the state (session_set_state). Steps run from
 * run(), which loops while the session is READY; a step either finishes
 * at once (control flow, sends, captures) or moves the session to a
 * waiting state that a connection event or a timer ends. Every command
 * sent leaves a pending entry on its connection; replies are matched to
 * pending entries in order (RFC 2920 3.2), so pipelined writes and the
 * replies to them line up. Judging lives in session_judge.c. */
#include "harness/session_int.h"
#include "harness/arrival_eval.h"
#include "harness/body.h"
#include "harness/bytes.h"
#include "harness/clock.h"
#include "harness/msggen.h"
#include "harness/sasl.h"
#include "harness/tls.h"
#include "harness/xalloc.h"

#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct timeouts TIMEOUTS_CI = {
    .connect = 5000000,
    .banner = 10000000,
    .command = 10000000,
    .data_init = 10000000,
    .eod = 30000000,
    .tls = 10000000,
    .quit = 2000000,
    .case_total = 120000000,
};

/* RFC 5321 4.5.3.2: initial 220 5 min, MAIL 5 min, RCPT 5 min, DATA
 * initiation 2 min, data termination 10 min. */
const struct timeouts TIMEOUTS_RFC = {
    .connect = 60000000,
    .banner = 300000000,
    .command = 300000000,
    .data_init = 120000000,
    .eod = 600000000,
    .tls = 120000000,
    .quit = 10000000,
    .case_total = 3600000000LL,
};

static const char *const STATE_NAMES[] = {
#define X(e, s) s,
    SESSION_STATE_LIST(X)
#undef X
};

static void run(struct session *s);
static void schedule(struct session *s);
static void finish(struct session *s);

void session_set_state(struct session *s, enum session_state st)
{
    if (s->p.trace_states && st != s->state)
        fprintf(stderr, "smtpsuite: %s: %s -> %s\n", s->p.pc->id,
                STATE_NAMES[s->state], STATE_NAMES[st]);
    s->state = st;
}

int64_t session_now(const struct session *s)
{
    return clock_mono_us() - s->t0;
}

void session_note(struct session *s, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct session_conn *sc = &s->conns[s->cur];
    session_event(s, session_now(s), '*', s->p.pc->conns[sc->index], msg,
                     strlen(msg));
}

/* ---- frames, steps and variables ------------------------------------- */

static struct session_frame *frame(struct session *s)
{
    return &s->frames[s->nframes - 1];
}

const struct prog_step *session_step(const struct session *s)
{
    const struct session_frame *f = &s->frames[s->nframes - 1];
    return &f->prog->steps[f->pc];
}

static void next(struct session *s)
{
    frame(s)->pc++;
}

static struct session_conn *sc_for(struct session *s, const struct prog_step *st)
{
    if (st->conn >= 0 && !frame(s)->prologue)
        s->cur = st->conn;
    return &s->conns[s->cur];
}

static struct session_var *var_find(struct session *s, const char *name)
{
    for (int i = 0; i < s->nvars; i++)
        if (strcmp(s->vars[i].name, name) == 0)
            return &s->vars[i];
    return NULL;
}

static void var_set(struct session *s, const char *name, const char *v, size_t n)
{
    struct session_var *sv = var_find(s, name);
    if (!sv) {
        if (s->nvars == SESSION_MAX_VARS)
            return;
        sv = &s->vars[s->nvars++];
        sv->name = xstrdup(name);
        buf_init(&sv->value, PROG_MAX_VALUE);
    }
    buf_reset(&sv->value);
    buf_add(&sv->value, v, n);
}

static void var_set_int(struct session *s, const char *name, int64_t v)
{
    char t[32];
    int n = snprintf(t, sizeof t, "%lld", (long long)v);
    var_set(s, name, t, (size_t)n);
}

/* Values for builtins are made on demand into this session buffer. */
static const char *builtin(struct session *s, const char *name, size_t *len)
{
    static __thread char tmp[256];
    const char *v = NULL;
    if (strcmp(name, "helo") == 0)
        v = s->p.target->helo_name;
    else if (strcmp(name, "case_id") == 0)
        v = s->p.pc->id;
    else if (strcmp(name, "run_id") == 0)
        v = s->p.run_id;
    else if (strcmp(name, "date") == 0)
        v = msggen_date(tmp, sizeof tmp);
    else if (strcmp(name, "msgid") == 0)
        v = msggen_msgid(tmp, sizeof tmp, s->p.run_id);
    else if (strcmp(name, "msgtoken") == 0)
        v = msggen_token(tmp, sizeof tmp, s->p.run_id, s->p.pc->id);
    if (v)
        *len = strlen(v);
    return v;
}

static const char *env_lookup(void *arg, const char *name, size_t *len,
                              bool *secret)
{
    struct session *s = arg;
    struct session_var *sv = var_find(s, name);
    if (sv) {
        *len = sv->value.len;
        return buf_str(&sv->value);
    }
    if (s->p.fixture) {
        const char *v = s->p.fixture(s->p.fixture_arg, name, len);
        if (v)
            return v;
    }
    const struct target_fixture *f = target_fixture(s->p.target, name);
    if (f) {
        *len = f->len;
        *secret = f->secret;
        return f->value;
    }
    return builtin(s, name, len);
}

static const char *env_ehlo(void *arg)
{
    struct session *s = arg;
    return buf_str(&s->conns[s->cur].ehlo);
}

static int env_code(void *arg)
{
    struct session *s = arg;
    return s->conns[s->cur].last_code;
}

/* tls_version() and friends: the facts recorded for the current
 * connection's handshake. */
static void env_tls(void *arg, struct prog_tls_view *out)
{
    static const struct {
        const char *name;
        int v;
    } V[] = {{"TLSv1", 10}, {"TLSv1.1", 11}, {"TLSv1.2", 12}, {"TLSv1.3", 13}};
    struct session *s = arg;
    const struct session_conn *sc = &s->conns[s->cur];
    const struct result_tls *t =
        sc->tls && sc->result_idx >= 0 ? s->out->conns[sc->result_idx].tls : NULL;
    if (!t)
        return;
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++)
        if (t->protocol && strcmp(t->protocol, V[i].name) == 0)
            out->version = V[i].v;
    out->verified = t->verified;
    out->cipher = t->cipher ? t->cipher : "";
}

/* arrival_*() and dsn_*(): what the last expect arrival / dsn found. */
static bool env_arrival(void *arg, struct arrival_view *out)
{
    const struct deliver_seen *f = ((struct session *)arg)->arrival;
    if (!f || !f->data)
        return false;
    *out = (struct arrival_view){f->data, f->len, f->from,
                                 f->rcpt, f->cls,  f->count};
    return true;
}

static struct prog_env env_of(struct session *s)
{
    struct prog_env e = {env_lookup, env_ehlo, env_code,
                         s,          env_tls,  env_arrival};
    return e;
}

/* Evaluates a template; on error the case ends in ERROR internal. */
static int eval(struct session *s, const struct prog_step *st,
                const struct prog_tmpl *t, bool no_crlf, struct buf *out,
                bool *secret)
{
    char err[512];
    struct prog_env env = env_of(s);
    if (prog_eval_template(t, &env, no_crlf, out, secret, err, sizeof err) == 0)
        return 0;
    judge_error(s, ERRCAT_INTERNAL, -1, "%s:%s", st->file ? st->file : "?", err);
    session_end(s);
    return -1;
}

/* ---- pending commands -------------------------------------------------- */

static void pend_push(struct session_conn *sc, const char *name, char *sent,
                      int64_t t, int line)
{
    xgrow(&sc->pend, &sc->cappend, sc->npend + 1, sizeof *sc->pend);
    struct session_pending *p = &sc->pend[sc->npend++];
    size_t nl = strlen(name);
    if (nl >= sizeof p->name)
        nl = sizeof p->name - 1;
    memcpy(p->name, name, nl);
    p->name[nl] = '\0';
    p->sent = sent;
    p->t_sent = t;
    p->line = line;
}

struct session_pending *session_pend_head(struct session_conn *sc)
{
    return sc->headpend < sc->npend ? &sc->pend[sc->headpend] : NULL;
}

void session_pend_pop(struct session_conn *sc)
{
    if (sc->headpend >= sc->npend)
        return;
    free(sc->pend[sc->headpend].sent);
    sc->pend[sc->headpend].sent = NULL;
    if (++sc->headpend == sc->npend)
        sc->headpend = sc->npend = 0;
}

static void pend_clear(struct session_conn *sc)
{
    while (session_pend_head(sc))
        session_pend_pop(sc);
}

/* ---- transcript --------------------------------------------------------- */

/* Logs what the client wrote, a line an event, at most SESSION_LOG_LINES
 * lines a write; AUTH payloads and secrets are redacted whole. */
static void log_client(struct session *s, struct session_conn *sc,
                       const char *p, size_t n, bool secret)
{
    if (s->p.lean)
        return;
    const char *name = s->p.pc->conns[sc->index];
    int64_t t = session_now(s);
    if (secret) {
        const char *r = "[redacted: holds a secret]\r\n";
        session_event(s, t, '>', name, r, strlen(r));
        return;
    }
    size_t off = 0, lines = 0;
    while (off < n && lines < SESSION_LOG_LINES) {
        const char *lf = memchr(p + off, '\n', n - off);
        size_t len = lf ? (size_t)(lf - (p + off)) + 1 : n - off;
        session_event(s, t, '>', name, p + off, len);
        off += len;
        lines++;
    }
    if (off < n) {
        char note[96];
        snprintf(note, sizeof note, "... %zu more octets in this write", n - off);
        session_event_escaped(s, t, '*', name, note);
    }
}

/* Logs server bytes not logged yet, a line an event. */
static void log_server(struct session *s, struct session_conn *sc)
{
    if (s->p.lean)
        return;
    size_t len;
    const char *p = conn_input(sc->c, &len);
    const char *name = s->p.pc->conns[sc->index];
    while (sc->logged < len) {
        const char *lf = memchr(p + sc->logged, '\n', len - sc->logged);
        if (!lf && !sc->peer_closed)
            return; /* wait for the rest of the line */
        size_t n = lf ? (size_t)(lf - (p + sc->logged)) + 1 : len - sc->logged;
        session_event(s, session_now(s), '<', name, p + sc->logged, n);
        sc->logged += n;
    }
}

/* Drains n consumed input bytes, keeping the logged count in step. */
static void consume(struct session *s, struct session_conn *sc, size_t n)
{
    if (s->p.lean) {
        conn_input_drain(sc->c, n);
        return;
    }
    log_server(s, sc);
    if (sc->logged < n) {
        size_t len;
        const char *p = conn_input(sc->c, &len);
        session_event(s, session_now(s), '<', s->p.pc->conns[sc->index],
                         p + sc->logged, n - sc->logged);
        sc->logged = n;
    }
    conn_input_drain(sc->c, n);
    sc->logged -= n;
}

/* ---- timers ------------------------------------------------------------- */

static void arm(struct session *s, int64_t us)
{
    struct timeval tv = {(time_t)(us / 1000000), (suseconds_t)(us % 1000000)};
    evtimer_add(s->step_timer, &tv);
}

static void disarm(struct session *s)
{
    evtimer_del(s->step_timer);
}

static int64_t timeout_for(struct session *s, struct session_conn *sc)
{
    const struct timeouts *t = s->p.tmo;
    struct session_pending *p = session_pend_head(sc);
    if (!p)
        return t->command;
    if (strcmp(p->name, "banner") == 0)
        return t->banner;
    if (strcmp(p->name, "data_cmd") == 0)
        return t->data_init;
    if (strcmp(p->name, "eod") == 0)
        return t->eod;
    return t->command;
}

/* ---- sending ------------------------------------------------------------ */

/* RFC 2033 4.2: after the end of data an LMTP server replies once for
 * each recipient it accepted, in RCPT order: one pending entry each. */
static void lmtp_replies(struct session_conn *sc, int64_t t, int line)
{
    for (unsigned i = 1; sc->lmtp && i < sc->rcpt_ok; i++)
        pend_push(sc, "eod", NULL, t, line);
    sc->rcpt_ok = 0;
}

/* PRDR: after the 353 (the "eod" reply), a reply per accepted recipient
 * and the message's own, each a pending "prdr" (judge_expect drops them
 * when the end of data is answered otherwise). */
static void prdr_replies(struct session_conn *sc, int64_t t, int line)
{
    for (unsigned i = 0; sc->prdr && !sc->lmtp && i <= sc->rcpt_ok; i++)
        pend_push(sc, "prdr", NULL, t, line);
    sc->prdr = false;
}

/* Whether a MAIL command line carries the PRDR parameter (after the
 * path: " PRDR" as a whole word, any case). */
static bool mail_prdr(const char *p, size_t n)
{
    const char *gt = memchr(p, '>', n);
    for (size_t i = gt ? (size_t)(gt - p) : n; i + 5 <= n; i++)
        if (p[i] == ' ' && strncasecmp(p + i + 1, "PRDR", 4) == 0 &&
            (i + 5 == n || p[i + 5] == ' ' || p[i + 5] == '\r'))
            return true;
    return false;
}

/* Sends bytes (or collects them inside a pipeline) and leaves a pending
 * entry named `name` (NULL: a raw send, whose reply count is unknown). */
static void emit(struct session *s, struct session_conn *sc, const char *p,
                 size_t n, const char *name, bool secret, int line)
{
    if (!sc->open) {
        judge_error(s, ERRCAT_INTERNAL, -1,
                    "line %d: connection '%s' is not open", line,
                    s->p.pc->conns[sc->index]);
        session_end(s);
        return;
    }
    char *sent = NULL;
    if (name && !s->p.lean) {
        size_t show = n > 512 ? 512 : n;
        sent = secret ? xstrdup("[redacted]") : bytes_escape_dup(p, show);
    } else if (!name) {
        sc->raw_sent = true;
    }
    if (name && strcmp(name, "mail") == 0)
        sc->prdr = mail_prdr(p, n);
    if (s->pipe_phase == 1) {
        buf_add(&s->pipebuf, p, n);
        if (name)
            pend_push(sc, name, sent, 0, line);
        if (name && strcmp(name, "eod") == 0) {
            prdr_replies(sc, 0, line);
            lmtp_replies(sc, 0, line);
        }
        log_client(s, sc, p, n, secret);
        return;
    }
    int64_t t = session_now(s);
    conn_write(sc->c, p, n);
    log_client(s, sc, p, n, secret);
    if (name && strcmp(name, "quit") == 0)
        sc->quit_sent = true;
    if (name && strcmp(name, "lhlo") == 0)
        sc->lmtp = true;
    if (name)
        pend_push(sc, name, sent, t, line);
    if (name && strcmp(name, "eod") == 0) {
        prdr_replies(sc, t, line);
        lmtp_replies(sc, t, line);
    } else {
        sc->raw_t = t;
    }
}

void session_step_name(const char *line, size_t len, bool tls, char *out,
                       size_t outlen)
{
    static const struct {
        const char *verb, *name;
    } NAMES[] = {
        {"EHLO", "ehlo"},  {"HELO", "helo"}, {"LHLO", "lhlo"},
        {"MAIL", "mail"},  {"RCPT", "rcpt"}, {"DATA", "data_cmd"},
        {"BDAT", "bdat"},  {"RSET", "rset"}, {"QUIT", "quit"},
        {"STARTTLS", "starttls"}, {"AUTH", "auth"},
    };
    char verb[16];
    size_t n = 0;
    while (n < len && n < sizeof verb - 1 && line[n] != ' ' && line[n] != '\r' &&
           line[n] != '\n') {
        char c = line[n];
        verb[n++] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
    }
    verb[n] = '\0';
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++) {
        if (strcmp(verb, NAMES[i].verb) == 0) {
            const char *sfx = tls && strcmp(verb, "EHLO") == 0 ? "_tls" : "";
            size_t a = strlen(NAMES[i].name), b = strlen(sfx);
            if (a + b < outlen) {
                memcpy(out, NAMES[i].name, a);
                memcpy(out + a, sfx, b + 1);
            }
            return;
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < outlen; i++) {
        char c = verb[i];
        if (c >= 'A' && c <= 'Z')
            out[k++] = (char)(c + 32);
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            out[k++] = c;
    }
    if (k == 0)
        snprintf(out, outlen, "cmd");
    else
        out[k] = '\0';
}

/* ---- connections ------------------------------------------------------- */

static void on_conn(struct conn *c, enum conn_event ev, void *arg);
static void start_handshake(struct session *s, struct session_conn *sc,
                            bool starttls);

/* Keeps a copy of a connection's TLS session for later handshakes to
 * resume; taken at the close, when a TLS 1.3 server's tickets have come.
 * A copy: freeing an SSL that sent no close_notify marks its own session
 * not resumable. */
static void tls_keep(struct session *s, struct session_conn *sc)
{
    SSL *ssl = s->p.tls_resume && sc->c ? conn_ssl(sc->c) : NULL;
    SSL_SESSION *sess = ssl ? SSL_get_session(ssl) : NULL;
    if (!sess || !SSL_SESSION_is_resumable(sess))
        return;
    SSL_SESSION *copy = SSL_SESSION_dup(sess);
    if (!copy)
        return;
    SSL_SESSION_free(*s->p.tls_resume);
    *s->p.tls_resume = copy;
}

static void close_conn(struct session *s, struct session_conn *sc)
{
    if (sc->c) {
        tls_keep(s, sc);
        conn_shutdown(sc->c);
        conn_free(sc->c);
        sc->c = NULL;
    }
    if (sc->open || sc->gated) {
        sc->open = false;
        if (sc->gated && s->p.ungate)
            s->p.ungate(s->p.gate_arg);
        sc->gated = false;
    }
    pend_clear(sc);
    sc->logged = 0;
}

void session_connect_granted(struct session *s)
{
    struct session_conn *sc = &s->conns[s->wait_conn];
    char err[256];
    sc->gated = true;
    struct conn_params cp = {
        .base = s->p.base,
        .addr = s->p.addr,
        .addrlen = s->p.addrlen,
        .bind = s->p.bind,
        .bindlen = s->p.bindlen,
        .exec = s->p.target->transport == TARGET_EXEC ? s->p.target->command : NULL,
        .cb = on_conn,
        .arg = sc,
    };
    sc->c = conn_new(&cp, err, sizeof err);
    if (!sc->c) {
        judge_error(s, ERRCAT_CONNECT, -1, "%s", err);
        session_end(s);
        schedule(s);
        return;
    }
    session_set_state(s, SESSION_CONNECTING);
    s->t_connect = session_now(s);
    arm(s, s->p.tmo->connect);
    session_event_escaped(s, session_now(s), '*',
                             s->p.pc->conns[sc->index], "connecting");
}

static void step_connect(struct session *s, const struct prog_step *st)
{
    struct session_conn *sc = sc_for(s, st);
    if (sc->c)
        close_conn(s, sc);
    sc->peer_closed = false;
    sc->raw_sent = sc->desync = sc->tls = sc->esc = sc->smtputf8 = false;
    sc->quit_sent = false;
    sc->lmtp = s->p.target->protocol == TARGET_LMTP;
    sc->rcpt_ok = 0;
    buf_reset(&sc->ehlo);
    buf_reset(&sc->ehlo_raw);
    sc->last_code = 0;
    s->implicit_tls = st->tls_mode == 1 ||
                      (st->tls_mode == -1 && s->p.target->tls == TARGET_TLS_IMPLICIT);
    s->wait_conn = sc->index;
    session_set_state(s, SESSION_GATED);
    if (s->p.gate)
        s->p.gate(s->p.gate_arg, s);
    else
        session_connect_granted(s);
}

/* The PROXY protocol header (proxy.h), first on the wire: the target's
 * unless the connect step names a version (or none). The claimed
 * addresses default to the connection's own. */
static void send_proxy(struct session *s, struct session_conn *sc,
                       const struct prog_step *st)
{
    const struct target *t = s->p.target;
    int v = st->proxy >= 0 ? st->proxy : (int)t->proxy;
    if (v == PROXY_NONE)
        return;
    struct proxy_addr src, dst;
    char err[128];
    if (proxy_parse_addr(t->proxy_source ? t->proxy_source : conn_local(sc->c),
                         &src, err, sizeof err) != 0)
        src.family = 0;
    if (proxy_parse_addr(t->proxy_dest ? t->proxy_dest : conn_remote(sc->c),
                         &dst, err, sizeof err) != 0)
        dst.family = 0;
    uint8_t hdr[PROXY_MAX_HEADER];
    size_t n = proxy_header((enum proxy_version)v, &src, &dst, hdr);
    conn_write(sc->c, hdr, n);
    log_client(s, sc, (const char *)hdr, n, false);
}

static void connected(struct session *s, struct session_conn *sc)
{
    disarm(s);
    sc->open = true;
    struct result_conn *rc = result_conn_add(s->out);
    sc->result_idx = (int)s->out->nconns - 1;
    rc->name = xstrdup(s->p.pc->conns[sc->index]);
    rc->local = xstrdup(conn_local(sc->c));
    rc->remote = xstrdup(conn_remote(sc->c));
    int64_t t = session_now(s);
    char note[320];
    snprintf(note, sizeof note, "connected %s -> %s", conn_local(sc->c),
             conn_remote(sc->c));
    session_event_escaped(s, t, '*', s->p.pc->conns[sc->index], note);
    struct result_step *rs = session_step_add(s);
    rs->name = xstrdup("connect");
    rs->conn = xstrdup(s->p.pc->conns[sc->index]);
    rs->line = frame(s)->prologue ? 0 : session_step(s)->line;
    rs->grade = VERDICT_PASS;
    rs->t_us = s->t_connect;
    rs->latency_us = t - s->t_connect;
    if (s->p.on_step)
        s->p.on_step(s->p.step_arg, "connect", s->t0 + s->t_connect, s->t0 + t, 0);
    send_proxy(s, sc, session_step(s));
    if (s->implicit_tls) {
        /* RFC 8314 3.3: the handshake starts at once; the greeting
         * comes over TLS. */
        start_handshake(s, sc, false);
        return;
    }
    /* The greeting answers the connect (RFC 5321 3.1). */
    pend_push(sc, "banner", NULL, t, rs->line);
    session_set_state(s, SESSION_READY);
    next(s);
}

/* Starts TLS on sc; the session waits in HANDSHAKE. starttls: after a
 * STARTTLS 220, when plaintext the server sent since is a finding. */
static void start_handshake(struct session *s, struct session_conn *sc,
                            bool starttls)
{
    char err[256];
    struct conn_tls_params tp = {s->p.tls,
                                 s->p.tls_resume ? *s->p.tls_resume : NULL};
    if (!s->p.tls || conn_start_tls(sc->c, &tp, err, sizeof err) != 0) {
        judge_error(s, ERRCAT_TLS, -1, "%s", s->p.tls ? err : "no TLS context");
        session_end(s);
        return;
    }
    size_t n;
    const char *pre = conn_pretls(sc->c, &n);
    if (starttls && n) {
        session_event(s, session_now(s), '<', s->p.pc->conns[sc->index],
                         pre, n);
        char *shown = bytes_escape_dup(pre, n > 80 ? 80 : n);
        judge_grade(s, VERDICT_FAIL, -1,
                    "RFC 3207 4.2: the server sent %zu plaintext octets after "
                    "its 220 and before the TLS handshake: '%s'",
                    n, shown);
        free(shown);
    } else if (n) {
        /* Implicit TLS (RFC 8314 3.3): a TLS server never speaks first,
         * so whatever came before our ClientHello is no handshake, and
         * OpenSSL, which never sees it, would wait for the timeout. */
        session_event(s, session_now(s), '<', s->p.pc->conns[sc->index],
                      pre, n);
        char *shown = bytes_escape_dup(pre, n > 80 ? 80 : n);
        judge_grade(s, VERDICT_FAIL, -1,
                    "RFC 3207 4.2 / RFC 8314 3.3: the server sent plaintext "
                    "instead of a TLS handshake: '%s'",
                    shown);
        free(shown);
        session_end(s);
        return;
    }
    sc->logged = 0;
    s->wait_conn = sc->index;
    s->t_tls = session_now(s);
    session_set_state(s, SESSION_HANDSHAKE);
    arm(s, s->p.tmo->tls);
}

/* The handshake ended: facts or an error; EHLO knowledge is forgotten
 * (RFC 3207 4.2). A `handshake` step may expect the failure: then the
 * case goes on without the connection. */
static void handshake_done(struct session *s, struct session_conn *sc, bool ok)
{
    disarm(s);
    const struct prog_step *st = frame(s)->prologue ? NULL : session_step(s);
    if (st && st->kind != PROG_STEP_HANDSHAKE)
        st = NULL;
    bool go_on = judge_tls(s, sc, ok, s->t_tls, st);
    if (!go_on || s->ended) {
        session_end(s);
        return;
    }
    if (!ok) {
        sc->desync = true; /* nothing more can be said on it */
        close_conn(s, sc);
        session_set_state(s, SESSION_READY);
        next(s);
        return;
    }
    sc->tls = true;
    buf_reset(&sc->ehlo);
    buf_reset(&sc->ehlo_raw);
    sc->esc = sc->smtputf8 = false;
    session_set_state(s, SESSION_READY);
    if (s->implicit_tls) {
        s->implicit_tls = false;
        pend_push(sc, "banner", NULL, session_now(s),
                  frame(s)->prologue ? 0 : session_step(s)->line);
    }
    next(s);
}

/* ---- waiting for replies ------------------------------------------------ */

/* Tries to judge the waiting expectation with what the input holds.
 * Returns 1 if it was judged, 0 if more input is needed. */
static int try_reply(struct session *s, struct session_conn *sc,
                     const struct prog_step *st)
{
    static __thread struct reply r;
    size_t len;
    const char *buf = conn_input(sc->c, &len);
    enum reply_status rs = reply_parse(buf, len, &r);
    if (rs == REPLY_NEED_MORE && !sc->peer_closed)
        return 0;
    disarm(s);
    const struct prog_expect *e = &st->expect;
    if (rs == REPLY_ERROR) {
        log_server(s, sc);
        judge_bad_reply(s, sc, st, &r);
        sc->desync = true;
        session_end(s);
        return 1;
    }
    enum prog_then then;
    if (rs == REPLY_DONE) {
        log_server(s, sc);
        then = judge_expect(s, sc, st, e, PROG_MATCH_REPLY, &r, buf);
        consume(s, sc, r.size);
    } else {
        log_server(s, sc);
        then = judge_expect(s, sc, st, e, PROG_MATCH_CLOSE, NULL, NULL);
    }
    if (s->ended)
        return 1;
    if (then == PROG_THEN_CLOSE) {
        s->waiting = NULL;
        if (sc->peer_closed) {
            session_end(s);
            return 1;
        }
        s->waiting = st;
        session_set_state(s, SESSION_WAIT_CLOSE);
        arm(s, s->p.tmo->quit + 3000000);
        s->ended = true; /* the case ends once the close came */
        return 1;
    }
    if (then == PROG_THEN_END) {
        session_end(s);
        return 1;
    }
    if (st->kind == PROG_STEP_STARTTLS && sc->last_code == 220) {
        start_handshake(s, sc, true);
        return 1;
    }
    session_set_state(s, SESSION_READY);
    next(s);
    return 1;
}

static void step_expect(struct session *s, const struct prog_step *st)
{
    if (s->pipe_phase == 1) {
        next(s);
        return;
    }
    struct session_conn *sc = sc_for(s, st);
    if (!sc->c) {
        judge_error(s, ERRCAT_INTERNAL, -1, "line %d: no connection to read from",
                    st->line);
        session_end(s);
        return;
    }
    if (try_reply(s, sc, st))
        return;
    s->waiting = st;
    s->wait_conn = sc->index;
    session_set_state(s, SESSION_WAIT_REPLY);
    arm(s, st->expect.within_us ? st->expect.within_us : timeout_for(s, sc));
}

static void step_expect_close(struct session *s, const struct prog_step *st)
{
    if (s->pipe_phase == 1) {
        next(s);
        return;
    }
    struct session_conn *sc = sc_for(s, st);
    if (!sc->c || sc->peer_closed) {
        if (sc->c)
            log_server(s, sc);
        struct result_step *rs = session_step_add(s);
        rs->name = xstrdup("close");
        rs->conn = xstrdup(s->p.pc->conns[sc->index]);
        rs->line = st->line;
        rs->key = st->key;
        rs->expect = xstrdup("close");
        rs->grade = VERDICT_PASS;
        rs->t_us = session_now(s);
        close_conn(s, sc);
        next(s);
        return;
    }
    s->waiting = st;
    s->wait_conn = sc->index;
    session_set_state(s, SESSION_WAIT_CLOSE);
    arm(s, st->dur_us ? st->dur_us : s->p.tmo->command);
}

static void step_expect_silence(struct session *s, const struct prog_step *st)
{
    if (s->pipe_phase == 1) {
        next(s);
        return;
    }
    struct session_conn *sc = sc_for(s, st);
    size_t len = 0;
    if (sc->c)
        conn_input(sc->c, &len);
    if (len > 0) {
        log_server(s, sc);
        judge_expect(s, sc, st, &st->expect, PROG_MATCH_ANY, NULL, NULL);
        if (!s->ended)
            next(s);
        return;
    }
    s->waiting = st;
    s->wait_conn = sc->index;
    session_set_state(s, SESSION_WAIT_SILENCE);
    arm(s, st->dur_us);
}

/* ---- expect arrival / expect dsn (deliver.h) ----------------------------- */

#define ARRIVAL_POLL_US 25000 /* how often the next hop is asked */

/* Asks the next hop; ends the wait when found or past the deadline. */
static void arrival_poll(struct session *s)
{
    const struct prog_step *st = s->waiting;
    enum deliver_seek_by by = st->kind == PROG_STEP_EXPECT_DSN ? DELIVER_SEEK_DSN
                              : st->by_sender ? DELIVER_SEEK_SENDER
                                              : DELIVER_SEEK_TOKEN;
    struct deliver_seen *f = deliver_seek(s->p.deliver, s->seek_token, by);
    if (!f && clock_mono_us() < s->seek_until) {
        arm(s, ARRIVAL_POLL_US);
        return;
    }
    session_set_state(s, SESSION_READY);
    if (f) {
        deliver_seen_free(s->arrival);
        s->arrival = f;
    }
    judge_arrival(s, st, f != NULL, s->seek_token);
    if (!s->ended)
        next(s);
}

static void step_expect_arrival(struct session *s, const struct prog_step *st)
{
    if (s->pipe_phase == 1) {
        next(s);
        return;
    }
    struct buf t;
    buf_init(&t, MSGGEN_TOKEN_MAX - 1);
    bool secret = false;
    if (st->tmpl.nsegs && eval(s, st, &st->tmpl, true, &t, &secret) != 0) {
        buf_free(&t);
        return;
    }
    snprintf(s->seek_token, sizeof s->seek_token, "%s",
             st->tmpl.nsegs ? buf_str(&t) : s->last_token);
    buf_free(&t);
    if (!s->seek_token[0]) {
        judge_error(s, ERRCAT_INTERNAL, -1,
                    "line %d: %s: no tracked message was sent before it "
                    "(send one with data msg or data tracked, or name its "
                    "token with: of EXPR)",
                    st->line, prog_step_kind_name(st->kind));
        session_end(s);
        return;
    }
    s->seek_until =
        clock_mono_us() + (st->dur_us ? st->dur_us : SESSION_ARRIVAL_WAIT_US);
    s->waiting = st;
    session_set_state(s, SESSION_WAIT_ARRIVAL);
    arrival_poll(s);
}

/* ---- steps --------------------------------------------------------------- */

static void step_open(struct session *s, const struct prog_step *st)
{
    if (st->conn >= 0)
        s->cur = st->conn;
    if (s->nframes == SESSION_MAX_FRAMES) {
        judge_error(s, ERRCAT_INTERNAL, -1, "prologue nesting too deep");
        session_end(s);
        return;
    }
    next(s); /* the OPEN is done once the prologue returns */
    struct session_frame *f = &s->frames[s->nframes++];
    f->prog = st->no_auth && s->p.prologue_noauth ? s->p.prologue_noauth
                                                  : s->p.prologue;
    f->pc = 0;
    f->prologue = true;
    f->loop_base = s->nloops;
}

static void step_use(struct session *s, const struct prog_step *st)
{
    s->cur = st->conn >= 0 ? st->conn : s->cur;
    next(s);
}

static void step_close(struct session *s, const struct prog_step *st)
{
    struct session_conn *sc = sc_for(s, st);
    if (sc->c) {
        log_server(s, sc);
        session_event_escaped(s, session_now(s), '*',
                                 s->p.pc->conns[sc->index], "client closes");
    }
    close_conn(s, sc);
    next(s);
}

static void step_reconnect(struct session *s, const struct prog_step *st)
{
    struct session_conn *sc = sc_for(s, st);
    close_conn(s, sc);
    step_open(s, st);
}

/* A buffer for one command line, kept by the thread between commands so
 * a busy loop does not allocate one a command; one that grew past
 * SCRATCH_KEEP is given back after use. */
#define SCRATCH_KEEP (64u * 1024)

static __thread struct buf SCRATCH, CHUNK;

static struct buf *scratch(void)
{
    if (SCRATCH.max == 0)
        buf_init(&SCRATCH, PROG_MAX_VALUE);
    buf_reset(&SCRATCH);
    return &SCRATCH;
}

void session_thread_free(void)
{
    buf_free(&SCRATCH);
    buf_free(&CHUNK);
}

static void scratch_done(struct buf *b)
{
    if (b->cap > SCRATCH_KEEP)
        buf_free(b);
}

static void step_send(struct session *s, const struct prog_step *st)
{
    if (s->pipe_phase == 2) {
        next(s);
        return;
    }
    struct session_conn *sc = sc_for(s, st);
    struct buf *b = scratch();
    bool secret = false;
    if (eval(s, st, &st->tmpl, true, b, &secret) == 0) {
        char name[24];
        session_step_name(buf_str(b), b->len, sc->tls, name, sizeof name);
        buf_add(b, "\r\n", 2);
        emit(s, sc, buf_str(b), b->len, name, secret, st->line);
        if (!s->ended)
            next(s);
    }
    scratch_done(b);
}

static void step_raw(struct session *s, const struct prog_step *st)
{
    if (s->pipe_phase == 2) {
        next(s);
        return;
    }
    struct session_conn *sc = sc_for(s, st);
    struct buf b;
    bool secret = false;
    buf_init(&b, PROG_MAX_VALUE);
    if (eval(s, st, &st->tmpl, false, &b, &secret) == 0) {
        emit(s, sc, buf_str(&b), b.len, NULL, secret, st->line);
        if (!s->ended)
            next(s);
    }
    buf_free(&b);
}

/* The content of a DATA or BDAT step into out (not yet stuffed). */
static int content(struct session *s, const struct prog_step *st,
                   struct buf *out)
{
    if (st->kind == PROG_STEP_DATA && st->gen == PROG_DATA_MESSAGE) {
        int64_t size = 0;
        char err[256];
        struct prog_env env = env_of(s);
        if (st->expr && prog_eval_int(st->expr, &env, &size, err, sizeof err) != 0) {
            judge_error(s, ERRCAT_INTERNAL, -1, "line %d: %s", st->line, err);
            session_end(s);
            return -1;
        }
        size_t ln;
        bool sec;
        struct msggen_params mp = {0};
        mp.from = env_lookup(s, "sender", &ln, &sec);
        mp.to = env_lookup(s, "rcpt", &ln, &sec);
        mp.size = (size_t)(size > 0 ? size : 0);
        mp.run_id = s->p.run_id;
        mp.case_id = s->p.pc->id;
        uint64_t fill;
        msggen_head(&mp, out, &fill, s->token);
        msggen_fill(out, (size_t)fill);
        return 0;
    }
    if (st->kind == PROG_STEP_BDAT && st->tmpl.nsegs == 0) {
        int64_t size = 0;
        char err[256];
        struct prog_env env = env_of(s);
        if (!st->expr || prog_eval_int(st->expr, &env, &size, err, sizeof err) != 0 ||
            size < 0 || (uint64_t)size > PROG_MAX_VALUE) {
            judge_error(s, ERRCAT_INTERNAL, -1, "line %d: bad BDAT size", st->line);
            session_end(s);
            return -1;
        }
        msggen_fill(out, (size_t)size);
        return 0;
    }
    bool secret;
    return eval(s, st, &st->tmpl, false, out, &secret);
}

static void body_stop(struct session *s)
{
    body_stream_free(s->body);
    s->body = NULL;
    free(s->body_sent);
    s->body_sent = NULL;
}

/* The transcript of a chunk: the first one logged (as any write), the
 * others counted. */
static void body_log(struct session *s, struct session_conn *sc,
                     const struct buf *bp)
{
    if (body_stream_octets(s->body) == bp->len) {
        log_client(s, sc, buf_str(bp), bp->len, false);
        if (!s->p.lean)
            s->body_sent =
                bytes_escape_dup(buf_str(bp), bp->len > 512 ? 512 : bp->len);
    } else {
        s->body_unlogged += bp->len;
    }
}

/* Writes the next chunk of the streamed content. After the terminator
 * the eod reply is pending, its clock started when the last chunk was
 * queued; before it, the session waits for the output to drain. */
static void body_pump(struct session *s, struct session_conn *sc)
{
    const struct prog_step *st = s->waiting;
    char err[256];
    struct buf *bp = &CHUNK; /* kept by the thread */
    if (bp->max == 0)
        buf_init(bp, 2 * BODY_CHUNK);
    int rc = 0;
    while (rc == 0) { /* until the end, or the kernel takes no more */
        buf_reset(bp);
        rc = body_stream_read(s->body, bp, BODY_CHUNK, err, sizeof err);
        if (rc < 0) {
            body_stop(s);
            sc->desync = true; /* part of the content went out */
            judge_error(s, ERRCAT_INTERNAL, -1, "line %d: %s", st->line, err);
            session_end(s);
            return;
        }
        conn_write(sc->c, buf_str(bp), bp->len);
        body_log(s, sc, bp);
        if (rc == 0 && conn_output_len(sc->c) > 0) {
            session_set_state(s, SESSION_SENDING);
            arm(s, s->p.tmo->command);
            return;
        }
    }
    if (s->body_unlogged && !s->p.lean) {
        char note[96];
        snprintf(note, sizeof note, "... %llu more octets of this message",
                 (unsigned long long)s->body_unlogged);
        session_event_escaped(s, session_now(s), '*',
                              s->p.pc->conns[sc->index], note);
    }
    int64_t t = session_now(s);
    pend_push(sc, "eod", s->body_sent, t, st->line);
    prdr_replies(sc, t, st->line); /* as emit() does after an "eod" */
    lmtp_replies(sc, t, st->line);
    s->body_sent = NULL;
    body_stop(s);
    disarm(s);
    session_set_state(s, SESSION_READY);
    next(s);
}

/* The output drained (SENDING): more content, or the peer went away and
 * the eod expectation that follows judges the close. */
static void body_event(struct session *s, struct session_conn *sc,
                       enum conn_event ev)
{
    if (ev == CONN_EV_DRAINED) {
        body_pump(s, sc);
    } else if (ev == CONN_EV_EOF || ev == CONN_EV_ERROR) {
        disarm(s);
        pend_push(sc, "eod", s->body_sent, session_now(s), s->waiting->line);
        s->body_sent = NULL;
        body_stop(s);
        session_set_state(s, SESSION_READY);
        next(s);
    }
}

/* `data msg`: streams the content (the owner's body, or the generated
 * message), never holding it whole. */
static void step_data_stream(struct session *s, const struct prog_step *st,
                             struct session_conn *sc)
{
    int64_t size = 0;
    char err[256];
    struct prog_env env = env_of(s);
    if (st->expr && prog_eval_int(st->expr, &env, &size, err, sizeof err) != 0) {
        judge_error(s, ERRCAT_INTERNAL, -1, "line %d: %s", st->line, err);
        session_end(s);
        return;
    }
    if (!sc->open) {
        judge_error(s, ERRCAT_INTERNAL, -1, "line %d: connection '%s' is not open",
                    st->line, s->p.pc->conns[sc->index]);
        session_end(s);
        return;
    }
    size_t ln;
    bool sec;
    struct msggen_params mp = {0};
    mp.from = env_lookup(s, "sender", &ln, &sec);
    mp.to = env_lookup(s, "rcpt", &ln, &sec);
    mp.size = (size_t)(size > 0 ? size : 0);
    mp.run_id = s->p.run_id;
    mp.case_id = s->p.pc->id;
    s->body = s->p.body ? s->p.body(s->p.body_arg, &mp) : NULL;
    if (!s->body)
        s->body = body_stream_gen(&mp);
    snprintf(s->token, sizeof s->token, "%s", body_stream_token(s->body));
    snprintf(s->last_token, sizeof s->last_token, "%s", s->token);
    s->body_unlogged = 0;
    s->waiting = st;
    s->wait_conn = sc->index;
    body_pump(s, sc);
}

/* data tracked: the content c gets the delivery token and digest
 * fields first (docs/delivery.md), as a generated message has them;
 * the token is this message's from now on. */
static void track(struct session *s, struct buf *c)
{
    char token[MSGGEN_TOKEN_MAX];
    msggen_token(token, sizeof token, s->p.run_id, s->p.pc->id);
    struct buf m;
    buf_init(&m, PROG_MAX_VALUE + 2 * ARRIVAL_TOKEN_MAX);
    buf_addf(&m, "%s: %s\r\n", ARRIVAL_TOKEN_HEADER, token);
    size_t id_len = m.len;
    buf_add(&m, buf_str(c), c->len);
    const char *p = buf_str(&m);
    size_t body = arrival_body_offset(p, m.len);
    char hlist[ARRIVAL_HLIST_MAX];
    arrival_field_names(p, body, hlist, sizeof hlist); /* all of them */
    struct arrival_digest d;
    arrival_hash_headers(p, body, hlist, &d);
    arrival_hash_body(p + body, m.len - body, &d);
    buf_reset(c);
    buf_add(c, p, id_len);
    arrival_digest_format(&d, c);
    buf_add(c, p + id_len, m.len - id_len);
    buf_free(&m);
    snprintf(s->token, sizeof s->token, "%s", token);
    snprintf(s->last_token, sizeof s->last_token, "%s", token);
}

static void step_data(struct session *s, const struct prog_step *st)
{
    if (s->pipe_phase == 2) {
        next(s);
        return;
    }
    struct session_conn *sc = sc_for(s, st);
    if (st->gen == PROG_DATA_MESSAGE && s->pipe_phase == 0) {
        step_data_stream(s, st, sc);
        return;
    }
    struct buf c, wire;
    buf_init(&c, PROG_MAX_VALUE);
    buf_init(&wire, PROG_MAX_VALUE * 2);
    if (content(s, st, &c) == 0) {
        if (st->tracked)
            track(s, &c);
        if (st->dot_stuff) {
            prog_dot_stuff(buf_str(&c), c.len, &wire);
        } else {
            buf_add(&wire, buf_str(&c), c.len);
            if (c.len < 2 || memcmp(buf_str(&c) + c.len - 2, "\r\n", 2) != 0)
                buf_add(&wire, "\r\n", 2);
            buf_add(&wire, ".\r\n", 3);
        }
        emit(s, sc, buf_str(&wire), wire.len, "eod", false, st->line);
        if (!s->ended)
            next(s);
    }
    buf_free(&c);
    buf_free(&wire);
}

static void step_bdat(struct session *s, const struct prog_step *st)
{
    if (s->pipe_phase == 2) {
        next(s);
        return;
    }
    struct session_conn *sc = sc_for(s, st);
    struct buf c, wire;
    buf_init(&c, PROG_MAX_VALUE);
    buf_init(&wire, PROG_MAX_VALUE + 64);
    if (content(s, st, &c) == 0) {
        buf_addf(&wire, "BDAT %zu%s\r\n", c.len, st->last ? " LAST" : "");
        buf_add(&wire, buf_str(&c), c.len);
        emit(s, sc, buf_str(&wire), wire.len, "bdat", false, st->line);
        if (!s->ended)
            next(s);
    }
    buf_free(&c);
    buf_free(&wire);
}

static void step_sleep(struct session *s, const struct prog_step *st)
{
    if (s->pipe_phase == 1) {
        next(s);
        return;
    }
    s->waiting = st;
    session_set_state(s, SESSION_SLEEPING);
    arm(s, st->dur_us);
}

static void step_capture(struct session *s, const struct prog_step *st)
{
    if (s->pipe_phase == 1) {
        next(s);
        return;
    }
    struct session_conn *sc = sc_for(s, st);
    char num[16];
    const char *v = "";
    size_t n = 0;
    if (st->from == PROG_CAPTURE_CODE) {
        n = (size_t)snprintf(num, sizeof num, "%d", sc->last_code);
        v = num;
    } else if (st->from == PROG_CAPTURE_EHLO) {
        const char *l = buf_str(&sc->ehlo);
        size_t kl = strlen(st->kw);
        while (*l) {
            size_t ln = strcspn(l, "\n");
            if (ln >= kl && strncasecmp(l, st->kw, kl) == 0 &&
                (ln == kl || l[kl] == ' ')) {
                v = ln > kl ? l + kl + 1 : "";
                n = ln > kl ? ln - kl - 1 : 0;
                break;
            }
            l += ln + (l[ln] == '\n');
        }
    } else {
        regmatch_t m[2];
        const char *text = buf_str(&sc->last);
        if (st->re && regexec(st->re, text, 2, m, 0) == 0) {
            int g = m[1].rm_so >= 0 ? 1 : 0;
            v = text + m[g].rm_so;
            n = (size_t)(m[g].rm_eo - m[g].rm_so);
        }
    }
    var_set(s, st->name, v, n);
    struct result_kv *kv = result_capture_add(s->out);
    kv->name = xstrdup(st->name);
    kv->value = bytes_escape_dup(v, n);
    next(s);
}

static void step_set(struct session *s, const struct prog_step *st)
{
    struct prog_tmpl t = {0};
    struct prog_seg seg = {.expr = st->expr};
    t.segs = &seg;
    t.nsegs = 1;
    struct buf b;
    bool secret = false;
    buf_init(&b, PROG_MAX_VALUE);
    if (eval(s, st, &t, false, &b, &secret) == 0) {
        var_set(s, st->name, buf_str(&b), b.len);
        next(s);
    }
    buf_free(&b);
}

static void step_skip(struct session *s, const struct prog_step *st)
{
    struct buf b;
    bool secret = false;
    buf_init(&b, 1024);
    if (eval(s, st, &st->tmpl, false, &b, &secret) == 0) {
        judge_skip(s, "%s", buf_str(&b));
        session_end(s);
    }
    buf_free(&b);
}

static void step_ehlo_check(struct session *s, const struct prog_step *st)
{
    if (s->pipe_phase == 1) {
        next(s);
        return;
    }
    judge_ehlo_check(s, sc_for(s, st), st);
    if (!s->ended)
        next(s);
}

static void step_pipe_begin(struct session *s, const struct prog_step *st)
{
    s->pipe_phase = 1;
    s->pipe_begin = frame(s)->pc;
    buf_reset(&s->pipebuf);
    next(s);
}

static void step_pipe_end(struct session *s, const struct prog_step *st)
{
    if (s->pipe_phase == 2) {
        s->pipe_phase = 0;
        next(s);
        return;
    }
    /* One write of everything collected (RFC 2920 3.1); the pending
     * entries added since PIPE_BEGIN get the time of that write. */
    struct session_conn *sc = &s->conns[s->cur];
    int64_t t = session_now(s);
    if (s->pipebuf.len && sc->c) {
        conn_write(sc->c, buf_str(&s->pipebuf), s->pipebuf.len);
        for (size_t i = sc->headpend; i < sc->npend; i++)
            if (sc->pend[i].t_sent == 0)
                sc->pend[i].t_sent = t;
    }
    s->pipe_phase = 2;
    frame(s)->pc = s->pipe_begin + 1;
}

static void step_repeat_begin(struct session *s, const struct prog_step *st)
{
    int64_t n = 0;
    char err[256];
    struct prog_env env = env_of(s);
    if (prog_eval_int(st->expr, &env, &n, err, sizeof err) != 0) {
        judge_error(s, ERRCAT_INTERNAL, -1, "line %d: repeat: %s", st->line, err);
        session_end(s);
        return;
    }
    if (n <= 0) {
        frame(s)->pc = (size_t)st->jump + 1;
        return;
    }
    if (s->nloops == SESSION_MAX_LOOPS) {
        judge_error(s, ERRCAT_INTERNAL, -1, "line %d: repeats nested too deep",
                    st->line);
        session_end(s);
        return;
    }
    struct session_loop *l = &s->loops[s->nloops++];
    l->begin = frame(s)->pc;
    l->count = n;
    l->i = 0;
    l->var = st->name;
    if (l->var)
        var_set_int(s, l->var, 0);
    next(s);
}

static void step_repeat_end(struct session *s, const struct prog_step *st)
{
    struct session_loop *l = &s->loops[s->nloops - 1];
    if (++l->i < l->count) {
        if (l->var)
            var_set_int(s, l->var, l->i);
        frame(s)->pc = l->begin + 1;
        return;
    }
    s->nloops--;
    next(s);
}

static void step_if(struct session *s, const struct prog_step *st)
{
    int64_t v = 0;
    char err[256];
    struct prog_env env = env_of(s);
    if (prog_eval_int(st->expr, &env, &v, err, sizeof err) != 0) {
        judge_error(s, ERRCAT_INTERNAL, -1, "line %d: if: %s", st->line, err);
        session_end(s);
        return;
    }
    if (v)
        next(s);
    else
        frame(s)->pc = (size_t)st->jump + 1;
}

static void step_else(struct session *s, const struct prog_step *st)
{
    frame(s)->pc = (size_t)st->jump + 1; /* the true branch ran */
}

/* assert EXPR: graded grade_false (FAIL: by severity) when it is 0. */
static void step_assert(struct session *s, const struct prog_step *st)
{
    if (s->pipe_phase == 1) {
        next(s);
        return;
    }
    int64_t v = 0;
    char err[256];
    struct prog_env env = env_of(s);
    if (prog_eval_int(st->expr, &env, &v, err, sizeof err) != 0) {
        judge_error(s, ERRCAT_INTERNAL, -1, "line %d: assert: %s", st->line, err);
        session_end(s);
        return;
    }
    judge_assert(s, st, v != 0);
    if (!s->ended)
        next(s);
}

static void step_plain_next(struct session *s, const struct prog_step *st)
{
    next(s);
}

/* ---- AUTH (RFC 4954) ------------------------------------------------------ */

static const char *fixture(struct session *s, const char *name)
{
    const struct target_fixture *f = target_fixture(s->p.target, name);
    return f ? f->value : NULL;
}

/* Writes a SASL line: redacted whole in the transcript (base64 hides a
 * secret at any alignment), no pending entry (it continues the AUTH
 * command, whose reply is still pending). */
static void auth_line(struct session *s, struct session_conn *sc,
                      const struct sasl_response *r)
{
    struct buf b;
    buf_init(&b, SASL_MAX_LINE + 4);
    buf_add(&b, buf_str(&r->line), r->line.len);
    buf_add(&b, "\r\n", 2);
    conn_write(sc->c, buf_str(&b), b.len);
    log_client(s, sc, buf_str(&b), b.len, r->secret && !r->cancel);
    buf_free(&b);
}

static void auth_free(struct session *s)
{
    if (s->auth_thread_live) {
        pthread_join(s->auth_thread, NULL);
        s->auth_thread_live = false;
    }
    sasl_client_free(s->sasl);
    s->sasl = NULL;
}

static void *auth_work_main(void *arg)
{
    struct session *s = arg;
    sasl_client_work(s->sasl);
    event_active(s->auth_ev, EV_TIMEOUT, 1);
    return NULL;
}

static void auth_send_status(struct session *s, struct session_conn *sc,
                             enum sasl_step st, struct sasl_response *resp);

/* The SCRAM key derivation finished on its thread. */
static void on_auth_work(evutil_socket_t fd, short what, void *arg)
{
    struct session *s = arg;
    pthread_join(s->auth_thread, NULL);
    s->auth_thread_live = false;
    if (s->state != SESSION_AUTH_WORK)
        return;
    struct sasl_response resp;
    sasl_response_init(&resp);
    struct session_conn *sc = &s->conns[s->wait_conn];
    enum sasl_step st = sasl_client_resume(s->sasl, &resp);
    session_set_state(s, SESSION_AUTH);
    auth_send_status(s, sc, st, &resp);
    sasl_response_free(&resp);
    run(s);
}

/* Acts on what the SASL client produced for one challenge. */
static void auth_send_status(struct session *s, struct session_conn *sc,
                             enum sasl_step st, struct sasl_response *resp)
{
    if (st == SASL_STEP_WORK) {
        session_set_state(s, SESSION_AUTH_WORK);
        if (pthread_create(&s->auth_thread, NULL, auth_work_main, s) != 0) {
            judge_error(s, ERRCAT_INTERNAL, -1, "cannot start the SASL worker");
            session_end(s);
            return;
        }
        s->auth_thread_live = true;
        return;
    }
    if (st == SASL_STEP_FAIL) {
        enum sasl_error e = sasl_client_error(s->sasl);
        if (sasl_error_blame(e) == SASL_BLAME_PEER)
            judge_grade(s, VERDICT_FAIL, -1, "AUTH %s: %s",
                        prog_step_kind_name(PROG_STEP_AUTH),
                        sasl_client_error_text(s->sasl));
        else if (sasl_error_blame(e) == SASL_BLAME_LOCAL)
            judge_error(s, ERRCAT_INTERNAL, -1, "AUTH: %s",
                        sasl_client_error_text(s->sasl));
        sasl_response_free(resp);
        sasl_response_init(resp);
        sasl_client_cancel(s->sasl, resp);
    }
    auth_line(s, sc, resp);
    arm(s, s->p.tmo->command);
}

/* A reply came during AUTH: a 334 is a challenge for the mechanism;
 * anything else ends the exchange and is judged. Returns 1 if handled. */
static int try_auth(struct session *s, struct session_conn *sc,
                    const struct prog_step *st)
{
    static __thread struct reply r;
    size_t len;
    const char *buf = conn_input(sc->c, &len);
    enum reply_status rs = reply_parse(buf, len, &r);
    if (rs == REPLY_NEED_MORE && !sc->peer_closed)
        return 0;
    if (rs != REPLY_DONE || r.code != 334) {
        bool complete = s->sasl && sasl_client_complete(s->sasl);
        unsigned warns = s->sasl ? sasl_client_warnings(s->sasl) : 0;
        bool scram = st->name && strncasecmp(st->name, "SCRAM-", 6) == 0;
        bool peer_failed =
            s->sasl && sasl_error_blame(sasl_client_error(s->sasl)) ==
                           SASL_BLAME_PEER;
        session_set_state(s, SESSION_WAIT_REPLY);
        int judged = try_reply(s, sc, st);
        if (judged && peer_failed) /* the finding belongs to this step */
            judge_grade(s, VERDICT_FAIL, (int)s->out->nsteps - 1, "AUTH %s: %s",
                        prog_step_kind_name(PROG_STEP_AUTH),
                        sasl_client_error_text(s->sasl));
        if (judged && sc->last_code == 235 && !s->ended && scram && !complete)
            judge_grade(s, VERDICT_WARN, (int)s->out->nsteps - 1,
                        "AUTH-04: the server accepted SCRAM without sending its "
                        "signature, so it could not be verified");
        for (unsigned w = 1; judged && w && w <= warns; w <<= 1)
            if (warns & w)
                judge_grade(s, VERDICT_WARN, (int)s->out->nsteps - 1, "AUTH: %s",
                            sasl_warn_text((enum sasl_warn)w));
        auth_free(s);
        return judged;
    }
    disarm(s);
    log_server(s, sc);
    const char *text = buf + r.line[0].off;
    size_t tlen = r.line[0].len;
    struct sasl_response resp;
    sasl_response_init(&resp);
    enum sasl_step ss = sasl_client_step(s->sasl, text, tlen, &resp);
    consume(s, sc, r.size);
    auth_send_status(s, sc, ss, &resp);
    sasl_response_free(&resp);
    return 1;
}

/* AUTH MECH with the target's credentials (fixtures user, pass, token,
 * authzid); the final reply is judged by the step's alternatives
 * (default 235). An initial response that would make the line longer
 * than 512 octets goes through the 334 exchange instead (RFC 4954 4). */
static void step_auth(struct session *s, const struct prog_step *st)
{
    struct session_conn *sc = sc_for(s, st);
    char err[256];
    struct sasl_client_params sp = {0};
    sp.mech = st->name;
    sp.creds.user = fixture(s, "user");
    sp.creds.pass = fixture(s, "pass");
    sp.creds.token = fixture(s, "token");
    sp.creds.authzid = fixture(s, "authzid");
    sp.host = s->p.target->host;
    struct sasl_response resp;
    sasl_response_init(&resp);
    enum sasl_step ss = SASL_STEP_FAIL;
    for (int ir = 1; ir >= 0; ir--) {
        sasl_client_free(s->sasl);
        s->sasl = sasl_client_new(&sp, err, sizeof err);
        if (!s->sasl)
            break;
        buf_reset(&resp.line);
        ss = sasl_client_start(s->sasl, ir, &resp);
        if (ss != SASL_STEP_SEND || resp.line.len + strlen(st->name) + 7 <= 510)
            break;
    }
    if (!s->sasl || ss == SASL_STEP_FAIL) {
        judge_error(s, ERRCAT_INTERNAL, -1, "line %d: AUTH %s: %s", st->line,
                    st->name, s->sasl ? sasl_client_error_text(s->sasl) : err);
        sasl_response_free(&resp);
        auth_free(s);
        session_end(s);
        return;
    }
    struct buf b;
    buf_init(&b, SASL_MAX_LINE + 64);
    buf_addf(&b, "AUTH %s", st->name);
    if (ss == SASL_STEP_SEND)
        buf_addf(&b, " %s", buf_str(&resp.line));
    buf_add(&b, "\r\n", 2);
    emit(s, sc, buf_str(&b), b.len, "auth", ss == SASL_STEP_SEND, st->line);
    buf_free(&b);
    sasl_response_free(&resp);
    if (s->ended)
        return;
    s->waiting = st;
    s->wait_conn = sc->index;
    session_set_state(s, SESSION_AUTH);
    arm(s, s->p.tmo->command);
    try_auth(s, sc, st);
}

/* STARTTLS, its reply judged by the step's alternatives (default 220),
 * then the handshake when the reply was 220 (RFC 3207 4). */
static void step_starttls(struct session *s, const struct prog_step *st)
{
    struct session_conn *sc = sc_for(s, st);
    emit(s, sc, "STARTTLS\r\n", 10, "starttls", false, st->line);
    if (!s->ended)
        step_expect(s, st);
}

static void step_handshake(struct session *s, const struct prog_step *st)
{
    struct session_conn *sc = sc_for(s, st);
    if (!sc->c || !sc->open) {
        judge_error(s, ERRCAT_INTERNAL, -1, "line %d: no connection for TLS",
                    st->line);
        session_end(s);
        return;
    }
    start_handshake(s, sc, true);
}

typedef void step_fn(struct session *s, const struct prog_step *st);

static step_fn *const STEP_TABLE[PROG_STEP_COUNT] = {
    [PROG_STEP_OPEN] = step_open,
    [PROG_STEP_CONNECT] = step_connect,
    [PROG_STEP_USE] = step_use,
    [PROG_STEP_CLOSE] = step_close,
    [PROG_STEP_RECONNECT] = step_reconnect,
    [PROG_STEP_SEND] = step_send,
    [PROG_STEP_RAW] = step_raw,
    [PROG_STEP_DATA] = step_data,
    [PROG_STEP_BDAT] = step_bdat,
    [PROG_STEP_EXPECT] = step_expect,
    [PROG_STEP_EXPECT_CLOSE] = step_expect_close,
    [PROG_STEP_EXPECT_SILENCE] = step_expect_silence,
    [PROG_STEP_EXPECT_ARRIVAL] = step_expect_arrival,
    [PROG_STEP_EXPECT_DSN] = step_expect_arrival,
    [PROG_STEP_SLEEP] = step_sleep,
    [PROG_STEP_CAPTURE] = step_capture,
    [PROG_STEP_SET] = step_set,
    [PROG_STEP_SKIP] = step_skip,
    [PROG_STEP_EHLO_CHECK] = step_ehlo_check,
    [PROG_STEP_PIPE_BEGIN] = step_pipe_begin,
    [PROG_STEP_PIPE_END] = step_pipe_end,
    [PROG_STEP_REPEAT_BEGIN] = step_repeat_begin,
    [PROG_STEP_REPEAT_END] = step_repeat_end,
    [PROG_STEP_IF_BEGIN] = step_if,
    [PROG_STEP_ELSE] = step_else,
    [PROG_STEP_IF_END] = step_plain_next,
    [PROG_STEP_STARTTLS] = step_starttls,
    [PROG_STEP_HANDSHAKE] = step_handshake,
    [PROG_STEP_AUTH] = step_auth,
    [PROG_STEP_ASSERT] = step_assert,
};

/* ---- the machine ---------------------------------------------------------- */

static void run(struct session *s)
{
    while (s->state == SESSION_READY && !s->ended) {
        struct session_frame *f = frame(s);
        if (f->pc >= f->prog->nsteps) {
            if (s->nframes == 1) {
                session_end(s);
                break;
            }
            s->nframes--;
            continue;
        }
        const struct prog_step *st = &f->prog->steps[f->pc];
        STEP_TABLE[st->kind](s, st);
    }
    if (s->ended && s->state == SESSION_READY)
        finish(s);
}

struct result_step *session_step_add(struct session *s)
{
    struct result_case *out = s->out;
    if (s->p.lean && out->nsteps > 0) {
        size_t last = out->nsteps - 1;
        struct result_step *rs = &out->steps[last];
        if (rs->grade == VERDICT_PASS && !rs->key && (int)last != s->decisive) {
            result_step_clear(rs);
            return rs;
        }
    }
    return result_step_add(out);
}

void session_end(struct session *s)
{
    s->ended = true;
    if (s->state != SESSION_FINISHING && s->state != SESSION_DONE &&
        s->state != SESSION_WAIT_CLOSE)
        session_set_state(s, SESSION_READY);
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
    struct session *s = arg;
    if (s->state == SESSION_DONE) {
        if (!s->finished_cb) {
            s->finished_cb = true;
            s->p.done(s, s->p.done_arg);
        }
        return;
    }
    run(s);
}

static void schedule(struct session *s)
{
    struct timeval now = {0, 0};
    evtimer_add(s->kick, &now);
}

/* ---- finishing ------------------------------------------------------------ */

static bool all_closed(struct session *s)
{
    for (size_t i = 0; i < s->p.pc->nconns; i++)
        if (s->conns[i].c)
            return false;
    return true;
}

static void done(struct session *s)
{
    disarm(s);
    body_stop(s);
    evtimer_del(s->case_timer);
    for (size_t i = 0; i < s->p.pc->nconns; i++)
        close_conn(s, &s->conns[i]);
    judge_finish(s);
    session_set_state(s, SESSION_DONE);
    schedule(s);
}

/* Sends the closing QUIT on every connection still in step with the
 * script, so replies nobody asked for show up (REPLY-01) and servers are
 * left politely. */
static void finish(struct session *s)
{
    if (s->aborted) {
        done(s);
        return;
    }
    bool any = false;
    for (size_t i = 0; i < s->p.pc->nconns; i++) {
        struct session_conn *sc = &s->conns[i];
        if (!sc->c)
            continue;
        if (!sc->open || sc->peer_closed || sc->desync || sc->quit_sent ||
            sc->last_code == 354) {
            log_server(s, sc);
            close_conn(s, sc);
            continue;
        }
        const char *q = "QUIT\r\n";
        conn_write(sc->c, q, 6);
        log_client(s, sc, q, 6, false);
        pend_push(sc, "final_quit", NULL, session_now(s), 0);
        any = true;
    }
    if (!any) {
        done(s);
        return;
    }
    session_set_state(s, SESSION_FINISHING);
    arm(s, s->p.tmo->quit);
}

/* While finishing: replies to commands still pending are logged; a reply
 * beyond them and before the QUIT's is one no command asked for. */
static void finishing_input(struct session *s, struct session_conn *sc)
{
    static __thread struct reply r;
    for (;;) {
        size_t len;
        const char *buf = conn_input(sc->c, &len);
        if (reply_parse(buf, len, &r) != REPLY_DONE)
            break;
        struct session_pending *p = session_pend_head(sc);
        bool quit = p && strcmp(p->name, "final_quit") == 0;
        int64_t t_quit = p ? p->t_sent : 0;
        if (quit && sc->headpend + 1 == sc->npend && r.code != 221 &&
            !sc->raw_sent && s->verdict != VERDICT_FAIL && !s->errored) {
            log_server(s, sc);
            judge_grade(s, VERDICT_FAIL, -1,
                        "REPLY-01: a reply no command asked for: %d (RFC 5321 "
                        "4.2: every command gets exactly one reply)",
                        r.code);
            consume(s, sc, r.size);
            continue;
        }
        consume(s, sc, r.size);
        session_pend_pop(sc);
        if (quit && s->p.on_step) /* load runs measure the closing QUIT */
            s->p.on_step(s->p.step_arg, "quit", s->t0 + t_quit,
                         clock_mono_us(), r.code);
        if (quit)
            break;
    }
    log_server(s, sc);
    if (!session_pend_head(sc) || sc->peer_closed)
        close_conn(s, sc);
    if (all_closed(s))
        done(s);
}

/* ---- events ----------------------------------------------------------------- */

static void on_conn(struct conn *c, enum conn_event ev, void *arg)
{
    struct session_conn *sc = arg;
    struct session *s = sc->s;
    if (sc->c != c)
        return; /* an event of a connection already let go */
    if (ev == CONN_EV_EOF || ev == CONN_EV_ERROR) {
        sc->peer_closed = true;
        if (ev == CONN_EV_ERROR && s->state != SESSION_CONNECTING)
            session_note(s, "connection error: %s", conn_error(c));
    }
    switch (s->state) {
    case SESSION_CONNECTING:
        if (sc->index != s->wait_conn)
            break;
        if (ev == CONN_EV_CONNECTED) {
            connected(s, sc);
        } else if (ev == CONN_EV_ERROR || ev == CONN_EV_EOF) {
            disarm(s);
            judge_error(s, ERRCAT_CONNECT, -1, "cannot connect to %s: %s",
                        s->out->target ? s->out->target : "target",
                        conn_error(c));
            close_conn(s, sc);
            session_end(s);
        }
        break;
    case SESSION_HANDSHAKE:
        if (sc->index != s->wait_conn)
            break;
        if (ev == CONN_EV_TLS_DONE)
            handshake_done(s, sc, true);
        else if (ev == CONN_EV_TLS_FAILED || ev == CONN_EV_ERROR || ev == CONN_EV_EOF)
            handshake_done(s, sc, false);
        break;
    case SESSION_WAIT_REPLY:
        if (sc->index == s->wait_conn && ev != CONN_EV_DRAINED)
            try_reply(s, sc, s->waiting);
        break;
    case SESSION_AUTH:
        if (sc->index == s->wait_conn && ev != CONN_EV_DRAINED)
            try_auth(s, sc, s->waiting);
        break;
    case SESSION_WAIT_CLOSE:
        if (sc->index != s->wait_conn)
            break;
        log_server(s, sc);
        if (sc->peer_closed) {
            disarm(s);
            const struct prog_step *st = s->waiting;
            close_conn(s, sc);
            if (s->ended) {
                session_set_state(s, SESSION_READY);
                break;
            }
            struct result_step *rs = session_step_add(s);
            rs->name = xstrdup("close");
            rs->conn = xstrdup(s->p.pc->conns[sc->index]);
            rs->line = st->line;
            rs->key = st->key;
            rs->expect = xstrdup("close");
            rs->grade = VERDICT_PASS;
            rs->t_us = session_now(s);
            session_set_state(s, SESSION_READY);
            next(s);
        }
        break;
    case SESSION_WAIT_SILENCE:
        if (sc->index == s->wait_conn && ev == CONN_EV_DATA) {
            disarm(s);
            log_server(s, sc);
            judge_expect(s, sc, s->waiting, &s->waiting->expect, PROG_MATCH_ANY,
                         NULL, NULL);
            if (!s->ended) {
                session_set_state(s, SESSION_READY);
                next(s);
            }
        }
        break;
    case SESSION_SENDING:
        if (sc->index == s->wait_conn)
            body_event(s, sc, ev);
        break;
    case SESSION_FINISHING:
        if (ev != CONN_EV_DRAINED)
            finishing_input(s, sc);
        return;
    default:
        if (ev == CONN_EV_DATA || ev == CONN_EV_EOF)
            log_server(s, sc);
        break;
    }
    run(s);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct session *s = arg;
    const struct prog_step *st = s->waiting;
    struct session_conn *sc = &s->conns[s->wait_conn];
    switch (s->state) {
    case SESSION_CONNECTING:
        judge_error(s, ERRCAT_CONNECT, -1, "connect timed out after %llds",
                    (long long)(s->p.tmo->connect / 1000000));
        close_conn(s, sc);
        session_end(s);
        break;
    case SESSION_HANDSHAKE:
        judge_error(s, ERRCAT_TLS, -1, "TLS handshake timed out after %llds",
                    (long long)(s->p.tmo->tls / 1000000));
        sc->desync = true;
        session_end(s);
        break;
    case SESSION_AUTH:
    case SESSION_WAIT_REPLY:
        if (sc->c)
            log_server(s, sc);
        judge_expect(s, sc, st, &st->expect, PROG_MATCH_TIMEOUT, NULL, NULL);
        if (s->sasl)
            auth_free(s);
        sc->desync = true;
        if (!s->ended) {
            session_set_state(s, SESSION_READY);
            next(s);
        }
        break;
    case SESSION_WAIT_CLOSE:
        /* expect close, or an alternative's "-> close": the server kept
         * the connection open. */
        if (sc->c)
            log_server(s, sc);
        judge_no_close(s, sc, st);
        sc->desync = true;
        close_conn(s, sc);
        if (s->ended) {
            session_set_state(s, SESSION_READY);
            break;
        }
        if (!s->ended) {
            session_set_state(s, SESSION_READY);
            next(s);
        }
        break;
    case SESSION_WAIT_SILENCE: {
        struct result_step *rs = session_step_add(s);
        rs->name = xstrdup("silence");
        rs->conn = xstrdup(s->p.pc->conns[sc->index]);
        rs->line = st->line;
        rs->key = st->key;
        rs->expect = xstrdup("silence");
        rs->grade = VERDICT_PASS;
        rs->t_us = session_now(s);
        session_set_state(s, SESSION_READY);
        next(s);
        break;
    }
    case SESSION_SLEEPING:
        session_set_state(s, SESSION_READY);
        next(s);
        break;
    case SESSION_WAIT_ARRIVAL:
        arrival_poll(s);
        break;
    case SESSION_SENDING:
        body_stop(s);
        judge_error(s, ERRCAT_TIMEOUT, -1,
                    "line %d: the server took no message content for %llds",
                    st->line, (long long)(s->p.tmo->command / 1000000));
        sc->desync = true;
        session_end(s);
        break;
    case SESSION_FINISHING:
        for (size_t i = 0; i < s->p.pc->nconns; i++) {
            if (s->conns[i].c)
                log_server(s, &s->conns[i]);
            close_conn(s, &s->conns[i]);
        }
        done(s);
        return;
    default:
        return;
    }
    run(s);
}

static void on_case_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct session *s = arg;
    if (s->state == SESSION_DONE)
        return;
    disarm(s);
    judge_error(s, ERRCAT_TIMEOUT, -1, "the case took longer than %llds",
                (long long)(s->p.pc->timeout_us ? s->p.pc->timeout_us / 1000000
                                                 : s->p.tmo->case_total / 1000000));
    s->aborted = true;
    done(s);
}

/* ---- lifetime ------------------------------------------------------------ */

struct session *session_new(const struct session_params *p,
                            struct result_case *out)
{
    struct session *s = xcalloc(1, sizeof *s);
    s->p = *p;
    s->out = out;
    s->state = SESSION_READY;
    s->frames[0].prog = p->pc;
    s->nframes = 1;
    s->decisive = -1;
    s->verdict = VERDICT_PASS;
    buf_init(&s->pipebuf, PROG_MAX_VALUE);
    for (int i = 0; i < PROG_MAX_CONNS; i++) {
        struct session_conn *sc = &s->conns[i];
        sc->s = s;
        sc->index = i;
        sc->result_idx = -1;
        buf_init(&sc->ehlo, SESSION_EHLO_MAX);
        buf_init(&sc->ehlo_raw, SESSION_EHLO_MAX);
        buf_init(&sc->last, SESSION_LAST_MAX);
    }
    s->step_timer = evtimer_new(p->base, on_timer, s);
    s->case_timer = evtimer_new(p->base, on_case_timeout, s);
    s->kick = evtimer_new(p->base, on_kick, s);
    s->auth_ev = evtimer_new(p->base, on_auth_work, s);
    return s;
}

/* Whether the case has an expect arrival or expect dsn step. */
static bool watches_next_hop(const struct prog_case *pc)
{
    for (size_t i = 0; i < pc->nsteps; i++)
        if (pc->steps[i].kind == PROG_STEP_EXPECT_ARRIVAL ||
            pc->steps[i].kind == PROG_STEP_EXPECT_DSN)
            return true;
    return false;
}

void session_start(struct session *s)
{
    s->t0 = clock_mono_us();
    s->out->started_us = clock_wall_us();
    for (size_t i = 0; i < s->p.pc->nfixtures; i++) {
        const char *f = s->p.pc->fixtures[i];
        size_t len;
        if (!target_fixture(s->p.target, f) && !prog_builtin_var(f) &&
            !(s->p.fixture && s->p.fixture(s->p.fixture_arg, f, &len))) {
            judge_skip(s, "the target defines no fixture '%s'", f);
            s->ended = true;
            done(s);
            return;
        }
    }
    s->watches = watches_next_hop(s->p.pc);
    if (s->watches && !(s->p.deliver && deliver_listening(s->p.deliver))) {
        judge_skip(s, "the case watches the next hop: run it with --deliver-to "
                      "(docs/delivery.md)");
        s->ended = true;
        done(s);
        return;
    }
    int64_t total = s->p.pc->timeout_us ? s->p.pc->timeout_us : s->p.tmo->case_total;
    struct timeval tv = {(time_t)(total / 1000000), (suseconds_t)(total % 1000000)};
    evtimer_add(s->case_timer, &tv);
    schedule(s);
}

void session_abort(struct session *s, const char *reason)
{
    if (s->state == SESSION_DONE)
        return;
    s->aborted = true;
    s->interrupted = true;
    s->ended = true;
    snprintf(s->reason, sizeof s->reason, "%s", reason);
    done(s);
}

void session_free(struct session *s)
{
    if (!s)
        return;
    for (int i = 0; i < PROG_MAX_CONNS; i++) {
        struct session_conn *sc = &s->conns[i];
        if (sc->c)
            conn_free(sc->c);
        pend_clear(sc);
        free(sc->pend);
        buf_free(&sc->ehlo);
        buf_free(&sc->ehlo_raw);
        buf_free(&sc->last);
    }
    for (int i = 0; i < s->nvars; i++) {
        free(s->vars[i].name);
        buf_free(&s->vars[i].value);
    }
    auth_free(s);
    body_stop(s);
    deliver_seen_free(s->arrival);
    event_free(s->auth_ev);
    buf_free(&s->pipebuf);
    event_free(s->step_timer);
    event_free(s->case_timer);
    event_free(s->kick);
    free(s);
}

/* ---- the prologue ------------------------------------------------------- */

static void add_send(struct prog_case *c, const char *line, const char *text)
{
    struct prog_step *st = prog_step_add(c, PROG_STEP_SEND);
    const char *var = strstr(line, "${helo}");
    if (var) {
        prog_tmpl_add_lit(&st->tmpl, line, (size_t)(var - line));
        struct prog_expr *e = prog_expr_new(PROG_EXPR_VAR, 0, 0);
        e->sval = xstrdup("helo");
        prog_tmpl_add_expr(&st->tmpl, e);
        prog_tmpl_add_lit(&st->tmpl, var + 7, strlen(var + 7));
    } else {
        prog_tmpl_add_lit(&st->tmpl, line, strlen(line));
    }
    st->text = xstrdup(text);
}

static void add_expect(struct prog_case *c, const char *code, const char *text)
{
    struct prog_step *st = prog_step_add(c, PROG_STEP_EXPECT);
    struct prog_match *m = prog_match_add(&st->expect);
    snprintf(m->code, sizeof m->code, "%s", code);
    m->text = xstrdup(code);
    st->text = xstrdup(text);
}

/* Postfix's XCLIENT (XCLIENT_README): the server answers with a new
 * greeting, 220, and the client says hello again. */
static void add_xclient(struct prog_case *c, const struct target *t,
                        const char *hello)
{
    char line[1024];
    snprintf(line, sizeof line, "XCLIENT %s", t->xclient);
    add_send(c, line, "prologue: xclient");
    add_expect(c, "220", "prologue: 220 to xclient");
    if (hello) {
        add_send(c, hello, "prologue: hello after xclient");
        add_expect(c, "250", "prologue: 250 to hello after xclient");
    }
}

struct prog_case *session_prologue_new(const struct target *t, bool auth)
{
    struct prog_case *c = prog_case_new();
    c->id = xstrdup("prologue");
    struct prog_step *st = prog_step_add(c, PROG_STEP_CONNECT);
    st->text = xstrdup("prologue: connect");
    add_expect(c, "220", "prologue: banner 220");
    const char *hello = t->protocol == TARGET_LMTP ? "LHLO ${helo}" : "EHLO ${helo}";
    if (t->hello == TARGET_HELLO_HELO)
        hello = "HELO ${helo}";
    if (t->hello == TARGET_HELLO_NONE)
        hello = NULL;
    if (hello) {
        add_send(c, hello, "prologue: hello");
        add_expect(c, "250", "prologue: 250 to hello");
    }
    bool starttls = t->tls == TARGET_TLS_STARTTLS;
    if (t->xclient && (t->xclient_before_tls || !starttls))
        add_xclient(c, t, hello);
    if (starttls) {
        st = prog_step_add(c, PROG_STEP_STARTTLS);
        struct prog_match *m = prog_match_add(&st->expect);
        snprintf(m->code, sizeof m->code, "220");
        m->text = xstrdup("220");
        st->text = xstrdup("prologue: starttls");
        add_send(c, hello ? hello : "EHLO ${helo}",
                 "prologue: hello after TLS");
        add_expect(c, "250", "prologue: 250 to hello after TLS");
        if (t->xclient && !t->xclient_before_tls)
            add_xclient(c, t, hello ? hello : "EHLO ${helo}");
    }
    if (t->xforward) {
        char line[1024];
        snprintf(line, sizeof line, "XFORWARD %s", t->xforward);
        add_send(c, line, "prologue: xforward");
        add_expect(c, "250", "prologue: 250 to xforward");
    }
    if (t->auth_mech && auth) {
        st = prog_step_add(c, PROG_STEP_AUTH);
        st->name = xstrdup(t->auth_mech);
        struct prog_match *m = prog_match_add(&st->expect);
        snprintf(m->code, sizeof m->code, "235");
        m->text = xstrdup("235");
        st->text = xstrdup("prologue: auth");
    }
    return c;
}
