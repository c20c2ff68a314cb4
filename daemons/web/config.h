/* pcapd-web's configuration: command-line flags with environment fallbacks. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

extern char *arg_listen;            /* ADDR:PORT, used when not socket-activated */
extern char *arg_state_dir;
extern char *arg_web_dir;
extern char *arg_analyzer_socket;   /* NULL: spawn arg_analyzer_exec */
extern char *arg_analyzer_exec;
extern char *arg_body_dir;          /* where h2o keeps request bodies over 32 MiB (NULL: the state dir) */
extern unsigned arg_workers;
extern unsigned arg_queue_max;
extern uint64_t arg_max_upload_bytes;
extern uint64_t arg_retention_ms;
extern unsigned arg_analysis_timeout_s;
extern uint64_t arg_memory_budget_bytes;
extern unsigned arg_max_connections;
extern unsigned arg_idle_timeout_s;   /* a connection that moves no byte for this long is closed */

/* Parses argv then the environment for what argv left unset. Returns 1 when the program should exit 0
 * (--help, --version), 0 to run, -EINVAL on a bad value (after printing why). */
int config_parse(int argc, char **argv);
void config_free(void);
