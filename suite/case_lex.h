/* case_lex: the lexical layer of case, suite and target files, over a
 * buffer (no I/O). Files are split into lines (LF or CRLF; the
 * terminator is not part of the line); a line is checked for bytes a
 * text file must not hold; a cursor hands out tokens of one line.
 *
 * Tokens: words (letters, digits and _ . : - @ * ? [ ] + ~), "quoted
 * strings" with escapes, /regular expressions/, punctuation (| { } = ,
 * ( ) ! ->), heredoc openers <<WORD and expression openers ${. A '#'
 * after whitespace starts a comment that runs to the end of the line. */
#ifndef SMTPSUITE_CASE_LEX_H
#define SMTPSUITE_CASE_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/buf.h"

#define LEX_MAX_LINE 16384 /* bytes in one line of a file */

/* ---- lines ---------------------------------------------------------- */

struct lex_src {
    const char *buf;
    size_t len, pos;
    int lineno; /* of the last line returned */
};

struct lex_line {
    const char *p; /* points into the buffer */
    size_t len;    /* without LF or CRLF */
    int lineno;    /* 1-based */
    bool crlf;     /* ended with CRLF */
};

void lex_src_init(struct lex_src *s, const char *buf, size_t len);
/* Returns the next line in *l: 1, or 0 at the end of the buffer. */
int lex_next_line(struct lex_src *s, struct lex_line *l);
/* Checks that a line is UTF-8 without control bytes (TAB allowed) and
 * not longer than LEX_MAX_LINE. Returns -1 when it is, else the byte
 * offset of the first bad byte with the reason in *why. */
long lex_check_line(const char *p, size_t n, const char **why);

/* ---- tokens --------------------------------------------------------- */

enum lex_kind {
    LEX_END, /* end of line or a comment */
    LEX_WORD,
    LEX_STRING,  /* "...": span includes the quotes */
    LEX_REGEX,   /* /.../ with optional flags after the closing slash */
    LEX_PUNCT,   /* | { } = , ( ) ! -> */
    LEX_HEREDOC, /* <<WORD: span includes the << */
    LEX_EXPR,    /* "${": the expression starts at off + 2 */
    LEX_BAD,     /* a byte no token starts with */
};

struct lex_tok {
    enum lex_kind kind;
    size_t off, len; /* span in the line */
};

/* A cursor over one line. */
struct lex {
    const char *p;
    size_t n, pos;
    size_t end; /* end of the last token read (comments excluded) */
};

void lex_init(struct lex *x, const char *p, size_t n, size_t pos);
/* Reads the next token; x->pos moves past it. */
void lex_next(struct lex *x, struct lex_tok *t);
/* Moves the cursor to pos, past a token read by other means. */
void lex_seek(struct lex *x, size_t pos);
/* Like lex_next without moving. */
void lex_peek(const struct lex *x, struct lex_tok *t);
/* True when only whitespace or a comment is left. */
bool lex_at_end(const struct lex *x);
/* True if t is the word w (exact). */
bool lex_is(const struct lex *x, const struct lex_tok *t, const char *w);
/* True if t is punctuation p. */
bool lex_punct(const struct lex *x, const struct lex_tok *t, const char *p);

/* Decodes the quoted string at p[0] ('"') within p[0..n): escapes \r \n
 * \t \0 \\ \" \xNN. Appends the bytes to out and sets *end past the
 * closing quote. Returns 0, or -1 with *erroff (offset from p) and *why. */
int lex_string(const char *p, size_t n, struct buf *out, size_t *end,
               size_t *erroff, const char **why);
/* Decodes the /regex/ at p[0] ('/') within p[0..n): "\/" is a slash and
 * "\n" the line break between reply lines; every other backslash pair
 * is kept for regcomp. Flags after the closing slash: 'i' (ignore case).
 * Returns 0, or -1 with *erroff and *why. */
int lex_regex(const char *p, size_t n, struct buf *out, bool *icase,
              size_t *end, size_t *erroff, const char **why);

#endif
