/* libFuzzer target for the case parser (suite/case_parse.c): any bytes
 * as a case file. Includes resolve against a tiny in-memory tree, so
 * the fuzzer reaches include handling without touching the disk. Inputs
 * not starting with "id:" are step bodies after a fixed header. What
 * the parser accepts must be a well-formed program: a wrong answer is
 * a crash, not only a memory error. */
#include "suite/case_parse.h"
#include "harness/xalloc.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int mem_read(void *arg, const char *path, char **buf, size_t *len,
                    char *err, size_t errlen)
{
    static const struct {
        const char *path, *text;
    } F[] = {
        {"inc/env.inc", "C: MAIL FROM:<${sender}>\nS: 250\n"},
        {"x.inc", "include \"x.inc\"\n"},
        {"open.inc", "repeat 2 {\n"},
    };
    for (size_t i = 0; i < sizeof F / sizeof F[0]; i++)
        if (strcmp(path, F[i].path) == 0) {
            *buf = xstrdup(F[i].text);
            *len = strlen(F[i].text);
            return 0;
        }
    snprintf(err, errlen, "no such file");
    return -1;
}

static void check(const struct prog_case *c)
{
    assert(c->id && c->title && c->rfc && c->hash && c->nsteps > 0);
    assert(c->key_step < (int)c->nsteps);
    for (size_t i = 0; i < c->nsteps; i++) {
        const struct prog_step *s = &c->steps[i];
        assert(s->file && s->text && s->line > 0 && s->col > 0);
        assert(s->conn < (int)c->nconns);
        assert(s->jump < (int)c->nsteps);
        if (s->kind == PROG_STEP_PIPE_BEGIN ||
            s->kind == PROG_STEP_REPEAT_BEGIN)
            assert(s->jump > (int)i && c->steps[s->jump].jump == (int)i);
        if (s->kind == PROG_STEP_EXPECT)
            assert(s->expect.nalts > 0);
    }
#ifdef SMTPSUITE_FUZZ_CANARY
    /* Planted bug: proves the fuzzer reaches an accepted program whose key
     * assertion holds a compiled regex alternative and a reply time the
     * fuzzer changed: the seeds body-key-regex and body-graded-regex wait
     * 2s, one integer away (no digit comes before it in the first). */
    if (c->key_step >= 0) {
        const struct prog_expect *e = &c->steps[c->key_step].expect;
        for (size_t i = 0; i < e->nalts; i++)
            if (e->alts[i].re && e->within_us && e->within_us != 2000000)
                abort();
    }
#endif
}

/* A header that parses, for inputs that are only steps. */
static const char HEADER[] = "id: fuzz.body.case\ntitle: t\nrfc: RFC 5321\n"
                             "severity: must\ntags: fuzz\n"
                             "fixtures: sender rcpt\nopen\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An input that starts with "id:" is a whole case file; any other is
     * a step body after HEADER, so mutations spend themselves on steps
     * rather than on breaking the required headers. */
    bool whole = size >= 3 && memcmp(data, "id:", 3) == 0;
    size_t hn = whole ? 0 : sizeof HEADER - 1;
    char *buf = xmalloc(hn + size + 1);
    memcpy(buf, HEADER, hn);
    memcpy(buf + hn, data, size);
    struct diag d;
    diag_init(&d, NULL);
    struct case_parse_params p = {"t.smtp", buf, hn + size, mem_read, NULL};
    struct prog_case *c = case_parse(&p, &d);
    assert((c != NULL) == (d.nerrors == 0));
    if (c)
        check(c);
    prog_case_free(c);
    free(buf);
    return 0;
}
