#!/usr/bin/env bash
# CPU self-test of bench/baseline_h100/torch_train.py against golfc train.
#
# Builds a tiny baseline (examples/baseline.golf with seq_len 128, 1,024 tokens per
# step, --set layers=3 dim=64 heads=4 kv_heads=2, --batch 2: 4 micro-batches of 2 x
# 128 per step), writes three tiny shards (one empty; 5 steps wrap around them),
# trains it 5 steps with `golfc train --autocast=off --save-init`, then runs
# torch_train.py on the CPU in fp32 from the saved init on the same shards, and
# checks:
#   - the loss of every step 1..5 equals golfc's within 1e-5 relative (TOL=; both are
#     fp32, they agree to about 1e-7; step 1 alone sees only tok_emb, because wo
#     and w_proj start at zero; steps 2..5 see every weight, the optimizers, the
#     momentum warm-up and the token order);
#   - with 3 priming steps (run, then undone) the losses are the same again;
#   - the summary's last line is a JSON object {"summary": {...}} with its keys;
#   - the bf16 layout runs on the CPU, its step-1 loss within 2 % of golfc's;
#   - negative cases fail the same check: a spoiled init (noise on tok_emb: step 1;
#     noise on blocks.1.wq: later steps), tokens shifted by one, a shard order changed.
# golfc runs with --set embed_dtype=f32: with the baseline's bf16 embedding golfc
# rounds tok_emb to bf16 after every update and norms its bf16 rows with bf16's
# eps (2^-7), which an fp32 torch model does not.
#
# PYTHON picks the interpreter (default python3; it needs torch and numpy, see
# test/reference/README.md), GOLFC the golfc binary (default build/bin/golfc).
# TORCH_TRAIN_TEST_COMPILE=1 adds a torch.compile'd run (about 70 s on 2 cores).
# Exit 0 when every check passes; the last line is "N passed, M failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=${PYTHON:-python3}
GOLFC=${GOLFC:-$ROOT/build/bin/golfc}
TT="$HERE/torch_train.py"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/     | /' "$2" | tail -30; }

if ! "$PY" -c 'import torch, numpy' 2>/dev/null; then
  echo "FAIL $PY cannot import torch and numpy (set PYTHON, see test/reference/README.md)"
  echo "0 passed, 1 failed"
  exit 1
fi
if [ ! -x "$GOLFC" ]; then
  echo "FAIL no golfc at $GOLFC (bash scripts/build.sh, or set GOLFC)"
  echo "0 passed, 1 failed"
  exit 1
fi

# Shards: a learnable sequence (each id follows from the last 70 % of the time);
# 2,000 + 0 + 1,500 tokens, while 5 steps take 5 x 4 x 257 = 5,140.
"$PY" - "$TMP" <<'EOF'
import os
import sys
import numpy as np
out = sys.argv[1]
rng = np.random.default_rng(0)
def shard(path, n):
    t = np.empty(n, np.int64)
    for i in range(n):
        prev = t[i - 1] if i else 1
        t[i] = (prev * 7 + 3) % 1024 if rng.random() < 0.7 else rng.integers(0, 1024)
    write(path, t)
def write(path, t):
    h = np.zeros(256, "<i4")
    h[:3] = (20240520, 1, len(t))
    with open(path, "wb") as f:
        f.write(h.tobytes())
        f.write(t.astype("<u2").tobytes())
os.makedirs(f"{out}/data", exist_ok=True)
shard(f"{out}/data/d_000000.bin", 2000)
shard(f"{out}/data/d_000001.bin", 0)
shard(f"{out}/data/d_000002.bin", 1500)
# Spoiled copies: every token shifted by one; the two non-empty shards swapped.
os.makedirs(f"{out}/shifted", exist_ok=True)
os.makedirs(f"{out}/swapped", exist_ok=True)
a = np.fromfile(f"{out}/data/d_000000.bin", "<u2", offset=1024).astype(np.int64)
b = np.fromfile(f"{out}/data/d_000002.bin", "<u2", offset=1024).astype(np.int64)
write(f"{out}/shifted/d_000000.bin", a[1:])
write(f"{out}/shifted/d_000001.bin", b)
write(f"{out}/swapped/d_000000.bin", b)
write(f"{out}/swapped/d_000001.bin", a)
EOF

sed -e 's/tokens_per_step = 524288/tokens_per_step = 1024/' -e 's/seq_len = 1024/seq_len = 128/' \
  "$ROOT/examples/baseline.golf" > "$TMP/tiny.golf"
SETS=(--set layers=3 --set dim=64 --set heads=4 --set kv_heads=2 --batch 2)
if "$GOLFC" train "$TMP/tiny.golf" "${SETS[@]}" --set embed_dtype=f32 --autocast=off \
     --train-data "$TMP/data/d_*.bin" --val-data /nonexistent --run-dir "$TMP/run" \
     --save-init "$TMP/init" --max-steps 5 --log-every 1 > "$TMP/golfc.log" 2>&1 \
   && [ -f "$TMP/run/plan.json" ] && [ -f "$TMP/init/tok_emb.npy" ]; then
  ok "golfc train: 5 steps, run dir and init written"
else
  bad "golfc train" "$TMP/golfc.log"
  echo "$pass passed, $((fail)) failed"
  exit 1
fi
# golfc's per-step losses from its JSON log.
"$PY" - "$TMP/run/log.jsonl" > "$TMP/golfc.losses" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "step":
        print(e["step"], repr(e["loss"]))
EOF

# torch NAME EXPECT(pass|fail) [torch_train args...]: runs torch_train.py on the CPU,
# then compares its losses with golfc's; EXPECT says whether they must agree.
torch_run() {
  local name=$1 expect=$2
  shift 2
  local out="$TMP/$name"
  "$PY" "$TT" --plan "$TMP/run/plan.json" --device cpu --steps 5 --warmup-steps 1 \
    --log-every 1 --json "$out.jsonl" --threads 1 "$@" > "$out.log" 2>&1
  local rc=$?
  if [ $rc != 0 ]; then bad "$name: torch_train.py exited $rc" "$out.log"; return 1; fi
  "$PY" - "$TMP/golfc.losses" "$out.jsonl" "${TOL:-1e-5}" > "$out.cmp" 2>&1 <<'EOF'
import json, sys
golfc = {int(s): float(l) for s, l in (line.split() for line in open(sys.argv[1]))}
torch = {e["step"]: e["loss"] for e in map(json.loads, open(sys.argv[2]))}
tol = float(sys.argv[3])
assert sorted(golfc) == list(range(1, 6)), f"golfc logged steps {sorted(golfc)}"
assert sorted(torch) == list(range(1, 6)), f"torch logged steps {sorted(torch)}"
worst = 0.0
for s in range(1, 6):
    r = abs(torch[s] - golfc[s]) / abs(golfc[s])
    worst = max(worst, r)
    print(f"step {s}: golfc {golfc[s]:.8f} torch {torch[s]:.8f} rel {r:.2e}"
          + ("" if r <= tol else f"  > {tol:g}"))
print(f"worst rel {worst:.2e}")
sys.exit(0 if worst <= tol else 1)
EOF
  local agree=$?
  if [ "$expect" = pass ] && [ $agree = 0 ]; then
    ok "$name: losses = golfc's ($(tail -1 "$out.cmp"); step 1 $(sed -n 1p "$out.cmp" | cut -d' ' -f3-8))"
  elif [ "$expect" = fail ] && [ $agree = 1 ]; then
    ok "$name: differs from golfc as it must ($(grep -m1 '>' "$out.cmp" | cut -d: -f1) first; $(tail -1 "$out.cmp"))"
  else
    bad "$name: expected the losses to ${expect/pass/agree}${expect/fail/ differ}" "$out.cmp"
    return 1
  fi
}

torch_run fp32 pass --init "$TMP/init" --train-data "$TMP/data/d_*.bin" --no-compile \
  --prime-steps 0 --precision fp32
cp "$TMP/fp32.log" "$TMP/fp32.stdout"

# The summary line.
if "$PY" - "$TMP/fp32.stdout" > "$TMP/summary.chk" 2>&1 <<'EOF'
import json, sys
last = open(sys.argv[1]).read().splitlines()[-1]
assert last.startswith('{"summary":'), f"last line: {last[:80]}"
s = json.loads(last)["summary"]
need = ["steps", "median_step_ms", "tokens_per_s", "mfu", "peak_mem_gib", "compile_s",
        "first_step_s", "final_loss", "flops_per_token", "tokens_per_step"]
missing = [k for k in need if k not in s]
assert not missing, f"missing {missing}"
assert s["steps"] == 5 and s["tokens_per_step"] == 1024, s
# 6 * (matmul weights: 3 x (wq 64x64 + wk 32x64 + wv 32x64 + wo 64x64 + w_fc 128x64
# + w_proj 64x128) + the tied head 1024x64) + 6 * layers * seq * dim
want = 6 * (3 * (4096 + 2048 + 2048 + 4096 + 8192 + 8192) + 1024 * 64) + 6 * 3 * 128 * 64
assert s["flops_per_token"] == want, (s["flops_per_token"], want)
print(f"median {s['median_step_ms']:.1f} ms, {s['tokens_per_s']:.0f} tok/s, final loss {s['final_loss']:.4f}")
EOF
then ok "summary: last line {\"summary\": ...} parses, keys and FLOPs/token ($(cat "$TMP/summary.chk"))"
else bad "summary line" "$TMP/summary.chk"; fi

torch_run primed pass --init "$TMP/init" --train-data "$TMP/data/d_*.bin" --no-compile \
  --prime-steps 3 --precision fp32
if cmp -s <(cut -d, -f1,2 "$TMP/fp32.jsonl") <(cut -d, -f1,2 "$TMP/primed.jsonl"); then
  ok "priming 3 steps then undoing them: bit-identical losses"
else
  bad "priming changed the losses" "$TMP/primed.jsonl"
fi

# The bf16 layout (the record trainer's) on the CPU: runs, and starts near golfc's fp32.
if "$PY" "$TT" --plan "$TMP/run/plan.json" --init "$TMP/init" --train-data "$TMP/data/d_*.bin" \
     --device cpu --no-compile --steps 2 --prime-steps 0 --precision bf16 --threads 1 \
     --json "$TMP/bf16.jsonl" > "$TMP/bf16.log" 2>&1 \
   && "$PY" -c '
import json, sys
t = json.loads(open(sys.argv[1]).readline())["loss"]
g = float(open(sys.argv[2]).readline().split()[1])
print(f"step 1: bf16 {t:.4f}, golfc fp32 {g:.4f}")
sys.exit(0 if abs(t - g) <= 0.02 * g else 1)' "$TMP/bf16.jsonl" "$TMP/golfc.losses" > "$TMP/bf16.chk" 2>&1
then ok "bf16 layout runs on the CPU ($(cat "$TMP/bf16.chk"))"
else bad "bf16 layout" "$TMP/bf16.log"; cat "$TMP/bf16.chk"; fi

if [ "${TORCH_TRAIN_TEST_COMPILE:-0}" = 1 ]; then
  torch_run compiled pass --init "$TMP/init" --train-data "$TMP/data/d_*.bin" --compile \
    --prime-steps 1 --precision fp32
fi

# Negative cases: the same comparison must fail.
"$PY" - "$TMP" <<'EOF'
import os, shutil, sys
import numpy as np
tmp = sys.argv[1]
rng = np.random.default_rng(1)
# tok_emb ~ N(0, 0.005^2): noise of 10 %; wq ~ U(+-1/8): noise of std 0.05.
for name, param, std in (("init_tok_emb", "tok_emb", 5e-4), ("init_wq", "blocks.1.wq", 0.05)):
    d = f"{tmp}/{name}"
    shutil.copytree(f"{tmp}/init", d)
    w = np.load(f"{d}/{param}.npy")
    np.save(f"{d}/{param}.npy", (w + rng.normal(0, std, w.shape)).astype(np.float32))
EOF
torch_run spoiled-init-tok_emb fail --init "$TMP/init_tok_emb" --train-data "$TMP/data/d_*.bin" \
  --no-compile --prime-steps 0 --precision fp32
torch_run spoiled-init-wq fail --init "$TMP/init_wq" --train-data "$TMP/data/d_*.bin" \
  --no-compile --prime-steps 0 --precision fp32
torch_run tokens-shifted fail --init "$TMP/init" --train-data "$TMP/shifted/d_*.bin" \
  --no-compile --prime-steps 0 --precision fp32
torch_run shards-swapped fail --init "$TMP/init" --train-data "$TMP/swapped/d_*.bin" \
  --no-compile --prime-steps 0 --precision fp32

echo "$pass passed, $fail failed"
[ $fail = 0 ]
