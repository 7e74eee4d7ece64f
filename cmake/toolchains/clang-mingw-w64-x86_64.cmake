# Second Windows compiler: Debian's clang targeting x86_64-w64-mingw32 (which clang
# normalises to x86_64-w64-windows-gnu), with the mingw-w64 headers and import
# libraries and gcc's libgcc from gcc-mingw-w64-x86-64.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(MINGW_TRIPLE x86_64-w64-mingw32)

set(CMAKE_C_COMPILER clang)
set(CMAKE_C_COMPILER_TARGET ${MINGW_TRIPLE})
set(CMAKE_RC_COMPILER ${MINGW_TRIPLE}-windres)
set(CMAKE_AR ${MINGW_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${MINGW_TRIPLE}-ranlib CACHE FILEPATH "")
# --sysroot keeps the host's /usr/include out of the header search path.
set(CMAKE_SYSROOT /usr/${MINGW_TRIPLE})
# clang 14 does not find Debian's libgcc in .../12-win32 (a non-numeric version directory).
execute_process(COMMAND ${MINGW_TRIPLE}-gcc -print-libgcc-file-name
                OUTPUT_VARIABLE _libgcc OUTPUT_STRIP_TRAILING_WHITESPACE)
get_filename_component(_libgcc_dir "${_libgcc}" DIRECTORY)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-L${_libgcc_dir}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-L${_libgcc_dir}")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-L${_libgcc_dir}")

set(CMAKE_FIND_ROOT_PATH /usr/${MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  find_program(WINE_EXECUTABLE NAMES wine)
  if(WINE_EXECUTABLE)
    set(CMAKE_CROSSCOMPILING_EMULATOR ${WINE_EXECUTABLE})
  endif()
endif()
