/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the Windows backend files (xipc__win32_*). The backend
 * uses the W (UTF-16) API only; UTF-8 from the public API is converted here.
 * It must build with MSVC as well as mingw-w64: no GNU extensions, no VLAs,
 * Interlocked* rather than <stdatomic.h>.
 */
#ifndef XIPC_WIN32_INTERNAL_H
#define XIPC_WIN32_INTERNAL_H

#ifndef WIN32_LEAN_AND_MEAN
#  define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <windows.h>

#include "../internal.h"

/*
 * Convert NUL-terminated UTF-8 to a newly malloc'd UTF-16 string (free()).
 * Returns 0, XIPC_EINVAL for invalid UTF-8, or XIPC_ENOMEM.
 */
int xipc__win32_to_wide(const char *utf8, WCHAR **out);

/*
 * Convert NUL-terminated UTF-16 to UTF-8 in buf. Returns the length without
 * the NUL, or XIPC_ENOBUFS when it does not fit.
 */
int xipc__win32_to_utf8(const WCHAR *wide, char *buf, size_t cap);

/*
 * The native name of object `name` of `kind` in UTF-16 (free()), and, when
 * sidecar_name is not NULL, the name of a companion object of the same name
 * under kind word `sidecar`: "Local\xipc.<sidecar>.<name>" (kind words have
 * no dot, so no portable name reaches it). Returns 0 or an XIPC_E* code.
 */
int xipc__win32_wide_names(xipc_kind_t kind, const char *name, const char *sidecar,
                           WCHAR **native_name, WCHAR **sidecar_name);

/* xipc__os_fail(GetLastError()). */
int xipc__win32_fail(void);

/*
 * WaitForSingleObject() until `deadline` (xipc__deadline()): WAIT_OBJECT_0,
 * WAIT_ABANDONED, WAIT_FAILED, or WAIT_TIMEOUT once the deadline has passed.
 */
DWORD xipc__win32_wait_until(HANDLE object, uint64_t deadline);

/*
 * Security attributes that give the current user and SYSTEM full access and
 * nobody else any (an explicit DACL: a pipe's default DACL lets Everyone
 * read). Not inheritable. Release with xipc__win32_free_sa().
 */
int xipc__win32_owner_only_sa(SECURITY_ATTRIBUTES *sa);
void xipc__win32_free_sa(SECURITY_ATTRIBUTES *sa);

/*
 * 0 when the current user owns `object` (opened with READ_CONTROL), else
 * XIPC_EACCES: a named object that someone else created first under our name.
 */
int xipc__win32_check_owner(HANDLE object);

/*
 * Take the result of creating a named helper object that sits beside an
 * xipc object (a state section, a marker event): `*h` as the Create*W call
 * returned it, `err` its GetLastError(). 0 when it was made, or when it
 * existed and is this user's (kept a moment by a closing handle of an
 * earlier one); else the error, and *h is closed and NULL: another user's
 * object is never joined.
 */
int xipc__win32_take_helper_object(HANDLE *h, DWORD err);

/* The section handle of a shared memory handle, which xipc_spawn hands to a child. */
HANDLE xipc__win32_shm_handle(const xipc_shm_t *shm);

/* ---- Streams ---------------------------------------------------------- */

typedef enum xipc__stream_kind {
  XIPC__STREAM_PIPE,   /* a named or anonymous pipe handle */
  XIPC__STREAM_SOCKET, /* a TCP connection: `handle` is its SOCKET (tcp.c does its I/O) */
  XIPC__STREAM_OTHER   /* anything else (console, file) */
} xipc__stream_kind_t;

struct xipc_stream_s {
  HANDLE handle;
  HANDLE event; /* manual-reset event for overlapped I/O; NULL for a synchronous handle */
  xipc__stream_kind_t kind;
  bool quota_known;     /* the system reports this pipe's free space (not Wine 8) */
  bool fifo_server;     /* FIFO creator: takes a new peer after the last one left */
  bool pending_connect; /* FIFO creator: has no peer yet */
  bool connecting;      /* FIFO creator: ConnectNamedPipe() in progress on connect_ov */
  OVERLAPPED connect_ov;
  HANDLE alive; /* FIFO creator: the named marker that the FIFO's creator lives (fifo.c) */
  bool local;   /* a local connection: has a peer (server: this end is a pipe server) */
  bool server;
  bool messages; /* message mode: whole messages only */
  bool tcp;      /* a TCP connection */
  char *msg_buf; /* message mode: a message received but too large for the caller, kept */
  DWORD msg_len;
  bool msg_kept;
};

/* ---- Listeners: local (local.c) and TCP (tcp.c) ----------------------- */

struct xipc_listener_s {
  bool tcp;
  SOCKET sock; /* TCP: the listening socket */
  /* Local listeners: */
  WCHAR *name;
  HANDLE pending; /* the instance waiting for a client */
  HANDLE event;
  HANDLE lock; /* Local\xipc.local-lock.<name>: held while the listener lives */
  OVERLAPPED ov;
  bool waiting; /* ConnectNamedPipe() in progress on `pending` */
  bool messages;
};

/* ---- Sockets (net.c, tcp.c, udp.c) ------------------------------------- */

/*
 * Winsock for one socket (or one lookup): WSAStartup() counts references,
 * so each socket takes one when made and gives it back when closed.
 */
int xipc__win32_net_start(void);
void xipc__win32_net_stop(void);

/* xipc__os_fail(WSAGetLastError()). */
int xipc__win32_socket_fail(void);

/*
 * A socket of `family` (AF_INET, AF_INET6) and `type` that no child
 * inherits, non-blocking (xipc waits with select()), with its Winsock
 * reference taken. Close with xipc__win32_socket_close().
 */
int xipc__win32_socket(int family, int type, SOCKET *out);
/*
 * Take socket `s` made elsewhere (accept(), a caller's socket) into xipc's
 * care: a Winsock reference, not inherited, non-blocking. 0 or an error
 * (then `s` is left as it was, apart from those flags).
 */
int xipc__win32_socket_adopt(SOCKET s);
void xipc__win32_socket_close(SOCKET s);

/* What xipc__win32_socket_wait() waits for. */
typedef enum xipc__win32_ready {
  XIPC__WIN32_READABLE,
  XIPC__WIN32_WRITABLE,
  XIPC__WIN32_CONNECTED /* writable, or a failed connect */
} xipc__win32_ready_t;
/*
 * Wait until `s` is ready for `what` or `deadline` passes. 0 when ready,
 * else the timeout error. (Only a connect looks at select()'s failure set:
 * out-of-band data marks it too, and would wake a read or write for ever.)
 */
int xipc__win32_socket_wait(SOCKET s, xipc__win32_ready_t what, uint64_t deadline, int timeout_ms);

/*
 * xipc_stream_from_native() of a socket: *is_socket false when `s` is no
 * socket (nothing done); else a stream for connected TCP socket `s`, or
 * XIPC_EINVAL for a socket that is not a stream socket.
 */
int xipc__win32_tcp_from_native(xipc_stream_t **out, SOCKET s, bool *is_socket);

/* A TCP connection's I/O and close (the stream functions dispatch here for XIPC__STREAM_SOCKET). */
int xipc__win32_tcp_read(xipc_stream_t *stream, void *buf, int len, int timeout_ms);
int xipc__win32_tcp_write(xipc_stream_t *stream, const void *buf, int len, int timeout_ms);
int xipc__win32_tcp_close(xipc_stream_t *stream);

/* The TCP side of a listener (local.c dispatches here when l->tcp). */
int xipc__win32_tcp_accept(xipc_listener_t *l, xipc_stream_t **conn, int timeout_ms);
void xipc__win32_tcp_listener_close(xipc_listener_t *l);

/*
 * A new stream that owns `handle`; `overlapped` says how the handle was
 * opened. NULL when out of memory or events (the handle is then not closed).
 */
xipc_stream_t *xipc__win32_stream_new(HANDLE handle, bool overlapped, xipc__stream_kind_t kind);

/*
 * Create a pipe server instance of `name` that rejects remote clients, with
 * an owner-only DACL: `access` PIPE_ACCESS_*, plus FILE_FLAG_FIRST_PIPE_INSTANCE
 * when `first`; `type` PIPE_TYPE_BYTE or PIPE_TYPE_MESSAGE (read mode to
 * match); `instances` 1 or PIPE_UNLIMITED_INSTANCES.
 */
int xipc__win32_create_pipe_server(const WCHAR *name, DWORD access, bool first, DWORD type,
                                   DWORD instances, DWORD size, HANDLE *out);

/* Overlapped I/O on a stream, as xipc__stream_read does it (for message reads). */
DWORD xipc__win32_overlapped_read(xipc_stream_t *stream, void *buf, DWORD len, int timeout_ms,
                                  DWORD *done);
DWORD xipc__win32_overlapped_write(xipc_stream_t *stream, const void *buf, DWORD len,
                                   int timeout_ms, DWORD *done);

#endif
