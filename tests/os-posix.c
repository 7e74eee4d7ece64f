/* SPDX-License-Identifier: MIT */
/* What the tests need that differs by system: the POSIX side (os-win32.c mirrors it). */
#include "task.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

bool test_os_is_wine(void) {
  return false;
}

const char *test_os_null_device(void) {
  return "/dev/null";
}

void test_os_shell_exit(int code, const char **file, const char *argv[5], char *buf, size_t cap) {
  snprintf(buf, cap, "exit %d", code);
  *file = "sh";
  argv[0] = "sh";
  argv[1] = "-c";
  argv[2] = buf;
  argv[3] = NULL;
}

char **test_os_utf8_argv(int argc, char **argv) {
  (void)argc;
  return argv;
}

void test_os_make_tmpdir(char *buf, size_t cap) {
  const char *tmp = getenv("TMPDIR");
  snprintf(buf, cap, "%s/xipc-test-XXXXXX", tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
  if (mkdtemp(buf) == NULL)
    test_fail(__FILE__, __LINE__, "mkdtemp(%s): errno %d", buf, errno);
}

void test_os_remove(const char *path) {
  if (unlink(path) != 0)
    rmdir(path);
}

void test_os_getcwd(char *buf, size_t cap) {
  char raw[PATH_MAX];
  if (getcwd(raw, sizeof raw) == NULL)
    test_fail(__FILE__, __LINE__, "getcwd: errno %d", errno);
  test_os_canonical(raw, buf, cap);
}

void test_os_canonical(const char *path, char *buf, size_t cap) {
  char real[PATH_MAX];
  if (realpath(path, real) == NULL)
    test_fail(__FILE__, __LINE__, "realpath(%s): errno %d", path, errno);
  snprintf(buf, cap, "%s", real);
}

void test_os_make_executable(const char *path) {
  if (chmod(path, 0700) != 0)
    test_fail(__FILE__, __LINE__, "chmod(%s): errno %d", path, errno);
}

void test_os_setenv(const char *name, const char *value) {
  if (setenv(name, value, 1) != 0)
    test_fail(__FILE__, __LINE__, "setenv(%s): errno %d", name, errno);
}

const char *test_os_getenv(const char *name) {
  return getenv(name);
}

void test_os_make_inheritable_probe(char *token, size_t cap) {
  /* Deliberately without O_CLOEXEC: the spawn must close it anyway. */
  int fd = open("/dev/null", O_RDONLY);
  if (fd < 0)
    test_fail(__FILE__, __LINE__, "open(/dev/null): errno %d", errno);
  snprintf(token, cap, "%d", fd);
}

bool test_os_probe_visible(const char *token) {
  return fcntl(atoi(token), F_GETFD) != -1;
}

int test_os_count_handles(void) {
  DIR *dir = opendir("/proc/self/fd");
  struct dirent *e;
  int count = 0;
  if (dir == NULL)
    return -1;
  while ((e = readdir(dir)) != NULL) {
    if (e->d_name[0] != '.')
      count++;
  }
  closedir(dir);
  return count - 1; /* the directory's own descriptor */
}

bool test_os_stdio_is_null(int i) {
  struct stat fd_stat, null_stat;
  if (fstat(i, &fd_stat) != 0 || stat("/dev/null", &null_stat) != 0)
    return false;
  return fd_stat.st_rdev == null_stat.st_rdev && S_ISCHR(fd_stat.st_mode);
}

static const test_os_error_case_t error_cases[] = {
    {0, 0, "0"},
    {EINVAL, XIPC_EINVAL, "EINVAL"},
    {ENOMEM, XIPC_ENOMEM, "ENOMEM"},
    {EAGAIN, XIPC_EAGAIN, "EAGAIN"},
    {EWOULDBLOCK, XIPC_EAGAIN, "EWOULDBLOCK"},
    {ETIMEDOUT, XIPC_ETIMEDOUT, "ETIMEDOUT"},
    {EPIPE, XIPC_EPIPE, "EPIPE"},
    {EEXIST, XIPC_EEXIST, "EEXIST"},
    {ENOENT, XIPC_ENOENT, "ENOENT"},
    {ENOTDIR, XIPC_ENOENT, "ENOTDIR"},
    {EACCES, XIPC_EACCES, "EACCES"},
    {EPERM, XIPC_EPERM, "EPERM"},
    {ENAMETOOLONG, XIPC_ENAMETOOLONG, "ENAMETOOLONG"},
    {EMSGSIZE, XIPC_EMSGSIZE, "EMSGSIZE"},
    {EBADF, XIPC_EBADF, "EBADF"},
    {EBUSY, XIPC_EBUSY, "EBUSY"},
    {ENOTSUP, XIPC_ENOTSUP, "ENOTSUP"},
    {ENOSYS, XIPC_ENOTSUP, "ENOSYS"},
    {EAFNOSUPPORT, XIPC_ENOTSUP, "EAFNOSUPPORT"},
    {ECONNREFUSED, XIPC_ECONNREFUSED, "ECONNREFUSED"},
    {ECONNRESET, XIPC_ECONNRESET, "ECONNRESET"},
    {ECONNABORTED, XIPC_ECONNABORTED, "ECONNABORTED"},
    {ENOTCONN, XIPC_ENOTCONN, "ENOTCONN"},
    {EADDRINUSE, XIPC_EADDRINUSE, "EADDRINUSE"},
    {EADDRNOTAVAIL, XIPC_EADDRNOTAVAIL, "EADDRNOTAVAIL"},
    {ENETUNREACH, XIPC_ENETUNREACH, "ENETUNREACH"},
    {EHOSTUNREACH, XIPC_EHOSTUNREACH, "EHOSTUNREACH"},
    {EOWNERDEAD, XIPC_EOWNERDEAD, "EOWNERDEAD"},
    {ENOTRECOVERABLE, XIPC_ENOTRECOVERABLE, "ENOTRECOVERABLE"},
    {ENOSPC, XIPC_ENOSPC, "ENOSPC"},
    {EIO, XIPC_EIO, "EIO"},
    {EMFILE, XIPC_EMFILE, "EMFILE"},
    {ENFILE, XIPC_EMFILE, "ENFILE"},
    {ESRCH, XIPC_ESRCH, "ESRCH"},
    {ECHILD, XIPC_ESRCH, "ECHILD"},
    {ENOEXEC, XIPC_ENOEXEC, "ENOEXEC"},
    {EPROTO, XIPC_EPROTO, "EPROTO"},
    {EPROTOTYPE, XIPC_EPROTO, "EPROTOTYPE"},
    {ECANCELED, XIPC_ECANCELED, "ECANCELED"},
    {EOVERFLOW, XIPC_EOVERFLOW, "EOVERFLOW"},
    {EDEADLK, XIPC_EDEADLK, "EDEADLK"},
    {EINTR, XIPC_ESYSTEM, "EINTR (never returned; unmapped)"},
    {EXDEV, XIPC_ESYSTEM, "EXDEV (unmapped)"},
};

const test_os_error_case_t *test_os_error_cases(size_t *count) {
  *count = ARRAY_SIZE(error_cases);
  return error_cases;
}

bool test_os_is_not_found_code(int os_code) {
  return os_code == ENOENT;
}

typedef struct thread_call {
  void (*fn)(void *);
  void *arg;
} thread_call_t;

static void *thread_main(void *p) {
  thread_call_t *call = p;
  call->fn(call->arg);
  return NULL;
}

void test_os_run_thread(void (*fn)(void *), void *arg) {
  thread_call_t call;
  pthread_t thread;
  call.fn = fn;
  call.arg = arg;
  if (pthread_create(&thread, NULL, thread_main, &call) != 0)
    test_fail(__FILE__, __LINE__, "pthread_create failed");
  pthread_join(thread, NULL);
}

struct test_os_thread {
  pthread_t thread;
  thread_call_t call;
};

test_os_thread_t *test_os_thread_start(void (*fn)(void *), void *arg) {
  test_os_thread_t *t = calloc(1, sizeof *t);
  ASSERT_NOT_NULL(t);
  t->call.fn = fn;
  t->call.arg = arg;
  if (pthread_create(&t->thread, NULL, thread_main, &t->call) != 0)
    test_fail(__FILE__, __LINE__, "pthread_create failed");
  return t;
}

void test_os_thread_join(test_os_thread_t *thread) {
  pthread_join(thread->thread, NULL);
  free(thread);
}

bool test_os_sigpipe_is_default(void) {
  struct sigaction sa;
  sigset_t mask;
  if (sigaction(SIGPIPE, NULL, &sa) != 0 || pthread_sigmask(SIG_SETMASK, NULL, &mask) != 0)
    return false;
  return sa.sa_handler == SIG_DFL && !sigismember(&mask, SIGPIPE);
}

void test_os_binary_stdio(void) {}

int test_os_set_umask(int mask) {
  return (int)umask((mode_t)mask);
}

int test_os_file_mode(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0)
    test_fail(__FILE__, __LINE__, "stat(%s): errno %d", path, errno);
  return (int)(st.st_mode & 07777);
}

bool test_os_owner_only_dacl(xipc_os_handle_t handle, bool *checked) {
  (void)handle;
  *checked = false;
  return true;
}

xipc_os_handle_t test_os_dup_handle(xipc_os_handle_t handle) {
  int fd = fcntl((int)handle, F_DUPFD_CLOEXEC, 3);
  if (fd < 0)
    test_fail(__FILE__, __LINE__, "dup: errno %d", errno);
  return (xipc_os_handle_t)fd;
}

int test_os_pipe_atomic(void) {
  return PIPE_BUF;
}

void test_os_chmod(const char *path, int mode) {
  if (chmod(path, (mode_t)mode) != 0)
    test_fail(__FILE__, __LINE__, "chmod(%s): errno %d", path, errno);
}

bool test_os_sigpipe_is_ignored(void) {
  struct sigaction sa;
  return sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

void test_os_native_shm_name(char *buf, size_t cap, const char *tag) {
  char unique[96];
  snprintf(buf, cap, "/%s", test_unique_name(unique, sizeof unique, tag));
}

bool test_os_plain_shm_write(const char *native, const char *text) {
  struct stat st;
  void *addr;
  int fd = shm_open(native, O_RDWR, 0);
  if (fd < 0 || fstat(fd, &st) != 0 || (size_t)st.st_size < strlen(text))
    return false;
  addr = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (addr == MAP_FAILED)
    return false;
  memcpy(addr, text, strlen(text));
  munmap(addr, (size_t)st.st_size);
  return true;
}

void *test_os_plain_shm_create(const char *native, size_t size, const char *text) {
  void *addr;
  int fd = shm_open(native, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0 || ftruncate(fd, (off_t)size) != 0)
    return NULL;
  addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (addr == MAP_FAILED)
    return NULL;
  memcpy(addr, text, strlen(text));
  return addr;
}

void test_os_plain_shm_destroy(const char *native, void *addr, size_t size) {
  munmap(addr, size);
  shm_unlink(native);
}

bool test_os_shm_private(const char *native, bool *checked) {
  struct stat st;
  int fd = shm_open(native, O_RDONLY, 0);
  bool ok;
  *checked = true;
  if (fd < 0 || fstat(fd, &st) != 0)
    test_fail(__FILE__, __LINE__, "shm_open/fstat(%s): errno %d", native, errno);
  close(fd);
  ok = (st.st_mode & 07777) == 0600 && st.st_uid == geteuid();
  if (!ok)
    printf("%s has mode %o, owner %d\n", native, (unsigned)(st.st_mode & 07777), (int)st.st_uid);
  return ok;
}

/* ---- Local channels and mailslots without xipc ------------------------- */

#include <sys/socket.h>
#include <sys/un.h>

int64_t test_os_uid(void) {
  return (int64_t)geteuid();
}

bool test_os_path_exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

bool test_os_handle_inheritable(xipc_os_handle_t handle) {
  int flags = fcntl((int)handle, F_GETFD);
  if (flags < 0)
    test_fail(__FILE__, __LINE__, "fcntl(%d, F_GETFD): errno %d", (int)handle, errno);
  return (flags & FD_CLOEXEC) == 0;
}

int test_os_first_inheritable_fd(void) {
  DIR *dir = opendir("/proc/self/fd");
  struct dirent *e;
  int found = -1;
  if (dir == NULL)
    return -1; /* cannot list them here */
  while ((e = readdir(dir)) != NULL) {
    int fd;
    if (e->d_name[0] == '.')
      continue;
    fd = atoi(e->d_name);
    if (fd <= 2 || fd == dirfd(dir))
      continue;
    if ((fcntl(fd, F_GETFD) & FD_CLOEXEC) == 0 && (found < 0 || fd < found))
      found = fd;
  }
  closedir(dir);
  return found;
}

xipc_os_handle_t test_os_detach_stdio(int i) {
  int saved = fcntl(i, F_DUPFD_CLOEXEC, 3);
  if (saved < 0 || close(i) != 0)
    test_fail(__FILE__, __LINE__, "detaching descriptor %d: %s", i, strerror(errno));
  return (xipc_os_handle_t)saved;
}

void test_os_reattach_stdio(int i, xipc_os_handle_t saved) {
  if (dup2((int)saved, i) != i)
    test_fail(__FILE__, __LINE__, "reattaching descriptor %d: %s", i, strerror(errno));
  close((int)saved);
}

void test_os_exit_thread(void) {
  pthread_exit(NULL);
}

bool test_os_has_fork(void) {
  return true;
}

int64_t test_os_fork(void (*fn)(void *), void *arg) {
  pid_t pid = fork();
  if (pid < 0)
    test_fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
  if (pid == 0) {
    fn(arg);
    _exit(0);
  }
  return pid;
}

bool test_os_kill_forked(int64_t pid) {
  int status;
  kill((pid_t)pid, SIGKILL);
  if (waitpid((pid_t)pid, &status, 0) != (pid_t)pid)
    test_fail(__FILE__, __LINE__, "waitpid: %s", strerror(errno));
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

/* A sockaddr_un for `path`; false (and a message) when it does not fit. */
static bool plain_address(const char *path, struct sockaddr_un *addr) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr->sun_path) {
    fprintf(stderr, "plain socket: path too long: %s\n", path);
    return false;
  }
  memcpy(addr->sun_path, path, strlen(path) + 1);
  return true;
}

static int plain_socket(bool messages) {
  int fd = socket(AF_UNIX, messages ? SOCK_SEQPACKET : SOCK_STREAM, 0);
  if (fd >= 0)
    fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

/* Read one line (stream) or one message (seqpacket) into buf, NUL-terminated. */
static int plain_read_unit(int fd, bool messages, char *buf, size_t cap) {
  size_t got = 0;
  for (;;) {
    ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      fprintf(stderr, "plain socket: recv: errno %d\n", errno);
      return -1;
    }
    got += (size_t)n;
    buf[got] = '\0';
    if (messages || n == 0 || got == cap - 1 || memchr(buf, '\n', got) != NULL)
      return (int)got;
  }
}

static bool plain_write_all(int fd, const char *text) {
  size_t len = strlen(text), done = 0;
  while (done < len) {
    ssize_t n = send(fd, text + done, len - done, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      fprintf(stderr, "plain socket: send: errno %d\n", errno);
      return false;
    }
    done += (size_t)n;
  }
  return true;
}

struct test_os_plain_server {
  int fd;
  bool messages;
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

test_os_plain_server_t *test_os_plain_server_start(const char *native, bool messages) {
  struct sockaddr_un addr;
  test_os_plain_server_t *server;
  if (!plain_address(native, &addr))
    return NULL;
  server = calloc(1, sizeof *server);
  ASSERT_NOT_NULL(server);
  server->messages = messages;
  memcpy(server->path, addr.sun_path, sizeof server->path);
  server->fd = plain_socket(messages);
  if (server->fd < 0 || bind(server->fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      listen(server->fd, 8) != 0) {
    fprintf(stderr, "plain server %s: errno %d\n", native, errno);
    if (server->fd >= 0)
      close(server->fd);
    free(server);
    return NULL;
  }
  return server;
}

int test_os_plain_server_serve(test_os_plain_server_t *server, char *got, size_t cap,
                               const char *reply) {
  int client, n;
  do
    client = accept(server->fd, NULL, NULL);
  while (client < 0 && errno == EINTR);
  if (client < 0) {
    fprintf(stderr, "plain server: accept: errno %d\n", errno);
    return -1;
  }
  n = plain_read_unit(client, server->messages, got, cap);
  if (n >= 0 && !plain_write_all(client, reply))
    n = -1;
  close(client);
  return n;
}

void test_os_plain_server_close(test_os_plain_server_t *server) {
  close(server->fd);
  unlink(server->path);
  free(server);
}

int test_os_plain_client(const char *native, bool messages, const char *text, char *reply,
                         size_t cap) {
  struct sockaddr_un addr;
  int fd, n;
  if (!plain_address(native, &addr))
    return -1;
  fd = plain_socket(messages);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    fprintf(stderr, "plain client %s: errno %d\n", native, errno);
    if (fd >= 0)
      close(fd);
    return -1;
  }
  n = plain_write_all(fd, text) ? plain_read_unit(fd, messages, reply, cap) : -1;
  close(fd);
  return n;
}

bool test_os_plain_mailslot_send(const char *native, const void *buf, size_t len) {
  struct sockaddr_un addr;
  ssize_t n;
  int fd;
  if (!plain_address(native, &addr))
    return false;
  fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0)
    return false;
  do
    n = sendto(fd, buf, len, 0, (struct sockaddr *)&addr, sizeof addr);
  while (n < 0 && errno == EINTR);
  if (n != (ssize_t)len)
    fprintf(stderr, "plain mailslot writer %s: sendto: errno %d\n", native, errno);
  close(fd);
  return n == (ssize_t)len;
}

int test_os_plain_send_messages(const char *native, const size_t *sizes, size_t count) {
  struct sockaddr_un addr;
  unsigned char *msg;
  char end[16];
  size_t i;
  int fd, rc = 0;
  if (!plain_address(native, &addr))
    return -1;
  fd = plain_socket(true);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    fprintf(stderr, "plain sender %s: errno %d\n", native, errno);
    if (fd >= 0)
      close(fd);
    return -1;
  }
  for (i = 0; i < count && rc == 0; i++) {
    ssize_t n;
    msg = malloc(sizes[i] > 0 ? sizes[i] : 1);
    ASSERT_NOT_NULL(msg);
    test_fill_pattern(msg, sizes[i], (uint32_t)i, 0);
    do
      n = send(fd, msg, sizes[i], 0);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizes[i]) {
      fprintf(stderr, "plain sender: send of %zu bytes: errno %d\n", sizes[i], errno);
      rc = -1;
    }
    free(msg);
  }
  /* Wait for the server to close. */
  while (rc == 0 && recv(fd, end, sizeof end, 0) > 0) {
  }
  close(fd);
  return rc;
}

/* ---- TCP and UDP without xipc ------------------------------------------ */

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

/* The address of numeric host:port for a plain socket; false (and a message) when it is not one. */
static bool plain_tcp_address(const char *host, uint16_t port, bool passive,
                              struct addrinfo **out) {
  struct addrinfo hints;
  char service[8];
  int rc;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  snprintf(service, sizeof service, "%u", (unsigned)port);
  rc = getaddrinfo(host, service, &hints, out);
  if (rc != 0)
    fprintf(stderr, "plain tcp: getaddrinfo(%s): %s\n", host, gai_strerror(rc));
  return rc == 0;
}

/* A plain TCP socket connected to host:port, or -1 (the reason is printed). */
static int plain_tcp_connect(const char *host, uint16_t port) {
  struct addrinfo *ai;
  int fd;
  if (!plain_tcp_address(host, port, false, &ai))
    return -1;
  fd = socket(ai->ai_family, SOCK_STREAM, 0);
  if (fd >= 0)
    fcntl(fd, F_SETFD, FD_CLOEXEC);
  if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    fprintf(stderr, "plain tcp client %s port %u: errno %d\n", host, (unsigned)port, errno);
    if (fd >= 0)
      close(fd);
    fd = -1;
  }
  freeaddrinfo(ai);
  return fd;
}

xipc_os_handle_t test_os_plain_tcp_socket(const char *host, uint16_t port) {
  int fd = plain_tcp_connect(host, port);
  return fd < 0 ? XIPC_OS_HANDLE_INVALID : (xipc_os_handle_t)fd;
}

void test_os_plain_net_release(void) {}

void test_os_plain_tcp_close(xipc_os_handle_t sock) {
  close((int)sock);
}

bool test_os_plain_send_urgent(xipc_os_handle_t sock) {
  return send((int)sock, "u", 1, MSG_OOB | MSG_NOSIGNAL) == 1;
}

int64_t test_os_cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int test_os_plain_tcp_client(const char *host, uint16_t port, const char *text, char *reply,
                             size_t cap) {
  int fd = plain_tcp_connect(host, port), n;
  if (fd < 0)
    return -1;
  n = plain_write_all(fd, text) ? plain_read_unit(fd, false, reply, cap) : -1;
  close(fd);
  return n;
}

int test_os_plain_tcp_reset(const char *host, uint16_t port) {
  struct linger abortive;
  char c;
  ssize_t n;
  int fd = plain_tcp_connect(host, port);
  if (fd < 0)
    return -1;
  do
    n = recv(fd, &c, 1, 0);
  while (n < 0 && errno == EINTR);
  if (n != 1)
    fprintf(stderr, "plain tcp reset: recv: %zd, errno %d\n", n, errno);
  abortive.l_onoff = 1;
  abortive.l_linger = 0;
  if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive) != 0) {
    fprintf(stderr, "plain tcp reset: SO_LINGER: errno %d\n", errno);
    n = -1;
  }
  close(fd);
  return n == 1 ? 0 : -1;
}

int test_os_plain_tcp_bind(const char *host, uint16_t port) {
  struct addrinfo *ai;
  int fd, on = 1, err = 0;
  if (!plain_tcp_address(host, port, true, &ai))
    return EINVAL;
  fd = socket(ai->ai_family, SOCK_STREAM, 0);
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1) != 0)
    err = errno;
  if (fd >= 0)
    close(fd);
  freeaddrinfo(ai);
  return err;
}

int test_os_plain_udp_send(const char *host, uint16_t port, size_t len) {
  struct addrinfo hints, *ai;
  unsigned char *msg = malloc(len > 0 ? len : 1);
  char service[8];
  ssize_t n = -1;
  int fd = -1, rc;
  ASSERT_NOT_NULL(msg);
  test_fill_pattern(msg, len, 0, 0);
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  snprintf(service, sizeof service, "%u", (unsigned)port);
  rc = getaddrinfo(host, service, &hints, &ai);
  if (rc != 0) {
    fprintf(stderr, "plain udp: getaddrinfo(%s): %s\n", host, gai_strerror(rc));
    free(msg);
    return -1;
  }
  fd = socket(ai->ai_family, SOCK_DGRAM, 0);
  if (fd >= 0)
    n = sendto(fd, msg, len, 0, ai->ai_addr, ai->ai_addrlen);
  if (n != (ssize_t)len)
    fprintf(stderr, "plain udp: sendto of %zu bytes: errno %d\n", len, errno);
  if (fd >= 0)
    close(fd);
  freeaddrinfo(ai);
  free(msg);
  return n == (ssize_t)len ? 0 : -1;
}

int test_os_tcp_nodelay(xipc_os_handle_t sock) {
  int on = -1;
  socklen_t len = sizeof on;
  if (getsockopt((int)sock, IPPROTO_TCP, TCP_NODELAY, &on, &len) != 0)
    test_fail(__FILE__, __LINE__, "getsockopt(TCP_NODELAY): errno %d", errno);
  return on != 0 ? 1 : 0;
}

/* ---- Message queues without xipc (test-mq.c) ----------------------------- */

#if defined(__linux__) || defined(__FreeBSD__)
#  include <mqueue.h>

int test_os_plain_mq_send(const char *native, const char *const *texts, const unsigned *prios,
                          size_t count) {
  mqd_t mqd = mq_open(native, O_WRONLY | O_CLOEXEC);
  size_t i;
  int rc = 0;
  if (mqd == (mqd_t)-1) {
    fprintf(stderr, "plain mq: mq_open(%s): errno %d\n", native, errno);
    return -1;
  }
  for (i = 0; i < count && rc == 0; i++) {
    if (mq_send(mqd, texts[i], strlen(texts[i]), prios[i]) != 0) {
      fprintf(stderr, "plain mq: mq_send(%s): errno %d\n", texts[i], errno);
      rc = -1;
    }
  }
  mq_close(mqd);
  return rc;
}

#else /* no POSIX queues (macOS, OpenBSD) */

int test_os_plain_mq_send(const char *native, const char *const *texts, const unsigned *prios,
                          size_t count) {
  (void)native;
  (void)texts;
  (void)prios;
  (void)count;
  fprintf(stderr, "plain mq: no POSIX message queues on this system\n");
  return -1;
}

#endif

#if defined(__linux__)

/* A number from a file of /proc/sys; false where there is none. */
static bool proc_sys_number(const char *path, size_t *value) {
  unsigned long long v;
  FILE *f = fopen(path, "r");
  bool ok;
  if (f == NULL)
    return false;
  ok = fscanf(f, "%llu", &v) == 1;
  fclose(f);
  if (ok)
    *value = (size_t)v;
  return ok;
}

bool test_os_mq_sysctl_limits(size_t *max_msgs, size_t *max_msg_size) {
  return proc_sys_number("/proc/sys/fs/mqueue/msg_max", max_msgs) &&
         proc_sys_number("/proc/sys/fs/mqueue/msgsize_max", max_msg_size);
}

int test_os_mq_mode(const char *native) {
  struct stat st;
  mqd_t mqd = mq_open(native, O_RDONLY | O_CLOEXEC);
  int mode = -1;
  if (mqd == (mqd_t)-1)
    test_fail(__FILE__, __LINE__, "mq_open(%s): errno %d", native, errno);
  /* On Linux a queue descriptor is a file descriptor of the mqueue file system. */
  if (fstat((int)mqd, &st) == 0)
    mode = (int)(st.st_mode & 07777);
  mq_close(mqd);
  return mode;
}

#else /* no published limits, no queue descriptor to fstat() */

bool test_os_mq_sysctl_limits(size_t *max_msgs, size_t *max_msg_size) {
  (void)max_msgs;
  (void)max_msg_size;
  return false;
}

int test_os_mq_mode(const char *native) {
  (void)native;
  return -1;
}

#endif
