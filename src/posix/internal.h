/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the POSIX backend files (xipc__posix_*). CMake compiles
 * the library with _GNU_SOURCE / _DARWIN_C_SOURCE so that the POSIX and
 * system extensions used here are declared in strict C11 mode.
 */
#ifndef XIPC_POSIX_INTERNAL_H
#define XIPC_POSIX_INTERNAL_H

#include "../internal.h"

#include <errno.h>

/*
 * The runtime directory that holds xipc's FIFOs and sockets, without a
 * trailing slash: $XIPC_RUNTIME_DIR if set, else $XDG_RUNTIME_DIR/xipc, else
 * ${TMPDIR:-/tmp}/xipc-<uid>. Only computed here; whoever creates files in
 * it creates and verifies it. Returns the length or XIPC_ENOBUFS.
 */
int xipc__posix_runtime_dir(char *buf, size_t cap);

/* close() that keeps errno, for clean-up paths. */
void xipc__posix_close(int fd);

#endif
