//===- Memory.h - device and pinned host buffers ----------------*- C++ -*-===//
//
// RAII owners of cudaMalloc and cudaMallocHost memory, and checked copies.
// The executor allocates its arenas from these once, before any graph
// capture; inside a capture only the asynchronous copies and fills belong.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CUDA_MEMORY_H
#define GOLF_RUNTIME_CUDA_MEMORY_H

#include <cuda_runtime_api.h>

#include <cstddef>
#include <utility>

namespace golf::cuda {
namespace detail {

struct DeviceAlloc {
  static void *allocate(size_t bytes);        // cudaMalloc, checked
  static void release(void *p) noexcept;      // cudaFree
};
struct PinnedAlloc {
  static void *allocate(size_t bytes);        // cudaMallocHost, checked
  static void release(void *p) noexcept;      // cudaFreeHost
};

/// Owns `bytes` from Alloc; movable, not copyable. A zero-byte buffer holds
/// no memory and data() is null.
template <class Alloc> class Buffer {
public:
  Buffer() = default;
  explicit Buffer(size_t bytes) : data_(bytes ? Alloc::allocate(bytes) : nullptr), bytes_(bytes) {}
  Buffer(Buffer &&other) noexcept { swap(other); }
  Buffer &operator=(Buffer &&other) noexcept {
    Buffer(std::move(other)).swap(*this);
    return *this;
  }
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  ~Buffer() {
    if (data_)
      Alloc::release(data_);
  }

  void *data() const { return data_; }
  template <class T> T *as() const { return static_cast<T *>(data_); }
  size_t bytes() const { return bytes_; }

private:
  void swap(Buffer &other) noexcept {
    std::swap(data_, other.data_);
    std::swap(bytes_, other.bytes_);
  }
  void *data_ = nullptr;
  size_t bytes_ = 0;
};

} // namespace detail

/// Device memory from cudaMalloc (256-byte aligned).
class DeviceBuffer : public detail::Buffer<detail::DeviceAlloc> {
public:
  using Buffer::Buffer;
  /// Sets every byte to `value` (cudaMemsetAsync on `stream`; synchronous
  /// cudaMemset when stream is null).
  void fill(unsigned char value, cudaStream_t stream = nullptr);
};

/// Page-locked host memory from cudaMallocHost: copies from and to it can be
/// asynchronous and overlap compute (data loading).
using PinnedBuffer = detail::Buffer<detail::PinnedAlloc>;

/// Host to device. With a stream: cudaMemcpyAsync on it (asynchronous to the
/// host only from pinned memory). With stream null: synchronous cudaMemcpy.
void copyToDevice(void *dst, const void *src, size_t bytes, cudaStream_t stream = nullptr);
/// Device to host, with the same stream rule.
void copyToHost(void *dst, const void *src, size_t bytes, cudaStream_t stream = nullptr);

} // namespace golf::cuda

#endif // GOLF_RUNTIME_CUDA_MEMORY_H
