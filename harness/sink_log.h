/* sink_log: the sink's arrival log. Every accepted message becomes one
 * JSON object (time, session and connection facts, envelope, headers,
 * SHA-256 digests of the body and of the whole content): one line per
 * message in the --record file, flushed as it is written, and the same
 * text for callers that run the sink in-process. */
#ifndef SMTPSUITE_SINK_LOG_H
#define SMTPSUITE_SINK_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/sink_proto.h"

#define SINK_LOG_HEADERS_MAX 1000 /* header fields recorded per message */

struct sink_log;

/* Opens (truncates) path for writing; with_data adds the content in
 * the escaped form of bytes.h. Returns NULL with err on failure. */
struct sink_log *sink_log_open(const char *path, bool with_data, char *err,
                               size_t errlen);
/* Appends one line and flushes; 0, or -1 with err. */
int sink_log_write(struct sink_log *l, const struct sink_message *m, char *err,
                   size_t errlen);
void sink_log_close(struct sink_log *l);

/* Returns the JSON object of m on one line (caller frees). */
char *sink_log_format(const struct sink_message *m, bool with_data);

#endif
