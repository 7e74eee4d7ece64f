/* SPDX-License-Identifier: MIT */
/* Child processes: argument checks, then the backend (src/<os>/process.c). */
#include "internal.h"

#include <string.h>

#define SPAWN_KNOWN_FLAGS (XIPC_SPAWN_SEARCH_PATH | XIPC_SPAWN_GROUP)

static bool valid_stdio(const xipc_stdio_t *stdio) {
  switch (stdio->kind) {
  case XIPC_STDIO_INHERIT:
  case XIPC_STDIO_NULL:
    return true;
  case XIPC_STDIO_STREAM:
    return stdio->stream != NULL;
  default:
    return false;
  }
}

/* The i-th inherited object, streams first, then segments. */
static const void *inherited(const xipc_spawn_options_t *opts, size_t i) {
  if (i < opts->inherit_count)
    return opts->inherit[i];
  return opts->inherit_shm[i - opts->inherit_count];
}

/* Every inherited object is given, and given once (Windows refuses repeats in a handle list). */
static bool valid_inherit_list(const xipc_spawn_options_t *opts) {
  size_t total = opts->inherit_count + opts->inherit_shm_count, i, j;
  if (total < opts->inherit_count) /* the sum overflowed: no list is that long */
    return false;
  if ((opts->inherit_count > 0 && opts->inherit == NULL) ||
      (opts->inherit_shm_count > 0 && opts->inherit_shm == NULL))
    return false;
  for (i = 0; i < total; i++) {
    if (inherited(opts, i) == NULL)
      return false;
    for (j = 0; j < i; j++) {
      if (inherited(opts, i) == inherited(opts, j))
        return false;
    }
  }
  return true;
}

/* Every entry is "NAME=value" with a non-empty NAME (Windows' hidden "=C:=C:\\" has one too). */
static bool valid_env(const char *const *env) {
  for (; env != NULL && *env != NULL; env++) {
    if ((*env)[0] == '\0' || strchr(*env + 1, '=') == NULL)
      return false;
  }
  return true;
}

int xipc_spawn(xipc_process_t **out, const xipc_spawn_options_t *opts) {
  size_t i;
  if (out == NULL)
    return xipc__fail(XIPC_EINVAL);
  *out = NULL;
  if (opts == NULL || opts->argv == NULL || opts->argv[0] == NULL)
    return xipc__fail(XIPC_EINVAL);
  if ((opts->flags & ~(unsigned)SPAWN_KNOWN_FLAGS) != 0)
    return xipc__fail(XIPC_EINVAL);
  if (opts->file != NULL && opts->file[0] == '\0')
    return xipc__fail(XIPC_EINVAL);
  for (i = 0; i < XIPC_ARRAY_SIZE(opts->stdio); i++) {
    if (!valid_stdio(&opts->stdio[i]))
      return xipc__fail(XIPC_EINVAL);
  }
  if (!valid_inherit_list(opts) || !valid_env(opts->env))
    return xipc__fail(XIPC_EINVAL);
  return xipc__process_spawn(out, opts);
}

/* A pipe whose `child_end` (0 read, 1 write) goes to the child's standard stream `fd`. */
static int pipe_for_stdio(xipc_spawn_options_t *opts, int fd, int child_end,
                          xipc_stream_t **parent_end) {
  xipc_stream_t *ends[2];
  int rc = xipc_pipe_create(&ends[0], &ends[1],
                            child_end == 0 ? XIPC_PIPE_CHILD_READS : XIPC_PIPE_CHILD_WRITES, 0);
  if (rc < 0)
    return rc;
  opts->stdio[fd].kind = XIPC_STDIO_STREAM;
  opts->stdio[fd].stream = ends[child_end];
  *parent_end = ends[1 - child_end];
  return 0;
}

int xipc_spawn_piped(xipc_process_t **out, const xipc_spawn_options_t *opts,
                     xipc_stream_t **to_stdin, xipc_stream_t **from_stdout) {
  xipc_spawn_options_t piped;
  xipc_stream_t *in = NULL, *outp = NULL;
  int rc = 0;
  if (to_stdin != NULL)
    *to_stdin = NULL;
  if (from_stdout != NULL)
    *from_stdout = NULL;
  /* One stream pointer for both ends would lose the first pipe end made. */
  if (out == NULL || opts == NULL || (to_stdin != NULL && (void *)to_stdin == (void *)from_stdout))
    return xipc__fail(XIPC_EINVAL);
  *out = NULL;
  piped = *opts;
  if (to_stdin != NULL)
    rc = pipe_for_stdio(&piped, 0, 0, &in);
  if (rc == 0 && from_stdout != NULL)
    rc = pipe_for_stdio(&piped, 1, 1, &outp);
  if (rc == 0)
    rc = xipc_spawn(out, &piped);
  /* The child has its ends now (or never will): the parent closes its copies. */
  if (to_stdin != NULL && piped.stdio[0].stream != opts->stdio[0].stream)
    xipc_stream_close(piped.stdio[0].stream);
  if (from_stdout != NULL && piped.stdio[1].stream != opts->stdio[1].stream)
    xipc_stream_close(piped.stdio[1].stream);
  if (rc < 0) {
    xipc_stream_close(in);
    xipc_stream_close(outp);
    return rc;
  }
  if (to_stdin != NULL)
    *to_stdin = in;
  if (from_stdout != NULL)
    *from_stdout = outp;
  return 0;
}

int xipc_process_wait(xipc_process_t *proc, int timeout_ms, xipc_exit_t *status) {
  xipc_exit_t ignored;
  if (proc == NULL || timeout_ms < -1)
    return xipc__fail(XIPC_EINVAL);
  return xipc__process_wait(proc, timeout_ms, status != NULL ? status : &ignored);
}

int xipc_process_kill(xipc_process_t *proc) {
  if (proc == NULL)
    return xipc__fail(XIPC_EINVAL);
  return xipc__process_kill(proc);
}

int xipc_process_pid(const xipc_process_t *proc) {
  if (proc == NULL)
    return xipc__fail(XIPC_EINVAL);
  return xipc__process_pid(proc);
}

xipc_os_handle_t xipc_process_native(const xipc_process_t *proc) {
  if (proc == NULL)
    return XIPC_OS_HANDLE_INVALID;
  return xipc__process_native(proc);
}

void xipc_process_close(xipc_process_t *proc) {
  if (proc != NULL)
    xipc__process_close(proc);
}

int xipc_self_pid(void) {
  return xipc__self_pid();
}

int xipc_self_exe(char *buf, size_t cap) {
  if (buf == NULL || cap == 0)
    return xipc__fail(XIPC_EINVAL);
  return xipc__self_exe(buf, cap);
}
