/* load: command-line paths to compiled cases (see load.h). Resolves each
 * path (a case file, a folder walked recursively and sorted by path, a
 * .suite manifest, or a suite name looked up in CASES_DIR/suites, where
 * load_cases_dir picks CASES_DIR), reads and parses every case file once
 * (a file named twice runs once), then
 * refuses duplicate ids and applies --id and --tags. Every error of every
 * file is printed before it returns. */
#include "suite/load.h"
#include "suite/case_parse.h"
#include "suite/diag.h"
#include "suite/manifest.h"
#include "suite/select.h"
#include "suite/target_file.h"
#include "harness/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOAD_MAX_DEPTH 32 /* folder nesting */

/* The installed case library (the install prefix's share/smtpsuite/cases),
 * compiled in by CMakeLists.txt. */
#ifndef SMTPSUITE_CASES_INSTALL_DIR
#error "SMTPSUITE_CASES_INSTALL_DIR must name the installed case library"
#endif

struct lfile {
    char *path;
    dev_t dev;
    ino_t ino;
    char *buf; /* kept for messages about the case after parsing */
    size_t len;
    struct prog_case *c; /* NULL when it did not parse */
    bool in_run;
};

/* A library an id entry is looked up in, walked once: the cases under
 * dir, as indexes into the loader's files. */
struct lroot {
    char *dir;
    size_t *lib;
    size_t nlib, caplib;
};

struct loader {
    const struct load_params *p;
    struct diag d;
    struct lfile *files;
    size_t nfiles, capfiles;
    size_t *run; /* indexes into files, in the order given */
    size_t nrun, caprun;
    const char *cases_dir;
    struct lroot *roots; /* libraries walked for id entries */
    size_t nroots, caproots;
    char **manifests; /* manifest paths read, for the file count */
    size_t nmanifests, capmanifests;
};

/* Reads at most max bytes of path into a new NUL-terminated buffer. */
static int read_file(const char *path, size_t max, char **buf, size_t *len,
                     char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s", strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *b = xmalloc(cap + 1);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            b = xrealloc(b, cap + 1);
        }
        size_t k = fread(b + n, 1, cap - n, f);
        n += k;
        if (n > max || k == 0)
            break;
    }
    int failed = ferror(f), e = errno;
    fclose(f);
    if (failed || n > max) {
        snprintf(err, errlen, "%s", failed ? strerror(e) : "too large");
        free(b);
        return -1;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

static int read_cb(void *arg, const char *path, char **buf, size_t *len,
                   char *err, size_t errlen)
{
    return read_file(path, CASE_MAX_FILE + 1, buf, len, err, errlen);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* ---- case files ----------------------------------------------------- */

/* The file entry for path (stat in st), parsed on first sight. */
static struct lfile *file_entry(struct loader *L, const char *path,
                                const struct stat *st)
{
    for (size_t i = 0; i < L->nfiles; i++)
        if (L->files[i].dev == st->st_dev && L->files[i].ino == st->st_ino)
            return &L->files[i];
    xgrow(&L->files, &L->capfiles, L->nfiles + 1, sizeof *L->files);
    struct lfile *f = &L->files[L->nfiles++];
    memset(f, 0, sizeof *f);
    f->path = xstrdup(path);
    f->dev = st->st_dev;
    f->ino = st->st_ino;
    char err[256];
    if (read_file(path, CASE_MAX_FILE, &f->buf, &f->len, err, sizeof err)) {
        diag_plain(&L->d, path, "cannot read: %s", err);
        return f;
    }
    struct case_parse_params cp = {path, f->buf, f->len, read_cb, L};
    f->c = case_parse(&cp, &L->d);
    return f;
}

static void add_case_file(struct loader *L, const char *path,
                          const struct stat *st)
{
    struct lfile *f = file_entry(L, path, st);
    if (f->in_run)
        return;
    f->in_run = true;
    xgrow(&L->run, &L->caprun, L->nrun + 1, sizeof *L->run);
    L->run[L->nrun++] = (size_t)(f - L->files);
}

struct paths {
    char **v;
    size_t n, cap;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts n strings; none is fine (qsort wants a valid pointer even then,
 * and an empty folder leaves v NULL). */
static void sort_strs(char **v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_str);
}

/* Collects every file ending in suffix under dir (hidden entries
 * skipped). */
static void collect(struct diag *d, const char *dir, const char *suffix,
                    int depth, struct paths *out)
{
    if (depth > LOAD_MAX_DEPTH) {
        diag_plain(d, dir, "folders nested deeper than %d", LOAD_MAX_DEPTH);
        return;
    }
    DIR *dp = opendir(dir);
    if (!dp) {
        diag_plain(d, dir, "cannot read the folder: %s", strerror(errno));
        return;
    }
    struct dirent *de;
    while ((de = readdir(dp))) {
        if (de->d_name[0] == '.')
            continue;
        char *p = xasprintf("%s%s%s", dir, ends_with(dir, "/") ? "" : "/",
                            de->d_name);
        struct stat st;
        int rc = stat(p, &st);
        if (rc == 0 && S_ISDIR(st.st_mode)) {
            collect(d, p, suffix, depth + 1, out);
        } else if (rc == 0 && S_ISREG(st.st_mode) && ends_with(p, suffix)) {
            xgrow(&out->v, &out->cap, out->n + 1, sizeof *out->v);
            out->v[out->n++] = p;
            continue;
        }
        free(p);
    }
    closedir(dp);
}

/* Every .smtp under dir, sorted by path; their indexes go to run (and
 * to lib when lib is set). */
static void walk(struct loader *L, const char *dir, struct lroot *root)
{
    struct paths ps = {0};
    collect(&L->d, dir, ".smtp", 0, &ps);
    sort_strs(ps.v, ps.n);
    for (size_t i = 0; i < ps.n; i++) {
        struct stat st;
        if (stat(ps.v[i], &st) == 0) {
            if (!root) {
                add_case_file(L, ps.v[i], &st);
            } else {
                struct lfile *f = file_entry(L, ps.v[i], &st);
                xgrow(&root->lib, &root->caplib, root->nlib + 1,
                      sizeof *root->lib);
                root->lib[root->nlib++] = (size_t)(f - L->files);
            }
        }
        free(ps.v[i]);
    }
    free(ps.v);
}

char **load_find(const char *dir, const char *suffix, size_t *n, FILE *errfp)
{
    struct diag d;
    diag_init(&d, errfp);
    struct paths ps = {0};
    collect(&d, dir, suffix, 0, &ps);
    sort_strs(ps.v, ps.n);
    *n = ps.n;
    return ps.v;
}

/* ---- manifests ------------------------------------------------------ */

static void add_manifest(struct loader *L, const char *path);

/* The library an id entry of the manifest `file` is looked up in: the
 * folder above it when the manifest sits in a library's suites/ folder
 * (a suite belongs to the library it ships with, wherever that is),
 * else the search path's library. Walked once. */
static struct lroot *library_of(struct loader *L, const char *file)
{
    char *dir = NULL;
    const char *slash = strrchr(file, '/');
    if (slash && slash - file >= 6 && strncmp(slash - 6, "suites", 6) == 0 &&
        (slash - file == 6 || slash[-7] == '/'))
        dir = slash - file == 6 ? xstrdup(".")
                                : xasprintf("%.*s", (int)(slash - file - 7), file);
    if (!dir || !*dir) {
        free(dir);
        dir = xstrdup(L->cases_dir);
    }
    for (size_t i = 0; i < L->nroots; i++)
        if (strcmp(L->roots[i].dir, dir) == 0) {
            free(dir);
            return &L->roots[i];
        }
    xgrow(&L->roots, &L->caproots, L->nroots + 1, sizeof *L->roots);
    struct lroot *r = &L->roots[L->nroots++];
    memset(r, 0, sizeof *r);
    r->dir = dir;
    walk(L, dir, r);
    return &L->roots[L->nroots - 1];
}

/* An id-glob entry: the cases of the suite's library whose id matches. */
static void add_ids(struct loader *L, const struct manifest_entry *e)
{
    struct lroot *r = library_of(L, e->file);
    size_t found = 0;
    for (size_t i = 0; i < r->nlib; i++) {
        struct lfile *f = &L->files[r->lib[i]];
        if (!f->c || !select_id_match(&e->value, 1, f->c->id))
            continue;
        struct stat st = {.st_dev = f->dev, .st_ino = f->ino};
        add_case_file(L, f->path, &st);
        found++;
    }
    if (!found)
        manifest_error(&L->d, e, "no case in %s matches the id '%s'", r->dir,
                       e->value);
}

/* A path entry (or one result of a glob): a folder or a case file. */
static void add_path(struct loader *L, const struct manifest_entry *e,
                     const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        manifest_error(&L->d, e, "%s: %s", path, strerror(errno));
    else if (S_ISDIR(st.st_mode))
        walk(L, path, NULL);
    else if (e->kind == MANIFEST_PATH || ends_with(path, ".smtp"))
        add_case_file(L, path, &st);
}

static void add_entry(struct loader *L, const struct manifest_entry *e)
{
    if (e->kind == MANIFEST_ID) {
        add_ids(L, e);
        return;
    }
    if (e->kind == MANIFEST_PATH) {
        add_path(L, e, e->value);
        return;
    }
    glob_t g;
    int rc = glob(e->value, 0, NULL, &g);
    if (rc != 0) {
        manifest_error(&L->d, e, "'%s' matches no file", e->value);
        if (rc == GLOB_NOMATCH)
            globfree(&g);
        return;
    }
    for (size_t i = 0; i < g.gl_pathc; i++)
        add_path(L, e, g.gl_pathv[i]);
    globfree(&g);
}

static void add_manifest(struct loader *L, const char *path)
{
    char *buf = NULL, err[256];
    size_t len = 0;
    if (read_file(path, MANIFEST_MAX_FILE, &buf, &len, err, sizeof err)) {
        diag_plain(&L->d, path, "cannot read: %s", err);
        return;
    }
    struct manifest m = {0};
    manifest_parse(path, buf, len, read_cb, L, &m, &L->d);
    free(buf);
    for (size_t i = 0; i < m.nfiles; i++) {
        xgrow(&L->manifests, &L->capmanifests, L->nmanifests + 1,
              sizeof *L->manifests);
        L->manifests[L->nmanifests++] = xstrdup(m.files[i]);
    }
    for (size_t i = 0; i < m.n; i++)
        add_entry(L, &m.v[i]);
    manifest_free(&m);
}

/* ---- command-line paths --------------------------------------------- */

static void add_arg(struct loader *L, const char *arg)
{
    struct stat st;
    if (stat(arg, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            walk(L, arg, NULL);
        else if (ends_with(arg, ".suite"))
            add_manifest(L, arg);
        else
            add_case_file(L, arg, &st);
        return;
    }
    int e = errno;
    if (strchr(arg, '/') || ends_with(arg, ".smtp") ||
        ends_with(arg, ".suite")) {
        diag_plain(&L->d, arg, "%s", strerror(e));
        return;
    }
    char *suite = xasprintf("%s/suites/%s.suite", L->cases_dir, arg);
    if (access(suite, F_OK) == 0)
        add_manifest(L, suite);
    else
        diag_plain(&L->d, arg, "no such file or folder, and no suite %s",
                   suite);
    free(suite);
}

/* ---- whole-run checks ----------------------------------------------- */

/* Line lineno of buf, for messages after parsing. */
static void line_of(const struct lfile *f, int lineno, const char **p,
                    size_t *n)
{
    const char *s = f->buf, *end = f->buf + f->len;
    for (int i = 1; i < lineno && s < end; i++) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        s = nl ? nl + 1 : end;
    }
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    *p = s;
    *n = (size_t)((nl ? nl : end) - s);
    if (*n && s[*n - 1] == '\r')
        (*n)--;
}

static void duplicate_ids(struct loader *L)
{
    for (size_t i = 0; i < L->nrun; i++) {
        const struct lfile *f = &L->files[L->run[i]];
        for (size_t j = 0; f->c && j < i; j++) {
            const struct lfile *g = &L->files[L->run[j]];
            if (!g->c || strcmp(g->c->id, f->c->id) != 0)
                continue;
            struct diag_loc loc = {f->path, f->c->line, 1, NULL, 0, false};
            line_of(f, f->c->line, &loc.src, &loc.srclen);
            const char *v = memchr(loc.src, ':', loc.srclen);
            size_t off = v ? (size_t)(v - loc.src) + 1 : 0;
            while (off < loc.srclen &&
                   (loc.src[off] == ' ' || loc.src[off] == '\t'))
                off++;
            loc.col = diag_col(loc.src, off);
            diag_error(&L->d, &loc, "duplicate id '%s' (first in %s:%d)",
                       f->c->id, g->path, g->c->line);
            break;
        }
    }
}

/* Distinct files read: case files, their includes and manifests. */
static size_t count_files(struct loader *L)
{
    struct paths all = {0};
    for (size_t i = 0; i < L->nrun; i++) {
        const struct lfile *f = &L->files[L->run[i]];
        size_t n = f->c ? f->c->nfiles : 1;
        for (size_t k = 0; k < n; k++) {
            xgrow(&all.v, &all.cap, all.n + 1, sizeof *all.v);
            all.v[all.n++] = f->c ? f->c->files[k] : f->path;
        }
    }
    for (size_t i = 0; i < L->nmanifests; i++) {
        xgrow(&all.v, &all.cap, all.n + 1, sizeof *all.v);
        all.v[all.n++] = L->manifests[i];
    }
    sort_strs(all.v, all.n);
    size_t distinct = 0;
    for (size_t i = 0; i < all.n; i++)
        distinct += i == 0 || strcmp(all.v[i], all.v[i - 1]) != 0;
    free(all.v);
    return distinct;
}

static void select_cases(struct loader *L, const struct select_tags *tags,
                         struct load_result *res)
{
    const struct load_params *p = L->p;
    size_t cap = 0;
    for (size_t i = 0; i < L->nrun; i++) {
        struct lfile *f = &L->files[L->run[i]];
        if (!f->c)
            continue;
        res->nparsed++;
        if (!select_id_match(p->id_globs, p->nid_globs, f->c->id) ||
            !select_tags_match(tags, f->c->tags, f->c->ntags))
            continue;
        xgrow(&res->cases, &cap, res->ncases + 1, sizeof *res->cases);
        res->cases[res->ncases++] = f->c;
        f->c = NULL; /* handed to res */
    }
}

static void loader_free(struct loader *L)
{
    for (size_t i = 0; i < L->nfiles; i++) {
        free(L->files[i].path);
        free(L->files[i].buf);
        prog_case_free(L->files[i].c);
    }
    free(L->files);
    free(L->run);
    for (size_t i = 0; i < L->nroots; i++) {
        free(L->roots[i].dir);
        free(L->roots[i].lib);
    }
    free(L->roots);
    for (size_t i = 0; i < L->nmanifests; i++)
        free(L->manifests[i]);
    free(L->manifests);
}

const char *load_cases_dir(const char *opt)
{
    if (opt && *opt)
        return opt;
    const char *env = getenv("SMTPSUITE_CASES_DIR");
    if (env && *env)
        return env;
    struct stat st;
    if (stat("cases", &st) == 0 && S_ISDIR(st.st_mode))
        return "cases"; /* a checkout */
    return SMTPSUITE_CASES_INSTALL_DIR;
}

int load_cases(const struct load_params *p, struct load_result *res,
               FILE *errfp)
{
    struct loader L;
    memset(&L, 0, sizeof L);
    memset(res, 0, sizeof *res);
    L.p = p;
    diag_init(&L.d, errfp);
    L.cases_dir = load_cases_dir(p->cases_dir);
    char err[256];
    struct select_tags *tags = NULL;
    if (p->tags_expr &&
        !(tags = select_tags_parse(p->tags_expr, err, sizeof err)))
        diag_plain(&L.d, NULL, "--tags '%s': %s", p->tags_expr, err);
    for (size_t i = 0; i < p->npaths; i++)
        add_arg(&L, p->paths[i]);
    duplicate_ids(&L);
    res->nfiles = count_files(&L);
    if (L.d.nerrors == 0)
        select_cases(&L, tags, res);
    res->nerrors = L.d.nerrors;
    select_tags_free(tags);
    loader_free(&L);
    return res->nerrors ? -1 : 0;
}

void load_result_free(struct load_result *res)
{
    for (size_t i = 0; i < res->ncases; i++)
        prog_case_free(res->cases[i]);
    free(res->cases);
    memset(res, 0, sizeof *res);
}

/* ---- targets -------------------------------------------------------- */

static const char *getenv_cb(void *arg, const char *name)
{
    return getenv(name);
}

static int check_file_cb(void *arg, const char *path, char *err, size_t errlen)
{
    if (access(path, R_OK) == 0)
        return 0;
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
}

static int read_value_cb(void *arg, const char *path, char **buf, size_t *len,
                         char *err, size_t errlen)
{
    char why[256];
    if (read_file(path, TARGET_VALUE_MAX + 2, buf, len, why, sizeof why) == 0)
        return 0;
    snprintf(err, errlen, "%s: %s", path, why);
    return -1;
}

static const struct target_file_io IO = {read_value_cb, getenv_cb,
                                         check_file_cb, NULL};

struct target *load_target_file(const char *path, FILE *errfp)
{
    struct diag d;
    diag_init(&d, errfp);
    char *buf, err[256];
    size_t len;
    if (read_file(path, TARGET_FILE_MAX, &buf, &len, err, sizeof err) != 0) {
        diag_plain(&d, path, "cannot read: %s", err);
        return NULL;
    }
    struct target *t = target_file_parse(path, buf, len, &IO, &d);
    free(buf);
    return t;
}

/* Splits "NAME=REST" and checks NAME; returns the offset of REST or 0. */
static size_t split_arg(const char *arg, char *err, size_t errlen)
{
    const char *eq = strchr(arg, '=');
    size_t n = eq ? (size_t)(eq - arg) : 0;
    bool ok = n > 0 && n <= 64 && !(arg[0] >= '0' && arg[0] <= '9');
    for (size_t i = 0; ok && i < n; i++)
        ok = (arg[i] >= 'a' && arg[i] <= 'z') ||
             (arg[i] >= 'A' && arg[i] <= 'Z') ||
             (arg[i] >= '0' && arg[i] <= '9') || arg[i] == '_';
    if (!ok) {
        snprintf(err, errlen, "'%.*s': want NAME=VALUE with a variable name",
                 (int)(eq ? n : strlen(arg)), arg);
        return 0;
    }
    return n + 1;
}

int load_apply_var(struct target *t, const char *arg, char *err, size_t errlen)
{
    size_t v = split_arg(arg, err, errlen);
    if (!v)
        return -1;
    char *name = xstrndup(arg, v - 1);
    target_set_fixture(t, name, arg + v, strlen(arg + v),
                       target_always_secret(name));
    free(name);
    return 0;
}

int load_apply_secret(struct target *t, const char *arg, char *err,
                      size_t errlen)
{
    size_t v = split_arg(arg, err, errlen);
    if (!v)
        return -1;
    char *name = xstrndup(arg, v - 1), *val = NULL;
    size_t len = 0;
    bool via = false;
    int rc = target_value_resolve(arg + v, strlen(arg + v), NULL, &IO, &val,
                                  &len, &via, err, errlen);
    if (rc > 0 && !via) {
        snprintf(err, errlen,
                 "--secret %s: want env:VAR or file:PATH (a "
                 "secret never sits on the command line)",
                 name);
        rc = -1;
    } else if (rc == 0) {
        snprintf(err, errlen,
                 "--secret %s: the environment variable %s is "
                 "not set",
                 name, arg + v + 4);
        rc = -1;
    } else if (rc < 0) {
        char why[256];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, errlen, "--secret %s: %s", name, why);
    } else {
        target_set_fixture(t, name, val, len, true);
        memset(val, 0, len);
    }
    free(val);
    free(name);
    return rc > 0 ? 0 : -1;
}
