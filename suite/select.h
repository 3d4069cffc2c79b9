/* select: which parsed cases run. --id GLOB matches case ids with
 * fnmatch(3); --tags EXPR is a boolean expression over tags:
 *
 *   expr   = term { ( "or" | "," ) term }
 *   term   = factor { "and" factor }
 *   factor = "not" factor | "(" expr ")" | TAG
 *
 * where TAG is a tag name or a glob (cat:SYN-*) matched against each of
 * the case's tags. */
#ifndef SMTPSUITE_SELECT_H
#define SMTPSUITE_SELECT_H

#include <stdbool.h>
#include <stddef.h>

#define SELECT_MAX_DEPTH 64 /* nesting of not and parentheses */

struct select_tags; /* a parsed tag expression */

/* Parses expr; NULL with a one-line reason (naming the column) in err. */
struct select_tags *select_tags_parse(const char *expr, char *err,
                                      size_t errlen);
void select_tags_free(struct select_tags *s); /* NULL is a no-op */
/* True if the tags satisfy s (s NULL: true). */
bool select_tags_match(const struct select_tags *s, char *const *tags,
                       size_t ntags);
/* True if id matches one of the globs (none: true). */
bool select_id_match(char *const *globs, size_t nglobs, const char *id);

#endif
