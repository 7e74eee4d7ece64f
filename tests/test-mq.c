/* SPDX-License-Identifier: MIT */
/*
 * Message queues (include/xipc/mq.h), every case on every backend the system
 * has: xipc's shared-memory queue everywhere, the system's POSIX queue where
 * there is one. A backend whose create says XIPC_ENOTSUP is left out, each
 * test prints the backends it ran, and a test that ran none skips.
 *
 * Beyond the contract (sizes, priorities, timeouts, names, errors): two
 * producer and two consumer processes passing 200,000 messages; senders and
 * receivers killed at random while they work, after which the survivors go
 * on with nothing torn, lost or duplicated; a hostile process scribbling over
 * the shm queue's segment; and programs that use the POSIX queue without xipc.
 *
 * The tests that play a dead or hostile peer of the shm queue need a little
 * of its layout (src/mqshm.c), named SHM_* below; raw_open() fails the test,
 * rather than let it poke the wrong bytes, when that layout changes.
 */
#include "task.h"

#include <limits.h>
#include <stdlib.h>

/* How long a step that should be quick may take before it counts as a hang. */
#define WAIT_MS  10000
/* "At once": a call that must not wait returns well within this (a loaded VM stalls for a while).
 */
#define QUICK_MS test_timeout(1000)

/* Ordering: messages per priority, all 32 priorities. */
#define PRIO_COPIES 4
/* Random operations checked against a model of the queue. */
#define MODEL_OPS   4000

#define MPMC_PRODUCERS     2u
#define MPMC_CONSUMERS     2u
#define MPMC_MESSAGES      200000u
/* Wine: every wake-up of a sleeping side is a semaphore call through wineserver (~80 us). */
#define MPMC_MESSAGES_WINE 20000u
#define MPMC_MSG_SIZE      256u
#define MPMC_CAPACITY      64u
#define STOP_SENDER        0xFFFFFFFFu

#define KILL_ROUNDS   100
/*
 * The kill tests' messages are large, so that copying one into or out of the
 * queue (which happens holding its lock) takes long enough for kills to land
 * inside the critical section.
 */
#define KILL_MSG_SIZE ((size_t)128 * 1024)
/* Room for a victim to work flat out, mostly holding the lock, for about a millisecond. */
#define KILL_CAPACITY 32u
/* Their sender and sequence number are stamped every STAMP_EVERY bytes: a torn message shows. */
#define STAMP_EVERY   1024u
#define PATTERN_SEED  0x5eedu
#define PROBE_SENDER  0xFFFFu

#define RACE_ROUNDS      100
#define PING_PONG_ROUNDS 10000
#define HOSTILE_MS       1500

/*
 * White-box knowledge of the shm queue's segment (src/mqshm.c): a 64-byte
 * line of fields the creator writes once (magic, version, header size,
 * max_msgs, max_msg_size, slot size, spin, reserved, total size, then an
 * FNV-1a checksum of all of them), then the lock word (0, or the process id
 * of its holder), the count and lists, and the counts of sleeping receivers
 * and senders; the header is 512 bytes, the slots follow.
 */
#define SHM_MAGIC             0x51504958u
#define SHM_OFF_VERSION       4
#define SHM_OFF_HEADER_SIZE   8
#define SHM_OFF_MAX_MSGS      12
#define SHM_OFF_MAX_MSG_SIZE  16
#define SHM_OFF_SPIN          24
#define SHM_OFF_TOTAL_SIZE    32
#define SHM_OFF_CHECKSUM      40
#define SHM_CHECKED_BYTES     48 /* the fixed fields and their checksum */
#define SHM_FIXED_BYTES       64
#define SHM_LOCK_OFFSET       64
#define SHM_RECV_SLEEPERS     80 /* receivers asleep: a sender wakes one only when not 0 */
#define SHM_SEND_SLEEPERS     84 /* senders asleep, likewise */
#define SHM_HEADER_BYTES      512
#define SHM_SLOT_HEADER_BYTES 16

#define NO_SEQ 0xFFFFFFFFu

/* ---- Small tools ------------------------------------------------------ */

static int64_t elapsed_ms_since(uint64_t start_ns) {
  return (int64_t)((xipc_time_ns() - start_ns) / 1000000u);
}

/* xorshift32: cheap and seedable, so that a failing run can be told apart by its seed. */
static uint32_t next_random(uint32_t *state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

static uint32_t random_seed(void) {
  return ((uint32_t)xipc_time_ns() ^ (uint32_t)xipc_self_pid() * 2654435761u) | 1u;
}

/* Spin for `us` microseconds: finer than a sleep, to spread kills over a victim's work. */
static void busy_wait_us(unsigned us) {
  uint64_t until = xipc_time_ns() + (uint64_t)us * 1000u;
  while (xipc_time_ns() < until) {
  }
}

static void *checked_malloc(size_t size) {
  void *p = malloc(size);
  if (p == NULL)
    test_fail(__FILE__, __LINE__, "out of memory (%zu bytes)", size);
  return p;
}

/* ---- Backends --------------------------------------------------------- */

static const char *backend_label(xipc_mq_backend_t backend) {
  return backend == XIPC_MQ_SHM ? "shm" : backend == XIPC_MQ_NATIVE ? "native" : "default";
}

/* The backend a helper's argument names; false for anything else. */
static bool backend_of_label(const char *label, xipc_mq_backend_t *backend) {
  if (strcmp(label, "shm") == 0)
    *backend = XIPC_MQ_SHM;
  else if (strcmp(label, "native") == 0)
    *backend = XIPC_MQ_NATIVE;
  else if (strcmp(label, "default") == 0)
    *backend = XIPC_MQ_DEFAULT;
  else
    return false;
  return true;
}

/* True on systems where queue names persist until unlinked (POSIX "/name"). */
static bool names_persist(void) {
  char native[XIPC_NATIVE_NAME_MAX];
  return xipc_name_native(XIPC_KIND_MQ, "x", native, sizeof native) > 0 && native[0] == '/';
}

static xipc_mq_attr_t queue_attr(xipc_mq_backend_t backend, size_t max_msgs, size_t max_msg_size) {
  xipc_mq_attr_t attr;
  memset(&attr, 0, sizeof attr);
  attr.max_msgs = max_msgs;
  attr.max_msg_size = max_msg_size;
  attr.backend = backend;
  attr.spin_us = 0;
  return attr;
}

/*
 * `wanted` messages, or fewer where the native backend's limits are lower:
 * what an unprivileged process may create (Linux: 10 messages of 8192 bytes
 * unless the administrator raised them).
 */
static size_t fit_msgs(xipc_mq_backend_t backend, size_t wanted) {
  size_t max_msgs, max_msg_size;
  if (backend != XIPC_MQ_NATIVE)
    return wanted;
  ASSERT_OK(xipc_mq_native_limits(&max_msgs, &max_msg_size));
  return wanted < max_msgs ? wanted : max_msgs;
}

static size_t fit_size(xipc_mq_backend_t backend, size_t wanted) {
  size_t max_msgs, max_msg_size;
  if (backend != XIPC_MQ_NATIVE)
    return wanted;
  ASSERT_OK(xipc_mq_native_limits(&max_msgs, &max_msg_size));
  return wanted < max_msg_size ? wanted : max_msg_size;
}

static xipc_mq_t *create_queue(const char *name, const xipc_mq_attr_t *attr) {
  xipc_mq_t *mq = NULL;
  ASSERT_OK(xipc_mq_create(&mq, name, attr));
  ASSERT_NOT_NULL(mq);
  return mq;
}

/* A queue of `backend` under a new unique name (name: 64 bytes). */
static xipc_mq_t *new_queue(char *name, const char *tag, xipc_mq_backend_t backend, size_t max_msgs,
                            size_t max_msg_size) {
  xipc_mq_attr_t attr = queue_attr(backend, max_msgs, max_msg_size);
  test_unique_name(name, 64, tag);
  return create_queue(name, &attr);
}

static xipc_mq_t *open_queue(const char *name, xipc_mq_backend_t backend) {
  xipc_mq_t *mq = NULL;
  ASSERT_OK(xipc_mq_open(&mq, name, backend));
  ASSERT_NOT_NULL(mq);
  return mq;
}

/* Close the handle and remove the name (a no-op returning 0 for the shm queue on Windows). */
static void destroy_queue(xipc_mq_t *mq, const char *name) {
  ASSERT_OK(xipc_mq_close(mq));
  ASSERT_OK(xipc_mq_unlink(name));
}

static size_t queue_count(xipc_mq_t *mq) {
  size_t count = (size_t)-1;
  ASSERT_OK(xipc_mq_get_attr(mq, NULL, &count));
  return count;
}

static xipc_mq_attr_t queue_attr_of(xipc_mq_t *mq) {
  xipc_mq_attr_t attr;
  ASSERT_OK(xipc_mq_get_attr(mq, &attr, NULL));
  return attr;
}

/* True when this system has `backend`: a tiny queue of it can be created (not XIPC_ENOTSUP). */
static bool backend_present(xipc_mq_backend_t backend) {
  xipc_mq_attr_t attr = queue_attr(backend, 1, 1);
  xipc_mq_t *mq = NULL;
  char name[64];
  int rc;
  test_unique_name(name, sizeof name, "probe");
  rc = xipc_mq_create(&mq, name, &attr);
  if (rc == XIPC_ENOTSUP)
    return false;
  ASSERT_OK(rc);
  destroy_queue(mq, name);
  return true;
}

typedef void (*backend_case_t)(xipc_mq_backend_t backend);

/*
 * Run `fn` on each backend this system has; `only` (XIPC_MQ_SHM or
 * XIPC_MQ_NATIVE) restricts it to one, for `why` the other does not apply.
 * Prints which ran; skips the test when none did.
 */
static void run_on_backends(const char *test, backend_case_t fn, xipc_mq_backend_t only,
                            const char *why) {
  static const xipc_mq_backend_t all[] = {XIPC_MQ_SHM, XIPC_MQ_NATIVE};
  char ran[32] = "";
  size_t i;
  for (i = 0; i < ARRAY_SIZE(all); i++) {
    if (only != XIPC_MQ_DEFAULT && all[i] != only) {
      printf("%s: %s backend not run: %s\n", test, backend_label(all[i]), why);
      continue;
    }
    if (!backend_present(all[i])) {
      printf("%s: %s backend not run: this system has none (xipc_mq_create: XIPC_ENOTSUP)\n", test,
             backend_label(all[i]));
      continue;
    }
    printf("%s: %s backend\n", test, backend_label(all[i]));
    fn(all[i]);
    if (ran[0] != '\0')
      strcat(ran, ", ");
    strcat(ran, backend_label(all[i]));
  }
  if (ran[0] == '\0')
    SKIP("no message queue backend that this test applies to exists on this system");
  printf("%s: ran on %s\n", test, ran);
}

static void run_on_all_backends(const char *test, backend_case_t fn) {
  run_on_backends(test, fn, XIPC_MQ_DEFAULT, NULL);
}

static void run_on_shm_backend(const char *test, backend_case_t fn) {
  run_on_backends(test, fn, XIPC_MQ_SHM,
                  "the test plays a peer of xipc's shared-memory queue; the kernel keeps a "
                  "native queue's state out of reach");
}

/* ---- Messages --------------------------------------------------------- */

/* Send a text (without its NUL). */
static void send_text(xipc_mq_t *mq, const char *text, unsigned prio) {
  int rc = xipc_mq_send(mq, text, strlen(text), prio, test_timeout(WAIT_MS));
  if (rc != 0)
    test_fail(__FILE__, __LINE__, "sending \"%s\" at priority %u: %s", text, prio,
              xipc_err_name(rc));
}

/* The next message, received with `timeout_ms`, is `text` at `prio`. */
static void expect_text_within(xipc_mq_t *mq, const char *text, unsigned prio, int timeout_ms) {
  size_t cap = queue_attr_of(mq).max_msg_size;
  char *buf = checked_malloc(cap + 1);
  unsigned got_prio = 99;
  int n = xipc_mq_recv(mq, buf, cap, &got_prio, timeout_ms);
  if (n < 0)
    test_fail(__FILE__, __LINE__, "receiving \"%s\": %s", text, xipc_err_name(n));
  buf[n] = '\0';
  if ((size_t)n != strlen(text) || memcmp(buf, text, (size_t)n) != 0 || got_prio != prio)
    test_fail(__FILE__, __LINE__, "received \"%s\" at priority %u, expected \"%s\" at %u", buf,
              got_prio, text, prio);
  free(buf);
}

static void expect_text(xipc_mq_t *mq, const char *text, unsigned prio) {
  expect_text_within(mq, text, prio, test_timeout(WAIT_MS));
}

/* The head of a message that carries its identity and a checksum. */
typedef struct msg_head {
  uint32_t sender;
  uint32_t seq;
  uint32_t prio;
  uint32_t len;   /* of the whole message, this head included */
  uint64_t check; /* FNV-1a of the four fields above, then (make_msg) of the payload */
} msg_head_t;

static uint64_t head_check(const msg_head_t *h) {
  uint32_t fields[4];
  fields[0] = h->sender;
  fields[1] = h->seq;
  fields[2] = h->prio;
  fields[3] = h->len;
  return test_fnv(TEST_FNV_INIT, fields, sizeof fields);
}

/* Message `seq` of `sender`, `len` bytes (at least the head): the head, then a pattern payload. */
static void make_msg(unsigned char *buf, uint32_t sender, uint32_t seq, unsigned prio, size_t len) {
  msg_head_t h;
  h.sender = sender;
  h.seq = seq;
  h.prio = prio;
  h.len = (uint32_t)len;
  test_fill_pattern(buf + sizeof h, len - sizeof h, sender + 1, (uint64_t)seq * 4099u);
  h.check = test_fnv(head_check(&h), buf + sizeof h, len - sizeof h);
  memcpy(buf, &h, sizeof h);
}

/* True when buf[0..n) is a whole message whose checksum verifies; its head in *h. */
static bool msg_ok(const unsigned char *buf, int n, msg_head_t *h) {
  if (n < (int)sizeof *h)
    return false;
  memcpy(h, buf, sizeof *h);
  return h->len == (uint32_t)n &&
         test_fnv(head_check(h), buf + sizeof *h, (size_t)n - sizeof *h) == h->check;
}

/*
 * Big messages (kill tests) are a fixed pattern with the head at the start
 * and (sender, seq) stamped every STAMP_EVERY bytes: cheap to make, so a
 * sender spends its time in the queue, and a message torn between two
 * others has stamps that disagree.
 */
static void big_stamp(unsigned char *buf, size_t len, uint32_t sender, uint32_t seq,
                      unsigned prio) {
  uint32_t stamp[2];
  msg_head_t h;
  size_t at;
  h.sender = sender;
  h.seq = seq;
  h.prio = prio;
  h.len = (uint32_t)len;
  h.check = head_check(&h);
  memcpy(buf, &h, sizeof h);
  stamp[0] = sender;
  stamp[1] = seq;
  for (at = STAMP_EVERY; at + sizeof stamp <= len; at += STAMP_EVERY)
    memcpy(buf + at, stamp, sizeof stamp);
}

/*
 * A whole big message: its head checks out, every stamp matches it, and
 * (unless pattern is NULL: a quick look that still finds any tear) the
 * pattern is intact.
 */
static bool big_ok(const unsigned char *buf, int n, const unsigned char *pattern, msg_head_t *h) {
  size_t len = (size_t)n, at, first_end;
  uint32_t stamp[2];
  if (n < (int)sizeof *h)
    return false;
  memcpy(h, buf, sizeof *h);
  if (h->len != (uint32_t)n || head_check(h) != h->check)
    return false;
  stamp[0] = h->sender;
  stamp[1] = h->seq;
  first_end = len < STAMP_EVERY ? len : STAMP_EVERY;
  if (pattern != NULL && memcmp(buf + sizeof *h, pattern + sizeof *h, first_end - sizeof *h) != 0)
    return false;
  for (at = STAMP_EVERY; at < len; at += STAMP_EVERY) {
    size_t end = len - at < STAMP_EVERY ? len : at + STAMP_EVERY, from = at;
    if (at + sizeof stamp <= len) {
      if (memcmp(buf + at, stamp, sizeof stamp) != 0)
        return false;
      from = at + sizeof stamp;
    }
    if (pattern != NULL && memcmp(buf + from, pattern + from, end - from) != 0)
      return false;
  }
  return true;
}

static unsigned char *new_pattern(size_t len) {
  unsigned char *pattern = malloc(len);
  if (pattern != NULL)
    test_fill_pattern(pattern, len, PATTERN_SEED, 0);
  return pattern;
}

/* ---- State shared with helpers ---------------------------------------- */

/* Fields with one writer each; volatile, because another process writes them while one polls. */
typedef struct mq_state {
  volatile uint32_t flag;         /* a helper reached its point (holds the lock; is opening) */
  volatile uint32_t victim_done;  /* receiver victim: messages it received */
  volatile uint32_t victim_first; /* receiver victim: the first and last sequence numbers */
  volatile uint32_t victim_last;
  volatile uint32_t bad;                  /* messages whose check failed */
  volatile uint32_t out_of_order;         /* messages not one after the last of their sender */
  volatile uint32_t sent_by[KILL_ROUNDS]; /* sender victims: sends that returned 0 */
} mq_state_t;

static mq_state_t *create_state(xipc_shm_t **shm, char *name) {
  test_unique_name(name, 64, "state");
  ASSERT_OK(xipc_shm_create(shm, name, sizeof(mq_state_t), 0));
  ASSERT_GE(xipc_shm_size(*shm), sizeof(mq_state_t));
  return xipc_shm_addr(*shm);
}

static void destroy_state(xipc_shm_t *shm, const char *name) {
  ASSERT_OK(xipc_shm_close(shm));
  ASSERT_OK(xipc_shm_unlink(name, 0));
}

/* Poll until *word >= value; fail if the helper ends first or it takes WAIT_MS. */
static void wait_for_word(volatile uint32_t *word, uint32_t value, xipc_process_t *proc,
                          const char *what) {
  int64_t deadline = test_now_ms() + test_timeout(WAIT_MS);
  while (*word < value) {
    xipc_exit_t status;
    if (xipc_process_wait(proc, 0, &status) == 0)
      test_fail(__FILE__, __LINE__, "helper ended (code %d, signal %d) before it %s", status.code,
                status.signal, what);
    if (test_now_ms() > deadline)
      test_fail(__FILE__, __LINE__, "helper has not %s after %d ms", what, test_timeout(WAIT_MS));
    xipc_sleep_ms(1);
  }
}

/* Kill a helper that must still be running, and reap it. */
static void kill_and_reap(xipc_process_t *proc, const char *what) {
  xipc_exit_t status;
  ASSERT_OK(xipc_process_kill(proc));
  ASSERT_OK(xipc_process_wait(proc, test_timeout(WAIT_MS), &status));
  xipc_process_close(proc);
  if (status.signal != 9)
    test_fail(__FILE__, __LINE__, "%s ended by itself (exit code %d) before it was killed", what,
              status.code);
}

/* ---- The shm queue's segment, seen directly ----------------------------- */

typedef struct raw_queue {
  xipc_shm_t *shm;
  unsigned char *base;
  size_t size;
} raw_queue_t;

static uint32_t raw_u32(const raw_queue_t *raw, size_t offset) {
  return *(volatile uint32_t *)(void *)(raw->base + offset);
}

static void raw_put_u32(raw_queue_t *raw, size_t offset, uint32_t value) {
  *(volatile uint32_t *)(void *)(raw->base + offset) = value;
}

/* Recompute the fixed fields' checksum, as a creator would: a forged header that looks sealed. */
static void raw_reseal(raw_queue_t *raw) {
  uint64_t sum = test_fnv(TEST_FNV_INIT, raw->base, SHM_OFF_CHECKSUM);
  memcpy(raw->base + SHM_OFF_CHECKSUM, &sum, sizeof sum);
}

/* Map shm queue `name`'s segment the way a program without xipc_mq would: by its native name. */
static void raw_open(raw_queue_t *raw, const char *name, const xipc_mq_attr_t *attr) {
  char native[XIPC_NATIVE_NAME_MAX];
  ASSERT_GT(xipc_name_native(XIPC_KIND_MQ, name, native, sizeof native), 0);
  ASSERT_OK(xipc_shm_open(&raw->shm, native, XIPC_SHM_NATIVE_NAME));
  raw->base = xipc_shm_addr(raw->shm);
  raw->size = xipc_shm_size(raw->shm);
  if (raw->size < SHM_HEADER_BYTES || raw_u32(raw, 0) != SHM_MAGIC ||
      raw_u32(raw, SHM_OFF_HEADER_SIZE) != SHM_HEADER_BYTES ||
      raw_u32(raw, SHM_OFF_MAX_MSGS) != attr->max_msgs ||
      raw_u32(raw, SHM_OFF_MAX_MSG_SIZE) != attr->max_msg_size)
    test_fail(__FILE__, __LINE__,
              "the shm queue's segment is not laid out as tests/test-mq.c expects (SHM_*): "
              "src/mqshm.c changed; update the constants");
}

static void raw_close(raw_queue_t *raw) {
  ASSERT_OK(xipc_shm_close(raw->shm));
}

/* ---- Helpers ------------------------------------------------------------ */

/* Open queue `name` of backend `label`; 0 or an exit code. */
static int helper_queue(const char *helper, const char *name, const char *label, xipc_mq_t **mq) {
  xipc_mq_backend_t backend;
  int rc;
  if (!backend_of_label(label, &backend))
    return helper_error(helper, "backend label", XIPC_EINVAL, 100);
  rc = xipc_mq_open(mq, name, backend);
  return rc < 0 ? helper_error(helper, "xipc_mq_open", rc, 101) : 0;
}

/* Open state segment `name`; 0 or an exit code. */
static int helper_state(const char *helper, const char *name, xipc_shm_t **shm, mq_state_t **st) {
  int rc = xipc_shm_open(shm, name, 0);
  if (rc < 0)
    return helper_error(helper, "xipc_shm_open(state)", rc, 102);
  /* The segment is shared input: its size is checked before it is used. */
  if (xipc_shm_size(*shm) < sizeof(mq_state_t))
    return helper_error(helper, "state segment", XIPC_EIO, 103);
  *st = xipc_shm_addr(*shm);
  return 0;
}

/* Queue argv[0] (backend argv[1]): sleep argv[2] ms, then send text argv[4] at priority argv[5],
 * waiting up to argv[3] ms (-1: for ever) for space. */
HELPER_IMPL(mq_send_later) {
  xipc_mq_t *mq;
  int rc;
  if (argc != 6)
    return 100;
  if ((rc = helper_queue("mq_send_later", argv[0], argv[1], &mq)) != 0)
    return rc;
  xipc_sleep_ms(atoi(argv[2]));
  rc = xipc_mq_send(mq, argv[4], strlen(argv[4]), (unsigned)atoi(argv[5]), atoi(argv[3]));
  if (rc < 0)
    return helper_error("mq_send_later", "xipc_mq_send", rc, 102);
  xipc_mq_close(mq);
  return 0;
}

/*
 * Queue argv[0] (backend argv[1]): sleep argv[2] ms, receive with timeout
 * argv[3]; exit 0 when the message is text argv[4] at priority argv[5].
 */
HELPER_IMPL(mq_recv_expect) {
  xipc_mq_attr_t attr;
  xipc_mq_t *mq;
  unsigned prio = 99;
  char *buf;
  int rc, n;
  if (argc != 6)
    return 100;
  if ((rc = helper_queue("mq_recv_expect", argv[0], argv[1], &mq)) != 0)
    return rc;
  if ((rc = xipc_mq_get_attr(mq, &attr, NULL)) < 0)
    return helper_error("mq_recv_expect", "xipc_mq_get_attr", rc, 102);
  buf = malloc(attr.max_msg_size + 1);
  if (buf == NULL)
    return helper_error("mq_recv_expect", "malloc", XIPC_ENOMEM, 103);
  xipc_sleep_ms(atoi(argv[2]));
  n = xipc_mq_recv(mq, buf, attr.max_msg_size, &prio, atoi(argv[3]));
  if (n < 0)
    return helper_error("mq_recv_expect", "xipc_mq_recv", n, 104);
  buf[n] = '\0';
  if (strcmp(buf, argv[4]) != 0 || prio != (unsigned)atoi(argv[5])) {
    fprintf(stderr, "mq_recv_expect: got \"%s\" at priority %u, expected \"%s\" at %s\n", buf, prio,
            argv[4], argv[5]);
    return 1;
  }
  free(buf);
  xipc_mq_close(mq);
  return 0;
}

/* Create queue argv[0] of backend argv[1] and close it: exit 0 when created, 1 on XIPC_EEXIST. */
HELPER_IMPL(mq_try_create) {
  xipc_mq_backend_t backend;
  xipc_mq_attr_t attr;
  xipc_mq_t *mq;
  int rc;
  if (argc != 2 || !backend_of_label(argv[1], &backend))
    return 100;
  attr = queue_attr(backend, 1, 16);
  rc = xipc_mq_create(&mq, argv[0], &attr);
  if (rc == XIPC_EEXIST)
    return 1;
  if (rc < 0)
    return helper_error("mq_try_create", "xipc_mq_create", rc, 2);
  xipc_mq_close(mq);
  return 0;
}

/* Echo argv[3] messages from queue argv[0] to queue argv[1] (backend argv[2]), priorities kept. */
HELPER_IMPL(mq_pong) {
  xipc_mq_t *ping, *pong;
  unsigned char buf[64];
  int i, rounds, rc;
  if (argc != 4)
    return 100;
  rounds = atoi(argv[3]);
  if ((rc = helper_queue("mq_pong", argv[0], argv[2], &ping)) != 0 ||
      (rc = helper_queue("mq_pong", argv[1], argv[2], &pong)) != 0)
    return rc;
  for (i = 0; i < rounds; i++) {
    unsigned prio;
    int n = xipc_mq_recv(ping, buf, sizeof buf, &prio, test_timeout(WAIT_MS));
    if (n < 0)
      return helper_error("mq_pong", "xipc_mq_recv", n, 102);
    if ((rc = xipc_mq_send(pong, buf, (size_t)n, prio, test_timeout(WAIT_MS))) < 0)
      return helper_error("mq_pong", "xipc_mq_send", rc, 103);
  }
  xipc_mq_close(ping);
  xipc_mq_close(pong);
  return 0;
}

/*
 * Creation race: announce round argv[3] in state argv[2], then open queue
 * argv[0] (backend argv[1]) as fast as possible until its creator has
 * published it; it must then work: send "opened".
 */
HELPER_IMPL(mq_open_race) {
  xipc_mq_backend_t backend;
  xipc_mq_t *mq = NULL;
  xipc_shm_t *shm;
  mq_state_t *st = NULL;
  int64_t deadline;
  int rc;
  if (argc != 4 || !backend_of_label(argv[1], &backend))
    return 100;
  if ((rc = helper_state("mq_open_race", argv[2], &shm, &st)) != 0)
    return rc;
  st->flag = (uint32_t)atoi(argv[3]);
  deadline = test_now_ms() + test_timeout(WAIT_MS);
  for (;;) {
    rc = xipc_mq_open(&mq, argv[0], backend);
    /* Not there yet, or its segment still being sized: both fine before the create. */
    if (rc != XIPC_ENOENT && rc != XIPC_EAGAIN)
      break;
    if (test_now_ms() > deadline)
      return helper_error("mq_open_race", "no queue in time", rc, 104);
  }
  if (rc < 0)
    return helper_error("mq_open_race", "xipc_mq_open", rc, 105);
  if ((rc = xipc_mq_send(mq, "opened", 6, 1, test_timeout(WAIT_MS))) < 0)
    return helper_error("mq_open_race", "xipc_mq_send", rc, 106);
  xipc_mq_close(mq);
  xipc_shm_close(shm);
  return 0;
}

/* ---- Basics ------------------------------------------------------------- */

static void create_open_close_unlink_on(xipc_mq_backend_t backend) {
  const char *label = backend_label(backend);
  xipc_mq_t *a, *b;
  char name[64];
  a = new_queue(name, "basic", backend, 4, 64);
  b = open_queue(name, backend);
  send_text(a, "one", 1);
  send_text(b, "two", 1);
  expect_text(b, "one", 1);
  expect_text(a, "two", 1);
  ASSERT_OK(xipc_mq_close(b));
  /* The queue outlives a handle. */
  send_text(a, "three", 0);
  b = open_queue(name, backend);
  expect_text(b, "three", 0);
  ASSERT_OK(xipc_mq_close(b));
  ASSERT_OK(xipc_mq_close(NULL));
  /* Another process finds it by name. */
  helper_expect_exit(
      helper_start("mq_send_later", name, label, "0", "10000", "from a child", "7", NULL), 0);
  expect_text(a, "from a child", 7);
  ASSERT_EQ(queue_count(a), 0);
  destroy_queue(a, name);
  /* Unlinked and closed: gone on every system. */
  b = (xipc_mq_t *)&b;
  ASSERT_ERR(xipc_mq_open(&b, name, backend), XIPC_ENOENT);
  ASSERT_NULL(b);
}

TEST_IMPL(mq, create_open_close_unlink) {
  run_on_all_backends("mq.create_open_close_unlink", create_open_close_unlink_on);
}

static void create_is_exclusive_on(xipc_mq_backend_t backend) {
  xipc_mq_attr_t attr, other = queue_attr(backend, 2, 32);
  xipc_mq_t *a, *b = (xipc_mq_t *)&b;
  char name[64];
  a = new_queue(name, "excl", backend, 4, 64);
  attr = queue_attr_of(a);
  send_text(a, "kept", 3);
  ASSERT_ERR(xipc_mq_create(&b, name, &attr), XIPC_EEXIST);
  ASSERT_NULL(b);
  /* Other sizes: refused all the same, never a reset or a resize. */
  ASSERT_ERR(xipc_mq_create(&b, name, &other), XIPC_EEXIST);
  ASSERT_NULL(b);
  /* From another process too. */
  helper_expect_exit(helper_start("mq_try_create", name, backend_label(backend), NULL), 1);
  ASSERT_EQ(queue_count(a), 1);
  ASSERT_EQ(queue_attr_of(a).max_msgs, attr.max_msgs);
  ASSERT_EQ(queue_attr_of(a).max_msg_size, 64);
  expect_text(a, "kept", 3);
  destroy_queue(a, name);
}

TEST_IMPL(mq, create_is_exclusive) {
  run_on_all_backends("mq.create_is_exclusive", create_is_exclusive_on);
}

/* One queue per name across the backends: a create of the other backend is refused too. */
static void exclusive_across_backends_on(xipc_mq_backend_t backend) {
  xipc_mq_backend_t other = backend == XIPC_MQ_SHM ? XIPC_MQ_NATIVE : XIPC_MQ_SHM;
  xipc_mq_attr_t attr = queue_attr(other, 1, 8);
  xipc_mq_t *mq, *second = (xipc_mq_t *)&second;
  char name[64];
  if (!backend_present(other)) {
    printf("%s: no %s backend here, nothing to collide with\n", backend_label(backend),
           backend_label(other));
    return;
  }
  mq = new_queue(name, "across", backend, 1, 8);
  ASSERT_ERR(xipc_mq_create(&second, name, &attr), XIPC_EEXIST);
  ASSERT_NULL(second);
  ASSERT_EQ(queue_attr_of(mq).backend, backend);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, create_exclusive_across_backends) {
  run_on_all_backends("mq.create_exclusive_across_backends", exclusive_across_backends_on);
}

static void open_missing_on(xipc_mq_backend_t backend) {
  xipc_mq_t *mq = (xipc_mq_t *)&mq;
  char name[64];
  test_unique_name(name, sizeof name, "missing");
  ASSERT_ERR(xipc_mq_open(&mq, name, backend), XIPC_ENOENT);
  ASSERT_NULL(mq);
  mq = (xipc_mq_t *)&mq;
  ASSERT_ERR(xipc_mq_open(&mq, name, XIPC_MQ_DEFAULT), XIPC_ENOENT);
  ASSERT_NULL(mq);
  if (names_persist())
    ASSERT_ERR(xipc_mq_unlink(name), XIPC_ENOENT);
  else
    ASSERT_OK(xipc_mq_unlink(name)); /* Windows: nothing to remove, ever */
  /* Created, then unlinked and closed: missing again. */
  destroy_queue(new_queue(name, "missing", backend, 1, 8), name);
  ASSERT_ERR(xipc_mq_open(&mq, name, backend), XIPC_ENOENT);
  ASSERT_ERR(xipc_mq_open(&mq, name, XIPC_MQ_DEFAULT), XIPC_ENOENT);
}

TEST_IMPL(mq, open_missing) {
  run_on_all_backends("mq.open_missing", open_missing_on);
}

static void open_default_finds_either_backend_on(xipc_mq_backend_t backend) {
  xipc_mq_t *a, *b;
  char name[64];
  a = new_queue(name, "dflt", backend, 4, 32);
  b = open_queue(name, XIPC_MQ_DEFAULT);
  ASSERT_EQ(queue_attr_of(b).backend, backend);
  send_text(b, "through default", 2);
  expect_text(a, "through default", 2);
  ASSERT_OK(xipc_mq_close(b));
  destroy_queue(a, name);
}

TEST_IMPL(mq, open_default_finds_either_backend) {
  xipc_mq_attr_t attr = queue_attr(XIPC_MQ_DEFAULT, 2, 16);
  xipc_mq_t *mq;
  char name[64];
  /* Created with XIPC_MQ_DEFAULT: the shm queue. */
  test_unique_name(name, sizeof name, "dflt");
  mq = create_queue(name, &attr);
  ASSERT_EQ(queue_attr_of(mq).backend, XIPC_MQ_SHM);
  destroy_queue(mq, name);
  run_on_all_backends("mq.open_default_finds_either_backend", open_default_finds_either_backend_on);
}

static void get_attr_reports_sizes_and_count_on(xipc_mq_backend_t backend) {
  size_t max_msgs = fit_msgs(backend, 5), count = 99, i;
  xipc_mq_attr_t attr = queue_attr(backend, max_msgs, 100), got;
  xipc_mq_t *a, *b;
  char name[64];
  attr.spin_us = 250;
  test_unique_name(name, sizeof name, "attr");
  a = create_queue(name, &attr);
  b = open_queue(name, backend);
  for (i = 0; i < 2; i++) {
    memset(&got, 0xAB, sizeof got);
    ASSERT_OK(xipc_mq_get_attr(i == 0 ? a : b, &got, &count));
    ASSERT_EQ(got.max_msgs, max_msgs);
    ASSERT_EQ(got.max_msg_size, 100);
    ASSERT_EQ(got.backend, backend);
    /* The shm queue keeps the spin it was made with (openers read it); the native one has none. */
    ASSERT_EQ(got.spin_us, backend == XIPC_MQ_SHM ? 250 : 0);
    ASSERT_EQ(count, 0);
  }
  send_text(a, "x", 0);
  send_text(a, "y", 31);
  send_text(b, "z", 5);
  ASSERT_EQ(queue_count(a), 3);
  ASSERT_EQ(queue_count(b), 3);
  expect_text(b, "y", 31);
  ASSERT_EQ(queue_count(a), 2);
  /* Either output may be left out. */
  ASSERT_OK(xipc_mq_get_attr(a, NULL, NULL));
  ASSERT_OK(xipc_mq_get_attr(a, &got, NULL));
  ASSERT_EQ(got.max_msg_size, 100);
  while (queue_count(a) < max_msgs)
    send_text(a, "fill", 1);
  ASSERT_ERR(xipc_mq_send(a, "over", 4, 1, 0), XIPC_EAGAIN);
  ASSERT_EQ(queue_count(b), max_msgs);
  ASSERT_OK(xipc_mq_close(b));
  destroy_queue(a, name);
}

TEST_IMPL(mq, get_attr_reports_sizes_and_count) {
  run_on_all_backends("mq.get_attr_reports_sizes_and_count", get_attr_reports_sizes_and_count_on);
}

static void unlink_while_open_on(xipc_mq_backend_t backend) {
  xipc_mq_attr_t attr = queue_attr(backend, 4, 32);
  xipc_mq_t *a, *b, *c = NULL;
  char name[64];
  test_unique_name(name, sizeof name, "unlink");
  a = create_queue(name, &attr);
  b = open_queue(name, backend);
  send_text(a, "before", 1);
  ASSERT_OK(xipc_mq_unlink(name));
  if (names_persist()) {
    /* The name is gone at once; the handles keep the queue. */
    ASSERT_ERR(xipc_mq_open(&c, name, backend), XIPC_ENOENT);
    ASSERT_NULL(c);
    ASSERT_ERR(xipc_mq_unlink(name), XIPC_ENOENT);
    expect_text(b, "before", 1);
    send_text(b, "after", 2);
    expect_text(a, "after", 2);
    /* A new queue under the old name is another queue. */
    send_text(a, "old queue", 1);
    c = create_queue(name, &attr);
    ASSERT_EQ(queue_count(c), 0);
    send_text(c, "new queue", 1);
    ASSERT_EQ(queue_count(b), 1);
    expect_text(b, "old queue", 1);
    expect_text(c, "new queue", 1);
    destroy_queue(c, name);
  } else {
    /* Windows: nothing to remove; the queue and its name live while a handle does. */
    c = open_queue(name, backend);
    expect_text(c, "before", 1);
    ASSERT_OK(xipc_mq_close(c));
    c = (xipc_mq_t *)&c;
    ASSERT_ERR(xipc_mq_create(&c, name, &attr), XIPC_EEXIST);
    ASSERT_NULL(c);
  }
  ASSERT_OK(xipc_mq_close(b));
  ASSERT_OK(xipc_mq_close(a));
  /* Closed everywhere: no trace under the name on any system. */
  ASSERT_ERR(xipc_mq_open(&c, name, backend), XIPC_ENOENT);
}

TEST_IMPL(mq, unlink_while_open) {
  run_on_all_backends("mq.unlink_while_open", unlink_while_open_on);
}

/* ---- Sizes and priorities ---------------------------------------------- */

/*
 * All 32 priorities, PRIO_COPIES messages each, sent in a shuffled order in
 * batches as large as the queue holds (all at once on the shm queue): each
 * batch comes out highest priority first, in sending order within one.
 */
static void priority_then_fifo_on(xipc_mq_backend_t backend) {
  enum { TOTAL = XIPC_MQ_PRIO_MAX * PRIO_COPIES };
  size_t cap = fit_msgs(backend, TOTAL), done, i, j;
  uint32_t order[TOTAL], seed = random_seed(), rnd = seed;
  unsigned char buf[64];
  xipc_mq_t *mq;
  char name[64];
  mq = new_queue(name, "prio", backend, cap, sizeof buf);
  for (i = 0; i < TOTAL; i++)
    order[i] = (uint32_t)i;
  for (i = TOTAL - 1; i > 0; i--) {
    size_t k = next_random(&rnd) % (i + 1);
    uint32_t t = order[i];
    order[i] = order[k];
    order[k] = t;
  }
  for (done = 0; done < TOTAL; done += cap) {
    size_t batch = TOTAL - done < cap ? TOTAL - done : cap;
    uint32_t *sent = order + done;
    for (i = 0; i < batch; i++) {
      make_msg(buf, 0, sent[i], sent[i] % XIPC_MQ_PRIO_MAX, sizeof buf);
      ASSERT_OK(xipc_mq_send(mq, buf, sizeof buf, sent[i] % XIPC_MQ_PRIO_MAX, 0));
    }
    /* The expected order: a stable sort of the batch by falling priority. */
    for (i = 1; i < batch; i++) {
      uint32_t t = sent[i];
      for (j = i; j > 0 && sent[j - 1] % XIPC_MQ_PRIO_MAX < t % XIPC_MQ_PRIO_MAX; j--)
        sent[j] = sent[j - 1];
      sent[j] = t;
    }
    for (i = 0; i < batch; i++) {
      msg_head_t h;
      unsigned prio = 99;
      int n = xipc_mq_recv(mq, buf, sizeof buf, &prio, 0);
      if (!msg_ok(buf, n, &h) || h.seq != sent[i] || prio != h.prio)
        test_fail(__FILE__, __LINE__,
                  "batch at %zu, message %zu (seed %u): got %d bytes, message %u at priority %u; "
                  "expected message %u at priority %u",
                  done, i, seed, n, n >= (int)sizeof h ? h.seq : 0u, prio, sent[i],
                  sent[i] % XIPC_MQ_PRIO_MAX);
    }
    ASSERT_EQ(queue_count(mq), 0);
  }
  printf("%d messages over %d priorities in batches of %zu came out in order\n", TOTAL,
         XIPC_MQ_PRIO_MAX, cap);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, priority_then_fifo) {
  run_on_all_backends("mq.priority_then_fifo", priority_then_fifo_on);
}

/* A message the model knows: its id (the pattern seed), length and priority. */
typedef struct model_msg {
  uint32_t id;
  uint32_t len;
  unsigned prio;
} model_msg_t;

/*
 * MODEL_OPS random sends (random sizes, 0 included, and priorities, few of
 * them so that they repeat), receives and counts, each checked against a
 * model: a list in sending order whose next message is the first one of the
 * highest priority. Full and empty queues answer XIPC_EAGAIN.
 */
static void matches_model_on(xipc_mq_backend_t backend) {
  enum { MODEL_MAX_SIZE = 200 };
  size_t cap = fit_msgs(backend, 16), pending = 0, i;
  model_msg_t model[16];
  unsigned char buf[MODEL_MAX_SIZE], expected[MODEL_MAX_SIZE];
  uint32_t seed = random_seed(), rnd = seed, next_id = 1;
  int op, sends = 0, recvs = 0, full = 0, empty = 0;
  xipc_mq_t *mq;
  char name[64];
  mq = new_queue(name, "model", backend, cap, MODEL_MAX_SIZE);
  for (op = 0; op < MODEL_OPS; op++) {
    uint32_t r = next_random(&rnd) % 100;
    if (r < 48) {
      model_msg_t m;
      int rc;
      m.id = next_id++;
      m.len = next_random(&rnd) % 8 == 0 ? 0 : next_random(&rnd) % (MODEL_MAX_SIZE + 1);
      m.prio =
          next_random(&rnd) % 4 == 0 ? next_random(&rnd) % XIPC_MQ_PRIO_MAX : next_random(&rnd) % 3;
      test_fill_pattern(buf, m.len, m.id, 0);
      rc = xipc_mq_send(mq, buf, m.len, m.prio, 0);
      if (pending == cap) {
        if (rc != XIPC_EAGAIN)
          test_fail(__FILE__, __LINE__, "op %d (seed %u): send to a full queue gave %s", op, seed,
                    xipc_err_name(rc));
        full++;
      } else {
        if (rc != 0)
          test_fail(__FILE__, __LINE__, "op %d (seed %u): send: %s", op, seed, xipc_err_name(rc));
        model[pending++] = m;
        sends++;
      }
    } else if (r < 96) {
      unsigned prio = 99;
      int n = xipc_mq_recv(mq, buf, sizeof buf, &prio, 0);
      if (pending == 0) {
        if (n != XIPC_EAGAIN)
          test_fail(__FILE__, __LINE__, "op %d (seed %u): receive from an empty queue gave %d", op,
                    seed, n);
        empty++;
      } else {
        size_t next = 0;
        for (i = 1; i < pending; i++) {
          if (model[i].prio > model[next].prio)
            next = i;
        }
        test_fill_pattern(expected, model[next].len, model[next].id, 0);
        if (n != (int)model[next].len || prio != model[next].prio ||
            memcmp(buf, expected, model[next].len) != 0)
          test_fail(__FILE__, __LINE__,
                    "op %d (seed %u): received %d bytes at priority %u; expected message %u, %u "
                    "bytes at priority %u",
                    op, seed, n, prio, model[next].id, model[next].len, model[next].prio);
        memmove(&model[next], &model[next + 1], (pending - next - 1) * sizeof model[0]);
        pending--;
        recvs++;
      }
    } else if (queue_count(mq) != pending) {
      test_fail(__FILE__, __LINE__, "op %d (seed %u): count %zu, the model holds %zu", op, seed,
                queue_count(mq), pending);
    }
  }
  printf("%d operations (seed %u): %d sends, %d receives, %d refused full, %d refused empty\n",
         MODEL_OPS, seed, sends, recvs, full, empty);
  ASSERT_GT(full, 0);
  ASSERT_GT(empty, 0);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, matches_model) {
  run_on_all_backends("mq.matches_model", matches_model_on);
}

static void zero_length_messages_on(xipc_mq_backend_t backend) {
  unsigned char buf[32];
  unsigned prio = 99;
  xipc_mq_t *mq;
  char name[64];
  mq = new_queue(name, "empty", backend, fit_msgs(backend, 8), sizeof buf);
  /* No buffer is needed for nothing. */
  ASSERT_OK(xipc_mq_send(mq, NULL, 0, 5, 0));
  send_text(mq, "x", 5);
  ASSERT_OK(xipc_mq_send(mq, buf, 0, 5, 0));
  ASSERT_OK(xipc_mq_send(mq, NULL, 0, 9, 0));
  ASSERT_EQ(queue_count(mq), 4);
  memset(buf, 0xAA, sizeof buf);
  ASSERT_EQ(xipc_mq_recv(mq, buf, sizeof buf, &prio, 0), 0);
  ASSERT_EQ(prio, 9);
  ASSERT_EQ(xipc_mq_recv(mq, buf, sizeof buf, &prio, 0), 0);
  ASSERT_EQ(prio, 5);
  ASSERT_EQ(buf[0], 0xAA); /* nothing written for an empty message */
  expect_text(mq, "x", 5);
  ASSERT_EQ(xipc_mq_recv(mq, buf, sizeof buf, NULL, 0), 0);
  ASSERT_EQ(queue_count(mq), 0);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, zero_length_messages) {
  run_on_all_backends("mq.zero_length_messages", zero_length_messages_on);
}

/* Send and receive one message of exactly `size` bytes through a queue made for `size`. */
static void largest_roundtrip(xipc_mq_backend_t backend, size_t max_msgs, size_t size) {
  unsigned char *buf = checked_malloc(size + 16), *back = checked_malloc(size + 16);
  unsigned prio = 99;
  xipc_mq_t *mq;
  char name[64];
  mq = new_queue(name, "large", backend, max_msgs, size);
  test_fill_pattern(buf, size, (uint32_t)size, 0);
  ASSERT_OK(xipc_mq_send(mq, buf, size, 30, 0));
  ASSERT_OK(xipc_mq_send(mq, buf, size, 30, 0));
  /* A buffer of exactly max_msg_size holds it, a larger one too. */
  ASSERT_EQ(xipc_mq_recv(mq, back, size, &prio, 0), (int)size);
  ASSERT_EQ(prio, 30);
  ASSERT_TRUE(memcmp(buf, back, size) == 0);
  memset(back, 0, size);
  ASSERT_EQ(xipc_mq_recv(mq, back, size + 16, &prio, 0), (int)size);
  ASSERT_TRUE(memcmp(buf, back, size) == 0);
  destroy_queue(mq, name);
  free(buf);
  free(back);
}

static void largest_message_on(xipc_mq_backend_t backend) {
  largest_roundtrip(backend, 2, fit_size(backend, 65536));
  if (backend == XIPC_MQ_SHM)
    largest_roundtrip(backend, 2, XIPC_MQ_SHM_MAX_MSG_SIZE);
  printf("largest message: %zu bytes\n",
         backend == XIPC_MQ_SHM ? (size_t)XIPC_MQ_SHM_MAX_MSG_SIZE : fit_size(backend, 65536));
}

TEST_IMPL(mq, largest_message) {
  run_on_all_backends("mq.largest_message", largest_message_on);
}

static void send_too_large_on(xipc_mq_backend_t backend) {
  unsigned char buf[128];
  xipc_mq_t *mq;
  char name[64];
  size_t i;
  memset(buf, 'L', sizeof buf);
  mq = new_queue(name, "big", backend, 2, 64);
  ASSERT_ARG_ERR(xipc_mq_send(mq, buf, 65, 0, 0), XIPC_EMSGSIZE);
  ASSERT_ARG_ERR(xipc_mq_send(mq, buf, sizeof buf, 0, test_timeout(WAIT_MS)), XIPC_EMSGSIZE);
  ASSERT_ARG_ERR(xipc_mq_send(mq, buf, SIZE_MAX, 0, -1), XIPC_EMSGSIZE);
  ASSERT_EQ(queue_count(mq), 0);
  /* Full: still refused at once for its size, not made to wait for space. */
  for (i = 0; i < 2; i++)
    ASSERT_OK(xipc_mq_send(mq, buf, 64, 0, 0));
  ASSERT_ARG_ERR(xipc_mq_send(mq, buf, 65, 0, -1), XIPC_EMSGSIZE);
  ASSERT_EQ(queue_count(mq), 2);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, send_too_large) {
  run_on_all_backends("mq.send_too_large", send_too_large_on);
}

/* cap < max_msg_size: refused whatever the message's length, and nothing is taken. */
static void recv_buffer_too_small_on(xipc_mq_backend_t backend) {
  char buf[64];
  uint64_t start;
  xipc_mq_t *mq;
  char name[64];
  mq = new_queue(name, "small", backend, 2, sizeof buf);
  /* Empty: refused at once even with an endless timeout, not after a wait. */
  start = xipc_time_ns();
  ASSERT_ARG_ERR(xipc_mq_recv(mq, buf, sizeof buf - 1, NULL, -1), XIPC_EMSGSIZE);
  ASSERT_LT(elapsed_ms_since(start), test_timeout(QUICK_MS));
  send_text(mq, "keep me", 4);
  ASSERT_ARG_ERR(xipc_mq_recv(mq, buf, sizeof buf - 1, NULL, 0), XIPC_EMSGSIZE);
  ASSERT_ARG_ERR(xipc_mq_recv(mq, buf, 7, NULL, 0), XIPC_EMSGSIZE); /* the message would fit */
  ASSERT_ARG_ERR(xipc_mq_recv(mq, buf, 0, NULL, test_timeout(WAIT_MS)), XIPC_EMSGSIZE);
  ASSERT_EQ(queue_count(mq), 1);
  expect_text(mq, "keep me", 4);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, recv_buffer_too_small) {
  run_on_all_backends("mq.recv_buffer_too_small", recv_buffer_too_small_on);
}

static void priority_out_of_range_on(xipc_mq_backend_t backend) {
  xipc_mq_t *mq;
  char name[64];
  mq = new_queue(name, "prio", backend, 2, 16);
  ASSERT_ARG_ERR(xipc_mq_send(mq, "x", 1, XIPC_MQ_PRIO_MAX, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_mq_send(mq, "x", 1, 1000, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_mq_send(mq, "x", 1, UINT_MAX, -1), XIPC_EINVAL);
  ASSERT_EQ(queue_count(mq), 0);
  send_text(mq, "lowest", 0);
  send_text(mq, "highest", XIPC_MQ_PRIO_MAX - 1);
  expect_text(mq, "highest", XIPC_MQ_PRIO_MAX - 1);
  expect_text(mq, "lowest", 0);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, priority_out_of_range) {
  run_on_all_backends("mq.priority_out_of_range", priority_out_of_range_on);
}

/* ---- Timeouts ------------------------------------------------------------ */

/* Fill the queue to its capacity with "fill-<i>" at priority 3. */
static size_t fill_queue(xipc_mq_t *mq) {
  size_t cap = queue_attr_of(mq).max_msgs, i;
  for (i = 0; i < cap; i++) {
    char text[32];
    snprintf(text, sizeof text, "fill-%zu", i);
    ASSERT_OK(xipc_mq_send(mq, text, strlen(text), 3, 0));
  }
  return cap;
}

static void timeout_zero_on(xipc_mq_backend_t backend) {
  char buf[32];
  uint64_t start;
  xipc_mq_t *mq;
  char name[64];
  size_t cap;
  mq = new_queue(name, "t0", backend, fit_msgs(backend, 3), sizeof buf);
  start = xipc_time_ns();
  ASSERT_ERR(xipc_mq_recv(mq, buf, sizeof buf, NULL, 0), XIPC_EAGAIN);
  ASSERT_LT(elapsed_ms_since(start), test_timeout(QUICK_MS));
  cap = fill_queue(mq);
  start = xipc_time_ns();
  ASSERT_ERR(xipc_mq_send(mq, "more", 4, 31, 0), XIPC_EAGAIN);
  ASSERT_LT(elapsed_ms_since(start), test_timeout(QUICK_MS));
  ASSERT_EQ(queue_count(mq), cap);
  expect_text(mq, "fill-0", 3);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, timeout_zero) {
  run_on_all_backends("mq.timeout_zero", timeout_zero_on);
}

static void timeout_50ms_on(xipc_mq_backend_t backend) {
  char buf[32];
  uint64_t start;
  xipc_mq_t *mq;
  char name[64];
  mq = new_queue(name, "t50", backend, fit_msgs(backend, 3), sizeof buf);
  start = xipc_time_ns();
  ASSERT_ERR(xipc_mq_recv(mq, buf, sizeof buf, NULL, 50), XIPC_ETIMEDOUT);
  ASSERT_GE(elapsed_ms_since(start), 50);
  ASSERT_LT(elapsed_ms_since(start), 50 + test_timeout(2000));
  fill_queue(mq);
  start = xipc_time_ns();
  ASSERT_ERR(xipc_mq_send(mq, "more", 4, 31, 50), XIPC_ETIMEDOUT);
  ASSERT_GE(elapsed_ms_since(start), 50);
  ASSERT_LT(elapsed_ms_since(start), 50 + test_timeout(2000));
  /* The timed-out send left nothing behind. */
  ASSERT_EQ(queue_count(mq), queue_attr_of(mq).max_msgs);
  expect_text(mq, "fill-0", 3);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, timeout_50ms) {
  run_on_all_backends("mq.timeout_50ms", timeout_50ms_on);
}

/* A receiver waiting for ever, and one with a long timeout, wake when a child sends. */
static void recv_woken_by_sender_process_on(xipc_mq_backend_t backend) {
  const char *label = backend_label(backend);
  xipc_process_t *proc;
  uint64_t start;
  xipc_mq_t *mq;
  char name[64];
  mq = new_queue(name, "wake", backend, 4, 32);
  start = xipc_time_ns(); /* before the helper starts: its 200 ms cannot have begun earlier */
  proc = helper_start("mq_send_later", name, label, "200", "10000", "late", "9", NULL);
  expect_text_within(mq, "late", 9, -1);
  ASSERT_GE(elapsed_ms_since(start), 150);
  helper_expect_exit(proc, 0);
  start = xipc_time_ns();
  proc = helper_start("mq_send_later", name, label, "200", "10000", "later", "1", NULL);
  expect_text(mq, "later", 1);
  ASSERT_GE(elapsed_ms_since(start), 150);
  ASSERT_LT(elapsed_ms_since(start), test_timeout(WAIT_MS) / 2);
  helper_expect_exit(proc, 0);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, recv_woken_by_sender_process) {
  run_on_all_backends("mq.recv_woken_by_sender_process", recv_woken_by_sender_process_on);
}

/* A full queue holds a sender (timeout -1) until a receiver in another process takes one. */
static void send_blocks_while_full_on(xipc_mq_backend_t backend) {
  xipc_process_t *proc;
  uint64_t start;
  xipc_mq_t *mq;
  char name[64];
  size_t cap, i;
  mq = new_queue(name, "full", backend, fit_msgs(backend, 2), 32);
  cap = fill_queue(mq);
  start = xipc_time_ns();
  proc = helper_start("mq_recv_expect", name, backend_label(backend), "200", "10000", "fill-0", "3",
                      NULL);
  ASSERT_OK(xipc_mq_send(mq, "waited", 6, 3, -1));
  ASSERT_GE(elapsed_ms_since(start), 150);
  helper_expect_exit(proc, 0);
  ASSERT_EQ(queue_count(mq), cap);
  for (i = 1; i < cap; i++) {
    char text[32];
    snprintf(text, sizeof text, "fill-%zu", i);
    expect_text(mq, text, 3);
  }
  expect_text(mq, "waited", 3);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, send_blocks_while_full) {
  run_on_all_backends("mq.send_blocks_while_full", send_blocks_while_full_on);
}

/* The other way round: the child waits for ever, in receive and in send, and this process wakes it.
 */
static void child_waits_forever_on(xipc_mq_backend_t backend) {
  const char *label = backend_label(backend);
  xipc_process_t *proc;
  xipc_mq_t *mq;
  char name[64];
  size_t cap;
  mq = new_queue(name, "child", backend, fit_msgs(backend, 2), 32);
  proc = helper_start("mq_recv_expect", name, label, "0", "-1", "wake up", "4", NULL);
  xipc_sleep_ms(200); /* long enough for the child to be waiting */
  send_text(mq, "wake up", 4);
  helper_expect_exit(proc, 0);
  cap = fill_queue(mq);
  proc = helper_start("mq_send_later", name, label, "0", "-1", "let me in", "30", NULL);
  xipc_sleep_ms(200);
  ASSERT_EQ(queue_count(mq), cap); /* the child is still waiting for space */
  expect_text(mq, "fill-0", 3);
  helper_expect_exit(proc, 0);
  expect_text(mq, "let me in", 30);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, child_waits_forever) {
  run_on_all_backends("mq.child_waits_forever", child_waits_forever_on);
}

/* ---- Invalid arguments and names ----------------------------------------- */

static void invalid_arguments_on(xipc_mq_backend_t backend) {
  xipc_mq_attr_t attr = queue_attr(backend, 2, 16), got;
  xipc_mq_t *mq, *out = (xipc_mq_t *)&out;
  char name[64], other[64], buf[16];
  size_t count;
  mq = new_queue(name, "args", backend, 2, sizeof buf);
  test_unique_name(other, sizeof other, "never");

  ASSERT_ARG_ERR(xipc_mq_create(NULL, other, &attr), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_mq_create(&out, NULL, &attr), XIPC_EINVAL);
  ASSERT_NULL(out);
  out = (xipc_mq_t *)&out;
  ASSERT_ARG_ERR(xipc_mq_create(&out, other, NULL), XIPC_EINVAL);
  ASSERT_NULL(out);
  ASSERT_ARG_ERR(xipc_mq_open(NULL, name, backend), XIPC_EINVAL);
  out = (xipc_mq_t *)&out;
  ASSERT_ARG_ERR(xipc_mq_open(&out, NULL, backend), XIPC_EINVAL);
  ASSERT_NULL(out);
  ASSERT_ARG_ERR(xipc_mq_open(&out, name, (xipc_mq_backend_t)3), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_mq_open(&out, name, (xipc_mq_backend_t)-1), XIPC_EINVAL);
  ASSERT_NULL(out);

  ASSERT_ARG_ERR(xipc_mq_send(NULL, "x", 1, 0, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_mq_send(mq, NULL, 1, 0, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_mq_send(mq, "x", 1, 0, -2), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_mq_send(mq, "x", 1, 0, INT_MIN), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_mq_recv(NULL, buf, sizeof buf, NULL, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_mq_recv(mq, NULL, sizeof buf, NULL, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_mq_recv(mq, buf, sizeof buf, NULL, -2), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_mq_recv(mq, buf, sizeof buf, NULL, -1000), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_mq_get_attr(NULL, &got, &count), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_mq_unlink(NULL), XIPC_EINVAL);

  /* Nothing was created, sent or taken by the refused calls. */
  ASSERT_ERR(xipc_mq_open(&out, other, XIPC_MQ_DEFAULT), XIPC_ENOENT);
  ASSERT_EQ(queue_count(mq), 0);
  send_text(mq, "still fine", 1);
  expect_text(mq, "still fine", 1);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, invalid_arguments) {
  run_on_all_backends("mq.invalid_arguments", invalid_arguments_on);
}

/* Create refuses attr with XIPC_EINVAL, found by xipc itself, and leaves no queue behind. */
static void expect_attr_refused(const char *name, xipc_mq_attr_t attr, const char *what) {
  xipc_mq_t *mq = (xipc_mq_t *)&mq;
  int rc;
  test_prime_os_error();
  rc = xipc_mq_create(&mq, name, &attr);
  if (rc != XIPC_EINVAL || xipc_last_os_error() != 0)
    test_fail(__FILE__, __LINE__, "create with %s: %s (OS error %d), expected XIPC_EINVAL", what,
              xipc_err_name(rc), xipc_last_os_error());
  ASSERT_NULL(mq);
  ASSERT_ERR(xipc_mq_open(&mq, name, XIPC_MQ_DEFAULT), XIPC_ENOENT);
}

static void invalid_attributes_on(xipc_mq_backend_t backend) {
  xipc_mq_attr_t attr;
  xipc_mq_t *mq;
  char name[64];
  test_unique_name(name, sizeof name, "attr");
  expect_attr_refused(name, queue_attr(backend, 0, 16), "max_msgs 0");
  expect_attr_refused(name, queue_attr(backend, 4, 0), "max_msg_size 0");
  expect_attr_refused(name, queue_attr(backend, 0, 0), "both sizes 0");
  attr = queue_attr(backend, 4, 16);
  attr.backend = (xipc_mq_backend_t)3;
  expect_attr_refused(name, attr, "backend 3");
  attr.backend = (xipc_mq_backend_t)-1;
  expect_attr_refused(name, attr, "backend -1");
  if (backend != XIPC_MQ_SHM)
    return; /* the native queue's limits are the system's: mq.native_create_over_limit */
  expect_attr_refused(name, queue_attr(backend, XIPC_MQ_SHM_MAX_MSGS + 1, 16),
                      "max_msgs above XIPC_MQ_SHM_MAX_MSGS");
  expect_attr_refused(name, queue_attr(backend, 2, XIPC_MQ_SHM_MAX_MSG_SIZE + 1),
                      "max_msg_size above XIPC_MQ_SHM_MAX_MSG_SIZE");
  expect_attr_refused(name, queue_attr(backend, SIZE_MAX, SIZE_MAX), "SIZE_MAX sizes");
  /* Each limit alone is fine, both at once would be a 64 GiB segment: refused, not attempted. */
  expect_attr_refused(name, queue_attr(backend, XIPC_MQ_SHM_MAX_MSGS, XIPC_MQ_SHM_MAX_MSG_SIZE),
                      "both limits at once");
  attr = queue_attr(backend, 2, 16);
  attr.spin_us = -2;
  expect_attr_refused(name, attr, "spin_us -2");
  attr.spin_us = XIPC_MQ_SPIN_MAX_US + 1;
  expect_attr_refused(name, attr, "spin_us above XIPC_MQ_SPIN_MAX_US");
  attr.spin_us = INT_MIN;
  expect_attr_refused(name, attr, "spin_us INT_MIN");
  /* The limits themselves are accepted. */
  attr = queue_attr(backend, XIPC_MQ_SHM_MAX_MSGS, 1);
  attr.spin_us = XIPC_MQ_SPIN_MAX_US;
  mq = create_queue(name, &attr);
  ASSERT_EQ(queue_attr_of(mq).max_msgs, XIPC_MQ_SHM_MAX_MSGS);
  ASSERT_EQ(queue_attr_of(mq).spin_us, XIPC_MQ_SPIN_MAX_US);
  destroy_queue(mq, name);
  attr.spin_us = -1;
  mq = create_queue(name, &attr);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, invalid_attributes) {
  run_on_all_backends("mq.invalid_attributes", invalid_attributes_on);
}

static void invalid_names_on(xipc_mq_backend_t backend) {
  static const char *const bad[] = {"",       "a/b",       "a\\b",   "..",         ".hidden",
                                    "sp ace", "tab\there", "colon:", "caf\xc3\xa9"};
  xipc_mq_attr_t attr = queue_attr(backend, 1, 8);
  char too_long[XIPC_NAME_MAX + 2], longest[XIPC_NAME_MAX + 1];
  xipc_mq_t *mq = (xipc_mq_t *)&mq;
  size_t i;
  for (i = 0; i < ARRAY_SIZE(bad); i++) {
    ASSERT_ARG_ERR(xipc_mq_create(&mq, bad[i], &attr), XIPC_EINVAL);
    ASSERT_NULL(mq);
    mq = (xipc_mq_t *)&mq;
    ASSERT_ARG_ERR(xipc_mq_open(&mq, bad[i], backend), XIPC_EINVAL);
    ASSERT_NULL(mq);
    ASSERT_ARG_ERR(xipc_mq_unlink(bad[i]), XIPC_EINVAL);
  }
  memset(too_long, 'n', sizeof too_long - 1);
  too_long[sizeof too_long - 1] = '\0';
  ASSERT_ARG_ERR(xipc_mq_create(&mq, too_long, &attr), XIPC_ENAMETOOLONG);
  ASSERT_ARG_ERR(xipc_mq_open(&mq, too_long, backend), XIPC_ENAMETOOLONG);
  ASSERT_ARG_ERR(xipc_mq_unlink(too_long), XIPC_ENAMETOOLONG);
  /* The longest portable name works. */
  test_unique_name(longest, sizeof longest, "long");
  memset(longest + strlen(longest), 'n', sizeof longest - 1 - strlen(longest));
  longest[sizeof longest - 1] = '\0';
  mq = create_queue(longest, &attr);
  send_text(mq, "long", 1);
  expect_text(mq, "long", 1);
  destroy_queue(mq, longest);
}

TEST_IMPL(mq, invalid_names) {
  run_on_all_backends("mq.invalid_names", invalid_names_on);
}

/* ---- Processes ------------------------------------------------------------ */

/*
 * RACE_ROUNDS times, under a fresh name: a child keeps opening the queue
 * while this process creates it. The child sees no queue (XIPC_ENOENT, or
 * XIPC_EAGAIN while the segment is being sized) and then one that works:
 * never a half-made one (XIPC_EIO, a crash, a message lost).
 */
static void open_during_create_on(xipc_mq_backend_t backend) {
  xipc_mq_attr_t attr = queue_attr(backend, 2, 16);
  xipc_shm_t *shm;
  mq_state_t *st = NULL;
  char name[64], state_name[64], round_arg[16];
  uint32_t rnd = random_seed();
  int64_t start = test_now_ms();
  int round;
  st = create_state(&shm, state_name);
  for (round = 1; round <= RACE_ROUNDS; round++) {
    xipc_process_t *proc;
    xipc_mq_t *mq;
    test_unique_name(name, sizeof name, "race");
    snprintf(round_arg, sizeof round_arg, "%d", round);
    proc = helper_start("mq_open_race", name, backend_label(backend), state_name, round_arg, NULL);
    wait_for_word(&st->flag, (uint32_t)round, proc, "started opening");
    if (next_random(&rnd) % 2)
      busy_wait_us(next_random(&rnd) % 2000);
    mq = create_queue(name, &attr);
    expect_text(mq, "opened", 1);
    helper_expect_exit(proc, 0);
    destroy_queue(mq, name);
  }
  printf("%d creates raced by an opener: each opener got a working queue (%lld ms)\n", RACE_ROUNDS,
         (long long)(test_now_ms() - start));
  destroy_state(shm, state_name);
}

TEST_IMPL(mq, open_during_create) {
  run_on_all_backends("mq.open_during_create", open_during_create_on);
}

/* PING_PONG_ROUNDS round trips with a child, with the given spin (the native queue ignores it). */
static void ping_pong(xipc_mq_backend_t backend, int spin_us) {
  xipc_mq_attr_t attr = queue_attr(backend, fit_msgs(backend, 8), 64);
  xipc_process_t *proc;
  xipc_mq_t *ping, *pong;
  char ping_name[64], pong_name[64], rounds[16];
  uint64_t start;
  uint32_t i;
  attr.spin_us = spin_us;
  test_unique_name(ping_name, sizeof ping_name, "ping");
  test_unique_name(pong_name, sizeof pong_name, "pong");
  ping = create_queue(ping_name, &attr);
  pong = create_queue(pong_name, &attr);
  snprintf(rounds, sizeof rounds, "%d", PING_PONG_ROUNDS);
  proc = helper_start("mq_pong", ping_name, pong_name, backend_label(backend), rounds, NULL);
  start = xipc_time_ns();
  for (i = 0; i < PING_PONG_ROUNDS; i++) {
    unsigned char buf[64];
    unsigned prio = 99;
    int n;
    make_msg(buf, 1, i, i % XIPC_MQ_PRIO_MAX, 32);
    ASSERT_OK(xipc_mq_send(ping, buf, 32, i % XIPC_MQ_PRIO_MAX, test_timeout(WAIT_MS)));
    n = xipc_mq_recv(pong, buf, sizeof buf, &prio, test_timeout(WAIT_MS));
    if (n != 32 || prio != i % XIPC_MQ_PRIO_MAX)
      test_fail(__FILE__, __LINE__, "round trip %u: got %d (%s) at priority %u", i, n,
                n < 0 ? xipc_err_name(n) : "bytes", prio);
    {
      msg_head_t h;
      ASSERT_TRUE(msg_ok(buf, n, &h));
      ASSERT_EQ(h.seq, i);
    }
  }
  printf("%s queue, spin_us %d: %d round trips with a child process, %.1f us each\n",
         backend_label(backend), spin_us, PING_PONG_ROUNDS,
         (double)(xipc_time_ns() - start) / 1000.0 / PING_PONG_ROUNDS);
  helper_expect_exit(proc, 0);
  destroy_queue(ping, ping_name);
  destroy_queue(pong, pong_name);
}

static void ping_pong_never_spin_on(xipc_mq_backend_t backend) {
  ping_pong(backend, -1);
}

static void ping_pong_default_spin_on(xipc_mq_backend_t backend) {
  ping_pong(backend, 0);
}

TEST_IMPL(mq, ping_pong_never_spin) {
  run_on_all_backends("mq.ping_pong_never_spin", ping_pong_never_spin_on);
}

TEST_IMPL(mq, ping_pong_default_spin) {
  run_on_all_backends("mq.ping_pong_default_spin", ping_pong_default_spin_on);
}

/*
 * No descriptor or handle of a queue reaches a child, with queues of every
 * backend open at once: POSIX checks every descriptor (close-on-exec; a
 * child holds only its three); on Windows a child started while the queues
 * were open must not keep them alive after the last handle here closes (a
 * queue of the same name can then be created again).
 */
TEST_IMPL(mq, handles_not_inherited) {
  static const xipc_mq_backend_t all[] = {XIPC_MQ_SHM, XIPC_MQ_NATIVE};
  xipc_mq_t *created[ARRAY_SIZE(all)], *opened[ARRAY_SIZE(all)];
  char names[ARRAY_SIZE(all)][64], probe[64];
  bool present[ARRAY_SIZE(all)];
  xipc_process_t *sleeper;
  size_t i;
  int fd;
  for (i = 0; i < ARRAY_SIZE(all); i++) {
    present[i] = backend_present(all[i]);
    if (!present[i])
      continue;
    created[i] = new_queue(names[i], "inh", all[i], 2, 16);
    opened[i] = open_queue(names[i], all[i]);
    printf("mq.handles_not_inherited: %s queue open\n", backend_label(all[i]));
  }
  fd = test_os_first_inheritable_fd();
  if (fd >= 0)
    test_fail(__FILE__, __LINE__, "descriptor %d is not close-on-exec", fd);
  test_os_make_inheritable_probe(probe, sizeof probe);
  helper_expect_exit(helper_start("check_no_leak", probe, NULL), 0);
  sleeper = helper_start("sleep_ms", "20000", NULL);
  for (i = 0; i < ARRAY_SIZE(all); i++) {
    if (!present[i])
      continue;
    ASSERT_OK(xipc_mq_close(opened[i]));
    destroy_queue(created[i], names[i]);
    helper_expect_exit(helper_start("mq_try_create", names[i], backend_label(all[i]), NULL), 0);
    ASSERT_OK(xipc_mq_unlink(names[i]));
  }
  kill_and_reap(sleeper, "sleep_ms");
}

/* Owner-only whatever the umask: 0600 and ours on POSIX; an owner-only DACL on Windows. */
static void private_by_default_on(xipc_mq_backend_t backend) {
  static const int masks[] = {0, 022, 077};
  char name[64], native[XIPC_NATIVE_NAME_MAX];
  size_t i;
  for (i = 0; i < ARRAY_SIZE(masks); i++) {
    int old = test_os_set_umask(masks[i]), mode = -1;
    bool checked = false, private_ = true;
    xipc_mq_t *mq = new_queue(name, "perm", backend, 1, 8);
    test_os_set_umask(old);
    ASSERT_GT(xipc_name_native(XIPC_KIND_MQ, name, native, sizeof native), 0);
    if (backend == XIPC_MQ_SHM) {
      private_ = test_os_shm_private(native, &checked);
    } else {
      mode = test_os_mq_mode(native);
      checked = mode >= 0;
      private_ = mode == 0600;
    }
    destroy_queue(mq, name);
    if (!private_)
      test_fail(__FILE__, __LINE__, "%s queue created under umask %03o is not owner-only (mode %o)",
                backend_label(backend), masks[i], mode);
    if (!checked)
      SKIP("the %s queue's permissions cannot be read back here", backend_label(backend));
  }
}

TEST_IMPL(mq, private_by_default) {
  run_on_all_backends("mq.private_by_default", private_by_default_on);
}

/* ---- The native queue and programs without xipc ------------------------- */

static const unsigned plain_prios[] = {3, 0, 31, 3, 17, 0, 31, 5};

/* A program without xipc: plain mq_open()/mq_send() of "plain <i>" at plain_prios[i] to argv[0]. */
HELPER_IMPL(mq_plain_sender) {
  const char *texts[ARRAY_SIZE(plain_prios)];
  char storage[ARRAY_SIZE(plain_prios)][16];
  size_t i;
  if (argc != 1)
    return 100;
  for (i = 0; i < ARRAY_SIZE(plain_prios); i++) {
    snprintf(storage[i], sizeof storage[i], "plain %zu", i);
    texts[i] = storage[i];
  }
  return test_os_plain_mq_send(argv[0], texts, plain_prios, ARRAY_SIZE(plain_prios)) == 0 ? 0 : 1;
}

/* Messages from a plain POSIX program come out of xipc by priority, then in sending order. */
static void native_plain_sender_on(xipc_mq_backend_t backend) {
  char name[64], native[XIPC_NATIVE_NAME_MAX];
  size_t order[ARRAY_SIZE(plain_prios)], i, j;
  xipc_mq_t *mq = new_queue(name, "plain", backend, fit_msgs(backend, 8), 64);
  ASSERT_GT(xipc_name_native(XIPC_KIND_MQ, name, native, sizeof native), 0);
  helper_expect_exit(helper_start("mq_plain_sender", native, NULL), 0);
  ASSERT_EQ(queue_count(mq), ARRAY_SIZE(plain_prios));
  for (i = 0; i < ARRAY_SIZE(order); i++) {
    order[i] = i;
    for (j = i; j > 0 && plain_prios[order[j - 1]] < plain_prios[i]; j--)
      order[j] = order[j - 1];
    order[j] = i;
  }
  for (i = 0; i < ARRAY_SIZE(order); i++) {
    char text[16];
    snprintf(text, sizeof text, "plain %zu", order[i]);
    expect_text(mq, text, plain_prios[order[i]]);
  }
  destroy_queue(mq, name);
}

TEST_IMPL(mq, native_plain_sender) {
  run_on_backends("mq.native_plain_sender", native_plain_sender_on, XIPC_MQ_NATIVE,
                  "a program without xipc uses the system's queue, not xipc's");
}

/* The limits reported are the system's (Linux /proc/sys/fs/mqueue); XIPC_ENOTSUP where there are
 * no native queues, for every native call. */
TEST_IMPL(mq, native_limits) {
  xipc_mq_attr_t attr;
  xipc_mq_t *mq = (xipc_mq_t *)&mq;
  size_t max_msgs = 0, max_msg_size = 0, sys_msgs, sys_size;
  char name[64];
  int rc = xipc_mq_native_limits(&max_msgs, &max_msg_size);
  test_unique_name(name, sizeof name, "limits");
  if (rc == XIPC_ENOTSUP) {
    attr = queue_attr(XIPC_MQ_NATIVE, 1, 8);
    ASSERT_ERR(xipc_mq_create(&mq, name, &attr), XIPC_ENOTSUP);
    ASSERT_NULL(mq);
    ASSERT_ERR(xipc_mq_open(&mq, name, XIPC_MQ_NATIVE), XIPC_ENOTSUP);
    /* The default looks for the shm queue and does not mind the missing kind. */
    ASSERT_ERR(xipc_mq_open(&mq, name, XIPC_MQ_DEFAULT), XIPC_ENOENT);
    printf("no native queues here: xipc_mq_native_limits, create and open of XIPC_MQ_NATIVE "
           "give XIPC_ENOTSUP\n");
    return;
  }
  ASSERT_OK(rc);
  ASSERT_OK(xipc_mq_native_limits(NULL, NULL));
  printf("native limits: %zu messages of %zu bytes\n", max_msgs, max_msg_size);
  if (test_os_mq_sysctl_limits(&sys_msgs, &sys_size)) {
    ASSERT_EQ(max_msgs, sys_msgs);
    ASSERT_EQ(max_msg_size, sys_size);
  } else {
    printf("the system publishes no limits: xipc reports the POSIX minimums\n");
    ASSERT_GE(max_msgs, 1);
    ASSERT_GE(max_msg_size, 1);
  }
  /* A queue exactly at the limits is allowed. */
  attr = queue_attr(XIPC_MQ_NATIVE, max_msgs, max_msg_size);
  mq = create_queue(name, &attr);
  ASSERT_EQ(queue_attr_of(mq).max_msgs, max_msgs);
  ASSERT_EQ(queue_attr_of(mq).max_msg_size, max_msg_size);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, native_create_over_limit) {
  xipc_mq_attr_t attr;
  xipc_mq_t *mq = (xipc_mq_t *)&mq;
  size_t max_msgs, max_msg_size;
  char name[64];
  int rc = xipc_mq_native_limits(&max_msgs, &max_msg_size);
  if (rc == XIPC_ENOTSUP)
    SKIP("no native queues on this system (xipc_mq_native_limits: XIPC_ENOTSUP)");
  ASSERT_OK(rc);
  if (test_os_uid() == 0)
    SKIP("running as root: CAP_SYS_RESOURCE lets root exceed the queue limits, so the refusal "
         "cannot be seen");
  test_unique_name(name, sizeof name, "over");
  attr = queue_attr(XIPC_MQ_NATIVE, max_msgs + 1, 16);
  ASSERT_ERR(xipc_mq_create(&mq, name, &attr), XIPC_EINVAL);
  ASSERT_NULL(mq);
  attr = queue_attr(XIPC_MQ_NATIVE, 1, max_msg_size + 1);
  ASSERT_ERR(xipc_mq_create(&mq, name, &attr), XIPC_EINVAL);
  ASSERT_NULL(mq);
  ASSERT_ERR(xipc_mq_open(&mq, name, XIPC_MQ_NATIVE), XIPC_ENOENT);
}

/* ---- Many producers and consumers ------------------------------------------ */

/* What consumer c found; seen[] counts follow the array of MPMC_CONSUMERS results. */
typedef struct mpmc_result {
  uint32_t received;
  uint32_t bad;          /* checksum, size or priority wrong, or an unknown sender */
  uint32_t out_of_order; /* a producer's message before an earlier one of the same priority */
  uint32_t reserved;
} mpmc_result_t;

/* Priority and length of message seq of producer p: every priority, every size, mixed. */
static unsigned mpmc_prio(uint32_t p, uint32_t seq) {
  return (seq * 7u + p * 13u + (seq >> 5)) % XIPC_MQ_PRIO_MAX;
}

static size_t mpmc_len(uint32_t p, uint32_t seq) {
  return sizeof(msg_head_t) + (seq * 31u + p * 17u) % (MPMC_MSG_SIZE - sizeof(msg_head_t) + 1);
}

/* Producer argv[2] sends messages 0 to argv[3] - 1 to queue argv[0] (backend argv[1]). */
HELPER_IMPL(mq_mpmc_producer) {
  unsigned char buf[MPMC_MSG_SIZE];
  xipc_mq_t *mq;
  uint32_t id, count, seq;
  int rc;
  if (argc != 4)
    return 100;
  if ((rc = helper_queue("mq_mpmc_producer", argv[0], argv[1], &mq)) != 0)
    return rc;
  id = (uint32_t)strtoul(argv[2], NULL, 10);
  count = (uint32_t)strtoul(argv[3], NULL, 10);
  for (seq = 0; seq < count; seq++) {
    size_t len = mpmc_len(id, seq);
    make_msg(buf, id, seq, mpmc_prio(id, seq), len);
    rc = xipc_mq_send(mq, buf, len, mpmc_prio(id, seq), test_timeout(WAIT_MS));
    if (rc < 0) {
      fprintf(stderr, "mq_mpmc_producer %u: message %u: %s\n", id, seq, xipc_err_name(rc));
      return 102;
    }
  }
  xipc_mq_close(mq);
  return 0;
}

/*
 * Consumer argv[3] of queue argv[0] (backend argv[1]) receives until a stop
 * message and records what it got in results segment argv[2], made for
 * argv[4] producers of argv[5] messages each.
 */
HELPER_IMPL(mq_mpmc_consumer) {
  int64_t last[MPMC_PRODUCERS][XIPC_MQ_PRIO_MAX];
  unsigned char buf[MPMC_MSG_SIZE];
  uint32_t id, producers, per, p, i;
  mpmc_result_t *res;
  unsigned char *seen;
  xipc_shm_t *shm;
  xipc_mq_t *mq;
  int rc;
  if (argc != 6)
    return 100;
  id = (uint32_t)strtoul(argv[3], NULL, 10);
  producers = (uint32_t)strtoul(argv[4], NULL, 10);
  per = (uint32_t)strtoul(argv[5], NULL, 10);
  if (id >= MPMC_CONSUMERS || producers > MPMC_PRODUCERS)
    return 100;
  if ((rc = helper_queue("mq_mpmc_consumer", argv[0], argv[1], &mq)) != 0)
    return rc;
  if ((rc = xipc_shm_open(&shm, argv[2], 0)) < 0)
    return helper_error("mq_mpmc_consumer", "xipc_shm_open", rc, 102);
  if (xipc_shm_size(shm) < MPMC_CONSUMERS * (sizeof(mpmc_result_t) + (size_t)producers * per))
    return helper_error("mq_mpmc_consumer", "results segment", XIPC_EIO, 103);
  res = (mpmc_result_t *)xipc_shm_addr(shm) + id;
  seen = (unsigned char *)xipc_shm_addr(shm) + MPMC_CONSUMERS * sizeof(mpmc_result_t) +
         (size_t)id * producers * per;
  for (p = 0; p < MPMC_PRODUCERS; p++) {
    for (i = 0; i < XIPC_MQ_PRIO_MAX; i++)
      last[p][i] = -1;
  }
  for (;;) {
    msg_head_t h;
    unsigned prio = 99;
    int n = xipc_mq_recv(mq, buf, sizeof buf, &prio, test_timeout(WAIT_MS));
    if (n < 0) {
      fprintf(stderr, "mq_mpmc_consumer %u: after %u messages: %s\n", id, res->received,
              xipc_err_name(n));
      return 104;
    }
    if (msg_ok(buf, n, &h) && h.sender == STOP_SENDER)
      break;
    res->received++;
    /* The head is checked before it indexes anything. */
    if (!msg_ok(buf, n, &h) || h.sender >= producers || h.seq >= per || h.prio != prio ||
        prio != mpmc_prio(h.sender, h.seq) || (size_t)n != mpmc_len(h.sender, h.seq)) {
      res->bad++;
      continue;
    }
    if (seen[(size_t)h.sender * per + h.seq] < 255)
      seen[(size_t)h.sender * per + h.seq]++;
    if ((int64_t)h.seq <= last[h.sender][prio])
      res->out_of_order++;
    last[h.sender][prio] = h.seq;
  }
  xipc_mq_close(mq);
  xipc_shm_close(shm);
  return 0;
}

/* Wait for a helper to exit 0 within `timeout_ms`; otherwise kill it and fail, naming it. */
static void expect_clean_exit(xipc_process_t *proc, int timeout_ms, const char *what, uint32_t i) {
  xipc_exit_t status;
  int rc = xipc_process_wait(proc, timeout_ms, &status);
  if (rc < 0) {
    xipc_process_kill(proc);
    test_fail(__FILE__, __LINE__, "%s %u did not finish: %s", what, i, xipc_err_name(rc));
  }
  xipc_process_close(proc);
  if (status.signal != 0 || status.code != 0)
    test_fail(__FILE__, __LINE__, "%s %u ended with code %d, signal %d", what, i, status.code,
              status.signal);
}

/*
 * MPMC_PRODUCERS producer and MPMC_CONSUMERS consumer processes share one
 * queue; every message carries its producer, sequence number and a
 * checksum. Afterwards: none lost, none twice, none corrupt, and each
 * consumer saw each producer's messages of one priority in sending order.
 */
static void mpmc_processes_on(xipc_mq_backend_t backend) {
  const char *label = backend_label(backend);
  uint32_t total = test_os_is_wine() ? MPMC_MESSAGES_WINE : MPMC_MESSAGES;
  uint32_t per = total / MPMC_PRODUCERS, i, c, lost = 0, duplicated = 0;
  xipc_process_t *producers[MPMC_PRODUCERS], *consumers[MPMC_CONSUMERS];
  char name[64], results_name[64], id[16], count[16], nprod[16];
  unsigned char stop[sizeof(msg_head_t)];
  mpmc_result_t *res;
  unsigned char *seen;
  xipc_shm_t *shm;
  xipc_mq_t *mq;
  uint64_t start;
  size_t size = MPMC_CONSUMERS * (sizeof(mpmc_result_t) + (size_t)total);
  mq = new_queue(name, "mpmc", backend, fit_msgs(backend, MPMC_CAPACITY), MPMC_MSG_SIZE);
  test_unique_name(results_name, sizeof results_name, "results");
  ASSERT_OK(xipc_shm_create(&shm, results_name, size, 0));
  res = xipc_shm_addr(shm);
  seen = (unsigned char *)xipc_shm_addr(shm) + MPMC_CONSUMERS * sizeof(mpmc_result_t);
  snprintf(count, sizeof count, "%u", per);
  snprintf(nprod, sizeof nprod, "%u", MPMC_PRODUCERS);
  start = xipc_time_ns();
  for (c = 0; c < MPMC_CONSUMERS; c++) {
    snprintf(id, sizeof id, "%u", c);
    consumers[c] =
        helper_start("mq_mpmc_consumer", name, label, results_name, id, nprod, count, NULL);
  }
  for (i = 0; i < MPMC_PRODUCERS; i++) {
    snprintf(id, sizeof id, "%u", i);
    producers[i] = helper_start("mq_mpmc_producer", name, label, id, count, NULL);
  }
  for (i = 0; i < MPMC_PRODUCERS; i++)
    expect_clean_exit(producers[i], test_timeout(120000), "producer", i);
  /* After every message, at the lowest priority: one stop for each consumer. */
  for (c = 0; c < MPMC_CONSUMERS; c++) {
    make_msg(stop, STOP_SENDER, c, 0, sizeof stop);
    ASSERT_OK(xipc_mq_send(mq, stop, sizeof stop, 0, test_timeout(WAIT_MS)));
  }
  for (c = 0; c < MPMC_CONSUMERS; c++)
    expect_clean_exit(consumers[c], test_timeout(WAIT_MS), "consumer", c);
  for (i = 0; i < per * MPMC_PRODUCERS; i++) {
    unsigned times = 0;
    for (c = 0; c < MPMC_CONSUMERS; c++)
      times += seen[(size_t)c * total + i];
    if (times == 0)
      lost++;
    else if (times > 1)
      duplicated++;
  }
  printf("%s queue: %u producer and %u consumer processes, %u messages of %u-%u bytes in %.0f ms; "
         "consumers got %u and %u; %u lost, %u duplicated, %u bad, %u out of order%s\n",
         label, MPMC_PRODUCERS, MPMC_CONSUMERS, per * MPMC_PRODUCERS, (unsigned)sizeof(msg_head_t),
         MPMC_MSG_SIZE, (double)(xipc_time_ns() - start) / 1e6, res[0].received, res[1].received,
         lost, duplicated, res[0].bad + res[1].bad, res[0].out_of_order + res[1].out_of_order,
         total < MPMC_MESSAGES ? " (fewer under Wine, where each wake-up goes through wineserver)"
                               : "");
  ASSERT_EQ(lost, 0);
  ASSERT_EQ(duplicated, 0);
  ASSERT_EQ(res[0].bad, 0);
  ASSERT_EQ(res[1].bad, 0);
  ASSERT_EQ(res[0].out_of_order, 0);
  ASSERT_EQ(res[1].out_of_order, 0);
  ASSERT_EQ(res[0].received + res[1].received, per * MPMC_PRODUCERS);
  ASSERT_EQ(queue_count(mq), 0);
  ASSERT_OK(xipc_shm_close(shm));
  ASSERT_OK(xipc_shm_unlink(results_name, 0));
  destroy_queue(mq, name);
}

TEST_IMPL(mq, mpmc_processes) {
  run_on_all_backends("mq.mpmc_processes", mpmc_processes_on);
}

/* ---- Senders and receivers killed at work ----------------------------------- */

/*
 * Victim: send big messages of sender argv[3] at priority argv[4] to queue
 * argv[0] (backend argv[1]) flat out, counting each completed send in state
 * argv[2], until killed.
 */
HELPER_IMPL(mq_kill_sender) {
  xipc_mq_attr_t attr;
  unsigned char *buf;
  xipc_shm_t *shm;
  mq_state_t *st = NULL;
  xipc_mq_t *mq;
  uint32_t id, seq;
  unsigned prio;
  int rc;
  if (argc != 5)
    return 100;
  id = (uint32_t)strtoul(argv[3], NULL, 10);
  prio = (unsigned)strtoul(argv[4], NULL, 10);
  if (id >= KILL_ROUNDS)
    return 100;
  if ((rc = helper_queue("mq_kill_sender", argv[0], argv[1], &mq)) != 0 ||
      (rc = helper_state("mq_kill_sender", argv[2], &shm, &st)) != 0)
    return rc;
  if ((rc = xipc_mq_get_attr(mq, &attr, NULL)) < 0)
    return helper_error("mq_kill_sender", "xipc_mq_get_attr", rc, 104);
  if ((buf = new_pattern(attr.max_msg_size)) == NULL)
    return helper_error("mq_kill_sender", "malloc", XIPC_ENOMEM, 105);
  for (seq = 0;; seq++) {
    big_stamp(buf, attr.max_msg_size, id, seq, prio);
    rc = xipc_mq_send(mq, buf, attr.max_msg_size, prio, test_timeout(WAIT_MS));
    if (rc < 0)
      return helper_error("mq_kill_sender", "xipc_mq_send", rc, 106);
    st->sent_by[id] = seq + 1;
  }
}

/*
 * Victim: receive big messages from queue argv[0] (backend argv[1]) flat
 * out, recording in state argv[2] the first and last sequence numbers and
 * how many, until killed. Its check is the quick one (head and stamps: a
 * torn message still shows), so that it spends its time in the queue.
 */
HELPER_IMPL(mq_kill_receiver) {
  xipc_mq_attr_t attr;
  unsigned char *buf;
  xipc_shm_t *shm;
  mq_state_t *st = NULL;
  xipc_mq_t *mq;
  int rc;
  if (argc != 3)
    return 100;
  if ((rc = helper_queue("mq_kill_receiver", argv[0], argv[1], &mq)) != 0 ||
      (rc = helper_state("mq_kill_receiver", argv[2], &shm, &st)) != 0)
    return rc;
  if ((rc = xipc_mq_get_attr(mq, &attr, NULL)) < 0)
    return helper_error("mq_kill_receiver", "xipc_mq_get_attr", rc, 104);
  if ((buf = malloc(attr.max_msg_size)) == NULL)
    return helper_error("mq_kill_receiver", "malloc", XIPC_ENOMEM, 105);
  for (;;) {
    msg_head_t h;
    unsigned prio = 99;
    int n = xipc_mq_recv(mq, buf, attr.max_msg_size, &prio, test_timeout(WAIT_MS));
    if (n < 0)
      return helper_error("mq_kill_receiver", "xipc_mq_recv", n, 106);
    if (!big_ok(buf, n, NULL, &h) || h.prio != prio) {
      st->bad++;
      continue;
    }
    if (st->victim_done == 0)
      st->victim_first = h.seq;
    else if (h.seq != st->victim_last + 1)
      st->out_of_order++;
    st->victim_last = h.seq;
    st->victim_done++;
  }
}

/* Where a kill test is, for its failure messages. */
typedef struct kill_ctx {
  const char *test;
  int round;
  uint32_t seed;
} kill_ctx_t;

/* n bytes in buf are big message seq of sender at prio, whole; otherwise the test fails. */
static void expect_big(const kill_ctx_t *ctx, const unsigned char *buf, int n,
                       const unsigned char *pattern, uint32_t sender, uint32_t seq, unsigned prio,
                       unsigned got_prio) {
  msg_head_t h;
  if (n < 0)
    test_fail(__FILE__, __LINE__, "%s, round %d (seed %u): receive: %s", ctx->test, ctx->round,
              ctx->seed, xipc_err_name(n));
  if (!big_ok(buf, n, pattern, &h))
    test_fail(__FILE__, __LINE__, "%s, round %d (seed %u): a torn or corrupt message of %d bytes",
              ctx->test, ctx->round, ctx->seed, n);
  if (h.sender != sender || h.seq != seq || h.prio != prio || got_prio != prio)
    test_fail(__FILE__, __LINE__,
              "%s, round %d (seed %u): message %u of sender %u at priority %u (received at %u); "
              "expected message %u of sender %u at priority %u",
              ctx->test, ctx->round, ctx->seed, h.seq, h.sender, h.prio, got_prio, seq, sender,
              prio);
}

/*
 * After each kill: the queue holds exactly as many messages as it was made
 * for (a repair freed every slot a dead process had in hand, and lost
 * none), refuses one more, and gives them back in order.
 */
static void check_capacity(const kill_ctx_t *ctx, xipc_mq_t *mq, unsigned char *buf,
                           const unsigned char *pattern, uint32_t *probe_seq) {
  xipc_mq_attr_t attr = queue_attr_of(mq);
  size_t i;
  int rc;
  memcpy(buf, pattern, attr.max_msg_size);
  for (i = 0; i < attr.max_msgs; i++) {
    big_stamp(buf, attr.max_msg_size, PROBE_SENDER, *probe_seq + (uint32_t)i, 0);
    rc = xipc_mq_send(mq, buf, attr.max_msg_size, 0, 0);
    if (rc != 0)
      test_fail(__FILE__, __LINE__, "%s, round %d (seed %u): probe send %zu of %zu: %s", ctx->test,
                ctx->round, ctx->seed, i + 1, attr.max_msgs, xipc_err_name(rc));
  }
  ASSERT_ERR(xipc_mq_send(mq, buf, attr.max_msg_size, 0, 0), XIPC_EAGAIN);
  ASSERT_EQ(queue_count(mq), attr.max_msgs);
  for (i = 0; i < attr.max_msgs; i++) {
    unsigned prio = 99;
    int n = xipc_mq_recv(mq, buf, attr.max_msg_size, &prio, 0);
    expect_big(ctx, buf, n, pattern, PROBE_SENDER, *probe_seq + (uint32_t)i, 0, prio);
  }
  ASSERT_EQ(queue_count(mq), 0);
  *probe_seq += (uint32_t)attr.max_msgs;
}

/* The lock word of the shm queue names process `pid`: it died holding the lock. */
static bool died_holding_lock(const raw_queue_t *raw, int pid) {
  return raw != NULL && raw_u32(raw, SHM_LOCK_OFFSET) == (uint32_t)pid;
}

/*
 * Spin until the victim's progress *word reaches `value`, then return at
 * once (the caller kills it right away: it is then inside its next call,
 * most likely copying a message with the lock held). Fails if the victim
 * ends first or WAIT_MS pass.
 */
static void spin_for_progress(volatile uint32_t *word, uint32_t value, xipc_process_t *proc) {
  int64_t deadline = test_now_ms() + test_timeout(WAIT_MS);
  unsigned polls = 0;
  while (*word < value) {
    xipc_exit_t status;
    if (++polls % 4096 != 0)
      continue;
    if (xipc_process_wait(proc, 0, &status) == 0)
      test_fail(__FILE__, __LINE__, "victim ended (code %d, signal %d) at progress %u of %u",
                status.code, status.signal, *word, value);
    if (test_now_ms() > deadline)
      test_fail(__FILE__, __LINE__, "victim stuck at progress %u of %u", *word, value);
  }
}

/*
 * KILL_ROUNDS times: a child sends big messages flat out and is killed at
 * work: on even rounds the moment it completes a random number of sends
 * into an empty queue (so that the kill most often lands while it copies
 * the next one in, holding the queue's lock); on odd rounds after a random
 * pause while this process takes messages as they come. This process, the
 * survivor, must at once receive everything the dead sender completed,
 * whole and in order, at most the one in progress besides, and nothing
 * twice; then use every slot of the queue (check_capacity).
 */
static void sender_killed_on(xipc_mq_backend_t backend) {
  size_t len = fit_size(backend, KILL_MSG_SIZE), cap = fit_msgs(backend, KILL_CAPACITY);
  unsigned char *buf = checked_malloc(len), *pattern = new_pattern(len);
  raw_queue_t raw_storage, *raw = NULL;
  uint32_t probe_seq = 0, total = 0, extra = 0;
  int held = 0, round;
  int64_t slowest = 0;
  xipc_shm_t *shm;
  mq_state_t *st = NULL;
  xipc_mq_t *mq;
  char name[64], state_name[64];
  kill_ctx_t ctx;
  uint32_t rnd;
  ASSERT_NOT_NULL(pattern);
  ctx.test = "sender killed";
  ctx.seed = rnd = random_seed();
  mq = new_queue(name, "ksend", backend, cap, len);
  if (backend == XIPC_MQ_SHM) {
    xipc_mq_attr_t attr = queue_attr_of(mq);
    raw_open(&raw_storage, name, &attr);
    raw = &raw_storage;
  }
  st = create_state(&shm, state_name);
  for (round = 0; round < KILL_ROUNDS; round++) {
    char id[16], prio_arg[16];
    unsigned prio = (unsigned)round % XIPC_MQ_PRIO_MAX;
    uint32_t got = 0;
    xipc_process_t *proc;
    uint64_t start;
    int pid;
    ctx.round = round;
    snprintf(id, sizeof id, "%d", round);
    snprintf(prio_arg, sizeof prio_arg, "%u", prio);
    proc = helper_start("mq_kill_sender", name, backend_label(backend), state_name, id, prio_arg,
                        NULL);
    pid = xipc_process_pid(proc);
    if (round % 2 == 0) {
      spin_for_progress(&st->sent_by[round], 1 + next_random(&rnd) % (uint32_t)(cap - 2), proc);
    } else {
      uint32_t want = 1 + next_random(&rnd) % (uint32_t)(2 * cap);
      while (got < want) {
        unsigned got_prio = 99;
        int n = xipc_mq_recv(mq, buf, len, &got_prio, test_timeout(WAIT_MS));
        expect_big(&ctx, buf, n, pattern, (uint32_t)round, got++, prio, got_prio);
      }
      busy_wait_us(next_random(&rnd) % 300);
    }
    kill_and_reap(proc, "mq_kill_sender");
    if (died_holding_lock(raw, pid))
      held++;
    /* The rest, without waiting: the queue is usable at once. */
    start = xipc_time_ns();
    for (;;) {
      unsigned got_prio = 99;
      int n = xipc_mq_recv(mq, buf, len, &got_prio, 0);
      if (n == XIPC_EAGAIN)
        break;
      expect_big(&ctx, buf, n, pattern, (uint32_t)round, got++, prio, got_prio);
    }
    if (elapsed_ms_since(start) > slowest)
      slowest = elapsed_ms_since(start);
    if (got < st->sent_by[round] || got > st->sent_by[round] + 1)
      test_fail(__FILE__, __LINE__,
                "round %d (seed %u): %u messages of the killed sender arrived; it had completed "
                "%u sends",
                round, ctx.seed, got, st->sent_by[round]);
    extra += got - st->sent_by[round];
    total += got;
    ASSERT_EQ(queue_count(mq), 0);
    check_capacity(&ctx, mq, buf, pattern, &probe_seq);
  }
  printf("%s queue, %zu messages of %zu bytes: %d senders killed at work (seed %u), %d of them "
         "holding the queue's lock%s; %u messages, all whole and in order, %u of them from a send "
         "the kill cut short after the message was in; slowest recovery %lld ms\n",
         backend_label(backend), cap, len, KILL_ROUNDS, ctx.seed, held,
         raw == NULL ? " (not visible: the kernel's)" : "", total, extra, (long long)slowest);
  if (raw != NULL)
    raw_close(raw);
  destroy_state(shm, state_name);
  destroy_queue(mq, name);
  free(buf);
  free(pattern);
}

TEST_IMPL(mq, sender_killed) {
  run_on_all_backends("mq.sender_killed", sender_killed_on);
}

/*
 * KILL_ROUNDS times: a child receives big messages flat out and is killed at
 * work: on even rounds the moment it has taken a random number from a full
 * queue (the kill most often lands while it copies the next one out,
 * holding the lock); on odd rounds after a random pause while this process
 * keeps it busy. The child saw an unbroken run of messages; this process,
 * the survivor, takes the rest at once: from the one after the child's last,
 * or the one after that when the child died with a message taken but not
 * yet returned (lost with it, never delivered twice), to the last one sent.
 */
static void receiver_killed_on(xipc_mq_backend_t backend) {
  size_t len = fit_size(backend, KILL_MSG_SIZE), cap = fit_msgs(backend, KILL_CAPACITY);
  unsigned char *buf = checked_malloc(len), *pattern = new_pattern(len);
  raw_queue_t raw_storage, *raw = NULL;
  uint32_t probe_seq = 0, next_seq = 0, lost = 0, taken_by_victims = 0;
  unsigned prio = 7;
  int held = 0, round;
  int64_t slowest = 0;
  xipc_shm_t *shm;
  mq_state_t *st = NULL;
  xipc_mq_t *mq;
  char name[64], state_name[64];
  kill_ctx_t ctx;
  uint32_t rnd;
  ASSERT_NOT_NULL(pattern);
  ctx.test = "receiver killed";
  ctx.seed = rnd = random_seed();
  mq = new_queue(name, "krecv", backend, cap, len);
  if (backend == XIPC_MQ_SHM) {
    xipc_mq_attr_t attr = queue_attr_of(mq);
    raw_open(&raw_storage, name, &attr);
    raw = &raw_storage;
  }
  st = create_state(&shm, state_name);
  for (round = 0; round < KILL_ROUNDS; round++) {
    uint32_t first = next_seq, sent = 0, expect;
    bool skipped = false;
    xipc_process_t *proc;
    uint64_t start;
    int pid;
    ctx.round = round;
    st->victim_done = 0;
    st->victim_first = st->victim_last = NO_SEQ;
    st->bad = st->out_of_order = 0;
    if (round % 2 == 0) {
      /* A full queue, then the victim. */
      for (sent = 0; sent < cap; sent++) {
        memcpy(buf, pattern, len);
        big_stamp(buf, len, 0, next_seq++, prio);
        ASSERT_OK(xipc_mq_send(mq, buf, len, prio, 0));
      }
      proc = helper_start("mq_kill_receiver", name, backend_label(backend), state_name, NULL);
      spin_for_progress(&st->victim_done, 1 + next_random(&rnd) % (uint32_t)(cap - 2), proc);
    } else {
      /* Keep it busy: send until it has taken one and `want` went out, then a random pause. */
      uint32_t want = 1 + next_random(&rnd) % (uint32_t)(2 * cap);
      proc = helper_start("mq_kill_receiver", name, backend_label(backend), state_name, NULL);
      while (sent < want || st->victim_done == 0) {
        int rc;
        memcpy(buf, pattern, len);
        big_stamp(buf, len, 0, next_seq, prio);
        rc = xipc_mq_send(mq, buf, len, prio, test_timeout(WAIT_MS));
        if (rc != 0)
          test_fail(__FILE__, __LINE__, "round %d (seed %u): send while the receiver works: %s",
                    round, ctx.seed, xipc_err_name(rc));
        next_seq++;
        sent++;
      }
      busy_wait_us(next_random(&rnd) % 300);
    }
    pid = xipc_process_pid(proc);
    kill_and_reap(proc, "mq_kill_receiver");
    if (died_holding_lock(raw, pid))
      held++;
    if (st->bad != 0 || st->out_of_order != 0 || st->victim_first != first)
      test_fail(__FILE__, __LINE__,
                "round %d (seed %u): the killed receiver got %u bad and %u out-of-order messages, "
                "first %u (expected %u)",
                round, ctx.seed, st->bad, st->out_of_order, st->victim_first, first);
    taken_by_victims += st->victim_last - first + 1;
    expect = st->victim_last + 1;
    start = xipc_time_ns();
    for (;;) {
      unsigned got_prio = 99;
      msg_head_t h;
      int n = xipc_mq_recv(mq, buf, len, &got_prio, 0);
      if (n == XIPC_EAGAIN)
        break;
      if (n >= (int)sizeof h)
        memcpy(&h, buf, sizeof h);
      /* The one the dead receiver had taken is gone with it; never more than that one. */
      if (!skipped && n >= (int)sizeof h && h.seq == expect + 1) {
        skipped = true;
        expect++;
      }
      expect_big(&ctx, buf, n, pattern, 0, expect++, prio, got_prio);
    }
    if (elapsed_ms_since(start) > slowest)
      slowest = elapsed_ms_since(start);
    if (!skipped && expect + 1 == next_seq) {
      skipped = true;
      expect++;
    }
    if (expect != next_seq)
      test_fail(__FILE__, __LINE__,
                "round %d (seed %u): sent up to message %u; the killed receiver got %u to %u, "
                "this process the rest up to %u",
                round, ctx.seed, next_seq - 1, first, st->victim_last, expect - 1);
    lost += skipped;
    ASSERT_EQ(queue_count(mq), 0);
    check_capacity(&ctx, mq, buf, pattern, &probe_seq);
  }
  printf("%s queue, %zu messages of %zu bytes: %d receivers killed at work (seed %u), %d of them "
         "holding the queue's lock%s; %u messages sent, %u taken by the killed receivers, %u died "
         "with them (taken, never returned), none twice; slowest recovery %lld ms\n",
         backend_label(backend), cap, len, KILL_ROUNDS, ctx.seed, held,
         raw == NULL ? " (not visible: the kernel's)" : "", next_seq, taken_by_victims, lost,
         (long long)slowest);
  if (raw != NULL)
    raw_close(raw);
  destroy_state(shm, state_name);
  destroy_queue(mq, name);
  free(buf);
  free(pattern);
}

TEST_IMPL(mq, receiver_killed) {
  run_on_all_backends("mq.receiver_killed", receiver_killed_on);
}

/*
 * Deterministic: a child takes the shm queue's lock word directly (as a
 * process inside send or receive would) and stays there. While it lives the
 * lock is respected; once it is killed the lock is taken over, both after
 * the child was reaped and before (a zombie on POSIX: it can no longer touch
 * the queue, and its parent may be the very process waiting for the lock).
 */
static void sleep_for_ever(void *arg) {
  (void)arg;
  for (;;)
    xipc_sleep_ms(1000);
}

HELPER_IMPL(mq_hold_lock) {
  xipc_shm_t *seg, *shm;
  mq_state_t *st = NULL;
  volatile uint32_t *lock;
  int rc;
  if (argc != 2 && !(argc == 3 && strcmp(argv[2], "main-thread-exits") == 0))
    return 100;
  if ((rc = xipc_shm_open(&seg, argv[0], XIPC_SHM_NATIVE_NAME)) < 0)
    return helper_error("mq_hold_lock", "xipc_shm_open(queue)", rc, 101);
  if (xipc_shm_size(seg) < SHM_HEADER_BYTES)
    return helper_error("mq_hold_lock", "queue segment", XIPC_EIO, 102);
  if ((rc = helper_state("mq_hold_lock", argv[1], &shm, &st)) != 0)
    return rc;
  lock = (volatile uint32_t *)(void *)((unsigned char *)xipc_shm_addr(seg) + SHM_LOCK_OFFSET);
  if (*lock != 0)
    return helper_error("mq_hold_lock", "the lock is not free", XIPC_EBUSY, 103);
  *lock = (uint32_t)xipc_self_pid(); /* nobody else uses the queue now */
  if (argc == 3) {
    /* The process lives on in another thread (Linux then shows it as a zombie, Z). */
    test_os_thread_start(sleep_for_ever, NULL);
    st->flag = 1;
    test_os_exit_thread();
  }
  st->flag = 1;
  sleep_for_ever(NULL);
  return 0;
}

static void killed_lock_holder_taken_over_on(xipc_mq_backend_t backend) {
  char name[64], native[XIPC_NATIVE_NAME_MAX], state_name[64];
  xipc_mq_attr_t attr;
  raw_queue_t raw;
  xipc_shm_t *shm;
  mq_state_t *st = NULL;
  xipc_mq_t *mq;
  int reaped;
  mq = new_queue(name, "hold", backend, 4, 32);
  attr = queue_attr_of(mq);
  raw_open(&raw, name, &attr);
  ASSERT_GT(xipc_name_native(XIPC_KIND_MQ, name, native, sizeof native), 0);
  st = create_state(&shm, state_name);
  for (reaped = 1; reaped >= 0; reaped--) {
    xipc_process_t *proc;
    xipc_exit_t status;
    uint64_t start;
    st->flag = 0;
    proc = helper_start("mq_hold_lock", native, state_name, NULL);
    wait_for_word(&st->flag, 1, proc, "taken the lock");
    ASSERT_EQ(raw_u32(&raw, SHM_LOCK_OFFSET), (uint32_t)xipc_process_pid(proc));
    /* A live holder is waited for, up to the timeout and no more. */
    start = xipc_time_ns();
    ASSERT_ERR(xipc_mq_send(mq, "x", 1, 0, 0), XIPC_EAGAIN);
    ASSERT_ERR(xipc_mq_send(mq, "x", 1, 0, 50), XIPC_ETIMEDOUT);
    ASSERT_ERR(xipc_mq_recv(mq, native, sizeof native, NULL, 50), XIPC_ETIMEDOUT);
    ASSERT_LT(elapsed_ms_since(start), test_timeout(2000));
    ASSERT_OK(xipc_process_kill(proc));
    if (reaped) {
      ASSERT_OK(xipc_process_wait(proc, test_timeout(WAIT_MS), &status));
      ASSERT_EQ(status.signal, 9);
    }
    /* Killed (and reaped or not): the next call takes the lock over within its timeout. */
    start = xipc_time_ns();
    send_text(mq, reaped ? "after a reaped holder" : "after an unreaped holder", 2);
    printf("lock of a killed holder taken over (%s) in %lld ms\n",
           reaped ? "holder reaped" : "holder not yet reaped", (long long)elapsed_ms_since(start));
    ASSERT_EQ(raw_u32(&raw, SHM_LOCK_OFFSET), 0);
    expect_text(mq, reaped ? "after a reaped holder" : "after an unreaped holder", 2);
    if (!reaped) {
      ASSERT_OK(xipc_process_wait(proc, test_timeout(WAIT_MS), &status));
      ASSERT_EQ(status.signal, 9);
    }
    xipc_process_close(proc);
    ASSERT_EQ(queue_count(mq), 0);
  }
  raw_close(&raw);
  destroy_state(shm, state_name);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, killed_lock_holder_taken_over) {
  run_on_shm_backend("mq.killed_lock_holder_taken_over", killed_lock_holder_taken_over_on);
}

/*
 * A process whose main thread has ended but whose other threads run is
 * alive: its lock is respected (Linux shows such a process as a zombie in
 * /proc/<pid>/stat; only its thread count tells it from a dead one).
 */
static void holder_without_main_thread_respected_on(xipc_mq_backend_t backend) {
  char name[64], native[XIPC_NATIVE_NAME_MAX], state_name[64];
  xipc_process_t *proc;
  xipc_exit_t status;
  xipc_shm_t *shm;
  mq_state_t *st;
  xipc_mq_t *mq;
  mq = new_queue(name, "zomb", backend, 4, 32);
  ASSERT_GT(xipc_name_native(XIPC_KIND_MQ, name, native, sizeof native), 0);
  st = create_state(&shm, state_name);
  proc = helper_start("mq_hold_lock", native, state_name, "main-thread-exits", NULL);
  wait_for_word(&st->flag, 1, proc, "taken the lock");
  xipc_sleep_ms(200); /* its main thread has ended by now */
  ASSERT_ERR(xipc_mq_send(mq, "x", 1, 0, 300), XIPC_ETIMEDOUT);
  ASSERT_ERR(xipc_process_wait(proc, 0, &status), XIPC_EAGAIN); /* still running */
  ASSERT_OK(xipc_process_kill(proc));
  ASSERT_OK(xipc_process_wait(proc, test_timeout(WAIT_MS), &status));
  xipc_process_close(proc);
  send_text(mq, "after the holder", 1);
  expect_text(mq, "after the holder", 1);
  destroy_state(shm, state_name);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, holder_without_main_thread_respected) {
  run_on_shm_backend("mq.holder_without_main_thread_respected",
                     holder_without_main_thread_respected_on);
}

/* A forked child's work: send and take messages through its parent's handle until killed. */
static void forked_queue_user(void *arg) {
  xipc_mq_t *mq = arg;
  char buf[64];
  while (xipc_mq_send(mq, "forked", 6, 1, 1000) == 0 &&
         xipc_mq_recv(mq, buf, sizeof buf, NULL, 1000) >= 0) {
  }
  /* returning ends the child: the test sees it ended before it was killed */
}

/*
 * A child made by fork() that uses its parent's queue handle takes the lock
 * as itself, not under its parent's pid: killed holding the lock, the lock
 * is taken over at once (under the parent's pid, it would look held by a
 * live process for ever).
 */
static void forked_child_locks_as_itself_on(xipc_mq_backend_t backend) {
  char name[64], buf[64];
  uint32_t seed = random_seed();
  xipc_mq_attr_t attr;
  raw_queue_t raw;
  xipc_mq_t *mq;
  int round, held_by_child = 0;
  mq = new_queue(name, "fork", backend, 4, 32);
  attr = queue_attr_of(mq);
  raw_open(&raw, name, &attr);
  for (round = 0; round < 20; round++) {
    int64_t pid = test_os_fork(forked_queue_user, mq);
    int64_t deadline = test_now_ms() + test_timeout(2000);
    uint32_t owner = 0;
    /* Catch the child holding the lock: the owner word is the child's pid. */
    while (owner == 0 && test_now_ms() < deadline)
      owner = raw_u32(&raw, SHM_LOCK_OFFSET);
    if (owner != 0) {
      ASSERT_EQ(owner, (uint32_t)pid);
      held_by_child++;
    }
    busy_wait_us(next_random(&seed) % 300);
    if (!test_os_kill_forked(pid))
      test_fail(__FILE__, __LINE__, "the forked child ended before it was killed (round %d)",
                round);
    /* Killed anywhere, perhaps holding the lock: the queue works at once. */
    ASSERT_OK(xipc_mq_send(mq, "parent", 6, 2, test_timeout(2000)));
    expect_text(mq, "parent", 2);
    while (xipc_mq_recv(mq, buf, sizeof buf, NULL, 0) >= 0) {
    }
    ASSERT_EQ(raw_u32(&raw, SHM_LOCK_OFFSET), 0);
  }
  printf("the lock word held a forked child's pid in %d of 20 rounds\n", held_by_child);
  ASSERT_GT(held_by_child, 0);
  raw_close(&raw);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, forked_child_locks_as_itself) {
  if (!test_os_has_fork())
    test_skip("Windows has no fork(): a handle reaches a child only through xipc_spawn");
  run_on_shm_backend("mq.forked_child_locks_as_itself", forked_child_locks_as_itself_on);
}

/*
 * A wake-up that never comes: after argv[3] ms, zero the count of sleeping
 * receivers (argv[2] "recv") or senders ("send") of shm queue argv[0]
 * (native name argv[1]) and then send one message "silent" (or take one), so
 * that nobody is woken: the state a peer leaves when it dies between
 * publishing its message and waking the other side.
 */
HELPER_IMPL(mq_silent_peer) {
  int64_t deadline;
  bool for_receiver;
  volatile uint32_t *sleepers;
  xipc_shm_t *seg;
  xipc_mq_t *mq;
  char buf[64];
  int rc;
  if (argc != 4)
    return 100;
  for_receiver = strcmp(argv[2], "recv") == 0;
  if ((rc = helper_queue("mq_silent_peer", argv[0], "shm", &mq)) != 0)
    return rc;
  if ((rc = xipc_shm_open(&seg, argv[1], XIPC_SHM_NATIVE_NAME)) < 0)
    return helper_error("mq_silent_peer", "xipc_shm_open(queue)", rc, 102);
  if (xipc_shm_size(seg) < SHM_HEADER_BYTES)
    return helper_error("mq_silent_peer", "queue segment", XIPC_EIO, 103);
  sleepers = (volatile uint32_t *)(void *)((unsigned char *)xipc_shm_addr(seg) +
                                           (for_receiver ? SHM_RECV_SLEEPERS : SHM_SEND_SLEEPERS));
  xipc_sleep_ms(atoi(argv[3]));
  /* The test's waiter is asleep by now; it looks up briefly now and then, so check a few times. */
  deadline = test_now_ms() + test_timeout(2000);
  while (*sleepers != 1) {
    if (test_now_ms() > deadline) {
      fprintf(stderr, "mq_silent_peer: %u %s asleep, expected the test's one (layout changed?)\n",
              (unsigned)*sleepers, for_receiver ? "receivers" : "senders");
      return 104;
    }
    xipc_sleep_ms(1);
  }
  *sleepers = 0;
  rc = for_receiver ? xipc_mq_send(mq, "silent", 6, 1, 0)
                    : xipc_mq_recv(mq, buf, sizeof buf, NULL, 0);
  if (rc < 0)
    return helper_error("mq_silent_peer", for_receiver ? "xipc_mq_send" : "xipc_mq_recv", rc, 105);
  xipc_mq_close(mq);
  xipc_shm_close(seg);
  return 0;
}

/*
 * A receiver asleep on an empty queue, and a sender asleep on a full one,
 * find the message or the space that arrived without a wake-up (its peer
 * died between publishing and waking) soon after, not at the end of their
 * timeout or never.
 */
static void missed_wakeup_recovered_on(xipc_mq_backend_t backend) {
  char name[64], native[XIPC_NATIVE_NAME_MAX];
  xipc_process_t *proc;
  uint64_t start;
  xipc_mq_t *mq;
  mq = new_queue(name, "silent", backend, 2, 32);
  ASSERT_GT(xipc_name_native(XIPC_KIND_MQ, name, native, sizeof native), 0);
  proc = helper_start("mq_silent_peer", name, native, "recv", "300", NULL);
  start = xipc_time_ns();
  expect_text_within(mq, "silent", 1, test_timeout(5000));
  printf("a receiver with no wake-up found the message after %lld ms (sent after 300 ms)\n",
         (long long)elapsed_ms_since(start));
  ASSERT_LT(elapsed_ms_since(start), 300 + test_timeout(2000));
  helper_expect_exit(proc, 0);
  fill_queue(mq);
  proc = helper_start("mq_silent_peer", name, native, "send", "300", NULL);
  start = xipc_time_ns();
  ASSERT_OK(xipc_mq_send(mq, "in", 2, 2, test_timeout(5000)));
  printf("a sender with no wake-up found space after %lld ms (made after 300 ms)\n",
         (long long)elapsed_ms_since(start));
  ASSERT_LT(elapsed_ms_since(start), 300 + test_timeout(2000));
  helper_expect_exit(proc, 0);
  expect_text(mq, "fill-1", 3);
  expect_text(mq, "in", 2);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, missed_wakeup_recovered) {
  run_on_shm_backend("mq.missed_wakeup_recovered", missed_wakeup_recovered_on);
}

/* ---- A hostile process, and headers that are not a queue's ------------------ */

/*
 * Scribble random bytes over queue segment argv[0] (native name) from offset
 * argv[1] on, with seed argv[2], until killed: half the writes into the
 * header (its lock, count, lists), half anywhere in the slots.
 */
HELPER_IMPL(mq_scribbler) {
  unsigned char *base;
  size_t size, from;
  xipc_shm_t *seg;
  uint32_t rnd, writes;
  int rc;
  if (argc != 3)
    return 100;
  if ((rc = xipc_shm_open(&seg, argv[0], XIPC_SHM_NATIVE_NAME)) < 0)
    return helper_error("mq_scribbler", "xipc_shm_open", rc, 101);
  base = xipc_shm_addr(seg);
  size = xipc_shm_size(seg);
  from = (size_t)strtoul(argv[1], NULL, 10);
  rnd = (uint32_t)strtoul(argv[2], NULL, 10) | 1u;
  if (size <= SHM_HEADER_BYTES || from >= SHM_HEADER_BYTES)
    return helper_error("mq_scribbler", "queue segment", XIPC_EIO, 102);
  for (writes = 1;; writes++) {
    size_t at = next_random(&rnd) % 2 ? from + next_random(&rnd) % (SHM_HEADER_BYTES - from)
                                      : from + next_random(&rnd) % (size - from);
    size_t n = 1 + next_random(&rnd) % 8, k;
    for (k = 0; k < n && at + k < size; k++)
      base[at + k] = (unsigned char)next_random(&rnd);
    busy_wait_us(next_random(&rnd) % 40);
    /* Now and then a pause, so that the queue also gets to work on what was written. */
    if (writes % 32 == 0)
      xipc_sleep_ms(1);
  }
}

/* What the calls made under attack returned. */
typedef struct hostile_tally {
  int ok, eio, eagain, etimedout, opens_refused;
} hostile_tally_t;

/* A call under attack returned `rc` after `ms` with timeout `timeout_ms`: allowed and in time? */
static void tally(hostile_tally_t *t, const char *call, int rc, int64_t ms, int timeout_ms) {
  if (rc >= 0)
    t->ok++;
  else if (rc == XIPC_EIO)
    t->eio++;
  else if (rc == XIPC_EAGAIN)
    t->eagain++;
  else if (rc == XIPC_ETIMEDOUT)
    t->etimedout++;
  else
    test_fail(__FILE__, __LINE__, "%s under attack returned %s", call, xipc_err_name(rc));
  /* A lock word the attacker set to a live process costs the whole timeout, never more. */
  if (ms > timeout_ms + test_timeout(1000))
    test_fail(__FILE__, __LINE__, "%s under attack took %lld ms with a %d ms timeout", call,
              (long long)ms, timeout_ms);
}

/*
 * While a child scribbles over the segment (from offset `from`), this
 * process sends, receives, counts and opens for HOSTILE_MS: every call gives
 * 0 / a length, or XIPC_EIO / XIPC_EAGAIN / XIPC_ETIMEDOUT within its
 * timeout; never a crash (ASan watches the Linux build) or a hang.
 */
static void hostile_writer(const char *name, size_t from, hostile_tally_t *t) {
  static const int timeouts[] = {0, 5, 20};
  char native[XIPC_NATIVE_NAME_MAX], from_arg[16], seed_arg[16];
  xipc_mq_attr_t attr;
  uint32_t seed = random_seed(), rnd = seed;
  unsigned char buf[256];
  xipc_process_t *proc;
  int64_t end;
  xipc_mq_t *mq;
  int op;
  mq = open_queue(name, XIPC_MQ_SHM);
  attr = queue_attr_of(mq);
  ASSERT_LE(attr.max_msg_size, sizeof buf);
  ASSERT_GT(xipc_name_native(XIPC_KIND_MQ, name, native, sizeof native), 0);
  snprintf(from_arg, sizeof from_arg, "%zu", from);
  snprintf(seed_arg, sizeof seed_arg, "%u", seed);
  memset(t, 0, sizeof *t);
  proc = helper_start("mq_scribbler", native, from_arg, seed_arg, NULL);
  end = test_now_ms() + HOSTILE_MS;
  for (op = 0; test_now_ms() < end; op++) {
    int timeout_ms = timeouts[next_random(&rnd) % ARRAY_SIZE(timeouts)], rc;
    uint32_t r = next_random(&rnd) % 100;
    uint64_t start = xipc_time_ns();
    if (r < 45) {
      size_t len = next_random(&rnd) % (attr.max_msg_size + 1);
      test_fill_pattern(buf, len, (uint32_t)op, 0);
      rc = xipc_mq_send(mq, buf, len, next_random(&rnd) % XIPC_MQ_PRIO_MAX, timeout_ms);
      tally(t, "xipc_mq_send", rc, elapsed_ms_since(start), timeout_ms);
    } else if (r < 90) {
      unsigned prio = 99;
      rc = xipc_mq_recv(mq, buf, sizeof buf, &prio, timeout_ms);
      tally(t, "xipc_mq_recv", rc, elapsed_ms_since(start), timeout_ms);
      if (rc >= 0 && ((size_t)rc > attr.max_msg_size || prio >= XIPC_MQ_PRIO_MAX))
        test_fail(__FILE__, __LINE__, "receive under attack gave %d bytes at priority %u", rc,
                  prio);
    } else if (r < 98 || (from < SHM_FIXED_BYTES && t->opens_refused >= 1)) {
      /* (An open of a garbage header first waits half a second for a creator: once is enough.) */
      xipc_mq_attr_t got;
      size_t count = 0;
      ASSERT_OK(xipc_mq_get_attr(mq, &got, &count));
      /* The handle's sizes are its own checked copies; the count is clamped. */
      ASSERT_EQ(got.max_msgs, attr.max_msgs);
      ASSERT_EQ(got.max_msg_size, attr.max_msg_size);
      ASSERT_EQ(got.backend, XIPC_MQ_SHM);
      ASSERT_LE(count, attr.max_msgs);
    } else {
      xipc_mq_t *other = NULL;
      rc = xipc_mq_open(&other, name, XIPC_MQ_SHM);
      if (rc == 0) {
        ASSERT_EQ(queue_attr_of(other).max_msg_size, attr.max_msg_size);
        ASSERT_OK(xipc_mq_close(other));
      } else if (rc == XIPC_EIO) {
        t->opens_refused++;
      } else {
        test_fail(__FILE__, __LINE__, "open under attack returned %s", xipc_err_name(rc));
      }
      /* The fixed header is the attacker's only when it scribbles from offset 0. */
      if (from >= SHM_FIXED_BYTES)
        ASSERT_OK(rc);
    }
  }
  kill_and_reap(proc, "mq_scribbler");
  printf("%d calls under attack (seed %u, from offset %zu): %d succeeded, %d XIPC_EIO, %d "
         "XIPC_EAGAIN, %d XIPC_ETIMEDOUT; %d opens refused (XIPC_EIO)\n",
         op, seed, from, t->ok, t->eio, t->eagain, t->etimedout, t->opens_refused);
  ASSERT_GT(t->eio, 0);
  ASSERT_GT(t->ok, 0);
  ASSERT_OK(xipc_mq_close(mq));
}

static void hostile_writer_mutable_part_on(xipc_mq_backend_t backend) {
  hostile_tally_t t;
  xipc_mq_t *mq;
  char name[64];
  mq = new_queue(name, "hostile", backend, 16, 200);
  hostile_writer(name, SHM_FIXED_BYTES, &t);
  /* The fixed header was never touched: the queue still opens. */
  ASSERT_OK(xipc_mq_close(open_queue(name, XIPC_MQ_SHM)));
  destroy_queue(mq, name);
}

TEST_IMPL(mq, hostile_writer_mutable_part) {
  run_on_shm_backend("mq.hostile_writer_mutable_part", hostile_writer_mutable_part_on);
}

static void hostile_writer_everything_on(xipc_mq_backend_t backend) {
  xipc_mq_t *mq, *other = (xipc_mq_t *)&other;
  hostile_tally_t t;
  char name[64];
  mq = new_queue(name, "hostile", backend, 16, 200);
  hostile_writer(name, 0, &t);
  /* The fixed header is garbage now: an opener is refused, not misled. */
  ASSERT_ERR(xipc_mq_open(&other, name, XIPC_MQ_SHM), XIPC_EIO);
  ASSERT_NULL(other);
  ASSERT_ERR(xipc_mq_open(&other, name, XIPC_MQ_DEFAULT), XIPC_EIO);
  destroy_queue(mq, name);
}

TEST_IMPL(mq, hostile_writer_everything) {
  run_on_shm_backend("mq.hostile_writer_everything", hostile_writer_everything_on);
}

/* Opening queue `name` is refused with XIPC_EIO; `what` says why it should be. */
static void expect_open_refused(const char *name, const char *what, int *refused) {
  xipc_mq_t *mq = (xipc_mq_t *)&mq;
  int rc = xipc_mq_open(&mq, name, XIPC_MQ_SHM);
  if (rc != XIPC_EIO)
    test_fail(__FILE__, __LINE__, "open of a queue with %s: %s, expected XIPC_EIO", what,
              xipc_err_name(rc));
  ASSERT_NULL(mq);
  (*refused)++;
}

/*
 * Every byte of the fixed header matters: a queue whose header has any one
 * of them changed, or that is forged consistently (checksum recomputed) but
 * describes a queue the segment cannot be, is refused with XIPC_EIO. So are
 * a segment too small for a header and one whose creator never finished.
 */
static void corrupt_header_refused_on(xipc_mq_backend_t backend) {
  unsigned char saved[SHM_FIXED_BYTES];
  char name[64], other[64], native[XIPC_NATIVE_NAME_MAX];
  xipc_mq_attr_t attr;
  raw_queue_t raw;
  xipc_shm_t *seg;
  xipc_mq_t *mq;
  size_t i;
  int refused = 0;
  mq = new_queue(name, "corrupt", backend, 4, 64);
  attr = queue_attr_of(mq);
  raw_open(&raw, name, &attr);
  memcpy(saved, raw.base, sizeof saved);
  /* One byte at a time; the magic once only (each refusal of it waits out a creator first). */
  for (i = SHM_OFF_VERSION; i < SHM_CHECKED_BYTES; i++) {
    char what[64];
    raw.base[i] ^= 0x5A;
    snprintf(what, sizeof what, "fixed header byte %zu changed", i);
    expect_open_refused(name, what, &refused);
    raw.base[i] ^= 0x5A;
  }
  /* Forgeries with a valid checksum. */
  raw_put_u32(&raw, SHM_OFF_VERSION, 2);
  raw_reseal(&raw);
  expect_open_refused(name, "version 2", &refused);
  memcpy(raw.base, saved, sizeof saved);
  raw_put_u32(&raw, SHM_OFF_HEADER_SIZE, SHM_HEADER_BYTES / 2);
  raw_reseal(&raw);
  expect_open_refused(name, "a header size of 256", &refused);
  memcpy(raw.base, saved, sizeof saved);
  raw_put_u32(&raw, SHM_OFF_MAX_MSGS, (uint32_t)attr.max_msgs * 1000u);
  raw_reseal(&raw);
  expect_open_refused(name, "more slots than its total size", &refused);
  {
    /* ... and the total size to match: more than the segment holds. */
    uint64_t total =
        SHM_HEADER_BYTES + (uint64_t)attr.max_msgs * 1000u *
                               (SHM_SLOT_HEADER_BYTES + ((attr.max_msg_size + 7) & ~(size_t)7));
    memcpy(raw.base + SHM_OFF_TOTAL_SIZE, &total, sizeof total);
    raw_reseal(&raw);
    expect_open_refused(name, "a total size beyond the segment", &refused);
  }
  memcpy(raw.base, saved, sizeof saved);
  raw_put_u32(&raw, SHM_OFF_MAX_MSG_SIZE, 0);
  raw_reseal(&raw);
  expect_open_refused(name, "max_msg_size 0", &refused);
  memcpy(raw.base, saved, sizeof saved);
  raw_put_u32(&raw, SHM_OFF_SPIN, (uint32_t)(XIPC_MQ_SPIN_MAX_US + 1));
  raw_reseal(&raw);
  expect_open_refused(name, "a spin above XIPC_MQ_SPIN_MAX_US", &refused);
  memcpy(raw.base, saved, sizeof saved);
  raw.base[0] ^= 0x01;
  expect_open_refused(name, "a wrong magic", &refused);
  /* Restored: the queue opens and works as before. */
  memcpy(raw.base, saved, sizeof saved);
  ASSERT_OK(xipc_mq_close(open_queue(name, XIPC_MQ_SHM)));
  send_text(mq, "intact", 1);
  expect_text(mq, "intact", 1);
  raw_close(&raw);
  destroy_queue(mq, name);

  /* Segments under a queue's name that no xipc creator finished. */
  test_unique_name(other, sizeof other, "stub");
  ASSERT_GT(xipc_name_native(XIPC_KIND_MQ, other, native, sizeof native), 0);
  ASSERT_OK(xipc_shm_create(&seg, native, 32, XIPC_SHM_NATIVE_NAME));
  expect_open_refused(other, "a 32-byte segment", &refused);
  ASSERT_OK(xipc_shm_close(seg));
  ASSERT_OK(xipc_mq_unlink(other));
  test_unique_name(other, sizeof other, "stub");
  ASSERT_GT(xipc_name_native(XIPC_KIND_MQ, other, native, sizeof native), 0);
  ASSERT_OK(xipc_shm_create(&seg, native, 4096, XIPC_SHM_NATIVE_NAME));
  expect_open_refused(other, "a zero-filled segment (its creator died before publishing it)",
                      &refused);
  ASSERT_OK(xipc_shm_close(seg));
  ASSERT_OK(xipc_mq_unlink(other));
  printf("%d corrupt, forged or unfinished queue headers refused with XIPC_EIO\n", refused);
}

TEST_IMPL(mq, corrupt_header_refused) {
  run_on_shm_backend("mq.corrupt_header_refused", corrupt_header_refused_on);
}
