/* SPDX-License-Identifier: MIT */
/*
 * spawn-self: a program that starts a copy of itself as a child, passes it
 * arguments and waits for its exit code, the same way on POSIX and Windows.
 *
 *   spawn-self            parent: starts "spawn-self child <n>", expects exit code n
 *   spawn-self child <n>  child: prints a line and exits with n
 */
#include <xipc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, int err) {
  fprintf(stderr, "spawn-self: %s: %s (%s)\n", what, xipc_strerror(err), xipc_err_name(err));
  return 1;
}

int main(int argc, char **argv) {
  char exe[4096];
  const char *child_argv[4];
  xipc_spawn_options_t opts;
  xipc_process_t *child;
  xipc_exit_t status;
  int rc;

  if (argc == 3 && strcmp(argv[1], "child") == 0) {
    printf("child %d: hello, exiting with %s\n", xipc_self_pid(), argv[2]);
    return atoi(argv[2]);
  }

  rc = xipc_self_exe(exe, sizeof exe);
  if (rc < 0)
    return fail("xipc_self_exe", rc);
  child_argv[0] = exe;
  child_argv[1] = "child";
  child_argv[2] = "7";
  child_argv[3] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = child_argv;
  fflush(stdout); /* the child shares our stdout */
  rc = xipc_spawn(&child, &opts);
  if (rc < 0)
    return fail("xipc_spawn", rc);
  rc = xipc_process_wait(child, 10000, &status);
  xipc_process_close(child);
  if (rc < 0)
    return fail("xipc_process_wait", rc);
  printf("parent %d: child exited with code %d (xipc %s)\n", xipc_self_pid(), status.code,
         xipc_version_string());
  return status.code == 7 && status.signal == 0 ? 0 : 1;
}
