/* SPDX-License-Identifier: MIT */
/*
 * xipc-bench's message-queue table: xipc's shm queue (with and without its
 * spin), xipc over the native POSIX queue, plain mq_send()/mq_receive(),
 * and Boost.Interprocess message_queue (the xipc-bench-boost-mq program,
 * when it was built). Every queue holds 10 messages of 64 bytes (the
 * default Linux limit for POSIX queues, so every row fits it).
 *
 *   64 B RTT  median round trip: the parent sends on one queue, the child
 *             answers on another
 *   msgs/s    64-byte messages one way, the child acknowledging the last
 */
#include "bench-mq.h"

#include "bench-os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MQ_MSG   64
#define MQ_DEPTH 10

typedef enum queue_kind { Q_SHM, Q_SHM_NO_SPIN, Q_NATIVE, Q_RAW, Q_BOOST } queue_kind_t;

static const char *const kind_args[] = {"shm", "shm-nospin", "native", "raw", "boost"};

typedef struct queue_row {
  const char *label;
  queue_kind_t kind;
  uint64_t rtt[16];
  double rate[16];
} queue_row_t;

static queue_row_t queue_rows[] = {
    {"xipc mq, shm", Q_SHM, {0}, {0}},
    {"xipc mq, shm, no spin", Q_SHM_NO_SPIN, {0}, {0}},
    {"xipc mq, native", Q_NATIVE, {0}, {0}},
    {"POSIX mq, plain syscalls", Q_RAW, {0}, {0}},
    {"Boost.Interprocess message_queue", Q_BOOST, {0}, {0}},
};
#define NQROWS (sizeof queue_rows / sizeof queue_rows[0])

/* One queue of any kind but Boost. */
typedef struct queue {
  queue_kind_t kind;
  xipc_mq_t *mq;
  long raw;
  char raw_name[64];
  bool owner; /* made it: removes it at close */
  char name[64];
} queue_t;

static int kind_of(const char *arg) {
  int k;
  for (k = 0; k < (int)(sizeof kind_args / sizeof kind_args[0]); k++) {
    if (strcmp(arg, kind_args[k]) == 0)
      return k;
  }
  return -1;
}

static int queue_open(queue_t *q, queue_kind_t kind, const char *name, bool create) {
  memset(q, 0, sizeof *q);
  q->kind = kind;
  q->owner = create;
  snprintf(q->name, sizeof q->name, "%s", name);
  if (kind == Q_RAW) {
    snprintf(q->raw_name, sizeof q->raw_name, "/%s", name);
    return bench_os_mq_open(q->raw_name, create, MQ_DEPTH, MQ_MSG, &q->raw);
  }
  if (create) {
    xipc_mq_attr_t attr;
    memset(&attr, 0, sizeof attr);
    attr.max_msgs = MQ_DEPTH;
    attr.max_msg_size = MQ_MSG;
    attr.backend = kind == Q_NATIVE ? XIPC_MQ_NATIVE : XIPC_MQ_SHM;
    attr.spin_us = kind == Q_SHM_NO_SPIN ? -1 : 0;
    xipc_mq_unlink(name);
    return xipc_mq_create(&q->mq, name, &attr) == 0 ? 0 : -1;
  }
  return xipc_mq_open(&q->mq, name, XIPC_MQ_DEFAULT) == 0 ? 0 : -1;
}

static int queue_send(queue_t *q, const void *buf) {
  if (q->kind == Q_RAW)
    return bench_os_mq_send(q->raw, buf, MQ_MSG);
  return xipc_mq_send(q->mq, buf, MQ_MSG, 0, -1) == 0 ? 0 : -1;
}

static int queue_recv(queue_t *q, void *buf) {
  if (q->kind == Q_RAW)
    return bench_os_mq_recv(q->raw, buf, MQ_MSG) == MQ_MSG ? 0 : -1;
  return xipc_mq_recv(q->mq, buf, MQ_MSG, NULL, -1) == MQ_MSG ? 0 : -1;
}

static void queue_close(queue_t *q) {
  if (q->kind == Q_RAW) {
    bench_os_mq_close(q->raw, q->owner ? q->raw_name : NULL);
    return;
  }
  xipc_mq_close(q->mq);
  if (q->owner)
    xipc_mq_unlink(q->name);
}

/*
 * xipc-bench --queue-child <kind> <ping> <pong> <pingpong|sink> <count>; a sink first sends one
 * message to say it is ready (its start-up is not timed), and one more when it has them all.
 */
int bench_mq_child(char **argv) {
  char msg[MQ_MSG];
  queue_t ping, pong;
  int kind = kind_of(argv[1]), i, count = atoi(argv[5]);
  if (kind < 0 || queue_open(&ping, (queue_kind_t)kind, argv[2], false) != 0 ||
      queue_open(&pong, (queue_kind_t)kind, argv[3], false) != 0)
    return 2;
  memset(msg, 'r', sizeof msg);
  if (strcmp(argv[4], "sink") == 0 && queue_send(&pong, msg) != 0)
    return 4;
  for (i = 0; i < count; i++) {
    if (queue_recv(&ping, msg) != 0)
      return 3;
    if (strcmp(argv[4], "pingpong") == 0 && queue_send(&pong, msg) != 0)
      return 3;
  }
  if (strcmp(argv[4], "sink") == 0 && queue_send(&pong, msg) != 0)
    return 4;
  queue_close(&ping);
  queue_close(&pong);
  return 0;
}

static int compare_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Start the child for `mode` on a fresh pair of queues. */
static int start_queue_child(const char *exe, queue_kind_t kind, const char *mode, int count,
                             queue_t *ping, queue_t *pong, xipc_process_t **child) {
  static int serial;
  char ping_name[64], pong_name[64], count_str[16];
  const char *argv[8];
  xipc_spawn_options_t opts;
  serial++;
  snprintf(ping_name, sizeof ping_name, "xipc-bench-%d-%d-ping", xipc_self_pid(), serial);
  snprintf(pong_name, sizeof pong_name, "xipc-bench-%d-%d-pong", xipc_self_pid(), serial);
  snprintf(count_str, sizeof count_str, "%d", count);
  if (queue_open(ping, kind, ping_name, true) != 0 || queue_open(pong, kind, pong_name, true) != 0)
    return -1;
  argv[0] = exe;
  argv[1] = "--queue-child";
  argv[2] = kind_args[kind];
  argv[3] = ping_name;
  argv[4] = pong_name;
  argv[5] = mode;
  argv[6] = count_str;
  argv[7] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  return xipc_spawn(child, &opts) == 0 ? 0 : -1;
}

static int finish_queue_child(xipc_process_t *child, queue_t *ping, queue_t *pong) {
  xipc_exit_t status;
  int rc = xipc_process_wait(child, 60000, &status);
  if (rc < 0) {
    xipc_process_kill(child);
    xipc_process_wait(child, -1, &status);
  }
  xipc_process_close(child);
  queue_close(ping);
  queue_close(pong);
  return rc == 0 && status.code == 0 && status.signal == 0 ? 0 : -1;
}

/* Median round trip in ns, and messages per second one way; 0 on failure. */
static int measure_queue(const char *exe, queue_kind_t kind, int pingpongs, int msgs, uint64_t *rtt,
                         double *rate) {
  uint64_t *times = malloc((size_t)pingpongs * sizeof *times), start;
  char msg[MQ_MSG];
  queue_t ping, pong;
  xipc_process_t *child;
  int i, ok;
  memset(msg, 'q', sizeof msg);
  ok = times != NULL &&
       start_queue_child(exe, kind, "pingpong", pingpongs, &ping, &pong, &child) == 0;
  for (i = 0; ok && i < pingpongs; i++) {
    start = xipc_time_ns();
    ok = queue_send(&ping, msg) == 0 && queue_recv(&pong, msg) == 0;
    times[i] = xipc_time_ns() - start;
  }
  if (!ok || finish_queue_child(child, &ping, &pong) != 0) {
    free(times);
    return -1;
  }
  qsort(times, (size_t)pingpongs, sizeof *times, compare_u64);
  *rtt = times[pingpongs / 2];
  free(times);
  if (start_queue_child(exe, kind, "sink", msgs, &ping, &pong, &child) != 0)
    return -1;
  ok = queue_recv(&pong, msg) == 0; /* the child is ready: the clock starts now */
  start = xipc_time_ns();
  for (i = 0; ok && i < msgs; i++)
    ok = queue_send(&ping, msg) == 0;
  if (!ok || queue_recv(&pong, msg) != 0) {
    finish_queue_child(child, &ping, &pong);
    return -1;
  }
  *rate = (double)msgs * 1e9 / (double)(xipc_time_ns() - start);
  return finish_queue_child(child, &ping, &pong);
}

/* xipc-bench --measure-queue <row> <pingpongs> <msgs>: prints "<rtt ns> <msgs/s>". */
int bench_mq_measure(const char *exe, char **argv) {
  size_t row = (size_t)atoi(argv[1]);
  uint64_t rtt = 0;
  double rate = 0;
  if (row >= NQROWS || queue_rows[row].kind == Q_BOOST)
    return 2;
  if (measure_queue(exe, queue_rows[row].kind, atoi(argv[2]), atoi(argv[3]), &rtt, &rate) != 0)
    return 1;
  printf("%llu %.0f\n", (unsigned long long)rtt, rate);
  return 0;
}

/* The Boost program beside this one ("<dir>/xipc-bench-boost-mq"), if it was built. */
static bool boost_program(const char *exe, char *buf, size_t cap) {
  const char *slash = strrchr(exe, '/'), *bslash = strrchr(exe, '\\');
  size_t dir_len;
  FILE *f;
  if (bslash != NULL && (slash == NULL || bslash > slash))
    slash = bslash;
  dir_len = slash != NULL ? (size_t)(slash - exe + 1) : 0;
  if (dir_len + sizeof "xipc-bench-boost-mq" > cap)
    return false;
  memcpy(buf, exe, dir_len);
  strcpy(buf + dir_len, "xipc-bench-boost-mq");
  f = fopen(buf, "rb");
  if (f != NULL)
    fclose(f);
  return f != NULL;
}

static bool row_available(const char *exe, const queue_row_t *row) {
  char path[4096];
  if (row->kind == Q_NATIVE || row->kind == Q_RAW)
    return bench_os_has_posix_mq();
  if (row->kind == Q_BOOST)
    return boost_program(exe, path, sizeof path);
  return true;
}

/* One row in a fresh process: this program, or the Boost one. */
static int measure_row(const char *exe, size_t row, int pingpongs, int msgs, uint64_t *rtt,
                       double *rate) {
  char program[4096], index[16], count[16], total[16], out[128];
  const char *argv[6];
  unsigned long long r;
  snprintf(index, sizeof index, "%u", (unsigned)row);
  snprintf(count, sizeof count, "%d", pingpongs);
  snprintf(total, sizeof total, "%d", msgs);
  if (queue_rows[row].kind == Q_BOOST) {
    if (!boost_program(exe, program, sizeof program))
      return -1;
    argv[0] = program;
    argv[1] = count;
    argv[2] = total;
    argv[3] = NULL;
  } else {
    argv[0] = exe;
    argv[1] = "--measure-queue";
    argv[2] = index;
    argv[3] = count;
    argv[4] = total;
    argv[5] = NULL;
  }
  if (bench_child_output(argv, out, sizeof out) != 0 || sscanf(out, "%llu %lf", &r, rate) != 2)
    return -1;
  *rtt = r;
  return 0;
}

int bench_mq_run_all(const char *exe, int pingpongs, int msgs, int rounds) {
  size_t i;
  int round;
  for (round = 0; round < rounds; round++) {
    for (i = 0; i < NQROWS; i++) {
      if (row_available(exe, &queue_rows[i]) &&
          measure_row(exe, i, pingpongs, msgs, &queue_rows[i].rtt[round],
                      &queue_rows[i].rate[round]) != 0) {
        fprintf(stderr, "xipc-bench: %s failed\n", queue_rows[i].label);
        return 1;
      }
    }
  }
  printf("\n%-34s %12s %16s\n", "message queue", "64 B RTT (us)", "64 B msgs/s");
  for (i = 0; i < NQROWS; i++) {
    queue_row_t *row = &queue_rows[i];
    if (!row_available(exe, row)) {
      printf("%-34s %12s %16s\n", row->label, "n/a", "n/a");
      continue;
    }
    qsort(row->rtt, (size_t)rounds, sizeof row->rtt[0], compare_u64);
    qsort(row->rate, (size_t)rounds, sizeof row->rate[0], compare_double);
    printf("%-34s %12.1f %16.0f\n", row->label, (double)row->rtt[rounds / 2] / 1000.0,
           row->rate[rounds / 2]);
  }
  printf("(median of %d rounds; %d round trips and %d messages one way per measurement, queues of "
         "%d x %d B,\n each row in a fresh process; blocking calls)\n",
         rounds, pingpongs, msgs, MQ_DEPTH, MQ_MSG);
  return 0;
}
