/* SPDX-License-Identifier: MIT */
/*
 * pipe-child: the classic fork-and-pipe program, portable. The parent sends
 * numbers to a child over one pipe and reads back their squares over
 * another; the child is this same program, started with xipc_spawn and
 * handed one end of each pipe.
 *
 *   pipe-child [count]     parent (default 10 numbers)
 *   pipe-child child <in> <out>   the child, with the tokens of its two pipe ends
 */
#include <xipc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, int err) {
  fprintf(stderr, "pipe-child: %s: %s (%s)\n", what, xipc_strerror(err), xipc_err_name(err));
  return 1;
}

/* The child: read 8-byte numbers until the end of the stream, answer each with its square. */
static int child(const char *in_token, const char *out_token) {
  xipc_stream_t *in, *out;
  long long n, square;
  int rc;
  if ((rc = xipc_stream_from_token(&in, in_token)) < 0 ||
      (rc = xipc_stream_from_token(&out, out_token)) < 0)
    return fail("xipc_stream_from_token", rc);
  while ((rc = xipc_stream_read_exact(in, &n, sizeof n, -1, NULL)) == 0) {
    square = n * n;
    rc = xipc_stream_write_all(out, &square, sizeof square, 5000, NULL);
    if (rc < 0)
      return fail("write", rc);
  }
  xipc_stream_close(in);
  xipc_stream_close(out);
  return rc == XIPC_EOF ? 0 : fail("read", rc); /* the parent closed its end: done */
}

int main(int argc, char **argv) {
  xipc_stream_t *work_r, *work_w, *result_r, *result_w, *give[2];
  char exe[4096], in_token[XIPC_TOKEN_MAX], out_token[XIPC_TOKEN_MAX];
  const char *child_argv[5];
  xipc_spawn_options_t opts;
  xipc_process_t *proc;
  xipc_exit_t status;
  long long i, count = argc == 2 ? atoll(argv[1]) : 10, square;
  int rc;

  if (argc == 4 && strcmp(argv[1], "child") == 0)
    return child(argv[2], argv[3]);

  /* Two pipes: work goes parent -> child, results come back child -> parent. */
  if ((rc = xipc_pipe_create(&work_r, &work_w, 0, 0)) < 0 ||
      (rc = xipc_pipe_create(&result_r, &result_w, 0, 0)) < 0)
    return fail("xipc_pipe_create", rc);
  if ((rc = xipc_self_exe(exe, sizeof exe)) < 0)
    return fail("xipc_self_exe", rc);
  xipc_stream_token(work_r, in_token, sizeof in_token);
  xipc_stream_token(result_w, out_token, sizeof out_token);
  child_argv[0] = exe;
  child_argv[1] = "child";
  child_argv[2] = in_token;
  child_argv[3] = out_token;
  child_argv[4] = NULL;
  /* The child inherits exactly its two ends, nothing else. */
  give[0] = work_r;
  give[1] = result_w;
  memset(&opts, 0, sizeof opts);
  opts.argv = child_argv;
  opts.inherit = give;
  opts.inherit_count = 2;
  if ((rc = xipc_spawn(&proc, &opts)) < 0)
    return fail("xipc_spawn", rc);
  /* Our copies of the child's ends must go, or we would never see the end of the results. */
  xipc_stream_close(work_r);
  xipc_stream_close(result_w);

  for (i = 1; i <= count; i++) {
    if ((rc = xipc_stream_write_all(work_w, &i, sizeof i, 5000, NULL)) < 0 ||
        (rc = xipc_stream_read_exact(result_r, &square, sizeof square, 5000, NULL)) < 0)
      return fail("exchange with the child", rc);
    printf("%lld squared is %lld (computed by process %d)\n", i, square, xipc_process_pid(proc));
  }
  xipc_stream_close(work_w); /* end of the work: the child finishes */
  rc = xipc_process_wait(proc, 5000, &status);
  xipc_process_close(proc);
  xipc_stream_close(result_r);
  if (rc < 0)
    return fail("xipc_process_wait", rc);
  printf("child exited with code %d\n", status.code);
  return status.code == 0 && status.signal == 0 ? 0 : 1;
}
