/* SPDX-License-Identifier: MIT */
#include "internal.h"

uint64_t xipc__clock_ns(void) {
  LARGE_INTEGER count, freq;
  /* Both calls cannot fail on Windows XP and later; the frequency read is cheap. */
  QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&count);
  /* Split the conversion so that count * 1e9 cannot overflow. */
  return (uint64_t)(count.QuadPart / freq.QuadPart) * 1000000000u +
         (uint64_t)(count.QuadPart % freq.QuadPart) * 1000000000u / (uint64_t)freq.QuadPart;
}

void xipc__sleep_ms(int ms) {
  /* Sleep() may end up to a timer tick early; sleep again until the time has passed. */
  uint64_t end = xipc__clock_ns() + (uint64_t)ms * 1000000u;
  int left = ms;
  while (left > 0) {
    Sleep((DWORD)left);
    left = xipc__remaining_ms(end);
  }
}
