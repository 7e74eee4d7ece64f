/* SPDX-License-Identifier: MIT */
/*
 * The one registry of tests and helpers. Included several times with
 * different definitions of the four macros (no include guard on purpose):
 *
 *   XIPC_TEST(family, case, timeout_ms)    a test; ctest entry "family.case";
 *                                          timeout 0 means the default (10 s)
 *   XIPC_HIDDEN(family, case, timeout_ms)  runnable by name, not a ctest entry
 *                                          (the runner's own self-tests use them)
 *   XIPC_HELPER(name)                      a helper process entry point
 *
 * tests/CMakeLists.txt reads the XIPC_TEST lines, one per line, to register
 * one ctest entry each.
 */
#ifndef XIPC_HIDDEN
#  define XIPC_HIDDEN(family, name, timeout_ms) XIPC_TEST(family, name, timeout_ms)
#endif
#ifndef XIPC_HELPER
#  define XIPC_HELPER(name)
#endif

/* test-version.c */
XIPC_TEST(version, macros_match_functions, 0)
XIPC_TEST(version, string_format, 0)

/* test-error.c */
XIPC_TEST(error, codes_named_and_distinct, 0)
XIPC_TEST(error, unknown_codes, 0)
XIPC_TEST(error, translation_table, 0)
XIPC_TEST(error, last_os_error_of_os_failure, 0)
XIPC_TEST(error, last_os_error_of_argument_error, 0)
XIPC_TEST(error, last_os_error_per_thread, 0)

/* test-clock.c */
XIPC_TEST(clock, monotonic, 0)
XIPC_TEST(clock, sleep_at_least, 0)

/* test-name.c */
XIPC_TEST(name, accepts_portable_characters, 0)
XIPC_TEST(name, rejects_null_and_empty, 0)
XIPC_TEST(name, rejects_dotdot, 0)
XIPC_TEST(name, rejects_separators, 0)
XIPC_TEST(name, rejects_control_characters, 0)
XIPC_TEST(name, rejects_non_ascii, 0)
XIPC_TEST(name, rejects_other_punctuation, 0)
XIPC_TEST(name, length_limit, 0)
XIPC_TEST(name, corpus, 0)
XIPC_TEST(name, kinds_never_collide, 0)
XIPC_TEST(name, hash_form, 0)
XIPC_TEST(name, kind_names, 0)
XIPC_TEST(name, bad_arguments, 0)
XIPC_TEST(name, buffer_too_small, 0)
XIPC_TEST(name, native_matches_map, 0)
XIPC_TEST(name, native_socket_path_too_long, 0)

/* test-spawn.c */
XIPC_TEST(spawn, exit_code, 0)
XIPC_TEST(spawn, exit_zero, 0)
XIPC_TEST(spawn, args_roundtrip, 0)
XIPC_TEST(spawn, env_replaced, 0)
XIPC_TEST(spawn, env_inherited, 0)
XIPC_TEST(spawn, cwd, 0)
XIPC_TEST(spawn, cwd_missing, 0)
XIPC_TEST(spawn, program_missing, 0)
XIPC_TEST(spawn, not_executable_format, 0)
XIPC_TEST(spawn, no_execute_permission, 0)
XIPC_TEST(spawn, search_path, 0)
XIPC_TEST(spawn, argv0_with_quote, 0)
XIPC_TEST(spawn, invalid_arguments, 0)
XIPC_TEST(spawn, wait_timeout, 0)
XIPC_TEST(spawn, wait_zero_timeout, 0)
XIPC_TEST(spawn, wait_twice, 0)
XIPC_TEST(spawn, kill_reports_signal, 0)
XIPC_TEST(spawn, kill_after_exit, 0)
XIPC_TEST(spawn, pid_matches_child, 0)
XIPC_TEST(spawn, handles_not_inherited, 0)
XIPC_TEST(spawn, stdio_null, 0)
XIPC_TEST(spawn, group_kill_reaches_grandchild, 0)
XIPC_TEST(spawn, group_close_reaches_grandchild, 0)
XIPC_TEST(spawn, self_exe, 0)

/* test-runner.c: the runner checks itself through hidden tests */
XIPC_TEST(runner, failure_is_reported, 0)
XIPC_TEST(runner, skip_is_reported, 0)
XIPC_TEST(runner, timeout_is_a_failure, 0)
XIPC_TEST(runner, crash_is_a_failure, 0)
XIPC_TEST(runner, helpers_die_with_test, 0)
XIPC_HIDDEN(runner, hidden_fails, 0)
XIPC_HIDDEN(runner, hidden_skips, 0)
XIPC_HIDDEN(runner, hidden_hangs, 300)
XIPC_HIDDEN(runner, hidden_crashes, 0)
XIPC_HIDDEN(runner, hidden_leaves_helper, 0)

/* Helpers (defined next to the tests that start them) */
XIPC_HELPER(exit_with)
XIPC_HELPER(check_args)
XIPC_HELPER(check_env)
XIPC_HELPER(check_cwd)
XIPC_HELPER(sleep_ms)
XIPC_HELPER(write_pid)
XIPC_HELPER(check_no_leak)
XIPC_HELPER(check_stdio_null)
XIPC_HELPER(touch_forever)
XIPC_HELPER(spawn_toucher)

#undef XIPC_TEST
#undef XIPC_HIDDEN
#undef XIPC_HELPER
