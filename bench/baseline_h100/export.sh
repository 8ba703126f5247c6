#!/usr/bin/env bash
# Issue 6's export numbers for a GPU-trained baseline, run on the GPU machine
# after bench/baseline_h100/run.sh (same bundle):
#   export.sh RUN_DIR WORK_DIR
# exports RUN_DIR's checkpoint three ways and scores each artifact on the
# whole FineWeb val head (golfc eval --device=gpu), beside the unquantized
# weights' val_bpb (golfc train's final evaluation on the same tokens):
#   1. baseline.golf as is: int8 per-row (percentile clip) + zlib 9;
#   2. int6 GPTQ (gptq_lite clip, Hessians from one training step, 8 x 64 x 1024 tokens, on the GPU) + zstd 22;
#   3. int5 MLP / int6 attention (round to nearest) + zstd 22.
set -u
cd "$(dirname "$0")/../.."
RUN="$1" WORK="$2"
DATA=.device/data GOLFC=.device/golfc
TRAIN="$DATA/fineweb_train_*.bin" VAL="$DATA/fineweb_val_*.bin" TOK="$DATA/fineweb_1024_bpe.model"
B=examples/baseline.golf
export_section() { # the baseline with its export section's quant/compress lines replaced
  awk -v q="$1" '/^    quant\(class = default/ { print q; next }
                 /^    compress\(/ { print "    compress(codec = zstd, level = 22)"; next } { print }' "$B"
}
export_section '    quant(class = default, bits = 6, method = gptq, clip = gptq_lite)
    gptq(calibration = train(batches = 1))' > "$WORK/int6_gptq.golf"
export_section '    quant(class = mlp, bits = 5)
    quant(class = attn, bits = 6)
    quant(class = default, bits = 8, clip = percentile(99.99984), min_scale = 1 / 127)' > "$WORK/int5_int6.golf"
cp "$B" "$WORK/int8_zlib.golf"
printf '%-12s %12s %10s %10s %9s\n' variant bytes export_s val_bpb gap
before=$(python3 -c "import json,sys; print([e for e in map(json.loads, open('$RUN/log.jsonl')) if e.get('event')=='summary'][-1]['val_bpb'])")
for v in int8_zlib int6_gptq int5_int6; do
  t0=$(date +%s.%N)
  $GOLFC export "$WORK/$v.golf" --device=gpu --checkpoint "$RUN" --train-data "$TRAIN" -o "$WORK/$v.golfa" > "$WORK/$v.export.txt" 2>&1
  rc=$?; t1=$(date +%s.%N)
  if [ $rc -ne 0 ]; then echo "$v: export failed"; tail -3 "$WORK/$v.export.txt"; continue; fi
  $GOLFC eval --artifact "$WORK/$v.golfa" --device=gpu --val-data "$VAL" --tokenizer "$TOK" > "$WORK/$v.eval.txt" 2>&1
  bpb=$(awk '/^val_bpb/ { print $2 }' "$WORK/$v.eval.txt")
  printf '%-12s %12s %10.1f %10s %+9.4f\n' "$v" "$(stat -c %s "$WORK/$v.golfa")" "$(python3 -c "print($t1 - $t0)")" \
    "$bpb" "$(python3 -c "print(${bpb:-nan} - $before)")"
done
echo "unquantized weights: val_bpb $before (golfc train's final evaluation)"
