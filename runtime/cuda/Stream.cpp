//===- Stream.cpp - owned streams and events, event timing ----------------===//
#include "runtime/cuda/Stream.h"

#include "runtime/cuda/Error.h"

namespace golf::cuda {

Stream::Stream() {
  cudaStream_t s = nullptr;
  check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  stream_.reset(s);
}

void Stream::synchronize() const { check(cudaStreamSynchronize(get()), "cudaStreamSynchronize"); }

Event::Event() {
  cudaEvent_t e = nullptr;
  check(cudaEventCreate(&e), "cudaEventCreate");
  event_.reset(e);
}

void Event::record(cudaStream_t stream) const { check(cudaEventRecord(get(), stream), "cudaEventRecord"); }

void Event::synchronize() const { check(cudaEventSynchronize(get()), "cudaEventSynchronize"); }

float elapsedMs(const Event &start, const Event &stop) {
  stop.synchronize();
  float ms = 0;
  check(cudaEventElapsedTime(&ms, start.get(), stop.get()), "cudaEventElapsedTime");
  return ms;
}

} // namespace golf::cuda
