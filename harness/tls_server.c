/* tls_server: the sink's OpenSSL 3 server context (see tls_server.h).
 *
 * Certificates the sink makes itself are P-256 keys with a self-signed
 * certificate (RFC 5280 profile: v3, random serial, SAN names). They
 * are made with the OpenSSL API at start, so the sink needs no files
 * and no openssl(1); a client trusts one by loading the PEM the sink
 * writes (--tls-cert-out) as its CA file. A self-signed certificate in
 * the trust store is its own trust anchor, so the errors a client sees
 * for the fault certificates are exactly the fault: "certificate has
 * expired", "hostname mismatch", or (when it trusts another CA)
 * "self-signed certificate". */
#include "harness/tls_server.h"
#include "harness/clock.h"
#include "harness/digest.h"
#include "harness/tls.h"
#include "harness/xalloc.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TLS_SERVER_DESC_MAX 512
#define TLS_SERVER_SID_CTX  "smtpsuite-sink" /* session id context */

struct tls_server {
    SSL_CTX *ctx;
    char *pem; /* the served leaf certificate */
    char desc[TLS_SERVER_DESC_MAX];
};

static const char *const CERT_NAMES[] = {
#define X(e, s) s,
    TLS_SERVER_CERT_LIST(X)
#undef X
};

static const char *const PEER_NAMES[] = {
#define X(e, s) s,
    TLS_SERVER_PEER_LIST(X)
#undef X
};

const char *tls_server_cert_name(enum tls_server_cert c)
{
    return (unsigned)c < TLS_SERVER_CERT_COUNT ? CERT_NAMES[c] : "?";
}

int tls_server_cert_find(const char *name)
{
    for (int i = 0; i < TLS_SERVER_CERT_COUNT; i++)
        if (strcmp(CERT_NAMES[i], name) == 0)
            return i;
    return -1;
}

int tls_server_peer_find(const char *name)
{
    for (int i = 0; i < TLS_SERVER_PEER_COUNT; i++)
        if (strcmp(PEER_NAMES[i], name) == 0)
            return i;
    return -1;
}

/* The SSL ex_data slot marking a connection whose handshake must fail. */
static int FAIL_INDEX = -1;
static pthread_once_t FAIL_ONCE = PTHREAD_ONCE_INIT;

static void fail_index_init(void)
{
    FAIL_INDEX = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static void ssl_err(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "unknown error";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    snprintf(err, errlen, "%s: %s", what, buf);
    ERR_clear_error();
}

/* ---- generated certificates --------------------------------------------- */

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (!ext)
        return -1;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

/* "DNS:host, DNS:localhost, IP:127.0.0.1, IP:::1" (host once). */
static void san_for(const char *host, bool wrong, char *out, size_t outlen)
{
    unsigned char b[16];
    bool ip =
        inet_pton(AF_INET, host, b) == 1 || inet_pton(AF_INET6, host, b) == 1;
    if (wrong)
        snprintf(out, outlen, "DNS:%s", TLS_SERVER_WRONG_NAME);
    else if (strcmp(host, "localhost") == 0 || ip)
        snprintf(
            out, outlen, "DNS:localhost, IP:127.0.0.1, IP:::1%s%s",
            ip && strcmp(host, "127.0.0.1") && strcmp(host, "::1") ? ", IP:"
                                                                   : "",
            ip && strcmp(host, "127.0.0.1") && strcmp(host, "::1") ? host : "");
    else
        snprintf(out, outlen, "DNS:%s, DNS:localhost, IP:127.0.0.1, IP:::1",
                 host);
}

/* A self-signed certificate for key: CN=cn, valid from now+from_s to
 * now+to_s seconds (backdated for the expired fault). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, const char *san,
                       long from_s, long to_s)
{
    X509 *x = X509_new();
    unsigned char serial[8];
    digest_random(serial, sizeof serial);
    serial[0] &= 0x7f; /* a positive INTEGER (RFC 5280 4.1.2.2) */
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    int ok = x && bn && X509_set_version(x, 2) &&
             BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
             X509_gmtime_adj(X509_getm_notBefore(x), from_s) &&
             X509_gmtime_adj(X509_getm_notAfter(x), to_s) &&
             X509_set_pubkey(x, key);
    BN_free(bn);
    X509_NAME *n = x ? X509_get_subject_name(x) : NULL;
    ok = ok &&
         X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
                                    (const unsigned char *)cn, -1, -1, 0) &&
         X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
                                    (const unsigned char *)"smtpsuite sink", -1,
                                    -1, 0) &&
         X509_set_issuer_name(x, n);
    ok = ok && add_ext(x, NID_subject_alt_name, san) == 0 &&
         add_ext(x, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
         add_ext(x, NID_ext_key_usage, "serverAuth") == 0 &&
         add_ext(x, NID_subject_key_identifier, "hash") == 0 &&
         X509_sign(x, key, EVP_sha256()) > 0;
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static char *time_text(const ASN1_TIME *t)
{
    struct tm tm;
    char out[CLOCK_RFC3339_LEN];
    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return xstrdup("?");
    clock_rfc3339((int64_t)timegm(&tm) * 1000000, out);
    return xstrdup(out);
}

/* Generates the key and certificate of kind c and installs them. */
static int use_generated(struct tls_server *t,
                         const struct tls_server_params *p, char *err,
                         size_t errlen)
{
    const char *host = p->hostname && *p->hostname ? p->hostname : "localhost";
    bool wrong = p->cert == TLS_SERVER_CERT_WRONG_NAME;
    bool expired = p->cert == TLS_SERVER_CERT_EXPIRED;
    char san[600];
    san_for(host, wrong, san, sizeof san);
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = key ? make_cert(key, wrong ? TLS_SERVER_WRONG_NAME : host, san,
                              expired ? -30L * 86400 : -3600,
                              expired ? -86400L : TLS_SERVER_CERT_DAYS * 86400L)
                  : NULL;
    int rc = -1;
    if (!x || SSL_CTX_use_certificate(t->ctx, x) != 1 ||
        SSL_CTX_use_PrivateKey(t->ctx, key) != 1) {
        ssl_err(err, errlen, "generating a TLS certificate");
    } else {
        char *until = time_text(X509_get0_notAfter(x));
        snprintf(t->desc, sizeof t->desc,
                 "generated a self-signed P-256 certificate CN=%s (%s), "
                 "%s %s%s",
                 wrong ? TLS_SERVER_WRONG_NAME : host, san,
                 expired ? "expired" : "valid until", until,
                 p->cert != TLS_SERVER_CERT_NORMAL ? " (a fault)" : "");
        free(until);
        rc = 0;
    }
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}

static int use_files(struct tls_server *t, const struct tls_server_params *p,
                     char *err, size_t errlen)
{
    const char *key = p->key_file ? p->key_file : p->cert_file;
    if (SSL_CTX_use_certificate_chain_file(t->ctx, p->cert_file) != 1) {
        ssl_err(err, errlen, "--tls-cert");
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(t->ctx) != 1) {
        ssl_err(err, errlen, p->key_file ? "--tls-key" : "--tls-cert (key)");
        return -1;
    }
    X509 *x = SSL_CTX_get0_certificate(t->ctx);
    char subject[256] = "?";
    X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof subject);
    char *until = time_text(X509_get0_notAfter(x));
    snprintf(t->desc, sizeof t->desc, "certificate %s from %s, valid until %s",
             subject, p->cert_file, until);
    free(until);
    return 0;
}

/* ---- the context ----------------------------------------------------------
 */

/* ClientHello: a connection marked to fail gets handshake_failure. */
static int hello_cb(SSL *ssl, int *al, void *arg)
{
    if (SSL_get_ex_data(ssl, FAIL_INDEX)) {
        *al = SSL_AD_HANDSHAKE_FAILURE;
        return SSL_CLIENT_HELLO_ERROR;
    }
    return SSL_CLIENT_HELLO_SUCCESS;
}

/* "request" records whatever comes; "require" without a CA too. */
static int accept_any(int preverify_ok, X509_STORE_CTX *ctx)
{
    return 1;
}

static int apply_range(SSL_CTX *ctx, const struct tls_server_params *p,
                       char *err, size_t errlen)
{
    int min = 0, max = 0;
    if ((p->min_proto && tls_proto_parse(p->min_proto, &min) != 0) ||
        (p->max_proto && tls_proto_parse(p->max_proto, &max) != 0)) {
        snprintf(err, errlen,
                 "TLS protocol '%s' is not TLSv1, TLSv1.1, "
                 "TLSv1.2 or TLSv1.3",
                 p->min_proto && min == 0 ? p->min_proto : p->max_proto);
        return -1;
    }
    if ((min && min < TLS1_2_VERSION) || (max && max < TLS1_2_VERSION)) {
        /* RFC 8996 deprecates these; OpenSSL needs level 0 to speak them,
         * and the system's MinProtocol must be overridden. */
        SSL_CTX_set_security_level(ctx, 0);
        if (!min)
            min = TLS1_VERSION;
    }
    if ((min && !SSL_CTX_set_min_proto_version(ctx, min)) ||
        (max && !SSL_CTX_set_max_proto_version(ctx, max))) {
        ssl_err(err, errlen, "TLS protocol range");
        return -1;
    }
    return 0;
}

static int apply_peer(SSL_CTX *ctx, const struct tls_server_params *p,
                      char *err, size_t errlen)
{
    if (p->peer == TLS_SERVER_PEER_NONE)
        return 0;
    int mode = SSL_VERIFY_PEER;
    if (p->peer == TLS_SERVER_PEER_REQUIRE)
        mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    if (p->client_ca) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(p->client_ca);
        if (!names || !SSL_CTX_load_verify_locations(ctx, p->client_ca, NULL)) {
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            ssl_err(err, errlen, "--tls-client-ca");
            return -1;
        }
        SSL_CTX_set_client_CA_list(ctx, names);
    }
    bool enforce = p->client_ca && p->peer == TLS_SERVER_PEER_REQUIRE;
    SSL_CTX_set_verify(ctx, mode, enforce ? NULL : accept_any);
    return 0;
}

static char *served_pem(SSL_CTX *ctx)
{
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, SSL_CTX_get0_certificate(ctx));
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    char *s = xstrndup(p ? p : "", n > 0 ? (size_t)n : 0);
    BIO_free(b);
    return s;
}

struct tls_server *tls_server_new(const struct tls_server_params *p, char *err,
                                  size_t errlen)
{
    pthread_once(&FAIL_ONCE, fail_index_init);
    struct tls_server *t = xcalloc(1, sizeof *t);
    t->ctx = SSL_CTX_new(TLS_server_method());
    if (!t->ctx) {
        ssl_err(err, errlen, "TLS server context");
        free(t);
        return NULL;
    }
    /* As on the client: a close without close_notify is common. */
    SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(t->ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_id_context(t->ctx,
                                   (const unsigned char *)TLS_SERVER_SID_CTX,
                                   sizeof TLS_SERVER_SID_CTX - 1);
    SSL_CTX_set_client_hello_cb(t->ctx, hello_cb, NULL);
    bool generate = !p->cert_file || p->cert != TLS_SERVER_CERT_NORMAL;
    if ((generate ? use_generated(t, p, err, errlen)
                  : use_files(t, p, err, errlen)) != 0 ||
        apply_range(t->ctx, p, err, errlen) != 0 ||
        apply_peer(t->ctx, p, err, errlen) != 0) {
        tls_server_free(t);
        return NULL;
    }
    t->pem = served_pem(t->ctx);
    return t;
}

void tls_server_free(struct tls_server *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->ctx);
    free(t->pem);
    free(t);
}

const char *tls_server_describe(const struct tls_server *t)
{
    return t->desc;
}

const char *tls_server_cert_pem(const struct tls_server *t)
{
    return t->pem;
}

struct ssl_st *tls_server_ssl(const struct tls_server *t, bool fail)
{
    SSL *ssl = SSL_new(t->ctx);
    if (ssl && fail)
        SSL_set_ex_data(ssl, FAIL_INDEX, (void *)1);
    return ssl;
}

void tls_server_fail(struct ssl_st *ssl)
{
    SSL_set_ex_data(ssl, FAIL_INDEX, (void *)1);
}

void tls_server_facts(struct ssl_st *ssl, struct tls_server_facts *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->protocol, sizeof out->protocol, "%s", SSL_get_version(ssl));
    const char *c = SSL_get_cipher_name(ssl);
    snprintf(out->cipher, sizeof out->cipher, "%s", c ? c : "");
    const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    snprintf(out->sni, sizeof out->sni, "%s", sni ? sni : "");
    X509 *peer = SSL_get0_peer_certificate(ssl);
    if (peer) {
        X509_NAME_oneline(X509_get_subject_name(peer), out->client_cert,
                          sizeof out->client_cert);
        out->client_verified = SSL_get_verify_result(ssl) == X509_V_OK;
    }
}

void tls_server_error(unsigned long e, char *out, size_t outlen)
{
    if (!e)
        e = ERR_peek_last_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;
    snprintf(out, outlen, "%s",
             reason ? reason : "the client closed the connection");
    ERR_clear_error();
}
