/* SPDX-License-Identifier: MIT */
#ifndef WIN32_LEAN_AND_MEAN
#  define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include "bench-os.h"

int bench_os_pipe(xipc_os_handle_t *read_end, xipc_os_handle_t *write_end) {
  HANDLE r, w;
  if (!CreatePipe(&r, &w, NULL, 65536))
    return -1;
  *read_end = (xipc_os_handle_t)r;
  *write_end = (xipc_os_handle_t)w;
  return 0;
}

long bench_os_read(xipc_os_handle_t h, void *buf, size_t len) {
  DWORD n;
  if (ReadFile((HANDLE)h, buf, (DWORD)len, &n, NULL))
    return (long)n;
  return GetLastError() == ERROR_BROKEN_PIPE ? 0 : -1;
}

int bench_os_write_all(xipc_os_handle_t h, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    DWORD n;
    if (!WriteFile((HANDLE)h, p, (DWORD)len, &n, NULL) || n == 0)
      return -1;
    p += n;
    len -= n;
  }
  return 0;
}

int bench_os_set_pipe_size(xipc_os_handle_t h, size_t size) {
  (void)h;
  (void)size;
  return -1; /* an anonymous pipe's size is fixed at creation */
}

int bench_os_socketpair(bool messages, xipc_os_handle_t *mine, xipc_os_handle_t *theirs) {
  (void)messages;
  (void)mine;
  (void)theirs;
  return -1;
}

bool bench_os_has_unix_sockets(void) {
  return false; /* AF_UNIX exists on Windows 10, but not under Wine 8, and is not the baseline */
}
