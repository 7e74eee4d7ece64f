/* SPDX-License-Identifier: MIT */
/*
 * xipc: one C API for the classic ways processes talk to each other, on
 * POSIX and Windows. This umbrella header is the only one users include.
 *
 * Conventions of every call:
 *  - It returns an int: zero or a non-negative count on success, a negative
 *    XIPC_E* code on failure (xipc/error.h).
 *  - Objects are opaque handles created by the library and released by
 *    their close function.
 *  - A call that can wait takes `int timeout_ms`: -1 waits for ever, 0 never
 *    waits (XIPC_EAGAIN), > 0 waits at most that long by the monotonic
 *    clock (XIPC_ETIMEDOUT). Interrupted system calls are retried inside.
 *  - Every handle xipc creates is close-on-exec / not inheritable unless it
 *    is handed to a child explicitly.
 *  - Strings (names, paths, arguments) are UTF-8.
 */
#ifndef XIPC_H
#define XIPC_H

#include "xipc/common.h"
#include "xipc/version.h"
#include "xipc/error.h"
#include "xipc/clock.h"
#include "xipc/name.h"
#include "xipc/process.h"
#include "xipc/stream.h"
#include "xipc/pipe.h"
#include "xipc/fifo.h"
#include "xipc/shm.h"
#include "xipc/sync.h"
#include "xipc/local.h"
#include "xipc/socket.h"
#include "xipc/mq.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The version xipc was built as, XIPC_VERSION_HEX at its build. */
XIPC_EXTERN unsigned xipc_version(void);

/* The version xipc was built as, "MAJOR.MINOR.PATCH". */
XIPC_EXTERN const char *xipc_version_string(void);

#ifdef __cplusplus
}
#endif

#endif
