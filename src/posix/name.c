/* SPDX-License-Identifier: MIT */
/* Native names on POSIX: the runtime directory of the path kinds. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef PATH_MAX
#  define PATH_MAX 4096
#endif

xipc_name_scheme_t xipc__name_host_scheme(void) {
#ifdef XIPC_HAVE_LONG_SHM_NAMES
  return XIPC_SCHEME_LINUX;
#else
  return XIPC_SCHEME_BSD;
#endif
}

/* An environment variable that holds an absolute path, or NULL. */
static const char *absolute_env(const char *var) {
  const char *value = getenv(var);
  return value != NULL && value[0] == '/' ? value : NULL;
}

int xipc__posix_runtime_dir(char *buf, size_t cap) {
  const char *dir = absolute_env("XIPC_RUNTIME_DIR");
  int n;
  if (dir != NULL) {
    n = snprintf(buf, cap, "%s", dir);
  } else if ((dir = absolute_env("XDG_RUNTIME_DIR")) != NULL) {
    n = snprintf(buf, cap, "%s/xipc", dir);
  } else {
    dir = absolute_env("TMPDIR");
    n = snprintf(buf, cap, "%s/xipc-%lu", dir != NULL ? dir : "/tmp", (unsigned long)geteuid());
  }
  if (n < 0 || (size_t)n >= cap)
    return xipc__fail(XIPC_ENOBUFS);
  /* "/tmp/" and "/tmp" are the same directory; keep one spelling. */
  while (n > 1 && buf[n - 1] == '/')
    buf[--n] = '\0';
  return n;
}

int xipc__name_native(xipc_kind_t kind, const char *mapped, char *buf, size_t cap) {
  char path[PATH_MAX];
  size_t limit = sizeof path;
  int n;
  if (kind != XIPC_KIND_FIFO && kind != XIPC_KIND_LOCAL && kind != XIPC_KIND_MAILSLOT)
    return xipc__copy_string(buf, cap, mapped);
  n = xipc__posix_runtime_dir(path, sizeof path);
  if (n < 0)
    return xipc__fail(XIPC_ENAMETOOLONG);
  /* A socket path must fit in sun_path, NUL included; bind() would truncate it. */
  if (kind != XIPC_KIND_FIFO)
    limit = sizeof(((struct sockaddr_un *)0)->sun_path);
  if ((size_t)n + 1 + strlen(mapped) + 1 > limit)
    return xipc__fail(XIPC_ENAMETOOLONG);
  path[n] = '/';
  memcpy(path + n + 1, mapped, strlen(mapped) + 1);
  return xipc__copy_string(buf, cap, path);
}

int xipc__posix_sidecar_path(xipc_kind_t kind, const char *name, const char *sidecar, char *buf,
                             size_t cap) {
  char mapped[XIPC_NATIVE_NAME_MAX], dir[PATH_MAX];
  const char *dot;
  int n, rc = xipc_name_map(XIPC_SCHEME_HOST, kind, name, mapped, sizeof mapped);
  if (rc < 0)
    return rc;
  dot = strchr(mapped, '.'); /* "<kind>.<name or .hash>" */
  n = xipc__posix_runtime_dir(dir, sizeof dir);
  if (n < 0 || dot == NULL)
    return n < 0 ? n : xipc__fail(XIPC_EINVAL);
  n = snprintf(buf, cap, "%s/%s%s", dir, sidecar, dot);
  return n > 0 && (size_t)n < cap ? n : xipc__fail(XIPC_ENAMETOOLONG);
}
