# SPDX-License-Identifier: MIT
# Packaging tested for real (XIPC_PACKAGING_TESTS=ON): install this build to a
# scratch prefix, build examples/ against it with find_package(xipc) and with
# pkg-config, run what was built (under the emulator when cross-compiling), and
# check that a shared library exports xipc_* symbols only.

set(_work "${CMAKE_CURRENT_BINARY_DIR}/packaging")
set(_args
  -DXIPC_BUILD_DIR=${PROJECT_BINARY_DIR}
  -DXIPC_SOURCE_DIR=${PROJECT_SOURCE_DIR}
  -DWORK_DIR=${_work}
  -DGENERATOR=${CMAKE_GENERATOR}
  -DBUILD_TYPE=${CMAKE_BUILD_TYPE}
  -DTOOLCHAIN=${CMAKE_TOOLCHAIN_FILE}
  -DEMULATOR=${CMAKE_CROSSCOMPILING_EMULATOR}
  -DC_COMPILER=${CMAKE_C_COMPILER}
  -DSANITIZE=${XIPC_SANITIZE}
  -DSHARED=${BUILD_SHARED_LIBS}
  -DWINDOWS=${WIN32}
  -DNM=${CMAKE_NM}
  -DOBJDUMP=${CMAKE_OBJDUMP})
set(_script "${PROJECT_SOURCE_DIR}/cmake/test-packaging.cmake")

add_test(NAME packaging.install COMMAND ${CMAKE_COMMAND} ${_args} -DMODE=install -P ${_script})
add_test(NAME packaging.find_package COMMAND ${CMAKE_COMMAND} ${_args} -DMODE=find_package -P ${_script})
add_test(NAME packaging.pkg_config COMMAND ${CMAKE_COMMAND} ${_args} -DMODE=pkg_config -P ${_script})
add_test(NAME packaging.add_subdirectory
         COMMAND ${CMAKE_COMMAND} ${_args} -DMODE=add_subdirectory -P ${_script})
set_tests_properties(packaging.add_subdirectory PROPERTIES FIXTURES_REQUIRED xipc_installed TIMEOUT 300)
set_tests_properties(packaging.install PROPERTIES FIXTURES_SETUP xipc_installed TIMEOUT 120)
set_tests_properties(packaging.find_package packaging.pkg_config PROPERTIES
  FIXTURES_REQUIRED xipc_installed TIMEOUT 300 RESOURCE_LOCK xipc_packaging)
if(BUILD_SHARED_LIBS)
  add_test(NAME packaging.exports_only_xipc COMMAND ${CMAKE_COMMAND} ${_args} -DMODE=exports -P ${_script})
  set_tests_properties(packaging.exports_only_xipc PROPERTIES FIXTURES_REQUIRED xipc_installed TIMEOUT 60)
endif()
