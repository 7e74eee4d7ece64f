/* SPDX-License-Identifier: MIT */
/*
 * The native message queue on POSIX: mq_open() with O_EXCL and mode 0600 at
 * /xipc.mq.<name>, close-on-exec (Linux gives queue descriptors O_CLOEXEC
 * only when asked; glibc's mq_open passes O_CLOEXEC through).
 *
 * Timeouts: mq_timedsend()/mq_timedreceive() take an absolute time on
 * CLOCK_REALTIME. Where a queue descriptor can be polled (Linux), a timed
 * call is an attempt that cannot wait (an absolute time already past) and
 * poll() for the time left on the monotonic clock, so a step of the
 * realtime clock changes nothing. Elsewhere xipc turns the time left into a
 * realtime deadline just before each call, retrying with the time left
 * after an interruption; a jump of the realtime clock during one wait then
 * stretches or shortens that wait (docs/mq.md).
 */
#include "internal.h"

#include <stdlib.h>

#ifdef XIPC_HAVE_POSIX_MQ

#  include <fcntl.h>
#  include <limits.h>
#  include <mqueue.h>
#  include <poll.h>
#  include <stdio.h>
#  include <string.h>
#  include <sys/stat.h>
#  include <time.h>

struct xipc__mqnative {
  mqd_t mqd;
  size_t max_msgs, max_msg_size;
};

static int queue_name(const char *name, char *buf, size_t cap) {
  return xipc_name_native(XIPC_KIND_MQ, name, buf, cap);
}

static int wrap(xipc__mqnative_t **out, mqd_t mqd) {
  struct mq_attr attr;
  xipc__mqnative_t *q;
  if (mq_getattr(mqd, &attr) != 0) {
    int rc = xipc__os_fail(errno);
    mq_close(mqd);
    return rc;
  }
  q = malloc(sizeof *q);
  if (q == NULL) {
    mq_close(mqd);
    return xipc__fail(XIPC_ENOMEM);
  }
  q->mqd = mqd;
  q->max_msgs = (size_t)attr.mq_maxmsg;
  q->max_msg_size = (size_t)attr.mq_msgsize;
  *out = q;
  return 0;
}

static int native_create(xipc__mqnative_t **out, const char *name, const xipc_mq_attr_t *attr) {
  char native[XIPC_NATIVE_NAME_MAX];
  struct mq_attr mattr;
  mqd_t mqd;
  int rc = queue_name(name, native, sizeof native);
  if (rc < 0)
    return rc;
  if (attr->max_msgs > LONG_MAX || attr->max_msg_size > LONG_MAX)
    return xipc__fail(XIPC_EINVAL);
  memset(&mattr, 0, sizeof mattr);
  mattr.mq_maxmsg = (long)attr->max_msgs;
  mattr.mq_msgsize = (long)attr->max_msg_size;
  /* EINVAL: sizes over the limits (xipc_mq_native_limits); EMFILE / ENOSPC: too many queues. */
  mqd = mq_open(native, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &mattr);
  if (mqd == (mqd_t)-1)
    return xipc__os_fail(errno);
  return wrap(out, mqd);
}

static int native_open(xipc__mqnative_t **out, const char *name) {
  char native[XIPC_NATIVE_NAME_MAX];
  mqd_t mqd;
  int rc = queue_name(name, native, sizeof native);
  if (rc < 0)
    return rc;
  mqd = mq_open(native, O_RDWR | O_CLOEXEC);
  if (mqd == (mqd_t)-1)
    return xipc__os_fail(errno);
  return wrap(out, mqd);
}

#  ifndef XIPC_HAVE_POLLABLE_MQ
/* The realtime deadline of a wait of `left_ms` from now. */
static struct timespec realtime_in(int left_ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += left_ms / 1000;
  ts.tv_nsec += (long)(left_ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}
#  endif

/*
 * After a timed call gave ETIMEDOUT (or EINTR) with time left: 0 to call
 * again, or the timeout error. With a pollable queue the call did not wait
 * (its absolute time was already past): wait here on the monotonic clock.
 */
static int wait_again(const xipc__mqnative_t *q, short events, uint64_t deadline, int timeout_ms) {
#  ifdef XIPC_HAVE_POLLABLE_MQ
  int rc;
  if (xipc__remaining_ms(deadline) == 0)
    return xipc__timeout_error(timeout_ms);
  rc = xipc__posix_wait_until((int)q->mqd, events, deadline, timeout_ms);
  return rc < 0 ? rc : 0;
#  else
  (void)q;
  (void)events;
  return xipc__remaining_ms(deadline) == 0 ? xipc__timeout_error(timeout_ms) : 0;
#  endif
}

/* The absolute time for a timed call with `left_ms` to go (see the file comment). */
static struct timespec timed_call_until(int left_ms) {
#  ifdef XIPC_HAVE_POLLABLE_MQ
  struct timespec past = {0, 0};
  (void)left_ms;
  return past;
#  else
  return realtime_in(left_ms);
#  endif
}

static int native_send(xipc__mqnative_t *q, const void *buf, size_t len, unsigned prio,
                       int timeout_ms) {
  static const char nothing = 0;
  uint64_t deadline = xipc__deadline(timeout_ms);
  /* An empty message may come without a buffer; mq_send()'s is declared never NULL (glibc). */
  if (buf == NULL)
    buf = &nothing;
  for (;;) {
    int left = xipc__remaining_ms(deadline), rc;
    struct timespec until;
    if (left < 0) {
      rc = mq_send(q->mqd, (const char *)buf, len, prio);
    } else {
      until = timed_call_until(left);
      rc = mq_timedsend(q->mqd, (const char *)buf, len, prio, &until);
    }
    if (rc == 0)
      return 0;
    if (errno != EINTR && errno != ETIMEDOUT)
      return xipc__os_fail(errno);
    /* Full, interrupted, or the realtime clock moved: wait on for the time left. */
    if (left >= 0 && (rc = wait_again(q, POLLOUT, deadline, timeout_ms)) < 0)
      return rc;
  }
}

static int native_recv(xipc__mqnative_t *q, void *buf, size_t cap, unsigned *prio, int timeout_ms) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  unsigned got_prio;
  int rc;
  for (;;) {
    int left = xipc__remaining_ms(deadline);
    ssize_t n;
    struct timespec until;
    if (left < 0) {
      n = mq_receive(q->mqd, (char *)buf, cap, &got_prio);
    } else {
      until = timed_call_until(left);
      n = mq_timedreceive(q->mqd, (char *)buf, cap, &got_prio, &until);
    }
    if (n >= 0) {
      if (prio != NULL)
        *prio = got_prio;
      return n > INT_MAX ? INT_MAX : (int)n;
    }
    if (errno != EINTR && errno != ETIMEDOUT)
      return xipc__os_fail(errno);
    if (left >= 0 && (rc = wait_again(q, POLLIN, deadline, timeout_ms)) < 0)
      return rc;
  }
}

static int native_attr(xipc__mqnative_t *q, xipc_mq_attr_t *attr, size_t *count) {
  struct mq_attr mattr;
  if (mq_getattr(q->mqd, &mattr) != 0)
    return xipc__os_fail(errno);
  attr->max_msgs = (size_t)mattr.mq_maxmsg;
  attr->max_msg_size = (size_t)mattr.mq_msgsize;
  attr->backend = XIPC_MQ_NATIVE;
  attr->spin_us = 0;
  *count = (size_t)mattr.mq_curmsgs;
  return 0;
}

static void native_close(xipc__mqnative_t *q) {
  mq_close(q->mqd);
  free(q);
}

static int native_unlink(const char *name) {
  char native[XIPC_NATIVE_NAME_MAX];
  int rc = queue_name(name, native, sizeof native);
  if (rc < 0)
    return rc;
  return mq_unlink(native) == 0 ? 0 : xipc__os_fail(errno);
}

/* A number from a /proc/sys file; false where there is none. */
static bool read_limit(const char *path, size_t *value) {
  unsigned long long v;
  FILE *f = fopen(path, "re");
  bool ok;
  if (f == NULL)
    return false;
  ok = fscanf(f, "%llu", &v) == 1;
  fclose(f);
  if (ok)
    *value = (size_t)v;
  return ok;
}

static int native_limits(size_t *max_msgs, size_t *max_msg_size) {
  /* Linux publishes them; elsewhere the POSIX minimums are what can be promised. */
  if (!read_limit("/proc/sys/fs/mqueue/msg_max", max_msgs))
    *max_msgs = 10;
  if (!read_limit("/proc/sys/fs/mqueue/msgsize_max", max_msg_size))
    *max_msg_size = 8192;
  return 0;
}

static const xipc__mqnative_ops_t posix_mq = {native_create, native_open,  native_send,
                                              native_recv,   native_attr,  native_close,
                                              native_unlink, native_limits};

const xipc__mqnative_ops_t *xipc__mqnative(void) {
  return &posix_mq;
}

#else /* no POSIX message queues (macOS) */

const xipc__mqnative_ops_t *xipc__mqnative(void) {
  return NULL;
}

#endif
