/* Tests of suite/select.c: tag expressions (precedence, globs, errors
 * with columns) against a truth table, and id globs. */
#define TEST_NAME "select"
#include "suite/select.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static char *TAGS_A[] = {"core", "smoke", "cat:SYN-05"};
static char *TAGS_B[] = {"pipelining", "slow", "intrusive"};
static char *TAGS_C[] = {"core", "slow"};

START_TEST(test_tags)
{
    static const struct {
        const char *expr;
        bool a, b, c, none;
    } V[] = {
        {"core", true, false, true, false},
        {"core,pipelining", true, true, true, false},
        {"core or pipelining", true, true, true, false},
        {"core and not slow", true, false, false, false},
        {"not core", false, true, false, true},
        {"not not core", true, false, true, false},
        {"slow and intrusive or smoke", true, true, false, false},
        {"slow and (intrusive or smoke)", false, true, false, false},
        {"smoke or slow and core", true, false, true, false},
        {"cat:SYN-*", true, false, false, false},
        {"cat:*", true, false, false, false},
        {"  ( core )  ", true, false, true, false},
        {"c*", true, false, true, false},
    };
    char err[128];
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        struct select_tags *s = select_tags_parse(V[i].expr, err, sizeof err);
        ck_assert_msg(s != NULL, "'%s': %s", V[i].expr, err);
        ck_assert_msg(select_tags_match(s, TAGS_A, 3) == V[i].a, "'%s' A",
                      V[i].expr);
        ck_assert_msg(select_tags_match(s, TAGS_B, 3) == V[i].b, "'%s' B",
                      V[i].expr);
        ck_assert_msg(select_tags_match(s, TAGS_C, 2) == V[i].c, "'%s' C",
                      V[i].expr);
        ck_assert_msg(select_tags_match(s, NULL, 0) == V[i].none, "'%s' none",
                      V[i].expr);
        select_tags_free(s);
    }
    ck_assert(select_tags_match(NULL, NULL, 0));
}
END_TEST

START_TEST(test_tag_errors)
{
    static const struct {
        const char *expr, *want;
    } V[] = {
        {"", "column 1: a tag is missing"},
        {"core and", "column 9: a tag is missing"},
        {"(core", "column 6: want ')'"},
        {"core smoke", "column 6: want 'and', 'or', ',' or the end"},
        {"and", "column 1: want a tag, 'not' or '('"},
        {"core || x", "column 6: want 'and', 'or', ',' or the end"},
        {"a,,b", "column 3: want a tag, 'not' or '('"},
    };
    char err[128];
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        struct select_tags *s = select_tags_parse(V[i].expr, err, sizeof err);
        ck_assert_msg(s == NULL, "'%s' parsed", V[i].expr);
        ck_assert_msg(strcmp(err, V[i].want) == 0, "'%s': got '%s' want '%s'",
                      V[i].expr, err, V[i].want);
    }
    char deep[300];
    memset(deep, '(', 200);
    strcpy(deep + 200, "a");
    ck_assert_ptr_null(select_tags_parse(deep, err, sizeof err));
    ck_assert_str_eq(err, "column 65: nested too deeply");
}
END_TEST

START_TEST(test_ids)
{
    char *globs[] = {"core.*", "syn.dataargs.rejected"};
    ck_assert(select_id_match(globs, 2, "core.noop.ok"));
    ck_assert(select_id_match(globs, 2, "syn.dataargs.rejected"));
    ck_assert(!select_id_match(globs, 2, "syn.rsetargs.rejected"));
    ck_assert(select_id_match(NULL, 0, "anything"));
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_tags);
    tcase_add_test(tc, test_tag_errors);
    tcase_add_test(tc, test_ids);
}

#include "check_main.h"
