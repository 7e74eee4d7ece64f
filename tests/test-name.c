/* SPDX-License-Identifier: MIT */
/*
 * Portable names: the validator's verdicts and the mapping table, checked
 * against fixed expectations so that every system computes the same thing.
 * Expected hashes were computed independently (FNV-1a 64 in Python).
 */
#include "task.h"

#include <stdlib.h>

static char *repeat(char c, size_t n) {
  char *s = malloc(n + 1);
  ASSERT_NOT_NULL(s);
  memset(s, c, n);
  s[n] = '\0';
  return s;
}

static void expect_verdict(const char *name, int expected) {
  int got = xipc_name_validate(name);
  if (got != expected)
    test_fail(__FILE__, __LINE__, "xipc_name_validate(\"%s\") = %s, expected %s",
              name ? name : "(null)", xipc_err_name(got), xipc_err_name(expected));
}

TEST_IMPL(name, accepts_portable_characters) {
  static const char *const ok[] = {
      "a",       "Z",
      "0",       "a.b",
      "a_b",     "a-b",
      "A.B-c_d", "0123456789",
      "UPPER",   "name.x",
      "a..b",    "-dash",
      "_under",  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
  };
  size_t i;
  for (i = 0; i < ARRAY_SIZE(ok); i++)
    expect_verdict(ok[i], 0);
}

TEST_IMPL(name, rejects_null_and_empty) {
  expect_verdict(NULL, XIPC_EINVAL);
  expect_verdict("", XIPC_EINVAL);
}

TEST_IMPL(name, rejects_dotdot) {
  expect_verdict(".", XIPC_EINVAL);
  expect_verdict("..", XIPC_EINVAL);
  expect_verdict("...", XIPC_EINVAL);
  expect_verdict(".hidden", XIPC_EINVAL);
  expect_verdict("../x", XIPC_EINVAL);
  /* A trailing dot: Windows would drop it from a pipe or mailslot name ("a." = "a"). */
  expect_verdict("name.", XIPC_EINVAL);
  expect_verdict("a..", XIPC_EINVAL);
}

TEST_IMPL(name, rejects_separators) {
  static const char *const bad[] = {"/",   "/x",        "a/b",      "x/",  "//double", "a\\b",
                                    "\\x", "Global\\x", "Local\\x", "a:b", "C:"};
  size_t i;
  for (i = 0; i < ARRAY_SIZE(bad); i++)
    expect_verdict(bad[i], XIPC_EINVAL);
}

TEST_IMPL(name, rejects_control_characters) {
  static const char *const bad[] = {"a\tb", "a\nb", "\r", "\x01", "a\x1f", "a\x7f", "a b", " a"};
  size_t i;
  for (i = 0; i < ARRAY_SIZE(bad); i++)
    expect_verdict(bad[i], XIPC_EINVAL);
}

TEST_IMPL(name, rejects_non_ascii) {
  /* UTF-8 e-acute, a lone continuation byte, 0xff, a UTF-8 emoji. */
  static const char *const bad[] = {"caf\xc3\xa9", "\xc3\xa9", "a\x80", "\xff",
                                    "x\xf0\x9f\x98\x80"};
  size_t i;
  for (i = 0; i < ARRAY_SIZE(bad); i++)
    expect_verdict(bad[i], XIPC_EINVAL);
}

TEST_IMPL(name, rejects_other_punctuation) {
  static const char *const bad[] = {"a*b", "a?b", "a\"b", "a<b", "a>b",  "a|b",  "a%b",
                                    "a$b", "a=b", "a,b",  "a;b", "a'b",  "a@b",  "a#b",
                                    "a~b", "a+b", "a!b",  "a&b", "a(b)", "a[b]", "a{b}"};
  size_t i;
  for (i = 0; i < ARRAY_SIZE(bad); i++)
    expect_verdict(bad[i], XIPC_EINVAL);
}

TEST_IMPL(name, length_limit) {
  char *max = repeat('n', XIPC_NAME_MAX);
  char *over = repeat('n', XIPC_NAME_MAX + 1);
  char *far = repeat('n', 4096);
  ASSERT_EQ(XIPC_NAME_MAX, 128);
  expect_verdict(max, 0);
  expect_verdict(over, XIPC_ENAMETOOLONG);
  expect_verdict(far, XIPC_ENAMETOOLONG);
  /* A bad character is reported as such even in an over-long name. */
  far[4000] = '/';
  expect_verdict(far, XIPC_EINVAL);
  free(max);
  free(over);
  free(far);
}

typedef struct mapping_case {
  xipc_kind_t kind;
  const char *name;
  const char *linux_name;
  const char *bsd_name;
  const char *windows_name;
} mapping_case_t;

/* clang-format off */
static const mapping_case_t mappings[] = {
  {XIPC_KIND_SHM, "a", "/xipc.shm.a", "/xipc.shm.a", "Local\\xipc.shm.a"},
  {XIPC_KIND_SEM, "counter", "/xipc.sem.counter", "/xipc.sem.counter", "Local\\xipc.sem.counter"},
  {XIPC_KIND_MUTEX, "db.lock", "/xipc.mutex.db.lock", "/xipc.mutex.db.lock", "Local\\xipc.mutex.db.lock"},
  {XIPC_KIND_MQ, "jobs-1", "/xipc.mq.jobs-1", "/xipc.mq.jobs-1", "Local\\xipc.mq.jobs-1"},
  {XIPC_KIND_CHANNEL, "video_frames", "/xipc.channel.video_frames", "/xipc.channel.video_frames", "Local\\xipc.channel.video_frames"},
  {XIPC_KIND_CHANNEL, "a-name-of-eighteen", "/xipc.channel.a-name-of-eighteen", "/xipc.channel..ed89153a8b78cac", "Local\\xipc.channel.a-name-of-eighteen"},
  {XIPC_KIND_SHM, "xxxxxxxxxxxxxxxxxxxx", "/xipc.shm.xxxxxxxxxxxxxxxxxxxx", "/xipc.shm.xxxxxxxxxxxxxxxxxxxx", "Local\\xipc.shm.xxxxxxxxxxxxxxxxxxxx"},
  {XIPC_KIND_SHM, "xxxxxxxxxxxxxxxxxxxxx", "/xipc.shm.xxxxxxxxxxxxxxxxxxxxx", "/xipc.shm..7188251ec7258e9", "Local\\xipc.shm.xxxxxxxxxxxxxxxxxxxxx"},
  {XIPC_KIND_SHM, "xxxxxxxxxxxxxxxxxxxxxx", "/xipc.shm.xxxxxxxxxxxxxxxxxxxxxx", "/xipc.shm..0fe6024c64d1e01", "Local\\xipc.shm.xxxxxxxxxxxxxxxxxxxxxx"},
  {XIPC_KIND_SEM, "yyyyyyyyyyyyyyyyyyyy", "/xipc.sem.yyyyyyyyyyyyyyyyyyyy", "/xipc.sem.yyyyyyyyyyyyyyyyyyyy", "Local\\xipc.sem.yyyyyyyyyyyyyyyyyyyy"},
  {XIPC_KIND_SEM, "yyyyyyyyyyyyyyyyyyyyy", "/xipc.sem.yyyyyyyyyyyyyyyyyyyyy", "/xipc.sem..977124826ef9a2e", "Local\\xipc.sem.yyyyyyyyyyyyyyyyyyyyy"},
  {XIPC_KIND_SEM, "yyyyyyyyyyyyyyyyyyyyyy", "/xipc.sem.yyyyyyyyyyyyyyyyyyyyyy", "/xipc.sem..4ee3a2a2922f49f", "Local\\xipc.sem.yyyyyyyyyyyyyyyyyyyyyy"},
  {XIPC_KIND_MUTEX, "Mixed.Case_9-z", "/xipc.mutex.Mixed.Case_9-z", "/xipc.mutex.Mixed.Case_9-z", "Local\\xipc.mutex.Mixed.Case_9-z"},
  {XIPC_KIND_MQ, "qqqqqqqqqqqqqqqqqqqqqqqq", "/xipc.mq.qqqqqqqqqqqqqqqqqqqqqqqq", "/xipc.mq..bc714b73488956d", "Local\\xipc.mq.qqqqqqqqqqqqqqqqqqqqqqqq"},
  {XIPC_KIND_FIFO, "pipe0", "fifo.pipe0", "fifo.pipe0", "\\\\.\\pipe\\xipc.fifo.pipe0"},
  {XIPC_KIND_LOCAL, "server", "local.server", "local.server", "\\\\.\\pipe\\xipc.local.server"},
  {XIPC_KIND_LOCAL, "llllllllllllllllllllllllllllllllll", "local.llllllllllllllllllllllllllllllllll", "local.llllllllllllllllllllllllllllllllll", "\\\\.\\pipe\\xipc.local.llllllllllllllllllllllllllllllllll"},
  {XIPC_KIND_LOCAL, "lllllllllllllllllllllllllllllllllll", "local..f36faf2d5066526b", "local..f36faf2d5066526b", "\\\\.\\pipe\\xipc.local.lllllllllllllllllllllllllllllllllll"},
  {XIPC_KIND_MAILSLOT, "log", "mailslot.log", "mailslot.log", "\\\\.\\mailslot\\xipc.mailslot.log"},
  {XIPC_KIND_MAILSLOT, "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm", "mailslot.mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm", "mailslot.mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm", "\\\\.\\mailslot\\xipc.mailslot.mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"},
  {XIPC_KIND_MAILSLOT, "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm", "mailslot..e8ff597973b09885", "mailslot..e8ff597973b09885", "\\\\.\\mailslot\\xipc.mailslot.mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"},
  {XIPC_KIND_CHANNEL, "-dash_first", "/xipc.channel.-dash_first", "/xipc.channel.-dash_first", "Local\\xipc.channel.-dash_first"},
};

/* Names whose verdict is fixed; the valid ones also go through every kind and scheme. */
static const struct { const char *name; int verdict; } verdicts[] = {
  {"a", 0}, {"Z", 0}, {"9", 0}, {"a.b", 0}, {"a_b", 0}, {"a-b", 0}, {"A.B-c_d", 0},
  {"0123456789", 0}, {"name.", XIPC_EINVAL}, {"a..b", 0}, {"-dash", 0}, {"_x", 0}, {"COM1", 0},
  {"NUL", 0}, {"Mixed.Case_9-z", 0},
  {"", XIPC_EINVAL}, {".", XIPC_EINVAL}, {"..", XIPC_EINVAL}, {".hidden", XIPC_EINVAL},
  {"/", XIPC_EINVAL}, {"/x", XIPC_EINVAL}, {"a/b", XIPC_EINVAL}, {"x/", XIPC_EINVAL},
  {"a\\b", XIPC_EINVAL}, {"Global\\x", XIPC_EINVAL}, {"a b", XIPC_EINVAL},
  {"a\tb", XIPC_EINVAL}, {"a\nb", XIPC_EINVAL}, {"\x01", XIPC_EINVAL},
  {"a\x7f", XIPC_EINVAL}, {"caf\xc3\xa9", XIPC_EINVAL}, {"\xff", XIPC_EINVAL},
  {"a:b", XIPC_EINVAL}, {"a*b", XIPC_EINVAL}, {"a?b", XIPC_EINVAL}, {"a\"b", XIPC_EINVAL},
  {"a<b", XIPC_EINVAL}, {"a>b", XIPC_EINVAL}, {"a|b", XIPC_EINVAL}, {"a%b", XIPC_EINVAL},
  {"a~b", XIPC_EINVAL}, {"a=b", XIPC_EINVAL},
};
/* clang-format on */

static void expect_map(xipc_name_scheme_t scheme, xipc_kind_t kind, const char *name,
                       const char *expected) {
  char buf[XIPC_NATIVE_NAME_MAX];
  int rc = xipc_name_map(scheme, kind, name, buf, sizeof buf);
  if (rc < 0)
    test_fail(__FILE__, __LINE__, "map(%d, %s, %s) failed: %s", (int)scheme, xipc_kind_name(kind),
              name, xipc_err_name(rc));
  if (strcmp(buf, expected) != 0 || (size_t)rc != strlen(expected))
    test_fail(__FILE__, __LINE__, "map(%d, %s, %s) = \"%s\" (%d), expected \"%s\"", (int)scheme,
              xipc_kind_name(kind), name, buf, rc, expected);
}

TEST_IMPL(name, corpus) {
  static const xipc_name_scheme_t schemes[] = {XIPC_SCHEME_LINUX, XIPC_SCHEME_BSD,
                                               XIPC_SCHEME_WINDOWS};
  char *max = repeat('s', 128), *too_long = repeat('s', 129);
  char buf[XIPC_NATIVE_NAME_MAX];
  size_t i, s;
  int kind;

  ASSERT_GE(ARRAY_SIZE(verdicts) + ARRAY_SIZE(mappings), 40);
  for (i = 0; i < ARRAY_SIZE(verdicts); i++) {
    expect_verdict(verdicts[i].name, verdicts[i].verdict);
    /* Every scheme and kind gives the validator's verdict for the name. */
    for (s = 0; s < ARRAY_SIZE(schemes); s++) {
      for (kind = XIPC_KIND_SHM; kind <= XIPC_KIND_CHANNEL; kind++) {
        int rc = xipc_name_map(schemes[s], (xipc_kind_t)kind, verdicts[i].name, buf, sizeof buf);
        if (verdicts[i].verdict != 0)
          ASSERT_EQ(rc, verdicts[i].verdict);
        else
          ASSERT_GT(rc, 0);
      }
    }
  }
  for (i = 0; i < ARRAY_SIZE(mappings); i++) {
    expect_map(XIPC_SCHEME_LINUX, mappings[i].kind, mappings[i].name, mappings[i].linux_name);
    expect_map(XIPC_SCHEME_BSD, mappings[i].kind, mappings[i].name, mappings[i].bsd_name);
    expect_map(XIPC_SCHEME_WINDOWS, mappings[i].kind, mappings[i].name, mappings[i].windows_name);
  }
  /* The longest name maps on every scheme (hashed where a system limit needs it). */
  expect_map(XIPC_SCHEME_BSD, XIPC_KIND_SHM, max, "/xipc.shm..145b8cb7fdb1d9a");
  for (s = 0; s < ARRAY_SIZE(schemes); s++) {
    for (kind = XIPC_KIND_SHM; kind <= XIPC_KIND_CHANNEL; kind++) {
      ASSERT_GT(xipc_name_map(schemes[s], (xipc_kind_t)kind, max, buf, sizeof buf), 0);
      ASSERT_ERR(xipc_name_map(schemes[s], (xipc_kind_t)kind, too_long, buf, sizeof buf),
                 XIPC_ENAMETOOLONG);
    }
  }
  free(max);
  free(too_long);
}

/* No two (kind, name) pairs may reach the same native object. */
TEST_IMPL(name, kinds_never_collide) {
  static const char *const names[] = {"a",
                                      "a.shm",
                                      "shm.a",
                                      "a.b",
                                      "a-b",
                                      "ab",
                                      "x.sem",
                                      "sem",
                                      "mutex.a",
                                      "a.c",
                                      "lllllllllllllllllllllllllllllllllll",
                                      "lllllllllllllllllllllllllllllllllll0"};
  static const xipc_name_scheme_t schemes[] = {XIPC_SCHEME_LINUX, XIPC_SCHEME_BSD,
                                               XIPC_SCHEME_WINDOWS};
  enum { N = ARRAY_SIZE(names) * XIPC_KIND_CHANNEL };
  char mapped[N][XIPC_NATIVE_NAME_MAX];
  size_t s, i, j, n;
  int kind;
  for (s = 0; s < ARRAY_SIZE(schemes); s++) {
    n = 0;
    for (i = 0; i < ARRAY_SIZE(names); i++) {
      for (kind = XIPC_KIND_SHM; kind <= XIPC_KIND_CHANNEL; kind++)
        ASSERT_GT(xipc_name_map(schemes[s], (xipc_kind_t)kind, names[i], mapped[n++], 512), 0);
    }
    for (i = 0; i < n; i++) {
      for (j = 0; j < i; j++) {
        if (strcmp(mapped[i], mapped[j]) == 0)
          test_fail(__FILE__, __LINE__, "scheme %d: two objects map to \"%s\"", (int)schemes[s],
                    mapped[i]);
      }
    }
  }
}

TEST_IMPL(name, hash_form) {
  char a[XIPC_NATIVE_NAME_MAX], b[XIPC_NATIVE_NAME_MAX];
  char *n1 = repeat('h', 40), *n2 = repeat('h', 40);
  n2[39] = 'i';
  ASSERT_GT(xipc_name_map(XIPC_SCHEME_LINUX, XIPC_KIND_LOCAL, n1, a, sizeof a), 0);
  ASSERT_GT(xipc_name_map(XIPC_SCHEME_LINUX, XIPC_KIND_LOCAL, n2, b, sizeof b), 0);
  /* Hashed: "local.." + 16 hex digits, and names differing in one byte differ. */
  ASSERT_EQ(strlen(a), 7 + 16);
  ASSERT_TRUE(strncmp(a, "local..", 7) == 0);
  ASSERT_TRUE(strcmp(a, b) != 0);
  /* Stable: the same input gives the same output every time. */
  ASSERT_GT(xipc_name_map(XIPC_SCHEME_LINUX, XIPC_KIND_LOCAL, n1, b, sizeof b), 0);
  ASSERT_STR_EQ(a, b);
  free(n1);
  free(n2);
}

TEST_IMPL(name, kind_names) {
  ASSERT_STR_EQ(xipc_kind_name(XIPC_KIND_SHM), "shm");
  ASSERT_STR_EQ(xipc_kind_name(XIPC_KIND_SEM), "sem");
  ASSERT_STR_EQ(xipc_kind_name(XIPC_KIND_MUTEX), "mutex");
  ASSERT_STR_EQ(xipc_kind_name(XIPC_KIND_MQ), "mq");
  ASSERT_STR_EQ(xipc_kind_name(XIPC_KIND_FIFO), "fifo");
  ASSERT_STR_EQ(xipc_kind_name(XIPC_KIND_LOCAL), "local");
  ASSERT_STR_EQ(xipc_kind_name(XIPC_KIND_MAILSLOT), "mailslot");
  ASSERT_STR_EQ(xipc_kind_name(XIPC_KIND_CHANNEL), "channel");
  ASSERT_NULL(xipc_kind_name((xipc_kind_t)0));
  ASSERT_NULL(xipc_kind_name((xipc_kind_t)9));
  ASSERT_NULL(xipc_kind_name((xipc_kind_t)-1));
}

TEST_IMPL(name, bad_arguments) {
  char buf[XIPC_NATIVE_NAME_MAX];
  ASSERT_ERR(xipc_name_map(XIPC_SCHEME_LINUX, (xipc_kind_t)0, "a", buf, sizeof buf), XIPC_EINVAL);
  ASSERT_ERR(xipc_name_map(XIPC_SCHEME_LINUX, (xipc_kind_t)99, "a", buf, sizeof buf), XIPC_EINVAL);
  ASSERT_ERR(xipc_name_map((xipc_name_scheme_t)17, XIPC_KIND_SHM, "a", buf, sizeof buf),
             XIPC_EINVAL);
  ASSERT_ERR(xipc_name_map(XIPC_SCHEME_LINUX, XIPC_KIND_SHM, "a", NULL, 10), XIPC_EINVAL);
  ASSERT_ERR(xipc_name_map(XIPC_SCHEME_LINUX, XIPC_KIND_SHM, NULL, buf, sizeof buf), XIPC_EINVAL);
  ASSERT_ERR(xipc_name_native(XIPC_KIND_SHM, "a", NULL, 10), XIPC_EINVAL);
  ASSERT_ERR(xipc_name_native(XIPC_KIND_SHM, "a/b", buf, sizeof buf), XIPC_EINVAL);
  ASSERT_ERR(xipc_name_native((xipc_kind_t)0, "a", buf, sizeof buf), XIPC_EINVAL);
  ASSERT_EQ(xipc_last_os_error(), 0);
}

TEST_IMPL(name, buffer_too_small) {
  char buf[XIPC_NATIVE_NAME_MAX];
  int len = xipc_name_map(XIPC_SCHEME_WINDOWS, XIPC_KIND_SEM, "abc", buf, sizeof buf);
  ASSERT_EQ(len, (int)strlen("Local\\xipc.sem.abc"));
  /* Exactly enough room for the NUL works; one byte less does not, and nothing is truncated. */
  ASSERT_EQ(xipc_name_map(XIPC_SCHEME_WINDOWS, XIPC_KIND_SEM, "abc", buf, (size_t)len + 1), len);
  ASSERT_ERR(xipc_name_map(XIPC_SCHEME_WINDOWS, XIPC_KIND_SEM, "abc", buf, (size_t)len),
             XIPC_ENOBUFS);
  ASSERT_ERR(xipc_name_map(XIPC_SCHEME_WINDOWS, XIPC_KIND_SEM, "abc", buf, 0), XIPC_ENOBUFS);
  ASSERT_ERR(xipc_name_native(XIPC_KIND_SHM, "abc", buf, 3), XIPC_ENOBUFS);
  ASSERT_ERR(xipc_name_native(XIPC_KIND_FIFO, "abc", buf, 3), XIPC_ENOBUFS);
}

TEST_IMPL(name, native_matches_map) {
  char native[XIPC_NATIVE_NAME_MAX], mapped[XIPC_NATIVE_NAME_MAX];
  int kind;
  for (kind = XIPC_KIND_SHM; kind <= XIPC_KIND_CHANNEL; kind++) {
    int n = xipc_name_native((xipc_kind_t)kind, "native.check", native, sizeof native);
    int m =
        xipc_name_map(XIPC_SCHEME_HOST, (xipc_kind_t)kind, "native.check", mapped, sizeof mapped);
    ASSERT_GT(n, 0);
    ASSERT_GT(m, 0);
    ASSERT_EQ(n, (int)strlen(native));
    /* The native name is the mapped name, or (POSIX path kinds) a path ending in "/<mapped>". */
    ASSERT_GE(n, m);
    ASSERT_STR_EQ(native + (n - m), mapped);
    if (n > m) {
      ASSERT_EQ(native[0], '/');
      ASSERT_EQ(native[n - m - 1], '/');
    }
  }
}

TEST_IMPL(name, native_socket_path_too_long) {
  char native[XIPC_NATIVE_NAME_MAX], dir[160];
  if (xipc_name_map(XIPC_SCHEME_HOST, XIPC_KIND_LOCAL, "a", native, sizeof native) ==
      xipc_name_native(XIPC_KIND_LOCAL, "a", native, sizeof native))
    SKIP("this system's local and mailslot names are not paths in a runtime directory");
  /* A runtime directory of 100 bytes leaves no room for a socket name in sun_path. */
  memset(dir, 'd', 100);
  dir[0] = '/';
  dir[100] = '\0';
  test_os_setenv("XIPC_RUNTIME_DIR", dir);
  ASSERT_ERR(xipc_name_native(XIPC_KIND_LOCAL, "a", native, sizeof native), XIPC_ENAMETOOLONG);
  ASSERT_ERR(xipc_name_native(XIPC_KIND_MAILSLOT, "a", native, sizeof native), XIPC_ENAMETOOLONG);
  /* A FIFO is not a socket: its path may be longer. */
  ASSERT_GT(xipc_name_native(XIPC_KIND_FIFO, "a", native, sizeof native), 100);
  ASSERT_TRUE(strncmp(native, dir, 100) == 0);
  ASSERT_STR_EQ(native + 100, "/fifo.a");
}
