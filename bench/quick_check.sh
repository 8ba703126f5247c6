export LD_LIBRARY_PATH=$PWD/.device/lib GOLF_CACHE_DIR=/tmp/gk
G=.device/golfc
for f in examples/tiny.golf examples/baseline.golf examples/seeds/*.golf; do
  echo "== $f general f32: $(timeout 100 $G check $f --autocast=off --attention=general 2>&1 | grep -v '  ok$' | tail -4 | tr '\n' ' ')"
done
echo "== baseline bf16 flash: $($G check examples/baseline.golf 2>&1 | tail -1)"
timeout 120 $G profile examples/baseline.golf --function=loss_grad --repeat=5 --top=40 2>&1 | grep -v "^\s*$" | head -80
