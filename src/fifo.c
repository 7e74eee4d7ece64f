/* SPDX-License-Identifier: MIT */
/* FIFOs: argument checks, then the backend (src/<os>/fifo.c). */
#include "internal.h"

static int check_fifo_args(xipc_stream_t **out, const char *name, xipc_fifo_dir_t dir) {
  if (out == NULL)
    return xipc__fail(XIPC_EINVAL);
  *out = NULL;
  if (dir != XIPC_FIFO_READ && dir != XIPC_FIFO_WRITE)
    return xipc__fail(XIPC_EINVAL);
  return xipc_name_validate(name);
}

int xipc_fifo_create(xipc_stream_t **out, const char *name, xipc_fifo_dir_t dir, size_t capacity) {
  int rc = check_fifo_args(out, name, dir);
  return rc < 0 ? rc : xipc__fifo_create(out, name, dir, capacity);
}

int xipc_fifo_open(xipc_stream_t **out, const char *name, xipc_fifo_dir_t dir, int timeout_ms) {
  int rc = check_fifo_args(out, name, dir);
  if (rc < 0)
    return rc;
  if (timeout_ms < -1)
    return xipc__fail(XIPC_EINVAL);
  return xipc__fifo_open(out, name, dir, timeout_ms);
}

int xipc_fifo_unlink(const char *name) {
  int rc = xipc_name_validate(name);
  return rc < 0 ? rc : xipc__fifo_unlink(name);
}
