//===- Memory.cpp - device and pinned host buffers ------------------------===//
#include "runtime/cuda/Memory.h"

#include "runtime/cuda/Error.h"

#include <string>

namespace golf::cuda {
namespace {

std::string sized(const char *call, size_t bytes) {
  return std::string(call) + "(" + std::to_string(bytes) + " bytes)";
}

void copy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream,
          const char *what) {
  if (bytes == 0)
    return;
  check(stream ? cudaMemcpyAsync(dst, src, bytes, kind, stream) : cudaMemcpy(dst, src, bytes, kind),
        sized(what, bytes).c_str());
}

} // namespace

namespace detail {

void *DeviceAlloc::allocate(size_t bytes) {
  void *p = nullptr;
  check(cudaMalloc(&p, bytes), sized("cudaMalloc", bytes).c_str());
  return p;
}

// Release cannot throw (destructors); cudaFree/cudaFreeHost only fail after
// an earlier sticky error, which the code that caused it has reported.
void DeviceAlloc::release(void *p) noexcept { cudaFree(p); }

void *PinnedAlloc::allocate(size_t bytes) {
  void *p = nullptr;
  check(cudaMallocHost(&p, bytes), sized("cudaMallocHost", bytes).c_str());
  return p;
}

void PinnedAlloc::release(void *p) noexcept { cudaFreeHost(p); }

} // namespace detail

void DeviceBuffer::fill(unsigned char value, cudaStream_t stream) {
  if (!bytes())
    return;
  check(stream ? cudaMemsetAsync(data(), value, bytes(), stream) : cudaMemset(data(), value, bytes()),
        sized("cudaMemset", bytes()).c_str());
}

void copyToDevice(void *dst, const void *src, size_t bytes, cudaStream_t stream) {
  copy(dst, src, bytes, cudaMemcpyHostToDevice, stream, "copyToDevice");
}

void copyToHost(void *dst, const void *src, size_t bytes, cudaStream_t stream) {
  copy(dst, src, bytes, cudaMemcpyDeviceToHost, stream, "copyToHost");
}

} // namespace golf::cuda
