/* SPDX-License-Identifier: MIT */
/*
 * Portable names: the validator and the mapping table of xipc/name.h. Pure
 * string work, the same on every system, so any scheme can be computed (and
 * tested) anywhere; backends only add what depends on the running system.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/*
 * Longest shm/semaphore name on macOS and the BSDs, with the slash: 30, since
 * macOS's sem_open() counts the terminating NUL against PSEMNAMLEN (31).
 */
#define BSD_OBJECT_NAME_MAX  30
/* Longest socket file name kept readable; longer ones are hashed (docs/names.md). */
#define SOCKET_FILE_NAME_MAX 40

static const char *const kind_names[] = {
    NULL, "shm", "sem", "mutex", "mq", "fifo", "local", "mailslot", "channel",
};

static bool is_name_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

int xipc_name_validate(const char *name) {
  size_t len = 0;
  if (name == NULL || name[0] == '\0' || name[0] == '.')
    return xipc__fail(XIPC_EINVAL);
  for (; name[len] != '\0'; len++) {
    if (!is_name_char((unsigned char)name[len]))
      return xipc__fail(XIPC_EINVAL);
  }
  /* Windows drops a path's trailing dots: "a." would be the pipe or mailslot "a" there. */
  if (name[len - 1] == '.')
    return xipc__fail(XIPC_EINVAL);
  return len > XIPC_NAME_MAX ? xipc__fail(XIPC_ENAMETOOLONG) : 0;
}

const char *xipc_kind_name(xipc_kind_t kind) {
  if ((int)kind < XIPC_KIND_SHM || (int)kind > XIPC_KIND_CHANNEL)
    return NULL;
  return kind_names[kind];
}

uint64_t xipc__fnv1a(uint64_t hash, const void *data, size_t len) {
  const unsigned char *p = data;
  size_t i;
  for (i = 0; i < len; i++)
    hash = (hash ^ p[i]) * UINT64_C(1099511628211);
  return hash;
}

/* FNV-1a, 64 bits: the documented, stable hash of over-long names. */
static uint64_t name_hash(const char *name) {
  return xipc__fnv1a(XIPC__FNV_INIT, name, strlen(name));
}

/* snprintf into buf, mapping truncation to XIPC_ENOBUFS. */
static int format_result(size_t cap, int n) {
  if (n < 0)
    return xipc__fail(XIPC_EINVAL);
  if ((size_t)n >= cap)
    return xipc__fail(XIPC_ENOBUFS);
  return n;
}

static int map_windows(const char *kind, xipc_kind_t k, const char *name, char *buf, size_t cap) {
  const char *prefix = "Local\\";
  if (k == XIPC_KIND_FIFO || k == XIPC_KIND_LOCAL)
    prefix = "\\\\.\\pipe\\";
  else if (k == XIPC_KIND_MAILSLOT)
    prefix = "\\\\.\\mailslot\\";
  return format_result(cap, snprintf(buf, cap, "%sxipc.%s.%s", prefix, kind, name));
}

/*
 * POSIX: object kinds live in the shm/sem/mq namespace as "/xipc.<kind>.<name>";
 * path kinds are files "<kind>.<name>" inside the runtime directory.
 */
static int map_posix(xipc_name_scheme_t scheme, const char *kind, xipc_kind_t k, const char *name,
                     char *buf, size_t cap) {
  bool is_path = k == XIPC_KIND_FIFO || k == XIPC_KIND_LOCAL || k == XIPC_KIND_MAILSLOT;
  bool is_socket = k == XIPC_KIND_LOCAL || k == XIPC_KIND_MAILSLOT;
  const char *lead = is_path ? "" : "/xipc.";
  size_t full = strlen(lead) + strlen(kind) + 1 + strlen(name);
  bool bsd_object = !is_path && scheme == XIPC_SCHEME_BSD;
  bool hashed =
      (is_socket && full > SOCKET_FILE_NAME_MAX) || (bsd_object && full > BSD_OBJECT_NAME_MAX);
  int n;
  if (hashed) {
    unsigned long long h = (unsigned long long)name_hash(name);
    /* BSD objects: the first 15 hex digits, so that "/xipc.channel..<hash>" fits in 30. */
    n = bsd_object ? snprintf(buf, cap, "%s%s..%015llx", lead, kind, h >> 4)
                   : snprintf(buf, cap, "%s%s..%016llx", lead, kind, h);
  } else {
    n = snprintf(buf, cap, "%s%s.%s", lead, kind, name);
  }
  return format_result(cap, n);
}

int xipc_name_map(xipc_name_scheme_t scheme, xipc_kind_t kind, const char *name, char *buf,
                  size_t cap) {
  const char *kind_word = xipc_kind_name(kind);
  int rc;
  if (kind_word == NULL || buf == NULL)
    return xipc__fail(XIPC_EINVAL);
  rc = xipc_name_validate(name);
  if (rc < 0)
    return rc;
  if (scheme == XIPC_SCHEME_HOST)
    scheme = xipc__name_host_scheme();
  switch (scheme) {
  case XIPC_SCHEME_WINDOWS:
    return map_windows(kind_word, kind, name, buf, cap);
  case XIPC_SCHEME_LINUX:
  case XIPC_SCHEME_BSD:
    return map_posix(scheme, kind_word, kind, name, buf, cap);
  default:
    return xipc__fail(XIPC_EINVAL);
  }
}

int xipc_name_native(xipc_kind_t kind, const char *name, char *buf, size_t cap) {
  char mapped[XIPC_NATIVE_NAME_MAX];
  int rc;
  if (buf == NULL)
    return xipc__fail(XIPC_EINVAL);
  rc = xipc_name_map(XIPC_SCHEME_HOST, kind, name, mapped, sizeof mapped);
  if (rc < 0)
    return rc;
  return xipc__name_native(kind, mapped, buf, cap);
}

int xipc__copy_string(char *buf, size_t cap, const char *src) {
  size_t len = strlen(src);
  if (len >= cap)
    return xipc__fail(XIPC_ENOBUFS);
  memcpy(buf, src, len + 1);
  return (int)len;
}
