#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole test suite: installs the Debian
# packages, builds golfc and the fuzzer, makes the corpus and val shard
# (scripts/make-data.sh), then runs every test under ctest: the lit suite (IR,
# passes, frontend and invalid inputs, gradient rules against finite
# differences, examples, docs, end-to-end CPU training, a bounded fuzz run;
# GOLF_FUZZ_SECONDS sets its length, default 60) and the GoogleTest suites of
# the runtime (data, CPU executor, training numerics).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/fuzz.sh
bash scripts/build.sh -DGOLF_FUZZ_DIR="$PWD/build-fuzz/bin"
bash scripts/make-data.sh
cd build
ctest --output-on-failure
