/* case_regex: a guard in front of regcomp(3) for the regular expressions
 * of case files. glibc compiles bounded and stacked repetitions by
 * copying the repeated part ("a{1,200}" is 200 copies; "a++" nests), so a
 * few bytes of pattern can ask for gigabytes. This estimates the size of
 * the compiled expression and refuses patterns over a bound, and
 * refuses stacked repetition operators, whose meaning POSIX leaves
 * undefined anyway. */
#ifndef SMTPSUITE_CASE_REGEX_H
#define SMTPSUITE_CASE_REGEX_H

#include <stddef.h>

#define CASE_REGEX_MAX_COST   4096 /* estimated compiled size, in atoms */
#define CASE_REGEX_MAX_BOUND  255  /* largest n in {n} / {m,n} */
#define CASE_REGEX_MAX_GROUPS 32   /* nesting of ( ) */

/* Checks an ERE (NUL-terminated). Returns 0, or -1 with the byte offset
 * of the problem in *erroff and the reason in *why. */
int case_regex_check(const char *re, size_t *erroff, const char **why);

#endif
