/* SPDX-License-Identifier: MIT */
/*
 * Local channels on POSIX: AF_UNIX sockets, SOCK_STREAM (bytes) or
 * SOCK_SEQPACKET (messages), at <rundir>/local.<name> in the private 0700
 * runtime directory; never abstract sockets, which have no permissions.
 *
 * Who owns a name: a listener holds flock() on <rundir>/local-lock.<name>
 * for its whole life, so a second listener knows at once (XIPC_EADDRINUSE),
 * without races, and a listener that died released it. A socket file whose
 * lock is free is then probed: connection refused means its server died,
 * and the file is replaced; an answer means a server that does not use xipc
 * lives there, and it is never stolen. Anything but a socket of ours at the
 * path (a squatter's file) is refused too.
 *
 * Messages: a SOCK_SEQPACKET send is atomic. A receive first peeks at the
 * message's length (MSG_PEEK | MSG_TRUNC) unless the buffer holds the
 * largest message, so a message too large for the buffer stays queued.
 */
#include "internal.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef PATH_MAX
#  define PATH_MAX 4096
#endif
#ifdef POLLRDHUP
#  define XIPC_POLLRDHUP POLLRDHUP
#else
#  define XIPC_POLLRDHUP 0
#endif
#ifndef XIPC_HAVE_MSG_NOSIGNAL
#  define MSG_NOSIGNAL 0
#endif

static int socket_type(xipc_local_mode_t mode) {
  return mode == XIPC_LOCAL_MESSAGES ? SOCK_SEQPACKET : SOCK_STREAM;
}

/* Take the name's lock file, or XIPC_EADDRINUSE when a live listener holds it. */
static int take_lock(const char *name, int *lock_fd) {
  char lock_path[PATH_MAX];
  int rc =
      xipc__posix_sidecar_path(XIPC_KIND_LOCAL, name, "local-lock", lock_path, sizeof lock_path);
  *lock_fd = -1;
  return rc < 0 ? rc : xipc__posix_take_name_lock(lock_path, XIPC_EADDRINUSE, lock_fd);
}

int xipc__local_listen(xipc_listener_t **out, const char *name, xipc_local_mode_t mode) {
  char dir[PATH_MAX];
  struct sockaddr_un addr;
  struct stat st;
  xipc_listener_t *l;
  int rc = xipc__posix_runtime_dir_ensure(dir, sizeof dir);
  if (rc < 0)
    return rc;
  l = calloc(1, sizeof *l);
  if (l == NULL)
    return xipc__fail(XIPC_ENOMEM);
  l->fd = l->lock_fd = -1;
  l->messages = mode == XIPC_LOCAL_MESSAGES;
  rc = xipc_name_native(XIPC_KIND_LOCAL, name, l->path, sizeof l->path);
  if (rc >= 0)
    rc = take_lock(name, &l->lock_fd);
  if (rc >= 0)
    rc = xipc__posix_clear_stale_socket(l->path, socket_type(mode), XIPC_EADDRINUSE);
  if (rc >= 0)
    rc = xipc__posix_unix_address(l->path, &addr);
  if (rc >= 0)
    rc = xipc__posix_socket(AF_UNIX, socket_type(mode), true, &l->fd);
  if (rc >= 0 && bind(l->fd, (struct sockaddr *)&addr, sizeof addr) != 0)
    rc = xipc__os_fail(errno);
  if (rc >= 0) {
    /* Exactly owner read/write whatever the umask, before anyone can be let in. */
    if (chmod(l->path, 0600) != 0 || lstat(l->path, &st) != 0 || listen(l->fd, SOMAXCONN) != 0) {
      rc = xipc__os_fail(errno);
      unlink(l->path);
    } else {
      l->dev = st.st_dev;
      l->ino = st.st_ino;
      *out = l;
      return 0;
    }
  }
  xipc__posix_close(l->fd);
  xipc__posix_close(l->lock_fd);
  free(l);
  return rc;
}

static xipc_stream_t *local_stream(int fd, bool messages) {
  xipc_stream_t *s = xipc__posix_stream_new(fd, XIPC__STREAM_SOCKET);
  if (s != NULL) {
    s->local = true;
    s->messages = messages;
  }
  return s;
}

int xipc__listener_accept(xipc_listener_t *l, xipc_stream_t **conn, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  int fd, rc;
  for (;;) {
    int left, ready;
#ifdef SOCK_CLOEXEC
    fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
#else
    fd = accept(l->fd, NULL, NULL);
    if (fd >= 0 && xipc__posix_set_cloexec(fd, true) < 0) {
      xipc__posix_close(fd);
      fd = -1;
    }
#endif
    if (fd >= 0 && xipc__posix_socket_setup(fd) < 0) {
      xipc__posix_close(fd);
      fd = -1;
    }
    if (fd >= 0)
      break;
    /* A client that gave up between its connect and this accept is no error. */
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
      return xipc__os_fail(errno);
    left = xipc__remaining_ms(deadline);
    if (left == 0)
      return xipc__timeout_error(timeout_ms);
    ready = xipc__posix_wait_fd(l->fd, POLLIN, left);
    if (ready < 0)
      return ready;
  }
  /* The connection is a plain blocking socket; the stream code keeps the timeouts. */
  if (l->tcp)
    return xipc__posix_tcp_stream(fd, conn);
  rc = xipc__posix_set_nonblocking(fd, false);
  if (rc == 0 && (*conn = local_stream(fd, l->messages)) == NULL)
    rc = xipc__fail(XIPC_ENOMEM);
  if (rc < 0)
    xipc__posix_close(fd);
  return rc;
}

int xipc__listener_close(xipc_listener_t *l) {
  struct stat st;
  /* Remove the socket file only if it is still the one this listener made. */
  if (!l->tcp && lstat(l->path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
    unlink(l->path);
  xipc__posix_close(l->fd);
  xipc__posix_close(l->lock_fd); /* releases the name */
  free(l);
  return 0;
}

int xipc__local_connect(xipc_stream_t **out, const char *name, xipc_local_mode_t mode,
                        int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  struct sockaddr_un addr;
  char dir[PATH_MAX];
  int backoff_ms = 1, fd, rc = xipc__posix_runtime_dir_verify(dir, sizeof dir);
  if (rc >= 0)
    rc = xipc_name_native(XIPC_KIND_LOCAL, name, path, sizeof path);
  if (rc >= 0)
    rc = xipc__posix_unix_address(path, &addr);
  if (rc >= 0)
    rc = xipc__posix_socket(AF_UNIX, socket_type(mode), true, &fd);
  if (rc < 0)
    return rc;
  while (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    int left;
    if (errno == EINTR)
      continue;
    if (errno == EPROTOTYPE) {
      rc = xipc__fail(XIPC_EPROTO); /* the listener speaks the other mode */
      break;
    }
    /* EAGAIN: the listener's backlog is full; nothing signals room, so look again shortly. */
    if (errno != EAGAIN && errno != EINPROGRESS) {
      rc = xipc__os_fail(errno);
      break;
    }
    left = xipc__remaining_ms(deadline);
    if (left == 0) {
      rc = xipc__timeout_error(timeout_ms);
      break;
    }
    xipc__sleep_ms(left > 0 && left < backoff_ms ? left : backoff_ms);
    if (backoff_ms < 10)
      backoff_ms *= 2;
  }
  if (rc >= 0 && xipc__posix_set_nonblocking(fd, false) < 0)
    rc = xipc__os_fail(errno);
  if (rc >= 0 && (*out = local_stream(fd, mode == XIPC_LOCAL_MESSAGES)) == NULL)
    rc = xipc__fail(XIPC_ENOMEM);
  if (rc < 0)
    xipc__posix_close(fd);
  return rc < 0 ? rc : 0;
}

int xipc__stream_send_msg(xipc_stream_t *stream, const void *buf, size_t len, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  for (;;) {
    /* One call, all of the message or none: SOCK_SEQPACKET sends are atomic. */
    ssize_t n = send(stream->fd, buf, len, MSG_NOSIGNAL | (timeout_ms < 0 ? 0 : MSG_DONTWAIT));
    int rc;
    if (n >= 0)
      return 0;
    if ((rc = xipc__posix_retry_when_ready(stream->fd, POLLOUT, errno, deadline, timeout_ms)) < 0)
      return rc;
  }
}

int xipc__stream_recv_msg(xipc_stream_t *stream, void *buf, size_t cap, int timeout_ms,
                          size_t *msg_size) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  /* A buffer for the largest message cannot be too small: no need to look first. */
  bool peek = cap < XIPC_LOCAL_MSG_MAX;
  int dontwait = timeout_ms < 0 ? 0 : MSG_DONTWAIT;
  for (;;) {
    ssize_t n = recv(stream->fd, buf, cap, MSG_TRUNC | dontwait | (peek ? MSG_PEEK : 0));
    int rc;
    if (n == 0) {
      /*
       * The end, or an empty record from a peer that is not xipc (xipc never
       * sends one): only the end hangs up. Take an empty record away and wait on.
       */
      struct pollfd p;
      char scrap;
      p.fd = stream->fd;
      p.events = POLLIN;
      p.revents = 0;
      if (poll(&p, 1, 0) < 0 || (p.revents & (POLLHUP | XIPC_POLLRDHUP)) != 0)
        return xipc__fail(XIPC_EOF);
      if (peek && recv(stream->fd, &scrap, 0, MSG_DONTWAIT) < 0 && errno != EAGAIN)
        return xipc__os_fail(errno);
      if (xipc__remaining_ms(deadline) == 0)
        return xipc__timeout_error(timeout_ms); /* (where a half-close shows no hang-up) */
      continue;
    }
    if (n > 0) {
      *msg_size = (size_t)n;
      if ((size_t)n > cap)
        /* Peeked: it stays first in line. (Without a peek, only a message from a peer that is
           not xipc, over XIPC_LOCAL_MSG_MAX, can get here, and it is lost.) */
        return xipc__fail(XIPC_EMSGSIZE);
      if (!peek)
        return (int)n;
      peek = false; /* it fits: now take it */
      continue;
    }
    if ((rc = xipc__posix_retry_when_ready(stream->fd, POLLIN, errno, deadline, timeout_ms)) < 0)
      return rc;
  }
}

int xipc__stream_peer(const xipc_stream_t *stream, xipc_peer_t *peer) {
  if (!stream->local)
    return xipc__fail(XIPC_ENOTSUP);
#if defined(XIPC_HAVE_SO_PEERCRED)
  {
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(stream->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
      return xipc__os_fail(errno);
    peer->pid = (int)cred.pid;
    peer->uid = (int64_t)cred.uid;
    return 0;
  }
#elif defined(XIPC_HAVE_GETPEEREID)
  {
    uid_t uid;
    gid_t gid;
    if (getpeereid(stream->fd, &uid, &gid) != 0)
      return xipc__os_fail(errno);
    peer->pid = -1; /* the BSDs tell the user, not the process */
    peer->uid = (int64_t)uid;
    return 0;
  }
#else
  (void)peer;
  return xipc__fail(XIPC_ENOTSUP);
#endif
}
