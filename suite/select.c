/* select: id globs and the tag-expression language (see select.h): a
 * recursive-descent parser into a small tree, evaluated per case. */
#include "suite/select.h"
#include "harness/xalloc.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum sel_kind { SEL_TAG, SEL_NOT, SEL_AND, SEL_OR };

struct select_tags {
    enum sel_kind kind;
    char *tag;
    struct select_tags *a, *b;
};

struct sp {
    const char *s;
    size_t pos;
    int depth;
    char *err;
    size_t errlen;
    bool failed;
};

static bool tag_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c && strchr(":._-*?[]", c));
}

static void sp_fail(struct sp *p, const char *what)
{
    if (!p->failed)
        snprintf(p->err, p->errlen, "column %zu: %s", p->pos + 1, what);
    p->failed = true;
}

/* The next token: a word (its length) or one punctuation char. */
static size_t token(struct sp *p, const char **tok)
{
    while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t')
        p->pos++;
    *tok = p->s + p->pos;
    if (!**tok)
        return 0;
    if (strchr("(),", **tok))
        return 1;
    size_t n = 0;
    while (tag_char((*tok)[n]))
        n++;
    return n ? n : 1; /* a character no token has: parse_factor refuses it */
}

static bool next_is(struct sp *p, const char *w)
{
    const char *t;
    size_t n = token(p, &t);
    if (n != strlen(w) || memcmp(t, w, n) != 0)
        return false;
    p->pos += n;
    return true;
}

static struct select_tags *node(enum sel_kind k, struct select_tags *a,
                                struct select_tags *b)
{
    struct select_tags *s = xcalloc(1, sizeof *s);
    s->kind = k;
    s->a = a;
    s->b = b;
    return s;
}

static struct select_tags *parse_or(struct sp *p);

static struct select_tags *parse_factor(struct sp *p)
{
    if (++p->depth > SELECT_MAX_DEPTH) {
        sp_fail(p, "nested too deeply");
        return NULL;
    }
    struct select_tags *r = NULL;
    const char *t;
    size_t n = token(p, &t);
    if (next_is(p, "not")) {
        struct select_tags *a = parse_factor(p);
        r = a ? node(SEL_NOT, a, NULL) : NULL;
    } else if (next_is(p, "(")) {
        r = parse_or(p);
        if (r && !next_is(p, ")")) {
            sp_fail(p, "want ')'");
            select_tags_free(r);
            r = NULL;
        }
    } else if (n == 0 || !tag_char(*t) || (n == 3 && !memcmp(t, "and", 3)) ||
               (n == 2 && !memcmp(t, "or", 2))) {
        sp_fail(p, *t ? "want a tag, 'not' or '('" : "a tag is missing");
    } else {
        r = node(SEL_TAG, NULL, NULL);
        r->tag = xstrndup(t, n);
        p->pos += n;
    }
    p->depth--;
    return r;
}

static struct select_tags *parse_and(struct sp *p)
{
    struct select_tags *l = parse_factor(p);
    while (l && next_is(p, "and")) {
        struct select_tags *r = parse_factor(p);
        if (!r) {
            select_tags_free(l);
            return NULL;
        }
        l = node(SEL_AND, l, r);
    }
    return l;
}

static struct select_tags *parse_or(struct sp *p)
{
    struct select_tags *l = parse_and(p);
    while (l && (next_is(p, "or") || next_is(p, ","))) {
        struct select_tags *r = parse_and(p);
        if (!r) {
            select_tags_free(l);
            return NULL;
        }
        l = node(SEL_OR, l, r);
    }
    return l;
}

struct select_tags *select_tags_parse(const char *expr, char *err,
                                      size_t errlen)
{
    struct sp p = {expr, 0, 0, err, errlen, false};
    struct select_tags *s = parse_or(&p);
    const char *t;
    if (s && token(&p, &t) > 0) {
        sp_fail(&p, "want 'and', 'or', ',' or the end");
        select_tags_free(s);
        return NULL;
    }
    return s;
}

void select_tags_free(struct select_tags *s)
{
    if (!s)
        return;
    select_tags_free(s->a);
    select_tags_free(s->b);
    free(s->tag);
    free(s);
}

bool select_tags_match(const struct select_tags *s, char *const *tags,
                       size_t ntags)
{
    if (!s)
        return true;
    switch (s->kind) {
    case SEL_TAG:
        for (size_t i = 0; i < ntags; i++)
            if (fnmatch(s->tag, tags[i], 0) == 0)
                return true;
        return false;
    case SEL_NOT:
        return !select_tags_match(s->a, tags, ntags);
    case SEL_AND:
        return select_tags_match(s->a, tags, ntags) &&
               select_tags_match(s->b, tags, ntags);
    default:
        return select_tags_match(s->a, tags, ntags) ||
               select_tags_match(s->b, tags, ntags);
    }
}

bool select_id_match(char *const *globs, size_t nglobs, const char *id)
{
    if (nglobs == 0)
        return true;
    for (size_t i = 0; i < nglobs; i++)
        if (fnmatch(globs[i], id, 0) == 0)
            return true;
    return false;
}
