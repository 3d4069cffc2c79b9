/* cli_check: the 'check' verb (reserved; built by a later issue). */
#include "suite/verbs.h"
#include "harness/verdict.h"

#include <stdbool.h>
#include <stddef.h>

struct check_opts {
    bool unused;
};

static const struct cli_opt OPTS[] = {
    CLI_SECTION("this verb is reserved and not built yet"),
};

static int check_main(int argc, char **argv);

const struct cli_verb cli_verb_check = {
    .name = "check",
    .summary = "lint case files, suites and target files without connecting",
    .usage = "[options] PATH...",
    .opts = OPTS,
    .nopts = sizeof OPTS / sizeof OPTS[0],
    .main = check_main,
};

static int check_main(int argc, char **argv)
{
    struct check_opts o = {0};
    struct cli_list pos = {0};
    enum cli_status st = cli_parse(&cli_verb_check, argc, argv, &o, &pos);
    cli_list_free(&pos);
    if (st == CLI_HELP)
        return EXIT_OK;
    if (st == CLI_ERROR)
        return EXIT_USAGE;
    return cli_error(&cli_verb_check, "not available in this build yet");
}
