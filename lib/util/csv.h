/* The project's one CSV field writer (RFC 4180), for the report's CSV export. */
#pragma once

#include <stddef.h>
#include <stdio.h>

enum {
        CSV_FIRST = 1u << 0, /* the record's first field: no comma before it */
        CSV_TEXT = 1u << 1,  /* a string (not a number, boolean or missing value): see csv_field() */
};

/* Writes the n bytes of s as one field of a record to f, a comma before it unless CSV_FIRST. The field is
 * quoted, each " doubled, when it holds a comma, a quote, CR or LF. With CSV_TEXT an empty string is written
 * "" (an empty field without quotes is a missing value), and a string that starts with = + - @ TAB CR or '
 * gets a ' before it: a spreadsheet would take "=..." for a formula, and guarding ' too keeps the rule
 * reversible (a reader drops the first ' of any text field that starts with one). Errors stay in f's error
 * flag (ferror). */
void csv_field(FILE *f, const char *s, size_t n, unsigned flags);

/* Ends a record with CRLF, as RFC 4180 says. */
void csv_record_end(FILE *f);
