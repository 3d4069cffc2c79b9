/* report_tool: a test tool that writes fixture results and renders
 * result files through the report ops table (reports/report.h).
 *
 *   report_tool fixture NAME OUT.json
 *   report_tool render IN.json [--strict] [--title T] FORMAT=PATH...
 *   report_tool direct NAME [--strict] [--title T] FORMAT=PATH...
 *
 * NAME is mixed, hostile, load, multi or big:N (tests/tools/fixtures.h).
 * "direct" renders the fixture from memory, so raw bytes that the JSON
 * file would carry escaped reach the writers as they are. */
#include "reports/json.h"
#include "reports/report.h"
#include "tests/tools/fixtures.h"
#include "harness/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: report_tool fixture NAME OUT.json\n"
                    "       report_tool render IN.json [--strict] [--title T] "
                    "FORMAT=PATH...\n"
                    "       report_tool direct NAME [--strict] [--title T] "
                    "FORMAT=PATH...\n");
    return 2;
}

/* Parses [--strict] [--title T] FORMAT=PATH... and renders run. */
static int render(struct result_run *run, int argc, char **argv)
{
    struct report_options o = {false, NULL};
    struct report_output *outs = xcalloc((size_t)argc + 1, sizeof *outs);
    size_t n = 0;
    for (int i = 0; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (strcmp(argv[i], "--strict") == 0) {
            o.strict = true;
        } else if (strcmp(argv[i], "--title") == 0 && i + 1 < argc) {
            o.title = argv[++i];
        } else if (eq) {
            *eq = '\0';
            outs[n++] = (struct report_output){argv[i], eq + 1};
        } else {
            free(outs);
            return usage();
        }
    }
    char err[4096];
    int rc = report_write_all(run, outs, n, &o, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "report_tool: %s\n", err);
    free(outs);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    char err[1024];
    struct result_run *run = NULL;
    if (strcmp(argv[1], "render") == 0) {
        run = report_json_read(argv[2], err, sizeof err);
        if (!run) {
            fprintf(stderr, "report_tool: %s\n", err);
            return 1;
        }
    } else {
        run = fixture_by_name(argv[2]);
        if (!run) {
            fprintf(stderr, "report_tool: unknown fixture '%s'\n", argv[2]);
            return 2;
        }
    }
    int rc;
    if (strcmp(argv[1], "fixture") == 0 && argc == 4) {
        rc = report_json_write(run, argv[3], err, sizeof err) == 0 ? 0 : 1;
        if (rc)
            fprintf(stderr, "report_tool: %s\n", err);
    } else if (strcmp(argv[1], "render") == 0 ||
               strcmp(argv[1], "direct") == 0) {
        rc = render(run, argc - 3, argv + 3);
    } else {
        rc = usage();
    }
    result_run_free(run);
    return rc;
}
