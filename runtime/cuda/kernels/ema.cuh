//===- ema.cuh - the exponential moving average of the weights ------------===//
//
// runtime/train/Averaging.h's EMA: shadow = decay*shadow + (1 - decay)*w
// on steps the host marks (every `every` steps). ptr[0]: the fp32 shadow;
// ptr[1]: the parameter.
//
//===----------------------------------------------------------------------===//
extern "C" __global__ void golf_ema(const golf_mt::Tensor *tensors, const golf_mt::Chunk *chunks,
                                    const golf_mt::StepScalars *scalars) {
  using namespace golf_mt;
  if (!scalars->emaActive)
    return;
  const Chunk c = chunks[blockIdx.x];
  const Tensor &t = tensors[c.tensor];
  const double d = scalars->emaDecay;
  float *shadow = static_cast<float *>(t.ptr[0]);
  for (long long i = c.begin + threadIdx.x; i < c.end; i += blockDim.x)
    shadow[i] = float(d * double(shadow[i]) + (1 - d) * load(t.ptr[1], t.dtype[1], i));
}
