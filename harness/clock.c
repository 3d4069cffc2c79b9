/* clock: monotonic and wall time, RFC 3339 formatting and parsing. */
#include "harness/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void clock_rfc3339(int64_t wall_us, char out[CLOCK_RFC3339_LEN])
{
    int64_t ms = wall_us >= 0 ? wall_us / 1000 : (wall_us - 999) / 1000;
    time_t sec = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)sec * 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, frac);
    snprintf(out, CLOCK_RFC3339_LEN, "%.31s", tmp);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int clock_parse_rfc3339(const char *s, int64_t *wall_us)
{
    int y, mo, d, h, mi, se, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%*[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi,
               &se, &n) != 6 || n < 19)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        se > 60)
        return -1;
    const char *p = s + n;
    int64_t us = 0;
    if (*p == '.') {
        int digits = 0;
        p++;
        while (*p >= '0' && *p <= '9') {
            if (digits < 6) {
                us = us * 10 + (*p - '0');
                digits++;
            }
            p++;
        }
        if (digits == 0)
            return -1;
        while (digits++ < 6)
            us *= 10;
    }
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 || strlen(p) < 6)
            return -1;
        off = (int64_t)(oh * 60 + om) * 60;
        if (*p == '-')
            off = -off;
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
                   se - off;
    *wall_us = secs * 1000000 + us;
    return 0;
}
