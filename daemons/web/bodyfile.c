/* bodyfile_find(): see bodyfile.h. */
#include "bodyfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/macro.h"

static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

/* The mapping of /proc/self/maps that holds [a, a + len): its file offset at a, device and inode. */
static int maps_find(uintptr_t a, size_t len, const char *name_part, uint64_t *ret_off, dev_t *ret_dev,
                     ino_t *ret_ino) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/maps", "re");
        char line[4096 + 256];

        if (!f)
                return -errno;
        while (fgets(line, sizeof line, f)) {
                unsigned long start, end, off, ino;
                unsigned maj, min;
                int path_at = 0;

                if (sscanf(line, "%lx-%lx %*s %lx %x:%x %lu %n", &start, &end, &off, &maj, &min, &ino, &path_at) < 6)
                        continue;
                if (a < start || a >= end)
                        continue;
                if (a + len > end || ino == 0 || path_at == 0 || !strstr(line + path_at, name_part))
                        return -ENOENT;
                *ret_off = off + (a - start);
                *ret_dev = makedev(maj, min);
                *ret_ino = (ino_t) ino;
                return 0;
        }
        return -ENOENT;
}

int bodyfile_find(const void *p, size_t len, const char *name_part, int *ret_fd, uint64_t *ret_off) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        uint64_t off;
        dev_t dev;
        ino_t ino;
        int r;

        if (!p || len == 0)
                return -EINVAL;
        r = maps_find((uintptr_t) p, len, name_part, &off, &dev, &ino);
        if (r < 0)
                return r;
        d = opendir("/proc/self/fd");
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                struct stat st;
                int fd;

                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                fd = atoi(de->d_name);
                if (fd == dirfd(d) || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_ino != ino ||
                    major(st.st_dev) != major(dev) || minor(st.st_dev) != minor(dev))
                        continue;
                fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                if (fd < 0)
                        return -errno;
                *ret_fd = fd;
                *ret_off = off;
                return 0;
        }
        return -ENOENT;
}
