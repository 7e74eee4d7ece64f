/* SPDX-License-Identifier: MIT */
/*
 * xipc_addr_t <-> struct sockaddr, the one piece of socket code that is the
 * same on both systems (the BSD socket address layout Winsock kept).
 */
#include "internal.h"
#include "netsys.h" /* the backend's: src/posix/ or src/win32/ (CMakeLists.txt) */

#include <string.h>

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int xipc__sockaddr_family(const xipc_addr_t *addr) {
  return addr->family == XIPC_ADDR_IPV6 ? AF_INET6 : AF_INET;
}

int xipc__sockaddr_of(const xipc_addr_t *addr, int family, struct sockaddr_storage *sa) {
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

void xipc__addr_of_sockaddr(const struct sockaddr *sa, xipc_addr_t *addr) {
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

bool xipc__addr_is_ipv6_any(const xipc_addr_t *addr) {
  static const uint8_t any[16] = {0};
  return addr->family == XIPC_ADDR_IPV6 && memcmp(addr->ip, any, sizeof any) == 0;
}
