/* pcapd-web's configuration: command-line flags with environment fallbacks, parsed once into a config_t
 * that main() owns and the context (web_t.cfg) hands to whoever needs a setting, read-only. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "engine/threshold.h"
#include "util/id.h"

typedef enum config_auth {
        CONFIG_AUTH_DEFAULT,        /* none when every listening socket is loopback, else accounts */
        CONFIG_AUTH_NONE,
        CONFIG_AUTH_ACCOUNTS,
        CONFIG_AUTH_PROXY,          /* accounts, and the user a trusted reverse proxy names in a header */
} config_auth_t;

typedef enum config_2fa {
        CONFIG_2FA_NONE,            /* each account chooses */
        CONFIG_2FA_ADMINS,
        CONFIG_2FA_ALL,
} config_2fa_t;

typedef enum config_signup {
        CONFIG_SIGNUP_NONE,         /* accounts come from pcapctl or an admin */
        CONFIG_SIGNUP_APPROVAL,     /* anyone may ask; an admin approves */
} config_signup_t;

typedef enum config_reap {
        CONFIG_REAP_AUTO,           /* unless systemd started pcapd-web (its timer runs pcapd-reaper) */
        CONFIG_REAP_ON,
        CONFIG_REAP_OFF,
} config_reap_t;

typedef struct config {
        char *listen;               /* ADDR:PORT, used when not socket-activated */
        char *state_dir;
        char *database;             /* --database (store_open's argument); NULL: STATE/pcapd.db */
        char *web_dir;
        char *analyzer_socket;      /* NULL: spawn analyzer_exec */
        char *analyzer_exec;
        char *body_dir;             /* where h2o keeps request bodies over 32 MiB (NULL: the state dir) */
        char node_id[NODE_ID_MAX + 1]; /* --node-id, or the default made at start (util/id.h) */
        unsigned lease_s;           /* a claimed task's lease, seconds (store_task_claim) */
        unsigned workers;
        unsigned queue_max;         /* queued tasks (the database's: every node's) before 503 */
        uint64_t max_upload_bytes;
        uint64_t retention_ms;
        unsigned analysis_timeout_s;
        uint64_t memory_budget_bytes;
        unsigned max_connections;
        unsigned idle_timeout_s;    /* a connection that moves no byte for this long is closed */
        uint64_t max_packets;       /* the analyses' limits, sent with each job (0: none / the engine's) */
        uint32_t max_flows, max_events;
        config_auth_t auth;         /* as asked; web_t.auth_accounts says what runs */
        uint64_t session_idle_ms;
        uint64_t session_max_ms;
        char *metrics_allow;        /* comma-separated peer addresses, or NULL */
        config_2fa_t require_2fa;
        config_signup_t signup;
        char *trusted_proxy;        /* --auth=proxy: peers whose user header is believed */
        char *user_header;          /* lower case */
        char *tls_cert, *tls_key;
        config_reap_t reap;
        char *analyzer_config;      /* --analyzer-config, NULL: the default path */
        thresholds_t thresholds;    /* read from it at start, sent with every job */
        bool thresholds_file;       /* a file was read */
} config_t;

/* Parses argv then the environment for what argv left unset, into *c (defaults first). Returns 1 when
 * the program should exit 0 (--help, --version), 0 to run, -EINVAL on a bad value (after printing why). */
int config_parse(config_t *c, int argc, char **argv);
void config_free(config_t *c);
