/* SPDX-License-Identifier: MIT */
/* FIFOs: named one-way pipes, between xipc processes and with programs that do not use xipc. */
#include "task.h"

#include <stdlib.h>

#define FIFO_BYTES (300 * 1024)

/* True on systems where a FIFO is a file in the runtime directory (POSIX). */
static bool fifo_is_file(void) {
  char native[XIPC_NATIVE_NAME_MAX];
  return xipc_name_native(XIPC_KIND_FIFO, "x", native, sizeof native) > 0 && native[0] == '/';
}

/* Open FIFO argv[0] for writing (timeout argv[1] ms), write FIFO_BYTES of pattern, close. */
HELPER_IMPL(fifo_writer) {
  static unsigned char buf[FIFO_BYTES];
  xipc_stream_t *w;
  if (argc != 2)
    return 100;
  if (xipc_fifo_open(&w, argv[0], XIPC_FIFO_WRITE, atoi(argv[1])) < 0)
    return 101;
  test_fill_pattern(buf, sizeof buf, 9, 0);
  if (xipc_stream_write_all(w, buf, sizeof buf, test_timeout(10000), NULL) < 0)
    return 102;
  return xipc_stream_close(w) == 0 ? 0 : 103;
}

/* Open FIFO argv[0] for reading, read everything, exit 0 when it is the expected pattern. */
HELPER_IMPL(fifo_reader) {
  static unsigned char buf[FIFO_BYTES + 1], expected[FIFO_BYTES];
  xipc_stream_t *r;
  size_t n;
  if (argc != 1 || xipc_fifo_open(&r, argv[0], XIPC_FIFO_READ, test_timeout(5000)) < 0)
    return 100;
  n = test_read_all(r, buf, sizeof buf);
  test_fill_pattern(expected, sizeof expected, 9, 0);
  xipc_stream_close(r);
  return n == FIFO_BYTES && memcmp(buf, expected, n) == 0 ? 0 : 101;
}

static void check_pattern(const unsigned char *buf, size_t n) {
  static unsigned char expected[FIFO_BYTES];
  ASSERT_EQ(n, FIFO_BYTES);
  test_fill_pattern(expected, sizeof expected, 9, 0);
  ASSERT_TRUE(memcmp(buf, expected, n) == 0);
}

TEST_IMPL(fifo, roundtrip_in_one_process) {
  xipc_stream_t *r, *w;
  char name[64], buf[16];
  test_unique_name(name, sizeof name, "fifo");
  ASSERT_OK(xipc_fifo_create(&r, name, XIPC_FIFO_READ, 0));
  ASSERT_OK(xipc_fifo_open(&w, name, XIPC_FIFO_WRITE, 1000));
  ASSERT_EQ(xipc_stream_write(w, "hi", 2, 1000), 2);
  ASSERT_EQ(xipc_stream_read(r, buf, sizeof buf, 1000), 2);
  ASSERT_TRUE(memcmp(buf, "hi", 2) == 0);
  xipc_stream_close(w);
  ASSERT_EQ(xipc_stream_read(r, buf, sizeof buf, 1000), 0);
  xipc_stream_close(r);
  ASSERT_OK(xipc_fifo_unlink(name));
}

/* The creator reads; a writer in another process opens it by name and sends 300 KiB. */
TEST_IMPL(fifo, writer_in_other_process) {
  static unsigned char buf[FIFO_BYTES + 1];
  xipc_stream_t *r;
  xipc_process_t *proc;
  char name[64];
  test_unique_name(name, sizeof name, "w");
  ASSERT_OK(xipc_fifo_create(&r, name, XIPC_FIFO_READ, 0));
  proc = helper_start("fifo_writer", name, "5000", NULL);
  check_pattern(buf, test_read_all(r, buf, sizeof buf));
  helper_expect_exit(proc, 0);
  xipc_stream_close(r);
  xipc_fifo_unlink(name);
}

/* The creator writes; a reader in another process opens it by name. */
TEST_IMPL(fifo, reader_in_other_process) {
  static unsigned char buf[FIFO_BYTES];
  xipc_stream_t *w;
  xipc_process_t *proc;
  char name[64];
  test_unique_name(name, sizeof name, "r");
  ASSERT_OK(xipc_fifo_create(&w, name, XIPC_FIFO_WRITE, 0));
  proc = helper_start("fifo_reader", name, NULL);
  test_fill_pattern(buf, sizeof buf, 9, 0);
  /* The first write waits for the reader to open its end. */
  ASSERT_OK(xipc_stream_write_all(w, buf, sizeof buf, test_timeout(10000), NULL));
  xipc_stream_close(w);
  helper_expect_exit(proc, 0);
  xipc_fifo_unlink(name);
}

/* A reader that opens before any writer exists waits for data; it does not see an end. */
TEST_IMPL(fifo, reader_opens_before_writer) {
  xipc_stream_t *creator_w, *r;
  char name[64], buf[16];
  test_unique_name(name, sizeof name, "early");
  ASSERT_OK(xipc_fifo_create(&creator_w, name, XIPC_FIFO_WRITE, 0));
  ASSERT_OK(xipc_fifo_open(&r, name, XIPC_FIFO_READ, 1000));
  ASSERT_ERR(xipc_stream_read(r, buf, sizeof buf, 0), XIPC_EAGAIN);
  ASSERT_ERR(xipc_stream_read(r, buf, sizeof buf, 100), XIPC_ETIMEDOUT);
  ASSERT_EQ(xipc_stream_write(creator_w, "late", 4, 1000), 4);
  ASSERT_EQ(xipc_stream_read(r, buf, sizeof buf, 1000), 4);
  ASSERT_TRUE(memcmp(buf, "late", 4) == 0);
  xipc_stream_close(creator_w);
  ASSERT_EQ(xipc_stream_read(r, buf, sizeof buf, 1000), 0);
  xipc_stream_close(r);
  xipc_fifo_unlink(name);
}

/* A writer that opens after the reader exists gets in at once. */
TEST_IMPL(fifo, writer_opens_after_reader) {
  xipc_stream_t *r, *w;
  char name[64];
  int64_t start;
  test_unique_name(name, sizeof name, "after");
  ASSERT_OK(xipc_fifo_create(&r, name, XIPC_FIFO_READ, 0));
  start = test_now_ms();
  ASSERT_OK(xipc_fifo_open(&w, name, XIPC_FIFO_WRITE, 0));
  ASSERT_LT(test_now_ms() - start, test_timeout(1000));
  xipc_stream_close(w);
  xipc_stream_close(r);
  xipc_fifo_unlink(name);
}

/* Before the creator's reader exists, a writer waits and times out (POSIX); Windows: no FIFO yet.
 */
TEST_IMPL(fifo, writer_without_reader) {
  xipc_stream_t *r, *w = NULL;
  char name[64];
  int64_t start;
  test_unique_name(name, sizeof name, "noreader");
  ASSERT_OK(xipc_fifo_create(&r, name, XIPC_FIFO_READ, 0));
  ASSERT_OK(xipc_stream_close(r)); /* the reader leaves */
  start = test_now_ms();
  if (fifo_is_file()) {
    /* POSIX: the FIFO stays until unlinked, and a writer waits for a reader. */
    ASSERT_ERR(xipc_fifo_open(&w, name, XIPC_FIFO_WRITE, 100), XIPC_ETIMEDOUT);
    ASSERT_GE(test_now_ms() - start, 100);
    ASSERT_ERR(xipc_fifo_open(&w, name, XIPC_FIFO_WRITE, 0), XIPC_EAGAIN);
    ASSERT_OK(xipc_fifo_unlink(name));
  } else {
    /* Windows: the FIFO went away with its creator's end. */
    ASSERT_ERR(xipc_fifo_open(&w, name, XIPC_FIFO_WRITE, 100), XIPC_ENOENT);
  }
  ASSERT_NULL(w);
}

/*
 * The creator's end closes while its writer still holds the other end: a
 * new writer is told at once (Windows: XIPC_ENOENT; the pipe's name lives on
 * in the old writer's end, but the FIFO is gone) or, on POSIX, waits for a
 * reader as with any FIFO that has none, until it is unlinked. (Wine
 * drops the pipe's name with its server, so only real Windows, in
 * appveyor.yml, shows the case the creator's marker is for.)
 */
TEST_IMPL(fifo, creator_gone_while_peer_holds) {
  xipc_stream_t *r, *w1, *w2 = NULL;
  char name[64], buf[4];
  int64_t start;
  test_unique_name(name, sizeof name, "gone");
  ASSERT_OK(xipc_fifo_create(&r, name, XIPC_FIFO_READ, 0));
  ASSERT_OK(xipc_fifo_open(&w1, name, XIPC_FIFO_WRITE, 1000));
  ASSERT_EQ(xipc_stream_write(w1, "x", 1, 1000), 1);
  ASSERT_EQ(xipc_stream_read(r, buf, sizeof buf, 1000), 1);
  ASSERT_OK(xipc_stream_close(r)); /* the creator leaves; w1 stays */
  start = test_now_ms();
  if (fifo_is_file()) {
    ASSERT_ERR(xipc_fifo_open(&w2, name, XIPC_FIFO_WRITE, 200), XIPC_ETIMEDOUT);
    ASSERT_OK(xipc_fifo_unlink(name));
    ASSERT_ERR(xipc_fifo_open(&w2, name, XIPC_FIFO_WRITE, 200), XIPC_ENOENT);
  } else {
    ASSERT_ERR(xipc_fifo_open(&w2, name, XIPC_FIFO_WRITE, 5000), XIPC_ENOENT);
    ASSERT_LT(test_now_ms() - start,
              test_timeout(1000)); /* told, not left to wait out the timeout */
  }
  ASSERT_NULL(w2);
  ASSERT_OK(xipc_stream_close(w1));
}

TEST_IMPL(fifo, eof_after_writer_closes) {
  xipc_stream_t *r, *w;
  char name[64], buf[8];
  test_unique_name(name, sizeof name, "eof");
  ASSERT_OK(xipc_fifo_create(&r, name, XIPC_FIFO_READ, 0));
  ASSERT_OK(xipc_fifo_open(&w, name, XIPC_FIFO_WRITE, 1000));
  ASSERT_EQ(xipc_stream_write(w, "abc", 3, 1000), 3);
  ASSERT_OK(xipc_stream_close(w));
  ASSERT_EQ(xipc_stream_read(r, buf, sizeof buf, 1000), 3);
  ASSERT_EQ(xipc_stream_read(r, buf, sizeof buf, 1000), 0);
  xipc_stream_close(r);
  xipc_fifo_unlink(name);
}

/* After the end of the stream a new writer can open the FIFO and be heard, on both systems. */
TEST_IMPL(fifo, new_writer_after_end) {
  xipc_stream_t *r, *w;
  char name[64], buf[8];
  test_unique_name(name, sizeof name, "again");
  ASSERT_OK(xipc_fifo_create(&r, name, XIPC_FIFO_READ, 0));
  ASSERT_OK(xipc_fifo_open(&w, name, XIPC_FIFO_WRITE, 1000));
  ASSERT_EQ(xipc_stream_write(w, "a", 1, 1000), 1);
  xipc_stream_close(w);
  ASSERT_EQ(xipc_stream_read(r, buf, sizeof buf, 1000), 1);
  ASSERT_EQ(xipc_stream_read(r, buf, sizeof buf, 1000), 0);
  ASSERT_OK(xipc_fifo_open(&w, name, XIPC_FIFO_WRITE, 1000));
  ASSERT_EQ(xipc_stream_write(w, "b", 1, 1000), 1);
  ASSERT_EQ(xipc_stream_read(r, buf, sizeof buf, 1000), 1);
  ASSERT_EQ(buf[0], 'b');
  xipc_stream_close(w);
  ASSERT_EQ(xipc_stream_read(r, buf, sizeof buf, 1000), 0);
  xipc_stream_close(r);
  xipc_fifo_unlink(name);
}

/* A FIFO creator's end that has not met its peer yet cannot be handed to a child. */
TEST_IMPL(fifo, unopened_end_not_inheritable) {
  xipc_stream_t *w, *give[1];
  xipc_spawn_options_t opts;
  xipc_process_t *proc = NULL;
  char name[64], token[XIPC_TOKEN_MAX];
  test_unique_name(name, sizeof name, "pend");
  ASSERT_OK(xipc_fifo_create(&w, name, XIPC_FIFO_WRITE, 0));
  ASSERT_ERR(xipc_stream_token(w, token, sizeof token), XIPC_EINVAL);
  give[0] = w;
  memset(&opts, 0, sizeof opts);
  opts.argv = helper_argv("exit_with", "0", NULL);
  opts.inherit = give;
  opts.inherit_count = 1;
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EINVAL);
  opts.inherit_count = 0;
  opts.stdio[1].kind = XIPC_STDIO_STREAM;
  opts.stdio[1].stream = w;
  ASSERT_ERR(xipc_spawn(&proc, &opts), XIPC_EINVAL);
  ASSERT_NULL(proc);
  xipc_stream_close(w);
  xipc_fifo_unlink(name);
}

TEST_IMPL(fifo, epipe_after_reader_closes) {
  xipc_stream_t *r, *w;
  char name[64];
  test_unique_name(name, sizeof name, "epipe");
  ASSERT_OK(xipc_fifo_create(&w, name, XIPC_FIFO_WRITE, 0));
  ASSERT_OK(xipc_fifo_open(&r, name, XIPC_FIFO_READ, 1000));
  ASSERT_EQ(xipc_stream_write(w, "abc", 3, 1000), 3);
  ASSERT_OK(xipc_stream_close(r));
  ASSERT_ERR(xipc_stream_write(w, "abc", 3, 1000), XIPC_EPIPE);
  ASSERT_TRUE(test_os_sigpipe_is_default());
  xipc_stream_close(w);
  xipc_fifo_unlink(name);
}

/* Create is exclusive: a taken name is refused, never joined. */
TEST_IMPL(fifo, create_is_exclusive) {
  xipc_stream_t *a, *b = (xipc_stream_t *)&b;
  char name[64];
  test_unique_name(name, sizeof name, "excl");
  ASSERT_OK(xipc_fifo_create(&a, name, XIPC_FIFO_READ, 0));
  ASSERT_ERR(xipc_fifo_create(&b, name, XIPC_FIFO_READ, 0), XIPC_EEXIST);
  ASSERT_NULL(b);
  ASSERT_ERR(xipc_fifo_create(&b, name, XIPC_FIFO_WRITE, 0), XIPC_EEXIST);
  xipc_stream_close(a);
  xipc_fifo_unlink(name);
}

TEST_IMPL(fifo, open_missing) {
  xipc_stream_t *s = (xipc_stream_t *)&s;
  char name[64];
  test_unique_name(name, sizeof name, "missing");
  ASSERT_ERR(xipc_fifo_open(&s, name, XIPC_FIFO_READ, 100), XIPC_ENOENT);
  ASSERT_NULL(s);
  ASSERT_ERR(xipc_fifo_open(&s, name, XIPC_FIFO_WRITE, 0), XIPC_ENOENT);
}

TEST_IMPL(fifo, invalid_arguments) {
  xipc_stream_t *s;
  char long_name[200];
  memset(long_name, 'n', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  ASSERT_ERR(xipc_fifo_create(NULL, "x", XIPC_FIFO_READ, 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_fifo_create(&s, NULL, XIPC_FIFO_READ, 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_fifo_create(&s, "a/b", XIPC_FIFO_READ, 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_fifo_create(&s, "..", XIPC_FIFO_READ, 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_fifo_create(&s, "", XIPC_FIFO_READ, 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_fifo_create(&s, long_name, XIPC_FIFO_READ, 0), XIPC_ENAMETOOLONG);
  ASSERT_ERR(xipc_fifo_create(&s, "x", (xipc_fifo_dir_t)0, 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_fifo_create(&s, "x", (xipc_fifo_dir_t)3, 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_fifo_open(NULL, "x", XIPC_FIFO_READ, 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_fifo_open(&s, "a\\b", XIPC_FIFO_READ, 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_fifo_open(&s, "x", XIPC_FIFO_READ, -2), XIPC_EINVAL);
  ASSERT_ERR(xipc_fifo_open(&s, long_name, XIPC_FIFO_WRITE, 0), XIPC_ENAMETOOLONG);
  ASSERT_ERR(xipc_fifo_unlink("a/b"), XIPC_EINVAL);
  ASSERT_ERR(xipc_fifo_unlink(NULL), XIPC_EINVAL);
  ASSERT_EQ(xipc_last_os_error(), 0);
}

TEST_IMPL(fifo, unlink) {
  xipc_stream_t *r, *s = NULL;
  char name[64];
  test_unique_name(name, sizeof name, "unlink");
  ASSERT_OK(xipc_fifo_create(&r, name, XIPC_FIFO_READ, 0));
  ASSERT_OK(xipc_fifo_unlink(name));
  if (fifo_is_file()) {
    /* Gone from the file system: new opens fail, and the name can be created again. */
    ASSERT_ERR(xipc_fifo_unlink(name), XIPC_ENOENT);
    ASSERT_ERR(xipc_fifo_open(&s, name, XIPC_FIFO_WRITE, 0), XIPC_ENOENT);
    ASSERT_OK(xipc_fifo_create(&s, name, XIPC_FIFO_READ, 0));
    xipc_stream_close(s);
    ASSERT_OK(xipc_fifo_unlink(name));
  } else {
    /* Windows: a no-op; the FIFO lives as long as its creator's end. */
    ASSERT_OK(xipc_fifo_unlink(name));
  }
  xipc_stream_close(r);
}

/* Windows: one peer at a time, and only in the direction opposite the creator's. */
TEST_IMPL(fifo, second_writer) {
  xipc_stream_t *r, *w1, *w2 = NULL;
  char name[64], buf[16];
  test_unique_name(name, sizeof name, "two");
  ASSERT_OK(xipc_fifo_create(&r, name, XIPC_FIFO_READ, 0));
  ASSERT_OK(xipc_fifo_open(&w1, name, XIPC_FIFO_WRITE, 1000));
  if (fifo_is_file()) {
    /* POSIX: any number of writers share the FIFO. */
    ASSERT_OK(xipc_fifo_open(&w2, name, XIPC_FIFO_WRITE, 1000));
    ASSERT_EQ(xipc_stream_write(w1, "1", 1, 1000), 1);
    ASSERT_EQ(xipc_stream_write(w2, "2", 1, 1000), 1);
    ASSERT_OK(xipc_stream_read_exact(r, buf, 2, 1000, NULL));
    ASSERT_TRUE(memcmp(buf, "12", 2) == 0);
    xipc_stream_close(w2);
  } else {
    ASSERT_ERR(xipc_fifo_open(&w2, name, XIPC_FIFO_WRITE, 100), XIPC_ETIMEDOUT);
    ASSERT_ERR(xipc_fifo_open(&w2, name, XIPC_FIFO_WRITE, 0), XIPC_EAGAIN);
    ASSERT_NULL(w2);
  }
  xipc_stream_close(w1);
  xipc_stream_close(r);
  xipc_fifo_unlink(name);
}

/* The FIFO is private: 0600 in a 0700 directory whatever the umask; owner-only DACL on Windows. */
TEST_IMPL(fifo, private_by_default) {
  xipc_stream_t *r;
  char name[64], path[XIPC_NATIVE_NAME_MAX];
  bool checked;
  int old = test_os_set_umask(0);
  test_unique_name(name, sizeof name, "perm");
  ASSERT_OK(xipc_fifo_create(&r, name, XIPC_FIFO_READ, 0));
  test_os_set_umask(old);
  if (fifo_is_file()) {
    char *slash;
    ASSERT_GT(xipc_name_native(XIPC_KIND_FIFO, name, path, sizeof path), 0);
    ASSERT_EQ(test_os_file_mode(path), 0600);
    slash = strrchr(path, '/');
    *slash = '\0';
    ASSERT_EQ(test_os_file_mode(path), 0700);
  } else {
    bool ok = test_os_owner_only_dacl(xipc_stream_native(r), &checked);
    if (!checked)
      SKIP("the pipe's security descriptor cannot be read back here");
    ASSERT_TRUE(ok);
  }
  xipc_stream_close(r);
  xipc_fifo_unlink(name);
}

/* POSIX: a runtime directory that others can enter is refused, not used. */
TEST_IMPL(fifo, shared_runtime_dir_refused) {
  xipc_stream_t *s = NULL;
  char dir[512];
  if (!fifo_is_file())
    SKIP("Windows FIFOs are pipe names, not files in a runtime directory");
  test_os_make_tmpdir(dir, sizeof dir);
  test_os_chmod(dir, 0777);
  test_os_setenv("XIPC_RUNTIME_DIR", dir);
  ASSERT_ERR(xipc_fifo_create(&s, "refused", XIPC_FIFO_READ, 0), XIPC_EACCES);
  ASSERT_NULL(s);
  test_os_remove(dir);
}

/* A plain shell writes into an xipc FIFO: it is a real FIFO at the documented path. */
TEST_IMPL(fifo, shell_writes_into_fifo) {
  xipc_stream_t *r;
  xipc_process_t *proc;
  xipc_spawn_options_t opts;
  char name[64], path[XIPC_NATIVE_NAME_MAX], script[XIPC_NATIVE_NAME_MAX + 32], buf[32];
  const char *argv[4];
  size_t n;
  if (!fifo_is_file())
    SKIP("needs /bin/sh and a FIFO in the file system (POSIX)");
  test_unique_name(name, sizeof name, "sh");
  ASSERT_OK(xipc_fifo_create(&r, name, XIPC_FIFO_READ, 0));
  ASSERT_GT(xipc_name_native(XIPC_KIND_FIFO, name, path, sizeof path), 0);
  snprintf(script, sizeof script, "echo hello > '%s'", path);
  argv[0] = "/bin/sh";
  argv[1] = "-c";
  argv[2] = script;
  argv[3] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  proc = helper_start_opts(&opts);
  n = test_read_all(r, buf, sizeof buf);
  ASSERT_EQ(n, 6);
  ASSERT_TRUE(memcmp(buf, "hello\n", 6) == 0);
  helper_expect_exit(proc, 0);
  xipc_stream_close(r);
  xipc_fifo_unlink(name);
}

/* cat reads from an xipc FIFO, and its stdout comes back through a pipe. */
TEST_IMPL(fifo, cat_reads_from_fifo) {
  xipc_stream_t *w, *out;
  xipc_process_t *proc;
  xipc_spawn_options_t opts;
  char name[64], path[XIPC_NATIVE_NAME_MAX], buf[32];
  const char *argv[3];
  size_t n;
  if (!fifo_is_file())
    SKIP("needs cat and a FIFO in the file system (POSIX)");
  test_unique_name(name, sizeof name, "cat");
  ASSERT_OK(xipc_fifo_create(&w, name, XIPC_FIFO_WRITE, 0));
  ASSERT_GT(xipc_name_native(XIPC_KIND_FIFO, name, path, sizeof path), 0);
  argv[0] = "cat";
  argv[1] = path;
  argv[2] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  opts.flags = XIPC_SPAWN_SEARCH_PATH;
  ASSERT_OK(xipc_spawn_piped(&proc, &opts, NULL, &out));
  ASSERT_OK(xipc_stream_write_all(w, "hello\n", 6, test_timeout(10000), NULL));
  xipc_stream_close(w);
  n = test_read_all(out, buf, sizeof buf);
  ASSERT_EQ(n, 6);
  ASSERT_TRUE(memcmp(buf, "hello\n", 6) == 0);
  helper_expect_exit(proc, 0);
  xipc_stream_close(out);
  xipc_fifo_unlink(name);
}
