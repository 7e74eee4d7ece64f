/* SPDX-License-Identifier: MIT */
/*
 * Local channels and mailslots: named endpoints on this machine, by
 * portable name (docs/local.md).
 *
 * Local channel: a listener that accepts any number of clients, each
 * connection a duplex xipc_stream_t, in one of two modes:
 *   bytes     POSIX AF_UNIX SOCK_STREAM; Windows PIPE_TYPE_BYTE
 *   messages  POSIX AF_UNIX SOCK_SEQPACKET; Windows PIPE_TYPE_MESSAGE
 * Socket files live in the private 0700 runtime directory (never abstract
 * sockets); Windows pipes reject remote clients and carry an owner-only
 * DACL. Other users cannot connect.
 *
 * Mailslot: one reader (the creator), any number of writers, one-way,
 * message boundaries kept; POSIX AF_UNIX SOCK_DGRAM, Windows mailslot.
 */
#ifndef XIPC_LOCAL_H
#define XIPC_LOCAL_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Local channels ---------------------------------------------------- */

typedef struct xipc_listener_s xipc_listener_t;

typedef enum xipc_local_mode {
  XIPC_LOCAL_BYTES = 1,   /* a byte stream, like a pipe or TCP */
  XIPC_LOCAL_MESSAGES = 2 /* messages kept whole: xipc_stream_send_msg / recv_msg */
} xipc_local_mode_t;

/* The largest message of a message-mode connection (send: larger is XIPC_EMSGSIZE). */
#define XIPC_LOCAL_MSG_MAX 65536

/*
 * Listen on local channel `name`. XIPC_EADDRINUSE when a live listener has
 * the name, or something that is not an xipc endpoint sits at its path; a
 * socket left behind by a listener that died is replaced. Errors also:
 * XIPC_EINVAL, XIPC_ENAMETOOLONG, XIPC_EACCES (runtime directory not
 * private).
 */
XIPC_EXTERN int xipc_local_listen(xipc_listener_t **out, const char *name, xipc_local_mode_t mode);

/*
 * Accept one connection, waiting up to timeout_ms. *conn receives a stream
 * of the listener's mode, which keeps its mode and peer when handed to a
 * child (xipc_stream_token). XIPC_EAGAIN / XIPC_ETIMEDOUT when nobody came.
 * Clients that connect before the accept wait in a queue: the socket's
 * backlog on POSIX; on Windows one pipe instance waits and further clients
 * wait in xipc_local_connect (within its timeout) for the next one.
 */
XIPC_EXTERN int xipc_listener_accept(xipc_listener_t *listener, xipc_stream_t **conn,
                                     int timeout_ms);

/* Stop listening and remove the name (accepted connections stay open). NULL is ignored. */
XIPC_EXTERN int xipc_listener_close(xipc_listener_t *listener);

/*
 * Connect to local channel `name` in `mode` (the listener's), waiting up to
 * timeout_ms while the listener is busy (a full backlog; every Windows pipe
 * instance taken). XIPC_ENOENT when no listener has the name,
 * XIPC_ECONNREFUSED when only a dead listener's socket is left, XIPC_EACCES
 * when the endpoint belongs to another user, XIPC_EPROTO when `mode` is not
 * the listener's (the listener may then accept a connection that is already
 * over: the refused client was queued before it found out).
 */
XIPC_EXTERN int xipc_local_connect(xipc_stream_t **out, const char *name, xipc_local_mode_t mode,
                                   int timeout_ms);

/*
 * Send one message on a message-mode connection: all of it or nothing.
 * Messages are 1 to XIPC_LOCAL_MSG_MAX bytes: XIPC_EMSGSIZE when longer,
 * XIPC_EINVAL when empty (a read of 0 bytes is how the end of a stream
 * shows) or on a byte stream. XIPC_EPIPE when the peer is gone.
 */
XIPC_EXTERN int xipc_stream_send_msg(xipc_stream_t *stream, const void *buf, size_t len,
                                     int timeout_ms);

/*
 * Receive one message: returns its length (at least 1). A
 * message larger than `cap` is not received: XIPC_EMSGSIZE, and the message
 * stays first in line, so a call with a large enough buffer gets it; its
 * size goes to *msg_size (may be NULL) in both cases. XIPC_EOF when the peer
 * has closed and nothing is left. Nothing is ever truncated.
 */
XIPC_EXTERN int xipc_stream_recv_msg(xipc_stream_t *stream, void *buf, size_t cap, int timeout_ms,
                                     size_t *msg_size);

/* Who is at the other end of a local connection. */
typedef struct xipc_peer {
  int pid;     /* process id */
  int64_t uid; /* POSIX user id; -1 on Windows */
} xipc_peer_t;

/*
 * The peer of a local connection: SO_PEERCRED (Linux), getpeereid (BSD),
 * GetNamedPipeClientProcessId / GetNamedPipeServerProcessId (Windows). The
 * pid is the peer's at connect time. XIPC_ENOTSUP for other streams.
 */
XIPC_EXTERN int xipc_stream_peer(const xipc_stream_t *stream, xipc_peer_t *peer);

/* ---- Mailslots --------------------------------------------------------- */

typedef struct xipc_mailslot_s xipc_mailslot_t;

/*
 * Create mailslot `name` as its one reader, for messages of at most
 * max_msg_size bytes (1 to XIPC_LOCAL_MSG_MAX). Exclusive: XIPC_EEXIST while
 * another reader has the name.
 */
XIPC_EXTERN int xipc_mailslot_create(xipc_mailslot_t **out, const char *name, size_t max_msg_size);

/* Open mailslot `name` as a writer. XIPC_ENOENT when it has no reader. */
XIPC_EXTERN int xipc_mailslot_open(xipc_mailslot_t **out, const char *name);

/*
 * Send one message (writer), 1 to max_msg_size bytes: all of it or nothing,
 * waiting up to timeout_ms while the reader's queue is full (POSIX; Windows
 * never waits). XIPC_EMSGSIZE when len exceeds the reader's max_msg_size
 * (checked by xipc, since not every system enforces it); XIPC_EINVAL for an
 * empty message; XIPC_EPIPE when the reader is gone (POSIX; a Windows
 * mailslot is an unreliable datagram service: a send to a reader that left
 * after this writer opened may succeed and the message is dropped);
 * XIPC_EBADF on the reader's handle.
 */
XIPC_EXTERN int xipc_mailslot_send(xipc_mailslot_t *slot, const void *buf, size_t len,
                                   int timeout_ms);

/*
 * Receive one message (reader), waiting up to timeout_ms: returns its length.
 * A message larger than `cap` stays first in line: XIPC_EMSGSIZE, size in
 * *msg_size (may be NULL). XIPC_EBADF on a writer's handle.
 */
XIPC_EXTERN int xipc_mailslot_recv(xipc_mailslot_t *slot, void *buf, size_t cap, int timeout_ms,
                                   size_t *msg_size);

/*
 * The size of the next message (0: none) and, where the system counts them,
 * the number waiting (*count = (size_t)-1 where it does not). Reader only:
 * XIPC_EBADF on a writer's handle.
 */
XIPC_EXTERN int xipc_mailslot_info(xipc_mailslot_t *slot, size_t *next_size, size_t *count);

/* The reader's max_msg_size, as the reader or a writer sees it. */
XIPC_EXTERN size_t xipc_mailslot_max_msg_size(const xipc_mailslot_t *slot);

/* Close; the reader's close removes the name. NULL is ignored. */
XIPC_EXTERN int xipc_mailslot_close(xipc_mailslot_t *slot);

#ifdef __cplusplus
}
#endif

#endif
