/* Live capture (see live.h). */
#include "live.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/macro.h"

extern char **environ;

struct live {
        live_opts_t o;
        pthread_t thread;
        bool started;
        atomic_bool stop;     /* Ctrl-C: end the capture */
        atomic_bool abandon;  /* the analysis stopped reading: a local capture ends, ssh is left to end */
        /* local */
        pcap_t *pcap;
        int fd;               /* the capture's selectable fd, -1 when it has none */
        pcap_dumper_t *to_analysis, *to_file;
        /* ssh */
        pid_t ssh_pid;
        int ssh_out;          /* ssh's stdout: the remote tcpdump's pcap stream */
        int ssh_err;          /* a file with ssh's standard error */
        int pipe_w;           /* the analysis reads the other end */
        FILE *copy;           /* --write in ssh mode */
        /* results */
        uint64_t packets, dropped;
        int error;
        char why[512];
};

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int live_check_filter(const char *filter, char *err, size_t errlen) {
        struct bpf_program prog;
        pcap_t *dead;
        int r = 0;

        if (!filter || !*filter)
                return 0;
        dead = pcap_open_dead(DLT_EN10MB, 262144);
        if (!dead)
                return snprintf(err, errlen, "libpcap cannot check filters"), -ENOMEM;
        if (pcap_compile(dead, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
                snprintf(err, errlen, "invalid capture filter '%s': %s", filter, pcap_geterr(dead));
                r = -EINVAL;
        } else
                pcap_freecode(&prog);
        pcap_close(dead);
        return r;
}

/* ---- local: libpcap on a thread, writing pcap records into the pipe (and the copy) ---- */

static void *local_main(void *arg) {
        live_t *l = arg;
        int64_t end = l->o.duration_s ? now_ms() + (int64_t) l->o.duration_s * 1000 : INT64_MAX;
        unsigned since_flush = 0;

        while (!atomic_load(&l->stop) && !atomic_load(&l->abandon) && now_ms() < end && (!l->o.count || l->packets < l->o.count)) {
                struct pcap_pkthdr *h;
                const u_char *data;
                int r;
                /* non-blocking, with our own wait: in immediate mode libpcap's read timeout does not wake an idle
                 * interface, and the duration and Ctrl-C must end the capture whether packets come or not */
                if (l->fd >= 0) {
                        struct pollfd pfd = { .fd = l->fd, .events = POLLIN };
                        (void) poll(&pfd, 1, 100);
                }
                r = pcap_next_ex(l->pcap, &h, &data);
                if (r == 0 || (r == 1 && ++since_flush >= 64)) {
                        /* a quiet moment or a batch: the analysis sees what came */
                        pcap_dump_flush(l->to_analysis);
                        since_flush = 0;
                }
                if (r == 0)
                        continue;
                if (r < 0) {
                        if (r == PCAP_ERROR_BREAK)
                                break;
                        snprintf(l->why, sizeof(l->why), "the capture stopped: %s", pcap_geterr(l->pcap));
                        l->error = -EIO;
                        break;
                }
                pcap_dump((u_char *) l->to_analysis, h, data);
                if (l->to_file)
                        pcap_dump((u_char *) l->to_file, h, data);
                l->packets++;
        }
        {
                struct pcap_stat st;
                if (pcap_stats(l->pcap, &st) == 0)
                        l->dropped = st.ps_drop;
        }
        pcap_dump_close(l->to_analysis); /* the analysis sees the end of the stream */
        l->to_analysis = NULL;
        return NULL;
}

static int local_start(live_t *l, FILE **ret_stream, char *err, size_t errlen) {
        const char *iface = l->o.iface ? l->o.iface : "any";
        char ebuf[PCAP_ERRBUF_SIZE] = "";
        struct bpf_program prog;
        int fds[2], r;
        FILE *w, *rd;

        l->pcap = pcap_create(iface, ebuf);
        if (!l->pcap)
                return snprintf(err, errlen, "cannot capture on %s: %s", iface, ebuf), -ENODEV;
        pcap_set_snaplen(l->pcap, 262144);
        pcap_set_promisc(l->pcap, 0);
        pcap_set_timeout(l->pcap, 100);
        pcap_set_immediate_mode(l->pcap, 1);
        r = pcap_activate(l->pcap);
        if (r == PCAP_ERROR_PERM_DENIED || r == PCAP_ERROR_PROMISC_PERM_DENIED)
                return snprintf(err, errlen,
                                "no permission to capture on %s: run as root, or give the program the capture "
                                "capabilities (setcap cap_net_raw,cap_net_admin=eip)", iface), -EPERM;
        if (r == PCAP_ERROR_NO_SUCH_DEVICE)
                return snprintf(err, errlen, "no such network interface: %s", iface), -ENODEV;
        if (r < 0)
                return snprintf(err, errlen, "cannot capture on %s: %s", iface, pcap_geterr(l->pcap)), -EIO;
        if (l->o.filter && *l->o.filter) {
                if (pcap_compile(l->pcap, &prog, l->o.filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
                        return snprintf(err, errlen, "invalid capture filter '%s': %s", l->o.filter, pcap_geterr(l->pcap)),
                               -EINVAL;
                r = pcap_setfilter(l->pcap, &prog);
                pcap_freecode(&prog);
                if (r < 0)
                        return snprintf(err, errlen, "cannot apply the filter: %s", pcap_geterr(l->pcap)), -EIO;
        }
        if (l->o.write_path) {
                l->to_file = pcap_dump_open(l->pcap, l->o.write_path);
                if (!l->to_file)
                        return snprintf(err, errlen, "cannot write %s: %s", l->o.write_path, pcap_geterr(l->pcap)), -EIO;
        }
        if (pipe2(fds, O_CLOEXEC) < 0)
                return snprintf(err, errlen, "pipe: %s", strerror(errno)), -errno;
        w = fdopen(fds[1], "w");
        rd = fdopen(fds[0], "r");
        if (!w || !rd) {
                if (w)
                        fclose(w);
                else
                        close(fds[1]);
                if (rd)
                        fclose(rd);
                else
                        close(fds[0]);
                return snprintf(err, errlen, "out of memory"), -ENOMEM;
        }
        l->to_analysis = pcap_dump_fopen(l->pcap, w);
        if (!l->to_analysis) {
                fclose(w);
                fclose(rd);
                return snprintf(err, errlen, "cannot start the stream: %s", pcap_geterr(l->pcap)), -EIO;
        }
        pcap_dump_flush(l->to_analysis); /* the header at once: the analysis starts reading */
        if (pcap_setnonblock(l->pcap, 1, ebuf) < 0)
                return snprintf(err, errlen, "cannot capture without blocking: %s", ebuf), -EIO;
        l->fd = pcap_get_selectable_fd(l->pcap);
        r = pthread_create(&l->thread, NULL, local_main, l);
        if (r != 0) {
                fclose(rd);
                return snprintf(err, errlen, "cannot start the capture thread: %s", strerror(r)), -r;
        }
        l->started = true;
        *ret_stream = rd;
        return 0;
}

/* ---- ssh: the system's client runs tcpdump -w - on the host ---- */

/* s in single quotes for the remote shell (ssh joins its arguments into one command line). */
static char *shell_quote(const char *s) {
        size_t n = 2;
        for (const char *p = s; *p; p++)
                n += *p == '\'' ? 4 : 1;
        char *q = malloc(n + 1), *o = q;
        if (!q)
                return NULL;
        *o++ = '\'';
        for (const char *p = s; *p; p++) {
                if (*p == '\'') {
                        memcpy(o, "'\\''", 4);
                        o += 4;
                } else
                        *o++ = *p;
        }
        *o++ = '\'';
        *o = 0;
        return q;
}

static void *copy_main(void *arg) {
        live_t *l = arg;
        uint8_t buf[65536];
        for (;;) {
                ssize_t n = read(l->ssh_out, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                for (ssize_t off = 0; off < n;) {
                        ssize_t m = write(l->pipe_w, buf + off, (size_t) (n - off));
                        if (m < 0 && errno == EINTR)
                                continue;
                        if (m <= 0)
                                goto out; /* the analysis stopped reading */
                        off += m;
                }
                if (l->copy && fwrite(buf, 1, (size_t) n, l->copy) != (size_t) n && !l->error) {
                        snprintf(l->why, sizeof(l->why), "cannot write %s: %s", l->o.write_path, strerror(errno));
                        l->error = -EIO;
                }
        }
out:
        close(l->pipe_w);
        l->pipe_w = -1;
        return NULL;
}

static int ssh_start(live_t *l, FILE **ret_stream, char *err, size_t errlen) {
        _cleanup_free_ char *qi = NULL, *qf = NULL, *qt = NULL, *remote = NULL;
        char count[32] = "", duration[32] = "";
        posix_spawn_file_actions_t fa;
        int out[2], data[2], r;
        char tmpl[] = "/tmp/pcap-analyzer-ssh-XXXXXX";
        const char **argv;
        size_t k = 0;
        FILE *rd;

        qi = shell_quote(l->o.iface ? l->o.iface : "any");
        qf = shell_quote(l->o.filter ? l->o.filter : "");
        qt = shell_quote(l->o.tcpdump ? l->o.tcpdump : "tcpdump");
        if (!qi || !qf || !qt)
                return snprintf(err, errlen, "out of memory"), -ENOMEM;
        if (l->o.count)
                snprintf(count, sizeof(count), " -c %llu", (unsigned long long) l->o.count);
        if (l->o.duration_s)
                snprintf(duration, sizeof(duration), "timeout %llu ", (unsigned long long) l->o.duration_s);
        /* the tcpdump word is quoted as one command name; -U: each packet at once; -s 0: whole packets */
        if (asprintf(&remote, "exec %s%s -U -w - -s 0 -i %s%s -- %s", duration, qt, qi, count, qf) < 0)
                return snprintf(err, errlen, "out of memory"), -ENOMEM;
        if (l->o.write_path) {
                l->copy = fopen(l->o.write_path, "we");
                if (!l->copy)
                        return snprintf(err, errlen, "cannot write %s: %s", l->o.write_path, strerror(errno)), -errno;
        }
        l->ssh_err = mkstemp(tmpl);
        if (l->ssh_err < 0)
                return snprintf(err, errlen, "cannot make a temporary file: %s", strerror(errno)), -errno;
        unlink(tmpl);
        (void) fcntl(l->ssh_err, F_SETFD, FD_CLOEXEC);
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(data, O_CLOEXEC) < 0)
                return snprintf(err, errlen, "pipe: %s", strerror(errno)), -errno;

        argv = calloc(l->o.n_ssh_opts + 10, sizeof(*argv));
        if (!argv)
                return snprintf(err, errlen, "out of memory"), -ENOMEM;
        argv[k++] = "ssh";
        argv[k++] = "-o";
        argv[k++] = "BatchMode=yes";  /* no prompt on our terminal: a refused login is an error */
        for (size_t i = 0; i < l->o.n_ssh_opts; i++)
                argv[k++] = l->o.ssh_opts[i];
        argv[k++] = "--";
        argv[k++] = l->o.ssh_host;
        argv[k++] = remote;
        argv[k] = NULL;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, l->ssh_err, STDERR_FILENO);
        r = posix_spawnp(&l->ssh_pid, "ssh", &fa, NULL, (char *const *) argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        free(argv);
        close(out[1]);
        if (r != 0) {
                close(out[0]);
                close(data[0]);
                close(data[1]);
                return snprintf(err, errlen, "cannot run ssh: %s (is openssh-client installed?)", strerror(r)), -r;
        }
        l->ssh_out = out[0];
        l->pipe_w = data[1];
        rd = fdopen(data[0], "r");
        if (!rd)
                return snprintf(err, errlen, "out of memory"), -ENOMEM;
        r = pthread_create(&l->thread, NULL, copy_main, l);
        if (r != 0) {
                fclose(rd);
                return snprintf(err, errlen, "cannot start the copy thread: %s", strerror(r)), -r;
        }
        l->started = true;
        *ret_stream = rd;
        return 0;
}

/* What ssh and the remote tcpdump said, as a sentence. */
static void ssh_explain(live_t *l, int status) {
        char msg[4096] = "", *last;
        ssize_t n = pread(l->ssh_err, msg, sizeof(msg) - 1, 0);
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        const char *h = l->o.ssh_host;

        msg[n > 0 ? n : 0] = 0;
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
                msg[--n] = 0;
        last = strrchr(msg, '\n');
        last = last ? last + 1 : msg;
        /* the remote tcpdump's own words first: its banner goes to stderr too */
        if (atomic_load(&l->stop) && (code == 255 || WIFSIGNALED(status)))
                return; /* ended by us (Ctrl-C, or the analysis stopped reading) */
        if (strstr(msg, "ould not resolve hostname") || strstr(msg, "Name or service not known"))
                snprintf(l->why, sizeof(l->why), "unknown host %s (%s)", h, last);
        else if (strstr(msg, "Permission denied (") || strstr(msg, "Too many authentication failures"))
                snprintf(l->why, sizeof(l->why), "the login to %s was refused (%s)", h, last);
        else if (code == 127 || strstr(msg, "command not found") ||
                 (code != 255 && (strstr(msg, "not found") || strstr(msg, "No such file or directory"))))
                snprintf(l->why, sizeof(l->why), "%s is not installed on %s (or not in its PATH)",
                         l->o.tcpdump ? l->o.tcpdump : "tcpdump", h);
        else if (code == 255)
                snprintf(l->why, sizeof(l->why), "cannot reach %s over ssh (%s)", h, last[0] ? last : "ssh exit 255");
        else if (strstr(msg, "permission") || strstr(msg, "Operation not permitted") || strstr(msg, "not permitted"))
                snprintf(l->why, sizeof(l->why),
                         "tcpdump on %s may not capture (%s): log in as root there, or give tcpdump the capture "
                         "capabilities", h, last);
        else if (code == 0 || code == 124)
                return; /* ended by -c or by the duration's timeout */
        else
                snprintf(l->why, sizeof(l->why), "the capture on %s failed (exit %d): %s", h, code, last);
        l->error = -EIO;
}

int live_start(const live_opts_t *o, live_t **ret, FILE **ret_stream, char *err, size_t errlen) {
        live_t *l;
        int r;

        r = live_check_filter(o->filter, err, errlen);
        if (r < 0)
                return r;
        l = calloc(1, sizeof(*l));
        if (!l)
                return snprintf(err, errlen, "out of memory"), -ENOMEM;
        l->o = *o;
        l->ssh_out = l->ssh_err = l->pipe_w = l->fd = -1;
        r = o->ssh_host ? ssh_start(l, ret_stream, err, errlen) : local_start(l, ret_stream, err, errlen);
        if (r < 0) {
                live_finish(l, NULL, NULL, NULL, 0);
                return r;
        }
        *ret = l;
        return 0;
}

void live_abandon(live_t *l) {
        if (l)
                atomic_store(&l->abandon, true);
}

void live_stop(live_t *l) {
        if (!l)
                return;
        atomic_store(&l->stop, true);
        if (l->ssh_pid > 0)
                kill(l->ssh_pid, SIGTERM);
}

int live_finish(live_t *l, uint64_t *ret_packets, uint64_t *ret_dropped, char *err, size_t errlen) {
        int r;

        if (!l)
                return 0;
        if (l->ssh_pid > 0) {
                int status = 0;
                pid_t p = 0;
                /* the stream ended: ssh ends by itself (the remote exited); a stuck one is stopped after 5 s */
                for (int i = 0; i < 500 && (p = waitpid(l->ssh_pid, &status, WNOHANG)) == 0; i++)
                        usleep(10000);
                if (p == 0) {
                        atomic_store(&l->stop, true);
                        kill(l->ssh_pid, SIGTERM);
                        while (waitpid(l->ssh_pid, &status, 0) < 0 && errno == EINTR)
                                ;
                }
                if (l->started)
                        pthread_join(l->thread, NULL);
                ssh_explain(l, status);
        } else if (l->started)
                pthread_join(l->thread, NULL);
        if (l->to_analysis)
                pcap_dump_close(l->to_analysis);
        if (l->to_file)
                pcap_dump_close(l->to_file);
        if (l->pcap)
                pcap_close(l->pcap);
        if (l->copy && fclose(l->copy) != 0 && !l->error) {
                snprintf(l->why, sizeof(l->why), "cannot write %s: %s", l->o.write_path, strerror(errno));
                l->error = -EIO;
        }
        safe_close(l->ssh_out);
        safe_close(l->ssh_err);
        safe_close(l->pipe_w);
        if (ret_packets)
                *ret_packets = l->packets;
        if (ret_dropped)
                *ret_dropped = l->dropped;
        if (l->error && err)
                snprintf(err, errlen, "%s", l->why);
        r = l->error;
        free(l);
        return r;
}
