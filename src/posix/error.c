/* SPDX-License-Identifier: MIT */
/* errno -> XIPC_E*: the one translation point of the POSIX backend. */
#include "internal.h"

int xipc__translate_os_error(int sys_errno) {
  switch (sys_errno) {
  case 0:
    return 0;
  case EINVAL:
    return XIPC_EINVAL;
  case ENOMEM:
  case ENOBUFS: /* kernel buffer space, not the caller's buffer */
    return XIPC_ENOMEM;
  case EAGAIN:
#if defined(EWOULDBLOCK) && EWOULDBLOCK != EAGAIN
  case EWOULDBLOCK:
#endif
    return XIPC_EAGAIN;
  case ETIMEDOUT:
    return XIPC_ETIMEDOUT;
  case EPIPE:
    return XIPC_EPIPE;
  case EEXIST:
    return XIPC_EEXIST;
  case ENOENT:
  case ENOTDIR: /* a path component is not a directory: the object is not there */
    return XIPC_ENOENT;
  case EACCES:
  case EROFS:
    return XIPC_EACCES;
  case EPERM:
    return XIPC_EPERM;
  case ENAMETOOLONG:
    return XIPC_ENAMETOOLONG;
  case EMSGSIZE:
    return XIPC_EMSGSIZE;
  case EBADF:
    return XIPC_EBADF;
  case EBUSY:
    return XIPC_EBUSY;
  case ENOSYS:
  case ENOTSUP:
#if defined(EOPNOTSUPP) && EOPNOTSUPP != ENOTSUP
  case EOPNOTSUPP:
#endif
  case EAFNOSUPPORT:
  case EPROTONOSUPPORT:
    return XIPC_ENOTSUP;
  case ECONNREFUSED:
    return XIPC_ECONNREFUSED;
  case ECONNRESET:
    return XIPC_ECONNRESET;
  case ECONNABORTED:
    return XIPC_ECONNABORTED;
  case ENOTCONN:
    return XIPC_ENOTCONN;
  case EADDRINUSE:
    return XIPC_EADDRINUSE;
  case EADDRNOTAVAIL:
    return XIPC_EADDRNOTAVAIL;
  case ENETUNREACH:
  case ENETDOWN:
    return XIPC_ENETUNREACH;
  case EHOSTUNREACH:
    return XIPC_EHOSTUNREACH;
  case EOWNERDEAD:
    return XIPC_EOWNERDEAD;
  case ENOTRECOVERABLE:
    return XIPC_ENOTRECOVERABLE;
  case ENOSPC:
  case EDQUOT:
    return XIPC_ENOSPC;
  case EIO:
    return XIPC_EIO;
  case EMFILE:
  case ENFILE:
    return XIPC_EMFILE;
  case ESRCH:
  case ECHILD:
    return XIPC_ESRCH;
  case ENOEXEC:
    return XIPC_ENOEXEC;
  case EPROTO:
  case EPROTOTYPE: /* a socket of the other type (bytes / messages) */
    return XIPC_EPROTO;
  case ECANCELED:
    return XIPC_ECANCELED;
  case EOVERFLOW:
    return XIPC_EOVERFLOW;
  case EDEADLK:
    return XIPC_EDEADLK;
  default:
    return XIPC_ESYSTEM;
  }
}
