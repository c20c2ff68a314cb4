/* Tests of the store's accounts, sessions and tokens (lib/store/store-accounts.c) on a real SQLite file, or
 * with "pg" on the real PostgreSQL that tests/pg/pg-temp.sh started (PCAPD_TEST_DATABASE):
 * names unique in any case, ids never reused, a password change or a disable ending the sessions, deletes
 * cascading to sessions and tokens but leaving the tasks with their owner, per-owner history. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"

#include "store/store-accounts.h"

static int count_session(const store_session_t *ss, void *userdata) {
        (*(unsigned *) userdata)++;
        return 0;
}
static int count_token(const store_token_t *t, void *userdata) {
        (*(unsigned *) userdata)++;
        return 0;
}
static int count_task(const store_task_t *t, void *userdata) {
        (*(unsigned *) userdata)++;
        return 0;
}
static int collect_names(const store_user_t *u, void *userdata) {
        strcat(userdata, u->name);
        strcat(userdata, ",");
        return 0;
}

static store_session_t session(const char *hash, int64_t user, int64_t now) {
        store_session_t ss = { .user_id = user, .created_at = now, .last_seen = now, .expires_at = now + 1000 };
        snprintf(ss.hash, sizeof(ss.hash), "%s", hash);
        snprintf(ss.remote, sizeof(ss.remote), "192.0.2.1");
        return ss;
}

static void add_task(store_t *s, const char *id, int64_t owner, int64_t at) {
        store_task_t t = { .file_size = 1, .uploaded_at = at, .owner = owner };
        snprintf(t.id, sizeof(t.id), "%s", id);
        snprintf(t.filename, sizeof(t.filename), "f.pcap");
        CHECK(store_task_add(s, &t) == 0);
}

int main(int argc, char **argv) {
        bool pg = argc > 1 && strcmp(argv[1], "pg") == 0;
        char dir[] = "/tmp/test-store-accounts-XXXXXX", path[256], names[512] = "";
        store_t *s = NULL;
        store_user_t u;
        store_session_t ss;
        store_token_t tok = {}, got;
        int64_t alice, bob, carol;
        uint64_t total, admins;
        unsigned n;

        if (!mkdtemp(dir))
                return perror("mkdtemp"), 1;
        if (pg) {
                const char *url = getenv("PCAPD_TEST_DATABASE");
                if (!url) {
                        fprintf(stderr, "store-accounts: no PCAPD_TEST_DATABASE (run me through tests/pg/pg-temp.sh run)\n");
                        return EXIT_TEST_SKIP;
                }
                snprintf(path, sizeof(path), "%s", url);
        } else
                snprintf(path, sizeof(path), "%s/pcapd.db", dir);
        CHECK(store_open(path, &s) == 0);
        if (!s)
                return 1;

        tu_current = "users";
        CHECK(store_user_add(s, "alice", "$y$hash-a", ROLE_ADMIN, ACCOUNT_ACTIVE, 10, &alice) == 0);
        CHECK(store_user_add(s, "bob", "$y$hash-b", ROLE_USER, ACCOUNT_PENDING, 11, &bob) == 0);
        CHECK(store_user_add(s, "ALICE", "$y$x", ROLE_USER, ACCOUNT_ACTIVE, 12, NULL) == -EEXIST);
        CHECK(store_user_add(s, "<script>", "$y$x", ROLE_USER, ACCOUNT_ACTIVE, 12, NULL) == -EINVAL);
        CHECK(store_user_find(s, "Alice", &u) == 0 && u.id == alice && u.role == ROLE_ADMIN && strcmp(u.name, "alice") == 0);
        CHECK(strcmp(u.password, "$y$hash-a") == 0 && u.created_at == 10 && u.password_changed_at == 10);
        CHECK(store_user_get(s, bob, &u) == 0 && u.state == ACCOUNT_PENDING);
        CHECK(store_user_get(s, 9999, &u) == -ENOENT);
        CHECK(store_user_find(s, "nobody", &u) == -ENOENT);
        CHECK(store_user_count(s, &total, &admins) == 0 && total == 2 && admins == 1);
        CHECK(store_user_set_role(s, bob, ROLE_ADMIN) == 0);
        CHECK(store_user_count(s, &total, &admins) == 0 && admins == 1); /* bob is admin but pending */
        CHECK(store_user_set_state(s, bob, ACCOUNT_ACTIVE) == 0);
        CHECK(store_user_count(s, &total, &admins) == 0 && admins == 2);
        CHECK(store_user_set_role(s, 9999, ROLE_ADMIN) == -ENOENT);
        CHECK(store_user_list(s, collect_names, names) == 0 && strcmp(names, "alice,bob,") == 0);
        /* listed by name ignoring case, as found */
        CHECK(store_user_add(s, "Zed", "$y$z", ROLE_USER, ACCOUNT_PENDING, 13, &carol) == 0);
        CHECK(store_user_add(s, "Bz", "$y$z", ROLE_USER, ACCOUNT_PENDING, 13, NULL) == 0);
        names[0] = 0;
        CHECK(store_user_list(s, collect_names, names) == 0);
        CHECK_STR(names, "alice,bob,Bz,Zed,");
        CHECK(store_user_find(s, "zED", &u) == 0 && u.id == carol && strcmp(u.password, "$y$z") == 0);
        CHECK(store_user_delete(s, carol) == 0);
        CHECK(store_user_find(s, "bz", &u) == 0 && store_user_delete(s, u.id) == 0);

        tu_current = "sessions";
        ss = session("aa", alice, 100);
        CHECK(store_session_add(s, &ss) == 0);
        ss = session("ab", alice, 100);
        CHECK(store_session_add(s, &ss) == 0);
        ss = session("bb", bob, 100);
        CHECK(store_session_add(s, &ss) == 0);
        CHECK(store_session_add(s, &ss) == -EEXIST);
        CHECK(store_session_get(s, "aa", &ss) == 0 && ss.user_id == alice && ss.expires_at == 1100 &&
              strcmp(ss.remote, "192.0.2.1") == 0);
        CHECK(store_session_touch(s, "aa", 500) == 0 && store_session_get(s, "aa", &ss) == 0 && ss.last_seen == 500);
        CHECK(store_session_touch(s, "zz", 500) == -ENOENT);
        /* a new password ends every session of its account, no one else's */
        CHECK(store_user_set_password(s, alice, "$y$new", 600) == 0);
        CHECK(store_session_get(s, "aa", &ss) == -ENOENT && store_session_get(s, "ab", &ss) == -ENOENT);
        CHECK(store_session_get(s, "bb", &ss) == 0);
        CHECK(store_user_get(s, alice, &u) == 0 && strcmp(u.password, "$y$new") == 0 && u.password_changed_at == 600);
        /* a disabled account's sessions end; approving or enabling keeps them */
        ss = session("cc", bob, 100);
        CHECK(store_session_add(s, &ss) == 0);
        CHECK(store_user_set_state(s, bob, ACCOUNT_ACTIVE) == 0 && store_session_get(s, "cc", &ss) == 0);
        CHECK(store_user_set_state(s, bob, ACCOUNT_DISABLED) == 0);
        CHECK(store_session_get(s, "cc", &ss) == -ENOENT && store_session_get(s, "bb", &ss) == -ENOENT);
        CHECK(store_user_set_state(s, bob, ACCOUNT_ACTIVE) == 0);
        /* prune: past the absolute expiry, or idle since before the cutoff */
        ss = session("d1", alice, 1000); /* expires 2000 */
        CHECK(store_session_add(s, &ss) == 0);
        ss = session("d2", alice, 1500); /* last seen 1500 */
        CHECK(store_session_add(s, &ss) == 0);
        ss = session("d3", alice, 1900);
        CHECK(store_session_add(s, &ss) == 0);
        CHECK(store_session_prune(s, 2000, 1600) == 2); /* d1 expired, d2 idle */
        n = 0;
        CHECK(store_session_list(s, STORE_ANY_OWNER, count_session, &n) == 0 && n == 1);
        CHECK(store_session_delete(s, "d3") == 0 && store_session_delete(s, "d3") == -ENOENT);

        tu_current = "tokens";
        tok.user_id = bob;
        snprintf(tok.name, sizeof(tok.name), "ci");
        snprintf(tok.hash, sizeof(tok.hash), "%064d", 1);
        tok.created_at = 5;
        CHECK(store_token_add(s, &tok) == 0 && tok.id > 0);
        CHECK(store_token_add(s, &tok) == -EEXIST); /* the same hash twice */
        CHECK(store_token_find(s, tok.hash, &got) == 0 && got.user_id == bob && got.expires_at == 0 &&
              strcmp(got.name, "ci") == 0);
        CHECK(store_token_touch(s, tok.id, 77) == 0 && store_token_find(s, tok.hash, &got) == 0 && got.last_used == 77);
        CHECK(store_token_delete(s, alice, tok.id) == -ENOENT); /* not alice's to revoke */
        n = 0;
        CHECK(store_token_list(s, bob, count_token, &n) == 0 && n == 1);

        tu_current = "totp";
        {
                const char hashes[2][SECRET_HASH_LEN + 1] = { "h1", "h2" };
                unsigned left = 9;
                CHECK(store_user_totp_set_pending(s, alice, "PENDINGSECRET") == 0);
                CHECK(store_user_get(s, alice, &u) == 0 && strcmp(u.totp_pending, "PENDINGSECRET") == 0 && !u.totp_secret[0]);
                CHECK(store_user_totp_enable(s, alice, "PENDINGSECRET", 1000, hashes, 2) == 0);
                CHECK(store_user_get(s, alice, &u) == 0 && strcmp(u.totp_secret, "PENDINGSECRET") == 0 &&
                      !u.totp_pending[0] && u.totp_last_step == 1000);
                CHECK(store_user_totp_used(s, alice, 1000) == -ESTALE); /* the same step twice */
                CHECK(store_user_totp_used(s, alice, 999) == -ESTALE);
                CHECK(store_user_totp_used(s, alice, 1001) == 0);
                CHECK(store_recovery_count(s, alice, &left) == 0 && left == 2);
                CHECK(store_recovery_use(s, alice, "h1") == 0 && store_recovery_use(s, alice, "h1") == -ENOENT);
                CHECK(store_recovery_use(s, bob, "h2") == -ENOENT); /* not bob's */
                CHECK(store_recovery_count(s, alice, &left) == 0 && left == 1);
                /* enabling again replaces the codes */
                CHECK(store_user_totp_enable(s, alice, "OTHER", 5, hashes, 1) == 0);
                CHECK(store_recovery_count(s, alice, &left) == 0 && left == 1 && store_recovery_use(s, alice, "h2") == -ENOENT);
                CHECK(store_user_totp_disable(s, alice) == 0);
                CHECK(store_user_get(s, alice, &u) == 0 && !u.totp_secret[0] && u.totp_last_step == 0);
                CHECK(store_recovery_count(s, alice, &left) == 0 && left == 0);
                CHECK(store_user_totp_disable(s, 9999) == -ENOENT);
        }

        tu_current = "owners";
        add_task(s, "11111111111111111111111111111111", alice, 1);
        add_task(s, "22222222222222222222222222222222", bob, 2);
        add_task(s, "33333333333333333333333333333333", bob, 3);
        add_task(s, "44444444444444444444444444444444", 0, 4);
        n = 0;
        CHECK(store_list_history(s, 50, bob, count_task, &n) == 0 && n == 2);
        n = 0;
        CHECK(store_list_history(s, 50, STORE_ANY_OWNER, count_task, &n) == 0 && n == 4);

        tu_current = "delete";
        ss = session("ee", bob, 100);
        CHECK(store_session_add(s, &ss) == 0);
        CHECK(store_user_delete(s, bob) == 0 && store_user_delete(s, bob) == -ENOENT);
        CHECK(store_session_get(s, "ee", &ss) == -ENOENT);      /* cascaded */
        CHECK(store_token_find(s, tok.hash, &got) == -ENOENT);  /* cascaded */
        n = 0;
        CHECK(store_list_history(s, 50, bob, count_task, &n) == 0 && n == 2); /* the tasks stay, still bob's */
        /* ids are never reused: a new account never inherits a deleted one's tasks */
        CHECK(store_user_add(s, "carol", "$y$c", ROLE_USER, ACCOUNT_ACTIVE, 20, &carol) == 0 && carol > bob);
        n = 0;
        CHECK(store_list_history(s, 50, carol, count_task, &n) == 0 && n == 0);

        store_close(s);
        /* reopening migrates nothing twice */
        CHECK(store_open(path, &s) == 0 && store_user_find(s, "carol", &u) == 0);
        store_close(s);
        unlink(path);
        {
                char p[300];
                snprintf(p, sizeof(p), "%s-wal", path);
                unlink(p);
                snprintf(p, sizeof(p), "%s-shm", path);
                unlink(p);
        }
        rmdir(dir);
        return tu_exit();
}
