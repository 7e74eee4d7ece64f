/* SPDX-License-Identifier: MIT */
/*
 * The load test of connection-oriented transports (local channels in both
 * modes, TCP): LOAD_CLIENTS client processes connect at once, each sends
 * LOAD_MESSAGES framed messages (header with client id, sequence number,
 * length and checksum, then a pattern payload of varying length); the
 * server serves each connection in its own thread, checks every message and
 * answers with the count and a hash of everything it got, which the client
 * compares with its own.
 */
#include "task.h"

#include <stdlib.h>

/* No single step should take longer than this (times the multiplier). */
#define LOAD_WAIT_MS 10000

typedef struct load_header {
  uint32_t client, seq, len, check;
} load_header_t;

/* The server's answer after the last message: how many arrived and the hash of all payloads. */
typedef struct load_ack {
  uint64_t count, hash;
} load_ack_t;

static uint32_t load_len(uint32_t client, uint32_t seq) {
  return (seq * 7919u + client * 104729u) % (LOAD_PAYLOAD_MAX + 1);
}

static uint32_t load_seed(uint32_t client, uint32_t seq) {
  return client * 100000u + seq;
}

int test_unit_send(xipc_stream_t *s, bool messages, const void *buf, size_t len) {
  if (messages)
    return xipc_stream_send_msg(s, buf, len, test_timeout(LOAD_WAIT_MS));
  return xipc_stream_write_all(s, buf, len, test_timeout(LOAD_WAIT_MS), NULL);
}

int test_unit_recv(xipc_stream_t *s, bool messages, void *buf, size_t len) {
  if (messages) {
    int n = xipc_stream_recv_msg(s, buf, len, test_timeout(LOAD_WAIT_MS), NULL);
    if (n < 0)
      return n;
    return (size_t)n == len ? 0 : XIPC_EPROTO;
  }
  return xipc_stream_read_exact(s, buf, len, test_timeout(LOAD_WAIT_MS), NULL);
}

int test_wait_end(xipc_stream_t *s, bool messages) {
  char buf[64];
  int n;
  if (messages) {
    n = xipc_stream_recv_msg(s, buf, sizeof buf, test_timeout(LOAD_WAIT_MS), NULL);
    return n == XIPC_EOF ? 0 : n < 0 ? n : XIPC_EPROTO;
  }
  n = xipc_stream_read(s, buf, sizeof buf, test_timeout(LOAD_WAIT_MS));
  return n == 0 ? 0 : n < 0 ? n : XIPC_EPROTO;
}

int load_client(const char *helper, xipc_stream_t *s, bool messages, uint32_t id) {
  static unsigned char frame[sizeof(load_header_t) + LOAD_PAYLOAD_MAX];
  load_header_t h;
  load_ack_t ack;
  uint64_t hash = TEST_FNV_INIT;
  uint32_t seq;
  char go = 0;
  int rc;
  /* The server says 'G' once it has accepted every client: they all send at once. */
  if ((rc = test_unit_recv(s, messages, &go, 1)) < 0 || go != 'G')
    return helper_error(helper, "wait for G", rc, 102);
  for (seq = 0; seq < LOAD_MESSAGES; seq++) {
    h.client = id;
    h.seq = seq;
    h.len = load_len(id, seq);
    test_fill_pattern(frame + sizeof h, h.len, load_seed(id, seq), 0);
    h.check = (uint32_t)test_fnv(TEST_FNV_INIT, frame + sizeof h, h.len);
    hash = test_fnv(hash, frame + sizeof h, h.len);
    memcpy(frame, &h, sizeof h);
    if ((rc = test_unit_send(s, messages, frame, sizeof h + h.len)) < 0)
      return helper_error(helper, "send", rc, 103);
  }
  if ((rc = test_unit_recv(s, messages, &ack, sizeof ack)) < 0)
    return helper_error(helper, "receive ack", rc, 104);
  if (ack.count != LOAD_MESSAGES || ack.hash != hash) {
    fprintf(stderr, "%s %u: server saw %llu messages, hash %s\n", helper, id,
            (unsigned long long)ack.count, ack.hash == hash ? "equal" : "different");
    return 105;
  }
  return xipc_stream_close(s) == 0 ? 0 : 106;
}

typedef struct load_conn {
  xipc_stream_t *s;
  bool messages;
  uint32_t client; /* from the first message */
  uint32_t count;
  char error[160];
  unsigned char frame[sizeof(load_header_t) + LOAD_PAYLOAD_MAX];
  unsigned char expected[LOAD_PAYLOAD_MAX];
} load_conn_t;

#define LOAD_FAIL(c, what, rc)                                                      \
  do {                                                                              \
    snprintf((c)->error, sizeof(c)->error, "message %u: %s (%s)", (c)->count, what, \
             (rc) < 0 ? xipc_err_name(rc) : "data");                                \
    return;                                                                         \
  } while (0)

/* The next message of the connection into c->frame, its header into *h. */
static int read_frame(load_conn_t *c, load_header_t *h, const char **what) {
  int wait = test_timeout(3 * LOAD_WAIT_MS), rc;
  if (c->messages) {
    size_t size = 0;
    *what = "recv_msg";
    rc = xipc_stream_recv_msg(c->s, c->frame, sizeof c->frame, wait, &size);
    if (rc < 0)
      return rc;
    *what = "message size does not match its header";
    if ((size_t)rc != size || size < sizeof *h)
      return XIPC_EPROTO;
    memcpy(h, c->frame, sizeof *h);
    return h->len > LOAD_PAYLOAD_MAX || size != sizeof *h + h->len ? XIPC_EPROTO : 0;
  }
  *what = "read header";
  rc = xipc_stream_read_exact(c->s, c->frame, sizeof *h, wait, NULL);
  if (rc < 0)
    return rc;
  memcpy(h, c->frame, sizeof *h);
  *what = "length in header";
  if (h->len > LOAD_PAYLOAD_MAX)
    return XIPC_EPROTO;
  *what = "read payload";
  return xipc_stream_read_exact(c->s, c->frame + sizeof *h, h->len, wait, NULL);
}

/* One thread per connection: take LOAD_MESSAGES messages, check each, acknowledge, see the end. */
static void load_serve(void *arg) {
  load_conn_t *c = arg;
  uint64_t hash = TEST_FNV_INIT;
  const char *what = "";
  load_ack_t ack;
  load_header_t h;
  int rc;
  for (c->count = 0; c->count < LOAD_MESSAGES; c->count++) {
    if ((rc = read_frame(c, &h, &what)) < 0)
      LOAD_FAIL(c, what, rc == XIPC_EPROTO ? 0 : rc);
    if (c->count == 0)
      c->client = h.client;
    if (h.client != c->client || h.client >= LOAD_CLIENTS)
      LOAD_FAIL(c, "client id changed", 0);
    if (h.seq != c->count || h.len != load_len(h.client, h.seq))
      LOAD_FAIL(c, "sequence number or length", 0);
    if (h.check != (uint32_t)test_fnv(TEST_FNV_INIT, c->frame + sizeof h, h.len))
      LOAD_FAIL(c, "checksum", 0);
    test_fill_pattern(c->expected, h.len, load_seed(h.client, h.seq), 0);
    if (memcmp(c->expected, c->frame + sizeof h, h.len) != 0)
      LOAD_FAIL(c, "payload", 0);
    hash = test_fnv(hash, c->frame + sizeof h, h.len);
  }
  ack.count = c->count;
  ack.hash = hash;
  if ((rc = test_unit_send(c->s, c->messages, &ack, sizeof ack)) < 0)
    LOAD_FAIL(c, "send ack", rc);
  if ((rc = test_wait_end(c->s, c->messages)) < 0)
    LOAD_FAIL(c, "the end after the last message", rc);
}

void load_serve_clients(xipc_listener_t *l, bool messages, xipc_process_t *const *procs) {
  static load_conn_t conns[LOAD_CLIENTS];
  test_os_thread_t *threads[LOAD_CLIENTS];
  bool seen[LOAD_CLIENTS];
  int i;
  for (i = 0; i < LOAD_CLIENTS; i++) {
    int64_t deadline = test_now_ms() + test_timeout(2 * LOAD_WAIT_MS);
    int rc;
    conns[i].s = NULL;
    /* Wait in steps, so that a client that failed shows at once. */
    while ((rc = xipc_listener_accept(l, &conns[i].s, 200)) == XIPC_ETIMEDOUT &&
           test_now_ms() < deadline)
      helpers_check_running(procs, LOAD_CLIENTS);
    ASSERT_OK(rc);
    conns[i].messages = messages;
    conns[i].error[0] = '\0';
  }
  /* All connected at the same time: now let them send. */
  for (i = 0; i < LOAD_CLIENTS; i++)
    ASSERT_OK(test_unit_send(conns[i].s, messages, "G", 1));
  for (i = 0; i < LOAD_CLIENTS; i++)
    threads[i] = test_os_thread_start(load_serve, &conns[i]);
  for (i = 0; i < LOAD_CLIENTS; i++)
    test_os_thread_join(threads[i]);
  memset(seen, 0, sizeof seen);
  for (i = 0; i < LOAD_CLIENTS; i++) {
    if (conns[i].error[0] != '\0')
      test_fail(__FILE__, __LINE__, "connection %d (client %u): %s", i, conns[i].client,
                conns[i].error);
    ASSERT_EQ(conns[i].count, LOAD_MESSAGES);
    ASSERT_TRUE(!seen[conns[i].client]);
    seen[conns[i].client] = true;
    ASSERT_OK(xipc_stream_close(conns[i].s));
  }
  for (i = 0; i < LOAD_CLIENTS; i++)
    helper_expect_exit(procs[i], 0);
}
