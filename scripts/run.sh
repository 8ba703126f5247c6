#!/usr/bin/env bash
# The main job on a fresh machine: install, build, compile the baseline model
# and print what the compiler made of it (parameter table; the IR and every
# phase are written to runs/baseline/phases/).
#
# Training, export and evaluation join this job as the runtime lands
# (issues 4-6); today it stops after compilation.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
mkdir -p runs/baseline
./build/bin/golfc compile examples/baseline.golf --emit=summary \
  --dump-phases-to=runs/baseline/phases
echo
echo "phases written to runs/baseline/phases/ (00-ast.golf, 01-lowered.mlir, 02-ir.mlir, summary.txt)"
