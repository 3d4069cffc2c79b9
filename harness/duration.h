/* duration: the one parser of durations, shared by case files, the
 * command line and thresholds: an unsigned number with a unit, "us",
 * "ms", "s", "m" or "h" ("250ms", "2s", "1.5s", "5m"). A bare number is
 * an error: every duration says its unit. */
#ifndef SMTPSUITE_DURATION_H
#define SMTPSUITE_DURATION_H

#include <stdint.h>
#include <stddef.h>

/* Parses s into microseconds. Returns 0, or -1 with a message in err. */
int duration_parse(const char *s, int64_t *us, char *err, size_t errlen);
/* Formats us the shortest exact way ("250ms", "2s", "1500us"). */
void duration_format(int64_t us, char *out, size_t outlen);

#endif
