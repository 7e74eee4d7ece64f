/* SPDX-License-Identifier: MIT */
/*
 * Local channels: a named listener and its duplex connections, in byte and
 * in message mode, within one process and across real client and server
 * processes, and with programs that do not use xipc: socat and plain socket
 * calls (POSIX), plain Win32 pipe calls (Windows).
 */
#include "task.h"

#include <stdlib.h>

/* No single step of a test should take longer than this (times the multiplier). */
#define WAIT_MS 10000

#define BURST_MESSAGES 100
#define BURST_SIZE_MAX 3000

/* True where a local channel is a Unix socket in the runtime directory (POSIX). */
static bool local_is_socket(void) {
  char native[XIPC_NATIVE_NAME_MAX];
  return xipc_name_native(XIPC_KIND_LOCAL, "x", native, sizeof native) > 0 && native[0] == '/';
}

static const char *mode_arg(xipc_local_mode_t mode) {
  return mode == XIPC_LOCAL_MESSAGES ? "messages" : "bytes";
}

static xipc_local_mode_t mode_of(const char *arg) {
  return strcmp(arg, "messages") == 0 ? XIPC_LOCAL_MESSAGES : XIPC_LOCAL_BYTES;
}

static const xipc_local_mode_t both_modes[2] = {XIPC_LOCAL_BYTES, XIPC_LOCAL_MESSAGES};

static xipc_listener_t *listen_on(const char *name, xipc_local_mode_t mode) {
  xipc_listener_t *l = NULL;
  ASSERT_OK(xipc_local_listen(&l, name, mode));
  ASSERT_NOT_NULL(l);
  return l;
}

static xipc_stream_t *connect_to(const char *name, xipc_local_mode_t mode) {
  xipc_stream_t *s = NULL;
  ASSERT_OK(xipc_local_connect(&s, name, mode, test_timeout(WAIT_MS)));
  ASSERT_NOT_NULL(s);
  return s;
}

static xipc_stream_t *accept_one(xipc_listener_t *l) {
  xipc_stream_t *s = NULL;
  ASSERT_OK(xipc_listener_accept(l, &s, test_timeout(WAIT_MS)));
  ASSERT_NOT_NULL(s);
  return s;
}

static bool is_messages(xipc_local_mode_t mode) {
  return mode == XIPC_LOCAL_MESSAGES;
}

static int send_unit(xipc_stream_t *s, xipc_local_mode_t mode, const void *buf, size_t len) {
  return test_unit_send(s, is_messages(mode), buf, len);
}

static int recv_unit(xipc_stream_t *s, xipc_local_mode_t mode, void *buf, size_t len) {
  return test_unit_recv(s, is_messages(mode), buf, len);
}

static int wait_end(xipc_stream_t *s, xipc_local_mode_t mode) {
  return test_wait_end(s, is_messages(mode));
}

#define ASSERT_SEND(s, mode, buf, len) ASSERT_OK(send_unit(s, mode, buf, len))
#define ASSERT_RECV_TEXT(s, mode, text)        \
  do {                                         \
    char got_[256];                            \
    size_t len_ = strlen(text);                \
    memset(got_, 0, sizeof got_);              \
    ASSERT_OK(recv_unit(s, mode, got_, len_)); \
    ASSERT_STR_EQ(got_, text);                 \
  } while (0)

/*
 * POSIX: make XIPC_RUNTIME_DIR a new private directory of this test (so that
 * it surely exists before a plain program binds in it, and is removed after).
 */
static void use_private_rundir(char *dir, size_t cap) {
  test_os_make_tmpdir(dir, cap);
  test_os_chmod(dir, 0700);
  test_os_setenv("XIPC_RUNTIME_DIR", dir);
}

/* Remove the files a local channel may leave in the runtime directory, and the directory. */
static void remove_rundir(const char *dir, const char *name) {
  char path[1024]; /* a runtime directory path and a file name */
  snprintf(path, sizeof path, "%s/local.%s", dir, name);
  test_os_remove(path);
  snprintf(path, sizeof path, "%s/local-lock.%s", dir, name);
  test_os_remove(path);
  test_os_remove(dir);
}

/* ---- Signals from a helper, through a pipe ---------------------------- */

/* Start a helper (argv from helper_argv) that gets `w`, a pipe's write end; close our copy. */
static xipc_process_t *start_with_pipe(const char *const *argv, xipc_stream_t *w) {
  xipc_stream_t *give[1];
  xipc_spawn_options_t opts;
  xipc_process_t *proc;
  give[0] = w;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  opts.inherit = give;
  opts.inherit_count = 1;
  proc = helper_start_opts(&opts);
  ASSERT_OK(xipc_stream_close(w));
  return proc;
}

static void expect_signal(xipc_stream_t *r, char expected) {
  char c = 0;
  ASSERT_OK(xipc_stream_read_exact(r, &c, 1, test_timeout(WAIT_MS), NULL));
  ASSERT_EQ(c, expected);
}

static int send_signal(xipc_stream_t *w, char c) {
  return xipc_stream_write_all(w, &c, 1, test_timeout(WAIT_MS), NULL);
}

/* Start helper local_server with `action` and wait until it listens. */
static xipc_process_t *start_server(const char *name, xipc_local_mode_t mode, const char *action,
                                    xipc_stream_t **signals) {
  xipc_stream_t *w;
  xipc_process_t *proc;
  ASSERT_OK(xipc_pipe_create(signals, &w, 0, 0));
  proc = start_with_pipe(
      helper_argv("local_server", name, mode_arg(mode), test_token(w, 0), action, NULL), w);
  expect_signal(*signals, 'R');
  return proc;
}

static void kill_and_reap(xipc_process_t *proc) {
  xipc_exit_t status;
  ASSERT_OK(xipc_process_kill(proc));
  ASSERT_OK(xipc_process_wait(proc, test_timeout(WAIT_MS), &status));
  ASSERT_NE(status.signal, 0);
  xipc_process_close(proc);
}

/* ---- Helpers --------------------------------------------------------- */

/*
 * Listen on argv[0] in mode argv[1], write 'R' to the stream of token argv[2],
 * then by argv[3]:
 *   listen-hold  sleep until killed, never accepting;
 *   hold         accept one client, write 'A', sleep until killed;
 *   bye          accept one client, write 'A', send "bye", close everything, exit 0.
 */
HELPER_IMPL(local_server) {
  xipc_listener_t *l;
  xipc_stream_t *signals, *conn;
  xipc_local_mode_t mode;
  int rc;
  if (argc != 4)
    return 100;
  mode = mode_of(argv[1]);
  if ((rc = xipc_stream_from_token(&signals, argv[2])) < 0)
    return helper_error("local_server", "from_token", rc, 101);
  if ((rc = xipc_local_listen(&l, argv[0], mode)) < 0)
    return helper_error("local_server", "listen", rc, 102);
  if ((rc = send_signal(signals, 'R')) < 0)
    return helper_error("local_server", "signal R", rc, 103);
  if (strcmp(argv[3], "listen-hold") == 0) {
    xipc_sleep_ms(60000); /* the test kills us long before */
    return 104;
  }
  if ((rc = xipc_listener_accept(l, &conn, test_timeout(WAIT_MS))) < 0)
    return helper_error("local_server", "accept", rc, 105);
  if ((rc = send_signal(signals, 'A')) < 0)
    return helper_error("local_server", "signal A", rc, 106);
  if (strcmp(argv[3], "hold") == 0) {
    xipc_sleep_ms(60000);
    return 104;
  }
  if ((rc = send_unit(conn, mode, "bye", 3)) < 0)
    return helper_error("local_server", "send bye", rc, 107);
  if ((rc = xipc_stream_close(conn)) < 0 || (rc = xipc_listener_close(l)) < 0)
    return helper_error("local_server", "close", rc, 108);
  return xipc_stream_close(signals) == 0 ? 0 : 109;
}

/* Connect to argv[0] in mode argv[1] and send back everything that arrives until the end. */
HELPER_IMPL(local_echo) {
  static char buf[XIPC_LOCAL_MSG_MAX];
  xipc_stream_t *s;
  xipc_local_mode_t mode;
  int rc, n;
  if (argc != 2)
    return 100;
  mode = mode_of(argv[1]);
  if ((rc = xipc_local_connect(&s, argv[0], mode, test_timeout(WAIT_MS))) < 0)
    return helper_error("local_echo", "connect", rc, 101);
  for (;;) {
    if (mode == XIPC_LOCAL_MESSAGES) {
      n = xipc_stream_recv_msg(s, buf, sizeof buf, test_timeout(WAIT_MS), NULL);
      if (n == XIPC_EOF)
        break;
    } else {
      n = xipc_stream_read(s, buf, sizeof buf, test_timeout(WAIT_MS));
      if (n == 0)
        break;
    }
    if (n < 0)
      return helper_error("local_echo", "receive", n, 102);
    if ((rc = send_unit(s, mode, buf, (size_t)n)) < 0)
      return helper_error("local_echo", "send", rc, 103);
  }
  return xipc_stream_close(s) == 0 ? 0 : 104;
}

/* Load client argv[2] of local channel argv[0] (mode argv[1]): see load_client(). */
HELPER_IMPL(local_load_client) {
  xipc_stream_t *s;
  xipc_local_mode_t mode;
  int rc;
  if (argc != 3)
    return 100;
  mode = mode_of(argv[1]);
  if ((rc = xipc_local_connect(&s, argv[0], mode, test_timeout(2 * WAIT_MS))) < 0)
    return helper_error("local_load_client", "connect", rc, 101);
  return load_client("local_load_client", s, is_messages(mode), (uint32_t)atoi(argv[2]));
}

/* Connect in mode argv[1]; check that the peer is process argv[2] of our user; wait for the end. */
HELPER_IMPL(local_peer_check) {
  xipc_stream_t *s;
  xipc_local_mode_t mode;
  xipc_peer_t peer;
  int rc;
  if (argc != 3)
    return 100;
  mode = mode_of(argv[1]);
  if ((rc = xipc_local_connect(&s, argv[0], mode, test_timeout(WAIT_MS))) < 0)
    return helper_error("local_peer_check", "connect", rc, 101);
  if ((rc = xipc_stream_peer(s, &peer)) < 0)
    return helper_error("local_peer_check", "peer", rc, 102);
  if (peer.pid != atoi(argv[2]) || peer.uid != test_os_uid()) {
    fprintf(stderr, "local_peer_check: peer pid %d uid %lld, expected pid %s uid %lld\n", peer.pid,
            (long long)peer.uid, argv[2], (long long)test_os_uid());
    return 103;
  }
  if ((rc = wait_end(s, mode)) < 0)
    return helper_error("local_peer_check", "wait for the end", rc, 104);
  return xipc_stream_close(s) == 0 ? 0 : 105;
}

static size_t burst_len(uint32_t i) {
  /* 1 byte, the maximum, and a spread of sizes in between. */
  if (i == 0)
    return 1;
  if (i == 1)
    return BURST_SIZE_MAX;
  return 1 + (i * 2654435761u) % BURST_SIZE_MAX;
}

/*
 * Connect to argv[0] (messages) and send BURST_MESSAGES messages back to back,
 * message i burst_len(i) bytes of pattern seed i; then wait for "done" and the end.
 */
HELPER_IMPL(local_msg_burst) {
  static unsigned char msg[BURST_SIZE_MAX];
  xipc_stream_t *s;
  uint32_t i;
  char done[4];
  int rc;
  if (argc != 1)
    return 100;
  if ((rc = xipc_local_connect(&s, argv[0], XIPC_LOCAL_MESSAGES, test_timeout(WAIT_MS))) < 0)
    return helper_error("local_msg_burst", "connect", rc, 101);
  for (i = 0; i < BURST_MESSAGES; i++) {
    test_fill_pattern(msg, burst_len(i), i, 0);
    if ((rc = xipc_stream_send_msg(s, msg, burst_len(i), test_timeout(WAIT_MS))) < 0)
      return helper_error("local_msg_burst", "send", rc, 102);
  }
  if ((rc = recv_unit(s, XIPC_LOCAL_MESSAGES, done, 4)) < 0 || memcmp(done, "done", 4) != 0)
    return helper_error("local_msg_burst", "receive done", rc, 103);
  if ((rc = wait_end(s, XIPC_LOCAL_MESSAGES)) < 0)
    return helper_error("local_msg_burst", "wait for the end", rc, 104);
  return xipc_stream_close(s) == 0 ? 0 : 105;
}

/* Try to listen on argv[0] in mode argv[1]: exit 0 on XIPC_EADDRINUSE, 1 when it worked. */
HELPER_IMPL(local_try_listen) {
  xipc_listener_t *l = NULL;
  int rc;
  if (argc != 2)
    return 100;
  rc = xipc_local_listen(&l, argv[0], mode_of(argv[1]));
  if (rc == XIPC_EADDRINUSE)
    return l == NULL ? 0 : 101;
  if (rc < 0)
    return helper_error("local_try_listen", "listen", rc, 102);
  xipc_listener_close(l);
  return 1;
}

/*
 * Take over the connection of token argv[0] (mode argv[1], "bytes" or
 * "messages") and echo what arrives until the end. The connection keeps its
 * mode and its peer, the test process (pid argv[2]), across the hand-over.
 */
HELPER_IMPL(local_token_echo) {
  xipc_stream_t *s;
  xipc_peer_t peer;
  char buf[256];
  bool messages;
  size_t size;
  int n, rc;
  if (argc != 3)
    return 100;
  messages = strcmp(argv[1], "messages") == 0;
  if ((rc = xipc_stream_from_token(&s, argv[0])) < 0)
    return helper_error("local_token_echo", "from_token", rc, 101);
  if ((rc = xipc_stream_peer(s, &peer)) < 0)
    return helper_error("local_token_echo", "peer", rc, 105);
  if (peer.pid != atoi(argv[2]))
    return 106;
  for (;;) {
    if (messages) {
      n = xipc_stream_recv_msg(s, buf, sizeof buf, test_timeout(WAIT_MS), &size);
      if (n == XIPC_EOF)
        break;
      rc = n < 0 ? n : xipc_stream_send_msg(s, buf, size, test_timeout(WAIT_MS));
    } else {
      n = xipc_stream_read(s, buf, sizeof buf, test_timeout(WAIT_MS));
      if (n == 0)
        break;
      rc = n < 0 ? n : xipc_stream_write_all(s, buf, (size_t)n, test_timeout(WAIT_MS), NULL);
    }
    if (rc < 0)
      return helper_error("local_token_echo", "echo", rc, 102);
  }
  return xipc_stream_close(s) == 0 ? 0 : 104;
}

/* A client without xipc: connect to native name argv[0] (mode argv[1]), send "ping\n", expect
 * "pong\n". */
HELPER_IMPL(local_plain_client) {
  char reply[64];
  int n;
  if (argc != 2)
    return 100;
  n = test_os_plain_client(argv[0], mode_of(argv[1]) == XIPC_LOCAL_MESSAGES, "ping\n", reply,
                           sizeof reply);
  if (n < 0)
    return 101;
  if (strcmp(reply, "pong\n") != 0) {
    fprintf(stderr, "local_plain_client: got \"%s\"\n", reply);
    return 102;
  }
  return 0;
}

/*
 * A server without xipc at native name argv[0] (mode argv[1]): write 'R' to the
 * stream of token argv[2] once it listens, serve one client: expect "ping\n", answer "pong\n".
 */
HELPER_IMPL(local_plain_server) {
  test_os_plain_server_t *server;
  xipc_stream_t *signals;
  char got[64];
  int n, rc;
  if (argc != 3)
    return 100;
  if ((rc = xipc_stream_from_token(&signals, argv[2])) < 0)
    return helper_error("local_plain_server", "from_token", rc, 101);
  server = test_os_plain_server_start(argv[0], mode_of(argv[1]) == XIPC_LOCAL_MESSAGES);
  if (server == NULL)
    return 102;
  if ((rc = send_signal(signals, 'R')) < 0)
    return helper_error("local_plain_server", "signal", rc, 103);
  n = test_os_plain_server_serve(server, got, sizeof got, "pong\n");
  test_os_plain_server_close(server);
  xipc_stream_close(signals);
  if (n < 0)
    return 104;
  if (strcmp(got, "ping\n") != 0) {
    fprintf(stderr, "local_plain_server: got \"%s\"\n", got);
    return 105;
  }
  return 0;
}

/* Without xipc: connect to native name argv[0] (messages) and send messages of sizes argv[1..]. */
HELPER_IMPL(local_plain_sender) {
  size_t sizes[8];
  int i;
  if (argc < 2 || argc > 9)
    return 100;
  for (i = 1; i < argc; i++)
    sizes[i - 1] = (size_t)atol(argv[i]);
  return test_os_plain_send_messages(argv[0], sizes, (size_t)(argc - 1)) == 0 ? 0 : 101;
}

/* Sleep argv[2] ms, connect to argv[0] in mode argv[1], send argv[3], wait for the end. */
HELPER_IMPL(local_late_client) {
  xipc_stream_t *s;
  xipc_local_mode_t mode;
  int rc;
  if (argc != 4)
    return 100;
  mode = mode_of(argv[1]);
  xipc_sleep_ms(atoi(argv[2]));
  if ((rc = xipc_local_connect(&s, argv[0], mode, -1)) < 0)
    return helper_error("local_late_client", "connect", rc, 101);
  if ((rc = send_unit(s, mode, argv[3], strlen(argv[3]))) < 0)
    return helper_error("local_late_client", "send", rc, 102);
  if ((rc = wait_end(s, mode)) < 0)
    return helper_error("local_late_client", "wait for the end", rc, 103);
  return xipc_stream_close(s) == 0 ? 0 : 104;
}

#define BULK_BYTES (16u * 1024 * 1024)

/* Connect to argv[0] (bytes) and send BULK_BYTES of pattern seed 21 in writes of 64 KiB. */
HELPER_IMPL(local_bulk_sender) {
  static unsigned char chunk[64 * 1024];
  xipc_stream_t *s;
  size_t sent;
  int rc;
  if (argc != 1)
    return 100;
  if ((rc = xipc_local_connect(&s, argv[0], XIPC_LOCAL_BYTES, test_timeout(WAIT_MS))) < 0)
    return helper_error("local_bulk_sender", "connect", rc, 101);
  for (sent = 0; sent < BULK_BYTES; sent += sizeof chunk) {
    test_fill_pattern(chunk, sizeof chunk, 21, sent);
    if ((rc = xipc_stream_write_all(s, chunk, sizeof chunk, test_timeout(3 * WAIT_MS), NULL)) < 0)
      return helper_error("local_bulk_sender", "write", rc, 102);
  }
  return xipc_stream_close(s) == 0 ? 0 : 103;
}

/* ---- Basics ----------------------------------------------------------- */

/* A client process connects and echoes; the server checks what comes back. */
static void roundtrip_with_child(xipc_local_mode_t mode) {
  static unsigned char out[4096], in[4096];
  xipc_listener_t *l;
  xipc_stream_t *conn;
  xipc_process_t *proc;
  char name[64];
  size_t i;
  test_unique_name(name, sizeof name, mode == XIPC_LOCAL_MESSAGES ? "rtm" : "rtb");
  l = listen_on(name, mode);
  proc = helper_start("local_echo", name, mode_arg(mode), NULL);
  conn = accept_one(l);
  ASSERT_NE(xipc_stream_native(conn), XIPC_OS_HANDLE_INVALID);
  ASSERT_SEND(conn, mode, "hello, local channel", 20);
  ASSERT_RECV_TEXT(conn, mode, "hello, local channel");
  /* 64 exchanges of different sizes, each checked byte for byte. */
  for (i = 0; i < 64; i++) {
    size_t len = 1 + (i * 997) % sizeof out;
    test_fill_pattern(out, len, (uint32_t)i, 0);
    memset(in, 0, len);
    ASSERT_SEND(conn, mode, out, len);
    ASSERT_OK(recv_unit(conn, mode, in, len));
    ASSERT_TRUE(memcmp(in, out, len) == 0);
  }
  ASSERT_OK(xipc_stream_close(conn)); /* the helper sees the end and exits */
  helper_expect_exit(proc, 0);
  ASSERT_OK(xipc_listener_close(l));
}

TEST_IMPL(local, roundtrip_bytes) {
  roundtrip_with_child(XIPC_LOCAL_BYTES);
}

TEST_IMPL(local, roundtrip_messages) {
  roundtrip_with_child(XIPC_LOCAL_MESSAGES);
}

/*
 * In one process: a client connects before the server accepts, and a second
 * one right after the first was accepted (a listener always has room for
 * the next client: a backlog; a waiting pipe instance). Each accepted
 * connection is paired with its own client.
 */
TEST_IMPL(local, two_clients_one_process) {
  size_t m;
  for (m = 0; m < 2; m++) {
    xipc_local_mode_t mode = both_modes[m];
    xipc_listener_t *l;
    xipc_stream_t *c1 = NULL, *c2 = NULL, *a1, *a2;
    char name[64];
    test_unique_name(name, sizeof name, "two");
    l = listen_on(name, mode);
    ASSERT_OK(xipc_local_connect(&c1, name, mode, test_timeout(1000)));
    a1 = accept_one(l);
    ASSERT_OK(xipc_local_connect(&c2, name, mode, test_timeout(1000)));
    a2 = accept_one(l);
    ASSERT_SEND(c1, mode, "one", 3);
    ASSERT_SEND(c2, mode, "two", 3);
    ASSERT_RECV_TEXT(a2, mode, "two");
    ASSERT_RECV_TEXT(a1, mode, "one");
    ASSERT_SEND(a1, mode, "1", 1);
    ASSERT_SEND(a2, mode, "2", 1);
    ASSERT_RECV_TEXT(c1, mode, "1");
    ASSERT_RECV_TEXT(c2, mode, "2");
    ASSERT_OK(xipc_stream_close(c1));
    ASSERT_OK(wait_end(a1, mode));
    ASSERT_OK(xipc_stream_close(a2));
    ASSERT_OK(wait_end(c2, mode));
    ASSERT_OK(xipc_stream_close(a1));
    ASSERT_OK(xipc_stream_close(c2));
    ASSERT_OK(xipc_listener_close(l));
  }
}

/* Waits without a limit (-1) end when the other process comes: accept, then receive. */
TEST_IMPL(local, infinite_waits) {
  size_t m;
  for (m = 0; m < 2; m++) {
    xipc_local_mode_t mode = both_modes[m];
    xipc_listener_t *l;
    xipc_stream_t *a = NULL;
    xipc_process_t *proc;
    char name[64], buf[16];
    int64_t start;
    test_unique_name(name, sizeof name, "forever");
    l = listen_on(name, mode);
    start = test_now_ms();
    proc = helper_start("local_late_client", name, mode_arg(mode), "300", "late", NULL);
    ASSERT_OK(xipc_listener_accept(l, &a, -1));
    ASSERT_GE(test_now_ms() - start, 250);
    memset(buf, 0, sizeof buf);
    if (mode == XIPC_LOCAL_MESSAGES)
      ASSERT_EQ(xipc_stream_recv_msg(a, buf, sizeof buf, -1, NULL), 4);
    else
      ASSERT_OK(xipc_stream_read_exact(a, buf, 4, -1, NULL));
    ASSERT_STR_EQ(buf, "late");
    ASSERT_OK(xipc_stream_close(a));
    helper_expect_exit(proc, 0);
    ASSERT_OK(xipc_listener_close(l));
  }
}

/* 16 MiB from another process through a byte-mode connection, checked by hash. */
TEST_IMPL(local, bulk_bytes) {
  static unsigned char buf[100000];
  xipc_listener_t *l;
  xipc_stream_t *a;
  xipc_process_t *proc;
  uint64_t hash = TEST_FNV_INIT, expected = TEST_FNV_INIT;
  size_t got = 0;
  char name[64];
  test_unique_name(name, sizeof name, "bulk");
  l = listen_on(name, XIPC_LOCAL_BYTES);
  proc = helper_start("local_bulk_sender", name, NULL);
  a = accept_one(l);
  for (;;) {
    int n = xipc_stream_read(a, buf, sizeof buf, test_timeout(WAIT_MS));
    ASSERT_GE(n, 0);
    if (n == 0)
      break;
    hash = test_fnv(hash, buf, (size_t)n);
    got += (size_t)n;
    ASSERT_LE(got, BULK_BYTES);
  }
  ASSERT_EQ(got, BULK_BYTES);
  for (got = 0; got < BULK_BYTES; got += sizeof buf) {
    size_t len = BULK_BYTES - got < sizeof buf ? BULK_BYTES - got : sizeof buf;
    test_fill_pattern(buf, len, 21, got);
    expected = test_fnv(expected, buf, len);
  }
  ASSERT_EQ(hash, expected);
  helper_expect_exit(proc, 0);
  ASSERT_OK(xipc_stream_close(a));
  ASSERT_OK(xipc_listener_close(l));
}

/* ---- Many clients at once --------------------------------------------- */

/*
 * LOAD_CLIENTS client processes connected at once (the server accepts them
 * all before any sends), LOAD_MESSAGES each, served by one thread per
 * connection, every message checked by sequence number, length and checksum.
 */
static void many_clients(xipc_local_mode_t mode) {
  xipc_process_t *procs[LOAD_CLIENTS];
  xipc_listener_t *l;
  char name[64], ids[LOAD_CLIENTS][16];
  int i;
  test_unique_name(name, sizeof name, "load");
  l = listen_on(name, mode);
  for (i = 0; i < LOAD_CLIENTS; i++) {
    snprintf(ids[i], sizeof ids[i], "%d", i);
    procs[i] = helper_start("local_load_client", name, mode_arg(mode), ids[i], NULL);
  }
  load_serve_clients(l, is_messages(mode), procs);
  ASSERT_OK(xipc_listener_close(l));
}

TEST_IMPL(local, many_clients_bytes) {
  many_clients(XIPC_LOCAL_BYTES);
}

TEST_IMPL(local, many_clients_messages) {
  many_clients(XIPC_LOCAL_MESSAGES);
}

/* ---- Timeouts --------------------------------------------------------- */

TEST_IMPL(local, accept_timeout) {
  xipc_listener_t *l;
  xipc_stream_t *a = (xipc_stream_t *)&a, *c;
  char name[64];
  int64_t start;
  test_unique_name(name, sizeof name, "acc");
  l = listen_on(name, XIPC_LOCAL_BYTES);
  start = test_now_ms();
  ASSERT_ERR(xipc_listener_accept(l, &a, 0), XIPC_EAGAIN);
  ASSERT_LT(test_now_ms() - start, test_timeout(1000));
  ASSERT_NULL(a);
  start = test_now_ms();
  ASSERT_ERR(xipc_listener_accept(l, &a, 50), XIPC_ETIMEDOUT);
  ASSERT_GE(test_now_ms() - start, 50);
  ASSERT_NULL(a);
  /* The listener still works after timeouts, and a client that is there is taken without waiting.
   */
  c = connect_to(name, XIPC_LOCAL_BYTES);
  ASSERT_OK(xipc_listener_accept(l, &a, 0));
  ASSERT_NOT_NULL(a);
  ASSERT_SEND(c, XIPC_LOCAL_BYTES, "ok", 2);
  ASSERT_RECV_TEXT(a, XIPC_LOCAL_BYTES, "ok");
  xipc_stream_close(a);
  xipc_stream_close(c);
  ASSERT_OK(xipc_listener_close(l));
}

/* Reads of both modes time out, and what arrives afterwards is all there. */
TEST_IMPL(local, read_timeouts) {
  size_t m;
  for (m = 0; m < 2; m++) {
    xipc_local_mode_t mode = both_modes[m];
    xipc_listener_t *l;
    xipc_stream_t *c, *a;
    char name[64], buf[16];
    int64_t start;
    test_unique_name(name, sizeof name, "rto");
    l = listen_on(name, mode);
    c = connect_to(name, mode);
    a = accept_one(l);
    start = test_now_ms();
    if (mode == XIPC_LOCAL_MESSAGES) {
      ASSERT_ERR(xipc_stream_recv_msg(a, buf, sizeof buf, 0, NULL), XIPC_EAGAIN);
      ASSERT_LT(test_now_ms() - start, test_timeout(1000));
      start = test_now_ms();
      ASSERT_ERR(xipc_stream_recv_msg(c, buf, sizeof buf, 50, NULL), XIPC_ETIMEDOUT);
    } else {
      ASSERT_ERR(xipc_stream_read(a, buf, sizeof buf, 0), XIPC_EAGAIN);
      ASSERT_LT(test_now_ms() - start, test_timeout(1000));
      start = test_now_ms();
      ASSERT_ERR(xipc_stream_read(c, buf, sizeof buf, 50), XIPC_ETIMEDOUT);
    }
    ASSERT_GE(test_now_ms() - start, 50);
    ASSERT_SEND(c, mode, "late", 4);
    ASSERT_SEND(a, mode, "back", 4);
    ASSERT_RECV_TEXT(a, mode, "late");
    ASSERT_RECV_TEXT(c, mode, "back");
    xipc_stream_close(c);
    xipc_stream_close(a);
    ASSERT_OK(xipc_listener_close(l));
  }
}

TEST_IMPL(local, connect_missing) {
  xipc_stream_t *s = (xipc_stream_t *)&s;
  xipc_stream_t *fifo;
  char name[64];
  test_unique_name(name, sizeof name, "missing");
  ASSERT_ERR(xipc_local_connect(&s, name, XIPC_LOCAL_BYTES, 0), XIPC_ENOENT);
  ASSERT_NULL(s);
  ASSERT_ERR(xipc_local_connect(&s, name, XIPC_LOCAL_MESSAGES, 100), XIPC_ENOENT);
  ASSERT_NULL(s);
  /* Another kind of object with the same portable name is not a local channel. */
  ASSERT_OK(xipc_fifo_create(&fifo, name, XIPC_FIFO_READ, 0));
  ASSERT_ERR(xipc_local_connect(&s, name, XIPC_LOCAL_BYTES, 100), XIPC_ENOENT);
  xipc_stream_close(fifo);
  xipc_fifo_unlink(name);
}

/* ---- The other end goes away ------------------------------------------ */

/* The server is gone: reads see the end, writes fail without a signal. */
static void check_server_gone(xipc_stream_t *c, xipc_local_mode_t mode) {
  char buf[16];
  int rc;
  if (mode == XIPC_LOCAL_MESSAGES) {
    ASSERT_ERR(xipc_stream_recv_msg(c, buf, sizeof buf, test_timeout(WAIT_MS), NULL), XIPC_EOF);
    ASSERT_ERR(xipc_stream_recv_msg(c, buf, sizeof buf, 0, NULL), XIPC_EOF);
    rc = xipc_stream_send_msg(c, "x", 1, 1000);
  } else {
    ASSERT_EQ(xipc_stream_read(c, buf, sizeof buf, test_timeout(WAIT_MS)), 0);
    ASSERT_EQ(xipc_stream_read(c, buf, sizeof buf, 0), 0);
    rc = xipc_stream_write(c, "x", 1, 1000);
  }
  /* Either code is allowed: POSIX may report the reset of a socket, Windows a broken pipe. */
  if (rc != XIPC_EPIPE && rc != XIPC_ECONNRESET)
    test_fail(__FILE__, __LINE__,
              "%s mode: write after the server left: %s (OS error %d), expected XIPC_EPIPE or "
              "XIPC_ECONNRESET",
              mode_arg(mode), xipc_err_name(rc), xipc_last_os_error());
  ASSERT_TRUE(test_os_sigpipe_is_default());
}

/* The server process sends "bye", closes the connection and its listener, and exits. */
TEST_IMPL(local, server_closes) {
  size_t m;
  for (m = 0; m < 2; m++) {
    xipc_local_mode_t mode = both_modes[m];
    xipc_stream_t *signals, *c, *again = NULL;
    xipc_process_t *proc;
    char name[64];
    test_unique_name(name, sizeof name, "bye");
    proc = start_server(name, mode, "bye", &signals);
    c = connect_to(name, mode);
    expect_signal(signals, 'A');
    ASSERT_RECV_TEXT(c, mode, "bye");
    helper_expect_exit(proc, 0);
    check_server_gone(c, mode);
    /* The listener's close removed the name. */
    ASSERT_ERR(xipc_local_connect(&again, name, mode, 0), XIPC_ENOENT);
    xipc_stream_close(c);
    xipc_stream_close(signals);
  }
}

/* The server process is killed while a client is connected. */
TEST_IMPL(local, server_killed) {
  size_t m;
  for (m = 0; m < 2; m++) {
    xipc_local_mode_t mode = both_modes[m];
    xipc_stream_t *signals, *c;
    xipc_process_t *proc;
    char name[64];
    test_unique_name(name, sizeof name, "kill");
    proc = start_server(name, mode, "hold", &signals);
    c = connect_to(name, mode);
    expect_signal(signals, 'A');
    kill_and_reap(proc);
    check_server_gone(c, mode);
    xipc_stream_close(c);
    xipc_stream_close(signals);
  }
}

/* The client goes: the server reads the end and its writes fail. */
TEST_IMPL(local, client_closes) {
  size_t m;
  for (m = 0; m < 2; m++) {
    xipc_local_mode_t mode = both_modes[m];
    xipc_listener_t *l;
    xipc_stream_t *c, *a;
    char name[64];
    int rc;
    test_unique_name(name, sizeof name, "cgone");
    l = listen_on(name, mode);
    c = connect_to(name, mode);
    a = accept_one(l);
    ASSERT_SEND(c, mode, "last", 4);
    ASSERT_OK(xipc_stream_close(c));
    /* What was sent before the close still arrives, then the end. */
    ASSERT_RECV_TEXT(a, mode, "last");
    ASSERT_OK(wait_end(a, mode));
    rc = mode == XIPC_LOCAL_MESSAGES ? xipc_stream_send_msg(a, "x", 1, 1000)
                                     : xipc_stream_write(a, "x", 1, 1000);
    if (rc != XIPC_EPIPE && rc != XIPC_ECONNRESET)
      test_fail(__FILE__, __LINE__, "%s mode: write after the client left: %s", mode_arg(mode),
                xipc_err_name(rc));
    ASSERT_TRUE(test_os_sigpipe_is_default());
    xipc_stream_close(a);
    ASSERT_OK(xipc_listener_close(l));
  }
}

/* A client that connects, sends and leaves before it was accepted: its data is still delivered. */
TEST_IMPL(local, client_gone_before_accept) {
  size_t m;
  for (m = 0; m < 2; m++) {
    xipc_local_mode_t mode = both_modes[m];
    xipc_listener_t *l;
    xipc_stream_t *c, *a;
    char name[64];
    test_unique_name(name, sizeof name, "early");
    l = listen_on(name, mode);
    c = connect_to(name, mode);
    ASSERT_SEND(c, mode, "early", 5);
    ASSERT_OK(xipc_stream_close(c));
    a = accept_one(l);
    ASSERT_RECV_TEXT(a, mode, "early");
    ASSERT_OK(wait_end(a, mode));
    ASSERT_OK(xipc_stream_close(a));
    /* The listener goes on as usual. */
    c = connect_to(name, mode);
    a = accept_one(l);
    ASSERT_SEND(a, mode, "next", 4);
    ASSERT_RECV_TEXT(c, mode, "next");
    xipc_stream_close(c);
    xipc_stream_close(a);
    ASSERT_OK(xipc_listener_close(l));
  }
}

typedef struct thread_job {
  xipc_listener_t *l;
  const char *name;
  xipc_stream_t *accepted;
  int rc;
} thread_job_t;

static void listen_in_thread(void *arg) {
  thread_job_t *job = arg;
  job->rc = xipc_local_listen(&job->l, job->name, XIPC_LOCAL_BYTES);
}

static void accept_in_thread(void *arg) {
  thread_job_t *job = arg;
  job->rc = xipc_listener_accept(job->l, &job->accepted, test_timeout(WAIT_MS));
}

/*
 * A listener made, or last accepted from, by a thread that has ended still
 * accepts from another thread (Windows cancels the I/O of a thread that
 * ends, the pending ConnectNamedPipe among it).
 */
TEST_IMPL(local, listener_outlives_its_thread) {
  thread_job_t job;
  xipc_stream_t *c, *a;
  char name[64];
  int round;
  test_unique_name(name, sizeof name, "thread");
  memset(&job, 0, sizeof job);
  job.name = name;
  test_os_run_thread(listen_in_thread, &job);
  ASSERT_OK(job.rc);
  for (round = 0; round < 2; round++) {
    c = connect_to(name, XIPC_LOCAL_BYTES);
    if (round == 0) {
      a = accept_one(job.l); /* listened for by the ended thread */
    } else {
      test_os_run_thread(accept_in_thread, &job); /* the next instance from an ending thread */
      ASSERT_OK(job.rc);
      ASSERT_OK(xipc_stream_close(job.accepted));
      ASSERT_OK(xipc_stream_close(c));
      c = connect_to(name, XIPC_LOCAL_BYTES);
      a = accept_one(job.l);
    }
    ASSERT_SEND(c, XIPC_LOCAL_BYTES, "across", 6);
    ASSERT_RECV_TEXT(a, XIPC_LOCAL_BYTES, "across");
    ASSERT_OK(xipc_stream_close(a));
    ASSERT_OK(xipc_stream_close(c));
  }
  ASSERT_OK(xipc_listener_close(job.l));
}

/*
 * The listener closes while a client waits to be accepted: the client sees
 * the end of the connection (or a reset), never a hang, and its writes fail.
 */
TEST_IMPL(local, listener_closed_before_accept) {
  size_t m;
  for (m = 0; m < 2; m++) {
    xipc_local_mode_t mode = both_modes[m];
    xipc_listener_t *l;
    xipc_stream_t *c;
    char name[64], buf[16];
    int rc;
    test_unique_name(name, sizeof name, "unaccepted");
    l = listen_on(name, mode);
    c = connect_to(name, mode);
    ASSERT_OK(xipc_listener_close(l));
    rc = mode == XIPC_LOCAL_MESSAGES
             ? xipc_stream_recv_msg(c, buf, sizeof buf, test_timeout(WAIT_MS), NULL)
             : xipc_stream_read(c, buf, sizeof buf, test_timeout(WAIT_MS));
    if (rc != (mode == XIPC_LOCAL_MESSAGES ? XIPC_EOF : 0) && rc != XIPC_ECONNRESET)
      test_fail(__FILE__, __LINE__, "%s mode: receive: %s, expected the end or XIPC_ECONNRESET",
                mode_arg(mode), xipc_err_name(rc));
    rc = mode == XIPC_LOCAL_MESSAGES ? xipc_stream_send_msg(c, "x", 1, 1000)
                                     : xipc_stream_write(c, "x", 1, 1000);
    if (rc != XIPC_EPIPE && rc != XIPC_ECONNRESET)
      test_fail(__FILE__, __LINE__, "%s mode: send: %s, expected XIPC_EPIPE or XIPC_ECONNRESET",
                mode_arg(mode), xipc_err_name(rc));
    xipc_stream_close(c);
  }
}

/* Closing the listener removes the name but leaves accepted connections working. */
TEST_IMPL(local, close_keeps_connections) {
  xipc_listener_t *l;
  xipc_stream_t *c, *a, *again = NULL;
  char name[64], path[XIPC_NATIVE_NAME_MAX];
  test_unique_name(name, sizeof name, "keep");
  l = listen_on(name, XIPC_LOCAL_BYTES);
  c = connect_to(name, XIPC_LOCAL_BYTES);
  a = accept_one(l);
  ASSERT_OK(xipc_listener_close(l));
  ASSERT_OK(xipc_listener_close(NULL));
  ASSERT_ERR(xipc_local_connect(&again, name, XIPC_LOCAL_BYTES, 0), XIPC_ENOENT);
  ASSERT_NULL(again);
  if (local_is_socket()) {
    ASSERT_GT(xipc_name_native(XIPC_KIND_LOCAL, name, path, sizeof path), 0);
    ASSERT_TRUE(!test_os_path_exists(path));
  }
  ASSERT_SEND(c, XIPC_LOCAL_BYTES, "still", 5);
  ASSERT_RECV_TEXT(a, XIPC_LOCAL_BYTES, "still");
  ASSERT_SEND(a, XIPC_LOCAL_BYTES, "here", 4);
  ASSERT_RECV_TEXT(c, XIPC_LOCAL_BYTES, "here");
  xipc_stream_close(c);
  ASSERT_OK(wait_end(a, XIPC_LOCAL_BYTES));
  xipc_stream_close(a);
  /* The name can be listened on again. */
  l = listen_on(name, XIPC_LOCAL_MESSAGES);
  ASSERT_OK(xipc_listener_close(l));
}

/* ---- Messages --------------------------------------------------------- */

typedef struct pair {
  xipc_listener_t *l;
  xipc_stream_t *c, *a;
  char name[64];
} pair_t;

static void pair_open(pair_t *p, xipc_local_mode_t mode, const char *tag) {
  test_unique_name(p->name, sizeof p->name, tag);
  p->l = listen_on(p->name, mode);
  p->c = connect_to(p->name, mode);
  p->a = accept_one(p->l);
}

static void pair_close(pair_t *p) {
  ASSERT_OK(xipc_stream_close(p->c));
  ASSERT_OK(xipc_stream_close(p->a));
  ASSERT_OK(xipc_listener_close(p->l));
}

typedef struct big_send {
  xipc_stream_t *s;
  const unsigned char *buf;
  size_t len;
  int rc;
} big_send_t;

static void send_in_thread(void *arg) {
  big_send_t *b = arg;
  b->rc = xipc_stream_send_msg(b->s, b->buf, b->len, test_timeout(WAIT_MS));
}

/* Larger than XIPC_LOCAL_MSG_MAX is refused whole; exactly the maximum goes through. */
TEST_IMPL(local, msg_too_large) {
  static unsigned char big[XIPC_LOCAL_MSG_MAX + 1], in[XIPC_LOCAL_MSG_MAX + 1];
  test_os_thread_t *t;
  big_send_t b;
  pair_t p;
  size_t size = 0;
  char buf[16];
  pair_open(&p, XIPC_LOCAL_MESSAGES, "big");
  test_fill_pattern(big, sizeof big, 5, 0);
  ASSERT_ARG_ERR(xipc_stream_send_msg(p.c, big, XIPC_LOCAL_MSG_MAX + 1, 1000), XIPC_EMSGSIZE);
  ASSERT_ARG_ERR(xipc_stream_send_msg(p.c, big, (size_t)1 << 20, 0), XIPC_EMSGSIZE);
  ASSERT_ERR(xipc_stream_recv_msg(p.a, buf, sizeof buf, 0, NULL), XIPC_EAGAIN);
  /* The largest message, sent by a thread in case the system buffers less than that. */
  b.s = p.c;
  b.buf = big;
  b.len = XIPC_LOCAL_MSG_MAX;
  b.rc = 1;
  t = test_os_thread_start(send_in_thread, &b);
  ASSERT_EQ(xipc_stream_recv_msg(p.a, in, sizeof in, test_timeout(WAIT_MS), &size),
            XIPC_LOCAL_MSG_MAX);
  test_os_thread_join(t);
  ASSERT_OK(b.rc);
  ASSERT_EQ(size, XIPC_LOCAL_MSG_MAX);
  ASSERT_TRUE(memcmp(in, big, XIPC_LOCAL_MSG_MAX) == 0);
  /* Nothing of the refused ones arrived; the next message is the next one sent. */
  ASSERT_SEND(p.c, XIPC_LOCAL_MESSAGES, "next", 4);
  ASSERT_RECV_TEXT(p.a, XIPC_LOCAL_MESSAGES, "next");
  ASSERT_ERR(xipc_stream_recv_msg(p.a, buf, sizeof buf, 0, NULL), XIPC_EAGAIN);
  pair_close(&p);
}

/*
 * Messages are 1 to XIPC_LOCAL_MSG_MAX bytes: an empty one is refused on
 * both sides (a read of 0 bytes is how the end shows on a POSIX socket), and
 * the refusal sends nothing.
 */
TEST_IMPL(local, empty_message_refused) {
  pair_t p;
  size_t size = 99;
  char buf[16] = "unused";
  pair_open(&p, XIPC_LOCAL_MESSAGES, "empty");
  ASSERT_ARG_ERR(xipc_stream_send_msg(p.c, buf, 0, test_timeout(WAIT_MS)), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_stream_send_msg(p.a, "", 0, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_stream_recv_msg(p.a, buf, 0, 0, &size), XIPC_EINVAL);
  ASSERT_ERR(xipc_stream_recv_msg(p.a, buf, sizeof buf, 0, NULL), XIPC_EAGAIN);
  ASSERT_ERR(xipc_stream_recv_msg(p.c, buf, sizeof buf, 0, NULL), XIPC_EAGAIN);
  /* The smallest message: one byte. */
  ASSERT_OK(xipc_stream_send_msg(p.c, "x", 1, test_timeout(WAIT_MS)));
  ASSERT_EQ(xipc_stream_recv_msg(p.a, buf, sizeof buf, test_timeout(WAIT_MS), &size), 1);
  ASSERT_EQ(size, 1);
  ASSERT_EQ(buf[0], 'x');
  /* The end is XIPC_EOF, never a 0-byte message. */
  ASSERT_OK(xipc_stream_close(p.c));
  ASSERT_ERR(xipc_stream_recv_msg(p.a, buf, sizeof buf, test_timeout(WAIT_MS), &size), XIPC_EOF);
  ASSERT_ERR(xipc_stream_recv_msg(p.a, buf, sizeof buf, 0, NULL), XIPC_EOF);
  ASSERT_OK(xipc_stream_close(p.a));
  ASSERT_OK(xipc_listener_close(p.l));
}

/* A buffer too small for the next message: XIPC_EMSGSIZE with its size, and it stays first. */
TEST_IMPL(local, msg_buffer_too_small) {
  unsigned char first[100], second[50], buf[256];
  pair_t p;
  size_t size = 0;
  pair_open(&p, XIPC_LOCAL_MESSAGES, "small");
  memset(first, 'A', sizeof first);
  memset(second, 'B', sizeof second);
  ASSERT_SEND(p.c, XIPC_LOCAL_MESSAGES, first, sizeof first);
  ASSERT_SEND(p.c, XIPC_LOCAL_MESSAGES, second, sizeof second);
  ASSERT_ERR(xipc_stream_recv_msg(p.a, buf, 10, test_timeout(WAIT_MS), &size), XIPC_EMSGSIZE);
  ASSERT_EQ(size, 100);
  ASSERT_EQ(xipc_last_os_error(), 0);
  /* Again, with a timeout of 0 and without *msg_size: the same message, still whole. */
  size = 0;
  ASSERT_ERR(xipc_stream_recv_msg(p.a, buf, 99, 0, &size), XIPC_EMSGSIZE);
  ASSERT_EQ(size, 100);
  ASSERT_ERR(xipc_stream_recv_msg(p.a, buf, 1, 0, NULL), XIPC_EMSGSIZE);
  /* Exactly its size is enough. */
  memset(buf, 0, sizeof buf);
  size = 0;
  ASSERT_EQ(xipc_stream_recv_msg(p.a, buf, 100, 0, &size), 100);
  ASSERT_EQ(size, 100);
  ASSERT_TRUE(memcmp(buf, first, sizeof first) == 0);
  /* Then the following message, whole and alone. */
  memset(buf, 0, sizeof buf);
  ASSERT_EQ(xipc_stream_recv_msg(p.a, buf, sizeof buf, test_timeout(WAIT_MS), &size), 50);
  ASSERT_EQ(size, 50);
  ASSERT_TRUE(memcmp(buf, second, sizeof second) == 0);
  ASSERT_ERR(xipc_stream_recv_msg(p.a, buf, sizeof buf, 0, NULL), XIPC_EAGAIN);
  pair_close(&p);
}

/* 100 messages of sizes 1 to BURST_SIZE_MAX sent back to back by another process keep their
 * bounds. */
TEST_IMPL(local, msg_boundaries) {
  static unsigned char buf[BURST_SIZE_MAX + 16], expected[BURST_SIZE_MAX];
  xipc_listener_t *l;
  xipc_stream_t *a;
  xipc_process_t *proc;
  char name[64];
  uint32_t i;
  test_unique_name(name, sizeof name, "burst");
  l = listen_on(name, XIPC_LOCAL_MESSAGES);
  proc = helper_start("local_msg_burst", name, NULL);
  a = accept_one(l);
  xipc_sleep_ms(200); /* let the messages pile up */
  for (i = 0; i < BURST_MESSAGES; i++) {
    size_t size = 12345;
    int n = xipc_stream_recv_msg(a, buf, sizeof buf, test_timeout(WAIT_MS), &size);
    ASSERT_OK(n);
    ASSERT_EQ(n, burst_len(i));
    ASSERT_EQ(size, burst_len(i));
    test_fill_pattern(expected, burst_len(i), i, 0);
    ASSERT_TRUE(memcmp(buf, expected, burst_len(i)) == 0);
  }
  ASSERT_ERR(xipc_stream_recv_msg(a, buf, sizeof buf, 0, NULL), XIPC_EAGAIN);
  ASSERT_SEND(a, XIPC_LOCAL_MESSAGES, "done", 4);
  ASSERT_OK(xipc_stream_close(a));
  helper_expect_exit(proc, 0);
  ASSERT_OK(xipc_listener_close(l));
}

/* Message calls on byte streams are refused; the peer call is for local connections only. */
TEST_IMPL(local, msg_calls_on_byte_streams) {
  xipc_stream_t *r, *w;
  xipc_peer_t peer;
  pair_t p;
  char buf[16];
  size_t size = 7;
  pair_open(&p, XIPC_LOCAL_BYTES, "bytes");
  ASSERT_ARG_ERR(xipc_stream_recv_msg(p.a, buf, sizeof buf, 0, &size), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_stream_send_msg(p.c, "x", 1, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_stream_send_msg(p.c, "", 0, 0), XIPC_EINVAL);
  /* Nothing was sent by the refused call. */
  ASSERT_ERR(xipc_stream_read(p.a, buf, sizeof buf, 0), XIPC_EAGAIN);
  pair_close(&p);
  ASSERT_OK(xipc_pipe_create(&r, &w, 0, 0));
  ASSERT_ARG_ERR(xipc_stream_send_msg(w, "x", 1, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_stream_recv_msg(r, buf, sizeof buf, 0, NULL), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_stream_peer(r, &peer), XIPC_ENOTSUP);
  ASSERT_ARG_ERR(xipc_stream_peer(w, &peer), XIPC_ENOTSUP);
  xipc_stream_close(r);
  xipc_stream_close(w);
}

/*
 * A peer that is not xipc sends a message larger than XIPC_LOCAL_MSG_MAX:
 * it is refused with XIPC_EMSGSIZE, never delivered in pieces, and the
 * message after it arrives whole.
 */
TEST_IMPL(local, oversized_message_from_plain_peer) {
  static unsigned char buf[XIPC_LOCAL_MSG_MAX];
  unsigned char expected[5];
  xipc_listener_t *l;
  xipc_stream_t *a;
  xipc_process_t *proc;
  char name[64], native[XIPC_NATIVE_NAME_MAX];
  size_t size = 0;
  int rc, refused = 1;
  test_unique_name(name, sizeof name, "oversized");
  l = listen_on(name, XIPC_LOCAL_MESSAGES);
  ASSERT_GT(xipc_name_native(XIPC_KIND_LOCAL, name, native, sizeof native), 0);
  proc = helper_start("local_plain_sender", native, "70000", "5", NULL);
  a = accept_one(l);
  ASSERT_ERR(xipc_stream_recv_msg(a, buf, 16, test_timeout(WAIT_MS), &size), XIPC_EMSGSIZE);
  ASSERT_GT(size, 16);
  /* With the largest buffer xipc offers: refused (again), then the next message. */
  for (;;) {
    rc = xipc_stream_recv_msg(a, buf, sizeof buf, test_timeout(WAIT_MS), &size);
    if (rc != XIPC_EMSGSIZE || ++refused > 3)
      break;
  }
  ASSERT_EQ(rc, 5);
  ASSERT_EQ(size, 5);
  test_fill_pattern(expected, sizeof expected, 1, 0);
  ASSERT_TRUE(memcmp(buf, expected, sizeof expected) == 0);
  ASSERT_ERR(xipc_stream_recv_msg(a, buf, sizeof buf, 0, NULL), XIPC_EAGAIN);
  ASSERT_OK(xipc_stream_close(a)); /* the sender waits for this, then exits */
  helper_expect_exit(proc, 0);
  ASSERT_OK(xipc_listener_close(l));
}

/*
 * A peer that is not xipc sends an empty message (which xipc never sends):
 * it must not be taken for the end of a connection that is still open; the
 * message after it arrives (the empty one is skipped or reported as
 * XIPC_EPROTO), with a small buffer and with the largest one.
 */
TEST_IMPL(local, empty_message_from_plain_peer) {
  static unsigned char buf[XIPC_LOCAL_MSG_MAX];
  static const size_t caps[2] = {16, sizeof buf};
  unsigned char expected[5];
  size_t i;
  test_fill_pattern(expected, sizeof expected, 1, 0);
  for (i = 0; i < ARRAY_SIZE(caps); i++) {
    xipc_listener_t *l;
    xipc_stream_t *a;
    xipc_process_t *proc;
    char name[64], native[XIPC_NATIVE_NAME_MAX];
    int rc, tries;
    test_unique_name(name, sizeof name, "emptyplain");
    l = listen_on(name, XIPC_LOCAL_MESSAGES);
    ASSERT_GT(xipc_name_native(XIPC_KIND_LOCAL, name, native, sizeof native), 0);
    proc = helper_start("local_plain_sender", native, "0", "5", NULL);
    a = accept_one(l);
    for (tries = 0;; tries++) {
      rc = xipc_stream_recv_msg(a, buf, caps[i], test_timeout(WAIT_MS), NULL);
      if (rc != XIPC_EPROTO || tries == 2)
        break;
    }
    if (rc == XIPC_EOF)
      test_fail(__FILE__, __LINE__,
                "buffer of %zu bytes: an empty message from a peer that is not xipc was taken for "
                "the end of the connection",
                caps[i]);
    ASSERT_EQ(rc, 5);
    ASSERT_TRUE(memcmp(buf, expected, sizeof expected) == 0);
    ASSERT_OK(xipc_stream_close(a));
    helper_expect_exit(proc, 0);
    ASSERT_OK(xipc_listener_close(l));
  }
}

/* Sends into a connection nobody reads time out; exactly what was accepted arrives, whole. */
TEST_IMPL(local, send_timeout_when_full) {
  size_t m;
  for (m = 0; m < 2; m++) {
    xipc_local_mode_t mode = both_modes[m];
    unsigned char chunk[1000], buf[1000];
    uint64_t sent_hash = TEST_FNV_INIT, got_hash = TEST_FNV_INIT;
    size_t sent = 0, got = 0, messages = 0, i;
    int64_t start;
    pair_t p;
    int rc;
    pair_open(&p, mode, "full");
    for (;;) {
      test_fill_pattern(chunk, sizeof chunk, 11, sent);
      if (mode == XIPC_LOCAL_MESSAGES) {
        rc = xipc_stream_send_msg(p.c, chunk, sizeof chunk, 0);
        if (rc == 0)
          rc = (int)sizeof chunk;
      } else {
        rc = xipc_stream_write(p.c, chunk, sizeof chunk, 0);
      }
      if (rc == XIPC_EAGAIN)
        break;
      ASSERT_GT(rc, 0);
      sent_hash = test_fnv(sent_hash, chunk, (size_t)rc);
      sent += (size_t)rc;
      messages++;
      ASSERT_LT(sent, 64u * 1024 * 1024);
    }
    ASSERT_GT(sent, 0);
    start = test_now_ms();
    rc = mode == XIPC_LOCAL_MESSAGES ? xipc_stream_send_msg(p.c, chunk, sizeof chunk, 50)
                                     : xipc_stream_write(p.c, chunk, sizeof chunk, 50);
    ASSERT_ERR(rc, XIPC_ETIMEDOUT);
    ASSERT_GE(test_now_ms() - start, 50);
    /* Read everything: exactly the accepted bytes, in whole messages in message mode. */
    if (mode == XIPC_LOCAL_MESSAGES) {
      for (i = 0; i < messages; i++) {
        unsigned char expected[1000];
        ASSERT_EQ(xipc_stream_recv_msg(p.a, buf, sizeof buf, test_timeout(WAIT_MS), NULL),
                  sizeof buf);
        test_fill_pattern(expected, sizeof expected, 11, got);
        ASSERT_TRUE(memcmp(buf, expected, sizeof buf) == 0);
        got_hash = test_fnv(got_hash, buf, sizeof buf);
        got += sizeof buf;
      }
      ASSERT_ERR(xipc_stream_recv_msg(p.a, buf, sizeof buf, 100, NULL), XIPC_ETIMEDOUT);
    } else {
      while (got < sent) {
        int n = xipc_stream_read(p.a, buf, sizeof buf, test_timeout(WAIT_MS));
        ASSERT_GT(n, 0);
        got_hash = test_fnv(got_hash, buf, (size_t)n);
        got += (size_t)n;
      }
      ASSERT_ERR(xipc_stream_read(p.a, buf, sizeof buf, 100), XIPC_ETIMEDOUT);
    }
    ASSERT_EQ(got, sent);
    ASSERT_EQ(got_hash, sent_hash);
    /* Room again: the sender goes on. */
    ASSERT_SEND(p.c, mode, "more", 4);
    ASSERT_RECV_TEXT(p.a, mode, "more");
    pair_close(&p);
  }
}

/* Byte calls on a message-mode connection are refused: they would cut messages. */
TEST_IMPL(local, byte_calls_on_message_streams) {
  pair_t p;
  char buf[16];
  size_t done = 7;
  pair_open(&p, XIPC_LOCAL_MESSAGES, "msgs");
  ASSERT_ARG_ERR(xipc_stream_write(p.c, "abc", 3, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_stream_write_all(p.c, "abc", 3, 0, &done), XIPC_EINVAL);
  ASSERT_EQ(done, 0);
  ASSERT_SEND(p.c, XIPC_LOCAL_MESSAGES, "whole", 5);
  ASSERT_ARG_ERR(xipc_stream_read(p.a, buf, 2, test_timeout(WAIT_MS)), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_stream_read_exact(p.a, buf, 2, test_timeout(WAIT_MS), &done), XIPC_EINVAL);
  ASSERT_EQ(done, 0);
  /* The message is still whole and the refused write sent nothing. */
  ASSERT_RECV_TEXT(p.a, XIPC_LOCAL_MESSAGES, "whole");
  ASSERT_ERR(xipc_stream_recv_msg(p.a, buf, sizeof buf, 0, NULL), XIPC_EAGAIN);
  pair_close(&p);
}

/* A client in the other mode than the listener's is refused, and the listener is unharmed. */
TEST_IMPL(local, mode_mismatch) {
  size_t m;
  for (m = 0; m < 2; m++) {
    xipc_local_mode_t mode = both_modes[m], other = both_modes[1 - m];
    xipc_listener_t *l;
    xipc_stream_t *c = (xipc_stream_t *)&c, *a = NULL;
    char name[64], buf[16];
    int rc;
    test_unique_name(name, sizeof name, "mismatch");
    l = listen_on(name, mode);
    ASSERT_ERR(xipc_local_connect(&c, name, other, test_timeout(1000)), XIPC_EPROTO);
    ASSERT_NULL(c);
    /* Nothing to accept; if the refused client left a connection behind, it is already over. */
    rc = xipc_listener_accept(l, &a, 0);
    if (rc != XIPC_EAGAIN) {
      ASSERT_OK(rc);
      if (mode == XIPC_LOCAL_MESSAGES)
        ASSERT_ERR(xipc_stream_recv_msg(a, buf, sizeof buf, test_timeout(WAIT_MS), NULL), XIPC_EOF);
      else
        ASSERT_EQ(xipc_stream_read(a, buf, sizeof buf, test_timeout(WAIT_MS)), 0);
      xipc_stream_close(a);
    }
    c = connect_to(name, mode);
    a = accept_one(l);
    ASSERT_SEND(c, mode, "right", 5);
    ASSERT_RECV_TEXT(a, mode, "right");
    xipc_stream_close(c);
    xipc_stream_close(a);
    ASSERT_OK(xipc_listener_close(l));
  }
}

/* ---- Names ------------------------------------------------------------ */

/* One listener per name, in this process or another, whatever the mode; free again after close. */
TEST_IMPL(local, second_listener) {
  xipc_listener_t *l, *l2 = (xipc_listener_t *)&l2;
  xipc_stream_t *c, *a;
  char name[64];
  test_unique_name(name, sizeof name, "twice");
  l = listen_on(name, XIPC_LOCAL_BYTES);
  ASSERT_ERR(xipc_local_listen(&l2, name, XIPC_LOCAL_BYTES), XIPC_EADDRINUSE);
  ASSERT_NULL(l2);
  ASSERT_ERR(xipc_local_listen(&l2, name, XIPC_LOCAL_MESSAGES), XIPC_EADDRINUSE);
  ASSERT_NULL(l2);
  helper_expect_exit(helper_start("local_try_listen", name, "bytes", NULL), 0);
  helper_expect_exit(helper_start("local_try_listen", name, "messages", NULL), 0);
  /* The first listener is unharmed by the attempts. */
  c = connect_to(name, XIPC_LOCAL_BYTES);
  a = accept_one(l);
  ASSERT_SEND(c, XIPC_LOCAL_BYTES, "mine", 4);
  ASSERT_RECV_TEXT(a, XIPC_LOCAL_BYTES, "mine");
  xipc_stream_close(c);
  xipc_stream_close(a);
  ASSERT_OK(xipc_listener_close(l));
  /* Free again: another process gets it (and gives it back). */
  helper_expect_exit(helper_start("local_try_listen", name, "bytes", NULL), 1);
  l = listen_on(name, XIPC_LOCAL_MESSAGES);
  ASSERT_OK(xipc_listener_close(l));
}

/* A listener process that was killed leaves a stale socket (POSIX); a new listener takes the name.
 */
TEST_IMPL(local, stale_socket_replaced) {
  xipc_listener_t *l;
  xipc_stream_t *signals, *c = NULL, *a;
  xipc_process_t *proc;
  char name[64], path[XIPC_NATIVE_NAME_MAX];
  test_unique_name(name, sizeof name, "stale");
  proc = start_server(name, XIPC_LOCAL_BYTES, "listen-hold", &signals);
  kill_and_reap(proc);
  xipc_stream_close(signals);
  if (local_is_socket()) {
    ASSERT_GT(xipc_name_native(XIPC_KIND_LOCAL, name, path, sizeof path), 0);
    ASSERT_TRUE(test_os_path_exists(path)); /* left behind by the dead listener */
    ASSERT_ERR(xipc_local_connect(&c, name, XIPC_LOCAL_BYTES, 0), XIPC_ECONNREFUSED);
  } else {
    /* Windows: the pipe went with the last handle of the dead process. */
    ASSERT_ERR(xipc_local_connect(&c, name, XIPC_LOCAL_BYTES, 0), XIPC_ENOENT);
  }
  ASSERT_NULL(c);
  l = listen_on(name, XIPC_LOCAL_BYTES);
  c = connect_to(name, XIPC_LOCAL_BYTES);
  a = accept_one(l);
  ASSERT_SEND(c, XIPC_LOCAL_BYTES, "new", 3);
  ASSERT_RECV_TEXT(a, XIPC_LOCAL_BYTES, "new");
  xipc_stream_close(c);
  xipc_stream_close(a);
  ASSERT_OK(xipc_listener_close(l));
}

/*
 * Names of the greatest length work (on POSIX they are hashed into the
 * socket path), and two long names that differ only at the end stay apart.
 */
TEST_IMPL(local, longest_names) {
  xipc_listener_t *l1, *l2, *l3 = NULL;
  xipc_stream_t *c1, *c2, *a1, *a2;
  char n1[XIPC_NAME_MAX + 1], n2[XIPC_NAME_MAX + 1], prefix[64];
  test_unique_name(prefix, sizeof prefix, "long");
  memset(n1, 'q', XIPC_NAME_MAX);
  n1[XIPC_NAME_MAX] = '\0';
  memcpy(n1, prefix, strlen(prefix));
  memcpy(n2, n1, sizeof n1);
  n2[XIPC_NAME_MAX - 1] = 'r';
  l1 = listen_on(n1, XIPC_LOCAL_BYTES);
  l2 = listen_on(n2, XIPC_LOCAL_MESSAGES);
  ASSERT_ERR(xipc_local_listen(&l3, n1, XIPC_LOCAL_BYTES), XIPC_EADDRINUSE);
  c1 = connect_to(n1, XIPC_LOCAL_BYTES);
  c2 = connect_to(n2, XIPC_LOCAL_MESSAGES);
  a1 = accept_one(l1);
  a2 = accept_one(l2);
  ASSERT_SEND(c1, XIPC_LOCAL_BYTES, "one", 3);
  ASSERT_SEND(c2, XIPC_LOCAL_MESSAGES, "two", 3);
  ASSERT_RECV_TEXT(a1, XIPC_LOCAL_BYTES, "one");
  ASSERT_RECV_TEXT(a2, XIPC_LOCAL_MESSAGES, "two");
  xipc_stream_close(c1);
  xipc_stream_close(c2);
  xipc_stream_close(a1);
  xipc_stream_close(a2);
  ASSERT_OK(xipc_listener_close(l1));
  ASSERT_OK(xipc_listener_close(l2));
}

/* POSIX: a file that is not a socket at the channel's path is never replaced. */
TEST_IMPL(local, squatter_file) {
  xipc_listener_t *l = NULL;
  xipc_stream_t *c = NULL;
  char dir[512], name[64], path[XIPC_NATIVE_NAME_MAX];
  FILE *f;
  if (!local_is_socket())
    SKIP("Windows local channels are pipe names, not files (local.squatter_live_server covers a "
         "squatting pipe server)");
  use_private_rundir(dir, sizeof dir);
  test_unique_name(name, sizeof name, "squat");
  ASSERT_GT(xipc_name_native(XIPC_KIND_LOCAL, name, path, sizeof path), 0);
  f = fopen(path, "wb");
  ASSERT_NOT_NULL(f);
  fputs("not a socket", f);
  fclose(f);
  ASSERT_ERR(xipc_local_listen(&l, name, XIPC_LOCAL_BYTES), XIPC_EADDRINUSE);
  ASSERT_NULL(l);
  ASSERT_ERR(xipc_local_listen(&l, name, XIPC_LOCAL_MESSAGES), XIPC_EADDRINUSE);
  ASSERT_NULL(l);
  ASSERT_EQ(test_file_size(path), 12); /* untouched */
  ASSERT_TRUE(xipc_local_connect(&c, name, XIPC_LOCAL_BYTES, 0) < 0);
  ASSERT_NULL(c);
  remove_rundir(dir, name);
}

/*
 * A live server that is not xipc's already has the name: a plain socket
 * listening at the path (POSIX) or a plain pipe server created first
 * (Windows). The listener must refuse the name, not take it over.
 */
TEST_IMPL(local, squatter_live_server) {
  test_os_plain_server_t *squatter;
  xipc_listener_t *l = NULL;
  xipc_stream_t *c;
  char dir[512], name[64], native[XIPC_NATIVE_NAME_MAX];
  if (test_os_is_wine())
    SKIP("Wine 8 ignores FILE_FLAG_FIRST_PIPE_INSTANCE: a pipe server created first under the "
         "name cannot be detected; runs on Windows (appveyor.yml)");
  if (local_is_socket())
    use_private_rundir(dir, sizeof dir);
  test_unique_name(name, sizeof name, "live");
  ASSERT_GT(xipc_name_native(XIPC_KIND_LOCAL, name, native, sizeof native), 0);
  squatter = test_os_plain_server_start(native, false);
  ASSERT_NOT_NULL(squatter);
  ASSERT_ERR(xipc_local_listen(&l, name, XIPC_LOCAL_BYTES), XIPC_EADDRINUSE);
  ASSERT_NULL(l);
  /* The squatter still has the name: clients reach it. */
  c = connect_to(name, XIPC_LOCAL_BYTES);
  xipc_stream_close(c);
  test_os_plain_server_close(squatter);
  if (local_is_socket())
    remove_rundir(dir, name);
}

/* ---- Security ----------------------------------------------------------- */

/* POSIX: 0700 runtime directory, 0600 socket and lock file whatever the umask; Windows: the DACL.
 */
TEST_IMPL(local, private_by_default) {
  static const int masks[2] = {0, 022};
  size_t i;
  if (!local_is_socket()) {
    xipc_listener_t *l;
    xipc_stream_t *c, *a;
    char name[64];
    bool checked, ok;
    test_unique_name(name, sizeof name, "perm");
    l = listen_on(name, XIPC_LOCAL_BYTES);
    c = connect_to(name, XIPC_LOCAL_BYTES);
    a = accept_one(l);
    ok = test_os_owner_only_dacl(xipc_stream_native(a), &checked);
    if (!checked)
      SKIP("the pipe's security descriptor cannot be read back here");
    ASSERT_TRUE(ok);
    ASSERT_TRUE(test_os_owner_only_dacl(xipc_stream_native(c), &checked));
    xipc_stream_close(c);
    xipc_stream_close(a);
    ASSERT_OK(xipc_listener_close(l));
    return;
  }
  for (i = 0; i < ARRAY_SIZE(masks); i++) {
    xipc_listener_t *l;
    xipc_stream_t *c, *a;
    char base[512], rundir[600], name[64], path[XIPC_NATIVE_NAME_MAX], lock[700];
    int old;
    /* A runtime directory that does not exist yet: xipc makes it. */
    test_os_make_tmpdir(base, sizeof base);
    snprintf(rundir, sizeof rundir, "%s/run", base);
    test_os_setenv("XIPC_RUNTIME_DIR", rundir);
    test_unique_name(name, sizeof name, "perm");
    old = test_os_set_umask(masks[i]);
    l = listen_on(name, XIPC_LOCAL_BYTES);
    test_os_set_umask(old);
    ASSERT_GT(xipc_name_native(XIPC_KIND_LOCAL, name, path, sizeof path), 0);
    snprintf(lock, sizeof lock, "%s/local-lock.%s", rundir, name);
    ASSERT_EQ(test_os_file_mode(rundir), 0700);
    ASSERT_EQ(test_os_file_mode(path), 0600);
    ASSERT_EQ(test_os_file_mode(lock), 0600);
    c = connect_to(name, XIPC_LOCAL_BYTES);
    a = accept_one(l);
    xipc_stream_close(c);
    xipc_stream_close(a);
    ASSERT_OK(xipc_listener_close(l));
    remove_rundir(rundir, name);
    test_os_remove(base);
  }
}

/* POSIX: a runtime directory that others can enter is refused, not used. */
TEST_IMPL(local, shared_runtime_dir_refused) {
  xipc_listener_t *l = NULL;
  char dir[512];
  if (!local_is_socket())
    SKIP("Windows local channels are pipe names, not files in a runtime directory");
  test_os_make_tmpdir(dir, sizeof dir);
  test_os_chmod(dir, 0777);
  test_os_setenv("XIPC_RUNTIME_DIR", dir);
  ASSERT_ERR(xipc_local_listen(&l, "refused", XIPC_LOCAL_BYTES), XIPC_EACCES);
  ASSERT_NULL(l);
  ASSERT_ERR(xipc_local_listen(&l, "refused", XIPC_LOCAL_MESSAGES), XIPC_EACCES);
  ASSERT_NULL(l);
  remove_rundir(dir, "refused");
}

/*
 * POSIX: a client verifies the runtime directory too (docs/local.md: "verifies
 * ... before every use"): in a directory that others can enter, the socket
 * could have been put there by anyone, so connecting is refused.
 */
TEST_IMPL(local, connect_checks_runtime_dir) {
  xipc_listener_t *l;
  xipc_stream_t *c = NULL, *a;
  char dir[512], name[64];
  if (!local_is_socket())
    SKIP("Windows local channels are pipe names, not files in a runtime directory (clients "
         "check the pipe's owner instead)");
  use_private_rundir(dir, sizeof dir);
  test_unique_name(name, sizeof name, "dircheck");
  l = listen_on(name, XIPC_LOCAL_BYTES);
  test_os_chmod(dir, 0777);
  ASSERT_ERR(xipc_local_connect(&c, name, XIPC_LOCAL_BYTES, 0), XIPC_EACCES);
  ASSERT_NULL(c);
  test_os_chmod(dir, 0700);
  c = connect_to(name, XIPC_LOCAL_BYTES);
  a = accept_one(l);
  xipc_stream_close(c);
  xipc_stream_close(a);
  ASSERT_OK(xipc_listener_close(l));
  remove_rundir(dir, name);
}

/* Both ends know who is at the other: the other process's id, and our user. */
TEST_IMPL(local, peer_credentials) {
  size_t m;
  for (m = 0; m < 2; m++) {
    xipc_local_mode_t mode = both_modes[m];
    xipc_listener_t *l;
    xipc_stream_t *a;
    xipc_process_t *proc;
    xipc_peer_t peer;
    char name[64], pid[32];
    test_unique_name(name, sizeof name, "peer");
    snprintf(pid, sizeof pid, "%d", xipc_self_pid());
    l = listen_on(name, mode);
    proc = helper_start("local_peer_check", name, mode_arg(mode), pid, NULL);
    a = accept_one(l);
    peer.pid = -5;
    peer.uid = -5;
    ASSERT_OK(xipc_stream_peer(a, &peer));
    ASSERT_EQ(peer.pid, xipc_process_pid(proc));
    ASSERT_EQ(peer.uid, test_os_uid());
    ASSERT_OK(xipc_stream_close(a)); /* the helper checks its side, then sees the end */
    helper_expect_exit(proc, 0);
    ASSERT_OK(xipc_listener_close(l));
  }
}

/* ---- Arguments ---------------------------------------------------------- */

TEST_IMPL(local, invalid_arguments) {
  xipc_listener_t *l = (xipc_listener_t *)&l;
  xipc_stream_t *s = (xipc_stream_t *)&s;
  xipc_peer_t peer;
  pair_t p;
  char long_name[XIPC_NAME_MAX + 2], name[64], buf[16];
  size_t size;
  memset(long_name, 'n', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  test_unique_name(name, sizeof name, "args");

  ASSERT_ARG_ERR(xipc_local_listen(NULL, name, XIPC_LOCAL_BYTES), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_local_listen(&l, NULL, XIPC_LOCAL_BYTES), XIPC_EINVAL);
  ASSERT_NULL(l);
  ASSERT_ARG_ERR(xipc_local_listen(&l, "", XIPC_LOCAL_BYTES), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_local_listen(&l, "a/b", XIPC_LOCAL_BYTES), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_local_listen(&l, "a\\b", XIPC_LOCAL_BYTES), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_local_listen(&l, "..", XIPC_LOCAL_BYTES), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_local_listen(&l, long_name, XIPC_LOCAL_BYTES), XIPC_ENAMETOOLONG);
  ASSERT_ARG_ERR(xipc_local_listen(&l, name, (xipc_local_mode_t)0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_local_listen(&l, name, (xipc_local_mode_t)3), XIPC_EINVAL);
  ASSERT_NULL(l);
  /* Nothing was created by the refused calls. */
  ASSERT_ERR(xipc_local_connect(&s, name, XIPC_LOCAL_BYTES, 0), XIPC_ENOENT);

  ASSERT_ARG_ERR(xipc_local_connect(NULL, name, XIPC_LOCAL_BYTES, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_local_connect(&s, NULL, XIPC_LOCAL_BYTES, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_local_connect(&s, "a/b", XIPC_LOCAL_BYTES, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_local_connect(&s, long_name, XIPC_LOCAL_BYTES, 0), XIPC_ENAMETOOLONG);
  ASSERT_ARG_ERR(xipc_local_connect(&s, name, (xipc_local_mode_t)0, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_local_connect(&s, name, (xipc_local_mode_t)7, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_local_connect(&s, name, XIPC_LOCAL_BYTES, -2), XIPC_EINVAL);
  ASSERT_NULL(s);

  ASSERT_ARG_ERR(xipc_listener_accept(NULL, &s, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_stream_send_msg(NULL, "x", 1, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_stream_recv_msg(NULL, buf, sizeof buf, 0, &size), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_stream_peer(NULL, &peer), XIPC_EINVAL);
  ASSERT_OK(xipc_listener_close(NULL));

  pair_open(&p, XIPC_LOCAL_MESSAGES, "args");
  ASSERT_ARG_ERR(xipc_listener_accept(p.l, NULL, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_listener_accept(p.l, &s, -2), XIPC_EINVAL);
  ASSERT_NULL(s);
  ASSERT_ARG_ERR(xipc_stream_send_msg(p.c, NULL, 1, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_stream_send_msg(p.c, "x", 1, -2), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_stream_recv_msg(p.a, NULL, 16, 0, &size), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_stream_recv_msg(p.a, buf, sizeof buf, -2, &size), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_stream_peer(p.a, NULL), XIPC_EINVAL);
  /* Nothing was sent by the refused calls, and the connection still works. */
  ASSERT_ERR(xipc_stream_recv_msg(p.a, buf, sizeof buf, 0, NULL), XIPC_EAGAIN);
  ASSERT_SEND(p.c, XIPC_LOCAL_MESSAGES, "fine", 4);
  ASSERT_RECV_TEXT(p.a, XIPC_LOCAL_MESSAGES, "fine");
  pair_close(&p);
}

/* ---- Handles and children ------------------------------------------------ */

/*
 * An accepted connection handed to a child process works there like any
 * stream, in its mode (a message connection stays one) and with its peer.
 */
static void connection_to_child(xipc_local_mode_t mode, const char *name) {
  xipc_stream_t *give[1];
  xipc_spawn_options_t opts;
  xipc_process_t *proc;
  char self[16];
  pair_t p;
  pair_open(&p, mode, name);
  give[0] = p.a;
  snprintf(self, sizeof self, "%d", xipc_self_pid());
  memset(&opts, 0, sizeof opts);
  opts.argv = helper_argv("local_token_echo", test_token(p.a, 0),
                          mode == XIPC_LOCAL_MESSAGES ? "messages" : "bytes", self, NULL);
  opts.inherit = give;
  opts.inherit_count = 1;
  proc = helper_start_opts(&opts);
  ASSERT_OK(xipc_stream_close(p.a)); /* only the child has the server end now */
  ASSERT_SEND(p.c, mode, "through a child", 15);
  ASSERT_RECV_TEXT(p.c, mode, "through a child");
  ASSERT_SEND(p.c, mode, "x", 1);
  ASSERT_RECV_TEXT(p.c, mode, "x");
  ASSERT_OK(xipc_stream_close(p.c));
  helper_expect_exit(proc, 0);
  ASSERT_OK(xipc_listener_close(p.l));
}

TEST_IMPL(local, connection_to_child) {
  connection_to_child(XIPC_LOCAL_BYTES, "child");
}

TEST_IMPL(local, message_connection_to_child) {
  connection_to_child(XIPC_LOCAL_MESSAGES, "child-msg");
}

/*
 * Nothing of a listener or connection reaches a child: its handles are
 * close-on-exec / not inheritable, and the name is free again as soon as the
 * listener is closed, although a child started while it lived still runs.
 */
TEST_IMPL(local, handles_not_inherited) {
  xipc_process_t *sleeper;
  char probe[64];
  pair_t p;
  int fd;
  pair_open(&p, XIPC_LOCAL_MESSAGES, "inh");
  ASSERT_TRUE(!test_os_handle_inheritable(xipc_stream_native(p.c)));
  ASSERT_TRUE(!test_os_handle_inheritable(xipc_stream_native(p.a)));
  fd = test_os_first_inheritable_fd();
  if (fd >= 0)
    test_fail(__FILE__, __LINE__, "descriptor %d is not close-on-exec", fd);
  test_os_make_inheritable_probe(probe, sizeof probe);
  helper_expect_exit(helper_start("check_no_leak", probe, NULL), 0);
  sleeper = helper_start("sleep_ms", "20000", NULL);
  pair_close(&p);
  /* No copy of the listener (or its lock) lives on in the child. */
  helper_expect_exit(helper_start("local_try_listen", p.name, "bytes", NULL), 1);
  kill_and_reap(sleeper);
}

/* ---- Programs that do not use xipc -------------------------------------- */

/* POSIX: socat connects to a byte-mode listener by its path and exchanges a line each way. */
TEST_IMPL(local, socat_client) {
  xipc_listener_t *l;
  xipc_stream_t *to_socat, *from_socat, *a;
  xipc_process_t *proc;
  xipc_spawn_options_t opts;
  char name[64], path[XIPC_NATIVE_NAME_MAX], address[XIPC_NATIVE_NAME_MAX + 16], buf[64];
  const char *argv[4];
  int rc;
  if (!local_is_socket())
    SKIP("socat and Unix sockets are POSIX (Windows runs local.plain_client and "
         "local.plain_server with Win32 pipe calls)");
  test_unique_name(name, sizeof name, "socat");
  l = listen_on(name, XIPC_LOCAL_BYTES);
  ASSERT_GT(xipc_name_native(XIPC_KIND_LOCAL, name, path, sizeof path), 0);
  snprintf(address, sizeof address, "UNIX-CONNECT:%s", path);
  argv[0] = "socat";
  argv[1] = "-";
  argv[2] = address;
  argv[3] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  opts.flags = XIPC_SPAWN_SEARCH_PATH;
  rc = xipc_spawn_piped(&proc, &opts, &to_socat, &from_socat);
  if (rc == XIPC_ENOENT) {
    xipc_listener_close(l);
    SKIP("socat is not installed");
  }
  ASSERT_OK(rc);
  a = accept_one(l);
  ASSERT_OK(xipc_stream_write_all(to_socat, "hello from socat\n", 17, test_timeout(WAIT_MS), NULL));
  ASSERT_RECV_TEXT(a, XIPC_LOCAL_BYTES, "hello from socat\n");
  ASSERT_SEND(a, XIPC_LOCAL_BYTES, "hello from xipc\n", 16);
  memset(buf, 0, sizeof buf);
  ASSERT_OK(xipc_stream_read_exact(from_socat, buf, 16, test_timeout(WAIT_MS), NULL));
  ASSERT_STR_EQ(buf, "hello from xipc\n");
  /* The end of socat's input becomes the end of the connection. */
  ASSERT_OK(xipc_stream_close(to_socat));
  ASSERT_OK(wait_end(a, XIPC_LOCAL_BYTES));
  ASSERT_OK(xipc_stream_close(a));
  ASSERT_EQ(test_read_all(from_socat, buf, sizeof buf), 0);
  helper_expect_exit(proc, 0);
  xipc_stream_close(from_socat);
  ASSERT_OK(xipc_listener_close(l));
}

/* A client made of plain system calls talks to an xipc listener, in both modes. */
TEST_IMPL(local, plain_client) {
  size_t m;
  for (m = 0; m < 2; m++) {
    xipc_local_mode_t mode = both_modes[m];
    xipc_listener_t *l;
    xipc_stream_t *a;
    xipc_process_t *proc;
    char name[64], native[XIPC_NATIVE_NAME_MAX];
    test_unique_name(name, sizeof name, "plainc");
    l = listen_on(name, mode);
    ASSERT_GT(xipc_name_native(XIPC_KIND_LOCAL, name, native, sizeof native), 0);
    proc = helper_start("local_plain_client", native, mode_arg(mode), NULL);
    a = accept_one(l);
    ASSERT_RECV_TEXT(a, mode, "ping\n");
    ASSERT_SEND(a, mode, "pong\n", 5);
    ASSERT_OK(wait_end(a, mode));
    helper_expect_exit(proc, 0);
    ASSERT_OK(xipc_stream_close(a));
    ASSERT_OK(xipc_listener_close(l));
  }
}

/* An xipc client talks to a server made of plain system calls, in both modes. */
TEST_IMPL(local, plain_server) {
  char dir[512];
  size_t m;
  if (local_is_socket())
    use_private_rundir(dir, sizeof dir);
  for (m = 0; m < 2; m++) {
    xipc_local_mode_t mode = both_modes[m];
    xipc_stream_t *signals, *w, *c;
    xipc_process_t *proc;
    char name[64], native[XIPC_NATIVE_NAME_MAX];
    test_unique_name(name, sizeof name, "plains");
    ASSERT_GT(xipc_name_native(XIPC_KIND_LOCAL, name, native, sizeof native), 0);
    ASSERT_OK(xipc_pipe_create(&signals, &w, 0, 0));
    proc = start_with_pipe(
        helper_argv("local_plain_server", native, mode_arg(mode), test_token(w, 0), NULL), w);
    expect_signal(signals, 'R');
    c = connect_to(name, mode);
    ASSERT_SEND(c, mode, "ping\n", 5);
    ASSERT_RECV_TEXT(c, mode, "pong\n");
    ASSERT_OK(wait_end(c, mode));
    helper_expect_exit(proc, 0);
    ASSERT_OK(xipc_stream_close(c));
    xipc_stream_close(signals);
    if (local_is_socket()) {
      char path[700];
      snprintf(path, sizeof path, "%s/local.%s", dir, name);
      test_os_remove(path);
    }
  }
  if (local_is_socket())
    test_os_remove(dir);
}
