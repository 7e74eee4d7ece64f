/* SPDX-License-Identifier: MIT */
/* Public clock functions and the deadline arithmetic every timed wait uses. */
#include "internal.h"

#define NS_PER_MS 1000000u

uint64_t xipc_time_ns(void) {
  return xipc__clock_ns();
}

void xipc_sleep_ms(int ms) {
  if (ms > 0)
    xipc__sleep_ms(ms);
}

uint64_t xipc__deadline(int timeout_ms) {
  if (timeout_ms < 0)
    return UINT64_MAX;
  return xipc__clock_ns() + (uint64_t)timeout_ms * NS_PER_MS;
}

int xipc__remaining_ms(uint64_t deadline) {
  uint64_t now, left_ms;
  if (deadline == UINT64_MAX)
    return -1;
  now = xipc__clock_ns();
  if (now >= deadline)
    return 0;
  /* Round up: waking early and finding the deadline not reached would spin. */
  left_ms = (deadline - now + NS_PER_MS - 1) / NS_PER_MS;
  return left_ms > INT32_MAX ? INT32_MAX : (int)left_ms;
}

int xipc__timeout_error(int timeout_ms) {
  return xipc__fail(timeout_ms == 0 ? XIPC_EAGAIN : XIPC_ETIMEDOUT);
}
