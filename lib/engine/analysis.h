/* The engine's public interface: feed it a capture (a FILE* or packets one by one), get a report. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "threshold.h"

typedef struct analysis analysis_t;

/* Hard limits on what an uploader controls. 0 means "no limit" only where documented. */
typedef struct analysis_limits {
        uint64_t max_packets;      /* stop reading after this many packets (0 = no limit); the report says so */
        uint32_t max_flows;        /* flows (TCP connections, UDP/ICMP flows) tracked at once; more are counted, not analysed */
        uint32_t max_events;       /* entries kept in each event list of the report (true totals are always kept) */
        uint32_t max_dns_pending;  /* DNS queries waiting for an answer at once */
        uint32_t max_frag_pending; /* IP datagrams being reassembled (tracked) at once */
} analysis_limits_t;

typedef struct analysis_progress {
        const char *phase;       /* "reading" while packets are read, then "diagnosing", "done" */
        uint64_t bytes_done;     /* bytes of the capture file consumed so far */
        uint64_t bytes_total;    /* size of the file, 0 when unknown (a pipe) */
        uint64_t packets;        /* packets read so far */
        double percent;          /* 0..100, or -1 when bytes_total is unknown */
} analysis_progress_t;

/* Called at least every 1 % of the file or every 100 ms of reading, and once per phase change.
 * Return 0 to go on, a negative errno to stop the analysis (analysis_read_file() then returns it). */
typedef int (*analysis_progress_fn)(const analysis_progress_t *p, void *userdata);

void analysis_limits_default(analysis_limits_t *ret);

int analysis_new(const analysis_limits_t *limits, analysis_t **ret);
analysis_t *analysis_free(analysis_t *a);

/* The thresholds the diagnosis uses (a copy is taken); before any packet. 0, -ERANGE when one is not finite
 * or out of its range (thresholds_check()), -EBUSY once packets were fed. analysis_new() starts from
 * thresholds_default(). */
int analysis_set_thresholds(analysis_t *a, const thresholds_t *t);

/* Reads a whole pcap/pcapng capture from f (not closed). size_hint is the file size for progress (0 if
 * unknown). Returns 0 when packets were analysed (a truncated or damaged capture is analysed up to the
 * damage and the report says what was lost), -EBADMSG when f is not a capture libpcap can read (errbuf
 * then holds a one-line reason), or the negative errno a progress callback returned. */
int analysis_read_file(analysis_t *a, FILE *f, uint64_t size_hint, analysis_progress_fn cb, void *userdata,
                       char *errbuf, size_t errlen);

/* Feeds one packet (for fuzzers and tests that make packets themselves). dlt is a libpcap DLT_ value. Its
 * frame number (in events and flows) is the previous packet's plus one. */
void analysis_feed_packet(analysis_t *a, int dlt, int64_t ts_ns, uint32_t caplen, uint32_t wirelen,
                          const uint8_t *data);

/* Closes open state (flows, pending DNS queries, fragments) and computes the diagnosis. Idempotent. */
int analysis_finish(analysis_t *a);

/* Writers; analysis_finish() must have run. Return 0 or -errno (-EIO on a write error, errno kept). */
int analysis_write_json(analysis_t *a, FILE *out);
int analysis_write_html(analysis_t *a, FILE *out);
int analysis_write_summary(analysis_t *a, FILE *out); /* the terminal summary of the CLI */
/* The report's tables as CSV files in the directory dirfd (REPORT-SCHEMA.md, "CSV export"): every file is
 * written under a temporary name first and all are renamed into place (replacing files of the same names)
 * only once every one was written, so on an error (-ENOSPC, -EACCES, ...) the directory is left as it was. */
int analysis_write_csv(analysis_t *a, int dirfd);

/* Figures a daemon needs without parsing the report. */
uint64_t analysis_get_packets(const analysis_t *a);
uint64_t analysis_get_bytes(const analysis_t *a);
int analysis_get_health_score(const analysis_t *a);
unsigned analysis_get_findings_count(const analysis_t *a);
bool analysis_is_partial(const analysis_t *a); /* cut short: truncated file, packet limit, read error */
