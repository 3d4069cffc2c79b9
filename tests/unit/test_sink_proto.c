/* Tests of harness/sink_proto.c: every vector is an input (the client's
 * bytes) and the exact bytes the sink must answer, with the messages it
 * must accept. Each vector runs twice: fed whole (one pipelined write)
 * and fed one byte at a time; both must give the same transcript. The
 * expected replies are written out by hand from RFC 5321 and its
 * extensions, never computed by the module. */
#include "harness/bytes.h"
#include "harness/sasl.h"
#include "harness/sasl_users.h"
#include "harness/sink_fault.h"
#include "harness/sink_proto.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Vectors name only the fields they need. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define TEST_NAME "sink_proto"

#define G    "220 localhost ESMTP smtpsuite sink\r\n"
#define EHLO "EHLO client.test\r\n"
#define EHLO_OK                                                                \
    "250-localhost\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n250-VRFY\r\n"     \
    "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"                   \
    "250-SMTPUTF8\r\n250 CHUNKING\r\n"
#define TXN       "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n"
#define TXN_OK    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
#define DATA_OK   "354 End data with <CR><LF>.<CR><LF>\r\n"
#define Q1        "250 2.0.0 Ok: queued as s1.1\r\n"
#define Q2        "250 2.0.0 Ok: queued as s1.2\r\n"
#define MSG       "Subject: x\r\n\r\nhello\r\n"
#define EOD       "\r\n.\r\n"
#define NEED_MAIL "503 5.5.1 Error: need MAIL command\r\n"
#define NEED_RCPT "503 5.5.1 Error: need RCPT command\r\n"
#define OK        "250 2.0.0 Ok\r\n"
#define UNKNOWN   "500 5.5.2 Error: command not recognized\r\n"
#define CLOSE     "<close>"
#define L(s)      s, sizeof(s) - 1
#define TR(c)     "<delay 1000ms>" c /* one octet of a trickled reply */

struct vec {
    const char *name;
    const char *in;
    size_t len; /* 0: strlen(in) */
    const char *out;
    const char *msgs; /* "from>rcpt,rcpt:escaped-data\n" per message */
    const char *profile;
    const char *faults[4];
    bool local; /* local domains: y.test only */
    bool tls;   /* the sink can do TLS; "<tls>" marks the handshake */
    bool users; /* AUTH users: alice (s3cret, token tok-1) */
    bool whole; /* fed in one write only (the fault "flush" loses the rest) */
};

/* The mx EHLO reply with xclient=on and xforward=on. */
#define EHLO_X                                                                 \
    "250-localhost\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n250-VRFY\r\n"     \
    "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"                   \
    "250-SMTPUTF8\r\n250-CHUNKING\r\n"                                         \
    "250-XCLIENT NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT\r\n"        \
    "250 XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE\r\n"

/* STARTTLS and AUTH (RFC 3207, RFC 4954). Payloads written by hand:
 * base64("\0alice\0s3cret") = AGFsaWNlAHMzY3JldA==, "alice" = YWxpY2U=,
 * "s3cret" = czNjcmV0, "\0alice\0wrong" = AGFsaWNlAHdyb25n. */
#define EHLO_TLS                                                               \
    "250-localhost\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n250-VRFY\r\n"     \
    "250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"   \
    "250-SMTPUTF8\r\n250 CHUNKING\r\n"
#define AUTH_PRE "250-AUTH CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256\r\n"
#define AUTH_POST                                                              \
    "250-AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 "         \
    "OAUTHBEARER\r\n"
#define EHLO_SUB_HEAD                                                          \
    "250-localhost\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n250-VRFY\r\n"
#define EHLO_SUB_TAIL                                                          \
    "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"                   \
    "250-SMTPUTF8\r\n250 CHUNKING\r\n"
#define EHLO_SUB     EHLO_SUB_HEAD "250-STARTTLS\r\n" AUTH_PRE EHLO_SUB_TAIL
#define EHLO_SUB_TLS EHLO_SUB_HEAD AUTH_POST EHLO_SUB_TAIL
#define START_OK     "220 2.0.0 Ready to start TLS\r\n<tls>"
#define PLAIN_OK     "AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n"
#define AUTH_OK      "235 2.7.0 Authentication successful\r\n"
#define AUTH_BAD     "535 5.7.8 Authentication credentials invalid\r\n"
#define TLS_ON       "STARTTLS\r\n" EHLO

static const struct vec VECS[] = {
    /* STARTTLS (RFC 3207) */
    {"starttls",
     EHLO TLS_ON "STARTTLS\r\nNOOP\r\n",
     0,
     G EHLO_TLS START_OK EHLO_OK "554 5.5.1 Error: TLS already active\r\n" OK,
     "",
     NULL,
     {NULL},
     false,
     true},
    {"starttls-syntax-and-sequence",
     "STARTTLS\r\n" EHLO "STARTTLS now\r\n",
     0,
     G "503 5.5.1 Error: send HELO/EHLO first\r\n" EHLO_TLS
       "501 5.5.4 Syntax: STARTTLS\r\n",
     "",
     NULL,
     {NULL},
     false,
     true},
    {"starttls-without-tls", EHLO "STARTTLS\r\n", 0,
     G EHLO_OK "502 5.5.1 Error: command not implemented\r\n", ""},
    {"starttls-resets-session",
     EHLO "MAIL FROM:<a@x.test>\r\nSTARTTLS\r\n"
          "RCPT TO:<b@y.test>\r\nMAIL FROM:<a@x.test>\r\n" EHLO TXN "DATA\r\n"
          ".\r\n",
     0,
     G EHLO_TLS
     "250 2.1.0 Ok\r\n" START_OK NEED_MAIL
     "503 5.5.1 Error: send HELO/EHLO first\r\n" EHLO_OK TXN_OK DATA_OK Q1,
     "a@x.test>b@y.test:\n",
     NULL,
     {NULL},
     false,
     true},
    {"tls-required",
     EHLO "MAIL FROM:<a@x.test>\r\n" TLS_ON "MAIL FROM:<a@x.test>\r\n",
     0,
     G EHLO_TLS
     "530 5.7.0 Must issue a STARTTLS command first\r\n" START_OK EHLO_OK
     "250 2.1.0 Ok\r\n",
     "",
     "tls-required",
     {NULL},
     false,
     true},
    {"implicit-tls",
     EHLO "STARTTLS\r\n",
     0,
     G EHLO_OK "554 5.5.1 Error: TLS already active\r\n",
     "",
     "implicit-tls",
     {NULL},
     false,
     true},
    {"fault-no-starttls",
     EHLO "STARTTLS\r\n",
     0,
     G EHLO_OK "502 5.5.1 Error: command not implemented\r\n",
     "",
     NULL,
     {"no-starttls"},
     false,
     true},
    {"fault-starttls-after-tls",
     EHLO TLS_ON "STARTTLS\r\n",
     0,
     G EHLO_TLS START_OK EHLO_TLS "554 5.5.1 Error: TLS already active\r\n",
     "",
     NULL,
     {"starttls-after-tls"},
     false,
     true},
    {"fault-starttls-keeps-session",
     EHLO "MAIL FROM:<a@x.test>\r\nSTARTTLS\r\nRCPT TO:<b@y.test>\r\n",
     0,
     G EHLO_TLS "250 2.1.0 Ok\r\n" START_OK "250 2.1.5 Ok\r\n",
     "",
     NULL,
     {"starttls-keeps-session"},
     false,
     true},
    {"fault-tls-fail",
     EHLO "STARTTLS\r\n",
     0,
     G EHLO_TLS "220 2.0.0 Ready to start TLS\r\n<tls fail>",
     "",
     NULL,
     {"tls-handshake-fail"},
     false,
     true},
    /* AUTH (RFC 4954 4, 6) in the submission profile */
    {"auth-plain",
     EHLO TLS_ON PLAIN_OK TXN "AUTH PLAIN\r\n",
     0,
     G EHLO_SUB START_OK EHLO_SUB_TLS AUTH_OK TXN_OK
     "503 5.5.1 Error: already authenticated\r\n",
     "",
     "submission",
     {NULL},
     false,
     true,
     true},
    {"auth-plain-needs-tls",
     EHLO PLAIN_OK "AUTH LOGIN\r\nMAIL FROM:<a@x.test>\r\n",
     0,
     G EHLO_SUB "538 5.7.11 Encryption required for requested authentication "
                "mechanism\r\n538 5.7.11 Encryption required for requested "
                "authentication mechanism\r\n530 5.7.0 Authentication "
                "required\r\n",
     "",
     "submission",
     {NULL},
     false,
     true,
     true},
    {"auth-plain-empty-challenge",
     EHLO TLS_ON "AUTH plain\r\nAGFsaWNlAHMzY3JldA==\r\n",
     0,
     G EHLO_SUB START_OK EHLO_SUB_TLS "334 \r\n" AUTH_OK,
     "",
     "submission",
     {NULL},
     false,
     true,
     true},
    {"auth-login",
     EHLO TLS_ON "AUTH LOGIN\r\nYWxpY2U=\r\nczNjcmV0\r\n",
     0,
     G EHLO_SUB START_OK EHLO_SUB_TLS
     "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n" AUTH_OK,
     "",
     "submission",
     {NULL},
     false,
     true,
     true},
    {"auth-refusals",
     EHLO TLS_ON
     "AUTH PLAIN AGFsaWNlAHdyb25n\r\nAUTH LOGIN\r\n*\r\n"
     "AUTH PLAIN !!!notbase64!!!\r\nAUTH X-NO-SUCH-MECH\r\nAUTH\r\n"
     "AUTH PLAIN a b\r\nAUTH PLAIN Ym9iAGFsaWNlAHMzY3JldA==\r\nNOOP\r\n",
     0,
     G EHLO_SUB START_OK EHLO_SUB_TLS AUTH_BAD
     "334 VXNlcm5hbWU6\r\n"
     "501 5.7.0 Authentication cancelled\r\n"
     "501 5.5.2 Cannot decode response\r\n"
     "504 5.5.4 Unrecognized authentication type\r\n"
     "501 5.5.4 Syntax: AUTH mechanism\r\n"
     "501 5.5.4 Syntax: AUTH mechanism [initial-response]\r\n" AUTH_BAD OK,
     "",
     "submission",
     {NULL},
     false,
     true,
     true},
    {"auth-sequence",
     "AUTH PLAIN\r\n" EHLO "MAIL FROM:<a@x.test>\r\n" PLAIN_OK,
     0,
     G "503 5.5.1 Error: send HELO/EHLO first\r\n" EHLO_SUB_HEAD AUTH_POST
         EHLO_SUB_TAIL
       "250 2.1.0 Ok\r\n503 5.5.1 Error: MAIL transaction in progress\r\n",
     "",
     "implicit-tls",
     {NULL},
     false,
     false,
     true},
    {"auth-not-offered",
     EHLO PLAIN_OK,
     0,
     G EHLO_OK "503 5.5.1 Error: authentication not enabled\r\n",
     "",
     NULL,
     {NULL},
     false,
     false,
     true},
    {"auth-relay-after-auth",
     EHLO PLAIN_OK "MAIL FROM:<a@x.test>\r\nRCPT TO:<v@elsewhere.test>\r\n"
                   "DATA\r\nx\r\n.\r\n",
     0,
     G EHLO_SUB_HEAD AUTH_POST EHLO_SUB_TAIL AUTH_OK TXN_OK DATA_OK Q1,
     "a@x.test>v@elsewhere.test:x\\r\\n\n",
     "implicit-tls",
     {NULL},
     true,
     false,
     true},
    {"auth-mail-parameter",
     EHLO PLAIN_OK "MAIL FROM:<a@x.test> AUTH=<>\r\nRSET\r\n"
                   "MAIL FROM:<a@x.test> AUTH=alice+40x.test\r\nRSET\r\n"
                   "MAIL FROM:<a@x.test> AUTH=a=b\r\n",
     0,
     G EHLO_SUB_HEAD AUTH_POST EHLO_SUB_TAIL AUTH_OK
     "250 2.1.0 Ok\r\n" OK "250 2.1.0 Ok\r\n" OK
     "501 5.5.4 Bad parameter syntax: AUTH=a=b\r\n",
     "",
     "implicit-tls",
     {NULL},
     false,
     false,
     true},
    /* AUTH faults */
    {"fault-auth-any-password",
     EHLO TLS_ON "AUTH PLAIN AGFsaWNlAHdyb25n\r\n",
     0,
     G EHLO_SUB START_OK EHLO_SUB_TLS AUTH_OK,
     "",
     "submission",
     {"auth-any-password"},
     false,
     true,
     true},
    {"fault-auth-twice",
     EHLO TLS_ON PLAIN_OK PLAIN_OK,
     0,
     G EHLO_SUB START_OK EHLO_SUB_TLS AUTH_OK AUTH_OK,
     "",
     "submission",
     {"auth-twice"},
     false,
     true,
     true},
    {"fault-auth-refuses-advertised",
     EHLO TLS_ON "AUTH CRAM-MD5\r\nNOOP\r\n",
     0,
     G EHLO_SUB START_OK EHLO_SUB_TLS "504 5.5.4 Unrecognized authentication "
                                      "type\r\n" OK,
     "",
     "submission",
     {"auth-refuses-advertised"},
     false,
     true,
     true},
    {"fault-auth-plaintext-without-tls",
     EHLO PLAIN_OK,
     0,
     G EHLO_SUB_HEAD "250-STARTTLS\r\n" AUTH_POST EHLO_SUB_TAIL AUTH_OK,
     "",
     "submission",
     {"auth-plaintext-without-tls"},
     false,
     true,
     true},
    /* greeting, HELO/EHLO (RFC 5321 4.1.1.1, 3.2; RFC 2034 3) */
    {"quit", "QUIT\r\n", 0, G "221 2.0.0 Bye\r\n" CLOSE, ""},
    {"quit-ignores-rest", "QUIT\r\nNOOP\r\n", 0, G "221 2.0.0 Bye\r\n" CLOSE,
     ""},
    {"ehlo", EHLO, 0, G EHLO_OK, ""},
    {"helo-single-line", "HELO client.test\r\n", 0, G "250 localhost\r\n", ""},
    {"ehlo-no-arg", "EHLO\r\nHELO\r\n", 0,
     G "501 Syntax: EHLO hostname\r\n501 Syntax: HELO hostname\r\n", ""},
    {"ehlo-invalid", "EHLO bad_host!name\r\nEHLO a..b\r\nEHLO -a.b\r\n", 0,
     G "501 Error: invalid EHLO name\r\n501 Error: invalid EHLO name\r\n"
       "501 Error: invalid EHLO name\r\n",
     ""},
    {"ehlo-literals",
     "EHLO [192.0.2.1]\r\nHELO [IPv6:2001:db8::1]\r\nEHLO [192.0.2.300]\r\n", 0,
     G EHLO_OK "250 localhost\r\n501 Error: invalid EHLO name\r\n", ""},
    {"ehlo-case-and-blanks", "ehlo client.test\r\nEhLo client.test   \r\n", 0,
     G EHLO_OK EHLO_OK, ""},
    {"lhlo-in-smtp", "LHLO client.test\r\n", 0, G UNKNOWN, ""},
    /* the basic transaction (3.3, 4.1.1.4) */
    {"transaction", EHLO TXN "DATA\r\n" MSG ".\r\nQUIT\r\n", 0,
     G EHLO_OK TXN_OK DATA_OK Q1 "221 2.0.0 Bye\r\n" CLOSE,
     "a@x.test>b@y.test:Subject: x\\r\\n\\r\\nhello\\r\\n\n"},
    {"two-transactions",
     EHLO TXN "DATA\r\n" MSG ".\r\n" TXN "DATA\r\n" MSG ".\r\n", 0,
     G EHLO_OK TXN_OK DATA_OK Q1 TXN_OK DATA_OK Q2,
     "a@x.test>b@y.test:Subject: x\\r\\n\\r\\nhello\\r\\n\n"
     "a@x.test>b@y.test:Subject: x\\r\\n\\r\\nhello\\r\\n\n"},
    {"lower-case-session",
     "ehlo client.test\r\nmail from:<a@x.test>\r\nrCpT tO:<b@y.test>\r\n"
     "data\r\nx\r\n.\r\nquit\r\n",
     0, G EHLO_OK TXN_OK DATA_OK Q1 "221 2.0.0 Bye\r\n" CLOSE,
     "a@x.test>b@y.test:x\\r\\n\n"},
    {"dot-unstuffing", EHLO TXN "DATA\r\n..\r\n..foo\r\n...\r\n. \r\n.\r\n", 0,
     G EHLO_OK TXN_OK DATA_OK Q1,
     "a@x.test>b@y.test:.\\r\\n.foo\\r\\n..\\r\\n \\r\\n\n"},
    {"only-crlf-dot-crlf", EHLO TXN "DATA\r\n.x\r\nx.\r\n .\r\n.\r\n", 0,
     G EHLO_OK TXN_OK DATA_OK Q1,
     "a@x.test>b@y.test:x\\r\\nx.\\r\\n .\\r\\n\n"},
    {"empty-data", EHLO TXN "DATA\r\n.\r\n", 0, G EHLO_OK TXN_OK DATA_OK Q1,
     "a@x.test>b@y.test:\n"},
    {"last-line-kept", EHLO TXN "DATA\r\nlast-line\r\n.\r\n", 0,
     G EHLO_OK TXN_OK DATA_OK Q1, "a@x.test>b@y.test:last-line\\r\\n\n"},
    {"nul-and-8bit-in-body", EHLO TXN "DATA\r\na\0b\xc3\xa9\r\n.\r\n",
     sizeof(EHLO TXN "DATA\r\na\0b\xc3\xa9\r\n.\r\n") - 1,
     G EHLO_OK TXN_OK DATA_OK Q1,
     "a@x.test>b@y.test:a\\x00b\\xc3\\xa9\\r\\n\n"},
    /* sequencing (4.1.4, 3.3): a refused command changes nothing */
    {"rcpt-before-mail", EHLO "RCPT TO:<b@y.test>\r\n", 0, G EHLO_OK NEED_MAIL,
     ""},
    {"data-before-mail", EHLO "DATA\r\n", 0, G EHLO_OK NEED_MAIL, ""},
    {"data-before-rcpt",
     EHLO "MAIL FROM:<a@x.test>\r\nRCPT TO:<nouser@y.test>\r\nDATA\r\n", 0,
     G EHLO_OK "250 2.1.0 Ok\r\n550 5.1.1 <nouser@y.test>: Recipient address "
               "rejected: User unknown\r\n" NEED_RCPT,
     ""},
    {"nested-mail", EHLO TXN "MAIL FROM:<a@x.test>\r\nDATA\r\nx\r\n.\r\n", 0,
     G EHLO_OK TXN_OK "503 5.5.1 Error: nested MAIL command\r\n" DATA_OK Q1,
     "a@x.test>b@y.test:x\\r\\n\n"},
    {"mail-before-ehlo", "MAIL FROM:<a@x.test>\r\n", 0,
     G "503 5.5.1 Error: send HELO/EHLO first\r\n", ""},
    {"rset-clears", EHLO TXN "RSET\r\nRCPT TO:<b@y.test>\r\nDATA\r\n", 0,
     G EHLO_OK TXN_OK OK NEED_MAIL NEED_MAIL, ""},
    {"rset-before-ehlo", "RSET\r\nMAIL FROM:<a@x.test>\r\n", 0,
     G OK "503 5.5.1 Error: send HELO/EHLO first\r\n", ""},
    {"rset-never-closes", EHLO "RSET\r\nRSET\r\nRSET\r\nNOOP\r\n", 0,
     G EHLO_OK OK OK OK OK, ""},
    {"noop-anywhere",
     "NOOP\r\n" EHLO "MAIL FROM:<a@x.test>\r\nNOOP\r\n"
     "RCPT TO:<b@y.test>\r\nDATA\r\n",
     0, G OK EHLO_OK "250 2.1.0 Ok\r\n" OK "250 2.1.5 Ok\r\n" DATA_OK, ""},
    {"noop-params", "NOOP hello world\r\n", 0, G OK, ""},
    {"args-501", EHLO TXN "DATA now\r\nRSET now\r\nQUIT now\r\nDATA\r\n", 0,
     G EHLO_OK TXN_OK "501 5.5.4 Syntax: DATA\r\n501 5.5.4 Syntax: RSET\r\n"
                      "501 5.5.4 Syntax: QUIT\r\n" DATA_OK,
     ""},
    {"trailing-blanks", "RSET \r\nNOOP \r\nQUIT \r\n", 0,
     G OK OK "221 2.0.0 Bye\r\n" CLOSE, ""},
    {"unknown-stays", EHLO "FOOBAR\r\nXSUITEPROBE\r\nNOOP\r\n", 0,
     G EHLO_OK UNKNOWN UNKNOWN OK, ""},
    {"empty-line", "\r\n", 0, G UNKNOWN, ""},
    {"second-ehlo-resets", EHLO TXN EHLO "RCPT TO:<b@y.test>\r\nDATA\r\n", 0,
     G EHLO_OK TXN_OK EHLO_OK NEED_MAIL NEED_MAIL, ""},
    {"rejected-ehlo-keeps", EHLO TXN "EHLO\r\nDATA\r\nx\r\n.\r\n", 0,
     G EHLO_OK TXN_OK "501 Syntax: EHLO hostname\r\n" DATA_OK Q1,
     "a@x.test>b@y.test:x\\r\\n\n"},
    {"vrfy-expn-help",
     "VRFY postmaster\r\nVRFY\r\nEXPN postmaster\r\nHELP\r\nHELP MAIL\r\n", 0,
     G "252 2.5.2 Cannot VRFY user, but will accept message and attempt "
       "delivery\r\n501 5.5.4 Syntax: VRFY address\r\n"
       "502 5.5.1 Error: command not implemented\r\n"
       "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT "
       "VRFY HELP\r\n"
       "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT "
       "VRFY HELP\r\n",
     ""},
    {"starttls-auth-reserved", EHLO "STARTTLS\r\nAUTH PLAIN\r\n", 0,
     G EHLO_OK "502 5.5.1 Error: command not implemented\r\n"
               "503 5.5.1 Error: authentication not enabled\r\n",
     ""},
    /* addresses (4.1.2, 4.1.1.3, 4.5.1) */
    {"mail-syntax",
     EHLO
     "MAIL <a@x.test>\r\nMAIL FROM\r\nMAIL FROM:<a@x.test\r\n"
     "MAIL FROM: <a@x.test>\r\nMAIL FROM:a@x.test\r\nRCPT TO:<b@y.test>\r\n",
     0,
     G EHLO_OK "501 5.5.4 Syntax: MAIL FROM:<address>\r\n"
               "501 5.5.4 Syntax: MAIL FROM:<address>\r\n"
               "501 5.1.7 Bad sender address syntax\r\n"
               "501 5.1.7 Bad sender address syntax\r\n"
               "501 5.1.7 Bad sender address syntax\r\n" NEED_MAIL,
     ""},
    {"rcpt-syntax",
     EHLO "MAIL FROM:<>\r\nRCPT TO:\r\nRCPT TO:<>\r\nRCPT <x@y.test>\r\n"
          "RCPT TO:<u@bad_label.example>\r\nRCPT TO:<user>\r\n"
          "RCPT TO:<a@b@c.test>\r\nDATA\r\n",
     0,
     G EHLO_OK "250 2.1.0 Ok\r\n501 5.1.3 Bad recipient address syntax\r\n"
               "501 5.1.3 Bad recipient address syntax\r\n"
               "501 5.5.4 Syntax: RCPT TO:<address>\r\n"
               "501 5.1.3 Bad recipient address syntax\r\n"
               "501 5.1.3 Bad recipient address syntax\r\n"
               "501 5.1.3 Bad recipient address syntax\r\n" NEED_RCPT,
     ""},
    {"postmaster-and-forms",
     EHLO "MAIL FROM:<>\r\nRCPT TO:<postmaster>\r\nRCPT TO:<POSTMASTER>\r\n"
          "RCPT TO:<@r1.invalid,@r2.invalid:b@y.test>\r\n"
          "RCPT TO:<\"john doe\"@y.test>\r\nRCPT TO:<\"a\\\"b\"@y.test>\r\n"
          "RCPT TO:<u@[192.0.2.1]>\r\nRCPT TO:<MiXeD.Case@y.test>\r\n"
          "DATA\r\n.\r\n",
     0,
     G EHLO_OK "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
               "250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
               "250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n" DATA_OK Q1,
     ">postmaster,POSTMASTER,b@y.test,\"john doe\"@y.test,\"a\\\"b\"@y."
     "test,u@[192.0.2.1],MiXeD.Case@y.test:\n"},
    {"unknown-user-then-good",
     EHLO "MAIL FROM:<a@x.test>\r\nRCPT TO:<nouser@y.test>\r\n"
          "RCPT TO:<b@y.test>\r\nDATA\r\nx\r\n.\r\n",
     0,
     G EHLO_OK "250 2.1.0 Ok\r\n550 5.1.1 <nouser@y.test>: Recipient address "
               "rejected: User unknown\r\n250 2.1.5 Ok\r\n" DATA_OK Q1,
     "a@x.test>b@y.test:x\\r\\n\n"},
    /* line endings and control characters (2.3.8, 4.1.2) */
    {"bare-lf-command", "NOOP\n\r\n", 0, G UNKNOWN, ""},
    {"bare-cr-command", EHLO "MAIL FROM:<a@x.test>\rRCPT TO:<b@y.test>\r\n", 0,
     G EHLO_OK "501 5.5.2 Syntax error: control character in argument\r\n", ""},
    {"nul-command", L(EHLO "NOOP\0junk\r\nMAIL FROM:<a\0b@x.test>\r\n"),
     G EHLO_OK UNKNOWN "501 5.5.2 Syntax error: control character in "
                       "argument\r\n",
     ""},
    {"bad-utf8", "NOOP \xc0\x80\xff\r\n", 0,
     G "500 5.5.2 Error: invalid UTF-8 in command\r\n", ""},
    {"line-512",
     "NOOP "
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxx\r\n",
     0, G OK, ""},
    {"line-too-long-in-sync",
     "NOOP xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\nNOOP\r\n",
     0,
     G "500 5.5.2 Error: line too long\r\n" OK,
     "",
     NULL,
     {"line-limit=64"}},
    {"line-too-long-answered-early",
     "NOOP 1234567890123456789",
     0,
     G "500 5.5.2 Error: line too long\r\n",
     "",
     NULL,
     {"line-limit=16"}},
    {"line-limit-exact",
     "NOOP 123456789\r\nNOOP 1234567890\r\n",
     0,
     G OK "500 5.5.2 Error: line too long\r\n",
     "",
     NULL,
     {"line-limit=16"}},
    /* SIZE (RFC 1870) */
    {"size-at-mail",
     EHLO "MAIL FROM:<a@x.test> SIZE=10485761\r\nMAIL FROM:<a@x.test> "
          "SIZE=abc\r\nMAIL FROM:<a@x.test> SIZE=\r\n"
          "MAIL FROM:<a@x.test> SIZE=99999999999999999999999\r\n"
          "MAIL FROM:<a@x.test> SIZE=10484761\r\n",
     0,
     G EHLO_OK "552 5.3.4 Message size exceeds fixed limit\r\n"
               "501 5.5.4 Bad SIZE parameter syntax\r\n"
               "501 5.5.4 Bad parameter syntax: SIZE=\r\n"
               "501 5.5.4 Bad SIZE parameter syntax\r\n250 2.1.0 Ok\r\n",
     ""},
    {"size-at-eod",
     EHLO TXN "DATA\r\n0123456789\r\n0123456789\r\n.\r\nNOOP\r\n",
     0,
     G "250-localhost\r\n250-PIPELINING\r\n250-SIZE 20\r\n250-VRFY\r\n"
       "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
       "250-SMTPUTF8\r\n250 CHUNKING\r\n" TXN_OK DATA_OK
       "552 5.3.4 Error: message file too big\r\n" OK,
     "",
     NULL,
     {"size-limit=20"}},
    /* recipients (4.5.3.1.8, 4.5.3.1.10) */
    {"rcpt-limit",
     EHLO "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n"
          "RCPT TO:<c@y.test>\r\nRCPT TO:<d@y.test>\r\nDATA\r\n.\r\n",
     0,
     G EHLO_OK "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
               "452 4.5.3 Error: too many recipients\r\n" DATA_OK Q1,
     "a@x.test>b@y.test,c@y.test:\n",
     NULL,
     {"rcpt-limit=2"}},
    /* parameters: 8BITMIME, SMTPUTF8, DSN, unknown (4.1.1.11) */
    {"body",
     EHLO "MAIL FROM:<a@x.test> BODY=8BITMIME\r\nRSET\r\n"
          "MAIL FROM:<a@x.test> BODY=7bit\r\nRSET\r\n"
          "MAIL FROM:<a@x.test> BODY=FOO\r\nMAIL FROM:<a@x.test> BODY\r\n",
     0,
     G EHLO_OK "250 2.1.0 Ok\r\n" OK "250 2.1.0 Ok\r\n" OK
               "501 5.5.4 Bad BODY parameter value (7BIT or 8BITMIME)\r\n"
               "501 5.5.4 BODY needs a value\r\n",
     ""},
    {"smtputf8",
     EHLO "MAIL FROM:<d\xc3\xb6rte@ex\xc3\xa4mple.test> SMTPUTF8\r\n"
          "RCPT TO:<\xc3\xbc@y.test>\r\nDATA\r\n.\r\n",
     0, G EHLO_OK TXN_OK DATA_OK Q1,
     "d\xc3\xb6rte@ex\xc3\xa4mple.test>\xc3\xbc@y.test:\n"},
    {"utf8-without-param",
     EHLO "MAIL FROM:<d\xc3\xb6rte@x.test>\r\n"
          "MAIL FROM:<a@x.test> SMTPUTF8=yes\r\nMAIL FROM:<a@x.test>\r\n"
          "RCPT TO:<\xc3\xbc@y.test>\r\n",
     0,
     G EHLO_OK "553 5.6.7 Must declare SMTPUTF8 to send unicode address\r\n"
               "501 5.5.4 SMTPUTF8 takes no value\r\n250 2.1.0 Ok\r\n"
               "553 5.6.7 Must declare SMTPUTF8 to send unicode address\r\n",
     ""},
    {"dsn-valid",
     EHLO "MAIL FROM:<a@x.test> RET=HDRS ENVID=QQ314159\r\n"
          "RCPT TO:<b@y.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@y.test\r\n"
          "RCPT TO:<c@y.test> NOTIFY=NEVER ORCPT=rfc822;c+40y.test\r\n",
     0, G EHLO_OK TXN_OK "250 2.1.5 Ok\r\n", ""},
    {"dsn-invalid",
     EHLO "MAIL FROM:<a@x.test> RET=FULL RET=HDRS\r\n"
          "MAIL FROM:<a@x.test> RET=BOGUS\r\nMAIL FROM:<a@x.test> ENVID=+ZZ\r\n"
          "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test> NOTIFY=NEVER,SUCCESS\r\n"
          "RCPT TO:<b@y.test> NOTIFY=SOMETIMES\r\n"
          "RCPT TO:<b@y.test> NOTIFY=SUCCESS,SUCCESS\r\n"
          "RCPT TO:<b@y.test> ORCPT=missing-semicolon\r\n",
     0,
     G EHLO_OK "501 5.5.4 Duplicate RET parameter\r\n"
               "501 5.5.4 Bad RET parameter syntax\r\n"
               "501 5.5.4 Bad ENVID parameter syntax\r\n250 2.1.0 Ok\r\n"
               "501 5.5.4 Bad NOTIFY parameter syntax\r\n"
               "501 5.5.4 Bad NOTIFY parameter syntax\r\n"
               "501 5.5.4 Bad NOTIFY parameter syntax\r\n"
               "501 5.5.4 Bad ORCPT parameter syntax\r\n",
     ""},
    {"unknown-param",
     EHLO "MAIL FROM:<a@x.test> FOO=bar\r\n"
          "MAIL FROM:<a@x.test> =\r\nMAIL FROM:<a@x.test> AUTH=<>\r\n",
     0,
     G EHLO_OK "555 5.5.4 Unsupported option: FOO\r\n"
               "501 5.5.4 Bad parameter syntax: =\r\n"
               "555 5.5.4 Unsupported option: AUTH\r\n",
     ""},
    {"params-in-helo-session",
     "HELO client.test\r\n"
     "MAIL FROM:<a@x.test> SIZE=100\r\n",
     0, G "250 localhost\r\n555 5.5.4 Unsupported option: SIZE\r\n", ""},
    /* CHUNKING (RFC 3030) */
    {"bdat-chunks",
     EHLO TXN "BDAT 10\r\n0123456789BDAT 5\r\nabcdeBDAT 0 LAST\r\n"
              "NOOP\r\n",
     0,
     G EHLO_OK TXN_OK "250 2.0.0 Ok: 10 octets received\r\n"
                      "250 2.0.0 Ok: 5 octets received\r\n" Q1 OK,
     "a@x.test>b@y.test:0123456789abcde\n"},
    {"bdat-dot-line",
     EHLO TXN "BDAT 29 LAST\r\nSubject: x\r\n\r\nline\r\n.\r\n"
              "more\r\nNOOP\r\n",
     0, G EHLO_OK TXN_OK Q1 OK,
     "a@x.test>b@y.test:Subject: x\\r\\n\\r\\nline\\r\\n.\\r\\nmore\\r\\n\n"},
    {"bdat-no-mail", EHLO "BDAT 5 LAST\r\nabcdeNOOP\r\n", 0,
     G EHLO_OK NEED_MAIL OK, ""},
    {"bdat-then-data", EHLO TXN "BDAT 5\r\nabcdeDATA\r\nRCPT TO:<c@y.test>\r\n",
     0,
     G EHLO_OK TXN_OK "250 2.0.0 Ok: 5 octets received\r\n"
                      "503 5.5.1 Error: DATA after BDAT\r\n"
                      "503 5.5.1 Error: RCPT after BDAT\r\n",
     ""},
    {"bdat-after-last", EHLO TXN "BDAT 5 LAST\r\nabcdeBDAT 5\r\nabcdeNOOP\r\n",
     0, G EHLO_OK TXN_OK Q1 NEED_MAIL OK, "a@x.test>b@y.test:abcde\n"},
    {"bdat-malformed",
     EHLO TXN "BDAT\r\nBDAT abc\r\nBDAT 10 FIRST\r\n"
              "0123456789BDAT 0\r\nNOOP\r\n",
     0,
     G EHLO_OK TXN_OK "501 5.5.4 Syntax: BDAT count [LAST]\r\n"
                      "501 5.5.4 Syntax: BDAT count [LAST]\r\n"
                      "501 5.5.4 Syntax: BDAT count [LAST]\r\n"
                      "501 5.5.4 Error: zero-size BDAT needs LAST\r\n" OK,
     ""},
    {"bdat-refused-consumed",
     EHLO "MAIL FROM:<a@x.test>\r\n"
          "RCPT TO:<nouser@y.test>\r\nBDAT 8 LAST\r\nNOOP\r\n\r\nNOOP\r\n",
     0,
     G EHLO_OK "250 2.1.0 Ok\r\n550 5.1.1 <nouser@y.test>: Recipient address "
               "rejected: User unknown\r\n" NEED_RCPT OK,
     ""},
    {"bdat-too-big",
     EHLO TXN "BDAT 8\r\n01234567BDAT 5 LAST\r\nabcdeNOOP\r\n"
              "BDAT 1 LAST\r\nx",
     0,
     G "250-localhost\r\n250-PIPELINING\r\n250-SIZE 10\r\n250-VRFY\r\n"
       "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
       "250-SMTPUTF8\r\n250 CHUNKING\r\n" TXN_OK
       "250 2.0.0 Ok: 8 octets received\r\n"
       "552 5.3.4 Error: message file too big\r\n" OK NEED_MAIL,
     "",
     NULL,
     {"size-limit=10"}},
    {"bdat-chunk-over-limit",
     EHLO TXN "BDAT 11 LAST\r\n0123456789aNOOP\r\n"
              "BDAT 99999999999999999999 LAST\r\nBDAT 18446744073709551615\r\n",
     0,
     G "250-localhost\r\n250-PIPELINING\r\n250-SIZE 10\r\n250-VRFY\r\n"
       "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
       "250-SMTPUTF8\r\n250 CHUNKING\r\n" TXN_OK
       "552 5.3.4 Message size exceeds fixed limit\r\n" OK
       "501 5.5.4 Syntax: BDAT count [LAST]\r\n"
       "501 5.5.4 Syntax: BDAT count [LAST]\r\n",
     "",
     NULL,
     {"size-limit=10"}},
    /* pipelining: a whole group in one write (RFC 2920 3.2) */
    {"pipelined-group",
     EHLO "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n"
          "RCPT TO:<nouser@y.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n" MSG
          ".\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n",
     0,
     G EHLO_OK TXN_OK
     "550 5.1.1 <nouser@y.test>: Recipient address rejected: "
     "User unknown\r\n250 2.1.5 Ok\r\n" DATA_OK Q1 TXN_OK DATA_OK,
     "a@x.test>b@y.test,c@y.test:Subject: x\\r\\n\\r\\nhello\\r\\n\n"},
    /* smuggling: only CRLF.CRLF ends the data (4.1.1.4; SMUG-01..04) */
    {"smuggle-lf-dot-lf",
     EHLO TXN "DATA\r\nbody\n.\nMAIL FROM:<s@x.test>\r\n"
              ".\r\n",
     0, G EHLO_OK TXN_OK DATA_OK Q1,
     "a@x.test>b@y.test:body\\n.\\nMAIL FROM:<s@x.test>\\r\\n\n"},
    {"smuggle-variants",
     EHLO TXN "DATA\r\na\n.\r\nb\r\n.\nc\r.\rd\r.\r\n"
              "e\r\n.\r\r\nf\r\n\0.\r\ng\r\n.\0\r\n.\r\n",
     sizeof(EHLO TXN "DATA\r\na\n.\r\nb\r\n.\nc\r.\rd\r.\r\n"
                     "e\r\n.\r\r\nf\r\n\0.\r\ng\r\n.\0\r\n.\r\n") -
         1,
     G EHLO_OK TXN_OK DATA_OK Q1,
     "a@x.test>b@y.test:a\\n.\\r\\nb\\r\\n\\nc\\r.\\rd\\r."
     "\\r\\ne\\r\\n\\r\\r\\n"
     "f\\r\\n\\x00.\\r\\ng\\r\\n\\x00\\r\\n\n"},
    {"bare-lf-eod",
     EHLO TXN "DATA\r\nbody\n.\nMAIL FROM:<s@x.test>\r\n"
              "RCPT TO:<b@y.test>\r\nDATA\r\nsmuggled\r\n.\r\n",
     0,
     G EHLO_OK TXN_OK DATA_OK Q1 TXN_OK DATA_OK Q2,
     "a@x.test>b@y.test:body\\r\\n\ns@x.test>b@y.test:smuggled\\r\\n\n",
     NULL,
     {"smuggle-lf"}},
    {"bare-lf-eod-crlf-dot-lf",
     EHLO TXN "DATA\r\nbody\r\n.\nNOOP\r\n",
     0,
     G EHLO_OK TXN_OK DATA_OK Q1 OK,
     "a@x.test>b@y.test:body\\r\\n\n",
     NULL,
     {"bare-lf=eod"}},
    {"bare-cr-eod",
     EHLO TXN "DATA\r\nbody\r.\rNOOP\r\n",
     0,
     G EHLO_OK TXN_OK DATA_OK Q1 OK,
     "a@x.test>b@y.test:body\\r\\n\n",
     NULL,
     {"smuggle-cr"}},
    {"bare-lf-line-end",
     "NOOP\nEHLO client.test\nMAIL FROM:<a@x.test>\n"
     "RCPT TO:<b@y.test>\nDATA\nx\n.\n.\r\n\r\n.\r\n",
     0,
     G OK EHLO_OK TXN_OK DATA_OK Q1,
     "a@x.test>b@y.test:x\\r\\n.\\r\\n.\\r\\n\\r\\n\n",
     NULL,
     {"bare-lf-line-end"}},
    {"bare-lf-reject-command",
     "NOOP\nNOOP\r\n",
     0,
     G "550 5.5.2 Error: bare <LF> received\r\n" CLOSE,
     "",
     NULL,
     {"bare-lf-reject"}},
    {"bare-lf-reject-data",
     EHLO TXN "DATA\r\na\nb\r\n.\r\nNOOP\r\n",
     0,
     G EHLO_OK TXN_OK DATA_OK
     "550 5.5.2 Error: bare <CR> or <LF> received\r\n" OK,
     "",
     NULL,
     {"bare-lf-reject"}},
    /* profiles */
    {"lmtp",
     "EHLO client.test\r\nLHLO client.test\r\nMAIL FROM:<a@x.test>\r\n"
     "RCPT TO:<b@y.test>\r\nRCPT TO:<nouser@y.test>\r\nRCPT TO:<b@y.test>\r\n"
     "DATA\r\nx\r\n.\r\n",
     0,
     "220 localhost LMTP smtpsuite sink\r\n"
     "500 Error: this is LMTP, say LHLO\r\n" EHLO_OK TXN_OK
     "550 5.1.1 <nouser@y.test>: Recipient address rejected: User unknown\r\n"
     "250 2.1.5 Ok\r\n" DATA_OK "250 2.1.5 <b@y.test> Ok: delivered as s1.1\r\n"
     "250 2.1.5 <b@y.test> Ok: delivered as s1.1\r\n",
     "a@x.test>b@y.test,b@y.test:x\\r\\n\n", "lmtp"},
    {"lmtp-data-no-rcpt",
     "LHLO client.test\r\nMAIL FROM:<a@x.test>\r\n"
     "RCPT TO:<nouser@y.test>\r\nDATA\r\n",
     0,
     "220 localhost LMTP smtpsuite sink\r\n" EHLO_OK "250 2.1.0 Ok\r\n"
     "550 5.1.1 <nouser@y.test>: Recipient address rejected: User "
     "unknown\r\n" NEED_RCPT,
     "", "lmtp"},
    {"554-greeting", "EHLO client.test\r\nMAIL FROM:<>\r\nNOOP\r\nQUIT\r\n", 0,
     "554 localhost ESMTP not accepting connections\r\n"
     "503 Error: access denied\r\n503 5.5.1 Error: access denied\r\n"
     "503 5.5.1 Error: access denied\r\n221 2.0.0 Bye\r\n" CLOSE,
     "", "554-greeting"},
    {"error-limit",
     EHLO "FOO\r\nRCPT TO:<b@y.test>\r\nRSET\r\nMAIL x\r\n"
          "NOOP\r\n",
     0,
     G EHLO_OK UNKNOWN NEED_MAIL OK
     "501 5.5.4 Syntax: MAIL FROM:<address>\r\n"
     "421 4.7.0 localhost Error: too many errors\r\n" CLOSE,
     "",
     NULL,
     {"error-limit=3"}},
    /* relaying, with local domains configured (RFC 5321 3.6, 7.9) */
    {"relay-denied",
     EHLO "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n"
          "RCPT TO:<v@elsewhere.test>\r\nRCPT TO:<v@Y.TEST>\r\n"
          "RCPT TO:<@y.test:v@elsewhere.test>\r\nRCPT TO:<v@[192.0.2.55]>\r\n"
          "RCPT TO:<postmaster>\r\n",
     0,
     G EHLO_OK TXN_OK
     "550 5.7.1 <v@elsewhere.test>: Relay access denied\r\n250 2.1.5 Ok\r\n"
     "550 5.7.1 <v@elsewhere.test>: Relay access denied\r\n"
     "550 5.7.1 <v@[192.0.2.55]>: Relay access denied\r\n250 2.1.5 Ok\r\n",
     "",
     NULL,
     {NULL},
     true},
    {"relay-needs-auth",
     EHLO "MAIL FROM:<a@x.test>\r\nRCPT TO:<v@elsewhere.test>\r\n"
          "RCPT TO:<b@y.test>\r\n",
     0,
     G EHLO_OK "250 2.1.0 Ok\r\n530 5.7.0 Authentication required\r\n"
               "250 2.1.5 Ok\r\n",
     "",
     "implicit-tls",
     {NULL},
     true},
    /* the fault table */
    {"fault-rset-keeps-envelope",
     EHLO TXN "RSET\r\nRCPT TO:<c@y.test>\r\n",
     0,
     G EHLO_OK TXN_OK OK "250 2.1.5 Ok\r\n",
     "",
     NULL,
     {"rset-keeps-envelope"}},
    {"fault-rcpt-before-mail",
     EHLO "RCPT TO:<b@y.test>\r\nDATA\r\n.\r\n",
     0,
     G EHLO_OK "250 2.1.5 Ok\r\n" DATA_OK Q1,
     ">b@y.test:\n",
     NULL,
     {"rcpt-before-mail"}},
    {"fault-reply-and-extra",
     "NOOP\r\nVRFY x\r\n",
     0,
     G OK "250 2.0.0 Ok\r\n550-5.1.1 line one\r\n550 5.1.1 line two\r\n",
     "",
     NULL,
     {"NOOP -> extra 250 2.0.0 Ok",
      "VRFY -> reply 550 5.1.1 line one\\nline two"}},
    {"fault-close-before",
     EHLO "MAIL FROM:<a@x.test>\r\nNOOP\r\n",
     0,
     G EHLO_OK CLOSE,
     "",
     NULL,
     {"MAIL -> close-before"}},
    {"fault-close-after",
     EHLO "FOO\r\nNOOP\r\n",
     0,
     G EHLO_OK UNKNOWN CLOSE,
     "",
     NULL,
     {"unknown-closes"}},
    {"fault-state-and-pattern",
     EHLO "MAIL FROM:<a@x.test>\r\n"
          "RCPT TO:<b@y.test>\r\nRCPT TO:<c@y.test>\r\nNOOP\r\n",
     0,
     G EHLO_OK "250 2.1.0 Ok\r\n451 4.3.0 try c later\r\n250 2.1.5 Ok\r\n" OK,
     "",
     NULL,
     {"RCPT@mail~^to:<b@ -> reply 451 4.3.0 try c later"}},
    {"fault-reply-refuses",
     EHLO TXN "DATA\r\n",
     0,
     G EHLO_OK "250 2.1.0 Ok\r\n450 4.2.0 busy\r\n" NEED_RCPT,
     "",
     NULL,
     {"RCPT -> reply 450 4.2.0 busy"}},
    {"fault-eod-lost",
     EHLO TXN "DATA\r\nx\r\n.\r\nNOOP\r\n",
     0,
     G EHLO_OK TXN_OK DATA_OK Q1 OK,
     "",
     NULL,
     {"EOD -> keep-state"}},
    {"fault-drop-add",
     EHLO,
     0,
     G "250-localhost\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n250-VRFY\r\n"
       "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
       "250-SMTPUTF8\r\n250 EXPN\r\n",
     "",
     NULL,
     {"no-chunking", "EHLO -> add EXPN"}},
    {"fault-dropped-param",
     EHLO "MAIL FROM:<a@x.test> SIZE=10\r\n"
          "BDAT 3\r\nabcNOOP\r\n",
     0,
     G "250-localhost\r\n250-PIPELINING\r\n250-VRFY\r\n"
       "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
       "250-SMTPUTF8\r\n250 CHUNKING\r\n"
       "555 5.5.4 Unsupported option: SIZE\r\n" NEED_MAIL OK,
     "",
     NULL,
     {"no-size"}},
    {"fault-no-esc",
     EHLO "RCPT TO:<b@y.test>\r\nNOOP\r\n",
     0,
     G EHLO_OK "503 Error: need MAIL command\r\n250 Ok\r\n",
     "",
     NULL,
     {"no-enhanced-codes"}},
    {"fault-no-unstuffing",
     EHLO TXN "DATA\r\n..foo\r\n.\r\n",
     0,
     G EHLO_OK TXN_OK DATA_OK Q1,
     "a@x.test>b@y.test:..foo\\r\\n\n",
     NULL,
     {"no-dot-unstuffing"}},
    {"fault-size-unchecked",
     EHLO "MAIL FROM:<a@x.test> SIZE=11\r\n"
          "RCPT TO:<b@y.test>\r\nDATA\r\n0123456789ab\r\n.\r\n",
     0,
     G "250-localhost\r\n250-PIPELINING\r\n250-SIZE 10\r\n250-VRFY\r\n"
       "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
       "250-SMTPUTF8\r\n250 CHUNKING\r\n" TXN_OK DATA_OK Q1,
     "a@x.test>b@y.test:0123456789\n",
     NULL,
     {"size-limit=10", "size-unchecked-at-mail", "size-unchecked-at-eod"}},
    {"fault-quit-no-close",
     "QUIT\r\nNOOP\r\n",
     0,
     G "221 2.0.0 Bye\r\n" OK,
     "",
     NULL,
     {"quit-no-close"}},
    {"fault-delay",
     "NOOP\r\nNOOP\r\n",
     0,
     G "<delay 5ms>" OK "<delay 5ms>" OK,
     "",
     NULL,
     {"NOOP -> delay 5ms"}},
    /* the hostile-server faults (docs/hardening.md) */
    {"fault-trickle",
     "NOOP\r\n",
     0,
     G TR("2") TR("5") TR("0") TR(" ") TR("2") TR(".") TR("0") TR(".") TR("0")
         TR(" ") TR("O") TR("k") TR("\r") TR("\n"),
     "",
     NULL,
     {"NOOP -> trickle 1s"}},
    {"fault-pad",
     "NOOP\r\nNOOP a\r\n",
     0,
     G "250 2.0.0 Okxxxxx\r\n" OK,
     "",
     NULL,
     {"NOOP~^$ -> pad 5"}},
    {"fault-rst",
     "NOOP\r\nNOOP\r\n",
     0,
     G "250-half a rep" CLOSE,
     "",
     NULL,
     {"NOOP -> raw 250-half a rep; rst"}},
    {"fault-greeting-delay",
     "NOOP\r\n",
     0,
     "<delay 2000ms>" G OK,
     "",
     NULL,
     {"slow-greeting"}},
    {"fault-delay-close-before",
     "NOOP\r\nNOOP\r\n",
     0,
     "<delay 3000ms>" CLOSE,
     "",
     NULL,
     {"CONNECT -> delay 3s; close-before"}},
    {"fault-delay-close",
     "QUIT\r\n",
     0,
     G "<delay 1ms>221 2.0.0 Bye\r\n" CLOSE,
     "",
     NULL,
     {"QUIT -> delay 1ms"}},
    /* LINE rows see the whole line, case-sensitively, blanks and all */
    {"fault-line-case",
     "ehlo client.test\r\nEHLO client.test\r\nRSET \r\nRSET\r\n",
     0,
     G "500 5.5.2 Error: command not recognized\r\n" EHLO_OK
       "501 5.5.4 no blanks\r\n" OK,
     "",
     NULL,
     {"LINE~^ehlo -> reply 500 5.5.2 Error: command not recognized",
      "LINE~^RSET +$ -> reply 501 5.5.4 no blanks"}},
    /* EOD rows see the content */
    {"fault-eod-content",
     EHLO TXN "DATA\r\nSubject: a\r\n.\r\n" TXN "DATA\r\nSubject: b\r\n.\r\n",
     0,
     G EHLO_OK TXN_OK DATA_OK "554 5.6.0 not a\r\n" TXN_OK DATA_OK Q2,
     "a@x.test>b@y.test:Subject: b\\r\\n\n",
     NULL,
     {"EOD~^subject: a -> reply 554 5.6.0 not a"}},
    {"fault-raw",
     "NOOP\r\nNOOP x\r\n",
     0,
     G "250-a\r\n251 b\r\n" OK,
     "",
     NULL,
     {"NOOP~^$ -> raw 250-a\\r\\n251 b\\r\\n"}},
    {"fault-reset",
     EHLO TXN "EHLO\r\nDATA\r\n",
     0,
     G EHLO_OK TXN_OK "501 Syntax: EHLO hostname\r\n" NEED_MAIL,
     "",
     NULL,
     {"EHLO@rcpt -> reset"}},
    {"fault-flush",
     EHLO "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nNOOP\r\n",
     0,
     G EHLO_OK "250 2.1.0 Ok\r\n",
     "",
     NULL,
     {"MAIL -> flush"},
     false,
     false,
     false,
     true},
    {"fault-strip-nul",
     L(EHLO "MAIL FROM:<a\0b@x.test>\r\nNOOP\0\r\n"),
     G EHLO_OK "250 2.1.0 Ok\r\n" OK,
     "",
     NULL,
     {"strip-nul=on"}},
    {"fault-dot-dot-eod",
     EHLO TXN "DATA\r\na\r\n..\r\nNOOP\r\n",
     0,
     G EHLO_OK TXN_OK DATA_OK Q1 OK,
     "a@x.test>b@y.test:a\\r\\n\n",
     NULL,
     {"dot-dot-eod=on"}},
    {"fault-too-long-argument",
     "NOOP xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\nNOOP\r\n",
     0,
     G "421 4.7.0 long\r\n" CLOSE,
     "",
     NULL,
     {"line-limit=32", "NOOP~^x{20} -> reply 421 4.7.0 long; close-after"}},
    /* RFC 3030 3: BINARYMIME (offered through the fault table) */
    {"binarymime",
     EHLO "MAIL FROM:<a@x.test> BODY=BINARYMIME\r\nRCPT TO:<b@y.test>\r\n"
          "DATA\r\nBDAT 3 LAST\r\nabc",
     0,
     G "250-localhost\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n250-VRFY\r\n"
       "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
       "250-SMTPUTF8\r\n250-CHUNKING\r\n250 BINARYMIME\r\n" TXN_OK
       "503 5.5.1 Error: BODY=BINARYMIME needs BDAT\r\n" Q1,
     "a@x.test>b@y.test:abc\n",
     NULL,
     {"EHLO -> add BINARYMIME"}},
    /* PRDR (draft-hall-prdr-00 4), offered through the fault table: 353,
     * a reply per recipient in order, the message's; no value allowed */
    {"prdr",
     EHLO "MAIL FROM:<a@x.test> PRDR\r\nRCPT TO:<b@y.test>\r\n"
          "RCPT TO:<nouser@y.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n" MSG
          ".\r\nMAIL FROM:<a@x.test> PRDR=yes\r\n",
     0,
     G "250-localhost\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n250-VRFY\r\n"
       "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
       "250-SMTPUTF8\r\n250-CHUNKING\r\n250 PRDR\r\n" TXN_OK
       "550 5.1.1 <nouser@y.test>: Recipient address rejected: "
       "User unknown\r\n250 2.1.5 Ok\r\n" DATA_OK
       "353 content analysis has started\r\n"
       "250 2.1.5 <b@y.test> Ok: recipient accepted\r\n"
       "250 2.1.5 <c@y.test> Ok: recipient accepted\r\n" Q1
       "501 5.5.4 PRDR takes no value\r\n",
     "a@x.test>b@y.test,c@y.test:Subject: x\\r\\n\\r\\nhello\\r\\n\n",
     NULL,
     {"EHLO -> add PRDR"}},
    {"prdr-not-offered", EHLO "MAIL FROM:<a@x.test> PRDR\r\n", 0,
     G EHLO_OK "555 5.5.4 Unsupported option: PRDR\r\n", ""},
    /* Postfix XCLIENT_README: a new greeting, and EHLO again; no XCLIENT
     * or XFORWARD inside a transaction; unknown attributes 501 */
    {"xclient-xforward",
     EHLO
     "XCLIENT NAME=a.test ADDR=192.0.2.1\r\nMAIL FROM:<a@x.test>\r\n" EHLO TXN
     "XCLIENT ADDR=192.0.2.2\r\nXFORWARD NAME=b\r\nRSET\r\n"
     "XCLIENT BOGUS=1\r\nXFORWARD NAME=b ADDR=192.0.2.3\r\n"
     "XFORWARD LOGIN=x\r\n",
     0,
     G EHLO_X G "503 5.5.1 Error: send HELO/EHLO first\r\n" EHLO_X TXN_OK
                "503 5.5.1 Error: MAIL transaction in progress\r\n"
                "503 5.5.1 Error: MAIL transaction in progress\r\n" OK
                "501 5.5.4 Bad XCLIENT attribute name: BOGUS\r\n" OK
                "501 5.5.4 Bad XFORWARD attribute name: LOGIN\r\n",
     "",
     NULL,
     {"xclient=on", "xforward=on"}},
    {"xclient-not-offered", EHLO "XCLIENT NAME=a\r\nXFORWARD NAME=a\r\n", 0,
     G EHLO_OK UNKNOWN UNKNOWN, ""},
};

/* The TLS and AUTH settings of the fault table, as sink.c applies them. */
static void apply_tls_auth(struct sink_proto_config *cfg,
                           const struct sink_fault_settings *st)
{
    cfg->tls_tail = st->tls_tail == 1;
    cfg->tls_reset = st->tls_reset != 0;
    cfg->starttls_after_tls = st->starttls_after_tls == 1;
    cfg->auth_check = st->auth_check != 0;
    cfg->auth_tls = st->auth_needs_tls != 0;
    cfg->scram_bad_sig = st->scram_signature == 1;
    cfg->xclient = st->xclient > 0;
    cfg->xforward = st->xforward > 0;
}

/* The user table of the AUTH vectors: alice, password s3cret, token
 * tok-1. */
static struct sasl_users *test_users(void)
{
    struct sasl_users *u = sasl_users_new(NULL);
    struct sasl_user a = {"alice", "s3cret", "tok-1"};
    char err[256];
    ck_assert_msg(sasl_users_add(u, &a, err, sizeof err) == 0, "%s", err);
    return u;
}

/* Runs one session; step is the size of each feed. The transcript holds
 * the output with <delay ...> and <close> markers. */
static void run(const struct vec *v, size_t step, struct buf *out,
                struct buf *msgs)
{
    struct sink_proto_config cfg;
    sink_proto_config_init(&cfg);
    struct sink_fault_table *ft = sink_fault_new();
    char err[512];
    for (int i = 0; i < 4 && v->faults[i]; i++)
        ck_assert_msg(
            sink_fault_add(ft, v->faults[i], "test", err, sizeof err) == 0,
            "%s: %s", v->name, err);
    const struct sink_fault_settings *st = sink_fault_settings(ft);
    if (st->line_limit > 0)
        cfg.line_max = (size_t)st->line_limit;
    if (st->rcpt_limit > 0)
        cfg.rcpt_limit = (size_t)st->rcpt_limit;
    if (st->size_limit > 0)
        cfg.size_limit = (size_t)st->size_limit;
    if (st->error_limit >= 0)
        cfg.error_limit = (size_t)st->error_limit;
    if (st->bare_lf >= 0)
        cfg.bare_lf = (enum sink_bare)st->bare_lf;
    if (st->bare_cr >= 0)
        cfg.bare_cr = (enum sink_bare)st->bare_cr;
    if (st->unstuff >= 0)
        cfg.unstuff = st->unstuff;
    if (st->esc >= 0)
        cfg.esc = st->esc;
    cfg.strip_nul = st->strip_nul > 0;
    cfg.dotdot_eod = st->dotdot_eod > 0;
    cfg.faults = ft;
    static const char *const LOCAL[] = {"y.test"};
    if (v->local) {
        cfg.local_domains = LOCAL;
        cfg.nlocal = 1;
    }
    if (v->profile)
        cfg.profile = sink_profile_find(v->profile);
    ck_assert_ptr_nonnull(cfg.profile);
    apply_tls_auth(&cfg, st);
    cfg.tls = v->tls;
    struct sasl_users *users = v->users ? test_users() : NULL;
    cfg.users = users;
    struct sink_proto *p = sink_proto_new(&cfg, "s1", "127.0.0.1:1");
    size_t len = v->len ? v->len : strlen(v->in), i = 0;
    unsigned ev = sink_proto_start(p);
    bool closed = false;
    for (;;) {
        struct buf *o = sink_proto_out(p);
        buf_add(out, o->data ? o->data : "", o->len);
        buf_reset(o);
        if (ev & SINK_PROTO_EV_MESSAGE) {
            const struct sink_message *m = sink_proto_message(p);
            buf_addf(msgs, "%s>", m->mail->addr);
            for (size_t k = 0; k < m->nrcpt; k++)
                buf_addf(msgs, "%s%s", k ? "," : "", m->rcpts[k].addr);
            buf_addc(msgs, ':');
            bytes_escape(msgs, m->data, m->len);
            buf_addc(msgs, '\n');
        }
        if (ev & SINK_PROTO_EV_DELAY) {
            buf_addf(out, "<delay %lldms>",
                     (long long)sink_proto_delay_us(p) / 1000);
            ev = sink_proto_resume(p);
            continue;
        }
        if (ev & SINK_PROTO_EV_CLOSE) {
            buf_adds(out, CLOSE);
            closed = true;
        }
        if (ev & SINK_PROTO_EV_STARTTLS) { /* a client that waits for 220 */
            buf_adds(out, sink_proto_tls_fail(p) ? "<tls fail>" : "<tls>");
            if (sink_proto_tls_fail(p))
                break;
            struct sink_tls_info info = {"TLSv1.3", "TLS_AES_128_GCM_SHA256",
                                         "", ""};
            sink_proto_tls_started(p, &info);
        }
        if (closed || i >= len)
            break;
        size_t n = len - i < step ? len - i : step, used = 0;
        ev = sink_proto_feed(p, v->in + i, n, &used);
        ck_assert_msg(used > 0 || ev, "%s: no progress at %zu", v->name, i);
        i += used;
    }
    sink_proto_free(p);
    sink_fault_free(ft);
    sasl_users_free(users);
}

START_TEST(test_vectors)
{
    const struct vec *v = &VECS[_i];
    size_t steps[] = {(size_t)-1, 1, 3};
    for (size_t s = 0; s < (v->whole ? 1 : 3); s++) {
        struct buf out, msgs;
        buf_init(&out, 1 << 20);
        buf_init(&msgs, 1 << 20);
        run(v, steps[s], &out, &msgs);
        char *got = bytes_escape_dup(out.data ? out.data : "", out.len);
        char *want = bytes_escape_dup(v->out, strlen(v->out));
        ck_assert_msg(strcmp(got, want) == 0,
                      "%s (step %zu): replies\n got: %s\nwant: %s", v->name,
                      steps[s], got, want);
        ck_assert_msg(strcmp(buf_str(&msgs), v->msgs) == 0,
                      "%s (step %zu): messages\n got: %s\nwant: %s", v->name,
                      steps[s], buf_str(&msgs), v->msgs);
        free(got);
        free(want);
        buf_free(&out);
        buf_free(&msgs);
    }
}
END_TEST

/* The idle timeout and shutdown replies, and the message record. */
START_TEST(test_timeout_and_message)
{
    struct sink_proto_config cfg;
    sink_proto_config_init(&cfg);
    struct sink_proto *p = sink_proto_new(&cfg, "s9", "192.0.2.1:25");
    sink_proto_start(p);
    buf_reset(sink_proto_out(p));
    const char *in =
        EHLO "MAIL FROM:<a@x.test> SIZE=5 BODY=8BITMIME\r\n"
             "RCPT TO:<b@y.test> NOTIFY=NEVER\r\nDATA\r\nx\r\n.\r\n";
    size_t used;
    unsigned ev = sink_proto_feed(p, in, strlen(in), &used);
    ck_assert_uint_eq(ev, SINK_PROTO_EV_MESSAGE);
    ck_assert_uint_eq(used, strlen(in));
    const struct sink_message *m = sink_proto_message(p);
    ck_assert_str_eq(m->session, "s9");
    ck_assert_str_eq(m->client, "192.0.2.1:25");
    ck_assert_str_eq(m->helo, "client.test");
    ck_assert_str_eq(m->protocol, "ESMTP");
    ck_assert_str_eq(m->queue_id, "s9.1");
    ck_assert_str_eq(m->transfer, "DATA");
    ck_assert_str_eq(m->mail->params, "SIZE=5 BODY=8BITMIME");
    ck_assert_str_eq(m->rcpts[0].params, "NOTIFY=NEVER");
    ck_assert_int_gt(m->time_us, 0);
    buf_reset(sink_proto_out(p));
    ev = sink_proto_timeout(p);
    ck_assert_uint_eq(ev, SINK_PROTO_EV_CLOSE);
    ck_assert_str_eq(buf_str(sink_proto_out(p)),
                     "421 4.4.2 localhost Error: timeout exceeded\r\n");
    ck_assert_int_eq(sink_proto_state(p), SINK_STATE_CLOSED);
    sink_proto_free(p);

    p = sink_proto_new(&cfg, "s10", "unix");
    sink_proto_start(p);
    buf_reset(sink_proto_out(p));
    ck_assert_uint_eq(sink_proto_shutdown(p), SINK_PROTO_EV_CLOSE);
    ck_assert_str_eq(buf_str(sink_proto_out(p)),
                     "421 4.3.2 localhost Service shutting down\r\n");
    sink_proto_free(p);
}
END_TEST

/* The message record names its transfer: DATA, or BDAT however many
 * chunks carried it (a lone BDAT LAST too). */
START_TEST(test_transfer)
{
    static const struct {
        const char *in, *want;
    } T[] = {
        {EHLO TXN "DATA\r\nx\r\n.\r\n", "DATA"},
        {EHLO TXN "BDAT 1 LAST\r\nx", "BDAT"},
        {EHLO TXN "BDAT 0 LAST\r\n", "BDAT"},
        {EHLO TXN "BDAT 1\r\nxBDAT 1 LAST\r\ny", "BDAT"},
    };
    struct sink_proto_config cfg;
    sink_proto_config_init(&cfg);
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        struct sink_proto *p = sink_proto_new(&cfg, "s1", "c");
        sink_proto_start(p);
        size_t off = 0, n = strlen(T[i].in), msgs = 0;
        while (off < n) {
            size_t used;
            unsigned ev = sink_proto_feed(p, T[i].in + off, n - off, &used);
            if (ev & SINK_PROTO_EV_MESSAGE) {
                const char *got = sink_proto_message(p)->transfer;
                ck_assert_msg(strcmp(got, T[i].want) == 0,
                              "%zu: transfer got %s, want %s", i, got,
                              T[i].want);
                msgs++;
            }
            ck_assert_msg(used > 0 || ev, "%zu: no progress", i);
            off += used;
        }
        ck_assert_msg(msgs == 1, "%zu: got %zu messages, want 1", i, msgs);
        sink_proto_free(p);
    }
}
END_TEST

/* Many recipients and a big pipelined group lose nothing (PIPE-03). */
START_TEST(test_big_group)
{
    struct sink_proto_config cfg;
    sink_proto_config_init(&cfg);
    struct sink_proto *p = sink_proto_new(&cfg, "s1", "c");
    struct buf in, want, got;
    buf_init(&in, 1 << 20);
    buf_init(&want, 1 << 24);
    buf_init(&got, 1 << 24);
    buf_adds(&in, EHLO "MAIL FROM:<a@x.test>\r\n");
    buf_adds(&want, EHLO_OK "250 2.1.0 Ok\r\n");
    for (int i = 0; i < 200; i++) {
        buf_addf(&in, "RCPT TO:<r%d@y.test>\r\n", i);
        buf_adds(&want, i < 100 ? "250 2.1.5 Ok\r\n"
                                : "452 4.5.3 Error: too many recipients\r\n");
    }
    buf_adds(&in, "DATA\r\n");
    buf_adds(&want, DATA_OK);
    for (int i = 0; i < 3000; i++)
        buf_adds(&in, "NOOP\r\n"); /* content lines, not commands */
    buf_adds(&in, ".\r\n");
    buf_adds(&want, Q1);
    for (int i = 0; i < 20000; i++) {
        buf_adds(&in, "NOOP\r\n");
        buf_adds(&want, OK);
    }
    sink_proto_start(p);
    buf_reset(sink_proto_out(p));
    size_t off = 0, msgs = 0;
    while (off < in.len) {
        size_t used;
        unsigned ev = sink_proto_feed(p, in.data + off, in.len - off, &used);
        if (ev & SINK_PROTO_EV_MESSAGE) {
            ck_assert_uint_eq(sink_proto_message(p)->nrcpt, 100);
            ck_assert_uint_eq(sink_proto_message(p)->len, 3000 * 6);
            msgs++;
        }
        off += used;
        struct buf *o = sink_proto_out(p);
        buf_add(&got, o->data ? o->data : "", o->len);
        buf_reset(o);
    }
    ck_assert_uint_eq(msgs, 1);
    ck_assert_uint_eq(got.len, want.len);
    ck_assert(memcmp(got.data, want.data, want.len) == 0);
    buf_free(&in);
    buf_free(&want);
    buf_free(&got);
    sink_proto_free(p);
}
END_TEST

/* ---- TLS and AUTH beyond the vectors ------------------------------------ */

struct notes {
    char text[4][256];
    int n;
};

static void on_note(void *arg, const char *session, const char *what)
{
    struct notes *n = arg;
    if (n->n < 4)
        snprintf(n->text[n->n++], sizeof n->text[0], "%s", what);
}

/* Feeds all of in; returns the output (static, reset each call). */
static const char *say(struct sink_proto *p, const char *in, size_t len,
                       unsigned *events)
{
    static char out[65536];
    size_t off = 0;
    unsigned all = 0;
    while (off < len) {
        size_t used = 0;
        all |= sink_proto_feed(p, in + off, len - off, &used);
        ck_assert_msg(used > 0, "no progress");
        off += used;
    }
    struct buf *o = sink_proto_out(p);
    snprintf(out, sizeof out, "%.*s", (int)o->len, o->data ? o->data : "");
    buf_reset(o);
    if (events)
        *events = all;
    return out;
}

static struct sink_proto *tls_session(struct sink_proto_config *cfg,
                                      const char *profile)
{
    sink_proto_config_init(cfg);
    cfg->profile = sink_profile_find(profile);
    cfg->tls = true;
    struct sink_proto *p = sink_proto_new(cfg, "s1", "127.0.0.1:1");
    sink_proto_start(p);
    buf_reset(sink_proto_out(p));
    return p;
}

/* Plaintext sent in the same packet as STARTTLS is discarded (RFC 3207
 * 4.2, CVE-2011-0411); under tls-tail=execute it comes back to be run
 * inside TLS. */
START_TEST(test_starttls_tail)
{
    for (int execute = 0; execute < 2; execute++) {
        struct sink_proto_config cfg;
        struct sink_proto *p = tls_session(&cfg, "mx");
        struct notes notes = {0};
        cfg.note = on_note;
        cfg.trace_arg = &notes;
        cfg.tls_tail = execute;
        unsigned ev;
        const char *in = EHLO "STARTTLS\r\nNOOP\r\nMAIL FROM:<i@x.test>\r\n";
        const char *got = say(p, in, strlen(EHLO "STARTTLS\r\n"), &ev);
        ck_assert_str_eq(got, EHLO_TLS "220 2.0.0 Ready to start TLS\r\n");
        ck_assert_uint_eq(ev & SINK_PROTO_EV_STARTTLS, SINK_PROTO_EV_STARTTLS);
        /* what the sink had read with it, fed while the handshake waits */
        const char *tail = in + strlen(EHLO "STARTTLS\r\n");
        ck_assert_str_eq(say(p, tail, strlen(tail), NULL), "");
        struct sink_tls_info info = {"TLSv1.3", "X", "mx.test", ""};
        sink_proto_tls_started(p, &info);
        struct buf *kept = sink_proto_tail(p);
        ck_assert_uint_eq(kept->len, execute ? strlen(tail) : 0);
        ck_assert_int_eq(notes.n, 1);
        ck_assert_msg(strstr(notes.text[0], execute ? "kept 28 octets"
                                                    : "discarded 28 octets"),
                      "note: %s", notes.text[0]);
        if (execute) /* the vulnerable server answers the injection */
            ck_assert_str_eq(say(p, kept->data, kept->len, NULL),
                             OK "503 5.5.1 Error: send HELO/EHLO first\r\n");
        ck_assert_str_eq(say(p, EHLO, strlen(EHLO), NULL), EHLO_OK);
        sink_proto_free(p);
    }
}
END_TEST

/* Runs one AUTH exchange with harness/sasl.h's client (written apart
 * from the server); returns the final reply code. */
static int exchange(struct sink_proto *p, const char *mech, const char *pass,
                    bool *complete, enum sasl_error *cerr)
{
    char err[256];
    struct sasl_client_params cp = {.mech = mech};
    cp.creds.user = "alice";
    cp.creds.pass = pass;
    cp.creds.token = pass;
    struct sasl_client *c = sasl_client_new(&cp, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    struct sasl_response r;
    sasl_response_init(&r);
    enum sasl_step st = sasl_client_start(c, true, &r);
    struct buf line;
    buf_init(&line, SASL_MAX_LINE + 64);
    buf_addf(&line, "AUTH %s%s%s\r\n", mech, st == SASL_STEP_SEND ? " " : "",
             st == SASL_STEP_SEND ? buf_str(&r.line) : "");
    int code = 0;
    for (int round = 0; round < 8; round++) {
        const char *got = say(p, line.data, line.len, NULL);
        code = atoi(got);
        if (code != 334)
            break;
        char text[SASL_MAX_LINE];
        snprintf(text, sizeof text, "%.*s", (int)strcspn(got + 4, "\r"),
                 got + 4);
        buf_reset(&r.line);
        st = sasl_client_step(c, text, strlen(text), &r);
        if (st == SASL_STEP_WORK) {
            sasl_client_work(c);
            st = sasl_client_resume(c, &r);
        }
        if (st == SASL_STEP_FAIL) {
            buf_reset(&r.line);
            sasl_client_cancel(c, &r);
        }
        buf_reset(&line);
        buf_addf(&line, "%s\r\n", buf_str(&r.line));
    }
    *complete = sasl_client_complete(c);
    *cerr = sasl_client_error(c);
    buf_free(&line);
    sasl_response_free(&r);
    sasl_client_free(c);
    return code;
}

/* Every mechanism with the right and a wrong secret, over TLS in the
 * submission profile; the message then records TLS and AUTH (RFC 3848
 * ESMTPSA). scram-signature=bad is caught by the client. */
START_TEST(test_auth_mechanisms)
{
    static const char *const MECHS[] = {
        "PLAIN",         "LOGIN",   "CRAM-MD5",   "SCRAM-SHA-1",
        "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER"};
    struct sasl_users *users = test_users();
    for (size_t i = 0; i < sizeof MECHS / sizeof MECHS[0]; i++) {
        bool oauth = MECHS[i][0] == 'X' || MECHS[i][0] == 'O';
        for (int right = 1; right >= 0; right--) {
            struct sink_proto_config cfg;
            struct sink_proto *p = tls_session(&cfg, "submission");
            cfg.users = users;
            unsigned ev;
            say(p, EHLO "STARTTLS\r\n", strlen(EHLO "STARTTLS\r\n"), &ev);
            struct sink_tls_info info = {"TLSv1.3", "TLS_AES_128_GCM_SHA256",
                                         "", ""};
            sink_proto_tls_started(p, &info);
            say(p, EHLO, strlen(EHLO), NULL);
            bool complete;
            enum sasl_error cerr;
            const char *secret = right ? (oauth ? "tok-1" : "s3cret") : "nope";
            int code = exchange(p, MECHS[i], secret, &complete, &cerr);
            ck_assert_msg(code == (right ? 235 : 535), "%s right=%d: got %d",
                          MECHS[i], right, code);
            if (right && !strncmp(MECHS[i], "SCRAM", 5))
                ck_assert_msg(complete, "%s: server signature verified",
                              MECHS[i]);
            if (right) {
                const char *m = TXN "DATA\r\nx\r\n.\r\n";
                say(p, m, strlen(m), &ev);
                ck_assert(ev & SINK_PROTO_EV_MESSAGE);
                const struct sink_message *msg = sink_proto_message(p);
                ck_assert_str_eq(msg->protocol, "ESMTPSA");
                ck_assert_str_eq(msg->auth, "alice");
                ck_assert_str_eq(msg->tls->protocol, "TLSv1.3");
            }
            sink_proto_free(p);
        }
    }
    /* the fault: a wrong server signature fails the client */
    struct sink_proto_config cfg;
    struct sink_proto *p = tls_session(&cfg, "implicit-tls");
    cfg.users = users;
    cfg.scram_bad_sig = true;
    say(p, EHLO, strlen(EHLO), NULL);
    bool complete;
    enum sasl_error cerr;
    int code = exchange(p, "SCRAM-SHA-256", "s3cret", &complete, &cerr);
    ck_assert_int_eq(cerr, SASL_ERR_SIGNATURE);
    ck_assert_int_eq(code, 501); /* the client's "*" */
    sink_proto_free(p);
    sasl_users_free(users);
}
END_TEST

/* RFC 4954 4: a response longer than the SASL limit, or an AUTH command
 * line over the command limit, gets 500 5.5.6; the session goes on. */
START_TEST(test_auth_long_lines)
{
    struct sasl_users *users = test_users();
    struct sink_proto_config cfg;
    struct sink_proto *p = tls_session(&cfg, "implicit-tls");
    cfg.users = users;
    say(p, EHLO, strlen(EHLO), NULL);
    struct buf in;
    buf_init(&in, 1 << 20);
    buf_adds(&in, "AUTH LOGIN\r\n");
    for (int i = 0; i < 17000; i++)
        buf_addc(&in, 'A');
    buf_adds(&in, "\r\nNOOP\r\nAUTH PLAIN ");
    for (int i = 0; i < 3000; i++)
        buf_addc(&in, 'A');
    buf_adds(&in, "\r\nNOOP\r\n");
    /* a 4000-octet response within the SASL limit is read whole */
    buf_adds(&in, "AUTH LOGIN\r\nYWxpY2U=\r\n");
    for (int i = 0; i < 1000; i++)
        buf_adds(&in, "QUFB"); /* "AAA" */
    buf_adds(&in, "\r\n");
    ck_assert_str_eq(say(p, in.data, in.len, NULL),
                     "334 VXNlcm5hbWU6\r\n"
                     "500 5.5.6 Authentication exchange line is too long\r\n" OK
                     "500 5.5.6 Authentication exchange line is too long\r\n" OK
                     "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n" AUTH_BAD);
    buf_free(&in);
    sink_proto_free(p);
    sasl_users_free(users);
}
END_TEST

/* The verbose log's copy of the input holds no AUTH secret: initial
 * responses (even of a refused AUTH) and the lines of an exchange are
 * replaced whole. */
START_TEST(test_inlog_redacts)
{
    struct sasl_users *users = test_users();
    struct sink_proto_config cfg;
    struct sink_proto *p = tls_session(&cfg, "implicit-tls");
    cfg.users = users;
    cfg.log_input = true;
    const char *in = EHLO "AUTH LOGIN\r\nYWxpY2U=\r\nczNjcmV0\r\n"
                          "auth  plain   AGFsaWNlAHMzY3JldA==\r\n" TXN
                          "DATA\r\nbody\r\n.\r\n";
    for (size_t i = 0; i < strlen(in); i++) /* byte by byte */
        say(p, in + i, 1, NULL);
    const char *log = buf_str(sink_proto_inlog(p));
    ck_assert_msg(!strstr(log, "AGFsaWNl") && !strstr(log, "czNjcmV0") &&
                      !strstr(log, "YWxpY2U"),
                  "a secret in the log: %s", log);
    ck_assert_str_eq(log, EHLO "AUTH LOGIN\r\n"
                               "<AUTH response redacted: 9 octets>\r\n"
                               "<AUTH response redacted: 9 octets>\r\n"
                               "auth  plain <initial response redacted>\r\n" TXN
                               "DATA\r\nbody\r\n.\r\n");
    sink_proto_free(p);
    sasl_users_free(users);
}
END_TEST

/* The faults no-read (input stays unread), endless (the stream goes on
 * as long as the caller asks) and rst (the close is a reset). */
START_TEST(test_hostile_faults)
{
    struct sink_proto_config cfg;
    sink_proto_config_init(&cfg);
    struct sink_fault_table *ft = sink_fault_new();
    char err[512];
    const char *rules[] = {"DATA -> no-read", "NOOP~^e -> endless 250-ab\\r\\n",
                           "NOOP~^r -> rst"};
    for (size_t i = 0; i < 3; i++)
        ck_assert_msg(sink_fault_add(ft, rules[i], "t", err, sizeof err) == 0,
                      "%s", err);
    cfg.faults = ft;
    struct sink_proto *p = sink_proto_new(&cfg, "s1", "127.0.0.1:1");
    sink_proto_start(p);
    buf_reset(sink_proto_out(p));
    ck_assert(!sink_proto_more(p)); /* no stream yet */
    ck_assert_str_eq(say(p, L("NOOP e\r\n"), NULL), OK);
    for (int round = 0; round < 3; round++) {
        ck_assert(sink_proto_more(p));
        struct buf *o = sink_proto_out(p);
        ck_assert_msg(o->len >= 65536 && o->len % 8 == 0, "got %zu octets",
                      o->len);
        for (size_t k = 0; k < o->len; k += 8) /* the oracle: by hand */
            ck_assert_msg(memcmp(o->data + k, "250-ab\r\n", 8) == 0,
                          "chunk %d at %zu", round, k);
        ck_assert(!sink_proto_more(p)); /* not before it is sent */
        buf_reset(o);
    }
    ck_assert(!sink_proto_rst(p));
    unsigned ev;
    ck_assert_str_eq(say(p, L("NOOP r\r\n"), &ev), OK);
    ck_assert(ev & SINK_PROTO_EV_CLOSE);
    ck_assert(sink_proto_rst(p));
    sink_proto_free(p);

    p = sink_proto_new(&cfg, "s2", "127.0.0.1:1");
    sink_proto_start(p);
    buf_reset(sink_proto_out(p));
    say(p, L("EHLO a.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"),
        NULL);
    ck_assert_str_eq(say(p, L("DATA\r\n"), NULL),
                     "354 End data with <CR><LF>.<CR><LF>\r\n");
    size_t used = 1;
    ck_assert_uint_eq(sink_proto_feed(p, "x\r\n.\r\n", 6, &used), 0);
    ck_assert_uint_eq(used, 0); /* it never reads again */
    ck_assert_uint_eq(sink_proto_out(p)->len, 0);
    sink_proto_free(p);
    sink_fault_free(ft);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_hostile_faults);
    tcase_add_test(tc, test_starttls_tail);
    tcase_add_test(tc, test_auth_mechanisms);
    tcase_add_test(tc, test_auth_long_lines);
    tcase_add_test(tc, test_inlog_redacts);
    tcase_add_loop_test(tc, test_vectors, 0, sizeof VECS / sizeof VECS[0]);
    tcase_add_test(tc, test_timeout_and_message);
    tcase_add_test(tc, test_transfer);
    tcase_add_test(tc, test_big_group);
}

#include "check_main.h"
