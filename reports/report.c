/* report: the table of report formats and the one place that writes the
 * requested outputs. A failing output does not stop the others: a run
 * that produced results should leave every report it can. */
#include "reports/report.h"
#include "reports/atomic.h"
#include "reports/html.h"
#include "reports/json.h"
#include "reports/junit.h"
#include "harness/buf.h"
#include "harness/xalloc.h"

#include <string.h>

#define REPORT_ERRORS_MAX 16384 /* collected error text */

/* The JSON writer predates the table and takes no options. */
static int json_write(const struct result_run *run, const char *path,
                      const struct report_options *opts, char *err,
                      size_t errlen)
{
    (void)opts;
    return report_json_write(run, path, err, errlen);
}

static const struct report_format FORMATS[] = {
    {"json", ".json", json_write},
    {"junit", ".xml", report_junit_write},
    {"html", ".html", report_html_write},
};

#define NFORMATS (sizeof FORMATS / sizeof FORMATS[0])

const struct report_format *report_formats(size_t *n)
{
    *n = NFORMATS;
    return FORMATS;
}

const struct report_format *report_format_find(const char *name)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (strcmp(FORMATS[i].name, name) == 0)
            return &FORMATS[i];
    return NULL;
}

int report_write_atomic(const struct result_run *run, const char *path,
                        report_dump_fn *dump, const struct report_options *opts,
                        char *err, size_t errlen)
{
    struct atomic_file af;
    if (atomic_open(&af, path, err, errlen) != 0)
        return -1;
    if (dump(run, af.fp, opts, err, errlen) != 0) {
        atomic_abort(&af);
        return -1;
    }
    return atomic_commit(&af, err, errlen);
}

/* Checks names and paths before anything is written. */
static int check_outputs(const struct report_output *outs, size_t n,
                         struct buf *errs)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (!report_format_find(outs[i].format)) {
            buf_addf(errs,
                     "unknown report format '%s' (want json, junit, "
                     "html)\n",
                     outs[i].format);
            bad = 1;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(outs[i].path, outs[j].path) == 0) {
                buf_addf(errs, "%s and %s: both write %s\n", outs[j].format,
                         outs[i].format, outs[i].path);
                bad = 1;
            }
        }
    }
    return bad ? -1 : 0;
}

int report_write_all(const struct result_run *run,
                     const struct report_output *outs, size_t n,
                     const struct report_options *opts, char *err,
                     size_t errlen)
{
    struct buf errs;
    buf_init(&errs, REPORT_ERRORS_MAX);
    int rc = check_outputs(outs, n, &errs);
    bool checked = rc == 0;
    for (size_t i = 0; checked && i < n; i++) {
        const struct report_format *f = report_format_find(outs[i].format);
        char one[1024];
        if (f->write(run, outs[i].path, opts, one, sizeof one) != 0) {
            buf_addf(&errs, "%s: %s\n", f->name, one);
            rc = -1;
        }
    }
    if (rc != 0) {
        if (errs.len > 0)
            errs.data[--errs.len] = '\0'; /* the last newline */
        snprintf(err, errlen, "%s", buf_str(&errs));
    }
    buf_free(&errs);
    return rc;
}

char *report_area(const char *id)
{
    if (!id || !*id || *id == '.')
        return xstrdup("unnamed");
    return xstrndup(id, strcspn(id, "."));
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool report_several_targets(const struct result_run *run)
{
    if (run->ntargets > 1)
        return true;
    for (size_t i = 1; i < run->ncases; i++)
        if (!same(run->cases[i].target, run->cases[0].target))
            return true;
    return false;
}

const struct result_step *report_deciding_step(const struct result_case *c)
{
    if (c->decisive >= 0 && (size_t)c->decisive < c->nsteps)
        return &c->steps[c->decisive];
    for (size_t i = c->nsteps; i > 0; i--)
        if (c->steps[i - 1].grade != VERDICT_PASS)
            return &c->steps[i - 1];
    return c->nsteps ? &c->steps[c->nsteps - 1] : NULL;
}
