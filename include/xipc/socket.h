/* SPDX-License-Identifier: MIT */
/*
 * TCP and UDP sockets, IPv4 and IPv6 (docs/sockets.md).
 *
 * A TCP connection is an xipc_stream_t, like a pipe or a local connection:
 * the same read/write calls and timeouts, XIPC_EPIPE instead of SIGPIPE. A
 * TCP listener is an xipc_listener_t, accepted from and closed like a local
 * one. UDP sockets are their own type: datagrams with their sender's
 * address. Winsock is started and stopped by xipc (each socket holds a
 * reference); applications never call WSAStartup for xipc.
 *
 * Hosts are numeric addresses ("127.0.0.1", "::1") or names resolved with
 * getaddrinfo(); a name lookup is the system resolver's and is not bounded
 * by the call's timeout (numeric addresses and "localhost" never query the
 * network).
 */
#ifndef XIPC_SOCKET_H
#define XIPC_SOCKET_H

#include "common.h"
#include "local.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Addresses ----------------------------------------------------------- */

typedef enum xipc_addr_family { XIPC_ADDR_IPV4 = 4, XIPC_ADDR_IPV6 = 6 } xipc_addr_family_t;

/* An IP address with a port, the same on every system. */
typedef struct xipc_addr {
  int family;        /* XIPC_ADDR_IPV4 or XIPC_ADDR_IPV6 */
  uint16_t port;     /* host byte order */
  uint8_t ip[16];    /* network byte order; IPv4 uses ip[0..3] */
  uint32_t scope_id; /* IPv6 zone (interface index), 0 otherwise */
} xipc_addr_t;

/* Room for any address as text, "[<IPv6>%<zone>]:<port>", with its NUL. */
#define XIPC_ADDR_STRLEN 64

/*
 * Parse "a.b.c.d:port", "[IPv6]:port" or "[IPv6%zone]:port" (zone: a number);
 * numeric only, nothing is looked up. XIPC_EINVAL for anything else.
 */
XIPC_EXTERN int xipc_addr_parse(xipc_addr_t *addr, const char *text);

/* Format as xipc_addr_parse reads it; returns the length. XIPC_ENOBUFS when cap is too small. */
XIPC_EXTERN int xipc_addr_format(const xipc_addr_t *addr, char *buf, size_t cap);

/*
 * The first address of `host` (numeric, or a name: getaddrinfo) with `port`.
 * XIPC_ENOENT when the name has no address, XIPC_EAGAIN when the resolver
 * failed for now.
 */
XIPC_EXTERN int xipc_addr_resolve(xipc_addr_t *addr, const char *host, uint16_t port);

/* ---- TCP ----------------------------------------------------------------- */

/*
 * Listen on `host`:`port`. host NULL is the IPv4 loopback 127.0.0.1 (safe
 * default: not reachable from other machines); "0.0.0.0" listens on every
 * IPv4 interface, "::" on every IPv6 and IPv4 interface (dual stack). Port 0
 * takes a free ephemeral port (read it with xipc_listener_addr). backlog 0
 * is the system's maximum. The port is never shared: XIPC_EADDRINUSE while
 * another socket has it (POSIX SO_REUSEADDR only lets a new listener take
 * over a port whose old connections linger in TIME_WAIT; Windows uses
 * SO_EXCLUSIVEADDRUSE, so no other process can bind the port at all).
 * Accept with xipc_listener_accept(), close with xipc_listener_close().
 */
XIPC_EXTERN int xipc_tcp_listen(xipc_listener_t **out, const char *host, uint16_t port,
                                int backlog);

/* The address a TCP listener is bound to (its port when it asked for 0). */
XIPC_EXTERN int xipc_listener_addr(const xipc_listener_t *listener, xipc_addr_t *addr);

/*
 * Connect to `host`:`port`, trying each of its addresses in turn within the
 * one timeout. XIPC_ECONNREFUSED, XIPC_ENETUNREACH, XIPC_EHOSTUNREACH: the
 * last address's failure; XIPC_EAGAIN / XIPC_ETIMEDOUT when the time ran out.
 * The connection has TCP_NODELAY on.
 */
XIPC_EXTERN int xipc_tcp_connect(xipc_stream_t **out, const char *host, uint16_t port,
                                 int timeout_ms);

/* The local and peer addresses of a TCP connection (either may be NULL). XIPC_ENOTSUP for other
 * streams. */
XIPC_EXTERN int xipc_tcp_addresses(const xipc_stream_t *conn, xipc_addr_t *local,
                                   xipc_addr_t *peer);

/* Turn Nagle's algorithm back on (on = 0) or off again (on = 1, the default). */
XIPC_EXTERN int xipc_tcp_set_nodelay(xipc_stream_t *conn, int on);

/*
 * Half-close a TCP connection: no more writes from this end (the peer reads
 * the end of the stream once it has read everything before it); reads go
 * on. Writes after it: XIPC_EPIPE. XIPC_ENOTSUP for other streams.
 */
XIPC_EXTERN int xipc_stream_shutdown(xipc_stream_t *stream);

/* ---- UDP ----------------------------------------------------------------- */

typedef struct xipc_udp_s xipc_udp_t;

/* The largest UDP payload: 65,507 bytes over IPv4 (65,527 over IPv6; xipc uses the smaller). */
#define XIPC_UDP_MAX 65507

/*
 * A UDP socket bound to `host`:`port` (host NULL: 127.0.0.1, as for TCP;
 * port 0: ephemeral). The port is never shared (XIPC_EADDRINUSE).
 */
XIPC_EXTERN int xipc_udp_bind(xipc_udp_t **out, const char *host, uint16_t port);

/* The address the socket is bound to. */
XIPC_EXTERN int xipc_udp_addr(const xipc_udp_t *udp, xipc_addr_t *addr);

/*
 * Connected UDP: datagrams go to `peer` when xipc_udp_send has no address,
 * and only datagrams from it are received. NULL disconnects.
 */
XIPC_EXTERN int xipc_udp_connect(xipc_udp_t *udp, const xipc_addr_t *peer);

/*
 * Send one datagram of 0 to XIPC_UDP_MAX bytes to `to` (NULL: the connected
 * peer), whole or not at all. XIPC_EMSGSIZE when larger; XIPC_ENOTCONN with
 * no address and no connected peer; XIPC_EINVAL when the family does not
 * match the socket's. A datagram is not a delivery: UDP may drop it.
 */
XIPC_EXTERN int xipc_udp_send(xipc_udp_t *udp, const void *buf, size_t len, const xipc_addr_t *to,
                              int timeout_ms);

/*
 * Receive one datagram, waiting up to timeout_ms: returns its length (0 for
 * an empty datagram); its sender goes to *from (may be NULL). A datagram
 * larger than `cap` is not received and not cut: XIPC_EMSGSIZE, its size in
 * *msg_size (may be NULL), and it stays first in line for a larger buffer.
 * XIPC_ECONNREFUSED on a connected socket whose peer's port was closed.
 */
XIPC_EXTERN int xipc_udp_recv(xipc_udp_t *udp, void *buf, size_t cap, xipc_addr_t *from,
                              int timeout_ms, size_t *msg_size);

/* The socket (int fd or SOCKET). */
XIPC_EXTERN xipc_os_handle_t xipc_udp_native(const xipc_udp_t *udp);

/* Close. NULL is ignored. */
XIPC_EXTERN int xipc_udp_close(xipc_udp_t *udp);

#ifdef __cplusplus
}
#endif

#endif
