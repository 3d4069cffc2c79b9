/* gen_bash: writes the bash completion of smtpsuite at build time. It
 * copies a template (completion/smtpsuite.bash.in) and puts, in place of
 * its line "# @GENERATED@", the data read from the verbs' option tables
 * (suite/verbs.h): the verbs, every option of each verb, the argument name
 * of each option that takes one, and the installed case library. So the
 * completion offers exactly the options the binary parses.
 *
 *   gen_bash TEMPLATE OUT */
#include "suite/verbs.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define GEN_MARK     "# @GENERATED@"
#define GEN_MAX_LINE 4096

static bool takes_arg(const struct cli_opt *o)
{
    return o->type != CLI_FLAG && o->type != CLI_FN_FLAG;
}

/* _smtpsuite_options VERB: every option of VERB, short and long. */
static void gen_options(FILE *out)
{
    fprintf(out, "_smtpsuite_options() {\n    case $1 in\n");
    for (const struct cli_verb *const *v = cli_verbs; *v; v++) {
        fprintf(out, "    %s) echo '", (*v)->name);
        for (size_t i = 0; i < (*v)->nopts; i++) {
            const struct cli_opt *o = &(*v)->opts[i];
            if (!o->name)
                continue; /* a section heading */
            if (o->shortname)
                fprintf(out, "-%c ", o->shortname);
            fprintf(out, "--%s ", o->name);
        }
        fprintf(out, "-h --help' ;;\n");
    }
    fprintf(out, "    esac\n}\n\n");
}

/* _smtpsuite_argument VERB OPTION: the name of OPTION's argument (FILE,
 * DIR ...), nothing for a flag or an unknown option. */
static void gen_arguments(FILE *out)
{
    fprintf(out, "_smtpsuite_argument() {\n    case \"$1 $2\" in\n");
    for (const struct cli_verb *const *v = cli_verbs; *v; v++) {
        for (size_t i = 0; i < (*v)->nopts; i++) {
            const struct cli_opt *o = &(*v)->opts[i];
            if (!o->name || !takes_arg(o))
                continue;
            fprintf(out, "    ");
            if (o->shortname)
                fprintf(out, "'%s -%c'|", (*v)->name, o->shortname);
            fprintf(out, "'%s --%s') echo '%s' ;;\n", (*v)->name, o->name,
                    o->arg ? o->arg : "VALUE");
        }
    }
    fprintf(out, "    esac\n}\n");
}

static void gen_data(FILE *out)
{
    fprintf(out, "# Generated from the option tables of smtpsuite %s.\n",
            SMTPSUITE_VERSION);
    fprintf(out, "_smtpsuite_verbs='");
    for (const struct cli_verb *const *v = cli_verbs; *v; v++)
        fprintf(out, "%s%s", v == cli_verbs ? "" : " ", (*v)->name);
    fprintf(out, "'\n_smtpsuite_installed_cases='%s'\n\n",
            SMTPSUITE_CASES_INSTALL_DIR);
    gen_options(out);
    gen_arguments(out);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: gen_bash TEMPLATE OUT\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "r");
    FILE *out = in ? fopen(argv[2], "w") : NULL;
    if (!out) {
        fprintf(stderr, "gen_bash: cannot open %s\n", in ? argv[2] : argv[1]);
        if (in)
            fclose(in);
        return 1;
    }
    char line[GEN_MAX_LINE];
    int marks = 0;
    while (fgets(line, sizeof line, in)) {
        if (strncmp(line, GEN_MARK, strlen(GEN_MARK)) == 0) {
            gen_data(out);
            marks++;
        } else {
            fputs(line, out);
        }
    }
    fclose(in);
    if (fclose(out) != 0 || marks != 1) {
        fprintf(stderr, "gen_bash: %s\n",
                marks != 1 ? "the template needs one '" GEN_MARK "' line"
                           : "cannot write the output");
        remove(argv[2]);
        return 1;
    }
    return 0;
}
