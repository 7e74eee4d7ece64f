/* SPDX-License-Identifier: MIT */
/*
 * Child processes: start a program, wait for it with a timeout, kill it.
 *
 * POSIX: posix_spawn() with every descriptor except the requested ones
 * closed in the child (fork + exec where posix_spawn cannot close them).
 * Windows: CreateProcessW() with STARTUPINFOEXW and an explicit handle list
 * (PROC_THREAD_ATTRIBUTE_HANDLE_LIST), so the child inherits the handles it
 * was given and nothing else, whatever other code in the parent marked
 * inheritable.
 */
#ifndef XIPC_PROCESS_H
#define XIPC_PROCESS_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xipc_process_s xipc_process_t;

/* What a child's standard stream is connected to. */
typedef enum xipc_stdio_kind {
  XIPC_STDIO_INHERIT = 0, /* the parent's own stdin/stdout/stderr (the default) */
  XIPC_STDIO_NULL = 1,    /* the null device (/dev/null, NUL) */
  XIPC_STDIO_STREAM = 2   /* `stream`: a pipe end, a FIFO end, a connection */
} xipc_stdio_kind_t;

/*
 * Note: programs that do not use xipc expect plain standard streams. On
 * POSIX xipc makes a stream given as stdio blocking. On Windows it cannot
 * change a handle's mode, so give such a child pipe ends made with
 * XIPC_PIPE_CHILD_READS / XIPC_PIPE_CHILD_WRITES (synchronous handles).
 */
typedef struct xipc_stdio {
  xipc_stdio_kind_t kind;
  xipc_stream_t *stream; /* for XIPC_STDIO_STREAM; stays the parent's, to close */
} xipc_stdio_t;

/* Flags of xipc_spawn_options_t. */
enum {
  /*
   * Look `file` up in the PATH when it contains no directory separator
   * (posix_spawnp(); SearchPathW() with ".exe" appended when missing).
   */
  XIPC_SPAWN_SEARCH_PATH = 1u << 0,
  /*
   * The child and every process it starts form a group: xipc_process_kill()
   * kills the whole group and xipc_process_close() kills what is left of it.
   * POSIX: a new process group (setpgid). Windows: a job object with
   * JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, so the group also dies when the
   * parent dies; a POSIX group outlives a parent that dies without closing.
   */
  XIPC_SPAWN_GROUP = 1u << 1
};

/*
 * How to start a child. Zero-initialise it and set what you need: only
 * `argv` is required.
 */
typedef struct xipc_spawn_options {
  /* Program to run; NULL means argv[0]. A path, or a bare name with XIPC_SPAWN_SEARCH_PATH. */
  const char *file;
  /* Arguments, argv[0] first, NULL-terminated, UTF-8. argv[0] must not be NULL. */
  const char *const *argv;
  /*
   * The child's whole environment as "NAME=value" strings, NULL-terminated,
   * or NULL to inherit the parent's. Note: on Windows SYSTEMROOT is added
   * from the parent's environment when missing, since Windows programs
   * (Winsock in particular) fail without it.
   */
  const char *const *env;
  /* Working directory of the child, or NULL for the parent's. */
  const char *cwd;
  /* XIPC_SPAWN_* flags. */
  unsigned flags;
  /* stdin, stdout, stderr of the child; zero means inherited. */
  xipc_stdio_t stdio[3];
  /*
   * Further streams the child inherits, and nothing else. The child finds
   * each by its xipc_stream_token() (passed in argv or env) and
   * xipc_stream_from_token(). The parent keeps and closes its streams.
   * Note: on POSIX the child gets the same descriptor numbers, so a stream
   * on descriptor 0-2 cannot be listed here (XIPC_EINVAL).
   */
  xipc_stream_t *const *inherit;
  size_t inherit_count;
  /*
   * Shared memory segments the child inherits (anonymous ones, typically);
   * it maps each with xipc_shm_from_token(), given xipc_shm_token(). Same
   * rules as `inherit`.
   */
  struct xipc_shm_s *const *inherit_shm;
  size_t inherit_shm_count;
} xipc_spawn_options_t;

/*
 * How a child ended. `signal` is 0 when the child exited by itself and
 * `code` then holds its exit status (on Windows the full 32-bit exit code,
 * e.g. (int)0xC0000005 after an access violation). When it was killed,
 * `signal` is the signal number on POSIX (9 after xipc_process_kill()) and
 * `code` is -1; on Windows a child ended by xipc_process_kill() reports
 * signal 9 as well, so portable code can tell "killed" from "exited".
 */
typedef struct xipc_exit {
  int code;
  int signal;
} xipc_exit_t;

/*
 * Start a child process. On success *out holds a handle that must be given
 * to xipc_process_close(). Errors: XIPC_EINVAL (NULL argument, no argv[0];
 * on Windows an argv[0] containing '"', which cannot be quoted), XIPC_ENOENT
 * (program or cwd not found), XIPC_EACCES (not permitted to run it),
 * XIPC_ENOEXEC (not an executable format), XIPC_ENOMEM, XIPC_EMFILE.
 */
XIPC_EXTERN int xipc_spawn(xipc_process_t **out, const xipc_spawn_options_t *opts);

/*
 * Wait for the child to end, at most timeout_ms (-1: for ever; 0: do not
 * wait). Returns 0 and fills *status (which may be NULL) once it has ended;
 * XIPC_EAGAIN (timeout 0) or XIPC_ETIMEDOUT while it still runs. Waiting
 * again after it ended returns the same status.
 */
XIPC_EXTERN int xipc_process_wait(xipc_process_t *proc, int timeout_ms, xipc_exit_t *status);

/*
 * Kill the child at once (SIGKILL; TerminateProcess()), and its whole group
 * when started with XIPC_SPAWN_GROUP. Killing a child that already ended is
 * not an error. Call xipc_process_wait() afterwards to collect it.
 */
XIPC_EXTERN int xipc_process_kill(xipc_process_t *proc);

/* The child's process id. */
XIPC_EXTERN int xipc_process_pid(const xipc_process_t *proc);

/* The child's native handle: its pid on POSIX, its process HANDLE on Windows. */
XIPC_EXTERN xipc_os_handle_t xipc_process_native(const xipc_process_t *proc);

/*
 * Release the handle. The child keeps running unless it was started with
 * XIPC_SPAWN_GROUP. A child that ended is reaped; on POSIX a child still
 * running when its handle is closed is not reaped by xipc.
 */
XIPC_EXTERN void xipc_process_close(xipc_process_t *proc);

/*
 * popen, both ways: start a child whose stdin and/or stdout are pipes to the
 * parent. `to_stdin` (may be NULL: stdin as in opts) receives the stream that
 * writes to the child's stdin; `from_stdout` (may be NULL) the stream that
 * reads its stdout. The child's ends are plain pipe ends; the parent's are
 * xipc streams with timeouts. Other options as for xipc_spawn(). XIPC_EINVAL
 * when to_stdin and from_stdout are the same pointer.
 */
XIPC_EXTERN int xipc_spawn_piped(xipc_process_t **out, const xipc_spawn_options_t *opts,
                                 xipc_stream_t **to_stdin, xipc_stream_t **from_stdout);

/* The calling process's id. */
XIPC_EXTERN int xipc_self_pid(void);

/*
 * The absolute path of the running executable, UTF-8, NUL-terminated, so a
 * program can start copies of itself. Returns the length, XIPC_ENOBUFS when
 * cap is too small, or XIPC_ENOTSUP where the system cannot tell.
 */
XIPC_EXTERN int xipc_self_exe(char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
