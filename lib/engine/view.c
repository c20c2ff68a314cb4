/* The report's views (view.h): top hosts and conversations, services in order, sample stores sorted, the
 * ports DNS was found on besides its own in order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static int host_cmp(const void *x, const void *y) {
        const host_entry_t *a = x, *b = y;
        uint64_t ta = a->bytes_tx + a->bytes_rx, tb = b->bytes_tx + b->bytes_rx;
        if (ta != tb)
                return ta > tb ? -1 : 1;
        return addr_compare(&a->addr, &b->addr);
}

static int conv_cmp(const void *x, const void *y) {
        const conv_entry_t *a = x, *b = y;
        if (a->bytes != b->bytes)
                return a->bytes > b->bytes ? -1 : 1;
        int c = addr_compare(&a->a, &b->a);
        return c ? c : addr_compare(&a->b, &b->b);
}

static int svc_cmp(const void *x, const void *y) {
        const service_entry_t *a = x, *b = y;
        if (a->c.bytes != b->c.bytes)
                return a->c.bytes > b->c.bytes ? -1 : 1;
        if (a->port != b->port)
                return a->port < b->port ? -1 : 1;
        return a->proto - b->proto;
}

static int dns_port_cmp(const void *x, const void *y) {
        const dns_port_count_t *a = x, *b = y;
        if (a->queries != b->queries)
                return a->queries > b->queries ? -1 : 1;
        return (a->port > b->port) - (a->port < b->port);
}

/* The k best entries of a hash table, in order: a copy of the used entries, sorted (the tables hold at most
 * 65,536 entries), of which k are kept. */
static bool host_used(const void *e) {
        return ((const host_entry_t *) e)->used;
}

static bool conv_used(const void *e) {
        return ((const conv_entry_t *) e)->used;
}

static int top_of(const kv_table_t *t, size_t elem, bool (*used)(const void *), int (*cmp)(const void *, const void *),
                  uint32_t k, void **ret, uint32_t *ret_n, uint32_t *ret_total) {
        *ret = NULL;
        *ret_n = *ret_total = 0;
        if (!t->t.e || t->t.n == 0)
                return 0;
        uint8_t *all = malloc(elem * t->t.n);
        if (!all)
                return -ENOMEM;
        uint32_t n = 0;
        for (uint32_t i = 0; i < t->t.top && n < t->t.n; i++) {
                const uint8_t *e = table_entry(&t->t, i);
                if (used(e))
                        memcpy(all + (size_t) n++ * elem, e, elem);
        }
        qsort(all, n, elem, cmp);
        *ret_total = n;
        *ret_n = n < k ? n : k;
        void *top = realloc(all, elem * (*ret_n ? *ret_n : 1));
        *ret = top ? top : all;
        return 0;
}

int view_build(analysis_t *a) {
        report_view_t *v = &a->view;
        view_done(v);
        samples_t *const stores[] = {
                &a->hs_rtt, &a->hs_syn_synack, &a->hs_synack_ack, &a->rtt, &a->rtt_path, &a->ack_delay, &a->conn_dur,
                &a->flow_jitter, &a->dns.rt, &a->txn.server, &a->txn.total_s, &a->txn.cp_client_half,
                &a->txn.cp_server_half, &a->dns_other.s.rt,
        };
        for (size_t i = 0; i < sizeof stores / sizeof stores[0]; i++)
                samples_sort(stores[i]);
        qsort(a->dns_other.ports, a->dns_other.n_ports, sizeof a->dns_other.ports[0], dns_port_cmp);
        int r = top_of(&a->hosts, sizeof(host_entry_t), host_used, host_cmp, VIEW_TOP_HOSTS, (void **) &v->hosts, &v->n_hosts,
                       &v->hosts_total);
        if (r >= 0)
                r = top_of(&a->convs, sizeof(conv_entry_t), conv_used, conv_cmp, VIEW_TOP_CONVS, (void **) &v->convs, &v->n_convs,
                           &v->convs_total);
        if (r >= 0 && a->n_services) {
                v->services = malloc(sizeof(service_entry_t) * a->n_services);
                if (v->services) {
                        memcpy(v->services, a->services, sizeof(service_entry_t) * a->n_services);
                        qsort(v->services, a->n_services, sizeof(service_entry_t), svc_cmp);
                        v->n_services = a->n_services;
                } else
                        r = -ENOMEM;
        }
        return r;
}

void view_done(report_view_t *v) {
        free(v->hosts);
        free(v->convs);
        free(v->services);
        memset(v, 0, sizeof *v);
}
