/* clock: the times smtpsuite keeps, all as int64 microseconds: monotonic
 * for measuring, wall-clock (Unix epoch) for stamping, and RFC 3339 text
 * with milliseconds for files. */
#ifndef SMTPSUITE_CLOCK_H
#define SMTPSUITE_CLOCK_H

#include <stdint.h>
#include <stddef.h>

int64_t clock_mono_us(void);
int64_t clock_wall_us(void);

#define CLOCK_RFC3339_LEN 32
/* Writes e.g. "2026-11-29T00:22:20.123Z" (UTC, ms precision). */
void clock_rfc3339(int64_t wall_us, char out[CLOCK_RFC3339_LEN]);
/* Parses RFC 3339 ("...Z" or "+hh:mm", optional fraction); 0 on
 * success, -1 if malformed. */
int clock_parse_rfc3339(const char *s, int64_t *wall_us);

#endif
