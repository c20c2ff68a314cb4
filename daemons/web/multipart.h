/* Zero-copy multipart/form-data (RFC 7578 / RFC 2046) parser: finds the uploaded file inside a body. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define MULTIPART_BOUNDARY_MAX 70      /* RFC 2046 5.1.1 */
#define MULTIPART_HEADERS_MAX 8192     /* bytes of headers per part */
#define MULTIPART_PARTS_MAX 64

typedef struct multipart_file {
        const uint8_t *data;          /* points into the body */
        size_t size;
        const char *filename;         /* raw bytes of the filename parameter (escapes left in), or NULL */
        size_t filename_len;
} multipart_file_t;

/* Extracts the boundary from a Content-Type value ("multipart/form-data; boundary=..." quoted or not).
 * Returns 0, -EMEDIUMTYPE when the type is not multipart/form-data, -EBADMSG when the boundary is missing
 * or invalid. *ret points into content_type. */
int multipart_get_boundary(const char *content_type, size_t len, const char **ret, size_t *ret_len);

/* Finds the part named `field` (or, failing that, the first part with a filename) in body. Returns 0,
 * -ENOENT when there is no such part, -EBADMSG when the body is malformed (no delimiter, truncated part,
 * missing final boundary, headers too long, too many parts). Never reads outside [body, body + len). */
int multipart_find_file(const uint8_t *body, size_t len, const char *boundary, size_t boundary_len,
                        const char *field, multipart_file_t *ret);
