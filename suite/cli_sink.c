/* cli_sink: the 'sink' verb: runs the reference SMTP server (harness/
 * sink.c) until SIGTERM or SIGINT, with its profile, fault table and
 * arrival log chosen on the command line. */
#include "suite/verbs.h"
#include "harness/sink.h"
#include "harness/sink_fault.h"
#include "harness/sink_profile.h"
#include "harness/verdict.h"
#include "reports/atomic.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

struct sink_opts {
    const char *listen, *port_file, *profile, *record, *hostname, *proxy;
    const char *tls_cert, *tls_key, *tls_cert_out, *tls_client_cert,
        *tls_client_ca;
    struct cli_list faults, fault_files, local_domains, users, user_files;
    long size_limit, rcpt_limit, line_limit, error_limit, max_connections;
    int64_t idle_timeout;
    bool record_data, quiet, verbose, list;
};

#define OFF(f) offsetof(struct sink_opts, f)

static const struct cli_opt OPTS[] = {
    CLI_SECTION("listening"),
    {"listen", 'l', CLI_STR, OFF(listen), "ADDR:PORT",
     "address to listen on (default " SINK_LISTEN_DEFAULT "): ADDR:PORT,\n"
     "[IPv6]:PORT, :PORT (loopback) or unix:/path; port 0 picks a free one",
     0, 0, NULL},
    {"port-file", 0, CLI_STR, OFF(port_file), "FILE",
     "write the bound port to FILE once listening (for tests with port 0)", 0,
     0, NULL},
    {"max-connections", 0, CLI_INT, OFF(max_connections), "N",
     "sessions at once; more get 421 4.7.0 (default 10000)", 1, 1000000, NULL},
    {"idle-timeout", 0, CLI_DURATION, OFF(idle_timeout), "DURATION",
     "close an idle session with 421 4.4.2 (default 5m)", 0, 0, NULL},
    {"proxy", 0, CLI_STR, OFF(proxy), "VERSION",
     "take a PROXY protocol header before the greeting: none (default),\n"
     "v1, v2 or any; without a valid one the connection is closed",
     0, 0, NULL},
    CLI_SECTION("behaviour"),
    {"profile", 'p', CLI_STR, OFF(profile), "NAME",
     "mx (default), submission, lmtp, 554-greeting, implicit-tls,\n"
     "tls-required (see --list)",
     0, 0, NULL},
    {"hostname", 0, CLI_STR, OFF(hostname), "NAME",
     "name in the greeting and replies (default localhost)", 0, 0, NULL},
    {"local-domain", 'd', CLI_LIST, OFF(local_domains), "DOMAIN",
     "a domain delivered here (repeatable); then other domains are relay\n"
     "attempts: 550 5.7.1 (submission: 530 5.7.0). Default: every domain",
     0, 0, NULL},
    {"size-limit", 0, CLI_INT, OFF(size_limit), "OCTETS",
     "message size limit, advertised as SIZE (default 10485760)", 1,
     SINK_PROTO_SIZE_LIMIT_MAX, NULL},
    {"rcpt-limit", 0, CLI_INT, OFF(rcpt_limit), "N",
     "recipients per message; more get 452 4.5.3 (default 100)", 1,
     SINK_PROTO_RCPT_LIMIT_MAX, NULL},
    {"line-limit", 0, CLI_INT, OFF(line_limit), "OCTETS",
     "command line limit with CRLF; longer get 500 (default 2048)", 16,
     SINK_PROTO_LINE_LIMIT_MAX, NULL},
    {"error-limit", 0, CLI_INT, OFF(error_limit), "N",
     "after N command errors (500-504, 555) answer 421 4.7.0 and close\n"
     "(default: no limit)",
     1, SINK_PROTO_ERROR_LIMIT_MAX, NULL},
    CLI_SECTION("TLS and AUTH"),
    {"tls-cert", 0, CLI_STR, OFF(tls_cert), "FILE",
     "certificate chain (PEM) for STARTTLS and implicit TLS; default: a\n"
     "self-signed P-256 certificate generated at start for --hostname",
     0, 0, NULL},
    {"tls-key", 0, CLI_STR, OFF(tls_key), "FILE",
     "its private key (PEM; default: in --tls-cert)", 0, 0, NULL},
    {"tls-cert-out", 0, CLI_STR, OFF(tls_cert_out), "FILE",
     "write the certificate served (PEM), so a client can trust it;\n"
     "written before --port-file",
     0, 0, NULL},
    {"tls-client-cert", 0, CLI_STR, OFF(tls_client_cert), "MODE",
     "none (default), request (record one if sent) or require", 0, 0, NULL},
    {"tls-client-ca", 0, CLI_STR, OFF(tls_client_ca), "FILE",
     "CAs (PEM) client certificates are checked against", 0, 0, NULL},
    {"user", 'u', CLI_LIST, OFF(users), "NAME:PASS[:TOKEN]",
     "an AUTH user (repeatable): a password (or a {SCRAM-SHA-256}\n"
     "verifier) and an optional OAuth token; visible in ps: prefer --users",
     0, 0, NULL},
    {"users", 0, CLI_LIST, OFF(user_files), "FILE",
     "AUTH users, one NAME:PASS[:TOKEN] a line, '#' comments (repeatable)", 0,
     0, NULL},
    CLI_SECTION("faults"),
    {"fault", 'f', CLI_LIST, OFF(faults), "RULE",
     "a fault rule, setting or preset name (repeatable; see docs/sink.md\n"
     "and --list), e.g. 'RCPT -> reply 451 4.3.0 later' or smuggle-lf",
     0, 0, NULL},
    {"fault-file", 0, CLI_LIST, OFF(fault_files), "FILE",
     "fault rules, one per line, '#' comments (repeatable)", 0, 0, NULL},
    {"list", 0, CLI_FLAG, OFF(list), NULL,
     "print the profiles and the fault presets, then exit", 0, 0, NULL},
    CLI_SECTION("output"),
    {"record", 'r', CLI_STR, OFF(record), "FILE",
     "arrival log: one JSON line per accepted message (truncated at start)", 0,
     0, NULL},
    {"record-data", 0, CLI_FLAG, OFF(record_data), NULL,
     "also put each message's content (escaped) in the arrival log", 0, 0,
     NULL},
    {"quiet", 'q', CLI_FLAG, OFF(quiet), NULL,
     "log nothing but errors to stderr", 0, 0, NULL},
    {"verbose", 'v', CLI_FLAG, OFF(verbose), NULL,
     "log every byte of every session (escaped; AUTH payloads\nredacted) to "
     "stderr",
     0, 0, NULL},
};

static int sink_main(int argc, char **argv);

const struct cli_verb cli_verb_sink = {
    .name = "sink",
    .summary = "run the reference SMTP server (profiles, faults, arrival log)",
    .usage = "[options]",
    .description =
        "Runs a conformant SMTP (or LMTP) server on loopback until SIGTERM\n"
        "or SIGINT: RFC 5321 with PIPELINING, SIZE, 8BITMIME, SMTPUTF8, DSN,\n"
        "CHUNKING, ENHANCEDSTATUSCODES, STARTTLS (RFC 3207), implicit TLS\n"
        "(RFC 8314) and AUTH (RFC 4954). Profiles change what it is; fault\n"
        "rules change how it misbehaves; accepted messages go to the arrival\n"
        "log. By default it logs one line per session and message to stderr.\n"
        "Recipients whose local part starts with 'nouser' are unknown (550).",
    .epilog = "exit status: 0 stopped by SIGTERM, 130 stopped by SIGINT,\n"
              "2 bad options, profile or fault rule, 3 could not listen or\n"
              "open a file.\n"
              "example: smtpsuite sink --listen :0 --port-file port \\\n"
              "           --record arrivals.jsonl --fault smuggle-lf",
    .opts = OPTS,
    .nopts = sizeof OPTS / sizeof OPTS[0],
    .main = sink_main,
};

static void print_list(void)
{
    size_t n;
    const struct sink_profile *pr = sink_profile_all(&n);
    printf("profiles:\n");
    for (size_t i = 0; i < n; i++)
        printf("  %-22s %s\n", pr[i].name, pr[i].summary);
    const struct sink_fault_preset *fp = sink_fault_presets(&n);
    printf("\nfault presets (--fault NAME):\n");
    for (size_t i = 0; i < n; i++) {
        printf("  %-22s %s\n", fp[i].name, fp[i].summary);
        for (const char *r = fp[i].rules; *r;) {
            size_t k = strcspn(r, "\n");
            printf("  %-22s   = %.*s\n", "", (int)k, r);
            r += k + (r[k] == '\n');
        }
    }
}

static void log_line(void *arg, const char *line)
{
    fprintf(stderr, "smtpsuite sink: %s\n", line);
}

/* Writes text to path whole (temporary file and rename). */
static int write_whole(const char *opt, const char *path, const char *text)
{
    struct atomic_file af;
    char err[512];
    if (atomic_open(&af, path, err, sizeof err) != 0) {
        fprintf(stderr, "smtpsuite sink: %s: %s\n", opt, err);
        return -1;
    }
    fputs(text, af.fp);
    if (atomic_commit(&af, err, sizeof err) != 0) {
        fprintf(stderr, "smtpsuite sink: %s: %s\n", opt, err);
        atomic_abort(&af);
        return -1;
    }
    return 0;
}

/* Once listening: the certificate, then the port (tests wait for the
 * port file, so everything else is there when it appears). */
static int write_port(void *arg, const struct sink *s)
{
    const struct sink_opts *o = arg;
    char port[16];
    snprintf(port, sizeof port, "%d\n", sink_port(s));
    if (o->tls_cert_out && write_whole("--tls-cert-out", o->tls_cert_out,
                                       sink_tls_cert_pem(s)) != 0)
        return -1;
    return o->port_file ? write_whole("--port-file", o->port_file, port) : 0;
}

/* Each session holds a descriptor: allow as many as the hard limit. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int sink_main(int argc, char **argv)
{
    struct sink_opts o = {0};
    struct cli_list pos = {0};
    int rc = EXIT_OK;
    enum cli_status st = cli_parse(&cli_verb_sink, argc, argv, &o, &pos);
    if (st == CLI_OK && pos.n)
        st = (enum cli_status)cli_error(&cli_verb_sink,
                                        "unexpected argument '%s'", pos.v[0]);
    if (st == CLI_OK && o.list)
        print_list();
    if (st != CLI_OK || o.list) {
        rc = st == CLI_ERROR ? EXIT_USAGE : EXIT_OK;
        goto out;
    }
    raise_fd_limit();
    struct sink_params p = {
        .listen = o.listen,
        .profile = o.profile,
        .hostname = o.hostname,
        .faults = (const char *const *)o.faults.v,
        .nfaults = o.faults.n,
        .fault_files = (const char *const *)o.fault_files.v,
        .nfault_files = o.fault_files.n,
        .local_domains = (const char *const *)o.local_domains.v,
        .nlocal = o.local_domains.n,
        .tls_cert = o.tls_cert,
        .tls_key = o.tls_key,
        .tls_client_cert = o.tls_client_cert,
        .tls_client_ca = o.tls_client_ca,
        .users = (const char *const *)o.users.v,
        .nusers = o.users.n,
        .user_files = (const char *const *)o.user_files.v,
        .nuser_files = o.user_files.n,
        .size_limit = o.size_limit,
        .rcpt_limit = o.rcpt_limit,
        .line_limit = o.line_limit,
        .error_limit = o.error_limit,
        .idle_timeout_us = o.idle_timeout,
        .max_connections = o.max_connections,
        .proxy = o.proxy,
        .record = o.record,
        .record_data = o.record_data,
        .on_log = log_line,
        .verbosity = o.quiet     ? 0
                     : o.verbose ? 2
                                 : 1,
    };
    char err[1024];
    bool usage = false;
    int signo = 0;
    if (sink_serve(&p, write_port, &o, &signo, &usage, err, sizeof err) != 0) {
        cli_error(&cli_verb_sink, "%s", err);
        rc = usage ? EXIT_USAGE : EXIT_INCONCLUSIVE;
    } else {
        rc = signo == SIGINT ? EXIT_INTERRUPTED : EXIT_OK;
    }
out:
    cli_list_free(&pos);
    cli_list_free(&o.faults);
    cli_list_free(&o.fault_files);
    cli_list_free(&o.local_domains);
    cli_list_free(&o.users);
    cli_list_free(&o.user_files);
    return rc;
}
