/* arrival_eval: the arrival_*() and dsn_*() functions of case
 * expressions over a message found at the next hop (see arrival_eval.h). */
#include "harness/arrival_eval.h"
#include "harness/arrival.h"
#include "harness/bytes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const NAMES[] = {
#define X(n, a) n,
    ARRIVAL_EVAL_LIST(X)
#undef X
};

int arrival_eval_known(const char *name)
{
    for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++)
        if (strcmp(NAMES[i], name) == 0)
            return 1;
    return 0;
}

/* The line at p (before end): its length without CR LF in *n; returns
 * where the next one starts. */
static const char *line_at(const char *p, const char *end, size_t *n)
{
    const char *lf = memchr(p, '\n', (size_t)(end - p));
    const char *stop = lf ? lf : end;
    *n = (size_t)(stop - p);
    if (*n && p[*n - 1] == '\r')
        (*n)--;
    return lf ? lf + 1 : end;
}

/* Whether p[0..n) holds s (case-insensitive). */
static bool holds_ci(const char *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(p + i, s, k) == 0)
            return true;
    return false;
}

/* Whether the line p[0..n) is field name's first line ("Name:" with
 * optional blanks before the colon); *val: where its value starts. */
static bool field_line(const char *p, size_t n, const char *name, size_t *val)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(p, name, k) != 0)
        return false;
    while (k < n && (p[k] == ' ' || p[k] == '\t'))
        k++;
    if (k >= n || p[k] != ':')
        return false;
    *val = k + 1;
    return true;
}

/* Where the body of the message/delivery-status part starts, or NULL. */
static const char *status_part(const char *msg, const char *end)
{
    const char *p = msg;
    bool in_part_headers = false;
    size_t n, v;
    while (p < end) {
        const char *l = p;
        p = line_at(p, end, &n);
        if (in_part_headers && n == 0)
            return p;
        if (!in_part_headers && field_line(l, n, "content-type", &v) &&
            holds_ci(l + v, n - v, "message/delivery-status"))
            in_part_headers = true;
    }
    return NULL;
}

/* Appends p[0..n) to out[*used..outlen) with blanks at both ends of the
 * whole trimmed later. */
static void put(char *out, size_t outlen, size_t *used, const char *p, size_t n)
{
    if (*used + n >= outlen)
        n = outlen - 1 - *used;
    memcpy(out + *used, p, n);
    *used += n;
    out[*used] = '\0';
}

static void trim(char *s)
{
    size_t n = strlen(s), i = 0;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    memmove(s, s + i, n - i + 1);
}

bool arrival_eval_dsn_field(const char *msg, size_t len, const char *name,
                            char *out, size_t outlen)
{
    const char *end = msg + len, *p = status_part(msg, end);
    if (!p || outlen == 0)
        return false;
    size_t n, v, used = 0;
    bool found = false;
    while (p < end) {
        const char *l = p;
        p = line_at(p, end, &n);
        if (found && n && (l[0] == ' ' || l[0] == '\t')) {
            put(out, outlen, &used, l, n); /* a folded continuation */
            continue;
        }
        if (found || (n >= 2 && l[0] == '-' && l[1] == '-'))
            break; /* the next field, or the part's end */
        if (field_line(l, n, name, &v)) {
            found = true;
            out[0] = '\0';
            put(out, outlen, &used, l + v, n - v);
        }
    }
    if (found)
        trim(out);
    return found;
}

static int text(struct buf *out, const char *s)
{
    return buf_adds(out, s ? s : "") == BUF_OK ? 0 : -1;
}

/* Whether p[0..n) holds the octets s[0..k). */
static int64_t bare_lf(const char *p, size_t n)
{
    int64_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += p[i] == '\n' && (i == 0 || p[i - 1] != '\r');
    return k;
}

static int64_t bare_cr(const char *p, size_t n)
{
    int64_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n');
    return k;
}

/* The i-th header field (from 1), "Name: value" unfolded (the CR LF
 * of each fold removed, RFC 5322 2.2.3), into out; nothing when there
 * are fewer. */
static int nth_field(const struct arrival_view *v, int64_t i, struct buf *out)
{
    size_t body = arrival_body_offset(v->data, v->len), n;
    const char *p = v->data, *end = v->data + body;
    int64_t k = 0;
    while (p < end) {
        const char *l = p;
        p = line_at(p, end, &n);
        if (n == 0)
            break; /* the empty line */
        if (l[0] != ' ' && l[0] != '\t' && ++k > i)
            break;
        if (k == i && buf_add(out, l, n) != BUF_OK)
            return -1;
    }
    return 0;
}

/* dsn_status, dsn_action, dsn_rcpt. */
static int dsn(const struct arrival_view *v, const char *name, struct buf *out)
{
    static const struct {
        const char *fn, *field;
    } F[] = {{"dsn_status", "status"},
             {"dsn_action", "action"},
             {"dsn_rcpt", "final-recipient"}};
    char val[ARRIVAL_EVAL_FIELD_MAX];
    for (size_t i = 0; i < sizeof F / sizeof *F; i++) {
        if (strcmp(name, F[i].fn) != 0)
            continue;
        if (!arrival_eval_dsn_field(v->data, v->len, F[i].field, val,
                                    sizeof val))
            return 0; /* "": not a DSN, or no such field */
        char *s = val;
        if (i == 0)
            s[strcspn(s, " \t(")] = '\0'; /* "5.1.1 (comment)" */
        if (i == 2 && strchr(s, ';')) {   /* "rfc822; a@b" (RFC 3464 2.3.2) */
            s = strchr(s, ';') + 1;
            s += strspn(s, " \t");
        }
        return text(out, s);
    }
    return -1;
}

int arrival_eval_call(const struct arrival_view *v, const char *name,
                      const char *arg, size_t arglen, struct buf *out,
                      int64_t *iv, bool *is_int)
{
    *is_int = true;
    if (strcmp(name, "arrival_count") == 0)
        *iv = v->count;
    else if (strcmp(name, "arrival_size") == 0)
        *iv = (int64_t)v->len;
    else if (strcmp(name, "arrival_bare_lf") == 0)
        *iv = bare_lf(v->data, v->len);
    else if (strcmp(name, "arrival_bare_cr") == 0)
        *iv = bare_cr(v->data, v->len);
    else if (strcmp(name, "arrival_has") == 0)
        *iv = bytes_find(v->data, v->len, arg, arglen) >= 0;
    else
        *is_int = false;
    if (*is_int)
        return 0;
    if (strcmp(name, "arrival_class") == 0)
        return text(out, v->cls);
    if (strcmp(name, "arrival_from") == 0)
        return text(out, v->from);
    if (strcmp(name, "arrival_rcpt") == 0)
        return text(out, v->rcpt);
    if (strcmp(name, "arrival_body") == 0) {
        size_t body = arrival_body_offset(v->data, v->len);
        return buf_add(out, v->data + body, v->len - body) == BUF_OK ? 0 : -1;
    }
    if (strcmp(name, "arrival_field") == 0) {
        char num[24];
        snprintf(num, sizeof num, "%.*s", (int)(arglen < 23 ? arglen : 23),
                 arg);
        return nth_field(v, strtoll(num, NULL, 10), out);
    }
    if (strcmp(name, "arrival_header") == 0) {
        char field[ARRIVAL_EVAL_FIELD_MAX], val[ARRIVAL_EVAL_FIELD_MAX];
        snprintf(field, sizeof field, "%.*s", (int)arglen, arg);
        size_t body = arrival_body_offset(v->data, v->len);
        if (!arrival_header(v->data, body, field, val, sizeof val))
            val[0] = '\0';
        return text(out, val);
    }
    return dsn(v, name, out);
}
