#!/usr/bin/env bash
# Configures and builds golfc into build/ (Release, Ninja, MLIR/LLVM 19 linked
# statically). Extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release \
  -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
  -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-19/build/utils/lit/lit.py "$@" >/dev/null
ninja -C build
