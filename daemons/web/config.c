/* pcapd-web's flags: each one also settable from the environment (containers), documented in --help. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state/state-dir.h"
#include "store/store.h"
#include "util/macro.h"
#include "util/parse.h"

#ifndef PCAPD_LIBEXECDIR
#define PCAPD_LIBEXECDIR "/usr/local/libexec/pcapd"
#endif
#ifndef PCAPD_DATADIR
#define PCAPD_DATADIR "/usr/local/share/pcapd"
#endif
#ifndef PCAPD_BUILD_ANALYZER
#define PCAPD_BUILD_ANALYZER ""
#endif
#ifndef PCAPD_SOURCE_WEB_DIR
#define PCAPD_SOURCE_WEB_DIR ""
#endif

#define DEFAULT_ANALYZER_SOCKET "/run/pcapd/analyzer.sock"
#define DEFAULT_ANALYZER_CONFIG "/etc/pcapd/analyzer.conf"

static void help(void) {
        printf("Usage: pcapd-web [OPTIONS]\n"
               "The pcapd frontend: HTTP API, uploads, task queue, progress (SSE), reports.\n"
               "Each option can also be set in the environment: [VARIABLE, default].\n\n"
               "  -h --help                show this help\n"
               "     --version             show the version\n"
               "     --listen ADDR:PORT    bind here when not socket-activated\n"
               "                           [PCAPD_LISTEN, 127.0.0.1:8000]\n"
               "     --state-dir DIR       database, uploads/, reports/ [PCAPD_STATE_DIR,\n"
               "                           $STATE_DIRECTORY, /var/lib/pcapd]\n"
               "     --database DB         sqlite:PATH, or postgresql://[HOST]/DBNAME?... to\n"
               "                           share one PostgreSQL between nodes (libpq URL; the\n"
               "                           PG* variables fill what it leaves out; the password\n"
               "                           from $CREDENTIALS_DIRECTORY/pcapd-db-password or a\n"
               "                           passfile, never in the URL) [PCAPD_DATABASE,\n"
               "                           sqlite:STATE-DIR/pcapd.db]\n"
               "     --node-id ID          this node's name in a cluster (1-63 of A-Z a-z\n"
               "                           0-9 . _ -) [PCAPD_NODE_ID, the host name and a\n"
               "                           random suffix]\n"
               "     --lease-seconds S     a claimed analysis's lease, renewed every S/3 while\n"
               "                           it runs; another node takes it over S after this\n"
               "                           node stopped renewing it [PCAPD_LEASE_SECONDS, 30]\n"
               "     --workers N           analyses at once [PCAPD_WORKERS, number of CPUs]\n"
               "                           (0 accepts uploads but starts no analysis)\n"
               "     --queue-max N         tasks waiting before uploads get 503\n"
               "                           [PCAPD_QUEUE_MAX, 5]\n"
               "     --max-upload-mb N     largest request body, MiB [PCAPD_MAX_UPLOAD_MB,\n"
               "                           MAX_UPLOAD_SIZE_MB, 500]\n"
               "     --retention-hours H   how long reports are kept\n"
               "                           [PCAPD_RETENTION_HOURS, REPORT_TTL_HOURS, 24]\n"
               "     --retention-seconds S the same in seconds, for tests\n"
               "                           [PCAPD_RETENTION_SECONDS]\n"
               "     --reap WHEN           auto, on, off: expire reports here too (auto: unless\n"
               "                           systemd started pcapd-web, whose timer runs\n"
               "                           pcapd-reaper) [PCAPD_REAP, auto]\n"
               "     --analysis-timeout S  per-analysis limit, seconds\n"
               "                           [PCAPD_ANALYSIS_TIMEOUT, 1800]\n"
               "     --analyzer-socket PATH\n"
               "                           connect to socket-activated analyzers here\n"
               "                           [PCAPD_ANALYZER_SOCKET,\n"
               "                           " DEFAULT_ANALYZER_SOCKET " if it exists]\n"
               "     --analyzer-exec PATH  else spawn this analyzer binary per analysis\n"
               "                           [PCAPD_ANALYZER_EXEC, pcapd-analyzer beside this\n"
               "                           binary in a build dir, else\n"
               "                           " PCAPD_LIBEXECDIR "/pcapd-analyzer]\n"
               "     --analyzer-config FILE\n"
               "                           the analyses' thresholds ([Thresholds] NAME=VALUE,\n"
               "                           pcap-analyzer show-config lists them), read here\n"
               "                           and sent with each job [PCAPD_ANALYZER_CONFIG,\n"
               "                           " DEFAULT_ANALYZER_CONFIG " if it exists]\n"
               "     --web-dir DIR         the web UI files [PCAPD_WEB_DIR,\n"
               "                           " PCAPD_DATADIR "/web, or the source\n"
               "                           tree's web/ when run from a build dir]\n"
               "     --memory-budget-mb N  memory one analysis may use, MiB\n"
               "                           [PCAPD_MEMORY_BUDGET_MB, 1024]\n"
               "     --body-dir DIR        where request bodies over 32 MiB wait while they\n"
               "                           arrive (an unlinked, mmap'd file)\n"
               "                           [PCAPD_BODY_DIR, the state dir]\n"
               "     --max-connections N   open HTTP connections at most\n"
               "                           [PCAPD_MAX_CONNECTIONS, 1024]\n"
               "     --idle-timeout S      close connections idle this long\n"
               "                           [PCAPD_IDLE_TIMEOUT, 30]\n"
               "     --max-packets N       packets one analysis reads at most; past it the\n"
               "                           report is partial [PCAPD_MAX_PACKETS, 0 = no limit]\n"
               "     --max-flows N         flows tracked at once\n"
               "                           [PCAPD_MAX_FLOWS, 0 = the engine's 200000]\n"
               "     --max-events N        entries kept per event list\n"
               "                           [PCAPD_MAX_EVENTS, 0 = 1000]\n"
               "     --auth MODE           accounts: log in (pcapctl makes the first admin);\n"
               "                           proxy: accounts, and the user named by a trusted\n"
               "                           reverse proxy (single sign-on in front);\n"
               "                           none: no accounts, only where every listening\n"
               "                           socket is loopback unless asked for explicitly\n"
               "                           [PCAPD_AUTH, none on loopback, else accounts]\n"
               "     --trusted-proxy ADDR,...\n"
               "                           --auth=proxy: peers whose user header is believed\n"
               "                           [PCAPD_TRUSTED_PROXY]\n"
               "     --user-header NAME    the header naming the user\n"
               "                           [PCAPD_USER_HEADER, X-Remote-User]\n"
               "     --session-idle-hours H\n"
               "                           a session unused this long ends\n"
               "                           [PCAPD_SESSION_IDLE_HOURS, 12]\n"
               "     --session-max-days D  a session ends this long after login\n"
               "                           [PCAPD_SESSION_MAX_DAYS, 7]\n"
               "     --require-2fa WHO     none, admins or all: who must set up a second\n"
               "                           factor (TOTP) before using the service\n"
               "                           [PCAPD_REQUIRE_2FA, none]\n"
               "     --tls-cert FILE       serve HTTPS with this PEM certificate (chain)\n"
               "                           [PCAPD_TLS_CERT]\n"
               "     --tls-key FILE        and this PEM private key [PCAPD_TLS_KEY]\n"
               "     --signup MODE         none, or approval: anyone may sign up, an admin\n"
               "                           approves [PCAPD_SIGNUP, none]\n"
               "     --metrics-allow ADDR,...\n"
               "                           under accounts, /metrics answers admins and these\n"
               "                           peer addresses only [PCAPD_METRICS_ALLOW, none]\n"
               "\nSocket activation: a listening stream socket passed by systemd (LISTEN_FDS)\n"
               "is used instead of --listen.\n");
}

enum {
        ARG_VERSION = 0x100,
        ARG_LISTEN,
        ARG_STATE_DIR,
        ARG_WORKERS,
        ARG_QUEUE_MAX,
        ARG_MAX_UPLOAD_MB,
        ARG_RETENTION_HOURS,
        ARG_RETENTION_SECONDS,
        ARG_ANALYSIS_TIMEOUT,
        ARG_ANALYZER_SOCKET,
        ARG_ANALYZER_EXEC,
        ARG_WEB_DIR,
        ARG_MEMORY_BUDGET_MB,
        ARG_MAX_CONNECTIONS,
        ARG_IDLE_TIMEOUT,
        ARG_MAX_PACKETS,
        ARG_MAX_FLOWS,
        ARG_MAX_EVENTS,
        ARG_AUTH,
        ARG_SESSION_IDLE_HOURS,
        ARG_SESSION_MAX_DAYS,
        ARG_METRICS_ALLOW,
        ARG_REQUIRE_2FA,
        ARG_SIGNUP,
        ARG_TRUSTED_PROXY,
        ARG_USER_HEADER,
        ARG_TLS_CERT,
        ARG_TLS_KEY,
        ARG_REAP,
        ARG_ANALYZER_CONFIG,
        ARG_DATABASE,
        ARG_NODE_ID,
        ARG_LEASE_SECONDS,
        ARG_BODY_DIR, /* the last: given[] is sized by it */
};

typedef struct option_env {
        int id;
        const char *env;
} option_env_t;

static const option_env_t envs[] = {
        { ARG_LISTEN, "PCAPD_LISTEN" },
        { ARG_STATE_DIR, "PCAPD_STATE_DIR" },
        { ARG_WORKERS, "PCAPD_WORKERS" },
        { ARG_QUEUE_MAX, "PCAPD_QUEUE_MAX" },
        { ARG_MAX_UPLOAD_MB, "PCAPD_MAX_UPLOAD_MB" },
        { ARG_RETENTION_HOURS, "PCAPD_RETENTION_HOURS" },
        { ARG_RETENTION_SECONDS, "PCAPD_RETENTION_SECONDS" },
        { ARG_ANALYSIS_TIMEOUT, "PCAPD_ANALYSIS_TIMEOUT" },
        { ARG_ANALYZER_SOCKET, "PCAPD_ANALYZER_SOCKET" },
        { ARG_ANALYZER_EXEC, "PCAPD_ANALYZER_EXEC" },
        { ARG_WEB_DIR, "PCAPD_WEB_DIR" },
        { ARG_MEMORY_BUDGET_MB, "PCAPD_MEMORY_BUDGET_MB" },
        { ARG_MAX_CONNECTIONS, "PCAPD_MAX_CONNECTIONS" },
        { ARG_IDLE_TIMEOUT, "PCAPD_IDLE_TIMEOUT" },
        { ARG_BODY_DIR, "PCAPD_BODY_DIR" },
        { ARG_MAX_PACKETS, "PCAPD_MAX_PACKETS" },
        { ARG_MAX_FLOWS, "PCAPD_MAX_FLOWS" },
        { ARG_MAX_EVENTS, "PCAPD_MAX_EVENTS" },
        { ARG_AUTH, "PCAPD_AUTH" },
        { ARG_SESSION_IDLE_HOURS, "PCAPD_SESSION_IDLE_HOURS" },
        { ARG_SESSION_MAX_DAYS, "PCAPD_SESSION_MAX_DAYS" },
        { ARG_METRICS_ALLOW, "PCAPD_METRICS_ALLOW" },
        { ARG_REQUIRE_2FA, "PCAPD_REQUIRE_2FA" },
        { ARG_SIGNUP, "PCAPD_SIGNUP" },
        { ARG_TRUSTED_PROXY, "PCAPD_TRUSTED_PROXY" },
        { ARG_USER_HEADER, "PCAPD_USER_HEADER" },
        { ARG_TLS_CERT, "PCAPD_TLS_CERT" },
        { ARG_TLS_KEY, "PCAPD_TLS_KEY" },
        { ARG_REAP, "PCAPD_REAP" },
        { ARG_ANALYZER_CONFIG, "PCAPD_ANALYZER_CONFIG" },
        { ARG_DATABASE, "PCAPD_DATABASE" },
        { ARG_NODE_ID, "PCAPD_NODE_ID" },
        { ARG_LEASE_SECONDS, "PCAPD_LEASE_SECONDS" },
        /* the design document's names (its Annex A.1 docker run), after pcapd's own, which win */
        { ARG_MAX_UPLOAD_MB, "MAX_UPLOAD_SIZE_MB" },
        { ARG_RETENTION_HOURS, "REPORT_TTL_HOURS" },
};

static int set_string(char **dst, const char *v) {
        char *n = strdup(v);
        if (!n)
                return -ENOMEM;
        free(*dst);
        *dst = n;
        return 0;
}

/* Applies one option value; name is for the error message (flag or env variable). */
static int apply(config_t *c, int id, const char *v, const char *name) {
        uint64_t u;
        int r = 0;

        switch (id) {
        case ARG_LISTEN:
                return set_string(&c->listen, v);
        case ARG_STATE_DIR:
                return set_string(&c->state_dir, v);
        case ARG_ANALYZER_SOCKET:
                return set_string(&c->analyzer_socket, v);
        case ARG_ANALYZER_EXEC:
                return set_string(&c->analyzer_exec, v);
        case ARG_WEB_DIR:
                return set_string(&c->web_dir, v);
        case ARG_BODY_DIR:
                return set_string(&c->body_dir, v);
        case ARG_METRICS_ALLOW:
                return set_string(&c->metrics_allow, v);
        case ARG_ANALYZER_CONFIG:
                return set_string(&c->analyzer_config, v);
        case ARG_DATABASE:
                /* the value is not echoed: it may hold a password */
                r = store_database_kind(v);
                if (r < 0) {
                        fprintf(stderr, "pcapd-web: %s: %s\n", name,
                                r == -EPROTONOSUPPORT ? "not a database pcapd knows (sqlite:PATH or postgresql://...)"
                                                      : "not a valid database, or a URL with a password (give it in "
                                                        "$CREDENTIALS_DIRECTORY/pcapd-db-password or a passfile)");
                        return r;
                }
                return set_string(&c->database, v);
        case ARG_NODE_ID:
                if (!node_id_is_valid(v)) {
                        fprintf(stderr, "pcapd-web: %s: 1 to %d of A-Z a-z 0-9 . _ -, starting with a letter or digit\n",
                                name, NODE_ID_MAX);
                        return -EINVAL;
                }
                snprintf(c->node_id, sizeof(c->node_id), "%s", v);
                return 0;
        case ARG_LEASE_SECONDS:
                r = parse_u64(v, 2, 3600, &u);
                if (r >= 0)
                        c->lease_s = (unsigned) u;
                break;
        case ARG_REAP:
                if (strcmp(v, "auto") == 0)
                        c->reap = CONFIG_REAP_AUTO;
                else if (strcmp(v, "on") == 0)
                        c->reap = CONFIG_REAP_ON;
                else if (strcmp(v, "off") == 0)
                        c->reap = CONFIG_REAP_OFF;
                else
                        r = -EINVAL;
                break;
        case ARG_TLS_CERT:
                return set_string(&c->tls_cert, v);
        case ARG_TLS_KEY:
                return set_string(&c->tls_key, v);
        case ARG_TRUSTED_PROXY:
                return set_string(&c->trusted_proxy, v);
        case ARG_USER_HEADER: {
                size_t n = strlen(v);
                if (n == 0 || n > 64 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") != n) {
                        r = -EINVAL;
                        break;
                }
                r = set_string(&c->user_header, v);
                for (char *p = c->user_header; r >= 0 && *p; p++)
                        if (*p >= 'A' && *p <= 'Z')
                                *p = (char) (*p - 'A' + 'a');
                break;
        }
        case ARG_SIGNUP:
                if (strcmp(v, "none") == 0)
                        c->signup = CONFIG_SIGNUP_NONE;
                else if (strcmp(v, "approval") == 0)
                        c->signup = CONFIG_SIGNUP_APPROVAL;
                else
                        r = -EINVAL;
                break;
        case ARG_REQUIRE_2FA:
                if (strcmp(v, "none") == 0)
                        c->require_2fa = CONFIG_2FA_NONE;
                else if (strcmp(v, "admins") == 0)
                        c->require_2fa = CONFIG_2FA_ADMINS;
                else if (strcmp(v, "all") == 0)
                        c->require_2fa = CONFIG_2FA_ALL;
                else
                        r = -EINVAL;
                break;
        case ARG_AUTH:
                if (strcmp(v, "accounts") == 0)
                        c->auth = CONFIG_AUTH_ACCOUNTS;
                else if (strcmp(v, "none") == 0)
                        c->auth = CONFIG_AUTH_NONE;
                else if (strcmp(v, "proxy") == 0)
                        c->auth = CONFIG_AUTH_PROXY;
                else
                        r = -EINVAL;
                break;
        case ARG_SESSION_IDLE_HOURS:
                r = parse_u64(v, 1, 24 * 366, &u);
                if (r >= 0)
                        c->session_idle_ms = u * 3600 * 1000;
                break;
        case ARG_SESSION_MAX_DAYS:
                r = parse_u64(v, 1, 366, &u);
                if (r >= 0)
                        c->session_max_ms = u * 24 * 3600 * 1000;
                break;
        case ARG_WORKERS:
                r = parse_u64(v, 0, 1024, &u);
                if (r >= 0)
                        c->workers = (unsigned) u;
                break;
        case ARG_QUEUE_MAX:
                r = parse_u64(v, 0, 100000, &u);
                if (r >= 0)
                        c->queue_max = (unsigned) u;
                break;
        case ARG_MAX_UPLOAD_MB:
                r = parse_u64(v, 1, 1024 * 1024, &u);
                if (r >= 0)
                        c->max_upload_bytes = u << 20;
                break;
        case ARG_RETENTION_HOURS:
                r = parse_u64(v, 0, 24 * 365 * 100, &u);
                if (r >= 0)
                        c->retention_ms = u * 3600 * 1000;
                break;
        case ARG_RETENTION_SECONDS:
                r = parse_u64(v, 0, UINT64_C(3600) * 24 * 365 * 100, &u);
                if (r >= 0)
                        c->retention_ms = u * 1000;
                break;
        case ARG_ANALYSIS_TIMEOUT:
                r = parse_u64(v, 1, 7 * 24 * 3600, &u);
                if (r >= 0)
                        c->analysis_timeout_s = (unsigned) u;
                break;
        case ARG_MEMORY_BUDGET_MB:
                r = parse_u64(v, 16, 1024 * 1024, &u);
                if (r >= 0)
                        c->memory_budget_bytes = u << 20;
                break;
        case ARG_MAX_CONNECTIONS:
                r = parse_u64(v, 1, 1000000, &u);
                if (r >= 0)
                        c->max_connections = (unsigned) u;
                break;
        case ARG_IDLE_TIMEOUT:
                r = parse_u64(v, 1, 86400, &u);
                if (r >= 0)
                        c->idle_timeout_s = (unsigned) u;
                break;
        case ARG_MAX_PACKETS:
                r = parse_u64(v, 0, UINT64_MAX, &u);
                if (r >= 0)
                        c->max_packets = u;
                break;
        case ARG_MAX_FLOWS:
                r = parse_u64(v, 0, UINT32_MAX, &u);
                if (r >= 0)
                        c->max_flows = (uint32_t) u;
                break;
        case ARG_MAX_EVENTS:
                r = parse_u64(v, 0, UINT32_MAX, &u);
                if (r >= 0)
                        c->max_events = (uint32_t) u;
                break;
        default:
                return -EINVAL;
        }
        if (r < 0)
                fprintf(stderr, "pcapd-web: invalid value for %s: '%s'\n", name, v);
        return r;
}

/* The analyzer built beside this binary (build dir: daemons/web/pcapd-web → daemons/analyzer/...). */
static char *default_analyzer_exec(void) {
        char self[PATH_MAX], *slash, *p;
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (n > 0) {
                self[n] = 0;
                slash = strrchr(self, '/');
                if (slash) {
                        *slash = 0;
                        if (asprintf(&p, "%s/pcapd-analyzer", self) >= 0) {
                                if (access(p, X_OK) == 0)
                                        return p;
                                free(p);
                        }
                        if (asprintf(&p, "%s/../analyzer/pcapd-analyzer", self) >= 0) {
                                if (access(p, X_OK) == 0)
                                        return p;
                                free(p);
                        }
                }
        }
        if (*PCAPD_BUILD_ANALYZER && access(PCAPD_BUILD_ANALYZER, X_OK) == 0)
                return strdup(PCAPD_BUILD_ANALYZER);
        return strdup(PCAPD_LIBEXECDIR "/pcapd-analyzer");
}

/* The analyses' thresholds: the file asked for must be there; the default one may be missing (defaults). */
static int load_thresholds(config_t *cfg, bool given) {
        const char *path = cfg->analyzer_config ? cfg->analyzer_config : DEFAULT_ANALYZER_CONFIG;
        char err[512];

        thresholds_default(&cfg->thresholds);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f) {
                if (errno == ENOENT && !given)
                        return 0;
                fprintf(stderr, "pcapd-web: --analyzer-config %s: %m\n", path);
                return -EINVAL;
        }
        int r = thresholds_load(&cfg->thresholds, f, path, err, sizeof err);
        if (r < 0) {
                fprintf(stderr, "pcapd-web: --analyzer-config %s\n", err);
                return -EINVAL;
        }
        cfg->thresholds_file = true;
        return 0;
}

static bool running_from_build_dir(void) {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
                return false;
        self[n] = 0;
        /* installed binaries live under libexecdir; anything else is a build tree */
        return strncmp(self, PCAPD_LIBEXECDIR "/", strlen(PCAPD_LIBEXECDIR) + 1) != 0;
}

int config_parse(config_t *cfg, int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "listen", required_argument, NULL, ARG_LISTEN },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "workers", required_argument, NULL, ARG_WORKERS },
                { "queue-max", required_argument, NULL, ARG_QUEUE_MAX },
                { "max-upload-mb", required_argument, NULL, ARG_MAX_UPLOAD_MB },
                { "retention-hours", required_argument, NULL, ARG_RETENTION_HOURS },
                { "retention-seconds", required_argument, NULL, ARG_RETENTION_SECONDS },
                { "analysis-timeout", required_argument, NULL, ARG_ANALYSIS_TIMEOUT },
                { "analyzer-socket", required_argument, NULL, ARG_ANALYZER_SOCKET },
                { "analyzer-exec", required_argument, NULL, ARG_ANALYZER_EXEC },
                { "web-dir", required_argument, NULL, ARG_WEB_DIR },
                { "memory-budget-mb", required_argument, NULL, ARG_MEMORY_BUDGET_MB },
                { "max-connections", required_argument, NULL, ARG_MAX_CONNECTIONS },
                { "idle-timeout", required_argument, NULL, ARG_IDLE_TIMEOUT },
                { "body-dir", required_argument, NULL, ARG_BODY_DIR },
                { "max-packets", required_argument, NULL, ARG_MAX_PACKETS },
                { "max-flows", required_argument, NULL, ARG_MAX_FLOWS },
                { "max-events", required_argument, NULL, ARG_MAX_EVENTS },
                { "auth", required_argument, NULL, ARG_AUTH },
                { "session-idle-hours", required_argument, NULL, ARG_SESSION_IDLE_HOURS },
                { "session-max-days", required_argument, NULL, ARG_SESSION_MAX_DAYS },
                { "metrics-allow", required_argument, NULL, ARG_METRICS_ALLOW },
                { "require-2fa", required_argument, NULL, ARG_REQUIRE_2FA },
                { "signup", required_argument, NULL, ARG_SIGNUP },
                { "trusted-proxy", required_argument, NULL, ARG_TRUSTED_PROXY },
                { "user-header", required_argument, NULL, ARG_USER_HEADER },
                { "tls-cert", required_argument, NULL, ARG_TLS_CERT },
                { "tls-key", required_argument, NULL, ARG_TLS_KEY },
                { "reap", required_argument, NULL, ARG_REAP },
                { "analyzer-config", required_argument, NULL, ARG_ANALYZER_CONFIG },
                { "database", required_argument, NULL, ARG_DATABASE },
                { "node-id", required_argument, NULL, ARG_NODE_ID },
                { "lease-seconds", required_argument, NULL, ARG_LEASE_SECONDS },
                {}
        };
        bool given[ARG_BODY_DIR + 1] = {};
        bool socket_given, exec_given;
        int c, r;

        *cfg = (config_t) {
                .queue_max = 5,
                .lease_s = 30,
                .max_upload_bytes = UINT64_C(500) << 20,
                .retention_ms = UINT64_C(24) * 3600 * 1000,
                .analysis_timeout_s = 1800,
                .memory_budget_bytes = UINT64_C(1024) << 20,
                .max_connections = 1024,
                .idle_timeout_s = 30,
                .session_idle_ms = UINT64_C(12) * 3600 * 1000,
                .session_max_ms = UINT64_C(7) * 24 * 3600 * 1000,
        };

        /* Retention: the more specific seconds variable wins over hours, flags over both. */
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 1;
                case ARG_VERSION:
                        printf("pcapd-web (pcapd) " PCAPD_VERSION "\n");
                        return 1;
                case '?':
                        return -EINVAL;
                default: {
                        char flag[64] = "--?";
                        for (const struct option *o = options; o->name; o++)
                                if (o->val == c)
                                        snprintf(flag, sizeof(flag), "--%s", o->name);
                        r = apply(cfg, c, optarg, flag);
                        if (r < 0)
                                return r;
                        given[c] = true;
                        if (c == ARG_RETENTION_HOURS || c == ARG_RETENTION_SECONDS)
                                given[ARG_RETENTION_HOURS] = given[ARG_RETENTION_SECONDS] = true;
                        break;
                }
                }
        }
        if (optind < argc) {
                fprintf(stderr, "pcapd-web: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }

        for (size_t i = 0; i < ELEMENTSOF(envs); i++) {
                const char *v = getenv(envs[i].env);
                if (!v || !*v || given[envs[i].id])
                        continue;
                if (envs[i].id == ARG_RETENTION_HOURS && getenv("PCAPD_RETENTION_SECONDS") &&
                    *getenv("PCAPD_RETENTION_SECONDS"))
                        continue;
                r = apply(cfg, envs[i].id, v, envs[i].env);
                if (r < 0)
                        return r;
                given[envs[i].id] = true;
        }
        socket_given = given[ARG_ANALYZER_SOCKET];
        exec_given = given[ARG_ANALYZER_EXEC];

        if (!given[ARG_WORKERS]) {
                long n = sysconf(_SC_NPROCESSORS_ONLN);
                cfg->workers = n > 0 ? (unsigned) n : 1;
        }
        if (!cfg->node_id[0] && node_id_default(cfg->node_id) < 0)
                return -EIO;
        if (!cfg->listen && set_string(&cfg->listen, "127.0.0.1:8000") < 0)
                return -ENOMEM;
        if (!cfg->user_header && set_string(&cfg->user_header, "x-remote-user") < 0)
                return -ENOMEM;
        if (!cfg->tls_cert != !cfg->tls_key) {
                fprintf(stderr, "pcapd-web: HTTPS needs both --tls-cert and --tls-key\n");
                return -EINVAL;
        }
        if (cfg->auth == CONFIG_AUTH_PROXY && (!cfg->trusted_proxy || !*cfg->trusted_proxy)) {
                fprintf(stderr, "pcapd-web: --auth=proxy needs --trusted-proxy ADDR,...: the user header is believed "
                                "from those peers only\n");
                return -EINVAL;
        }
        if (!cfg->state_dir) {
                cfg->state_dir = state_dir_default_path();
                if (!cfg->state_dir)
                        return -ENOMEM;
        }
        /* Analyzer: an explicit socket wins; else the default socket if it exists, unless an exec path
         * was asked for; else spawn. */
        if (!socket_given && !exec_given) {
                struct stat st;
                if (stat(DEFAULT_ANALYZER_SOCKET, &st) == 0 && S_ISSOCK(st.st_mode) &&
                    set_string(&cfg->analyzer_socket, DEFAULT_ANALYZER_SOCKET) < 0)
                        return -ENOMEM;
        }
        if (exec_given && !socket_given) {
                free(cfg->analyzer_socket);
                cfg->analyzer_socket = NULL;
        }
        if (!cfg->analyzer_exec && !(cfg->analyzer_exec = default_analyzer_exec()))
                return -ENOMEM;
        r = load_thresholds(cfg, given[ARG_ANALYZER_CONFIG]);
        if (r < 0)
                return r;
        if (!cfg->web_dir) {
                if (running_from_build_dir() && *PCAPD_SOURCE_WEB_DIR)
                        cfg->web_dir = strdup(PCAPD_SOURCE_WEB_DIR);
                else
                        cfg->web_dir = strdup(PCAPD_DATADIR "/web");
                if (!cfg->web_dir)
                        return -ENOMEM;
        }
        return 0;
}

void config_free(config_t *cfg) {
        free(cfg->listen);
        free(cfg->state_dir);
        free(cfg->web_dir);
        free(cfg->analyzer_socket);
        free(cfg->analyzer_exec);
        free(cfg->body_dir);
        free(cfg->metrics_allow);
        free(cfg->analyzer_config);
        cfg->analyzer_config = NULL;
        free(cfg->database);
        cfg->database = NULL;
        free(cfg->trusted_proxy);
        free(cfg->user_header);
        free(cfg->tls_cert);
        free(cfg->tls_key);
        cfg->body_dir = cfg->metrics_allow = cfg->trusted_proxy = cfg->user_header = cfg->tls_cert = cfg->tls_key = NULL;
        cfg->listen = cfg->state_dir = cfg->web_dir = cfg->analyzer_socket = cfg->analyzer_exec = NULL;
}
