/* SPDX-License-Identifier: MIT */
/* The monotonic clock that every xipc timeout is measured by. */
#ifndef XIPC_CLOCK_H
#define XIPC_CLOCK_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Nanoseconds from an arbitrary fixed point, never going backwards and not
 * affected by changes of the wall-clock time (CLOCK_MONOTONIC;
 * QueryPerformanceCounter()).
 */
XIPC_EXTERN uint64_t xipc_time_ns(void);

/* Sleep at least `ms` milliseconds (nothing for ms <= 0); signals do not cut it short. */
XIPC_EXTERN void xipc_sleep_ms(int ms);

#ifdef __cplusplus
}
#endif

#endif
