/* SPDX-License-Identifier: MIT */
/*
 * Sockets on Windows, the shared part: Winsock references, sockets that no
 * child inherits, waiting with select(), xipc_addr_t <-> socket address, and
 * GetAddrInfoW().
 */
#include "internal.h"

#include <ws2tcpip.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int xipc__win32_net_start(void) {
  WSADATA data;
  int err = WSAStartup(MAKEWORD(2, 2), &data);
  return err == 0 ? 0 : xipc__os_fail(err);
}

void xipc__win32_net_stop(void) {
  WSACleanup();
}

int xipc__win32_socket_fail(void) {
  return xipc__os_fail(WSAGetLastError());
}

int xipc__win32_socket(int family, int type, SOCKET *out) {
  u_long nonblocking = 1;
  SOCKET s;
  int rc = xipc__win32_net_start();
  if (rc < 0)
    return rc;
  s = WSASocketW(family, type, 0, NULL, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET) {
    rc = xipc__win32_socket_fail();
    xipc__win32_net_stop();
    return rc;
  }
  /* Also for a system that does not know WSA_FLAG_NO_HANDLE_INHERIT: never inherited. */
  SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
  if (ioctlsocket(s, FIONBIO, &nonblocking) != 0) {
    rc = xipc__win32_socket_fail();
    xipc__win32_socket_close(s);
    return rc;
  }
  *out = s;
  return 0;
}

void xipc__win32_socket_close(SOCKET s) {
  int saved = WSAGetLastError();
  closesocket(s);
  xipc__win32_net_stop();
  WSASetLastError(saved);
}

int xipc__win32_socket_wait(SOCKET s, bool write, uint64_t deadline, int timeout_ms) {
  for (;;) {
    int left = xipc__remaining_ms(deadline), n;
    fd_set ready, failed;
    struct timeval tv;
    /* One socket: the sets are filled directly (FD_SET is a loop MSVC warns about). */
    ready.fd_count = failed.fd_count = 1;
    ready.fd_array[0] = failed.fd_array[0] = s;
    tv.tv_sec = left > 0 ? left / 1000 : 0;
    tv.tv_usec = left > 0 ? (left % 1000) * 1000 : 0;
    n = select(0, write ? NULL : &ready, write ? &ready : NULL, &failed, left < 0 ? NULL : &tv);
    if (n == SOCKET_ERROR)
      return xipc__win32_socket_fail();
    if (n > 0)
      return 0;
    /* select() may return a tick early: wait on until the time has really passed. */
    if (left == 0 || xipc__remaining_ms(deadline) == 0)
      return xipc__timeout_error(timeout_ms);
  }
}

int xipc__win32_family(const xipc_addr_t *addr) {
  return addr->family == XIPC_ADDR_IPV6 ? AF_INET6 : AF_INET;
}

int xipc__win32_sockaddr(const xipc_addr_t *addr, int family, struct sockaddr_storage *sa) {
  memset(sa, 0, sizeof *sa);
  if (family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)sa;
    const uint8_t *ip = addr->ip;
    if (addr->family == XIPC_ADDR_IPV6) {
      if (memcmp(addr->ip, v4_mapped_prefix, sizeof v4_mapped_prefix) != 0)
        return xipc__fail(XIPC_EINVAL); /* an IPv6 address for an IPv4 socket */
      ip += sizeof v4_mapped_prefix;
    }
    in->sin_family = AF_INET;
    in->sin_port = htons(addr->port);
    memcpy(&in->sin_addr, ip, 4);
    return (int)sizeof *in;
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(addr->port);
    if (addr->family == XIPC_ADDR_IPV4) {
      /* Dual stack: an IPv4 peer of an IPv6 socket. */
      memcpy(&in6->sin6_addr, v4_mapped_prefix, sizeof v4_mapped_prefix);
      memcpy((uint8_t *)&in6->sin6_addr + sizeof v4_mapped_prefix, addr->ip, 4);
    } else {
      memcpy(&in6->sin6_addr, addr->ip, 16);
      in6->sin6_scope_id = addr->scope_id;
    }
    return (int)sizeof *in6;
  }
}

void xipc__win32_addr_of(const struct sockaddr *sa, xipc_addr_t *addr) {
  memset(addr, 0, sizeof *addr);
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
    addr->family = XIPC_ADDR_IPV4;
    addr->port = ntohs(in->sin_port);
    memcpy(addr->ip, &in->sin_addr, 4);
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
    addr->port = ntohs(in6->sin6_port);
    if (memcmp(&in6->sin6_addr, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0) {
      /* An IPv4 peer of a dual-stack socket is an IPv4 address. */
      addr->family = XIPC_ADDR_IPV4;
      memcpy(addr->ip, (const uint8_t *)&in6->sin6_addr + sizeof v4_mapped_prefix, 4);
    } else {
      addr->family = XIPC_ADDR_IPV6;
      memcpy(addr->ip, &in6->sin6_addr, 16);
      addr->scope_id = in6->sin6_scope_id;
    }
  }
}

int xipc__net_resolve(const char *host, uint16_t port, bool passive, xipc_addr_t *addrs, int cap) {
  ADDRINFOW hints, *list, *ai;
  WCHAR service[8], *whost;
  char digits[8];
  int i, count = 0, err, rc = xipc__win32_to_wide(host, &whost);
  if (rc < 0)
    return rc;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM; /* one entry per address, not one per socket type */
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  snprintf(digits, sizeof digits, "%u", (unsigned)port);
  for (i = 0; i == 0 || digits[i - 1] != '\0'; i++)
    service[i] = (WCHAR)digits[i]; /* ASCII digits and the NUL */
  rc = xipc__win32_net_start();
  if (rc < 0) {
    free(whost);
    return rc;
  }
  err = GetAddrInfoW(whost, service, &hints, &list);
  free(whost);
  if (err == 0) {
    for (ai = list; ai != NULL && count < cap; ai = ai->ai_next) {
      if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
        xipc__win32_addr_of(ai->ai_addr, &addrs[count++]);
    }
    FreeAddrInfoW(list);
  }
  xipc__win32_net_stop();
  if (err == 0 && count == 0)
    err = WSAHOST_NOT_FOUND;
  return err == 0 ? count : xipc__os_fail(err);
}
