/* SPDX-License-Identifier: MIT */
/*
 * What a test file needs: TEST_IMPL / HELPER_IMPL, assertions that print
 * file, line, expression and both values, skips with a reason, helpers
 * started as real processes, and unique object names.
 *
 * Every test runs in a process of its own (the runner re-executes itself),
 * so an assertion simply reports and exits; nothing needs cleaning up for
 * the next test. Tests are registered in test-list.h, nowhere else.
 */
#ifndef XIPC_TEST_TASK_H
#define XIPC_TEST_TASK_H

#include "xipc.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define TEST_IMPL(family, name) void test_##family##__##name(void)
#define HELPER_IMPL(name)       int helper_##name(int argc, char **argv)

/* Exit code of a skipped test (ctest's SKIP_RETURN_CODE). */
#define TEST_SKIP_CODE 77

/* ---- Failure reporting (runner.c) ------------------------------------ */

/* They do not return (the test process exits), which the compiler is told. */
#if defined(_MSC_VER) && !defined(__clang__)
#  define TEST_NORETURN __declspec(noreturn)
#else
#  define TEST_NORETURN _Noreturn
#endif

TEST_NORETURN void test_fail(const char *file, int line, const char *fmt, ...);
TEST_NORETURN void test_fail_int(const char *file, int line, const char *expr, intmax_t a,
                                 intmax_t b);
TEST_NORETURN void test_fail_str(const char *file, int line, const char *expr, const char *a,
                                 const char *b);
TEST_NORETURN void test_fail_err(const char *file, int line, const char *expr, int expected,
                                 int actual);
/* Print "SKIP: <reason>" and exit with TEST_SKIP_CODE. */
TEST_NORETURN void test_skip(const char *fmt, ...);

#define ASSERT_TRUE(expr)                                           \
  do {                                                              \
    if (!(expr))                                                    \
      test_fail(__FILE__, __LINE__, "assertion failed: %s", #expr); \
  } while (0)

#define ASSERT_INT_OP_(a, op, b)                                    \
  do {                                                              \
    intmax_t a_ = (intmax_t)(a), b_ = (intmax_t)(b);                \
    if (!(a_ op b_))                                                \
      test_fail_int(__FILE__, __LINE__, #a " " #op " " #b, a_, b_); \
  } while (0)

#define ASSERT_EQ(a, b) ASSERT_INT_OP_(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_INT_OP_(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_INT_OP_(a, <, b)
#define ASSERT_LE(a, b) ASSERT_INT_OP_(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_INT_OP_(a, >, b)
#define ASSERT_GE(a, b) ASSERT_INT_OP_(a, >=, b)

#define ASSERT_NULL(p)     ASSERT_TRUE((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT_TRUE((p) != NULL)

#define ASSERT_STR_EQ(a, b)                                    \
  do {                                                         \
    const char *a_ = (a), *b_ = (b);                           \
    if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)       \
      test_fail_str(__FILE__, __LINE__, #a " == " #b, a_, b_); \
  } while (0)

/* `expr` must succeed (return >= 0); its value is discarded. */
#define ASSERT_OK(expr)                                 \
  do {                                                  \
    int rc_ = (expr);                                   \
    if (rc_ < 0)                                        \
      test_fail_err(__FILE__, __LINE__, #expr, 0, rc_); \
  } while (0)

/* `expr` must fail with exactly the XIPC_E* code `code`. */
#define ASSERT_ERR(expr, code)                               \
  do {                                                       \
    int rc_ = (expr);                                        \
    if (rc_ != (code))                                       \
      test_fail_err(__FILE__, __LINE__, #expr, (code), rc_); \
  } while (0)

#define SKIP(...) test_skip(__VA_ARGS__)

/*
 * Leave an OS error behind (opening a segment that does not exist), so that
 * a following argument error must reset xipc_last_os_error() to show it
 * found the error itself.
 */
void test_prime_os_error(void);

/* `expr` fails with `code`, found by xipc itself: no OS error behind it. */
#define ASSERT_ARG_ERR(expr, code)      \
  do {                                  \
    test_prime_os_error();              \
    ASSERT_ERR(expr, code);             \
    ASSERT_EQ(xipc_last_os_error(), 0); \
  } while (0)

/* ---- Helpers: the runner itself, started as another process ---------- */

/*
 * argv to run helper `name` with the given arguments (NULL-terminated
 * list): { <this executable>, "--helper", name, args..., NULL }. The array
 * is static storage, valid until the next call.
 */
const char *const *helper_argv(const char *name, ...);

/* Start helper `name` with arguments (NULL-terminated list); fails the test on error. */
xipc_process_t *helper_start(const char *name, ...);

/* Start a helper with caller-filled options (opts->argv from helper_argv()). */
#define helper_start_opts(opts) helper_start_opts_at(__FILE__, __LINE__, opts)
xipc_process_t *helper_start_opts_at(const char *file, int line, xipc_spawn_options_t *opts);

/*
 * Wait for a helper (10 s times the multiplier) and close it; returns its
 * exit status. Fails the test if it does not end.
 */
#define helper_finish(proc) helper_finish_at(__FILE__, __LINE__, proc)
xipc_exit_t helper_finish_at(const char *file, int line, xipc_process_t *proc);

/* Wait for the helper and require that it exited by itself with `code`. */
#define helper_expect_exit(proc, code) helper_expect_exit_at(__FILE__, __LINE__, proc, code)
void helper_expect_exit_at(const char *file, int line, xipc_process_t *proc, int code);

/* Fail the test at once when one of the helpers has already ended with an error. */
#define helpers_check_running(procs, count) \
  helpers_check_running_at(__FILE__, __LINE__, procs, count)
void helpers_check_running_at(const char *file, int line, xipc_process_t *const *procs, int count);

/* In a helper: print "<helper>: <what>: <error name>" to stderr and return `code` (its exit code).
 */
int helper_error(const char *helper, const char *what, int rc, int code);

/* ---- Connections: units and the load test (load.c) ------------------ */

/* One unit on a connection: a whole message (`messages`), or len bytes of a byte stream. */
int test_unit_send(xipc_stream_t *s, bool messages, const void *buf, size_t len);
/* Receive one unit of exactly len bytes (a message of another size: XIPC_EPROTO). */
int test_unit_recv(xipc_stream_t *s, bool messages, void *buf, size_t len);
/* Wait until the peer has closed: a read of 0 (bytes) or XIPC_EOF (messages). 0 or an error. */
int test_wait_end(xipc_stream_t *s, bool messages);

#define LOAD_CLIENTS     8
#define LOAD_MESSAGES    1000
#define LOAD_PAYLOAD_MAX 2000

/*
 * The load test's client, on connection s, as client `id` (a helper process
 * started by the test): wait for the server's go, send LOAD_MESSAGES framed
 * messages, check the server's acknowledgement, close s. Returns the helper's
 * exit code (0, or 102..106 with what failed printed as `helper`).
 */
int load_client(const char *helper, xipc_stream_t *s, bool messages, uint32_t id);

/*
 * The load test's server: accept the LOAD_CLIENTS client processes `procs`
 * on l (failing early when one of them ended), start them all at once, serve
 * each connection in its own thread checking every message, then require
 * that every client exited with 0.
 */
void load_serve_clients(xipc_listener_t *l, bool messages, xipc_process_t *const *procs);

/* ---- Names, paths, time ---------------------------------------------- */

/*
 * A portable object name unique to this process and call: "xt<pid>-<run>-<n>-<tag>".
 * Returned in buf (at least 64 bytes).
 */
const char *test_unique_name(char *buf, size_t cap, const char *tag);

/* Milliseconds of the monotonic clock. */
int64_t test_now_ms(void);

/* Multiply a timeout by $XIPC_TEST_TIMEOUT_MULTIPLIER (slow builds, Wine). */
int test_timeout(int ms);

/* Size of a file in bytes, -1 when it cannot be opened. */
long test_file_size(const char *path);

/*
 * Liveness through a file that a helper (touch_forever) appends to every
 * 10 ms: wait until it has grown, or check that it has stopped growing.
 */
void test_wait_file_grows(const char *path);
void test_expect_file_stopped(const char *path);

/*
 * Deterministic test data: byte i of the stream with this seed, and a
 * running FNV-1a checksum (start with TEST_FNV_INIT).
 */
void test_fill_pattern(void *buf, size_t len, uint32_t seed, uint64_t offset);
#define TEST_FNV_INIT UINT64_C(14695981039346656037)
uint64_t test_fnv(uint64_t hash, const void *buf, size_t len);

/* Read a stream to its end (at most cap bytes, 10 s); returns the count. Fails the test on error.
 */
size_t test_read_all(xipc_stream_t *stream, void *buf, size_t cap);

/* A stream's token, for a helper's command line (static storage per slot 0-3). */
const char *test_token(xipc_stream_t *stream, int slot);

/* Path of the test runner executable (this program). */
const char *test_self_exe(void);

/* The raw argv the runner received (the C runtime's), for argument tests. */
extern int test_raw_argc;
extern char **test_raw_argv;

/* ---- What differs by system (os-posix.c / os-win32.c) ---------------- */

/* True when running under Wine. */
bool test_os_is_wine(void);

/* The null device path ("/dev/null", "NUL"). */
const char *test_os_null_device(void);

/* A command interpreter and arguments that make it exit with `code` ("sh -c 'exit N'"). */
void test_os_shell_exit(int code, const char **file, const char *argv[5], char *buf, size_t cap);

/* UTF-8 argv of this process (Windows: from GetCommandLineW); argv itself on POSIX. */
char **test_os_utf8_argv(int argc, char **argv);

/* A new empty directory under the system's temporary directory; path in buf. */
void test_os_make_tmpdir(char *buf, size_t cap);
/* Remove a file or an empty directory; ignore errors. */
void test_os_remove(const char *path);
/* Current working directory, canonical (symlinks resolved) where the system has them. */
void test_os_getcwd(char *buf, size_t cap);
/* Canonical form of an existing directory path, comparable with test_os_getcwd(). */
void test_os_canonical(const char *path, char *buf, size_t cap);
/* Mark a file executable (POSIX chmod 0700; nothing on Windows). */
void test_os_make_executable(const char *path);
/* Set an environment variable of this process (UTF-8), for children to inherit. */
void test_os_setenv(const char *name, const char *value);
/* Value of an environment variable as UTF-8, or NULL. Static storage. */
const char *test_os_getenv(const char *name);

/*
 * A handle/descriptor opened outside xipc and made inheritable on purpose,
 * described as a string for a child's command line.
 */
void test_os_make_inheritable_probe(char *token, size_t cap);
/* In the child: true when the probe's object is reachable through the token. */
bool test_os_probe_visible(const char *token);
/* Number of open descriptors of this process, or -1 where it cannot be counted. */
int test_os_count_handles(void);
/* True when standard stream `i` (0-2) is the null device. */
bool test_os_stdio_is_null(int i);

/* ---- Plain shared memory, for interoperation tests (no xipc inside) --- */

/* A native shm name unique to this process and call: "/<unique name>" or "Local\\<unique name>". */
void test_os_native_shm_name(char *buf, size_t cap, const char *tag);
/* Open native segment `native` with plain system calls and write `text` at its start. */
bool test_os_plain_shm_write(const char *native, const char *text);
/* Create native segment `native` of `size` bytes with plain system calls, `text` at its start. */
void *test_os_plain_shm_create(const char *native, size_t size, const char *text);
/* Unmap and remove what test_os_plain_shm_create() made. */
void test_os_plain_shm_destroy(const char *native, void *addr, size_t size);
/* True when native segment `native` is owner-only (0600 and ours / owner DACL); *checked as for
 * DACLs. */
bool test_os_shm_private(const char *native, bool *checked);

/* An OS error code and the XIPC_E* it must translate to. */
typedef struct test_os_error_case {
  int os_code;
  int expected;
  const char *label;
} test_os_error_case_t;
const test_os_error_case_t *test_os_error_cases(size_t *count);

/* The OS codes a missing program may produce when started (errno ENOENT; two Win32 codes). */
bool test_os_is_not_found_code(int os_code);

/* Run fn(arg) on a new thread and wait for it. */
void test_os_run_thread(void (*fn)(void *), void *arg);

/* Start fn(arg) on a new thread; test_os_thread_join() waits for it. */
typedef struct test_os_thread test_os_thread_t;
test_os_thread_t *test_os_thread_start(void (*fn)(void *), void *arg);
void test_os_thread_join(test_os_thread_t *thread);

/* A duplicate of a native handle (dup(); DuplicateHandle()), owned by the caller. */
xipc_os_handle_t test_os_dup_handle(xipc_os_handle_t handle);

/* Largest write to a pipe that the system promises is atomic (PIPE_BUF on POSIX). */
int test_os_pipe_atomic(void);

/* True when SIGPIPE has its default disposition (always true on Windows). */
bool test_os_sigpipe_is_default(void);
/* True when SIGPIPE is ignored (SIG_IGN); true on Windows, which has no SIGPIPE. */
bool test_os_sigpipe_is_ignored(void);

/* Put stdin/stdout/stderr in binary mode (Windows text mode turns \n into \r\n). */
void test_os_binary_stdio(void);

/* Set the process umask (POSIX), returning the old one; no-op returning 0 on Windows. */
int test_os_set_umask(int mask);

/* chmod (POSIX); nothing on Windows. */
void test_os_chmod(const char *path, int mode);

/* Permission bits of a path (POSIX st_mode & 07777), or -1 on Windows. */
int test_os_file_mode(const char *path);

/*
 * Windows: true when the DACL of the object behind `handle` grants access to
 * the current user and SYSTEM only. POSIX: not applicable, returns true.
 * Sets *checked to whether anything was checked.
 */
bool test_os_owner_only_dacl(xipc_os_handle_t handle, bool *checked);

/* ---- Local channels and mailslots without xipc (interoperation tests) -- */

/* The effective user id (POSIX); -1 on Windows, as xipc_peer_t.uid reports there. */
int64_t test_os_uid(void);

/* True when anything exists at `path` (a file of any type, also a dangling symlink). */
bool test_os_path_exists(const char *path);

/* True when the native handle would be inherited by a child (no FD_CLOEXEC; HANDLE_FLAG_INHERIT).
 */
bool test_os_handle_inheritable(xipc_os_handle_t handle);

/*
 * POSIX: the lowest descriptor above 2 of this process that is not
 * close-on-exec, or -1 when there is none. Windows: -1 (handles cannot be
 * listed; test_os_handle_inheritable() checks single handles).
 */
int test_os_first_inheritable_fd(void);

/*
 * Take standard stream `i` (0-2) away from this process (POSIX: close the
 * descriptor; Windows: no standard handle) and return a copy of it to give
 * back with test_os_reattach_stdio().
 */
xipc_os_handle_t test_os_detach_stdio(int i);
void test_os_reattach_stdio(int i, xipc_os_handle_t saved);

/* End the calling thread (the main thread too: the process lives on while other threads run). */
TEST_NORETURN void test_os_exit_thread(void);
/* True where test_os_fork() can make a child (POSIX; Windows has no fork()). */
bool test_os_has_fork(void);
/* POSIX: fork() a child that runs fn(arg) and then _exit(0)s; its pid. Windows: -1. */
int64_t test_os_fork(void (*fn)(void *), void *arg);
/* Kill (SIGKILL) and reap a child of test_os_fork(); false if it had already ended. */
bool test_os_kill_forked(int64_t pid);

/*
 * A local-channel server made of plain system calls at native name `native`
 * (xipc_name_native(XIPC_KIND_LOCAL, ...)): POSIX socket() + bind() +
 * listen(), SOCK_STREAM or SOCK_SEQPACKET (the directory must exist);
 * Windows CreateNamedPipeW(), PIPE_TYPE_BYTE or PIPE_TYPE_MESSAGE, unlimited
 * instances, owned by the current user. NULL on failure (the reason is printed).
 */
typedef struct test_os_plain_server test_os_plain_server_t;
test_os_plain_server_t *test_os_plain_server_start(const char *native, bool messages);
/*
 * Accept one client, read one line (bytes: up to and including '\n') or one
 * message into got (NUL-terminated), send `reply`, disconnect the client.
 * Returns the length read, or -1 (the reason is printed).
 */
int test_os_plain_server_serve(test_os_plain_server_t *server, char *got, size_t cap,
                               const char *reply);
/* Close the server; POSIX also removes its socket file. */
void test_os_plain_server_close(test_os_plain_server_t *server);

/*
 * A client made of plain system calls: connect to `native`, send `text`,
 * read one reply line or message into reply (NUL-terminated), disconnect.
 * Returns the reply's length, or -1 (the reason is printed).
 */
int test_os_plain_client(const char *native, bool messages, const char *text, char *reply,
                         size_t cap);

/*
 * Send one message to the mailslot of native name `native` with plain system
 * calls: POSIX sendto() on its socket path, Windows CreateFileW + WriteFile.
 */
bool test_os_plain_mailslot_send(const char *native, const void *buf, size_t len);

/*
 * A message-mode client made of plain system calls: connect to `native`,
 * send one message of sizes[i] bytes (test_fill_pattern seed i) for each i,
 * then wait until the server closes. Returns 0, or -1 (the reason is printed).
 */
int test_os_plain_send_messages(const char *native, const size_t *sizes, size_t count);

/* ---- TCP and UDP without xipc (interoperation tests) ---------------------- */

/*
 * A TCP client of plain socket calls (BSD sockets; Winsock, started and
 * stopped here): connect to numeric `host`:`port`, send `text`, read one
 * reply line into reply (NUL-terminated), close. Returns the reply's length,
 * or -1 (the reason is printed).
 */
int test_os_plain_tcp_client(const char *host, uint16_t port, const char *text, char *reply,
                             size_t cap);

/*
 * A TCP socket of plain socket calls connected to numeric `host`:`port`, for
 * xipc_stream_from_native() (Windows: a Winsock reference is kept for it
 * until test_os_plain_net_release()). XIPC_OS_HANDLE_INVALID on failure.
 */
xipc_os_handle_t test_os_plain_tcp_socket(const char *host, uint16_t port);
/* Windows: drop the Winsock reference of test_os_plain_tcp_socket(). POSIX: nothing. */
void test_os_plain_net_release(void);
/* Close a socket of test_os_plain_tcp_socket() (and drop its Winsock reference). */
void test_os_plain_tcp_close(xipc_os_handle_t sock);
/* Send one byte of urgent (out-of-band) data on a plain TCP socket; false on failure. */
bool test_os_plain_send_urgent(xipc_os_handle_t sock);
/* CPU time (user + system) this process has used, in milliseconds. */
int64_t test_os_cpu_ms(void);

/*
 * Connect to numeric `host`:`port` with plain socket calls, wait for one byte
 * from the server, then close abortively (SO_LINGER on, 0 seconds), so the
 * server's end is reset. Returns 0, or -1 (the reason is printed).
 */
int test_os_plain_tcp_reset(const char *host, uint16_t port);

/*
 * Bind a plain TCP socket with SO_REUSEADDR to numeric `host`:`port` and
 * listen, then close it. Returns 0 when that worked, otherwise the OS error
 * code of the failure (errno; WSAGetLastError()), for xipc_err_from_os().
 */
int test_os_plain_tcp_bind(const char *host, uint16_t port);

/*
 * Send one UDP datagram of `len` bytes (test_fill_pattern seed 0) from a plain
 * socket to numeric `host`:`port`. Returns 0, or -1 (the reason is printed).
 */
int test_os_plain_udp_send(const char *host, uint16_t port, size_t len);

/* TCP_NODELAY of a connected socket: 1 or 0 (fails the test when it cannot be read). */
int test_os_tcp_nodelay(xipc_os_handle_t sock);

/* ---- Message queues without xipc (test-mq.c) ------------------------------ */

/*
 * Send texts[i] (without its NUL) at priority prios[i], i < count, to the
 * POSIX message queue of native name `native` (xipc_name_native(XIPC_KIND_MQ,
 * ...)) with plain mq_open() + mq_send(). Returns 0, or -1 (the reason is
 * printed; always -1 on Windows, which has no POSIX queues).
 */
int test_os_plain_mq_send(const char *native, const char *const *texts, const unsigned *prios,
                          size_t count);

/*
 * The limits for POSIX queues of unprivileged processes as the system
 * publishes them (Linux: /proc/sys/fs/mqueue/msg_max and msgsize_max);
 * false where it publishes none.
 */
bool test_os_mq_sysctl_limits(size_t *max_msgs, size_t *max_msg_size);

/* Permission bits of POSIX queue `native` (Linux: fstat() of its descriptor); -1 if unknown. */
int test_os_mq_mode(const char *native);

#endif
