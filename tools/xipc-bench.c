/* SPDX-License-Identifier: MIT */
/*
 * xipc-bench: measures transports between two real processes (this program
 * and a copy of itself started with xipc_spawn) and prints one table, with
 * plain system calls as the baseline in the same run.
 *
 *   xipc-bench [--quick] [--rounds N]
 *
 * Per transport: the round trip of a 64-byte message (median over the
 * iterations), and bulk throughput (64 KiB writes, parent to child, until
 * the child has acknowledged the end). Each row runs in a fresh process;
 * rows run interleaved in rounds and the median round is reported, so slow
 * drift of a shared machine hits all of them alike. Compare ratios, not
 * absolute numbers.
 */
#include "bench-mq.h"
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
  int msgs; /* one-way messages per queue measurement */
  int rounds;
} settings_t;

typedef enum variant { RAW, XIPC } variant_t;
typedef enum transport { PIPE, LOCAL_BYTES, LOCAL_MESSAGES, TCP } transport_t;

/* Set in a measuring process whose rows opted in with xipc_ignore_sigpipe(). */
static int sigpipe_ignored;

/* One end: plain system calls on a native handle, or an xipc stream. */
typedef struct endpoint {
  variant_t variant;
  bool messages;
  xipc_stream_t *stream;
  xipc_os_handle_t handle;
} endpoint_t;

static int ep_read_exact(endpoint_t *ep, void *buf, size_t len) {
  if (ep->variant == XIPC && ep->messages)
    return xipc_stream_recv_msg(ep->stream, buf, len, -1, NULL) == (int)len ? 0 : -1;
  if (ep->variant == XIPC)
    return xipc_stream_read_exact(ep->stream, buf, len, -1, NULL) == 0 ? 0 : -1;
  while (len > 0) {
    long n = bench_os_read(ep->handle, buf, len); /* one whole message on SOCK_SEQPACKET */
    if (n <= 0)
      return -1;
    buf = (char *)buf + n;
    len -= (size_t)n;
  }
  return 0;
}

static int ep_write_all(endpoint_t *ep, const void *buf, size_t len) {
  if (ep->variant == XIPC && ep->messages)
    return xipc_stream_send_msg(ep->stream, buf, len, -1);
  if (ep->variant == XIPC)
    return xipc_stream_write_all(ep->stream, buf, len, -1, NULL) == 0 ? 0 : -1;
  return bench_os_write_all(ep->handle, buf, len);
}

/* A link: the two directions, which a local connection carries on one stream. */
typedef struct link {
  endpoint_t in, out;
  bool shared; /* in and out are the same stream */
  xipc_process_t *child;
} link_t;

static void close_link(link_t *link) {
  xipc_stream_close(link->in.stream);
  if (!link->shared)
    xipc_stream_close(link->out.stream);
  link->in.stream = link->out.stream = NULL;
}

/* ---- The child ---------------------------------------------------------- */

/*
 * xipc-bench --child <raw|xipc|xipc-ign> <pipe|local-bytes|local-messages|tcp> <in> <out>
 *            <pingpong|sink> <count>
 * <in>/<out>: stream tokens; for an xipc local link, <in> is the channel name, for an xipc TCP
 * link the port on 127.0.0.1. <count>: round trips (pingpong), or 64 KiB chunks to take before
 * acknowledging (sink; it first says it is ready, so that its start-up is not timed).
 */
static int run_child(char **argv) {
  static char buf[BULK_CHUNK];
  link_t link;
  int i, count = atoi(argv[6]);
  bool duplex = strcmp(argv[2], "pipe") != 0, messages = strcmp(argv[2], "local-messages") == 0;
  bool tcp = strcmp(argv[2], "tcp") == 0;
  memset(&link, 0, sizeof link);
  link.in.variant = link.out.variant = strcmp(argv[1], "raw") == 0 ? RAW : XIPC;
  link.in.messages = link.out.messages = messages;
  if (strcmp(argv[1], "xipc-ign") == 0)
    xipc_ignore_sigpipe();
  if (tcp && link.in.variant == XIPC) {
    if (xipc_tcp_connect(&link.in.stream, "127.0.0.1", (uint16_t)atoi(argv[3]), 10000) < 0)
      return 2;
  } else if (duplex && link.in.variant == XIPC) {
    if (xipc_local_connect(&link.in.stream, argv[3],
                           messages ? XIPC_LOCAL_MESSAGES : XIPC_LOCAL_BYTES, 10000) < 0)
      return 2;
  } else if (xipc_stream_from_token(&link.in.stream, argv[3]) < 0) {
    return 2;
  }
  if (duplex) {
    link.shared = true;
    link.out.stream = link.in.stream;
  } else if (xipc_stream_from_token(&link.out.stream, argv[4]) < 0) {
    return 2;
  }
  link.in.handle = xipc_stream_native(link.in.stream);
  link.out.handle = xipc_stream_native(link.out.stream);
  if (strcmp(argv[5], "pingpong") == 0) {
    for (i = 0; i < count; i++) {
      if (ep_read_exact(&link.in, buf, MSG_SIZE) < 0 || ep_write_all(&link.out, buf, MSG_SIZE) < 0)
        return 3;
    }
  } else {
    if (ep_write_all(&link.out, "r", 1) < 0)
      return 4;
    for (i = 0; i < count; i++) {
      if (ep_read_exact(&link.in, buf, BULK_CHUNK) < 0)
        return 4;
    }
    if (ep_write_all(&link.out, "k", 1) < 0)
      return 4;
  }
  close_link(&link);
  return 0;
}

/* ---- The parent --------------------------------------------------------- */

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

typedef struct row {
  const char *label;
  transport_t transport;
  variant_t variant;
  size_t capacity;
  int ignore_sigpipe;
  uint64_t rtt[16];
  double bulk[16];
} row_t;

static const char *const transport_names[] = {"pipe", "local-bytes", "local-messages", "tcp"};

/*
 * Plain-syscall TCP: a loopback connection (made with xipc, TCP_NODELAY on
 * both ends like xipc's) whose ends are then used with read()/write() only.
 */
static int raw_tcp_pair(xipc_stream_t **mine, xipc_stream_t **theirs) {
  xipc_listener_t *listener;
  xipc_addr_t addr;
  int rc = xipc_tcp_listen(&listener, NULL, 0, 0);
  if (rc < 0)
    return rc;
  rc = xipc_listener_addr(listener, &addr);
  if (rc == 0)
    rc = xipc_tcp_connect(theirs, "127.0.0.1", addr.port, 10000);
  if (rc == 0)
    rc = xipc_listener_accept(listener, mine, 10000);
  xipc_listener_close(listener);
  return rc;
}

/* Start the child of `row` in `mode` and connect the link to it. */
static int start_child(const char *exe, const row_t *row, const char *mode, int count,
                       link_t *link) {
  xipc_stream_t *child_in = NULL, *child_out = NULL, *give[2];
  char in_arg[XIPC_TOKEN_MAX], out_arg[XIPC_TOKEN_MAX], count_str[32];
  const char *argv[9];
  xipc_spawn_options_t opts;
  xipc_listener_t *listener = NULL;
  bool messages = row->transport == LOCAL_MESSAGES;
  int rc;
  memset(link, 0, sizeof *link);
  memset(&opts, 0, sizeof opts);
  link->in.variant = link->out.variant = row->variant;
  link->in.messages = link->out.messages = messages;
  strcpy(out_arg, "-");
  if (row->transport == PIPE) {
    if (make_pipe(row->variant, row->capacity, &child_in, &link->out.stream) != 0 ||
        make_pipe(row->variant, row->capacity, &link->in.stream, &child_out) != 0)
      return -1;
    xipc_stream_token(child_in, in_arg, sizeof in_arg);
    xipc_stream_token(child_out, out_arg, sizeof out_arg);
  } else if (row->transport == TCP && row->variant == XIPC) {
    xipc_addr_t addr;
    if (xipc_tcp_listen(&listener, NULL, 0, 0) < 0 || xipc_listener_addr(listener, &addr) < 0)
      return -1;
    snprintf(in_arg, sizeof in_arg, "%u", (unsigned)addr.port);
  } else if (row->transport == TCP) {
    if (raw_tcp_pair(&link->in.stream, &child_in) < 0)
      return -1;
    xipc_stream_token(child_in, in_arg, sizeof in_arg);
  } else if (row->variant == XIPC) {
    snprintf(in_arg, sizeof in_arg, "xipc-bench-%d", xipc_self_pid());
    if (xipc_local_listen(&listener, in_arg, messages ? XIPC_LOCAL_MESSAGES : XIPC_LOCAL_BYTES) < 0)
      return -1;
  } else {
    xipc_os_handle_t mine, theirs;
    if (bench_os_socketpair(messages, &mine, &theirs) != 0 ||
        xipc_stream_from_native(&link->in.stream, mine, 0) < 0 ||
        xipc_stream_from_native(&child_in, theirs, 0) < 0)
      return -1;
    xipc_stream_token(child_in, in_arg, sizeof in_arg);
  }
  give[0] = child_in;
  give[1] = child_out;
  snprintf(count_str, sizeof count_str, "%d", count);
  argv[0] = exe;
  argv[1] = "--child";
  argv[2] = row->variant == RAW ? "raw" : sigpipe_ignored ? "xipc-ign" : "xipc";
  argv[3] = transport_names[row->transport];
  argv[4] = in_arg;
  argv[5] = out_arg;
  argv[6] = mode;
  argv[7] = count_str;
  argv[8] = NULL;
  opts.argv = argv;
  opts.inherit = give;
  opts.inherit_count = child_in == NULL ? 0 : child_out == NULL ? 1 : 2;
  rc = xipc_spawn(&link->child, &opts);
  xipc_stream_close(child_in);
  xipc_stream_close(child_out);
  if (rc == 0 && listener != NULL)
    rc = xipc_listener_accept(listener, &link->in.stream, 10000);
  xipc_listener_close(listener);
  if (rc < 0)
    return -1;
  if (row->transport != PIPE) {
    link->shared = true;
    link->out.stream = link->in.stream;
  }
  link->in.handle = xipc_stream_native(link->in.stream);
  link->out.handle = xipc_stream_native(link->out.stream);
  return 0;
}

/* Close the link and reap the child (killed if it does not end within a minute); 0 if it ended
 * well. Also the clean-up of a measurement that failed part-way. */
static int finish_child(link_t *link) {
  xipc_exit_t status;
  int rc;
  close_link(link);
  rc = xipc_process_wait(link->child, 60000, &status);
  if (rc < 0) {
    xipc_process_kill(link->child);
    xipc_process_wait(link->child, 10000, &status);
  }
  xipc_process_close(link->child);
  return rc == 0 && status.signal == 0 && status.code == 0 ? 0 : -1;
}

static int compare_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Median round trip of a 64-byte message, in nanoseconds; 0 on failure. */
static uint64_t measure_pingpong(const char *exe, const row_t *row, const settings_t *s) {
  uint64_t *times = malloc((size_t)s->pingpongs * sizeof *times), median;
  char msg[MSG_SIZE];
  link_t link;
  int i, ok = times != NULL && start_child(exe, row, "pingpong", s->pingpongs, &link) == 0;
  memset(msg, 'p', sizeof msg);
  for (i = 0; ok && i < s->pingpongs; i++) {
    uint64_t start = xipc_time_ns();
    ok = ep_write_all(&link.out, msg, sizeof msg) == 0 &&
         ep_read_exact(&link.in, msg, sizeof msg) == 0;
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
static double measure_bulk(const char *exe, const row_t *row, const settings_t *s) {
  static char chunk[BULK_CHUNK];
  link_t link;
  size_t sent = 0;
  uint64_t start, elapsed;
  char ack;
  if (start_child(exe, row, "sink", (int)(s->bulk_bytes / BULK_CHUNK), &link) != 0)
    return 0;
  memset(chunk, 'b', sizeof chunk);
  /* The clock starts once the child is up and says so. */
  if (ep_read_exact(&link.in, &ack, 1) != 0) {
    finish_child(&link);
    return 0;
  }
  start = xipc_time_ns();
  while (sent + sizeof chunk <= s->bulk_bytes) {
    if (ep_write_all(&link.out, chunk, sizeof chunk) != 0) {
      finish_child(&link);
      return 0;
    }
    sent += sizeof chunk;
  }
  /* The child acknowledges once it has taken every chunk. */
  if (ep_read_exact(&link.in, &ack, 1) != 0) {
    finish_child(&link);
    return 0;
  }
  elapsed = xipc_time_ns() - start;
  if (finish_child(&link) != 0)
    return 0;
  return (double)sent * 1e9 / (double)elapsed;
}

static row_t rows[] = {
    {"pipe, plain syscalls", PIPE, RAW, 0, 0, {0}, {0}},
    {"pipe, xipc", PIPE, XIPC, 0, 0, {0}, {0}},
    {"pipe, xipc, SIGPIPE ignored", PIPE, XIPC, 0, 1, {0}, {0}},
    {"pipe 1 MiB, plain syscalls", PIPE, RAW, MIB, 0, {0}, {0}},
    {"pipe 1 MiB, xipc", PIPE, XIPC, MIB, 0, {0}, {0}},
    {"unix stream, plain syscalls", LOCAL_BYTES, RAW, 0, 0, {0}, {0}},
    {"local bytes, xipc", LOCAL_BYTES, XIPC, 0, 0, {0}, {0}},
    {"unix seqpacket, plain syscalls", LOCAL_MESSAGES, RAW, 0, 0, {0}, {0}},
    {"local messages, xipc", LOCAL_MESSAGES, XIPC, 0, 0, {0}, {0}},
    {"tcp loopback, plain syscalls", TCP, RAW, 0, 0, {0}, {0}},
    {"tcp loopback, xipc", TCP, XIPC, 0, 0, {0}, {0}},
};
#define NROWS (sizeof rows / sizeof rows[0])

/*
 * A row this system can run: Windows has no plain Unix sockets, and its TCP
 * sockets cannot be handed to the child, which the plain TCP row needs.
 */
static bool row_available(const row_t *row) {
  return row->variant == XIPC || row->transport == PIPE || bench_os_has_unix_sockets();
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
  rtt = measure_pingpong(exe, row, &s);
  bulk = measure_bulk(exe, row, &s);
  printf("%llu %.0f\n", (unsigned long long)rtt, bulk);
  return rtt > 0 && bulk > 0 ? 0 : 1;
}

int bench_child_output(const char *const *argv, char *out, size_t cap) {
  xipc_spawn_options_t opts;
  xipc_process_t *proc;
  xipc_stream_t *from;
  xipc_exit_t status;
  size_t got = 0;
  int n;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  if (xipc_spawn_piped(&proc, &opts, NULL, &from) < 0)
    return -1;
  while (got < cap - 1 && (n = xipc_stream_read(from, out + got, cap - 1 - got, 600000)) > 0)
    got += (size_t)n;
  out[got] = '\0';
  xipc_stream_close(from);
  xipc_process_wait(proc, -1, &status);
  xipc_process_close(proc);
  return status.code == 0 && status.signal == 0 ? 0 : -1;
}

/* Run one row in a fresh process (so that process-wide settings stay with their row). */
static int measure_row(const char *exe, size_t i, const settings_t *s, uint64_t *rtt,
                       double *bulk) {
  char index[16], count[16], bytes[32], out[128];
  const char *argv[6];
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
  if (bench_child_output(argv, out, sizeof out) != 0 || sscanf(out, "%llu %lf", &r, bulk) != 2)
    return -1;
  *rtt = r;
  return 0;
}

static int run_all(const char *exe, const settings_t *s) {
  size_t i;
  int round;
  for (round = 0; round < s->rounds; round++) {
    for (i = 0; i < NROWS; i++) {
      if (row_available(&rows[i]) &&
          measure_row(exe, i, s, &rows[i].rtt[round], &rows[i].bulk[round]) != 0) {
        fprintf(stderr, "xipc-bench: %s failed\n", rows[i].label);
        return 1;
      }
    }
  }
  printf("%-32s %14s %16s\n", "transport", "64 B RTT (us)", "bulk (MB/s)");
  for (i = 0; i < NROWS; i++) {
    if (!row_available(&rows[i])) {
      printf("%-32s %14s %16s\n", rows[i].label, "n/a", "n/a");
      continue;
    }
    qsort(rows[i].rtt, (size_t)s->rounds, sizeof rows[i].rtt[0], compare_u64);
    qsort(rows[i].bulk, (size_t)s->rounds, sizeof rows[i].bulk[0], compare_double);
    printf("%-32s %14.1f %16.0f\n", rows[i].label, (double)rows[i].rtt[s->rounds / 2] / 1000.0,
           rows[i].bulk[s->rounds / 2] / 1e6);
  }
  printf("(median of %d rounds; %d round trips and %zu MiB per measurement, each row in a fresh "
         "process;\n xipc calls with timeout -1; bulk in 64 KiB writes or messages)\n",
         s->rounds, s->pingpongs, s->bulk_bytes / MIB);
  return 0;
}

int main(int argc, char **argv) {
  settings_t s = {20000, 256 * MIB, 1000000, 3};
  char exe[4096];
  int i;
  if (argc == 8 && strcmp(argv[1], "--child") == 0)
    return run_child(argv + 1);
  if (argc == 7 && strcmp(argv[1], "--queue-child") == 0)
    return bench_mq_child(argv + 1);
  if (xipc_self_exe(exe, sizeof exe) < 0) {
    fprintf(stderr, "xipc-bench: cannot find its own executable\n");
    return 1;
  }
  if (argc == 5 && strcmp(argv[1], "--measure") == 0)
    return run_measure(exe, argv + 1);
  if (argc == 5 && strcmp(argv[1], "--measure-queue") == 0)
    return bench_mq_measure(exe, argv + 1);
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0) {
      s.pingpongs = 2000;
      s.bulk_bytes = 32 * MIB;
      s.msgs = 100000;
    } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      char *end;
      long rounds = strtol(argv[++i], &end, 10);
      if (*end != '\0' || rounds < 1 || rounds > 15) {
        fprintf(stderr, "xipc-bench: --rounds takes 1 to 15\n");
        return 2;
      }
      s.rounds = (int)rounds;
    } else {
      fprintf(stderr, "usage: xipc-bench [--quick] [--rounds N]\n");
      return 2;
    }
  }
  printf("xipc-bench %s: two processes, this machine\n\n", xipc_version_string());
  if (run_all(exe, &s) != 0)
    return 1;
  return bench_mq_run_all(exe, s.pingpongs, s.msgs, s.rounds);
}
