/* DNS (dns.c): queries matched with their answers over UDP and TCP, response times, codes, what went
 * unanswered; the table of queries waiting for an answer is bounded and keyed. DNS that a strict heuristic
 * finds on other UDP ports is counted apart (dns_other_t). Included by engine.h (needs its flow_key_t). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "samples.h"
#include "util/siphash.h"
#include "util/table.h"

/* A name as read (dns.c): dotted text (at most 95 bytes kept), and what the heuristic judges it by. */
typedef struct dns_name {
        char text[96];
        uint8_t len;
        uint32_t wire;           /* its labels with their length bytes, the root's included */
        uint32_t hash;           /* FNV-1a over the labels and their lengths, ASCII case folded */
        bool pointer;            /* a compression pointer was followed */
        char domain[64];         /* its last two labels, dotted (at most 63 bytes) */
        uint8_t domain_len;
        uint32_t sub_bytes;      /* the length, as dotted text, of the labels before them (security-dns.c) */
} dns_name_t;

typedef struct dns_pending {
        flow_key_t key;          /* client a -> server b */
        uint16_t id;
        uint8_t used;
        uint8_t retries;
        uint32_t qhash;          /* the whole question name, case folded (dns_other_message matches on it) */
        int64_t ts;
        uint64_t frame;          /* the first query's frame number */
        uint16_t qtype;
        char name[96];
        uint8_t name_len;
        uint16_t qclass;
} dns_pending_t;

/* A recent NXDOMAIN answer, kept to tell whether a resolver's search list made its name up (dns.c). */
#define DNS_NX_RECENT 256
typedef struct dns_nx {
        addr_t client;
        int64_t ts;
        uint32_t ev;             /* its index in the DNS error events, UINT32_MAX when not kept */
        bool matched;
        uint8_t len;
        char name[96];
} dns_nx_t;

typedef struct dns_state {
        table_t t;               /* queries waiting for an answer (dns_pending_t), by flow and id, at most limit */
        siphash_key_t key;       /* of the pending table's hash (the analysis's) */
        int64_t last_expire;
        bool expired_once;
        uint32_t limit;
        bool apart;              /* DNS on other ports: no events, series or findings come from it */
        uint64_t queries, responses, unanswered, unmatched_responses, repeated, tcp_messages, truncated_flag,
                 dropped_pending;
        uint64_t rcodes[16];
        samples_t rt;
        dns_nx_t *nx;            /* the last DNS_NX_RECENT NXDOMAIN answers, a ring (allocated on the first) */
        uint32_t nx_n, nx_next;
        uint64_t nxdomain_search; /* NXDOMAIN answers to names a search list made up (counted apart) */
} dns_state_t;

#define DNS_OTHER_PORTS 16

typedef struct dns_port_count {
        uint16_t port;
        uint64_t queries;
} dns_port_count_t;

/* DNS on UDP ports other than 53, 5353 and 5355, as far as dns_other_message takes it: the same figures as
 * above (queries, responses, unanswered, rcodes, response times), kept apart from them, and the server ports
 * it was found on (the first 16; queries to further ports counted in unlisted_port_queries). */
typedef struct dns_other {
        dns_state_t s;
        dns_port_count_t ports[DNS_OTHER_PORTS]; /* most queries first once the analysis is finished */
        unsigned n_ports;
        uint64_t unlisted_port_queries;
} dns_other_t;

struct analysis;
struct packet;
/* cap: the most queries waiting for an answer at once (0 counts as 1). */
int dns_init(dns_state_t *d, uint32_t cap, uint64_t seed);
void dns_done(dns_state_t *d);
/* A header a DNS message could have: a standard opcode, the Z bit clear, one question, and no more records
 * than len bytes (the message's length) can hold. msg holds caplen bytes. */
bool dns_header_plausible(const uint8_t *msg, size_t caplen, uint32_t len);
/* An NXDOMAIN for nx and a NOERROR for ok (names as text, nn and on bytes) are one lookup through a search
 * list (see dns.c): they share their first labels, and ok is those labels alone or followed by a domain that
 * ends nx's. */
bool dns_search_path_pair(const char *nx, size_t nn, const char *ok, size_t on);
void dns_message(struct analysis *a, const struct packet *p, const uint8_t *msg, uint32_t caplen, uint32_t len, bool tcp);
/* A UDP datagram on none of DNS's ports: counted in a->dns_other if it is a standard query that parses in
 * full, or the answer to such a query (ANALYSES.md, "DNS on other ports"). */
void dns_other_message(struct analysis *a, const struct packet *p, const uint8_t *msg, uint32_t caplen, uint32_t len);
void dns_finish(struct analysis *a);
const char *dns_rcode_name(unsigned rcode);
