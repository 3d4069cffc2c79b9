/* verdict: the verdicts, error categories and exit codes of DESIGN.md,
 * defined once. Every verb computes its exit code here. */
#ifndef SMTPSUITE_VERDICT_H
#define SMTPSUITE_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Order matters: a worse verdict has a larger "rank" (verdict_rank). */
#define VERDICT_LIST(X)                                                        \
    X(PASS, "PASS")                                                            \
    X(WARN, "WARN")                                                            \
    X(FAIL, "FAIL")                                                            \
    X(ERROR, "ERROR")                                                          \
    X(SKIP, "SKIP")                                                            \
    X(XFAIL, "XFAIL")                                                          \
    X(XPASS, "XPASS")                                                          \
    X(NOTRUN, "NOTRUN")

enum verdict {
#define X(e, s) VERDICT_##e,
    VERDICT_LIST(X)
#undef X
        VERDICT_COUNT
};

/* Why a case could not be tested (ERROR), or none. */
#define ERRCAT_LIST(X)                                                         \
    X(NONE, "")                                                                \
    X(CONNECT, "connect")                                                      \
    X(TLS, "tls")                                                              \
    X(TIMEOUT, "timeout")                                                      \
    X(TEMPFAIL, "tempfail")                                                    \
    X(PROTOCOL, "protocol")                                                    \
    X(INTERNAL, "internal")

enum errcat {
#define X(e, s) ERRCAT_##e,
    ERRCAT_LIST(X)
#undef X
        ERRCAT_COUNT
};

/* Exit codes, every verb (DESIGN.md "Exit codes"). */
enum exit_code {
    EXIT_OK = 0,
    EXIT_FAILED = 1,       /* run: a case FAILed; compare: a new failure */
    EXIT_USAGE = 2,        /* usage, case-file, suite or target error */
    EXIT_INCONCLUSIVE = 3, /* errors only / all skipped / nothing measured */
    EXIT_THRESHOLD = 99,   /* load/merge: a threshold breached */
    EXIT_INTERRUPTED = 130,
};

const char *verdict_name(enum verdict v);
/* Case-insensitive; 0 on success, -1 if unknown. */
int verdict_parse(const char *s, enum verdict *v);
const char *errcat_name(enum errcat c);
int errcat_parse(const char *s, enum errcat *c);
/* For combining step grades into a case verdict: PASS < WARN < FAIL. */
enum verdict verdict_worse(enum verdict a, enum verdict b);

struct verdict_counts {
    uint64_t n[VERDICT_COUNT];
};

/* Which verdicts besides FAIL make a run exit 1: a bit per verdict. */
struct verdict_policy {
    unsigned fail_on; /* (1u << VERDICT_x) bits */
};

#define VERDICT_BIT(v) (1u << (v))
/* --strict: WARN and XPASS fail the run too. */
#define VERDICT_STRICT_MASK (VERDICT_BIT(VERDICT_WARN) | VERDICT_BIT(VERDICT_XPASS))

/* Parses a comma-separated verdict list ("warn,skip") into bits; 0 on
 * success, -1 with the bad word in err. */
int verdict_parse_mask(const char *s, unsigned *mask, char *err, size_t errlen);

/* The exit code of run/check from the counts (DESIGN.md table). */
enum exit_code verdict_run_exit(const struct verdict_counts *c,
                                const struct verdict_policy *p,
                                bool interrupted);

#endif
