/* SPDX-License-Identifier: MIT */
/*
 * Portable names of named objects.
 *
 * A portable name is 1 to XIPC_NAME_MAX characters from [A-Za-z0-9._-] that
 * neither starts nor ends with a dot (Windows drops a trailing dot from pipe
 * and mailslot names). The same rules hold on every system, and a name is
 * never truncated: a name that breaks them is refused with XIPC_EINVAL (bad
 * character, empty, leading or trailing dot) or XIPC_ENAMETOOLONG (too long).
 *
 * Each kind of object maps a portable name to a native name by a fixed
 * table (docs/names.md):
 *
 *   kind                        POSIX                          Windows
 *   shm, sem, mutex, mq,        /xipc.<kind>.<name>            Local\xipc.<kind>.<name>
 *   channel
 *   fifo                        <rundir>/fifo.<name>           \\.\pipe\xipc.fifo.<name>
 *   local                       <rundir>/local.<name>          \\.\pipe\xipc.local.<name>
 *   mailslot                    <rundir>/mailslot.<name>       \\.\mailslot\xipc.mailslot.<name>
 *
 * The kind is part of every native name, so a semaphore and a segment with
 * the same portable name never meet. Where a system limit is shorter than
 * the mapped name (xipc keeps shm and semaphore names to 30 bytes on macOS
 * and the BSDs; Unix socket paths are short everywhere), the name part is
 * replaced by ".<16 hex digits of the FNV-1a 64-bit hash of the portable
 * name>" (15 digits, the first ones, for macOS/BSD shm and semaphores).
 * That form can never clash with an unhashed name, because portable names
 * cannot start with a dot.
 *
 * Note: name case. Names are compared case-sensitively by POSIX and by the
 * Windows object manager, but Windows pipe and mailslot names, and file
 * names on macOS, ignore case. Do not give two objects names that differ
 * only in case.
 */
#ifndef XIPC_NAME_H
#define XIPC_NAME_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest portable name, in bytes, not counting the terminating NUL. */
#define XIPC_NAME_MAX 128

/* A buffer of this many bytes holds any native name xipc produces. */
#define XIPC_NATIVE_NAME_MAX 512

/* The kinds of named objects. */
typedef enum xipc_kind {
  XIPC_KIND_SHM = 1,  /* shared memory segment */
  XIPC_KIND_SEM,      /* counting semaphore */
  XIPC_KIND_MUTEX,    /* robust mutex */
  XIPC_KIND_MQ,       /* message queue */
  XIPC_KIND_FIFO,     /* one-way named pipe */
  XIPC_KIND_LOCAL,    /* local channel (Unix socket / named pipe) */
  XIPC_KIND_MAILSLOT, /* one-reader datagram box */
  XIPC_KIND_CHANNEL   /* xipc's shared-memory ring */
} xipc_kind_t;

/* Naming schemes that xipc_name_map() can compute on any system. */
typedef enum xipc_name_scheme {
  XIPC_SCHEME_HOST = 0, /* the scheme of the system xipc runs on */
  XIPC_SCHEME_LINUX,    /* Linux: 255-byte names */
  XIPC_SCHEME_BSD,      /* macOS and the BSDs: shm and semaphore names of 30 bytes at most */
  XIPC_SCHEME_WINDOWS   /* Windows */
} xipc_name_scheme_t;

/*
 * Check a portable name. Returns 0, XIPC_EINVAL (NULL, empty, leading or
 * trailing dot, a character outside [A-Za-z0-9._-]) or XIPC_ENAMETOOLONG.
 */
XIPC_EXTERN int xipc_name_validate(const char *name);

/*
 * The short lowercase word a kind uses in native names ("shm", "sem", ...),
 * or NULL for a value that is not a kind.
 */
XIPC_EXTERN const char *xipc_kind_name(xipc_kind_t kind);

/*
 * The native name of the object of this kind and portable name on this
 * system, as a NUL-terminated UTF-8 string in buf: the string given to
 * shm_open()/sem_open()/mq_open(), the path of a FIFO or socket, or the
 * Windows object, pipe or mailslot name. Programs that do not use xipc can
 * open the object with it.
 *
 * Returns the length (without the NUL), XIPC_EINVAL (bad kind or name, or
 * buf NULL), XIPC_ENAMETOOLONG, or XIPC_ENOBUFS when cap is too small
 * (XIPC_NATIVE_NAME_MAX is always enough). On POSIX the path kinds need the
 * runtime directory (see docs/names.md), which is only looked up, not
 * created.
 */
XIPC_EXTERN int xipc_name_native(xipc_kind_t kind, const char *name, char *buf, size_t cap);

/*
 * The name-dependent part of a native name under a given scheme, computed
 * the same way on every system: the whole native name for object kinds, the
 * file name inside the runtime directory for the POSIX path kinds (fifo,
 * local, mailslot). Returns as xipc_name_native().
 */
XIPC_EXTERN int xipc_name_map(xipc_name_scheme_t scheme, xipc_kind_t kind, const char *name,
                              char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
