/* SPDX-License-Identifier: MIT */
/*
 * TCP on POSIX. Listeners are xipc_listener_t (accept and close in local.c,
 * which serve both kinds); connections are socket streams (stream.c), made
 * blocking, with every timed operation bounded by poll() there.
 *
 * A connect is non-blocking and waited for with poll() until the deadline;
 * its result comes from SO_ERROR.
 */
#include "internal.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int set_option(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value) == 0 ? 0 : xipc__os_fail(errno);
}

int xipc__posix_tcp_stream(int fd, xipc_stream_t **out) {
  int rc = xipc__posix_set_nonblocking(fd, false);
  if (rc == 0)
    rc = set_option(fd, IPPROTO_TCP, TCP_NODELAY, 1);
  if (rc == 0 && (*out = xipc__posix_stream_new(fd, XIPC__STREAM_SOCKET)) == NULL)
    rc = xipc__fail(XIPC_ENOMEM);
  if (rc < 0) {
    xipc__posix_close(fd);
    return rc;
  }
  (*out)->tcp = true;
  return 0;
}

int xipc__tcp_listen(xipc_listener_t **out, const xipc_addr_t *addr, int backlog) {
  struct sockaddr_storage sa;
  int family = xipc__sockaddr_family(addr), len, rc;
  xipc_listener_t *l = calloc(1, sizeof *l);
  if (l == NULL)
    return xipc__fail(XIPC_ENOMEM);
  l->tcp = true;
  l->fd = l->lock_fd = -1;
  len = rc = xipc__sockaddr_of(addr, family, &sa);
  if (rc >= 0)
    rc = xipc__posix_socket(family, SOCK_STREAM, true, &l->fd);
  /* Rebinding over old connections in TIME_WAIT; a live listener still refuses (EADDRINUSE). */
  if (rc >= 0)
    rc = set_option(l->fd, SOL_SOCKET, SO_REUSEADDR, 1);
  if (rc >= 0 && xipc__addr_is_ipv6_any(addr))
    rc = set_option(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, 0); /* the BSDs default to 1 */
  if (rc >= 0 && bind(l->fd, (struct sockaddr *)&sa, (socklen_t)len) != 0)
    rc = xipc__os_fail(errno);
  if (rc >= 0 && listen(l->fd, backlog > 0 ? backlog : SOMAXCONN) != 0)
    rc = xipc__os_fail(errno);
  if (rc < 0) {
    xipc__posix_close(l->fd);
    free(l);
    return rc;
  }
  *out = l;
  return 0;
}

int xipc__listener_addr(const xipc_listener_t *l, xipc_addr_t *addr) {
  struct sockaddr_storage sa;
  socklen_t len = sizeof sa;
  if (!l->tcp)
    return xipc__fail(XIPC_ENOTSUP);
  if (getsockname(l->fd, (struct sockaddr *)&sa, &len) != 0)
    return xipc__os_fail(errno);
  xipc__addr_of_sockaddr((struct sockaddr *)&sa, addr);
  return 0;
}

/* Wait for a connect in progress until the deadline: 0 or its error. */
static int finish_connect(int fd, uint64_t deadline, int timeout_ms) {
  socklen_t len = sizeof(int);
  int err = 0, rc = xipc__posix_wait_until(fd, POLLOUT, deadline, timeout_ms);
  if (rc < 0)
    return rc;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    return xipc__os_fail(errno);
  return err == 0 ? 0 : xipc__os_fail(err);
}

int xipc__tcp_connect(xipc_stream_t **out, const xipc_addr_t *addr, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  struct sockaddr_storage sa;
  int family = xipc__sockaddr_family(addr), fd = -1, len, rc;
  len = rc = xipc__sockaddr_of(addr, family, &sa);
  if (rc >= 0)
    rc = xipc__posix_socket(family, SOCK_STREAM, true, &fd);
  if (rc < 0)
    return rc;
  if (connect(fd, (struct sockaddr *)&sa, (socklen_t)len) != 0) {
    /* EINTR: the connection goes on being made in the background; wait for it the same way. */
    if (errno == EINPROGRESS || errno == EINTR)
      rc = finish_connect(fd, deadline, timeout_ms);
    else
      rc = xipc__os_fail(errno);
  }
  if (rc < 0) {
    xipc__posix_close(fd);
    return rc;
  }
  return xipc__posix_tcp_stream(fd, out);
}

int xipc__tcp_addresses(const xipc_stream_t *conn, xipc_addr_t *local, xipc_addr_t *peer) {
  struct sockaddr_storage sa;
  socklen_t len = sizeof sa;
  if (!conn->tcp)
    return xipc__fail(XIPC_ENOTSUP);
  if (getsockname(conn->fd, (struct sockaddr *)&sa, &len) != 0)
    return xipc__os_fail(errno);
  xipc__addr_of_sockaddr((struct sockaddr *)&sa, local);
  len = sizeof sa;
  if (getpeername(conn->fd, (struct sockaddr *)&sa, &len) != 0)
    return xipc__os_fail(errno);
  xipc__addr_of_sockaddr((struct sockaddr *)&sa, peer);
  return 0;
}

int xipc__tcp_set_nodelay(xipc_stream_t *conn, bool on) {
  if (!conn->tcp)
    return xipc__fail(XIPC_ENOTSUP);
  return set_option(conn->fd, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
}

int xipc__stream_shutdown(xipc_stream_t *stream) {
  if (!stream->tcp)
    return xipc__fail(XIPC_ENOTSUP);
  return shutdown(stream->fd, SHUT_WR) == 0 ? 0 : xipc__os_fail(errno);
}
