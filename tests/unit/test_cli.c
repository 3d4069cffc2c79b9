/* Tests of suite/cli.c: option forms, errors that name the option, help. */
#define TEST_NAME "cli"
#include "suite/cli.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct opts {
    bool quiet;
    long jobs;
    const char *target;
    struct cli_list vars;
    int64_t timeout;
};

static int dummy_main(int argc, char **argv)
{
    return 0;
}

static const struct cli_opt OPTS[] = {
    CLI_SECTION("general"),
    {"quiet", 'q', CLI_FLAG, offsetof(struct opts, quiet), NULL, "say less", 0, 0, NULL},
    {"jobs", 'j', CLI_INT, offsetof(struct opts, jobs), "N", "sessions at once", 1, 64, NULL},
    {"target", 't', CLI_STR, offsetof(struct opts, target), "ADDR", "where", 0, 0, NULL},
    {"var", 0, CLI_LIST, offsetof(struct opts, vars), "NAME=VALUE", "a variable", 0, 0, NULL},
    {"timeout", 0, CLI_DURATION, offsetof(struct opts, timeout), "D", "per step\nsecond line", 0, 0, NULL},
};

static const struct cli_verb VERB = {
    .name = "demo", .summary = "a demo verb", .usage = "[options] PATH...",
    .opts = OPTS, .nopts = sizeof OPTS / sizeof OPTS[0], .main = dummy_main,
};

/* The argument copy of the last parse: positionals point into it until
 * the next parse, which frees it. */
static char *last_copy;

/* Runs cli_parse on a space-separated argument string, capturing stderr. */
static enum cli_status parse(const char *args, struct opts *o, struct cli_list *pos,
                             char *errout, size_t errlen)
{
    char *copy = strdup(args);
    char *argv[32];
    int argc = 0;
    argv[argc++] = "demo";
    for (char *t = strtok(copy, " "); t; t = strtok(NULL, " "))
        argv[argc++] = t;
    memset(o, 0, sizeof *o);
    fflush(stderr);
    FILE *tmp = tmpfile();
    int saved = dup(2);
    dup2(fileno(tmp), 2);
    enum cli_status st = cli_parse(&VERB, argc, argv, o, pos);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t n = fread(errout, 1, errlen - 1, tmp);
    errout[n] = '\0';
    fclose(tmp);
    /* Positionals point into copy: keep it for the caller's checks. */
    free(last_copy);
    last_copy = copy;
    return st;
}

START_TEST(test_forms)
{
    struct opts o;
    struct cli_list pos = {0};
    char err[512];
    ck_assert_int_eq(parse("-q -j 4 --target=a:25 --var x=1 --var y=2 "
                           "--timeout 2s p1 -- -p2",
                           &o, &pos, err, sizeof err),
                     CLI_OK);
    ck_assert(o.quiet);
    ck_assert_int_eq(o.jobs, 4);
    ck_assert_str_eq(o.target, "a:25");
    ck_assert_int_eq(o.vars.n, 2);
    ck_assert_str_eq(o.vars.v[1], "y=2");
    ck_assert_int_eq(o.timeout, 2000000);
    ck_assert_int_eq(pos.n, 2);
    ck_assert_str_eq(pos.v[0], "p1");
    ck_assert_str_eq(pos.v[1], "-p2");
    cli_list_free(&pos);
    cli_list_free(&o.vars);
    ck_assert_int_eq(parse("-qj8 -tfoo", &o, &pos, err, sizeof err), CLI_OK);
    ck_assert(o.quiet);
    ck_assert_int_eq(o.jobs, 8);
    ck_assert_str_eq(o.target, "foo");
    cli_list_free(&pos);
}
END_TEST

START_TEST(test_errors)
{
    static const struct {
        const char *args;
        const char *want;
    } BAD[] = {
        {"--bogus", "smtpsuite demo: unknown option '--bogus'"},
        {"-x", "unknown option '-x'"},
        {"--jobs", "--jobs needs a value (N)"},
        {"--jobs abc", "--jobs: 'abc' is not a whole number from 1 to 64"},
        {"--jobs 0", "--jobs: '0' is not a whole number"},
        {"--jobs 65", "from 1 to 64"},
        {"--quiet=yes", "--quiet takes no value"},
        {"--timeout 5", "--timeout: '5' has no unit"},
        {"-j", "-j needs a value"},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        struct opts o;
        struct cli_list pos = {0};
        char err[512];
        ck_assert_int_eq(parse(BAD[i].args, &o, &pos, err, sizeof err), CLI_ERROR);
        ck_assert_msg(strstr(err, BAD[i].want), "'%s': got '%s' want '%s'",
                      BAD[i].args, err, BAD[i].want);
        ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1,
                      "'%s': error is not one line: '%s'", BAD[i].args, err);
        cli_list_free(&pos);
        cli_list_free(&o.vars);
    }
}
END_TEST

START_TEST(test_help)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    cli_help(&VERB, fp);
    fclose(fp);
    ck_assert_ptr_nonnull(strstr(text, "usage: smtpsuite demo [options] PATH..."));
    ck_assert_ptr_nonnull(strstr(text, "  -j, --jobs N"));
    ck_assert_ptr_nonnull(strstr(text, "      --var NAME=VALUE"));
    ck_assert_ptr_nonnull(strstr(text, "general:"));
    ck_assert_ptr_nonnull(strstr(text, "\n                              second line"));
    free(text);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_forms);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_help);
}

#include "check_main.h"
