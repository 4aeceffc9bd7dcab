/* An LD_PRELOAD shim for sandbox/disk-full --fault eio: fdatasync on a ledger segment file
 * (a path containing "/ledger/" and ending in ".jsonl") succeeds PC_FAIL_LEDGER_SYNC_AFTER
 * times and then fails with EIO, every time after, without syncing: what a dying disk does.
 * Other files (the checkpoint log, directories) are synced normally. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_long ledger_syncs;

static int is_ledger_segment(int fd) {
    char link[64];
    char path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, path, sizeof path - 1);
    if (length <= 0) return 0;
    path[length] = 0;
    return strstr(path, "/ledger/") != NULL && length > 6 && strcmp(path + length - 6, ".jsonl") == 0;
}

int fdatasync(int fd) {
    static int (*real_fdatasync)(int);
    if (real_fdatasync == NULL) real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    if (is_ledger_segment(fd)) {
        const char *limit_text = getenv("PC_FAIL_LEDGER_SYNC_AFTER");
        long limit = limit_text ? atol(limit_text) : 0;
        if (atomic_fetch_add(&ledger_syncs, 1) >= limit) {
            errno = EIO;
            return -1;
        }
    }
    return real_fdatasync(fd);
}
