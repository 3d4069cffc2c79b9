/* html: the report for people, one self-contained HTML file (inline
 * style, script and SVG; a Content-Security-Policy that fetches nothing). */
#ifndef SMTPSUITE_HTML_H
#define SMTPSUITE_HTML_H

#include "reports/report.h"

/* Writes the HTML page of run to path atomically; 0, or -1 with err. */
int report_html_write(const struct result_run *run, const char *path,
                      const struct report_options *opts, char *err,
                      size_t errlen);
/* The same to an open stream (no atomicity). */
int report_html_dump(const struct result_run *run, FILE *fp,
                     const struct report_options *opts, char *err,
                     size_t errlen);

#endif
