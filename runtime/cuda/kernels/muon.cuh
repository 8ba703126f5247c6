//===- muon.cuh - Muon's elementwise passes around Newton-Schulz ----------===//
//
// runtime/train/Muon.cpp's math; the Newton-Schulz products between
// golf_muon_normalize and golf_muon_update are cuBLASLt batches
// (runtime/cuda/DeviceOptimizers.cpp).
//
// golf_muon_momentum, per element (ptr[0]: fp32 gradient accumulator;
// ptr[1]: momentum buffer, parameter dtype; ptr[2]: u, fp32):
//   g = clipped mean gradient; buf = mu*buf + g; u = g + mu*buf (Nesterov)
//   or buf; and per chunk the sum of u^2 into partials (chunks never
//   cross a matrix).
// golf_muon_normalize (ptr[2]: u; ptr[3]: X, the Newton-Schulz input, in
//   its dtype): X = u / (||u||_F + 1e-7) per matrix.
// golf_muon_update (ptr[0]: parameter; ptr[1]: O, the Newton-Schulz
//   output): W = W*(1 - lr*wd) - lr*scale*O.
//
//===----------------------------------------------------------------------===//
extern "C" __global__ void golf_muon_momentum(const golf_mt::Tensor *tensors,
                                              const golf_mt::Chunk *chunks,
                                              const golf_mt::StepScalars *scalars,
                                              const golf_mt::GradScale *scale, double *partials) {
  using namespace golf_mt;
  __shared__ double shared[32];
  const Chunk c = chunks[blockIdx.x];
  const Tensor &t = tensors[c.tensor];
  const OptScalars o = scalars->opt[t.group];
  const int dt = t.dtype[1];
  const float *acc = static_cast<const float *>(t.ptr[0]);
  float *u = static_cast<float *>(t.ptr[2]);
  double sum = 0;
  for (long long i = c.begin + threadIdx.x; i < c.end; i += blockDim.x) {
    const double g = roundTo(dt, roundTo(dt, double(acc[i]) * scale->inv) * scale->coef);
    const double buf = roundTo(dt, o.momentum * load(t.ptr[1], dt, i) + g);
    store(t.ptr[1], dt, i, buf);
    const float next = float(o.nesterov ? g + o.momentum * buf : buf);
    u[i] = next;
    sum += double(next) * double(next);
  }
  sum = blockSum(sum, shared);
  if (threadIdx.x == 0)
    partials[blockIdx.x] = sum;
}

extern "C" __global__ void golf_muon_normalize(const golf_mt::Tensor *tensors,
                                               const golf_mt::Chunk *chunks,
                                               const double *partials) {
  using namespace golf_mt;
  const Chunk c = chunks[blockIdx.x];
  const Tensor &t = tensors[c.tensor];
  double sum = 0;
  for (int p = 0; p < c.partials; ++p)
    sum += partials[c.firstPartial + p];
  const double denom = sqrt(sum) + 1e-7;
  const float *u = static_cast<const float *>(t.ptr[2]);
  for (long long i = c.begin + threadIdx.x; i < c.end; i += blockDim.x)
    store(t.ptr[3], t.dtype[3], i, double(u[i]) / denom);
}

extern "C" __global__ void golf_muon_update(const golf_mt::Tensor *tensors,
                                            const golf_mt::Chunk *chunks,
                                            const golf_mt::StepScalars *scalars) {
  using namespace golf_mt;
  const Chunk c = chunks[blockIdx.x];
  const Tensor &t = tensors[c.tensor];
  const double lr = scalars->opt[t.group].lr;
  const double decay = 1.0 - lr * t.wd, step = lr * t.scale;
  for (long long i = c.begin + threadIdx.x; i < c.end; i += blockDim.x)
    store(t.ptr[0], t.dtype[0], i,
          load(t.ptr[0], t.dtype[0], i) * decay - step * load(t.ptr[1], t.dtype[1], i));
}
