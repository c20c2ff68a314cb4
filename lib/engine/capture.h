/* Reading capture files: classic pcap through libpcap, pcapng through our own bounds-checked reader
 * (libpcap 1.10 refuses pcapng files whose interfaces have different link types). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct capture_reader capture_reader_t;

typedef struct capture_packet {
        int dlt;
        int64_t ts_ns;
        uint32_t caplen, len;
        const uint8_t *data;     /* valid until the next capture_next() */
} capture_packet_t;

/* 0, or -EBADMSG with a one-line reason in errbuf when f is not a capture we can read. */
int capture_open(FILE *f, capture_reader_t **ret, char *errbuf, size_t errlen);
/* 1 a packet, 0 end of file, -EBADMSG damaged or truncated (capture_error() says how). */
int capture_next(capture_reader_t *r, capture_packet_t *ret);
uint64_t capture_offset(const capture_reader_t *r);
const char *capture_error(const capture_reader_t *r);
const char *capture_format(const capture_reader_t *r);
bool capture_nanosecond(const capture_reader_t *r);
uint32_t capture_snaplen(const capture_reader_t *r);
void capture_close(capture_reader_t *r);

/* pcapng.c */
typedef struct pcapng pcapng_t;
int pcapng_open(FILE *f, const uint8_t *head, size_t head_len, pcapng_t **ret, char *errbuf, size_t errlen);
int pcapng_next(pcapng_t *p, capture_packet_t *ret);
uint64_t pcapng_offset(const pcapng_t *p);
const char *pcapng_error(const pcapng_t *p);
void pcapng_close(pcapng_t *p);
