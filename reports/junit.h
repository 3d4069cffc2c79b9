/* junit: the JUnit XML report for CI (libxml2's xmlTextWriter). The
 * verdict mapping is DESIGN.md's table; docs/reports.md describes it. */
#ifndef SMTPSUITE_JUNIT_H
#define SMTPSUITE_JUNIT_H

#include "reports/report.h"

/* Writes the JUnit file of run to path atomically; 0, or -1 with err
 * (a duplicate classname+name is an internal error: nothing is written). */
int report_junit_write(const struct result_run *run, const char *path,
                       const struct report_options *opts, char *err,
                       size_t errlen);
/* The same to an open stream (no atomicity). */
int report_junit_dump(const struct result_run *run, FILE *fp,
                      const struct report_options *opts, char *err,
                      size_t errlen);

#endif
