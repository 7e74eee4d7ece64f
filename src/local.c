/* SPDX-License-Identifier: MIT */
/* Local channels and mailslots: argument checks, then the backend (src/<os>/local.c, mailslot.c).
 */
#include "internal.h"

static bool valid_mode(xipc_local_mode_t mode) {
  return mode == XIPC_LOCAL_BYTES || mode == XIPC_LOCAL_MESSAGES;
}

int xipc_local_listen(xipc_listener_t **out, const char *name, xipc_local_mode_t mode) {
  int rc;
  if (out == NULL)
    return xipc__fail(XIPC_EINVAL);
  *out = NULL;
  if (!valid_mode(mode))
    return xipc__fail(XIPC_EINVAL);
  rc = xipc_name_validate(name);
  return rc < 0 ? rc : xipc__local_listen(out, name, mode);
}

int xipc_listener_accept(xipc_listener_t *listener, xipc_stream_t **conn, int timeout_ms) {
  if (conn != NULL)
    *conn = NULL;
  if (listener == NULL || conn == NULL || timeout_ms < -1)
    return xipc__fail(XIPC_EINVAL);
  return xipc__listener_accept(listener, conn, timeout_ms);
}

int xipc_listener_close(xipc_listener_t *listener) {
  return listener == NULL ? 0 : xipc__listener_close(listener);
}

int xipc_local_connect(xipc_stream_t **out, const char *name, xipc_local_mode_t mode,
                       int timeout_ms) {
  int rc;
  if (out == NULL)
    return xipc__fail(XIPC_EINVAL);
  *out = NULL;
  if (!valid_mode(mode) || timeout_ms < -1)
    return xipc__fail(XIPC_EINVAL);
  rc = xipc_name_validate(name);
  return rc < 0 ? rc : xipc__local_connect(out, name, mode, timeout_ms);
}

int xipc_stream_send_msg(xipc_stream_t *stream, const void *buf, size_t len, int timeout_ms) {
  /* Messages are 1 byte or more: a read of 0 must keep meaning the end of the stream. */
  if (stream == NULL || buf == NULL || len == 0 || timeout_ms < -1 ||
      !xipc__stream_is_message(stream))
    return xipc__fail(XIPC_EINVAL);
  if (len > XIPC_LOCAL_MSG_MAX)
    return xipc__fail(XIPC_EMSGSIZE);
  return xipc__stream_send_msg(stream, buf, len, timeout_ms);
}

int xipc_stream_recv_msg(xipc_stream_t *stream, void *buf, size_t cap, int timeout_ms,
                         size_t *msg_size) {
  size_t ignored;
  if (msg_size == NULL)
    msg_size = &ignored;
  *msg_size = 0;
  if (stream == NULL || buf == NULL || cap == 0 || timeout_ms < -1 ||
      !xipc__stream_is_message(stream))
    return xipc__fail(XIPC_EINVAL);
  return xipc__stream_recv_msg(stream, buf, cap, timeout_ms, msg_size);
}

int xipc_stream_peer(const xipc_stream_t *stream, xipc_peer_t *peer) {
  if (stream == NULL || peer == NULL)
    return xipc__fail(XIPC_EINVAL);
  return xipc__stream_peer(stream, peer);
}

int xipc_mailslot_create(xipc_mailslot_t **out, const char *name, size_t max_msg_size) {
  int rc;
  if (out == NULL)
    return xipc__fail(XIPC_EINVAL);
  *out = NULL;
  if (max_msg_size == 0 || max_msg_size > XIPC_LOCAL_MSG_MAX)
    return xipc__fail(XIPC_EINVAL);
  rc = xipc_name_validate(name);
  return rc < 0 ? rc : xipc__mailslot_create(out, name, max_msg_size);
}

int xipc_mailslot_open(xipc_mailslot_t **out, const char *name) {
  int rc;
  if (out == NULL)
    return xipc__fail(XIPC_EINVAL);
  *out = NULL;
  rc = xipc_name_validate(name);
  return rc < 0 ? rc : xipc__mailslot_open(out, name);
}

int xipc_mailslot_send(xipc_mailslot_t *slot, const void *buf, size_t len, int timeout_ms) {
  /* Never empty, as on local channels: a next-message size of 0 means "none". */
  if (slot == NULL || buf == NULL || len == 0 || timeout_ms < -1)
    return xipc__fail(XIPC_EINVAL);
  /* The limit every system would apply differently (Wine not at all): xipc checks it. */
  if (len > xipc__mailslot_max_msg_size(slot))
    return xipc__fail(XIPC_EMSGSIZE);
  return xipc__mailslot_send(slot, buf, len, timeout_ms);
}

int xipc_mailslot_recv(xipc_mailslot_t *slot, void *buf, size_t cap, int timeout_ms,
                       size_t *msg_size) {
  size_t ignored;
  if (msg_size == NULL)
    msg_size = &ignored;
  *msg_size = 0;
  if (slot == NULL || buf == NULL || cap == 0 || timeout_ms < -1)
    return xipc__fail(XIPC_EINVAL);
  return xipc__mailslot_recv(slot, buf, cap, timeout_ms, msg_size);
}

int xipc_mailslot_info(xipc_mailslot_t *slot, size_t *next_size, size_t *count) {
  size_t ignored_size, ignored_count;
  if (slot == NULL)
    return xipc__fail(XIPC_EINVAL);
  return xipc__mailslot_info(slot, next_size != NULL ? next_size : &ignored_size,
                             count != NULL ? count : &ignored_count);
}

size_t xipc_mailslot_max_msg_size(const xipc_mailslot_t *slot) {
  return slot == NULL ? 0 : xipc__mailslot_max_msg_size(slot);
}

int xipc_mailslot_close(xipc_mailslot_t *slot) {
  return slot == NULL ? 0 : xipc__mailslot_close(slot);
}
