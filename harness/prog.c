/* prog: the step program: construction, expression evaluation, reply
 * matching and dot-stuffing (see prog.h). */
#include "harness/prog.h"
#include "harness/arrival_eval.h"
#include "harness/bytes.h"
#include "harness/xalloc.h"

#include <openssl/evp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct prog_func PROG_FUNCS[] = {
    {"fill", 1, 2}, {"cat", 1, 16}, {"b64", 1, 1},   {"len", 1, 1},
    {"lower", 1, 1}, {"upper", 1, 1}, {"has", 1, 2}, {"param", 1, 1},
    {"code", 0, 0},  {"contains", 2, 2}, {"starts", 2, 2}, {"ends", 2, 2},
    {"tls_version", 0, 0}, {"tls_verified", 0, 0}, {"tls_cipher", 0, 0},
#define X(n, a) {n, a, a},
    ARRIVAL_EVAL_LIST(X)
#undef X
};
const size_t PROG_NFUNCS = sizeof PROG_FUNCS / sizeof PROG_FUNCS[0];

const struct prog_func *prog_func_find(const char *name)
{
    for (size_t i = 0; i < PROG_NFUNCS; i++)
        if (strcmp(PROG_FUNCS[i].name, name) == 0)
            return &PROG_FUNCS[i];
    return NULL;
}

int prog_builtin_var(const char *name)
{
    static const char *const B[] = {
#define X(s) s,
        PROG_BUILTIN_VARS(X)
#undef X
    };
    for (size_t i = 0; i < sizeof B / sizeof B[0]; i++)
        if (strcmp(B[i], name) == 0)
            return 1;
    return 0;
}

static const char *const STEP_NAMES[] = {
#define X(e, s) s,
    PROG_STEP_LIST(X)
#undef X
};

const char *prog_step_kind_name(enum prog_step_kind k)
{
    return (unsigned)k < PROG_STEP_COUNT ? STEP_NAMES[k] : "?";
}

const char *prog_severity_name(enum prog_severity s)
{
    static const char *const N[] = {"must", "should", "may", "sec"};
    return (unsigned)s < 4 ? N[s] : "?";
}

/* ---- construction ------------------------------------------------------ */

struct prog_case *prog_case_new(void)
{
    struct prog_case *c = xcalloc(1, sizeof *c);
    c->key_step = -1;
    c->conns[0] = xstrdup("main");
    c->nconns = 1;
    return c;
}

void prog_expr_free(struct prog_expr *e)
{
    if (!e)
        return;
    free(e->sval);
    prog_expr_free(e->a);
    prog_expr_free(e->b);
    for (size_t i = 0; i < e->nargs; i++)
        prog_expr_free(e->args[i]);
    free(e->args);
    free(e);
}

static void tmpl_free(struct prog_tmpl *t)
{
    for (size_t i = 0; i < t->nsegs; i++) {
        free(t->segs[i].lit);
        prog_expr_free(t->segs[i].expr);
    }
    free(t->segs);
}

static void regex_free(regex_t *re)
{
    if (re) {
        regfree(re);
        free(re);
    }
}

static void expect_free(struct prog_expect *e)
{
    for (size_t i = 0; i < e->nalts; i++) {
        regex_free(e->alts[i].re);
        free(e->alts[i].re_src);
        free(e->alts[i].text);
    }
    free(e->alts);
}

static void step_free(struct prog_step *s)
{
    tmpl_free(&s->tmpl);
    prog_expr_free(s->expr);
    expect_free(&s->expect);
    free(s->name);
    regex_free(s->re);
    free(s->re_src);
    free(s->kw);
    free(s->param);
    free(s->text);
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void prog_case_free(struct prog_case *c)
{
    if (!c)
        return;
    free(c->id);
    free(c->title);
    free(c->rfc);
    strv_free(c->tags, c->ntags);
    for (size_t i = 0; i < c->nrequires; i++) {
        free(c->requires[i].kw);
        free(c->requires[i].param);
    }
    free(c->requires);
    strv_free(c->fixtures, c->nfixtures);
    for (size_t i = 0; i < c->nconns; i++)
        free(c->conns[i]);
    free(c->file);
    free(c->hash);
    strv_free(c->files, c->nfiles);
    for (size_t i = 0; i < c->nsteps; i++)
        step_free(&c->steps[i]);
    free(c->steps);
    free(c);
}

struct prog_step *prog_step_add(struct prog_case *c, enum prog_step_kind k)
{
    xgrow(&c->steps, &c->capsteps, c->nsteps + 1, sizeof *c->steps);
    struct prog_step *s = &c->steps[c->nsteps++];
    memset(s, 0, sizeof *s);
    s->kind = k;
    s->conn = -1;
    s->jump = -1;
    s->tls_mode = -1;
    s->proxy = -1;
    s->dot_stuff = true;
    s->grade_false = PROG_GRADE_FAIL;
    return s;
}

struct prog_match *prog_match_add(struct prog_expect *e)
{
    xgrow(&e->alts, &e->capalts, e->nalts + 1, sizeof *e->alts);
    struct prog_match *m = &e->alts[e->nalts++];
    memset(m, 0, sizeof *m);
    return m;
}

static struct prog_seg *seg_add(struct prog_tmpl *t)
{
    xgrow(&t->segs, &t->capsegs, t->nsegs + 1, sizeof *t->segs);
    struct prog_seg *s = &t->segs[t->nsegs++];
    memset(s, 0, sizeof *s);
    return s;
}

void prog_tmpl_add_lit(struct prog_tmpl *t, const char *p, size_t n)
{
    if (n == 0)
        return;
    if (t->nsegs && !t->segs[t->nsegs - 1].expr) {
        struct prog_seg *s = &t->segs[t->nsegs - 1];
        s->lit = xrealloc(s->lit, s->len + n + 1);
        memcpy(s->lit + s->len, p, n);
        s->len += n;
        s->lit[s->len] = '\0';
        return;
    }
    struct prog_seg *s = seg_add(t);
    s->lit = xstrndup(p, n);
    s->len = n;
}

void prog_tmpl_add_expr(struct prog_tmpl *t, struct prog_expr *e)
{
    seg_add(t)->expr = e;
}

struct prog_expr *prog_expr_new(enum prog_expr_kind k, int line, int col)
{
    struct prog_expr *e = xcalloc(1, sizeof *e);
    e->kind = k;
    e->line = line;
    e->col = col;
    return e;
}

int prog_conn_index(struct prog_case *c, const char *name)
{
    for (size_t i = 0; i < c->nconns; i++)
        if (strcmp(c->conns[i], name) == 0)
            return (int)i;
    if (c->nconns == PROG_MAX_CONNS)
        return -1;
    c->conns[c->nconns] = xstrdup(name);
    return (int)c->nconns++;
}

/* ---- evaluation -------------------------------------------------------- */

/* A value: an integer, or a string of bytes (owned by its buf). */
struct val {
    bool is_int;
    int64_t i;
    struct buf s;
};

struct ev {
    const struct prog_env *env;
    bool secret;
    char *err;
    size_t errlen;
};

static int ev_fail(struct ev *ev, const struct prog_expr *e, const char *fmt,
                   ...) __attribute__((format(printf, 3, 4)));

static int ev_fail(struct ev *ev, const struct prog_expr *e, const char *fmt,
                   ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(ev->err, ev->errlen, "%d:%d: %s", e->line, e->col, msg);
    return -1;
}

static void val_init(struct val *v)
{
    v->is_int = false;
    v->i = 0;
    buf_init(&v->s, PROG_MAX_VALUE);
}

static void val_set_int(struct val *v, int64_t i)
{
    v->is_int = true;
    v->i = i;
}

/* Reads a value as an integer: integers, or strings of decimal digits
 * (captured values such as SIZE's parameter). */
static int val_int(struct ev *ev, const struct prog_expr *e, struct val *v,
                   int64_t *out)
{
    if (v->is_int) {
        *out = v->i;
        return 0;
    }
    const char *s = buf_str(&v->s);
    char *end;
    if (v->s.len == 0 || v->s.len > 19)
        return ev_fail(ev, e, "'%.40s' is not a number", s);
    long long x = strtoll(s, &end, 10);
    if (*end)
        return ev_fail(ev, e, "'%.40s' is not a number", s);
    *out = x;
    return 0;
}

/* Writes v's text (integers in decimal) into out. */
static int val_text(struct ev *ev, const struct prog_expr *e, struct val *v,
                    struct buf *out)
{
    enum buf_status st = v->is_int ? buf_addf(out, "%" PRId64, v->i)
                                   : buf_add(out, v->s.data ? v->s.data : "", v->s.len);
    if (st != BUF_OK)
        return ev_fail(ev, e, "value longer than %u octets", PROG_MAX_VALUE);
    return 0;
}

static int eval(struct ev *ev, const struct prog_expr *e, struct val *out);

static int eval_var(struct ev *ev, const struct prog_expr *e, struct val *out)
{
    size_t len = 0;
    bool secret = false;
    const char *v = ev->env->lookup(ev->env->arg, e->sval, &len, &secret);
    if (!v)
        return ev_fail(ev, e, "variable '%s' is not defined", e->sval);
    ev->secret |= secret;
    if (buf_add(&out->s, v, len) != BUF_OK)
        return ev_fail(ev, e, "value of '%s' is too long", e->sval);
    return 0;
}

static int arith(struct ev *ev, const struct prog_expr *e, int64_t a, int64_t b,
                 struct val *out)
{
    int64_t r = 0;
    switch (e->kind) {
    case PROG_EXPR_ADD: r = a + b; break;
    case PROG_EXPR_SUB: r = a - b; break;
    case PROG_EXPR_MUL: r = a * b; break;
    case PROG_EXPR_DIV:
    case PROG_EXPR_MOD:
        if (b == 0)
            return ev_fail(ev, e, "division by zero");
        r = e->kind == PROG_EXPR_DIV ? a / b : a % b;
        break;
    case PROG_EXPR_LT: r = a < b; break;
    case PROG_EXPR_LE: r = a <= b; break;
    case PROG_EXPR_GT: r = a > b; break;
    case PROG_EXPR_GE: r = a >= b; break;
    default: return ev_fail(ev, e, "internal: bad operator");
    }
    val_set_int(out, r);
    return 0;
}

/* == and != compare as integers when both sides are integers or digit
 * strings, else as byte strings. */
static int compare(struct ev *ev, const struct prog_expr *e, struct val *a,
                   struct val *b, struct val *out)
{
    int64_t x, y;
    char scratch[1];
    size_t n = ev->errlen;
    ev->errlen = 0; /* probe quietly */
    char *saved = ev->err;
    ev->err = scratch;
    int ints = val_int(ev, e, a, &x) == 0 && val_int(ev, e, b, &y) == 0;
    ev->err = saved;
    ev->errlen = n;
    int eq;
    if (ints) {
        eq = x == y;
    } else {
        struct buf ta, tb;
        buf_init(&ta, PROG_MAX_VALUE);
        buf_init(&tb, PROG_MAX_VALUE);
        val_text(ev, e, a, &ta);
        val_text(ev, e, b, &tb);
        eq = ta.len == tb.len && memcmp(buf_str(&ta), buf_str(&tb), ta.len) == 0;
        buf_free(&ta);
        buf_free(&tb);
    }
    val_set_int(out, e->kind == PROG_EXPR_EQ ? eq : !eq);
    return 0;
}

static int eval_binary(struct ev *ev, const struct prog_expr *e, struct val *out)
{
    struct val a, b;
    val_init(&a);
    val_init(&b);
    int rc = -1;
    int64_t x, y;
    if (eval(ev, e->a, &a) != 0)
        goto done;
    if (e->kind == PROG_EXPR_AND || e->kind == PROG_EXPR_OR) {
        if (val_int(ev, e->a, &a, &x) != 0)
            goto done;
        if ((e->kind == PROG_EXPR_AND && !x) || (e->kind == PROG_EXPR_OR && x)) {
            val_set_int(out, e->kind == PROG_EXPR_OR);
            rc = 0;
            goto done;
        }
        if (eval(ev, e->b, &b) != 0 || val_int(ev, e->b, &b, &y) != 0)
            goto done;
        val_set_int(out, y != 0);
        rc = 0;
        goto done;
    }
    if (eval(ev, e->b, &b) != 0)
        goto done;
    if (e->kind == PROG_EXPR_EQ || e->kind == PROG_EXPR_NE) {
        rc = compare(ev, e, &a, &b, out);
        goto done;
    }
    if (val_int(ev, e->a, &a, &x) != 0 || val_int(ev, e->b, &b, &y) != 0)
        goto done;
    rc = arith(ev, e, x, y, out);
done:
    buf_free(&a.s);
    buf_free(&b.s);
    return rc;
}

/* Evaluates argument i of a call as text into out. */
static int arg_text(struct ev *ev, const struct prog_expr *e, size_t i,
                    struct buf *out)
{
    struct val v;
    val_init(&v);
    int rc = eval(ev, e->args[i], &v) == 0 ? val_text(ev, e->args[i], &v, out) : -1;
    buf_free(&v.s);
    return rc;
}

static int arg_int(struct ev *ev, const struct prog_expr *e, size_t i,
                   int64_t *out)
{
    struct val v;
    val_init(&v);
    int rc = eval(ev, e->args[i], &v) == 0 ? val_int(ev, e->args[i], &v, out) : -1;
    buf_free(&v.s);
    return rc;
}

static int fn_fill(struct ev *ev, const struct prog_expr *e, struct val *out)
{
    int64_t n;
    if (arg_int(ev, e, 0, &n) != 0)
        return -1;
    if (n < 0 || (uint64_t)n > PROG_MAX_VALUE)
        return ev_fail(ev, e, "fill(%" PRId64 "): want 0 to %u octets", n,
                       PROG_MAX_VALUE);
    struct buf pat;
    buf_init(&pat, PROG_MAX_VALUE);
    if (e->nargs == 2 && arg_text(ev, e, 1, &pat) != 0) {
        buf_free(&pat);
        return -1;
    }
    if (pat.len == 0)
        buf_addc(&pat, 'x');
    for (int64_t i = 0; i < n;) {
        size_t take = pat.len < (size_t)(n - i) ? pat.len : (size_t)(n - i);
        if (buf_add(&out->s, pat.data, take) != BUF_OK) {
            buf_free(&pat);
            return ev_fail(ev, e, "fill: value too long");
        }
        i += (int64_t)take;
    }
    buf_free(&pat);
    return 0;
}

static int fn_ehlo(struct ev *ev, const struct prog_expr *e, struct val *out,
                   bool want_param)
{
    struct buf kw, param;
    buf_init(&kw, 256);
    buf_init(&param, 256);
    int rc = -1;
    if (arg_text(ev, e, 0, &kw) != 0 ||
        (e->nargs == 2 && arg_text(ev, e, 1, &param) != 0))
        goto done;
    const char *lines = ev->env->ehlo ? ev->env->ehlo(ev->env->arg) : NULL;
    const char *found = NULL;
    size_t flen = 0;
    for (const char *l = lines; l && *l;) {
        size_t n = strcspn(l, "\n");
        if (n >= kw.len && strncasecmp(l, buf_str(&kw), kw.len) == 0 &&
            (n == kw.len || l[kw.len] == ' ')) {
            found = n > kw.len ? l + kw.len + 1 : l + n;
            flen = n > kw.len ? n - kw.len - 1 : 0;
            break;
        }
        l += n + (l[n] == '\n');
    }
    if (want_param) {
        if (found)
            buf_add(&out->s, found, flen);
        rc = 0;
        goto done;
    }
    int has = found != NULL;
    if (has && param.len) {
        has = 0;
        for (size_t i = 0; i < flen;) {
            size_t j = i;
            while (j < flen && found[j] != ' ')
                j++;
            if (j - i == param.len &&
                strncasecmp(found + i, buf_str(&param), param.len) == 0)
                has = 1;
            i = j + 1;
        }
    }
    val_set_int(out, has);
    rc = 0;
done:
    buf_free(&kw);
    buf_free(&param);
    return rc;
}

static int fn_case(struct ev *ev, const struct prog_expr *e, struct val *out,
                   bool upper)
{
    if (arg_text(ev, e, 0, &out->s) != 0)
        return -1;
    for (size_t i = 0; i < out->s.len; i++) {
        char c = out->s.data[i];
        if (upper && c >= 'a' && c <= 'z')
            out->s.data[i] = (char)(c - 32);
        else if (!upper && c >= 'A' && c <= 'Z')
            out->s.data[i] = (char)(c + 32);
    }
    return 0;
}

/* contains(s, t): 1 if s holds the octets t; starts(s, t), ends(s, t):
 * 1 if s begins, ends with them. */
static int fn_contains(struct ev *ev, const struct prog_expr *e,
                       struct val *out, char where)
{
    struct buf a, b;
    buf_init(&a, PROG_MAX_VALUE);
    buf_init(&b, PROG_MAX_VALUE);
    int rc = arg_text(ev, e, 0, &a);
    if (rc == 0)
        rc = arg_text(ev, e, 1, &b);
    size_t at = where == 'e' && a.len >= b.len ? a.len - b.len : 0;
    bool found = b.len == 0 ||
                 (where == 'c' ? bytes_find(a.data, a.len, b.data, b.len) >= 0
                               : at + b.len <= a.len &&
                                     memcmp(a.data + at, b.data, b.len) == 0);
    val_set_int(out, rc == 0 && found);
    buf_free(&a);
    buf_free(&b);
    return rc;
}

/* Base64 (RFC 4648) of in into out. */
static int b64(struct ev *ev, const struct prog_expr *e, struct buf *in,
               struct val *out)
{
    if (in->len > PROG_MAX_VALUE / 4 * 3 - 3)
        return ev_fail(ev, e, "b64: value too long");
    unsigned char *tmp = xmalloc(in->len / 3 * 4 + 8);
    int n = EVP_EncodeBlock(tmp, (const unsigned char *)buf_str(in), (int)in->len);
    enum buf_status st = buf_add(&out->s, tmp, (size_t)n);
    free(tmp);
    return st == BUF_OK ? 0 : ev_fail(ev, e, "b64: value too long");
}

/* tls_version(), tls_verified(), tls_cipher(): the current
 * connection's TLS facts. */
static int fn_tls(struct ev *ev, const struct prog_expr *e, struct val *out)
{
    struct prog_tls_view t = {0, 0, ""};
    if (ev->env->tls)
        ev->env->tls(ev->env->arg, &t);
    if (strcmp(e->sval, "tls_version") == 0)
        val_set_int(out, t.version);
    else if (strcmp(e->sval, "tls_verified") == 0)
        val_set_int(out, t.verified);
    else if (strcmp(e->sval, "tls_cipher") == 0) {
        if (buf_adds(&out->s, t.cipher ? t.cipher : "") != BUF_OK)
            return ev_fail(ev, e, "tls_cipher: value too long");
    } else
        return ev_fail(ev, e, "unknown function '%s'", e->sval);
    return 0;
}

/* arrival_*(), dsn_*(): the message the last `expect arrival` or
 * `expect dsn` found (harness/arrival_eval.c). */
static int fn_arrival(struct ev *ev, const struct prog_expr *e, struct val *out)
{
    struct arrival_view v;
    if (!ev->env->arrival || !ev->env->arrival(ev->env->arg, &v))
        return ev_fail(ev, e,
                       "%s: no message found yet (expect arrival or "
                       "expect dsn comes first)",
                       e->sval);
    struct buf arg;
    buf_init(&arg, PROG_MAX_VALUE);
    int rc = e->nargs ? arg_text(ev, e, 0, &arg) : 0;
    bool is_int = false;
    int64_t iv = 0;
    if (rc == 0 && arrival_eval_call(&v, e->sval, buf_str(&arg), arg.len,
                                     &out->s, &iv, &is_int) != 0)
        rc = ev_fail(ev, e, "%s: value too long", e->sval);
    if (rc == 0 && is_int)
        val_set_int(out, iv);
    buf_free(&arg);
    return rc;
}

static int eval_call(struct ev *ev, const struct prog_expr *e, struct val *out)
{
    const char *f = e->sval;
    if (strcmp(f, "fill") == 0)
        return fn_fill(ev, e, out);
    if (strcmp(f, "cat") == 0) {
        for (size_t i = 0; i < e->nargs; i++)
            if (arg_text(ev, e, i, &out->s) != 0)
                return -1;
        return 0;
    }
    if (strcmp(f, "b64") == 0 || strcmp(f, "len") == 0) {
        struct buf in;
        buf_init(&in, PROG_MAX_VALUE);
        int rc = arg_text(ev, e, 0, &in);
        if (rc == 0 && f[0] == 'b')
            rc = b64(ev, e, &in, out);
        else if (rc == 0)
            val_set_int(out, (int64_t)in.len);
        buf_free(&in);
        return rc;
    }
    if (strcmp(f, "contains") == 0 || strcmp(f, "starts") == 0 ||
        strcmp(f, "ends") == 0)
        return fn_contains(ev, e, out, f[0]);
    if (strcmp(f, "lower") == 0 || strcmp(f, "upper") == 0)
        return fn_case(ev, e, out, f[0] == 'u');
    if (strcmp(f, "has") == 0 || strcmp(f, "param") == 0)
        return fn_ehlo(ev, e, out, f[0] == 'p');
    if (strcmp(f, "code") == 0) {
        val_set_int(out, ev->env->last_code ? ev->env->last_code(ev->env->arg) : 0);
        return 0;
    }
    if (strncmp(f, "tls_", 4) == 0)
        return fn_tls(ev, e, out);
    if (arrival_eval_known(f))
        return fn_arrival(ev, e, out);
    return ev_fail(ev, e, "unknown function '%s'", f);
}

static int eval(struct ev *ev, const struct prog_expr *e, struct val *out)
{
    switch (e->kind) {
    case PROG_EXPR_INT:
        val_set_int(out, e->ival);
        return 0;
    case PROG_EXPR_STR:
        if (buf_add(&out->s, e->sval, e->slen) != BUF_OK)
            return ev_fail(ev, e, "string too long");
        return 0;
    case PROG_EXPR_VAR:
        return eval_var(ev, e, out);
    case PROG_EXPR_NEG:
    case PROG_EXPR_NOT: {
        struct val a;
        int64_t x;
        val_init(&a);
        int rc = eval(ev, e->a, &a) == 0 ? val_int(ev, e->a, &a, &x) : -1;
        buf_free(&a.s);
        if (rc == 0)
            val_set_int(out, e->kind == PROG_EXPR_NEG ? -x : !x);
        return rc;
    }
    case PROG_EXPR_CALL:
        return eval_call(ev, e, out);
    default:
        return eval_binary(ev, e, out);
    }
}

int prog_eval_template(const struct prog_tmpl *t, const struct prog_env *env,
                       bool no_crlf, struct buf *out, bool *secret, char *err,
                       size_t errlen)
{
    struct ev ev = {env, false, err, errlen};
    for (size_t i = 0; i < t->nsegs; i++) {
        const struct prog_seg *s = &t->segs[i];
        if (!s->expr) {
            if (buf_add(out, s->lit, s->len) != BUF_OK) {
                snprintf(err, errlen, "value longer than %zu octets", out->max);
                return -1;
            }
            continue;
        }
        struct val v;
        val_init(&v);
        size_t before = out->len;
        int rc = eval(&ev, s->expr, &v) == 0 ? val_text(&ev, s->expr, &v, out) : -1;
        buf_free(&v.s);
        if (rc != 0)
            return -1;
        if (no_crlf && (memchr(out->data + before, '\r', out->len - before) ||
                        memchr(out->data + before, '\n', out->len - before))) {
            snprintf(err, errlen,
                     "%d:%d: a substituted value holds CR or LF; use a raw "
                     "send for line breaks",
                     s->expr->line, s->expr->col);
            return -1;
        }
    }
    if (secret)
        *secret = ev.secret;
    return 0;
}

int prog_eval_int(const struct prog_expr *e, const struct prog_env *env,
                  int64_t *out, char *err, size_t errlen)
{
    struct ev ev = {env, false, err, errlen};
    struct val v;
    val_init(&v);
    int rc = eval(&ev, e, &v) == 0 ? val_int(&ev, e, &v, out) : -1;
    buf_free(&v.s);
    return rc;
}

/* ---- matching ---------------------------------------------------------- */

static int code_matches(const char *pat, int code)
{
    if (!pat[0])
        return 1;
    int v = code % 1000;
    char c[3] = {(char)('0' + v / 100), (char)('0' + v / 10 % 10),
                 (char)('0' + v % 10)};
    for (int i = 0; i < 3; i++)
        if (pat[i] != 'x' && pat[i] != c[i])
            return 0;
    return 1;
}

/* Compares "C.S.D" patterns part by part; 'x' matches any part. */
static int esc_matches(const char *pat, const char *esc)
{
    if (!pat[0])
        return 1;
    if (!esc || !esc[0])
        return 0;
    while (*pat && *esc) {
        size_t pn = strcspn(pat, "."), en = strcspn(esc, ".");
        if (!(pn == 1 && pat[0] == 'x') && (pn != en || strncmp(pat, esc, pn) != 0))
            return 0;
        pat += pn + (pat[pn] == '.');
        esc += en + (esc[en] == '.');
    }
    return !*pat && !*esc;
}

static int regex_matches(const regex_t *re, const struct prog_reply_view *v)
{
    size_t n = v->len < PROG_REGEX_INPUT ? v->len : PROG_REGEX_INPUT;
    char *copy = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v->text[i];
        copy[i] = (c == 0 || (c < 0x20 && c != '\t' && c != '\n')) ? '?' : (char)c;
    }
    copy[n] = '\0';
    int ok = regexec(re, copy, 0, NULL, 0) == 0;
    free(copy);
    return ok;
}

int prog_expect_match(const struct prog_expect *e, enum prog_match_kind kind,
                      const struct prog_reply_view *view)
{
    for (size_t i = 0; i < e->nalts; i++) {
        const struct prog_match *m = &e->alts[i];
        if (kind != PROG_MATCH_REPLY) {
            if (m->kind == kind)
                return (int)i;
            continue;
        }
        if (m->kind == PROG_MATCH_ANY)
            return (int)i;
        if (m->kind != PROG_MATCH_REPLY)
            continue;
        if (code_matches(m->code, view->code) && esc_matches(m->esc, view->esc) &&
            (!m->re || regex_matches(m->re, view)))
            return (int)i;
    }
    return -1;
}

/* ---- dot-stuffing ------------------------------------------------------ */

void prog_dot_stuff(const char *p, size_t n, struct buf *out)
{
    int bol = 1;
    if (n == 0) {
        buf_add(out, ".\r\n", 3);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (bol && p[i] == '.')
            buf_addc(out, '.');
        buf_addc(out, p[i]);
        bol = p[i] == '\n' && i > 0 && p[i - 1] == '\r';
    }
    if (n < 2 || p[n - 2] != '\r' || p[n - 1] != '\n')
        buf_add(out, "\r\n", 2);
    buf_add(out, ".\r\n", 3);
}
