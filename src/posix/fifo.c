/* SPDX-License-Identifier: MIT */
/*
 * FIFOs on POSIX: mkfifo() in the private runtime directory, mode 0600.
 *
 * Both ends are opened with O_NONBLOCK, so that the open itself never
 * blocks, and made blocking afterwards like every xipc descriptor (the stream
 * code keeps the timeouts). A reader's open always succeeds; a writer's open
 * fails with ENXIO while no reader has the FIFO open, and nothing signals a
 * reader's arrival, so a writer polls for it with a short back-off until its
 * deadline. The creator's writer end does that at its first write, so
 * creating a FIFO never waits.
 */
#include "internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PATH_MAX
#  define PATH_MAX 4096
#endif

/* Longest sleep between two attempts of a writer waiting for a reader. */
#define WRITER_POLL_MAX_MS 10

int xipc__posix_fifo_open_writer(const char *path, uint64_t deadline, int timeout_ms, int *fd) {
  int backoff_ms = 1;
  for (;;) {
    int left;
    *fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (*fd >= 0) {
      int rc = xipc__posix_set_nonblocking(*fd, false);
      if (rc < 0)
        xipc__posix_close(*fd);
      return rc;
    }
    if (errno == EINTR)
      continue;
    if (errno != ENXIO)
      return xipc__os_fail(errno);
    left = xipc__remaining_ms(deadline);
    if (left == 0)
      return xipc__timeout_error(timeout_ms);
    xipc__sleep_ms(left > 0 && left < backoff_ms ? left : backoff_ms);
    if (backoff_ms < WRITER_POLL_MAX_MS)
      backoff_ms *= 2;
  }
}

/* The FIFO's path, after the runtime directory is checked (and, with `create`, made). */
static int fifo_path(const char *name, bool create, char *path, size_t cap) {
  char dir[PATH_MAX];
  int rc = create ? xipc__posix_runtime_dir_ensure(dir, sizeof dir)
                  : xipc__posix_runtime_dir_verify(dir, sizeof dir);
  if (rc < 0)
    return rc;
  return xipc_name_native(XIPC_KIND_FIFO, name, path, cap);
}

static int open_reader(const char *path, size_t capacity, xipc_stream_t **out) {
  int fd, rc;
  do {
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return xipc__os_fail(errno);
  rc = xipc__posix_set_nonblocking(fd, false);
  if (rc < 0) {
    xipc__posix_close(fd);
    return rc;
  }
#ifdef XIPC_HAVE_F_SETPIPE_SZ
  if (capacity > 0 && capacity <= 0x7fffffff)
    fcntl(fd, F_SETPIPE_SZ, (int)capacity);
#else
  (void)capacity;
#endif
  *out = xipc__posix_stream_new(fd, XIPC__STREAM_FIFO);
  if (*out == NULL) {
    xipc__posix_close(fd);
    return xipc__fail(XIPC_ENOMEM);
  }
  return 0;
}

int xipc__fifo_create(xipc_stream_t **out, const char *name, xipc_fifo_dir_t dir, size_t capacity) {
  char path[PATH_MAX];
  int rc = fifo_path(name, true, path, sizeof path);
  if (rc < 0)
    return rc;
  if (mkfifo(path, 0600) != 0)
    return xipc__os_fail(errno);
  /* The mode must not depend on the umask: exactly owner read and write. */
  if (chmod(path, 0600) != 0) {
    rc = xipc__os_fail(errno);
    unlink(path);
    return rc;
  }
  if (dir == XIPC_FIFO_READ) {
    rc = open_reader(path, capacity, out);
  } else {
    /* The writer end opens at its first write, once a reader is there. */
    *out = xipc__posix_stream_new(-1, XIPC__STREAM_FIFO);
    if (*out != NULL && ((*out)->fifo_path = strdup(path)) == NULL) {
      xipc__stream_close(*out);
      *out = NULL;
    }
    rc = *out != NULL ? 0 : xipc__fail(XIPC_ENOMEM);
  }
  if (rc < 0)
    unlink(path);
  return rc;
}

int xipc__fifo_open(xipc_stream_t **out, const char *name, xipc_fifo_dir_t dir, int timeout_ms) {
  char path[PATH_MAX];
  struct stat st;
  int fd, rc = fifo_path(name, false, path, sizeof path);
  if (rc < 0)
    return rc;
  if (stat(path, &st) != 0)
    return xipc__os_fail(errno);
  if (!S_ISFIFO(st.st_mode))
    return xipc__fail(XIPC_EINVAL);
  if (dir == XIPC_FIFO_READ)
    return open_reader(path, 0, out);
  rc = xipc__posix_fifo_open_writer(path, xipc__deadline(timeout_ms), timeout_ms, &fd);
  if (rc < 0)
    return rc;
  *out = xipc__posix_stream_new(fd, XIPC__STREAM_FIFO);
  if (*out == NULL) {
    xipc__posix_close(fd);
    return xipc__fail(XIPC_ENOMEM);
  }
  return 0;
}

int xipc__fifo_unlink(const char *name) {
  char path[PATH_MAX];
  int rc = fifo_path(name, false, path, sizeof path);
  if (rc < 0)
    return rc;
  return unlink(path) == 0 ? 0 : xipc__os_fail(errno);
}
