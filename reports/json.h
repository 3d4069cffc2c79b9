/* json: the JSON result file, writer and reader, the one owner of its
 * format (docs/result-format.md). Writing what was read gives the same
 * bytes. */
#ifndef SMTPSUITE_JSON_H
#define SMTPSUITE_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "harness/result.h"

/* Writes run to path ("-" for stdout) atomically; 0, or -1 with err. */
int report_json_write(const struct result_run *run, const char *path,
                      char *err, size_t errlen);
/* Writes run to an open stream (no atomicity); 0, or -1 with err. */
int report_json_dump(const struct result_run *run, FILE *fp, char *err,
                     size_t errlen);
/* Reads a result file; returns a new run (caller frees with
 * result_run_free) or NULL with "path: where: what" in err. */
struct result_run *report_json_read(const char *path, char *err,
                                    size_t errlen);
/* The same from a buffer; name is used in messages. */
struct result_run *report_json_parse(const char *text, size_t len,
                                     const char *name, char *err,
                                     size_t errlen);

#endif
