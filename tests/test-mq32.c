/* SPDX-License-Identifier: MIT */
/*
 * A 32-bit process shares xipc's shm queue with a 64-bit one: the queue's
 * layout has fixed-width fields only and its lock and wake-ups are plain
 * 32-bit words, so both read and write the same bytes. The peer is a 32-bit
 * build of this test runner (scripts/test.sh builds one when gcc-multilib
 * is installed and names it in XIPC_TEST_PEER32), run as a helper.
 */
#include "task.h"

#include <stdlib.h>

#define PEER_MESSAGES 2000
#define PEER_MAX_SIZE 1000
#define WAIT_MS       10000

/* True on POSIX, whose queue names are paths: the 32-bit peer is a POSIX build. */
static bool names_are_posix(void) {
  char native[XIPC_NATIVE_NAME_MAX];
  return xipc_name_native(XIPC_KIND_MQ, "x", native, sizeof native) > 0 && native[0] == '/';
}

/* The size and priority of message i, varied so every slot offset and list is used. */
static size_t peer_size(int i) {
  return (size_t)((i * 37) % (PEER_MAX_SIZE + 1));
}

static unsigned peer_prio(int i) {
  return (unsigned)(i % 4);
}

/*
 * Open shm queues argv[0] (in) and argv[1] (out); receive argv[2] messages,
 * check each against its pattern, and send it back at its priority.
 */
HELPER_IMPL(mq_peer_echo) {
  unsigned char buf[PEER_MAX_SIZE], want[PEER_MAX_SIZE];
  xipc_mq_t *in, *out;
  unsigned prio;
  int i, n, count, rc;
  if (argc != 3)
    return 100;
  count = atoi(argv[2]);
  if ((rc = xipc_mq_open(&in, argv[0], XIPC_MQ_SHM)) < 0 ||
      (rc = xipc_mq_open(&out, argv[1], XIPC_MQ_SHM)) < 0)
    return helper_error("mq_peer_echo", "open", rc, 101);
  for (i = 0; i < count; i++) {
    n = xipc_mq_recv(in, buf, sizeof buf, &prio, test_timeout(WAIT_MS));
    if (n < 0)
      return helper_error("mq_peer_echo", "recv", n, 102);
    /* Priorities are received highest first, so sizes come in any order: check the pattern. */
    test_fill_pattern(want, (size_t)n, (uint32_t)n, 0);
    if (memcmp(buf, want, (size_t)n) != 0)
      return 103;
    if ((rc = xipc_mq_send(out, buf, (size_t)n, prio, test_timeout(WAIT_MS))) < 0)
      return helper_error("mq_peer_echo", "send", rc, 104);
  }
  xipc_mq_close(in);
  xipc_mq_close(out);
  return 0;
}

/* A 64-bit creator and a 32-bit peer pass messages of every size both ways. */
TEST_IMPL(mq, peer_32bit) {
  const char *peer = test_os_getenv("XIPC_TEST_PEER32");
  char in_name[64], out_name[64], count[16];
  unsigned char buf[PEER_MAX_SIZE], want[PEER_MAX_SIZE];
  xipc_mq_attr_t attr;
  xipc_mq_t *to_peer, *from_peer;
  const char *argv[7];
  xipc_spawn_options_t opts;
  xipc_process_t *proc;
  xipc_exit_t status;
  unsigned prio;
  int n, sent = 0, got = 0;
  if (!names_are_posix())
    SKIP("the 32-bit peer is a build for POSIX (gcc -m32); no 32-bit Windows build is made here");
  if (peer == NULL || peer[0] == '\0')
    SKIP("no 32-bit build of the test runner to be the peer (XIPC_TEST_PEER32): "
         "scripts/test.sh makes one when gcc-multilib is installed");
  memset(&attr, 0, sizeof attr);
  attr.max_msgs = 16;
  attr.max_msg_size = PEER_MAX_SIZE;
  attr.backend = XIPC_MQ_SHM;
  test_unique_name(in_name, sizeof in_name, "peer32-in");
  test_unique_name(out_name, sizeof out_name, "peer32-out");
  ASSERT_OK(xipc_mq_create(&to_peer, in_name, &attr));
  ASSERT_OK(xipc_mq_create(&from_peer, out_name, &attr));
  snprintf(count, sizeof count, "%d", PEER_MESSAGES);
  argv[0] = peer;
  argv[1] = "--helper";
  argv[2] = "mq_peer_echo";
  argv[3] = in_name;
  argv[4] = out_name;
  argv[5] = count;
  argv[6] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  ASSERT_OK(xipc_spawn(&proc, &opts));
  /* Keep a few messages in flight each way, so both queues wrap around many times. */
  while (got < PEER_MESSAGES) {
    while (sent < PEER_MESSAGES && sent - got < 8) {
      test_fill_pattern(buf, peer_size(sent), (uint32_t)peer_size(sent), 0);
      ASSERT_OK(
          xipc_mq_send(to_peer, buf, peer_size(sent), peer_prio(sent), test_timeout(WAIT_MS)));
      sent++;
    }
    n = xipc_mq_recv(from_peer, buf, sizeof buf, &prio, test_timeout(WAIT_MS));
    ASSERT_OK(n);
    test_fill_pattern(want, (size_t)n, (uint32_t)n, 0);
    ASSERT_TRUE(memcmp(buf, want, (size_t)n) == 0);
    ASSERT_LT(prio, 4);
    got++;
  }
  ASSERT_OK(xipc_process_wait(proc, test_timeout(WAIT_MS), &status));
  xipc_process_close(proc);
  ASSERT_EQ(status.code, 0);
  printf("a 32-bit peer (%s) echoed %d messages of 0 to %d bytes\n", peer, got, PEER_MAX_SIZE);
  ASSERT_OK(xipc_mq_close(to_peer));
  ASSERT_OK(xipc_mq_close(from_peer));
  xipc_mq_unlink(in_name);
  xipc_mq_unlink(out_name);
}
