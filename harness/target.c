/* target: the target model (see target.h): defaults, fixtures, address
 * parsing and formatting, xfail lookup. */
#include "harness/target.h"
#include "harness/xalloc.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct target *target_new(void)
{
    struct target *t = xcalloc(1, sizeof *t);
    t->name = xstrdup("target");
    t->transport = TARGET_TCP;
    t->host = xstrdup("127.0.0.1");
    t->port = xstrdup("25");
    t->tls = TARGET_TLS_NONE;
    t->protocol = TARGET_SMTP;
    t->hello = TARGET_HELLO_EHLO;
    t->helo_name = xstrdup("client.test");
    return t;
}

static void tls_opts_free(struct target_tls_opts *o)
{
    free(o->ca_file);
    free(o->servername);
    free(o->cert_file);
    free(o->key_file);
    free(o->min_proto);
    free(o->max_proto);
    free(o->ciphers);
    free(o->suites);
}

void target_free(struct target *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->file);
    free(t->host);
    free(t->port);
    free(t->path);
    free(t->command);
    free(t->bind);
    tls_opts_free(&t->tls_opts);
    free(t->helo_name);
    free(t->auth_mech);
    free(t->proxy_source);
    free(t->proxy_dest);
    free(t->xclient);
    free(t->xforward);
    for (size_t i = 0; i < t->nfixtures; i++) {
        free(t->fixtures[i].name);
        if (t->fixtures[i].secret && t->fixtures[i].value)
            memset(t->fixtures[i].value, 0, t->fixtures[i].len);
        free(t->fixtures[i].value);
    }
    free(t->fixtures);
    for (size_t i = 0; i < t->nxfails; i++) {
        free(t->xfails[i].pattern);
        free(t->xfails[i].reason);
    }
    free(t->xfails);
    free(t);
}

void target_set_fixture(struct target *t, const char *name, const char *value,
                        size_t len, bool secret)
{
    struct target_fixture *f = (struct target_fixture *)target_fixture(t, name);
    if (!f) {
        xgrow(&t->fixtures, &t->capfixtures, t->nfixtures + 1, sizeof *t->fixtures);
        f = &t->fixtures[t->nfixtures++];
        f->name = xstrdup(name);
    } else {
        free(f->value);
    }
    f->value = xstrndup(value, len);
    f->len = len;
    f->secret = secret;
}

const struct target_fixture *target_fixture(const struct target *t,
                                            const char *name)
{
    for (size_t i = 0; i < t->nfixtures; i++)
        if (strcmp(t->fixtures[i].name, name) == 0)
            return &t->fixtures[i];
    return NULL;
}

char *target_address(const struct target *t)
{
    if (t->transport == TARGET_EXEC)
        return xasprintf("exec:%s", t->command);
    if (t->transport == TARGET_UNIX)
        return xasprintf("unix:%s", t->path);
    if (strchr(t->host, ':'))
        return xasprintf("[%s]:%s", t->host, t->port);
    return xasprintf("%s:%s", t->host, t->port);
}

static int valid_port(const char *p)
{
    if (!*p || strlen(p) > 5)
        return 0;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return 0;
    long v = strtol(p, NULL, 10);
    return v >= 1 && v <= 65535;
}

int target_parse_address(struct target *t, const char *addr, char *err,
                         size_t errlen)
{
    if (strncmp(addr, "exec:", 5) == 0) {
        if (!addr[5]) {
            snprintf(err, errlen, "'%s': exec: needs a command", addr);
            return -1;
        }
        t->transport = TARGET_EXEC;
        free(t->command);
        t->command = xstrdup(addr + 5);
        return 0;
    }
    if (strncmp(addr, "unix:", 5) == 0) {
        if (!addr[5]) {
            snprintf(err, errlen, "'%s': unix: needs a socket path", addr);
            return -1;
        }
        t->transport = TARGET_UNIX;
        free(t->path);
        t->path = xstrdup(addr + 5);
        return 0;
    }
    const char *host = addr, *port;
    size_t hlen;
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':') {
            snprintf(err, errlen, "'%s': want [IPV6]:PORT", addr);
            return -1;
        }
        host = addr + 1;
        hlen = (size_t)(close - host);
        port = close + 2;
    } else {
        const char *colon = strrchr(addr, ':');
        if (!colon || strchr(addr, ':') != colon) {
            snprintf(err, errlen,
                     "'%s': want HOST:PORT, [IPV6]:PORT or unix:/PATH", addr);
            return -1;
        }
        hlen = (size_t)(colon - addr);
        port = colon + 1;
    }
    if (hlen == 0) {
        snprintf(err, errlen, "'%s': the host is empty", addr);
        return -1;
    }
    if (!valid_port(port)) {
        snprintf(err, errlen, "'%s': '%s' is not a port (1-65535)", addr, port);
        return -1;
    }
    t->transport = TARGET_TCP;
    free(t->host);
    free(t->port);
    t->host = xstrndup(host, hlen);
    t->port = xstrdup(port);
    return 0;
}

const struct target_xfail *target_xfail_for(const struct target *t,
                                            const char *id)
{
    for (size_t i = 0; i < t->nxfails; i++)
        if (fnmatch(t->xfails[i].pattern, id, 0) == 0)
            return &t->xfails[i];
    return NULL;
}

static int attr_word(const char *p, size_t n, char *err, size_t errlen)
{
    size_t i = 0;
    while (i < n && (isalpha((unsigned char)p[i]) || p[i] == '_'))
        i++;
    if (i == 0 || i == n || p[i] != '=') {
        snprintf(err, errlen, "'%.*s' is not NAME=VALUE", (int)n, p);
        return -1;
    }
    size_t name = i;
    for (i++; i < n; i++)
        if (p[i] < 0x21 || p[i] > 0x7e) {
            snprintf(err, errlen,
                     "the value of %.*s holds the octet 0x%02x (want "
                     "visible ASCII)",
                     (int)name, p, (unsigned char)p[i]);
            return -1;
        }
    return 0;
}

int target_check_attrs(const char *s, char *err, size_t errlen)
{
    size_t len = strlen(s);
    if (len == 0 || len > TARGET_MAX_ATTRS) {
        snprintf(err, errlen, "want 1 to %u octets of NAME=VALUE words",
                 TARGET_MAX_ATTRS);
        return -1;
    }
    const char *p = s;
    for (;;) {
        const char *sp = strchr(p, ' ');
        size_t n = sp ? (size_t)(sp - p) : strlen(p);
        if (attr_word(p, n, err, errlen) != 0)
            return -1;
        if (!sp)
            return 0;
        p = sp + 1;
    }
}
