/* SPDX-License-Identifier: MIT */
/* xipc_spawn with standard streams redirected, extra inherited streams, and xipc_spawn_piped. */
#include "task.h"

#include <stdlib.h>

/* ---- Helpers --------------------------------------------------------- */

/* Print argv[0] on stdout, argv[1] on stderr, exit with argv[2]. */
HELPER_IMPL(print_and_exit) {
  if (argc != 3)
    return 100;
  test_os_binary_stdio();
  fputs(argv[0], stdout);
  fputs(argv[1], stderr);
  fflush(stdout);
  fflush(stderr);
  return atoi(argv[2]);
}

/* Copy stdin to stdout until the end; exit with the byte count modulo 256. */
HELPER_IMPL(cat) {
  static char buf[65536];
  size_t n, total = 0;
  (void)argc;
  (void)argv;
  test_os_binary_stdio();
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
    if (fwrite(buf, 1, n, stdout) != n)
      return 101;
    total += n;
  }
  fflush(stdout);
  return (int)(total % 256);
}

/* Read a line from token argv[0], answer "got:<line>" on token argv[1]. */
HELPER_IMPL(echo_reply) {
  xipc_stream_t *in, *out;
  char line[128], reply[160];
  int n;
  if (argc != 2 || xipc_stream_from_token(&in, argv[0]) < 0 ||
      xipc_stream_from_token(&out, argv[1]) < 0)
    return 100;
  n = xipc_stream_read(in, line, sizeof line - 1, test_timeout(10000));
  if (n <= 0)
    return 101;
  line[n] = '\0';
  snprintf(reply, sizeof reply, "got:%s", line);
  if (xipc_stream_write_all(out, reply, strlen(reply), test_timeout(10000), NULL) < 0)
    return 102;
  xipc_stream_close(in);
  xipc_stream_close(out);
  return 0;
}

/*
 * argv[0] is the token of a stream this child was given, argv[1] one it
 * was not given, argv[2] the number of descriptors it should have (or -1).
 */
HELPER_IMPL(check_given_only) {
  xipc_stream_t *given, *other;
  char buf[8];
  int rc, expected, handles = test_os_count_handles();
  if (argc != 3)
    return 100;
  expected = atoi(argv[2]);
  if (xipc_stream_from_token(&given, argv[0]) < 0)
    return 101;
  if (xipc_stream_read(given, buf, 1, test_timeout(5000)) != 1 || buf[0] != 'G')
    return 102;
  xipc_stream_close(given);
  rc = xipc_stream_from_token(&other, argv[1]);
  /* On Windows the value may name some other object of this process: it must not be the pipe. */
  if (rc == 0 && xipc_stream_read(other, buf, 1, 0) == 1 && buf[0] == 'N')
    return 103; /* (any other object under that value is not ours to close) */
  if (rc != 0 && rc != XIPC_EBADF)
    return 104;
  if (expected >= 0 && handles != expected) {
    fprintf(stderr, "check_given_only: %d descriptors, expected %d\n", handles, expected);
    return 105;
  }
  return 0;
}

/* ---- Tests ----------------------------------------------------------- */

TEST_IMPL(spawn, stdout_captured) {
  xipc_spawn_options_t opts;
  xipc_process_t *proc;
  xipc_stream_t *out;
  char buf[256];
  size_t n;
  memset(&opts, 0, sizeof opts);
  opts.argv = helper_argv("print_and_exit", "hello from the child\n", "", "3", NULL);
  ASSERT_OK(xipc_spawn_piped(&proc, &opts, NULL, &out));
  n = test_read_all(out, buf, sizeof buf);
  ASSERT_EQ(n, strlen("hello from the child\n"));
  ASSERT_TRUE(memcmp(buf, "hello from the child\n", n) == 0);
  helper_expect_exit(proc, 3);
  xipc_stream_close(out);
}

TEST_IMPL(spawn, stderr_to_stream) {
  xipc_spawn_options_t opts;
  xipc_stream_t *r, *w;
  xipc_process_t *proc;
  char buf[64];
  size_t n;
  ASSERT_OK(xipc_pipe_create(&r, &w, XIPC_PIPE_CHILD_WRITES, 0));
  memset(&opts, 0, sizeof opts);
  opts.argv = helper_argv("print_and_exit", "", "to stderr", "0", NULL);
  opts.stdio[1].kind = XIPC_STDIO_NULL;
  opts.stdio[2].kind = XIPC_STDIO_STREAM;
  opts.stdio[2].stream = w;
  proc = helper_start_opts(&opts);
  xipc_stream_close(w);
  n = test_read_all(r, buf, sizeof buf);
  ASSERT_EQ(n, 9);
  ASSERT_TRUE(memcmp(buf, "to stderr", 9) == 0);
  helper_expect_exit(proc, 0);
  xipc_stream_close(r);
}

typedef struct feed_job {
  xipc_stream_t *stream;
  size_t total;
  int rc;
} feed_job_t;

static void feed(void *arg) {
  static unsigned char chunk[32768];
  feed_job_t *job = arg;
  size_t sent = 0;
  while (sent < job->total) {
    size_t n = job->total - sent < sizeof chunk ? job->total - sent : sizeof chunk;
    test_fill_pattern(chunk, n, 5, sent);
    job->rc = xipc_stream_write_all(job->stream, chunk, n, test_timeout(20000), NULL);
    if (job->rc < 0)
      return;
    sent += n;
  }
  job->rc = xipc_stream_close(job->stream);
}

/*
 * A parent whose own stdin is closed: the descriptors xipc opens then take
 * the free standard slots (the child's stdin pipe, or the null device for
 * its stdout), and the child still gets each stream where it belongs.
 */
TEST_IMPL(spawn, stdio_when_parent_stdin_closed) {
  int round;
  for (round = 0; round < 2; round++) {
    xipc_spawn_options_t opts;
    xipc_process_t *proc;
    xipc_stream_t *r = NULL, *w = NULL;
    xipc_os_handle_t saved;
    int rc;
    /* Round 0: the pipe takes the free slot; round 1: the null device does. */
    if (round == 1)
      ASSERT_OK(xipc_pipe_create(&r, &w, XIPC_PIPE_CHILD_READS, 0));
    saved = test_os_detach_stdio(0);
    if (round == 0)
      rc = xipc_pipe_create(&r, &w, XIPC_PIPE_CHILD_READS, 0);
    else
      rc = 0;
    memset(&opts, 0, sizeof opts);
    opts.argv = helper_argv("cat", NULL);
    opts.stdio[0].kind = XIPC_STDIO_STREAM;
    opts.stdio[0].stream = r;
    opts.stdio[1].kind = XIPC_STDIO_NULL;
    if (rc == 0)
      rc = xipc_spawn(&proc, &opts);
    if (r != NULL)
      xipc_stream_close(r); /* first: in round 0 it holds descriptor 0 */
    test_os_reattach_stdio(0, saved);
    ASSERT_OK(rc);
    ASSERT_OK(xipc_stream_write_all(w, "hello", 5, test_timeout(10000), NULL));
    ASSERT_OK(xipc_stream_close(w));
    /* cat read 5 bytes and wrote them to the null device: exit code 5 (101: stdout broken). */
    helper_expect_exit(proc, 5);
  }
}

/* A real filter in the middle: parent -> child stdin, child stdout -> parent. */
TEST_IMPL(spawn, stdin_and_stdout_piped) {
  enum { TOTAL = 1000003 };
  unsigned char *back = malloc(TOTAL + 1), *expected = malloc(TOTAL);
  xipc_spawn_options_t opts;
  xipc_process_t *proc;
  xipc_stream_t *in, *out;
  test_os_thread_t *feeder;
  feed_job_t job;
  size_t got;
  ASSERT_NOT_NULL(back);
  ASSERT_NOT_NULL(expected);
  memset(&opts, 0, sizeof opts);
  opts.argv = helper_argv("cat", NULL);
  {
    /* One pointer for both streams would lose one of them. */
    xipc_stream_t *both = NULL;
    xipc_process_t *none = NULL;
    ASSERT_ERR(xipc_spawn_piped(&none, &opts, &both, &both), XIPC_EINVAL);
    ASSERT_NULL(none);
  }
  ASSERT_OK(xipc_spawn_piped(&proc, &opts, &in, &out));
  job.stream = in;
  job.total = TOTAL;
  feeder = test_os_thread_start(feed, &job);
  got = test_read_all(out, back, TOTAL + 1);
  test_os_thread_join(feeder);
  ASSERT_OK(job.rc);
  ASSERT_EQ(got, TOTAL);
  test_fill_pattern(expected, TOTAL, 5, 0);
  ASSERT_TRUE(memcmp(back, expected, TOTAL) == 0);
  helper_expect_exit(proc, TOTAL % 256);
  xipc_stream_close(out);
  free(back);
  free(expected);
}

/* Two extra streams reach the child by token: it reads on one and answers on the other. */
TEST_IMPL(spawn, inherit_extra_streams) {
  xipc_stream_t *ask_r, *ask_w, *ans_r, *ans_w, *give[2];
  xipc_spawn_options_t opts;
  xipc_process_t *proc;
  char buf[64];
  size_t n;
  ASSERT_OK(xipc_pipe_create(&ask_r, &ask_w, 0, 0));
  ASSERT_OK(xipc_pipe_create(&ans_r, &ans_w, 0, 0));
  give[0] = ask_r;
  give[1] = ans_w;
  memset(&opts, 0, sizeof opts);
  opts.argv = helper_argv("echo_reply", test_token(ask_r, 0), test_token(ans_w, 1), NULL);
  opts.inherit = give;
  opts.inherit_count = 2;
  proc = helper_start_opts(&opts);
  xipc_stream_close(ask_r);
  xipc_stream_close(ans_w);
  ASSERT_OK(xipc_stream_write_all(ask_w, "ping", 4, 1000, NULL));
  n = test_read_all(ans_r, buf, sizeof buf);
  ASSERT_EQ(n, 8);
  ASSERT_TRUE(memcmp(buf, "got:ping", 8) == 0);
  helper_expect_exit(proc, 0);
  xipc_stream_close(ask_w);
  xipc_stream_close(ans_r);
}

/* The child gets the stream it is given and nothing else, not even another pipe of the parent. */
TEST_IMPL(spawn, inherit_only_what_is_given) {
  xipc_stream_t *given_r, *given_w, *other_r, *other_w, *give[1];
  xipc_spawn_options_t opts;
  char probe[64];
  /* stdin, stdout, stderr and the one given descriptor, where they can be counted. */
  const char *expected = test_os_count_handles() >= 0 ? "4" : "-1";
  ASSERT_OK(xipc_pipe_create(&given_r, &given_w, 0, 0));
  ASSERT_OK(xipc_pipe_create(&other_r, &other_w, 0, 0));
  ASSERT_EQ(xipc_stream_write(given_w, "G", 1, 0), 1);
  ASSERT_EQ(xipc_stream_write(other_w, "N", 1, 0), 1);
  /* Also a descriptor made inheritable behind xipc's back. */
  test_os_make_inheritable_probe(probe, sizeof probe);
  give[0] = given_r;
  memset(&opts, 0, sizeof opts);
  opts.argv = helper_argv("check_given_only", test_token(given_r, 0), test_token(other_r, 1),
                          expected, NULL);
  opts.inherit = give;
  opts.inherit_count = 1;
  helper_expect_exit(helper_start_opts(&opts), 0);
  xipc_stream_close(given_r);
  xipc_stream_close(given_w);
  xipc_stream_close(other_r);
  xipc_stream_close(other_w);
}

TEST_IMPL(spawn, inherit_invalid_lists) {
  xipc_stream_t *r, *w, *list[2];
  xipc_shm_t *shms[1] = {NULL};
  xipc_spawn_options_t opts;
  xipc_process_t *proc = NULL;
  ASSERT_OK(xipc_pipe_create(&r, &w, 0, 0));
  memset(&opts, 0, sizeof opts);
  opts.argv = helper_argv("exit_with", "0", NULL);
  opts.inherit_count = 1; /* but no list */
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EINVAL);
  list[0] = NULL;
  opts.inherit = list;
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EINVAL);
  list[0] = r;
  list[1] = r;
  opts.inherit_count = 2;
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EINVAL);
  /* Counts whose sum wraps around: refused, not read past the lists. */
  opts.inherit_count = 1;
  opts.inherit_shm = shms;
  opts.inherit_shm_count = SIZE_MAX;
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EINVAL);
  opts.inherit_shm = NULL;
  opts.inherit_shm_count = 0;
  opts.inherit_count = 0;
  opts.stdio[0].kind = XIPC_STDIO_STREAM; /* without a stream */
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EINVAL);
  ASSERT_NULL(proc);
  ASSERT_ERR(xipc_spawn_piped(NULL, &opts, NULL, NULL), XIPC_EINVAL);
  ASSERT_ERR(xipc_spawn_piped(&proc, NULL, NULL, NULL), XIPC_EINVAL);
  xipc_stream_close(r);
  xipc_stream_close(w);
}
