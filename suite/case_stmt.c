/* case_stmt: compiles one statement line of a case file into a step
 * (docs/case-format.md, "Steps"). A table maps the statement keyword to
 * its handler and says where it may stand (key assertion, inside a
 * pipeline, before any connection). Templates (C: lines, heredocs),
 * token sequences (send, skip) and reply alternatives (S:, starttls,
 * auth) are parsed here. */
#include "suite/case_parse_int.h"
#include "suite/case_regex.h"
#include "harness/duration.h"
#include "harness/proxy.h"
#include "harness/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    SF_KEY = 1,    /* may be the key assertion */
    SF_NOPIPE = 2, /* not inside pipeline { } */
    SF_CONN = 4,   /* needs an open connection */
};

/* ---- small helpers -------------------------------------------------- */

static char *tokdup(const struct lex *x, const struct lex_tok *t)
{
    return xstrndup(x->p + t->off, t->len);
}

static int want(struct cp *ps, const struct lex_tok *t, const char *what)
{
    cp_err(ps, t->off, "want %s", what);
    return -1;
}

/* Parses a duration word into *us (> 0 unless zero_ok). */
static int duration(struct cp *ps, struct lex *x, int64_t *us, bool zero_ok)
{
    struct lex_tok t;
    lex_next(x, &t);
    if (t.kind != LEX_WORD)
        return want(ps, &t, "a duration such as 250ms, 2s or 5m");
    char s[64], err[160];
    snprintf(s, sizeof s, "%.*s", (int)(t.len < 63 ? t.len : 63), x->p + t.off);
    if (duration_parse(s, us, err, sizeof err) != 0) {
        cp_err(ps, t.off, "%s", err);
        return -1;
    }
    if (*us == 0 && !zero_ok) {
        cp_err(ps, t.off, "want a duration longer than zero");
        return -1;
    }
    return 0;
}

static int grade_word(const struct lex *x, const struct lex_tok *t,
                      enum prog_grade *g)
{
    static const char *const G[] = {"pass", "warn", "fail"};
    for (int i = 0; i < 3; i++)
        if (lex_is(x, t, G[i])) {
            *g = (enum prog_grade)i;
            return 0;
        }
    return -1;
}

/* "else warn" / "else fail" at the end of a check. */
static int else_grade(struct cp *ps, struct lex *x, enum prog_grade *g)
{
    struct lex_tok t;
    lex_peek(x, &t);
    if (!lex_is(x, &t, "else"))
        return 0;
    lex_next(x, &t);
    lex_next(x, &t);
    if (grade_word(x, &t, g) != 0 || *g == PROG_GRADE_PASS)
        return want(ps, &t, "warn or fail after else");
    return 0;
}

/* Resolves a connection name token to its index. */
static int conn_ref(struct cp *ps, const struct lex *x, const struct lex_tok *t)
{
    const char *p = x->p + t->off;
    bool ok = t->kind == LEX_WORD && t->len <= 32 && p[0] >= 'a' && p[0] <= 'z';
    for (size_t i = 0; ok && i < t->len; i++)
        ok = (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') ||
             p[i] == '_';
    if (!ok) {
        cp_err(ps, t->off,
               "a connection name is lower-case letters, digits "
               "and _, starting with a letter");
        return -1;
    }
    char *name = tokdup(x, t);
    int idx = prog_conn_index(ps->c, name);
    free(name);
    if (idx < 0)
        cp_err(ps, t->off, "more than %d connections", PROG_MAX_CONNS);
    return idx;
}

/* ---- templates and token sequences ----------------------------------- */

/* Parses ${EXPR} at p[off] ("${") within the line up to `to`; returns the
 * offset after '}' or 0 when reported. */
static size_t tmpl_expr(struct cp *ps, const char *p, size_t off, size_t to,
                        struct prog_tmpl *t)
{
    struct lex y;
    lex_init(&y, p, to, off + 2);
    struct prog_expr *e = cp_expr(ps, &y);
    if (!e)
        return 0;
    while (y.pos < to && (p[y.pos] == ' ' || p[y.pos] == '\t'))
        y.pos++;
    if (y.pos >= to || p[y.pos] != '}') {
        cp_err(ps, y.pos, "want '}' to close the '${' at column %d",
               diag_col(p, off));
        prog_expr_free(e);
        return 0;
    }
    prog_tmpl_add_expr(t, e);
    return y.pos + 1;
}

/* A template: text with ${EXPR}; "$${" is a literal "${". */
static int tmpl(struct cp *ps, const char *p, size_t from, size_t to,
                struct prog_tmpl *t)
{
    size_t lit = from;
    for (size_t i = from; i < to;) {
        if (p[i] == '$' && i + 2 < to && p[i + 1] == '$' && p[i + 2] == '{') {
            prog_tmpl_add_lit(t, p + lit, i - lit);
            prog_tmpl_add_lit(t, "${", 2);
            i += 3;
            lit = i;
        } else if (p[i] == '$' && i + 1 < to && p[i + 1] == '{') {
            prog_tmpl_add_lit(t, p + lit, i - lit);
            i = tmpl_expr(ps, p, i, to, t);
            if (i == 0)
                return -1;
            lit = i;
        } else {
            i++;
        }
    }
    prog_tmpl_add_lit(t, p + lit, to - lit);
    return 0;
}

/* "string" and ${EXPR} tokens up to the end of the line (send, skip). */
static int tokens(struct cp *ps, struct lex *x, struct prog_tmpl *t,
                  const char *stmt)
{
    struct lex_tok k;
    int n = 0;
    for (lex_peek(x, &k); k.kind != LEX_END; lex_peek(x, &k), n++) {
        if (k.kind == LEX_EXPR) {
            size_t end = tmpl_expr(ps, x->p, k.off, x->n, t);
            if (end == 0)
                return -1;
            lex_seek(x, end);
            continue;
        }
        if (k.kind != LEX_STRING)
            return want(ps, &k, "a \"string\" or ${...}");
        struct buf b;
        size_t end, erroff;
        const char *why;
        buf_init(&b, LEX_MAX_LINE);
        if (lex_string(x->p + k.off, x->n - k.off, &b, &end, &erroff, &why)) {
            buf_free(&b);
            cp_err(ps, k.off + erroff, "%s", why);
            return -1;
        }
        prog_tmpl_add_lit(t, b.data ? b.data : "", b.len);
        buf_free(&b);
        lex_seek(x, k.off + end);
    }
    if (n == 0) {
        cp_err(ps, k.off, "%s needs a \"string\" or ${...}", stmt);
        return -1;
    }
    return 0;
}

/* Reads heredoc lines up to the line `word` (may be indented): each line
 * is a template followed by CRLF, whatever the file's line endings. */
static int heredoc(struct cp *ps, const struct lex *x, const struct lex_tok *t,
                   struct prog_tmpl *out)
{
    const char *w = x->p + t->off + 2;
    size_t wn = t->len - 2;
    if (wn == 0)
        return want(ps, t, "a word after << (e.g. <<EOF)");
    const struct lex_line *opener = ps->line;
    struct cp_frame *f = cp_top(ps);
    struct lex_line l;
    size_t total = 0;
    int rc = 0;
    while (lex_next_line(&f->src, &l)) {
        ps->line = &l;
        size_t a = 0, b = l.len;
        while (a < b && (l.p[a] == ' ' || l.p[a] == '\t'))
            a++;
        while (b > a && (l.p[b - 1] == ' ' || l.p[b - 1] == '\t'))
            b--;
        if (b - a == wn && memcmp(l.p + a, w, wn) == 0) {
            ps->line = opener;
            return rc;
        }
        const char *why;
        long bad = lex_check_line(l.p, l.len, &why);
        total += l.len + 2;
        if (bad >= 0) {
            cp_err(ps, (size_t)bad, "%s", why);
            rc = -1;
        } else if (total > CASE_MAX_HEREDOC) {
            cp_err(ps, 0,
                   "data block larger than %u bytes (use "
                   "data msg size N or ${fill(N)})",
                   CASE_MAX_HEREDOC);
            rc = -1;
        } else if (rc == 0 && tmpl(ps, l.p, 0, l.len, out) == 0) {
            prog_tmpl_add_lit(out, "\r\n", 2);
        } else {
            rc = -1;
        }
    }
    ps->line = opener;
    cp_err(ps, t->off, "<<%.*s is never closed: want a line '%.*s'", (int)wn, w,
           (int)wn, w);
    return -1;
}

/* ---- reply alternatives --------------------------------------------- */

static int code_pattern(struct cp *ps, const struct lex *x,
                        const struct lex_tok *t, struct prog_match *m)
{
    const char *p = x->p + t->off;
    bool ok = t->len == 3;
    for (size_t i = 0; ok && i < 3; i++) {
        char c = p[i] == 'X' ? 'x' : p[i];
        ok = c == 'x' || (i == 0 ? c >= '2' && c <= '5' : c >= '0' && c <= '9');
        m->code[i] = c;
    }
    m->code[3] = '\0';
    if (!ok) {
        cp_err(ps, t->off,
               "want a reply code: three digits or x, the first "
               "2 to 5 (250, 2xx, 55x), or any, timeout, close");
        return -1;
    }
    return 0;
}

/* One part of an enhanced status code: x, or 1 to 3 digits. */
static bool esc_part(const char *p, size_t n, bool is_class)
{
    if (n == 1 && p[0] == 'x')
        return true;
    if (is_class)
        return n == 1 && (p[0] == '2' || p[0] == '4' || p[0] == '5');
    if (n == 0 || n > 3)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    return true;
}

static int esc_pattern(struct cp *ps, const struct lex *x,
                       const struct lex_tok *t, struct prog_match *m)
{
    const char *p = x->p + t->off;
    size_t n = t->len, part = 0, i = 0;
    bool ok = n < sizeof m->esc;
    while (ok && part < 3) {
        size_t j = i;
        while (j < n && p[j] != '.')
            j++;
        ok = esc_part(p + i, j - i, part == 0) && (part < 2 ? j < n : j == n);
        i = j + 1;
        part++;
    }
    if (!ok) {
        cp_err(ps, t->off,
               "want an enhanced status code such as 2.1.0 or "
               "5.7.x (RFC 3463)");
        return -1;
    }
    if (m->code[0] != 'x' && p[0] != 'x' && p[0] != m->code[0]) {
        cp_err(ps, t->off,
               "enhanced code class %c does not match reply code "
               "%s",
               p[0], m->code);
        return -1;
    }
    memcpy(m->esc, p, n);
    m->esc[n] = '\0';
    return 0;
}

/* Compiles the /regex/ token t into *re and *src. */
static int regex(struct cp *ps, const struct lex *x, const struct lex_tok *t,
                 int flags, regex_t **re, char **src)
{
    struct buf b;
    size_t end, erroff;
    bool icase;
    const char *why;
    buf_init(&b, CASE_MAX_REGEX);
    if (lex_regex(x->p + t->off, t->len, &b, &icase, &end, &erroff, &why)) {
        buf_free(&b);
        cp_err(ps, t->off + erroff, "%s", why);
        return -1;
    }
    if (b.len >= CASE_MAX_REGEX || memchr(buf_str(&b), '\0', b.len)) {
        buf_free(&b);
        cp_err(ps, t->off, "regular expression too long or holding NUL");
        return -1;
    }
    size_t rxoff;
    const char *rxwhy;
    if (case_regex_check(buf_str(&b), &rxoff, &rxwhy) != 0) {
        buf_free(&b);
        cp_err(ps, t->off, "bad regular expression: %s", rxwhy);
        return -1;
    }
    *re = xmalloc(sizeof **re);
    int rc = regcomp(*re, buf_str(&b),
                     REG_EXTENDED | flags | (icase ? REG_ICASE : 0));
    if (rc != 0) {
        char msg[160];
        regerror(rc, *re, msg, sizeof msg);
        free(*re);
        *re = NULL;
        buf_free(&b);
        cp_err(ps, t->off, "bad regular expression: %s", msg);
        return -1;
    }
    *src = buf_detach(&b);
    return 0;
}

/* MATCHER: any | timeout | close | CODE [ESC] [/RE/]. */
static int matcher(struct cp *ps, struct lex *x, struct prog_match *m)
{
    static const struct {
        const char *w;
        enum prog_match_kind k;
    } KINDS[] = {{"any", PROG_MATCH_ANY},
                 {"timeout", PROG_MATCH_TIMEOUT},
                 {"close", PROG_MATCH_CLOSE}};
    struct lex_tok t;
    lex_next(x, &t);
    for (size_t i = 0; i < 3; i++)
        if (lex_is(x, &t, KINDS[i].w)) {
            m->kind = KINDS[i].k;
            return 0;
        }
    if (t.kind != LEX_WORD)
        return want(ps, &t, "a reply code (250, 2xx), any, timeout or close");
    m->kind = PROG_MATCH_REPLY;
    if (code_pattern(ps, x, &t, m) != 0)
        return -1;
    lex_peek(x, &t);
    if (t.kind == LEX_WORD && memchr(x->p + t.off, '.', t.len)) {
        lex_next(x, &t);
        if (esc_pattern(ps, x, &t, m) != 0)
            return -1;
        lex_peek(x, &t);
    }
    if (t.kind == LEX_REGEX) {
        lex_next(x, &t);
        return regex(ps, x, &t, REG_NOSUB, &m->re, &m->re_src);
    }
    return 0;
}

/* ALT: [pass|warn|fail] MATCHER [-> close|end]. */
static int alternative(struct cp *ps, struct lex *x, struct prog_expect *e)
{
    struct lex_tok t;
    lex_peek(x, &t);
    size_t start = t.off;
    struct prog_match *m = prog_match_add(e);
    if (grade_word(x, &t, &m->grade) == 0) {
        if (m->grade == PROG_GRADE_FAIL && ps->c->severity == PROG_SEV_MAY) {
            cp_err(ps, t.off,
                   "a severity: may case observes: it cannot "
                   "grade fail");
            return -1;
        }
        lex_next(x, &t);
    }
    if (matcher(ps, x, m) != 0)
        return -1;
    lex_peek(x, &t);
    if (lex_punct(x, &t, "->")) {
        lex_next(x, &t);
        lex_next(x, &t);
        if (lex_is(x, &t, "close"))
            m->then = PROG_THEN_CLOSE;
        else if (lex_is(x, &t, "end"))
            m->then = PROG_THEN_END;
        else
            return want(ps, &t, "close or end after ->");
    }
    size_t end = x->pos;
    while (end > start && (x->p[end - 1] == ' ' || x->p[end - 1] == '\t'))
        end--;
    m->text = xstrndup(x->p + start, end - start);
    return 0;
}

/* ALTS [within DURATION]: alternatives separated by '|'. */
static int alternatives(struct cp *ps, struct lex *x, struct prog_expect *e)
{
    struct lex_tok t;
    for (;;) {
        if (alternative(ps, x, e) != 0)
            return -1;
        lex_peek(x, &t);
        if (!lex_punct(x, &t, "|"))
            break;
        lex_next(x, &t);
    }
    if (lex_is(x, &t, "within")) {
        lex_next(x, &t);
        return duration(ps, x, &e->within_us, false);
    }
    if (t.kind != LEX_END)
        return want(ps, &t,
                    "'|' and another alternative, within D, or the "
                    "end of the line");
    return 0;
}

/* A default expectation: one passing alternative for code. */
static void default_expect(struct prog_expect *e, const char *code)
{
    struct prog_match *m = prog_match_add(e);
    memcpy(m->code, code, 4);
    m->text = xstrdup(code);
}

/* "expect ALTS" after starttls / auth, or the default code. */
static int optional_expect(struct cp *ps, struct lex *x, struct prog_expect *e,
                           const char *code)
{
    struct lex_tok t;
    lex_peek(x, &t);
    if (t.kind == LEX_END) {
        default_expect(e, code);
        return 0;
    }
    if (!lex_is(x, &t, "expect"))
        return want(ps, &t, "expect ALTERNATIVES or the end of the line");
    lex_next(x, &t);
    return alternatives(ps, x, e);
}

/* ---- connections ---------------------------------------------------- */

/* connect's "noproxy" or "proxy v1|v2"; 0 or -1 after the error. */
static int proxy_word(struct cp *ps, struct lex *x, struct lex_tok *t,
                      struct prog_step *s)
{
    if (lex_is(x, t, "noproxy")) {
        s->proxy = PROXY_NONE;
        return 0;
    }
    lex_next(x, t);
    if (lex_is(x, t, "v1") || lex_is(x, t, "v2")) {
        s->proxy = lex_is(x, t, "v1") ? PROXY_V1 : PROXY_V2;
        return 0;
    }
    return want(ps, t, "v1 or v2 after proxy");
}

/* open [NAME] [noauth] /
 * connect [NAME] [plain|tls] [noproxy|proxy v1|proxy v2]. */
static int st_open_connect(struct cp *ps, struct lex *x, enum prog_step_kind k)
{
    struct prog_step *s = cp_step(ps, k);
    struct lex_tok t;
    bool named = false;
    for (lex_next(x, &t); t.kind != LEX_END; lex_next(x, &t)) {
        if (k == PROG_STEP_OPEN && lex_is(x, &t, "noauth")) {
            s->no_auth = true;
        } else if (k == PROG_STEP_CONNECT &&
                   (lex_is(x, &t, "plain") || lex_is(x, &t, "tls"))) {
            s->tls_mode = lex_is(x, &t, "tls");
        } else if (k == PROG_STEP_CONNECT &&
                   (lex_is(x, &t, "noproxy") || lex_is(x, &t, "proxy"))) {
            if (proxy_word(ps, x, &t, s) != 0)
                return -1;
        } else if (!named && t.kind == LEX_WORD) {
            int idx = conn_ref(ps, x, &t);
            if (idx < 0)
                return -1;
            s->conn = idx;
            ps->cur_conn = idx;
            named = true;
        } else {
            return want(ps, &t,
                        k == PROG_STEP_OPEN
                            ? "a connection name or noauth"
                            : "a connection name, plain, tls, noproxy or "
                              "proxy v1|v2");
        }
    }
    ps->opened[ps->cur_conn] = true;
    return 0;
}

static int st_open(struct cp *ps, struct lex *x)
{
    return st_open_connect(ps, x, PROG_STEP_OPEN);
}

static int st_connect(struct cp *ps, struct lex *x)
{
    return st_open_connect(ps, x, PROG_STEP_CONNECT);
}

static int st_use(struct cp *ps, struct lex *x)
{
    struct lex_tok t;
    lex_next(x, &t);
    if (t.kind != LEX_WORD)
        return want(ps, &t, "a connection name");
    int idx = conn_ref(ps, x, &t);
    if (idx < 0)
        return -1;
    if (!ps->opened[idx]) {
        cp_err(ps, t.off,
               "connection '%.*s' is not opened before this line "
               "(open or connect it first)",
               (int)t.len, x->p + t.off);
        return -1;
    }
    cp_step(ps, PROG_STEP_USE)->conn = idx;
    ps->cur_conn = idx;
    return 0;
}

static int st_close(struct cp *ps, struct lex *x)
{
    cp_step(ps, PROG_STEP_CLOSE);
    return 0;
}

static int st_reconnect(struct cp *ps, struct lex *x)
{
    struct prog_step *s = cp_step(ps, PROG_STEP_RECONNECT);
    struct lex_tok t;
    lex_peek(x, &t);
    if (lex_is(x, &t, "noauth")) {
        lex_next(x, &t);
        s->no_auth = true;
    }
    return 0;
}

/* ---- sending -------------------------------------------------------- */

static int st_c(struct cp *ps, struct lex *x)
{
    size_t i = x->pos;
    if (i < x->n && x->p[i] != ' ') {
        cp_err(ps, i, "want a space after C:");
        return -1;
    }
    struct prog_step *s = cp_step(ps, PROG_STEP_SEND);
    lex_seek(x, x->n);
    return tmpl(ps, x->p, i < x->n ? i + 1 : i, x->n, &s->tmpl);
}

static int st_send(struct cp *ps, struct lex *x)
{
    return tokens(ps, x, &cp_step(ps, PROG_STEP_RAW)->tmpl, "send");
}

/* data <<WORD | data raw <<WORD | data msg [size EXPR] */
static int st_data(struct cp *ps, struct lex *x)
{
    struct prog_step *s = cp_step(ps, PROG_STEP_DATA);
    struct lex_tok t;
    lex_next(x, &t);
    if (lex_is(x, &t, "msg")) {
        s->gen = PROG_DATA_MESSAGE;
        lex_peek(x, &t);
        if (!lex_is(x, &t, "size"))
            return 0;
        lex_next(x, &t);
        s->expr = cp_expr(ps, x);
        return s->expr ? 0 : -1;
    }
    for (int i = 0; i < 2; i++) { /* raw, tracked: either order */
        if (lex_is(x, &t, "raw") && s->dot_stuff) {
            s->dot_stuff = false;
            lex_next(x, &t);
        } else if (lex_is(x, &t, "tracked") && !s->tracked) {
            s->tracked = true;
            lex_next(x, &t);
        }
    }
    if (t.kind != LEX_HEREDOC)
        return want(ps, &t,
                    "<<WORD, raw <<WORD, tracked <<WORD, msg or msg size N");
    if (!lex_at_end(x)) {
        lex_next(x, &t);
        return want(ps, &t, "the end of the line after <<WORD");
    }
    return heredoc(ps, x, &t, &s->tmpl);
}

/* bdat EXPR [last] | bdat [last] <<WORD */
static int st_bdat(struct cp *ps, struct lex *x)
{
    struct prog_step *s = cp_step(ps, PROG_STEP_BDAT);
    struct lex_tok t;
    lex_peek(x, &t);
    if (lex_is(x, &t, "last")) {
        lex_next(x, &t);
        lex_peek(x, &t);
        if (t.kind != LEX_HEREDOC)
            return want(ps, &t,
                        "<<WORD after bdat last (or write bdat N "
                        "last)");
        s->last = true;
    }
    if (t.kind == LEX_HEREDOC) {
        lex_next(x, &t);
        if (!lex_at_end(x)) {
            lex_next(x, &t);
            return want(ps, &t, "the end of the line after <<WORD");
        }
        if (heredoc(ps, x, &t, &s->tmpl) != 0)
            return -1;
        if (s->tmpl.nsegs == 0) /* an empty chunk: BDAT 0 */
            s->expr = prog_expr_new(PROG_EXPR_INT, ps->line->lineno, 1);
        return 0;
    }
    s->expr = cp_expr(ps, x);
    if (!s->expr)
        return -1;
    lex_peek(x, &t);
    if (lex_is(x, &t, "last")) {
        lex_next(x, &t);
        s->last = true;
    }
    return 0;
}

/* ---- expectations --------------------------------------------------- */

static int st_s(struct cp *ps, struct lex *x)
{
    return alternatives(ps, x, &cp_step(ps, PROG_STEP_EXPECT)->expect);
}

static int expect_ehlo(struct cp *ps, struct lex *x)
{
    struct prog_step *s = cp_step(ps, PROG_STEP_EHLO_CHECK);
    struct lex_tok t;
    lex_next(x, &t);
    if (lex_is(x, &t, "wellformed")) {
        s->ehlo_op = PROG_EHLO_WELLFORMED;
        return else_grade(ps, x, &s->grade_false);
    }
    if (!lex_is(x, &t, "has") && !lex_is(x, &t, "lacks"))
        return want(ps, &t, "has, lacks or wellformed after expect ehlo");
    s->ehlo_op = lex_is(x, &t, "has") ? PROG_EHLO_HAS : PROG_EHLO_LACKS;
    lex_next(x, &t);
    if (t.kind != LEX_WORD || lex_is(x, &t, "else"))
        return want(ps, &t, "an EHLO keyword such as PIPELINING");
    s->kw = tokdup(x, &t);
    lex_peek(x, &t);
    if (t.kind == LEX_WORD && !lex_is(x, &t, "else")) {
        lex_next(x, &t);
        s->param = tokdup(x, &t);
    }
    return else_grade(ps, x, &s->grade_false);
}

/* A statement at off that talks needs an open connection: 0, or -1
 * (reported). */
static int need_conn(struct cp *ps, size_t off)
{
    if (ps->opened[ps->cur_conn])
        return 0;
    cp_err(ps, off, "no connection is open here: start with open or connect");
    return -1;
}

/* [no] arrival [of EXPR | from EXPR] [within D] | [no] dsn [of EXPR]
 * [within D] (t: the word read). */
static int expect_arrival(struct cp *ps, struct lex *x, const struct lex_tok *t,
                          bool absent)
{
    bool dsn = lex_is(x, t, "dsn");
    struct prog_step *s =
        cp_step(ps, dsn ? PROG_STEP_EXPECT_DSN : PROG_STEP_EXPECT_ARRIVAL);
    s->absent = absent;
    struct lex_tok k;
    lex_peek(x, &k);
    s->by_sender = !dsn && lex_is(x, &k, "from");
    if (lex_is(x, &k, "of") || s->by_sender) {
        lex_next(x, &k);
        struct prog_expr *e = cp_expr(ps, x);
        if (!e)
            return -1;
        prog_tmpl_add_expr(&s->tmpl, e);
        lex_peek(x, &k);
    }
    if (!lex_is(x, &k, "within"))
        return 0;
    lex_next(x, &k);
    return duration(ps, x, &s->dur_us, false);
}

/* expect close [within D] | silence D | ehlo ... | arrival ... | dsn ... */
static int st_expect(struct cp *ps, struct lex *x)
{
    struct lex_tok t;
    lex_next(x, &t);
    bool absent = lex_is(x, &t, "no");
    if (absent)
        lex_next(x, &t);
    bool hop = lex_is(x, &t, "arrival") || lex_is(x, &t, "dsn");
    if (absent && !hop)
        return want(ps, &t, "arrival or dsn after expect no");
    if (!hop && need_conn(ps, ps->stmt_off) != 0)
        return -1; /* the next hop needs no connection; the rest do */
    if (ps->in_pipeline &&
        (hop || lex_is(x, &t, "silence") || lex_is(x, &t, "ehlo"))) {
        cp_err(ps, t.off, "expect %.*s cannot be used inside pipeline { }",
               (int)t.len, x->p + t.off);
        return -1;
    }
    if (hop)
        return expect_arrival(ps, x, &t, absent);
    if (lex_is(x, &t, "close")) {
        struct prog_step *s = cp_step(ps, PROG_STEP_EXPECT_CLOSE);
        lex_peek(x, &t);
        if (!lex_is(x, &t, "within"))
            return 0;
        lex_next(x, &t);
        return duration(ps, x, &s->dur_us, false);
    }
    if (lex_is(x, &t, "ehlo"))
        return expect_ehlo(ps, x);
    if (!lex_is(x, &t, "silence"))
        return want(ps, &t,
                    "close, silence D, ehlo, arrival or dsn after expect");
    return duration(ps, x, &cp_step(ps, PROG_STEP_EXPECT_SILENCE)->dur_us,
                    false);
}

static int st_sleep(struct cp *ps, struct lex *x)
{
    return duration(ps, x, &cp_step(ps, PROG_STEP_SLEEP)->dur_us, false);
}

/* NAME = (after capture / set); returns the name or NULL (reported). */
static char *assigned_name(struct cp *ps, struct lex *x)
{
    struct lex_tok t, eq;
    lex_next(x, &t);
    if (t.kind != LEX_WORD || !cp_is_name(x->p + t.off, t.len)) {
        want(ps, &t, "a variable name (letters, digits, _)");
        return NULL;
    }
    lex_next(x, &eq);
    if (!lex_punct(x, &eq, "=")) {
        want(ps, &eq, "'=' after the variable name");
        return NULL;
    }
    char *name = tokdup(x, &t);
    if (prog_builtin_var(name)) {
        cp_err(ps, t.off, "'%s' is a builtin variable", name);
        free(name);
        return NULL;
    }
    return name;
}

/* capture NAME = /ERE/ | ehlo KW | code */
static int st_capture(struct cp *ps, struct lex *x)
{
    struct prog_step *s = cp_step(ps, PROG_STEP_CAPTURE);
    if (!(s->name = assigned_name(ps, x)))
        return -1;
    struct lex_tok t;
    lex_next(x, &t);
    if (t.kind == LEX_REGEX) {
        s->from = PROG_CAPTURE_REGEX;
        if (regex(ps, x, &t, 0, &s->re, &s->re_src) != 0)
            return -1;
    } else if (lex_is(x, &t, "ehlo")) {
        s->from = PROG_CAPTURE_EHLO;
        lex_next(x, &t);
        if (t.kind != LEX_WORD)
            return want(ps, &t, "an EHLO keyword such as SIZE");
        s->kw = tokdup(x, &t);
    } else if (lex_is(x, &t, "code")) {
        s->from = PROG_CAPTURE_CODE;
    } else {
        return want(ps, &t, "/regex/, ehlo KEYWORD or code after '='");
    }
    cp_define(ps, s->name);
    return 0;
}

static int st_set(struct cp *ps, struct lex *x)
{
    struct prog_step *s = cp_step(ps, PROG_STEP_SET);
    if (!(s->name = assigned_name(ps, x)) || !(s->expr = cp_expr(ps, x)))
        return -1;
    cp_define(ps, s->name);
    return 0;
}

static int st_skip(struct cp *ps, struct lex *x)
{
    return tokens(ps, x, &cp_step(ps, PROG_STEP_SKIP)->tmpl, "skip");
}

static int st_assert(struct cp *ps, struct lex *x)
{
    struct prog_step *s = cp_step(ps, PROG_STEP_ASSERT);
    if (!(s->expr = cp_expr(ps, x)))
        return -1;
    return else_grade(ps, x, &s->grade_false);
}

/* ---- blocks --------------------------------------------------------- */

static int open_brace(struct cp *ps, struct lex *x)
{
    struct lex_tok t;
    lex_next(x, &t);
    if (!lex_punct(x, &t, "{"))
        return want(ps, &t, "'{' at the end of the line");
    return 0;
}

static int st_pipeline(struct cp *ps, struct lex *x)
{
    int idx = (int)ps->c->nsteps;
    cp_step(ps, PROG_STEP_PIPE_BEGIN);
    if (open_brace(ps, x) != 0)
        return -1;
    return cp_block_open(ps, PROG_STEP_PIPE_BEGIN, idx, false);
}

/* repeat EXPR [as NAME] { */
static int st_repeat(struct cp *ps, struct lex *x)
{
    int idx = (int)ps->c->nsteps;
    struct prog_step *s = cp_step(ps, PROG_STEP_REPEAT_BEGIN);
    if (!(s->expr = cp_expr(ps, x)))
        return -1;
    struct lex_tok t;
    lex_peek(x, &t);
    if (lex_is(x, &t, "as")) {
        lex_next(x, &t);
        lex_next(x, &t);
        if (t.kind != LEX_WORD || !cp_is_name(x->p + t.off, t.len))
            return want(ps, &t, "a counter name after as");
        s->name = tokdup(x, &t);
    }
    if (open_brace(ps, x) != 0 ||
        cp_block_open(ps, PROG_STEP_REPEAT_BEGIN, idx, s->name != NULL) != 0)
        return -1;
    if (s->name)
        ps->counters[ps->ncounters++] = s->name;
    return 0;
}

static int st_if(struct cp *ps, struct lex *x)
{
    int idx = (int)ps->c->nsteps;
    struct prog_step *s = cp_step(ps, PROG_STEP_IF_BEGIN);
    if (!(s->expr = cp_expr(ps, x)) || open_brace(ps, x) != 0)
        return -1;
    return cp_block_open(ps, PROG_STEP_IF_BEGIN, idx, false);
}

static int st_brace(struct cp *ps, struct lex *x)
{
    return cp_block_close(ps, x);
}

/* ---- TLS, AUTH, include --------------------------------------------- */

static int st_starttls(struct cp *ps, struct lex *x)
{
    return optional_expect(ps, x, &cp_step(ps, PROG_STEP_STARTTLS)->expect,
                           "220");
}

/* handshake [expect ok|fail [else warn]]: without an expectation a
 * failed handshake is ERROR tls; "expect ok" makes it a finding, and
 * "expect fail" wants it to fail (a success is the finding). */
static int st_handshake(struct cp *ps, struct lex *x)
{
    struct prog_step *s = cp_step(ps, PROG_STEP_HANDSHAKE);
    struct lex_tok t;
    lex_peek(x, &t);
    if (t.kind == LEX_END)
        return 0;
    if (!lex_is(x, &t, "expect"))
        return want(ps, &t, "expect ok, expect fail or the end of the line");
    lex_next(x, &t);
    lex_next(x, &t);
    if (lex_is(x, &t, "ok"))
        s->tls_expect = PROG_TLS_OK;
    else if (lex_is(x, &t, "fail"))
        s->tls_expect = PROG_TLS_FAIL;
    else
        return want(ps, &t, "ok or fail after expect");
    return else_grade(ps, x, &s->grade_false);
}

/* auth MECH [expect ALTS]: MECH is a SASL name (RFC 4422 3.1). */
static int st_auth(struct cp *ps, struct lex *x)
{
    struct prog_step *s = cp_step(ps, PROG_STEP_AUTH);
    struct lex_tok t;
    lex_next(x, &t);
    const char *p = x->p + t.off;
    bool ok = t.kind == LEX_WORD && t.len <= 20;
    for (size_t i = 0; ok && i < t.len; i++)
        ok = (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
             (p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '_';
    if (!ok)
        return want(ps, &t, "a SASL mechanism such as PLAIN or CRAM-MD5");
    s->name = tokdup(x, &t);
    for (char *c = s->name; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 32);
    return optional_expect(ps, x, &s->expect, "235");
}

static int st_include(struct cp *ps, struct lex *x)
{
    struct lex_tok t;
    lex_next(x, &t);
    if (t.kind != LEX_STRING)
        return want(ps, &t, "a \"path\" relative to this file");
    struct buf b;
    size_t end, erroff;
    const char *why;
    buf_init(&b, 4096);
    int rc = lex_string(x->p + t.off, t.len, &b, &end, &erroff, &why);
    if (rc != 0)
        cp_err(ps, t.off + erroff, "%s", why);
    else if (b.len == 0 || memchr(buf_str(&b), '\0', b.len))
        rc = want(ps, &t, "a non-empty path without NUL");
    else if (!lex_at_end(x))
        rc = want(ps, &t, "only a path after include");
    else
        rc = cp_include(ps, buf_str(&b), t.off);
    lex_seek(x, x->n);
    buf_free(&b);
    return rc;
}

/* ---- the statement table -------------------------------------------- */

static const struct stmt {
    const char *kw;
    int (*fn)(struct cp *, struct lex *);
    unsigned flags;
} STMTS[] = {
    {"C:", st_c, SF_CONN},
    {"S:", st_s, SF_KEY | SF_CONN},
    {"send", st_send, SF_CONN},
    {"data", st_data, SF_CONN},
    {"bdat", st_bdat, SF_CONN},
    {"expect", st_expect, SF_KEY}, /* SF_CONN but for arrival and dsn */
    {"open", st_open, SF_NOPIPE},
    {"connect", st_connect, SF_NOPIPE},
    {"use", st_use, SF_NOPIPE},
    {"close", st_close, SF_NOPIPE | SF_CONN},
    {"reconnect", st_reconnect, SF_NOPIPE | SF_CONN},
    {"sleep", st_sleep, SF_NOPIPE},
    {"capture", st_capture, SF_NOPIPE | SF_CONN},
    {"set", st_set, SF_NOPIPE},
    {"skip", st_skip, SF_NOPIPE},
    {"assert", st_assert, SF_KEY | SF_NOPIPE},
    {"pipeline", st_pipeline, SF_NOPIPE | SF_CONN},
    {"repeat", st_repeat, 0},
    {"if", st_if, SF_NOPIPE},
    {"}", st_brace, 0},
    {"starttls", st_starttls, SF_KEY | SF_NOPIPE | SF_CONN},
    {"handshake", st_handshake, SF_KEY | SF_NOPIPE | SF_CONN},
    {"auth", st_auth, SF_KEY | SF_NOPIPE | SF_CONN},
    {"include", st_include, SF_NOPIPE},
};
#define NSTMTS (sizeof STMTS / sizeof STMTS[0])

/* The statement at x->pos: "C:" and "S:" may run into their text. */
static const struct stmt *find_stmt(struct lex *x, struct lex_tok *t)
{
    const char *p = x->p + x->pos;
    size_t left = x->n - x->pos;
    if (left >= 2 && (p[0] == 'C' || p[0] == 'S') && p[1] == ':') {
        t->kind = LEX_WORD;
        t->off = x->pos;
        t->len = 2;
        lex_seek(x, x->pos + 2);
        return &STMTS[p[0] == 'C' ? 0 : 1];
    }
    lex_next(x, t);
    if (t->kind != LEX_WORD && !lex_punct(x, t, "}"))
        return NULL;
    for (size_t i = 0; i < NSTMTS; i++)
        if (strlen(STMTS[i].kw) == t->len &&
            memcmp(STMTS[i].kw, x->p + t->off, t->len) == 0)
            return &STMTS[i];
    return NULL;
}

static int mark_key(struct cp *ps, size_t step, size_t off)
{
    struct prog_case *c = ps->c;
    if (c->key_step >= 0) {
        cp_err(ps, off,
               "a second key assertion (the first is at line %d): "
               "a case has one",
               c->steps[c->key_step].line);
        return -1;
    }
    c->key_step = (int)step;
    c->steps[step].key = true;
    return 0;
}

/* Checks where the statement stands; 0 or -1 (reported). */
static int placement(struct cp *ps, const struct stmt *st, size_t off, bool key)
{
    if (ps->in_pipeline && (st->flags & SF_NOPIPE)) {
        cp_err(ps, off, "%s cannot be used inside pipeline { }", st->kw);
        return -1;
    }
    if (key && !(st->flags & SF_KEY)) {
        cp_err(ps, off,
               "only an expectation (S:, expect, assert, starttls, "
               "handshake, auth) can be the key assertion");
        return -1;
    }
    if (st->flags & SF_CONN)
        return need_conn(ps, off);
    return 0;
}

int cp_statement(struct cp *ps, struct lex *x)
{
    bool key = x->pos < x->n && x->p[x->pos] == '!';
    size_t bang = x->pos;
    if (key) {
        x->pos++;
        while (x->pos < x->n && (x->p[x->pos] == ' ' || x->p[x->pos] == '\t'))
            x->pos++;
    }
    struct lex_tok t;
    const struct stmt *st = find_stmt(x, &t);
    if (!st) {
        if (t.kind == LEX_END)
            cp_err(ps, bang, "want a statement after '!'");
        else
            cp_err(ps, t.off, "unknown statement '%.*s'%s", (int)t.len,
                   x->p + t.off,
                   (t.len >= 2 && (x->p[t.off] == 'c' || x->p[t.off] == 's') &&
                    x->p[t.off + 1] == ':')
                       ? " (C: and S: are upper case)"
                       : "");
        return -1;
    }
    if (placement(ps, st, t.off, key) != 0)
        return -1;
    ps->stmt_off = t.off;
    size_t before = ps->c->nsteps;
    if (st->fn(ps, x) != 0)
        return -1;
    if (!lex_at_end(x)) {
        lex_peek(x, &t);
        cp_err(ps, t.off, "unexpected '%.*s' at the end of the statement",
               (int)(t.len ? t.len : 1), x->p + t.off);
        return -1;
    }
    if (key && ps->c->nsteps > before)
        return mark_key(ps, before, bang);
    return 0;
}
