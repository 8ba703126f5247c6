#!/usr/bin/env bash
# Builds the libFuzzer targets (the .golf frontend, the artifact reader) with clang into build-fuzz/.
# The lit suite then runs each for a bounded time (test/fuzz/{parser,artifact}.test).
set -euo pipefail
cd "$(dirname "$0")/.."
CC=clang-14 CXX=clang++-14 cmake -G Ninja -S . -B build-fuzz -DGOLF_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=Release -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
  -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-19/build/utils/lit/lit.py >/dev/null
ninja -C build-fuzz golf-parser-fuzzer golf-artifact-fuzzer
