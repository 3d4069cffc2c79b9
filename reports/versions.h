/* versions: the versions of the libraries reports/ is built on. */
#ifndef SMTPSUITE_REPORTS_VERSIONS_H
#define SMTPSUITE_REPORTS_VERSIONS_H

#include <stddef.h>

/* Writes one "name version\n" line per library (libxml2, jansson). */
void reports_versions(char *out, size_t outlen);

#endif
