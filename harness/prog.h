/* prog: the compiled case, the step program the engine executes.
 *
 * suite/ parses case files into this; harness/ runs it. It says what the
 * engine can do; the case language (docs/case-format.md) is one way to
 * write it. A program is a flat array of steps: blocks (pipeline, repeat,
 * if) are BEGIN/END pairs whose `jump` fields hold the index of the
 * matching step, so the engine walks it with a program counter.
 *
 * Values that depend on the run (fixtures, captures, loop counters) are
 * templates: literal bytes and expressions evaluated when the step runs
 * (prog_eval_template). Everything in a program is owned by its
 * prog_case; prog_case_free() frees it all. */
#ifndef SMTPSUITE_PROG_H
#define SMTPSUITE_PROG_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/buf.h"

#define PROG_MAX_VALUE (64u << 20) /* largest evaluated template, bytes */
#define PROG_REGEX_INPUT 8192      /* reply text bytes a regex sees */
#define PROG_MAX_CONNS 8           /* named connections in one case */

/* ---- expressions and templates --------------------------------------- */

#define PROG_EXPR_LIST(X)                                                      \
    X(INT, "int")          /* ival */                                          \
    X(STR, "string")       /* sval, slen (may hold any byte) */                \
    X(VAR, "variable")     /* name */                                          \
    X(NEG, "-")            /* a */                                             \
    X(NOT, "!")            /* a */                                             \
    X(ADD, "+")            /* a, b: integers */                                \
    X(SUB, "-")                                                                \
    X(MUL, "*")                                                                \
    X(DIV, "/")                                                                \
    X(MOD, "%")                                                                \
    X(EQ, "==")            /* integers, or strings when either is one */       \
    X(NE, "!=")                                                                \
    X(LT, "<")             /* integers */                                      \
    X(LE, "<=")                                                                \
    X(GT, ">")                                                                 \
    X(GE, ">=")                                                                \
    X(AND, "&&")                                                               \
    X(OR, "||")                                                                \
    X(CALL, "call")        /* name, args[nargs] */

enum prog_expr_kind {
#define X(e, s) PROG_EXPR_##e,
    PROG_EXPR_LIST(X)
#undef X
};

struct prog_expr {
    enum prog_expr_kind kind;
    int64_t ival;
    char *sval;   /* STR: bytes; VAR and CALL: the name */
    size_t slen;
    struct prog_expr *a, *b;
    struct prog_expr **args;
    size_t nargs;
    int line, col; /* where it was written, for run-time messages */
};

/* Built-in functions of expressions (the parser checks names and arity
 * against this table; the engine evaluates them).
 *   fill(n)        n octets of 'x'
 *   fill(n, s)     s repeated and cut to exactly n octets
 *   cat(a, ...)    strings joined
 *   b64(s)         base64 of s (RFC 4648)
 *   len(s)         length of s in octets
 *   lower(s), upper(s)
 *   has(kw)        1 if the last EHLO reply on this connection lists kw
 *   has(kw, p)     ... and kw lists parameter p (e.g. has("AUTH","PLAIN"))
 *   param(kw)      the parameters of EHLO keyword kw, "" when absent
 *   code()         the code of the last reply (0 if none)
 *   contains(s, t) 1 if s holds the octets t, else 0
 *   starts(s, t)   1 if s begins with t, else 0
 *   ends(s, t)     1 if s ends with t, else 0
 *   tls_version()  the connection's TLS protocol: 0 none, 10, 11, 12, 13
 *   tls_verified() its certificate check: 1 passed, 0 failed (or no TLS),
 *                  -1 not checked (tls-verify none)
 *   tls_cipher()   its cipher ("" without TLS)
 *   arrival_*(), dsn_*()  the message the last expect arrival / expect
 *                  dsn found (harness/arrival_eval.h lists them) */
struct prog_func {
    const char *name;
    int min_args, max_args;
};
extern const struct prog_func PROG_FUNCS[];
extern const size_t PROG_NFUNCS;
/* The entry for name, or NULL. */
const struct prog_func *prog_func_find(const char *name);

/* Variables every case may use without declaring them. */
#define PROG_BUILTIN_VARS(X)                                                   \
    X("helo")      /* the client's EHLO name (target; default client.test) */ \
    X("case_id")                                                               \
    X("run_id")                                                                \
    X("date")      /* now, RFC 5322 date-time */                               \
    X("msgid")     /* a fresh unique Message-ID value, without < > */         \
    X("msgtoken")  /* the message token of delivery checks */

/* Nonzero if name is a builtin variable. */
int prog_builtin_var(const char *name);

struct prog_seg {
    struct prog_expr *expr; /* NULL: literal bytes in lit/len */
    char *lit;
    size_t len;
};

/* A template: the concatenation of its segments. */
struct prog_tmpl {
    struct prog_seg *segs;
    size_t nsegs, capsegs;
};

/* ---- expectations ------------------------------------------------------ */

enum prog_grade {
    PROG_GRADE_PASS,
    PROG_GRADE_WARN,
    PROG_GRADE_FAIL,
};

enum prog_then {
    PROG_THEN_CONTINUE, /* go on with the next step */
    PROG_THEN_CLOSE,    /* the server must close now; the case ends */
    PROG_THEN_END,      /* the case ends here with this grade */
};

enum prog_match_kind {
    PROG_MATCH_REPLY,   /* a reply matching code / esc / regex */
    PROG_MATCH_ANY,     /* any reply */
    PROG_MATCH_TIMEOUT, /* no reply within the step's timeout */
    PROG_MATCH_CLOSE,   /* the server closed instead of replying */
};

/* One alternative of an expectation: "503", "warn 5xx", "2xx 2.1.x",
 * "250 /queued as/", "421 -> close", "fail timeout". */
struct prog_match {
    enum prog_match_kind kind;
    char code[4];  /* three characters of '0'-'9' or 'x'; "" = any code */
    char esc[16];  /* "" = any; else "C.S.D" where each part may be 'x' */
    regex_t *re;   /* POSIX ERE (REG_EXTENDED), or NULL */
    char *re_src;
    enum prog_grade grade;
    enum prog_then then;
    char *text;    /* the alternative as written, recorded when it came */
};

struct prog_expect {
    struct prog_match *alts;
    size_t nalts, capalts;
    int64_t within_us; /* 0: the step's default timeout */
};

/* ---- steps ------------------------------------------------------------- */

#define PROG_STEP_LIST(X)                                                      \
    X(OPEN, "open")             /* conn: connect + the target's prologue */   \
    X(CONNECT, "connect")       /* conn: transport only (tls per target or    \
                                   `tls` field), no banner read */            \
    X(USE, "use")               /* conn: later steps talk on it */            \
    X(CLOSE, "close")           /* the client closes the current conn */      \
    X(RECONNECT, "reconnect")   /* close, then OPEN again under the same name*/\
    X(SEND, "send")             /* C: tmpl + CRLF (no CR/LF from values) */   \
    X(RAW, "raw")               /* tmpl as bytes, nothing added */            \
    X(DATA, "data")             /* content: tmpl (dot-stuffed) or generated;  \
                                   then CRLF.CRLF; its reply is "eod" */      \
    X(BDAT, "bdat")             /* BDAT n [LAST] + n octets (tmpl or fill) */ \
    X(EXPECT, "expect")         /* S: the next reply */                       \
    X(EXPECT_CLOSE, "expect close")                                            \
    X(EXPECT_SILENCE, "expect silence") /* nothing arrives for dur_us */      \
    X(EXPECT_ARRIVAL, "expect arrival") /* the next hop got message tmpl      \
                                   (or the last tracked one) in dur_us */     \
    X(EXPECT_DSN, "expect dsn") /* a DSN (from <>) quoting that token */      \
    X(SLEEP, "sleep")           /* dur_us */                                  \
    X(CAPTURE, "capture")       /* name = from (regex | ehlo kw | code) */    \
    X(SET, "set")               /* name = expr */                             \
    X(SKIP, "skip")             /* the case is SKIPped: text (a tmpl) */      \
    X(EHLO_CHECK, "expect ehlo")/* has/lacks kw [param], wellformed */        \
    X(PIPE_BEGIN, "pipeline {") /* sends until PIPE_END go in one write */    \
    X(PIPE_END, "pipeline }")                                                  \
    X(REPEAT_BEGIN, "repeat {") /* expr times; var counts from 0 */           \
    X(REPEAT_END, "repeat }")                                                  \
    X(IF_BEGIN, "if {")         /* expr; jump -> ELSE or IF_END */            \
    X(ELSE, "else")             /* jump -> IF_END */                          \
    X(IF_END, "if }")                                                          \
    X(STARTTLS, "starttls")     /* STARTTLS, expect (default 220), handshake */\
    X(HANDSHAKE, "handshake")   /* the TLS handshake alone; tls_expect */     \
    X(AUTH, "auth")             /* AUTH mech with the target's credentials */\
    X(ASSERT, "assert")         /* expr must hold (non-zero), else the case \
                                   is graded grade_false */

enum prog_step_kind {
#define X(e, s) PROG_STEP_##e,
    PROG_STEP_LIST(X)
#undef X
        PROG_STEP_COUNT
};

enum prog_capture_from {
    PROG_CAPTURE_REGEX, /* group 1 (or the whole match) of the last reply */
    PROG_CAPTURE_EHLO,  /* parameters of EHLO keyword `kw` */
    PROG_CAPTURE_CODE,  /* the last reply's code */
};

enum prog_ehlo_op {
    PROG_EHLO_HAS,       /* kw [param] is listed */
    PROG_EHLO_LACKS,     /* kw [param] is not listed */
    PROG_EHLO_WELLFORMED /* the ehlo-ok-rsp grammar holds */
};

/* What a handshake step expects (RFC 3207, RFC 8314). */
enum prog_tls_expect {
    PROG_TLS_DEFAULT, /* success; a failure is ERROR tls (we could not test) */
    PROG_TLS_OK,      /* success; a failure is a finding (FAIL) */
    PROG_TLS_FAIL,    /* failure; a success is a finding */
};

enum prog_data_gen {
    PROG_DATA_TEMPLATE, /* content from tmpl */
    PROG_DATA_MESSAGE,  /* a generated RFC 5322 message, `size` octets or
                           minimal when size is NULL */
};

struct prog_step {
    enum prog_step_kind kind;
    int line, col;  /* in `file` */
    const char *file; /* points into the case's files[] */
    bool key;       /* the case's key assertion */
    int conn;       /* index into prog_case.conns, -1 = current */
    int jump;       /* block steps: index of the matching step */

    struct prog_tmpl tmpl;      /* SEND RAW DATA BDAT SKIP; EXPECT_ARRIVAL
                                   EXPECT_DSN: the token (may be empty) */
    struct prog_expr *expr;     /* SET IF_BEGIN REPEAT_BEGIN ASSERT;
                                   DATA/BDAT: size */
    struct prog_expect expect;  /* EXPECT; STARTTLS and AUTH (optional) */
    int64_t dur_us;             /* SLEEP EXPECT_SILENCE EXPECT_CLOSE
                                   EXPECT_ARRIVAL EXPECT_DSN (0 = default
                                   timeout) */
    char *name;                 /* CAPTURE SET: variable; REPEAT: counter
                                   (may be NULL); AUTH: mechanism */
    enum prog_capture_from from;
    regex_t *re;                /* CAPTURE regex */
    char *re_src;
    char *kw, *param;           /* CAPTURE ehlo / EHLO_CHECK keyword */
    enum prog_ehlo_op ehlo_op;
    enum prog_grade grade_false;/* EHLO_CHECK ASSERT: grade when it does
                                   not hold (FAIL: at the case's severity) */
    enum prog_data_gen gen;     /* DATA */
    bool last;                  /* BDAT LAST */
    bool dot_stuff;             /* DATA: true unless `data raw` */
    bool tracked;               /* DATA: the template's content gets a
                                   delivery token and digest fields */
    bool absent;                /* EXPECT_ARRIVAL EXPECT_DSN: `no`: it must
                                   not come within dur_us */
    bool by_sender;             /* EXPECT_ARRIVAL: `from EXPR`: tmpl is an
                                   envelope sender, not a token */
    int tls_mode;               /* CONNECT: -1 target's, 0 plain,
                                   1 implicit TLS */
    int proxy;                  /* CONNECT: -1 the target's PROXY header,
                                   else an enum proxy_version */
    bool no_auth;               /* OPEN RECONNECT: run the prologue without
                                   its AUTH (cases that test AUTH) */
    enum prog_tls_expect tls_expect; /* HANDSHAKE; grade_false for else */
    char *text;                 /* the step as written (one line, for
                                   results: "C: MAIL FROM:<${sender}>") */
};

enum prog_severity {
    PROG_SEV_MUST,
    PROG_SEV_SHOULD,
    PROG_SEV_MAY,
    PROG_SEV_SEC,
};
const char *prog_severity_name(enum prog_severity s);

struct prog_require {
    char *kw;    /* EHLO keyword, e.g. "AUTH" */
    char *param; /* or NULL; e.g. "PLAIN" */
};

struct prog_case {
    char *id;
    char *title;
    char *rfc;
    enum prog_severity severity;
    char **tags;
    size_t ntags, captags;
    struct prog_require *requires;
    size_t nrequires, caprequires;
    char **fixtures; /* variable names the target must define */
    size_t nfixtures, capfixtures;
    char *conns[PROG_MAX_CONNS]; /* connection names; [0] is "main" */
    size_t nconns;
    int64_t timeout_us; /* whole-case timeout; 0 = the profile's */

    char *file;  /* the case file (as given) */
    int line;    /* of the `id:` header */
    char *hash;  /* SHA-256 of the case file's bytes (and its includes) */
    char **files; /* the file and every include, for step->file */
    size_t nfiles, capfiles;

    struct prog_step *steps;
    size_t nsteps, capsteps;
    int key_step; /* index of the key assertion, -1 if none */
};

/* ---- construction (used by the case parser) -------------------------- */

struct prog_case *prog_case_new(void);
void prog_case_free(struct prog_case *c); /* NULL is a no-op */
/* Appends a zeroed step of kind k (conn -1, jump -1); the pointer is
 * valid until the next add. */
struct prog_step *prog_step_add(struct prog_case *c, enum prog_step_kind k);
struct prog_match *prog_match_add(struct prog_expect *e);
void prog_tmpl_add_lit(struct prog_tmpl *t, const char *p, size_t n);
void prog_tmpl_add_expr(struct prog_tmpl *t, struct prog_expr *e); /* takes e */
struct prog_expr *prog_expr_new(enum prog_expr_kind k, int line, int col);
void prog_expr_free(struct prog_expr *e);
/* Adds a connection name; returns its index, or -1 when full. An existing
 * name returns its index. */
int prog_conn_index(struct prog_case *c, const char *name);
const char *prog_step_kind_name(enum prog_step_kind k);

/* ---- evaluation (used by the engine) --------------------------------- */

struct arrival_view;

/* The TLS facts of the current connection, for tls_*(). */
struct prog_tls_view {
    int version;        /* 0 no TLS, 10 (TLS 1.0), 11, 12, 13 */
    int verified;       /* 1, 0, -1 not checked */
    const char *cipher; /* "" without TLS */
};

/* Where variables come from at run time. lookup returns the value of a
 * variable (bytes and length; *secret set when it is a secret) or NULL
 * when it is not defined. ehlo gives the current connection's last EHLO
 * reply text (lines after the first, "\n"-joined keyword lines), or NULL.
 * tls fills the current connection's TLS facts (NULL: never TLS). */
struct prog_env {
    const char *(*lookup)(void *arg, const char *name, size_t *len,
                          bool *secret);
    const char *(*ehlo)(void *arg);
    int (*last_code)(void *arg);
    void *arg;
    void (*tls)(void *arg, struct prog_tls_view *out);
    /* The message the last expect arrival / expect dsn found, into
     * *out; false when there is none. */
    bool (*arrival)(void *arg, struct arrival_view *out);
};

/* Evaluates t into out. *secret is set when a secret value went in.
 * no_crlf: a value substituted may not hold CR or LF (C: lines).
 * Returns 0, or -1 with "line:col: message" in err. */
int prog_eval_template(const struct prog_tmpl *t, const struct prog_env *env,
                       bool no_crlf, struct buf *out, bool *secret, char *err,
                       size_t errlen);
/* Evaluates e to an integer; 0 or -1 with err. */
int prog_eval_int(const struct prog_expr *e, const struct prog_env *env,
                  int64_t *out, char *err, size_t errlen);

/* What a reply looks like to the matcher. text: the reply's lines' text
 * (after the code), "\n"-joined; the matcher sanitises its own copy. */
struct prog_reply_view {
    int code;
    const char *esc; /* "" when none */
    const char *text;
    size_t len;
};

/* Returns the index of the first alternative matching the reply, or -1.
 * kind says what happened: a reply (view set), a timeout or a close. */
int prog_expect_match(const struct prog_expect *e, enum prog_match_kind kind,
                      const struct prog_reply_view *view);

/* Dot-stuffs content for DATA (RFC 5321 4.5.2) into out: a '.' at the
 * start of a line (after CRLF, or at the start) is doubled; a final CRLF
 * is added when missing; then ".\r\n". Only CRLF separates lines: a bare
 * CR or LF inside the content stays as it is. */
void prog_dot_stuff(const char *p, size_t n, struct buf *out);

#endif
