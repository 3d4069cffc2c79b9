/* text: strings of the result model made safe for report files. Titles,
 * reasons, target names and the like may hold any bytes; the writers
 * pass every string through here before libxml2 or the HTML page sees
 * it, so a report is valid UTF-8 and XML 1.0 whatever the input. */
#ifndef SMTPSUITE_TEXT_H
#define SMTPSUITE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "harness/buf.h"

#define TEXT_ID_MAX         1024  /* ids, names, classnames, property values */
#define TEXT_FIELD_MAX      65536 /* a reason, a reply, an expectation */
#define TEXT_CUT_SUFFIX_MAX 48    /* "...[N bytes in all]" added past a max */
#define TEXT_SECONDS_LEN    32

/* Appends s made valid UTF-8 and XML 1.0, escaped visibly in the form of
 * harness/bytes.h: every byte of an invalid sequence (overlong, surrogate,
 * stray continuation, past U+10FFFF) and of a character that XML or HTML
 * rejects or discourages (C0 and C1 controls but TAB and LF, DEL,
 * noncharacters such as U+FFFE) becomes "\xNN"; CR becomes "\r".
 * Backslashes stay, so strings already in escaped form pass unchanged.
 * At most max bytes come from s; past that the text is cut at a character
 * and "...[N bytes in all]" follows. NULL appends nothing. */
void text_clean(struct buf *out, const char *s, size_t max);
/* The same as a new string (caller frees). */
char *text_clean_dup(const char *s, size_t max);
/* text_clean, then & < > " ' as entities: the one escaper of the HTML
 * report and its charts. */
void text_html(struct buf *out, const char *s, size_t max);
/* Microseconds as seconds with a dot and six decimals ("0.012345"),
 * whatever the locale; negative times give "0.000000". */
void text_seconds(int64_t us, char out[TEXT_SECONDS_LEN]);

#endif
