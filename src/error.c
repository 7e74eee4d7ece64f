/* SPDX-License-Identifier: MIT */
/* Error names and strings from the XIPC_ERRNO_MAP list; the per-thread OS code. */
#include "internal.h"

static XIPC_THREAD_LOCAL int last_os_error;

const char *xipc_err_name(int err) {
  switch (err) {
  case 0:
    return "XIPC_OK";
#define XIPC_ERR_NAME_CASE_(name, num, text) \
  case XIPC_##name:                          \
    return "XIPC_" #name;
    XIPC_ERRNO_MAP(XIPC_ERR_NAME_CASE_)
#undef XIPC_ERR_NAME_CASE_
  default:
    return "XIPC_EUNKNOWN";
  }
}

const char *xipc_strerror(int err) {
  switch (err) {
  case 0:
    return "success";
#define XIPC_STRERROR_CASE_(name, num, text) \
  case XIPC_##name:                          \
    return text;
    XIPC_ERRNO_MAP(XIPC_STRERROR_CASE_)
#undef XIPC_STRERROR_CASE_
  default:
    return "unknown error";
  }
}

int xipc_last_os_error(void) {
  return last_os_error;
}

int xipc_err_from_os(int os_code) {
  return xipc__translate_os_error(os_code);
}

void xipc__set_os_error(int os_code) {
  last_os_error = os_code;
}

int xipc__fail(int err) {
  last_os_error = 0;
  return err;
}

int xipc__os_fail(int os_code) {
  int err = xipc__translate_os_error(os_code);
  last_os_error = os_code;
  return err < 0 ? err : XIPC_ESYSTEM;
}
