/* SPDX-License-Identifier: MIT */
/*
 * Robust named mutexes on Windows: CreateMutexW(), Local\xipc.mutex.<name>.
 *
 * Windows reports an owner's death itself (WAIT_ABANDONED, with the lock
 * given to the waiter) but keeps no "repaired" or "unrecoverable" state, so
 * xipc keeps the POSIX state machine in a small section beside the mutex,
 * Local\xipc.mutex-state.<name>, read and written only by the holder:
 *
 *   CONSISTENT --owner dies--> INCONSISTENT (lock returns XIPC_EOWNERDEAD)
 *   INCONSISTENT --xipc_mutex_consistent()--> CONSISTENT
 *   INCONSISTENT --unlock without it--> NOT_RECOVERABLE (for good)
 *
 * The creator makes the state section first, then the mutex, owned, resets
 * the state and only then releases it: an opener that finds the mutex waits
 * for that and never sees a state left over from an earlier mutex of the
 * same name. Windows mutexes are recursive and have no "who holds it" query,
 * so the holder writes its process and thread ids into the state section
 * after it takes the lock and clears them before it lets go: that makes
 * ownership per thread, as on POSIX, whichever handle is used, and lets a
 * thread that locks again find itself there and get XIPC_EDEADLK, as from a
 * POSIX error-checking mutex, instead of taking the lock twice.
 */
#include "internal.h"

#include <stdlib.h>

#define MUTEX_ACCESS (SYNCHRONIZE | MUTEX_MODIFY_STATE | READ_CONTROL)
#define STATE_SIZE   4096

enum { STATE_CONSISTENT = 0, STATE_INCONSISTENT = 1, STATE_NOT_RECOVERABLE = 2 };

/* The state section; written by the holder only, read by others only to check. */
typedef struct mutex_shared {
  volatile LONG state;
  volatile LONG holder_pid; /* 0 while nobody holds it */
  volatile LONG holder_tid;
} mutex_shared_t;

struct xipc_mutex_s {
  HANDLE mutex;
  HANDLE state_map;
  mutex_shared_t *shared; /* another process's writes are checked before use */
};

static void free_mutex(xipc_mutex_t *m) {
  if (m->shared != NULL)
    UnmapViewOfFile(m->shared);
  if (m->state_map != NULL)
    CloseHandle(m->state_map);
  if (m->mutex != NULL)
    CloseHandle(m->mutex);
  free(m);
}

static int map_state(xipc_mutex_t *m) {
  m->shared = MapViewOfFile(m->state_map, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, STATE_SIZE);
  return m->shared != NULL ? 0 : xipc__win32_fail();
}

/* The calling thread is the one recorded as holding the lock. */
static bool held_by_caller(const xipc_mutex_t *m) {
  return m->shared->holder_pid == (LONG)GetCurrentProcessId() &&
         m->shared->holder_tid == (LONG)GetCurrentThreadId();
}

static void set_holder(xipc_mutex_t *m, bool held) {
  InterlockedExchange(&m->shared->holder_tid, held ? (LONG)GetCurrentThreadId() : 0);
  InterlockedExchange(&m->shared->holder_pid, held ? (LONG)GetCurrentProcessId() : 0);
}

int xipc__mutex_create(xipc_mutex_t **out, const char *name) {
  SECURITY_ATTRIBUTES sa;
  WCHAR *mutex_name, *state_name;
  xipc_mutex_t *m = calloc(1, sizeof *m);
  DWORD err;
  int rc;
  if (m == NULL)
    return xipc__fail(XIPC_ENOMEM);
  rc = xipc__win32_wide_names(XIPC_KIND_MUTEX, name, "mutex-state", &mutex_name, &state_name);
  if (rc < 0) {
    free(m);
    return rc;
  }
  sa.lpSecurityDescriptor = NULL;
  rc = xipc__win32_owner_only_sa(&sa);
  if (rc == 0) {
    m->state_map =
        CreateFileMappingW(INVALID_HANDLE_VALUE, &sa, PAGE_READWRITE, 0, STATE_SIZE, state_name);
    /* Another user's section is never joined (its maker could write the state); one of this
       user's, left a moment by an ended mutex, is reused (its state is reset below while owned). */
    rc = xipc__win32_take_helper_object(&m->state_map, GetLastError());
    if (rc == 0)
      rc = map_state(m);
  }
  if (rc == 0) {
    /* Owned from birth: nobody locks it before the state below is fresh. */
    m->mutex = CreateMutexW(&sa, TRUE, mutex_name);
    err = GetLastError();
    if (m->mutex == NULL) {
      rc = xipc__os_fail((int)err);
    } else if (err == ERROR_ALREADY_EXISTS) {
      /* Create is exclusive (and an existing mutex is not owned by this call). */
      CloseHandle(m->mutex);
      m->mutex = NULL;
      rc = xipc__os_fail((int)err);
    } else {
      InterlockedExchange(&m->shared->state, STATE_CONSISTENT);
      set_holder(m, false);
      ReleaseMutex(m->mutex);
    }
  }
  xipc__win32_free_sa(&sa);
  free(mutex_name);
  free(state_name);
  if (rc < 0) {
    free_mutex(m);
    return rc;
  }
  *out = m;
  return 0;
}

int xipc__mutex_open(xipc_mutex_t **out, const char *name) {
  WCHAR *mutex_name, *state_name;
  xipc_mutex_t *m = calloc(1, sizeof *m);
  int rc;
  if (m == NULL)
    return xipc__fail(XIPC_ENOMEM);
  rc = xipc__win32_wide_names(XIPC_KIND_MUTEX, name, "mutex-state", &mutex_name, &state_name);
  if (rc < 0) {
    free(m);
    return rc;
  }
  m->mutex = OpenMutexW(MUTEX_ACCESS, FALSE, mutex_name);
  rc = m->mutex != NULL ? xipc__win32_check_owner(m->mutex) : xipc__win32_fail();
  if (rc == 0) {
    /* The creator made this before the mutex; missing means it is not an xipc mutex. */
    m->state_map =
        OpenFileMappingW(FILE_MAP_READ | FILE_MAP_WRITE | READ_CONTROL, FALSE, state_name);
    rc = m->state_map != NULL ? xipc__win32_check_owner(m->state_map) : xipc__fail(XIPC_EIO);
    if (rc == 0)
      rc = map_state(m);
  }
  free(mutex_name);
  free(state_name);
  if (rc < 0) {
    free_mutex(m);
    return rc;
  }
  *out = m;
  return 0;
}

/* The lock is ours now: check the shared state; give the lock back if it is unusable. */
static int after_acquire(xipc_mutex_t *m, bool abandoned) {
  LONG state = m->shared->state;
  if (state != STATE_CONSISTENT && state != STATE_INCONSISTENT && state != STATE_NOT_RECOVERABLE) {
    ReleaseMutex(m->mutex);
    return xipc__fail(XIPC_EIO); /* shared memory is untrusted: not a state xipc writes */
  }
  if (state == STATE_NOT_RECOVERABLE) {
    ReleaseMutex(m->mutex);
    return xipc__fail(XIPC_ENOTRECOVERABLE);
  }
  set_holder(m, true);
  /* Abandoned now, or by an owner that got EOWNERDEAD and died before repairing. */
  if (abandoned || state == STATE_INCONSISTENT) {
    InterlockedExchange(&m->shared->state, STATE_INCONSISTENT);
    return xipc__fail(XIPC_EOWNERDEAD);
  }
  return 0;
}

int xipc__mutex_lock(xipc_mutex_t *mutex, int timeout_ms) {
  DWORD w = xipc__win32_wait_until(mutex->mutex, xipc__deadline(timeout_ms));
  if (w == WAIT_OBJECT_0 && held_by_caller(mutex)) {
    /* Taken again by its holder (Windows counts that): not recursive, so give it back. */
    ReleaseMutex(mutex->mutex);
    return xipc__fail(XIPC_EDEADLK);
  }
  if (w == WAIT_OBJECT_0 || w == WAIT_ABANDONED)
    return after_acquire(mutex, w == WAIT_ABANDONED);
  if (w == WAIT_TIMEOUT)
    return xipc__timeout_error(timeout_ms);
  return xipc__win32_fail();
}

int xipc__mutex_consistent(xipc_mutex_t *mutex) {
  if (!held_by_caller(mutex) ||
      InterlockedCompareExchange(&mutex->shared->state, STATE_CONSISTENT, STATE_INCONSISTENT) !=
          STATE_INCONSISTENT)
    return xipc__fail(XIPC_EINVAL);
  return 0;
}

int xipc__mutex_unlock(xipc_mutex_t *mutex) {
  if (!held_by_caller(mutex))
    return xipc__fail(XIPC_EPERM);
  /* Unlocked without repair after an owner died: unusable from now on. */
  InterlockedCompareExchange(&mutex->shared->state, STATE_NOT_RECOVERABLE, STATE_INCONSISTENT);
  set_holder(mutex, false);
  return ReleaseMutex(mutex->mutex) ? 0 : xipc__win32_fail();
}

int xipc__mutex_close(xipc_mutex_t *mutex) {
  free_mutex(mutex);
  return 0;
}

int xipc__mutex_unlink(const char *name) {
  (void)name;
  return 0; /* the mutex and its state vanish with their last handles */
}
