/* Percent-encoding (RFC 3986 section 2.1): the project's one URI component escaper. */
#pragma once

/* A new string (free()) in *ret: s with every byte outside the unreserved set (A-Z a-z 0-9 - . _ ~) as %XX
 * (upper-case hex), so that it can stand as a path segment, a query name or a query value whatever it holds:
 * ':' '/' '?' '#' '&' '=' '+' spaces, markup and UTF-8 all come out escaped. 0, -EINVAL for NULL, -ENOMEM. */
int uri_escape(const char *s, char **ret);
/* The same, leaving the bytes of keep as they are too (e.g. "/" for a path). */
int uri_escape_keep(const char *s, const char *keep, char **ret);
