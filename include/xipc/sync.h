/* SPDX-License-Identifier: MIT */
/*
 * Named semaphores and robust named mutexes: synchronisation between
 * processes, by portable name (docs/sync.md).
 *
 * A semaphore has no owner: a count taken by a process that dies stays
 * taken. A mutex has one: when its owner dies holding it, the next locker
 * learns it (XIPC_EOWNERDEAD) and gets the lock, to repair what it protects.
 *
 * Unlike most xipc handles, semaphore and mutex handles may be used by
 * several threads at once. A mutex is owned by a thread, whichever handle
 * of the mutex it used.
 */
#ifndef XIPC_SYNC_H
#define XIPC_SYNC_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Semaphores --------------------------------------------------------- */

typedef struct xipc_sem_s xipc_sem_t;

/* The largest count a semaphore holds (SEM_VALUE_MAX is at least this everywhere). */
#define XIPC_SEM_MAX 0x7fffffff

/*
 * Create semaphore `name` with count `initial` (<= XIPC_SEM_MAX).
 * Exclusive: XIPC_EEXIST when it exists. Owner-only (0600 / owner DACL).
 * POSIX: sem_open(O_CREAT | O_EXCL). Windows: CreateSemaphoreW.
 */
XIPC_EXTERN int xipc_sem_create(xipc_sem_t **out, const char *name, unsigned initial);

/* Open existing semaphore `name`. XIPC_ENOENT when there is none. */
XIPC_EXTERN int xipc_sem_open(xipc_sem_t **out, const char *name);

/*
 * Take one from the count, waiting up to timeout_ms while it is 0. Returns 0,
 * XIPC_EAGAIN (timeout 0) or XIPC_ETIMEDOUT. The timeout is measured on the
 * monotonic clock (sem_clockwait where the C library has it).
 */
XIPC_EXTERN int xipc_sem_wait(xipc_sem_t *sem, int timeout_ms);

/* xipc_sem_wait(sem, 0). */
XIPC_EXTERN int xipc_sem_trywait(xipc_sem_t *sem);

/* Add one to the count, waking one waiter. XIPC_EOVERFLOW at XIPC_SEM_MAX. */
XIPC_EXTERN int xipc_sem_post(xipc_sem_t *sem);

/* Release the handle (the semaphore stays). NULL is ignored. */
XIPC_EXTERN int xipc_sem_close(xipc_sem_t *sem);

/*
 * Remove name `name` (POSIX sem_unlink; open handles keep working).
 * XIPC_ENOENT when there is none. Windows: a no-op returning 0.
 */
XIPC_EXTERN int xipc_sem_unlink(const char *name);

/* ---- Robust mutexes ----------------------------------------------------- */

typedef struct xipc_mutex_s xipc_mutex_t;

/*
 * Create mutex `name`, unlocked. Exclusive: XIPC_EEXIST when it exists.
 * POSIX: a robust process-shared pthread mutex in a small shared segment
 * (/xipc.mutex.<name>), published only once fully initialised. Windows:
 * CreateMutexW, with the recovery state kept beside it. Where the system
 * has no robust mutexes (macOS), XIPC_ENOTSUP: never a lock that could
 * deadlock when its owner dies.
 */
XIPC_EXTERN int xipc_mutex_create(xipc_mutex_t **out, const char *name);

/*
 * Open existing mutex `name`. XIPC_ENOENT when there is none; XIPC_EAGAIN
 * if its creator is still setting it up; XIPC_EIO if its shared state is not
 * an xipc mutex; XIPC_EACCES if it belongs to another user.
 */
XIPC_EXTERN int xipc_mutex_open(xipc_mutex_t **out, const char *name);

/*
 * Lock, waiting up to timeout_ms. Returns:
 *   0                     locked;
 *   XIPC_EOWNERDEAD       locked, but the previous owner died holding it:
 *                         repair the protected state, then call
 *                         xipc_mutex_consistent() before unlocking;
 *   XIPC_ENOTRECOVERABLE  not locked: an owner unlocked after
 *                         XIPC_EOWNERDEAD without xipc_mutex_consistent(),
 *                         so the mutex is unusable for good;
 *   XIPC_EDEADLK          not locked again: the calling thread holds it
 *                         already (the mutex is not recursive);
 *   XIPC_EAGAIN / XIPC_ETIMEDOUT  not locked in time.
 */
XIPC_EXTERN int xipc_mutex_lock(xipc_mutex_t *mutex, int timeout_ms);

/*
 * Declare the state repaired after XIPC_EOWNERDEAD (the caller holds the
 * lock). XIPC_EINVAL when there is nothing to repair or the caller does not
 * hold it.
 */
XIPC_EXTERN int xipc_mutex_consistent(xipc_mutex_t *mutex);

/*
 * Unlock. After XIPC_EOWNERDEAD without xipc_mutex_consistent(), this makes
 * the mutex not recoverable. XIPC_EPERM when the caller does not hold it.
 */
XIPC_EXTERN int xipc_mutex_unlock(xipc_mutex_t *mutex);

/* Release the handle (the mutex stays). NULL is ignored. */
XIPC_EXTERN int xipc_mutex_close(xipc_mutex_t *mutex);

/* Remove name `name` (POSIX; XIPC_ENOENT when none). Windows: a no-op returning 0. */
XIPC_EXTERN int xipc_mutex_unlink(const char *name);

#ifdef __cplusplus
}
#endif

#endif
