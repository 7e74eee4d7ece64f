/* SPDX-License-Identifier: MIT */
/*
 * FIFOs on Windows: a named pipe of one direction with one instance,
 * \\.\pipe\xipc.fifo.<name>. The creator holds the server instance and
 * connects it (ConnectNamedPipe) at its first read or write, within that
 * call's timeout; an opener is a client of the opposite direction. The FIFO
 * lives as long as the creator's end; it takes one client at a time.
 *
 * The pipe's name outlives the creator's end while a connected peer still
 * holds its own, and an opener would then find it busy and wait. So the
 * creator also holds a named event, Local\xipc.fifo-alive.<name>: an opener
 * that finds the pipe busy and no event knows the creator is gone.
 */
#include "internal.h"

#include <stdlib.h>

#define DEFAULT_FIFO_SIZE 65536
#define MAX_FIFO_SIZE     (4u << 20) /* pipe buffers live in kernel non-paged memory */

/* How long an opener waits on a busy FIFO before it looks again whether its creator lives. */
#define BUSY_SLICE_MS 100

static int fifo_wide_names(const char *name, WCHAR **pipe_name, WCHAR **alive_name) {
  return xipc__win32_wide_names(XIPC_KIND_FIFO, name, "fifo-alive", pipe_name, alive_name);
}

/* The creator's marker, owner-only; a marker of another user is not taken over. */
static int make_alive_marker(const WCHAR *alive_name, HANDLE *out) {
  SECURITY_ATTRIBUTES sa;
  DWORD err;
  int rc = xipc__win32_owner_only_sa(&sa);
  if (rc < 0)
    return rc;
  *out = CreateEventW(&sa, TRUE, FALSE, alive_name);
  err = GetLastError();
  xipc__win32_free_sa(&sa);
  return xipc__win32_take_helper_object(out, err);
}

static bool creator_lives(const WCHAR *alive_name) {
  HANDLE marker = OpenEventW(SYNCHRONIZE, FALSE, alive_name);
  if (marker == NULL)
    return GetLastError() != ERROR_FILE_NOT_FOUND;
  CloseHandle(marker);
  return true;
}

int xipc__fifo_create(xipc_stream_t **out, const char *name, xipc_fifo_dir_t dir, size_t capacity) {
  DWORD size = capacity == 0 ? DEFAULT_FIFO_SIZE
                             : (capacity > MAX_FIFO_SIZE ? MAX_FIFO_SIZE : (DWORD)capacity);
  HANDLE server, alive = NULL;
  WCHAR *wname, *alive_name;
  int rc = fifo_wide_names(name, &wname, &alive_name);
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
    free(alive_name);
    if (err == ERROR_ACCESS_DENIED || err == ERROR_PIPE_BUSY)
      return XIPC_EEXIST;
    return rc;
  }
  rc = make_alive_marker(alive_name, &alive);
  free(alive_name);
  if (rc == 0 && (*out = xipc__win32_stream_new(server, true, XIPC__STREAM_PIPE)) == NULL)
    rc = xipc__fail(XIPC_ENOMEM);
  if (rc < 0) {
    if (alive != NULL)
      CloseHandle(alive);
    CloseHandle(server);
    return rc;
  }
  (*out)->alive = alive;
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
  WCHAR *wname, *alive_name;
  int rc = fifo_wide_names(name, &wname, &alive_name);
  if (rc < 0)
    return rc;
  for (;;) {
    int left;
    h = CreateFileW(wname, access, 0, NULL, OPEN_EXISTING,
                    FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
    err = h == INVALID_HANDLE_VALUE ? GetLastError() : 0;
    if (err != ERROR_PIPE_BUSY)
      break;
    /* Busy, and its creator gone: the name lives on only in an old peer's end. */
    if (!creator_lives(alive_name)) {
      err = ERROR_FILE_NOT_FOUND;
      break;
    }
    /* Another peer holds the FIFO: wait for it within the timeout, looking again now and then. */
    left = xipc__remaining_ms(deadline);
    if (left == 0)
      break;
    WaitNamedPipeW(wname, left < 0 || left > BUSY_SLICE_MS ? BUSY_SLICE_MS : (DWORD)left);
  }
  free(wname);
  free(alive_name);
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
