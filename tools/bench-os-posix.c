/* SPDX-License-Identifier: MIT */
#include "bench-os.h"

#include <errno.h>
#include <fcntl.h>
#ifdef XIPC_BENCH_HAVE_POSIX_MQ
#  include <mqueue.h>
#endif
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

/* Where the system has none, bench-os-nomq.c stands in. */
#ifdef XIPC_BENCH_HAVE_POSIX_MQ
bool bench_os_has_posix_mq(void) {
  return true;
}

int bench_os_mq_open(const char *name, bool create, long max_msgs, long msg_size, long *handle) {
  struct mq_attr attr;
  mqd_t mqd;
  attr.mq_flags = 0;
  attr.mq_maxmsg = max_msgs;
  attr.mq_msgsize = msg_size;
  attr.mq_curmsgs = 0;
  mqd = create ? mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr) : mq_open(name, O_RDWR);
  if (mqd == (mqd_t)-1)
    return -1;
  *handle = (long)mqd;
  return 0;
}

int bench_os_mq_send(long handle, const void *buf, size_t len) {
  int rc;
  do {
    rc = mq_send((mqd_t)handle, buf, len, 0);
  } while (rc != 0 && errno == EINTR);
  return rc;
}

long bench_os_mq_recv(long handle, void *buf, size_t cap) {
  ssize_t n;
  do {
    n = mq_receive((mqd_t)handle, buf, cap, NULL);
  } while (n < 0 && errno == EINTR);
  return (long)n;
}

void bench_os_mq_close(long handle, const char *unlink_name) {
  mq_close((mqd_t)handle);
  if (unlink_name != NULL)
    mq_unlink(unlink_name);
}
#endif
