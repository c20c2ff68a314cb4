/* Quoting for POSIX shells: the project's one quoter for the commands reports print (tshark command lines). */
#pragma once

#include <stddef.h>

/* Writes s as one shell word in single quotes into buf (a ' inside becomes '\''), so that any shell reads it
 * back as exactly s whatever it holds ($, `, ;, newlines). Returns the length written, or -ENOBUFS when buf
 * (len bytes, NUL included) is too small; buf then holds "" (never a cut word that would change meaning). */
int shell_quote(const char *s, char *buf, size_t len);
