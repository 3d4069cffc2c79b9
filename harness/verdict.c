/* verdict: names, parsing and the exit-code rules of DESIGN.md. */
#include "harness/verdict.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const VERDICT_NAMES[] = {
#define X(e, s) s,
    VERDICT_LIST(X)
#undef X
};

static const char *const ERRCAT_NAMES[] = {
#define X(e, s) s,
    ERRCAT_LIST(X)
#undef X
};

const char *verdict_name(enum verdict v)
{
    return (unsigned)v < VERDICT_COUNT ? VERDICT_NAMES[v] : "?";
}

int verdict_parse(const char *s, enum verdict *v)
{
    for (int i = 0; i < VERDICT_COUNT; i++) {
        if (strcasecmp(s, VERDICT_NAMES[i]) == 0) {
            *v = (enum verdict)i;
            return 0;
        }
    }
    return -1;
}

const char *errcat_name(enum errcat c)
{
    return (unsigned)c < ERRCAT_COUNT ? ERRCAT_NAMES[c] : "?";
}

int errcat_parse(const char *s, enum errcat *c)
{
    for (int i = 0; i < ERRCAT_COUNT; i++) {
        if (strcasecmp(s, ERRCAT_NAMES[i]) == 0) {
            *c = (enum errcat)i;
            return 0;
        }
    }
    return -1;
}

enum verdict verdict_worse(enum verdict a, enum verdict b)
{
    return b > a ? b : a;
}

int verdict_parse_mask(const char *s, unsigned *mask, char *err, size_t errlen)
{
    char word[32];
    *mask = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        if (n == 0 || n >= sizeof word) {
            snprintf(err, errlen, "empty or overlong verdict in list");
            return -1;
        }
        memcpy(word, s, n);
        word[n] = '\0';
        enum verdict v;
        if (verdict_parse(word, &v) != 0) {
            snprintf(err, errlen,
                     "unknown verdict '%s' (want pass, warn, fail, error, "
                     "skip, xfail, xpass)", word);
            return -1;
        }
        *mask |= VERDICT_BIT(v);
        s += n;
        if (*s == ',')
            s++;
    }
    return 0;
}

enum exit_code verdict_run_exit(const struct verdict_counts *c,
                                const struct verdict_policy *p,
                                bool interrupted)
{
    uint64_t total = 0;
    for (int i = 0; i < VERDICT_COUNT; i++)
        total += c->n[i];
    if (interrupted)
        return EXIT_INTERRUPTED;
    if (total == 0)
        return EXIT_USAGE;
    if (c->n[VERDICT_FAIL])
        return EXIT_FAILED;
    for (int i = 0; i < VERDICT_COUNT; i++)
        if ((p->fail_on & VERDICT_BIT(i)) && c->n[i])
            return EXIT_FAILED;
    if (c->n[VERDICT_ERROR])
        return EXIT_INCONCLUSIVE;
    if (c->n[VERDICT_SKIP] + c->n[VERDICT_NOTRUN] == total)
        return EXIT_INCONCLUSIVE;
    return EXIT_OK;
}
