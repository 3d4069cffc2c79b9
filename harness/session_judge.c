/* session_judge: how a session judges what the server did. Replies
 * against a step's graded alternatives; what is unlisted by the case's
 * severity (an unexpected 4xx is ERROR tempfail, never evidence); the
 * REPLY invariants of the catalogue on every reply of every case; EHLO
 * assertions and requirements; and the case verdict at the end. Keeps
 * "the server is wrong" (FAIL) apart from "we could not test" (ERROR). */
#include "harness/session_int.h"
#include "harness/deliver.h"
#include "harness/bytes.h"
#include "harness/tls.h"
#include "harness/clock.h"
#include "harness/xalloc.h"

#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void vreason(struct session *s, const char *fmt, va_list ap)
{
    vsnprintf(s->reason, sizeof s->reason, fmt, ap);
}

void judge_grade(struct session *s, enum verdict v, int idx, const char *fmt,
                 ...)
{
    if (idx >= 0 && (size_t)idx < s->out->nsteps)
        s->out->steps[idx].grade = verdict_worse(s->out->steps[idx].grade, v);
    if (v == s->verdict && v != VERDICT_PASS && s->decisive < 0 && idx >= 0) {
        s->decisive = idx; /* a finding made before its step was recorded */
        return;
    }
    if (v <= s->verdict || v == VERDICT_PASS)
        return;
    /* A FAIL after an ERROR still is the finding; an ERROR's reason
     * yields to it. */
    s->verdict = v;
    s->decisive = idx;
    va_list ap;
    va_start(ap, fmt);
    vreason(s, fmt, ap);
    va_end(ap);
}

void judge_error(struct session *s, enum errcat cat, int idx, const char *fmt,
                 ...)
{
    if (idx >= 0 && (size_t)idx < s->out->nsteps)
        s->out->steps[idx].grade = VERDICT_ERROR;
    if (s->errored || s->verdict == VERDICT_FAIL)
        return;
    s->errored = true;
    s->category = cat;
    s->decisive = idx;
    va_list ap;
    va_start(ap, fmt);
    vreason(s, fmt, ap);
    va_end(ap);
}

void judge_skip(struct session *s, const char *fmt, ...)
{
    if (s->skipped || s->errored || s->verdict == VERDICT_FAIL)
        return;
    s->skipped = true;
    va_list ap;
    va_start(ap, fmt);
    vreason(s, fmt, ap);
    va_end(ap);
}

/* The grade an unlisted outcome gets from the case's severity. */
static enum verdict by_severity(const struct session *s)
{
    switch (s->p.pc->severity) {
    case PROG_SEV_SHOULD: return VERDICT_WARN;
    case PROG_SEV_MAY: return VERDICT_PASS;
    default: return VERDICT_FAIL;
    }
}

static enum verdict grade_verdict(enum prog_grade g)
{
    return g == PROG_GRADE_WARN ? VERDICT_WARN
           : g == PROG_GRADE_FAIL ? VERDICT_FAIL
                                  : VERDICT_PASS;
}

/* "503 | warn 5xx" from the alternatives' texts. */
static char *expect_text(const struct prog_step *st, const struct prog_expect *e)
{
    struct buf b;
    buf_init(&b, 1024);
    for (size_t i = 0; i < e->nalts; i++)
        buf_addf(&b, "%s%s", i ? " | " : "", e->alts[i].text ? e->alts[i].text : "?");
    if (e->nalts == 0)
        buf_adds(&b, st->text ? st->text : "");
    return buf_detach(&b);
}

static bool hello_name(const char *n)
{
    return strcmp(n, "ehlo") == 0 || strcmp(n, "ehlo_tls") == 0 ||
           strcmp(n, "lhlo") == 0 || strcmp(n, "helo") == 0;
}

/* Remembers the reply's text (lines after the code, "\n"-joined). */
static void keep_text(struct session_conn *sc, const struct reply *r,
                      const char *buf)
{
    buf_reset(&sc->last);
    for (unsigned i = 0; i < r->nlines; i++) {
        if (i)
            buf_addc(&sc->last, '\n');
        buf_add(&sc->last, buf + r->line[i].off, r->line[i].len);
    }
    sc->last_code = r->code;
}

/* After a 250 to EHLO/LHLO: the keyword lines, for requires, has() and
 * the REPLY-04 check. */
static void keep_ehlo(struct session *s, struct session_conn *sc,
                      const struct reply *r, const char *buf)
{
    buf_reset(&sc->ehlo);
    buf_reset(&sc->ehlo_raw);
    buf_add(&sc->ehlo_raw, buf, r->size);
    for (unsigned i = 1; i < r->nlines; i++) {
        if (i > 1)
            buf_addc(&sc->ehlo, '\n');
        buf_add(&sc->ehlo, buf + r->line[i].off, r->line[i].len);
    }
    sc->esc = reply_ehlo_has(r, buf, "ENHANCEDSTATUSCODES", NULL);
    sc->smtputf8 = reply_ehlo_has(r, buf, "SMTPUTF8", NULL);
    if (sc->result_idx >= 0) {
        struct result_conn *rc = &s->out->conns[sc->result_idx];
        char **slot = sc->tls ? &rc->ehlo_tls : &rc->ehlo;
        free(*slot);
        *slot = bytes_escape_dup(buf_str(&sc->ehlo), sc->ehlo.len);
    }
}

/* Postfix's XCLIENT is answered by a new greeting (XCLIENT_README): the
 * session starts over, the client says hello again. */
static bool regreeting(const char *pend, const struct reply *r)
{
    return r->code == 220 && strcmp(pend, "xclient") == 0;
}

/* The REPLY invariants of the catalogue (REPLY-02 to -04, CONN-02),
 * checked on every reply; findings worsen the step's grade. */
static void invariants(struct session *s, struct session_conn *sc,
                       const struct reply *r, const char *pend, int idx)
{
    static const struct {
        unsigned flag;
        enum verdict v;
        const char *id;
    } RULES[] = {
        {REPLY_F_MIXED_CODES, VERDICT_FAIL, "CONN-02"},
        {REPLY_F_BAD_CODE, VERDICT_FAIL, "REPLY-02"},
        {REPLY_F_BAD_SEP, VERDICT_FAIL, "REPLY-02"},
        {REPLY_F_BARE_LF, VERDICT_FAIL, "REPLY-03"},
        {REPLY_F_BARE_CR, VERDICT_FAIL, "REPLY-03"},
        {REPLY_F_CTRL, VERDICT_FAIL, "REPLY-03"},
        {REPLY_F_LONG_LINE, VERDICT_WARN, "REPLY-03"},
        {REPLY_F_EIGHTBIT, VERDICT_WARN, "REPLY-03"},
    };
    char text[256];
    for (size_t i = 0; i < sizeof RULES / sizeof RULES[0]; i++) {
        if (!(r->flags & RULES[i].flag))
            continue;
        if (RULES[i].flag == REPLY_F_EIGHTBIT && sc->smtputf8)
            continue; /* RFC 6531 3.7.4.1 */
        reply_flags_text(RULES[i].flag, text, sizeof text);
        judge_grade(s, RULES[i].v, idx, "%s: %s (reply %d to %s)", RULES[i].id,
                    text, r->code, pend);
    }
    /* RFC 2034 3: with ENHANCEDSTATUSCODES, every 2xx/4xx/5xx reply but
     * the greeting and the HELO/EHLO replies starts with a code whose
     * class is the reply's first digit (RFC 3463 2). */
    int cls = r->code / 100;
    if (!sc->esc || hello_name(pend) || strcmp(pend, "banner") == 0 ||
        regreeting(pend, r) || (cls != 2 && cls != 4 && cls != 5))
        return;
    if (!r->esc[0])
        judge_grade(s, VERDICT_FAIL, idx,
                    "REPLY-04: ENHANCEDSTATUSCODES was advertised but the %d "
                    "reply to %s has no enhanced status code",
                    r->code, pend);
    else if (r->esc[0] - '0' != cls)
        judge_grade(s, VERDICT_FAIL, idx,
                    "REPLY-04: enhanced status code %s does not match the "
                    "class of reply %d",
                    r->esc, r->code);
}

/* The step that follows the current one in the running frame. */
static const struct prog_step *following(struct session *s)
{
    const struct session_frame *f = &s->frames[s->nframes - 1];
    return f->pc + 1 < f->prog->nsteps ? &f->prog->steps[f->pc + 1] : NULL;
}

static bool needs_starttls(const struct session *s)
{
    for (size_t i = 0; i < s->p.pc->nrequires; i++)
        if (strcasecmp(s->p.pc->requires[i].kw, "STARTTLS") == 0)
            return true;
    return false;
}

static bool reply_ehlo_has_raw(struct session_conn *sc, const char *kw)
{
    static __thread struct reply r;
    const char *raw = buf_str(&sc->ehlo_raw);
    return reply_parse(raw, sc->ehlo_raw.len, &r) == REPLY_DONE &&
           reply_ehlo_has(&r, raw, kw, NULL);
}

/* Requirements are checked against the EHLO before the step that needs
 * them: before a STARTTLS only STARTTLS is; the EHLO after the handshake
 * decides the rest. */
static void maybe_requires(struct session *s, struct session_conn *sc)
{
    if (s->requires_checked || s->p.pc->nrequires == 0)
        return;
    const struct prog_step *n = following(s);
    bool tls_next = n && (n->kind == PROG_STEP_STARTTLS || n->kind == PROG_STEP_HANDSHAKE ||
                          (n->kind == PROG_STEP_SEND && n->tmpl.nsegs &&
                           !n->tmpl.segs[0].expr &&
                           strncasecmp(n->tmpl.segs[0].lit, "STARTTLS", 8) == 0));
    if (tls_next) {
        /* Only STARTTLS itself is needed now; the rest waits for the
         * EHLO after the handshake. */
        if (needs_starttls(s) && !reply_ehlo_has_raw(sc, "STARTTLS")) {
            s->requires_checked = true;
            judge_skip(s, "the server does not advertise STARTTLS");
            session_end(s);
        }
        return;
    }
    s->requires_checked = true;
    if (judge_requires(s, sc) != 0)
        session_end(s);
}

int judge_requires(struct session *s, struct session_conn *sc)
{
    static __thread struct reply r;
    const char *raw = buf_str(&sc->ehlo_raw);
    if (reply_parse(raw, sc->ehlo_raw.len, &r) != REPLY_DONE)
        return 0;
    for (size_t i = 0; i < s->p.pc->nrequires; i++) {
        const struct prog_require *q = &s->p.pc->requires[i];
        if (reply_ehlo_has(&r, raw, q->kw, q->param))
            continue;
        if (sc->tls && strcasecmp(q->kw, "STARTTLS") == 0)
            continue; /* was checked before the handshake (RFC 3207 4.2:
                         not listed again after it) */
        judge_skip(s, "the server does not advertise %s%s%s", q->kw,
                   q->param ? " " : "", q->param ? q->param : "");
        return -1;
    }
    return 0;
}

/* The name of the pending command a reply answers, for messages. */
static void pend_name(const struct session_pending *p, char *out, size_t outlen)
{
    const char *n = p && p->name[0] ? p->name : "a raw send";
    size_t len = strlen(n);
    if (len >= outlen)
        len = outlen - 1;
    memcpy(out, n, len);
    out[len] = '\0';
}

/* Creates the result step for an expectation and fills what came. */
static int record_step(struct session *s, struct session_conn *sc,
                       const struct prog_step *st, const struct prog_expect *e,
                       const struct reply *r, const char *buf,
                       struct session_pending *p)
{
    struct result_step *rs = session_step_add(s);
    int idx = (int)s->out->nsteps - 1;
    bool pro = s->frames[s->nframes - 1].prologue;
    int64_t now = session_now(s);
    rs->name = xstrdup(p && p->name[0] ? p->name : "reply");
    rs->conn = s->p.lean ? NULL : xstrdup(s->p.pc->conns[sc->index]);
    rs->line = pro ? 0 : st->line;
    rs->key = st->key;
    rs->expect = s->p.lean ? NULL : expect_text(st, e); /* lean: when needed */
    if (p) {
        rs->sent = p->sent;
        p->sent = NULL;
    }
    int64_t sent_at = p ? p->t_sent : sc->raw_t;
    rs->t_us = sent_at;
    if (r) {
        rs->code = r->code;
        rs->esc = r->esc[0] && !s->p.lean ? xstrdup(r->esc) : NULL;
        if (!s->p.lean)
            rs->reply = bytes_escape_dup(buf, r->size > 2048 ? 2048 : r->size);
        rs->latency_us = now - sent_at;
    }
    if (pro && st->text)
        rs->note = xstrdup(st->text);
    if (s->p.on_step)
        s->p.on_step(s->p.step_arg, rs->name, s->t0 + sent_at, s->t0 + now,
                     r ? r->code : -1);
    if (s->p.deliver && s->token[0] && rs->name &&
        strcmp(rs->name, "eod") == 0) { /* delivery checks: book it */
        if (r && r->code / 100 == 2 && s->watches)
            deliver_exempt(s->p.deliver, s->token); /* the case judges it */
        else if (r && r->code / 100 == 2)
            deliver_submit(s->p.deliver, s->token, clock_wall_us());
        s->token[0] = '\0';
    }
    return idx;
}

/* Grades an outcome no alternative listed. */
static void unlisted(struct session *s, enum prog_match_kind what,
                     const struct reply *r, int idx, const char *pend,
                     const char *expect)
{
    bool pro = s->frames[s->nframes - 1].prologue;
    const struct result_step *rs = &s->out->steps[idx];
    if (what == PROG_MATCH_TIMEOUT) {
        judge_error(s, ERRCAT_TIMEOUT, idx, "no reply to %s within the timeout",
                    pend);
        return;
    }
    if (what == PROG_MATCH_CLOSE) {
        if (pro)
            judge_error(s, ERRCAT_PROTOCOL, idx,
                        "the server closed the connection during the prologue (%s)",
                        pend);
        else
            judge_grade(s, VERDICT_FAIL, idx,
                        "the server closed the connection instead of replying "
                        "to %s (line %d; expected %s)",
                        pend, rs->line, expect);
        return;
    }
    if (what == PROG_MATCH_ANY) {
        judge_grade(s, by_severity(s), idx,
                    "the server sent data during the expected silence (line %d)",
                    rs->line);
        return;
    }
    if (r->code / 100 == 4) {
        judge_error(s, ERRCAT_TEMPFAIL, idx,
                    "unexpected temporary failure %d to %s (line %d; expected %s)",
                    r->code, pend, rs->line, expect);
        return;
    }
    if (pro) {
        judge_error(s, ERRCAT_PROTOCOL, idx,
                    "the target's prologue failed: %d to %s (expected %s)",
                    r->code, pend, expect);
        return;
    }
    enum verdict v = by_severity(s);
    if (v == VERDICT_PASS) {
        s->out->steps[idx].note = xasprintf("observed %d", r->code);
        return;
    }
    judge_grade(s, v, idx, "expected %s to %s at line %d, got %d", expect, pend,
                rs->line, r->code);
}

/* Drops the pending per-recipient replies of PRDR (session.c). */
static void drop_prdr(struct session_conn *sc)
{
    struct session_pending *h;
    while ((h = session_pend_head(sc)) && strcmp(h->name, "prdr") == 0)
        session_pend_pop(sc);
}

/* Counts accepted recipients of the transaction (LMTP's replies after
 * the end of data depend on it). */
static void count_rcpt(struct session_conn *sc, const char *pend,
                       const struct reply *r)
{
    if (!r || r->code / 100 != 2)
        return;
    if (strcmp(pend, "rcpt") == 0)
        sc->rcpt_ok++;
    else if (strcmp(pend, "mail") == 0 || strcmp(pend, "rset") == 0 ||
             hello_name(pend))
        sc->rcpt_ok = 0;
}

enum prog_then judge_expect(struct session *s, struct session_conn *sc,
                            const struct prog_step *st,
                            const struct prog_expect *e,
                            enum prog_match_kind what, const struct reply *r,
                            const char *buf)
{
    struct session_pending *p = session_pend_head(sc);
    char pend[24];
    pend_name(p, pend, sizeof pend);
    int idx = record_step(s, sc, st, e, r, buf, p);
    struct prog_reply_view view = {0, "", "", 0};
    if (r) {
        keep_text(sc, r, buf);
        view.code = r->code;
        view.esc = r->esc;
        view.text = buf_str(&sc->last);
        view.len = sc->last.len;
        invariants(s, sc, r, pend, idx);
        if (regreeting(pend, r))
            sc->esc = sc->smtputf8 = false; /* until the next EHLO */
        if (r->code == 250 && p && hello_name(p->name) && strcmp(p->name, "helo"))
            keep_ehlo(s, sc, r, buf);
        if (p && strcmp(p->name, "banner") == 0 && sc->result_idx >= 0 &&
            !s->out->conns[sc->result_idx].banner)
            s->out->conns[sc->result_idx].banner = bytes_escape_dup(
                buf_str(&sc->last), sc->last.len > 512 ? 512 : sc->last.len);
    }
    session_pend_pop(sc);
    if (r && strcmp(pend, "eod") == 0 && r->code != 353)
        drop_prdr(sc); /* no PRDR: the message's one reply came */
    count_rcpt(sc, pend, r);
    int alt = prog_expect_match(e, what, &view);
    enum prog_then then = PROG_THEN_CONTINUE;
    if (alt >= 0) {
        const struct prog_match *m = &e->alts[alt];
        if (!s->p.lean || m->grade != PROG_GRADE_PASS)
            s->out->steps[idx].alt = xstrdup(m->text ? m->text : "");
        enum verdict v = grade_verdict(m->grade);
        if (v != VERDICT_PASS)
            judge_grade(s, v, idx, "%s to %s at line %d: graded %s by the case",
                        r ? "reply" : what == PROG_MATCH_CLOSE ? "close" : "timeout",
                        pend, s->out->steps[idx].line, m->text);
        then = m->then;
    } else {
        if (!s->out->steps[idx].expect)
            s->out->steps[idx].expect = expect_text(st, e);
        unlisted(s, what, r, idx, pend, s->out->steps[idx].expect);
    }
    if (s->verdict == VERDICT_FAIL || s->errored || s->skipped) {
        if (then == PROG_THEN_CONTINUE)
            session_end(s);
        return then == PROG_THEN_CLOSE ? then : PROG_THEN_END;
    }
    if (r && r->code == 250 && sc->ehlo_raw.len && then == PROG_THEN_CONTINUE &&
        (strcmp(pend, "ehlo") == 0 || strcmp(pend, "ehlo_tls") == 0 ||
         strcmp(pend, "lhlo") == 0))
        maybe_requires(s, sc);
    return s->ended && then == PROG_THEN_CONTINUE ? PROG_THEN_END : then;
}

void judge_bad_reply(struct session *s, struct session_conn *sc,
                     const struct prog_step *st, const struct reply *r)
{
    struct session_pending *p = session_pend_head(sc);
    char pend[24];
    pend_name(p, pend, sizeof pend);
    int idx = record_step(s, sc, st, &st->expect, NULL, NULL, p);
    session_pend_pop(sc);
    const char *id = r->error == REPLY_ERR_SYNTAX ? "REPLY-02" : "REPLY-03";
    judge_grade(s, VERDICT_FAIL, idx, "%s: %s (in the reply to %s)", id,
                reply_error_text(r->error), pend);
}

void judge_ehlo_check(struct session *s, struct session_conn *sc,
                      const struct prog_step *st)
{
    static __thread struct reply r;
    struct result_step *rs = session_step_add(s);
    int idx = (int)s->out->nsteps - 1;
    rs->name = xstrdup("ehlo_check");
    rs->conn = xstrdup(s->p.pc->conns[sc->index]);
    rs->line = st->line;
    rs->key = st->key;
    rs->expect = xstrdup(st->text ? st->text : "expect ehlo");
    rs->t_us = session_now(s);
    rs->grade = VERDICT_PASS;
    const char *raw = buf_str(&sc->ehlo_raw);
    if (sc->ehlo_raw.len == 0 || reply_parse(raw, sc->ehlo_raw.len, &r) != REPLY_DONE) {
        judge_error(s, ERRCAT_INTERNAL, idx, "line %d: no EHLO reply to check",
                    st->line);
        session_end(s);
        return;
    }
    char err[256] = "";
    bool ok;
    if (st->ehlo_op == PROG_EHLO_WELLFORMED)
        ok = reply_ehlo_check(&r, raw, err, sizeof err) == 0;
    else
        ok = reply_ehlo_has(&r, raw, st->kw, st->param) ==
             (st->ehlo_op == PROG_EHLO_HAS);
    if (ok)
        return;
    enum verdict v = st->grade_false == PROG_GRADE_WARN ? VERDICT_WARN
                     : st->grade_false == PROG_GRADE_PASS ? VERDICT_PASS
                                                          : by_severity(s);
    if (st->ehlo_op == PROG_EHLO_WELLFORMED)
        judge_grade(s, v, idx, "the EHLO reply breaks the RFC 5321 4.1.1.1 grammar: %s",
                    err);
    else
        judge_grade(s, v, idx, "the EHLO reply %s %s%s%s (line %d)",
                    st->ehlo_op == PROG_EHLO_HAS ? "does not list" : "lists",
                    st->kw, st->param ? " " : "", st->param ? st->param : "",
                    st->line);
    if (v == VERDICT_FAIL)
        session_end(s);
}

/* The verdict when a step's expectation does not hold: FAIL at the
 * case's severity, or WARN with `else warn`. */
static enum verdict graded(struct session *s, const struct prog_step *st)
{
    return st && st->grade_false == PROG_GRADE_WARN ? VERDICT_WARN
                                                     : by_severity(s);
}

/* A handshake that failed: a finding, as expected, or ERROR tls. */
static bool tls_failed(struct session *s, struct session_conn *sc,
                       const struct prog_step *st, struct result_step *rs,
                       int idx)
{
    enum prog_tls_expect want = st ? st->tls_expect : PROG_TLS_DEFAULT;
    rs->note = xstrdup(sc->c ? conn_error(sc->c) : "no connection");
    if (sc->c && conn_tls_plaintext(sc->c)) {
        judge_grade(s, VERDICT_FAIL, idx, "RFC 3207 4.2 / RFC 8314 3.3: %s",
                    rs->note);
        return false;
    }
    if (want == PROG_TLS_FAIL)
        return true; /* PASS: the step wanted exactly this */
    if (want == PROG_TLS_OK) {
        rs->grade = graded(s, st);
        judge_grade(s, rs->grade, idx, "the TLS handshake failed: %s", rs->note);
        return false;
    }
    judge_error(s, ERRCAT_TLS, idx, "TLS handshake failed: %s", rs->note);
    return false;
}

/* The TLS facts of a connection's first handshake, and the step's note. */
static void tls_note(struct session *s, struct session_conn *sc,
                     struct result_step *rs)
{
    struct result_conn *rc = &s->out->conns[sc->result_idx];
    if (!rc->tls) {
        rc->tls = xcalloc(1, sizeof *rc->tls);
        tls_facts(conn_ssl(sc->c), s->p.tls, rc->tls);
    }
    rs->note = xasprintf("%s %s", rc->tls->protocol ? rc->tls->protocol : "?",
                         rc->tls->cipher ? rc->tls->cipher : "?");
    session_event_escaped(s, session_now(s), '*', rc->name, rs->note);
}

bool judge_tls(struct session *s, struct session_conn *sc, bool ok,
               int64_t started, const struct prog_step *st)
{
    struct result_step *rs = session_step_add(s);
    int idx = (int)s->out->nsteps - 1;
    rs->name = xstrdup("tls");
    rs->conn = xstrdup(s->p.pc->conns[sc->index]);
    rs->line = s->frames[s->nframes - 1].prologue ? 0 : session_step(s)->line;
    rs->t_us = started;
    rs->latency_us = session_now(s) - started;
    rs->grade = VERDICT_PASS;
    if (st) {
        rs->key = st->key;
        rs->expect = xstrdup(st->text ? st->text : "handshake");
    }
    if (s->p.on_step) {
        SSL *ssl = ok && sc->c ? conn_ssl(sc->c) : NULL;
        s->p.on_step(s->p.step_arg, "tls", s->t0 + started,
                     s->t0 + started + rs->latency_us,
                     !ok ? -1 : ssl && SSL_session_reused(ssl) ? 1 : 0);
    }
    if (!ok)
        return tls_failed(s, sc, st, rs, idx);
    if (!s->p.lean) /* no TLS facts under load */
        tls_note(s, sc, rs);
    if (st && st->tls_expect == PROG_TLS_FAIL) {
        rs->grade = graded(s, st);
        judge_grade(s, rs->grade, idx,
                    "the TLS handshake succeeded (%s) where it must fail",
                    rs->note ? rs->note : "TLS up");
        return rs->grade != VERDICT_FAIL;
    }
    return true;
}

void judge_no_close(struct session *s, struct session_conn *sc,
                    const struct prog_step *st)
{
    struct result_step *rs = result_step_add(s->out);
    int idx = (int)s->out->nsteps - 1;
    rs->name = xstrdup("close");
    rs->conn = xstrdup(s->p.pc->conns[sc->index]);
    rs->line = st->line;
    rs->key = st->key;
    rs->expect = xstrdup("close");
    rs->t_us = session_now(s);
    rs->grade = VERDICT_PASS;
    if (st->kind == PROG_STEP_EXPECT_CLOSE)
        judge_grade(s, by_severity(s), idx,
                    "the server did not close the connection (line %d: expect "
                    "close)", st->line);
    else
        judge_grade(s, by_severity(s), idx,
                    "the server replied %d and then did not close the "
                    "connection (line %d: -> close; RFC 5321 3.8)",
                    sc->last_code, st->line);
}

void judge_assert(struct session *s, const struct prog_step *st, bool ok)
{
    struct result_step *rs = session_step_add(s);
    int idx = (int)s->out->nsteps - 1;
    rs->name = xstrdup("assert");
    rs->conn = xstrdup(s->p.pc->conns[s->cur]);
    rs->line = st->line;
    rs->key = st->key;
    rs->expect = xstrdup(st->text ? st->text : "assert");
    rs->t_us = session_now(s);
    rs->grade = VERDICT_PASS;
    if (ok)
        return;
    enum verdict v = st->grade_false == PROG_GRADE_WARN ? VERDICT_WARN
                     : st->grade_false == PROG_GRADE_PASS ? VERDICT_PASS
                                                          : by_severity(s);
    judge_grade(s, v, idx, "assertion failed at line %d: %s", st->line,
                st->text ? st->text : "");
    if (v == VERDICT_FAIL)
        session_end(s);
}

void judge_arrival(struct session *s, const struct prog_step *st, bool found,
                   const char *token)
{
    bool dsn = st->kind == PROG_STEP_EXPECT_DSN;
    struct result_step *rs = session_step_add(s);
    int idx = (int)s->out->nsteps - 1;
    rs->name = xstrdup(dsn ? "dsn" : "arrival");
    rs->conn = xstrdup(s->p.pc->conns[s->cur]);
    rs->line = st->line;
    rs->key = st->key;
    rs->expect = xstrdup(st->text ? st->text : prog_step_kind_name(st->kind));
    rs->t_us = session_now(s);
    rs->grade = VERDICT_PASS;
    if (found) {
        const struct deliver_seen *f = s->arrival;
        rs->note = xasprintf("%s from <%s> to %s, %zu octets, %s%s",
                             dsn ? "a DSN" : "arrived", f->from, f->rcpt,
                             f->len, f->cls,
                             f->data ? "" : " (content not kept: over the "
                                            "next hop's keep limit)");
        session_note(s, "line %d: %s", st->line, rs->note);
    }
    if (found != st->absent)
        return;
    int64_t us = st->dur_us ? st->dur_us : SESSION_ARRIVAL_WAIT_US;
    const char *what = dsn              ? "DSN quoting"
                       : st->by_sender ? "message from"
                                       : "message";
    if (found)
        judge_grade(s, by_severity(s), idx,
                    "line %d: a %s %s reached the next hop, and must not", st->line,
                    what, token);
    else
        judge_grade(s, by_severity(s), idx,
                    "line %d: no %s %s reached the next hop within %lld.%03llds",
                    st->line, what, token, (long long)(us / 1000000),
                    (long long)(us % 1000000 / 1000));
    if (by_severity(s) == VERDICT_FAIL)
        session_end(s);
}

/* XFAIL / XPASS for a target's known deviations; an entry past its date
 * no longer excuses a failure and shows as WARN. */
static void apply_xfail(struct session *s, struct result_case *out)
{
    const struct target_xfail *x = target_xfail_for(s->p.target, out->id);
    if (!x || (out->verdict != VERDICT_FAIL && out->verdict != VERDICT_PASS &&
               out->verdict != VERDICT_WARN))
        return;
    char *old = out->reason;
    if (x->until_us && clock_wall_us() > x->until_us) {
        if (out->verdict == VERDICT_FAIL) {
            out->verdict = VERDICT_WARN;
            out->reason = xasprintf("xfail expired (%s): %s", x->reason,
                                    old ? old : "");
            free(old);
        }
        return;
    }
    if (out->verdict == VERDICT_FAIL) {
        out->verdict = VERDICT_XFAIL;
        out->reason = xasprintf("xfail: %s; %s", x->reason, old ? old : "");
    } else {
        out->verdict = VERDICT_XPASS;
        out->reason = xasprintf("xpass: listed as a known deviation (%s) but passed",
                                x->reason);
    }
    free(old);
}

void judge_finish(struct session *s)
{
    struct result_case *out = s->out;
    out->duration_us = session_now(s);
    if (s->interrupted) {
        out->verdict = VERDICT_NOTRUN;
        out->category = ERRCAT_NONE;
    } else if (s->verdict == VERDICT_FAIL) {
        out->verdict = VERDICT_FAIL;
    } else if (s->errored) {
        out->verdict = VERDICT_ERROR;
        out->category = s->category;
    } else if (s->skipped) {
        out->verdict = VERDICT_SKIP;
    } else {
        out->verdict = s->verdict;
    }
    free(out->reason);
    out->reason = s->reason[0] ? xstrdup(s->reason) : NULL;
    out->decisive = s->decisive;
    /* The decisive step's alternative, else a PASS's last key step's (a
     * key step in a repeat is many steps: keep one copy). */
    const char *alt = NULL;
    if (s->decisive >= 0 && (size_t)s->decisive < out->nsteps &&
        out->steps[s->decisive].alt)
        alt = out->steps[s->decisive].alt;
    else if (out->verdict == VERDICT_PASS) {
        for (size_t i = 0; i < out->nsteps; i++)
            if (out->steps[i].key && out->steps[i].alt)
                alt = out->steps[i].alt;
    }
    free(out->alt);
    out->alt = alt ? xstrdup(alt) : NULL;
    apply_xfail(s, out);
}
