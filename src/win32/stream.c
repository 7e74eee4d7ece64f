/* SPDX-License-Identifier: MIT */
/*
 * Streams on Windows.
 *
 * xipc's own pipe handles are overlapped: a read or write is started, waited
 * for up to the timeout, and on timeout cancelled with CancelIoEx(); then
 * GetOverlappedResult() collects whatever completed anyway, so a timed-out
 * read loses nothing. Every operation is complete (or cancelled and
 * collected) before the call returns, so no buffer is left with the kernel.
 *
 * Writes need more care: Windows queues a pipe write whole and reports
 * either all of it or, once cancelled, nothing, even when the reader has
 * already taken part of it. So a write with a timeout never asks for more
 * than the pipe has room for right now (WriteQuotaAvailable from
 * NtQueryInformationFile(FilePipeLocalInformation), documented in the WDK),
 * which completes at once with an exact count. With no room it waits by
 * writing a single byte, which either goes or does not; a message of at
 * most XIPC_PIPE_ATOMIC bytes waits until it fits whole.
 *
 * Synchronous handles (pipe ends made for child programs, inherited
 * handles) cannot be cancelled: a timed read polls PeekNamedPipe() with a
 * short back-off; a write waits until the reader has made room (its timeout
 * cannot be enforced; docs/pipes.md).
 *
 * Error codes depend on the operation: ERROR_BROKEN_PIPE is the end of the
 * stream for a read, and with ERROR_NO_DATA a broken pipe (XIPC_EPIPE) for a
 * write. A read of 0 bytes that succeeds is a peer's empty write, not the end.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_PREFIX     "xipc-handle:"
#define SYNC_POLL_MAX_MS 10
/* A pending write is held whole in kernel memory: never ask for more at once. */
#define MAX_WRITE        (4u << 20)

static bool write_quota(const xipc_stream_t *stream, DWORD *quota);

xipc_stream_t *xipc__win32_stream_new(HANDLE handle, bool overlapped, xipc__stream_kind_t kind) {
  xipc_stream_t *stream = calloc(1, sizeof *stream);
  DWORD quota;
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
  /*
   * A pipe that is new (or not full) has room. A system that reports none
   * does not report it at all (Wine 8: always 0); its timed writes then ask
   * for everything at once, as they must without the information.
   */
  stream->quota_known = kind == XIPC__STREAM_PIPE && write_quota(stream, &quota) && quota > 0;
  return stream;
}

/* ---- The free space of a pipe ------------------------------------------ */

/* FILE_PIPE_LOCAL_INFORMATION and IO_STATUS_BLOCK (ntifs.h), declared here: mingw and the SDK
 * differ. */
typedef struct pipe_local_info {
  ULONG NamedPipeType, NamedPipeConfiguration, MaximumInstances, CurrentInstances;
  ULONG InboundQuota, ReadDataAvailable, OutboundQuota, WriteQuotaAvailable;
  ULONG NamedPipeState, NamedPipeEnd;
} pipe_local_info_t;

typedef struct io_status {
  union {
    LONG Status;
    PVOID Pointer;
  } u;
  ULONG_PTR Information;
} io_status_t;

typedef LONG(NTAPI *query_file_fn)(HANDLE, io_status_t *, PVOID, ULONG, int);

#define FILE_PIPE_LOCAL_INFORMATION_CLASS 24

static INIT_ONCE query_once = INIT_ONCE_STATIC_INIT;
static query_file_fn query_file;

static BOOL CALLBACK load_query_file(PINIT_ONCE once, PVOID param, PVOID *context) {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  (void)once;
  (void)param;
  (void)context;
  if (ntdll != NULL)
    query_file = (query_file_fn)(void (*)(void))GetProcAddress(ntdll, "NtQueryInformationFile");
  return TRUE;
}

/* Bytes a write on this pipe end takes without waiting; false when the system cannot tell. */
static bool write_quota(const xipc_stream_t *stream, DWORD *quota) {
  pipe_local_info_t info;
  io_status_t status;
  InitOnceExecuteOnce(&query_once, load_query_file, NULL, NULL);
  if (query_file == NULL || query_file(stream->handle, &status, &info, sizeof info,
                                       FILE_PIPE_LOCAL_INFORMATION_CLASS) < 0)
    return false;
  *quota = info.WriteQuotaAvailable;
  return true;
}

/* ---- Overlapped operations ---------------------------------------------- */

typedef enum io_op { IO_READ, IO_WRITE } io_op_t;

/*
 * One overlapped operation, finished within timeout_ms. Returns 0 with
 * *done set, WAIT_TIMEOUT when xipc cancelled it at its deadline with nothing
 * transferred, or the Win32 error of the operation (ERROR_OPERATION_ABORTED
 * when someone else cancelled it).
 */
static DWORD overlapped_io(xipc_stream_t *stream, io_op_t op, void *buf, DWORD len, int timeout_ms,
                           DWORD *done) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  bool cancelled = false;
  OVERLAPPED ov;
  DWORD err = 0;
  BOOL ok;

  *done = 0;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = stream->event;
  ResetEvent(ov.hEvent);
  if (op == IO_READ)
    ok = ReadFile(stream->handle, buf, len, NULL, &ov);
  else
    ok = WriteFile(stream->handle, buf, len, NULL, &ov);
  if (!ok) {
    err = GetLastError();
    /* MORE_DATA: done at once with part of a message; the count comes from the result. */
    if (err != ERROR_IO_PENDING && err != ERROR_MORE_DATA)
      return err;
    if (err == ERROR_IO_PENDING && xipc__win32_wait_until(ov.hEvent, deadline) != WAIT_OBJECT_0)
      cancelled = CancelIoEx(stream->handle, &ov) != FALSE;
  }
  /* Wait for the operation to be finished, cancelled or not, and take its result. */
  if (GetOverlappedResult(stream->handle, &ov, done, TRUE))
    return 0;
  err = GetLastError();
  if (err == ERROR_OPERATION_ABORTED && cancelled)
    return *done > 0 ? 0 : WAIT_TIMEOUT;
  return err;
}

DWORD xipc__win32_overlapped_read(xipc_stream_t *stream, void *buf, DWORD len, int timeout_ms,
                                  DWORD *done) {
  return overlapped_io(stream, IO_READ, buf, len, timeout_ms, done);
}

DWORD xipc__win32_overlapped_write(xipc_stream_t *stream, const void *buf, DWORD len,
                                   int timeout_ms, DWORD *done) {
  /* WriteFile takes a non-const buffer only because the same call shape also reads. */
  return overlapped_io(stream, IO_WRITE, (void *)(uintptr_t)buf, len, timeout_ms, done);
}

/*
 * A FIFO creator's end listens for its peer with a ConnectNamedPipe() that
 * stays in progress across calls (in connect_ov), so the pipe accepts a
 * peer whether or not a read or write is waiting; calls only wait for it.
 */
static void start_connect(xipc_stream_t *stream) {
  memset(&stream->connect_ov, 0, sizeof stream->connect_ov);
  stream->connect_ov.hEvent = stream->event;
  ResetEvent(stream->event);
  stream->pending_connect = true;
  stream->connecting = false;
  if (ConnectNamedPipe(stream->handle, &stream->connect_ov)) {
    stream->pending_connect = false;
    return;
  }
  switch (GetLastError()) {
  case ERROR_IO_PENDING:
    stream->connecting = true;
    break;
  case ERROR_PIPE_CONNECTED: /* the peer was faster */
  case ERROR_NO_DATA:        /* it came and has gone already: reads see the end */
    stream->pending_connect = false;
    break;
  default:
    break; /* tried again by the next call */
  }
}

/*
 * A FIFO creator's end whose peer left: disconnect it and listen again, so
 * that another process may open the FIFO as on POSIX.
 */
static void rearm_fifo_server(xipc_stream_t *stream) {
  if (stream->fifo_server && DisconnectNamedPipe(stream->handle))
    start_connect(stream);
}

/* Wait, within the time left, for a FIFO creator's end to have its peer. */
static int finish_connect(xipc_stream_t *stream, int timeout_ms) {
  DWORD done, w;
  if (!stream->connecting) {
    start_connect(stream);
    if (!stream->pending_connect)
      return 0;
    if (!stream->connecting)
      return xipc__win32_fail();
  }
  w = xipc__win32_wait_until(stream->event, xipc__deadline(timeout_ms));
  if (w == WAIT_TIMEOUT)
    return xipc__timeout_error(timeout_ms); /* still listening: the next call waits on */
  if (w != WAIT_OBJECT_0)
    return xipc__win32_fail();
  stream->connecting = false;
  if (!GetOverlappedResult(stream->handle, &stream->connect_ov, &done, FALSE) &&
      GetLastError() != ERROR_PIPE_CONNECTED && GetLastError() != ERROR_NO_DATA)
    return xipc__win32_fail();
  stream->pending_connect = false;
  return 0;
}

/* The end of the stream, or one of the errors that mean the writer is gone. */
static bool read_error_is_end(DWORD err) {
  return err == ERROR_BROKEN_PIPE || err == ERROR_PIPE_NOT_CONNECTED;
}

/* ---- Read ---------------------------------------------------------------- */

/* A synchronous pipe: wait for data by peeking, so that the timeout holds. */
/* (deadline: from the caller's timeout_ms, which names the timeout error) */
static int read_sync(xipc_stream_t *stream, void *buf, int len, uint64_t deadline, int timeout_ms) {
  int backoff_ms = 1;
  DWORD avail, n;
  for (;;) {
    int left, want = len;
    if (timeout_ms >= 0 && stream->kind == XIPC__STREAM_PIPE) {
      if (!PeekNamedPipe(stream->handle, NULL, 0, NULL, &avail, NULL)) {
        DWORD err = GetLastError();
        return read_error_is_end(err) ? 0 : xipc__os_fail((int)err);
      }
      want = avail < (DWORD)len ? (int)avail : len;
    }
    if (want > 0) {
      BOOL ok = ReadFile(stream->handle, buf, (DWORD)want, &n, NULL);
      DWORD err = ok ? ERROR_SUCCESS : GetLastError();
      if (n > 0 && (ok || err == ERROR_MORE_DATA))
        return (int)n; /* MORE_DATA: a message-mode pipe read as bytes */
      if (!ok)
        return read_error_is_end(err) ? 0 : xipc__os_fail((int)err);
      /* success with 0 bytes: a peer's empty write, not the end */
    }
    left = xipc__remaining_ms(deadline);
    if (left == 0)
      return xipc__timeout_error(timeout_ms);
    xipc__sleep_ms(left > 0 && left < backoff_ms ? left : backoff_ms);
    if (backoff_ms < SYNC_POLL_MAX_MS)
      backoff_ms *= 2;
  }
}

int xipc__stream_read(xipc_stream_t *stream, void *buf, int len, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  DWORD avail, done, err;
  int rc, left;
  if (stream->kind == XIPC__STREAM_SOCKET)
    return xipc__win32_tcp_read(stream, buf, len, timeout_ms);
  if (stream->pending_connect && (rc = finish_connect(stream, timeout_ms)) < 0)
    return rc;
  if (stream->event == NULL)
    return read_sync(stream, buf, len, deadline, timeout_ms);
  for (;;) {
    DWORD want = (DWORD)len;
    left = xipc__remaining_ms(deadline);
    if (left == 0) {
      /* No time to wait: read only what is there (an overlapped read would wait for more). */
      if (!PeekNamedPipe(stream->handle, NULL, 0, NULL, &avail, NULL)) {
        err = GetLastError();
        if (!read_error_is_end(err))
          return xipc__os_fail((int)err);
        rearm_fifo_server(stream);
        return 0;
      }
      if (avail == 0)
        return xipc__timeout_error(timeout_ms);
      want = avail < want ? avail : want;
    }
    err = overlapped_io(stream, IO_READ, buf, want, left, &done);
    if ((err == 0 || err == ERROR_MORE_DATA) && done > 0)
      return (int)done; /* MORE_DATA: a message-mode pipe read as bytes */
    if (read_error_is_end(err)) {
      rearm_fifo_server(stream);
      return 0;
    }
    if (err == WAIT_TIMEOUT)
      return xipc__timeout_error(timeout_ms);
    if (err != 0)
      return xipc__os_fail((int)err);
    /* 0 bytes and success: a peer's empty write. Wait on for real data. */
    if (xipc__remaining_ms(deadline) == 0)
      return xipc__timeout_error(timeout_ms);
  }
}

/* ---- Write --------------------------------------------------------------- */

static int write_error(xipc_stream_t *stream, DWORD err, int timeout_ms) {
  if (err == WAIT_TIMEOUT)
    return xipc__timeout_error(timeout_ms);
  /* The reader is gone: no data can go (NO_DATA), or the pipe broke under the write. */
  if (err == ERROR_NO_DATA || err == ERROR_BROKEN_PIPE || err == ERROR_PIPE_NOT_CONNECTED) {
    rearm_fifo_server(stream);
    xipc__set_os_error((int)err);
    return XIPC_EPIPE;
  }
  return xipc__os_fail((int)err);
}

/* A write with a timeout that only ever asks for what the pipe takes now (file comment). */
static int write_timed(xipc_stream_t *stream, const char *buf, DWORD len, uint64_t deadline,
                       int timeout_ms) {
  int left = xipc__remaining_ms(deadline);
  DWORD quota, done, err, want;
  if (!stream->quota_known || !write_quota(stream, &quota)) {
    /* The system cannot say: one write, as large as asked (docs/pipes.md). */
    err = overlapped_io(stream, IO_WRITE, (void *)(uintptr_t)buf, len, left, &done);
    return err == 0 ? (int)done : write_error(stream, err, timeout_ms);
  }
  if (len <= XIPC_PIPE_ATOMIC)
    want = quota >= len ? len : 0; /* a small message goes whole */
  else
    want = quota < len ? quota : len;
  if (want > 0) {
    err = overlapped_io(stream, IO_WRITE, (void *)(uintptr_t)buf, want, left, &done);
    return err == 0 ? (int)done : write_error(stream, err, timeout_ms);
  }
  /*
   * No room shown. That may mean a full pipe, or a reader waiting in a
   * read: Windows lowers WriteQuotaAvailable by what a pending read asks
   * for, so an empty pipe with a waiting reader shows none. A write
   * completes at once in that case, so there is no waiting for room to show.
   */
  if (len <= XIPC_PIPE_ATOMIC) {
    /* A small message goes whole (atomic), now or when room comes. */
    err = overlapped_io(stream, IO_WRITE, (void *)(uintptr_t)buf, len, left, &done);
    return err == 0 ? (int)done : write_error(stream, err, timeout_ms);
  }
  /* One byte waits for room or a reader, and goes or does not: exact. */
  err = overlapped_io(stream, IO_WRITE, (void *)(uintptr_t)buf, 1, left, &done);
  if (err != 0)
    return write_error(stream, err, timeout_ms);
  /* Then what the pipe takes now, in the same call (one byte per call would crawl). */
  if (done == 1 && write_quota(stream, &quota) && quota > 0) {
    DWORD more = 0;
    want = quota < len - 1 ? quota : len - 1;
    if (overlapped_io(stream, IO_WRITE, (void *)(uintptr_t)(buf + 1), want,
                      xipc__remaining_ms(deadline), &more) == 0)
      done += more;
  }
  return (int)done;
}

int xipc__stream_write(xipc_stream_t *stream, const void *buf, int len, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  DWORD done, err, want = (DWORD)len < MAX_WRITE ? (DWORD)len : MAX_WRITE;
  int rc;
  if (stream->kind == XIPC__STREAM_SOCKET)
    return xipc__win32_tcp_write(stream, buf, len, timeout_ms);
  if (stream->pending_connect && (rc = finish_connect(stream, timeout_ms)) < 0)
    return rc;
  if (stream->event == NULL) {
    if (WriteFile(stream->handle, buf, want, &done, NULL))
      return (int)done;
    return write_error(stream, GetLastError(), timeout_ms);
  }
  if (timeout_ms >= 0)
    return write_timed(stream, buf, want, deadline, timeout_ms);
  /* Waiting for ever: nothing is cancelled, so the whole write completes and counts. */
  err = overlapped_io(stream, IO_WRITE, (void *)(uintptr_t)buf, want, -1, &done);
  return err == 0 ? (int)done : write_error(stream, err, timeout_ms);
}

int xipc__ignore_sigpipe(void) {
  return 0; /* Windows has no SIGPIPE */
}

bool xipc__stream_is_message(const xipc_stream_t *stream) {
  return stream->messages;
}

int xipc__stream_close(xipc_stream_t *stream) {
  int rc = 0;
  if (stream->kind == XIPC__STREAM_SOCKET)
    return xipc__win32_tcp_close(stream);
  free(stream->msg_buf);
  if (stream->connecting) {
    /* connect_ov is part of the stream: end the listening before it is freed. */
    DWORD done;
    CancelIoEx(stream->handle, &stream->connect_ov);
    GetOverlappedResult(stream->handle, &stream->connect_ov, &done, TRUE);
  }
  if (stream->handle != INVALID_HANDLE_VALUE && !CloseHandle(stream->handle))
    rc = xipc__win32_fail();
  if (stream->event != NULL)
    CloseHandle(stream->event);
  if (stream->alive != NULL)
    CloseHandle(stream->alive);
  free(stream);
  return rc;
}

xipc_os_handle_t xipc__stream_native(const xipc_stream_t *stream) {
  return (xipc_os_handle_t)stream->handle;
}

int xipc__stream_token(const xipc_stream_t *stream, char *buf, size_t cap) {
  int n;
  if (stream->pending_connect)
    return xipc__fail(XIPC_EINVAL); /* a FIFO creator's end still waiting for its peer */
  /*
   * A socket handle is not simply inherited (Winsock wants WSADuplicateSocket
   * with the child's pid, and Wine passes no socket at all): docs/sockets.md.
   */
  if (stream->kind == XIPC__STREAM_SOCKET)
    return xipc__fail(XIPC_ENOTSUP);
  /* o|s: overlapped or not; then a local connection's kind: l client or v server, m messages. */
  n = snprintf(buf, cap, TOKEN_PREFIX "%llu:%c%s%s", (unsigned long long)(uintptr_t)stream->handle,
               stream->event ? 'o' : 's',
               !stream->local   ? ""
               : stream->server ? "v"
                                : "l",
               stream->messages ? "m" : "");
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
  char mode[4] = {0}, extra;
  int fields, rc;
  if (strncmp(token, TOKEN_PREFIX, plen) != 0 || token[plen] < '0' || token[plen] > '9')
    return xipc__fail(XIPC_EINVAL);
  fields = sscanf(token + plen, "%llu:%3[oslvm]%c", &value, mode, &extra);
  if (fields != 2 || (mode[0] != 'o' && mode[0] != 's') ||
      (strcmp(mode + 1, "") != 0 && strcmp(mode + 1, "l") != 0 && strcmp(mode + 1, "v") != 0 &&
       strcmp(mode + 1, "lm") != 0 && strcmp(mode + 1, "vm") != 0))
    return xipc__fail(XIPC_EINVAL);
  rc = adopt_handle(out, (HANDLE)(uintptr_t)value, mode[0] == 'o');
  if (rc == 0 && mode[1] != '\0') {
    (*out)->local = true;
    (*out)->server = mode[1] == 'v';
    (*out)->messages = mode[2] == 'm';
  }
  return rc;
}

int xipc__stream_from_native(xipc_stream_t **out, xipc_os_handle_t handle, unsigned flags) {
  /* GetFileType() calls a socket a pipe: ask Winsock first. */
  bool is_socket;
  int rc = xipc__win32_tcp_from_native(out, (SOCKET)handle, &is_socket);
  if (is_socket)
    return rc;
  return adopt_handle(out, (HANDLE)handle, (flags & XIPC_NATIVE_OVERLAPPED) != 0);
}
