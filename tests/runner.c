/* SPDX-License-Identifier: MIT */
/*
 * The test runner. One executable holds every test and helper; each test
 * runs in a process of its own, which the runner starts by re-executing
 * itself through xipc_spawn():
 *
 *   xipc_tests                          run every test, print a summary
 *   xipc_tests --list                   print the registered tests
 *   xipc_tests <family.case>            run one test in a child with its timeout
 *                                       (what each ctest entry does)
 *   xipc_tests --run <family.case>      (internal) the test process itself
 *   xipc_tests --helper <name> [args]   (internal) a helper process
 *
 * The test process is started with XIPC_SPAWN_GROUP, so the helpers it starts
 * die with it: the runner kills the group when the test ends or times out
 * (a process group on POSIX, a kill-on-close job object on Windows).
 *
 * Exit codes: 0 passed, 77 skipped (the test printed "SKIP: <reason>"),
 * anything else failed.
 */
#include "task.h"

#include <stdarg.h>
#include <stdlib.h>

#define DEFAULT_TIMEOUT_MS 10000

typedef void (*test_fn)(void);
typedef int (*helper_fn)(int argc, char **argv);

#define XIPC_TEST(family, name, timeout_ms) TEST_IMPL(family, name);
#define XIPC_HELPER(name)                   HELPER_IMPL(name);
#include "test-list.h"

typedef struct test_entry {
  const char *name; /* "family.case" */
  test_fn fn;
  int timeout_ms;
  bool hidden;
} test_entry_t;

typedef struct helper_entry {
  const char *name;
  helper_fn fn;
} helper_entry_t;

static const test_entry_t tests[] = {
#define XIPC_TEST(family, name, timeout_ms) \
  {#family "." #name, test_##family##__##name, timeout_ms, false},
#define XIPC_HIDDEN(family, name, timeout_ms) \
  {#family "." #name, test_##family##__##name, timeout_ms, true},
#include "test-list.h"
};

static const helper_entry_t helpers[] = {
#define XIPC_TEST(family, name, timeout_ms)
#define XIPC_HELPER(name) {#name, helper_##name},
#include "test-list.h"
};

int test_raw_argc;
char **test_raw_argv;
static char self_exe[4096];

/* ---- Failure reporting ----------------------------------------------- */

TEST_NORETURN void test_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "FAIL: %s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(stderr);
  exit(1);
}

TEST_NORETURN void test_fail_int(const char *file, int line, const char *expr, intmax_t a,
                                 intmax_t b) {
  test_fail(file, line, "%s\n      left: %jd\n     right: %jd", expr, a, b);
}

TEST_NORETURN void test_fail_str(const char *file, int line, const char *expr, const char *a,
                                 const char *b) {
  test_fail(file, line, "%s\n      left: \"%s\"\n     right: \"%s\"", expr, a ? a : "(null)",
            b ? b : "(null)");
}

TEST_NORETURN void test_fail_err(const char *file, int line, const char *expr, int expected,
                                 int actual) {
  test_fail(file, line, "%s\n  expected: %s\n       got: %s (%d: %s; OS error %d)", expr,
            expected == 0 ? "success" : xipc_err_name(expected), xipc_err_name(actual), actual,
            xipc_strerror(actual), xipc_last_os_error());
}

TEST_NORETURN void test_skip(const char *fmt, ...) {
  va_list ap;
  printf("SKIP: ");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  fflush(stdout);
  exit(TEST_SKIP_CODE);
}

/* ---- Utilities ------------------------------------------------------- */

int64_t test_now_ms(void) {
  return (int64_t)(xipc_time_ns() / 1000000u);
}

int test_timeout(int ms) {
  const char *m = getenv("XIPC_TEST_TIMEOUT_MULTIPLIER");
  long factor = m != NULL ? strtol(m, NULL, 10) : 1;
  return factor > 1 ? (int)(ms * factor) : ms;
}

void test_fill_pattern(void *buf, size_t len, uint32_t seed, uint64_t offset) {
  unsigned char *p = buf;
  size_t i;
  for (i = 0; i < len; i++) {
    /* A cheap mix of position and seed: no run of the stream repeats within 4 GiB. */
    uint64_t x = (offset + i) * UINT64_C(0x9E3779B97F4A7C15) + seed;
    p[i] = (unsigned char)(x >> 56);
  }
}

uint64_t test_fnv(uint64_t hash, const void *buf, size_t len) {
  const unsigned char *p = buf;
  size_t i;
  for (i = 0; i < len; i++) {
    hash ^= p[i];
    hash *= UINT64_C(1099511628211);
  }
  return hash;
}

size_t test_read_all(xipc_stream_t *stream, void *buf, size_t cap) {
  size_t got = 0;
  int64_t deadline = test_now_ms() + test_timeout(DEFAULT_TIMEOUT_MS);
  for (;;) {
    int left = (int)(deadline - test_now_ms());
    int n;
    if (got == cap)
      test_fail(__FILE__, __LINE__, "more than %zu bytes before the end of the stream", cap);
    n = xipc_stream_read(stream, (char *)buf + got, cap - got, left > 0 ? left : 0);
    if (n == 0)
      return got;
    if (n < 0)
      test_fail_err(__FILE__, __LINE__, "xipc_stream_read (to the end)", 0, n);
    got += (size_t)n;
  }
}

const char *test_token(xipc_stream_t *stream, int slot) {
  static char tokens[4][XIPC_TOKEN_MAX];
  int rc = xipc_stream_token(stream, tokens[slot], sizeof tokens[slot]);
  if (rc < 0)
    test_fail_err(__FILE__, __LINE__, "xipc_stream_token", 0, rc);
  return tokens[slot];
}

long test_file_size(const char *path) {
  FILE *f = fopen(path, "rb");
  long size;
  if (f == NULL)
    return -1;
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  fclose(f);
  return size;
}

void test_wait_file_grows(const char *path) {
  int64_t deadline = test_now_ms() + test_timeout(DEFAULT_TIMEOUT_MS);
  while (test_file_size(path) < 3) {
    if (test_now_ms() > deadline)
      test_fail(__FILE__, __LINE__, "%s did not grow", path);
    xipc_sleep_ms(10);
  }
}

void test_expect_file_stopped(const char *path) {
  int64_t deadline = test_now_ms() + test_timeout(5000);
  long before = test_file_size(path), after;
  /*
   * A killed writer may still finish an append, and a system may end a
   * killed group a moment later (Wine): wait until the size holds still for
   * 400 ms, within a deadline; a writer that lives keeps it growing.
   */
  for (;;) {
    xipc_sleep_ms(400);
    after = test_file_size(path);
    if (after == before)
      return;
    if (test_now_ms() > deadline)
      test_fail(__FILE__, __LINE__, "%s still grows (%ld -> %ld bytes): its writer lives", path,
                before, after);
    before = after;
  }
}

const char *test_self_exe(void) {
  return self_exe;
}

void helpers_check_running_at(const char *file, int line, xipc_process_t *const *procs, int count) {
  int i;
  for (i = 0; i < count; i++) {
    xipc_exit_t status;
    if (xipc_process_wait(procs[i], 0, &status) == 0 && (status.code != 0 || status.signal != 0))
      test_fail(file, line, "helper %d ended early: exit code %d, signal %d", i, status.code,
                status.signal);
  }
}

int helper_error(const char *helper, const char *what, int rc, int code) {
  fprintf(stderr, "%s: %s: %s\n", helper, what, xipc_err_name(rc));
  return code;
}

void test_prime_os_error(void) {
  xipc_shm_t *shm;
  char name[64];
  ASSERT_ERR(xipc_shm_open(&shm, test_unique_name(name, sizeof name, "nothing"), 0), XIPC_ENOENT);
  ASSERT_NE(xipc_last_os_error(), 0);
}

const char *test_unique_name(char *buf, size_t cap, const char *tag) {
  static unsigned counter, run;
  /*
   * The pid keeps parallel tests apart; `run` (from the clock at the first
   * call) keeps this process apart from an earlier one with the same pid
   * whose objects outlived it (a test that failed or was killed half-way).
   */
  if (run == 0)
    run = (unsigned)(xipc_time_ns() % 0xfffff) + 1;
  snprintf(buf, cap, "xt%d-%x-%u-%s", xipc_self_pid(), run, ++counter, tag);
  return buf;
}

/* ---- Helpers --------------------------------------------------------- */

#define HELPER_MAX_ARGS 32

static const char *const *helper_argv_v(const char *name, va_list ap) {
  static const char *argv[HELPER_MAX_ARGS + 4];
  const char *arg;
  size_t n = 0;
  argv[n++] = self_exe;
  argv[n++] = "--helper";
  argv[n++] = name;
  while ((arg = va_arg(ap, const char *)) != NULL) {
    if (n >= HELPER_MAX_ARGS + 3)
      test_fail(__FILE__, __LINE__, "too many helper arguments");
    argv[n++] = arg;
  }
  argv[n] = NULL;
  return argv;
}

const char *const *helper_argv(const char *name, ...) {
  const char *const *argv;
  va_list ap;
  va_start(ap, name);
  argv = helper_argv_v(name, ap);
  va_end(ap);
  return argv;
}

/* Wine 8 fails about 1 process start in 2,500 with ERROR_INTERNAL_ERROR (1359); try again. */
static int spawn_retrying(xipc_process_t **proc, const xipc_spawn_options_t *opts) {
  int rc = xipc_spawn(proc, opts), attempt;
  for (attempt = 0;
       attempt < 3 && rc == XIPC_ESYSTEM && xipc_last_os_error() == 1359 && test_os_is_wine();
       attempt++) {
    fprintf(stderr, "note: Wine failed to start a process (error 1359); trying again\n");
    rc = xipc_spawn(proc, opts);
  }
  return rc;
}

xipc_process_t *helper_start_opts_at(const char *file, int line, xipc_spawn_options_t *opts) {
  xipc_process_t *proc = NULL;
  int rc = spawn_retrying(&proc, opts);
  if (rc < 0)
    test_fail_err(file, line, "xipc_spawn(helper)", 0, rc);
  return proc;
}

xipc_process_t *helper_start(const char *name, ...) {
  xipc_spawn_options_t opts;
  va_list ap;
  memset(&opts, 0, sizeof opts);
  va_start(ap, name);
  opts.argv = helper_argv_v(name, ap);
  va_end(ap);
  return helper_start_opts_at(__FILE__, __LINE__, &opts);
}

xipc_exit_t helper_finish_at(const char *file, int line, xipc_process_t *proc) {
  xipc_exit_t status;
  int rc = xipc_process_wait(proc, test_timeout(DEFAULT_TIMEOUT_MS), &status);
  if (rc < 0) {
    xipc_process_kill(proc);
    test_fail_err(file, line, "helper did not end", 0, rc);
  }
  xipc_process_close(proc);
  return status;
}

void helper_expect_exit_at(const char *file, int line, xipc_process_t *proc, int code) {
  xipc_exit_t status = helper_finish_at(file, line, proc);
  if (status.signal != 0)
    test_fail(file, line, "helper killed by signal %d, expected exit code %d", status.signal, code);
  if (status.code != code)
    test_fail(file, line, "helper exit code %d, expected %d", status.code, code);
}

/* ---- Running --------------------------------------------------------- */

static const test_entry_t *find_test(const char *name) {
  size_t i;
  for (i = 0; i < ARRAY_SIZE(tests); i++) {
    if (strcmp(tests[i].name, name) == 0)
      return &tests[i];
  }
  return NULL;
}

enum { RESULT_PASS, RESULT_FAIL, RESULT_SKIP };

/* Run one test in a child process (in its own group) and report the result. */
static int run_in_child(const test_entry_t *t) {
  const char *argv[4];
  xipc_spawn_options_t opts;
  xipc_process_t *proc;
  xipc_exit_t status;
  int timeout = test_timeout(t->timeout_ms > 0 ? t->timeout_ms : DEFAULT_TIMEOUT_MS);
  int rc;

  argv[0] = self_exe;
  argv[1] = "--run";
  argv[2] = t->name;
  argv[3] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  opts.flags = XIPC_SPAWN_GROUP;
  fflush(stdout);
  fflush(stderr);
  rc = spawn_retrying(&proc, &opts);
  if (rc < 0) {
    fprintf(stderr, "FAIL: %s: cannot start the test process: %s\n", t->name, xipc_err_name(rc));
    return RESULT_FAIL;
  }
  rc = xipc_process_wait(proc, timeout, &status);
  if (rc == XIPC_ETIMEDOUT) {
    fprintf(stderr, "FAIL: %s: timed out after %d ms; killed\n", t->name, timeout);
    xipc_process_kill(proc);
    xipc_process_wait(proc, -1, &status);
    xipc_process_close(proc);
    return RESULT_FAIL;
  }
  /* Whatever helpers the test left behind die with its group. */
  xipc_process_kill(proc);
  xipc_process_close(proc);
  if (rc < 0) {
    fprintf(stderr, "FAIL: %s: waiting for the test failed: %s\n", t->name, xipc_err_name(rc));
    return RESULT_FAIL;
  }
  if (status.signal != 0) {
    fprintf(stderr, "FAIL: %s: killed by signal %d\n", t->name, status.signal);
    return RESULT_FAIL;
  }
  if (status.code == TEST_SKIP_CODE)
    return RESULT_SKIP;
  if (status.code != 0) {
    fprintf(stderr, "FAIL: %s: exit code %d\n", t->name, status.code);
    return RESULT_FAIL;
  }
  return RESULT_PASS;
}

static int run_all(void) {
  int counts[3] = {0, 0, 0};
  size_t i;
  for (i = 0; i < ARRAY_SIZE(tests); i++) {
    int result;
    if (tests[i].hidden)
      continue;
    result = run_in_child(&tests[i]);
    counts[result]++;
    printf("%-4s %s\n",
           result == RESULT_PASS   ? "ok"
           : result == RESULT_SKIP ? "skip"
                                   : "FAIL",
           tests[i].name);
    fflush(stdout);
  }
  printf("%d passed, %d failed, %d skipped\n", counts[RESULT_PASS], counts[RESULT_FAIL],
         counts[RESULT_SKIP]);
  return counts[RESULT_FAIL] == 0 ? 0 : 1;
}

static int usage(void) {
  fprintf(stderr, "usage: xipc_tests [--list | <family.case> | --run <family.case> |"
                  " --helper <name> [args...]]\n");
  return 2;
}

int main(int argc, char **argv) {
  const test_entry_t *t;
  size_t i;
  int rc;

  test_raw_argc = argc;
  test_raw_argv = argv;
  argv = test_os_utf8_argv(argc, argv);
  /* Unbuffered: a test that crashes still shows everything it printed. */
  setvbuf(stdout, NULL, _IONBF, 0);
  rc = xipc_self_exe(self_exe, sizeof self_exe);
  if (rc < 0) {
    fprintf(stderr, "xipc_tests: cannot find its own executable: %s\n", xipc_err_name(rc));
    return 2;
  }
  if (argc < 2)
    return run_all();
  if (strcmp(argv[1], "--list") == 0) {
    for (i = 0; i < ARRAY_SIZE(tests); i++) {
      if (!tests[i].hidden)
        printf("%s\n", tests[i].name);
    }
    return 0;
  }
  if (strcmp(argv[1], "--run") == 0 && argc == 3) {
    t = find_test(argv[2]);
    if (t == NULL)
      return usage();
    t->fn();
    return 0;
  }
  if (strcmp(argv[1], "--helper") == 0 && argc >= 3) {
    for (i = 0; i < ARRAY_SIZE(helpers); i++) {
      if (strcmp(helpers[i].name, argv[2]) == 0)
        return helpers[i].fn(argc - 3, argv + 3);
    }
    fprintf(stderr, "xipc_tests: no helper named %s\n", argv[2]);
    return 2;
  }
  t = argc == 2 ? find_test(argv[1]) : NULL;
  if (t == NULL)
    return usage();
  switch (run_in_child(t)) {
  case RESULT_PASS:
    return 0;
  case RESULT_SKIP:
    return TEST_SKIP_CODE;
  default:
    return 1;
  }
}
