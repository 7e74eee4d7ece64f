/* SPDX-License-Identifier: MIT */
/*
 * Message queues (docs/mq.md): named, bounded queues of whole messages with
 * priorities, for any number of senders and receivers in any processes.
 *
 * Two backends behind one API:
 *   XIPC_MQ_SHM     xipc's own queue in a shared memory segment, on every
 *                   system with robust mutexes (Linux, the BSDs, Windows):
 *                   the fast one, and the default.
 *   XIPC_MQ_NATIVE  the system's POSIX message queue (mq_open); XIPC_ENOTSUP
 *                   where there is none (Windows, macOS).
 *
 * Both: highest priority first, first in first out within a priority;
 * messages of 0 to max_msg_size bytes; a full queue makes senders wait and an
 * empty one receivers, up to their timeout; nothing is ever truncated.
 */
#ifndef XIPC_MQ_H
#define XIPC_MQ_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xipc_mq_s xipc_mq_t;

typedef enum xipc_mq_backend {
  XIPC_MQ_DEFAULT = 0, /* create: XIPC_MQ_SHM; open: whichever queue has the name */
  XIPC_MQ_SHM = 1,
  XIPC_MQ_NATIVE = 2
} xipc_mq_backend_t;

/* Priorities are 0 (lowest) to XIPC_MQ_PRIO_MAX - 1 on both backends. */
#define XIPC_MQ_PRIO_MAX 32

/* Limits of the shm backend (the native one has the system's, see docs/mq.md). */
#define XIPC_MQ_SHM_MAX_MSGS     65536
#define XIPC_MQ_SHM_MAX_MSG_SIZE (1u << 20)

/* The default spin of the shm backend before a wait sleeps, in microseconds. */
#define XIPC_MQ_SPIN_DEFAULT_US 20
/* The longest spin the shm backend accepts. */
#define XIPC_MQ_SPIN_MAX_US     1000

typedef struct xipc_mq_attr {
  size_t max_msgs;           /* capacity in messages, at least 1 */
  size_t max_msg_size;       /* largest message in bytes, at least 1 */
  xipc_mq_backend_t backend; /* XIPC_MQ_DEFAULT, XIPC_MQ_SHM or XIPC_MQ_NATIVE */
  /*
   * shm backend: how long a sender or receiver that would wait first spins
   * on the queue, in microseconds, before it sleeps (0: the default,
   * XIPC_MQ_SPIN_DEFAULT_US; -1: never spin; at most XIPC_MQ_SPIN_MAX_US).
   * The native backend ignores it.
   */
  int spin_us;
} xipc_mq_attr_t;

/*
 * Create queue `name` (exclusive: XIPC_EEXIST if a queue of either backend
 * has the name; owner-only permissions). XIPC_EINVAL for sizes out of range
 * (0, above the shm limits, or an shm segment over 1 GiB); XIPC_ENOTSUP for
 * XIPC_MQ_NATIVE where the system has no POSIX queues; for the native
 * backend, XIPC_EINVAL when the system's limits refuse the sizes
 * (xipc_mq_native_limits), XIPC_EMFILE / XIPC_ENOSPC for too many queues.
 * The check on the other backend and the create are two steps: two
 * processes creating one name at the same moment with different backends
 * may both succeed (docs/mq.md).
 */
XIPC_EXTERN int xipc_mq_create(xipc_mq_t **out, const char *name, const xipc_mq_attr_t *attr);

/*
 * Open an existing queue. `backend` XIPC_MQ_DEFAULT looks for an shm queue
 * of that name first, then a native one. XIPC_ENOENT when there is none;
 * XIPC_EIO when the shm queue's header is not a valid queue.
 */
XIPC_EXTERN int xipc_mq_open(xipc_mq_t **out, const char *name, xipc_mq_backend_t backend);

/*
 * Send one message of 0 to max_msg_size bytes at priority `prio` (0 to
 * XIPC_MQ_PRIO_MAX - 1), waiting up to timeout_ms while the queue is full.
 * XIPC_EMSGSIZE when len exceeds max_msg_size.
 */
XIPC_EXTERN int xipc_mq_send(xipc_mq_t *mq, const void *buf, size_t len, unsigned prio,
                             int timeout_ms);

/*
 * Receive the first message of the highest priority, waiting up to
 * timeout_ms while the queue is empty: returns its length (0 for an empty
 * message) and its priority in *prio (may be NULL). The buffer must hold the
 * largest message the queue takes: cap < max_msg_size is XIPC_EMSGSIZE and
 * takes nothing (the POSIX rule). XIPC_EIO when the shm queue's contents are
 * corrupt (shared memory is read as untrusted input).
 */
XIPC_EXTERN int xipc_mq_recv(xipc_mq_t *mq, void *buf, size_t cap, unsigned *prio, int timeout_ms);

/* The queue's attributes (backend as created) and the number of messages waiting now. */
XIPC_EXTERN int xipc_mq_get_attr(xipc_mq_t *mq, xipc_mq_attr_t *attr, size_t *count);

/* Close this handle; the queue lives on until unlinked. NULL is ignored. */
XIPC_EXTERN int xipc_mq_close(xipc_mq_t *mq);

/*
 * The system's limits for native queues that this process may create
 * (Linux: /proc/sys/fs/mqueue/msg_max and msgsize_max; root may exceed
 * them). XIPC_ENOTSUP where there are no native queues.
 */
XIPC_EXTERN int xipc_mq_native_limits(size_t *max_msgs, size_t *max_msg_size);

/*
 * Remove the name (both backends' queues of that name). Handles still open
 * keep working; a new queue may then be created under the name.
 * XIPC_ENOENT when there was none. On Windows an shm queue has no name to
 * remove: it goes when its last handle closes, and unlink returns 0.
 */
XIPC_EXTERN int xipc_mq_unlink(const char *name);

#ifdef __cplusplus
}
#endif

#endif
