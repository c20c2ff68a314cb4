/* main() for a libFuzzer target built without libFuzzer: runs each file given (or each file of each directory
 * given, README.md excepted) once through LLVMFuzzerTestOneInput(), so that the regression inputs replay as an
 * ordinary test, under ASan/UBSan too. Fails when a file cannot be read or no input was found. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "rbe");
        _cleanup_free_ uint8_t *buf = NULL;
        long n;

        if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
                perror(path);
                return -1;
        }
        /* an exact-size heap copy: a read past the input is caught by ASan */
        buf = malloc(n > 0 ? (size_t) n : 1);
        if (!buf || fread(buf, 1, (size_t) n, f) != (size_t) n) {
                fprintf(stderr, "%s: cannot read\n", path);
                return -1;
        }
        LLVMFuzzerTestOneInput(buf, (size_t) n);
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
                if (!S_ISDIR(st.st_mode)) {
                        if (replay_file(argv[i]) < 0)
                                return 1;
                        count++;
                        continue;
                }
                struct dirent **names;
                int n = scandir(argv[i], &names, NULL, alphasort);
                if (n < 0) {
                        perror(argv[i]);
                        return 1;
                }
                for (int k = 0; k < n; k++) {
                        char p[4096];
                        const char *name = names[k]->d_name;
                        if (name[0] != '.' && strcmp(name, "README.md") != 0 &&
                            (size_t) snprintf(p, sizeof(p), "%s/%s", argv[i], name) < sizeof(p)) {
                                if (replay_file(p) < 0)
                                        return 1;
                                count++;
                        }
                        free(names[k]);
                }
                free(names);
        }
        printf("replayed %u inputs\n", count);
        return count ? 0 : 1;
}
