/* case_expr: the expression grammar of case files, used inside ${...}
 * and after if, repeat, set, assert, bdat and `data msg size`:
 *
 *   expr    = or
 *   or      = and { "||" and }
 *   and     = eq { "&&" eq }
 *   eq      = rel { ( "==" | "!=" ) rel }
 *   rel     = add { ( "<" | "<=" | ">" | ">=" ) add }
 *   add     = mul { ( "+" | "-" ) mul }
 *   mul     = unary { ( "*" | "/" | "%" ) unary }
 *   unary   = ( "-" | "!" ) unary | primary
 *   primary = INT | STRING | NAME | NAME "(" [ expr { "," expr } ] ")"
 *           | "(" expr ")"
 *
 * Calls are checked against PROG_FUNCS (name and number of arguments).
 * Variables are not checked here: the case parser knows the scope. */
#ifndef SMTPSUITE_CASE_EXPR_H
#define SMTPSUITE_CASE_EXPR_H

#include <stddef.h>

#include "harness/prog.h"

#define CASE_EXPR_MAX_DEPTH 64   /* nesting of parentheses, calls, unary ops */
#define CASE_EXPR_MAX_STR   4096 /* bytes of one string literal */

struct case_expr_err {
    size_t off; /* byte offset in the line */
    char msg[200];
};

/* Parses an expression from line[*pos..n) (leading whitespace skipped);
 * stops before the first token that cannot continue it. Returns the
 * expression (caller frees with prog_expr_free) with *pos after it, or
 * NULL with err filled. lineno is recorded in the nodes. */
struct prog_expr *case_expr_parse(const char *line, size_t n, size_t *pos,
                                  int lineno, struct case_expr_err *err);

#endif
