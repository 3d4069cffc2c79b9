/* load_print: the load verb's live lines and summary (see load_print.h). */
#include "suite/load_print.h"
#include "harness/duration.h"

#include <inttypes.h>
#include <string.h>

void load_print_us(int64_t us, char *out, size_t outlen)
{
    if (us < 1000)
        snprintf(out, outlen, "%" PRId64 "us", us);
    else if (us < 10000)
        snprintf(out, outlen, "%.2fms", (double)us / 1e3);
    else if (us < 100000)
        snprintf(out, outlen, "%.1fms", (double)us / 1e3);
    else if (us < 1000000)
        snprintf(out, outlen, "%.0fms", (double)us / 1e3);
    else if (us < 10000000)
        snprintf(out, outlen, "%.2fs", (double)us / 1e6);
    else
        snprintf(out, outlen, "%.1fs", (double)us / 1e6);
}

static double per_s(uint64_t now, uint64_t before, int64_t dt_us)
{
    return dt_us > 0 ? (double)(now - before) * 1e6 / (double)dt_us : 0;
}

void load_print_live(FILE *fp, const struct load_live *l,
                     const struct load_live *prev, bool tty)
{
    char p50[16], p99[16];
    int64_t dt = l->elapsed_us - prev->elapsed_us;
    load_print_us(l->interval_p50_us, p50, sizeof p50);
    load_print_us(l->interval_p99_us, p99, sizeof p99);
    fprintf(fp,
            "%s%5.0fs  %7.1f sessions/s  %7.1f msg/s  in flight %-6" PRIu64
            " waiting %-5" PRIu64 " ok %-8" PRIu64 " errors %-6" PRIu64
            " dropped %-5" PRIu64 " p50 %-7s p99 %s%s",
            tty ? "\r\033[K" : "", (double)l->elapsed_us / 1e6,
            per_s(l->ended, prev->ended, dt),
            per_s(l->messages, prev->messages, dt), l->inflight, l->waiting,
            l->ok, l->errors, l->dropped, l->interval_sessions ? p50 : "-",
            l->interval_sessions ? p99 : "-", tty ? "" : "\n");
    fflush(fp);
}

void load_print_live_end(FILE *fp, bool tty)
{
    if (tty)
        fputc('\n', fp);
}

void load_print_live_json(FILE *fp, const struct load_live *l,
                          const struct load_live *prev)
{
    int64_t dt = l->elapsed_us - prev->elapsed_us;
    fprintf(fp,
            "{\"t_us\":%" PRId64 ",\"scheduled\":%" PRIu64
            ",\"started\":%" PRIu64 ",\"ended\":%" PRIu64 ",\"ok\":%" PRIu64
            ",\"errors\":%" PRIu64 ",\"dropped\":%" PRIu64
            ",\"cutoff\":%" PRIu64 ",\"messages\":%" PRIu64
            ",\"inflight\":%" PRIu64 ",\"waiting\":%" PRIu64
            ",\"sessions_per_s\":%.3f,\"messages_per_s\":%.3f"
            ",\"interval_sessions\":%" PRIu64 ",\"p50_us\":%" PRId64
            ",\"p99_us\":%" PRId64 ",\"max_us\":%" PRId64 "}\n",
            l->elapsed_us, l->scheduled, l->started, l->ended, l->ok, l->errors,
            l->dropped, l->cutoff, l->messages, l->inflight, l->waiting,
            per_s(l->ended, prev->ended, dt),
            per_s(l->messages, prev->messages, dt), l->interval_sessions,
            l->interval_p50_us, l->interval_p99_us, l->interval_max_us);
    fflush(fp);
}

/* ---- the summary -----------------------------------------------------------
 */

static const double PCTS[] = {50, 90, 99, 99.9, 99.99};

static void hist_row(FILE *fp, const char *name, const struct hist *h)
{
    char v[16];
    fprintf(fp, "  %-10s %9" PRIu64, name, hist_count(h));
    for (size_t i = 0; i < sizeof PCTS / sizeof PCTS[0]; i++) {
        load_print_us(hist_value_at(h, PCTS[i]), v, sizeof v);
        fprintf(fp, " %8s", v);
    }
    load_print_us(hist_max(h), v, sizeof v);
    fprintf(fp, " %8s\n", v);
}

static void step_table(FILE *fp, const struct load_stats *st, enum load_basis b,
                       const char *title)
{
    fprintf(fp, "\n  %-10s %9s %8s %8s %8s %8s %8s %8s   %s\n", "step", "count",
            "p50", "p90", "p99", "p99.9", "p99.99", "max", title);
    size_t idx[LOAD_STATS_MAX_STEPS];
    size_t n = load_stats_report_order(st, idx);
    for (size_t i = 0; i < n; i++) {
        const char *name = load_stats_step_name(st, idx[i]);
        const struct hist *h = load_stats_hist(st, name, b);
        if (h)
            hist_row(fp, name, h);
    }
}

static void counts_block(FILE *fp, const struct load_print_summary *s)
{
    const struct load_outcome *o = s->o;
    const struct load_counts *c = load_stats_counts_const(o->stats);
    double secs = (double)o->elapsed_us / 1e6;
    char cpu_per[16];
    uint64_t per = c->messages ? c->messages : c->ended;
    load_print_us(per ? (o->cpu_user_us + o->cpu_sys_us) / (int64_t)per : 0,
                  cpu_per, sizeof cpu_per);
    fprintf(fp,
            "  sessions  %" PRIu64 " scheduled, %" PRIu64 " started, %" PRIu64
            " ended (%" PRIu64 " ok, %" PRIu64 " errors)\n",
            c->scheduled, c->started, c->ended, c->ok, c->errors);
    fprintf(fp,
            "            %" PRIu64 " waited for the cap, %" PRIu64
            " dropped (lost), %" PRIu64 " cut off, %" PRIu64
            " still waiting at the end\n",
            c->queued, c->dropped, c->cutoff, c->cutoff_queued);
    fprintf(fp, "  messages  %" PRIu64 " sent, %" PRIu64 " accepted\n",
            c->messages, c->accepted);
    fprintf(fp, "  rate      %.1f sessions/s achieved",
            secs > 0 ? (double)c->ended / secs : 0);
    if (o->requested_rate > 0)
        fprintf(fp, " of %.1f asked", o->requested_rate);
    fprintf(fp, ", %.1f messages/s\n",
            secs > 0 ? (double)c->messages / secs : 0);
    if (c->tls_full + c->tls_resumed)
        fprintf(fp,
                "  tls       %" PRIu64 " full handshakes, %" PRIu64
                " resumed\n",
                c->tls_full, c->tls_resumed);
    fprintf(
        fp,
        "  client    %.2fs elapsed, CPU %.2fs user + %.2fs system (%s a %s), "
        "max RSS %.1f MB\n",
        secs, (double)o->cpu_user_us / 1e6, (double)o->cpu_sys_us / 1e6,
        cpu_per, c->messages ? "message" : "session",
        (double)o->maxrss_kb / 1024);
    char lag[16];
    load_print_us(hist_value_at(load_stats_lag_hist(o->stats), 99), lag,
                  sizeof lag);
    fprintf(fp, "  loop lag  %s at p99 (a start later than scheduled)\n", lag);
}

static void errors_block(FILE *fp, const struct load_stats *st)
{
    size_t n = load_stats_nerrors(st);
    if (n == 0)
        return;
    fprintf(fp, "\n  errors (step, outcome, sessions, first reason)\n");
    for (size_t i = 0; i < n; i++) {
        const struct load_error_line *e = load_stats_error_line(st, i);
        fprintf(fp, "    %-10s %-9s %8" PRIu64 "  %s\n", e->step, e->what,
                e->count, e->reason);
    }
}

void load_print_delivery(FILE *fp, const struct deliver_report *r,
                         const char *to, int64_t late_us)
{
    char late[32];
    duration_format(late_us, late, sizeof late);
    fprintf(fp,
            "\n  delivery to %s\n    %" PRIu64 " accepted, %" PRIu64
            " arrived, %" PRIu64 " lost, %" PRIu64 " late (over %s), %" PRIu64
            " duplicated, %" PRIu64 " corrupt\n",
            to, r->submitted, r->arrived, r->lost, r->late, late, r->duplicated,
            r->corrupt);
    fprintf(fp, "    changes:");
    for (int c = 0; c < ARRIVAL_CLASS_COUNT; c++)
        if (r->classes[c])
            fprintf(fp, " %s %" PRIu64, arrival_class_name(c), r->classes[c]);
    if (r->unsigned_)
        fprintf(fp, " no-digest %" PRIu64, r->unsigned_);
    fprintf(fp, "%s\n", r->arrived ? "" : " none (nothing arrived)");
    if (r->unexpected || r->foreign)
        fprintf(fp,
                "    %" PRIu64 " arrivals never seen accepted, %" PRIu64
                " without a token of this run\n",
                r->unexpected, r->foreign);
    if (r->lost_tokens[0])
        fprintf(fp, "    lost: %s\n", r->lost_tokens);
    if (r->duplicated_tokens[0])
        fprintf(fp, "    duplicated: %s\n", r->duplicated_tokens);
    if (r->changed_tokens[0])
        fprintf(fp, "    changed: %s\n", r->changed_tokens);
}

void load_print_summary(FILE *fp, const struct load_print_summary *s)
{
    fprintf(fp, "\n%s: %s, %u thread%s%s\n",
            s->title ? s->title : "smtpsuite load", s->model, s->threads,
            s->threads == 1 ? "" : "s",
            s->o->interrupted ? " (interrupted)" : "");
    fprintf(fp, "  target    %s\n  scenario  %s\n", s->target, s->scenarios);
    if (s->shard)
        fprintf(fp, "  shard     %s\n", s->shard);
    counts_block(fp, s);
    step_table(fp, s->o->stats, LOAD_INTENDED, "from the intended start");
    step_table(fp, s->o->stats, LOAD_SENT, "from the actual send");
    errors_block(fp, s->o->stats);
    if (s->delivery)
        load_print_delivery(fp, s->delivery, s->deliver_to, s->late_us);
    if (s->nthresholds)
        fprintf(fp, "\n  thresholds\n");
    for (size_t i = 0; i < s->nthresholds; i++) {
        const struct load_print_threshold *t = &s->thresholds[i];
        fprintf(fp, "    %-10s %-30s observed %s\n", t->status, t->text,
                t->observed);
    }
    if (s->o->warning[0])
        fprintf(fp, "\nwarning: %s\n", s->o->warning);
}
