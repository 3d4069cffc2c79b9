/* load_opts: the load verb's value parsers (see load_opts.h). */
#include "suite/load_opts.h"
#include "harness/duration.h"
#include "harness/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *unit;
    uint64_t mult;
} UNITS[] = {
    {"", 1},
    {"B", 1},
    {"k", 1000},
    {"K", 1000},
    {"KB", 1000},
    {"kB", 1000},
    {"KiB", 1024},
    {"M", 1000000},
    {"MB", 1000000},
    {"MiB", 1048576},
    {"G", 1000000000},
    {"GB", 1000000000},
    {"GiB", 1073741824},
};

int load_opts_size(const char *s, uint64_t *out, char *err, size_t errlen)
{
    const char *p = s;
    uint64_t v = 0;
    while (*p >= '0' && *p <= '9') {
        if (v > UINT64_MAX / 10 / 1073741824ULL) {
            snprintf(err, errlen, "'%s': too large", s);
            return -1;
        }
        v = v * 10 + (uint64_t)(*p++ - '0');
    }
    if (p == s) {
        snprintf(err, errlen,
                 "'%s' is not a size: write a whole number of "
                 "octets with an optional unit (1024, 1KiB, "
                 "64KiB, 1MiB)",
                 s);
        return -1;
    }
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++)
        if (strcmp(p, UNITS[i].unit) == 0) {
            *out = v * UNITS[i].mult;
            return 0;
        }
    snprintf(err, errlen,
             "'%s': unknown unit '%s' (B, KB, KiB, MB, MiB, GB, GiB)", s, p);
    return -1;
}

/* A weight: a whole number from 1 to LOAD_OPTS_MAX_WEIGHT. */
static int parse_weight(const char *s, uint64_t *w)
{
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n > 7 || s[n] != '\0')
        return -1;
    *w = strtoull(s, NULL, 10);
    return *w >= 1 && *w <= LOAD_OPTS_MAX_WEIGHT ? 0 : -1;
}

static int size_in_range(const char *s, uint64_t *v, char *err, size_t errlen)
{
    if (load_opts_size(s, v, err, errlen) != 0)
        return -1;
    if (*v > BODY_MAX_SIZE) {
        snprintf(err, errlen, "'%s': larger than the largest message (1GiB)",
                 s);
        return -1;
    }
    return 0;
}

/* One line of a dist: file; 1 added, 0 blank, -1 error (in e). */
static int dist_line(char *line, struct body_sizes *out, char *e, size_t elen)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    char size[64], weight[64], extra[8];
    int n = sscanf(line, "%63s %63s %7s", size, weight, extra);
    if (n <= 0)
        return 0;
    uint64_t sz, w;
    if (n != 2) {
        snprintf(e, elen, "want SIZE WEIGHT, e.g. '64KiB 25'");
        return -1;
    }
    if (size_in_range(size, &sz, e, elen) != 0)
        return -1;
    if (parse_weight(weight, &w) != 0) {
        snprintf(e, elen, "'%s': a weight is a whole number from 1 to %d",
                 weight, LOAD_OPTS_MAX_WEIGHT);
        return -1;
    }
    if (out->n == BODY_SIZES_MAX) {
        snprintf(e, elen, "more than %d sizes", BODY_SIZES_MAX);
        return -1;
    }
    out->size[out->n] = sz;
    out->weight[out->n++] = w;
    out->total_weight += w;
    return 1;
}

/* A dist: file, "SIZE WEIGHT" a line. */
static int parse_dist(const char *path, struct body_sizes *out, char *err,
                      size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, errlen, "dist:%s: %s", path, strerror(errno));
        return -1;
    }
    char line[256], e[200];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, fp)) {
        lineno++;
        if (dist_line(line, out, e, sizeof e) < 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, e);
            rc = -1;
        }
    }
    fclose(fp);
    if (rc == 0 && out->n == 0) {
        snprintf(err, errlen, "%s: no 'SIZE WEIGHT' line", path);
        rc = -1;
    }
    return rc;
}

int load_opts_sizes(const char *spec, struct body_sizes *out, char *err,
                    size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (strncmp(spec, "dist:", 5) == 0) {
        out->kind = BODY_SIZES_TABLE;
        return parse_dist(spec + 5, out, err, errlen);
    }
    const char *dash = strchr(spec, '-');
    if (!dash) {
        out->kind = BODY_SIZES_FIXED;
        return size_in_range(spec, &out->min, err, errlen);
    }
    char lo[64];
    snprintf(lo, sizeof lo, "%.*s", (int)(dash - spec), spec);
    out->kind = BODY_SIZES_RANGE;
    if (size_in_range(lo, &out->min, err, errlen) != 0 ||
        size_in_range(dash + 1, &out->max, err, errlen) != 0)
        return -1;
    if (out->min > out->max) {
        snprintf(err, errlen, "'%s': the smaller size comes first", spec);
        return -1;
    }
    return 0;
}

int load_opts_rate(const char *s, int zero_ok, double *out, char *err,
                   size_t errlen)
{
    size_t digits = strspn(s, "0123456789"), frac = 0;
    if (s[digits] == '.')
        frac = strspn(s + digits + 1, "0123456789") + 1;
    if (digits == 0 || s[digits + frac] != '\0' || frac == 1) {
        snprintf(err, errlen,
                 "'%s' is not a rate: write sessions per second as "
                 "a number, e.g. 200 or 2.5",
                 s);
        return -1;
    }
    double v = strtod(s, NULL);
    if ((!zero_ok && v <= 0) || v > LOAD_SCHED_MAX_RATE) {
        snprintf(err, errlen, "'%s': a rate must be %s 0 and at most 10000000",
                 s, zero_ok ? "at least" : "more than");
        return -1;
    }
    *out = v;
    return 0;
}

int load_opts_ramp(const char *s, struct load_sched_point *pts, size_t *n,
                   size_t max, char *err, size_t errlen)
{
    char *copy = xstrdup(s), *save = NULL;
    *n = 0;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0;
         tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        char e2[256];
        if (!colon) {
            snprintf(err, errlen,
                     "--ramp: '%s' is not TIME:RATE (e.g. 30s:100)", tok);
            rc = -1;
            break;
        }
        *colon = '\0';
        if (*n == max) {
            snprintf(err, errlen, "--ramp: more than %zu points", max);
            rc = -1;
        } else if (duration_parse(tok, &pts[*n].t_us, e2, sizeof e2) != 0 ||
                   load_opts_rate(colon + 1, 1, &pts[*n].rate, e2, sizeof e2) !=
                       0) {
            snprintf(err, errlen, "--ramp: %s", e2);
            rc = -1;
        } else if (*n > 0 && pts[*n].t_us <= pts[*n - 1].t_us) {
            snprintf(err, errlen,
                     "--ramp: '%s' does not come after the point "
                     "before it",
                     tok);
            rc = -1;
        } else {
            (*n)++;
        }
    }
    if (rc == 0 && *n == 0) {
        snprintf(err, errlen, "--ramp: no TIME:RATE point");
        rc = -1;
    }
    free(copy);
    return rc;
}

int load_opts_weighted(const char *arg, char **path, unsigned *weight,
                       char *err, size_t errlen)
{
    const char *colon = strrchr(arg, ':');
    *weight = 1;
    if (!colon || colon[1] == '\0' ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1)) {
        *path = xstrdup(arg);
        return 0;
    }
    uint64_t w;
    if (parse_weight(colon + 1, &w) != 0) {
        snprintf(err, errlen, "'%s': a weight is a whole number from 1 to %d",
                 arg, LOAD_OPTS_MAX_WEIGHT);
        return -1;
    }
    *weight = (unsigned)w;
    *path = xstrndup(arg, (size_t)(colon - arg));
    return 0;
}
