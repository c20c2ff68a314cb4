/* Bytes as lower-case hex digits: the project's one hex encoder (task ids, digests). */
#pragma once

#include <stddef.h>

/* Writes the n bytes at p as 2n lower-case hex digits and a NUL into out (2n + 1 bytes). */
void hex_encode(const void *p, size_t n, char *out);
