/* fuzz-ipc: libFuzzer target for ipc_decode(), the validator every received IPC record goes through.
 * Built as a fuzzer with -Dfuzz=true; built with -DFUZZ_REPLAY_MAIN it is an ordinary test that replays
 * files given as arguments (regression inputs) and a deterministic stream of mutated valid records. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ipc/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* First byte: fd count (bits 0-1) and whether the payload buffer is short (bit 2); the rest is the record. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        union {
                ipc_job_t job;
                ipc_job_fd_t job_fd;
                ipc_progress_t progress;
                ipc_done_t done;
                ipc_error_t error;
        } payload;
        ipc_header_t h;
        size_t max;
        uint8_t *copy;
        int r;

        if (size < 1)
                return 0;
        max = (data[0] & 4) ? data[0] % sizeof(payload) : sizeof(payload);
        /* an exact-size heap copy, so that any read past the record is caught by ASan */
        copy = malloc(size - 1 ? size - 1 : 1);
        if (!copy)
                return 0;
        memcpy(copy, data + 1, size - 1);

        r = ipc_decode(copy, size - 1, data[0] & 3, &h, &payload, max);
        if (r == 0) {
                /* what was accepted is exactly what the protocol allows */
                int expect = ipc_payload_size(h.type);
                if (expect < 0 || h.length != (uint32_t) expect || size - 1 != sizeof(h) + h.length ||
                    (size_t) expect > max || !id_is_valid(h.task_id, ID_LEN) ||
                    memcmp(&payload, copy + sizeof(h), h.length) != 0)
                        abort();
                if (h.type == IPC_PROGRESS && (!memchr(payload.progress.phase, 0, sizeof(payload.progress.phase)) ||
                                               !isfinite(payload.progress.percent)))
                        abort();
                if (h.type == IPC_ERROR && !memchr(payload.error.message, 0, sizeof(payload.error.message)))
                        abort();
        } else if (r != -EBADMSG && r != -EPROTO && r != -ENOBUFS)
                abort();
        free(copy);
        return 0;
}

#ifdef FUZZ_REPLAY_MAIN
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

static size_t valid_record(uint8_t *buf, uint32_t type) {
        ipc_header_t h = { .type = type, .length = (uint32_t) ipc_payload_size(type) };
        uint8_t p[IPC_MESSAGE_MAX - sizeof(ipc_header_t)] = {};
        memcpy(h.task_id, "0123456789abcdef0123456789abcdef", ID_LEN);
        if (type == IPC_JOB) {
                ipc_job_t j = { .version = IPC_PROTOCOL_VERSION, .timeout_s = 5 };
                memcpy(p, &j, sizeof(j));
        } else if (type == IPC_PROGRESS) {
                ipc_progress_t g = { .percent = 50 };
                strcpy(g.phase, "reading");
                memcpy(p, &g, sizeof(g));
        } else if (type == IPC_ERROR) {
                ipc_error_t e = { .code = 3 };
                strcpy(e.message, "not a capture");
                memcpy(p, &e, sizeof(e));
        }
        memcpy(buf + 1, &h, sizeof(h));
        memcpy(buf + 1 + sizeof(h), p, h.length);
        buf[0] = type == IPC_JOB || type == IPC_JOB_FD ? 1 : 0;
        return 1 + sizeof(h) + h.length;
}

static int replay_file(const char *path) {
        FILE *f = fopen(path, "rb");
        uint8_t buf[65536];
        size_t n;
        if (!f) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return -1;
        }
        n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        return 0;
}

int main(int argc, char *argv[]) {
        unsigned files = 0, mutated = 0;
        uint8_t buf[1 + IPC_MESSAGE_MAX + 16];

        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        DIR *d = opendir(argv[i]);
                        struct dirent *de;
                        char path[4096];
                        while (d && (de = readdir(d)))
                                if (de->d_name[0] != '.') {
                                        snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
                                        if (replay_file(path) == 0)
                                                files++;
                                }
                        if (d)
                                closedir(d);
                } else if (replay_file(argv[i]) == 0)
                        files++;
        }

        /* valid records of every type, then flipped bytes, cut and grown lengths, other fd counts */
        for (uint32_t type = IPC_JOB; type < _IPC_TYPE_MAX; type++)
                for (unsigned k = 0; k < 40000; k++) {
                        size_t n = valid_record(buf, type);
                        unsigned flips = (unsigned) (rng() % 4);
                        for (unsigned f = 0; f < flips; f++)
                                buf[rng() % n] ^= (uint8_t) (1u << (rng() % 8));
                        switch (rng() % 4) {
                        case 0:
                                n = rng() % (n + 1);
                                break;
                        case 1: {
                                size_t grown = n + (size_t) (rng() % 16);
                                n = grown < sizeof(buf) ? grown : sizeof(buf);
                                break;
                        }
                        default:
                                break;
                        }
                        LLVMFuzzerTestOneInput(buf, n);
                        mutated++;
                }
        printf("fuzz-ipc replay: %u files, %u generated records, no crash\n", files, mutated);
        return 0;
}
#endif
