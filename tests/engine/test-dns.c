/* Unit tests of lib/engine/dns.c (and DNS over TCP in analysis.c): matching by id + 5-tuple, response times,
 * rcodes, unanswered at finish, repeated queries, compression-pointer loops, hostile names kept as data, the
 * TC flag, DNS over TCP with two messages in one segment, a message cut by the snaplen, a length prefix in
 * its own segment; DNS on other UDP ports, counted apart, and what the heuristic must not take for DNS. */
#include "engine/engine.h"
#include "test-util.h"

#define CLI "10.0.0.1"
#define SRV "10.0.0.53"
#define MS 1000

static tu_buf_t pk, msg;

static void udp_dns(analysis_t *a, int64_t us, bool response, const char *cli, uint16_t cport, const char *srv,
                    uint16_t id, uint16_t flags, const char *name) {
        tu_reset(&msg);
        tu_dns(&msg, id, flags, name, 1, response ? 1 : 0);
        if (response)
                tu_udp_frame(&pk, srv, 53, cli, cport, msg.b, msg.n);
        else
                tu_udp_frame(&pk, cli, cport, srv, 53, msg.b, msg.n);
        tu_feed(a, us, &pk);
}
static void query(analysis_t *a, int64_t us, uint16_t id, const char *name) {
        udp_dns(a, us, false, CLI, 33333, SRV, id, 0x0100, name);
}
static void answer(analysis_t *a, int64_t us, uint16_t id, unsigned rcode, const char *name) {
        udp_dns(a, us, true, CLI, 33333, SRV, id, (uint16_t) (0x8180 | rcode), name);
}

static const finding_t *finding(const analysis_t *a, const char *id) {
        for (unsigned i = 0; i < a->n_findings; i++)
                if (strcmp(a->findings[i].id, id) == 0)
                        return &a->findings[i];
        return NULL;
}

static void test_match(void) {
        analysis_t *a = tu_analysis(0);
        query(a, 0, 0x1234, "example.com");
        answer(a, 20 * MS, 0x1234, 0, "example.com");
        CHECK_EQU(a->dns.queries, 1);
        CHECK_EQU(a->dns.responses, 1);
        CHECK_EQU(a->dns.unmatched_responses, 0);
        CHECK_EQU(a->dns.rcodes[0], 1);
        CHECK_EQU(a->dns.rt.seen, 1);
        CHECK_EQ(a->dns.rt.max_value, 20 * NS_PER_MS);
        CHECK_EQU(a->proto[PROTO_DNS].packets, 2);
        analysis_finish(a);
        CHECK_EQU(a->dns.unanswered, 0);
        CHECK_EQ(a->n_findings, 0);
        CHECK_EQ(a->health, 100);
        char *j = tu_report(a);
        CHECK(tu_json_num(j, "dns.queries") == 1.0);
        CHECK(tu_json_num(j, "dns.responses") == 1.0);
        CHECK(tu_json_num(j, "dns.response_time_ms.p50") == 20.0);
        CHECK(tu_json_num(j, "dns.rcodes.NOERROR") == 1.0);
        free(j);
        analysis_free(a);

        /* a response with another id, from another server, or to another client port does not match */
        a = tu_analysis(0);
        query(a, 0, 0x1111, "a.example");
        answer(a, 1 * MS, 0x2222, 0, "a.example");
        udp_dns(a, 2 * MS, true, CLI, 33333, "10.0.0.54", 0x1111, 0x8180, "a.example");
        udp_dns(a, 3 * MS, true, CLI, 33334, SRV, 0x1111, 0x8180, "a.example");
        CHECK_EQU(a->dns.responses, 3);
        CHECK_EQU(a->dns.unmatched_responses, 3);
        CHECK_EQU(a->dns.rt.seen, 0);
        /* the same id from another client is another query */
        udp_dns(a, 4 * MS, false, "10.0.0.2", 33333, SRV, 0x1111, 0x0100, "a.example");
        CHECK_EQU(a->dns.repeated, 0);
        answer(a, 10 * MS, 0x1111, 0, "a.example");
        CHECK_EQU(a->dns.rt.seen, 1);
        CHECK_EQ(a->dns.rt.max_value, 10 * NS_PER_MS);
        analysis_finish(a);
        CHECK_EQU(a->dns.unanswered, 1); /* the second client's */
        analysis_free(a);
}

static void test_response_time_quantiles(void) {
        /* 20 lookups answered in 1..20 ms, over IPv6 */
        analysis_t *a = tu_analysis(0);
        for (uint16_t i = 1; i <= 20; i++) {
                udp_dns(a, i * 100 * MS, false, "2001:db8::1", 40000, "2001:db8::53", i, 0x0100, "v6.example");
                udp_dns(a, i * 100 * MS + ((i * 7) % 20 + 1) * MS, true, "2001:db8::1", 40000, "2001:db8::53", i, 0x8180,
                        "v6.example");
        }
        CHECK_EQU(a->dns.rt.seen, 20);
        analysis_finish(a);
        char *j = tu_report(a);
        CHECK(tu_json_num(j, "dns.response_time_ms.min") == 1.0);
        CHECK(tu_json_num(j, "dns.response_time_ms.max") == 20.0);
        CHECK(tu_json_num(j, "dns.response_time_ms.p50") == 10.5);
        CHECK(tu_json_num(j, "dns.response_time_ms.p95") == 19.05);
        CHECK(tu_json_num(j, "dns.unanswered") == 0.0);
        free(j);
        analysis_free(a);
}

static void test_rcodes_and_unanswered(void) {
        analysis_t *a = tu_analysis(0);
        query(a, 0, 1, "nx.example");
        answer(a, 1 * MS, 1, 3, "nx.example");
        query(a, 2 * MS, 2, "fail.example");
        answer(a, 3 * MS, 2, 2, "fail.example");
        query(a, 4 * MS, 3, "ref.example");
        answer(a, 5 * MS, 3, 5, "ref.example");
        query(a, 6 * MS, 4, "lost.example");
        CHECK_EQU(a->dns.rcodes[3], 1);
        CHECK_EQU(a->dns.rcodes[2], 1);
        CHECK_EQU(a->dns.rcodes[5], 1);
        CHECK_EQU(a->dns.unanswered, 0); /* not before the end */
        analysis_finish(a);
        CHECK_EQU(a->dns.unanswered, 1);
        CHECK_EQU(a->ev[EV_DNS_UNANSWERED].total, 1);
        if (a->ev[EV_DNS_UNANSWERED].n)
                CHECK(memcmp(a->ev[EV_DNS_UNANSWERED].v[0].text, "lost.example", 12) == 0);
        const finding_t *f = finding(a, "dns-errors");
        CHECK(f != NULL);
        if (f)
                CHECK_CONTAINS(f->title, "SERVFAIL 1, REFUSED 1");
        CHECK(finding(a, "dns-nxdomain") != NULL);
        CHECK(finding(a, "dns-timeouts") != NULL);
        int pen = 0;
        for (unsigned i = 0; i < a->n_findings; i++)
                pen += a->findings[i].penalty;
        CHECK_EQ(a->health, 100 - pen);
        char *j = tu_report(a);
        CHECK(tu_json_num(j, "dns.rcodes.NXDOMAIN") == 1.0);
        CHECK(tu_json_num(j, "dns.rcodes.SERVFAIL") == 1.0);
        CHECK(tu_json_num(j, "dns.rcodes.REFUSED") == 1.0);
        CHECK(tu_json_num(j, "dns.unanswered") == 1.0);
        free(j);
        analysis_free(a);

        /* an mDNS query to the multicast group is not a timeout */
        a = tu_analysis(0);
        tu_reset(&msg);
        tu_dns(&msg, 0, 0, "printer.local", 1, 0);
        tu_udp_frame(&pk, CLI, 5353, "224.0.0.251", 5353, msg.b, msg.n);
        tu_feed(a, 0, &pk);
        analysis_finish(a);
        CHECK(finding(a, "dns-timeouts") == NULL);
        analysis_free(a);
}

static void test_repeated(void) {
        analysis_t *a = tu_analysis(0);
        query(a, 0, 7, "slow.example");
        query(a, 1000 * MS, 7, "slow.example");
        query(a, 2000 * MS, 7, "slow.example");
        answer(a, 2010 * MS, 7, 0, "slow.example");
        CHECK_EQU(a->dns.queries, 3);
        CHECK_EQU(a->dns.repeated, 2);
        CHECK_EQU(a->dns.rt.seen, 1);
        CHECK_EQ(a->dns.rt.max_value, 2010 * NS_PER_MS); /* from the first query */
        analysis_finish(a);
        CHECK_EQU(a->dns.unanswered, 0);
        CHECK(finding(a, "dns-slow") != NULL);
        analysis_free(a);
}

static void test_hostile_messages(void) {
        analysis_t *a = tu_analysis(0);
        /* the question name is a pointer to itself, then a two-pointer loop */
        static const uint8_t loop1[] = { 0, 9, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1 };
        static const uint8_t loop2[] = { 0, 9, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0e, 0xc0, 0x0c, 0, 1 };
        static const uint8_t fwd[] = { 0, 9, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0xff };
        static const uint8_t label_cut[] = { 0, 9, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 60, 'a', 'b' };
        static const uint8_t bad_label[] = { 0, 9, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0x80, 'a', 0, 0, 1, 0, 1 };
        const uint8_t *m[] = { loop1, loop2, fwd, label_cut, bad_label };
        const size_t ml[] = { sizeof loop1, sizeof loop2, sizeof fwd, sizeof label_cut, sizeof bad_label };
        for (unsigned i = 0; i < 5; i++) {
                tu_udp_frame(&pk, SRV, 53, CLI, 33333, m[i], ml[i]);
                tu_feed(a, i * MS, &pk);
        }
        CHECK_EQU(a->dns.responses, 5);
        /* a message shorter than a header is not DNS */
        tu_udp_frame(&pk, SRV, 53, CLI, 33333, loop1, 11);
        tu_feed(a, 10 * MS, &pk);
        CHECK_EQU(a->dns.responses, 5);

        /* names with hostile bytes: kept as data, escaped in both reports */
        static const char evil[] = "<script>alert(1)</script>.x\"y\\z.\xff\xfe.\x01\x7f";
        query(a, 20 * MS, 0x4444, evil);
        analysis_finish(a);
        CHECK_EQU(a->ev[EV_DNS_UNANSWERED].n, 1);
        if (a->ev[EV_DNS_UNANSWERED].n) {
                const event_t *e = &a->ev[EV_DNS_UNANSWERED].v[0];
                CHECK_EQU(e->text_len, strlen(evil));
                CHECK(memcmp(e->text, evil, strlen(evil)) == 0);
        }
        char *j = tu_report(a); /* must parse */
        CHECK_CONTAINS(j, "<script>alert(1)</script>.x\\\"y\\\\z.\\ufffd\\ufffd.\\u0001\\u007f");
        free(j);
        tu_out_t o;
        tu_out_open(&o);
        CHECK_EQ(analysis_write_html(a, o.f), 0);
        const char *h = tu_out_text(&o);
        CHECK_MSG(!strstr(h, "<script>alert(1)"), "the HTML report holds a packet's <script> unescaped");
        CHECK_MSG(!strstr(h, "\xff\xfe"), "the HTML report holds invalid UTF-8 from a packet");
        CHECK(strstr(h, "&lt;script&gt;alert(1)") != NULL);
        tu_out_close(&o);
        analysis_free(a);
}

static void test_long_name(void) {
        /* four 63-byte labels (a 255-byte name): kept up to the 95 bytes an event holds */
        char name[300];
        size_t o = 0;
        for (int l = 0; l < 4; l++) {
                if (l)
                        name[o++] = '.';
                memset(name + o, 'a' + l, 63);
                o += 63;
        }
        name[o] = 0;
        analysis_t *a = tu_analysis(0);
        query(a, 0, 9, name);
        analysis_finish(a);
        CHECK_EQU(a->ev[EV_DNS_UNANSWERED].n, 1);
        if (a->ev[EV_DNS_UNANSWERED].n) {
                const event_t *e = &a->ev[EV_DNS_UNANSWERED].v[0];
                CHECK_U(e->text_len, <=, sizeof e->text);
                CHECK_U(e->text_len, >=, 63);
                CHECK(memcmp(e->text, name, e->text_len) == 0);
        }
        free(tu_report(a));
        analysis_free(a);
}

static void test_tc_flag(void) {
        analysis_t *a = tu_analysis(0);
        query(a, 0, 5, "big.example");
        udp_dns(a, 1 * MS, true, CLI, 33333, SRV, 5, 0x8380, "big.example"); /* TC */
        CHECK_EQU(a->dns.truncated_flag, 1);
        CHECK_EQU(a->dns.rt.seen, 1);
        analysis_free(a);
}

/* DNS over TCP: client 10.0.0.1:40000 -> 10.0.0.53:53 */
static void tcp_seg(analysis_t *a, int64_t us, int dir, uint32_t seq, uint32_t ack, uint8_t flags, const tu_buf_t *payload,
                    uint32_t caplen_cut) {
        tu_reset(&pk);
        tu_eth(&pk, 0x0800);
        size_t ip = dir == 0 ? tu_ipv4(&pk, CLI, SRV, 6, NULL, 0) : tu_ipv4(&pk, SRV, CLI, 6, NULL, 0);
        if (dir == 0)
                tu_tcp(&pk, 40000, 53, seq, ack, flags, 1000, NULL, 0);
        else
                tu_tcp(&pk, 53, 40000, seq, ack, flags, 1000, NULL, 0);
        if (payload)
                tu_put(&pk, payload->b, payload->n);
        tu_ipv4_end(&pk, ip);
        uint32_t caplen = caplen_cut && caplen_cut < pk.n ? caplen_cut : (uint32_t) pk.n;
        analysis_feed_packet(a, 1, us * 1000, caplen, (uint32_t) pk.n, pk.b);
}
static void tcp_msg(tu_buf_t *t, uint16_t id, uint16_t flags, const char *name, uint16_t an) {
        size_t at = t->n;
        tu_be16(t, 0);
        tu_dns(t, id, flags, name, 1, an);
        tu_set_be16(t, at, (uint16_t) (t->n - at - 2));
}

static void test_dns_over_tcp(void) {
        analysis_t *a = tu_analysis(0);
        tu_buf_t q = { 0 }, r = { 0 };
        tcp_seg(a, 0, 0, 100, 0, TCP_SYN, NULL, 0);
        tcp_seg(a, 1 * MS, 1, 900, 101, TCP_SYN | TCP_ACK, NULL, 0);
        tcp_seg(a, 2 * MS, 0, 101, 901, TCP_ACK, NULL, 0);
        /* two queries in one segment, two responses in one segment */
        tcp_msg(&q, 1, 0x0100, "one.example", 0);
        tcp_msg(&q, 2, 0x0100, "two.example", 0);
        tcp_seg(a, 3 * MS, 0, 101, 901, TCP_ACK | TCP_PSH, &q, 0);
        tcp_msg(&r, 1, 0x8180, "one.example", 1);
        tcp_msg(&r, 2, 0x8183, "two.example", 0);
        tcp_seg(a, 10 * MS, 1, 901, 101 + (uint32_t) q.n, TCP_ACK | TCP_PSH, &r, 0);
        CHECK_EQU(a->dns.queries, 2);
        CHECK_EQU(a->dns.responses, 2);
        CHECK_EQU(a->dns.tcp_messages, 4);
        CHECK_EQU(a->dns.rcodes[3], 1);
        CHECK_EQU(a->dns.rt.seen, 2);
        uint32_t cseq = 101 + (uint32_t) q.n, sseq = 901 + (uint32_t) r.n;

        /* a response cut by the snaplen (only its header and question captured), then one more */
        tu_reset(&q);
        tcp_msg(&q, 3, 0x0100, "three.example", 0);
        tcp_seg(a, 20 * MS, 0, cseq, sseq, TCP_ACK | TCP_PSH, &q, 0);
        cseq += (uint32_t) q.n;
        tu_reset(&r);
        tcp_msg(&r, 3, 0x8180, "three.example", 30); /* 30 answers: long */
        tcp_seg(a, 25 * MS, 1, sseq, cseq, TCP_ACK | TCP_PSH, &r, 14 + 20 + 20 + 2 + 40);
        sseq += (uint32_t) r.n;
        CHECK_EQU(a->dns.responses, 3);
        CHECK_EQU(a->dns.rt.seen, 3);
        tu_reset(&q);
        tcp_msg(&q, 4, 0x0100, "four.example", 0);
        tcp_seg(a, 30 * MS, 0, cseq, sseq, TCP_ACK | TCP_PSH, &q, 0);
        cseq += (uint32_t) q.n;
        tu_reset(&r);
        tcp_msg(&r, 4, 0x8180, "four.example", 1);
        tcp_seg(a, 31 * MS, 1, sseq, cseq, TCP_ACK | TCP_PSH, &r, 0);
        sseq += (uint32_t) r.n;
        CHECK_EQU(a->dns.queries, 4);
        CHECK_EQU(a->dns.responses, 4);
        CHECK_EQU(a->dns.rt.seen, 4);

        /* the 2-byte length in a segment of its own, the message in the next (stacks that write them
         * separately): both are one message */
        tu_reset(&q);
        tcp_msg(&q, 5, 0x0100, "five.example", 0);
        tu_buf_t len = { 0 }, body = { 0 };
        tu_put(&len, q.b, 2);
        tu_put(&body, q.b + 2, q.n - 2);
        tcp_seg(a, 40 * MS, 0, cseq, sseq, TCP_ACK | TCP_PSH, &len, 0);
        tcp_seg(a, 40 * MS + 10, 0, cseq + 2, sseq, TCP_ACK | TCP_PSH, &body, 0);
        cseq += (uint32_t) q.n;
        tu_reset(&r);
        tcp_msg(&r, 5, 0x8180, "five.example", 1);
        tcp_seg(a, 45 * MS, 1, sseq, cseq, TCP_ACK | TCP_PSH, &r, 0);
        sseq += (uint32_t) r.n;
        CHECK_MSG(a->dns.queries == 5, "a DNS/TCP message whose length prefix came in its own segment was missed: "
                                       "%llu queries (expected 5)", (unsigned long long) a->dns.queries);
        CHECK_EQU(a->dns.responses, 5);

        /* the length prefix itself split, one byte in each segment (issue 11, 5): still one message, and the
         * direction stays in step for the next one */
        tu_reset(&q);
        tcp_msg(&q, 6, 0x0100, "six.example", 0);
        tu_buf_t b1 = { 0 }, b2 = { 0 };
        tu_put(&b1, q.b, 1);
        tu_put(&b2, q.b + 1, q.n - 1);
        tcp_seg(a, 50 * MS, 0, cseq, sseq, TCP_ACK | TCP_PSH, &b1, 0);
        tcp_seg(a, 50 * MS + 10, 0, cseq + 1, sseq, TCP_ACK | TCP_PSH, &b2, 0);
        cseq += (uint32_t) q.n;
        tu_reset(&r);
        tcp_msg(&r, 6, 0x8180, "six.example", 1);
        tu_reset(&b1);
        tu_reset(&b2);
        tu_put(&b1, r.b, 1);
        tu_put(&b2, r.b + 1, r.n - 1);
        tcp_seg(a, 55 * MS, 1, sseq, cseq, TCP_ACK | TCP_PSH, &b1, 0);
        tcp_seg(a, 55 * MS + 10, 1, sseq + 1, cseq, TCP_ACK | TCP_PSH, &b2, 0);
        sseq += (uint32_t) r.n;
        CHECK_MSG(a->dns.queries == 6 && a->dns.responses == 6, "a length prefix split byte by byte: %llu queries, %llu "
                  "responses (expected 6, 6)", (unsigned long long) a->dns.queries, (unsigned long long) a->dns.responses);
        tu_reset(&q);
        tcp_msg(&q, 7, 0x0100, "seven.example", 0);
        tcp_seg(a, 60 * MS, 0, cseq, sseq, TCP_ACK | TCP_PSH, &q, 0);
        cseq += (uint32_t) q.n;
        tu_reset(&r);
        tcp_msg(&r, 7, 0x8180, "seven.example", 1);
        tcp_seg(a, 61 * MS, 1, sseq, cseq, TCP_ACK | TCP_PSH, &r, 0);
        CHECK_EQU(a->dns.queries, 7);
        CHECK_EQU(a->dns.responses, 7);
        tu_free(&b1);
        tu_free(&b2);
        analysis_finish(a);
        CHECK_MSG(a->dns.unanswered == 0, "%llu unanswered", (unsigned long long) a->dns.unanswered);
        CHECK_EQU(a->dns.unmatched_responses, 0);
        tu_free(&q);
        tu_free(&r);
        tu_free(&len);
        tu_free(&body);
        analysis_free(a);
}

/* Issue 11, part 4: DNS over TCP on a connection seen without its handshake, and after a segment the
 * capture missed: parsing locks on a segment that starts with a whole plausible message. A segment that
 * does not look like one (random bytes) locks nothing. */
static void test_dns_over_tcp_midstream(void) {
        analysis_t *a = tu_analysis(0);
        tu_buf_t q = { 0 }, r = { 0 }, junk = { 0 };
        uint32_t cseq = 7000, sseq = 9000;
        tu_pattern(&junk, 40);
        tcp_seg(a, 1 * MS, 0, cseq, sseq, TCP_ACK | TCP_PSH, &junk, 0); /* the tail of an earlier message */
        cseq += (uint32_t) junk.n;
        tcp_msg(&q, 11, 0x0100, "mid.example", 0);
        tcp_seg(a, 2 * MS, 0, cseq, sseq, TCP_ACK | TCP_PSH, &q, 0);
        cseq += (uint32_t) q.n;
        tcp_msg(&r, 11, 0x8180, "mid.example", 1);
        tcp_seg(a, 5 * MS, 1, sseq, cseq, TCP_ACK | TCP_PSH, &r, 0);
        sseq += (uint32_t) r.n;
        CHECK_EQU(a->dns.queries, 1);
        CHECK_EQU(a->dns.responses, 1);
        /* a query the capture missed (its bytes never seen), then the next one */
        tu_reset(&q);
        tcp_msg(&q, 12, 0x0100, "lost.example", 0);
        cseq += (uint32_t) q.n;
        tu_reset(&q);
        tcp_msg(&q, 13, 0x0100, "next.example", 0);
        tcp_seg(a, 10 * MS, 0, cseq, sseq, TCP_ACK | TCP_PSH, &q, 0);
        cseq += (uint32_t) q.n;
        tu_reset(&r);
        tcp_msg(&r, 13, 0x8180, "next.example", 1);
        tcp_seg(a, 12 * MS, 1, sseq, cseq, TCP_ACK | TCP_PSH, &r, 0);
        CHECK_EQU(a->dns.queries, 2);
        CHECK_EQU(a->dns.responses, 2);
        analysis_finish(a);
        CHECK_EQU(a->dns.unmatched_responses, 0);
        tu_free(&q);
        tu_free(&r);
        tu_free(&junk);
        analysis_free(a);
}

static void test_many_pending(void) {
        /* more unanswered queries than max_dns_pending: bounded, counted */
        analysis_limits_t lim;
        analysis_limits_default(&lim);
        lim.max_dns_pending = 100;
        analysis_t *a = NULL;
        CHECK_EQ(analysis_new(&lim, &a), 0);
        for (uint32_t i = 0; i < 1000; i++)
                query(a, i, (uint16_t) i, "x.example");
        CHECK_EQU(a->dns.queries, 1000);
        CHECK_U(a->dns.t.n, <=, 100);
        analysis_finish(a);
        CHECK_EQU(a->dns.unanswered + a->dns.dropped_pending, 1000);
        analysis_free(a);
}

/* ---- DNS on other UDP ports (issue 11, part 7) ---- */

static void udp_raw(analysis_t *a, int64_t us, const char *src, uint16_t sport, const char *dst, uint16_t dport,
                    const void *payload, size_t n) {
        tu_udp_frame(&pk, src, sport, dst, dport, payload, n);
        tu_feed(a, us, &pk);
}

/* a message from tu_dns sent over UDP between CLI:cport and SRV:sport (a response goes SRV -> CLI) */
static void other_dns(analysis_t *a, int64_t us, uint16_t cport, uint16_t sport, uint16_t id, uint16_t flags,
                      const char *name, uint16_t qtype) {
        bool response = flags & 0x8000;
        tu_reset(&msg);
        tu_dns(&msg, id, flags, name, qtype, response ? 1 : 0);
        if (response)
                udp_raw(a, us, SRV, sport, CLI, cport, msg.b, msg.n);
        else
                udp_raw(a, us, CLI, cport, SRV, sport, msg.b, msg.n);
}

static void check_nothing_else(const analysis_t *a) {
        CHECK_EQU(a->dns.queries, 0);
        CHECK_EQU(a->dns.responses, 0);
        CHECK_EQU(a->dns.unmatched_responses, 0);
        CHECK_EQU(a->proto[PROTO_DNS].packets, 0);
        CHECK_EQU(a->ev[EV_DNS_ERROR].total + a->ev[EV_DNS_UNANSWERED].total + a->ev[EV_DNS_SLOW].total, 0);
}

static void test_other_ports(void) {
        analysis_t *a = tu_analysis(0);
        /* a resolver on 5300 and one on 1053, each answering; one more query on 1053 never answered */
        other_dns(a, 0, 40001, 5300, 0x0101, 0x0100, "alt.example", 1);
        other_dns(a, 3 * MS, 40001, 5300, 0x0101, 0x8180, "alt.example", 1);
        other_dns(a, 10 * MS, 40002, 1053, 0x0202, 0x0100, "b.example", 28);
        other_dns(a, 17 * MS, 40002, 1053, 0x0202, 0x8183, "b.example", 28); /* NXDOMAIN */
        other_dns(a, 20 * MS, 40003, 1053, 0x0303, 0x0100, "lost.example", 1);
        CHECK_EQU(a->dns_other.s.queries, 3);
        CHECK_EQU(a->dns_other.s.responses, 2);
        CHECK_EQU(a->dns_other.s.rcodes[0], 1);
        CHECK_EQU(a->dns_other.s.rcodes[3], 1);
        CHECK_EQU(a->dns_other.s.rt.seen, 2);
        CHECK_EQ(a->dns_other.s.rt.max_value, 7 * NS_PER_MS);
        check_nothing_else(a);
        analysis_finish(a);
        CHECK_EQU(a->dns_other.s.unanswered, 1);
        CHECK_EQU(a->dns.unanswered, 0);
        CHECK(finding(a, "dns-timeouts") == NULL); /* counted apart: no finding, no event, no score */
        CHECK(finding(a, "dns-nxdomain") == NULL);
        CHECK_EQ(a->health, 100);
        check_nothing_else(a);
        char *j = tu_report(a);
        CHECK(tu_json_num(j, "dns.queries") == 0.0);
        CHECK(tu_json_num(j, "dns.other_ports.queries") == 3.0);
        CHECK(tu_json_num(j, "dns.other_ports.responses") == 2.0);
        CHECK(tu_json_num(j, "dns.other_ports.unanswered") == 1.0);
        CHECK(tu_json_num(j, "dns.other_ports.rcodes.NXDOMAIN") == 1.0);
        CHECK(tu_json_num(j, "dns.other_ports.response_time_ms.max") == 7.0);
        CHECK(tu_json_num(j, "dns.other_ports.ports.0.port") == 1053.0); /* most queries first */
        CHECK(tu_json_num(j, "dns.other_ports.ports.0.queries") == 2.0);
        CHECK(tu_json_num(j, "dns.other_ports.ports.1.port") == 5300.0);
        free(j);
        analysis_free(a);
}

/* An answer counts only when it answers a query the heuristic took: same client and server, same id, same
 * question (name, type, class). */
static void test_other_ports_unmatched(void) {
        analysis_t *a = tu_analysis(0);
        other_dns(a, 0, 40001, 5300, 0x0a0a, 0x8180, "nobody.example", 1); /* no query seen */
        other_dns(a, 1 * MS, 40001, 5300, 0x0b0b, 0x0100, "q.example", 1);
        other_dns(a, 2 * MS, 40001, 5300, 0x0b0b, 0x8180, "other.example", 1); /* another name */
        other_dns(a, 3 * MS, 40001, 5300, 0x0b0b, 0x8180, "q.example", 28);    /* another type */
        other_dns(a, 4 * MS, 40001, 5300, 0x0b0c, 0x8180, "q.example", 1);     /* another id */
        other_dns(a, 5 * MS, 40009, 5300, 0x0b0b, 0x8180, "q.example", 1);     /* another client port */
        tu_reset(&msg);
        tu_dns(&msg, 0x0b0b, 0x8180, "q.example", 1, 1);
        udp_raw(a, 6 * MS, "10.0.0.99", 5300, CLI, 40001, msg.b, msg.n);       /* another server */
        CHECK_EQU(a->dns_other.s.queries, 1);
        CHECK_EQU(a->dns_other.s.responses, 0);
        /* the answer, its name in other letters (case is not part of a name) */
        other_dns(a, 8 * MS, 40001, 5300, 0x0b0b, 0x8180, "Q.Example", 1);
        CHECK_EQU(a->dns_other.s.responses, 1);
        CHECK_EQ(a->dns_other.s.rt.max_value, 7 * NS_PER_MS);
        /* answered once: a second copy is not a response */
        other_dns(a, 9 * MS, 40001, 5300, 0x0b0b, 0x8180, "q.example", 1);
        CHECK_EQU(a->dns_other.s.responses, 1);
        check_nothing_else(a);
        analysis_finish(a);
        CHECK_EQU(a->dns_other.s.unanswered, 0);
        analysis_free(a);
}

/* What must never count: payloads of other protocols and DNS-shaped near misses. */
static void test_other_ports_not_dns(void) {
        analysis_t *a = tu_analysis(0);
        tu_buf_t b = { 0 };
        /* RTP (RFC 3550: V=2, PT 0, sequence, timestamp, SSRC) and a 160-byte voice payload */
        static const uint8_t rtp[12] = { 0x80, 0x00, 0x12, 0x34, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34 };
        tu_put(&b, rtp, sizeof rtp);
        tu_pattern(&b, 160);
        udp_raw(a, 0, CLI, 16384, SRV, 5004, b.b, b.n);
        /* QUIC v1 Initial (long header: version 1, 8-byte connection ids) and a short-header packet */
        static const uint8_t quic[] = { 0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0x44, 0xd0 };
        tu_reset(&b);
        tu_put(&b, quic, sizeof quic);
        tu_pattern(&b, 1200);
        udp_raw(a, 1 * MS, CLI, 50000, SRV, 443, b.b, b.n);
        tu_reset(&b);
        tu_u8(&b, 0x41);
        tu_pattern(&b, 60);
        udp_raw(a, 2 * MS, CLI, 50000, SRV, 443, b.b, b.n);
        /* patterned and all-zero payloads of every length up to 80 bytes */
        static const uint8_t zeros[80];
        for (size_t n = 0; n <= 80; n++) {
                udp_raw(a, 3 * MS, CLI, 27015, SRV, 27016, NULL, n);
                udp_raw(a, 4 * MS, CLI, 27015, SRV, 27016, zeros, n);
        }
        /* DNS-shaped near misses, each a query to port 5300 */
        tu_reset(&msg);
        tu_dns(&msg, 1, 0x0100, "x.example", 1, 0);
        tu_u8(&msg, 0); /* a byte after the question */
        udp_raw(a, 5 * MS, CLI, 40001, SRV, 5300, msg.b, msg.n);
        tu_reset(&msg);
        tu_dns(&msg, 2, 0x0100, "x.example", 1, 1); /* a query with an answer */
        udp_raw(a, 6 * MS, CLI, 40001, SRV, 5300, msg.b, msg.n);
        tu_reset(&msg);
        tu_dns(&msg, 3, 0x2000, "x.example", 1, 0); /* NOTIFY (opcode 4) */
        udp_raw(a, 7 * MS, CLI, 40001, SRV, 5300, msg.b, msg.n);
        tu_reset(&msg);
        tu_dns(&msg, 4, 0x0140, "x.example", 1, 0); /* Z set */
        udp_raw(a, 8 * MS, CLI, 40001, SRV, 5300, msg.b, msg.n);
        tu_reset(&msg);
        tu_dns(&msg, 5, 0x0103, "x.example", 1, 0); /* an rcode in a query */
        udp_raw(a, 9 * MS, CLI, 40001, SRV, 5300, msg.b, msg.n);
        tu_reset(&msg);
        tu_dns(&msg, 6, 0x0100, "x.example", 0, 0); /* QTYPE 0 */
        udp_raw(a, 10 * MS, CLI, 40001, SRV, 5300, msg.b, msg.n);
        tu_reset(&msg);
        tu_dns(&msg, 7, 0x0100, "x.example", 1, 0);
        tu_set_be16(&msg, msg.n - 2, 2); /* QCLASS CS (obsolete) */
        udp_raw(a, 11 * MS, CLI, 40001, SRV, 5300, msg.b, msg.n);
        static const uint8_t pointer[] = { 0, 8, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1 };
        udp_raw(a, 12 * MS, CLI, 40001, SRV, 5300, pointer, sizeof pointer); /* a compressed question name */
        tu_reset(&msg);
        tu_dns(&msg, 9, 0x0100, "x.example", 1, 0);
        tu_set_be16(&msg, 10, 3); /* three additional records announced, none there */
        udp_raw(a, 13 * MS, CLI, 40001, SRV, 5300, msg.b, msg.n);
        /* NetBIOS name service: DNS's format on port 137 (RFC 1002) */
        tu_reset(&msg);
        tu_dns(&msg, 10, 0x0110, "EOGFGLGPCACACACACACACACACACACAAA", 0x20, 0);
        udp_raw(a, 14 * MS, CLI, 137, "10.0.0.255", 137, msg.b, msg.n);
        CHECK_EQU(a->dns_other.s.queries, 0);
        CHECK_EQU(a->dns_other.n_ports, 0);
        /* the same query well formed is taken, with an EDNS OPT record after its question */
        tu_reset(&msg);
        tu_dns(&msg, 11, 0x0120, "x.example", 1, 0);
        tu_set_be16(&msg, 10, 1);
        static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
        tu_put(&msg, opt, sizeof opt);
        udp_raw(a, 15 * MS, CLI, 40001, SRV, 5300, msg.b, msg.n);
        CHECK_EQU(a->dns_other.s.queries, 1);
        check_nothing_else(a);
        tu_free(&b);
        analysis_free(a);
}

/* A repeated query keeps the first one's time, as on DNS's own ports; the pending table is bounded (a
 * quarter of max_dns_pending) and does not take room from DNS on its own ports. */
static void test_other_ports_repeat_and_limit(void) {
        analysis_t *a = tu_analysis(0);
        other_dns(a, 0, 40001, 5300, 7, 0x0100, "slow.example", 1);
        other_dns(a, 1000 * MS, 40001, 5300, 7, 0x0100, "slow.example", 1);
        other_dns(a, 1010 * MS, 40001, 5300, 7, 0x8180, "slow.example", 1);
        CHECK_EQU(a->dns_other.s.queries, 2);
        CHECK_EQU(a->dns_other.s.repeated, 1);
        CHECK_EQ(a->dns_other.s.rt.max_value, 1010 * NS_PER_MS);
        analysis_free(a);

        analysis_limits_t lim;
        analysis_limits_default(&lim);
        lim.max_dns_pending = 100;
        a = NULL;
        CHECK_EQ(analysis_new(&lim, &a), 0);
        for (uint32_t i = 0; i < 1000; i++)
                other_dns(a, i, 40001, 5300, (uint16_t) i, 0x0100, "x.example", 1);
        for (uint32_t i = 0; i < 100; i++)
                query(a, 1000 + i, (uint16_t) i, "y.example");
        CHECK_EQU(a->dns_other.s.queries, 1000);
        CHECK_U(a->dns_other.s.t.n, <=, 25);
        CHECK_EQU(a->dns.dropped_pending, 0);
        analysis_finish(a);
        CHECK_EQU(a->dns_other.s.unanswered + a->dns_other.s.dropped_pending, 1000);
        CHECK_EQU(a->dns.unanswered, 100);
        analysis_free(a);
}

/* Search-path NXDOMAIN (ANALYSES.md): which NXDOMAIN/NOERROR pairs are one lookup through a search list. */
static void test_search_path_pair(void) {
#define PAIR(nx, ok) dns_search_path_pair(nx, strlen(nx), ok, strlen(ok))
        /* ndots:5: the search domains first, the name itself last */
        CHECK(PAIR("api.example.com.default.svc.cluster.local", "api.example.com"));
        CHECK(PAIR("api.example.com.cluster.local", "API.Example.com"));
        /* a service of another namespace: a later search domain answers (they nest) */
        CHECK(PAIR("db.other.default.svc.cluster.local", "db.other.svc.cluster.local"));
        CHECK(PAIR("printer.lab.corp.example", "printer.corp.example"));
        /* not one lookup */
        CHECK(!PAIR("typo.example.org", "example.org"));       /* no common first label */
        CHECK(!PAIR("api.example.com", "api.example.com"));    /* the same name: nothing was added */
        CHECK(!PAIR("www.example.com", "www.example.net"));    /* other domains that do not nest */
        CHECK(!PAIR("apix.cluster.local", "api"));              /* labels, not bytes */
        CHECK(!PAIR("api", "api.example.com"));
        CHECK(!PAIR("", "api"));
#undef PAIR
}

int main(void) {
        RUN(test_search_path_pair);
        RUN(test_match);
        RUN(test_response_time_quantiles);
        RUN(test_rcodes_and_unanswered);
        RUN(test_repeated);
        RUN(test_hostile_messages);
        RUN(test_long_name);
        RUN(test_tc_flag);
        RUN(test_dns_over_tcp);
        RUN(test_dns_over_tcp_midstream);
        RUN(test_many_pending);
        RUN(test_other_ports);
        RUN(test_other_ports_unmatched);
        RUN(test_other_ports_not_dns);
        RUN(test_other_ports_repeat_and_limit);
        tu_free(&pk);
        tu_free(&msg);
        return tu_exit();
}
