/* pcap-analyzer capture (issue 14): packets captured now, analysed as they arrive. From a local interface
 * (libpcap, a thread writing the pcap stream the analysis reads) or from a remote host over SSH (the system's
 * ssh client runs tcpdump -w - there). The BPF filter is compiled before any capture starts; --write keeps a
 * copy of the capture. Errors are sentences for the user (unknown host, refused login, no tcpdump, no
 * permission, no such interface). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct live_opts {
        const char *iface;        /* NULL: "any" */
        const char *filter;       /* NULL: everything */
        uint64_t duration_s;      /* 0: until count or Ctrl-C */
        uint64_t count;           /* 0: until duration or Ctrl-C */
        const char *write_path;   /* NULL: no copy */
        const char *ssh_host;     /* NULL: local */
        char *const *ssh_opts;    /* extra ssh arguments (-o, -p, -i ...), n_ssh_opts of them */
        size_t n_ssh_opts;
        const char *tcpdump;      /* the remote command, default "tcpdump" */
} live_opts_t;

typedef struct live live_t;

/* Checks the filter and starts the capture: *ret_stream is the pcap stream to analyse (EOF when the capture
 * ends). 0, or -errno with the reason in err. */
int live_start(const live_opts_t *o, live_t **ret, FILE **ret_stream, char *err, size_t errlen);
/* Ends the capture early (Ctrl-C): safe from a signal handler. */
void live_stop(live_t *l);
/* The analysis stopped reading before the stream ended (an error): a local capture ends; ssh is given time
 * to end by itself in live_finish() (its own error says more), then stopped. */
void live_abandon(live_t *l);
/* After the stream ended: waits for the capture, frees it. 0, or -errno with the reason in err (the
 * capture failed; what was analysed before stays valid). *ret_packets: packets captured; *ret_dropped:
 * packets the kernel dropped (local only). */
int live_finish(live_t *l, uint64_t *ret_packets, uint64_t *ret_dropped, char *err, size_t errlen);
/* The filter compiles (for Ethernet): 0, or -EINVAL with libpcap's reason in err. */
int live_check_filter(const char *filter, char *err, size_t errlen);
