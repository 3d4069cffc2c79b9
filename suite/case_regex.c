/* case_regex: the complexity guard for case-file regexes (see
 * case_regex.h). One pass over the pattern with a stack of groups; each
 * atom costs 1, a group costs what it holds, "+" doubles what it
 * follows, "{m,n}" multiplies it by its largest count. */
#include "suite/case_regex.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct group {
    uint64_t sum;  /* cost of the group so far */
    uint64_t last; /* cost of the last atom or group, for repetitions */
};

struct rx {
    struct group g[CASE_REGEX_MAX_GROUPS + 1];
    int depth;
    bool after_rep; /* the previous token was a repetition operator */
    size_t *erroff;
    const char **why;
};

static int fail(struct rx *r, size_t off, const char *why)
{
    *r->erroff = off;
    *r->why = why;
    return -1;
}

static void atom(struct rx *r, uint64_t cost)
{
    r->g[r->depth].sum += cost;
    r->g[r->depth].last = cost;
    r->after_rep = false;
}

/* The offset just past a bracket expression starting at re[i] ('['). */
static size_t bracket_end(const char *re, size_t i)
{
    size_t j = i + 1;
    if (re[j] == '^')
        j++;
    if (re[j] == ']')
        j++;
    for (; re[j] && re[j] != ']'; j++)
        if (re[j] == '[' &&
            (re[j + 1] == ':' || re[j + 1] == '.' || re[j + 1] == '=')) {
            const char *close = strchr(re + j + 2, re[j + 1]);
            if (close && close[1] == ']')
                j = (size_t)(close - re) + 1;
        }
    return re[j] ? j + 1 : j;
}

/* Parses "{m}", "{m,}" or "{m,n}" at re[i]; returns its length (0 when
 * it is not a bound) and the largest count in *count. */
static size_t bound(const char *re, size_t i, uint64_t *count)
{
    char *end;
    unsigned long m = strtoul(re + i + 1, &end, 10), n = m;
    if (end == re + i + 1)
        return 0;
    if (*end == ',') {
        const char *p = end + 1;
        n = strtoul(p, &end, 10);
        if (end == p)
            n = m + 1; /* {m,}: m copies and a star */
    }
    if (*end != '}')
        return 0;
    *count = m > n ? m : n;
    return (size_t)(end - (re + i)) + 1;
}

static int repeat(struct rx *r, size_t off, uint64_t times)
{
    if (r->after_rep)
        return fail(r, off,
                    "stacked repetition operators (like ++ or *{2}) "
                    "are not allowed: use a group");
    struct group *g = &r->g[r->depth];
    g->sum += g->last * (times - 1);
    g->last *= times;
    r->after_rep = true;
    return 0;
}

static int step(struct rx *r, const char *re, size_t *i)
{
    size_t k = *i;
    uint64_t count;
    size_t n;
    switch (re[k]) {
    case '\\':
        atom(r, 1);
        *i += re[k + 1] ? 2 : 1;
        return 0;
    case '[':
        atom(r, 1);
        *i = bracket_end(re, k);
        return 0;
    case '(':
        if (r->depth == CASE_REGEX_MAX_GROUPS)
            return fail(r, k, "groups nested too deeply");
        r->depth++;
        memset(&r->g[r->depth], 0, sizeof r->g[r->depth]);
        r->after_rep = false;
        break;
    case ')':
        if (r->depth > 0) {
            uint64_t w = r->g[r->depth--].sum;
            atom(r, w ? w : 1);
        } else {
            atom(r, 1);
        }
        break;
    case '*':
    case '?':
        if (repeat(r, k, 1) != 0)
            return -1;
        break;
    case '+':
        if (repeat(r, k, 2) != 0)
            return -1;
        break;
    case '{':
        if ((n = bound(re, k, &count)) == 0) {
            atom(r, 1);
            break;
        }
        if (count > CASE_REGEX_MAX_BOUND)
            return fail(r, k, "a repetition count over 255");
        if (repeat(r, k, count ? count : 1) != 0)
            return -1;
        *i += n;
        return 0;
    case '|':
        r->after_rep = false;
        break;
    default:
        atom(r, 1);
    }
    (*i)++;
    return 0;
}

int case_regex_check(const char *re, size_t *erroff, const char **why)
{
    struct rx r;
    memset(&r, 0, sizeof r);
    r.erroff = erroff;
    r.why = why;
    for (size_t i = 0; re[i];) {
        size_t at = i;
        if (step(&r, re, &i) != 0)
            return -1;
        uint64_t total = 0;
        for (int d = 0; d <= r.depth; d++)
            total += r.g[d].sum;
        if (total > CASE_REGEX_MAX_COST)
            return fail(&r, at,
                        "regular expression too complex (it would "
                        "compile to more than 4096 parts)");
    }
    return 0;
}
