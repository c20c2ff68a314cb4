/* Accounts, sessions and API tokens in the task database (issue 13): the tables beside `tasks`, made or
 * migrated by store_open() (store-sqlite-schema.c, store-pg-schema.c). Sessions and tokens are kept by
 * their SHA-256 only (auth/secret.h); a password by its yescrypt hash only (auth/account.h). */
#pragma once

#include <stdint.h>

#include "auth/account.h"
#include "auth/secret.h"
#include "store/store.h"

#define STORE_TOKEN_NAME_MAX ACCOUNT_TOKEN_NAME_MAX
#define STORE_REMOTE_MAX 64
#define STORE_TOTP_SECRET_MAX 128 /* base32 of a secret of up to 64 bytes, and a NUL */

typedef struct store_user {
        int64_t id;                  /* never reused, so a deleted account's tasks never pass to another */
        char name[ACCOUNT_NAME_MAX + 1];
        char password[ACCOUNT_HASH_MAX];
        account_role_t role;
        account_state_t state;
        int64_t created_at;
        int64_t password_changed_at;
        char totp_secret[STORE_TOTP_SECRET_MAX];   /* base32; "" when the second factor is off */
        char totp_pending[STORE_TOTP_SECRET_MAX];  /* base32 of an enrolment not yet confirmed, or "" */
        uint64_t totp_last_step;                   /* the last step used: no code twice */
} store_user_t;

typedef struct store_session {
        char hash[SECRET_HASH_LEN + 1];
        int64_t user_id;
        int64_t created_at;
        int64_t last_seen;
        int64_t expires_at;          /* absolute expiry; the idle expiry is last_seen + the idle limit */
        char remote[STORE_REMOTE_MAX];
} store_session_t;

typedef struct store_token {
        int64_t id;
        int64_t user_id;
        char name[STORE_TOKEN_NAME_MAX + 1];
        char hash[SECRET_HASH_LEN + 1];
        int64_t created_at;
        int64_t expires_at;          /* 0: never */
        int64_t last_used;
} store_token_t;

/* -EEXIST when the name is taken (in any case). */
int store_user_add(store_t *s, const char *name, const char *password_hash, account_role_t role,
                   account_state_t state, int64_t now, int64_t *ret_id);
/* -ENOENT when there is no such account. */
int store_user_get(store_t *s, int64_t id, store_user_t *ret);
int store_user_find(store_t *s, const char *name, store_user_t *ret);
/* A new password ends every session of the account. */
int store_user_set_password(store_t *s, int64_t id, const char *password_hash, int64_t now);
/* Any state but active ends every session of the account. */
int store_user_set_state(store_t *s, int64_t id, account_state_t state);
int store_user_set_role(store_t *s, int64_t id, account_role_t role);
/* The account, its sessions and its tokens; its tasks stay, still its own (an admin sees them). */
int store_user_delete(store_t *s, int64_t id);
typedef int (*store_user_fn)(const store_user_t *u, void *userdata);
/* By name. */
int store_user_list(store_t *s, store_user_fn fn, void *userdata);
/* 1 when u is the one active administrator left (it must then be neither disabled, deleted nor demoted:
 * the service would have no one to manage it), 0 when not, -errno. */
int store_user_is_last_admin(store_t *s, const store_user_t *u);
/* Accounts, and active admins among them. */
int store_user_count(store_t *s, uint64_t *ret_total, uint64_t *ret_active_admins);

int store_session_add(store_t *s, const store_session_t *session);
int store_session_get(store_t *s, const char *hash, store_session_t *ret);
/* The session by its hash and its account in one query (every authenticated request asks). */
int store_session_get_user(store_t *s, const char *hash, store_session_t *ret, store_user_t *ret_user);
int store_session_touch(store_t *s, const char *hash, int64_t now);
int store_session_delete(store_t *s, const char *hash);
/* Every session of user_id; the number ended. */
int store_session_delete_user(store_t *s, int64_t user_id);
typedef int (*store_session_fn)(const store_session_t *ss, void *userdata);
/* user_id's sessions, or everyone's with STORE_ANY_OWNER; newest first. */
int store_session_list(store_t *s, int64_t user_id, store_session_fn fn, void *userdata);
/* Sessions past their absolute expiry or idle since before idle_cutoff; the number removed. */
int store_session_prune(store_t *s, int64_t now, int64_t idle_cutoff);

/* The second factor (TOTP). An enrolment first stores its secret as pending; enable moves it to the
 * active secret with the step its confirming code used, and replaces the account's recovery codes (their
 * hashes) in the same transaction. disable drops the secret, the pending one and the recovery codes. */
int store_user_totp_set_pending(store_t *s, int64_t id, const char *secret_b32);
int store_user_totp_enable(store_t *s, int64_t id, const char *secret_b32, uint64_t step,
                           const char (*recovery_hashes)[SECRET_HASH_LEN + 1], unsigned n);
int store_user_totp_disable(store_t *s, int64_t id);
/* Records that step was used: -ESTALE when a step as late or later was recorded meanwhile (a replay that
 * raced the first use). */
int store_user_totp_used(store_t *s, int64_t id, uint64_t step);
/* Uses up one recovery code of the account by its hash: -ENOENT when it has no such (unused) code. */
int store_recovery_use(store_t *s, int64_t id, const char *hash);
/* How many unused recovery codes the account has. */
int store_recovery_count(store_t *s, int64_t id, unsigned *ret);

/* Sets t->id. */
int store_token_add(store_t *s, store_token_t *t);
int store_token_find(store_t *s, const char *hash, store_token_t *ret);
/* The token by its hash and its account in one query. */
int store_token_find_user(store_t *s, const char *hash, store_token_t *ret, store_user_t *ret_user);
int store_token_touch(store_t *s, int64_t id, int64_t now);
/* user_id's token id; -ENOENT when user_id has none by that id. */
int store_token_delete(store_t *s, int64_t user_id, int64_t id);
typedef int (*store_token_fn)(const store_token_t *t, void *userdata);
int store_token_list(store_t *s, int64_t user_id, store_token_fn fn, void *userdata);
