/* Every threshold the diagnosis uses: named, documented, settable (--threshold NAME=VALUE, --config FILE,
 * -l/--latency MS, /etc/pcapd/analyzer.conf through the JOB). Public: the CLI and pcapd-web fill a
 * thresholds_t, the engine reads it (analysis_set_thresholds()). Library code: no logging, -errno returns. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum threshold_unit {
        TU_MS,        /* milliseconds (a time; the engine reads it in ns with threshold_ns()) */
        TU_PERCENT,   /* percent, 0..100 */
        TU_COUNT,     /* a number of things (packets, segments, hosts, ports) */
        TU_BYTES,     /* bytes */
        _TU_MAX,
} threshold_unit_t;

/* X(ID, "name", unit, default, min, max, latency, "what it decides")
 * latency: -l/--latency MS sets it. Names end with their unit. Each list belongs to one part of the
 * engine (ANALYSES.md, "Thresholds", says why each default is what it is). */
#define THRESHOLD_LIST_CORE(X)                                                                                      \
        X(HANDSHAKE_SLOW, "handshake_slow_ms", TU_MS, 300, 1, 3600000, true,                                        \
          "a TCP handshake (SYN to the ACK of the SYN/ACK) longer than this is slow (tcp-slow-handshake)")         \
        X(RTT_HIGH, "rtt_high_ms", TU_MS, 50, 1, 3600000, true,                                                     \
          "a round trip of at least this is a long path (tcp-high-rtt, network-latency)")                           \
        X(DNS_SLOW, "dns_slow_ms", TU_MS, 200, 1, 3600000, true,                                                    \
          "a DNS answer later than this is slow (dns-slow)")                                                        \
        X(EXCHANGE_SLOW, "exchange_slow_ms", TU_MS, 100, 1, 3600000, true,                                          \
          "an exchange whose server or client part took at least this is named among a time finding's flows")     \
        X(DNS_TIMEOUT, "dns_timeout_ms", TU_MS, 5000, 100, 3600000, false,                                          \
          "a DNS query with no answer after this is unanswered (dns-timeouts)")                                     \
        X(TIME_COST, "time_cost_ms", TU_MS, 500, 0, 3600000, false,                                                 \
          "a cause of waiting is a finding when it cost at least this in all ...")                                 \
        X(TIME_SHARE, "time_share_pct", TU_PERCENT, 10, 0, 100, false,                                              \
          "... and at least this share of the exchanges' time")                                                    \
        X(LOSS_RATE, "loss_rate_pct", TU_PERCENT, 0.1, 0, 100, false,                                               \
          "retransmitted data segments from this share are loss (tcp-loss) ...")                                   \
        X(LOSS_MIN, "loss_min_segments", TU_COUNT, 3, 1, 1e9, false,                                                \
          "... and from this many")                                                                                 \
        X(REORDER_RATE, "reorder_rate_pct", TU_PERCENT, 0.1, 0, 100, false,                                         \
          "out-of-order data segments from this share are reordering (tcp-reorder) ...")                           \
        X(REORDER_MIN, "reorder_min_segments", TU_COUNT, 3, 1, 1e9, false,                                          \
          "... and from this many")                                                                                 \
        X(DUPLICATES, "duplicates_pct", TU_PERCENT, 1, 0, 100, false,                                               \
          "packets recorded twice from this share of the capture are a capture problem (capture-duplicates)")      \
        X(GAP, "gap_ms", TU_MS, 1000, 1, 3600000, false,                                                            \
          "a silence of the whole capture at least this long is a gap (gaps)")                                      \
        X(BURST_SPACING, "burst_spacing_ms", TU_MS, 0.1, 0.001, 1000, false,                                        \
          "packets closer than this belong to one burst ...")                                                       \
        X(BURST_MIN, "burst_min_packets", TU_COUNT, 64, 2, 1e9, false,                                              \
          "... and a run of at least this many packets is a burst (bursts)")                                        \
        X(CONN_IDLE, "conn_idle_ms", TU_MS, 10000, 1, 300000, false,                                                \
          "an open TCP connection silent for at least this at its end is idle (connections.states)")

/* jitter (RFC 3550) per flow, by kind of traffic */
#define THRESHOLD_LIST_JITTER(X)                                                                                    \
        X(JITTER_MEDIA, "jitter_media_ms", TU_MS, 30, 1, 3600000, false,                                            \
          "an RTP stream (RFC 3550 jitter) or a UDP flow on a voice/video port with this much jitter is a "       \
          "finding (jitter-media)")                                                                                 \
        X(JITTER_OTHER, "jitter_other_ms", TU_MS, 50, 1, 3600000, false,                                            \
          "other UDP flows with this much interarrival jitter are marked in the report; never a finding")         \
        X(RTP_LOSS, "rtp_loss_pct", TU_PERCENT, 1, 0, 100, false,                                                   \
          "an RTP stream that lost this share of its packets (and at least 2) is a finding (rtp-loss)")

/* the security detectors */
#define THRESHOLD_LIST_SECURITY(X)                                                                                  \
        X(SCAN_PORTS, "scan_ports_count", TU_COUNT, 25, 2, 65536, false,                                            \
          "a source whose attempts on this many ports of one host failed (no answer or a reset) scans it "          \
          "(security-port-scan, vertical)")                                                                          \
        X(SCAN_HOSTS, "scan_hosts_count", TU_COUNT, 25, 2, 1e9, false,                                              \
          "a source whose attempts on one port of this many hosts failed scans them (security-port-scan, "          \
          "horizontal)")                                                                                             \
        X(FLOOD_SYN, "flood_syn_count", TU_COUNT, 1000, 2, 1e9, false,                                              \
          "a port of a host sent this many SYNs for new connections within one second ...")                          \
        X(FLOOD_UDP, "flood_udp_count", TU_COUNT, 1000, 2, 1e9, false,                                              \
          "... or a host sent this many new UDP flows within one second ...")                                        \
        X(FLOOD_UNANSWERED, "flood_unanswered_pct", TU_PERCENT, 80, 0, 100, false,                                  \
          "... of which at least this share never completed or got no answer is flooded (security-syn-flood, "      \
          "security-udp-flood)")                                                                                     \
        X(FLOOD_ICMP, "flood_icmp_count", TU_COUNT, 500, 2, 1e9, false,                                             \
          "a host sent this many ICMP messages within one second is flooded (security-icmp-flood)")                 \
        X(BRUTE_ATTEMPTS, "brute_attempts_count", TU_COUNT, 20, 2, 1e9, false,                                      \
          "this many short connections from one client to one login service (SSH, Telnet, FTP, RDP, VNC, mail, "   \
          "databases) ...")                                                                                          \
        X(BRUTE_WEB_ATTEMPTS, "brute_web_attempts_count", TU_COUNT, 100, 2, 1e9, false,                             \
          "... or to one web server ...")                                                                            \
        X(BRUTE_INTERVAL, "brute_interval_ms", TU_MS, 5000, 1, 86400000, false,                                     \
          "... at most this far apart on average are a brute-force attack (security-brute-force) ...")              \
        X(BRUTE_SESSION, "brute_session_ms", TU_MS, 30000, 1, 86400000, false,                                      \
          "... a connection being short when it lasted at most this ...")                                           \
        X(BRUTE_SESSION_BYTES, "brute_session_bytes", TU_BYTES, 20000, 1, 1e12, false,                              \
          "... and the server sent at most this many bytes in it")                                                  \
        X(DNS_TUNNEL_LABEL, "dns_tunnel_label_bytes", TU_BYTES, 40, 1, 255, false,                                  \
          "a query name carries data when the labels before its domain hold at least this many bytes ...")          \
        X(DNS_TUNNEL_ENTROPY, "dns_tunnel_entropy_pct", TU_PERCENT, 80, 0, 100, false,                              \
          "... with an entropy of at least this share of the most their length allows ...")                          \
        X(DNS_TUNNEL_QUERIES, "dns_tunnel_queries_count", TU_COUNT, 50, 1, 1e9, false,                              \
          "... and one client sending this many such queries, or TXT/NULL queries for new names, under one "        \
          "domain tunnels through DNS (security-dns-tunnel)")                                                        \
        X(EXFIL_BYTES, "exfil_upload_bytes", TU_BYTES, 100e6, 1, 1e15, false,                                       \
          "an inside host sending at least this many bytes to one outside host ...")                                \
        X(EXFIL_SHARE, "exfil_upload_pct", TU_PERCENT, 90, 0, 100, false,                                           \
          "... when that is at least this share of the bytes between them is exfiltrating (security-exfiltration)") \
        X(BEACON_MIN, "beacon_min_count", TU_COUNT, 10, 3, 1e9, false,                                              \
          "an inside host opening this many connections to one outside host and port ...")                          \
        X(BEACON_JITTER, "beacon_jitter_pct", TU_PERCENT, 10, 0, 100, false,                                        \
          "... at intervals whose standard deviation is at most this share of their mean ...")                       \
        X(BEACON_INTERVAL, "beacon_interval_ms", TU_MS, 1000, 1, 86400000, false,                                   \
          "... and at least this long on average is beaconing (security-beaconing)")                                \
        X(LATERAL_HOSTS, "lateral_hosts_count", TU_COUNT, 10, 2, 1e9, false,                                        \
          "an inside host connecting to this many other inside hosts over SMB, RDP, WinRM or RPC moves "       \
          "laterally (security-lateral-movement)")

#define THRESHOLD_LIST(X) THRESHOLD_LIST_CORE(X) THRESHOLD_LIST_JITTER(X) THRESHOLD_LIST_SECURITY(X)

typedef enum threshold_id {
#define THRESHOLD_ENUM_(id, ...) TH_##id,
        THRESHOLD_LIST(THRESHOLD_ENUM_)
#undef THRESHOLD_ENUM_
        _TH_MAX,
} threshold_id_t;

/* Where a value came from; a value set from a source of lower rank never replaces one of a higher rank, so
 * the order of the options does not matter: --threshold over -l over the file's names over its latency_ms. */
typedef enum threshold_source {
        TS_DEFAULT,
        TS_FILE_LATENCY,   /* latency_ms= in a configuration file */
        TS_FILE,           /* NAME= in a configuration file */
        TS_LATENCY,        /* -l/--latency */
        TS_OPTION,         /* --threshold NAME=VALUE */
        _TS_MAX,
} threshold_source_t;

#define THRESHOLD_ORIGIN_MAX 96

typedef struct thresholds {
        double v[_TH_MAX];
        uint8_t source[_TH_MAX];                    /* threshold_source_t */
        char origin[_TH_MAX][THRESHOLD_ORIGIN_MAX]; /* "default", "FILE:LINE", "--latency", "--threshold" */
} thresholds_t;

/* The configuration file: at most this many bytes, lines of at most THRESHOLD_LINE_MAX. */
#define THRESHOLD_FILE_MAX (64 * 1024)
#define THRESHOLD_LINE_MAX 1024

void thresholds_default(thresholds_t *t);

/* Facts about one threshold (id < _TH_MAX). */
const char *threshold_name(threshold_id_t id);
const char *threshold_unit_name(threshold_id_t id); /* "ms", "%", "count", "bytes" */
const char *threshold_description(threshold_id_t id);
double threshold_default(threshold_id_t id);
bool threshold_is_latency(threshold_id_t id);

/* The id of a name, or -ENOENT. */
int threshold_lookup(const char *name);

/* Sets one threshold from text: a decimal number ("300", "0.5", "2e3") in the threshold's unit, finite, in
 * its range. Returns 0 (also when a value of higher rank is kept), -ENOENT for an unknown name, -EINVAL for
 * text that is not a number, -ERANGE outside the range. origin is copied (truncated). */
int thresholds_set(thresholds_t *t, const char *name, const char *value, threshold_source_t source,
                   const char *origin);

/* "NAME=VALUE" (--threshold): as thresholds_set(), -EINVAL without '='. */
int thresholds_set_assignment(thresholds_t *t, const char *assignment, threshold_source_t source,
                              const char *origin);

/* Every latency threshold to ms (text, as thresholds_set()). */
int thresholds_set_latency(thresholds_t *t, const char *ms, threshold_source_t source, const char *origin);

/* Reads a configuration file in systemd's INI syntax: blank lines, comments (# or ; first), one section
 * [Thresholds] with NAME=VALUE lines (blanks around both allowed) and latency_ms=MS. path names the file in
 * origins and errors. Returns 0, or -EINVAL/-ENOENT/-ERANGE/-EFBIG (errbuf: "PATH:LINE: reason"), or
 * -errno of a read error. Nothing is changed when it fails. */
int thresholds_load(thresholds_t *t, FILE *f, const char *path, char *errbuf, size_t errlen);

/* 0 when every value is finite and in its range (a thresholds_t that came over the JOB), else -ERANGE and
 * *ret_bad (may be NULL) the first bad id. */
int thresholds_check(const thresholds_t *t, threshold_id_t *ret_bad);

/* show-config: one line per threshold, "name = value unit  (origin)", then its description as a comment;
 * the output is itself a valid configuration file. 0 or -EIO. */
int thresholds_print(const thresholds_t *t, FILE *out);

/* A value as the shortest decimal text that reads back to it ("300", "0.1"), into buf (>= 32 bytes). */
const char *threshold_format(double v, char *buf, size_t len);
