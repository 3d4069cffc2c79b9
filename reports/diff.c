/* diff: comparing runs and the audit matrix (see diff.h). */
#include "reports/diff.h"
#include "reports/console.h"
#include "harness/xalloc.h"

#include <stdlib.h>
#include <string.h>

static const char *const CLASS_NAMES[] = {
#define X(e, s) s,
    DIFF_CLASS_LIST(X)
#undef X
};

const char *diff_class_name(enum diff_class c)
{
    return CLASS_NAMES[c];
}

static bool failing(enum verdict v, bool strict)
{
    return v == VERDICT_FAIL ||
           (strict && (v == VERDICT_WARN || v == VERDICT_XPASS));
}

/* Cases match by id, and by target name too when either run audited
 * several targets (a single-target run is one server whatever its name). */
static bool same_case(const struct result_case *x, const struct result_case *y,
                      bool by_target)
{
    const char *tx = x->target ? x->target : "", *ty = y->target ? y->target : "";
    return strcmp(x->id ? x->id : "", y->id ? y->id : "") == 0 &&
           (!by_target || strcmp(tx, ty) == 0);
}

static const struct result_case *find(const struct result_run *r,
                                      const struct result_case *c, bool by_target)
{
    for (size_t i = 0; i < r->ncases; i++)
        if (same_case(&r->cases[i], c, by_target))
            return &r->cases[i];
    return NULL;
}

static enum diff_class classify(const struct result_case *a,
                                const struct result_case *b, bool strict)
{
    bool fa = failing(a->verdict, strict), fb = failing(b->verdict, strict);
    if (fb && !fa)
        return DIFF_NEW_FAIL;
    if (fa && fb)
        return DIFF_STILL_FAIL;
    if (fa && !fb && b->verdict != VERDICT_ERROR && b->verdict != VERDICT_SKIP &&
        b->verdict != VERDICT_NOTRUN)
        return DIFF_NEW_PASS;
    if (b->verdict == VERDICT_ERROR && a->verdict != VERDICT_ERROR)
        return DIFF_NEW_ERROR;
    if (a->verdict != b->verdict)
        return DIFF_CHANGED;
    return DIFF_SAME;
}

static void add(struct diff *d, enum diff_class cls, const struct result_case *a,
                const struct result_case *b)
{
    xgrow(&d->e, &d->cap, d->n + 1, sizeof *d->e);
    struct diff_entry *e = &d->e[d->n++];
    e->cls = cls;
    e->a = a;
    e->b = b;
    e->hash_changed = a && b && a->hash && b->hash && strcmp(a->hash, b->hash) != 0;
    d->count[cls]++;
    if (e->hash_changed)
        d->count[DIFF_HASH]++;
}

void diff_runs(const struct result_run *a, const struct result_run *b,
               bool strict, struct diff *d)
{
    memset(d, 0, sizeof *d);
    bool by_target = a->ntargets > 1 || b->ntargets > 1;
    d->by_target = by_target;
    for (size_t i = 0; i < b->ncases; i++) {
        const struct result_case *cb = &b->cases[i];
        const struct result_case *ca = find(a, cb, by_target);
        if (!ca)
            add(d, failing(cb->verdict, strict) ? DIFF_NEW_FAIL : DIFF_ONLY_B, NULL, cb);
        else
            add(d, classify(ca, cb, strict), ca, cb);
    }
    for (size_t i = 0; i < a->ncases; i++)
        if (!find(b, &a->cases[i], by_target))
            add(d, DIFF_ONLY_A, &a->cases[i], NULL);
}

void diff_free(struct diff *d)
{
    free(d->e);
    memset(d, 0, sizeof *d);
}

static void print_entry(const struct diff_entry *e, bool by_target_print,
                        FILE *fp)
{
    const struct result_case *c = e->b ? e->b : e->a;
    fputs("  ", fp);
    if (c->target && by_target_print) {
        console_safe(fp, c->target);
        fputs(": ", fp);
    }
    console_safe(fp, c->id);
    if (e->a && e->b)
        fprintf(fp, "  %s -> %s", verdict_name(e->a->verdict), verdict_name(e->b->verdict));
    else
        fprintf(fp, "  %s", verdict_name(c->verdict));
    if (e->hash_changed)
        fputs("  (case file changed)", fp);
    fputc('\n', fp);
    if (e->b && e->b->reason && (e->cls == DIFF_NEW_FAIL || e->cls == DIFF_NEW_ERROR)) {
        fputs("      ", fp);
        console_safe(fp, e->b->reason);
        fputc('\n', fp);
    }
}

void diff_print(const struct diff *d, FILE *fp, bool color)
{
    static const enum diff_class ORDER[] = {
        DIFF_NEW_FAIL, DIFF_NEW_ERROR, DIFF_NEW_PASS, DIFF_STILL_FAIL,
        DIFF_CHANGED,  DIFF_ONLY_A,    DIFF_ONLY_B,
    };
    for (size_t k = 0; k < sizeof ORDER / sizeof ORDER[0]; k++) {
        enum diff_class cls = ORDER[k];
        if (!d->count[cls])
            continue;
        bool bad = cls == DIFF_NEW_FAIL || cls == DIFF_NEW_ERROR;
        fprintf(fp, "%s%s (%zu):%s\n", color && bad ? "\033[1;31m" : "",
                diff_class_name(cls), d->count[cls], color && bad ? "\033[0m" : "");
        for (size_t i = 0; i < d->n; i++)
            if (d->e[i].cls == cls)
                print_entry(&d->e[i], d->by_target, fp);
    }
    if (d->count[DIFF_HASH]) {
        fprintf(fp, "%s (%zu):\n", diff_class_name(DIFF_HASH), d->count[DIFF_HASH]);
        for (size_t i = 0; i < d->n; i++)
            if (d->e[i].hash_changed)
                print_entry(&d->e[i], d->by_target, fp);
    }
    fprintf(fp, "\n%zu newly failing, %zu newly erroring, %zu newly passing, "
                "%zu still failing, %zu changed, %zu only in the first, %zu only "
                "in the second, %zu unchanged\n",
            d->count[DIFF_NEW_FAIL], d->count[DIFF_NEW_ERROR], d->count[DIFF_NEW_PASS],
            d->count[DIFF_STILL_FAIL], d->count[DIFF_CHANGED], d->count[DIFF_ONLY_A],
            d->count[DIFF_ONLY_B], d->count[DIFF_SAME]);
}

/* ---- the matrix ---------------------------------------------------------- */

struct column {
    const struct result_run *run;
    const char *target;
};

static bool has_id(char **ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return true;
    return false;
}

void diff_matrix_print(const struct result_run *const *runs, size_t nruns,
                       FILE *fp, bool color)
{
    struct column *cols = NULL;
    size_t ncols = 0, capcols = 0;
    char **ids = NULL;
    size_t nids = 0, capids = 0, idw = 4;
    for (size_t r = 0; r < nruns; r++) {
        for (size_t t = 0; t < runs[r]->ntargets; t++) {
            xgrow(&cols, &capcols, ncols + 1, sizeof *cols);
            cols[ncols++] = (struct column){runs[r], runs[r]->targets[t].name};
        }
        for (size_t i = 0; i < runs[r]->ncases; i++) {
            const char *id = runs[r]->cases[i].id ? runs[r]->cases[i].id : "";
            if (has_id(ids, nids, id))
                continue;
            xgrow(&ids, &capids, nids + 1, sizeof *ids);
            ids[nids++] = (char *)id;
            if (strlen(id) > idw)
                idw = strlen(id);
        }
    }
    size_t *w = xcalloc(ncols + 1, sizeof *w);
    fprintf(fp, "%-*s", (int)idw, "case");
    for (size_t c = 0; c < ncols; c++) {
        const char *name = cols[c].target ? cols[c].target : "?";
        w[c] = strlen(name) > 6 ? strlen(name) : 6;
        fputs("  ", fp);
        console_safe(fp, name);
        fprintf(fp, "%*s", (int)(w[c] - strlen(name)), "");
    }
    fputc('\n', fp);
    for (size_t i = 0; i < nids; i++) {
        fprintf(fp, "%-*s", (int)idw, ids[i]);
        for (size_t c = 0; c < ncols; c++) {
            const char *cell = "-";
            for (size_t k = 0; k < cols[c].run->ncases; k++) {
                const struct result_case *rc = &cols[c].run->cases[k];
                if (rc->id && strcmp(rc->id, ids[i]) == 0 &&
                    (!rc->target || !cols[c].target || strcmp(rc->target, cols[c].target) == 0)) {
                    cell = verdict_name(rc->verdict);
                    break;
                }
            }
            bool bad = strcmp(cell, "FAIL") == 0 || strcmp(cell, "ERROR") == 0;
            fprintf(fp, "  %s%-*s%s", color && bad ? "\033[1;31m" : "", (int)w[c],
                    cell, color && bad ? "\033[0m" : "");
        }
        fputc('\n', fp);
    }
    free(w);
    free(cols);
    free(ids);
}
