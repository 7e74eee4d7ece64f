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
#include <sys/mman.h>
#include <sys/stat.h>
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
  snprintf(buf, cap, "/xt%d-%s", (int)getpid(), tag);
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
