/* html: the report for people, one self-contained HTML file.
 *
 * Nothing is fetched: the style, the script and the charts (inline SVG,
 * reports/svg.c) are in the page, and a Content-Security-Policy meta
 * header with default-src 'none' allows only that style and that script,
 * by their SHA-256 hashes, so even markup that slipped through could not
 * run or load anything. Every string from the model, and so every byte a
 * server sent, goes through text_html(), the one escaper. Cases are
 * grouped by area and severity, failures first; a small script filters
 * them by verdict, area, severity and text. A run of several targets
 * (the audit) also gets the case x target matrix. */
#include "reports/html.h"
#include "reports/svg.h"
#include "reports/text.h"
#include "harness/buf.h"
#include "harness/clock.h"
#include "harness/digest.h"
#include "harness/xalloc.h"

#include <stdlib.h>
#include <string.h>

#define HTML_FLUSH_AT       65536        /* bytes buffered before a write */
#define HTML_TRANSCRIPT_MAX (256 * 1024) /* transcript bytes per case */
/* From this many cases on, off-screen cases skip rendering until they are
 * scrolled to (CSS content-visibility): a 10,000-case page then loads in a
 * third of the time. Smaller pages render whole, for screenshots and print. */
#define HTML_LAZY_RENDER_AT 500

static const char STYLE[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1200px;"
    "padding:0 16px 48px;color:#222;background:#fafafa}"
    "h1{font-size:22px;margin:16px 0 4px}h2{font-size:18px;margin:24px 0 8px;"
    "border-bottom:1px solid #ddd}h3{font-size:16px;margin:16px 0 6px}"
    "h4{font-size:12px;margin:10px 0 4px;color:#555;text-transform:uppercase}"
    "[hidden]{display:none!important}"
    "code,pre{font:12px/1.35 ui-monospace,monospace}"
    "dl.run{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}"
    "dl.run dt{color:#666}dl.run dd{margin:0;word-break:break-all}"
    "table{border-collapse:collapse}td,th{border:1px solid #ddd;"
    "padding:2px 6px;text-align:left;vertical-align:top}th{background:#eee}"
    ".incomplete{background:#fdecea;border:1px solid #c0392b;padding:6px 10px;"
    "font-weight:bold}"
    "ul.counts{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:8px}"
    "ul.counts li{background:#fff;border:1px solid #ddd;border-radius:4px;"
    "padding:4px 10px}.n{font-weight:bold;font-size:18px;margin-right:4px}"
    "svg.bar{display:block;width:100%;height:18px;border:1px solid #ccc}"
    "#filters{position:sticky;top:0;background:#fafafa;padding:8px 0;"
    "border-bottom:1px solid #ddd;display:flex;flex-wrap:wrap;gap:10px;"
    "align-items:center;z-index:1}#filters label{white-space:nowrap}"
    ".case{background:#fff;border:1px solid #ddd;border-left:6px solid #999;"
    "margin:6px 0;padding:6px 10px;overflow-wrap:anywhere}"
    ".big .case{content-visibility:auto;contain-intrinsic-size:auto 64px}"
    ".badge{display:inline-block;min-width:56px;text-align:center;color:#fff;"
    "border-radius:3px;font-weight:bold;font-size:12px;padding:1px 4px}"
    ".v-PASS{border-left-color:#2e8b57}.b-PASS{background:#2e8b57}"
    ".v-WARN{border-left-color:#d4a017}.b-WARN{background:#d4a017;color:#000}"
    ".v-FAIL{border-left-color:#c0392b}.b-FAIL{background:#c0392b}"
    ".v-ERROR{border-left-color:#8e44ad}.b-ERROR{background:#8e44ad}"
    ".v-SKIP{border-left-color:#95a5a6}.b-SKIP{background:#95a5a6;color:#000}"
    ".v-XFAIL{border-left-color:#7f8c8d}.b-XFAIL{background:#7f8c8d}"
    ".v-XPASS{border-left-color:#e67e22}.b-XPASS{background:#e67e22}"
    ".v-NOTRUN{border-left-color:#bdc3c7}.b-NOTRUN{background:#bdc3c7;"
    "color:#000}"
    ".title{font-weight:600}.reason{color:#8b1a10;margin:2px 0}"
    ".meta,.conn{color:#555;font-size:12px;margin:2px 0}"
    "table.steps{margin:6px 0;font-size:12px;width:100%}"
    "table.steps td{word-break:break-all}"
    "table.steps th,table.steps td:nth-child(-n+4),table.steps td.g{"
    "white-space:nowrap;"
    "word-break:normal}"
    "tr.decisive{outline:2px solid #c0392b;background:#fdecea}"
    "tr.g-FAIL td.g,tr.g-ERROR td.g{color:#c0392b;font-weight:bold}"
    "tr.g-WARN td.g{color:#a67c00;font-weight:bold}"
    "pre.tx{background:#f6f6f6;padding:6px;white-space:pre-wrap;"
    "word-break:break-all;max-height:480px;overflow:auto}"
    "button.more{background:none;border:0;padding:0;margin:2px 0;"
    "color:#2c6fbb;font:12px system-ui,sans-serif;cursor:pointer}"
    "button.more::before{content:'\\25b8  '}"
    "button.more[aria-expanded=true]::before{content:'\\25be  '}"
    "svg.chart{display:block;margin:8px 0;max-width:100%;height:auto}"
    ".charts{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}";

static const char SCRIPT[] =
    "(function(){'use strict';"
    "var cases=[].slice.call(document.querySelectorAll('#results .case'));"
    "var groups=[].slice.call(document.querySelectorAll("
    "'#results .sev,#results .area'));"
    "var form=document.getElementById('filters');"
    "var boxes=[].slice.call(form.querySelectorAll('input.fv'));"
    "var area=document.getElementById('f-area');"
    "var sev=document.getElementById('f-sev');"
    "var q=document.getElementById('f-q');"
    "var shown=document.getElementById('shown');var texts=null;"
    "function text(i){if(!texts){texts=cases.map(function(c){"
    "return c.querySelector('.sum').textContent.toLowerCase();});}"
    "return texts[i];}"
    "function apply(){var want={};"
    "boxes.forEach(function(b){want[b.value]=b.checked;});"
    "var a=area.value,s=sev.value,t=q.value.trim().toLowerCase(),n=0;"
    "cases.forEach(function(c,i){var d=c.dataset;"
    "var ok=want[d.verdict]&&(!a||d.area===a)&&(!s||d.severity===s)&&"
    "(!t||text(i).indexOf(t)>=0);c.hidden=!ok;if(ok){n++;}});"
    "groups.forEach(function(g){"
    "g.hidden=!g.querySelector('.case:not([hidden])');});"
    "shown.textContent=n+' of '+cases.length+' cases shown';}"
    "form.addEventListener('input',apply);"
    "form.addEventListener('change',apply);"
    "form.addEventListener('submit',function(e){e.preventDefault();});"
    "document.getElementById('results').addEventListener('click',"
    "function(e){var b=e.target.closest('button.more');if(!b){return;}"
    "var d=b.nextElementSibling;d.hidden=!d.hidden;"
    "b.setAttribute('aria-expanded',String(!d.hidden));});"
    "})();";

/* Severities in the order a reader cares about; others come last. */
static const char *const SEVERITIES[] = {"sec", "must", "should", "may"};
#define NSEV (sizeof SEVERITIES / sizeof SEVERITIES[0])

/* Verdicts in the order cases are listed within a group. */
static const enum verdict LIST_ORDER[] = {
    VERDICT_FAIL,   VERDICT_ERROR, VERDICT_XPASS, VERDICT_WARN,
    VERDICT_NOTRUN, VERDICT_SKIP,  VERDICT_XFAIL, VERDICT_PASS,
};

static const char *const BAR_COLOURS[VERDICT_COUNT] = {
    [VERDICT_PASS] = "#2e8b57",  [VERDICT_WARN] = "#d4a017",
    [VERDICT_FAIL] = "#c0392b",  [VERDICT_ERROR] = "#8e44ad",
    [VERDICT_SKIP] = "#95a5a6",  [VERDICT_XFAIL] = "#7f8c8d",
    [VERDICT_XPASS] = "#e67e22", [VERDICT_NOTRUN] = "#bdc3c7",
};

/* The page being written: a buffer flushed to fp now and then. */
struct page {
    FILE *fp;
    struct buf b;
    int bad;
};

static void flush(struct page *pg)
{
    if (pg->b.len && fwrite(pg->b.data, 1, pg->b.len, pg->fp) != pg->b.len)
        pg->bad = 1;
    buf_reset(&pg->b);
}

static void raw(struct page *pg, const char *s)
{
    buf_adds(&pg->b, s);
}

/* Our own markup with numbers in it; never model strings. */
#define rawf(pg, ...) buf_addf(&(pg)->b, __VA_ARGS__)

/* Escaped text: the only way model strings reach the page. */
static void esc(struct page *pg, const char *s)
{
    text_html(&pg->b, s ? s : "", TEXT_FIELD_MAX);
}

/* <tag class="cls">escaped text</tag>, nothing if s is NULL. */
static void elem(struct page *pg, const char *tag, const char *cls,
                 const char *s)
{
    if (!s)
        return;
    rawf(pg, "<%s class=\"%s\">", tag, cls);
    esc(pg, s);
    rawf(pg, "</%s>", tag);
}

/* ---- head ------------------------------------------------------------- */

static int hexval(char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* 'sha256-BASE64' of s, as CSP wants it for an inline element. */
static void csp_hash(struct page *pg, const char *s)
{
    static const char B64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char hex[DIGEST_SHA256_HEX];
    unsigned char md[32];
    digest_sha256_hex(s, strlen(s), hex);
    for (int i = 0; i < 32; i++)
        md[i] =
            (unsigned char)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
    raw(pg, "'sha256-");
    for (int i = 0; i < 32; i += 3) {
        unsigned v = (unsigned)md[i] << 16;
        v |= i + 1 < 32 ? (unsigned)md[i + 1] << 8 : 0;
        v |= i + 2 < 32 ? md[i + 2] : 0;
        char q[4] = {B64[v >> 18], B64[(v >> 12) & 63],
                     i + 1 < 32 ? B64[(v >> 6) & 63] : '=',
                     i + 2 < 32 ? B64[v & 63] : '='};
        buf_add(&pg->b, q, 4);
    }
    raw(pg, "'");
}

static void write_head(struct page *pg, const char *title, bool big)
{
    raw(pg, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\""
            "default-src 'none'; style-src ");
    csp_hash(pg, STYLE);
    raw(pg, "; script-src ");
    csp_hash(pg, SCRIPT);
    raw(pg, "; img-src 'none'; base-uri 'none'; form-action 'none'\">"
            "<meta name=\"referrer\" content=\"no-referrer\">"
            "<meta name=\"viewport\" content=\"width=device-width, "
            "initial-scale=1\"><title>");
    esc(pg, title);
    raw(pg, "</title><style>");
    raw(pg, STYLE);
    raw(pg, big ? "</style></head>\n<body class=\"big\">"
                : "</style></head>\n<body>");
}

static void dl_row(struct page *pg, const char *name, const char *value)
{
    if (!value)
        return;
    rawf(pg, "<dt>%s</dt><dd>", name);
    esc(pg, value);
    raw(pg, "</dd>");
}

static void dl_time(struct page *pg, const char *name, int64_t us)
{
    if (us <= 0)
        return;
    char t[CLOCK_RFC3339_LEN];
    clock_rfc3339(us, t);
    dl_row(pg, name, t);
}

static void write_targets(struct page *pg, const struct result_run *run)
{
    if (run->ntargets == 0)
        return;
    raw(pg, "<table class=\"targets\"><thead><tr><th>target</th>"
            "<th>address</th><th>banner</th></tr></thead><tbody>");
    for (size_t i = 0; i < run->ntargets; i++) {
        raw(pg, "<tr><td>");
        esc(pg, run->targets[i].name);
        raw(pg, "</td><td>");
        esc(pg, run->targets[i].address);
        raw(pg, "</td><td><code>");
        esc(pg, run->targets[i].banner);
        raw(pg, "</code></td></tr>");
    }
    raw(pg, "</tbody></table>");
}

static void write_header(struct page *pg, const struct result_run *run,
                         const char *title)
{
    raw(pg, "<header><h1>");
    esc(pg, title);
    raw(pg, "</h1>");
    if (run->incomplete)
        raw(pg, "<p class=\"incomplete\" id=\"incomplete\">This run was "
                "interrupted: the report is incomplete.</p>");
    raw(pg, "<dl class=\"run\">");
    dl_row(pg, "run id", run->run_id);
    dl_row(pg, "kind", run->kind);
    dl_row(pg, "tool version", run->tool_version);
    dl_row(pg, "shard", run->shard);
    dl_time(pg, "started", run->started_us);
    dl_time(pg, "ended", run->ended_us);
    dl_row(pg, "command", run->command);
    raw(pg, "</dl>");
    write_targets(pg, run);
    raw(pg, "</header>\n");
}

/* ---- summary ---------------------------------------------------------- */

/* Appends n/d as a percentage with one decimal, integer arithmetic. */
static void percent(struct page *pg, uint64_t n, uint64_t d)
{
    uint64_t pm = d ? (n * 1000 + d / 2) / d : 0;
    rawf(pg, "%llu.%llu%%", (unsigned long long)(pm / 10),
         (unsigned long long)(pm % 10));
}

/* One stacked bar, a rectangle per verdict, on a 0..1000 scale. */
static void pass_bar(struct page *pg, const struct verdict_counts *vc,
                     uint64_t total)
{
    raw(pg, "<svg class=\"bar\" xmlns=\"http://www.w3.org/2000/svg\" "
            "viewBox=\"0 0 1000 10\" preserveAspectRatio=\"none\" "
            "role=\"img\" aria-label=\"verdicts\">");
    uint64_t x = 0, acc = 0;
    for (size_t k = sizeof LIST_ORDER / sizeof LIST_ORDER[0]; k > 0; k--) {
        enum verdict v = LIST_ORDER[k - 1];
        if (!vc->n[v])
            continue;
        acc += vc->n[v];
        uint64_t end = total ? acc * 1000 / total : 0;
        rawf(pg,
             "<rect x=\"%llu\" width=\"%llu\" height=\"10\" fill=\"%s\">"
             "<title>%s: %llu</title></rect>",
             (unsigned long long)x, (unsigned long long)(end - x),
             BAR_COLOURS[v], verdict_name(v), (unsigned long long)vc->n[v]);
        x = end;
    }
    raw(pg, "</svg>");
}

static void write_summary(struct page *pg, const struct result_run *run)
{
    struct verdict_counts vc;
    result_counts(run, &vc);
    uint64_t total = run->ncases;
    raw(pg, "<section id=\"summary\"><h2>Summary</h2><ul class=\"counts\">");
    rawf(pg, "<li><span class=\"n\" id=\"count-total\">%llu</span>cases</li>",
         (unsigned long long)total);
    for (int v = 0; v < VERDICT_COUNT; v++)
        rawf(pg,
             "<li class=\"v-%s\"><span class=\"n\" id=\"count-%s\">%llu"
             "</span>%s</li>",
             verdict_name(v), verdict_name(v), (unsigned long long)vc.n[v],
             verdict_name(v));
    raw(pg, "</ul>");
    uint64_t judged = total - vc.n[VERDICT_SKIP] - vc.n[VERDICT_NOTRUN];
    raw(pg, "<p>pass rate <strong id=\"pass-rate\">");
    if (judged)
        percent(pg, vc.n[VERDICT_PASS], judged);
    else
        raw(pg, "n/a");
    rawf(pg,
         "</strong> (PASS among the %llu cases that were judged: not "
         "skipped, not cut off by an interruption)</p>",
         (unsigned long long)judged);
    pass_bar(pg, &vc, total);
    raw(pg, "</section>\n");
}

/* ---- load: thresholds, latency, counters ------------------------------ */

/* Value of run property name, or NULL. */
static const char *property(const struct result_run *run, const char *name)
{
    for (size_t i = 0; i < run->nproperties; i++)
        if (run->properties[i].name &&
            strcmp(run->properties[i].name, name) == 0)
            return run->properties[i].value;
    return NULL;
}

/* Thresholds recorded as run properties threshold.N.{expr,observed,status}
 * (docs/result-format.md); N from 0 up to the first gap. */
static void write_thresholds(struct page *pg, const struct result_run *run)
{
    char key[64];
    for (unsigned n = 0;; n++) {
        snprintf(key, sizeof key, "threshold.%u.expr", n);
        const char *expr = property(run, key);
        if (!expr)
            break;
        if (n == 0)
            raw(pg, "<section id=\"thresholds\"><h2>Thresholds</h2><table>"
                    "<thead><tr><th>threshold</th><th>observed</th>"
                    "<th>status</th></tr></thead><tbody>");
        snprintf(key, sizeof key, "threshold.%u.status", n);
        const char *status = property(run, key);
        bool pass = status && strcmp(status, "pass") == 0;
        bool unjudged = status && strcmp(status, "unjudged") == 0;
        rawf(pg, "<tr class=\"th-%s\"><td><code>",
             pass       ? "pass"
             : unjudged ? "unjudged"
                        : "breach");
        esc(pg, expr);
        raw(pg, "</code></td><td>");
        snprintf(key, sizeof key, "threshold.%u.observed", n);
        esc(pg, property(run, key));
        raw(pg, "</td><td>");
        esc(pg, status ? status : "unknown");
        raw(pg, "</td></tr>");
    }
    if (property(run, "threshold.0.expr"))
        raw(pg, "</tbody></table></section>\n");
}

/* Counts per power-of-two latency range, the shape of a histogram. */
static size_t hist_bins(const struct result_hist *h, struct svg_bar *bars,
                        char labels[][32], size_t max)
{
    uint64_t counts[64] = {0};
    int first = 64, last = -1;
    for (size_t i = 0; i < h->nbuckets; i++) {
        int64_t lo, hi;
        if (!svg_hdr_bucket_range(h, h->buckets[i].index, &lo, &hi))
            continue;
        int k = 0;
        while (k < 62 && ((int64_t)1 << (k + 1)) <= lo)
            k++;
        counts[k] += h->buckets[i].count;
        first = k < first ? k : first;
        last = k > last ? k : last;
    }
    size_t n = 0;
    for (int k = first; k <= last && n < max; k++, n++) {
        struct buf l;
        buf_init(&l, 32);
        buf_adds(&l, "\xe2\x89\xa5"); /* >= sign */
        svg_duration(&l, (int64_t)1 << k);
        snprintf(labels[n], 32, "%s", buf_str(&l));
        buf_free(&l);
        bars[n].label = labels[n];
        bars[n].value = (double)counts[k];
    }
    return n;
}

static void write_hist(struct page *pg, const struct result_hist *h)
{
    static const double PCTS[] = {0,  50,   75,    90,     95,
                                  99, 99.9, 99.99, 99.999, 100};
    struct svg_pct p[sizeof PCTS / sizeof PCTS[0]];
    size_t np = svg_hist_percentiles(h, PCTS, sizeof PCTS / sizeof PCTS[0], p);
    raw(pg, "<div class=\"hist\"><h3>");
    esc(pg, h->name);
    if (h->basis) {
        raw(pg, " <small>(from the ");
        esc(pg, h->basis);
        raw(pg, " time)</small>");
    }
    rawf(pg, "</h3><p>%llu samples</p><div class=\"charts\">",
         (unsigned long long)h->total);
    svg_percentile_table(&pg->b, p, np);
    struct svg_chart c = {"percentile curve", "percentile", "latency", 0, 0};
    svg_percentile_curve(&pg->b, &c, p, np);
    struct svg_bar bars[64];
    char labels[64][32];
    size_t nb = hist_bins(h, bars, labels, 64);
    struct svg_chart d = {"distribution", "latency from", "count", 0, 0};
    svg_bars(&pg->b, &d, bars, nb);
    raw(pg, "</div></div>");
    flush(pg);
}

static void write_latency(struct page *pg, const struct result_run *run)
{
    if (run->nhists == 0)
        return;
    raw(pg, "<section id=\"latency\"><h2>Latency</h2>");
    for (size_t i = 0; i < run->nhists; i++)
        write_hist(pg, &run->hists[i]);
    raw(pg, "</section>\n");
}

static void write_counters(struct page *pg, const struct result_run *run)
{
    if (run->ncounters == 0)
        return;
    raw(pg, "<section id=\"counters\"><h2>Counters</h2>");
    struct svg_chart c = {"errors by step and reply code", NULL, NULL, 0, 0};
    svg_matrix(&pg->b, &c, run->counters, run->ncounters);
    raw(pg, "<table class=\"counters\"><thead><tr><th>counter</th>"
            "<th>value</th></tr></thead><tbody>");
    for (size_t i = 0; i < run->ncounters; i++) {
        raw(pg, "<tr><td>");
        esc(pg, run->counters[i].name);
        rawf(pg, "</td><td>%llu</td></tr>",
             (unsigned long long)run->counters[i].value);
    }
    raw(pg, "</tbody></table></section>\n");
}

/* ---- results ---------------------------------------------------------- */

/* A case's place in the listing: area, severity, verdict, input order. */
struct entry {
    size_t idx;
    size_t area; /* index into the area list, first appearance order */
    int sev;     /* index into SEVERITIES, NSEV for others */
    int vrank;   /* index into LIST_ORDER */
    const struct result_case *c;
};

struct listing {
    struct entry *e;
    char **areas;
    size_t nareas, capareas;
    const char **sevs; /* distinct severities, in SEVERITIES order */
    size_t nsevs;
    bool multi; /* several targets: show and tag the target */
};

static size_t area_index(struct listing *l, const char *id)
{
    char *a = report_area(id);
    for (size_t i = 0; i < l->nareas; i++) {
        if (strcmp(l->areas[i], a) == 0) {
            free(a);
            return i;
        }
    }
    xgrow(&l->areas, &l->capareas, l->nareas + 1, sizeof *l->areas);
    l->areas[l->nareas] = a;
    return l->nareas++;
}

static const char *severity_of(const struct result_case *c)
{
    return c->severity && *c->severity ? c->severity : "none";
}

static int sev_rank(const char *s)
{
    for (size_t i = 0; i < NSEV; i++)
        if (strcmp(s, SEVERITIES[i]) == 0)
            return (int)i;
    return (int)NSEV;
}

static int verdict_rank(enum verdict v)
{
    for (size_t i = 0; i < sizeof LIST_ORDER / sizeof LIST_ORDER[0]; i++)
        if (LIST_ORDER[i] == v)
            return (int)i;
    return 0;
}

static int cmp_entry(const void *pa, const void *pb)
{
    const struct entry *a = pa, *b = pb;
    if (a->area != b->area)
        return a->area < b->area ? -1 : 1;
    if (a->sev != b->sev)
        return a->sev - b->sev;
    int d = strcmp(severity_of(a->c), severity_of(b->c));
    if (d)
        return d;
    if (a->vrank != b->vrank)
        return a->vrank - b->vrank;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int cmp_sev(const void *pa, const void *pb)
{
    const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
    int d = sev_rank(a) - sev_rank(b);
    return d ? d : strcmp(a, b);
}

/* The severities the filter offers: each one present, once. */
static void listing_sevs(struct listing *l, const struct result_run *run)
{
    l->sevs = xcalloc(run->ncases ? run->ncases : 1, sizeof *l->sevs);
    for (size_t i = 0; i < run->ncases; i++) {
        const char *s = severity_of(&run->cases[i]);
        size_t k = 0;
        while (k < l->nsevs && strcmp(l->sevs[k], s) != 0)
            k++;
        if (k == l->nsevs)
            l->sevs[l->nsevs++] = s;
    }
    qsort(l->sevs, l->nsevs, sizeof *l->sevs, cmp_sev);
}

static void listing_build(struct listing *l, const struct result_run *run)
{
    memset(l, 0, sizeof *l);
    l->e = xcalloc(run->ncases ? run->ncases : 1, sizeof *l->e);
    l->multi = report_several_targets(run);
    for (size_t i = 0; i < run->ncases; i++) {
        const struct result_case *c = &run->cases[i];
        l->e[i] =
            (struct entry){i, area_index(l, c->id), sev_rank(severity_of(c)),
                           verdict_rank(c->verdict), c};
    }
    qsort(l->e, run->ncases, sizeof *l->e, cmp_entry);
    listing_sevs(l, run);
}

static void listing_free(struct listing *l)
{
    for (size_t i = 0; i < l->nareas; i++)
        free(l->areas[i]);
    free(l->areas);
    free(l->sevs);
    free(l->e);
}

static void option(struct page *pg, const char *value)
{
    raw(pg, "<option value=\"");
    esc(pg, value);
    raw(pg, "\">");
    esc(pg, value);
    raw(pg, "</option>");
}

static void write_filters(struct page *pg, const struct result_run *run,
                          const struct listing *l)
{
    struct verdict_counts vc;
    result_counts(run, &vc);
    raw(pg, "<form id=\"filters\" role=\"search\"><span>verdict:</span>");
    for (int v = 0; v < VERDICT_COUNT; v++)
        rawf(pg,
             "<label><input type=\"checkbox\" class=\"fv\" value=\"%s\" "
             "checked> %s (%llu)</label>",
             verdict_name(v), verdict_name(v), (unsigned long long)vc.n[v]);
    raw(pg, "<label>area <select id=\"f-area\"><option value=\"\">all"
            "</option>");
    for (size_t i = 0; i < l->nareas; i++)
        option(pg, l->areas[i]);
    raw(pg, "</select></label><label>severity <select id=\"f-sev\">"
            "<option value=\"\">all</option>");
    for (size_t i = 0; i < l->nsevs; i++)
        option(pg, l->sevs[i]);
    raw(pg, "</select></label><label>search <input type=\"search\" "
            "id=\"f-q\" placeholder=\"id, title, reason\"></label>");
    rawf(pg, "<output id=\"shown\">%zu of %zu cases shown</output></form>\n",
         run->ncases, run->ncases);
}

static void step_row(struct page *pg, const struct result_step *s, size_t i,
                     bool decisive)
{
    const char *g = verdict_name(s->grade);
    rawf(pg, "<tr class=\"step g-%s%s%s\"><td>%zu</td><td>", g,
         decisive ? " decisive" : "", s->key ? " key" : "", i);
    if (s->line > 0)
        rawf(pg, "%d", s->line);
    else
        raw(pg, "prologue");
    raw(pg, "</td><td>");
    esc(pg, s->name);
    raw(pg, "</td><td>");
    esc(pg, s->conn);
    raw(pg, "</td><td><code>");
    esc(pg, s->sent);
    raw(pg, "</code></td><td><code>");
    esc(pg, s->expect);
    raw(pg, "</code></td><td><code>");
    if (s->reply)
        esc(pg, s->reply);
    else
        raw(pg, "(no reply)");
    rawf(pg, "</code></td><td class=\"g\">%s%s</td><td>", g,
         s->key ? " (key)" : "");
    if (s->latency_us >= 0)
        svg_duration(&pg->b, s->latency_us);
    raw(pg, "</td></tr>");
}

static void steps_table(struct page *pg, const struct result_case *c)
{
    const struct result_step *d = report_deciding_step(c);
    raw(pg, "<table class=\"steps\"><thead><tr><th>#</th><th>line</th>"
            "<th>step</th><th>conn</th><th>sent</th><th>expected</th>"
            "<th>reply</th><th>grade</th><th>latency</th></tr></thead>"
            "<tbody>");
    for (size_t i = 0; i < c->nsteps; i++)
        step_row(pg, &c->steps[i], i,
                 c->verdict != VERDICT_PASS && d == &c->steps[i]);
    raw(pg, "</tbody></table>");
}

static void tls_facts(struct page *pg, const struct result_tls *t)
{
    raw(pg, " \xc2\xb7 TLS ");
    esc(pg, t->protocol);
    raw(pg, " ");
    esc(pg, t->cipher);
    if (t->group) {
        raw(pg, " ");
        esc(pg, t->group);
    }
    if (t->sni) {
        raw(pg, ", SNI ");
        esc(pg, t->sni);
    }
    raw(pg, t->verified > 0    ? ", verified"
            : t->verified == 0 ? ", not verified"
                               : ", not checked");
    if (t->verify_error) {
        raw(pg, " (");
        esc(pg, t->verify_error);
        raw(pg, ")");
    }
    if (t->nchain > 0) {
        raw(pg, " \xc2\xb7 certificate ");
        esc(pg, t->chain[0].subject);
        raw(pg, " issued by ");
        esc(pg, t->chain[0].issuer);
        raw(pg, " until ");
        esc(pg, t->chain[0].not_after);
    }
}

static void conn_line(struct page *pg, const struct result_conn *cn)
{
    raw(pg, "<div class=\"conn\"><b>");
    esc(pg, cn->name ? cn->name : "connection");
    raw(pg, "</b> ");
    esc(pg, cn->local);
    raw(pg, " \xe2\x86\x92 ");
    esc(pg, cn->remote);
    if (cn->tls)
        tls_facts(pg, cn->tls);
    if (cn->banner) {
        raw(pg, " \xc2\xb7 banner <code>");
        esc(pg, cn->banner);
        raw(pg, "</code>");
    }
    raw(pg, "</div>");
}

static void transcript(struct page *pg, const struct result_case *c)
{
    size_t start = pg->b.len;
    /* A button and a hidden block, not <details>: Chromium gives every
     * details element a shadow tree, which doubles the load time of a
     * 10,000-case page (docs/performance.md). */
    rawf(pg,
         "<button type=\"button\" class=\"more\" aria-expanded=\"false\">"
         "transcript (%zu lines)</button><div class=\"more\" hidden>",
         c->nevents);
    for (size_t i = 0; i < c->nconns; i++)
        conn_line(pg, &c->conns[i]);
    raw(pg, "<pre class=\"tx\">");
    for (size_t i = 0; i < c->nevents; i++) {
        const struct result_event *e = &c->events[i];
        if (pg->b.len - start > HTML_TRANSCRIPT_MAX) {
            rawf(pg, "... %zu more lines not shown\n", c->nevents - i);
            break;
        }
        char t[TEXT_SECONDS_LEN];
        text_seconds(e->t_us, t);
        rawf(pg, "%s ", t);
        esc(pg, e->conn);
        rawf(pg, " %s ", e->dir == '>' ? "&gt;" : e->dir == '<' ? "&lt;" : "*");
        text_html(&pg->b, e->data ? e->data : "",
                  RESULT_EVENT_MAX + TEXT_CUT_SUFFIX_MAX);
        raw(pg, "\n");
    }
    if (c->events_dropped)
        rawf(pg, "... %llu more lines were not kept\n",
             (unsigned long long)c->events_dropped);
    raw(pg, "</pre></div>");
}

/* The line under the title: RFC, case-file line, target, time. */
static void case_meta(struct page *pg, const struct result_case *c, bool multi)
{
    const struct result_step *d = report_deciding_step(c);
    raw(pg, "<div class=\"meta\">");
    elem(pg, "span", "rfc", c->rfc);
    raw(pg, " \xc2\xb7 <span class=\"loc\">");
    esc(pg, c->file ? c->file : "(unknown file)");
    rawf(pg, ":%d</span>", d && d->line > 0 ? d->line : c->line);
    if (multi || c->target) {
        raw(pg, " \xc2\xb7 target ");
        esc(pg, c->target);
    }
    raw(pg, " \xc2\xb7 ");
    svg_duration(&pg->b, c->duration_us);
    if (c->alt) {
        raw(pg, " \xc2\xb7 alternative <code>");
        esc(pg, c->alt);
        raw(pg, "</code>");
    }
    if (c->retries)
        rawf(pg, " \xc2\xb7 %u retries", c->retries);
    raw(pg, "</div>");
}

static void write_case(struct page *pg, const struct result_case *c,
                       const char *area, bool multi)
{
    const char *v = verdict_name(c->verdict);
    rawf(pg, "<div class=\"case v-%s\" data-verdict=\"%s\" data-area=\"", v, v);
    esc(pg, area);
    raw(pg, "\" data-severity=\"");
    esc(pg, severity_of(c));
    raw(pg, "\" data-id=\"");
    esc(pg, c->id);
    if (multi) {
        raw(pg, "\" data-target=\"");
        esc(pg, c->target);
    }
    rawf(pg,
         "\"><div class=\"sum\"><span class=\"badge b-%s\">%s</span> "
         "<code class=\"id\">",
         v, v);
    esc(pg, c->id);
    raw(pg, "</code> ");
    elem(pg, "span", "title", c->title);
    if (c->reason || c->category != ERRCAT_NONE) {
        raw(pg, "<div class=\"reason\">");
        if (c->category != ERRCAT_NONE)
            rawf(pg, "%s: ", errcat_name(c->category));
        esc(pg, c->reason);
        raw(pg, "</div>");
    }
    case_meta(pg, c, multi);
    raw(pg, "</div>");
    /* The step table where something did not pass; a passing case shows
     * its dialogue in the transcript, which keeps big reports small. */
    if (c->nsteps && c->verdict != VERDICT_PASS)
        steps_table(pg, c);
    if (c->nevents || c->nconns || c->events_dropped)
        transcript(pg, c);
    raw(pg, "</div>\n");
}

/* Opens an area section and a severity block where the listing enters a
 * new one at entry i, closing the ones before. */
static void group_open(struct page *pg, const struct listing *l, size_t i)
{
    const struct entry *e = &l->e[i];
    bool new_area = i == 0 || e->area != l->e[i - 1].area;
    bool new_sev =
        new_area || strcmp(severity_of(e->c), severity_of(l->e[i - 1].c)) != 0;
    if (i && new_sev)
        raw(pg, "</div>");
    if (i && new_area)
        raw(pg, "</section>");
    if (new_area) {
        raw(pg, "<section class=\"area\" data-area=\"");
        esc(pg, l->areas[e->area]);
        raw(pg, "\"><h3>");
        esc(pg, l->areas[e->area]);
        raw(pg, "</h3>");
    }
    if (new_sev) {
        raw(pg, "<div class=\"sev\" data-severity=\"");
        esc(pg, severity_of(e->c));
        raw(pg, "\"><h4>");
        esc(pg, severity_of(e->c));
        raw(pg, "</h4>");
    }
}

static void write_results(struct page *pg, const struct result_run *run)
{
    struct listing l;
    listing_build(&l, run);
    raw(pg, "<section id=\"results\"><h2>Results</h2>");
    write_filters(pg, run, &l);
    for (size_t i = 0; i < run->ncases; i++) {
        const struct entry *e = &l.e[i];
        group_open(pg, &l, i);
        write_case(pg, e->c, l.areas[e->area], l.multi);
        if (pg->b.len > HTML_FLUSH_AT)
            flush(pg);
    }
    if (run->ncases)
        raw(pg, "</div></section>");
    raw(pg, "</section>\n");
    listing_free(&l);
}

/* ---- the audit matrix: case x target ---------------------------------- */

struct mcell {
    const char *id;
    size_t col; /* the target's index in run->targets */
    enum verdict v;
};

static int cmp_mcell(const void *pa, const void *pb)
{
    const struct mcell *a = pa, *b = pb;
    int c = strcmp(a->id, b->id);
    return c ? c : (a->col > b->col) - (a->col < b->col);
}

/* The index of the target named name, or run->ntargets. */
static size_t target_col(const struct result_run *run, const char *name)
{
    for (size_t t = 0; name && t < run->ntargets; t++)
        if (run->targets[t].name && strcmp(run->targets[t].name, name) == 0)
            return t;
    return run->ntargets;
}

/* Fills cell[] (a verdict, or -1: not run there) from the cells of one
 * id starting at m[i]; returns the index past them, and whether the
 * targets differ. */
static size_t matrix_cells(const struct mcell *m, size_t n, size_t i, int *cell,
                           size_t ncols, bool *differs)
{
    for (size_t c = 0; c < ncols; c++)
        cell[c] = -1;
    size_t j = i;
    for (; j < n && strcmp(m[j].id, m[i].id) == 0; j++)
        if (cell[m[j].col] < 0)
            cell[m[j].col] = (int)m[j].v;
    *differs = false;
    for (size_t c = 1; c < ncols; c++)
        *differs |= cell[c] != cell[0];
    return j;
}

static void matrix_row(struct page *pg, const char *id, const int *cell,
                       size_t ncols, bool differs)
{
    raw(pg, differs ? "<tr class=\"differs\"><th><strong>" : "<tr><th>");
    esc(pg, id);
    raw(pg, differs ? "</strong></th>" : "</th>");
    for (size_t c = 0; c < ncols; c++) {
        if (cell[c] < 0) {
            raw(pg, "<td>-</td>");
            continue;
        }
        const char *v = verdict_name((enum verdict)cell[c]);
        rawf(pg, "<td><span class=\"badge b-%s\">%s</span></td>", v, v);
    }
    raw(pg, "</tr>\n");
}

/* With several targets: one row a case id, one column a target, the rows
 * where the targets' verdicts differ marked (class differs) and counted. */
static void write_matrix(struct page *pg, const struct result_run *run)
{
    size_t ncols = run->ntargets, n = 0, ndiff = 0;
    if (ncols < 2)
        return;
    struct mcell *m = xcalloc(run->ncases + 1, sizeof *m);
    for (size_t i = 0; i < run->ncases; i++) {
        const struct result_case *c = &run->cases[i];
        size_t col = target_col(run, c->target);
        if (c->id && col < ncols)
            m[n++] = (struct mcell){c->id, col, c->verdict};
    }
    qsort(m, n, sizeof *m, cmp_mcell);
    int *cell = xcalloc(ncols, sizeof *cell);
    bool differs;
    for (size_t i = 0; i < n;) {
        i = matrix_cells(m, n, i, cell, ncols, &differs);
        ndiff += differs;
    }
    rawf(pg,
         "<section id=\"audit\"><h2>Case x target</h2><p><strong "
         "id=\"matrix-differ\">%zu</strong> case%s with verdicts that "
         "differ between the targets (in bold)</p><table id=\"matrix\">"
         "<thead><tr><th>case</th>",
         ndiff, ndiff == 1 ? "" : "s");
    for (size_t t = 0; t < ncols; t++) {
        raw(pg, "<th>");
        esc(pg, run->targets[t].name);
        raw(pg, "</th>");
    }
    raw(pg, "</tr></thead><tbody>\n");
    for (size_t i = 0; i < n;) {
        size_t j = matrix_cells(m, n, i, cell, ncols, &differs);
        matrix_row(pg, m[i].id, cell, ncols, differs);
        i = j;
        if (pg->b.len > HTML_FLUSH_AT)
            flush(pg);
    }
    raw(pg, "</tbody></table></section>\n");
    free(cell);
    free(m);
}

/* ---- the page --------------------------------------------------------- */

int report_html_dump(const struct result_run *run, FILE *fp,
                     const struct report_options *opts, char *err,
                     size_t errlen)
{
    struct page pg = {fp, {0}, 0};
    buf_init(&pg.b, (size_t)-1 / 2);
    char deftitle[128];
    snprintf(deftitle, sizeof deftitle, "smtpsuite %s report",
             run->kind ? run->kind : "run");
    const char *title = opts && opts->title ? opts->title : deftitle;
    write_head(&pg, title, run->ncases >= HTML_LAZY_RENDER_AT);
    write_header(&pg, run, title);
    write_summary(&pg, run);
    write_thresholds(&pg, run);
    write_latency(&pg, run);
    write_counters(&pg, run);
    write_matrix(&pg, run);
    flush(&pg);
    write_results(&pg, run);
    raw(&pg, "<script>");
    raw(&pg, SCRIPT);
    raw(&pg, "</script></body></html>\n");
    flush(&pg);
    buf_free(&pg.b);
    if (pg.bad || ferror(fp)) {
        snprintf(err, errlen, "cannot write the HTML report");
        return -1;
    }
    return 0;
}

int report_html_write(const struct result_run *run, const char *path,
                      const struct report_options *opts, char *err,
                      size_t errlen)
{
    return report_write_atomic(run, path, report_html_dump, opts, err, errlen);
}
