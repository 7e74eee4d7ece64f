/* SPDX-License-Identifier: MIT */
/*
 * Named semaphores: counting, timeouts, names and lifetime, within one
 * process and across real child processes. A semaphore has no owner: a
 * count taken by a process that dies stays taken (documented, tested).
 */
#include "task.h"

#include <stdlib.h>

#define PING_PONG_ROUNDS 1000

/* True on systems where semaphore names persist until unlinked (POSIX "/name"). */
static bool sem_names_persist(void) {
  char native[XIPC_NATIVE_NAME_MAX];
  return xipc_name_native(XIPC_KIND_SEM, "x", native, sizeof native) > 0 && native[0] == '/';
}

static xipc_sem_t *create_sem(const char *name, unsigned initial) {
  xipc_sem_t *sem = NULL;
  ASSERT_OK(xipc_sem_create(&sem, name, initial));
  ASSERT_NOT_NULL(sem);
  return sem;
}

static xipc_sem_t *open_sem(const char *name) {
  xipc_sem_t *sem = NULL;
  ASSERT_OK(xipc_sem_open(&sem, name));
  ASSERT_NOT_NULL(sem);
  return sem;
}

/* Close the handle and remove the name (which is gone already on Windows). */
static void destroy_sem(xipc_sem_t *sem, const char *name) {
  ASSERT_OK(xipc_sem_close(sem));
  ASSERT_OK(xipc_sem_unlink(name));
}

static int64_t elapsed_ms_since(uint64_t start_ns) {
  return (int64_t)((xipc_time_ns() - start_ns) / 1000000u);
}

/* ---- Helpers --------------------------------------------------------- */

/* Open semaphore argv[0], sleep argv[1] ms, post it once, close it. */
HELPER_IMPL(sem_post_later) {
  xipc_sem_t *sem;
  int rc;
  if (argc != 2)
    return 100;
  if ((rc = xipc_sem_open(&sem, argv[0])) < 0)
    return helper_error("sem_post_later", "open", rc, 101);
  xipc_sleep_ms(atoi(argv[1]));
  if ((rc = xipc_sem_post(sem)) < 0)
    return helper_error("sem_post_later", "post", rc, 102);
  return xipc_sem_close(sem) == 0 ? 0 : 103;
}

/* Take one from semaphore argv[0], say so by posting argv[1], then hold it until killed. */
HELPER_IMPL(sem_take_and_hold) {
  xipc_sem_t *sem, *taken;
  int rc;
  if (argc != 2)
    return 100;
  if ((rc = xipc_sem_open(&sem, argv[0])) < 0 || (rc = xipc_sem_open(&taken, argv[1])) < 0)
    return helper_error("sem_take_and_hold", "open", rc, 101);
  if ((rc = xipc_sem_wait(sem, test_timeout(10000))) < 0)
    return helper_error("sem_take_and_hold", "wait", rc, 102);
  if ((rc = xipc_sem_post(taken)) < 0)
    return helper_error("sem_take_and_hold", "post", rc, 103);
  xipc_sleep_ms(60000); /* the parent kills us long before */
  xipc_sem_close(taken);
  xipc_sem_close(sem);
  return 104;
}

/* argv[2] rounds of: wait for semaphore argv[0] (ping), post argv[1] (pong). */
HELPER_IMPL(sem_pong) {
  xipc_sem_t *ping, *pong;
  int i, rounds, rc;
  if (argc != 3)
    return 100;
  rounds = atoi(argv[2]);
  if ((rc = xipc_sem_open(&ping, argv[0])) < 0 || (rc = xipc_sem_open(&pong, argv[1])) < 0)
    return helper_error("sem_pong", "open", rc, 101);
  for (i = 0; i < rounds; i++) {
    if ((rc = xipc_sem_wait(ping, test_timeout(10000))) < 0)
      return helper_error("sem_pong", "wait", rc, 102);
    if ((rc = xipc_sem_post(pong)) < 0)
      return helper_error("sem_pong", "post", rc, 103);
  }
  return xipc_sem_close(ping) == 0 && xipc_sem_close(pong) == 0 ? 0 : 104;
}

/* ---- Basics ----------------------------------------------------------- */

/* Two handles on one semaphore share its count. */
TEST_IMPL(sem, create_open_post_wait) {
  xipc_sem_t *a, *b;
  char name[64];
  test_unique_name(name, sizeof name, "basic");
  a = create_sem(name, 2);
  b = open_sem(name);
  ASSERT_OK(xipc_sem_wait(a, 0));
  ASSERT_OK(xipc_sem_wait(b, test_timeout(1000)));
  ASSERT_ERR(xipc_sem_wait(a, 0), XIPC_EAGAIN);
  ASSERT_ERR(xipc_sem_wait(b, 0), XIPC_EAGAIN);
  ASSERT_OK(xipc_sem_post(b));
  ASSERT_OK(xipc_sem_wait(a, test_timeout(1000)));
  ASSERT_OK(xipc_sem_post(a));
  ASSERT_OK(xipc_sem_post(a));
  ASSERT_OK(xipc_sem_wait(b, 0));
  ASSERT_OK(xipc_sem_wait(b, 0));
  ASSERT_ERR(xipc_sem_wait(b, 0), XIPC_EAGAIN);
  ASSERT_OK(xipc_sem_close(b));
  ASSERT_OK(xipc_sem_close(NULL));
  destroy_sem(a, name);
}

/* Create is exclusive: a taken name is refused, never joined. */
TEST_IMPL(sem, create_is_exclusive) {
  xipc_sem_t *a, *b = (xipc_sem_t *)&b;
  char name[64];
  test_unique_name(name, sizeof name, "excl");
  a = create_sem(name, 0);
  ASSERT_ERR(xipc_sem_create(&b, name, 0), XIPC_EEXIST);
  ASSERT_NULL(b);
  ASSERT_ERR(xipc_sem_create(&b, name, 5), XIPC_EEXIST);
  ASSERT_NULL(b);
  /* The refused create did not touch the existing count. */
  ASSERT_ERR(xipc_sem_wait(a, 0), XIPC_EAGAIN);
  destroy_sem(a, name);
}

TEST_IMPL(sem, open_missing) {
  xipc_sem_t *s = (xipc_sem_t *)&s;
  char name[64];
  test_unique_name(name, sizeof name, "missing");
  ASSERT_ERR(xipc_sem_open(&s, name), XIPC_ENOENT);
  ASSERT_NULL(s);
}

TEST_IMPL(sem, invalid_arguments) {
  xipc_sem_t *s = (xipc_sem_t *)&s, *good;
  char long_name[XIPC_NAME_MAX + 2], name[64];
  memset(long_name, 'n', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  test_unique_name(name, sizeof name, "args");

  ASSERT_ARG_ERR(xipc_sem_create(NULL, name, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_create(&s, NULL, 0), XIPC_EINVAL);
  ASSERT_NULL(s);
  ASSERT_ARG_ERR(xipc_sem_create(&s, "", 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_create(&s, "a/b", 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_create(&s, "a\\b", 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_create(&s, "..", 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_create(&s, ".hidden", 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_create(&s, "sp ace", 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_create(&s, long_name, 0), XIPC_ENAMETOOLONG);
  ASSERT_ARG_ERR(xipc_sem_create(&s, name, (unsigned)XIPC_SEM_MAX + 1u), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_create(&s, name, ~0u), XIPC_EINVAL);
  ASSERT_NULL(s);
  /* Nothing was created by the refused calls. */
  ASSERT_ERR(xipc_sem_open(&s, name), XIPC_ENOENT);

  ASSERT_ARG_ERR(xipc_sem_open(NULL, name), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_open(&s, NULL), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_open(&s, "a/b"), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_open(&s, long_name), XIPC_ENAMETOOLONG);
  ASSERT_NULL(s);

  ASSERT_ARG_ERR(xipc_sem_wait(NULL, 0), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_wait(NULL, -1), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_trywait(NULL), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_post(NULL), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_unlink(NULL), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_unlink(""), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_unlink("a/b"), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_unlink(long_name), XIPC_ENAMETOOLONG);

  good = create_sem(name, 1);
  ASSERT_ARG_ERR(xipc_sem_wait(good, -2), XIPC_EINVAL);
  ASSERT_ARG_ERR(xipc_sem_wait(good, -1000), XIPC_EINVAL);
  /* The refused wait took nothing. */
  ASSERT_OK(xipc_sem_trywait(good));
  destroy_sem(good, name);
}

/* ---- Timeouts --------------------------------------------------------- */

TEST_IMPL(sem, wait_timeout_zero) {
  xipc_sem_t *sem;
  char name[64];
  int64_t start;
  test_unique_name(name, sizeof name, "zero");
  sem = create_sem(name, 0);
  start = test_now_ms();
  ASSERT_ERR(xipc_sem_wait(sem, 0), XIPC_EAGAIN);
  ASSERT_ERR(xipc_sem_trywait(sem), XIPC_EAGAIN);
  ASSERT_LT(test_now_ms() - start, test_timeout(1000));
  destroy_sem(sem, name);
}

TEST_IMPL(sem, wait_timeout_50ms) {
  xipc_sem_t *sem;
  char name[64];
  uint64_t start;
  test_unique_name(name, sizeof name, "50ms");
  sem = create_sem(name, 0);
  start = xipc_time_ns();
  ASSERT_ERR(xipc_sem_wait(sem, 50), XIPC_ETIMEDOUT);
  ASSERT_GE(elapsed_ms_since(start), 50);
  /* A timed-out wait took nothing: a post is there for the next waiter. */
  ASSERT_OK(xipc_sem_post(sem));
  ASSERT_OK(xipc_sem_wait(sem, 50));
  destroy_sem(sem, name);
}

/* A waiter with no timeout is released by a post from another process. */
TEST_IMPL(sem, wait_infinite_released_by_child) {
  xipc_process_t *proc;
  xipc_sem_t *sem;
  char name[64];
  uint64_t start;
  test_unique_name(name, sizeof name, "inf");
  sem = create_sem(name, 0);
  start = xipc_time_ns();
  proc = helper_start("sem_post_later", name, "200", NULL);
  ASSERT_OK(xipc_sem_wait(sem, -1));
  ASSERT_GE(elapsed_ms_since(start), 150);
  helper_expect_exit(proc, 0);
  ASSERT_ERR(xipc_sem_trywait(sem), XIPC_EAGAIN);
  destroy_sem(sem, name);
}

TEST_IMPL(sem, trywait) {
  xipc_sem_t *sem;
  char name[64];
  int i;
  test_unique_name(name, sizeof name, "try");
  sem = create_sem(name, 3);
  for (i = 0; i < 3; i++)
    ASSERT_OK(xipc_sem_trywait(sem));
  ASSERT_ERR(xipc_sem_trywait(sem), XIPC_EAGAIN);
  ASSERT_ERR(xipc_sem_trywait(sem), XIPC_EAGAIN);
  ASSERT_OK(xipc_sem_post(sem));
  ASSERT_OK(xipc_sem_trywait(sem));
  ASSERT_ERR(xipc_sem_trywait(sem), XIPC_EAGAIN);
  destroy_sem(sem, name);
}

/* A count at XIPC_SEM_MAX refuses another post, and the count is unchanged. */
TEST_IMPL(sem, post_overflow) {
  xipc_sem_t *sem;
  char name[64];
  test_unique_name(name, sizeof name, "max");
  sem = create_sem(name, XIPC_SEM_MAX);
  ASSERT_ERR(xipc_sem_post(sem), XIPC_EOVERFLOW);
  ASSERT_ERR(xipc_sem_post(sem), XIPC_EOVERFLOW);
  ASSERT_OK(xipc_sem_trywait(sem));
  ASSERT_OK(xipc_sem_post(sem));
  ASSERT_ERR(xipc_sem_post(sem), XIPC_EOVERFLOW);
  ASSERT_OK(xipc_sem_trywait(sem));
  ASSERT_OK(xipc_sem_trywait(sem));
  destroy_sem(sem, name);
}

/*
 * Semaphores are not robust (docs): a count taken by a process that is then
 * killed stays taken. The survivor's timed wait times out; it never hangs.
 */
TEST_IMPL(sem, count_of_killed_holder_stays_taken) {
  xipc_sem_t *sem, *taken;
  xipc_process_t *proc;
  xipc_exit_t status;
  char name[64], taken_name[64];
  uint64_t start;
  test_unique_name(name, sizeof name, "held");
  test_unique_name(taken_name, sizeof taken_name, "taken");
  sem = create_sem(name, 1);
  taken = create_sem(taken_name, 0);
  proc = helper_start("sem_take_and_hold", name, taken_name, NULL);
  ASSERT_OK(xipc_sem_wait(taken, test_timeout(10000)));
  ASSERT_OK(xipc_process_kill(proc));
  ASSERT_OK(xipc_process_wait(proc, test_timeout(5000), &status));
  xipc_process_close(proc);
  ASSERT_EQ(status.signal, 9);
  start = xipc_time_ns();
  ASSERT_ERR(xipc_sem_wait(sem, 200), XIPC_ETIMEDOUT);
  ASSERT_GE(elapsed_ms_since(start), 200);
  ASSERT_ERR(xipc_sem_trywait(sem), XIPC_EAGAIN);
  /* Only a post gives the count back. */
  ASSERT_OK(xipc_sem_post(sem));
  ASSERT_OK(xipc_sem_trywait(sem));
  destroy_sem(taken, taken_name);
  destroy_sem(sem, name);
}

/* ---- Names and lifetime ---------------------------------------------- */

TEST_IMPL(sem, unlink) {
  xipc_sem_t *a, *b, *c = NULL;
  char name[64], never[64];
  test_unique_name(name, sizeof name, "unlink");
  test_unique_name(never, sizeof never, "never");
  a = create_sem(name, 1);
  b = open_sem(name);
  ASSERT_OK(xipc_sem_unlink(name));
  if (sem_names_persist()) {
    /* POSIX: the name is gone, the semaphore lives on in the handles that have it. */
    ASSERT_ERR(xipc_sem_open(&c, name), XIPC_ENOENT);
    ASSERT_NULL(c);
    ASSERT_OK(xipc_sem_post(a));
    ASSERT_OK(xipc_sem_trywait(b));
    ASSERT_OK(xipc_sem_trywait(b));
    ASSERT_ERR(xipc_sem_trywait(a), XIPC_EAGAIN);
    ASSERT_OK(xipc_sem_post(b));
    ASSERT_OK(xipc_sem_trywait(a));
    ASSERT_ERR(xipc_sem_unlink(name), XIPC_ENOENT);
    ASSERT_ERR(xipc_sem_unlink(never), XIPC_ENOENT);
    /* The name can be created again: a new semaphore, apart from the old one. */
    c = create_sem(name, 0);
    ASSERT_OK(xipc_sem_post(c));
    ASSERT_ERR(xipc_sem_trywait(a), XIPC_EAGAIN);
    ASSERT_OK(xipc_sem_trywait(c));
    destroy_sem(c, name);
    ASSERT_OK(xipc_sem_close(a));
    ASSERT_OK(xipc_sem_close(b));
  } else {
    /* Windows: a no-op; the semaphore lives as long as a handle to it. */
    c = open_sem(name);
    ASSERT_OK(xipc_sem_trywait(c));
    ASSERT_OK(xipc_sem_unlink(name));
    ASSERT_OK(xipc_sem_unlink(never));
    ASSERT_OK(xipc_sem_close(c));
    ASSERT_OK(xipc_sem_close(a));
    ASSERT_OK(xipc_sem_close(b));
    /* ... and vanishes with the last one. */
    c = (xipc_sem_t *)&c;
    ASSERT_ERR(xipc_sem_open(&c, name), XIPC_ENOENT);
    ASSERT_NULL(c);
  }
}

/* The kind is part of every native name: a semaphore, a segment and a mutex may share one. */
TEST_IMPL(sem, name_shared_with_other_kinds) {
  xipc_sem_t *sem;
  xipc_shm_t *shm;
  xipc_mutex_t *mutex = NULL;
  char name[64];
  int rc;
  test_unique_name(name, sizeof name, "kinds");
  sem = create_sem(name, 1);
  ASSERT_OK(xipc_shm_create(&shm, name, 4096, 0));
  rc = xipc_mutex_create(&mutex, name);
  if (rc != XIPC_ENOTSUP) /* no robust mutexes here (macOS): the other two still count */
    ASSERT_OK(rc);
  ASSERT_OK(xipc_sem_trywait(sem));
  ASSERT_ERR(xipc_sem_trywait(sem), XIPC_EAGAIN);
  if (mutex != NULL) {
    ASSERT_OK(xipc_mutex_close(mutex));
    ASSERT_OK(xipc_mutex_unlink(name));
  }
  ASSERT_OK(xipc_shm_close(shm));
  ASSERT_OK(xipc_shm_unlink(name, 0));
  destroy_sem(sem, name);
}

/*
 * Owner-only whatever the umask, where the semaphore is visible as a file
 * (Linux and other systems whose C library keeps named semaphores in
 * /dev/shm as "sem.<name without slash>").
 */
TEST_IMPL(sem, private_by_default) {
  static const int masks[] = {0, 022, 077};
  char name[64], native[XIPC_NATIVE_NAME_MAX], path[XIPC_NATIVE_NAME_MAX + 16];
  size_t i;
  if (!sem_names_persist())
    SKIP("Windows semaphores get an owner-only DACL; xipc has no native handle of a semaphore "
         "to read it back with");
  for (i = 0; i < ARRAY_SIZE(masks); i++) {
    xipc_sem_t *sem = NULL;
    int old = test_os_set_umask(masks[i]), rc, mode;
    test_unique_name(name, sizeof name, "perm");
    rc = xipc_sem_create(&sem, name, 0);
    test_os_set_umask(old);
    ASSERT_OK(rc);
    ASSERT_GT(xipc_name_native(XIPC_KIND_SEM, name, native, sizeof native), 1);
    snprintf(path, sizeof path, "/dev/shm/sem.%s", native + 1);
    mode = test_os_file_mode(path);
    if (mode < 0) {
      destroy_sem(sem, name);
      SKIP("this C library does not keep named semaphores as /dev/shm/sem.<name>");
    }
    if (mode != 0600)
      test_fail(__FILE__, __LINE__, "semaphore created under umask %03o has mode %03o, not 600",
                masks[i], mode);
    destroy_sem(sem, name);
  }
}

/* A semaphore that others may use (made so by its owner, or by someone else) is not opened. */
TEST_IMPL(sem, open_refuses_shared) {
  char name[64], native[XIPC_NATIVE_NAME_MAX], path[XIPC_NATIVE_NAME_MAX + 16];
  xipc_sem_t *sem, *other = NULL;
  if (!sem_names_persist())
    SKIP("Windows semaphores get an owner-only DACL that xipc sets at create; there is no mode "
         "to widen");
  test_unique_name(name, sizeof name, "shared");
  sem = create_sem(name, 0);
  ASSERT_GT(xipc_name_native(XIPC_KIND_SEM, name, native, sizeof native), 1);
  snprintf(path, sizeof path, "/dev/shm/sem.%s", native + 1);
  if (test_os_file_mode(path) < 0) {
    destroy_sem(sem, name);
    SKIP("this C library does not keep named semaphores as /dev/shm/sem.<name>");
  }
  test_os_chmod(path, 0644);
  ASSERT_ERR(xipc_sem_open(&other, name), XIPC_EACCES);
  ASSERT_NULL(other);
  test_os_chmod(path, 0600);
  ASSERT_OK(xipc_sem_open(&other, name));
  ASSERT_OK(xipc_sem_close(other));
  destroy_sem(sem, name);
}

/* ---- Across processes ------------------------------------------------- */

/* Two semaphores pass the turn between this process and a child, PING_PONG_ROUNDS times. */
TEST_IMPL(sem, ping_pong_processes) {
  xipc_sem_t *ping, *pong;
  xipc_process_t *proc;
  char ping_name[64], pong_name[64], rounds[16];
  uint64_t start;
  int i;
  test_unique_name(ping_name, sizeof ping_name, "ping");
  test_unique_name(pong_name, sizeof pong_name, "pong");
  ping = create_sem(ping_name, 0);
  pong = create_sem(pong_name, 0);
  snprintf(rounds, sizeof rounds, "%d", PING_PONG_ROUNDS);
  proc = helper_start("sem_pong", ping_name, pong_name, rounds, NULL);
  /* The first round includes the child's start-up; time the rest. */
  ASSERT_OK(xipc_sem_post(ping));
  ASSERT_OK(xipc_sem_wait(pong, test_timeout(10000)));
  start = xipc_time_ns();
  for (i = 1; i < PING_PONG_ROUNDS; i++) {
    ASSERT_OK(xipc_sem_post(ping));
    ASSERT_OK(xipc_sem_wait(pong, test_timeout(5000)));
  }
  printf("semaphore ping-pong between two processes: %d rounds, %.1f us per round trip\n",
         PING_PONG_ROUNDS - 1, (double)(xipc_time_ns() - start) / 1000.0 / (PING_PONG_ROUNDS - 1));
  helper_expect_exit(proc, 0);
  /* Every post was taken exactly once. */
  ASSERT_ERR(xipc_sem_trywait(ping), XIPC_EAGAIN);
  ASSERT_ERR(xipc_sem_trywait(pong), XIPC_EAGAIN);
  destroy_sem(ping, ping_name);
  destroy_sem(pong, pong_name);
}
