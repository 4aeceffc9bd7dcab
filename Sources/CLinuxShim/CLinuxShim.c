#include "CLinuxShim.h"
#include <unistd.h>
#include <fcntl.h>
#if defined(__linux__)
#include <sys/epoll.h>
#endif

int pc_fdatasync(int fd) {
#if defined(__linux__)
    return fdatasync(fd);
#else
    return fsync(fd);
#endif
}

#if defined(__linux__)
int pc_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

int pc_epoll_control(int epoll_fd, int operation, int fd, uint32_t events, uint64_t token) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = token;
    return epoll_ctl(epoll_fd, operation, fd, &event);
}

int pc_epoll_wait(int epoll_fd, pc_epoll_event *events, int capacity, int timeout_ms) {
    struct epoll_event raw[1024];
    if (capacity > 1024) capacity = 1024;
    int count = epoll_wait(epoll_fd, raw, capacity, timeout_ms);
    for (int index = 0; index < count; index++) {
        events[index].token = raw[index].data.u64;
        events[index].events = raw[index].events;
    }
    return count;
}
#endif
