/* The web UI: pages by route, other files from --web-dir (ETag, gzip), security headers everywhere. */
#pragma once

#include <h2o.h>

/* Registers every path on hostconf, API paths included (order matters: h2o matches the first prefix). */
int static_register(h2o_hostconf_t *host);
