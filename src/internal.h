/* SPDX-License-Identifier: MIT */
/*
 * The backend contract: what src/posix/ and src/win32/ each implement, and
 * the helpers the common code (the files directly in src/) shares with them.
 *
 * Division of work. A public function lives in src/<family>.c: it checks
 * its arguments (NULL pointers, sizes, names, timeouts, flags), returning
 * XIPC_EINVAL and friends through xipc__fail(), then calls the backend's
 * xipc__<family>_<op>(). A backend function may therefore assume validated
 * arguments: non-NULL where the public function requires it, names already
 * checked by xipc_name_validate(), timeouts >= -1. It reports a failing
 * system call through xipc__os_fail(), which records the raw code for
 * xipc_last_os_error() and translates it.
 *
 * No #ifdef on the operating system appears in common code; backends test
 * feature macros (XIPC_HAVE_*) that CMake defines, not OS names.
 */
#ifndef XIPC_INTERNAL_H
#define XIPC_INTERNAL_H

#include "xipc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Thread-local storage class: MSVC's C compiler does not accept _Thread_local. */
#if defined(_MSC_VER) && !defined(__clang__)
#  define XIPC_THREAD_LOCAL __declspec(thread)
#else
#  define XIPC_THREAD_LOCAL _Thread_local
#endif

#define XIPC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Errors (src/error.c) ------------------------------------------- */

/* Record `os_code` as the calling thread's last OS error. */
void xipc__set_os_error(int os_code);

/*
 * Return `err` for a failure that xipc found itself (no OS code: the last
 * OS error becomes 0). Use for every argument-check failure.
 */
int xipc__fail(int err);

/*
 * Record `os_code` (errno / GetLastError() / WSAGetLastError()) and return
 * its XIPC_E* translation. Never returns 0: a zero or unmapped code gives
 * XIPC_ESYSTEM, so a failure can never look like success.
 */
int xipc__os_fail(int os_code);

/*
 * Backend: translate an OS error code to XIPC_E* (0 for 0, XIPC_ESYSTEM for
 * codes with no portable meaning). Pure; implements xipc_err_from_os().
 * src/posix/error.c, src/win32/error.c.
 */
int xipc__translate_os_error(int os_code);

/* ---- Time (src/clock.c, backend clock.c) ----------------------------- */

/* Backend: the monotonic clock in nanoseconds. */
uint64_t xipc__clock_ns(void);

/* Backend: sleep `ms` > 0 milliseconds, resuming after interruptions. */
void xipc__sleep_ms(int ms);

/*
 * A deadline for a timeout: UINT64_MAX for -1 (never), now for 0, now plus
 * the timeout otherwise. Used with xipc__remaining_ms() to retry waits
 * interrupted by signals without stretching the caller's timeout.
 */
uint64_t xipc__deadline(int timeout_ms);

/*
 * Milliseconds left until `deadline`, rounded up so that a wait never ends
 * early: -1 for the never-deadline, 0 once it has passed.
 */
int xipc__remaining_ms(uint64_t deadline);

/* XIPC_EAGAIN for a zero timeout, XIPC_ETIMEDOUT otherwise. */
int xipc__timeout_error(int timeout_ms);

/* ---- Names (src/name.c, backend name.c) ----------------------------- */

/* FNV-1a, 64 bits, over len bytes, continuing from `hash` (start: XIPC__FNV_INIT). */
#define XIPC__FNV_INIT UINT64_C(14695981039346656037)
uint64_t xipc__fnv1a(uint64_t hash, const void *data, size_t len);

/*
 * Backend: the naming scheme of this system (XIPC_SCHEME_LINUX, _BSD or
 * _WINDOWS), never XIPC_SCHEME_HOST.
 */
xipc_name_scheme_t xipc__name_host_scheme(void);

/*
 * Backend: turn `mapped`, the output of xipc_name_map() under the host
 * scheme, into the complete native name in buf (POSIX path kinds prepend
 * the runtime directory; everything else is copied). Returns the length,
 * XIPC_ENAMETOOLONG or XIPC_ENOBUFS. `kind` and `mapped` are valid.
 */
int xipc__name_native(xipc_kind_t kind, const char *mapped, char *buf, size_t cap);

/*
 * Copy the NUL-terminated `src` into buf. Returns its length, or
 * xipc__fail(XIPC_ENOBUFS) (buf untouched) when it does not fit.
 */
int xipc__copy_string(char *buf, size_t cap, const char *src);

/* ---- Processes (src/process.c, backend process.c) -------------------- */

/*
 * Backend: start the child described by `opts` (validated: argv[0] set,
 * stdio kinds and flags known, a stream for every XIPC_STDIO_STREAM, the
 * inherit list free of NULLs and repeats) and store a new handle in *out.
 */
int xipc__process_spawn(xipc_process_t **out, const xipc_spawn_options_t *opts);

/* Backend: wait up to timeout_ms; fill *status (non-NULL) once it ended. */
int xipc__process_wait(xipc_process_t *proc, int timeout_ms, xipc_exit_t *status);

/* Backend: kill the child, or its group. A child that has ended is no error. */
int xipc__process_kill(xipc_process_t *proc);

/* Backend: the child's pid and native handle. */
int xipc__process_pid(const xipc_process_t *proc);
xipc_os_handle_t xipc__process_native(const xipc_process_t *proc);

/* Backend: release the handle (kill what is left of a group; reap if ended). */
void xipc__process_close(xipc_process_t *proc);

/* Backend: the caller's pid and executable path (as the public functions). */
int xipc__self_pid(void);
int xipc__self_exe(char *buf, size_t cap);

/* ---- Streams (src/stream.c, backend stream.c) ------------------------ */

/*
 * Backend: one read or write of 1..INT_MAX bytes with the stream timeout
 * contract of xipc/stream.h: the count (read: 0 at end of stream), or
 * XIPC_EAGAIN (timeout 0) / XIPC_ETIMEDOUT / XIPC_EPIPE / another error.
 * Nothing that was transferred is ever dropped on a timeout.
 */
int xipc__stream_read(xipc_stream_t *stream, void *buf, int len, int timeout_ms);
int xipc__stream_write(xipc_stream_t *stream, const void *buf, int len, int timeout_ms);

/* Backend: xipc_ignore_sigpipe(). */
int xipc__ignore_sigpipe(void);

/* Backend: close the handle and free the stream, whatever the result. */
int xipc__stream_close(xipc_stream_t *stream);

/* Backend: the native handle, or XIPC_OS_HANDLE_INVALID while a FIFO end is not open yet. */
xipc_os_handle_t xipc__stream_native(const xipc_stream_t *stream);

/* Backend: the token of xipc_stream_token(); XIPC_EINVAL for a stream not open yet. */
int xipc__stream_token(const xipc_stream_t *stream, char *buf, size_t cap);

/* Backend: the stream named by a token (non-NULL), or by a native handle (not invalid). */
int xipc__stream_from_token(xipc_stream_t **out, const char *token);
int xipc__stream_from_native(xipc_stream_t **out, xipc_os_handle_t handle, unsigned flags);

/* ---- Pipes and FIFOs (src/pipe.c, src/fifo.c, backend pipe.c, fifo.c) - */

/* Backend: a pipe; flags are known XIPC_PIPE_* bits, both out pointers valid. */
int xipc__pipe_create(xipc_stream_t **read_end, xipc_stream_t **write_end, unsigned flags,
                      size_t capacity);

/* Backend: the FIFO functions, with a valid name and direction. */
int xipc__fifo_create(xipc_stream_t **out, const char *name, xipc_fifo_dir_t dir, size_t capacity);
int xipc__fifo_open(xipc_stream_t **out, const char *name, xipc_fifo_dir_t dir, int timeout_ms);
int xipc__fifo_unlink(const char *name);

/* ---- Shared memory (src/shm.c, backend shm.c) ------------------------- */

/*
 * Backend: the xipc_shm_* functions after the checks: `name` is a portable
 * name, or with XIPC_SHM_NATIVE_NAME a non-empty native one; sizes > 0
 * where required; flags known for the call; out pointers valid.
 */
int xipc__shm_create(xipc_shm_t **out, const char *name, size_t size, unsigned flags);
int xipc__shm_open(xipc_shm_t **out, const char *name, unsigned flags);
int xipc__shm_unlink(const char *name, unsigned flags);
int xipc__shm_create_anonymous(xipc_shm_t **out, size_t size);
int xipc__shm_map_file(xipc_shm_t **out, const char *path, size_t size, unsigned flags);
int xipc__shm_flush(xipc_shm_t *shm);
void *xipc__shm_addr(const xipc_shm_t *shm);
size_t xipc__shm_size(const xipc_shm_t *shm);
int xipc__shm_close(xipc_shm_t *shm);
int xipc__shm_token(const xipc_shm_t *shm, char *buf, size_t cap);
int xipc__shm_from_token(xipc_shm_t **out, const char *token, unsigned flags);

/* ---- Semaphores and mutexes (src/sync.c, backend sem.c, mutex.c) -------- */

/* Backend: with a valid name, handle and timeout (initial <= XIPC_SEM_MAX). */
int xipc__sem_create(xipc_sem_t **out, const char *name, unsigned initial);
int xipc__sem_open(xipc_sem_t **out, const char *name);
int xipc__sem_wait(xipc_sem_t *sem, int timeout_ms);
int xipc__sem_post(xipc_sem_t *sem);
int xipc__sem_close(xipc_sem_t *sem);
int xipc__sem_unlink(const char *name);

int xipc__mutex_create(xipc_mutex_t **out, const char *name);
int xipc__mutex_open(xipc_mutex_t **out, const char *name);
int xipc__mutex_lock(xipc_mutex_t *mutex, int timeout_ms);
int xipc__mutex_consistent(xipc_mutex_t *mutex);
int xipc__mutex_unlock(xipc_mutex_t *mutex);
int xipc__mutex_close(xipc_mutex_t *mutex);
int xipc__mutex_unlink(const char *name);

/* ---- Local channels and mailslots (src/local.c, backend local.c, mailslot.c) */

/*
 * Backend: with valid names and modes, out pointers set to NULL, timeouts
 * >= -1, message lengths 1..XIPC_LOCAL_MSG_MAX for send_msg, cap > 0.
 */
int xipc__local_listen(xipc_listener_t **out, const char *name, xipc_local_mode_t mode);
int xipc__listener_accept(xipc_listener_t *listener, xipc_stream_t **conn, int timeout_ms);
int xipc__listener_close(xipc_listener_t *listener);
int xipc__local_connect(xipc_stream_t **out, const char *name, xipc_local_mode_t mode,
                        int timeout_ms);
/* Backend: true for a message-mode local connection (read/write refuse it, *_msg need it). */
bool xipc__stream_is_message(const xipc_stream_t *stream);
int xipc__stream_send_msg(xipc_stream_t *stream, const void *buf, size_t len, int timeout_ms);
int xipc__stream_recv_msg(xipc_stream_t *stream, void *buf, size_t cap, int timeout_ms,
                          size_t *msg_size);
int xipc__stream_peer(const xipc_stream_t *stream, xipc_peer_t *peer);

/* Backend: mailslots, with max_msg_size 1..XIPC_LOCAL_MSG_MAX and len <= XIPC_LOCAL_MSG_MAX. */
int xipc__mailslot_create(xipc_mailslot_t **out, const char *name, size_t max_msg_size);
int xipc__mailslot_open(xipc_mailslot_t **out, const char *name);
int xipc__mailslot_send(xipc_mailslot_t *slot, const void *buf, size_t len, int timeout_ms);
int xipc__mailslot_recv(xipc_mailslot_t *slot, void *buf, size_t cap, int timeout_ms,
                        size_t *msg_size);
int xipc__mailslot_info(xipc_mailslot_t *slot, size_t *next_size, size_t *count);
size_t xipc__mailslot_max_msg_size(const xipc_mailslot_t *slot);
int xipc__mailslot_close(xipc_mailslot_t *slot);

/* ---- TCP and UDP (src/socket.c, backend net.c, tcp.c, udp.c) ---------------- */

/* xipc_addr_t <-> socket address (sockaddr.c, shared by both backends). */
struct sockaddr;
struct sockaddr_storage;
/*
 * The socket address of `addr` for a socket of `family` (AF_INET, AF_INET6):
 * an IPv4 address becomes IPv4-mapped IPv6 for an IPv6 socket (dual stack),
 * an IPv6 one only fits an IPv4 socket when it is IPv4-mapped (XIPC_EINVAL
 * otherwise). Returns the address length.
 */
int xipc__sockaddr_of(const xipc_addr_t *addr, int family, struct sockaddr_storage *sa);
/* The xipc address of a socket address (IPv4-mapped IPv6 comes back as IPv4). */
void xipc__addr_of_sockaddr(const struct sockaddr *sa, xipc_addr_t *addr);
/* The socket family of an xipc address. */
int xipc__sockaddr_family(const xipc_addr_t *addr);
/* True for "::", the IPv6 any-address: a socket bound there takes IPv4 too (dual stack). */
bool xipc__addr_is_ipv6_any(const xipc_addr_t *addr);

/*
 * Backend: the addresses of `host` (a non-empty string) with `port`, at most
 * `cap`: numeric hosts as they are; `passive` for binding. Returns the count
 * (at least 1) or an error: XIPC_ENOENT for a name without addresses,
 * XIPC_EAGAIN when the resolver failed for now.
 */
int xipc__net_resolve(const char *host, uint16_t port, bool passive, xipc_addr_t *addrs, int cap);

/*
 * Backend: TCP with one valid address each. A listener made here is an
 * xipc_listener_t that xipc__listener_accept/close also serve; a connection
 * is a byte stream with TCP_NODELAY on. addresses/set_nodelay/shutdown give
 * XIPC_ENOTSUP for a stream that is not a TCP connection; listener_addr for
 * a listener that is not TCP.
 */
int xipc__tcp_listen(xipc_listener_t **out, const xipc_addr_t *addr, int backlog);
int xipc__listener_addr(const xipc_listener_t *listener, xipc_addr_t *addr);
int xipc__tcp_connect(xipc_stream_t **out, const xipc_addr_t *addr, int timeout_ms);
int xipc__tcp_addresses(const xipc_stream_t *conn, xipc_addr_t *local, xipc_addr_t *peer);
int xipc__tcp_set_nodelay(xipc_stream_t *conn, bool on);
int xipc__stream_shutdown(xipc_stream_t *stream);

/*
 * Backend: UDP, with valid addresses (port > 0 for peers), len <=
 * XIPC_UDP_MAX, cap > 0, `from` and `msg_size` non-NULL.
 */
int xipc__udp_bind(xipc_udp_t **out, const xipc_addr_t *addr);
int xipc__udp_addr(const xipc_udp_t *udp, xipc_addr_t *addr);
int xipc__udp_connect(xipc_udp_t *udp, const xipc_addr_t *peer);
int xipc__udp_send(xipc_udp_t *udp, const void *buf, size_t len, const xipc_addr_t *to,
                   int timeout_ms);
int xipc__udp_recv(xipc_udp_t *udp, void *buf, size_t cap, xipc_addr_t *from, int timeout_ms,
                   size_t *msg_size);
xipc_os_handle_t xipc__udp_native(const xipc_udp_t *udp);
int xipc__udp_close(xipc_udp_t *udp);

/* ---- Shared-memory synchronisation words (backend shmsync.c) ---------------- */

/*
 * Sequentially consistent atomic operations on a 32-bit word in memory
 * shared between processes (aligned; the same on 32- and 64-bit processes).
 */
uint32_t xipc__atomic_load(volatile uint32_t *word);
void xipc__atomic_store(volatile uint32_t *word, uint32_t value);
bool xipc__atomic_cas(volatile uint32_t *word, uint32_t expected, uint32_t desired);
uint32_t xipc__atomic_add(volatile uint32_t *word, uint32_t delta); /* returns the old value */
/* A full memory barrier, also for the compiler. */
void xipc__memory_barrier(void);
/* A pause for a spinning loop (the CPU's spin-wait hint). */
void xipc__cpu_relax(void);
/* Give the processor away once (sched_yield / SwitchToThread). */
void xipc__yield(void);
/* True while process `pid` exists (or may: an error other than "no such process"). */
bool xipc__process_alive(uint32_t pid);
/*
 * This process's id as the owner value of a lock word in shared memory:
 * cheap (no system call after the first), and right in a child made by
 * fork(), which must not take locks under its parent's id.
 */
uint32_t xipc__lock_owner_self(void);

/*
 * Sleeping on a shared word until another process wakes it (futex-like):
 * one waiter object per purpose of a named object, opened by every process
 * that uses it (Windows: a named semaphore; Linux: nothing but the word).
 * xipc__shm_wait returns 0 when woken (or when *word no longer equals
 * `seen`, or spuriously: callers re-check their condition) and the timeout
 * error once `deadline` passes. xipc__shm_wake changes *word and wakes one
 * sleeper; call it only when someone sleeps (the caller counts them), so a
 * wake costs nothing otherwise.
 */
typedef struct xipc__shm_waiter xipc__shm_waiter_t;
int xipc__shm_waiter_open(xipc__shm_waiter_t **out, xipc_kind_t kind, const char *name,
                          const char *purpose, bool create);
void xipc__shm_waiter_close(xipc__shm_waiter_t *waiter);
int xipc__shm_wait(xipc__shm_waiter_t *waiter, volatile uint32_t *word, uint32_t seen,
                   uint64_t deadline, int timeout_ms);
void xipc__shm_wake(xipc__shm_waiter_t *waiter, volatile uint32_t *word);

/* ---- Message queues (src/mq.c, src/mqshm.c; backend mq.c for the native queue) ---- */

typedef struct xipc__mqshm xipc__mqshm_t;
typedef struct xipc__mqnative xipc__mqnative_t;

/*
 * The shm queue (src/mqshm.c), with valid names, attributes in range,
 * prio < XIPC_MQ_PRIO_MAX, len <= max_msg_size, cap >= max_msg_size.
 */
int xipc__mqshm_create(xipc__mqshm_t **out, const char *name, const xipc_mq_attr_t *attr);
int xipc__mqshm_open(xipc__mqshm_t **out, const char *name);
int xipc__mqshm_send(xipc__mqshm_t *q, const void *buf, size_t len, unsigned prio, int timeout_ms);
int xipc__mqshm_recv(xipc__mqshm_t *q, void *buf, size_t cap, unsigned *prio, int timeout_ms);
int xipc__mqshm_attr(xipc__mqshm_t *q, xipc_mq_attr_t *attr, size_t *count);
void xipc__mqshm_close(xipc__mqshm_t *q);
int xipc__mqshm_unlink(const char *name);

/* The native queue's functions (same contract as the shm ones above; unlink: XIPC_ENOENT). */
typedef struct xipc__mqnative_ops {
  int (*create)(xipc__mqnative_t **out, const char *name, const xipc_mq_attr_t *attr);
  int (*open)(xipc__mqnative_t **out, const char *name);
  int (*send)(xipc__mqnative_t *q, const void *buf, size_t len, unsigned prio, int timeout_ms);
  int (*recv)(xipc__mqnative_t *q, void *buf, size_t cap, unsigned *prio, int timeout_ms);
  int (*attr)(xipc__mqnative_t *q, xipc_mq_attr_t *attr, size_t *count);
  void (*close)(xipc__mqnative_t *q);
  int (*unlink)(const char *name);
  int (*limits)(size_t *max_msgs, size_t *max_msg_size);
} xipc__mqnative_ops_t;

/* Backend: the native queue, or NULL where the system has no POSIX queues (XIPC_ENOTSUP). */
const xipc__mqnative_ops_t *xipc__mqnative(void);

#endif
