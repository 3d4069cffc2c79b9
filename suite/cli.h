/* cli: the command-line parser shared by every verb. Each verb declares
 * one option table (suite/cli_VERB.c); this module parses argv against
 * it (GNU style: --name VALUE, --name=VALUE, -x VALUE, -xVALUE, --),
 * prints --help from it, and reports a bad option in one line that names
 * it, with exit code 2. */
#ifndef SMTPSUITE_CLI_H
#define SMTPSUITE_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cli_type {
    CLI_FLAG,     /* bool, no argument */
    CLI_INT,      /* long within [min, max] */
    CLI_STR,      /* char *, last one wins */
    CLI_LIST,     /* struct cli_list, repeatable */
    CLI_DURATION, /* int64_t microseconds */
    CLI_FN,       /* custom: parse(opts, arg, err) */
    CLI_FN_FLAG,  /* custom, no argument: parse(opts, NULL, err) */
};

struct cli_list {
    char **v;
    size_t n, cap;
};

struct cli_opt {
    const char *name; /* long name, without "--" */
    char shortname;   /* 0 if none */
    enum cli_type type;
    size_t off;        /* offset of the field in the verb's options struct */
    const char *arg;   /* argument name in help, e.g. "N", "FILE" */
    const char *help;  /* one line; "\n" starts an indented second line */
    long min, max;     /* CLI_INT bounds (both 0: any non-negative) */
    int (*parse)(void *opts, const char *arg, char *err, size_t errlen);
};

/* A group heading inside an option table: a row with only a help text. */
#define CLI_SECTION(title) {NULL, 0, CLI_FLAG, 0, NULL, title, 0, 0, NULL}

struct cli_verb {
    const char *name;
    const char *summary; /* one line for "smtpsuite --help" */
    const char *usage;   /* after "smtpsuite NAME ", e.g. "[options] PATH..." */
    const char *description; /* paragraphs printed before the options */
    const char *epilog;      /* printed after the options (exit codes ...) */
    const struct cli_opt *opts;
    size_t nopts;
    int (*main)(int argc, char **argv);
};

enum cli_status {
    CLI_OK = 0,
    CLI_HELP = 1,  /* --help was given and printed: exit 0 */
    CLI_ERROR = 2, /* message printed: exit 2 */
};

/* Parses argv[1..argc) (argv[0] is the verb) into opts. Positional
 * arguments are collected in *pos (caller frees pos->v, not the strings).
 * Prints the help or the error itself. */
enum cli_status cli_parse(const struct cli_verb *verb, int argc, char **argv,
                          void *opts, struct cli_list *pos);
void cli_help(const struct cli_verb *verb, FILE *fp);
/* Prints "smtpsuite VERB: message" to stderr; returns 2. */
int cli_error(const struct cli_verb *verb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void cli_list_add(struct cli_list *l, char *s);
void cli_list_free(struct cli_list *l); /* frees the array, not strings */

/* Parses a whole non-negative decimal number into *out; -1 if not one. */
int cli_parse_ulong(const char *s, unsigned long long *out);

#endif
