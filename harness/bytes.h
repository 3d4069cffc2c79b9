/* bytes: the one escaped form of wire bytes. Transcripts, step records
 * and reports hold bytes from the network in this form, so nothing a
 * server sends reaches a terminal, a JSON string, an XML file or an HTML
 * page raw. Printable ASCII stays itself, except backslash; CR, LF and
 * TAB become \r \n \t; backslash becomes \\; every other byte becomes
 * \xNN (lower-case hex). The form is pure ASCII and reversible. */
#ifndef SMTPSUITE_BYTES_H
#define SMTPSUITE_BYTES_H

#include <stddef.h>
#include "harness/buf.h"

/* Appends the escaped form of p[0..n) to out; BUF_TOOBIG when the
 * bound is hit (what fitted stays). */
enum buf_status bytes_escape(struct buf *out, const void *p, size_t n);
/* Returns a new escaped string of p[0..n) (caller frees). */
char *bytes_escape_dup(const void *p, size_t n);
/* Decodes an escaped string into out; returns -1 on a malformed escape
 * (out then holds what was decoded before it), else 0. */
int bytes_unescape(struct buf *out, const char *s);
/* Nonzero if s is already in escaped form (pure printable ASCII with
 * well-formed escapes). */
int bytes_is_escaped(const char *s);
/* Where the octets t[0..k) first occur in p[0..n) (NULs are octets
 * like any other): their offset, 0 when k is 0, or -1. */
long bytes_find(const void *p, size_t n, const void *t, size_t k);

#endif
