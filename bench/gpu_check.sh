#!/usr/bin/env bash
# On the GPU machine, from a bundle made by bench/bundle.sh: the CUDA runtime
# tests, then `golfc check` (GPU vs CPU reference, tensor by tensor) on the
# tiny model, the baseline and every seed example (or the .golf files in
# $MODELS). Extra arguments go to golfc check. EXACT=1 checks the f32 model:
# --autocast=off --attention=general, and --set embed_dtype=f32 where the
# file declares it (the baseline's activations take the embedding's dtype).
# Prints one summary table; with ATTENTION=1, then bench/attention's
# attention_check (golfc's kernels and cuDNN's against a float64 reference,
# timed; the bundle needs ATTENTION=1 too); with PROFILE=1, then `golfc
# profile` of the baseline's @loss_grad (with GOLFC_FLAGS, e.g.
# --attention=cudnn). The usual check after a codegen change (the exact
# path, then where time goes):
#   CUDA_TESTS=NONE PROFILE=1 EXACT=1 bash bench/gpu_check.sh
set -u
cd "$(dirname "$0")/.."
. bench/device_env.sh
OUT="${OUT:-/tmp/golf-out}"
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
echo "== runtime/cuda tests"
.device/golf-cuda-tests --gtest_brief=1 --gtest_filter="${CUDA_TESTS:-*}" 2>&1 | tail -15
summary=""
for f in ${MODELS:-examples/tiny.golf examples/baseline.golf examples/seeds/*.golf}; do
  name=$(basename "$f" .golf)
  echo "== golfc check $f"
  exact=()
  if [ "${EXACT:-0}" = 1 ]; then
    exact=(--autocast=off --attention=general)
    if grep -q '^embed_dtype *=' "$f"; then exact+=(--set embed_dtype=f32); fi
  fi
  start=$(date +%s)
  .device/golfc check "$f" "${exact[@]}" "$@" > "$OUT/check-$name.txt" 2>&1
  rc=$?
  end=$(date +%s)
  grep -v '  ok$' "$OUT/check-$name.txt" | head -40
  summary+=$(printf '%-32s rc=%d %5ds  %s' "$name" "$rc" "$((end - start))" "$(tail -1 "$OUT/check-$name.txt")")$'\n'
done
echo "== summary"
printf '%s' "$summary"
if [ "${ATTENTION:-0}" = 1 ]; then
  echo "== attention_check: golfc's kernels and cuDNN against float64"
  timeout 300 .device/attention_check 2>&1 | tail -40
fi
if [ "${PROFILE:-0}" = 1 ]; then
  echo "== golfc profile: baseline @loss_grad, one 64 x 1024 micro-batch"
  read -r -a flags <<< "${GOLFC_FLAGS:-}"
  timeout 120 .device/golfc profile examples/baseline.golf "${flags[@]}" --function=loss_grad --repeat=5 --top=40 2>&1 |
    grep -vE "^\s*$" | head -80
fi
