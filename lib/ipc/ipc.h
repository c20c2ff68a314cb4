/* The frontend <-> analyzer protocol: fixed header, fixed-size payload per type, at most one fd each. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/id.h" /* ID_LEN: task ids travel as ID_LEN hex digits, no NUL */

/* Carried over AF_UNIX SOCK_SEQPACKET, one message per packet.
 * Rule (STYLE.md 6): at most one fd per message, so a job is JOB (capture fd) + JOB_FD (json fd) +
 * JOB_FD (html fd), in that order, then the analyzer answers with PROGRESS* then DONE or ERROR. */

#define IPC_PROTOCOL_VERSION 3
#define IPC_TEXT_MAX 256     /* bounded strings inside payloads, NUL-terminated within the array */
#define IPC_THRESHOLDS_MAX 64 /* room for the engine's thresholds in a JOB */
/* PROGRESS: the analyzer sends one per callback of the engine (at most every 100 ms or 1 % of the capture,
 * and per phase); pcapd-web alone decides how many of them the streams see. */

typedef enum ipc_type {
        IPC_JOB = 1,      /* web -> analyzer, fd: capture (O_RDONLY) */
        IPC_JOB_FD,       /* web -> analyzer, fd: JSON report then HTML report (O_WRONLY) */
        IPC_PROGRESS,     /* analyzer -> web */
        IPC_DONE,         /* analyzer -> web, last message */
        IPC_ERROR,        /* analyzer -> web, last message */
        _IPC_TYPE_MAX,
} ipc_type_t;

/* ERROR codes. */
typedef enum ipc_error_code {
        IPC_ERROR_NOT_CAPTURE = 3,   /* the file is not a capture the engine reads */
        IPC_ERROR_LIMIT = 4,         /* a limit was reached (memory budget, report size) */
        IPC_ERROR_INTERNAL = 5,      /* anything else: fds, confinement, I/O */
        IPC_ERROR_TIMEOUT = 6,       /* the job's timeout_s passed */
} ipc_error_code_t;

typedef struct ipc_header {
        uint32_t type;
        uint32_t length;                  /* payload length, must equal the size for the type */
        char task_id[ID_LEN];
} ipc_header_t;

/* Every field is filled by pcapd-web and read by the analyzer. */
typedef struct ipc_job {
        uint32_t version;                 /* IPC_PROTOCOL_VERSION */
        uint32_t timeout_s;               /* the analyzer stops itself (ERROR TIMEOUT) after this; 0 none */
        uint64_t memory_budget;           /* bytes the engine may allocate (ERROR LIMIT past it); 0 none */
        uint64_t max_packets;             /* pcapd-web's --max-packets: the report is partial past it; 0 none */
        uint32_t max_flows;               /* --max-flows; 0: the engine's default */
        uint32_t max_events;              /* --max-events; 0: the engine's default */
        /* the thresholds (lib/engine/threshold.h, in its order) pcapd-web read from its configuration file,
         * so that the sandboxed analyzer never opens it: n_thresholds values (0: the engine's defaults), each finite, and what set each
         * (threshold_source_t); the analyzer refuses another count (a frontend built apart) or a value out of
         * its range */
        uint32_t n_thresholds;
        uint32_t _pad;
        double thresholds[IPC_THRESHOLDS_MAX];
        uint8_t threshold_source[IPC_THRESHOLDS_MAX];
} ipc_job_t;

typedef struct ipc_job_fd {
        uint32_t which;                   /* 0 = JSON report, 1 = HTML report */
        uint32_t _pad;
} ipc_job_fd_t;

/* peak_rss everywhere: the analyzer's peak resident memory so far (getrusage), bytes. */
typedef struct ipc_progress {
        char phase[32];
        uint64_t bytes_done;
        uint64_t packets;
        uint64_t peak_rss;
        double percent;                   /* 0..100, or -1 when unknown */
} ipc_progress_t;

typedef struct ipc_done {
        uint64_t packets;
        uint64_t peak_rss;
        int32_t health_score;
        uint32_t findings;
        uint32_t partial;                 /* 1 when the capture was cut short */
        uint32_t _pad;
} ipc_done_t;

typedef struct ipc_error {
        int32_t code;                     /* ipc_error_code_t */
        uint32_t _pad;
        uint64_t peak_rss;
        char message[IPC_TEXT_MAX];
} ipc_error_t;

_Static_assert(sizeof(ipc_header_t) == 40, "ipc header is 40 bytes");
_Static_assert(sizeof(ipc_job_t) == 616, "ipc job is 616 bytes");
_Static_assert(sizeof(ipc_job_fd_t) == 8, "ipc job fd is 8 bytes");
_Static_assert(sizeof(ipc_progress_t) == 64, "ipc progress is 64 bytes");
_Static_assert(sizeof(ipc_done_t) == 32, "ipc done is 32 bytes");
_Static_assert(sizeof(ipc_error_t) == 272, "ipc error is 272 bytes");

#define IPC_MESSAGE_MAX (sizeof(ipc_header_t) + sizeof(ipc_job_t)) /* the largest payload */
_Static_assert(sizeof(ipc_job_t) >= sizeof(ipc_error_t), "the job is the largest payload");

/* Expected payload size for a type, or -EBADMSG for an unknown type. */
int ipc_payload_size(uint32_t type);

/* Sends one message (MSG_NOSIGNAL) with its fd: exactly one for JOB/JOB_FD (borrowed: the peer gets a
 * duplicate), -1 for the others. len must be the type's size. 0, -EINVAL, or -errno (-EPIPE, -EAGAIN). */
int ipc_send(int sock, uint32_t type, const char task_id[ID_LEN], const void *payload, size_t len,
             int fd);

/* Receives one message: header into *ret_header, payload into ret_payload (payload_max bytes; a union of
 * the payload types, or IPC_MESSAGE_MAX, always suffices). Validated with ipc_decode(); fds arrive with
 * MSG_CMSG_CLOEXEC and the caller owns *ret_fd (-1 if none); on any error every received fd is closed.
 * Returns 0, -EAGAIN (non-blocking, nothing there), -ECONNRESET on EOF, -EBADMSG on a malformed or
 * oversized message or a wrong fd count, -EPROTO on another protocol version (for these two the channel
 * must be closed), -ENOBUFS when payload_max is too small, or another -errno from recvmsg(). */
int ipc_recv(int sock, ipc_header_t *ret_header, void *ret_payload, size_t payload_max, int *ret_fd);

/* Pure decoder used by ipc_recv() and the fuzzer: validates one received record of len bytes that came
 * with n_fds fds. Checks: a known type, length == the type's size == len - header, exactly one fd for JOB
 * and JOB_FD and none otherwise, a task id of ID_LEN lower-case hex digits, and the payload
 * (strings NUL-terminated within their arrays, a JOB's thresholds finite and at most IPC_THRESHOLDS_MAX with
 * zero padding, JOB_FD which 0/1, finite percent in -1..100, health 0..100,
 * error code one of ipc_error_code_t). Returns 0 (header and payload copied out), -EBADMSG when malformed, -EPROTO for a
 * JOB of another protocol version, -ENOBUFS when payload_max is too small, -EINVAL on NULL arguments. */
int ipc_decode(const void *buf, size_t len, unsigned n_fds, ipc_header_t *ret_header, void *ret_payload,
               size_t payload_max);

