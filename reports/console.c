/* console: terminal output of a run (see console.h). */
#include "reports/console.h"
#include "harness/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct console {
    struct console_params p;
    bool progress_shown;
};

static const struct {
    enum verdict v;
    const char *color; /* ANSI SGR */
} COLORS[] = {
    {VERDICT_PASS, "32"},  {VERDICT_WARN, "33"},  {VERDICT_FAIL, "1;31"},
    {VERDICT_ERROR, "35"}, {VERDICT_SKIP, "36"},  {VERDICT_XFAIL, "36"},
    {VERDICT_XPASS, "33"}, {VERDICT_NOTRUN, "2"},
};

bool console_want_color(FILE *fp, bool disabled)
{
    const char *nc = getenv("NO_COLOR");
    if (disabled || (nc && *nc))
        return false;
    return isatty(fileno(fp));
}

struct console *console_new(const struct console_params *p)
{
    struct console *c = xcalloc(1, sizeof *c);
    c->p = *p;
    if (c->p.progress && !isatty(fileno(c->p.progress)))
        c->p.progress = NULL;
    return c;
}

void console_free(struct console *c)
{
    free(c);
}

void console_safe(FILE *fp, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            fprintf(fp, "\\x%02x", *p);
        else
            fputc(*p, fp);
    }
}

static void clear_progress(struct console *c)
{
    if (c->progress_shown) {
        fputs("\r\033[K", c->p.progress);
        c->progress_shown = false;
    }
}

static void put_verdict(struct console *c, enum verdict v)
{
    const char *name = verdict_name(v);
    if (!c->p.color) {
        fprintf(c->p.fp, "%-6s", name);
        return;
    }
    for (size_t i = 0; i < sizeof COLORS / sizeof COLORS[0]; i++)
        if (COLORS[i].v == v)
            fprintf(c->p.fp, "\033[%sm%-6s\033[0m", COLORS[i].color, name);
}

static void put_ms(FILE *fp, int64_t us)
{
    if (us < 10000)
        fprintf(fp, "%.1f ms", (double)us / 1000.0);
    else
        fprintf(fp, "%lld ms", (long long)(us / 1000));
}

/* The deciding step: where, what was expected, what came. */
static void details(struct console *c, const struct result_case *rc)
{
    FILE *fp = c->p.fp;
    if (rc->reason) {
        fputs("       ", fp);
        if (rc->verdict == VERDICT_ERROR) {
            fputs(errcat_name(rc->category), fp);
            fputs(": ", fp);
        }
        console_safe(fp, rc->reason);
        fputc('\n', fp);
    }
    if (rc->decisive < 0 || (size_t)rc->decisive >= rc->nsteps)
        return;
    const struct result_step *s = &rc->steps[rc->decisive];
    fprintf(fp, "       at %s:%d (%s", rc->file ? rc->file : "?", s->line,
            s->name ? s->name : "?");
    if (s->conn && strcmp(s->conn, "main") != 0)
        fprintf(fp, " on %s", s->conn);
    fputs(")\n", fp);
    if (s->sent) {
        fputs("       sent:     ", fp);
        console_safe(fp, s->sent);
        fputc('\n', fp);
    }
    if (s->expect) {
        fputs("       expected: ", fp);
        console_safe(fp, s->expect);
        fputc('\n', fp);
    }
    fputs("       got:      ", fp);
    if (s->reply)
        console_safe(fp, s->reply);
    else if (s->name && strcmp(s->name, "close") == 0)
        fputs("(the connection stayed open)", fp);
    else
        fputs("(no reply)", fp);
    fputc('\n', fp);
}

static void transcript(struct console *c, const struct result_case *rc)
{
    FILE *fp = c->p.fp;
    for (size_t i = 0; i < rc->nevents; i++) {
        const struct result_event *e = &rc->events[i];
        fprintf(fp, "       %8.1fms %-5s %c ", (double)e->t_us / 1000.0,
                e->conn ? e->conn : "", e->dir);
        console_safe(fp, e->data);
        fputc('\n', fp);
    }
    if (rc->events_dropped)
        fprintf(fp, "       ... %llu transcript lines not kept\n",
                (unsigned long long)rc->events_dropped);
}

void console_case(struct console *c, const struct result_case *rc)
{
    bool pass = rc->verdict == VERDICT_PASS || rc->verdict == VERDICT_XFAIL;
    if (c->p.progress)
        clear_progress(c);
    if (c->p.quiet && pass && !c->p.verbose)
        return;
    FILE *fp = c->p.fp;
    put_verdict(c, rc->verdict);
    fputc(' ', fp);
    console_safe(fp, rc->id);
    fputs("  (", fp);
    put_ms(fp, rc->duration_us);
    if (rc->retries)
        fprintf(fp, ", %u retr%s", rc->retries, rc->retries == 1 ? "y" : "ies");
    fputs(")\n", fp);
    if (!pass || rc->verdict == VERDICT_XFAIL)
        details(c, rc);
    if (c->p.verbose)
        transcript(c, rc);
    fflush(fp);
}

void console_progress(struct console *c, size_t done, size_t total,
                      size_t running)
{
    if (!c->p.progress)
        return;
    fprintf(c->p.progress, "\r\033[K[%zu/%zu] %zu running", done, total, running);
    fflush(c->p.progress);
    c->progress_shown = true;
}

void console_summary(struct console *c, const struct result_run *run)
{
    static const struct {
        enum verdict v;
        const char *word;
    } WORDS[] = {
        {VERDICT_PASS, "passed"},   {VERDICT_FAIL, "failed"},
        {VERDICT_WARN, "warned"},   {VERDICT_ERROR, "errors"},
        {VERDICT_SKIP, "skipped"},  {VERDICT_XFAIL, "xfailed"},
        {VERDICT_XPASS, "xpassed"}, {VERDICT_NOTRUN, "not run"},
    };
    if (c->p.progress)
        clear_progress(c);
    struct verdict_counts vc;
    result_counts(run, &vc);
    FILE *fp = c->p.fp;
    fputc('\n', fp);
    bool first = true;
    for (size_t i = 0; i < sizeof WORDS / sizeof WORDS[0]; i++) {
        uint64_t n = vc.n[WORDS[i].v];
        if (!n && i > 1)
            continue;
        fprintf(fp, "%s%llu %s", first ? "" : ", ", (unsigned long long)n,
                WORDS[i].word);
        first = false;
    }
    fprintf(fp, " (%zu case%s in %.2f s)%s\n", run->ncases,
            run->ncases == 1 ? "" : "s",
            (double)(run->ended_us - run->started_us) / 1e6,
            run->incomplete ? "; INCOMPLETE: interrupted" : "");
    fflush(fp);
}
