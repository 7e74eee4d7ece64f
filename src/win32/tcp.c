/* SPDX-License-Identifier: MIT */
/*
 * TCP on Windows. Sockets are non-blocking; every call that would block
 * waits with select() until its deadline (net.c), so timeouts lose nothing:
 * a recv() or send() either moved bytes or did not start. Listeners are
 * xipc_listener_t (local.c dispatches accept and close here for them);
 * connections are streams of kind XIPC__STREAM_SOCKET (stream.c dispatches
 * their I/O here).
 *
 * SO_EXCLUSIVEADDRUSE on every listener: without it, Windows lets another
 * socket with SO_REUSEADDR bind the same port and take connections away.
 */
#include "internal.h"

#include <ws2tcpip.h>
#include <mstcpip.h>

#include <stdlib.h>
#include <string.h>

/* The most one send() is given (larger non-blocking sends can fail with WSAENOBUFS). */
#define SEND_STEP_MAX (1 << 20)

static int set_option(SOCKET s, int level, int name, int value) {
  return setsockopt(s, level, name, (const char *)&value, sizeof value) == 0
             ? 0
             : xipc__win32_socket_fail();
}

/* A TCP connection's stream for connected socket `s` (owned, also on failure): TCP_NODELAY. */
static int tcp_stream(SOCKET s, xipc_stream_t **out) {
  int rc = set_option(s, IPPROTO_TCP, TCP_NODELAY, 1);
  if (rc == 0 && (*out = xipc__win32_stream_new((HANDLE)s, false, XIPC__STREAM_SOCKET)) == NULL)
    rc = xipc__fail(XIPC_ENOMEM);
  if (rc < 0) {
    xipc__win32_socket_close(s);
    return rc;
  }
  (*out)->tcp = true;
  return 0;
}

static SOCKET stream_socket(const xipc_stream_t *stream) {
  return (SOCKET)stream->handle;
}

int xipc__tcp_listen(xipc_listener_t **out, const xipc_addr_t *addr, int backlog) {
  struct sockaddr_storage sa;
  int family = xipc__sockaddr_family(addr), len, rc;
  xipc_listener_t *l = calloc(1, sizeof *l);
  if (l == NULL)
    return xipc__fail(XIPC_ENOMEM);
  l->tcp = true;
  l->sock = INVALID_SOCKET;
  len = rc = xipc__sockaddr_of(addr, family, &sa);
  if (rc >= 0)
    rc = xipc__win32_socket(family, SOCK_STREAM, &l->sock);
  if (rc >= 0)
    rc = set_option(l->sock, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1);
  if (rc >= 0 && xipc__addr_is_ipv6_any(addr))
    rc = set_option(l->sock, IPPROTO_IPV6, IPV6_V6ONLY, 0);
  if (rc >= 0 && bind(l->sock, (struct sockaddr *)&sa, len) != 0)
    rc = xipc__win32_socket_fail();
  if (rc >= 0 && listen(l->sock, backlog > 0 ? backlog : SOMAXCONN) != 0)
    rc = xipc__win32_socket_fail();
  if (rc < 0) {
    if (l->sock != INVALID_SOCKET)
      xipc__win32_socket_close(l->sock);
    free(l);
    return rc;
  }
  *out = l;
  return 0;
}

/* Take a socket this process got from elsewhere: its own Winsock reference, not inherited,
 * non-blocking. */
int xipc__win32_tcp_accept(xipc_listener_t *l, xipc_stream_t **conn, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  for (;;) {
    SOCKET s = accept(l->sock, NULL, NULL);
    int err, rc;
    if (s != INVALID_SOCKET) {
      /* The accepted socket is a new Winsock user of its own. */
      rc = xipc__win32_socket_adopt(s);
      if (rc < 0) {
        closesocket(s);
        return rc;
      }
      return tcp_stream(s, conn);
    }
    err = WSAGetLastError();
    /* A client that gave up between its connect and this accept is no error. */
    if (err != WSAEWOULDBLOCK && err != WSAECONNRESET && err != WSAEINTR)
      return xipc__os_fail(err);
    if (xipc__remaining_ms(deadline) == 0)
      return xipc__timeout_error(timeout_ms);
    rc = xipc__win32_socket_wait(l->sock, XIPC__WIN32_READABLE, deadline, timeout_ms);
    if (rc < 0)
      return rc;
  }
}

int xipc__win32_tcp_from_native(xipc_stream_t **out, SOCKET s, bool *is_socket) {
  int type = 0, len = (int)sizeof type, rc;
  *is_socket = false;
  if (xipc__win32_net_start() < 0)
    return 0; /* no Winsock: not a socket that xipc could use */
  if (getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0) {
    xipc__win32_net_stop(); /* WSAENOTSOCK: some other handle */
    return 0;
  }
  *is_socket = true;
  rc = type == SOCK_STREAM ? xipc__win32_socket_adopt(s) : xipc__fail(XIPC_EINVAL);
  xipc__win32_net_stop(); /* the probe's reference; an adopted socket holds its own */
  if (rc < 0)
    return rc;
  *out = xipc__win32_stream_new((HANDLE)s, false, XIPC__STREAM_SOCKET);
  if (*out == NULL) {
    xipc__win32_net_stop();
    return xipc__fail(XIPC_ENOMEM);
  }
  (*out)->tcp = true;
  return 0;
}

void xipc__win32_tcp_listener_close(xipc_listener_t *l) {
  xipc__win32_socket_close(l->sock);
  free(l);
}

int xipc__listener_addr(const xipc_listener_t *l, xipc_addr_t *addr) {
  struct sockaddr_storage sa;
  int len = (int)sizeof sa;
  if (!l->tcp)
    return xipc__fail(XIPC_ENOTSUP);
  if (getsockname(l->sock, (struct sockaddr *)&sa, &len) != 0)
    return xipc__win32_socket_fail();
  xipc__addr_of_sockaddr((struct sockaddr *)&sa, addr);
  return 0;
}

static bool is_loopback(const xipc_addr_t *addr) {
  static const uint8_t v6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return addr->family == XIPC_ADDR_IPV4 ? addr->ip[0] == 127
                                        : memcmp(addr->ip, v6_loopback, sizeof v6_loopback) == 0;
}

/*
 * Windows answers a refused connection by sending its SYN again, twice, so
 * "nobody listens" takes ~2 s even on loopback, where no packet is lost:
 * no SYN retransmissions there, as libuv does. Best effort (older systems
 * and Wine may not know the option; then the refusal is just slower).
 */
static void no_syn_retries(SOCKET s) {
#ifdef SIO_TCP_INITIAL_RTO
  TCP_INITIAL_RTO_PARAMETERS rto;
  DWORD bytes;
  memset(&rto, 0, sizeof rto);
  rto.Rtt = TCP_INITIAL_RTO_UNSPECIFIED_RTT;
  rto.MaxSynRetransmissions = TCP_INITIAL_RTO_NO_SYN_RETRANSMISSIONS;
  WSAIoctl(s, SIO_TCP_INITIAL_RTO, &rto, sizeof rto, NULL, 0, &bytes, NULL, NULL);
#else
  (void)s;
#endif
}

int xipc__tcp_connect(xipc_stream_t **out, const xipc_addr_t *addr, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  struct sockaddr_storage sa;
  int family = xipc__sockaddr_family(addr), len, rc, err = 0, err_len = (int)sizeof err;
  SOCKET s;
  len = rc = xipc__sockaddr_of(addr, family, &sa);
  if (rc >= 0)
    rc = xipc__win32_socket(family, SOCK_STREAM, &s);
  if (rc < 0)
    return rc;
  if (is_loopback(addr))
    no_syn_retries(s);
  if (connect(s, (struct sockaddr *)&sa, len) != 0) {
    if (WSAGetLastError() != WSAEWOULDBLOCK) {
      rc = xipc__win32_socket_fail();
    } else {
      /* Writable: connected; in the failure set: refused or unreachable (SO_ERROR says which). */
      rc = xipc__win32_socket_wait(s, XIPC__WIN32_CONNECTED, deadline, timeout_ms);
      if (rc == 0 && getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&err, &err_len) != 0)
        rc = xipc__win32_socket_fail();
      else if (rc == 0 && err != 0)
        rc = xipc__os_fail(err);
    }
  }
  if (rc < 0) {
    xipc__win32_socket_close(s);
    return rc;
  }
  return tcp_stream(s, out);
}

int xipc__tcp_addresses(const xipc_stream_t *conn, xipc_addr_t *local, xipc_addr_t *peer) {
  struct sockaddr_storage sa;
  int len = (int)sizeof sa;
  if (!conn->tcp)
    return xipc__fail(XIPC_ENOTSUP);
  if (getsockname(stream_socket(conn), (struct sockaddr *)&sa, &len) != 0)
    return xipc__win32_socket_fail();
  xipc__addr_of_sockaddr((struct sockaddr *)&sa, local);
  len = (int)sizeof sa;
  if (getpeername(stream_socket(conn), (struct sockaddr *)&sa, &len) != 0)
    return xipc__win32_socket_fail();
  xipc__addr_of_sockaddr((struct sockaddr *)&sa, peer);
  return 0;
}

int xipc__tcp_set_nodelay(xipc_stream_t *conn, bool on) {
  if (!conn->tcp)
    return xipc__fail(XIPC_ENOTSUP);
  return set_option(stream_socket(conn), IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
}

int xipc__stream_shutdown(xipc_stream_t *stream) {
  if (!stream->tcp)
    return xipc__fail(XIPC_ENOTSUP);
  return shutdown(stream_socket(stream), SD_SEND) == 0 ? 0 : xipc__win32_socket_fail();
}

/* ---- Connection I/O ------------------------------------------------------ */

int xipc__win32_tcp_read(xipc_stream_t *stream, void *buf, int len, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  SOCKET s = stream_socket(stream);
  for (;;) {
    int n = recv(s, (char *)buf, len, 0), err, rc;
    if (n != SOCKET_ERROR)
      return n; /* 0: the peer has finished sending */
    err = WSAGetLastError();
    if (err == WSAECONNABORTED) {
      /* What Windows often says of a connection its peer dropped: a reset, as on POSIX. */
      xipc__set_os_error(err);
      return XIPC_ECONNRESET;
    }
    if (err != WSAEWOULDBLOCK)
      return xipc__os_fail(err);
    if (xipc__remaining_ms(deadline) == 0)
      return xipc__timeout_error(timeout_ms);
    rc = xipc__win32_socket_wait(s, XIPC__WIN32_READABLE, deadline, timeout_ms);
    if (rc < 0)
      return rc;
  }
}

int xipc__win32_tcp_write(xipc_stream_t *stream, const void *buf, int len, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  SOCKET s = stream_socket(stream);
  /* Large non-blocking sends can fail for want of buffers (WSAENOBUFS): a step at most. */
  if (len > SEND_STEP_MAX)
    len = SEND_STEP_MAX;
  for (;;) {
    int n = send(s, (const char *)buf, len, 0), err, rc;
    if (n != SOCKET_ERROR)
      return n;
    err = WSAGetLastError();
    if (err == WSAESHUTDOWN || err == WSAECONNABORTED) {
      /* This end was shut down for writing, or (what Windows often says) the peer is gone. */
      xipc__set_os_error(err);
      return XIPC_EPIPE;
    }
    if (err != WSAEWOULDBLOCK)
      return xipc__os_fail(err);
    if (xipc__remaining_ms(deadline) == 0)
      return xipc__timeout_error(timeout_ms);
    rc = xipc__win32_socket_wait(s, XIPC__WIN32_WRITABLE, deadline, timeout_ms);
    if (rc < 0)
      return rc;
  }
}

int xipc__win32_tcp_close(xipc_stream_t *stream) {
  int rc = closesocket(stream_socket(stream)) == 0 ? 0 : xipc__win32_socket_fail();
  xipc__win32_net_stop();
  free(stream);
  return rc;
}
