/* Tests of reports/diff.c: the classes of compare and the matching of
 * cases by id (and target when several targets were audited). */
#define TEST_NAME "diff"
#include "reports/diff.h"
#include "harness/xalloc.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_case(struct result_run *r, const char *target, const char *id,
                     enum verdict v, const char *hash)
{
    struct result_case *c = result_case_add(r);
    c->id = xstrdup(id);
    c->target = xstrdup(target);
    c->verdict = v;
    c->hash = xstrdup(hash);
}

static void add_target(struct result_run *r, const char *name)
{
    result_target_add(r)->name = xstrdup(name);
}

START_TEST(test_classes)
{
    struct result_run *a = result_run_new("run"), *b = result_run_new("run");
    add_target(a, "old");
    add_target(b, "new"); /* one target each: names need not match */
    add_case(a, "old", "x.pass-to-fail", VERDICT_PASS, "h1");
    add_case(b, "new", "x.pass-to-fail", VERDICT_FAIL, "h1");
    add_case(a, "old", "x.fail-to-pass", VERDICT_FAIL, "h1");
    add_case(b, "new", "x.fail-to-pass", VERDICT_PASS, "h1");
    add_case(a, "old", "x.still", VERDICT_FAIL, "h1");
    add_case(b, "new", "x.still", VERDICT_FAIL, "h2");
    add_case(a, "old", "x.to-error", VERDICT_PASS, "h1");
    add_case(b, "new", "x.to-error", VERDICT_ERROR, "h1");
    add_case(a, "old", "x.to-warn", VERDICT_PASS, "h1");
    add_case(b, "new", "x.to-warn", VERDICT_WARN, "h1");
    add_case(a, "old", "x.same", VERDICT_PASS, "h1");
    add_case(b, "new", "x.same", VERDICT_PASS, "h1");
    add_case(a, "old", "x.gone", VERDICT_PASS, "h1");
    add_case(b, "new", "x.added", VERDICT_PASS, "h1");
    add_case(b, "new", "x.added-failing", VERDICT_FAIL, "h1");
    struct diff d;
    diff_runs(a, b, false, &d);
    ck_assert_uint_eq(d.count[DIFF_NEW_FAIL], 2);
    ck_assert_uint_eq(d.count[DIFF_NEW_PASS], 1);
    ck_assert_uint_eq(d.count[DIFF_STILL_FAIL], 1);
    ck_assert_uint_eq(d.count[DIFF_NEW_ERROR], 1);
    ck_assert_uint_eq(d.count[DIFF_CHANGED], 1);
    ck_assert_uint_eq(d.count[DIFF_SAME], 1);
    ck_assert_uint_eq(d.count[DIFF_ONLY_A], 1);
    ck_assert_uint_eq(d.count[DIFF_ONLY_B], 1);
    ck_assert_uint_eq(d.count[DIFF_HASH], 1);
    diff_free(&d);
    /* Under --strict a new WARN fails too. */
    diff_runs(a, b, true, &d);
    ck_assert_uint_eq(d.count[DIFF_NEW_FAIL], 3);
    diff_free(&d);
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    diff_runs(a, b, false, &d);
    diff_print(&d, fp, false);
    fclose(fp);
    ck_assert_ptr_nonnull(strstr(text, "newly failing (2):\n  x.pass-to-fail  PASS -> FAIL"));
    ck_assert_ptr_nonnull(strstr(text, "x.still  FAIL -> FAIL  (case file changed)"));
    free(text);
    diff_free(&d);
    result_run_free(a);
    result_run_free(b);
}
END_TEST

START_TEST(test_targets_and_matrix)
{
    struct result_run *a = result_run_new("run");
    add_target(a, "postfix");
    add_target(a, "aiosmtpd");
    add_case(a, "postfix", "core.help", VERDICT_WARN, "h");
    add_case(a, "aiosmtpd", "core.help", VERDICT_PASS, "h");
    add_case(a, "postfix", "core.vrfy", VERDICT_PASS, "h");
    struct result_run *b = result_run_new("run");
    add_target(b, "postfix");
    add_target(b, "aiosmtpd");
    add_case(b, "postfix", "core.help", VERDICT_WARN, "h");
    add_case(b, "aiosmtpd", "core.help", VERDICT_FAIL, "h");
    add_case(b, "postfix", "core.vrfy", VERDICT_PASS, "h");
    struct diff d;
    diff_runs(a, b, false, &d);
    ck_assert(d.by_target);
    ck_assert_uint_eq(d.count[DIFF_NEW_FAIL], 1);
    ck_assert_str_eq(d.e[1].b->target, "aiosmtpd");
    diff_free(&d);
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    const struct result_run *runs[] = {b};
    diff_matrix_print(runs, 1, fp, false);
    fclose(fp);
    ck_assert_str_eq(text, "case       postfix  aiosmtpd\n"
                           "core.help  WARN     FAIL    \n"
                           "core.vrfy  PASS     -       \n");
    free(text);
    result_run_free(a);
    result_run_free(b);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_classes);
    tcase_add_test(tc, test_targets_and_matrix);
}

#include "check_main.h"
