/* SPDX-License-Identifier: MIT */
/*
 * xipc version: the one place the version is defined. CMake reads these three
 * lines to set the project, package and pkg-config versions.
 */
#ifndef XIPC_VERSION_H
#define XIPC_VERSION_H

#define XIPC_VERSION_MAJOR 0
#define XIPC_VERSION_MINOR 1
#define XIPC_VERSION_PATCH 0

/* The version as one integer, 0xMMmmpp; compare it with XIPC_VERSION_HEX. */
#define XIPC_VERSION_HEX \
  ((XIPC_VERSION_MAJOR << 16) | (XIPC_VERSION_MINOR << 8) | XIPC_VERSION_PATCH)

#define XIPC_STRINGIFY_(x) #x
#define XIPC_STRINGIFY(x)  XIPC_STRINGIFY_(x)

/* The version as a string, "MAJOR.MINOR.PATCH". */
#define XIPC_VERSION_STRING          \
  XIPC_STRINGIFY(XIPC_VERSION_MAJOR) \
  "." XIPC_STRINGIFY(XIPC_VERSION_MINOR) "." XIPC_STRINGIFY(XIPC_VERSION_PATCH)

#endif
