/* atomic: write-to-temporary-then-rename for every report file. */
#include "reports/atomic.h"
#include "harness/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int atomic_open(struct atomic_file *af, const char *path, char *err,
                size_t errlen)
{
    memset(af, 0, sizeof *af);
    if (strcmp(path, "-") == 0) {
        af->fp = stdout;
        return 0;
    }
    af->path = xstrdup(path);
    af->tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    af->fp = fopen(af->tmp, "w");
    if (!af->fp) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        free(af->path);
        free(af->tmp);
        memset(af, 0, sizeof *af);
        return -1;
    }
    return 0;
}

int atomic_commit(struct atomic_file *af, char *err, size_t errlen)
{
    if (!af->path) {
        int bad = fflush(af->fp) != 0 || ferror(af->fp);
        af->fp = NULL;
        if (bad)
            snprintf(err, errlen, "standard output: write failed");
        return bad ? -1 : 0;
    }
    int bad = fflush(af->fp) != 0 || ferror(af->fp) || fsync(fileno(af->fp)) != 0;
    int saved = errno;
    if (fclose(af->fp) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    af->fp = NULL;
    if (!bad && rename(af->tmp, af->path) != 0) {
        bad = 1;
        saved = errno;
    }
    if (bad) {
        snprintf(err, errlen, "%s: write failed: %s", af->path, strerror(saved));
        unlink(af->tmp);
    }
    free(af->path);
    free(af->tmp);
    af->path = af->tmp = NULL;
    return bad ? -1 : 0;
}

void atomic_abort(struct atomic_file *af)
{
    if (af->fp && af->path)
        fclose(af->fp);
    if (af->tmp)
        unlink(af->tmp);
    free(af->path);
    free(af->tmp);
    memset(af, 0, sizeof *af);
}
