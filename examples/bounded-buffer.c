/* SPDX-License-Identifier: MIT */
/*
 * bounded-buffer: the producer-consumer problem of the textbooks, between
 * real processes, portable. A ring of slots lives in a named shared memory
 * segment; semaphore "empty" counts the free slots, semaphore "full" the
 * items ready, and a mutex guards the ring's indices:
 *
 *   producer: wait(empty); lock; slot[in] = item; in++; unlock; post(full)
 *   consumer: wait(full);  lock; item = slot[out]; out++; unlock; post(empty)
 *
 * The parent creates everything, starts itself as the producers and the
 * consumers, and afterwards checks that every item arrived exactly once.
 *
 *   bounded-buffer [producers] [consumers] [items]     (default 2 2 100000)
 *   bounded-buffer producer <base> <first> <count>     a producer (started by the parent)
 *   bounded-buffer consumer <base> <count>             a consumer (started by the parent)
 */
#include <xipc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS       64
#define MAX_WORKERS 16
#define MAX_ITEMS   100000000ul
/* No single wait should take this long: if one does, a peer is gone and we give up. */
#define WAIT_MS     10000

typedef struct item {
  uint32_t number; /* 0 .. items-1, each made by exactly one producer */
  uint32_t value;  /* the "work" */
  uint32_t check;  /* checksum of number and value: a torn slot shows */
  uint32_t reserved;
} item_t;

/*
 * The start of the segment; seen[items] follows it: how many times each item
 * was consumed. Everything but `items` is touched only with the mutex held.
 */
typedef struct ring {
  uint32_t in, out; /* next slot to fill, next slot to empty */
  uint32_t items;   /* written by the parent before any child starts */
  uint32_t bad;     /* items whose check failed */
  item_t slot[SLOTS];
} ring_t;

/* One process's handles on the buffer. */
typedef struct buffer {
  xipc_shm_t *shm;
  xipc_sem_t *empty, *full;
  xipc_mutex_t *lock;
  ring_t *ring;
  unsigned char *seen;
  uint32_t items; /* our own copy: the segment could be changed under us */
} buffer_t;

static int fail(const char *what, int err) {
  fprintf(stderr, "bounded-buffer: %s: %s (%s)\n", what, xipc_strerror(err), xipc_err_name(err));
  return 1;
}

static uint32_t item_value(uint32_t number) {
  return number * 2654435761u + 12345u;
}

/* FNV-1a over the item's number and value. */
static uint32_t item_check(uint32_t number, uint32_t value) {
  uint32_t words[2], hash = 2166136261u;
  const unsigned char *p = (const unsigned char *)words;
  size_t i;
  words[0] = number;
  words[1] = value;
  for (i = 0; i < sizeof words; i++) {
    hash ^= p[i];
    hash *= 16777619u;
  }
  return hash;
}

static void object_name(char *buf, size_t cap, const char *base, const char *what) {
  snprintf(buf, cap, "%s.%s", base, what);
}

/*
 * The parent creates the objects; the children open them. Windows removes
 * a named object with its last handle, so the parent keeps its handles open
 * until the children are done.
 */
static int create_buffer(buffer_t *b, const char *base, uint32_t items) {
  char name[128];
  int rc;
  object_name(name, sizeof name, base, "ring");
  if ((rc = xipc_shm_create(&b->shm, name, sizeof(ring_t) + items, 0)) < 0)
    return fail("xipc_shm_create", rc);
  object_name(name, sizeof name, base, "empty");
  if ((rc = xipc_sem_create(&b->empty, name, SLOTS)) < 0) /* every slot free */
    return fail("xipc_sem_create", rc);
  object_name(name, sizeof name, base, "full");
  if ((rc = xipc_sem_create(&b->full, name, 0)) < 0) /* no item yet */
    return fail("xipc_sem_create", rc);
  object_name(name, sizeof name, base, "lock");
  if ((rc = xipc_mutex_create(&b->lock, name)) < 0)
    return fail("xipc_mutex_create", rc);
  b->ring = xipc_shm_addr(b->shm); /* zero-filled: in = out = 0, nothing seen */
  b->ring->items = b->items = items;
  b->seen = (unsigned char *)(b->ring + 1);
  return 0;
}

static int open_buffer(buffer_t *b, const char *base) {
  char name[128];
  size_t size;
  int rc;
  object_name(name, sizeof name, base, "ring");
  if ((rc = xipc_shm_open(&b->shm, name, 0)) < 0)
    return fail("xipc_shm_open", rc);
  object_name(name, sizeof name, base, "empty");
  if ((rc = xipc_sem_open(&b->empty, name)) < 0)
    return fail("xipc_sem_open", rc);
  object_name(name, sizeof name, base, "full");
  if ((rc = xipc_sem_open(&b->full, name)) < 0)
    return fail("xipc_sem_open", rc);
  object_name(name, sizeof name, base, "lock");
  if ((rc = xipc_mutex_open(&b->lock, name)) < 0)
    return fail("xipc_mutex_open", rc);
  /* Shared memory is input like any other: read the size once, check it, keep the copy. */
  size = xipc_shm_size(b->shm);
  b->ring = xipc_shm_addr(b->shm);
  if (size < sizeof(ring_t))
    return fail("the segment", XIPC_EIO);
  b->items = b->ring->items;
  if (b->items > size - sizeof(ring_t))
    return fail("the segment", XIPC_EIO);
  b->seen = (unsigned char *)(b->ring + 1);
  return 0;
}

/* Close what is open (closing NULL does nothing). */
static void close_buffer(buffer_t *b) {
  xipc_mutex_close(b->lock);
  xipc_sem_close(b->full);
  xipc_sem_close(b->empty);
  xipc_shm_close(b->shm);
}

/* POSIX names stay until removed; on Windows these are no-ops. */
static void unlink_buffer(const char *base) {
  char name[128];
  object_name(name, sizeof name, base, "ring");
  xipc_shm_unlink(name, 0);
  object_name(name, sizeof name, base, "empty");
  xipc_sem_unlink(name);
  object_name(name, sizeof name, base, "full");
  xipc_sem_unlink(name);
  object_name(name, sizeof name, base, "lock");
  xipc_mutex_unlink(name);
}

/*
 * Lock the ring. If its last owner died while moving an item, the indices
 * may be half-updated and we cannot know how to repair them: unlock without
 * xipc_mutex_consistent(), which makes every other participant fail at once
 * (XIPC_ENOTRECOVERABLE) instead of trusting a broken ring.
 */
static int lock_ring(buffer_t *b) {
  int rc = xipc_mutex_lock(b->lock, WAIT_MS);
  if (rc == XIPC_EOWNERDEAD)
    xipc_mutex_unlock(b->lock);
  return rc;
}

/* Make items first .. first+count-1. */
static int produce(buffer_t *b, uint32_t first, uint32_t count) {
  uint32_t n, in;
  int rc;
  if (count > b->items || first > b->items - count)
    return fail("producer", XIPC_EINVAL);
  for (n = first; n < first + count; n++) {
    item_t item;
    item.number = n;
    item.value = item_value(n);
    item.check = item_check(n, item.value);
    item.reserved = 0;
    if ((rc = xipc_sem_wait(b->empty, WAIT_MS)) < 0) /* wait for a free slot */
      return fail("wait for a free slot", rc);
    if ((rc = lock_ring(b)) < 0)
      return fail("lock", rc);
    in = b->ring->in;
    if (in >= SLOTS) { /* read once and checked: a broken peer cannot send us out of bounds */
      xipc_mutex_unlock(b->lock);
      return fail("the ring", XIPC_EIO);
    }
    b->ring->slot[in] = item;
    b->ring->in = (in + 1) % SLOTS;
    xipc_mutex_unlock(b->lock);
    if ((rc = xipc_sem_post(b->full)) < 0) /* one more item for the consumers */
      return fail("post", rc);
  }
  return 0;
}

/* Take `count` items, record each in seen[]. */
static int consume(buffer_t *b, uint32_t count) {
  uint32_t i, out, bad = 0;
  int rc;
  for (i = 0; i < count; i++) {
    item_t item;
    if ((rc = xipc_sem_wait(b->full, WAIT_MS)) < 0) /* wait for an item */
      return fail("wait for an item", rc);
    if ((rc = lock_ring(b)) < 0)
      return fail("lock", rc);
    out = b->ring->out;
    if (out >= SLOTS) {
      xipc_mutex_unlock(b->lock);
      return fail("the ring", XIPC_EIO);
    }
    item = b->ring->slot[out]; /* a copy: from here on nobody can change it under us */
    b->ring->out = (out + 1) % SLOTS;
    if (item.number < b->items && item.check == item_check(item.number, item.value) &&
        item.value == item_value(item.number)) {
      if (b->seen[item.number] < 255)
        b->seen[item.number]++;
    } else {
      bad++;
    }
    xipc_mutex_unlock(b->lock);
    if ((rc = xipc_sem_post(b->empty)) < 0) /* one more free slot for the producers */
      return fail("post", rc);
  }
  if ((rc = lock_ring(b)) < 0)
    return fail("lock", rc);
  b->ring->bad += bad;
  xipc_mutex_unlock(b->lock);
  return 0;
}

/* A child: open the buffer, do its part, close. */
static int child(int argc, char **argv) {
  buffer_t b;
  int rc;
  memset(&b, 0, sizeof b);
  rc = open_buffer(&b, argv[2]);
  if (rc == 0 && strcmp(argv[1], "producer") == 0 && argc == 5)
    rc = produce(&b, (uint32_t)strtoul(argv[3], NULL, 10), (uint32_t)strtoul(argv[4], NULL, 10));
  else if (rc == 0 && strcmp(argv[1], "consumer") == 0 && argc == 4)
    rc = consume(&b, (uint32_t)strtoul(argv[3], NULL, 10));
  else if (rc == 0)
    rc = fail("child arguments", XIPC_EINVAL);
  close_buffer(&b);
  return rc;
}

/* A whole number from 1 to max, or 0. */
static unsigned long parse_count(const char *s, unsigned long max) {
  char *end;
  unsigned long n = strtoul(s, &end, 10);
  return *s >= '0' && *s <= '9' && *end == '\0' && n >= 1 && n <= max ? n : 0;
}

/* Start this program again in role `argv[1]`. */
static int start_child(xipc_process_t **proc, const char *const *argv) {
  xipc_spawn_options_t opts;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  return xipc_spawn(proc, &opts);
}

int main(int argc, char **argv) {
  xipc_process_t *procs[2 * MAX_WORKERS];
  unsigned long producers = 2, consumers = 2, items = 100000;
  char exe[4096], base[64], id[2][24];
  const char *child_argv[6];
  uint32_t lost = 0, duplicated = 0, i, first = 0;
  size_t started = 0, k;
  buffer_t b;
  uint64_t start;
  double seconds;
  int rc, failed = 0;

  if (argc >= 4 && (strcmp(argv[1], "producer") == 0 || strcmp(argv[1], "consumer") == 0))
    return child(argc, argv);
  if ((argc > 1 && (producers = parse_count(argv[1], MAX_WORKERS)) == 0) ||
      (argc > 2 && (consumers = parse_count(argv[2], MAX_WORKERS)) == 0) ||
      (argc > 3 && (items = parse_count(argv[3], MAX_ITEMS)) == 0) || argc > 4) {
    fprintf(stderr, "usage: bounded-buffer [producers 1-%d] [consumers 1-%d] [items 1-%lu]\n",
            MAX_WORKERS, MAX_WORKERS, MAX_ITEMS);
    return 2;
  }
  if ((rc = xipc_self_exe(exe, sizeof exe)) < 0)
    return fail("xipc_self_exe", rc);

  /* Names of our own: two copies of the program can run side by side. */
  snprintf(base, sizeof base, "bounded-buffer.%d", xipc_self_pid());
  memset(&b, 0, sizeof b);
  if (create_buffer(&b, base, (uint32_t)items) != 0) {
    close_buffer(&b);
    unlink_buffer(base);
    return 1;
  }

  start = xipc_time_ns();
  child_argv[0] = exe;
  child_argv[2] = base;
  for (i = 0; i < producers + consumers && !failed; i++) {
    /* Producer p makes its share of the item numbers; consumer c takes its share of the items. */
    int is_producer = i < producers;
    unsigned long workers = is_producer ? producers : consumers;
    unsigned long nth = is_producer ? i : i - producers;
    unsigned long share = items / workers + (nth < items % workers ? 1 : 0);
    child_argv[1] = is_producer ? "producer" : "consumer";
    snprintf(id[0], sizeof id[0], "%lu", is_producer ? (unsigned long)first : share);
    snprintf(id[1], sizeof id[1], "%lu", share);
    child_argv[3] = id[0];
    child_argv[4] = is_producer ? id[1] : NULL;
    child_argv[5] = NULL;
    if (is_producer)
      first += (uint32_t)share;
    if ((rc = start_child(&procs[started], child_argv)) < 0)
      failed = fail("xipc_spawn", rc);
    else
      started++;
  }
  if (failed) {
    /* The others would wait for a peer that never comes: stop them now. */
    for (k = 0; k < started; k++)
      xipc_process_kill(procs[k]);
  }
  /* Every wait in the children is bounded (WAIT_MS), so each child ends. */
  for (k = 0; k < started; k++) {
    xipc_exit_t status;
    rc = xipc_process_wait(procs[k], -1, &status);
    if (rc < 0)
      failed = fail("xipc_process_wait", rc);
    else if (status.code != 0 || status.signal != 0)
      failed = 1;
    xipc_process_close(procs[k]);
  }
  seconds = (double)(xipc_time_ns() - start) / 1e9;

  if (!failed) {
    /* The children are gone: nobody else touches the ring now. */
    for (i = 0; i < b.items; i++) {
      if (b.seen[i] == 0)
        lost++;
      else if (b.seen[i] > 1)
        duplicated++;
    }
    printf("producers %lu, consumers %lu, slots %d: %lu items in %.3f s, %.0f items/s "
           "(process start-up included)\n",
           producers, consumers, SLOTS, items, seconds, (double)items / seconds);
    if (lost != 0 || duplicated != 0 || b.ring->bad != 0) {
      fprintf(stderr, "bounded-buffer: %u lost, %u duplicated, %u damaged\n", lost, duplicated,
              b.ring->bad);
      failed = 1;
    }
  }
  close_buffer(&b);
  unlink_buffer(base);
  if (failed) {
    fprintf(stderr, "bounded-buffer: failed\n");
    return 1;
  }
  printf("bounded buffer: %lu items, none lost or duplicated\n", items);
  return 0;
}
