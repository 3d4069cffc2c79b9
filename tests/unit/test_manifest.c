/* Tests of suite/manifest.c: entry kinds, paths joined with the
 * manifest's folder, includes (relative, cycles, depth), quoting and
 * errors. */
#define TEST_NAME "manifest"
#include "suite/manifest.h"
#include "harness/xalloc.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int mem_read(void *arg, const char *path, char **buf, size_t *len,
                    char *err, size_t errlen)
{
    static const struct {
        const char *path, *text;
    } F[] = {
        {"s/sub/inner.suite", "# inner\n../../x/y.smtp\n"},
        {"s/a.suite", "include b.suite\n"},
        {"s/b.suite", "include ./a.suite\n"},
    };
    for (size_t i = 0; i < sizeof F / sizeof F[0]; i++)
        if (strcmp(F[i].path, path) == 0) {
            *buf = xstrdup(F[i].text);
            *len = strlen(*buf);
            return 0;
        }
    int n;
    if (sscanf(path, "s/d%d.suite", &n) == 1) {
        *buf = xasprintf("d%d.suite\n", n + 1);
        *len = strlen(*buf);
        return 0;
    }
    snprintf(err, errlen, "No such file or directory");
    return -1;
}

static int parse(const char *src, struct manifest *m, char **msgs)
{
    size_t n;
    FILE *fp = open_memstream(msgs, &n);
    struct diag d;
    diag_init(&d, fp);
    memset(m, 0, sizeof *m);
    int rc =
        manifest_parse("s/top.suite", src, strlen(src), mem_read, NULL, m, &d);
    fclose(fp);
    return rc;
}

START_TEST(test_entries)
{
    const char *src = "# comment\n\n  ../core/a.smtp   # trailing\n../syn/\n"
                      "../smug/*.smtp\ncore.rset.*\nlocal.smtp\n"
                      "\"../with space/x.smtp\"\ninclude sub/inner.suite\n"
                      "core.noop.ok\n";
    static const struct {
        enum manifest_kind kind;
        const char *value;
        int line;
    } W[] = {
        {MANIFEST_PATH, "core/a.smtp", 3},
        {MANIFEST_PATH, "syn", 4},
        {MANIFEST_GLOB, "smug/*.smtp", 5},
        {MANIFEST_ID, "core.rset.*", 6},
        {MANIFEST_PATH, "s/local.smtp", 7},
        {MANIFEST_PATH, "with space/x.smtp", 8},
        {MANIFEST_PATH, "x/y.smtp", 2},
        {MANIFEST_ID, "core.noop.ok", 10},
    };
    struct manifest m;
    char *msgs = NULL;
    ck_assert_msg(parse(src, &m, &msgs) == 0, "%s", msgs);
    ck_assert_uint_eq(m.n, 8);
    for (size_t i = 0; i < 8; i++) {
        ck_assert_int_eq(m.v[i].kind, W[i].kind);
        ck_assert_msg(strcmp(m.v[i].value, W[i].value) == 0,
                      "entry %zu: got %s want %s", i, m.v[i].value, W[i].value);
        ck_assert_int_eq(m.v[i].line, W[i].line);
    }
    ck_assert_str_eq(m.v[6].file, "s/sub/inner.suite");
    ck_assert_uint_eq(m.nfiles, 2);
    manifest_free(&m);
    free(msgs);
}
END_TEST

static const struct {
    const char *src, *want;
} INVALID[] = {
    {"a b\n", "s/top.suite:1:3: one entry per line (quote a path with "
              "spaces)"},
    {"include a.suite\n",
     "s/b.suite:1:9: suite include cycle: s/top.suite -> s/a.suite -> "
     "s/b.suite -> s/a.suite"},
    {"d1.suite\n", "s/d16.suite:1:1: suites nested deeper than 16: "
                   "s/top.suite -> s/d1.suite -> s/d2.suite -> s/d3.suite -> "
                   "s/d4.suite -> s/d5.suite -> s/d6.suite -> s/d7.suite -> "
                   "s/d8.suite -> s/d9.suite -> s/d10.suite -> s/d11.suite -> "
                   "s/d12.suite -> s/d13.suite -> s/d14.suite -> s/d15.suite "
                   "-> s/d16.suite -> s/d17.suite"},
    {"include top.suite\n", "s/top.suite:1:9: suite include cycle: "
                            "s/top.suite -> s/top.suite"},
    {"include nope.suite\n", "s/top.suite:1:9: cannot include "
                             "'s/nope.suite': No such file or directory"},
    {"\"abc\n", "s/top.suite:1:1: unterminated string (want a closing '\"')"},
    {"\"\"\n", "s/top.suite:1:1: an empty entry"},
    {"x\x01\n", "s/top.suite:1:2: a control character"},
};

START_TEST(test_invalid)
{
    struct manifest m;
    char *msgs = NULL;
    ck_assert_int_eq(parse(INVALID[_i].src, &m, &msgs), -1);
    size_t n = strcspn(msgs, "\n");
    ck_assert_msg(strlen(INVALID[_i].want) == n &&
                      strncmp(msgs, INVALID[_i].want, n) == 0,
                  "vec %d:\ngot:  %.*s\nwant: %s", _i, (int)n, msgs,
                  INVALID[_i].want);
    manifest_free(&m);
    free(msgs);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_entries);
    tcase_add_loop_test(tc, test_invalid, 0,
                        sizeof INVALID / sizeof INVALID[0]);
}

#include "check_main.h"
