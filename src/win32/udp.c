/* SPDX-License-Identifier: MIT */
/*
 * UDP on Windows: a non-blocking socket waited on with select().
 *
 * Windows drops a datagram larger than the receive buffer (WSAEMSGSIZE), so
 * unless the caller's buffer holds the largest datagram, xipc receives into
 * the socket's own buffer and keeps a datagram that does not fit for the next
 * call: nothing is cut or lost, as on POSIX.
 *
 * An ICMP "port unreachable" makes Windows fail the next recvfrom() with
 * WSAECONNRESET, even on an unconnected socket. xipc turns that report off
 * (SIO_UDP_CONNRESET) while the socket is not connected, and on a connected
 * one reports it as XIPC_ECONNREFUSED, the code POSIX gives.
 */
#include "internal.h"

#include <ws2tcpip.h>

#include <stdlib.h>
#include <string.h>

#ifndef SIO_UDP_CONNRESET
#  define SIO_UDP_CONNRESET _WSAIOW(IOC_VENDOR, 12)
#endif

/* Room for the largest datagram of either family. */
#define DATAGRAM_MAX 65536

struct xipc_udp_s {
  SOCKET sock;
  int family; /* AF_INET or AF_INET6 */
  bool connected;
  char *buf; /* a datagram received but too large for the caller, kept (lazily allocated) */
  int kept_len;
  bool kept;
  xipc_addr_t kept_from;
};

/* Whether ICMP errors show as WSAECONNRESET; a system that cannot choose keeps its default. */
static void report_unreachable(SOCKET s, bool on) {
  BOOL value = on ? TRUE : FALSE;
  DWORD done;
  WSAIoctl(s, SIO_UDP_CONNRESET, &value, sizeof value, NULL, 0, &done, NULL, NULL);
}

/* The error of a failed send or receive: a refused datagram is XIPC_ECONNREFUSED. */
static int udp_error(void) {
  int err = WSAGetLastError();
  if (err == WSAECONNRESET) {
    xipc__set_os_error(err);
    return XIPC_ECONNREFUSED;
  }
  return xipc__os_fail(err);
}

int xipc__udp_bind(xipc_udp_t **out, const xipc_addr_t *addr) {
  struct sockaddr_storage sa;
  int len, rc;
  xipc_udp_t *u = calloc(1, sizeof *u);
  if (u == NULL)
    return xipc__fail(XIPC_ENOMEM);
  u->sock = INVALID_SOCKET;
  u->family = xipc__sockaddr_family(addr);
  len = rc = xipc__sockaddr_of(addr, u->family, &sa);
  if (rc >= 0)
    rc = xipc__win32_socket(u->family, SOCK_DGRAM, &u->sock);
  if (rc >= 0) {
    BOOL exclusive = TRUE, v6only = FALSE;
    /* The port is never shared (without this, SO_REUSEADDR elsewhere could take it). */
    if (setsockopt(u->sock, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&exclusive,
                   sizeof exclusive) != 0)
      rc = xipc__win32_socket_fail();
    /* "::" takes IPv4 datagrams too (dual stack). */
    else if (xipc__addr_is_ipv6_any(addr) && setsockopt(u->sock, IPPROTO_IPV6, IPV6_V6ONLY,
                                                        (const char *)&v6only, sizeof v6only) != 0)
      rc = xipc__win32_socket_fail();
  }
  if (rc >= 0 && bind(u->sock, (struct sockaddr *)&sa, len) != 0)
    rc = xipc__win32_socket_fail();
  if (rc < 0) {
    if (u->sock != INVALID_SOCKET)
      xipc__win32_socket_close(u->sock);
    free(u);
    return rc;
  }
  report_unreachable(u->sock, false);
  *out = u;
  return 0;
}

int xipc__udp_addr(const xipc_udp_t *u, xipc_addr_t *addr) {
  struct sockaddr_storage sa;
  int len = (int)sizeof sa;
  if (getsockname(u->sock, (struct sockaddr *)&sa, &len) != 0)
    return xipc__win32_socket_fail();
  xipc__addr_of_sockaddr((struct sockaddr *)&sa, addr);
  return 0;
}

int xipc__udp_connect(xipc_udp_t *u, const xipc_addr_t *peer) {
  struct sockaddr_storage sa;
  int len;
  if (peer == NULL) {
    /* An all-zero address of the socket's family dissolves the association. */
    memset(&sa, 0, sizeof sa);
    sa.ss_family = (ADDRESS_FAMILY)u->family;
    len =
        u->family == AF_INET6 ? (int)sizeof(struct sockaddr_in6) : (int)sizeof(struct sockaddr_in);
  } else if ((len = xipc__sockaddr_of(peer, u->family, &sa)) < 0) {
    return len;
  }
  if (connect(u->sock, (struct sockaddr *)&sa, len) != 0)
    return xipc__win32_socket_fail();
  u->connected = peer != NULL;
  report_unreachable(u->sock, u->connected);
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
    int n = to != NULL
                ? sendto(u->sock, (const char *)buf, (int)len, 0, (struct sockaddr *)&sa, salen)
                : send(u->sock, (const char *)buf, (int)len, 0);
    if (n != SOCKET_ERROR)
      return 0;
    if (WSAGetLastError() != WSAEWOULDBLOCK)
      return udp_error();
    if (xipc__remaining_ms(deadline) == 0)
      return xipc__timeout_error(timeout_ms);
    rc = xipc__win32_socket_wait(u->sock, XIPC__WIN32_WRITABLE, deadline, timeout_ms);
    if (rc < 0)
      return rc;
  }
}

/* Give the kept datagram to the caller if it fits now. */
static int take_kept(xipc_udp_t *u, void *buf, size_t cap, xipc_addr_t *from, size_t *msg_size) {
  *msg_size = (size_t)u->kept_len;
  if ((size_t)u->kept_len > cap)
    return xipc__fail(XIPC_EMSGSIZE);
  memcpy(buf, u->buf, (size_t)u->kept_len);
  *from = u->kept_from;
  u->kept = false;
  return u->kept_len;
}

int xipc__udp_recv(xipc_udp_t *u, void *buf, size_t cap, xipc_addr_t *from, int timeout_ms,
                   size_t *msg_size) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  /* A buffer for the largest datagram takes it directly; a smaller one goes through u->buf. */
  bool direct = cap >= DATAGRAM_MAX;
  struct sockaddr_storage sa;
  if (u->kept)
    return take_kept(u, buf, cap, from, msg_size);
  if (!direct && u->buf == NULL && (u->buf = malloc(DATAGRAM_MAX)) == NULL)
    return xipc__fail(XIPC_ENOMEM);
  for (;;) {
    int salen = (int)sizeof sa, rc;
    int n = recvfrom(u->sock, direct ? (char *)buf : u->buf, DATAGRAM_MAX, 0,
                     (struct sockaddr *)&sa, &salen);
    if (n != SOCKET_ERROR) {
      if (direct) {
        *msg_size = (size_t)n;
        xipc__addr_of_sockaddr((struct sockaddr *)&sa, from);
        return n;
      }
      u->kept = true;
      u->kept_len = n;
      xipc__addr_of_sockaddr((struct sockaddr *)&sa, &u->kept_from);
      return take_kept(u, buf, cap, from, msg_size);
    }
    if (WSAGetLastError() != WSAEWOULDBLOCK)
      return udp_error();
    if (xipc__remaining_ms(deadline) == 0)
      return xipc__timeout_error(timeout_ms);
    rc = xipc__win32_socket_wait(u->sock, XIPC__WIN32_READABLE, deadline, timeout_ms);
    if (rc < 0)
      return rc;
  }
}

xipc_os_handle_t xipc__udp_native(const xipc_udp_t *u) {
  return (xipc_os_handle_t)u->sock;
}

int xipc__udp_close(xipc_udp_t *u) {
  xipc__win32_socket_close(u->sock);
  free(u->buf);
  free(u);
  return 0;
}
