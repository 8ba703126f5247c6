# Sourced by the GPU scripts, on the GPU machine, from the repository root:
# unpacks the programs and shared libraries that bench/bundle.sh packed into
# .device/pack.tar.xz (once per machine: a later call finds them), then points
# the dynamic loader at .device/lib and NVRTC's cache at /tmp/golf-kernels.
if [ -f .device/pack.tar.xz ] && [ ! -x .device/golfc ]; then
  tar -xJf .device/pack.tar.xz -C .device ||
    { echo "bench/device_env.sh: cannot unpack .device/pack.tar.xz (rerun bench/bundle.sh)" >&2; exit 1; }
fi
export LD_LIBRARY_PATH="$PWD/.device/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export GOLF_CACHE_DIR="${GOLF_CACHE_DIR:-/tmp/golf-kernels}"
