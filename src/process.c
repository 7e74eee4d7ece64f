/* SPDX-License-Identifier: MIT */
/* Child processes: argument checks, then the backend (src/<os>/process.c). */
#include "internal.h"

#define SPAWN_KNOWN_FLAGS (XIPC_SPAWN_SEARCH_PATH | XIPC_SPAWN_GROUP)

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
    xipc_stdio_kind_t kind = opts->stdio[i].kind;
    if (kind != XIPC_STDIO_INHERIT && kind != XIPC_STDIO_NULL)
      return xipc__fail(XIPC_EINVAL);
  }
  return xipc__process_spawn(out, opts);
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
