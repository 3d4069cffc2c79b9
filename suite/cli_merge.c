/* cli_merge: the 'merge' verb (reserved; built by a later issue). */
#include "suite/verbs.h"
#include "harness/verdict.h"

#include <stdbool.h>
#include <stddef.h>

struct merge_opts {
    bool unused;
};

static const struct cli_opt OPTS[] = {
    CLI_SECTION("this verb is reserved and not built yet"),
};

static int merge_main(int argc, char **argv);

const struct cli_verb cli_verb_merge = {
    .name = "merge",
    .summary = "add up result files of several load shards",
    .usage = "[options] FILE...",
    .opts = OPTS,
    .nopts = sizeof OPTS / sizeof OPTS[0],
    .main = merge_main,
};

static int merge_main(int argc, char **argv)
{
    struct merge_opts o = {0};
    struct cli_list pos = {0};
    enum cli_status st = cli_parse(&cli_verb_merge, argc, argv, &o, &pos);
    cli_list_free(&pos);
    if (st == CLI_HELP)
        return EXIT_OK;
    if (st == CLI_ERROR)
        return EXIT_USAGE;
    return cli_error(&cli_verb_merge, "not available in this build yet");
}
