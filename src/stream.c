/* SPDX-License-Identifier: MIT */
/* Streams: argument checks, the exact/all loops, then the backend (src/<os>/stream.c). */
#include "internal.h"

#include <limits.h>
#include <string.h>

/* One backend call moves at most INT_MAX bytes, so the count fits the int result. */
static int clamp_len(size_t len) {
  return len > (size_t)INT_MAX ? INT_MAX : (int)len;
}

/*
 * The error that stopped an exact read or a full write. Its last step runs
 * with no time left, which the backend reports as XIPC_EAGAIN; for the whole
 * call that is a timeout unless the caller asked not to wait at all.
 */
static int exact_error(int rc, int timeout_ms) {
  return rc == XIPC_EAGAIN && timeout_ms != 0 ? xipc__fail(XIPC_ETIMEDOUT) : rc;
}

/* A message-mode connection moves whole messages only (xipc_stream_send_msg / recv_msg). */
static bool byte_stream(const xipc_stream_t *stream) {
  return stream != NULL && !xipc__stream_is_message(stream);
}

int xipc_stream_read(xipc_stream_t *stream, void *buf, size_t len, int timeout_ms) {
  if (!byte_stream(stream) || buf == NULL || len == 0 || timeout_ms < -1)
    return xipc__fail(XIPC_EINVAL);
  return xipc__stream_read(stream, buf, clamp_len(len), timeout_ms);
}

int xipc_stream_write(xipc_stream_t *stream, const void *buf, size_t len, int timeout_ms) {
  if (!byte_stream(stream) || buf == NULL || len == 0 || timeout_ms < -1)
    return xipc__fail(XIPC_EINVAL);
  return xipc__stream_write(stream, buf, clamp_len(len), timeout_ms);
}

int xipc_stream_read_exact(xipc_stream_t *stream, void *buf, size_t len, int timeout_ms,
                           size_t *done) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  size_t got = 0;
  int rc = 0;
  if (done != NULL)
    *done = 0;
  if (!byte_stream(stream) || (buf == NULL && len > 0) || timeout_ms < -1)
    return xipc__fail(XIPC_EINVAL);
  while (got < len) {
    rc = xipc__stream_read(stream, (char *)buf + got, clamp_len(len - got),
                           xipc__remaining_ms(deadline));
    if (rc <= 0)
      break;
    got += (size_t)rc;
  }
  if (done != NULL)
    *done = got;
  if (got == len)
    return 0;
  if (rc == 0)
    return xipc__fail(XIPC_EOF);
  return exact_error(rc, timeout_ms);
}

int xipc_stream_write_all(xipc_stream_t *stream, const void *buf, size_t len, int timeout_ms,
                          size_t *done) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  size_t sent = 0;
  int rc = 0;
  if (done != NULL)
    *done = 0;
  if (!byte_stream(stream) || (buf == NULL && len > 0) || timeout_ms < -1)
    return xipc__fail(XIPC_EINVAL);
  while (sent < len) {
    rc = xipc__stream_write(stream, (const char *)buf + sent, clamp_len(len - sent),
                            xipc__remaining_ms(deadline));
    if (rc < 0)
      break;
    sent += (size_t)rc;
  }
  if (done != NULL)
    *done = sent;
  if (sent == len)
    return 0;
  return exact_error(rc, timeout_ms);
}

int xipc_stream_close(xipc_stream_t *stream) {
  return stream == NULL ? 0 : xipc__stream_close(stream);
}

xipc_os_handle_t xipc_stream_native(const xipc_stream_t *stream) {
  return stream == NULL ? XIPC_OS_HANDLE_INVALID : xipc__stream_native(stream);
}

int xipc_stream_token(const xipc_stream_t *stream, char *buf, size_t cap) {
  if (stream == NULL || buf == NULL)
    return xipc__fail(XIPC_EINVAL);
  return xipc__stream_token(stream, buf, cap);
}

int xipc_stream_from_token(xipc_stream_t **out, const char *token) {
  if (out == NULL)
    return xipc__fail(XIPC_EINVAL);
  *out = NULL;
  if (token == NULL || strlen(token) >= XIPC_TOKEN_MAX)
    return xipc__fail(XIPC_EINVAL);
  return xipc__stream_from_token(out, token);
}

int xipc_stream_from_native(xipc_stream_t **out, xipc_os_handle_t handle, unsigned flags) {
  if (out == NULL)
    return xipc__fail(XIPC_EINVAL);
  *out = NULL;
  if (handle == XIPC_OS_HANDLE_INVALID || (flags & ~(unsigned)XIPC_NATIVE_OVERLAPPED) != 0)
    return xipc__fail(XIPC_EINVAL);
  return xipc__stream_from_native(out, handle, flags);
}

int xipc_ignore_sigpipe(void) {
  return xipc__ignore_sigpipe();
}
