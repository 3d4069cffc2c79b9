/* versions: library versions of the reports layer (libxml2, jansson). */
#include "reports/versions.h"

#include <jansson.h>
#include <libxml/xmlversion.h>
#include <stdio.h>

void reports_versions(char *out, size_t outlen)
{
    snprintf(out, outlen, "libxml2 %s\njansson %s\n", LIBXML_DOTTED_VERSION,
             jansson_version_str());
}
