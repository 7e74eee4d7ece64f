/* SPDX-License-Identifier: MIT */
/*
 * FIFOs: one-way pipes with a name, which unrelated processes open
 * (`mkfifo myfifo; cat < myfifo`). The creator opens one end; others open
 * the other end by name.
 *
 * POSIX: mkfifo() with mode 0600 at <rundir>/fifo.<name> (docs/names.md);
 * it stays until xipc_fifo_unlink(). Windows: a named pipe of one direction,
 * \\.\pipe\xipc.fifo.<name>, with one instance: it exists while its
 * creator keeps its end open, and takes one peer at a time. docs/pipes.md
 * has the differences in full.
 */
#ifndef XIPC_FIFO_H
#define XIPC_FIFO_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which end of a FIFO a process holds. */
typedef enum xipc_fifo_dir {
  XIPC_FIFO_READ = 1, /* this end reads */
  XIPC_FIFO_WRITE = 2 /* this end writes */
} xipc_fifo_dir_t;

/*
 * Create FIFO `name` (exclusively: XIPC_EEXIST when it exists) and open
 * the creator's end in direction `dir`. Does not wait for a peer: reads
 * wait for data and writes wait for a reader, each within its own timeout.
 * `capacity` is a buffer-size hint as for xipc_pipe_create() (0: default).
 * Errors: XIPC_EINVAL (bad name or direction), XIPC_ENAMETOOLONG,
 * XIPC_EEXIST, XIPC_EACCES (POSIX: the runtime directory is not private to
 * this user).
 */
XIPC_EXTERN int xipc_fifo_create(xipc_stream_t **out, const char *name, xipc_fifo_dir_t dir,
                                 size_t capacity);

/*
 * Open the other end of FIFO `name`, in direction `dir`. A writer waits up
 * to timeout_ms for a reader to be there (POSIX); on Windows the open waits
 * while another peer holds the FIFO. Errors: XIPC_ENOENT (no such FIFO),
 * XIPC_EAGAIN / XIPC_ETIMEDOUT, XIPC_EACCES (Windows: `dir` is the
 * creator's own direction), XIPC_EINVAL.
 */
XIPC_EXTERN int xipc_fifo_open(xipc_stream_t **out, const char *name, xipc_fifo_dir_t dir,
                               int timeout_ms);

/*
 * Remove FIFO `name` from the file system (POSIX; open ends keep working).
 * XIPC_ENOENT when there is none. Windows: a no-op that returns 0, since the
 * FIFO disappears with its creator's end.
 */
XIPC_EXTERN int xipc_fifo_unlink(const char *name);

#ifdef __cplusplus
}
#endif

#endif
