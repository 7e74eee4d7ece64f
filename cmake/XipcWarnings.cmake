# SPDX-License-Identifier: MIT
# Compiler warnings, sanitizers and the MSVC approximation for MinGW builds.

if(XIPC_SANITIZE)
  # For every target of this build (library, tests, examples), so they link together.
  add_compile_options(-fsanitize=${XIPC_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${XIPC_SANITIZE})
endif()

# Headers that MinGW provides and MSVC does not: a build that includes one fails here
# rather than on AppVeyor (see cmake/msvc-poison/README).
set(XIPC_MSVC_POISON_DIR "${CMAKE_CURRENT_LIST_DIR}/msvc-poison")

# xipc_target_warnings(<target> [STRICT]): warnings as the project wants them.
# STRICT adds the checks meant for library code (prototypes, shadowing).
function(xipc_target_warnings target)
  cmake_parse_arguments(ARG "STRICT" "" "" ${ARGN})
  if(MSVC)
    # C5105: older Windows SDK headers trip the conforming preprocessor of /std:c11.
    target_compile_options(${target} PRIVATE /W4 /wd5105)
    if(XIPC_WERROR)
      target_compile_options(${target} PRIVATE /WX)
    endif()
    return()
  endif()
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wvla -Wpedantic)
  if(ARG_STRICT)
    target_compile_options(${target} PRIVATE -Wshadow -Wstrict-prototypes -Wmissing-prototypes
                                             -Wpointer-arith -Wcast-qual)
  endif()
  if(CMAKE_C_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE -Wgnu)
  endif()
  if(XIPC_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(WIN32)
    target_include_directories(${target} BEFORE PRIVATE "${XIPC_MSVC_POISON_DIR}")
  endif()
endfunction()
