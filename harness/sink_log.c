/* sink_log: the arrival log (see sink_log.h); JSON through jansson. */
#include "harness/sink_log.h"
#include "harness/arrival.h"
#include "harness/bytes.h"
#include "harness/clock.h"
#include "harness/digest.h"
#include "harness/xalloc.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sink_log {
    FILE *fp;
    char *path;
    bool with_data;
};

/* A JSON string of s[0..n): the text itself when it is UTF-8, else its
 * escaped form (bytes.h), with *escaped set. */
static json_t *text(const char *s, size_t n, bool *escaped)
{
    json_t *j = json_stringn(s, n);
    if (j)
        return j;
    if (escaped)
        *escaped = true;
    char *e = bytes_escape_dup(s, n);
    j = json_string(e);
    free(e);
    return j;
}

static json_t *address(const struct sink_address *a)
{
    return json_pack("{s:o, s:o}", "address",
                     text(a->addr, strlen(a->addr), NULL), "params",
                     text(a->params, strlen(a->params), NULL));
}

static bool is_field_name(const char *s, size_t n, size_t *colon)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ':' && i > 0) {
            *colon = i;
            return true;
        }
        if (c <= 32 || c >= 127) /* RFC 5322 2.2 ftext */
            return false;
    }
    return false;
}

static void add_header(json_t *arr, const char *name, size_t nn,
                       const char *val, size_t vn)
{
    bool esc = false;
    while (vn && (*val == ' ' || *val == '\t'))
        val++, vn--;
    json_t *h = json_pack("{s:o, s:o}", "name", text(name, nn, &esc), "value",
                          text(val, vn, &esc));
    if (esc)
        json_object_set_new(h, "escaped", json_true());
    json_array_append_new(arr, h);
}

/* Parses the header section of data (RFC 5322 2.2, unfolding 2.2.3);
 * returns the offset where the body starts. */
static size_t headers(const char *data, size_t len, json_t *arr,
                      bool *truncated)
{
    struct buf val;
    buf_init(&val, len + 1);
    const char *name = NULL;
    size_t nn = 0, off = 0;
    while (off < len) {
        const char *line = data + off;
        const char *nl = memchr(line, '\n', len - off);
        size_t ll = nl ? (size_t)(nl - line) + 1 : len - off;
        size_t cl = ll - (nl ? 1 : 0) - (nl && ll > 1 && line[ll - 2] == '\r');
        size_t colon;
        if (cl == 0) { /* the empty line ends the header section */
            off += ll;
            break;
        }
        if ((line[0] == ' ' || line[0] == '\t') && name) {
            buf_add(&val, line, cl); /* unfold: drop the CRLF */
        } else if (is_field_name(line, cl, &colon)) {
            if (name && json_array_size(arr) < SINK_LOG_HEADERS_MAX)
                add_header(arr, name, nn, val.data ? val.data : "", val.len);
            else if (name)
                *truncated = true;
            name = line;
            nn = colon;
            buf_reset(&val);
            buf_add(&val, line + colon + 1, cl - colon - 1);
        } else {
            break; /* not a header: the body starts here */
        }
        off += ll;
    }
    if (name && json_array_size(arr) < SINK_LOG_HEADERS_MAX)
        add_header(arr, name, nn, val.data ? val.data : "", val.len);
    else if (name)
        *truncated = true;
    buf_free(&val);
    return off;
}

/* Delivery checks (harness/arrival.h): the message's token, and how it
 * changed since its digest was made, when it carries them. */
static void delivery_fields(json_t *o, const char *data, size_t len,
                            size_t body)
{
    char token[ARRIVAL_TOKEN_MAX];
    enum arrival_class c;
    if (arrival_header(data, body, ARRIVAL_TOKEN_HEADER, token, sizeof token))
        json_object_set_new(o, "token", text(token, strlen(token), NULL));
    if (arrival_classify(data, len, &c))
        json_object_set_new(o, "change", json_string(arrival_class_name(c)));
}

char *sink_log_format(const struct sink_message *m, bool with_data)
{
    char when[CLOCK_RFC3339_LEN], data_sha[DIGEST_SHA256_HEX],
        body_sha[DIGEST_SHA256_HEX];
    clock_rfc3339(m->time_us, when);
    json_t *hdrs = json_array(), *rcpts = json_array();
    bool truncated = false;
    size_t body = headers(m->data, m->len, hdrs, &truncated);
    digest_sha256_hex(m->data, m->len, data_sha);
    digest_sha256_hex(m->data + body, m->len - body, body_sha);
    for (size_t i = 0; i < m->nrcpt; i++)
        json_array_append_new(rcpts, address(&m->rcpts[i]));
    json_t *o = json_pack(
        "{s:s, s:I, s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:I, s:I, s:s, "
        "s:s, s:o}",
        "time", when, "time_us", (json_int_t)m->time_us, "session", m->session,
        "queue_id", m->queue_id, "client", m->client, "helo",
        text(m->helo, strlen(m->helo), NULL), "protocol", m->protocol,
        "transfer", m->transfer, "mail_from", address(m->mail), "rcpt_to",
        rcpts, "size", (json_int_t)m->len, "body_size",
        (json_int_t)(m->len - body), "data_sha256", data_sha, "body_sha256",
        body_sha, "headers", hdrs);
    if (!o)
        fatal("sink_log: cannot build the arrival record");
    if (truncated)
        json_object_set_new(o, "headers_truncated", json_true());
    delivery_fields(o, m->data, m->len, body);
    if (m->tls) /* RFC 3207, RFC 8314: what the handshake was */
        json_object_set_new(
            o, "tls",
            json_pack(
                "{s:s, s:s, s:o, s:o}", "protocol", m->tls->protocol, "cipher",
                m->tls->cipher, "sni",
                text(m->tls->sni, strlen(m->tls->sni), NULL), "client_cert",
                text(m->tls->client_cert, strlen(m->tls->client_cert), NULL)));
    if (m->auth) /* RFC 4954: the authenticated user, never a secret */
        json_object_set_new(o, "auth", text(m->auth, strlen(m->auth), NULL));
    if (with_data) {
        char *e = bytes_escape_dup(m->data, m->len);
        json_object_set_new(o, "data", json_string(e));
        free(e);
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!s)
        fatal("sink_log: out of memory");
    char *copy = xstrdup(s);
    free(s);
    return copy;
}

struct sink_log *sink_log_open(const char *path, bool with_data, char *err,
                               size_t errlen)
{
    FILE *fp = fopen(path, "w");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct sink_log *l = xcalloc(1, sizeof *l);
    l->fp = fp;
    l->path = xstrdup(path);
    l->with_data = with_data;
    return l;
}

int sink_log_write(struct sink_log *l, const struct sink_message *m, char *err,
                   size_t errlen)
{
    char *s = sink_log_format(m, l->with_data);
    int rc = 0;
    if (fprintf(l->fp, "%s\n", s) < 0 || fflush(l->fp) != 0) {
        snprintf(err, errlen, "%s: %s", l->path, strerror(errno));
        rc = -1;
    }
    free(s);
    return rc;
}

void sink_log_close(struct sink_log *l)
{
    if (!l)
        return;
    fclose(l->fp);
    free(l->path);
    free(l);
}
