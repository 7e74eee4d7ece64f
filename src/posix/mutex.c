/* SPDX-License-Identifier: MIT */
/*
 * Robust named mutexes on POSIX: a robust, process-shared pthread mutex in a
 * small shared segment, /xipc.mutex.<name>.
 *
 * The POSIX robust-mutex contract is xipc's: when the owner dies, the next
 * lock returns EOWNERDEAD with the lock held; pthread_mutex_consistent()
 * repairs it; unlocking without that makes it ENOTRECOVERABLE for good.
 *
 * The mutex is error-checking, so a thread that locks it again gets EDEADLK
 * rather than a deadlock. glibc's pthread_mutex_consistent() does not check
 * who calls it, so the holder also records itself (process and thread) in
 * the segment, and consistent() requires the caller to be that holder.
 *
 * A lock that may not wait is a timed lock with a deadline already passed,
 * not pthread_mutex_trylock(): glibc 2.36's trylock on a mutex that is not
 * recoverable returns ENOTRECOVERABLE but leaves it locked by the caller
 * (nptl/pthread_mutex_trylock.c), which would deadlock everyone.
 *
 * Creation is published, not assumed: the creator initialises the mutex,
 * then stores a magic number with release ordering; an opener reads it with
 * acquire ordering and uses the mutex only once it is there, so two
 * processes creating and opening at once never see a half-built one. Whatever
 * else the segment holds was written by another process and is checked
 * before use (version, size).
 *
 * Where the system has no robust mutexes (macOS), create and open return
 * XIPC_ENOTSUP rather than a lock that deadlocks when its owner dies.
 */
#include "internal.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MUTEX_MAGIC   0x4d504958u /* "XIPM" */
#define MUTEX_VERSION 2u
/* How long an opener waits for a creator to finish setting the mutex up. */
#define SETUP_WAIT_MS 500

typedef struct mutex_shared {
  _Atomic uint32_t magic; /* MUTEX_MAGIC once the mutex is initialised */
  uint32_t version;
  uint32_t size; /* sizeof(mutex_shared_t) as the creator saw it: catches a 32/64-bit mix */
  _Atomic int32_t holder_pid;     /* the holder, recorded by xipc; 0 when free */
  _Atomic uint64_t holder_thread; /* its thread (see caller_thread()) */
  pthread_mutex_t mutex;
} mutex_shared_t;

struct xipc_mutex_s {
  mutex_shared_t *shared;
  int fd;
};

static int mutex_name(const char *name, char *buf, size_t cap) {
  return xipc_name_native(XIPC_KIND_MUTEX, name, buf, cap);
}

#ifdef XIPC_HAVE_ROBUST_MUTEX

/*
 * One mapping per mutex in a process, shared by all its handles: the C
 * library files a held robust mutex under its address (the robust list), so
 * a mutex locked through one handle and unlocked through another must be at
 * the same address, or 32-bit glibc spins for ever in the unlock.
 */
typedef struct mapping {
  dev_t dev;
  ino_t ino;
  mutex_shared_t *addr;
  unsigned handles;
  struct mapping *next;
} mapping_t;

static pthread_mutex_t mappings_lock = PTHREAD_MUTEX_INITIALIZER;
static mapping_t *mappings;

static int map_mutex(int fd, xipc_mutex_t **out) {
  struct stat st;
  mapping_t *m;
  int rc = 0;
  if (fstat(fd, &st) != 0)
    return xipc__os_fail(errno);
  *out = malloc(sizeof **out);
  if (*out == NULL)
    return xipc__fail(XIPC_ENOMEM);
  pthread_mutex_lock(&mappings_lock);
  for (m = mappings; m != NULL && (m->dev != st.st_dev || m->ino != st.st_ino); m = m->next) {
  }
  if (m == NULL && (m = calloc(1, sizeof *m)) != NULL) {
    void *addr = mmap(NULL, sizeof(mutex_shared_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (addr == MAP_FAILED) {
      rc = xipc__os_fail(errno);
      free(m);
    } else {
      m->dev = st.st_dev;
      m->ino = st.st_ino;
      m->addr = addr;
      m->next = mappings;
      mappings = m;
    }
  } else if (m == NULL) {
    rc = xipc__fail(XIPC_ENOMEM);
  }
  if (rc == 0) {
    m->handles++;
    (*out)->shared = m->addr;
    (*out)->fd = fd;
  }
  pthread_mutex_unlock(&mappings_lock);
  if (rc < 0) {
    free(*out);
    *out = NULL;
  }
  return rc;
}

static void unmap_shared(mutex_shared_t *addr) {
  mapping_t **link, *m;
  pthread_mutex_lock(&mappings_lock);
  for (link = &mappings; (m = *link) != NULL && m->addr != addr; link = &m->next) {
  }
  /*
   * A mutex that this process holds stays mapped after its last handle
   * closes: the C library keeps it on the holding thread's robust list,
   * which the next robust lock writes through and the kernel walks when
   * the thread ends (to hand the next locker EOWNERDEAD). Unmapped, that is
   * a fault, or a lock nobody is ever told was abandoned. A later open of
   * the same mutex finds the mapping again.
   */
  if (m != NULL && --m->handles == 0 &&
      atomic_load_explicit(&m->addr->holder_pid, memory_order_relaxed) != (int32_t)getpid()) {
    *link = m->next;
    munmap(m->addr, sizeof(mutex_shared_t));
    free(m);
  }
  pthread_mutex_unlock(&mappings_lock);
}

/* A number unique to the calling thread within its process: the address of its own variable. */
static uint64_t caller_thread(void) {
  static XIPC_THREAD_LOCAL char marker;
  return (uint64_t)(uintptr_t)&marker;
}

static bool held_by_caller(const mutex_shared_t *shared) {
  return atomic_load_explicit(&shared->holder_pid, memory_order_relaxed) == (int32_t)getpid() &&
         atomic_load_explicit(&shared->holder_thread, memory_order_relaxed) == caller_thread();
}

static void set_holder(mutex_shared_t *shared, bool held) {
  atomic_store_explicit(&shared->holder_thread, held ? caller_thread() : 0, memory_order_relaxed);
  atomic_store_explicit(&shared->holder_pid, held ? (int32_t)getpid() : 0, memory_order_relaxed);
}

static void unmap_mutex(xipc_mutex_t *m) {
  unmap_shared(m->shared);
  xipc__posix_close(m->fd);
  free(m);
}

static int init_shared(mutex_shared_t *shared) {
  pthread_mutexattr_t attr;
  int err = pthread_mutexattr_init(&attr);
  if (err == 0)
    err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  if (err == 0)
    err = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  if (err == 0)
    err = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
  if (err == 0)
    err = pthread_mutex_init(&shared->mutex, &attr);
  pthread_mutexattr_destroy(&attr);
  if (err != 0)
    return xipc__os_fail(err);
  shared->version = MUTEX_VERSION;
  shared->size = (uint32_t)sizeof *shared;
  /* Published last: an opener that sees the magic sees everything above. */
  atomic_store_explicit(&shared->magic, MUTEX_MAGIC, memory_order_release);
  return 0;
}

int xipc__mutex_create(xipc_mutex_t **out, const char *name) {
  char native[XIPC_NATIVE_NAME_MAX];
  int fd, rc = mutex_name(name, native, sizeof native);
  if (rc < 0)
    return rc;
  fd = shm_open(native, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return xipc__os_fail(errno);
  if (fchmod(fd, 0600) != 0 || ftruncate(fd, (off_t)sizeof(mutex_shared_t)) != 0)
    rc = xipc__os_fail(errno);
  else
    rc = map_mutex(fd, out);
  if (rc == 0) {
    rc = init_shared((*out)->shared);
    if (rc == 0)
      return 0;
    unmap_mutex(*out);
    *out = NULL;
    fd = -1;
  }
  xipc__posix_close(fd);
  shm_unlink(native);
  return rc;
}

/* The segment is ours, private, and an initialised xipc mutex of this layout. */
static int check_opened(int fd, xipc_mutex_t **out) {
  uint64_t deadline = xipc__deadline(SETUP_WAIT_MS);
  struct stat st;
  int rc;
  for (;;) {
    if (fstat(fd, &st) != 0)
      return xipc__os_fail(errno);
    if (st.st_uid != geteuid() || (st.st_mode & 0077) != 0)
      return xipc__fail(XIPC_EACCES);
    if (st.st_size == (off_t)sizeof(mutex_shared_t)) {
      if (*out == NULL && (rc = map_mutex(fd, out)) < 0)
        return rc;
      if (atomic_load_explicit(&(*out)->shared->magic, memory_order_acquire) == MUTEX_MAGIC)
        break;
    } else if (st.st_size != 0) {
      return xipc__fail(XIPC_EIO); /* not an xipc mutex of this layout */
    }
    /* Size 0 or no magic yet: the creator is still at work. */
    if (xipc__remaining_ms(deadline) == 0)
      return xipc__fail(XIPC_EAGAIN);
    xipc__sleep_ms(1);
  }
  if ((*out)->shared->version != MUTEX_VERSION || (*out)->shared->size != sizeof(mutex_shared_t))
    return xipc__fail(XIPC_EIO);
  return 0;
}

int xipc__mutex_open(xipc_mutex_t **out, const char *name) {
  char native[XIPC_NATIVE_NAME_MAX];
  int fd, rc = mutex_name(name, native, sizeof native);
  if (rc < 0)
    return rc;
  fd = shm_open(native, O_RDWR | O_CLOEXEC, 0);
  if (fd < 0)
    return xipc__os_fail(errno);
  rc = check_opened(fd, out);
  if (rc < 0) {
    if (*out != NULL)
      unmap_mutex(*out);
    else
      xipc__posix_close(fd);
    *out = NULL;
  }
  return rc;
}

/* pthread results to xipc codes; a lock taken (also after EOWNERDEAD) records its holder. */
static int lock_result(xipc_mutex_t *mutex, int err, int timeout_ms) {
  switch (err) {
  case 0:
  case EOWNERDEAD:
    set_holder(mutex->shared, true);
    return err == 0 ? 0 : xipc__os_fail(err);
  case ETIMEDOUT:
    return xipc__timeout_error(timeout_ms);
  default:
    return xipc__os_fail(err); /* ENOTRECOVERABLE, EDEADLK, ... */
  }
}

int xipc__mutex_lock(xipc_mutex_t *mutex, int timeout_ms) {
  pthread_mutex_t *m = &mutex->shared->mutex;
  uint64_t deadline = xipc__deadline(timeout_ms);
  struct timespec abs;
  int err;
  if (timeout_ms < 0)
    return lock_result(mutex, pthread_mutex_lock(m), -1);
  for (;;) {
#  ifdef XIPC_HAVE_PTHREAD_MUTEX_CLOCKLOCK
    xipc__posix_abs_timeout(deadline, CLOCK_MONOTONIC, &abs);
    err = pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &abs);
#  else
    xipc__posix_abs_timeout(deadline, CLOCK_REALTIME, &abs);
    err = pthread_mutex_timedlock(m, &abs);
#  endif
    /* A real-time clock that jumped may end the wait early: wait on for the monotonic time left. */
    if (err != ETIMEDOUT || xipc__remaining_ms(deadline) == 0)
      return lock_result(mutex, err, timeout_ms);
  }
}

int xipc__mutex_consistent(xipc_mutex_t *mutex) {
  int err;
  if (!held_by_caller(mutex->shared))
    return xipc__fail(XIPC_EINVAL);
  err = pthread_mutex_consistent(&mutex->shared->mutex);
  return err == 0 ? 0 : xipc__os_fail(err);
}

int xipc__mutex_unlock(xipc_mutex_t *mutex) {
  int err;
  if (!held_by_caller(mutex->shared))
    return xipc__fail(XIPC_EPERM);
  set_holder(mutex->shared, false);
  err = pthread_mutex_unlock(&mutex->shared->mutex);
  return err == 0 ? 0 : xipc__os_fail(err);
}

int xipc__mutex_close(xipc_mutex_t *mutex) {
  unmap_mutex(mutex);
  return 0;
}

#else /* no robust mutexes: never hand out a lock that deadlocks when its owner dies */

int xipc__mutex_create(xipc_mutex_t **out, const char *name) {
  (void)out;
  (void)name;
  return xipc__fail(XIPC_ENOTSUP);
}

int xipc__mutex_open(xipc_mutex_t **out, const char *name) {
  (void)out;
  (void)name;
  return xipc__fail(XIPC_ENOTSUP);
}

int xipc__mutex_lock(xipc_mutex_t *mutex, int timeout_ms) {
  (void)mutex;
  (void)timeout_ms;
  return xipc__fail(XIPC_ENOTSUP);
}

int xipc__mutex_consistent(xipc_mutex_t *mutex) {
  (void)mutex;
  return xipc__fail(XIPC_ENOTSUP);
}

int xipc__mutex_unlock(xipc_mutex_t *mutex) {
  (void)mutex;
  return xipc__fail(XIPC_ENOTSUP);
}

int xipc__mutex_close(xipc_mutex_t *mutex) {
  (void)mutex;
  return 0;
}

#endif

int xipc__mutex_unlink(const char *name) {
  char native[XIPC_NATIVE_NAME_MAX];
  int rc = mutex_name(name, native, sizeof native);
  if (rc < 0)
    return rc;
  return shm_unlink(native) == 0 ? 0 : xipc__os_fail(errno);
}
