/* Reading capture files: the common classic pcap through our own block reader (pcapfile.c), other classic
 * pcap through libpcap, pcapng through our own bounds-checked reader (libpcap 1.10 refuses pcapng files
 * whose interfaces have different link types). */
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
        uint64_t frame;          /* the frame number Wireshark shows: the record's 1-based position in the file */
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

/* pcapfile.c: classic pcap, native byte order, version 2.4, a link type the engine decodes; 1 when it takes
 * the file (hdr: its first 24 bytes, already read from f), 0 when libpcap should, -ENOMEM */
typedef struct pcapfile pcapfile_t;
int pcapfile_open(FILE *f, const uint8_t hdr[24], pcapfile_t **ret);
/* 1 a packet (record_len: its bytes in the file as counted for progress), 0 end, -EBADMSG damage */
int pcapfile_next(pcapfile_t *p, capture_packet_t *ret, uint32_t *ret_record_len);
const char *pcapfile_error(const pcapfile_t *p);
bool pcapfile_nanosecond(const pcapfile_t *p);
uint32_t pcapfile_snaplen(const pcapfile_t *p);
int pcapfile_dlt(const pcapfile_t *p);
void pcapfile_close(pcapfile_t *p);

/* pcapng.c: frame numbers count what Wireshark 4.0 shows as frames (packet blocks, and custom, systemd
 * journal and Sysdig event blocks, which are not handed out as packets), not the other blocks */
typedef struct pcapng pcapng_t;
int pcapng_open(FILE *f, const uint8_t *head, size_t head_len, pcapng_t **ret, char *errbuf, size_t errlen);
int pcapng_next(pcapng_t *p, capture_packet_t *ret);
uint64_t pcapng_offset(const pcapng_t *p);
const char *pcapng_error(const pcapng_t *p);
void pcapng_close(pcapng_t *p);
