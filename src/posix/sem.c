/* SPDX-License-Identifier: MIT */
/*
 * Named semaphores on POSIX: sem_open(). sem_open(O_CREAT | O_EXCL) creates
 * and initialises the semaphore in one step, so no one sees a half-built
 * one. Its mode is 0600 less the umask (no file descriptor to fchmod).
 * Timed waits use sem_clockwait(CLOCK_MONOTONIC) where the C library has it,
 * else sem_timedwait() on the real-time clock, re-armed from the monotonic
 * time left after every wake-up (docs/sync.md).
 */
#include "internal.h"

#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct xipc_sem_s {
  sem_t *sem;
};

static int sem_name(const char *name, char *buf, size_t cap) {
  return xipc_name_native(XIPC_KIND_SEM, name, buf, cap);
}

static int wrap(xipc_sem_t **out, sem_t *sem) {
  *out = malloc(sizeof **out);
  if (*out == NULL) {
    sem_close(sem);
    return xipc__fail(XIPC_ENOMEM);
  }
  (*out)->sem = sem;
  return 0;
}

int xipc__sem_create(xipc_sem_t **out, const char *name, unsigned initial) {
  char native[XIPC_NATIVE_NAME_MAX];
  sem_t *sem;
  int rc = sem_name(name, native, sizeof native);
  if (rc < 0)
    return rc;
  sem = sem_open(native, O_CREAT | O_EXCL, 0600, initial);
  if (sem == SEM_FAILED)
    return xipc__os_fail(errno);
  return wrap(out, sem);
}

/*
 * An opened semaphore must be private, as a created one is: one that
 * another user made, or that others may use, is refused (XIPC_EACCES), as
 * shared memory and mutexes are. Only where the semaphore is a file that
 * can be looked at (glibc, musl: /dev/shm/sem.<name>).
 */
static int check_private(const char *native) {
#ifdef XIPC_HAVE_DEV_SHM_SEM
  char path[XIPC_NATIVE_NAME_MAX + 16];
  struct stat st;
  snprintf(path, sizeof path, "/dev/shm/sem.%s", native + 1);
  if (stat(path, &st) != 0)
    return 0; /* not kept there by this C library: nothing to look at */
  if (st.st_uid != geteuid() || (st.st_mode & 0077) != 0)
    return xipc__fail(XIPC_EACCES);
#else
  (void)native;
#endif
  return 0;
}

int xipc__sem_open(xipc_sem_t **out, const char *name) {
  char native[XIPC_NATIVE_NAME_MAX];
  sem_t *sem;
  int rc = sem_name(name, native, sizeof native);
  if (rc < 0)
    return rc;
  sem = sem_open(native, 0);
  if (sem == SEM_FAILED)
    return xipc__os_fail(errno);
  rc = check_private(native);
  if (rc < 0) {
    sem_close(sem);
    return rc;
  }
  return wrap(out, sem);
}

/* One timed wait until the deadline; 0 or an errno value. */
static int timed_wait(sem_t *sem, uint64_t deadline) {
  struct timespec abs;
#ifdef XIPC_HAVE_SEM_CLOCKWAIT
  xipc__posix_abs_timeout(deadline, CLOCK_MONOTONIC, &abs);
  return sem_clockwait(sem, CLOCK_MONOTONIC, &abs) == 0 ? 0 : errno;
#else
  xipc__posix_abs_timeout(deadline, CLOCK_REALTIME, &abs);
  return sem_timedwait(sem, &abs) == 0 ? 0 : errno;
#endif
}

int xipc__sem_wait(xipc_sem_t *sem, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  int err;
  for (;;) {
    if (timeout_ms == 0)
      err = sem_trywait(sem->sem) == 0 ? 0 : errno;
    else if (timeout_ms < 0)
      err = sem_wait(sem->sem) == 0 ? 0 : errno;
    else
      err = timed_wait(sem->sem, deadline);
    if (err == 0)
      return 0;
    if (err == EAGAIN)
      return xipc__timeout_error(0);
    /* A signal, or a real-time clock that jumped: wait again for the monotonic time left. */
    if (err == EINTR || (err == ETIMEDOUT && xipc__remaining_ms(deadline) > 0))
      continue;
    if (err == ETIMEDOUT)
      return xipc__timeout_error(timeout_ms);
    return xipc__os_fail(err);
  }
}

int xipc__sem_post(xipc_sem_t *sem) {
  return sem_post(sem->sem) == 0 ? 0 : xipc__os_fail(errno);
}

int xipc__sem_close(xipc_sem_t *sem) {
  int rc = sem_close(sem->sem) == 0 ? 0 : xipc__os_fail(errno);
  free(sem);
  return rc;
}

int xipc__sem_unlink(const char *name) {
  char native[XIPC_NATIVE_NAME_MAX];
  int rc = sem_name(name, native, sizeof native);
  if (rc < 0)
    return rc;
  return sem_unlink(native) == 0 ? 0 : xipc__os_fail(errno);
}
