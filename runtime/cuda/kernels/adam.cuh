//===- adam.cuh - Adam and AdamW over every tensor of a group -------------===//
//
// torch.optim.Adam / AdamW as runtime/train/Adam.cpp computes them (in
// double, state in the parameter's dtype). ptr[0]: the parameter; ptr[1]:
// the fp32 gradient accumulator; ptr[2], ptr[3]: exp_avg, exp_avg_sq.
// The gradient is the accumulator times GradScale, rounded to the
// parameter's dtype after each factor as the CPU's mean and clip round.
//
//===----------------------------------------------------------------------===//
extern "C" __global__ void golf_adam(const golf_mt::Tensor *tensors, const golf_mt::Chunk *chunks,
                                     const golf_mt::StepScalars *scalars,
                                     const golf_mt::GradScale *scale) {
  using namespace golf_mt;
  const Chunk c = chunks[blockIdx.x];
  const Tensor &t = tensors[c.tensor];
  const OptScalars o = scalars->opt[t.group];
  const int dt = t.dtype[0];
  const double l2 = o.decoupled ? 0.0 : t.wd, decay = o.decoupled ? 1.0 - o.lr * t.wd : 1.0;
  const float *acc = static_cast<const float *>(t.ptr[1]);
  for (long long i = c.begin + threadIdx.x; i < c.end; i += blockDim.x) {
    const double w = load(t.ptr[0], dt, i);
    const double g = roundTo(dt, roundTo(dt, double(acc[i]) * scale->inv) * scale->coef);
    const double grad = g + l2 * w;
    const double m = roundTo(dt, o.beta1 * load(t.ptr[2], dt, i) + (1 - o.beta1) * grad);
    const double v = roundTo(dt, o.beta2 * load(t.ptr[3], dt, i) + (1 - o.beta2) * grad * grad);
    store(t.ptr[2], dt, i, m);
    store(t.ptr[3], dt, i, v);
    store(t.ptr[0], dt, i, w * decay - o.stepSize * m / (sqrt(v) / o.bc2Sqrt + o.eps));
  }
}
