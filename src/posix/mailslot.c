/* SPDX-License-Identifier: MIT */
/*
 * Mailslots on POSIX: an AF_UNIX SOCK_DGRAM socket bound at
 * <rundir>/mailslot.<name>, read by its creator; writers send datagrams to
 * it, which keep their boundaries.
 *
 * The reader holds flock() on <rundir>/mailslot-info.<name> while it lives,
 * and that file also tells writers the reader's largest message size, which
 * xipc enforces on send. A writer that finds the file unlocked knows the
 * reader is gone (XIPC_ENOENT). A stale socket left by a dead reader is
 * replaced; a live foreign one is never stolen.
 */
#include "internal.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef PATH_MAX
#  define PATH_MAX 4096
#endif
#ifndef XIPC_HAVE_MSG_NOSIGNAL
#  define MSG_NOSIGNAL 0
#endif

struct xipc_mailslot_s {
  int fd;
  int info_fd; /* reader: the locked info file; -1 for a writer */
  size_t max;  /* the reader's largest message */
  dev_t dev;   /* reader: the socket file it made */
  ino_t ino;
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* Write "max=<n>\n" into the info file (emptied when its lock was taken), which writers read. */
static int write_info(int fd, size_t max) {
  char text[32];
  int n = snprintf(text, sizeof text, "max=%zu\n", max);
  if (pwrite(fd, text, (size_t)n, 0) != n)
    return xipc__os_fail(errno);
  return 0;
}

int xipc__mailslot_create(xipc_mailslot_t **out, const char *name, size_t max_msg_size) {
  char dir[PATH_MAX], info_path[PATH_MAX];
  struct sockaddr_un addr;
  struct stat st;
  xipc_mailslot_t *m;
  int rc = xipc__posix_runtime_dir_ensure(dir, sizeof dir);
  if (rc < 0)
    return rc;
  m = calloc(1, sizeof *m);
  if (m == NULL)
    return xipc__fail(XIPC_ENOMEM);
  m->fd = m->info_fd = -1;
  m->max = max_msg_size;
  rc = xipc_name_native(XIPC_KIND_MAILSLOT, name, m->path, sizeof m->path);
  if (rc >= 0)
    rc = xipc__posix_sidecar_path(XIPC_KIND_MAILSLOT, name, "mailslot-info", info_path,
                                  sizeof info_path);
  if (rc >= 0)
    rc = xipc__posix_take_name_lock(info_path, XIPC_EEXIST, &m->info_fd);
  /* A dead reader's size stays in the file: gone before anyone can reach the new socket. */
  if (rc >= 0 && ftruncate(m->info_fd, 0) != 0)
    rc = xipc__os_fail(errno);
  if (rc >= 0)
    rc = xipc__posix_clear_stale_socket(m->path, SOCK_DGRAM, XIPC_EEXIST);
  if (rc >= 0)
    rc = xipc__posix_unix_address(m->path, &addr);
  if (rc >= 0)
    rc = xipc__posix_socket(AF_UNIX, SOCK_DGRAM, false, &m->fd);
  if (rc >= 0 && bind(m->fd, (struct sockaddr *)&addr, sizeof addr) != 0)
    rc = xipc__os_fail(errno);
  if (rc >= 0) {
    if (chmod(m->path, 0600) != 0 || lstat(m->path, &st) != 0) {
      rc = xipc__os_fail(errno);
      unlink(m->path);
    } else {
      m->dev = st.st_dev;
      m->ino = st.st_ino;
      /* Published last: a writer that can read the size finds a bound socket. */
      rc = write_info(m->info_fd, max_msg_size);
      if (rc == 0) {
        *out = m;
        return 0;
      }
      unlink(m->path);
    }
  }
  xipc__posix_close(m->fd);
  xipc__posix_close(m->info_fd);
  free(m);
  return rc;
}

/* The reader's largest message, from its info file; XIPC_ENOENT when no reader holds it. */
static int read_info(const char *name, size_t *max) {
  char info_path[PATH_MAX], text[32];
  unsigned long long value;
  ssize_t n;
  int fd, rc = xipc__posix_sidecar_path(XIPC_KIND_MAILSLOT, name, "mailslot-info", info_path,
                                        sizeof info_path);
  if (rc < 0)
    return rc;
  fd = open(info_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return xipc__os_fail(errno);
  /* A shared lock we can take means no reader holds its exclusive one: nobody is there. */
  if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
    xipc__posix_close(fd);
    xipc__set_os_error(ENOENT);
    return XIPC_ENOENT;
  }
  n = pread(fd, text, sizeof text - 1, 0);
  xipc__posix_close(fd);
  if (n == 0) {
    xipc__set_os_error(ENOENT);
    return XIPC_ENOENT; /* the reader is still being set up */
  }
  if (n < 0)
    return xipc__os_fail(errno);
  text[n] = '\0';
  /* Written by another process: checked like any input. */
  if (sscanf(text, "max=%llu", &value) != 1 || value == 0 || value > XIPC_LOCAL_MSG_MAX)
    return xipc__fail(XIPC_EIO);
  *max = (size_t)value;
  return 0;
}

int xipc__mailslot_open(xipc_mailslot_t **out, const char *name) {
  struct sockaddr_un addr;
  xipc_mailslot_t *m = calloc(1, sizeof *m);
  char dir[PATH_MAX];
  int rc;
  if (m == NULL)
    return xipc__fail(XIPC_ENOMEM);
  m->fd = m->info_fd = -1;
  rc = xipc__posix_runtime_dir_verify(dir, sizeof dir);
  if (rc >= 0)
    rc = read_info(name, &m->max);
  if (rc >= 0)
    rc = xipc_name_native(XIPC_KIND_MAILSLOT, name, m->path, sizeof m->path);
  if (rc >= 0)
    rc = xipc__posix_unix_address(m->path, &addr);
  if (rc >= 0)
    rc = xipc__posix_socket(AF_UNIX, SOCK_DGRAM, false, &m->fd);
  if (rc >= 0 && connect(m->fd, (struct sockaddr *)&addr, sizeof addr) != 0)
    rc = errno == ECONNREFUSED ? xipc__fail(XIPC_ENOENT) : xipc__os_fail(errno);
  if (rc < 0) {
    xipc__posix_close(m->fd);
    free(m);
    return rc;
  }
  *out = m;
  return 0;
}

static bool is_reader(const xipc_mailslot_t *m) {
  return m->info_fd >= 0;
}

/* Wait until the deadline for `events`: 0 when ready, else the timeout or error code. */
int xipc__mailslot_send(xipc_mailslot_t *m, const void *buf, size_t len, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  if (is_reader(m))
    return xipc__fail(XIPC_EBADF);
  for (;;) {
    ssize_t n = send(m->fd, buf, len, MSG_NOSIGNAL | (timeout_ms < 0 ? 0 : MSG_DONTWAIT));
    int rc;
    if (n >= 0)
      return 0;
    if (errno == ECONNREFUSED || errno == ENOTCONN) {
      xipc__set_os_error(errno);
      return XIPC_EPIPE; /* the reader is gone */
    }
    /* EAGAIN: the reader's queue is full. */
    if ((rc = xipc__posix_retry_when_ready(m->fd, POLLOUT, errno, deadline, timeout_ms)) < 0)
      return rc;
  }
}

int xipc__mailslot_recv(xipc_mailslot_t *m, void *buf, size_t cap, int timeout_ms,
                        size_t *msg_size) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  bool peek = cap < m->max;
  if (!is_reader(m))
    return xipc__fail(XIPC_EBADF);
  for (;;) {
    /* Look at the length first unless the buffer takes the largest message. */
    ssize_t n = recv(m->fd, buf, cap, MSG_TRUNC | MSG_DONTWAIT | (peek ? MSG_PEEK : 0));
    int rc;
    if (n == 0) {
      /* An empty datagram is not an xipc message (a foreign writer's): take it away, wait on. */
      if (peek)
        recv(m->fd, buf, 0, MSG_DONTWAIT);
      continue;
    }
    if (n > 0) {
      *msg_size = (size_t)n;
      if ((size_t)n > cap)
        return xipc__fail(XIPC_EMSGSIZE); /* peeked: it stays first in line */
      if (!peek)
        return (int)n;
      peek = false;
      continue;
    }
    if ((rc = xipc__posix_retry_when_ready(m->fd, POLLIN, errno, deadline, timeout_ms)) < 0)
      return rc;
  }
}

int xipc__mailslot_info(xipc_mailslot_t *m, size_t *next_size, size_t *count) {
  char probe;
  ssize_t n;
  if (!is_reader(m))
    return xipc__fail(XIPC_EBADF);
  /* The length of the next datagram, without taking it. */
  n = recv(m->fd, &probe, 1, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    return xipc__os_fail(errno);
  *next_size = n < 0 ? 0 : (size_t)n; /* messages are never empty: 0 means none */
  *count = (size_t)-1;                /* sockets do not count their datagrams */
  return 0;
}

size_t xipc__mailslot_max_msg_size(const xipc_mailslot_t *m) {
  return m->max;
}

int xipc__mailslot_close(xipc_mailslot_t *m) {
  struct stat st;
  if (is_reader(m) && lstat(m->path, &st) == 0 && st.st_dev == m->dev && st.st_ino == m->ino)
    unlink(m->path);
  xipc__posix_close(m->fd);
  xipc__posix_close(m->info_fd);
  free(m);
  return 0;
}
