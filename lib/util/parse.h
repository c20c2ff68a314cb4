/* Numbers a user gives (flags, environment variables): the project's one parser of them. */
#pragma once

#include <stdint.h>

/* A decimal number in [min, max]: digits only (no sign, no blanks, no suffix), at least one. 0, -EINVAL
 * when s is not such a number (NULL, empty, "-1", "12x", "0x10"), -ERANGE when it is outside [min, max]
 * or beyond UINT64_MAX. *ret is set on success only. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
