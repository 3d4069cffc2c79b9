/* verbs: the verb table entries, one per suite/cli_VERB.c. */
#ifndef SMTPSUITE_VERBS_H
#define SMTPSUITE_VERBS_H

#include "suite/cli.h"

extern const struct cli_verb cli_verb_run;
extern const struct cli_verb cli_verb_check;
extern const struct cli_verb cli_verb_load;
extern const struct cli_verb cli_verb_merge;
extern const struct cli_verb cli_verb_compare;
extern const struct cli_verb cli_verb_sink;

/* The verb table in order of "smtpsuite --help"; NULL-terminated. */
extern const struct cli_verb *const cli_verbs[];

/* Prints the version and the build's library versions. */
void cli_print_version(FILE *fp);

#endif
