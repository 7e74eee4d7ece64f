/* SPDX-License-Identifier: MIT */
/* xipc-bench's message-queue measurements (bench-mq.c). */
#ifndef XIPC_BENCH_MQ_H
#define XIPC_BENCH_MQ_H

#include <xipc.h>

/* The child side: argv = {"--queue-child", kind, ping, pong, mode, count}. */
int bench_mq_child(char **argv);

/* One row in this process: argv = {"--measure-queue", row, pingpongs, msgs}. */
int bench_mq_measure(const char *exe, char **argv);

/*
 * From xipc-bench.c: run argv (NULL-terminated) and collect its standard
 * output in out (NUL-terminated); 0 when it exited with 0.
 */
int bench_child_output(const char *const *argv, char *out, size_t cap);

/* Every row, `rounds` times, each in a fresh process; prints the table. */
int bench_mq_run_all(const char *exe, int pingpongs, int msgs, int rounds);

#endif
