#!/usr/bin/env bash
# Copies what a GPU run needs into .device/ (ignored; name it in the device
# tool's `carry`): golfc, the CUDA runtime tests, the attention check, and the shared libraries the
# GPU machine lacks (OpenBLAS and its Fortran runtime, for the CPU reference).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .device/lib
cp build/bin/golfc build/bin/attention_check build/test/runtime/cuda/golf-cuda-tests .device/
for lib in libopenblas.so.0 libgfortran.so.5 libquadmath.so.0; do
  cp -L "$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')" ".device/lib/$lib"
done
du -sh .device
