/* SPDX-License-Identifier: MIT */
/*
 * xipc.h compiles on its own, pulls in no OS header (no Windows or POSIX
 * type is visible here), and every public macro expands to something usable.
 */
#include "xipc.h"

#if defined(_WINDOWS_) || defined(_WINSOCK2API_) || defined(_UNISTD_H) || defined(_PTHREAD_H)
#  error "xipc.h must not include operating-system headers"
#endif

int xipc_header_check_macros(void);

int xipc_header_check_macros(void) {
  const char *s = XIPC_VERSION_STRING;
  unsigned v = XIPC_VERSION_HEX;
  xipc_os_handle_t h = XIPC_OS_HANDLE_INVALID;
  char name[XIPC_NATIVE_NAME_MAX + XIPC_NAME_MAX];
  return (int)(s[0] + (int)v + (int)h + (int)sizeof name + XIPC_ERRNO_BASE + XIPC_EINVAL +
               XIPC_SPAWN_SEARCH_PATH + XIPC_SPAWN_GROUP + XIPC_STDIO_NULL + XIPC_KIND_CHANNEL +
               XIPC_SCHEME_WINDOWS + XIPC_VERSION_MAJOR + XIPC_VERSION_MINOR + XIPC_VERSION_PATCH);
}
