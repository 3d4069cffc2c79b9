/* xalloc: allocation that never returns NULL, and fatal() for broken
 * invariants. Out of memory is the one error library code does not
 * return as a value (STYLE.md rule 9). */
#ifndef SMTPSUITE_XALLOC_H
#define SMTPSUITE_XALLOC_H

#include <stddef.h>

/* Each returns memory the caller owns and frees with free(). */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);              /* xstrdup(NULL) is NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows *arr (elements of size elem) so that index need-1 fits; *cap is
 * the current capacity in elements. */
void xgrow(void *arrp, size_t *cap, size_t need, size_t elem);

/* Prints "smtpsuite: fatal: ..." to stderr and aborts. */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
