/* pcapctl: accounts, API tokens and sessions of a pcapd state directory (issue 13), for administrators and
 * scripts. Works on the database directly, as the service user or root, with the service running or not
 * (SQLite's locking and busy timeout keep the two apart). Exit status: 0 done, 1 refused or failed (the
 * reason on stderr), 2 wrong usage. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "auth/account.h"
#include "auth/secret.h"
#include "log/log.h"
#include "state/state-dir.h"
#include "store/store-accounts.h"
#include "util/macro.h"
#include "util/parse.h"

#define EXIT_USAGE 2

typedef struct ctl {
        store_t *store;
        bool json;
        bool logging;      /* security events go to the journal when there is one */
} ctl_t;

static void help(void) {
        printf("Usage: pcapctl [--state-dir DIR] [--database DB] COMMAND ...\n"
               "Accounts, API tokens and sessions of pcapd.\n\n"
               "  -h --help                show this help\n"
               "     --version             show the version\n"
               "     --state-dir DIR       the service's state directory [PCAPD_STATE_DIR,\n"
               "                           $STATE_DIRECTORY, /var/lib/pcapd]\n"
               "     --database DB         sqlite:PATH or postgresql://... as pcapd-web's\n"
               "                           [PCAPD_DATABASE, sqlite:STATE-DIR/pcapd.db]\n"
               "     --json                list commands print JSON\n\n"
               "Accounts:\n"
               "  user add NAME [--role user|admin] [--pending] [--password-stdin]\n"
               "  user list\n"
               "  user approve|enable|disable|delete NAME\n"
               "  user passwd NAME [--password-stdin]\n"
               "  user role NAME user|admin\n"
               "  user 2fa-reset NAME      remove the second factor (a lost device)\n"
               "API tokens (the new token alone on stdout):\n"
               "  token create NAME [--label TEXT] [--expires-days N]\n"
               "  token list NAME\n"
               "  token revoke NAME ID\n"
               "Sessions:\n"
               "  session list [NAME]\n"
               "  session revoke NAME      end every session of NAME\n\n"
               "A password is read from the terminal twice, or with --password-stdin as the\n"
               "first line of standard input. Exit status: 0 done, 1 refused or failed, 2 usage.\n");
}

static int fail(const char *fmt, ...) _printf_(1, 2);
static int fail(const char *fmt, ...) {
        va_list ap;
        fputs("pcapctl: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return EXIT_FAILURE;
}

static int usage(const char *what) {
        fprintf(stderr, "pcapctl: %s (see pcapctl --help)\n", what);
        return EXIT_USAGE;
}

static void event(ctl_t *c, const char *ev, const char *user, const char *fmt, ...) _printf_(4, 5);
static void event(ctl_t *c, const char *ev, const char *user, const char *fmt, ...) {
        char fu[16 + ACCOUNT_NAME_MAX], fo[64];
        va_list ap;
        if (!c->logging)
                return;
        va_start(ap, fmt);
        log_struct_errnov(LOG_NOTICE, 0, NULL, ev,
                          LOG_FIELDS(LOG_FIELD(fu, "PCAPD_USER=%s", user), LOG_FIELD(fo, "PCAPD_OPERATOR=uid %u", getuid())),
                          fmt, ap);
        va_end(ap);
}

/* A line of stdin, or twice from the terminal without echo. */
static int read_password(bool from_stdin, char *buf, size_t size) {
        char again[ACCOUNT_PASSWORD_MAX + 2];
        struct termios old, noecho;
        FILE *tty;
        size_t n;

        if (from_stdin || !isatty(STDIN_FILENO)) {
                if (!fgets(buf, (int) size, stdin))
                        return fail("no password on standard input"), -EINVAL;
                n = strlen(buf);
                if (n > 0 && buf[n - 1] == '\n')
                        buf[--n] = 0;
                else if (n + 1 >= size)
                        return fail("the password is longer than %d bytes", ACCOUNT_PASSWORD_MAX), -E2BIG;
                return 0;
        }
        tty = fopen("/dev/tty", "r+e");
        if (!tty)
                return fail("no terminal to read a password from: use --password-stdin"), -ENOTTY;
        tcgetattr(fileno(tty), &old);
        noecho = old;
        noecho.c_lflag &= ~(tcflag_t) ECHO;
        tcsetattr(fileno(tty), TCSAFLUSH, &noecho);
        fputs("New password: ", tty);
        fflush(tty);
        bool ok = fgets(buf, (int) size, tty) != NULL;
        fputs("\nAgain: ", tty);
        fflush(tty);
        ok = ok && fgets(again, sizeof(again), tty) != NULL;
        fputs("\n", tty);
        tcsetattr(fileno(tty), TCSAFLUSH, &old);
        fclose(tty);
        if (!ok)
                return fail("no password given"), -EINVAL;
        buf[strcspn(buf, "\n")] = 0;
        again[strcspn(again, "\n")] = 0;
        ok = strcmp(buf, again) == 0;
        explicit_bzero(again, sizeof(again));
        if (!ok)
                return fail("the two passwords differ"), -EINVAL;
        return 0;
}

/* A new password for name: read, checked against the policy, hashed into hash. */
static int new_password(const char *name, bool from_stdin, char hash[ACCOUNT_HASH_MAX]) {
        char pw[ACCOUNT_PASSWORD_MAX + 2], reason[256];
        const char *why;
        int r = read_password(from_stdin, pw, sizeof(pw));
        if (r < 0)
                return r;
        why = account_password_refusal(name, pw, ACCOUNT_PASSWORD_MIN, reason, sizeof(reason));
        if (why) {
                explicit_bzero(pw, sizeof(pw));
                fail("%s", why);
                return -EINVAL;
        }
        r = account_password_hash(pw, hash);
        explicit_bzero(pw, sizeof(pw));
        if (r < 0)
                fail("could not hash the password: %s", strerror(-r));
        return r;
}

static int find_user(ctl_t *c, const char *name, store_user_t *u) {
        int r;
        if (!account_name_is_valid(name, strlen(name)))
                return fail("invalid user name: 1 to %d letters, digits and . _ - @ +, starting with a letter or digit",
                            ACCOUNT_NAME_MAX), -EINVAL;
        r = store_user_find(c->store, name, u);
        if (r == -ENOENT)
                return fail("no such account: %s", name), r;
        if (r < 0)
                return fail("could not read the account: %s", strerror(-r)), r;
        explicit_bzero(u->password, sizeof(u->password));
        return 0;
}

/* Refuses to leave the service without an active administrator. */
static int keep_an_admin(ctl_t *c, const store_user_t *u) {
        int r = store_user_is_last_admin(c->store, u);
        if (r < 0)
                return fail("could not count the administrators"), r;
        if (r > 0)
                return fail("%s is the last active administrator: make another one first", u->name), -EPERM;
        return 0;
}

static void print_time(int64_t ms) {
        char b[32];
        time_t t = (time_t) (ms / 1000);
        struct tm tm;
        if (!ms) {
                printf("%-21s", "-");
                return;
        }
        gmtime_r(&t, &tm);
        strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
        printf("%-21s", b);
}

static int list_user(const store_user_t *u, void *userdata) {
        ctl_t *c = userdata;
        if (c->json) {
                /* names are restricted to characters JSON needs no escape for */
                printf("{\"name\": \"%s\", \"role\": \"%s\", \"state\": \"%s\", \"created_at\": %lld}", u->name, account_role_to_string(u->role), account_state_to_string(u->state), (long long) u->created_at);
                return 0;
        }
        printf("%-32s %-6s %-9s ", u->name, account_role_to_string(u->role), account_state_to_string(u->state));
        print_time(u->created_at);
        printf("\n");
        return 0;
}

typedef struct json_list {
        ctl_t *c;
        unsigned n;
} json_list_t;

static int list_user_json(const store_user_t *u, void *userdata) {
        json_list_t *l = userdata;
        printf("%s\n  ", l->n++ ? "," : "");
        return list_user(u, l->c);
}

static int cmd_user(ctl_t *c, int argc, char **argv) {
        static const struct option opts[] = {
                { "role", required_argument, NULL, 'r' },
                { "pending", no_argument, NULL, 'p' },
                { "password-stdin", no_argument, NULL, 's' },
                {},
        };
        const char *verb, *name = NULL, *role_s = "user";
        bool pending = false, from_stdin = false;
        char hash[ACCOUNT_HASH_MAX];
        store_user_t u;
        int o, r;

        if (argc < 2)
                return usage("user needs a verb: add, list, approve, enable, disable, delete, passwd, role, 2fa-reset");
        verb = argv[1];
        /* the verb stands as argv[0]; optind 0 makes getopt start afresh (and permute) */
        argc--;
        argv++;
        optind = 0;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                if (o == 'r')
                        role_s = optarg;
                else if (o == 'p')
                        pending = true;
                else if (o == 's')
                        from_stdin = true;
                else
                        return EXIT_USAGE;
        }
        if (strcmp(verb, "list") == 0) {
                if (optind != argc)
                        return usage("user list takes no argument");
                if (c->json) {
                        json_list_t l = { c, 0 };
                        printf("[");
                        r = store_user_list(c->store, list_user_json, &l);
                        printf("%s]\n", l.n ? "\n" : "");
                } else {
                        printf("%-32s %-6s %-9s %s\n", "NAME", "ROLE", "STATE", "CREATED");
                        r = store_user_list(c->store, list_user, c);
                }
                return r < 0 ? fail("could not list the accounts: %s", strerror(-r)) : EXIT_SUCCESS;
        }
        if (optind >= argc)
                return usage("a user name is needed");
        name = argv[optind++];

        if (strcmp(verb, "add") == 0) {
                int role = account_role_from_string(role_s);
                int64_t id;
                if (optind != argc)
                        return usage("too many arguments");
                if (role < 0)
                        return usage("--role is user or admin");
                if (!account_name_is_valid(name, strlen(name)))
                        return fail("invalid user name: 1 to %d letters, digits and . _ - @ +, starting with a letter or "
                                    "digit", ACCOUNT_NAME_MAX);
                if (store_user_find(c->store, name, &u) == 0)
                        return fail("the account %s exists already", u.name);
                if (new_password(name, from_stdin, hash) < 0)
                        return EXIT_FAILURE;
                r = store_user_add(c->store, name, hash, (account_role_t) role, pending ? ACCOUNT_PENDING : ACCOUNT_ACTIVE,
                                   store_now_ms(), &id);
                explicit_bzero(hash, sizeof(hash));
                if (r == -EEXIST)
                        return fail("the account %s exists already", name);
                if (r < 0)
                        return fail("could not add the account: %s", strerror(-r));
                event(c, "account-created", name, "Account %s created (%s%s) by pcapctl", name, role_s,
                      pending ? ", pending" : "");
                fprintf(stderr, "Account %s created (%s%s).\n", name, role_s, pending ? ", waiting for approval" : "");
                return EXIT_SUCCESS;
        }
        if (find_user(c, name, &u) < 0)
                return EXIT_FAILURE;
        if (strcmp(verb, "approve") == 0 || strcmp(verb, "enable") == 0 || strcmp(verb, "disable") == 0) {
                account_state_t st = verb[0] == 'd' ? ACCOUNT_DISABLED : ACCOUNT_ACTIVE;
                if (optind != argc)
                        return usage("too many arguments");
                if (verb[0] == 'a' && u.state != ACCOUNT_PENDING)
                        return fail("%s is not waiting for approval (it is %s)", u.name, account_state_to_string(u.state));
                if (st == ACCOUNT_DISABLED && keep_an_admin(c, &u) < 0)
                        return EXIT_FAILURE;
                r = store_user_set_state(c->store, u.id, st);
                if (r < 0)
                        return fail("could not change the account: %s", strerror(-r));
                event(c, st == ACCOUNT_DISABLED ? "account-disabled" : verb[0] == 'a' ? "account-approved" : "account-enabled",
                      u.name, "Account %s %sd by pcapctl", u.name, verb[0] == 'a' ? "approve" : verb);
                return EXIT_SUCCESS;
        }
        if (strcmp(verb, "delete") == 0) {
                if (optind != argc)
                        return usage("too many arguments");
                if (keep_an_admin(c, &u) < 0)
                        return EXIT_FAILURE;
                r = store_user_delete(c->store, u.id);
                if (r < 0)
                        return fail("could not delete the account: %s", strerror(-r));
                event(c, "account-deleted", u.name, "Account %s deleted by pcapctl", u.name);
                return EXIT_SUCCESS;
        }
        if (strcmp(verb, "passwd") == 0) {
                if (optind != argc)
                        return usage("too many arguments");
                if (new_password(u.name, from_stdin, hash) < 0)
                        return EXIT_FAILURE;
                r = store_user_set_password(c->store, u.id, hash, store_now_ms());
                explicit_bzero(hash, sizeof(hash));
                if (r < 0)
                        return fail("could not change the password: %s", strerror(-r));
                event(c, "password-changed", u.name, "Password of %s set by pcapctl; sessions ended", u.name);
                return EXIT_SUCCESS;
        }
        if (strcmp(verb, "2fa-reset") == 0) {
                if (optind != argc)
                        return usage("too many arguments");
                r = store_user_totp_disable(c->store, u.id);
                if (r >= 0)
                        r = store_session_delete_user(c->store, u.id);
                if (r < 0)
                        return fail("could not reset the second factor: %s", strerror(-r));
                event(c, "2fa-reset", u.name, "Second factor of %s removed by pcapctl; sessions ended", u.name);
                fprintf(stderr, "The second factor of %s is removed; it can set up a new one after logging in.\n", u.name);
                return EXIT_SUCCESS;
        }
        if (strcmp(verb, "role") == 0) {
                int role;
                if (optind + 1 != argc)
                        return usage("user role NAME user|admin");
                role = account_role_from_string(argv[optind]);
                if (role < 0)
                        return usage("the role is user or admin");
                if (role == ROLE_USER && keep_an_admin(c, &u) < 0)
                        return EXIT_FAILURE;
                r = store_user_set_role(c->store, u.id, (account_role_t) role);
                if (r < 0)
                        return fail("could not change the role: %s", strerror(-r));
                event(c, "account-role", u.name, "Account %s is now %s (pcapctl)", u.name, argv[optind]);
                return EXIT_SUCCESS;
        }
        return usage("unknown user verb");
}

static int list_token(const store_token_t *t, void *userdata) {
        printf("%-6lld %-24s ", (long long) t->id, t->name);
        print_time(t->created_at);
        print_time(t->expires_at);
        print_time(t->last_used);
        printf("\n");
        return 0;
}

static int cmd_token(ctl_t *c, int argc, char **argv) {
        static const struct option opts[] = {
                { "label", required_argument, NULL, 'l' },
                { "expires-days", required_argument, NULL, 'e' },
                {},
        };
        const char *verb, *label = "pcapctl";
        uint64_t days = 0, id;
        store_user_t u;
        int o, r;

        if (argc < 2)
                return usage("token needs a verb: create, list, revoke");
        verb = argv[1];
        /* the verb stands as argv[0]; optind 0 makes getopt start afresh (and permute) */
        argc--;
        argv++;
        optind = 0;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                if (o == 'l')
                        label = optarg;
                else if (o == 'e') {
                        if (parse_u64(optarg, 1, 3660, &days) < 0)
                                return usage("--expires-days is 1 to 3660");
                } else
                        return EXIT_USAGE;
        }
        if (optind >= argc)
                return usage("a user name is needed");
        if (find_user(c, argv[optind++], &u) < 0)
                return EXIT_FAILURE;
        if (strcmp(verb, "create") == 0) {
                store_token_t t = { .user_id = u.id };
                _cleanup_free_ char *tok = NULL;
                if (optind != argc)
                        return usage("too many arguments");
                if (!account_token_name_is_valid(label))
                        return usage("--label is 1 to 64 letters, digits, spaces and . _ - @ +");
                r = secret_token_new("pcapd_", &tok);
                if (r >= 0)
                        r = secret_hash(tok, t.hash);
                snprintf(t.name, sizeof(t.name), "%s", label);
                t.created_at = store_now_ms();
                t.expires_at = days ? t.created_at + (int64_t) days * 86400 * 1000 : 0;
                if (r >= 0)
                        r = store_token_add(c->store, &t);
                if (r < 0)
                        return fail("could not create the token: %s", strerror(-r));
                event(c, "token-created", u.name, "API token %lld (%s) created for %s by pcapctl", (long long) t.id, t.name,
                      u.name);
                printf("%s\n", tok);
                explicit_bzero(tok, strlen(tok));
                return EXIT_SUCCESS;
        }
        if (strcmp(verb, "list") == 0) {
                if (optind != argc)
                        return usage("too many arguments");
                printf("%-6s %-24s %-20s%-20s%-20s\n", "ID", "LABEL", "CREATED", "EXPIRES", "LAST USED");
                r = store_token_list(c->store, u.id, list_token, c);
                return r < 0 ? fail("could not list the tokens: %s", strerror(-r)) : EXIT_SUCCESS;
        }
        if (strcmp(verb, "revoke") == 0) {
                if (optind + 1 != argc)
                        return usage("token revoke NAME ID");
                if (parse_u64(argv[optind], 1, INT64_MAX, &id) < 0)
                        return usage("a token id is a number (token list shows them)");
                r = store_token_delete(c->store, u.id, (int64_t) id);
                if (r == -ENOENT)
                        return fail("%s has no token %s", u.name, argv[optind]);
                if (r < 0)
                        return fail("could not revoke the token: %s", strerror(-r));
                event(c, "token-revoked", u.name, "API token %llu of %s revoked by pcapctl", (unsigned long long) id, u.name);
                return EXIT_SUCCESS;
        }
        return usage("unknown token verb");
}

static int list_session(const store_session_t *ss, void *userdata) {
        ctl_t *c = userdata;
        store_user_t u;
        if (store_user_get(c->store, ss->user_id, &u) < 0)
                snprintf(u.name, sizeof(u.name), "?");
        explicit_bzero(u.password, sizeof(u.password));
        /* the stored hash's first digits tell sessions apart; they cannot be used as the session */
        printf("%-32s %.12s  ", u.name, ss->hash);
        print_time(ss->created_at);
        print_time(ss->last_seen);
        printf("%s\n", ss->remote[0] ? ss->remote : "-");
        return 0;
}

static int cmd_session(ctl_t *c, int argc, char **argv) {
        store_user_t u;
        int r;

        if (argc < 2)
                return usage("session needs a verb: list, revoke");
        if (strcmp(argv[1], "list") == 0) {
                int64_t who = STORE_ANY_OWNER;
                if (argc > 3)
                        return usage("session list [NAME]");
                if (argc == 3) {
                        if (find_user(c, argv[2], &u) < 0)
                                return EXIT_FAILURE;
                        who = u.id;
                }
                printf("%-32s %-12s  %-20s%-20s%s\n", "USER", "SESSION", "CREATED", "LAST SEEN", "FROM");
                r = store_session_list(c->store, who, list_session, c);
                return r < 0 ? fail("could not list the sessions: %s", strerror(-r)) : EXIT_SUCCESS;
        }
        if (strcmp(argv[1], "revoke") == 0) {
                if (argc != 3)
                        return usage("session revoke NAME");
                if (find_user(c, argv[2], &u) < 0)
                        return EXIT_FAILURE;
                r = store_session_delete_user(c->store, u.id);
                if (r < 0)
                        return fail("could not end the sessions: %s", strerror(-r));
                event(c, "sessions-revoked", u.name, "%d sessions of %s ended by pcapctl", r, u.name);
                fprintf(stderr, "%d sessions of %s ended.\n", r, u.name);
                return EXIT_SUCCESS;
        }
        return usage("unknown session verb");
}

/* Run as root, pcapctl becomes the state directory's owner (the service user) before it opens anything:
 * a database, journal or WAL file it created as root would lock the service out of its own state. */
static int become_owner(const char *state) {
        struct stat st;

        if (geteuid() != 0)
                return 0;
        if (stat(state, &st) < 0)
                return fail("cannot open the state directory %s: %s", state, strerror(errno)), -errno;
        if (st.st_uid == 0)
                return 0;
        if (setgroups(0, NULL) < 0 || setgid(st.st_gid) < 0 || setuid(st.st_uid) < 0)
                return fail("cannot become the owner of %s (uid %u): %s", state, st.st_uid, strerror(errno)), -errno;
        return 0;
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { "state-dir", required_argument, NULL, 'd' },
                { "database", required_argument, NULL, 'D' },
                { "json", no_argument, NULL, 'j' },
                {},
        };
        _cleanup_free_ char *state = NULL, *database = NULL;
        state_dir_t sd = STATE_DIR_NULL;
        ctl_t c = {};
        char db[4096];
        int o, r, ret;

        /* options before the command only: the command's own come after it */
        while ((o = getopt_long(argc, argv, "+h", opts, NULL)) >= 0) {
                switch (o) {
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case 'V':
                        printf("pcapctl (pcapd) " PCAPD_VERSION "\n");
                        return EXIT_SUCCESS;
                case 'd':
                        free(state);
                        state = strdup(optarg);
                        break;
                case 'D':
                        free(database);
                        database = strdup(optarg);
                        break;
                case 'j':
                        c.json = true;
                        break;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind >= argc)
                return usage("a command is needed: user, token or session");
        if (!state && getenv("PCAPD_STATE_DIR") && *getenv("PCAPD_STATE_DIR"))
                state = strdup(getenv("PCAPD_STATE_DIR"));
        if (!state)
                state = state_dir_default_path();
        if (!state)
                return fail("out of memory");
        if (!database && getenv("PCAPD_DATABASE") && *getenv("PCAPD_DATABASE"))
                database = strdup(getenv("PCAPD_DATABASE"));
        if (database && store_database_kind(database) < 0) /* not echoed: it may hold a password */
                return usage("--database: not sqlite:PATH or a postgresql:// URL without a password");
        if (strcmp(argv[optind], "user") && strcmp(argv[optind], "token") && strcmp(argv[optind], "session"))
                return usage("unknown command");

        r = become_owner(state);
        if (r < 0)
                return EXIT_FAILURE;
        r = state_dir_open(&sd, state, false);
        if (r < 0)
                return fail("cannot open the state directory %s: %s", state, strerror(-r));
        r = state_dir_database(&sd, database, db, sizeof(db));
        if (r >= 0)
                r = store_open(db, &c.store);
        if (r < 0) {
                state_dir_close(&sd);
                return fail("cannot open the database %s: %s", db, strerror(-r));
        }
        if (access("/run/systemd/journal/socket", W_OK) == 0) {
                log_open("pcapctl", LOG_TARGET_JOURNAL);
                c.logging = true;
        }
        if (strcmp(argv[optind], "user") == 0)
                ret = cmd_user(&c, argc - optind, argv + optind);
        else if (strcmp(argv[optind], "token") == 0)
                ret = cmd_token(&c, argc - optind, argv + optind);
        else
                ret = cmd_session(&c, argc - optind, argv + optind);
        store_close(c.store);
        state_dir_close(&sd);
        return ret;
}
