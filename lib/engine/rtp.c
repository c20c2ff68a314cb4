/* RTP (RFC 3550) recognised on UDP by its header over several packets, and each stream's jitter (A.8) and
 * loss (A.1, A.3), with the payload type's clock (RFC 3551) or, for a dynamic type, a standard rate that
 * fits the timestamps' pace. */
#include <math.h>
#include <string.h>

#include "cursor.h"
#include "rtp.h"

rtp_kind_t rtp_parse(const uint8_t *b, size_t caplen, size_t len, rtp_header_t *ret) {
        cursor_t c = cursor_make(b, caplen);
        if (len < 8 || !cursor_has(&c, 8))
                return RTP_NOT;
        uint8_t b0 = cursor_u8(&c), b1 = cursor_u8(&c);
        if (b0 >> 6 != 2)
                return RTP_NOT;
        if (b1 >= 192 && b1 <= 223) {
                /* RTCP: SR, RR, SDES, BYE, APP (200-204), feedback and extended reports (205-207, RFC 4585 and
                 * 3611), and the rest of the range RFC 5761 section 4 keeps apart from RTP; its length (in 32-bit
                 * words, minus one) within the datagram */
                uint32_t words = cursor_be16(&c);
                return (words + 1) * 4 <= len ? RTP_RTCP : RTP_NOT;
        }
        uint8_t pt = b1 & 0x7f;
        if (pt >= 72 && pt <= 76)
                return RTP_NOT; /* RTCP's types with the marker bit clear: neither (RFC 3550 section 5.1) */
        if (len < 12 || !cursor_has(&c, 10))
                return RTP_NOT;
        rtp_header_t h = { .marker = b1 >> 7, .pt = pt };
        h.seq = cursor_be16(&c);
        h.ts = cursor_be32(&c);
        h.ssrc = cursor_be32(&c);
        size_t hdr = 12 + 4 * (size_t) (b0 & 0x0f);
        if (hdr > len)
                return RTP_NOT;
        if (b0 & 0x10) {
                /* the header extension: 16 bits profile, 16 bits length in words; judged when captured */
                if (hdr + 4 > len)
                        return RTP_NOT;
                if (cursor_skip(&c, hdr - 12 + 2) && cursor_has(&c, 2)) {
                        hdr += 4 + 4 * (size_t) cursor_be16(&c);
                        if (hdr > len)
                                return RTP_NOT;
                }
        }
        if ((b0 & 0x20) && caplen == len) {
                uint8_t pad = b[len - 1];
                if (pad == 0 || pad > len - hdr)
                        return RTP_NOT;
        }
        *ret = h;
        return RTP_DATA;
}

uint32_t rtp_clock_rate(uint8_t pt) {
        /* RFC 3551 tables 4 (audio) and 5 (video); the others are reserved, unassigned or dynamic (96-127) */
        static const uint32_t rate[35] = {
                [0] = 8000,   [3] = 8000,   [4] = 8000,   [5] = 8000,   [6] = 16000,  [7] = 8000,
                [8] = 8000,   [9] = 8000,   [10] = 44100, [11] = 44100, [12] = 8000,  [13] = 8000,
                [14] = 90000, [15] = 8000,  [16] = 11025, [17] = 22050, [18] = 8000,  [25] = 90000,
                [26] = 90000, [28] = 90000, [31] = 90000, [32] = 90000, [33] = 90000, [34] = 90000,
        };
        return pt < sizeof rate / sizeof rate[0] ? rate[pt] : 0;
}

/* The rates a dynamic payload type may run at: narrow-band speech (AMR, telephone-event), wide-band (AMR-WB,
 * SILK, G.722.1), 24 and 32 kHz (SILK, G.722.1C), Opus and full-band audio (48 kHz, RFC 7587), video (90 kHz). */
static const uint32_t dyn_rates[RTP_RATES] = { 8000, 16000, 24000, 32000, 48000, 90000 };

static unsigned stream_rates(const rtp_stream_t *s, uint32_t *ret_rate0) {
        uint32_t r = rtp_clock_rate(s->pt);
        *ret_rate0 = r ? r : dyn_rates[0];
        return r ? 1 : RTP_RATES;
}

bool rtp_detect_packet(rtp_detect_t *d, const rtp_header_t *h, int64_t arr, uint64_t frame) {
        if (d->n >= RTP_CONFIRM)
                d->n = 0;
        if (d->n > 0) {
                const rtp_header_t *l = &d->h[d->n - 1];
                uint32_t step = h->ts - l->ts;
                if (h->ssrc != l->ssrc || h->pt != l->pt || h->seq != (uint16_t) (l->seq + 1) ||
                    step > RTP_TS_STEP_MAX || arr < d->arr[d->n - 1])
                        d->n = 0;
        }
        d->h[d->n] = *h;
        d->arr[d->n] = arr;
        d->frame[d->n] = frame;
        d->n++;
        return d->n == RTP_CONFIRM;
}

void rtp_stream_start(rtp_stream_t *s, const rtp_header_t *h, int64_t arr, uint64_t frame) {
        memset(s, 0, sizeof *s);
        s->started = true;
        s->ssrc = h->ssrc;
        s->pt = h->pt;
        s->base_seq = s->max_seq = s->last_seq = h->seq;
        s->packets = 1;
        s->first_arr = s->prev_arr = s->last_arr = arr;
        s->prev_ts = h->ts;
        s->first_frame = frame;
}

void rtp_stream_packet(rtp_stream_t *s, const rtp_header_t *h, int64_t arr) {
        s->packets++;
        if (h->seq != (uint16_t) (s->last_seq + 1))
                s->seq_errors++;
        s->last_seq = h->seq;
        /* A.1: the highest sequence number moves forward by less than 3,000 (MAX_DROPOUT); a wrap adds a cycle */
        uint16_t udelta = (uint16_t) (h->seq - s->max_seq);
        if (udelta > 0 && udelta < 3000) {
                if (h->seq < s->max_seq)
                        s->cycles += 65536;
                s->max_seq = h->seq;
        }
        /* A.8: D = (Rj - Ri) - (Sj - Si), the arrival times' difference less the timestamps' in seconds */
        int32_t tsd = (int32_t) (h->ts - s->prev_ts);
        int64_t ad;
        if (__builtin_sub_overflow(arr, s->prev_arr, &ad) || ad > 1000000000000000LL || ad < -1000000000000000LL)
                ad = ad < 0 ? -1000000000000000LL : 1000000000000000LL; /* hostile timestamps: +-11 days */
        uint32_t rate0;
        unsigned n = stream_rates(s, &rate0);
        for (unsigned k = 0; k < n; k++) {
                rtp_jitter_t *j = &s->jit[k];
                double clock = n == 1 ? rate0 : dyn_rates[k];
                double d = fabs((double) ad / 1e9 - (double) tsd / clock);
                j->j += (d - j->j) / 16;
                if (!h->marker) {
                        /* a marked packet starts a talk spurt or a frame: tshark leaves it out of max and mean */
                        if (j->j > j->max)
                                j->max = j->j;
                        j->sum += j->j;
                        j->n++;
                }
        }
        s->ts_progress += tsd;
        s->prev_ts = h->ts;
        s->prev_arr = arr;
        if (arr > s->last_arr)
                s->last_arr = arr;
}

static int64_t to_ns(double s) {
        return (int64_t) llround(s * 1e9);
}

void rtp_stream_figures(const rtp_stream_t *s, rtp_figures_t *ret) {
        rtp_figures_t r = { .clock_source = RTP_CLOCK_UNKNOWN, .jitter_now = -1, .jitter_max = -1, .jitter_mean = -1 };
        r.expected = (int64_t) s->cycles + s->max_seq - s->base_seq + 1;
        r.lost = r.expected - (int64_t) s->packets;
        r.seq_errors = s->seq_errors;
        uint32_t rate0;
        unsigned n = stream_rates(s, &rate0);
        int k = -1;
        if (n == 1) {
                k = 0;
                r.clock = rate0;
                r.clock_source = RTP_CLOCK_STATIC;
        } else {
                /* the timestamps' pace over arrival time, over at least 200 ms, within 25 % of a standard rate */
                double span = (double) (s->last_arr - s->first_arr) / 1e9;
                double pace = span >= 0.2 && s->ts_progress > 0 ? (double) s->ts_progress / span : 0;
                double best = log(1.25);
                for (unsigned i = 0; pace > 0 && i < RTP_RATES; i++)
                        if (fabs(log(pace / dyn_rates[i])) <= best) {
                                best = fabs(log(pace / dyn_rates[i]));
                                k = (int) i;
                        }
                if (k >= 0) {
                        r.clock = dyn_rates[k];
                        r.clock_source = RTP_CLOCK_ESTIMATED;
                }
        }
        if (k >= 0) {
                const rtp_jitter_t *j = &s->jit[k];
                r.jitter_now = to_ns(j->j);
                r.jitter_max = to_ns(j->max);
                r.jitter_mean = j->n ? to_ns(j->sum / (double) j->n) : 0;
        }
        *ret = r;
}
