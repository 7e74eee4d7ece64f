/* SPDX-License-Identifier: MIT */
/*
 * Streams on POSIX: one descriptor each.
 *
 * xipc's descriptors are blocking, like any program's, so that a call that
 * may wait for ever (timeout -1) is the plain system call and costs what it
 * costs without xipc (xipc-bench measures it). A call with a timeout makes
 * one attempt that cannot block, preadv2()/pwritev2() with RWF_NOWAIT
 * (or a plain call on a descriptor that is O_NONBLOCK), and waits in poll()
 * for the rest of its time when that would block. Where RWF_NOWAIT is
 * missing, it waits in poll() first and then moves at most what poll()
 * promised: the available bytes, or PIPE_BUF bytes of a write.
 *
 * A FIFO read end with no writer yet reads 0 bytes, which is not the end of
 * the stream: for a FIFO a read of 0 is checked with poll(), which reports
 * POLLHUP only once a writer has come and gone, and otherwise waited out.
 *
 * SIGPIPE: sockets use MSG_NOSIGNAL. Pipes and FIFOs have no such flag, so a
 * write blocks SIGPIPE in the calling thread, and when the write failed with
 * EPIPE takes the signal it raised off the thread's pending set before the
 * old mask returns. The process-wide disposition is never touched. A thread
 * that already blocks SIGPIPE is left entirely alone. After the application
 * opted in with xipc_ignore_sigpipe() (SIG_IGN), writes go unguarded.
 */
#include "internal.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define TOKEN_PREFIX "xipc-fd:"

#ifdef XIPC_HAVE_RWF_NOWAIT
#  define RWF_NOWAIT_FLAG RWF_NOWAIT
#else
#  define RWF_NOWAIT_FLAG 0
#endif

/*
 * Where the system can turn SIGPIPE off for one descriptor (macOS, the
 * BSDs: F_SETNOSIGPIPE), it is turned off for pipe and FIFO ends: macOS
 * raises a pipe's SIGPIPE on the whole process, which the per-thread mask
 * of io_once() cannot hold back in a program with other threads.
 */
static void no_sigpipe(int fd, xipc__stream_kind_t kind) {
#ifdef F_SETNOSIGPIPE
  if (fd >= 0 && (kind == XIPC__STREAM_PIPE || kind == XIPC__STREAM_FIFO))
    fcntl(fd, F_SETNOSIGPIPE, 1);
#else
  (void)fd;
  (void)kind;
#endif
}

xipc_stream_t *xipc__posix_stream_new(int fd, xipc__stream_kind_t kind) {
  xipc_stream_t *stream = calloc(1, sizeof *stream);
  int flags = fd >= 0 ? fcntl(fd, F_GETFL) : 0;
  if (stream == NULL)
    return NULL;
  no_sigpipe(fd, kind);
  stream->fd = fd;
  stream->kind = kind;
  stream->nonblocking = flags >= 0 && (flags & O_NONBLOCK) != 0;
  return stream;
}

int xipc__posix_wait_fd(int fd, short events, int timeout_ms) {
  struct pollfd pfd;
  int n;
  pfd.fd = fd;
  pfd.events = events;
  pfd.revents = 0;
  n = poll(&pfd, 1, timeout_ms);
  if (n < 0)
    return errno == EINTR ? 0 : xipc__os_fail(errno);
  return n == 0 ? 0 : pfd.revents;
}

int xipc__posix_wait_until(int fd, short events, uint64_t deadline, int timeout_ms) {
  for (;;) {
    int left = xipc__remaining_ms(deadline), ready = xipc__posix_wait_fd(fd, events, left);
    if (ready < 0)
      return ready;
    if (ready & POLLNVAL)
      return xipc__fail(XIPC_EBADF);
    if (ready > 0)
      return ready;
    if (left == 0 || xipc__remaining_ms(deadline) == 0)
      return xipc__timeout_error(timeout_ms);
    /* interrupted by a signal: wait again for the time that is left */
  }
}

int xipc__posix_retry_when_ready(int fd, short events, int err, uint64_t deadline, int timeout_ms) {
  int ready;
  if (err == EINTR)
    return 0;
  if (err != EAGAIN && err != EWOULDBLOCK)
    return xipc__os_fail(err);
  if (xipc__remaining_ms(deadline) == 0)
    return xipc__timeout_error(timeout_ms);
  ready = xipc__posix_wait_until(fd, events, deadline, timeout_ms);
  return ready < 0 ? ready : 0;
}

#ifndef XIPC_HAVE_MSG_NOSIGNAL
#  define MSG_NOSIGNAL 0
#endif

/* Take a pending SIGPIPE of this thread without waiting; see the file comment. */
static void consume_sigpipe(const sigset_t *pipe_set) {
#ifdef XIPC_HAVE_SIGTIMEDWAIT
  struct timespec zero = {0, 0};
  while (sigtimedwait(pipe_set, NULL, &zero) < 0 && errno == EINTR) {
  }
#else
  sigset_t pending;
  int sig;
  if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE))
    sigwait(pipe_set, &sig);
#endif
}

/* Set by xipc_ignore_sigpipe(): SIGPIPE is SIG_IGN, writes need no guard. */
static atomic_int sigpipe_ignored;

int xipc__ignore_sigpipe(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_IGN;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGPIPE, &sa, NULL) != 0)
    return xipc__os_fail(errno);
  atomic_store_explicit(&sigpipe_ignored, 1, memory_order_relaxed);
  return 0;
}

/*
 * Cleared when the kernel refuses RWF_NOWAIT on a pipe or FIFO; then poll()
 * bounds each call on them. A refusal on anything else (a tty, a file)
 * says nothing about pipes and changes nothing here.
 */
static atomic_int nowait_supported = RWF_NOWAIT_FLAG != 0;

static bool is_pipe_kind(const xipc_stream_t *stream) {
  return stream->kind == XIPC__STREAM_PIPE || stream->kind == XIPC__STREAM_FIFO;
}

/* Outcome of one system call: a count, or -1 with errno (EAGAIN: it would have blocked). */
static ssize_t io_call(const xipc_stream_t *stream, bool is_write, void *buf, size_t len,
                       bool nowait) {
  struct iovec iov;
  ssize_t n;
  int flags = nowait && !stream->nonblocking ? RWF_NOWAIT_FLAG : 0;
  iov.iov_base = buf;
  iov.iov_len = len;
  if (stream->kind == XIPC__STREAM_SOCKET)
    return is_write ? send(stream->fd, buf, len, MSG_NOSIGNAL | (nowait ? MSG_DONTWAIT : 0))
                    : recv(stream->fd, buf, len, nowait ? MSG_DONTWAIT : 0);
  if (flags == 0)
    return is_write ? write(stream->fd, buf, len) : read(stream->fd, buf, len);
#ifdef XIPC_HAVE_RWF_NOWAIT
  /* Offset -1: the file position, which is what a pipe has. */
  n = is_write ? pwritev2(stream->fd, &iov, 1, -1, flags) : preadv2(stream->fd, &iov, 1, -1, flags);
#else
  n = -1;
  errno = ENOTSUP;
#endif
  return n;
}

/*
 * One read or write, blocking or not. A write never raises SIGPIPE. Returns a
 * count or -1 with errno; errno ENOTSUP when a non-blocking attempt cannot be
 * made on this descriptor (no RWF_NOWAIT).
 */
static ssize_t io_once(const xipc_stream_t *stream, bool is_write, void *buf, size_t len,
                       bool nowait) {
  sigset_t pipe_set, old;
  ssize_t n;
  int saved;
  if (nowait && !stream->nonblocking && is_pipe_kind(stream) &&
      !atomic_load_explicit(&nowait_supported, memory_order_relaxed)) {
    errno = ENOTSUP;
    return -1;
  }
  if (!is_write || (stream->kind == XIPC__STREAM_SOCKET && MSG_NOSIGNAL != 0) ||
      atomic_load_explicit(&sigpipe_ignored, memory_order_relaxed)) {
    n = io_call(stream, is_write, buf, len, nowait);
  } else {
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    n = io_call(stream, is_write, buf, len, nowait);
    if (!sigismember(&old, SIGPIPE)) {
      saved = errno;
      /* A write cut short by the reader's leaving raised SIGPIPE too, with its count. */
      if ((n < 0 && saved == EPIPE) || (n >= 0 && (size_t)n < len))
        consume_sigpipe(&pipe_set);
      pthread_sigmask(SIG_SETMASK, &old, NULL);
      errno = saved;
    }
  }
  if (n < 0 && nowait && (errno == EOPNOTSUPP || errno == EINVAL || errno == ESPIPE) &&
      !stream->nonblocking && stream->kind != XIPC__STREAM_SOCKET) {
    if (is_pipe_kind(stream))
      atomic_store_explicit(&nowait_supported, 0, memory_order_relaxed);
    errno = ENOTSUP;
  }
  return n;
}

static bool would_block(int err) {
  return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

/*
 * A read of 0 bytes: the end of the stream, or (FIFO) no writer has come yet.
 * Only POLLHUP tells them apart, and only a FIFO needs asking.
 */
static bool is_end_of_stream(const xipc_stream_t *stream) {
  return stream->kind != XIPC__STREAM_FIFO ||
         (xipc__posix_wait_fd(stream->fd, POLLIN, 0) & POLLHUP) != 0;
}

int xipc__stream_read(xipc_stream_t *stream, void *buf, int len, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  bool can_try = true; /* false: wait for poll() first (no RWF_NOWAIT) */
  ssize_t n;
  int ready;

  if (stream->fd < 0)
    return xipc__fail(XIPC_EBADF); /* a FIFO writer end */
  for (;;) {
    if (can_try) {
      /* Waiting for ever is the plain blocking read. */
      n = io_once(stream, false, buf, (size_t)len, timeout_ms >= 0);
      if (n > 0 || (n == 0 && is_end_of_stream(stream)))
        return (int)n;
      if (n < 0 && errno == ENOTSUP)
        can_try = false;
      else if (n < 0 && !would_block(errno))
        return xipc__os_fail(errno);
    }
    ready = xipc__posix_wait_until(stream->fd, POLLIN, deadline, timeout_ms);
    if (ready < 0)
      return ready;
    if (!can_try) {
      /* poll() said there is data (or the end): this read takes it without blocking. */
      n = io_once(stream, false, buf, (size_t)len, false);
      if (n >= 0)
        return (int)n;
      if (!would_block(errno))
        return xipc__os_fail(errno);
    }
  }
}

/* Open a FIFO writer end that was waiting for a reader. */
static int open_pending_fifo(xipc_stream_t *stream, uint64_t deadline, int timeout_ms) {
  int fd, rc = xipc__posix_fifo_open_writer(stream->fifo_path, deadline, timeout_ms, &fd);
  if (rc < 0)
    return rc;
  no_sigpipe(fd, stream->kind);
  stream->fd = fd;
  free(stream->fifo_path);
  stream->fifo_path = NULL;
  return 0;
}

int xipc__stream_write(xipc_stream_t *stream, const void *buf, int len, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  /* write() takes const data; the shared I/O helper takes a plain pointer. */
  void *data = (void *)(uintptr_t)buf;
  bool bounded = false;
  ssize_t n;
  int ready, rc;

  if (stream->fd < 0 && (rc = open_pending_fifo(stream, deadline, timeout_ms)) < 0)
    return rc;
  for (;;) {
    if (!bounded) {
      n = io_once(stream, true, data, (size_t)len, timeout_ms >= 0);
      if (n > 0)
        return (int)n;
      if (n < 0 && errno == ENOTSUP)
        bounded = true;
      else if (n < 0 && !would_block(errno))
        return xipc__os_fail(errno);
    }
    ready = xipc__posix_wait_until(stream->fd, POLLOUT, deadline, timeout_ms);
    if (ready < 0)
      return ready;
    if (bounded) {
      /* No RWF_NOWAIT: PIPE_BUF bytes fit in a pipe that poll() called writable. */
      n = io_once(stream, true, data, (size_t)(len < PIPE_BUF ? len : PIPE_BUF), false);
      if (n > 0)
        return (int)n;
      if (n < 0 && !would_block(errno))
        return xipc__os_fail(errno);
    }
  }
}

bool xipc__stream_is_message(const xipc_stream_t *stream) {
  return stream->messages;
}

int xipc__stream_close(xipc_stream_t *stream) {
  int rc = 0;
  /* close() releases the descriptor even when it reports an error; never retry it. */
  if (stream->fd >= 0 && close(stream->fd) != 0 && errno != EINTR)
    rc = xipc__os_fail(errno);
  free(stream->fifo_path);
  free(stream);
  return rc;
}

xipc_os_handle_t xipc__stream_native(const xipc_stream_t *stream) {
  return stream->fd >= 0 ? (xipc_os_handle_t)stream->fd : XIPC_OS_HANDLE_INVALID;
}

int xipc__stream_token(const xipc_stream_t *stream, char *buf, size_t cap) {
  int n;
  if (stream->fd < 0)
    return xipc__fail(XIPC_EINVAL);
  n = snprintf(buf, cap, TOKEN_PREFIX "%d", stream->fd);
  return n > 0 && (size_t)n < cap ? n : xipc__fail(XIPC_ENOBUFS);
}

/*
 * A local connection handed over (to a child, by token or native handle)
 * stays one: AF_UNIX gives it a peer, SOCK_SEQPACKET makes it carry messages.
 * A TCP connection (an IPv4 or IPv6 stream socket) stays one too.
 */
static void adopt_socket_mode(xipc_stream_t *stream) {
  struct sockaddr_storage addr;
  socklen_t len = sizeof addr;
  int type = 0;
  socklen_t type_len = sizeof type;
  if (getsockname(stream->fd, (struct sockaddr *)&addr, &len) != 0 ||
      getsockopt(stream->fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0)
    return;
  if (addr.ss_family == AF_UNIX) {
    stream->local = true;
    stream->messages = type == SOCK_SEQPACKET;
  } else if ((addr.ss_family == AF_INET || addr.ss_family == AF_INET6) && type == SOCK_STREAM) {
    stream->tcp = true;
  }
}

/* Adopt an open descriptor: close-on-exec again, kind from what it is. */
static int adopt_fd(xipc_stream_t **out, int fd) {
  xipc__stream_kind_t kind = XIPC__STREAM_OTHER;
  struct stat st;
  int rc;
  if (fstat(fd, &st) != 0)
    return xipc__os_fail(errno);
  if (S_ISFIFO(st.st_mode))
    kind = XIPC__STREAM_FIFO; /* a pipe of unknown history reads like a FIFO */
  else if (S_ISSOCK(st.st_mode))
    kind = XIPC__STREAM_SOCKET;
  /* Not this process's own standard streams: every child would lose them. */
  rc = fd < 3 ? 0 : xipc__posix_set_cloexec(fd, true);
  if (rc < 0)
    return rc;
  *out = xipc__posix_stream_new(fd, kind);
  if (*out == NULL)
    return xipc__fail(XIPC_ENOMEM);
  if (kind == XIPC__STREAM_SOCKET)
    adopt_socket_mode(*out);
  return 0;
}

int xipc__stream_from_token(xipc_stream_t **out, const char *token) {
  size_t plen = strlen(TOKEN_PREFIX);
  char *end;
  long fd;
  if (strncmp(token, TOKEN_PREFIX, plen) != 0 || token[plen] < '0' || token[plen] > '9')
    return xipc__fail(XIPC_EINVAL);
  errno = 0;
  fd = strtol(token + plen, &end, 10);
  if (*end != '\0' || errno != 0 || fd > INT_MAX)
    return xipc__fail(XIPC_EINVAL);
  return adopt_fd(out, (int)fd);
}

int xipc__stream_from_native(xipc_stream_t **out, xipc_os_handle_t handle, unsigned flags) {
  (void)flags;
  if (handle < 0 || handle > INT_MAX)
    return xipc__fail(XIPC_EBADF);
  return adopt_fd(out, (int)handle);
}
