/* sink_fault: parsing and matching of the fault table (see sink_fault.h
 * and docs/sink.md for the grammar). Rules are parsed once, before any
 * session starts; matching is a linear scan, which is plenty for the
 * handful of rows a test names. */
#include "harness/sink_fault.h"
#include "harness/bytes.h"
#include "harness/duration.h"
#include "harness/sink_proxy.h"
#include "harness/tls_server.h"
#include "harness/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct fault_rule {
    char *cmd; /* upper-case verb, pseudo-command, or "*" */
    int state; /* enum sink_state, or -1 for any */
    bool has_re;
    regex_t re; /* POSIX ERE on the argument, case-insensitive */
    struct sink_fault_action *acts;
    size_t nacts;
    bool once;  /* the action "once": the row matches one time only */
    bool spent; /* a "once" row that matched (the table's only mutable
                   state; one sink's sessions share one thread) */
};

struct sink_fault_table {
    struct fault_rule *rules;
    size_t n, cap;
    struct sink_fault_settings set;
};

static const char *const KIND_NAMES[] = {
#define X(e, s) s,
    SINK_FAULT_KIND_LIST(X)
#undef X
};

/* Pseudo-commands a rule may name besides the verbs. */
static const char *const PSEUDO[] = {"CONNECT", "EOD", "UNKNOWN", "TIMEOUT",
                                     "LINE",    "*",   "SASL"};
/* Verbs the engine knows (its command table plus the reserved ones). */
static const char *const VERBS[] = {
    "HELO", "EHLO",     "LHLO", "MAIL",    "RCPT",     "DATA",
    "BDAT", "RSET",     "NOOP", "QUIT",    "VRFY",     "EXPN",
    "HELP", "STARTTLS", "AUTH", "XCLIENT", "XFORWARD",
};

struct sink_fault_table *sink_fault_new(void)
{
    struct sink_fault_table *t = xcalloc(1, sizeof *t);
    /* every field (int or long) -1: "not set by any rule" */
    memset(&t->set, 0xff, sizeof t->set);
    return t;
}

static void rule_free(struct fault_rule *r)
{
    free(r->cmd);
    if (r->has_re)
        regfree(&r->re);
    for (size_t i = 0; i < r->nacts; i++)
        free(r->acts[i].text);
    free(r->acts);
}

void sink_fault_free(struct sink_fault_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        rule_free(&t->rules[i]);
    free(t->rules);
    free(t);
}

size_t sink_fault_count(const struct sink_fault_table *t)
{
    return t ? t->n : 0;
}

const struct sink_fault_settings *
sink_fault_settings(const struct sink_fault_table *t)
{
    return &t->set;
}

/* Trims leading and trailing blanks in place; returns the start. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static int parse_onoff(const char *v)
{
    if (strcmp(v, "on") == 0 || strcmp(v, "yes") == 0)
        return 1;
    if (strcmp(v, "off") == 0 || strcmp(v, "no") == 0)
        return 0;
    return -1;
}

static int parse_limit(const char *v, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < min || x > max)
        return -1;
    *out = x;
    return 0;
}

enum setting_kind { SET_BARE, SET_LIMIT, SET_ONOFF };

/* The settings a rule may change: name=value. */
static const struct setting_def {
    const char *name;
    enum setting_kind kind;
    size_t off; /* int field (BARE, ONOFF) or long field (LIMIT) */
    long min, max;
    const char *unit;
} SETTINGS[] = {
    {"bare-lf", SET_BARE, offsetof(struct sink_fault_settings, bare_lf), 0, 0,
     ""},
    {"bare-cr", SET_BARE, offsetof(struct sink_fault_settings, bare_cr), 0, 0,
     ""},
    {"line-limit", SET_LIMIT, offsetof(struct sink_fault_settings, line_limit),
     16, SINK_PROTO_LINE_LIMIT_MAX, " octets"},
    {"rcpt-limit", SET_LIMIT, offsetof(struct sink_fault_settings, rcpt_limit),
     1, SINK_PROTO_RCPT_LIMIT_MAX, ""},
    {"size-limit", SET_LIMIT, offsetof(struct sink_fault_settings, size_limit),
     1, SINK_PROTO_SIZE_LIMIT_MAX, " octets"},
    {"error-limit", SET_LIMIT,
     offsetof(struct sink_fault_settings, error_limit), 0,
     SINK_PROTO_ERROR_LIMIT_MAX, ""},
    {"unstuff", SET_ONOFF, offsetof(struct sink_fault_settings, unstuff), 0, 0,
     ""},
    {"enhanced-codes", SET_ONOFF, offsetof(struct sink_fault_settings, esc), 0,
     0, ""},
    {"strip-nul", SET_ONOFF, offsetof(struct sink_fault_settings, strip_nul), 0,
     0, ""},
    {"dot-dot-eod", SET_ONOFF, offsetof(struct sink_fault_settings, dotdot_eod),
     0, 0, ""},
    {"serial", SET_ONOFF, offsetof(struct sink_fault_settings, serial), 0, 0,
     ""},
    {"proxy-lax", SET_ONOFF, offsetof(struct sink_fault_settings, proxy_lax), 0,
     0, ""},
    {"xclient", SET_ONOFF, offsetof(struct sink_fault_settings, xclient), 0, 0,
     ""},
    {"xforward", SET_ONOFF, offsetof(struct sink_fault_settings, xforward), 0,
     0, ""},
};

static int apply_setting(const struct setting_def *d,
                         struct sink_fault_settings *st, const char *v,
                         char *err, size_t errlen)
{
    void *field = (char *)st + d->off;
    int b;
    switch (d->kind) {
    case SET_BARE:
        if ((b = sink_bare_find(v)) >= 0) {
            *(int *)field = b;
            return 0;
        }
        snprintf(err, errlen, "%s wants keep, reject, line-end or eod",
                 d->name);
        return -1;
    case SET_LIMIT:
        if (parse_limit(v, d->min, d->max, field) == 0)
            return 0;
        snprintf(err, errlen, "%s wants %ld..%ld%s", d->name, d->min, d->max,
                 d->unit);
        return -1;
    case SET_ONOFF:
        if ((b = parse_onoff(v)) >= 0) {
            *(int *)field = b;
            return 0;
        }
        snprintf(err, errlen, "%s wants on or off", d->name);
        return -1;
    }
    return -1;
}

const char *const SINK_FAULT_TLS_VERSIONS[4] = {"TLSv1", "TLSv1.1", "TLSv1.2",
                                                "TLSv1.3"};

static int find_tls_version(const char *v)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(SINK_FAULT_TLS_VERSIONS[i], v) == 0)
            return i;
    return -1;
}

static int find_onoff(const char *v)
{
    return parse_onoff(v);
}

static int find_tail(const char *v)
{
    return strcmp(v, "discard") == 0 ? 0 : strcmp(v, "execute") == 0 ? 1 : -1;
}

static int find_signature(const char *v)
{
    return strcmp(v, "good") == 0 ? 0 : strcmp(v, "bad") == 0 ? 1 : -1;
}

/* The TLS and AUTH settings: name=one of a few words (an int field). */
static const struct choice_def {
    const char *name;
    size_t off;
    int (*find)(const char *v);
    const char *choices;
} CHOICES[] = {
    {"tls-cert", offsetof(struct sink_fault_settings, tls_cert),
     tls_server_cert_find, "normal, expired, wrong-name or self-signed"},
    {"tls-max", offsetof(struct sink_fault_settings, tls_max), find_tls_version,
     "TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3"},
    {"tls-tail", offsetof(struct sink_fault_settings, tls_tail), find_tail,
     "discard or execute"},
    {"tls-reset", offsetof(struct sink_fault_settings, tls_reset), find_onoff,
     "on or off"},
    {"starttls-after-tls",
     offsetof(struct sink_fault_settings, starttls_after_tls), find_onoff,
     "on or off"},
    {"auth-check", offsetof(struct sink_fault_settings, auth_check), find_onoff,
     "on or off"},
    {"auth-needs-tls", offsetof(struct sink_fault_settings, auth_needs_tls),
     find_onoff, "on or off"},
    {"scram-signature", offsetof(struct sink_fault_settings, scram_signature),
     find_signature, "good or bad"},
    {"proxy", offsetof(struct sink_fault_settings, proxy), sink_proxy_mode_find,
     "none, v1, v2 or any"},
};

static int apply_choice(const struct choice_def *d,
                        struct sink_fault_settings *st, const char *v,
                        char *err, size_t errlen)
{
    int x = d->find(v);
    if (x < 0) {
        snprintf(err, errlen, "%s wants %s", d->name, d->choices);
        return -1;
    }
    *(int *)((char *)st + d->off) = x;
    return 0;
}

/* name=value; returns 0, -1 with err, or 1 if s is not a setting. */
static int parse_setting(struct sink_fault_table *t, char *s, char *err,
                         size_t errlen)
{
    char *eq = strchr(s, '=');
    if (!eq || strstr(s, "->"))
        return 1;
    *eq = '\0';
    const char *name = trim(s), *v = trim(eq + 1);
    for (size_t i = 0; i < sizeof SETTINGS / sizeof SETTINGS[0]; i++)
        if (strcmp(SETTINGS[i].name, name) == 0)
            return apply_setting(&SETTINGS[i], &t->set, v, err, errlen);
    for (size_t i = 0; i < sizeof CHOICES / sizeof CHOICES[0]; i++)
        if (strcmp(CHOICES[i].name, name) == 0)
            return apply_choice(&CHOICES[i], &t->set, v, err, errlen);
    snprintf(err, errlen,
             "unknown setting '%s' (bare-lf, bare-cr, line-limit, rcpt-limit, "
             "size-limit, error-limit, unstuff, enhanced-codes, strip-nul, "
             "dot-dot-eod, serial, proxy, proxy-lax, xclient, xforward, "
             "tls-cert, tls-max, tls-tail, tls-reset, starttls-after-tls, "
             "auth-check, auth-needs-tls, scram-signature)",
             name);
    return -1;
}

static bool known_command(const char *c)
{
    for (size_t i = 0; i < sizeof PSEUDO / sizeof PSEUDO[0]; i++)
        if (strcmp(PSEUDO[i], c) == 0)
            return true;
    for (size_t i = 0; i < sizeof VERBS / sizeof VERBS[0]; i++)
        if (strcmp(VERBS[i], c) == 0)
            return true;
    return false;
}

/* selector = command ["@" state] ["~" ERE]. LINE patterns see the
 * whole command line and are case-sensitive (so verb case can be told
 * apart); the others see the argument, case-insensitively. */
static int parse_selector(struct fault_rule *r, char *s, char *err,
                          size_t errlen)
{
    char *tilde = strchr(s, '~');
    const char *re = NULL;
    if (tilde) {
        *tilde = '\0';
        re = trim(tilde + 1);
    }
    char *at = strchr(s, '@');
    r->state = -1;
    if (at) {
        *at = '\0';
        const char *st = trim(at + 1);
        if (strcmp(st, "*") != 0 && (r->state = sink_state_find(st)) < 0) {
            snprintf(err, errlen,
                     "unknown state '%s' (init, ready, mail, "
                     "rcpt, bdat, data, refused)",
                     st);
            return -1;
        }
    }
    char *cmd = trim(s);
    for (char *c = cmd; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    if (!*cmd || !known_command(cmd)) {
        snprintf(err, errlen,
                 "unknown command '%s' (a verb, CONNECT, EOD, "
                 "UNKNOWN, TIMEOUT, SASL, LINE or *)",
                 cmd);
        return -1;
    }
    if (re) {
        int flags = REG_EXTENDED | REG_NOSUB;
        if (strcmp(cmd, "LINE") != 0)
            flags |= REG_ICASE;
        int rc = regcomp(&r->re, re, flags);
        if (rc != 0) {
            char msg[128];
            regerror(rc, &r->re, msg, sizeof msg);
            snprintf(err, errlen, "bad pattern '%s': %s", re, msg);
            return -1;
        }
        r->has_re = true;
    } else if (strcmp(cmd, "LINE") == 0) {
        snprintf(err, errlen, "LINE needs a pattern (LINE~ERE)");
        return -1;
    }
    r->cmd = xstrdup(cmd);
    return 0;
}

/* Copies text, turning the two characters "\n" into a line break. */
static char *unescape_text(const char *s)
{
    char *out = xmalloc(strlen(s) + 1), *o = out;
    for (; *s; s++) {
        if (s[0] == '\\' && s[1] == 'n') {
            *o++ = '\n';
            s++;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

static bool valid_esc(const char *s, size_t n)
{
    /* class "." 1*3digit "." 1*3digit (RFC 3463 2) */
    if (n < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
        return false;
    size_t i = 2, digits = 0, dots = 0;
    for (; i < n; i++) {
        if (isdigit((unsigned char)s[i]) && ++digits <= 3)
            continue;
        if (s[i] == '.' && digits && ++dots == 1) {
            digits = 0;
            continue;
        }
        return false;
    }
    return dots == 1 && digits >= 1;
}

/* "CODE [x.y.z] [text]" for reply and extra. */
static int parse_reply_args(struct sink_fault_action *a, const char *s,
                            char *err, size_t errlen)
{
    if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
        !isdigit((unsigned char)s[2]) || (s[3] && s[3] != ' ') || s[0] < '2' ||
        s[0] > '5') {
        snprintf(err, errlen, "a reply needs a code from 200 to 599");
        return -1;
    }
    a->code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
    s += 3;
    while (*s == ' ')
        s++;
    size_t w = strcspn(s, " ");
    if (w < sizeof a->esc && valid_esc(s, w)) {
        memcpy(a->esc, s, w);
        a->esc[w] = '\0';
        s += w;
        while (*s == ' ')
            s++;
    }
    if (strlen(s) > SINK_FAULT_TEXT_MAX) {
        snprintf(err, errlen, "reply text longer than %d octets",
                 SINK_FAULT_TEXT_MAX);
        return -1;
    }
    a->text = unescape_text(s);
    return 0;
}

/* "raw BYTES": the escaped form of harness/bytes.h (\r \n \t \\ \xNN). */
static int parse_raw(struct sink_fault_action *a, const char *s, char *err,
                     size_t errlen)
{
    struct buf b;
    buf_init(&b, SINK_FAULT_TEXT_MAX);
    if (!*s || bytes_unescape(&b, s) != 0) {
        snprintf(err, errlen,
                 "raw needs bytes, escaped as \\r \\n \\t \\\\ \\xNN");
        buf_free(&b);
        return -1;
    }
    a->len = b.len;
    a->text = buf_detach(&b);
    return 0;
}

/* "delay D" or "delay D1,D2,...": one duration, or a cycle of them
 * (session k waits the ((k - 1) mod n)-th). */
static int parse_delay(struct sink_fault_action *a, const char *rest,
                       char *err, size_t errlen)
{
    char one[64];
    const char *p = rest;
    a->ncycle = 0;
    for (;;) {
        size_t n = strcspn(p, ",");
        if (a->ncycle == SINK_FAULT_CYCLE_MAX || n >= sizeof one) {
            snprintf(err, errlen,
                     "delay: at most %d durations of up to %zu characters",
                     SINK_FAULT_CYCLE_MAX, sizeof one - 1);
            return -1;
        }
        snprintf(one, sizeof one, "%.*s", (int)n, p);
        if (duration_parse(trim(one), &a->cycle[a->ncycle++], err, errlen))
            return -1;
        if (!p[n])
            break;
        p += n + 1;
    }
    a->delay_us = a->cycle[0];
    return 0;
}

/* "pad N": 1..SINK_FAULT_PAD_MAX octets. */
static int parse_pad(struct sink_fault_action *a, const char *s, char *err,
                     size_t errlen)
{
    long n;
    if (parse_limit(s, 1, SINK_FAULT_PAD_MAX, &n) != 0) {
        snprintf(err, errlen, "pad wants 1..%d octets", SINK_FAULT_PAD_MAX);
        return -1;
    }
    a->len = (size_t)n;
    return 0;
}

static int parse_action(struct sink_fault_action *a, char *s, char *err,
                        size_t errlen)
{
    s = trim(s);
    size_t w = strcspn(s, " ");
    const char *rest = s[w] ? trim(s + w + 1) : "";
    int kind = -1;
    for (int i = 0; i < SINK_FAULT_KIND_COUNT; i++)
        if (strlen(KIND_NAMES[i]) == w && strncmp(KIND_NAMES[i], s, w) == 0)
            kind = i;
    if (kind < 0) {
        snprintf(err, errlen,
                 "unknown action '%.*s' (reply, extra, delay, "
                 "close-before, close-after, accept, keep-state, "
                 "drop, add, tls-fail, raw, reset, flush, trickle, pad, "
                 "endless, no-read, rst, once)",
                 (int)w, s);
        return -1;
    }
    a->kind = (enum sink_fault_kind)kind;
    switch (a->kind) {
    case SINK_FAULT_REPLY:
    case SINK_FAULT_EXTRA:
        return parse_reply_args(a, rest, err, errlen);
    case SINK_FAULT_RAW:
    case SINK_FAULT_ENDLESS:
        return parse_raw(a, rest, err, errlen);
    case SINK_FAULT_DELAY:
        return parse_delay(a, rest, err, errlen);
    case SINK_FAULT_TRICKLE:
        return duration_parse(rest, &a->delay_us, err, errlen);
    case SINK_FAULT_PAD:
        return parse_pad(a, rest, err, errlen);
    case SINK_FAULT_DROP:
    case SINK_FAULT_ADD:
        if (!*rest || (strchr(rest, ' ') && a->kind == SINK_FAULT_DROP)) {
            snprintf(err, errlen, "%s needs one EHLO keyword",
                     KIND_NAMES[kind]);
            return -1;
        }
        a->text = xstrdup(rest);
        return 0;
    default:
        if (*rest) {
            snprintf(err, errlen, "%s takes no argument", KIND_NAMES[kind]);
            return -1;
        }
        return 0;
    }
}

/* selector "->" action *(";" action) */
static int parse_reaction(struct sink_fault_table *t, char *s, char *err,
                          size_t errlen)
{
    char *arrow = strstr(s, "->");
    if (!arrow) {
        snprintf(err, errlen,
                 "expected 'COMMAND[@state][~pattern] -> "
                 "action', 'name=value' or a preset name");
        return -1;
    }
    *arrow = '\0';
    struct fault_rule r = {0};
    if (parse_selector(&r, s, err, errlen) != 0) {
        rule_free(&r);
        return -1;
    }
    char *save = NULL;
    for (char *a = strtok_r(arrow + 2, ";", &save); a;
         a = strtok_r(NULL, ";", &save)) {
        r.acts = xrealloc(r.acts, (r.nacts + 1) * sizeof *r.acts);
        memset(&r.acts[r.nacts], 0, sizeof *r.acts);
        r.nacts++;
        if (parse_action(&r.acts[r.nacts - 1], a, err, errlen) != 0) {
            rule_free(&r);
            return -1;
        }
        r.once |= r.acts[r.nacts - 1].kind == SINK_FAULT_ONCE;
    }
    if (r.nacts == 0) {
        snprintf(err, errlen, "no action after '->'");
        rule_free(&r);
        return -1;
    }
    xgrow(&t->rules, &t->cap, t->n + 1, sizeof *t->rules);
    t->rules[t->n++] = r;
    return 0;
}

static const struct sink_fault_preset *preset_find(const char *name)
{
    size_t n;
    const struct sink_fault_preset *p = sink_fault_presets(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].name, name) == 0)
            return &p[i];
    return NULL;
}

static int add_preset(struct sink_fault_table *t,
                      const struct sink_fault_preset *p, char *err,
                      size_t errlen)
{
    char *copy = xstrdup(p->rules), *save = NULL;
    int rc = 0;
    for (char *l = strtok_r(copy, "\n", &save); l && rc == 0;
         l = strtok_r(NULL, "\n", &save))
        rc = sink_fault_add(t, l, p->name, err, errlen);
    free(copy);
    return rc;
}

int sink_fault_add(struct sink_fault_table *t, const char *rule,
                   const char *where, char *err, size_t errlen)
{
    if (strlen(rule) > SINK_FAULT_RULE_MAX) {
        snprintf(err, errlen, "%s: fault rule longer than %d octets", where,
                 SINK_FAULT_RULE_MAX);
        return -1;
    }
    char *copy = xstrdup(rule), *s = trim(copy);
    char why[512] = "";
    int rc;
    const struct sink_fault_preset *p = preset_find(s);
    if (p)
        rc = add_preset(t, p, why, sizeof why);
    else if ((rc = parse_setting(t, s, why, sizeof why)) == 1)
        rc = parse_reaction(t, s, why, sizeof why);
    if (rc != 0 && !p)
        snprintf(err, errlen, "%s: fault '%s': %s", where, rule, why);
    else if (rc != 0)
        snprintf(err, errlen, "%s", why);
    free(copy);
    return rc;
}

int sink_fault_load(struct sink_fault_table *t, const char *path, char *err,
                    size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[SINK_FAULT_RULE_MAX + 2];
    int rc = 0;
    for (unsigned no = 1; rc == 0 && fgets(line, sizeof line, fp); no++) {
        size_t n = strlen(line);
        char where[512];
        snprintf(where, sizeof where, "%s:%u", path, no);
        if (n && line[n - 1] == '\n')
            line[--n] = '\0';
        else if (!feof(fp)) {
            snprintf(err, errlen, "%s: line longer than %d octets", where,
                     SINK_FAULT_RULE_MAX);
            rc = -1;
            break;
        }
        char *s = trim(line);
        if (*s && *s != '#')
            rc = sink_fault_add(t, s, where, err, errlen);
    }
    fclose(fp);
    return rc;
}

static bool rule_matches(const struct fault_rule *r, enum sink_state state,
                         const char *cmd, const char *arg)
{
    if (strcmp(r->cmd, "*") == 0) {
        /* "*" means any client command, not the server's own events. */
        if (strcmp(cmd, "CONNECT") == 0 || strcmp(cmd, "TIMEOUT") == 0)
            return false;
    } else if (strcmp(r->cmd, cmd) != 0) {
        return false;
    }
    if (r->state >= 0 && r->state != (int)state)
        return false;
    return !r->has_re || regexec(&r->re, arg ? arg : "", 0, NULL, 0) == 0;
}

static void effect_add(struct sink_fault_effect *e,
                       const struct sink_fault_action *a)
{
    switch (a->kind) {
    case SINK_FAULT_REPLY:
        e->reply = a;
        break;
    case SINK_FAULT_DELAY:
        e->delay_us = a->delay_us;
        e->delay = a;
        break;
    case SINK_FAULT_CLOSE_BEFORE:
        e->close_before = true;
        break;
    case SINK_FAULT_CLOSE_AFTER:
        e->close_after = true;
        break;
    case SINK_FAULT_ACCEPT:
        e->accept = true;
        break;
    case SINK_FAULT_KEEP_STATE:
        e->keep_state = true;
        break;
    case SINK_FAULT_TLS_FAIL:
        e->tls_fail = true;
        break;
    case SINK_FAULT_RAW:
        e->raw = a;
        break;
    case SINK_FAULT_RESET:
        e->reset = true;
        break;
    case SINK_FAULT_FLUSH:
        e->flush = true;
        break;
    case SINK_FAULT_TRICKLE:
        e->trickle_us = a->delay_us;
        break;
    case SINK_FAULT_PAD:
        e->pad = a->len;
        break;
    case SINK_FAULT_ENDLESS:
        e->endless = a;
        break;
    case SINK_FAULT_NO_READ:
        e->no_read = true;
        break;
    case SINK_FAULT_RST:
        e->rst = true;
        break;
    case SINK_FAULT_EXTRA:
        if (e->nextra < SINK_FAULT_EFFECT_MAX)
            e->extra[e->nextra++] = a;
        break;
    case SINK_FAULT_DROP:
    case SINK_FAULT_ADD:
        if (e->nkw < SINK_FAULT_EFFECT_MAX)
            e->kw[e->nkw++] = a;
        break;
    default:
        break;
    }
}

void sink_fault_match(const struct sink_fault_table *t, enum sink_state state,
                      const char *cmd, const char *arg,
                      struct sink_fault_effect *out)
{
    memset(out, 0, sizeof *out);
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        const struct fault_rule *r = &t->rules[i];
        if (r->spent || !rule_matches(r, state, cmd, arg))
            continue;
        if (r->once) /* the table is the caller's; only this flag changes */
            ((struct fault_rule *)r)->spent = true;
        for (size_t k = 0; k < r->nacts; k++)
            effect_add(out, &r->acts[k]);
    }
}

int64_t sink_fault_delay_us(const struct sink_fault_effect *e,
                            uint64_t session)
{
    const struct sink_fault_action *a = e->delay;
    if (!a || a->ncycle < 2 || session == 0)
        return e->delay_us;
    return a->cycle[(session - 1) % a->ncycle];
}

void sink_fault_match_line(const struct sink_fault_table *t,
                           enum sink_state state, const char *line, size_t len,
                           struct sink_fault_effect *out)
{
    char *copy = NULL; /* made once, and only if a LINE row is there */
    for (size_t i = 0; t && i < t->n; i++) {
        const struct fault_rule *r = &t->rules[i];
        if (strcmp(r->cmd, "LINE") != 0 || r->spent ||
            (r->state >= 0 && r->state != (int)state))
            continue;
        if (!copy)
            copy = xstrndup(line, len);
        if (regexec(&r->re, copy, 0, NULL, 0) != 0)
            continue;
        if (r->once)
            ((struct fault_rule *)r)->spent = true;
        for (size_t k = 0; k < r->nacts; k++)
            effect_add(out, &r->acts[k]);
    }
    free(copy);
}

/* Named presets: a fault under which a conformance check fails (or, for
 * a few, takes a documented alternative). The check ids are those of the
 * catalogue the case library follows. */
static const struct sink_fault_preset PRESETS[] = {
    {"rset-keeps-envelope", "RSET answers 250 but keeps the envelope (TXN-07)",
     "RSET -> keep-state"},
    {"rcpt-before-mail", "RCPT without MAIL is accepted (TXN-02)",
     "RCPT@init -> accept\nRCPT@ready -> accept"},
    {"data-before-rcpt", "DATA without a recipient gets 354 (TXN-03, TXN-04)",
     "DATA@init -> accept\nDATA@ready -> accept\nDATA@mail -> accept"},
    {"nested-mail-resets",
     "a second MAIL silently starts a new transaction (TXN-05)",
     "MAIL@mail -> accept\nMAIL@rcpt -> accept"},
    {"mail-before-helo", "MAIL before HELO/EHLO is accepted (TXN-06)",
     "MAIL@init -> accept"},
    {"ehlo-keeps-transaction",
     "a second EHLO leaves the transaction in place (HELO-07)",
     "EHLO@mail -> keep-state\nEHLO@rcpt -> keep-state"},
    {"helo-unchecked",
     "HELO/EHLO accept a missing or invalid name (HELO-03, HELO-05)",
     "EHLO -> accept\nHELO -> accept"},
    {"helo-multiline", "HELO gets a multi-line reply (HELO-02)",
     "HELO -> reply 250 localhost\\nPIPELINING"},
    {"unknown-502", "an unknown command gets 502 instead of 500 (SYN-01)",
     "UNKNOWN -> reply 502 5.5.2 Error: command not recognized"},
    {"unknown-accepted", "an unknown command gets 250 (SYN-01)",
     "UNKNOWN -> reply 250 2.0.0 Ok"},
    {"unknown-closes", "the server hangs up after an unknown command (SYN-03)",
     "UNKNOWN -> close-after"},
    {"args-accepted", "DATA, RSET and QUIT accept arguments (SYN-05)",
     "DATA~. -> accept\nRSET~. -> accept\nQUIT~. -> accept"},
    {"noop-args-rejected", "NOOP with a parameter gets 501 (SYN-06)",
     "NOOP~. -> reply 501 5.5.4 Syntax: NOOP"},
    {"addr-unchecked",
     "malformed MAIL and RCPT arguments get 250 (SYN-07, SYN-08, ADDR-11)",
     "MAIL@ready -> accept\nRCPT@mail -> accept\nRCPT@rcpt -> accept"},
    {"null-sender-rejected", "MAIL FROM:<> is refused (ADDR-01)",
     "MAIL~^FROM:<>( |$) -> reply 550 5.7.1 Null sender refused"},
    {"postmaster-rejected", "mail to postmaster is refused (ADDR-02, ADDR-03)",
     "RCPT~^TO:<postmaster[@>] -> reply 550 5.1.1 User unknown"},
    {"vrfy-unrecognized", "VRFY answers 500 (TXN-12)",
     "VRFY -> reply 500 5.5.2 Error: command not recognized"},
    {"expn-unadvertised",
     "EXPN answers 250 although EHLO does not list it (TXN-14)",
     "EXPN -> reply 250 2.1.5 <postmaster@localhost>"},
    {"extra-reply", "NOOP gets two replies (REPLY-01)",
     "NOOP -> extra 250 2.0.0 Ok"},
    {"no-enhanced-codes",
     "replies lack enhanced status codes though advertised (REPLY-04)",
     "enhanced-codes=off"},
    {"quit-no-close", "QUIT answers 221 but keeps the connection (CONN-04)",
     "QUIT -> keep-state"},
    {"timeout-silent", "the idle timeout closes without a 421 (SESS-03)",
     "TIMEOUT -> close-before"},
    {"timeout-no-close", "the idle timeout sends 421 but stays open (SESS-02)",
     "TIMEOUT -> keep-state"},
    {"slow-greeting", "the greeting comes after 2 s (CONN-01 timing)",
     "CONNECT -> delay 2s"},
    {"greeting-close", "the server hangs up before greeting (CONN-01)",
     "CONNECT -> close-before"},
    {"smuggle-lf",
     "bare LF ends lines and <LF>.<LF>-style sequences end data (SMUG-01)",
     "bare-lf=eod"},
    {"smuggle-cr",
     "bare CR ends lines and <CR>.<CR>-style sequences end data (SMUG-02)",
     "bare-cr=eod"},
    {"bare-lf-line-end", "a bare LF ends a command line (SYN-18, SMUG-06)",
     "bare-lf=line-end"},
    {"bare-lf-reject",
     "a bare LF is refused with 550 5.5.2 (an allowed alternative)",
     "bare-lf=reject"},
    {"no-dot-unstuffing", "leading dots are kept in the data (DATA-01)",
     "unstuff=off"},
    {"rcpt-limit-50", "only 50 recipients per message (ADDR-08, PIPE-03)",
     "rcpt-limit=50"},
    {"short-lines", "command lines over 256 octets get 500 (SYN-12)",
     "line-limit=256"},
    {"size-unchecked-at-mail",
     "MAIL with SIZE= over the limit gets 250 "
     "(SIZE-01)",
     "MAIL~SIZE= -> accept"},
    {"size-unchecked-at-eod", "content over the limit gets 250 (SIZE-02)",
     "EOD -> accept\nBDAT~LAST -> accept"},
    {"body-unchecked", "a bad BODY= value gets 250 (8BIT-01)",
     "MAIL~BODY= -> accept"},
    {"dsn-unchecked", "malformed DSN parameters get 250 (DSN-02)",
     "MAIL~(RET|ENVID)= -> accept\nRCPT~(NOTIFY|ORCPT)= -> accept"},
    {"data-after-bdat", "DATA inside a BDAT transaction gets 354 (CHUNK-03)",
     "DATA@bdat -> accept"},
    {"bdat-unimplemented",
     "BDAT answers 502 although CHUNKING is advertised (HELO-09)",
     "BDAT -> reply 502 5.5.1 Error: command not implemented"},
    {"lmtp-data-554",
     "LMTP DATA without a recipient gets 554 instead of 503 (LMTP-03)",
     "DATA@mail -> reply 554 5.5.1 Error: no valid recipients"},
    {"no-pipelining", "PIPELINING is not advertised",
     "EHLO -> drop PIPELINING"},
    {"no-chunking", "CHUNKING is not advertised", "EHLO -> drop CHUNKING"},
    {"no-size", "SIZE is not advertised", "EHLO -> drop SIZE"},
    {"no-8bitmime", "8BITMIME is not advertised (UTF8-01 with SMTPUTF8)",
     "EHLO -> drop 8BITMIME"},
    {"no-smtputf8", "SMTPUTF8 is not advertised", "EHLO -> drop SMTPUTF8"},
    {"no-dsn", "DSN is not advertised", "EHLO -> drop DSN"},
    /* TLS (RFC 3207, RFC 8314) */
    {"no-starttls", "STARTTLS is not advertised (TLS-07)",
     "EHLO -> drop STARTTLS"},
    {"tls-handshake-fail",
     "the handshake after STARTTLS's 220 (or on connect, implicit TLS) is "
     "aborted with a handshake_failure alert (TLS-01, TLS-10)",
     "STARTTLS -> tls-fail\nCONNECT -> tls-fail"},
    {"tls-expired-cert",
     "the certificate expired yesterday (TLS-01 with "
     "verification)",
     "tls-cert=expired"},
    {"tls-wrong-name-cert",
     "the certificate names " TLS_SERVER_WRONG_NAME " only (TLS-01 with "
     "the name check)",
     "tls-cert=wrong-name"},
    {"tls-self-signed-cert",
     "a generated self-signed certificate, even with --tls-cert (TLS-01 "
     "with verification)",
     "tls-cert=self-signed"},
    {"tls-old-only",
     "only TLS 1.0 and 1.1, at OpenSSL security level 0 (TLS-09: RFC 8996)",
     "tls-max=TLSv1.1"},
    {"starttls-after-tls", "STARTTLS is still advertised after TLS (TLS-03)",
     "starttls-after-tls=on"},
    {"starttls-keeps-session",
     "STARTTLS keeps the EHLO and the transaction (TLS-05, RFC 3207 4.2)",
     "tls-reset=off"},
    {"starttls-injection",
     "commands sent with STARTTLS run after the handshake, answered over "
     "TLS (TLS-06, CVE-2011-0411)",
     "tls-tail=execute"},
    /* AUTH (RFC 4954) */
    {"auth-any-password", "any password is accepted (AUTH-06)",
     "auth-check=off"},
    {"auth-twice",
     "AUTH after a successful AUTH, or inside a transaction, is accepted "
     "(AUTH-10, AUTH-11)",
     "AUTH -> accept"},
    {"auth-refuses-advertised",
     "every advertised mechanism is refused with 504 (AUTH-01, AUTH-04)",
     "AUTH -> reply 504 5.5.4 Unrecognized authentication type"},
    {"auth-plaintext-without-tls",
     "PLAIN and LOGIN are offered and accepted before TLS (TLS-11)",
     "auth-needs-tls=off"},
    {"scram-bad-signature", "SCRAM's server signature (v=) is wrong (AUTH-04)",
     "scram-signature=bad"},
};

const struct sink_fault_preset *sink_fault_presets(size_t *n)
{
    *n = sizeof PRESETS / sizeof PRESETS[0];
    return PRESETS;
}
