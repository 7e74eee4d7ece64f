/* SPDX-License-Identifier: MIT */
/*
 * xipc's message queue in shared memory (docs/mq.md), the same on every
 * system: one segment holds a header and max_msgs slots of max_msg_size
 * bytes. Slots are linked into one FIFO list per priority and a free list.
 *
 * The lock is a word in the segment holding the owner's process id, taken
 * with a compare-and-swap: no named object, the same for 32- and 64-bit
 * processes. Its owner can die holding it; a waiter that finds the owner
 * gone takes the lock over and repairs the queue before using it: the lists
 * are rebuilt from the priority heads, so a slot that a dead sender had
 * taken but not linked goes back to the free list (its message was never
 * delivered: nothing torn), and a message a dead receiver was copying out
 * stays queued for the next receiver (it was never delivered either). A
 * sender links its slot only after the message is copied in, behind a memory
 * barrier, so a linked slot always holds a whole message.
 *
 * Waiting: a caller that cannot go on first spins on the shared count for
 * up to spin_us (the other side is usually quick; sleeping and waking cost
 * ~10 µs each here), then counts itself as a sleeper and sleeps on a
 * sequence word (xipc__shm_wait: a futex on Linux, a named semaphore on
 * Windows). The other side wakes it only when that count is not zero, so
 * nothing is spent on wake-ups while nobody sleeps.
 *
 * Everything read from the segment is untrusted: the fixed header fields
 * are read once at open, checked (magic, version, checksum, sizes) and kept
 * in the handle; indices, lengths and priorities are read once, checked
 * against those, and only then used. A check that fails is XIPC_EIO.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define MQ_MAGIC         0x51504958u /* "XIPQ" */
#define MQ_VERSION       1u
#define NONE             0xFFFFFFFFu
/* How long an opener waits for a creator to finish setting the queue up. */
#define SETUP_WAIT_MS    500
/* The lock: spins, then yields, then sleeps 1 ms at a time, looking whether its owner lives. */
#define LOCK_SPINS       200
#define LOCK_YIELDS      50
/* A call that may not wait (timeout 0) still waits this long for the lock itself (held for a copy
 * at most). */
#define LOCK_MIN_WAIT_MS 5
/* The longest sleep between two looks at the queue: bounds the cost of a wake that never came. */
#define SLEEP_SLICE_MS   100
/* The largest segment xipc makes for a queue. */
#define MAX_TOTAL_SIZE   ((uint64_t)1 << 30)

/* One 64-byte cache line of the header. */
#define LINE 64

/*
 * The header: fixed-width fields only, so 32- and 64-bit processes read the
 * same layout (checked below). The two wake sequences sit on their own
 * cache lines; the sleeper counts share the lock's line, since they change
 * only on the slow path and a waker reads them right after unlocking.
 */
typedef struct mq_header {
  /* Written once by the creator before `magic`, then never; covered by `checksum`. */
  uint32_t magic;
  uint32_t version;
  uint32_t header_size;
  uint32_t max_msgs;
  uint32_t max_msg_size;
  uint32_t slot_size;
  int32_t spin_us;
  uint32_t reserved;
  uint64_t total_size;
  uint64_t checksum;
  uint8_t pad0[LINE - 48];
  /* Guarded by `lock` (except the words used atomically, noted). */
  uint32_t lock; /* atomic: 0, or the pid of the process holding it */
  uint32_t count;
  uint32_t free_head;
  uint32_t nonempty;      /* bit p: the list of priority p is not empty */
  uint32_t recv_sleepers; /* atomic */
  uint32_t send_sleepers; /* atomic */
  uint8_t pad1[LINE - 24];
  uint32_t not_empty_seq; /* atomic: changed by each wake of receivers */
  uint8_t pad2[LINE - 4];
  uint32_t not_full_seq; /* atomic: changed by each wake of senders */
  uint8_t pad3[LINE - 4];
  uint32_t head[XIPC_MQ_PRIO_MAX];
  uint32_t tail[XIPC_MQ_PRIO_MAX];
} mq_header_t;

typedef struct mq_slot {
  uint32_t next;
  uint32_t len;
  uint32_t prio;
  uint32_t reserved;
  /* max_msg_size bytes of message follow, padded to 8 */
} mq_slot_t;

/* The layout every process must agree on, whatever its compiler and word size. */
_Static_assert(sizeof(mq_header_t) == 8 * LINE, "queue header layout");
_Static_assert(offsetof(mq_header_t, lock) == LINE, "queue header layout");
_Static_assert(offsetof(mq_header_t, not_empty_seq) == 2 * LINE, "queue header layout");
_Static_assert(offsetof(mq_header_t, head) == 4 * LINE, "queue header layout");
_Static_assert(sizeof(mq_slot_t) == 16, "queue slot layout");

/*
 * One read of a word in the segment. Another process may change it at any
 * time: the value checked must be the value used, which a plain read does
 * not promise (the compiler may read it again).
 */
#define SHARED_READ(field) (*(volatile const uint32_t *)&(field))

struct xipc__mqshm {
  xipc_shm_t *shm;
  mq_header_t *h;
  unsigned char *slots;
  /* Checked copies of the header's fixed fields: the only ones used. */
  uint32_t max_msgs, max_msg_size, slot_size;
  int spin_us;
  unsigned char *marks; /* max_msgs bytes for the repair */
  xipc__shm_waiter_t *not_empty, *not_full;
};

/* ---- Layout -------------------------------------------------------------- */

static uint32_t slot_size_for(uint32_t max_msg_size) {
  return (uint32_t)sizeof(mq_slot_t) + ((max_msg_size + 7u) & ~7u);
}

static uint64_t total_size_for(uint32_t max_msgs, uint32_t slot_size) {
  return (uint64_t)sizeof(mq_header_t) + (uint64_t)max_msgs * slot_size;
}

/* FNV-1a over the fixed fields before `checksum`. */
static uint64_t header_checksum(const mq_header_t *h) {
  return xipc__fnv1a(XIPC__FNV_INIT, h, offsetof(mq_header_t, checksum));
}

static mq_slot_t *slot_at(const xipc__mqshm_t *q, uint32_t i) {
  return (mq_slot_t *)(void *)(q->slots + (size_t)i * q->slot_size);
}

static unsigned char *slot_data(mq_slot_t *slot) {
  return (unsigned char *)(slot + 1);
}

static int spin_of(int spin_us) {
  return spin_us == 0 ? XIPC_MQ_SPIN_DEFAULT_US : spin_us < 0 ? 0 : spin_us;
}

/* ---- The lock ------------------------------------------------------------ */

/* 0 with the lock held; XIPC_EOWNERDEAD: held, taken over from a dead owner; or the timeout. */
static int lock_queue(xipc__mqshm_t *q, uint64_t deadline, int timeout_ms) {
  volatile uint32_t *word = &q->h->lock;
  uint32_t self = xipc__lock_owner_self();
  int round = 0;
  if (timeout_ms == 0)
    deadline = xipc__deadline(LOCK_MIN_WAIT_MS);
  for (;;) {
    uint32_t owner = xipc__atomic_load(word);
    if (owner == 0 && xipc__atomic_cas(word, 0, self))
      return 0; /* the usual case: free */
    if (round < LOCK_SPINS) {
      round++;
      xipc__cpu_relax();
      continue;
    }
    /* Not soon free: is its owner still there? */
    if (owner != 0 && !xipc__process_alive(owner) && xipc__atomic_cas(word, owner, self))
      return XIPC_EOWNERDEAD;
    if (xipc__remaining_ms(deadline) == 0)
      return xipc__timeout_error(timeout_ms);
    if (round < LOCK_SPINS + LOCK_YIELDS) {
      round++;
      xipc__yield();
    } else {
      xipc__sleep_ms(1);
    }
  }
}

static void unlock_queue(xipc__mqshm_t *q) {
  xipc__atomic_store(&q->h->lock, 0);
}

/*
 * Rebuild the lists after a holder died (lock held): keep every message
 * that is reachable from a priority head in a well-formed list, free every
 * other slot, recount. A list that leaves the bounds or loops is cut there.
 */
static void repair(xipc__mqshm_t *q) {
  mq_header_t *h = q->h;
  uint32_t p, i, count = 0, nonempty = 0, free_head = NONE;
  memset(q->marks, 0, q->max_msgs);
  for (p = 0; p < XIPC_MQ_PRIO_MAX; p++) {
    uint32_t prev = NONE;
    i = SHARED_READ(h->head[p]);
    while (i != NONE) {
      mq_slot_t *slot;
      if (i >= q->max_msgs || q->marks[i])
        break;
      slot = slot_at(q, i);
      if (SHARED_READ(slot->prio) != p || SHARED_READ(slot->len) > q->max_msg_size)
        break;
      q->marks[i] = 1;
      count++;
      prev = i;
      i = SHARED_READ(slot->next);
    }
    if (prev == NONE)
      h->head[p] = NONE;
    else
      slot_at(q, prev)->next = NONE;
    h->tail[p] = prev;
    if (prev != NONE)
      nonempty |= 1u << p;
  }
  for (i = q->max_msgs; i-- > 0;) {
    if (!q->marks[i]) {
      slot_at(q, i)->next = free_head;
      free_head = i;
    }
  }
  h->free_head = free_head;
  h->nonempty = nonempty;
  xipc__atomic_store(&h->count, count); /* spinners read it without the lock */
}

/*
 * Lock, repairing the queue first if its last holder died, and read the
 * message count: 0 with the lock held and *count checked against the
 * queue's size; XIPC_EIO (lock released) for a count beyond it; or the
 * timeout error.
 */
static int lock_and_count(xipc__mqshm_t *q, uint64_t deadline, int timeout_ms, uint32_t *count) {
  int rc = lock_queue(q, deadline, timeout_ms);
  if (rc == XIPC_EOWNERDEAD) {
    repair(q);
    rc = 0;
  }
  if (rc < 0)
    return rc;
  *count = SHARED_READ(q->h->count);
  if (*count > q->max_msgs) {
    unlock_queue(q);
    return xipc__fail(XIPC_EIO);
  }
  return 0;
}

/* ---- Waiting ------------------------------------------------------------- */

/* Spin (lock not held) until `ready` or spin_us or the deadline pass. */
static void spin_until(xipc__mqshm_t *q, bool for_space, uint64_t deadline) {
  uint64_t until = xipc__clock_ns() + (uint64_t)spin_of(q->spin_us) * 1000u;
  if (deadline < until)
    until = deadline;
  while (xipc__clock_ns() < until) {
    uint32_t count = xipc__atomic_load(&q->h->count);
    if (for_space ? count < q->max_msgs : count > 0)
      return;
    xipc__cpu_relax();
  }
}

/*
 * Called with the lock held when the queue is full (for_space) or empty:
 * spin once per call, else count as a sleeper and sleep until woken.
 * Returns with the lock released: 0 to try again, or the timeout error.
 */
static int wait_for(xipc__mqshm_t *q, bool for_space, bool *spun, uint64_t deadline,
                    int timeout_ms) {
  volatile uint32_t *seq = for_space ? &q->h->not_full_seq : &q->h->not_empty_seq;
  volatile uint32_t *sleepers = for_space ? &q->h->send_sleepers : &q->h->recv_sleepers;
  xipc__shm_waiter_t *waiter = for_space ? q->not_full : q->not_empty;
  uint64_t slice;
  uint32_t seen;
  int rc;
  if (xipc__remaining_ms(deadline) == 0) {
    unlock_queue(q);
    return xipc__timeout_error(timeout_ms);
  }
  if (!*spun && spin_of(q->spin_us) > 0) {
    unlock_queue(q);
    *spun = true;
    spin_until(q, for_space, deadline);
    return 0;
  }
  /* Counted and the sequence read under the lock: a wake after the unlock is not missed. */
  xipc__atomic_add(sleepers, 1);
  seen = xipc__atomic_load(seq);
  unlock_queue(q);
  /*
   * A wake can still never come: its peer died between unlocking and
   * waking. Sleep at most SLEEP_SLICE_MS at a time, then look at the queue
   * again; only the caller's deadline ends the wait.
   */
  slice = xipc__deadline(SLEEP_SLICE_MS);
  rc = xipc__shm_wait(waiter, seq, seen, deadline < slice ? deadline : slice, timeout_ms);
  xipc__atomic_add(sleepers, (uint32_t)-1);
  if ((rc == XIPC_ETIMEDOUT || rc == XIPC_EAGAIN) && xipc__remaining_ms(deadline) != 0)
    rc = 0;
  /*
   * Out of time, yet perhaps woken (a wake wakes one sleeper): the message
   * or the room it announced is for another sleeper, who must not sleep on.
   */
  if (rc < 0 && xipc__atomic_load(seq) != seen && xipc__atomic_load(sleepers) != 0)
    xipc__shm_wake(waiter, seq);
  return rc;
}

/* Wake one sleeper of the other side if there is one (lock not needed). */
static void wake_if_sleeping(xipc__mqshm_t *q, bool senders) {
  if (senders && xipc__atomic_load(&q->h->send_sleepers) != 0)
    xipc__shm_wake(q->not_full, &q->h->not_full_seq);
  else if (!senders && xipc__atomic_load(&q->h->recv_sleepers) != 0)
    xipc__shm_wake(q->not_empty, &q->h->not_empty_seq);
}

/* ---- Send and receive ---------------------------------------------------- */

/* Append the message to its list (lock held, count < max_msgs checked): 0 or XIPC_EIO. */
static int enqueue(xipc__mqshm_t *q, const void *buf, size_t len, unsigned prio, uint32_t count) {
  mq_header_t *h = q->h;
  uint32_t i = SHARED_READ(h->free_head), next, tail;
  mq_slot_t *slot;
  if (i >= q->max_msgs)
    return xipc__fail(XIPC_EIO);
  slot = slot_at(q, i);
  next = SHARED_READ(slot->next);
  tail = SHARED_READ(h->tail[prio]);
  if ((next != NONE && next >= q->max_msgs) || (tail != NONE && tail >= q->max_msgs))
    return xipc__fail(XIPC_EIO);
  if (len > 0)
    memcpy(slot_data(slot), buf, len);
  slot->len = (uint32_t)len;
  slot->prio = prio;
  slot->next = NONE;
  /* The message is whole before the slot can be reached from a list. */
  xipc__memory_barrier();
  h->free_head = next;
  if (tail == NONE)
    h->head[prio] = i;
  else
    slot_at(q, tail)->next = i;
  h->tail[prio] = i;
  h->nonempty |= 1u << prio;
  xipc__atomic_store(&h->count, count + 1); /* spinning receivers read it without the lock */
  return 0;
}

int xipc__mqshm_send(xipc__mqshm_t *q, const void *buf, size_t len, unsigned prio, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  bool spun = false;
  for (;;) {
    uint32_t count;
    int rc = lock_and_count(q, deadline, timeout_ms, &count);
    if (rc < 0)
      return rc;
    if (count < q->max_msgs) {
      rc = enqueue(q, buf, len, prio, count);
      unlock_queue(q);
      if (rc == 0)
        wake_if_sleeping(q, false);
      return rc;
    }
    rc = wait_for(q, true, &spun, deadline, timeout_ms);
    if (rc < 0)
      return rc;
  }
}

/* The highest priority with messages (bits 0..31). */
static unsigned highest(uint32_t mask) {
  unsigned p = XIPC_MQ_PRIO_MAX - 1;
  while ((mask & (1u << p)) == 0)
    p--;
  return p;
}

/* Take the first message of the highest priority (lock held, count > 0): its length or XIPC_EIO. */
static int dequeue(xipc__mqshm_t *q, void *buf, unsigned *prio, uint32_t count) {
  mq_header_t *h = q->h;
  uint32_t mask = SHARED_READ(h->nonempty), i, next, len;
  unsigned p;
  mq_slot_t *slot;
  if (mask == 0)
    return xipc__fail(XIPC_EIO);
  p = highest(mask);
  i = SHARED_READ(h->head[p]);
  if (i >= q->max_msgs)
    return xipc__fail(XIPC_EIO);
  slot = slot_at(q, i);
  len = SHARED_READ(slot->len);
  next = SHARED_READ(slot->next);
  if (len > q->max_msg_size || SHARED_READ(slot->prio) != p ||
      (next != NONE && next >= q->max_msgs))
    return xipc__fail(XIPC_EIO);
  if (len > 0)
    memcpy(buf, slot_data(slot), len);
  /* The copy is complete before the slot leaves the list. */
  xipc__memory_barrier();
  h->head[p] = next;
  if (next == NONE) {
    h->tail[p] = NONE;
    h->nonempty = mask & ~(1u << p);
  }
  slot->next = SHARED_READ(h->free_head);
  h->free_head = i;
  xipc__atomic_store(&h->count, count - 1);
  if (prio != NULL)
    *prio = p;
  return (int)len;
}

int xipc__mqshm_recv(xipc__mqshm_t *q, void *buf, size_t cap, unsigned *prio, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  bool spun = false;
  (void)cap; /* at least max_msg_size: checked by the caller */
  for (;;) {
    uint32_t count;
    int rc = lock_and_count(q, deadline, timeout_ms, &count);
    if (rc < 0)
      return rc;
    if (count > 0) {
      rc = dequeue(q, buf, prio, count);
      unlock_queue(q);
      if (rc >= 0)
        wake_if_sleeping(q, true);
      return rc;
    }
    rc = wait_for(q, false, &spun, deadline, timeout_ms);
    if (rc < 0)
      return rc;
  }
}

int xipc__mqshm_attr(xipc__mqshm_t *q, xipc_mq_attr_t *attr, size_t *count) {
  uint32_t n = xipc__atomic_load(&q->h->count);
  attr->max_msgs = q->max_msgs;
  attr->max_msg_size = q->max_msg_size;
  attr->backend = XIPC_MQ_SHM;
  attr->spin_us = q->spin_us;
  *count = n <= q->max_msgs ? n : q->max_msgs;
  return 0;
}

/* ---- Create, open, close ------------------------------------------------- */

static int segment_name(const char *name, char *buf, size_t cap) {
  return xipc_name_native(XIPC_KIND_MQ, name, buf, cap);
}

static void free_queue(xipc__mqshm_t *q) {
  xipc__shm_waiter_close(q->not_empty);
  xipc__shm_waiter_close(q->not_full);
  xipc_shm_close(q->shm);
  free(q->marks);
  free(q);
}

/* The handle's parts that are not the segment: waiters, repair marks, own id. */
static int attach(xipc__mqshm_t *q, const char *name, bool create) {
  int rc = xipc__shm_waiter_open(&q->not_empty, XIPC_KIND_MQ, name, "mq-recv", create);
  if (rc == 0)
    rc = xipc__shm_waiter_open(&q->not_full, XIPC_KIND_MQ, name, "mq-send", create);
  if (rc == 0 && (q->marks = malloc(q->max_msgs)) == NULL)
    rc = xipc__fail(XIPC_ENOMEM);
  q->slots = (unsigned char *)q->h + sizeof(mq_header_t);
  return rc;
}

int xipc__mqshm_create(xipc__mqshm_t **out, const char *name, const xipc_mq_attr_t *attr) {
  char native[XIPC_NATIVE_NAME_MAX];
  xipc__mqshm_t *q;
  mq_header_t *h, fixed;
  uint32_t i, slot_size = slot_size_for((uint32_t)attr->max_msg_size);
  uint64_t total = total_size_for((uint32_t)attr->max_msgs, slot_size);
  int rc;
  if (total > MAX_TOTAL_SIZE || total > SIZE_MAX)
    return xipc__fail(XIPC_EINVAL);
  rc = segment_name(name, native, sizeof native);
  if (rc < 0)
    return rc;
  q = calloc(1, sizeof *q);
  if (q == NULL)
    return xipc__fail(XIPC_ENOMEM);
  rc = xipc_shm_create(&q->shm, native, (size_t)total, XIPC_SHM_NATIVE_NAME);
  if (rc < 0) {
    free(q);
    return rc;
  }
  h = q->h = xipc_shm_addr(q->shm);
  q->max_msgs = (uint32_t)attr->max_msgs;
  q->max_msg_size = (uint32_t)attr->max_msg_size;
  q->slot_size = slot_size;
  q->spin_us = attr->spin_us;
  rc = attach(q, name, true);
  if (rc < 0) {
    free_queue(q);
    xipc_shm_unlink(native, XIPC_SHM_NATIVE_NAME);
    return rc;
  }
  h->version = MQ_VERSION;
  h->header_size = (uint32_t)sizeof(mq_header_t);
  h->max_msgs = q->max_msgs;
  h->max_msg_size = q->max_msg_size;
  h->slot_size = slot_size;
  h->spin_us = attr->spin_us;
  h->total_size = total;
  h->free_head = 0;
  for (i = 0; i < q->max_msgs; i++)
    slot_at(q, i)->next = i + 1 < q->max_msgs ? i + 1 : NONE;
  for (i = 0; i < XIPC_MQ_PRIO_MAX; i++)
    h->head[i] = h->tail[i] = NONE;
  /*
   * The checksum covers `magic` as it will be, computed on a copy: the magic
   * in the segment appears only last, behind a barrier, as the sign that the
   * header is complete (an opener may be looking already).
   */
  memcpy(&fixed, h, offsetof(mq_header_t, checksum));
  fixed.magic = MQ_MAGIC;
  h->checksum = header_checksum(&fixed);
  xipc__memory_barrier();
  xipc__atomic_store(&h->magic, MQ_MAGIC);
  *out = q;
  return 0;
}

/* Check the fixed header fields (copied once into `h`) against each other and the segment. */
static bool header_valid(const mq_header_t *h, size_t segment_size) {
  return h->magic == MQ_MAGIC && h->version == MQ_VERSION &&
         h->header_size == sizeof(mq_header_t) && h->checksum == header_checksum(h) &&
         h->max_msgs >= 1 && h->max_msgs <= XIPC_MQ_SHM_MAX_MSGS && h->max_msg_size >= 1 &&
         h->max_msg_size <= XIPC_MQ_SHM_MAX_MSG_SIZE &&
         h->slot_size == slot_size_for(h->max_msg_size) &&
         h->total_size == total_size_for(h->max_msgs, h->slot_size) &&
         h->total_size <= segment_size && h->spin_us >= -1 && h->spin_us <= XIPC_MQ_SPIN_MAX_US;
}

int xipc__mqshm_open(xipc__mqshm_t **out, const char *name) {
  char native[XIPC_NATIVE_NAME_MAX];
  uint64_t deadline = xipc__deadline(SETUP_WAIT_MS);
  xipc__mqshm_t *q;
  mq_header_t fixed;
  size_t size;
  int rc = segment_name(name, native, sizeof native);
  if (rc < 0)
    return rc;
  q = calloc(1, sizeof *q);
  if (q == NULL)
    return xipc__fail(XIPC_ENOMEM);
  rc = xipc_shm_open(&q->shm, native, XIPC_SHM_NATIVE_NAME);
  if (rc < 0) {
    free(q);
    return rc;
  }
  q->h = xipc_shm_addr(q->shm);
  size = xipc_shm_size(q->shm);
  if (size < sizeof(mq_header_t)) {
    free_queue(q);
    return xipc__fail(XIPC_EIO);
  }
  /* A creator may still be setting it up: its magic comes last. */
  while (xipc__atomic_load(&q->h->magic) != MQ_MAGIC && xipc__remaining_ms(deadline) != 0)
    xipc__sleep_ms(1);
  memcpy(&fixed, q->h, offsetof(mq_header_t, pad0));
  if (!header_valid(&fixed, size)) {
    free_queue(q);
    return xipc__fail(XIPC_EIO);
  }
  q->max_msgs = fixed.max_msgs;
  q->max_msg_size = fixed.max_msg_size;
  q->slot_size = fixed.slot_size;
  q->spin_us = fixed.spin_us;
  rc = attach(q, name, false);
  if (rc < 0) {
    free_queue(q);
    return rc;
  }
  *out = q;
  return 0;
}

void xipc__mqshm_close(xipc__mqshm_t *q) {
  free_queue(q);
}

int xipc__mqshm_unlink(const char *name) {
  char native[XIPC_NATIVE_NAME_MAX];
  int rc = segment_name(name, native, sizeof native);
  return rc < 0 ? rc : xipc_shm_unlink(native, XIPC_SHM_NATIVE_NAME);
}
