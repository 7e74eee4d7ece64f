/* SPDX-License-Identifier: MIT */
/*
 * TCP and UDP: address text, argument checks, trying each address of a host
 * within one timeout; then the backend (src/<os>/net.c, tcp.c, udp.c).
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* At most this many addresses of one host are tried. */
#define MAX_ADDRS 16

/* ---- Address text -------------------------------------------------------- */

/* A decimal number of at most `max`, no sign, no leading zeros beyond "0". */
static const char *parse_decimal(const char *s, unsigned long max, unsigned long *out) {
  unsigned long v = 0;
  const char *start = s;
  while (*s >= '0' && *s <= '9') {
    unsigned long digit = (unsigned long)(*s - '0');
    /* v * 10 + digit > max, asked without overflow: unsigned long has 32 bits on Windows. */
    if (v > (max - digit) / 10 || (s > start && *start == '0'))
      return NULL;
    v = v * 10 + digit;
    s++;
  }
  *out = v;
  return s > start ? s : NULL;
}

/* Dotted-quad IPv4 "a.b.c.d" into ip[0..3]; returns the end, or NULL. */
static const char *parse_ipv4(const char *s, uint8_t *ip) {
  unsigned long part;
  int i;
  for (i = 0; i < 4; i++) {
    if (i > 0 && *s++ != '.')
      return NULL;
    s = parse_decimal(s, 255, &part);
    if (s == NULL)
      return NULL;
    ip[i] = (uint8_t)part;
  }
  return s;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/*
 * IPv6 text (RFC 4291 2.2: groups, one "::", a trailing dotted IPv4) up to
 * `end` into ip[16]. Returns true when all of it was an address.
 */
static bool parse_ipv6(const char *s, const char *end, uint8_t *ip) {
  uint8_t words[16];
  int n = 0, gap = -1;
  memset(ip, 0, 16);
  if (s + 1 < end && s[0] == ':' && s[1] == ':') {
    gap = 0;
    s += 2;
  } else if (s < end && s[0] == ':') {
    return false;
  }
  while (s < end) {
    const char *group_end = memchr(s, ':', (size_t)(end - s));
    unsigned value = 0;
    int digits = 0;
    if (group_end == NULL)
      group_end = end;
    /* A dotted IPv4 address as the last group, for the last 32 bits. */
    if (memchr(s, '.', (size_t)(group_end - s)) != NULL) {
      if (n > 12 || group_end != end || parse_ipv4(s, words + n) != end)
        return false;
      n += 4;
      break;
    }
    while (s < end && hex_value(*s) >= 0 && digits < 4) {
      value = value * 16 + (unsigned)hex_value(*s++);
      digits++;
    }
    if (digits == 0 || n > 14)
      return false;
    words[n++] = (uint8_t)(value >> 8);
    words[n++] = (uint8_t)value;
    if (s == end)
      break;
    if (*s++ != ':')
      return false;
    if (s < end && *s == ':') {
      if (gap >= 0)
        return false; /* a second "::" */
      gap = n;
      s++;
    } else if (s == end) {
      return false; /* a trailing single ':' */
    }
  }
  if (gap < 0) {
    if (n != 16)
      return false;
    memcpy(ip, words, 16);
    return true;
  }
  if (n > 14)
    return false; /* "::" stands for at least one group */
  memcpy(ip, words, (size_t)gap);
  memcpy(ip + 16 - (n - gap), words + gap, (size_t)(n - gap));
  return true;
}

int xipc_addr_parse(xipc_addr_t *addr, const char *text) {
  xipc_addr_t a;
  const char *s, *close, *percent;
  unsigned long port, zone = 0;
  if (addr == NULL || text == NULL)
    return xipc__fail(XIPC_EINVAL);
  memset(&a, 0, sizeof a);
  if (text[0] == '[') {
    close = strchr(text, ']');
    if (close == NULL)
      return xipc__fail(XIPC_EINVAL);
    percent = memchr(text, '%', (size_t)(close - text));
    if (percent != NULL && parse_decimal(percent + 1, 0xFFFFFFFFul, &zone) != close)
      return xipc__fail(XIPC_EINVAL);
    if (!parse_ipv6(text + 1, percent != NULL ? percent : close, a.ip))
      return xipc__fail(XIPC_EINVAL);
    a.family = XIPC_ADDR_IPV6;
    a.scope_id = (uint32_t)zone;
    s = close + 1;
  } else {
    s = parse_ipv4(text, a.ip);
    if (s == NULL)
      return xipc__fail(XIPC_EINVAL);
    a.family = XIPC_ADDR_IPV4;
  }
  s = *s == ':' ? parse_decimal(s + 1, 65535, &port) : NULL;
  if (s == NULL || *s != '\0')
    return xipc__fail(XIPC_EINVAL);
  a.port = (uint16_t)port;
  *addr = a;
  return 0;
}

/* IPv6 text by RFC 5952: lower case, the longest run of two or more zero groups as "::". */
static int format_ipv6(const uint8_t *ip, char *buf, size_t cap) {
  static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  unsigned groups[8];
  int i, best = -1, best_len = 0, run = 0, n = 0;
  for (i = 0; i < 8; i++)
    groups[i] = (unsigned)ip[2 * i] << 8 | ip[2 * i + 1];
  if (memcmp(ip, mapped_prefix, sizeof mapped_prefix) == 0)
    return snprintf(buf, cap, "::ffff:%u.%u.%u.%u", ip[12], ip[13], ip[14], ip[15]);
  for (i = 0; i < 8; i++) {
    run = groups[i] == 0 ? run + 1 : 0;
    if (run > best_len) {
      best_len = run;
      best = i - run + 1;
    }
  }
  if (best_len < 2)
    best = -1;
  for (i = 0; i < 8 && n >= 0 && (size_t)n < cap; i++) {
    if (i == best) {
      n += snprintf(buf + n, cap - (size_t)n, "::");
      i += best_len - 1;
      continue;
    }
    n += snprintf(buf + n, cap - (size_t)n, "%s%x", i > 0 && i != best + best_len ? ":" : "",
                  groups[i]);
  }
  return n;
}

int xipc_addr_format(const xipc_addr_t *addr, char *buf, size_t cap) {
  char text[XIPC_ADDR_STRLEN], ip6[48];
  int n;
  if (addr == NULL || buf == NULL)
    return xipc__fail(XIPC_EINVAL);
  if (addr->family == XIPC_ADDR_IPV4) {
    n = snprintf(text, sizeof text, "%u.%u.%u.%u:%u", addr->ip[0], addr->ip[1], addr->ip[2],
                 addr->ip[3], (unsigned)addr->port);
  } else if (addr->family == XIPC_ADDR_IPV6) {
    format_ipv6(addr->ip, ip6, sizeof ip6);
    if (addr->scope_id != 0)
      n = snprintf(text, sizeof text, "[%s%%%lu]:%u", ip6, (unsigned long)addr->scope_id,
                   (unsigned)addr->port);
    else
      n = snprintf(text, sizeof text, "[%s]:%u", ip6, (unsigned)addr->port);
  } else {
    return xipc__fail(XIPC_EINVAL);
  }
  if (n < 0 || (size_t)n >= cap)
    return xipc__fail(XIPC_ENOBUFS);
  memcpy(buf, text, (size_t)n + 1);
  return n;
}

/* ---- Host names ------------------------------------------------------------ */

static bool valid_host(const char *host) {
  return host != NULL && host[0] != '\0' && strlen(host) < 256;
}

static bool valid_addr(const xipc_addr_t *addr) {
  return addr != NULL && (addr->family == XIPC_ADDR_IPV4 || addr->family == XIPC_ADDR_IPV6);
}

int xipc_addr_resolve(xipc_addr_t *addr, const char *host, uint16_t port) {
  xipc_addr_t found[MAX_ADDRS];
  int rc;
  if (addr == NULL || !valid_host(host))
    return xipc__fail(XIPC_EINVAL);
  rc = xipc__net_resolve(host, port, false, found, MAX_ADDRS);
  if (rc < 0)
    return rc;
  *addr = found[0];
  return 0;
}

/* ---- TCP ----------------------------------------------------------------- */

/* The default host of listeners and UDP sockets: loopback, reachable from this machine only. */
static const char *bind_host(const char *host) {
  return host == NULL ? "127.0.0.1" : host;
}

int xipc_tcp_listen(xipc_listener_t **out, const char *host, uint16_t port, int backlog) {
  xipc_addr_t addrs[MAX_ADDRS];
  int i, count, rc = 0;
  if (out == NULL)
    return xipc__fail(XIPC_EINVAL);
  *out = NULL;
  host = bind_host(host);
  if (!valid_host(host) || backlog < 0)
    return xipc__fail(XIPC_EINVAL);
  count = xipc__net_resolve(host, port, true, addrs, MAX_ADDRS);
  /* The first address that can be bound: "localhost" may list an IPv6 one first. */
  for (i = 0; i < count; i++) {
    rc = xipc__tcp_listen(out, &addrs[i], backlog);
    if (rc == 0 || rc == XIPC_EADDRINUSE)
      return rc;
  }
  return count < 0 ? count : rc;
}

int xipc_listener_addr(const xipc_listener_t *listener, xipc_addr_t *addr) {
  if (listener == NULL || addr == NULL)
    return xipc__fail(XIPC_EINVAL);
  return xipc__listener_addr(listener, addr);
}

int xipc_tcp_connect(xipc_stream_t **out, const char *host, uint16_t port, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  xipc_addr_t addrs[MAX_ADDRS];
  int i, count, rc = 0;
  if (out == NULL)
    return xipc__fail(XIPC_EINVAL);
  *out = NULL;
  if (!valid_host(host) || port == 0 || timeout_ms < -1)
    return xipc__fail(XIPC_EINVAL);
  count = xipc__net_resolve(host, port, false, addrs, MAX_ADDRS);
  for (i = 0; i < count; i++) {
    int left = xipc__remaining_ms(deadline);
    if (i > 0 && left == 0) {
      rc = xipc__timeout_error(timeout_ms); /* an earlier address used up the time */
      break;
    }
    rc = xipc__tcp_connect(out, &addrs[i], left);
    if (rc == XIPC_EAGAIN || rc == XIPC_ETIMEDOUT)
      rc = xipc__timeout_error(timeout_ms); /* the caller's timeout, not what was left of it */
    if (rc == 0 || rc == XIPC_EAGAIN || rc == XIPC_ETIMEDOUT)
      break; /* connected, or the time is up for every address */
  }
  return count < 0 ? count : rc;
}

int xipc_tcp_addresses(const xipc_stream_t *conn, xipc_addr_t *local, xipc_addr_t *peer) {
  xipc_addr_t ignored_local, ignored_peer;
  if (conn == NULL)
    return xipc__fail(XIPC_EINVAL);
  return xipc__tcp_addresses(conn, local != NULL ? local : &ignored_local,
                             peer != NULL ? peer : &ignored_peer);
}

int xipc_tcp_set_nodelay(xipc_stream_t *conn, int on) {
  if (conn == NULL)
    return xipc__fail(XIPC_EINVAL);
  return xipc__tcp_set_nodelay(conn, on != 0);
}

int xipc_stream_shutdown(xipc_stream_t *stream) {
  if (stream == NULL)
    return xipc__fail(XIPC_EINVAL);
  return xipc__stream_shutdown(stream);
}

/* ---- UDP ----------------------------------------------------------------- */

int xipc_udp_bind(xipc_udp_t **out, const char *host, uint16_t port) {
  xipc_addr_t addrs[MAX_ADDRS];
  int i, count, rc = 0;
  if (out == NULL)
    return xipc__fail(XIPC_EINVAL);
  *out = NULL;
  host = bind_host(host);
  if (!valid_host(host))
    return xipc__fail(XIPC_EINVAL);
  count = xipc__net_resolve(host, port, true, addrs, MAX_ADDRS);
  for (i = 0; i < count; i++) {
    rc = xipc__udp_bind(out, &addrs[i]);
    if (rc == 0 || rc == XIPC_EADDRINUSE)
      return rc;
  }
  return count < 0 ? count : rc;
}

int xipc_udp_addr(const xipc_udp_t *udp, xipc_addr_t *addr) {
  if (udp == NULL || addr == NULL)
    return xipc__fail(XIPC_EINVAL);
  return xipc__udp_addr(udp, addr);
}

int xipc_udp_connect(xipc_udp_t *udp, const xipc_addr_t *peer) {
  if (udp == NULL || (peer != NULL && (!valid_addr(peer) || peer->port == 0)))
    return xipc__fail(XIPC_EINVAL);
  return xipc__udp_connect(udp, peer);
}

int xipc_udp_send(xipc_udp_t *udp, const void *buf, size_t len, const xipc_addr_t *to,
                  int timeout_ms) {
  if (udp == NULL || (buf == NULL && len > 0) || timeout_ms < -1 ||
      (to != NULL && (!valid_addr(to) || to->port == 0)))
    return xipc__fail(XIPC_EINVAL);
  if (len > XIPC_UDP_MAX)
    return xipc__fail(XIPC_EMSGSIZE);
  return xipc__udp_send(udp, buf, len, to, timeout_ms);
}

int xipc_udp_recv(xipc_udp_t *udp, void *buf, size_t cap, xipc_addr_t *from, int timeout_ms,
                  size_t *msg_size) {
  xipc_addr_t ignored_from;
  size_t ignored_size;
  if (msg_size == NULL)
    msg_size = &ignored_size;
  *msg_size = 0;
  if (udp == NULL || buf == NULL || cap == 0 || timeout_ms < -1)
    return xipc__fail(XIPC_EINVAL);
  return xipc__udp_recv(udp, buf, cap > INT32_MAX ? INT32_MAX : cap,
                        from != NULL ? from : &ignored_from, timeout_ms, msg_size);
}

xipc_os_handle_t xipc_udp_native(const xipc_udp_t *udp) {
  return udp == NULL ? XIPC_OS_HANDLE_INVALID : xipc__udp_native(udp);
}

int xipc_udp_close(xipc_udp_t *udp) {
  return udp == NULL ? 0 : xipc__udp_close(udp);
}
