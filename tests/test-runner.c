/* SPDX-License-Identifier: MIT */
/*
 * The runner checks itself: hidden tests that fail, skip, hang, crash or
 * leave a helper behind are run through the runner, as ctest runs them, and
 * the outcome must be what ctest needs to see.
 */
#include "task.h"

#include <stdlib.h>

/* Run "xipc_tests <test>" and return its exit status. */
static xipc_exit_t run_runner(const char *test) {
  const char *argv[3];
  xipc_spawn_options_t opts;
  argv[0] = test_self_exe();
  argv[1] = test;
  argv[2] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  return helper_finish(helper_start_opts(&opts));
}

TEST_IMPL(runner, hidden_fails) {
  ASSERT_EQ(1 + 1, 3);
}

TEST_IMPL(runner, hidden_skips) {
  SKIP("runner self-test: how ctest sees a skip");
}

TEST_IMPL(runner, hidden_hangs) {
  xipc_sleep_ms(60000);
}

TEST_IMPL(runner, hidden_crashes) {
  volatile int *p = NULL;
  *p = 1;
}

TEST_IMPL(runner, hidden_leaves_helper) {
  const char *path = test_os_getenv("XIPC_TEST_TOUCH_PATH");
  xipc_process_t *helper;
  ASSERT_NOT_NULL(path);
  helper = helper_start("touch_forever", path, NULL);
  test_wait_file_grows(path);
  /* Release the handle but leave the helper running: the runner must stop it. */
  xipc_process_close(helper);
}

TEST_IMPL(runner, failure_is_reported) {
  xipc_exit_t status = run_runner("runner.hidden_fails");
  ASSERT_EQ(status.signal, 0);
  ASSERT_EQ(status.code, 1);
}

TEST_IMPL(runner, skip_is_reported) {
  xipc_exit_t status = run_runner("runner.hidden_skips");
  ASSERT_EQ(status.signal, 0);
  ASSERT_EQ(status.code, TEST_SKIP_CODE);
}

TEST_IMPL(runner, timeout_is_a_failure) {
  int64_t start = test_now_ms();
  xipc_exit_t status = run_runner("runner.hidden_hangs");
  ASSERT_EQ(status.code, 1);
  /* Its timeout is 300 ms (times the multiplier); it must not have waited for the minute. */
  ASSERT_GE(test_now_ms() - start, 300);
  ASSERT_LT(test_now_ms() - start, test_timeout(9000));
}

TEST_IMPL(runner, crash_is_a_failure) {
  xipc_exit_t status = run_runner("runner.hidden_crashes");
  ASSERT_EQ(status.signal, 0);
  ASSERT_EQ(status.code, 1);
}

TEST_IMPL(runner, helpers_die_with_test) {
  char dir[512], path[600];
  xipc_exit_t status;
  test_os_make_tmpdir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/helper-alive", dir);
  test_os_setenv("XIPC_TEST_TOUCH_PATH", path);
  status = run_runner("runner.hidden_leaves_helper");
  ASSERT_EQ(status.code, 0);
  ASSERT_GE(test_file_size(path), 3);
  test_expect_file_stopped(path);
  test_os_remove(path);
  test_os_remove(dir);
}
