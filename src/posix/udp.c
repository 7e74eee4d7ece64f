/* SPDX-License-Identifier: MIT */
/*
 * UDP on POSIX: a blocking datagram socket; a timed call asks with
 * MSG_DONTWAIT and waits with poll() until its deadline.
 *
 * A datagram larger than the caller's buffer is never cut: unless the buffer
 * holds the largest datagram, its length is read first (MSG_PEEK | MSG_TRUNC,
 * which returns the real length on Linux), and a datagram that does not fit
 * stays queued.
 */
#include "internal.h"

#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Room for the largest datagram of either family (IPv6 carries up to 65,527 bytes). */
#define DATAGRAM_MAX 65536

#ifndef XIPC_HAVE_MSG_NOSIGNAL
#  define MSG_NOSIGNAL 0
#endif

struct xipc_udp_s {
  int fd;
  int family; /* AF_INET or AF_INET6 */
  bool connected;
  struct sockaddr_storage bound; /* the address bind() gave, with the port it chose */
  socklen_t bound_len;
};

int xipc__udp_bind(xipc_udp_t **out, const xipc_addr_t *addr) {
  struct sockaddr_storage sa;
  int len, rc, off = 0;
  xipc_udp_t *u = calloc(1, sizeof *u);
  if (u == NULL)
    return xipc__fail(XIPC_ENOMEM);
  u->fd = -1;
  u->family = xipc__sockaddr_family(addr);
  len = rc = xipc__sockaddr_of(addr, u->family, &sa);
  if (rc >= 0)
    rc = xipc__posix_socket(u->family, SOCK_DGRAM, false, &u->fd);
  /* "::" takes IPv4 datagrams too (dual stack); the BSDs default to IPv6 only. */
  if (rc >= 0 && xipc__addr_is_ipv6_any(addr) &&
      setsockopt(u->fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) != 0)
    rc = xipc__os_fail(errno);
  /* No SO_REUSEADDR: on a UDP socket it would let another socket share the port. */
  if (rc >= 0 && bind(u->fd, (struct sockaddr *)&sa, (socklen_t)len) != 0)
    rc = xipc__os_fail(errno);
  u->bound_len = sizeof u->bound;
  if (rc >= 0 && getsockname(u->fd, (struct sockaddr *)&u->bound, &u->bound_len) != 0)
    rc = xipc__os_fail(errno);
  if (rc < 0) {
    xipc__posix_close(u->fd);
    free(u);
    return rc;
  }
  *out = u;
  return 0;
}

int xipc__udp_addr(const xipc_udp_t *u, xipc_addr_t *addr) {
  struct sockaddr_storage sa;
  socklen_t len = sizeof sa;
  if (getsockname(u->fd, (struct sockaddr *)&sa, &len) != 0)
    return xipc__os_fail(errno);
  xipc__addr_of_sockaddr((struct sockaddr *)&sa, addr);
  return 0;
}

/* The port of an IPv4 or IPv6 socket address, host byte order. */
static uint16_t port_of(const struct sockaddr_storage *sa) {
  if (sa->ss_family == AF_INET)
    return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
  if (sa->ss_family == AF_INET6)
    return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
  return 0;
}

int xipc__udp_connect(xipc_udp_t *u, const xipc_addr_t *peer) {
  struct sockaddr_storage sa;
  int len;
  if (peer == NULL) {
    socklen_t now_len = sizeof sa;
    /* AF_UNSPEC dissolves the association; some systems report EAFNOSUPPORT while doing so. */
    memset(&sa, 0, sizeof sa);
    sa.ss_family = AF_UNSPEC;
    if (connect(u->fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EAFNOSUPPORT)
      return xipc__os_fail(errno);
    u->connected = false;
    /* Linux also gives up a port that bind() chose (port 0): bind the same address again. */
    if (getsockname(u->fd, (struct sockaddr *)&sa, &now_len) == 0 && port_of(&sa) == 0 &&
        bind(u->fd, (struct sockaddr *)&u->bound, u->bound_len) != 0)
      return xipc__os_fail(errno);
    return 0;
  }
  len = xipc__sockaddr_of(peer, u->family, &sa);
  if (len < 0)
    return len;
  if (connect(u->fd, (struct sockaddr *)&sa, (socklen_t)len) != 0)
    return xipc__os_fail(errno);
  u->connected = true;
  return 0;
}

int xipc__udp_send(xipc_udp_t *u, const void *buf, size_t len, const xipc_addr_t *to,
                   int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  struct sockaddr_storage sa;
  int salen = 0, rc;
  if (to == NULL && !u->connected)
    return xipc__fail(XIPC_ENOTCONN);
  if (to != NULL && (salen = xipc__sockaddr_of(to, u->family, &sa)) < 0)
    return salen;
  for (;;) {
    int flags = MSG_NOSIGNAL | (timeout_ms < 0 ? 0 : MSG_DONTWAIT);
    ssize_t n = to != NULL
                    ? sendto(u->fd, buf, len, flags, (struct sockaddr *)&sa, (socklen_t)salen)
                    : send(u->fd, buf, len, flags);
    if (n >= 0)
      return 0;
    if ((rc = xipc__posix_retry_when_ready(u->fd, POLLOUT, errno, deadline, timeout_ms)) < 0)
      return rc;
  }
}

int xipc__udp_recv(xipc_udp_t *u, void *buf, size_t cap, xipc_addr_t *from, int timeout_ms,
                   size_t *msg_size) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  /* A buffer for the largest datagram cannot be too small: no need to look first. */
  bool peek = cap < DATAGRAM_MAX;
  struct sockaddr_storage sa;
  for (;;) {
    socklen_t salen = sizeof sa;
    ssize_t n = recvfrom(u->fd, buf, cap, MSG_TRUNC | MSG_DONTWAIT | (peek ? MSG_PEEK : 0),
                         (struct sockaddr *)&sa, &salen);
    int rc;
    if (n >= 0) {
      *msg_size = (size_t)n;
      if ((size_t)n > cap)
        return xipc__fail(XIPC_EMSGSIZE); /* peeked: it stays first in line */
      if (!peek) {
        xipc__addr_of_sockaddr((struct sockaddr *)&sa, from);
        return (int)n;
      }
      peek = false; /* it fits: now take it */
      continue;
    }
    if ((rc = xipc__posix_retry_when_ready(u->fd, POLLIN, errno, deadline, timeout_ms)) < 0)
      return rc;
  }
}

xipc_os_handle_t xipc__udp_native(const xipc_udp_t *u) {
  return (xipc_os_handle_t)u->fd;
}

int xipc__udp_close(xipc_udp_t *u) {
  xipc__posix_close(u->fd);
  free(u);
  return 0;
}
