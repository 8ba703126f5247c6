#!/usr/bin/env bash
# bench/multi_gpu (issue 7), one call on a machine with several GPUs, from a
# bundle made by bench/bundle.sh:
#   1. parity: examples/tiny.golf, fp32, STEPS_TINY steps on the same
#      tokens: one GPU accumulating 2 micro-batches of 8 sequences against
#      `--gpus 2` with one each (losses step by step);
#   2. scaling: examples/baseline.golf at 524,288 tokens per step on 1, 2, 4
#      and 8 GPUs (as many as there are), STEPS steps each from a warm
#      kernel cache: median step time, tokens/s, efficiency against 1 GPU.
# With one GPU, step 1 trains the 1-GPU side only (NCCL runs one rank per
# device) and step 2 runs on 1 GPU only.
#   STEPS=60 STEPS_TINY=20 bash bench/multi_gpu/run.sh
set -u
cd "$(dirname "$0")/../.."
. bench/device_env.sh
export NCCL_NVLS_ENABLE=0
OUT="${OUT:-/tmp/golf-out}" WORK="${WORK:-/tmp/golf-multi}"
STEPS="${STEPS:-60}" STEPS_TINY="${STEPS_TINY:-20}"
DATA=.device/data GOLFC=.device/golfc
data=(--train-data "$DATA/fineweb_train_*.bin" --val-data "$DATA/fineweb_val_*.bin"
      --tokenizer "$DATA/fineweb_1024_bpe.model")
rm -rf "$WORK" && mkdir -p "$WORK" "$OUT"
trap 'tar -czf "$OUT/multi-logs.tar.gz" -C "$WORK" --exclude="*.ckpt" . 2>/dev/null' EXIT
GPUS=$(nvidia-smi --query-gpu=name --format=csv,noheader | wc -l)
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader

echo "== 1. parity: tiny, fp32, 1 GPU x 2 micro-batches vs 2 ranks x 1"
tiny=(examples/tiny.golf --autocast=off --batch=8 --iterations "$STEPS_TINY" --val-tokens 65536
      --log-every 5 "${data[@]}")
$GOLFC train "${tiny[@]}" --device=gpu --run-dir "$WORK/tiny-1" > "$WORK/tiny-1.txt" 2>&1
echo "1 GPU: rc=$?"; grep -E "error|train loss|val_bpb" "$WORK/tiny-1.txt" | head -4
if [ "$GPUS" -ge 2 ]; then
  $GOLFC train "${tiny[@]}" --gpus 2 --run-dir "$WORK/tiny-2" > "$WORK/tiny-2.txt" 2>&1
  echo "--gpus 2: rc=$?"
else
  # NCCL does not put two ranks on one device: ncclCommInitRank answers
  # "invalid usage" (H100, 2026-12-07). The parity needs two GPUs.
  echo "one GPU: no data-parallel parity (NCCL runs one rank per device)"
fi
grep -E "error|died|NCCL|executor|val_bpb" "$WORK/tiny-2.txt" 2>/dev/null | head -12
python3 - "$WORK" <<'PY'
import json, sys, os
def losses(d):
    p = f"{d}/log.jsonl"
    if not os.path.exists(p): return {}
    return {e["step"]: e["loss"] for e in map(json.loads, open(p)) if e.get("event") == "step"}
a, b = losses(sys.argv[1] + "/tiny-1"), losses(sys.argv[1] + "/tiny-2")
common = sorted(set(a) & set(b))
if not common:
    print("tiny parity: no common steps (the data-parallel run failed)")
else:
    worst = max(abs(a[s] - b[s]) / abs(a[s]) for s in common)
    print(f"tiny parity: {len(common)} steps; last loss 1 GPU {a[common[-1]]:.6f}, 2 ranks {b[common[-1]]:.6f}; worst rel diff {worst:.2e}")
PY

echo "== 2. scaling: baseline, $STEPS steps per run"
for n in 1 2 4 8; do
  [ "$n" -le "$GPUS" ] || break
  flags=(--device=gpu)
  [ "$n" -gt 1 ] && flags=(--gpus "$n")
  timeout 400 $GOLFC train examples/baseline.golf "${flags[@]}" --iterations 20000 --wallclock 0 \
    --max-steps "$STEPS" --val-tokens 65536 "${data[@]}" --log-every 10 --run-dir "$WORK/base-$n" \
    > "$WORK/base-$n.txt" 2>&1
  echo "$n GPU(s): rc=$?"; grep -E "error|died|executor|train time|GPU memory" "$WORK/base-$n.txt" | head -6
done
python3 - "$WORK" "$GPUS" <<'PY'
import json, sys, os, statistics
rows, base = [], None
for n in (1, 2, 4, 8):
    p = f"{sys.argv[1]}/base-{n}/log.jsonl"
    if n > int(sys.argv[2]) or not os.path.exists(p): continue
    ev = [json.loads(l) for l in open(p)]
    ms = [e["step_ms"] for e in ev if e.get("event") == "progress" and e["step"] > 10]
    if not ms: continue
    med = statistics.median(ms)
    base = base or med
    rows.append((n, med, 524288 / med * 1e3, base / med / n * 100))
print(f"{'GPUs':>4} {'ms/step':>9} {'tokens/s':>12} {'efficiency':>10}")
for n, med, tps, eff in rows:
    print(f"{n:>4} {med:>9.1f} {tps:>12,.0f} {eff:>9.1f}%")
PY
