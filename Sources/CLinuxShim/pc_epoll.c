#define _GNU_SOURCE
#include "pc_epoll.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint32_t pc_to_epoll(uint32_t interest) {
    uint32_t events = 0;
    if (interest & PC_EVENT_READABLE) events |= EPOLLIN;
    if (interest & PC_EVENT_WRITABLE) events |= EPOLLOUT;
    return events;
}

int pc_epoll_create(void) {
    int fd = epoll_create1(EPOLL_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

static int pc_epoll_control(int epoll_fd, int op, int fd, uint32_t interest, uint64_t token) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = pc_to_epoll(interest);
    event.data.u64 = token;
    return epoll_ctl(epoll_fd, op, fd, &event) < 0 ? -errno : 0;
}

int pc_epoll_add(int epoll_fd, int fd, uint32_t interest, uint64_t token) {
    return pc_epoll_control(epoll_fd, EPOLL_CTL_ADD, fd, interest, token);
}

int pc_epoll_modify(int epoll_fd, int fd, uint32_t interest, uint64_t token) {
    return pc_epoll_control(epoll_fd, EPOLL_CTL_MOD, fd, interest, token);
}

int pc_epoll_remove(int epoll_fd, int fd) {
    struct epoll_event unused;
    memset(&unused, 0, sizeof unused);
    return epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, &unused) < 0 ? -errno : 0;
}

int pc_epoll_wait(int epoll_fd, pc_event *events, int capacity, int timeout_ms) {
    enum { batch = 64 };
    struct epoll_event raw[batch];
    if (capacity > batch) capacity = batch;
    int count = epoll_wait(epoll_fd, raw, capacity, timeout_ms);
    if (count < 0) return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < count; i++) {
        uint32_t bits = 0;
        if (raw[i].events & (EPOLLIN | EPOLLPRI)) bits |= PC_EVENT_READABLE;
        if (raw[i].events & EPOLLOUT) bits |= PC_EVENT_WRITABLE;
        if (raw[i].events & EPOLLHUP) bits |= PC_EVENT_HANGUP;
        if (raw[i].events & EPOLLERR) bits |= PC_EVENT_ERROR;
        events[i].token = raw[i].data.u64;
        events[i].events = bits;
    }
    return count;
}

int pc_eventfd_create(void) {
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int pc_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t written = write(fd, &one, sizeof one);
    if (written < 0 && errno != EAGAIN) return -errno;
    return 0;
}

void pc_eventfd_drain(int fd) {
    uint64_t value;
    while (read(fd, &value, sizeof value) > 0) {
    }
}

int pc_tcp_listen(const char *host, uint16_t port, int backlog, uint16_t *bound_port) {
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    struct addrinfo *found = NULL;
    if (getaddrinfo(host, service, &hints, &found) != 0 || found == NULL) return -EINVAL;

    int result = -EADDRNOTAVAIL;
    for (struct addrinfo *candidate = found; candidate != NULL; candidate = candidate->ai_next) {
        int fd = socket(candidate->ai_family, candidate->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        candidate->ai_protocol);
        if (fd < 0) { result = -errno; continue; }
        int one = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
            bind(fd, candidate->ai_addr, candidate->ai_addrlen) < 0 ||
            listen(fd, backlog) < 0) {
            result = -errno;
            close(fd);
            continue;
        }
        struct sockaddr_storage local;
        socklen_t length = sizeof local;
        if (getsockname(fd, (struct sockaddr *)&local, &length) < 0) {
            result = -errno;
            close(fd);
            continue;
        }
        if (local.ss_family == AF_INET6) {
            *bound_port = ntohs(((struct sockaddr_in6 *)&local)->sin6_port);
        } else {
            *bound_port = ntohs(((struct sockaddr_in *)&local)->sin_port);
        }
        result = fd;
        break;
    }
    freeaddrinfo(found);
    return result;
}

int pc_tcp_accept(int listen_fd, char *address, size_t address_capacity, uint16_t *port) {
    struct sockaddr_storage peer;
    socklen_t length = sizeof peer;
    int fd = accept4(listen_fd, (struct sockaddr *)&peer, &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return -errno;
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (address_capacity > 0) address[0] = '\0';
    *port = 0;
    if (peer.ss_family == AF_INET6) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&peer;
        inet_ntop(AF_INET6, &v6->sin6_addr, address, (socklen_t)address_capacity);
        *port = ntohs(v6->sin6_port);
    } else if (peer.ss_family == AF_INET) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&peer;
        inet_ntop(AF_INET, &v4->sin_addr, address, (socklen_t)address_capacity);
        *port = ntohs(v4->sin_port);
    }
    return fd;
}

ssize_t pc_send(int fd, const void *bytes, size_t count) {
    ssize_t written = send(fd, bytes, count, MSG_NOSIGNAL);
    return written < 0 ? -errno : written;
}

ssize_t pc_recv(int fd, void *bytes, size_t capacity) {
    ssize_t received = recv(fd, bytes, capacity, 0);
    return received < 0 ? -errno : received;
}

int pc_shutdown_write(int fd) {
    return shutdown(fd, SHUT_WR) < 0 ? -errno : 0;
}

int pc_close(int fd) {
    return close(fd) < 0 ? -errno : 0;
}

uint64_t pc_monotonic_nanoseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}
