/* SPDX-License-Identifier: MIT */
#include "task.h"

TEST_IMPL(version, macros_match_functions) {
  ASSERT_EQ(xipc_version(), XIPC_VERSION_HEX);
  ASSERT_EQ(xipc_version() >> 16, XIPC_VERSION_MAJOR);
  ASSERT_EQ((xipc_version() >> 8) & 0xff, XIPC_VERSION_MINOR);
  ASSERT_EQ(xipc_version() & 0xff, XIPC_VERSION_PATCH);
  ASSERT_STR_EQ(xipc_version_string(), XIPC_VERSION_STRING);
}

TEST_IMPL(version, string_format) {
  char expected[32];
  snprintf(expected, sizeof expected, "%d.%d.%d", XIPC_VERSION_MAJOR, XIPC_VERSION_MINOR,
           XIPC_VERSION_PATCH);
  ASSERT_STR_EQ(xipc_version_string(), expected);
}
