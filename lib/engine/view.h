/* The report's views: what every writer shows in the same order, built once when the analysis finishes so
 * that the writers (JSON, HTML, terminal) only read the analysis. */
#pragma once

#include <stdint.h>

/* needs host_entry_t, conv_entry_t, service_entry_t: included by engine.h after them */

#define VIEW_TOP_HOSTS 50
#define VIEW_TOP_CONVS 50

typedef struct report_view {
        host_entry_t *hosts;     /* the hosts with the most bytes, most first */
        uint32_t n_hosts, hosts_total;
        conv_entry_t *convs;     /* the conversations with the most bytes, most first */
        uint32_t n_convs, convs_total;
        service_entry_t *services; /* every service, the most bytes first (then the lower port) */
        unsigned n_services;
} report_view_t;

struct analysis;
/* Returns 0 or -ENOMEM (the views are then empty: the writers show nothing rather than fail). */
int view_build(struct analysis *a);
void view_done(report_view_t *v);
