/* SPDX-License-Identifier: MIT */
/*
 * tcp-echo: the echo server of the socket textbooks over TCP, portable: BSD
 * sockets on POSIX, Winsock on Windows (xipc starts and stops it). The
 * server is iterative: it serves one client at a time, and the others wait
 * in the listener's backlog until their turn.
 *
 *   tcp-echo [clients]                   demo: listen on 127.0.0.1, port 0 (any free port),
 *                                        start that many copies of itself as clients
 *                                        (default 3), serve them, check the results
 *   tcp-echo server <host> <port>        serve clients on host:port until killed
 *                                        (port 0: any free port, printed)
 *   tcp-echo client <host> <port> <text>...
 *                                        send each text as a line, check that it comes back
 */
#include <xipc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CLIENTS      32
#define LINES_PER_CLIENT 4
#define MAX_LINE         200
/* An iterative server makes clients queue: allow each step plenty of time. */
#define WAIT_MS          60000

static int fail(const char *what, int err) {
  fprintf(stderr, "tcp-echo: %s: %s (%s)\n", what, xipc_strerror(err), xipc_err_name(err));
  return 1;
}

/* A port number from the command line: 0 to 65535, nothing else. */
static int parse_port(const char *text, uint16_t *port) {
  char *end;
  long value = strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < 0 || value > 65535)
    return -1;
  *port = (uint16_t)value;
  return 0;
}

/* Echo everything one client sends until it closes its end. Returns the bytes echoed. */
static long long echo_client(xipc_stream_t *conn, int *err) {
  char buf[4096];
  long long total = 0;
  int n;
  *err = 0;
  while ((n = xipc_stream_read(conn, buf, sizeof buf, WAIT_MS)) > 0) {
    if ((*err = xipc_stream_write_all(conn, buf, (size_t)n, WAIT_MS, NULL)) < 0)
      return total;
    total += n;
  }
  *err = n; /* 0 at the end of the stream */
  return total;
}

/* Accept `count` clients one after another (-1: for ever) and echo for each. */
static int serve(xipc_listener_t *listener, int count) {
  int served, rc;
  for (served = 0; count < 0 || served < count; served++) {
    xipc_stream_t *conn;
    xipc_addr_t peer;
    char who[XIPC_ADDR_STRLEN];
    long long bytes;
    if ((rc = xipc_listener_accept(listener, &conn, count < 0 ? -1 : WAIT_MS)) < 0)
      return fail("accept", rc);
    /* Who is it? A TCP connection tells the client's address and port. */
    if (xipc_tcp_addresses(conn, NULL, &peer) < 0 || xipc_addr_format(&peer, who, sizeof who) < 0)
      strcpy(who, "?");
    bytes = echo_client(conn, &rc);
    xipc_stream_close(conn);
    if (rc < 0)
      return fail("echo", rc);
    printf("server: served the client at %s (%lld bytes echoed)\n", who, bytes);
    fflush(stdout);
  }
  return 0;
}

/* Listen on host:port; the address it got goes to *bound. */
static int listen_at(xipc_listener_t **listener, const char *host, uint16_t port,
                     xipc_addr_t *bound) {
  int rc = xipc_tcp_listen(listener, host, port, 0);
  if (rc < 0)
    return fail("xipc_tcp_listen", rc);
  if ((rc = xipc_listener_addr(*listener, bound)) < 0) {
    xipc_listener_close(*listener);
    return fail("xipc_listener_addr", rc);
  }
  return 0;
}

static int server(const char *host, uint16_t port) {
  xipc_listener_t *listener;
  xipc_addr_t bound;
  char text[XIPC_ADDR_STRLEN];
  int rc;
  if (listen_at(&listener, host, port, &bound) != 0)
    return 1;
  xipc_addr_format(&bound, text, sizeof text);
  printf("server: listening on %s\n", text);
  fflush(stdout);
  rc = serve(listener, -1);
  xipc_listener_close(listener);
  return rc;
}

/* Send each text as a line and read it back; exit code 0 when every echo was right. */
static int client(const char *host, uint16_t port, int count, char **texts) {
  xipc_stream_t *s;
  char line[MAX_LINE + 2], echo[MAX_LINE + 2];
  int i, rc, wrong = 0;
  if ((rc = xipc_tcp_connect(&s, host, port, WAIT_MS)) < 0)
    return fail("xipc_tcp_connect", rc);
  for (i = 0; i < count; i++) {
    size_t len = (size_t)snprintf(line, sizeof line, "%.*s\n", MAX_LINE, texts[i]);
    if ((rc = xipc_stream_write_all(s, line, len, WAIT_MS, NULL)) < 0 ||
        (rc = xipc_stream_read_exact(s, echo, len, WAIT_MS, NULL)) < 0) {
      xipc_stream_close(s);
      return fail("exchange with the server", rc);
    }
    if (memcmp(echo, line, len) != 0)
      wrong++;
    printf("client %d: sent \"%.*s\", %s\n", xipc_self_pid(), (int)len - 1, line,
           memcmp(echo, line, len) == 0 ? "echoed" : "WRONG ECHO");
  }
  xipc_stream_close(s);
  return wrong == 0 ? 0 : 1;
}

static int demo(int clients) {
  xipc_process_t *procs[MAX_CLIENTS];
  xipc_listener_t *listener;
  xipc_spawn_options_t opts;
  xipc_addr_t bound;
  char exe[4096], port[8], lines[LINES_PER_CLIENT][64];
  const char *argv[5 + LINES_PER_CLIENT];
  int i, j, rc, failed = 0;
  if ((rc = xipc_self_exe(exe, sizeof exe)) < 0)
    return fail("xipc_self_exe", rc);
  /* Listen first, on any free port of loopback, so that every client finds the server. */
  if (listen_at(&listener, "127.0.0.1", 0, &bound) != 0)
    return 1;
  snprintf(port, sizeof port, "%u", (unsigned)bound.port);
  printf("server: listening on 127.0.0.1 port %s\n", port);
  fflush(stdout);
  for (i = 0; i < clients; i++) {
    argv[0] = exe;
    argv[1] = "client";
    argv[2] = "127.0.0.1";
    argv[3] = port;
    for (j = 0; j < LINES_PER_CLIENT; j++) {
      snprintf(lines[j], sizeof lines[j], "line %d of client %d", j + 1, i + 1);
      argv[4 + j] = lines[j];
    }
    argv[4 + LINES_PER_CLIENT] = NULL;
    memset(&opts, 0, sizeof opts);
    opts.argv = argv;
    if ((rc = xipc_spawn(&procs[i], &opts)) < 0) {
      while (i-- > 0) {
        xipc_process_kill(procs[i]);
        xipc_process_wait(procs[i], WAIT_MS, NULL);
        xipc_process_close(procs[i]);
      }
      xipc_listener_close(listener);
      return fail("xipc_spawn", rc);
    }
  }
  rc = serve(listener, clients);
  xipc_listener_close(listener);
  for (i = 0; i < clients; i++) {
    xipc_exit_t status;
    /* After a failed server, do not wait for clients that may be waiting for it. */
    if (rc != 0 || xipc_process_wait(procs[i], WAIT_MS, &status) < 0) {
      xipc_process_kill(procs[i]);
      xipc_process_wait(procs[i], WAIT_MS, NULL);
      failed++;
    } else if (status.code != 0 || status.signal != 0) {
      failed++;
    }
    xipc_process_close(procs[i]);
  }
  if (rc != 0 || failed > 0) {
    fprintf(stderr, "tcp-echo: %d of %d clients failed\n", failed, clients);
    return 1;
  }
  printf("tcp echo: %d clients, all echoes correct\n", clients);
  return 0;
}

int main(int argc, char **argv) {
  uint16_t port;
  if (argc == 4 && strcmp(argv[1], "server") == 0 && parse_port(argv[3], &port) == 0)
    return server(argv[2], port);
  if (argc >= 5 && strcmp(argv[1], "client") == 0 && parse_port(argv[3], &port) == 0 && port > 0)
    return client(argv[2], port, argc - 4, argv + 4);
  if (argc <= 2) {
    int clients = argc == 2 ? atoi(argv[1]) : 3;
    if (clients >= 1 && clients <= MAX_CLIENTS)
      return demo(clients);
  }
  fprintf(stderr,
          "usage: tcp-echo [clients (1-%d)] | server <host> <port> | client <host> <port> "
          "<text>...\n",
          MAX_CLIENTS);
  return 2;
}
