/* SPDX-License-Identifier: MIT */
/*
 * Errors. Every xipc call returns an int: zero or a non-negative count on
 * success, a negative XIPC_E* code on failure. The codes have the same
 * values on every system, so they can be compared, stored and sent to
 * another process. The operating system's own code of the failure that
 * produced an XIPC_E* value is kept per thread (xipc_last_os_error()).
 *
 * docs/errors.md has the table of codes and the OS codes mapped onto each.
 */
#ifndef XIPC_ERROR_H
#define XIPC_ERROR_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The one list of error codes: XX(name, number, description). It generates
 * the enum below, xipc_err_name() and xipc_strerror(). Numbers never change
 * once released; new codes are appended.
 */
#define XIPC_ERRNO_MAP(XX)                                               \
  XX(EINVAL, 1, "invalid argument")                                      \
  XX(ENOMEM, 2, "out of memory")                                         \
  XX(EAGAIN, 3, "operation would block")                                 \
  XX(ETIMEDOUT, 4, "timed out")                                          \
  XX(EPIPE, 5, "broken pipe: the other end is closed")                   \
  XX(EEXIST, 6, "the name already exists")                               \
  XX(ENOENT, 7, "no such object or file")                                \
  XX(EACCES, 8, "permission denied")                                     \
  XX(EPERM, 9, "operation not permitted")                                \
  XX(ENAMETOOLONG, 10, "name too long")                                  \
  XX(EMSGSIZE, 11, "message too long for the object or the buffer")      \
  XX(EBADF, 12, "bad or closed handle")                                  \
  XX(EBUSY, 13, "resource busy")                                         \
  XX(ENOTSUP, 14, "operation not supported on this system")              \
  XX(ECONNREFUSED, 15, "connection refused")                             \
  XX(ECONNRESET, 16, "connection reset by peer")                         \
  XX(ECONNABORTED, 17, "connection aborted")                             \
  XX(ENOTCONN, 18, "not connected")                                      \
  XX(EADDRINUSE, 19, "address already in use")                           \
  XX(EADDRNOTAVAIL, 20, "address not available")                         \
  XX(ENETUNREACH, 21, "network unreachable")                             \
  XX(EHOSTUNREACH, 22, "host unreachable")                               \
  XX(EOWNERDEAD, 23, "the previous owner died holding the lock")         \
  XX(ENOTRECOVERABLE, 24, "the lock is not recoverable")                 \
  XX(ENOSPC, 25, "no space left")                                        \
  XX(EIO, 26, "input/output error or corrupted shared data")             \
  XX(EMFILE, 27, "too many open handles")                                \
  XX(ESRCH, 28, "no such process")                                       \
  XX(ENOEXEC, 29, "not an executable program")                           \
  XX(ENOBUFS, 30, "buffer too small")                                    \
  XX(EPROTO, 31, "protocol error: the peer broke the object's protocol") \
  XX(EPEERDEAD, 32, "the peer process died")                             \
  XX(ECANCELED, 33, "operation canceled")                                \
  XX(EOF, 34, "end of stream before the requested amount")               \
  XX(EOVERFLOW, 35, "value too large: a count is at its maximum")        \
  XX(EDEADLK, 36, "the calling thread already holds the lock")           \
  XX(ESYSTEM, 99, "operating system error with no portable code (see xipc_last_os_error)")

/* The codes are offset so that they never look like a raw -errno value. */
#define XIPC_ERRNO_BASE 3000

typedef enum xipc_errno {
#define XIPC_ERRNO_ENUM_(name, num, text) XIPC_##name = -(XIPC_ERRNO_BASE + (num)),
  XIPC_ERRNO_MAP(XIPC_ERRNO_ENUM_)
#undef XIPC_ERRNO_ENUM_
      XIPC_OK = 0
} xipc_errno_t;

/*
 * The symbolic name of an error code, e.g. "XIPC_EINVAL"; "XIPC_OK" for 0
 * and "XIPC_EUNKNOWN" for a value that is not an xipc code. Never NULL,
 * never allocates, thread-safe.
 */
XIPC_EXTERN const char *xipc_err_name(int err);

/*
 * A short English description of an error code; "success" for 0 and
 * "unknown error" for a value that is not an xipc code. Never NULL, never
 * allocates, thread-safe, and leaves errno / GetLastError() untouched.
 */
XIPC_EXTERN const char *xipc_strerror(int err);

/*
 * The operating system's code behind the calling thread's last failed xipc
 * call: an errno value on POSIX, a GetLastError() or WSAGetLastError() value
 * on Windows. Zero when that failure was found by xipc itself (a bad
 * argument, a full buffer) rather than reported by the system. Only
 * meaningful right after a call failed; successful calls do not reset it.
 */
XIPC_EXTERN int xipc_last_os_error(void);

/*
 * Translate an operating-system error code (errno on POSIX; a GetLastError()
 * or WSAGetLastError() value on Windows) to an XIPC_E* code, the way xipc
 * does internally. Codes with no portable meaning give XIPC_ESYSTEM; 0 gives
 * 0. Useful after calling the system directly on a native handle.
 */
XIPC_EXTERN int xipc_err_from_os(int os_code);

#ifdef __cplusplus
}
#endif

#endif
