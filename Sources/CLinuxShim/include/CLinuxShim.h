#ifndef POINTCONNECT_CLINUXSHIM_H
#define POINTCONNECT_CLINUXSHIM_H

#include <stdint.h>
#include <sys/types.h>

/// Flush a file's data (and the metadata needed to read it back) to stable storage.
/// Returns 0 on success, -1 with errno set on failure.
int pc_fdatasync(int fd);

/// epoll, which Swift's Glibc module does not import. Each call returns the system call's
/// result: -1 with errno set on failure.

/// One readiness notification: the caller's token and the EPOLL* bits (unpacked layout).
typedef struct {
    uint64_t token;
    uint32_t events;
} pc_epoll_event;

/// epoll_create1(EPOLL_CLOEXEC).
int pc_epoll_create(void);
/// epoll_ctl with `operation` 1 (add), 2 (delete) or 3 (modify), level-triggered.
int pc_epoll_control(int epoll_fd, int operation, int fd, uint32_t events, uint64_t token);
/// epoll_wait into `events` (at most `capacity`, itself at most 1024).
int pc_epoll_wait(int epoll_fd, pc_epoll_event *events, int capacity, int timeout_ms);

#endif
