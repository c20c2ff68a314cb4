/* Accounts, sessions and tokens (see store-accounts.h). */
#include "store/store-accounts.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/store-private.h"

#define USER_COLUMNS \
        "id, name, password, role, state, created_at, password_changed_at, totp_secret, totp_pending, totp_last_step"
#define USER_COLUMNS_U                                                                                        \
        "u.id, u.name, u.password, u.role, u.state, u.created_at, u.password_changed_at, u.totp_secret, "        \
        "u.totp_pending, u.totp_last_step"

/* The USER_COLUMNS from column at on. */
static void row_to_user_at(store_stmt_t *st, int at, store_user_t *u) {
        int v;
        memset(u, 0, sizeof(*u));
        u->id = store_column_int64(st, at + 0);
        store_copy_text(u->name, sizeof(u->name), store_column_text(st, at + 1));
        store_copy_text(u->password, sizeof(u->password), store_column_text(st, at + 2));
        v = account_role_from_string((const char *) store_column_text(st, at + 3));
        u->role = v < 0 ? ROLE_USER : (account_role_t) v;
        v = account_state_from_string((const char *) store_column_text(st, at + 4));
        u->state = v < 0 ? ACCOUNT_DISABLED : (account_state_t) v;
        u->created_at = store_column_int64(st, at + 5);
        u->password_changed_at = store_column_int64(st, at + 6);
        store_copy_text(u->totp_secret, sizeof(u->totp_secret), store_column_text(st, at + 7));
        store_copy_text(u->totp_pending, sizeof(u->totp_pending), store_column_text(st, at + 8));
        u->totp_last_step = (uint64_t) store_column_int64(st, at + 9);
}

static void row_to_user(store_stmt_t *st, store_user_t *u) {
        row_to_user_at(st, 0, u);
}


/* An INSERT … RETURNING id: the new row's id into *ret_id. */
static int step_insert_id(store_stmt_t *st, int64_t *ret_id) {
        int r = store_step(st);
        if (r < 0)
                return r;
        if (r == 0)
                return -EIO;
        if (ret_id)
                *ret_id = store_column_int64(st, 0);
        return 0;
}

/* A statement that must change exactly one row: -ENOENT when it changed none. */
static int step_changed(store_stmt_t *st) {
        int r = store_step_done(st);
        if (r < 0)
                return r;
        return r == 0 ? -ENOENT : 0;
}

int store_user_add(store_t *s, const char *name, const char *password_hash, account_role_t role,
                   account_state_t state, int64_t now, int64_t *ret_id) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r;

        if (!account_name_is_valid(name, strlen(name)))
                return -EINVAL;
        r = store_prepare(s, "INSERT INTO users (name, password, role, state, created_at, password_changed_at) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, name);
        store_bind_text(st, 2, password_hash);
        store_bind_text(st, 3, account_role_to_string(role));
        store_bind_text(st, 4, account_state_to_string(state));
        store_bind_int64(st, 5, now);
        return step_insert_id(st, ret_id);
}

int store_user_get(store_t *s, int64_t id, store_user_t *ret) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "SELECT " USER_COLUMNS " FROM users WHERE id = ?1", &st);
        if (r < 0)
                return r;
        store_bind_int64(st, 1, id);
        return store_step_one(st, (store_row_conv) row_to_user, ret);
}

int store_user_find(store_t *s, const char *name, store_user_t *ret) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "SELECT " USER_COLUMNS " FROM users WHERE lower(name) = lower(?1)", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, name);
        return store_step_one(st, (store_row_conv) row_to_user, ret);
}

/* sql changes one user, then every session of that user ends, in one transaction. */
static int user_change_ending_sessions(store_t *s, store_stmt_t *st, int64_t id, bool end_sessions) {
        int r = store_begin(s);
        if (r < 0)
                return r;
        r = step_changed(st);
        if (r >= 0 && end_sessions)
                r = store_session_delete_user(s, id);
        if (r >= 0)
                r = store_commit(s);
        if (r < 0) {
                store_rollback(s);
                return r;
        }
        return 0;
}

int store_user_set_password(store_t *s, int64_t id, const char *password_hash, int64_t now) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "UPDATE users SET password = ?2, password_changed_at = ?3 WHERE id = ?1", &st);
        if (r < 0)
                return r;
        store_bind_int64(st, 1, id);
        store_bind_text(st, 2, password_hash);
        store_bind_int64(st, 3, now);
        return user_change_ending_sessions(s, st, id, true);
}

int store_user_set_state(store_t *s, int64_t id, account_state_t state) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "UPDATE users SET state = ?2 WHERE id = ?1", &st);
        if (r < 0)
                return r;
        store_bind_int64(st, 1, id);
        store_bind_text(st, 2, account_state_to_string(state));
        return user_change_ending_sessions(s, st, id, state != ACCOUNT_ACTIVE);
}

int store_user_set_role(store_t *s, int64_t id, account_role_t role) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "UPDATE users SET role = ?2 WHERE id = ?1", &st);
        if (r < 0)
                return r;
        store_bind_int64(st, 1, id);
        store_bind_text(st, 2, account_role_to_string(role));
        return step_changed(st);
}

int store_user_delete(store_t *s, int64_t id) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "DELETE FROM users WHERE id = ?1", &st); /* sessions and tokens cascade */
        if (r < 0)
                return r;
        store_bind_int64(st, 1, id);
        return step_changed(st);
}

/* A listed account: nobody listing needs its password hash. */
static void row_to_user_listed(store_stmt_t *st, store_user_t *u) {
        row_to_user(st, u);
        explicit_bzero(u->password, sizeof(u->password));
}

int store_user_list(store_t *s, store_user_fn fn, void *userdata) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        store_user_t u;
        int r = store_prepare(s, "SELECT " USER_COLUMNS " FROM users ORDER BY lower(name)", &st);
        if (r < 0)
                return r;
        return store_each(st, (store_row_conv) row_to_user_listed, &u, (store_row_fn) fn, userdata);
}

int store_user_count(store_t *s, uint64_t *ret_total, uint64_t *ret_active_admins) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "SELECT count(*), count(CASE WHEN role = 'admin' AND state = 'active' THEN 1 END) FROM users", &st);
        if (r < 0)
                return r;
        r = store_step(st);
        if (r <= 0)
                return r < 0 ? r : -EIO;
        if (ret_total)
                *ret_total = (uint64_t) store_column_int64(st, 0);
        if (ret_active_admins)
                *ret_active_admins = (uint64_t) store_column_int64(st, 1);
        return 0;
}

int store_user_totp_set_pending(store_t *s, int64_t id, const char *secret_b32) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "UPDATE users SET totp_pending = ?2 WHERE id = ?1", &st);
        if (r < 0)
                return r;
        store_bind_int64(st, 1, id);
        store_bind_text(st, 2, secret_b32);
        return step_changed(st);
}

int store_user_totp_enable(store_t *s, int64_t id, const char *secret_b32, uint64_t step,
                           const char (*recovery_hashes)[SECRET_HASH_LEN + 1], unsigned n) {
        _cleanup_stmt_ store_stmt_t *up = NULL, *del = NULL;
        int r = store_begin(s);
        if (r < 0)
                return r;
        r = store_prepare(s, "UPDATE users SET totp_secret = ?2, totp_pending = '', totp_last_step = ?3 WHERE id = ?1",
                          &up);
        if (r >= 0) {
                store_bind_int64(up, 1, id);
                store_bind_text(up, 2, secret_b32);
                store_bind_int64(up, 3, step);
                r = step_changed(up);
        }
        if (r >= 0)
                r = store_prepare(s, "DELETE FROM recovery_codes WHERE user_id = ?1", &del);
        if (r >= 0) {
                store_bind_int64(del, 1, id);
                r = store_step_done(del);
        }
        for (unsigned i = 0; r >= 0 && i < n; i++) {
                _cleanup_stmt_ store_stmt_t *ins = NULL;
                r = store_prepare(s, "INSERT INTO recovery_codes (user_id, hash) VALUES (?1, ?2)", &ins);
                if (r < 0)
                        break;
                store_bind_int64(ins, 1, id);
                store_bind_text(ins, 2, recovery_hashes[i]);
                r = store_step_done(ins);
        }
        if (r >= 0)
                r = store_commit(s);
        if (r < 0) {
                store_rollback(s);
                return r;
        }
        return 0;
}

int store_user_totp_disable(store_t *s, int64_t id) {
        _cleanup_stmt_ store_stmt_t *up = NULL, *del = NULL;
        int r = store_begin(s);
        if (r < 0)
                return r;
        r = store_prepare(s, "UPDATE users SET totp_secret = '', totp_pending = '', totp_last_step = 0 WHERE id = ?1",
                          &up);
        if (r >= 0) {
                store_bind_int64(up, 1, id);
                r = step_changed(up);
        }
        if (r >= 0)
                r = store_prepare(s, "DELETE FROM recovery_codes WHERE user_id = ?1", &del);
        if (r >= 0) {
                store_bind_int64(del, 1, id);
                r = store_step_done(del);
        }
        if (r >= 0)
                r = store_commit(s);
        if (r < 0) {
                store_rollback(s);
                return r;
        }
        return 0;
}

int store_user_totp_used(store_t *s, int64_t id, uint64_t step) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "UPDATE users SET totp_last_step = ?2 WHERE id = ?1 AND totp_last_step < ?2", &st);
        if (r < 0)
                return r;
        store_bind_int64(st, 1, id);
        store_bind_int64(st, 2, step);
        r = store_step_done(st);
        if (r < 0)
                return r;
        return r == 0 ? -ESTALE : 0;
}

int store_recovery_use(store_t *s, int64_t id, const char *hash) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "DELETE FROM recovery_codes WHERE user_id = ?1 AND hash = ?2", &st);
        if (r < 0)
                return r;
        store_bind_int64(st, 1, id);
        store_bind_text(st, 2, hash);
        return step_changed(st);
}

int store_recovery_count(store_t *s, int64_t id, unsigned *ret) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "SELECT count(*) FROM recovery_codes WHERE user_id = ?1", &st);
        if (r < 0)
                return r;
        store_bind_int64(st, 1, id);
        r = store_step(st);
        if (r <= 0)
                return r < 0 ? r : -EIO;
        *ret = (unsigned) store_column_int64(st, 0);
        return 0;
}

int store_user_is_last_admin(store_t *s, const store_user_t *u) {
        uint64_t total, admins;
        int r;
        if (u->role != ROLE_ADMIN || u->state != ACCOUNT_ACTIVE)
                return 0;
        r = store_user_count(s, &total, &admins);
        if (r < 0)
                return r;
        return admins <= 1;
}

#define SESSION_COLUMNS "hash, user_id, created_at, last_seen, expires_at, remote"

static void row_to_session(store_stmt_t *st, store_session_t *ss) {
        memset(ss, 0, sizeof(*ss));
        store_copy_text(ss->hash, sizeof(ss->hash), store_column_text(st, 0));
        ss->user_id = store_column_int64(st, 1);
        ss->created_at = store_column_int64(st, 2);
        ss->last_seen = store_column_int64(st, 3);
        ss->expires_at = store_column_int64(st, 4);
        store_copy_text(ss->remote, sizeof(ss->remote), store_column_text(st, 5));
}

int store_session_add(store_t *s, const store_session_t *ss) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "INSERT INTO sessions (" SESSION_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, ss->hash);
        store_bind_int64(st, 2, ss->user_id);
        store_bind_int64(st, 3, ss->created_at);
        store_bind_int64(st, 4, ss->last_seen);
        store_bind_int64(st, 5, ss->expires_at);
        store_bind_text(st, 6, ss->remote);
        r = store_step_done(st);
        return r < 0 ? r : 0;
}

int store_session_get(store_t *s, const char *hash, store_session_t *ret) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "SELECT " SESSION_COLUMNS " FROM sessions WHERE hash = ?1", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, hash);
        return store_step_one(st, (store_row_conv) row_to_session, ret);
}

int store_session_get_user(store_t *s, const char *hash, store_session_t *ret, store_user_t *ret_user) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "SELECT s.hash, s.user_id, s.created_at, s.last_seen, s.expires_at, s.remote, "
                                     USER_COLUMNS_U " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ?1",
                                  &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, hash);
        r = store_step(st);
        if (r <= 0)
                return r < 0 ? r : -ENOENT;
        row_to_session(st, ret);
        row_to_user_at(st, 6, ret_user);
        return 0;
}

int store_session_touch(store_t *s, const char *hash, int64_t now) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "UPDATE sessions SET last_seen = ?2 WHERE hash = ?1", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, hash);
        store_bind_int64(st, 2, now);
        return step_changed(st);
}

int store_session_delete(store_t *s, const char *hash) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "DELETE FROM sessions WHERE hash = ?1", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, hash);
        return step_changed(st);
}

int store_session_delete_user(store_t *s, int64_t user_id) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "DELETE FROM sessions WHERE user_id = ?1", &st);
        if (r < 0)
                return r;
        store_bind_int64(st, 1, user_id);
        return store_step_done(st);
}

int store_session_list(store_t *s, int64_t user_id, store_session_fn fn, void *userdata) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        store_session_t ss;
        int r = user_id == STORE_ANY_OWNER
                        ? store_prepare(s, "SELECT " SESSION_COLUMNS " FROM sessions ORDER BY created_at DESC", &st)
                        : store_prepare(s, "SELECT " SESSION_COLUMNS " FROM sessions WHERE user_id = ?1 "
                                           "ORDER BY created_at DESC", &st);
        if (r < 0)
                return r;
        if (user_id != STORE_ANY_OWNER)
                store_bind_int64(st, 1, user_id);
        return store_each(st, (store_row_conv) row_to_session, &ss, (store_row_fn) fn, userdata);
}

int store_session_prune(store_t *s, int64_t now, int64_t idle_cutoff) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen < ?2", &st);
        if (r < 0)
                return r;
        store_bind_int64(st, 1, now);
        store_bind_int64(st, 2, idle_cutoff);
        return store_step_done(st);
}

#define TOKEN_COLUMNS "id, user_id, name, hash, created_at, expires_at, last_used"

static void row_to_token(store_stmt_t *st, store_token_t *t) {
        memset(t, 0, sizeof(*t));
        t->id = store_column_int64(st, 0);
        t->user_id = store_column_int64(st, 1);
        store_copy_text(t->name, sizeof(t->name), store_column_text(st, 2));
        store_copy_text(t->hash, sizeof(t->hash), store_column_text(st, 3));
        t->created_at = store_column_int64(st, 4);
        t->expires_at = store_column_int64(st, 5);
        t->last_used = store_column_int64(st, 6);
}

int store_token_add(store_t *s, store_token_t *t) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "INSERT INTO tokens (user_id, name, hash, created_at, expires_at) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id", &st);
        if (r < 0)
                return r;
        store_bind_int64(st, 1, t->user_id);
        store_bind_text(st, 2, t->name);
        store_bind_text(st, 3, t->hash);
        store_bind_int64(st, 4, t->created_at);
        store_bind_int64(st, 5, t->expires_at);
        return step_insert_id(st, &t->id);
}

int store_token_find(store_t *s, const char *hash, store_token_t *ret) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "SELECT " TOKEN_COLUMNS " FROM tokens WHERE hash = ?1", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, hash);
        return store_step_one(st, (store_row_conv) row_to_token, ret);
}

int store_token_find_user(store_t *s, const char *hash, store_token_t *ret, store_user_t *ret_user) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "SELECT t.id, t.user_id, t.name, t.hash, t.created_at, t.expires_at, t.last_used, "
                                     USER_COLUMNS_U " FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?1",
                                  &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, hash);
        r = store_step(st);
        if (r <= 0)
                return r < 0 ? r : -ENOENT;
        row_to_token(st, ret);
        row_to_user_at(st, 7, ret_user);
        return 0;
}

int store_token_touch(store_t *s, int64_t id, int64_t now) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "UPDATE tokens SET last_used = ?2 WHERE id = ?1", &st);
        if (r < 0)
                return r;
        store_bind_int64(st, 1, id);
        store_bind_int64(st, 2, now);
        return step_changed(st);
}

int store_token_delete(store_t *s, int64_t user_id, int64_t id) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "DELETE FROM tokens WHERE id = ?1 AND user_id = ?2", &st);
        if (r < 0)
                return r;
        store_bind_int64(st, 1, id);
        store_bind_int64(st, 2, user_id);
        return step_changed(st);
}

int store_token_list(store_t *s, int64_t user_id, store_token_fn fn, void *userdata) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        store_token_t t;
        int r = store_prepare(s, "SELECT " TOKEN_COLUMNS " FROM tokens WHERE user_id = ?1 ORDER BY id", &st);
        if (r < 0)
                return r;
        store_bind_int64(st, 1, user_id);
        return store_each(st, (store_row_conv) row_to_token, &t, (store_row_fn) fn, userdata);
}
