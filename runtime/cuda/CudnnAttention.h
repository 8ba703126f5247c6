//===- CudnnAttention.h - the one cuDNN fused-attention wrapper -*- C++ -*-===//
//
// Every Step::Attention of the CUDA backend (--attention=cudnn) goes through
// CudnnAttention::run: cuDNN's fused SDPA (FlashAttention-style forward and
// backward, causal, GQA) built with the cuDNN frontend's graph API, with
// golfc's head layouts given as strides, so nothing is copied.
//
// libcudnn.so.9 (or the file GOLF_CUDNN_LIB names) is opened at run time
// (the frontend's dynamic loading), so golfc runs where cuDNN is missing;
// only a plan with cuDNN steps needs it. The frontend opens
// libcudart.so.13 (or .12) itself for device queries.
// The first prepare() of a call builds its graph (allocates, synchronizes:
// before graph capture) and says how much workspace it needs; run() then
// only enqueues, and can be captured in a CUDA graph.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CUDA_CUDNNATTENTION_H
#define GOLF_RUNTIME_CUDA_CUDNNATTENTION_H

#include "codegen/cuda/Program.h"

#include <cuda_runtime_api.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace golf::cuda {

class CudnnAttention {
public:
  /// Opens libcudnn.so.9 and creates a handle; throws std::runtime_error
  /// with one line (what is missing, and --attention=flash) when it cannot.
  CudnnAttention();
  ~CudnnAttention();
  CudnnAttention(CudnnAttention &&) noexcept;
  CudnnAttention &operator=(CudnnAttention &&) noexcept;

  /// Builds `call`'s graph once (later calls find it) and returns the
  /// workspace bytes it needs. Throws std::runtime_error with cuDNN's reason
  /// when cuDNN does not support the call.
  size_t prepare(const cudagen::AttentionCall &call);

  /// Enqueues `call` on `stream`: operand and result addresses in the order
  /// of cudagen::AttentionCall, and at least prepare(call) bytes of
  /// workspace.
  void run(const cudagen::AttentionCall &call, const std::vector<void *> &operands,
           const std::vector<void *> &results, void *workspace, cudaStream_t stream);

  /// "cuDNN 9.14.0" (the library loaded).
  std::string version() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace golf::cuda

#endif // GOLF_RUNTIME_CUDA_CUDNNATTENTION_H
