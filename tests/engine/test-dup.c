/* Unit tests of lib/engine/dup.c and its use by the analysis (issue 11, part 6): capture duplicates are
 * counted apart and kept out of the TCP, DNS and flow figures; a resend is never taken for a copy. */
#include "engine/engine.h"
#include "test-util.h"

#define MS 1000 /* tu_feed takes microseconds */
#define CISN 1000u
#define SISN 5000u
#define WIN 65535

static tu_buf_t pk;
static uint16_t next_id[2];
static uint16_t fixed_id; /* not 0: every IPv4 datagram has this identification */

static const finding_t *finding(const analysis_t *a, const char *id) {
        for (unsigned i = 0; i < a->n_findings; i++)
                if (strcmp(a->findings[i].id, id) == 0)
                        return &a->findings[i];
        return NULL;
}

/* A TCP segment of the connection 10.0.0.1:40000 (dir 0) <-> 10.0.0.2:80 (dir 1), or the IPv6 one, with the
 * sender's next IPv4 identification (or `id` when not 0), TTL ttl. Returns nothing: the frame is in pk. */
static void make_seg(bool v6, int dir, uint32_t seq, uint32_t ack, uint8_t flags, size_t len, uint16_t id,
                     uint8_t ttl) {
        const char *c = v6 ? "2001:db8::1" : "10.0.0.1", *s = v6 ? "2001:db8::2" : "10.0.0.2";
        tu_tcp_frame(&pk, dir ? s : c, dir ? 80 : 40000, dir ? c : s, dir ? 40000 : 80, seq, ack, flags, WIN, NULL,
                     0, len);
        if (v6)
                pk.b[14 + 7] = ttl;
        else {
                tu_set_be16(&pk, 14 + 4, id ? id : fixed_id ? fixed_id : ++next_id[dir]);
                pk.b[14 + 8] = ttl;
                tu_ipv4_end(&pk, 14);
        }
}

static void seg(analysis_t *a, int64_t us, bool v6, int dir, uint32_t seq, uint32_t ack, uint8_t flags, size_t len) {
        make_seg(v6, dir, seq, ack, flags, len, 0, 64);
        tu_feed(a, us, &pk);
}

static analysis_t *handshake(bool v6) {
        next_id[0] = 100;
        next_id[1] = 7000;
        analysis_t *a = tu_analysis(0);
        seg(a, 0, v6, 0, CISN, 0, TCP_SYN, 0);
        seg(a, 10 * MS, v6, 1, SISN, CISN + 1, TCP_SYN | TCP_ACK, 0);
        seg(a, 20 * MS, v6, 0, CISN + 1, SISN + 1, TCP_ACK, 0);
        return a;
}

static void test_key(void) {
        /* the same datagram seen on both sides of a router (TTL and checksum differ) has one key; another
         * identification or one byte more of payload gives another */
        dup_state_t d;
        const siphash_key_t key = { 42, 43 };
        CHECK_EQ(dup_init(&d, &key), 0);
        packet_t p1 = { 0 }, p2 = { 0 };
        dup_key_t k1, k2;
        make_seg(false, 0, CISN + 1, SISN + 1, TCP_ACK | TCP_PSH, 100, 0x1111, 64);
        CHECK(decode_packet(&p1, 1, pk.b, (uint32_t) pk.n));
        CHECK(dup_key_make(&d, &p1, &k1));
        CHECK(k1.strong);
        tu_buf_t keep = { 0 };
        tu_put(&keep, pk.b, pk.n);
        make_seg(false, 0, CISN + 1, SISN + 1, TCP_ACK | TCP_PSH, 100, 0x1111, 63);
        CHECK(decode_packet(&p2, 1, pk.b, (uint32_t) pk.n));
        CHECK(dup_key_make(&d, &p2, &k2));
        CHECK_MSG(k1.hash == k2.hash, "a copy with another TTL has another key");
        make_seg(false, 0, CISN + 1, SISN + 1, TCP_ACK | TCP_PSH, 100, 0x1112, 64);
        p2 = (packet_t) { 0 };
        CHECK(decode_packet(&p2, 1, pk.b, (uint32_t) pk.n));
        CHECK(dup_key_make(&d, &p2, &k2));
        CHECK_MSG(k1.hash != k2.hash, "another identification has the same key");
        make_seg(true, 0, CISN + 1, SISN + 1, TCP_ACK | TCP_PSH, 100, 0, 64);
        p2 = (packet_t) { 0 };
        CHECK(decode_packet(&p2, 1, pk.b, (uint32_t) pk.n));
        CHECK(dup_key_make(&d, &p2, &k2));
        CHECK_MSG(!k2.strong, "an IPv6 datagram without a fragment header has no identification");
        /* the window */
        dup_remember(&d, &k1, 1000, 1, 0);
        CHECK(dup_find(&d, &k1, 1000 + DUP_WINDOW_STRONG) != NULL);
        CHECK(dup_find(&d, &k1, 1000 + DUP_WINDOW_STRONG + 1) == NULL);
        CHECK(dup_find(&d, &k1, 999) == NULL);
        tu_free(&keep);
        dup_done(&d);
}

static void test_span_copies(void) {
        /* every data segment and ACK of a transfer recorded twice, 20 us apart, the copy with TTL - 1 (a SPAN
         * port mirroring both sides of a router): no retransmission, no duplicate ACK, the copies counted */
        analysis_t *a = handshake(false);
        for (int i = 0; i < 20; i++) {
                int64_t t = (30 + i) * MS;
                uint32_t seq = CISN + 1 + (uint32_t) i * 1000;
                make_seg(false, 0, seq, SISN + 1, TCP_ACK, 1000, 0, 64);
                tu_feed(a, t, &pk);
                pk.b[14 + 8] = 63;
                tu_ipv4_end(&pk, 14);
                tu_feed(a, t + 20, &pk);
                make_seg(false, 1, SISN + 1, seq + 1000, TCP_ACK, 0, 0, 64);
                tu_feed(a, t + 500, &pk);
                tu_feed(a, t + 520, &pk);
        }
        CHECK_EQU(a->dup.count, 40);
        CHECK_EQU(a->tcp.retrans, 0);
        CHECK_EQU(a->tcp.dupacks, 0);
        CHECK_EQU(a->tcp.spurious, 0);
        analysis_finish(a);
        const finding_t *f = finding(a, "capture-duplicates");
        CHECK(f != NULL);
        CHECK(finding(a, "tcp-loss") == NULL);
        CHECK(finding(a, "tcp-retransmissions") == NULL);
        char *j = tu_report(a);
        CHECK(tu_json_num(j, "capture.duplicates") == 40.0);
        CHECK(tu_json_num(j, "capture.packets") == 83.0);
        CHECK(tu_json_num(j, "capture.duplicate_first_frame") == 5.0);
        CHECK(tu_json_num(j, "tcp.retransmissions") == 0.0);
        free(j);
        analysis_free(a);
}

static void test_resends_are_not_copies(void) {
        /* a timer resend of the same bytes with a new identification is a retransmission */
        analysis_t *a = handshake(false);
        seg(a, 30 * MS, false, 0, CISN + 1, SISN + 1, TCP_ACK, 100);
        seg(a, 40 * MS, false, 0, CISN + 1, SISN + 1, TCP_ACK, 100);
        CHECK_EQU(a->dup.count, 0);
        CHECK_EQU(a->tcp.retrans, 1);
        analysis_free(a);

        /* a sender whose identification never changes (a crafted file, some embedded stacks): its number is not
         * trusted, so a resend 10 ms later is one, beyond the weak window */
        fixed_id = 0x1234;
        a = handshake(false);
        seg(a, 30 * MS, false, 0, CISN + 1, SISN + 1, TCP_ACK, 100);
        tu_feed(a, 40 * MS, &pk);
        CHECK_EQU(a->dup.count, 0);
        CHECK_EQU(a->tcp.retrans, 1);
        /* ...while a copy 30 us later, with nothing from the receiver in between, is still recognised */
        seg(a, 50 * MS, false, 0, CISN + 101, SISN + 1, TCP_ACK, 100);
        tu_feed(a, 50 * MS + 30, &pk);
        CHECK_EQU(a->dup.count, 1);
        CHECK_EQU(a->tcp.retrans, 1);
        fixed_id = 0;
        analysis_free(a);

        /* IPv6 (no identification): a copy 50 us later with nothing in between is one; the fast retransmission
         * after three duplicate ACKs is not, and the identical duplicate ACKs are not copies of each other */
        a = handshake(true);
        seg(a, 30 * MS, true, 0, CISN + 1, SISN + 1, TCP_ACK, 100);
        tu_feed(a, 30 * MS + 50, &pk);
        CHECK_EQU(a->dup.count, 1);
        seg(a, 31 * MS, true, 0, CISN + 101, SISN + 1, TCP_ACK, 100);
        seg(a, 31 * MS + 10, true, 0, CISN + 201, SISN + 1, TCP_ACK, 100);
        seg(a, 31 * MS + 20, true, 0, CISN + 301, SISN + 1, TCP_ACK, 100);
        for (int i = 0; i < 4; i++) /* an ACK, then three duplicates of it */
                seg(a, 32 * MS + i * 10, true, 1, SISN + 1, CISN + 101, TCP_ACK, 0);
        seg(a, 32 * MS + 100, true, 0, CISN + 101, SISN + 1, TCP_ACK, 100);
        CHECK_EQU(a->dup.count, 1);
        CHECK_EQU(a->tcp.dupacks, 3);
        CHECK_EQU(a->tcp.retrans, 1);
        CHECK_EQU(a->tcp.fast, 1);
        analysis_free(a);

        /* IPv6: the same bytes 2 ms later, after the receiver answered, are a resend */
        a = handshake(true);
        seg(a, 30 * MS, true, 0, CISN + 1, SISN + 1, TCP_ACK, 100);
        seg(a, 31 * MS, true, 1, SISN + 1, CISN + 1, TCP_ACK, 0);
        seg(a, 32 * MS, true, 0, CISN + 1, SISN + 1, TCP_ACK, 100);
        CHECK_EQU(a->dup.count, 0);
        CHECK_EQU(a->tcp.retrans, 1);
        analysis_free(a);
}

static void icmp_echo(analysis_t *a, int64_t us, bool reply) {
        tu_reset(&pk);
        tu_eth(&pk, 0x0800);
        size_t ip = tu_ipv4(&pk, reply ? "10.0.0.2" : "10.0.0.1", reply ? "10.0.0.1" : "10.0.0.2", 1, NULL, 0);
        tu_u8(&pk, reply ? 0 : 8);
        tu_u8(&pk, 0);
        tu_be16(&pk, 0);
        tu_be16(&pk, 0x0123);
        tu_be16(&pk, 0);
        tu_pattern(&pk, 32);
        tu_ipv4_end(&pk, ip); /* identification 0x1234 in every packet, as in zeek's timeout-with-pings.pcap */
        tu_feed(a, us, &pk);
}

static void test_outside_flows(void) {
        /* the same echo request again after its reply: a second request, not a copy */
        analysis_t *a = tu_analysis(0);
        icmp_echo(a, 0, false);
        icmp_echo(a, 1 * MS, true);
        icmp_echo(a, 2 * MS, false);
        icmp_echo(a, 3 * MS, true);
        CHECK_EQU(a->dup.count, 0);
        CHECK_EQU(a->icmp.msgs, 4);
        /* a request recorded twice before its reply: one copy */
        icmp_echo(a, 1000 * MS, false);
        icmp_echo(a, 1000 * MS + 30, false);
        icmp_echo(a, 1001 * MS, true);
        CHECK_EQU(a->dup.count, 1);
        CHECK_EQU(a->icmp.msgs, 6);
        analysis_finish(a);
        CHECK_MSG(finding(a, "capture-duplicates") == NULL, "one copy in 7 packets is not many");
        analysis_free(a);
}

static void test_dns_copy(void) {
        /* an answer recorded twice: one response, no unmatched one; the file's protocol hierarchy still counts
         * both frames (as zeek's dns-two-responses.pcap, read by tshark) */
        analysis_t *a = tu_analysis(0);
        tu_buf_t m = { 0 };
        tu_dns(&m, 0x5294, 0x0100, "www.example.com", 1, 0);
        tu_udp_frame(&pk, "10.0.0.1", 50000, "10.0.0.53", 53, m.b, m.n);
        tu_feed(a, 0, &pk);
        tu_reset(&m);
        tu_dns(&m, 0x5294, 0x8180, "www.example.com", 1, 0);
        tu_udp_frame(&pk, "10.0.0.53", 53, "10.0.0.1", 50000, m.b, m.n);
        tu_set_be16(&pk, 14 + 4, 0x1623);
        tu_ipv4_end(&pk, 14);
        tu_feed(a, 214, &pk);
        tu_feed(a, 302, &pk);
        analysis_finish(a);
        CHECK_EQU(a->dup.count, 1);
        CHECK_EQU(a->dns.responses, 1);
        CHECK_EQU(a->dns.unmatched_responses, 0);
        CHECK_EQU(a->proto[PROTO_DNS].packets, 3);
        CHECK_EQU(a->proto[PROTO_UDP].packets, 3);
        tu_free(&m);
        analysis_free(a);
}

int main(void) {
        RUN(test_key);
        RUN(test_span_copies);
        RUN(test_resends_are_not_copies);
        RUN(test_outside_flows);
        RUN(test_dns_copy);
        tu_free(&pk);
        return tu_exit();
}
