#!/usr/bin/env bash
# The main job on a fresh machine: install, build, make the data (an English
# corpus from Debian packages tokenized with the official sp1024 tokenizer,
# and the FineWeb val head), then compile, train and evaluate
# examples/tiny.golf on the CPU reference executor. Every compiler phase of
# the baseline is also written to runs/baseline/phases/.
#
# Export to a compressed artifact (issue 6) and the GPU backend (issue 5)
# are not built yet; on a machine with a GPU this job still runs on the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${GOLF_SHARED_DATA:-$(cd .. && pwd)/shared/data}"
bash scripts/install-deps.sh
bash scripts/build.sh
bash scripts/make-data.sh

mkdir -p runs/baseline
./build/bin/golfc compile examples/baseline.golf --emit=summary \
  --dump-phases-to=runs/baseline/phases | tail -8
echo "baseline phases written to runs/baseline/phases/"
echo

./build/bin/golfc train examples/tiny.golf \
  --train-data 'data/datasets/corpus_sp1024/fineweb_train_*.bin' \
  --val-data 'data/datasets/corpus_sp1024/fineweb_val_*.bin' \
  --tokenizer "$SHARED/fineweb_1024_bpe.model" \
  --run-dir runs/tiny
