/* SPDX-License-Identifier: MIT */
/*
 * The native message queue on Windows: there is none (Windows has no POSIX
 * queues), so XIPC_MQ_NATIVE is XIPC_ENOTSUP. xipc's shm queue (src/mqshm.c)
 * is the queue on Windows.
 */
#include "internal.h"

const xipc__mqnative_ops_t *xipc__mqnative(void) {
  return NULL;
}
