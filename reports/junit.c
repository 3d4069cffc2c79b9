/* junit: the JUnit XML report, written with libxml2's xmlTextWriter.
 *
 * One testsuite per area (the case id up to its first '.'), or per
 * target x area when the run has several targets; classname is the area,
 * prefixed by "TARGET." then, so classname+name stays unique (GitLab keys
 * tests on it and drops duplicates; Jenkins splits classname at its last
 * dot). Verdicts map to failure/error/skipped by DESIGN.md's table, kept
 * below as one row per verdict. Every string goes through text_clean()
 * first: libxml2 2.9 passes control bytes and broken UTF-8 through and
 * still reports success. No CDATA: transcripts are escaped text. Load
 * runs add one testcase per threshold (run properties threshold.N.*, see
 * docs/result-format.md) in classname "thresholds"; runs with delivery
 * checks (counters delivery.*, docs/delivery.md) three testcases in
 * classname "delivery-checks": nothing lost, duplicated, corrupted. */
#include "reports/junit.h"
#include "reports/text.h"
#include "harness/buf.h"
#include "harness/clock.h"
#include "harness/xalloc.h"

#include <inttypes.h>
#include <libxml/xmlwriter.h>
#include <stdlib.h>
#include <string.h>

#define JUNIT_TRANSCRIPT_MAX (256 * 1024) /* system-out bytes per testcase */
#define JUNIT_THRESHOLDS_MAX 1000         /* highest threshold.N read */

enum junit_elem { JE_NONE, JE_FAILURE, JE_ERROR, JE_SKIPPED };

static const char *const ELEM_NAMES[] = {NULL, "failure", "error", "skipped"};

/* DESIGN.md "Verdicts", JUnit paragraph: what each verdict becomes,
 * without and with --strict. */
struct junit_map {
    enum junit_elem elem, strict_elem;
    const char *type;   /* failure type; NULL for error: the category */
    const char *prefix; /* before the reason in the message */
    const char *fixed;  /* a message that replaces the reason */
};

static const struct junit_map MAP[VERDICT_COUNT] = {
    [VERDICT_PASS] = {JE_NONE, JE_NONE, NULL, "", NULL},
    [VERDICT_WARN] = {JE_NONE, JE_FAILURE, "warn", "", NULL},
    [VERDICT_FAIL] = {JE_FAILURE, JE_FAILURE, "fail", "", NULL},
    [VERDICT_ERROR] = {JE_ERROR, JE_ERROR, NULL, "", NULL},
    [VERDICT_SKIP] = {JE_SKIPPED, JE_SKIPPED, NULL, "", NULL},
    [VERDICT_XFAIL] = {JE_SKIPPED, JE_SKIPPED, NULL, "xfail: ", NULL},
    [VERDICT_XPASS] = {JE_NONE, JE_FAILURE, "xpass", "", NULL},
    [VERDICT_NOTRUN] = {JE_SKIPPED, JE_SKIPPED, NULL, "",
                        "not run: interrupted"},
};

static enum junit_elem elem_of(enum verdict v, bool strict)
{
    if ((unsigned)v >= VERDICT_COUNT)
        return JE_ERROR;
    return strict ? MAP[v].strict_elem : MAP[v].elem;
}

struct tally {
    uint64_t tests, failures, errors, skipped;
    int64_t time_us;
};

static void tally_add(struct tally *t, enum junit_elem e, int64_t us)
{
    t->tests++;
    t->failures += e == JE_FAILURE;
    t->errors += e == JE_ERROR;
    t->skipped += e == JE_SKIPPED;
    t->time_us += us > 0 ? us : 0;
}

/* One testsuite: the cases of one (target, area). */
struct group {
    const char *target; /* as in the model; NULL when unnamed */
    char *area;         /* as in the model */
    char *classname;    /* cleaned; also the suite name */
    size_t *idx;
    size_t n, cap;
    struct tally t;
};

struct threshold {
    const char *expr, *observed, *status;
};

struct plan {
    struct group *groups;
    size_t ngroups, capgroups;
    struct threshold *th; /* indexed by N; NULL when no load thresholds */
    size_t nth;
    struct tally th_tally;
    bool delivery; /* the run has delivery checks (docs/delivery.md) */
    uint64_t dl[3]; /* lost, duplicated, corrupt: see DELIVERY_CASES */
    const char *dl_tokens[3];
    struct tally dl_tally;
    struct tally all;
};

/* The testcases of delivery checks (classname DELIVERY_CLASS), from the
 * run's counters delivery.* and properties delivery.*_tokens. */
#define DELIVERY_CLASS "delivery-checks"
static const struct {
    const char *name, *counter, *tokens, *what;
} DELIVERY_CASES[3] = {
    {"every accepted message arrived", "delivery.lost",
     "delivery.lost_tokens", "lost"},
    {"no message arrived twice", "delivery.duplicated",
     "delivery.duplicated_tokens", "duplicated"},
    {"no message arrived corrupted", "delivery.corrupt",
     "delivery.changed_tokens", "corrupted"},
};

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static struct group *group_for(struct plan *p, const char *target, char *area,
                               bool multi)
{
    for (size_t i = 0; i < p->ngroups; i++) {
        if (same(p->groups[i].target, target) &&
            strcmp(p->groups[i].area, area) == 0) {
            free(area);
            return &p->groups[i];
        }
    }
    xgrow(&p->groups, &p->capgroups, p->ngroups + 1, sizeof *p->groups);
    struct group *g = &p->groups[p->ngroups++];
    memset(g, 0, sizeof *g);
    g->target = target;
    g->area = area;
    struct buf b;
    buf_init(&b, (size_t)-1 / 2);
    if (multi) {
        text_clean(&b, target ? target : "unknown", TEXT_ID_MAX);
        buf_addc(&b, '.');
    }
    text_clean(&b, area, TEXT_ID_MAX);
    g->classname = buf_detach(&b);
    return g;
}

/* Reads threshold.N.{expr,observed,status} run properties. */
static void plan_thresholds(struct plan *p, const struct result_run *run)
{
    if (!run->kind ||
        (strcmp(run->kind, "load") != 0 && strcmp(run->kind, "merge") != 0))
        return;
    p->th = xcalloc(JUNIT_THRESHOLDS_MAX + 1, sizeof *p->th);
    for (size_t i = 0; i < run->nproperties; i++) {
        const struct result_kv *kv = &run->properties[i];
        char *end;
        if (!kv->name || strncmp(kv->name, "threshold.", 10) != 0)
            continue;
        unsigned long n = strtoul(kv->name + 10, &end, 10);
        if (end == kv->name + 10 || *end != '.' || n > JUNIT_THRESHOLDS_MAX)
            continue;
        const char **slot = strcmp(end, ".expr") == 0       ? &p->th[n].expr
                            : strcmp(end, ".observed") == 0 ? &p->th[n].observed
                            : strcmp(end, ".status") == 0   ? &p->th[n].status
                                                            : NULL;
        if (slot)
            *slot = kv->value ? kv->value : "";
        if (slot && n + 1 > p->nth)
            p->nth = n + 1;
    }
}

static enum junit_elem threshold_elem(const struct threshold *t)
{
    if (t->status && strcmp(t->status, "pass") == 0)
        return JE_NONE;
    if (t->status && strcmp(t->status, "breach") == 0)
        return JE_FAILURE;
    if (t->status && strcmp(t->status, "unjudged") == 0)
        return JE_SKIPPED; /* a shard's: smtpsuite merge judges the whole */
    return JE_ERROR;
}

static bool threshold_present(const struct threshold *t)
{
    return t->expr || t->observed || t->status;
}

/* Reads the delivery counters and token lists, when the run has them. */
static void plan_delivery(struct plan *p, const struct result_run *run)
{
    for (size_t i = 0; i < run->ncounters; i++) {
        const char *n = run->counters[i].name;
        p->delivery |= n && strcmp(n, "delivery.submitted") == 0;
        for (size_t k = 0; n && k < 3; k++)
            if (strcmp(n, DELIVERY_CASES[k].counter) == 0)
                p->dl[k] = run->counters[i].value;
    }
    for (size_t i = 0; i < run->nproperties; i++) {
        const struct result_kv *kv = &run->properties[i];
        for (size_t k = 0; kv->name && k < 3; k++)
            if (strcmp(kv->name, DELIVERY_CASES[k].tokens) == 0)
                p->dl_tokens[k] = kv->value;
    }
    for (size_t k = 0; p->delivery && k < 3; k++) {
        tally_add(&p->dl_tally, p->dl[k] ? JE_FAILURE : JE_NONE, 0);
        tally_add(&p->all, p->dl[k] ? JE_FAILURE : JE_NONE, 0);
    }
}

static void plan_build(struct plan *p, const struct result_run *run,
                       bool strict)
{
    memset(p, 0, sizeof *p);
    bool multi = report_several_targets(run);
    for (size_t i = 0; i < run->ncases; i++) {
        const struct result_case *c = &run->cases[i];
        struct group *g = group_for(p, c->target, report_area(c->id), multi);
        xgrow(&g->idx, &g->cap, g->n + 1, sizeof *g->idx);
        g->idx[g->n++] = i;
        enum junit_elem e = elem_of(c->verdict, strict);
        tally_add(&g->t, e, c->duration_us);
        tally_add(&p->all, e, c->duration_us);
    }
    plan_thresholds(p, run);
    for (size_t i = 0; i < p->nth; i++) {
        if (!threshold_present(&p->th[i]))
            continue;
        tally_add(&p->th_tally, threshold_elem(&p->th[i]), 0);
        tally_add(&p->all, threshold_elem(&p->th[i]), 0);
    }
    plan_delivery(p, run);
}

static void plan_free(struct plan *p)
{
    for (size_t i = 0; i < p->ngroups; i++) {
        free(p->groups[i].area);
        free(p->groups[i].classname);
        free(p->groups[i].idx);
    }
    free(p->groups);
    free(p->th);
}

/* The testcase name of a threshold: its expression, "#N" if it has none,
 * "EXPR #N" if an earlier threshold has the same expression. */
static char *threshold_name(const struct plan *p, size_t n)
{
    const char *e = p->th[n].expr;
    if (!e || !*e)
        return xasprintf("#%zu", n);
    char *name = text_clean_dup(e, TEXT_ID_MAX);
    for (size_t k = 0; k < n; k++) {
        if (p->th[k].expr && strcmp(p->th[k].expr, e) == 0) {
            char *numbered = xasprintf("%s #%zu", name, n);
            free(name);
            return numbered;
        }
    }
    return name;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* classname+name must be unique (GitLab drops duplicates): a duplicate
 * is an engine bug, reported as an internal error, never written. */
static int plan_check_unique(const struct plan *p, const struct result_run *run,
                             char *err, size_t errlen)
{
    size_t n = 0, cap = run->ncases + p->nth + 3;
    char **keys = xcalloc(cap ? cap : 1, sizeof *keys);
    for (size_t i = 0; i < p->ngroups; i++) {
        for (size_t k = 0; k < p->groups[i].n; k++) {
            const char *id = run->cases[p->groups[i].idx[k]].id;
            char *name = text_clean_dup(id ? id : "(no id)", TEXT_ID_MAX);
            keys[n++] = xasprintf("%s\x01%s", p->groups[i].classname, name);
            free(name);
        }
    }
    for (size_t i = 0; i < p->nth; i++) {
        if (!threshold_present(&p->th[i]))
            continue;
        char *name = threshold_name(p, i);
        keys[n++] = xasprintf("thresholds\x01%s", name);
        free(name);
    }
    for (size_t k = 0; p->delivery && k < 3; k++)
        keys[n++] = xasprintf(DELIVERY_CLASS "\x01%s", DELIVERY_CASES[k].name);
    qsort(keys, n, sizeof *keys, cmp_str);
    int rc = 0;
    for (size_t i = 1; i < n && rc == 0; i++) {
        if (strcmp(keys[i - 1], keys[i]) == 0) {
            char *sep = strchr(keys[i], '\x01');
            *sep = '\0';
            snprintf(err, errlen,
                     "internal error: duplicate JUnit test case '%s' in "
                     "classname '%s'",
                     sep + 1, keys[i]);
            rc = -1;
        }
    }
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    return rc;
}

/* ---- writing ---------------------------------------------------------- */

/* The writer and a sticky failure flag: one check at the end. */
struct jw {
    xmlTextWriterPtr w;
    int bad;
};

static void jw_check(struct jw *j, int rc)
{
    if (rc < 0)
        j->bad = 1;
}

static void jw_start(struct jw *j, const char *name)
{
    if (!j->bad)
        jw_check(j, xmlTextWriterStartElement(j->w, BAD_CAST name));
}

static void jw_end(struct jw *j)
{
    if (!j->bad)
        jw_check(j, xmlTextWriterEndElement(j->w));
}

/* An attribute whose value has already been cleaned (or is ours). */
static void jw_attr_clean(struct jw *j, const char *name, const char *value)
{
    if (!j->bad)
        jw_check(j, xmlTextWriterWriteAttribute(j->w, BAD_CAST name,
                                                BAD_CAST value));
}

static void jw_attr(struct jw *j, const char *name, const char *value,
                    size_t max)
{
    char *v = text_clean_dup(value ? value : "", max);
    jw_attr_clean(j, name, v);
    free(v);
}

static void jw_attr_u64(struct jw *j, const char *name, uint64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "%llu", (unsigned long long)v);
    jw_attr_clean(j, name, s);
}

static void jw_attr_time(struct jw *j, int64_t us)
{
    char s[TEXT_SECONDS_LEN];
    text_seconds(us, s);
    jw_attr_clean(j, "time", s);
}

static void jw_text_clean(struct jw *j, const char *text)
{
    if (!j->bad)
        jw_check(j, xmlTextWriterWriteString(j->w, BAD_CAST text));
}

static void jw_property(struct jw *j, const char *name, const char *value)
{
    if (!value)
        return;
    jw_start(j, "property");
    jw_attr(j, "name", name, TEXT_ID_MAX);
    jw_attr(j, "value", value, TEXT_FIELD_MAX);
    jw_end(j);
}

static void jw_counts(struct jw *j, const struct tally *t)
{
    jw_attr_u64(j, "tests", t->tests);
    jw_attr_u64(j, "failures", t->failures);
    jw_attr_u64(j, "errors", t->errors);
    jw_attr_u64(j, "skipped", t->skipped);
}

/* ---- properties ------------------------------------------------------- */

static const struct result_target *target_of(const struct result_run *run,
                                             const char *name)
{
    for (size_t i = 0; name && i < run->ntargets; i++)
        if (same(run->targets[i].name, name))
            return &run->targets[i];
    return run->ntargets == 1 ? &run->targets[0] : NULL;
}

/* The first connection of the group's cases, and the first with TLS. */
static void first_conns(const struct result_run *run, const struct group *g,
                        const struct result_conn **any,
                        const struct result_conn **tls)
{
    *any = *tls = NULL;
    for (size_t k = 0; g && k < g->n && !*tls; k++) {
        const struct result_case *c = &run->cases[g->idx[k]];
        for (size_t i = 0; i < c->nconns && !*tls; i++) {
            if (!*any)
                *any = &c->conns[i];
            if (c->conns[i].tls)
                *tls = &c->conns[i];
        }
    }
}

static const char *verified_word(int v)
{
    return v > 0 ? "yes" : v == 0 ? "no" : "not checked";
}

static void tls_properties(struct jw *j, const struct result_tls *t)
{
    jw_property(j, "tls.protocol", t->protocol);
    jw_property(j, "tls.cipher", t->cipher);
    jw_property(j, "tls.group", t->group);
    jw_property(j, "tls.sni", t->sni);
    jw_property(j, "tls.verified", verified_word(t->verified));
    jw_property(j, "tls.verify_error", t->verify_error);
    if (t->nchain > 0) {
        jw_property(j, "tls.cert.subject", t->chain[0].subject);
        jw_property(j, "tls.cert.issuer", t->chain[0].issuer);
        jw_property(j, "tls.cert.san", t->chain[0].san);
        jw_property(j, "tls.cert.not_after", t->chain[0].not_after);
    }
}

/* Suite properties: target, banner, TLS facts of the first TLS
 * connection, tool version, run id, incompleteness, run properties. */
static void suite_properties(struct jw *j, const struct result_run *run,
                             const struct group *g)
{
    const struct result_target *t = target_of(run, g ? g->target : NULL);
    const struct result_conn *any, *tls;
    first_conns(run, g, &any, &tls);
    jw_start(j, "properties");
    jw_property(j, "target", g && g->target ? g->target : t ? t->name : NULL);
    jw_property(j, "target.address", t ? t->address : NULL);
    jw_property(j, "banner",
                t && t->banner ? t->banner
                : any          ? any->banner
                               : NULL);
    if (tls)
        tls_properties(j, tls->tls);
    jw_property(j, "tool_version", run->tool_version);
    jw_property(j, "run_id", run->run_id);
    jw_property(j, "kind", run->kind);
    jw_property(j, "shard", run->shard);
    if (run->incomplete)
        jw_property(j, "incomplete", "true");
    for (size_t i = 0; i < run->nproperties; i++)
        jw_property(j, run->properties[i].name, run->properties[i].value);
    jw_end(j);
}

/* ---- testcases -------------------------------------------------------- */

static void body_line(struct buf *b, const char *label, const char *value)
{
    if (!value)
        return;
    buf_adds(b, label);
    text_clean(b, value, TEXT_FIELD_MAX);
    buf_addc(b, '\n');
}

/* The failure/error body: step, case-file line, expected and actual. */
static void case_body(struct buf *b, const struct result_case *c)
{
    const struct result_step *s = report_deciding_step(c);
    body_line(b, "rfc: ", c->rfc);
    body_line(b, "severity: ", c->severity);
    if (!s) {
        body_line(b, "case file: ", c->file);
        body_line(b, "reason: ", c->reason);
        return;
    }
    body_line(b, "step: ", s->name ? s->name : "(unnamed)");
    body_line(b, "connection: ", s->conn);
    if (s->line > 0) {
        buf_adds(b, "case file: ");
        text_clean(b, c->file ? c->file : "(unknown file)", TEXT_ID_MAX);
        buf_addf(b, ":%d\n", s->line);
    } else {
        body_line(b, "case file: ", "(the target's session prologue)");
    }
    body_line(b, "sent: ", s->sent);
    body_line(b, "expected: ", s->expect ? s->expect : "(nothing recorded)");
    if (s->reply)
        body_line(b, "actual: ", s->reply);
    else
        body_line(b, "actual: ", "(no reply)");
    body_line(b, "alternative: ", s->alt);
    body_line(b, "note: ", s->note);
}

static void case_outcome(struct jw *j, const struct result_case *c, bool strict)
{
    enum junit_elem e = elem_of(c->verdict, strict);
    if (e == JE_NONE)
        return;
    const struct junit_map *m = (unsigned)c->verdict < VERDICT_COUNT
                                    ? &MAP[c->verdict]
                                    : &MAP[VERDICT_ERROR];
    struct buf b;
    buf_init(&b, (size_t)-1 / 2);
    jw_start(j, ELEM_NAMES[e]);
    if (m->fixed) {
        buf_adds(&b, m->fixed);
    } else {
        buf_adds(&b, m->prefix);
        text_clean(&b, c->reason ? c->reason : "", TEXT_FIELD_MAX);
    }
    jw_attr_clean(j, "message", buf_str(&b));
    if (e == JE_ERROR) {
        const char *cat = errcat_name(c->category);
        jw_attr_clean(j, "type", *cat ? cat : "unknown");
    } else if (e == JE_FAILURE) {
        jw_attr_clean(j, "type", m->type ? m->type : "fail");
    }
    if (e != JE_SKIPPED) {
        buf_reset(&b);
        case_body(&b, c);
        jw_text_clean(j, buf_str(&b));
    }
    jw_end(j);
    buf_free(&b);
}

static char dir_char(char d)
{
    return d == '<' || d == '>' || d == '*' ? d : '?';
}

/* One line per transcript event: time, connection, direction, data. */
static void transcript(struct buf *b, const struct result_case *c)
{
    for (size_t i = 0; i < c->nevents; i++) {
        const struct result_event *e = &c->events[i];
        if (b->len > JUNIT_TRANSCRIPT_MAX) {
            buf_addf(b, "... %zu more lines not shown (cut at %d bytes)\n",
                     c->nevents - i, JUNIT_TRANSCRIPT_MAX);
            break;
        }
        char t[TEXT_SECONDS_LEN];
        text_seconds(e->t_us, t);
        buf_addf(b, "%s ", t);
        text_clean(b, e->conn && *e->conn ? e->conn : "-", TEXT_ID_MAX);
        buf_addf(b, " %c ", dir_char(e->dir));
        text_clean(b, e->data, RESULT_EVENT_MAX + TEXT_CUT_SUFFIX_MAX);
        buf_addc(b, '\n');
    }
    if (c->events_dropped)
        buf_addf(b, "... %llu more lines were not kept (limit %d)\n",
                 (unsigned long long)c->events_dropped, RESULT_EVENTS_MAX);
}

static void write_case(struct jw *j, const struct result_case *c,
                       const char *classname, bool strict)
{
    jw_start(j, "testcase");
    jw_attr_clean(j, "classname", classname);
    jw_attr(j, "name", c->id ? c->id : "(no id)", TEXT_ID_MAX);
    jw_attr_time(j, c->duration_us);
    if (c->verdict != VERDICT_PASS) {
        jw_start(j, "properties");
        jw_property(j, "smtpsuite.verdict", verdict_name(c->verdict));
        jw_end(j);
    }
    case_outcome(j, c, strict);
    if (c->nevents || c->events_dropped) {
        struct buf b;
        buf_init(&b, (size_t)-1 / 2);
        transcript(&b, c);
        jw_start(j, "system-out");
        jw_text_clean(j, buf_str(&b));
        jw_end(j);
        buf_free(&b);
    }
    jw_end(j);
}

static void write_threshold(struct jw *j, const struct plan *p, size_t n)
{
    const struct threshold *t = &p->th[n];
    enum junit_elem e = threshold_elem(t);
    char *name = threshold_name(p, n);
    jw_start(j, "testcase");
    jw_attr_clean(j, "classname", "thresholds");
    jw_attr_clean(j, "name", name);
    jw_attr_time(j, 0);
    jw_start(j, "properties");
    jw_property(j, "observed", t->observed);
    jw_property(j, "status", t->status);
    jw_end(j);
    if (e != JE_NONE) {
        struct buf b;
        buf_init(&b, (size_t)-1 / 2);
        if (e == JE_FAILURE)
            buf_addf(&b, "threshold breached: %s (observed ", name);
        else if (e == JE_SKIPPED)
            buf_addf(&b, "unjudged: a shard's threshold, judged by smtpsuite "
                         "merge on the whole run (this shard observed ");
        else
            buf_addf(&b, "threshold #%zu has no known status (", n);
        text_clean(&b, e == JE_ERROR ? t->status : t->observed, TEXT_ID_MAX);
        buf_addc(&b, ')');
        jw_start(j, ELEM_NAMES[e]);
        jw_attr_clean(j, "message", buf_str(&b));
        if (e != JE_SKIPPED)
            jw_attr_clean(j, "type",
                          e == JE_FAILURE ? "threshold" : "internal");
        jw_end(j);
        buf_free(&b);
    }
    jw_end(j);
    free(name);
}

static void write_delivery(struct jw *j, const struct plan *p, size_t k)
{
    jw_start(j, "testcase");
    jw_attr_clean(j, "classname", DELIVERY_CLASS);
    jw_attr_clean(j, "name", DELIVERY_CASES[k].name);
    jw_attr_time(j, 0);
    if (p->dl[k]) {
        struct buf b;
        buf_init(&b, (size_t)-1 / 2);
        buf_addf(&b, "%" PRIu64 " %s", p->dl[k], DELIVERY_CASES[k].what);
        if (p->dl_tokens[k] && p->dl_tokens[k][0]) {
            buf_adds(&b, ": ");
            text_clean(&b, p->dl_tokens[k], TEXT_ID_MAX);
        }
        jw_start(j, "failure");
        jw_attr_clean(j, "message", buf_str(&b));
        jw_attr_clean(j, "type", "delivery");
        jw_end(j);
        buf_free(&b);
    }
    jw_end(j);
}

/* ---- suites ----------------------------------------------------------- */

static void suite_start(struct jw *j, const struct result_run *run,
                        const char *name, size_t id, const struct tally *t)
{
    jw_start(j, "testsuite");
    jw_attr_clean(j, "name", name);
    jw_counts(j, t);
    jw_attr_time(j, t->time_us);
    char id_s[24];
    snprintf(id_s, sizeof id_s, "%zu", id);
    jw_attr_clean(j, "id", id_s);
    if (run->started_us > 0) {
        char ts[CLOCK_RFC3339_LEN];
        clock_rfc3339(run->started_us, ts);
        jw_attr_clean(j, "timestamp", ts);
    }
}

static void write_suites(struct jw *j, const struct result_run *run,
                         const struct plan *p, bool strict)
{
    for (size_t i = 0; i < p->ngroups; i++) {
        const struct group *g = &p->groups[i];
        suite_start(j, run, g->classname, i, &g->t);
        suite_properties(j, run, g);
        for (size_t k = 0; k < g->n; k++)
            write_case(j, &run->cases[g->idx[k]], g->classname, strict);
        jw_end(j);
    }
    if (p->th_tally.tests) {
        suite_start(j, run, "thresholds", p->ngroups, &p->th_tally);
        suite_properties(j, run, NULL);
        for (size_t n = 0; n < p->nth; n++)
            if (threshold_present(&p->th[n]))
                write_threshold(j, p, n);
        jw_end(j);
    }
    if (!p->delivery)
        return;
    suite_start(j, run, DELIVERY_CLASS, p->ngroups + 1, &p->dl_tally);
    suite_properties(j, run, NULL);
    for (size_t k = 0; k < 3; k++)
        write_delivery(j, p, k);
    jw_end(j);
}

static void write_document(struct jw *j, const struct result_run *run,
                           const struct plan *p,
                           const struct report_options *opts)
{
    jw_check(j, xmlTextWriterSetIndent(j->w, 1));
    jw_check(j, xmlTextWriterSetIndentString(j->w, BAD_CAST " "));
    jw_check(j, xmlTextWriterStartDocument(j->w, "1.0", "UTF-8", NULL));
    jw_start(j, "testsuites");
    jw_attr(j, "name", opts && opts->title ? opts->title : "smtpsuite",
            TEXT_ID_MAX);
    jw_counts(j, &p->all);
    int64_t wall = run->ended_us - run->started_us;
    jw_attr_time(j, run->started_us > 0 && wall > 0 ? wall : p->all.time_us);
    write_suites(j, run, p, opts && opts->strict);
    jw_end(j);
    if (!j->bad)
        jw_check(j, xmlTextWriterEndDocument(j->w));
    if (!j->bad)
        jw_check(j, xmlTextWriterFlush(j->w));
}

int report_junit_dump(const struct result_run *run, FILE *fp,
                      const struct report_options *opts, char *err,
                      size_t errlen)
{
    struct plan p;
    plan_build(&p, run, opts && opts->strict);
    if (plan_check_unique(&p, run, err, errlen) != 0) {
        plan_free(&p);
        return -1;
    }
    xmlOutputBufferPtr ob = xmlOutputBufferCreateFile(fp, NULL);
    struct jw j = {ob ? xmlNewTextWriter(ob) : NULL, 0};
    if (!j.w) {
        if (ob)
            xmlOutputBufferClose(ob);
        plan_free(&p);
        snprintf(err, errlen, "cannot start the XML writer");
        return -1;
    }
    write_document(&j, run, &p, opts);
    xmlFreeTextWriter(j.w); /* closes ob, not fp */
    plan_free(&p);
    if (j.bad || ferror(fp)) {
        snprintf(err, errlen, "cannot write the JUnit XML");
        return -1;
    }
    return 0;
}

int report_junit_write(const struct result_run *run, const char *path,
                       const struct report_options *opts, char *err,
                       size_t errlen)
{
    return report_write_atomic(run, path, report_junit_dump, opts, err, errlen);
}
