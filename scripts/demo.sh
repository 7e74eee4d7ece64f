#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build xipc (Release) and run its demo: ./scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
xipc_need_packages gcc cmake ninja-build
BUILD=${XIPC_BUILD_DIR:-build/demo}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DXIPC_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD"
echo
"$BUILD/bin/xipc" demo
echo
echo "Transports between two processes, xipc against plain system calls (xipc-bench --quick):"
"$BUILD/bin/xipc-bench" --quick --rounds 1
