#!/usr/bin/env bash
# Copies what a GPU run needs into .device/ (git-ignored; name it in the
# device tool's `carry`): golfc and its SentencePiece plugin, the CUDA
# runtime tests, the attention check (ATTENTION=1), the shared libraries the GPU machine
# lacks (OpenBLAS and its Fortran runtime for the CPU reference,
# SentencePiece, liblzma, libcudart.so.13 for the cuDNN frontend), and the
# data of the benchmarks: the corpus
# training shard and the FineWeb val head made by scripts/make-data.sh, and
# the sp1024 tokenizer from the shared data. Programs and libraries travel
# xz-packed in .device/pack.tar.xz (about 10 MB instead of 55: a call carries at
# most 64 MiB with the tree); bench/device_env.sh unpacks them there.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${GOLF_SHARED_DATA:-$(cd .. && pwd)/shared/data}"
rm -rf .device/lib .device/golfc .device/golf-cuda-tests .device/attention_check .device/libgolf_spm.so
mkdir -p .device/lib .device/data
# Stripped: what travels is limited to 64 MiB (OpenBLAS alone is 36 MB).
cp build/bin/golfc build/bin/libgolf_spm.so build/test/runtime/cuda/golf-cuda-tests .device/
if [ "${ATTENTION:-0}" = 1 ]; then cp build/bin/attention_check .device/; fi
strip .device/golfc .device/golf-cuda-tests .device/attention_check 2>/dev/null || true
for lib in libopenblas.so.0 libgfortran.so.5 libquadmath.so.0 libsentencepiece.so.0 liblzma.so.5; do
  cp -L "$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')" ".device/lib/$lib"
done
# The cuDNN frontend (--attention=cudnn) opens libcudart.so.13 itself.
cp -L "$(find /usr/local/cuda/lib /usr/local/cuda/lib64 -name libcudart.so.13 2>/dev/null | head -1)" .device/lib/
bash scripts/make-data.sh >/dev/null
cp data/datasets/corpus_sp1024/fineweb_train_000000.bin data/datasets/corpus_sp1024/fineweb_val_000000.bin \
  "$SHARED/fineweb_1024_bpe.model" .device/data/
tar -cJf .device/pack.tar.xz -C .device lib golfc libgolf_spm.so golf-cuda-tests \
  $([ -f .device/attention_check ] && echo attention_check)
rm -rf .device/lib .device/golfc .device/libgolf_spm.so .device/golf-cuda-tests .device/attention_check
du -sh .device
