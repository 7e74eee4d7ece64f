/* SPDX-License-Identifier: MIT */
/* xipc_spawn and friends, with real child processes (helpers of this runner). */
#include "task.h"

#include <stdlib.h>

/* ---- Helpers --------------------------------------------------------- */

HELPER_IMPL(exit_with) {
  return argc == 1 ? atoi(argv[0]) : 100;
}

HELPER_IMPL(sleep_ms) {
  if (argc != 1)
    return 100;
  xipc_sleep_ms(atoi(argv[0]));
  return 0;
}

/* Arguments that are hard to pass through a Windows command line. */
static const char *const tricky_args[] = {
    "",
    "simple",
    "two words",
    "tab\there",
    "new\nline",
    "quote\"inside",
    "\"",
    "\"\"",
    "\\",
    "\\\\",
    "trailing\\",
    "trailing two\\\\",
    "back\\\"slash-quote",
    "a\\\\\"b",
    "\\\"",
    "  leading and trailing  ",
    "C:\\Program Files\\x\\",
    "semi;colon&amp|pipe<in>out^caret",
    "%PATH%",
    "$HOME",
    "*?[a]",
    "-",
    "--",
    "=",
    "caf\xc3\xa9",
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
    "\xf0\x9f\x98\x80 emoji",
};

static bool is_ascii(const char *s) {
  for (; *s != '\0'; s++) {
    if ((unsigned char)*s >= 0x80)
      return false;
  }
  return true;
}

HELPER_IMPL(check_args) {
  size_t i;
  if ((size_t)argc != ARRAY_SIZE(tricky_args)) {
    fprintf(stderr, "check_args: %d arguments, expected %d\n", argc, (int)ARRAY_SIZE(tricky_args));
    return 1;
  }
  for (i = 0; i < ARRAY_SIZE(tricky_args); i++) {
    if (strcmp(argv[i], tricky_args[i]) != 0) {
      fprintf(stderr, "check_args: argument %d is \"%s\", expected \"%s\"\n", (int)i, argv[i],
              tricky_args[i]);
      return 1;
    }
    /* The C runtime's own argv (not only the UTF-8 view) agrees on plain ASCII. */
    if (is_ascii(tricky_args[i]) && strcmp(test_raw_argv[i + 3], tricky_args[i]) != 0) {
      fprintf(stderr, "check_args: C runtime argument %d is \"%s\", expected \"%s\"\n", (int)i,
              test_raw_argv[i + 3], tricky_args[i]);
      return 1;
    }
  }
  return 0;
}

/* Arguments "NAME=value" (must be set to exactly value) or "NAME" (must be unset). */
HELPER_IMPL(check_env) {
  int i;
  for (i = 0; i < argc; i++) {
    char name[128];
    const char *eq = strchr(argv[i], '='), *value;
    size_t len = eq != NULL ? (size_t)(eq - argv[i]) : strlen(argv[i]);
    snprintf(name, sizeof name, "%.*s", (int)len, argv[i]);
    value = test_os_getenv(name);
    if (eq == NULL && value != NULL) {
      fprintf(stderr, "check_env: %s is set to \"%s\", expected unset\n", name, value);
      return 1;
    }
    if (eq != NULL && (value == NULL || strcmp(value, eq + 1) != 0)) {
      fprintf(stderr, "check_env: %s is \"%s\", expected \"%s\"\n", name, value ? value : "(unset)",
              eq + 1);
      return 1;
    }
  }
  return 0;
}

HELPER_IMPL(check_cwd) {
  char cwd[1024];
  if (argc != 1)
    return 100;
  test_os_getcwd(cwd, sizeof cwd);
  if (strcmp(cwd, argv[0]) != 0) {
    fprintf(stderr, "check_cwd: in \"%s\", expected \"%s\"\n", cwd, argv[0]);
    return 1;
  }
  return 0;
}

HELPER_IMPL(write_pid) {
  FILE *f;
  if (argc != 1 || (f = fopen(argv[0], "w")) == NULL)
    return 100;
  fprintf(f, "%d\n", xipc_self_pid());
  return fclose(f) == 0 ? 0 : 101;
}

HELPER_IMPL(check_no_leak) {
  int handles = test_os_count_handles();
  if (argc != 1)
    return 100;
  if (test_os_probe_visible(argv[0])) {
    fprintf(stderr, "check_no_leak: the parent's inheritable probe %s reached the child\n",
            argv[0]);
    return 1;
  }
  /* Where descriptors can be counted: stdin, stdout, stderr and nothing else. */
  if (handles >= 0 && handles != 3) {
    fprintf(stderr, "check_no_leak: %d descriptors open, expected 3\n", handles);
    return 1;
  }
  return 0;
}

HELPER_IMPL(check_stdio_null) {
  int i;
  (void)argc;
  (void)argv;
  for (i = 0; i < 3; i++) {
    if (!test_os_stdio_is_null(i))
      return 10 + i;
  }
  return 0;
}

/* Append one byte to a file every 10 ms, for ever: a visible sign of life. */
HELPER_IMPL(touch_forever) {
  if (argc != 1)
    return 100;
  for (;;) {
    FILE *f = fopen(argv[0], "ab");
    if (f != NULL) {
      fputc('.', f);
      fclose(f);
    }
    xipc_sleep_ms(10);
  }
}

/* Start touch_forever as a child of this helper (no group of its own), then wait. */
HELPER_IMPL(spawn_toucher) {
  if (argc != 1)
    return 100;
  helper_start("touch_forever", argv[0], NULL);
  xipc_sleep_ms(60000);
  return 0;
}

/* ---- Utilities ------------------------------------------------------- */

static void write_file(const char *path, const char *contents) {
  FILE *f = fopen(path, "wb");
  ASSERT_NOT_NULL(f);
  ASSERT_EQ(fwrite(contents, 1, strlen(contents), f), strlen(contents));
  ASSERT_EQ(fclose(f), 0);
}

static void spawn_argv(const char *const *argv, int expected_code) {
  xipc_spawn_options_t opts;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  helper_expect_exit(helper_start_opts(&opts), expected_code);
}

/* ---- Tests ----------------------------------------------------------- */

TEST_IMPL(spawn, exit_code) {
  helper_expect_exit(helper_start("exit_with", "42", NULL), 42);
  helper_expect_exit(helper_start("exit_with", "1", NULL), 1);
  helper_expect_exit(helper_start("exit_with", "255", NULL), 255);
}

TEST_IMPL(spawn, exit_zero) {
  xipc_exit_t status = helper_finish(helper_start("exit_with", "0", NULL));
  ASSERT_EQ(status.code, 0);
  ASSERT_EQ(status.signal, 0);
}

TEST_IMPL(spawn, args_roundtrip) {
  const char *argv[ARRAY_SIZE(tricky_args) + 4];
  const char *const *base = helper_argv("check_args", NULL);
  size_t i;
  for (i = 0; i < 3; i++)
    argv[i] = base[i];
  for (i = 0; i < ARRAY_SIZE(tricky_args); i++)
    argv[3 + i] = tricky_args[i];
  argv[3 + i] = NULL;
  spawn_argv(argv, 0);
}

TEST_IMPL(spawn, env_replaced) {
  static const char *const env[] = {"XIPC_TEST_A=1", "XIPC_TEST_B=two words",
                                    "XIPC_TEST_EMPTY=", "XIPC_TEST_U=h\xc3\xa9llo", NULL};
  xipc_spawn_options_t opts;
  test_os_setenv("XIPC_TEST_PARENT", "only in the parent");
  memset(&opts, 0, sizeof opts);
  opts.argv = helper_argv("check_env", "XIPC_TEST_A=1", "XIPC_TEST_B=two words",
                          "XIPC_TEST_U=h\xc3\xa9llo", "XIPC_TEST_PARENT", NULL);
  opts.env = env;
  helper_expect_exit(helper_start_opts(&opts), 0);
}

/* An empty environment is a valid one: the child starts with (almost) nothing set. */
TEST_IMPL(spawn, env_empty) {
  static const char *const env[] = {NULL};
  xipc_spawn_options_t opts;
  test_os_setenv("XIPC_TEST_PARENT", "only in the parent");
  memset(&opts, 0, sizeof opts);
  opts.argv = helper_argv("check_env", "XIPC_TEST_PARENT", "XIPC_TEST_A", NULL);
  opts.env = env;
  helper_expect_exit(helper_start_opts(&opts), 0);
}

/* Windows runs .bat/.cmd files through cmd.exe, which re-reads arguments: xipc refuses them. */
TEST_IMPL(spawn, batch_file_refused) {
  char dir[512], path[600];
  const char *argv[3];
  xipc_spawn_options_t opts;
  xipc_process_t *proc = NULL;
  if (xipc_name_map(XIPC_SCHEME_HOST, XIPC_KIND_SHM, "a", path, sizeof path) > 0 && path[0] == '/')
    SKIP("POSIX starts no command interpreter behind a program's back");
  test_os_make_tmpdir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s\\run.BAT", dir);
  write_file(path, "@echo off\r\nexit /b 0\r\n");
  argv[0] = path;
  argv[1] = "& echo injected";
  argv[2] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EINVAL);
  ASSERT_NULL(proc);
  {
    /* Windows drops trailing dots and spaces: these name the same batch file (CVE-2024-43402). */
    static const char *const suffixes[] = {".", " ", ". .", "..."};
    char alias[620];
    size_t i;
    for (i = 0; i < ARRAY_SIZE(suffixes); i++) {
      snprintf(alias, sizeof alias, "%s%s", path, suffixes[i]);
      argv[0] = alias;
      ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EINVAL);
      ASSERT_NULL(proc);
    }
  }
  test_os_remove(path);
  test_os_remove(dir);
}

TEST_IMPL(spawn, env_inherited) {
  test_os_setenv("XIPC_TEST_PARENT", "passed on");
  helper_expect_exit(helper_start("check_env", "XIPC_TEST_PARENT=passed on", "XIPC_TEST_A", NULL),
                     0);
}

TEST_IMPL(spawn, cwd) {
  char dir[512], canonical[1024];
  xipc_spawn_options_t opts;
  test_os_make_tmpdir(dir, sizeof dir);
  test_os_canonical(dir, canonical, sizeof canonical);
  memset(&opts, 0, sizeof opts);
  opts.argv = helper_argv("check_cwd", canonical, NULL);
  opts.cwd = dir;
  helper_expect_exit(helper_start_opts(&opts), 0);
  test_os_remove(dir);
}

TEST_IMPL(spawn, cwd_missing) {
  char dir[512], missing[600];
  xipc_spawn_options_t opts;
  xipc_process_t *proc = NULL;
  test_os_make_tmpdir(dir, sizeof dir);
  snprintf(missing, sizeof missing, "%s/not-there", dir);
  memset(&opts, 0, sizeof opts);
  opts.argv = helper_argv("exit_with", "0", NULL);
  opts.cwd = missing;
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_ENOENT);
  ASSERT_NULL(proc);
  test_os_remove(dir);
}

TEST_IMPL(spawn, program_missing) {
  char dir[512], missing[600];
  const char *argv[2];
  xipc_spawn_options_t opts;
  xipc_process_t *proc = NULL;
  test_os_make_tmpdir(dir, sizeof dir);
  snprintf(missing, sizeof missing, "%s/missing.exe", dir);
  argv[0] = missing;
  argv[1] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_ENOENT);
  ASSERT_NULL(proc);
  /* Searching the PATH for a name nobody has fails the same way. */
  argv[0] = "xipc-no-such-program-anywhere";
  opts.flags = XIPC_SPAWN_SEARCH_PATH;
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_ENOENT);
  test_os_remove(dir);
}

TEST_IMPL(spawn, not_executable_format) {
  char dir[512], path[600];
  const char *argv[2];
  xipc_spawn_options_t opts;
  xipc_process_t *proc = NULL;
  test_os_make_tmpdir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/garbage.exe", dir);
  write_file(path, "this is text, not a program\n");
  test_os_make_executable(path);
  argv[0] = path;
  argv[1] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_ENOEXEC);
  ASSERT_NULL(proc);
  test_os_remove(path);
  test_os_remove(dir);
}

TEST_IMPL(spawn, no_execute_permission) {
  char dir[512], path[600];
  const char *argv[2];
  xipc_spawn_options_t opts;
  xipc_process_t *proc = NULL;
  if (xipc_name_map(XIPC_SCHEME_HOST, XIPC_KIND_SHM, "a", path, sizeof path) > 0 && path[0] != '/')
    SKIP("Windows has no execute permission bit (denying execution takes an ACL and a second "
         "user)");
  test_os_make_tmpdir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/not-executable", dir);
  write_file(path, "#!/bin/sh\nexit 0\n");
  argv[0] = path;
  argv[1] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EACCES);
  ASSERT_NULL(proc);
  test_os_remove(path);
  test_os_remove(dir);
}

TEST_IMPL(spawn, search_path) {
  const char *argv[5], *file;
  char script[32];
  xipc_spawn_options_t opts;
  xipc_process_t *proc = NULL;
  test_os_shell_exit(3, &file, argv, script, sizeof script);
  memset(&opts, 0, sizeof opts);
  opts.file = file;
  opts.argv = argv;
  /* Without the flag a bare name is not looked up in the PATH. */
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_ENOENT);
  opts.flags = XIPC_SPAWN_SEARCH_PATH;
  helper_expect_exit(helper_start_opts(&opts), 3);
}

TEST_IMPL(spawn, argv0_with_quote) {
  const char *argv[5];
  const char *const *base = helper_argv("exit_with", "5", NULL);
  xipc_spawn_options_t opts;
  xipc_process_t *proc = NULL;
  char mapped[64];
  argv[0] = "name\"with quote";
  argv[1] = base[1];
  argv[2] = base[2];
  argv[3] = base[3];
  argv[4] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.file = base[0];
  opts.argv = argv;
  ASSERT_GT(xipc_name_map(XIPC_SCHEME_HOST, XIPC_KIND_SHM, "a", mapped, sizeof mapped), 0);
  if (mapped[0] == '/') {
    helper_expect_exit(helper_start_opts(&opts), 5); /* POSIX passes argv[0] through */
  } else {
    /* A Windows command line cannot carry a quote in the program name. */
    ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EINVAL);
    ASSERT_NULL(proc);
  }
}

TEST_IMPL(spawn, invalid_arguments) {
  const char *const empty[] = {NULL};
  xipc_spawn_options_t opts;
  xipc_process_t *proc = (xipc_process_t *)&opts; /* must be reset to NULL on failure */
  xipc_exit_t status;

  memset(&opts, 0, sizeof opts);
  ASSERT_ERR(xipc_spawn(NULL, &opts), XIPC_EINVAL);
  ASSERT_ERR(xipc_spawn(&proc, NULL), XIPC_EINVAL);
  ASSERT_NULL(proc);
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EINVAL); /* argv NULL */
  opts.argv = empty;
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EINVAL); /* argv[0] NULL */
  opts.argv = helper_argv("exit_with", "0", NULL);
  opts.flags = 1u << 20;
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EINVAL);
  opts.flags = 0;
  opts.stdio[1].kind = (xipc_stdio_kind_t)42;
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EINVAL);
  opts.stdio[1].kind = XIPC_STDIO_INHERIT;
  opts.file = "";
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EINVAL);
  opts.file = NULL;
  {
    /* Environment entries must be NAME=value with a name. */
    static const char *const no_equals[] = {"XIPC_A=1", "NOEQUALS", NULL};
    static const char *const empty[] = {"", NULL};
    static const char *const no_name[] = {"=value", NULL};
    opts.env = no_equals;
    ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EINVAL);
    opts.env = empty;
    ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EINVAL);
    opts.env = no_name;
    ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EINVAL);
    opts.env = NULL;
  }
  ASSERT_EQ(xipc_last_os_error(), 0);

  ASSERT_ERR(xipc_process_wait(NULL, 0, &status), XIPC_EINVAL);
  ASSERT_ERR(xipc_process_kill(NULL), XIPC_EINVAL);
  ASSERT_ERR(xipc_process_pid(NULL), XIPC_EINVAL);
  ASSERT_EQ(xipc_process_native(NULL), XIPC_OS_HANDLE_INVALID);
  xipc_process_close(NULL);

  opts.file = NULL;
  proc = helper_start_opts(&opts);
  ASSERT_ERR(xipc_process_wait(proc, -2, &status), XIPC_EINVAL);
  ASSERT_OK(xipc_process_wait(proc, -1, NULL)); /* the status pointer is optional */
  xipc_process_close(proc);
}

TEST_IMPL(spawn, wait_timeout) {
  xipc_process_t *proc = helper_start("sleep_ms", "30000", NULL);
  xipc_exit_t status;
  int64_t start = test_now_ms();
  ASSERT_ERR(xipc_process_wait(proc, 100, &status), XIPC_ETIMEDOUT);
  ASSERT_GE(test_now_ms() - start, 100);
  ASSERT_OK(xipc_process_kill(proc));
  ASSERT_OK(xipc_process_wait(proc, test_timeout(5000), &status));
  ASSERT_EQ(status.signal, 9);
  xipc_process_close(proc);
}

TEST_IMPL(spawn, wait_zero_timeout) {
  xipc_process_t *proc = helper_start("sleep_ms", "30000", NULL);
  xipc_exit_t status;
  int64_t start = test_now_ms();
  ASSERT_ERR(xipc_process_wait(proc, 0, &status), XIPC_EAGAIN);
  ASSERT_LT(test_now_ms() - start, test_timeout(1000));
  ASSERT_OK(xipc_process_kill(proc));
  ASSERT_OK(xipc_process_wait(proc, -1, &status));
  /* Once it has ended, a zero timeout reports it. */
  ASSERT_OK(xipc_process_wait(proc, 0, &status));
  ASSERT_EQ(status.signal, 9);
  xipc_process_close(proc);
}

TEST_IMPL(spawn, wait_twice) {
  xipc_process_t *proc = helper_start("exit_with", "7", NULL);
  xipc_exit_t a, b;
  ASSERT_OK(xipc_process_wait(proc, test_timeout(10000), &a));
  ASSERT_OK(xipc_process_wait(proc, 0, &b));
  ASSERT_EQ(a.code, 7);
  ASSERT_EQ(b.code, 7);
  ASSERT_EQ(b.signal, 0);
  xipc_process_close(proc);
}

TEST_IMPL(spawn, kill_reports_signal) {
  xipc_process_t *proc = helper_start("sleep_ms", "30000", NULL);
  xipc_exit_t status;
  ASSERT_OK(xipc_process_kill(proc));
  ASSERT_OK(xipc_process_wait(proc, test_timeout(5000), &status));
  ASSERT_EQ(status.signal, 9);
  ASSERT_EQ(status.code, -1);
  /* Killing again, after it ended, is no error. */
  ASSERT_OK(xipc_process_kill(proc));
  xipc_process_close(proc);
}

TEST_IMPL(spawn, kill_after_exit) {
  xipc_process_t *proc = helper_start("exit_with", "4", NULL);
  xipc_exit_t status;
  ASSERT_OK(xipc_process_wait(proc, test_timeout(10000), &status));
  ASSERT_OK(xipc_process_kill(proc));
  ASSERT_OK(xipc_process_wait(proc, 0, &status));
  ASSERT_EQ(status.code, 4);
  ASSERT_EQ(status.signal, 0);
  xipc_process_close(proc);
}

TEST_IMPL(spawn, pid_matches_child) {
  char dir[512], path[600];
  xipc_process_t *proc;
  FILE *f;
  int pid = 0, child_pid;
  test_os_make_tmpdir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/pid", dir);
  proc = helper_start("write_pid", path, NULL);
  child_pid = xipc_process_pid(proc);
  ASSERT_GT(child_pid, 0);
  ASSERT_NE(child_pid, xipc_self_pid());
  ASSERT_NE(xipc_process_native(proc), XIPC_OS_HANDLE_INVALID);
  helper_expect_exit(proc, 0);
  f = fopen(path, "r");
  ASSERT_NOT_NULL(f);
  ASSERT_EQ(fscanf(f, "%d", &pid), 1);
  fclose(f);
  ASSERT_EQ(pid, child_pid);
  test_os_remove(path);
  test_os_remove(dir);
}

TEST_IMPL(spawn, handles_not_inherited) {
  char token[64];
  test_os_make_inheritable_probe(token, sizeof token);
  /* The probe works in this process, so its absence in the child means something. */
  ASSERT_TRUE(test_os_probe_visible(token));
  helper_expect_exit(helper_start("check_no_leak", token, NULL), 0);
}

TEST_IMPL(spawn, stdio_null) {
  xipc_spawn_options_t opts;
  memset(&opts, 0, sizeof opts);
  opts.argv = helper_argv("check_stdio_null", NULL);
  opts.stdio[0].kind = XIPC_STDIO_NULL;
  opts.stdio[1].kind = XIPC_STDIO_NULL;
  opts.stdio[2].kind = XIPC_STDIO_NULL;
  helper_expect_exit(helper_start_opts(&opts), 0);
}

/* Wait until the file grows, then check it stopped growing after the group was ended. */
static void check_group_end(bool by_kill) {
  char dir[512], path[600];
  xipc_spawn_options_t opts;
  xipc_process_t *proc;
  xipc_exit_t status;

  test_os_make_tmpdir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/alive", dir);
  memset(&opts, 0, sizeof opts);
  opts.argv = helper_argv("spawn_toucher", path, NULL);
  opts.flags = XIPC_SPAWN_GROUP;
  proc = helper_start_opts(&opts);
  test_wait_file_grows(path);
  if (by_kill) {
    ASSERT_OK(xipc_process_kill(proc));
    ASSERT_OK(xipc_process_wait(proc, test_timeout(5000), &status));
    ASSERT_EQ(status.signal, 9);
  }
  xipc_process_close(proc);
  test_expect_file_stopped(path);
  test_os_remove(path);
  test_os_remove(dir);
}

TEST_IMPL(spawn, group_kill_reaches_grandchild) {
  check_group_end(true);
}

TEST_IMPL(spawn, group_close_reaches_grandchild) {
  check_group_end(false);
}

TEST_IMPL(spawn, self_exe) {
  char path[4096], small[4];
  int n = xipc_self_exe(path, sizeof path);
  ASSERT_GT(n, 0);
  ASSERT_EQ(n, (int)strlen(path));
  /* Absolute: "/..." on POSIX, "X:\..." on Windows. */
  ASSERT_TRUE(path[0] == '/' || (path[1] == ':' && path[2] == '\\'));
  ASSERT_TRUE(strstr(path, "xipc_tests") != NULL);
  ASSERT_ERR(xipc_self_exe(small, sizeof small), XIPC_ENOBUFS);
  ASSERT_ERR(xipc_self_exe(NULL, 10), XIPC_EINVAL);
  ASSERT_ERR(xipc_self_exe(path, 0), XIPC_EINVAL);
  ASSERT_GT(xipc_self_pid(), 0);
}
