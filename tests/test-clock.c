/* SPDX-License-Identifier: MIT */
#include "task.h"

TEST_IMPL(clock, monotonic) {
  uint64_t prev = xipc_time_ns(), now;
  int i;
  for (i = 0; i < 100000; i++) {
    now = xipc_time_ns();
    ASSERT_TRUE(now >= prev);
    prev = now;
  }
}

TEST_IMPL(clock, sleep_at_least) {
  static const int durations[] = {0, 1, 15, 50};
  size_t i;
  for (i = 0; i < ARRAY_SIZE(durations); i++) {
    uint64_t start = xipc_time_ns(), elapsed_ns;
    xipc_sleep_ms(durations[i]);
    elapsed_ns = xipc_time_ns() - start;
    ASSERT_GE(elapsed_ns, (uint64_t)durations[i] * 1000000u);
  }
  /* A negative duration does not sleep (and does not hang). */
  xipc_sleep_ms(-5);
}
