//===- grad_accumulate.cuh - summing micro-batch gradients ----------------===//
//
// ptr[0]: this micro-batch's gradient (the gradient function's result, in
// the parameter's dtype); ptr[1]: the fp32 accumulator. The first
// micro-batch of a step overwrites, the others add, so no zeroing pass.
//
//===----------------------------------------------------------------------===//
extern "C" __global__ void golf_grad_accumulate(const golf_mt::Tensor *tensors,
                                                const golf_mt::Chunk *chunks, int first) {
  const golf_mt::Chunk c = chunks[blockIdx.x];
  const golf_mt::Tensor &t = tensors[c.tensor];
  float *acc = static_cast<float *>(t.ptr[1]);
  for (long long i = c.begin + threadIdx.x; i < c.end; i += blockDim.x) {
    const float g = float(golf_mt::load(t.ptr[0], t.dtype[0], i));
    acc[i] = first ? g : acc[i] + g;
  }
}

/// The step's loss: the mean of its micro-batches' losses (on every rank),
/// into scale->loss, which golf_grad_clip files in the step's stats slot.
/// One thread.
extern "C" __global__ void golf_loss_accumulate(const float *loss,
                                                const golf_mt::StepScalars *scalars,
                                                golf_mt::GradScale *scale, int first) {
  const double part = double(*loss) / double(scalars->accumulation);
  scale->loss = first ? part : scale->loss + part;
}
