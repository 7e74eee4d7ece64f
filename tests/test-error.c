/* SPDX-License-Identifier: MIT */
#include "task.h"

static const int all_codes[] = {
#define CODE_(name, num, text) XIPC_##name,
    XIPC_ERRNO_MAP(CODE_)
#undef CODE_
};

TEST_IMPL(error, codes_named_and_distinct) {
  size_t i, j;
  ASSERT_GE(ARRAY_SIZE(all_codes), 20);
  for (i = 0; i < ARRAY_SIZE(all_codes); i++) {
    const char *name = xipc_err_name(all_codes[i]);
    ASSERT_LT(all_codes[i], -XIPC_ERRNO_BASE);
    ASSERT_TRUE(strncmp(name, "XIPC_E", 6) == 0);
    ASSERT_TRUE(strcmp(name, "XIPC_EUNKNOWN") != 0);
    ASSERT_GT(strlen(xipc_strerror(all_codes[i])), 5);
    ASSERT_TRUE(strcmp(xipc_strerror(all_codes[i]), "unknown error") != 0);
    for (j = 0; j < i; j++) {
      ASSERT_NE(all_codes[i], all_codes[j]);
      ASSERT_TRUE(strcmp(name, xipc_err_name(all_codes[j])) != 0);
    }
  }
  /* The pinned values: codes are part of the ABI and cross process boundaries. */
  ASSERT_EQ(XIPC_EINVAL, -3001);
  ASSERT_EQ(XIPC_ETIMEDOUT, -3004);
  ASSERT_EQ(XIPC_EOWNERDEAD, -3023);
  ASSERT_EQ(XIPC_ESYSTEM, -3099);
  ASSERT_STR_EQ(xipc_err_name(XIPC_EPIPE), "XIPC_EPIPE");
  ASSERT_STR_EQ(xipc_strerror(XIPC_ENOENT), "no such object or file");
}

TEST_IMPL(error, unknown_codes) {
  static const int unknown[] = {1, 42, -1, -2, -3000, -3098, -3100, -100000, 2147483647};
  size_t i;
  ASSERT_STR_EQ(xipc_err_name(0), "XIPC_OK");
  ASSERT_STR_EQ(xipc_strerror(0), "success");
  for (i = 0; i < ARRAY_SIZE(unknown); i++) {
    ASSERT_STR_EQ(xipc_err_name(unknown[i]), "XIPC_EUNKNOWN");
    ASSERT_STR_EQ(xipc_strerror(unknown[i]), "unknown error");
  }
  ASSERT_STR_EQ(xipc_err_name((int)(-2147483647 - 1)), "XIPC_EUNKNOWN");
}

TEST_IMPL(error, translation_table) {
  size_t n, i;
  const test_os_error_case_t *cases = test_os_error_cases(&n);
  ASSERT_GE(n, 30);
  for (i = 0; i < n; i++) {
    int got = xipc_err_from_os(cases[i].os_code);
    if (got != cases[i].expected)
      test_fail(__FILE__, __LINE__, "%s (%d) translated to %s, expected %s", cases[i].label,
                cases[i].os_code, xipc_err_name(got), xipc_err_name(cases[i].expected));
  }
}

TEST_IMPL(error, last_os_error_of_os_failure) {
  char dir[512], missing[600];
  const char *argv[2];
  xipc_spawn_options_t opts;
  xipc_process_t *proc = NULL;

  test_os_make_tmpdir(dir, sizeof dir);
  snprintf(missing, sizeof missing, "%s/no-such-program.exe", dir);
  argv[0] = missing;
  argv[1] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_ENOENT);
  ASSERT_NULL(proc);
  ASSERT_TRUE(test_os_is_not_found_code(xipc_last_os_error()));
  ASSERT_EQ(xipc_err_from_os(xipc_last_os_error()), XIPC_ENOENT);
  test_os_remove(dir);
}

TEST_IMPL(error, last_os_error_of_argument_error) {
  char dir[512], missing[600];
  const char *argv[2];
  xipc_spawn_options_t opts;
  xipc_process_t *proc;

  /* First an OS failure sets the code, then an argument error clears it. */
  test_os_make_tmpdir(dir, sizeof dir);
  snprintf(missing, sizeof missing, "%s/missing.exe", dir);
  argv[0] = missing;
  argv[1] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_ENOENT);
  ASSERT_NE(xipc_last_os_error(), 0);
  ASSERT_ERR(xipc_name_validate("a/b"), XIPC_EINVAL);
  ASSERT_EQ(xipc_last_os_error(), 0);
  test_os_remove(dir);
}

static void fail_in_thread(void *arg) {
  const char *argv[2] = {"/no/such/dir/prog.exe", NULL};
  xipc_spawn_options_t opts;
  xipc_process_t *proc;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  *(int *)arg = xipc_spawn(&proc, &opts);
  ((int *)arg)[1] = xipc_last_os_error();
}

TEST_IMPL(error, last_os_error_per_thread) {
  int result[2] = {0, 0};
  ASSERT_ERR(xipc_name_validate(""), XIPC_EINVAL);
  ASSERT_EQ(xipc_last_os_error(), 0);
  test_os_run_thread(fail_in_thread, result);
  ASSERT_EQ(result[0], XIPC_ENOENT);
  ASSERT_TRUE(test_os_is_not_found_code(result[1]));
  /* The other thread's failure did not touch this thread's code. */
  ASSERT_EQ(xipc_last_os_error(), 0);
}
