/* target_file: the target-file parser (see target_file.h). Keys are
 * "key: value" lines dispatched through one table; fixtures, secrets and
 * xfails have their own line forms:
 *
 *   fixture NAME = VALUE | "quoted" | env:VAR | file:PATH
 *   secret NAME = env:VAR | file:PATH
 *   xfail: ID-GLOB "reason" [until:YYYY-MM-DD] */
#include "suite/target_file.h"
#include "suite/case_lex.h"
#include "suite/case_parse.h"
#include "harness/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct tp {
    struct target *t;
    struct diag *d;
    const struct target_file_io *io;
    const char *file;
    const struct lex_line *line;
    bool hide; /* the current line may hold a secret */
    unsigned seen;
    bool verify_set, has_user, has_pass, has_token;
};

static void tp_err(struct tp *tp, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void tp_err(struct tp *tp, size_t off, const char *fmt, ...)
{
    char msg[DIAG_MAX_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const struct lex_line *l = tp->line;
    struct diag_loc loc = {
        tp->file, l->lineno, diag_col(l->p, off > l->len ? l->len : off),
        l->p,     l->len,    tp->hide};
    diag_error(tp->d, &loc, "%s", msg);
}

bool target_always_secret(const char *name)
{
    return strcmp(name, "user") == 0 || strcmp(name, "pass") == 0 ||
           strcmp(name, "token") == 0;
}

/* ---- values --------------------------------------------------------- */

static int read_value_file(const char *path, const struct target_file_io *io,
                           char **out, size_t *len, char *err, size_t errlen)
{
    if (!io || !io->read) {
        snprintf(err, errlen, "file: values are not available here");
        return -1;
    }
    if (io->read(io->arg, path, out, len, err, errlen) != 0)
        return -1;
    if (*len > TARGET_VALUE_MAX) {
        free(*out);
        snprintf(err, errlen, "%s is larger than 64 KiB", path);
        return -1;
    }
    /* one trailing line break (LF or CRLF) is not part of the value */
    if (*len && (*out)[*len - 1] == '\n')
        (*len)--;
    if (*len && (*out)[*len - 1] == '\r')
        (*len)--;
    (*out)[*len] = '\0';
    return 0;
}

int target_value_resolve(const char *spec, size_t n, const char *relto,
                         const struct target_file_io *io, char **out,
                         size_t *len, bool *from_env_file, char *err,
                         size_t errlen)
{
    *from_env_file = false;
    if (n > 4 && memcmp(spec, "env:", 4) == 0) {
        char *name = xstrndup(spec + 4, n - 4);
        const char *v = io && io->getenv ? io->getenv(io->arg, name) : NULL;
        free(name);
        *from_env_file = true;
        if (!v)
            return 0;
        *len = strlen(v);
        *out = xstrdup(v);
        return 1;
    }
    if (n > 5 && memcmp(spec, "file:", 5) == 0) {
        char *rel = xstrndup(spec + 5, n - 5);
        char *path = relto ? case_path_join(relto, rel) : xstrdup(rel);
        int rc = read_value_file(path, io, out, len, err, errlen);
        free(rel);
        free(path);
        *from_env_file = true;
        return rc == 0 ? 1 : -1;
    }
    *out = xstrndup(spec, n);
    *len = n;
    return 1;
}

/* The value after "key:" or "=": trimmed, without a " #" comment. */
static void rest(const struct lex_line *l, size_t from, size_t *a, size_t *b)
{
    size_t i = from;
    while (i < l->len && (l->p[i] == ' ' || l->p[i] == '\t'))
        i++;
    size_t e = i;
    while (e < l->len &&
           !(l->p[e] == '#' && (l->p[e - 1] == ' ' || l->p[e - 1] == '\t')))
        e++;
    while (e > i && (l->p[e - 1] == ' ' || l->p[e - 1] == '\t'))
        e--;
    *a = i;
    *b = e;
}

/* ---- keys ----------------------------------------------------------- */

struct kv {
    const char *p; /* the value */
    size_t n, off;
};

static char *kvdup(const struct kv *v)
{
    return xstrndup(v->p, v->n);
}

static bool kv_is(const struct kv *v, const char *w)
{
    return strlen(w) == v->n && memcmp(v->p, w, v->n) == 0;
}

/* Picks one of words[] (NULL-terminated); -1 after reporting. */
static int choice(struct tp *tp, const struct kv *v, const char *key,
                  const char *const *words)
{
    char list[160] = "";
    for (int i = 0; words[i]; i++) {
        if (kv_is(v, words[i]))
            return i;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 i ? ", " : "", words[i]);
    }
    tp_err(tp, v->off, "unknown %s '%.*s' (want %s)", key, (int)v->n, v->p,
           list);
    return -1;
}

static int k_name(struct tp *tp, const struct kv *v)
{
    free(tp->t->name);
    tp->t->name = kvdup(v);
    return 0;
}

static int k_address(struct tp *tp, const struct kv *v)
{
    char err[256];
    char *a = kvdup(v);
    int rc = target_parse_address(tp->t, a, err, sizeof err);
    free(a);
    if (rc != 0)
        tp_err(tp, v->off, "%s", err);
    return rc;
}

static int k_tls(struct tp *tp, const struct kv *v)
{
    static const char *const W[] = {"none", "starttls", "implicit", NULL};
    int i = choice(tp, v, "tls mode", W);
    if (i >= 0)
        tp->t->tls = (enum target_tls)i;
    return i < 0 ? -1 : 0;
}

static int k_protocol(struct tp *tp, const struct kv *v)
{
    static const char *const W[] = {"smtp", "lmtp", NULL};
    int i = choice(tp, v, "protocol", W);
    if (i >= 0)
        tp->t->protocol = (enum target_protocol)i;
    return i < 0 ? -1 : 0;
}

static int k_hello(struct tp *tp, const struct kv *v)
{
    static const char *const W[] = {"ehlo", "helo", "none", NULL};
    int i = choice(tp, v, "hello", W);
    if (i >= 0)
        tp->t->hello = (enum target_hello)i;
    return i < 0 ? -1 : 0;
}

static int set_str(char **dst, const struct kv *v)
{
    free(*dst);
    *dst = kvdup(v);
    return 0;
}

static int k_helo(struct tp *tp, const struct kv *v)
{
    return set_str(&tp->t->helo_name, v);
}

static int k_auth(struct tp *tp, const struct kv *v)
{
    return set_str(&tp->t->auth_mech, v);
}

static int k_bind(struct tp *tp, const struct kv *v)
{
    return set_str(&tp->t->bind, v);
}

static int k_proxy(struct tp *tp, const struct kv *v)
{
    static const char *const W[] = {"none", "v1", "v2", NULL};
    int i = choice(tp, v, "proxy version", W);
    if (i >= 0)
        tp->t->proxy = (enum proxy_version)i;
    return i < 0 ? -1 : 0;
}

/* A claimed PROXY address: ADDR:PORT, checked now. */
static int proxy_addr(struct tp *tp, const struct kv *v, char **dst)
{
    char err[160];
    struct proxy_addr a;
    char *s = kvdup(v);
    if (proxy_parse_addr(s, &a, err, sizeof err) != 0) {
        free(s);
        tp_err(tp, v->off, "%s", err);
        return -1;
    }
    free(*dst);
    *dst = s;
    return 0;
}

static int k_proxy_source(struct tp *tp, const struct kv *v)
{
    return proxy_addr(tp, v, &tp->t->proxy_source);
}

static int k_proxy_dest(struct tp *tp, const struct kv *v)
{
    return proxy_addr(tp, v, &tp->t->proxy_dest);
}

/* XCLIENT / XFORWARD attributes, checked now. */
static int attrs(struct tp *tp, const struct kv *v, char **dst)
{
    char err[200];
    char *s = kvdup(v);
    if (target_check_attrs(s, err, sizeof err) != 0) {
        free(s);
        tp_err(tp, v->off, "%s", err);
        return -1;
    }
    free(*dst);
    *dst = s;
    return 0;
}

static int k_xclient(struct tp *tp, const struct kv *v)
{
    return attrs(tp, v, &tp->t->xclient);
}

static int k_xclient_tls(struct tp *tp, const struct kv *v)
{
    static const char *const W[] = {"after", "before", NULL};
    int i = choice(tp, v, "xclient-tls", W);
    if (i >= 0)
        tp->t->xclient_before_tls = i == 1;
    return i < 0 ? -1 : 0;
}

static int k_xforward(struct tp *tp, const struct kv *v)
{
    return attrs(tp, v, &tp->t->xforward);
}

static int k_verify(struct tp *tp, const struct kv *v)
{
    static const char *const W[] = {"none", "system", "ca-file", NULL};
    int i = choice(tp, v, "tls-verify", W);
    if (i >= 0)
        tp->t->tls_opts.verify = (enum target_verify)i;
    tp->verify_set = true;
    return i < 0 ? -1 : 0;
}

static int yes_no(struct tp *tp, const struct kv *v, const char *key, bool *out)
{
    static const char *const W[] = {"no", "yes", NULL};
    int i = choice(tp, v, key, W);
    if (i >= 0)
        *out = i == 1;
    return i < 0 ? -1 : 0;
}

static int k_check_name(struct tp *tp, const struct kv *v)
{
    return yes_no(tp, v, "tls-check-name", &tp->t->tls_opts.check_name);
}

static int k_sni(struct tp *tp, const struct kv *v)
{
    bool sni = true;
    int rc = yes_no(tp, v, "tls-sni", &sni);
    if (rc == 0)
        tp->t->tls_opts.no_sni = !sni;
    return rc;
}

/* A file the TLS layer reads: resolved against the target file. */
static int tls_file(struct tp *tp, const struct kv *v, char **dst)
{
    char *rel = kvdup(v), err[256];
    char *path = case_path_join(tp->file, rel);
    free(rel);
    if (tp->io && tp->io->check_file &&
        tp->io->check_file(tp->io->arg, path, err, sizeof err) != 0) {
        tp_err(tp, v->off, "%s", err);
        free(path);
        return -1;
    }
    free(*dst);
    *dst = path;
    return 0;
}

static int k_ca_file(struct tp *tp, const struct kv *v)
{
    return tls_file(tp, v, &tp->t->tls_opts.ca_file);
}

static int k_cert(struct tp *tp, const struct kv *v)
{
    return tls_file(tp, v, &tp->t->tls_opts.cert_file);
}

static int k_key(struct tp *tp, const struct kv *v)
{
    return tls_file(tp, v, &tp->t->tls_opts.key_file);
}

static int k_servername(struct tp *tp, const struct kv *v)
{
    return set_str(&tp->t->tls_opts.servername, v);
}

static int tls_version(struct tp *tp, const struct kv *v, char **dst)
{
    static const char *const W[] = {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3",
                                    NULL};
    if (choice(tp, v, "TLS version", W) < 0)
        return -1;
    return set_str(dst, v);
}

static int k_min(struct tp *tp, const struct kv *v)
{
    return tls_version(tp, v, &tp->t->tls_opts.min_proto);
}

static int k_max(struct tp *tp, const struct kv *v)
{
    return tls_version(tp, v, &tp->t->tls_opts.max_proto);
}

static int k_ciphers(struct tp *tp, const struct kv *v)
{
    return set_str(&tp->t->tls_opts.ciphers, v);
}

static int k_suites(struct tp *tp, const struct kv *v)
{
    return set_str(&tp->t->tls_opts.suites, v);
}

/* YYYY-MM-DD: the xfail holds through that day (UTC). */
static int parse_until(struct tp *tp, const char *p, size_t n, size_t off,
                       int64_t *us)
{
    int y, m, d;
    char tail;
    char s[16];
    snprintf(s, sizeof s, "%.*s", (int)(n < 15 ? n : 15), p);
    if (n != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
        s[4] != '-' || s[7] != '-') {
        tp_err(tp, off, "want until:YYYY-MM-DD");
        return -1;
    }
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    time_t t = timegm(&tm);
    if (tm.tm_year != y - 1900 || tm.tm_mon != m - 1 || tm.tm_mday != d) {
        tp_err(tp, off, "%.10s is not a date", p);
        return -1;
    }
    *us = ((int64_t)t + 86400) * 1000000;
    return 0;
}

/* xfail: ID-GLOB "reason" [until:YYYY-MM-DD] */
static int k_xfail(struct tp *tp, const struct kv *v)
{
    struct lex x;
    struct lex_tok t;
    lex_init(&x, tp->line->p, v->off + v->n, v->off);
    lex_next(&x, &t);
    if (t.kind != LEX_WORD) {
        tp_err(tp, t.off, "want a case id or glob (core.*)");
        return -1;
    }
    char *pattern = xstrndup(x.p + t.off, t.len);
    struct buf reason;
    buf_init(&reason, 1024);
    int64_t until = 0;
    size_t end, erroff;
    const char *why;
    int rc = -1;
    lex_next(&x, &t);
    if (t.kind != LEX_STRING) {
        tp_err(tp, t.off, "want a \"reason\" after the id");
        goto done;
    }
    if (lex_string(x.p + t.off, t.len, &reason, &end, &erroff, &why) != 0) {
        tp_err(tp, t.off + erroff, "%s", why);
        goto done;
    }
    lex_next(&x, &t);
    if (t.kind == LEX_WORD && t.len > 6 &&
        memcmp(x.p + t.off, "until:", 6) == 0) {
        if (parse_until(tp, x.p + t.off + 6, t.len - 6, t.off + 6, &until))
            goto done;
        lex_next(&x, &t);
    }
    if (t.kind != LEX_END) {
        tp_err(tp, t.off, "want until:YYYY-MM-DD or the end of the line");
        goto done;
    }
    struct target *tg = tp->t;
    xgrow(&tg->xfails, &tg->capxfails, tg->nxfails + 1, sizeof *tg->xfails);
    struct target_xfail *xf = &tg->xfails[tg->nxfails++];
    xf->pattern = pattern;
    xf->reason = buf_detach(&reason);
    xf->until_us = until;
    pattern = NULL;
    rc = 0;
done:
    free(pattern);
    buf_free(&reason);
    return rc;
}

static const struct key {
    const char *name;
    int (*fn)(struct tp *, const struct kv *);
    bool repeatable;
} KEYS[] = {
    {"name", k_name, false},
    {"address", k_address, false},
    {"tls", k_tls, false},
    {"protocol", k_protocol, false},
    {"hello", k_hello, false},
    {"helo", k_helo, false},
    {"auth", k_auth, false},
    {"bind", k_bind, false},
    {"proxy", k_proxy, false},
    {"proxy-source", k_proxy_source, false},
    {"proxy-dest", k_proxy_dest, false},
    {"xclient", k_xclient, false},
    {"xclient-tls", k_xclient_tls, false},
    {"xforward", k_xforward, false},
    {"tls-verify", k_verify, false},
    {"tls-ca-file", k_ca_file, false},
    {"tls-servername", k_servername, false},
    {"tls-check-name", k_check_name, false},
    {"tls-sni", k_sni, false},
    {"tls-cert", k_cert, false},
    {"tls-key", k_key, false},
    {"tls-min", k_min, false},
    {"tls-max", k_max, false},
    {"tls-ciphers", k_ciphers, false},
    {"tls-suites", k_suites, false},
    {"xfail", k_xfail, true},
};
#define NKEYS (sizeof KEYS / sizeof KEYS[0])

static void key_line(struct tp *tp, size_t i, size_t klen)
{
    const struct lex_line *l = tp->line;
    for (size_t k = 0; k < NKEYS; k++) {
        if (strlen(KEYS[k].name) != klen ||
            memcmp(KEYS[k].name, l->p + i, klen) != 0)
            continue;
        if (!KEYS[k].repeatable && (tp->seen & (1u << k))) {
            tp_err(tp, i, "'%s' given twice", KEYS[k].name);
            return;
        }
        tp->seen |= 1u << k;
        size_t a, b;
        rest(l, i + klen + 1, &a, &b);
        struct kv v = {l->p + a, b - a, a};
        if (v.n == 0) {
            tp_err(tp, a, "'%s' needs a value", KEYS[k].name);
            return;
        }
        KEYS[k].fn(tp, &v);
        return;
    }
    tp_err(tp, i, "unknown key '%.*s' (see docs/target-format.md)", (int)klen,
           l->p + i);
}

/* ---- fixtures ------------------------------------------------------- */

/* The value after '=': a "quoted string" (literal) or the rest. */
static int fixture_value(struct tp *tp, size_t from, bool is_secret,
                         const char *name, char **val, size_t *len,
                         bool *secret)
{
    const struct lex_line *l = tp->line;
    size_t a, b, end, erroff;
    const char *why;
    char err[256];
    rest(l, from, &a, &b);
    if (a < l->len && l->p[a] == '"') {
        if (is_secret) {
            tp_err(tp, a,
                   "a secret comes from env:VAR or file:PATH, not "
                   "from this file");
            return -1;
        }
        struct buf s;
        buf_init(&s, TARGET_VALUE_MAX);
        if (lex_string(l->p + a, l->len - a, &s, &end, &erroff, &why) != 0) {
            buf_free(&s);
            tp_err(tp, a + erroff, "%s", why);
            return -1;
        }
        size_t e = a + end;
        while (e < l->len && (l->p[e] == ' ' || l->p[e] == '\t'))
            e++;
        if (e < l->len && !(l->p[e] == '#' && e > a + end)) {
            buf_free(&s);
            tp_err(tp, e, "want nothing after the quoted value");
            return -1;
        }
        *len = s.len;
        *val = buf_detach(&s);
        *secret = target_always_secret(name);
        return 1;
    }
    if (a == b) {
        tp_err(tp, a, "want a value after '='");
        return -1;
    }
    bool via;
    int rc = target_value_resolve(l->p + a, b - a, tp->file, tp->io, val, len,
                                  &via, err, sizeof err);
    if (rc < 0)
        tp_err(tp, a, "%s", err);
    else if (is_secret && !via) {
        free(*val);
        *val = NULL;
        tp_err(tp, a,
               "a secret comes from env:VAR or file:PATH, not from "
               "this file");
        return -1;
    }
    *secret = is_secret || via || target_always_secret(name);
    return rc;
}

/* fixture NAME = VALUE / secret NAME = env:VAR|file:PATH */
static void fixture_line(struct tp *tp, size_t i, bool is_secret)
{
    const struct lex_line *l = tp->line;
    struct lex x;
    struct lex_tok name, eq;
    lex_init(&x, l->p, l->len, i + (is_secret ? 6 : 7));
    lex_next(&x, &name);
    lex_next(&x, &eq);
    const char *p = l->p + name.off;
    bool ok = name.kind == LEX_WORD && name.len <= 64 && name.len > 0 &&
              !(p[0] >= '0' && p[0] <= '9');
    for (size_t k = 0; ok && k < name.len; k++)
        ok = (p[k] >= 'a' && p[k] <= 'z') || (p[k] >= 'A' && p[k] <= 'Z') ||
             (p[k] >= '0' && p[k] <= '9') || p[k] == '_';
    if (!ok) {
        tp_err(tp, name.off, "want a fixture name (letters, digits, _)");
        return;
    }
    char *n = xstrndup(p, name.len);
    tp->hide = is_secret || target_always_secret(n);
    if (!lex_punct(&x, &eq, "=")) {
        tp_err(tp, eq.off, "want '=' after the name");
    } else {
        char *val = NULL;
        size_t len = 0;
        bool secret = false;
        int rc =
            fixture_value(tp, eq.off + 1, is_secret, n, &val, &len, &secret);
        if (rc > 0)
            target_set_fixture(tp->t, n, val, len, secret);
        if (rc > 0 && secret)
            memset(val, 0, len);
        free(val);
        tp->has_user |= strcmp(n, "user") == 0 && rc >= 0;
        tp->has_pass |= strcmp(n, "pass") == 0 && rc >= 0;
        tp->has_token |= strcmp(n, "token") == 0 && rc >= 0;
    }
    free(n);
    tp->hide = false;
}

/* ---- the file ------------------------------------------------------- */

static void tline(struct tp *tp, const struct lex_line *l)
{
    tp->line = l;
    const char *why;
    long bad = lex_check_line(l->p, l->len, &why);
    if (bad >= 0) {
        tp->hide = true; /* it may be a secret line */
        tp_err(tp, (size_t)bad, "%s", why);
        tp->hide = false;
        return;
    }
    size_t i = 0;
    while (i < l->len && (l->p[i] == ' ' || l->p[i] == '\t'))
        i++;
    if (i == l->len || l->p[i] == '#')
        return;
    size_t j = i;
    while (j < l->len && ((l->p[j] >= 'a' && l->p[j] <= 'z') || l->p[j] == '-'))
        j++;
    bool sp = j < l->len && (l->p[j] == ' ' || l->p[j] == '\t');
    if (sp && j - i == 7 && memcmp(l->p + i, "fixture", 7) == 0)
        fixture_line(tp, i, false);
    else if (sp && j - i == 6 && memcmp(l->p + i, "secret", 6) == 0)
        fixture_line(tp, i, true);
    else if (j > i && j < l->len && l->p[j] == ':')
        key_line(tp, i, j - i);
    else
        tp_err(tp, i,
               "want 'key: value', 'fixture NAME = VALUE' or "
               "'secret NAME = env:VAR'");
}

static void default_name(struct target *t, const char *file)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t n = strlen(base);
    if (n > 7 && strcmp(base + n - 7, ".target") == 0)
        n -= 7;
    free(t->name);
    t->name = xstrndup(base, n);
}

/* Checks that need the whole file. */
static void finish(struct tp *tp)
{
    struct target *t = tp->t;
    struct diag_loc top = {tp->file, 1, 1, NULL, 0, false};
    if (!(tp->seen & (1u << 1)))
        diag_error(tp->d, &top,
                   "missing 'address' (HOST:PORT, [IPV6]:PORT "
                   "or unix:/PATH)");
    if (t->tls_opts.ca_file && !tp->verify_set)
        t->tls_opts.verify = TARGET_VERIFY_CAFILE;
    if (t->tls_opts.verify == TARGET_VERIFY_CAFILE && !t->tls_opts.ca_file)
        diag_error(tp->d, &top, "tls-verify: ca-file needs tls-ca-file");
    if ((t->tls_opts.cert_file != NULL) != (t->tls_opts.key_file != NULL))
        diag_error(tp->d, &top, "tls-cert and tls-key come together");
    if (t->auth_mech && !tp->has_token && !(tp->has_user && tp->has_pass))
        diag_error(tp->d, &top,
                   "auth: %s needs the fixtures user and pass "
                   "(or token)",
                   t->auth_mech);
}

struct target *target_file_parse(const char *file, const char *buf, size_t len,
                                 const struct target_file_io *io,
                                 struct diag *d)
{
    size_t errors0 = d->nerrors;
    if (len > TARGET_FILE_MAX) {
        diag_plain(d, file, "larger than 256 KiB: not a target file");
        return NULL;
    }
    struct tp tp;
    memset(&tp, 0, sizeof tp);
    tp.t = target_new();
    tp.d = d;
    tp.io = io;
    tp.file = file;
    tp.t->file = xstrdup(file);
    default_name(tp.t, file);
    struct lex_src src;
    struct lex_line l;
    lex_src_init(&src, buf, len);
    while (lex_next_line(&src, &l))
        tline(&tp, &l);
    finish(&tp);
    if (d->nerrors > errors0) {
        target_free(tp.t);
        return NULL;
    }
    return tp.t;
}
