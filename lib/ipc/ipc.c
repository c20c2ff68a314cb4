/* The frontend <-> analyzer protocol: size table, pure decoder, and SCM_RIGHTS send/receive. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "ipc/ipc.h"
#include "util/macro.h"

/* recvmsg() room for more fds than a message may carry, so an extra fd is seen (and closed), not lost. */
#define IPC_RECV_FDS_ROOM 4

int ipc_payload_size(uint32_t type) {
        switch (type) {
        case IPC_JOB:
                return sizeof(ipc_job_t);
        case IPC_JOB_FD:
                return sizeof(ipc_job_fd_t);
        case IPC_PROGRESS:
                return sizeof(ipc_progress_t);
        case IPC_DONE:
                return sizeof(ipc_done_t);
        case IPC_ERROR:
                return sizeof(ipc_error_t);
        default:
                return -EBADMSG;
        }
}

static unsigned ipc_fds_for_type(uint32_t type) {
        return type == IPC_JOB || type == IPC_JOB_FD ? 1 : 0;
}

static bool text_is_terminated(const char *s, size_t size) {
        return memchr(s, 0, size) != NULL;
}

static int ipc_payload_validate(uint32_t type, const void *payload) {
        switch (type) {
        case IPC_JOB: {
                ipc_job_t j;
                memcpy(&j, payload, sizeof(j));
                if (j.version != IPC_PROTOCOL_VERSION)
                        return -EPROTO;
                if (j.n_thresholds > IPC_THRESHOLDS_MAX || j._pad != 0)
                        return -EBADMSG;
                for (uint32_t i = 0; i < IPC_THRESHOLDS_MAX; i++)
                        if (i < j.n_thresholds ? !isfinite(j.thresholds[i]) || j.threshold_source[i] > 15
                                               : j.thresholds[i] != 0 || j.threshold_source[i] != 0)
                                return -EBADMSG;
                return 0;
        }
        case IPC_JOB_FD: {
                ipc_job_fd_t j;
                memcpy(&j, payload, sizeof(j));
                if (j.which > 1 || j._pad != 0)
                        return -EBADMSG;
                return 0;
        }
        case IPC_PROGRESS: {
                ipc_progress_t p;
                memcpy(&p, payload, sizeof(p));
                if (!text_is_terminated(p.phase, sizeof(p.phase)) || p.phase[0] == 0)
                        return -EBADMSG;
                if (!isfinite(p.percent) || p.percent < -1.0 || p.percent > 100.0)
                        return -EBADMSG;
                return 0;
        }
        case IPC_DONE: {
                ipc_done_t d;
                memcpy(&d, payload, sizeof(d));
                if (d.partial > 1 || d.health_score < 0 || d.health_score > 100)
                        return -EBADMSG;
                return 0;
        }
        case IPC_ERROR: {
                ipc_error_t e;
                memcpy(&e, payload, sizeof(e));
                if (e.code < IPC_ERROR_NOT_CAPTURE || e.code > IPC_ERROR_TIMEOUT ||
                    !text_is_terminated(e.message, sizeof(e.message)))
                        return -EBADMSG;
                return 0;
        }
        default:
                return -EBADMSG;
        }
}

int ipc_decode(const void *buf, size_t len, unsigned n_fds, ipc_header_t *ret_header, void *ret_payload,
               size_t payload_max) {
        ipc_header_t h;
        int size, r;

        if (!buf || !ret_header || (!ret_payload && payload_max > 0))
                return -EINVAL;
        if (len < sizeof(h))
                return -EBADMSG;
        memcpy(&h, buf, sizeof(h));

        size = ipc_payload_size(h.type);
        if (size < 0)
                return size;
        if (h.length != (uint32_t) size || len != sizeof(h) + (size_t) size)
                return -EBADMSG;
        if (n_fds != ipc_fds_for_type(h.type))
                return -EBADMSG;
        if (!id_is_valid(h.task_id, ID_LEN))
                return -EBADMSG;

        r = ipc_payload_validate(h.type, (const uint8_t *) buf + sizeof(h));
        if (r < 0)
                return r;
        if ((size_t) size > payload_max)
                return -ENOBUFS;

        memcpy(ret_payload, (const uint8_t *) buf + sizeof(h), size);
        *ret_header = h;
        return 0;
}

int ipc_send(int sock, uint32_t type, const char task_id[ID_LEN], const void *payload, size_t len,
             int fd) {
        int size = ipc_payload_size(type);
        if (size < 0 || len != (size_t) size || !task_id || (!payload && len > 0))
                return -EINVAL;
        if ((fd >= 0) != (ipc_fds_for_type(type) == 1))
                return -EINVAL;

        ipc_header_t h = { .type = type, .length = (uint32_t) len };
        memcpy(h.task_id, task_id, ID_LEN);

        struct iovec iov[2] = {
                { .iov_base = &h, .iov_len = sizeof(h) },
                { .iov_base = (void *) payload, .iov_len = len },
        };
        union {
                struct cmsghdr cmsg;
                uint8_t buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

        if (fd >= 0) {
                mh.msg_control = &control;
                mh.msg_controllen = sizeof(control.buf);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }

        for (;;) {
                ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                /* SOCK_SEQPACKET sends a record whole or not at all. */
                return (size_t) n == sizeof(h) + len ? 0 : -EMSGSIZE;
        }
}

static void close_fds(const int *fds, unsigned n) {
        for (unsigned i = 0; i < n; i++)
                safe_close(fds[i]);
}

int ipc_recv(int sock, ipc_header_t *ret_header, void *ret_payload, size_t payload_max, int *ret_fd) {
        union {
                ipc_header_t h;
                uint8_t buf[IPC_MESSAGE_MAX + 1]; /* one more byte: an oversized record shows as MSG_TRUNC */
        } data;
        union {
                struct cmsghdr cmsg;
                uint8_t buf[CMSG_SPACE(sizeof(int) * IPC_RECV_FDS_ROOM)];
        } control;
        struct iovec iov = { .iov_base = data.buf, .iov_len = sizeof(data.buf) };
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1,
                .msg_control = &control, .msg_controllen = sizeof(control.buf),
        };
        int fds[IPC_RECV_FDS_ROOM];
        unsigned n_fds = 0;
        ssize_t n;
        int r;

        if (!ret_header || !ret_fd)
                return -EINVAL;

        for (;;) {
                n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
                if (n >= 0)
                        break;
                if (errno != EINTR)
                        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        }

        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k; i++) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        if (n_fds < ELEMENTSOF(fds))
                                fds[n_fds++] = fd;
                        else
                                safe_close(fd);
                }
        }

        if (n == 0) {
                /* EOF (a zero-length record is never valid either) */
                close_fds(fds, n_fds);
                return -ECONNRESET;
        }
        if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
                close_fds(fds, n_fds);
                return -EBADMSG;
        }

        r = ipc_decode(data.buf, (size_t) n, n_fds, ret_header, ret_payload, payload_max);
        if (r < 0) {
                close_fds(fds, n_fds);
                return r;
        }

        *ret_fd = n_fds > 0 ? fds[0] : -1;
        return 0;
}
