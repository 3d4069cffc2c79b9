/* verbs: the verb table and --version. */
#include "suite/verbs.h"
#include "harness/version.h"
#include "reports/versions.h"

#include <stdio.h>

const struct cli_verb *const cli_verbs[] = {
    &cli_verb_run,   &cli_verb_check,   &cli_verb_load, &cli_verb_merge,
    &cli_verb_compare, &cli_verb_sink, NULL,
};

void cli_print_version(FILE *fp)
{
    char h[256], r[256];
    harness_versions(h, sizeof h);
    reports_versions(r, sizeof r);
    fprintf(fp, "smtpsuite %s\n%s%s", SMTPSUITE_VERSION, h, r);
}
