/* Tests of suite/shard.c: the launcher table (environments -> shard, or
 * the refusal with its message), --shard's syntax, the {shard} template,
 * --run-id's syntax and the derived run id. The environments are
 * tables here; the process's own is never touched. */
#define TEST_NAME "shard"
#include "suite/shard.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXVARS 8

/* An environment: "NAME=VALUE" strings. */
struct env {
    const char *vars[MAXVARS];
};

static const char *lookup(void *arg, const char *name)
{
    const struct env *e = arg;
    size_t n = strlen(name);
    for (size_t i = 0; i < MAXVARS && e->vars[i]; i++)
        if (strncmp(e->vars[i], name, n) == 0 && e->vars[i][n] == '=')
            return e->vars[i] + n + 1;
    return NULL;
}

/* The launcher table: want "I/N SOURCE" or the exact message. */
START_TEST(test_launchers)
{
    static const struct {
        const char *opt;
        struct env env;
        const char *want;
    } ROWS[] = {
        /* no --shard, no launcher: the whole run */
        {NULL, {{NULL}}, "0/1 "},
        {NULL, {{"HOME=/root", "SMTPSUITE_SHARDS=4"}}, "0/1 "},
        /* --shard I/N: the environment is not read */
        {"2/4",
         {{"OMPI_COMM_WORLD_RANK=1", "OMPI_COMM_WORLD_SIZE=8"}},
         "2/4 --shard"},
        {"0/1", {{NULL}}, "0/1 --shard"},
        /* each launcher alone */
        {NULL,
         {{"OMPI_COMM_WORLD_RANK=3", "OMPI_COMM_WORLD_SIZE=4"}},
         "3/4 Open MPI"},
        {"auto/4",
         {{"OMPI_COMM_WORLD_RANK=3", "OMPI_COMM_WORLD_SIZE=4"}},
         "3/4 Open MPI"},
        {"auto", {{"SLURM_PROCID=1", "SLURM_NTASKS=2"}}, "1/2 Slurm"},
        {NULL, {{"SLURM_PROCID=0", "SLURM_NTASKS=1"}}, "0/1 Slurm"},
        {"auto/8", {{"JOB_COMPLETION_INDEX=7"}}, "7/8 Kubernetes"},
        {NULL,
         {{"JOB_COMPLETION_INDEX=0", "SMTPSUITE_SHARDS=3"}},
         "0/3 Kubernetes"},
        /* auto/N wins over SMTPSUITE_SHARDS for Kubernetes */
        {"auto/5",
         {{"JOB_COMPLETION_INDEX=4", "SMTPSUITE_SHARDS=3"}},
         "4/5 Kubernetes"},
        /* two launchers that agree */
        {NULL,
         {{"OMPI_COMM_WORLD_RANK=1", "OMPI_COMM_WORLD_SIZE=2", "SLURM_PROCID=1",
           "SLURM_NTASKS=2"}},
         "1/2 Open MPI"},
        {"auto/2",
         {{"SLURM_PROCID=1", "SLURM_NTASKS=2", "JOB_COMPLETION_INDEX=1"}},
         "1/2 Slurm"},
        /* all three agree: Open MPI is believed first, then Slurm */
        {"auto/2",
         {{"JOB_COMPLETION_INDEX=1", "SLURM_PROCID=1", "SLURM_NTASKS=2",
           "OMPI_COMM_WORLD_RANK=1", "OMPI_COMM_WORLD_SIZE=2"}},
         "1/2 Open MPI"},
        {NULL,
         {{"JOB_COMPLETION_INDEX=0", "SMTPSUITE_SHARDS=2", "SLURM_PROCID=0",
           "SLURM_NTASKS=2"}},
         "0/2 Slurm"},
        /* two that disagree */
        {"auto/3",
         {{"OMPI_COMM_WORLD_RANK=2", "OMPI_COMM_WORLD_SIZE=3",
           "JOB_COMPLETION_INDEX=0"}},
         "Open MPI says shard 2 of 3 but Kubernetes says shard 0 of 3: run "
         "under one launcher, or unset the other's variables (e.g. env -u "
         "JOB_COMPLETION_INDEX)"},
        {NULL,
         {{"OMPI_COMM_WORLD_RANK=1", "OMPI_COMM_WORLD_SIZE=4", "SLURM_PROCID=0",
           "SLURM_NTASKS=4"}},
         "Open MPI says shard 1 of 4 but Slurm says shard 0 of 4: run under "
         "one launcher, or unset the other's variables (e.g. env -u "
         "SLURM_PROCID)"},
        {NULL,
         {{"SLURM_PROCID=2", "SLURM_NTASKS=4", "JOB_COMPLETION_INDEX=2",
           "SMTPSUITE_SHARDS=3"}},
         "Slurm says shard 2 of 4 but Kubernetes says shard 2 of 3: run "
         "under one launcher, or unset the other's variables (e.g. env -u "
         "JOB_COMPLETION_INDEX)"},
        /* a launcher that disagrees with auto/N */
        {"auto/4",
         {{"OMPI_COMM_WORLD_RANK=0", "OMPI_COMM_WORLD_SIZE=3"}},
         "--shard auto/4 but Open MPI says 3 shards (shard 0 of 3)"},
        /* incomplete or malformed environments */
        {NULL,
         {{"JOB_COMPLETION_INDEX=2"}},
         "JOB_COMPLETION_INDEX=2 is set but not the number of shards: give "
         "--shard auto/N or SMTPSUITE_SHARDS=N"},
        {NULL,
         {{"OMPI_COMM_WORLD_RANK=2"}},
         "OMPI_COMM_WORLD_RANK=2 is set but not the number of shards: is the "
         "launcher's environment complete?"},
        {NULL,
         {{"SLURM_PROCID=x1", "SLURM_NTASKS=4"}},
         "SLURM_PROCID=x1 is not a shard number (0 to 99999)"},
        {NULL,
         {{"SLURM_PROCID=1", "SLURM_NTASKS=0"}},
         "SLURM_NTASKS=0 is not a number of shards (1 to 100000)"},
        {NULL,
         {{"SLURM_PROCID=4", "SLURM_NTASKS=4"}},
         "SLURM_PROCID=4 but SLURM_NTASKS says 4 shards"},
        {"auto/2",
         {{"JOB_COMPLETION_INDEX=2"}},
         "JOB_COMPLETION_INDEX=2 but --shard auto/N says 2 shards"},
        {NULL,
         {{"JOB_COMPLETION_INDEX=1", "SMTPSUITE_SHARDS=-2"}},
         "SMTPSUITE_SHARDS=-2 is not a number of shards (1 to 100000)"},
        /* auto without a launcher */
        {"auto/4",
         {{NULL}},
         "--shard auto/4: no launcher says which shard this is "
         "(OMPI_COMM_WORLD_RANK, SLURM_PROCID and JOB_COMPLETION_INDEX are "
         "unset): give --shard I/N"},
        /* --shard's own syntax */
        {"4/4",
         {{NULL}},
         "--shard: '4/4': shard 4 does not exist among 4 (they count from 0)"},
        {"1",
         {{NULL}},
         "--shard: '1' is not I/N, auto/N or auto (I from 0 to N-1, N from 1 "
         "to 100000)"},
        {"1/0",
         {{NULL}},
         "--shard: '1/0' is not I/N, auto/N or auto (I from 0 to N-1, N from "
         "1 to 100000)"},
        {"-1/4",
         {{NULL}},
         "--shard: '-1/4' is not I/N, auto/N or auto (I from 0 to N-1, N "
         "from 1 to 100000)"},
        {"auto/x",
         {{NULL}},
         "--shard: 'auto/x' is not I/N, auto/N or auto (I from 0 to N-1, N "
         "from 1 to 100000)"},
        {"0/100001",
         {{NULL}},
         "--shard: '0/100001' is not I/N, auto/N or auto (I from 0 to N-1, N "
         "from 1 to 100000)"},
    };
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        struct shard s;
        char err[512] = "", got[512];
        struct env e = ROWS[i].env;
        if (shard_resolve(ROWS[i].opt, lookup, &e, &s, err, sizeof err) == 0)
            snprintf(got, sizeof got, "%u/%u %s", s.index, s.count, s.source);
        else
            snprintf(got, sizeof got, "%s", err);
        ck_assert_msg(strcmp(got, ROWS[i].want) == 0,
                      "row %zu: got '%s' want '%s'", i, got, ROWS[i].want);
    }
}
END_TEST

/* The launcher's job id: what tells one launch from the next. */
START_TEST(test_job)
{
    struct shard s;
    char err[256];
    struct env e = {{"OMPI_COMM_WORLD_RANK=1", "OMPI_COMM_WORLD_SIZE=2",
                     "PMIX_NAMESPACE=4993", "OMPI_MCA_ess_base_jobid=4993"}};
    ck_assert_int_eq(shard_resolve(NULL, lookup, &e, &s, err, sizeof err), 0);
    ck_assert_str_eq(s.job, "4993.4993");
    struct env sl = {{"SLURM_PROCID=0", "SLURM_NTASKS=2", "SLURM_JOB_ID=77",
                      "SLURM_STEP_ID=3"}};
    ck_assert_int_eq(shard_resolve("auto", lookup, &sl, &s, err, sizeof err),
                     0);
    ck_assert_str_eq(s.job, "77.3");
    struct env k = {{"JOB_COMPLETION_INDEX=0", "SMTPSUITE_SHARDS=2"}};
    ck_assert_int_eq(shard_resolve(NULL, lookup, &k, &s, err, sizeof err), 0);
    ck_assert_str_eq(s.job, "");
}
END_TEST

START_TEST(test_paths)
{
    static const struct {
        const char *in;
        unsigned index;
        const char *want;
    } ROWS[] = {
        {"out/r-{shard}.json", 3, "out/r-3.json"},
        {"{shard}/{shard}.xml", 12, "12/12.xml"},
        {"plain.json", 1, "plain.json"},
        {"{shar}d.json", 0, "{shar}d.json"},
        {"{shard}", 99999, "99999"},
    };
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        char *got = shard_path(ROWS[i].in, ROWS[i].index);
        ck_assert_msg(strcmp(got, ROWS[i].want) == 0,
                      "row %zu: got '%s' want '%s'", i, got, ROWS[i].want);
        ck_assert(shard_path_has(ROWS[i].in) ==
                  (strstr(ROWS[i].in, "{shard}") != NULL));
        free(got);
    }
    ck_assert(!shard_path_has(NULL));
}
END_TEST

START_TEST(test_run_ids)
{
    static const struct {
        const char *id;
        bool ok;
    } ROWS[] = {
        {"nightly-2026-05-01", true},
        {"a", true},
        {"A_b-9", true},
        {"", false},
        {"has.dot", false},
        {"has space", false},
        {"x{shard}", false},
        {"0123456789012345678901234567890123456789012345678901234567890123",
         true},
        {"01234567890123456789012345678901234567890123456789012345678901234",
         false},
    };
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        char err[256] = "";
        int rc = shard_run_id_check(ROWS[i].id, err, sizeof err);
        ck_assert_msg((rc == 0) == ROWS[i].ok, "row %zu: '%s': got %d (%s)", i,
                      ROWS[i].id, rc, err);
        if (rc != 0)
            ck_assert_ptr_nonnull(strstr(err, "--run-id"));
    }
    /* derived ids: the same inputs agree, any difference disagrees */
    char a[33], b[33], c[33], d[33];
    shard_run_id_derive("open rate=100\nshards 4", "4993", a);
    shard_run_id_derive("open rate=100\nshards 4", "4993", b);
    shard_run_id_derive("open rate=100\nshards 4", "4994", c);
    shard_run_id_derive("open rate=101\nshards 4", "4993", d);
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, c);
    ck_assert_str_ne(a, d);
    ck_assert_uint_eq(strlen(a), 32);
    ck_assert_uint_eq(strspn(a, "0123456789abcdef"), 32);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_launchers);
    tcase_add_test(tc, test_job);
    tcase_add_test(tc, test_paths);
    tcase_add_test(tc, test_run_ids);
}

#include "check_main.h"
