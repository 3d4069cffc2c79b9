/* golden: compares a writer's output with a file under tests/golden/,
 * byte for byte. With SMTPSUITE_UPDATE_GOLDEN=1 the file is rewritten
 * instead (tests/golden/README.md says when that is right). */
#ifndef SMTPSUITE_GOLDEN_H
#define SMTPSUITE_GOLDEN_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void golden_check(const char *name, const char *data, size_t len)
{
    const char *src = getenv("SMTPSUITE_SOURCE_DIR");
    ck_assert_msg(src != NULL, "SMTPSUITE_SOURCE_DIR is not set");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/golden/%s", src, name);
    const char *up = getenv("SMTPSUITE_UPDATE_GOLDEN");
    if (up && strcmp(up, "1") == 0) {
        FILE *fp = fopen(path, "wb");
        ck_assert_msg(fp != NULL, "cannot write %s", path);
        fwrite(data, 1, len, fp);
        fclose(fp);
        return;
    }
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp != NULL, "%s missing (SMTPSUITE_UPDATE_GOLDEN=1 makes it)",
                  path);
    char *want = malloc(len + 2);
    size_t n = fread(want, 1, len + 1, fp);
    fclose(fp);
    size_t at = 0;
    while (at < n && at < len && want[at] == data[at])
        at++;
    ck_assert_msg(n == len && at == len,
                  "%s: differs from the output at byte %zu (got %zu bytes, "
                  "want %zu)",
                  name, at, len, n);
    free(want);
}

#endif
