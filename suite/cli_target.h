/* cli_target: the target options of the verbs that connect (--target,
 * --target-file, --var, --secret and the --tls* overrides): the fields a
 * verb embeds in its options struct, the rows of its option table
 * (CLI_TARGET_ROWS), and the target they make. */
#ifndef SMTPSUITE_CLI_TARGET_H
#define SMTPSUITE_CLI_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/target.h"
#include "suite/cli.h"

struct cli_target_opts {
    const char *target;
    const char *target_file;
    struct cli_list vars;
    struct cli_list secrets;
    const char *tls_mode;
    const char *tls_verify;
    const char *tls_ca_file;
    const char *tls_servername;
    bool tls_check_name;
    bool tls_no_sni;
    const char *tls_cert;
    const char *tls_key;
    const char *tls_min;
    const char *tls_max;
    const char *tls_ciphers;
    const char *tls_suites;
    const char *tls_keylog;
    const char *bind;
    const char *protocol;
    const char *proxy;
    const char *proxy_source;
    const char *proxy_dest;
    const char *xclient;
    const char *xclient_tls;
    const char *xforward;
};

/* Option rows for a struct T holding a struct cli_target_opts in m:
 * CLI_TARGET_ROWS is one target (--target, --target-file) and the rest;
 * a verb with targets of its own (run audits several) takes
 * CLI_TARGET_COMMON_ROWS: --bind, --var, --secret and the TLS section. */
/* clang-format off */
#define CLI_TARGET_COMMON_ROWS(T, m)                                           \
    {"bind", 0, CLI_STR, offsetof(T, m.bind), "ADDR", "source address of every connection (an address\nof this host, e.g. 127.0.0.2)", 0, 0, NULL}, \
    {"protocol", 0, CLI_STR, offsetof(T, m.protocol), "PROTO", "smtp or lmtp (RFC 2033: LHLO, a reply per\nrecipient after the data)", 0, 0, NULL}, \
    {"var", 0, CLI_LIST, offsetof(T, m.vars), "NAME=VALUE", "set a fixture (repeatable)", 0, 0, NULL}, \
    {"secret", 0, CLI_LIST, offsetof(T, m.secrets), "NAME=SRC", "set a secret fixture from env:VAR or file:PATH\n(never a plain value; redacted everywhere)", 0, 0, NULL}, \
    CLI_SECTION("proxies and relays (override the target's settings)"),      \
    {"proxy", 0, CLI_STR, offsetof(T, m.proxy), "VERSION", "send a PROXY protocol header before the greeting:\nv1 (text), v2 (binary) or none", 0, 0, NULL}, \
    {"proxy-source", 0, CLI_STR, offsetof(T, m.proxy_source), "ADDR:PORT", "the client the PROXY header claims (default: the\nconnection's own address)", 0, 0, NULL}, \
    {"proxy-dest", 0, CLI_STR, offsetof(T, m.proxy_dest), "ADDR:PORT", "the server the PROXY header claims (default: the\nconnection's peer)", 0, 0, NULL}, \
    {"xclient", 0, CLI_STR, offsetof(T, m.xclient), "ATTRS", "XCLIENT NAME=VALUE ... in the prologue (Postfix;\nthe server greets again, the prologue says hello\nagain)", 0, 0, NULL}, \
    {"xclient-tls", 0, CLI_STR, offsetof(T, m.xclient_tls), "WHEN", "with STARTTLS, XCLIENT goes before or after\n(default) the handshake", 0, 0, NULL}, \
    {"xforward", 0, CLI_STR, offsetof(T, m.xforward), "ATTRS", "XFORWARD NAME=VALUE ... after the last hello\n(Postfix)", 0, 0, NULL}, \
    CLI_SECTION("TLS (override the target's settings)"),                     \
    {"tls", 0, CLI_STR, offsetof(T, m.tls_mode), "MODE", "none, starttls (the prologue does STARTTLS) or\nimplicit (RFC 8314, TLS from the first byte)", 0, 0, NULL}, \
    {"tls-verify", 0, CLI_STR, offsetof(T, m.tls_verify), "HOW", "certificate check: none (default), system, ca-file", 0, 0, NULL}, \
    {"tls-ca-file", 0, CLI_STR, offsetof(T, m.tls_ca_file), "FILE", "trusted CA certificates (PEM); implies\n--tls-verify ca-file", 0, 0, NULL}, \
    {"tls-servername", 0, CLI_STR, offsetof(T, m.tls_servername), "NAME", "name to send as SNI and check (default: host)", 0, 0, NULL}, \
    {"tls-check-name", 0, CLI_FLAG, offsetof(T, m.tls_check_name), NULL, "the certificate must name the server", 0, 0, NULL}, \
    {"tls-no-sni", 0, CLI_FLAG, offsetof(T, m.tls_no_sni), NULL, "send no SNI", 0, 0, NULL}, \
    {"tls-cert", 0, CLI_STR, offsetof(T, m.tls_cert), "FILE", "client certificate (PEM)", 0, 0, NULL}, \
    {"tls-key", 0, CLI_STR, offsetof(T, m.tls_key), "FILE", "client key (PEM; default: in --tls-cert)", 0, 0, NULL}, \
    {"tls-min", 0, CLI_STR, offsetof(T, m.tls_min), "VERSION", "lowest protocol: TLSv1, TLSv1.1, TLSv1.2, TLSv1.3", 0, 0, NULL}, \
    {"tls-max", 0, CLI_STR, offsetof(T, m.tls_max), "VERSION", "highest protocol", 0, 0, NULL}, \
    {"tls-ciphers", 0, CLI_STR, offsetof(T, m.tls_ciphers), "LIST", "TLS 1.2 cipher list (OpenSSL syntax)", 0, 0, NULL}, \
    {"tls-suites", 0, CLI_STR, offsetof(T, m.tls_suites), "LIST", "TLS 1.3 cipher suites", 0, 0, NULL}, \
    {"tls-keylog", 0, CLI_STR, offsetof(T, m.tls_keylog), "FILE", "append TLS secrets in SSLKEYLOGFILE format, for\ndecrypting captures (opt-in; keep the file safe)", 0, 0, NULL}

#define CLI_TARGET_ROWS(T, m)                                                  \
    CLI_SECTION("where"),                                                      \
    {"target", 't', CLI_STR, offsetof(T, m.target), "ADDR", "HOST:PORT, [IPV6]:PORT, unix:/PATH, or\nexec:COMMAND (talk to the command's stdin and\nstdout, e.g. 'exec:sendmail -bs')", 0, 0, NULL}, \
    {"target-file", 'T', CLI_STR, offsetof(T, m.target_file), "FILE", "a target profile (docs/target-format.md);\n--target overrides its address", 0, 0, NULL}, \
    CLI_TARGET_COMMON_ROWS(T, m)
/* clang-format on */

/* The target from --target-file and/or --target, with the --tls*
 * overrides, --var and --secret applied; NULL after printing the error
 * (as "smtpsuite VERB: ..."). The caller frees it with target_free. */
struct target *cli_target_make(const struct cli_verb *verb,
                               const struct cli_target_opts *o);
/* Applies --bind, the --tls* overrides, --var and --secret to t; 0, or
 * -1 after printing the error. */
int cli_target_apply(const struct cli_verb *verb,
                     const struct cli_target_opts *o, struct target *t);
/* Frees the lists (not the strings, which belong to argv). */
void cli_target_opts_free(struct cli_target_opts *o);

#endif
