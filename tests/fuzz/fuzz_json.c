/* libFuzzer target for the JSON result reader (reports/json.c): any bytes
 * as a result file. A refusal must say why; whatever is accepted must
 * write back out, and what that wrote must read again and write the
 * same bytes (the module's contract: writing what was read gives the
 * same bytes). */
#include "reports/json.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The run written to memory; the caller frees. */
static char *dump(const struct result_run *run, size_t *len)
{
    char *out = NULL, err[256] = "";
    FILE *fp = open_memstream(&out, len);
    assert(fp);
    int rc = report_json_dump(run, fp, err, sizeof err);
    fclose(fp);
    assert(rc == 0);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    struct result_run *run =
        report_json_parse((const char *)data, size, "f.json", err, sizeof err);
    if (!run) {
        assert(err[0] != '\0');
        return 0;
    }
#ifdef SMTPSUITE_FUZZ_CANARY
    /* Planted bug: proves a mutated file gets through the whole reader
     * into the model: a load run holding an ERROR case of category tls
     * retried three times or more (no seed has it; small-load.json is
     * one integer away, the other seeds further). */
    if (run->kind && strcmp(run->kind, "load") == 0)
        for (size_t i = 0; i < run->ncases; i++)
            if (run->cases[i].verdict == VERDICT_ERROR &&
                run->cases[i].category == ERRCAT_TLS &&
                run->cases[i].retries >= 3)
                abort();
#endif
    size_t n1, n2;
    char *first = dump(run, &n1);
    struct result_run *again =
        report_json_parse(first, n1, "dump.json", err, sizeof err);
    if (!again) {
        fprintf(stderr, "its own output does not read back: %s\n", err);
        abort();
    }
    char *second = dump(again, &n2);
    if (n1 != n2 || memcmp(first, second, n1) != 0) {
        fprintf(stderr, "writing what was read changed the bytes\n");
        abort();
    }
    free(first);
    free(second);
    result_run_free(again);
    result_run_free(run);
    return 0;
}
