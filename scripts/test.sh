#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run every xipc test in every configuration: ./scripts/test.sh
#
#   format           clang-format check of every C source
#   linux-gcc-m32    gcc -m32, Release: every test in a 32-bit build, which then serves as
#                    the 32-bit peer of mq.peer_32bit in the configurations after it
#   linux-gcc-asan   gcc, Debug, static library, ASan + UBSan, packaging tests
#   linux-clang      clang, Release, shared library, fork+exec spawn path, packaging tests
#   linux-clang-tsan clang, ThreadSanitizer, every test but three it cannot model
#   windows-mingw    mingw-w64 gcc, shared DLL, every test under Wine, packaging tests
#   windows-clang    clang targeting x86_64-w64-windows-gnu: compile only
#
# Installs what is missing when run as root on Debian/Ubuntu. Ends with one line
# "N passed, N failed, N skipped" over all configurations and exits non-zero on
# any failure. Choose configurations with XIPC_CONFIGS="linux-gcc-asan windows-mingw".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. scripts/lib.sh

xipc_need_packages gcc clang cmake ninja-build pkg-config git clang-format \
  gcc-mingw-w64-x86-64 wine wine64 libuv1-dev socat gcc-multilib g++ libboost-dev || exit 1

BUILD_ROOT=${XIPC_BUILD_ROOT:-$ROOT/build/ci}
JOBS=$(nproc)
CONFIGS=${XIPC_CONFIGS:-"format linux-gcc-m32 linux-gcc-asan linux-clang linux-clang-tsan windows-mingw windows-clang"}
TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_SKIPPED=0
SUMMARY=()
START=$(date +%s)

# count_junit FILE: add the results of one ctest run to the totals.
count_junit() {
  local file=$1 config=$2 run fail skip
  run=$(grep -c 'status="run"' "$file" || true)
  fail=$(grep -c 'status="fail"' "$file" || true)
  skip=$(grep -Ec 'status="(notrun|disabled)"' "$file" || true)
  TOTAL_PASSED=$((TOTAL_PASSED + run))
  TOTAL_FAILED=$((TOTAL_FAILED + fail))
  TOTAL_SKIPPED=$((TOTAL_SKIPPED + skip))
  SUMMARY+=("$config: $run passed, $fail failed, $skip skipped")
}

# fail_step CONFIG WHAT: a step that is not a test (configure, build) failed.
fail_step() {
  TOTAL_FAILED=$((TOTAL_FAILED + 1))
  SUMMARY+=("$1: $2 FAILED")
}

# run_ctest CONFIG BUILD_DIR [CTEST_ARGS...]: run the tests, print the skip reasons, count.
run_ctest() {
  local config=$1 build=$2 junit=$2/junit.xml
  shift 2
  rm -f "$junit" "$build/Testing/Temporary/LastTestsFailed.log"
  (cd "$build" && ctest --output-on-failure --timeout 300 -j"$JOBS" --output-junit "$junit" "$@")
  echo "-- skipped tests and their reasons ($config):"
  grep -h '^SKIP:' "$build/Testing/Temporary/LastTest.log" | grep -v 'runner self-test' |
    sort | uniq -c || echo "   (none)"
  if [ -f "$junit" ]; then
    count_junit "$junit" "$config"
  else
    fail_step "$config" "ctest"
  fi
  report_retries "$config" "$build"
}

# report_retries CONFIG BUILD_DIR: name the tests that failed once and passed when run again
# (only where ctest was given --repeat); they are counted as passed, and shown here and in the
# summary so that a flaky test is never hidden.
report_retries() {
  local config=$1 log=$2/Testing/Temporary/LastTest.log retried
  [ -f "$log" ] || return 0
  retried=$(awk '/^[0-9]+\/[0-9]+ Test: /{name=$3} /^Test Failed\./{print name}' "$log" | sort -u |
    while read -r name; do
      grep -q ":$name\$" "$2/Testing/Temporary/LastTestsFailed.log" 2>/dev/null || echo "$name"
    done | tr '\n' ' ')
  if [ -n "$retried" ]; then
    echo "-- WARNING ($config): failed once, passed when run again: $retried"
    SUMMARY+=("$config: passed only on a second run: $retried")
  fi
}

# build_config CONFIG BUILD_DIR CMAKE_ARGS...: configure and build; false on failure.
build_config() {
  local config=$1 build=$2
  shift 2
  echo
  echo "===== $config ====="
  if ! cmake -S "$ROOT" -B "$build" -G Ninja -DXIPC_WERROR=ON "$@" >"$build.configure.log" 2>&1; then
    cat "$build.configure.log"
    fail_step "$config" "configure"
    return 1
  fi
  if ! cmake --build "$build" -j"$JOBS"; then
    fail_step "$config" "build"
    return 1
  fi
}

config_format() {
  echo
  echo "===== format ====="
  local files
  files=$(git ls-files '*.c' '*.h' | grep -v '^cmake/msvc-poison/')
  if clang-format --dry-run --Werror $files; then
    SUMMARY+=("format: clean")
  else
    fail_step format "clang-format (run: clang-format -i \$(git ls-files '*.c' '*.h'))"
  fi
}

# A 32-bit build: its tests, and its test runner as the 32-bit peer of later configurations.
config_linux_gcc_m32() {
  local b=$BUILD_ROOT/linux-gcc-m32
  mkdir -p "$BUILD_ROOT"
  build_config linux-gcc-m32 "$b" -DCMAKE_C_COMPILER=gcc -DCMAKE_C_FLAGS=-m32 \
    -DCMAKE_BUILD_TYPE=Release -DXIPC_BUILD_EXAMPLES=OFF -DXIPC_BUILD_TOOLS=OFF || return
  export XIPC_TEST_PEER32=$b/bin/xipc_tests
  run_ctest linux-gcc-m32 "$b"
}

config_linux_gcc_asan() {
  local b=$BUILD_ROOT/linux-gcc-asan
  mkdir -p "$BUILD_ROOT"
  build_config linux-gcc-asan "$b" -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Debug \
    -DXIPC_SANITIZE=address,undefined -DXIPC_PACKAGING_TESTS=ON || return
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    XIPC_TEST_TIMEOUT_MULTIPLIER=2 run_ctest linux-gcc-asan "$b"
}

config_linux_clang() {
  local b=$BUILD_ROOT/linux-clang
  mkdir -p "$BUILD_ROOT"
  build_config linux-clang "$b" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_SHARED_LIBS=ON -DXIPC_SPAWN_FORCE_FORK=ON -DXIPC_PACKAGING_TESTS=ON || return
  run_ctest linux-clang "$b"
}

# ThreadSanitizer tracks one address space and models locks it sees taken. Two tests
# leave its model: a robust mutex handed on by a dead owner (EOWNERDEAD).
TSAN_EXCLUDED="mutex\.(owner_killed_in_critical_section|not_recoverable_without_consistent|closed_while_held_is_abandoned)"

config_linux_clang_tsan() {
  local b=$BUILD_ROOT/linux-clang-tsan
  mkdir -p "$BUILD_ROOT"
  build_config linux-clang-tsan "$b" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DXIPC_SANITIZE=thread || return
  echo "-- not under ThreadSanitizer (EOWNERDEAD hand-over): $TSAN_EXCLUDED"
  TSAN_OPTIONS=halt_on_error=1 XIPC_TEST_TIMEOUT_MULTIPLIER=3 \
    run_ctest linux-clang-tsan "$b" -E "$TSAN_EXCLUDED"
}

# Wine start-up order from WINDOWS-CI.md: a persistent wineserver and Wine's services
# started before ctest, with their stdio on /dev/null, or ctest hangs or crawls.
start_wine() {
  export WINEPREFIX=$1 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEARCH=win64
  unset DISPLAY WAYLAND_DISPLAY
  mkdir -p "$WINEPREFIX"
  wineserver -k >/dev/null 2>&1 || true
  wineserver -w
  trap 'wineserver -k >/dev/null 2>&1 || true; wineserver -w || true' EXIT
  wineserver -p >/dev/null 2>&1 </dev/null
  wineboot --init >/dev/null 2>&1 </dev/null
  wine cmd /c exit >/dev/null 2>&1 </dev/null
}

stop_wine() {
  wineserver -k >/dev/null 2>&1 || true
  wineserver -w || true
  trap - EXIT
}

config_windows_mingw() {
  local b=$BUILD_ROOT/windows-mingw
  mkdir -p "$BUILD_ROOT"
  build_config windows-mingw "$b" -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/toolchains/mingw-w64-x86_64.cmake" \
    -DCMAKE_BUILD_TYPE=Debug -DBUILD_SHARED_LIBS=ON -DXIPC_PACKAGING_TESTS=ON || return
  echo "-- starting Wine ($(wine --version))"
  start_wine "$b/wineprefix"
  # One more run for a test that fails under Wine: Wine itself now and then fails to start a
  # program (no output, 0 s). Such tests are named in the summary (report_retries).
  XIPC_TEST_TIMEOUT_MULTIPLIER=3 run_ctest windows-mingw "$b" --repeat until-pass:2
  stop_wine
}

config_windows_clang() {
  local b=$BUILD_ROOT/windows-clang
  mkdir -p "$BUILD_ROOT"
  if build_config windows-clang "$b" \
    -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/toolchains/clang-mingw-w64-x86_64.cmake" \
    -DCMAKE_BUILD_TYPE=Release; then
    SUMMARY+=("windows-clang: library, tests, examples and tools compile (not run)")
  fi
}

for config in $CONFIGS; do
  case $config in
  format) config_format ;;
  linux-gcc-m32) config_linux_gcc_m32 ;;
  linux-gcc-asan) config_linux_gcc_asan ;;
  linux-clang) config_linux_clang ;;
  linux-clang-tsan) config_linux_clang_tsan ;;
  windows-mingw) config_windows_mingw ;;
  windows-clang) config_windows_clang ;;
  *)
    echo "unknown configuration $config" >&2
    exit 2
    ;;
  esac
done

echo
echo "===== summary ($(($(date +%s) - START)) s) ====="
printf '  %s\n' "${SUMMARY[@]}"
echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed, $TOTAL_SKIPPED skipped"
[ "$TOTAL_FAILED" -eq 0 ] && [ "$TOTAL_PASSED" -gt 0 ]
