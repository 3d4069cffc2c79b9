/* manifest: .suite files into an ordered list of entries (see
 * manifest.h). */
#include "suite/manifest.h"
#include "suite/case_lex.h"
#include "harness/xalloc.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mp {
    struct manifest *m;
    struct diag *d;
    case_read_fn read;
    void *arg;
    const char *chain[MANIFEST_MAX_DEPTH + 1];
    int depth;
    size_t errors0;
};

static void merr(struct mp *mp, const char *file, const struct lex_line *l,
                 size_t off, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void merr(struct mp *mp, const char *file, const struct lex_line *l,
                 size_t off, const char *fmt, ...)
{
    char msg[DIAG_MAX_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct diag_loc loc = {file, l->lineno, diag_col(l->p, off),
                           l->p, l->len,    false};
    diag_error(mp->d, &loc, "%s", msg);
}

void manifest_error(struct diag *d, const struct manifest_entry *e,
                    const char *fmt, ...)
{
    char msg[DIAG_MAX_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct diag_loc loc = {e->file, e->line,        e->col,
                           e->src,  strlen(e->src), false};
    diag_error(d, &loc, "%s", msg);
}

static const char *add_file(struct manifest *m, const char *name)
{
    xgrow(&m->files, &m->capfiles, m->nfiles + 1, sizeof *m->files);
    m->files[m->nfiles] = xstrdup(name);
    return m->files[m->nfiles++];
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static int parse_file(struct mp *mp, const char *file, const char *buf,
                      size_t len);

/* Follows an included manifest. */
static int include(struct mp *mp, const char *file, const struct lex_line *l,
                   size_t off, const char *rel)
{
    char *path = case_path_join(file, rel);
    char chain[1024] = "", err[256];
    for (int i = 0; i < mp->depth; i++)
        snprintf(chain + strlen(chain), sizeof chain - strlen(chain), "%s -> ",
                 mp->chain[i]);
    snprintf(chain + strlen(chain), sizeof chain - strlen(chain), "%s", path);
    int rc = -1;
    char *buf = NULL;
    size_t len = 0;
    bool cycle = false;
    for (int i = 0; i < mp->depth; i++) {
        char *norm = case_path_join("", mp->chain[i]);
        cycle |= strcmp(norm, path) == 0;
        free(norm);
    }
    if (cycle)
        merr(mp, file, l, off, "suite include cycle: %s", chain);
    else if (mp->depth > MANIFEST_MAX_DEPTH)
        merr(mp, file, l, off, "suites nested deeper than %d: %s",
             MANIFEST_MAX_DEPTH, chain);
    else if (mp->read(mp->arg, path, &buf, &len, err, sizeof err) != 0)
        merr(mp, file, l, off, "cannot include '%s': %s", path, err);
    else if (len > MANIFEST_MAX_FILE)
        merr(mp, file, l, off, "cannot include '%s': larger than 1 MiB", path);
    else
        rc = parse_file(mp, add_file(mp->m, path), buf, len);
    free(buf);
    free(path);
    return rc;
}

/* The entry text at l[i..): a "quoted" path or one word, then nothing. */
static int entry_text(struct mp *mp, const char *file, const struct lex_line *l,
                      size_t i, struct buf *out)
{
    struct lex x;
    struct lex_tok t;
    lex_init(&x, l->p, l->len, i);
    lex_next(&x, &t);
    size_t end, erroff;
    const char *why;
    if (t.kind == LEX_STRING) {
        if (lex_string(l->p + t.off, t.len, out, &end, &erroff, &why) != 0) {
            merr(mp, file, l, t.off + erroff, "%s", why);
            return -1;
        }
    } else {
        size_t e = i;
        while (e < l->len && l->p[e] != ' ' && l->p[e] != '\t')
            e++;
        buf_add(out, l->p + i, e - i);
        lex_seek(&x, e);
    }
    if (!lex_at_end(&x)) {
        lex_next(&x, &t);
        merr(mp, file, l, t.off,
             "one entry per line (quote a path with "
             "spaces)");
        return -1;
    }
    if (out->len == 0 || memchr(buf_str(out), '\0', out->len)) {
        merr(mp, file, l, i, "an empty entry");
        return -1;
    }
    return 0;
}

static void add_entry(struct mp *mp, const char *file, const struct lex_line *l,
                      size_t i, const char *v)
{
    struct manifest *m = mp->m;
    size_t n = strlen(v);
    bool path = strchr(v, '/') || ends_with(v, n, ".smtp");
    xgrow(&m->v, &m->cap, m->n + 1, sizeof *m->v);
    struct manifest_entry *e = &m->v[m->n++];
    e->kind = !path ? MANIFEST_ID
                    : (strpbrk(v, "*?[") ? MANIFEST_GLOB : MANIFEST_PATH);
    e->value = path ? case_path_join(file, v) : xstrdup(v);
    e->file = file;
    e->line = l->lineno;
    e->col = diag_col(l->p, i);
    e->src = xstrndup(l->p, l->len);
}

static void mline(struct mp *mp, const char *file, const struct lex_line *l)
{
    const char *why;
    long bad = lex_check_line(l->p, l->len, &why);
    if (bad >= 0) {
        merr(mp, file, l, (size_t)bad, "%s", why);
        return;
    }
    size_t i = 0;
    while (i < l->len && (l->p[i] == ' ' || l->p[i] == '\t'))
        i++;
    if (i == l->len || l->p[i] == '#')
        return;
    bool inc = l->len - i > 8 && memcmp(l->p + i, "include", 7) == 0 &&
               (l->p[i + 7] == ' ' || l->p[i + 7] == '\t');
    size_t at = i;
    if (inc)
        for (at = i + 7; at < l->len && (l->p[at] == ' ' || l->p[at] == '\t');)
            at++;
    struct buf v;
    buf_init(&v, 4096);
    if (entry_text(mp, file, l, at, &v) == 0) {
        const char *s = buf_str(&v);
        if (inc || ends_with(s, v.len, ".suite")) {
            mp->chain[mp->depth++] = file;
            include(mp, file, l, at, s);
            mp->depth--;
        } else {
            add_entry(mp, file, l, at, s);
        }
    }
    buf_free(&v);
}

static int parse_file(struct mp *mp, const char *file, const char *buf,
                      size_t len)
{
    struct lex_src src;
    struct lex_line l;
    lex_src_init(&src, buf, len);
    while (lex_next_line(&src, &l))
        mline(mp, file, &l);
    return mp->d->nerrors > mp->errors0 ? -1 : 0;
}

int manifest_parse(const char *file, const char *buf, size_t len,
                   case_read_fn read, void *arg, struct manifest *m,
                   struct diag *d)
{
    struct mp mp = {
        .m = m, .d = d, .read = read, .arg = arg, .errors0 = d->nerrors};
    if (len > MANIFEST_MAX_FILE) {
        diag_plain(d, file, "larger than 1 MiB: not a suite");
        return -1;
    }
    return parse_file(&mp, add_file(m, file), buf, len);
}

void manifest_free(struct manifest *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].value);
        free(m->v[i].src);
    }
    free(m->v);
    for (size_t i = 0; i < m->nfiles; i++)
        free(m->files[i]);
    free(m->files);
    memset(m, 0, sizeof *m);
}
