/* SPDX-License-Identifier: MIT */
/*
 * Sockets on Windows, the shared part: Winsock references, sockets that no
 * child inherits, waiting with select(), and GetAddrInfoW().
 */
#include "internal.h"

#include <ws2tcpip.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  /*
   * Also for a system that does not know WSA_FLAG_NO_HANDLE_INHERIT. It can
   * fail for a socket of a layered provider; xipc_spawn hands a child only
   * the handles it lists anyway, so this is for other code's CreateProcess.
   */
  SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
  if (ioctlsocket(s, FIONBIO, &nonblocking) != 0) {
    rc = xipc__win32_socket_fail();
    xipc__win32_socket_close(s);
    return rc;
  }
  *out = s;
  return 0;
}

int xipc__win32_socket_adopt(SOCKET s) {
  u_long nonblocking = 1;
  int rc = xipc__win32_net_start();
  if (rc < 0)
    return rc;
  /* Not inherited (best effort, as in xipc__win32_socket()); accepted sockets may be. */
  SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
  if (ioctlsocket(s, FIONBIO, &nonblocking) != 0) {
    rc = xipc__win32_socket_fail();
    xipc__win32_net_stop();
  }
  return rc;
}

void xipc__win32_socket_close(SOCKET s) {
  int saved = WSAGetLastError();
  closesocket(s);
  xipc__win32_net_stop();
  WSASetLastError(saved);
}

int xipc__win32_socket_wait(SOCKET s, xipc__win32_ready_t what, uint64_t deadline, int timeout_ms) {
  bool write = what != XIPC__WIN32_READABLE;
  for (;;) {
    int left = xipc__remaining_ms(deadline), n;
    fd_set ready, failed;
    struct timeval tv;
    /* One socket: the sets are filled directly (FD_SET is a loop MSVC warns about). */
    ready.fd_count = failed.fd_count = 1;
    ready.fd_array[0] = failed.fd_array[0] = s;
    tv.tv_sec = left > 0 ? left / 1000 : 0;
    tv.tv_usec = left > 0 ? (left % 1000) * 1000 : 0;
    n = select(0, write ? NULL : &ready, write ? &ready : NULL,
               what == XIPC__WIN32_CONNECTED ? &failed : NULL, left < 0 ? NULL : &tv);
    if (n == SOCKET_ERROR)
      return xipc__win32_socket_fail();
    if (n > 0)
      return 0;
    /* select() may return a tick early: wait on until the time has really passed. */
    if (left == 0 || xipc__remaining_ms(deadline) == 0)
      return xipc__timeout_error(timeout_ms);
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
        xipc__addr_of_sockaddr(ai->ai_addr, &addrs[count++]);
    }
    FreeAddrInfoW(list);
  }
  xipc__win32_net_stop();
  if (err == 0 && count == 0)
    err = WSAHOST_NOT_FOUND;
  return err == 0 ? count : xipc__os_fail(err);
}
