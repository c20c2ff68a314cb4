/* Unit tests of lib/engine/timeline.c: the ring and the handshake's lines, an event's 5 packets before and 5
 * after, 3 events shown of many, relative sequence numbers with and without a SYN, scaled windows, the
 * sections' order when they share a packet, the report's budget of lines with its true totals, the bound on
 * connections holding event packets, the flags' names and the tshark commands (a hostile capture name). */
#include "engine/engine.h"
#include "test-util.h"

#define CLI "10.0.0.1"
#define SRV "10.0.0.2"
#define MS 1000 /* tu_feed takes microseconds */

static tu_buf_t pk;

static void seg(analysis_t *a, uint16_t cport, int64_t us, int dir, uint32_t seq, uint32_t ack, uint8_t flags,
                uint16_t win, size_t len) {
        if (dir == 0)
                tu_tcp_frame(&pk, CLI, cport, SRV, 80, seq, ack, flags, win, NULL, 0, len);
        else
                tu_tcp_frame(&pk, SRV, 80, CLI, cport, seq, ack, flags, win, NULL, 0, len);
        tu_feed(a, us, &pk);
}

enum { CISN = 1000, SISN = 5000 };

/* A connection on cport: handshake (frames +1..+3), a request (+4) and its ACK (+5), then n_seg server
 * segments of 100 bytes, each ACKed; the segments listed in rto[] are sent again 200 ms later instead of the
 * next one (an RTO retransmission); FIN both ways and the last ACK. Returns the next time. */
static int64_t conn(analysis_t *a, uint16_t cport, int64_t t, int n_seg, const int *rto, int n_rto) {
        seg(a, cport, t, 0, CISN, 0, TCP_SYN, 1000, 0);
        seg(a, cport, t + 1 * MS, 1, SISN, CISN + 1, TCP_SYN | TCP_ACK, 1000, 0);
        seg(a, cport, t + 2 * MS, 0, CISN + 1, SISN + 1, TCP_ACK, 1000, 0);
        seg(a, cport, t + 3 * MS, 0, CISN + 1, SISN + 1, TCP_ACK | TCP_PSH, 1000, 10);
        seg(a, cport, t + 4 * MS, 1, SISN + 1, CISN + 11, TCP_ACK, 1000, 0);
        t += 5 * MS;
        uint32_t s = SISN + 1;
        for (int i = 0; i < n_seg; i++) {
                seg(a, cport, t, 1, s, CISN + 11, TCP_ACK, 1000, 100);
                bool again = false;
                for (int k = 0; k < n_rto; k++)
                        again |= rto[k] == i;
                if (again) {
                        t += 200 * MS;
                        seg(a, cport, t, 1, s, CISN + 11, TCP_ACK, 1000, 100);
                }
                t += MS;
                s += 100;
                seg(a, cport, t, 0, CISN + 11, s, TCP_ACK, 1000, 0);
                t += MS;
        }
        seg(a, cport, t, 1, s, CISN + 11, TCP_FIN | TCP_ACK, 1000, 0);
        seg(a, cport, t + MS, 0, CISN + 11, s + 1, TCP_FIN | TCP_ACK, 1000, 0);
        seg(a, cport, t + 2 * MS, 1, s + 1, CISN + 12, TCP_ACK, 1000, 0);
        return t + 3 * MS;
}

static const tl_item_t *item_of(const analysis_t *a, uint16_t cport) {
        for (uint32_t i = 0; i < a->tl.n_items; i++)
                if (a->tl.items[i].t->key.pa == cport)
                        return &a->tl.items[i];
        return NULL;
}

static void test_around_an_event(void) {
        tu_current = "around an event";
        analysis_t *a = tu_analysis(0);
        /* frames: 1-5 handshake and request; segment i at 6 + 2i (its ACK after), segment 6 (frame 18) sent
         * again as frame 19 */
        int rto[] = { 6 };
        conn(a, 40000, 0, 12, rto, 1);
        analysis_finish(a);
        const tl_item_t *it = item_of(a, 40000);
        CHECK(it != NULL);
        if (!it)
                goto out;
        CHECK_U(it->t->events, ==, 1);
        /* handshake 1-3; frames 14-18 before the event, 19 itself, 20-24 after; teardown: the last 3 */
        uint64_t want[] = { 1, 2, 3, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 31, 32, 33 };
        CHECK_U(it->n_lines, ==, sizeof want / sizeof want[0]);
        for (uint32_t i = 0; i < it->n_lines && i < sizeof want / sizeof want[0]; i++) {
                CHECK_U(it->lines[i].frame, ==, want[i]);
                CHECK(it->lines[i].at_event == (want[i] == 19));
        }
        if (it->n_lines == sizeof want / sizeof want[0]) {
                CHECK_U(it->lines[0].section, ==, TLS_HANDSHAKE);
                CHECK_U(it->lines[8].section, ==, TLS_RETRANS_RTO);
                CHECK_U(it->lines[8].event_frame, ==, 19);
                CHECK_U(it->lines[8].seq, ==, 601);     /* relative: 6 segments of 100 after the SYN's 1 */
                CHECK_U(it->lines[8].ack, ==, 11);
                CHECK_U(it->lines[8].len, ==, 100);
                CHECK_U(it->lines[3].skipped, ==, 10);  /* frames 4-13 not shown */
                CHECK_U(it->lines[14].section, ==, TLS_TEARDOWN);
                CHECK(!it->lines[0].has_ack);
                CHECK(it->lines[1].has_ack);
                CHECK_U(it->lines[1].ack, ==, 1);
        }
out:
        analysis_free(a);
}

static void test_three_events_of_five(void) {
        tu_current = "3 events of 5";
        analysis_t *a = tu_analysis(0);
        int rto[] = { 2, 6, 10, 14, 18 };
        conn(a, 40001, 0, 20, rto, 5);
        analysis_finish(a);
        const tl_item_t *it = item_of(a, 40001);
        CHECK(it != NULL);
        if (it) {
                CHECK_U(it->t->events, ==, 5);
                CHECK_U(it->t->n_win, ==, 3);
                unsigned at = 0;
                for (uint32_t i = 0; i < it->n_lines; i++)
                        at += it->lines[i].at_event;
                CHECK_U(at, ==, 3);
                /* each packet once, in frame order */
                for (uint32_t i = 1; i < it->n_lines; i++)
                        CHECK(it->lines[i].frame > it->lines[i - 1].frame);
        }
        analysis_free(a);
}

/* Direct calls: Wireshark's relative numbers without a SYN, the handshake's lines, scaled windows. */
static packet_t pkt(uint64_t frame, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, uint32_t len) {
        return (packet_t) { .ts_ns = (int64_t) frame * 1000, .frame = frame, .proto = 6, .payload_len = len,
                            .tcp = { .seq = seq, .ack = ack, .flags = flags, .win = win } };
}

static void test_relative_numbers(void) {
        tu_current = "relative numbers";
        analysis_t *a = tu_analysis(0);
        timeline_conn_t t = { 0 };
        /* mid-stream: the server's first segment; the client has sent nothing yet */
        packet_t p = pkt(1, 70000, 9000, TCP_ACK, 100, 50);
        timeline_packet(a, &t, 1, &p);
        CHECK_U(t.base[1], ==, 69999);          /* its first byte is 1 */
        CHECK_U(t.base[0], ==, 8999);           /* the ACK it sent names the client's next byte: 1 */
        CHECK(t.hs_done);
        CHECK_U(t.hs_n, ==, 0);
        p = pkt(2, 9000, 70050, TCP_ACK, 100, 0);
        timeline_packet(a, &t, 0, &p);
        CHECK_U(t.base[0], ==, 8999);           /* unchanged by its own later packets */
        CHECK_U(t.count, ==, 2);
        timeline_conn_done(&t);

        /* one packet costs no ring (a SYN flood's connections); the second brings it, the first in it */
        timeline_conn_t one = { 0 };
        p = pkt(1, 100, 0, TCP_SYN, 100, 0);
        timeline_packet(a, &one, 0, &p);
        CHECK(one.r == NULL);
        CHECK_U(one.hs_n, ==, 1);
        CHECK_U(one.first.frame, ==, 1);
        p = pkt(2, 500, 101, TCP_SYN | TCP_ACK, 100, 0);
        timeline_packet(a, &one, 1, &p);
        CHECK(one.r != NULL);
        if (one.r) {
                CHECK_U(one.ring_n, ==, 2);
                CHECK_U(one.r->ring[0].frame, ==, 1);
                CHECK_U(one.r->ring[1].frame, ==, 2);
                CHECK_U(one.hs_n, ==, 2);
                CHECK_U(one.r->hs[0].frame, ==, 1);
                CHECK_U(one.r->hs[1].frame, ==, 2);
        }
        timeline_conn_done(&one);
        CHECK(one.r == NULL);

        /* a SYN sent 5 times: 4 handshake lines kept, the 5th and the ACK counted */
        timeline_conn_t h = { 0 };
        for (int i = 0; i < 5; i++) {
                p = pkt((uint64_t) i + 1, 100, 0, TCP_SYN, 100, 0);
                timeline_packet(a, &h, 0, &p);
        }
        p = pkt(6, 500, 101, TCP_SYN | TCP_ACK, 100, 0);
        timeline_packet(a, &h, 1, &p);
        p = pkt(7, 101, 501, TCP_ACK, 100, 0);
        timeline_packet(a, &h, 0, &p);
        CHECK_U(h.hs_n, ==, 4);
        CHECK_U(h.hs_more, ==, 3);
        CHECK(h.hs_done);
        CHECK_U(h.base[0], ==, 100);
        CHECK_U(h.base[1], ==, 500);
        /* the ring: the last 6 packets, oldest first */
        tl_pkt_t out[TL_RING];
        timeline_event(a, &h, EV_RESET, 1, 7);
        CHECK_U(h.n_win, ==, 1);
        CHECK_U(a->tl.live, ==, 1);
        if (h.win) {
                CHECK_U(h.win[0].n, ==, TL_RING);
                CHECK_U(h.win[0].line[0].frame, ==, 2);
                CHECK_U(h.win[0].line[TL_RING - 1].frame, ==, 7);
                memcpy(out, h.win[0].line, sizeof out);
                /* the 5 after are taken as they come, then no more */
                for (uint64_t f = 8; f < 15; f++) {
                        p = pkt(f, 101, 501, TCP_ACK, 100, 0);
                        timeline_packet(a, &h, 0, &p);
                }
                CHECK_U(h.win[0].n, ==, TL_WIN);
                CHECK_U(h.win[0].line[TL_WIN - 1].frame, ==, 12);
                timeline_event_sub(&h, 7, 2); /* a reset's sub is not a retransmission's: untouched */
                CHECK_U(h.win[0].sub, ==, 1);
        }
        timeline_conn_done(&h);
        CHECK(h.win == NULL);
        a->tl.live = 0;
        analysis_free(a);
}

static void test_window_scaled(void) {
        tu_current = "window scaled";
        analysis_t *a = tu_analysis(0);
        uint8_t o[8];
        size_t n = tu_opt_ws(o, 0, 7);
        tu_tcp_frame(&pk, CLI, 40002, SRV, 80, CISN, 0, TCP_SYN, 512, o, n, 0);
        tu_feed(a, 0, &pk);
        n = tu_opt_ws(o, 0, 3);
        tu_tcp_frame(&pk, SRV, 80, CLI, 40002, SISN, CISN + 1, TCP_SYN | TCP_ACK, 512, o, n, 0);
        tu_feed(a, MS, &pk);
        seg(a, 40002, 2 * MS, 0, CISN + 1, SISN + 1, TCP_ACK | TCP_PSH, 512, 10);
        seg(a, 40002, 3 * MS, 1, SISN + 1, CISN + 11, TCP_ACK | TCP_RST, 512, 0); /* aborted: a finding names it */
        analysis_finish(a);
        const tl_item_t *it = item_of(a, 40002);
        CHECK(it != NULL);
        if (it && it->n_lines == 4) {
                CHECK_U(it->lines[0].win, ==, 512);             /* a SYN's window is never scaled */
                CHECK_U(it->lines[2].win, ==, 512u << 7);       /* the client's shift */
                CHECK_U(it->lines[3].win, ==, 512u << 3);       /* the server's */
                /* the RST is the handshake's last line? no: its own event's packet comes first */
                CHECK_U(it->lines[3].section, ==, TLS_RESET);
                CHECK(it->lines[3].at_event);
        } else
                CHECK_U(it ? it->n_lines : 0, ==, 4);
        analysis_free(a);
}

/* The findings' flows' lines are capped at TL_LINES_MAX, the rest counted. White box: findings made here
 * point at 60 kept connections with 3 events each. */
static void test_budget(void) {
        tu_current = "budget";
        analysis_t *a = tu_analysis(0);
        int rto[] = { 5, 15, 25 };
        int64_t t = 0;
        for (int c = 0; c < 60; c++)
                t = conn(a, (uint16_t) (41000 + c), t, 30, rto, 3);
        analysis_finish(a);
        CHECK_U(a->tl.n_worst, ==, 60);
        uint32_t total_before = 0;
        timeline_state_t *st = &a->tl;
        for (uint32_t i = 0; i < st->n_items; i++)
                free(st->items[i].lines);
        free(st->items);
        free(st->refs);
        st->items = NULL;
        st->refs = NULL;
        st->n_items = st->lines = st->lines_left_out = st->items_left_out = st->not_kept = 0;
        a->n_findings = 12;
        for (unsigned i = 0; i < 12; i++) {
                finding_t *f = &a->findings[i];
                memset(f, 0, sizeof *f);
                snprintf(f->id, sizeof f->id, "test-%u", i);
                for (unsigned k = 0; k < 5; k++) {
                        const timeline_t *tl = st->worst[i * 5 + k];
                        f->flow_key[k] = tl->key;
                        f->flow_frame[k] = tl->first_frame;
                        flow_format(&tl->key, true, f->flows[k], sizeof f->flows[k]);
                }
                f->n_flows = 5;
        }
        CHECK(timeline_view_build(a) == 0);
        for (uint32_t i = 0; i < st->n_items; i++)
                total_before += st->items[i].n_lines + st->items[i].lines_left_out;
        CHECK_U(st->n_items, ==, 60);
        CHECK_U(st->lines, ==, TL_LINES_MAX);
        CHECK_U(st->lines + st->lines_left_out, ==, total_before);
        CHECK(st->lines_left_out > 0);
        CHECK(st->items_left_out > 0);
        /* the JSON says the same */
        char *j = tu_report(a);
        CHECK(tu_json_num(j, "timelines.lines") == TL_LINES_MAX);
        CHECK(tu_json_num(j, "timelines.lines_left_out") == st->lines_left_out);
        CHECK(tu_json_num(j, "timelines.kept") == 60);
        CHECK(tu_json_num(j, "findings.11.flow_details.4.timeline") == 59);
        free(j);
        analysis_free(a);
}

/* At most TL_LIVE_MAX connections hold their events' packets at once; the others' events are counted. */
static void test_live_bound(void) {
        tu_current = "live bound";
        analysis_t *a = tu_analysis(0);
        int n = TL_LIVE_MAX + 3;
        for (int c = 0; c < n; c++) {
                uint16_t p = (uint16_t) (20000 + c);
                seg(a, p, c, 0, CISN, 0, TCP_SYN, 1000, 0);
                seg(a, p, c + 1, 1, SISN, CISN + 1, TCP_SYN | TCP_ACK, 1000, 0);
                seg(a, p, c + 2, 0, CISN + 1, SISN + 1, TCP_ACK | TCP_PSH, 1000, 10);
                seg(a, p, c + 3, 0, CISN + 1, SISN + 1, TCP_ACK, 1000, 10); /* a retransmission (not a copy) */
        }
        CHECK_U(a->tl.live, ==, TL_LIVE_MAX);
        CHECK_U(a->tl.events_unwatched, ==, 3);
        analysis_finish(a);
        CHECK_U(a->tl.live, ==, 0);             /* every connection gave its windows back */
        CHECK_U(a->tl.n_worst, ==, TL_KEEP_WORST);
        CHECK_U(a->tl.n_first[TLK_RETRANS], ==, TL_KEEP_FIRST);
        CHECK_U(a->tl.n_first[TLK_ABORTED], ==, 0);
        /* those kept by their first retransmission are the first connections, whose events came first */
        if (a->tl.n_first[TLK_RETRANS] == TL_KEEP_FIRST) {
                CHECK_U(a->tl.first[TLK_RETRANS][0]->key.pa, ==, 20000);
                CHECK_U(a->tl.first[TLK_RETRANS][TL_KEEP_FIRST - 1]->key.pa, ==, 20000 + TL_KEEP_FIRST - 1);
        }
        analysis_free(a);
}

static void test_flags_and_commands(void) {
        tu_current = "flags and commands";
        char b[4096];
        CHECK_STR(timeline_flags(TCP_SYN | TCP_ACK, b, sizeof b), "SYN, ACK");
        CHECK_STR(timeline_flags(0xff, b, sizeof b), "FIN, SYN, RST, PSH, ACK, URG, ECE, CWR");
        CHECK_STR(timeline_flags(0, b, sizeof b), "");
        CHECK_STR(timeline_flags(TCP_FIN | TCP_ACK, b, 6), "FIN, "); /* cut, never overrun */

        analysis_t *a = tu_analysis(0);
        CHECK_STR(timeline_tshark(a, "tcp.port==80", NULL, b, sizeof b),
                  "tshark -r " TL_CAPTURE_PLACEHOLDER " -Y 'tcp.port==80'");
        CHECK(analysis_set_capture_name(a, "x'; rm -rf ~; echo '.pcap") == 0);
        CHECK_STR(timeline_tshark(a, "tcp.flags.str == \"S\" && frame contains \"'\"", "-T fields", b, sizeof b),
                  "tshark -r 'x'\\''; rm -rf ~; echo '\\''.pcap' -Y 'tcp.flags.str == \"S\" && frame contains "
                  "\"'\\''\"' -T fields");
        char longname[1100];
        memset(longname, 'a', sizeof longname - 1);
        longname[sizeof longname - 1] = 0;
        CHECK(analysis_set_capture_name(a, longname) == -ENAMETOOLONG);
        CHECK(strncmp(timeline_tshark(a, "x", NULL, b, sizeof b), "tshark -r 'x'", 13) == 0); /* the old name */
        CHECK_STR(timeline_tshark(a, "tcp", NULL, b, 20), ""); /* too small: nothing, not a cut command */
        /* the longest name, all quotes, still makes a whole command in TL_COMMAND_MAX */
        char quotes[1024], *big = malloc(TL_COMMAND_MAX);
        memset(quotes, '\'', sizeof quotes - 1);
        quotes[sizeof quotes - 1] = 0;
        CHECK(analysis_set_capture_name(a, quotes) == 0);
        CHECK(big && strlen(timeline_tshark(a, "tcp", NULL, big, TL_COMMAND_MAX)) == 10 + 2 + 4 * 1023 + 4 + 5);
        free(big);
        analysis_free(a);
}

int main(void) {
        test_around_an_event();
        test_three_events_of_five();
        test_relative_numbers();
        test_window_scaled();
        test_budget();
        test_live_bound();
        test_flags_and_commands();
        return tu_exit();
}
