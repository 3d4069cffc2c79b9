/* cli_load: the 'load' verb (reserved; built by a later issue). */
#include "suite/verbs.h"
#include "harness/verdict.h"

#include <stdbool.h>
#include <stddef.h>

struct load_opts {
    bool unused;
};

static const struct cli_opt OPTS[] = {
    CLI_SECTION("this verb is reserved and not built yet"),
};

static int load_main(int argc, char **argv);

const struct cli_verb cli_verb_load = {
    .name = "load",
    .summary = "replay cases as a load scenario with per-step latency",
    .usage = "[options] PATH...",
    .opts = OPTS,
    .nopts = sizeof OPTS / sizeof OPTS[0],
    .main = load_main,
};

static int load_main(int argc, char **argv)
{
    struct load_opts o = {0};
    struct cli_list pos = {0};
    enum cli_status st = cli_parse(&cli_verb_load, argc, argv, &o, &pos);
    cli_list_free(&pos);
    if (st == CLI_HELP)
        return EXIT_OK;
    if (st == CLI_ERROR)
        return EXIT_USAGE;
    return cli_error(&cli_verb_load, "not available in this build yet");
}
