/* load_opts: the values of the load verb's options, parsed without
 * touching anything else: sizes ("1024", "1KiB", "64KiB", "1MiB"), size
 * specifications ("1KiB", "1KiB-64KiB", "dist:FILE"), rates ("2.5"),
 * ramps ("0s:10,30s:100,60s:100") and PATH[:WEIGHT] arguments. Every
 * error is one line naming the value (docs/load.md "Options"). */
#ifndef SMTPSUITE_LOAD_OPTS_H
#define SMTPSUITE_LOAD_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "harness/body.h"
#include "harness/load_sched.h"

#define LOAD_OPTS_MAX_WEIGHT 1000000
#define LOAD_OPTS_DIST_MAX   (64u * 1024) /* octets of a dist: file */

/* A size: a whole number of octets with an optional unit: B; k, KB
 * (1000); KiB (1024); M, MB; MiB; G, GB; GiB. 0, or -1 with err. */
int load_opts_size(const char *s, uint64_t *out, char *err, size_t errlen);
/* --size: "SIZE" (fixed), "MIN-MAX" (uniform), or "dist:FILE" (a file
 * of "SIZE WEIGHT" lines; '#' comments). Sizes at most BODY_MAX_SIZE. */
int load_opts_sizes(const char *spec, struct body_sizes *out, char *err,
                    size_t errlen);
/* A rate in sessions per second: a decimal number, > 0 unless zero_ok. */
int load_opts_rate(const char *s, int zero_ok, double *out, char *err,
                   size_t errlen);
/* --ramp: TIME:RATE points separated by commas, times increasing. */
int load_opts_ramp(const char *s, struct load_sched_point *pts, size_t *n,
                   size_t max, char *err, size_t errlen);
/* PATH[:WEIGHT]: the weight (1 to LOAD_OPTS_MAX_WEIGHT) after the last
 * colon when all digits; else the whole argument is the path, weight 1.
 * *path is a new string (caller frees). */
int load_opts_weighted(const char *arg, char **path, unsigned *weight,
                       char *err, size_t errlen);

#endif
