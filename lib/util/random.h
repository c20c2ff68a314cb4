/* Random bytes from the kernel: the project's one source of them for ids, tokens and secrets. */
#pragma once

#include <stddef.h>

/* Fills p with n bytes from getrandom() (blocking until the kernel's pool is ready, once after boot; retried
 * on EINTR and short reads). 0 or -errno. */
int random_bytes(void *p, size_t n);
