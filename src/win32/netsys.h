/* SPDX-License-Identifier: MIT */
/* The system headers that declare socket addresses, for the common src/sockaddr.c (Windows). */
#ifndef XIPC_WIN32_NETSYS_H
#define XIPC_WIN32_NETSYS_H

#include <winsock2.h>
#include <ws2tcpip.h>

#endif
