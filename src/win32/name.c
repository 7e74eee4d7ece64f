/* SPDX-License-Identifier: MIT */
/* Native names on Windows: the mapped name is the whole native name. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

xipc_name_scheme_t xipc__name_host_scheme(void) {
  return XIPC_SCHEME_WINDOWS;
}

int xipc__name_native(xipc_kind_t kind, const char *mapped, char *buf, size_t cap) {
  (void)kind;
  return xipc__copy_string(buf, cap, mapped);
}

int xipc__win32_wide_names(xipc_kind_t kind, const char *name, const char *sidecar,
                           WCHAR **native_name, WCHAR **sidecar_name) {
  char native[XIPC_NATIVE_NAME_MAX], other[XIPC_NATIVE_NAME_MAX + 32];
  const char *tail;
  int rc = xipc_name_native(kind, name, native, sizeof native);
  if (rc < 0)
    return rc;
  if (sidecar_name != NULL) {
    /* "<prefix>xipc.<kind>.<name>" -> "Local\xipc.<sidecar>.<name>": kind words have no dot. */
    tail = strstr(native, "xipc.");
    tail = tail != NULL ? strchr(tail + sizeof "xipc." - 1, '.') : NULL;
    if (tail == NULL)
      return xipc__fail(XIPC_EINVAL);
    rc = snprintf(other, sizeof other, "Local\\xipc.%s%s", sidecar, tail);
    if (rc < 0 || (size_t)rc >= sizeof other)
      return xipc__fail(XIPC_ENAMETOOLONG);
  }
  rc = xipc__win32_to_wide(native, native_name);
  if (rc == 0 && sidecar_name != NULL && (rc = xipc__win32_to_wide(other, sidecar_name)) < 0)
    free(*native_name);
  return rc;
}
