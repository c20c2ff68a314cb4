/* ICMP and ICMPv6 messages (icmp.c): counts by type and code, unreachables, time exceeded, the path MTU
 * signals. Included by engine.h. */
#pragma once

#include <stdint.h>

typedef struct icmp_stats {
        uint64_t msgs, msgs6;
        uint64_t types[256], types6[256];
        uint64_t unreach, time_exceeded, frag_needed, ptb, redirect;
        uint32_t min_mtu;                /* the smallest next-hop MTU a "fragmentation needed"/PTB gave */
        uint64_t codes[2][256][16];      /* [v6][type][code < 16] */
} icmp_stats_t;

struct analysis;
struct packet;
void icmp_packet(struct analysis *a, const struct packet *p);
