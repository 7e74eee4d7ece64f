/* SPDX-License-Identifier: MIT */
/*
 * What xipc-bench needs from the system directly: the baseline it compares
 * xipc with is plain system calls (pipe()/read()/write(); CreatePipe()/
 * ReadFile()/WriteFile()). bench-os-posix.c and bench-os-win32.c.
 */
#ifndef XIPC_BENCH_OS_H
#define XIPC_BENCH_OS_H

#include <xipc.h>

#include <stdbool.h>

/* A plain pipe, blocking / synchronous, not inheritable; 0 or -1. */
int bench_os_pipe(xipc_os_handle_t *read_end, xipc_os_handle_t *write_end);

/* Plain blocking read (bytes, 0 at end, -1 on error) and write-all (0 or -1). */
long bench_os_read(xipc_os_handle_t h, void *buf, size_t len);
int bench_os_write_all(xipc_os_handle_t h, const void *buf, size_t len);

/* Set a plain pipe's capacity where the system can (Linux F_SETPIPE_SZ); 0 or -1. */
int bench_os_set_pipe_size(xipc_os_handle_t h, size_t size);

/* A connected pair of plain AF_UNIX sockets (stream or seqpacket); 0 or -1 (Windows: -1). */
int bench_os_socketpair(bool messages, xipc_os_handle_t *mine, xipc_os_handle_t *theirs);

/* Whether this system has plain Unix sockets to compare with. */
bool bench_os_has_unix_sockets(void);

/*
 * Plain POSIX message queues (mq_open/mq_send/mq_receive), the queue
 * baseline: open `name` ("/..."), creating it when create; 0 or -1
 * (Windows: -1). The handle is an mqd_t.
 */
bool bench_os_has_posix_mq(void);
int bench_os_mq_open(const char *name, bool create, long max_msgs, long msg_size, long *handle);
int bench_os_mq_send(long handle, const void *buf, size_t len);
long bench_os_mq_recv(long handle, void *buf, size_t cap);
void bench_os_mq_close(long handle, const char *unlink_name);

#endif
