/* SPDX-License-Identifier: MIT */
/* Anonymous pipes: argument checks, then the backend (src/<os>/pipe.c). */
#include "internal.h"

#define PIPE_KNOWN_FLAGS (XIPC_PIPE_CHILD_READS | XIPC_PIPE_CHILD_WRITES)

int xipc_pipe_create(xipc_stream_t **read_end, xipc_stream_t **write_end, unsigned flags,
                     size_t capacity) {
  if (read_end != NULL)
    *read_end = NULL;
  if (write_end != NULL)
    *write_end = NULL;
  if (read_end == NULL || write_end == NULL || read_end == write_end ||
      (flags & ~(unsigned)PIPE_KNOWN_FLAGS) != 0)
    return xipc__fail(XIPC_EINVAL);
  return xipc__pipe_create(read_end, write_end, flags, capacity);
}
