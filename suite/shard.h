/* shard: which share of a load run this process is (docs/distributed.md).
 * smtpsuite coordinates nothing itself: the launcher that starts the
 * processes says which is which, or --shard I/N does.
 * - --shard I/N: shard I (from 0) of N; the environment is not read;
 * - --shard auto/N, --shard auto, or no --shard: I and N from Open MPI
 *   (OMPI_COMM_WORLD_RANK, OMPI_COMM_WORLD_SIZE), Slurm (SLURM_PROCID,
 *   SLURM_NTASKS) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX; N
 *   from --shard auto/N or SMTPSUITE_SHARDS); when two of them are set
 *   and disagree, or disagree with auto/N, nothing runs;
 * - no --shard and no launcher: the whole run (shard 0 of 1).
 * A run is sharded when N > 1. Also: the {shard} template of result
 * paths, --run-id's syntax, and the run id shards derive together.
 * The environment is read through a callback, so the launcher table is
 * tested without touching the process's environment. */
#ifndef SMTPSUITE_SHARD_H
#define SMTPSUITE_SHARD_H

#include <stdbool.h>
#include <stddef.h>

#define SHARD_MAX        100000 /* shards in one run */
#define SHARD_JOB_MAX    128    /* the launcher's job id, with NUL */
#define SHARD_RUN_ID_MAX 64     /* characters of --run-id */
#define SHARD_TEMPLATE   "{shard}"

struct shard {
    unsigned index, count;   /* count 1: the whole run */
    const char *source;      /* "--shard", "Open MPI", "Slurm", "Kubernetes",
                                or "" (no shard) */
    char job[SHARD_JOB_MAX]; /* the launcher's job id, "" when none */
};

/* Returns the value of an environment variable, or NULL when unset. */
typedef const char *shard_env_fn(void *arg, const char *name);

/* Works out the shard from --shard's value (NULL when not given) and the
 * environment. 0, or -1 with a one-line message in err naming the
 * option or the variables (a malformed value, I >= N, no launcher for
 * "auto", two launchers that disagree). */
int shard_resolve(const char *opt, shard_env_fn *env, void *arg,
                  struct shard *out, char *err, size_t errlen);
/* The process environment, for shard_resolve (arg unused). */
const char *shard_getenv(void *arg, const char *name);

/* Whether a path holds the {shard} template. */
bool shard_path_has(const char *path);
/* path with every {shard} replaced by index (a new string; caller
 * frees). */
char *shard_path(const char *path, unsigned index);

/* Checks a --run-id: 1 to SHARD_RUN_ID_MAX letters, digits, '-' or '_'
 * (a shard appends ".sI" to it in message tokens). 0, or -1 with err. */
int shard_run_id_check(const char *id, char *err, size_t errlen);
/* The run id shards started by one command agree on without talking:
 * the first 32 hex digits of the SHA-256 of identity (what the shards
 * must share: the schedule, the scenarios, N, the start time) and the
 * launcher's job id. */
void shard_run_id_derive(const char *identity, const char *job, char out[33]);

#endif
