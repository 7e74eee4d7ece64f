/* SPDX-License-Identifier: MIT */
/*
 * mq-work-queue: a work queue between processes. Producers put jobs on one
 * queue, any free consumer takes the next one and puts its result on a
 * second queue, the parent collects the results. Urgent jobs (priority 1)
 * overtake ordinary ones (priority 0).
 *
 *   mq-work-queue [producers consumers jobs]   demo (default 2 3 3000): start them all,
 *                                               check that every job was done exactly once
 *   mq-work-queue produce <name> <id> <jobs>   (started by the demo)
 *   mq-work-queue consume <name> <id>          (started by the demo)
 *
 * A job is "square this number"; a consumer stops at a job with number -1.
 */
#include <xipc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROCS 16
/* Jobs per producer at most: MAX_PROCS times this stays well inside an int. */
#define MAX_JOBS  10000000
#define WAIT_MS   60000

typedef struct job {
  int32_t producer, number; /* number -1: stop */
} job_t;

typedef struct result {
  int32_t producer, number, consumer;
  int64_t square;
} result_t;

static int fail(const char *what, int err) {
  fprintf(stderr, "mq-work-queue: %s: %s (%s)\n", what, xipc_strerror(err), xipc_err_name(err));
  return 1;
}

static void queue_names(const char *name, char *jobs, char *results, size_t cap) {
  snprintf(jobs, cap, "%s-jobs", name);
  snprintf(results, cap, "%s-results", name);
}

static int produce(const char *name, int id, int count) {
  char jobs_name[96], results_name[96];
  xipc_mq_t *jobs;
  job_t job;
  int i, rc;
  queue_names(name, jobs_name, results_name, sizeof jobs_name);
  rc = xipc_mq_open(&jobs, jobs_name, XIPC_MQ_DEFAULT);
  if (rc < 0)
    return fail("open jobs", rc);
  for (i = 0; i < count; i++) {
    job.producer = id;
    job.number = i;
    /* Every tenth job is urgent. */
    rc = xipc_mq_send(jobs, &job, sizeof job, i % 10 == 0 ? 1 : 0, WAIT_MS);
    if (rc < 0)
      return fail("send job", rc);
  }
  xipc_mq_close(jobs);
  return 0;
}

static int consume(const char *name, int id) {
  char jobs_name[96], results_name[96];
  xipc_mq_t *jobs, *results;
  result_t result;
  job_t job;
  /* A receive buffer holds the queue's largest message (the POSIX rule), not just a job. */
  unsigned char buf[sizeof(result_t)];
  int n, rc;
  queue_names(name, jobs_name, results_name, sizeof jobs_name);
  rc = xipc_mq_open(&jobs, jobs_name, XIPC_MQ_DEFAULT);
  if (rc == 0)
    rc = xipc_mq_open(&results, results_name, XIPC_MQ_DEFAULT);
  if (rc < 0)
    return fail("open queues", rc);
  for (;;) {
    n = xipc_mq_recv(jobs, buf, sizeof buf, NULL, WAIT_MS);
    if (n != (int)sizeof job)
      return fail("receive job", n < 0 ? n : XIPC_EPROTO);
    memcpy(&job, buf, sizeof job);
    if (job.number < 0)
      break;
    result.producer = job.producer;
    result.number = job.number;
    result.consumer = id;
    result.square = (int64_t)job.number * job.number;
    rc = xipc_mq_send(results, &result, sizeof result, 0, WAIT_MS);
    if (rc < 0)
      return fail("send result", rc);
  }
  xipc_mq_close(jobs);
  xipc_mq_close(results);
  return 0;
}

static int start(xipc_process_t **proc, const char *exe, const char *role, const char *name, int id,
                 int jobs) {
  char id_text[16], jobs_text[16];
  const char *argv[6];
  xipc_spawn_options_t opts;
  snprintf(id_text, sizeof id_text, "%d", id);
  snprintf(jobs_text, sizeof jobs_text, "%d", jobs);
  argv[0] = exe;
  argv[1] = role;
  argv[2] = name;
  argv[3] = id_text;
  argv[4] = strcmp(role, "produce") == 0 ? jobs_text : NULL;
  argv[5] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  return xipc_spawn(proc, &opts);
}

static int demo(int producers, int consumers, int per_producer) {
  char exe[4096], name[64], jobs_name[96], results_name[96];
  xipc_process_t *procs[2 * MAX_PROCS];
  int per_consumer[MAX_PROCS] = {0}, total = producers * per_producer, i, n, rc, nprocs = 0;
  unsigned char *seen;
  xipc_mq_t *jobs, *results;
  xipc_mq_attr_t attr;
  xipc_exit_t status;
  result_t result;
  job_t stop;
  uint64_t start_ns = xipc_time_ns();
  rc = xipc_self_exe(exe, sizeof exe);
  if (rc < 0)
    return fail("xipc_self_exe", rc);
  snprintf(name, sizeof name, "work-%d", xipc_self_pid());
  queue_names(name, jobs_name, results_name, sizeof jobs_name);
  memset(&attr, 0, sizeof attr);
  attr.max_msgs = 64; /* bounded: fast producers wait for the consumers */
  attr.max_msg_size = sizeof(result_t);
  rc = xipc_mq_create(&jobs, jobs_name, &attr);
  if (rc == 0)
    rc = xipc_mq_create(&results, results_name, &attr);
  if (rc < 0)
    return fail("create queues", rc);
  seen = calloc((size_t)total, 1);
  if (seen == NULL)
    return fail("calloc", XIPC_ENOMEM);
  for (i = 0; i < consumers && rc == 0; i++)
    rc = start(&procs[nprocs++], exe, "consume", name, i, 0);
  for (i = 0; i < producers && rc == 0; i++)
    rc = start(&procs[nprocs++], exe, "produce", name, i, per_producer);
  if (rc < 0)
    return fail("spawn", rc);
  /* Every result exactly once: a job done twice or never shows here. */
  for (i = 0; i < total; i++) {
    n = xipc_mq_recv(results, &result, sizeof result, NULL, WAIT_MS);
    if (n != (int)sizeof result)
      return fail("receive result", n < 0 ? n : XIPC_EPROTO);
    if (result.producer < 0 || result.producer >= producers || result.number < 0 ||
        result.number >= per_producer || result.consumer < 0 || result.consumer >= consumers ||
        result.square != (int64_t)result.number * result.number ||
        seen[result.producer * per_producer + result.number]++ != 0) {
      fprintf(stderr, "mq-work-queue: wrong or repeated result\n");
      return 1;
    }
    per_consumer[result.consumer]++;
  }
  stop.producer = -1;
  stop.number = -1;
  for (i = 0; i < consumers; i++) {
    rc = xipc_mq_send(jobs, &stop, sizeof stop, 0, WAIT_MS);
    if (rc < 0)
      return fail("send stop", rc);
  }
  for (i = 0; i < nprocs; i++) {
    rc = xipc_process_wait(procs[i], WAIT_MS, &status);
    if (rc < 0 || status.code != 0)
      return fail("worker", rc < 0 ? rc : XIPC_ESYSTEM);
    xipc_process_close(procs[i]);
  }
  for (i = 0; i < consumers; i++)
    printf("consumer %d did %d jobs\n", i, per_consumer[i]);
  printf("work queue: %d producers, %d consumers, %d jobs, each done once (%.0f ms)\n", producers,
         consumers, total, (double)(xipc_time_ns() - start_ns) / 1e6);
  free(seen);
  xipc_mq_close(jobs);
  xipc_mq_close(results);
  xipc_mq_unlink(jobs_name);
  xipc_mq_unlink(results_name);
  return 0;
}

int main(int argc, char **argv) {
  int producers = 2, consumers = 3, jobs = 3000;
  if (argc == 5 && strcmp(argv[1], "produce") == 0)
    return produce(argv[2], atoi(argv[3]), atoi(argv[4]));
  if (argc == 4 && strcmp(argv[1], "consume") == 0)
    return consume(argv[2], atoi(argv[3]));
  if (argc == 4) {
    producers = atoi(argv[1]);
    consumers = atoi(argv[2]);
    jobs = atoi(argv[3]);
  } else if (argc != 1) {
    fprintf(stderr, "usage: mq-work-queue [producers consumers jobs-per-producer]\n");
    return 2;
  }
  if (producers < 1 || producers > MAX_PROCS || consumers < 1 || consumers > MAX_PROCS ||
      jobs < 1 || jobs > MAX_JOBS) {
    fprintf(stderr, "mq-work-queue: 1 to %d producers and consumers, 1 to %d jobs each\n",
            MAX_PROCS, MAX_JOBS);
    return 2;
  }
  return demo(producers, consumers, jobs);
}
