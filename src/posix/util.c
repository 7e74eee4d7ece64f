/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the POSIX backend files. */
#include "internal.h"

#include <unistd.h>

void xipc__posix_close(int fd) {
  int saved = errno;
  if (fd >= 0)
    close(fd);
  errno = saved;
}
