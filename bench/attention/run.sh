#!/usr/bin/env bash
# GPU check and benchmark of the attention kernels, on the GPU machine, from a
# build directory made on the development machine (with the CUDA toolkit
# found, so that bin/attention_check exists) and copied there:
#   bench/attention/run.sh [BUILD_DIR] [attention_check options]
# BUILD_DIR defaults to build/ beside this checkout. Options: --quick (fewer
# configurations), --reps N (timed repetitions, default 20), --filter TEXT.
# Prints one row per configuration (errors against a naive fp64 GPU
# reference, median times, TFLOP/s); exits 1 if any error exceeds 1e-2.
# Then, where PyTorch is installed, bench/attention/torch_sdpa.py times
# PyTorch's flash and cuDNN attention at the same shapes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$here/../../build"
if [ $# -gt 0 ] && [ -d "$1" ]; then
  build="$1"
  shift
fi
exe="$build/bin/attention_check"
if [ ! -x "$exe" ]; then
  echo "no $exe: configure with a CUDA toolkit (CUDAToolkit found) and build attention_check" >&2
  exit 2
fi
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader 2>/dev/null || true
echo "commit: $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%F)"
status=0
"$exe" "$@" || status=$?
# The same shapes through PyTorch's SDPA: FlashAttention-2 and cuDNN's fused
# attention (issue 5: own kernels or cuDNN, whichever is faster).
if python3 -c "import torch" 2>/dev/null; then
  python3 "$here/torch_sdpa.py"
else
  echo "torch_sdpa.py skipped: no PyTorch here"
fi
exit "$status"
