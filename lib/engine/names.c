/* Names for what the reports show, one table each for every writer: protocols (the JSON key, the words and
 * the layer), well-known services by port, DNS query types and response codes, ICMP types and codes. */
#include <inttypes.h>
#include <stdio.h>

#include "engine.h"
#include "names.h"

const char *names_service(uint8_t proto, uint16_t port) {
        static const struct { uint16_t port; uint8_t proto; const char *name; } t[] = {
                { 20, 6, "ftp-data" }, { 21, 6, "ftp" }, { 22, 6, "ssh" }, { 23, 6, "telnet" }, { 25, 6, "smtp" },
                { 53, 6, "dns" }, { 53, 17, "dns" }, { 67, 17, "dhcp" }, { 68, 17, "dhcp" }, { 69, 17, "tftp" },
                { 80, 6, "http" }, { 110, 6, "pop3" }, { 111, 17, "rpcbind" }, { 111, 6, "rpcbind" },
                { 123, 17, "ntp" }, { 137, 17, "netbios-ns" }, { 139, 6, "netbios" }, { 143, 6, "imap" },
                { 161, 17, "snmp" }, { 389, 6, "ldap" }, { 443, 6, "https" }, { 443, 17, "quic" },
                { 445, 6, "smb" }, { 465, 6, "smtps" }, { 514, 17, "syslog" }, { 587, 6, "submission" },
                { 993, 6, "imaps" }, { 995, 6, "pop3s" }, { 1194, 17, "openvpn" }, { 1883, 6, "mqtt" },
                { 2049, 6, "nfs" }, { 2049, 17, "nfs" }, { 3306, 6, "mysql" }, { 3389, 6, "rdp" },
                { 5060, 17, "sip" }, { 5353, 17, "mdns" }, { 5355, 17, "llmnr" }, { 5432, 6, "postgresql" },
                { 6379, 6, "redis" }, { 8080, 6, "http-alt" }, { 8443, 6, "https-alt" }, { 9100, 6, "jetdirect" },
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
                if (t[i].port == port && t[i].proto == proto)
                        return t[i].name;
        return NULL;
}


const names_proto_t names_proto[_PROTO_MAX] = {
        [PROTO_ETHERNET] = { "ethernet", "Ethernet", "link" },
        [PROTO_VLAN] = { "vlan", "VLAN (802.1Q / 802.1ad)", "link" },
        [PROTO_SLL] = { "sll", "Linux cooked capture", "link" },
        [PROTO_IPV4] = { "ipv4", "IPv4", "network" },
        [PROTO_IPV6] = { "ipv6", "IPv6", "network" },
        [PROTO_ARP] = { "arp", "ARP", "link" },
        [PROTO_TCP] = { "tcp", "TCP", "transport" },
        [PROTO_UDP] = { "udp", "UDP", "transport" },
        [PROTO_ICMP] = { "icmp", "ICMP", "network" },
        [PROTO_ICMPV6] = { "icmpv6", "ICMPv6", "network" },
        [PROTO_DNS] = { "dns", "DNS", "application" },
        [PROTO_SCTP] = { "sctp", "SCTP", "transport" },
        [PROTO_GRE] = { "gre", "GRE", "tunnel" },
        [PROTO_ESP] = { "esp", "IPsec ESP", "tunnel" },
        [PROTO_IP_OTHER] = { "ip_other", "Other IP payload (incl. non-first fragments)", "network" },
        [PROTO_NON_IP] = { "non_ip", "Not IP", "link" },
};


const char *names_dns_qtype(uint32_t t, char *buf, size_t len) {
        static const struct { uint16_t t; const char *n; } q[] = {
                { 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" }, { 13, "HINFO" }, { 15, "MX" },
                { 16, "TXT" }, { 28, "AAAA" }, { 33, "SRV" }, { 35, "NAPTR" }, { 41, "OPT" }, { 43, "DS" },
                { 46, "RRSIG" }, { 47, "NSEC" }, { 48, "DNSKEY" }, { 64, "SVCB" }, { 65, "HTTPS" }, { 252, "AXFR" },
                { 255, "ANY" }, { 257, "CAA" },
        };
        for (size_t i = 0; i < sizeof q / sizeof q[0]; i++)
                if (q[i].t == t)
                        return q[i].n;
        snprintf(buf, len, "TYPE%" PRIu32, t);
        return buf;
}

const char *names_dns_rcode_meaning(unsigned r) {
        switch (r) {
        case 0: return "answered";
        case 1: return "the server could not parse the query";
        case 2: return "the server failed to get an answer (upstream or internal failure)";
        case 3: return "the name does not exist";
        case 4: return "the server does not support this kind of query";
        case 5: return "the server refused to answer this client";
        default: return "";
        }
}

void names_icmp(bool v6, unsigned type, unsigned code, const char **ret_type, const char **ret_code) {
        const char *t = NULL, *c = NULL;
        if (!v6) {
                switch (type) {
                case 0: t = "echo reply"; break;
                case 3: {
                        static const char *const u[16] = {
                                "network unreachable", "host unreachable", "protocol unreachable", "port unreachable",
                                "fragmentation needed (DF set)", "source route failed", "destination network unknown",
                                "destination host unknown", "source host isolated", "network prohibited",
                                "host prohibited", "network unreachable for ToS", "host unreachable for ToS",
                                "communication administratively prohibited", "host precedence violation",
                                "precedence cutoff in effect",
                        };
                        t = "destination unreachable";
                        c = code < 16 ? u[code] : NULL;
                        break;
                }
                case 4: t = "source quench"; break;
                case 5:
                        t = "redirect";
                        c = code == 0 ? "for the network" : code == 1 ? "for the host" : NULL;
                        break;
                case 8: t = "echo request"; break;
                case 9: t = "router advertisement"; break;
                case 10: t = "router solicitation"; break;
                case 11:
                        t = "time exceeded";
                        c = code == 0 ? "TTL expired in transit" : code == 1 ? "fragment reassembly time exceeded" : NULL;
                        break;
                case 12: t = "parameter problem"; break;
                case 13: t = "timestamp"; break;
                case 14: t = "timestamp reply"; break;
                default: break;
                }
        } else {
                switch (type) {
                case 1: {
                        static const char *const u[8] = {
                                "no route to destination", "administratively prohibited", "beyond scope of source address",
                                "address unreachable", "port unreachable", "source address failed policy",
                                "reject route to destination", "error in source routing header",
                        };
                        t = "destination unreachable";
                        c = code < 8 ? u[code] : NULL;
                        break;
                }
                case 2: t = "packet too big"; break;
                case 3:
                        t = "time exceeded";
                        c = code == 0 ? "hop limit exceeded in transit" : code == 1 ? "fragment reassembly time exceeded" : NULL;
                        break;
                case 4: t = "parameter problem"; break;
                case 128: t = "echo request"; break;
                case 129: t = "echo reply"; break;
                case 130: t = "multicast listener query"; break;
                case 131: t = "multicast listener report"; break;
                case 132: t = "multicast listener done"; break;
                case 133: t = "router solicitation"; break;
                case 134: t = "router advertisement"; break;
                case 135: t = "neighbour solicitation"; break;
                case 136: t = "neighbour advertisement"; break;
                case 137: t = "redirect"; break;
                case 143: t = "multicast listener report v2"; break;
                default: break;
                }
        }
        *ret_type = t ? t : "other";
        *ret_code = c;
}
