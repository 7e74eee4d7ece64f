/* SPDX-License-Identifier: MIT */
/*
 * Byte streams: the one handle type of every stream-like object (pipe and
 * FIFO ends today; local and TCP connections use it too), so code written
 * against streams works over any of them.
 *
 * Timeouts (timeout_ms): -1 waits for ever, 0 never waits (XIPC_EAGAIN),
 * > 0 waits at most that long (XIPC_ETIMEDOUT). A timeout loses nothing:
 * bytes that arrived are returned, and a write reports how much went.
 *
 * A stream is used by one thread at a time. Writing to a stream whose
 * readers are all gone returns XIPC_EPIPE; it never raises SIGPIPE and never
 * changes the process's signal dispositions.
 */
#ifndef XIPC_STREAM_H
#define XIPC_STREAM_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Read up to len bytes. Returns the number read (at least 1, at most what
 * was available when data arrived; never more than INT_MAX), 0 at end of
 * stream (every writer has closed), or an error: XIPC_EINVAL (NULL, len 0),
 * XIPC_EAGAIN / XIPC_ETIMEDOUT (nothing arrived in time).
 */
XIPC_EXTERN int xipc_stream_read(xipc_stream_t *stream, void *buf, size_t len, int timeout_ms);

/*
 * Write up to len bytes. Returns the number written (at least 1; possibly
 * fewer than len: a partial write) or an error: XIPC_EINVAL, XIPC_EPIPE
 * (no reader left), XIPC_EAGAIN / XIPC_ETIMEDOUT (nothing could be written
 * in time). Note: on a pipe or FIFO a write of at most XIPC_PIPE_ATOMIC
 * bytes is all-or-nothing and is never interleaved with other writers'.
 */
XIPC_EXTERN int xipc_stream_write(xipc_stream_t *stream, const void *buf, size_t len,
                                  int timeout_ms);

/*
 * Read exactly len bytes, waiting at most timeout_ms in all. Returns 0 once
 * all arrived; XIPC_EOF when the stream ended first; XIPC_EAGAIN /
 * XIPC_ETIMEDOUT when time ran out. *done (may be NULL) is always set to
 * the number of bytes stored in buf, so nothing is lost on failure.
 */
XIPC_EXTERN int xipc_stream_read_exact(xipc_stream_t *stream, void *buf, size_t len, int timeout_ms,
                                       size_t *done);

/*
 * Write all len bytes, waiting at most timeout_ms in all. Returns 0 once all
 * went, or the error that stopped it; *done (may be NULL) is always set to
 * the number of bytes written.
 */
XIPC_EXTERN int xipc_stream_write_all(xipc_stream_t *stream, const void *buf, size_t len,
                                      int timeout_ms, size_t *done);

/*
 * Close the stream and free it (always, even when an error is returned).
 * The pointer must not be used afterwards. NULL is ignored.
 */
XIPC_EXTERN int xipc_stream_close(xipc_stream_t *stream);

/*
 * The stream's native handle (a file descriptor; a HANDLE on Windows), still
 * owned by the stream. XIPC_OS_HANDLE_INVALID for NULL or for a FIFO end
 * whose open is still waiting for its peer.
 */
XIPC_EXTERN xipc_os_handle_t xipc_stream_native(const xipc_stream_t *stream);

/*
 * A short string by which a child process started with this stream in
 * xipc_spawn_options_t.inherit finds it: pass it on the child's command
 * line or in its environment and call xipc_stream_from_token() there.
 * "xipc-fd:<n>" on POSIX (the child has the same descriptor number),
 * "xipc-handle:<value>:<o|s>..." on Windows (the same handle value; o for an
 * overlapped handle; docs/pipes.md). Returns the length, XIPC_ENOBUFS,
 * XIPC_EINVAL, or XIPC_ENOTSUP for a TCP connection on Windows, which is not
 * handed on by inheritance (docs/sockets.md). A buffer of XIPC_TOKEN_MAX
 * bytes is always enough.
 */
XIPC_EXTERN int xipc_stream_token(const xipc_stream_t *stream, char *buf, size_t cap);

#define XIPC_TOKEN_MAX 64

/*
 * In a child: take over the stream that the parent handed down and named
 * by `token`. The handle is made close-on-exec / non-inheritable again, so
 * it does not leak further. Errors: XIPC_EINVAL (not a token of this
 * system), XIPC_EBADF (no such handle in this process).
 */
XIPC_EXTERN int xipc_stream_from_token(xipc_stream_t **out, const char *token);

/* Flags of xipc_stream_from_native(). */
enum {
  /* Windows: the handle was opened with FILE_FLAG_OVERLAPPED (ignored on POSIX). */
  XIPC_NATIVE_OVERLAPPED = 1u << 0
};

/*
 * Wrap a native pipe, FIFO or socket handle that the caller owns in a
 * stream; the stream owns it from then on. XIPC_EINVAL for
 * XIPC_OS_HANDLE_INVALID or unknown flags, XIPC_EBADF for a handle that is
 * not open.
 */
XIPC_EXTERN int xipc_stream_from_native(xipc_stream_t **out, xipc_os_handle_t handle,
                                        unsigned flags);

/*
 * Opt in to faster pipe and FIFO writes (POSIX): set SIGPIPE to SIG_IGN for
 * the whole process, so a write to a broken pipe anywhere in it fails with
 * EPIPE instead of killing it, and let xipc skip the two signal-mask calls
 * it otherwise wraps around every pipe or FIFO write (about 10% of a 64-byte
 * round trip on a VM; docs/pipes.md). Do not set SIGPIPE back to SIG_DFL
 * afterwards. Without this call xipc never changes the disposition.
 * Windows has no SIGPIPE: returns 0 and does nothing.
 */
XIPC_EXTERN int xipc_ignore_sigpipe(void);

#ifdef __cplusplus
}
#endif

#endif
