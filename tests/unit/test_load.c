/* Tests of suite/load.c on a case tree written to a temporary folder:
 * folders walked in path order, a file named twice loaded once, suites
 * by path and by name, id entries from the library, globs, duplicate
 * ids naming both files, every error of every file, selection, targets,
 * --var and --secret; the search path for the cases folder (--cases-dir,
 * $SMTPSUITE_CASES_DIR, ./cases, the installed library). Then the shipped
 * library: every case, suite and
 * target parses, and the library's conventions hold. */
#define TEST_NAME "load"
#include "suite/load.h"
#include "harness/xalloc.h"

#include <check.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char TMP[256];

static void put(const char *rel, const char *text)
{
    char *path = xasprintf("%s/%s", TMP, rel);
    for (char *p = path + strlen(TMP) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0700);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    free(path);
}

static char *case_text(const char *id, const char *tags)
{
    return xasprintf("id: %s\ntitle: t\nrfc: r\nseverity: must\ntags: %s\n"
                     "open\nC: NOOP\n! S: 250\n",
                     id, tags);
}

static void setup(void)
{
    strcpy(TMP, "/tmp/smtpsuite-load-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(TMP));
    static const struct {
        const char *path, *id, *tags;
    } C[] = {
        {"cases/core/b-two.smtp", "core.b.two", "core slow"},
        {"cases/core/a-one.smtp", "core.a.one", "core smoke"},
        {"cases/syn/c-three.smtp", "syn.c.three", "syntax cat:SYN-05"},
        {"cases/core-x/d-four.smtp", "corex.d.four", "other"},
    };
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
        char *t = case_text(C[i].id, C[i].tags);
        put(C[i].path, t);
        free(t);
    }
    put("cases/core/.hidden.smtp", "not a case");
    put("cases/core/notes.txt", "not a case");
    put("cases/inc/frag.inc", "C: NOOP\nS: 250\n");
    put("cases/syn/e-inc.smtp",
        "id: syn.e.inc\ntitle: t\nrfc: r\n"
        "severity: may\nopen\ninclude \"../inc/frag.inc\"\n");
    put("cases/suites/s1.suite", "../core/\ninclude s2.suite\n");
    put("cases/suites/s2.suite", "../syn/c-three.smtp\n");
    put("cases/suites/ids.suite", "core.*\n");
    put("cases/suites/glob.suite", "../core/?-*.smtp\n");
    put("cases/suites/nomatch.suite", "nothing.*\n../none/*.smtp\n");
    put("dup/x.smtp", "# dup\nid:   core.a.one\ntitle: t\nrfc: r\n"
                      "severity: must\nopen\nC: NOOP\nS: 250\n");
    put("bad/p.smtp", "id: Bad\ntitle: t\nrfc: r\nseverity: must\nopen\n"
                      "sned\n");
    put("bad/q.smtp", "id: bad.q.x\ntitle: t\nrfc: r\nseverity: must\nopen\n"
                      "C: ${x}\n");
}

static void teardown(void)
{
    char *cmd = xasprintf("rm -rf '%s'", TMP);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
}

struct run {
    struct load_result res;
    int rc;
    char *msgs;
};

/* Loads the paths (relative to TMP unless they are bare names). */
static void load(struct run *r, const char *paths, const char *ids,
                 const char *tags)
{
    char *pv[16], *iv[4];
    size_t np = 0, ni = 0;
    char *copy = xstrdup(paths);
    for (char *t = strtok(copy, " "); t; t = strtok(NULL, " "))
        pv[np++] = strchr(t, '/') || !strcmp(t, "cases")
                       ? xasprintf("%s/%s", TMP, t)
                       : xstrdup(t);
    char *icopy = ids ? xstrdup(ids) : NULL;
    for (char *t = icopy ? strtok(icopy, " ") : NULL; t; t = strtok(NULL, " "))
        iv[ni++] = t;
    char *cases_dir = xasprintf("%s/cases", TMP);
    struct load_params p = {pv, np, iv, ni, tags, cases_dir};
    size_t n;
    FILE *fp = open_memstream(&r->msgs, &n);
    r->rc = load_cases(&p, &r->res, fp);
    fclose(fp);
    for (size_t i = 0; i < np; i++)
        free(pv[i]);
    free(copy);
    free(icopy);
    free(cases_dir);
}

static void unload(struct run *r)
{
    load_result_free(&r->res);
    free(r->msgs);
}

/* The selected ids, space-separated. */
static char *ids(const struct load_result *res)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    for (size_t i = 0; i < res->ncases; i++)
        buf_addf(&b, "%s%s", i ? " " : "", res->cases[i]->id);
    return buf_detach(&b);
}

static void expect_ids(const char *paths, const char *idglobs, const char *tags,
                       const char *want, size_t nparsed)
{
    struct run r = {0};
    load(&r, paths, idglobs, tags);
    ck_assert_msg(r.rc == 0, "%s: %s", paths, r.msgs);
    char *got = ids(&r.res);
    ck_assert_msg(strcmp(got, want) == 0, "%s: got '%s' want '%s'", paths, got,
                  want);
    ck_assert_msg(r.res.nparsed == nparsed, "%s: parsed %zu", paths,
                  r.res.nparsed);
    free(got);
    unload(&r);
}

START_TEST(test_paths)
{
    expect_ids("cases/core", NULL, NULL, "core.a.one core.b.two", 2);
    /* sorted by whole path: core-x/ before core/ ('-' < '/') */
    expect_ids("cases", NULL, NULL,
               "corex.d.four core.a.one core.b.two syn.c.three syn.e.inc", 5);
    /* named twice, loaded once */
    expect_ids("cases/core/a-one.smtp cases/core cases/core/a-one.smtp", NULL,
               NULL, "core.a.one core.b.two", 2);
    expect_ids("cases/suites/s1.suite", NULL, NULL,
               "core.a.one core.b.two syn.c.three", 3);
    expect_ids("s1", NULL, NULL, "core.a.one core.b.two syn.c.three", 3);
    expect_ids("ids", NULL, NULL, "core.a.one core.b.two", 2);
    expect_ids("glob", NULL, NULL, "core.a.one core.b.two", 2);
}
END_TEST

START_TEST(test_selection)
{
    expect_ids("cases", "core.*", NULL, "core.a.one core.b.two", 5);
    expect_ids("cases", "core.b.* syn.c.*", NULL, "core.b.two syn.c.three", 5);
    expect_ids("cases", NULL, "core and not slow", "core.a.one", 5);
    expect_ids("cases", NULL, "cat:SYN-*, other", "corex.d.four syn.c.three",
               5);
    expect_ids("cases", "nothing.*", NULL, "", 5);
}
END_TEST

START_TEST(test_nfiles)
{
    struct run r = {0};
    load(&r, "s1 cases/syn/e-inc.smtp", NULL, NULL);
    ck_assert_msg(r.rc == 0, "%s", r.msgs);
    /* 4 cases, 1 include, 2 manifests */
    ck_assert_uint_eq(r.res.nfiles, 7);
    unload(&r);
}
END_TEST

START_TEST(test_duplicate_ids)
{
    struct run r = {0};
    load(&r, "cases/core dup/", NULL, NULL);
    ck_assert_int_eq(r.rc, -1);
    ck_assert_uint_eq(r.res.ncases, 0);
    char *want = xasprintf("%s/dup/x.smtp:2:7: duplicate id 'core.a.one' "
                           "(first in %s/cases/core/a-one.smtp:1)\n"
                           "    2 | id:   core.a.one\n"
                           "      |       ^\n",
                           TMP, TMP);
    ck_assert_msg(strcmp(r.msgs, want) == 0, "got:\n%s\nwant:\n%s", r.msgs,
                  want);
    free(want);
    unload(&r);
}
END_TEST

/* Every error of every file, then -1. */
START_TEST(test_all_errors)
{
    struct run r = {0};
    load(&r, "bad/ cases/core nosuchname nope/x.smtp", NULL, "a and");
    ck_assert_int_eq(r.rc, -1);
    char *w[] = {
        xasprintf("--tags 'a and': column 6: a tag is missing"),
        xasprintf("%s/bad/p.smtp:1:5: an id is", TMP),
        xasprintf("%s/bad/p.smtp:6:1: unknown statement 'sned'", TMP),
        xasprintf("%s/bad/q.smtp:6:6: variable 'x' is not declared", TMP),
        xasprintf("nosuchname: no such file or folder, and no suite "
                  "%s/cases/suites/nosuchname.suite",
                  TMP),
        xasprintf("%s/nope/x.smtp: No such file or directory", TMP),
    };
    const char *p = r.msgs;
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        const char *q = strstr(p, w[i]);
        ck_assert_msg(q != NULL, "missing '%s' after:\n%s", w[i], p);
        p = q + 1;
        free(w[i]);
    }
    ck_assert_uint_eq(r.res.nerrors, 6);
    unload(&r);
    load(&r, "nomatch", NULL, NULL);
    ck_assert_int_eq(r.rc, -1);
    ck_assert_msg(strstr(r.msgs, "nomatch.suite:1:1: no case in ") &&
                      strstr(r.msgs, "matches the id 'nothing.*'") &&
                      strstr(r.msgs, "nomatch.suite:2:1: '"),
                  "%s", r.msgs);
    unload(&r);
}
END_TEST

START_TEST(test_targets_and_vars)
{
    put("t/a.target", "address: 127.0.0.1:2525\nfixture rcpt = a@b\n");
    put("t/pw", "pw-from-file\n");
    char *path = xasprintf("%s/t/a.target", TMP);
    char *errs = NULL;
    size_t n;
    FILE *fp = open_memstream(&errs, &n);
    struct target *t = load_target_file(path, fp);
    fclose(fp);
    ck_assert_msg(t != NULL, "%s", errs);
    char err[256];
    ck_assert_int_eq(load_apply_var(t, "rcpt=x@y", err, sizeof err), 0);
    ck_assert_str_eq(target_fixture(t, "rcpt")->value, "x@y");
    ck_assert_int_eq(load_apply_var(t, "pass=p", err, sizeof err), 0);
    ck_assert(target_fixture(t, "pass")->secret);
    ck_assert_int_eq(load_apply_var(t, "1x=y", err, sizeof err), -1);
    ck_assert_str_eq(err, "'1x': want NAME=VALUE with a variable name");
    ck_assert_int_eq(load_apply_var(t, "novalue", err, sizeof err), -1);
    setenv("SMTPSUITE_TEST_PW", "pw-from-env", 1);
    ck_assert_int_eq(
        load_apply_secret(t, "pass=env:SMTPSUITE_TEST_PW", err, sizeof err), 0);
    ck_assert_str_eq(target_fixture(t, "pass")->value, "pw-from-env");
    char *arg = xasprintf("token=file:%s/t/pw", TMP);
    ck_assert_int_eq(load_apply_secret(t, arg, err, sizeof err), 0);
    ck_assert_str_eq(target_fixture(t, "token")->value, "pw-from-file");
    free(arg);
    ck_assert_int_eq(load_apply_secret(t, "pass=hunter2", err, sizeof err), -1);
    ck_assert_str_eq(err, "--secret pass: want env:VAR or file:PATH (a secret "
                          "never sits on the command line)");
    unsetenv("SMTPSUITE_TEST_NONE");
    ck_assert_int_eq(
        load_apply_secret(t, "pass=env:SMTPSUITE_TEST_NONE", err, sizeof err),
        -1);
    ck_assert_str_eq(err, "--secret pass: the environment variable "
                          "SMTPSUITE_TEST_NONE is not set");
    target_free(t);
    free(errs);
    fp = open_memstream(&errs, &n);
    ck_assert_ptr_null(load_target_file("/nonexistent.target", fp));
    fclose(fp);
    ck_assert_str_eq(errs, "/nonexistent.target: cannot read: No such file or "
                           "directory\n");
    free(errs);
    free(path);
}
END_TEST

/* ---- the search path for the cases folder -------------------------- */

/* Each row runs in a folder with or without ./cases (TMP has one, TMP/dup
 * has none), with or without the option and the environment variable. */
START_TEST(test_search_path)
{
    static const struct {
        const char *opt, *env, *cwd, *want;
    } T[] = {
        {"/opt/c", "/env/c", "", "/opt/c"},
        {"/opt/c", NULL, "dup", "/opt/c"},
        {NULL, "/env/c", "", "/env/c"},
        {"", "/env/c", "dup", "/env/c"}, /* an empty option is no option */
        {NULL, NULL, "", "cases"},
        {NULL, "", "", "cases"}, /* nor is an empty variable */
        {NULL, NULL, "dup", SMTPSUITE_CASES_INSTALL_DIR},
        {NULL, "", "dup", SMTPSUITE_CASES_INSTALL_DIR},
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        char *dir = xasprintf("%s/%s", TMP, T[i].cwd);
        ck_assert_int_eq(chdir(dir), 0);
        if (T[i].env)
            setenv("SMTPSUITE_CASES_DIR", T[i].env, 1);
        else
            unsetenv("SMTPSUITE_CASES_DIR");
        const char *got = load_cases_dir(T[i].opt);
        ck_assert_msg(strcmp(got, T[i].want) == 0,
                      "row %zu: got '%s' want '%s'", i, got, T[i].want);
        free(dir);
    }
    /* the installed library: an absolute path under the install prefix */
    const char *inst = SMTPSUITE_CASES_INSTALL_DIR,
               *tail = "/share/smtpsuite/cases";
    ck_assert_msg(inst[0] == '/' && strlen(inst) > strlen(tail) &&
                      strcmp(inst + strlen(inst) - strlen(tail), tail) == 0,
                  "got '%s' want /PREFIX%s", inst, tail);
}
END_TEST

/* A suite name through load_cases: found by each step of the path. */
static void expect_suite(const char *cwd, const char *env, const char *want_ids,
                         const char *want_msg)
{
    char *dir = xasprintf("%s/%s", TMP, cwd);
    ck_assert_int_eq(chdir(dir), 0);
    if (env)
        setenv("SMTPSUITE_CASES_DIR", env, 1);
    else
        unsetenv("SMTPSUITE_CASES_DIR");
    char *names[] = {"s2"};
    struct load_params p = {names, 1, NULL, 0, NULL, NULL};
    struct load_result res;
    char *msgs = NULL;
    size_t n;
    FILE *fp = open_memstream(&msgs, &n);
    int rc = load_cases(&p, &res, fp);
    fclose(fp);
    char *got = ids(&res);
    ck_assert_msg(strcmp(got, want_ids) == 0 && strstr(msgs, want_msg),
                  "in %s: got ids '%s' and '%s', want ids '%s' and '%s'", cwd,
                  got, msgs, want_ids, want_msg);
    ck_assert_int_eq(rc, *want_ids ? 0 : -1);
    free(got);
    free(msgs);
    free(dir);
    load_result_free(&res);
}

START_TEST(test_search_path_load)
{
    char *env = xasprintf("%s/cases", TMP);
    expect_suite("", NULL, "syn.c.three", "");   /* ./cases */
    expect_suite("dup", env, "syn.c.three", ""); /* $SMTPSUITE_CASES_DIR */
    expect_suite(
        "dup", NULL, "", /* the installed library */
        "s2: no such file or folder, and no suite " SMTPSUITE_CASES_INSTALL_DIR
        "/suites/s2.suite\n");
    free(env);
}
END_TEST

/* ---- the shipped library ------------------------------------------- */

static const char *source_dir(void)
{
    const char *s = getenv("SMTPSUITE_SOURCE_DIR");
    return s ? s : ".";
}

/* cases/AREA/TOPIC-BEHAVIOUR.smtp holds id AREA.TOPIC.BEHAVIOUR. */
static bool id_matches_path(const char *id, const char *path)
{
    const char *d1 = strchr(id, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d2 || strchr(d2 + 1, '.'))
        return false;
    char *want = xasprintf("/cases/%.*s/%.*s-%s.smtp", (int)(d1 - id), id,
                           (int)(d2 - d1 - 1), d1 + 1, d2 + 1);
    size_t n = strlen(path), k = strlen(want);
    bool ok = n >= k && strcmp(path + n - k, want) == 0;
    free(want);
    return ok;
}

START_TEST(test_library)
{
    char *cases = xasprintf("%s/cases", source_dir());
    char *paths[] = {cases};
    struct load_params p = {paths, 1, NULL, 0, NULL, cases};
    struct load_result res;
    ck_assert_int_eq(load_cases(&p, &res, stderr), 0);
    ck_assert_uint_ge(res.ncases, 40);
    for (size_t i = 0; i < res.ncases; i++) {
        const struct prog_case *c = res.cases[i];
        ck_assert_msg(id_matches_path(c->id, c->file),
                      "%s: id %s does not follow cases/AREA/TOPIC-BEHAVIOUR"
                      ".smtp",
                      c->file, c->id);
        ck_assert_msg(c->severity == PROG_SEV_MAY || c->key_step >= 0,
                      "%s: no key assertion", c->file);
        /* load scenarios (cases/load/) are not checks of the catalogue */
        bool cat = strncmp(c->id, "load.", 5) == 0;
        for (size_t k = 0; k < c->ntags; k++)
            cat |= fnmatch("cat:[A-Z0-9]*-[0-9][0-9]", c->tags[k], 0) == 0;
        ck_assert_msg(cat, "%s: no cat:ID tag", c->file);
    }
    load_result_free(&res);
    /* the smoke suite, by name */
    char *names[] = {"smoke"};
    struct load_params s = {names, 1, NULL, 0, "smoke", cases};
    ck_assert_int_eq(load_cases(&s, &res, stderr), 0);
    ck_assert_uint_ge(res.ncases, 10); /* the case library: at most 15 */
    ck_assert_uint_le(res.ncases, 15);
    load_result_free(&res);
    /* every shipped target */
    size_t n;
    char **targets = load_find(cases, ".target", &n, stderr);
    ck_assert_uint_ge(n, 4);
    for (size_t i = 0; i < n; i++) {
        struct target *t = load_target_file(targets[i], stderr);
        ck_assert_msg(t != NULL, "%s", targets[i]);
        target_free(t);
        free(targets[i]);
    }
    free(targets);
    free(cases);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_paths);
    tcase_add_test(tc, test_selection);
    tcase_add_test(tc, test_nfiles);
    tcase_add_test(tc, test_duplicate_ids);
    tcase_add_test(tc, test_all_errors);
    tcase_add_test(tc, test_targets_and_vars);
    tcase_add_test(tc, test_search_path);
    tcase_add_test(tc, test_search_path_load);
    tcase_add_test(tc, test_library);
}

#include "check_main.h"
