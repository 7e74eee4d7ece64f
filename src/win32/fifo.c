/* SPDX-License-Identifier: MIT */
/*
 * FIFOs on Windows: a named pipe of one direction with one instance,
 * \\.\pipe\xipc.fifo.<name>. The creator holds the server instance and
 * connects it (ConnectNamedPipe) at its first read or write, within that
 * call's timeout; an opener is a client of the opposite direction. The FIFO
 * lives as long as the creator's end; it takes one client, once.
 */
#include "internal.h"

#include <stdlib.h>

#define DEFAULT_FIFO_SIZE 65536
#define MAX_FIFO_SIZE     (4u << 20) /* pipe buffers live in kernel non-paged memory */

static int fifo_wide_name(const char *name, WCHAR **out) {
  char native[XIPC_NATIVE_NAME_MAX];
  int rc = xipc_name_native(XIPC_KIND_FIFO, name, native, sizeof native);
  return rc < 0 ? rc : xipc__win32_to_wide(native, out);
}

int xipc__fifo_create(xipc_stream_t **out, const char *name, xipc_fifo_dir_t dir, size_t capacity) {
  DWORD size = capacity == 0 ? DEFAULT_FIFO_SIZE
                             : (capacity > MAX_FIFO_SIZE ? MAX_FIFO_SIZE : (DWORD)capacity);
  HANDLE server;
  WCHAR *wname;
  int rc = fifo_wide_name(name, &wname);
  if (rc < 0)
    return rc;
  rc = xipc__win32_create_pipe_server(
      wname,
      (dir == XIPC_FIFO_READ ? PIPE_ACCESS_INBOUND : PIPE_ACCESS_OUTBOUND) | FILE_FLAG_OVERLAPPED,
      true, PIPE_TYPE_BYTE, 1, size, &server);
  free(wname);
  if (rc < 0) {
    /* Not the first instance (Windows), or all instances taken (Wine): the name is in use. */
    DWORD err = (DWORD)xipc_last_os_error();
    if (err == ERROR_ACCESS_DENIED || err == ERROR_PIPE_BUSY)
      return XIPC_EEXIST;
    return rc;
  }
  *out = xipc__win32_stream_new(server, true, XIPC__STREAM_PIPE);
  if (*out == NULL) {
    CloseHandle(server);
    return xipc__fail(XIPC_ENOMEM);
  }
  /* A new instance takes a client even before ConnectNamedPipe(); the first call waits for it. */
  (*out)->fifo_server = true;
  (*out)->pending_connect = true;
  return 0;
}

int xipc__fifo_open(xipc_stream_t **out, const char *name, xipc_fifo_dir_t dir, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  /* READ_CONTROL: to check who created the FIFO. */
  DWORD access = READ_CONTROL | (dir == XIPC_FIFO_READ ? GENERIC_READ | FILE_WRITE_ATTRIBUTES
                                                       : GENERIC_WRITE | FILE_READ_ATTRIBUTES);
  DWORD err = 0;
  HANDLE h;
  WCHAR *wname;
  int rc = fifo_wide_name(name, &wname);
  if (rc < 0)
    return rc;
  for (;;) {
    int left;
    h = CreateFileW(wname, access, 0, NULL, OPEN_EXISTING,
                    FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
    err = h == INVALID_HANDLE_VALUE ? GetLastError() : 0;
    if (err != ERROR_PIPE_BUSY)
      break;
    /* Another peer holds the FIFO: wait for it within the timeout. */
    left = xipc__remaining_ms(deadline);
    if (left == 0)
      break;
    WaitNamedPipeW(wname, left < 0 ? NMPWAIT_WAIT_FOREVER : (DWORD)left);
  }
  free(wname);
  if (h == INVALID_HANDLE_VALUE) {
    if (err == ERROR_PIPE_BUSY)
      return xipc__timeout_error(timeout_ms);
    return xipc__os_fail((int)err); /* ERROR_ACCESS_DENIED: the creator's own direction */
  }
  /* The pipe namespace is shared by every user: refuse a FIFO someone else created. */
  rc = xipc__win32_check_owner(h);
  if (rc < 0) {
    CloseHandle(h);
    return rc;
  }
  *out = xipc__win32_stream_new(h, true, XIPC__STREAM_PIPE);
  if (*out == NULL) {
    CloseHandle(h);
    return xipc__fail(XIPC_ENOMEM);
  }
  return 0;
}

int xipc__fifo_unlink(const char *name) {
  (void)name; /* the FIFO goes away with its creator's end */
  return 0;
}
