/* SPDX-License-Identifier: MIT */
#include "internal.h"

unsigned xipc_version(void) {
  return XIPC_VERSION_HEX;
}

const char *xipc_version_string(void) {
  return XIPC_VERSION_STRING;
}
