/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the POSIX backend files (xipc__posix_*). CMake compiles
 * the library with _GNU_SOURCE / _DARWIN_C_SOURCE so that the POSIX and
 * system extensions used here are declared in strict C11 mode.
 */
#ifndef XIPC_POSIX_INTERNAL_H
#define XIPC_POSIX_INTERNAL_H

#include "../internal.h"

#include <errno.h>
#include <sys/types.h>
#include <sys/un.h>

/*
 * The runtime directory that holds xipc's FIFOs and sockets, without a
 * trailing slash: $XIPC_RUNTIME_DIR if set, else $XDG_RUNTIME_DIR/xipc, else
 * ${TMPDIR:-/tmp}/xipc-<uid>. Only computed here; whoever creates files in
 * it creates and verifies it. Returns the length or XIPC_ENOBUFS.
 */
int xipc__posix_runtime_dir(char *buf, size_t cap);

/* close() that keeps errno, for clean-up paths. */
void xipc__posix_close(int fd);

/* Set or clear O_NONBLOCK / FD_CLOEXEC. Return 0 or an XIPC_E* code. */
int xipc__posix_set_nonblocking(int fd, bool on);
int xipc__posix_set_cloexec(int fd, bool on);

/*
 * What every socket xipc makes or accepts gets beyond close-on-exec:
 * SO_NOSIGPIPE where the system has it (BSD, macOS), so that no send raises
 * SIGPIPE there either (Linux sends with MSG_NOSIGNAL instead).
 */
int xipc__posix_socket_setup(int fd);
/* A close-on-exec socket of `family` and `type`, set up as above. Returns 0 or an XIPC_E* code. */
int xipc__posix_socket(int family, int type, bool nonblocking, int *fd);

struct sockaddr_un;
/* The address of socket file `path`: XIPC_ENAMETOOLONG when it does not fit sun_path. */
int xipc__posix_unix_address(const char *path, struct sockaddr_un *addr);

/*
 * Clear socket file `path` for bind(): 0 when nothing is there, or when it is
 * our own socket whose owner died (a probe connection of `type` is refused;
 * the file is removed). `in_use` (an XIPC_E* code) for a live socket, a
 * socket of another user or anything that is not a socket.
 */
int xipc__posix_clear_stale_socket(const char *path, int type, int in_use);

/*
 * The runtime directory, created with mode 0700 if missing and verified:
 * a real directory (not a symlink), owned by this user, with no access for
 * group or others; XIPC_EACCES otherwise. The path goes to buf.
 */
int xipc__posix_runtime_dir_ensure(char *buf, size_t cap);
/* The same check for users of an existing directory, which is never created (XIPC_ENOENT). */
int xipc__posix_runtime_dir_verify(char *buf, size_t cap);

/* A pipe whose two ends are close-on-exec from the start where the system can (pipe2). */
int xipc__posix_pipe_cloexec(int fds[2]);

/* The descriptor of a shared memory handle, which xipc_spawn hands to a child. */
int xipc__posix_shm_fd(const xipc_shm_t *shm);

/*
 * An absolute deadline on `clock_id` for a wait of the time left until
 * `deadline` (xipc__deadline()), for the timed waits of POSIX that take one.
 */
struct timespec;
void xipc__posix_abs_timeout(uint64_t deadline, int clock_id, struct timespec *out);

/*
 * The path of a file that belongs beside a local endpoint: the endpoint's
 * own file name with its kind word replaced, "<rundir>/<sidecar>.<name>"
 * (kind words have no dot, so no portable name can reach it). Returns the
 * length or an XIPC_E* code.
 */
int xipc__posix_sidecar_path(xipc_kind_t kind, const char *name, const char *sidecar, char *buf,
                             size_t cap);

/*
 * Open (creating it, mode 0600 whatever the umask) the sidecar lock file
 * `path` and take its exclusive flock(), which marks the name's owner while
 * it lives; `busy` (an XIPC_E* code) when a live owner holds it. A shared
 * lock held for a moment by a process that only looks (a mailslot writer
 * probing for its reader) is waited out. 0 with *fd set, or an error.
 */
int xipc__posix_take_name_lock(const char *path, int busy, int *fd);

/*
 * Wait until `fd` is ready for `events` or `timeout_ms` passes. Returns the
 * revents (> 0), 0 on timeout or interruption, or an XIPC_E* code.
 */
int xipc__posix_wait_fd(int fd, short events, int timeout_ms);

/*
 * Wait for `events` until `deadline` (xipc__deadline(timeout_ms)), across
 * signals; polls once even when no time is left. Returns the revents (> 0),
 * or an XIPC_E* code: the timeout error once the time is up, XIPC_EBADF.
 */
int xipc__posix_wait_until(int fd, short events, uint64_t deadline, int timeout_ms);

/*
 * After a non-blocking call on `fd` failed with `err`: 0 when the call should
 * be made again (interrupted, or would have blocked and `fd` became ready for
 * `events` in time), else the XIPC_E* code to return (the OS error, or the
 * timeout error when no time is left).
 */
int xipc__posix_retry_when_ready(int fd, short events, int err, uint64_t deadline, int timeout_ms);

/* ---- Streams ---------------------------------------------------------- */

/* What a stream's descriptor is; it decides how reads wait and how writes avoid SIGPIPE. */
typedef enum xipc__stream_kind {
  XIPC__STREAM_PIPE,   /* anonymous pipe end made by xipc */
  XIPC__STREAM_FIFO,   /* FIFO end, or a pipe of unknown origin */
  XIPC__STREAM_SOCKET, /* a socket */
  XIPC__STREAM_OTHER   /* anything else (tty, file) */
} xipc__stream_kind_t;

struct xipc_stream_s {
  int fd; /* -1 while a FIFO writer waits for its first reader */
  xipc__stream_kind_t kind;
  bool nonblocking; /* O_NONBLOCK as last set or seen; I/O copes with either */
  bool local;       /* a local connection (AF_UNIX): has a peer */
  bool messages;    /* SOCK_SEQPACKET: whole messages only */
  bool tcp;         /* a TCP connection */
  char *fifo_path;  /* FIFO writer end not open yet: opened by the first write */
};

/* ---- Listeners: local (local.c) and TCP (tcp.c) ----------------------- */

struct xipc_listener_s {
  int fd;
  bool tcp;
  /* Local listeners only: */
  int lock_fd; /* the name's lock file, held while listening; -1 for TCP */
  bool messages;
  dev_t dev; /* the socket file this listener made, removed on close if still there */
  ino_t ino;
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* A TCP connection's stream for connected socket `fd` (owned, also on failure): blocking,
 * TCP_NODELAY. */
int xipc__posix_tcp_stream(int fd, xipc_stream_t **out);

/* A new stream for `fd` (which it then owns); reads the O_NONBLOCK state. NULL: no memory. */
xipc_stream_t *xipc__posix_stream_new(int fd, xipc__stream_kind_t kind);

/*
 * Open a FIFO for writing, waiting until `deadline` (xipc__deadline()) for a
 * reader: POSIX refuses a non-blocking writer while no reader is there.
 */
int xipc__posix_fifo_open_writer(const char *path, uint64_t deadline, int timeout_ms, int *fd);

#endif
