/* SPDX-License-Identifier: MIT */
#include "internal.h"

#include <time.h>

uint64_t xipc__clock_ns(void) {
  struct timespec ts;
  /* CLOCK_MONOTONIC cannot fail with a valid pointer. */
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void xipc__sleep_ms(int ms) {
  struct timespec left;
  left.tv_sec = ms / 1000;
  left.tv_nsec = (long)(ms % 1000) * 1000000L;
  /* nanosleep() reports the unslept rest when a signal cuts it short. */
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
}
