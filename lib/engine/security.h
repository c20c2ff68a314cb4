/* The security detectors (security-*.c): port scans, floods, brute force against login services, DNS
 * tunnelling, data exfiltration, beaconing and lateral movement. Each keeps its evidence in bounded tables
 * of the one table (util/table.h) hashed with SipHash under the analysis's key, fed from a few points of the
 * analysis (a flow's first packet, its retirement, a DNS query, an ICMP message), and raises one finding of
 * cause `security` at the end. Rules, defaults and limits: ANALYSES.md, "Security detectors". Included by
 * engine.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/siphash.h"
#include "util/table.h"

/* What the tables are keyed by: two addresses, a port and a protocol, zeroed where unused. */
typedef struct sec_key {
        addr_t a, b;
        uint16_t port;
        uint8_t proto;
        uint8_t used;            /* not part of the key: 1 while the entry lives */
} sec_key_t;

#define SEC_KEY_BYTES offsetof(sec_key_t, used)
/* no padding inside the key: a compound literal's bytes are all set, and its hash is that of its values */
_Static_assert(offsetof(sec_key_t, used) == 2 * sizeof(addr_t) + 3, "sec_key_t has padding");

/* A bounded table of entries that begin with a sec_key_t. */
typedef struct sec_table {
        table_t t;
        uint32_t max;
        uint64_t dropped;        /* entries refused because the table was full */
} sec_table_t;

/* The most entries of each table (each entry's size in security-*.c). */
#define SEC_SCAN_PROBES_MAX 65536   /* failed probes by (source, host, port) */
#define SEC_SCAN_PAIRS_MAX 32768    /* (source, host) and (source, port) counters, each */
#define SEC_FLOOD_VICTIMS_MAX 16384 /* (host, protocol, port) receiving new flows */
#define SEC_BRUTE_MAX 16384         /* (client, server, port) of login services */
#define SEC_DNS_MAX 8192            /* (client, domain) */
#define SEC_EXFIL_MAX 8192          /* (inside host, outside host) */
#define SEC_BEACON_MAX 16384        /* (inside host, outside host, port) */
#define SEC_LATERAL_PAIRS_MAX 32768 /* (inside host, inside host) on administration ports */
#define SEC_LATERAL_SOURCES_MAX 8192

typedef enum sec_scan_kind {
        SCAN_SYN,
        SCAN_NULL,               /* no flag at all */
        SCAN_FIN,                /* FIN alone */
        SCAN_XMAS,               /* FIN, PSH and URG */
        SCAN_OTHER,              /* another combination without ACK, SYN or RST */
        _SCAN_KIND_MAX,
} sec_scan_kind_t;

/* A failed probe: (source, host, port) once, whatever the tries. */
typedef struct sec_scan_probe {
        sec_key_t k;
} sec_scan_probe_t;

/* The failed probes of a source on one host (vertical: ports) or on one port (horizontal: hosts). */
typedef struct sec_scan_count {
        sec_key_t k;
        uint32_t n;              /* distinct ports, or hosts */
        int64_t first_ts, last_ts;
        uint64_t first_frame;
        flow_key_t example[2];   /* its first two probes, source first */
} sec_scan_count_t;

typedef struct sec_scan_src {
        sec_key_t k;
        uint64_t probes;         /* failed probes, every try */
        uint32_t kinds[_SCAN_KIND_MAX];
} sec_scan_src_t;

/* A host (and TCP port) receiving new flows: the most it received within one second, and how they ended. */
typedef struct sec_flood {
        sec_key_t k;
        int64_t win, peak_win;   /* second of the capture (from its first packet) */
        uint32_t win_n, peak_n;
        uint64_t flows, unanswered, ended;
        uint64_t first_frame;    /* the first packet of the busiest second */
        uint64_t win_frame;
        flow_key_t example;
} sec_flood_t;

/* Short connections from a client to a login (or web) service. */
typedef struct sec_brute {
        sec_key_t k;
        uint32_t n;
        int64_t first_ts, last_ts;
        uint64_t first_frame, server_bytes;
        flow_key_t example;
} sec_brute_t;

#define SEC_DOMAIN_MAX 64
/* A client's queries that carried data, or asked TXT/NULL for new names, under one domain. */
typedef struct sec_dns {
        sec_key_t k;             /* a: the client; b: the domain's keyed hash */
        uint32_t carriers, txt_null, last_name;
        uint64_t sub_bytes;      /* the bytes of their names before the domain */
        int64_t first_ts, last_ts;
        uint64_t first_frame;
        double entropy_sum;
        uint8_t domain_len;
        char domain[SEC_DOMAIN_MAX];
        char example[48];        /* the first carrier name's first bytes */
        flow_key_t flow;
} sec_dns_t;

/* The bytes between an inside and an outside host, of flows moving at least 64 KiB. */
typedef struct sec_exfil {
        sec_key_t k;             /* a: inside, b: outside */
        uint64_t up, down, example_up;
        uint32_t flows;
        int64_t first_ts, last_ts;
        uint64_t first_frame;
        flow_key_t example;
} sec_exfil_t;

/* The starts of an inside host's new flows to one outside host and port: their intervals (Welford). */
typedef struct sec_beacon {
        sec_key_t k;             /* a: inside, b: outside, port, proto */
        uint32_t n, intervals;
        int64_t first_ts, prev_ts;
        double mean, m2;         /* of the intervals, in seconds */
        uint64_t first_frame;
        flow_key_t example;
} sec_beacon_t;

typedef struct sec_lateral_pair {
        sec_key_t k;             /* a: source, b: destination, both inside */
} sec_lateral_pair_t;

typedef struct sec_lateral_src {
        sec_key_t k;
        uint32_t hosts, conns;
        uint8_t services;        /* bits: SMB, RDP, WinRM, RPC */
        int64_t first_ts, last_ts;
        uint64_t first_frame;
        flow_key_t example[3];
} sec_lateral_src_t;

typedef struct sec_state {
        sec_table_t scan_probes, scan_host, scan_port, scan_src;
        sec_table_t flood;
        int64_t flood_sweep_ts;
        bool flood_swept;
        sec_table_t brute;
        sec_table_t dns;
        sec_table_t exfil;
        sec_table_t beacon;
        sec_table_t lateral_pairs, lateral_src;
        uint64_t probes, stealth_probes; /* failed connection attempts and packets no stack sends */
        uint64_t dns_carriers;           /* queries whose name looked like carried data */
} sec_state_t;

struct analysis;
struct packet;
struct flow;
struct dns_name;

int security_init(sec_state_t *s);
void security_done(sec_state_t *s);

/* A flow's first packet (f just created; swapped as flow_key_make said). */
void security_flow_new(struct analysis *a, struct flow *f, const struct packet *p, bool swapped);
/* A flow retires (before its TCP state is freed). */
void security_flow_end(struct analysis *a, const struct flow *f);
/* An ICMP or ICMPv6 message. */
void security_icmp(struct analysis *a, const struct packet *p);
/* A DNS query to port 53 (UDP or TCP) and its first question (security-dns.c). */
void security_dns_query(struct analysis *a, const struct packet *p, const struct dns_name *name, uint16_t qtype);
/* The findings (diagnosis.c calls it). */
void security_diagnose(struct analysis *a);

/* security-shared.c: what the detectors share. */
bool security_addr_internal(const addr_t *x);
/* Neither multicast, nor the limited broadcast, nor 0.0.0.0/8: an address one host has. */
bool security_addr_unicast(const addr_t *x);
/* The entry under k (zeroed, key set, when create and new), NULL when absent or the table is full. */
void *security_find(struct analysis *a, sec_table_t *t, const sec_key_t *k, bool create, bool *ret_new);
void security_remove(sec_table_t *t, void *entry);
/* The addresses and ports of the flow's first packet, as it was sent. */
void security_flow_ends(const struct flow *f, addr_t *ret_src, addr_t *ret_dst, uint16_t *ret_sport,
                        uint16_t *ret_dport);
/* Normalised Shannon entropy of s (n bytes, ASCII case folded): bits per byte over log2(min(n, 37)), the
 * most a hostname's alphabet (a-z, 0-9, '-') allows at that length, or over log2(min(n, 16)) when s is all
 * hexadecimal digits (data written in hex), in percent (0 for n < 2). */
double security_entropy_pct(const char *s, size_t n);
/* The flow direction (0 client, 1 server) of its first packet's sender. */
int security_first_dir(const struct flow *f);
/* "ip" or "ipv6", for display filters. */
const char *security_ip(const addr_t *x);
/* A TCP connection seen from its SYN whose handshake completed: a session of the service, not a probe. */
bool security_flow_connected(const struct flow *f);
/* The span from first to last in seconds, for titles. */
double security_span_s(int64_t first, int64_t last);
/* Widens [*first, *last] to ts; empty: nothing noted yet. */
void security_span_note(int64_t *first, int64_t *last, int64_t ts, bool empty);
/* The flow's key turned so that its first packet's sender is a. */
void security_flow_key(const struct flow *f, flow_key_t *ret);

/* the detectors' parts, one file each */
void security_scan_end(struct analysis *a, const struct flow *f);
void security_scan_diagnose(struct analysis *a);
void security_flood_new(struct analysis *a, const struct packet *p, const sec_key_t *victim);
void security_flood_end(struct analysis *a, const struct flow *f);
void security_flood_icmp(struct analysis *a, const struct packet *p);
void security_flood_diagnose(struct analysis *a);
void security_brute_end(struct analysis *a, const struct flow *f);
void security_brute_diagnose(struct analysis *a);
void security_dns_diagnose(struct analysis *a);
void security_exfil_end(struct analysis *a, const struct flow *f);
void security_exfil_diagnose(struct analysis *a);
void security_beacon_new(struct analysis *a, const struct flow *f, const struct packet *p);
void security_beacon_diagnose(struct analysis *a);
void security_lateral_end(struct analysis *a, const struct flow *f);
void security_lateral_diagnose(struct analysis *a);
