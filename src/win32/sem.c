/* SPDX-License-Identifier: MIT */
/*
 * Named semaphores on Windows: CreateSemaphoreW() in the session namespace,
 * Local\xipc.sem.<name>, owner-only, maximum count XIPC_SEM_MAX. Create is
 * exclusive through ERROR_ALREADY_EXISTS; an opener refuses a semaphore
 * that another user owns. It vanishes with its last handle.
 */
#include "internal.h"

#include <stdlib.h>

#define SEM_ACCESS (SYNCHRONIZE | SEMAPHORE_MODIFY_STATE | READ_CONTROL)

struct xipc_sem_s {
  HANDLE handle;
};

static int sem_wide_name(const char *name, WCHAR **out) {
  char native[XIPC_NATIVE_NAME_MAX];
  int rc = xipc_name_native(XIPC_KIND_SEM, name, native, sizeof native);
  return rc < 0 ? rc : xipc__win32_to_wide(native, out);
}

static int wrap(xipc_sem_t **out, HANDLE h) {
  *out = malloc(sizeof **out);
  if (*out == NULL) {
    CloseHandle(h);
    return xipc__fail(XIPC_ENOMEM);
  }
  (*out)->handle = h;
  return 0;
}

int xipc__sem_create(xipc_sem_t **out, const char *name, unsigned initial) {
  SECURITY_ATTRIBUTES sa;
  WCHAR *wname;
  HANDLE h;
  DWORD err;
  int rc = sem_wide_name(name, &wname);
  if (rc < 0)
    return rc;
  rc = xipc__win32_owner_only_sa(&sa);
  if (rc < 0) {
    free(wname);
    return rc;
  }
  h = CreateSemaphoreW(&sa, (LONG)initial, XIPC_SEM_MAX, wname);
  err = GetLastError();
  xipc__win32_free_sa(&sa);
  free(wname);
  if (h == NULL)
    return xipc__os_fail((int)err);
  if (err == ERROR_ALREADY_EXISTS) {
    CloseHandle(h);
    return xipc__os_fail((int)err);
  }
  return wrap(out, h);
}

int xipc__sem_open(xipc_sem_t **out, const char *name) {
  WCHAR *wname;
  HANDLE h;
  int rc = sem_wide_name(name, &wname);
  if (rc < 0)
    return rc;
  h = OpenSemaphoreW(SEM_ACCESS, FALSE, wname);
  free(wname);
  if (h == NULL)
    return xipc__win32_fail();
  rc = xipc__win32_check_owner(h);
  if (rc < 0) {
    CloseHandle(h);
    return rc;
  }
  return wrap(out, h);
}

int xipc__sem_wait(xipc_sem_t *sem, int timeout_ms) {
  DWORD w = xipc__win32_wait_until(sem->handle, xipc__deadline(timeout_ms));
  if (w == WAIT_OBJECT_0)
    return 0;
  if (w == WAIT_TIMEOUT)
    return xipc__timeout_error(timeout_ms);
  return xipc__win32_fail();
}

int xipc__sem_post(xipc_sem_t *sem) {
  return ReleaseSemaphore(sem->handle, 1, NULL) ? 0 : xipc__win32_fail();
}

int xipc__sem_close(xipc_sem_t *sem) {
  int rc = CloseHandle(sem->handle) ? 0 : xipc__win32_fail();
  free(sem);
  return rc;
}

int xipc__sem_unlink(const char *name) {
  (void)name;
  return 0; /* a semaphore vanishes with its last handle */
}
