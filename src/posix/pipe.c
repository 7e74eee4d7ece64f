/* SPDX-License-Identifier: MIT */
/*
 * Anonymous pipes on POSIX: pipe2(O_CLOEXEC). Both ends are plain blocking
 * descriptors, fit for any child program; timeouts are kept by the stream
 * code (src/posix/stream.c), so XIPC_PIPE_CHILD_* change nothing here.
 */
#include "internal.h"

#include <fcntl.h>
#include <unistd.h>

int xipc__posix_pipe_cloexec(int fds[2]) {
#ifdef XIPC_HAVE_PIPE2
  if (pipe2(fds, O_CLOEXEC) != 0)
    return xipc__os_fail(errno);
  return 0;
#else
  int rc;
  /* Without pipe2() another thread's exec could catch the ends between the two calls. */
  if (pipe(fds) != 0)
    return xipc__os_fail(errno);
  rc = xipc__posix_set_cloexec(fds[0], true);
  if (rc == 0)
    rc = xipc__posix_set_cloexec(fds[1], true);
  if (rc < 0) {
    xipc__posix_close(fds[0]);
    xipc__posix_close(fds[1]);
  }
  return rc;
#endif
}

/* Best effort: a pipe keeps its default size where the hint cannot be honoured. */
static void set_capacity(int fd, size_t capacity) {
#ifdef XIPC_HAVE_F_SETPIPE_SZ
  if (capacity > 0 && capacity <= 0x7fffffff)
    fcntl(fd, F_SETPIPE_SZ, (int)capacity);
#else
  (void)fd;
  (void)capacity;
#endif
}

int xipc__pipe_create(xipc_stream_t **read_end, xipc_stream_t **write_end, unsigned flags,
                      size_t capacity) {
  int fds[2], rc;
  (void)flags;
  rc = xipc__posix_pipe_cloexec(fds);
  if (rc < 0)
    return rc;
  {
    set_capacity(fds[1], capacity);
    *read_end = xipc__posix_stream_new(fds[0], XIPC__STREAM_PIPE);
    *write_end = xipc__posix_stream_new(fds[1], XIPC__STREAM_PIPE);
    if (*read_end != NULL && *write_end != NULL)
      return 0;
    rc = xipc__fail(XIPC_ENOMEM);
  }
  if (*read_end != NULL) {
    xipc__stream_close(*read_end);
    fds[0] = -1;
  }
  if (*write_end != NULL) {
    xipc__stream_close(*write_end);
    fds[1] = -1;
  }
  *read_end = *write_end = NULL;
  xipc__posix_close(fds[0]);
  xipc__posix_close(fds[1]);
  return rc;
}
