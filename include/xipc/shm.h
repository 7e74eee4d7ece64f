/* SPDX-License-Identifier: MIT */
/*
 * Shared memory: the same pages mapped into several processes. One handle
 * type, xipc_shm_t, for every kind of mapping:
 *
 *   named segment   xipc_shm_create() / xipc_shm_open()   shm_open + mmap;
 *                                                          CreateFileMappingW + MapViewOfFile
 *   anonymous       xipc_shm_create_anonymous()            memfd_create (sealed against
 *                   handed to a child by token             resizing); an unnamed mapping
 *   mapped file     xipc_shm_map_file()                    open + mmap; CreateFileW +
 *                                                          CreateFileMappingW
 *
 * Memory another process can write is untrusted input: read what you need
 * from it once into a local, check it, then use it (docs/shm.md).
 */
#ifndef XIPC_SHM_H
#define XIPC_SHM_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xipc_shm_s xipc_shm_t;

/* Flags of the xipc_shm_* functions. */
enum {
  /* Map read-only: a write to the memory faults (open, map_file, from_token). */
  XIPC_SHM_READ_ONLY = 1u << 0,
  /*
   * `name` is an exact native name ("/name" for shm_open, "Local\\name" for
   * CreateFileMappingW), not a portable one: for sharing a segment with a
   * program that does not use xipc. xipc then checks nothing about the
   * name's form or the object's owner.
   */
  XIPC_SHM_NATIVE_NAME = 1u << 1,
  /* map_file: create the file if missing (mode 0600 / owner-only) and extend it to `size`. */
  XIPC_SHM_CREATE = 1u << 2
};

/*
 * Create named segment `name` of `size` bytes (> 0), zero-filled, mapped
 * read-write. Exclusive: XIPC_EEXIST when the name exists. Owner-only
 * (mode 0600 whatever the umask / a DACL for the creator and SYSTEM). Flags:
 * XIPC_SHM_NATIVE_NAME. Errors: XIPC_EINVAL, XIPC_ENAMETOOLONG, XIPC_EEXIST,
 * XIPC_ENOMEM, XIPC_ENOSPC.
 */
XIPC_EXTERN int xipc_shm_create(xipc_shm_t **out, const char *name, size_t size, unsigned flags);

/*
 * Open existing segment `name` and map all of it; xipc_shm_size() then gives
 * its size. Flags: XIPC_SHM_READ_ONLY, XIPC_SHM_NATIVE_NAME. Errors:
 * XIPC_ENOENT, XIPC_EACCES (owned by another user, or open to others; or no
 * permission), XIPC_EAGAIN (its creator is still setting it up).
 */
XIPC_EXTERN int xipc_shm_open(xipc_shm_t **out, const char *name, unsigned flags);

/*
 * Remove named segment `name` (POSIX shm_unlink; mappings stay valid and
 * the memory lives until the last one goes). XIPC_ENOENT when there is none.
 * Windows: a no-op returning 0: a segment vanishes with its last handle.
 * Flags: XIPC_SHM_NATIVE_NAME.
 */
XIPC_EXTERN int xipc_shm_unlink(const char *name, unsigned flags);

/*
 * A segment with no name, `size` bytes, zero-filled, for this process and
 * the children it is handed to (xipc_spawn_options_t.inherit_shm, then
 * xipc_shm_token() / xipc_shm_from_token()). It disappears with its last
 * mapping. Linux: a sealed memfd, which no one can shrink under a reader.
 */
XIPC_EXTERN int xipc_shm_create_anonymous(xipc_shm_t **out, size_t size);

/*
 * Map file `path` (UTF-8) shared: changes reach the file and every other
 * mapping of it. `size` 0 maps the whole existing file (which must not be
 * empty); otherwise that many bytes, and with XIPC_SHM_CREATE the file is
 * created if missing and extended (never shrunk) to `size`. Flags:
 * XIPC_SHM_READ_ONLY, XIPC_SHM_CREATE.
 */
XIPC_EXTERN int xipc_shm_map_file(xipc_shm_t **out, const char *path, size_t size, unsigned flags);

/* Write a mapped file's changes to the disk (msync; FlushViewOfFile + FlushFileBuffers). */
XIPC_EXTERN int xipc_shm_flush(xipc_shm_t *shm);

/* The mapping's address, or NULL for NULL. */
XIPC_EXTERN void *xipc_shm_addr(const xipc_shm_t *shm);

/* The mapping's size in bytes (the segment's or file's size), 0 for NULL. */
XIPC_EXTERN size_t xipc_shm_size(const xipc_shm_t *shm);

/* Unmap and release the handle (never removes a name). NULL is ignored. */
XIPC_EXTERN int xipc_shm_close(xipc_shm_t *shm);

/*
 * The token by which a child started with this segment in
 * xipc_spawn_options_t.inherit_shm finds it (pass it in argv or env).
 * Returns the length, XIPC_ENOBUFS, or XIPC_EINVAL.
 */
XIPC_EXTERN int xipc_shm_token(const xipc_shm_t *shm, char *buf, size_t cap);

/* In a child: map the segment the parent handed down. Flags: XIPC_SHM_READ_ONLY. */
XIPC_EXTERN int xipc_shm_from_token(xipc_shm_t **out, const char *token, unsigned flags);

#ifdef __cplusplus
}
#endif

#endif
