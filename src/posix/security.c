/* SPDX-License-Identifier: MIT */
/*
 * The private runtime directory that holds FIFOs and sockets. Its
 * permissions are what keeps other users away from those files (some
 * systems ignore a socket file's own mode), so it is verified every time,
 * never trusted: a directory planted in /tmp by someone else is refused.
 */
#include "internal.h"

#include <sys/stat.h>
#include <unistd.h>

static int runtime_dir(char *buf, size_t cap, bool create) {
  struct stat st;
  int n = xipc__posix_runtime_dir(buf, cap);
  if (n < 0)
    return n;
  if (create) {
    /* mkdir's mode loses the umask's bits: a umask of 0100 would make it unusable. */
    if (mkdir(buf, 0700) == 0)
      chmod(buf, 0700);
    else if (errno != EEXIST)
      return xipc__os_fail(errno);
  }
  /* lstat: a symlink in place of the directory could point anywhere. */
  if (lstat(buf, &st) != 0)
    return xipc__os_fail(errno);
  if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077) != 0)
    return xipc__fail(XIPC_EACCES);
  return n;
}

int xipc__posix_runtime_dir_ensure(char *buf, size_t cap) {
  return runtime_dir(buf, cap, true);
}

int xipc__posix_runtime_dir_verify(char *buf, size_t cap) {
  return runtime_dir(buf, cap, false);
}
