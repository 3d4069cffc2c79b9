/* diag: file:line:col error messages with the source line and a caret
 * (see diag.h). Bytes from the file are printed sanitised: a control
 * byte becomes '?', so a broken file cannot drive the terminal. */
#include "suite/diag.h"

#include <stdarg.h>
#include <string.h>

void diag_init(struct diag *d, FILE *fp)
{
    d->fp = fp;
    d->nerrors = 0;
}

int diag_col(const char *line, size_t off)
{
    int col = 1;
    for (size_t i = 0; i < off; i++)
        if (((unsigned char)line[i] & 0xC0) != 0x80)
            col++;
    return col;
}

/* Byte offset of character column col (1-based) in src[0..n). */
static size_t col_offset(const char *src, size_t n, int col)
{
    size_t i = 0;
    for (int c = 1; c < col && i < n; c++) {
        i++;
        while (i < n && ((unsigned char)src[i] & 0xC0) == 0x80)
            i++;
    }
    return i;
}

static void put_sanitised(FILE *fp, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        fputc(c == '\t' || c >= 0x20 ? (c == 0x7f ? '?' : c) : '?', fp);
    }
}

/* Prints the source line (a window of it around the caret when long)
 * and the caret line. */
static void print_source(FILE *fp, const struct diag_loc *loc)
{
    size_t n = loc->srclen, caret = col_offset(loc->src, n, loc->col);
    size_t from = 0;
    if (caret > DIAG_MAX_SRC / 2)
        from = caret - DIAG_MAX_SRC / 2;
    while (from > 0 && ((unsigned char)loc->src[from] & 0xC0) == 0x80)
        from--;
    size_t to = from + DIAG_MAX_SRC < n ? from + DIAG_MAX_SRC : n;
    char gutter[16];
    int w = snprintf(gutter, sizeof gutter, "%5d", loc->line);
    fprintf(fp, "%s | %s", gutter, from ? "..." : "");
    put_sanitised(fp, loc->src + from, to - from);
    fprintf(fp, "%s\n%*s | %s", to < n ? "..." : "", w, "", from ? "   " : "");
    for (size_t i = from; i < caret && i < n; i++) {
        unsigned char c = (unsigned char)loc->src[i];
        if ((c & 0xC0) != 0x80)
            fputc(c == '\t' ? '\t' : ' ', fp);
    }
    fputs("^\n", fp);
}

void diag_error(struct diag *d, const struct diag_loc *loc, const char *fmt,
                ...)
{
    d->nerrors++;
    if (!d->fp)
        return;
    char msg[DIAG_MAX_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(d->fp, "%s:%d:%d: ", loc->file, loc->line, loc->col);
    put_sanitised(d->fp, msg, strlen(msg));
    fputc('\n', d->fp);
    if (loc->src && !loc->hide_src)
        print_source(d->fp, loc);
}

void diag_plain(struct diag *d, const char *file, const char *fmt, ...)
{
    d->nerrors++;
    if (!d->fp)
        return;
    char msg[DIAG_MAX_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (file)
        fprintf(d->fp, "%s: ", file);
    put_sanitised(d->fp, msg, strlen(msg));
    fputc('\n', d->fp);
}

void diag_note(struct diag *d, const char *fmt, ...)
{
    if (!d->fp)
        return;
    char msg[DIAG_MAX_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fputs("      = ", d->fp);
    put_sanitised(d->fp, msg, strlen(msg));
    fputc('\n', d->fp);
}
