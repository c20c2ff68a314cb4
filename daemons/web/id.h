/* Task ids: 128 random bits as 32 lower-case hex digits, checked on every route before any lookup. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define ID_LEN 32

int id_generate(char ret[ID_LEN + 1]);
bool id_is_valid(const char *s, size_t len);
