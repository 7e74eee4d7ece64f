/* SPDX-License-Identifier: MIT */
/*
 * Definitions every xipc header needs: the export macro and the native
 * handle type. No operating-system header is included here or anywhere in
 * the public headers.
 */
#ifndef XIPC_COMMON_H
#define XIPC_COMMON_H

#include <stddef.h>
#include <stdint.h>

/*
 * XIPC_EXTERN marks the public functions. CMake defines XIPC_BUILDING_SHARED
 * while it builds the shared library and gives XIPC_USING_SHARED to its
 * users; static builds and pkg-config users need neither.
 */
#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(XIPC_BUILDING_SHARED)
#    define XIPC_EXTERN __declspec(dllexport)
#  elif defined(XIPC_USING_SHARED)
#    define XIPC_EXTERN __declspec(dllimport)
#  else
#    define XIPC_EXTERN
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define XIPC_EXTERN __attribute__((visibility("default")))
#else
#  define XIPC_EXTERN
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A native handle: a file descriptor on POSIX, a HANDLE or a SOCKET on
 * Windows, widened to an integer so that this header needs no OS header.
 * Convert with a cast: (int)h on POSIX, (HANDLE)h or (SOCKET)h on Windows.
 */
typedef intptr_t xipc_os_handle_t;

/* The value of an xipc_os_handle_t that refers to nothing. */
#define XIPC_OS_HANDLE_INVALID ((xipc_os_handle_t)-1)

/* A byte stream: a pipe or FIFO end, a local or TCP connection (xipc/stream.h). */
typedef struct xipc_stream_s xipc_stream_t;

#ifdef __cplusplus
}
#endif

#endif
