/* SPDX-License-Identifier: MIT */
/* Shared memory: argument checks, then the backend (src/<os>/shm.c). */
#include "internal.h"

#include <string.h>

#define SHM_CREATE_FLAGS (XIPC_SHM_NATIVE_NAME)
#define SHM_OPEN_FLAGS   (XIPC_SHM_READ_ONLY | XIPC_SHM_NATIVE_NAME)
#define SHM_FILE_FLAGS   (XIPC_SHM_READ_ONLY | XIPC_SHM_CREATE)

/* A portable name, or with XIPC_SHM_NATIVE_NAME any non-empty native one. */
static int check_shm_name(const char *name, unsigned flags) {
  if (flags & XIPC_SHM_NATIVE_NAME) {
    if (name == NULL || name[0] == '\0' || strlen(name) >= XIPC_NATIVE_NAME_MAX)
      return xipc__fail(name == NULL || name[0] == '\0' ? XIPC_EINVAL : XIPC_ENAMETOOLONG);
    return 0;
  }
  return xipc_name_validate(name);
}

static int start_out(xipc_shm_t **out, unsigned flags, unsigned allowed) {
  if (out == NULL)
    return xipc__fail(XIPC_EINVAL);
  *out = NULL;
  return (flags & ~allowed) != 0 ? xipc__fail(XIPC_EINVAL) : 0;
}

int xipc_shm_create(xipc_shm_t **out, const char *name, size_t size, unsigned flags) {
  int rc = start_out(out, flags, SHM_CREATE_FLAGS);
  if (rc == 0 && size == 0)
    rc = xipc__fail(XIPC_EINVAL);
  if (rc == 0)
    rc = check_shm_name(name, flags);
  return rc < 0 ? rc : xipc__shm_create(out, name, size, flags);
}

int xipc_shm_open(xipc_shm_t **out, const char *name, unsigned flags) {
  int rc = start_out(out, flags, SHM_OPEN_FLAGS);
  if (rc == 0)
    rc = check_shm_name(name, flags);
  return rc < 0 ? rc : xipc__shm_open(out, name, flags);
}

int xipc_shm_unlink(const char *name, unsigned flags) {
  int rc = (flags & ~(unsigned)XIPC_SHM_NATIVE_NAME) != 0 ? xipc__fail(XIPC_EINVAL) : 0;
  if (rc == 0)
    rc = check_shm_name(name, flags);
  return rc < 0 ? rc : xipc__shm_unlink(name, flags);
}

int xipc_shm_create_anonymous(xipc_shm_t **out, size_t size) {
  int rc = start_out(out, 0, 0);
  if (rc == 0 && size == 0)
    rc = xipc__fail(XIPC_EINVAL);
  return rc < 0 ? rc : xipc__shm_create_anonymous(out, size);
}

int xipc_shm_map_file(xipc_shm_t **out, const char *path, size_t size, unsigned flags) {
  int rc = start_out(out, flags, SHM_FILE_FLAGS);
  /* Creating needs a size; a read-only mapping cannot extend the file. */
  if (rc == 0 && (path == NULL || path[0] == '\0' || ((flags & XIPC_SHM_CREATE) && size == 0) ||
                  ((flags & XIPC_SHM_CREATE) && (flags & XIPC_SHM_READ_ONLY))))
    rc = xipc__fail(XIPC_EINVAL);
  return rc < 0 ? rc : xipc__shm_map_file(out, path, size, flags);
}

int xipc_shm_flush(xipc_shm_t *shm) {
  return shm == NULL ? xipc__fail(XIPC_EINVAL) : xipc__shm_flush(shm);
}

void *xipc_shm_addr(const xipc_shm_t *shm) {
  return shm == NULL ? NULL : xipc__shm_addr(shm);
}

size_t xipc_shm_size(const xipc_shm_t *shm) {
  return shm == NULL ? 0 : xipc__shm_size(shm);
}

int xipc_shm_close(xipc_shm_t *shm) {
  return shm == NULL ? 0 : xipc__shm_close(shm);
}

int xipc_shm_token(const xipc_shm_t *shm, char *buf, size_t cap) {
  if (shm == NULL || buf == NULL)
    return xipc__fail(XIPC_EINVAL);
  return xipc__shm_token(shm, buf, cap);
}

int xipc_shm_from_token(xipc_shm_t **out, const char *token, unsigned flags) {
  int rc = start_out(out, flags, XIPC_SHM_READ_ONLY);
  if (rc == 0 && (token == NULL || strlen(token) >= XIPC_TOKEN_MAX))
    rc = xipc__fail(XIPC_EINVAL);
  return rc < 0 ? rc : xipc__shm_from_token(out, token, flags);
}
