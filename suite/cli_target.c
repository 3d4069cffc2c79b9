/* cli_target: the target a verb connects to, from its options (see
 * cli_target.h). The same rules as the run verb: a target file, then
 * --target's address over it, then the TLS overrides, then fixtures. */
#include "suite/cli_target.h"
#include "suite/load.h"
#include "harness/xalloc.h"

#include <stdlib.h>
#include <string.h>

static void set_str(char **dst, const char *v)
{
    if (v) {
        free(*dst);
        *dst = xstrdup(v);
    }
}

static const struct {
    const char *name;
    enum target_tls v;
} MODES[] = {{"none", TARGET_TLS_NONE},
             {"starttls", TARGET_TLS_STARTTLS},
             {"implicit", TARGET_TLS_IMPLICIT}};

static const struct {
    const char *name;
    enum target_verify v;
} VERIFY[] = {{"none", TARGET_VERIFY_NONE},
              {"system", TARGET_VERIFY_SYSTEM},
              {"ca-file", TARGET_VERIFY_CAFILE}};

/* Applies the --tls* overrides; 0 or -1 after printing the error. */
static int apply_tls(const struct cli_verb *verb,
                     const struct cli_target_opts *o, struct target *t)
{
    struct target_tls_opts *to = &t->tls_opts;
    if (o->tls_mode) {
        size_t i = 0;
        while (i < 3 && strcmp(MODES[i].name, o->tls_mode) != 0)
            i++;
        if (i == 3)
            return cli_error(verb,
                             "--tls: '%s' is not none, starttls or implicit",
                             o->tls_mode),
                   -1;
        t->tls = MODES[i].v;
    }
    if (o->tls_verify) {
        size_t i = 0;
        while (i < 3 && strcmp(VERIFY[i].name, o->tls_verify) != 0)
            i++;
        if (i == 3)
            return cli_error(
                       verb,
                       "--tls-verify: '%s' is not none, system or ca-file",
                       o->tls_verify),
                   -1;
        to->verify = VERIFY[i].v;
    }
    if (o->tls_ca_file) {
        set_str(&to->ca_file, o->tls_ca_file);
        to->verify = TARGET_VERIFY_CAFILE;
    }
    set_str(&to->servername, o->tls_servername);
    set_str(&to->cert_file, o->tls_cert);
    set_str(&to->key_file, o->tls_key);
    set_str(&to->min_proto, o->tls_min);
    set_str(&to->max_proto, o->tls_max);
    set_str(&to->ciphers, o->tls_ciphers);
    set_str(&to->suites, o->tls_suites);
    to->check_name |= o->tls_check_name;
    to->no_sni |= o->tls_no_sni;
    return 0;
}

static int apply_fixtures(const struct cli_verb *verb,
                          const struct cli_target_opts *o, struct target *t)
{
    char err[512];
    for (size_t i = 0; i < o->vars.n; i++)
        if (load_apply_var(t, o->vars.v[i], err, sizeof err) != 0)
            return cli_error(verb, "--var %s", err), -1;
    for (size_t i = 0; i < o->secrets.n; i++)
        if (load_apply_secret(t, o->secrets.v[i], err, sizeof err) != 0)
            return cli_error(verb, "%s", err), -1; /* names --secret NAME */
    return 0;
}

/* --protocol, --proxy*, --xclient*, --xforward; 0 or -1 after printing the
 * error. */
static int apply_proxy(const struct cli_verb *verb,
                       const struct cli_target_opts *o, struct target *t)
{
    char err[200];
    struct proxy_addr a;
    if (o->protocol) {
        if (strcmp(o->protocol, "smtp") != 0 &&
            strcmp(o->protocol, "lmtp") != 0)
            return cli_error(verb, "--protocol: '%s' is not smtp or lmtp",
                             o->protocol),
                   -1;
        t->protocol =
            strcmp(o->protocol, "lmtp") == 0 ? TARGET_LMTP : TARGET_SMTP;
    }
    if (o->proxy) {
        int v = proxy_version_parse(o->proxy);
        if (v < 0)
            return cli_error(verb, "--proxy: '%s' is not v1, v2 or none",
                             o->proxy),
                   -1;
        t->proxy = (enum proxy_version)v;
    }
    const struct {
        const char *opt, *v;
        char **dst;
        bool attrs;
    } S[] = {{"--proxy-source", o->proxy_source, &t->proxy_source, false},
             {"--proxy-dest", o->proxy_dest, &t->proxy_dest, false},
             {"--xclient", o->xclient, &t->xclient, true},
             {"--xforward", o->xforward, &t->xforward, true}};
    for (size_t i = 0; i < sizeof S / sizeof S[0]; i++) {
        if (!S[i].v)
            continue;
        int rc = S[i].attrs ? target_check_attrs(S[i].v, err, sizeof err)
                            : proxy_parse_addr(S[i].v, &a, err, sizeof err);
        if (rc != 0)
            return cli_error(verb, "%s: %s", S[i].opt, err), -1;
        set_str(S[i].dst, S[i].v);
    }
    if (o->xclient_tls) {
        if (strcmp(o->xclient_tls, "before") != 0 &&
            strcmp(o->xclient_tls, "after") != 0)
            return cli_error(verb, "--xclient-tls: '%s' is not before or after",
                             o->xclient_tls),
                   -1;
        t->xclient_before_tls = strcmp(o->xclient_tls, "before") == 0;
    }
    return 0;
}

int cli_target_apply(const struct cli_verb *verb,
                     const struct cli_target_opts *o, struct target *t)
{
    if (apply_tls(verb, o, t) != 0 || apply_proxy(verb, o, t) != 0)
        return -1;
    set_str(&t->bind, o->bind);
    return apply_fixtures(verb, o, t);
}

struct target *cli_target_make(const struct cli_verb *verb,
                               const struct cli_target_opts *o)
{
    char err[512];
    struct target *t = o->target_file ? load_target_file(o->target_file, stderr)
                                      : target_new();
    if (!t)
        return NULL;
    if (o->target) {
        if (target_parse_address(t, o->target, err, sizeof err) != 0) {
            cli_error(verb, "--target: %s", err);
            target_free(t);
            return NULL;
        }
        if (!o->target_file) {
            free(t->name);
            t->name = xstrdup(o->target);
        }
    }
    if (cli_target_apply(verb, o, t) != 0) {
        target_free(t);
        return NULL;
    }
    return t;
}

void cli_target_opts_free(struct cli_target_opts *o)
{
    cli_list_free(&o->vars);
    cli_list_free(&o->secrets);
}
