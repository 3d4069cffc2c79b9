/* tls: OpenSSL 3 client contexts and TLS facts (see tls.h). */
#include "harness/tls.h"
#include "harness/bytes.h"
#include "harness/clock.h"
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

struct tls_client {
    SSL_CTX *ctx;
    char *name;   /* SNI and name check; NULL for none */
    bool check_name;
    bool sni;
    bool verify;
    FILE *keylog;
};

#define TLS_FIRST_MAX 64 /* server bytes kept from a handshake */

struct tls_first {
    unsigned char b[TLS_FIRST_MAX];
    size_t n;
};

static int KEYLOG_INDEX = -1;
static int FIRST_INDEX = -1;
static pthread_once_t KEYLOG_ONCE = PTHREAD_ONCE_INIT;

static void first_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
                       long argl, void *argp)
{
    free(ptr);
}

static void keylog_index_init(void)
{
    KEYLOG_INDEX = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    FIRST_INDEX = SSL_get_ex_new_index(0, NULL, NULL, NULL, first_free);
}

/* SSLKEYLOGFILE format: one line per secret, appended as it comes. */
static void keylog_cb(const SSL *ssl, const char *line)
{
    FILE *fp = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), KEYLOG_INDEX);
    if (fp) {
        fprintf(fp, "%s\n", line);
        fflush(fp);
    }
}

int tls_proto_parse(const char *s, int *out)
{
    static const struct {
        const char *name;
        int v;
    } P[] = {{"TLSv1", TLS1_VERSION}, {"TLSv1.0", TLS1_VERSION},
             {"TLSv1.1", TLS1_1_VERSION}, {"TLSv1.2", TLS1_2_VERSION},
             {"TLSv1.3", TLS1_3_VERSION}};
    for (size_t i = 0; i < sizeof P / sizeof P[0]; i++)
        if (strcmp(P[i].name, s) == 0) {
            *out = P[i].v;
            return 0;
        }
    return -1;
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

/* Applies protocol range and ciphers; 0 or -1 with err. */
static int apply_ranges(SSL_CTX *ctx, const struct target_tls_opts *o, char *err,
                        size_t errlen)
{
    int v;
    if (o->min_proto) {
        if (tls_proto_parse(o->min_proto, &v) != 0 || !SSL_CTX_set_min_proto_version(ctx, v)) {
            snprintf(err, errlen, "tls-min: '%s' is not TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3",
                     o->min_proto);
            return -1;
        }
        if (v < TLS1_2_VERSION) /* old protocols need the old security level */
            SSL_CTX_set_security_level(ctx, 0);
    }
    if (o->max_proto &&
        (tls_proto_parse(o->max_proto, &v) != 0 || !SSL_CTX_set_max_proto_version(ctx, v))) {
        snprintf(err, errlen, "tls-max: '%s' is not TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3",
                 o->max_proto);
        return -1;
    }
    if (o->ciphers && !SSL_CTX_set_cipher_list(ctx, o->ciphers)) {
        ssl_err(err, errlen, "tls-ciphers");
        return -1;
    }
    if (o->suites && !SSL_CTX_set_ciphersuites(ctx, o->suites)) {
        ssl_err(err, errlen, "tls-suites");
        return -1;
    }
    return 0;
}

static int apply_trust(SSL_CTX *ctx, const struct target_tls_opts *o, char *err,
                       size_t errlen)
{
    if (o->verify == TARGET_VERIFY_SYSTEM && !SSL_CTX_set_default_verify_paths(ctx)) {
        ssl_err(err, errlen, "tls-verify system");
        return -1;
    }
    if (o->verify == TARGET_VERIFY_CAFILE &&
        (!o->ca_file || !SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL))) {
        ssl_err(err, errlen, o->ca_file ? o->ca_file : "tls-ca-file missing");
        return -1;
    }
    SSL_CTX_set_verify(ctx, o->verify == TARGET_VERIFY_NONE ? SSL_VERIFY_NONE
                                                            : SSL_VERIFY_PEER,
                       NULL);
    if (o->cert_file) {
        if (SSL_CTX_use_certificate_chain_file(ctx, o->cert_file) != 1) {
            ssl_err(err, errlen, o->cert_file);
            return -1;
        }
        const char *key = o->key_file ? o->key_file : o->cert_file;
        if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1) {
            ssl_err(err, errlen, key);
            return -1;
        }
    }
    return 0;
}

struct tls_client *tls_client_new(const struct target_tls_opts *o,
                                  const char *host, const char *keylog,
                                  char *err, size_t errlen)
{
    pthread_once(&KEYLOG_ONCE, keylog_index_init);
    struct tls_client *t = xcalloc(1, sizeof *t);
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (!t->ctx) {
        ssl_err(err, errlen, "TLS context");
        free(t);
        return NULL;
    }
    /* A close without close_notify is common among SMTP servers and not
     * an error of ours (it ends the session, which the judge sees). */
    SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(t->ctx, SSL_MODE_RELEASE_BUFFERS);
    const char *name = o->servername ? o->servername : host;
    t->name = name ? xstrdup(name) : NULL;
    t->check_name = o->check_name;
    t->sni = !o->no_sni;
    t->verify = o->verify != TARGET_VERIFY_NONE;
    if (apply_ranges(t->ctx, o, err, errlen) != 0 ||
        apply_trust(t->ctx, o, err, errlen) != 0) {
        tls_client_free(t);
        return NULL;
    }
    if (keylog) {
        t->keylog = fopen(keylog, "a");
        if (!t->keylog) {
            snprintf(err, errlen, "--tls-keylog %s: cannot open for appending", keylog);
            tls_client_free(t);
            return NULL;
        }
        SSL_CTX_set_ex_data(t->ctx, KEYLOG_INDEX, t->keylog);
        SSL_CTX_set_keylog_callback(t->ctx, keylog_cb);
    }
    return t;
}

void tls_client_free(struct tls_client *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->ctx);
    if (t->keylog)
        fclose(t->keylog);
    free(t->name);
    free(t);
}

const char *tls_client_name(const struct tls_client *t)
{
    return t->name ? t->name : "";
}

/* Nonzero if s is an IP address literal (no SNI for those, RFC 6066 3). */
static int is_ip(const char *s)
{
    unsigned char b[16];
    return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

struct ssl_st *tls_client_ssl(const struct tls_client *t)
{
    SSL *ssl = SSL_new(t->ctx);
    if (!ssl)
        return NULL;
    if (t->name && t->sni && !is_ip(t->name))
        SSL_set_tlsext_host_name(ssl, t->name);
    if (t->name && t->check_name) {
        if (is_ip(t->name))
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), t->name);
        else
            SSL_set1_host(ssl, t->name);
    }
    return ssl;
}

/* Keeps the first bytes OpenSSL reads from the server. */
static long first_cb(BIO *b, int oper, const char *argp, size_t len, int argi,
                     long argl, int ret, size_t *processed)
{
    if (oper != (BIO_CB_READ | BIO_CB_RETURN) || ret <= 0 || !processed)
        return ret;
    struct tls_first *f = (struct tls_first *)BIO_get_callback_arg(b);
    size_t n = *processed;
    if (f && f->n < TLS_FIRST_MAX) {
        size_t take = n < TLS_FIRST_MAX - f->n ? n : TLS_FIRST_MAX - f->n;
        memcpy(f->b + f->n, argp, take);
        f->n += take;
    }
    return ret;
}

void tls_watch(struct ssl_st *ssl)
{
    pthread_once(&KEYLOG_ONCE, keylog_index_init);
    BIO *rb = SSL_get_rbio(ssl);
    if (!rb)
        return;
    struct tls_first *f = xcalloc(1, sizeof *f);
    SSL_set_ex_data(ssl, FIRST_INDEX, f);
    BIO_set_callback_arg(rb, (char *)f);
    BIO_set_callback_ex(rb, first_cb);
}

int tls_plaintext_seen(struct ssl_st *ssl, char *out, size_t outlen)
{
    struct tls_first *f = ssl ? SSL_get_ex_data(ssl, FIRST_INDEX) : NULL;
    if (!f || f->n == 0)
        return 0;
    /* A TLS record starts with a content type 20-24 (RFC 8446 5.1). */
    if (f->b[0] >= 20 && f->b[0] <= 24)
        return 0;
    struct buf b;
    buf_init(&b, outlen > 1 ? outlen - 1 : 1);
    bytes_escape(&b, f->b, f->n);
    snprintf(out, outlen, "%s", buf_str(&b));
    buf_free(&b);
    return 1;
}

/* ---- facts ------------------------------------------------------------- */

static char *bio_take(BIO *b)
{
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    char *s = xstrndup(p ? p : "", n > 0 ? (size_t)n : 0);
    BIO_free(b);
    return s;
}

static char *name_text(const X509_NAME *n)
{
    BIO *b = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253);
    return bio_take(b);
}

static char *san_text(X509 *x)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    if (!gens)
        return NULL;
    BIO *b = BIO_new(BIO_s_mem());
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (i)
            BIO_puts(b, ", ");
        GENERAL_NAME_print(b, g);
    }
    GENERAL_NAMES_free(gens);
    return bio_take(b);
}

static char *time_text(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return NULL;
    char out[CLOCK_RFC3339_LEN];
    clock_rfc3339((int64_t)timegm(&tm) * 1000000, out);
    return xstrdup(out);
}

static void add_cert(struct result_tls *out, X509 *x)
{
    struct result_cert *c = result_cert_add(out);
    c->subject = name_text(X509_get_subject_name(x));
    c->issuer = name_text(X509_get_issuer_name(x));
    c->san = san_text(x);
    c->not_after = time_text(X509_get0_notAfter(x));
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, x);
    c->pem = bio_take(b);
}

void tls_facts(struct ssl_st *ssl, const struct tls_client *t,
               struct result_tls *out)
{
    out->protocol = xstrdup(SSL_get_version(ssl));
    out->cipher = xstrdup(SSL_get_cipher_name(ssl));
    int nid = SSL_get_negotiated_group(ssl);
    const char *g = nid > 0 ? SSL_group_to_name(ssl, nid) : NULL;
    if (g)
        out->group = xstrdup(g);
    const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (sni)
        out->sni = xstrdup(sni);
    long vr = SSL_get_verify_result(ssl);
    if (!t->verify) {
        out->verified = -1;
        if (vr != X509_V_OK)
            out->verify_error = xasprintf("not checked (would be: %s)",
                                          X509_verify_cert_error_string(vr));
    } else {
        out->verified = vr == X509_V_OK;
        if (vr != X509_V_OK)
            out->verify_error = xstrdup(X509_verify_cert_error_string(vr));
    }
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    for (int i = 0; chain && i < sk_X509_num(chain) && i < 8; i++)
        add_cert(out, sk_X509_value(chain, i));
}

void tls_error_text(struct ssl_st *ssl, const struct tls_client *t,
                    unsigned long e, char *out, size_t outlen)
{
    long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (!e)
        e = ERR_peek_last_error();
    char lib[256] = "";
    if (e) {
        const char *reason = ERR_reason_error_string(e);
        snprintf(lib, sizeof lib, "%s", reason ? reason : "handshake failed");
    }
    if (t->verify && vr != X509_V_OK)
        snprintf(out, outlen, "certificate verify failed: %s (host %s)",
                 X509_verify_cert_error_string(vr), t->name ? t->name : "-");
    else if (lib[0])
        snprintf(out, outlen, "%s", lib);
    else
        snprintf(out, outlen, "handshake failed: the server closed the connection");
    ERR_clear_error();
}
