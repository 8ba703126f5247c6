//===- Stream.h - owned streams and events, event timing --------*- C++ -*-===//
#ifndef GOLF_RUNTIME_CUDA_STREAM_H
#define GOLF_RUNTIME_CUDA_STREAM_H

#include "runtime/cuda/Handle.h"

#include <cuda_runtime_api.h>

namespace golf::cuda {

/// A non-blocking stream: it does not synchronize with the legacy default
/// stream, and (unlike that stream) it can be captured into a CUDA graph.
class Stream {
public:
  Stream();
  cudaStream_t get() const { return stream_.get(); }
  void synchronize() const;

private:
  Handle<cudaStream_t, cudaStreamDestroy> stream_;
};

/// An event with timing enabled.
class Event {
public:
  Event();
  cudaEvent_t get() const { return event_.get(); }
  void record(cudaStream_t stream) const;
  void synchronize() const;

private:
  Handle<cudaEvent_t, cudaEventDestroy> event_;
};

/// Milliseconds between two recorded events; waits for `stop`.
float elapsedMs(const Event &start, const Event &stop);

} // namespace golf::cuda

#endif // GOLF_RUNTIME_CUDA_STREAM_H
