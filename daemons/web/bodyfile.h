/* Where h2o keeps a large request body: bodies over its mmap threshold (32 MiB) live in an unlinked file of
 * the state directory (main.c sets the template), mapped into memory. Copying such a body from the mapping
 * faults each 4 KiB page in again (a fresh mapping after each doubling); the kernel copies from the file itself
 * far faster (copy_file_range, page cache to page cache). h2o 2.2.5 has no API that gives the file: it is
 * found through /proc/self/maps and the fd of the same inode. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The file that holds [p, p + len) when that range lies in one mapping of a file whose name contains
 * name_part: a duplicate of its fd (CLOEXEC, the caller closes it) and the range's offset in it. 0, -ENOENT
 * when the range is not in such a mapping (anonymous memory: smaller bodies), or -errno. */
int bodyfile_find(const void *p, size_t len, const char *name_part, int *ret_fd, uint64_t *ret_off);
