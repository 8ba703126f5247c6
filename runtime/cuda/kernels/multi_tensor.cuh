//===- multi_tensor.cuh - tables of the training-step kernels -------------===//
//
// The training step updates ~100 tensors per pass (gradient accumulation,
// norm, Adam, Muon, EMA). One launch per tensor would cost more than the
// arithmetic, so each pass is one launch over a table of chunks: block b
// works on chunks[b], a range of one tensor. Tables and chunk lists are
// built once (every pointer is fixed for the run) and live on the device.
//
// This file is included by the host (runtime/cuda/MultiTensor.h) for the
// struct layouts and prepended by the runtime to every kernel source for
// NVRTC, so both sides agree on them. Per-step numbers (learning rates,
// momentum, which stats slot) come from a StepScalars block the host copies
// to the device before each step, so a captured CUDA graph replays
// unchanged.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_MULTI_TENSOR_CUH
#define GOLF_MULTI_TENSOR_CUH

namespace golf_mt {

enum DType { kF32 = 0, kBF16 = 1 };

/// One tensor of a pass. The meaning of ptr[i] is the kernel's (each kernel
/// says); dtype[i] is that pointer's element type.
struct Tensor {
  void *ptr[4];
  int dtype[4];
  long long numel;
  double wd;    // weight decay (Adam, Muon)
  double scale; // Muon: sqrt(max(1, rows / cols))
  int group;    // its optimizer: index into StepScalars::opt
  int pad;
};

/// Elements [begin, end) of tensors[tensor]. Chunks of a Muon pass never
/// cross a matrix: the matrix's chunks are [firstPartial, firstPartial +
/// partials) of the chunk list, whose per-chunk partial sums give its norm.
struct Chunk {
  int tensor;
  int firstPartial;
  int partials;
  int pad;
  long long begin, end;
};

/// Per optimizer, per step.
struct OptScalars {
  double lr;       // lr x the schedule's multiplier
  double stepSize; // Adam: lr / (1 - beta1^t)
  double bc2Sqrt;  // Adam: sqrt(1 - beta2^t)
  double beta1, beta2, eps;
  double momentum; // Muon: momentum at this step (warm-up applied)
  int decoupled;   // AdamW
  int nesterov;    // Muon
};

constexpr int kMaxOptimizers = 8;
constexpr int kStatsSlots = 4096;

struct StepScalars {
  OptScalars opt[kMaxOptimizers];
  double maxNorm;   // gradient clipping; <= 0 only measures
  double emaDecay;
  int emaActive;    // this step updates the EMA shadow
  int statsSlot;    // where this step's loss and gradient norm go
  int accumulation; // micro-batches per step, over all ranks
  float softRoundAlpha; // the sharpness argument of a soft-round QAT function
};

/// Written by the device: the step's mean loss (summed over the ranks of a
/// data-parallel run before the clip kernel reads it) and the factor from
/// accumulated gradients to the clipped mean (1 / micro-batches, then the
/// clip coefficient).
struct GradScale {
  double loss;
  double inv;
  double coef;
};

struct StepStats {
  double loss;     // mean over the step's micro-batches
  double gradNorm; // of the mean gradient, before clipping
};

} // namespace golf_mt

#ifdef __CUDACC__
namespace golf_mt {

// Raw bf16 bits, round to nearest even, as the CPU reference rounds (no
// headers: NVRTC needs no include path for these kernels).
__device__ __forceinline__ float bf16ToFloat(unsigned short h) {
  return __uint_as_float(static_cast<unsigned>(h) << 16);
}
__device__ __forceinline__ unsigned short floatToBf16(float f) {
  unsigned u = __float_as_uint(f);
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return static_cast<unsigned short>((u >> 16) | 0x40); // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<unsigned short>(u >> 16);
}
__device__ __forceinline__ double load(const void *p, int dtype, long long i) {
  return dtype == kBF16 ? double(bf16ToFloat(static_cast<const unsigned short *>(p)[i]))
                        : double(static_cast<const float *>(p)[i]);
}
__device__ __forceinline__ void store(void *p, int dtype, long long i, double v) {
  if (dtype == kBF16)
    static_cast<unsigned short *>(p)[i] = floatToBf16(float(v));
  else
    static_cast<float *>(p)[i] = float(v);
}
/// v as the storage of `dtype` holds it (what the CPU reference's tensors
/// of that dtype hold after a write).
__device__ __forceinline__ double roundTo(int dtype, double v) {
  return dtype == kBF16 ? double(bf16ToFloat(floatToBf16(float(v)))) : double(float(v));
}

/// Sum over the block in double, the same order for the same blockDim
/// (deterministic). Every thread gets the total. `shared` holds 32 doubles.
__device__ __forceinline__ double blockSum(double v, double *shared) {
  for (int o = 16; o > 0; o >>= 1)
    v += __shfl_xor_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  __syncthreads();
  if (lane == 0)
    shared[warp] = v;
  __syncthreads();
  const int warps = (blockDim.x + 31) >> 5;
  double total = 0;
  for (int w = 0; w < warps; ++w)
    total += shared[w];
  return total;
}

} // namespace golf_mt
#endif // __CUDACC__

#endif // GOLF_MULTI_TENSOR_CUH
