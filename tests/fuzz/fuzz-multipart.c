/* libFuzzer target for the multipart/form-data parser: the first line of the input is the Content-Type,
 * the rest the body. Checks that a found part lies inside the body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const uint8_t *nl = memchr(data, '\n', size);
        const char *boundary;
        size_t ct_len, boundary_len;
        multipart_file_t f;
        uint8_t *body;
        size_t body_len;
        char *ct;

        if (!nl)
                return 0;
        ct_len = (size_t) (nl - data);
        /* exact-size copies so the sanitizer sees any read past either end */
        ct = malloc(ct_len ? ct_len : 1);
        memcpy(ct, data, ct_len);
        body_len = size - ct_len - 1;
        body = malloc(body_len ? body_len : 1);
        memcpy(body, nl + 1, body_len);

        if (multipart_get_boundary(ct, ct_len, &boundary, &boundary_len) == 0) {
                if (boundary < ct || boundary + boundary_len > ct + ct_len)
                        abort();
                if (multipart_find_file(body, body_len, boundary, boundary_len, "file", &f) == 0) {
                        if (f.data < body || f.data + f.size > body + body_len)
                                abort();
                        if (f.filename && ((const uint8_t *) f.filename < body ||
                                           (const uint8_t *) f.filename + f.filename_len > body + body_len))
                                abort();
                }
        }
        free(ct);
        free(body);
        return 0;
}

#ifdef FUZZ_REPLAY_MAIN
/* Without libFuzzer: runs each file given on the command line (or each file in a directory) once, so
 * the regression inputs are replayed as an ordinary test, also under ASan/UBSan. */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

static int replay_file(const char *path) {
        FILE *f = fopen(path, "rb");
        uint8_t *buf;
        long n;

        if (!f)
                return -1;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc(n > 0 ? (size_t) n : 1);
        if (fread(buf, 1, (size_t) n, f) != (size_t) n) {
                fclose(f);
                free(buf);
                return -1;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t) n);
        free(buf);
        return 0;
}

int main(int argc, char **argv) {
        unsigned count = 0;
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0) {
                        perror(argv[i]);
                        return 1;
                }
                if (S_ISDIR(st.st_mode)) {
                        DIR *d = opendir(argv[i]);
                        struct dirent *de;
                        char p[4096];
                        while (d && (de = readdir(d))) {
                                if (de->d_name[0] == '.')
                                        continue;
                                snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
                                if (replay_file(p) < 0)
                                        return 1;
                                count++;
                        }
                        if (d)
                                closedir(d);
                } else {
                        if (replay_file(argv[i]) < 0)
                                return 1;
                        count++;
                }
        }
        printf("replayed %u inputs\n", count);
        return count ? 0 : 1;
}
#endif
