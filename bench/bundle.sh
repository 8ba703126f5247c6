#!/usr/bin/env bash
# Copies what a GPU run needs into .device/ (git-ignored; name it in the
# device tool's `carry`): golfc and its SentencePiece plugin, the CUDA
# runtime tests, the attention check (ATTENTION=1), the shared libraries the GPU machine
# lacks (OpenBLAS and its Fortran runtime for the CPU reference,
# SentencePiece, liblzma), and the data of the benchmarks: the corpus
# training shard and the FineWeb val head made by scripts/make-data.sh, and
# the sp1024 tokenizer from the shared data.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${GOLF_SHARED_DATA:-$(cd .. && pwd)/shared/data}"
mkdir -p .device/lib .device/data
# Stripped: what travels is limited to 64 MiB (OpenBLAS alone is 36 MB).
cp build/bin/golfc build/bin/libgolf_spm.so build/test/runtime/cuda/golf-cuda-tests .device/
if [ "${ATTENTION:-0}" = 1 ]; then cp build/bin/attention_check .device/; fi
strip .device/golfc .device/golf-cuda-tests .device/attention_check 2>/dev/null || true
for lib in libopenblas.so.0 libgfortran.so.5 libquadmath.so.0 libsentencepiece.so.0 liblzma.so.5; do
  cp -L "$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')" ".device/lib/$lib"
done
bash scripts/make-data.sh >/dev/null
cp data/datasets/corpus_sp1024/fineweb_train_000000.bin data/datasets/corpus_sp1024/fineweb_val_000000.bin \
  "$SHARED/fineweb_1024_bpe.model" .device/data/
du -sh .device
