//===- grad_norm.cuh - global gradient norm and clipping ------------------===//
//
// clip_grad_norm_ over the mean gradient (runtime/train/Gradients.h): the
// norm of accumulated sums divided by the micro-batch count (of all ranks);
// coefficient min(maxNorm / (norm + 1e-6), 1) when clipping is on and the norm is
// finite, else 1. Two launches, deterministic: per-chunk partial sums of
// squares in double, then one block sums them in a fixed order. The
// optimizers read the result (GradScale) instead of rescaling gradients.
//
// golf_grad_sumsq: ptr[1] is the fp32 accumulator (the accumulate table).
//
//===----------------------------------------------------------------------===//
extern "C" __global__ void golf_grad_sumsq(const golf_mt::Tensor *tensors,
                                           const golf_mt::Chunk *chunks, double *partials) {
  __shared__ double shared[32];
  const golf_mt::Chunk c = chunks[blockIdx.x];
  const float *acc = static_cast<const float *>(tensors[c.tensor].ptr[1]);
  double sum = 0;
  for (long long i = c.begin + threadIdx.x; i < c.end; i += blockDim.x)
    sum += double(acc[i]) * double(acc[i]);
  sum = golf_mt::blockSum(sum, shared);
  if (threadIdx.x == 0)
    partials[blockIdx.x] = sum;
}

extern "C" __global__ void golf_grad_clip(const double *partials, int count,
                                          const golf_mt::StepScalars *scalars,
                                          golf_mt::GradScale *scale, golf_mt::StepStats *stats) {
  __shared__ double shared[32];
  double sum = 0;
  for (int i = threadIdx.x; i < count; i += blockDim.x)
    sum += partials[i];
  sum = golf_mt::blockSum(sum, shared);
  if (threadIdx.x != 0)
    return;
  const double k = double(scalars->accumulation);
  const double norm = sqrt(sum) / k;
  double coef = 1.0;
  if (scalars->maxNorm > 0 && isfinite(norm))
    coef = fmin(scalars->maxNorm / (norm + 1e-6), 1.0);
  scale->inv = 1.0 / k;
  scale->coef = coef;
  stats[scalars->statsSlot].loss = scale->loss;
  stats[scalars->statsSlot].gradNorm = norm;
}
