/* SPDX-License-Identifier: MIT */
/*
 * fifo-chat: messages through a named FIFO between unrelated processes,
 * the portable `mkfifo chat; cat < chat` / `echo hi > chat`.
 *
 *   fifo-chat listen <name>          create FIFO <name>, print what arrives until writers finish
 *   fifo-chat say <name> <words...>  open FIFO <name> and send one line
 *   fifo-chat demo                   listen, and start a copy of itself that says hello
 */
#include <xipc.h>

#include <stdio.h>
#include <string.h>

static int fail(const char *what, int err) {
  fprintf(stderr, "fifo-chat: %s: %s (%s)\n", what, xipc_strerror(err), xipc_err_name(err));
  return 1;
}

static int say(const char *name, int argc, char **words) {
  xipc_stream_t *w;
  char line[XIPC_PIPE_ATOMIC];
  size_t len = 0;
  int i, rc = xipc_fifo_open(&w, name, XIPC_FIFO_WRITE, 5000);
  if (rc < 0)
    return fail("xipc_fifo_open", rc);
  for (i = 0; i < argc && len < sizeof line - 1; i++) {
    int n = snprintf(line + len, sizeof line - len, "%s%s", words[i], i + 1 < argc ? " " : "\n");
    len = n < 0 || (size_t)n >= sizeof line - len ? sizeof line - 1 : len + (size_t)n;
  }
  /* A line of at most XIPC_PIPE_ATOMIC bytes is never mixed with another writer's. */
  rc = xipc_stream_write_all(w, line, len, 5000, NULL);
  xipc_stream_close(w);
  return rc < 0 ? fail("write", rc) : 0;
}

/* Create the FIFO and print everything until the writers are done. */
static int listen_on(const char *name) {
  xipc_stream_t *r;
  char buf[512];
  int n, rc = xipc_fifo_create(&r, name, XIPC_FIFO_READ, 0);
  if (rc < 0)
    return fail("xipc_fifo_create", rc);
  while ((n = xipc_stream_read(r, buf, sizeof buf, -1)) > 0)
    fwrite(buf, 1, (size_t)n, stdout);
  xipc_stream_close(r);
  xipc_fifo_unlink(name); /* POSIX FIFOs stay until unlinked; a no-op on Windows */
  return n == 0 ? 0 : fail("read", n);
}

static int demo(void) {
  char exe[4096], name[64];
  const char *argv[7];
  xipc_spawn_options_t opts;
  xipc_process_t *proc;
  xipc_stream_t *r;
  xipc_exit_t status;
  char buf[512];
  int n, rc;
  snprintf(name, sizeof name, "fifo-chat-demo-%d", xipc_self_pid());
  if ((rc = xipc_fifo_create(&r, name, XIPC_FIFO_READ, 0)) < 0)
    return fail("xipc_fifo_create", rc);
  if ((rc = xipc_self_exe(exe, sizeof exe)) < 0)
    return fail("xipc_self_exe", rc);
  argv[0] = exe;
  argv[1] = "say";
  argv[2] = name;
  argv[3] = "hello";
  argv[4] = "through";
  argv[5] = "the FIFO";
  argv[6] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  if ((rc = xipc_spawn(&proc, &opts)) < 0)
    return fail("xipc_spawn", rc);
  while ((n = xipc_stream_read(r, buf, sizeof buf, 5000)) > 0)
    printf("heard: %.*s", n, buf);
  xipc_stream_close(r);
  xipc_fifo_unlink(name);
  rc = xipc_process_wait(proc, 5000, &status);
  xipc_process_close(proc);
  if (n < 0 || rc < 0)
    return fail("demo", n < 0 ? n : rc);
  printf("child exited with code %d\n", status.code);
  return status.code;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "listen") == 0)
    return listen_on(argv[2]);
  if (argc >= 4 && strcmp(argv[1], "say") == 0)
    return say(argv[2], argc - 3, argv + 3);
  if (argc == 2 && strcmp(argv[1], "demo") == 0)
    return demo();
  fprintf(stderr, "usage: fifo-chat listen <name> | say <name> <words...> | demo\n");
  return 2;
}
