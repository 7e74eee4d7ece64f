/* SPDX-License-Identifier: MIT */
/* Semaphores and mutexes: argument checks, then the backend (src/<os>/sem.c, mutex.c). */
#include "internal.h"

static int check_named(void *out, const char *name) {
  if (out == NULL)
    return xipc__fail(XIPC_EINVAL);
  return xipc_name_validate(name);
}

int xipc_sem_create(xipc_sem_t **out, const char *name, unsigned initial) {
  int rc = check_named(out, name);
  if (out != NULL)
    *out = NULL;
  if (rc == 0 && initial > XIPC_SEM_MAX)
    rc = xipc__fail(XIPC_EINVAL);
  return rc < 0 ? rc : xipc__sem_create(out, name, initial);
}

int xipc_sem_open(xipc_sem_t **out, const char *name) {
  int rc = check_named(out, name);
  if (out != NULL)
    *out = NULL;
  return rc < 0 ? rc : xipc__sem_open(out, name);
}

int xipc_sem_wait(xipc_sem_t *sem, int timeout_ms) {
  if (sem == NULL || timeout_ms < -1)
    return xipc__fail(XIPC_EINVAL);
  return xipc__sem_wait(sem, timeout_ms);
}

int xipc_sem_trywait(xipc_sem_t *sem) {
  return xipc_sem_wait(sem, 0);
}

int xipc_sem_post(xipc_sem_t *sem) {
  return sem == NULL ? xipc__fail(XIPC_EINVAL) : xipc__sem_post(sem);
}

int xipc_sem_close(xipc_sem_t *sem) {
  return sem == NULL ? 0 : xipc__sem_close(sem);
}

int xipc_sem_unlink(const char *name) {
  int rc = xipc_name_validate(name);
  return rc < 0 ? rc : xipc__sem_unlink(name);
}

int xipc_mutex_create(xipc_mutex_t **out, const char *name) {
  int rc = check_named(out, name);
  if (out != NULL)
    *out = NULL;
  return rc < 0 ? rc : xipc__mutex_create(out, name);
}

int xipc_mutex_open(xipc_mutex_t **out, const char *name) {
  int rc = check_named(out, name);
  if (out != NULL)
    *out = NULL;
  return rc < 0 ? rc : xipc__mutex_open(out, name);
}

int xipc_mutex_lock(xipc_mutex_t *mutex, int timeout_ms) {
  if (mutex == NULL || timeout_ms < -1)
    return xipc__fail(XIPC_EINVAL);
  return xipc__mutex_lock(mutex, timeout_ms);
}

int xipc_mutex_consistent(xipc_mutex_t *mutex) {
  return mutex == NULL ? xipc__fail(XIPC_EINVAL) : xipc__mutex_consistent(mutex);
}

int xipc_mutex_unlock(xipc_mutex_t *mutex) {
  return mutex == NULL ? xipc__fail(XIPC_EINVAL) : xipc__mutex_unlock(mutex);
}

int xipc_mutex_close(xipc_mutex_t *mutex) {
  return mutex == NULL ? 0 : xipc__mutex_close(mutex);
}

int xipc_mutex_unlink(const char *name) {
  int rc = xipc_name_validate(name);
  return rc < 0 ? rc : xipc__mutex_unlink(name);
}
