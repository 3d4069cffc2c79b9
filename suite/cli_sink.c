/* cli_sink: the 'sink' verb (reserved; built by a later issue). */
#include "suite/verbs.h"
#include "harness/verdict.h"

#include <stdbool.h>
#include <stddef.h>

struct sink_opts {
    bool unused;
};

static const struct cli_opt OPTS[] = {
    CLI_SECTION("this verb is reserved and not built yet"),
};

static int sink_main(int argc, char **argv);

const struct cli_verb cli_verb_sink = {
    .name = "sink",
    .summary = "run the reference SMTP server (profiles, faults, arrival log)",
    .usage = "[options]",
    .opts = OPTS,
    .nopts = sizeof OPTS / sizeof OPTS[0],
    .main = sink_main,
};

static int sink_main(int argc, char **argv)
{
    struct sink_opts o = {0};
    struct cli_list pos = {0};
    enum cli_status st = cli_parse(&cli_verb_sink, argc, argv, &o, &pos);
    cli_list_free(&pos);
    if (st == CLI_HELP)
        return EXIT_OK;
    if (st == CLI_ERROR)
        return EXIT_USAGE;
    return cli_error(&cli_verb_sink, "not available in this build yet");
}
