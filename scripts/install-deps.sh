#!/usr/bin/env bash
# Installs everything golfc needs to build and test on a fresh Debian bookworm machine.
# Debian packages only (plus PyPI where a test tier needs it); safe to run twice.
# The CUDA backend (runtime/cuda) also needs a CUDA 12+ toolkit (headers,
# cudart_static, NVRTC, cuBLASLt; no GPU and no driver) at /usr/local/cuda, or
# wherever CUDAToolkit_ROOT points; this script does not install it. Without
# one, golfc builds CPU-only.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  # compiler toolchain and build system
  g++ cmake ninja-build python3 git
  # LLVM/MLIR 19 (static archives, tablegen, FileCheck/not, lit)
  libmlir-19-dev mlir-19-tools llvm-19-dev llvm-19-tools
  # clang + compiler-rt for the libFuzzer targets
  clang-14 libclang-rt-14-dev
  # runtime libraries: compression, tokenizer, BLAS
  libzstd-dev liblzma-dev zlib1g-dev libsentencepiece-dev libopenblas-dev
  # JSON for plans, checkpoints metadata and logs; GoogleTest for unit tests
  nlohmann-json3-dev libgtest-dev
  # xz to unpack the FineWeb val head
  xz-utils
  # pip fetches the cuDNN frontend's headers (below)
  python3-pip
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi

# The cuDNN frontend (header-only, MIT) for --attention=cudnn: its headers
# ship in the PyPI wheel nvidia-cudnn-frontend; they go to .deps/ (ignored),
# where CMake looks. cuDNN itself is opened at run time (libcudnn.so.9).
CUDNN_FRONTEND_VERSION=1.32.0
frontend="$(cd "$(dirname "$0")/.." && pwd)/.deps/cudnn-frontend-$CUDNN_FRONTEND_VERSION"
if [ ! -f "$frontend/include/cudnn_frontend.h" ]; then
  echo "install-deps: fetching nvidia-cudnn-frontend $CUDNN_FRONTEND_VERSION headers"
  wheels=$(mktemp -d)
  if python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.11 \
    --platform manylinux_2_28_x86_64 -d "$wheels" "nvidia-cudnn-frontend==$CUDNN_FRONTEND_VERSION"; then
    python3 - "$wheels"/*.whl "$frontend" <<'PY'
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith("include/"):
            z.extract(name, dest)
PY
  else
    echo "install-deps: warning: could not fetch nvidia-cudnn-frontend from PyPI;" \
      "golfc builds without --attention=cudnn" >&2
  fi
  rm -rf "$wheels"
fi

if [ ! -d /usr/local/cuda/include ]; then
  echo "install-deps: note: no CUDA toolkit at /usr/local/cuda; the CUDA backend will not be built" \
    "(install CUDA 12+ there or pass -DCUDAToolkit_ROOT=... to scripts/build.sh)" >&2
fi
