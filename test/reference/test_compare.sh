#!/usr/bin/env bash
# Tests of the parity harness without golfc: selftest.py, then compare.py on dumps
# made by make_fixture.py, good ones (must exit 0) and spoiled ones (must exit 1 and
# name the spoiled parameter, or exit 2 and name the missing file).
# PYTHON picks the interpreter (default python3; it needs torch and numpy).
# Exit 0 when every case behaves; the last line is "N passed, M failed".
set -u
PY=${PYTHON:-python3}
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0

# expect NAME WANT_RC PATTERN... -- CMD...: run CMD, want its exit code and every
# PATTERN (an extended regex) in its output.
expect() {
  local name=$1 want=$2
  shift 2
  local pats=()
  while [ "$1" != "--" ]; do pats+=("$1"); shift; done
  shift
  local log="$TMP/log.$((pass + fail))"
  "$@" >"$log" 2>&1
  local rc=$? ok=1 why=""
  if [ "$rc" != "$want" ]; then ok=0; why="exit $rc, want $want"; fi
  for p in "${pats[@]+"${pats[@]}"}"; do
    if ! grep -Eq -- "$p" "$log"; then ok=0; why="$why; no line matching /$p/"; fi
  done
  if [ $ok = 1 ]; then
    pass=$((pass + 1)); echo "ok   $name"
  else
    fail=$((fail + 1)); echo "FAIL $name (${why#; })"; sed 's/^/     | /' "$log" | tail -40
  fi
}

fixture() { "$PY" "$HERE/make_fixture.py" "$@" >/dev/null || { echo "make_fixture.py $* failed"; exit 1; }; }
compare() { "$PY" "$HERE/compare.py" "$@"; }

expect "selftest.py" 0 ' 0 failed$' -- "$PY" "$HERE/selftest.py"

# Good dumps: compare.py must pass them.
fixture "$TMP/f64"
expect "float64-made dump passes (float32 torch)" 0 '^[0-9]+ passed, 0 failed$' -- compare "$TMP/f64"
expect "float64-made dump passes (--compute-dtype float64)" 0 '^[0-9]+ passed, 0 failed$' -- \
  compare "$TMP/f64" --compute-dtype float64
fixture "$TMP/f32" --fixture-dtype float32 --seed 4
expect "float32-made dump passes" 0 '^[0-9]+ passed, 0 failed$' -- compare "$TMP/f32"
fixture "$TMP/real" --init real --layers 4 --heads 2 --kv-heads 1
expect "real-init dump passes (zero gradients)" 0 '^[0-9]+ passed, 0 failed$' -- compare "$TMP/real"
fixture "$TMP/state" --with-state --step 250 --muon-wd 0.04 --adam-wd 0.01 --scalar-adamw \
  --row-normalize --layers 5 --seq 24 --lr-multiplier 0.7
expect "dump with optimizer state, wd, adamw, MuonEq-R, step 250 passes" 0 \
  '^== optimizer state ==$' '^[0-9]+ passed, 0 failed$' -- compare "$TMP/state"
fixture "$TMP/tiny" --lr-multiplier 1e-3
expect "tiny updates (lr x 1e-3) pass" 0 '^[0-9]+ passed, 0 failed$' -- compare "$TMP/tiny"

# Spoiled dumps: compare.py must fail them, naming what is wrong.
fixture "$TMP/badgrad" --perturb-grad blocks.1.wk --perturb-rel 1e-3
expect "gradient of blocks.1.wk off by 1e-3 fails" 1 '^blocks\.1\.wk +16x32 .* FAIL' \
  '^[0-9]+ passed, [1-9][0-9]* failed$' -- compare "$TMP/badgrad"
fixture "$TMP/badupd" --lr-multiplier 1e-3 --perturb-update blocks.0.q_gain --perturb-rel 0.2
expect "update of blocks.0.q_gain off by 20% (too small to show in after_step) fails" 1 \
  '^== update delta ==$' '^blocks\.0\.q_gain +4 .* FAIL$' -- compare "$TMP/badupd"
fixture "$TMP/badmat" --perturb-update blocks.2.w_fc --perturb-rel 1e-3
expect "update of blocks.2.w_fc off by 1e-3 fails" 1 '^blocks\.2\.w_fc +64x32 .* FAIL$' -- \
  compare "$TMP/badmat"
fixture "$TMP/badloss"
"$PY" -c "import numpy as np, sys; p=sys.argv[1]; np.save(p, (np.load(p) * (1 + 1e-3)).astype(np.float32))" \
  "$TMP/badloss/loss.npy"
expect "loss off by 1e-3 fails" 1 '^loss +scalar .* FAIL$' -- compare "$TMP/badloss"
fixture "$TMP/badstate" --with-state --step 3
"$PY" -c "import numpy as np, sys; p=sys.argv[1]; np.save(p, (np.load(p) * 1.01).astype(np.float32))" \
  "$TMP/badstate/after_state/blocks.0.wv.momentum_buffer.npy"
expect "after_state momentum buffer off by 1% fails" 1 '^blocks\.0\.wv\.momentum_buffer .* FAIL$' -- \
  compare "$TMP/badstate"

# Dumps that do not fit: exit 2, naming the file.
fixture "$TMP/missing" --drop grads/tok_emb.npy
expect "missing grads/tok_emb.npy: exit 2" 2 'grads/tok_emb\.npy' -- compare "$TMP/missing"
fixture "$TMP/nocfg" --drop config.json
expect "missing config.json: exit 2" 2 'config\.json' -- compare "$TMP/nocfg"
fixture "$TMP/extra"
cp "$TMP/extra/params/tok_emb.npy" "$TMP/extra/params/lm_head.npy"
expect "unknown params/lm_head.npy: exit 2" 2 'params/lm_head\.npy' -- compare "$TMP/extra"
fixture "$TMP/layers"
"$PY" -c "import json, sys; p=sys.argv[1]; c=json.load(open(p)); c['layers']=2; c['groups']={k: v for k, v in c['groups'].items() if not k.startswith('blocks.2.')}; json.dump(c, open(p, 'w'))" \
  "$TMP/layers/config.json"
expect "config layers 2 with 3 layers of files: exit 2" 2 'blocks\.2\.' -- compare "$TMP/layers"
fixture "$TMP/nostate" --with-state
rm "$TMP/nostate/state/tok_emb.exp_avg_sq.npy"
expect "state/ without tok_emb.exp_avg_sq: exit 2" 2 'state/tok_emb\.exp_avg_sq\.npy' -- \
  compare "$TMP/nostate"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
