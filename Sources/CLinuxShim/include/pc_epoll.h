#ifndef POINTCONNECT_PC_EPOLL_H
#define POINTCONNECT_PC_EPOLL_H

/// Thin Linux wrappers used by PointHTTP's event loop: epoll, eventfd and TCP sockets.
/// Every call that can fail returns a negative errno value (never -1 with errno set), so the
/// Swift side never has to read the thread-local errno.

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

/// Readiness bits reported in pc_event.events and accepted as interest by pc_epoll_add/modify.
#define PC_EVENT_READABLE 0x1u
#define PC_EVENT_WRITABLE 0x2u
/// Reported only: the peer closed both directions.
#define PC_EVENT_HANGUP 0x4u
/// Reported only: an error is pending on the socket.
#define PC_EVENT_ERROR 0x8u

/// One readiness notification: the caller's token and the PC_EVENT_* bits.
typedef struct {
    uint64_t token;
    uint32_t events;
} pc_event;

/// A new close-on-exec epoll instance, or -errno.
int pc_epoll_create(void);
/// Registers fd (level-triggered) with the given PC_EVENT_* interest and token. 0 or -errno.
int pc_epoll_add(int epoll_fd, int fd, uint32_t interest, uint64_t token);
/// Changes the interest of a registered fd. 0 or -errno.
int pc_epoll_modify(int epoll_fd, int fd, uint32_t interest, uint64_t token);
/// Unregisters fd. 0 or -errno.
int pc_epoll_remove(int epoll_fd, int fd);
/// Waits up to timeout_ms for events; returns how many were written to events (0 on EINTR), or -errno.
int pc_epoll_wait(int epoll_fd, pc_event *events, int capacity, int timeout_ms);

/// A non-blocking, close-on-exec eventfd used to wake the loop, or -errno.
int pc_eventfd_create(void);
/// Adds one to the eventfd counter (wakes any epoll_wait on it). 0 or -errno.
int pc_eventfd_signal(int fd);
/// Resets the eventfd counter to zero.
void pc_eventfd_drain(int fd);

/// A non-blocking listening TCP socket with SO_REUSEADDR bound to host:port (port 0 picks a free
/// port). Writes the bound port to *bound_port. Returns the fd, or -errno (-EINVAL when host does
/// not resolve).
int pc_tcp_listen(const char *host, uint16_t port, int backlog, uint16_t *bound_port);
/// Accepts one connection as a non-blocking, close-on-exec socket with TCP_NODELAY. Writes the
/// peer's numeric address (NUL-terminated) and port. Returns the fd or -errno (-EAGAIN when none).
int pc_tcp_accept(int listen_fd, char *address, size_t address_capacity, uint16_t *port);

/// send(2) with MSG_NOSIGNAL: bytes written or -errno.
ssize_t pc_send(int fd, const void *bytes, size_t count);
/// recv(2): bytes read (0 at end of stream) or -errno.
ssize_t pc_recv(int fd, void *bytes, size_t capacity);
/// Half-closes the sending direction. 0 or -errno.
int pc_shutdown_write(int fd);
/// close(2). 0 or -errno.
int pc_close(int fd);

/// CLOCK_MONOTONIC in nanoseconds.
uint64_t pc_monotonic_nanoseconds(void);

#endif
