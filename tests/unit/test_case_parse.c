/* Tests of suite/case_parse.c and case_stmt.c: valid snippets compile to
 * the expected program (rendered by this file's own printer, the
 * oracle), invalid snippets give the expected first error line, CRLF and
 * LF files compile byte for byte alike, includes resolve relative to the
 * including file and refuse cycles and depth, and the content hash
 * covers the includes. */
#define TEST_NAME "case_parse"
#include "suite/case_parse.h"
#include "harness/bytes.h"
#include "harness/digest.h"
#include "harness/xalloc.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The header every snippet starts with: 5 lines. */
#define H                                                                      \
    "id: t.case.x\ntitle: t\nrfc: RFC 5321\nseverity: must\n"                  \
    "fixtures: sender rcpt\n"

/* ---- an in-memory file system for includes ------------------------- */

static const struct {
    const char *path, *text;
} FILES[] = {
    {"inc/env.inc", "C: MAIL FROM:<${sender}>\nS: 250\ninclude \"b.inc\"\n"},
    {"inc/b.inc", "C: RCPT TO:<${rcpt}>\nS: 250\n"},
    {"cyc/a.inc", "include \"b.inc\"\n"},
    {"cyc/b.inc", "include \"../cyc/a.inc\"\n"},
    {"open.inc", "repeat 2 {\n"},
    {"hdr.inc", "id: t.from.include\ntitle: t\nrfc: r\nseverity: may\n"},
    {"bad.inc", "C: NOOP\nS: 25\n"},
    {"one.inc", "S: 250 # one step\n"},
};

static int mem_read(void *arg, const char *path, char **buf, size_t *len,
                    char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof FILES / sizeof FILES[0]; i++)
        if (strcmp(FILES[i].path, path) == 0) {
            *buf = xstrdup(FILES[i].text);
            *len = strlen(FILES[i].text);
            return 0;
        }
    /* deep/N.inc includes deep/N+1.inc, for the depth limit */
    int n;
    if (sscanf(path, "deep/%d.inc", &n) == 1) {
        *buf = xasprintf("include \"%d.inc\"\n", n + 1);
        *len = strlen(*buf);
        return 0;
    }
    snprintf(err, errlen, "no such file");
    return -1;
}

/* Parses src as t.smtp; returns the case or NULL, with all messages in
 * *msgs (caller frees). */
static struct prog_case *parse(const char *src, size_t len, char **msgs)
{
    size_t n;
    FILE *fp = open_memstream(msgs, &n);
    struct diag d;
    diag_init(&d, fp);
    struct case_parse_params p = {"t.smtp", src, len, mem_read, NULL};
    struct prog_case *c = case_parse(&p, &d);
    fclose(fp);
    return c;
}

/* ---- the oracle: a printer of programs ----------------------------- */

static const char *OPS[] = {
    [PROG_EXPR_ADD] = "+", [PROG_EXPR_SUB] = "-", [PROG_EXPR_MUL] = "*",
    [PROG_EXPR_DIV] = "/", [PROG_EXPR_MOD] = "%", [PROG_EXPR_EQ] = "==",
    [PROG_EXPR_NE] = "!=", [PROG_EXPR_LT] = "<",  [PROG_EXPR_LE] = "<=",
    [PROG_EXPR_GT] = ">",  [PROG_EXPR_GE] = ">=", [PROG_EXPR_AND] = "&&",
    [PROG_EXPR_OR] = "||",
};

static void put_expr(struct buf *b, const struct prog_expr *e)
{
    switch (e->kind) {
    case PROG_EXPR_INT:
        buf_addf(b, "%" PRId64, e->ival);
        break;
    case PROG_EXPR_STR:
        buf_addc(b, '"');
        bytes_escape(b, e->sval, e->slen);
        buf_addc(b, '"');
        break;
    case PROG_EXPR_VAR:
        buf_adds(b, e->sval);
        break;
    case PROG_EXPR_CALL:
        buf_addf(b, "%s(", e->sval);
        for (size_t i = 0; i < e->nargs; i++) {
            if (i)
                buf_adds(b, ",");
            put_expr(b, e->args[i]);
        }
        buf_adds(b, ")");
        break;
    case PROG_EXPR_NEG:
    case PROG_EXPR_NOT:
        buf_addf(b, "(%s", e->kind == PROG_EXPR_NEG ? "-" : "!");
        put_expr(b, e->a);
        buf_adds(b, ")");
        break;
    default:
        buf_adds(b, "(");
        put_expr(b, e->a);
        buf_addf(b, " %s ", OPS[e->kind]);
        put_expr(b, e->b);
        buf_adds(b, ")");
    }
}

static void put_tmpl(struct buf *b, const struct prog_tmpl *t)
{
    for (size_t i = 0; i < t->nsegs; i++) {
        buf_adds(b, " ");
        if (t->segs[i].expr) {
            buf_adds(b, "${");
            put_expr(b, t->segs[i].expr);
            buf_adds(b, "}");
        } else {
            buf_addc(b, '"');
            bytes_escape(b, t->segs[i].lit, t->segs[i].len);
            buf_addc(b, '"');
        }
    }
}

static void put_expect(struct buf *b, const struct prog_expect *e)
{
    static const char *const G[] = {"", "warn ", "fail "};
    static const char *const K[] = {"", "any", "timeout", "close"};
    static const char *const T[] = {"", " ->close", " ->end"};
    buf_adds(b, " [");
    for (size_t i = 0; i < e->nalts; i++) {
        const struct prog_match *m = &e->alts[i];
        buf_addf(b, "%s%s%s", i ? " | " : "", G[m->grade], K[m->kind]);
        if (m->kind == PROG_MATCH_REPLY)
            buf_addf(b, "%s%s%s", m->code, m->esc[0] ? " " : "", m->esc);
        if (m->re) {
            buf_adds(b, " /");
            bytes_escape(b, m->re_src, strlen(m->re_src));
            buf_adds(b, "/");
        }
        buf_adds(b, T[m->then]);
    }
    buf_adds(b, "]");
    if (e->within_us)
        buf_addf(b, " within=%" PRId64, e->within_us);
}

static void put_step(struct buf *b, size_t i, const struct prog_step *s)
{
    buf_addf(b, "%zu %s", i, prog_step_kind_name(s->kind));
    if (s->key)
        buf_adds(b, " !");
    if (s->conn >= 0)
        buf_addf(b, " conn=%d", s->conn);
    if (s->jump >= 0)
        buf_addf(b, " jump=%d", s->jump);
    if (s->no_auth)
        buf_adds(b, " noauth");
    if (s->kind == PROG_STEP_CONNECT && s->tls_mode >= 0)
        buf_addf(b, " tls=%d", s->tls_mode);
    if (s->kind == PROG_STEP_CONNECT && s->proxy >= 0)
        buf_addf(b, " proxy=%d", s->proxy);
    if (s->kind == PROG_STEP_HANDSHAKE && s->tls_expect != PROG_TLS_DEFAULT)
        buf_adds(b, s->tls_expect == PROG_TLS_OK ? " expect=ok" : " expect=fail");
    if (s->kind == PROG_STEP_DATA && s->gen == PROG_DATA_MESSAGE)
        buf_adds(b, " msg");
    if (s->kind == PROG_STEP_DATA && !s->dot_stuff)
        buf_adds(b, " raw");
    if (s->tracked)
        buf_adds(b, " tracked");
    if (s->absent)
        buf_adds(b, " no");
    if (s->by_sender)
        buf_adds(b, " from");
    if (s->last)
        buf_adds(b, " last");
    if (s->name)
        buf_addf(b, " name=%s", s->name);
    if (s->kind == PROG_STEP_CAPTURE)
        buf_addf(b, " from=%d", (int)s->from);
    if (s->re_src)
        buf_addf(b, " re=%s", s->re_src);
    if (s->kind == PROG_STEP_EHLO_CHECK)
        buf_addf(b, " op=%d", (int)s->ehlo_op);
    if (s->kw)
        buf_addf(b, " kw=%s", s->kw);
    if (s->param)
        buf_addf(b, " param=%s", s->param);
    if (s->grade_false != PROG_GRADE_FAIL)
        buf_adds(b, " else=warn");
    if (s->dur_us)
        buf_addf(b, " dur=%" PRId64, s->dur_us);
    if (s->expr) {
        buf_adds(b, " expr=");
        put_expr(b, s->expr);
    }
    put_tmpl(b, &s->tmpl);
    if (s->expect.nalts)
        put_expect(b, &s->expect);
    buf_adds(b, "\n");
}

/* The program of c as text (caller frees). */
static char *render(const struct prog_case *c)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    for (size_t i = 0; i < c->nsteps; i++)
        put_step(&b, i, &c->steps[i]);
    return buf_detach(&b);
}

/* ---- valid snippets ------------------------------------------------- */

static const struct {
    const char *src, *want;
} VALID[] = {
    {H "open\nC: NOOP\n! S: 250\n",
     "0 open\n1 send \"NOOP\"\n2 expect ! [250]\n"},
    /* comments: whole-line, after statements, never on C: lines */
    {H "# c\n  open   # prologue\nC: MAIL FROM:<a#b> # kept\nS: 250 # gone\n",
     "0 open\n1 send \"MAIL FROM:<a#b> # kept\"\n2 expect [250]\n"},
    /* templates: ${}, $${, trailing blanks kept, empty C: */
    {H "open\nC: RCPT TO:<$${lc:A}@${sender}>  \nS: 250\nC:\nS: 500\n",
     "0 open\n1 send \"RCPT TO:<${lc:A}@\" ${sender} \">  \"\n"
     "2 expect [250]\n3 send\n4 expect [500]\n"},
    {H "open\nC: NOOP ${ fill(505) } ${sender + 1}$x\nS: 250\n",
     "0 open\n1 send \"NOOP \" ${fill(505)} \" \" ${(sender + 1)} \"$x\"\n"
     "2 expect [250]\n"},
    /* send: escapes, expressions, nothing appended */
    {H "open\nsend \"NOOP \\x00\\t\\\"\" ${fill(3)} \"\\r\\n\"\nS: 250\n",
     "0 open\n1 raw \"NOOP \\x00\\t\"\" ${fill(3)} \"\\r\\n\"\n"
     "2 expect [250]\n"},
    /* alternatives: grades, esc, regex, branches, within */
    {H "open\nC: X\nS: 503 | warn 5xx 5.5.x | fail 2XX /a\\/b\\n/i -> end | "
       "421 -> close | any | timeout | close within 2s\n",
     "0 open\n1 send \"X\"\n2 expect [503 | warn 5xx 5.5.x | fail 2xx /a/b\\n/ "
     "->end | 421 ->close | any | timeout | close] within=2000000\n"},
    /* data forms */
    {H
     "open\nC: DATA\nS: 354\ndata <<EOF\nSubject: ${sender}\n\n.dot\n  EOF  \n"
     "S: 250\n",
     "0 open\n1 send \"DATA\"\n2 expect [354]\n"
     "3 data \"Subject: \" ${sender} \"\\r\\n\\r\\n.dot\\r\\n\"\n"
     "4 expect [250]\n"},
    {H "open\ndata raw <<E\n..x\nE\nS: 250\ndata msg\nS: 250\n"
       "data msg size 1 + 2\nS: 250\n",
     "0 open\n1 data raw \"..x\\r\\n\"\n2 expect [250]\n3 data msg\n"
     "4 expect [250]\n5 data msg expr=(1 + 2)\n6 expect [250]\n"},
    {H "open\ndata <<EOF\nEOF\nS: 250\n", "0 open\n1 data\n2 expect [250]\n"},
    /* tracked messages and what arrives at the next hop */
    {H "expect no arrival within 1s\nopen\n", "0 expect arrival no dur=1000000\n"
                                              "1 open\n"},
    {H "expect no arrival from cat(\"a@\", run_id) within 2s\n",
     "0 expect arrival no from dur=2000000 ${cat(\"a@\",run_id)}\n"},
    {H "open\ndata tracked raw <<E\nx\nE\nS: 250\ndata raw tracked <<E\nE\n"
       "S: 250\nexpect arrival\n! expect dsn of run_id within 2s\n"
       "expect no arrival within 1s\nassert dsn_status() == \"5.1.1\"\n",
     "0 open\n1 data raw tracked \"x\\r\\n\"\n2 expect [250]\n"
     "3 data raw tracked\n4 expect [250]\n5 expect arrival\n"
     "6 expect dsn ! dur=2000000 ${run_id}\n7 expect arrival no dur=1000000\n"
     "8 assert expr=(dsn_status() == \"5.1.1\")\n"},
    /* bdat forms */
    {H "open\nbdat 100\nS: 250\nbdat 5 last\nS: 250\nbdat last <<X\nab\nX\n"
       "S: 250\nbdat <<X\nX\nS: 250\n",
     "0 open\n1 bdat expr=100\n2 expect [250]\n3 bdat last expr=5\n"
     "4 expect [250]\n5 bdat last \"ab\\r\\n\"\n6 expect [250]\n"
     "7 bdat expr=0\n8 expect [250]\n"},
    /* expect forms and assert */
    {H "open\nC: QUIT\nS: 221\n! expect close within 10s\n",
     "0 open\n1 send \"QUIT\"\n2 expect [221]\n3 expect close ! "
     "dur=10000000\n"},
    {H "open\nexpect ehlo has AUTH PLAIN else warn\nexpect ehlo lacks "
       "STARTTLS\nexpect ehlo wellformed else fail\nexpect silence 250ms\n"
       "assert code() == 250 || !has(\"X\") else warn\n",
     "0 open\n1 expect ehlo op=0 kw=AUTH param=PLAIN else=warn\n"
     "2 expect ehlo op=1 kw=STARTTLS\n3 expect ehlo op=2\n"
     "4 expect silence dur=250000\n"
     "5 assert else=warn expr=((code() == 250) || (!has(\"X\")))\n"},
    /* capture, set, skip, sleep */
    {H "open\nC: X\nS: 250\ncapture q = /queued as ([A-Z]+)/\ncapture s = ehlo "
       "SIZE\ncapture c = code\nset n = s + 1\nskip \"no \" ${n}\nsleep 1s\n",
     "0 open\n1 send \"X\"\n2 expect [250]\n3 capture name=q from=0 "
     "re=queued as ([A-Z]+)\n4 capture name=s from=1 kw=SIZE\n"
     "5 capture name=c from=2\n6 set name=n expr=(s + 1)\n"
     "7 skip \"no \" ${n}\n8 sleep dur=1000000\n"},
    /* blocks: jumps on both ends, else, nesting, counters */
    {H "open\nif has(\"A\") {\n  C: A\n} else {\n  repeat 2 as i {\n"
       "    C: B${i}\n    S: 250\n  }\n  C: C\n}\nS: 250\n",
     "0 open\n1 if { jump=3 expr=has(\"A\")\n2 send \"A\"\n3 else jump=9\n"
     "4 repeat { jump=7 name=i expr=2\n5 send \"B\" ${i}\n6 expect [250]\n"
     "7 repeat } jump=4\n8 send \"C\"\n9 if } jump=1\n10 expect [250]\n"},
    {H "open\nif 1 {\n}\npipeline {\n  C: A\n  repeat 2 {\n    C: B\n  }\n"
       "  S: 250\n  ! S: 250\n}\n",
     "0 open\n1 if { jump=2 expr=1\n2 if } jump=1\n3 pipeline { jump=10\n"
     "4 send \"A\"\n5 repeat { jump=7 expr=2\n6 send \"B\"\n"
     "7 repeat } jump=5\n8 expect [250]\n9 expect ! [250]\n"
     "10 pipeline } jump=3\n"},
    /* connections */
    {H "open\nconnect second plain\nS: 220\nconnect t tls\nconnect\nS: 220\n"
       "use main\nclose\nopen x noauth\nreconnect noauth\nuse second\nclose\n",
     "0 open\n1 connect conn=1 tls=0\n2 expect [220]\n3 connect conn=2 tls=1\n"
     "4 connect\n5 expect [220]\n6 use conn=0\n7 close\n"
     "8 open conn=3 noauth\n9 reconnect noauth\n10 use conn=1\n11 close\n"},
    /* PROXY protocol words of connect */
    {H "connect noproxy\nconnect b proxy v2 tls\nconnect c plain proxy v1\n",
     "0 connect proxy=0\n1 connect conn=1 tls=1 proxy=2\n"
     "2 connect conn=2 tls=0 proxy=1\n"},
    /* TLS and AUTH, default and explicit expectations */
    {H "connect plain\nS: 220\nstarttls\nhandshake\n! auth cram-md5\n"
       "auth PLAIN expect 235 | warn 535\nstarttls expect 220 | 503 -> end\n",
     "0 connect tls=0\n1 expect [220]\n2 starttls [220]\n3 handshake\n"
     "4 auth ! name=CRAM-MD5 [235]\n5 auth name=PLAIN [235 | warn 535]\n"
     "6 starttls [220 | 503 ->end]\n"},
    /* handshake expectations (a failure wanted, or a finding) */
    {H "connect plain\nS: 220\nC: STARTTLS\nS: 220\n! handshake expect fail\n"
       "connect tls\nhandshake expect ok else warn\nhandshake expect fail else "
       "fail\n",
     "0 connect tls=0\n1 expect [220]\n2 send \"STARTTLS\"\n3 expect [220]\n"
     "4 handshake ! expect=fail\n5 connect tls=1\n"
     "6 handshake expect=ok else=warn\n7 handshake expect=fail\n"},
    /* expression precedence and associativity */
    {H "set x = 1 + 2 * 3 - -4 == 11 && !0 || len(\"a\") % 2 >= 1\n"
       "set y = 10 - 2 - 3\nset z = (1 + 2) * 3 != cat(\"a\", x, y)\n",
     "0 set name=x expr=(((((1 + (2 * 3)) - (-4)) == 11) && (!0)) || "
     "((len(\"a\") % 2) >= 1))\n"
     "1 set name=y expr=((10 - 2) - 3)\n"
     "2 set name=z expr=(((1 + 2) * 3) != cat(\"a\",x,y))\n"},
    /* includes: relative to the including file, nested */
    {H "open\ninclude \"inc/env.inc\"\n",
     "0 open\n1 send \"MAIL FROM:<\" ${sender} \">\"\n2 expect [250]\n"
     "3 send \"RCPT TO:<\" ${rcpt} \">\"\n4 expect [250]\n"},
    /* an include of one step keeps that step's own text */
    {H "open\nC: A\ninclude \"one.inc\"\n",
     "0 open\n1 send \"A\"\n2 expect [250]\n"},
    /* interleaved connections: each has its own pending reply */
    {H "open\nopen b\nuse main\nC: A\nuse b\nC: B\nuse main\nS: 250\nuse b\n"
       "S: 250\n",
     "0 open\n1 open conn=1\n2 use conn=0\n3 send \"A\"\n4 use conn=1\n"
     "5 send \"B\"\n6 use conn=0\n7 expect [250]\n8 use conn=1\n"
     "9 expect [250]\n"},
    /* a reply expected at the top of the next round */
    {H "open\nC: A\nrepeat 2 {\n  S: 250\n  C: B\n}\nS: 250\n",
     "0 open\n1 send \"A\"\n2 repeat { jump=5 expr=2\n3 expect [250]\n"
     "4 send \"B\"\n5 repeat } jump=2\n6 expect [250]\n"},
    /* a reply is expected in either branch */
    {H "open\nif 1 {\n  C: A\n} else {\n  C: B\n}\nS: 250\nC: C\nS: 250\n",
     "0 open\n1 if { jump=3 expr=1\n2 send \"A\"\n3 else jump=5\n"
     "4 send \"B\"\n5 if } jump=1\n6 expect [250]\n7 send \"C\"\n"
     "8 expect [250]\n"},
};

START_TEST(test_valid)
{
    const char *src = VALID[_i].src;
    char *msgs = NULL;
    struct prog_case *c = parse(src, strlen(src), &msgs);
    ck_assert_msg(c != NULL, "snippet %d: no case; errors:\n%s", _i, msgs);
    char *got = render(c);
    ck_assert_msg(strcmp(got, VALID[_i].want) == 0,
                  "snippet %d:\ngot:\n%s\nwant:\n%s", _i, got, VALID[_i].want);
    free(got);
    prog_case_free(c);
    free(msgs);
}
END_TEST

/* ---- invalid snippets: the first line of the first message ---------- */

static const struct {
    const char *src, *want;
} INVALID[] = {
    {"", "t.smtp:1:1: missing header 'id' (every case has id, title, rfc and "
         "severity)"},
    {H, "t.smtp:1:1: the case has no steps"},
    {"id: A\n", "t.smtp:1:5: an id is lower-case letters, digits and . _ - "
                "(starting with a letter or digit)"},
    {"id:\n", "t.smtp:1:4: the id is empty"},
    {"id: a\nid: b\n", "t.smtp:2:1: header 'id' given twice"},
    {"ids: a\n", "t.smtp:1:1: unknown header 'ids' (known: id, title, rfc, "
                 "severity, tags, requires, fixtures, timeout)"},
    {"s: 250\n", "t.smtp:1:1: unknown header 's' (known: id, title, rfc, "
                 "severity, tags, requires, fixtures, timeout); C: and S: are "
                 "upper case"},
    {"severity: often\n", "t.smtp:1:11: unknown severity 'often' (want must, "
                          "should, may or sec)"},
    {"tags: a b!c\n", "t.smtp:1:10: a tag is letters, digits and : . _ - "
                      "(starting with a letter or digit)"},
    {"requires: A B C\n", "t.smtp:1:15: want ',' between requirements"},
    {"requires: none, AUTH\n", "t.smtp:1:11: none stands alone: it says the "
                               "case needs nothing"},
    {"requires: A,,B\n", "t.smtp:1:13: an empty requirement (want KEYWORD "
                         "[PARAM], ... or none)"},
    {"fixtures: helo\n", "t.smtp:1:11: 'helo' is a builtin variable, not a "
                         "fixture"},
    {"timeout: 5\n", "t.smtp:1:10: '5' has no unit (want us, ms, s, m or h)"},
    {H "open\ntitle: x\n", "t.smtp:7:1: header 'title' after the first step: "
                           "headers come first"},
    {H "sned \"x\"\n", "t.smtp:6:1: unknown statement 'sned'"},
    {H "c: NOOP\n", "t.smtp:6:1: unknown header 'c' (known: id, title, rfc, "
                    "severity, tags, requires, fixtures, timeout); C: and S: "
                    "are upper case"},
    {H "C: NOOP\n", "t.smtp:6:1: no connection is open here: start with open "
                    "or connect"},
    {H "open\nC:NOOP\n", "t.smtp:7:3: want a space after C:"},
    {H "open\nC: ${nope}\n", "t.smtp:7:6: variable 'nope' is not declared: "
                             "list it in fixtures:, or capture or set it "
                             "before this line"},
    {H "open\nC: ${fill(1, 2, 3)}\n", "t.smtp:7:6: fill() takes 1 to 2 "
                                      "arguments, not 3"},
    {H "open\nC: ${code(1)}\n", "t.smtp:7:6: code() takes 0 arguments, not 1"},
    {H "open\nC: ${nosuch(1)}\n", "t.smtp:7:6: unknown function 'nosuch'"},
    {H "open\nC: ${1 +}\n", "t.smtp:7:9: want a value (a number, a "
                            "\"string\", a name or '(')"},
    {H "open\nC: ${sender\n", "t.smtp:7:12: want '}' to close the '${' at "
                              "column 4"},
    {H "open\nC: ${\"ab}\n", "t.smtp:7:6: unterminated string (want a closing "
                             "'\"')"},
    {H "open\nC: ${99999999999999999999}\n", "t.smtp:7:6: number too large"},
    {H "open\nsend \"a\\q\"\n", "t.smtp:7:8: bad escape (want \\r \\n \\t \\0 "
                                "\\\\ \\\" or \\xNN)"},
    {H "open\nsend \"\\x4\"\n", "t.smtp:7:7: bad escape (want \\r \\n \\t \\0 "
                                "\\\\ \\\" or \\xNN)"},
    {H "open\nsend NOOP\n", "t.smtp:7:6: want a \"string\" or ${...}"},
    {H "open\nsend\n", "t.smtp:7:5: send needs a \"string\" or ${...}"},
    {H "open\nS: 25\n", "t.smtp:7:4: want a reply code: three digits or x, "
                        "the first 2 to 5 (250, 2xx, 55x), or any, timeout, "
                        "close"},
    {H "open\nS: 650\n", "t.smtp:7:4: want a reply code: three digits or x, "
                         "the first 2 to 5 (250, 2xx, 55x), or any, timeout, "
                         "close"},
    {H "open\nS: 250 5.1.0\n", "t.smtp:7:8: enhanced code class 5 does not "
                               "match reply code 250"},
    {H "open\nS: 250 2.1\n", "t.smtp:7:8: want an enhanced status code such "
                             "as 2.1.0 or 5.7.x (RFC 3463)"},
    {H "open\nS: 250 /(/\n",
     "t.smtp:7:8: bad regular expression: Unmatched ( or \\("},
    {H "open\nS: 250 /ok+++/\n",
     "t.smtp:7:8: bad regular expression: stacked repetition operators (like "
     "++ or *{2}) are not allowed: use a group"},
    {H "open\ncapture v = /(x{1,200}){1,200}/\n",
     "t.smtp:7:13: bad regular expression: regular expression too complex (it "
     "would compile to more than 4096 parts)"},
    {H "open\nS: 250 /a/x\n", "t.smtp:7:11: unknown regular expression flag "
                              "(only 'i' is known)"},
    {H "open\nS: 250 /a\n", "t.smtp:7:8: unterminated regular expression "
                            "(want a closing '/')"},
    {H "open\nS: 250 |\n", "t.smtp:7:9: want a reply code (250, 2xx), any, "
                           "timeout or close"},
    {H "open\nS: 250 -> stop\n", "t.smtp:7:11: want close or end after ->"},
    {H "open\nS: 250 500\n", "t.smtp:7:8: want '|' and another alternative, "
                             "within D, or the end of the line"},
    {H "open\nS: 250 within 5\n", "t.smtp:7:15: '5' has no unit (want us, ms, "
                                  "s, m or h)"},
    {H "open\nS: 250 within 0s\n", "t.smtp:7:15: want a duration longer than "
                                   "zero"},
    {H "open\nexpect silence\n", "t.smtp:7:15: want a duration such as 250ms, "
                                 "2s or 5m"},
    {H "open\nexpect nothing\n", "t.smtp:7:8: want close, silence D, ehlo, "
                                 "arrival or dsn after expect"},
    {H "open\nexpect arrival within\n", "t.smtp:7:22: want a duration such as "
                                        "250ms, 2s or 5m"},
    {H "open\nexpect dsn of\n", "t.smtp:7:14: an expression is missing"},
    {H "expect silence 1s\n", "t.smtp:6:1: no connection is open here: start "
                               "with open or connect"},
    {H "expect close\n", "t.smtp:6:1: no connection is open here: start "
                         "with open or connect"},
    {H "expect dsn from run_id\n", "t.smtp:6:12: unexpected 'from' at the end "
                                  "of the statement"},
    {H "open\nexpect no close\n", "t.smtp:7:11: want arrival or dsn after "
                                  "expect no"},
    {H "open\nexpect arrival 5s\n", "t.smtp:7:16: unexpected '5s' at the end "
                                    "of the statement"},
    {H "open\npipeline {\nexpect dsn\n}\n", "t.smtp:8:8: expect dsn cannot be "
                                           "used inside pipeline { }"},
    {H "open\ndata raw raw <<E\nE\n", "t.smtp:7:10: want <<WORD, raw <<WORD, "
                                    "tracked <<WORD, msg or msg size N"},
    {H "open\nexpect ehlo has\n", "t.smtp:7:16: want an EHLO keyword such as "
                                  "PIPELINING"},
    {H "open\nexpect ehlo wellformed else pass\n",
     "t.smtp:7:29: want warn or fail after else"},
    {H "open\ndata\n", "t.smtp:7:5: want <<WORD, raw <<WORD, tracked <<WORD, "
                       "msg or msg size N"},
    {H "open\ndata <<\n", "t.smtp:7:6: want a word after << (e.g. <<EOF)"},
    {H "open\ndata <<EOF\nx\n", "t.smtp:7:6: <<EOF is never closed: want a "
                                "line 'EOF'"},
    {H "open\ndata <<EOF\n${nope}\nEOF\n", "t.smtp:8:3: variable 'nope' is not "
                                           "declared: list it in fixtures:, or "
                                           "capture or set it before this "
                                           "line"},
    {H "open\nbdat last\n", "t.smtp:7:10: want <<WORD after bdat last (or "
                            "write bdat N last)"},
    {H "open\nbdat\n", "t.smtp:7:5: an expression is missing"},
    {H "open\nbdat 5 first\n", "t.smtp:7:8: unexpected 'first' at the end of "
                               "the statement"},
    {H "open\ncapture x = 5\n", "t.smtp:7:13: want /regex/, ehlo KEYWORD or "
                                "code after '='"},
    {H "open\ncapture x /a/\n", "t.smtp:7:11: want '=' after the variable "
                                "name"},
    {H "open\ncapture helo = code\n", "t.smtp:7:9: 'helo' is a builtin "
                                      "variable"},
    {H "set 1x = 2\n", "t.smtp:6:5: want a variable name (letters, digits, _)"},
    {H "set x = x + 1\n", "t.smtp:6:9: variable 'x' is not declared: list it "
                          "in fixtures:, or capture or set it before this "
                          "line"},
    {H "open\nrepeat 3 {\n}\nC: ${i}\n", "t.smtp:9:6: variable 'i' is not "
                                         "declared: list it in fixtures:, or "
                                         "capture or set it before this line"},
    {H "repeat 2 as {\n}\n", "t.smtp:6:13: want a counter name after as"},
    {H "if 1\n", "t.smtp:6:5: want '{' at the end of the line"},
    {H "}\n", "t.smtp:6:1: '}' closes no block"},
    {H "repeat 1 {\n} else {\n}\n", "t.smtp:7:1: else closes a block that is "
                                    "not an if"},
    {H "if 1 {\n} else {\n} else {\n}\n", "t.smtp:8:1: a second else for one "
                                          "if"},
    {H "if 1 {\n} foo\n", "t.smtp:7:3: want nothing after '}' but 'else {'"},
    {H "if 1 {\nskip \"x\"\n", "t.smtp:6:1: this block is never closed (want "
                               "'}' in the same file)"},
    {H "open\npipeline {\npipeline {\n", "t.smtp:8:1: pipeline cannot be used "
                                         "inside pipeline { }"},
    {H "open\npipeline {\nsleep 1s\n", "t.smtp:8:1: sleep cannot be used "
                                       "inside pipeline { }"},
    {H "open\npipeline {\nexpect silence 1s\n", "t.smtp:8:8: expect silence "
                                                "cannot be used inside "
                                                "pipeline { }"},
    {H "! open\n", "t.smtp:6:3: only an expectation (S:, expect, assert, "
                   "starttls, handshake, auth) can be the key assertion"},
    {H "!\n", "t.smtp:6:1: want a statement after '!'"},
    {H "open\nC: X\n! S: 250\nC: Y\n! S: 250\n",
     "t.smtp:10:1: a second key assertion (the first is at line 8): a case "
     "has one"},
    {"id: a\ntitle: t\nrfc: r\nseverity: may\nopen\nC: X\n! S: 250\n",
     "t.smtp:7:1: a severity: may case observes and has no key assertion"},
    {"id: a\ntitle: t\nrfc: r\nseverity: may\nopen\nC: X\nS: 250 | fail 5xx\n",
     "t.smtp:7:10: a severity: may case observes: it cannot grade fail"},
    {H "use x\n", "t.smtp:6:5: connection 'x' is not opened before this line "
                  "(open or connect it first)"},
    {H "open Main\n", "t.smtp:6:6: a connection name is lower-case letters, "
                      "digits and _, starting with a letter"},
    {H "open a\nopen b\nopen c\nopen d\nopen e\nopen f\nopen g\nopen h\n",
     "t.smtp:13:6: more than 8 connections"},
    {H "connect a b\n", "t.smtp:6:11: want a connection name, plain, tls, "
                        "noproxy or proxy v1|v2"},
    {H "connect proxy v3\n", "t.smtp:6:15: want v1 or v2 after proxy"},
    {H "connect proxy\n", "t.smtp:6:14: want v1 or v2 after proxy"},
    {H "open\nauth PL@IN\n", "t.smtp:7:6: want a SASL mechanism such as PLAIN "
                             "or CRAM-MD5"},
    {H "open\nhandshake now\n", "t.smtp:7:11: want expect ok, expect fail or "
                                 "the end of the line"},
    {H "open\nhandshake expect 220\n", "t.smtp:7:18: want ok or fail after "
                                        "expect"},
    {H "open\nhandshake expect fail else pass\n",
     "t.smtp:7:28: want warn or fail after else"},
    {H "open\nhandshake expect ok extra\n", "t.smtp:7:21: unexpected 'extra' at "
                                            "the end of the statement"},
    {H "open\nstarttls now\n", "t.smtp:7:10: want expect ALTERNATIVES or the "
                               "end of the line"},
    {H "open\nC: A\nC: B\nS: 250\n",
     "t.smtp:8:1: a command is sent before the reply to line 7 is expected: "
     "add S: (or expect close, expect silence) after line 7, or put both in "
     "pipeline { }"},
    {H "open\nC: A\n", "t.smtp:7:1: the reply to this command is never "
                       "expected: add an S: line after it (or expect close)"},
    {H "open\nrepeat 2 {\n  S: 250\n  C: A\n}\nC: B\nS: 250\n",
     "t.smtp:11:1: a command is sent before the reply to line 9 is expected: "
     "add S: (or expect close, expect silence) after line 9, or put both in "
     "pipeline { }"},
    {H "open\nrepeat 2 {\n  C: A\n}\nS: 250\n",
     "t.smtp:8:3: a command is sent before the reply to line 8 is expected: "
     "add S: (or expect close, expect silence) after line 8, or put both in "
     "pipeline { }"},
    {H "open\nif 1 {\n  C: A\n}\nC: B\nS: 250\n",
     "t.smtp:10:1: a command is sent before the reply to line 8 is expected: "
     "add S: (or expect close, expect silence) after line 8, or put both in "
     "pipeline { }"},
    {H "open\nC: A\nsleep 1s\nC: B\nS: 250\n",
     "t.smtp:9:1: a command is sent before the reply to line 7 is expected: "
     "add S: (or expect close, expect silence) after line 7, or put both in "
     "pipeline { }"},
    {H "open\nC: A\nstarttls\n",
     "t.smtp:8:1: a command is sent before the reply to line 7 is expected: "
     "add S: (or expect close, expect silence) after line 7, or put both in "
     "pipeline { }"},
    {H "open\npipeline {\nC: A\nS: 250\nC: B\n}\n",
     "t.smtp:10:1: the reply to this command is never expected: add an S: "
     "line after it (or expect close)"},
    {H "include \"nope.inc\"\n", "t.smtp:6:9: cannot include 'nope.inc': no "
                                 "such file"},
    {H "include nope\n", "t.smtp:6:9: want a \"path\" relative to this file"},
    {H "include \"cyc/a.inc\"\n",
     "cyc/b.inc:1:9: include cycle: t.smtp -> cyc/a.inc -> cyc/b.inc -> "
     "cyc/a.inc"},
    {H "include \"deep/1.inc\"\n",
     "deep/16.inc:1:9: includes nested deeper than 16: t.smtp -> deep/1.inc "
     "-> deep/2.inc -> deep/3.inc -> deep/4.inc -> deep/5.inc -> deep/6.inc "
     "-> deep/7.inc -> deep/8.inc -> deep/9.inc -> deep/10.inc -> "
     "deep/11.inc -> deep/12.inc -> deep/13.inc -> deep/14.inc -> "
     "deep/15.inc -> deep/16.inc -> deep/17.inc"},
    {H "include \"open.inc\"\n}\n",
     "open.inc:1:1: this block is never closed (want '}' in the same file)"},
    {H "open\ninclude \"bad.inc\"\n", "bad.inc:2:4: want a reply code: three "
                                      "digits or x, the first 2 to 5 (250, "
                                      "2xx, 55x), or any, timeout, close"},
    {H "open\nC: a\x01\n", "t.smtp:7:5: a control character"},
    {H "open\nC: a\rb\n", "t.smtp:7:5: a carriage return inside a line"},
    {H "open\nC: \xc3\xa9\xc3\n", "t.smtp:7:5: invalid UTF-8"},
    {H "open\nC: \xc0\x80\n", "t.smtp:7:4: invalid UTF-8"},
    {H "open\nC: \xed\xa0\x80\n", "t.smtp:7:4: invalid UTF-8"},
};

/* The first line of msgs. */
static char *first_line(const char *msgs)
{
    size_t n = strcspn(msgs, "\n");
    return xstrndup(msgs, n);
}

START_TEST(test_invalid)
{
    const char *src = INVALID[_i].src;
    char *msgs = NULL;
    struct prog_case *c = parse(src, strlen(src), &msgs);
    ck_assert_msg(c == NULL, "snippet %d: parsed, want an error:\n%s", _i, src);
    char *got = first_line(msgs);
    ck_assert_msg(strcmp(got, INVALID[_i].want) == 0,
                  "snippet %d:\ngot:  %s\nwant: %s\nall:\n%s", _i, got,
                  INVALID[_i].want, msgs);
    free(got);
    free(msgs);
}
END_TEST

/* ---- whole messages ------------------------------------------------- */

START_TEST(test_message_shape)
{
    const char *src = H "open\n\tC: ${nope} \xc3\xa9\n";
    char *msgs = NULL;
    struct prog_case *c = parse(src, strlen(src), &msgs);
    ck_assert_ptr_null(c);
    const char *want =
        "t.smtp:7:7: variable 'nope' is not declared: list it in fixtures:, "
        "or capture or set it before this line\n"
        "    7 | \tC: ${nope} \xc3\xa9\n"
        "      | \t     ^\n";
    ck_assert_msg(strcmp(msgs, want) == 0, "got:\n%s\nwant:\n%s", msgs, want);
    free(msgs);
}
END_TEST

/* Every error of a file is reported, each line once. */
START_TEST(test_all_errors)
{
    const char *src = "id: X\ntitle: t\nrfc: r\nseverity: no\nopen\nS: 1\n"
                      "sned\nC: ${x}\n";
    char *msgs = NULL;
    struct prog_case *c = parse(src, strlen(src), &msgs);
    ck_assert_ptr_null(c);
    static const char *const W[] = {
        "t.smtp:1:5:", "t.smtp:4:11:", "t.smtp:6:4:", "t.smtp:7:1:",
        "t.smtp:8:6:"};
    const char *p = msgs;
    for (size_t i = 0; i < 5; i++) {
        p = strstr(p, W[i]);
        ck_assert_msg(p != NULL, "missing %s in:\n%s", W[i], msgs);
        p++;
    }
    free(msgs);
}
END_TEST

/* An include note says where the file was included from. */
START_TEST(test_include_note)
{
    const char *src = H "open\ninclude \"bad.inc\"\n";
    char *msgs = NULL;
    struct prog_case *c = parse(src, strlen(src), &msgs);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(msgs, "= included from t.smtp:7\n") != NULL, "%s",
                  msgs);
    free(msgs);
}
END_TEST

/* Headers may come from an include before the first step. */
START_TEST(test_include_headers)
{
    const char *src = "include \"hdr.inc\"\nopen\nC: NOOP\nS: 250\n";
    char *msgs = NULL;
    struct prog_case *c = parse(src, strlen(src), &msgs);
    ck_assert_msg(c != NULL, "%s", msgs);
    ck_assert_str_eq(c->id, "t.from.include");
    ck_assert_int_eq(c->severity, PROG_SEV_MAY);
    prog_case_free(c);
    free(msgs);
}
END_TEST

/* ---- line endings, trailing blanks, metadata ------------------------ */

static char *to_crlf(const char *s)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    for (; *s; s++) {
        if (*s == '\n')
            buf_addc(&b, '\r');
        buf_addc(&b, *s);
    }
    return buf_detach(&b);
}

START_TEST(test_crlf_equals_lf)
{
    const char *lf = H "open\nC: NOOP  \nS: 250\ndata <<EOF\na\n\n  b \nEOF\n"
                       "S: 250\n! expect ehlo has SIZE\n";
    char *crlf = to_crlf(lf);
    char *m1 = NULL, *m2 = NULL;
    struct prog_case *a = parse(lf, strlen(lf), &m1);
    struct prog_case *b = parse(crlf, strlen(crlf), &m2);
    ck_assert_msg(a && b, "%s%s", m1, m2);
    char *ra = render(a), *rb = render(b);
    ck_assert_str_eq(ra, rb);
    /* byte-exact: trailing blanks kept, data joined with CRLF */
    ck_assert_msg(strstr(ra, "1 send \"NOOP  \"\n") != NULL, "%s", ra);
    ck_assert_msg(strstr(ra, "3 data \"a\\r\\n\\r\\n  b \\r\\n\"\n") != NULL,
                  "%s", ra);
    ck_assert_str_eq(a->steps[1].text, "C: NOOP  ");
    ck_assert_str_eq(b->steps[1].text, "C: NOOP  ");
    /* a file's line endings change its hash, never its program */
    ck_assert_str_ne(a->hash, b->hash);
    free(ra);
    free(rb);
    prog_case_free(a);
    prog_case_free(b);
    free(crlf);
    free(m1);
    free(m2);
}
END_TEST

START_TEST(test_metadata)
{
    const char *src =
        "# top\nid: core.x.y\ntitle:  A  title  # c\nrfc: RFC 5321 4.1\n"
        "severity: sec\ntags: a cat:SYN-05 a\nrequires: PIPELINING, AUTH "
        "PLAIN\nfixtures: rcpt sender\ntimeout: 2m\nopen\n"
        "  ! S: 250 | warn 5xx # graded\n";
    char *msgs = NULL;
    struct prog_case *c = parse(src, strlen(src), &msgs);
    ck_assert_msg(c != NULL, "%s", msgs);
    ck_assert_str_eq(c->id, "core.x.y");
    ck_assert_int_eq(c->line, 2);
    ck_assert_str_eq(c->title, "A  title");
    ck_assert_str_eq(c->rfc, "RFC 5321 4.1");
    ck_assert_int_eq(c->severity, PROG_SEV_SEC);
    ck_assert_uint_eq(c->ntags, 2);
    ck_assert_str_eq(c->tags[1], "cat:SYN-05");
    ck_assert_uint_eq(c->nrequires, 2);
    ck_assert_str_eq(c->requires[0].kw, "PIPELINING");
    ck_assert_ptr_null(c->requires[0].param);
    ck_assert_str_eq(c->requires[1].param, "PLAIN");
    ck_assert_uint_eq(c->nfixtures, 2);
    ck_assert_int_eq(c->timeout_us, 120000000);
    ck_assert_int_eq(c->key_step, 1);
    const struct prog_step *s = &c->steps[1];
    ck_assert_str_eq(s->text, "! S: 250 | warn 5xx");
    ck_assert_int_eq(s->line, 11);
    ck_assert_int_eq(s->col, 3);
    ck_assert_str_eq(s->file, "t.smtp");
    ck_assert_str_eq(s->expect.alts[0].text, "250");
    ck_assert_str_eq(s->expect.alts[1].text, "warn 5xx");
    ck_assert_str_eq(c->file, "t.smtp");
    ck_assert_uint_eq(c->nconns, 1);
    ck_assert_str_eq(c->conns[0], "main");
    prog_case_free(c);
    free(msgs);
}
END_TEST

/* Steps carry the file they came from; the hash covers every file. */
START_TEST(test_include_one_step_text)
{
    const char *src = H "open\nC: A\ninclude \"one.inc\"\n";
    char *msgs = NULL;
    struct prog_case *c = parse(src, strlen(src), &msgs);
    ck_assert_msg(c != NULL, "%s", msgs);
    ck_assert_str_eq(c->steps[2].text, "S: 250");
    ck_assert_str_eq(c->steps[2].file, "one.inc");
    prog_case_free(c);
    free(msgs);
}
END_TEST

START_TEST(test_include_files_and_hash)
{
    const char *src = H "open\ninclude \"inc/env.inc\"\n";
    char *msgs = NULL;
    struct prog_case *c = parse(src, strlen(src), &msgs);
    ck_assert_msg(c != NULL, "%s", msgs);
    ck_assert_uint_eq(c->nfiles, 3);
    ck_assert_str_eq(c->files[1], "inc/env.inc");
    ck_assert_str_eq(c->files[2], "inc/b.inc");
    ck_assert_str_eq(c->steps[1].file, "inc/env.inc");
    ck_assert_int_eq(c->steps[1].line, 1);
    ck_assert_str_eq(c->steps[3].file, "inc/b.inc");
    ck_assert_str_eq(c->steps[1].text, "C: MAIL FROM:<${sender}>");
    ck_assert_str_eq(c->steps[4].text, "S: 250");
    char *all = xasprintf("%s%s%s", src, FILES[0].text, FILES[1].text);
    char want[DIGEST_SHA256_HEX];
    digest_sha256_hex(all, strlen(all), want);
    ck_assert_str_eq(c->hash, want);
    free(all);
    prog_case_free(c);
    free(msgs);
}
END_TEST

/* step->text: the statement as written, without indentation or a
 * trailing comment; C: lines whole. */
START_TEST(test_texts)
{
    const char *src =
        H "  open   # c\nset n = 5 + 1   # c\nC: NOOP # x  \nS: 250 |  5xx  "
          "within 2s # c\nrepeat n as i { # c\n}\nsend \"a\" ${n}  # c\n"
          "S: 250\nskip \"x\"\n";
    static const char *const W[] = {"open",
                                    "set n = 5 + 1",
                                    "C: NOOP # x  ",
                                    "S: 250 |  5xx  within 2s",
                                    "repeat n as i {",
                                    "}",
                                    "send \"a\" ${n}",
                                    "S: 250",
                                    "skip \"x\""};
    char *msgs = NULL;
    struct prog_case *c = parse(src, strlen(src), &msgs);
    ck_assert_msg(c != NULL, "%s", msgs);
    ck_assert_uint_eq(c->nsteps, 9);
    for (size_t i = 0; i < 9; i++)
        ck_assert_msg(strcmp(c->steps[i].text, W[i]) == 0,
                      "step %zu: got '%s' want '%s'", i, c->steps[i].text,
                      W[i]);
    ck_assert_str_eq(c->steps[3].expect.alts[1].text, "5xx");
    prog_case_free(c);
    free(msgs);
}
END_TEST

START_TEST(test_path_join)
{
    static const struct {
        const char *from, *rel, *want;
    } V[] = {
        {"t.smtp", "a.inc", "a.inc"},
        {"cases/x/t.smtp", "../inc/a.inc", "cases/inc/a.inc"},
        {"./cases//x/t.smtp", "./a.inc", "cases/x/a.inc"},
        {"t.smtp", "../a.inc", "../a.inc"},
        {"../t.smtp", "../a.inc", "../../a.inc"},
        {"/abs/t.smtp", "../../../a.inc", "/a.inc"},
        {"x/t.smtp", "/etc/a.inc", "/etc/a.inc"},
        {"x/t.smtp", "..", "."},
        {"x/.a/t.smtp", "../.b/../c", "x/c"},
    };
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        char *got = case_path_join(V[i].from, V[i].rel);
        ck_assert_msg(strcmp(got, V[i].want) == 0, "%s + %s: got %s want %s",
                      V[i].from, V[i].rel, got, V[i].want);
        free(got);
    }
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_loop_test(tc, test_valid, 0, sizeof VALID / sizeof VALID[0]);
    tcase_add_loop_test(tc, test_invalid, 0,
                        sizeof INVALID / sizeof INVALID[0]);
    tcase_add_test(tc, test_message_shape);
    tcase_add_test(tc, test_all_errors);
    tcase_add_test(tc, test_include_note);
    tcase_add_test(tc, test_include_headers);
    tcase_add_test(tc, test_crlf_equals_lf);
    tcase_add_test(tc, test_metadata);
    tcase_add_test(tc, test_include_one_step_text);
    tcase_add_test(tc, test_include_files_and_hash);
    tcase_add_test(tc, test_texts);
    tcase_add_test(tc, test_path_join);
}

#include "check_main.h"
