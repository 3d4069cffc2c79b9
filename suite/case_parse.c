/* case_parse: the case-file driver. Reads the case file and its
 * includes line by line, compiles headers here and statements through
 * case_stmt.c, keeps the block stack, and at the end runs the checks
 * that need the whole case: required headers, the key assertion, and
 * the reply discipline (docs/case-format.md, "Replies"). */
#include "suite/case_parse_int.h"
#include "harness/digest.h"
#include "harness/duration.h"
#include "harness/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors -------------------------------------------------------- */

static void report_chain(struct cp *ps)
{
    for (int i = ps->nframes - 1; i > 0; i--)
        diag_note(ps->d, "included from %s:%d", ps->frames[i - 1].name,
                  ps->frames[i].include_line);
}

void cp_err(struct cp *ps, size_t off, const char *fmt, ...)
{
    char msg[DIAG_MAX_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const struct lex_line *l = ps->line;
    struct diag_loc loc = {cp_top(ps)->name,
                           l->lineno,
                           diag_col(l->p, off > l->len ? l->len : off),
                           l->p,
                           l->len,
                           false};
    diag_error(ps->d, &loc, "%s", msg);
    report_chain(ps);
}

void cp_err_step(struct cp *ps, size_t i, const char *fmt, ...)
{
    char msg[DIAG_MAX_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const struct prog_step *s = &ps->c->steps[i];
    const char *src = ps->srcs[i];
    struct diag_loc loc = {s->file, s->line, s->col, src, strlen(src), false};
    diag_error(ps->d, &loc, "%s", msg);
}

struct cp_frame *cp_top(struct cp *ps)
{
    return &ps->frames[ps->nframes - 1];
}

/* ---- helpers shared with case_stmt.c -------------------------------- */

bool cp_is_name(const char *p, size_t n)
{
    if (n == 0 || n > 64 ||
        !((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z') ||
          p[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
              (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
            return false;
    return true;
}

struct prog_step *cp_step(struct cp *ps, enum prog_step_kind k)
{
    struct prog_case *c = ps->c;
    struct prog_step *s = prog_step_add(c, k);
    const struct lex_line *l = ps->line;
    size_t ind = 0;
    while (ind < l->len && (l->p[ind] == ' ' || l->p[ind] == '\t'))
        ind++;
    s->file = cp_top(ps)->name;
    s->line = l->lineno;
    s->col = diag_col(l->p, ind);
    xgrow(&ps->srcs, &ps->capsrcs, c->nsteps, sizeof *ps->srcs);
    ps->srcs[c->nsteps - 1] = xstrndup(l->p, l->len);
    return s;
}

void cp_define(struct cp *ps, const char *name)
{
    for (size_t i = 0; i < ps->nvars; i++)
        if (strcmp(ps->vars[i], name) == 0)
            return;
    xgrow(&ps->vars, &ps->capvars, ps->nvars + 1, sizeof *ps->vars);
    ps->vars[ps->nvars++] = xstrdup(name);
}

static bool in_scope(struct cp *ps, const char *name)
{
    struct prog_case *c = ps->c;
    if (prog_builtin_var(name))
        return true;
    for (size_t i = 0; i < c->nfixtures; i++)
        if (strcmp(c->fixtures[i], name) == 0)
            return true;
    for (size_t i = 0; i < ps->nvars; i++)
        if (strcmp(ps->vars[i], name) == 0)
            return true;
    for (int i = 0; i < ps->ncounters; i++)
        if (strcmp(ps->counters[i], name) == 0)
            return true;
    return false;
}

int cp_check_vars(struct cp *ps, const struct prog_expr *e)
{
    if (!e)
        return 0;
    int rc = 0;
    if (e->kind == PROG_EXPR_VAR && !in_scope(ps, e->sval)) {
        /* e->col is a character column: find its byte offset */
        size_t off = 0;
        for (int col = 1; col < e->col && off < ps->line->len; col++) {
            off++;
            while (off < ps->line->len &&
                   ((unsigned char)ps->line->p[off] & 0xC0) == 0x80)
                off++;
        }
        cp_err(ps, off,
               "variable '%s' is not declared: list it in fixtures:, or "
               "capture or set it before this line",
               e->sval);
        rc = -1;
    }
    rc |= cp_check_vars(ps, e->a);
    rc |= cp_check_vars(ps, e->b);
    for (size_t i = 0; i < e->nargs; i++)
        rc |= cp_check_vars(ps, e->args[i]);
    return rc ? -1 : 0;
}

struct prog_expr *cp_expr(struct cp *ps, struct lex *x)
{
    struct case_expr_err err;
    size_t pos = x->pos;
    struct prog_expr *e =
        case_expr_parse(x->p, x->n, &pos, ps->line->lineno, &err);
    if (!e) {
        cp_err(ps, err.off, "%s", err.msg);
        return NULL;
    }
    lex_seek(x, pos);
    if (cp_check_vars(ps, e) != 0) {
        prog_expr_free(e);
        return NULL;
    }
    return e;
}

/* ---- headers -------------------------------------------------------- */

struct hval {
    const char *p; /* the value, trimmed, without a trailing comment */
    size_t n;
    size_t off; /* of the value in the line */
};

static char *hstr(const struct hval *v)
{
    return xstrndup(v->p, v->n);
}

static int h_id(struct cp *ps, const struct hval *v)
{
    for (size_t i = 0; i < v->n; i++) {
        char ch = v->p[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                  (i > 0 && (ch == '.' || ch == '_' || ch == '-'));
        if (!ok) {
            cp_err(ps, v->off + i,
                   "an id is lower-case letters, digits and . _ - "
                   "(starting with a letter or digit)");
            return -1;
        }
    }
    if (v->n == 0 || v->n > CASE_MAX_ID) {
        cp_err(ps, v->off,
               v->n ? "id longer than 128 characters" : "the id is empty");
        return -1;
    }
    ps->c->id = hstr(v);
    ps->c->line = ps->line->lineno;
    return 0;
}

static int h_text(struct cp *ps, const struct hval *v, char **dst,
                  const char *what)
{
    if (v->n == 0) {
        cp_err(ps, v->off, "the %s is empty", what);
        return -1;
    }
    *dst = hstr(v);
    return 0;
}

static int h_title(struct cp *ps, const struct hval *v)
{
    return h_text(ps, v, &ps->c->title, "title");
}

static int h_rfc(struct cp *ps, const struct hval *v)
{
    return h_text(ps, v, &ps->c->rfc, "rfc reference");
}

static int h_severity(struct cp *ps, const struct hval *v)
{
    static const char *const N[] = {"must", "should", "may", "sec"};
    for (size_t i = 0; i < 4; i++)
        if (strlen(N[i]) == v->n && memcmp(N[i], v->p, v->n) == 0) {
            ps->c->severity = (enum prog_severity)i;
            return 0;
        }
    cp_err(ps, v->off,
           "unknown severity '%.*s' (want must, should, may or sec)", (int)v->n,
           v->p);
    return -1;
}

/* Calls fn for each whitespace-separated word of v. */
static int each_word(struct cp *ps, const struct hval *v,
                     int (*fn)(struct cp *, const char *, size_t, size_t))
{
    int rc = 0;
    for (size_t i = 0; i < v->n;) {
        while (i < v->n && (v->p[i] == ' ' || v->p[i] == '\t'))
            i++;
        size_t j = i;
        while (j < v->n && v->p[j] != ' ' && v->p[j] != '\t')
            j++;
        if (j > i && fn(ps, v->p + i, j - i, v->off + i) != 0)
            rc = -1;
        i = j;
    }
    return rc;
}

static int add_tag(struct cp *ps, const char *p, size_t n, size_t off)
{
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || (i > 0 && strchr(":._-", ch)))) {
            cp_err(ps, off + i,
                   "a tag is letters, digits and : . _ - "
                   "(starting with a letter or digit)");
            return -1;
        }
    }
    struct prog_case *c = ps->c;
    for (size_t i = 0; i < c->ntags; i++)
        if (strlen(c->tags[i]) == n && memcmp(c->tags[i], p, n) == 0)
            return 0;
    xgrow(&c->tags, &c->captags, c->ntags + 1, sizeof *c->tags);
    c->tags[c->ntags++] = xstrndup(p, n);
    return 0;
}

static int h_tags(struct cp *ps, const struct hval *v)
{
    return each_word(ps, v, add_tag);
}

static int add_fixture(struct cp *ps, const char *p, size_t n, size_t off)
{
    if (!cp_is_name(p, n)) {
        cp_err(ps, off, "a fixture is a variable name (letters, digits, _)");
        return -1;
    }
    char *name = xstrndup(p, n);
    if (prog_builtin_var(name)) {
        cp_err(ps, off, "'%s' is a builtin variable, not a fixture", name);
        free(name);
        return -1;
    }
    struct prog_case *c = ps->c;
    xgrow(&c->fixtures, &c->capfixtures, c->nfixtures + 1, sizeof *c->fixtures);
    c->fixtures[c->nfixtures++] = name;
    return 0;
}

static int h_fixtures(struct cp *ps, const struct hval *v)
{
    return each_word(ps, v, add_fixture);
}

/* An EHLO keyword (RFC 5321 4.1.1.1: ALPHA / DIGIT, then also "-"). */
static bool is_ehlo_kw(const char *p, size_t n)
{
    if (n == 0 || n > 64 || p[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
              (p[i] >= '0' && p[i] <= '9') || p[i] == '-'))
            return false;
    return true;
}

/* One "KEYWORD [PARAM]" of requires:. */
static int add_require(struct cp *ps, const char *p, size_t n, size_t off)
{
    size_t k = 0;
    while (k < n && p[k] != ' ' && p[k] != '\t')
        k++;
    size_t q = k;
    while (q < n && (p[q] == ' ' || p[q] == '\t'))
        q++;
    size_t pe = q;
    while (pe < n && p[pe] != ' ' && p[pe] != '\t')
        pe++;
    if (!is_ehlo_kw(p, k)) {
        cp_err(ps, off,
               "want an EHLO keyword (letters, digits, -) such as "
               "PIPELINING or AUTH PLAIN");
        return -1;
    }
    if (pe < n) {
        while (pe < n && (p[pe] == ' ' || p[pe] == '\t'))
            pe++;
        cp_err(ps, off + pe, "want ',' between requirements");
        return -1;
    }
    struct prog_case *c = ps->c;
    xgrow(&c->requires, &c->caprequires, c->nrequires + 1, sizeof *c->requires);
    struct prog_require *r = &c->requires[c->nrequires++];
    r->kw = xstrndup(p, k);
    r->param = q < n ? xstrndup(p + q, pe - q) : NULL;
    return 0;
}

static int h_requires(struct cp *ps, const struct hval *v)
{
    if (v->n == 4 && memcmp(v->p, "none", 4) == 0)
        return 0;
    int rc = 0;
    for (size_t i = 0; i <= v->n;) {
        size_t j = i;
        while (j < v->n && v->p[j] != ',')
            j++;
        size_t a = i, b = j;
        while (a < b && (v->p[a] == ' ' || v->p[a] == '\t'))
            a++;
        while (b > a && (v->p[b - 1] == ' ' || v->p[b - 1] == '\t'))
            b--;
        if (a == b) {
            cp_err(ps, v->off + a,
                   "an empty requirement (want KEYWORD "
                   "[PARAM], ... or none)");
            return -1;
        }
        if (add_require(ps, v->p + a, b - a, v->off + a) != 0)
            rc = -1;
        i = j + 1;
    }
    return rc;
}

static int h_timeout(struct cp *ps, const struct hval *v)
{
    char s[64], err[160];
    snprintf(s, sizeof s, "%.*s", (int)v->n, v->p);
    int64_t us;
    if (v->n >= sizeof s || duration_parse(s, &us, err, sizeof err) != 0) {
        cp_err(ps, v->off, "%s", v->n >= sizeof s ? "not a duration" : err);
        return -1;
    }
    if (us <= 0) {
        cp_err(ps, v->off, "the timeout must be longer than zero");
        return -1;
    }
    ps->c->timeout_us = us;
    return 0;
}

static const struct header {
    const char *name;
    int (*fn)(struct cp *, const struct hval *);
    bool required;
} HEADERS[] = {
    {"id", h_id, true},
    {"title", h_title, true},
    {"rfc", h_rfc, true},
    {"severity", h_severity, true},
    {"tags", h_tags, false},
    {"requires", h_requires, false},
    {"fixtures", h_fixtures, false},
    {"timeout", h_timeout, false},
};
#define NHEADERS (sizeof HEADERS / sizeof HEADERS[0])

/* Length of "name" when the line at i looks like "name:" + space/end. */
static size_t header_like(const struct lex_line *l, size_t i)
{
    size_t j = i;
    while (j < l->len && ((l->p[j] >= 'a' && l->p[j] <= 'z') ||
                          l->p[j] == '-' || l->p[j] == '_'))
        j++;
    if (j == i || j >= l->len || l->p[j] != ':')
        return 0;
    if (j + 1 < l->len && l->p[j + 1] != ' ' && l->p[j + 1] != '\t')
        return 0;
    return j - i;
}

static void header_value(const struct lex_line *l, size_t from, struct hval *v)
{
    size_t i = from;
    while (i < l->len && (l->p[i] == ' ' || l->p[i] == '\t'))
        i++;
    size_t e = i;
    while (e < l->len && !(l->p[e] == '#' && e > 0 &&
                           (l->p[e - 1] == ' ' || l->p[e - 1] == '\t')))
        e++;
    while (e > i && (l->p[e - 1] == ' ' || l->p[e - 1] == '\t'))
        e--;
    v->p = l->p + i;
    v->n = e - i;
    v->off = i;
}

static void header(struct cp *ps, size_t i, size_t klen)
{
    const struct lex_line *l = ps->line;
    for (size_t h = 0; h < NHEADERS; h++) {
        if (strlen(HEADERS[h].name) != klen ||
            memcmp(HEADERS[h].name, l->p + i, klen) != 0)
            continue;
        if (ps->steps_started) {
            cp_err(ps, i,
                   "header '%s' after the first step: headers come "
                   "first",
                   HEADERS[h].name);
            return;
        }
        if (ps->seen_headers & (1u << h)) {
            cp_err(ps, i, "header '%s' given twice", HEADERS[h].name);
            return;
        }
        ps->seen_headers |= 1u << h;
        struct hval v;
        header_value(l, i + klen + 1, &v);
        HEADERS[h].fn(ps, &v);
        return;
    }
    cp_err(ps, i,
           "unknown header '%.*s' (known: id, title, rfc, severity, "
           "tags, requires, fixtures, timeout)%s",
           (int)klen, l->p + i, klen == 1 ? "; C: and S: are upper case" : "");
}

/* ---- lines and files ------------------------------------------------ */

static void line(struct cp *ps, const struct lex_line *l)
{
    ps->line = l;
    const char *why;
    long bad = lex_check_line(l->p, l->len, &why);
    if (bad >= 0) {
        cp_err(ps, (size_t)bad, "%s", why);
        return;
    }
    size_t i = 0;
    while (i < l->len && (l->p[i] == ' ' || l->p[i] == '\t'))
        i++;
    if (i == l->len || l->p[i] == '#')
        return;
    size_t klen = header_like(l, i);
    if (klen) {
        header(ps, i, klen);
        return;
    }
    struct lex x;
    lex_init(&x, l->p, l->len, i);
    size_t before = ps->c->nsteps;
    /* one statement, one step; an include's steps have their own text */
    if (cp_statement(ps, &x) == 0 && ps->c->nsteps == before + 1 &&
        !ps->c->steps[before].text) {
        size_t e = x.end; /* C: lines keep their trailing spaces */
        ps->c->steps[before].text = xstrndup(l->p + i, e - i);
    }
    ps->steps_started = true;
}

static void unclosed_blocks(struct cp *ps, int downto)
{
    while (ps->nblocks > downto) {
        struct cp_block *b = &ps->blocks[--ps->nblocks];
        cp_err_step(ps, (size_t)b->step,
                    "this block is never closed (want "
                    "'}' in the same file)");
        if (b->has_counter)
            ps->ncounters--;
        if (b->kind == PROG_STEP_PIPE_BEGIN)
            ps->in_pipeline = 0;
    }
}

static bool too_many_errors(struct cp *ps)
{
    if (ps->gave_up)
        return true;
    if (ps->d->nerrors - ps->errors0 < CASE_MAX_ERRORS)
        return false;
    diag_plain(ps->d, ps->frames[0].name,
               "too many errors; giving up on "
               "this file");
    ps->gave_up = true;
    return true;
}

/* Reads every line of the top frame. */
static void run_frame(struct cp *ps)
{
    struct cp_frame *f = cp_top(ps);
    struct lex_line l;
    while (!too_many_errors(ps) && lex_next_line(&f->src, &l)) {
        line(ps, &l);
        if (ps->c->nsteps > CASE_MAX_STEPS) {
            cp_err(ps, 0, "more than %d steps", CASE_MAX_STEPS);
            ps->gave_up = true;
        }
    }
    if (!ps->gave_up)
        unclosed_blocks(ps, f->nblocks);
}

static const char *add_file(struct prog_case *c, const char *name)
{
    for (size_t i = 0; i < c->nfiles; i++)
        if (strcmp(c->files[i], name) == 0)
            return c->files[i];
    xgrow(&c->files, &c->capfiles, c->nfiles + 1, sizeof *c->files);
    c->files[c->nfiles] = xstrdup(name);
    return c->files[c->nfiles++];
}

static void push_frame(struct cp *ps, const char *name, const char *buf,
                       size_t len, char *owned, int include_line)
{
    struct cp_frame *f = &ps->frames[ps->nframes++];
    size_t nfiles = ps->c->nfiles;
    f->name = add_file(ps->c, name);
    if (ps->c->nfiles > nfiles)
        buf_add(&ps->hashbuf, buf, len);
    f->owned = owned;
    lex_src_init(&f->src, buf, len);
    f->include_line = include_line;
    f->nblocks = ps->nblocks;
    ps->total += len;
}

char *case_path_join(const char *including, const char *rel)
{
    struct buf full;
    buf_init(&full, 1u << 16);
    const char *slash = strrchr(including, '/');
    if (rel[0] != '/' && slash)
        buf_add(&full, including, (size_t)(slash - including) + 1);
    buf_adds(&full, rel);
    const char *p = buf_str(&full);
    bool abs = p[0] == '/';
    /* a stack of components; ".." pops one unless there is none */
    size_t ncomp = 0, cap = 0;
    struct comp {
        const char *p;
        size_t n;
    } *comp = NULL;
    while (*p) {
        size_t n = strcspn(p, "/");
        bool dotdot = n == 2 && p[0] == '.' && p[1] == '.';
        if (n == 0 || (n == 1 && p[0] == '.')) {
            /* skip */
        } else if (dotdot && ncomp &&
                   !(comp[ncomp - 1].n == 2 &&
                     memcmp(comp[ncomp - 1].p, "..", 2) == 0)) {
            ncomp--;
        } else if (!(dotdot && abs)) {
            xgrow(&comp, &cap, ncomp + 1, sizeof *comp);
            comp[ncomp].p = p;
            comp[ncomp++].n = n;
        }
        p += n + (p[n] == '/');
    }
    struct buf out;
    buf_init(&out, 1u << 16);
    if (abs)
        buf_addc(&out, '/');
    for (size_t i = 0; i < ncomp; i++) {
        if (i)
            buf_addc(&out, '/');
        buf_add(&out, comp[i].p, comp[i].n);
    }
    if (out.len == 0)
        buf_addc(&out, '.');
    free(comp);
    buf_free(&full);
    return buf_detach(&out);
}

static void chain_text(struct cp *ps, const char *last, char *out, size_t n)
{
    size_t k = 0;
    out[0] = '\0';
    for (int i = 0; i < ps->nframes && k < n; i++)
        k += (size_t)snprintf(out + k, n - k, "%s -> ", ps->frames[i].name);
    if (k < n)
        snprintf(out + k, n - k, "%s", last);
}

int cp_include(struct cp *ps, const char *rel, size_t off)
{
    char err[256], chain[1024];
    if (!ps->params->read) {
        cp_err(ps, off, "include is not available here");
        return -1;
    }
    char *path = case_path_join(cp_top(ps)->name, rel);
    int rc = -1;
    chain_text(ps, path, chain, sizeof chain);
    for (int i = 0; i < ps->nframes; i++) {
        char *norm = case_path_join("", ps->frames[i].name);
        bool same = strcmp(norm, path) == 0;
        free(norm);
        if (same) {
            cp_err(ps, off, "include cycle: %s", chain);
            goto done;
        }
    }
    if (ps->nframes > CASE_MAX_INCLUDE_DEPTH) {
        cp_err(ps, off, "includes nested deeper than %d: %s",
               CASE_MAX_INCLUDE_DEPTH, chain);
        goto done;
    }
    char *buf = NULL;
    size_t len = 0;
    if (ps->params->read(ps->params->arg, path, &buf, &len, err, sizeof err)) {
        cp_err(ps, off, "cannot include '%s': %s", path, err);
        goto done;
    }
    if (len > CASE_MAX_FILE || ps->total + len > CASE_MAX_TOTAL) {
        cp_err(ps, off, "cannot include '%s': %s", path,
               len > CASE_MAX_FILE ? "larger than 1 MiB"
                                   : "the case and its includes pass 16 MiB");
        free(buf);
        goto done;
    }
    const struct lex_line *saved = ps->line;
    push_frame(ps, path, buf, len, buf, saved->lineno);
    run_frame(ps);
    ps->nframes--;
    free(buf);
    ps->line = saved;
    rc = 0;
done:
    free(path);
    return rc;
}

/* ---- blocks --------------------------------------------------------- */

int cp_block_open(struct cp *ps, enum prog_step_kind k, int step, bool counter)
{
    if (ps->nblocks == CASE_MAX_NESTING) {
        cp_err(ps, 0, "blocks nested deeper than %d", CASE_MAX_NESTING);
        return -1;
    }
    struct cp_block *b = &ps->blocks[ps->nblocks++];
    b->kind = k;
    b->step = step;
    b->else_step = -1;
    b->has_counter = counter;
    if (k == PROG_STEP_PIPE_BEGIN)
        ps->in_pipeline = 1;
    return 0;
}

static const enum prog_step_kind END_OF[PROG_STEP_COUNT] = {
    [PROG_STEP_PIPE_BEGIN] = PROG_STEP_PIPE_END,
    [PROG_STEP_REPEAT_BEGIN] = PROG_STEP_REPEAT_END,
    [PROG_STEP_IF_BEGIN] = PROG_STEP_IF_END,
};

/* "}" or "} else {" (x is after the "}"). */
int cp_block_close(struct cp *ps, struct lex *x)
{
    struct lex_tok t;
    size_t off = x->pos - 1;
    if (ps->nblocks <= cp_top(ps)->nblocks) {
        cp_err(ps, off, "'}' closes no block");
        return -1;
    }
    struct cp_block *b = &ps->blocks[ps->nblocks - 1];
    struct prog_case *c = ps->c;
    lex_next(x, &t);
    if (lex_is(x, &t, "else")) {
        lex_next(x, &t);
        if (b->kind != PROG_STEP_IF_BEGIN || b->else_step >= 0) {
            cp_err(ps, off,
                   b->kind == PROG_STEP_IF_BEGIN
                       ? "a second else for one if"
                       : "else closes a block that is not an if");
            return -1;
        }
        if (!lex_punct(x, &t, "{") || !lex_at_end(x)) {
            cp_err(ps, t.off, "want '{' at the end of '} else {'");
            return -1;
        }
        b->else_step = (int)c->nsteps;
        cp_step(ps, PROG_STEP_ELSE);
        c->steps[b->step].jump = b->else_step;
        return 0;
    }
    if (t.kind != LEX_END) {
        cp_err(ps, t.off, "want nothing after '}' but 'else {'");
        return -1;
    }
    int end = (int)c->nsteps;
    cp_step(ps, END_OF[b->kind])->jump = b->step;
    if (b->else_step >= 0)
        c->steps[b->else_step].jump = end;
    else
        c->steps[b->step].jump = end;
    if (b->has_counter)
        ps->ncounters--;
    if (b->kind == PROG_STEP_PIPE_BEGIN)
        ps->in_pipeline = 0;
    ps->nblocks--;
    return 0;
}

/* ---- the reply discipline ------------------------------------------ */

/* Statically, per connection: the step of a command whose reply no
 * expectation has claimed yet (-1: none). */
struct flow {
    int cur;
    int pending[PROG_MAX_CONNS];
    bool dead; /* the path ended (skip) */
};

static void flow_walk(struct cp *ps, size_t from, size_t to, struct flow *f,
                      bool *reported);

static void flow_report(struct cp *ps, size_t i, int pending, bool *reported)
{
    if (reported[i])
        return;
    reported[i] = true;
    cp_err_step(ps, i,
                "a command is sent before the reply to line %d is expected: "
                "add S: (or expect close, expect silence) after line %d, or "
                "put both in pipeline { }",
                ps->c->steps[pending].line, ps->c->steps[pending].line);
}

static bool is_send(enum prog_step_kind k)
{
    return k == PROG_STEP_SEND || k == PROG_STEP_RAW || k == PROG_STEP_DATA ||
           k == PROG_STEP_BDAT;
}

static bool is_expect(enum prog_step_kind k)
{
    return k == PROG_STEP_EXPECT || k == PROG_STEP_EXPECT_CLOSE ||
           k == PROG_STEP_EXPECT_SILENCE;
}

/* A pipeline as one unit: its first send must find nothing pending; it
 * leaves a reply pending when a send follows its last expectation. */
static void flow_pipeline(struct cp *ps, size_t b, struct flow *f,
                          bool *reported)
{
    struct prog_step *s = ps->c->steps;
    size_t e = (size_t)s[b].jump;
    int first = -1, last = -1;
    for (size_t i = b + 1; i < e; i++) {
        if (is_send(s[i].kind)) {
            if (first < 0)
                first = (int)i;
            last = (int)i;
        } else if (is_expect(s[i].kind)) {
            last = -1;
        }
    }
    if (first >= 0 && f->pending[f->cur] >= 0)
        flow_report(ps, (size_t)first, f->pending[f->cur], reported);
    if (first >= 0)
        f->pending[f->cur] = last;
}

static void flow_merge(struct flow *f, const struct flow *a,
                       const struct flow *b)
{
    if (a->dead) {
        *f = *b;
        return;
    }
    *f = *a;
    if (b->dead)
        return;
    for (int i = 0; i < PROG_MAX_CONNS; i++)
        if (f->pending[i] < 0)
            f->pending[i] = b->pending[i];
}

static size_t flow_block(struct cp *ps, size_t i, struct flow *f,
                         bool *reported)
{
    struct prog_step *s = ps->c->steps;
    size_t end = (size_t)s[i].jump;
    if (s[i].kind == PROG_STEP_PIPE_BEGIN) {
        flow_pipeline(ps, i, f, reported);
    } else if (s[i].kind == PROG_STEP_REPEAT_BEGIN) {
        flow_walk(ps, i + 1, end, f, reported);
        struct flow again = *f; /* the next round starts here */
        if (!f->dead && f->pending[f->cur] >= 0)
            flow_walk(ps, i + 1, end, &again, reported);
    } else if (s[end].kind == PROG_STEP_ELSE) {
        struct flow a = *f, b = *f;
        size_t fin = (size_t)s[end].jump;
        flow_walk(ps, i + 1, end, &a, reported);
        flow_walk(ps, end + 1, fin, &b, reported);
        flow_merge(f, &a, &b);
        end = fin;
    } else {
        struct flow a = *f, skip = *f;
        flow_walk(ps, i + 1, end, &a, reported);
        flow_merge(f, &a, &skip);
    }
    return end;
}

static void flow_walk(struct cp *ps, size_t from, size_t to, struct flow *f,
                      bool *reported)
{
    struct prog_step *s = ps->c->steps;
    for (size_t i = from; i < to && !f->dead; i++) {
        enum prog_step_kind k = s[i].kind;
        int *pend = &f->pending[f->cur];
        if (is_send(k) || k == PROG_STEP_STARTTLS || k == PROG_STEP_AUTH) {
            if (*pend >= 0)
                flow_report(ps, i, *pend, reported);
            *pend = is_send(k) ? (int)i : -1;
        } else if (is_expect(k) || k == PROG_STEP_CLOSE ||
                   k == PROG_STEP_RECONNECT) {
            *pend = -1;
        } else if (k == PROG_STEP_OPEN || k == PROG_STEP_CONNECT ||
                   k == PROG_STEP_USE) {
            if (s[i].conn >= 0)
                f->cur = s[i].conn;
            if (k != PROG_STEP_USE)
                f->pending[f->cur] = -1;
        } else if (k == PROG_STEP_SKIP) {
            f->dead = true;
        } else if (k == PROG_STEP_PIPE_BEGIN || k == PROG_STEP_REPEAT_BEGIN ||
                   k == PROG_STEP_IF_BEGIN) {
            i = flow_block(ps, i, f, reported);
        }
    }
}

static void check_flow(struct cp *ps)
{
    struct prog_case *c = ps->c;
    bool *reported = xcalloc(c->nsteps + 1, sizeof *reported);
    struct flow f = {.cur = 0};
    for (int i = 0; i < PROG_MAX_CONNS; i++)
        f.pending[i] = -1;
    flow_walk(ps, 0, c->nsteps, &f, reported);
    for (int i = 0; i < PROG_MAX_CONNS && !f.dead; i++)
        if (f.pending[i] >= 0 && !reported[f.pending[i]])
            cp_err_step(ps, (size_t)f.pending[i],
                        "the reply to this command is never expected: add "
                        "an S: line after it (or expect close)");
    free(reported);
}

/* ---- the whole case ------------------------------------------------- */

static void check_case(struct cp *ps)
{
    struct prog_case *c = ps->c;
    struct diag_loc top = {ps->frames[0].name, 1, 1, NULL, 0, false};
    for (size_t h = 0; h < NHEADERS; h++)
        if (HEADERS[h].required && !(ps->seen_headers & (1u << h)))
            diag_error(ps->d, &top,
                       "missing header '%s' (every case has id, "
                       "title, rfc and severity)",
                       HEADERS[h].name);
    if (c->nsteps == 0) {
        diag_error(ps->d, &top, "the case has no steps");
        return;
    }
    if (c->key_step >= 0 && c->severity == PROG_SEV_MAY)
        cp_err_step(ps, (size_t)c->key_step,
                    "a severity: may case observes and has no key assertion");
    /* the discipline walks block jumps: only on a program without errors */
    if (ps->d->nerrors == ps->errors0)
        check_flow(ps);
}

static void cp_free(struct cp *ps)
{
    for (size_t i = 0; i < ps->nvars; i++)
        free(ps->vars[i]);
    free(ps->vars);
    for (size_t i = 0; i < ps->c->nsteps; i++)
        free(ps->srcs[i]);
    free(ps->srcs);
    buf_free(&ps->hashbuf);
}

struct prog_case *case_parse(const struct case_parse_params *p, struct diag *d)
{
    struct cp ps;
    memset(&ps, 0, sizeof ps);
    ps.c = prog_case_new();
    ps.d = d;
    ps.params = p;
    ps.errors0 = d->nerrors;
    ps.c->file = xstrdup(p->file);
    buf_init(&ps.hashbuf, CASE_MAX_TOTAL);
    if (p->len > CASE_MAX_FILE) {
        diag_plain(d, p->file, "larger than 1 MiB: not a case file");
        cp_free(&ps);
        prog_case_free(ps.c);
        return NULL;
    }
    push_frame(&ps, p->file, p->buf, p->len, NULL, 0);
    run_frame(&ps);
    if (!ps.gave_up)
        check_case(&ps);
    char hex[DIGEST_SHA256_HEX];
    digest_sha256_hex(ps.hashbuf.data ? ps.hashbuf.data : "", ps.hashbuf.len,
                      hex);
    ps.c->hash = xstrdup(hex);
    struct prog_case *c = ps.c;
    cp_free(&ps);
    if (d->nerrors > ps.errors0) {
        prog_case_free(c);
        return NULL;
    }
    return c;
}
