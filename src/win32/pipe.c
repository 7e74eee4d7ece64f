/* SPDX-License-Identifier: MIT */
/*
 * Anonymous pipes on Windows. CreatePipe() handles cannot be used for
 * overlapped I/O, so a timeout could never be enforced on them; instead a
 * pipe is a named pipe with a unique name, \\.\pipe\xipc.anon.<pid>.<n>.<t>,
 * whose server instance is the read end and whose client is the write end
 * (libuv does the same). The name is never reused and the instance is
 * created with FILE_FLAG_FIRST_PIPE_INSTANCE, one instance only, remote
 * clients rejected and an owner-only DACL, so no one else can join in.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_PIPE_SIZE 65536
#define MAX_PIPE_SIZE     (4u << 20) /* pipe buffers live in kernel non-paged memory */
#define NAME_ATTEMPTS     16

static volatile LONG pipe_counter;

int xipc__win32_create_pipe_server(const WCHAR *name, DWORD access, bool first, DWORD type,
                                   DWORD instances, DWORD size, HANDLE *out) {
  SECURITY_ATTRIBUTES sa;
  DWORD read_mode = type == PIPE_TYPE_MESSAGE ? PIPE_READMODE_MESSAGE : PIPE_READMODE_BYTE;
  int rc = xipc__win32_owner_only_sa(&sa);
  if (rc < 0)
    return rc;
  *out = CreateNamedPipeW(name, access | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
                          type | read_mode | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, instances,
                          size, size, 0, &sa);
  xipc__win32_free_sa(&sa);
  return *out != INVALID_HANDLE_VALUE ? 0 : xipc__win32_fail();
}

int xipc__pipe_create(xipc_stream_t **read_end, xipc_stream_t **write_end, unsigned flags,
                      size_t capacity) {
  bool read_overlapped = !(flags & XIPC_PIPE_CHILD_READS);
  bool write_overlapped = !(flags & XIPC_PIPE_CHILD_WRITES);
  DWORD size = capacity == 0 ? DEFAULT_PIPE_SIZE
                             : (capacity > MAX_PIPE_SIZE ? MAX_PIPE_SIZE : (DWORD)capacity);
  HANDLE server = INVALID_HANDLE_VALUE, client;
  WCHAR name[96];
  LARGE_INTEGER now;
  int attempt, rc = 0;

  for (attempt = 0; attempt < NAME_ATTEMPTS; attempt++) {
    QueryPerformanceCounter(&now);
    _snwprintf(name, 95, L"\\\\.\\pipe\\xipc.anon.%lu.%ld.%llx", GetCurrentProcessId(),
               InterlockedIncrement(&pipe_counter), (unsigned long long)now.QuadPart);
    name[95] = L'\0';
    rc = xipc__win32_create_pipe_server(
        name, PIPE_ACCESS_INBOUND | (read_overlapped ? FILE_FLAG_OVERLAPPED : 0), true,
        PIPE_TYPE_BYTE, 1, size, &server);
    /* Taken (a squatter guessed the name): try the next one. */
    if (rc == 0 || (rc != XIPC_EACCES && rc != XIPC_EBUSY))
      break;
  }
  if (rc < 0)
    return rc;
  client = CreateFileW(name, GENERIC_WRITE | FILE_READ_ATTRIBUTES, 0, NULL, OPEN_EXISTING,
                       (write_overlapped ? FILE_FLAG_OVERLAPPED : 0) | SECURITY_SQOS_PRESENT |
                           SECURITY_IDENTIFICATION,
                       NULL);
  if (client == INVALID_HANDLE_VALUE) {
    rc = xipc__win32_fail();
    CloseHandle(server);
    return rc;
  }
  /* The client's open connected the instance; no ConnectNamedPipe() is needed. */
  *read_end = xipc__win32_stream_new(server, read_overlapped, XIPC__STREAM_PIPE);
  *write_end = xipc__win32_stream_new(client, write_overlapped, XIPC__STREAM_PIPE);
  if (*read_end != NULL && *write_end != NULL)
    return 0;
  rc = xipc__fail(XIPC_ENOMEM);
  /* Streams that exist own their handles; close the handles of those that do not. */
  if (*read_end != NULL)
    xipc__stream_close(*read_end);
  else
    CloseHandle(server);
  if (*write_end != NULL)
    xipc__stream_close(*write_end);
  else
    CloseHandle(client);
  *read_end = *write_end = NULL;
  return rc;
}
