/* pcap-analyzer: the engine on the command line. analyze FILE [--json OUT] [-o HTML] [--csv DIR] [--quiet];
 * capture [-i IFACE] [-f FILTER] [-d S] [-c N] [-w FILE] [--ssh HOST] (live.c) with the same report options;
 * show-config prints the thresholds --config, -l and --threshold make. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/analysis.h"
#include "live.h"
#include "util/macro.h"
#include "util/parse.h"

enum { EXIT_ANALYSED = 0, EXIT_USAGE = 2, EXIT_NOT_CAPTURE = 3, EXIT_OUTPUT = 4 };

static bool arg_quiet;
static bool arg_progress;
static const char *arg_json;
static const char *arg_html;
static const char *arg_csv;
static analysis_limits_t arg_limits;
static thresholds_t arg_thresholds;
static live_opts_t arg_live;
static bool arg_live_given;       /* a capture option: only with the capture command */
static char *arg_ssh_opts[64];

static void help(FILE *f) {
        fprintf(f,
                "Usage: pcap-analyzer analyze FILE [OPTIONS]\n"
                "       pcap-analyzer capture [CAPTURE OPTIONS] [OPTIONS]\n"
                "       pcap-analyzer show-config [THRESHOLD OPTIONS]\n"
                "       pcap-analyzer --help | --version\n"
                "\n"
                "Analyses a pcap or pcapng capture (FILE may be - for standard input) and says\n"
                "why the network was slow: where the time went, handshakes, retransmissions,\n"
                "zero windows, RTT, DNS, ICMP, fragments, a health score and findings with\n"
                "Wireshark filters.\n"
                "\n"
                "Options:\n"
                "      --json OUT       write the JSON report (schema pcapd.report/2) to OUT\n"
                "                       (- = standard output)\n"
                "  -o, --html OUT       write the self-contained HTML report to OUT\n"
                "                       (- = standard output)\n"
                "      --csv DIR        write the report's tables as CSV files into DIR\n"
                "                       (made if missing; its parent must exist)\n"
                "  -q, --quiet          no terminal summary\n"
                "      --progress       print progress to standard error\n"
                "      --max-packets N  analyse at most N packets (default: no limit)\n"
                "      --max-flows N    flows tracked at once (default %u)\n"
                "      --max-events N   entries kept per event list in the report (default %u)\n"
                "  -h, --help           this text\n"
                "\n"
                "Threshold options (show-config lists every threshold, its value and why):\n"
                "      --config FILE    read thresholds from FILE ([Thresholds] NAME=VALUE)\n"
                "  -l, --latency MS     set every latency threshold to MS milliseconds\n"
                "      --threshold NAME=VALUE\n"
                "                       set one threshold (repeatable; wins over -l and\n"
                "                       --config, as -l wins over --config)\n"
                "\n"
                "Capture options (capture, here with libpcap or on --ssh HOST with tcpdump;\n"
                "the filter is checked before the capture starts; Ctrl-C ends it early):\n"
                "  -i, --interface IF   the interface (default: any)\n"
                "  -f, --filter EXPR    a BPF capture filter, as tcpdump takes\n"
                "  -d, --duration S     stop after S seconds\n"
                "  -c, --count N        stop after N packets\n"
                "  -w, --write FILE     keep the capture in FILE (pcap)\n"
                "      --ssh HOST       capture on HOST through ssh(1) (tcpdump -w - there)\n"
                "      --ssh-option OPT one more ssh argument, e.g. -p2222 (repeatable)\n"
                "      --tcpdump CMD    the remote command (default tcpdump)\n"
                "      --version        the version\n"
                "\n"
                "Exit status: 0 analysed (also a capture cut short: the report says what was\n"
                "lost), 2 usage error, 3 not a capture or unreadable, 4 a report could not be\n"
                "written.\n",
                arg_limits.max_flows, arg_limits.max_events);
}

static int load_config(const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char err[512];
        if (!f) {
                fprintf(stderr, "pcap-analyzer: --config %s: %m\n", path);
                return -errno;
        }
        int r = thresholds_load(&arg_thresholds, f, path, err, sizeof err);
        if (r < 0)
                fprintf(stderr, "pcap-analyzer: --config %s\n", err);
        return r;
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_JSON = 0x100, ARG_CSV, ARG_VERSION, ARG_PROGRESS, ARG_MAX_PACKETS, ARG_MAX_FLOWS, ARG_MAX_EVENTS,
               ARG_SSH, ARG_SSH_OPTION, ARG_TCPDUMP, ARG_CONFIG, ARG_THRESHOLD };
        static const struct option options[] = {
                { "json", required_argument, NULL, ARG_JSON },
                { "html", required_argument, NULL, 'o' },
                { "csv", required_argument, NULL, ARG_CSV },
                { "quiet", no_argument, NULL, 'q' },
                { "progress", no_argument, NULL, ARG_PROGRESS },
                { "max-packets", required_argument, NULL, ARG_MAX_PACKETS },
                { "max-flows", required_argument, NULL, ARG_MAX_FLOWS },
                { "max-events", required_argument, NULL, ARG_MAX_EVENTS },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "interface", required_argument, NULL, 'i' },
                { "filter", required_argument, NULL, 'f' },
                { "duration", required_argument, NULL, 'd' },
                { "count", required_argument, NULL, 'c' },
                { "write", required_argument, NULL, 'w' },
                { "ssh", required_argument, NULL, ARG_SSH },
                { "ssh-option", required_argument, NULL, ARG_SSH_OPTION },
                { "tcpdump", required_argument, NULL, ARG_TCPDUMP },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "latency", required_argument, NULL, 'l' },
                { "threshold", required_argument, NULL, ARG_THRESHOLD },
                {}
        };
        int c, r;
        uint64_t v;
        while ((c = getopt_long(argc, argv, "ho:qi:f:d:c:w:l:", options, NULL)) >= 0) {
                switch (c) {
                case 'i':
                        arg_live.iface = optarg;
                        arg_live_given = true;
                        break;
                case 'f':
                        arg_live.filter = optarg;
                        arg_live_given = true;
                        break;
                case 'd':
                case 'c':
                        if (parse_u64(optarg, 1, c == 'd' ? 366 * 86400 : UINT64_MAX, &v) < 0) {
                                fprintf(stderr, "pcap-analyzer: invalid %s '%s'\n", c == 'd' ? "duration" : "count", optarg);
                                return -EINVAL;
                        }
                        *(c == 'd' ? &arg_live.duration_s : &arg_live.count) = v;
                        arg_live_given = true;
                        break;
                case 'w':
                        arg_live.write_path = optarg;
                        arg_live_given = true;
                        break;
                case ARG_SSH:
                        arg_live.ssh_host = optarg;
                        arg_live_given = true;
                        break;
                case ARG_SSH_OPTION:
                        if (arg_live.n_ssh_opts >= ELEMENTSOF(arg_ssh_opts)) {
                                fprintf(stderr, "pcap-analyzer: too many --ssh-option\n");
                                return -EINVAL;
                        }
                        arg_ssh_opts[arg_live.n_ssh_opts++] = optarg;
                        arg_live.ssh_opts = arg_ssh_opts;
                        arg_live_given = true;
                        break;
                case ARG_TCPDUMP:
                        arg_live.tcpdump = optarg;
                        arg_live_given = true;
                        break;
                case 'h':
                        help(stdout);
                        return 0;
                case ARG_VERSION:
                        printf("pcap-analyzer (pcapd) %s\n", PCAPD_VERSION);
                        return 0;
                case ARG_JSON:
                        arg_json = optarg;
                        break;
                case 'o':
                        arg_html = optarg;
                        break;
                case ARG_CSV:
                        arg_csv = optarg;
                        break;
                case 'q':
                        arg_quiet = true;
                        break;
                case ARG_PROGRESS:
                        arg_progress = true;
                        break;
                case ARG_MAX_PACKETS:
                case ARG_MAX_FLOWS:
                case ARG_MAX_EVENTS:
                        if (parse_u64(optarg, c == ARG_MAX_PACKETS ? 0 : 1, c == ARG_MAX_PACKETS ? UINT64_MAX : UINT32_MAX, &v) < 0) {
                                fprintf(stderr, "pcap-analyzer: invalid number '%s'\n", optarg);
                                return -EINVAL;
                        }
                        if (c == ARG_MAX_PACKETS)
                                arg_limits.max_packets = v;
                        else if (c == ARG_MAX_FLOWS)
                                arg_limits.max_flows = (uint32_t) v;
                        else
                                arg_limits.max_events = (uint32_t) v;
                        break;
                case ARG_CONFIG:
                        if (load_config(optarg) < 0)
                                return -EINVAL;
                        break;
                case 'l':
                        r = thresholds_set_latency(&arg_thresholds, optarg, TS_LATENCY, "--latency");
                        if (r < 0) {
                                fprintf(stderr, "pcap-analyzer: --latency %s: %s\n", optarg,
                                        r == -ERANGE ? "out of range (1 to 3600000 ms)" : "not a number of milliseconds");
                                return -EINVAL;
                        }
                        break;
                case ARG_THRESHOLD:
                        r = thresholds_set_assignment(&arg_thresholds, optarg, TS_OPTION, "--threshold");
                        if (r < 0) {
                                fprintf(stderr, "pcap-analyzer: --threshold %s: %s\n", optarg,
                                        r == -ENOENT ? "unknown threshold (show-config lists them)"
                                        : r == -ERANGE ? "the value is out of the threshold's range"
                                        : "expected NAME=VALUE, VALUE a decimal number");
                                return -EINVAL;
                        }
                        break;
                case '?':
                        return -EINVAL;
                default:
                        return -EINVAL;
                }
        }
        return 1;
}

static int on_progress(const analysis_progress_t *p, void *userdata) {
        if (p->percent >= 0)
                fprintf(stderr, "\r%-10s %5.1f%% %llu packets", p->phase, p->percent, (unsigned long long) p->packets);
        else
                fprintf(stderr, "\r%-10s %llu packets", p->phase, (unsigned long long) p->packets);
        if (strcmp(p->phase, "done") == 0)
                fputc('\n', stderr);
        return 0;
}

static int write_report(analysis_t *a, const char *path, int (*fn)(analysis_t *, FILE *), const char *what) {
        FILE *f;
        _cleanup_fclose_ FILE *owned = NULL;
        if (strcmp(path, "-") == 0)
                f = stdout;
        else {
                owned = fopen(path, "we");
                if (!owned) {
                        fprintf(stderr, "pcap-analyzer: cannot write the %s report to %s: %m\n", what, path);
                        return -errno;
                }
                f = owned;
        }
        int r = fn(a, f);
        if (r >= 0 && owned) {
                r = fclose(owned) == 0 ? 0 : -errno;
                owned = NULL;
        }
        if (r < 0) {
                fprintf(stderr, "pcap-analyzer: cannot write the %s report to %s: %s\n", what, path, strerror(-r));
                return r;
        }
        return 0;
}

/* --csv DIR: made if missing (not its parents) and opened before any packet is read, so that a directory that
 * cannot be written ends the run at once. */
static int csv_dir_open(const char *path) {
        if (mkdir(path, 0755) < 0 && errno != EEXIST) {
                fprintf(stderr, "pcap-analyzer: cannot write the CSV report to %s: %m\n", path);
                return -errno;
        }
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || faccessat(fd, ".", W_OK, AT_EACCESS) < 0) {
                int r = -errno;
                fprintf(stderr, "pcap-analyzer: cannot write the CSV report to %s: %s\n", path, strerror(-r));
                if (fd >= 0)
                        close(fd);
                return r;
        }
        return fd;
}

static live_t *current_live;

static void on_interrupt(int sig) {
        live_stop(current_live);
}

/* The reports and the summary of a finished analysis; the exit status. */
static int write_all(analysis_t *a, const char *what, int csv_fd) {
        bool stdout_used = (arg_json && strcmp(arg_json, "-") == 0) || (arg_html && strcmp(arg_html, "-") == 0);
        int rc = EXIT_ANALYSED;
        if (arg_json && write_report(a, arg_json, analysis_write_json, "JSON") < 0)
                rc = EXIT_OUTPUT;
        if (arg_html && write_report(a, arg_html, analysis_write_html, "HTML") < 0)
                rc = EXIT_OUTPUT;
        if (csv_fd >= 0) {
                int r = analysis_write_csv(a, csv_fd);
                if (r < 0) {
                        fprintf(stderr, "pcap-analyzer: cannot write the CSV report to %s: %s\n", arg_csv, strerror(-r));
                        rc = EXIT_OUTPUT;
                }
        }
        if (!arg_quiet)
                analysis_write_summary(a, stdout_used ? stderr : stdout);
        if (analysis_is_partial(a) && arg_quiet)
                fprintf(stderr, "pcap-analyzer: %s: partial analysis: %s\n", what,
                        analysis_get_packets(a) ? "the capture is cut short or a limit was reached (see the report)" : "no packet could be read");
        return rc;
}

static int new_analysis(analysis_t **ret) {
        analysis_t *a = NULL;
        int r = analysis_new(&arg_limits, &a);
        if (r >= 0)
                r = analysis_set_thresholds(a, &arg_thresholds);
        if (r < 0) {
                analysis_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

/* capture: packets from an interface (or a host over ssh), analysed as they arrive. */
static int run_capture(int csv_fd) {
        struct sigaction sa = { .sa_handler = on_interrupt };
        analysis_t *a = NULL;
        FILE *stream = NULL;
        uint64_t packets = 0, dropped = 0;
        char err[768], cerr[768] = "";
        int r, rf, rc;

        r = live_start(&arg_live, &current_live, &stream, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "pcap-analyzer: %s\n", err);
                return r == -EINVAL ? EXIT_USAGE : EXIT_NOT_CAPTURE;
        }
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        if (!arg_quiet)
                fprintf(stderr, "pcap-analyzer: capturing on %s%s%s%s (Ctrl-C ends it)\n", arg_live.iface ? arg_live.iface : "any",
                        arg_live.ssh_host ? " of " : "", arg_live.ssh_host ? arg_live.ssh_host : "",
                        arg_live.write_path ? ", keeping a copy" : "");
        r = new_analysis(&a);
        if (r >= 0)
                r = analysis_read_file(a, stream, 0, arg_progress ? on_progress : NULL, NULL, err, sizeof(err));
        /* the analysis stopped before the stream ended (an error): stop the capture before waiting for it */
        if (r < 0)
                live_abandon(current_live);
        fclose(stream);
        rf = live_finish(current_live, &packets, &dropped, cerr, sizeof(cerr));
        current_live = NULL;
        if (rf < 0) {
                fprintf(stderr, "pcap-analyzer: %s\n", cerr);
                if (!a || analysis_get_packets(a) == 0) {
                        analysis_free(a);
                        return EXIT_NOT_CAPTURE;
                }
        }
        if (r < 0) {
                if (rf >= 0)
                        fprintf(stderr, "pcap-analyzer: the capture stream: %s\n", r == -EBADMSG && err[0] ? err : strerror(-r));
                analysis_free(a);
                return EXIT_NOT_CAPTURE;
        }
        if (dropped)
                fprintf(stderr, "pcap-analyzer: the kernel dropped %llu packets: the report misses them\n",
                        (unsigned long long) dropped);
        analysis_finish(a);
        rc = write_all(a, "capture", csv_fd);
        analysis_free(a);
        return rc;
}

int main(int argc, char *argv[]) {
        analysis_limits_default(&arg_limits);
        thresholds_default(&arg_thresholds);
        int r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_ANALYSED;
        if (arg_json && arg_html && strcmp(arg_json, "-") == 0 && strcmp(arg_html, "-") == 0) {
                fprintf(stderr, "pcap-analyzer: --json and --html cannot both go to standard output\n");
                return EXIT_USAGE;
        }
        if (optind < argc && strcmp(argv[optind], "show-config") == 0) {
                if (optind + 1 != argc || arg_live_given) {
                        fprintf(stderr, "pcap-analyzer: show-config takes only threshold options (see --help)\n");
                        return EXIT_USAGE;
                }
                return thresholds_print(&arg_thresholds, stdout) < 0 ? EXIT_OUTPUT : EXIT_ANALYSED;
        }
        if (arg_csv && strcmp(arg_csv, "-") == 0) {
                fprintf(stderr, "pcap-analyzer: --csv takes a directory: its files cannot go to standard output\n");
                return EXIT_USAGE;
        }
        if (optind < argc && strcmp(argv[optind], "capture") == 0) {
                if (optind + 1 != argc) {
                        fprintf(stderr, "pcap-analyzer: capture takes no FILE: -w FILE keeps the capture (see --help)\n");
                        return EXIT_USAGE;
                }
                _cleanup_close_ int csv_fd = arg_csv ? csv_dir_open(arg_csv) : -1;
                if (arg_csv && csv_fd < 0)
                        return EXIT_OUTPUT;
                return run_capture(csv_fd);
        }
        if (arg_live_given) {
                fprintf(stderr, "pcap-analyzer: -i, -f, -d, -c, -w and --ssh belong to 'capture' (see --help)\n");
                return EXIT_USAGE;
        }
        if (optind >= argc || strcmp(argv[optind], "analyze") != 0) {
                fprintf(stderr, "pcap-analyzer: expected 'analyze FILE' or 'capture' (see --help)\n");
                return EXIT_USAGE;
        }
        if (optind + 2 != argc) {
                fprintf(stderr, "pcap-analyzer: analyze takes exactly one FILE (see --help)\n");
                return EXIT_USAGE;
        }
        const char *path = argv[optind + 1];
        _cleanup_close_ int csv_fd = arg_csv ? csv_dir_open(arg_csv) : -1;
        if (arg_csv && csv_fd < 0)
                return EXIT_OUTPUT;

        FILE *in;
        _cleanup_fclose_ FILE *owned = NULL;
        if (strcmp(path, "-") == 0)
                in = stdin;
        else {
                owned = fopen(path, "re");
                if (!owned) {
                        fprintf(stderr, "pcap-analyzer: %s: %m\n", path);
                        return EXIT_NOT_CAPTURE;
                }
                struct stat st;
                if (fstat(fileno(owned), &st) == 0 && S_ISDIR(st.st_mode)) {
                        fprintf(stderr, "pcap-analyzer: %s: is a directory\n", path);
                        return EXIT_NOT_CAPTURE;
                }
                in = owned;
        }

        analysis_t *a = NULL;
        r = new_analysis(&a);
        if (r < 0) {
                fprintf(stderr, "pcap-analyzer: %s\n", strerror(-r));
                return EXIT_OUTPUT;
        }
        char err[512];
        r = analysis_read_file(a, in, 0, arg_progress ? on_progress : NULL, NULL, err, sizeof err);
        if (r < 0) {
                fprintf(stderr, "pcap-analyzer: %s: %s\n", path, r == -EBADMSG && err[0] ? err : strerror(-r));
                analysis_free(a);
                return EXIT_NOT_CAPTURE;
        }
        analysis_finish(a);
        int rc = write_all(a, path, csv_fd);
        analysis_free(a);
        return rc;
}
