/* SPDX-License-Identifier: MIT */
/* Host names on POSIX: getaddrinfo(). */
#include "internal.h"

#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* getaddrinfo()'s own codes; the raw code is kept as the OS error. */
static int resolve_error(int gai) {
  switch (gai) {
  case EAI_NONAME:
#if defined(EAI_NODATA) && EAI_NODATA != EAI_NONAME
  case EAI_NODATA:
#endif
    xipc__set_os_error(gai);
    return XIPC_ENOENT;
  case EAI_AGAIN:
  case EAI_FAIL: /* the resolver failed (a SERVFAIL, say): nothing says the name is unknown */
    xipc__set_os_error(gai);
    return XIPC_EAGAIN;
  case EAI_MEMORY:
    xipc__set_os_error(gai);
    return XIPC_ENOMEM;
  case EAI_SYSTEM:
    return xipc__os_fail(errno);
  default:
    xipc__set_os_error(gai);
    return XIPC_ESYSTEM;
  }
}

int xipc__net_resolve(const char *host, uint16_t port, bool passive, xipc_addr_t *addrs, int cap) {
  struct addrinfo hints, *list, *ai;
  char service[8];
  int count = 0, gai;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM; /* one entry per address, not one per socket type */
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  snprintf(service, sizeof service, "%u", (unsigned)port);
  do
    gai = getaddrinfo(host, service, &hints, &list);
  while (gai == EAI_SYSTEM && errno == EINTR);
  if (gai != 0)
    return resolve_error(gai);
  for (ai = list; ai != NULL && count < cap; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
      xipc__addr_of_sockaddr(ai->ai_addr, &addrs[count++]);
  }
  freeaddrinfo(list);
  if (count == 0) {
    xipc__set_os_error(EAI_NONAME);
    return XIPC_ENOENT;
  }
  return count;
}
