/* SPDX-License-Identifier: MIT */
/*
 * Child processes on POSIX.
 *
 * Two ways to start a child, chosen at build time:
 *  - posix_spawn() with posix_spawn_file_actions_addclosefrom_np(), so the
 *    child gets descriptors 0-2 (and later the ones it was handed) and
 *    nothing else, even descriptors other code left without FD_CLOEXEC;
 *  - fork() + execve() where that action is missing (or when the build asks
 *    for it with XIPC_SPAWN_FORCE_FORK, so the tests cover this path too).
 *    The child reports a failed exec through a close-on-exec pipe.
 * Either way the child starts with an empty signal mask and default signal
 * dispositions, whatever the parent had blocked or ignored.
 *
 * Waiting with a timeout uses a pidfd (poll() on it) where the kernel has
 * one, else waitpid(WNOHANG) with a short sleep between polls.
 */
#include "internal.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef XIPC_HAVE_PIDFD_OPEN
#  include <sys/pidfd.h>
#endif
#ifdef XIPC_HAVE_NSGETEXECUTABLEPATH
#  include <mach-o/dyld.h>
#endif

#if defined(XIPC_HAVE_POSIX_SPAWN_ADDCLOSEFROM_NP) && !defined(XIPC_SPAWN_FORCE_FORK)
#  define USE_POSIX_SPAWN 1
#else
#  define USE_POSIX_SPAWN 0
#endif

extern char **environ;

struct xipc_process_s {
  pid_t pid;
  int pidfd; /* -1 when the system has none */
  bool group;
  bool reaped;
  xipc_exit_t status;
};

/*
 * What the child's descriptors will be: stdio[i] is the descriptor that
 * becomes i (-1 leaves the parent's own), keep[] the inherited descriptors,
 * which keep their numbers; everything else is closed. `temps` are
 * descriptors opened only for this (the null device, stdio sources moved
 * out of 0-2), closed once the child has started.
 */
typedef struct fd_plan {
  int stdio[3];
  int temps[3];
  int *keep; /* sorted */
  size_t nkeep;
} fd_plan_t;

static void free_plan(fd_plan_t *plan) {
  int i;
  for (i = 0; i < 3; i++)
    xipc__posix_close(plan->temps[i]);
  free(plan->keep);
}

static int compare_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return x < y ? -1 : x > y;
}

/* The descriptor for the child's standard stream i. */
static int plan_stdio(fd_plan_t *plan, const xipc_stdio_t *stdio, int i) {
  int fd, rc;
  if (stdio->kind == XIPC_STDIO_NULL) {
    do {
      fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
      return xipc__os_fail(errno);
    if (fd < 3) {
      /* It took a free standard slot of this process: moved up, or setting up another one of
         the child's standard streams would overwrite it. */
      int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
      close(fd);
      if (moved < 0)
        return xipc__os_fail(errno);
      fd = moved;
    }
    plan->stdio[i] = plan->temps[i] = fd;
    return 0;
  }
  if (stdio->kind != XIPC_STDIO_STREAM)
    return 0;
  fd = stdio->stream->fd;
  if (fd < 0)
    return xipc__fail(XIPC_EINVAL); /* a FIFO end still waiting for its reader */
  /* Programs expect blocking standard streams; xipc's own I/O copes with either mode. */
  rc = xipc__posix_set_nonblocking(fd, false);
  if (rc < 0)
    return rc;
  stdio->stream->nonblocking = false;
  if (fd < 3 && fd != i) {
    /* Moved up first, so that setting up one standard stream cannot clobber another's source. */
    fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
      return xipc__os_fail(errno);
    plan->temps[i] = fd;
  }
  plan->stdio[i] = fd;
  return 0;
}

static int make_plan(const xipc_spawn_options_t *opts, fd_plan_t *plan) {
  size_t k;
  int i, rc = 0;
  for (i = 0; i < 3; i++)
    plan->stdio[i] = plan->temps[i] = -1;
  plan->keep = NULL;
  plan->nkeep = 0;
  for (i = 0; i < 3 && rc == 0; i++)
    rc = plan_stdio(plan, &opts->stdio[i], i);
  if (rc < 0 || opts->inherit_count + opts->inherit_shm_count == 0)
    return rc;
  plan->keep = malloc((opts->inherit_count + opts->inherit_shm_count) * sizeof *plan->keep);
  if (plan->keep == NULL)
    return xipc__fail(XIPC_ENOMEM);
  for (k = 0; k < opts->inherit_count + opts->inherit_shm_count; k++) {
    int fd = k < opts->inherit_count
                 ? opts->inherit[k]->fd
                 : xipc__posix_shm_fd(opts->inherit_shm[k - opts->inherit_count]);
    /* The child finds it by number: 0-2 are the standard streams, and -1 is not open yet. */
    if (fd < 3)
      return xipc__fail(XIPC_EINVAL);
    plan->keep[plan->nkeep++] = fd;
  }
  qsort(plan->keep, plan->nkeep, sizeof *plan->keep, compare_int);
  return 0;
}

static bool plan_keeps(const fd_plan_t *plan, int fd) {
  return bsearch(&fd, plan->keep, plan->nkeep, sizeof *plan->keep, compare_int) != NULL;
}

/*
 * exec() and posix_spawn() take `char *const[]` for historical reasons and do
 * not modify the strings; the public API rightly promises const.
 */
static char *const *exec_strings(const char *const *strings) {
  union {
    const char *const *in;
    char *const *out;
  } u;
  u.in = strings;
  return u.out;
}

static bool has_slash(const char *s) {
  return strchr(s, '/') != NULL;
}

#if USE_POSIX_SPAWN

/* The file actions that turn the parent's descriptors into the child's (see fd_plan_t). */
static int add_fd_actions(posix_spawn_file_actions_t *actions, const fd_plan_t *plan) {
  int i, fd, last = plan->nkeep > 0 ? plan->keep[plan->nkeep - 1] : 2;
  size_t k;
  int sys_err = 0;
  for (i = 0; i < 3 && sys_err == 0; i++) {
    if (plan->stdio[i] >= 0)
      sys_err = posix_spawn_file_actions_adddup2(actions, plan->stdio[i], i);
  }
  /* dup2 onto itself clears FD_CLOEXEC (POSIX.1-2024; glibc since 2.29). */
  for (k = 0; k < plan->nkeep && sys_err == 0; k++)
    sys_err = posix_spawn_file_actions_adddup2(actions, plan->keep[k], plan->keep[k]);
  /* Close the gaps between kept descriptors (closing one that is not open is harmless), */
  for (fd = 3; fd < last && sys_err == 0; fd++) {
    if (!plan_keeps(plan, fd))
      sys_err = posix_spawn_file_actions_addclose(actions, fd);
  }
  /* and everything above the last one. */
  if (sys_err == 0)
    sys_err = posix_spawn_file_actions_addclosefrom_np(actions, last + 1);
  return sys_err;
}

static int spawn_child(pid_t *pid, const char *file, const xipc_spawn_options_t *opts,
                       const fd_plan_t *plan) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  sigset_t all, none;
  short attr_flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  char *const *argv = exec_strings(opts->argv);
  char *const *envp = opts->env != NULL ? exec_strings(opts->env) : environ;
  int sys_err;

  sys_err = posix_spawn_file_actions_init(&actions);
  if (sys_err != 0)
    return xipc__os_fail(sys_err);
  sys_err = posix_spawnattr_init(&attr);
  if (sys_err != 0) {
    posix_spawn_file_actions_destroy(&actions);
    return xipc__os_fail(sys_err);
  }
  sys_err = add_fd_actions(&actions, plan);
  if (sys_err == 0 && opts->cwd != NULL) {
#  ifdef XIPC_HAVE_POSIX_SPAWN_ADDCHDIR_NP
    sys_err = posix_spawn_file_actions_addchdir_np(&actions, opts->cwd);
#  else
    sys_err = ENOTSUP;
#  endif
  }
  sigemptyset(&none);
  sigfillset(&all);
  if (sys_err == 0)
    sys_err = posix_spawnattr_setsigmask(&attr, &none);
  if (sys_err == 0)
    sys_err = posix_spawnattr_setsigdefault(&attr, &all);
  if (sys_err == 0 && (opts->flags & XIPC_SPAWN_GROUP)) {
    attr_flags |= POSIX_SPAWN_SETPGROUP;
    sys_err = posix_spawnattr_setpgroup(&attr, 0);
  }
  if (sys_err == 0)
    sys_err = posix_spawnattr_setflags(&attr, attr_flags);
  if (sys_err == 0) {
    if ((opts->flags & XIPC_SPAWN_SEARCH_PATH) && !has_slash(file))
      sys_err = posix_spawnp(pid, file, &actions, &attr, argv, envp);
    else
      sys_err = posix_spawn(pid, file, &actions, &attr, argv, envp);
  }
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return sys_err == 0 ? 0 : xipc__os_fail(sys_err);
}

#else /* fork + execve */

/*
 * Find `file` in $PATH before forking: the child may only call
 * async-signal-safe functions, and execvp() is not one.
 */
static int search_path(const char *file, char **found) {
  const char *path = getenv("PATH");
  size_t flen = strlen(file);
  int last_err = ENOENT;
  if (path == NULL)
    path = "/bin:/usr/bin";
  while (*path != '\0') {
    const char *end = strchr(path, ':');
    size_t dlen = end != NULL ? (size_t)(end - path) : strlen(path);
    char *candidate = malloc(dlen + flen + 3);
    if (candidate == NULL)
      return xipc__fail(XIPC_ENOMEM);
    if (dlen == 0) {
      candidate[0] = '.'; /* an empty PATH entry means the current directory */
      dlen = 1;
    } else {
      memcpy(candidate, path, dlen);
    }
    candidate[dlen] = '/';
    memcpy(candidate + dlen + 1, file, flen + 1);
    if (access(candidate, X_OK) == 0) {
      *found = candidate;
      return 0;
    }
    if (errno == EACCES)
      last_err = EACCES;
    free(candidate);
    path = end != NULL ? end + 1 : path + strlen(path);
  }
  return xipc__os_fail(last_err);
}

/*
 * In the child between fork() and exec: async-signal-safe calls only.
 * max_fd: from sysconf() before the fork.
 */
static void child_exec(const char *file, const xipc_spawn_options_t *opts, const fd_plan_t *plan,
                       int report_fd, int max_fd) {
  char *const *envp = opts->env != NULL ? exec_strings(opts->env) : environ;
  struct sigaction dfl;
  bool use_close_range = true;
  sigset_t none;
  size_t k;
  int i, fd, err;

  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (i = 1; i < NSIG; i++)
    sigaction(i, &dfl, NULL); /* fails harmlessly for SIGKILL, SIGSTOP */
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if ((opts->flags & XIPC_SPAWN_GROUP) && setpgid(0, 0) != 0)
    goto fail;
  if (opts->cwd != NULL && chdir(opts->cwd) != 0)
    goto fail;
  for (i = 0; i < 3; i++) {
    /* Already in place: dup2() onto itself would leave close-on-exec set. */
    if (plan->stdio[i] == i ? fcntl(i, F_SETFD, 0) != 0
                            : plan->stdio[i] >= 0 && dup2(plan->stdio[i], i) < 0)
      goto fail;
  }
  /* Keep the inherited descriptors open across exec, close everything else but the error pipe. */
  for (k = 0; k < plan->nkeep; k++) {
    if (fcntl(plan->keep[k], F_SETFD, 0) != 0)
      goto fail;
  }
  for (fd = 3; fd < max_fd; fd++) {
    if (plan_keeps(plan, fd) || fd == report_fd)
      continue;
#  ifdef XIPC_HAVE_CLOSE_RANGE
    /* One call for the whole run up to the next descriptor that stays. */
    if (use_close_range) {
      int end = fd;
      while (end + 1 < max_fd && !plan_keeps(plan, end + 1) && end + 1 != report_fd)
        end++;
      if (close_range((unsigned)fd, end + 1 == max_fd ? ~0u : (unsigned)end, 0) == 0) {
        fd = end;
        continue;
      }
      use_close_range = false; /* an old kernel or a filter: one by one from here */
    }
#  endif
    close(fd);
  }
  (void)use_close_range;
  execve(file, exec_strings(opts->argv), envp);
fail:
  err = errno;
  while (write(report_fd, &err, sizeof err) < 0 && errno == EINTR) {
  }
  _exit(127);
}

static int spawn_child(pid_t *pid, const char *file, const xipc_spawn_options_t *opts,
                       const fd_plan_t *plan) {
  char *resolved = NULL;
  int report[2], child_err = 0, rc = 0, max_fd, fork_err;
  sigset_t all, old_mask;
  ssize_t got;

  if ((opts->flags & XIPC_SPAWN_SEARCH_PATH) && !has_slash(file)) {
    rc = search_path(file, &resolved);
    if (rc < 0)
      return rc;
    file = resolved;
  }
  report[0] = report[1] = -1;
  rc = xipc__posix_pipe_cloexec(report);
  if (rc == 0 && report[1] < 3) {
    /* The child sets up 0-2 before it could report an error: the pipe must be above them. */
    int moved = fcntl(report[1], F_DUPFD_CLOEXEC, 3);
    if (moved < 0)
      rc = xipc__os_fail(errno);
    close(report[1]);
    report[1] = moved;
  }
  if (rc < 0)
    goto done;
  max_fd = (int)sysconf(_SC_OPEN_MAX);
  if (max_fd < 0 || max_fd > 65536)
    max_fd = 65536;
  /* No handler of the parent's may run in the child before it resets them all. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old_mask);
  *pid = fork();
  fork_err = errno;
  if (*pid != 0)
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
  if (*pid < 0) {
    rc = xipc__os_fail(fork_err);
    goto done;
  }
  if (*pid == 0)
    child_exec(file, opts, plan, report[1], max_fd);
  /* Also set the group from this side, so a kill right after return finds it. */
  if (opts->flags & XIPC_SPAWN_GROUP)
    setpgid(*pid, *pid);
  close(report[1]);
  report[1] = -1;
  do {
    got = read(report[0], &child_err, sizeof child_err);
  } while (got < 0 && errno == EINTR);
  if (got == (ssize_t)sizeof child_err) {
    int status;
    while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
    }
    rc = xipc__os_fail(child_err);
  }
done:
  xipc__posix_close(report[0]);
  xipc__posix_close(report[1]);
  free(resolved);
  return rc;
}

#endif

/* A pidfd for `pid`, or -1 where the system has none (polling is used then). */
static int open_pidfd(pid_t pid) {
#ifdef XIPC_HAVE_PIDFD_OPEN
  return pidfd_open(pid, 0); /* always close-on-exec */
#else
  (void)pid;
  return -1;
#endif
}

int xipc__process_spawn(xipc_process_t **out, const xipc_spawn_options_t *opts) {
  const char *file = opts->file != NULL ? opts->file : opts->argv[0];
  xipc_process_t *proc;
  fd_plan_t plan;
  pid_t pid = -1;
  int rc;

  proc = calloc(1, sizeof *proc);
  if (proc == NULL)
    return xipc__fail(XIPC_ENOMEM);
  rc = make_plan(opts, &plan);
  if (rc == 0)
    rc = spawn_child(&pid, file, opts, &plan);
  free_plan(&plan);
  if (rc < 0) {
    free(proc);
    return rc;
  }
  proc->pid = pid;
  proc->pidfd = open_pidfd(pid);
  proc->group = (opts->flags & XIPC_SPAWN_GROUP) != 0;
  *out = proc;
  return 0;
}

static void record_status(xipc_process_t *proc, int wstatus) {
  proc->reaped = true;
  if (WIFSIGNALED(wstatus)) {
    proc->status.code = -1;
    proc->status.signal = WTERMSIG(wstatus);
  } else {
    proc->status.code = WEXITSTATUS(wstatus);
    proc->status.signal = 0;
  }
  xipc__posix_close(proc->pidfd);
  proc->pidfd = -1;
}

/* Reap the child if it has ended: 1 when reaped, 0 while it runs, < 0 on error. */
static int try_reap(xipc_process_t *proc, bool block) {
  int wstatus;
  pid_t got;
  do {
    got = waitpid(proc->pid, &wstatus, block ? 0 : WNOHANG);
  } while (got < 0 && errno == EINTR);
  if (got < 0)
    return xipc__os_fail(errno);
  if (got == 0)
    return 0;
  record_status(proc, wstatus);
  return 1;
}

int xipc__process_wait(xipc_process_t *proc, int timeout_ms, xipc_exit_t *status) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  int backoff_ms = 1;
  int rc;

  for (;;) {
    int left;
    if (proc->reaped) {
      *status = proc->status;
      return 0;
    }
    rc = try_reap(proc, false);
    if (rc < 0)
      return rc;
    if (rc > 0)
      continue;
    left = xipc__remaining_ms(deadline);
    if (left == 0)
      return xipc__timeout_error(timeout_ms);
    if (proc->pidfd >= 0) {
      struct pollfd pfd;
      pfd.fd = proc->pidfd;
      pfd.events = POLLIN;
      pfd.revents = 0;
      if (poll(&pfd, 1, left) < 0 && errno != EINTR)
        return xipc__os_fail(errno);
    } else if (left < 0) {
      rc = try_reap(proc, true);
      if (rc < 0)
        return rc;
    } else {
      /* No pidfd: poll the child, backing off to 20 ms between looks. */
      xipc__sleep_ms(backoff_ms < left ? backoff_ms : left);
      if (backoff_ms < 20)
        backoff_ms *= 2;
    }
  }
}

int xipc__process_kill(xipc_process_t *proc) {
  int rc;
  if (proc->group) {
    /* The group id stays reserved while any member lives, even after the leader was reaped. */
    rc = kill(-proc->pid, SIGKILL);
  } else {
    if (proc->reaped)
      return 0; /* the pid may belong to another process by now */
    rc = kill(proc->pid, SIGKILL);
  }
  if (rc != 0 && errno != ESRCH)
    return xipc__os_fail(errno);
  return 0;
}

int xipc__process_pid(const xipc_process_t *proc) {
  return (int)proc->pid;
}

xipc_os_handle_t xipc__process_native(const xipc_process_t *proc) {
  return (xipc_os_handle_t)proc->pid;
}

void xipc__process_close(xipc_process_t *proc) {
  if (proc->group) {
    kill(-proc->pid, SIGKILL);
    if (!proc->reaped)
      try_reap(proc, true);
  } else if (!proc->reaped) {
    try_reap(proc, false);
  }
  xipc__posix_close(proc->pidfd);
  free(proc);
}

int xipc__self_pid(void) {
  return (int)getpid();
}

int xipc__self_exe(char *buf, size_t cap) {
#if defined(XIPC_HAVE_PROC_SELF_EXE)
  char path[4096];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n < 0)
    return xipc__os_fail(errno);
  path[n] = '\0';
  return xipc__copy_string(buf, cap, path);
#elif defined(XIPC_HAVE_NSGETEXECUTABLEPATH)
  char path[4096], real[4096];
  uint32_t size = sizeof path;
  if (_NSGetExecutablePath(path, &size) != 0 || realpath(path, real) == NULL)
    return xipc__fail(XIPC_ENOBUFS);
  return xipc__copy_string(buf, cap, real);
#else
  (void)buf;
  (void)cap;
  return xipc__fail(XIPC_ENOTSUP);
#endif
}
