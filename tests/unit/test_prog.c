/* Tests of harness/prog.c: expression evaluation, templates, reply
 * matching and dot-stuffing. */
#define TEST_NAME "prog"
#include "harness/prog.h"
#include "harness/xalloc.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *lookup(void *arg, const char *name, size_t *len, bool *secret)
{
    static const struct {
        const char *n, *v;
        bool secret;
    } V[] = {{"sender", "a@b.test", false}, {"size", "10240000", false},
             {"pass", "s3cret", true},      {"crlf", "x\r\ny", false}};
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++)
        if (strcmp(V[i].n, name) == 0) {
            *len = strlen(V[i].v);
            *secret = V[i].secret;
            return V[i].v;
        }
    return NULL;
}

static const char *ehlo(void *arg)
{
    return "PIPELINING\nSIZE 10240000\nAUTH PLAIN LOGIN\n8BITMIME";
}

static int last_code(void *arg)
{
    return 354;
}

static const struct prog_env ENV = {lookup, ehlo, last_code, NULL, NULL, NULL};

static struct prog_expr *e_int(int64_t v)
{
    struct prog_expr *e = prog_expr_new(PROG_EXPR_INT, 1, 1);
    e->ival = v;
    return e;
}

static struct prog_expr *e_str(const char *s)
{
    struct prog_expr *e = prog_expr_new(PROG_EXPR_STR, 1, 1);
    e->sval = xstrdup(s);
    e->slen = strlen(s);
    return e;
}

static struct prog_expr *e_var(const char *n)
{
    struct prog_expr *e = prog_expr_new(PROG_EXPR_VAR, 3, 7);
    e->sval = xstrdup(n);
    return e;
}

static struct prog_expr *e_bin(enum prog_expr_kind k, struct prog_expr *a,
                               struct prog_expr *b)
{
    struct prog_expr *e = prog_expr_new(k, 1, 1);
    e->a = a;
    e->b = b;
    return e;
}

static struct prog_expr *e_call(const char *f, int n, ...)
{
    struct prog_expr *e = prog_expr_new(PROG_EXPR_CALL, 1, 1);
    e->sval = xstrdup(f);
    e->args = xcalloc((size_t)n + 1, sizeof *e->args);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        e->args[i] = va_arg(ap, struct prog_expr *);
    va_end(ap);
    e->nargs = (size_t)n;
    return e;
}

/* Evaluates one expression as a template; returns the text (static). */
static const char *run1(struct prog_expr *e, bool no_crlf, int *rc, bool *secret)
{
    static char out[4096];
    static char err[256];
    struct prog_tmpl t = {0};
    prog_tmpl_add_lit(&t, "<", 1);
    prog_tmpl_add_expr(&t, e);
    prog_tmpl_add_lit(&t, ">", 1);
    struct buf b;
    buf_init(&b, 1 << 20);
    *rc = prog_eval_template(&t, &ENV, no_crlf, &b, secret, err, sizeof err);
    snprintf(out, sizeof out, "%s", *rc == 0 ? buf_str(&b) : err);
    buf_free(&b);
    for (size_t i = 0; i < t.nsegs; i++) {
        free(t.segs[i].lit);
        prog_expr_free(t.segs[i].expr);
    }
    free(t.segs);
    return out;
}

START_TEST(test_eval)
{
    static struct {
        const char *want;
        int rc;
        bool secret;
    } W[] = {
        {"<a@b.test>", 0, false},   {"<10240001>", 0, false},
        {"<xxxxx>", 0, false},      {"<ababa>", 0, false},
        {"<AHVzZXIAczNjcmV0>", 0, true}, {"<1>", 0, false},
        {"<0>", 0, false},          {"<1>", 0, false},
        {"<10240000>", 0, false},   {"<354>", 0, false},
        {"3:7: variable 'nope' is not defined", -1, false},
        {"1:1: division by zero", -1, false},
        {"3:7: 'a@b.test' is not a number", -1, false},
        {"3:7: a substituted value holds CR or LF", -1, false},
        {"<1>", 0, false}, {"<8>", 0, false}, {"<A@B.TEST>", 0, false},
    };
    struct prog_expr *E[] = {
        e_var("sender"),
        e_bin(PROG_EXPR_ADD, e_var("size"), e_int(1)),
        e_call("fill", 1, e_int(5)),
        e_call("fill", 2, e_int(5), e_str("ab")),
        e_call("b64", 1, e_call("cat", 4, e_str("\0"), e_str("user"), e_str(""),
                                e_var("pass"))),
        e_call("has", 2, e_str("auth"), e_str("plain")),
        e_call("has", 1, e_str("CHUNKING")),
        e_bin(PROG_EXPR_AND, e_call("has", 1, e_str("SIZE")),
              e_bin(PROG_EXPR_GT, e_var("size"), e_int(0))),
        e_call("param", 1, e_str("size")),
        e_call("code", 0),
        e_var("nope"),
        e_bin(PROG_EXPR_DIV, e_int(1), e_int(0)),
        e_bin(PROG_EXPR_ADD, e_var("sender"), e_int(1)),
        e_var("crlf"),
        e_bin(PROG_EXPR_EQ, e_var("sender"), e_str("a@b.test")),
        e_call("len", 1, e_var("sender")),
        e_call("upper", 1, e_var("sender")),
    };
    /* cat("\0", ...) needs a real NUL: fix the first literal's length. */
    E[4]->args[0]->args[0]->slen = 1;
    E[4]->args[0]->args[2]->sval[0] = '\0';
    E[4]->args[0]->args[2]->slen = 1;
    free(E[4]->args[0]->args[1]->sval);
    E[4]->args[0]->args[1]->sval = xstrdup("user");
    for (size_t i = 0; i < sizeof E / sizeof E[0]; i++) {
        int rc;
        bool secret = false;
        const char *got = run1(E[i], i == 13, &rc, &secret);
        ck_assert_msg(rc == W[i].rc, "expr %zu: rc %d want %d (%s)", i, rc, W[i].rc, got);
        ck_assert_msg(rc == 0 ? strcmp(got, W[i].want) == 0 : strstr(got, W[i].want) != NULL,
                      "expr %zu: got '%s' want '%s'", i, got, W[i].want);
        ck_assert_msg(secret == W[i].secret, "expr %zu: secret %d", i, secret);
    }
}
END_TEST

/* tls_version(), tls_verified(), tls_cipher(): what the env's tls
 * callback says of the connection; no callback means no TLS. */
static void tls13(void *arg, struct prog_tls_view *out)
{
    out->version = 13;
    out->verified = -1;
    out->cipher = "TLS_AES_256_GCM_SHA384";
}

START_TEST(test_tls_functions)
{
    static const struct {
        const char *f;
        bool with_tls;
        const char *want;
    } V[] = {
        {"tls_version", true, "<13>"},
        {"tls_verified", true, "<-1>"},
        {"tls_cipher", true, "<TLS_AES_256_GCM_SHA384>"},
        {"tls_version", false, "<0>"},
        {"tls_verified", false, "<0>"},
        {"tls_cipher", false, "<>"},
    };
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        struct prog_env env = ENV;
        env.tls = V[i].with_tls ? tls13 : NULL;
        struct prog_tmpl t = {0};
        prog_tmpl_add_lit(&t, "<", 1);
        prog_tmpl_add_expr(&t, e_call(V[i].f, 0));
        prog_tmpl_add_lit(&t, ">", 1);
        struct buf b;
        char err[256];
        buf_init(&b, 1024);
        ck_assert_int_eq(prog_eval_template(&t, &env, true, &b, NULL, err, sizeof err), 0);
        ck_assert_msg(strcmp(buf_str(&b), V[i].want) == 0, "%s (tls %d): got %s want %s",
                      V[i].f, V[i].with_tls, buf_str(&b), V[i].want);
        buf_free(&b);
        for (size_t k = 0; k < t.nsegs; k++) {
            free(t.segs[k].lit);
            prog_expr_free(t.segs[k].expr);
        }
        free(t.segs);
    }
    /* In a comparison, as a case writes it: assert tls_version() >= 12 */
    struct prog_env env = ENV;
    env.tls = tls13;
    struct prog_expr *e = e_bin(PROG_EXPR_GE, e_call("tls_version", 0), e_int(12));
    int64_t v = 0;
    char err[256];
    ck_assert_int_eq(prog_eval_int(e, &env, &v, err, sizeof err), 0);
    ck_assert_int_eq(v, 1);
    env.tls = NULL;
    ck_assert_int_eq(prog_eval_int(e, &env, &v, err, sizeof err), 0);
    ck_assert_int_eq(v, 0);
    prog_expr_free(e);
    for (const char *const *f = (const char *const[]){"tls_version", "tls_verified",
                                                        "tls_cipher", NULL};
         *f; f++) {
        const struct prog_func *pf = prog_func_find(*f);
        ck_assert_msg(pf && pf->min_args == 0 && pf->max_args == 0, "%s in the table", *f);
    }
}
END_TEST

START_TEST(test_match)
{
    struct prog_expect e = {0};
    struct prog_match *m = prog_match_add(&e);
    strcpy(m->code, "503");
    m = prog_match_add(&e);
    strcpy(m->code, "5xx");
    strcpy(m->esc, "5.x.1");
    m->grade = PROG_GRADE_WARN;
    m = prog_match_add(&e);
    strcpy(m->code, "2xx");
    m->re = xmalloc(sizeof *m->re);
    ck_assert_int_eq(regcomp(m->re, "queued as [A-Z0-9]+", REG_EXTENDED | REG_NOSUB), 0);
    m = prog_match_add(&e);
    m->kind = PROG_MATCH_CLOSE;
    static const struct {
        enum prog_match_kind kind;
        int code;
        const char *esc, *text;
        int want;
    } V[] = {
        {PROG_MATCH_REPLY, 503, "5.5.1", "Error", 0},
        {PROG_MATCH_REPLY, 550, "5.7.1", "no", 1},
        {PROG_MATCH_REPLY, 550, "5.7.2", "no", -1},
        {PROG_MATCH_REPLY, 550, "", "no", -1},
        {PROG_MATCH_REPLY, 250, "2.0.0", "Ok: queued as 4ABC", 2},
        {PROG_MATCH_REPLY, 250, "2.0.0", "Ok", -1},
        {PROG_MATCH_REPLY, 250, "", "q\0ueued as X", -1},
        {PROG_MATCH_CLOSE, 0, "", "", 3},
        {PROG_MATCH_TIMEOUT, 0, "", "", -1},
    };
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        struct prog_reply_view v = {V[i].code, V[i].esc, V[i].text,
                                    i == 6 ? 12 : strlen(V[i].text)};
        int got = prog_expect_match(&e, V[i].kind, &v);
        ck_assert_msg(got == V[i].want, "vec %zu: got %d want %d", i, got, V[i].want);
    }
    regfree(e.alts[2].re);
    free(e.alts[2].re);
    free(e.alts);
}
END_TEST

START_TEST(test_dot_stuff)
{
    static const struct {
        const char *in, *out;
    } V[] = {
        {"", ".\r\n"},
        {"a", "a\r\n.\r\n"},
        {"a\r\n", "a\r\n.\r\n"},
        {".x\r\n..\r\n.\r\n", "..x\r\n...\r\n..\r\n.\r\n"},
        {"a\n.b\r\n", "a\n.b\r\n.\r\n"},
        {"a\r\n.", "a\r\n..\r\n.\r\n"},
    };
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        struct buf b;
        buf_init(&b, 1024);
        prog_dot_stuff(V[i].in, strlen(V[i].in), &b);
        ck_assert_msg(strcmp(buf_str(&b), V[i].out) == 0, "vec %zu: got '%s'", i,
                      buf_str(&b));
        buf_free(&b);
    }
}
END_TEST

START_TEST(test_case_build)
{
    struct prog_case *c = prog_case_new();
    ck_assert_int_eq(prog_conn_index(c, "main"), 0);
    ck_assert_int_eq(prog_conn_index(c, "b"), 1);
    ck_assert_int_eq(prog_conn_index(c, "b"), 1);
    struct prog_step *s = prog_step_add(c, PROG_STEP_SEND);
    prog_tmpl_add_lit(&s->tmpl, "MAIL ", 5);
    prog_tmpl_add_lit(&s->tmpl, "FROM:", 5);
    ck_assert_int_eq(s->tmpl.nsegs, 1);
    ck_assert_str_eq(s->tmpl.segs[0].lit, "MAIL FROM:");
    prog_tmpl_add_expr(&s->tmpl, e_var("sender"));
    ck_assert_str_eq(prog_step_kind_name(PROG_STEP_EXPECT_SILENCE), "expect silence");
    ck_assert(prog_func_find("fill"));
    ck_assert(!prog_func_find("system"));
    ck_assert(prog_builtin_var("helo"));
    ck_assert(!prog_builtin_var("sender"));
    prog_case_free(c);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_eval);
    tcase_add_test(tc, test_tls_functions);
    tcase_add_test(tc, test_match);
    tcase_add_test(tc, test_dot_stuff);
    tcase_add_test(tc, test_case_build);
}

#include "check_main.h"
