/* The floor of the engine benchmark: a bare libpcap read loop that only touches each record (pcap_next_ex). */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

int main(int argc, char **argv) {
        char errbuf[PCAP_ERRBUF_SIZE];
        struct pcap_pkthdr *h;
        const u_char *data;
        uint64_t packets = 0, wire = 0, sum = 0;
        struct timespec t0, t1;
        pcap_t *p;
        int r;

        if (argc != 2) {
                fprintf(stderr, "usage: %s CAPTURE\n", argv[0]);
                return 2;
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        p = pcap_open_offline(argv[1], errbuf);
        if (!p) {
                fprintf(stderr, "%s: %s\n", argv[1], errbuf);
                return 3;
        }
        while ((r = pcap_next_ex(p, &h, &data)) == 1) {
                packets++;
                wire += h->len;
                if (h->caplen > 0)
                        sum += data[0]; /* touch the packet, as any reader must */
        }
        if (r == PCAP_ERROR)
                fprintf(stderr, "%s: %s\n", argv[1], pcap_geterr(p));
        pcap_close(p);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("packets=%llu bytes=%llu checksum=%llu read_s=%.6f\n", (unsigned long long) packets,
               (unsigned long long) wire, (unsigned long long) sum,
               (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9);
        return 0;
}
