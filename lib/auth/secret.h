/* Random secrets handed to a client (session ids, API tokens) and how they are kept: only their SHA-256,
 * which is enough for values with 256 random bits (no dictionary to try), and lets a lookup by hash stay
 * an index search. */
#pragma once

#include <stdbool.h>

#define SESSION_ID_LEN 43          /* 256 bits, URL-safe base64 without padding */
#define SECRET_HASH_LEN 64         /* SHA-256 in lower-case hex */

/* A new session id: SESSION_ID_LEN characters and a NUL. 0 or -errno. */
int session_id_new(char out[SESSION_ID_LEN + 1]);
/* A new API token: prefix, then 256 random bits as URL-safe base64. *ret is malloc'd. 0 or -errno. */
int secret_token_new(const char *prefix, char **ret_token);
/* SHA-256 of token as SECRET_HASH_LEN hex digits and a NUL. 0 or -errno. */
int secret_hash(const char *token, char out[SECRET_HASH_LEN + 1]);
/* a and b are equal; the time taken depends on their lengths only. */
bool secret_equal(const char *a, const char *b);
