/* cli_compare: the 'compare' verb (reserved; built by a later issue). */
#include "suite/verbs.h"
#include "harness/verdict.h"

#include <stdbool.h>
#include <stddef.h>

struct compare_opts {
    bool unused;
};

static const struct cli_opt OPTS[] = {
    CLI_SECTION("this verb is reserved and not built yet"),
};

static int compare_main(int argc, char **argv);

const struct cli_verb cli_verb_compare = {
    .name = "compare",
    .summary = "compare two result files, or several targets, side by side",
    .usage = "[options] A.json B.json",
    .opts = OPTS,
    .nopts = sizeof OPTS / sizeof OPTS[0],
    .main = compare_main,
};

static int compare_main(int argc, char **argv)
{
    struct compare_opts o = {0};
    struct cli_list pos = {0};
    enum cli_status st = cli_parse(&cli_verb_compare, argc, argv, &o, &pos);
    cli_list_free(&pos);
    if (st == CLI_HELP)
        return EXIT_OK;
    if (st == CLI_ERROR)
        return EXIT_USAGE;
    return cli_error(&cli_verb_compare, "not available in this build yet");
}
