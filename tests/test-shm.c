/* SPDX-License-Identifier: MIT */
/* Shared memory segments, anonymous segments handed to children, and mapped files. */
#include "task.h"

#include <stdlib.h>

/* True where names are POSIX shm names ("/..."), not Windows object names. */
static bool posix_names(void) {
  char native[XIPC_NATIVE_NAME_MAX];
  return xipc_name_native(XIPC_KIND_SHM, "x", native, sizeof native) > 0 && native[0] == '/';
}

/* ---- Helpers --------------------------------------------------------- */

/*
 * Open segment argv[0] (portable name, or native with argv[2] == "native"),
 * check argv[1] bytes of pattern 21 at its start, then write "child" at 4000.
 */
HELPER_IMPL(shm_check_and_reply) {
  unsigned char expected[4096];
  xipc_shm_t *shm;
  size_t n;
  unsigned flags = argc == 3 && strcmp(argv[2], "native") == 0 ? XIPC_SHM_NATIVE_NAME : 0;
  if (argc < 2 || xipc_shm_open(&shm, argv[0], flags) < 0)
    return 100;
  n = (size_t)atoi(argv[1]);
  test_fill_pattern(expected, n, 21, 0);
  if (xipc_shm_size(shm) < 4096 || memcmp(xipc_shm_addr(shm), expected, n) != 0)
    return 101;
  memcpy((char *)xipc_shm_addr(shm) + 4000, "child", 5);
  return xipc_shm_close(shm) == 0 ? 0 : 102;
}

/* Map what the token argv[0] names, check pattern 21, write "child" at 4000. */
HELPER_IMPL(shm_from_token) {
  unsigned char expected[4096];
  xipc_shm_t *shm;
  if (argc != 1)
    return 100;
  if (xipc_shm_from_token(&shm, argv[0], 0) < 0)
    return 101;
  test_fill_pattern(expected, sizeof expected, 21, 0);
  if (xipc_shm_size(shm) != 1024 * 1024 || memcmp(xipc_shm_addr(shm), expected, 4000) != 0)
    return 102;
  memcpy((char *)xipc_shm_addr(shm) + 4000, "child", 5);
  return xipc_shm_close(shm) == 0 ? 0 : 103;
}

/* The token argv[0] was not handed down: it must not reach the parent's segment. */
HELPER_IMPL(shm_token_not_given) {
  xipc_shm_t *shm;
  int rc;
  if (argc != 1)
    return 100;
  rc = xipc_shm_from_token(&shm, argv[0], 0);
  if (rc == 0) {
    /* On Windows the value may name another object of this process: it must not be the segment. */
    bool leaked = xipc_shm_size(shm) >= 4 && memcmp(xipc_shm_addr(shm), "\x15", 1) == 0;
    return leaked ? 101 : 0;
  }
  return 0;
}

/* Map segment (argv[1] == "shm") or file (argv[1] == "file") argv[0] read-only and write to it. */
HELPER_IMPL(shm_write_read_only) {
  xipc_shm_t *shm;
  int rc;
  if (argc != 2)
    return 100;
  if (strcmp(argv[1], "shm") == 0)
    rc = xipc_shm_open(&shm, argv[0], XIPC_SHM_READ_ONLY);
  else
    rc = xipc_shm_map_file(&shm, argv[0], 0, XIPC_SHM_READ_ONLY);
  if (rc < 0)
    return 101;
  printf("mapped read-only; writing now\n");
  fflush(stdout);
  ((volatile char *)xipc_shm_addr(shm))[0] = 'X'; /* must fault */
  return 0;
}

/* Plain system calls (no xipc) open native segment argv[0] and write argv[1] at its start. */
HELPER_IMPL(plain_shm_write) {
  if (argc != 2)
    return 100;
  return test_os_plain_shm_write(argv[0], argv[1]) ? 0 : 101;
}

/* Map file argv[0] and write "from child" at offset 100. */
HELPER_IMPL(mmap_write_child) {
  xipc_shm_t *map;
  if (argc != 1 || xipc_shm_map_file(&map, argv[0], 0, 0) < 0)
    return 100;
  memcpy((char *)xipc_shm_addr(map) + 100, "from child", 10);
  if (xipc_shm_flush(map) < 0)
    return 101;
  return xipc_shm_close(map) == 0 ? 0 : 102;
}

/* ---- Named segments -------------------------------------------------- */

TEST_IMPL(shm, create_and_open_in_child) {
  xipc_shm_t *shm;
  char name[64];
  test_unique_name(name, sizeof name, "seg");
  ASSERT_OK(xipc_shm_create(&shm, name, 12345, 0));
  ASSERT_EQ(xipc_shm_size(shm), 12345);
  ASSERT_NOT_NULL(xipc_shm_addr(shm));
  test_fill_pattern(xipc_shm_addr(shm), 3000, 21, 0);
  helper_expect_exit(helper_start("shm_check_and_reply", name, "3000", NULL), 0);
  ASSERT_TRUE(memcmp((char *)xipc_shm_addr(shm) + 4000, "child", 5) == 0);
  ASSERT_OK(xipc_shm_close(shm));
  ASSERT_OK(xipc_shm_unlink(name, 0));
}

/* The opener learns the exact size, on both systems. */
TEST_IMPL(shm, opener_learns_size) {
  static const size_t sizes[] = {1, 100, 4096, 4097, 65536 + 3, 3u * 1024 * 1024 + 1};
  size_t i;
  for (i = 0; i < ARRAY_SIZE(sizes); i++) {
    xipc_shm_t *a, *b;
    char name[64];
    test_unique_name(name, sizeof name, "size");
    ASSERT_OK(xipc_shm_create(&a, name, sizes[i], 0));
    ASSERT_OK(xipc_shm_open(&b, name, XIPC_SHM_READ_ONLY));
    ASSERT_EQ(xipc_shm_size(b), sizes[i]);
    /* Zero-filled, and the same memory. */
    ASSERT_EQ(((unsigned char *)xipc_shm_addr(b))[sizes[i] - 1], 0);
    ((unsigned char *)xipc_shm_addr(a))[sizes[i] - 1] = 0xA5;
    ASSERT_EQ(((unsigned char *)xipc_shm_addr(b))[sizes[i] - 1], 0xA5);
    xipc_shm_close(b);
    xipc_shm_close(a);
    xipc_shm_unlink(name, 0);
  }
}

TEST_IMPL(shm, create_is_exclusive) {
  xipc_shm_t *a, *b = (xipc_shm_t *)&b;
  char name[64];
  test_unique_name(name, sizeof name, "excl");
  ASSERT_OK(xipc_shm_create(&a, name, 4096, 0));
  ASSERT_ERR(xipc_shm_create(&b, name, 4096, 0), XIPC_EEXIST);
  ASSERT_NULL(b);
  ASSERT_ERR(xipc_shm_create(&b, name, 8192, 0), XIPC_EEXIST);
  xipc_shm_close(a);
  xipc_shm_unlink(name, 0);
}

TEST_IMPL(shm, open_missing) {
  xipc_shm_t *s = (xipc_shm_t *)&s;
  char name[64];
  test_unique_name(name, sizeof name, "none");
  ASSERT_ERR(xipc_shm_open(&s, name, 0), XIPC_ENOENT);
  ASSERT_NULL(s);
  ASSERT_ERR(xipc_shm_open(&s, name, XIPC_SHM_READ_ONLY), XIPC_ENOENT);
}

/* A child that writes through a read-only mapping dies; the parent sees it. */
TEST_IMPL(shm, read_only_refuses_writes) {
  xipc_spawn_options_t opts;
  xipc_exit_t status;
  xipc_shm_t *shm;
  char name[64];
  test_unique_name(name, sizeof name, "ro");
  ASSERT_OK(xipc_shm_create(&shm, name, 4096, 0));
  memset(&opts, 0, sizeof opts);
  opts.argv = helper_argv("shm_write_read_only", name, "shm", NULL);
  opts.stdio[2].kind = XIPC_STDIO_NULL; /* the crash report of a sanitizer or of Wine */
  status = helper_finish(helper_start_opts(&opts));
  ASSERT_TRUE(status.signal != 0 || (status.code != 0 && status.code != 101));
  ASSERT_EQ(((char *)xipc_shm_addr(shm))[0], 0);
  xipc_shm_close(shm);
  xipc_shm_unlink(name, 0);
}

/* Owner-only whatever the umask: 0600 (POSIX), a DACL for the owner and SYSTEM (Windows). */
TEST_IMPL(shm, private_by_default) {
  static const int masks[] = {0, 022};
  size_t i;
  for (i = 0; i < ARRAY_SIZE(masks); i++) {
    char name[64], native[XIPC_NATIVE_NAME_MAX];
    xipc_shm_t *shm;
    bool checked;
    int old = test_os_set_umask(masks[i]);
    test_unique_name(name, sizeof name, "perm");
    ASSERT_OK(xipc_shm_create(&shm, name, 4096, 0));
    test_os_set_umask(old);
    ASSERT_GT(xipc_name_native(XIPC_KIND_SHM, name, native, sizeof native), 0);
    ASSERT_TRUE(test_os_shm_private(native, &checked));
    if (!checked)
      SKIP("the segment's security descriptor cannot be read back here");
    xipc_shm_close(shm);
    xipc_shm_unlink(name, 0);
  }
}

TEST_IMPL(shm, unlink) {
  xipc_shm_t *a, *b = NULL;
  char name[64];
  test_unique_name(name, sizeof name, "unlink");
  ASSERT_OK(xipc_shm_create(&a, name, 4096, 0));
  memcpy(xipc_shm_addr(a), "kept", 4);
  ASSERT_OK(xipc_shm_unlink(name, 0));
  if (posix_names()) {
    /* The name is gone at once; the mapping lives on; the name can be made again. */
    ASSERT_ERR(xipc_shm_open(&b, name, 0), XIPC_ENOENT);
    ASSERT_ERR(xipc_shm_unlink(name, 0), XIPC_ENOENT);
    ASSERT_TRUE(memcmp(xipc_shm_addr(a), "kept", 4) == 0);
    ASSERT_OK(xipc_shm_create(&b, name, 4096, 0));
    ASSERT_EQ(((char *)xipc_shm_addr(b))[0], 0);
    xipc_shm_close(b);
    xipc_shm_unlink(name, 0);
    xipc_shm_close(a);
  } else {
    /* Windows: unlink does nothing; the segment goes with its last handle. */
    ASSERT_OK(xipc_shm_open(&b, name, 0));
    ASSERT_TRUE(memcmp(xipc_shm_addr(b), "kept", 4) == 0);
    xipc_shm_close(b);
    xipc_shm_close(a);
    ASSERT_ERR(xipc_shm_open(&b, name, 0), XIPC_ENOENT);
  }
}

/* A segment created by xipc under an exact native name is opened by a plain program. */
TEST_IMPL(shm, native_name_plain_program_opens) {
  xipc_shm_t *shm;
  char native[96];
  test_os_native_shm_name(native, sizeof native, "plain1");
  ASSERT_OK(xipc_shm_create(&shm, native, 4096, XIPC_SHM_NATIVE_NAME));
  helper_expect_exit(helper_start("plain_shm_write", native, "written plainly", NULL), 0);
  ASSERT_TRUE(memcmp(xipc_shm_addr(shm), "written plainly", 15) == 0);
  xipc_shm_close(shm);
  ASSERT_OK(xipc_shm_unlink(native, XIPC_SHM_NATIVE_NAME));
}

/* A segment made by plain system calls is opened by xipc under its exact native name. */
TEST_IMPL(shm, native_name_opens_plain_segment) {
  xipc_shm_t *shm;
  char native[96];
  void *plain;
  test_os_native_shm_name(native, sizeof native, "plain2");
  plain = test_os_plain_shm_create(native, 8192, "made plainly");
  ASSERT_NOT_NULL(plain);
  ASSERT_OK(xipc_shm_open(&shm, native, XIPC_SHM_NATIVE_NAME));
  ASSERT_EQ(xipc_shm_size(shm), 8192);
  ASSERT_TRUE(memcmp(xipc_shm_addr(shm), "made plainly", 12) == 0);
  memcpy((char *)xipc_shm_addr(shm) + 100, "xipc", 4);
  ASSERT_TRUE(memcmp((char *)plain + 100, "xipc", 4) == 0);
  xipc_shm_close(shm);
  test_os_plain_shm_destroy(native, plain, 8192);
}

TEST_IMPL(shm, invalid_arguments) {
  xipc_shm_t *s = (xipc_shm_t *)&s;
  char token[XIPC_TOKEN_MAX];
  ASSERT_ERR(xipc_shm_create(NULL, "x", 10, 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_create(&s, "x", 0, 0), XIPC_EINVAL);
  ASSERT_NULL(s);
  ASSERT_ERR(xipc_shm_create(&s, "a/b", 10, 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_create(&s, NULL, 10, 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_create(&s, "x", 10, XIPC_SHM_READ_ONLY), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_create(&s, "x", 10, 1u << 12), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_create(&s, "", 10, XIPC_SHM_NATIVE_NAME), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_open(NULL, "x", 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_open(&s, "..", 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_open(&s, "x", XIPC_SHM_CREATE), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_unlink(NULL, 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_unlink("x", XIPC_SHM_READ_ONLY), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_create_anonymous(NULL, 10), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_create_anonymous(&s, 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_token(NULL, token, sizeof token), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_from_token(&s, NULL, 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_from_token(&s, "xipc-fd:3", 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_from_token(&s, "hello", 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_flush(NULL), XIPC_EINVAL);
  ASSERT_NULL(xipc_shm_addr(NULL));
  ASSERT_EQ(xipc_shm_size(NULL), 0);
  ASSERT_OK(xipc_shm_close(NULL));
  ASSERT_EQ(xipc_last_os_error(), 0);
}

/* ---- Anonymous segments ------------------------------------------------ */

TEST_IMPL(shm, anonymous_to_child) {
  xipc_shm_t *shm, *give[1];
  xipc_spawn_options_t opts;
  char token[XIPC_TOKEN_MAX];
  ASSERT_OK(xipc_shm_create_anonymous(&shm, 1024 * 1024));
  ASSERT_EQ(xipc_shm_size(shm), 1024 * 1024);
  test_fill_pattern(xipc_shm_addr(shm), 4000, 21, 0);
  ASSERT_GT(xipc_shm_token(shm, token, sizeof token), 0);
  ASSERT_ERR(xipc_shm_token(shm, token, 3), XIPC_ENOBUFS);
  ASSERT_GT(xipc_shm_token(shm, token, sizeof token), 0);
  give[0] = shm;
  memset(&opts, 0, sizeof opts);
  opts.argv = helper_argv("shm_from_token", token, NULL);
  opts.inherit_shm = give;
  opts.inherit_shm_count = 1;
  helper_expect_exit(helper_start_opts(&opts), 0);
  ASSERT_TRUE(memcmp((char *)xipc_shm_addr(shm) + 4000, "child", 5) == 0);
  xipc_shm_close(shm);
}

/* Not listed in inherit_shm: the child cannot reach it, token or not. */
TEST_IMPL(shm, anonymous_not_inherited_by_default) {
  xipc_shm_t *shm;
  char token[XIPC_TOKEN_MAX];
  ASSERT_OK(xipc_shm_create_anonymous(&shm, 4096));
  ((unsigned char *)xipc_shm_addr(shm))[0] = 0x15;
  ASSERT_GT(xipc_shm_token(shm, token, sizeof token), 0);
  helper_expect_exit(helper_start("shm_token_not_given", token, NULL), 0);
  xipc_shm_close(shm);
}

/* ---- Mapped files ------------------------------------------------------ */

static void file_path(char *dir, size_t dcap, char *path, size_t pcap, const char *leaf) {
  test_os_make_tmpdir(dir, dcap);
  snprintf(path, pcap, "%s/%s", dir, leaf);
}

static long read_file(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  long n;
  ASSERT_NOT_NULL(f);
  n = (long)fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

TEST_IMPL(mmap, create_extends_and_flushes) {
  char dir[512], path[600], buf[9000];
  xipc_shm_t *map;
  file_path(dir, sizeof dir, path, sizeof path, "data.bin");
  ASSERT_OK(xipc_shm_map_file(&map, path, 8192, XIPC_SHM_CREATE));
  ASSERT_EQ(xipc_shm_size(map), 8192);
  memcpy(xipc_shm_addr(map), "header", 6);
  memcpy((char *)xipc_shm_addr(map) + 8186, "footer", 6);
  ASSERT_OK(xipc_shm_flush(map));
  ASSERT_EQ(test_file_size(path), 8192);
  ASSERT_EQ(read_file(path, buf, sizeof buf), 8192);
  ASSERT_TRUE(memcmp(buf, "header", 6) == 0);
  ASSERT_TRUE(memcmp(buf + 8186, "footer", 6) == 0);
  ASSERT_OK(xipc_shm_close(map));
  test_os_remove(path);
  test_os_remove(dir);
}

TEST_IMPL(mmap, maps_existing_file) {
  char dir[512], path[600];
  xipc_shm_t *map;
  FILE *f;
  file_path(dir, sizeof dir, path, sizeof path, "existing.txt");
  f = fopen(path, "wb");
  ASSERT_NOT_NULL(f);
  fputs("0123456789 an existing file", f);
  fclose(f);
  ASSERT_OK(xipc_shm_map_file(&map, path, 0, XIPC_SHM_READ_ONLY));
  ASSERT_EQ(xipc_shm_size(map), 27);
  ASSERT_TRUE(memcmp(xipc_shm_addr(map), "0123456789 an existing file", 27) == 0);
  ASSERT_OK(xipc_shm_flush(map)); /* nothing to write back: not an error */
  xipc_shm_close(map);
  /* A part of it, read-write. */
  ASSERT_OK(xipc_shm_map_file(&map, path, 10, 0));
  ASSERT_EQ(xipc_shm_size(map), 10);
  memcpy(xipc_shm_addr(map), "ABCDEFGHIJ", 10);
  ASSERT_OK(xipc_shm_flush(map));
  xipc_shm_close(map);
  {
    char buf[64];
    ASSERT_EQ(read_file(path, buf, sizeof buf), 27);
    ASSERT_TRUE(memcmp(buf, "ABCDEFGHIJ an existing file", 27) == 0);
  }
  test_os_remove(path);
  test_os_remove(dir);
}

/* Two processes map one file and see each other's writes. */
TEST_IMPL(mmap, shared_between_processes) {
  char dir[512], path[600];
  xipc_shm_t *map;
  file_path(dir, sizeof dir, path, sizeof path, "shared.bin");
  ASSERT_OK(xipc_shm_map_file(&map, path, 4096, XIPC_SHM_CREATE));
  helper_expect_exit(helper_start("mmap_write_child", path, NULL), 0);
  ASSERT_TRUE(memcmp((char *)xipc_shm_addr(map) + 100, "from child", 10) == 0);
  xipc_shm_close(map);
  test_os_remove(path);
  test_os_remove(dir);
}

TEST_IMPL(mmap, read_only_refuses_writes) {
  char dir[512], path[600], buf[8];
  xipc_spawn_options_t opts;
  xipc_exit_t status;
  xipc_shm_t *map;
  file_path(dir, sizeof dir, path, sizeof path, "ro.bin");
  ASSERT_OK(xipc_shm_map_file(&map, path, 4096, XIPC_SHM_CREATE));
  xipc_shm_close(map);
  memset(&opts, 0, sizeof opts);
  opts.argv = helper_argv("shm_write_read_only", path, "file", NULL);
  opts.stdio[2].kind = XIPC_STDIO_NULL;
  status = helper_finish(helper_start_opts(&opts));
  ASSERT_TRUE(status.signal != 0 || (status.code != 0 && status.code != 101));
  ASSERT_EQ(read_file(path, buf, 1), 1);
  ASSERT_EQ(buf[0], 0);
  test_os_remove(path);
  test_os_remove(dir);
}

/* Extending never shrinks: a larger file keeps its size. */
TEST_IMPL(mmap, never_shrinks) {
  char dir[512], path[600];
  xipc_shm_t *map;
  file_path(dir, sizeof dir, path, sizeof path, "big.bin");
  ASSERT_OK(xipc_shm_map_file(&map, path, 10000, XIPC_SHM_CREATE));
  xipc_shm_close(map);
  ASSERT_OK(xipc_shm_map_file(&map, path, 5000, XIPC_SHM_CREATE));
  ASSERT_EQ(xipc_shm_size(map), 5000);
  xipc_shm_close(map);
  ASSERT_EQ(test_file_size(path), 10000);
  test_os_remove(path);
  test_os_remove(dir);
}

TEST_IMPL(mmap, errors) {
  char dir[512], path[600], empty[600];
  xipc_shm_t *map = (xipc_shm_t *)&map;
  FILE *f;
  file_path(dir, sizeof dir, path, sizeof path, "missing.bin");
  ASSERT_ERR(xipc_shm_map_file(&map, path, 0, 0), XIPC_ENOENT);
  ASSERT_NULL(map);
  ASSERT_ERR(xipc_shm_map_file(&map, path, 100, 0), XIPC_ENOENT);
  ASSERT_ERR(xipc_shm_map_file(&map, path, 0, XIPC_SHM_CREATE), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_map_file(&map, path, 10, XIPC_SHM_CREATE | XIPC_SHM_READ_ONLY), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_map_file(&map, NULL, 10, 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_map_file(&map, "", 10, 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_map_file(&map, path, 10, XIPC_SHM_NATIVE_NAME), XIPC_EINVAL);
  snprintf(empty, sizeof empty, "%s/empty", dir);
  f = fopen(empty, "wb");
  ASSERT_NOT_NULL(f);
  fclose(f);
  /* Nothing to map in an empty file; no room past the end of a short one. */
  ASSERT_ERR(xipc_shm_map_file(&map, empty, 0, 0), XIPC_EINVAL);
  ASSERT_ERR(xipc_shm_map_file(&map, empty, 100, 0), XIPC_EINVAL);
  test_os_remove(empty);
  test_os_remove(dir);
}
