/* cli_run: the 'run' verb (reserved; built by a later issue). */
#include "suite/verbs.h"
#include "harness/verdict.h"

#include <stdbool.h>
#include <stddef.h>

struct run_opts {
    bool unused;
};

static const struct cli_opt OPTS[] = {
    CLI_SECTION("this verb is reserved and not built yet"),
};

static int run_main(int argc, char **argv);

const struct cli_verb cli_verb_run = {
    .name = "run",
    .summary = "replay case files against a server and judge every reply",
    .usage = "[options] PATH...",
    .opts = OPTS,
    .nopts = sizeof OPTS / sizeof OPTS[0],
    .main = run_main,
};

static int run_main(int argc, char **argv)
{
    struct run_opts o = {0};
    struct cli_list pos = {0};
    enum cli_status st = cli_parse(&cli_verb_run, argc, argv, &o, &pos);
    cli_list_free(&pos);
    if (st == CLI_HELP)
        return EXIT_OK;
    if (st == CLI_ERROR)
        return EXIT_USAGE;
    return cli_error(&cli_verb_run, "not available in this build yet");
}
