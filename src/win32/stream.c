/* SPDX-License-Identifier: MIT */
/*
 * Streams on Windows.
 *
 * xipc's own pipe handles are overlapped: a read or write is started, waited
 * for up to the timeout, and on timeout cancelled with CancelIoEx(); then
 * GetOverlappedResult() collects whatever completed anyway, so a timeout
 * never loses bytes. Every operation is complete (or cancelled and
 * collected) before the call returns, so no buffer is left with the kernel.
 *
 * Synchronous handles (pipe ends made for child programs, inherited
 * handles) cannot be cancelled: a timed read polls PeekNamedPipe() with a
 * short back-off; a write waits until the reader has made room (its timeout
 * cannot be enforced; docs/pipes.md).
 *
 * Error codes depend on the operation: ERROR_BROKEN_PIPE is the end of the
 * stream for a read, and with ERROR_NO_DATA a broken pipe (XIPC_EPIPE) for a
 * write.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_PREFIX     "xipc-handle:"
#define SYNC_POLL_MAX_MS 10

xipc_stream_t *xipc__win32_stream_new(HANDLE handle, bool overlapped, xipc__stream_kind_t kind) {
  xipc_stream_t *stream = calloc(1, sizeof *stream);
  if (stream == NULL)
    return NULL;
  if (overlapped) {
    stream->event = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (stream->event == NULL) {
      free(stream);
      return NULL;
    }
  }
  stream->handle = handle;
  stream->kind = kind;
  return stream;
}

typedef enum io_op { IO_READ, IO_WRITE, IO_CONNECT } io_op_t;

/*
 * One overlapped operation, finished within timeout_ms. Returns 0 with
 * *done set, WAIT_TIMEOUT when it was cancelled with nothing transferred, or
 * the Win32 error of the operation.
 */
static DWORD overlapped_io(xipc_stream_t *stream, io_op_t op, void *buf, DWORD len, int timeout_ms,
                           DWORD *done) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  OVERLAPPED ov;
  DWORD err = 0;
  BOOL ok;

  *done = 0;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = stream->event;
  ResetEvent(ov.hEvent);
  if (op == IO_READ)
    ok = ReadFile(stream->handle, buf, len, NULL, &ov);
  else if (op == IO_WRITE)
    ok = WriteFile(stream->handle, buf, len, NULL, &ov);
  else
    ok = ConnectNamedPipe(stream->handle, &ov);
  if (!ok) {
    err = GetLastError();
    if (err != ERROR_IO_PENDING)
      return err;
    for (;;) {
      int left = xipc__remaining_ms(deadline);
      DWORD w = WaitForSingleObject(ov.hEvent, left < 0 ? INFINITE : (DWORD)left);
      if (w == WAIT_OBJECT_0)
        break;
      if (w == WAIT_FAILED)
        err = GetLastError(); /* cannot happen with a valid event; cancel and collect anyway */
      /* A wait may end a tick early; cancel only once the time has really passed. */
      if (w == WAIT_FAILED || left == 0 || xipc__remaining_ms(deadline) == 0) {
        CancelIoEx(stream->handle, &ov);
        break;
      }
    }
  }
  /* Wait for the operation to be finished, cancelled or not, and take its result. */
  if (GetOverlappedResult(stream->handle, &ov, done, TRUE))
    return 0;
  err = GetLastError();
  if (err == ERROR_OPERATION_ABORTED)
    return *done > 0 ? 0 : WAIT_TIMEOUT;
  return err;
}

/* Complete a FIFO creator's ConnectNamedPipe() within the time left. */
static int finish_connect(xipc_stream_t *stream, int timeout_ms) {
  DWORD done, err = overlapped_io(stream, IO_CONNECT, NULL, 0, timeout_ms, &done);
  /* Connected now, earlier (ERROR_PIPE_CONNECTED), or connected and already gone (NO_DATA). */
  if (err == 0 || err == ERROR_PIPE_CONNECTED || err == ERROR_NO_DATA) {
    stream->pending_connect = false;
    return 0;
  }
  if (err == WAIT_TIMEOUT)
    return xipc__timeout_error(timeout_ms);
  return xipc__os_fail((int)err);
}

/* A synchronous pipe: wait for data by peeking, so that the timeout holds. */
static int read_sync(xipc_stream_t *stream, void *buf, int len, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  int backoff_ms = 1;
  DWORD avail, n;
  for (;;) {
    int left;
    if (timeout_ms < 0 || stream->kind != XIPC__STREAM_PIPE)
      break; /* wait in ReadFile itself */
    if (!PeekNamedPipe(stream->handle, NULL, 0, NULL, &avail, NULL)) {
      DWORD err = GetLastError();
      return err == ERROR_BROKEN_PIPE ? 0 : xipc__os_fail((int)err);
    }
    if (avail > 0) {
      len = avail < (DWORD)len ? (int)avail : len;
      break;
    }
    left = xipc__remaining_ms(deadline);
    if (left == 0)
      return xipc__timeout_error(timeout_ms);
    xipc__sleep_ms(left < backoff_ms ? left : backoff_ms);
    if (backoff_ms < SYNC_POLL_MAX_MS)
      backoff_ms *= 2;
  }
  if (ReadFile(stream->handle, buf, (DWORD)len, &n, NULL))
    return (int)n;
  return GetLastError() == ERROR_BROKEN_PIPE ? 0 : xipc__win32_fail();
}

int xipc__stream_read(xipc_stream_t *stream, void *buf, int len, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  DWORD avail, done, err;
  int rc;
  if (stream->pending_connect && (rc = finish_connect(stream, timeout_ms)) < 0)
    return rc;
  if (stream->event == NULL)
    return read_sync(stream, buf, len, xipc__remaining_ms(deadline));
  if (timeout_ms == 0) {
    /* Not waiting at all: read only what is there (an overlapped read would wait for more). */
    if (!PeekNamedPipe(stream->handle, NULL, 0, NULL, &avail, NULL)) {
      err = GetLastError();
      return err == ERROR_BROKEN_PIPE ? 0 : xipc__os_fail((int)err);
    }
    if (avail == 0)
      return xipc__timeout_error(0);
    len = avail < (DWORD)len ? (int)avail : len;
  }
  err = overlapped_io(stream, IO_READ, buf, (DWORD)len, xipc__remaining_ms(deadline), &done);
  if (err == 0)
    return (int)done;
  if (err == ERROR_BROKEN_PIPE)
    return 0;
  if (err == WAIT_TIMEOUT)
    return xipc__timeout_error(timeout_ms);
  return xipc__os_fail((int)err);
}

int xipc__stream_write(xipc_stream_t *stream, const void *buf, int len, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  DWORD done, err;
  int rc;
  if (stream->pending_connect && (rc = finish_connect(stream, timeout_ms)) < 0)
    return rc;
  if (stream->event == NULL) {
    if (WriteFile(stream->handle, buf, (DWORD)len, &done, NULL))
      return (int)done;
    err = GetLastError();
  } else {
    /* WriteFile takes a non-const buffer only because the same call shape also reads. */
    err = overlapped_io(stream, IO_WRITE, (void *)(uintptr_t)buf, (DWORD)len,
                        xipc__remaining_ms(deadline), &done);
    if (err == 0)
      return (int)done;
  }
  if (err == WAIT_TIMEOUT)
    return xipc__timeout_error(timeout_ms);
  /* The reader is gone: no data can go (NO_DATA), or the pipe broke under the write. */
  if (err == ERROR_NO_DATA || err == ERROR_BROKEN_PIPE) {
    xipc__set_os_error((int)err);
    return XIPC_EPIPE;
  }
  return xipc__os_fail((int)err);
}

int xipc__ignore_sigpipe(void) {
  return 0; /* Windows has no SIGPIPE */
}

int xipc__stream_close(xipc_stream_t *stream) {
  int rc = 0;
  if (stream->handle != INVALID_HANDLE_VALUE && !CloseHandle(stream->handle))
    rc = xipc__win32_fail();
  if (stream->event != NULL)
    CloseHandle(stream->event);
  free(stream);
  return rc;
}

xipc_os_handle_t xipc__stream_native(const xipc_stream_t *stream) {
  return (xipc_os_handle_t)stream->handle;
}

int xipc__stream_token(const xipc_stream_t *stream, char *buf, size_t cap) {
  int n = snprintf(buf, cap, TOKEN_PREFIX "%llu:%c", (unsigned long long)(uintptr_t)stream->handle,
                   stream->event ? 'o' : 's');
  return n > 0 && (size_t)n < cap ? n : xipc__fail(XIPC_ENOBUFS);
}

/* Adopt a handle: not inheritable again, kind from what it is. */
static int adopt_handle(xipc_stream_t **out, HANDLE h, bool overlapped) {
  DWORD flags;
  if (!GetHandleInformation(h, &flags))
    return xipc__win32_fail(); /* ERROR_INVALID_HANDLE: XIPC_EBADF */
  SetHandleInformation(h, HANDLE_FLAG_INHERIT, 0);
  *out = xipc__win32_stream_new(
      h, overlapped, GetFileType(h) == FILE_TYPE_PIPE ? XIPC__STREAM_PIPE : XIPC__STREAM_OTHER);
  return *out != NULL ? 0 : xipc__fail(XIPC_ENOMEM);
}

int xipc__stream_from_token(xipc_stream_t **out, const char *token) {
  size_t plen = strlen(TOKEN_PREFIX);
  unsigned long long value;
  char mode, extra;
  if (strncmp(token, TOKEN_PREFIX, plen) != 0 ||
      sscanf(token + plen, "%llu:%c%c", &value, &mode, &extra) != 2 ||
      (mode != 'o' && mode != 's') || token[plen] < '0' || token[plen] > '9')
    return xipc__fail(XIPC_EINVAL);
  return adopt_handle(out, (HANDLE)(uintptr_t)value, mode == 'o');
}

int xipc__stream_from_native(xipc_stream_t **out, xipc_os_handle_t handle, unsigned flags) {
  return adopt_handle(out, (HANDLE)handle, (flags & XIPC_NATIVE_OVERLAPPED) != 0);
}
