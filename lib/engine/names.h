/* Names for what the reports show (names.c): one table each, used by every writer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct names_proto {
        const char *key;         /* the JSON member under protocols */
        const char *name;        /* in words */
        const char *layer;
} names_proto_t;

/* indexed by the PROTO_ counters of engine.h */
extern const names_proto_t names_proto[];
/* a well-known service's name, or NULL */
const char *names_service(uint8_t proto, uint16_t port);
/* "A", "AAAA", ... or TYPEn written into buf */
const char *names_dns_qtype(uint32_t t, char *buf, size_t len);
/* what a response code means for the client, in words ("" when not one of 0..5) */
const char *names_dns_rcode_meaning(unsigned r);
/* ICMP (v6: ICMPv6) type and code in words; the code's is NULL when unknown, the type's "other" */
void names_icmp(bool v6, unsigned type, unsigned code, const char **ret_type, const char **ret_code);
