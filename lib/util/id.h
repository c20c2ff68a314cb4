/* Task ids: 128 random bits as 32 lower-case hex digits. The one length and the one validator of the
 * project: the store, the IPC wire format, pcapd-web's routes and the reaper's file names all use them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define ID_LEN 32

/* Fills ret with a new id from getrandom() and a NUL. 0 or -errno. */
int id_generate(char ret[ID_LEN + 1]);
/* True when s[0..len) is exactly ID_LEN lower-case hex digits. */
bool id_is_valid(const char *s, size_t len);
