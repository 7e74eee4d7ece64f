/* SPDX-License-Identifier: MIT */
/*
 * Child processes on Windows.
 *
 * CreateProcessW() with STARTUPINFOEXW and PROC_THREAD_ATTRIBUTE_HANDLE_LIST:
 * the child inherits exactly the handles in the list (its standard handles,
 * duplicated as inheritable copies for the call) and nothing else, even
 * handles that other code in the parent made inheritable. Arguments are
 * quoted so that the child's C runtime (and CommandLineToArgvW) rebuilds
 * the same argv. A group is a job object with KILL_ON_JOB_CLOSE; the child
 * starts suspended and joins the job before it can start anything itself.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* Exit code given to TerminateProcess(); with `killed` set it reads as signal 9. */
#define KILL_EXIT_CODE 137
#define KILL_SIGNAL    9

struct xipc_process_s {
  HANDLE process;
  HANDLE job; /* NULL unless started with XIPC_SPAWN_GROUP */
  DWORD pid;
  bool killed;
};

/* ---- Command line ---------------------------------------------------- */

/*
 * Append `arg` quoted by the rules of the Microsoft C runtime: backslashes
 * are literal unless they precede a double quote, where 2n backslashes and a
 * quote mean n backslashes and the end of quoting, and 2n+1 backslashes and
 * a quote mean n backslashes and a literal quote.
 */
static char *append_quoted(char *out, const char *arg) {
  size_t backslashes;
  if (arg[0] != '\0' && strpbrk(arg, " \t\n\v\"") == NULL) {
    size_t len = strlen(arg);
    memcpy(out, arg, len);
    return out + len;
  }
  *out++ = '"';
  for (;; arg++) {
    for (backslashes = 0; *arg == '\\'; arg++)
      backslashes++;
    if (*arg == '\0') {
      /* Double the trailing run so that the closing quote stays a quote. */
      for (backslashes *= 2; backslashes > 0; backslashes--)
        *out++ = '\\';
      break;
    }
    if (*arg == '"')
      backslashes = backslashes * 2 + 1;
    for (; backslashes > 0; backslashes--)
      *out++ = '\\';
    *out++ = *arg;
  }
  *out++ = '"';
  return out;
}

/*
 * argv as one command line. argv[0] is parsed by other rules (no escapes,
 * quotes only group), so it is only wrapped in quotes and must not hold one.
 */
static int build_command_line(const char *const *argv, WCHAR **out) {
  size_t size = 1, i;
  char *line, *p;
  int rc;
  if (strchr(argv[0], '"') != NULL)
    return xipc__fail(XIPC_EINVAL);
  for (i = 0; argv[i] != NULL; i++)
    size += 2 * strlen(argv[i]) + 3; /* worst case: every character escaped, quotes, space */
  line = malloc(size);
  if (line == NULL)
    return xipc__fail(XIPC_ENOMEM);
  p = line;
  *p++ = '"';
  memcpy(p, argv[0], strlen(argv[0]));
  p += strlen(argv[0]);
  *p++ = '"';
  for (i = 1; argv[i] != NULL; i++) {
    *p++ = ' ';
    p = append_quoted(p, argv[i]);
  }
  *p = '\0';
  rc = xipc__win32_to_wide(line, out);
  free(line);
  return rc;
}

/* ---- Environment block ----------------------------------------------- */

/* Length of the NAME part of "NAME=value" (a leading '=' belongs to the name). */
static size_t env_name_len(const WCHAR *s) {
  const WCHAR *eq = wcschr(s + 1, L'=');
  return eq != NULL ? (size_t)(eq - s) : wcslen(s);
}

/* Windows wants the block sorted by name, case-insensitively, in ordinal order. */
static int compare_env(const void *a, const void *b) {
  const WCHAR *x = *(const WCHAR *const *)a, *y = *(const WCHAR *const *)b;
  return CompareStringOrdinal(x, (int)env_name_len(x), y, (int)env_name_len(y), TRUE) - CSTR_EQUAL;
}

static bool env_has(WCHAR **vars, size_t n, const WCHAR *name) {
  size_t i, len = wcslen(name);
  for (i = 0; i < n; i++) {
    if (env_name_len(vars[i]) == len &&
        CompareStringOrdinal(vars[i], (int)len, name, (int)len, TRUE) == CSTR_EQUAL)
      return true;
  }
  return false;
}

static void free_strings(WCHAR **vars, size_t n) {
  while (n > 0)
    free(vars[--n]);
  free(vars);
}

/* "SYSTEMROOT=<parent's value>" as a new string, or NULL when the parent has none. */
static WCHAR *inherited_systemroot(void) {
  static const WCHAR prefix[] = L"SYSTEMROOT=";
  size_t plen = XIPC_ARRAY_SIZE(prefix) - 1;
  DWORD len = GetEnvironmentVariableW(L"SYSTEMROOT", NULL, 0);
  WCHAR *s;
  if (len == 0)
    return NULL;
  s = malloc((plen + len) * sizeof(WCHAR));
  if (s == NULL)
    return NULL;
  memcpy(s, prefix, plen * sizeof(WCHAR));
  if (GetEnvironmentVariableW(L"SYSTEMROOT", s + plen, len) + 1 != len) {
    free(s);
    return NULL;
  }
  return s;
}

static int build_env_block(const char *const *env, WCHAR **out) {
  size_t n = 0, count, i, total = 1;
  WCHAR **vars, *block, *p;
  int rc = 0;
  for (count = 0; env[count] != NULL; count++) {
  }
  vars = calloc(count + 1, sizeof *vars);
  if (vars == NULL)
    return xipc__fail(XIPC_ENOMEM);
  for (; n < count; n++) {
    rc = xipc__win32_to_wide(env[n], &vars[n]);
    if (rc < 0) {
      free_strings(vars, n);
      return rc;
    }
  }
  if (!env_has(vars, n, L"SYSTEMROOT") && (vars[n] = inherited_systemroot()) != NULL)
    n++;
  qsort(vars, n, sizeof *vars, compare_env);
  for (i = 0; i < n; i++)
    total += wcslen(vars[i]) + 1;
  /* Two NULs end the block; an empty one is a lone empty string and then the end. */
  if (n == 0)
    total = 2;
  block = calloc(total, sizeof(WCHAR));
  if (block == NULL) {
    free_strings(vars, n);
    return xipc__fail(XIPC_ENOMEM);
  }
  p = block;
  for (i = 0; i < n; i++) {
    size_t len = wcslen(vars[i]) + 1;
    memcpy(p, vars[i], len * sizeof(WCHAR));
    p += len;
  }
  free_strings(vars, n);
  *out = block;
  return 0;
}

/* ---- Program path ---------------------------------------------------- */

/* `path` names an existing file that is not a directory. */
static bool is_file(const WCHAR *path) {
  DWORD attrs = GetFileAttributesW(path);
  return attrs != INVALID_FILE_ATTRIBUTES && !(attrs & FILE_ATTRIBUTE_DIRECTORY);
}

/* The last component of a path has an extension. */
static bool has_extension(const WCHAR *file) {
  const WCHAR *dot = wcsrchr(file, L'.');
  return dot != NULL && wcspbrk(dot, L"\\/") == NULL;
}

/*
 * Look `file` up in the directories of PATH, in order, appending ".exe" when
 * it has no extension: what posix_spawnp() does, and not SearchPathW(), which
 * would look in the current directory first.
 */
static int search_path(const WCHAR *file, WCHAR **out) {
  DWORD len = GetEnvironmentVariableW(L"PATH", NULL, 0);
  size_t flen = wcslen(file);
  WCHAR *path, *dir, *next, *candidate;
  int rc = xipc__fail(XIPC_ENOENT);
  path = len > 0 ? malloc(len * sizeof(WCHAR)) : NULL;
  if (path == NULL || GetEnvironmentVariableW(L"PATH", path, len) == 0) {
    free(path);
    return len > 0 ? xipc__fail(XIPC_ENOMEM) : xipc__fail(XIPC_ENOENT);
  }
  for (dir = path; dir != NULL && rc == XIPC_ENOENT; dir = next) {
    size_t dlen;
    next = wcschr(dir, L';');
    if (next != NULL)
      *next++ = L'\0';
    dlen = wcslen(dir);
    if (dlen == 0)
      continue;
    candidate = malloc((dlen + flen + 6) * sizeof(WCHAR));
    if (candidate == NULL) {
      rc = xipc__fail(XIPC_ENOMEM);
      break;
    }
    memcpy(candidate, dir, dlen * sizeof(WCHAR));
    candidate[dlen] = L'\\';
    memcpy(candidate + dlen + 1, file, (flen + 1) * sizeof(WCHAR));
    if (!has_extension(file))
      wcscat(candidate, L".exe");
    if (is_file(candidate)) {
      *out = candidate;
      rc = 0;
    } else {
      free(candidate);
    }
  }
  free(path);
  if (rc == XIPC_ENOENT)
    xipc__set_os_error(ERROR_FILE_NOT_FOUND);
  return rc;
}

/*
 * CreateProcessW runs .bat and .cmd files through cmd.exe, which reads the
 * command line by its own rules (&, |, %, ^): arguments quoted for C
 * programs could then run commands ("BatBadBut", CVE-2024-24576). xipc
 * refuses them; run cmd.exe /c yourself, with arguments quoted for it.
 */
/*
 * A batch file runs in cmd.exe, whose quoting is not the C runtime's
 * (BatBadBut): refused. Windows drops trailing dots and spaces from a path,
 * so "run.bat." and "run.bat " are batch files too (CVE-2024-43402).
 */
static bool is_batch_file(const WCHAR *program) {
  size_t len = wcslen(program);
  const WCHAR *end;
  while (len > 0 && (program[len - 1] == L'.' || program[len - 1] == L' '))
    len--;
  end = program + len;
  return len >= 4 && (_wcsnicmp(end - 4, L".bat", 4) == 0 || _wcsnicmp(end - 4, L".cmd", 4) == 0);
}

static int resolve_program(const char *file, unsigned flags, WCHAR **out) {
  WCHAR *wfile;
  int rc = xipc__win32_to_wide(file, &wfile);
  *out = NULL;
  if (rc < 0)
    return rc;
  if ((flags & XIPC_SPAWN_SEARCH_PATH) && strpbrk(file, "/\\:") == NULL) {
    rc = search_path(wfile, out);
    free(wfile);
  } else {
    *out = wfile;
  }
  if (rc == 0 && is_batch_file(*out)) {
    free(*out);
    *out = NULL;
    rc = xipc__fail(XIPC_EINVAL);
  }
  return rc;
}

/* ---- Standard handles ------------------------------------------------ */

/*
 * An inheritable handle for the child's standard stream `i`: a duplicate of
 * the parent's own, of the given stream, or the null device. NULL when the
 * parent has none.
 */
static int stdio_handle(const xipc_stdio_t *stdio, int i, HANDLE *out) {
  static const DWORD std_ids[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
  SECURITY_ATTRIBUTES sa;
  HANDLE h;
  *out = NULL;
  if (stdio->kind == XIPC_STDIO_NULL) {
    sa.nLength = sizeof sa;
    sa.lpSecurityDescriptor = NULL;
    sa.bInheritHandle = TRUE;
    h = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
                    OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE)
      return xipc__win32_fail();
    *out = h;
    return 0;
  }
  if (stdio->kind == XIPC_STDIO_STREAM) {
    if (stdio->stream->pending_connect)
      return xipc__fail(XIPC_EINVAL);
    if (stdio->stream->kind == XIPC__STREAM_SOCKET)
      return xipc__fail(XIPC_ENOTSUP); /* see the handle list below */
    if (!DuplicateHandle(GetCurrentProcess(), stdio->stream->handle, GetCurrentProcess(), out, 0,
                         TRUE, DUPLICATE_SAME_ACCESS)) {
      *out = NULL;
      return xipc__win32_fail();
    }
    return 0;
  }
  h = GetStdHandle(std_ids[i]);
  if (h == NULL || h == INVALID_HANDLE_VALUE)
    return 0;
  /* A parent without a usable standard handle gives the child none, as a console would. */
  if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), out, 0, TRUE,
                       DUPLICATE_SAME_ACCESS))
    *out = NULL;
  return 0;
}

/* ---- Spawn ----------------------------------------------------------- */

typedef struct spawn_args {
  WCHAR *program, *cmdline, *env, *cwd;
  HANDLE std[3];
  HANDLE *inherit; /* the handle list: std[] duplicates, then the inherited streams' handles */
  DWORD ninherit;
  const xipc_spawn_options_t *opts;
  bool streams_inheritable; /* the inherited streams' handles are marked inheritable now */
  LPPROC_THREAD_ATTRIBUTE_LIST attrs;
} spawn_args_t;

/*
 * Mark the inherited streams' handles inheritable for the CreateProcessW()
 * call, or back. They keep their values, which their tokens name.
 */
/* The k-th inherited handle: the streams', then the segments'. */
static HANDLE inherited_handle(const xipc_spawn_options_t *opts, size_t k) {
  if (k < opts->inherit_count)
    return opts->inherit[k]->handle;
  return xipc__win32_shm_handle(opts->inherit_shm[k - opts->inherit_count]);
}

static int set_streams_inheritable(spawn_args_t *a, bool on) {
  size_t k, total = a->opts->inherit_count + a->opts->inherit_shm_count;
  /* Marked first, so that a failure part-way is undone for every handle by free_spawn_args(). */
  a->streams_inheritable = on;
  for (k = 0; k < total; k++) {
    if (!SetHandleInformation(inherited_handle(a->opts, k), HANDLE_FLAG_INHERIT,
                              on ? HANDLE_FLAG_INHERIT : 0) &&
        on)
      return xipc__win32_fail();
  }
  return 0;
}

static void free_spawn_args(spawn_args_t *a) {
  int i;
  if (a->streams_inheritable)
    set_streams_inheritable(a, false);
  for (i = 0; i < 3; i++) {
    if (a->std[i] != NULL)
      CloseHandle(a->std[i]);
  }
  if (a->attrs != NULL) {
    DeleteProcThreadAttributeList(a->attrs);
    free(a->attrs);
  }
  free(a->inherit);
  free(a->program);
  free(a->cmdline);
  free(a->env);
  free(a->cwd);
}

static int prepare_spawn(const xipc_spawn_options_t *opts, spawn_args_t *a) {
  const char *file = opts->file != NULL ? opts->file : opts->argv[0];
  SIZE_T size = 0;
  size_t k;
  int rc, i;

  a->opts = opts;
  rc = resolve_program(file, opts->flags, &a->program);
  if (rc == 0)
    rc = build_command_line(opts->argv, &a->cmdline);
  if (rc == 0 && opts->env != NULL)
    rc = build_env_block(opts->env, &a->env);
  if (rc == 0 && opts->cwd != NULL)
    rc = xipc__win32_to_wide(opts->cwd, &a->cwd);
  if (rc == 0 && (a->inherit = malloc((3 + opts->inherit_count + opts->inherit_shm_count) *
                                      sizeof(HANDLE))) == NULL)
    rc = xipc__fail(XIPC_ENOMEM);
  for (i = 0; i < 3 && rc == 0; i++) {
    rc = stdio_handle(&opts->stdio[i], i, &a->std[i]);
    if (rc == 0 && a->std[i] != NULL)
      a->inherit[a->ninherit++] = a->std[i];
  }
  for (k = 0; k < opts->inherit_count && rc == 0; k++) {
    /* A FIFO creator's end still waiting for its peer cannot be handed on (its token says so). */
    if (opts->inherit[k]->pending_connect)
      rc = xipc__fail(XIPC_EINVAL);
    /* Nor a TCP connection: a socket is not handed on by inheritance (docs/sockets.md). */
    if (opts->inherit[k]->kind == XIPC__STREAM_SOCKET)
      rc = xipc__fail(XIPC_ENOTSUP);
    a->inherit[a->ninherit++] = opts->inherit[k]->handle;
  }
  for (k = 0; k < opts->inherit_shm_count && rc == 0; k++)
    a->inherit[a->ninherit++] = xipc__win32_shm_handle(opts->inherit_shm[k]);
  if (rc == 0)
    rc = set_streams_inheritable(a, true);
  if (rc < 0 || a->ninherit == 0)
    return rc; /* an empty handle list is invalid: inherit nothing instead */
  InitializeProcThreadAttributeList(NULL, 1, 0, &size);
  a->attrs = malloc(size);
  if (a->attrs == NULL)
    return xipc__fail(XIPC_ENOMEM);
  if (!InitializeProcThreadAttributeList(a->attrs, 1, 0, &size)) {
    rc = xipc__win32_fail();
    free(a->attrs);
    a->attrs = NULL;
    return rc;
  }
  if (!UpdateProcThreadAttribute(a->attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, a->inherit,
                                 a->ninherit * sizeof(HANDLE), NULL, NULL))
    return xipc__win32_fail();
  return 0;
}

/* A job that kills every process in it when its last handle closes. */
static int create_kill_job(HANDLE *out) {
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION info;
  HANDLE job = CreateJobObjectW(NULL, NULL);
  if (job == NULL)
    return xipc__win32_fail();
  memset(&info, 0, sizeof info);
  info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &info, sizeof info)) {
    int rc = xipc__win32_fail();
    CloseHandle(job);
    return rc;
  }
  *out = job;
  return 0;
}

/*
 * Spawns that hand over streams or segments mark those handles inheritable
 * only for their CreateProcessW() call. Two threads handing over the same
 * handle would unmark it under each other (the other's CreateProcessW then
 * fails): such spawns take turns.
 */
static SRWLOCK handover_lock = SRWLOCK_INIT;

static int spawn_locked(xipc_process_t **out, const xipc_spawn_options_t *opts);

int xipc__process_spawn(xipc_process_t **out, const xipc_spawn_options_t *opts) {
  bool hands_over = opts->inherit_count + opts->inherit_shm_count > 0;
  int rc;
  if (hands_over)
    AcquireSRWLockExclusive(&handover_lock);
  rc = spawn_locked(out, opts);
  if (hands_over)
    ReleaseSRWLockExclusive(&handover_lock);
  return rc;
}

static int spawn_locked(xipc_process_t **out, const xipc_spawn_options_t *opts) {
  bool group = (opts->flags & XIPC_SPAWN_GROUP) != 0;
  DWORD create_flags = CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT;
  STARTUPINFOEXW si;
  PROCESS_INFORMATION pi;
  spawn_args_t a;
  xipc_process_t *proc;
  HANDLE job = NULL;
  int rc;

  memset(&a, 0, sizeof a);
  proc = calloc(1, sizeof *proc);
  if (proc == NULL)
    return xipc__fail(XIPC_ENOMEM);
  rc = prepare_spawn(opts, &a);
  if (rc == 0 && group)
    rc = create_kill_job(&job);
  if (rc < 0)
    goto fail;

  memset(&si, 0, sizeof si);
  si.StartupInfo.cb = sizeof si;
  si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  si.StartupInfo.hStdInput = a.std[0];
  si.StartupInfo.hStdOutput = a.std[1];
  si.StartupInfo.hStdError = a.std[2];
  si.lpAttributeList = a.attrs;
  if (group)
    create_flags |= CREATE_SUSPENDED;
  if (!CreateProcessW(a.program, a.cmdline, NULL, NULL, a.attrs != NULL, create_flags, a.env, a.cwd,
                      &si.StartupInfo, &pi)) {
    rc = xipc__win32_fail();
    goto fail;
  }
  if (group) {
    if (!AssignProcessToJobObject(job, pi.hProcess)) {
      rc = xipc__win32_fail();
      TerminateProcess(pi.hProcess, KILL_EXIT_CODE);
      CloseHandle(pi.hThread);
      CloseHandle(pi.hProcess);
      goto fail;
    }
    if (ResumeThread(pi.hThread) == (DWORD)-1) {
      rc = xipc__win32_fail();
      TerminateJobObject(job, KILL_EXIT_CODE);
      CloseHandle(pi.hThread);
      CloseHandle(pi.hProcess);
      goto fail;
    }
  }
  CloseHandle(pi.hThread);
  free_spawn_args(&a);
  proc->process = pi.hProcess;
  proc->pid = pi.dwProcessId;
  proc->job = job;
  *out = proc;
  return 0;

fail:
  if (job != NULL)
    CloseHandle(job);
  free_spawn_args(&a);
  free(proc);
  return rc;
}

/* ---- Wait, kill, close ----------------------------------------------- */

int xipc__process_wait(xipc_process_t *proc, int timeout_ms, xipc_exit_t *status) {
  uint64_t deadline = xipc__deadline(timeout_ms);
  DWORD code, result;
  result = xipc__win32_wait_until(proc->process, deadline);
  if (result == WAIT_TIMEOUT)
    return xipc__timeout_error(timeout_ms);
  if (result != WAIT_OBJECT_0)
    return xipc__win32_fail();
  if (!GetExitCodeProcess(proc->process, &code))
    return xipc__win32_fail();
  if (proc->killed && code == KILL_EXIT_CODE) {
    status->code = -1;
    status->signal = KILL_SIGNAL;
  } else {
    status->code = (int)code;
    status->signal = 0;
  }
  return 0;
}

int xipc__process_kill(xipc_process_t *proc) {
  BOOL ok;
  if (WaitForSingleObject(proc->process, 0) == WAIT_OBJECT_0 && proc->job == NULL)
    return 0; /* already ended */
  proc->killed = true;
  if (proc->job != NULL)
    ok = TerminateJobObject(proc->job, KILL_EXIT_CODE);
  else
    ok = TerminateProcess(proc->process, KILL_EXIT_CODE);
  /* Access is denied to a process that is already exiting; that is not an error. */
  if (!ok && WaitForSingleObject(proc->process, 0) != WAIT_OBJECT_0)
    return xipc__win32_fail();
  return 0;
}

int xipc__process_pid(const xipc_process_t *proc) {
  return (int)proc->pid;
}

xipc_os_handle_t xipc__process_native(const xipc_process_t *proc) {
  return (xipc_os_handle_t)proc->process;
}

void xipc__process_close(xipc_process_t *proc) {
  if (proc->job != NULL)
    CloseHandle(proc->job); /* KILL_ON_JOB_CLOSE ends what is left of the group */
  CloseHandle(proc->process);
  free(proc);
}

int xipc__self_pid(void) {
  return (int)GetCurrentProcessId();
}

int xipc__self_exe(char *buf, size_t cap) {
  /* 32768 UTF-16 units hold any path Windows can return. */
  DWORD size = 32768, len;
  WCHAR *path = malloc(size * sizeof(WCHAR));
  int rc;
  if (path == NULL)
    return xipc__fail(XIPC_ENOMEM);
  len = GetModuleFileNameW(NULL, path, size);
  if (len == 0 || len >= size)
    rc = len == 0 ? xipc__win32_fail() : xipc__fail(XIPC_ENOBUFS);
  else
    rc = xipc__win32_to_utf8(path, buf, cap);
  free(path);
  return rc;
}
