/* Packet timelines (timeline.c, issue 14): for the connections a finding names, the handshake, the packets
 * around each of the first retransmissions, zero windows and resets (both directions), and the teardown.
 * Included by engine.h after flow.h (needs flow_key_t), before tcp.h (tcp_conn_t holds a timeline_conn_t). ANALYSES.md, "Packet
 * timelines", has the rules. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define TL_AROUND 5              /* packets of the connection kept before an event, and taken after it */
#define TL_HS 4                  /* handshake packets kept (SYNs sent again included) */
#define TL_EVENTS 3              /* events per connection shown with their packets */
#define TL_RING (TL_AROUND + 1)   /* the packets before an event, and the event's own */
#define TL_WIN (2 * TL_AROUND + 1)
#define TL_KEEP_WORST 64         /* timelines kept of the connections ranked worst (as flows.worst ranks them)... */
#define TL_KEEP_FIRST 8          /* ...and, for each kind below, of those whose event of the kind came first */

/* The kinds of event findings name flows by, each from its event list's first items (diagnosis.c). */
typedef enum tl_kind {
        TLK_RETRANS,             /* any retransmission */
        TLK_RTO,                 /* one after a timeout (tcp-rto) */
        TLK_ZERO_WINDOW,
        TLK_REFUSED,             /* an RST answering a SYN (tcp-refused) */
        TLK_ABORTED,             /* an RST after data (tcp-aborted) */
        TLK_HANDSHAKE_SLOW,
        TLK_HANDSHAKE_FAILED,
        _TLK_MAX,
} tl_kind_t;
#define TL_LIVE_MAX 4096         /* connections holding their events' packets at once */
#define TL_LINES_MAX 300         /* lines in one report */

/* One packet of a connection, as a timeline line shows it: the raw fields, made relative when written. */
typedef struct __attribute__((packed)) tl_pkt {
        int64_t ts;
        uint64_t frame;
        uint32_t seq, ack;
        uint16_t len;            /* TCP payload bytes, saturated at 65,535 */
        uint16_t win;            /* the window field as sent */
        uint8_t flags;
        uint8_t dir;             /* 0 client -> server */
        uint32_t n;              /* its index among the connection's packets */
} tl_pkt_t;

/* An event's packets: up to TL_AROUND before it, itself, up to TL_AROUND after it. */
typedef struct timeline_win {
        tl_pkt_t line[TL_WIN];
        uint64_t frame;          /* the event's packet */
        uint8_t n;
        uint8_t after;           /* packets still to take after the event */
        uint8_t kind;            /* event_kind_t: EV_RETRANS, EV_ZERO_WINDOW, EV_RESET */
        uint8_t sub;             /* retransmission: 0 rto, 1 fast, 2 spurious, 3 pmtu */
} timeline_win_t;

/* A connection's last packets and its handshake's, from its second packet on. */
typedef struct tl_ring {
        tl_pkt_t ring[TL_RING];
        tl_pkt_t hs[TL_HS];
} tl_ring_t;

/* What a live connection keeps (in tcp_conn_t): its first packet, then its last packets and its handshake's
 * (a connection of one packet, as in a SYN flood, costs no more than that one), and its events' windows once it
 * has one (most connections never do). */
typedef struct timeline_conn {
        tl_pkt_t first;          /* its first packet, while it has no ring */
        tl_ring_t *r;            /* allocated with its second packet (NULL: one packet, or no memory) */
        uint32_t base[2];        /* each side's relative sequence number 0 (tcp.seq relative) */
        uint8_t ring_head, ring_n, hs_n;
        uint8_t base_set;        /* bit d: base[d] is known */
        bool hs_done;            /* the handshake's lines are complete (or it was not captured) */
        bool no_ring;            /* no memory for the ring: only the last packet is kept */
        uint8_t marks;           /* bit k: it had an event of tl_kind_t k */
        uint8_t n_win;
        uint8_t taking;          /* windows still taking the packets after their event */
        uint32_t events;         /* retransmissions, zero windows and resets of the connection, all counted */
        uint32_t hs_more;        /* handshake packets beyond TL_HS */
        uint32_t count;          /* packets so far */
        timeline_win_t *win;     /* TL_EVENTS windows, allocated on the first event */
} timeline_conn_t;

/* A retired connection's timeline, kept for the report while it ranks among the kept ones. */
typedef struct timeline {
        flow_key_t key;          /* a = client */
        uint64_t id;             /* the flow's id: equal ranks keep the older */
        uint64_t first_frame, last_frame;
        double score;            /* its worst-flow score */
        uint64_t bytes;
        uint64_t first_event;    /* in a set of TL_KEEP_FIRST: the frame of its first event of the set's kind */
        uint32_t base[2];
        uint8_t base_set;
        int8_t scale[2];         /* window shift of each side's windows, -1 unknown (handshake not seen) */
        bool closed;             /* FIN both ways or a RST */
        tl_pkt_t hs[TL_HS];
        uint8_t n_hs;
        uint32_t hs_more;
        timeline_win_t win[TL_EVENTS];
        uint8_t n_win;
        uint32_t events;
        tl_pkt_t end[TL_RING];   /* its last packets, oldest first */
        uint8_t n_end;
} timeline_t;

/* One line of a timeline as the writers show it (built once, timeline_view_build). */
typedef enum tl_section {
        TLS_HANDSHAKE,
        TLS_RETRANS_RTO,
        TLS_RETRANS_FAST,
        TLS_RETRANS_SPURIOUS,
        TLS_RETRANS_PMTU,
        TLS_ZERO_WINDOW,
        TLS_RESET,
        TLS_TEARDOWN,
        _TLS_MAX,
} tl_section_t;

typedef struct tl_line {
        uint64_t frame;
        int64_t ts;
        uint32_t seq, ack;       /* relative (0 when the base is unknown: has_seq/has_ack say) */
        uint32_t len;
        uint64_t win;            /* scaled when the scale is known */
        uint64_t event_frame;    /* the frame of the event it belongs to, 0 for the handshake and teardown */
        uint8_t flags, dir, section;
        bool at_event;           /* this is the event's own packet */
        bool has_ack;
        uint32_t skipped;        /* packets of the connection between the previous line (or its start) and this one */
} tl_line_t;

typedef struct tl_item {
        const timeline_t *t;
        tl_line_t *lines;
        uint32_t n_lines;
        uint32_t lines_left_out; /* of this timeline, for the report's line budget */
} tl_item_t;

/* A flow a finding names, pinned to its connection (port reuse) by a frame of it. */
typedef struct tl_ref {
        flow_key_t key;          /* as shown: a = source */
        uint64_t frame;          /* a packet of the connection meant (its event, first packet, request), 0 unknown */
        int32_t item;            /* index into the view's items, -1 when no timeline was kept */
} tl_ref_t;

typedef struct timeline_state {
        timeline_t *worst[TL_KEEP_WORST]; /* best first */
        timeline_t *first[_TLK_MAX][TL_KEEP_FIRST]; /* per kind, the earliest event first */
        uint32_t n_worst, n_first[_TLK_MAX];
        uint32_t live;           /* connections holding windows now */
        uint64_t events_unwatched; /* events of connections beyond TL_LIVE_MAX or without memory */
        /* the view */
        int64_t t0;              /* the first packet's timestamp: lines' t is frame.time_relative */
        tl_item_t *items;
        uint32_t n_items, lines, lines_left_out, items_left_out;
        tl_ref_t *refs;          /* [finding * 5 + flow]: the findings' flows and their items */
        uint32_t not_kept;       /* finding flows (TCP) whose connection's timeline was not kept */
} timeline_state_t;

struct analysis;
struct flow;
struct packet;
struct flow_summary;
/* tcp.c: each packet of a connection, first thing; each event, after the packet was recorded. */
void timeline_packet_slow(struct analysis *a, timeline_conn_t *t, int dir, const struct packet *p);
/* Inline for what most packets need, a slot of the ring (this runs for every TCP packet); the rest out of line. */
static inline void timeline_packet(struct analysis *a, timeline_conn_t *t, int dir, const packet_t *p) {
        if (!t->r || t->base_set != 3 || !t->hs_done || t->taking) {
                timeline_packet_slow(a, t, dir, p);
                return;
        }
        t->r->ring[t->ring_head] = (tl_pkt_t) {
                .ts = p->ts_ns, .frame = p->frame, .seq = p->tcp.seq, .ack = p->tcp.ack,
                .len = (uint16_t) (p->payload_len > UINT16_MAX ? UINT16_MAX : p->payload_len), .win = p->tcp.win,
                .flags = p->tcp.flags, .dir = (uint8_t) dir, .n = t->count++,
        };
        if (++t->ring_head == TL_RING)
                t->ring_head = 0;
        if (t->ring_n < TL_RING)
                t->ring_n++;
}
void timeline_event(struct analysis *a, timeline_conn_t *t, int kind, int sub, uint64_t frame);
/* A slow or failed handshake (tcp.c): the connection ranks among those whose such event came first. */
void timeline_mark(timeline_conn_t *t, tl_kind_t k);
/* A retransmission found spurious later (D-SACK). */
void timeline_event_sub(timeline_conn_t *t, uint64_t frame, int sub);
/* flow.c: the connection retires; keeps its timeline when it ranks. Releases what t held. */
void timeline_offer(struct analysis *a, const struct flow *f, const struct flow_summary *s);
void timeline_conn_done(timeline_conn_t *t);
/* analysis.c, after the diagnosis: the timelines of the findings' flows, within TL_LINES_MAX lines. */
int timeline_view_build(struct analysis *a);
void timeline_done(timeline_state_t *s);

/* Names and commands the writers share. */
const char *timeline_section_name(tl_section_t s);
const char *timeline_flags(uint8_t flags, char *buf, size_t len);
/* `tshark -r CAPTURE -Y 'FILTER'` (and extra, when not NULL, appended as is) into buf; CAPTURE is the
 * capture's name shell-quoted, or the placeholder when the analysis was not told its name. */
#define TL_CAPTURE_PLACEHOLDER "CAPTURE.pcap"
#define TL_COMMAND_MAX 16384     /* fits any command: a quoted name of 1,023 bytes, a filter, tshark's fields */
char *timeline_tshark(const struct analysis *a, const char *filter, const char *extra, char *buf, size_t len);
/* A connection's own filter: its addresses and ports, and its frames (port reuse). */
char *timeline_filter(const timeline_t *t, char *buf, size_t len);
