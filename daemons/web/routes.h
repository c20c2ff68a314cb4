/* Every path pcapd-web answers, in one table (routes.c), registered with h2o in the table's order: h2o
 * picks the first registered prefix, so specific paths come first. Each h2o handler carries the context. */
#pragma once

#include <h2o.h>

#include "web.h"

int routes_register(web_t *w, h2o_hostconf_t *host);
