/* cli: table-driven option parsing and help for every verb. */
#include "suite/cli.h"
#include "harness/duration.h"
#include "harness/xalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void cli_list_add(struct cli_list *l, char *s)
{
    xgrow(&l->v, &l->cap, l->n + 1, sizeof *l->v);
    l->v[l->n++] = s;
}

void cli_list_free(struct cli_list *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

int cli_parse_ulong(const char *s, unsigned long long *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int cli_error(const struct cli_verb *verb, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "smtpsuite %s: ", verb->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    return CLI_ERROR;
}

static const struct cli_opt *find_long(const struct cli_verb *v, const char *name,
                                       size_t len)
{
    for (size_t i = 0; i < v->nopts; i++) {
        const char *n = v->opts[i].name;
        if (n && strlen(n) == len && strncmp(n, name, len) == 0)
            return &v->opts[i];
    }
    return NULL;
}

static const struct cli_opt *find_short(const struct cli_verb *v, char c)
{
    for (size_t i = 0; i < v->nopts; i++)
        if (v->opts[i].name && v->opts[i].shortname == c)
            return &v->opts[i];
    return NULL;
}

static bool takes_arg(const struct cli_opt *o)
{
    return o->type != CLI_FLAG && o->type != CLI_FN_FLAG;
}

/* Stores arg into the field o describes; returns 0 or -1 with err. */
static int set_opt(const struct cli_opt *o, void *opts, const char *arg,
                   char *err, size_t errlen)
{
    void *p = (char *)opts + o->off;
    switch (o->type) {
    case CLI_FLAG:
        *(bool *)p = true;
        return 0;
    case CLI_INT: {
        unsigned long long v;
        long max = o->max ? o->max : 0x7fffffffL;
        if (cli_parse_ulong(arg, &v) != 0 || v < (unsigned long long)o->min ||
            v > (unsigned long long)max) {
            snprintf(err, errlen, "'%s' is not a whole number from %ld to %ld",
                     arg, o->min, max);
            return -1;
        }
        *(long *)p = (long)v;
        return 0;
    }
    case CLI_STR:
        *(const char **)p = arg;
        return 0;
    case CLI_LIST:
        cli_list_add(p, (char *)arg);
        return 0;
    case CLI_DURATION:
        return duration_parse(arg, p, err, errlen);
    case CLI_FN:
    case CLI_FN_FLAG:
        return o->parse(opts, arg, err, errlen);
    }
    return 0;
}

static enum cli_status apply(const struct cli_verb *verb, const struct cli_opt *o,
                             void *opts, const char *arg, const char *shown)
{
    char err[512];
    err[0] = '\0';
    if (set_opt(o, opts, arg, err, sizeof err) != 0)
        return (enum cli_status)cli_error(verb, "%s: %s", shown, err);
    return CLI_OK;
}

/* Handles one "--name[=value]" at argv[*i]. */
static enum cli_status parse_long(const struct cli_verb *verb, int argc,
                                  char **argv, int *i, void *opts)
{
    const char *a = argv[*i] + 2;
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    if (len == 4 && strncmp(a, "help", 4) == 0) {
        cli_help(verb, stdout);
        return CLI_HELP;
    }
    const struct cli_opt *o = find_long(verb, a, len);
    char shown[128];
    snprintf(shown, sizeof shown, "--%.*s", (int)len, a);
    if (!o)
        return (enum cli_status)cli_error(
            verb, "unknown option '%s' (see 'smtpsuite %s --help')", shown,
            verb->name);
    if (!takes_arg(o)) {
        if (eq)
            return (enum cli_status)cli_error(verb, "%s takes no value", shown);
        return apply(verb, o, opts, NULL, shown);
    }
    const char *val = eq ? eq + 1 : NULL;
    if (!val) {
        if (*i + 1 >= argc)
            return (enum cli_status)cli_error(verb, "%s needs a value (%s)", shown,
                                              o->arg ? o->arg : "VALUE");
        val = argv[++*i];
    }
    return apply(verb, o, opts, val, shown);
}

/* Handles one "-x[value]" cluster at argv[*i]. */
static enum cli_status parse_short(const struct cli_verb *verb, int argc,
                                   char **argv, int *i, void *opts)
{
    const char *a = argv[*i] + 1;
    while (*a) {
        char shown[4] = {'-', *a, 0, 0};
        if (*a == 'h') {
            cli_help(verb, stdout);
            return CLI_HELP;
        }
        const struct cli_opt *o = find_short(verb, *a);
        if (!o)
            return (enum cli_status)cli_error(
                verb, "unknown option '%s' (see 'smtpsuite %s --help')", shown,
                verb->name);
        if (!takes_arg(o)) {
            enum cli_status st = apply(verb, o, opts, NULL, shown);
            if (st != CLI_OK)
                return st;
            a++;
            continue;
        }
        const char *val = a[1] ? a + 1 : NULL;
        if (!val) {
            if (*i + 1 >= argc)
                return (enum cli_status)cli_error(verb, "%s needs a value (%s)",
                                                  shown, o->arg ? o->arg : "VALUE");
            val = argv[++*i];
        }
        return apply(verb, o, opts, val, shown);
    }
    return CLI_OK;
}

enum cli_status cli_parse(const struct cli_verb *verb, int argc, char **argv,
                          void *opts, struct cli_list *pos)
{
    bool only_pos = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        enum cli_status st = CLI_OK;
        if (only_pos || a[0] != '-' || a[1] == '\0')
            cli_list_add(pos, argv[i]);
        else if (strcmp(a, "--") == 0)
            only_pos = true;
        else if (a[1] == '-')
            st = parse_long(verb, argc, argv, &i, opts);
        else
            st = parse_short(verb, argc, argv, &i, opts);
        if (st != CLI_OK)
            return st;
    }
    return CLI_OK;
}

/* Prints help text, indenting continuation lines by `indent`. */
static void print_wrapped(FILE *fp, const char *text, int indent)
{
    for (const char *p = text; *p; p++) {
        fputc(*p, fp);
        if (*p == '\n' && p[1])
            fprintf(fp, "%*s", indent, "");
    }
}

void cli_help(const struct cli_verb *verb, FILE *fp)
{
    fprintf(fp, "usage: smtpsuite %s %s\n\n%s\n", verb->name, verb->usage,
            verb->summary);
    if (verb->description)
        fprintf(fp, "\n%s", verb->description);
    fprintf(fp, "\noptions:\n");
    for (size_t i = 0; i < verb->nopts; i++) {
        const struct cli_opt *o = &verb->opts[i];
        if (!o->name) {
            fprintf(fp, "\n%s:\n", o->help);
            continue;
        }
        char left[96], sh[8] = "    ";
        if (o->shortname)
            snprintf(sh, sizeof sh, "-%c, ", o->shortname);
        int n = snprintf(left, sizeof left, "  %s--%s%s%s", sh, o->name,
                         takes_arg(o) ? " " : "", takes_arg(o) ? o->arg : "");
        if (n < 30)
            fprintf(fp, "%-30s", left);
        else
            fprintf(fp, "%s\n%30s", left, "");
        print_wrapped(fp, o->help, 30);
        fputc('\n', fp);
    }
    fprintf(fp, "  -h, --help                  show this help\n");
    if (verb->epilog)
        fprintf(fp, "\n%s", verb->epilog);
}
