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
XIPC_TEST(spawn, env_empty, 0)
XIPC_TEST(spawn, batch_file_refused, 0)
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

/* test-spawn-stdio.c */
XIPC_TEST(spawn, stdout_captured, 0)
XIPC_TEST(spawn, stderr_to_stream, 0)
XIPC_TEST(spawn, stdin_and_stdout_piped, 30000)
XIPC_TEST(spawn, inherit_extra_streams, 0)
XIPC_TEST(spawn, inherit_only_what_is_given, 0)
XIPC_TEST(spawn, inherit_invalid_lists, 0)

/* test-pipe.c */
XIPC_TEST(pipe, roundtrip, 0)
XIPC_TEST(pipe, end_of_stream, 0)
XIPC_TEST(pipe, epipe_without_signal, 0)
XIPC_TEST(pipe, epipe_after_reader_killed, 0)
XIPC_TEST(pipe, ignore_sigpipe_opt_in, 0)
XIPC_TEST(pipe, read_timeout_zero, 0)
XIPC_TEST(pipe, read_timeout_50ms, 0)
XIPC_TEST(pipe, read_infinite_waits_for_data, 0)
XIPC_TEST(pipe, timed_out_read_loses_nothing, 0)
XIPC_TEST(pipe, write_timeout_when_full, 0)
XIPC_TEST(pipe, partial_write_reported, 0)
XIPC_TEST(pipe, timed_write_with_slow_reader, 0)
XIPC_TEST(pipe, read_exact_and_write_all, 0)
XIPC_TEST(pipe, read_exact_hits_end, 0)
XIPC_TEST(pipe, invalid_arguments, 0)
XIPC_TEST(pipe, bad_tokens, 0)
XIPC_TEST(pipe, from_native, 0)
XIPC_TEST(pipe, capacity_hint, 0)
XIPC_TEST(pipe, bulk_64mib_through_child, 60000)
XIPC_TEST(pipe, atomic_concurrent_writers, 30000)

/* test-fifo.c */
XIPC_TEST(fifo, roundtrip_in_one_process, 0)
XIPC_TEST(fifo, writer_in_other_process, 0)
XIPC_TEST(fifo, reader_in_other_process, 0)
XIPC_TEST(fifo, reader_opens_before_writer, 0)
XIPC_TEST(fifo, writer_opens_after_reader, 0)
XIPC_TEST(fifo, writer_without_reader, 0)
XIPC_TEST(fifo, eof_after_writer_closes, 0)
XIPC_TEST(fifo, epipe_after_reader_closes, 0)
XIPC_TEST(fifo, new_writer_after_end, 0)
XIPC_TEST(fifo, unopened_end_not_inheritable, 0)
XIPC_TEST(fifo, create_is_exclusive, 0)
XIPC_TEST(fifo, open_missing, 0)
XIPC_TEST(fifo, invalid_arguments, 0)
XIPC_TEST(fifo, unlink, 0)
XIPC_TEST(fifo, second_writer, 0)
XIPC_TEST(fifo, private_by_default, 0)
XIPC_TEST(fifo, shared_runtime_dir_refused, 0)
XIPC_TEST(fifo, shell_writes_into_fifo, 0)
XIPC_TEST(fifo, cat_reads_from_fifo, 0)

/* test-shm.c */
XIPC_TEST(shm, create_and_open_in_child, 0)
XIPC_TEST(shm, opener_learns_size, 0)
XIPC_TEST(shm, create_is_exclusive, 0)
XIPC_TEST(shm, open_missing, 0)
XIPC_TEST(shm, read_only_refuses_writes, 0)
XIPC_TEST(shm, private_by_default, 0)
XIPC_TEST(shm, unlink, 0)
XIPC_TEST(shm, native_name_plain_program_opens, 0)
XIPC_TEST(shm, native_name_opens_plain_segment, 0)
XIPC_TEST(shm, invalid_arguments, 0)
XIPC_TEST(shm, anonymous_to_child, 0)
XIPC_TEST(shm, anonymous_not_inherited_by_default, 0)
XIPC_TEST(mmap, create_extends_and_flushes, 0)
XIPC_TEST(mmap, maps_existing_file, 0)
XIPC_TEST(mmap, shared_between_processes, 0)
XIPC_TEST(mmap, read_only_refuses_writes, 0)
XIPC_TEST(mmap, never_shrinks, 0)
XIPC_TEST(mmap, errors, 0)

/* test-sem.c */
XIPC_TEST(sem, create_open_post_wait, 0)
XIPC_TEST(sem, create_is_exclusive, 0)
XIPC_TEST(sem, open_missing, 0)
XIPC_TEST(sem, invalid_arguments, 0)
XIPC_TEST(sem, wait_timeout_zero, 0)
XIPC_TEST(sem, wait_timeout_50ms, 0)
XIPC_TEST(sem, wait_infinite_released_by_child, 0)
XIPC_TEST(sem, trywait, 0)
XIPC_TEST(sem, post_overflow, 0)
XIPC_TEST(sem, count_of_killed_holder_stays_taken, 0)
XIPC_TEST(sem, unlink, 0)
XIPC_TEST(sem, name_shared_with_other_kinds, 0)
XIPC_TEST(sem, private_by_default, 0)
XIPC_TEST(sem, ping_pong_processes, 0)

/* test-mutex.c */
XIPC_TEST(mutex, lock_unlock, 0)
XIPC_TEST(mutex, unlock_through_other_handle, 0)
XIPC_TEST(mutex, create_is_exclusive, 0)
XIPC_TEST(mutex, open_missing, 0)
XIPC_TEST(mutex, invalid_arguments, 0)
XIPC_TEST(mutex, lock_timeout_while_child_holds, 0)
XIPC_TEST(mutex, unlock_not_held, 0)
XIPC_TEST(mutex, relock_is_refused, 0)
XIPC_TEST(mutex, consistent_without_owner_death, 0)
XIPC_TEST(mutex, owner_killed_in_critical_section, 60000)
XIPC_TEST(mutex, not_recoverable_without_consistent, 0)
XIPC_TEST(mutex, creation_race, 60000)
XIPC_TEST(mutex, mutual_exclusion_processes, 0)
XIPC_TEST(mutex, unlink, 0)
XIPC_TEST(mutex, private_by_default, 0)

/* test-shm-buffer.c */
XIPC_TEST(shm, bounded_buffer_processes, 60000)
XIPC_TEST(shm, bounded_buffer_threads, 60000)

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
XIPC_HELPER(relay)
XIPC_HELPER(late_writer)
XIPC_HELPER(hold_stream)
XIPC_HELPER(frame_writer)
XIPC_HELPER(print_and_exit)
XIPC_HELPER(cat)
XIPC_HELPER(echo_reply)
XIPC_HELPER(check_given_only)
XIPC_HELPER(fifo_writer)
XIPC_HELPER(fifo_reader)
XIPC_HELPER(shm_check_and_reply)
XIPC_HELPER(shm_from_token)
XIPC_HELPER(shm_token_not_given)
XIPC_HELPER(shm_write_read_only)
XIPC_HELPER(plain_shm_write)
XIPC_HELPER(mmap_write_child)
XIPC_HELPER(sem_post_later)
XIPC_HELPER(sem_take_and_hold)
XIPC_HELPER(sem_pong)
XIPC_HELPER(mutex_hold_forever)
XIPC_HELPER(mutex_hold_until_released)
XIPC_HELPER(mutex_expect_lock)
XIPC_HELPER(mutex_open_race)
XIPC_HELPER(mutex_increment)
XIPC_HELPER(bb_producer)
XIPC_HELPER(bb_consumer)

#undef XIPC_TEST
#undef XIPC_HIDDEN
#undef XIPC_HELPER
