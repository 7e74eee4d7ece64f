/* SPDX-License-Identifier: MIT */
/*
 * Shared memory on POSIX.
 *
 * Named segments: shm_open(O_CREAT | O_EXCL) with mode 0600 set by fchmod(),
 * so the umask cannot widen or narrow it, then ftruncate() and mmap(). An
 * opener checks the segment is this user's and private, and takes a size of
 * 0 for a creator still between shm_open() and ftruncate(): it looks again
 * for a moment and then answers XIPC_EAGAIN.
 *
 * Anonymous segments: a memfd, sealed against shrinking and growing, so a
 * peer cannot truncate it under a reader's feet (SIGBUS); elsewhere a
 * shm_open() segment unlinked at once. Children get the descriptor.
 */
#include "internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long an opener waits for a segment whose creator is still setting it up. */
#define SETUP_WAIT_MS 200

#define TOKEN_PREFIX "xipc-shm-fd:"

struct xipc_shm_s {
  void *addr;
  size_t size;
  int fd;
  bool is_file;
};

/* The name shm_open() gets: the portable name mapped, or the caller's native one. */
static int native_name(const char *name, unsigned flags, char *buf, size_t cap) {
  if (flags & XIPC_SHM_NATIVE_NAME)
    return xipc__copy_string(buf, cap, name);
  return xipc_name_native(XIPC_KIND_SHM, name, buf, cap);
}

/* Map `size` bytes of `fd` and wrap them; the handle owns fd from then on. */
static int map_fd(xipc_shm_t **out, int fd, size_t size, bool read_only, bool is_file) {
  xipc_shm_t *shm = calloc(1, sizeof *shm);
  void *addr;
  if (shm == NULL)
    return xipc__fail(XIPC_ENOMEM);
  addr = mmap(NULL, size, read_only ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) {
    int rc = xipc__os_fail(errno);
    free(shm);
    return rc;
  }
  shm->addr = addr;
  shm->size = size;
  shm->fd = fd;
  shm->is_file = is_file;
  *out = shm;
  return 0;
}

int xipc__shm_create(xipc_shm_t **out, const char *name, size_t size, unsigned flags) {
  char native[XIPC_NATIVE_NAME_MAX];
  int fd, rc = native_name(name, flags, native, sizeof native);
  if (rc < 0)
    return rc;
  if ((off_t)size < 0)
    return xipc__fail(XIPC_EINVAL);
  fd = shm_open(native, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return xipc__os_fail(errno);
  if (fchmod(fd, 0600) != 0 || ftruncate(fd, (off_t)size) != 0) {
    rc = xipc__os_fail(errno);
  } else {
    rc = map_fd(out, fd, size, false, false);
    if (rc == 0)
      return 0;
  }
  xipc__posix_close(fd);
  shm_unlink(native);
  return rc;
}

/* A named segment must be this user's and closed to others, unless opened by native name. */
static int check_private(const struct stat *st, unsigned flags) {
  if (flags & XIPC_SHM_NATIVE_NAME)
    return 0;
  if (st->st_uid != geteuid() || (st->st_mode & 0077) != 0)
    return xipc__fail(XIPC_EACCES);
  return 0;
}

int xipc__shm_open(xipc_shm_t **out, const char *name, unsigned flags) {
  char native[XIPC_NATIVE_NAME_MAX];
  bool read_only = (flags & XIPC_SHM_READ_ONLY) != 0;
  uint64_t deadline = xipc__deadline(SETUP_WAIT_MS);
  struct stat st;
  int fd, rc = native_name(name, flags, native, sizeof native);
  if (rc < 0)
    return rc;
  fd = shm_open(native, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC, 0);
  if (fd < 0)
    return xipc__os_fail(errno);
  for (;;) {
    if (fstat(fd, &st) != 0) {
      rc = xipc__os_fail(errno);
      break;
    }
    rc = check_private(&st, flags);
    if (rc < 0)
      break;
    if (st.st_size > 0) {
      if ((uint64_t)st.st_size > SIZE_MAX)
        rc = xipc__fail(XIPC_ENOMEM);
      else
        rc = map_fd(out, fd, (size_t)st.st_size, read_only, false);
      break;
    }
    /* Size 0: the creator has not sized it yet. */
    if (xipc__remaining_ms(deadline) == 0) {
      rc = xipc__fail(XIPC_EAGAIN);
      break;
    }
    xipc__sleep_ms(1);
  }
  if (rc < 0)
    xipc__posix_close(fd);
  return rc;
}

int xipc__shm_unlink(const char *name, unsigned flags) {
  char native[XIPC_NATIVE_NAME_MAX];
  int rc = native_name(name, flags, native, sizeof native);
  if (rc < 0)
    return rc;
  return shm_unlink(native) == 0 ? 0 : xipc__os_fail(errno);
}

/* An anonymous memory object: a sealed memfd, or an shm_open() object that is unlinked at once. */
static int anonymous_fd(size_t size, int *fd) {
#ifdef XIPC_HAVE_MEMFD_CREATE
  *fd = memfd_create("xipc-anonymous", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (*fd < 0)
    return xipc__os_fail(errno);
  if (ftruncate(*fd, (off_t)size) != 0 ||
      fcntl(*fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    int rc = xipc__os_fail(errno);
    xipc__posix_close(*fd);
    return rc;
  }
  return 0;
#else
  char name[64];
  static unsigned counter;
  int attempt, rc;
  for (attempt = 0; attempt < 16; attempt++) {
    /* Short: macOS allows 31 bytes (PSHMNAMLEN); at most 1 + 3 + 8 + 1 + 8 + 1 + 8 = 30 here. */
    snprintf(name, sizeof name, "/xa.%lx.%x.%x", (unsigned long)getpid() & 0xffffffffu, ++counter,
             (unsigned)(xipc__clock_ns() & 0xffffffffu));
    *fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (*fd >= 0 || errno != EEXIST)
      break;
  }
  if (*fd < 0)
    return xipc__os_fail(errno);
  shm_unlink(name);
  if (ftruncate(*fd, (off_t)size) != 0) {
    rc = xipc__os_fail(errno);
    xipc__posix_close(*fd);
    return rc;
  }
  return 0;
#endif
}

int xipc__shm_create_anonymous(xipc_shm_t **out, size_t size) {
  int fd, rc;
  if ((off_t)size < 0)
    return xipc__fail(XIPC_EINVAL);
  rc = anonymous_fd(size, &fd);
  if (rc < 0)
    return rc;
  rc = map_fd(out, fd, size, false, false);
  if (rc < 0)
    xipc__posix_close(fd);
  return rc;
}

int xipc__shm_map_file(xipc_shm_t **out, const char *path, size_t size, unsigned flags) {
  bool read_only = (flags & XIPC_SHM_READ_ONLY) != 0;
  int oflags = (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
  struct stat st;
  int fd, rc = 0;
  if (flags & XIPC_SHM_CREATE)
    oflags |= O_CREAT;
  do {
    fd = open(path, oflags, 0600);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return xipc__os_fail(errno);
  if (fstat(fd, &st) != 0)
    rc = xipc__os_fail(errno);
  else if (!S_ISREG(st.st_mode))
    rc = xipc__fail(XIPC_EINVAL);
  else if (size == 0 && (st.st_size == 0 || (uint64_t)st.st_size > SIZE_MAX))
    rc = xipc__fail(st.st_size == 0 ? XIPC_EINVAL : XIPC_ENOMEM); /* nothing to map */
  else if (size == 0)
    size = (size_t)st.st_size;
  else if ((uint64_t)st.st_size < (uint64_t)size && !(flags & XIPC_SHM_CREATE))
    rc = xipc__fail(XIPC_EINVAL); /* past the end of the file a mapping faults */
  else if ((uint64_t)st.st_size < (uint64_t)size && ftruncate(fd, (off_t)size) != 0)
    rc = xipc__os_fail(errno);
  if (rc == 0)
    rc = map_fd(out, fd, size, read_only, true);
  if (rc < 0)
    xipc__posix_close(fd);
  return rc;
}

int xipc__shm_flush(xipc_shm_t *shm) {
  if (msync(shm->addr, shm->size, MS_SYNC) != 0)
    return xipc__os_fail(errno);
  if (shm->is_file && fsync(shm->fd) != 0)
    return xipc__os_fail(errno);
  return 0;
}

void *xipc__shm_addr(const xipc_shm_t *shm) {
  return shm->addr;
}

size_t xipc__shm_size(const xipc_shm_t *shm) {
  return shm->size;
}

int xipc__shm_close(xipc_shm_t *shm) {
  int rc = 0;
  if (munmap(shm->addr, shm->size) != 0)
    rc = xipc__os_fail(errno);
  xipc__posix_close(shm->fd);
  free(shm);
  return rc;
}

int xipc__shm_token(const xipc_shm_t *shm, char *buf, size_t cap) {
  int n = snprintf(buf, cap, TOKEN_PREFIX "%d", shm->fd);
  return n > 0 && (size_t)n < cap ? n : xipc__fail(XIPC_ENOBUFS);
}

int xipc__shm_from_token(xipc_shm_t **out, const char *token, unsigned flags) {
  size_t plen = strlen(TOKEN_PREFIX);
  struct stat st;
  char *end;
  long fd;
  int rc;
  if (strncmp(token, TOKEN_PREFIX, plen) != 0 || token[plen] < '0' || token[plen] > '9')
    return xipc__fail(XIPC_EINVAL);
  errno = 0;
  fd = strtol(token + plen, &end, 10);
  if (*end != '\0' || errno != 0 || fd > 0x7fffffff)
    return xipc__fail(XIPC_EINVAL);
  if (fstat((int)fd, &st) != 0)
    return xipc__os_fail(errno);
  if (st.st_size <= 0 || (uint64_t)st.st_size > SIZE_MAX)
    return xipc__fail(XIPC_EINVAL);
  rc = xipc__posix_set_cloexec((int)fd, true);
  if (rc == 0)
    rc = map_fd(out, (int)fd, (size_t)st.st_size, (flags & XIPC_SHM_READ_ONLY) != 0, false);
  return rc;
}

/* The descriptor a child inherits for this segment (xipc_spawn). */
int xipc__posix_shm_fd(const xipc_shm_t *shm) {
  return shm->fd;
}
