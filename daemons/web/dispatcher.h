/* The queue and the workers: starts analyses, relays their messages, finishes tasks whatever happens. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "task.h"

int dispatcher_init(void);
/* Appends a queued task and starts work if a worker is free. */
void dispatcher_enqueue(task_t *t);
/* Starts as many queued tasks as workers allow. */
void dispatcher_kick(void);
/* Once a second: the ≥1 event/s rule for running tasks. */
void dispatcher_tick(void);
/* A child exited (from SIGCHLD). */
void dispatcher_child_exited(pid_t pid, int status);
/* Graceful stop: no new analyses; true while some are still running. */
bool dispatcher_busy(void);
/* Hard stop: kills spawned analyzers; their tasks stay `processing` and are queued again at the next start. */
void dispatcher_abort_all(void);
