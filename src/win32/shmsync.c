/* SPDX-License-Identifier: MIT */
/*
 * Synchronisation words in shared memory on Windows: Interlocked* on the
 * shared 32-bit words. WaitOnAddress() only works within one process, so a
 * waiter is a named semaphore beside the object ("Local\xipc.<purpose>.<name>",
 * owner-only): a wake releases it once, a sleeper waits on it. A release
 * that finds nobody (the sleeper timed out meanwhile) leaves a count behind,
 * which costs the next sleeper one extra look at its condition, no more.
 */
#include "internal.h"

#include <stdlib.h>

uint32_t xipc__atomic_load(volatile uint32_t *word) {
  /*
   * A plain aligned read is atomic; the barrier orders it like the
   * Interlocked writes. (An InterlockedCompareExchange(w, 0, 0) would be a
   * locked write: spinners would pull the line away from the lock holder.)
   */
  uint32_t value = *word;
  MemoryBarrier();
  return value;
}

void xipc__atomic_store(volatile uint32_t *word, uint32_t value) {
  InterlockedExchange((volatile LONG *)word, (LONG)value);
}

bool xipc__atomic_cas(volatile uint32_t *word, uint32_t expected, uint32_t desired) {
  return (uint32_t)InterlockedCompareExchange((volatile LONG *)word, (LONG)desired,
                                              (LONG)expected) == expected;
}

uint32_t xipc__atomic_add(volatile uint32_t *word, uint32_t delta) {
  return (uint32_t)InterlockedExchangeAdd((volatile LONG *)word, (LONG)delta);
}

void xipc__memory_barrier(void) {
  MemoryBarrier();
}

void xipc__cpu_relax(void) {
  YieldProcessor();
}

void xipc__yield(void) {
  SwitchToThread();
}

bool xipc__process_alive(uint32_t pid) {
  HANDLE h;
  DWORD w;
  if (pid == 0)
    return false;
  h = OpenProcess(SYNCHRONIZE, FALSE, (DWORD)pid);
  if (h == NULL)
    return GetLastError() != ERROR_INVALID_PARAMETER; /* no such process */
  /* A process that has exited lives on as an object while handles to it remain. */
  w = WaitForSingleObject(h, 0);
  CloseHandle(h);
  return w != WAIT_OBJECT_0;
}

uint32_t xipc__lock_owner_self(void) {
  return (uint32_t)GetCurrentProcessId(); /* read from the process environment block: cheap */
}

struct xipc__shm_waiter {
  HANDLE sem;
};

int xipc__shm_waiter_open(xipc__shm_waiter_t **out, xipc_kind_t kind, const char *name,
                          const char *purpose, bool create) {
  xipc__shm_waiter_t *w = calloc(1, sizeof *w);
  WCHAR *object_name = NULL, *sem_name = NULL;
  SECURITY_ATTRIBUTES sa;
  int rc;
  if (w == NULL)
    return xipc__fail(XIPC_ENOMEM);
  rc = xipc__win32_wide_names(kind, name, purpose, &object_name, &sem_name);
  if (rc == 0 && create) {
    rc = xipc__win32_owner_only_sa(&sa);
    if (rc == 0) {
      w->sem = CreateSemaphoreW(&sa, 0, 0x7fffffff, sem_name);
      rc = w->sem != NULL ? 0 : xipc__win32_fail();
      xipc__win32_free_sa(&sa);
    }
  } else if (rc == 0) {
    w->sem = OpenSemaphoreW(SYNCHRONIZE | SEMAPHORE_MODIFY_STATE, FALSE, sem_name);
    rc = w->sem != NULL ? 0 : xipc__win32_fail();
  }
  free(object_name);
  free(sem_name);
  if (rc < 0) {
    free(w);
    return rc;
  }
  *out = w;
  return 0;
}

void xipc__shm_waiter_close(xipc__shm_waiter_t *waiter) {
  if (waiter != NULL && waiter->sem != NULL)
    CloseHandle(waiter->sem);
  free(waiter);
}

int xipc__shm_wait(xipc__shm_waiter_t *waiter, volatile uint32_t *word, uint32_t seen,
                   uint64_t deadline, int timeout_ms) {
  DWORD w;
  if (xipc__atomic_load(word) != seen)
    return 0;
  w = xipc__win32_wait_until(waiter->sem, deadline);
  if (w == WAIT_OBJECT_0)
    return 0;
  if (w == WAIT_TIMEOUT)
    return xipc__timeout_error(timeout_ms);
  return xipc__win32_fail();
}

void xipc__shm_wake(xipc__shm_waiter_t *waiter, volatile uint32_t *word) {
  xipc__atomic_add(word, 1);
  ReleaseSemaphore(waiter->sem, 1, NULL);
}
