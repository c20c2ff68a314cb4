/* libFuzzer target for what pcapd-web reads from an unauthenticated client before any check: the login
 * body (daemons/web/form.c, JSON and urlencoded), the Cookie and the Authorization headers
 * (daemons/web/credential.c), and user names and passwords as lib/auth judges them. The first byte picks
 * the reader, the rest is the input. Checks that every result lies inside the input and is NUL-terminated
 * where it is a copy. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "credential.h"
#include "form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char out[256];
        const char *p;
        size_t n, len;
        char *in;
        int r;

        if (size < 1)
                return 0;
        n = size - 1;
        in = malloc(n ? n : 1); /* exact size: the sanitizer sees a read past the end */
        memcpy(in, data + 1, n);
        switch (data[0] % 4) {
        case 0:
        case 1:
                r = form_get(in, n, data[0] % 4 == 0, "password", out, sizeof(out));
                if (r >= 0 && (strlen(out) != (size_t) r || (size_t) r >= sizeof(out)))
                        abort();
                break;
        case 2:
                if (credential_cookie(in, n, "pcapd_session", &p, &len) && (p < in || p + len > in + n))
                        abort();
                break;
        case 3:
                if (credential_bearer(in, n, &p, &len) && (p < in || p + len > in + n || len == 0))
                        abort();
                (void) credential_chars_ok(in, n);
                break;
        }
        free(in);
        return 0;
}

#ifdef FUZZ_REPLAY_MAIN
/* Without libFuzzer: every file in the directories or files given runs once (the regression inputs), then
 * 200,000 mutations of them, so a reader regression shows without clang. */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng;
}

static int run_file(const char *path, uint8_t **seeds, size_t *lens, size_t *nseeds) {
        FILE *f = fopen(path, "rb");
        uint8_t buf[65536];
        size_t n;
        if (!f)
                return -1;
        n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        if (*nseeds < 256) {
                seeds[*nseeds] = malloc(n ? n : 1);
                memcpy(seeds[*nseeds], buf, n);
                lens[(*nseeds)++] = n;
        }
        return 0;
}

int main(int argc, char **argv) {
        uint8_t *seeds[256];
        size_t lens[256], nseeds = 0, files = 0;
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0)
                        return fprintf(stderr, "%s: missing\n", argv[i]), 1;
                if (S_ISDIR(st.st_mode)) {
                        DIR *d = opendir(argv[i]);
                        struct dirent *de;
                        while (d && (de = readdir(d))) {
                                char p[4096];
                                if (de->d_name[0] == '.')
                                        continue;
                                snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
                                if (run_file(p, seeds, lens, &nseeds) == 0)
                                        files++;
                        }
                        if (d)
                                closedir(d);
                } else if (run_file(argv[i], seeds, lens, &nseeds) == 0)
                        files++;
        }
        if (nseeds == 0)
                return fprintf(stderr, "no inputs\n"), 1;
        for (int i = 0; i < 200000; i++) {
                uint8_t buf[1024];
                size_t s = next() % nseeds, n = lens[s] < sizeof(buf) ? lens[s] : sizeof(buf);
                memcpy(buf, seeds[s], n);
                for (int k = 0, m = 1 + (int) (next() % 4); k < m && n > 0; k++)
                        buf[next() % n] = (uint8_t) next();
                if (next() % 8 == 0 && n > 1)
                        n = 1 + next() % n;
                LLVMFuzzerTestOneInput(buf, n);
        }
        for (size_t i = 0; i < nseeds; i++)
                free(seeds[i]);
        printf("%zu inputs and 200000 mutations replayed\n", files);
        return 0;
}
#endif
