/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the Windows backend files. */
#include "internal.h"

#include <limits.h>
#include <stdlib.h>

int xipc__win32_to_wide(const char *utf8, WCHAR **out) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, NULL, 0);
  WCHAR *wide;
  *out = NULL;
  if (n <= 0)
    return xipc__win32_fail();
  wide = malloc((size_t)n * sizeof(WCHAR));
  if (wide == NULL)
    return xipc__fail(XIPC_ENOMEM);
  if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, wide, n) != n) {
    int rc = xipc__win32_fail();
    free(wide);
    return rc;
  }
  *out = wide;
  return 0;
}

int xipc__win32_to_utf8(const WCHAR *wide, char *buf, size_t cap) {
  int n;
  if (cap > INT_MAX)
    cap = INT_MAX;
  n = WideCharToMultiByte(CP_UTF8, 0, wide, -1, buf, (int)cap, NULL, NULL);
  if (n <= 0)
    return GetLastError() == ERROR_INSUFFICIENT_BUFFER ? xipc__fail(XIPC_ENOBUFS)
                                                       : xipc__win32_fail();
  return n - 1;
}

int xipc__win32_fail(void) {
  return xipc__os_fail((int)GetLastError());
}

DWORD xipc__win32_wait_until(HANDLE object, uint64_t deadline) {
  for (;;) {
    int left = xipc__remaining_ms(deadline);
    DWORD w = WaitForSingleObject(object, left < 0 ? INFINITE : (DWORD)left);
    /* A wait may end a timer tick early: time out only once the time has really passed. */
    if (w != WAIT_TIMEOUT || left == 0 || xipc__remaining_ms(deadline) == 0)
      return w;
  }
}
