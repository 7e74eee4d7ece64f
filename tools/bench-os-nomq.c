/* SPDX-License-Identifier: MIT */
/* No POSIX message queues on this system (Windows, macOS): the queue baseline is not there. */
#include "bench-os.h"

bool bench_os_has_posix_mq(void) {
  return false;
}

int bench_os_mq_open(const char *name, bool create, long max_msgs, long msg_size, long *handle) {
  (void)name;
  (void)create;
  (void)max_msgs;
  (void)msg_size;
  (void)handle;
  return -1;
}

int bench_os_mq_send(long handle, const void *buf, size_t len) {
  (void)handle;
  (void)buf;
  (void)len;
  return -1;
}

long bench_os_mq_recv(long handle, void *buf, size_t cap) {
  (void)handle;
  (void)buf;
  (void)cap;
  return -1;
}

void bench_os_mq_close(long handle, const char *unlink_name) {
  (void)handle;
  (void)unlink_name;
}
