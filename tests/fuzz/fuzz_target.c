/* libFuzzer target for target files (suite/target_file.c): any bytes as
 * a target file; env: and file: values come from stubs. Whatever is
 * accepted must be a usable target, and no secret may reach a message. */
#include "suite/target_file.h"
#include "harness/xalloc.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int io_read(void *arg, const char *path, char **buf, size_t *len,
                   char *err, size_t errlen)
{
    if (strcmp(path, "secret.txt") == 0) {
        *buf = xstrdup("SECRETVALUE\n");
        *len = strlen(*buf);
        return 0;
    }
    snprintf(err, errlen, "no such file");
    return -1;
}

static const char *io_getenv(void *arg, const char *name)
{
    return strcmp(name, "PW") == 0 ? "SECRETVALUE" : NULL;
}

static const struct target_file_io IO = {io_read, io_getenv, NULL, NULL};

static bool contains(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, s, k) == 0)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *msgs = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&msgs, &n);
    struct diag d;
    diag_init(&d, fp);
    struct target *t =
        target_file_parse("t.target", (const char *)data, size, &IO, &d);
    fclose(fp);
    assert((t != NULL) == (d.nerrors == 0));
    /* values read from env: or file: are secrets and never echoed (unless
     * the input spelt the marker out itself) */
    bool typed = contains(data, size, "SECRETVALUE");
    assert(typed || !strstr(msgs, "SECRETVALUE"));
    if (t) {
        assert(t->name && t->helo_name);
        assert(t->transport == TARGET_UNIX ? t->path != NULL
                                           : t->host && t->port);
        for (size_t i = 0; i < t->nfixtures; i++)
            assert(t->fixtures[i].value &&
                   (typed || !strstr(t->fixtures[i].value, "SECRETVALUE") ||
                    t->fixtures[i].secret));
#ifdef SMTPSUITE_FUZZ_CANARY
        /* Planted bug: proves a mutated file gets through the whole
         * parser (the key table, a secret from env:, the xfail line and
         * its calendar check) into the model: a TLS cipher list, a secret
         * user and an xfail whose date the fuzzer changed. The seeds
         * cipher-secret-xfail.target and secrets.target have all three
         * with until:2030-01-31, one integer away (no digit comes before
         * the year in the first). */
        const struct target_fixture *u = target_fixture(t, "user");
        const int64_t SEED_US = INT64_C(1896134400) * 1000000; /* 2030-02-01 */
        if (t->tls_opts.ciphers && u && u->secret && t->nxfails &&
            t->xfails[0].until_us && t->xfails[0].until_us != SEED_US)
            abort();
#endif
    }
    target_free(t);
    free(msgs);
    return 0;
}
