/* SPDX-License-Identifier: MIT */
/* What the tests need that differs by system: the Windows side (os-posix.c mirrors it). */
#ifndef WIN32_LEAN_AND_MEAN
#  define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <shellapi.h>
#include <aclapi.h>
#include <sddl.h>
#include <fcntl.h>
#include <io.h>

#include "task.h"

/* Missing from older mingw-w64 headers. */
#ifndef ERROR_ELEVATION_REQUIRED
#  define ERROR_ELEVATION_REQUIRED 740L
#endif

#include <stdlib.h>

typedef const char *(__cdecl *wine_version_fn)(void);

bool test_os_is_wine(void) {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  /* The (void (*)(void)) step keeps gcc's -Wcast-function-type quiet. */
  return ntdll != NULL &&
         (wine_version_fn)(void (*)(void))GetProcAddress(ntdll, "wine_get_version") != NULL;
}

const char *test_os_null_device(void) {
  return "NUL";
}

void test_os_shell_exit(int code, const char **file, const char *argv[5], char *buf, size_t cap) {
  snprintf(buf, cap, "exit %d", code);
  *file = "cmd";
  argv[0] = "cmd";
  argv[1] = "/c";
  argv[2] = buf;
  argv[3] = NULL;
}

static char *utf8_of(const WCHAR *w) {
  int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
  char *s = malloc(n > 0 ? (size_t)n : 1);
  if (s == NULL || n <= 0 || WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL) != n)
    test_fail(__FILE__, __LINE__, "UTF-16 to UTF-8 conversion failed");
  return s;
}

static WCHAR *wide_of(const char *s) {
  int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
  WCHAR *w = malloc(n > 0 ? (size_t)n * sizeof(WCHAR) : sizeof(WCHAR));
  if (w == NULL || n <= 0 || MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n) != n)
    test_fail(__FILE__, __LINE__, "UTF-8 to UTF-16 conversion failed");
  return w;
}

char **test_os_utf8_argv(int argc, char **argv) {
  int n, i;
  LPWSTR *wargv = CommandLineToArgvW(GetCommandLineW(), &n);
  char **out;
  if (wargv == NULL || n != argc)
    return argv; /* keep the C runtime's view if the two disagree on the count */
  out = calloc((size_t)n + 1, sizeof *out);
  if (out == NULL)
    return argv;
  for (i = 0; i < n; i++)
    out[i] = utf8_of(wargv[i]);
  LocalFree(wargv);
  return out;
}

void test_os_make_tmpdir(char *buf, size_t cap) {
  WCHAR tmp[MAX_PATH + 1], dir[MAX_PATH + 32];
  static unsigned counter;
  char *utf8;
  if (GetTempPathW(MAX_PATH + 1, tmp) == 0)
    test_fail(__FILE__, __LINE__, "GetTempPathW: %lu", GetLastError());
  _snwprintf(dir, MAX_PATH + 31, L"%lsxipc-test-%lu-%u", tmp, GetCurrentProcessId(), ++counter);
  dir[MAX_PATH + 31] = L'\0';
  if (!CreateDirectoryW(dir, NULL))
    test_fail(__FILE__, __LINE__, "CreateDirectoryW: %lu", GetLastError());
  utf8 = utf8_of(dir);
  snprintf(buf, cap, "%s", utf8);
  free(utf8);
}

void test_os_remove(const char *path) {
  WCHAR *w = wide_of(path);
  if (!DeleteFileW(w))
    RemoveDirectoryW(w);
  free(w);
}

void test_os_getcwd(char *buf, size_t cap) {
  WCHAR dir[MAX_PATH + 1];
  char *utf8;
  if (GetCurrentDirectoryW(MAX_PATH + 1, dir) == 0)
    test_fail(__FILE__, __LINE__, "GetCurrentDirectoryW: %lu", GetLastError());
  utf8 = utf8_of(dir);
  test_os_canonical(utf8, buf, cap);
  free(utf8);
}

void test_os_canonical(const char *path, char *buf, size_t cap) {
  WCHAR full[MAX_PATH + 1];
  WCHAR *w = wide_of(path);
  char *utf8;
  DWORD n = GetFullPathNameW(w, MAX_PATH + 1, full, NULL);
  free(w);
  if (n == 0 || n > MAX_PATH)
    test_fail(__FILE__, __LINE__, "GetFullPathNameW(%s): %lu", path, GetLastError());
  /* "C:\dir\" and "C:\dir" are the same directory. */
  if (n > 3 && full[n - 1] == L'\\')
    full[n - 1] = L'\0';
  utf8 = utf8_of(full);
  snprintf(buf, cap, "%s", utf8);
  free(utf8);
}

void test_os_make_executable(const char *path) {
  (void)path; /* Windows has no execute bit */
}

void test_os_setenv(const char *name, const char *value) {
  WCHAR *wname = wide_of(name), *wvalue = wide_of(value);
  BOOL ok = SetEnvironmentVariableW(wname, wvalue);
  free(wname);
  free(wvalue);
  if (!ok)
    test_fail(__FILE__, __LINE__, "SetEnvironmentVariableW(%s): %lu", name, GetLastError());
}

const char *test_os_getenv(const char *name) {
  static char value[4096];
  WCHAR *wname = wide_of(name), wvalue[2048];
  DWORD n = GetEnvironmentVariableW(wname, wvalue, 2048);
  char *utf8;
  free(wname);
  if (n == 0 || n >= 2048)
    return NULL;
  utf8 = utf8_of(wvalue);
  snprintf(value, sizeof value, "%s", utf8);
  free(utf8);
  return value;
}

void test_os_make_inheritable_probe(char *token, size_t cap) {
  /* An inheritable, named, signalled event: the child can tell whether it got the handle. */
  SECURITY_ATTRIBUTES sa;
  WCHAR name[64];
  HANDLE h;
  sa.nLength = sizeof sa;
  sa.lpSecurityDescriptor = NULL;
  sa.bInheritHandle = TRUE;
  _snwprintf(name, 63, L"Local\\xipc-test-probe-%lu", GetCurrentProcessId());
  name[63] = L'\0';
  h = CreateEventW(&sa, TRUE, TRUE, name);
  if (h == NULL)
    test_fail(__FILE__, __LINE__, "CreateEventW: %lu", GetLastError());
  snprintf(token, cap, "%llu:%lu", (unsigned long long)(uintptr_t)h, GetCurrentProcessId());
}

typedef BOOL(WINAPI *compare_handles_fn)(HANDLE, HANDLE);

bool test_os_probe_visible(const char *token) {
  unsigned long long value = 0;
  unsigned long pid = 0;
  HANDLE h, named;
  WCHAR name[64];
  DWORD flags;
  compare_handles_fn compare;
  bool same;
  if (sscanf(token, "%llu:%lu", &value, &pid) != 2)
    test_fail(__FILE__, __LINE__, "bad probe token %s", token);
  h = (HANDLE)(uintptr_t)value;
  if (!GetHandleInformation(h, &flags))
    return false; /* no handle with that value at all */
  /* Some other object may sit at the same value: compare with the event itself. */
  _snwprintf(name, 63, L"Local\\xipc-test-probe-%lu", pid);
  name[63] = L'\0';
  named = OpenEventW(SYNCHRONIZE, FALSE, name);
  if (named == NULL)
    test_fail(__FILE__, __LINE__, "OpenEventW: %lu", GetLastError());
  compare = (compare_handles_fn)(void (*)(void))GetProcAddress(GetModuleHandleW(L"kernelbase.dll"),
                                                               "CompareObjectHandles");
  if (compare != NULL)
    same = compare(h, named) != FALSE;
  else
    same = WaitForSingleObject(h, 0) == WAIT_OBJECT_0; /* the probe event is signalled */
  CloseHandle(named);
  return same;
}

int test_os_count_handles(void) {
  return -1; /* Windows programs always hold handles of their own; nothing to compare */
}

bool test_os_stdio_is_null(int i) {
  static const DWORD ids[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
  HANDLE h = GetStdHandle(ids[i]);
  DWORD mode;
  char byte;
  DWORD n = 1;
  if (h == NULL || h == INVALID_HANDLE_VALUE)
    return false;
  /* The null device is a character device that is not a console. */
  if (GetFileType(h) != FILE_TYPE_CHAR || GetConsoleMode(h, &mode))
    return false;
  /* Reading it gives end of file at once, writing it accepts everything. */
  if (i == 0)
    return ReadFile(h, &byte, 1, &n, NULL) && n == 0;
  return WriteFile(h, "x", 1, &n, NULL) && n == 1;
}

static const test_os_error_case_t error_cases[] = {
    {ERROR_SUCCESS, 0, "ERROR_SUCCESS"},
    {ERROR_INVALID_PARAMETER, XIPC_EINVAL, "ERROR_INVALID_PARAMETER"},
    {ERROR_INVALID_NAME, XIPC_EINVAL, "ERROR_INVALID_NAME"},
    {ERROR_NOT_ENOUGH_MEMORY, XIPC_ENOMEM, "ERROR_NOT_ENOUGH_MEMORY"},
    {ERROR_OUTOFMEMORY, XIPC_ENOMEM, "ERROR_OUTOFMEMORY"},
    {WSAEWOULDBLOCK, XIPC_EAGAIN, "WSAEWOULDBLOCK"},
    {ERROR_SEM_TIMEOUT, XIPC_ETIMEDOUT, "ERROR_SEM_TIMEOUT"},
    {WAIT_TIMEOUT, XIPC_ETIMEDOUT, "WAIT_TIMEOUT"},
    {WSAETIMEDOUT, XIPC_ETIMEDOUT, "WSAETIMEDOUT"},
    {ERROR_BROKEN_PIPE, XIPC_EPIPE, "ERROR_BROKEN_PIPE"},
    {ERROR_NO_DATA, XIPC_EPIPE, "ERROR_NO_DATA"},
    {ERROR_PIPE_NOT_CONNECTED, XIPC_EPIPE, "ERROR_PIPE_NOT_CONNECTED"},
    {ERROR_ALREADY_EXISTS, XIPC_EEXIST, "ERROR_ALREADY_EXISTS"},
    {ERROR_FILE_EXISTS, XIPC_EEXIST, "ERROR_FILE_EXISTS"},
    {ERROR_FILE_NOT_FOUND, XIPC_ENOENT, "ERROR_FILE_NOT_FOUND"},
    {ERROR_PATH_NOT_FOUND, XIPC_ENOENT, "ERROR_PATH_NOT_FOUND"},
    {ERROR_DIRECTORY, XIPC_ENOENT, "ERROR_DIRECTORY"},
    {ERROR_ACCESS_DENIED, XIPC_EACCES, "ERROR_ACCESS_DENIED"},
    {WSAEACCES, XIPC_EACCES, "WSAEACCES"},
    {ERROR_PRIVILEGE_NOT_HELD, XIPC_EPERM, "ERROR_PRIVILEGE_NOT_HELD"},
    {ERROR_FILENAME_EXCED_RANGE, XIPC_ENAMETOOLONG, "ERROR_FILENAME_EXCED_RANGE"},
    {ERROR_MORE_DATA, XIPC_EMSGSIZE, "ERROR_MORE_DATA"},
    {ERROR_INSUFFICIENT_BUFFER, XIPC_EMSGSIZE, "ERROR_INSUFFICIENT_BUFFER"},
    {WSAEMSGSIZE, XIPC_EMSGSIZE, "WSAEMSGSIZE"},
    {ERROR_INVALID_HANDLE, XIPC_EBADF, "ERROR_INVALID_HANDLE"},
    {WSAENOTSOCK, XIPC_EBADF, "WSAENOTSOCK"},
    {ERROR_PIPE_BUSY, XIPC_EBUSY, "ERROR_PIPE_BUSY"},
    {ERROR_NOT_SUPPORTED, XIPC_ENOTSUP, "ERROR_NOT_SUPPORTED"},
    {WSAEAFNOSUPPORT, XIPC_ENOTSUP, "WSAEAFNOSUPPORT"},
    {WSAECONNREFUSED, XIPC_ECONNREFUSED, "WSAECONNREFUSED"},
    {WSAECONNRESET, XIPC_ECONNRESET, "WSAECONNRESET"},
    {WSAECONNABORTED, XIPC_ECONNABORTED, "WSAECONNABORTED"},
    {WSAEPROTOTYPE, XIPC_EPROTO, "WSAEPROTOTYPE"},
    {WSAENOTCONN, XIPC_ENOTCONN, "WSAENOTCONN"},
    {WSAEADDRINUSE, XIPC_EADDRINUSE, "WSAEADDRINUSE"},
    {WSAEADDRNOTAVAIL, XIPC_EADDRNOTAVAIL, "WSAEADDRNOTAVAIL"},
    {WSAENETUNREACH, XIPC_ENETUNREACH, "WSAENETUNREACH"},
    {WSAEHOSTUNREACH, XIPC_EHOSTUNREACH, "WSAEHOSTUNREACH"},
    {WSAHOST_NOT_FOUND, XIPC_ENOENT, "WSAHOST_NOT_FOUND"},
    {WSANO_DATA, XIPC_ENOENT, "WSANO_DATA"},
    {WSATRY_AGAIN, XIPC_EAGAIN, "WSATRY_AGAIN"},
    {ERROR_ABANDONED_WAIT_0, XIPC_EOWNERDEAD, "ERROR_ABANDONED_WAIT_0"},
    {ERROR_DISK_FULL, XIPC_ENOSPC, "ERROR_DISK_FULL"},
    {ERROR_IO_DEVICE, XIPC_EIO, "ERROR_IO_DEVICE"},
    {ERROR_TOO_MANY_OPEN_FILES, XIPC_EMFILE, "ERROR_TOO_MANY_OPEN_FILES"},
    {WSAEMFILE, XIPC_EMFILE, "WSAEMFILE"},
    {ERROR_BAD_EXE_FORMAT, XIPC_ENOEXEC, "ERROR_BAD_EXE_FORMAT"},
    {ERROR_OPERATION_ABORTED, XIPC_ECANCELED, "ERROR_OPERATION_ABORTED"},
    {ERROR_NO_UNICODE_TRANSLATION, XIPC_EINVAL, "ERROR_NO_UNICODE_TRANSLATION"},
    {ERROR_ELEVATION_REQUIRED, XIPC_EACCES, "ERROR_ELEVATION_REQUIRED"},
    {ERROR_NOT_ENOUGH_QUOTA, XIPC_ENOMEM, "ERROR_NOT_ENOUGH_QUOTA"},
    {ERROR_PIPE_LISTENING, XIPC_ENOTCONN, "ERROR_PIPE_LISTENING"},
    {ERROR_NOT_OWNER, XIPC_EPERM, "ERROR_NOT_OWNER"},
    {ERROR_TOO_MANY_POSTS, XIPC_EOVERFLOW, "ERROR_TOO_MANY_POSTS"},
    {ERROR_GEN_FAILURE, XIPC_ESYSTEM, "ERROR_GEN_FAILURE (unmapped)"},
};

const test_os_error_case_t *test_os_error_cases(size_t *count) {
  *count = ARRAY_SIZE(error_cases);
  return error_cases;
}

bool test_os_is_not_found_code(int os_code) {
  return os_code == ERROR_FILE_NOT_FOUND || os_code == ERROR_PATH_NOT_FOUND;
}

typedef struct thread_call {
  void (*fn)(void *);
  void *arg;
} thread_call_t;

static DWORD WINAPI thread_main(LPVOID p) {
  thread_call_t *call = p;
  call->fn(call->arg);
  return 0;
}

void test_os_run_thread(void (*fn)(void *), void *arg) {
  thread_call_t call;
  HANDLE thread;
  call.fn = fn;
  call.arg = arg;
  thread = CreateThread(NULL, 0, thread_main, &call, 0, NULL);
  if (thread == NULL)
    test_fail(__FILE__, __LINE__, "CreateThread: %lu", GetLastError());
  WaitForSingleObject(thread, INFINITE);
  CloseHandle(thread);
}

struct test_os_thread {
  HANDLE thread;
  thread_call_t call;
};

test_os_thread_t *test_os_thread_start(void (*fn)(void *), void *arg) {
  test_os_thread_t *t = calloc(1, sizeof *t);
  ASSERT_NOT_NULL(t);
  t->call.fn = fn;
  t->call.arg = arg;
  t->thread = CreateThread(NULL, 0, thread_main, &t->call, 0, NULL);
  if (t->thread == NULL)
    test_fail(__FILE__, __LINE__, "CreateThread: %lu", GetLastError());
  return t;
}

void test_os_thread_join(test_os_thread_t *thread) {
  WaitForSingleObject(thread->thread, INFINITE);
  CloseHandle(thread->thread);
  free(thread);
}

bool test_os_sigpipe_is_default(void) {
  return true;
}

void test_os_binary_stdio(void) {
  _setmode(_fileno(stdin), _O_BINARY);
  _setmode(_fileno(stdout), _O_BINARY);
  _setmode(_fileno(stderr), _O_BINARY);
}

int test_os_set_umask(int mask) {
  (void)mask;
  return 0;
}

int test_os_file_mode(const char *path) {
  (void)path;
  return -1;
}

/* The SID of an access-allowed ACE as a string, LocalFree()d by the caller. */
static WCHAR *ace_sid(ACL *dacl, DWORD i) {
  ACCESS_ALLOWED_ACE *ace;
  WCHAR *sid = NULL;
  if (!GetAce(dacl, i, (void **)&ace) || ace->Header.AceType != ACCESS_ALLOWED_ACE_TYPE)
    return NULL;
  ConvertSidToStringSidW((PSID)&ace->SidStart, &sid);
  return sid;
}

bool test_os_owner_only_dacl(xipc_os_handle_t handle, bool *checked) {
  PSECURITY_DESCRIPTOR sd = NULL;
  ACL *dacl = NULL;
  HANDLE token;
  TOKEN_USER *user;
  DWORD size = 0, i;
  WCHAR *me = NULL;
  bool ok = true;
  *checked = true;
  if (GetSecurityInfo((HANDLE)handle, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL,
                      &dacl, NULL, &sd) != ERROR_SUCCESS ||
      dacl == NULL) {
    *checked = false;
    if (sd != NULL)
      LocalFree(sd);
    return false;
  }
  OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token);
  GetTokenInformation(token, TokenUser, NULL, 0, &size);
  user = malloc(size);
  GetTokenInformation(token, TokenUser, user, size, &size);
  ConvertSidToStringSidW(user->User.Sid, &me);
  CloseHandle(token);
  for (i = 0; i < dacl->AceCount; i++) {
    WCHAR *sid = ace_sid(dacl, i);
    /* Only the user and LocalSystem (S-1-5-18) may appear. */
    if (sid == NULL || (wcscmp(sid, me) != 0 && wcscmp(sid, L"S-1-5-18") != 0))
      ok = false;
    if (sid != NULL)
      LocalFree(sid);
  }
  if (dacl->AceCount == 0)
    ok = false;
  LocalFree(me);
  free(user);
  LocalFree(sd);
  return ok;
}

xipc_os_handle_t test_os_dup_handle(xipc_os_handle_t handle) {
  HANDLE dup;
  if (!DuplicateHandle(GetCurrentProcess(), (HANDLE)handle, GetCurrentProcess(), &dup, 0, FALSE,
                       DUPLICATE_SAME_ACCESS))
    test_fail(__FILE__, __LINE__, "DuplicateHandle: %lu", GetLastError());
  return (xipc_os_handle_t)dup;
}

int test_os_pipe_atomic(void) {
  /* Each WriteFile to a pipe is queued whole; 4096 matches Linux's PIPE_BUF. */
  return 4096;
}

void test_os_chmod(const char *path, int mode) {
  (void)path;
  (void)mode;
}

bool test_os_sigpipe_is_ignored(void) {
  return true;
}

void test_os_native_shm_name(char *buf, size_t cap, const char *tag) {
  char unique[96];
  snprintf(buf, cap, "Local\\%s", test_unique_name(unique, sizeof unique, tag));
}

bool test_os_plain_shm_write(const char *native, const char *text) {
  WCHAR *wname = wide_of(native);
  HANDLE mapping = OpenFileMappingW(FILE_MAP_WRITE, FALSE, wname);
  void *addr;
  free(wname);
  if (mapping == NULL)
    return false;
  addr = MapViewOfFile(mapping, FILE_MAP_WRITE, 0, 0, 0);
  if (addr != NULL) {
    memcpy(addr, text, strlen(text));
    UnmapViewOfFile(addr);
  }
  CloseHandle(mapping);
  return addr != NULL;
}

static HANDLE plain_mapping;

void *test_os_plain_shm_create(const char *native, size_t size, const char *text) {
  WCHAR *wname = wide_of(native);
  void *addr;
  plain_mapping =
      CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, (DWORD)size, wname);
  free(wname);
  if (plain_mapping == NULL)
    return NULL;
  addr = MapViewOfFile(plain_mapping, FILE_MAP_WRITE, 0, 0, size);
  if (addr != NULL)
    memcpy(addr, text, strlen(text));
  return addr;
}

void test_os_plain_shm_destroy(const char *native, void *addr, size_t size) {
  (void)native;
  (void)size;
  UnmapViewOfFile(addr);
  CloseHandle(plain_mapping);
}

bool test_os_shm_private(const char *native, bool *checked) {
  WCHAR *wname = wide_of(native);
  HANDLE mapping = OpenFileMappingW(READ_CONTROL, FALSE, wname);
  bool ok;
  free(wname);
  if (mapping == NULL)
    test_fail(__FILE__, __LINE__, "OpenFileMappingW(%s): %lu", native, GetLastError());
  ok = test_os_owner_only_dacl((xipc_os_handle_t)mapping, checked);
  CloseHandle(mapping);
  return ok;
}

/* ---- Local channels and mailslots without xipc ------------------------- */

int64_t test_os_uid(void) {
  return -1;
}

bool test_os_path_exists(const char *path) {
  WCHAR *w = wide_of(path);
  DWORD attributes = GetFileAttributesW(w);
  free(w);
  return attributes != INVALID_FILE_ATTRIBUTES;
}

bool test_os_handle_inheritable(xipc_os_handle_t handle) {
  DWORD flags = 0;
  if (!GetHandleInformation((HANDLE)handle, &flags))
    test_fail(__FILE__, __LINE__, "GetHandleInformation: %lu", GetLastError());
  return (flags & HANDLE_FLAG_INHERIT) != 0;
}

int test_os_first_inheritable_fd(void) {
  return -1; /* handles cannot be listed; see test_os_handle_inheritable() */
}

static const DWORD std_ids[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};

xipc_os_handle_t test_os_detach_stdio(int i) {
  HANDLE saved = GetStdHandle(std_ids[i]);
  SetStdHandle(std_ids[i], NULL);
  return (xipc_os_handle_t)saved;
}

void test_os_reattach_stdio(int i, xipc_os_handle_t saved) {
  SetStdHandle(std_ids[i], (HANDLE)saved);
}

void test_os_exit_thread(void) {
  ExitThread(0);
}

bool test_os_has_fork(void) {
  return false;
}

int64_t test_os_fork(void (*fn)(void *), void *arg) {
  (void)fn;
  (void)arg;
  return -1;
}

bool test_os_kill_forked(int64_t pid) {
  (void)pid;
  return false;
}

/*
 * Security attributes that make the current user the owner of a plain pipe
 * (with full access for the user and SYSTEM). Without them an elevated
 * administrator's objects belong to the Administrators group, and xipc
 * clients refuse a pipe that is not their user's. LocalFree() the descriptor.
 */
static bool plain_pipe_sa(SECURITY_ATTRIBUTES *sa) {
  HANDLE token;
  TOKEN_USER *user;
  DWORD size = 0;
  WCHAR *sid = NULL, sddl[256];
  bool ok;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
    return false;
  GetTokenInformation(token, TokenUser, NULL, 0, &size);
  user = malloc(size);
  ok = user != NULL && GetTokenInformation(token, TokenUser, user, size, &size) &&
       ConvertSidToStringSidW(user->User.Sid, &sid);
  CloseHandle(token);
  free(user);
  if (!ok)
    return false;
  _snwprintf(sddl, 255, L"O:%lsD:P(A;;GA;;;%ls)(A;;GA;;;SY)", sid, sid);
  sddl[255] = L'\0';
  LocalFree(sid);
  sa->nLength = sizeof *sa;
  sa->bInheritHandle = FALSE;
  sa->lpSecurityDescriptor = NULL;
  return ConvertStringSecurityDescriptorToSecurityDescriptorW(
             sddl, SDDL_REVISION_1, &sa->lpSecurityDescriptor, NULL) != FALSE;
}

/* Read one line (byte mode) or one message into buf, NUL-terminated. */
static int plain_pipe_read_unit(HANDLE h, bool messages, char *buf, size_t cap) {
  size_t got = 0;
  for (;;) {
    DWORD n = 0;
    if (!ReadFile(h, buf + got, (DWORD)(cap - 1 - got), &n, NULL)) {
      DWORD err = GetLastError();
      if (err == ERROR_BROKEN_PIPE && got > 0 && !messages)
        break;
      fprintf(stderr, "plain pipe: ReadFile: %lu\n", err);
      return -1;
    }
    got += n;
    buf[got] = '\0';
    if (messages || got == cap - 1 || memchr(buf, '\n', got) != NULL)
      break;
  }
  buf[got] = '\0';
  return (int)got;
}

static bool plain_pipe_write(HANDLE h, const char *text) {
  DWORD n = 0;
  if (!WriteFile(h, text, (DWORD)strlen(text), &n, NULL) || n != strlen(text)) {
    fprintf(stderr, "plain pipe: WriteFile: %lu\n", GetLastError());
    return false;
  }
  return true;
}

struct test_os_plain_server {
  HANDLE pipe;
  bool messages;
};

test_os_plain_server_t *test_os_plain_server_start(const char *native, bool messages) {
  SECURITY_ATTRIBUTES sa;
  test_os_plain_server_t *server;
  WCHAR *wname;
  DWORD type =
      messages ? PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE : PIPE_TYPE_BYTE | PIPE_READMODE_BYTE;
  if (!plain_pipe_sa(&sa)) {
    fprintf(stderr, "plain server: security descriptor: %lu\n", GetLastError());
    return NULL;
  }
  server = calloc(1, sizeof *server);
  ASSERT_NOT_NULL(server);
  server->messages = messages;
  wname = wide_of(native);
  server->pipe = CreateNamedPipeW(wname, PIPE_ACCESS_DUPLEX, type | PIPE_WAIT,
                                  PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, &sa);
  free(wname);
  LocalFree(sa.lpSecurityDescriptor);
  if (server->pipe == INVALID_HANDLE_VALUE) {
    fprintf(stderr, "plain server %s: CreateNamedPipeW: %lu\n", native, GetLastError());
    free(server);
    return NULL;
  }
  return server;
}

int test_os_plain_server_serve(test_os_plain_server_t *server, char *got, size_t cap,
                               const char *reply) {
  int n;
  if (!ConnectNamedPipe(server->pipe, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) {
    fprintf(stderr, "plain server: ConnectNamedPipe: %lu\n", GetLastError());
    return -1;
  }
  n = plain_pipe_read_unit(server->pipe, server->messages, got, cap);
  if (n >= 0 && !plain_pipe_write(server->pipe, reply))
    n = -1;
  /* The classic ending: let the client read everything, then disconnect it. */
  FlushFileBuffers(server->pipe);
  DisconnectNamedPipe(server->pipe);
  return n;
}

void test_os_plain_server_close(test_os_plain_server_t *server) {
  CloseHandle(server->pipe);
  free(server);
}

int test_os_plain_client(const char *native, bool messages, const char *text, char *reply,
                         size_t cap) {
  WCHAR *wname = wide_of(native);
  HANDLE h = INVALID_HANDLE_VALUE;
  int attempt, n;
  for (attempt = 0; attempt < 100; attempt++) {
    h = CreateFileW(wname, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (h != INVALID_HANDLE_VALUE || GetLastError() != ERROR_PIPE_BUSY)
      break;
    WaitNamedPipeW(wname, 100); /* every instance taken: wait for one */
  }
  free(wname);
  if (h == INVALID_HANDLE_VALUE) {
    fprintf(stderr, "plain client %s: CreateFileW: %lu\n", native, GetLastError());
    return -1;
  }
  if (messages) {
    DWORD mode = PIPE_READMODE_MESSAGE;
    if (!SetNamedPipeHandleState(h, &mode, NULL, NULL)) {
      fprintf(stderr, "plain client: SetNamedPipeHandleState: %lu\n", GetLastError());
      CloseHandle(h);
      return -1;
    }
  }
  n = plain_pipe_write(h, text) ? plain_pipe_read_unit(h, messages, reply, cap) : -1;
  CloseHandle(h);
  return n;
}

bool test_os_plain_mailslot_send(const char *native, const void *buf, size_t len) {
  WCHAR *wname = wide_of(native);
  HANDLE h = CreateFileW(wname, GENERIC_WRITE, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                         FILE_ATTRIBUTE_NORMAL, NULL);
  DWORD n = 0;
  BOOL ok;
  free(wname);
  if (h == INVALID_HANDLE_VALUE) {
    fprintf(stderr, "plain mailslot writer %s: CreateFileW: %lu\n", native, GetLastError());
    return false;
  }
  ok = WriteFile(h, buf, (DWORD)len, &n, NULL);
  if (!ok || n != len)
    fprintf(stderr, "plain mailslot writer %s: WriteFile: %lu\n", native, GetLastError());
  CloseHandle(h);
  return ok && n == len;
}

int test_os_plain_send_messages(const char *native, const size_t *sizes, size_t count) {
  WCHAR *wname = wide_of(native);
  HANDLE h = INVALID_HANDLE_VALUE;
  DWORD mode = PIPE_READMODE_MESSAGE, n;
  char end[16];
  size_t i;
  int attempt, rc = 0;
  for (attempt = 0; attempt < 100; attempt++) {
    h = CreateFileW(wname, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (h != INVALID_HANDLE_VALUE || GetLastError() != ERROR_PIPE_BUSY)
      break;
    WaitNamedPipeW(wname, 100);
  }
  free(wname);
  if (h == INVALID_HANDLE_VALUE || !SetNamedPipeHandleState(h, &mode, NULL, NULL)) {
    fprintf(stderr, "plain sender %s: %lu\n", native, GetLastError());
    if (h != INVALID_HANDLE_VALUE)
      CloseHandle(h);
    return -1;
  }
  for (i = 0; i < count && rc == 0; i++) {
    unsigned char *msg = malloc(sizes[i] > 0 ? sizes[i] : 1);
    ASSERT_NOT_NULL(msg);
    test_fill_pattern(msg, sizes[i], (uint32_t)i, 0);
    if (!WriteFile(h, msg, (DWORD)sizes[i], &n, NULL) || n != sizes[i]) {
      fprintf(stderr, "plain sender: WriteFile of %zu bytes: %lu\n", sizes[i], GetLastError());
      rc = -1;
    }
    free(msg);
  }
  /* Wait for the server to close (ERROR_MORE_DATA would be a message from it: go on). */
  while (rc == 0 && (ReadFile(h, end, sizeof end, &n, NULL) || GetLastError() == ERROR_MORE_DATA)) {
  }
  CloseHandle(h);
  return rc;
}

/* ---- TCP and UDP without xipc ------------------------------------------ */

/* Each plain call starts Winsock for itself, as a program without xipc does. */
static bool plain_wsa_start(void) {
  WSADATA data;
  int rc = WSAStartup(MAKEWORD(2, 2), &data);
  if (rc != 0)
    fprintf(stderr, "plain tcp: WSAStartup: %d\n", rc);
  return rc == 0;
}

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
    fprintf(stderr, "plain tcp: getaddrinfo(%s): %d\n", host, rc);
  return rc == 0;
}

/* A plain TCP socket connected to host:port, or INVALID_SOCKET (the reason is printed). */
static SOCKET plain_tcp_connect(const char *host, uint16_t port) {
  struct addrinfo *ai;
  SOCKET s;
  if (!plain_tcp_address(host, port, false, &ai))
    return INVALID_SOCKET;
  s = socket(ai->ai_family, SOCK_STREAM, IPPROTO_TCP);
  if (s == INVALID_SOCKET || connect(s, ai->ai_addr, (int)ai->ai_addrlen) != 0) {
    fprintf(stderr, "plain tcp client %s port %u: %d\n", host, (unsigned)port, WSAGetLastError());
    if (s != INVALID_SOCKET)
      closesocket(s);
    s = INVALID_SOCKET;
  }
  freeaddrinfo(ai);
  return s;
}

xipc_os_handle_t test_os_plain_tcp_socket(const char *host, uint16_t port) {
  SOCKET s;
  if (!plain_wsa_start())
    return XIPC_OS_HANDLE_INVALID;
  s = plain_tcp_connect(host, port);
  if (s == INVALID_SOCKET) {
    WSACleanup();
    return XIPC_OS_HANDLE_INVALID;
  }
  return (xipc_os_handle_t)s;
}

void test_os_plain_net_release(void) {
  WSACleanup();
}

void test_os_plain_tcp_close(xipc_os_handle_t sock) {
  closesocket((SOCKET)sock);
  WSACleanup();
}

bool test_os_plain_send_urgent(xipc_os_handle_t sock) {
  return send((SOCKET)sock, "u", 1, MSG_OOB) == 1;
}

int64_t test_os_cpu_ms(void) {
  FILETIME created, exited, kernel, user;
  ULARGE_INTEGER k, u;
  if (!GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user))
    test_fail(__FILE__, __LINE__, "GetProcessTimes: %lu", GetLastError());
  k.LowPart = kernel.dwLowDateTime;
  k.HighPart = kernel.dwHighDateTime;
  u.LowPart = user.dwLowDateTime;
  u.HighPart = user.dwHighDateTime;
  return (int64_t)((k.QuadPart + u.QuadPart) / 10000); /* 100 ns units */
}

int test_os_plain_tcp_client(const char *host, uint16_t port, const char *text, char *reply,
                             size_t cap) {
  size_t len = strlen(text), done = 0, got = 0;
  SOCKET s;
  int n = -1;
  if (!plain_wsa_start())
    return -1;
  s = plain_tcp_connect(host, port);
  if (s == INVALID_SOCKET) {
    WSACleanup();
    return -1;
  }
  while (done < len) {
    int sent = send(s, text + done, (int)(len - done), 0);
    if (sent == SOCKET_ERROR) {
      fprintf(stderr, "plain tcp client: send: %d\n", WSAGetLastError());
      break;
    }
    done += (size_t)sent;
  }
  /* One reply line, or what came before the end. */
  while (done == len) {
    int r = recv(s, reply + got, (int)(cap - 1 - got), 0);
    if (r == SOCKET_ERROR) {
      fprintf(stderr, "plain tcp client: recv: %d\n", WSAGetLastError());
      break;
    }
    got += (size_t)r;
    reply[got] = '\0';
    if (r == 0 || got == cap - 1 || memchr(reply, '\n', got) != NULL) {
      n = (int)got;
      break;
    }
  }
  closesocket(s);
  WSACleanup();
  return n;
}

int test_os_plain_tcp_reset(const char *host, uint16_t port) {
  struct linger abortive;
  SOCKET s;
  char c;
  int n = -1;
  if (!plain_wsa_start())
    return -1;
  s = plain_tcp_connect(host, port);
  if (s != INVALID_SOCKET) {
    n = recv(s, &c, 1, 0);
    if (n != 1)
      fprintf(stderr, "plain tcp reset: recv: %d, error %d\n", n, WSAGetLastError());
    abortive.l_onoff = 1;
    abortive.l_linger = 0;
    if (setsockopt(s, SOL_SOCKET, SO_LINGER, (const char *)&abortive, sizeof abortive) != 0) {
      fprintf(stderr, "plain tcp reset: SO_LINGER: %d\n", WSAGetLastError());
      n = -1;
    }
    closesocket(s);
  }
  WSACleanup();
  return n == 1 ? 0 : -1;
}

int test_os_plain_tcp_bind(const char *host, uint16_t port) {
  struct addrinfo *ai;
  SOCKET s;
  BOOL on = TRUE;
  int err = 0;
  if (!plain_wsa_start())
    return WSASYSNOTREADY;
  if (!plain_tcp_address(host, port, true, &ai)) {
    WSACleanup();
    return WSAEINVAL;
  }
  s = socket(ai->ai_family, SOCK_STREAM, IPPROTO_TCP);
  if (s == INVALID_SOCKET ||
      setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (const char *)&on, sizeof on) != 0 ||
      bind(s, ai->ai_addr, (int)ai->ai_addrlen) != 0 || listen(s, 1) != 0)
    err = WSAGetLastError();
  if (s != INVALID_SOCKET)
    closesocket(s);
  freeaddrinfo(ai);
  WSACleanup();
  return err;
}

int test_os_plain_udp_send(const char *host, uint16_t port, size_t len) {
  struct addrinfo hints, *ai;
  unsigned char *msg = malloc(len > 0 ? len : 1);
  char service[8];
  SOCKET s;
  int n = SOCKET_ERROR, rc;
  ASSERT_NOT_NULL(msg);
  test_fill_pattern(msg, len, 0, 0);
  if (!plain_wsa_start()) {
    free(msg);
    return -1;
  }
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  snprintf(service, sizeof service, "%u", (unsigned)port);
  rc = getaddrinfo(host, service, &hints, &ai);
  if (rc == 0) {
    s = socket(ai->ai_family, SOCK_DGRAM, IPPROTO_UDP);
    if (s != INVALID_SOCKET) {
      n = sendto(s, (const char *)msg, (int)len, 0, ai->ai_addr, (int)ai->ai_addrlen);
      if (n != (int)len)
        fprintf(stderr, "plain udp: sendto of %zu bytes: %d\n", len, WSAGetLastError());
      closesocket(s);
    }
    freeaddrinfo(ai);
  } else {
    fprintf(stderr, "plain udp: getaddrinfo(%s): %d\n", host, rc);
  }
  WSACleanup();
  free(msg);
  return n == (int)len ? 0 : -1;
}

int test_os_tcp_nodelay(xipc_os_handle_t sock) {
  DWORD on = 0;
  int len = (int)sizeof on;
  if (getsockopt((SOCKET)sock, IPPROTO_TCP, TCP_NODELAY, (char *)&on, &len) != 0)
    test_fail(__FILE__, __LINE__, "getsockopt(TCP_NODELAY): %d", WSAGetLastError());
  return on != 0 ? 1 : 0;
}

/* ---- Message queues without xipc (test-mq.c): Windows has no POSIX queues --- */

int test_os_plain_mq_send(const char *native, const char *const *texts, const unsigned *prios,
                          size_t count) {
  (void)native;
  (void)texts;
  (void)prios;
  (void)count;
  fprintf(stderr, "plain mq: Windows has no POSIX message queues\n");
  return -1;
}

bool test_os_mq_sysctl_limits(size_t *max_msgs, size_t *max_msg_size) {
  (void)max_msgs;
  (void)max_msg_size;
  return false;
}

int test_os_mq_mode(const char *native) {
  (void)native;
  return -1;
}
