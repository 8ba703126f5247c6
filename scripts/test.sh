#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole test suite: installs the Debian
# packages, builds golfc and the fuzzer, then runs every test under ctest
# (the lit suite: IR, passes, frontend, invalid inputs, examples, docs, and
# a bounded fuzz run; GOLF_FUZZ_SECONDS sets its length, default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/fuzz.sh
bash scripts/build.sh -DGOLF_FUZZ_DIR="$PWD/build-fuzz/bin"
cd build
ctest --output-on-failure
