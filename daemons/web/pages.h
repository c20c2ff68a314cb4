/* The browser's pages: the upload page and other files from --web-dir, and the pages of a task. */
#pragma once

#include <h2o.h>

#include "auth.h"
#include "web.h"

/* /progress/{id}: the progress page. */
int pages_progress(web_t *w, h2o_req_t *req, const identity_t *who, size_t prefix_len);
/* /report/{id}: the report page for a browser (Accept: text/html); the HTML report itself for a script,
 * as the design pcapd replaces serves it there. */
int pages_report(web_t *w, h2o_req_t *req, const identity_t *who, size_t prefix_len);
/* /history. */
int pages_history(web_t *w, h2o_req_t *req);
