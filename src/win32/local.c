/* SPDX-License-Identifier: MIT */
/*
 * Local channels on Windows: named pipes, \\.\pipe\xipc.local.<name>,
 * PIPE_TYPE_BYTE or PIPE_TYPE_MESSAGE (read in message mode), remote clients
 * rejected, owner-only DACL.
 *
 * The listener always has one instance waiting for a client, with an
 * overlapped ConnectNamedPipe() in progress; accept waits for it, makes the
 * next waiting instance first and only then hands the connected one out, so
 * the name never goes away while the listener lives. The first instance is
 * created with FILE_FLAG_FIRST_PIPE_INSTANCE (a squatter's pipe is refused;
 * Wine 8 ignores the flag), and a named lock object beside it makes a
 * second xipc listener fail on Wine too. A client waits through
 * ERROR_PIPE_BUSY within its timeout and refuses a pipe another user owns.
 *
 * Messages: a message larger than the caller's buffer is read whole into the
 * stream and kept there (XIPC_EMSGSIZE); the next receive gets it.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define PIPE_BUFFER 65536

/*
 * Start (or start again) listening on the pending instance: ConnectNamedPipe
 * overlapped, the event set once a client is there. 0, or the error (the
 * instance is then closed).
 */
static int start_listening(xipc_listener_t *l) {
  DWORD err;
  int rc;
  memset(&l->ov, 0, sizeof l->ov);
  l->ov.hEvent = l->event;
  ResetEvent(l->event);
  l->waiting = false;
  if (ConnectNamedPipe(l->pending, &l->ov)) {
    SetEvent(l->event);
    return 0;
  }
  err = GetLastError();
  if (err == ERROR_IO_PENDING) {
    l->waiting = true;
  } else if (err == ERROR_PIPE_CONNECTED || err == ERROR_NO_DATA) {
    /* A client is there already (or came and went: accepted, and it reads as ended). */
    SetEvent(l->event);
  } else {
    rc = xipc__os_fail((int)err);
    CloseHandle(l->pending);
    l->pending = NULL;
    return rc;
  }
  return 0;
}

/* A new instance of the listener's pipe, listening. On failure l->pending is NULL. */
static int new_instance(xipc_listener_t *l, bool first) {
  int rc = xipc__win32_create_pipe_server(l->name, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED, first,
                                          l->messages ? PIPE_TYPE_MESSAGE : PIPE_TYPE_BYTE,
                                          PIPE_UNLIMITED_INSTANCES, PIPE_BUFFER, &l->pending);
  if (rc < 0) {
    l->pending = NULL;
    return first && xipc_last_os_error() == ERROR_ACCESS_DENIED ? XIPC_EADDRINUSE : rc;
  }
  return start_listening(l);
}

static void free_listener(xipc_listener_t *l) {
  if (l->pending != NULL) {
    if (l->waiting) {
      /* l->ov is part of the listener: end the wait before freeing it. */
      DWORD done;
      CancelIoEx(l->pending, &l->ov);
      GetOverlappedResult(l->pending, &l->ov, &done, TRUE);
    }
    CloseHandle(l->pending);
  }
  if (l->event != NULL)
    CloseHandle(l->event);
  if (l->lock != NULL)
    CloseHandle(l->lock);
  free(l->name);
  free(l);
}

int xipc__local_listen(xipc_listener_t **out, const char *name, xipc_local_mode_t mode) {
  xipc_listener_t *l = calloc(1, sizeof *l);
  SECURITY_ATTRIBUTES sa;
  WCHAR *lock_name = NULL;
  DWORD err;
  int rc;
  if (l == NULL)
    return xipc__fail(XIPC_ENOMEM);
  l->messages = mode == XIPC_LOCAL_MESSAGES;
  rc = xipc__win32_wide_names(XIPC_KIND_LOCAL, name, "local-lock", &l->name, &lock_name);
  if (rc == 0)
    rc = xipc__win32_owner_only_sa(&sa);
  if (rc == 0) {
    l->lock = CreateEventW(&sa, TRUE, FALSE, lock_name);
    err = GetLastError();
    xipc__win32_free_sa(&sa);
    if (l->lock == NULL)
      rc = xipc__os_fail((int)err);
    else if (err == ERROR_ALREADY_EXISTS)
      rc = xipc__fail(XIPC_EADDRINUSE); /* another xipc listener has the name */
  }
  free(lock_name);
  if (rc == 0 && (l->event = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL)
    rc = xipc__win32_fail();
  if (rc == 0)
    rc = new_instance(l, true);
  if (rc < 0) {
    free_listener(l);
    return rc;
  }
  *out = l;
  return 0;
}

static xipc_stream_t *local_stream(HANDLE h, bool messages, bool server) {
  xipc_stream_t *s = xipc__win32_stream_new(h, true, XIPC__STREAM_PIPE);
  if (s != NULL) {
    s->local = true;
    s->messages = messages;
    s->server = server;
  }
  return s;
}

/*
 * Wait for a client on the pending instance: 0 when one is there, else the
 * timeout error or the instance's failure (the instance is then gone).
 */
static int wait_for_client(xipc_listener_t *l, uint64_t deadline, int timeout_ms) {
  for (;;) {
    DWORD w = xipc__win32_wait_until(l->event, deadline), done, err;
    if (w == WAIT_TIMEOUT)
      return xipc__timeout_error(timeout_ms);
    if (w != WAIT_OBJECT_0)
      return xipc__win32_fail();
    if (!l->waiting || GetOverlappedResult(l->pending, &l->ov, &done, FALSE))
      return 0;
    err = GetLastError();
    if (err == ERROR_PIPE_CONNECTED || err == ERROR_NO_DATA)
      return 0;
    if (err == ERROR_OPERATION_ABORTED) {
      /*
       * Not xipc's doing: Windows cancels a thread's I/O when the thread
       * ends, and the wait was started by whichever thread last listened or
       * accepted. Listen again on the same instance: a client that came in
       * the meantime is still there (ERROR_PIPE_CONNECTED).
       */
      int rc = start_listening(l);
      if (rc < 0)
        return rc;
      continue;
    }
    CloseHandle(l->pending);
    l->pending = NULL;
    l->waiting = false;
    return xipc__os_fail((int)err);
  }
}

int xipc__listener_accept(xipc_listener_t *l, xipc_stream_t **conn, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  HANDLE connected;
  int rc;
  if (l->tcp)
    return xipc__win32_tcp_accept(l, conn, timeout_ms);
  /* An instance lost to an earlier failure is made again first. */
  if (l->pending == NULL && (rc = new_instance(l, false)) < 0)
    return rc;
  rc = wait_for_client(l, deadline, timeout_ms);
  if (rc < 0) {
    if (l->pending == NULL)
      new_instance(l, false); /* the failed instance's replacement (else made by the next call) */
    return rc;
  }
  connected = l->pending;
  l->pending = NULL;
  l->waiting = false;
  /* The next instance first, so that the name never disappears. */
  rc = new_instance(l, false);
  if (rc < 0) {
    /* Keep the client for the next call, which makes the instance again. */
    l->pending = connected;
    SetEvent(l->event);
    return rc;
  }
  *conn = local_stream(connected, l->messages, true);
  if (*conn == NULL) {
    CloseHandle(connected);
    return xipc__fail(XIPC_ENOMEM);
  }
  return 0;
}

int xipc__listener_close(xipc_listener_t *l) {
  if (l->tcp)
    xipc__win32_tcp_listener_close(l);
  else
    free_listener(l);
  return 0;
}

int xipc__local_connect(xipc_stream_t **out, const char *name, xipc_local_mode_t mode,
                        int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  DWORD err = 0, flags = 0, read_mode = PIPE_READMODE_MESSAGE;
  WCHAR *wname, *lock_name;
  HANDLE h, lock;
  int rc = xipc__win32_wide_names(XIPC_KIND_LOCAL, name, "local-lock", &wname, &lock_name);
  if (rc < 0)
    return rc;
  for (;;) {
    int left;
    h = CreateFileW(wname, GENERIC_READ | GENERIC_WRITE | READ_CONTROL, 0, NULL, OPEN_EXISTING,
                    FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
    err = h == INVALID_HANDLE_VALUE ? GetLastError() : 0;
    if (err != ERROR_PIPE_BUSY)
      break;
    /* Busy instances of a listener that has closed (its accepted connections) are no listener. */
    lock = OpenEventW(SYNCHRONIZE, FALSE, lock_name);
    if (lock == NULL) {
      err = ERROR_FILE_NOT_FOUND;
      break;
    }
    CloseHandle(lock);
    /* Every instance is taken: wait for one within the timeout. */
    left = xipc__remaining_ms(deadline);
    if (left == 0)
      break;
    WaitNamedPipeW(wname, left < 0 ? NMPWAIT_WAIT_FOREVER : (DWORD)left);
  }
  free(wname);
  free(lock_name);
  if (h == INVALID_HANDLE_VALUE)
    return err == ERROR_PIPE_BUSY ? xipc__timeout_error(timeout_ms) : xipc__os_fail((int)err);
  /* The pipe namespace is shared by all users: only our own listener is trusted. */
  rc = xipc__win32_check_owner(h);
  if (rc == 0 && !GetNamedPipeInfo(h, &flags, NULL, NULL, NULL))
    rc = xipc__win32_fail();
  if (rc == 0 && ((flags & PIPE_TYPE_MESSAGE) != 0) != (mode == XIPC_LOCAL_MESSAGES))
    rc = xipc__fail(XIPC_EPROTO); /* the listener speaks the other mode */
  if (rc == 0 && mode == XIPC_LOCAL_MESSAGES && !SetNamedPipeHandleState(h, &read_mode, NULL, NULL))
    rc = xipc__win32_fail();
  if (rc == 0 && (*out = local_stream(h, mode == XIPC_LOCAL_MESSAGES, false)) == NULL)
    rc = xipc__fail(XIPC_ENOMEM);
  if (rc < 0)
    CloseHandle(h);
  return rc;
}

int xipc__stream_send_msg(xipc_stream_t *stream, const void *buf, size_t len, int timeout_ms) {
  DWORD done, err = xipc__win32_overlapped_write(stream, buf, (DWORD)len, timeout_ms, &done);
  if (err == 0 && done == (DWORD)len)
    return 0;
  if (err == WAIT_TIMEOUT)
    return xipc__timeout_error(timeout_ms);
  if (err == ERROR_NO_DATA || err == ERROR_BROKEN_PIPE || err == ERROR_PIPE_NOT_CONNECTED) {
    xipc__set_os_error((int)err);
    return XIPC_EPIPE;
  }
  return err == 0 ? xipc__fail(XIPC_EIO) : xipc__os_fail((int)err);
}

/* Give the kept message to the caller if it fits. */
static int take_kept(xipc_stream_t *s, void *buf, size_t cap, size_t *msg_size) {
  *msg_size = s->msg_len;
  if (s->msg_len > cap)
    return xipc__fail(XIPC_EMSGSIZE);
  memcpy(buf, s->msg_buf, s->msg_len);
  s->msg_kept = false;
  return (int)s->msg_len;
}

int xipc__stream_recv_msg(xipc_stream_t *s, void *buf, size_t cap, int timeout_ms,
                          size_t *msg_size) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  DWORD done, err;
  if (s->msg_kept)
    return take_kept(s, buf, cap, msg_size);
  if (s->msg_buf == NULL && (s->msg_buf = malloc(XIPC_LOCAL_MSG_MAX)) == NULL)
    return xipc__fail(XIPC_ENOMEM);
  for (;;) {
    /* Into the stream's own buffer, which holds the largest message: nothing is ever cut. */
    err = xipc__win32_overlapped_read(s, s->msg_buf, XIPC_LOCAL_MSG_MAX,
                                      xipc__remaining_ms(deadline), &done);
    if (err == ERROR_MORE_DATA) {
      /* Larger than any xipc message: from a peer that does not use xipc. Skip the rest. */
      char scrap[4096];
      while (xipc__win32_overlapped_read(s, scrap, sizeof scrap, -1, &done) == ERROR_MORE_DATA) {
      }
      *msg_size = XIPC_LOCAL_MSG_MAX + 1;
      return xipc__fail(XIPC_EMSGSIZE);
    }
    if (err == ERROR_BROKEN_PIPE || err == ERROR_PIPE_NOT_CONNECTED)
      return xipc__fail(XIPC_EOF);
    if (err == WAIT_TIMEOUT)
      return xipc__timeout_error(timeout_ms);
    if (err != 0)
      return xipc__os_fail((int)err);
    if (done > 0)
      break;
    /* An empty message is not an xipc message: wait on for a real one. */
    if (xipc__remaining_ms(deadline) == 0)
      return xipc__timeout_error(timeout_ms);
  }
  s->msg_len = done;
  s->msg_kept = true;
  return take_kept(s, buf, cap, msg_size);
}

int xipc__stream_peer(const xipc_stream_t *stream, xipc_peer_t *peer) {
  ULONG pid;
  BOOL ok;
  if (!stream->local)
    return xipc__fail(XIPC_ENOTSUP);
  ok = stream->server ? GetNamedPipeClientProcessId(stream->handle, &pid)
                      : GetNamedPipeServerProcessId(stream->handle, &pid);
  if (!ok)
    return xipc__win32_fail();
  peer->pid = (int)pid;
  peer->uid = -1; /* Windows users are SIDs, not numbers */
  return 0;
}
