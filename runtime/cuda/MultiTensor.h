//===- MultiTensor.h - one launch over many tensors -------------*- C++ -*-===//
//
// A MultiTensorPass is a table of tensors (kernels/multi_tensor.cuh) cut
// into chunks, built once on the host and uploaded; launch() runs a
// training-step kernel with one block per chunk. TrainKernels compiles the
// step's kernels (kernels/*.cuh, embedded at build time) with NVRTC
// through the kernel cache.
//
//   MultiTensorPass pass;
//   pass.add(tensor);                 // golf_mt::Tensor, pointers set
//   pass.upload();
//   pass.launch(kernels, kernels.adam, stream, scalars, scale);
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CUDA_MULTITENSOR_H
#define GOLF_RUNTIME_CUDA_MULTITENSOR_H

#include "runtime/cuda/Memory.h"
#include "runtime/cuda/Module.h"
#include "runtime/cuda/kernels/multi_tensor.cuh"
#include "runtime/plan/Plan.h"

#include <vector>

namespace golf::cuda {

/// golf_mt's dtype code of a float plan dtype (f32 or bf16; others throw).
int mtDType(plan::DType d);

/// The training-step kernels' sources, one per entry point (NVRTC input).
std::vector<KernelSource> trainKernelSources();

/// The compiled training-step kernels.
struct TrainKernels {
  static TrainKernels load(const std::string &arch, const std::string &cacheDir);
  KernelLibrary library;
  cudaKernel_t accumulate, loss, sumsq, clip, adam, muonMomentum, muonNormalize, muonUpdate, ema;
};

class MultiTensorPass {
public:
  /// Elements per chunk: large enough that a block's loop hides latency,
  /// small enough that a few large tensors still fill the GPU.
  static constexpr int64_t kChunk = 16384;
  static constexpr unsigned kThreads = 256;

  /// Adds `t` (numel and pointers set) in chunks. With matrixElems > 0 the
  /// tensor is a batch of matrices of that many elements: no chunk crosses
  /// one, and each chunk records its matrix's range of chunks.
  void add(const golf_mt::Tensor &t, int64_t matrixElems = 0);
  /// Copies the table and chunks to the device (once, before launches).
  void upload();
  int chunks() const { return int(hostChunks_.size()); }
  bool empty() const { return hostChunks_.empty(); }

  /// Launches `k` over every chunk: k(tensors, chunks, extra...).
  template <class... A>
  void launch(const TrainKernels &kernels, cudaKernel_t k, cudaStream_t stream, A... extra) const {
    if (empty())
      return;
    const void *t = tensors_.data(), *c = chunks_.data();
    void *args[] = {&t, &c, &extra...};
    kernels.library.launch(k, dim3(unsigned(chunks())), dim3(kThreads), 0, stream, args);
  }

private:
  std::vector<golf_mt::Tensor> hostTensors_;
  std::vector<golf_mt::Chunk> hostChunks_;
  DeviceBuffer tensors_, chunks_;
};

} // namespace golf::cuda

#endif // GOLF_RUNTIME_CUDA_MULTITENSOR_H
