/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the Windows backend files (xipc__win32_*). The backend
 * uses the W (UTF-16) API only; UTF-8 from the public API is converted here.
 * It must build with MSVC as well as mingw-w64: no GNU extensions, no VLAs,
 * Interlocked* rather than <stdatomic.h>.
 */
#ifndef XIPC_WIN32_INTERNAL_H
#define XIPC_WIN32_INTERNAL_H

#ifndef WIN32_LEAN_AND_MEAN
#  define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <windows.h>

#include "../internal.h"

/*
 * Convert NUL-terminated UTF-8 to a newly malloc'd UTF-16 string (free()).
 * Returns 0, XIPC_EINVAL for invalid UTF-8, or XIPC_ENOMEM.
 */
int xipc__win32_to_wide(const char *utf8, WCHAR **out);

/*
 * Convert NUL-terminated UTF-16 to UTF-8 in buf. Returns the length without
 * the NUL, or XIPC_ENOBUFS when it does not fit.
 */
int xipc__win32_to_utf8(const WCHAR *wide, char *buf, size_t cap);

/* xipc__os_fail(GetLastError()). */
int xipc__win32_fail(void);

#endif
