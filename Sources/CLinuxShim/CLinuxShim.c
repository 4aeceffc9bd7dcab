#include "CLinuxShim.h"
#include <unistd.h>
#include <fcntl.h>

int pc_fdatasync(int fd) {
#if defined(__linux__)
    return fdatasync(fd);
#else
    return fsync(fd);
#endif
}
