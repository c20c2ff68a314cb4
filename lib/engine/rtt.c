/* Round-trip halves and the capture point (lib/engine/ANALYSES.md, "Where the time went"). */
#include <string.h>

#include "engine.h"
#include "rtt.h"

void rtt_conn_init(rtt_conn_t *r) {
        memset(r, 0, sizeof *r);
        for (int i = 0; i < 2; i++)
                r->h[i].hs = r->h[i].min = -1;
}

void rtt_half_add(rtt_half_t *h, int64_t sample) {
        if (sample < 0)
                return;
        if (h->min < 0 || sample < h->min)
                h->min = sample;
        h->recent[h->i_recent] = sample;
        h->i_recent = (uint8_t) ((h->i_recent + 1) % RTT_RECENT);
        if (h->n_recent < RTT_RECENT)
                h->n_recent++;
        h->n++;
}

int64_t rtt_half_queue(const rtt_half_t *h) {
        int64_t base = rtt_half_base(h);
        if (base < 0 || h->n_recent < RTT_RECENT)
                return 0;
        int64_t m = h->recent[0];
        for (int i = 1; i < RTT_RECENT; i++)
                if (h->recent[i] < m)
                        m = h->recent[i];
        return m > base ? m - base : 0;
}

void rtt_tsv_sent(rtt_tsv_t *t, uint32_t v, int64_t ts) {
        if (t->n > 0) {
                uint8_t li = (uint8_t) ((t->head + t->n - 1) % RTT_TSV);
                if (!seq_gt(v, t->v[li]) || ts - t->ts[li] < t->spacing)
                        return; /* only the first time a value is seen, and not too close to the last kept */
        }
        if (t->n == RTT_TSV) {
                t->head = (uint8_t) ((t->head + 1) % RTT_TSV);
                t->n--;
        }
        uint8_t i = (uint8_t) ((t->head + t->n) % RTT_TSV);
        t->v[i] = v;
        t->ts[i] = ts;
        t->n++;
}

int64_t rtt_tsv_echo(rtt_tsv_t *t, uint32_t ecr) {
        if (t->n == 0 || (t->echoed && !seq_gt(ecr, t->last_echo)))
                return -1;
        uint8_t i0 = t->head;
        if (seq_lt(ecr, t->v[i0])) {
                /* older than anything kept: keep a longer history from now on */
                t->spacing = t->spacing ? t->spacing * 2 : NS_PER_MS;
                if (t->spacing > 100 * NS_PER_MS)
                        t->spacing = 100 * NS_PER_MS;
                return -1;
        }
        for (uint8_t k = 0; k < t->n; k++) {
                uint8_t i = (uint8_t) ((t->head + k) % RTT_TSV);
                if (seq_gt(t->v[i], ecr))
                        break;
                uint8_t nx = (uint8_t) ((i + 1) % RTT_TSV);
                int64_t when;
                if (t->v[i] == ecr)
                        when = t->ts[i];
                else if (k + 1 < t->n && seq_gt(t->v[nx], ecr))
                        when = t->ts[i] + (int64_t) ((double) (t->ts[nx] - t->ts[i]) * (double) (uint32_t) (ecr - t->v[i]) /
                                                     (double) (uint32_t) (t->v[nx] - t->v[i]));
                else
                        continue;
                /* older values are of no more use */
                t->head = i;
                t->n = (uint8_t) (t->n - k);
                t->last_echo = ecr;
                t->echoed = true;
                return when;
        }
        return -1; /* newer than anything kept: not seen here first */
}

capture_point_t rtt_capture_point(const rtt_conn_t *r) {
        int64_t c = rtt_half_base(&r->h[0]), s = rtt_half_base(&r->h[1]);
        if (c < 0 || s < 0)
                return CP_UNKNOWN;
        int64_t total = c + s;
        /* a path shorter than 0.2 ms (a host talking to itself, one switch) cannot be split meaningfully */
        if (total < 200000)
                return CP_UNKNOWN;
        if (c <= total / 8)
                return CP_CLIENT;
        if (s <= total / 8)
                return CP_SERVER;
        return CP_MIDDLE;
}

int64_t rtt_path(const rtt_conn_t *r) {
        int64_t c = rtt_half_base(&r->h[0]), s = rtt_half_base(&r->h[1]);
        if (c < 0 || s < 0)
                return -1;
        return c + s;
}

const char *capture_point_name(capture_point_t cp) {
        static const char *const n[_CP_MAX] = {
                [CP_UNKNOWN] = "unknown", [CP_CLIENT] = "client", [CP_SERVER] = "server", [CP_MIDDLE] = "middle",
        };
        return cp < _CP_MAX ? n[cp] : "unknown";
}

bool rtt_owd_change(uint32_t ts0_val, int64_t ts0_t, uint32_t tsval, int64_t ts, int64_t *ret) {
        static const int64_t ticks[] = { 1000, 1000000, 4000000, 10000000, 100000000 };
        int64_t dt = ts - ts0_t;
        int64_t dv = (int32_t) (tsval - ts0_val);
        if (dt < 100 * NS_PER_MS || dv <= 0)
                return false;
        for (size_t i = 0; i < sizeof ticks / sizeof ticks[0]; i++) {
                int64_t sent = dv * ticks[i];
                /* a quarter either way: the standard rates are at least 2.5 times apart */
                if (sent > dt + dt / 4 || sent < dt - dt / 4)
                        continue;
                *ret = dt - sent;
                return true;
        }
        return false;
}
