/* sasl_tool: drives one SASL exchange of harness/sasl.h (client) or
 * harness/sasl_server.h (server) over stdin/stdout, one base64 line per
 * message, in the line convention of GNU SASL's gsasl tool, so that either
 * side can face gsasl (tests/e2e/sasl_gsasl.sh):
 *   - the peer's first line names the mechanism (gsasl prints it);
 *   - an empty first line from a client means "no initial response";
 *   - after its last step the server sends one final line (its success
 *     data: SCRAM's v=, else empty) and the client answers it with one
 *     line; there is no other success marker: exit codes say it.
 *
 * Usage: sasl_tool client|server MECH [options]
 * Exit: 0 authenticated, 1 refused or the exchange failed, 2 usage,
 *       3 the peer closed or broke the line convention.
 * Test driver only: credentials come from the command line. */
#include "harness/b64.h"
#include "harness/sasl.h"
#include "harness/sasl_server.h"
#include "harness/sasl_users.h"
#include "suite/cli.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tool_opts {
    char *user, *pass, *token, *authzid, *nonce, *host, *salt;
    long port, iter, max_iter;
    bool no_ir;
};

#define OFF(f) offsetof(struct tool_opts, f)

static const struct cli_opt OPTS[] = {
    {"user", 0, CLI_STR, OFF(user), "NAME", "user name", 0, 0, NULL},
    {"pass", 0, CLI_STR, OFF(pass), "PASS",
     "password (server: clear or {SCRAM-SHA-*} verifier)", 0, 0, NULL},
    {"token", 0, CLI_STR, OFF(token), "TOKEN", "OAuth bearer token", 0, 0,
     NULL},
    {"authzid", 0, CLI_STR, OFF(authzid), "ID",
     "client: authorization identity", 0, 0, NULL},
    {"nonce", 0, CLI_STR, OFF(nonce), "NONCE",
     "client: SCRAM client nonce; server: SCRAM server nonce part or "
     "CRAM-MD5 challenge local part",
     0, 0, NULL},
    {"host", 0, CLI_STR, OFF(host), "HOST", "client: OAUTHBEARER host=", 0, 0,
     NULL},
    {"port", 0, CLI_INT, OFF(port), "N", "client: OAUTHBEARER port=", 0, 65535,
     NULL},
    {"no-ir", 0, CLI_FLAG, OFF(no_ir), NULL, "client: no initial response", 0,
     0, NULL},
    {"max-iter", 0, CLI_INT, OFF(max_iter), "N",
     "client: SCRAM iteration limit", 0, 100000000, NULL},
    {"iter", 0, CLI_INT, OFF(iter), "N",
     "server: SCRAM iteration count of derived keys", 0, 100000000, NULL},
    {"salt", 0, CLI_STR, OFF(salt), "B64",
     "server: SCRAM salt of derived keys (base64)", 0, 0, NULL},
};

static int tool_main(int argc, char **argv);

static const struct cli_verb TOOL = {
    .name = "sasl_tool",
    .summary = "one SASL exchange on stdin/stdout",
    .usage = "client|server MECH [options]",
    .opts = OPTS,
    .nopts = sizeof OPTS / sizeof OPTS[0],
    .main = tool_main,
};

/* Reads one line without its line end into line; false on EOF. */
static bool read_line(char *line, size_t cap, size_t *len)
{
    if (!fgets(line, (int)cap, stdin))
        return false;
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    *len = n;
    return true;
}

static void write_line(const char *s)
{
    printf("%s\n", s);
    fflush(stdout);
}

/* The first line must name the mechanism. */
static bool mech_line(const char *mech, char *line, size_t cap)
{
    size_t n = 0;
    if (read_line(line, cap, &n) && strcmp(line, mech) == 0)
        return true;
    fprintf(stderr, "sasl_tool: first line is not the mechanism %s\n", mech);
    return false;
}

/* Steps the client once, doing the heavy work inline. */
static enum sasl_step client_step(struct sasl_client *c, const char *line,
                                  size_t n, struct sasl_response *r)
{
    enum sasl_step st = sasl_client_step(c, line, n, r);
    if (st == SASL_STEP_WORK) {
        sasl_client_work(c);
        st = sasl_client_resume(c, r);
    }
    return st;
}

static int client_loop(struct sasl_client *c, const struct tool_opts *o,
                       char *line, size_t cap)
{
    struct sasl_response r;
    sasl_response_init(&r);
    int rc = 3;
    if (sasl_client_start(c, !o->no_ir, &r) == SASL_STEP_SEND)
        write_line(buf_str(&r.line));
    size_t n = 0;
    while (read_line(line, cap, &n)) {
        if (sasl_client_complete(c) && n == 0) { /* the server's end */
            write_line("");
            rc = 0;
            break;
        }
        if (client_step(c, line, n, &r) == SASL_STEP_FAIL) {
            fprintf(stderr, "sasl_tool: client: %s\n",
                    sasl_client_error_text(c));
            rc = 1;
            break;
        }
        write_line(buf_str(&r.line));
        if (sasl_client_complete(c) && r.line.len == 0) {
            rc = 0; /* that empty line answered the server's final data */
            break;
        }
    }
    if (rc == 3)
        fprintf(stderr, "sasl_tool: client: the server closed\n");
    sasl_response_free(&r);
    return rc;
}

static int run_client(const char *mech, const struct tool_opts *o)
{
    char err[256];
    struct sasl_client_params p = {
        .mech = mech,
        .creds = {o->user, o->pass, o->token, o->authzid},
        .host = o->host,
        .port = (unsigned)o->port,
        .nonce = o->nonce,
        .scram_max_iter = (unsigned)o->max_iter,
    };
    struct sasl_client *c = sasl_client_new(&p, err, sizeof err);
    if (!c) {
        fprintf(stderr, "sasl_tool: %s\n", err);
        return 2;
    }
    static char line[SASL_MAX_LINE + 4];
    int rc = mech_line(mech, line, sizeof line)
                 ? client_loop(c, o, line, sizeof line)
                 : 3;
    for (unsigned bit = 1; bit; bit <<= 1)
        if (sasl_client_warnings(c) & bit)
            fprintf(stderr, "sasl_tool: client: warning: %s\n",
                    sasl_warn_text((enum sasl_warn)bit));
    sasl_client_free(c);
    return rc;
}

static int server_loop(struct sasl_server *s, char *line, size_t cap)
{
    struct buf ch;
    buf_init(&ch, SASL_MAX_LINE);
    size_t n = 0;
    if (!read_line(line, cap, &n))
        return 3;
    enum sasl_outcome o = sasl_server_start(s, n ? line : NULL, n, &ch);
    while (o == SASL_OUT_CHALLENGE) {
        write_line(buf_str(&ch));
        if (!read_line(line, cap, &n)) {
            fprintf(stderr, "sasl_tool: server: the client closed\n");
            buf_free(&ch);
            return 3;
        }
        o = sasl_server_step(s, line, n, &ch);
    }
    buf_free(&ch);
    fprintf(stderr, "sasl_tool: server: %d %s %s%s%s\n", sasl_outcome_code(o),
            sasl_outcome_esc(o), sasl_outcome_name(o),
            *sasl_server_reason(s) ? ": " : "", sasl_server_reason(s));
    if (o != SASL_OUT_SUCCESS)
        return 1;
    write_line(""); /* the final line; success data went as a challenge */
    return 0;
}

/* A table with the one account the options describe. */
static struct sasl_users *make_users(const struct tool_opts *o)
{
    struct buf salt;
    buf_init(&salt, SASL_USERS_MAX_SALT);
    if (o->salt && b64_decode(&salt, o->salt, strlen(o->salt), NULL)) {
        fprintf(stderr, "sasl_tool: --salt is not base64\n");
        return NULL;
    }
    struct sasl_users_params up = {(unsigned)o->iter,
                                   (const unsigned char *)salt.data, salt.len};
    struct sasl_users *u = sasl_users_new(&up);
    struct sasl_user e = {o->user, o->pass, o->token};
    char err[256];
    buf_free(&salt);
    if (sasl_users_add(u, &e, err, sizeof err) != 0) {
        fprintf(stderr, "sasl_tool: %s\n", err);
        sasl_users_free(u);
        return NULL;
    }
    return u;
}

static int run_server(const char *mech, const struct tool_opts *o)
{
    struct sasl_users *u = make_users(o);
    if (!u)
        return 2;
    char err[256];
    struct sasl_server_params p = {mech, u, o->nonce, "localhost"};
    struct sasl_server *s = sasl_server_new(&p, err, sizeof err);
    if (!s) {
        fprintf(stderr, "sasl_tool: %s\n", err);
        sasl_users_free(u);
        return 2;
    }
    static char line[SASL_MAX_LINE + 4];
    int rc = mech_line(mech, line, sizeof line)
                 ? server_loop(s, line, sizeof line)
                 : 3;
    sasl_server_free(s);
    sasl_users_free(u);
    return rc;
}

static int tool_main(int argc, char **argv)
{
    struct tool_opts o = {0};
    struct cli_list pos = {0};
    enum cli_status st = cli_parse(&TOOL, argc, argv, &o, &pos);
    int rc = 2;
    if (st == CLI_HELP)
        rc = 0;
    else if (st == CLI_OK && pos.n == 2 && strcmp(pos.v[0], "client") == 0)
        rc = run_client(pos.v[1], &o);
    else if (st == CLI_OK && pos.n == 2 && strcmp(pos.v[0], "server") == 0)
        rc = run_server(pos.v[1], &o);
    else if (st == CLI_OK)
        cli_error(&TOOL, "usage: sasl_tool %s", TOOL.usage);
    cli_list_free(&pos);
    return rc;
}

int main(int argc, char **argv)
{
    return tool_main(argc, argv);
}
