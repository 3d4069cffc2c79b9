/* version: library versions of the harness layer (libevent, OpenSSL). */
#include "harness/version.h"

#include <event2/event.h>
#include <openssl/crypto.h>
#include <stdio.h>

void harness_versions(char *out, size_t outlen)
{
    snprintf(out, outlen, "libevent %s\n%s\n", event_get_version(),
             OpenSSL_version(OPENSSL_VERSION));
}
