/* SPDX-License-Identifier: MIT */
/*
 * Message queues: argument checks, then the chosen backend: xipc's shm queue
 * (src/mqshm.c) or the system's POSIX queue (backend mq.c).
 */
#include "internal.h"

#include <stdlib.h>

struct xipc_mq_s {
  xipc_mq_backend_t backend; /* XIPC_MQ_SHM or XIPC_MQ_NATIVE */
  xipc__mqshm_t *shm;
  xipc__mqnative_t *native;
  size_t max_msg_size; /* for the checks of send and receive */
};

static bool valid_attr(const xipc_mq_attr_t *attr) {
  if (attr == NULL || attr->max_msgs == 0 || attr->max_msg_size == 0)
    return false;
  if (attr->backend == XIPC_MQ_NATIVE)
    return true; /* the system's limits decide (docs/mq.md) */
  return (attr->backend == XIPC_MQ_DEFAULT || attr->backend == XIPC_MQ_SHM) &&
         attr->max_msgs <= XIPC_MQ_SHM_MAX_MSGS && attr->max_msg_size <= XIPC_MQ_SHM_MAX_MSG_SIZE &&
         attr->spin_us >= -1 && attr->spin_us <= XIPC_MQ_SPIN_MAX_US;
}

/* A handle for the queue a backend made or opened (which it then owns). */
static int wrap(xipc_mq_t **out, xipc_mq_backend_t backend, xipc__mqshm_t *shm,
                xipc__mqnative_t *native) {
  xipc_mq_attr_t attr;
  size_t count;
  xipc_mq_t *mq = calloc(1, sizeof *mq);
  if (mq == NULL) {
    if (shm != NULL)
      xipc__mqshm_close(shm);
    if (native != NULL)
      xipc__mqnative()->close(native);
    return xipc__fail(XIPC_ENOMEM);
  }
  mq->backend = backend;
  mq->shm = shm;
  mq->native = native;
  if (shm != NULL) {
    xipc__mqshm_attr(shm, &attr, &count);
  } else {
    int rc = xipc__mqnative()->attr(native, &attr, &count);
    if (rc < 0) {
      xipc__mqnative()->close(native);
      free(mq);
      return rc;
    }
  }
  mq->max_msg_size = attr.max_msg_size;
  *out = mq;
  return 0;
}

/*
 * Whether the check on the other backend found a queue under the name:
 * one there (0), or one that is there but cannot be used (no access, half
 * built or damaged). Not: no such queue, no such backend on this kernel
 * (XIPC_ENOTSUP); other failures (out of descriptors, memory) are returned.
 */
static int name_taken(int rc) {
  if (rc == 0 || rc == XIPC_EACCES || rc == XIPC_EPERM || rc == XIPC_EIO || rc == XIPC_EAGAIN)
    return xipc__fail(XIPC_EEXIST);
  if (rc == XIPC_ENOENT || rc == XIPC_ENOTSUP)
    return 0;
  return rc;
}

int xipc_mq_create(xipc_mq_t **out, const char *name, const xipc_mq_attr_t *attr) {
  xipc__mqshm_t *shm;
  xipc__mqnative_t *native;
  int rc;
  if (out == NULL)
    return xipc__fail(XIPC_EINVAL);
  *out = NULL;
  if (!valid_attr(attr))
    return xipc__fail(XIPC_EINVAL);
  rc = xipc_name_validate(name);
  if (rc < 0)
    return rc;
  if (attr->backend == XIPC_MQ_NATIVE) {
    if (xipc__mqnative() == NULL)
      return xipc__fail(XIPC_ENOTSUP);
    /*
     * One queue per name, whatever the backend (open with XIPC_MQ_DEFAULT
     * must not guess): any shm queue segment under the name, even one that
     * does not open cleanly (half built, damaged, not ours), takes it.
     */
    rc = xipc__mqshm_open(&shm, name);
    if (rc == 0)
      xipc__mqshm_close(shm);
    if ((rc = name_taken(rc)) < 0)
      return rc;
    rc = xipc__mqnative()->create(&native, name, attr);
    return rc < 0 ? rc : wrap(out, XIPC_MQ_NATIVE, NULL, native);
  }
  if (xipc__mqnative() != NULL) {
    rc = xipc__mqnative()->open(&native, name);
    if (rc == 0)
      xipc__mqnative()->close(native);
    if ((rc = name_taken(rc)) < 0)
      return rc;
  }
  rc = xipc__mqshm_create(&shm, name, attr);
  return rc < 0 ? rc : wrap(out, XIPC_MQ_SHM, shm, NULL);
}

int xipc_mq_open(xipc_mq_t **out, const char *name, xipc_mq_backend_t backend) {
  xipc__mqshm_t *shm;
  xipc__mqnative_t *native;
  int rc;
  if (out == NULL)
    return xipc__fail(XIPC_EINVAL);
  *out = NULL;
  if (backend != XIPC_MQ_DEFAULT && backend != XIPC_MQ_SHM && backend != XIPC_MQ_NATIVE)
    return xipc__fail(XIPC_EINVAL);
  rc = xipc_name_validate(name);
  if (rc < 0)
    return rc;
  if (backend != XIPC_MQ_NATIVE) {
    rc = xipc__mqshm_open(&shm, name);
    if (rc == 0)
      return wrap(out, XIPC_MQ_SHM, shm, NULL);
    if (backend == XIPC_MQ_SHM || rc != XIPC_ENOENT)
      return rc;
  }
  if (xipc__mqnative() == NULL) /* no shm queue, and no native queues on this system */
    return xipc__fail(backend == XIPC_MQ_DEFAULT ? XIPC_ENOENT : XIPC_ENOTSUP);
  rc = xipc__mqnative()->open(&native, name);
  if (rc == XIPC_ENOTSUP && backend == XIPC_MQ_DEFAULT)
    return xipc__fail(XIPC_ENOENT); /* a kernel without POSIX queues: there is no such queue */
  return rc < 0 ? rc : wrap(out, XIPC_MQ_NATIVE, NULL, native);
}

int xipc_mq_send(xipc_mq_t *mq, const void *buf, size_t len, unsigned prio, int timeout_ms) {
  if (mq == NULL || (buf == NULL && len > 0) || prio >= XIPC_MQ_PRIO_MAX || timeout_ms < -1)
    return xipc__fail(XIPC_EINVAL);
  if (len > mq->max_msg_size)
    return xipc__fail(XIPC_EMSGSIZE);
  if (mq->backend == XIPC_MQ_SHM)
    return xipc__mqshm_send(mq->shm, buf, len, prio, timeout_ms);
  return xipc__mqnative()->send(mq->native, buf, len, prio, timeout_ms);
}

int xipc_mq_recv(xipc_mq_t *mq, void *buf, size_t cap, unsigned *prio, int timeout_ms) {
  if (mq == NULL || buf == NULL || timeout_ms < -1)
    return xipc__fail(XIPC_EINVAL);
  /* The POSIX rule on both backends: the buffer holds any message, so none is ever cut. */
  if (cap < mq->max_msg_size)
    return xipc__fail(XIPC_EMSGSIZE);
  if (mq->backend == XIPC_MQ_SHM)
    return xipc__mqshm_recv(mq->shm, buf, cap, prio, timeout_ms);
  return xipc__mqnative()->recv(mq->native, buf, cap, prio, timeout_ms);
}

int xipc_mq_get_attr(xipc_mq_t *mq, xipc_mq_attr_t *attr, size_t *count) {
  xipc_mq_attr_t ignored_attr;
  size_t ignored_count;
  if (mq == NULL)
    return xipc__fail(XIPC_EINVAL);
  if (attr == NULL)
    attr = &ignored_attr;
  if (count == NULL)
    count = &ignored_count;
  if (mq->backend == XIPC_MQ_SHM)
    return xipc__mqshm_attr(mq->shm, attr, count);
  return xipc__mqnative()->attr(mq->native, attr, count);
}

int xipc_mq_close(xipc_mq_t *mq) {
  if (mq == NULL)
    return 0;
  if (mq->backend == XIPC_MQ_SHM)
    xipc__mqshm_close(mq->shm);
  else
    xipc__mqnative()->close(mq->native);
  free(mq);
  return 0;
}

int xipc_mq_unlink(const char *name) {
  int rc = xipc_name_validate(name), rc_native;
  if (rc < 0)
    return rc;
  rc = xipc__mqshm_unlink(name);
  rc_native = xipc__mqnative() != NULL ? xipc__mqnative()->unlink(name) : XIPC_ENOENT;
  /* Gone if either backend had it; otherwise the shm backend's answer. */
  if (rc == 0 || rc_native == 0)
    return 0;
  return rc;
}

int xipc_mq_native_limits(size_t *max_msgs, size_t *max_msg_size) {
  size_t ignored_msgs, ignored_size;
  if (xipc__mqnative() == NULL)
    return xipc__fail(XIPC_ENOTSUP);
  return xipc__mqnative()->limits(max_msgs != NULL ? max_msgs : &ignored_msgs,
                                  max_msg_size != NULL ? max_msg_size : &ignored_size);
}
