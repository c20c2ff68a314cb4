/* Unit tests of lib/engine/security*.c: the shared helpers (inside addresses, the entropy of a name), each
 * detector on both sides of its thresholds, ordinary traffic that only the rule's last condition keeps from
 * being a finding (so the negative cases are not vacuous), bounded tables that say what they dropped, and
 * reports that do not depend on the analysis's random key. */
#include <math.h>

#include "engine/engine.h"
#include "test-util.h"

#define MS 1000LL
#define S 1000000LL

static tu_buf_t pk, msg;

static void tcp(analysis_t *a, int64_t us, const char *src, uint16_t sp, const char *dst, uint16_t dp, uint32_t seq,
                uint32_t ack, uint8_t flags, size_t len) {
        tu_tcp_frame(&pk, src, sp, dst, dp, seq, ack, flags, 64000, NULL, 0, len);
        tu_feed(a, us, &pk);
}

/* A completed connection: handshake, up bytes from the client, down from the server (1000-byte segments),
 * FINs; returns its end. */
static int64_t conn(analysis_t *a, int64_t t, const char *c, uint16_t cp, const char *s, uint16_t sp, size_t up,
                    size_t down) {
        uint32_t cs = 1000, ss = 50000;
        tcp(a, t, c, cp, s, sp, cs, 0, TCP_SYN, 0);
        tcp(a, t + 100, s, sp, c, cp, ss, cs + 1, TCP_SYN | TCP_ACK, 0);
        tcp(a, t + 200, c, cp, s, sp, cs + 1, ss + 1, TCP_ACK, 0);
        cs++, ss++;
        t += 300;
        for (size_t n = 0; n < up; n += 1000, t += 10) {
                size_t k = up - n < 1000 ? up - n : 1000;
                tcp(a, t, c, cp, s, sp, cs, ss, TCP_ACK | TCP_PSH, k);
                cs += (uint32_t) k;
        }
        for (size_t n = 0; n < down; n += 1000, t += 10) {
                size_t k = down - n < 1000 ? down - n : 1000;
                tcp(a, t, s, sp, c, cp, ss, cs, TCP_ACK | TCP_PSH, k);
                ss += (uint32_t) k;
                if ((n / 1000) % 8 == 7 || n + k >= down)
                        tcp(a, t + 5, c, cp, s, sp, cs, ss, TCP_ACK, 0);
        }
        tcp(a, t + 100, c, cp, s, sp, cs, ss, TCP_ACK | TCP_FIN, 0);
        tcp(a, t + 200, s, sp, c, cp, ss, cs + 1, TCP_ACK | TCP_FIN, 0);
        tcp(a, t + 300, c, cp, s, sp, cs + 1, ss + 1, TCP_ACK, 0);
        return t + 300;
}

static analysis_t *new_analysis(const char *name, const char *value) {
        analysis_t *a = tu_analysis(0);
        if (name) {
                thresholds_t th;
                thresholds_default(&th);
                CHECK_EQ(thresholds_set(&th, name, value, TS_OPTION, "test"), 0);
                CHECK_EQ(analysis_set_thresholds(a, &th), 0);
        }
        return a;
}

/* The security finding of the finished analysis with this id, NULL; and that it is the only security one. */
static const finding_t *sec_finding(analysis_t *a, const char *id) {
        analysis_finish(a);
        const finding_t *found = NULL;
        unsigned n = 0;
        for (unsigned i = 0; i < a->n_findings; i++)
                if (a->findings[i].cause == CAUSE_SECURITY) {
                        n++;
                        if (strcmp(a->findings[i].id, id) == 0)
                                found = &a->findings[i];
                }
        CHECK_MSG(n <= 1, "%u security findings", n);
        if (found) {
                CHECK(found->filter[0]);
                CHECK(found->title[0] && found->detail[0]);
                CHECK(found->n_flows >= 1);
                CHECK_EQ(found->cost, -1); /* no measured time: not in where the time went */
                CHECK(found->penalty > 0);
                CHECK(strcmp(cause_name(found->cause), "security") == 0);
        }
        return found;
}

static unsigned sec_findings(analysis_t *a) {
        analysis_finish(a);
        unsigned n = 0;
        for (unsigned i = 0; i < a->n_findings; i++)
                n += a->findings[i].cause == CAUSE_SECURITY;
        return n;
}

static void test_addr_internal(void) {
        const struct {
                const char *s;
                bool in;
        } v[] = {
                { "10.1.2.3", true },  { "172.16.0.1", true },  { "172.31.255.255", true }, { "172.32.0.1", false },
                { "192.168.9.9", true }, { "100.64.0.1", true }, { "100.128.0.1", false }, { "127.0.0.1", true },
                { "169.254.1.1", true }, { "8.8.8.8", false },  { "198.51.100.7", false },
        };
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
                addr_t x = { .family = 4 };
                tu_addr4(x.b, v[i].s);
                CHECK_MSG(security_addr_internal(&x) == v[i].in, "%s", v[i].s);
        }
        addr_t x = { .family = 6 };
        tu_addr6(x.b, "fd00::1");
        CHECK(security_addr_internal(&x));
        tu_addr6(x.b, "fe80::1");
        CHECK(security_addr_internal(&x));
        tu_addr6(x.b, "2001:db8::1");
        CHECK(!security_addr_internal(&x));
}

static void test_entropy(void) {
        /* random base32 and hexadecimal data: near the most their length allows */
        const char *b32 = "mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpjrgcztdmrswo2dbnfvgw3dn";
        const char *hex = "f94201fdf54b1241958300589944398e0887a597b52c6612137886a9f8b1";
        CHECK(security_entropy_pct(b32, strlen(b32)) >= 80);
        CHECK(security_entropy_pct(hex, strlen(hex)) >= 80);
        /* host names made of words: below */
        const char *host = "static-assets-frontend-production-eu-west";
        CHECK(security_entropy_pct(host, strlen(host)) < 80);
        CHECK(security_entropy_pct("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 41) < 1);
        CHECK(security_entropy_pct("A", 1) == 0);
        /* case folded: the same figure */
        CHECK(fabs(security_entropy_pct("AbCdEf0123", 10) - security_entropy_pct("abcdef0123", 10)) < 1e-9);
}

/* n failed SYNs from one scanner to n ports of one host, each refused */
static void vertical(analysis_t *a, int n) {
        for (int i = 0; i < n; i++) {
                int64_t t = i * 10 * MS;
                tcp(a, t, "10.5.0.66", 60000, "10.5.0.9", (uint16_t) (1000 + i), 7, 0, TCP_SYN, 0);
                tcp(a, t + 100, "10.5.0.9", (uint16_t) (1000 + i), "10.5.0.66", 60000, 0, 8, TCP_RST | TCP_ACK, 0);
        }
}

static void test_scan(void) {
        analysis_t *a = new_analysis(NULL, NULL);
        vertical(a, 24);
        CHECK(!sec_finding(a, "security-port-scan"));
        analysis_free(a);
        a = new_analysis(NULL, NULL);
        vertical(a, 25);
        const finding_t *f = sec_finding(a, "security-port-scan");
        CHECK(f && strstr(f->title, "25 closed or silent ports of 10.5.0.9"));
        CHECK(f && strstr(f->filter, "ip.src==10.5.0.66 && ip.dst==10.5.0.9"));
        analysis_free(a);
        /* a client whose connections all succeed, to 40 ports of one host (FTP's passive data connections):
         * no scan; the same ports refused would be one */
        a = new_analysis(NULL, NULL);
        for (int i = 0; i < 40; i++)
                conn(a, i * 100 * MS, "10.5.0.1", (uint16_t) (40000 + i), "10.5.0.9", (uint16_t) (50000 + i), 100, 100);
        CHECK_EQ(sec_findings(a), 0);
        analysis_free(a);
        /* IPv6: the same rule, and a filter in ipv6 terms */
        a = new_analysis(NULL, NULL);
        for (int i = 0; i < 30; i++)
                tcp(a, i * MS, "fd00::66", 60000, "fd00::9", (uint16_t) (2000 + i), 7, 0, TCP_SYN, 0);
        f = sec_finding(a, "security-port-scan");
        CHECK(f && strstr(f->title, "fd00::66 probed 30 closed or silent ports of fd00::9"));
        CHECK(f && strstr(f->filter, "ipv6.src==fd00::66 && ipv6.dst==fd00::9"));
        analysis_free(a);
        /* horizontal, by threshold: 10 hosts are a scan once scan_hosts_count is 10 */
        a = new_analysis("scan_hosts_count", "10");
        for (int i = 0; i < 10; i++) {
                char h[32];
                snprintf(h, sizeof h, "10.6.1.%d", i + 1);
                tcp(a, i * MS, "10.6.0.66", 40000, h, 23, 5, 0, TCP_SYN, 0);
        }
        f = sec_finding(a, "security-port-scan");
        CHECK(f && strstr(f->title, "port 23 of 10 hosts"));
        analysis_free(a);
}

/* 1,500 connections to one web port within 0.75 s from 500 clients, each completed */
static void busy_server(analysis_t *a) {
        for (int i = 0; i < 1500; i++) {
                char c[32];
                snprintf(c, sizeof c, "10.23.%d.%d", 1 + i / 250 % 2, 1 + i % 250);
                conn(a, i * 500, c, (uint16_t) (20000 + i), "10.23.0.80", 80, 200, 1000);
        }
}

static void test_flood(void) {
        analysis_t *a = new_analysis(NULL, NULL);
        busy_server(a);
        CHECK_EQ(sec_findings(a), 0);
        analysis_free(a);
        /* the same traffic is a flood by rate alone: only the completed handshakes keep it from one */
        a = new_analysis("flood_unanswered_pct", "0");
        busy_server(a);
        const finding_t *f = sec_finding(a, "security-syn-flood");
        CHECK(f && strstr(f->title, "10.23.0.80 port 80 received 1500 connection attempts within one second"));
        analysis_free(a);
        /* half-open: 1,000 SYNs within one second, each answered by a SYN/ACK that nobody completes */
        a = new_analysis(NULL, NULL);
        for (int i = 0; i < 1000; i++) {
                char c[32];
                snprintf(c, sizeof c, "198.18.%d.%d", i / 250, 1 + i % 250);
                tcp(a, i * 900, c, (uint16_t) (1024 + i), "10.7.0.1", 443, 1, 0, TCP_SYN, 0);
                tcp(a, i * 900 + 50, "10.7.0.1", 443, c, (uint16_t) (1024 + i), 9, 2, TCP_SYN | TCP_ACK, 0);
        }
        f = sec_finding(a, "security-syn-flood");
        CHECK(f && strstr(f->title, "100% of its 1000 never completed"));
        analysis_free(a);
        /* 999 are not */
        a = new_analysis(NULL, NULL);
        for (int i = 0; i < 999; i++) {
                char c[32];
                snprintf(c, sizeof c, "198.18.%d.%d", i / 250, 1 + i % 250);
                tcp(a, i * 900, c, (uint16_t) (1024 + i), "10.7.0.1", 443, 1, 0, TCP_SYN, 0);
        }
        CHECK(!sec_finding(a, "security-syn-flood"));
        analysis_free(a);
}

static void test_brute(void) {
        /* 25 SSH sessions a second apart, 3 kB from the server each */
        analysis_t *a = new_analysis(NULL, NULL);
        for (int i = 0; i < 25; i++)
                conn(a, i * S, "203.0.113.50", (uint16_t) (50000 + i), "10.8.0.22", 22, 2500, 3000);
        const finding_t *f = sec_finding(a, "security-brute-force");
        CHECK(f && strstr(f->title, "203.0.113.50 opened 25 short connections to 10.8.0.22 port 22"));
        analysis_free(a);
        /* the same connections each bringing back 30 kB (a copy, a command's output): not short */
        a = new_analysis(NULL, NULL);
        for (int i = 0; i < 25; i++)
                conn(a, i * S, "203.0.113.50", (uint16_t) (50000 + i), "10.8.0.22", 22, 2500, 30000);
        CHECK_EQ(sec_findings(a), 0);
        analysis_free(a);
        /* 25 at a mean interval of 6 s: above brute_interval_ms (5 s) */
        a = new_analysis(NULL, NULL);
        for (int i = 0; i < 25; i++)
                conn(a, i * 6 * S, "203.0.113.50", (uint16_t) (50000 + i), "10.8.0.22", 22, 2500, 3000);
        CHECK_EQ(sec_findings(a), 0);
        analysis_free(a);
        /* a web client: 99 short connections are not a brute force, 100 are */
        for (int n = 99; n <= 100; n++) {
                a = new_analysis(NULL, NULL);
                for (int i = 0; i < n; i++)
                        conn(a, i * 500 * MS, "10.20.0.5", (uint16_t) (43000 + i), "203.0.113.200", 443, 600, 2500);
                CHECK_EQ(!!sec_finding(a, "security-brute-force"), n == 100);
                analysis_free(a);
        }
}

static void dns_query(analysis_t *a, int64_t us, uint16_t id, const char *name, uint16_t qtype) {
        tu_reset(&msg);
        tu_dns(&msg, id, 0x0100, name, qtype, 0);
        tu_udp_frame(&pk, "10.9.0.5", (uint16_t) (30000 + id), "10.9.0.53", 53, msg.b, msg.n);
        tu_feed(a, us, &pk);
        tu_reset(&msg);
        tu_dns(&msg, id, 0x8180, name, qtype, 1);
        tu_udp_frame(&pk, "10.9.0.53", 53, "10.9.0.5", (uint16_t) (30000 + id), msg.b, msg.n);
        tu_feed(a, us + 2 * MS, &pk);
}

static void b32(char *out, unsigned n, unsigned seed) {
        static const char al[] = "abcdefghijklmnopqrstuvwxyz234567";
        uint32_t x = seed * 2654435761u + 1;
        for (unsigned i = 0; i < n; i++) {
                x = x * 1103515245u + 12345u;
                out[i] = al[(x >> 16) & 31];
        }
        out[n] = 0;
}

static void test_dns_tunnel(void) {
        char name[200], d[64];
        for (int n = 49; n <= 50; n++) {
                analysis_t *a = new_analysis(NULL, NULL);
                for (int i = 0; i < n; i++) {
                        b32(d, 60, (unsigned) i);
                        snprintf(name, sizeof name, "%s.t.tunnel-example.net", d);
                        dns_query(a, i * 100 * MS, (uint16_t) i, name, 1);
                }
                const finding_t *f = sec_finding(a, "security-dns-tunnel");
                CHECK_EQ(!!f, n == 50);
                CHECK(!f || strstr(f->title, "50 queries carrying data under tunnel-example.net"));
                analysis_free(a);
        }
        /* long names made of words, and the same TXT record asked again and again: ordinary */
        analysis_t *a = new_analysis(NULL, NULL);
        for (int i = 0; i < 200; i++) {
                snprintf(name, sizeof name, "static-assets-frontend-production-%d.eu-west.cdn-example.net", i);
                dns_query(a, i * 100 * MS, (uint16_t) i, name, 1);
                dns_query(a, i * 100 * MS + 50 * MS, (uint16_t) (1000 + i), "selector1._domainkey.example.com", 16);
        }
        CHECK_EQ(sec_findings(a), 0);
        analysis_free(a);
        /* TXT for a new name each time, 50 times: a tunnel reading its answers from TXT records */
        a = new_analysis(NULL, NULL);
        for (int i = 0; i < 50; i++) {
                snprintf(name, sizeof name, "q%d.c.tunnel-example.net", i);
                dns_query(a, i * 100 * MS, (uint16_t) i, name, 16);
        }
        const finding_t *f = sec_finding(a, "security-dns-tunnel");
        CHECK(f && strstr(f->title, "asked 50 TXT/NULL records of new names under tunnel-example.net"));
        analysis_free(a);
}

static void test_exfil(void) {
        /* 2 MB out (2.1 MB on the wire) to an outside host with exfil_upload_bytes at 1 MB; the same to an inside
         * host; 2 MB in */
        const struct {
                const char *dst;
                size_t up, down;
                bool found;
        } v[] = {
                { "198.51.100.7", 2000000, 0, true },
                { "10.22.0.100", 2000000, 0, false },
                { "198.51.100.7", 2000, 2000000, false },
                { "198.51.100.7", 2000000, 2000000, false }, /* a sync both ways: half the bytes */
        };
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
                analysis_t *a = new_analysis("exfil_upload_bytes", "1000000");
                conn(a, 0, "10.10.0.5", 45000, v[i].dst, 443, v[i].up, v[i].down);
                const finding_t *f = sec_finding(a, "security-exfiltration");
                CHECK_MSG(!!f == v[i].found, "case %zu", i);
                CHECK(!f || strstr(f->title, "10.10.0.5 sent 2.1 MB to 198.51.100.7"));
                analysis_free(a);
        }
}

static void test_beacon(void) {
        /* 12 connections 30 s apart, within 0.5 s: beaconing; the same at irregular times: not */
        for (int regular = 0; regular < 2; regular++) {
                analysis_t *a = new_analysis(NULL, NULL);
                int64_t t = 0;
                for (int i = 0; i < 12; i++) {
                        conn(a, t, "10.11.0.5", (uint16_t) (52000 + i), "203.0.113.80", 443, 300, 500);
                        t += regular ? 30 * S + (i % 3 - 1) * 500 * MS : (int64_t) (5 + (i * 37) % 50) * S;
                }
                CHECK_EQ(!!sec_finding(a, "security-beaconing"), regular == 1);
                analysis_free(a);
        }
        /* NTP every 64 s: periodic by design, never a beacon */
        analysis_t *a = new_analysis(NULL, NULL);
        for (int i = 0; i < 20; i++) {
                tu_udp_frame(&pk, "10.25.0.8", 123, "203.0.113.123", 123, NULL, 48);
                tu_feed(a, i * 64 * S, &pk);
                tu_udp_frame(&pk, "10.25.0.8", (uint16_t) (40000 + i), "203.0.113.124", 123, NULL, 48);
                tu_feed(a, i * 64 * S + 1, &pk);
        }
        CHECK_EQ(sec_findings(a), 0);
        analysis_free(a);
}

static void test_lateral(void) {
        for (int n = 9; n <= 10; n++) {
                analysis_t *a = new_analysis(NULL, NULL);
                for (int i = 0; i < n; i++) {
                        char h[32];
                        snprintf(h, sizeof h, "10.12.1.%d", i + 10);
                        conn(a, i * S, "10.12.0.5", (uint16_t) (49000 + i), h, i % 2 ? 445 : 5985, 2000, 1000);
                }
                const finding_t *f = sec_finding(a, "security-lateral-movement");
                CHECK_EQ(!!f, n == 10);
                CHECK(!f || strstr(f->title, "10.12.0.5 connected to 10 inside hosts over SMB, WinRM"));
                analysis_free(a);
        }
        /* fan-in: 30 clients to one file server */
        analysis_t *a = new_analysis(NULL, NULL);
        for (int i = 0; i < 30; i++) {
                char c[32];
                snprintf(c, sizeof c, "10.24.0.%d", i + 20);
                conn(a, i * S, c, (uint16_t) (50000 + i), "10.24.0.10", 445, 3000, 4000);
        }
        CHECK_EQ(sec_findings(a), 0);
        analysis_free(a);
}

/* 70,000 failed SYNs, each from its own source to its own host: more than the probe table holds. The tables
 * stop at their limit, the report says how much was left out, and the figures do not depend on the key. */
static void scan_many(analysis_t *a) {
        for (int i = 0; i < 70000; i++) {
                char s[32], d[32];
                snprintf(s, sizeof s, "10.%d.%d.%d", 100 + i / 65536, i / 256 % 256, i % 256);
                snprintf(d, sizeof d, "10.200.%d.%d", i / 256 % 256, i % 256);
                tcp(a, i * 10, s, 40000, d, 22, 1, 0, TCP_SYN, 0);
        }
}

static void test_bounded(void) {
        analysis_t *a = new_analysis(NULL, NULL), *b = new_analysis(NULL, NULL);
        scan_many(a);
        scan_many(b);
        CHECK(memcmp(&a->key, &b->key, sizeof a->key) != 0);
        char *ra = tu_report(a), *rb = tu_report(b);
        char v[64];
        CHECK(tu_json_get(ra, "security.tables.scan_probes.entries", v, sizeof v) && strcmp(v, "65536") == 0);
        CHECK(tu_json_get(ra, "security.tables.scan_probes.dropped", v, sizeof v) && strcmp(v, "4464") == 0);
        CHECK(tu_json_get(ra, "security.failed_probes", v, sizeof v) && strcmp(v, "70000") == 0);
        CHECK(a->sec.scan_src.t.n <= SEC_SCAN_PAIRS_MAX && a->sec.flood.t.n <= SEC_FLOOD_VICTIMS_MAX);
        /* the reports are the same, key aside (nothing in them comes from the key) */
        const char *fa = strstr(ra, "\"security\""), *fb = strstr(rb, "\"security\"");
        CHECK(fa && fb && strcmp(fa, fb) == 0);
        const char *ga = strstr(ra, "\"findings\""), *gb = strstr(rb, "\"findings\"");
        CHECK(ga && gb && strcmp(ga, gb) == 0);
        free(ra);
        free(rb);
        analysis_free(a);
        analysis_free(b);
}

int main(void) {
        RUN(test_addr_internal);
        RUN(test_entropy);
        RUN(test_scan);
        RUN(test_flood);
        RUN(test_brute);
        RUN(test_dns_tunnel);
        RUN(test_exfil);
        RUN(test_beacon);
        RUN(test_lateral);
        RUN(test_bounded);
        tu_free(&pk);
        tu_free(&msg);
        return tu_exit();
}
