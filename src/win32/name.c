/* SPDX-License-Identifier: MIT */
/* Native names on Windows: the mapped name is the whole native name. */
#include "internal.h"

xipc_name_scheme_t xipc__name_host_scheme(void) {
  return XIPC_SCHEME_WINDOWS;
}

int xipc__name_native(xipc_kind_t kind, const char *mapped, char *buf, size_t cap) {
  (void)kind;
  return xipc__copy_string(buf, cap, mapped);
}
