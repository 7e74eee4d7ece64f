/* SPDX-License-Identifier: MIT */
/*
 * xipc: the command-line tool.
 *
 *   xipc version            library version
 *   xipc names <name>       native names of <name> for every kind, here and on each system
 *   xipc errors             the error codes with their numbers and descriptions
 *   xipc demo               a short tour of what xipc does on this system
 */
#include <xipc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void) {
  fprintf(stderr, "usage: xipc version | names <name> | errors | demo\n");
  return 2;
}

static int print_names(const char *name) {
  static const struct {
    xipc_name_scheme_t scheme;
    const char *label;
  } schemes[] = {{XIPC_SCHEME_LINUX, "Linux"},
                 {XIPC_SCHEME_BSD, "macOS/BSD"},
                 {XIPC_SCHEME_WINDOWS, "Windows"}};
  char buf[XIPC_NATIVE_NAME_MAX];
  int kind, rc;
  size_t s;

  rc = xipc_name_validate(name);
  if (rc < 0) {
    fprintf(stderr, "xipc: \"%s\" is not a portable name: %s\n", name, xipc_strerror(rc));
    return 1;
  }
  for (kind = XIPC_KIND_SHM; kind <= XIPC_KIND_CHANNEL; kind++) {
    printf("%-8s here:      ", xipc_kind_name((xipc_kind_t)kind));
    rc = xipc_name_native((xipc_kind_t)kind, name, buf, sizeof buf);
    printf("%s\n", rc < 0 ? xipc_strerror(rc) : buf);
    for (s = 0; s < sizeof schemes / sizeof schemes[0]; s++) {
      rc = xipc_name_map(schemes[s].scheme, (xipc_kind_t)kind, name, buf, sizeof buf);
      printf("         %-10s %s\n", schemes[s].label, rc < 0 ? xipc_strerror(rc) : buf);
    }
  }
  return 0;
}

static int print_errors(void) {
#define XIPC_TOOL_ERR_(name, num, text) printf("%-22s %6d  %s\n", "XIPC_" #name, XIPC_##name, text);
  XIPC_ERRNO_MAP(XIPC_TOOL_ERR_)
#undef XIPC_TOOL_ERR_
  return 0;
}

static int compare_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Start "xipc demo-child" n times; print the median start-to-exit time. */
static int demo_spawn(const char *exe) {
  enum { RUNS = 21 };
  uint64_t times[RUNS];
  const char *argv[3];
  xipc_spawn_options_t opts;
  int i, rc;

  argv[0] = exe;
  argv[1] = "demo-child";
  argv[2] = NULL;
  memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  for (i = 0; i < RUNS; i++) {
    xipc_process_t *child;
    xipc_exit_t status;
    uint64_t start = xipc_time_ns();
    rc = xipc_spawn(&child, &opts);
    if (rc < 0) {
      fprintf(stderr, "xipc: spawn failed: %s\n", xipc_strerror(rc));
      return 1;
    }
    rc = xipc_process_wait(child, 10000, &status);
    xipc_process_close(child);
    if (rc < 0 || status.code != 42) {
      fprintf(stderr, "xipc: child did not exit with 42 (%s)\n", xipc_err_name(rc));
      return 1;
    }
    times[i] = xipc_time_ns() - start;
  }
  qsort(times, RUNS, sizeof times[0], compare_u64);
  printf("  start a child, wait for its exit: median %.0f us over %d runs (min %.0f, max %.0f)\n",
         (double)times[RUNS / 2] / 1000.0, RUNS, (double)times[0] / 1000.0,
         (double)times[RUNS - 1] / 1000.0);
  return 0;
}

static void print_native(const char *what, xipc_kind_t kind, char *buf, size_t cap) {
  int rc = xipc_name_native(kind, "demo", buf, cap);
  printf("  %-17s %s\n", what, rc < 0 ? xipc_strerror(rc) : buf);
}

static int demo(void) {
  char exe[4096], buf[XIPC_NATIVE_NAME_MAX];
  int rc = xipc_self_exe(exe, sizeof exe);
  if (rc < 0) {
    fprintf(stderr, "xipc: cannot find its own executable: %s\n", xipc_strerror(rc));
    return 1;
  }
  printf("xipc %s demo, process %d\n\n", xipc_version_string(), xipc_self_pid());
  printf("Portable name \"demo\" on this system:\n");
  print_native("shared memory", XIPC_KIND_SHM, buf, sizeof buf);
  print_native("local channel", XIPC_KIND_LOCAL, buf, sizeof buf);
  print_native("mailslot", XIPC_KIND_MAILSLOT, buf, sizeof buf);
  printf("  \"a/b\" is refused: %s\n\n", xipc_strerror(xipc_name_validate("a/b")));
  printf("Child processes (xipc_spawn + xipc_process_wait):\n");
  return demo_spawn(exe);
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "version") == 0) {
    printf("xipc %s\n", xipc_version_string());
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "names") == 0)
    return print_names(argv[2]);
  if (argc == 2 && strcmp(argv[1], "errors") == 0)
    return print_errors();
  if (argc == 2 && strcmp(argv[1], "demo") == 0)
    return demo();
  if (argc == 2 && strcmp(argv[1], "demo-child") == 0)
    return 42;
  return usage();
}
