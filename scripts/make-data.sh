#!/usr/bin/env bash
# Builds the data the main job and the end-to-end tests train and evaluate on,
# under data/ (git-ignored; nothing here is committed):
#   data/corpus/corpus.jsonl                English text from Debian packages
#   data/datasets/corpus_sp1024/fineweb_train_000000.bin   it, tokenized with sp1024
#   data/datasets/corpus_sp1024/fineweb_val_000000.bin     the FineWeb val head
# The official tokenizer and val head are read from ../shared/data (or $GOLF_SHARED_DATA).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${GOLF_SHARED_DATA:-$(cd .. && pwd)/shared/data}"
OUT=data/datasets/corpus_sp1024
if [ -f "$OUT/fineweb_train_000000.bin" ] && [ -f "$OUT/fineweb_val_000000.bin" ]; then
  echo "make-data: $OUT is ready"
  exit 0
fi
mkdir -p data/corpus "$OUT"
./build/bin/golfc data corpus --out data/corpus
./build/bin/golfc data tokenize --model "$SHARED/fineweb_1024_bpe.model" \
  --in data/corpus/corpus.jsonl --out "$OUT" --prefix fineweb_train --overwrite
./build/bin/golfc data val-shard --head "$SHARED/fineweb_val_head_sp1024.u16.xz" --out "$OUT"
