/* SPDX-License-Identifier: MIT */
/*
 * mailslot-log: a log collector. Any number of writer processes send
 * one-line records to a mailslot; its one reader prints them as they come.
 * Each record is one message: records never mix, and each writer's arrive
 * in the order it sent them (records of different writers interleave).
 *
 *   mailslot-log [writers]                     demo: create the mailslot, start that many
 *                                              copies of itself as writers (default 3), print
 *                                              every record, check that all arrived
 *   mailslot-log read <name> <count>           create mailslot <name>, print <count> records
 *   mailslot-log write <name> <id> <count>     send <count> records to mailslot <name>
 */
#include <xipc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WRITERS        32
#define RECORDS_PER_WRITER 5
#define MAX_RECORD         256
/* No record should take longer than this to come: if one does, a writer is gone. */
#define WAIT_MS            10000

static int fail(const char *what, int err) {
  fprintf(stderr, "mailslot-log: %s: %s (%s)\n", what, xipc_strerror(err), xipc_err_name(err));
  return 1;
}

static int writer(const char *name, int id, int count) {
  xipc_mailslot_t *slot;
  char record[MAX_RECORD];
  int i, rc;
  if ((rc = xipc_mailslot_open(&slot, name)) < 0)
    return fail("xipc_mailslot_open", rc);
  for (i = 1; i <= count && rc >= 0; i++) {
    int len = snprintf(record, sizeof record, "writer %d pid %d record %d of %d: all is well", id,
                       xipc_self_pid(), i, count);
    /* One record, one message: sent whole or not at all. */
    rc = xipc_mailslot_send(slot, record, (size_t)len, WAIT_MS);
  }
  xipc_mailslot_close(slot);
  return rc < 0 ? fail("xipc_mailslot_send", rc) : 0;
}

/* Read "<word> <number>" at *p, move *p past it; false when it is not there. */
static int take_field(const char **p, const char *word, long *value) {
  size_t len = strlen(word);
  char *end;
  if (strncmp(*p, word, len) != 0 || (*p)[len] != ' ')
    return 0;
  *value = strtol(*p + len + 1, &end, 10);
  if (end == *p + len + 1)
    return 0;
  *p = end[0] == ' ' ? end + 1 : end;
  return 1;
}

/*
 * Print `count` records from the reader's mailslot. With `writers` > 0,
 * check that each writer's records came in order (next[] holds the next
 * record number expected from each). Returns 0 or 1.
 */
static int read_records(xipc_mailslot_t *slot, int count, int writers) {
  int next[MAX_WRITERS], i, rc;
  for (i = 0; i < MAX_WRITERS; i++)
    next[i] = 1;
  for (i = 0; i < count; i++) {
    char record[MAX_RECORD + 1];
    const char *p = record;
    long id, pid, number;
    if ((rc = xipc_mailslot_recv(slot, record, MAX_RECORD, WAIT_MS, NULL)) < 0)
      return fail("xipc_mailslot_recv", rc);
    record[rc] = '\0';
    printf("log: %s\n", record);
    if (writers > 0) {
      if (!take_field(&p, "writer", &id) || !take_field(&p, "pid", &pid) ||
          !take_field(&p, "record", &number) || id < 0 || id >= writers || number != next[id]) {
        fprintf(stderr, "mailslot-log: unexpected record \"%s\"\n", record);
        return 1;
      }
      next[id]++;
    }
  }
  return 0;
}

static int reader(const char *name, int count) {
  xipc_mailslot_t *slot;
  int rc = xipc_mailslot_create(&slot, name, MAX_RECORD);
  if (rc < 0)
    return fail("xipc_mailslot_create", rc);
  printf("reading %d records from mailslot \"%s\"\n", count, name);
  fflush(stdout);
  rc = read_records(slot, count, 0);
  xipc_mailslot_close(slot); /* the reader's close removes the name */
  return rc;
}

static int demo(int writers) {
  xipc_process_t *procs[MAX_WRITERS];
  xipc_mailslot_t *slot;
  xipc_spawn_options_t opts;
  char exe[4096], name[64], id[16], count[16];
  const char *argv[6];
  int i, rc, failed = 0;
  snprintf(name, sizeof name, "mailslot-log-demo-%d", xipc_self_pid());
  snprintf(count, sizeof count, "%d", RECORDS_PER_WRITER);
  if ((rc = xipc_self_exe(exe, sizeof exe)) < 0)
    return fail("xipc_self_exe", rc);
  /* The reader first: writers can only open a mailslot that has one. */
  if ((rc = xipc_mailslot_create(&slot, name, MAX_RECORD)) < 0)
    return fail("xipc_mailslot_create", rc);
  for (i = 0; i < writers; i++) {
    snprintf(id, sizeof id, "%d", i);
    argv[0] = exe;
    argv[1] = "write";
    argv[2] = name;
    argv[3] = id;
    argv[4] = count;
    argv[5] = NULL;
    memset(&opts, 0, sizeof opts);
    opts.argv = argv;
    if ((rc = xipc_spawn(&procs[i], &opts)) < 0) {
      while (i-- > 0) {
        xipc_process_kill(procs[i]);
        xipc_process_wait(procs[i], WAIT_MS, NULL);
        xipc_process_close(procs[i]);
      }
      xipc_mailslot_close(slot);
      return fail("xipc_spawn", rc);
    }
  }
  rc = read_records(slot, writers * RECORDS_PER_WRITER, writers);
  xipc_mailslot_close(slot);
  for (i = 0; i < writers; i++) {
    xipc_exit_t status;
    if (xipc_process_wait(procs[i], WAIT_MS, &status) < 0) {
      xipc_process_kill(procs[i]);
      xipc_process_wait(procs[i], WAIT_MS, NULL);
      failed++;
    } else if (status.code != 0 || status.signal != 0) {
      failed++;
    }
    xipc_process_close(procs[i]);
  }
  if (rc != 0 || failed > 0) {
    fprintf(stderr, "mailslot-log: %d of %d writers failed\n", failed, writers);
    return 1;
  }
  printf("mailslot log: %d messages from %d writers\n", writers * RECORDS_PER_WRITER, writers);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "read") == 0)
    return reader(argv[2], atoi(argv[3]));
  if (argc == 5 && strcmp(argv[1], "write") == 0)
    return writer(argv[2], atoi(argv[3]), atoi(argv[4]));
  if (argc <= 2) {
    int writers = argc == 2 ? atoi(argv[1]) : 3;
    if (writers >= 1 && writers <= MAX_WRITERS)
      return demo(writers);
  }
  fprintf(
      stderr,
      "usage: mailslot-log [writers (1-%d)] | read <name> <count> | write <name> <id> <count>\n",
      MAX_WRITERS);
  return 2;
}
