/* SPDX-License-Identifier: MIT */
/*
 * mq-writer-reader: the course notes' message-queue writer and reader
 * (msgget/msgsnd/msgrcv), portable. The notes' "message type" becomes the
 * message's priority: the reader gets urgent messages first, and the
 * messages of one type in the order they were sent. Unlike msgrcv(), a
 * receive cannot ask for one type only; use one queue per type for that.
 *
 *   mq-writer-reader                       demo: make a queue, run a writer and a
 *                                          reader as two processes, check the order
 *   mq-writer-reader write <queue> <type>:<text>...   send each text with its type (0-31)
 *   mq-writer-reader read <queue> <count>             receive and print count messages
 *
 * Whoever comes first creates the queue, the reader removes it when done, as
 * in the notes (msgctl IPC_RMID). On Windows a queue lives only while a
 * process has it open, so there the writer and reader must overlap.
 */
#include <xipc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TEXT 100
#define WAIT_MS  10000

static int fail(const char *what, int err) {
  fprintf(stderr, "mq-writer-reader: %s: %s (%s)\n", what, xipc_strerror(err), xipc_err_name(err));
  return 1;
}

/* Open the queue, creating it (xipc's portable shm queue, 16 messages) when nobody has yet. */
static int open_queue(const char *name, xipc_mq_t **mq) {
  xipc_mq_attr_t attr;
  int rc;
  memset(&attr, 0, sizeof attr);
  attr.max_msgs = 16;
  attr.max_msg_size = MAX_TEXT;
  attr.backend = XIPC_MQ_DEFAULT;
  rc = xipc_mq_create(mq, name, &attr);
  if (rc == XIPC_EEXIST)
    rc = xipc_mq_open(mq, name, XIPC_MQ_DEFAULT);
  return rc;
}

static int writer(const char *name, int count, char **items) {
  xipc_mq_t *mq;
  int i, rc = open_queue(name, &mq);
  if (rc < 0)
    return fail("open", rc);
  for (i = 0; i < count; i++) {
    char *colon = strchr(items[i], ':');
    unsigned type = (unsigned)atoi(items[i]);
    const char *text = colon != NULL ? colon + 1 : items[i];
    rc = xipc_mq_send(mq, text, strlen(text), type, WAIT_MS);
    if (rc < 0)
      return fail("send", rc);
    printf("writer: sent \"%s\" as type %u\n", text, type);
  }
  xipc_mq_close(mq);
  return 0;
}

/* Receive `count` messages and print them; with `expected`, check they came in that order. */
static int reader(const char *name, int count, const char *const *expected) {
  char text[MAX_TEXT + 1];
  xipc_mq_t *mq;
  unsigned type;
  int i, n, rc = open_queue(name, &mq);
  if (rc < 0)
    return fail("open", rc);
  for (i = 0; i < count; i++) {
    n = xipc_mq_recv(mq, text, MAX_TEXT, &type, WAIT_MS);
    if (n < 0)
      return fail("receive", n);
    text[n] = '\0';
    printf("reader: received \"%s\" of type %u\n", text, type);
    if (expected != NULL && strcmp(text, expected[i]) != 0) {
      fprintf(stderr, "mq-writer-reader: expected \"%s\"\n", expected[i]);
      return 1;
    }
  }
  xipc_mq_close(mq);
  xipc_mq_unlink(name); /* the notes' msgctl(IPC_RMID) */
  return 0;
}

/* Run this program as `args` (NULL-terminated) and wait for it. */
static int run_self(const char **args) {
  char exe[4096];
  const char *argv[12];
  xipc_spawn_options_t opts;
  xipc_process_t *proc;
  xipc_exit_t status;
  int i, rc = xipc_self_exe(exe, sizeof exe);
  if (rc < 0)
    return fail("xipc_self_exe", rc);
  argv[0] = exe;
  for (i = 0; args[i] != NULL && i < 10; i++)
    argv[i + 1] = args[i];
  argv[i + 1] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  rc = xipc_spawn(&proc, &opts);
  if (rc == 0)
    rc = xipc_process_wait(proc, 30000, &status);
  if (rc < 0)
    return fail("child", rc);
  xipc_process_close(proc);
  return status.code;
}

int main(int argc, char **argv) {
  static const char *const order[] = {"urgent", "soon", "hello", "world"};
  const char *wargs[7];
  char name[64];
  xipc_mq_t *keep;
  int rc;
  if (argc >= 4 && strcmp(argv[1], "write") == 0)
    return writer(argv[2], argc - 3, argv + 3);
  if (argc == 4 && strcmp(argv[1], "read") == 0)
    return reader(argv[2], atoi(argv[3]), NULL);
  if (argc != 1) {
    fprintf(stderr,
            "usage: mq-writer-reader [write <queue> <type>:<text>... | read <queue> <count>]\n");
    return 2;
  }
  /*
   * The demo: a writer process sends four messages of three types; this
   * process reads them. It holds the queue open meanwhile: on Windows a queue
   * lives only while some process has it open, and the writer exits first.
   */
  snprintf(name, sizeof name, "mq-demo-%d", xipc_self_pid());
  rc = open_queue(name, &keep);
  if (rc < 0)
    return fail("open", rc);
  wargs[0] = "write";
  wargs[1] = name;
  wargs[2] = "1:hello";
  wargs[3] = "1:world";
  wargs[4] = "3:urgent";
  wargs[5] = "2:soon";
  wargs[6] = NULL;
  if (run_self(wargs) != 0)
    return 1;
  if (reader(name, 4, order) != 0)
    return 1;
  xipc_mq_close(keep);
  printf("mq writer/reader: 4 messages, highest type first, each type in order\n");
  return 0;
}
