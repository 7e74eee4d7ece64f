/* SPDX-License-Identifier: MIT */
/*
 * Anonymous pipes: a one-way byte stream created before a child is
 * started, each side keeping one end (the shell's `ls | lpr`).
 *
 * POSIX: pipe2(O_CLOEXEC); the ends xipc keeps are non-blocking, so every
 * read and write honours its timeout. Windows: anonymous pipes cannot time
 * out or be cancelled, so a pipe is a uniquely named, overlapped named pipe
 * pair (\\.\pipe\xipc.anon.<pid>.<n>) that rejects remote clients.
 */
#ifndef XIPC_PIPE_H
#define XIPC_PIPE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Writes of at most this many bytes to a pipe or FIFO are atomic on every
 * system: all-or-nothing, never interleaved with other writers' data.
 * (Linux guarantees 4096, POSIX and macOS 512.)
 */
#define XIPC_PIPE_ATOMIC 512

/* Flags of xipc_pipe_create(). */
enum {
  /*
   * The read end is for a child program, e.g. its stdin: it is made plain
   * (blocking on POSIX, synchronous on Windows) as programs that do not use
   * xipc expect. Without the flag both ends are xipc's own kind.
   */
  XIPC_PIPE_CHILD_READS = 1u << 0,
  /* The write end is for a child program, e.g. its stdout or stderr. */
  XIPC_PIPE_CHILD_WRITES = 1u << 1
};

/*
 * Create a pipe. *read_end and *write_end receive the two ends; both are
 * close-on-exec / non-inheritable until handed to a child by xipc_spawn().
 * `capacity` is a hint for the pipe's buffer in bytes (0: the system's
 * default): F_SETPIPE_SZ on Linux (up to /proc/sys/fs/pipe-max-size; a
 * larger pipe moves bulk data faster), the buffer sizes of the named pipe on
 * Windows; ignored where the system has no such control. Errors:
 * XIPC_EINVAL, XIPC_EMFILE, XIPC_ENOMEM.
 */
XIPC_EXTERN int xipc_pipe_create(xipc_stream_t **read_end, xipc_stream_t **write_end,
                                 unsigned flags, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif
