/* Tests of reports/report.c: the format table, report_write_all() (every
 * output written, errors collected, a failed output leaves the old file
 * and no temporary behind), and the helpers the writers share. */
#define TEST_NAME "report"
#include "reports/report.h"
#include "reports/json.h"
#include "tests/tools/fixtures.h"
#include "harness/xalloc.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(test_table)
{
    static const char *const WANT[] = {"json", "junit", "html"};
    size_t n;
    const struct report_format *f = report_formats(&n);
    ck_assert_uint_eq(n, 3);
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(f[i].name, WANT[i]);
        ck_assert_ptr_eq(report_format_find(WANT[i]), &f[i]);
        ck_assert_ptr_nonnull(f[i].write);
    }
    ck_assert_ptr_null(report_format_find("tap"));
    ck_assert_ptr_null(report_format_find(""));
}
END_TEST

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    char *p = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&p, &n);
    int c;
    while ((c = fgetc(fp)) != EOF)
        fputc(c, m);
    fclose(fp);
    fclose(m);
    return p;
}

static void put(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    fclose(fp);
}

/* Number of entries in dir whose name contains needle. */
static int count_in_dir(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strstr(e->d_name, needle) != NULL;
    closedir(d);
    return n;
}

static void rm_dir(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_write_all)
{
    char dir[] = "/tmp/smtpsuite-report-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *pj = xasprintf("%s/r.json", dir), *px = xasprintf("%s/r.xml", dir),
         *ph = xasprintf("%s/r.html", dir);
    struct result_run *run = fixture_mixed();
    struct report_output outs[] = {{"json", pj}, {"junit", px}, {"html", ph}};
    struct report_options o = {false, "t"};
    char err[1024] = "";
    ck_assert_msg(report_write_all(run, outs, 3, &o, err, sizeof err) == 0,
                  "%s", err);
    char *j = slurp(pj), *x = slurp(px), *h = slurp(ph);
    ck_assert_ptr_nonnull(strstr(j, "\"schema\": \"smtpsuite-result/1\""));
    ck_assert_ptr_nonnull(strstr(x, "<testsuites"));
    ck_assert_ptr_nonnull(strstr(h, "<!DOCTYPE html>"));
    ck_assert_int_eq(count_in_dir(dir, ".tmp."), 0);
    /* The JSON written through the table reads back. */
    struct result_run *back = report_json_read(pj, err, sizeof err);
    ck_assert_msg(back != NULL, "%s", err);
    ck_assert_uint_eq(back->ncases, run->ncases);
    result_run_free(back);
    free(j), free(x), free(h);
    result_run_free(run);
    free(pj), free(px), free(ph);
    rm_dir(dir);
}
END_TEST

START_TEST(test_bad_outputs_write_nothing)
{
    char dir[] = "/tmp/smtpsuite-report-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *pj = xasprintf("%s/r.json", dir);
    struct result_run *run = fixture_mixed();
    struct report_options o = {false, NULL};
    char err[1024] = "";
    struct report_output unknown[] = {{"json", pj}, {"tap", "x.tap"}};
    ck_assert_int_eq(report_write_all(run, unknown, 2, &o, err, sizeof err),
                     -1);
    ck_assert_msg(strstr(err, "unknown report format 'tap'"), "got '%s'", err);
    struct report_output twice[] = {{"json", pj}, {"html", pj}};
    ck_assert_int_eq(report_write_all(run, twice, 2, &o, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "both write"), "got '%s'", err);
    ck_assert_int_eq(access(pj, F_OK), -1); /* nothing was written */
    result_run_free(run);
    free(pj);
    rm_dir(dir);
}
END_TEST

/* A duplicate case id makes the JUnit writer fail: the old JUnit file
 * stays whole, no temporary is left, the other outputs are written. */
START_TEST(test_failure_keeps_old_file)
{
    char dir[] = "/tmp/smtpsuite-report-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *px = xasprintf("%s/r.xml", dir), *ph = xasprintf("%s/r.html", dir);
    char *pn = xasprintf("%s/no/such/dir/r.json", dir);
    put(px, "old junit\n");
    struct result_run *run = fixture_mixed();
    free(run->cases[1].id);
    run->cases[1].id = xstrdup(run->cases[0].id);
    struct report_output outs[] = {{"junit", px}, {"json", pn}, {"html", ph}};
    struct report_options o = {false, NULL};
    char err[2048] = "";
    ck_assert_int_eq(report_write_all(run, outs, 3, &o, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "junit: internal error: duplicate"), "got '%s'",
                  err);
    ck_assert_msg(strstr(err, "\njson: "), "got [%s]", err);
    char *x = slurp(px), *h = slurp(ph);
    ck_assert_str_eq(x, "old junit\n");
    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_nonnull(strstr(h, "</html>"));
    ck_assert_int_eq(count_in_dir(dir, ".tmp."), 0);
    free(x), free(h);
    result_run_free(run);
    free(px), free(ph), free(pn);
    rm_dir(dir);
}
END_TEST

START_TEST(test_area)
{
    static const struct {
        const char *id, *want;
    } V[] = {
        {"core.rset.clears-envelope", "core"},
        {"tls", "tls"},
        {"", "unnamed"},
        {".x", "unnamed"},
        {NULL, "unnamed"},
        {"a.", "a"},
    };
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        char *got = report_area(V[i].id);
        ck_assert_msg(strcmp(got, V[i].want) == 0, "%s: got '%s' want '%s'",
                      V[i].id ? V[i].id : "NULL", got, V[i].want);
        free(got);
    }
}
END_TEST

START_TEST(test_deciding_step)
{
    struct result_run *run = fixture_one(VERDICT_FAIL, ERRCAT_NONE);
    struct result_case *c = &run->cases[0];
    ck_assert_ptr_eq(report_deciding_step(c), &c->steps[c->decisive]);
    int recorded = c->decisive;
    c->decisive = -1; /* falls back to the last step that did not pass */
    ck_assert_ptr_eq(report_deciding_step(c), &c->steps[recorded]);
    c->decisive = 99;
    ck_assert_ptr_eq(report_deciding_step(c), &c->steps[recorded]);
    for (size_t i = 0; i < c->nsteps; i++)
        c->steps[i].grade = VERDICT_PASS;
    ck_assert_ptr_eq(report_deciding_step(c), &c->steps[c->nsteps - 1]);
    result_case_clear(c);
    ck_assert_ptr_null(report_deciding_step(c));
    result_run_free(run);
}
END_TEST

START_TEST(test_several_targets)
{
    struct result_run *run = fixture_mixed();
    ck_assert(!report_several_targets(run));
    result_run_free(run);
    run = fixture_multi();
    ck_assert(report_several_targets(run));
    result_run_free(run);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_table);
    tcase_add_test(tc, test_write_all);
    tcase_add_test(tc, test_bad_outputs_write_nothing);
    tcase_add_test(tc, test_failure_keeps_old_file);
    tcase_add_test(tc, test_area);
    tcase_add_test(tc, test_deciding_step);
    tcase_add_test(tc, test_several_targets);
}

#include "check_main.h"
