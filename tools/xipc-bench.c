/* SPDX-License-Identifier: MIT */
/*
 * xipc-bench: measures transports between two real processes (this program
 * and a copy of itself started with xipc_spawn) and prints one table, with
 * the plain system calls as the baseline in the same run.
 *
 *   xipc-bench [--quick] [--rounds N]
 *
 * Per transport: the round trip of a 64-byte message (median over the
 * iterations), and bulk throughput (64 KiB writes, parent to child, until
 * the child has acknowledged the last byte). Variants run interleaved in
 * rounds and the median round is reported, so slow drift of a shared
 * machine hits all of them alike. Compare ratios, not absolute numbers.
 */
#include "bench-os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_SIZE   64
#define BULK_CHUNK (64 * 1024)
#define MIB        (1024u * 1024u)

typedef struct settings {
  int pingpongs;
  size_t bulk_bytes;
  int rounds;
} settings_t;

typedef enum variant { RAW, XIPC } variant_t;

/* Set in a measuring process whose rows opted in with xipc_ignore_sigpipe(). */
static int sigpipe_ignored;

/* One way of moving bytes: plain system calls on native handles, or xipc streams. */
typedef struct endpoint {
  variant_t variant;
  xipc_stream_t *stream;
  xipc_os_handle_t handle;
} endpoint_t;

static int ep_read_exact(endpoint_t *ep, void *buf, size_t len) {
  if (ep->variant == XIPC)
    return xipc_stream_read_exact(ep->stream, buf, len, -1, NULL) == 0 ? 0 : -1;
  while (len > 0) {
    long n = bench_os_read(ep->handle, buf, len);
    if (n <= 0)
      return -1;
    buf = (char *)buf + n;
    len -= (size_t)n;
  }
  return 0;
}

/* Read until the end of the stream; the byte count, or -1. */
static long long ep_drain(endpoint_t *ep, void *buf, size_t len) {
  long long total = 0;
  for (;;) {
    long n = ep->variant == XIPC ? xipc_stream_read(ep->stream, buf, len, -1)
                                 : bench_os_read(ep->handle, buf, len);
    if (n == 0)
      return total;
    if (n < 0)
      return -1;
    total += n;
  }
}

static int ep_write_all(endpoint_t *ep, const void *buf, size_t len) {
  if (ep->variant == XIPC)
    return xipc_stream_write_all(ep->stream, buf, len, -1, NULL) == 0 ? 0 : -1;
  return bench_os_write_all(ep->handle, buf, len);
}

static void ep_close(endpoint_t *ep) {
  xipc_stream_close(ep->stream);
  ep->stream = NULL;
}

/* ---- The child ---------------------------------------------------------- */

/* xipc-bench --child <raw|xipc|xipc-ign> <in-token> <out-token> <pingpong|sink> <count> */
static int run_child(char **argv) {
  static char buf[BULK_CHUNK];
  endpoint_t in, out;
  int i, count = atoi(argv[5]);
  in.variant = out.variant = strcmp(argv[1], "raw") == 0 ? RAW : XIPC;
  if (strcmp(argv[1], "xipc-ign") == 0)
    xipc_ignore_sigpipe();
  if (xipc_stream_from_token(&in.stream, argv[2]) < 0 ||
      xipc_stream_from_token(&out.stream, argv[3]) < 0)
    return 2;
  in.handle = xipc_stream_native(in.stream);
  out.handle = xipc_stream_native(out.stream);
  if (strcmp(argv[4], "pingpong") == 0) {
    for (i = 0; i < count; i++) {
      if (ep_read_exact(&in, buf, MSG_SIZE) < 0 || ep_write_all(&out, buf, MSG_SIZE) < 0)
        return 3;
    }
  } else {
    long long total = ep_drain(&in, buf, sizeof buf);
    if (total < 0 || ep_write_all(&out, "k", 1) < 0)
      return 4;
  }
  ep_close(&in);
  ep_close(&out);
  return 0;
}

/* ---- The parent --------------------------------------------------------- */

typedef struct link {
  endpoint_t to_child, from_child; /* the parent's ends */
  xipc_stream_t *child_in, *child_out;
  xipc_process_t *child;
} link_t;

static int make_pipe(variant_t variant, size_t capacity, xipc_stream_t **r, xipc_stream_t **w) {
  xipc_os_handle_t rh, wh;
  if (variant == XIPC)
    return xipc_pipe_create(r, w, 0, capacity);
  if (bench_os_pipe(&rh, &wh) != 0)
    return -1;
  if (capacity > 0)
    bench_os_set_pipe_size(wh, capacity);
  /* Streams only to hand the plain handles to the child; the I/O stays plain. */
  if (xipc_stream_from_native(r, rh, 0) < 0 || xipc_stream_from_native(w, wh, 0) < 0)
    return -1;
  return 0;
}

static int start_child(const char *exe, variant_t variant, size_t capacity, const char *mode,
                       int count, link_t *link) {
  xipc_stream_t *a_r, *a_w, *b_r, *b_w, *give[2];
  char in_tok[XIPC_TOKEN_MAX], out_tok[XIPC_TOKEN_MAX], count_str[32];
  const char *argv[8];
  xipc_spawn_options_t opts;
  if (make_pipe(variant, capacity, &a_r, &a_w) != 0 ||
      make_pipe(variant, capacity, &b_r, &b_w) != 0)
    return -1;
  xipc_stream_token(a_r, in_tok, sizeof in_tok);
  xipc_stream_token(b_w, out_tok, sizeof out_tok);
  snprintf(count_str, sizeof count_str, "%d", count);
  argv[0] = exe;
  argv[1] = "--child";
  argv[2] = variant == RAW ? "raw" : sigpipe_ignored ? "xipc-ign" : "xipc";
  argv[3] = in_tok;
  argv[4] = out_tok;
  argv[5] = mode;
  argv[6] = count_str;
  argv[7] = NULL;
  give[0] = a_r;
  give[1] = b_w;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  opts.inherit = give;
  opts.inherit_count = 2;
  if (xipc_spawn(&link->child, &opts) < 0)
    return -1;
  xipc_stream_close(a_r);
  xipc_stream_close(b_w);
  link->to_child.variant = link->from_child.variant = variant;
  link->to_child.stream = a_w;
  link->from_child.stream = b_r;
  link->to_child.handle = xipc_stream_native(a_w);
  link->from_child.handle = xipc_stream_native(b_r);
  return 0;
}

static int finish_child(link_t *link) {
  xipc_exit_t status;
  ep_close(&link->to_child);
  ep_close(&link->from_child);
  if (xipc_process_wait(link->child, 60000, &status) < 0) {
    xipc_process_kill(link->child);
    xipc_process_wait(link->child, -1, &status);
  }
  xipc_process_close(link->child);
  return status.signal == 0 && status.code == 0 ? 0 : -1;
}

static int compare_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Median round trip of a 64-byte message, in nanoseconds; 0 on failure. */
static uint64_t measure_pingpong(const char *exe, variant_t variant, const settings_t *s) {
  uint64_t *times = malloc((size_t)s->pingpongs * sizeof *times), median;
  char msg[MSG_SIZE];
  link_t link;
  int i, ok = times != NULL && start_child(exe, variant, 0, "pingpong", s->pingpongs, &link) == 0;
  memset(msg, 'p', sizeof msg);
  for (i = 0; ok && i < s->pingpongs; i++) {
    uint64_t start = xipc_time_ns();
    ok = ep_write_all(&link.to_child, msg, sizeof msg) == 0 &&
         ep_read_exact(&link.from_child, msg, sizeof msg) == 0;
    times[i] = xipc_time_ns() - start;
  }
  if (!ok || finish_child(&link) != 0) {
    free(times);
    return 0;
  }
  qsort(times, (size_t)s->pingpongs, sizeof *times, compare_u64);
  median = times[s->pingpongs / 2];
  free(times);
  return median;
}

/* Bulk throughput in bytes per second; 0 on failure. */
static double measure_bulk(const char *exe, variant_t variant, size_t capacity,
                           const settings_t *s) {
  static char chunk[BULK_CHUNK];
  link_t link;
  size_t sent = 0;
  uint64_t start, elapsed;
  char ack;
  if (start_child(exe, variant, capacity, "sink", 0, &link) != 0)
    return 0;
  memset(chunk, 'b', sizeof chunk);
  start = xipc_time_ns();
  while (sent < s->bulk_bytes) {
    if (ep_write_all(&link.to_child, chunk, sizeof chunk) != 0)
      return 0;
    sent += sizeof chunk;
  }
  ep_close(&link.to_child); /* the end of the stream tells the child to acknowledge */
  if (ep_read_exact(&link.from_child, &ack, 1) != 0)
    return 0;
  elapsed = xipc_time_ns() - start;
  if (finish_child(&link) != 0)
    return 0;
  return (double)sent * 1e9 / (double)elapsed;
}

typedef struct row {
  const char *label;
  variant_t variant;
  size_t capacity;
  int ignore_sigpipe;
  uint64_t rtt[16];
  double bulk[16];
} row_t;

static row_t rows[] = {
    {"pipe, plain syscalls", RAW, 0, 0, {0}, {0}},
    {"pipe, xipc", XIPC, 0, 0, {0}, {0}},
    {"pipe, xipc, SIGPIPE ignored", XIPC, 0, 1, {0}, {0}},
    {"pipe 1 MiB, plain syscalls", RAW, MIB, 0, {0}, {0}},
    {"pipe 1 MiB, xipc", XIPC, MIB, 0, {0}, {0}},
};
#define NROWS (sizeof rows / sizeof rows[0])

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* xipc-bench --measure <row> <pingpongs> <bulk bytes>: one row, printed as "<rtt ns> <B/s>". */
static int run_measure(const char *exe, char **argv) {
  settings_t s;
  row_t *row;
  size_t i = (size_t)atoi(argv[1]);
  uint64_t rtt;
  double bulk;
  if (i >= NROWS)
    return 2;
  row = &rows[i];
  s.pingpongs = atoi(argv[2]);
  s.bulk_bytes = (size_t)strtoull(argv[3], NULL, 10);
  s.rounds = 1;
  if (row->ignore_sigpipe) {
    xipc_ignore_sigpipe();
    sigpipe_ignored = 1;
  }
  rtt = measure_pingpong(exe, row->variant, &s);
  bulk = measure_bulk(exe, row->variant, row->capacity, &s);
  printf("%llu %.0f\n", (unsigned long long)rtt, bulk);
  return rtt > 0 && bulk > 0 ? 0 : 1;
}

/* Run one row in a fresh process (so that process-wide settings stay with their row). */
static int measure_row(const char *exe, size_t i, const settings_t *s, uint64_t *rtt,
                       double *bulk) {
  char index[16], count[16], bytes[32], out[128];
  const char *argv[6];
  xipc_spawn_options_t opts;
  xipc_process_t *proc;
  xipc_stream_t *from;
  xipc_exit_t status;
  size_t got = 0;
  int n;
  unsigned long long r;
  snprintf(index, sizeof index, "%u", (unsigned)i);
  snprintf(count, sizeof count, "%d", s->pingpongs);
  snprintf(bytes, sizeof bytes, "%zu", s->bulk_bytes);
  argv[0] = exe;
  argv[1] = "--measure";
  argv[2] = index;
  argv[3] = count;
  argv[4] = bytes;
  argv[5] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  if (xipc_spawn_piped(&proc, &opts, NULL, &from) < 0)
    return -1;
  while (got < sizeof out - 1 &&
         (n = xipc_stream_read(from, out + got, sizeof out - 1 - got, 600000)) > 0)
    got += (size_t)n;
  out[got] = '\0';
  xipc_stream_close(from);
  xipc_process_wait(proc, -1, &status);
  xipc_process_close(proc);
  if (status.code != 0 || sscanf(out, "%llu %lf", &r, bulk) != 2)
    return -1;
  *rtt = r;
  return 0;
}

static int run_pipes(const char *exe, const settings_t *s) {
  size_t i;
  int round;
  for (round = 0; round < s->rounds; round++) {
    for (i = 0; i < NROWS; i++) {
      if (measure_row(exe, i, s, &rows[i].rtt[round], &rows[i].bulk[round]) != 0) {
        fprintf(stderr, "xipc-bench: %s failed\n", rows[i].label);
        return 1;
      }
    }
  }
  printf("%-30s %14s %16s\n", "transport", "64 B RTT (us)", "bulk (MB/s)");
  for (i = 0; i < NROWS; i++) {
    qsort(rows[i].rtt, (size_t)s->rounds, sizeof rows[i].rtt[0], compare_u64);
    qsort(rows[i].bulk, (size_t)s->rounds, sizeof rows[i].bulk[0], compare_double);
    printf("%-30s %14.1f %16.0f\n", rows[i].label, (double)rows[i].rtt[s->rounds / 2] / 1000.0,
           rows[i].bulk[s->rounds / 2] / 1e6);
  }
  printf("(median of %d rounds; %d round trips and %zu MiB per measurement, each row in a fresh "
         "process;\n xipc calls with timeout -1)\n",
         s->rounds, s->pingpongs, s->bulk_bytes / MIB);
  return 0;
}

int main(int argc, char **argv) {
  settings_t s = {20000, 256 * MIB, 3};
  char exe[4096];
  int i;
  if (argc == 7 && strcmp(argv[1], "--child") == 0)
    return run_child(argv + 1);
  if (xipc_self_exe(exe, sizeof exe) < 0) {
    fprintf(stderr, "xipc-bench: cannot find its own executable\n");
    return 1;
  }
  if (argc == 5 && strcmp(argv[1], "--measure") == 0)
    return run_measure(exe, argv + 1);
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0) {
      s.pingpongs = 2000;
      s.bulk_bytes = 32 * MIB;
    } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      s.rounds = atoi(argv[++i]);
      if (s.rounds < 1 || s.rounds > 15)
        s.rounds = 3;
    } else {
      fprintf(stderr, "usage: xipc-bench [--quick] [--rounds N]\n");
      return 2;
    }
  }
  printf("xipc-bench %s: two processes, this machine\n\n", xipc_version_string());
  return run_pipes(exe, &s);
}
