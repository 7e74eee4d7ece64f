# SPDX-License-Identifier: MIT
# Feature checks. The backends test XIPC_HAVE_* macros, never OS names; this
# file is where the system is looked at. Results:
#   XIPC_FEATURE_DEFINITIONS  compile definitions for the library
#   XIPC_SYSTEM_LIBS          system libraries the library links (POSIX)
#   XIPC_SYSTEM_LIBS_FLAGS    the same as -l flags, for xipc.pc
#   XIPC_HAVE_LIBUV           libuv found (XIPC_WITH_LIBUV)
include(CheckSymbolExists)
if(NOT WIN32)
  set(THREADS_PREFER_PTHREAD_FLAG ON)
  find_package(Threads REQUIRED)
endif()

set(XIPC_FEATURE_DEFINITIONS "")
set(XIPC_SYSTEM_LIBS "")
set(XIPC_SYSTEM_LIBS_FLAGS "")

macro(xipc_check_symbol symbol header macro)
  check_symbol_exists(${symbol} "${header}" ${macro})
  if(${macro})
    list(APPEND XIPC_FEATURE_DEFINITIONS ${macro})
  endif()
endmacro()

if(NOT WIN32)
  set(CMAKE_REQUIRED_DEFINITIONS -D_GNU_SOURCE -D_DARWIN_C_SOURCE)
  xipc_check_symbol(posix_spawn_file_actions_addclosefrom_np spawn.h
                    XIPC_HAVE_POSIX_SPAWN_ADDCLOSEFROM_NP)
  xipc_check_symbol(posix_spawn_file_actions_addchdir_np spawn.h XIPC_HAVE_POSIX_SPAWN_ADDCHDIR_NP)
  xipc_check_symbol(pidfd_open sys/pidfd.h XIPC_HAVE_PIDFD_OPEN)
  xipc_check_symbol(_NSGetExecutablePath mach-o/dyld.h XIPC_HAVE_NSGETEXECUTABLEPATH)
  xipc_check_symbol(pipe2 unistd.h XIPC_HAVE_PIPE2)
  xipc_check_symbol(F_SETPIPE_SZ fcntl.h XIPC_HAVE_F_SETPIPE_SZ)
  xipc_check_symbol(MSG_NOSIGNAL sys/socket.h XIPC_HAVE_MSG_NOSIGNAL)
  xipc_check_symbol(sigtimedwait signal.h XIPC_HAVE_SIGTIMEDWAIT)
  xipc_check_symbol(RWF_NOWAIT sys/uio.h XIPC_HAVE_RWF_NOWAIT)
  xipc_check_symbol(close_range unistd.h XIPC_HAVE_CLOSE_RANGE)
  xipc_check_symbol(memfd_create sys/mman.h XIPC_HAVE_MEMFD_CREATE)
  xipc_check_symbol(SO_PEERCRED sys/socket.h XIPC_HAVE_SO_PEERCRED)
  xipc_check_symbol(getpeereid unistd.h XIPC_HAVE_GETPEEREID)
  set(CMAKE_REQUIRED_LIBRARIES Threads::Threads)
  xipc_check_symbol(pthread_mutexattr_setrobust pthread.h XIPC_HAVE_ROBUST_MUTEX)
  # ThreadSanitizer (gcc 12, clang 14) intercepts sem_timedwait and pthread_mutex_timedlock
  # but not their clock-based forms: it would not see those locks and report false races.
  if(NOT XIPC_SANITIZE MATCHES "thread")
    xipc_check_symbol(sem_clockwait semaphore.h XIPC_HAVE_SEM_CLOCKWAIT)
    xipc_check_symbol(pthread_mutex_clocklock pthread.h XIPC_HAVE_PTHREAD_MUTEX_CLOCKLOCK)
  endif()
  unset(CMAKE_REQUIRED_LIBRARIES)
  # shm_open and sem_open live in librt before glibc 2.34.
  check_symbol_exists(shm_open "sys/mman.h" XIPC_SHM_OPEN_IN_LIBC)
  if(NOT XIPC_SHM_OPEN_IN_LIBC)
    list(APPEND XIPC_SYSTEM_LIBS rt)
    set(XIPC_SYSTEM_LIBS_FLAGS "${XIPC_SYSTEM_LIBS_FLAGS} -lrt")
  endif()
  # Sleeping on a shared word (message queues): the Linux futex.
  xipc_check_symbol(SYS_futex sys/syscall.h XIPC_HAVE_FUTEX)
  # POSIX message queues (not on macOS), in librt before glibc 2.34.
  check_symbol_exists(mq_open "mqueue.h" XIPC_MQ_OPEN_IN_LIBC)
  if(XIPC_MQ_OPEN_IN_LIBC)
    list(APPEND XIPC_FEATURE_DEFINITIONS XIPC_HAVE_POSIX_MQ)
  else()
    set(CMAKE_REQUIRED_LIBRARIES rt)
    check_symbol_exists(mq_open "mqueue.h" XIPC_MQ_OPEN_IN_LIBRT)
    unset(CMAKE_REQUIRED_LIBRARIES)
    if(XIPC_MQ_OPEN_IN_LIBRT)
      list(APPEND XIPC_FEATURE_DEFINITIONS XIPC_HAVE_POSIX_MQ)
      if(NOT "rt" IN_LIST XIPC_SYSTEM_LIBS)
        list(APPEND XIPC_SYSTEM_LIBS rt)
        set(XIPC_SYSTEM_LIBS_FLAGS "${XIPC_SYSTEM_LIBS_FLAGS} -lrt")
      endif()
    endif()
  endif()
  unset(CMAKE_REQUIRED_DEFINITIONS)
  if(CMAKE_SYSTEM_NAME MATCHES "Linux|Android")
    # /proc/self/exe names the running program; /proc/<pid>/stat tells a zombie; shm and
    # semaphore names may be 255 bytes; a named semaphore is the file /dev/shm/sem.<name>; a
    # message queue descriptor can be polled.
    list(APPEND XIPC_FEATURE_DEFINITIONS XIPC_HAVE_PROC_SELF_EXE XIPC_HAVE_PROC_PID_STAT
         XIPC_HAVE_LONG_SHM_NAMES XIPC_HAVE_DEV_SHM_SEM XIPC_HAVE_POLLABLE_MQ)
  endif()
endif()

# libuv: found now so that XIPC_WITH_LIBUV=ON fails early where it is missing; the
# adapter target (xipc::uv) uses it.
set(XIPC_HAVE_LIBUV OFF)
if(NOT XIPC_WITH_LIBUV STREQUAL "OFF")
  # libuv >= 1.43 installs a CMake package; distributions often ship only libuv.pc.
  find_package(libuv CONFIG QUIET)
  if(TARGET libuv::uv OR TARGET libuv::uv_a)
    set(XIPC_HAVE_LIBUV ON)
  elseif(NOT CMAKE_CROSSCOMPILING)
    find_package(PkgConfig QUIET)
    if(PKG_CONFIG_FOUND)
      pkg_check_modules(XIPC_LIBUV QUIET IMPORTED_TARGET libuv)
      if(XIPC_LIBUV_FOUND)
        set(XIPC_HAVE_LIBUV ON)
      endif()
    endif()
  endif()
  if(XIPC_WITH_LIBUV STREQUAL "ON" AND NOT XIPC_HAVE_LIBUV)
    message(FATAL_ERROR "XIPC_WITH_LIBUV=ON but libuv was not found (install libuv1-dev)")
  endif()
endif()
message(STATUS "xipc: libuv ${XIPC_HAVE_LIBUV} (XIPC_WITH_LIBUV=${XIPC_WITH_LIBUV})")
