/* SPDX-License-Identifier: MIT */
/*
 * The backend contract: what src/posix/ and src/win32/ each implement, and
 * the helpers the common code (the files directly in src/) shares with them.
 *
 * Division of work. A public function lives in src/<family>.c: it checks
 * its arguments (NULL pointers, sizes, names, timeouts, flags), returning
 * XIPC_EINVAL and friends through xipc__fail(), then calls the backend's
 * xipc__<family>_<op>(). A backend function may therefore assume validated
 * arguments: non-NULL where the public function requires it, names already
 * checked by xipc_name_validate(), timeouts >= -1. It reports a failing
 * system call through xipc__os_fail(), which records the raw code for
 * xipc_last_os_error() and translates it.
 *
 * No #ifdef on the operating system appears in common code; backends test
 * feature macros (XIPC_HAVE_*) that CMake defines, not OS names.
 */
#ifndef XIPC_INTERNAL_H
#define XIPC_INTERNAL_H

#include "xipc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Thread-local storage class: MSVC's C compiler does not accept _Thread_local. */
#if defined(_MSC_VER) && !defined(__clang__)
#  define XIPC_THREAD_LOCAL __declspec(thread)
#else
#  define XIPC_THREAD_LOCAL _Thread_local
#endif

#define XIPC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Errors (src/error.c) ------------------------------------------- */

/* Record `os_code` as the calling thread's last OS error. */
void xipc__set_os_error(int os_code);

/*
 * Return `err` for a failure that xipc found itself (no OS code: the last
 * OS error becomes 0). Use for every argument-check failure.
 */
int xipc__fail(int err);

/*
 * Record `os_code` (errno / GetLastError() / WSAGetLastError()) and return
 * its XIPC_E* translation. Never returns 0: a zero or unmapped code gives
 * XIPC_ESYSTEM, so a failure can never look like success.
 */
int xipc__os_fail(int os_code);

/*
 * Backend: translate an OS error code to XIPC_E* (0 for 0, XIPC_ESYSTEM for
 * codes with no portable meaning). Pure; implements xipc_err_from_os().
 * src/posix/error.c, src/win32/error.c.
 */
int xipc__translate_os_error(int os_code);

/* ---- Time (src/clock.c, backend clock.c) ----------------------------- */

/* Backend: the monotonic clock in nanoseconds. */
uint64_t xipc__clock_ns(void);

/* Backend: sleep `ms` > 0 milliseconds, resuming after interruptions. */
void xipc__sleep_ms(int ms);

/*
 * A deadline for a timeout: UINT64_MAX for -1 (never), now for 0, now plus
 * the timeout otherwise. Used with xipc__remaining_ms() to retry waits
 * interrupted by signals without stretching the caller's timeout.
 */
uint64_t xipc__deadline(int timeout_ms);

/*
 * Milliseconds left until `deadline`, rounded up so that a wait never ends
 * early: -1 for the never-deadline, 0 once it has passed.
 */
int xipc__remaining_ms(uint64_t deadline);

/* XIPC_EAGAIN for a zero timeout, XIPC_ETIMEDOUT otherwise. */
int xipc__timeout_error(int timeout_ms);

/* ---- Names (src/name.c, backend name.c) ----------------------------- */

/*
 * Backend: the naming scheme of this system (XIPC_SCHEME_LINUX, _BSD or
 * _WINDOWS), never XIPC_SCHEME_HOST.
 */
xipc_name_scheme_t xipc__name_host_scheme(void);

/*
 * Backend: turn `mapped`, the output of xipc_name_map() under the host
 * scheme, into the complete native name in buf (POSIX path kinds prepend
 * the runtime directory; everything else is copied). Returns the length,
 * XIPC_ENAMETOOLONG or XIPC_ENOBUFS. `kind` and `mapped` are valid.
 */
int xipc__name_native(xipc_kind_t kind, const char *mapped, char *buf, size_t cap);

/*
 * Copy the NUL-terminated `src` into buf. Returns its length, or
 * xipc__fail(XIPC_ENOBUFS) (buf untouched) when it does not fit.
 */
int xipc__copy_string(char *buf, size_t cap, const char *src);

/* ---- Processes (src/process.c, backend process.c) -------------------- */

/*
 * Backend: start the child described by `opts` (validated: argv[0] set,
 * stdio kinds and flags known) and store a new handle in *out.
 */
int xipc__process_spawn(xipc_process_t **out, const xipc_spawn_options_t *opts);

/* Backend: wait up to timeout_ms; fill *status (non-NULL) once it ended. */
int xipc__process_wait(xipc_process_t *proc, int timeout_ms, xipc_exit_t *status);

/* Backend: kill the child, or its group. A child that has ended is no error. */
int xipc__process_kill(xipc_process_t *proc);

/* Backend: the child's pid and native handle. */
int xipc__process_pid(const xipc_process_t *proc);
xipc_os_handle_t xipc__process_native(const xipc_process_t *proc);

/* Backend: release the handle (kill what is left of a group; reap if ended). */
void xipc__process_close(xipc_process_t *proc);

/* Backend: the caller's pid and executable path (as the public functions). */
int xipc__self_pid(void);
int xipc__self_exe(char *buf, size_t cap);

#endif
