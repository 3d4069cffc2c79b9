/* shard: the shard of this process, from --shard or the launcher's
 * environment (see shard.h). One table of launchers, read in order. */
#include "suite/shard.h"
#include "harness/buf.h"
#include "harness/digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The launchers, in the order they are believed. count_var NULL: the
 * launcher does not say N (Kubernetes), which comes from --shard auto/N
 * or SMTPSUITE_SHARDS. job_vars: what names one launch, joined. */
static const struct launcher {
    const char *name;
    const char *index_var;
    const char *count_var;
    const char *job_vars[2];
} LAUNCHERS[] = {
    {"Open MPI",
     "OMPI_COMM_WORLD_RANK",
     "OMPI_COMM_WORLD_SIZE",
     {"PMIX_NAMESPACE", "OMPI_MCA_ess_base_jobid"}},
    {"Slurm",
     "SLURM_PROCID",
     "SLURM_NTASKS",
     {"SLURM_JOB_ID", "SLURM_STEP_ID"}},
    {"Kubernetes", "JOB_COMPLETION_INDEX", NULL, {NULL, NULL}},
};

#define NLAUNCHERS (sizeof LAUNCHERS / sizeof LAUNCHERS[0])
#define SHARDS_VAR "SMTPSUITE_SHARDS"

/* A whole decimal number from 0 to max, nothing else; -1 if not. */
static long number(const char *s, long max)
{
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n > 9 || s[n] != '\0')
        return -1;
    long v = strtol(s, NULL, 10);
    return v <= max ? v : -1;
}

const char *shard_getenv(void *arg, const char *name)
{
    (void)arg;
    return getenv(name);
}

/* One launcher's figures: 1 found (in *out), 0 not set, -1 error. */
static int from_launcher(const struct launcher *l, long want_n,
                         shard_env_fn *env, void *arg, struct shard *out,
                         char *err, size_t errlen)
{
    const char *iv = env(arg, l->index_var);
    if (!iv || !*iv)
        return 0;
    const char *cname = l->count_var ? l->count_var : SHARDS_VAR;
    const char *cv = env(arg, cname);
    long i = number(iv, SHARD_MAX - 1), n = -1;
    if (i < 0)
        return snprintf(err, errlen, "%s=%s is not a shard number (0 to %d)",
                        l->index_var, iv, SHARD_MAX - 1),
               -1;
    if (!l->count_var && want_n > 0)
        n = want_n, cname = "--shard auto/N";
    else if (!cv || !*cv)
        return snprintf(
                   err, errlen, "%s=%s is set but not the number of shards: %s",
                   l->index_var, iv,
                   l->count_var ? "is the launcher's environment complete?"
                                : "give --shard auto/N or SMTPSUITE_SHARDS=N"),
               -1;
    else if ((n = number(cv, SHARD_MAX)) < 1)
        return snprintf(err, errlen,
                        "%s=%s is not a number of shards (1 to %d)", cname, cv,
                        SHARD_MAX),
               -1;
    if (i >= n)
        return snprintf(err, errlen, "%s=%s but %s says %ld shards",
                        l->index_var, iv, cname, n),
               -1;
    out->index = (unsigned)i;
    out->count = (unsigned)n;
    out->source = l->name;
    out->job[0] = '\0';
    for (size_t k = 0; k < 2 && l->job_vars[k]; k++) {
        const char *j = env(arg, l->job_vars[k]);
        size_t len = strlen(out->job);
        if (j && *j)
            snprintf(out->job + len, sizeof out->job - len, "%s%s",
                     len ? "." : "", j);
    }
    return 1;
}

/* "I/N" (auto false) or "auto/N", "auto" (auto true, *n 0 for none). */
static int parse_opt(const char *opt, bool *is_auto, long *i, long *n,
                     char *err, size_t errlen)
{
    const char *slash = strchr(opt, '/');
    char head[16];
    snprintf(head, sizeof head, "%.*s", slash ? (int)(slash - opt) : 15, opt);
    *is_auto = strcmp(head, "auto") == 0;
    *n = 0;
    if (*is_auto && !slash)
        return 0;
    *i = *is_auto ? 0 : number(head, SHARD_MAX - 1);
    if (slash)
        *n = number(slash + 1, SHARD_MAX);
    if (!slash || *i < 0 || *n < 1)
        return snprintf(err, errlen,
                        "--shard: '%s' is not I/N, auto/N or auto (I from 0 "
                        "to N-1, N from 1 to %d)",
                        opt, SHARD_MAX),
               -1;
    if (!*is_auto && *i >= *n)
        return snprintf(err, errlen,
                        "--shard: '%s': shard %ld does not exist among %ld "
                        "(they count from 0)",
                        opt, *i, *n),
               -1;
    return 0;
}

/* Each launcher that is set must agree with the first; *found counts. */
static int read_launchers(long want_n, shard_env_fn *env, void *arg,
                          struct shard *out, int *found, char *err,
                          size_t errlen)
{
    *found = 0;
    for (size_t k = 0; k < NLAUNCHERS; k++) {
        struct shard s;
        int rc =
            from_launcher(&LAUNCHERS[k], want_n, env, arg, &s, err, errlen);
        if (rc < 0)
            return -1;
        if (rc == 0)
            continue;
        if (*found && (s.index != out->index || s.count != out->count))
            return snprintf(err, errlen,
                            "%s says shard %u of %u but %s says shard %u of "
                            "%u: run under one launcher, or unset the other's "
                            "variables (e.g. env -u %s)",
                            out->source, out->index, out->count, s.source,
                            s.index, s.count, LAUNCHERS[k].index_var),
                   -1;
        if (!*found)
            *out = s;
        (*found)++;
    }
    return 0;
}

int shard_resolve(const char *opt, shard_env_fn *env, void *arg,
                  struct shard *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->count = 1;
    out->source = "";
    bool is_auto = true;
    long i = 0, n = 0;
    if (opt && parse_opt(opt, &is_auto, &i, &n, err, errlen) != 0)
        return -1;
    if (!is_auto) {
        out->index = (unsigned)i;
        out->count = (unsigned)n;
        out->source = "--shard";
        return 0;
    }
    int found;
    struct shard s = {0};
    if (read_launchers(n, env, arg, &s, &found, err, errlen) != 0)
        return -1;
    if (!found && opt)
        return snprintf(err, errlen,
                        "--shard %s: no launcher says which shard this is "
                        "(OMPI_COMM_WORLD_RANK, SLURM_PROCID and "
                        "JOB_COMPLETION_INDEX are unset): give --shard I/N",
                        opt),
               -1;
    if (found && n > 0 && s.count != (unsigned)n)
        return snprintf(err, errlen,
                        "--shard %s but %s says %u shards (shard %u of %u)",
                        opt, s.source, s.count, s.index, s.count),
               -1;
    if (found)
        *out = s;
    return 0;
}

bool shard_path_has(const char *path)
{
    return path && strstr(path, SHARD_TEMPLATE) != NULL;
}

char *shard_path(const char *path, unsigned index)
{
    struct buf b;
    buf_init(&b, strlen(path) + 64);
    const char *p = path, *t;
    while ((t = strstr(p, SHARD_TEMPLATE))) {
        buf_add(&b, p, (size_t)(t - p));
        buf_addf(&b, "%u", index);
        p = t + strlen(SHARD_TEMPLATE);
    }
    buf_adds(&b, p);
    return buf_detach(&b);
}

int shard_run_id_check(const char *id, char *err, size_t errlen)
{
    size_t n = strlen(id);
    if (n == 0 || n > SHARD_RUN_ID_MAX ||
        strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789-_") != n)
        return snprintf(err, errlen,
                        "--run-id: '%s' is not 1 to %d letters, digits, '-' "
                        "or '_'",
                        id, SHARD_RUN_ID_MAX),
               -1;
    return 0;
}

void shard_run_id_derive(const char *identity, const char *job, char out[33])
{
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_adds(&b, "smtpsuite shard run id\n");
    buf_adds(&b, identity);
    buf_adds(&b, "\njob ");
    buf_adds(&b, job ? job : "");
    char hex[DIGEST_SHA256_HEX];
    digest_sha256_hex(buf_str(&b), b.len, hex);
    buf_free(&b);
    memcpy(out, hex, 32);
    out[32] = '\0';
}
