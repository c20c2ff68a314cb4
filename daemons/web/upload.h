/* POST/PUT /api/upload and POST /upload: multipart (field `file`) or a raw capture body; 202 once stored and queued. */
#pragma once

#include <h2o.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "web.h"

/* Answers accepted_status (202; 200 on the design document's POST /upload) once the capture is durable and
 * its task committed and queued. */
int upload_handle(web_t *w, h2o_req_t *req, const identity_t *who, int accepted_status);
/* pcap (either byte order, µs or ns) or pcapng magic at the start of data. */
bool upload_is_capture(const uint8_t *data, size_t size);
/* Keeps the last path component, drops control characters and quotes' escapes; never empty. */
void upload_sanitize_filename(const char *in, size_t len, char *out, size_t size);
