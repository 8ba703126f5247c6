//===- Graph.h - capturing a stream into a replayable CUDA graph -*- C++ -*-===//
//
// The executor captures a whole training step once and replays it every
// step, which removes the per-kernel launch cost (hundreds of small fused
// kernels per step). Everything enqueued during the capture must be
// capturable: no allocation, no synchronization, no host reads.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CUDA_GRAPH_H
#define GOLF_RUNTIME_CUDA_GRAPH_H

#include "runtime/cuda/Handle.h"

#include <cuda_runtime_api.h>

#include <cstddef>
#include <functional>

namespace golf::cuda {

class Graph {
public:
  /// Runs body(), capturing what it enqueues on `stream` (a Stream, not the
  /// legacy default stream), and instantiates the result. The capture mode is
  /// thread-local, so other threads (data loading) may keep using CUDA. If
  /// body throws, the capture is ended and the exception passes through.
  static Graph capture(cudaStream_t stream, const std::function<void()> &body);

  /// Enqueues one replay on `stream`.
  void launch(cudaStream_t stream) const;
  /// Number of nodes captured (kernels, copies, ...).
  size_t nodes() const;

private:
  Handle<cudaGraph_t, cudaGraphDestroy> graph_;
  Handle<cudaGraphExec_t, cudaGraphExecDestroy> exec_;
};

} // namespace golf::cuda

#endif // GOLF_RUNTIME_CUDA_GRAPH_H
