/* The reports' retention where no systemd timer runs pcapd-reaper (a container, serve.sh, a laptop): pcapd-web
 * runs the reaper's pass (state/state-reap.h) itself, on a thread of its own with its own database connection,
 * at start and then every quarter of the retention (at least a second apart, at most an hour). --reap=auto
 * (the default) does so unless systemd started pcapd-web ($INVOCATION_ID: the shipped units come with
 * pcapd-reaper.timer); on and off force it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct web web_t;

/* Decides whether pcapd-web reaps, and starts the thread if so. 0 or -errno. */
int expiry_start(web_t *w);
/* From the loop's tick: starts a pass when one is due and none runs. */
void expiry_tick(web_t *w, uint64_t now_mono_ms);
void expiry_stop(web_t *w);
