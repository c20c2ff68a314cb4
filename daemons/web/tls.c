/* The HTTPS context (see tls.h). */
#include "tls.h"

#include <errno.h>
#include <h2o.h>
#include <h2o/http2.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>

static int fail(SSL_CTX *ctx, char *msg, size_t size, const char *what, const char *file) {
        unsigned long e = ERR_get_error();
        char err[256] = "";
        if (e)
                ERR_error_string_n(e, err, sizeof(err));
        snprintf(msg, size, "%s %s%s%s", what, file, err[0] ? ": " : "", err);
        ERR_clear_error();
        SSL_CTX_free(ctx);
        return -EINVAL;
}

int tls_context_new(const char *cert, const char *key, SSL_CTX **ret, char *msg, size_t size) {
        SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

        if (!ctx)
                return fail(NULL, msg, size, "cannot make a TLS context", "");
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
        if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
                return fail(ctx, msg, size, "cannot read the certificate", cert);
        if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
                /* OpenSSL checks the pair here already */
                if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
                        return fail(ctx, msg, size, "the private key does not match the certificate", cert);
                return fail(ctx, msg, size, "cannot read the private key", key);
        }
        if (SSL_CTX_check_private_key(ctx) != 1)
                return fail(ctx, msg, size, "the private key does not match the certificate", cert);
        h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
        *ret = ctx;
        return 0;
}
