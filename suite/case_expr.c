/* case_expr: a precedence-climbing parser for the expression grammar in
 * case_expr.h. Binary operators come from one table (symbol, node kind,
 * precedence); everything else is a short recursive descent. */
#include "suite/case_expr.h"
#include "suite/case_lex.h"
#include "suite/diag.h"
#include "harness/xalloc.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *sym;
    enum prog_expr_kind kind;
    int prec;
} BINOPS[] = {
    {"||", PROG_EXPR_OR, 1}, {"&&", PROG_EXPR_AND, 2}, {"==", PROG_EXPR_EQ, 3},
    {"!=", PROG_EXPR_NE, 3}, {"<=", PROG_EXPR_LE, 4},  {">=", PROG_EXPR_GE, 4},
    {"<", PROG_EXPR_LT, 4},  {">", PROG_EXPR_GT, 4},   {"+", PROG_EXPR_ADD, 5},
    {"-", PROG_EXPR_SUB, 5}, {"*", PROG_EXPR_MUL, 6},  {"/", PROG_EXPR_DIV, 6},
    {"%", PROG_EXPR_MOD, 6},
};
#define NBINOPS (sizeof BINOPS / sizeof BINOPS[0])

struct ep {
    const char *p;
    size_t n, pos;
    int lineno;
    int depth;
    struct case_expr_err *err;
};

static struct prog_expr *ep_fail(struct ep *e, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct prog_expr *ep_fail(struct ep *e, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err->msg, sizeof e->err->msg, fmt, ap);
    va_end(ap);
    e->err->off = off;
    return NULL;
}

static void ws(struct ep *e)
{
    while (e->pos < e->n && (e->p[e->pos] == ' ' || e->p[e->pos] == '\t'))
        e->pos++;
}

static bool at(struct ep *e, const char *s)
{
    size_t k = strlen(s);
    return e->pos + k <= e->n && memcmp(e->p + e->pos, s, k) == 0;
}

static bool is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

static struct prog_expr *node(struct ep *e, enum prog_expr_kind k, size_t off)
{
    return prog_expr_new(k, e->lineno, diag_col(e->p, off));
}

static struct prog_expr *parse_binary(struct ep *e, int min_prec);

static struct prog_expr *parse_int(struct ep *e)
{
    size_t off = e->pos;
    int64_t v = 0;
    while (e->pos < e->n && e->p[e->pos] >= '0' && e->p[e->pos] <= '9') {
        int d = e->p[e->pos++] - '0';
        if (v > (INT64_MAX - d) / 10)
            return ep_fail(e, off, "number too large");
        v = v * 10 + d;
    }
    if (e->pos < e->n && is_name(e->p[e->pos]))
        return ep_fail(e, e->pos, "a number runs into a name");
    struct prog_expr *x = node(e, PROG_EXPR_INT, off);
    x->ival = v;
    return x;
}

static struct prog_expr *parse_string(struct ep *e)
{
    size_t off = e->pos, end, erroff;
    const char *why;
    struct buf b;
    buf_init(&b, CASE_EXPR_MAX_STR);
    if (lex_string(e->p + off, e->n - off, &b, &end, &erroff, &why) != 0) {
        buf_free(&b);
        return ep_fail(e, off + erroff, "%s", why);
    }
    struct prog_expr *x = node(e, PROG_EXPR_STR, off);
    x->slen = b.len;
    x->sval = buf_detach(&b);
    e->pos = off + end;
    return x;
}

/* Arguments after "name(": "expr {, expr} )" or ")". */
static int parse_args(struct ep *e, struct prog_expr *call)
{
    size_t cap = 0;
    ws(e);
    if (at(e, ")")) {
        e->pos++;
        return 0;
    }
    for (;;) {
        struct prog_expr *a = parse_binary(e, 1);
        if (!a)
            return -1;
        xgrow(&call->args, &cap, call->nargs + 1, sizeof *call->args);
        call->args[call->nargs++] = a;
        ws(e);
        if (at(e, ")")) {
            e->pos++;
            return 0;
        }
        if (!at(e, ",")) {
            ep_fail(e, e->pos, "want ',' or ')' in the arguments of %s()",
                    call->sval);
            return -1;
        }
        e->pos++;
    }
}

static struct prog_expr *parse_call(struct ep *e, struct prog_expr *x,
                                    size_t off)
{
    const struct prog_func *f = prog_func_find(x->sval);
    if (!f) {
        ep_fail(e, off, "unknown function '%s'", x->sval);
        prog_expr_free(x);
        return NULL;
    }
    x->kind = PROG_EXPR_CALL;
    e->pos++; /* '(' */
    if (parse_args(e, x) != 0) {
        prog_expr_free(x);
        return NULL;
    }
    if ((int)x->nargs < f->min_args || (int)x->nargs > f->max_args) {
        if (f->min_args == f->max_args)
            ep_fail(e, off, "%s() takes %d argument%s, not %zu", f->name,
                    f->min_args, f->min_args == 1 ? "" : "s", x->nargs);
        else
            ep_fail(e, off, "%s() takes %d to %d arguments, not %zu", f->name,
                    f->min_args, f->max_args, x->nargs);
        prog_expr_free(x);
        return NULL;
    }
    return x;
}

static struct prog_expr *parse_name(struct ep *e)
{
    size_t off = e->pos;
    while (e->pos < e->n && is_name(e->p[e->pos]))
        e->pos++;
    struct prog_expr *x = node(e, PROG_EXPR_VAR, off);
    x->sval = xstrndup(e->p + off, e->pos - off);
    size_t save = e->pos;
    ws(e);
    if (at(e, "("))
        return parse_call(e, x, off);
    e->pos = save;
    return x;
}

static struct prog_expr *parse_unary(struct ep *e)
{
    ws(e);
    if (++e->depth > CASE_EXPR_MAX_DEPTH)
        return ep_fail(e, e->pos, "expression nested too deeply");
    struct prog_expr *x = NULL;
    size_t off = e->pos;
    char c = e->pos < e->n ? e->p[e->pos] : '\0';
    if ((c == '-' || c == '!') && !at(e, "!=")) {
        e->pos++;
        struct prog_expr *a = parse_unary(e);
        if (a) {
            x = node(e, c == '-' ? PROG_EXPR_NEG : PROG_EXPR_NOT, off);
            x->a = a;
        }
    } else if (c == '(') {
        e->pos++;
        x = parse_binary(e, 1);
        ws(e);
        if (x && !at(e, ")")) {
            prog_expr_free(x);
            x = ep_fail(e, e->pos, "want ')'");
        } else if (x) {
            e->pos++;
        }
    } else if (c >= '0' && c <= '9') {
        x = parse_int(e);
    } else if (c == '"') {
        x = parse_string(e);
    } else if (is_name_start(c)) {
        x = parse_name(e);
    } else {
        x = ep_fail(e, off,
                    e->pos < e->n ? "want a value (a number, a "
                                    "\"string\", a name or '(')"
                                  : "an expression is missing");
    }
    e->depth--;
    return x;
}

/* The binary operator at the cursor with precedence >= min, or -1. */
static int binop_at(struct ep *e, int min_prec)
{
    size_t save = e->pos;
    ws(e);
    for (size_t i = 0; i < NBINOPS; i++)
        if (BINOPS[i].prec >= min_prec && at(e, BINOPS[i].sym)) {
            /* "<<" opens a heredoc, "->" a branch: not operators */
            if ((BINOPS[i].sym[0] == '<' && at(e, "<<")) || at(e, "->"))
                break;
            return (int)i;
        }
    e->pos = save; /* the expression ends before the blanks */
    return -1;
}

static struct prog_expr *parse_binary(struct ep *e, int min_prec)
{
    struct prog_expr *lhs = parse_unary(e);
    int i;
    while (lhs && (i = binop_at(e, min_prec)) >= 0) {
        size_t off = e->pos;
        e->pos += strlen(BINOPS[i].sym);
        struct prog_expr *rhs = parse_binary(e, BINOPS[i].prec + 1);
        if (!rhs) {
            prog_expr_free(lhs);
            return NULL;
        }
        struct prog_expr *x = node(e, BINOPS[i].kind, off);
        x->a = lhs;
        x->b = rhs;
        lhs = x;
    }
    return lhs;
}

struct prog_expr *case_expr_parse(const char *line, size_t n, size_t *pos,
                                  int lineno, struct case_expr_err *err)
{
    struct ep e = {line, n, *pos, lineno, 0, err};
    struct prog_expr *x = parse_binary(&e, 1);
    if (x)
        *pos = e.pos;
    return x;
}
