/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the POSIX backend files. */
#include "internal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

void xipc__posix_close(int fd) {
  int saved = errno;
  if (fd >= 0)
    close(fd);
  errno = saved;
}

int xipc__posix_set_nonblocking(int fd, bool on) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0)
    return xipc__os_fail(errno);
  if (((flags & O_NONBLOCK) != 0) == on)
    return 0;
  flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
  return fcntl(fd, F_SETFL, flags) == 0 ? 0 : xipc__os_fail(errno);
}

int xipc__posix_set_cloexec(int fd, bool on) {
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0)
    return xipc__os_fail(errno);
  flags = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
  return fcntl(fd, F_SETFD, flags) == 0 ? 0 : xipc__os_fail(errno);
}

int xipc__posix_socket_setup(int fd) {
#ifdef SO_NOSIGPIPE
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on) != 0)
    return xipc__os_fail(errno);
#else
  (void)fd;
#endif
  return 0;
}

int xipc__posix_socket(int family, int type, bool nonblocking, int *fd) {
  int rc;
#ifdef SOCK_CLOEXEC
  *fd = socket(family, type | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (*fd < 0)
    return xipc__os_fail(errno);
  rc = xipc__posix_socket_setup(*fd);
#else
  *fd = socket(family, type, 0);
  if (*fd < 0)
    return xipc__os_fail(errno);
  rc = xipc__posix_set_cloexec(*fd, true);
  if (rc == 0)
    rc = xipc__posix_set_nonblocking(*fd, nonblocking);
  if (rc == 0)
    rc = xipc__posix_socket_setup(*fd);
#endif
  if (rc < 0) {
    xipc__posix_close(*fd);
    *fd = -1;
  }
  return rc;
}

int xipc__posix_unix_address(const char *path, struct sockaddr_un *addr) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  return xipc__copy_string(addr->sun_path, sizeof addr->sun_path, path) < 0
             ? xipc__fail(XIPC_ENAMETOOLONG)
             : 0;
}

int xipc__posix_clear_stale_socket(const char *path, int type, int in_use) {
  struct sockaddr_un addr;
  struct stat st;
  int probe = -1, rc;
  if (lstat(path, &st) != 0)
    return errno == ENOENT ? 0 : xipc__os_fail(errno);
  if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid())
    return xipc__fail(in_use);
  rc = xipc__posix_unix_address(path, &addr);
  if (rc == 0)
    rc = xipc__posix_socket(AF_UNIX, type, true, &probe);
  if (rc < 0)
    return rc;
  /* A probe connection: only a socket nobody listens on any more refuses it. */
  rc = connect(probe, (struct sockaddr *)&addr, sizeof addr) == 0 ? 0 : errno;
  xipc__posix_close(probe);
  if (rc == 0 || rc == EAGAIN || rc == EINPROGRESS || rc == EPROTOTYPE)
    return xipc__fail(in_use); /* somebody answers: never steal a live socket */
  if (rc != ECONNREFUSED)
    return xipc__os_fail(rc);
  return unlink(path) == 0 || errno == ENOENT ? 0 : xipc__os_fail(errno);
}

void xipc__posix_abs_timeout(uint64_t deadline, int clock_id, struct timespec *out) {
  uint64_t left_ns = 0, now = xipc__clock_ns();
  struct timespec base;
  if (deadline > now)
    left_ns = deadline - now;
  clock_gettime((clockid_t)clock_id, &base);
  out->tv_sec = base.tv_sec + (time_t)(left_ns / 1000000000u);
  out->tv_nsec = base.tv_nsec + (long)(left_ns % 1000000000u);
  if (out->tv_nsec >= 1000000000L) {
    out->tv_sec++;
    out->tv_nsec -= 1000000000L;
  }
}

/* How long a take of a name lock waits out a probe's shared lock (held for microseconds). */
#define NAME_LOCK_PROBE_WAIT_MS 50

int xipc__posix_take_name_lock(const char *path, int busy, int *fd) {
  uint64_t deadline = xipc__deadline(NAME_LOCK_PROBE_WAIT_MS);
  int rc = 0;
  *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (*fd < 0)
    return xipc__os_fail(errno);
  if (fchmod(*fd, 0600) != 0) {
    rc = xipc__os_fail(errno);
  } else {
    while (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EINTR)
        continue;
      if (errno != EWOULDBLOCK) {
        rc = xipc__os_fail(errno);
        break;
      }
      if (xipc__remaining_ms(deadline) == 0) {
        rc = xipc__fail(busy); /* held for longer than a look: a live owner */
        break;
      }
      xipc__sleep_ms(1);
    }
  }
  if (rc < 0) {
    xipc__posix_close(*fd);
    *fd = -1;
  }
  return rc;
}
