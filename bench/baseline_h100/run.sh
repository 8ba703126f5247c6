#!/usr/bin/env bash
# bench/baseline_h100 (issue 5), one call on the H100 machine, from a bundle
# made here by bench/bundle.sh (golfc, the CUDA tests, OpenBLAS, the corpus
# shard, the FineWeb val head and the sp1024 tokenizer under .device/):
#   1. the CUDA runtime tests (GPU optimizers against the CPU ones, ...);
#   2. parity of the trainers: examples/tiny.golf trained STEPS_TINY steps on
#      the CPU reference and on the GPU, fp32, same tokens: loss per step;
#   2b. with PROFILE=1, golfc profile of the baseline's @loss_grad;
#   3. golfc trains examples/baseline.golf STEPS steps on the GPU at 524,288
#      tokens per step (8 x 64 x 1024), kernels compiled from an empty cache;
#   4. torch_train.py trains the same model, torch.compile'd, from the same
#      initial weights on the same tokens;
#   4b. with TORCH_AGAIN=1, torch_train.py a second time (run-to-run noise
#      of the loss curve, which the parity target is judged against);
#   3b. with EXPORT=1, bench/baseline_h100/export.sh on that run;
#   5. with SEED=1, golfc trains the 10-layer seed (000) SEED_STEPS steps, from
#      a warm kernel cache;
# then prints one table. T_GOLFC, T_TORCH, T_EXPORT bound those phases (s).
# GOLFC_FLAGS go to golfc train and profile (e.g. --attention=cudnn,
# --memory-budget=8). Runs go to $WORK; their logs come back as
# $OUT/logs.tar.gz (the device tool returns at most 8 files).
#   STEPS=300 STEPS_TINY=30 SEED=1 bash bench/baseline_h100/run.sh
set -u
cd "$(dirname "$0")/../.."
. bench/device_env.sh
OUT="${OUT:-/tmp/golf-out}" WORK="${WORK:-/tmp/golf-bench}"
STEPS="${STEPS:-300}" STEPS_TINY="${STEPS_TINY:-30}" SEED="${SEED:-0}" SEED_STEPS="${SEED_STEPS:-30}"
DATA=.device/data
TRAIN="$DATA/fineweb_train_*.bin" VAL="$DATA/fineweb_val_*.bin" TOK="$DATA/fineweb_1024_bpe.model"
GOLFC=.device/golfc
read -r -a flags <<< "${GOLFC_FLAGS:-}"
rm -rf "$WORK" && mkdir -p "$WORK" "$OUT"
trap 'tar -czf "$OUT/logs.tar.gz" -C "$WORK" --exclude=init --exclude="*.ckpt" . 2>/dev/null' EXIT
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader

echo "== 1. runtime/cuda tests"
.device/golf-cuda-tests --gtest_brief=1 --gtest_filter="${CUDA_TESTS:-*}" 2>&1 | tail -12

echo "== 2. tiny: CPU reference vs GPU, fp32, $STEPS_TINY steps"
common=(examples/tiny.golf --autocast=off --iterations "$STEPS_TINY" --train-data "$TRAIN"
        --val-data "$VAL" --tokenizer "$TOK" --val-tokens 65536 --log-every 10)
$GOLFC train "${common[@]}" --device=cpu --run-dir "$WORK/tiny-cpu" > "$WORK/tiny-cpu.txt" 2>&1
$GOLFC train "${common[@]}" --device=gpu --run-dir "$WORK/tiny-gpu" > "$WORK/tiny-gpu.txt" 2>&1
tail -3 "$WORK/tiny-gpu.txt"
python3 - "$WORK" <<'PY'
import json, sys
def losses(d):
    return {e["step"]: e["loss"] for e in map(json.loads, open(f"{d}/log.jsonl")) if e.get("event") == "step"}
c, g = losses(sys.argv[1] + "/tiny-cpu"), losses(sys.argv[1] + "/tiny-gpu")
worst = max(abs(g[s] - c[s]) / abs(c[s]) for s in c)
print(f"tiny parity: {len(c)} steps, loss step 1 cpu {c[1]:.6f} gpu {g[1]:.6f}; last cpu {c[max(c)]:.6f} gpu {g[max(g)]:.6f}; worst rel diff {worst:.2e}")
PY

echo "== 3. golfc: baseline, $STEPS steps, cold kernel cache"
rm -rf "$GOLF_CACHE_DIR"
RUN="$WORK/baseline"
# --iterations 20000 --wallclock 0: the warmdown lies far ahead, so both
# trainers run at LR multiplier 1 whatever their speed; --max-steps stops.
timeout "${T_GOLFC:-300}" $GOLFC train examples/baseline.golf "${flags[@]}" --device=gpu --iterations 20000 --wallclock 0 --max-steps "$STEPS" \
  --train-data "$TRAIN" --val-data "$VAL" --tokenizer "$TOK" \
  --run-dir "$RUN" --save-init "$RUN/init" --log-every 50 > "$WORK/golfc-baseline.txt" 2>&1
echo "rc=$?"; grep -E "golfc train:|^step|val_bpb|train time|GPU memory|error" "$WORK/golfc-baseline.txt" | head -20

echo "== 4. torch.compile: baseline, $STEPS steps"
timeout "${T_TORCH:-300}" python3 bench/baseline_h100/torch_train.py --plan "$RUN/plan.json" --init "$RUN/init" \
  --train-data "$TRAIN" --steps "$STEPS" --wallclock 0 --json "$WORK/torch-baseline.jsonl" \
  --log-every 50 > "$WORK/torch-baseline.txt" 2>&1
echo "rc=$?"; grep -vE "^\{" "$WORK/torch-baseline.txt" | tail -8
noise=()
if [ "${TORCH_AGAIN:-0}" = 1 ]; then
  echo "== 4b. torch.compile again: the same init and tokens (run-to-run noise)"
  timeout "${T_TORCH:-300}" python3 bench/baseline_h100/torch_train.py --plan "$RUN/plan.json" --init "$RUN/init" \
    --train-data "$TRAIN" --steps "$STEPS" --wallclock 0 --json "$WORK/torch-baseline-2.jsonl" \
    --log-every 50 > "$WORK/torch-baseline-2.txt" 2>&1
  echo "rc=$?"
  noise=(--noise "$WORK/torch-baseline-2.jsonl")
fi

echo "== summary (baseline, one GPU)"
python3 bench/baseline_h100/report.py "$RUN" "$WORK/torch-baseline.jsonl" "$WORK/torch-baseline.txt" "${noise[@]}"

if [ "${PROFILE:-0}" = 1 ]; then
  echo "== 2b. golfc profile: baseline @loss_grad, one 64 x 1024 micro-batch"
  timeout 120 $GOLFC profile examples/baseline.golf "${flags[@]}" --function=loss_grad --repeat=5 --top="${TOP:-25}" > "$WORK/profile.txt" 2>&1
  grep -vE "^\s*$" "$WORK/profile.txt" | head -$((35 + ${TOP:-25}))
  echo "== 2c. golfc profile: the optimizer step (Muon + Adam, all parameters; target <= 10 ms)"
  timeout 60 $GOLFC profile examples/baseline.golf --function=optimizer --repeat=20 2>&1 | tail -2
fi

if [ "${EXPORT:-0}" = 1 ]; then
  echo "== 3b. export of the golfc-trained baseline (issue 6)"
  timeout "${T_EXPORT:-150}" bash bench/baseline_h100/export.sh "$RUN" "$WORK"
fi

if [ "$SEED" = 1 ]; then
  echo "== 5. golfc: seed 000 (10 layers, MLP 3x, BigramHash, seq 2048), $SEED_STEPS steps, warm cache"
  $GOLFC train examples/seeds/000_10l_ngram_backoff.golf "${flags[@]}" --device=gpu --iterations "$SEED_STEPS" \
    --wallclock 0 --train-data "$TRAIN" --val-data "$VAL" --tokenizer "$TOK" --val-tokens 262144 \
    --run-dir "$WORK/seed000" --log-every 10 > "$WORK/golfc-seed000.txt" 2>&1
  echo "rc=$?"; grep -E "golfc train:|^step|train time|GPU memory|error" "$WORK/golfc-seed000.txt" | tail -8
fi

