/* SPDX-License-Identifier: MIT */
/* IP addresses on POSIX: xipc_addr_t <-> struct sockaddr, and getaddrinfo(). */
#include "internal.h"

#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int xipc__posix_family(const xipc_addr_t *addr) {
  return addr->family == XIPC_ADDR_IPV6 ? AF_INET6 : AF_INET;
}

int xipc__posix_sockaddr(const xipc_addr_t *addr, int family, struct sockaddr_storage *sa) {
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

void xipc__posix_addr_of(const struct sockaddr *sa, xipc_addr_t *addr) {
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
      xipc__posix_addr_of(ai->ai_addr, &addrs[count++]);
  }
  freeaddrinfo(list);
  if (count == 0) {
    xipc__set_os_error(EAI_NONAME);
    return XIPC_ENOENT;
  }
  return count;
}
