/* SPDX-License-Identifier: MIT */
/*
 * Synchronisation words in shared memory on POSIX: C11 atomics on the
 * shared 32-bit words, and sleeping on a word with a futex (Linux,
 * XIPC_HAVE_FUTEX), which
 * needs no named object and works between 32- and 64-bit processes. Systems
 * without futexes poll the word with a short, growing sleep instead.
 */
#include "internal.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef XIPC_HAVE_FUTEX
#  include <linux/futex.h>
#  include <sys/syscall.h>
#endif

/* The longest sleep between two looks at the word where there is no futex. */
#define POLL_MAX_MS 1

/* The shared words are plain uint32_t in the layout; C11 atomics of the same size and alignment. */
static _Atomic uint32_t *atomic_word(volatile uint32_t *word) {
  return (_Atomic uint32_t *)(uintptr_t)word;
}

uint32_t xipc__atomic_load(volatile uint32_t *word) {
  return atomic_load(atomic_word(word));
}

void xipc__atomic_store(volatile uint32_t *word, uint32_t value) {
  atomic_store(atomic_word(word), value);
}

bool xipc__atomic_cas(volatile uint32_t *word, uint32_t expected, uint32_t desired) {
  return atomic_compare_exchange_strong(atomic_word(word), &expected, desired);
}

uint32_t xipc__atomic_add(volatile uint32_t *word, uint32_t delta) {
  return atomic_fetch_add(atomic_word(word), delta);
}

void xipc__memory_barrier(void) {
  atomic_thread_fence(memory_order_seq_cst);
}

void xipc__cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __asm__ __volatile__("pause");
#elif defined(__aarch64__) || (defined(__ARM_ARCH) && __ARM_ARCH >= 7)
  __asm__ __volatile__("yield"); /* ARMv6K and later */
#endif
}

void xipc__yield(void) {
  sched_yield();
}

#ifdef XIPC_HAVE_PROC_PID_STAT
/*
 * A zombie (dead, not yet reaped by its parent) still answers kill(), but it
 * can never again touch shared memory, and its parent may be the very
 * process waiting for the lock it died holding. Its state in
 * /proc/<pid>/stat, after the parenthesised command name, is Z (or X).
 * A process whose main thread called pthread_exit() shows Z too while its
 * other threads run on: only a process with at most one thread left
 * (field 20, num_threads) is a zombie.
 */
static bool is_zombie(uint32_t pid) {
  char path[32], buf[512];
  const char *paren, *field;
  ssize_t n;
  int fd, i;
  snprintf(path, sizeof path, "/proc/%u/stat", (unsigned)pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false; /* gone by now (kill() will say so next time), or no /proc: assume alive */
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  paren = strrchr(buf, ')');
  if (paren == NULL || paren[1] != ' ' || (paren[2] != 'Z' && paren[2] != 'X'))
    return false;
  /* From field 3 (the state) to field 20 (num_threads). */
  field = paren + 2;
  for (i = 3; i < 20 && field != NULL; i++) {
    field = strchr(field, ' ');
    if (field != NULL)
      field++;
  }
  return field == NULL || strtol(field, NULL, 10) <= 1;
}
#endif

/*
 * The cached id: 0 until first asked, and again in a child of fork() (the
 * atfork handler), whose id differs from the parent's.
 */
static _Atomic uint32_t cached_self;
static pthread_once_t forget_on_fork_once = PTHREAD_ONCE_INIT;

static void forget_self(void) {
  atomic_store(&cached_self, 0);
}

static void register_forget_on_fork(void) {
  pthread_atfork(NULL, NULL, forget_self);
}

uint32_t xipc__lock_owner_self(void) {
  uint32_t self = atomic_load_explicit(&cached_self, memory_order_relaxed);
  if (self == 0) {
    pthread_once(&forget_on_fork_once, register_forget_on_fork);
    self = (uint32_t)getpid();
    atomic_store(&cached_self, self);
  }
  return self;
}

bool xipc__process_alive(uint32_t pid) {
  if (pid == 0 || pid > (uint32_t)INT_MAX)
    return false;
  if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
    return false;
#ifdef XIPC_HAVE_PROC_PID_STAT
  return !is_zombie(pid);
#else
  return true;
#endif
}

/* On POSIX a waiter is the shared word itself: nothing to open. */
struct xipc__shm_waiter {
  char unused;
};

int xipc__shm_waiter_open(xipc__shm_waiter_t **out, xipc_kind_t kind, const char *name,
                          const char *purpose, bool create) {
  (void)kind;
  (void)name;
  (void)purpose;
  (void)create;
  *out = calloc(1, sizeof **out);
  return *out != NULL ? 0 : xipc__fail(XIPC_ENOMEM);
}

void xipc__shm_waiter_close(xipc__shm_waiter_t *waiter) {
  free(waiter);
}

int xipc__shm_wait(xipc__shm_waiter_t *waiter, volatile uint32_t *word, uint32_t seen,
                   uint64_t deadline, int timeout_ms) {
  int left = xipc__remaining_ms(deadline);
  (void)waiter;
  if (xipc__atomic_load(word) != seen)
    return 0;
  if (left == 0)
    return xipc__timeout_error(timeout_ms);
#ifdef XIPC_HAVE_FUTEX
  {
    /* Shared (not FUTEX_PRIVATE): the word is in memory other processes map. */
    struct timespec ts;
    ts.tv_sec = left / 1000;
    ts.tv_nsec = (long)(left % 1000) * 1000000L;
    if (syscall(SYS_futex, word, FUTEX_WAIT, seen, left < 0 ? NULL : &ts, NULL, 0) != 0 &&
        errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT)
      return xipc__os_fail(errno);
  }
#else
  xipc__sleep_ms(left > 0 && left < POLL_MAX_MS ? left : POLL_MAX_MS);
#endif
  /* Woken, changed, interrupted or timed out: the caller looks again; time left decides. */
  return xipc__remaining_ms(deadline) == 0 ? xipc__timeout_error(timeout_ms) : 0;
}

void xipc__shm_wake(xipc__shm_waiter_t *waiter, volatile uint32_t *word) {
  (void)waiter;
  xipc__atomic_add(word, 1);
#ifdef XIPC_HAVE_FUTEX
  syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
#endif
}
