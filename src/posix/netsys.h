/* SPDX-License-Identifier: MIT */
/* The system headers that declare socket addresses, for the common src/sockaddr.c (POSIX). */
#ifndef XIPC_POSIX_NETSYS_H
#define XIPC_POSIX_NETSYS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#endif
