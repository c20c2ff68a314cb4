/* Packet decoding from the link layer to the transport header: one pass, no allocation, anomalies counted. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"

typedef struct addr {
        uint8_t family;          /* 4 or 6, 0 = none */
        uint8_t b[16];           /* IPv4 in the first 4 bytes, rest zero */
} addr_t;

enum {
        L3_NONE = 0,
        L3_IPV4,
        L3_IPV6,
        L3_ARP,
        L3_OTHER,
};

enum {
        TCP_FIN = 0x01,
        TCP_SYN = 0x02,
        TCP_RST = 0x04,
        TCP_PSH = 0x08,
        TCP_ACK = 0x10,
        TCP_URG = 0x20,
        TCP_ECE = 0x40,
        TCP_CWR = 0x80,
};

typedef enum decode_skip {
        SKIP_NONE = 0,
        SKIP_LINKTYPE,           /* link type we do not decode */
        SKIP_ETHERTYPE,          /* a link-layer payload that is not IP or ARP */
        SKIP_TRUNCATED,          /* headers cut by the snaplen */
        SKIP_MALFORMED,          /* impossible header values */
        _SKIP_MAX,
} decode_skip_t;

typedef struct tcp_hdr {
        uint32_t seq, ack;
        uint16_t win;
        uint8_t flags;
        uint8_t hdr_len;
        int8_t wscale;           /* -1: no option */
        bool sack_perm;
        bool has_ts;
        uint8_t n_sack;
        uint16_t mss;            /* 0: no option */
        uint32_t ts_val, ts_ecr;
        uint32_t sack[4][2];
} tcp_hdr_t;

/* An ICMP error's quoted IP header + first transport bytes. */
typedef struct icmp_quote {
        bool valid;
        uint8_t proto;
        addr_t src, dst;
        uint16_t sport, dport;
} icmp_quote_t;

typedef struct packet {
        int64_t ts_ns;
        uint64_t frame;          /* the frame number Wireshark shows for it (what events and flows point at) */
        uint32_t caplen, wirelen;
        int dlt;

        bool vlan;
        uint8_t l3;
        bool tunnel;             /* IP in IP (6in4, 4in4, ...): the inner header is the one decoded */
        bool seen_ipv4, seen_ipv6; /* at any tunnel layer */
        addr_t src, dst;
        uint8_t ttl;
        uint8_t proto;           /* transport protocol number, 0 if none */
        uint32_t ip_len;         /* bytes of the IP datagram on the wire (header + payload) per its length field */
        const uint8_t *ip_hdr;   /* the innermost IP header decoded, and its bytes captured from there */
        uint32_t ip_hdr_caplen;
        uint16_t ip_id;          /* IPv4 identification; 0 for IPv6 */

        /* fragmentation */
        bool frag;               /* this packet is a fragment (MF or offset > 0, or an IPv6 fragment header) */
        bool frag_first;         /* the fragment at offset 0 (transport header present) */
        uint32_t frag_id;
        uint32_t frag_off;       /* bytes */
        bool frag_more;
        uint32_t frag_payload;   /* payload bytes of this fragment (wire) */

        bool has_l4;             /* transport header decoded */
        uint16_t sport, dport;
        tcp_hdr_t tcp;
        uint8_t icmp_type, icmp_code;
        uint16_t icmp_id, icmp_seq;  /* echo */
        uint32_t icmp_mtu;           /* frag needed / packet too big */
        icmp_quote_t quote;

        /* transport payload: bytes captured, and length on the wire per the headers */
        const uint8_t *payload;
        uint32_t payload_caplen;
        uint32_t payload_len;

        decode_skip_t skip;
} packet_t;

/* Decodes data of the given libpcap DLT into p. Returns true when an IP (or ARP) packet was found;
 * p->skip says why not otherwise. Never reads outside [data, data + caplen). */
bool decode_packet(packet_t *p, int dlt, const uint8_t *data, uint32_t caplen);

const char *decode_dlt_name(int dlt);
bool decode_dlt_supported(int dlt);

static inline bool addr_equal(const addr_t *a, const addr_t *b) {
        return a->family == b->family && memcmp(a->b, b->b, 16) == 0;
}
int addr_compare(const addr_t *a, const addr_t *b);
/* Formats into buf (at least 46 bytes); returns buf. */
char *addr_format(const addr_t *a, char *buf, size_t len);
