/* SPDX-License-Identifier: MIT */
/*
 * The course notes' bounded buffer, done right: a ring of slots in a shared
 * segment with `in` / `out` indices, a semaphore "empty" counting free slots,
 * a semaphore "full" counting items ready, and one mutex for the indices.
 *
 *   producer: wait(empty); lock; ring[in] = item; in++; unlock; post(full)
 *   consumer: wait(full);  lock; item = ring[out]; out++; unlock; post(empty)
 *
 * Each item carries its producer, a sequence number and a checksum of its
 * payload; every consumed item is counted in a "seen" array in the segment,
 * so the test finds any item lost, duplicated or torn. Once with producer
 * and consumer processes, once with threads of one process sharing one
 * mapping and one set of handles (the variant ThreadSanitizer runs).
 */
#include "task.h"

#include <stdlib.h>

#define BB_SLOTS         64
#define BB_PAYLOAD       16
#define BB_MAX_PRODUCERS 16
#define BB_PRODUCERS     2u
#define BB_CONSUMERS     2u
#define BB_ITEMS         200000u
/* Wine sends every semaphore and mutex operation through wineserver (~80 us each). */
#define BB_ITEMS_WINE    20000u

typedef struct bb_item {
  uint32_t producer;
  uint32_t seq;
  uint64_t check; /* FNV-1a of payload */
  unsigned char payload[BB_PAYLOAD];
} bb_item_t;

/*
 * The start of the segment; seen[producers * per_producer] follows it.
 * Fields marked (m) are only touched with the mutex held.
 */
typedef struct bb_header {
  uint32_t in, out;                 /* (m) next slot to fill, next slot to empty */
  uint32_t producers, per_producer; /* set before any producer or consumer starts */
  uint32_t bad;                     /* (m) items that failed a check */
  uint32_t reserved;
  bb_item_t ring[BB_SLOTS]; /* (m) */
} bb_header_t;

/* One participant's view: handles, and the shape of the buffer read once and checked. */
typedef struct bb {
  xipc_shm_t *shm;
  xipc_sem_t *empty, *full;
  xipc_mutex_t *lock;
  bb_header_t *h;
  unsigned char *seen; /* (m) how often each item was consumed, saturating at 255 */
  uint32_t producers, per_producer;
} bb_t;

static void bb_name(char *buf, size_t cap, const char *base, const char *what) {
  snprintf(buf, cap, "%s.%s", base, what);
}

static void bb_make_item(bb_item_t *item, uint32_t producer, uint32_t seq) {
  item->producer = producer;
  item->seq = seq;
  test_fill_pattern(item->payload, BB_PAYLOAD, producer + 1, (uint64_t)seq * BB_PAYLOAD);
  item->check = test_fnv(TEST_FNV_INIT, item->payload, BB_PAYLOAD);
}

/* The item is what its producer made for this sequence number, checksum included. */
static bool bb_item_ok(const bb_item_t *item) {
  bb_item_t expected;
  bb_make_item(&expected, item->producer, item->seq);
  return item->check == expected.check && memcmp(item->payload, expected.payload, BB_PAYLOAD) == 0;
}

/*
 * Lock the indices. A peer that died holding the lock may have left them
 * half-updated, and nothing here can repair a ring: unlock without
 * xipc_mutex_consistent(), so every participant stops at once with
 * XIPC_ENOTRECOVERABLE instead of waiting out its timeouts.
 */
static int bb_lock(bb_t *bb, int timeout_ms) {
  int rc = xipc_mutex_lock(bb->lock, timeout_ms);
  if (rc == XIPC_EOWNERDEAD)
    xipc_mutex_unlock(bb->lock);
  return rc;
}

/* Put `count` items of producer `id` into the ring; 0 or the error that stopped it. */
static int bb_produce(bb_t *bb, uint32_t id, uint32_t count) {
  int wait_ms = test_timeout(10000), rc;
  uint32_t seq;
  for (seq = 0; seq < count; seq++) {
    bb_item_t item;
    uint32_t in;
    bb_make_item(&item, id, seq);
    if ((rc = xipc_sem_wait(bb->empty, wait_ms)) < 0) /* a free slot */
      return rc;
    if ((rc = bb_lock(bb, wait_ms)) < 0)
      return rc;
    in = bb->h->in;
    if (in >= BB_SLOTS) {
      xipc_mutex_unlock(bb->lock);
      return XIPC_EIO;
    }
    bb->h->ring[in] = item;
    bb->h->in = (in + 1) % BB_SLOTS;
    if ((rc = xipc_mutex_unlock(bb->lock)) < 0)
      return rc;
    if ((rc = xipc_sem_post(bb->full)) < 0) /* an item ready */
      return rc;
  }
  return 0;
}

/* Take `quota` items from the ring and record each; 0 or the error that stopped it. */
static int bb_consume(bb_t *bb, uint32_t quota) {
  int wait_ms = test_timeout(10000), rc;
  uint32_t i, bad = 0;
  for (i = 0; i < quota; i++) {
    bb_item_t item;
    uint32_t out;
    if ((rc = xipc_sem_wait(bb->full, wait_ms)) < 0)
      return rc;
    if ((rc = bb_lock(bb, wait_ms)) < 0)
      return rc;
    out = bb->h->out;
    if (out >= BB_SLOTS) {
      xipc_mutex_unlock(bb->lock);
      return XIPC_EIO;
    }
    item = bb->h->ring[out];
    bb->h->out = (out + 1) % BB_SLOTS;
    /* The copy is checked before it indexes anything. */
    if (item.producer < bb->producers && item.seq < bb->per_producer) {
      unsigned char *count = &bb->seen[(size_t)item.producer * bb->per_producer + item.seq];
      if (*count < 255)
        (*count)++;
    } else {
      bad++;
    }
    if ((rc = xipc_mutex_unlock(bb->lock)) < 0)
      return rc;
    if ((rc = xipc_sem_post(bb->empty)) < 0)
      return rc;
    if (!bb_item_ok(&item)) /* outside the lock: the copy is ours */
      bad++;
  }
  if ((rc = bb_lock(bb, wait_ms)) < 0)
    return rc;
  bb->h->bad += bad;
  return xipc_mutex_unlock(bb->lock);
}

static void bb_close(bb_t *bb) {
  xipc_mutex_close(bb->lock);
  xipc_sem_close(bb->full);
  xipc_sem_close(bb->empty);
  xipc_shm_close(bb->shm);
}

/* The test's side: create the segment, the semaphores and the mutex under `base`. */
static void bb_create(bb_t *bb, const char *base, uint32_t producers, uint32_t per_producer) {
  char name[96];
  int rc;
  memset(bb, 0, sizeof *bb);
  /* The mutex first: where there are none (macOS) the test skips with nothing to clean up. */
  bb_name(name, sizeof name, base, "lock");
  rc = xipc_mutex_create(&bb->lock, name);
  if (rc == XIPC_ENOTSUP)
    SKIP("no robust process-shared mutexes on this system (xipc_mutex_create: XIPC_ENOTSUP)");
  ASSERT_OK(rc);
  bb_name(name, sizeof name, base, "ring");
  ASSERT_OK(
      xipc_shm_create(&bb->shm, name, sizeof(bb_header_t) + (size_t)producers * per_producer, 0));
  bb_name(name, sizeof name, base, "empty");
  ASSERT_OK(xipc_sem_create(&bb->empty, name, BB_SLOTS));
  bb_name(name, sizeof name, base, "full");
  ASSERT_OK(xipc_sem_create(&bb->full, name, 0));
  bb->h = xipc_shm_addr(bb->shm);
  bb->h->producers = bb->producers = producers;
  bb->h->per_producer = bb->per_producer = per_producer;
  bb->seen = (unsigned char *)(bb->h + 1);
}

/* A helper's side: open everything under `base`; 0 or an xipc error (bb_close() either way). */
static int bb_open(bb_t *bb, const char *base) {
  char name[96];
  size_t size;
  int rc;
  memset(bb, 0, sizeof *bb);
  bb_name(name, sizeof name, base, "ring");
  if ((rc = xipc_shm_open(&bb->shm, name, 0)) < 0)
    return rc;
  bb_name(name, sizeof name, base, "empty");
  if ((rc = xipc_sem_open(&bb->empty, name)) < 0)
    return rc;
  bb_name(name, sizeof name, base, "full");
  if ((rc = xipc_sem_open(&bb->full, name)) < 0)
    return rc;
  bb_name(name, sizeof name, base, "lock");
  if ((rc = xipc_mutex_open(&bb->lock, name)) < 0)
    return rc;
  /* The segment is shared input: read its shape once, check it, use only the copies. */
  size = xipc_shm_size(bb->shm);
  if (size < sizeof(bb_header_t))
    return XIPC_EIO;
  bb->h = xipc_shm_addr(bb->shm);
  bb->producers = bb->h->producers;
  bb->per_producer = bb->h->per_producer;
  if (bb->producers == 0 || bb->producers > BB_MAX_PRODUCERS || bb->per_producer == 0 ||
      (size - sizeof(bb_header_t)) / bb->producers < bb->per_producer)
    return XIPC_EIO;
  bb->seen = (unsigned char *)(bb->h + 1);
  return 0;
}

/* Close everything and remove the names (already gone on Windows). */
static void bb_destroy(bb_t *bb, const char *base) {
  char name[96];
  bb_close(bb);
  bb_name(name, sizeof name, base, "ring");
  ASSERT_OK(xipc_shm_unlink(name, 0));
  bb_name(name, sizeof name, base, "empty");
  ASSERT_OK(xipc_sem_unlink(name));
  bb_name(name, sizeof name, base, "full");
  ASSERT_OK(xipc_sem_unlink(name));
  bb_name(name, sizeof name, base, "lock");
  ASSERT_OK(xipc_mutex_unlink(name));
}

/* Everything arrived once and intact; the ring and its semaphores are back where they began. */
static void bb_verify(bb_t *bb, const char *who, uint64_t start_ns, uint32_t wanted) {
  uint32_t total = bb->producers * bb->per_producer, lost = 0, duplicated = 0, i;
  double seconds = (double)(xipc_time_ns() - start_ns) / 1e9;
  ASSERT_OK(xipc_mutex_lock(bb->lock, 0));
  for (i = 0; i < total; i++) {
    if (bb->seen[i] == 0)
      lost++;
    else if (bb->seen[i] > 1)
      duplicated++;
  }
  printf("bounded buffer, %s, %d slots: %u items in %.0f ms, %.0f items/s; "
         "%u lost, %u duplicated, %u bad%s\n",
         who, BB_SLOTS, total, seconds * 1000, total / seconds, lost, duplicated, bb->h->bad,
         total < wanted ? " (under Wine: fewer items, each semaphore or mutex operation goes "
                          "through wineserver, ~80 us)"
                        : "");
  ASSERT_EQ(lost, 0);
  ASSERT_EQ(duplicated, 0);
  ASSERT_EQ(bb->h->bad, 0);
  ASSERT_EQ(bb->h->in, total % BB_SLOTS);
  ASSERT_EQ(bb->h->out, total % BB_SLOTS);
  ASSERT_OK(xipc_mutex_unlock(bb->lock));
  ASSERT_ERR(xipc_sem_trywait(bb->full), XIPC_EAGAIN);
  for (i = 0; i < BB_SLOTS; i++)
    ASSERT_OK(xipc_sem_trywait(bb->empty));
  ASSERT_ERR(xipc_sem_trywait(bb->empty), XIPC_EAGAIN);
}

static uint32_t bb_total_items(void) {
  return test_os_is_wine() ? BB_ITEMS_WINE : BB_ITEMS;
}

/* Consumer c's share of `total` items among `consumers`. */
static uint32_t bb_quota(uint32_t total, uint32_t consumers, uint32_t c) {
  return total / consumers + (c < total % consumers ? 1 : 0);
}

/* ---- Helpers --------------------------------------------------------- */

/* Producer argv[1] (0-based) puts argv[2] items into the bounded buffer argv[0]. */
HELPER_IMPL(bb_producer) {
  bb_t bb;
  uint32_t id, count;
  int rc;
  if (argc != 3)
    return 100;
  id = (uint32_t)strtoul(argv[1], NULL, 10);
  count = (uint32_t)strtoul(argv[2], NULL, 10);
  rc = bb_open(&bb, argv[0]);
  if (rc == 0 && (id >= bb.producers || count > bb.per_producer))
    rc = XIPC_EINVAL;
  if (rc == 0)
    rc = bb_produce(&bb, id, count);
  bb_close(&bb);
  if (rc < 0)
    fprintf(stderr, "bb_producer %u: %s\n", id, xipc_err_name(rc));
  return rc < 0 ? 1 : 0;
}

/* A consumer takes argv[1] items from the bounded buffer argv[0]. */
HELPER_IMPL(bb_consumer) {
  bb_t bb;
  int rc;
  if (argc != 2)
    return 100;
  rc = bb_open(&bb, argv[0]);
  if (rc == 0)
    rc = bb_consume(&bb, (uint32_t)strtoul(argv[1], NULL, 10));
  bb_close(&bb);
  if (rc < 0)
    fprintf(stderr, "bb_consumer: %s\n", xipc_err_name(rc));
  return rc < 0 ? 1 : 0;
}

/* ---- Tests ----------------------------------------------------------- */

TEST_IMPL(shm, bounded_buffer_processes) {
  xipc_process_t *procs[BB_PRODUCERS + BB_CONSUMERS];
  uint32_t total = bb_total_items(), i;
  char base[64], id[16], count[16];
  uint64_t start;
  bb_t bb;
  test_unique_name(base, sizeof base, "bb");
  bb_create(&bb, base, BB_PRODUCERS, total / BB_PRODUCERS);
  start = xipc_time_ns();
  for (i = 0; i < BB_PRODUCERS; i++) {
    snprintf(id, sizeof id, "%u", i);
    snprintf(count, sizeof count, "%u", total / BB_PRODUCERS);
    procs[i] = helper_start("bb_producer", base, id, count, NULL);
  }
  for (i = 0; i < BB_CONSUMERS; i++) {
    snprintf(count, sizeof count, "%u", bb_quota(total, BB_CONSUMERS, i));
    procs[BB_PRODUCERS + i] = helper_start("bb_consumer", base, count, NULL);
  }
  for (i = 0; i < BB_PRODUCERS + BB_CONSUMERS; i++) {
    xipc_exit_t status;
    int rc = xipc_process_wait(procs[i], test_timeout(120000), &status);
    if (rc < 0)
      xipc_process_kill(procs[i]);
    ASSERT_OK(rc);
    xipc_process_close(procs[i]);
    if (status.signal != 0 || status.code != 0)
      test_fail(__FILE__, __LINE__, "%s %u ended with code %d, signal %d",
                i < BB_PRODUCERS ? "producer" : "consumer", i < BB_PRODUCERS ? i : i - BB_PRODUCERS,
                status.code, status.signal);
  }
  bb_verify(&bb, "2 producer and 2 consumer processes (start-up included)", start, BB_ITEMS);
  bb_destroy(&bb, base);
}

typedef struct bb_job {
  bb_t *bb;
  bool producer;
  uint32_t id, count;
  int rc;
} bb_job_t;

static void bb_thread(void *arg) {
  bb_job_t *job = arg;
  job->rc =
      job->producer ? bb_produce(job->bb, job->id, job->count) : bb_consume(job->bb, job->count);
}

/* The same with threads of this process, sharing one mapping and one handle of each object. */
TEST_IMPL(shm, bounded_buffer_threads) {
  test_os_thread_t *threads[BB_PRODUCERS + BB_CONSUMERS];
  bb_job_t jobs[BB_PRODUCERS + BB_CONSUMERS];
  uint32_t total = bb_total_items(), i;
  char base[64];
  uint64_t start;
  bb_t bb;
  test_unique_name(base, sizeof base, "bbt");
  bb_create(&bb, base, BB_PRODUCERS, total / BB_PRODUCERS);
  for (i = 0; i < BB_PRODUCERS + BB_CONSUMERS; i++) {
    jobs[i].bb = &bb;
    jobs[i].producer = i < BB_PRODUCERS;
    jobs[i].id = i < BB_PRODUCERS ? i : 0;
    jobs[i].count =
        i < BB_PRODUCERS ? total / BB_PRODUCERS : bb_quota(total, BB_CONSUMERS, i - BB_PRODUCERS);
    jobs[i].rc = 1;
  }
  start = xipc_time_ns();
  for (i = 0; i < BB_PRODUCERS + BB_CONSUMERS; i++)
    threads[i] = test_os_thread_start(bb_thread, &jobs[i]);
  for (i = 0; i < BB_PRODUCERS + BB_CONSUMERS; i++)
    test_os_thread_join(threads[i]);
  for (i = 0; i < BB_PRODUCERS + BB_CONSUMERS; i++) {
    if (jobs[i].rc != 0)
      test_fail(__FILE__, __LINE__, "%s thread %u: %s", jobs[i].producer ? "producer" : "consumer",
                i, xipc_err_name(jobs[i].rc));
  }
  bb_verify(&bb, "2 producer and 2 consumer threads", start, BB_ITEMS);
  bb_destroy(&bb, base);
}
