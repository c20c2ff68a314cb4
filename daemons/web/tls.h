/* HTTPS inside pcapd-web (issue 13): an OpenSSL server context from --tls-cert/--tls-key (TLS 1.2 and later,
 * HTTP/2 offered by ALPN), handed to h2o's accept context. Under systemd the key comes by LoadCredential=
 * (readable by the service only); see pcapd-web(8). */
#pragma once

#include <openssl/ssl.h>

/* 0 and the context in *ret, or -errno with why in msg (size bytes). */
int tls_context_new(const char *cert, const char *key, SSL_CTX **ret, char *msg, size_t size);
