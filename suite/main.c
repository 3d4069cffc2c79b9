/* smtpsuite: the command-line entry point; dispatches to a verb. */
#include "suite/verbs.h"
#include "harness/verdict.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *fp)
{
    fprintf(fp, "usage: smtpsuite VERB [options] [ARGS...]\n\n"
                "SMTP conformance and load testing.\n\nverbs:\n");
    for (const struct cli_verb *const *v = cli_verbs; *v; v++)
        fprintf(fp, "  %-10s %s\n", (*v)->name, (*v)->summary);
    fprintf(fp, "\n'smtpsuite VERB --help' describes a verb; "
                "'smtpsuite --version' prints versions.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
        strcmp(name, "help") == 0) {
        if (argc > 2) {
            for (const struct cli_verb *const *v = cli_verbs; *v; v++)
                if (strcmp((*v)->name, argv[2]) == 0) {
                    cli_help(*v, stdout);
                    return EXIT_OK;
                }
        }
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        cli_print_version(stdout);
        return EXIT_OK;
    }
    for (const struct cli_verb *const *v = cli_verbs; *v; v++)
        if (strcmp((*v)->name, name) == 0)
            return (*v)->main(argc - 1, argv + 1);
    fprintf(stderr, "smtpsuite: unknown verb '%s' (see 'smtpsuite --help')\n",
            name);
    return EXIT_USAGE;
}
