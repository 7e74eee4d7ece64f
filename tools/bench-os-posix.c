/* SPDX-License-Identifier: MIT */
#include "bench-os.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

int bench_os_pipe(xipc_os_handle_t *read_end, xipc_os_handle_t *write_end) {
  int fds[2];
  if (pipe(fds) != 0)
    return -1;
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  *read_end = fds[0];
  *write_end = fds[1];
  return 0;
}

long bench_os_read(xipc_os_handle_t h, void *buf, size_t len) {
  ssize_t n;
  do {
    n = read((int)h, buf, len);
  } while (n < 0 && errno == EINTR);
  return (long)n;
}

int bench_os_write_all(xipc_os_handle_t h, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write((int)h, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int bench_os_set_pipe_size(xipc_os_handle_t h, size_t size) {
#ifdef F_SETPIPE_SZ
  return fcntl((int)h, F_SETPIPE_SZ, (int)size) < 0 ? -1 : 0;
#else
  (void)h;
  (void)size;
  return -1;
#endif
}

int bench_os_socketpair(bool messages, xipc_os_handle_t *mine, xipc_os_handle_t *theirs) {
  int fds[2];
  if (socketpair(AF_UNIX, (messages ? SOCK_SEQPACKET : SOCK_STREAM) | SOCK_CLOEXEC, 0, fds) != 0)
    return -1;
  *mine = fds[0];
  *theirs = fds[1];
  return 0;
}

bool bench_os_has_unix_sockets(void) {
  return true;
}
