/* version: the versions of the libraries harness/ is built on. */
#ifndef SMTPSUITE_HARNESS_VERSION_H
#define SMTPSUITE_HARNESS_VERSION_H

#include <stddef.h>

/* Writes "libevent X, OpenSSL Y" style lines ("name version\n" each). */
void harness_versions(char *out, size_t outlen);

#endif
