/* SPDX-License-Identifier: MIT */
/*
 * GetLastError() / WSAGetLastError() -> XIPC_E*: the one translation point
 * of the Windows backend. The two code ranges do not overlap, so one switch
 * serves both. Operations whose codes mean something else in context (a
 * write on a closed pipe, say) remap at the call site.
 */
#include "internal.h"

/* Missing from older mingw-w64 headers. */
#ifndef ERROR_ELEVATION_REQUIRED
#  define ERROR_ELEVATION_REQUIRED 740L
#endif

int xipc__translate_os_error(int os_code) {
  switch ((DWORD)os_code) {
  case ERROR_SUCCESS:
    return 0;
  case ERROR_INVALID_PARAMETER:
  case ERROR_INVALID_NAME:
  case ERROR_BAD_PATHNAME:
  case ERROR_NO_UNICODE_TRANSLATION:
  case ERROR_NOACCESS:
  case WSAEINVAL:
  case WSAEFAULT:
    return XIPC_EINVAL;
  case ERROR_NOT_ENOUGH_MEMORY:
  case ERROR_OUTOFMEMORY:
  case ERROR_COMMITMENT_LIMIT:
  case ERROR_NO_SYSTEM_RESOURCES:
  case ERROR_NOT_ENOUGH_QUOTA:
  case WSAENOBUFS:
    return XIPC_ENOMEM;
  case WSAEWOULDBLOCK:
  case WSAEINPROGRESS:
  case WSAEALREADY:
  case WSATRY_AGAIN:   /* GetAddrInfoW: the resolver failed for now */
  case WSANO_RECOVERY: /* GetAddrInfoW: the resolver failed (a SERVFAIL, say) */
    return XIPC_EAGAIN;
  case ERROR_SEM_TIMEOUT:
  case WAIT_TIMEOUT:
  case ERROR_TIMEOUT:
  case WSAETIMEDOUT:
    return XIPC_ETIMEDOUT;
  case ERROR_BROKEN_PIPE:
  case ERROR_NO_DATA:
  case ERROR_PIPE_NOT_CONNECTED:
  case WSAESHUTDOWN:
    return XIPC_EPIPE;
  case ERROR_ALREADY_EXISTS:
  case ERROR_FILE_EXISTS:
    return XIPC_EEXIST;
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND:
  case ERROR_INVALID_DRIVE:
  case ERROR_BAD_NETPATH:
  case ERROR_BAD_NET_NAME:
  case ERROR_MOD_NOT_FOUND:
  case ERROR_DIRECTORY:   /* CreateProcessW with a working directory that is not one */
  case WSAHOST_NOT_FOUND: /* GetAddrInfoW: a name without addresses */
  case WSANO_DATA:
    return XIPC_ENOENT;
  case ERROR_ACCESS_DENIED:
  case ERROR_WRITE_PROTECT:
  case ERROR_ELEVATION_REQUIRED: /* CreateProcessW of a program that wants administrator rights */
  case WSAEACCES:
    return XIPC_EACCES;
  case ERROR_PRIVILEGE_NOT_HELD:
  case ERROR_NOT_OWNER: /* ReleaseMutex() by a thread that does not hold it */
    return XIPC_EPERM;
  case ERROR_FILENAME_EXCED_RANGE:
  case ERROR_BUFFER_OVERFLOW:
  case WSAENAMETOOLONG:
    return XIPC_ENAMETOOLONG;
  case ERROR_MORE_DATA:
  case ERROR_INSUFFICIENT_BUFFER:
  case WSAEMSGSIZE:
    return XIPC_EMSGSIZE;
  case ERROR_INVALID_HANDLE:
  case WSAEBADF:
  case WSAENOTSOCK:
    return XIPC_EBADF;
  case ERROR_BUSY:
  case ERROR_PIPE_BUSY:
  case ERROR_SHARING_VIOLATION:
  case ERROR_LOCK_VIOLATION:
    return XIPC_EBUSY;
  case ERROR_NOT_SUPPORTED:
  case ERROR_CALL_NOT_IMPLEMENTED:
  case ERROR_INVALID_FUNCTION:
  case WSAEOPNOTSUPP:
  case WSAEAFNOSUPPORT:
  case WSAEPFNOSUPPORT:
  case WSAEPROTONOSUPPORT:
  case WSAESOCKTNOSUPPORT:
    return XIPC_ENOTSUP;
  case ERROR_CONNECTION_REFUSED:
  case WSAECONNREFUSED:
    return XIPC_ECONNREFUSED;
  case ERROR_NETNAME_DELETED:
  case WSAECONNRESET:
  case WSAENETRESET:
    return XIPC_ECONNRESET;
  case ERROR_CONNECTION_ABORTED:
  case WSAECONNABORTED:
    return XIPC_ECONNABORTED;
  case WSAEPROTOTYPE: /* as EPROTOTYPE on POSIX */
    return XIPC_EPROTO;
  case WSAENOTCONN:
  case ERROR_PIPE_LISTENING: /* a pipe server end whose client has not come */
    return XIPC_ENOTCONN;
  case WSAEADDRINUSE:
    return XIPC_EADDRINUSE;
  case WSAEADDRNOTAVAIL:
    return XIPC_EADDRNOTAVAIL;
  case ERROR_NETWORK_UNREACHABLE:
  case WSAENETUNREACH:
  case WSAENETDOWN:
    return XIPC_ENETUNREACH;
  case ERROR_HOST_UNREACHABLE:
  case WSAEHOSTUNREACH:
  case WSAEHOSTDOWN:
    return XIPC_EHOSTUNREACH;
  case ERROR_ABANDONED_WAIT_0:
    return XIPC_EOWNERDEAD;
  case ERROR_DISK_FULL:
  case ERROR_HANDLE_DISK_FULL:
    return XIPC_ENOSPC;
  case ERROR_IO_DEVICE:
  case ERROR_CRC:
    return XIPC_EIO;
  case ERROR_TOO_MANY_OPEN_FILES:
  case WSAEMFILE:
    return XIPC_EMFILE;
  case ERROR_BAD_EXE_FORMAT:
  case ERROR_EXE_MACHINE_TYPE_MISMATCH:
  case ERROR_BAD_FORMAT:
    return XIPC_ENOEXEC;
  case ERROR_OPERATION_ABORTED:
  case WSAEINTR:
    return XIPC_ECANCELED;
  case ERROR_TOO_MANY_POSTS: /* ReleaseSemaphore() beyond the maximum count */
    return XIPC_EOVERFLOW;
  default:
    return XIPC_ESYSTEM;
  }
}
