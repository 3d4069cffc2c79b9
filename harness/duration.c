/* duration: parsing and formatting of durations with units. */
#include "harness/duration.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *unit;
    int64_t us;
} UNITS[] = {
    {"us", 1}, {"ms", 1000}, {"s", 1000000}, {"m", 60000000},
    {"h", 3600000000LL},
};

int duration_parse(const char *s, int64_t *us, char *err, size_t errlen)
{
    const char *p = s;
    int64_t whole = 0, frac = 0, fscale = 1;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        if (whole > INT64_MAX / 100)
            goto toobig;
        whole = whole * 10 + (*p++ - '0');
        digits++;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            if (fscale < 1000000000) {
                frac = frac * 10 + (*p - '0');
                fscale *= 10;
            }
            p++;
            digits++;
        }
    }
    if (digits == 0) {
        snprintf(err, errlen, "'%s' is not a duration (want e.g. 250ms, 2s, 5m)",
                 s);
        return -1;
    }
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++) {
        if (strcmp(p, UNITS[i].unit) != 0)
            continue;
        int64_t u = UNITS[i].us;
        if (whole > INT64_MAX / u / 2)
            goto toobig;
        *us = whole * u + frac * u / fscale;
        return 0;
    }
    if (*p == '\0')
        snprintf(err, errlen, "'%s' has no unit (want us, ms, s, m or h)", s);
    else
        snprintf(err, errlen, "'%s' has an unknown unit '%s' (want us, ms, s, m or h)",
                 s, p);
    return -1;
toobig:
    snprintf(err, errlen, "'%s' is too long a duration", s);
    return -1;
}

void duration_format(int64_t us, char *out, size_t outlen)
{
    static const struct {
        const char *unit;
        int64_t us;
    } F[] = {{"h", 3600000000LL}, {"m", 60000000}, {"s", 1000000},
             {"ms", 1000}, {"us", 1}};
    for (size_t i = 0; i < sizeof F / sizeof F[0]; i++) {
        if (us != 0 && us % F[i].us == 0) {
            snprintf(out, outlen, "%" PRId64 "%s", us / F[i].us, F[i].unit);
            return;
        }
    }
    snprintf(out, outlen, "%" PRId64 "us", us);
}
