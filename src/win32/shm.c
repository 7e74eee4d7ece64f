/* SPDX-License-Identifier: MIT */
/*
 * Shared memory on Windows: file mappings.
 *
 * Named segments are pagefile-backed sections, Local\xipc.shm.<name>, with
 * an owner-only DACL. CreateFileMappingW() opens an existing section instead
 * of failing, so create checks ERROR_ALREADY_EXISTS and gives the handle
 * back (XIPC_EEXIST). A section only knows its size rounded up to a page,
 * so xipc makes its sections a little larger and keeps the exact size in a
 * 16-byte trailer at the very end ("XIPCSIZE" + the size), which an opener
 * reads, checks (it came from another process) and honours; the creator
 * writes the size first and then the magic, and an opener of a portable name
 * waits (up to SETUP_WAIT_MS) for the magic. A section made by another
 * program (opened by native name) has no trailer: its opener gets the
 * page-rounded size.
 * An opener refuses a section another user owns.
 * A section lives while any handle or view of it remains: unlink is a no-op.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_PREFIX  "xipc-shm-handle:"
/* How long an opener waits for a creator to write the exact size (as on POSIX). */
#define SETUP_WAIT_MS 500

struct xipc_shm_s {
  void *addr;
  size_t size;
  HANDLE mapping;
  HANDLE file; /* mapped files only */
  bool read_only;
};

/* The trailer at the end of an xipc section: magic, then the segment's exact size. */
#define TRAILER_SIZE 16
static const char trailer_magic[8] = {'X', 'I', 'P', 'C', 'S', 'I', 'Z', 'E'};

static size_t page_size(void) {
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  return info.dwPageSize;
}

/* Bytes of a section holding `size` user bytes and the trailer, whole pages. */
static size_t section_bytes(size_t size) {
  size_t page = page_size();
  return (size + TRAILER_SIZE + page - 1) / page * page;
}

/* The magic as one 64-bit word: it is published with one atomic store, after the size. */
static LONG64 magic_word(void) {
  LONG64 word;
  memcpy(&word, trailer_magic, sizeof word);
  return word;
}

static void write_trailer(void *view, size_t view_size, size_t size) {
  uint64_t size64 = (uint64_t)size;
  char *end = (char *)view + view_size - TRAILER_SIZE; /* 8-byte aligned: pages end there */
  memcpy(end + sizeof trailer_magic, &size64, sizeof size64);
  /* The size is there before an opener can see the magic (a full barrier). */
  InterlockedExchange64((volatile LONG64 *)(void *)end, magic_word());
}

/*
 * The exact size from the trailer of a whole-section view; 0 when there is
 * no trailer (yet).
 */
static size_t read_trailer(const void *view, size_t view_size) {
  const char *end = (const char *)view + view_size - TRAILER_SIZE;
  uint64_t size64;
  LONG64 magic;
  if (view_size < TRAILER_SIZE)
    return 0;
  magic = *(volatile const LONG64 *)(const void *)end;
  MemoryBarrier(); /* the size is read after the magic */
  if (magic != magic_word())
    return 0;
  /* Written by another process: used only if it fits the section. */
  memcpy(&size64, end + sizeof trailer_magic, sizeof size64);
  return size64 > 0 && size64 <= view_size - TRAILER_SIZE ? (size_t)size64 : 0;
}

/* The wide name of a segment: the portable name mapped, or the caller's native one. */
static int wide_name(const char *name, unsigned flags, WCHAR **out) {
  char native[XIPC_NATIVE_NAME_MAX];
  int rc = 0;
  if (flags & XIPC_SHM_NATIVE_NAME)
    rc = xipc__copy_string(native, sizeof native, name);
  else
    rc = xipc_name_native(XIPC_KIND_SHM, name, native, sizeof native);
  return rc < 0 ? rc : xipc__win32_to_wide(native, out);
}

/*
 * Map `size` bytes (0: the whole section, whose size the trailer tells: with
 * `wait`, an xipc section's creator is waited for until it has written it,
 * else a section without one is taken in whole pages) and wrap them; the
 * handle owns mapping and file.
 */
static int map_view(xipc_shm_t **out, HANDLE mapping, HANDLE file, size_t size, bool read_only,
                    bool wait) {
  xipc_shm_t *shm = calloc(1, sizeof *shm);
  MEMORY_BASIC_INFORMATION info;
  void *addr;
  if (shm == NULL)
    return xipc__fail(XIPC_ENOMEM);
  addr = MapViewOfFile(mapping, read_only ? FILE_MAP_READ : FILE_MAP_READ | FILE_MAP_WRITE, 0, 0,
                       size);
  if (addr == NULL) {
    int rc = xipc__win32_fail();
    free(shm);
    return rc;
  }
  if (size == 0) {
    uint64_t deadline = xipc__deadline(SETUP_WAIT_MS);
    if (VirtualQuery(addr, &info, sizeof info) == 0) {
      int rc = xipc__win32_fail();
      UnmapViewOfFile(addr);
      free(shm);
      return rc;
    }
    while ((size = read_trailer(addr, info.RegionSize)) == 0 && wait) {
      if (xipc__remaining_ms(deadline) == 0) {
        UnmapViewOfFile(addr);
        free(shm);
        return xipc__fail(XIPC_EAGAIN); /* its creator has not finished making it */
      }
      xipc__sleep_ms(1);
    }
    if (size == 0)
      size = info.RegionSize; /* made by another program: whole pages */
  }
  shm->addr = addr;
  shm->size = size;
  shm->read_only = read_only;
  shm->mapping = mapping;
  shm->file = file;
  *out = shm;
  return 0;
}

int xipc__shm_create(xipc_shm_t **out, const char *name, size_t size, unsigned flags) {
  SECURITY_ATTRIBUTES sa;
  size_t bytes = section_bytes(size);
  uint64_t size64 = (uint64_t)bytes;
  HANDLE mapping;
  WCHAR *wname;
  DWORD err;
  int rc = bytes > size ? wide_name(name, flags, &wname) : xipc__fail(XIPC_ENOMEM);
  if (rc < 0)
    return rc;
  rc = xipc__win32_owner_only_sa(&sa);
  if (rc < 0) {
    free(wname);
    return rc;
  }
  mapping = CreateFileMappingW(INVALID_HANDLE_VALUE, &sa, PAGE_READWRITE, (DWORD)(size64 >> 32),
                               (DWORD)size64, wname);
  err = GetLastError();
  xipc__win32_free_sa(&sa);
  free(wname);
  if (mapping == NULL)
    return xipc__os_fail((int)err);
  if (err == ERROR_ALREADY_EXISTS) {
    /* Create is exclusive: someone else's section is not joined. */
    CloseHandle(mapping);
    return xipc__os_fail((int)err);
  }
  rc = map_view(out, mapping, NULL, bytes, false, false);
  if (rc < 0) {
    CloseHandle(mapping);
    return rc;
  }
  write_trailer((*out)->addr, bytes, size);
  (*out)->size = size;
  return 0;
}

int xipc__shm_open(xipc_shm_t **out, const char *name, unsigned flags) {
  bool read_only = (flags & XIPC_SHM_READ_ONLY) != 0;
  DWORD access = READ_CONTROL | FILE_MAP_READ | (read_only ? 0 : FILE_MAP_WRITE);
  HANDLE mapping;
  WCHAR *wname;
  int rc = wide_name(name, flags, &wname);
  if (rc < 0)
    return rc;
  mapping = OpenFileMappingW(access, FALSE, wname);
  free(wname);
  if (mapping == NULL)
    return xipc__win32_fail();
  /* Local\ is shared by every process of the session: refuse another user's section. */
  if (!(flags & XIPC_SHM_NATIVE_NAME) && (rc = xipc__win32_check_owner(mapping)) < 0) {
    CloseHandle(mapping);
    return rc;
  }
  rc = map_view(out, mapping, NULL, 0, read_only, !(flags & XIPC_SHM_NATIVE_NAME));
  if (rc < 0)
    CloseHandle(mapping);
  return rc;
}

int xipc__shm_unlink(const char *name, unsigned flags) {
  (void)name;
  (void)flags;
  return 0; /* a section vanishes with its last handle */
}

int xipc__shm_create_anonymous(xipc_shm_t **out, size_t size) {
  uint64_t size64 = (uint64_t)size;
  HANDLE mapping = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE,
                                      (DWORD)(size64 >> 32), (DWORD)size64, NULL);
  int rc;
  if (mapping == NULL)
    return xipc__win32_fail();
  rc = map_view(out, mapping, NULL, size, false, false);
  if (rc < 0)
    CloseHandle(mapping);
  return rc;
}

/* Open or create the file and bring it to `size` (0: its own size). */
static int open_file(const char *path, size_t *size, unsigned flags, HANDLE *out) {
  bool read_only = (flags & XIPC_SHM_READ_ONLY) != 0, create = (flags & XIPC_SHM_CREATE) != 0;
  SECURITY_ATTRIBUTES sa, *psa = NULL;
  LARGE_INTEGER current, wanted;
  WCHAR *wpath;
  HANDLE file;
  int rc = xipc__win32_to_wide(path, &wpath);
  if (rc < 0)
    return rc;
  if (create) {
    rc = xipc__win32_owner_only_sa(&sa);
    if (rc < 0) {
      free(wpath);
      return rc;
    }
    psa = &sa;
  }
  file = CreateFileW(wpath, GENERIC_READ | (read_only ? 0 : GENERIC_WRITE),
                     FILE_SHARE_READ | FILE_SHARE_WRITE, psa, create ? OPEN_ALWAYS : OPEN_EXISTING,
                     FILE_ATTRIBUTE_NORMAL, NULL);
  rc = file == INVALID_HANDLE_VALUE ? xipc__win32_fail() : 0;
  if (psa != NULL)
    xipc__win32_free_sa(psa);
  free(wpath);
  if (rc < 0)
    return rc;
  if (!GetFileSizeEx(file, &current))
    rc = xipc__win32_fail();
  else if (*size == 0 && (current.QuadPart == 0 || (uint64_t)current.QuadPart > SIZE_MAX))
    rc = xipc__fail(current.QuadPart == 0 ? XIPC_EINVAL : XIPC_ENOMEM); /* nothing to map */
  else if (*size == 0)
    *size = (size_t)current.QuadPart;
  else if ((uint64_t)current.QuadPart < (uint64_t)*size && !create)
    rc = xipc__fail(XIPC_EINVAL); /* past the end of the file a mapping cannot reach */
  else if ((uint64_t)current.QuadPart < (uint64_t)*size) {
    wanted.QuadPart = (LONGLONG)*size;
    if (!SetFilePointerEx(file, wanted, NULL, FILE_BEGIN) || !SetEndOfFile(file))
      rc = xipc__win32_fail();
  }
  if (rc < 0) {
    CloseHandle(file);
    return rc;
  }
  *out = file;
  return 0;
}

int xipc__shm_map_file(xipc_shm_t **out, const char *path, size_t size, unsigned flags) {
  bool read_only = (flags & XIPC_SHM_READ_ONLY) != 0;
  HANDLE file, mapping;
  int rc = open_file(path, &size, flags, &file);
  if (rc < 0)
    return rc;
  /* Sized 0, 0: the section is as large as the file, which is at least `size` now. */
  mapping = CreateFileMappingW(file, NULL, read_only ? PAGE_READONLY : PAGE_READWRITE, 0, 0, NULL);
  if (mapping == NULL) {
    rc = xipc__win32_fail();
    CloseHandle(file);
    return rc;
  }
  rc = map_view(out, mapping, file, size, read_only, false);
  if (rc < 0) {
    CloseHandle(mapping);
    CloseHandle(file);
  }
  return rc;
}

int xipc__shm_flush(xipc_shm_t *shm) {
  /* Nothing to write back from a read-only view (and FlushFileBuffers needs write access). */
  if (shm->read_only)
    return 0;
  if (!FlushViewOfFile(shm->addr, shm->size))
    return xipc__win32_fail();
  if (shm->file != NULL && !FlushFileBuffers(shm->file))
    return xipc__win32_fail();
  return 0;
}

void *xipc__shm_addr(const xipc_shm_t *shm) {
  return shm->addr;
}

size_t xipc__shm_size(const xipc_shm_t *shm) {
  return shm->size;
}

int xipc__shm_close(xipc_shm_t *shm) {
  int rc = UnmapViewOfFile(shm->addr) ? 0 : xipc__win32_fail();
  CloseHandle(shm->mapping);
  if (shm->file != NULL)
    CloseHandle(shm->file);
  free(shm);
  return rc;
}

int xipc__shm_token(const xipc_shm_t *shm, char *buf, size_t cap) {
  int n = snprintf(buf, cap, TOKEN_PREFIX "%llu:%llu", (unsigned long long)(uintptr_t)shm->mapping,
                   (unsigned long long)shm->size);
  return n > 0 && (size_t)n < cap ? n : xipc__fail(XIPC_ENOBUFS);
}

int xipc__shm_from_token(xipc_shm_t **out, const char *token, unsigned flags) {
  size_t plen = strlen(TOKEN_PREFIX);
  unsigned long long value, size;
  HANDLE mapping;
  DWORD info;
  char extra;
  if (strncmp(token, TOKEN_PREFIX, plen) != 0 || token[plen] < '0' || token[plen] > '9' ||
      sscanf(token + plen, "%llu:%llu%c", &value, &size, &extra) != 2 || size == 0 ||
      size > SIZE_MAX)
    return xipc__fail(XIPC_EINVAL);
  mapping = (HANDLE)(uintptr_t)value;
  if (!GetHandleInformation(mapping, &info))
    return xipc__win32_fail();
  SetHandleInformation(mapping, HANDLE_FLAG_INHERIT, 0);
  return map_view(out, mapping, NULL, (size_t)size, (flags & XIPC_SHM_READ_ONLY) != 0, false);
}

/* The section handle a child inherits for this segment (xipc_spawn). */
HANDLE xipc__win32_shm_handle(const xipc_shm_t *shm) {
  return shm->mapping;
}
