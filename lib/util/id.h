/* Task ids, and node ids (which pcapd-web of a cluster claimed a task).
 * Task ids: 128 random bits as 32 lower-case hex digits. The one length and the one validator of the
 * project: the store, the IPC wire format, pcapd-web's routes and the reaper's file names all use them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define ID_LEN 32

/* Fills ret with a new id from getrandom() and a NUL. 0 or -errno. */
int id_generate(char ret[ID_LEN + 1]);
/* True when s[0..len) is exactly ID_LEN lower-case hex digits. */
bool id_is_valid(const char *s, size_t len);

/* Node ids: 1 to NODE_ID_MAX characters of [A-Za-z0-9._-], the first a letter or a digit (a host name's
 * characters: safe in logs, journal fields and the database). */
#define NODE_ID_MAX 63
bool node_id_is_valid(const char *s);
/* The default node id: the host name (characters outside the set dropped, cut to leave room) then "-" and
 * 8 random hex digits, so that two processes on one host differ. 0 or -errno. */
int node_id_default(char ret[NODE_ID_MAX + 1]);
