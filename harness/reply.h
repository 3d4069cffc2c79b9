/* reply: the sans-I/O SMTP reply parser (RFC 5321 section 4.2).
 *
 * reply_parse() is stateless: give it every unconsumed byte the server
 * sent, from the start of a reply, and it says NEED_MORE, DONE (with the
 * reply's size in bytes) or ERROR. It never allocates and never touches
 * a socket; line texts are offsets into the caller's buffer, valid while
 * the caller keeps those bytes. Feeding a reply byte by byte and feeding
 * it whole give the same answer.
 *
 * Every limit has a name. A server going past one is a finding reported
 * as an error, never a reason to buffer more. */
#ifndef SMTPSUITE_REPLY_H
#define SMTPSUITE_REPLY_H

#include <stddef.h>
#include <stdint.h>

#define REPLY_RFC_LINE 512    /* RFC 5321 4.5.3.1.5: reply line incl. CRLF */
#define REPLY_MAX_LINE 8192   /* longer lines are an error, not buffered */
#define REPLY_MAX_LINES 512   /* lines in one multi-line reply */
#define REPLY_MAX_SIZE 65536  /* bytes in one whole reply */
#define REPLY_ESC_MAX 16      /* "5.123.456" fits */

enum reply_status {
    REPLY_ERROR = -1,
    REPLY_NEED_MORE = 0,
    REPLY_DONE = 1,
};

/* Findings about a reply that could still be read (flags). */
#define REPLY_FLAG_LIST(X)                                                     \
    X(BARE_LF, 0, "line ended with a bare LF, not CRLF")                       \
    X(BARE_CR, 1, "bare CR inside a reply line")                               \
    X(MIXED_CODES, 2, "lines of a multi-line reply carry different codes")     \
    X(LONG_LINE, 3, "reply line longer than 512 octets")                       \
    X(CTRL, 4, "control character in reply text")                             \
    X(EIGHTBIT, 5, "8-bit byte in reply text")                                 \
    X(BAD_CODE, 6, "reply code outside the RFC 5321 grammar (2-5, 0-5, 0-9)") \
    X(BAD_SEP, 7, "code followed by neither space nor hyphen")                 \
    X(NO_SP, 8, "final line is a bare code without a space")

enum reply_flag {
#define X(e, bit, text) REPLY_F_##e = 1u << (bit),
    REPLY_FLAG_LIST(X)
#undef X
};

/* Why a reply could not be read (errors). */
#define REPLY_ERROR_LIST(X)                                                    \
    X(NONE, "no error")                                                        \
    X(SYNTAX, "reply line does not start with a three-digit code")             \
    X(LINE_TOO_LONG, "reply line longer than 8192 octets")                     \
    X(TOO_MANY_LINES, "multi-line reply longer than 512 lines")                \
    X(TOO_BIG, "reply larger than 65536 octets")

enum reply_error {
#define X(e, text) REPLY_ERR_##e,
    REPLY_ERROR_LIST(X)
#undef X
};

struct reply_line {
    uint32_t off; /* text after "NNN-" / "NNN ", from the buffer start */
    uint32_t len; /* without the line ending */
};

struct reply {
    int code;               /* of the final line; 0 if none yet */
    unsigned flags;         /* REPLY_F_* */
    enum reply_error error; /* set when reply_parse returns REPLY_ERROR */
    size_t size;            /* bytes of the whole reply, on DONE */
    unsigned nlines;
    struct reply_line line[REPLY_MAX_LINES];
    char esc[REPLY_ESC_MAX]; /* enhanced status code of line 1, or "" */
};

/* Parses one reply from buf[0..len). See the top of this file. */
enum reply_status reply_parse(const char *buf, size_t len, struct reply *r);

/* Finds an RFC 3463 enhanced status code at the start of text (class
 * 2, 4 or 5; subject and detail of 1-3 digits; then a space or the end).
 * Copies it to out and returns its length, or returns 0. */
size_t reply_find_esc(const char *text, size_t len, char out[REPLY_ESC_MAX]);

const char *reply_error_text(enum reply_error e);
/* Writes the texts of the flags set in flags, "; "-separated. */
void reply_flags_text(unsigned flags, char *out, size_t outlen);

/* EHLO replies (RFC 5321 4.1.1.1): the first line is the domain, every
 * further line "keyword *(SP param)". Keywords compare case-insensitively. */

/* Finds keyword kw (case-insensitive) in an EHLO reply parsed from buf.
 * Returns 1 and sets *params and *plen to the text after the keyword (no
 * leading space; may be empty), or returns 0. */
int reply_ehlo_find(const struct reply *r, const char *buf, const char *kw,
                    const char **params, size_t *plen);
/* Nonzero if the EHLO reply lists kw and, when param is non-NULL, lists
 * param among kw's space-separated parameters (e.g. "AUTH", "PLAIN"). */
int reply_ehlo_has(const struct reply *r, const char *buf, const char *kw,
                   const char *param);
/* Checks the ehlo-ok-rsp grammar; returns 0, or -1 with the first problem
 * (naming the line) in err. */
int reply_ehlo_check(const struct reply *r, const char *buf, char *err,
                     size_t errlen);

#endif
